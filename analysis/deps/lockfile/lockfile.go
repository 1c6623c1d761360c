// Package lockfile turns the dependency manifests and lockfiles of a repository — package.json,
// package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock (classic and Berry), bun.lock,
// bun.lockb, requirements*.txt, pyproject.toml, uv.lock, poetry.lock and Pipfile.lock — into sets of
// [Dep]s, and finds the lines of a file where one dependency appears ([Index], [LineIndex.Lines]).
//
// Lockfiles are read with google/osv-scalibr's extractors, called in-process over an in-memory file
// system. Where scalibr drops something mcpvet needs (npm aliases, non-registry sources, integrity,
// direct versus transitive, dev-only), this package reads the same file again for just that, and
// each such gap is documented where it is filled. package.json and pyproject.toml have no scalibr
// extractor for declared dependencies, so their parsers are ours.
//
// Every input is hostile. Before any decoder sees a file, one linear pass builds its line index,
// checks JSON syntax, nesting ([MaxNestingDepth]) and duplicate keys, and counts what the decoders
// would build: files over [MaxLockfileSize], [MaxEntries], [MaxMapKeys] or (YAML, TOML)
// [MaxNodes] are refused with [ErrTooLarge], so memory stays within about ten times the input.
// Where a scalibr extractor would do quadratic work ([MaxScalibrQuadratic]) this package reads
// the file alone; a panic inside an extractor is recovered. Binary content in a text format and
// malformed input end in a [*FileError] naming the file (and the line when known).
//
// This package is a leaf of the analysis engine: it must not import app/, action/, GitHub clients
// or other mcpvet packages.
package lockfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Limits on hostile input. All but MaxProblems and MaxGraphSteps are checked before the data
// reaches a decoder.
const (
	// MaxLockfileSize bounds the bytes of one manifest or lockfile. Real monorepo lockfiles reach
	// tens of megabytes (a 50 MB package-lock.json must work: about 4 s and 400 MB of heap);
	// 64 MiB leaves headroom while keeping the decoders' memory bounded.
	MaxLockfileSize = 64 << 20

	// MaxNestingDepth bounds how deeply JSON arrays/objects and TOML arrays/inline tables nest.
	// The deepest legitimate structure is a lockfileVersion 1 package-lock.json, whose nested
	// node_modules trees add two levels per level of nesting; 1000 levels is far beyond any real
	// file, yet small enough that recursive decoders (scalibr's v1 walker, the TOML parser) stay
	// shallow.
	MaxNestingDepth = 1000

	// MaxLineContinuations bounds how many consecutive physical lines of a requirements file
	// may be joined with a trailing backslash. scalibr joins them recursively; a file of
	// millions of backslashes would otherwise exhaust the stack. Real files join a handful of
	// --hash lines (a few dozen at most).
	MaxLineContinuations = 10000

	// MaxProblems bounds how many non-fatal problems one file reports; the rest are counted.
	MaxProblems = 100

	// MaxGraphSteps bounds the work spent walking a lockfile's dependency graph to find direct
	// and dev-only packages where the file does not say (bun.lock's nested-key lookups, whose
	// cost grows with the length of install paths). A step is one key lookup per 64 bytes of
	// key. Real lockfiles need a few steps per dependency edge; beyond the bound a problem says
	// so and dev flags stay false (nothing is hidden as dev-only).
	MaxGraphSteps = 20_000_000

	// MaxScalibrQuadratic bounds the quadratic work scalibr's extractors would do on a file:
	// yaml.v3's duplicate-key check on pnpm-lock.yaml's packages (n·(n−1)/2 comparisons) and
	// uvlock's group guess (packages × the last package's optional dependencies). 2×10⁸ is
	// about a second, and admits pnpm lockfiles of 20,000 packages. Beyond it the file is read
	// by this package alone (the same packages, found in linear time) and a problem says so.
	MaxScalibrQuadratic = 200_000_000

	// MaxNodes bounds the values a YAML or TOML file may parse into, estimated before any
	// parser runs (nodeEstimate: three per non-blank line, two per comma, one per opening
	// bracket). Their decoders build the whole tree first — yaml.v3 at about 250 bytes a node,
	// BurntSushi/toml at about 35 and a microsecond —, so 2,000,000 keeps a pnpm-lock.yaml
	// parse under about 500 MB while admitting lockfiles of some 20 MB (115,000 packages).
	// Larger files end in ErrTooLarge.
	MaxNodes = 2_000_000

	// MaxEntries bounds the package entries one file may hold, counted by the line index
	// before any decoder runs: lockfile entries (and pnpm snapshot and importer lines),
	// requirement lines, declared dependencies. Decoding costs about a kilobyte per entry
	// across scalibr and this package; 500,000 admits a 50 MB package-lock.json (about
	// 190,000 entries) and keeps memory near half a gigabyte. Larger files end in ErrTooLarge.
	MaxEntries = 500_000

	// MaxMapKeys bounds the keys of the JSON maps the decoders build — the dependency maps of
	// package-lock.json entries, everything inside bun.lock's package tuples and workspaces,
	// package.json's top level —, counted before decoding. Each costs two to three hundred
	// bytes across scalibr and this package; 2,000,000 admits a 50 MB package-lock.json
	// (about a million) and keeps such maps near half a gigabyte.
	MaxMapKeys = 2_000_000
)

// Errors matched with errors.Is on a [*FileError].
var (
	// ErrTooLarge: the file exceeds MaxLockfileSize, MaxEntries, MaxMapKeys or MaxNodes.
	ErrTooLarge = errors.New("file too large")
	// ErrTooDeep: nesting exceeds MaxNestingDepth (or MaxLineContinuations).
	ErrTooDeep = errors.New("nesting too deep")
	// ErrMalformed: the file is not valid for its format (syntax, types, binary content).
	ErrMalformed = errors.New("malformed")
	// ErrUnknownKind: the file name is not a manifest or lockfile this package reads.
	ErrUnknownKind = errors.New("not a known manifest or lockfile")
)

// FileError is the error of Extract: it names the file and, when known, the 1-based line.
type FileError struct {
	Path string
	Line int // 0 when unknown
	Err  error
}

// Error returns "path:line: reason" ("path: reason" when the line is unknown), with the user
// information of any URL in it redacted.
func (e *FileError) Error() string {
	if e.Line > 0 {
		return redactURLs(fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err))
	}
	return redactURLs(fmt.Sprintf("%s: %v", e.Path, e.Err))
}

// Unwrap returns the reason, for errors.Is (ErrTooLarge, ErrTooDeep, ErrMalformed, …).
func (e *FileError) Unwrap() error { return e.Err }

// Kind is the format of a manifest or lockfile, named by its usual file name.
type Kind string

// The kinds this package reads.
const (
	PackageJSON     Kind = "package.json"
	PackageLockJSON Kind = "package-lock.json"
	NpmShrinkwrap   Kind = "npm-shrinkwrap.json"
	PnpmLock        Kind = "pnpm-lock.yaml"
	YarnLock        Kind = "yarn.lock"
	BunLock         Kind = "bun.lock"
	BunLockb        Kind = "bun.lockb"
	Requirements    Kind = "requirements.txt"
	PyProject       Kind = "pyproject.toml"
	UVLock          Kind = "uv.lock"
	PoetryLock      Kind = "poetry.lock"
	PipfileLock     Kind = "Pipfile.lock"
)

// Ecosystems of a Dep.
const (
	NPM  = "npm"
	PyPI = "pypi"
)

// Sources of a Dep: where its code comes from.
const (
	SourceRegistry  = "registry"
	SourceGit       = "git"
	SourceTarball   = "tarball"
	SourceFile      = "file"
	SourceLink      = "link"
	SourceWorkspace = "workspace"
	SourceCatalog   = "catalog"
	SourcePatch     = "patch"
	SourcePortal    = "portal"
	SourceOther     = "other"
)

// Ecosystem returns the ecosystem of the packages a file of this kind names.
func (k Kind) Ecosystem() string {
	switch k {
	case Requirements, PyProject, UVLock, PoetryLock, PipfileLock:
		return PyPI
	}
	return NPM
}

// IsManifest reports whether the kind declares dependencies (ranges as written) rather than
// locking resolved versions.
func (k Kind) IsManifest() bool {
	return k == PackageJSON || k == PyProject || k == Requirements
}

// Detect returns the kind of a manifest or lockfile from its repository path ('/'-separated).
// Paths inside node_modules/ are never manifests: they are installed packages, not the project's.
// requirements files are recognised as requirements*.txt, *-requirements.txt / *_requirements.txt,
// and any .txt file in a directory named requirements/.
func Detect(p string) (Kind, bool) {
	p = strings.ReplaceAll(p, "\\", "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "node_modules" {
			return "", false
		}
	}
	return kindOf(p)
}

// kindOf is Detect without the node_modules rule.
func kindOf(p string) (Kind, bool) {
	p = strings.ReplaceAll(p, "\\", "/")
	base := path.Base(p)
	switch Kind(base) {
	case PackageJSON, PackageLockJSON, NpmShrinkwrap, PnpmLock, YarnLock, BunLock, BunLockb,
		PyProject, UVLock, PoetryLock, PipfileLock:
		return Kind(base), true
	}
	if strings.HasSuffix(base, ".txt") {
		stem := strings.TrimSuffix(base, ".txt")
		if strings.HasPrefix(stem, "requirements") || strings.HasSuffix(stem, "-requirements") ||
			strings.HasSuffix(stem, "_requirements") || path.Base(path.Dir(p)) == "requirements" {
			return Requirements, true
		}
	}
	return "", false
}

// Dep is one dependency named by a manifest or lockfile.
type Dep struct {
	Ecosystem string // NPM or PyPI
	// Name is the registry name: for an npm alias ("x": "npm:@real/pkg@1") the real package,
	// with Alias set to the name it is installed under. PyPI names are PEP 503-normalised.
	Name  string
	Alias string
	// Version is the resolved exact version (lockfiles); for manifests the spec as written
	// (requirements "==1.2.3" gives "1.2.3"; an npm alias gives the range after the real name).
	// It may be empty for git, file and link sources that carry no version.
	Version string
	// Spec is the declared specifier when known (manifests, importers of pnpm lockfiles).
	Spec string
	// Direct: declared by a manifest, or marked direct by the lockfile's importers/root.
	Direct bool
	// Dev: only needed for development (devDependencies, dev groups, lockfile dev flags).
	Dev bool
	// Source is one of the Source* constants.
	Source string
	// Resolved is the git URL with commit, tarball URL or local path when Source is not registry.
	Resolved string
	// Integrity is the lockfile's hash of the artifact (npm SRI, PyPI "sha256:…"); for an opaque
	// bun.lockb it is the SHA-256 of the whole file, so any change to it changes the Dep.
	Integrity string
	// Opaque marks the single placeholder Dep of a binary bun.lockb, which is not parsed.
	Opaque bool
}

// Result is what Extract read from one file.
type Result struct {
	Kind Kind
	Deps []Dep
	// Problems are non-fatal oddities: duplicate keys, entries that could not be read, includes
	// that were not followed, binary lockfiles that were not parsed.
	Problems []string
	// Index is the file's line index, built while reading: the same as Index(Kind, data).
	Index *LineIndex
}

// Extract reads the dependencies of one manifest or lockfile. path names the file (its base name
// selects the format; see Detect) and appears in every error.
func Extract(ctx context.Context, path string, data []byte) (*Result, error) {
	kind, ok := kindOf(path)
	if !ok {
		return nil, &FileError{Path: path, Err: ErrUnknownKind}
	}
	if len(data) > MaxLockfileSize {
		return nil, &FileError{Path: path, Err: fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxLockfileSize)}
	}
	if err := ctx.Err(); err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	if kind == BunLockb {
		res := extractBunLockb(data)
		res.Index = Index(BunLockb, data)
		return res, nil
	}
	data = trimBOM(data)
	if line, bad := binaryLine(data); bad {
		return nil, &FileError{Path: path, Line: line, Err: fmt.Errorf("%w: binary content in a text file", ErrMalformed)}
	}
	r := &reader{ctx: ctx, path: path, kind: kind, data: data, graphSteps: MaxGraphSteps}
	// One pass builds the line index and, for JSON, checks syntax, nesting and duplicate keys
	// before any decoder sees the data; its count of entries gates the decoders.
	x, line, err := buildIndex(kind, data, func(key []byte, line int) {
		r.problem("line %d: duplicate key %s (the last one wins)", line, truncQuote(string(key)))
	})
	if err != nil {
		if errors.Is(err, ErrTooDeep) {
			return nil, r.fail(line, err)
		}
		return nil, r.fail(line, fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	if n := x.entries(); n > MaxEntries {
		return nil, r.fail(0, fmt.Errorf("%w: %d package entries, at most %d", ErrTooLarge, n, MaxEntries))
	}
	if x.mapKeys > MaxMapKeys {
		return nil, r.fail(0, fmt.Errorf("%w: %d keys in dependency maps, at most %d", ErrTooLarge, x.mapKeys, MaxMapKeys))
	}
	if err := ctx.Err(); err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	switch kind {
	case PyProject, UVLock, PoetryLock:
		if err := r.checkTOML(); err != nil {
			return nil, err
		}
	case PnpmLock:
		if n := nodeEstimate(data); n > MaxNodes {
			return nil, r.fail(0, fmt.Errorf("%w: about %d YAML nodes, at most %d", ErrTooLarge, n, MaxNodes))
		}
	}
	switch kind {
	case PackageJSON:
		err = r.packageJSON()
	case PackageLockJSON, NpmShrinkwrap:
		err = r.packageLock()
	case PnpmLock:
		err = r.pnpmLock()
	case YarnLock:
		err = r.yarnLock()
	case BunLock:
		err = r.bunLock()
	case Requirements:
		err = r.requirements()
	case PyProject:
		err = r.pyproject()
	case UVLock:
		err = r.uvLock()
	case PoetryLock:
		err = r.poetryLock()
	case PipfileLock:
		err = r.pipfileLock()
	}
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FileError{Path: path, Err: err}
	}
	redacted := false
	for i := range r.deps {
		d := &r.deps[i]
		res, spec, ver := redactURLs(d.Resolved), redactURLs(d.Spec), redactURLs(d.Version)
		if res != d.Resolved || spec != d.Spec || ver != d.Version {
			d.Resolved, d.Spec, d.Version, redacted = res, spec, ver, true
		}
	}
	if redacted {
		r.deps = dedupeDeps(r.deps)
	}
	res := &Result{Kind: kind, Deps: r.deps, Problems: r.problems, Index: x}
	if r.droppedProblems > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("%d more problems not listed", r.droppedProblems))
	}
	return res, nil
}

// reader holds the state of one Extract call.
type reader struct {
	ctx             context.Context
	path            string
	kind            Kind
	data            []byte
	deps            []Dep
	problems        []string
	droppedProblems int
	graphSteps      int // what is left of MaxGraphSteps
}

// problem records a non-fatal oddity, bounded by MaxProblems.
func (r *reader) problem(format string, args ...any) {
	if len(r.problems) >= MaxProblems {
		r.droppedProblems++
		return
	}
	r.problems = append(r.problems, redactURLs(fmt.Sprintf(format, args...)))
}

// fail wraps err as a FileError at line (0: unknown).
func (r *reader) fail(line int, err error) error {
	return &FileError{Path: r.path, Line: line, Err: err}
}

// malformed wraps a decoder's error as ErrMalformed, keeping its text.
func (r *reader) malformed(line int, err error) error {
	return r.fail(line, fmt.Errorf("%w: %v", ErrMalformed, err))
}

// trimBOM removes the UTF-8 byte order mark some editors put at the start of text files.
func trimBOM(data []byte) []byte {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return data[3:]
	}
	return data
}

// binaryLine reports whether data looks binary (a NUL byte or invalid UTF-8), and the line.
func binaryLine(data []byte) (int, bool) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return lineAt(data, i), true
	}
	if !utf8.Valid(data) {
		// Find the first invalid rune for the line number.
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				return lineAt(data, i), true
			}
			i += size
		}
		return 0, true
	}
	return 0, false
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// extractBunLockb returns the single opaque placeholder of a binary bun.lockb.
func extractBunLockb(data []byte) *Result {
	sum := sha256.Sum256(data)
	return &Result{
		Kind: BunLockb,
		Deps: []Dep{{
			Ecosystem: NPM,
			Name:      "",
			Source:    SourceOther,
			Integrity: "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
			Opaque:    true,
		}},
		Problems: []string{"bun.lockb is a binary lockfile and is not parsed; generate a text bun.lock (bun install --save-text-lockfile) to review its dependencies"},
	}
}

// redactURLs replaces the user information of every URL in s ("https://user:token@host/…")
// with "***", so credentials a lockfile embeds never reach a Dep, a problem or a log. The
// conventional "git@" user of SSH URLs is kept.
func redactURLs(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		end := strings.IndexAny(s, "/?# \t\"'")
		if end < 0 {
			end = len(s)
		}
		if at := strings.LastIndexByte(s[:end], '@'); at >= 0 {
			if s[:at] == "git" {
				b.WriteString(s[:at+1])
			} else {
				b.WriteString("***@")
			}
			s = s[at+1:]
		}
	}
}
