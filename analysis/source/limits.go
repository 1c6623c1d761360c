package source

import (
	"errors"
	"fmt"
	"time"
)

// Limits on claims and README scanning. They are fixed: claims are small.
const (
	// MaxClaimBytes bounds the raw JSON of a `repository`, `homepage` or
	// `bugs` field.
	MaxClaimBytes = 8 << 10
	// MaxURLLength bounds a repository URL or shorthand, in bytes.
	MaxURLLength = 2048
	// MaxNameLength bounds one owner, group or repository name segment.
	MaxNameLength = 100
	// MaxPathSegments bounds the number of path segments of a project path on
	// non-GitHub hosts (GitLab allows 20 nested groups).
	MaxPathSegments = 21
	// MaxDirectoryLength bounds a claimed directory, in bytes.
	MaxDirectoryLength = 1024
	// MaxRefLength bounds a claimed ref (fragment or /tree/<ref>/), in bytes.
	MaxRefLength = 255
	// MaxCandidates bounds the number of inferred claims InferCandidates returns.
	MaxCandidates = 5
	// MaxReadmeScanBytes is how much of a README InferCandidates scans for links.
	MaxReadmeScanBytes = 1 << 20
	// MaxReadmeLinks bounds the distinct repositories counted in one README.
	MaxReadmeLinks = 1000
)

// Default limits on fetching and reading repositories; a zero field of
// [Limits] means the matching default.
const (
	// DefaultMaxMirrorBytes bounds the on-disk size of one bare mirror.
	DefaultMaxMirrorBytes int64 = 2 << 30
	// DefaultMaxBlobSize bounds one blob read with ReadBlob.
	DefaultMaxBlobSize int64 = 64 << 20
	// DefaultMaxTreeObjectBytes bounds one raw tree object read while matching.
	DefaultMaxTreeObjectBytes int64 = 16 << 20
	// DefaultMaxTreeEntries bounds the files Tree lists.
	DefaultMaxTreeEntries = 200_000
	// DefaultMaxTags bounds the tags Tags reads.
	DefaultMaxTags = 20_000
	// DefaultMaxIndexCommits bounds the commits the history index reads.
	DefaultMaxIndexCommits = 20_000
	// DefaultMaxIndexChanges bounds the (commit, path, blob) changes the
	// history index reads.
	DefaultMaxIndexChanges = 2_000_000
	// DefaultMaxTreeMatchCommits bounds the newest commits scored by tree match.
	DefaultMaxTreeMatchCommits = 5000
	// DefaultMaxTieBreakCommits bounds the tied commits compared line by line.
	DefaultMaxTieBreakCommits = 20
	// DefaultMaxTieBreakBytes bounds the bytes (published and upstream) read to
	// break ties between equally scored commits.
	DefaultMaxTieBreakBytes int64 = 32 << 20
	// DefaultMaxPackageJSONBytes bounds one package.json blob read to learn its
	// name and version; larger ones are skipped.
	DefaultMaxPackageJSONBytes int64 = 1 << 20
	// DefaultMaxPackageJSONReads bounds how many package.json blobs one
	// resolution reads.
	DefaultMaxPackageJSONReads = 2000
	// DefaultMaxResolveFiles bounds the published files one resolution takes.
	DefaultMaxResolveFiles = 50_000
	// DefaultMaxGitOutput bounds the output of one buffered git command.
	DefaultMaxGitOutput int64 = 64 << 20
	// DefaultFetchTimeout bounds one fetch (and how old a mirror lock file
	// must be to be considered stale).
	DefaultFetchTimeout = 10 * time.Minute
)

// maxStderrBytes bounds the git stderr kept for error messages.
const maxStderrBytes = 4 << 10

// maxPathBytes bounds one path read from git output; longer entries are
// skipped by the index.
const maxPathBytes = 4096

// Limits bounds the work done on one repository. The zero value means every
// default above.
type Limits struct {
	MaxMirrorBytes      int64
	MaxBlobSize         int64
	MaxTreeObjectBytes  int64
	MaxTreeEntries      int
	MaxTags             int
	MaxIndexCommits     int
	MaxIndexChanges     int
	MaxTreeMatchCommits int
	MaxTieBreakCommits  int
	MaxTieBreakBytes    int64
	MaxPackageJSONBytes int64
	MaxPackageJSONReads int
	MaxResolveFiles     int
	MaxGitOutput        int64
}

// withDefaults returns l with every zero (or negative) field set to its default.
func (l Limits) withDefaults() Limits {
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64(&l.MaxMirrorBytes, DefaultMaxMirrorBytes)
	def64(&l.MaxBlobSize, DefaultMaxBlobSize)
	def64(&l.MaxTreeObjectBytes, DefaultMaxTreeObjectBytes)
	def(&l.MaxTreeEntries, DefaultMaxTreeEntries)
	def(&l.MaxTags, DefaultMaxTags)
	def(&l.MaxIndexCommits, DefaultMaxIndexCommits)
	def(&l.MaxIndexChanges, DefaultMaxIndexChanges)
	def(&l.MaxTreeMatchCommits, DefaultMaxTreeMatchCommits)
	def(&l.MaxTieBreakCommits, DefaultMaxTieBreakCommits)
	def64(&l.MaxTieBreakBytes, DefaultMaxTieBreakBytes)
	def64(&l.MaxPackageJSONBytes, DefaultMaxPackageJSONBytes)
	def(&l.MaxPackageJSONReads, DefaultMaxPackageJSONReads)
	def(&l.MaxResolveFiles, DefaultMaxResolveFiles)
	def64(&l.MaxGitOutput, DefaultMaxGitOutput)
	return l
}

// Errors callers can test with errors.Is.
var (
	// ErrInvalidClaim reports a repository claim that cannot be parsed or
	// fails validation.
	ErrInvalidClaim = errors.New("invalid repository claim")
	// ErrRepoNotFound reports that the server says the repository does not
	// exist (or is not readable anonymously).
	ErrRepoNotFound = errors.New("repository not found")
	// ErrRefused reports a policy refusal (SSRF protection, scheme, host);
	// the error is a *RefusedError carrying the reason.
	ErrRefused = errors.New("refused")
	// ErrTooLarge reports that a bound in Limits was exceeded.
	ErrTooLarge = errors.New("too large")
	// ErrNotFound reports an object, commit or path missing from a repository.
	ErrNotFound = errors.New("not found")
)

// RefusedError is a policy refusal with its reason. It matches ErrRefused.
type RefusedError struct {
	Reason string
}

// Error implements error.
func (e *RefusedError) Error() string { return "refused: " + e.Reason }

// Is reports whether target is ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

func refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}
