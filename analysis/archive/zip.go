package archive

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
)

// ReadZip reads a zip archive of the given size (a Python wheel, an .mcpb bundle) with the
// same rules as [ReadTarGz], except that no top-level folder is stripped: Package.Root is ""
// and a File's Path is the entry name itself (cleaned).
//
// size is checked against lim.MaxArchiveSize before anything is read. The central directory
// is parsed by archive/zip, which holds all of its records in memory (a few hundred bytes per
// record, bounded by size); MaxEntries is checked right after. Each entry's declared
// uncompressed size is checked against MaxFileSize and MaxTotalSize before it is decompressed,
// and decompression never yields more than the declared size; the CRC-32 is verified.
//
// Errors are classified as for ReadTarGz.
func ReadZip(r io.ReaderAt, size int64, lim Limits) (*Package, error) {
	lim = lim.withDefaults()
	if size > lim.MaxArchiveSize {
		return nil, &LimitError{Limit: "MaxArchiveSize", Max: lim.MaxArchiveSize, Value: size}
	}
	src := &sourceReaderAt{r: r, size: size}
	zr, err := zip.NewReader(src, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		if src.err != nil {
			return nil, fmt.Errorf("read zip: %w", src.err)
		}
		return nil, fmt.Errorf("read zip: central directory: %w: %w", ErrCorrupt, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, &LimitError{Limit: "MaxEntries", Max: int64(lim.MaxEntries), Value: int64(len(zr.File))}
	}
	b := newBuilder(lim, false)
	for _, f := range zr.File {
		if err := zipEntry(b, src, f); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// zipEntry handles one zip entry.
func zipEntry(b *builder, src *sourceReaderAt, f *zip.File) error {
	name := f.Name
	if err := b.entry(name); err != nil {
		return err
	}
	mode := f.Mode()
	switch {
	case mode.IsDir():
		return nil
	case mode&fs.ModeSymlink != 0:
		return b.problem(ProblemSymlink, name, "symbolic link; not followed")
	case mode&fs.ModeNamedPipe != 0:
		return b.problem(ProblemSpecialFile, name, "FIFO")
	case mode&fs.ModeCharDevice != 0:
		return b.problem(ProblemSpecialFile, name, "character device")
	case mode&fs.ModeDevice != 0:
		return b.problem(ProblemSpecialFile, name, "block device")
	case mode&fs.ModeSocket != 0:
		return b.problem(ProblemSpecialFile, name, "socket")
	case !mode.IsRegular():
		return b.problem(ProblemUnsupported, name, fmt.Sprintf("unsupported file type %v", mode.Type()))
	}
	rel, ok, err := b.resolve(name)
	if err != nil || !ok {
		return err
	}
	if f.Flags&0x1 != 0 {
		return b.problem(ProblemUnsupported, name, "encrypted entry")
	}
	if f.UncompressedSize64 > math.MaxInt64 {
		return &LimitError{Limit: "MaxFileSize", Max: b.lim.MaxFileSize, Value: math.MaxInt64, Path: shorten(name, maxShownName)}
	}
	size := int64(f.UncompressedSize64)
	if err := b.fileSize(name, size); err != nil {
		return err
	}
	rc, err := f.Open()
	if errors.Is(err, zip.ErrAlgorithm) {
		return b.problem(ProblemUnsupported, name, fmt.Sprintf("unsupported compression method %d", f.Method))
	}
	if err != nil {
		return zipFail(src, name, err)
	}
	defer rc.Close()
	data, err := readN(rc, size)
	if err != nil {
		return zipFail(src, name, err)
	}
	// Read once more: archive/zip verifies the CRC-32 at the end of the data, and reports
	// data beyond the declared size.
	var one [1]byte
	if k, err := rc.Read(one[:]); k != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("more data than the declared size")
		}
		return zipFail(src, name, err)
	}
	return b.add(name, rel, mode, data)
}

// zipFail classifies an error met while reading a zip entry.
func zipFail(src *sourceReaderAt, name string, err error) error {
	if src.err != nil {
		return fmt.Errorf("read zip: %q: %w", shorten(name, maxShownName), src.err)
	}
	return fmt.Errorf("read zip: %q: %w: %w", shorten(name, maxShownName), ErrCorrupt, err)
}

// sourceReaderAt reads the caller's ReaderAt within [0, size) only, and remembers the first
// error other than io.EOF it returns, so that an I/O failure is not mistaken for a corrupt
// archive. Offsets outside the archive (computed from hostile headers) are refused here, as
// corruption, without calling the caller's ReaderAt.
type sourceReaderAt struct {
	r    io.ReaderAt
	size int64
	err  error
}

// errOutside is returned for reads that start outside the archive.
var errOutside = errors.New("offset outside the archive")

func (s *sourceReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > s.size {
		return 0, errOutside
	}
	var eof error
	if rest := s.size - off; int64(len(p)) > rest {
		p, eof = p[:rest], io.EOF
	}
	n, err := s.r.ReadAt(p, off)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	if err == nil && n == len(p) {
		err = eof
	}
	return n, err
}
