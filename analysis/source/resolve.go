package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ResolveRequest describes a published version to locate in its repository.
type ResolveRequest struct {
	Name, Version, GitHead string
	// Directory is the claimed package folder (may be "").
	Directory string
	// Files maps each published file (package-relative path, '/'-separated)
	// to the BlobID of its content.
	Files map[string]string
	// ReadFile, optional, returns a published file's content. It is used
	// only to break ties between equally scored commits (line similarity of
	// the differing text files); without it ties go to the newest commit.
	ReadFile func(path string) ([]byte, error)
}

// Resolution is where in the repository a published version comes from.
type Resolution struct {
	// Directory is the package folder in the repository ("" = root).
	Directory string
	// DirectoryBy is "repository.directory", "package.json name" or "root".
	DirectoryBy string
	// Commit is the full SHA, or "" when nothing in the repository matches.
	Commit string
	// ResolvedBy is "gitHead", "tag <name>", "package.json version" or
	// "tree match" ("" when Commit is "").
	ResolvedBy string
	// FilesMatched counts published files whose blob equals the commit's
	// blob at that path; FilesTotal counts the published files compared.
	// The package's own package.json is left out of both (npm rewrites it).
	FilesMatched, FilesTotal int
	// Notes are facts the report must show, e.g. "gitHead 1a2b3c4 is not in
	// the repository".
	Notes []string
}

// listedCommit is one commit considered by tree match.
type listedCommit struct {
	sha  string
	tree string
	time int64
}

// pkgMeta is what resolution reads from a package.json.
type pkgMeta struct {
	name, version string
	ok            bool
}

// resolver carries the state of one Resolve call.
type resolver struct {
	r        *Repo
	ix       *Index
	req      ResolveRequest
	res      *Resolution
	pkgCache map[string]pkgMeta // blob id -> parsed package.json
	pkgReads int
}

// Resolve finds the folder and commit req was most likely published from:
// the folder is req.Directory if it exists in some commit, else the folder
// whose package.json is named req.Name, else the root; the commit is the
// gitHead if the repository has it, else a tag for the version, else a
// commit whose package.json has this name and version (best tree match among
// them), else the commit whose tree shares the most blobs with the published
// files among the newest Limits.MaxTreeMatchCommits commits of all refs.
func Resolve(ctx context.Context, r *Repo, req ResolveRequest) (*Resolution, error) {
	files, err := validateFiles(req.Files, r.limits.MaxResolveFiles)
	if err != nil {
		return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
	}
	req.Files = files
	ix, err := r.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
	}
	rv := &resolver{r: r, ix: ix, req: req, res: &Resolution{}, pkgCache: map[string]pkgMeta{}}
	res := rv.res
	if ix.Truncated() {
		rv.note("the history index stopped after %d commits; older history was not searched", ix.Commits())
	}
	if err := rv.chooseFolder(ctx, ix); err != nil {
		return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
	}
	want := map[string]string{}
	for p, id := range files {
		if p != "package.json" {
			want[p] = id
		}
	}
	res.FilesTotal = len(want)
	sc := newScorer(r, res.Directory, want)

	// 1. gitHead.
	if req.GitHead != "" {
		sha, ok, err := r.ResolveCommit(ctx, req.GitHead)
		if err != nil {
			return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
		}
		if ok {
			return rv.finish(ctx, sc, sha, "gitHead")
		}
		rv.note("gitHead %s is not in the repository (published from a commit that was never pushed, or from another repository)", truncate(req.GitHead, 64))
	}
	// 2. A tag for the version.
	if req.Version != "" {
		sha, tag, err := rv.tagFor(ctx)
		if err != nil {
			return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
		}
		if sha != "" {
			return rv.finish(ctx, sc, sha, "tag "+tag)
		}
	}
	// 3 and 4: score the newest commits of every ref.
	commits, err := r.listCommits(ctx, r.limits.MaxTreeMatchCommits)
	if err != nil {
		return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
	}
	if len(commits) == 0 {
		rv.note("the repository has no commits")
		return res, nil
	}
	start := time.Now()
	scores := make([]scoredCommit, 0, len(commits))
	for _, c := range commits {
		s, err := sc.commitScore(ctx, c.tree)
		if err != nil {
			return nil, fmt.Errorf("resolve %s@%s: score %s: %w", req.Name, req.Version, shortSHA(c.sha), err)
		}
		s.listedCommit = c
		scores = append(scores, s)
	}
	r.logger.Debug("tree match", "repo", r.claim.String(), "commits", len(commits), "trees", sc.treesRead,
		"ms", time.Since(start).Milliseconds())

	// 3. Commits whose package.json has this name and version.
	if req.Name != "" && req.Version != "" {
		var matching []scoredCommit
		for _, s := range scores {
			if s.pkgBlob == "" {
				continue
			}
			m, err := rv.readPackageJSON(ctx, s.pkgBlob)
			if err != nil {
				return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
			}
			if m.ok && m.name == req.Name && m.version == req.Version {
				matching = append(matching, s)
			}
		}
		if len(matching) > 0 {
			best, err := rv.best(ctx, sc, matching)
			if err != nil {
				return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
			}
			res.Commit, res.ResolvedBy, res.FilesMatched = best.sha, "package.json version", best.score
			return res, nil
		}
	}
	// 4. Best tree match.
	best, err := rv.best(ctx, sc, scores)
	if err != nil {
		return nil, fmt.Errorf("resolve %s@%s: %w", req.Name, req.Version, err)
	}
	if best.score == 0 {
		rv.note("no commit among the newest %d shares a file with the published package", len(commits))
		return res, nil
	}
	res.Commit, res.ResolvedBy, res.FilesMatched = best.sha, "tree match", best.score
	if len(commits) >= r.limits.MaxTreeMatchCommits {
		rv.note("tree match scored only the newest %d commits", len(commits))
	}
	return res, nil
}

func (rv *resolver) note(format string, args ...any) {
	rv.res.Notes = append(rv.res.Notes, fmt.Sprintf(format, args...))
}

// finish records commit sha (found by gitHead or tag) and scores it.
func (rv *resolver) finish(ctx context.Context, sc *scorer, sha, by string) (*Resolution, error) {
	rv.res.Commit, rv.res.ResolvedBy = sha, by
	oi, err := rv.r.batch.info(ctx, sha+"^{tree}")
	if err != nil {
		return nil, fmt.Errorf("resolve %s@%s: tree of %s: %w", rv.req.Name, rv.req.Version, shortSHA(sha), err)
	}
	s, err := sc.commitScore(ctx, oi.ID)
	if err != nil {
		return nil, fmt.Errorf("resolve %s@%s: score %s: %w", rv.req.Name, rv.req.Version, shortSHA(sha), err)
	}
	if !s.folderFound && rv.res.Directory != "" {
		rv.note("folder %s does not exist at commit %s", rv.res.Directory, shortSHA(sha))
	}
	rv.res.FilesMatched = s.score
	return rv.res, nil
}

// validateFiles checks published paths (clean, relative, no "..") and blob
// ids (40 hex digits), returning a copy with lower-case ids.
func validateFiles(files map[string]string, max int) (map[string]string, error) {
	if len(files) > max {
		return nil, fmt.Errorf("%d published files (limit %d): %w", len(files), max, ErrTooLarge)
	}
	out := make(map[string]string, len(files))
	for p, id := range files {
		clean, err := cleanDirectory(p)
		if err != nil || clean != p || p == "" {
			return nil, fmt.Errorf("published path %q is not a clean relative path", truncate(p, 80))
		}
		id = strings.ToLower(id)
		if len(id) != 40 || !isHex(id) {
			return nil, fmt.Errorf("published file %q: blob id %q is not a SHA-1", truncate(p, 80), truncate(id, 80))
		}
		out[p] = id
	}
	return out, nil
}

// chooseFolder sets Directory and DirectoryBy.
func (rv *resolver) chooseFolder(ctx context.Context, ix *Index) error {
	res, req := rv.res, rv.req
	if req.Directory != "" {
		d, err := cleanDirectory(req.Directory)
		switch {
		case err != nil:
			rv.note("repository.directory %q is not a valid folder", truncate(req.Directory, 80))
		case d == "":
			res.DirectoryBy = "repository.directory"
			return nil
		case ix.hasDir(d):
			res.Directory, res.DirectoryBy = d, "repository.directory"
			return nil
		default:
			rv.note("repository.directory %q does not exist in any commit", d)
		}
	}
	if req.Name != "" {
		dir, found, err := rv.folderByName(ctx, ix)
		if errors.Is(err, errStopped) {
			res.DirectoryBy = "root"
			return nil
		}
		if err != nil {
			return err
		}
		if found {
			res.Directory, res.DirectoryBy = dir, "package.json name"
			return nil
		}
		rv.note("no package.json in the repository is named %q; using the root folder", truncate(req.Name, 214))
	}
	res.DirectoryBy = "root"
	return nil
}

// errStopped reports that a bounded search gave up (already noted).
var errStopped = errors.New("search stopped at its limit")

// folderByName searches every package.json path in the history (outside
// node_modules), reading the newest blob of every path first, then older
// ones, within Limits.MaxPackageJSONReads.
func (rv *resolver) folderByName(ctx context.Context, ix *Index) (string, bool, error) {
	type cand struct {
		path     string
		versions []Version
	}
	var cands []cand
	for _, p := range ix.Paths("package.json") {
		if p == "node_modules" || strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/") {
			continue
		}
		if vs := ix.PathVersions(p); len(vs) > 0 {
			cands = append(cands, cand{p, vs})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		ti, tj := cands[i].versions[0].Time, cands[j].versions[0].Time
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return len(cands[i].path) < len(cands[j].path)
	})
	for round := 0; ; round++ {
		more := false
		for _, c := range cands {
			if round >= len(c.versions) {
				continue
			}
			more = true
			if rv.pkgReads >= rv.r.limits.MaxPackageJSONReads {
				rv.note("stopped looking for a package.json named %q after %d reads; using the root folder", truncate(rv.req.Name, 214), rv.pkgReads)
				return "", false, errStopped
			}
			m, err := rv.readPackageJSON(ctx, c.versions[round].Blob)
			if err != nil {
				return "", false, err
			}
			if m.ok && m.name == rv.req.Name {
				dir := path.Dir(c.path)
				if dir == "." {
					dir = ""
				}
				return dir, true, nil
			}
		}
		if !more {
			return "", false, nil
		}
	}
}

// readPackageJSON reads a package.json blob's name and version, memoised by
// blob id; blobs over Limits.MaxPackageJSONBytes or not JSON yield !ok.
func (rv *resolver) readPackageJSON(ctx context.Context, id string) (pkgMeta, error) {
	if m, ok := rv.pkgCache[id]; ok {
		return m, nil
	}
	rv.pkgReads++
	data, _, err := rv.r.batch.contents(ctx, id, "blob", rv.r.limits.MaxPackageJSONBytes)
	var m pkgMeta
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrNotFound), errors.Is(err, errWrongType):
	case err != nil:
		return pkgMeta{}, fmt.Errorf("read package.json %s: %w", id, err)
	default:
		m = parsePackageJSON(data)
	}
	rv.pkgCache[id] = m
	return m, nil
}

func parsePackageJSON(data []byte) pkgMeta {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return pkgMeta{}
	}
	var m pkgMeta
	if json.Unmarshal(raw["name"], &m.name) != nil {
		return pkgMeta{}
	}
	_ = json.Unmarshal(raw["version"], &m.version)
	m.ok = m.name != ""
	return m
}

// tagFor finds a tag for req.Version: "v1.2.3", "1.2.3", "<name>@1.2.3"
// (scoped names too), then "<p>@1.2.3", "<p>-v1.2.3", "<p>-1.2.3" with p the
// unscoped name or the folder's name, then the same forms with any other
// prefix. A tag is skipped when its package.json (in the folder) names
// another package; an any-prefix tag is taken only when its prefix is not
// another package folder's name and its package.json has this name and
// version.
func (rv *resolver) tagFor(ctx context.Context) (sha, tag string, err error) {
	tags, err := rv.r.Tags(ctx)
	if errors.Is(err, ErrTooLarge) {
		rv.note("the repository has more than %d tags; tags were not used", rv.r.limits.MaxTags)
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if len(tags) == 0 {
		return "", "", nil
	}
	v, name := rv.req.Version, rv.req.Name
	strong := []string{"v" + v, v}
	if name != "" {
		strong = append(strong, name+"@"+v)
	}
	var prefixes []string
	if name != "" {
		unscoped := name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			unscoped = name[i+1:]
		}
		prefixes = append(prefixes, unscoped)
	}
	if rv.res.Directory != "" {
		prefixes = append(prefixes, path.Base(rv.res.Directory))
	}
	for _, p := range prefixes {
		strong = append(strong, p+"@"+v, p+"-v"+v, p+"-"+v, p+"@v"+v)
	}
	seen := map[string]bool{}
	for _, t := range strong {
		if seen[t] {
			continue
		}
		seen[t] = true
		c, ok := tags[t]
		if !ok {
			continue
		}
		m, found, err := rv.packageJSONAt(ctx, c)
		if err != nil {
			return "", "", err
		}
		if found && m.ok && name != "" && m.name != name {
			rv.note("tag %s names package %q, not %q; ignored", t, truncate(m.name, 214), truncate(name, 214))
			continue
		}
		return c, t, nil
	}
	// Any-prefix tags: the prefix must not be another package's folder, and
	// the folder's package.json at the tag must have this name and version.
	others := map[string]bool{}
	for _, p := range rv.ix.Paths("package.json") {
		if d := path.Dir(p); d != "." && d != rv.res.Directory {
			others[path.Base(d)] = true
		}
	}
	var weak []string
	for t := range tags {
		if seen[t] {
			continue
		}
		for _, suffix := range []string{"-v" + v, "@v" + v, "@" + v, "-" + v} {
			prefix, ok := strings.CutSuffix(t, suffix)
			if !ok || prefix == "" {
				continue
			}
			if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
				prefix = prefix[i+1:]
			}
			if !others[prefix] {
				weak = append(weak, t)
			}
			break
		}
	}
	sort.Strings(weak)
	for _, t := range weak {
		m, found, err := rv.packageJSONAt(ctx, tags[t])
		if err != nil {
			return "", "", err
		}
		if found && m.ok && name != "" && m.name == name && m.version == v {
			return tags[t], t, nil
		}
	}
	return "", "", nil
}

// packageJSONAt reads <folder>/package.json at commit.
func (rv *resolver) packageJSONAt(ctx context.Context, commit string) (pkgMeta, bool, error) {
	p := "package.json"
	if rv.res.Directory != "" {
		p = rv.res.Directory + "/package.json"
	}
	oi, err := rv.r.batch.info(ctx, commit+":"+p)
	if errors.Is(err, ErrNotFound) {
		return pkgMeta{}, false, nil
	}
	if err != nil {
		return pkgMeta{}, false, fmt.Errorf("package.json at %s: %w", shortSHA(commit), err)
	}
	if oi.Type != "blob" {
		return pkgMeta{}, false, nil
	}
	m, err := rv.readPackageJSON(ctx, oi.ID)
	return m, true, err
}

// listCommits returns the newest max commits of all refs, newest first.
func (r *Repo) listCommits(ctx context.Context, max int) ([]listedCommit, error) {
	out, err := r.rn.output(ctx, r.gitDir, r.limits.MaxGitOutput, "log", "--all", "--no-color",
		"--max-count="+strconv.Itoa(max), "--format=%H %T %ct")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) && isEmptyRepoError(ge.Stderr) {
			return nil, nil
		}
		return nil, fmt.Errorf("list commits of %s: %w", r.claim, err)
	}
	var list []listedCommit
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !isHex(f[0]) || !isHex(f[1]) {
			continue
		}
		ct, _ := strconv.ParseInt(f[2], 10, 64)
		list = append(list, listedCommit{sha: f[0], tree: f[1], time: ct})
	}
	return list, nil
}

// scoredCommit is a commit with its tree-match score.
type scoredCommit struct {
	listedCommit
	score       int
	pkgBlob     string // <folder>/package.json blob, if any
	folderTree  string // the folder's tree id, "" when absent
	folderFound bool
}

// best picks the highest score among cands (newest first); ties are broken
// by line similarity of the differing published text files, then by age.
func (rv *resolver) best(ctx context.Context, sc *scorer, cands []scoredCommit) (scoredCommit, error) {
	max := -1
	for _, c := range cands {
		if c.score > max {
			max = c.score
		}
	}
	var tied []scoredCommit
	seenTree := map[string]bool{}
	for _, c := range cands {
		if c.score != max {
			continue
		}
		// Commits with the same folder tree are equivalent; keep the newest.
		if seenTree[c.folderTree] {
			continue
		}
		seenTree[c.folderTree] = true
		tied = append(tied, c)
	}
	if len(tied) == 1 || rv.req.ReadFile == nil {
		return tied[0], nil
	}
	if len(tied) > rv.r.limits.MaxTieBreakCommits {
		tied = tied[:rv.r.limits.MaxTieBreakCommits]
	}
	i, err := rv.tieBreak(ctx, sc, tied)
	if err != nil {
		return scoredCommit{}, err
	}
	return tied[i], nil
}

// tieBreak returns the index of the tied commit whose versions of the
// published text files differ from the published ones by the fewest lines
// (multiset symmetric difference), the newest among equals. Reads stop at
// Limits.MaxTieBreakBytes; commits not reached by then are not preferred.
func (rv *resolver) tieBreak(ctx context.Context, sc *scorer, tied []scoredCommit) (int, error) {
	budget := rv.r.limits.MaxTieBreakBytes
	pubLines := map[string][]string{} // nil entry: binary or unreadable
	upLines := map[string][]string{}
	textPaths := make([]string, 0, len(sc.want))
	for p := range sc.want {
		textPaths = append(textPaths, p)
	}
	sort.Strings(textPaths)
	bestIdx, bestDist := 0, -1
	for i, c := range tied {
		tree := map[string]string{}
		if c.folderTree != "" {
			if err := sc.blobsAt(ctx, c.folderTree, "", tree); err != nil {
				return 0, err
			}
		}
		dist := 0
		exhausted := false
		for _, p := range textPaths {
			id, inTree := tree[p]
			if inTree && id == sc.want[p] {
				continue
			}
			pub, ok := pubLines[p]
			if !ok {
				data, err := rv.req.ReadFile(p)
				if err == nil && int64(len(data)) <= budget {
					budget -= int64(len(data))
					pub = textLines(data)
				} else if err == nil {
					exhausted = true
					break
				}
				pubLines[p] = pub
			}
			if pub == nil {
				continue // binary or unreadable: already counted by the score
			}
			if !inTree {
				dist += len(pub)
				continue
			}
			up, ok := upLines[id]
			if !ok {
				data, err := rv.r.ReadBlob(ctx, id)
				switch {
				case err == nil && int64(len(data)) <= budget:
					budget -= int64(len(data))
					up = textLines(data)
				case err == nil, errors.Is(err, ErrTooLarge):
					exhausted = true
				case errors.Is(err, ErrNotFound):
				default:
					return 0, err
				}
				if exhausted {
					break
				}
				upLines[id] = up
			}
			if up == nil {
				dist += len(pub)
				continue
			}
			dist += lineDistance(pub, up)
		}
		if exhausted {
			rv.note("tie-break between %d equally scored commits stopped after %d bytes", len(tied), rv.r.limits.MaxTieBreakBytes)
			break
		}
		if bestDist < 0 || dist < bestDist {
			bestIdx, bestDist = i, dist
		}
	}
	return bestIdx, nil
}

// textLines splits text into lines; binary data (a NUL byte) yields nil.
func textLines(data []byte) []string {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if lines == nil {
		lines = []string{}
	}
	return lines
}

// lineDistance is the size of the multiset symmetric difference of a and b.
func lineDistance(a, b []string) int {
	count := make(map[string]int, len(a))
	for _, l := range a {
		count[l]++
	}
	common := 0
	for _, l := range b {
		if count[l] > 0 {
			count[l]--
			common++
		}
	}
	return len(a) + len(b) - 2*common
}

// scorer counts, per commit, the published files whose blob id equals the
// commit's blob at the same path, reading trees through the repository's
// cat-file process and memoising by (tree id, relative prefix) so subtrees
// unchanged between commits are scored once.
type scorer struct {
	r       *Repo
	folder  []string          // path components of the package folder
	want    map[string]string // folder-relative path -> published blob id
	dirs    map[string]bool   // "a/", "a/b/": prefixes holding published files
	memo    map[string]int    // tree id + "\x00" + prefix -> score
	pkg     map[string]string // folder tree id -> package.json blob id
	descend map[string]string // tree id + "\x00" + rest of folder path -> tree id ("" = absent)

	treesRead int
}

func newScorer(r *Repo, folder string, want map[string]string) *scorer {
	s := &scorer{r: r, want: want, dirs: map[string]bool{}, memo: map[string]int{}, pkg: map[string]string{}, descend: map[string]string{}}
	if folder != "" {
		s.folder = strings.Split(folder, "/")
	}
	for p := range want {
		for i := 0; i < len(p); i++ {
			if p[i] == '/' {
				s.dirs[p[:i+1]] = true
			}
		}
	}
	return s
}

// commitScore scores the commit whose root tree is root.
func (s *scorer) commitScore(ctx context.Context, root string) (scoredCommit, error) {
	ft, err := s.folderTree(ctx, root, 0)
	if err != nil || ft == "" {
		return scoredCommit{}, err
	}
	n, err := s.score(ctx, ft, "")
	if err != nil {
		return scoredCommit{}, err
	}
	return scoredCommit{score: n, pkgBlob: s.pkg[ft], folderTree: ft, folderFound: true}, nil
}

// folderTree descends from tree through folder[i:].
func (s *scorer) folderTree(ctx context.Context, tree string, i int) (string, error) {
	if i == len(s.folder) {
		return tree, nil
	}
	key := tree + "\x00" + strings.Join(s.folder[i:], "/")
	if v, ok := s.descend[key]; ok {
		return v, nil
	}
	entries, err := s.readTree(ctx, tree)
	if err != nil {
		return "", err
	}
	next := ""
	for _, e := range entries {
		if e.name == s.folder[i] && e.isTree() {
			if next, err = s.folderTree(ctx, e.id, i+1); err != nil {
				return "", err
			}
			break
		}
	}
	s.descend[key] = next
	return next, nil
}

func (s *scorer) readTree(ctx context.Context, id string) ([]treeEntry, error) {
	s.treesRead++
	return s.r.readTree(ctx, id)
}

// blobsAt collects the blob ids at published paths under tree (entries at
// folder-relative prefix) into out.
func (s *scorer) blobsAt(ctx context.Context, tree, prefix string, out map[string]string) error {
	entries, err := s.readTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := prefix + e.name
		switch {
		case e.isBlob():
			if _, ok := s.want[p]; ok {
				out[p] = e.id
			}
		case e.isTree() && s.dirs[p+"/"]:
			if err := s.blobsAt(ctx, e.id, p+"/", out); err != nil {
				return err
			}
		}
	}
	return nil
}

// score counts matching published files under tree, whose entries are at
// folder-relative prefix (e.g. "lib/").
func (s *scorer) score(ctx context.Context, tree, prefix string) (int, error) {
	key := tree + "\x00" + prefix
	if v, ok := s.memo[key]; ok {
		return v, nil
	}
	entries, err := s.readTree(ctx, tree)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		p := prefix + e.name
		switch {
		case e.isBlob():
			if prefix == "" && e.name == "package.json" {
				s.pkg[tree] = e.id
			}
			if id, ok := s.want[p]; ok && id == e.id {
				n++
			}
		case e.isTree() && s.dirs[p+"/"]:
			sub, err := s.score(ctx, e.id, p+"/")
			if err != nil {
				return 0, err
			}
			n += sub
		}
	}
	s.memo[key] = n
	return n, nil
}
