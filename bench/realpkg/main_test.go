package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseSpecs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string // name: versions, oldest first
		wantErr bool
	}{
		{in: "a@1.0.10,a@1.0.9", want: []string{"a: 1.0.9 1.0.10"}},
		{in: "@s/x@2.0.0, @s/x@2.0.0-rc.1 ,b@1.0.0", want: []string{"@s/x: 2.0.0-rc.1 2.0.0", "b: 1.0.0"}},
		{in: "noversion", wantErr: true},
		{in: "a@", wantErr: true},
		{in: "@scope/only", wantErr: true},
		{in: "../x@1.0.0", wantErr: true},
		{in: " , ", wantErr: true},
	}
	for _, tt := range tests {
		groups, err := parseSpecs(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSpecs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		var got []string
		for _, g := range groups {
			var vs []string
			for _, v := range g.versions {
				vs = append(vs, v.version)
			}
			got = append(got, g.name+": "+strings.Join(vs, " "))
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("parseSpecs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSemverLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"2026.7.4", "2026.8.31", true},
		{"0.2.9", "0.2.10", true},
		{"1.0.0-rc.1", "1.0.0", true},
		{"1.0.0", "1.0.0-rc.1", false},
		{"1.0.0", "1.0.0", false},
		{"x", "y", true},
	}
	for _, tt := range tests {
		if got := semverLess(tt.a, tt.b); got != tt.want {
			t.Errorf("semverLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestInsertionPoint(t *testing.T) {
	tests := []struct {
		name      string
		code      string
		wantLine  int // 0-based line to insert after
		wantTier  int
		wantFound bool
	}{
		{"method", "class A {\n    async run() {\n        await x();\n    }\n}\n", 1, 1, true},
		{"arrow", "const f = async (o) => {\n  go(o);\n};\n", 0, 1, true},
		{"constructor skipped, if used", "class B extends A {\n  constructor() {\n    super();\n    if (x) {\n      y();\n    }\n  }\n}\n", 3, 2, true},
		{"top level", "const a = require('a');\nconst b = require('b');\nmain();\n", 1, 3, true},
		{"minified", strings.Repeat("x", 500) + "{\n  y();\n}\n", 0, 0, false},
		{"nothing", "// only a comment\n", 0, 0, false},
	}
	for _, tt := range tests {
		line, tier := insertionPoint([]byte(tt.code))
		if !tt.wantFound {
			if tier != -1 {
				t.Errorf("%s: insertionPoint = %d, %d; want none", tt.name, line, tier)
			}
			continue
		}
		if line != tt.wantLine || tier != tt.wantTier {
			t.Errorf("%s: insertionPoint = line %d tier %d; want line %d tier %d", tt.name, line, tier, tt.wantLine, tt.wantTier)
		}
	}
}

func TestTamperLine(t *testing.T) {
	v := &version{
		version: "1.0.0",
		mode:    "raw",
		files: map[string][]byte{
			"package.json": []byte("{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\",\n  \"main\": \"index.js\"\n}\n"),
			"index.js":     []byte("const a = require('a');\nfunction f(x) {\n  return a(x);\n}\nmodule.exports = f;\n"),
		},
	}
	inj, err := tamper(v)
	if err != nil {
		t.Fatal(err)
	}
	if inj.path != "index.js" || inj.line != 3 || inj.version != "1.0.0-tampered" {
		t.Fatalf("tamper = %s:%d %s", inj.path, inj.line, inj.version)
	}
	lines := strings.Split(string(inj.files["index.js"]), "\n")
	if got := strings.TrimSpace(lines[inj.line-1]); got != inj.stmt || !strings.HasPrefix(inj.stmt, "require(") {
		t.Errorf("line %d = %q, want the CommonJS statement", inj.line, got)
	}
	if !bytes.Contains(inj.files["package.json"], []byte(`"version": "1.0.0-tampered"`)) {
		t.Errorf("package.json version not rewritten: %s", inj.files["package.json"])
	}
}

func TestIsBuildOutput(t *testing.T) {
	entries := map[string]bool{"bin/cli.mjs": true}
	tests := []struct {
		path string
		want bool
	}{
		{"dist/index.js", true},
		{"build/index.d.ts", true},
		{"bin/cli.mjs", true},
		{"bin/other.mjs", false},
		{"src/index.ts", false},
		{"scripts/build.js", false},
		{"README.md", false},
	}
	for _, tt := range tests {
		if got := isBuildOutput(tt.path, entries); got != tt.want {
			t.Errorf("isBuildOutput(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestReadBoundedLimit(t *testing.T) {
	const max = 16
	if b, err := readBounded(bytes.NewReader(make([]byte, max)), max); err != nil || len(b) != max {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
	if _, err := readBounded(bytes.NewReader(make([]byte, max+1)), max); !errors.Is(err, errTooLarge) {
		t.Errorf("one over the limit: %v, want errTooLarge", err)
	}
}

func TestLimitedBuffer(t *testing.T) {
	var b bytes.Buffer
	w := &limitedBuffer{buf: &b, max: 4}
	for _, s := range []string{"ab", "cd", "ef"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if b.String() != "abcd" {
		t.Errorf("kept %q, want %q", b.String(), "abcd")
	}
}

func TestReadOverlayLimits(t *testing.T) {
	t.Run("file size", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "ok.ts"), make([]byte, MaxOverlayFileBytes), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := readOverlay(dir, &version{upstream: map[string][]byte{}}); err != nil {
			t.Fatalf("a file at the limit: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "big.ts"), make([]byte, MaxOverlayFileBytes+1), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := readOverlay(dir, &version{upstream: map[string][]byte{}}); !errors.Is(err, errTooLarge) {
			t.Fatalf("a file over the limit: %v, want errTooLarge", err)
		}
	})
	t.Run("file count", func(t *testing.T) {
		dir := t.TempDir()
		for i := range MaxOverlayFiles {
			if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		v := &version{upstream: map[string][]byte{}}
		if err := readOverlay(dir, v); err != nil || len(v.upstream) != MaxOverlayFiles {
			t.Fatalf("files at the limit: %d read, %v", len(v.upstream), err)
		}
		if err := os.WriteFile(filepath.Join(dir, "one-more"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := readOverlay(dir, &version{upstream: map[string][]byte{}}); err == nil {
			t.Fatal("one file over the limit was accepted")
		}
	})
	t.Run("directory and symlink", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, overlayConfig), []byte(`{"directory": "../../src/x/"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		v := &version{upstream: map[string][]byte{}}
		if err := readOverlay(dir, v); err != nil {
			t.Fatal(err)
		}
		if v.dir != "src/x" || len(v.upstream) != 0 {
			t.Errorf("dir %q, files %d; want src/x and no file (symlinks are not followed)", v.dir, len(v.upstream))
		}
	})
}
