package signals

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// installHooks are the lifecycle scripts npm runs when a registry package is installed.
func installHooks() []string { return []string{"preinstall", "install", "postinstall"} }

// gypFile is the node-gyp build file; npm runs `node-gyp rebuild` on install when it is present and
// package.json has no install or preinstall script.
const gypFile = "binding.gyp"

// installScripts reports install scripts that are added or changed, scripts whose file changed, and
// an implicit node-gyp build that appears or whose binding.gyp changed.
func (d *delta) installScripts() {
	tm, fm := &d.toMan, &d.fromMan
	if tm.err != nil {
		d.add(item{rule: RuleUnscanned, path: manifestPath,
			msg: fmt.Sprintf("package.json of the new version could not be read, so its install scripts and dependencies were not checked: %s (package.json).", tm.err)})
	}
	for _, hook := range installHooks() {
		now, ok := tm.scripts[hook]
		if !ok {
			continue
		}
		was, had := fm.scripts[hook]
		pos := tm.keyAt("scripts", hook)
		it := item{rule: RuleInstallScript, path: manifestPath, line: pos.line, off: pos.off, data: tm.data,
			evidence: d.scriptEvidence(hook, was, had, now)}
		where := fmt.Sprintf("(package.json:%d)", pos.line)
		switch {
		case d.from == nil:
			it.msg = fmt.Sprintf("%s%s script %s %s", prefixAlone, hook, quoteValue(now, 200), where)
		case !had:
			it.msg = fmt.Sprintf("%s%s script %s %s", prefixNew, hook, quoteValue(now, 200), where)
		case was != now:
			it.msg = fmt.Sprintf("%s%s script, was %s, now %s %s", prefixChanged, hook, quoteValue(was, 200), quoteValue(now, 200), where)
		default:
			file, how := d.scriptFile(now)
			if file == "" {
				continue
			}
			it.msg = fmt.Sprintf("%s%s script %s runs %s, which is %s %s", prefixChanged, hook, quoteValue(now, 200), file, how, where)
		}
		d.add(it)
	}
	d.implicitGyp()
}

// scriptEvidence says what was compared for one hook.
func (d *delta) scriptEvidence(hook, was string, had bool, now string) string {
	prev := "no previous version"
	switch {
	case d.from != nil && d.fromMan.err != nil:
		prev = "previous version's package.json unreadable (" + d.fromMan.err.Error() + ")"
	case d.from != nil && !had:
		prev = "previous version: none"
	case d.from != nil:
		prev = "previous version: " + quoteValue(was, 200)
	}
	return fmt.Sprintf("package.json scripts.%s — new version: %s; %s", hook, quoteValue(now, 200), prev)
}

// scriptFile returns a file of the new version that a script command names and that is new or changed
// since the previous version ("new" or "changed"), or "".
func (d *delta) scriptFile(cmd string) (string, string) {
	words := strings.FieldsFunc(cmd, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '&' || r == '|' || r == '(' || r == ')' || r == '<' || r == '>'
	})
	for _, w := range words {
		w = strings.Trim(w, `"'`)
		if w == "" || len(w) > 1024 {
			continue
		}
		p := path.Clean(strings.TrimPrefix(w, "./"))
		f, ok := d.to.File(p)
		if !ok {
			continue
		}
		old, had := d.from.File(p)
		switch {
		case !had:
			return p, "new"
		case !bytes.Equal(old.Data, f.Data):
			return p, "changed"
		}
	}
	return "", ""
}

// implicitGyp reports `node-gyp rebuild`, which npm runs on install for a package with binding.gyp
// and no install or preinstall script; gyp files can run arbitrary commands.
func (d *delta) implicitGyp() {
	gyp, ok := d.to.File(gypFile)
	if !ok || hasExplicitInstall(&d.toMan) {
		return
	}
	it := item{rule: RuleInstallScript, path: gypFile, line: 1, off: 0, data: gyp.Data}
	const what = "implicit install script `node-gyp rebuild` (npm runs it because of binding.gyp)"
	switch {
	case d.from == nil:
		it.msg = fmt.Sprintf("%s%s (%s:1)", prefixAlone, what, gypFile)
	default:
		old, had := d.from.File(gypFile)
		switch {
		case !had || hasExplicitInstall(&d.fromMan):
			it.msg = fmt.Sprintf("%s%s (%s:1)", prefixNew, what, gypFile)
		case !bytes.Equal(old.Data, gyp.Data):
			it.msg = fmt.Sprintf("%s%s: binding.gyp changed, and gyp files can run commands (%s:1)", prefixChanged, what, gypFile)
		default:
			return
		}
	}
	d.add(it)
}

// hasExplicitInstall reports an install or preinstall script, which stops npm adding node-gyp rebuild.
func hasExplicitInstall(m *manifest) bool {
	_, install := m.scripts["install"]
	_, preinstall := m.scripts["preinstall"]
	return install || preinstall
}
