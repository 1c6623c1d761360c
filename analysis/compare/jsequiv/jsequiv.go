// Package jsequiv decides whether a shipped JavaScript file is the
// transpilation of an upstream TypeScript or JavaScript file, and if not,
// which lines of the shipped file are unexplained.
//
// Nothing is ever executed. Both files are re-printed in-process by esbuild's
// Go API (github.com/evanw/esbuild/pkg/api) — the upstream file transpiled with
// the package's tsconfig settings, the shipped file only re-printed — with
// whitespace minified and comments dropped, so both come out of the same
// printer. The two outputs are tokenized with a real JavaScript lexer
// (github.com/tdewolff/parse/v2/js), normalised for the known, harmless
// differences between tsc's and esbuild's output (tsc helper statements that
// match known tsc emit exactly, CommonJS export wiring, enum shapes, class
// member order, ...), and diffed with analysis/seqdiff. Every unexplained run
// of shipped tokens is mapped back to the shipped file's own lines through the
// source map esbuild produces for the shipped side.
//
// The package also recognises bundles (IsBundle), reads tsconfig.json files
// (TSConfig) and checks shipped source maps against upstream files
// (CheckSourceMap).
//
// It is part of the analysis engine: it must not import app/, action/, any
// GitHub or registry client, or anything that performs I/O; callers pass file
// contents in.
package jsequiv

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/mcpvet/mcpvet/analysis/seqdiff"
)

// Limits on hostile input.
const (
	// MaxFileSize is the largest file (each side) Compare accepts.
	MaxFileSize = 8 << 20
	// MaxTokens is the largest number of tokens (each side, after
	// re-printing) Compare accepts.
	MaxTokens = 2_000_000
	// MaxDiffCost bounds the token edit distance computed exactly; beyond it
	// the diff is approximate (still correct, possibly larger) and a note says so.
	MaxDiffCost = 10_000
	// MaxRuns is the largest number of runs reported; more are counted in
	// Unexplained and summarised in a note.
	MaxRuns = 500
	// MaxRunText bounds Run.Text (bytes); longer text is cut and marked "…".
	MaxRunText = 2048
	// MaxNesting is the deepest bracket nesting ({, (, [) accepted in a
	// file: esbuild's time grows steeply with function nesting depth.
	MaxNesting = 256
	// TransformTimeout bounds the wait for one esbuild transform.
	TransformTimeout = 30 * time.Second
	// maxVariantTokens: alternative configurations (see compare) are only
	// tried for files up to this many shipped tokens.
	maxVariantTokens = 200_000
	// maxPrologueTokens bounds the raw tokens read to find tsc helper
	// statements at the top of the shipped file.
	maxPrologueTokens = 100_000
)

// Errors wrapped by *Error. Callers report any of them as "could not verify".
var (
	// ErrTooLarge: a file exceeds MaxFileSize or MaxTokens.
	ErrTooLarge = errors.New("input too large")
	// ErrNotText: a file is not UTF-8 text (NUL bytes or invalid encoding).
	ErrNotText = errors.New("input is not text")
	// ErrSyntax: esbuild or the lexer could not read a file.
	ErrSyntax = errors.New("cannot parse")
	// ErrTooComplex: a file nests deeper than MaxNesting or esbuild did not
	// finish within TransformTimeout.
	ErrTooComplex = errors.New("input too complex")
	// ErrInternal: an internal failure (a bug); the comparison is void.
	ErrInternal = errors.New("internal error")
)

// Error says which file could not be compared and why.
type Error struct {
	Path   string // the file's path as given
	Side   string // "shipped" or "source"
	Err    error  // one of ErrTooLarge, ErrNotText, ErrSyntax, ErrTooComplex, ErrInternal
	Detail string // e.g. esbuild's first error message
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("jsequiv: %s file %s: %v", e.Side, e.Path, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// Options are the build settings applied to the upstream side.
type Options struct {
	// TSConfigRaw is the effective compilerOptions as tsconfig JSON
	// ({"compilerOptions":{...}}), passed to esbuild's TsconfigRaw; see TSConfig.
	TSConfigRaw string
	// Target is the language target (tsconfig spelling, e.g. "es2022",
	// "esnext"); empty means esnext. Both sides are printed at this target.
	Target string
}

// File is one JavaScript or TypeScript file: its path (used for the loader and
// in messages) and its content.
type File struct {
	Path string
	Code []byte
}

// Run is a contiguous run of unexplained shipped tokens.
type Run struct {
	StartLine, EndLine int    // lines of the shipped file, 1-based, inclusive
	Tokens             int    // unexplained tokens in the run
	Text               string // the shipped source lines StartLine..EndLine (bounded by MaxRunText)
}

// Result is the outcome of Compare.
type Result struct {
	// ShippedTokens and SourceTokens count the tokens compared, after
	// normalisation (explained tsc/esbuild artefacts are not counted).
	ShippedTokens, SourceTokens int
	// Unexplained counts shipped tokens that the upstream file does not
	// account for; Runs lists them by shipped line.
	Unexplained int
	Runs        []Run
	// Missing counts upstream tokens absent from the shipped file (removed
	// code); they are not mapped to lines.
	Missing int
	// Notes explains approximations (inexact diff, target fallback, module
	// format, ...).
	Notes []string
}

// Compare re-prints shipped and source with esbuild (the source transpiled
// with opts), normalises and diffs their token streams, and reports the
// shipped tokens the source does not explain, by shipped line. The module
// format of the shipped file (ESM or CommonJS) is detected from the shipped
// file itself; a CommonJS shipped file is compared with the source converted
// to CommonJS by esbuild, both canonicalised (see normalize.go).
//
// Errors are *Error values (wrapping ErrTooLarge, ErrNotText, ErrSyntax,
// ErrTooComplex or ErrInternal): the caller reports the file as "could not
// verify".
func Compare(shipped File, source File, opts Options) (res *Result, err error) {
	return compare(shipped, source, opts, TransformTimeout, true)
}

// compare is Compare with the esbuild timeout and whether to try
// alternative configurations when the given one leaves residue.
func compare(shipped File, source File, opts Options, timeout time.Duration, tryVariants bool) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, &Error{Path: shipped.Path, Side: "shipped", Err: ErrInternal, Detail: fmt.Sprint(r)}
		}
	}()
	if err := checkInput(shipped, "shipped"); err != nil {
		return nil, err
	}
	if err := checkInput(source, "source"); err != nil {
		return nil, err
	}
	target := api.ESNext
	var notes []string
	if opts.Target != "" {
		t, ok := targets[strings.ToLower(opts.Target)]
		if !ok {
			notes = append(notes, fmt.Sprintf("unknown target %q; compared at esnext", opts.Target))
		} else {
			target = t
		}
	}
	res, err = compareOnce(shipped, source, target, opts.TSConfigRaw, timeout)
	if err != nil {
		return nil, err
	}
	// When the configured settings leave residue, try the other class-field
	// semantics and no lowering: packages are often built by another tool or
	// config than the tsconfig says. Each variant is an honest compilation,
	// so injected code stays unexplained under all of them; the variant with
	// the fewest unexplained tokens is kept and named in a note.
	if tryVariants && res.Unexplained > 0 && res.ShippedTokens <= maxVariantTokens {
		for _, v := range variants(target, opts.TSConfigRaw) {
			alt, err := compareOnce(shipped, source, v.target, v.tsconfig, timeout)
			if err == nil && alt.Unexplained < res.Unexplained {
				alt.Notes = append(alt.Notes, "fewer unexplained tokens with "+v.name+" than with the configured settings; that variant is reported")
				res = alt
			}
		}
	}
	res.Notes = append(notes, res.Notes...)
	return res, nil
}

// variant is an alternative build configuration tried when the configured
// one leaves residue.
type variant struct {
	name     string
	target   api.Target
	tsconfig string
}

// variants returns the other combinations of useDefineForClassFields
// (configured, true, false) and target (configured, esnext).
func variants(target api.Target, tsconfigRaw string) []variant {
	var out []variant
	var cfg map[string]any
	if tsconfigRaw == "" || json.Unmarshal([]byte(tsconfigRaw), &cfg) != nil {
		cfg = map[string]any{}
	}
	co, _ := cfg["compilerOptions"].(map[string]any)
	if co == nil {
		co = map[string]any{}
		cfg["compilerOptions"] = co
	}
	cur, set := co["useDefineForClassFields"].(bool)
	type ud struct {
		name string
		raw  string
	}
	uds := []ud{{"", tsconfigRaw}}
	for _, v := range []bool{true, false} {
		if set && v == cur {
			continue
		}
		co["useDefineForClassFields"] = v
		if b, err := json.Marshal(cfg); err == nil {
			uds = append(uds, ud{fmt.Sprintf("useDefineForClassFields=%v", v), string(b)})
		}
	}
	tgts := []api.Target{target}
	if target != api.ESNext {
		tgts = append(tgts, api.ESNext)
	}
	for ti, t := range tgts {
		for _, u := range uds {
			if ti == 0 && u.name == "" {
				continue // the configured settings themselves
			}
			var parts []string
			if u.name != "" {
				parts = append(parts, u.name)
			}
			if ti > 0 {
				parts = append(parts, "target esnext")
			}
			out = append(out, variant{strings.Join(parts, ", "), t, u.raw})
		}
	}
	return out
}

// importHelpers reports whether the tsconfig sets importHelpers.
func importHelpers(tsconfigRaw string) bool {
	var cfg struct {
		CompilerOptions struct {
			ImportHelpers bool `json:"importHelpers"`
		} `json:"compilerOptions"`
	}
	return json.Unmarshal([]byte(tsconfigRaw), &cfg) == nil && cfg.CompilerOptions.ImportHelpers
}

// compareOnce is one comparison at one configuration.
func compareOnce(shipped File, source File, target api.Target, tsconfigRaw string, timeout time.Duration) (*Result, error) {
	res := &Result{}
	// Shipped side: re-print only (no tsconfig: it is JavaScript), with a
	// source map to come back to the shipped lines.
	sp, note, err := transform(shipped, "shipped", api.LoaderJS, target, api.FormatDefault, "", true, timeout)
	if err != nil {
		return nil, err
	}
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	stoks, lexErr, tooMany := lexJS(sp.code, false, MaxTokens)
	if tooMany {
		return nil, &Error{Path: shipped.Path, Side: "shipped", Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d tokens", MaxTokens)}
	}
	if lexErr {
		return nil, &Error{Path: shipped.Path, Side: "shipped", Err: ErrSyntax, Detail: "cannot tokenize esbuild output"}
	}
	attachLines(stoks, decodeMappings(sp.smap))

	cjs := !isESM(stoks)
	format := api.FormatDefault
	if cjs {
		format = api.FormatCommonJS
	}
	up, note, err := transform(source, "source", loaderFor(source.Path), target, format, tsconfigRaw, false, timeout)
	if err != nil && cjs && errors.Is(err, ErrSyntax) {
		// A script without import/export may still need module semantics
		// (top-level await): compare it as it is.
		if up2, note2, err2 := transform(source, "source", loaderFor(source.Path), target, api.FormatDefault, tsconfigRaw, false, timeout); err2 == nil {
			up, note, err, cjs = up2, note2, nil, false
		}
	}
	if err != nil {
		return nil, err
	}
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	utoks, lexErr, tooMany := lexJS(up.code, false, MaxTokens)
	if tooMany {
		return nil, &Error{Path: source.Path, Side: "source", Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d tokens", MaxTokens)}
	}
	if lexErr {
		return nil, &Error{Path: source.Path, Side: "source", Err: ErrSyntax, Detail: "cannot tokenize esbuild output"}
	}

	rawToks, _, _ := lexJS(shipped.Code, false, maxPrologueTokens)
	helpers := knownPrologueHelpers(rawToks)
	stoks, utoks, notes := normalize(stoks, utoks, cjs, helpers, importHelpers(tsconfigRaw))
	res.Notes = append(res.Notes, notes...)
	res.ShippedTokens, res.SourceTokens = len(stoks), len(utoks)

	ids := map[string]int32{}
	intern := func(ts []tok) []int32 {
		out := make([]int32, len(ts))
		for i, t := range ts {
			id, ok := ids[t.text]
			if !ok {
				id = int32(len(ids))
				ids[t.text] = id
			}
			out[i] = id
		}
		return out
	}
	a, b := intern(stoks), intern(utoks)
	edits, exact := seqdiff.Diff(a, b, MaxDiffCost)
	if !exact {
		res.Notes = append(res.Notes, fmt.Sprintf("token diff exceeds %d edits: runs are approximate (a correct but possibly larger set)", MaxDiffCost))
	}
	edits = slideDeletes(edits, a, stoks)
	lines := splitLines(shipped.Code)
	for _, e := range edits {
		switch e.Op {
		case seqdiff.Insert:
			res.Missing += e.B1 - e.B0
		case seqdiff.Delete:
			res.Unexplained += e.A1 - e.A0
			res.Runs = appendRun(res.Runs, stoks[e.A0:e.A1])
		}
	}
	sortRuns(res.Runs)
	if len(res.Runs) > MaxRuns {
		res.Notes = append(res.Notes, fmt.Sprintf("%d runs; only the first %d are listed", len(res.Runs), MaxRuns))
		res.Runs = res.Runs[:MaxRuns]
	}
	for i := range res.Runs {
		res.Runs[i].Text = lineText(lines, res.Runs[i].StartLine, res.Runs[i].EndLine)
	}
	return res, nil
}

// Similarity is the fraction of shipped tokens that candidate explains (1 when
// the shipped file is empty after normalisation), for "best token match"
// searches over possible source files. It compares with opts only (Compare
// also tries alternative class-field and target settings when opts leave
// residue), so it costs one comparison per candidate.
func Similarity(shipped, candidate File, opts Options) (float64, error) {
	res, err := compare(shipped, candidate, opts, TransformTimeout, false)
	if err != nil {
		return 0, err
	}
	if res.ShippedTokens == 0 {
		return 1, nil
	}
	return float64(res.ShippedTokens-res.Unexplained) / float64(res.ShippedTokens), nil
}

// checkInput enforces MaxFileSize and rejects binary content.
func checkInput(f File, side string) error {
	if len(f.Code) > MaxFileSize {
		return &Error{Path: f.Path, Side: side, Err: ErrTooLarge, Detail: fmt.Sprintf("%d bytes > %d", len(f.Code), MaxFileSize)}
	}
	if !isText(f.Code) {
		return &Error{Path: f.Path, Side: side, Err: ErrNotText}
	}
	if l := loaderFor(f.Path); l == api.LoaderJSX || l == api.LoaderTSX {
		return nil // JSX text is not JavaScript tokens; rely on TransformTimeout
	}
	if d := maxNesting(f.Code); d > MaxNesting {
		return &Error{Path: f.Path, Side: side, Err: ErrTooComplex, Detail: fmt.Sprintf("brackets nested %d deep (> %d)", d, MaxNesting)}
	}
	return nil
}

// maxNesting returns the deepest bracket nesting of a file, stopping once it
// exceeds MaxNesting.
func maxNesting(code []byte) int {
	depth, deepest := 0, 0
	scanJS(code, false, func(t tok) bool {
		switch {
		case opens(t):
			depth++
			deepest = max(deepest, depth)
		case closes(t) && depth > 0:
			depth--
		}
		return deepest <= MaxNesting
	})
	return deepest
}

// isText reports whether b is valid UTF-8 without NUL bytes.
func isText(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return false
		}
	}
	return utf8.Valid(b)
}

// isESM reports whether printed code uses module syntax (import/export
// statements or import.meta; import() does not count).
func isESM(toks []tok) bool {
	for i, t := range toks {
		if t.kind != kIdent {
			continue
		}
		if i > 0 && (toks[i-1].text == "." || toks[i-1].text == "?.") {
			continue
		}
		switch t.text {
		case "export":
			return true
		case "import":
			if i+1 < len(toks) && toks[i+1].text != "(" && (toks[i+1].text != "." || at(toks, i+2) == "meta") {
				return true
			}
		}
	}
	return false
}

// Bounds for slideDeletes, so that long repetitive runs stay linear.
const (
	maxSlide    = 64   // positions tried in each direction
	maxSlideRun = 4096 // longer deletions are not moved
)

// slideDeletes moves each pure deletion (a Delete between two Equal edits)
// along the runs of equal tokens around it to the position that spans the
// fewest shipped lines, preferring a run that starts a line: the same tokens
// are unexplained either way, but `,Bcc:"x"` versus `Bcc:"x",` decides
// which line is reported.
func slideDeletes(edits []seqdiff.Edit, a []int32, toks []tok) []seqdiff.Edit {
	for k := 1; k+1 < len(edits); k++ {
		e := edits[k]
		if e.Op != seqdiff.Delete || edits[k-1].Op != seqdiff.Equal || edits[k+1].Op != seqdiff.Equal {
			continue
		}
		n := e.A1 - e.A0
		if n > maxSlideRun {
			continue
		}
		lo, hi := e.A0, e.A0
		for lo > edits[k-1].A0 && lo > e.A0-maxSlide && a[lo-1] == a[lo-1+n] {
			lo--
		}
		for hi < edits[k+1].A1-n && hi < e.A0+maxSlide && a[hi] == a[hi+n] {
			hi++
		}
		if lo == hi {
			continue
		}
		best, bestScore := e.A0, score(toks[e.A0:e.A1], toks, e.A0)
		for s := lo; s <= hi; s++ {
			if sc := score(toks[s:s+n], toks, s); sc < bestScore {
				best, bestScore = s, sc
			}
		}
		shift := best - e.A0
		if shift == 0 {
			continue
		}
		edits[k-1].A1 += shift
		edits[k-1].B1 += shift
		edits[k].A0 += shift
		edits[k].A1 += shift
		edits[k].B0 += shift
		edits[k].B1 += shift
		edits[k+1].A0 += shift
		edits[k+1].B0 += shift
	}
	// Drop equal edits that became empty.
	out := edits[:0]
	for _, e := range edits {
		if e.Op == seqdiff.Equal && e.A1 == e.A0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

// score ranks a candidate position for a deleted run: fewer distinct lines is
// better, then starting at the first token of a line.
func score(run []tok, all []tok, start int) int {
	lo, hi := run[0].line, run[0].line
	for _, t := range run {
		lo, hi = min(lo, t.line), max(hi, t.line)
	}
	s := int(hi-lo) * 2
	if start > 0 && all[start-1].line == run[0].line {
		s++
	}
	return s
}

// appendRun adds the tokens of one deletion as a run, merging it into the
// previous run when their line ranges overlap. Separators (',' and ';') do
// not widen the line range unless the run has nothing else: the comma before
// an injected array element sits on the previous line.
func appendRun(runs []Run, ts []tok) []Run {
	lo, hi := lineRange(ts, true)
	if lo == 0 {
		lo, hi = lineRange(ts, false)
	}
	if n := len(runs); n > 0 && lo != 0 && int(lo) <= runs[n-1].EndLine && int(hi) >= runs[n-1].StartLine {
		r := &runs[n-1]
		r.StartLine, r.EndLine = min(r.StartLine, int(lo)), max(r.EndLine, int(hi))
		r.Tokens += len(ts)
		return runs
	}
	return append(runs, Run{StartLine: int(lo), EndLine: int(hi), Tokens: len(ts)})
}

// lineRange returns the lowest and highest known line of ts, optionally
// ignoring separator tokens.
func lineRange(ts []tok, skipSeparators bool) (lo, hi int32) {
	for _, t := range ts {
		if t.line == 0 || (skipSeparators && t.kind == kPunct && (t.text == "," || t.text == ";")) {
			continue
		}
		if lo == 0 || t.line < lo {
			lo = t.line
		}
		if t.line > hi {
			hi = t.line
		}
	}
	return lo, hi
}

// splitLines splits the original file into lines (without terminators).
func splitLines(b []byte) []string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

// lineText returns lines from..to (1-based, inclusive), bounded by MaxRunText.
func lineText(lines []string, from, to int) string {
	if from < 1 || from > len(lines) {
		return ""
	}
	to = min(to, len(lines))
	s := strings.Join(lines[from-1:to], "\n")
	if len(s) > MaxRunText {
		cut := MaxRunText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// sortRuns orders runs by line (appendRun keeps token order, which equals line
// order except where normalisation moved class members).
func sortRuns(runs []Run) {
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartLine < runs[j].StartLine })
}
