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

// fileScan is how one file of a version was read, kept so that [Changes.NewValues] need not read it
// again.
type fileScan struct {
	kind fileKind // previous version only
	data []byte   // the prefix that was read
	size int      // the file's size
	stop int      // data[stop:] was read as text only (endpoints), because of why
	why  string
	// alone: a read of the file by itself (its first MaxFileScanBytes, a lexer-error budget of its own,
	// no bound on the values remembered) observes exactly what this read did, because no limit shared
	// with the version's other files (MaxPackageScanBytes, MaxLexErrors, MaxDistinctValues) cut it short.
	alone bool
	// vals (new version only) are the file's endpoints and capabilities that the previous version has
	// nowhere, once each, in file order, without their snippets; offs are their offsets in data.
	vals []Value
	offs []int
}

// readsAlone reports whether a read of a file of size bytes that read its first scanned bytes, started
// with lexLeft of the version's lexer errors left and was tokenized up to stop is what a read of the file
// by itself would be: the package budget did not shorten it, and the shared lexer-error budget either was
// whole at its start or did not stop it.
func readsAlone(size, scanned, stop, lexLeft int) bool {
	return scanned == min(size, MaxFileScanBytes) && (stop == scanned || lexLeft == MaxLexErrors)
}

// isValueRule reports whether rule's values are listed by NewValues: endpoints and capabilities.
func isValueRule(rule string) bool { return rule == RuleNewEndpoint || rule == RuleNewCapability }

// addValue records a value o of the file, found at line and reported with msg.
func (s *fileScan) addValue(o obs, path string, line int, msg string) {
	s.vals = append(s.vals, Value{Rule: o.rule, Key: o.key, Display: o.display, Path: path, Line: line, Message: msg})
	s.offs = append(s.offs, o.off)
}

// values returns a copy of vals with their snippets (nil when there are none).
func (s *fileScan) values() []Value {
	if len(s.vals) == 0 {
		return nil
	}
	out := make([]Value, len(s.vals))
	for i, v := range s.vals {
		v.Snippet = snippetAt(s.data, s.offs[i])
		out[i] = v
	}
	return out
}

// partial says which part of the file name was not read as code ("" when all of it was): a prefix cut
// by MaxFileScanBytes, a rest read as text. verb is how the message says the prefix was read.
func (s *fileScan) partial(name, verb string) string {
	var parts []string
	if len(s.data) < s.size {
		parts = append(parts, fmt.Sprintf("only the first %d of %d bytes of %s were %s (the per-file scan limit)", len(s.data), s.size, safeName(name), verb))
	}
	if s.stop < len(s.data) {
		parts = append(parts, fmt.Sprintf("%s was read as text (endpoints only) from byte %d on: %s", safeName(name), s.stop, s.why))
	}
	return strings.Join(parts, "; ")
}

// previous holds the values found in the previous version.
type previous struct {
	keys     map[string]bool            // rule + "\x00" + key, package-wide
	fileKeys map[string]map[string]bool // path → rule + "\x00" + key, for per-file rules
	files    map[string]*fileScan       // path → how it was read (the files scanned; vals unused)
	n        int                        // values remembered
}

// scanPrevious collects every value of the previous version, within the scan limits.
func scanPrevious(p *archive.Package, m manifest) *previous {
	prev := &previous{keys: map[string]bool{}, fileKeys: map[string]map[string]bool{}, files: map[string]*fileScan{}}
	b := budget{left: MaxPackageScanBytes}
	lexErrors := MaxLexErrors
	for _, f := range p.Files {
		kind := classify(f, m.entries)
		if kind == kindOther {
			continue
		}
		data, _ := b.take(f.Data)
		lexLeft, forgot := lexErrors, false
		stop, why := scanFile(data, kind, func(o obs) {
			k := o.rule + "\x00" + o.key
			if prev.n >= MaxDistinctValues {
				forgot = true
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
		prev.files[f.Path] = &fileScan{kind: kind, data: data, size: len(f.Data), stop: stop, why: why,
			alone: !forgot && readsAlone(len(f.Data), len(data), stop, lexLeft)}
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
	evidence map[string]string    // path → fileEvidence, computed once
	scans    map[string]*fileScan // path → how a file of the new version was read (when from is not nil)
}

// Delta returns findings about what `to` gained over `from`: new endpoints and capabilities, install
// scripts, obfuscation, binaries, dependencies. Every finding cites the `to` file and line (Path, Line,
// Snippet = that line); values are "new" when they appear nowhere in `from` (per file for the
// obfuscation shapes, across the package for values, so code moved between files is not new). from may
// be nil (an added dependency): then only absolute facts — install scripts, obfuscation, binaries — are
// reported. Findings are grouped per (rule, file, value) and capped per rule (MaxFindingsPerRule). to nil
// yields nil.
func Delta(from, to *archive.Package) []finding.Finding {
	return DeltaChanges(from, to).Findings
}

// newDelta reads both manifests and collects the previous version's values.
func newDelta(from, to *archive.Package) *delta {
	d := &delta{from: from, to: to, extra: map[string]int{}, toMan: readManifest(to)}
	if from != nil {
		d.fromMan = readManifest(from)
		d.prev = scanPrevious(from, d.fromMan)
		d.scans = map[string]*fileScan{}
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
		if d.unchanged(f, kind) {
			continue // same bytes read the same way: nothing in it is new
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

// unchanged reports whether the previous version has f with the same bytes, read as the same kind.
func (d *delta) unchanged(f archive.File, kind fileKind) bool {
	if d.prev == nil {
		return false
	}
	ps := d.prev.files[f.Path]
	if ps == nil || ps.kind != kind {
		return false
	}
	pf, ok := d.from.File(f.Path)
	return ok && bytes.Equal(pf.Data, f.Data)
}

// scanNewFile keeps the values of one file of the new version that are new, one per (rule, value), at
// their first line, and records how the file was read (d.scans) for NewValues.
func (d *delta) scanNewFile(f archive.File, kind fileKind, data []byte, lexErrors *int) {
	lines := newLineCounter(data)
	seen := map[string]bool{}
	var prevFile map[string]bool
	scan := &fileScan{data: data, size: len(f.Data)}
	if d.prev != nil {
		prevFile = d.prev.fileKeys[f.Path]
	}
	lexLeft, dropped := *lexErrors, false
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
			dropped = true
			return
		}
		seen[k] = true
		line := lines.at(o.off)
		msg := fmt.Sprintf("%s%s (%s:%d)", d.lead(), o.display, f.Path, line)
		d.add(item{rule: o.rule, path: f.Path, line: line, off: o.off, data: data, msg: msg})
		if isValueRule(o.rule) {
			scan.addValue(o, f.Path, line, msg)
		}
	}, lexErrors)
	if d.scans != nil {
		scan.stop, scan.why = stop, why
		scan.alone = !dropped && readsAlone(len(f.Data), len(data), stop, lexLeft)
		d.scans[f.Path] = scan
	}
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
	fmt.Fprintf(&b, "; values looked up in the %d scanned files of the previous version (%d files in all)", len(d.prev.files), len(d.from.Files))
	return b.String()
}
