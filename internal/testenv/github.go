package testenv

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// GitHub's own limits, which the fake enforces the way GitHub does (see
// ../shared/research/platform.md §3).
const (
	// GitHubMaxAnnotationsPerRequest is the number of check-run annotations one create or update may carry.
	GitHubMaxAnnotationsPerRequest = 50
	// GitHubMaxOutputText is the maximum length, in characters, of a check run's output.summary and output.text.
	GitHubMaxOutputText = 65535
	// GitHubMaxCommentBody is the maximum length, in characters, of a review, review comment or issue comment body.
	GitHubMaxCommentBody = 65536
	// GitHubMaxAnnotationTitle is the maximum length, in characters, of an annotation title.
	GitHubMaxAnnotationTitle = 255
	// GitHubMaxAnnotationText is the maximum size, in bytes, of an annotation message or raw_details (64 KB).
	GitHubMaxAnnotationText = 64 * 1024
	// GitHubMaxPullFiles is the number of files the pull request files API lists at most.
	GitHubMaxPullFiles = 3000
	// GitHubMaxCompareFiles is the number of changed files the compare API lists at most.
	GitHubMaxCompareFiles = 300
	// GitHubMaxPerPage is the largest per_page a list endpoint honours; larger values are clamped.
	GitHubMaxPerPage = 100
	// GitHubDefaultPerPage is the page size of a list endpoint when per_page is absent.
	GitHubDefaultPerPage = 30
	// GitHubJWTMaxLifetime is how far in the future an App JWT's exp may lie (GitHub: 10 minutes).
	GitHubJWTMaxLifetime = 10 * time.Minute
	// GitHubJWTClockSkew is the clock drift tolerated on an App JWT's iat and exp.
	GitHubJWTClockSkew = 60 * time.Second
	// GitHubInstallationTokenLifetime is how long an installation access token is valid.
	GitHubInstallationTokenLifetime = time.Hour
)

// GitHubLimits are the sizes the fake enforces. The defaults (DefaultGitHubLimits) are GitHub's; tests
// lower them to exercise a boundary without allocating 100 MB.
type GitHubLimits struct {
	// MaxRequestBody caps a request body, in bytes; a larger body is answered 413 and recorded as a
	// violation. It bounds the fake's memory on hostile input (GitHub's own cap is not documented).
	MaxRequestBody int64
	// ContentsJSONMax is the largest file, in bytes, the contents API returns in its default JSON media
	// type (GitHub: 1 MB); larger files need the raw or object media type.
	ContentsJSONMax int64
	// BlobMax is the largest file, in bytes, the contents and blob APIs return at all (GitHub: 100 MB).
	BlobMax int64
	// PatchMaxBytes and PatchMaxLines: a pull request file whose patch exceeds either is listed without
	// its `patch` field. GitHub does not document its threshold; these are the per-file diff limits of
	// its web UI (500 KB, 20,000 lines). PullFile.OmitPatch forces the omission.
	PatchMaxBytes int
	PatchMaxLines int
	// RateLimit is the primary (core) rate limit per hour of an authenticated caller (GitHub: 5,000 for
	// an installation); AnonymousRateLimit that of unauthenticated callers (GitHub: 60).
	RateLimit          int
	AnonymousRateLimit int
	// MaxLoggedRequests caps the request log (oldest entries are dropped); MaxLoggedBody caps the bytes
	// of each request body kept in it.
	MaxLoggedRequests int
	MaxLoggedBody     int
}

// DefaultGitHubLimits returns GitHub's limits.
func DefaultGitHubLimits() GitHubLimits {
	return GitHubLimits{
		MaxRequestBody:     10 << 20,
		ContentsJSONMax:    1 << 20,
		BlobMax:            100 << 20,
		PatchMaxBytes:      500 << 10,
		PatchMaxLines:      20000,
		RateLimit:          5000,
		AnonymousRateLimit: 60,
		MaxLoggedRequests:  10000,
		MaxLoggedBody:      64 << 10,
	}
}

// GitHub is an in-process fake of the GitHub REST API (api.github.com) for the routes a GitHub App or
// Action that reviews pull requests uses: pull requests and their files, contents and blobs, check runs,
// reviews and review comments, issue comments, App installation tokens and rate limits. It imitates
// GitHub's behaviour where clients depend on it (status codes, error bodies, rate-limit headers,
// pagination, ETags, the 1 MB contents limit, 422 for a review comment outside the diff), and checks
// every request and response against GitHub's OpenAPI description when it is available (see
// GitHub.Violations and RequireOpenAPI).
//
// Seed state with the Add… and Set… methods, serve with Start (or use it as an http.Handler), and inspect
// what clients did with CheckRuns, Reviews, ReviewComments, IssueComments and Requests. It is safe for
// concurrent use.
type GitHub struct {
	// Limits are the sizes enforced; set them before serving.
	Limits GitHubLimits
	clock  atomic.Pointer[func() time.Time] // nil: time.Now

	spec *githubSpec // nil when the OpenAPI description is unavailable

	mu            sync.Mutex
	nextID        int64
	users         map[string]int64 // login → id
	apps          map[int64]*GitHubApp
	installations map[int64]*Installation
	tokens        map[string]*ghToken
	repos         map[string]*ghRepo // "owner/name" (lower case) → repo
	failures      []ghFailure
	holds         ghHolds
	rate          map[string]*ghRate
	log           []GitHubRequest
	violations    []string
	lb            loopback // serves the fake (Start, Close)
}

// GitHubApp is a GitHub App known to the fake. Its JWTs must be RS256-signed by the private key whose
// public half is PublicKey.
type GitHubApp struct {
	ID        int64
	Slug      string // e.g. "mcpvet"; the App's bot user is "<slug>[bot]"
	Name      string // defaults to Slug
	Owner     string // login of the owning account; defaults to "github"
	PublicKey *rsa.PublicKey
}

// Installation is an installation of an App on an account.
type Installation struct {
	ID      int64
	AppID   int64
	Account string // login of the account the App is installed on
	// Repositories limits the installation to these repositories ("owner/name"); empty means all of
	// the account's repositories.
	Repositories []string
	// Permissions defaults to metadata read, contents read, pull_requests write, checks write.
	Permissions map[string]string
}

// Repository is a repository to seed.
type Repository struct {
	Owner, Name   string
	Private       bool
	DefaultBranch string // defaults to "main"
	// Fork marks the repository as a fork (of Parent, "owner/name", when set).
	Fork   bool
	Parent string
	// Archived marks the repository as archived (read-only).
	Archived bool
	// Created is the repository's creation time (created_at); zero means the fake's clock at AddRepository.
	Created time.Time
}

// Pull is a pull request to seed with AddPull.
type Pull struct {
	Number int
	Title  string // defaults to "Pull request #N"
	Body   string
	User   string // author login; defaults to "octocat"
	State  string // "open" (default) or "closed"
	Draft  bool
	// Fork makes the head repository "<User>/<repo name>", a fork, created on demand.
	Fork             bool
	HeadRef, HeadSHA string
	BaseRef, BaseSHA string // BaseRef defaults to the repository's default branch
	// Files are the changed files at HeadSHA. When nil they are computed from the trees seeded with
	// AddCommit at BaseSHA and HeadSHA (patches by DiffPatch).
	Files []PullFile
}

// PullFile is one changed file of a pull request, as the files API lists it.
type PullFile struct {
	Filename         string
	PreviousFilename string // for renames
	Status           string // added, removed, modified (default), renamed, copied, changed, unchanged
	// Patch is the file's unified diff hunks (no file headers), GitHub's `patch` field. Review comments
	// are checked against it even when it is omitted from the files API.
	Patch string
	// OmitPatch lists the file without `patch`, as GitHub does for large diffs (also done when Patch
	// exceeds Limits.PatchMaxBytes or Limits.PatchMaxLines).
	OmitPatch bool
	// SHA is the blob id of the file at the head; computed from the head tree when empty and seeded.
	SHA string
}

// CheckRun is a check run as stored by the fake.
type CheckRun struct {
	ID          int64
	AppID       int64 // the App whose installation created it
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	DetailsURL  string
	ExternalID  string
	StartedAt   time.Time
	CompletedAt time.Time
	Title       string
	Summary     string
	Text        string
	Annotations []CheckAnnotation
	Updates     int // number of successful PATCH requests
}

// CheckAnnotation is one annotation of a check run.
type CheckAnnotation struct {
	Path                   string
	StartLine, EndLine     int
	StartColumn, EndColumn int
	Level                  string
	Message                string
	Title                  string
	RawDetails             string
}

// Review is a pull request review as stored by the fake.
type Review struct {
	ID          int64
	User        string
	Body        string
	State       string // PENDING, COMMENTED, APPROVED, CHANGES_REQUESTED or DISMISSED
	CommitID    string
	SubmittedAt time.Time
	// DismissalMessage is the message given when the review was dismissed.
	DismissalMessage string
	Comments         []ReviewComment
}

// ReviewComment is a pull request review comment.
type ReviewComment struct {
	ID          int64
	ReviewID    int64
	User        string
	Path        string
	Body        string
	CommitID    string
	SubjectType string // "line" or "file"
	Line        int    // 0 for file comments
	Side        string
	StartLine   int
	StartSide   string
	Position    int    // position in the file's diff
	DiffHunk    string // the diff from the hunk header to the commented line
	CreatedAt   time.Time
}

// IssueComment is a comment on a pull request's conversation.
type IssueComment struct {
	ID        int64
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// GitHubRequest records one request the fake received. Credentials are never recorded.
type GitHubRequest struct {
	Time   time.Time
	Method string
	Path   string // escaped path as sent
	Query  string
	// Route is the served route ("POST /repos/{owner}/{repo}/check-runs"), "" when none matched.
	Route string
	// Auth says how the request authenticated: "none", "app" (App JWT), "installation:<id>",
	// "user:<login>" or "invalid".
	Auth   string
	Accept string
	Body   []byte // the request body, truncated to Limits.MaxLoggedBody
	Status int
	// Injected is true when FailNext produced the response.
	Injected bool
}

type ghToken struct {
	installationID int64     // 0 for a user token
	login          string    // user tokens
	expires        time.Time // zero: never
	repos          []string  // repository names the token was narrowed to; nil: all of the installation
}

type ghFailure struct {
	route  string
	status int
	header http.Header
}

type ghRate struct {
	limit, used int
	reset       time.Time
}

type ghCommit struct {
	files map[string][]byte
}

type ghRepo struct {
	id            int64
	owner, name   string
	private, fork bool
	archived      bool
	parent        string
	defaultBranch string
	created       time.Time
	branches      map[string]string // branch → sha
	commits       map[string]*ghCommit
	blobs         map[string][]byte // blob id → content
	pulls         map[int]*ghPull
	checkRuns     []*CheckRun
	issueComments map[int][]*IssueComment
	checkSuites   map[string]int64 // head sha → suite id
}

type ghPull struct {
	id        int64
	p         Pull
	headRepo  *ghRepo
	created   time.Time
	files     map[string][]PullFile   // head sha → files (the current head and earlier ones)
	parsed    map[string]*parsedPatch // head sha + "\x00" + filename → parsed patch
	reviews   []*Review
	comments  []*ReviewComment // all review comments, in creation order
	reviewCmt map[int64][]int  // review id → indexes into comments
}

// NewGitHub returns an empty fake with GitHub's limits. When GitHub's OpenAPI description can be loaded
// (see RequireOpenAPI), every request and response is validated against it.
func NewGitHub() *GitHub {
	spec, _ := loadGitHubSpec()
	return &GitHub{
		Limits:        DefaultGitHubLimits(),
		spec:          spec,
		nextID:        1000,
		users:         map[string]int64{},
		apps:          map[int64]*GitHubApp{},
		installations: map[int64]*Installation{},
		tokens:        map[string]*ghToken{},
		repos:         map[string]*ghRepo{},
		rate:          map[string]*ghRate{},
	}
}

// Validating reports whether requests and responses are checked against GitHub's OpenAPI description.
func (g *GitHub) Validating() bool { return g.spec != nil }

// Start serves the fake on a loopback address and returns its base URL (no trailing slash), which a
// client uses like https://api.github.com (e.g. as GITHUB_API_URL). Calling it again returns the same URL.
func (g *GitHub) Start() string {
	return g.lb.start(g)
}

// Close stops the server started by Start.
func (g *GitHub) Close() {
	g.lb.close()
}

// SetClock makes the fake read the time from now (nil: time.Now), e.g. to expire tokens in a test.
// It may be called while serving.
func (g *GitHub) SetClock(now func() time.Time) {
	if now == nil {
		g.clock.Store(nil)
		return
	}
	g.clock.Store(&now)
}

func (g *GitHub) now() time.Time {
	if f := g.clock.Load(); f != nil {
		return (*f)().UTC()
	}
	return time.Now().UTC()
}

// newID returns a fresh object id; callers hold g.mu.
func (g *GitHub) newID() int64 {
	g.nextID++
	return g.nextID
}

// userID returns the stable id of login; callers hold g.mu.
func (g *GitHub) userID(login string) int64 {
	key := strings.ToLower(login)
	if id, ok := g.users[key]; ok {
		return id
	}
	id := g.newID()
	g.users[key] = id
	return id
}

// AddApp registers a GitHub App.
func (g *GitHub) AddApp(app GitHubApp) error {
	if app.ID <= 0 || app.Slug == "" || app.PublicKey == nil {
		return fmt.Errorf("add app %q: ID, Slug and PublicKey are required", app.Slug)
	}
	if app.Name == "" {
		app.Name = app.Slug
	}
	if app.Owner == "" {
		app.Owner = "github"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.apps[app.ID] = &app
	g.userID(app.Slug + "[bot]")
	return nil
}

// AddInstallation registers an installation of a registered App.
func (g *GitHub) AddInstallation(inst Installation) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if inst.ID <= 0 || inst.Account == "" {
		return fmt.Errorf("add installation %d: ID and Account are required", inst.ID)
	}
	if _, ok := g.apps[inst.AppID]; !ok {
		return fmt.Errorf("add installation %d: unknown app %d", inst.ID, inst.AppID)
	}
	if inst.Permissions == nil {
		inst.Permissions = map[string]string{"metadata": "read", "contents": "read", "pull_requests": "write", "checks": "write"}
	}
	inst.Repositories = slices.Clone(inst.Repositories)
	inst.Permissions = maps.Clone(inst.Permissions)
	g.installations[inst.ID] = &inst
	return nil
}

// AddInstallationToken registers token as an access token of an installation that never expires, the
// way the Actions runner hands a workflow its GITHUB_TOKEN (an installation token of the github-actions
// App).
func (g *GitHub) AddInstallationToken(token string, installationID int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if token == "" {
		return errors.New("add installation token: empty token")
	}
	if _, ok := g.installations[installationID]; !ok {
		return fmt.Errorf("add installation token: unknown installation %d", installationID)
	}
	g.tokens[token] = &ghToken{installationID: installationID}
	return nil
}

// AddUserToken registers token as a personal access token of login.
func (g *GitHub) AddUserToken(token, login string) error {
	if token == "" || login == "" {
		return errors.New("add user token: empty token or login")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[token] = &ghToken{login: login}
	g.userID(login)
	return nil
}

// AddRepository creates a repository.
func (g *GitHub) AddRepository(r Repository) error {
	if !validRepoPart(r.Owner) || !validRepoPart(r.Name) {
		return fmt.Errorf("add repository %q/%q: invalid owner or name", r.Owner, r.Name)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.addRepoLocked(r)
	return nil
}

func (g *GitHub) addRepoLocked(r Repository) *ghRepo {
	key := strings.ToLower(r.Owner + "/" + r.Name)
	if repo, ok := g.repos[key]; ok {
		return repo
	}
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	created := r.Created.UTC()
	if r.Created.IsZero() {
		created = g.now()
	}
	repo := &ghRepo{
		id: g.newID(), owner: r.Owner, name: r.Name, private: r.Private, fork: r.Fork, parent: r.Parent,
		defaultBranch: r.DefaultBranch, created: created, archived: r.Archived,
		branches: map[string]string{}, commits: map[string]*ghCommit{}, blobs: map[string][]byte{},
		pulls: map[int]*ghPull{}, issueComments: map[int][]*IssueComment{}, checkSuites: map[string]int64{},
	}
	g.userID(r.Owner)
	g.repos[key] = repo
	return repo
}

func validRepoPart(s string) bool {
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

func (g *GitHub) repoLocked(owner, name string) *ghRepo {
	return g.repos[strings.ToLower(owner+"/"+name)]
}

// AddCommit records the complete tree of commit sha (path → content) in a repository, making its files
// available to the contents API (with ref=sha) and their blobs to the blob API.
func (g *GitHub) AddCommit(owner, repo, sha string, files map[string][]byte) error {
	if !isHexSHA(sha) {
		return fmt.Errorf("add commit %s to %s/%s: not a 40-hex commit id", sha, owner, repo)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repoLocked(owner, repo)
	if r == nil {
		return fmt.Errorf("add commit %s: unknown repository %s/%s", sha, owner, repo)
	}
	c := &ghCommit{files: make(map[string][]byte, len(files))}
	for p, content := range files {
		if !validContentPath(p) {
			return fmt.Errorf("add commit %s: invalid path %q", sha, p)
		}
		c.files[p] = slices.Clone(content)
		r.blobs[GitBlobID(content)] = c.files[p]
	}
	r.commits[strings.ToLower(sha)] = c
	return nil
}

// SetBranch points branch at sha.
func (g *GitHub) SetBranch(owner, repo, branch, sha string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repoLocked(owner, repo)
	if r == nil {
		return fmt.Errorf("set branch %s: unknown repository %s/%s", branch, owner, repo)
	}
	if branch == "" || !isHexSHA(sha) {
		return fmt.Errorf("set branch %q of %s/%s: empty branch or invalid sha %q", branch, owner, repo, sha)
	}
	r.branches[branch] = strings.ToLower(sha)
	return nil
}

func validContentPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || len(p) > 4096 {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
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

// GitBlobID returns git's blob id (SHA-1 of "blob <size>\x00" + content) of content, the `sha` GitHub
// reports for files and blobs.
func GitBlobID(content []byte) string {
	return ghObjectID("blob", content)
}

// AddPull creates a pull request in owner/repo.
func (g *GitHub) AddPull(owner, repo string, p Pull) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repoLocked(owner, repo)
	if r == nil {
		return fmt.Errorf("add pull #%d: unknown repository %s/%s", p.Number, owner, repo)
	}
	if p.Number <= 0 {
		return fmt.Errorf("add pull to %s/%s: number %d must be positive", owner, repo, p.Number)
	}
	if _, dup := r.pulls[p.Number]; dup {
		return fmt.Errorf("add pull #%d to %s/%s: already exists", p.Number, owner, repo)
	}
	if !isHexSHA(p.HeadSHA) || !isHexSHA(p.BaseSHA) || p.HeadRef == "" {
		return fmt.Errorf("add pull #%d to %s/%s: HeadRef, HeadSHA and BaseSHA (40 hex) are required", p.Number, owner, repo)
	}
	p.HeadSHA, p.BaseSHA = strings.ToLower(p.HeadSHA), strings.ToLower(p.BaseSHA)
	if p.Title == "" {
		p.Title = fmt.Sprintf("Pull request #%d", p.Number)
	}
	if p.User == "" {
		p.User = "octocat"
	}
	if p.State == "" {
		p.State = "open"
	}
	if p.BaseRef == "" {
		p.BaseRef = r.defaultBranch
	}
	if !validRepoPart(strings.TrimSuffix(p.User, "[bot]")) {
		return fmt.Errorf("add pull #%d: invalid user %q", p.Number, p.User)
	}
	g.userID(p.User)
	headRepo := r
	if p.Fork {
		headRepo = g.addRepoLocked(Repository{Owner: p.User, Name: r.name, Fork: true, Parent: r.owner + "/" + r.name})
	}
	pull := &ghPull{
		id: g.newID(), p: p, headRepo: headRepo, created: g.now(),
		files: map[string][]PullFile{}, parsed: map[string]*parsedPatch{}, reviewCmt: map[int64][]int{},
	}
	if err := g.setPullFilesLocked(r, pull, p.HeadSHA, p.Files); err != nil {
		return fmt.Errorf("add pull #%d to %s/%s: %w", p.Number, owner, repo, err)
	}
	pull.p.Files = nil
	r.pulls[p.Number] = pull
	return nil
}

// PushPull moves pull request number's head to headSHA, as a push to its head branch does; files are
// the changed files at the new head (nil: computed from the seeded trees). Reviews and comments on the
// earlier heads stay, and comments may still target them.
func (g *GitHub) PushPull(owner, repo string, number int, headSHA string, files []PullFile) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repoLocked(owner, repo)
	if r == nil || r.pulls[number] == nil {
		return fmt.Errorf("push pull %s/%s#%d: no such pull request", owner, repo, number)
	}
	if !isHexSHA(headSHA) {
		return fmt.Errorf("push pull %s/%s#%d: invalid sha %q", owner, repo, number, headSHA)
	}
	pull := r.pulls[number]
	headSHA = strings.ToLower(headSHA)
	if err := g.setPullFilesLocked(r, pull, headSHA, files); err != nil {
		return fmt.Errorf("push pull %s/%s#%d: %w", owner, repo, number, err)
	}
	pull.p.HeadSHA = headSHA
	return nil
}

func (g *GitHub) setPullFilesLocked(r *ghRepo, pull *ghPull, headSHA string, files []PullFile) error {
	if files == nil {
		base, head := r.commits[pull.p.BaseSHA], pull.headRepo.commits[headSHA]
		if head == nil {
			head = r.commits[headSHA]
		}
		if base == nil || head == nil {
			return fmt.Errorf("no files given and trees of %s and %s not both seeded", pull.p.BaseSHA, headSHA)
		}
		files = diffTrees(base.files, head.files)
	}
	out := make([]PullFile, 0, len(files))
	for _, f := range files {
		if !validContentPath(f.Filename) {
			return fmt.Errorf("invalid file name %q", f.Filename)
		}
		if f.Status == "" {
			f.Status = "modified"
		}
		pp, err := parsePatch(f.Patch)
		if err != nil {
			return fmt.Errorf("patch of %s: %w", f.Filename, err)
		}
		if f.SHA == "" {
			if c := pull.headRepo.commits[headSHA]; c != nil && c.files[f.Filename] != nil {
				f.SHA = GitBlobID(c.files[f.Filename])
			} else if c := r.commits[headSHA]; c != nil && c.files[f.Filename] != nil {
				f.SHA = GitBlobID(c.files[f.Filename])
			} else {
				f.SHA = ghObjectID("blob", []byte(f.Filename+"\x00"+f.Patch))
			}
		}
		pull.parsed[headSHA+"\x00"+f.Filename] = pp
		out = append(out, f)
	}
	pull.files[headSHA] = out
	return nil
}

// FailNext makes the next request to route fail with status and the given headers (e.g. Retry-After,
// X-RateLimit-Remaining and X-RateLimit-Reset), with a GitHub-shaped error body: for 403 and 429 the
// primary rate-limit message when X-RateLimit-Remaining is "0", else the secondary rate-limit message.
// route is a served route ("POST /repos/{owner}/{repo}/check-runs"), its operation id
// ("checks/create"), or "*" for any route. Calls queue up, first in first out.
func (g *GitHub) FailNext(route string, status int, header http.Header) error {
	if status < 400 || status > 599 {
		return fmt.Errorf("fail next %s: status %d is not an error", route, status)
	}
	if route != "*" {
		found := false
		for _, rt := range githubRoutes {
			if route == rt.key() || route == rt.opID {
				route, found = rt.key(), true
				break
			}
		}
		if !found {
			return fmt.Errorf("fail next: %q is not a route the fake serves", route)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	canonical := http.Header{}
	for k, vs := range header {
		for _, v := range vs {
			canonical.Add(k, v)
		}
	}
	g.failures = append(g.failures, ghFailure{route: route, status: status, header: canonical})
	return nil
}

// Requests returns a copy of the request log, oldest first.
func (g *GitHub) Requests() []GitHubRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]GitHubRequest, len(g.log))
	for i, r := range g.log {
		out[i] = r
		out[i].Body = slices.Clone(r.Body)
	}
	return out
}

// Violations returns every disagreement between the traffic and GitHub's OpenAPI description recorded
// so far (requests that GitHub would reject, responses GitHub would not send, routes the fake does not
// serve), one line each. Tests of valid traffic assert it is empty.
func (g *GitHub) Violations() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.violations)
}

// CheckRuns returns copies of the check runs of owner/repo, in creation order.
func (g *GitHub) CheckRuns(owner, repo string) []CheckRun {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repoLocked(owner, repo)
	if r == nil {
		return nil
	}
	out := make([]CheckRun, len(r.checkRuns))
	for i, cr := range r.checkRuns {
		out[i] = *cr
		out[i].Annotations = slices.Clone(cr.Annotations)
	}
	return out
}

// Reviews returns copies of the reviews of a pull request, in creation order, with their comments.
func (g *GitHub) Reviews(owner, repo string, number int) []Review {
	g.mu.Lock()
	defer g.mu.Unlock()
	pull := g.pullLocked(owner, repo, number)
	if pull == nil {
		return nil
	}
	out := make([]Review, len(pull.reviews))
	for i, rv := range pull.reviews {
		out[i] = *rv
		out[i].Comments = nil
		for _, idx := range pull.reviewCmt[rv.ID] {
			out[i].Comments = append(out[i].Comments, *pull.comments[idx])
		}
	}
	return out
}

// ReviewComments returns copies of all review comments of a pull request, in creation order.
func (g *GitHub) ReviewComments(owner, repo string, number int) []ReviewComment {
	g.mu.Lock()
	defer g.mu.Unlock()
	pull := g.pullLocked(owner, repo, number)
	if pull == nil {
		return nil
	}
	out := make([]ReviewComment, len(pull.comments))
	for i, c := range pull.comments {
		out[i] = *c
	}
	return out
}

// IssueComments returns copies of the conversation comments of a pull request, in creation order.
func (g *GitHub) IssueComments(owner, repo string, number int) []IssueComment {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repoLocked(owner, repo)
	if r == nil {
		return nil
	}
	out := make([]IssueComment, len(r.issueComments[number]))
	for i, c := range r.issueComments[number] {
		out[i] = *c
	}
	return out
}

func (g *GitHub) pullLocked(owner, repo string, number int) *ghPull {
	r := g.repoLocked(owner, repo)
	if r == nil {
		return nil
	}
	return r.pulls[number]
}

// ghCall is one request being served.
type ghCall struct {
	r       *http.Request
	route   *ghRoute
	params  map[string]string
	body    []byte
	base    string // scheme://host of the request, for URLs in responses
	accept  string
	actor   ghActor
	install *Installation // for installation tokens
}

// ghActor is who a request authenticated as.
type ghActor struct {
	kind  string // "none", "app", "installation", "user"
	app   *GitHubApp
	login string
}

func (a ghActor) String() string {
	switch a.kind {
	case "app":
		return "app"
	case "installation":
		return "installation"
	case "user":
		return "user:" + a.login
	}
	return a.kind
}

// ghResp is a handler's answer.
type ghResp struct {
	status int
	header http.Header
	json   any    // marshalled as the body when raw is nil
	raw    []byte // a body outside the JSON media types the description documents
	rawCT  string // Content-Type of raw, or of json when not application/json
	// uncounted responses do not use up the caller's rate limit.
	uncounted bool
}

func (g *GitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := GitHubRequest{Time: g.now(), Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Auth: "none", Accept: r.Header.Get("Accept")}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.Limits.MaxRequestBody+1))
	if err != nil {
		rec.Status = http.StatusBadRequest
		g.finish(w, r, nil, &rec, ghError(http.StatusBadRequest, "Problems parsing JSON", docsRoot), nil)
		return
	}
	rec.Body = body[:min(len(body), g.Limits.MaxLoggedBody)]
	if int64(len(body)) > g.Limits.MaxRequestBody {
		g.violation("%s %s: request body over %d bytes", r.Method, rec.Path, g.Limits.MaxRequestBody)
		g.finish(w, r, nil, &rec, ghError(http.StatusRequestEntityTooLarge, "Request body too large", docsRoot), nil)
		return
	}
	route, params := matchGitHubRoute(r.Method, r.URL.EscapedPath())
	if route == nil {
		g.violation("%s %s: no such route in the fake (GitHub's description may have one; add it to githubRoutes and scripts/trim-openapi.mjs)", r.Method, rec.Path)
		g.finish(w, r, nil, &rec, ghError(http.StatusNotFound, "Not Found", docsRoot), nil)
		return
	}
	rec.Route = route.key()
	if !g.holds.wait(r.Context(), route) {
		return // the client went away while its request was held
	}
	c := &ghCall{r: r, route: route, params: params, body: body, accept: r.Header.Get("Accept"), base: "http://" + r.Host}
	if r.TLS != nil {
		c.base = "https://" + r.Host
	}
	g.mu.Lock()
	resp := g.authenticateLocked(c)
	rec.Auth = c.actor.String()
	if c.install != nil {
		rec.Auth = "installation:" + strconv.FormatInt(c.install.ID, 10)
	}
	g.mu.Unlock()
	if resp != nil { // GitHub checks credentials before the request's shape
		g.finish(w, r, c, &rec, resp, nil)
		return
	}
	var val *ghValidation
	if g.spec != nil {
		var verr error
		if val, verr = g.spec.validateRequest(r, route, params, body); verr != nil {
			g.violation("%s: request: %v", route.key(), verr)
			g.finish(w, r, c, &rec, ghInvalidRequest(verr, route), nil)
			return
		}
	}
	g.mu.Lock()
	if resp = g.injectedLocked(route); resp != nil {
		rec.Injected = true
	} else if rate := g.rateLocked(c); rate.used >= rate.limit && !route.free {
		resp = g.rateExceeded(c)
		resp.uncounted = true
	} else {
		resp = route.h(g, c)
	}
	g.mu.Unlock()
	g.finish(w, r, c, &rec, resp, val)
}

// finish adds GitHub's headers, answers conditional requests, validates the response and writes it.
func (g *GitHub) finish(w http.ResponseWriter, r *http.Request, c *ghCall, rec *GitHubRequest, resp *ghResp, val *ghValidation) {
	var body []byte
	header := http.Header{}
	ct := "application/json; charset=utf-8"
	mediaType := "github.v3; format=json"
	if resp.raw != nil {
		body, ct, mediaType = resp.raw, resp.rawCT, "github.v3; param=raw"
	} else if resp.json != nil {
		var err error
		if body, err = json.Marshal(resp.json); err != nil {
			g.violation("%s %s: response does not marshal: %v", r.Method, rec.Path, err)
			resp = ghError(http.StatusInternalServerError, "Server Error", docsRoot)
			body, _ = json.Marshal(resp.json)
		}
		if resp.rawCT != "" {
			ct, mediaType = resp.rawCT, "github.v3; param=object"
		}
	}
	if len(body) > 0 || resp.status != http.StatusNoContent {
		header.Set("Content-Type", ct)
	}
	header.Set("X-GitHub-Media-Type", mediaType)
	header.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	header.Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%X", rec.Time.UnixNano()))
	header.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	header.Set("Access-Control-Expose-Headers", "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset")
	status := resp.status
	if r.Method == http.MethodGet && status == http.StatusOK {
		sum := sha256.Sum256(append([]byte(ct+"\x00"), body...))
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		header.Set("ETag", etag)
		header.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
			status, body = http.StatusNotModified, nil
			header.Del("Content-Type")
		}
	}
	if c != nil {
		g.mu.Lock()
		rate := g.rateLocked(c)
		// GitHub: a 304 does not count against the primary rate limit, nor does GET /rate_limit.
		if status != http.StatusNotModified && !rec.Injected && status != http.StatusUnauthorized && !resp.uncounted && !c.route.free {
			rate.used++
		}
		setRateHeaders(header, rate)
		g.mu.Unlock()
	}
	for k, v := range resp.header {
		header[http.CanonicalHeaderKey(k)] = v
	}
	if val != nil && !rec.Injected {
		if err := g.spec.validateResponse(val, status, header, body, resp.raw != nil); err != nil {
			g.violation("%s: response %d: %v", rec.Route, status, err)
		}
	}
	maps.Copy(w.Header(), header)
	w.WriteHeader(status)
	if r.Method != http.MethodHead && status != http.StatusNotModified {
		_, _ = w.Write(body)
	}
	rec.Status = status
	g.mu.Lock()
	g.log = append(g.log, *rec)
	if over := len(g.log) - g.Limits.MaxLoggedRequests; over > 0 {
		g.log = slices.Delete(g.log, 0, over)
	}
	g.mu.Unlock()
}

func etagMatches(header, etag string) bool {
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, candidate := range strings.Split(header, ",") {
		if strings.TrimSpace(candidate) == "*" || strip(candidate) == strip(etag) {
			return true
		}
	}
	return false
}

func (g *GitHub) violation(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.violations = append(g.violations, fmt.Sprintf(format, args...))
}

// authenticateLocked resolves the Authorization header; it returns an error response when the
// credentials are bad or the route needs other ones.
func (g *GitHub) authenticateLocked(c *ghCall) *ghResp {
	c.actor = ghActor{kind: "none"}
	auth := c.r.Header.Get("Authorization")
	const maxAuthorization = 16 << 10 // bounds JWT parsing of hostile headers
	if len(auth) > maxAuthorization {
		c.actor.kind = "invalid"
		return ghError(http.StatusUnauthorized, "Bad credentials", docsRoot)
	}
	scheme, cred, _ := strings.Cut(auth, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case auth == "":
	case strings.EqualFold(scheme, "Bearer") && strings.Count(cred, ".") == 2:
		app, err := verifyAppJWT(cred, g.apps, g.now())
		if err != nil {
			c.actor.kind = "invalid"
			return ghError(http.StatusUnauthorized, err.Error(), docsRoot)
		}
		c.actor = ghActor{kind: "app", app: app, login: app.Slug + "[bot]"}
	case strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token"):
		tok := g.tokens[cred]
		if tok == nil || (!tok.expires.IsZero() && !g.now().Before(tok.expires)) {
			c.actor.kind = "invalid"
			return ghError(http.StatusUnauthorized, "Bad credentials", docsRoot)
		}
		if tok.installationID != 0 {
			inst := g.installations[tok.installationID]
			app := g.apps[inst.AppID]
			c.actor = ghActor{kind: "installation", app: app, login: app.Slug + "[bot]"}
			c.install = inst
		} else {
			c.actor = ghActor{kind: "user", login: tok.login}
		}
	default:
		c.actor.kind = "invalid"
		return ghError(http.StatusUnauthorized, "Bad credentials", docsRoot)
	}
	switch {
	case c.route.auth == authApp && c.actor.kind != "app":
		return ghError(http.StatusUnauthorized, "A JSON web token could not be decoded", c.route.docs)
	case c.route.auth != authApp && c.actor.kind == "app":
		return ghError(http.StatusForbidden, "Resource not accessible by integration", c.route.docs)
	case c.route.write && c.actor.kind == "none":
		return ghError(http.StatusUnauthorized, "Requires authentication", c.route.docs)
	}
	return nil
}

func (g *GitHub) injectedLocked(route *ghRoute) *ghResp {
	for i, f := range g.failures {
		if f.route != "*" && f.route != route.key() {
			continue
		}
		g.failures = slices.Delete(g.failures, i, i+1)
		var resp *ghResp
		switch {
		case (f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests) && f.header.Get("X-RateLimit-Remaining") == "0":
			resp = ghError(f.status, "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID FAKE.", docsPrimaryRateLimit)
		case f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests:
			resp = ghError(f.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE.", docsSecondaryRateLimit)
		default:
			resp = ghError(f.status, http.StatusText(f.status), route.docs)
		}
		resp.header = f.header.Clone()
		return resp
	}
	return nil
}

// rateLocked returns the primary rate-limit window of the caller, starting a new one when the last ended.
func (g *GitHub) rateLocked(c *ghCall) *ghRate {
	key, limit := "anon:"+hostOnly(c.r.RemoteAddr), g.Limits.AnonymousRateLimit
	switch {
	case c.install != nil:
		key, limit = "installation:"+strconv.FormatInt(c.install.ID, 10), g.Limits.RateLimit
	case c.actor.kind == "user":
		key, limit = "user:"+strings.ToLower(c.actor.login), g.Limits.RateLimit
	case c.actor.kind == "app":
		key, limit = "app:"+strconv.FormatInt(c.actor.app.ID, 10), g.Limits.RateLimit
	}
	now := g.now()
	rl := g.rate[key]
	if rl == nil || !now.Before(rl.reset) {
		rl = &ghRate{limit: limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		g.rate[key] = rl
	}
	return rl
}

func hostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[:i]
	}
	return addr
}

func setRateHeaders(h http.Header, rl *ghRate) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rl.limit-rl.used, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(rl.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rl.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (g *GitHub) rateExceeded(c *ghCall) *ghResp {
	who := "your IP address"
	if c.install != nil {
		who = "installation ID " + strconv.FormatInt(c.install.ID, 10)
	} else if c.actor.kind == "user" {
		who = "user ID " + strconv.FormatInt(g.userID(c.actor.login), 10)
	}
	return ghError(http.StatusForbidden, "API rate limit exceeded for "+who+". If you reach out to GitHub Support for help, please include the request ID FAKE.", docsPrimaryRateLimit)
}

// GitHub documentation URLs used in error bodies.
const (
	docsRoot               = "https://docs.github.com/rest"
	docsPrimaryRateLimit   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	docsSecondaryRateLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// ghError is GitHub's error body: {"message", "documentation_url", "status"}.
func ghError(status int, message, docs string) *ghResp {
	return &ghResp{status: status, json: map[string]any{
		"message": message, "documentation_url": docs, "status": strconv.Itoa(status),
	}}
}

// ghValidationFailedSimple is GitHub's 422 with a list of message strings (reviews).
func ghValidationFailedSimple(route *ghRoute, errs ...string) *ghResp {
	return &ghResp{status: http.StatusUnprocessableEntity, json: map[string]any{
		"message": "Unprocessable Entity", "errors": errs, "documentation_url": route.docs, "status": "422",
	}}
}

// ghValidationFailed is GitHub's 422 "Validation Failed" with structured errors.
func ghValidationFailed(route *ghRoute, resource, field, code, message string) *ghResp {
	e := map[string]any{"resource": resource, "field": field, "code": code}
	if message != "" {
		e["message"] = message
	}
	return &ghResp{status: http.StatusUnprocessableEntity, json: map[string]any{
		"message": "Validation Failed", "errors": []any{e}, "documentation_url": route.docs, "status": "422",
	}}
}

// ghInvalidRequest is GitHub's answer to a request its schema rejects.
func ghInvalidRequest(err error, route *ghRoute) *ghResp {
	return &ghResp{status: http.StatusUnprocessableEntity, json: map[string]any{
		"message": "Invalid request.\n\n" + err.Error(), "documentation_url": route.docs, "status": "422",
	}}
}

func ghNotFound(route *ghRoute) *ghResp {
	return ghError(http.StatusNotFound, "Not Found", route.docs)
}

// newToken returns a fresh installation token in GitHub's format (ghs_ + 36 alphanumerics).
func newToken() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [36]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "ghs_" + string(b[:])
}
