package signals

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Value is one endpoint or capability that a file of the new version has and the previous version has
// nowhere: what a diff/new-endpoint or diff/new-capability finding reports, in a form that can be looked
// for in other files ([Finder]).
type Value struct {
	// Rule is RuleNewEndpoint or RuleNewCapability.
	Rule string
	// Key identifies the value the way versions are compared ("host:api.example.dev", "fetch",
	// "env-serialisation", "module:child_process"); Display is how messages name it.
	Key, Display string
	// Path and Line are the value's first occurrence in the new version (1-based line); Snippet is that
	// line, bounded by MaxSnippetBytes.
	Path    string
	Line    int
	Snippet string
	// Message is the message of the Delta finding that reports this value (when Delta listed it: at most
	// MaxFindingsPerRule are listed per rule), so callers can find that finding again.
	Message string
}

// Changes is what [DeltaChanges] found: Delta's findings, plus what it knows of the previous version so
// that the new values of single files can be listed later ([Changes.NewValues]) without reading the
// previous version again.
type Changes struct {
	// Findings are exactly what Delta returns.
	Findings []finding.Finding
	// From and To are the compared packages (From is nil for an added package).
	From, To *archive.Package
	d        *delta
}

// DeltaChanges is [Delta] keeping what [Changes.NewValues] needs. to nil yields Changes without findings.
func DeltaChanges(from, to *archive.Package) *Changes {
	c := &Changes{From: from, To: to}
	if to == nil {
		return c
	}
	d := newDelta(from, to)
	d.installScripts()
	d.dependencies()
	d.binaries()
	d.scanNew()
	c.Findings = d.findings()
	c.d = d
	return c
}

// NewValues lists the endpoints and capabilities of the new version's file p that the previous version
// has nowhere, each once, at its first occurrence in p, in file order; at most MaxDistinctValues. They
// are what a read of the file by itself with the scanner Delta uses finds (its first MaxFileScanBytes,
// with a lexer-error budget of its own): Delta's own read of p when no limit shared with the version's
// other files cut that read short, else the file is read again. partial is "" when the whole file was
// tokenized, else why part of it was read as text (endpoints only) or not at all. Without a previous
// version nothing is new: it returns nil.
func (c *Changes) NewValues(p string) (vals []Value, partial string) {
	if c == nil || c.d == nil || c.d.prev == nil {
		return nil, ""
	}
	f, ok := c.d.to.File(p)
	if !ok {
		return nil, ""
	}
	s := c.d.scans[p]
	if s == nil || !s.alone {
		s = c.d.readAlone(f)
	}
	if s == nil {
		return nil, ""
	}
	return s.values(), s.partial(p, "scanned")
}

// readAlone reads the new version's file f by itself, as NewValues describes, when Delta's read cannot
// stand for that: f was not read (it is unchanged, or not scanned at all) or a shared limit cut its read
// short. It returns nil when f is not scanned at all.
func (d *delta) readAlone(f archive.File) *fileScan {
	kind := classify(f, d.toMan.entries)
	if kind == kindOther {
		return nil
	}
	data := f.Data[:min(len(f.Data), MaxFileScanBytes)]
	s := &fileScan{data: data, size: len(f.Data)}
	if d.unchanged(f, kind) && d.prev.files[f.Path].alone {
		// Its previous read stands for this one, and holds no value the previous version lacks.
		prev := d.prev.files[f.Path]
		s.stop, s.why = prev.stop, prev.why
		return s
	}
	lines := newLineCounter(data)
	seen := map[string]bool{}
	lexErrors := MaxLexErrors
	s.stop, s.why = scanFile(data, kind, func(o obs) {
		if !isValueRule(o.rule) {
			return
		}
		k := o.rule + "\x00" + o.key
		if seen[k] || d.prev.keys[k] || len(s.vals) >= MaxDistinctValues {
			return
		}
		seen[k] = true
		line := lines.at(o.off)
		s.addValue(o, f.Path, line, fmt.Sprintf("%s%s (%s:%d)", d.lead(), o.display, f.Path, line))
	}, &lexErrors)
	return s
}

// Hit is where a file holds a value a [Finder] looks for.
type Hit struct {
	Rule, Key string
	// Line is the 1-based line of the value's first occurrence in the file.
	Line int
}

// Finder looks for a set of values in other files — an upstream source tree, a dependency's tarball —
// reading each file the way Delta reads a package: JavaScript and TypeScript with the JS scanner (so a
// capability is found only where code has it), any other text for endpoints only. Binary files hold
// nothing. Its lexer-error budget (MaxLexErrors) is shared by every file it reads, so hostile input
// costs at most what one version of a package does; once spent, JS files are read as text.
// A Finder is not safe for concurrent use.
type Finder struct {
	want      map[string]bool // rule + "\x00" + key
	left      int
	lexErrors int
}

// NewFinder returns a Finder for vals (values of other rules are ignored).
func NewFinder(vals []Value) *Finder {
	f := &Finder{want: map[string]bool{}, lexErrors: MaxLexErrors}
	for _, v := range vals {
		if !isValueRule(v.Rule) {
			continue
		}
		k := v.Rule + "\x00" + v.Key
		if !f.want[k] {
			f.want[k] = true
			f.left++
		}
	}
	return f
}

// Remaining reports how many of the values have not been found yet.
func (f *Finder) Remaining() int { return f.left }

// Find reads one file (name decides how: see Finder) and returns the values it holds that were not
// found in an earlier file, at their first line. data should be bounded by the caller; at most its first
// MaxFileScanBytes are read. partial is "" unless part of the file was read as text only or not at all,
// and says why.
func (f *Finder) Find(name string, data []byte) (hits []Hit, partial string) {
	if f.left == 0 {
		return nil, ""
	}
	file := archive.File{Path: name, Data: data}
	kind := classify(file, nil)
	if kind == kindOther {
		if looksBinary(data) {
			return nil, ""
		}
		kind = kindText
	}
	s := &fileScan{data: data[:min(len(data), MaxFileScanBytes)], size: len(data)}
	lines := newLineCounter(s.data)
	s.stop, s.why = scanFile(s.data, kind, func(o obs) {
		k := o.rule + "\x00" + o.key
		if !f.want[k] {
			return
		}
		delete(f.want, k)
		f.left--
		hits = append(hits, Hit{Rule: o.rule, Key: o.key, Line: lines.at(o.off)})
	}, &f.lexErrors)
	return hits, s.partial(name, "read")
}

// binarySniffBytes is how much of a file is looked at to tell binary from text.
const binarySniffBytes = 8000

// looksBinary reports a NUL byte near the start of data, as git does.
func looksBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniffBytes)], 0) >= 0
}

// maxNameChars bounds a file name shown in a message.
const maxNameChars = 300

// safeName shows a file name from a hostile package or repository in a message: as is when it is
// printable and short, else quoted and cut (quoteValue).
func safeName(s string) string {
	if len(s) <= maxNameChars && cleanLine([]byte(s)) == s && !strings.ContainsRune(s, '`') {
		return s
	}
	return quoteValue(s, maxNameChars)
}
