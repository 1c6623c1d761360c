package testenv

import (
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file builds the JSON objects the fake answers with, field for field as GitHub's OpenAPI
// description requires them (its required properties are all present, nullable ones as null).

type obj = map[string]any

func ghTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ghTimeOrNil is a nullable date-time.
func ghTimeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ghTime(t)
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ghObjectID returns git's object id of kind ("blob", "tree", …) with content.
func ghObjectID(kind string, content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// nodeID is a GraphQL-style global id.
func nodeID(prefix string, id int64) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte("fake:"+strconv.FormatInt(id, 10)))
}

func sortedKeysDesc[V any](m map[int]V) []int {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b int) int { return cmp.Compare(b, a) })
	return keys
}

func sortedInstallations(m map[int64]*Installation) []*Installation {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *Installation) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (g *GitHub) userObj(c *ghCall, login string) obj {
	api := c.base + "/users/" + url.PathEscape(login)
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	id := g.userID(login)
	return obj{
		"login": login, "id": id, "node_id": nodeID("U", id), "type": typ, "site_admin": false,
		"avatar_url": c.base + "/avatars/u/" + strconv.FormatInt(id, 10), "gravatar_id": "",
		"url": api, "html_url": c.base + "/" + url.PathEscape(login),
		"followers_url": api + "/followers", "following_url": api + "/following{/other_user}",
		"gists_url": api + "/gists{/gist_id}", "starred_url": api + "/starred{/owner}{/repo}",
		"subscriptions_url": api + "/subscriptions", "organizations_url": api + "/orgs",
		"repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
		"received_events_url": api + "/received_events", "user_view_type": "public",
	}
}

func (g *GitHub) repoObj(c *ghCall, r *ghRepo) obj {
	full := r.owner + "/" + r.name
	api := c.base + "/repos/" + full
	html := c.base + "/" + full
	visibility := "public"
	if r.private {
		visibility = "private"
	}
	return obj{
		"id": r.id, "node_id": nodeID("R", r.id), "name": r.name, "full_name": full,
		"owner": g.userObj(c, r.owner), "private": r.private, "visibility": visibility,
		"html_url": html, "description": nil, "fork": r.fork, "url": api,
		"archive_url": api + "/{archive_format}{/ref}", "assignees_url": api + "/assignees{/user}",
		"blobs_url": api + "/git/blobs{/sha}", "branches_url": api + "/branches{/branch}",
		"collaborators_url": api + "/collaborators{/collaborator}", "comments_url": api + "/comments{/number}",
		"commits_url": api + "/commits{/sha}", "compare_url": api + "/compare/{base}...{head}",
		"contents_url": api + "/contents/{+path}", "contributors_url": api + "/contributors",
		"deployments_url": api + "/deployments", "downloads_url": api + "/downloads",
		"events_url": api + "/events", "forks_url": api + "/forks",
		"git_commits_url": api + "/git/commits{/sha}", "git_refs_url": api + "/git/refs{/sha}",
		"git_tags_url": api + "/git/tags{/sha}", "git_url": "git://" + strings.TrimPrefix(strings.TrimPrefix(c.base, "http://"), "https://") + "/" + full + ".git",
		"issue_comment_url": api + "/issues/comments{/number}", "issue_events_url": api + "/issues/events{/number}",
		"issues_url": api + "/issues{/number}", "keys_url": api + "/keys{/key_id}",
		"labels_url": api + "/labels{/name}", "languages_url": api + "/languages", "merges_url": api + "/merges",
		"milestones_url": api + "/milestones{/number}", "notifications_url": api + "/notifications{?since,all,participating}",
		"pulls_url": api + "/pulls{/number}", "releases_url": api + "/releases{/id}",
		"ssh_url": "git@fake:" + full + ".git", "stargazers_url": api + "/stargazers",
		"statuses_url": api + "/statuses/{sha}", "subscribers_url": api + "/subscribers",
		"subscription_url": api + "/subscription", "tags_url": api + "/tags", "teams_url": api + "/teams",
		"trees_url": api + "/git/trees{/sha}", "clone_url": html + ".git", "mirror_url": nil,
		"hooks_url": api + "/hooks", "svn_url": html, "homepage": nil, "language": nil,
		"forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 0,
		"default_branch": r.defaultBranch, "open_issues_count": len(r.pulls), "open_issues": len(r.pulls),
		"is_template": false, "topics": []any{}, "has_issues": true, "has_projects": true, "has_wiki": true,
		"has_pages": false, "has_downloads": true, "has_discussions": false, "archived": r.archived, "disabled": false,
		"license": nil, "pushed_at": ghTime(r.created), "created_at": ghTime(r.created), "updated_at": ghTime(r.created),
		"allow_forking": true, "web_commit_signoff_required": false,
	}
}

func (g *GitHub) fullRepoObj(c *ghCall, r *ghRepo) obj {
	o := g.repoObj(c, r)
	o["network_count"] = 0
	o["subscribers_count"] = 0
	if r.parent != "" {
		owner, name, _ := strings.Cut(r.parent, "/")
		if p := g.repoLocked(owner, name); p != nil {
			o["parent"] = g.repoObj(c, p)
			o["source"] = g.repoObj(c, p)
		}
	}
	return o
}

func link(href string) obj { return obj{"href": href} }

func (g *GitHub) pullObj(c *ghCall, r *ghRepo, p *ghPull) obj {
	n := strconv.Itoa(p.p.Number)
	api := c.base + "/repos/" + r.owner + "/" + r.name
	html := c.base + "/" + r.owner + "/" + r.name + "/pull/" + n
	issue := api + "/issues/" + n
	self := api + "/pulls/" + n
	files := p.files[p.p.HeadSHA]
	adds, dels := 0, 0
	for _, f := range files {
		a, d := p.parsed[p.p.HeadSHA+"\x00"+f.Filename].counts()
		adds, dels = adds+a, dels+d
	}
	comments := len(r.issueComments[p.p.Number])
	closed := any(nil)
	if p.p.State == "closed" {
		closed = ghTime(p.created)
	}
	side := func(repo *ghRepo, ref, sha string) obj {
		return obj{"label": repo.owner + ":" + ref, "ref": ref, "sha": sha, "user": g.userObj(c, repo.owner), "repo": g.repoObj(c, repo)}
	}
	return obj{
		"url": self, "id": p.id, "node_id": nodeID("PR", p.id), "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"commits_url": self + "/commits", "review_comments_url": self + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": issue + "/comments",
		"statuses_url": api + "/statuses/" + p.p.HeadSHA,
		"number":       p.p.Number, "state": p.p.State, "locked": false, "title": p.p.Title,
		"user": g.userObj(c, p.p.User), "body": strOrNil(p.p.Body), "labels": []any{}, "milestone": nil,
		"active_lock_reason": nil, "created_at": ghTime(p.created), "updated_at": ghTime(p.created),
		"closed_at": closed, "merged_at": nil, "merge_commit_sha": nil, "assignee": nil, "assignees": []any{},
		"requested_reviewers": []any{}, "requested_teams": []any{},
		"head": side(p.headRepo, p.p.HeadRef, p.p.HeadSHA),
		"base": side(r, p.p.BaseRef, p.p.BaseSHA),
		"_links": obj{
			"self": link(self), "html": link(html), "issue": link(issue), "comments": link(issue + "/comments"),
			"review_comments": link(self + "/comments"), "review_comment": link(api + "/pulls/comments{/number}"),
			"commits": link(self + "/commits"), "statuses": link(api + "/statuses/" + p.p.HeadSHA),
		},
		"author_association": g.association(r, p.p.User), "auto_merge": nil, "draft": p.p.Draft,
		"merged": false, "mergeable": true, "rebaseable": true, "mergeable_state": "clean", "merged_by": nil,
		"comments": comments, "review_comments": len(p.comments), "maintainer_can_modify": p.headRepo != r,
		"commits": 1, "additions": adds, "deletions": dels, "changed_files": len(files),
	}
}

// association is the author_association of login in r.
func (g *GitHub) association(r *ghRepo, login string) string {
	switch {
	case strings.EqualFold(login, r.owner):
		return "OWNER"
	case strings.HasSuffix(login, "[bot]"):
		return "NONE"
	}
	return "CONTRIBUTOR"
}

func (g *GitHub) diffEntryObj(c *ghCall, r *ghRepo, p *ghPull, f PullFile) obj {
	sha := p.p.HeadSHA
	pp := p.parsed[sha+"\x00"+f.Filename]
	adds, dels := pp.counts()
	esc := escapePath(f.Filename)
	o := obj{
		"sha": f.SHA, "filename": f.Filename, "status": f.Status,
		"additions": adds, "deletions": dels, "changes": adds + dels,
		"blob_url":     c.base + "/" + p.headRepo.owner + "/" + p.headRepo.name + "/blob/" + sha + "/" + esc,
		"raw_url":      c.base + "/" + p.headRepo.owner + "/" + p.headRepo.name + "/raw/" + sha + "/" + esc,
		"contents_url": c.base + "/repos/" + r.owner + "/" + r.name + "/contents/" + esc + "?ref=" + sha,
	}
	omit := f.OmitPatch || len(f.Patch) > g.Limits.PatchMaxBytes || pp.lineCount() > g.Limits.PatchMaxLines
	if f.Patch != "" && !omit {
		o["patch"] = f.Patch
	}
	if f.PreviousFilename != "" {
		o["previous_filename"] = f.PreviousFilename
	}
	return o
}

// compareFileObj is a changed file of a comparison (the diff-entry schema), patch included unless
// over the limits that make GitHub omit it.
func (g *GitHub) compareFileObj(c *ghCall, r *ghRepo, headSHA string, f PullFile) obj {
	pp, err := parsePatch(f.Patch)
	if err != nil {
		pp = nil
	}
	adds, dels := pp.counts()
	esc := escapePath(f.Filename)
	o := obj{
		"sha": f.SHA, "filename": f.Filename, "status": f.Status,
		"additions": adds, "deletions": dels, "changes": adds + dels,
		"blob_url":     c.base + "/" + r.owner + "/" + r.name + "/blob/" + headSHA + "/" + esc,
		"raw_url":      c.base + "/" + r.owner + "/" + r.name + "/raw/" + headSHA + "/" + esc,
		"contents_url": c.base + "/repos/" + r.owner + "/" + r.name + "/contents/" + esc + "?ref=" + headSHA,
	}
	if f.Patch != "" && len(f.Patch) <= g.Limits.PatchMaxBytes && pp.lineCount() <= g.Limits.PatchMaxLines {
		o["patch"] = f.Patch
	}
	return o
}

// commitObj is a commit (the commit schema) of a repository whose history the fake does not keep: a
// fixed author and message, the given parents.
func (g *GitHub) commitObj(c *ghCall, r *ghRepo, sha string, parents []string) obj {
	full := r.owner + "/" + r.name
	api := c.base + "/repos/" + full + "/commits/" + sha
	tree := ghObjectID("tree", []byte(sha))
	who := obj{"name": "Fake Author", "email": "author@example.invalid", "date": ghTime(r.created)}
	ps := make([]any, 0, len(parents))
	for _, p := range parents {
		ps = append(ps, obj{"sha": p, "url": c.base + "/repos/" + full + "/commits/" + p, "html_url": c.base + "/" + full + "/commit/" + p})
	}
	return obj{
		"url": api, "sha": sha, "node_id": "C_" + base64.RawURLEncoding.EncodeToString([]byte("fake:"+sha)),
		"html_url": c.base + "/" + full + "/commit/" + sha, "comments_url": api + "/comments",
		"commit": obj{
			"url": c.base + "/repos/" + full + "/git/commits/" + sha, "author": who, "committer": who,
			"message": "Commit " + sha[:min(len(sha), 7)], "comment_count": 0,
			"tree": obj{"sha": tree, "url": c.base + "/repos/" + full + "/git/trees/" + tree},
		},
		"author": nil, "committer": nil, "parents": ps,
	}
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (g *GitHub) contentsURL(c *ghCall, r *ghRepo, path, ref string) string {
	u := c.base + "/repos/" + r.owner + "/" + r.name + "/contents/" + escapePath(path)
	return u + "?ref=" + url.QueryEscape(cmpOr(ref, r.defaultBranch))
}

func (g *GitHub) contentFileObj(c *ghCall, r *ghRepo, commitSHA, ref, path string, content []byte, inline bool) obj {
	sha := GitBlobID(content)
	self := g.contentsURL(c, r, path, ref)
	gitURL := c.base + "/repos/" + r.owner + "/" + r.name + "/git/blobs/" + sha
	html := c.base + "/" + r.owner + "/" + r.name + "/blob/" + cmpOr(ref, r.defaultBranch) + "/" + escapePath(path)
	o := obj{
		"type": "file", "size": len(content), "name": path[strings.LastIndexByte(path, '/')+1:], "path": path,
		"sha": sha, "url": self, "git_url": gitURL, "html_url": html,
		"download_url": c.base + "/" + r.owner + "/" + r.name + "/raw/" + commitSHA + "/" + escapePath(path),
		"_links":       obj{"self": self, "git": gitURL, "html": html},
	}
	if inline {
		o["content"], o["encoding"] = githubBase64(content), "base64"
	} else {
		o["content"], o["encoding"] = "", "none"
	}
	return o
}

func (g *GitHub) contentEntryObj(c *ghCall, r *ghRepo, ref string, e dirEntry, commit *ghCommit) obj {
	self := g.contentsURL(c, r, e.path, ref)
	html := c.base + "/" + r.owner + "/" + r.name + "/tree/" + cmpOr(ref, r.defaultBranch) + "/" + escapePath(e.path)
	if !e.dir {
		content := commit.files[e.path]
		o := g.contentFileObj(c, r, "", ref, e.path, content, false)
		delete(o, "content")
		delete(o, "encoding")
		o["download_url"] = c.base + "/" + r.owner + "/" + r.name + "/raw/" + cmpOr(ref, r.defaultBranch) + "/" + escapePath(e.path)
		return o
	}
	sha := ghObjectID("tree", []byte(e.path))
	gitURL := c.base + "/repos/" + r.owner + "/" + r.name + "/git/trees/" + sha
	return obj{
		"type": "dir", "size": 0, "name": e.name, "path": e.path, "sha": sha, "url": self, "git_url": gitURL,
		"html_url": html, "download_url": nil, "_links": obj{"self": self, "git": gitURL, "html": html},
	}
}

func (g *GitHub) integrationObj(c *ghCall, app *GitHubApp) obj {
	return obj{
		"id": app.ID, "slug": app.Slug, "node_id": nodeID("A", app.ID), "client_id": "Iv1.fake" + strconv.FormatInt(app.ID, 10),
		"owner": g.userObj(c, app.Owner), "name": app.Name, "description": nil,
		"external_url": c.base + "/apps/" + app.Slug, "html_url": c.base + "/apps/" + app.Slug,
		"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
		"permissions": obj{"metadata": "read", "contents": "read", "pull_requests": "write", "checks": "write"},
		"events":      []any{"pull_request", "check_suite", "check_run"},
	}
}

func (g *GitHub) installationObj(c *ghCall, inst *Installation) obj {
	app := g.apps[inst.AppID]
	selection := "all"
	if len(inst.Repositories) > 0 {
		selection = "selected"
	}
	id := strconv.FormatInt(inst.ID, 10)
	return obj{
		"id": inst.ID, "account": g.userObj(c, inst.Account), "repository_selection": selection,
		"access_tokens_url": c.base + "/app/installations/" + id + "/access_tokens",
		"repositories_url":  c.base + "/installation/repositories",
		"html_url":          c.base + "/settings/installations/" + id,
		"app_id":            inst.AppID, "app_slug": app.Slug, "target_id": g.userID(inst.Account), "target_type": "User",
		"permissions": inst.Permissions, "events": []any{"pull_request", "check_suite", "check_run"},
		"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
		"single_file_name": nil, "suspended_by": nil, "suspended_at": nil,
	}
}

func (g *GitHub) checkRunObj(c *ghCall, r *ghRepo, cr *CheckRun) obj {
	api := c.base + "/repos/" + r.owner + "/" + r.name + "/check-runs/" + strconv.FormatInt(cr.ID, 10)
	var pulls []any
	for _, n := range sortedKeysDesc(r.pulls) {
		p := r.pulls[n]
		if p.p.HeadSHA != cr.HeadSHA || p.headRepo != r { // GitHub leaves fork PRs out
			continue
		}
		pulls = append(pulls, obj{
			"id": p.id, "number": p.p.Number, "url": c.base + "/repos/" + r.owner + "/" + r.name + "/pulls/" + strconv.Itoa(n),
			"head": obj{"ref": p.p.HeadRef, "sha": p.p.HeadSHA, "repo": obj{"id": r.id, "url": c.base + "/repos/" + r.owner + "/" + r.name, "name": r.name}},
			"base": obj{"ref": p.p.BaseRef, "sha": p.p.BaseSHA, "repo": obj{"id": r.id, "url": c.base + "/repos/" + r.owner + "/" + r.name, "name": r.name}},
		})
	}
	if pulls == nil {
		pulls = []any{}
	}
	var app any
	if a := g.apps[cr.AppID]; a != nil {
		app = g.integrationObj(c, a)
	}
	return obj{
		"id": cr.ID, "head_sha": cr.HeadSHA, "node_id": nodeID("CR", cr.ID), "external_id": cr.ExternalID,
		"url": api, "html_url": c.base + "/" + r.owner + "/" + r.name + "/runs/" + strconv.FormatInt(cr.ID, 10),
		"details_url": strOrNil(cr.DetailsURL), "status": cr.Status, "conclusion": strOrNil(cr.Conclusion),
		"started_at": ghTimeOrNil(cr.StartedAt), "completed_at": ghTimeOrNil(cr.CompletedAt),
		"output": obj{
			"title": strOrNil(cr.Title), "summary": strOrNil(cr.Summary), "text": strOrNil(cr.Text),
			"annotations_count": len(cr.Annotations), "annotations_url": api + "/annotations",
		},
		"name": cr.Name, "check_suite": obj{"id": r.checkSuites[cr.HeadSHA]}, "app": app, "pull_requests": pulls,
	}
}

func (g *GitHub) annotationObj(c *ghCall, r *ghRepo, cr *CheckRun, a CheckAnnotation) obj {
	col := func(n int) any {
		if n == 0 {
			return nil
		}
		return n
	}
	return obj{
		"path": a.Path, "start_line": a.StartLine, "end_line": a.EndLine,
		"start_column": col(a.StartColumn), "end_column": col(a.EndColumn),
		"annotation_level": a.Level, "title": strOrNil(a.Title), "message": a.Message, "raw_details": strOrNil(a.RawDetails),
		"blob_href": c.base + "/" + r.owner + "/" + r.name + "/blob/" + cr.HeadSHA + "/" + escapePath(a.Path),
	}
}

func (g *GitHub) reviewObj(c *ghCall, r *ghRepo, p *ghPull, rv *Review) obj {
	n := strconv.Itoa(p.p.Number)
	html := c.base + "/" + r.owner + "/" + r.name + "/pull/" + n + "#pullrequestreview-" + strconv.FormatInt(rv.ID, 10)
	pullURL := c.base + "/repos/" + r.owner + "/" + r.name + "/pulls/" + n
	o := obj{
		"id": rv.ID, "node_id": nodeID("PRR", rv.ID), "user": g.userObj(c, rv.User), "body": rv.Body,
		"state": rv.State, "html_url": html, "pull_request_url": pullURL, "commit_id": rv.CommitID,
		"_links": obj{"html": link(html), "pull_request": link(pullURL)}, "author_association": g.association(r, rv.User),
	}
	if !rv.SubmittedAt.IsZero() {
		o["submitted_at"] = ghTime(rv.SubmittedAt)
	}
	return o
}

// reviewCommentObj builds a review comment; forReview selects the "review-comment" schema of a
// review's comment list (position required, null for file comments) over "pull-request-review-comment"
// (position absent for file comments).
func (g *GitHub) reviewCommentObj(c *ghCall, r *ghRepo, p *ghPull, rc *ReviewComment, forReview bool) obj {
	n := strconv.Itoa(p.p.Number)
	api := c.base + "/repos/" + r.owner + "/" + r.name + "/pulls/comments/" + strconv.FormatInt(rc.ID, 10)
	html := c.base + "/" + r.owner + "/" + r.name + "/pull/" + n + "#discussion_r" + strconv.FormatInt(rc.ID, 10)
	pullURL := c.base + "/repos/" + r.owner + "/" + r.name + "/pulls/" + n
	o := obj{
		"url": api, "pull_request_review_id": rc.ReviewID, "id": rc.ID, "node_id": nodeID("PRRC", rc.ID),
		"diff_hunk": rc.DiffHunk, "path": rc.Path, "commit_id": rc.CommitID, "original_commit_id": rc.CommitID,
		"user": g.userObj(c, rc.User), "body": rc.Body, "created_at": ghTime(rc.CreatedAt), "updated_at": ghTime(rc.CreatedAt),
		"html_url": html, "pull_request_url": pullURL, "author_association": g.association(r, rc.User),
		"_links":       obj{"self": link(api), "html": link(html), "pull_request": link(pullURL)},
		"subject_type": rc.SubjectType, "start_line": nil, "original_start_line": nil, "start_side": nil,
		"position": nil, "original_position": 0,
	}
	if !forReview {
		delete(o, "position")
	}
	if rc.SubjectType == "line" {
		o["position"], o["original_position"] = rc.Position, rc.Position
		o["line"], o["original_line"], o["side"] = rc.Line, rc.Line, rc.Side
		if rc.StartLine != 0 {
			o["start_line"], o["original_start_line"], o["start_side"] = rc.StartLine, rc.StartLine, rc.StartSide
		}
	}
	return o
}

func (g *GitHub) issueCommentObj(c *ghCall, r *ghRepo, number int, ic *IssueComment) obj {
	api := c.base + "/repos/" + r.owner + "/" + r.name
	id := strconv.FormatInt(ic.ID, 10)
	o := obj{
		"id": ic.ID, "node_id": nodeID("IC", ic.ID), "url": api + "/issues/comments/" + id, "body": ic.Body,
		"html_url":  c.base + "/" + r.owner + "/" + r.name + "/pull/" + strconv.Itoa(number) + "#issuecomment-" + id,
		"user":      g.userObj(c, ic.User),
		"issue_url": api + "/issues/" + strconv.Itoa(number), "created_at": ghTime(ic.CreatedAt),
		"updated_at": ghTime(ic.UpdatedAt), "author_association": g.association(r, ic.User),
	}
	if strings.HasSuffix(ic.User, "[bot]") {
		for _, app := range g.apps {
			if app.Slug+"[bot]" == ic.User {
				o["performed_via_github_app"] = g.integrationObj(c, app)
			}
		}
	}
	return o
}
