package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestReadZip(t *testing.T) {
	tests := []struct {
		name     string
		ents     []zent
		files    map[string]string
		problems []ProblemKind
	}{
		{
			name:  "normal wheel",
			ents:  []zent{{name: "pkg/__init__.py", body: "x = 1\n"}, {name: "pkg/", mode: fs.ModeDir | 0o755}, {name: "pkg-1.0.dist-info/METADATA", body: "Name: pkg\n", method: zip.Deflate}, {name: "manifest.json", body: "{}"}},
			files: map[string]string{"pkg/__init__.py": "x = 1\n", "pkg-1.0.dist-info/METADATA": "Name: pkg\n", "manifest.json": "{}"},
		},
		{
			name:     "zip slip",
			ents:     []zent{{name: "../evil.sh", body: "1"}, {name: "a/../../evil.sh", body: "2"}, {name: `..\evil.sh`, body: "3"}, {name: "ok.py", body: "ok"}},
			files:    map[string]string{"ok.py": "ok"},
			problems: []ProblemKind{ProblemTraversal, ProblemTraversal, ProblemUnsafeName},
		},
		{
			name:     "absolute paths",
			ents:     []zent{{name: "/etc/passwd", body: "1"}, {name: "C:/x", body: "2"}, {name: "c:y", body: "3"}},
			files:    map[string]string{},
			problems: []ProblemKind{ProblemAbsolutePath, ProblemAbsolutePath, ProblemAbsolutePath},
		},
		{
			name: "links and special files",
			ents: []zent{
				{name: "link", body: "../../../etc", mode: fs.ModeSymlink | 0o777}, {name: "fifo", mode: fs.ModeNamedPipe | 0o644},
				{name: "tty", mode: fs.ModeDevice | fs.ModeCharDevice | 0o644}, {name: "sda", mode: fs.ModeDevice | 0o644},
				{name: "sock", mode: fs.ModeSocket | 0o644},
			},
			files:    map[string]string{},
			problems: []ProblemKind{ProblemSymlink, ProblemSpecialFile, ProblemSpecialFile, ProblemSpecialFile, ProblemSpecialFile},
		},
		{
			name:     "duplicates and non-canonical names",
			ents:     []zent{{name: "a.py", body: "one"}, {name: "./a.py", body: "two"}, {name: "b//c.py", body: "c"}},
			files:    map[string]string{"a.py": "two", "b/c.py": "c"},
			problems: []ProblemKind{ProblemNonCanonical, ProblemDuplicate, ProblemNonCanonical},
		},
		{
			name:     "unsafe names",
			ents:     []zent{{name: "", body: "1"}, {name: "a\x00b", body: "2"}, {name: "\xff", body: "3"}, {name: ".", body: "4"}},
			files:    map[string]string{},
			problems: []ProblemKind{ProblemUnsafeName, ProblemUnsafeName, ProblemNonUTF8Name, ProblemUnsafeName},
		},
		{
			name:     "unsupported entries",
			ents:     []zent{{name: "enc.py", body: "x", flags: 0x1}, {name: "lzma.py", body: "x", method: 14, raw: true, usize: 1}, {name: "ok.py", body: "ok"}},
			files:    map[string]string{"ok.py": "ok"},
			problems: []ProblemKind{ProblemUnsupported, ProblemUnsupported},
		},
		{
			name:     "path conflicts",
			ents:     []zent{{name: "a", body: "f"}, {name: "a/b", body: "g"}, {name: "A", body: "h"}},
			files:    map[string]string{"a": "f", "a/b": "g", "A": "h"},
			problems: []ProblemKind{ProblemPathConflict, ProblemPathConflict},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := zipBytes(t, tc.ents...)
			pkg, err := ReadZip(bytes.NewReader(data), int64(len(data)), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if pkg.Root != "" {
				t.Errorf("Root = %q", pkg.Root)
			}
			if got := contents(pkg.Files); !maps.Equal(got, tc.files) {
				t.Errorf("files = %q, want %q", got, tc.files)
			}
			if got := kinds(pkg.Problems); !slices.Equal(got, tc.problems) {
				t.Errorf("problems = %v, want %v", pkg.Problems, tc.problems)
			}
		})
	}
}

func TestReadZipCorrupt(t *testing.T) {
	deflated := func(s string) string {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		io.WriteString(w, s)
		w.Close()
		return b.String()
	}
	valid := zipBytes(t, zent{name: "a.py", body: strings.Repeat("print(1)\n", 100), method: zip.Deflate})
	tests := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte(strings.Repeat("not a zip ", 100))},
		{"empty", nil},
		{"truncated", valid[:len(valid)/2]},
		{"more data than declared", zipBytes(t, zent{name: "a", body: "hello world", raw: true, usize: 5})},
		{"less data than declared", zipBytes(t, zent{name: "a", body: "hello", raw: true, usize: 11})},
		{"deflate bomb lying about its size", zipBytes(t, zent{name: "a", body: deflated(strings.Repeat("\x00", 1<<20)), method: zip.Deflate, raw: true, usize: 100})},
		{"bad deflate data", zipBytes(t, zent{name: "a", body: "\xff\xff\xff\xff", method: zip.Deflate, raw: true, usize: 100})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkg, err := ReadZip(bytes.NewReader(tc.data), int64(len(tc.data)), DefaultLimits())
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if pkg != nil {
				t.Errorf("pkg = %v", pkg)
			}
		})
	}
}

func TestReadZipCRC(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "a", Method: zip.Store, CRC32: 1, CompressedSize64: 5, UncompressedSize64: 5})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "hello")
	zw.Close()
	_, err = ReadZip(bytes.NewReader(buf.Bytes()), int64(buf.Len()), DefaultLimits())
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, zip.ErrChecksum) {
		t.Fatalf("err = %v, want ErrCorrupt wrapping zip.ErrChecksum", err)
	}
}

func TestReadZipReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	data := zipBytes(t, zent{name: "a", body: "x"})
	_, err := ReadZip(failingAt{bytes.NewReader(data), boom}, int64(len(data)), DefaultLimits())
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want the ReaderAt's error", err)
	}
}

// failingAt fails every read.
type failingAt struct {
	r   io.ReaderAt
	err error
}

func (f failingAt) ReadAt(p []byte, off int64) (int, error) { return 0, f.err }

func TestReadZipLimitsBoundary(t *testing.T) {
	many := func(n int) []zent {
		var es []zent
		for i := range n {
			es = append(es, zent{name: fmt.Sprintf("f%d", i)})
		}
		return es
	}
	links := func(n int) []zent {
		var es []zent
		for i := range n {
			es = append(es, zent{name: fmt.Sprintf("l%d", i), body: "/etc", mode: fs.ModeSymlink | 0o777})
		}
		return es
	}
	deep := func(d int) string { return strings.Repeat("d/", d-1) + "f" }
	one := zipBytes(t, zent{name: "a", body: "x"})
	tests := []struct {
		limit    string
		lim      Limits
		ok, over []zent
	}{
		{limit: "MaxEntries", lim: Limits{MaxEntries: 3}, ok: many(3), over: many(4)},
		{limit: "MaxFileSize", lim: Limits{MaxFileSize: 10}, ok: []zent{{name: "a", body: "0123456789"}}, over: []zent{{name: "a", body: "0123456789X"}}},
		{limit: "MaxTotalSize", lim: Limits{MaxTotalSize: 10}, ok: []zent{{name: "a", body: "01234"}, {name: "b", body: "56789"}}, over: []zent{{name: "a", body: "01234"}, {name: "b", body: "56789X"}}},
		{limit: "MaxPathLen", lim: Limits{MaxPathLen: 50}, ok: []zent{{name: strings.Repeat("n", 50)}}, over: []zent{{name: strings.Repeat("n", 51)}}},
		{limit: "MaxDepth", lim: Limits{MaxDepth: 5}, ok: []zent{{name: deep(5)}}, over: []zent{{name: deep(6)}}},
		{limit: "MaxProblems", lim: Limits{MaxProblems: 2}, ok: links(2), over: links(3)},
		{limit: "MaxArchiveSize", lim: Limits{MaxArchiveSize: int64(len(one))}},
	}
	for _, tc := range tests {
		t.Run(tc.limit, func(t *testing.T) {
			ok, over := one, append(slices.Clone(one), 0)
			if tc.ok != nil {
				ok, over = zipBytes(t, tc.ok...), zipBytes(t, tc.over...)
			}
			if _, err := ReadZip(bytes.NewReader(ok), int64(len(ok)), tc.lim); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			_, err := ReadZip(bytes.NewReader(over), int64(len(over)), tc.lim)
			checkLimitError(t, err, tc.limit)
		})
	}
}

// TestZipBomb: entries declaring more than the limits are refused before decompression; many
// entries sharing one compressed stream (an overlapping-entry bomb) are bounded by MaxTotalSize.
func TestZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "bomb", Method: zip.Deflate})
	io.CopyN(w, zeros{}, 64<<20)
	zw.Close()
	data := buf.Bytes()
	var err error
	alloc := allocated(func() { _, err = ReadZip(bytes.NewReader(data), int64(len(data)), Limits{MaxFileSize: 1 << 20}) })
	le := checkLimitError(t, err, "MaxFileSize")
	if le.Value != 64<<20 || alloc > 4<<20 {
		t.Errorf("LimitError %+v after allocating %d bytes", le, alloc)
	}

	// Overlapping entries: each central-directory record points at the same 8 MiB member.
	lim := Limits{MaxFileSize: 8 << 20, MaxTotalSize: 32 << 20}
	data = overlapping(t, 8<<20, 64)
	alloc = allocated(func() { _, err = ReadZip(bytes.NewReader(data), int64(len(data)), lim) })
	checkLimitError(t, err, "MaxTotalSize")
	if alloc > 4*uint64(lim.MaxTotalSize) { // readN grows its buffers by doubling
		t.Errorf("allocated %d bytes", alloc)
	}
	t.Logf("overlapping zip bomb (%d bytes, 64 x 8 MiB declared) refused; %d MiB allocated", len(data), alloc>>20)
}

// overlapping builds a zip whose n central-directory records all point at one deflated member
// of size zero bytes (named f0…f9 in turn).
func overlapping(t *testing.T, size int64, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "f0", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(w, zeros{}, size)
	zw.Close()
	one := buf.Bytes()
	// Find the central directory record and the end record, then repeat the former.
	cd := bytes.LastIndex(one, []byte("PK\x01\x02"))
	end := bytes.LastIndex(one, []byte("PK\x05\x06"))
	rec := one[cd:end]
	out := slices.Clone(one[:cd])
	for i := range n {
		r := slices.Clone(rec)
		copy(r[46:], fmt.Sprintf("f%d", i%10)) // keep the name length: names f0..f9 repeat
		out = append(out, r...)
	}
	eocd := slices.Clone(one[end:])
	le := func(b []byte, v uint64) {
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
	}
	le(eocd[8:10], uint64(n))
	le(eocd[10:12], uint64(n))
	le(eocd[12:16], uint64(n*len(rec)))
	return append(out, eocd...)
}

// TestInsecurePathGODEBUG: with GODEBUG tarinsecurepath=0 / zipinsecurepath=0, archive/tar and
// archive/zip report non-local names as errors; they must still become Problems, not failures.
func TestInsecurePathGODEBUG(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0,zipinsecurepath=0")
	pkg, err := ReadTarGz(bytes.NewReader(tgz(t, file("package/../../x", "x"), file("package/ok", "ok"))), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(pkg.Problems); !slices.Equal(got, []ProblemKind{ProblemTraversal}) || len(pkg.Files) != 1 {
		t.Errorf("tar: files %v, problems %v", pkg.Files, pkg.Problems)
	}
	data := zipBytes(t, zent{name: "../x", body: "x"}, zent{name: "ok", body: "ok"})
	pkg, err = ReadZip(bytes.NewReader(data), int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(pkg.Problems); !slices.Equal(got, []ProblemKind{ProblemTraversal}) || len(pkg.Files) != 1 {
		t.Errorf("zip: files %v, problems %v", pkg.Files, pkg.Problems)
	}
}
