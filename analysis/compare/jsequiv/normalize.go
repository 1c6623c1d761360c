package jsequiv

// Normalisation of the two esbuild-printed token streams.
//
// Both files come out of esbuild's printer, so formatting, quoting, comments
// and parentheses already agree. What remains are differences between what
// tsc emitted (the shipped file) and what esbuild emits for the same source.
// Each rule below turns one such difference into a canonical form. A rule only
// ever rewrites a construct into a semantically equivalent one (or drops code
// that is inert module plumbing, checked against the upstream side), so a
// rule applied where it should not be can create residue but never hide code.
//
// Rules (measured on tsc 5.9 output of testdata/mcpserver, ESM es2022 and
// CommonJS es2020 with useDefineForClassFields=false):
//
//   - "use strict" prologue directives: dropped on both sides.
//   - tsc helper statements (`var __awaiter = (this && this.__awaiter) || ...`)
//     at the top of the shipped file: dropped only when the statement's raw
//     tokens are exactly a known tsc emit (knownhelpers.go); any other
//     statement of that shape stays and is compared as code, because an
//     attacker can put anything inside a "helper".
//   - CommonJS (shipped file has no import/export; the source is converted by
//     esbuild to CommonJS): esbuild's runtime prelude and export block
//     (`__export(x_exports,{a:()=>a})`, `module.exports=__toCommonJS(...)`)
//     are dropped on the upstream side and read as the export table; tsc's
//     `Object.defineProperty(exports,"__esModule",...)`, `exports.a=void 0`,
//     `exports.a=a` and re-export getters are dropped on the shipped side only
//     when they match that table; `exports.a` references become `a`;
//     `export const a=` (`exports.a=` in tsc, `const a=` in esbuild) becomes
//     `⟦decl⟧ a=` on both sides; `export *` forms become `⟦reexport⟧("m")`.
//   - require bindings: `const y_1 = __importDefault(require("y"))` (tsc) and
//     `var import_y = __toESM(require("y"))` (esbuild) become
//     `var ⟦"y"#1⟧ = require("y")`, and the binding is renamed everywhere.
//   - enums: tsc's `var E;(function(E){...})(E||(E={}))` and esbuild's
//     `var E=(E2=>{...;return E2})(E||{})` become one canonical form, and
//     references to members with literal values (which esbuild inlines in the
//     same file) are inlined on both sides.
//   - classes: esbuild's `const _C=class _C{...};...;let C=_C;` (static
//     members referring to the class) becomes `class C{...}...`; the
//     constructor is moved first in every class body; bare field declarations
//     of parameter properties (tsc emits `x;` for `constructor(private x)`,
//     esbuild does not) are dropped.
//   - `export{};` (tsc's marker for a type-only module): dropped.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Pattern placeholders for match.
const (
	pID  = "\x00id"  // any identifier or keyword
	pStr = "\x00str" // any string literal
	pNum = "\x00num" // any numeric literal
	pAny = "\x00any" // any token
)

// Canonical tokens introduced by normalisation; they cannot occur in JS.
const (
	synDecl     = "⟦decl⟧"
	synDefault  = "⟦default⟧"
	synReexport = "⟦reexport⟧"
	synEnum     = "⟦enum⟧"
	synSelf     = "⟦self⟧"
)

func at(s []tok, i int) string {
	if i >= 0 && i < len(s) {
		return s[i].text
	}
	return ""
}

// match reports whether s[i:] starts with pat.
func match(s []tok, i int, pat ...string) bool {
	if i < 0 || i+len(pat) > len(s) {
		return false
	}
	for k, p := range pat {
		t := s[i+k]
		switch p {
		case pID:
			if t.kind != kIdent {
				return false
			}
		case pStr:
			if t.kind != kString {
				return false
			}
		case pNum:
			if t.kind != kNumber {
				return false
			}
		case pAny:
		default:
			if t.text != p || t.kind == kString || t.kind == kTemplate {
				return false
			}
		}
	}
	return true
}

// opens/closes classify bracket-like tokens (template pieces included).
func opens(t tok) bool {
	switch t.kind {
	case kPunct:
		return t.text == "(" || t.text == "[" || t.text == "{"
	case kTemplate:
		return t.open && strings.HasPrefix(t.text, "`")
	}
	return false
}

func closes(t tok) bool {
	switch t.kind {
	case kPunct:
		return t.text == ")" || t.text == "]" || t.text == "}"
	case kTemplate:
		return !t.open && strings.HasPrefix(t.text, "}")
	}
	return false
}

// closeOf returns the index of the token closing the opener at i, or -1.
func closeOf(s []tok, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		if opens(s[j]) {
			depth++
		} else if closes(s[j]) {
			depth--
			if depth == 0 {
				return j
			}
			if depth < 0 {
				return -1
			}
		}
	}
	return -1
}

// stmtEnd returns the index of the ';' ending the statement starting at i
// (at the same depth), or -1 if a closing bracket or the end comes first.
func stmtEnd(s []tok, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch {
		case opens(s[j]):
			depth++
		case closes(s[j]):
			depth--
			if depth < 0 {
				return -1
			}
		case depth == 0 && s[j].kind == kPunct && s[j].text == ";":
			return j
		}
	}
	return -1
}

// stmtStarts marks the tokens that begin a top-level statement (depth 0,
// after ';' or a depth-0 '}' or at the start). esbuild terminates every
// expression statement with ';', so this is reliable on printed code; a wrong
// guess can only make a rule miss.
func stmtStarts(s []tok) []bool {
	st := make([]bool, len(s))
	depth := 0
	for j := range s {
		if depth == 0 {
			st[j] = j == 0 || s[j-1].kind == kHashbang || (s[j-1].kind == kPunct && (s[j-1].text == ";" || s[j-1].text == "}"))
		}
		if opens(s[j]) {
			depth++
		} else if closes(s[j]) && depth > 0 {
			depth--
		}
	}
	return st
}

// isPropertyName reports whether s[i] is preceded by a member access dot.
func isPropertyName(s []tok, i int) bool {
	p := at(s, i-1)
	return p == "." || p == "?."
}

// rename replaces identifier tokens (not property names after '.') by names[text].
func rename(s []tok, names map[string]string, from, to int) {
	if len(names) == 0 {
		return
	}
	for i := max(from, 0); i < to && i < len(s); i++ {
		if s[i].kind != kIdent || isPropertyName(s, i) {
			continue
		}
		if n, ok := names[s[i].text]; ok {
			s[i].text = n
			s[i].kind = kSynth
			if !strings.HasPrefix(n, "⟦") {
				s[i].kind = kIdent
			}
		}
	}
}

// synth returns a canonical token carrying the position of t.
func synth(text string, t tok) tok {
	t.text, t.kind, t.open = text, kSynth, false
	return t
}

func join(s []tok) string {
	var b strings.Builder
	for i, t := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// unquote returns the value of a JS string literal as printed by esbuild
// (best effort: the raw text without quotes when it has escapes Go rejects).
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
		if v, err := strconv.Unquote(`"` + strings.ReplaceAll(s[1:len(s)-1], `"`, `\"`) + `"`); err == nil {
			return v
		}
		return s[1 : len(s)-1]
	}
	return s
}

// normalize applies all rules; cjs says the shipped file is CommonJS (and the
// upstream side was converted to CommonJS). helpers lists the tsc helper
// statements validated in the raw shipped prologue.
func normalize(ship, up []tok, cjs bool, helpers map[string]int) ([]tok, []tok, []string) {
	var notes []string
	ship = dropUseStrict(ship)
	up = dropUseStrict(up)
	var dropped []string
	ship, dropped = dropHelpers(ship, helpers)
	if len(dropped) > 0 {
		notes = append(notes, "explained tsc helper statements (exact known emit): "+strings.Join(dropped, ", "))
	}
	var table map[string][]tok
	if cjs {
		up, table = esbuildCJS(up)
		ship = tscReexports(ship)
		notes = append(notes, "CommonJS: compared with the source converted to CommonJS; export wiring checked against the source's exports")
	}
	ship = unwrapRequires(ship, map[string]bool{"__importDefault": true, "__importStar": true})
	up = unwrapRequires(up, map[string]bool{"__toESM": true})
	upNames := requireBindings(up)
	ship = requireBindingsApply(ship)
	for name, v := range table {
		vv := append([]tok(nil), v...)
		rename(vv, upNames, 0, len(vv))
		table[name] = vv
	}
	up = esbuildLoweredClasses(up)
	ship = esbuildLoweredClasses(ship)
	if cjs {
		exp := map[string]string{}
		for name, v := range table {
			exp[name] = join(v)
		}
		ship = tscExports(ship, exp)
		ship = canonEnums(ship)
		up = canonEnums(up)
		up = esbuildDecls(up, exp)
	} else {
		ship = canonEnums(ship)
		up = canonEnums(up)
	}
	ship = dropEmptyExport(ship)
	up = dropEmptyExport(up)
	var ok1, ok2 bool
	ship, ok1 = canonClasses(ship)
	up, ok2 = canonClasses(up)
	if !ok1 || !ok2 {
		notes = append(notes, "class normalisation stopped at its work budget (deeply nested classes); some classes compared as printed")
	}
	return ship, up, notes
}

// dropUseStrict removes leading "use strict" directives (after a hashbang).
func dropUseStrict(s []tok) []tok {
	i := 0
	if i < len(s) && s[i].kind == kHashbang {
		i++
	}
	j := i
	for j < len(s) && s[j].kind == kString && unquote(s[j].text) == "use strict" {
		j++
		if at(s, j) == ";" {
			j++
		}
	}
	if j == i {
		return s
	}
	return append(s[:i], s[j:]...)
}

// helperHeader reports whether s[i:] starts `var __X = this && this.__X ||`
// (tsc's helper statement as esbuild prints it) and returns the name.
func helperHeader(s []tok, i int) (string, bool) {
	if !match(s, i, "var", pID, "=", "this", "&&", "this", ".", pID, "||") {
		return "", false
	}
	name := s[i+1].text
	if !strings.HasPrefix(name, "__") || s[i+7].text != name {
		return "", false
	}
	return name, true
}

// dropHelpers removes, from the top of the printed shipped file, helper
// statements whose raw text was validated (helpers counts them by name).
func dropHelpers(s []tok, helpers map[string]int) ([]tok, []string) {
	if len(helpers) == 0 {
		return s, nil
	}
	left := map[string]int{}
	for k, v := range helpers {
		left[k] = v
	}
	var dropped []string
	out := s[:0:0]
	i := 0
	if i < len(s) && s[i].kind == kHashbang {
		out = append(out, s[i])
		i++
	}
	for i < len(s) {
		name, ok := helperHeader(s, i)
		if !ok {
			// tsc emits the __esModule marker between helpers in some versions.
			if match(s, i, "Object", ".", "defineProperty", "(", "exports", ",") {
				if e := stmtEnd(s, i); e > 0 {
					out = append(out, s[i:e+1]...)
					i = e + 1
					continue
				}
			}
			break
		}
		e := stmtEnd(s, i)
		if e < 0 {
			break
		}
		if left[name] > 0 {
			left[name]--
			dropped = append(dropped, name)
		} else {
			out = append(out, s[i:e+1]...)
		}
		i = e + 1
	}
	return append(out, s[i:]...), dropped
}

// knownPrologueHelpers tokenizes nothing itself: given the raw tokens of the
// original shipped file, it returns the tsc helper statements at its top
// whose exact token sequence is a known tsc emit (see knownhelpers.go).
func knownPrologueHelpers(raw []tok) map[string]int {
	out := map[string]int{}
	for _, h := range rawPrologueHelpers(raw) {
		if known, ok := knownHelpers[h.hash]; ok && known == h.name {
			out[h.name]++
		}
	}
	return out
}

type rawHelper struct {
	name, hash string
}

// rawPrologueHelpers extracts the helper-shaped statements
// `var __X = (this && this.__X) || ...;` at the top of a raw (not re-printed)
// file, after a hashbang and "use strict", with a fingerprint of their tokens.
func rawPrologueHelpers(raw []tok) []rawHelper {
	var out []rawHelper
	i := 0
	if i < len(raw) && raw[i].kind == kHashbang {
		i++
	}
	for i < len(raw) && raw[i].kind == kString {
		i++
		if at(raw, i) == ";" {
			i++
		}
	}
	for i < len(raw) {
		if !match(raw, i, "var", pID, "=", "(", "this", "&&", "this", ".", pID, ")", "||") {
			if match(raw, i, "Object", ".", "defineProperty", "(", "exports", ",") {
				if e := stmtEnd(raw, i); e > 0 {
					i = e + 1
					continue
				}
			}
			break
		}
		name := raw[i+1].text
		e := rawStmtEnd(raw, i)
		if e < 0 || raw[i+8].text != name || !strings.HasPrefix(name, "__") {
			break
		}
		out = append(out, rawHelper{name: name, hash: fingerprint(raw[i : e+1])})
		i = e + 1
	}
	return out
}

// rawStmtEnd is stmtEnd for raw (unprinted) code, which may rely on automatic
// semicolon insertion: a depth-0 '}' or ')' followed by a token on a later
// line also ends the statement (tsc emits `var __await = ... { ... }` without
// a ';'). It returns the index of the statement's last token, or -1.
func rawStmtEnd(s []tok, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch {
		case opens(s[j]):
			depth++
		case closes(s[j]):
			depth--
			if depth < 0 {
				return -1
			}
			if depth == 0 && j+1 < len(s) && s[j+1].gline > s[j].gline && s[j+1].text != ")" && s[j+1].text != "(" && s[j+1].kind == kIdent {
				return j
			}
		case depth == 0 && s[j].kind == kPunct && s[j].text == ";":
			return j
		}
	}
	return -1
}

// fingerprint hashes the token texts of a statement.
func fingerprint(s []tok) string {
	h := sha256.New()
	for _, t := range s {
		h.Write([]byte(t.text))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// esbuildCJS removes esbuild's CommonJS runtime prelude and export block from
// the upstream side and returns the export table (name -> local expression).
func esbuildCJS(s []tok) ([]tok, map[string][]tok) {
	table := map[string][]tok{}
	i := 0
	if i < len(s) && s[i].kind == kHashbang {
		i++
	}
	// The runtime helpers esbuild prepends: var __defProp=..., var __export=...
	k := i
	for match(s, k, "var", pID, "=") && strings.HasPrefix(s[k+1].text, "__") {
		e := stmtEnd(s, k)
		if e < 0 {
			break
		}
		k = e + 1
	}
	s = append(s[:i], s[k:]...)
	// The exports object: module.exports=__toCommonJS(X);
	obj := ""
	for j := range s {
		if match(s, j, "module", ".", "exports", "=", "__toCommonJS", "(", pID, ")", ";") {
			obj = s[j+6].text
			break
		}
	}
	if obj == "" {
		return s, table
	}
	out := s[:0:0]
	st := stmtStarts(s)
	for j := 0; j < len(s); j++ {
		if !st[j] {
			out = append(out, s[j])
			continue
		}
		switch {
		case match(s, j, "var", obj, "=", "{", "}", ";"):
			j += 5
			continue
		case match(s, j, "module", ".", "exports", "=", "__toCommonJS", "(", obj, ")", ";"):
			j += 8
			continue
		case match(s, j, "__export", "(", obj, ",", "{"):
			end := closeOf(s, j+4)
			if end < 0 || !match(s, end, "}", ")", ";") {
				break
			}
			parseExportTable(s[j+5:end], table)
			j = end + 2
			continue
		case match(s, j, "__reExport", "(", obj, ",", "require", "(", pStr, ")"):
			e := stmtEnd(s, j)
			if e < 0 {
				break
			}
			out = append(out, synth(synReexport, s[j]), s[j+5], s[j+6], s[j+7], s[e])
			j = e
			continue
		}
		out = append(out, s[j])
	}
	return out, table
}

// parseExportTable reads `name:()=>expr,...` entries.
func parseExportTable(s []tok, table map[string][]tok) {
	for i := 0; i < len(s); {
		if !(match(s, i, pAny, ":", "(", ")", "=>")) {
			return
		}
		name := s[i].text
		if s[i].kind == kString {
			name = unquote(name)
		}
		j := i + 5
		start := j
		depth := 0
		for ; j < len(s); j++ {
			if opens(s[j]) {
				depth++
			} else if closes(s[j]) {
				depth--
			} else if depth == 0 && s[j].text == "," && s[j].kind == kPunct {
				break
			}
		}
		table[name] = append([]tok(nil), s[start:j]...)
		i = j + 1
	}
}

// tscReexports turns tsc's `__exportStar(require("m"),exports);` into the
// canonical `⟦reexport⟧("m");`.
func tscReexports(s []tok) []tok {
	st := stmtStarts(s)
	out := s[:0:0]
	for j := 0; j < len(s); j++ {
		if st[j] && match(s, j, "__exportStar", "(", "require", "(", pStr, ")", ",", "exports", ")", ";") {
			out = append(out, synth(synReexport, s[j]), s[j+3], s[j+4], s[j+5], s[j+9])
			j += 9
			continue
		}
		out = append(out, s[j])
	}
	return out
}

// unwrapRequires turns `W(require("m"))` and `W(require("m"),1)` into
// `require("m")` for the interop wrappers W (tsc's __importDefault and
// __importStar, esbuild's __toESM): they only adapt the module object.
func unwrapRequires(s []tok, wrappers map[string]bool) []tok {
	out := s[:0:0]
	for j := 0; j < len(s); j++ {
		if s[j].kind == kIdent && wrappers[s[j].text] && !isPropertyName(s, j) && match(s, j+1, "(", "require", "(", pStr, ")") {
			switch {
			case at(s, j+6) == ")":
				out = append(out, s[j+2:j+6]...)
				j += 6
				continue
			case match(s, j+6, ",", pNum, ")"):
				out = append(out, s[j+2:j+6]...)
				j += 8
				continue
			}
		}
		out = append(out, s[j])
	}
	return out
}

// requireBindings canonicalises top-level `const|let|var X = require("m");`
// statements to `var ⟦"m"#k⟧ = require("m");` (k counts bindings of the same
// module) and renames X everywhere. It returns the renaming.
func requireBindings(s []tok) map[string]string {
	st := stmtStarts(s)
	names := map[string]string{}
	seen := map[string]int{}
	for j := range s {
		if !st[j] || !match(s, j, pAny, pID, "=", "require", "(", pStr, ")", ";") {
			continue
		}
		switch s[j].text {
		case "const", "let", "var":
		default:
			continue
		}
		mod := s[j+5].text
		seen[mod]++
		canon := fmt.Sprintf("⟦%s#%d⟧", mod, seen[mod])
		if _, dup := names[s[j+1].text]; dup {
			continue
		}
		names[s[j+1].text] = canon
		s[j].text = "var"
	}
	rename(s, names, 0, len(s))
	return names
}

// requireBindingsApply is requireBindings for the shipped side.
func requireBindingsApply(s []tok) []tok {
	requireBindings(s)
	return s
}

// esbuildLoweredClasses turns esbuild's lowering of a class whose static
// members refer to the class,
//
//	const _C=class _C{...};_C.x=1;let C=_C;
//
// into `class C{...}C.x=1` (the shape tsc emits): one pass to find the
// candidates, one pass to rewrite, renaming _C to C between the two
// statements.
func esbuildLoweredClasses(s []tok) []tok {
	st := stmtStarts(s)
	// Closing statements `[export] let C=_C;`, by inner name, in order.
	type closing struct{ at, n int }
	fins := map[string][]closing{}
	for k := range s {
		if !st[k] {
			continue
		}
		x := k
		if at(s, k) == "export" {
			x = k + 1
		}
		if (at(s, x) == "let" || at(s, x) == "var" || at(s, x) == "const") && match(s, x+1, pID, "=", pID, ";") && s[x+3].text == "_"+s[x+1].text {
			fins[s[x+3].text] = append(fins[s[x+3].text], closing{k, x - k + 5})
		}
	}
	if len(fins) == 0 {
		return s
	}
	type cand struct {
		start, semi, fin, finLen int
		inner, name              string
		exported                 bool
	}
	var cands []cand
	used := map[int]bool{}
	for j := range s {
		if !st[j] || !match(s, j, pAny, pID, "=", "class", pID) || s[j+4].text != s[j+1].text {
			continue
		}
		switch s[j].text {
		case "const", "let", "var":
		default:
			continue
		}
		inner := s[j+1].text
		list := fins[inner]
		if len(list) == 0 {
			continue
		}
		e := stmtEnd(s, j)
		if e < 0 {
			continue
		}
		for _, f := range list {
			if f.at > e && !used[f.at] {
				used[f.at] = true
				cands = append(cands, cand{j, e, f.at, f.n, inner, inner[1:], f.n == 6})
				break
			}
		}
	}
	if len(cands) == 0 {
		return s
	}
	// Rewrite in one sweep; active maps inner -> name while inside a range.
	drop := map[int]int{} // index -> number of tokens to skip
	starts := map[int]cand{}
	ends := map[int][]string{}
	for _, c := range cands {
		starts[c.start] = c
		drop[c.semi] = 1
		drop[c.fin] = c.finLen
		ends[c.fin] = append(ends[c.fin], c.inner)
	}
	active := map[string]string{}
	out := make([]tok, 0, len(s))
	for j := 0; j < len(s); j++ {
		for _, inner := range ends[j] {
			delete(active, inner)
		}
		if c, ok := starts[j]; ok {
			active[c.inner] = c.name
			if c.exported {
				t := synth("export", s[j])
				t.kind = kIdent
				out = append(out, t)
			}
			j += 2 // skip `const _C =`
			continue
		}
		if n, ok := drop[j]; ok {
			j += n - 1
			continue
		}
		t := s[j]
		if t.kind == kIdent && !isPropertyName(s, j) {
			if name, ok := active[t.text]; ok {
				t.text = name
			}
		}
		out = append(out, t)
	}
	return out
}

// tscExports canonicalises tsc's CommonJS export plumbing on the shipped side
// against the upstream export table exp (name -> local expression).
func tscExports(s []tok, exp map[string]string) []tok {
	st := stmtStarts(s)
	out := s[:0:0]
	for j := 0; j < len(s); j++ {
		if st[j] {
			// Object.defineProperty(exports,"__esModule",{value:true});
			if match(s, j, "Object", ".", "defineProperty", "(", "exports", ",", pStr, ",", "{", "value", ":", pAny, "}", ")", ";") &&
				unquote(s[j+6].text) == "__esModule" && (s[j+11].text == "true") {
				j += 14
				continue
			}
			// exports.a=exports.b=void 0;
			if k := voidChain(s, j); k > 0 {
				j = k
				continue
			}
			// exports.a=a;  exports.b=mod.b;
			if match(s, j, "exports", ".", pID, "=") {
				name := s[j+2].text
				if e := stmtEnd(s, j); e > 0 {
					if v, ok := exp[name]; ok && join(s[j+4:e]) == v && e-(j+4) <= 3 {
						j = e
						continue
					}
				}
			}
			// Object.defineProperty(exports,"a",{enumerable:true,get:function(){return m.a}});
			if match(s, j, "Object", ".", "defineProperty", "(", "exports", ",", pStr, ",", "{", "enumerable", ":", "true", ",", "get", ":", "function", "(", ")", "{", "return") {
				name := unquote(s[j+6].text)
				if e := stmtEnd(s, j); e > j+23 && match(s, e-3, "}", "}", ")", ";") {
					if v, ok := exp[name]; ok && join(s[j+20:e-3]) == v {
						j = e
						continue
					}
				}
			}
			// exports.default=expr;
			if match(s, j, "exports", ".", "default", "=") {
				out = append(out, synth(synDefault, s[j]))
				j += 2
				continue
			}
			// exports.a=expr; (export const a=expr)
			if match(s, j, "exports", ".", pID, "=") && exp[s[j+2].text] == s[j+2].text {
				out = append(out, synth(synDecl, s[j]), s[j+2])
				j += 2
				continue
			}
			// const a=expr;exports.a=a; (tsc keeps the declaration for functions)
			if (at(s, j) == "const" || at(s, j) == "let" || at(s, j) == "var") && match(s, j+1, pID, "=") && exp[s[j+1].text] == s[j+1].text {
				out = append(out, synth(synDecl, s[j]), s[j+1])
				j++
				continue
			}
		}
		if match(s, j, "exports", ".", pID) && !isPropertyName(s, j) && exp[s[j+2].text] == s[j+2].text {
			name := s[j+2].text
			// exports.E=E={}  (enum wiring) -> E={}
			if match(s, j+3, "=", name, "=") {
				j += 4
				out = append(out, s[j])
				continue
			}
			// (0,exports.f)(...) -> f(...)
			if at(s, j-1) == "," && at(s, j-2) == "0" && at(s, j-3) == "(" && at(s, j+3) == ")" && len(out) >= 3 {
				out = out[:len(out)-3]
				out = append(out, s[j+2])
				j += 3
				continue
			}
			out = append(out, s[j+2])
			j += 2
			continue
		}
		out = append(out, s[j])
	}
	return out
}

// voidChain matches `exports.a=exports.b=...=void 0;` at j and returns the
// index of its ';' (or 0).
func voidChain(s []tok, j int) int {
	k := j
	n := 0
	for match(s, k, "exports", ".", pID, "=") {
		k += 4
		n++
	}
	if n > 0 && match(s, k, "void", "0", ";") {
		return k + 2
	}
	return 0
}

// esbuildDecls canonicalises upstream top-level declarations of exported
// names (`const a=` -> `⟦decl⟧ a=`) and esbuild's default-export variable
// (`var x_default=` -> `⟦default⟧=`), matching tscExports.
func esbuildDecls(s []tok, exp map[string]string) []tok {
	st := stmtStarts(s)
	out := s[:0:0]
	def := exp["default"]
	for j := 0; j < len(s); j++ {
		if st[j] && (at(s, j) == "const" || at(s, j) == "let" || at(s, j) == "var") && match(s, j+1, pID, "=") {
			name := s[j+1].text
			if exp[name] == name {
				out = append(out, synth(synDecl, s[j]), s[j+1])
				j++
				continue
			}
			if name == def && strings.HasSuffix(name, "_default") {
				out = append(out, synth(synDefault, s[j]))
				j++
				continue
			}
		}
		out = append(out, s[j])
	}
	return out
}

// dropEmptyExport removes `export{};` statements.
func dropEmptyExport(s []tok) []tok {
	st := stmtStarts(s)
	out := s[:0:0]
	for j := 0; j < len(s); j++ {
		if st[j] && match(s, j, "export", "{", "}", ";") {
			j += 3
			continue
		}
		out = append(out, s[j])
	}
	return out
}

// canonEnums rewrites both enum shapes to `[export] var E ⟦enum⟧ { body }`
// (the body's self parameter renamed ⟦self⟧, no trailing ';') and inlines
// literal member references E.M / E["M"] outside the bodies.
func canonEnums(s []tok) []tok {
	st := stmtStarts(s)
	out := make([]tok, 0, len(s))
	members := map[string]map[string][]tok{}
	for j := 0; j < len(s); j++ {
		if !st[j] {
			out = append(out, s[j])
			continue
		}
		x := j
		if at(s, j) == "export" {
			x++
		}
		if !match(s, x, "var", pID) {
			out = append(out, s[j])
			continue
		}
		name := s[x+1].text
		var body []tok
		var self string
		end := -1
		switch {
		// tsc: var E;(function(E2){...})(E||(E={}));
		case match(s, x+2, ";", "(", "function", "(", pID, ")", "{"):
			self = s[x+6].text
			bc := closeOf(s, x+8)
			if bc < 0 || !match(s, bc, "}", ")", "(", name, "||", "(", name, "=", "{", "}", ")", ")", ";") {
				break
			}
			body, end = s[x+9:bc], bc+12
		// esbuild: var E=(E2=>{...;return E2})(E||{});
		case match(s, x+2, "=", "(", pID, "=>", "{"):
			self = s[x+4].text
			bc := closeOf(s, x+6)
			if bc < 0 || !match(s, bc-2, "return", self, "}", ")", "(", name, "||", "{", "}", ")", ";") {
				break
			}
			body, end = s[x+7:bc-2], bc+8
		}
		if end < 0 {
			out = append(out, s[j])
			continue
		}
		body = append([]tok(nil), body...)
		if n := len(body); n > 0 && body[n-1].text == ";" {
			body = body[:n-1]
		}
		rename(body, map[string]string{self: synSelf}, 0, len(body))
		out = append(out, s[j:x+2]...)
		out = append(out, synth(synEnum, s[x+1]), synth("{", s[x+1]))
		out = append(out, body...)
		out = append(out, synth("}", s[end]))
		members[name] = enumMembers(body)
		j = end
	}
	if len(members) == 0 {
		return out
	}
	// Inline literal member references outside enum bodies.
	res := out[:0:0]
	for j := 0; j < len(out); j++ {
		t := out[j]
		if t.kind == kIdent && !isPropertyName(out, j) {
			if m, ok := members[t.text]; ok {
				var mem string
				n := 0
				switch {
				case match(out, j+1, ".", pID):
					mem, n = out[j+2].text, 3
				case match(out, j+1, "[", pStr, "]"):
					mem, n = unquote(out[j+2].text), 4
				}
				if v, ok := m[mem]; ok && n > 0 && !isAssignOp(at(out, j+n)) {
					for _, vt := range v {
						vt.line, vt.col = t.line, t.col
						res = append(res, vt)
					}
					j += n - 1
					continue
				}
			}
		}
		res = append(res, t)
	}
	return res
}

func isAssignOp(s string) bool {
	switch s {
	case "=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "&&=", "||=", "??=", "++", "--":
		return true
	}
	return false
}

// enumMembers reads literal member values from a canonical enum body:
// ⟦self⟧[⟦self⟧["M"]=V]="M" and ⟦self⟧["M"]=V with V a literal.
func enumMembers(body []tok) map[string][]tok {
	m := map[string][]tok{}
	for i := 0; i < len(body); i++ {
		if body[i].text != synSelf || (i > 0 && body[i-1].text != ";") {
			continue
		}
		var name string
		var vi int
		switch {
		case match(body, i+1, "[", synSelf, "[", pStr, "]", "="):
			name, vi = unquote(body[i+4].text), i+7
		case match(body, i+1, "[", pStr, "]", "="):
			name, vi = unquote(body[i+2].text), i+5
		default:
			continue
		}
		var v []tok
		switch {
		case vi < len(body) && (body[vi].kind == kNumber || body[vi].kind == kString):
			v = body[vi : vi+1]
		case match(body, vi, "-", pNum):
			v = body[vi : vi+2]
		default:
			continue
		}
		m[name] = append([]tok(nil), v...)
	}
	return m
}

// classWorkPerToken bounds canonClasses' work (tokens scanned) to this many
// times the stream length: deeply nested classes would otherwise make it
// quadratic. Classes beyond the budget are left as they are (which can only
// add residue) and a note says so.
const classWorkPerToken = 16

// canonClasses moves every class constructor to the front of its body and
// drops bare field declarations of parameter properties. ok is false when the
// work budget ran out.
func canonClasses(s []tok) (out []tok, ok bool) {
	budget := classWorkPerToken*len(s) + 1024
	for c := len(s) - 1; c >= 0; c-- {
		if s[c].kind != kIdent || s[c].text != "class" || isPropertyName(s, c) {
			continue
		}
		open := classBodyOpen(s, c)
		if open < 0 {
			continue
		}
		close := closeOf(s, open)
		if close < 0 {
			continue
		}
		if budget -= 3 * (close - c); budget < 0 {
			return s, false
		}
		members := classMembers(s, open+1, close)
		ctor := -1
		for k, m := range members {
			if at(s, m[0]) == "constructor" && at(s, m[0]+1) == "(" {
				ctor = k
				break
			}
		}
		if ctor < 0 {
			continue
		}
		params := ctorParamProps(s, members[ctor])
		var body []tok
		body = append(body, s[members[ctor][0]:members[ctor][1]]...)
		for k, m := range members {
			if k == ctor {
				continue
			}
			if n := m[1] - m[0]; (n == 1 || (n == 2 && at(s, m[0]+1) == ";")) && params[at(s, m[0])] {
				continue // `x;` declaring a parameter property
			}
			body = append(body, s[m[0]:m[1]]...)
		}
		// Members are only moved or dropped, so the body never grows.
		n := copy(s[open+1:], body)
		s = append(s[:open+1+n], s[close:]...)
	}
	return s, true
}

// classBodyOpen returns the index of the '{' opening the body of the class
// whose keyword is at c, or -1.
func classBodyOpen(s []tok, c int) int {
	j := c + 1
	if j < len(s) && s[j].kind == kIdent && s[j].text != "extends" && s[j].text != "{" {
		j++
	}
	if at(s, j) == "extends" {
		j++
		for j < len(s) {
			if s[j].kind == kPunct && s[j].text == "{" {
				return j
			}
			if opens(s[j]) {
				k := closeOf(s, j)
				if k < 0 {
					return -1
				}
				j = k + 1
				continue
			}
			j++
		}
		return -1
	}
	if at(s, j) == "{" && s[j].kind == kPunct {
		return j
	}
	return -1
}

// classMembers splits a class body s[from:to] into member ranges [start,end).
func classMembers(s []tok, from, to int) [][2]int {
	var out [][2]int
	for i := from; i < to; {
		start := i
		sawEq := false
		for i < to {
			t := s[i]
			if t.kind == kPunct && t.text == ";" {
				i++
				break
			}
			if t.kind == kPunct && t.text == "=" {
				sawEq = true
			}
			if opens(t) {
				k := closeOf(s, i)
				if k < 0 || k >= to {
					return out
				}
				i = k + 1
				if t.text == "{" && !sawEq {
					break // method body or static block
				}
				continue
			}
			i++
		}
		if i > start {
			out = append(out, [2]int{start, i})
		}
	}
	return out
}

// ctorParamProps returns the constructor parameters assigned as
// `this.x=x` in its body (TypeScript parameter properties).
func ctorParamProps(s []tok, m [2]int) map[string]bool {
	out := map[string]bool{}
	po := m[0] + 1
	pc := closeOf(s, po)
	if pc < 0 || pc >= m[1] {
		return out
	}
	params := map[string]bool{}
	for i := po + 1; i < pc; i++ {
		if s[i].kind == kIdent && (at(s, i-1) == "(" || at(s, i-1) == ",") {
			params[s[i].text] = true
		}
	}
	for i := pc + 1; i < m[1]; i++ {
		if match(s, i, "this", ".", pID, "=", pID) && s[i+2].text == s[i+4].text && params[s[i+2].text] {
			out[s[i+2].text] = true
		}
	}
	return out
}
