package analysis

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/compare"
	"github.com/mcpvet/mcpvet/analysis/deps/lockfile"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/registry"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/rules"
	"github.com/mcpvet/mcpvet/analysis/signals"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// BundleLimits bound the search for what explains the endpoints and capabilities an MCP server's bundle
// gained since the previous version (upstream files at the compared commit, then the tarballs of the
// dependencies the upstream lockfile pins). A zero field means its default. When a limit stops the search
// before every value is explained, the values left are reported as diff/unexplained-bundle-change marked
// unverified, never passed.
type BundleLimits struct {
	// MaxSourceFiles bounds the upstream files read at the compared commit (DefaultBundleMaxSourceFiles).
	MaxSourceFiles int
	// MaxSourceBytes bounds the bytes of upstream files read (DefaultBundleMaxSourceBytes). The file that
	// would cross it is not read.
	MaxSourceBytes int64
	// MaxDependencies bounds the dependency tarballs fetched (DefaultBundleMaxDependencies).
	MaxDependencies int
	// MaxDependencyBytes bounds the unpacked bytes of dependency files read, over all dependencies
	// (DefaultBundleMaxDependencyBytes). The file that would cross it is not read.
	MaxDependencyBytes int64
	// MaxFindings bounds the unexplained values reported one by one for a package; the rest are counted
	// in one more finding (DefaultBundleMaxFindings).
	MaxFindings int
}

// Defaults of BundleLimits.
const (
	// DefaultBundleMaxSourceFiles admits the trees of large monorepos (tens of thousands of files).
	DefaultBundleMaxSourceFiles = 20_000
	// DefaultBundleMaxSourceBytes is four times the per-package scan limit of analysis/signals.
	DefaultBundleMaxSourceBytes int64 = 256 << 20
	// DefaultBundleMaxDependencies admits every changed pin of an ordinary dependency bump; a bundle whose
	// whole dependency tree changed at once is searched in part and reported as unverified.
	DefaultBundleMaxDependencies = 50
	// DefaultBundleMaxDependencyBytes bounds what the dependency tarballs add to the scan.
	DefaultBundleMaxDependencyBytes int64 = 256 << 20
	// DefaultBundleMaxFindings matches signals.MaxFindingsPerRule.
	DefaultBundleMaxFindings = signals.MaxFindingsPerRule
)

func (l BundleLimits) withDefaults() BundleLimits {
	if l.MaxSourceFiles <= 0 {
		l.MaxSourceFiles = DefaultBundleMaxSourceFiles
	}
	if l.MaxSourceBytes <= 0 {
		l.MaxSourceBytes = DefaultBundleMaxSourceBytes
	}
	if l.MaxDependencies <= 0 {
		l.MaxDependencies = DefaultBundleMaxDependencies
	}
	if l.MaxDependencyBytes <= 0 {
		l.MaxDependencyBytes = DefaultBundleMaxDependencyBytes
	}
	if l.MaxFindings <= 0 {
		l.MaxFindings = DefaultBundleMaxFindings
	}
	return l
}

// lockfileNames are the npm lockfiles looked for in the package folder and then the repository root, in
// order of preference.
var lockfileNames = []string{"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"}

// binaryExts are extensions of files that are never searched (nothing in them is a JS literal).
var binaryExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".ico": true, ".webp": true, ".bmp": true, ".avif": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".tar": true,
	".pdf": true, ".mp3": true, ".mp4": true, ".mov": true, ".wav": true, ".ogg": true,
	".wasm": true, ".node": true, ".so": true, ".dylib": true, ".dll": true, ".exe": true, ".jar": true,
	".class": true, ".pyc": true, ".lockb": true,
}

// codeExts are searched first: they are where a bundle's code comes from.
var codeExts = map[string]bool{".ts": true, ".tsx": true, ".mts": true, ".cts": true, ".js": true, ".jsx": true, ".mjs": true, ".cjs": true}

// bundleCheck is what explainBundles needs from one review.
type bundleCheck struct {
	req     *Request
	pack    *registry.Packument
	changes *signals.Changes
	cmp     *compare.Result
	up      *upstream
	res     *source.Resolution
}

// bundleSearch is one package's search in progress.
type bundleSearch struct {
	e      *Engine
	bc     bundleCheck
	lim    BundleLimits
	finder *signals.Finder
	found  map[string]string // rule + "\x00" + key → where upstream the value was found
	// tree is the upstream tree at the compared commit, once read.
	tree map[string]source.Entry
	// gaps say what could not be searched; they matter only when some value stays unexplained.
	gaps []string
	// searched describes what was searched, for evidence.
	searched []string
	// depNote says which dependencies were searched and why ("" before the dependency step).
	depNote string
	// depPhrase is how messages name the dependencies that were candidates.
	depPhrase string
}

func valueKey(rule, key string) string { return rule + "\x00" + key }

// explainBundles decides, for every endpoint and capability that a file the comparison classed as a bundle
// (or as build output it could not pair with a source) gained since the previous version, whether upstream
// explains it: the value occurs in the upstream tree at the compared commit, or in the published tarball of
// a dependency the upstream lockfile pins there (those whose pin changed since the previous version's
// commit, when that commit and its lockfile can be read; else all, production first). Explained values
// leave their diff/ findings as they are, with the explanation added to the evidence; each unexplained one
// becomes a diff/unexplained-bundle-change finding (block), marked unverified when the search was
// incomplete. Only MCP servers with a previous version are checked. It returns an error only when ctx is
// done.
func (e *Engine) explainBundles(ctx context.Context, bc bundleCheck, p *report.Package) error {
	if !bc.req.MCP || bc.changes == nil || bc.changes.From == nil || bc.res == nil || bc.res.Commit == "" {
		return nil
	}
	var paths []string
	isBundle := map[string]bool{}
	for _, f := range bc.cmp.Findings {
		if (f.Rule == finding.RuleUnverifiedBundle || f.Rule == finding.RuleUnverifiedBuild) && f.Path != "" && !isBundle[f.Path] {
			isBundle[f.Path] = true
			paths = append(paths, f.Path)
		}
	}
	sort.Strings(paths)
	s := &bundleSearch{e: e, bc: bc, lim: e.cfg.Bundle.withDefaults(), found: map[string]string{}, depPhrase: "a dependency its lockfile pins"}
	var vals []signals.Value
	for _, pth := range paths {
		v, partial := bc.changes.NewValues(pth)
		vals = append(vals, v...)
		if partial != "" {
			s.gaps = append(s.gaps, partial)
			f := unexplainedFinding(fmt.Sprintf("Part of the bundle %s was not checked for what it gained since %s: %s.", pth, bc.req.From, partial), true)
			f.Path = pth
			if file, ok := bc.changes.To.File(pth); ok {
				f.Evidence = fmt.Sprintf("%s of %s@%s: %d bytes, git blob %s", pth, bc.req.Name, bc.req.To, len(file.Data), source.BlobID(file.Data))
			}
			p.Findings = append(p.Findings, f)
		}
	}
	matched, unmatched := bundleDeltaFindings(p.Findings, isBundle, vals)
	if len(vals) == 0 && len(unmatched) == 0 {
		return nil
	}
	e.progress("%s@%s: looking upstream for what %d %s gained", bc.req.Name, bc.req.To, len(paths), pluralWord(len(paths), "bundle", "bundles"))
	s.finder = signals.NewFinder(vals)
	if err := s.searchSource(ctx); err != nil {
		return err
	}
	if s.finder.Remaining() > 0 {
		if err := s.searchDependencies(ctx); err != nil {
			return err
		}
	}
	s.report(p, vals, matched, unmatched)
	return nil
}

// bundleDeltaFindings sorts the indexes of the diff/new-endpoint and diff/new-capability findings in bundle
// files into those a value stands for (found by message) and those none does: a second reading of the
// file, with limits of its own, saw something else. Those cannot be explained, and are reported as
// unverified.
func bundleDeltaFindings(fs []finding.Finding, isBundle map[string]bool, vals []signals.Value) (matched map[int]signals.Value, unmatched []int) {
	byMsg := map[string]signals.Value{}
	for _, v := range vals {
		byMsg[v.Message] = v
	}
	matched = map[int]signals.Value{}
	for i, f := range fs {
		if (f.Rule != signals.RuleNewEndpoint && f.Rule != signals.RuleNewCapability) || !isBundle[f.Path] {
			continue
		}
		if v, ok := byMsg[f.Message]; ok {
			matched[i] = v
		} else {
			unmatched = append(unmatched, i)
		}
	}
	return matched, unmatched
}

// sourceTier orders the upstream files searched: code in the package folder, other files there, code
// elsewhere, the rest.
func sourceTier(p, dir string) int {
	t := 0
	if dir != "" && !strings.HasPrefix(p, dir+"/") {
		t = 2
	}
	if !codeExts[strings.ToLower(path.Ext(p))] {
		t++
	}
	return t
}

// searchSource reads the upstream tree at the compared commit, bounded by MaxSourceFiles and
// MaxSourceBytes, until every value is found.
func (s *bundleSearch) searchSource(ctx context.Context) error {
	repo, commit, dir := s.bc.up.repo, s.bc.res.Commit, s.bc.res.Directory
	tree, err := s.treeAt(ctx, commit)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.gaps = append(s.gaps, fmt.Sprintf("the upstream tree at %s could not be read: %v", report.ShortCommit(commit), err))
		return nil
	}
	names := make([]string, 0, len(tree))
	for name, ent := range tree {
		if ent.Mode == "120000" || ent.Mode == "160000" || binaryExts[strings.ToLower(path.Ext(name))] {
			continue // symlinks, submodules, binaries by name
		}
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		ti, tj := sourceTier(names[i], dir), sourceTier(names[j], dir)
		if ti != tj {
			return ti < tj
		}
		return names[i] < names[j]
	})
	var files int
	var bytesRead int64
	defer func() {
		s.searched = append(s.searched, fmt.Sprintf("%d upstream %s (%d bytes) of %s at %s",
			files, pluralWord(files, "file", "files"), bytesRead, s.bc.up.claim.String(), commit))
	}()
	for i, name := range names {
		if s.finder.Remaining() == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if files >= s.lim.MaxSourceFiles {
			s.gaps = append(s.gaps, fmt.Sprintf("%d upstream files were not read: the limit of %d files was reached", len(names)-i, s.lim.MaxSourceFiles))
			return nil
		}
		data, err := repo.ReadBlob(ctx, tree[name].ID)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.gaps = append(s.gaps, fmt.Sprintf("upstream %s could not be read: %v", displayName(name), err))
			continue
		}
		if bytesRead+int64(len(data)) > s.lim.MaxSourceBytes {
			s.gaps = append(s.gaps, fmt.Sprintf("%d upstream files were not read: the limit of %d bytes was reached", len(names)-i, s.lim.MaxSourceBytes))
			return nil
		}
		files++
		bytesRead += int64(len(data))
		hits, partial := s.finder.Find(name, data)
		if partial != "" {
			s.gaps = append(s.gaps, "upstream "+partial)
		}
		for _, h := range hits {
			s.found[valueKey(h.Rule, h.Key)] = fmt.Sprintf("upstream %s:%d at %s", displayName(name), h.Line, report.ShortCommit(commit))
		}
	}
	return nil
}

// treeAt reads the upstream tree at commit; the compared commit's tree is read once for the source and
// the lockfile.
func (s *bundleSearch) treeAt(ctx context.Context, commit string) (map[string]source.Entry, error) {
	if commit == s.bc.res.Commit && s.tree != nil {
		return s.tree, nil
	}
	tree, err := s.bc.up.repo.Tree(ctx, commit, "")
	if err == nil && commit == s.bc.res.Commit {
		s.tree = tree
	}
	return tree, err
}

// lockAt is one lockfile read at one commit.
type lockAt struct {
	path string
	res  *lockfile.Result
}

// readLockfile finds and reads the npm lockfile of the package folder (else the repository root) at
// commit. It returns nil and why when there is none or it cannot be read.
func (s *bundleSearch) readLockfile(ctx context.Context, commit string) (*lockAt, string, error) {
	repo, dir := s.bc.up.repo, s.bc.res.Directory
	tree, err := s.treeAt(ctx, commit)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, fmt.Sprintf("the upstream tree at %s could not be read: %v", report.ShortCommit(commit), err), nil
	}
	dirs := []string{dir}
	if dir != "" {
		dirs = append(dirs, "")
	}
	for _, d := range dirs {
		for _, name := range lockfileNames {
			p := path.Join(d, name)
			ent, ok := tree[p]
			if !ok || ent.Mode == "120000" || ent.Mode == "160000" {
				continue
			}
			data, err := repo.ReadBlob(ctx, ent.ID)
			if err != nil {
				if ctx.Err() != nil {
					return nil, "", ctx.Err()
				}
				return nil, fmt.Sprintf("the lockfile %s at %s could not be read: %v", p, report.ShortCommit(commit), err), nil
			}
			res, err := lockfile.Extract(ctx, p, data)
			if err != nil {
				if ctx.Err() != nil {
					return nil, "", ctx.Err()
				}
				return nil, fmt.Sprintf("the lockfile %s at %s could not be read: %v", p, report.ShortCommit(commit), err), nil
			}
			return &lockAt{path: p, res: res}, "", nil
		}
	}
	where := "the repository root"
	if dir != "" {
		where = dir + " or the repository root"
	}
	return nil, fmt.Sprintf("no npm lockfile (%s) in %s at %s, so which dependency versions were bundled is unknown", strings.Join(lockfileNames, ", "), where, report.ShortCommit(commit)), nil
}

// fromCommit resolves the commit the previous version was published from, or "" with why not.
func (s *bundleSearch) fromCommit(ctx context.Context) (string, string, error) {
	from := s.bc.changes.From
	m, ok := s.bc.pack.Versions[s.bc.req.From]
	if !ok {
		return "", "the previous version is not in the registry", nil
	}
	rr := resolveRequest(m, from)
	rr.Directory = s.bc.up.claim.Directory
	res, err := source.Resolve(ctx, s.bc.up.repo, rr)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", fmt.Sprintf("the commit of %s could not be resolved: %v", s.bc.req.From, err), nil
	}
	if res.Commit == "" {
		return "", fmt.Sprintf("no upstream commit matches %s", s.bc.req.From), nil
	}
	return res.Commit, "", nil
}

// depKey identifies a pinned registry package; it is shown through displayName.
func depKey(d lockfile.Dep) string { return displayName(d.Name + "@" + d.Version) }

// maxDisplayName bounds a repository path or package name quoted in a message.
const maxDisplayName = 300

// displayName makes a name read from a hostile repository, lockfile or tarball safe to show: names with
// control or format characters (newlines, terminal escapes, bidi overrides) are quoted, and long ones cut.
func displayName(s string) string {
	cut := len(s) > maxDisplayName
	if cut {
		s = strings.ToValidUTF8(s[:maxDisplayName], "")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	if cut {
		s += "…"
	}
	return s
}

// searchDependencies reads the tarballs of the dependencies the upstream lockfile pins at the compared
// commit: those whose pin changed since the previous version's commit when that can be told, else all of
// them (production first), at most MaxDependencies.
func (s *bundleSearch) searchDependencies(ctx context.Context) error {
	commit := s.bc.res.Commit
	to, why, err := s.readLockfile(ctx, commit)
	if err != nil {
		return err
	}
	if to == nil {
		s.gaps = append(s.gaps, why)
		s.depNote = "no dependency was searched: " + why
		s.depPhrase = "a pinned dependency (no lockfile could be read)"
		return nil
	}
	var pinned []lockfile.Dep
	seen := map[string]bool{}
	for _, d := range to.res.Deps {
		if d.Ecosystem != lockfile.NPM || d.Opaque || d.Version == "" || (d.Source != "" && d.Source != lockfile.SourceRegistry) || seen[depKey(d)] {
			continue
		}
		seen[depKey(d)] = true
		pinned = append(pinned, d)
	}
	sort.SliceStable(pinned, func(i, j int) bool {
		if pinned[i].Dev != pinned[j].Dev {
			return !pinned[i].Dev
		}
		return depKey(pinned[i]) < depKey(pinned[j])
	})
	cands := pinned
	fromSHA, why, err := s.fromCommit(ctx)
	if err != nil {
		return err
	}
	var fromLock *lockAt
	if fromSHA != "" {
		if fromLock, why, err = s.readLockfile(ctx, fromSHA); err != nil {
			return err
		}
	}
	changedOnly := fromLock != nil
	if changedOnly {
		before := map[string]bool{}
		for _, d := range fromLock.res.Deps {
			before[depKey(d)] = true
		}
		cands = nil
		for _, d := range pinned {
			if !before[depKey(d)] {
				cands = append(cands, d)
			}
		}
		s.depNote = fmt.Sprintf("%s pins %d %s at %s that %s did not pin at %s (the commit of %s)",
			to.path, len(cands), pluralWord(len(cands), "dependency version", "dependency versions"), report.ShortCommit(commit),
			fromLock.path, report.ShortCommit(fromSHA), s.bc.req.From)
		s.depPhrase = "a dependency whose pin changed in its lockfile"
	} else {
		s.depNote = fmt.Sprintf("which pins changed since %s is unknown (%s), so all %d registry dependencies %s pins at %s were candidates",
			s.bc.req.From, why, len(pinned), to.path, report.ShortCommit(commit))
	}
	if len(cands) > s.lim.MaxDependencies {
		s.gaps = append(s.gaps, fmt.Sprintf("%d of %d candidate dependencies were not searched: the limit of %d dependencies was reached",
			len(cands)-s.lim.MaxDependencies, len(cands), s.lim.MaxDependencies))
		cands = cands[:s.lim.MaxDependencies]
	}
	var names []string
	budget, exhausted := s.lim.MaxDependencyBytes, false
	for _, d := range cands {
		if s.finder.Remaining() == 0 || exhausted {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		names = append(names, depKey(d))
		pkg, why, err := s.fetchDependency(ctx, d)
		if err != nil {
			return err
		}
		if pkg == nil {
			s.gaps = append(s.gaps, why)
			continue
		}
		pinnedAt := to.path
		if lines := to.res.Index.Lines(d); len(lines) > 0 {
			pinnedAt = fmt.Sprintf("%s:%d", to.path, lines[0])
		}
		for _, f := range pkg.Files {
			if s.finder.Remaining() == 0 {
				break
			}
			if int64(len(f.Data)) > budget {
				s.gaps = append(s.gaps, fmt.Sprintf("%s of %s and later files were not read: the limit of %d dependency bytes was reached", displayName(f.Path), depKey(d), s.lim.MaxDependencyBytes))
				exhausted = true
				break
			}
			budget -= int64(len(f.Data))
			hits, partial := s.finder.Find(f.Path, f.Data)
			if partial != "" {
				s.gaps = append(s.gaps, depKey(d)+": "+partial)
			}
			for _, h := range hits {
				s.found[valueKey(h.Rule, h.Key)] = fmt.Sprintf("dependency %s (%s:%d; pinned in %s at %s)",
					depKey(d), displayName(f.Path), h.Line, pinnedAt, report.ShortCommit(commit))
			}
		}
	}
	if len(names) > 0 {
		s.searched = append(s.searched, "the published tarballs of "+listWords(names))
	}
	return nil
}

// fetchDependency downloads and unpacks one pinned dependency through the registry client (integrity
// checked, cached). It returns nil and why when that fails for a reason other than ctx.
func (s *bundleSearch) fetchDependency(ctx context.Context, d lockfile.Dep) (*archive.Package, string, error) {
	fail := func(err error) (*archive.Package, string, error) {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, fmt.Sprintf("dependency %s could not be fetched: %v", depKey(d), err), nil
	}
	pack, err := s.e.cfg.Registry.Packument(ctx, d.Name)
	if err != nil {
		return fail(err)
	}
	m, ok := pack.Versions[d.Version]
	if !ok {
		return nil, fmt.Sprintf("dependency %s is not in the registry", depKey(d)), nil
	}
	if a, b := sriOf(d.Integrity, "sha512"), sriOf(m.Dist.Integrity, "sha512"); a != "" && b != "" && a != b {
		return nil, fmt.Sprintf("dependency %s: the lockfile pins integrity %s but the registry serves %s", depKey(d), displayName(d.Integrity), displayName(m.Dist.Integrity)), nil
	}
	tgz, err := s.e.cfg.Registry.Tarball(ctx, m)
	if err != nil {
		return fail(err)
	}
	pkg, err := archive.ReadTarGz(bytes.NewReader(tgz), s.e.cfg.Limits)
	if err != nil {
		return fail(fmt.Errorf("unpack: %w", err))
	}
	return pkg, "", nil
}

// sriOf returns the hash of algorithm algo in a Subresource Integrity string ("" when it has none).
func sriOf(sri, algo string) string {
	for _, part := range strings.Fields(sri) {
		if v, ok := strings.CutPrefix(part, algo+"-"); ok {
			return v
		}
	}
	return ""
}

// report annotates the diff/ findings of explained values and adds one finding per unexplained value.
func (s *bundleSearch) report(p *report.Package, vals []signals.Value, matched map[int]signals.Value, unmatched []int) {
	for i, v := range matched {
		f := &p.Findings[i]
		if where, ok := s.found[valueKey(v.Rule, v.Key)]; ok {
			f.Evidence = joinEvidence(f.Evidence, "explained by "+where)
		} else {
			f.Evidence = joinEvidence(f.Evidence, "found neither in the upstream source nor in a pinned dependency (see "+signals.RuleUnexplainedBundleChange+")")
		}
	}
	commit := s.bc.res.Commit
	evidence := "searched " + strings.Join(s.searched, "; ")
	if len(s.searched) == 0 {
		evidence = "nothing could be searched"
	}
	if s.depNote != "" {
		evidence += "; " + s.depNote
	}
	if len(s.gaps) > 0 {
		evidence += "; not searched: " + strings.Join(s.gaps, "; ")
	}
	var out []finding.Finding
	explained := 0
	seen := map[string]bool{}
	for _, v := range vals {
		k := valueKey(v.Rule, v.Key)
		if _, ok := s.found[k]; ok {
			explained++
			continue
		}
		if seen[k+"\x00"+v.Path] {
			continue
		}
		seen[k+"\x00"+v.Path] = true
		f := s.newFinding(fmt.Sprintf("%s:%d gained %s since %s, which neither the upstream source at %s nor %s has.",
			v.Path, v.Line, v.Display, s.bc.req.From, report.ShortCommit(commit), s.depPhrase))
		f.Path, f.Line, f.Snippet, f.Evidence = v.Path, v.Line, v.Snippet, evidence
		out = append(out, f)
	}
	for _, i := range unmatched {
		g := p.Findings[i]
		f := unexplainedFinding(fmt.Sprintf("What this finding reports could not be looked for upstream: %s", g.Message), true)
		f.Path, f.Line, f.Snippet, f.Evidence = g.Path, g.Line, g.Snippet, evidence
		out = append(out, f)
	}
	if len(out) > s.lim.MaxFindings {
		rest := len(out) - s.lim.MaxFindings
		out = append(out[:s.lim.MaxFindings], s.newFinding(fmt.Sprintf("…and %d more endpoints or capabilities the bundles gained that upstream does not explain (at most %d are listed).", rest, s.lim.MaxFindings)))
		out[len(out)-1].Evidence = evidence
	}
	p.Findings = append(p.Findings, out...)
	if explained > 0 && p.Upstream != nil {
		note := fmt.Sprintf("%d of %d endpoints and capabilities the bundles gained since %s are explained upstream", explained, len(vals), s.bc.req.From)
		if s.depNote != "" {
			note += " (dependencies: " + s.depNote + ")"
		}
		p.Upstream.Notes = append(p.Upstream.Notes, note)
	}
}

// newFinding makes a diff/unexplained-bundle-change finding, unverified when the search was incomplete.
func (s *bundleSearch) newFinding(msg string) finding.Finding {
	f := unexplainedFinding(msg, len(s.gaps) > 0)
	if f.Unverified {
		f.Message += " The search was incomplete (see the evidence), so this is unverified."
	}
	return f
}

// unexplainedFinding makes a diff/unexplained-bundle-change finding with the rule's default severity.
func unexplainedFinding(msg string, unverified bool) finding.Finding {
	r, _ := rules.Lookup(signals.RuleUnexplainedBundleChange)
	return finding.Finding{Rule: signals.RuleUnexplainedBundleChange, Severity: r.Severity, Message: msg, Unverified: unverified}
}

func joinEvidence(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxListedWords bounds the names one evidence string lists.
const maxListedWords = 10

func listWords(ws []string) string {
	if len(ws) <= maxListedWords {
		return strings.Join(ws, ", ")
	}
	return strings.Join(ws[:maxListedWords], ", ") + fmt.Sprintf(" and %d more", len(ws)-maxListedWords)
}
