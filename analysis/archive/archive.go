// Package archive reads package archives — npm tarballs (gzip'd or plain tar) and zip files
// (wheels, .mcpb bundles) — safely, boundedly and fully in memory: nothing is written to disk,
// nothing inside an archive is followed or executed, and every count and size is bounded by
// [Limits].
//
// The result is a [Package]: the regular files a safe extraction would install, keyed by their
// package-relative path, plus a list of [Problem]s for every entry that was refused (links,
// devices, path escapes, unsafe names) or is suspicious (duplicates, mixed top-level folders,
// non-canonical names, path conflicts). Conditions that make further reading meaningless or
// unsafe end reading with a typed error: [ErrCorrupt] for a corrupt or truncated stream and a
// [*LimitError] (matching [ErrLimit]) as soon as a limit is exceeded.
//
// Callers that must account for every installed byte (mcpvet's published-vs-source comparison)
// should treat each Problem as a finding: an entry that is not in Files was not installed by
// this reader, but another extractor may still install something for it.
//
// This package is a leaf of the analysis engine: it imports only the standard library and must
// not import app/, action/, GitHub clients or any other mcpvet package.
package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"unicode/utf8"
)

// Default limits. See [Limits] for what each one bounds and why it has this value.
const (
	DefaultMaxEntries     = 100_000
	DefaultMaxFileSize    = 64 << 20
	DefaultMaxTotalSize   = 512 << 20
	DefaultMaxPathLen     = 1024
	DefaultMaxDepth       = 64
	DefaultMaxArchiveSize = DefaultMaxTotalSize + archiveHeadroom
	DefaultMaxProblems    = 1000
)

// archiveHeadroom is what MaxArchiveSize allows beyond MaxTotalSize when it is left zero: room
// for tar headers, PAX records, block padding and the end-of-archive record (about 1 KiB per
// entry in npm's tarballs, so 128 MiB covers 100,000 entries with long names).
const archiveHeadroom = 128 << 20

// Limits bound what one archive may contain. A zero or negative field takes its default
// (the Default* constants), so Limits{} behaves like [DefaultLimits]. Exceeding any limit ends
// reading with a [*LimitError].
type Limits struct {
	// MaxEntries bounds the archive entries of any type: tar headers as returned by the tar
	// reader (files, directories, links, PAX global headers — PAX and GNU long-name records
	// that only modify the next header are not counted) or zip central-directory records.
	// Default 100,000: npm's largest packages carry tens of thousands of files; the limit
	// bounds the per-entry bookkeeping an archive of tiny entries can cause.
	MaxEntries int

	// MaxFileSize bounds the uncompressed bytes of one regular file. It is checked against
	// the size the entry declares before any of its data is decompressed, and the reader
	// never yields more than the declared size. Default 64 MiB: the biggest legitimate single
	// files in npm packages (bundles, wasm, native binaries) stay well below it.
	MaxFileSize int64

	// MaxTotalSize bounds the uncompressed bytes of all regular files read (entries later
	// replaced by a duplicate included). It is what a Package holds in memory. Default
	// 512 MiB: above the unpacked size of legitimate npm packages, including ones that ship
	// prebuilt binaries for several platforms.
	MaxTotalSize int64

	// MaxPathLen bounds the bytes of one entry name as stored in the archive (top folder
	// included). Default 1024: PATH_MAX on macOS; longer names cannot be installed portably.
	MaxPathLen int

	// MaxDepth bounds the '/'-separated components of one entry name as stored in the archive
	// (top folder included, a trailing '/' ignored: "package/lib/a.js" has depth 3).
	// Default 64: real packages nest a dozen levels; deeper trees only serve to exhaust
	// whoever walks them.
	MaxDepth int

	// MaxArchiveSize bounds the work one archive can cause. For tar it is the uncompressed
	// size of the whole tar stream — headers, PAX records, file data, data of skipped entries,
	// padding and anything after the end-of-archive record (read to verify the gzip trailer);
	// an entry whose declared size cannot fit fails before its data is decompressed. For zip
	// it is the size of the zip file. Zero means MaxTotalSize + 128 MiB (default 640 MiB):
	// room for the headers and padding of MaxEntries entries with long names.
	MaxArchiveSize int64

	// MaxProblems bounds the Problems one archive may produce. Default 1000: a legitimate
	// package has none or a handful; thousands mean a hostile archive, and each Problem
	// costs memory.
	MaxProblems int
}

// DefaultLimits returns the default limits (the Default* constants).
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:     DefaultMaxEntries,
		MaxFileSize:    DefaultMaxFileSize,
		MaxTotalSize:   DefaultMaxTotalSize,
		MaxPathLen:     DefaultMaxPathLen,
		MaxDepth:       DefaultMaxDepth,
		MaxArchiveSize: DefaultMaxArchiveSize,
		MaxProblems:    DefaultMaxProblems,
	}
}

// withDefaults returns l with every zero or negative field replaced by its default.
func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxPathLen <= 0 {
		l.MaxPathLen = DefaultMaxPathLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxArchiveSize <= 0 {
		l.MaxArchiveSize = l.MaxTotalSize + archiveHeadroom
	}
	if l.MaxProblems <= 0 {
		l.MaxProblems = DefaultMaxProblems
	}
	return l
}

// ErrCorrupt is matched (errors.Is) by the errors returned for a stream that is corrupt,
// truncated or not an archive of the expected kind. Such errors also wrap the underlying cause
// (for example io.ErrUnexpectedEOF, gzip.ErrChecksum or tar.ErrHeader).
var ErrCorrupt = errors.New("archive: corrupt or truncated archive")

// ErrLimit is matched (errors.Is) by every [*LimitError].
var ErrLimit = errors.New("archive: limit exceeded")

// LimitError reports that an archive exceeded one of its [Limits]. Reading stopped at that
// point and no Package is returned.
type LimitError struct {
	// Limit is the name of the exceeded field of Limits, e.g. "MaxFileSize".
	Limit string
	// Max is the value of that limit.
	Max int64
	// Value is the value that exceeded it, as far as it is known when reading stops: a declared
	// size, a count, or Max+1 when the excess was found by reading.
	Value int64
	// Path is the raw name of the entry being read (truncated to 256 bytes; possibly not
	// UTF-8: print it quoted), or "" when the limit concerns the archive as a whole.
	Path string
}

// Error implements error; the path is quoted, so the message is safe to log.
func (e *LimitError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("archive: %s exceeded: %d > %d", e.Limit, e.Value, e.Max)
	}
	return fmt.Sprintf("archive: %s exceeded at %q: %d > %d", e.Limit, e.Path, e.Value, e.Max)
}

// Is reports whether target is [ErrLimit].
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// maxShownName bounds entry names and link targets copied into errors and Problem details.
const maxShownName = 256

// shorten truncates s to n bytes, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// File is one regular file of a package.
type File struct {
	// Path is the file's package-relative path: '/'-separated, clean (no empty, "." or ".."
	// segments), relative, valid UTF-8, with the top folder of a tarball stripped.
	Path string
	// Mode holds the permission bits the archive records (only fs.ModePerm bits).
	Mode fs.FileMode
	// Data is the file's uncompressed content.
	Data []byte
}

// ProblemKind classifies a [Problem]. The values are stable kebab-case strings.
type ProblemKind string

// Problem kinds. Unless a kind says otherwise, the entry was refused and is not in Files.
const (
	// ProblemAbsolutePath: the name starts with '/' or a Windows drive ("C:").
	ProblemAbsolutePath ProblemKind = "absolute-path"
	// ProblemTraversal: the name has a ".." segment.
	ProblemTraversal ProblemKind = "path-traversal"
	// ProblemSymlink: a symbolic link; Detail holds its target. Never followed.
	ProblemSymlink ProblemKind = "symlink"
	// ProblemHardlink: a hard link; Detail holds its target. Never followed.
	ProblemHardlink ProblemKind = "hardlink"
	// ProblemSpecialFile: a character or block device, FIFO or socket.
	ProblemSpecialFile ProblemKind = "special-file"
	// ProblemUnsupported: an entry this reader cannot read faithfully: an unknown tar type,
	// a sparse file, an encrypted zip entry or one with an unsupported compression method.
	ProblemUnsupported ProblemKind = "unsupported-entry"
	// ProblemDuplicate: a second entry for a path already seen. The later entry is kept (that
	// is what extraction installs); Detail gives both sizes and whether the content differs.
	ProblemDuplicate ProblemKind = "duplicate-entry"
	// ProblemOutsideRoot: a tar entry that is not inside a top-level folder (a single
	// component name such as "package.json"); npm's extraction drops it.
	ProblemOutsideRoot ProblemKind = "outside-top-folder"
	// ProblemMixedRoots: a tar entry whose top-level folder differs from Package.Root. The
	// entry is kept, with its own top folder stripped, as npm does. Reported once per folder.
	ProblemMixedRoots ProblemKind = "mixed-top-folders"
	// ProblemUnsafeName: an empty name, or one with a backslash, NUL, control character or
	// bidirectional-text control.
	ProblemUnsafeName ProblemKind = "unsafe-name"
	// ProblemNonUTF8Name: the name is not valid UTF-8.
	ProblemNonUTF8Name ProblemKind = "non-utf8-name"
	// ProblemNonCanonical: the name has empty or "." segments or a trailing '/' on a file.
	// The entry is kept under its cleaned path (where extraction installs it).
	ProblemNonCanonical ProblemKind = "non-canonical-name"
	// ProblemPathConflict: two kept files conflict on some file systems: one's path is a
	// directory of the other's, or they differ only in case. Both are kept.
	ProblemPathConflict ProblemKind = "path-conflict"
)

// Problem is an archive entry that was refused or is suspicious.
type Problem struct {
	// Kind classifies the problem.
	Kind ProblemKind
	// Path is the raw entry name as stored in the archive (at most MaxPathLen bytes). It is
	// hostile input — possibly not UTF-8, possibly with control characters: quote it (%q)
	// before printing.
	Path string
	// Detail is a short explanation for humans; names inside it are already quoted.
	Detail string
}

// String formats the problem with its path quoted.
func (p Problem) String() string {
	if p.Detail == "" {
		return fmt.Sprintf("%s: %q", p.Kind, p.Path)
	}
	return fmt.Sprintf("%s: %q: %s", p.Kind, p.Path, p.Detail)
}

// Package is the content of one archive.
type Package struct {
	// Root is the top-level folder stripped from a tarball's entry names (npm strips the
	// first component whatever its name: "package", "node-pkg", …): the first one seen on an
	// accepted entry. Always "" for zip.
	Root string
	// Files are the accepted regular files, sorted by Path, one per Path; for duplicate
	// entries the last one wins.
	Files []File
	// Problems lists, in archive order, every entry that was refused or is suspicious;
	// path conflicts among kept files come last.
	Problems []Problem
}

// File returns the file whose package-relative Path is path.
func (p *Package) File(path string) (File, bool) {
	i := sort.Search(len(p.Files), func(i int) bool { return p.Files[i].Path >= path })
	if i < len(p.Files) && p.Files[i].Path == path {
		return p.Files[i], true
	}
	return File{}, false
}

// builder accumulates a Package while an archive is read, enforcing the limits that do not
// depend on the archive format.
type builder struct {
	lim       Limits
	stripRoot bool
	pkg       Package
	rootSet   bool
	badRoots  map[string]bool   // top folders already reported as mixed
	index     map[string]int    // Path → index in pkg.Files
	rawNames  map[string]string // Path → raw name of the kept entry
	entries   int
	total     int64
}

func newBuilder(lim Limits, stripRoot bool) *builder {
	return &builder{
		lim:       lim,
		stripRoot: stripRoot,
		badRoots:  map[string]bool{},
		index:     map[string]int{},
		rawNames:  map[string]string{},
	}
}

// entry counts one archive entry named name and checks the limits on entry count, name
// length and depth.
func (b *builder) entry(name string) error {
	b.entries++
	if b.entries > b.lim.MaxEntries {
		return &LimitError{Limit: "MaxEntries", Max: int64(b.lim.MaxEntries), Value: int64(b.entries), Path: shorten(name, maxShownName)}
	}
	if len(name) > b.lim.MaxPathLen {
		return &LimitError{Limit: "MaxPathLen", Max: int64(b.lim.MaxPathLen), Value: int64(len(name)), Path: shorten(name, maxShownName)}
	}
	if d := depth(name); d > b.lim.MaxDepth {
		return &LimitError{Limit: "MaxDepth", Max: int64(b.lim.MaxDepth), Value: int64(d), Path: shorten(name, maxShownName)}
	}
	return nil
}

// depth counts the '/'-separated components of name, ignoring one trailing '/'.
func depth(name string) int {
	name = strings.TrimSuffix(name, "/")
	return strings.Count(name, "/") + 1
}

// problem records a Problem, failing once there are more than MaxProblems.
func (b *builder) problem(kind ProblemKind, name, detail string) error {
	if len(b.pkg.Problems) >= b.lim.MaxProblems {
		return &LimitError{Limit: "MaxProblems", Max: int64(b.lim.MaxProblems), Value: int64(len(b.pkg.Problems) + 1), Path: shorten(name, maxShownName)}
	}
	b.pkg.Problems = append(b.pkg.Problems, Problem{Kind: kind, Path: name, Detail: detail})
	return nil
}

// fileSize checks that a regular file of the given size may be read.
func (b *builder) fileSize(name string, size int64) error {
	if size > b.lim.MaxFileSize {
		return &LimitError{Limit: "MaxFileSize", Max: b.lim.MaxFileSize, Value: size, Path: shorten(name, maxShownName)}
	}
	if size > b.lim.MaxTotalSize-b.total {
		return &LimitError{Limit: "MaxTotalSize", Max: b.lim.MaxTotalSize, Value: b.total + size, Path: shorten(name, maxShownName)}
	}
	return nil
}

// resolve validates the raw entry name of a regular file and returns its package-relative
// path. When the entry is refused it records the Problem and returns ok == false; err is set
// only when a limit is exceeded.
func (b *builder) resolve(name string) (rel string, ok bool, err error) {
	if kind, detail := nameProblem(name); kind != "" {
		return "", false, b.problem(kind, name, detail)
	}
	segs := strings.Split(name, "/")
	root := ""
	if b.stripRoot {
		root, segs = segs[0], segs[1:]
	}
	clean := segs[:0:0]
	for _, s := range segs {
		if s != "" && s != "." {
			clean = append(clean, s)
		}
	}
	if len(clean) == 0 {
		if b.stripRoot {
			return "", false, b.problem(ProblemOutsideRoot, name, "not inside a top-level folder; npm does not install it")
		}
		return "", false, b.problem(ProblemUnsafeName, name, "no file name")
	}
	if isDrive(clean[0]) {
		return "", false, b.problem(ProblemAbsolutePath, name, "starts with a Windows drive after the top folder")
	}
	if b.stripRoot {
		switch {
		case !b.rootSet:
			b.rootSet, b.pkg.Root = true, root
		case root != b.pkg.Root && !b.badRoots[root]:
			b.badRoots[root] = true
			if err := b.problem(ProblemMixedRoots, name, fmt.Sprintf("top-level folder %q differs from %q; stripped anyway, as npm does", root, b.pkg.Root)); err != nil {
				return "", false, err
			}
		}
	}
	rel = strings.Join(clean, "/")
	if len(clean) != len(segs) {
		if err := b.problem(ProblemNonCanonical, name, fmt.Sprintf("empty or \".\" segments; kept as %q", rel)); err != nil {
			return "", false, err
		}
	}
	return rel, true, nil
}

// nameProblem returns the kind of problem with a raw entry name, or "" when the name is
// acceptable (it may still need cleaning).
func nameProblem(name string) (ProblemKind, string) {
	switch {
	case name == "":
		return ProblemUnsafeName, "empty name"
	case !utf8.ValidString(name):
		return ProblemNonUTF8Name, "name is not valid UTF-8"
	case strings.ContainsRune(name, '\\'):
		return ProblemUnsafeName, "backslash in name (a separator on Windows)"
	case strings.HasPrefix(name, "/"):
		return ProblemAbsolutePath, "absolute path"
	case isDrive(strings.SplitN(name, "/", 2)[0]):
		return ProblemAbsolutePath, "starts with a Windows drive"
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return ProblemUnsafeName, fmt.Sprintf("control character %U in name", r)
		}
		if isBidiControl(r) {
			return ProblemUnsafeName, fmt.Sprintf("bidirectional-text control %U in name", r)
		}
	}
	for _, s := range strings.Split(name, "/") {
		if s == ".." {
			return ProblemTraversal, `".." segment`
		}
	}
	return "", ""
}

// isDrive reports whether a path component looks like a Windows drive ("C:", "c:foo").
func isDrive(s string) bool {
	return len(s) >= 2 && s[1] == ':' && ('a' <= s[0]|0x20 && s[0]|0x20 <= 'z')
}

// isBidiControl reports whether r reorders displayed text (the "Trojan Source" characters).
func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// add stores a regular file read from the entry with the given raw name; a later entry for
// the same path replaces the earlier one.
func (b *builder) add(name, rel string, mode fs.FileMode, data []byte) error {
	b.total += int64(len(data))
	f := File{Path: rel, Mode: mode.Perm(), Data: data}
	i, dup := b.index[rel]
	if !dup {
		b.index[rel] = len(b.pkg.Files)
		b.rawNames[rel] = name
		b.pkg.Files = append(b.pkg.Files, f)
		return nil
	}
	old := b.pkg.Files[i]
	same := "content differs"
	if string(old.Data) == string(data) {
		same = "same content"
	}
	detail := fmt.Sprintf("replaces earlier entry %q for %q (%d bytes) with %d bytes; %s",
		shorten(b.rawNames[rel], maxShownName), rel, len(old.Data), len(data), same)
	b.pkg.Files[i] = f
	b.rawNames[rel] = name
	return b.problem(ProblemDuplicate, name, detail)
}

// finish sorts the files, reports path conflicts and returns the Package.
func (b *builder) finish() (*Package, error) {
	files := b.pkg.Files
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	folded := make(map[string]string, len(files))
	for _, f := range files {
		for i := 0; i < len(f.Path); i++ {
			if f.Path[i] != '/' {
				continue
			}
			if _, ok := b.index[f.Path[:i]]; ok {
				if err := b.problem(ProblemPathConflict, b.rawNames[f.Path], fmt.Sprintf("%q is also a file", f.Path[:i])); err != nil {
					return nil, err
				}
			}
		}
		low := strings.ToLower(f.Path)
		if other, ok := folded[low]; ok {
			if err := b.problem(ProblemPathConflict, b.rawNames[f.Path], fmt.Sprintf("differs only in case from %q", other)); err != nil {
				return nil, err
			}
			continue
		}
		folded[low] = f.Path
	}
	pkg := b.pkg
	return &pkg, nil
}
