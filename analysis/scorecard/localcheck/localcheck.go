// Package localcheck runs OpenSSF Scorecard's file-based checks (github.com/ossf/scorecard/v5 with its
// localdir client: Binary-Artifacts, Dangerous-Workflow, Pinned-Dependencies, Token-Permissions,
// Security-Policy, License, SAST, Dependency-Update-Tool, Packaging) on an upstream repository's tree at the
// compared commit — never on the repository's head. The tree is materialised from the engine's bare mirror
// (source.Repo) into a temporary directory: regular files only (no symlinks, no submodules), through os.Root so
// no path escapes it, bounded in file count, bytes and path length (Limits), and removed afterwards. Each run
// has a time limit. Checks the local client cannot answer are reported with NoScore and the reason, never as 0.
//
// Nothing from the tree is executed: Scorecard's checks only read files.
//
// It must not import app/, action/ or any GitHub client; it is the only package that imports Scorecard's
// code, so the rule catalogue and the policy stay light.
package localcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	sccheck "github.com/ossf/scorecard/v5/checker"
	"github.com/ossf/scorecard/v5/checks"
	"github.com/ossf/scorecard/v5/clients"
	"github.com/ossf/scorecard/v5/clients/localdir"
	sclog "github.com/ossf/scorecard/v5/log"

	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// Default limits; a zero field of Limits means its default.
const (
	// DefaultMaxFiles bounds the regular files written for one run.
	DefaultMaxFiles = 20_000
	// DefaultMaxBytes bounds the bytes written for one run.
	DefaultMaxBytes int64 = 256 << 20
	// DefaultMaxFileSize bounds one file.
	DefaultMaxFileSize int64 = 32 << 20
	// DefaultMaxPathLength bounds one path of the tree, in bytes.
	DefaultMaxPathLength = 1024
	// DefaultTimeout bounds one run: materialising the tree and running the checks.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxDetails bounds the detail lines kept per check: as many as a stored result keeps.
	DefaultMaxDetails = scorecard.DefaultMaxDetails
	// MaxNameLength bounds one path component, in bytes (what file systems accept).
	MaxNameLength = 255
	// maxTextLength bounds a reason or detail line, in bytes: as long as a stored result's.
	maxTextLength = scorecard.DefaultMaxTextLength
)

// Errors callers can test with errors.Is.
var (
	// ErrTooLarge: the tree exceeds a limit, so the checks were not run (they would have seen part of it).
	ErrTooLarge = errors.New("tree too large for local Scorecard checks")
	// ErrTimeout: the run exceeded Limits.Timeout.
	ErrTimeout = errors.New("local Scorecard checks timed out")
	// ErrUnsafePath: a tree path cannot be written safely (absolute, "..", ".git", control characters).
	ErrUnsafePath = errors.New("unsafe path in tree")
)

// Limits bounds one run. The zero value means every default.
type Limits struct {
	MaxFiles      int           // regular files written (DefaultMaxFiles)
	MaxBytes      int64         // bytes written in all (DefaultMaxBytes)
	MaxFileSize   int64         // bytes of one file (DefaultMaxFileSize)
	MaxPathLength int           // bytes of one path (DefaultMaxPathLength)
	MaxDetails    int           // detail lines kept per check (DefaultMaxDetails)
	Timeout       time.Duration // one run, materialising included (DefaultTimeout)
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxPathLength <= 0 {
		l.MaxPathLength = DefaultMaxPathLength
	}
	if l.MaxDetails <= 0 {
		l.MaxDetails = DefaultMaxDetails
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// Runner runs the local checks. The zero value is usable; it is safe for concurrent use.
type Runner struct {
	Limits Limits
	// TempDir is where trees are materialised (os.TempDir() when "").
	TempDir string
	// Logger receives diagnostics (discarded when nil).
	Logger *slog.Logger
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// Stats says what Materialize wrote and what it left out.
type Stats struct {
	// Files and Bytes count what was written.
	Files int
	Bytes int64
	// Symlinks and Submodules count the entries not written (never followed).
	Symlinks, Submodules int
}

// Tree is what Materialize reads: a tree and its blobs (*source.Repo is one).
type Tree interface {
	// Tree lists the files of commit (paths relative to the root, '/'-separated).
	Tree(ctx context.Context, commit, dir string) (map[string]source.Entry, error)
	// ReadBlob returns a blob's content.
	ReadBlob(ctx context.Context, id string) ([]byte, error)
}

// Run materialises repo's tree at commit into a temporary directory, runs the local checks on it, and removes
// it. The result's checks are those of scorecard.LocalCheckNames(), each scored or with NoScore and the reason.
func (r *Runner) Run(ctx context.Context, repo Tree, repoName, commit string) (*scorecard.Result, error) {
	l := r.Limits.withDefaults()
	ctx, cancel := context.WithTimeoutCause(ctx, l.Timeout, ErrTimeout)
	defer cancel()
	// fail names the step that failed; past the time limit, whatever the step returned, it says so.
	fail := func(step string, err error) error {
		if errors.Is(context.Cause(ctx), ErrTimeout) {
			err = fmt.Errorf("%w after %s", ErrTimeout, l.Timeout)
		}
		return fmt.Errorf("%s %s at %s: %w", step, repoName, report.ShortCommit(commit), err)
	}
	dir, err := os.MkdirTemp(r.TempDir, "mcpvet-scorecard-")
	if err != nil {
		return nil, fmt.Errorf("local Scorecard checks: %w", err)
	}
	st, err := Materialize(ctx, repo, commit, dir, l)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fail("materialise", err)
	}
	// The checks run in their own goroutine: Scorecard's file walks do not all watch ctx. The goroutine owns
	// the directory and removes it when the checks return, even after a timeout.
	type out struct {
		res *scorecard.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := CheckDir(ctx, dir, l)
		if rerr := os.RemoveAll(dir); rerr != nil {
			r.logger().Warn("remove a local Scorecard tree", "dir", dir, "error", rerr)
		}
		done <- out{res, err} // buffered: never blocks, even after a timeout
	}()
	var o out
	select {
	case o = <-done:
	case <-ctx.Done():
		return nil, fail("local Scorecard checks of", ctx.Err())
	}
	if o.err != nil {
		return nil, fail("local Scorecard checks of", o.err)
	}
	r.logger().Debug("local Scorecard checks", "repo", repoName, "commit", report.ShortCommit(commit), "files", st.Files, "bytes", st.Bytes)
	o.res.Repo, o.res.Commit = repoName, strings.ToLower(commit)
	if st.Symlinks > 0 || st.Submodules > 0 {
		o.res.Notes = append(o.res.Notes, fmt.Sprintf("%d symlinks and %d submodules of the tree were not examined", st.Symlinks, st.Submodules))
	}
	return o.res, nil
}

// Materialize writes the regular files of repo's tree at commit under dir, which must exist. Every path is
// checked (relative, no "..", no ".git" component, no control characters, at most MaxPathLength bytes and
// MaxNameLength per component) and written through os.Root, so nothing lands outside dir. Symlinks and
// submodules are counted, never written. Exceeding MaxFiles, MaxBytes or MaxFileSize is ErrTooLarge.
func Materialize(ctx context.Context, repo Tree, commit, dir string, l Limits) (Stats, error) {
	l = l.withDefaults()
	var st Stats
	entries, err := repo.Tree(ctx, commit, "")
	if err != nil {
		return st, fmt.Errorf("list tree: %w", err)
	}
	paths := make([]string, 0, len(entries))
	for p, e := range entries {
		switch e.Mode {
		case "100644", "100755", "100664":
			paths = append(paths, p)
		case "120000":
			st.Symlinks++
		default:
			st.Submodules++
		}
	}
	if len(paths) > l.MaxFiles {
		return st, fmt.Errorf("%w: %d files, at most %d", ErrTooLarge, len(paths), l.MaxFiles)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := checkPath(p, l.MaxPathLength); err != nil {
			return st, err
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return st, fmt.Errorf("open %s: %w", dir, err)
	}
	defer root.Close()
	made := map[string]bool{}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return st, context.Cause(ctx)
		}
		data, err := repo.ReadBlob(ctx, entries[p].ID)
		if errors.Is(err, source.ErrTooLarge) {
			return st, fmt.Errorf("%w: %s is larger than the repository's blob limit", ErrTooLarge, p)
		}
		if err != nil {
			return st, fmt.Errorf("read %s: %w", p, err)
		}
		if int64(len(data)) > l.MaxFileSize {
			return st, fmt.Errorf("%w: %s has %d bytes, at most %d per file", ErrTooLarge, p, len(data), l.MaxFileSize)
		}
		if st.Bytes+int64(len(data)) > l.MaxBytes {
			return st, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, l.MaxBytes)
		}
		if d := path.Dir(p); d != "." && !made[d] {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return st, fmt.Errorf("write %s: %w", p, err)
			}
			made[d] = true
		}
		f, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return st, fmt.Errorf("write %s: %w", p, err)
		}
		_, werr := f.Write(data)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			return st, fmt.Errorf("write %s: %w", p, errors.Join(werr, cerr))
		}
		st.Files++
		st.Bytes += int64(len(data))
	}
	return st, nil
}

// checkPath refuses a tree path that cannot be written as is under the root.
func checkPath(p string, maxLen int) error {
	switch {
	case len(p) > maxLen:
		return fmt.Errorf("%w: a path of %d bytes, at most %d", ErrTooLarge, len(p), maxLen)
	case p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\"):
		return fmt.Errorf("%w: %q", ErrUnsafePath, p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q has control characters", ErrUnsafePath, p)
		}
	}
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == "." || c == "..":
			return fmt.Errorf("%w: %q", ErrUnsafePath, p)
		case strings.EqualFold(c, ".git"):
			return fmt.Errorf("%w: %q has a .git component", ErrUnsafePath, p)
		case len(c) > MaxNameLength:
			return fmt.Errorf("%w: a path component of %d bytes, at most %d", ErrTooLarge, len(c), MaxNameLength)
		}
	}
	return nil
}

// CheckDir runs the local checks on dir, a tree already on disk, one after another, each with the localdir
// client. Checks the local client cannot answer have NoScore and the reason; a check that panics on a hostile
// tree is reported the same way instead of taking the process down (Scorecard's own runner does not recover).
func CheckDir(ctx context.Context, dir string, l Limits) (*scorecard.Result, error) {
	l = l.withDefaults()
	repo, err := localdir.MakeLocalDirRepo(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	client := localdir.CreateLocalDirClient(ctx, sclog.NewLogger(sclog.ErrorLevel))
	if err := client.InitRepo(repo, clients.HeadSHA, 0); err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	defer client.Close()
	raw := &sccheck.RawResults{}
	raw.Metadata.Metadata = map[string]string{ // what Scorecard's own runner sets for the probes' remediations
		"repository.host": repo.Host(), "repository.name": repo.URI(), "repository.uri": repo.URI(),
		"repository.sha1": "unknown", "repository.defaultBranch": "unknown", "localPath": dir,
	}
	req := &sccheck.CheckRequest{Ctx: ctx, RepoClient: client, Repo: repo, RawResults: raw,
		RequiredTypes: []sccheck.RequestType{sccheck.FileBased}}
	res := &scorecard.Result{Source: scorecard.SourceLocal, Date: time.Now().UTC(), Version: Version(), Score: scorecard.NoScore}
	all := checks.GetAll()
	for _, name := range scorecard.LocalCheckNames() {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		c, ok := all[name]
		if !ok {
			res.Checks = append(res.Checks, scorecard.Check{Name: name, Score: scorecard.NoScore,
				Reason: "this build of Scorecard has no such check"})
			continue
		}
		res.Checks = append(res.Checks, runCheck(ctx, name, req, c, l.MaxDetails))
	}
	return res, nil
}

// runCheck runs one check, turning a panic into a check without a score.
func runCheck(ctx context.Context, name string, req *sccheck.CheckRequest, c sccheck.Check, maxDetails int) (out scorecard.Check) {
	defer func() {
		if p := recover(); p != nil {
			out = scorecard.Check{Name: name, Score: scorecard.NoScore, Reason: clip(fmt.Sprintf("the check failed on this tree: %v", p))}
		}
	}()
	return convert(sccheck.NewRunner(name, req.Repo.URI(), req).Run(ctx, c), maxDetails)
}

// convert turns one of Scorecard's check results into ours: an error or an inconclusive score is NoScore
// with the reason.
func convert(c sccheck.CheckResult, maxDetails int) scorecard.Check {
	out := scorecard.Check{Name: c.Name, Score: c.Score, Reason: clip(c.Reason)}
	switch {
	case c.Error != nil:
		out.Score = scorecard.NoScore
		out.Reason = clip("the local client cannot answer it: " + c.Error.Error())
	case c.Score < sccheck.MinResultScore || c.Score > sccheck.MaxResultScore:
		out.Score = scorecard.NoScore
		if out.Reason == "" {
			out.Reason = "inconclusive"
		}
	}
	for _, d := range c.Details {
		if d.Type == sccheck.DetailDebug {
			continue
		}
		if len(out.Details) == maxDetails {
			break
		}
		out.Details = append(out.Details, clip(detail(d)))
	}
	return out
}

// detail prints one detail like Scorecard's own output: "Warn: text: path:line". Probe-based checks put the
// text and place in the detail's structured finding.
func detail(d sccheck.CheckDetail) string {
	kind := "Info"
	if d.Type == sccheck.DetailWarn {
		kind = "Warn"
	}
	text, file, line := d.Msg.Text, d.Msg.Path, d.Msg.Offset
	if f := d.Msg.Finding; f != nil {
		if text == "" {
			text = f.Message
		}
		if file == "" && f.Location != nil {
			file = f.Location.Path
			if f.Location.LineStart != nil {
				line = *f.Location.LineStart
			}
		}
	}
	s := kind + ": " + text
	if file != "" {
		s += ": " + file
		if line > 0 {
			s += fmt.Sprintf(":%d", line)
		}
	}
	return s
}

// Version is the version of github.com/ossf/scorecard/v5 built into this binary ("" when it cannot be told).
// Scorecard's own version report names the main module's version, which is mcpvet's.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return versionIn(bi)
}

// versionIn finds Scorecard's module version in a binary's build information (test binaries list no
// dependencies).
func versionIn(bi *debug.BuildInfo) string {
	for _, d := range bi.Deps {
		if d.Path == scorecardModule {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// scorecardModule is the module whose checks run here.
const scorecardModule = "github.com/ossf/scorecard/v5"

// clip makes a reason or detail line from the checks safe to keep: they quote the hostile tree.
func clip(s string) string { return scorecard.CleanText(s, maxTextLength) }
