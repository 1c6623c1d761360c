package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzLimits keep each fuzz input cheap while still reaching every limit.
func fuzzLimits() Limits {
	return Limits{MaxEntries: 200, MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20, MaxPathLen: 300, MaxDepth: 16, MaxArchiveSize: 8 << 20, MaxProblems: 50}
}

// checkPackage asserts the invariants every successful read must satisfy.
func checkPackage(t *testing.T, pkg *Package, err error, lim Limits) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrLimit) {
			t.Fatalf("error is neither ErrCorrupt nor ErrLimit: %v", err)
		}
		if pkg != nil {
			t.Fatalf("a Package returned with error %v", err)
		}
		return
	}
	var total int64
	for i, f := range pkg.Files {
		p := f.Path
		if p == "" || !utf8.ValidString(p) || strings.ContainsAny(p, "\\\x00") || !filepath.IsLocal(p) ||
			filepath.ToSlash(filepath.Clean(p)) != p || strings.HasPrefix(p, "/") {
			t.Fatalf("unsafe file path %q", p)
		}
		if i > 0 && pkg.Files[i-1].Path >= p {
			t.Fatalf("files not sorted and unique: %q then %q", pkg.Files[i-1].Path, p)
		}
		if f.Mode&^0o777 != 0 {
			t.Fatalf("mode %v of %q has more than permission bits", f.Mode, p)
		}
		if int64(len(f.Data)) > lim.MaxFileSize {
			t.Fatalf("%q has %d bytes", p, len(f.Data))
		}
		total += int64(len(f.Data))
	}
	if total > lim.MaxTotalSize {
		t.Fatalf("%d bytes in total", total)
	}
	if len(pkg.Problems) > lim.MaxProblems {
		t.Fatalf("%d problems", len(pkg.Problems))
	}
}

func FuzzReadTarGz(f *testing.F) {
	normal := []ent{dir("package/"), file("package/package.json", `{"name":"x"}`), {name: "package/bin/cli.js", body: "#!/usr/bin/env node\n", mode: 0o755}}
	hostile := []ent{
		file("package/../../etc/passwd", "x"), file("/abs", "x"), symlink("package/x", "../../../etc"),
		{name: "package/h", typ: tar.TypeLink, link: "package/x"}, {name: "package/c", typ: tar.TypeChar},
		file("package/./a", "1"), file("package/a", "2"), file("other/a/b", "3"), file("package/A", "4"),
		file("package/"+strings.Repeat("long/", 40)+"x", "pax"), file("top.json", "{}"),
	}
	for _, ents := range [][]ent{normal, hostile} {
		f.Add(tgz(f, ents...))
		f.Add(tarBytes(f, ents...))
	}
	valid := tgz(f, normal...)
	f.Add(valid[:len(valid)/2])
	f.Add(gz(f, rawTar(rawEntry(rawHeader("package/a.js/", tar.TypeReg, 1), "a"), rawEntry(rawHeader("package/d/", 'D', 3), "x\x00\x00"))))
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, err := ReadTarGz(bytes.NewReader(data), fuzzLimits())
		checkPackage(t, pkg, err, fuzzLimits())
	})
}

func FuzzReadZip(f *testing.F) {
	f.Add(zipBytes(f, zent{name: "pkg/__init__.py", body: "x = 1\n", method: 8}, zent{name: "pkg/", mode: fs.ModeDir | 0o755}))
	f.Add(zipBytes(f, zent{name: "../evil", body: "x"}, zent{name: "a//b", body: "y"}, zent{name: "l", body: "/etc", mode: fs.ModeSymlink | 0o777}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, err := ReadZip(bytes.NewReader(data), int64(len(data)), fuzzLimits())
		checkPackage(t, pkg, err, fuzzLimits())
	})
}
