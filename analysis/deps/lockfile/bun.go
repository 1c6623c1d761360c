package lockfile

import (
	"encoding/json"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/bunlock"
	"github.com/tidwall/jsonc"
)

// bunLock is this package's own read of bun.lock, after the same JSONC→JSON conversion scalibr
// uses (github.com/tidwall/jsonc), so both reads see the same document. scalibr's bunlock
// extractor reports name, version and a git commit per "packages" entry; it drops:
//   - the install key, so aliases ("old-x": ["x@6.1.0", …]) are lost;
//   - the registry URL (a non-default registry), the integrity, and file:, link:, workspace:
//     and tarball idents (it blanks their version);
//   - the workspaces' declared dependencies (direct) and dev-only status, computed here by
//     walking "packages" from the workspaces' production and dev roots with bun's nested-key
//     lookup ("parent/child" before "child").
type bunLock struct {
	Workspaces map[string]bunWorkspace      `json:"workspaces"`
	Packages   map[string][]json.RawMessage `json:"packages"`
}

type bunWorkspace struct {
	Name                 string            `json:"name"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

type bunInfo struct {
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// bunEntry is one decoded "packages" tuple.
type bunEntry struct {
	name, ref  string // ident "name@ref"
	registry   string
	integrity  string
	info       bunInfo
	installKey string
}

// decodeBunTuple reads [ident, registry?, info?, integrity?] in its npm, git and local shapes.
func decodeBunTuple(key string, tuple []json.RawMessage) (bunEntry, bool) {
	e := bunEntry{installKey: key}
	if len(tuple) == 0 {
		return e, false
	}
	var ident string
	if json.Unmarshal(tuple[0], &ident) != nil {
		return e, false
	}
	e.name, e.ref = splitNameVersion(ident)
	rest := tuple[1:]
	// npm shape: [ident, registry string, info object, integrity string]
	var s string
	if len(rest) > 0 && json.Unmarshal(rest[0], &s) == nil {
		e.registry = s
		rest = rest[1:]
	}
	if len(rest) > 0 {
		_ = json.Unmarshal(rest[0], &e.info)
		rest = rest[1:]
	}
	if len(rest) > 0 && json.Unmarshal(rest[0], &s) == nil && (strings.HasPrefix(s, "sha512-") || strings.HasPrefix(s, "sha1-") || strings.HasPrefix(s, "sha256-") || strings.HasPrefix(s, "sha384-")) {
		e.integrity = s
	}
	return e, true
}

// bunInstallName is the package name an install key ends with ("parent/@s/p" → "@s/p").
func bunInstallName(key string) string {
	return lastPathName(key)
}

func (r *reader) bunLock() error {
	pkgs, err := r.runScalibr(bunlock.New(), r.data)
	if err != nil {
		return err
	}
	var lock bunLock
	if err := json.Unmarshal(jsonc.ToJSON(r.data), &lock); err != nil {
		return r.decodeError(err)
	}
	tuples := make(map[string]bunEntry, len(lock.Packages))
	for key, t := range lock.Packages {
		if e, ok := decodeBunTuple(key, t); ok {
			tuples[key] = e
		} else {
			r.problem("packages[%s]: not a [\"name@version\", …] tuple", truncQuote(key))
		}
	}
	g := &bunGraph{tuples: tuples, steps: &r.graphSteps}
	dev := g.devOnly(&lock)
	// Direct: the install keys the workspaces' declarations resolve to (key → spec).
	direct := map[string]string{}
	for _, wsKey := range sortedKeys(lock.Workspaces) {
		ws := lock.Workspaces[wsKey]
		for _, m := range []map[string]string{ws.Dependencies, ws.DevDependencies, ws.OptionalDependencies, ws.PeerDependencies} {
			for _, n := range sortedKeys(m) {
				if k, ok := g.resolve(bunWorkspacePrefix(wsKey, ws), n); ok {
					if _, seen := direct[k]; !seen {
						direct[k] = m[n]
					}
				}
			}
		}
	}
	if g.exhausted {
		dev = nil
		r.problem("the dependency graph needs more than %d steps to walk; direct and dev flags are incomplete", MaxGraphSteps)
	}
	entries := make([]entry, 0, len(tuples))
	for key, t := range tuples {
		spec, isDirect := direct[key]
		e := entry{name: t.name, alias: bunInstallName(key), integrity: t.integrity, direct: isDirect, spec: spec, dev: dev[key]}
		if e.dev == devUnknown {
			e.dev = devNo
		}
		ref := t.ref
		switch src := npmSpecSource(ref); src {
		case SourceRegistry:
			e.version, e.match = ref, ref
			if t.registry != "" && !isRegistryURL(t.registry) {
				// A registry other than the default: its packages need not be npm's.
				e.source, e.resolved = SourceOther, t.registry
			} else {
				e.source = SourceRegistry
			}
		case SourceWorkspace:
			e.skip, e.source, e.match = true, src, ref
		case SourceGit:
			e.source, e.resolved, e.commit = src, ref, bunCommit(ref)
			e.match = "" // scalibr blanks the version of "#commit" idents
		default:
			e.source, e.resolved = src, ref
			if strings.Contains(ref, "#") {
				e.match = ""
			} else if src == SourceFile {
				e.match = ""
			} else {
				e.match = ref
			}
		}
		entries = append(entries, e)
	}
	r.merge(pkgs, entries)
	return nil
}

// bunCommit returns the commit of a git ident ref ("github:o/r#527e8ce").
func bunCommit(ref string) string {
	if _, c, ok := strings.Cut(ref, "#"); ok {
		return c
	}
	return ""
}

// bunWorkspacePrefix is the install-key prefix of a workspace's own nested dependencies.
func bunWorkspacePrefix(wsKey string, ws bunWorkspace) string {
	if wsKey == "" {
		return ""
	}
	if ws.Name != "" {
		return ws.Name
	}
	return lastPathName(wsKey)
}

// bunGraph resolves bun.lock dependencies within a step budget.
type bunGraph struct {
	tuples    map[string]bunEntry
	steps     *int
	exhausted bool
}

// resolve finds the install key that dependency dep of the package at key from resolves to,
// the way bun nests them: "from/dep", then each shorter prefix of from, then "dep". Each
// candidate costs one step per 64 bytes; when the budget runs out nothing resolves any more.
func (g *bunGraph) resolve(from, dep string) (string, bool) {
	try := func(k string) bool {
		cost := 1 + len(k)/64
		if g.exhausted || *g.steps < cost {
			g.exhausted = true
			return false
		}
		*g.steps -= cost
		_, ok := g.tuples[k]
		return ok
	}
	for p := from; p != ""; {
		if try(p + "/" + dep) {
			return p + "/" + dep, true
		}
		if g.exhausted {
			return "", false
		}
		name := lastPathName(p)
		if len(name) >= len(p) {
			break
		}
		p = strings.TrimSuffix(p[:len(p)-len(name)], "/")
	}
	if try(dep) {
		return dep, true
	}
	return "", false
}

// devOnly returns devYes for install keys only the workspaces' devDependencies reach, devNo
// for those a production root reaches. The walk is iterative; each key is visited once.
func (g *bunGraph) devOnly(lock *bunLock) map[string]int8 {
	walk := func(dev bool) map[string]bool {
		seen := map[string]bool{}
		var queue []string
		for _, wsKey := range sortedKeys(lock.Workspaces) {
			ws := lock.Workspaces[wsKey]
			maps := []map[string]string{ws.Dependencies, ws.OptionalDependencies, ws.PeerDependencies}
			if dev {
				maps = []map[string]string{ws.DevDependencies}
			}
			for _, m := range maps {
				for _, n := range sortedKeys(m) {
					if k, ok := g.resolve(bunWorkspacePrefix(wsKey, ws), n); ok {
						queue = append(queue, k)
					}
				}
			}
		}
		for len(queue) > 0 && !g.exhausted {
			k := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if seen[k] {
				continue
			}
			seen[k] = true
			info := g.tuples[k].info
			for _, m := range []map[string]string{info.Dependencies, info.OptionalDependencies, info.PeerDependencies} {
				for n := range m {
					if next, ok := g.resolve(k, n); ok && !seen[next] {
						queue = append(queue, next)
					}
				}
			}
		}
		return seen
	}
	devSeen, prodSeen := walk(true), walk(false)
	out := map[string]int8{}
	for k := range devSeen {
		out[k] = devYes
	}
	for k := range prodSeen {
		out[k] = devNo
	}
	return out
}

// bunIndexer records the line of each bun.lock "packages" entry.
type bunIndexer struct{ x *LineIndex }

// countMapKey counts values inside package tuples and workspaces: the decoders build all of them.
func (ix bunIndexer) countMapKey(sc *jsonScanner, depth int) {
	if depth >= 3 && (sc.keyIs(0, "packages") || sc.keyIs(0, "workspaces")) {
		ix.x.mapKeys++
	}
}

func (ix bunIndexer) open(sc *jsonScanner, _ int) { ix.countMapKey(sc, len(sc.stack)-1) }
func (bunIndexer) close(*jsonScanner)             {}

func (ix bunIndexer) scalar(sc *jsonScanner, raw []byte, _ int) {
	ix.countMapKey(sc, len(sc.stack))
	n := len(sc.stack)
	if n != 3 || !sc.keyIs(0, "packages") || !sc.stack[1].object || sc.stack[2].object || sc.stack[2].index != 0 {
		return
	}
	name, ref := splitNameVersion(sc.strOr(raw))
	version := ref
	if src := npmSpecSource(ref); src != SourceRegistry {
		version = ""
	}
	ix.x.add(name, version, sc.stack[1].keyLine)
}
