package lockfile

import (
	"strings"

	"github.com/BurntSushi/toml"
)

// pyproject is the part of pyproject.toml that declares dependencies. scalibr has no extractor
// for pyproject.toml's declared dependencies, so this parser is ours (BurntSushi/toml).
//
// Dev: [dependency-groups] (PEP 735), [tool.uv] dev-dependencies, [tool.poetry]
// dev-dependencies and Poetry groups other than "main" are treated as dev-only; PEP 621
// optional-dependencies (extras) are not.
type pyproject struct {
	Project struct {
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		UV struct {
			DevDependencies []string       `toml:"dev-dependencies"`
			Sources         map[string]any `toml:"sources"`
		} `toml:"uv"`
		Poetry struct {
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

func (r *reader) pyproject() error {
	var doc pyproject
	if _, err := toml.Decode(string(r.data), &doc); err != nil {
		return r.decodeError(err)
	}
	var deps []Dep
	add := func(s string, dev bool, where string) {
		req, ok := parsePEP508(s)
		if !ok {
			r.problem("%s: not a PEP 508 requirement: %s", where, truncQuote(s))
			return
		}
		deps = append(deps, pyDep(req, dev))
	}
	for _, s := range doc.Project.Dependencies {
		add(s, false, "project.dependencies")
	}
	for _, g := range sortedKeys(doc.Project.OptionalDependencies) {
		for _, s := range doc.Project.OptionalDependencies[g] {
			add(s, false, "project.optional-dependencies."+g)
		}
	}
	for _, g := range sortedKeys(doc.DependencyGroups) {
		for _, v := range doc.DependencyGroups[g] {
			if s, ok := v.(string); ok {
				add(s, true, "dependency-groups."+g)
			} // {include-group = "…"} tables name other groups
		}
	}
	for _, s := range doc.Tool.UV.DevDependencies {
		add(s, true, "tool.uv.dev-dependencies")
	}
	poetry := func(m map[string]any, dev bool, where string) {
		for _, name := range sortedKeys(m) {
			if strings.EqualFold(name, "python") {
				continue
			}
			for _, d := range poetryDeps(name, m[name]) {
				d.Dev = dev
				deps = append(deps, d)
			}
		}
	}
	poetry(doc.Tool.Poetry.Dependencies, false, "tool.poetry.dependencies")
	poetry(doc.Tool.Poetry.DevDependencies, true, "tool.poetry.dev-dependencies")
	for _, g := range sortedKeys(doc.Tool.Poetry.Group) {
		poetry(doc.Tool.Poetry.Group[g].Dependencies, g != "main", "tool.poetry.group."+g)
	}
	// [tool.uv.sources] can silently redirect a name to git, a URL or a path.
	for i := range deps {
		src, ok := doc.Tool.UV.Sources[deps[i].Name]
		if !ok {
			for k, v := range doc.Tool.UV.Sources {
				if normName(PyPI, k) == deps[i].Name {
					src, ok = v, true
				}
			}
		}
		if ok {
			applyUVSource(&deps[i], src)
		}
	}
	r.deps = dedupeDeps(deps)
	return nil
}

// pyDep turns a parsed requirement into a declared Dep.
func pyDep(req pyReq, dev bool) Dep {
	d := Dep{Ecosystem: PyPI, Name: normName(PyPI, req.name), Version: req.version, Spec: req.spec, Direct: true, Dev: dev, Source: req.source}
	if d.Source != SourceRegistry {
		d.Resolved = req.resolved
	}
	return d
}

// poetryDeps interprets one [tool.poetry.dependencies] entry: a version string, a table
// ({version, git, path, url, …}) or a list of such tables (one per marker).
func poetryDeps(name string, v any) []Dep {
	base := Dep{Ecosystem: PyPI, Name: normName(PyPI, name), Direct: true, Source: SourceRegistry}
	switch t := v.(type) {
	case string:
		base.Version, base.Spec = t, t
		return []Dep{base}
	case map[string]any:
		d := base
		str := func(k string) string {
			if s, ok := t[k].(string); ok {
				return s
			}
			return ""
		}
		d.Version, d.Spec = str("version"), str("version")
		switch {
		case str("git") != "":
			ref := firstNonEmpty(str("rev"), str("tag"), str("branch"))
			d.Source, d.Resolved = SourceGit, str("git")
			if ref != "" {
				d.Resolved += "@" + ref
			}
		case str("path") != "":
			d.Source, d.Resolved = SourceFile, str("path")
		case str("url") != "":
			d.Source, d.Resolved = SourceTarball, str("url")
		}
		return []Dep{d}
	case []any:
		var out []Dep
		for _, x := range t {
			if m, ok := x.(map[string]any); ok {
				out = append(out, poetryDeps(name, m)...)
			}
		}
		return out
	}
	return nil
}

// applyUVSource applies a [tool.uv.sources] entry (a table, or a list of tables with markers:
// the first is used) to a declared Dep.
func applyUVSource(d *Dep, v any) {
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return
		}
		v = list[0]
	}
	t, ok := v.(map[string]any)
	if !ok {
		return
	}
	str := func(k string) string {
		if s, ok := t[k].(string); ok {
			return s
		}
		return ""
	}
	switch {
	case str("git") != "":
		d.Source, d.Resolved = SourceGit, str("git")
		if ref := firstNonEmpty(str("rev"), str("tag"), str("branch")); ref != "" {
			d.Resolved += "@" + ref
		}
	case str("url") != "":
		d.Source, d.Resolved = SourceTarball, str("url")
	case str("path") != "":
		d.Source, d.Resolved = SourceFile, str("path")
	case t["workspace"] == true:
		d.Source, d.Resolved = SourceWorkspace, ""
	case str("index") != "":
		d.Source, d.Resolved = SourceOther, "index "+str("index")
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// indexPyproject records the line of each dependency string of the PEP 621/735 and [tool.uv]
// arrays, and of each key of the Poetry dependency tables.
func indexPyproject(x *LineIndex, data []byte) {
	table := ""
	inArray := false // inside a dependency array
	depth := 0
	forEachLine(data, func(lineNo int, raw []byte) {
		line := strings.TrimSpace(string(raw))
		if !inArray {
			if strings.HasPrefix(line, "[") && !strings.HasPrefix(line, "[[") {
				end := strings.IndexByte(line, ']')
				if end > 0 {
					table = normTableName(line[1:end])
				}
				return
			}
			key, value, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(line, "#") {
				return
			}
			key = strings.Trim(strings.TrimSpace(key), `"'`)
			value = strings.TrimSpace(value)
			if isPoetryDepTable(table) {
				if strings.EqualFold(key, "python") {
					return
				}
				version := ""
				if strings.HasPrefix(value, "{") {
					version = tomlInlineString(value, "version")
				} else {
					version = tomlString(value)
				}
				x.add(key, version, lineNo)
				return
			}
			if !isPyDepArray(table, key) || !strings.HasPrefix(value, "[") {
				return
			}
			inArray, depth = true, 0
			line = value
		}
		// Inside (or at the start of) a dependency array: every string is a requirement.
		for i := 0; i < len(line); i++ {
			switch c := line[i]; c {
			case '#':
				i = len(line)
			case '[':
				depth++
			case ']':
				depth--
				if depth <= 0 {
					inArray = false
					return
				}
			case '"', '\'':
				end := strings.IndexByte(line[i+1:], c)
				if end < 0 {
					return
				}
				if x.full() {
					x.unindexed++
				} else if req, ok := parsePEP508(line[i+1 : i+1+end]); ok {
					x.add(req.name, req.version, lineNo)
				}
				i += end + 1
			}
		}
	})
}

// normTableName removes quotes and spaces from a TOML table header.
func normTableName(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

func isPoetryDepTable(t string) bool {
	if t == "tool.poetry.dependencies" || t == "tool.poetry.dev-dependencies" {
		return true
	}
	return strings.HasPrefix(t, "tool.poetry.group.") && strings.HasSuffix(t, ".dependencies")
}

func isPyDepArray(table, key string) bool {
	switch table {
	case "project":
		return key == "dependencies"
	case "project.optional-dependencies", "dependency-groups":
		return true
	case "tool.uv":
		return key == "dev-dependencies"
	}
	return false
}

// tomlInlineString returns a string field of a one-line inline table.
func tomlInlineString(v, key string) string {
	if _, depth := tomlDepth([]byte(v), MaxNestingDepth); depth > MaxNestingDepth {
		return ""
	}
	var m map[string]any
	if _, err := toml.Decode("x = "+v, &m); err == nil {
		if t, ok := m["x"].(map[string]any); ok {
			if s, ok := t[key].(string); ok {
				return s
			}
		}
	}
	return ""
}
