package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// gitMaxRequestBody bounds a request body the git server buffers (CGI cannot
// take chunked bodies, so chunked uploads are buffered first).
const gitMaxRequestBody = 64 << 20

// gitBaseTime is the committer/author time of the first commit BuildRepo
// makes when Commit.Time is zero; later commits are one minute apart.
func gitBaseTime() time.Time { return time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC) }

// gitDefaultAuthor is used when Commit.Author is empty.
const gitDefaultAuthor = "Test Author <author@example.com>"

// GitServer serves the bare repositories under a root directory over git's
// smart HTTP protocol, through the real `git http-backend` run as a CGI
// program. Repositories live at <root>/<owner>/<repo>.git and are served at
// <base>/<owner>/<repo>.git and <base>/<owner>/<repo> (owner may be a nested
// group path). It is an http.Handler and can start its own loopback server.
type GitServer struct {
	root string
	hits atomic.Int64

	backendOnce sync.Once
	backend     string
	backendErr  error

	mu sync.Mutex
	lb loopback // serves the fake (Start, Close)
}

// NewGitServer returns a server for the bare repositories under root.
func NewGitServer(root string) *GitServer {
	return &GitServer{root: root}
}

// Start starts a loopback HTTP server (127.0.0.1) and returns its base URL.
// Calling Start again returns the same URL.
func (s *GitServer) Start() string {
	return s.lb.start(s)
}

// Close stops the server started by Start.
func (s *GitServer) Close() {
	s.lb.close()
}

// Hits returns the number of HTTP requests served so far.
func (s *GitServer) Hits() int { return int(s.hits.Load()) }

// ServeHTTP runs git http-backend for the request.
func (s *GitServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.hits.Add(1)
	s.backendOnce.Do(func() { s.backend, s.backendErr = gitHTTPBackend() })
	if s.backendErr != nil {
		http.Error(w, s.backendErr.Error(), http.StatusInternalServerError)
		return
	}
	backend := s.backend
	r2 := req.Clone(req.Context())
	r2.URL.Path = s.repoPath(req.URL.Path)
	if len(req.TransferEncoding) > 0 {
		// net/http/cgi refuses chunked bodies; buffer them (bounded).
		body, err := io.ReadAll(io.LimitReader(req.Body, gitMaxRequestBody+1))
		if err != nil || len(body) > gitMaxRequestBody {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.TransferEncoding = nil
	}
	h := &cgi.Handler{
		Path: backend,
		Dir:  s.root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"HOME=" + s.root,
		},
		Stderr: io.Discard,
	}
	h.ServeHTTP(w, r2)
}

// repoPath maps /<owner>/<repo>/… to /<owner>/<repo>.git/… when only the
// .git directory exists.
func (s *GitServer) repoPath(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := range segs {
		if strings.HasSuffix(segs[i], ".git") || segs[i] == "" || segs[i] == ".." {
			return p
		}
		if i == 0 {
			continue
		}
		candidate := filepath.Join(s.root, filepath.Join(segs[:i+1]...)+".git")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			segs[i] += ".git"
			return "/" + strings.Join(segs, "/")
		}
	}
	return p
}

// gitHTTPBackend locates git-http-backend with `git --exec-path`.
func gitHTTPBackend() (string, error) {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return "", fmt.Errorf("git --exec-path: %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("git-http-backend: %w", err)
	}
	return p, nil
}

// Commit is one commit of a repository built by BuildRepo.
type Commit struct {
	// Message is the commit message; default "commit <n>".
	Message string
	// Files maps paths to content; an empty content deletes the path. Paths
	// not mentioned keep their content from the previous commit.
	Files map[string]string
	// Tag, if set, tags the commit (lightweight unless Annotated).
	Tag string
	// Annotated makes Tag an annotated tag object.
	Annotated bool
	// Time is the author and committer time; default one minute after the
	// previous commit (the first at 2024-01-01T00:00:00Z).
	Time time.Time
	// Author is "Name <email>" or a bare name; default "Test Author".
	Author string
}

// BuildRepo creates (or extends) a bare repository at dir with a linear
// history on refs/heads/main, one git commit per Commit, and returns their
// SHAs. It uses `git fast-import` with fixed identities and dates, so the
// SHAs are deterministic. If dir already holds a repository, the commits are
// appended to main.
func BuildRepo(ctx context.Context, dir string, commits []Commit) (shas []string, err error) {
	home, err := os.MkdirTemp("", "testenv-git-home-")
	if err != nil {
		return nil, fmt.Errorf("build repo %s: %w", dir, err)
	}
	defer os.RemoveAll(home)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"LC_ALL=C",
		"TZ=UTC",
	}
	git := func(stdin io.Reader, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Env = env
		cmd.Dir = home
		cmd.Stdin = stdin
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		if _, err := git(nil, "init", "--bare", "--quiet", "--template=", "--initial-branch=main", dir); err != nil {
			return nil, fmt.Errorf("build repo %s: %w", dir, err)
		}
	}
	if len(commits) == 0 {
		return nil, nil
	}
	gitDir := "--git-dir=" + dir
	// Continue an existing main branch, if any.
	var parentCount int
	var parentTime time.Time
	hasParent := false
	if out, err := git(nil, gitDir, "log", "-1", "--format=%ct", "refs/heads/main"); err == nil {
		ct, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		parentTime = time.Unix(ct, 0).UTC()
		hasParent = true
		if out, err := git(nil, gitDir, "rev-list", "--count", "refs/heads/main"); err == nil {
			parentCount, _ = strconv.Atoi(strings.TrimSpace(string(out)))
		}
	}
	var stream bytes.Buffer
	data := func(s string) {
		fmt.Fprintf(&stream, "data %d\n%s\n", len(s), s)
	}
	prevTime := parentTime
	for i, c := range commits {
		when := c.Time
		switch {
		case !when.IsZero():
		case hasParent || i > 0:
			when = prevTime.Add(time.Minute)
		default:
			when = gitBaseTime()
		}
		prevTime = when
		ident := gitIdent(c.Author) + " " + strconv.FormatInt(when.Unix(), 10) + " +0000"
		msg := c.Message
		if msg == "" {
			msg = "commit " + strconv.Itoa(parentCount+i+1)
		}
		mark := i + 1
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\n", mark, ident, ident)
		data(msg)
		if i == 0 && hasParent {
			stream.WriteString("from refs/heads/main^0\n")
		}
		paths := make([]string, 0, len(c.Files))
		for p := range c.Files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if p == "" || strings.ContainsAny(p, "\n\x00") || strings.HasPrefix(p, "\"") {
				return nil, fmt.Errorf("build repo %s: unsupported path %q", dir, p)
			}
			if c.Files[p] == "" {
				fmt.Fprintf(&stream, "D %s\n", p)
				continue
			}
			fmt.Fprintf(&stream, "M 100644 inline %s\n", p)
			data(c.Files[p])
		}
		stream.WriteString("\n")
		if c.Tag != "" {
			if c.Annotated {
				fmt.Fprintf(&stream, "tag %s\nfrom :%d\ntagger %s\n", c.Tag, mark, ident)
				data("release " + c.Tag)
			} else {
				fmt.Fprintf(&stream, "reset refs/tags/%s\nfrom :%d\n\n", c.Tag, mark)
			}
		}
	}
	stream.WriteString("done\n")
	marks := filepath.Join(home, "marks")
	if _, err := git(&stream, gitDir, "fast-import", "--quiet", "--done", "--date-format=raw", "--export-marks="+marks); err != nil {
		return nil, fmt.Errorf("build repo %s: %w", dir, err)
	}
	raw, err := os.ReadFile(marks)
	if err != nil {
		return nil, fmt.Errorf("build repo %s: %w", dir, err)
	}
	byMark := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		m, sha, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(m, ":") {
			continue
		}
		n, err := strconv.Atoi(m[1:])
		if err != nil {
			continue
		}
		byMark[n] = sha
	}
	for i := range commits {
		sha, ok := byMark[i+1]
		if !ok {
			return nil, fmt.Errorf("build repo %s: %w", dir, errors.New("fast-import did not report every commit"))
		}
		shas = append(shas, sha)
	}
	return shas, nil
}

// gitIdent turns "Name <email>" or "Name" into a git identity.
func gitIdent(author string) string {
	author = strings.TrimSpace(author)
	if author == "" {
		return gitDefaultAuthor
	}
	if strings.Contains(author, "<") && strings.HasSuffix(author, ">") {
		return author
	}
	return author + " <" + strings.ToLower(strings.ReplaceAll(author, " ", ".")) + "@example.com>"
}
