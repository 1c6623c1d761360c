package ghapi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/analysis/deps"
)

// Limits on what a pull request or comparison may contain.
const (
	// MaxPullFiles is the most changed files GitHub's pull request files API lists; a pull request with
	// more is refused (ErrTooManyFiles) rather than reviewed in part.
	MaxPullFiles = 3000
	// MaxCompareFiles is the most changed files GitHub's compare API lists; a comparison listing that
	// many may be cut short, so it is refused (ErrTooManyFiles).
	MaxCompareFiles = 300
	// MaxPathLength bounds a repository path read or listed.
	MaxPathLength = 4096
	// MaxReadCacheBytes bounds the file contents a PR keeps in memory after reading them (InDiff reads
	// a file's two sides again when they are not kept).
	MaxReadCacheBytes = 32 << 20
)

// ErrStaleHead is returned (wrapped) by OpenPRAt when the pull request's head is no longer the commit
// the caller was asked to review.
var ErrStaleHead = errors.New("the pull request's head moved on")

// ErrTooManyFiles is returned (wrapped) when the API cannot list every changed file.
var ErrTooManyFiles = errors.New("too many changed files to list through the GitHub API")

// ErrInvalid is returned (wrapped) for arguments or API answers that cannot be right: a malformed
// repository name or commit id, a path escaping the repository.
var ErrInvalid = errors.New("invalid")

// PRInfo describes a pull request (or, from OpenCompare, a comparison: Number 0).
type PRInfo struct {
	Owner, Repo string
	Number      int
	// BaseSHA is the base commit: the pull request's base.sha, or the comparison's base.
	BaseSHA, HeadSHA string
	BaseRef          string
	Author           string
	AuthorType       string // "Bot", "User", …
	Draft            bool
	State            string // "open", "closed"
	// HeadRepo is the head repository ("owner/name"); Fork is true when it is not the base repository.
	HeadRepo string
	Fork     bool
}

// PR is a pull request's (or a comparison's) two trees read through the GitHub API; it implements
// analysis/deps.PR. Files are read at BaseSHA and HeadSHA with the contents API's raw media type (any
// size up to deps.MaxFileSize). It is safe for concurrent use.
type PR struct {
	c    *github.Client
	info PRInfo
	// diffBase is the commit the changed files are relative to: the pull request's base.sha, or the
	// comparison's merge base.
	diffBase string
	files    map[string]*changedFile
	paths    []string

	mu         sync.Mutex
	contents   map[string][]byte // "base\x00path" / "head\x00path"
	cacheBytes int
	hunks      map[string][]lineRange
}

// changedFile is one entry of the files API.
type changedFile struct {
	status   string
	previous string
	patch    string
	hasPatch bool
}

// OpenPR reads pull request number of owner/repo and lists its changed files (paginated, at most
// MaxPullFiles).
func OpenPR(ctx context.Context, c *github.Client, owner, repo string, number int) (*PR, error) {
	return openPR(ctx, c, owner, repo, number, "")
}

// OpenPRAt is OpenPR for the review of one head commit: when the pull request's head is no longer
// headSHA (before or after its files are listed) it fails with an error wrapping ErrStaleHead.
func OpenPRAt(ctx context.Context, c *github.Client, owner, repo string, number int, headSHA string) (*PR, error) {
	if !isHexSHA(headSHA) {
		return nil, fmt.Errorf("head %q: %w commit id", headSHA, ErrInvalid)
	}
	return openPR(ctx, c, owner, repo, number, strings.ToLower(headSHA))
}

func openPR(ctx context.Context, c *github.Client, owner, repo string, number int, want string) (*PR, error) {
	if !validName(owner) || !validName(repo) || number <= 0 {
		return nil, fmt.Errorf("pull request %q/%q#%d: %w repository or number", owner, repo, number, ErrInvalid)
	}
	name := fmt.Sprintf("%s/%s#%d", owner, repo, number)
	info, changed, err := readPull(ctx, c, owner, repo, number)
	if err != nil {
		return nil, err
	}
	if want != "" && info.HeadSHA != want {
		return nil, fmt.Errorf("%s is at %s, not %s: %w", name, short(info.HeadSHA), short(want), ErrStaleHead)
	}
	if changed > MaxPullFiles {
		return nil, fmt.Errorf("%s changes %d files, the API lists at most %d: %w", name, changed, MaxPullFiles, ErrTooManyFiles)
	}
	p := newPR(c, info, info.BaseSHA)
	opts := &github.ListOptions{PerPage: 100}
	for page := 0; ; page++ {
		if page > MaxPullFiles/opts.PerPage {
			return nil, fmt.Errorf("list files of %s: more than %d pages: %w", name, page, ErrTooManyFiles)
		}
		files, resp, err := c.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list files of %s: %w", name, err)
		}
		if err := p.addFiles(files); err != nil {
			return nil, fmt.Errorf("list files of %s: %w", name, err)
		}
		if len(p.files) > MaxPullFiles {
			return nil, fmt.Errorf("list files of %s: more than %d: %w", name, MaxPullFiles, ErrTooManyFiles)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if want != "" {
		// The files API lists the current head's files: make sure that is still the head reviewed (a
		// conditional request, answered from the ETag cache when nothing changed).
		again, _, err := readPull(ctx, c, owner, repo, number)
		if err != nil {
			return nil, err
		}
		if again.HeadSHA != want {
			return nil, fmt.Errorf("%s moved to %s while its files were listed: %w", name, short(again.HeadSHA), ErrStaleHead)
		}
	}
	p.finish()
	return p, nil
}

// readPull reads a pull request's description and its changed_files count.
func readPull(ctx context.Context, c *github.Client, owner, repo string, number int) (PRInfo, int, error) {
	name := fmt.Sprintf("%s/%s#%d", owner, repo, number)
	pr, _, err := c.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return PRInfo{}, 0, fmt.Errorf("read pull request %s: %w", name, err)
	}
	info := PRInfo{
		Owner: owner, Repo: repo, Number: number,
		BaseSHA: strings.ToLower(pr.GetBase().GetSHA()), HeadSHA: strings.ToLower(pr.GetHead().GetSHA()),
		BaseRef: pr.GetBase().GetRef(), Author: pr.GetUser().GetLogin(), AuthorType: pr.GetUser().GetType(),
		Draft: pr.GetDraft(), State: pr.GetState(), HeadRepo: pr.GetHead().GetRepo().GetFullName(),
	}
	info.Fork = info.HeadRepo != "" && !strings.EqualFold(info.HeadRepo, pr.GetBase().GetRepo().GetFullName())
	if !isHexSHA(info.BaseSHA) || !isHexSHA(info.HeadSHA) {
		return PRInfo{}, 0, fmt.Errorf("pull request %s: base %q or head %q: %w commit id", name,
			truncateString(info.BaseSHA, 80), truncateString(info.HeadSHA, 80), ErrInvalid)
	}
	return info, pr.GetChangedFiles(), nil
}

// OpenCompare reads the comparison of two commits of owner/repo (a push, a merge group, a manual run):
// its changed files are those between their merge base and headSHA, which ReadBase reads at; Number is 0.
func OpenCompare(ctx context.Context, c *github.Client, owner, repo, baseSHA, headSHA string) (*PR, error) {
	if !validName(owner) || !validName(repo) {
		return nil, fmt.Errorf("repository %q/%q: %w name", owner, repo, ErrInvalid)
	}
	if !isHexSHA(baseSHA) || !isHexSHA(headSHA) {
		return nil, fmt.Errorf("compare %q...%q: %w commit ids", baseSHA, headSHA, ErrInvalid)
	}
	baseSHA, headSHA = strings.ToLower(baseSHA), strings.ToLower(headSHA)
	name := fmt.Sprintf("%s/%s %s...%s", owner, repo, short(baseSHA), short(headSHA))
	cmp, _, err := c.Repositories.CompareCommits(ctx, owner, repo, baseSHA, headSHA, &github.ListOptions{PerPage: 1})
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", name, err)
	}
	if len(cmp.Files) >= MaxCompareFiles {
		return nil, fmt.Errorf("compare %s: %d files listed, the API lists at most %d: %w", name, len(cmp.Files), MaxCompareFiles, ErrTooManyFiles)
	}
	mergeBase := strings.ToLower(cmp.GetMergeBaseCommit().GetSHA())
	if !isHexSHA(mergeBase) {
		return nil, fmt.Errorf("compare %s: merge base %q: %w commit id", name, mergeBase, ErrInvalid)
	}
	p := newPR(c, PRInfo{Owner: owner, Repo: repo, BaseSHA: baseSHA, HeadSHA: headSHA, HeadRepo: owner + "/" + repo}, mergeBase)
	if err := p.addFiles(cmp.Files); err != nil {
		return nil, fmt.Errorf("compare %s: %w", name, err)
	}
	p.finish()
	return p, nil
}

func newPR(c *github.Client, info PRInfo, diffBase string) *PR {
	return &PR{c: c, info: info, diffBase: diffBase, files: map[string]*changedFile{},
		contents: map[string][]byte{}, hunks: map[string][]lineRange{}}
}

func (p *PR) addFiles(files []*github.CommitFile) error {
	for _, f := range files {
		name, prev := f.GetFilename(), f.GetPreviousFilename()
		if err := checkPath(name); err != nil {
			return err
		}
		if prev != "" {
			if err := checkPath(prev); err != nil {
				return err
			}
		}
		p.files[name] = &changedFile{status: f.GetStatus(), previous: prev, patch: f.GetPatch(), hasPatch: f.Patch != nil}
	}
	return nil
}

// finish computes the changed paths: every file, and the old name of a renamed one (as a deletion).
func (p *PR) finish() {
	seen := map[string]bool{}
	for name, f := range p.files {
		seen[name] = true
		if f.previous != "" {
			seen[f.previous] = true
		}
	}
	for name := range seen {
		p.paths = append(p.paths, name)
	}
	sort.Strings(p.paths)
}

// Info describes the pull request or comparison.
func (p *PR) Info() PRInfo { return p.info }

// ChangedPaths lists the changed paths, '/'-separated, sorted; a renamed file is listed under both names.
func (p *PR) ChangedPaths(context.Context) ([]string, error) { return slices.Clone(p.paths), nil }

// ReadBase returns a file's content at the base (the merge base of a comparison); an error wrapping
// fs.ErrNotExist when there is no file at path.
func (p *PR) ReadBase(ctx context.Context, path string) ([]byte, error) {
	return p.read(ctx, "base", p.diffBase, path)
}

// ReadHead returns a file's content at the head; an error wrapping fs.ErrNotExist when there is no file
// at path.
func (p *PR) ReadHead(ctx context.Context, path string) ([]byte, error) {
	return p.read(ctx, "head", p.info.HeadSHA, path)
}

func (p *PR) read(ctx context.Context, side, ref, path string) ([]byte, error) {
	key := side + "\x00" + path
	p.mu.Lock()
	data, ok := p.contents[key]
	p.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := readFile(ctx, p.c, p.info.Owner, p.info.Repo, ref, path, deps.MaxFileSize)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.cacheBytes+len(data) <= MaxReadCacheBytes {
		p.contents[key] = data
		p.cacheBytes += len(data)
	}
	p.mu.Unlock()
	return data, nil
}

// readFile reads one file at commit ref with the contents API's raw media type (files up to GitHub's
// 100 MB, not only the 1 MB of its JSON form), at most limit bytes (deps.MaxFileSize).
func readFile(ctx context.Context, c *github.Client, owner, repo, ref, path string, limit int64) ([]byte, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	at := fmt.Sprintf("%s at %s", path, short(ref))
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(owner), url.PathEscape(repo), escapePath(path), url.QueryEscape(ref))
	req, err := c.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", at, err)
	}
	req.Header.Set("Accept", "application/vnd.github.raw")
	resp, err := c.BareDo(ctx, req)
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound &&
			!strings.Contains(strings.ToLower(er.Message), "no commit found") {
			return nil, fmt.Errorf("%s: %w", at, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("read %s: %w", at, err)
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		// A directory (or submodule) lists its entries as JSON even when raw content is asked for.
		return nil, fmt.Errorf("%s is not a file: %w", at, fs.ErrNotExist)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%s is %d bytes; at most %d are read", at, resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", at, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes; at most %d are read", at, limit, limit)
	}
	return data, nil
}

// InDiff reports whether line (1-based, of the head side) of path lies in a hunk of the diff GitHub
// shows, i.e. whether a review comment may be placed on it (RIGHT side). GitHub's own patch is used when
// the files API gave one; otherwise (large lockfiles) the hunks are computed from the two sides with
// three lines of context, as git and GitHub do.
func (p *PR) InDiff(ctx context.Context, path string, line int) (bool, error) {
	if line < 1 {
		return false, nil
	}
	p.mu.Lock()
	ranges, ok := p.hunks[path]
	f := p.files[path]
	p.mu.Unlock()
	if !ok {
		var err error
		if ranges, err = p.computeHunks(ctx, path, f); err != nil {
			return false, err
		}
		p.mu.Lock()
		p.hunks[path] = ranges
		p.mu.Unlock()
	}
	return rangesContain(ranges, line), nil
}

func (p *PR) computeHunks(ctx context.Context, path string, f *changedFile) ([]lineRange, error) {
	if f == nil || f.status == "removed" {
		return nil, nil
	}
	if f.hasPatch {
		return patchRanges(f.patch)
	}
	basePath := path
	if f.previous != "" {
		basePath = f.previous
	}
	var base []byte
	if f.status != "added" {
		var err error
		base, err = p.ReadBase(ctx, basePath)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("diff %s: %w", path, err)
		}
	}
	head, err := p.ReadHead(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", path, err)
	}
	if isBinary(base) || isBinary(head) {
		return nil, nil // GitHub shows no lines of a binary file
	}
	return diffRanges(base, head), nil
}

// checkPath refuses paths that cannot name a file inside a repository.
func checkPath(p string) error {
	if p == "" || len(p) > MaxPathLength || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("path %q: %w", truncateString(p, 200), ErrInvalid)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("path %q: %w", truncateString(p, 200), ErrInvalid)
		}
	}
	return nil
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// validName reports whether s may be a GitHub owner or repository name.
func validName(s string) bool {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isHexSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func short(sha string) string { return sha[:min(len(sha), 7)] }

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
