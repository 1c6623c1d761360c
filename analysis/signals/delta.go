package signals

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Message prefixes: what a finding is relative to.
const (
	prefixNew     = "New since the previous version: "
	prefixChanged = "Changed since the previous version: "
	prefixAlone   = "In this version (no previous version to compare with): "
)

// fileKind says how a file is scanned.
type fileKind int

const (
	kindOther fileKind = iota // not scanned for values (binaries are still recognised)
	kindText                  // plain scan for endpoints
	kindJS                    // tokenized: endpoints, capabilities, obfuscation
)

// classify decides how a file is scanned. Files package.json names as code (main, bin) are JS whatever
// their extension, and so are extension-less scripts with a node shebang. TypeScript declaration files
// (.d.ts) only describe types and are not scanned.
func classify(f archive.File, entries map[string]bool) fileKind {
	if entries[f.Path] {
		return kindJS
	}
	if low := strings.ToLower(f.Path); strings.HasSuffix(low, ".d.ts") || strings.HasSuffix(low, ".d.mts") || strings.HasSuffix(low, ".d.cts") {
		return kindOther
	}
	switch strings.ToLower(path.Ext(f.Path)) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts":
		return kindJS
	case ".json", ".jsonc", ".json5", ".sh", ".bash", ".zsh", ".py", ".ps1", ".bat", ".cmd", ".yml", ".yaml",
		".toml", ".ini", ".cfg", ".conf", ".env", ".rb", ".pl", ".php", ".html", ".htm", ".vue", ".svelte",
		".gyp", ".gypi":
		return kindText
	case "":
		if bytes.HasPrefix(f.Data, []byte("#!")) {
			first := f.Data
			if i := bytes.IndexByte(first, '\n'); i >= 0 {
				first = first[:i]
			}
			for _, rt := range []string{"node", "bun", "deno", "tsx", "ts-node"} {
				if bytes.Contains(first, []byte(rt)) {
					return kindJS
				}
			}
			return kindText
		}
	}
	return kindOther
}

// budget hands out the bytes one version may scan.
type budget struct{ left int }

// take returns the prefix of data that may be scanned and, when it is not all of it, why.
func (b *budget) take(data []byte) ([]byte, string) {
	n, why := len(data), ""
	if n > MaxFileScanBytes {
		n, why = MaxFileScanBytes, fmt.Sprintf("the per-file scan limit of %d bytes", MaxFileScanBytes)
	}
	if n > b.left {
		n, why = b.left, fmt.Sprintf("the per-package scan limit of %d bytes", MaxPackageScanBytes)
	}
	b.left -= n
	return data[:n], why
}

// scanFile reports the values in one file of the given kind. JS files are tokenized while the
// version's lexer-error budget (*lexErrors) lasts; the rest is scanned as text. It returns the offset
// from which the file was scanned as text only (len(data) when it was all tokenized or is not JS) and
// why.
func scanFile(data []byte, kind fileKind, emit func(obs), lexErrors *int) (int, string) {
	switch kind {
	case kindJS:
		if off, longest, ok := firstLongLine(data); ok {
			emit(obs{rule: RuleObfuscation, key: "long-line", perFile: true, off: off,
				display: fmt.Sprintf("lines longer than %d characters (the longest has %d)", LongLineChars, longest)})
		}
		stop, why := scanJS(data, emit, lexErrors)
		if stop < len(data) {
			scanText(data, stop, emit)
		}
		return stop, why
	case kindText:
		scanText(data, 0, emit)
	}
	return len(data), ""
}

// scanText reports the endpoints in data[from:].
func scanText(data []byte, from int, emit func(obs)) {
	findEndpoints(string(data[from:]), true, func(e endpoint) {
		emit(obs{rule: RuleNewEndpoint, key: e.key(), display: e.display(), off: from + e.off})
	})
}

// previous holds the values found in the previous version.
type previous struct {
	pkg      *archive.Package
	keys     map[string]bool            // rule + "\x00" + key, package-wide
	fileKeys map[string]map[string]bool // path → rule + "\x00" + key, for per-file rules
	kinds    map[string]fileKind
	scanned  int // files scanned
	n        int // values remembered
}

// scanPrevious collects every value of the previous version, within the scan limits.
func scanPrevious(p *archive.Package, m manifest) *previous {
	prev := &previous{pkg: p, keys: map[string]bool{}, fileKeys: map[string]map[string]bool{}, kinds: map[string]fileKind{}}
	b := budget{left: MaxPackageScanBytes}
	lexErrors := MaxLexErrors
	for _, f := range p.Files {
		kind := classify(f, m.entries)
		prev.kinds[f.Path] = kind
		if kind == kindOther {
			continue
		}
		data, _ := b.take(f.Data)
		prev.scanned++
		scanFile(data, kind, func(o obs) {
			k := o.rule + "\x00" + o.key
			if prev.n >= MaxDistinctValues {
				return
			}
			if o.perFile {
				fk := prev.fileKeys[f.Path]
				if fk == nil {
					fk = map[string]bool{}
					prev.fileKeys[f.Path] = fk
				}
				if !fk[k] {
					fk[k] = true
					prev.n++
				}
				return
			}
			if !prev.keys[k] {
				prev.keys[k] = true
				prev.n++
			}
		}, &lexErrors)
	}
	return prev
}

// item is a finding before capping; its snippet and evidence are made only if it is kept.
type item struct {
	rule, path string
	line       int
	off        int    // offset of the snippet in data
	data       []byte // nil: no snippet
	msg        string
	evidence   string // "" for file findings: evidence is made from the compared files
}

// delta is one comparison in progress.
type delta struct {
	from, to *archive.Package
	fromMan  manifest
	toMan    manifest
	prev     *previous // nil when from is nil
	items    []item
	extra    map[string]int
	stored   int
	evidence map[string]string // path → fileEvidence, computed once
}

// Delta returns findings about what `to` gained over `from`: new endpoints and capabilities, install
// scripts, obfuscation, binaries, dependencies. Every finding cites the `to` file and line (Path, Line,
// Snippet = that line); values are "new" when they appear nowhere in `from` (per file for the
// obfuscation shapes, across the package for values, so code moved between files is not new). from may
// be nil (an added dependency): then only absolute facts — install scripts, obfuscation, binaries — are
// reported. Findings are grouped per (rule, file, value) and capped per rule (MaxFindingsPerRule). to nil
// yields nil.
func Delta(from, to *archive.Package) []finding.Finding {
	if to == nil {
		return nil
	}
	d := newDelta(from, to)
	d.installScripts()
	d.dependencies()
	d.binaries()
	d.scanNew()
	return d.findings()
}

// newDelta reads both manifests and collects the previous version's values.
func newDelta(from, to *archive.Package) *delta {
	d := &delta{from: from, to: to, extra: map[string]int{}, toMan: readManifest(to)}
	if from != nil {
		d.fromMan = readManifest(from)
		d.prev = scanPrevious(from, d.fromMan)
	}
	return d
}

// add records an item, within MaxDistinctValues.
func (d *delta) add(it item) {
	if d.stored >= MaxDistinctValues {
		d.extra[it.rule]++
		return
	}
	d.stored++
	d.items = append(d.items, it)
}

// lead is the message prefix for something the new version has.
func (d *delta) lead() string {
	if d.from == nil {
		return prefixAlone
	}
	return prefixNew
}

// scanNew scans the new version's files and keeps the values the previous version does not have.
func (d *delta) scanNew() {
	b := budget{left: MaxPackageScanBytes}
	lexErrors := MaxLexErrors
	for _, f := range d.to.Files {
		kind := classify(f, d.toMan.entries)
		if kind == kindOther {
			continue
		}
		if d.from != nil {
			if pf, ok := d.from.File(f.Path); ok && d.prev.kinds[f.Path] == kind && bytes.Equal(pf.Data, f.Data) {
				continue // same bytes read the same way: nothing in it is new
			}
		}
		data, why := b.take(f.Data)
		if why != "" {
			msg := fmt.Sprintf("Only the first %d of %d bytes of %s were scanned: %s was reached (%s).", len(data), len(f.Data), f.Path, why, f.Path)
			if len(data) == 0 {
				msg = fmt.Sprintf("%s (%d bytes) was not scanned: %s was reached (%s).", f.Path, len(f.Data), why, f.Path)
			}
			d.add(item{rule: RuleUnscanned, path: f.Path, msg: msg})
		}
		d.scanNewFile(f, kind, data, &lexErrors)
	}
}

// scanNewFile keeps the values of one file of the new version that are new, one per (rule, value), at
// their first line.
func (d *delta) scanNewFile(f archive.File, kind fileKind, data []byte, lexErrors *int) {
	lines := newLineCounter(data)
	seen := map[string]bool{}
	var prevFile map[string]bool
	if d.prev != nil {
		prevFile = d.prev.fileKeys[f.Path]
	}
	stop, why := scanFile(data, kind, func(o obs) {
		k := o.rule + "\x00" + o.key
		if d.prev == nil {
			// Only absolute facts: obfuscation in the file itself (not long lines, which are relative).
			if o.rule != RuleObfuscation || o.key == "long-line" {
				return
			}
		} else if (o.perFile && prevFile[k]) || (!o.perFile && d.prev.keys[k]) {
			return
		}
		if seen[k] {
			return
		}
		if d.stored >= MaxDistinctValues {
			d.extra[o.rule]++
			return
		}
		seen[k] = true
		line := lines.at(o.off)
		d.add(item{rule: o.rule, path: f.Path, line: line, off: o.off, data: data,
			msg: fmt.Sprintf("%s%s (%s:%d)", d.lead(), o.display, f.Path, line)})
	}, lexErrors)
	if stop < len(data) {
		line := newLineCounter(data).at(stop)
		d.add(item{rule: RuleUnscanned, path: f.Path, line: line, off: stop, data: data,
			msg: fmt.Sprintf("%s was read as text (endpoints only) from line %d on: %s (%s:%d).", f.Path, line, why, f.Path, line)})
	}
}

// findings orders and caps the items and turns them into findings.
func (d *delta) findings() []finding.Finding {
	order := map[string]int{}
	for i, r := range Rules() {
		order[r.ID] = i
	}
	sort.SliceStable(d.items, func(i, j int) bool {
		a, b := d.items[i], d.items[j]
		if order[a.rule] != order[b.rule] {
			return order[a.rule] < order[b.rule]
		}
		if a.path != b.path {
			return a.path < b.path
		}
		if a.line != b.line {
			return a.line < b.line
		}
		return a.msg < b.msg
	})
	var out []finding.Finding
	count := map[string]int{}
	for _, it := range d.items {
		count[it.rule]++
		if count[it.rule] > MaxFindingsPerRule {
			continue
		}
		f := newFinding(it.rule, it.msg)
		f.Path, f.Line = it.path, it.line
		if it.data != nil {
			f.Snippet = snippetAt(it.data, it.off)
		}
		f.Evidence = it.evidence
		if f.Evidence == "" && it.path != "" {
			f.Evidence = d.fileEvidence(it.path)
		}
		out = append(out, f)
	}
	for r, n := range count {
		if n > MaxFindingsPerRule {
			d.extra[r] += n - MaxFindingsPerRule
		}
	}
	return withSummaries(out, d.extra)
}

// fileEvidence names the files compared for a finding in path.
func (d *delta) fileEvidence(p string) string {
	if e, ok := d.evidence[p]; ok {
		return e
	}
	if d.evidence == nil {
		d.evidence = map[string]string{}
	}
	e := d.makeEvidence(p)
	d.evidence[p] = e
	return e
}

func (d *delta) makeEvidence(p string) string {
	var b strings.Builder
	if f, ok := d.to.File(p); ok {
		fmt.Fprintf(&b, "new version: %s (sha256 %s…, %d bytes)", p, shortHash(f.Data), len(f.Data))
	}
	if d.from == nil {
		b.WriteString("; no previous version (added package)")
		return b.String()
	}
	if f, ok := d.from.File(p); ok {
		fmt.Fprintf(&b, "; previous version: %s (sha256 %s…, %d bytes)", p, shortHash(f.Data), len(f.Data))
	} else {
		fmt.Fprintf(&b, "; previous version: no %s", p)
	}
	fmt.Fprintf(&b, "; values looked up in the %d scanned files of the previous version (%d files in all)", d.prev.scanned, len(d.from.Files))
	return b.String()
}
