package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"testing"
)

// ent describes one entry of a test archive.
type ent struct {
	name string
	typ  byte // tar type; 0 means a regular file
	body string
	link string
	mode int64
	fmt  tar.Format // tar.FormatUnknown lets archive/tar choose
	pax  map[string]string
}

func file(name, body string) ent  { return ent{name: name, body: body} }
func dir(name string) ent         { return ent{name: name, typ: tar.TypeDir} }
func symlink(name, to string) ent { return ent{name: name, typ: tar.TypeSymlink, link: to} }

// tarBytes builds a plain tar archive.
func tarBytes(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeTar(&buf, ents...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTar(w io.Writer, ents ...ent) error {
	tw := tar.NewWriter(w)
	for _, e := range ents {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{
			Name:       e.name,
			Typeflag:   typ,
			Linkname:   e.link,
			Mode:       mode,
			Format:     e.fmt,
			PAXRecords: e.pax,
		}
		if typ == tar.TypeXGlobalHeader {
			hdr = &tar.Header{Typeflag: typ, PAXRecords: e.pax}
		}
		if typ == tar.TypeReg || typ == tar.TypeCont || typ > 'Z' || (typ >= 'A' && typ <= 'Z') {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("header %q: %w", e.name, err)
		}
		if hdr.Size > 0 {
			if _, err := io.WriteString(tw, e.body); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tgz builds a gzip'd tar archive.
func tgz(t testing.TB, ents ...ent) []byte { return gz(t, tarBytes(t, ents...)) }

// rawHeader builds one ustar header block by hand, for headers archive/tar refuses to write.
func rawHeader(name string, typ byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], "00000000000\x00")
	b[156] = typ
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// rawEntry is a hand-made header followed by its data, padded to whole blocks.
func rawEntry(hdr []byte, data string) []byte {
	out := append(slices.Clone(hdr), data...)
	return append(out, make([]byte, (512-len(data)%512)%512)...)
}

// rawTar joins hand-made entries and the end-of-archive record.
func rawTar(entries ...[]byte) []byte {
	return append(slices.Concat(entries...), make([]byte, 1024)...)
}

// streamTgz returns a reader of a gzip'd tar stream written by gen in a goroutine, so that
// arbitrarily large archives cost no memory. The stream is closed when the test ends.
func streamTgz(t testing.TB, gen func(w io.Writer) error) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		err := gen(zw)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	t.Cleanup(func() { pr.CloseWithError(errors.New("test finished")) })
	return pr
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// allocated returns the bytes allocated on the heap (by every goroutine) while f runs: an upper
// bound of how much the heap grew.
func allocated(f func()) uint64 {
	if raceEnabled {
		f()
		return 0 // the race detector's own allocations would dominate
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// zent describes one entry of a test zip.
type zent struct {
	name   string
	body   string
	mode   fs.FileMode // 0 means a regular 0644 file
	flags  uint16
	method uint16
	raw    bool   // write body as already-compressed data with the given method
	usize  uint64 // declared uncompressed size for raw entries
}

func zipBytes(t testing.TB, ents ...zent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: e.method, Flags: e.flags}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		var w io.Writer
		var err error
		if e.raw {
			h.UncompressedSize64 = e.usize
			h.CompressedSize64 = uint64(len(e.body))
			w, err = zw.CreateRaw(h)
		} else {
			w, err = zw.CreateHeader(h)
		}
		if err != nil {
			t.Fatalf("zip header %q: %v", e.name, err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkLimitError asserts that err is a *LimitError for the named limit.
func checkLimitError(t *testing.T, err error, limit string) *LimitError {
	t.Helper()
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want a LimitError for %s", err, limit)
	}
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v (%T), not a *LimitError", err, err)
	}
	if le.Limit != limit {
		t.Fatalf("limit = %s (%v), want %s", le.Limit, err, limit)
	}
	if errors.Is(err, ErrCorrupt) {
		t.Fatalf("a LimitError must not match ErrCorrupt: %v", err)
	}
	return le
}

// kinds returns the kinds of the problems, in order.
func kinds(ps []Problem) []ProblemKind {
	var ks []ProblemKind
	for _, p := range ps {
		ks = append(ks, p.Kind)
	}
	return ks
}

// contents returns the files as path → content.
func contents(fs []File) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		m[f.Path] = string(f.Data)
	}
	return m
}
