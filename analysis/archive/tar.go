package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// inputBufferSize is the size of the buffer between the caller's reader and the decompressor.
const inputBufferSize = 64 << 10

// ReadTarGz reads an npm tarball: a gzip'd tar stream, or a plain tar stream (npm accepts
// both; the format is sniffed from the first bytes). The first component of every entry name
// (the top-level folder, "package" in tarballs made by npm pack) is stripped, as npm does.
//
// Regular files become [File]s; directories and PAX global headers are skipped silently;
// links, devices, FIFOs, unsafe or escaping names and unknown entry types are recorded as
// [Problem]s and never followed. The stream is read incrementally — only what is needed,
// through a buffer — up to the end of the compressed data, whose trailer (CRC and size) is
// verified. Whatever the input, memory stays bounded by about lim.MaxTotalSize plus
// lim.MaxFileSize (a file's buffer grows by doubling as its data arrives), about 1 MiB of
// buffers (archive/tar holds one PAX record or long name at a time) and the Problems.
//
// Errors: a [*LimitError] (errors.Is(err, [ErrLimit])) as soon as a limit is exceeded; an
// error matching [ErrCorrupt] for a corrupt, truncated or non-tar stream; any other error
// comes from r and is returned wrapped.
func ReadTarGz(r io.Reader, lim Limits) (*Package, error) {
	lim = lim.withDefaults()
	src := &sourceReader{r: r}
	br := bufio.NewReaderSize(src, inputBufferSize)
	head, err := br.Peek(6)
	if len(head) == 0 {
		if src.err != nil {
			return nil, fmt.Errorf("read tarball: %w", src.err)
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read tarball: empty input: %w: %w", ErrCorrupt, err)
	}

	var stream io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			if src.err != nil {
				return nil, fmt.Errorf("read tarball: %w", src.err)
			}
			return nil, fmt.Errorf("read tarball: gzip header: %w: %w", ErrCorrupt, err)
		}
		defer gz.Close()
		stream = gz
	case bytes.HasPrefix(head, []byte("BZh")):
		return nil, fmt.Errorf("read tarball: bzip2 compression is not supported: %w", ErrCorrupt)
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		return nil, fmt.Errorf("read tarball: xz compression is not supported: %w", ErrCorrupt)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("read tarball: zstd compression is not supported: %w", ErrCorrupt)
	}

	m := &meter{r: stream, max: lim.MaxArchiveSize}
	tr := &tarReader{
		b:   newBuilder(lim, true),
		src: src,
		m:   m,
		tr:  tar.NewReader(m),
	}
	return tr.read()
}

// tarReader holds the state of one ReadTarGz call.
type tarReader struct {
	b   *builder
	src *sourceReader // the caller's reader, to tell its errors from corruption
	m   *meter        // the uncompressed tar stream, to bound the work
	tr  *tar.Reader
}

func (t *tarReader) read() (*Package, error) {
	for {
		hdr, err := t.tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return nil, t.fail("read tar header", err)
		}
		if err := t.entry(hdr); err != nil {
			return nil, err
		}
	}
	// Read the rest of the stream (tar's zero-block padding, normally a few KiB) so that the
	// gzip trailer is verified; the meter bounds how much.
	if _, err := io.Copy(io.Discard, t.m); err != nil {
		return nil, t.fail("read after end of tar archive", err)
	}
	return t.b.finish()
}

// entry handles one tar header.
func (t *tarReader) entry(hdr *tar.Header) error {
	name := hdr.Name
	if err := t.b.entry(name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont:
		if isSparse(hdr) {
			return t.skip(hdr, ProblemUnsupported, "sparse file; npm does not extract it faithfully")
		}
		return t.regular(hdr)
	case tar.TypeDir, typeGNUDumpDir, tar.TypeXGlobalHeader:
		return t.skip(hdr, "", "")
	case tar.TypeSymlink:
		return t.skip(hdr, ProblemSymlink, fmt.Sprintf("symbolic link to %q; not followed", shorten(hdr.Linkname, maxShownName)))
	case tar.TypeLink:
		return t.skip(hdr, ProblemHardlink, fmt.Sprintf("hard link to %q; not followed", shorten(hdr.Linkname, maxShownName)))
	case tar.TypeChar:
		return t.skip(hdr, ProblemSpecialFile, "character device")
	case tar.TypeBlock:
		return t.skip(hdr, ProblemSpecialFile, "block device")
	case tar.TypeFifo:
		return t.skip(hdr, ProblemSpecialFile, "FIFO")
	case tar.TypeGNUSparse:
		return t.skip(hdr, ProblemUnsupported, "GNU sparse file; npm does not extract it")
	default:
		return t.skip(hdr, ProblemUnsupported, fmt.Sprintf("unknown tar entry type %q", hdr.Typeflag))
	}
}

// isSparse reports whether a regular-file header describes a PAX-format sparse file.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// hasData reports whether the tar stream carries hdr.Size bytes of data after hdr (archive/tar
// skips them when Next is called).
func hasData(hdr *tar.Header) bool {
	switch hdr.Typeflag {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo, tar.TypeXGlobalHeader:
		return false
	}
	return !isSparse(hdr) && hdr.Typeflag != tar.TypeGNUSparse
}

// budget fails fast when the data an entry declares cannot fit in what remains of
// MaxArchiveSize, before any of it is decompressed.
func (t *tarReader) budget(hdr *tar.Header) error {
	if hasData(hdr) && hdr.Size > t.m.max-t.m.n {
		return &LimitError{Limit: "MaxArchiveSize", Max: t.m.max, Value: t.m.n + hdr.Size, Path: shorten(hdr.Name, maxShownName)}
	}
	return nil
}

// skip records a Problem (unless kind is "") for an entry whose data is not kept.
func (t *tarReader) skip(hdr *tar.Header, kind ProblemKind, detail string) error {
	if err := t.budget(hdr); err != nil {
		return err
	}
	if kind == "" {
		return nil
	}
	return t.b.problem(kind, hdr.Name, detail)
}

// regular reads a regular file.
func (t *tarReader) regular(hdr *tar.Header) error {
	rel, ok, err := t.b.resolve(hdr.Name)
	if err != nil {
		return err
	}
	if !ok {
		return t.budget(hdr)
	}
	if err := t.b.fileSize(hdr.Name, hdr.Size); err != nil {
		return err
	}
	if err := t.budget(hdr); err != nil {
		return err
	}
	data, err := readN(t.tr, hdr.Size)
	if err != nil {
		return t.fail(fmt.Sprintf("read %q", shorten(hdr.Name, maxShownName)), err)
	}
	return t.b.add(hdr.Name, rel, hdr.FileInfo().Mode(), data)
}

// fail classifies an error met while reading: the meter's limit, the caller's reader's own
// error, or corruption.
func (t *tarReader) fail(what string, err error) error {
	var le *LimitError
	switch {
	case t.m.err != nil:
		return t.m.err
	case errors.As(err, &le):
		return err
	case t.src.err != nil:
		return fmt.Errorf("read tarball: %s: %w", what, t.src.err)
	}
	return fmt.Errorf("read tarball: %s: %w: %w", what, ErrCorrupt, err)
}

// sourceReader remembers the first error other than io.EOF returned by the caller's reader,
// so that a failing network read is not mistaken for a corrupt archive.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// meter counts the bytes read from r and fails with a *LimitError (MaxArchiveSize) once more
// than max bytes are read.
type meter struct {
	r   io.Reader
	n   int64
	max int64
	err *LimitError
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if left := m.max - m.n + 1; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if m.n > m.max {
		m.err = &LimitError{Limit: "MaxArchiveSize", Max: m.max, Value: m.n}
		return n - int(m.n-m.max), m.err
	}
	return n, err
}

// readChunk is the initial buffer of readN and the least it grows by.
const readChunk = 1 << 20

// readN reads exactly n bytes from r. Its buffer grows as data arrives (doubling, never past
// n), so an entry that declares a large size but is cut short costs memory only for the bytes
// actually present.
func readN(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, readChunk))
	stalls := 0
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(cap(buf)))))
		}
		end := int(min(int64(cap(buf)), n))
		k, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+k]
		switch {
		case err == io.EOF && int64(len(buf)) < n:
			return nil, io.ErrUnexpectedEOF
		case err != nil && err != io.EOF:
			return nil, err
		case k == 0:
			if stalls++; stalls > 100 {
				return nil, io.ErrNoProgress
			}
		default:
			stalls = 0
		}
	}
	return buf, nil
}

// typeGNUDumpDir is GNU tar's "dump directory" entry type: a directory whose data lists its
// contents. archive/tar has no constant for it; node-tar treats it as a directory.
const typeGNUDumpDir = 'D'
