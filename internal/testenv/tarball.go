package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// tarballModTime is the modification time BuildTarball gives every entry: the fixed date npm pack uses
// (1985-10-26T08:15:00Z), so that equal inputs always produce identical bytes.
func tarballModTime() time.Time { return time.Date(1985, time.October, 26, 8, 15, 0, 0, time.UTC) }

// BuildTarball returns a deterministic gzip-compressed tar archive laid out like an npm package tarball:
// every file is stored under root ("package" when root is ""), entries are sorted by name, each has mode
// 0644, owner 0:0 and the fixed time npm pack uses (1985-10-26T08:15:00Z), and directories are implied by the file paths (no directory
// entries are written, as npm pack does). File names use "/" separators and are relative to root.
//
// It panics only when archive/tar rejects a header, which does not happen for names built by callers of
// this fixture helper; it is not meant for hostile input.
func BuildTarball(root string, files map[string][]byte) []byte {
	if root == "" {
		root = "package"
	}
	root = strings.Trim(root, "/")
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)

	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, name := range names {
		body := files[name]
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     path.Join(root, strings.TrimLeft(name, "/")),
			Mode:     0o644,
			Size:     int64(len(body)),
			ModTime:  tarballModTime(),
		}
		if err := tw.WriteHeader(hdr); err != nil {
			panic(fmt.Sprintf("testenv: tar header for %q: %v", name, err))
		}
		if _, err := tw.Write(body); err != nil {
			panic(fmt.Sprintf("testenv: tar body for %q: %v", name, err))
		}
	}
	if err := tw.Close(); err != nil {
		panic(fmt.Sprintf("testenv: close tar: %v", err))
	}
	if err := gz.Close(); err != nil {
		panic(fmt.Sprintf("testenv: close gzip: %v", err))
	}
	return buf.Bytes()
}
