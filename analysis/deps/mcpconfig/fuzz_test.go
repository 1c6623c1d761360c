package mcpconfig

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fuzzPaths are the paths FuzzParse parses its input as: every fixture's, then a few more.
func fuzzPaths(t testing.TB) []string {
	var paths []string
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+"fuzz"+string(filepath.Separator)) {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		paths = append(paths, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return append(paths, ".continue/mcpServers/x.json", "goose/config.yaml", ".claude-plugin/plugin.json")
}

func FuzzParse(f *testing.F) {
	paths := fuzzPaths(f)
	for i, p := range paths {
		data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
		if err != nil {
			continue
		}
		f.Add(uint8(i), data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := paths[int(which)%len(paths)]
		file, err := Parse(p, data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Path != p || pe.Line < 0 || file != nil {
				t.Fatalf("bad error %#v", err)
			}
			if pe.Msg == errParserPanic {
				t.Fatalf("a parser panicked")
			}
			for _, s := range []error{ErrTooLarge, ErrNotText, ErrSyntax, ErrTooDeep, ErrTooMany, ErrShape} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		checkFile(t, file, data)
	})
}

// checkFile asserts what holds for every parsed file.
func checkFile(t *testing.T, f *File, data []byte) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	inFile := func(what string, l int, optional bool) {
		if optional && l == 0 {
			return
		}
		if l < 1 || l > lines {
			t.Fatalf("%s line %d outside 1..%d", what, l, lines)
		}
	}
	if len(f.Servers) > MaxServers {
		t.Fatalf("%d servers", len(f.Servers))
	}
	for _, s := range f.Servers {
		inFile("server", s.Line, false)
		inFile("command", s.CommandLine, true)
		inFile("url", s.URLLine, true)
		if len(s.Args) != len(s.ArgLines) || len(s.Args) > MaxArgs {
			t.Fatalf("%d args, %d lines", len(s.Args), len(s.ArgLines))
		}
		for _, l := range s.ArgLines {
			inFile("arg", l, false)
		}
		for _, p := range s.Packages {
			inFile("package", p.Line, false)
			if p.Pinned && p.Version == "" {
				t.Fatalf("pinned without a version: %+v", p)
			}
			if (p.Unresolvable == "") == (p.Name == "") {
				t.Fatalf("a package must name a package or say why not: %+v", p)
			}
			if p.ArgIndex < -1 || p.ArgIndex >= len(s.Args) && len(s.Args) < MaxArgs {
				t.Fatalf("ArgIndex %d with %d args", p.ArgIndex, len(s.Args))
			}
		}
	}
}

func FuzzParseLaunch(f *testing.F) {
	for _, tc := range launchCases {
		f.Add(tc.command, strings.Join(tc.args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, command, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		l := ResolveLaunch(command, args)
		checkLaunchInvariants(t, args, l)
	})
}
