package lockfile

import "slices"

// LineIndex maps the dependencies of one file to the 1-based lines where they appear. Build it
// once per file with Index; each Lines call is then a map lookup.
type LineIndex struct {
	eco       string
	byName    map[string][]int // name → lines of every version
	byVersion map[string][]int // name + "\x00" + version → lines
	n         int
	// unindexed counts entries read but not indexed (the v1 tree a v2 package-lock.json
	// keeps, entries beyond MaxEntries): they count against MaxEntries all the same.
	unindexed int
	// mapKeys counts the keys of the JSON maps the decoders build, for MaxMapKeys.
	mapKeys int
}

// Index reads data, a file of the given kind, once and records where each dependency appears:
//   - package-lock.json / npm-shrinkwrap.json: the "version" line under each "node_modules/…"
//     key (the key line for link entries; the v1 "dependencies" tree when there is no
//     "packages" map);
//   - pnpm-lock.yaml: each "name@version" key of packages and snapshots, and each importer's
//     version line;
//   - yarn.lock: the version line of each block, for every name its header lists;
//   - bun.lock: the line of each "packages" entry;
//   - package.json: each dependency's line; requirements: each requirement's first line;
//     pyproject.toml: each dependency string or poetry key;
//   - uv.lock / poetry.lock: each [[package]]'s version line; Pipfile.lock: each "version" line.
//
// Index never fails: on malformed or oversized input it returns what it found before the
// problem (Extract reports the error). bun.lockb has no lines. Extract builds the same index
// while reading (Result.Index).
func Index(kind Kind, data []byte) *LineIndex {
	x, _, _ := buildIndex(kind, data, nil)
	return x
}

// buildIndex is Index; for JSON kinds it also returns the scanner's error (syntax, nesting
// depth) and reports duplicate keys to dupes.
func buildIndex(kind Kind, data []byte, dupes func(key []byte, line int)) (*LineIndex, int, error) {
	x := &LineIndex{eco: kind.Ecosystem(), byName: map[string][]int{}, byVersion: map[string][]int{}}
	if len(data) > MaxLockfileSize {
		return x, 0, nil
	}
	data = trimBOM(data)
	var h jsonHandler
	jsonc := false
	switch kind {
	case PackageJSON:
		h = pkgJSONIndexer{x}
	case PackageLockJSON, NpmShrinkwrap:
		ix := &npmLockIndexer{x: x}
		line, err := scanJSON(data, false, MaxNestingDepth, ix, dupes)
		ix.finish()
		return x, line, err
	case BunLock:
		h, jsonc = bunIndexer{x}, true
	case PipfileLock:
		h = &pipfileIndexer{x: x}
	case PnpmLock:
		indexPnpm(x, data)
	case YarnLock:
		indexYarn(x, data)
	case Requirements:
		indexRequirements(x, data)
	case PyProject:
		indexPyproject(x, data)
	case UVLock, PoetryLock:
		indexTOMLPackages(x, data)
	}
	if h == nil {
		return x, 0, nil
	}
	line, err := scanJSON(data, jsonc, MaxNestingDepth, h, dupes)
	return x, line, err
}

// add records that name at version appears on line.
func (x *LineIndex) add(name, version string, line int) {
	if name == "" || line <= 0 {
		return
	}
	if x.full() {
		x.unindexed++ // a file Extract refuses: stop growing the index
		return
	}
	name = normName(x.eco, name)
	version = redactURLs(version)
	x.byName[name] = append(x.byName[name], line)
	k := name + "\x00" + version
	x.byVersion[k] = append(x.byVersion[k], line)
	x.n++
}

// Lines returns the sorted 1-based lines where dep appears: every occurrence of dep.Name at
// dep.Version, whatever alias it is installed under. When dep.Version is empty (git or link
// sources without a version), every occurrence of the name is returned. A nil index, an opaque
// Dep or an unknown package gives nil.
func (x *LineIndex) Lines(dep Dep) []int {
	if x == nil || dep.Opaque {
		return nil
	}
	name := normName(x.eco, dep.Name)
	if _, ok := x.byName[name]; !ok && dep.Alias != "" {
		name = normName(x.eco, dep.Alias)
	}
	var lines []int
	if dep.Version == "" {
		lines = x.byName[name]
	} else {
		lines = x.byVersion[name+"\x00"+dep.Version]
	}
	if len(lines) == 0 {
		return nil
	}
	out := slices.Clone(lines)
	slices.Sort(out)
	return slices.Compact(out)
}

// Len returns how many occurrences the index holds.
func (x *LineIndex) Len() int {
	if x == nil {
		return 0
	}
	return x.n
}

// full reports whether the index holds MaxEntries entries: Extract refuses any more.
func (x *LineIndex) full() bool { return x.n >= MaxEntries }

// entries is how many package entries the file holds, for MaxEntries.
func (x *LineIndex) entries() int { return x.n + x.unindexed }
