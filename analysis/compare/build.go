package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/compare/jsequiv"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// Minified-file thresholds: a shipped script this large with lines this long is machine output whose
// lines cannot be paired with upstream files one by one (a bundle whose helpers were renamed).
const (
	minifiedMinSize     = 64 << 10
	minifiedMinLineMean = 500
)

// MaxSimilarityBytes bounds the upstream bytes tokenised while looking for a build output's source by
// similarity; past it, the output is reported as unverified rather than as having no source.
const MaxSimilarityBytes = 16 << 20

// minSimilarity is the share of a shipped file's tokens an upstream file must explain to be taken as its
// source when no conventional layout names one.
const minSimilarity = 0.5

// sourceExts are the upstream extensions a build output may come from, in order of preference.
var sourceExts = []string{".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"}

// outputDirs are folders build tools conventionally write to.
var outputDirs = []string{"dist", "build", "lib", "out", "esm", "cjs", "bin"}

// builds checks published JavaScript that has no counterpart at the same upstream path.
type builds struct {
	c        *comparer
	loaded   bool
	opts     jsequiv.Options
	layout   jsequiv.Layout
	notes    []string
	tsconfig string
}

func newBuilds(c *comparer) *builds { return &builds{c: c} }

// chunkName matches the shared chunks code-splitting bundlers write (chunk-ABCD1234.js, chunk-abcd1234.mjs).
var chunkName = regexp.MustCompile(`^chunk-[A-Za-z0-9_-]{6,}\.(?:c|m)?js$`)

var errSimilarityBudget = errors.New("similarity search budget exhausted")

var projectFlag = regexp.MustCompile(`(?:^|\s)(?:-p|--project)\s+(\S+)`)

// load reads the package's tsconfig once (the one `scripts.build` names with -p, else tsconfig.json).
func (b *builds) load(ctx context.Context) {
	if b.loaded {
		return
	}
	b.loaded = true
	name := "tsconfig.json"
	if e, ok := b.c.tree["package.json"]; ok {
		if data, err := b.c.repo.ReadBlob(ctx, e.ID); err == nil {
			if m, err := decodeObject(data); err == nil {
				for _, s := range []string{"build", "compile", "prepare", "prepublishOnly"} {
					if mm := projectFlag.FindStringSubmatch(stringMap(m["scripts"])[s]); mm != nil {
						name = path.Clean(strings.Trim(mm[1], `"'`))
						break
					}
				}
			}
		}
	}
	if strings.HasSuffix(name, "/") || path.Ext(name) != ".json" {
		name = path.Join(name, "tsconfig.json")
	}
	if _, ok := b.c.tree[name]; !ok {
		return
	}
	b.tsconfig = name
	// tsconfig files may extend others anywhere in the repository (a monorepo's root tsconfig), so paths
	// here are repository-relative; the layout is made package-relative again below.
	trees := map[string]map[string]source.Entry{}
	read := func(p string) ([]byte, error) {
		p = path.Clean(p)
		if strings.HasPrefix(p, "../") || p == ".." || path.IsAbs(p) {
			return nil, fmt.Errorf("%s: outside the repository", p)
		}
		dir := path.Dir(p)
		if dir == "." {
			dir = ""
		}
		tree, ok := trees[dir]
		if !ok {
			t, err := b.c.repo.Tree(ctx, b.c.in.Commit, dir)
			if err != nil {
				return nil, err
			}
			tree, trees[dir] = t, t
		}
		e, ok := tree[path.Base(p)]
		if !ok {
			return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
		}
		return b.c.repo.ReadBlob(ctx, e.ID)
	}
	opts, layout, err := jsequiv.TSConfig(path.Join(b.c.in.Dir, name), read)
	if err != nil {
		b.notes = append(b.notes, fmt.Sprintf("upstream %s could not be read (%v); transpiled with defaults", name, err))
		return
	}
	for _, n := range layout.Notes {
		b.notes = append(b.notes, "tsconfig: "+n)
	}
	if b.c.in.Dir != "" {
		layout.RootDir = strings.TrimPrefix(strings.TrimPrefix(layout.RootDir, b.c.in.Dir), "/")
		layout.OutDir = strings.TrimPrefix(strings.TrimPrefix(layout.OutDir, b.c.in.Dir), "/")
	}
	b.opts, b.layout = opts, layout
}

// candidates lists upstream source paths a shipped file conventionally comes from, most likely first.
func (b *builds) candidates(shipped string) []string {
	stem := strings.TrimSuffix(shipped, path.Ext(shipped))
	var stems []string
	if out := strings.Trim(path.Clean(b.layout.OutDir), "/"); out != "" && out != "." {
		if rel, ok := strings.CutPrefix(stem, out+"/"); ok {
			root := strings.Trim(path.Clean(b.layout.RootDir), "/")
			if root == "." {
				root = ""
			}
			stems = append(stems, path.Join(root, rel), path.Join("src", rel))
		}
	}
	first, rest, nested := strings.Cut(stem, "/")
	if nested {
		for _, d := range outputDirs {
			if first == d {
				stems = append(stems, path.Join("src", rest), rest)
				// dist/src/x.js: tsc with rootDir "." keeps the src/ folder.
				if after, ok := strings.CutPrefix(rest, "src/"); ok {
					stems = append(stems, path.Join("src", after))
				}
			}
		}
	}
	stems = append(stems, stem, path.Join("src", stem))
	var out []string
	seen := map[string]bool{}
	for _, s := range stems {
		for _, ext := range sourceExts {
			p := s + ext
			if p == shipped || seen[p] {
				continue
			}
			seen[p] = true
			if _, ok := b.c.tree[p]; ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// output checks one shipped script that is absent at its own path upstream.
func (b *builds) output(ctx context.Context, f archive.File) error {
	c := b.c
	shipped := jsequiv.File{Path: f.Path, Code: f.Data}
	ok, why := jsequiv.IsBundle(shipped)
	if !ok {
		ok, why = minified(f.Path, f.Data)
	}
	if ok {
		c.res.Stats.Built++
		fd := finding.New(finding.RuleUnverifiedBundle, fmt.Sprintf(
			"%s is a bundle (%s): its lines cannot be paired with upstream files one by one", f.Path, why))
		fd.Path = f.Path
		fd.Evidence = c.evidence()
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	b.load(ctx)
	srcPath, sim, err := b.findSource(ctx, shipped)
	if errors.Is(err, errSimilarityBudget) {
		c.res.Stats.Built++
		fd := finding.New(finding.RuleUnverifiedBuild, fmt.Sprintf(
			"%s has no conventional upstream source, and searching every upstream script for it exceeded %d MiB", f.Path, MaxSimilarityBytes>>20))
		fd.Path = f.Path
		fd.Evidence = c.evidence()
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	if err != nil {
		return err
	}
	if srcPath == "" {
		c.res.Stats.AbsentUpstream++
		fd := finding.New(finding.RuleUnsourcedFile, fmt.Sprintf(
			"%s is code with no upstream source: no file at that path, no conventional source (src/, tsconfig rootDir), and no upstream file explains at least %d%% of its tokens",
			f.Path, int(minSimilarity*100)))
		fd.Path = f.Path
		fd.Evidence = c.evidence() + "; git blob " + source.BlobID(f.Data) + " is in no upstream commit"
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	e := c.tree[srcPath]
	code, err := c.repo.ReadBlob(ctx, e.ID)
	if err != nil {
		return fmt.Errorf("read upstream %s: %w", srcPath, err)
	}
	res, err := jsequiv.Compare(shipped, jsequiv.File{Path: srcPath, Code: code}, b.opts)
	repoSrc := path.Join(c.in.Dir, srcPath)
	evidence := fmt.Sprintf("transpiled %s:%s at commit %s (blob %s) in-process with esbuild%s", c.in.Repo.Claim(), repoSrc, c.in.Commit, e.ID, b.configNote())
	if err != nil {
		fd := finding.New(finding.RuleUnverifiedBuild, fmt.Sprintf("%s could not be compared with its upstream source %s: %v", f.Path, repoSrc, err))
		fd.Path = f.Path
		fd.Evidence = evidence
		c.res.Findings = append(c.res.Findings, fd)
		c.res.Stats.Different++
		return nil
	}
	_ = sim
	c.res.Stats.Built++
	for _, r := range res.Runs {
		n := r.EndLine - r.StartLine + 1
		fd := finding.New(finding.RuleForeignCode, fmt.Sprintf(
			"%d published %s of %s %s code that its upstream source %s does not produce (%d tokens)",
			n, plural(n, "line", "lines"), f.Path, plural(n, "holds", "hold"), repoSrc, r.Tokens))
		fd.Path = f.Path
		fd.Line = r.StartLine
		fd.Snippet = prefixLines(r.Text, "+")
		fd.Evidence = fmt.Sprintf("%s; %d shipped tokens, %d from the source, %d unexplained", evidence, res.ShippedTokens, res.SourceTokens, res.Unexplained)
		c.res.Findings = append(c.res.Findings, fd)
	}
	return nil
}

func (b *builds) configNote() string {
	if b.tsconfig == "" {
		return " (no tsconfig: defaults)"
	}
	return " with the options of " + b.tsconfig
}

// minified reports whether a script is large and made of very long lines, or starts with esbuild's
// module-interop runtime (whose helper names minification renamed, so IsBundle's name check misses it).
func minified(name string, code []byte) (bool, string) {
	if chunkName.MatchString(path.Base(name)) {
		return true, "a code-splitting chunk (esbuild/tsup/rollup chunk-<hash> file)"
	}
	head := code[:min(len(code), 4096)]
	if bytes.Contains(head, []byte("Object.getOwnPropertyNames")) && bytes.Contains(head, []byte("Object.getPrototypeOf")) &&
		bytes.Contains(head, []byte("Object.prototype.hasOwnProperty")) && bytes.Contains(code, []byte(`Dynamic require of "`)) {
		return true, "esbuild's module runtime, minified"
	}
	if len(code) < minifiedMinSize {
		return false, ""
	}
	lines := bytes.Count(code, []byte("\n")) + 1
	if mean := len(code) / lines; mean >= minifiedMinLineMean {
		return true, fmt.Sprintf("minified: %d bytes in %d lines", len(code), lines)
	}
	return false, ""
}

// explains reports whether a conventional upstream source of f (src/…, the tsconfig rootDir) transpiles to
// f with no unexplained token.
func (b *builds) explains(ctx context.Context, f archive.File) (bool, error) {
	b.load(ctx)
	for _, p := range b.candidates(f.Path) {
		code, err := b.c.repo.ReadBlob(ctx, b.c.tree[p].ID)
		if err != nil {
			return false, fmt.Errorf("read upstream %s: %w", p, err)
		}
		res, err := jsequiv.Compare(jsequiv.File{Path: f.Path, Code: f.Data}, jsequiv.File{Path: p, Code: code}, b.opts)
		if err == nil && res.Unexplained == 0 {
			return true, nil
		}
	}
	return false, nil
}

// findSource picks the upstream file a shipped script was built from: a conventional path first, else the
// upstream script that explains most of its tokens.
func (b *builds) findSource(ctx context.Context, shipped jsequiv.File) (string, float64, error) {
	if cands := b.candidates(shipped.Path); len(cands) > 0 {
		return cands[0], 1, nil
	}
	var paths []string
	for p := range b.c.tree {
		if scriptExt[path.Ext(p)] && !strings.Contains(p, "node_modules/") && !strings.HasSuffix(p, ".d.ts") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	if len(paths) > MaxSourceCandidates {
		paths = paths[:MaxSourceCandidates]
	}
	best, bestSim := "", 0.0
	budget := MaxSimilarityBytes
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		e := b.c.tree[p]
		data, err := b.c.repo.ReadBlob(ctx, e.ID)
		if err != nil {
			return "", 0, fmt.Errorf("read upstream %s: %w", p, err)
		}
		if len(data)*10 < len(shipped.Code) {
			continue // far too small to be where most of the shipped file came from
		}
		if budget -= len(data); budget < 0 {
			return "", 0, errSimilarityBudget
		}
		sim, err := jsequiv.Similarity(shipped, jsequiv.File{Path: p, Code: data}, b.opts)
		if err != nil {
			continue // an upstream file esbuild cannot read is simply not this file's source
		}
		if sim > bestSim {
			best, bestSim = p, sim
		}
	}
	if bestSim < minSimilarity {
		return "", bestSim, nil
	}
	return best, bestSim, nil
}

// sourceMap checks a shipped source map's sourcesContent against upstream files.
func (b *builds) sourceMap(ctx context.Context, f archive.File) error {
	c := b.c
	c.res.Stats.Built++
	lookup := func(p string) ([]byte, bool) {
		e, ok := c.tree[p]
		if !ok {
			return nil, false
		}
		data, err := c.repo.ReadBlob(ctx, e.ID)
		return data, err == nil
	}
	mismatches, err := jsequiv.CheckSourceMap(f.Data, f.Path, lookup)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		c.res.Findings = append(c.res.Findings, finding.Finding{Rule: finding.RuleSourceMapMismatch, Severity: finding.Info,
			Message: fmt.Sprintf("%s could not be read as a source map: %v", f.Path, err), Path: f.Path})
		return nil
	}
	for _, m := range mismatches {
		var fd finding.Finding
		switch m.Kind {
		case jsequiv.ContentDiffers:
			fd = finding.New(finding.RuleSourceMapMismatch, fmt.Sprintf(
				"%s embeds a source for %s whose content differs from upstream (%d %s not upstream, first at line %d of the embedded source)",
				f.Path, m.Source, m.Lines, plural(m.Lines, "line", "lines"), m.Line))
			fd.Snippet = prefixLines(m.Text, "+")
		case jsequiv.NotUpstream:
			fd = finding.New(finding.RuleSourceMapMismatch, fmt.Sprintf(
				"%s embeds a source for %s, which is not in the upstream repository", f.Path, m.Source))
			fd.Severity = finding.Warn
		default:
			continue // a map without content, or naming a URL, claims nothing that can be checked
		}
		fd.Path = f.Path
		fd.Evidence = c.evidence()
		c.res.Findings = append(c.res.Findings, fd)
	}
	return nil
}

func prefixLines(s, mark string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if len(l) > 300 {
			l = l[:300] + "…"
		}
		lines[i] = mark + l
	}
	return strings.Join(lines, "\n") + "\n"
}
