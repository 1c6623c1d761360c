package lockfile

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"gopkg.in/yaml.v3"
)

// pnpmLock is this package's own read of pnpm-lock.yaml (5.x, 6.0, 9.0), with the YAML parser
// scalibr uses (gopkg.in/yaml.v3: its depth and alias limits apply, and both reads see the same
// document). scalibr's pnpmlock extractor reads only "packages"
// (name, version, dev, git commit); it drops:
//   - importers (and the single-project top-level dependency maps of 5.x/6.0), so direct
//     dependencies, their specifiers and npm aliases ("version: real@1.2.3") are lost;
//   - resolution integrity, tarball URLs and directory resolutions;
//   - dev-only status in 9.0, which has no "dev:" flag: it is computed here by walking
//     "snapshots" from the importers' production and dev roots;
//   - "file:" keys (5.x/6.0) and link: importers.
//
// The document is parsed into a yaml.Node tree (linear) and walked here, each entry decoded on
// its own: decoding a whole map at once would run yaml.v3's duplicate-key check, which compares
// every pair of keys. Duplicate keys are an error, as they are for pnpm itself.
type pnpmLock struct {
	LockfileVersion string
	Importers       map[string]pnpmImporter
	Packages        map[string]pnpmPackage
	Snapshots       map[string]pnpmSnapshot
	Specifiers      map[string]string
	Dependencies    map[string]pnpmImporterDep
	DevDeps         map[string]pnpmImporterDep
	OptionalDeps    map[string]pnpmImporterDep
}

type pnpmImporter struct {
	Specifiers   map[string]string
	Dependencies map[string]pnpmImporterDep
	DevDeps      map[string]pnpmImporterDep
	OptionalDeps map[string]pnpmImporterDep
}

// pnpmImporterDep is {specifier, version} (6.0, 9.0) or a bare version string (5.x).
type pnpmImporterDep struct {
	Specifier string
	Version   string
}

// UnmarshalYAML accepts both shapes of an importer dependency.
func (d *pnpmImporterDep) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Version = n.Value
		return nil
	}
	var v struct {
		Specifier string `yaml:"specifier"`
		Version   string `yaml:"version"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	d.Specifier, d.Version = v.Specifier, v.Version
	return nil
}

type pnpmPackage struct {
	Resolution struct {
		Integrity string `yaml:"integrity"`
		Tarball   string `yaml:"tarball"`
		Commit    string `yaml:"commit"`
		Repo      string `yaml:"repo"`
		Type      string `yaml:"type"`
		Directory string `yaml:"directory"`
	} `yaml:"resolution"`
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
}

type pnpmSnapshot struct {
	Dependencies         map[string]string
	OptionalDependencies map[string]string
}

// nodeEstimate over-approximates how many nodes a YAML or TOML document parses into: three
// per non-blank line (a key, its value and their mapping), two per comma (a flow pair), one
// per opening bracket.
func nodeEstimate(data []byte) int {
	n := 0
	blank := true
	for _, c := range data {
		switch c {
		case '\n':
			if !blank {
				n += 3
			}
			blank = true
		case ' ', '\t', '\r':
		case ',':
			n += 2
			blank = false
		case '[', '{':
			n++
			blank = false
		default:
			blank = false
		}
	}
	if !blank {
		n += 3
	}
	return n
}

// pairs is the number of key comparisons of yaml.v3's duplicate-key check on n keys.
func pairs(n int) int {
	if n > 1<<31 {
		return MaxScalibrQuadratic + 1
	}
	return n * (n - 1) / 2
}

// yamlError is a decoding error at a line of the document.
type yamlError struct {
	line int
	err  error
}

func (e *yamlError) Error() string { return e.err.Error() }

// deref follows an alias node to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// eachPair calls fn for each key/value of a mapping node; a missing or null node has none.
// Duplicate keys and non-scalar keys are errors.
func eachPair(n *yaml.Node, what string, fn func(key string, v *yaml.Node) error) error {
	n = deref(n)
	if n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yamlError{n.Line, fmt.Errorf("%s is not a mapping", what)}
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return &yamlError{k.Line, fmt.Errorf("%s has a key that is not a string", what)}
		}
		if first, dup := seen[k.Value]; dup {
			return &yamlError{k.Line, fmt.Errorf("%s: duplicate key %s (first at line %d)", what, truncQuote(k.Value), first)}
		}
		seen[k.Value] = k.Line
		if err := fn(k.Value, deref(n.Content[i+1])); err != nil {
			return err
		}
	}
	return nil
}

// decodeNode decodes one small node, keeping its line in errors.
func decodeNode(n *yaml.Node, what string, v any) error {
	if err := n.Decode(v); err != nil {
		return &yamlError{n.Line, fmt.Errorf("%s: %v", what, err)}
	}
	return nil
}

// stringMap reads a mapping of strings.
func stringMap(n *yaml.Node, what string) (map[string]string, error) {
	var m map[string]string
	err := eachPair(n, what, func(k string, v *yaml.Node) error {
		var s string
		if err := decodeNode(v, what+"."+k, &s); err != nil {
			return err
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = s
		return nil
	})
	return m, err
}

// importerDeps reads an importer's dependency map.
func importerDeps(n *yaml.Node, what string) (map[string]pnpmImporterDep, error) {
	var m map[string]pnpmImporterDep
	err := eachPair(n, what, func(k string, v *yaml.Node) error {
		var d pnpmImporterDep
		if err := decodeNode(v, what+"."+k, &d); err != nil {
			return err
		}
		if m == nil {
			m = map[string]pnpmImporterDep{}
		}
		m[k] = d
		return nil
	})
	return m, err
}

// readImporter reads one importer (or the top level of a single-project 5.x/6.0 lockfile).
func readImporter(fields map[string]*yaml.Node, what string) (pnpmImporter, error) {
	var im pnpmImporter
	var err error
	if im.Specifiers, err = stringMap(fields["specifiers"], what+".specifiers"); err != nil {
		return im, err
	}
	if im.Dependencies, err = importerDeps(fields["dependencies"], what+".dependencies"); err != nil {
		return im, err
	}
	if im.DevDeps, err = importerDeps(fields["devDependencies"], what+".devDependencies"); err != nil {
		return im, err
	}
	im.OptionalDeps, err = importerDeps(fields["optionalDependencies"], what+".optionalDependencies")
	return im, err
}

// fieldsOf returns the values of a mapping node by key.
func fieldsOf(n *yaml.Node, what string) (map[string]*yaml.Node, error) {
	fields := map[string]*yaml.Node{}
	err := eachPair(n, what, func(k string, v *yaml.Node) error {
		fields[k] = v
		return nil
	})
	return fields, err
}

// decodePnpm parses pnpm-lock.yaml. The line is that of the error, when known.
func decodePnpm(data []byte) (*pnpmLock, int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errorLine(data, err), err
	}
	lock := &pnpmLock{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return lock, 0, nil // an empty document
	}
	err := func() error {
		top, err := fieldsOf(doc.Content[0], "the document")
		if err != nil {
			return err
		}
		if v := deref(top["lockfileVersion"]); v != nil {
			if v.Kind != yaml.ScalarNode {
				return &yamlError{v.Line, errors.New("lockfileVersion is not a scalar")}
			}
			lock.LockfileVersion = v.Value
		}
		single, err := readImporter(top, "the document")
		if err != nil {
			return err
		}
		lock.Specifiers, lock.Dependencies, lock.DevDeps, lock.OptionalDeps = single.Specifiers, single.Dependencies, single.DevDeps, single.OptionalDeps
		if err := eachPair(top["importers"], "importers", func(k string, v *yaml.Node) error {
			fields, err := fieldsOf(v, "importers."+k)
			if err != nil {
				return err
			}
			im, err := readImporter(fields, "importers."+k)
			if lock.Importers == nil {
				lock.Importers = map[string]pnpmImporter{}
			}
			lock.Importers[k] = im
			return err
		}); err != nil {
			return err
		}
		if err := eachPair(top["packages"], "packages", func(k string, v *yaml.Node) error {
			var p pnpmPackage
			if err := decodeNode(v, "packages."+k, &p); err != nil {
				return err
			}
			if lock.Packages == nil {
				lock.Packages = map[string]pnpmPackage{}
			}
			lock.Packages[k] = p
			return nil
		}); err != nil {
			return err
		}
		return eachPair(top["snapshots"], "snapshots", func(k string, v *yaml.Node) error {
			fields, err := fieldsOf(v, "snapshots."+k)
			if err != nil {
				return err
			}
			var snap pnpmSnapshot
			if snap.Dependencies, err = stringMap(fields["dependencies"], "snapshots."+k+".dependencies"); err != nil {
				return err
			}
			if snap.OptionalDependencies, err = stringMap(fields["optionalDependencies"], "snapshots."+k+".optionalDependencies"); err != nil {
				return err
			}
			if lock.Snapshots == nil {
				lock.Snapshots = map[string]pnpmSnapshot{}
			}
			lock.Snapshots[k] = snap
			return nil
		})
	}()
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			return nil, ye.line, ye.err
		}
		return nil, 0, err
	}
	return lock, 0, nil
}

// pnpmMajor returns the lockfile's major version (5, 6, 9, …); 9 when unknown.
func pnpmMajor(v any) int {
	s := strings.Trim(strings.TrimSpace(fmt.Sprint(v)), `'"`)
	major, _, _ := strings.Cut(s, ".")
	n, err := strconv.Atoi(major)
	if err != nil || n <= 0 {
		return 9
	}
	return n
}

// cutPeers removes pnpm's peer suffix: "(react@18.3.1)" (6.0+) or "_react@18.3.1" (5.x).
func cutPeers(v string, major int) string {
	if i := strings.IndexByte(v, '('); i >= 0 {
		v = v[:i]
	}
	if major < 6 {
		if i := strings.IndexByte(v, '_'); i >= 0 {
			v = v[:i]
		}
	}
	return v
}

// pnpmKey splits a packages/snapshots key into name, version (peers removed) and the version
// scalibr reports for the same key (it keeps a 9.0 key's text after the name as is).
func pnpmKey(key string, major int) (name, version, match string) {
	if strings.HasPrefix(key, "/") && major < 9 {
		rest := key[1:]
		if major < 6 {
			parts := strings.Split(rest, "/")
			if strings.HasPrefix(parts[0], "@") && len(parts) >= 2 {
				name = parts[0] + "/" + parts[1]
				parts = parts[2:]
			} else {
				name = parts[0]
				parts = parts[1:]
			}
			if len(parts) > 0 {
				version = cutPeers(parts[0], major)
				return name, version, version
			}
			// 5.x lockfiles can use "/name@1.2.3" too.
		}
		name, version = splitNameVersion(rest)
		version = cutPeers(version, 6)
		return name, version, version
	}
	name, match = splitNameVersion(key)
	return name, cutPeers(match, 6), match
}

// pnpmImporterRef resolves an importer's (or snapshot's) dependency K with version reference V to
// the package name and version it installs: V may carry peers, or name another package (an alias:
// "real@1.2.3" in 9.0, "/real@1.2.3" in 6.0, "/real/1.2.3" in 5.x).
func pnpmImporterRef(k, v string, major int) (name, version string) {
	if strings.HasPrefix(v, "/") {
		n, ver, _ := pnpmKey(v, major)
		return n, ver
	}
	base := cutPeers(v, major)
	if i := strings.LastIndexByte(base, '@'); i > 0 && !strings.Contains(base, ":") {
		return splitNameVersion(base)
	}
	return k, base
}

// snapshotID is the 9.0 snapshots key a dependency reference resolves to.
func snapshotID(k, v string) string {
	base := v
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	if i := strings.LastIndexByte(base, '@'); i > 0 && !strings.Contains(base, ":") {
		return v
	}
	return k + "@" + v
}

func (r *reader) pnpmLock() error {
	lock, line, err := decodePnpm(r.data)
	if err != nil {
		return r.malformed(line, err)
	}
	major := pnpmMajor(lock.LockfileVersion)
	if major < 9 {
		// scalibr logs an error for each 5.x/6.0 key without a '/', and panics on a scope
		// without a name ("/@scope"): refuse such keys first.
		for _, key := range sortedKeys(lock.Packages) {
			parts := strings.Split(key, "/")
			if len(parts) < 2 || strings.HasPrefix(parts[1], "@") && len(parts) < 3 {
				return r.fail(0, fmt.Errorf("%w: package key %s is not a pnpm %d.x dependency path", ErrMalformed, truncQuote(key), major))
			}
		}
	}
	// yaml.v3, which scalibr decodes with, checks a mapping for duplicate keys by comparing
	// every pair: quadratic in the number of packages. Beyond MaxScalibrQuadratic the file is
	// read by this package alone (it finds the same packages).
	var pkgs []*extractor.Package
	if n := len(lock.Packages); pairs(n) > MaxScalibrQuadratic {
		r.problem("%d packages are too many for scalibr's YAML decoder (quadratic): read without scalibr", n)
	} else if pkgs, err = r.runScalibr(pnpmlock.New(), r.data); err != nil {
		return err
	}
	if lock.Importers == nil && (lock.Dependencies != nil || lock.DevDeps != nil || lock.OptionalDeps != nil) {
		lock.Importers = map[string]pnpmImporter{".": {
			Specifiers: lock.Specifiers, Dependencies: lock.Dependencies, DevDeps: lock.DevDeps, OptionalDeps: lock.OptionalDeps,
		}}
	}

	var devOnly map[string]int8
	if major >= 9 && lock.Snapshots != nil {
		devOnly = pnpmDevOnly(lock)
	}

	entries := make([]entry, 0, len(lock.Packages))
	byID := map[string]int{}  // key name@version (peers removed) → entries index
	byKey := map[string]int{} // raw key (peers removed) → entries index, for 5.x/6.0 references
	keys := sortedKeys(lock.Packages)
	for _, key := range keys {
		p := lock.Packages[key]
		keyName, keyVersion, match := pnpmKey(key, major)
		name, version := keyName, keyVersion
		if p.Name != "" {
			name = p.Name
		}
		if p.Version != "" {
			version, match = p.Version, p.Version
		}
		if name == "" {
			continue
		}
		e := entry{name: name, version: version, match: match, integrity: p.Resolution.Integrity, dev: devUnknown}
		res := p.Resolution
		switch {
		case res.Type == "git" || res.Commit != "":
			e.source, e.resolved, e.commit = SourceGit, res.Repo+"#"+res.Commit, res.Commit
		case res.Type == "directory" || res.Directory != "":
			e.source, e.resolved = SourceFile, res.Directory
		case res.Tarball != "":
			e.source, e.resolved = SourceTarball, res.Tarball
			if isGitURL(strings.ToLower(res.Tarball)) {
				e.source, e.commit = SourceGit, gitCommit(res.Tarball)
			} else if isRegistryTarball(res.Tarball, name, version) {
				e.source = SourceRegistry
			}
		case strings.HasPrefix(keyVersion, "file:"):
			e.source, e.resolved = SourceFile, strings.TrimPrefix(keyVersion, "file:")
		case strings.HasPrefix(keyVersion, "link:"):
			e.source, e.resolved = SourceLink, strings.TrimPrefix(keyVersion, "link:")
		default:
			e.source = SourceRegistry
		}
		if devOnly != nil {
			e.dev = devOnly[keyName+"@"+keyVersion]
			if e.dev == devUnknown {
				e.dev = devNo
			}
		}
		byID[keyName+"@"+keyVersion] = len(entries)
		byKey[cutPeers(key, major)] = len(entries)
		entries = append(entries, e)
	}

	for _, imp := range sortedKeys(lock.Importers) {
		im := lock.Importers[imp]
		for _, sec := range []struct {
			deps map[string]pnpmImporterDep
			dev  bool
		}{{im.Dependencies, false}, {im.OptionalDeps, false}, {im.DevDeps, true}} {
			for _, k := range sortedKeys(sec.deps) {
				d := sec.deps[k]
				spec := d.Specifier
				if spec == "" {
					spec = im.Specifiers[k]
				}
				dev := devNo
				if sec.dev {
					dev = devYes
				}
				if strings.HasPrefix(d.Version, "link:") {
					src := SourceLink
					if strings.HasPrefix(spec, "workspace:") {
						src = SourceWorkspace
					}
					entries = append(entries, entry{name: k, spec: spec, source: src, resolved: strings.TrimPrefix(d.Version, "link:"), direct: true, dev: dev})
					continue
				}
				name, version := pnpmImporterRef(k, d.Version, major)
				i, ok := byID[name+"@"+version]
				if !ok {
					i, ok = byKey[cutPeers(d.Version, major)]
				}
				if !ok {
					r.problem("importer %s: %s@%s is not in packages", truncQuote(imp), k, truncQuote(d.Version))
					continue
				}
				pe := &entries[i]
				alias := ""
				if pe.name != k {
					alias = k // an npm: alias, installed under another name
				}
				if !pe.direct {
					pe.direct, pe.alias = true, alias
					if pe.spec == "" {
						pe.spec = spec
					}
					continue
				}
				if pe.alias != alias {
					// Another importer installs the same package under another name.
					c := *pe
					c.alias, c.spec = alias, spec
					entries = append(entries, c)
				}
			}
		}
	}
	r.merge(pkgs, entries)
	return nil
}

// pnpmDevOnly walks the 9.0 snapshots graph from the importers' roots and returns, for each
// name@version (peers removed), devYes when only dev roots reach it and devNo when a production
// (or optional) root does. The walk is iterative and visits each snapshot once.
func pnpmDevOnly(lock *pnpmLock) map[string]int8 {
	walk := func(roots []string) map[string]bool {
		seen := map[string]bool{}
		queue := roots
		for len(queue) > 0 {
			id := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if seen[id] {
				continue
			}
			snap, ok := lock.Snapshots[id]
			if !ok {
				continue
			}
			seen[id] = true
			for _, m := range []map[string]string{snap.Dependencies, snap.OptionalDependencies} {
				for k, v := range m {
					if !strings.HasPrefix(v, "link:") {
						queue = append(queue, snapshotID(k, v))
					}
				}
			}
		}
		return seen
	}
	var prodRoots, devRoots []string
	for _, im := range lock.Importers {
		for _, m := range []map[string]pnpmImporterDep{im.Dependencies, im.OptionalDeps} {
			for k, d := range m {
				prodRoots = append(prodRoots, snapshotID(k, d.Version))
			}
		}
		for k, d := range im.DevDeps {
			devRoots = append(devRoots, snapshotID(k, d.Version))
		}
	}
	out := map[string]int8{}
	for id := range walk(devRoots) {
		out[cutPeers(id, 9)] = devYes
	}
	for id := range walk(prodRoots) {
		out[cutPeers(id, 9)] = devNo
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// indexPnpm records the lines of pnpm-lock.yaml's packages and snapshots keys and of importers'
// version lines, with a line scanner over pnpm's own (block-style, two-space) layout.
func indexPnpm(x *LineIndex, data []byte) {
	major := 9
	section := ""
	importerDepth := 0 // indentation of dependency names in the current importer block
	var curDep string  // current importer dependency name
	var sub string     // current importer's dependency section
	// Refs are resolved at the end: a packages entry can give a key's real name and version
	// ("gitdep@https://codeload…" with "version: 0.1.0"), and importers come first.
	type ref struct {
		name, version string
		line          int
	}
	var refs []ref
	override := map[string]ref{} // name@key version → name and version the entry declares
	var pending struct {
		ref
		keyName, keyVersion string
	}
	flush := func() {
		if pending.line > 0 {
			refs = append(refs, pending.ref)
			if pending.name != pending.keyName || pending.version != pending.keyVersion {
				override[pending.keyName+"@"+pending.keyVersion] = pending.ref
			}
		}
		pending.line = 0
	}
	addRef := func(k, v string, line int) {
		v = unquoteYAML(v)
		if k == "" || v == "" {
			return
		}
		if strings.HasPrefix(v, "link:") {
			refs = append(refs, ref{k, "", line})
			return
		}
		name, version := pnpmImporterRef(k, v, major)
		refs = append(refs, ref{name, version, line})
	}
	forEachLine(data, func(lineNo int, line []byte) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] == '#' {
			return
		}
		indent := len(line) - len(bytes.TrimLeft(line, " "))
		key, value, ok := yamlKeyValue(string(trimmed))
		if indent == 0 {
			flush()
			section = key
			curDep = ""
			if key == "lockfileVersion" {
				major = pnpmMajor(value)
			}
			switch key {
			case "dependencies", "devDependencies", "optionalDependencies":
				importerDepth = 2
			case "importers":
				importerDepth = 6
			}
			return
		}
		if !ok {
			return
		}
		switch section {
		case "packages", "snapshots":
			if indent == 2 {
				flush()
				name, version, _ := pnpmKey(key, major)
				pending.ref = ref{name, version, lineNo}
				pending.keyName, pending.keyVersion = name, version
				return
			}
			if indent == 4 && pending.line > 0 && section == "packages" {
				switch key {
				case "name":
					pending.name = unquoteYAML(value)
				case "version":
					pending.version = unquoteYAML(value)
				}
			}
		case "importers", "dependencies", "devDependencies", "optionalDependencies":
			depSection := section
			if section == "importers" {
				if indent <= 4 {
					sub, curDep = "", ""
					if indent == 4 {
						sub = key
					}
					return
				}
				depSection = sub
			}
			if depSection != "dependencies" && depSection != "devDependencies" && depSection != "optionalDependencies" {
				return
			}
			switch {
			case indent == importerDepth:
				curDep = key
				if strings.HasPrefix(value, "{") {
					addRef(key, flowValue(value, "version"), lineNo)
				} else if value != "" {
					addRef(key, value, lineNo) // 5.x: name: version
				}
			case indent == importerDepth+2 && key == "version" && curDep != "":
				addRef(curDep, value, lineNo)
			case indent < importerDepth:
				curDep = ""
			}
		}
	})
	flush()
	for _, r := range refs {
		if o, ok := override[r.name+"@"+r.version]; ok {
			r.name, r.version = o.name, o.version
		}
		x.add(r.name, r.version, r.line)
	}
}

// forEachLine calls fn with each line of data (without its newline) and its 1-based number.
func forEachLine(data []byte, fn func(lineNo int, line []byte)) {
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		fn(lineNo, line)
	}
}

// yamlKeyValue splits a block-mapping line "key: value" (the key possibly quoted) into its key
// and raw value. ok is false for lines that are not mapping entries (list items, scalars).
func yamlKeyValue(s string) (key, value string, ok bool) {
	if s == "" || s[0] == '-' {
		return "", "", false
	}
	if s[0] == '\'' || s[0] == '"' {
		q := s[0]
		i := 1
		var b strings.Builder
		for i < len(s) {
			c := s[i]
			if c == q {
				if q == '\'' && i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				break
			}
			if c == '\\' && q == '"' && i+1 < len(s) {
				i++
				c = s[i]
			}
			b.WriteByte(c)
			i++
		}
		if i >= len(s) {
			return "", "", false
		}
		rest := strings.TrimSpace(s[i+1:])
		if !strings.HasPrefix(rest, ":") {
			return "", "", false
		}
		return b.String(), strings.TrimSpace(rest[1:]), true
	}
	if i := strings.Index(s, ": "); i >= 0 {
		return s[:i], strings.TrimSpace(s[i+2:]), true
	}
	if strings.HasSuffix(s, ":") {
		return s[:len(s)-1], "", true
	}
	return "", "", false
}

// unquoteYAML removes a scalar's quotes and a trailing comment.
func unquoteYAML(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '\'' && v[len(v)-1] == '\'' || v[0] == '"' && v[len(v)-1] == '"') {
		inner := v[1 : len(v)-1]
		if v[0] == '\'' {
			return strings.ReplaceAll(inner, "''", "'")
		}
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
		return inner
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

// flowValue returns the value of key in a one-line flow mapping "{a: 1, key: v}".
func flowValue(flow, key string) string {
	flow = strings.TrimSpace(flow)
	flow = strings.TrimPrefix(flow, "{")
	flow = strings.TrimSuffix(flow, "}")
	for _, part := range strings.Split(flow, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if ok && unquoteYAML(k) == key {
			return unquoteYAML(v)
		}
	}
	return ""
}
