package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DiffMaxEdits bounds the edit distance DiffPatch searches for (memory grows with its square); beyond
// it the changed region becomes one replacement hunk, still a valid diff.
const DiffMaxEdits = 4000

// diffContext is the number of unchanged lines around a change in a hunk, as git and GitHub use.
const diffContext = 3

// diffLine is one line of a patch after the first hunk header.
type diffLine struct {
	kind             byte // ' ', '+', '-', '\\' (no newline marker) or '@' (a later hunk header)
	oldLine, newLine int  // line numbers on each side (0 when the line is not on that side)
	position         int  // GitHub's diff position: 1 for the line below the first "@@"
	hunk             int  // index of the hunk
	raw              int  // index in parsedPatch.raw
}

// parsedPatch is a file's patch indexed for placing review comments.
type parsedPatch struct {
	raw       []string
	lines     []diffLine
	hunkStart []int       // raw index of each hunk header
	right     map[int]int // new line number → index in lines (added and context lines)
	left      map[int]int // old line number → index in lines (deleted and context lines)
}

// parsePatch indexes GitHub's `patch` text (hunks only, no file headers). An empty patch has no lines.
func parsePatch(patch string) (*parsedPatch, error) {
	pp := &parsedPatch{right: map[int]int{}, left: map[int]int{}}
	if patch == "" {
		return pp, nil
	}
	pp.raw = strings.Split(strings.TrimSuffix(patch, "\n"), "\n")
	oldN, newN := 0, 0
	for i, l := range pp.raw {
		if strings.HasPrefix(l, "@@") {
			o, n, err := parseHunkHeader(l)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			oldN, newN = o, n
			pp.hunkStart = append(pp.hunkStart, i)
			if i > 0 {
				pp.lines = append(pp.lines, diffLine{kind: '@', position: i, hunk: len(pp.hunkStart) - 1, raw: i})
			}
			continue
		}
		if i == 0 {
			return nil, errors.New("patch does not start with a hunk header (@@ -a,b +c,d @@)")
		}
		dl := diffLine{position: i, hunk: len(pp.hunkStart) - 1, raw: i}
		kind := byte(' ')
		if l != "" {
			kind = l[0]
		}
		switch kind {
		case ' ':
			dl.oldLine, dl.newLine = oldN, newN
			oldN, newN = oldN+1, newN+1
		case '+':
			dl.newLine = newN
			newN++
		case '-':
			dl.oldLine = oldN
			oldN++
		case '\\':
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", i+1, l[:1])
		}
		dl.kind = kind
		if dl.newLine > 0 {
			pp.right[dl.newLine] = len(pp.lines)
		}
		if dl.oldLine > 0 {
			pp.left[dl.oldLine] = len(pp.lines)
		}
		pp.lines = append(pp.lines, dl)
	}
	return pp, nil
}

// parseHunkHeader returns the first old and new line numbers of "@@ -a[,b] +c[,d] @@…". A side whose
// count is 0 starts after line a (or c), so its first line number is a+1.
func parseHunkHeader(h string) (oldStart, newStart int, err error) {
	f := strings.Fields(h)
	if len(f) < 4 || f[0] != "@@" || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0, fmt.Errorf("bad hunk header %q", h)
	}
	side := func(s string) (int, error) {
		startS, countS, hasCount := strings.Cut(s[1:], ",")
		start, err := strconv.Atoi(startS)
		if err != nil || start < 0 {
			return 0, fmt.Errorf("bad hunk header %q", h)
		}
		count := 1
		if hasCount {
			if count, err = strconv.Atoi(countS); err != nil || count < 0 {
				return 0, fmt.Errorf("bad hunk header %q", h)
			}
		}
		if count == 0 {
			return start + 1, nil
		}
		return start, nil
	}
	if oldStart, err = side(f[1]); err != nil {
		return 0, 0, err
	}
	newStart, err = side(f[2])
	return oldStart, newStart, err
}

// at returns the diff line of line on side ("RIGHT": added or context, "LEFT": deleted or context).
func (pp *parsedPatch) at(side string, line int) (diffLine, bool) {
	if pp == nil {
		return diffLine{}, false
	}
	m := pp.right
	if side == "LEFT" {
		m = pp.left
	}
	i, ok := m[line]
	if !ok {
		return diffLine{}, false
	}
	return pp.lines[i], true
}

// atPosition returns the diff line at a GitHub diff position (a commentable line only).
func (pp *parsedPatch) atPosition(pos int) (diffLine, bool) {
	if pp == nil || pos < 1 || pos > len(pp.lines) {
		return diffLine{}, false
	}
	dl := pp.lines[pos-1]
	return dl, dl.kind == ' ' || dl.kind == '+' || dl.kind == '-'
}

// hunkUpTo returns the patch text from dl's hunk header through dl, GitHub's diff_hunk of a comment.
func (pp *parsedPatch) hunkUpTo(dl diffLine) string {
	return strings.Join(pp.raw[pp.hunkStart[dl.hunk]:dl.raw+1], "\n")
}

// counts returns the number of added and deleted lines.
func (pp *parsedPatch) counts() (adds, dels int) {
	if pp == nil {
		return 0, 0
	}
	for _, l := range pp.lines {
		switch l.kind {
		case '+':
			adds++
		case '-':
			dels++
		}
	}
	return adds, dels
}

func (pp *parsedPatch) lineCount() int {
	if pp == nil {
		return 0
	}
	return len(pp.raw)
}

// diffTrees lists the files that differ between two trees, by path, with their patches.
func diffTrees(base, head map[string][]byte) []PullFile {
	paths := map[string]bool{}
	for p := range base {
		paths[p] = true
	}
	for p := range head {
		paths[p] = true
	}
	var out []PullFile
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range paths {
			if !yield(k) {
				return
			}
		}
	}) {
		old, inBase := base[p]
		cur, inHead := head[p]
		f := PullFile{Filename: p}
		switch {
		case !inBase:
			f.Status, f.SHA = "added", GitBlobID(cur)
		case !inHead:
			f.Status, f.SHA = "removed", GitBlobID(old)
		case bytes.Equal(old, cur):
			continue
		default:
			f.Status, f.SHA = "modified", GitBlobID(cur)
		}
		if !isBinary(old) && !isBinary(cur) {
			f.Patch = DiffPatch(string(old), string(cur))
		}
		out = append(out, f)
	}
	return out
}

// isBinary is git's heuristic: a NUL byte in the first 8000 bytes.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0
}

// PullFilesBetween lists the files that differ between two trees (path → content) the way the pull request
// files API does — status and patch — in path order. Paths in omitPatch get no patch, as GitHub omits the
// patches of big files such as lockfiles.
func PullFilesBetween(base, head map[string][]byte, omitPatch ...string) []PullFile {
	var names []string
	for p := range head {
		if b, ok := base[p]; !ok || string(b) != string(head[p]) {
			names = append(names, p)
		}
	}
	for p := range base {
		if _, ok := head[p]; !ok {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	var files []PullFile
	for _, p := range names {
		f := PullFile{Filename: p, Patch: DiffPatch(string(base[p]), string(head[p])), OmitPatch: slices.Contains(omitPatch, p)}
		switch {
		case base[p] == nil:
			f.Status = "added"
		case head[p] == nil:
			f.Status = "removed"
		}
		files = append(files, f)
	}
	return files
}

// DiffPatch returns the unified diff of two texts in the form of GitHub's `patch` field: hunks with
// three lines of context and no file headers, "\ No newline at end of file" where a side lacks a final
// newline. Equal texts give "".
func DiffPatch(oldText, newText string) string {
	a, b := splitKeepNL(oldText), splitKeepNL(newText)
	ops := diffOps(a, b)
	var sb strings.Builder
	// Group the edit script into hunks: changes closer than 2*context lines share a hunk.
	i := 0
	for i < len(ops) {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j
			} else if j-end > 2*diffContext {
				break
			}
		}
		end = min(end+diffContext, len(ops)-1)
		writeHunk(&sb, ops[start:end+1], a, b)
		i = end + 1
	}
	return sb.String()
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	a, b int  // index in a (for ' ' and '-') and in b (for ' ' and '+')
}

func writeHunk(sb *strings.Builder, ops []diffOp, a, b []string) {
	oldStart, newStart, oldCount, newCount := -1, -1, 0, 0
	// Start positions: the first op on each side, else the position before the hunk.
	for _, op := range ops {
		if op.kind != '+' && oldStart < 0 {
			oldStart = op.a + 1
		}
		if op.kind != '-' && newStart < 0 {
			newStart = op.b + 1
		}
		if op.kind != '+' {
			oldCount++
		}
		if op.kind != '-' {
			newCount++
		}
	}
	rng := func(start, count int) string {
		switch count {
		case 0:
			return strconv.Itoa(max(start-1, 0)) + ",0"
		case 1:
			return strconv.Itoa(start)
		}
		return strconv.Itoa(start) + "," + strconv.Itoa(count)
	}
	// A side with no lines in the hunk is shown as "-X,0": X is the line after which the hunk sits.
	if oldCount == 0 {
		oldStart = ops[0].a + 1
	}
	if newCount == 0 {
		newStart = ops[0].b + 1
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", rng(oldStart, oldCount), rng(newStart, newCount))
	for _, op := range ops {
		line := ""
		switch op.kind {
		case '+':
			line = b[op.b]
		default:
			line = a[op.a]
		}
		sb.WriteByte(op.kind)
		sb.WriteString(strings.TrimSuffix(line, "\n"))
		sb.WriteByte('\n')
		if !strings.HasSuffix(line, "\n") {
			sb.WriteString("\\ No newline at end of file\n")
		}
	}
}

// splitKeepNL splits s into lines that keep their "\n", so a last line without one differs from the
// same text with one.
func splitKeepNL(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffOps returns an edit script turning a into b: common prefix and suffix, and Myers' O(ND) diff of
// the rest, bounded by DiffMaxEdits.
func diffOps(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	mid, ok := myers(ma, mb)
	if !ok {
		mid = nil
		for i := range ma {
			mid = append(mid, diffOp{'-', i, 0})
		}
		for j := range mb {
			mid = append(mid, diffOp{'+', len(ma), j})
		}
	}
	for _, op := range mid {
		ops = append(ops, diffOp{op.kind, op.a + pre, op.b + pre})
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, diffOp{' ', len(a) - suf + i, len(b) - suf + i})
	}
	return ops
}

// myers is Myers' greedy forward diff keeping, for backtracking, the furthest-reaching x of each
// diagonal k ∈ [-d, d] after every step d (memory O(D²)). It gives up beyond DiffMaxEdits.
func myers(a, b []string) ([]diffOp, bool) {
	n, m := len(a), len(b)
	maxD := min(n+m, DiffMaxEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				trace = append(trace, slices.Clone(v[off-d:off+d+1]))
				return backtrack(trace, n, m), true
			}
		}
		trace = append(trace, slices.Clone(v[off-d:off+d+1]))
	}
	return nil, false
}

func backtrack(trace [][]int, n, m int) []diffOp {
	x, y := n, m
	var ops []diffOp
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1]
		get := func(k int) int { return prev[k+d-1] }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			prevK = k + 1
		}
		prevX := get(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			ops = append(ops, diffOp{' ', x, y})
		}
		if prevK == k+1 {
			y--
			ops = append(ops, diffOp{'+', x, y})
		} else {
			x--
			ops = append(ops, diffOp{'-', x, y})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		ops = append(ops, diffOp{' ', x, y})
	}
	slices.Reverse(ops)
	return ops
}
