package lockfile

import (
	"encoding/json"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
)

// npmLock is this package's own read of package-lock.json / npm-shrinkwrap.json. scalibr's
// packagelockjson extractor reports name, version, commit and dependency groups per name@version;
// it drops:
//   - the install path, so aliases ("node_modules/ink" with "name": "@jrichman/ink") are lost;
//   - "resolved" (except a git commit) and "integrity", so tarball, file and link sources and
//     a resolved URL pointing at another host or package are invisible;
//   - the root ("") entry and workspace entries that say which dependencies are direct;
//   - the difference between dev and devOptional (it maps devOptional to dev+optional; here a
//     devOptional package is not dev-only: it is installed with optional production deps).
type npmLock struct {
	Packages     map[string]npmLockPackage `json:"packages"`
	Dependencies map[string]npmLockDep     `json:"dependencies"`
}

// npmLockPackage is one "packages" entry. The dependency maps are kept raw: only the root's and
// the workspace members' are decoded (to find direct dependencies), which keeps memory low on
// lockfiles with hundreds of thousands of entries.
type npmLockPackage struct {
	Name                 string          `json:"name"`
	Version              string          `json:"version"`
	Resolved             string          `json:"resolved"`
	Integrity            string          `json:"integrity"`
	Link                 bool            `json:"link"`
	Dev                  bool            `json:"dev"`
	Dependencies         json.RawMessage `json:"dependencies"`
	DevDependencies      json.RawMessage `json:"devDependencies"`
	OptionalDependencies json.RawMessage `json:"optionalDependencies"`
	PeerDependencies     json.RawMessage `json:"peerDependencies"`
}

type npmLockDep struct {
	Version      string                `json:"version"`
	Resolved     string                `json:"resolved"`
	Integrity    string                `json:"integrity"`
	Dev          bool                  `json:"dev"`
	Dependencies map[string]npmLockDep `json:"dependencies"`
}

func (r *reader) packageLock() error {
	pkgs, err := r.runScalibr(packagelockjson.NewDefault(), r.data)
	if err != nil {
		return err
	}
	var lock npmLock
	if err := json.Unmarshal(r.data, &lock); err != nil {
		return r.decodeError(err)
	}
	var entries []entry
	if lock.Packages != nil {
		entries = r.npmLockV2(lock.Packages)
	} else {
		entries = r.npmLockV1(lock.Dependencies)
	}
	r.merge(pkgs, entries)
	return nil
}

// installName returns the package name an install path ends with ("a/node_modules/@s/p" → "@s/p")
// and how many node_modules segments the path has.
func installName(key string) (string, int) {
	n := strings.Count(key, "node_modules/")
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 {
		return "", 0
	}
	return key[i+len("node_modules/"):], n
}

// npmLockV2 reads the "packages" map of lockfileVersion 2 and 3.
func (r *reader) npmLockV2(packages map[string]npmLockPackage) []entry {
	// Declared dependencies (name → spec) of the root and of each workspace member (entries
	// outside node_modules).
	declared := map[string]map[string]string{}
	anyDeclared := map[string]string{}
	for _, key := range sortedKeys(packages) {
		p := packages[key]
		if strings.Contains(key, "node_modules/") {
			continue
		}
		names := map[string]string{}
		for _, raw := range []json.RawMessage{p.Dependencies, p.DevDependencies, p.OptionalDependencies, p.PeerDependencies} {
			var m map[string]string
			if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
				continue
			}
			for n, spec := range m {
				names[n] = spec
				if _, ok := anyDeclared[n]; !ok || key == "" {
					anyDeclared[n] = spec
				}
			}
		}
		declared[key] = names
	}
	entries := make([]entry, 0, len(packages))
	for key, p := range packages {
		if key == "" {
			continue
		}
		inst, depth := installName(key)
		if depth == 0 {
			// A workspace member (or a linked directory's own entry): the project's own code.
			name := p.Name
			if name == "" {
				name = lastPathName(key)
			}
			entries = append(entries, entry{name: name, version: p.Version, match: p.Version, skip: true})
			continue
		}
		name := p.Name
		if name == "" {
			name = inst
		}
		e := entry{name: name, alias: inst, version: p.Version, match: p.Version, integrity: p.Integrity, dev: devNo}
		if p.Dev {
			e.dev = devYes
		}
		if depth == 1 {
			owner := strings.TrimSuffix(key[:strings.Index(key, "node_modules/")], "/")
			if spec, ok := declared[owner][inst]; ok {
				e.direct, e.spec = true, spec
			} else if spec, ok := anyDeclared[inst]; ok && owner == "" {
				e.direct, e.spec = true, spec // declared by a workspace member, hoisted to the root
			}
		}
		switch {
		case p.Link:
			e.source = SourceLink
			if _, member := declared[p.Resolved]; member && !strings.HasPrefix(p.Resolved, "..") {
				e.source = SourceWorkspace
			}
			e.resolved = p.Resolved
		default:
			e.source = npmResolvedSource(p.Resolved, name, p.Version)
			e.resolved = p.Resolved
			if e.source == SourceGit {
				e.commit = gitCommit(p.Resolved)
			}
			if e.source == SourceTarball && isRegistryURL(p.Resolved) {
				r.problem("%s: resolved URL %s is not the registry tarball of %s@%s", truncQuote(key), truncQuote(p.Resolved), name, p.Version)
			}
		}
		entries = append(entries, e)
	}
	return entries
}

// npmLockV1 walks the nested "dependencies" tree of lockfileVersion 1 (its depth is bounded by
// MaxNestingDepth, checked before decoding). v1 does not say which dependencies are direct.
func (r *reader) npmLockV1(deps map[string]npmLockDep) []entry {
	var entries []entry
	stack := []map[string]npmLockDep{deps}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for key, d := range m {
			if d.Dependencies != nil {
				stack = append(stack, d.Dependencies)
			}
			e := npmV1Entry(key, d.Version, d.Resolved)
			e.integrity = d.Integrity
			e.dev = devNo
			if d.Dev {
				e.dev = devYes
			}
			if e.source == SourceTarball && isRegistryURL(d.Resolved) {
				r.problem("%s: resolved URL %s is not the registry tarball of %s@%s", truncQuote(key), truncQuote(d.Resolved), e.name, e.version)
			}
			entries = append(entries, e)
		}
	}
	return entries
}

// npmV1Entry interprets one lockfileVersion 1 entry, whose "version" may be an alias
// ("npm:real@1.2.3"), a git or tarball spec, or a file: path. match is what scalibr reports
// as the version for the same entry (it blanks git and file: versions).
func npmV1Entry(key, version, resolved string) entry {
	e := entry{name: key, alias: key, version: version, match: version}
	switch src := npmSpecSource(version); {
	case strings.HasPrefix(version, "npm:"):
		e.name, e.version = splitNpmAlias(version[len("npm:"):])
		e.match = e.version
		e.source = npmResolvedSource(resolved, e.name, e.version)
		e.resolved = resolved
	case src == SourceFile || src == SourceLink:
		e.source, e.resolved, e.version, e.match = src, version, "", ""
	case src == SourceGit:
		e.source, e.resolved, e.version, e.match = SourceGit, version, "", ""
		e.commit = gitCommit(version)
	case src == SourceTarball:
		e.source, e.resolved, e.version = SourceTarball, version, ""
	default:
		e.source = npmResolvedSource(resolved, key, version)
		e.resolved = resolved
		if e.source == SourceGit {
			e.commit = gitCommit(resolved)
		}
	}
	return e
}

// isRegistryURL reports whether u is an https URL on the public registry's host.
func isRegistryURL(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	return isNpmRegistryHost(host)
}

// lastPathName returns the package-like last element of a path ("packages/@s/p" → "@s/p").
func lastPathName(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) >= 2 && strings.HasPrefix(parts[len(parts)-2], "@") {
		return parts[len(parts)-2] + "/" + parts[len(parts)-1]
	}
	return parts[len(parts)-1]
}

// npmLockIndexer records the version lines of package-lock.json entries.
type npmLockIndexer struct {
	x           *LineIndex
	pending     []npmIdxEntry
	v1          []npmIdxEntry
	hasPackages bool
}

type npmIdxEntry struct {
	depth         int
	v1            bool
	key           string
	keyLine       int
	name, version string
	resolved      string
	versionLine   int
}

// finish adds the v1 tree's lines when the file has no "packages" map.
func (ix *npmLockIndexer) finish() {
	if ix.hasPackages {
		ix.x.unindexed += len(ix.v1)
		return
	}
	for _, e := range ix.v1 {
		v := npmV1Entry(e.key, e.version, e.resolved)
		ix.x.add(v.name, v.version, firstLine(e.versionLine, e.keyLine))
	}
}

func firstLine(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// isDepMap reports whether an object held under key is a map the decoders build per key.
func isDepMap(key []byte) bool {
	switch string(key) {
	case "dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "requires":
		return true
	}
	return false
}

// countMapKey counts a value (opened container or scalar) whose parent is a dependency map.
func (ix *npmLockIndexer) countMapKey(sc *jsonScanner, parent int) {
	if parent >= 1 && sc.stack[parent].object && isDepMap(sc.stack[parent-1].key) {
		ix.x.mapKeys++
	}
}

func (ix *npmLockIndexer) open(sc *jsonScanner, _ int) {
	n := len(sc.stack)
	ix.countMapKey(sc, n-2)
	top := sc.stack[n-1]
	if !top.object {
		return
	}
	if n == 2 && sc.keyIs(0, "packages") {
		ix.hasPackages = true
		return
	}
	if n == 3 && sc.keyIs(0, "packages") {
		ix.pending = append(ix.pending, npmIdxEntry{depth: n, key: string(sc.stack[1].key), keyLine: sc.stack[1].keyLine})
		return
	}
	// v1: dependencies → name → {…, dependencies → name → {…}}
	if n >= 3 && n%2 == 1 && sc.keyIs(0, "dependencies") {
		for i := 2; i < n-1; i += 2 {
			if !sc.keyIs(i, "dependencies") {
				return
			}
		}
		ix.pending = append(ix.pending, npmIdxEntry{depth: n, v1: true, key: string(sc.stack[n-2].key), keyLine: sc.stack[n-2].keyLine})
	}
}

func (ix *npmLockIndexer) scalar(sc *jsonScanner, raw []byte, line int) {
	ix.countMapKey(sc, len(sc.stack)-1)
	if len(ix.pending) == 0 {
		return
	}
	e := &ix.pending[len(ix.pending)-1]
	n := len(sc.stack)
	if e.depth != n || !sc.stack[n-1].object {
		return
	}
	switch string(sc.stack[n-1].key) {
	case "version":
		e.version, e.versionLine = sc.strOr(raw), line
	case "name":
		e.name = sc.strOr(raw)
	case "resolved":
		e.resolved = sc.strOr(raw)
	}
}

func (ix *npmLockIndexer) close(sc *jsonScanner) {
	if len(ix.pending) == 0 {
		return
	}
	e := ix.pending[len(ix.pending)-1]
	if e.depth != len(sc.stack) {
		return
	}
	ix.pending = ix.pending[:len(ix.pending)-1]
	if e.v1 {
		ix.v1 = append(ix.v1, e)
		return
	}
	if e.key == "" {
		return
	}
	inst, _ := installName(e.key)
	name := e.name
	if name == "" {
		name = inst
	}
	if name == "" {
		name = lastPathName(e.key)
	}
	ix.x.add(name, e.version, firstLine(e.versionLine, e.keyLine))
}
