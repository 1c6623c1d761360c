package mcpconfig

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/lexer"
)

// refused asserts that Parse fails with sentinel, naming the file, within a time bound.
func refused(t *testing.T, path string, data []byte, sentinel error) *ParseError {
	t.Helper()
	start := time.Now()
	_, err := Parse(path, data)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	if pe.Path != path || !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the file: %v", err)
	}
	return pe
}

func accepted(t *testing.T, path string, data []byte) *File {
	t.Helper()
	f, err := Parse(path, data)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	return f
}

func TestDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 100_000)
	t.Run("json 100k [", func(t *testing.T) {
		pe := refused(t, ".mcp.json", []byte(`{"mcpServers": `+deep), ErrTooDeep)
		if pe.Line != 1 {
			t.Errorf("line %d", pe.Line)
		}
	})
	t.Run("json 100k {", func(t *testing.T) {
		refused(t, ".mcp.json", []byte(strings.Repeat(`{"a":`, 100_000)), ErrTooDeep)
	})
	t.Run("json brackets in strings and comments do not count", func(t *testing.T) {
		accepted(t, ".mcp.json", []byte(`{"a": "`+deep+`", /* `+deep+` */ "b": 1 // `+deep+"\n}"))
	})
	t.Run("yaml 100k [", func(t *testing.T) {
		_, err := Parse("librechat.yaml", []byte("a: "+deep))
		if !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrTooMany) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("toml 100k [", func(t *testing.T) {
		refused(t, ".codex/config.toml", []byte("a = "+deep), ErrTooDeep)
	})
	// At the boundary: MaxDepth levels are read, one more is refused.
	t.Run("json boundary", func(t *testing.T) {
		n := MaxDepth - 1 // the top-level object is the first level
		accepted(t, ".mcp.json", []byte(`{"x": `+strings.Repeat("[", n)+strings.Repeat("]", n)+`}`))
		refused(t, ".mcp.json", []byte(`{"x": `+strings.Repeat("[", n+1)+strings.Repeat("]", n+1)+`}`), ErrTooDeep)
	})
	t.Run("yaml flow boundary", func(t *testing.T) {
		n := MaxDepth
		accepted(t, "librechat.yaml", []byte("x: "+strings.Repeat("[", n)+strings.Repeat("]", n)+"\n"))
		refused(t, "librechat.yaml", []byte("x: "+strings.Repeat("[", n+1)+strings.Repeat("]", n+1)+"\n"), ErrTooDeep)
	})
	t.Run("yaml block boundary", func(t *testing.T) {
		block := func(n int) []byte {
			var b strings.Builder
			for i := 0; i < n; i++ {
				b.WriteString(strings.Repeat(" ", i) + "k:\n")
			}
			return []byte(b.String())
		}
		accepted(t, "librechat.yaml", block(MaxDepth))
		refused(t, "librechat.yaml", block(MaxDepth+1), ErrTooDeep)
	})
	t.Run("toml boundary", func(t *testing.T) {
		n := MaxDepth
		accepted(t, ".codex/config.toml", []byte("x = "+strings.Repeat("[", n)+strings.Repeat("]", n)+"\n"))
		refused(t, ".codex/config.toml", []byte("x = "+strings.Repeat("[", n+1)+strings.Repeat("]", n+1)+"\n"), ErrTooDeep)
	})
}

func TestSizeLimit(t *testing.T) {
	prefix := `{"mcpServers": {"a": {"command": "npx", "args": ["x@1.0.0"]}}}`
	exact := []byte(prefix + strings.Repeat(" ", MaxConfigSize-len(prefix)))
	start := time.Now()
	f := accepted(t, ".mcp.json", exact)
	if len(f.Servers) != 1 {
		t.Errorf("%d servers", len(f.Servers))
	}
	t.Logf("10 MiB JSON parsed in %v", time.Since(start))
	refused(t, ".mcp.json", append(exact, ' '), ErrTooLarge)
	refused(t, ".mcp.json", make([]byte, 11<<20), ErrTooLarge)
}

func TestValueLimits(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		arr := func(n int) []byte { // counted as n+3: 1, '{', ':', '[' and n-1 commas
			return []byte(`{"a":[` + strings.TrimSuffix(strings.Repeat("0,", n), ",") + `]}`)
		}
		accepted(t, ".mcp.json", arr(MaxValues-3))
		refused(t, ".mcp.json", arr(MaxValues-2), ErrTooMany)
	})
	t.Run("toml", func(t *testing.T) {
		arr := func(n int) []byte { // counted as n+1: '=', '[' and n-1 commas
			return []byte("a = [" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]\n")
		}
		accepted(t, ".codex/config.toml", arr(MaxValues-1))
		refused(t, ".codex/config.toml", arr(MaxValues), ErrTooMany)
	})
	t.Run("yaml estimate", func(t *testing.T) {
		seq := func(n int) []byte { // estimated as 2 per item ("-" and the word)
			return []byte(strings.Repeat("- x\n", n))
		}
		if _, ok := yamlTokenEstimate(seq(MaxValues / 2)); !ok {
			t.Error("at the limit")
		}
		refused(t, "librechat.yaml", seq(MaxValues/2+1), ErrTooMany)
	})
	t.Run("yaml tokens", func(t *testing.T) {
		seq := func(n int) []byte { // 2 tokens for "x:", 2 per item
			return []byte("x:\n" + strings.Repeat("  - x\n", n))
		}
		if n := len(lexer.Tokenize(string(seq(MaxYAMLTokens/2 - 1)))); n != MaxYAMLTokens {
			t.Fatalf("%d tokens", n)
		}
		accepted(t, "librechat.yaml", seq(MaxYAMLTokens/2-1))
		refused(t, "librechat.yaml", seq(MaxYAMLTokens/2), ErrTooMany)
	})
	t.Run("yaml mapping keys", func(t *testing.T) {
		// Mapping keys are where goccy/go-yaml is quadratic: the estimate stops them in time.
		var b strings.Builder
		for i := 0; b.Len() < 2<<20; i++ {
			fmt.Fprintf(&b, "k%d: v\n", i)
		}
		refused(t, "librechat.yaml", []byte(b.String()), ErrTooMany)
	})
	t.Run("yaml mapping keys at the limit", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("x:\n") // 2 tokens
		for i := 0; i < (MaxYAMLTokens-2)/3; i++ {
			fmt.Fprintf(&b, "  k%d: v\n", i) // 3 tokens
		}
		start := time.Now()
		accepted(t, "librechat.yaml", []byte(b.String()))
		t.Logf("the largest flat mapping accepted (%d keys) parsed in %v", (MaxYAMLTokens-2)/3, time.Since(start))
	})
	t.Run("yaml merge copies", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("base: &b\n")
		for i := 0; i < 5000; i++ {
			fmt.Fprintf(&b, "  k%d: 1\n", i)
		}
		for i := 0; i < 30; i++ {
			fmt.Fprintf(&b, "m%d:\n  <<: *b\n", i)
		}
		if pe := refused(t, "librechat.yaml", []byte(b.String()), ErrTooMany); !strings.Contains(pe.Msg, "merge keys") {
			t.Errorf("refused for %s", pe.Msg)
		}
	})
	t.Run("yaml one 10 MiB scalar", func(t *testing.T) {
		start := time.Now()
		f := accepted(t, "librechat.yaml", []byte("x: \""+strings.Repeat("ab", (MaxConfigSize-8)/2)+"\"\n"))
		t.Logf("parsed in %v, %d servers", time.Since(start), len(f.Servers))
	})
	t.Run("yaml aliases share, no billion laughs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
		for i := 1; i < 30; i++ {
			fmt.Fprintf(&b, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
		}
		b.WriteString("mcpServers:\n  a: {command: npx, args: *l29}\n")
		f := accepted(t, "librechat.yaml", []byte(b.String()))
		if len(f.Servers) != 1 {
			t.Fatalf("%d servers", len(f.Servers))
		}
	})
}

func TestServerLimit(t *testing.T) {
	servers := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"mcpServers": {`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"s%d": {"url": "https://h/%d"}`, i, i)
		}
		b.WriteString("}}")
		return []byte(b.String())
	}
	if f := accepted(t, ".mcp.json", servers(MaxServers)); len(f.Servers) != MaxServers {
		t.Errorf("%d servers", len(f.Servers))
	}
	refused(t, ".mcp.json", servers(MaxServers+1), ErrTooMany)
}

func TestServerArgLimits(t *testing.T) {
	args := make([]string, MaxArgs+1)
	for i := range args {
		args[i] = `"--yes"`
	}
	args[0] = `"pkg@1.0.0"`
	src := `{"mcpServers": {"a": {"command": "npx", "args": [` + strings.Join(args, ",") + `]}}}`
	f := accepted(t, ".mcp.json", []byte(src))
	s := f.Servers[0]
	if len(s.Args) != MaxArgs || len(s.ArgLines) != MaxArgs {
		t.Errorf("args kept: %d, %d", len(s.Args), len(s.ArgLines))
	}
	if len(s.Packages) != 1 || !strings.Contains(s.Packages[0].Unresolvable, "too many arguments") || s.Packages[0].Line != 1 {
		t.Errorf("packages %+v", s.Packages)
	}
}

func TestJunk(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	bin := make([]byte, 4096)
	r.Read(bin)
	for _, path := range []string{".mcp.json", "librechat.yaml", ".codex/config.toml"} {
		t.Run(path, func(t *testing.T) {
			refused(t, path, bin, ErrNotText)
			refused(t, path, []byte("mcpServers:\x00"), ErrNotText)
			pe := refused(t, path, []byte("ok\n\xff\xfe"), ErrNotText)
			if pe.Line != 2 {
				t.Errorf("line %d", pe.Line)
			}
		})
	}
	for path, junk := range map[string]string{
		".mcp.json":          "}{][",
		"librechat.yaml":     "a: [b\nc: 'd",
		".codex/config.toml": "[[[x\n= =",
		".vscode/mcp.json":   `{"servers": {"a": {"command": "npx",,}}}`,
		"opencode.json":      `{"mcp": "unterminated`,
	} {
		refused(t, path, []byte(junk), ErrSyntax)
	}
}

func TestErrorsCarryNoSecrets(t *testing.T) {
	const secret = "sk-live-0123456789abcdefghijklmnopqrstuvwxyz"
	for path, src := range map[string]string{
		".codex/config.toml": "[mcp_servers.a]\nbearer = \"" + secret + "\" oops\n",
		"librechat.yaml":     "mcpServers:\n  a:\n    headers: {Authorization: \"" + secret + "\"\n  b: [\n",
		".mcp.json":          `{"mcpServers": {"a": {"env": {"K": "` + secret + `"} "x"}}}`,
	} {
		_, err := Parse(path, []byte(src))
		if err == nil || strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("%s: %v", path, err)
		}
	}
	// Problems quote specs and URLs without their credentials.
	l := ResolveLaunch("uvx", []string{"--from", "git+https://x-access-token:ghp_0123456789abcdef@github.com/a/b?token=zz", "b"})
	if s := fmt.Sprint(l.Packages[0].Unresolvable, l.Problems); strings.Contains(s, "ghp_0123456789") || strings.Contains(s, "token=zz") {
		t.Errorf("credential in %s", s)
	}
}
