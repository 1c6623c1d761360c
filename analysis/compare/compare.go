// Package compare accounts for every file of a published package against its upstream repository at one
// commit: identical (same git blob), identical to another upstream version of that path, built from an
// upstream source (checked token by token with jsequiv), different (line diff, with the published lines found
// in no upstream version of that path as findings), or absent upstream.
//
// It reads the repository only through analysis/source and never executes anything. It must not import
// app/, action/ or any GitHub client.
package compare

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// Limits bound the work done for one package.
const (
	// MaxHistoryVersions is how many upstream versions of one path are read to decide whether a published
	// line exists anywhere in that path's history.
	MaxHistoryVersions = 500
	// MaxHistoryBytes bounds the bytes read for one path's history.
	MaxHistoryBytes = 64 << 20
	// MaxLineDiffCost bounds the line diff of one file (edit distance in lines).
	MaxLineDiffCost = 20000
	// MaxSourceCandidates bounds the upstream files tried as the source of one build output when no
	// conventional layout names it.
	MaxSourceCandidates = 200
	// MaxListed is how many paths one aggregated finding lists.
	MaxListed = 10
	// contextLines is the number of unchanged lines shown around foreign lines.
	contextLines = 2
)

// Input is one published package and the upstream commit to compare it with.
type Input struct {
	Files  []archive.File
	Repo   *source.Repo
	Dir    string // folder of the package in the repository ("" = root)
	Commit string // full commit id
}

// Result is what the comparison found.
type Result struct {
	Findings []finding.Finding
	Stats    report.FileStats
	// Notes are facts about how the comparison was made (e.g. a tsconfig that could not be read).
	Notes []string
}

type comparer struct {
	in     Input
	repo   *source.Repo
	tree   map[string]source.Entry
	index  *source.Index
	res    *Result
	absent []string
	build  *builds
}

// Published compares every published file with the upstream tree at in.Commit.
func Published(ctx context.Context, in Input) (*Result, error) {
	tree, err := in.Repo.Tree(ctx, in.Commit, in.Dir)
	if err != nil {
		return nil, fmt.Errorf("read upstream tree at %s: %w", report.ShortCommit(in.Commit), err)
	}
	ix, err := in.Repo.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("index upstream history: %w", err)
	}
	c := &comparer{in: in, repo: in.Repo, tree: tree, index: ix, res: &Result{}}
	c.build = newBuilds(c)
	files := append([]archive.File(nil), in.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.res.Stats.Total++
		if err := c.file(ctx, f); err != nil {
			return nil, err
		}
	}
	c.res.Notes = append(c.res.Notes, c.build.notes...)
	if len(c.absent) > 0 {
		c.res.Stats.AbsentUpstream += len(c.absent)
		msg := fmt.Sprintf("%d published %s not in the upstream repository (not code): %s",
			len(c.absent), plural(len(c.absent), "file is", "files are"), list(c.absent))
		f := finding.New(finding.RuleAbsentFiles, msg)
		f.Evidence = c.evidence()
		c.res.Findings = append(c.res.Findings, f)
	}
	return c.res, nil
}

func (c *comparer) file(ctx context.Context, f archive.File) error {
	id := source.BlobID(f.Data)
	if f.Path == "package.json" {
		return c.manifest(ctx, f)
	}
	up, inTree := c.tree[f.Path]
	if inTree && up.ID == id {
		c.res.Stats.Identical++
		return nil
	}
	repoPath := path.Join(c.in.Dir, f.Path)
	for _, v := range c.index.PathVersions(repoPath) {
		if v.Blob == id {
			c.res.Stats.OtherVersion++
			fd := finding.New(finding.RuleOlderUpstreamVersion, fmt.Sprintf(
				"%s equals the upstream version of %s from commit %s, not the one at the compared commit %s",
				f.Path, repoPath, report.ShortCommit(v.Commit), report.ShortCommit(c.in.Commit)))
			fd.Path = f.Path
			fd.Evidence = fmt.Sprintf("git blob %s at %s@%s", id, repoPath, report.ShortCommit(v.Commit))
			c.res.Findings = append(c.res.Findings, fd)
			return nil
		}
	}
	if inTree {
		return c.different(ctx, f, up)
	}
	if at := c.index.BlobPaths(id); len(at) > 0 {
		c.res.Stats.OtherVersion++
		fd := finding.New(finding.RuleOlderUpstreamVersion, fmt.Sprintf(
			"%s is absent at the compared path but equals upstream %s (commit %s)", f.Path, at[0].Path, report.ShortCommit(at[0].Commit)))
		fd.Path = f.Path
		fd.Evidence = fmt.Sprintf("git blob %s at %s@%s", id, at[0].Path, report.ShortCommit(at[0].Commit))
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	switch kindOf(f) {
	case kindDeclaration:
		c.res.Stats.Built++
		return nil
	case kindSourceMap:
		return c.build.sourceMap(ctx, f)
	case kindScript:
		return c.build.output(ctx, f)
	case kindExecutable:
		c.res.Stats.AbsentUpstream++
		fd := finding.New(finding.RuleUnsourcedFile, fmt.Sprintf(
			"%s is executable content (%s) that exists in no upstream commit", f.Path, describeKind(f)))
		fd.Path = f.Path
		fd.Evidence = c.evidence() + "; git blob " + id + " is in no upstream commit"
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	c.absent = append(c.absent, f.Path)
	return nil
}

// different compares a published file with the upstream file at the same path, line by line.
func (c *comparer) different(ctx context.Context, f archive.File, up source.Entry) error {
	upData, err := c.repo.ReadBlob(ctx, up.ID)
	if err != nil {
		return fmt.Errorf("read upstream %s: %w", f.Path, err)
	}
	repoPath := path.Join(c.in.Dir, f.Path)
	doc := kindOf(f) == kindDoc
	if isBinary(f.Data) || isBinary(upData) {
		c.res.Stats.Different++
		fd := finding.New(finding.RuleForeignLines, fmt.Sprintf(
			"binary file %s differs from upstream and equals no upstream version of it", f.Path))
		fd.Path = f.Path
		fd.Evidence = fmt.Sprintf("published git blob %s; upstream %s@%s is blob %s", source.BlobID(f.Data), repoPath, report.ShortCommit(c.in.Commit), up.ID)
		c.add(fd, doc)
		return nil
	}
	pub := splitLines(f.Data)
	added, removed := lineDiff(splitLines(upData), pub)
	if len(added) == 0 && removed == 0 {
		c.res.Stats.Identical++ // only line endings or the final newline differ
		return nil
	}
	history, partial, err := c.historyLines(ctx, repoPath)
	if err != nil {
		return err
	}
	var foreign []int // 0-based published line numbers
	fromHistory := 0
	for _, i := range added {
		key := lineKey(pub[i])
		if key == "" {
			continue
		}
		if _, ok := history[key]; ok {
			fromHistory++
			continue
		}
		foreign = append(foreign, i)
	}
	if len(foreign) > 0 && kindOf(f) == kindScript {
		// A committed build output that was rebuilt at publish time: accept it when its upstream source
		// transpiles to exactly this file.
		ok, err := c.build.explains(ctx, f)
		if err != nil {
			return err
		}
		if ok {
			c.res.Stats.Built++
			return nil
		}
	}
	c.res.Stats.Different++
	runs := groupRuns(pub, foreign)
	for _, r := range runs {
		n := countIn(foreign, r)
		fd := finding.New(finding.RuleForeignLines, fmt.Sprintf(
			"%d published %s of %s %s in no upstream commit of that file",
			n, plural(n, "line", "lines"), f.Path, plural(n, "exists", "exist")))
		fd.Path = f.Path
		fd.Line = r.start + 1
		fd.Snippet = snippet(pub, r, foreign)
		fd.Evidence = fmt.Sprintf("compared with %s:%s at commit %s (blob %s) and checked against all %d upstream versions of that path%s",
			c.in.Repo.Claim(), repoPath, c.in.Commit, up.ID, len(c.index.PathVersions(repoPath)), partialNote(partial))
		c.add(fd, doc)
	}
	if len(runs) == 0 {
		fd := finding.New(finding.RuleFileDiffers, fmt.Sprintf(
			"%s differs from upstream at %s, but every added line exists in some upstream version (%d %s from other versions, %d upstream %s missing)",
			f.Path, report.ShortCommit(c.in.Commit), fromHistory, plural(fromHistory, "line", "lines"), removed, plural(removed, "line", "lines")))
		fd.Path = f.Path
		fd.Evidence = fmt.Sprintf("%s:%s at commit %s (blob %s)", c.in.Repo.Claim(), repoPath, c.in.Commit, up.ID)
		c.add(fd, doc)
	}
	return nil
}

// add records a finding; findings about documentation (which nothing executes) are at most warnings.
func (c *comparer) add(fd finding.Finding, doc bool) {
	if doc && fd.Severity == finding.Block {
		fd.Severity = finding.Warn
		fd.Message += " (documentation: not executed)"
	}
	c.res.Findings = append(c.res.Findings, fd)
}

func partialNote(partial bool) string {
	if partial {
		return " (history read only in part: limits reached)"
	}
	return ""
}

// historyLines returns the set of normalised lines of every upstream version of repoPath (bounded).
func (c *comparer) historyLines(ctx context.Context, repoPath string) (map[string]struct{}, bool, error) {
	set := make(map[string]struct{})
	var total int64
	partial := c.index.Truncated()
	for i, v := range c.index.PathVersions(repoPath) {
		if i >= MaxHistoryVersions || total > MaxHistoryBytes {
			partial = true
			break
		}
		data, err := c.repo.ReadBlob(ctx, v.Blob)
		if err != nil {
			return nil, false, fmt.Errorf("read upstream %s@%s: %w", repoPath, report.ShortCommit(v.Commit), err)
		}
		total += int64(len(data))
		for _, l := range splitLines(data) {
			if k := lineKey(l); k != "" {
				set[k] = struct{}{}
			}
		}
	}
	return set, partial, nil
}

func (c *comparer) evidence() string {
	dir := c.in.Dir
	if dir == "" {
		dir = "/"
	}
	return fmt.Sprintf("upstream %s folder %s at commit %s", c.in.Repo.Claim(), dir, c.in.Commit)
}

// lineKey normalises a line for history lookups: surrounding whitespace does not change what code does.
func lineKey(s string) string { return strings.TrimSpace(s) }

func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

func isBinary(b []byte) bool {
	if len(b) > 8000 {
		b = b[:8000]
	}
	return bytes.IndexByte(b, 0) >= 0
}

type run struct{ start, end int } // half-open, 0-based published lines

// groupRuns joins foreign lines separated only by blank lines.
func groupRuns(lines []string, foreign []int) []run {
	var runs []run
	for _, i := range foreign {
		if n := len(runs); n > 0 {
			last := &runs[n-1]
			gap := true
			for j := last.end; j < i; j++ {
				if strings.TrimSpace(lines[j]) != "" {
					gap = false
					break
				}
			}
			if gap {
				last.end = i + 1
				continue
			}
		}
		runs = append(runs, run{i, i + 1})
	}
	return runs
}

// countIn counts the foreign lines inside a run (runs may span blank lines).
func countIn(foreign []int, r run) int {
	n := 0
	for _, i := range foreign {
		if i >= r.start && i < r.end {
			n++
		}
	}
	return n
}

// snippet renders a run with context as a unified-diff fragment of the published file.
func snippet(lines []string, r run, foreign []int) string {
	isForeign := make(map[int]bool, len(foreign))
	for _, i := range foreign {
		isForeign[i] = true
	}
	from, to := max(0, r.start-contextLines), min(len(lines), r.end+contextLines)
	var b strings.Builder
	for i := from; i < to; i++ {
		mark := " "
		if isForeign[i] {
			mark = "+"
		}
		line := lines[i]
		if len(line) > 300 {
			line = line[:300] + "…"
		}
		b.WriteString(mark + line + "\n")
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func list(paths []string) string {
	if len(paths) <= MaxListed {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:MaxListed], ", ") + fmt.Sprintf(" and %d more", len(paths)-MaxListed)
}
