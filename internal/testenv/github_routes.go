package testenv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authKind says which credentials a route takes.
type authKind int

const (
	authAny authKind = iota // anonymous, installation or user token
	authApp                 // an App JWT only
)

// ghRoute is one operation the fake serves. pattern is the path template exactly as in GitHub's OpenAPI
// description; greedy names the one parameter that may span several segments (x-multi-segment).
type ghRoute struct {
	method, pattern, opID, docs string
	greedy                      string
	auth                        authKind
	write                       bool
	perm                        string // installation permission needed ("checks", "pull_requests", …)
	free                        bool   // does not count against the rate limit
	h                           func(*GitHub, *ghCall) *ghResp
}

func (r *ghRoute) key() string { return r.method + " " + r.pattern }

// githubRoutes is the fake's route table. It must list the same operations as ROUTES in
// scripts/trim-openapi.mjs (TestGitHubRoutesMatchDescription checks it).
var githubRoutes = []*ghRoute{
	{method: "GET", pattern: "/app", opID: "apps/get-authenticated", auth: authApp,
		docs: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app", h: (*GitHub).getApp},
	{method: "POST", pattern: "/app/installations/{installation_id}/access_tokens", opID: "apps/create-installation-access-token", auth: authApp, write: true,
		docs: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app", h: (*GitHub).createInstallationToken},
	{method: "GET", pattern: "/rate_limit", opID: "rate-limit/get", free: true,
		docs: "https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user", h: (*GitHub).getRateLimit},
	{method: "GET", pattern: "/repos/{owner}/{repo}", opID: "repos/get", perm: "metadata",
		docs: "https://docs.github.com/rest/repos/repos#get-a-repository", h: (*GitHub).getRepo},
	{method: "GET", pattern: "/repos/{owner}/{repo}/installation", opID: "apps/get-repo-installation", auth: authApp,
		docs: "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app", h: (*GitHub).getRepoInstallation},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls", opID: "pulls/list", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/pulls#list-pull-requests", h: (*GitHub).listPulls},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}", opID: "pulls/get", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/pulls#get-a-pull-request", h: (*GitHub).getPull},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/files", opID: "pulls/list-files", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files", h: (*GitHub).listPullFiles},
	{method: "GET", pattern: "/repos/{owner}/{repo}/contents/{path}", opID: "repos/get-content", greedy: "path", perm: "contents",
		docs: "https://docs.github.com/rest/repos/contents#get-repository-content", h: (*GitHub).getContent},
	{method: "GET", pattern: "/repos/{owner}/{repo}/compare/{basehead}", opID: "repos/compare-commits-with-basehead", greedy: "basehead", perm: "contents",
		docs: "https://docs.github.com/rest/commits/commits#compare-two-commits", h: (*GitHub).compareCommits},
	{method: "GET", pattern: "/repos/{owner}/{repo}/git/blobs/{file_sha}", opID: "git/get-blob", perm: "contents",
		docs: "https://docs.github.com/rest/git/blobs#get-a-blob", h: (*GitHub).getBlob},
	{method: "POST", pattern: "/repos/{owner}/{repo}/check-runs", opID: "checks/create", write: true, perm: "checks",
		docs: "https://docs.github.com/rest/checks/runs#create-a-check-run", h: (*GitHub).createCheckRun},
	{method: "GET", pattern: "/repos/{owner}/{repo}/check-runs/{check_run_id}", opID: "checks/get", perm: "checks",
		docs: "https://docs.github.com/rest/checks/runs#get-a-check-run", h: (*GitHub).getCheckRun},
	{method: "PATCH", pattern: "/repos/{owner}/{repo}/check-runs/{check_run_id}", opID: "checks/update", write: true, perm: "checks",
		docs: "https://docs.github.com/rest/checks/runs#update-a-check-run", h: (*GitHub).updateCheckRun},
	{method: "GET", pattern: "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", opID: "checks/list-annotations", perm: "checks",
		docs: "https://docs.github.com/rest/checks/runs#list-check-run-annotations", h: (*GitHub).listAnnotations},
	{method: "GET", pattern: "/repos/{owner}/{repo}/commits/{ref}/check-runs", opID: "checks/list-for-ref", greedy: "ref", perm: "checks",
		docs: "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference", h: (*GitHub).listCheckRunsForRef},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", opID: "pulls/list-reviews", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request", h: (*GitHub).listReviews},
	{method: "POST", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", opID: "pulls/create-review", write: true, perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request", h: (*GitHub).createReview},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}", opID: "pulls/get-review", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/reviews#get-a-review-for-a-pull-request", h: (*GitHub).getReview},
	{method: "PUT", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}", opID: "pulls/update-review", write: true, perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/reviews#update-a-review-for-a-pull-request", h: (*GitHub).updateReview},
	{method: "PUT", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals", opID: "pulls/dismiss-review", write: true, perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/reviews#dismiss-a-review-for-a-pull-request", h: (*GitHub).dismissReview},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments", opID: "pulls/list-comments-for-review", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/reviews#list-comments-for-a-pull-request-review", h: (*GitHub).listCommentsForReview},
	{method: "GET", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/comments", opID: "pulls/list-review-comments", perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/comments#list-review-comments-on-a-pull-request", h: (*GitHub).listReviewComments},
	{method: "POST", pattern: "/repos/{owner}/{repo}/pulls/{pull_number}/comments", opID: "pulls/create-review-comment", write: true, perm: "pull_requests",
		docs: "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request", h: (*GitHub).createReviewComment},
	{method: "GET", pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments", opID: "issues/list-comments", perm: "issues",
		docs: "https://docs.github.com/rest/issues/comments#list-issue-comments", h: (*GitHub).listIssueComments},
	{method: "POST", pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments", opID: "issues/create-comment", write: true, perm: "issues",
		docs: "https://docs.github.com/rest/issues/comments#create-an-issue-comment", h: (*GitHub).createIssueComment},
	{method: "GET", pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}", opID: "issues/get-comment", perm: "issues",
		docs: "https://docs.github.com/rest/issues/comments#get-an-issue-comment", h: (*GitHub).getIssueComment},
	{method: "PATCH", pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}", opID: "issues/update-comment", write: true, perm: "issues",
		docs: "https://docs.github.com/rest/issues/comments#update-an-issue-comment", h: (*GitHub).updateIssueComment},
}

// matchGitHubRoute finds the route serving method and escapedPath and its (unescaped) path parameters.
func matchGitHubRoute(method, escapedPath string) (*ghRoute, map[string]string) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, rt := range githubRoutes {
		if rt.method != method && !(method == http.MethodHead && rt.method == http.MethodGet) {
			continue
		}
		if params, ok := matchSegments(strings.Split(strings.TrimPrefix(rt.pattern, "/"), "/"), segs, rt.greedy); ok {
			return rt, params
		}
	}
	return nil, nil
}

func matchSegments(pat, segs []string, greedy string) (map[string]string, bool) {
	gi := slices.Index(pat, "{"+greedy+"}")
	if greedy == "" || gi < 0 {
		if len(pat) != len(segs) {
			return nil, false
		}
	} else if len(segs) < len(pat) {
		return nil, false
	}
	params := map[string]string{}
	bind := func(p, raw string) bool {
		v, err := url.PathUnescape(raw)
		if err != nil {
			return false
		}
		if strings.HasPrefix(p, "{") {
			params[strings.Trim(p, "{}")] = v
			return v != ""
		}
		return p == raw
	}
	if gi < 0 || greedy == "" {
		for i := range pat {
			if !bind(pat[i], segs[i]) {
				return nil, false
			}
		}
		return params, true
	}
	tail := len(pat) - gi - 1
	for i := 0; i < gi; i++ {
		if !bind(pat[i], segs[i]) {
			return nil, false
		}
	}
	for i := 0; i < tail; i++ {
		if !bind(pat[len(pat)-1-i], segs[len(segs)-1-i]) {
			return nil, false
		}
	}
	var parts []string
	for _, raw := range segs[gi : len(segs)-tail] {
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, false
		}
		parts = append(parts, v)
	}
	params[greedy] = strings.Join(parts, "/")
	if params[greedy] == "" { // GitHub's description has no route for the contents root
		return nil, false
	}
	return params, true
}

// repoFor resolves {owner}/{repo} and checks the caller may use it: a private repository is invisible
// (404) to callers without access; writes and private reads by an installation need the route's
// permission on a repository the installation (or its token) covers.
func (g *GitHub) repoFor(c *ghCall) (*ghRepo, *ghResp) {
	r := g.repoLocked(c.params["owner"], c.params["repo"])
	if r == nil {
		return nil, ghNotFound(c.route)
	}
	covered := true
	if c.install != nil {
		covered = installationCovers(c.install, r) && tokenCovers(g.tokenRepos(c), r)
	}
	if r.private && (c.actor.kind == "none" || !covered) {
		return nil, ghNotFound(c.route)
	}
	if c.install != nil && c.route.perm != "" {
		level := c.install.Permissions[c.route.perm]
		if c.route.perm == "issues" && level == "" {
			level = c.install.Permissions["pull_requests"] // PR conversation comments take either
		}
		if c.route.perm == "metadata" && level == "" {
			level = "read"
		}
		need := "read"
		if c.route.write {
			need = "write"
		}
		if (c.route.write || r.private) && (!covered || !(level == need || level == "write" || level == "admin")) {
			return nil, ghError(http.StatusForbidden, "Resource not accessible by integration", c.route.docs)
		}
	}
	if c.route.perm == "checks" && c.route.write && c.actor.kind != "installation" {
		return nil, ghError(http.StatusForbidden, "You must authenticate via a GitHub App.", c.route.docs)
	}
	return r, nil
}

// tokenRepos returns the repositories the caller's token was narrowed to (nil: all of the installation).
func (g *GitHub) tokenRepos(c *ghCall) []string {
	auth := c.r.Header.Get("Authorization")
	_, cred, _ := strings.Cut(auth, " ")
	if tok := g.tokens[strings.TrimSpace(cred)]; tok != nil {
		return tok.repos
	}
	return nil
}

func installationCovers(inst *Installation, r *ghRepo) bool {
	if !strings.EqualFold(inst.Account, r.owner) {
		return false
	}
	if len(inst.Repositories) == 0 {
		return true
	}
	return slices.ContainsFunc(inst.Repositories, func(s string) bool { return strings.EqualFold(s, r.owner+"/"+r.name) })
}

func tokenCovers(names []string, r *ghRepo) bool {
	return names == nil || slices.ContainsFunc(names, func(s string) bool { return strings.EqualFold(s, r.name) })
}

func (g *GitHub) pullFor(c *ghCall, param string) (*ghRepo, *ghPull, *ghResp) {
	r, resp := g.repoFor(c)
	if resp != nil {
		return nil, nil, resp
	}
	n, err := strconv.Atoi(c.params[param])
	if err != nil || r.pulls[n] == nil {
		return nil, nil, ghNotFound(c.route)
	}
	return r, r.pulls[n], nil
}

// decodeBody unmarshals a JSON request body; an absent body decodes as {}.
func decodeBody(c *ghCall, v any) *ghResp {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return ghError(http.StatusBadRequest, "Problems parsing JSON", c.route.docs)
	}
	return nil
}

// page applies per_page/page to n items and sets GitHub's Link header; it returns the slice bounds.
func page(c *ghCall, n int, resp *ghResp) (lo, hi int) {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = GitHubDefaultPerPage
	}
	per = min(per, GitHubMaxPerPage)
	pg, err := strconv.Atoi(q.Get("page"))
	if err != nil || pg <= 0 {
		pg = 1
	}
	last := max((n+per-1)/per, 1)
	link := func(p int, rel string) string {
		u := *c.r.URL
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(per))
		u.RawQuery = qq.Encode()
		return "<" + c.base + u.RequestURI() + `>; rel="` + rel + `"`
	}
	var links []string
	if pg > 1 {
		links = append(links, link(pg-1, "prev"))
	}
	if pg < last {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		if resp.header == nil {
			resp.header = http.Header{}
		}
		resp.header.Set("Link", strings.Join(links, ", "))
	}
	if pg > last || (pg-1)*per >= n {
		return n, n
	}
	return (pg - 1) * per, min(pg*per, n)
}

func jsonList[T any](c *ghCall, items []T, obj func(T) any) *ghResp {
	resp := &ghResp{status: http.StatusOK}
	lo, hi := page(c, len(items), resp)
	out := make([]any, 0, hi-lo)
	for _, it := range items[lo:hi] {
		out = append(out, obj(it))
	}
	resp.json = out
	return resp
}

func ghOK(v any) *ghResp      { return &ghResp{status: http.StatusOK, json: v} }
func ghCreated(v any) *ghResp { return &ghResp{status: http.StatusCreated, json: v} }

// --- Apps ---

func (g *GitHub) getApp(c *ghCall) *ghResp { return ghOK(g.integrationObj(c, c.actor.app)) }

func (g *GitHub) createInstallationToken(c *ghCall) *ghResp {
	id, err := strconv.ParseInt(c.params["installation_id"], 10, 64)
	inst := g.installations[id]
	if err != nil || inst == nil || inst.AppID != c.actor.app.ID {
		return ghNotFound(c.route)
	}
	var req struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if resp := decodeBody(c, &req); resp != nil {
		return resp
	}
	var repos []*ghRepo
	for _, name := range req.Repositories {
		r := g.repoLocked(inst.Account, name)
		if r == nil || !installationCovers(inst, r) {
			return ghValidationFailed(c.route, "Installation", "repositories", "invalid",
				"There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
		repos = append(repos, r)
	}
	for _, rid := range req.RepositoryIDs {
		var found *ghRepo
		for _, r := range g.repos {
			if r.id == rid && installationCovers(inst, r) {
				found = r
			}
		}
		if found == nil {
			return ghValidationFailed(c.route, "Installation", "repository_ids", "invalid",
				"There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
		repos = append(repos, found)
	}
	perms := inst.Permissions
	if req.Permissions != nil {
		for k, v := range req.Permissions {
			have := inst.Permissions[k]
			if have == "" || (v == "write" && have == "read") {
				return ghValidationFailed(c.route, "Installation", "permissions", "invalid",
					"The permissions requested are not granted to this installation.")
			}
		}
		perms = req.Permissions
	}
	token := newToken()
	t := &ghToken{installationID: inst.ID, expires: g.now().Add(GitHubInstallationTokenLifetime)}
	selection := "all"
	if len(inst.Repositories) > 0 {
		selection = "selected"
	}
	body := map[string]any{
		"token":                token,
		"expires_at":           ghTime(t.expires),
		"permissions":          perms,
		"repository_selection": selection,
	}
	if repos != nil {
		t.repos = []string{}
		list := []any{}
		for _, r := range repos {
			t.repos = append(t.repos, r.name)
			list = append(list, g.repoObj(c, r))
		}
		body["repositories"] = list
		body["repository_selection"] = "selected"
	}
	g.tokens[token] = t
	return ghCreated(body)
}

func (g *GitHub) getRepoInstallation(c *ghCall) *ghResp {
	r := g.repoLocked(c.params["owner"], c.params["repo"])
	if r == nil {
		return ghNotFound(c.route)
	}
	for _, inst := range sortedInstallations(g.installations) {
		if inst.AppID == c.actor.app.ID && installationCovers(inst, r) {
			return ghOK(g.installationObj(c, inst))
		}
	}
	return ghNotFound(c.route)
}

func (g *GitHub) getRateLimit(c *ghCall) *ghResp {
	rl := g.rateLocked(c)
	core := map[string]any{"limit": rl.limit, "remaining": max(rl.limit-rl.used, 0), "reset": rl.reset.Unix(), "used": rl.used}
	search := map[string]any{"limit": 30, "remaining": 30, "reset": g.now().Add(time.Minute).Unix(), "used": 0}
	return ghOK(map[string]any{"resources": map[string]any{"core": core, "search": search}, "rate": core})
}

// --- Repositories, pulls, contents ---

func (g *GitHub) getRepo(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	return ghOK(g.fullRepoObj(c, r))
}

func (g *GitHub) listPulls(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var list []*ghPull
	for _, n := range sortedKeysDesc(r.pulls) {
		p := r.pulls[n]
		if state != "all" && p.p.State != state {
			continue
		}
		if h := q.Get("head"); h != "" && !strings.EqualFold(h, p.headRepo.owner+":"+p.p.HeadRef) {
			continue
		}
		if b := q.Get("base"); b != "" && b != p.p.BaseRef {
			continue
		}
		list = append(list, p)
	}
	return jsonList(c, list, func(p *ghPull) any { return g.pullObj(c, r, p) })
}

func (g *GitHub) getPull(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return resp
	}
	return ghOK(g.pullObj(c, r, p))
}

func (g *GitHub) listPullFiles(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return resp
	}
	files := p.files[p.p.HeadSHA]
	files = files[:min(len(files), GitHubMaxPullFiles)]
	return jsonList(c, files, func(f PullFile) any { return g.diffEntryObj(c, r, p, f) })
}

// resolveRef maps a branch name, refs/heads/… or a commit sha to a seeded commit.
func resolveRef(r *ghRepo, ref string) (string, *ghCommit) {
	if ref == "" {
		ref = r.defaultBranch
	}
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	if sha, ok := r.branches[ref]; ok {
		return sha, r.commits[sha]
	}
	sha := strings.ToLower(ref)
	return sha, r.commits[sha]
}

// mediaParam returns "raw" or "object" when the Accept header asks for that custom media type.
func mediaParam(accept string) string {
	for _, part := range strings.Split(strings.ToLower(accept), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.TrimSuffix(mt, "+json")
		for _, p := range []string{"raw", "object"} {
			if mt == "application/vnd.github."+p || mt == "application/vnd.github.v3."+p {
				return p
			}
		}
	}
	return ""
}

// rawMediaType is the Content-Type GitHub answers a raw request with: the requested type, charset utf-8.
func rawMediaType(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.Contains(strings.ToLower(mt), ".raw") {
			return mt + "; charset=utf-8"
		}
	}
	return "application/vnd.github.raw; charset=utf-8"
}

func (g *GitHub) tooLarge(c *ghCall, limit string) *ghResp {
	resp := ghError(http.StatusForbidden, "This API returns blobs up to "+limit+" in size. The requested blob is too large to fetch via the API, but you can use the Git Data API to request blobs up to 100 MB in size.", c.route.docs)
	resp.json.(map[string]any)["errors"] = []any{map[string]any{"resource": "Blob", "field": "data", "code": "too_large"}}
	return resp
}

func (g *GitHub) getContent(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	ref := c.r.URL.Query().Get("ref")
	sha, commit := resolveRef(r, ref)
	if commit == nil {
		return ghError(http.StatusNotFound, "No commit found for the ref "+cmpOr(ref, r.defaultBranch), c.route.docs)
	}
	path := strings.Trim(c.params["path"], "/")
	media := mediaParam(c.accept)
	if content, ok := commit.files[path]; ok {
		size := int64(len(content))
		switch {
		case size > g.Limits.BlobMax:
			return g.tooLarge(c, "100 MB")
		case media == "raw":
			return &ghResp{status: http.StatusOK, raw: content, rawCT: rawMediaType(c.accept)}
		case media == "object":
			obj := g.contentFileObj(c, r, sha, ref, path, content, size <= g.Limits.ContentsJSONMax)
			return &ghResp{status: http.StatusOK, json: obj, rawCT: "application/vnd.github.object; charset=utf-8"}
		case size > g.Limits.ContentsJSONMax:
			return g.tooLarge(c, "1 MB")
		}
		return ghOK(g.contentFileObj(c, r, sha, ref, path, content, true))
	}
	entries := dirEntries(commit, path)
	if entries == nil {
		return ghNotFound(c.route)
	}
	list := make([]any, 0, len(entries))
	for _, e := range entries {
		list = append(list, g.contentEntryObj(c, r, ref, e, commit))
	}
	if media == "object" {
		name := path[strings.LastIndexByte(path, '/')+1:]
		self := g.contentsURL(c, r, path, ref)
		obj := map[string]any{"type": "dir", "size": 0, "name": name, "path": path, "sha": ghObjectID("tree", []byte(sha+path)),
			"url": self, "git_url": nil, "html_url": nil, "download_url": nil, "entries": list,
			"_links": map[string]any{"self": self, "git": nil, "html": nil}}
		return &ghResp{status: http.StatusOK, json: obj, rawCT: "application/vnd.github.object; charset=utf-8"}
	}
	return ghOK(list)
}

// dirEntry is one entry of a directory listing: a file or a subdirectory.
type dirEntry struct {
	name, path string
	dir        bool
}

// dirEntries lists directory dir ("" for the root) of a commit, or nil when it is not a directory.
func dirEntries(commit *ghCommit, dir string) []dirEntry {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	var out []dirEntry
	for p := range commit.files {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, dirEntry{name: name, path: prefix + name, dir: isDir})
	}
	slices.SortFunc(out, func(a, b dirEntry) int { return strings.Compare(a.name, b.name) })
	return out
}

func (g *GitHub) getBlob(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	sha := strings.ToLower(c.params["file_sha"])
	content, ok := r.blobs[sha]
	if !ok {
		return ghNotFound(c.route)
	}
	if int64(len(content)) > g.Limits.BlobMax {
		return g.tooLarge(c, "100 MB")
	}
	if mediaParam(c.accept) == "raw" {
		return &ghResp{status: http.StatusOK, raw: content, rawCT: rawMediaType(c.accept)}
	}
	return ghOK(map[string]any{
		"sha": sha, "node_id": nodeID("B", int64(len(sha))), "size": len(content),
		"url":     c.base + "/repos/" + r.owner + "/" + r.name + "/git/blobs/" + sha,
		"content": githubBase64(content), "encoding": "base64",
	})
}

// compareCommits compares two seeded commits ("BASE...HEAD", each a branch or commit id). The fake keeps
// no commit graph: the merge base is the base, and the head is one commit ahead of it (none when they
// are the same commit). Changed files are listed on the first page only, at most GitHubMaxCompareFiles.
func (g *GitHub) compareCommits(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	baseRef, headRef, ok := strings.Cut(c.params["basehead"], "...")
	if !ok || baseRef == "" || headRef == "" {
		return ghNotFound(c.route)
	}
	baseSHA, base := resolveRef(r, baseRef)
	headSHA, head := resolveRef(r, headRef)
	if base == nil || head == nil {
		return ghNotFound(c.route)
	}
	var commits []string
	status, files := "identical", []PullFile{}
	if baseSHA != headSHA {
		commits, status = []string{headSHA}, "ahead"
		files = diffTrees(base.files, head.files)
	}
	resp = &ghResp{status: http.StatusOK}
	lo, hi := page(c, len(commits), resp)
	list := make([]any, 0, hi-lo)
	for _, sha := range commits[lo:hi] {
		list = append(list, g.commitObj(c, r, sha, []string{baseSHA}))
	}
	full := r.owner + "/" + r.name
	basehead := url.PathEscape(baseRef) + "..." + url.PathEscape(headRef)
	o := map[string]any{
		"url":      c.base + "/repos/" + full + "/compare/" + basehead,
		"html_url": c.base + "/" + full + "/compare/" + basehead, "permalink_url": c.base + "/" + full + "/compare/" + baseSHA + "..." + headSHA,
		"diff_url": c.base + "/" + full + "/compare/" + basehead + ".diff", "patch_url": c.base + "/" + full + "/compare/" + basehead + ".patch",
		"base_commit": g.commitObj(c, r, baseSHA, nil), "merge_base_commit": g.commitObj(c, r, baseSHA, nil),
		"status": status, "ahead_by": len(commits), "behind_by": 0, "total_commits": len(commits), "commits": list,
	}
	if pg := c.r.URL.Query().Get("page"); pg == "" || pg == "1" {
		entries := make([]any, 0, min(len(files), GitHubMaxCompareFiles))
		for _, f := range files[:min(len(files), GitHubMaxCompareFiles)] {
			entries = append(entries, g.compareFileObj(c, r, headSHA, f))
		}
		o["files"] = entries
	}
	resp.json = o
	return resp
}

// githubBase64 encodes like GitHub: standard base64 with a newline after every 60 characters.
func githubBase64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(s) > 60 {
		sb.WriteString(s[:60])
		sb.WriteByte('\n')
		s = s[60:]
	}
	sb.WriteString(s)
	if sb.Len() > 0 {
		sb.WriteByte('\n')
	}
	return sb.String()
}

// --- Check runs ---

// checkRunInput is the body of a check-run create or update; pointers tell absent from empty.
type checkRunInput struct {
	Name        *string `json:"name"`
	HeadSHA     string  `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title       *string `json:"title"`
		Summary     *string `json:"summary"`
		Text        *string `json:"text"`
		Annotations []struct {
			Path            string  `json:"path"`
			StartLine       int     `json:"start_line"`
			EndLine         int     `json:"end_line"`
			StartColumn     int     `json:"start_column"`
			EndColumn       int     `json:"end_column"`
			AnnotationLevel string  `json:"annotation_level"`
			Message         string  `json:"message"`
			Title           *string `json:"title"`
			RawDetails      *string `json:"raw_details"`
		} `json:"annotations"`
	} `json:"output"`
}

var (
	checkStatuses    = []string{"queued", "in_progress", "completed"}
	checkConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}
	annotationLevels = []string{"notice", "warning", "failure"}
)

// applyCheckRun validates in and applies it to cr; it returns an error response without changing cr
// when GitHub would refuse the request.
func (g *GitHub) applyCheckRun(c *ghCall, cr *CheckRun, in *checkRunInput) *ghResp {
	invalid := func(msg string) *ghResp {
		return &ghResp{status: http.StatusUnprocessableEntity, json: map[string]any{
			"message": "Invalid request.\n\n" + msg, "documentation_url": c.route.docs, "status": "422"}}
	}
	next := *cr
	next.Annotations = slices.Clone(cr.Annotations)
	if in.Name != nil {
		if *in.Name == "" {
			return ghValidationFailed(c.route, "CheckRun", "name", "missing_field", "name can't be blank")
		}
		next.Name = *in.Name
	}
	if in.DetailsURL != nil {
		next.DetailsURL = *in.DetailsURL
	}
	if in.ExternalID != nil {
		next.ExternalID = *in.ExternalID
	}
	if in.StartedAt != nil {
		t, err := time.Parse(time.RFC3339, *in.StartedAt)
		if err != nil {
			return invalid(fmt.Sprintf("%q is not a timestamp.", *in.StartedAt))
		}
		next.StartedAt = t.UTC()
	}
	if in.Status != nil {
		if !slices.Contains(checkStatuses, *in.Status) {
			return invalid(fmt.Sprintf("%q is not a member of %v for \"status\".", *in.Status, checkStatuses))
		}
		next.Status = *in.Status
		if next.Status != "completed" {
			next.Conclusion, next.CompletedAt = "", time.Time{}
		}
	}
	if in.Conclusion != nil {
		if !slices.Contains(checkConclusions, *in.Conclusion) {
			return invalid(fmt.Sprintf("%q is not a member of %v for \"conclusion\".", *in.Conclusion, checkConclusions))
		}
		next.Conclusion, next.Status = *in.Conclusion, "completed"
	}
	if in.CompletedAt != nil {
		t, err := time.Parse(time.RFC3339, *in.CompletedAt)
		if err != nil {
			return invalid(fmt.Sprintf("%q is not a timestamp.", *in.CompletedAt))
		}
		next.CompletedAt = t.UTC()
	}
	if (next.Status == "completed" || in.CompletedAt != nil) && next.Conclusion == "" {
		return invalid("\"conclusion\" is required when \"status\" is \"completed\".")
	}
	if next.Status == "completed" && next.CompletedAt.IsZero() {
		next.CompletedAt = g.now()
	}
	if o := in.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return invalid("\"title\" and \"summary\" are required in \"output\".")
		}
		if len([]rune(*o.Summary)) > GitHubMaxOutputText || (o.Text != nil && len([]rune(*o.Text)) > GitHubMaxOutputText) {
			return invalid(fmt.Sprintf("\"output.summary\" and \"output.text\" are limited to %d characters.", GitHubMaxOutputText))
		}
		if len(o.Annotations) > GitHubMaxAnnotationsPerRequest {
			return invalid(fmt.Sprintf("\"output.annotations\" is limited to %d items per request.", GitHubMaxAnnotationsPerRequest))
		}
		next.Title, next.Summary = *o.Title, *o.Summary
		if o.Text != nil {
			next.Text = *o.Text
		}
		for i, a := range o.Annotations {
			switch {
			case a.Path == "" || a.Message == "" || a.StartLine <= 0 || a.EndLine <= 0:
				return invalid(fmt.Sprintf("annotation %d needs path, start_line, end_line, annotation_level and message.", i))
			case !slices.Contains(annotationLevels, a.AnnotationLevel):
				return invalid(fmt.Sprintf("%q is not a member of %v for \"annotation_level\".", a.AnnotationLevel, annotationLevels))
			case a.EndLine < a.StartLine:
				return invalid(fmt.Sprintf("annotation %d: end_line is before start_line.", i))
			case (a.StartColumn != 0 || a.EndColumn != 0) && a.StartLine != a.EndLine:
				return invalid(fmt.Sprintf("annotation %d: start_column and end_column are only allowed when start_line equals end_line.", i))
			case a.Title != nil && len([]rune(*a.Title)) > GitHubMaxAnnotationTitle:
				return invalid(fmt.Sprintf("annotation %d: title is longer than %d characters.", i, GitHubMaxAnnotationTitle))
			case len(a.Message) > GitHubMaxAnnotationText || (a.RawDetails != nil && len(*a.RawDetails) > GitHubMaxAnnotationText):
				return invalid(fmt.Sprintf("annotation %d: message and raw_details are limited to 64 KB.", i))
			}
			ann := CheckAnnotation{Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine, StartColumn: a.StartColumn,
				EndColumn: a.EndColumn, Level: a.AnnotationLevel, Message: a.Message}
			if a.Title != nil {
				ann.Title = *a.Title
			}
			if a.RawDetails != nil {
				ann.RawDetails = *a.RawDetails
			}
			next.Annotations = append(next.Annotations, ann)
		}
	}
	*cr = next
	return nil
}

// knownCommit reports whether sha is a seeded commit or the (current or earlier) head of a pull request.
func knownCommit(r *ghRepo, sha string) bool {
	if r.commits[sha] != nil {
		return true
	}
	for _, p := range r.pulls {
		if _, ok := p.files[sha]; ok {
			return true
		}
	}
	return false
}

func (g *GitHub) createCheckRun(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	var in checkRunInput
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	if in.Name == nil || in.HeadSHA == "" {
		return ghValidationFailed(c.route, "CheckRun", "name", "missing_field", "name and head_sha are required")
	}
	sha := strings.ToLower(in.HeadSHA)
	if !knownCommit(r, sha) {
		return ghError(http.StatusUnprocessableEntity, "No commit found for SHA: "+in.HeadSHA, c.route.docs)
	}
	cr := &CheckRun{AppID: c.actor.app.ID, HeadSHA: sha, Status: "queued", StartedAt: g.now()}
	if resp := g.applyCheckRun(c, cr, &in); resp != nil {
		return resp
	}
	cr.ID = g.newID()
	if r.checkSuites[sha] == 0 {
		r.checkSuites[sha] = g.newID()
	}
	r.checkRuns = append(r.checkRuns, cr)
	return ghCreated(g.checkRunObj(c, r, cr))
}

func (g *GitHub) checkRunFor(c *ghCall) (*ghRepo, *CheckRun, *ghResp) {
	r, resp := g.repoFor(c)
	if resp != nil {
		return nil, nil, resp
	}
	id, _ := strconv.ParseInt(c.params["check_run_id"], 10, 64)
	for _, cr := range r.checkRuns {
		if cr.ID == id {
			return r, cr, nil
		}
	}
	return nil, nil, ghNotFound(c.route)
}

func (g *GitHub) getCheckRun(c *ghCall) *ghResp {
	r, cr, resp := g.checkRunFor(c)
	if resp != nil {
		return resp
	}
	return ghOK(g.checkRunObj(c, r, cr))
}

func (g *GitHub) updateCheckRun(c *ghCall) *ghResp {
	r, cr, resp := g.checkRunFor(c)
	if resp != nil {
		return resp
	}
	if cr.AppID != c.actor.app.ID {
		return ghError(http.StatusForbidden, fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", c.actor.app.ID), c.route.docs)
	}
	var in checkRunInput
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	if resp := g.applyCheckRun(c, cr, &in); resp != nil {
		return resp
	}
	cr.Updates++
	return ghOK(g.checkRunObj(c, r, cr))
}

func (g *GitHub) listAnnotations(c *ghCall) *ghResp {
	r, cr, resp := g.checkRunFor(c)
	if resp != nil {
		return resp
	}
	return jsonList(c, cr.Annotations, func(a CheckAnnotation) any { return g.annotationObj(c, r, cr, a) })
}

func (g *GitHub) listCheckRunsForRef(c *ghCall) *ghResp {
	r, resp := g.repoFor(c)
	if resp != nil {
		return resp
	}
	sha, _ := resolveRef(r, c.params["ref"])
	q := c.r.URL.Query()
	var runs []*CheckRun
	latest := map[string]int{}
	for i := len(r.checkRuns) - 1; i >= 0; i-- { // newest first
		cr := r.checkRuns[i]
		if cr.HeadSHA != sha {
			continue
		}
		if name := q.Get("check_name"); name != "" && cr.Name != name {
			continue
		}
		if st := q.Get("status"); st != "" && cr.Status != st {
			continue
		}
		if app := q.Get("app_id"); app != "" && app != strconv.FormatInt(cr.AppID, 10) {
			continue
		}
		if q.Get("filter") != "all" {
			if latest[cr.Name] > 0 {
				continue
			}
			latest[cr.Name]++
		}
		runs = append(runs, cr)
	}
	resp = &ghResp{status: http.StatusOK}
	lo, hi := page(c, len(runs), resp)
	list := make([]any, 0, hi-lo)
	for _, cr := range runs[lo:hi] {
		list = append(list, g.checkRunObj(c, r, cr))
	}
	resp.json = map[string]any{"total_count": len(runs), "check_runs": list}
	return resp
}

// --- Reviews and review comments ---

// draftComment is one comment of a review being created, or the body of a single review comment.
type draftComment struct {
	Path        string  `json:"path"`
	Position    *int    `json:"position"`
	Body        string  `json:"body"`
	Line        *int    `json:"line"`
	Side        *string `json:"side"`
	StartLine   *int    `json:"start_line"`
	StartSide   *string `json:"start_side"`
	SubjectType string  `json:"subject_type"`
}

// The messages GitHub answers a review comment it cannot place with (422).
const (
	msgLineNotInDiff    = "Pull request review thread line must be part of the diff"
	msgHunkBlank        = "Pull request review thread diff hunk can't be blank"
	msgStartLineHunk    = "Pull request review thread start line must be part of the same hunk as the line."
	msgPathNotResolved  = "Path could not be resolved"
	msgPositionInvalid  = "Pull request review thread position is invalid"
	msgCommitNotInPull  = "Pull request review thread commit is not part of the pull request"
	msgBodyTooLong      = "Body is too long (maximum is 65536 characters)"
	msgSideInvalid      = "Pull request review thread side is not included in the list"
	msgOwnRequestChange = "Review Can not request changes on your own pull request"
	msgOwnApprove       = "Review Can not approve your own pull request"
)

// placeComment finds where a draft comment sits in the diff of commit sha; errs are GitHub's messages.
func placeComment(p *ghPull, sha string, d draftComment) (ReviewComment, []string) {
	rc := ReviewComment{Path: d.Path, Body: d.Body, CommitID: sha, SubjectType: "line"}
	files := p.files[sha]
	if !slices.ContainsFunc(files, func(f PullFile) bool { return f.Filename == d.Path }) {
		return rc, []string{msgPathNotResolved}
	}
	pp := p.parsed[sha+"\x00"+d.Path]
	if d.SubjectType == "file" {
		rc.SubjectType = "file"
		return rc, nil
	}
	if d.Line == nil && d.Position != nil {
		dl, ok := pp.atPosition(*d.Position)
		if !ok {
			return rc, []string{msgPositionInvalid}
		}
		rc.Position, rc.DiffHunk = dl.position, pp.hunkUpTo(dl)
		rc.Line, rc.Side = dl.newLine, "RIGHT"
		if dl.kind == '-' {
			rc.Line, rc.Side = dl.oldLine, "LEFT"
		}
		return rc, nil
	}
	if d.Line == nil {
		return rc, []string{msgLineNotInDiff + " and " + msgHunkBlank}
	}
	side := "RIGHT"
	if d.Side != nil {
		side = *d.Side
	}
	if side != "RIGHT" && side != "LEFT" {
		return rc, []string{msgSideInvalid}
	}
	dl, ok := pp.at(side, *d.Line)
	if !ok {
		return rc, []string{msgLineNotInDiff + " and " + msgHunkBlank}
	}
	rc.Line, rc.Side, rc.Position, rc.DiffHunk = *d.Line, side, dl.position, pp.hunkUpTo(dl)
	if d.StartLine != nil {
		startSide := side
		if d.StartSide != nil {
			startSide = *d.StartSide
		}
		sl, ok := pp.at(startSide, *d.StartLine)
		if !ok || sl.hunk != dl.hunk || sl.position > dl.position {
			return rc, []string{msgStartLineHunk}
		}
		rc.StartLine, rc.StartSide = *d.StartLine, startSide
	}
	return rc, nil
}

func (g *GitHub) createReview(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return resp
	}
	var in struct {
		CommitID string         `json:"commit_id"`
		Body     string         `json:"body"`
		Event    string         `json:"event"`
		Comments []draftComment `json:"comments"`
	}
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	login := c.actor.login
	if c.actor.kind == "none" {
		return ghError(http.StatusUnauthorized, "Requires authentication", c.route.docs)
	}
	sha := cmpOr(strings.ToLower(in.CommitID), p.p.HeadSHA)
	if _, ok := p.files[sha]; !ok {
		return ghValidationFailedSimple(c.route, msgCommitNotInPull)
	}
	state := map[string]string{"": "PENDING", "APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}[in.Event]
	switch {
	case state == "":
		return ghValidationFailedSimple(c.route, fmt.Sprintf("Event %q is not one of APPROVE, REQUEST_CHANGES, COMMENT", in.Event))
	case (in.Event == "REQUEST_CHANGES" || in.Event == "COMMENT") && strings.TrimSpace(in.Body) == "":
		return ghValidationFailedSimple(c.route, "Body is required when using REQUEST_CHANGES or COMMENT")
	case len([]rune(in.Body)) > GitHubMaxCommentBody:
		return ghValidationFailedSimple(c.route, msgBodyTooLong)
	case in.Event == "REQUEST_CHANGES" && strings.EqualFold(login, p.p.User):
		return ghValidationFailedSimple(c.route, msgOwnRequestChange)
	case in.Event == "APPROVE" && strings.EqualFold(login, p.p.User):
		return ghValidationFailedSimple(c.route, msgOwnApprove)
	}
	// One comment GitHub cannot place fails the whole review: nothing is created.
	var placed []ReviewComment
	var errs []string
	for _, d := range in.Comments {
		if len([]rune(d.Body)) > GitHubMaxCommentBody {
			errs = appendUnique(errs, msgBodyTooLong)
			continue
		}
		d.SubjectType = ""
		rc, e := placeComment(p, sha, d)
		for _, m := range e {
			errs = appendUnique(errs, m)
		}
		placed = append(placed, rc)
	}
	if len(errs) > 0 {
		return ghValidationFailedSimple(c.route, strings.Join(errs, ", and "))
	}
	now := g.now()
	rv := &Review{ID: g.newID(), User: login, Body: in.Body, State: state, CommitID: sha}
	if state != "PENDING" {
		rv.SubmittedAt = now
	}
	p.reviews = append(p.reviews, rv)
	for _, rc := range placed {
		rc.ID, rc.ReviewID, rc.User, rc.CreatedAt = g.newID(), rv.ID, login, now
		p.comments = append(p.comments, &rc)
		p.reviewCmt[rv.ID] = append(p.reviewCmt[rv.ID], len(p.comments)-1)
	}
	return ghOK(g.reviewObj(c, r, p, rv))
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// visibleReviews hides other users' pending reviews, as GitHub does.
func visibleReviews(p *ghPull, login string) []*Review {
	var out []*Review
	for _, rv := range p.reviews {
		if rv.State == "PENDING" && !strings.EqualFold(rv.User, login) {
			continue
		}
		out = append(out, rv)
	}
	return out
}

func (g *GitHub) listReviews(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return resp
	}
	return jsonList(c, visibleReviews(p, c.actor.login), func(rv *Review) any { return g.reviewObj(c, r, p, rv) })
}

func (g *GitHub) reviewFor(c *ghCall) (*ghRepo, *ghPull, *Review, *ghResp) {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return nil, nil, nil, resp
	}
	id, _ := strconv.ParseInt(c.params["review_id"], 10, 64)
	for _, rv := range visibleReviews(p, c.actor.login) {
		if rv.ID == id {
			return r, p, rv, nil
		}
	}
	return nil, nil, nil, ghNotFound(c.route)
}

func (g *GitHub) getReview(c *ghCall) *ghResp {
	r, p, rv, resp := g.reviewFor(c)
	if resp != nil {
		return resp
	}
	return ghOK(g.reviewObj(c, r, p, rv))
}

func (g *GitHub) updateReview(c *ghCall) *ghResp {
	r, p, rv, resp := g.reviewFor(c)
	if resp != nil {
		return resp
	}
	var in struct {
		Body *string `json:"body"`
	}
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	switch {
	case in.Body == nil:
		return ghValidationFailedSimple(c.route, "Body can't be blank")
	case len([]rune(*in.Body)) > GitHubMaxCommentBody:
		return ghValidationFailedSimple(c.route, msgBodyTooLong)
	case !strings.EqualFold(rv.User, c.actor.login):
		return ghError(http.StatusForbidden, "Resource not accessible by integration", c.route.docs)
	}
	rv.Body = *in.Body
	return ghOK(g.reviewObj(c, r, p, rv))
}

func (g *GitHub) dismissReview(c *ghCall) *ghResp {
	r, p, rv, resp := g.reviewFor(c)
	if resp != nil {
		return resp
	}
	var in struct {
		Message *string `json:"message"`
	}
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	switch {
	case in.Message == nil || strings.TrimSpace(*in.Message) == "":
		return ghValidationFailedSimple(c.route, "Message can't be blank")
	case rv.State == "PENDING":
		return ghValidationFailedSimple(c.route, "Can not dismiss a pending pull request review")
	case rv.State == "COMMENTED":
		return ghValidationFailedSimple(c.route, "Can not dismiss a commented pull request review")
	}
	rv.State, rv.DismissalMessage = "DISMISSED", *in.Message
	return ghOK(g.reviewObj(c, r, p, rv))
}

func (g *GitHub) listCommentsForReview(c *ghCall) *ghResp {
	r, p, rv, resp := g.reviewFor(c)
	if resp != nil {
		return resp
	}
	var list []*ReviewComment
	for _, idx := range p.reviewCmt[rv.ID] {
		list = append(list, p.comments[idx])
	}
	return jsonList(c, list, func(rc *ReviewComment) any { return g.reviewCommentObj(c, r, p, rc, true) })
}

func (g *GitHub) listReviewComments(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return resp
	}
	visible := map[int64]bool{}
	for _, rv := range visibleReviews(p, c.actor.login) {
		visible[rv.ID] = true
	}
	var list []*ReviewComment
	for _, rc := range p.comments {
		if visible[rc.ReviewID] {
			list = append(list, rc)
		}
	}
	return jsonList(c, list, func(rc *ReviewComment) any { return g.reviewCommentObj(c, r, p, rc, false) })
}

func (g *GitHub) createReviewComment(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "pull_number")
	if resp != nil {
		return resp
	}
	var in struct {
		draftComment
		CommitID  string `json:"commit_id"`
		InReplyTo int64  `json:"in_reply_to"`
	}
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	fail := func(field, msg string) *ghResp {
		return ghValidationFailed(c.route, "PullRequestReviewComment", field, "custom", msg)
	}
	if len([]rune(in.Body)) > GitHubMaxCommentBody {
		return fail("body", msgBodyTooLong)
	}
	var rc ReviewComment
	if in.InReplyTo != 0 {
		var parent *ReviewComment
		for _, x := range p.comments {
			if x.ID == in.InReplyTo {
				parent = x
			}
		}
		if parent == nil {
			return fail("in_reply_to", "in_reply_to is not a review comment of this pull request")
		}
		rc = *parent
		rc.Body = in.Body
	} else {
		sha := strings.ToLower(in.CommitID)
		if _, ok := p.files[sha]; !ok {
			return fail("commit_id", "commit_id is not part of the pull request")
		}
		var errs []string
		rc, errs = placeComment(p, sha, in.draftComment)
		if len(errs) > 0 {
			switch errs[0] {
			case msgPathNotResolved:
				return fail("pull_request_review_thread.path", "pull_request_review_thread.path could not be resolved")
			case msgStartLineHunk:
				return fail("pull_request_review_thread.start_line", "pull_request_review_thread.start_line must be part of the same hunk as the line.")
			default:
				return fail("pull_request_review_thread.line", "pull_request_review_thread.line must be part of the diff")
			}
		}
	}
	// GitHub wraps a single comment in a COMMENTED review of its own.
	now := g.now()
	rv := &Review{ID: g.newID(), User: c.actor.login, State: "COMMENTED", CommitID: rc.CommitID, SubmittedAt: now}
	p.reviews = append(p.reviews, rv)
	rc.ID, rc.ReviewID, rc.User, rc.CreatedAt = g.newID(), rv.ID, c.actor.login, now
	p.comments = append(p.comments, &rc)
	p.reviewCmt[rv.ID] = append(p.reviewCmt[rv.ID], len(p.comments)-1)
	obj := g.reviewCommentObj(c, r, p, &rc, false)
	resp = ghCreated(obj)
	resp.header = http.Header{"Location": {obj["url"].(string)}}
	return resp
}

// --- Issue comments ---

func (g *GitHub) listIssueComments(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "issue_number")
	if resp != nil {
		return resp
	}
	list := r.issueComments[p.p.Number]
	if since := c.r.URL.Query().Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err == nil {
			list = slices.DeleteFunc(slices.Clone(list), func(ic *IssueComment) bool { return ic.UpdatedAt.Before(t) })
		}
	}
	return jsonList(c, list, func(ic *IssueComment) any { return g.issueCommentObj(c, r, p.p.Number, ic) })
}

func commentBodyError(c *ghCall, body *string) *ghResp {
	switch {
	case body == nil || *body == "":
		return ghValidationFailed(c.route, "IssueComment", "body", "missing_field", "")
	case len([]rune(*body)) > GitHubMaxCommentBody:
		return ghValidationFailed(c.route, "IssueComment", "body", "custom", msgBodyTooLong)
	}
	return nil
}

func (g *GitHub) createIssueComment(c *ghCall) *ghResp {
	r, p, resp := g.pullFor(c, "issue_number")
	if resp != nil {
		return resp
	}
	var in struct {
		Body *string `json:"body"`
	}
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	if resp := commentBodyError(c, in.Body); resp != nil {
		return resp
	}
	now := g.now()
	ic := &IssueComment{ID: g.newID(), User: c.actor.login, Body: *in.Body, CreatedAt: now, UpdatedAt: now}
	r.issueComments[p.p.Number] = append(r.issueComments[p.p.Number], ic)
	obj := g.issueCommentObj(c, r, p.p.Number, ic)
	resp = ghCreated(obj)
	resp.header = http.Header{"Location": {obj["url"].(string)}}
	return resp
}

func (g *GitHub) issueCommentFor(c *ghCall) (*ghRepo, int, *IssueComment, *ghResp) {
	r, resp := g.repoFor(c)
	if resp != nil {
		return nil, 0, nil, resp
	}
	id, _ := strconv.ParseInt(c.params["comment_id"], 10, 64)
	for n, list := range r.issueComments {
		for _, ic := range list {
			if ic.ID == id {
				return r, n, ic, nil
			}
		}
	}
	return nil, 0, nil, ghNotFound(c.route)
}

func (g *GitHub) getIssueComment(c *ghCall) *ghResp {
	r, n, ic, resp := g.issueCommentFor(c)
	if resp != nil {
		return resp
	}
	return ghOK(g.issueCommentObj(c, r, n, ic))
}

func (g *GitHub) updateIssueComment(c *ghCall) *ghResp {
	r, n, ic, resp := g.issueCommentFor(c)
	if resp != nil {
		return resp
	}
	var in struct {
		Body *string `json:"body"`
	}
	if resp := decodeBody(c, &in); resp != nil {
		return resp
	}
	if resp := commentBodyError(c, in.Body); resp != nil {
		return resp
	}
	if !strings.EqualFold(ic.User, c.actor.login) {
		return ghError(http.StatusForbidden, "Resource not accessible by integration", c.route.docs)
	}
	ic.Body, ic.UpdatedAt = *in.Body, g.now()
	return ghOK(g.issueCommentObj(c, r, n, ic))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
