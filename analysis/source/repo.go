package source

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Repo is an opened bare mirror. Its methods are safe for concurrent use;
// Close stops the helper processes.
type Repo struct {
	gitDir string
	claim  Claim
	limits Limits
	rn     *runner
	home   string // temporary empty HOME owned by this Repo, removed by Close
	batch  *batch
	logger *slog.Logger

	indexMu sync.Mutex
	index   *Index
}

// Entry is one file of a tree.
type Entry struct {
	// ID is the object id: a blob, or a commit for a submodule (gitlink).
	ID string
	// Mode is git's octal mode: "100644", "100755", "120000" (symlink) or
	// "160000" (submodule).
	Mode string
}

// CommitInfo describes one commit.
type CommitInfo struct {
	SHA     string
	Short   string // the first 7 hex digits
	Time    time.Time
	Subject string
}

// OpenLocal opens an existing bare repository (a mirror fetched earlier, or
// one built by a test); display is the claim it stands for in reports.
func OpenLocal(ctx context.Context, gitDir string, display Claim) (*Repo, error) {
	return openRepo(ctx, gitDir, display, Limits{}, nil)
}

func openRepo(ctx context.Context, gitDir string, display Claim, limits Limits, logger *slog.Logger) (*Repo, error) {
	abs, err := filepath.Abs(gitDir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", gitDir, err)
	}
	if st, err := os.Stat(filepath.Join(abs, "HEAD")); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("open %s: not a bare git repository: %w", gitDir, ErrNotFound)
	}
	home, err := os.MkdirTemp("", "mcpvet-git-home-")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", gitDir, err)
	}
	rn, err := newRunner(home)
	if err != nil {
		os.RemoveAll(home)
		return nil, fmt.Errorf("open %s: %w", gitDir, err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Repo{
		gitDir: abs,
		claim:  display,
		limits: limits.withDefaults(),
		rn:     rn,
		home:   home,
		batch:  &batch{rn: rn, gitDir: abs},
		logger: logger,
	}
	if _, err := r.rn.output(ctx, abs, 1<<10, "rev-parse", "--is-bare-repository"); err != nil {
		r.Close()
		return nil, fmt.Errorf("open %s: %w", gitDir, err)
	}
	return r, nil
}

// Close stops the helper processes. The mirror stays on disk.
func (r *Repo) Close() error {
	r.batch.close()
	if r.home != "" {
		os.RemoveAll(r.home)
	}
	return nil
}

// Claim returns the claim this repository was opened for.
func (r *Repo) Claim() Claim { return r.claim }

// GitDir returns the path of the bare repository.
func (r *Repo) GitDir() string { return r.gitDir }

// ResolveCommit reports whether rev, a full or abbreviated (at least 4 hex
// digits) SHA, names exactly one commit, and returns its full SHA. Anything
// else (branch names, expressions) is not looked up and yields false.
func (r *Repo) ResolveCommit(ctx context.Context, rev string) (string, bool, error) {
	rev = strings.ToLower(strings.TrimSpace(rev))
	if len(rev) < 4 || len(rev) > 64 || !isHex(rev) {
		return "", false, nil
	}
	oi, err := r.batch.info(ctx, rev+"^{commit}")
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("resolve %s in %s: %w", rev, r.claim, err)
	}
	if oi.Type != "commit" {
		return "", false, nil
	}
	return oi.ID, true, nil
}

// Tags returns every tag name (without refs/tags/) with the commit it peels
// to; tags of trees or blobs are left out. At most Limits.MaxTags tags are
// read.
func (r *Repo) Tags(ctx context.Context) (map[string]string, error) {
	out, err := r.rn.output(ctx, r.gitDir, r.limits.MaxGitOutput, "for-each-ref",
		"--count="+strconv.Itoa(r.limits.MaxTags+1),
		"--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)", "refs/tags/")
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", r.claim, err)
	}
	tags := map[string]string{}
	n := 0
	for line := range strings.SplitSeq(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		n++
		if n > r.limits.MaxTags {
			return nil, fmt.Errorf("list tags of %s: more than %d tags: %w", r.claim, r.limits.MaxTags, ErrTooLarge)
		}
		f := strings.Split(line, "\x00")
		if len(f) != 5 {
			continue
		}
		name, typ, id, ptyp, pid := f[0], f[1], f[2], f[3], f[4]
		switch {
		case typ == "commit":
			tags[name] = id
		case typ == "tag" && ptyp == "commit":
			tags[name] = pid
		case typ == "tag" && ptyp == "tag":
			// A tag of a tag: let git peel the chain.
			if sha, ok, err := r.ResolveCommit(ctx, id); err != nil {
				return nil, err
			} else if ok {
				tags[name] = sha
			}
		}
	}
	return tags, nil
}

// Tree lists the files (blobs, symlinks and submodules) under dir in commit,
// with paths relative to dir. dir "" is the root. A dir missing from the
// commit yields ErrNotFound; more than Limits.MaxTreeEntries entries yield
// ErrTooLarge.
func (r *Repo) Tree(ctx context.Context, commit, dir string) (map[string]Entry, error) {
	commit = strings.ToLower(commit)
	if len(commit) < 4 || len(commit) > 64 || !isHex(commit) {
		return nil, fmt.Errorf("tree %q: not a commit id: %w", truncate(commit, 80), ErrNotFound)
	}
	dir, err := cleanDirectory(dir)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", commit, err)
	}
	treeish := commit + "^{tree}"
	if dir != "" {
		treeish = commit + ":" + dir
	}
	// Check the object first so a missing path is ErrNotFound, not a git error.
	oi, err := r.batch.info(ctx, treeish)
	if err != nil {
		return nil, fmt.Errorf("tree %s:%s in %s: %w", shortSHA(commit), dir, r.claim, err)
	}
	if oi.Type != "tree" {
		return nil, fmt.Errorf("tree %s:%s in %s is a %s: %w", shortSHA(commit), dir, r.claim, oi.Type, ErrNotFound)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := r.rn.command(ctx, r.gitDir, "ls-tree", "-r", "-z", "--full-tree", oi.ID)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ls-tree: %w", err)
	}
	stderr := &limitedBuffer{max: maxStderrBytes}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ls-tree: %w", err)
	}
	entries := map[string]Entry{}
	br := bufio.NewReaderSize(stdout, 64<<10)
	var parseErr error
	for {
		rec, err := readToken(br, maxPathBytes+128)
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTokenTooLong) {
			continue // an absurd path: skip it
		}
		if err != nil {
			parseErr = err
			break
		}
		// "<mode> SP <type> SP <object> TAB <file>"
		meta, name, ok := strings.Cut(string(rec), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			parseErr = fmt.Errorf("ls-tree: unexpected output %q", truncate(string(rec), 80))
			break
		}
		if len(entries) >= r.limits.MaxTreeEntries {
			parseErr = fmt.Errorf("tree %s:%s in %s has more than %d entries: %w", shortSHA(commit), dir, r.claim, r.limits.MaxTreeEntries, ErrTooLarge)
			break
		}
		entries[name] = Entry{ID: f[2], Mode: f[0]}
	}
	if parseErr != nil {
		cancel()
		cmd.Wait()
		return nil, parseErr
	}
	if err := cmd.Wait(); err != nil {
		return nil, &gitError{Sub: "ls-tree", Stderr: r.rn.scrub(stderr.buf.String()), Err: err}
	}
	return entries, nil
}

var errTokenTooLong = errors.New("token too long")

// readToken reads up to the next NUL (dropped). A token longer than max is
// consumed and reported as errTokenTooLong.
func readToken(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice(0)
		if !tooLong {
			if len(buf)+len(chunk) > max+1 {
				tooLong = true
				buf = nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, errTokenTooLong
			}
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && (len(buf) > 0 || tooLong):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// ReadBlob returns the content of blob id (a full SHA), at most
// Limits.MaxBlobSize bytes (else ErrTooLarge).
func (r *Repo) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	id = strings.ToLower(id)
	if (len(id) != 40 && len(id) != 64) || !isHex(id) {
		return nil, fmt.Errorf("read blob %q: not an object id: %w", truncate(id, 80), ErrNotFound)
	}
	data, _, err := r.batch.contents(ctx, id, "blob", r.limits.MaxBlobSize)
	if err != nil {
		return nil, fmt.Errorf("read blob %s from %s: %w", id, r.claim, err)
	}
	return data, nil
}

// CommitInfo returns the SHA, short SHA, author time and subject of a commit.
func (r *Repo) CommitInfo(ctx context.Context, sha string) (CommitInfo, error) {
	full, ok, err := r.ResolveCommit(ctx, sha)
	if err != nil {
		return CommitInfo{}, err
	}
	if !ok {
		return CommitInfo{}, fmt.Errorf("commit %q in %s: %w", truncate(sha, 80), r.claim, ErrNotFound)
	}
	data, _, err := r.batch.contents(ctx, full, "commit", r.limits.MaxBlobSize)
	if err != nil {
		return CommitInfo{}, fmt.Errorf("commit %s in %s: %w", full, r.claim, err)
	}
	info := CommitInfo{SHA: full, Short: shortSHA(full)}
	header, msg, _ := bytes.Cut(data, []byte("\n\n"))
	for line := range bytes.SplitSeq(header, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("author ")); ok {
			info.Time = signatureTime(rest)
		}
	}
	subject, _, _ := bytes.Cut(bytes.TrimLeft(msg, "\n"), []byte("\n"))
	info.Subject = truncate(strings.ToValidUTF8(strings.TrimSpace(string(subject)), "\uFFFD"), 1000)
	return info, nil
}

// signatureTime parses the time of "Name <email> 1700000000 +0100".
func signatureTime(sig []byte) time.Time {
	i := bytes.LastIndexByte(sig, '>')
	if i < 0 {
		return time.Time{}
	}
	f := strings.Fields(string(sig[i+1:]))
	if len(f) < 1 {
		return time.Time{}
	}
	secs, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(secs, 0).UTC()
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// BlobID returns git's object id of a blob with this content: the SHA-1 of
// "blob <len>\x00" followed by data, in lower-case hex.
func BlobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// treeEntry is one entry of a raw tree object.
type treeEntry struct {
	mode string
	name string
	id   string
}

func (e treeEntry) isTree() bool { return e.mode == "40000" || e.mode == "040000" }

func (e treeEntry) isBlob() bool {
	return e.mode == "100644" || e.mode == "100755" || e.mode == "120000" || e.mode == "100664"
}

// readTree reads and parses one tree object.
func (r *Repo) readTree(ctx context.Context, id string) ([]treeEntry, error) {
	data, err := r.batch.contentsDirect(ctx, id, "tree", r.limits.MaxTreeObjectBytes)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", id, err)
	}
	return parseTree(data)
}

// parseTree parses git's binary tree format: "<mode> <name>\0<20-byte id>"…
func parseTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 || sp > 7 {
			return nil, fmt.Errorf("malformed tree object")
		}
		nul := bytes.IndexByte(data[sp+1:], 0)
		if nul < 0 || len(data) < sp+1+nul+1+20 {
			return nil, fmt.Errorf("malformed tree object")
		}
		mode := string(data[:sp])
		name := string(data[sp+1 : sp+1+nul])
		idStart := sp + 1 + nul + 1
		out = append(out, treeEntry{mode: mode, name: name, id: hex.EncodeToString(data[idStart : idStart+20])})
		data = data[idStart+20:]
	}
	return out, nil
}
