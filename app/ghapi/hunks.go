package ghapi

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/seqdiff"
)

// DiffContext is the number of unchanged lines shown around a change in a hunk, as git and GitHub show.
const DiffContext = 3

// MaxPatchLines bounds the lines of a files-API patch that are parsed.
const MaxPatchLines = 1 << 20

// lineRange is an inclusive range of head-side line numbers.
type lineRange struct{ lo, hi int }

// rangesContain reports whether line is in one of the sorted, disjoint ranges.
func rangesContain(rs []lineRange, line int) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi >= line })
	return i < len(rs) && rs[i].lo <= line
}

// normalize sorts ranges and merges overlapping or adjacent ones.
func normalize(rs []lineRange) []lineRange {
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	var out []lineRange
	for _, r := range rs {
		if r.hi < r.lo {
			continue
		}
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// patchRanges returns the head-side lines (added and context) of GitHub's `patch` text.
func patchRanges(patch string) ([]lineRange, error) {
	if patch == "" {
		return nil, nil
	}
	lines := strings.Split(strings.TrimSuffix(patch, "\n"), "\n")
	if len(lines) > MaxPatchLines {
		return nil, fmt.Errorf("patch of %d lines: at most %d are read", len(lines), MaxPatchLines)
	}
	var rs []lineRange
	newLine := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "@@") {
			n, err := hunkNewStart(l)
			if err != nil {
				return nil, fmt.Errorf("patch line %d: %w", i+1, err)
			}
			newLine = n
			continue
		}
		if newLine < 0 {
			return nil, fmt.Errorf("patch line %d: no hunk header before it", i+1)
		}
		switch {
		case l == "" || l[0] == ' ' || l[0] == '+':
			rs = append(rs, lineRange{newLine, newLine})
			newLine++
		case l[0] == '-' || l[0] == '\\':
		default:
			return nil, fmt.Errorf("patch line %d: unexpected %q", i+1, l[:1])
		}
	}
	return normalize(rs), nil
}

// hunkNewStart returns the first head-side line number of "@@ -a,b +c,d @@ …".
func hunkNewStart(h string) (int, error) {
	f := strings.Fields(h)
	if len(f) < 4 || f[0] != "@@" || f[3] != "@@" || !strings.HasPrefix(f[2], "+") {
		return 0, fmt.Errorf("bad hunk header %q", truncateString(h, 80))
	}
	startS, countS, hasCount := strings.Cut(f[2][1:], ",")
	start, err := strconv.Atoi(startS)
	if err != nil || start < 0 {
		return 0, fmt.Errorf("bad hunk header %q", truncateString(h, 80))
	}
	if hasCount {
		if count, err := strconv.Atoi(countS); err != nil || count < 0 {
			return 0, fmt.Errorf("bad hunk header %q", truncateString(h, 80))
		} else if count == 0 {
			return start + 1, nil
		}
	}
	return start, nil
}

// diffRanges returns the head-side lines in the hunks of the line diff of base and head: every changed
// line and DiffContext unchanged lines on each side of a change. A last line without a newline differs
// from the same line with one, as in git.
func diffRanges(base, head []byte) []lineRange {
	a, b := splitLines(base), splitLines(head)
	edits, _ := seqdiff.Diff(a, b, 0)
	var rs []lineRange
	prevEqual := 0 // length of the equal run before the current change
	for i := 0; i < len(edits); i++ {
		e := edits[i]
		if e.Op == seqdiff.Equal {
			prevEqual = e.A1 - e.A0
			continue
		}
		// A change region: consecutive non-equal edits.
		newStart, newEnd := e.B0, e.B1 // 0-based, half open
		for i+1 < len(edits) && edits[i+1].Op != seqdiff.Equal {
			i++
			newStart, newEnd = min(newStart, edits[i].B0), max(newEnd, edits[i].B1)
		}
		nextEqual := 0
		if i+1 < len(edits) {
			nextEqual = edits[i+1].A1 - edits[i+1].A0
		}
		before, after := min(prevEqual, DiffContext), min(nextEqual, DiffContext)
		// 1-based inclusive: lines newStart+1..newEnd changed, plus context around them.
		rs = append(rs, lineRange{newStart + 1 - before, newEnd + after})
	}
	return normalize(rs)
}

// splitLines splits text into lines that keep their "\n".
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// isBinary is git's heuristic: a NUL byte in the first 8000 bytes.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0
}
