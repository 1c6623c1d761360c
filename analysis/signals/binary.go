package signals

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
)

// binaryKind names the executable format of a file — by magic number (ELF, PE, Mach-O, WebAssembly) or
// by extension (.node, .wasm) — or returns "".
func binaryKind(f archive.File) string {
	d := f.Data
	switch {
	case bytes.HasPrefix(d, []byte("\x7fELF")):
		return "ELF"
	case bytes.HasPrefix(d, []byte("\x00asm")):
		return "WebAssembly"
	case isMachO(d):
		return "Mach-O"
	case isPE(d):
		return "PE (Windows)"
	}
	switch strings.ToLower(path.Ext(f.Path)) {
	case ".node":
		return "Node.js native addon"
	case ".wasm":
		return "WebAssembly"
	}
	return ""
}

// isMachO matches thin Mach-O magics and fat (universal) headers; a fat header is told apart from a Java
// class file (same magic) by its small architecture count.
func isMachO(d []byte) bool {
	if len(d) < 8 {
		return false
	}
	switch binary.BigEndian.Uint32(d) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return true
	case 0xcafebabe, 0xcafebabf:
		n := binary.BigEndian.Uint32(d[4:])
		return n > 0 && n < 32
	}
	return false
}

// isPE matches an MZ header whose e_lfanew points at a "PE\0\0" signature inside the file.
func isPE(d []byte) bool {
	if len(d) < 0x40 || d[0] != 'M' || d[1] != 'Z' {
		return false
	}
	off := int64(binary.LittleEndian.Uint32(d[0x3c:]))
	return off+4 <= int64(len(d)) && bytes.Equal(d[off:off+4], []byte("PE\x00\x00"))
}

// binaries reports binary files of the new version that the previous version did not ship (same path
// and bytes, or the same bytes at another path).
func (d *delta) binaries() {
	old := map[[32]byte]bool{}
	if d.from != nil {
		for _, f := range d.from.Files {
			if binaryKind(f) != "" {
				old[sha256.Sum256(f.Data)] = true
			}
		}
	}
	for _, f := range d.to.Files {
		kind := binaryKind(f)
		if kind == "" {
			continue
		}
		sum := sha256.Sum256(f.Data)
		desc := fmt.Sprintf("binary file %s (%s, %d bytes)", f.Path, kind, len(f.Data))
		ev := fmt.Sprintf("new version: %s sha256 %x", f.Path, sum)
		var msg string
		switch prevFile, had := d.fileOf(f.Path); {
		case d.from == nil:
			msg = prefixAlone + desc
		case old[sum]:
			continue
		case had:
			msg = prefixChanged + desc
			ev += fmt.Sprintf("; previous version: sha256 %x", sha256.Sum256(prevFile.Data))
		default:
			msg = prefixNew + desc
			ev += "; not in the previous version"
		}
		d.add(item{rule: RuleNewBinary, path: f.Path, msg: msg + " (" + f.Path + ")", evidence: ev})
	}
}

// fileOf returns the previous version's file at p.
func (d *delta) fileOf(p string) (archive.File, bool) {
	if d.from == nil {
		return archive.File{}, false
	}
	return d.from.File(p)
}
