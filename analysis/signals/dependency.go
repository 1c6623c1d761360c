package signals

import (
	"fmt"
	"strings"
)

// dependencies reports runtime dependencies (dependencies, optionalDependencies, peerDependencies)
// added in the new version's package.json, and existing ones that now come from outside the registry
// (git, a URL, a path, an npm: alias). Nothing is reported for an added package (from == nil) or when
// either package.json cannot be read.
func (d *delta) dependencies() {
	tm, fm := &d.toMan, &d.fromMan
	if d.from == nil || tm.err != nil || fm.err != nil {
		return
	}
	for name, dep := range tm.deps {
		old, had := fm.deps[name]
		pos := tm.keyAt(dep.section, name)
		where := fmt.Sprintf("(package.json:%d)", pos.line)
		it := item{rule: RuleNewDependency, path: manifestPath, line: pos.line, off: pos.off, data: tm.data}
		switch {
		case !had:
			it.msg = fmt.Sprintf("%sruntime dependency %s %s in %s %s", prefixNew, quoteValue(name, 100), quoteValue(dep.spec, 100), dep.section, where)
			it.evidence = fmt.Sprintf("package.json %s of the new version; not in dependencies, optionalDependencies or peerDependencies of the previous version", dep.section)
		case dep.spec != old.spec && nonRegistrySpec(dep.spec):
			it.msg = fmt.Sprintf("%sdependency %s now comes from %s, was %s %s", prefixChanged, quoteValue(name, 100), quoteValue(dep.spec, 100), quoteValue(old.spec, 100), where)
			it.evidence = fmt.Sprintf("package.json %s: previous version %s, new version %s", dep.section, quoteValue(old.spec, 100), quoteValue(dep.spec, 100))
		default:
			continue
		}
		d.add(it)
	}
}

// nonRegistrySpec reports dependency specs that do not name a registry version range: git and hosted
// git shorthands, URLs, paths, and npm: aliases (which install a package under another name).
func nonRegistrySpec(spec string) bool {
	s := strings.ToLower(strings.TrimSpace(spec))
	for _, p := range []string{"git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:", "http:", "https:", "file:", "link:", "npm:", "workspace:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return strings.Contains(s, "/") // owner/repo shorthand, ./path, ../path.tgz
}
