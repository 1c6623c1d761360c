package lockfile

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
)

// checkTOML checks TOML nesting and size before the (recursive) TOML parser sees the data.
func (r *reader) checkTOML() error {
	if line, depth := tomlDepth(r.data, MaxNestingDepth); depth > MaxNestingDepth {
		return r.fail(line, fmt.Errorf("%w: more than %d nested arrays/inline tables", ErrTooDeep, MaxNestingDepth))
	}
	if n := nodeEstimate(r.data); n > MaxNodes {
		return r.fail(0, fmt.Errorf("%w: about %d TOML values, at most %d", ErrTooLarge, n, MaxNodes))
	}
	return nil
}

// tomlDepth scans TOML for the nesting of arrays and inline tables outside strings and
// comments, stopping as soon as it exceeds max. It returns the line and the depth reached.
func tomlDepth(data []byte, max int) (int, int) {
	line, depth := 1, 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case '"', '\'':
			multi := i+2 < len(data) && data[i+1] == c && data[i+2] == c
			if multi {
				i += 3
				for i < len(data) && !(i+2 < len(data) && data[i] == c && data[i+1] == c && data[i+2] == c) {
					if data[i] == '\n' {
						line++
					}
					if c == '"' && data[i] == '\\' {
						i++
					}
					i++
				}
				i += 2
				continue
			}
			i++
			for i < len(data) && data[i] != c && data[i] != '\n' {
				if c == '"' && data[i] == '\\' {
					i++
				}
				i++
			}
			if i < len(data) && data[i] == '\n' {
				line++
			}
		case '[', '{':
			depth++
			if depth > max {
				return line, depth
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return line, depth
}

// uvLock is this package's own read of uv.lock. scalibr's uvlock extractor reports name,
// version and a git commit per [[package]] (skipping only a virtual "." root); it drops:
//   - the source kind (url, path, directory, editable, a registry other than PyPI), so those
//     are reported as registry packages — and the project's own editable package as a dependency;
//   - the sdist/wheel hashes;
//   - direct and dev status: it guesses dependency groups from the last package's
//     optional-dependencies. Here they come from the project members' dependencies,
//     optional-dependencies and dev-dependencies, walked by name.
type uvLock struct {
	Package []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name    string         `toml:"name"`
	Version string         `toml:"version"`
	Source  map[string]any `toml:"source"`
	Sdist   *struct {
		Hash string `toml:"hash"`
	} `toml:"sdist"`
	Wheels []struct {
		Hash string `toml:"hash"`
	} `toml:"wheels"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
}

type uvDep struct {
	Name string `toml:"name"`
}

// isPyPIIndex reports whether an index URL is PyPI's.
func isPyPIIndex(u string) bool {
	u = strings.TrimSuffix(strings.TrimSpace(u), "/")
	return u == "https://pypi.org/simple" || u == "https://pypi.python.org/simple"
}

// uvSource classifies a uv.lock source table; member reports the project's own packages.
func uvSource(src map[string]any) (source, resolved, commit string, member bool) {
	get := func(k string) (string, bool) {
		v, ok := src[k]
		if !ok {
			return "", false
		}
		return fmt.Sprint(v), true
	}
	if v, ok := get("registry"); ok {
		if isPyPIIndex(v) {
			return SourceRegistry, "", "", false
		}
		return SourceOther, v, "", false
	}
	if v, ok := get("git"); ok {
		_, c, _ := strings.Cut(v, "#")
		return SourceGit, v, c, false
	}
	if v, ok := get("url"); ok {
		return SourceTarball, v, "", false
	}
	if _, ok := get("virtual"); ok {
		return SourceWorkspace, "", "", true
	}
	if v, ok := get("editable"); ok {
		if isOutside(v) {
			return SourceFile, v, "", false
		}
		return SourceWorkspace, v, "", true
	}
	for _, k := range []string{"path", "directory"} {
		if v, ok := get(k); ok {
			return SourceFile, v, "", false
		}
	}
	if len(src) == 0 {
		return SourceRegistry, "", "", false
	}
	return SourceOther, "", "", false
}

// isOutside reports whether a relative path leaves the project directory.
func isOutside(p string) bool {
	p = strings.ReplaceAll(p, "\\", "/")
	return strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, ":")
}

func (r *reader) uvLock() error {
	var lock uvLock
	if _, err := toml.Decode(string(r.data), &lock); err != nil {
		return r.decodeError(err)
	}
	// scalibr guesses dependency groups by comparing every package with every optional
	// dependency of the last package: quadratic. Beyond MaxScalibrQuadratic it is not called,
	// and this package's own read (which reports the same packages) stands alone.
	var pkgs []*extractor.Package
	if n := len(lock.Package); n > 0 && uvGroupWork(lock.Package[n-1], n) > MaxScalibrQuadratic {
		r.problem("%d packages × the last package's optional dependencies are too many for scalibr's uvlock extractor (quadratic): read without scalibr", n)
	} else {
		var err error
		if pkgs, err = r.runScalibr(uvlock.New(), r.data); err != nil {
			return err
		}
	}
	byName := map[string][]int{}
	for i, p := range lock.Package {
		byName[normName(PyPI, p.Name)] = append(byName[normName(PyPI, p.Name)], i)
	}
	var prodRoots, devRoots []string
	members := map[int]bool{}
	for i, p := range lock.Package {
		if _, _, _, member := uvSource(p.Source); !member {
			continue
		}
		members[i] = true
		for _, d := range p.Dependencies {
			prodRoots = append(prodRoots, d.Name)
		}
		for _, ds := range p.OptionalDependencies {
			for _, d := range ds {
				prodRoots = append(prodRoots, d.Name)
			}
		}
		for _, ds := range p.DevDependencies {
			for _, d := range ds {
				devRoots = append(devRoots, d.Name)
			}
		}
	}
	// The walk goes by name (uv.lock names a dependency's version only when it is ambiguous):
	// each name is expanded once, so the walk is linear in the file.
	walk := func(roots []string) map[int]bool {
		seen := map[int]bool{}
		expanded := map[string]bool{}
		queue := append([]string(nil), roots...)
		for len(queue) > 0 {
			n := normName(PyPI, queue[len(queue)-1])
			queue = queue[:len(queue)-1]
			if expanded[n] {
				continue
			}
			expanded[n] = true
			for _, i := range byName[n] {
				seen[i] = true
				p := lock.Package[i]
				for _, d := range p.Dependencies {
					queue = append(queue, d.Name)
				}
				for _, ds := range p.OptionalDependencies {
					for _, d := range ds {
						queue = append(queue, d.Name)
					}
				}
			}
		}
		return seen
	}
	prod, dev := walk(prodRoots), walk(devRoots)
	direct := map[string]bool{}
	for _, n := range append(append([]string(nil), prodRoots...), devRoots...) {
		direct[normName(PyPI, n)] = true
	}
	entries := make([]entry, 0, len(lock.Package))
	for i, p := range lock.Package {
		src, resolved, commit, member := uvSource(p.Source)
		e := entry{name: p.Name, version: p.Version, match: p.Version, source: src, resolved: resolved, commit: commit, skip: member}
		if p.Sdist != nil && p.Sdist.Hash != "" {
			e.integrity = p.Sdist.Hash
		} else if len(p.Wheels) > 0 {
			e.integrity = p.Wheels[0].Hash
		}
		e.direct = direct[normName(PyPI, p.Name)] && !members[i]
		switch {
		case prod[i]:
			e.dev = devNo
		case dev[i]:
			e.dev = devYes
		case len(members) > 0:
			e.dev = devNo
		}
		entries = append(entries, e)
	}
	r.merge(pkgs, entries)
	return nil
}

// uvGroupWork is the number of comparisons scalibr's uvlock extractor makes: every package
// against every optional dependency of the last package.
func uvGroupWork(last uvPackage, packages int) int {
	deps := 0
	for _, ds := range last.OptionalDependencies {
		deps += len(ds)
	}
	if deps == 0 {
		return 0
	}
	if packages > MaxScalibrQuadratic/deps+1 {
		return MaxScalibrQuadratic + 1
	}
	return packages * deps
}

// poetryLock is this package's own read of poetry.lock. scalibr's poetrylock extractor reports
// name, version, groups and a git commit; it drops the [package.source] kind (git URL, url,
// file, directory, a legacy index) and lock-version 1.1's category = "dev".
type poetryLock struct {
	Package []struct {
		Name     string   `toml:"name"`
		Version  string   `toml:"version"`
		Category string   `toml:"category"`
		Groups   []string `toml:"groups"`
		Source   struct {
			Type              string `toml:"type"`
			URL               string `toml:"url"`
			Reference         string `toml:"reference"`
			ResolvedReference string `toml:"resolved_reference"`
		} `toml:"source"`
	} `toml:"package"`
}

func (r *reader) poetryLock() error {
	pkgs, err := r.runScalibr(poetrylock.New(), r.data)
	if err != nil {
		return err
	}
	var lock poetryLock
	if _, err := toml.Decode(string(r.data), &lock); err != nil {
		return r.decodeError(err)
	}
	entries := make([]entry, 0, len(lock.Package))
	for _, p := range lock.Package {
		e := entry{name: p.Name, version: p.Version, match: p.Version, dev: devUnknown, source: SourceRegistry}
		s := p.Source
		switch strings.ToLower(s.Type) {
		case "":
		case "git":
			ref := s.ResolvedReference
			if ref == "" {
				ref = s.Reference
			}
			e.source, e.resolved, e.commit = SourceGit, s.URL+"#"+ref, s.ResolvedReference
		case "url":
			e.source, e.resolved = SourceTarball, s.URL
		case "file", "directory":
			e.source, e.resolved = SourceFile, s.URL
		case "legacy":
			if isPyPIIndex(s.URL) {
				break
			}
			e.source, e.resolved = SourceOther, s.URL
		default:
			e.source, e.resolved = SourceOther, s.URL
		}
		switch {
		case p.Category == "dev":
			e.dev = devYes
		case p.Category == "main":
			e.dev = devNo
		case len(p.Groups) > 0:
			e.dev = devYes
			for _, g := range p.Groups {
				if g == "main" {
					e.dev = devNo
				}
			}
		}
		entries = append(entries, e)
	}
	r.merge(pkgs, entries)
	return nil
}

// pipfileLock is this package's own read of Pipfile.lock. scalibr's pipfilelock extractor
// reports "==" versions only; it drops git, path and file entries (no version) and the hashes.
type pipfileLock struct {
	Default map[string]pipfileEntry `json:"default"`
	Develop map[string]pipfileEntry `json:"develop"`
}

type pipfileEntry struct {
	Version string `json:"version"`
	Git     string `json:"git"`
	Ref     string `json:"ref"`
	Path    string `json:"path"`
	File    string `json:"file"`
}

func (r *reader) pipfileLock() error {
	pkgs, err := r.runScalibr(pipfilelock.New(), r.data)
	if err != nil {
		return err
	}
	var lock pipfileLock
	if err := json.Unmarshal(r.data, &lock); err != nil {
		return r.decodeError(err)
	}
	var entries []entry
	for _, sec := range []struct {
		m   map[string]pipfileEntry
		dev int8
	}{{lock.Default, devNo}, {lock.Develop, devYes}} {
		for name, p := range sec.m {
			e := entry{name: name, dev: sec.dev, source: SourceRegistry}
			switch {
			case p.Git != "":
				e.source, e.resolved, e.commit = SourceGit, p.Git+"#"+p.Ref, p.Ref
			case p.Path != "":
				e.source, e.resolved = SourceFile, p.Path
			case p.File != "":
				e.source, e.resolved = pyURLSource(p.File), p.File
			}
			e.version = pipfileVersion(p.Version)
			if strings.HasPrefix(p.Version, "==") && len(p.Version) >= 3 {
				e.match = p.Version[2:]
			}
			entries = append(entries, e)
		}
	}
	r.merge(pkgs, entries)
	return nil
}

// pipfileVersion strips the "==" of a Pipfile.lock version.
func pipfileVersion(v string) string {
	return strings.TrimPrefix(v, "==")
}

// pipfileIndexer records each Pipfile.lock entry's version line (its key line when it has none).
type pipfileIndexer struct {
	x       *LineIndex
	name    string
	line    int
	version string
	vline   int
}

func (ix *pipfileIndexer) inEntry(sc *jsonScanner) bool {
	return len(sc.stack) == 3 && (sc.keyIs(0, "default") || sc.keyIs(0, "develop")) && sc.stack[1].object && sc.stack[2].object
}

func (ix *pipfileIndexer) open(sc *jsonScanner, _ int) {
	if ix.inEntry(sc) {
		ix.name, ix.line, ix.version, ix.vline = string(sc.stack[1].key), sc.stack[1].keyLine, "", 0
	}
}

func (ix *pipfileIndexer) close(sc *jsonScanner) {
	if ix.inEntry(sc) {
		ix.x.add(ix.name, ix.version, firstLine(ix.vline, ix.line))
	}
}

func (ix *pipfileIndexer) scalar(sc *jsonScanner, raw []byte, line int) {
	if ix.inEntry(sc) && sc.keyIs(2, "version") {
		ix.version, ix.vline = pipfileVersion(sc.strOr(raw)), line
	}
}

// indexTOMLPackages records the version line of each [[package]] of uv.lock and poetry.lock.
func indexTOMLPackages(x *LineIndex, data []byte) {
	in, sub := false, false
	var name, version string
	var header, vline int
	flush := func() {
		if in && name != "" {
			x.add(name, version, firstLine(vline, header))
		}
		in, name, version, vline = false, "", "", 0
	}
	forEachLine(data, func(lineNo int, line []byte) {
		s := strings.TrimSpace(string(line))
		if strings.HasPrefix(s, "[") {
			if strings.HasPrefix(s, "[[package]]") {
				flush()
				in, sub, header = true, false, lineNo
			} else if in && (strings.HasPrefix(s, "[package.") || strings.HasPrefix(s, "[[package.")) {
				sub = true
			} else {
				flush()
			}
			return
		}
		if !in || sub || len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
			return
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return
		}
		switch strings.TrimSpace(k) {
		case "name":
			if name == "" {
				name = tomlString(v)
			}
		case "version":
			if vline == 0 {
				version, vline = tomlString(v), lineNo
			}
		}
	})
	flush()
}

// tomlString returns the value of a one-line TOML string ("x" or 'x'), ignoring a comment.
func tomlString(v string) string {
	v = strings.TrimSpace(v)
	if len(v) < 2 {
		return ""
	}
	q := v[0]
	if q != '"' && q != '\'' {
		return ""
	}
	end := strings.IndexByte(v[1:], q)
	if end < 0 {
		return ""
	}
	s := v[1 : end+1]
	if q == '"' && strings.Contains(s, `\`) {
		var m map[string]string
		if _, err := toml.Decode("x = "+v[:end+2], &m); err == nil {
			return m["x"]
		}
	}
	return s
}
