package lockfile

import (
	"errors"
	"fmt"
	"slices"
)

// LineIndex maps the dependencies of one file to the 1-based lines where they appear. Build it
// once per file with Index; each Lines call is then a map lookup.
type LineIndex struct {
	eco       string
	byName    map[string][]int // name → lines of every version
	byVersion map[string][]int // name + "\x00" + version → lines
	n         int
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
// problem (Extract reports the error). bun.lockb has no lines.
func Index(kind Kind, data []byte) *LineIndex {
	x := &LineIndex{eco: kind.Ecosystem(), byName: map[string][]int{}, byVersion: map[string][]int{}}
	if len(data) > MaxLockfileSize {
		return x
	}
	switch kind {
	case PackageJSON:
		indexPackageJSON(x, data)
	case PackageLockJSON, NpmShrinkwrap:
		indexPackageLock(x, data)
	case PnpmLock:
		indexPnpm(x, data)
	case YarnLock:
		indexYarn(x, data)
	case BunLock:
		indexBun(x, data)
	case Requirements:
		indexRequirements(x, data)
	case PyProject:
		indexPyproject(x, data)
	case UVLock, PoetryLock:
		indexTOMLPackages(x, data)
	case PipfileLock:
		indexPipfileLock(x, data)
	}
	return x
}

// add records that name at version appears on line.
func (x *LineIndex) add(name, version string, line int) {
	if name == "" || line <= 0 {
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

// checkJSON scans r.data before any decoder sees it: syntax, nesting depth (MaxNestingDepth)
// and duplicate keys (reported as problems: encoding/json silently keeps the last one).
func (r *reader) checkJSON(jsonc bool) error {
	line, err := scanJSON(r.data, jsonc, MaxNestingDepth, nil, func(key []byte, line int) {
		r.problem("line %d: duplicate key %s (the last one wins)", line, truncQuote(string(key)))
	})
	if err != nil {
		if errors.Is(err, ErrTooDeep) {
			return r.fail(line, err)
		}
		return r.fail(line, fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	return nil
}
