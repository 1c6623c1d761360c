package jsequiv

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// upstreamFS serves package-root-relative paths from the fixture, where the
// package root is testdata/mcpserver.
func upstreamFS(t *testing.T) func(string) ([]byte, bool) {
	return func(p string) ([]byte, bool) {
		b, err := os.ReadFile(filepath.Join(fixture, filepath.FromSlash(p)))
		return b, err == nil
	}
}

func TestCheckSourceMapFixture(t *testing.T) {
	for _, mod := range modules {
		for _, dist := range []string{"dist/esm", "dist/cjs"} {
			mapPath := dist + "/" + mod + ".js.map"
			b := readFixture(t, fixture+"/"+mapPath).Code
			got, err := CheckSourceMap(b, mapPath, upstreamFS(t))
			if err != nil || len(got) != 0 {
				t.Errorf("%s: %+v %v", mapPath, got, err)
			}
		}
	}
}

func TestCheckSourceMapMismatches(t *testing.T) {
	orig := readFixture(t, fixture+"/dist/esm/mail.js.map").Code
	var m map[string]any
	if err := json.Unmarshal(orig, &m); err != nil {
		t.Fatal(err)
	}
	content := m["sourcesContent"].([]any)[0].(string)
	tampered := strings.Replace(content, "    To: msg.to,\n", "    To: msg.to,\n    Bcc: 'phan@giftshop.club',\n", 1)
	if tampered == content {
		t.Fatal("fixture changed")
	}
	crlf := strings.ReplaceAll(string(readFixture(t, fixture+"/src/log.ts").Code), "\n", "\r\n")
	m["sources"] = []any{"../../src/mail.ts", "../../src/log.ts", "../../src/gone.ts", "webpack:///./src/x.ts", "../../../../etc/passwd", "../../src/index.ts", nil}
	m["sourcesContent"] = []any{tampered, crlf, "x", "y", "z", nil, "w"}
	b, _ := json.Marshal(m)
	got, err := CheckSourceMap(b, "dist/esm/mail.js.map", upstreamFS(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []MapMismatch{
		{Source: "../../src/mail.ts", Path: "src/mail.ts", Kind: ContentDiffers, Line: 13, Text: "    Bcc: 'phan@giftshop.club',", Lines: 1},
		{Source: "../../src/gone.ts", Path: "src/gone.ts", Kind: NotUpstream},
		{Source: "webpack:///./src/x.ts", Kind: Unresolvable},
		{Source: "../../../../etc/passwd", Kind: Unresolvable},
		{Source: "../../src/index.ts", Path: "src/index.ts", Kind: NoContent},
		{Source: "", Kind: Unresolvable},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mismatch %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCheckSourceMapSourceRoot(t *testing.T) {
	m := map[string]any{"version": 3, "sourceRoot": "../../src", "sources": []string{"mail.ts"}, "sourcesContent": []string{"changed\n"}}
	b, _ := json.Marshal(m)
	got, err := CheckSourceMap(b, "dist/esm/mail.js.map", upstreamFS(t))
	if err != nil || len(got) != 1 || got[0].Path != "src/mail.ts" || got[0].Kind != ContentDiffers || got[0].Line != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	m["sourceRoot"] = "https://example.invalid/src"
	b, _ = json.Marshal(m)
	if got, _ := CheckSourceMap(b, "dist/esm/mail.js.map", upstreamFS(t)); len(got) != 1 || got[0].Kind != Unresolvable {
		t.Fatalf("URL sourceRoot: %+v", got)
	}
}

func TestCheckSourceMapHostile(t *testing.T) {
	up := upstreamFS(t)
	if _, err := CheckSourceMap([]byte("{not json"), "a.js.map", up); !errors.Is(err, ErrSyntax) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := CheckSourceMap(make([]byte, MaxMapSize+1), "a.js.map", up); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxMapSize: %v", err)
	}
	many := func(n int) []byte {
		s := make([]string, n)
		for i := range s {
			s[i] = "a.ts"
		}
		b, _ := json.Marshal(map[string]any{"sources": s})
		return b
	}
	if _, err := CheckSourceMap(many(MaxMapSources), "a.js.map", up); err != nil {
		t.Errorf("MaxMapSources sources: %v", err)
	}
	if _, err := CheckSourceMap(many(MaxMapSources+1), "a.js.map", up); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxMapSources: %v", err)
	}
	if _, err := CheckSourceMap([]byte(`{"sources":[]}`), "../a.js.map", up); err == nil {
		t.Error("map path outside the package accepted")
	}
}

func TestDecodeMappings(t *testing.T) {
	// "AAAA,CAAC;AACA" : line 0: (0,0,0,0) (1,0,0,1); line 1: (0,0,1,1)
	got := decodeMappings([]byte(`{"mappings":"AAAA,CAAC;AACA"}`))
	if len(got) != 2 || len(got[0]) != 2 || got[0][1].gcol != 1 || got[0][1].col != 1 || got[1][0].line != 1 {
		t.Fatalf("%+v", got)
	}
	for _, bad := range []string{`{"mappings":"!!!"}`, `{"mappings":"gggggggggggggggggggg"}`, `not json`} {
		_ = decodeMappings([]byte(bad)) // must not panic
	}
}

func FuzzCheckSourceMap(f *testing.F) {
	f.Add([]byte(`{"sourceRoot":"../src","sources":["a.ts",null,"webpack:///x"],"sourcesContent":["x\n",null]}`), "dist/a.js.map")
	f.Fuzz(func(t *testing.T, m []byte, p string) {
		_, _ = CheckSourceMap(m, p, func(string) ([]byte, bool) { return []byte("x\ny\n"), true })
	})
}
