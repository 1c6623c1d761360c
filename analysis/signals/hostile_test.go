package signals

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/archive"
)

func TestLimitFileScanBytes(t *testing.T) {
	head := "fetch('https://head.evil.com');\n"
	tests := []struct {
		name          string
		size          int
		tail          string // appended after padding to size
		wantTail      bool
		wantUnscanned string
	}{
		{"exactly the limit", MaxFileScanBytes, "'https://tail.evil.com'", true, ""},
		{"one byte over", MaxFileScanBytes + 1, "'https://tail.evil.com'", true,
			fmt.Sprintf("Only the first %d of %d bytes of index.js were scanned: the per-file scan limit of %d bytes was reached (index.js).", MaxFileScanBytes, MaxFileScanBytes+1, MaxFileScanBytes)},
		{"value entirely past the limit", MaxFileScanBytes + 24, "'https://tail.evil.com'", false, "Only the first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pad := tt.size - len(head) - len(tt.tail)
			if tt.name == "value entirely past the limit" {
				pad = MaxFileScanBytes - len(head)
			}
			data := []byte(head + strings.Repeat("\n", pad) + tt.tail)
			if tt.name != "value entirely past the limit" && len(data) != tt.size {
				t.Fatalf("built %d bytes, want %d", len(data), tt.size)
			}
			to := pkg("index.js", string(data))
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			if !hasMessage(fs, RuleNewEndpoint, "host head.evil.com") {
				t.Errorf("head not found:%s", dump(fs))
			}
			if got := hasMessage(fs, RuleNewEndpoint, "host tail.evil.com"); got != tt.wantTail {
				t.Errorf("tail found = %v, want %v", got, tt.wantTail)
			}
			u := ofRule(fs, RuleUnscanned)
			if tt.wantUnscanned == "" {
				if len(u) != 0 {
					t.Fatalf("unexpected unscanned:%s", dump(fs))
				}
				return
			}
			if len(u) != 1 || !strings.HasPrefix(u[0].Message, tt.wantUnscanned) || u[0].Path != "index.js" {
				t.Fatalf("want unscanned %q, got:%s", tt.wantUnscanned, dump(fs))
			}
		})
	}
}

func TestLimitPackageScanBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("scans 64 MiB")
	}
	full := bytes.Repeat([]byte{'\n'}, MaxFileScanBytes) // shared by every file: 8 MiB in memory
	build := func(extra string) *pkgBuilder {
		b := &pkgBuilder{}
		for i := 0; i < MaxPackageScanBytes/MaxFileScanBytes; i++ {
			b.add(fmt.Sprintf("f%d.js", i), full)
		}
		if extra != "" {
			b.add("z.js", []byte(extra))
		}
		return b
	}
	tests := []struct {
		name, extra, want string
	}{
		{"exactly the limit", "", ""},
		{"one more file", "x", "z.js (1 bytes) was not scanned: the per-package scan limit of 67108864 bytes was reached (z.js)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := build(tt.extra).pkg()
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			u := ofRule(fs, RuleUnscanned)
			if tt.want == "" {
				if len(u) != 0 {
					t.Fatalf("unexpected:%s", dump(fs))
				}
				return
			}
			if len(u) != 1 || u[0].Message != tt.want {
				t.Fatalf("want %q, got:%s", tt.want, dump(fs))
			}
		})
	}
}

func TestLimitDistinctValues(t *testing.T) {
	emails := func(n int) []byte {
		var b bytes.Buffer
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "'u%d@evil.com';\n", i)
		}
		return b.Bytes()
	}
	t.Run("new version", func(t *testing.T) {
		for _, extra := range []int{0, 5} {
			to := (&pkgBuilder{}).add("index.js", emails(MaxDistinctValues+extra)).pkg()
			d := newDelta(pkg("other.js", ""), to)
			d.scanNew()
			if len(d.items) != MaxDistinctValues || d.extra[RuleNewEndpoint] != extra {
				t.Fatalf("extra %d: %d items stored, %d counted beyond; want %d and %d", extra, len(d.items), d.extra[RuleNewEndpoint], MaxDistinctValues, extra)
			}
			fs := d.findings()
			want := fmt.Sprintf("…and %d more", MaxDistinctValues+extra-MaxFindingsPerRule)
			if !hasMessage(fs, RuleNewEndpoint, want) {
				t.Fatalf("no summary %q:%s", want, dump(fs[len(fs)-1:]))
			}
		}
	})
	t.Run("previous version", func(t *testing.T) {
		from := (&pkgBuilder{}).add("index.js", emails(MaxDistinctValues+1)).pkg()
		prev := scanPrevious(from, readManifest(from))
		last := RuleNewEndpoint + "\x00" + kindEmail + ":" + fmt.Sprintf("u%d@evil.com", MaxDistinctValues)
		lastKept := RuleNewEndpoint + "\x00" + kindEmail + ":" + fmt.Sprintf("u%d@evil.com", MaxDistinctValues-1)
		if prev.n != MaxDistinctValues || prev.keys[last] || !prev.keys[lastKept] {
			t.Fatalf("remembered %d values (last kept %v, over the limit kept %v)", prev.n, prev.keys[lastKept], prev.keys[last])
		}
	})
}

func TestLimitNesting(t *testing.T) {
	for _, tt := range []struct {
		depth int
		want  bool
	}{{MaxNesting - 1, true}, {MaxNesting, false}} {
		t.Run(fmt.Sprint(tt.depth), func(t *testing.T) {
			code := strings.Repeat("[", tt.depth) + "JSON.stringify(process.env)" + strings.Repeat("]", tt.depth) +
				"\nObject.keys(process.env);\n"
			to := pkg("index.js", code)
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			if got := hasMessage(fs, RuleNewCapability, "serialisation of process.env"); got != tt.want {
				t.Errorf("serialisation found = %v, want %v:%s", got, tt.want, dump(fs))
			}
			if !hasMessage(fs, RuleNewCapability, "enumeration of process.env (index.js:2)") {
				t.Errorf("context not recovered after the brackets closed:%s", dump(fs))
			}
		})
	}
}

func TestLimitFoldedString(t *testing.T) {
	const tail = "giftshop.club"
	for _, tt := range []struct {
		total int
		want  bool
	}{{MaxFoldedString, true}, {MaxFoldedString + 1, false}} {
		t.Run(fmt.Sprint(tt.total), func(t *testing.T) {
			head := strings.Repeat("x", tt.total-len(tail)-len(" phan@")) + " phan@"
			to := pkg("index.js", "const a = '"+head+"' + '"+tail+"';")
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			if got := hasMessage(fs, RuleNewEndpoint, "e-mail address phan@giftshop.club"); got != tt.want {
				t.Errorf("folded e-mail found = %v, want %v:%s", got, tt.want, dump(fs))
			}
		})
	}
}

func TestLimitSnippet(t *testing.T) {
	const value = "'https://s.evil.com'"
	for _, tt := range []struct {
		lineLen int
		whole   bool
	}{{MaxSnippetBytes, true}, {MaxSnippetBytes + 1, false}, {1 << 20, false}} {
		t.Run(fmt.Sprint(tt.lineLen), func(t *testing.T) {
			line := "x = " + value + ";" + strings.Repeat(" ", tt.lineLen-len(value)-5)
			to := pkg("index.js", "a\n"+line+"\nb\n")
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			e := ofRule(fs, RuleNewEndpoint)
			if len(e) != 1 || e[0].Line != 2 {
				t.Fatalf("want one endpoint at line 2:%s", dump(fs))
			}
			if tt.whole && e[0].Snippet != line {
				t.Errorf("snippet %q, want the whole line", e[0].Snippet)
			}
			if !tt.whole && (!strings.Contains(e[0].Snippet, value) || !strings.HasSuffix(e[0].Snippet, "…") || len(e[0].Snippet) > MaxSnippetBytes+2*len("…")) {
				t.Errorf("snippet %q (%d bytes) is not a window around the value", e[0].Snippet, len(e[0].Snippet))
			}
		})
	}
}

// hostileCases are JS files that must be read without a panic, in bounded time.
func hostileCases() []struct{ name, code string } {
	r := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = byte(r.IntN(256))
	}
	return []struct{ name, code string }{
		{"binary junk", string(junk)},
		{"NUL bytes and invalid UTF-8", "const a = '\x00\xff\xfe https://n.evil.com';\x00\x00 fetch\x00(x)"},
		{"unterminated string", "const s = 'https://u1.evil.com\nfetch(x)"},
		{"unterminated template", "const s = `https://u2.evil.com ${a"},
		{"unterminated template at a substitution", "const s = `a ${`b ${`c ${"},
		{"unterminated regex", "x = /abc\n'https://u3.evil.com'"},
		{"unterminated comment", "fetch(x); /* https://hidden.evil.com"},
		{"only a shebang", "#!/usr/bin/env node"},
		{"empty", ""},
		{"deep parens", strings.Repeat("(", 200_000) + "'https://deep.evil.com'" + strings.Repeat(")", 10)},
		{"deep templates", strings.Repeat("`${", 50_000)},
		{"closers only", strings.Repeat(")]}", 100_000) + "fetch('https://c.evil.com')"},
		{"huge identifier", strings.Repeat("a", 2<<20) + "(1)"},
		{"huge string", "'" + strings.Repeat("ab@", 1<<20) + "'"},
		{"many slashes", strings.Repeat("/", 1<<20)},
		{"regex after regex", strings.Repeat("/a/ /b/ ", 50_000)},
		{"number then identifier", "1abc 0x 1e 1_ .5e+ 08.5n"},
		{"escapes", `'\u{FFFFFFFFFF}\uZZZZ\x\u{}\u{' + "\uD800\uDC00"`},
		{"HTML comments", "<!-- fetch('https://h.evil.com')\n--> x\nfetch(y)"},
		{"CR line ends", "a\r'https://cr.evil.com'\r\nb"},
		{"private and import.meta", "class A { #x = import.meta.url; m() { return this.#x } }"},
		{"JSX with apostrophes", "const e = <p>Don't fetch('https://j.evil.com')</p>;"},
		{"TypeScript", "import type { Server } from 'http';\nexport const f = <T,>(x: T): T => x; enum E { A = 'https://ts.evil.com' }"},
	}
}

func TestHostileInputs(t *testing.T) {
	for _, tt := range hostileCases() {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			for _, name := range []string{"index.js", "data.json", "bin/cli"} {
				to := pkg(name, tt.code, "package.json", `{"bin":{"x":"bin/cli"}}`)
				fs := Delta(pkg(name, "x"), to)
				checkInvariants(t, to, fs)
				fs = Delta(nil, to)
				checkInvariants(t, to, fs)
				fs = Delta(to, pkg(name, "x"))
				checkInvariants(t, pkg(name, "x"), fs)
			}
			if d := time.Since(start); d > 30*time.Second { // generous: the point is that it ends; CI machines are shared
				t.Errorf("took %v", d)
			}
		})
	}
}

// Values inside broken literals are still seen.
func TestHostileLiteralsStillRead(t *testing.T) {
	for _, tt := range []struct{ name, code, want string }{
		{"unterminated string", "const s = 'https://u1.evil.com\nx", "host u1.evil.com"},
		{"unterminated template", "const s = `https://u2.evil.com ${a", "host u2.evil.com"},
		{"unterminated template text", "const s = `https://u4.evil.com", "host u4.evil.com"},
		{"after an unterminated regex", "x = /abc\n'https://u3.evil.com'", "host u3.evil.com"},
		{"after NUL bytes", "\x00\x00'https://n.evil.com'", "host n.evil.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			to := pkg("index.js", tt.code)
			fs := Delta(pkg("other.js", ""), to)
			if !hasMessage(fs, RuleNewEndpoint, tt.want) {
				t.Fatalf("want %q:%s", tt.want, dump(fs))
			}
		})
	}
}

// pkgBuilder builds packages from byte slices (shared slices keep big tests small in memory).
type pkgBuilder struct{ kv []any }

func (b *pkgBuilder) add(path string, data []byte) *pkgBuilder {
	b.kv = append(b.kv, path, data)
	return b
}

func (b *pkgBuilder) pkg() *archive.Package {
	p := pkg()
	for i := 0; i < len(b.kv); i += 2 {
		p = withFile(p, b.kv[i].(string), b.kv[i+1].([]byte))
	}
	return p
}

func TestLimitLexErrors(t *testing.T) {
	for _, tt := range []struct {
		errors    int
		tokenized bool
	}{{MaxLexErrors - 1, true}, {MaxLexErrors, false}} {
		t.Run(fmt.Sprint(tt.errors), func(t *testing.T) {
			code := strings.Repeat("@ ", tt.errors) + "\nfetch('https://after.evil.com')\n"
			to := pkg("index.js", code)
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			if !hasMessage(fs, RuleNewEndpoint, "host after.evil.com (in URL `https://after.evil.com`) (index.js:2)") {
				t.Errorf("endpoint not found:%s", dump(fs))
			}
			if got := hasMessage(fs, RuleNewCapability, "fetch() call"); got != tt.tokenized {
				t.Errorf("fetch found = %v, want %v:%s", got, tt.tokenized, dump(fs))
			}
			u := ofRule(fs, RuleUnscanned)
			if tt.tokenized != (len(u) == 0) {
				t.Fatalf("unscanned:%s", dump(fs))
			}
			if !tt.tokenized && u[0].Message != fmt.Sprintf("index.js was read as text (endpoints only) from line 1 on: the limit of %d JavaScript lexer errors per version was reached, so it is not valid JavaScript (index.js:1).", MaxLexErrors) {
				t.Errorf("message %q", u[0].Message)
			}
		})
	}
}

// The lexer reads a file in pieces of lexSegmentBytes; tokens and template literals that cross a piece
// boundary must read as they would in one piece.
func TestLexerPieces(t *testing.T) {
	long := strings.Repeat("x + ", 2*lexSegmentBytes/4)
	tests := []struct {
		name, code string
		want       []string // endpoint/capability message fragments
		not        []string
	}{
		{"template substitution across pieces",
			"const s = `a ${" + long + "y} https://tpl.evil.com ${z}`;\nfetch(q);\n",
			[]string{"host tpl.evil.com", "fetch() call (index.js:2)"}, nil},
		{"nested templates across pieces",
			"const s = `a ${`b ${" + long + "c} https://in.evil.com`} https://out.evil.com`;\neval(q);\n",
			[]string{"host in.evil.com", "host out.evil.com", "eval (index.js:2)"}, nil},
		{"string longer than a piece",
			"const s = '" + strings.Repeat("y", 3*lexSegmentBytes) + " https://long.evil.com';\nfetch(q);\n",
			[]string{"host long.evil.com", "fetch() call (index.js:2)"}, nil},
		{"comment longer than a piece",
			"/*" + strings.Repeat("z", 3*lexSegmentBytes) + " 'https://c.evil.com' */\nfetch(q);\n",
			[]string{"fetch() call (index.js:2)"}, []string{"c.evil.com"}},
		{"regex at a piece boundary",
			strings.Repeat(" ", lexSegmentBytes-6) + "x = /'/g;\nfetch('https://r.evil.com');\n",
			[]string{"host r.evil.com", "fetch() call (index.js:2)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := pkg("index.js", tt.code)
			fs := Delta(pkg("other.js", ""), to)
			checkInvariants(t, to, fs)
			for _, w := range tt.want {
				if !hasMessage(fs, RuleNewEndpoint, w) && !hasMessage(fs, RuleNewCapability, w) {
					t.Errorf("missing %q:%s", w, dump(fs))
				}
			}
			for _, n := range tt.not {
				if hasMessage(fs, RuleNewEndpoint, n) {
					t.Errorf("unexpected %q:%s", n, dump(fs))
				}
			}
			if len(ofRule(fs, RuleUnscanned)) != 0 {
				t.Errorf("unscanned:%s", dump(fs))
			}
		})
	}
}
