package jsequiv

// Normalisation of the two esbuild-printed token streams.
//
// Both files come out of esbuild's printer, so formatting, quoting, comments
// and parentheses already agree. What remains are differences between what
// tsc emitted (the shipped file) and what esbuild emits for the same source.
// Each rule below turns one such difference into a canonical form. A rule only
// ever rewrites a construct into a semantically equivalent one, or drops code
// that is inert module plumbing checked against the upstream side, so a rule
// applied where it should not be can create residue but never hide code.
//
// Measured on tsc 5.9 output of testdata/mcpserver (ESM es2022; CommonJS
// es2020 with useDefineForClassFields=false; the same with importHelpers) and
// testdata/decorators: no residue.
//
//   - "use strict" prologue directives: dropped on both sides.
//   - tsc helper statements (`var __awaiter = (this && this.__awaiter) || ...`)
//     at the top of the shipped file: dropped only when the statement's raw
//     tokens, in the original file, are exactly a known tsc emit
//     (knownhelpers.go, from six TypeScript releases). Any other statement of
//     that shape stays and is compared as code: an attacker can put anything
//     inside a "helper".
//   - esbuild's own runtime helpers (`var __defProp=...`): dropped on the
//     upstream side; on the shipped side only when esbuild injected them
//     (no token maps back to the shipped file).
//   - CommonJS (shipped file has no import/export; the source is converted to
//     CommonJS by esbuild): esbuild's export block
//     (`__export(x_exports,{a:()=>a})`, `module.exports=__toCommonJS(...)`)
//     is dropped on the upstream side and read as the export table; tsc's
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
//     members referring to the class) becomes `class C{...}...`;
//     `let C = class C` loses the inner name; tsc's static assignments after
//     a class (`C.x=1;`, useDefineForClassFields=false) move into the body as
//     `static x=1`; every body is ordered constructor, static fields and
//     blocks, other members; fields lose their ';'; bare field declarations of
//     parameter properties (tsc emits `x;` for `constructor(private x)`,
//     esbuild does not) are dropped.
//   - decorators (experimentalDecorators): esbuild's __decorateClass /
//     __decorateParam and kind numbers become tsc's __decorate / __param with
//     canonical kinds; tsc's decorated-class `export { C }` moves onto the
//     declaration; tsc's emitDecoratorMetadata `__metadata("design:…", T)`
//     calls are dropped when T is a plain type reference.
//   - `export{};` (tsc's marker for a type-only module): dropped.
//   - importHelpers (only when the tsconfig sets it): the tslib import is
//     dropped and `tslib_1.__x` calls become `__x` calls.
//
// Not normalised (left as residue): tsc's lowering of async functions and
// generators below ES2017 (__awaiter/__generator call sites), private fields
// lowered below ES2022 (__classPrivateFieldGet versus esbuild's
// __privateGet), namespaces, const enums inlined across files, and JSX
// factory differences.

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
// upstream side was converted to CommonJS). helpers lists, in order, the
// helper-shaped statements at the top of the raw shipped file: the helper's
// name when the statement is a known tsc emit, "" when it is not. tslib says
// the tsconfig sets importHelpers.
func normalize(ship, up []tok, cjs bool, helpers []string, tslib bool) ([]tok, []tok, []string) {
	var notes []string
	ship = dropUseStrict(ship)
	up = dropUseStrict(up)
	if tslib {
		var n int
		if ship, n = tslibHelpers(ship); n > 0 {
			notes = append(notes, fmt.Sprintf("importHelpers: %d helper call(s) through tslib explained", n))
		}
	}
	var dropped []string
	ship, dropped = dropHelpers(ship, helpers)
	if len(dropped) > 0 {
		notes = append(notes, "explained tsc helper statements (exact known emit): "+strings.Join(dropped, ", "))
	}
	up = dropEsbuildPrelude(up, false)
	ship = dropEsbuildPrelude(ship, true)
	var table map[string][]tok
	if cjs {
		up, table = esbuildCJS(up)
		ship = tscReexports(ship)
		notes = append(notes, "CommonJS: compared with the source converted to CommonJS; export wiring checked against the source's exports")
	}
	ship = unwrapRequires(ship, map[string]bool{"__importDefault": true, "__importStar": true})
	up = unwrapRequires(up, map[string]bool{"__toESM": true})
	upNames := requireBindings(up)
	requireBindings(ship)
	for name, v := range table {
		vv := append([]tok(nil), v...)
		rename(vv, upNames, 0, len(vv))
		table[name] = vv
	}
	up = esbuildLoweredClasses(up)
	ship = esbuildLoweredClasses(ship)
	up = dropClassExprName(up)
	ship = dropClassExprName(ship)
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
	ship = tscDecorators(ship)
	up = esbuildDecorators(up)
	ship = staticAssignments(ship)
	up = staticAssignments(up)
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

// tslibHelpers handles tsc's importHelpers output (shipped side, only when
// the tsconfig sets importHelpers): the tslib import
// (`const tslib_1 = require("tslib");` or `import { __decorate } from
// "tslib";` importing only __-prefixed helpers) is dropped, and
// `tslib_1.__x` / `(0, tslib_1.__x)` become `__x`, the inline helper's name,
// so the call sites meet the rules for inline helpers. It returns the number
// of call sites rewritten.
func tslibHelpers(s []tok) ([]tok, int) {
	st := stmtStarts(s)
	ns := map[string]bool{}
	drop := map[int]int{}
	for j := range s {
		if !st[j] {
			continue
		}
		if (at(s, j) == "const" || at(s, j) == "var" || at(s, j) == "let") && match(s, j+1, pID, "=", "require", "(", pStr, ")", ";") && unquote(s[j+5].text) == "tslib" {
			ns[s[j+1].text] = true
			drop[j] = 8
		}
		if match(s, j, "import", "{") {
			if c := closeOf(s, j+1); c > 0 && match(s, c+1, "from", pStr, ";") && unquote(s[c+2].text) == "tslib" && onlyHelperNames(s[j+2:c]) {
				drop[j] = c + 4 - j
			}
		}
	}
	if len(drop) == 0 {
		return s, 0
	}
	n := 0
	out := make([]tok, 0, len(s))
	for j := 0; j < len(s); j++ {
		if k, ok := drop[j]; ok {
			j += k - 1
			continue
		}
		if s[j].kind == kIdent && ns[s[j].text] && !isPropertyName(s, j) && match(s, j+1, ".", pID) && strings.HasPrefix(s[j+2].text, "__") {
			// (0,tslib_1.__x) -> __x
			if len(out) >= 3 && out[len(out)-1].text == "," && out[len(out)-2].text == "0" && out[len(out)-3].text == "(" && at(s, j+3) == ")" {
				out = out[:len(out)-3]
				out = append(out, s[j+2])
				j += 3
				n++
				continue
			}
			out = append(out, s[j+2])
			j += 2
			n++
			continue
		}
		out = append(out, s[j])
	}
	return out, n
}

// onlyHelperNames reports whether an import list names only __ helpers.
func onlyHelperNames(s []tok) bool {
	for _, t := range s {
		if t.kind == kPunct && t.text == "," {
			continue
		}
		if t.kind != kIdent || !strings.HasPrefix(t.text, "__") {
			return false
		}
	}
	return len(s) > 0
}

// helperName reports whether s[i:] starts `var __X =` and returns __X.
// (esbuild prints tsc's `var __X = (this && this.__X) || f` as
// `var __X=this&&this.__X||f` in CommonJS and folds it to `var __X=f` in a
// module, where `this` is undefined.)
func helperName(s []tok, i int) (string, bool) {
	if !match(s, i, "var", pID, "=") || !strings.HasPrefix(s[i+1].text, "__") {
		return "", false
	}
	return s[i+1].text, true
}

// dropHelpers removes helper statements from the top of the printed shipped
// file. The k-th `var __X=` statement there is the k-th helper-shaped
// statement of the raw file (esbuild keeps statement order); it is dropped
// only when that raw statement was a known tsc emit with the same name.
func dropHelpers(s []tok, helpers []string) ([]tok, []string) {
	if len(helpers) == 0 {
		return s, nil
	}
	var dropped []string
	out := make([]tok, 0, len(s))
	i := 0
	if i < len(s) && s[i].kind == kHashbang {
		out = append(out, s[i])
		i++
	}
	for k := 0; i < len(s); k++ {
		name, ok := helperName(s, i)
		if !ok {
			// tsc emits the __esModule marker between helpers in some versions.
			if match(s, i, "Object", ".", "defineProperty", "(", "exports", ",") {
				if e := stmtEnd(s, i); e > 0 {
					out = append(out, s[i:e+1]...)
					i = e + 1
					k--
					continue
				}
			}
			break
		}
		e := stmtEnd(s, i)
		if e < 0 {
			break
		}
		if k < len(helpers) && helpers[k] == name {
			dropped = append(dropped, name)
		} else {
			out = append(out, s[i:e+1]...)
		}
		i = e + 1
	}
	return append(out, s[i:]...), dropped
}

// knownPrologueHelpers lists, in order, the helper-shaped statements at the
// top of the raw (original) shipped file: the helper name when the
// statement's exact token sequence is a known tsc emit (see knownhelpers.go),
// "" when it is not.
func knownPrologueHelpers(raw []tok) []string {
	var out []string
	for _, h := range rawPrologueHelpers(raw) {
		if known, ok := knownHelpers[h.hash]; ok && known == h.name {
			out = append(out, h.name)
		} else {
			out = append(out, "")
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

// dropEsbuildPrelude removes the runtime helpers esbuild prepends to its
// output (var __defProp=..., var __export=..., var __decorateClass=...).
// On the upstream side all of them go. On the shipped side (unmapped=true)
// only statements none of whose tokens map to the shipped file go: those
// were injected by esbuild while lowering syntax to the target, never
// written in the shipped file.
func dropEsbuildPrelude(s []tok, unmapped bool) []tok {
	i := 0
	if i < len(s) && s[i].kind == kHashbang {
		i++
	}
	for at(s, i) == "\"use strict\"" && at(s, i+1) == ";" {
		i += 2
	}
	k := i
	for match(s, k, "var", pID, "=") && strings.HasPrefix(s[k+1].text, "__") {
		e := stmtEnd(s, k)
		if e < 0 || (unmapped && !allUnmapped(s[k:e+1])) {
			break
		}
		k = e + 1
	}
	return append(s[:i], s[k:]...)
}

// allUnmapped reports whether no token maps to a line of the original file.
func allUnmapped(s []tok) bool {
	for _, t := range s {
		if t.line != 0 {
			return false
		}
	}
	return true
}

// esbuildCJS removes esbuild's CommonJS export block from the upstream side
// and returns the export table (name -> local expression).
func esbuildCJS(s []tok) ([]tok, map[string][]tok) {
	table := map[string][]tok{}
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
	out := make([]tok, 0, len(s))
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
	out := make([]tok, 0, len(s))
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
	out := make([]tok, 0, len(s))
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
// module) and renames X everywhere, in place. It returns the renaming.
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
	out := make([]tok, 0, len(s))
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
			// exports.C=C=expr; handled below (enum and decorator wiring)
			if match(s, j, "exports", ".", pID, "=") && match(s, j+4, s[j+2].text, "=") && exp[s[j+2].text] == s[j+2].text {
				j += 3
				continue
			}
			// exports.default=default_1; (an anonymous default function or
			// class, which esbuild names x_default): the wiring goes and
			// default_1 becomes ⟦default⟧ below.
			if match(s, j, "exports", ".", "default", "=", pID, ";") && s[j+4].text == anonDefault && strings.HasSuffix(exp["default"], "_default") {
				j += 5
				continue
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
	if strings.HasSuffix(exp["default"], "_default") {
		rename(out, map[string]string{anonDefault: synDefault}, 0, len(out))
	}
	return out
}

// anonDefault is tsc's name for an anonymous default-exported function or
// class in CommonJS output.
const anonDefault = "default_1"

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
	out := make([]tok, 0, len(s))
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
	if strings.HasSuffix(def, "_default") {
		// `function x_default(){}` (an anonymous default export): the name
		// becomes ⟦default⟧, like tsc's default_1.
		rename(out, map[string]string{def: synDefault}, 0, len(out))
	}
	return out
}

// dropEmptyExport removes `export{};` statements.
func dropEmptyExport(s []tok) []tok {
	st := stmtStarts(s)
	out := make([]tok, 0, len(s))
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
	res := make([]tok, 0, len(out))
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

// canonClasses orders every class body as: constructor, static fields and
// static blocks (in their order), other members (in their order) — tsc and
// esbuild place constructors and lowered static fields differently, and the
// order between these groups has no effect — drops the ';' after fields (so
// a body never grows) and drops bare field declarations of parameter
// properties. ok is false when the work budget ran out.
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
			return compactDead(s), false
		}
		members := classMembers(s, open+1, close)
		ctor := -1
		for k, m := range members {
			if at(s, m[0]) == "constructor" && at(s, m[0]+1) == "(" {
				ctor = k
				break
			}
		}
		var params map[string]bool
		if ctor >= 0 {
			params = ctorParamProps(s, members[ctor])
		}
		var body []tok
		if ctor >= 0 {
			body = append(body, s[members[ctor][0]:members[ctor][1]]...)
		}
		for pass := 0; pass < 2; pass++ { // static fields and blocks first, then the rest
			for k, m := range members {
				if k == ctor || isStaticInit(s, m) != (pass == 0) {
					continue
				}
				if n := m[1] - m[0]; (n == 1 || (n == 2 && at(s, m[0]+1) == ";")) && params[at(s, m[0])] {
					continue // `x;` declaring a parameter property
				}
				end := m[1]
				if s[end-1].kind == kPunct && s[end-1].text == ";" {
					end-- // fields lose their ';' (esbuild omits the last one)
				}
				body = append(body, s[m[0]:end]...)
			}
		}
		n := copy(s[open+1:], body)
		for k := open + 1 + n; k < close; k++ {
			s[k] = tok{kind: kSynth} // dead; removed once at the end
		}
	}
	return compactDead(s), true
}

// compactDead removes the dead tokens canonClasses leaves behind.
func compactDead(s []tok) []tok {
	n := 0
	for _, t := range s {
		if t.kind == kSynth && t.text == "" {
			continue
		}
		s[n] = t
		n++
	}
	return s[:n]
}

// isStaticInit reports whether class member m is a static field or a static
// block (as opposed to a static method or accessor, or an instance member).
func isStaticInit(s []tok, m [2]int) bool {
	if at(s, m[0]) != "static" || m[1]-m[0] < 2 {
		return false
	}
	if at(s, m[0]+1) == "{" {
		return true
	}
	for k := m[0] + 1; k < m[1]; k++ {
		switch {
		case s[k].kind == kPunct && s[k].text == "(":
			return false // a method
		case s[k].kind == kPunct && (s[k].text == "=" || s[k].text == ";"):
			return true
		case opens(s[k]):
			if c := closeOf(s, k); c > k && c < m[1] {
				k = c
			}
		}
	}
	return true // `static x` at the end of the body
}

// staticAssignments moves the assignments tsc emits after a class for static
// fields without define semantics (`class C{...}C.x=1;C.y=2;`) into the
// class body as `static x=1;static y=2;`, the shape esbuild keeps.
func staticAssignments(s []tok) []tok {
	st := stmtStarts(s)
	out := make([]tok, 0, len(s))
	for j := 0; j < len(s); j++ {
		if !st[j] || !match(s, j, "class", pID) {
			out = append(out, s[j])
			continue
		}
		name := s[j+1].text
		open := classBodyOpen(s, j)
		if open < 0 {
			out = append(out, s[j])
			continue
		}
		close := closeOf(s, open)
		if close < 0 {
			out = append(out, s[j])
			continue
		}
		out = append(out, s[j:close]...)
		k := close + 1
		for k < len(s) && match(s, k, name, ".", pID, "=") {
			e := stmtEnd(s, k)
			if e < 0 {
				break
			}
			kw := synth("static", s[k])
			kw.kind = kIdent
			out = append(out, kw)
			out = append(out, s[k+2:e+1]...)
			k = e + 1
		}
		out = append(out, s[close])
		j = k - 1
	}
	return out
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

// Decorators (experimentalDecorators). tsc and esbuild emit the same calls
// with different helper names and argument spellings:
//
//	tsc:     let C = class C {...}; __decorate([d, __param(0, p)], C.prototype, "m", null);
//	esbuild: let C = class {...};   __decorateClass([d, __decorateParam(0, p)], C.prototype, "m", 1);
//
// Both become `let C = class {...}; __decorate([...], C.prototype, "m", ⟦method⟧)`
// (⟦field⟧ for properties). tsc's emitDecoratorMetadata calls
// `__metadata("design:type", T)`, which esbuild does not emit, are dropped
// when T is a plain type reference (identifiers, member access, void 0,
// arrays of those); anything else stays and is compared.
const (
	synDecMethod = "⟦method⟧"
	synDecField  = "⟦field⟧"
)

// tscDecorators canonicalises tsc's decorator emit (shipped side).
func tscDecorators(s []tok) []tok {
	s = tscDecoratedExports(s)
	out := make([]tok, 0, len(s))
	for j := 0; j < len(s); j++ {
		if s[j].kind == kIdent && s[j].text == "__metadata" && !isPropertyName(s, j) {
			if end := metadataCall(s, j); end > 0 {
				switch {
				case len(out) > 0 && out[len(out)-1].text == ",":
					out = out[:len(out)-1] // `, __metadata(...)`
				case at(s, end+1) == ",":
					end++ // `[__metadata(...), ...`
				}
				j = end
				continue
			}
		}
		out = append(out, s[j])
	}
	return canonDecorateKinds(out, map[string]string{"null": synDecMethod, "void 0": synDecField})
}

// esbuildDecorators canonicalises esbuild's decorator emit (upstream side).
func esbuildDecorators(s []tok) []tok {
	rename(s, map[string]string{"__decorateClass": "__decorate", "__decorateParam": "__param"}, 0, len(s))
	return canonDecorateKinds(s, map[string]string{"1": synDecMethod, "2": synDecField})
}

// dropClassExprName turns `let C = class C` into `let C = class` (esbuild
// may print the inner name as C2 when it re-prints tsc's output).
func dropClassExprName(s []tok) []tok {
	out := make([]tok, 0, len(s))
	for j := 0; j < len(s); j++ {
		out = append(out, s[j])
		if (s[j].text == "let" || s[j].text == "var" || s[j].text == "const") && s[j].kind == kIdent &&
			match(s, j+1, pID, "=", "class", pID) && sameOrRenamed(s[j+4].text, s[j+1].text) {
			out = append(out, s[j+1:j+4]...)
			j += 4
		}
	}
	return out
}

// sameOrRenamed reports whether inner is name or name followed by digits
// (esbuild's renaming of a shadowing binding).
func sameOrRenamed(inner, name string) bool {
	if !strings.HasPrefix(inner, name) || name == "" {
		return false
	}
	for _, c := range inner[len(name):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// tscDecoratedExports turns tsc's `let C = class {...}; ... export { C };`
// (how tsc exports a decorated class from a module) into
// `export let C = class ...`, the shape esbuild keeps.
func tscDecoratedExports(s []tok) []tok {
	st := stmtStarts(s)
	decl := map[string]int{}
	for j := range s {
		if st[j] && match(s, j, "let", pID, "=", "class") {
			decl[s[j+1].text] = j
		}
	}
	if len(decl) == 0 {
		return s
	}
	move := map[int]bool{} // `let` indexes that get an export
	skip := map[int]bool{} // `export{C};` statements dropped
	for j := range s {
		if st[j] && match(s, j, "export", "{", pID, "}", ";") {
			if d, ok := decl[s[j+2].text]; ok && d < j {
				move[d], skip[j] = true, true
			}
		}
	}
	if len(move) == 0 {
		return s
	}
	out := make([]tok, 0, len(s))
	for j := 0; j < len(s); j++ {
		if skip[j] {
			j += 4
			continue
		}
		if move[j] {
			t := synth("export", s[j])
			t.kind = kIdent
			out = append(out, t)
		}
		out = append(out, s[j])
	}
	return out
}

// metadataCall matches `__metadata("design:…", T)` at j with T a plain type
// reference and returns the index of its ')' (or 0).
func metadataCall(s []tok, j int) int {
	if !match(s, j+1, "(", pStr, ",") {
		return 0
	}
	switch unquote(s[j+2].text) {
	case "design:type", "design:paramtypes", "design:returntype":
	default:
		return 0
	}
	end := closeOf(s, j+1)
	if end < 0 {
		return 0
	}
	for k := j + 4; k < end; k++ {
		t := s[k]
		switch {
		case t.kind == kIdent && t.text != "function" && t.text != "new" && t.text != "typeof" && t.text != "class" && t.text != "import" && t.text != "this" && t.text != "super":
			if t.text == "void" && at(s, k+1) != "0" {
				return 0
			}
		case t.kind == kNumber && at(s, k-1) == "void":
		case t.kind == kPunct && (t.text == "." || t.text == "," || t.text == "[" || t.text == "]"):
		default:
			return 0
		}
	}
	return end
}

// canonDecorateKinds rewrites the last argument of `__decorate(…, key, K)`
// calls through kinds (joined token text -> canonical token).
func canonDecorateKinds(s []tok, kinds map[string]string) []tok {
	for j := 0; j < len(s); j++ {
		if s[j].text != "__decorate" || s[j].kind != kIdent || at(s, j+1) != "(" || isPropertyName(s, j) {
			continue
		}
		end := closeOf(s, j+1)
		if end < 0 {
			continue
		}
		// Find the last top-level comma of the call.
		last, depth := -1, 0
		for k := j + 2; k < end; k++ {
			switch {
			case opens(s[k]):
				depth++
			case closes(s[k]):
				depth--
			case depth == 0 && s[k].kind == kPunct && s[k].text == ",":
				last = k
			}
		}
		if last < 0 || end-last > 3 {
			continue
		}
		if c, ok := kinds[join(s[last+1:end])]; ok {
			s[last+1] = synth(c, s[last+1])
			for k := last + 2; k < end; k++ {
				s[k] = synth("", s[k]) // blanked; removed below
			}
		}
	}
	// Remove blanked tokens.
	n := 0
	for _, t := range s {
		if t.kind == kSynth && t.text == "" {
			continue
		}
		s[n] = t
		n++
	}
	return s[:n]
}
