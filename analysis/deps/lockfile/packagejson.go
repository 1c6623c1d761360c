package lockfile

import "encoding/json"

// packageJSONFields are the dependency maps of package.json, and whether each is dev-only.
// (scalibr's packagejson extractor reads installed packages' own name and version, not these
// lists, so this parser is ours.) npm "overrides", yarn "resolutions" and "pnpm.overrides" are
// not read: they change what a lockfile resolves, and the lockfile is where that shows.
func packageJSONFields() [4]depField {
	return [...]depField{
		{"dependencies", false},
		{"devDependencies", true},
		{"optionalDependencies", false},
		{"peerDependencies", false},
	}
}

// depField is one named dependency list and whether it is dev-only.
type depField struct {
	name string
	dev  bool
}

func isPackageJSONField(name string) bool {
	for _, f := range packageJSONFields() {
		if f.name == name {
			return true
		}
	}
	return false
}

func (r *reader) packageJSON() error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(r.data, &doc); err != nil {
		return r.decodeError(err)
	}
	declared := map[string]bool{}
	var deps []Dep
	for _, f := range packageJSONFields() {
		raw, ok := doc[f.name]
		if !ok || string(raw) == "null" {
			continue
		}
		var specs map[string]string
		if err := json.Unmarshal(raw, &specs); err != nil {
			// Not all strings: keep the ones that are.
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				r.problem("%s is not an object of name → specifier", f.name)
				continue
			}
			specs = map[string]string{}
			for key, v := range m {
				var spec string
				if err := json.Unmarshal(v, &spec); err != nil {
					r.problem("%s.%s: the specifier is not a string", f.name, truncQuote(key))
					continue
				}
				specs[key] = spec
			}
		}
		for key, spec := range specs {
			d := packageJSONDep(key, spec)
			d.Dev = f.dev
			declared[key] = true
			deps = append(deps, d)
		}
	}
	for _, field := range []string{"bundleDependencies", "bundledDependencies"} {
		raw, ok := doc[field]
		if !ok {
			continue
		}
		var names []string
		if err := json.Unmarshal(raw, &names); err != nil {
			var all bool
			if json.Unmarshal(raw, &all) != nil {
				r.problem("%s is neither a list of names nor a boolean", field)
			}
			continue // true bundles every dependency, which is already listed
		}
		for _, n := range names {
			if !declared[n] {
				// Bundled but not declared: its code ships inside the package with no spec.
				deps = append(deps, Dep{Ecosystem: NPM, Name: n, Direct: true, Source: SourceRegistry})
			}
		}
	}
	r.deps = dedupeDeps(deps)
	return nil
}

// packageJSONDep interprets one "name": "spec" entry of package.json.
func packageJSONDep(key, spec string) Dep {
	d := Dep{Ecosystem: NPM, Name: key, Version: spec, Spec: spec, Direct: true}
	if len(spec) >= 4 && (spec[:4] == "npm:" || spec[:4] == "NPM:") {
		name, rng := splitNpmAlias(spec[4:])
		if name != "" {
			d.Name = name
			if name != key {
				d.Alias = key
			}
		}
		d.Version = rng
		d.Source = SourceRegistry
		return d
	}
	d.Source = npmSpecSource(spec)
	if d.Source != SourceRegistry {
		d.Resolved = spec
	}
	return d
}

// pkgJSONIndexer records the line of each dependency of package.json.
type pkgJSONIndexer struct{ x *LineIndex }

// open counts top-level values: package.json's top level is decoded as a map.
func (ix pkgJSONIndexer) open(sc *jsonScanner, _ int) {
	if len(sc.stack) == 2 && sc.stack[0].object {
		ix.x.mapKeys++
	}
}

func (pkgJSONIndexer) close(*jsonScanner) {}

func (ix pkgJSONIndexer) scalar(sc *jsonScanner, raw []byte, line int) {
	if len(sc.stack) == 1 && sc.stack[0].object {
		ix.x.mapKeys++
	}
	if len(sc.stack) == 2 && sc.stack[0].object && !sc.stack[1].object &&
		(sc.keyIs(0, "bundleDependencies") || sc.keyIs(0, "bundledDependencies")) {
		ix.x.add(sc.strOr(raw), "", line)
		return
	}
	if len(sc.stack) != 2 || !sc.stack[0].object || !sc.stack[1].object || !isPackageJSONField(string(sc.stack[0].key)) {
		return
	}
	d := packageJSONDep(string(sc.stack[1].key), sc.strOr(raw))
	ix.x.add(d.Name, d.Version, sc.stack[1].keyLine)
}
