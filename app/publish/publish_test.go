package publish_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/app/ghapi"
	"github.com/mcpvet/mcpvet/app/publish"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

const (
	appID    = 42
	install  = 7
	owner    = "acme"
	repo     = "widgets"
	pull     = 5
	login    = "mcpvet[bot]"
	baseSHA  = "1111111111111111111111111111111111111111"
	headSHA  = "2222222222222222222222222222222222222222"
	head2SHA = "3333333333333333333333333333333333333333"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

func appKey() *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return key
}

// manifest returns a package.json of n lines whose line 4 names version v.
func manifest(v string) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"widgets\",\n  \"dependencies\": {\n")
	fmt.Fprintf(&b, "    \"mailpost-mcp\": %q\n  },\n", v)
	for i := range 30 {
		fmt.Fprintf(&b, "  \"k%d\": %d,\n", i, i)
	}
	b.WriteString("  \"private\": true\n}\n")
	return []byte(b.String())
}

type env struct {
	g   *testenv.GitHub
	c   *github.Client
	pub *publish.Publisher
	t   publish.Target
}

// newEnv starts a validating fake where acme/widgets#5 (by author) changes line 4 of package.json, and
// returns a publisher writing through installation 7 of the App (perms: the installation's permissions,
// nil for the defaults).
func newEnv(t *testing.T, author string, perms map[string]string) *env {
	t.Helper()
	return newEnvWith(t, author, perms, manifest("1.0.15"), manifest("1.0.16"))
}

// newEnvWith is newEnv with the base and head package.json given.
func newEnvWith(t *testing.T, author string, perms map[string]string, basePJ, headPJ []byte) *env {
	t.Helper()
	testenv.RequireOpenAPI(t)
	g := testenv.NewGitHub()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.AddApp(testenv.GitHubApp{ID: appID, Slug: "mcpvet", PublicKey: &appKey().PublicKey}))
	must(g.AddInstallation(testenv.Installation{ID: install, AppID: appID, Account: owner, Permissions: perms}))
	must(g.AddRepository(testenv.Repository{Owner: owner, Name: repo}))
	must(g.AddCommit(owner, repo, baseSHA, map[string][]byte{"package.json": basePJ}))
	must(g.AddCommit(owner, repo, headSHA, map[string][]byte{"package.json": headPJ}))
	must(g.AddPull(owner, repo, testenv.Pull{Number: pull, User: author, HeadRef: "bump", HeadSHA: headSHA, BaseSHA: baseSHA}))
	url := g.Start()
	t.Cleanup(func() {
		g.Close()
		if v := g.Violations(); len(v) > 0 {
			t.Errorf("OpenAPI violations:\n%s", strings.Join(v, "\n"))
		}
	})
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey())})
	app, err := ghapi.NewAppWithOptions(ghapi.AppAuth{AppID: appID, PrivateKey: pemKey, APIURL: url}, nil,
		ghapi.TransportOptions{MinWriteInterval: -1}) // spacing is ghapi's to test; these tests do not wait
	must(err)
	c, err := app.Client(install)
	must(err)
	return &env{g: g, c: c, pub: publish.New(c, publish.Options{Login: login}),
		t: publish.Target{Owner: owner, Repo: repo, Number: pull, HeadSHA: headSHA, Author: author}}
}

// blocked is a report blocking mailpost-mcp for msg, located on the given lines of package.json.
func blocked(msg string, lines ...int) *report.Report {
	var locs []report.Location
	for _, l := range lines {
		locs = append(locs, report.Location{Path: "package.json", Line: l})
	}
	r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "mailpost-mcp", From: "1.0.15", To: "1.0.16", MCP: true,
		Locations: locs, Findings: []finding.Finding{{Rule: "source/foreign-lines", Severity: finding.Block, Message: msg, Path: "index.js", Line: 136}}}}}
	r.Finalize()
	return r
}

func withVerdict(v finding.Severity) *report.Report {
	r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "mailpost-mcp", From: "1.0.15", To: "1.0.16", MCP: true,
		Locations: []report.Location{{Path: "package.json", Line: 4}}}}}
	if v != finding.Info {
		r.Packages[0].Findings = []finding.Finding{{Rule: "publish/new-publisher", Severity: v, Message: "a new publisher"}}
	}
	r.Finalize()
	return r
}

// inDiffFake answers like ghapi.PR.InDiff for the fixture: package.json lines 1–7 are in the hunk.
func inDiffFake(_ context.Context, path string, line int) (bool, error) {
	return path == "package.json" && line >= 1 && line <= 7, nil
}

func requests(g *testenv.GitHub, route string) []testenv.GitHubRequest {
	var out []testenv.GitHubRequest
	for _, r := range g.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

func TestConclusionFor(t *testing.T) {
	tests := map[finding.Severity]publish.Conclusion{finding.Block: publish.Failure, finding.Warn: publish.Neutral, finding.Info: publish.Success}
	for sev, want := range tests {
		if got := publish.ConclusionFor(withVerdict(sev)); got != want {
			t.Errorf("%s: %s, want %s", sev, got, want)
		}
	}
}

func TestStartCheckReusesOurRun(t *testing.T) {
	e := newEnv(t, "mallory", nil)
	ctx := context.Background()
	// Another App's run of the same name (a workflow job called "mcpvet") is never ours.
	other := appKey()
	if err := e.g.AddApp(testenv.GitHubApp{ID: 99, Slug: "github-actions", PublicKey: &other.PublicKey}); err != nil {
		t.Fatal(err)
	}
	if err := e.g.AddInstallation(testenv.Installation{ID: 99, AppID: 99, Account: owner}); err != nil {
		t.Fatal(err)
	}
	if err := e.g.AddInstallationToken("ghs_actions", 99); err != nil {
		t.Fatal(err)
	}
	actions, err := ghapi.NewTokenClientWithOptions(e.g.Start(), "ghs_actions", nil, ghapi.TransportOptions{MinWriteInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := actions.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{Name: publish.CheckName, HeadSHA: headSHA}); err != nil {
		t.Fatal(err)
	}
	id1, err := e.pub.StartCheck(ctx, e.t)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := e.pub.StartCheck(ctx, e.t)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Errorf("second StartCheck made run %d, first %d", id2, id1)
	}
	var ours int
	for _, cr := range e.g.CheckRuns(owner, repo) {
		if cr.AppID == appID {
			ours++
			if cr.Status != "in_progress" || cr.Name != publish.CheckName || cr.ExternalID != publish.ExternalID {
				t.Errorf("run %+v", cr)
			}
		}
	}
	if ours != 1 {
		t.Errorf("%d runs of ours, want 1", ours)
	}
	// A rerequested run is resumed; an unknown id falls back to finding ours.
	if id, err := e.pub.ResumeCheck(ctx, e.t, id1); err != nil || id != id1 {
		t.Errorf("ResumeCheck = %d, %v", id, err)
	}
	if id, err := e.pub.ResumeCheck(ctx, e.t, 987654); err != nil || id != id1 {
		t.Errorf("ResumeCheck(unknown) = %d, %v", id, err)
	}
}

// annotated is a blocking report with n locations, so n annotations.
func annotated(n int) *report.Report {
	lines := make([]int, n)
	for i := range lines {
		lines[i] = i + 1
	}
	return blocked("one published line exists in no upstream commit", lines...)
}

func TestFinishCheckBatchesAnnotations(t *testing.T) {
	tests := []struct{ annotations, sent, patches int }{
		{0, 0, 1},
		{50, 50, 1},
		{51, 51, 2},
		{120, 120, 3},
		{publish.MaxAnnotations, publish.MaxAnnotations, 10},
		{publish.MaxAnnotations + 1, publish.MaxAnnotations, 10},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.annotations), func(t *testing.T) {
			e := newEnv(t, "mallory", nil)
			ctx := context.Background()
			id, err := e.pub.StartCheck(ctx, e.t)
			if err != nil {
				t.Fatal(err)
			}
			rep := annotated(tc.annotations)
			if err := e.pub.FinishCheck(ctx, e.t, id, rep, publish.ConclusionFor(rep)); err != nil {
				t.Fatal(err)
			}
			patches := requests(e.g, "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")
			if len(patches) != tc.patches { // StartCheck created the run: no PATCH of its own
				t.Errorf("%d PATCHes, want %d", len(patches), tc.patches)
			}
			for i, p := range patches {
				var body struct {
					Name   *string `json:"name"`
					Output *struct {
						Annotations []any `json:"annotations"`
					} `json:"output"`
				}
				if err := json.Unmarshal(p.Body, &body); err != nil || body.Name == nil || *body.Name != publish.CheckName {
					t.Errorf("PATCH %d has no name: %s", i, p.Body)
				}
				if body.Output != nil && len(body.Output.Annotations) > publish.AnnotationsPerRequest {
					t.Errorf("PATCH %d carries %d annotations", i, len(body.Output.Annotations))
				}
			}
			runs := e.g.CheckRuns(owner, repo)
			if len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) != tc.sent || runs[0].Title == "" {
				t.Fatalf("runs %d; conclusion %q, %d annotations, want %d", len(runs), runs[0].Conclusion, len(runs[0].Annotations), tc.sent)
			}
			// Finishing again with the same output sends nothing.
			before := len(patches)
			if err := e.pub.FinishCheck(ctx, e.t, id, rep, publish.ConclusionFor(rep)); err != nil {
				t.Fatal(err)
			}
			if n := len(requests(e.g, "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")); n != before {
				t.Errorf("finishing again sent %d PATCHes", n-before)
			}
		})
	}
}

func TestCheckRerunWithOtherFindings(t *testing.T) {
	e := newEnv(t, "mallory", nil)
	ctx := context.Background()
	id, err := e.pub.StartCheck(ctx, e.t)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.pub.FinishCheck(ctx, e.t, id, annotated(3), publish.Failure); err != nil {
		t.Fatal(err)
	}
	// The same job again (a crash after finishing): still one run, nothing appended.
	id2, err := e.pub.StartCheck(ctx, e.t)
	if err != nil || id2 != id {
		t.Fatalf("StartCheck = %d, %v", id2, err)
	}
	if err := e.pub.FinishCheck(ctx, e.t, id2, annotated(3), publish.Failure); err != nil {
		t.Fatal(err)
	}
	if runs := e.g.CheckRuns(owner, repo); len(runs) != 1 || len(runs[0].Annotations) != 3 || runs[0].Status != "completed" {
		t.Fatalf("after the repeat: %d runs", len(runs))
	}
	// Other findings on the same head: annotations cannot be replaced, so a fresh run carries them.
	id3, _ := e.pub.StartCheck(ctx, e.t)
	if err := e.pub.FinishCheck(ctx, e.t, id3, withVerdict(finding.Info), publish.Success); err != nil {
		t.Fatal(err)
	}
	runs := e.g.CheckRuns(owner, repo)
	if len(runs) != 2 || runs[1].Conclusion != "success" || len(runs[1].Annotations) != 0 {
		t.Fatalf("runs %+v", runs)
	}
	// FailCheck: a failure with our summary.
	id4, _ := e.pub.StartCheck(ctx, e.t)
	if err := e.pub.FailCheck(ctx, e.t, id4, "Configuration error", "`.github/mcpvet.yml`: unknown rule"); err != nil {
		t.Fatal(err)
	}
	runs = e.g.CheckRuns(owner, repo)
	if last := runs[len(runs)-1]; last.Conclusion != "failure" || !strings.Contains(last.Summary, "unknown rule") {
		t.Errorf("FailCheck: %+v", last)
	}
}

func TestCheckReadOnly(t *testing.T) {
	e := newEnv(t, "mallory", map[string]string{"metadata": "read", "contents": "read", "pull_requests": "read", "checks": "read"})
	_, err := e.pub.StartCheck(context.Background(), e.t)
	if !errors.Is(err, publish.ErrReadOnly) {
		t.Errorf("err = %v, want ErrReadOnly", err)
	}
}

func TestReviewLifecycle(t *testing.T) {
	e := newEnv(t, "mallory", nil)
	ctx := context.Background()

	// Block: line 4 is in the diff, line 30 is not and goes to the body.
	res, err := e.pub.Review(ctx, e.t, blocked("1 published line exists in no upstream commit", 4, 30), inDiffFake)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Posted || res.Comments != 1 || res.OutsideDiff != 1 || res.ReviewID == 0 {
		t.Fatalf("first review: %+v", res)
	}
	rvs := e.g.Reviews(owner, repo, pull)
	if len(rvs) != 1 || rvs[0].State != "CHANGES_REQUESTED" || rvs[0].CommitID != headSHA || rvs[0].User != login {
		t.Fatalf("reviews %+v", rvs)
	}
	if c := rvs[0].Comments; len(c) != 1 || c[0].Path != "package.json" || c[0].Line != 4 || c[0].Side != "RIGHT" {
		t.Errorf("comments %+v", c)
	}
	if !strings.Contains(rvs[0].Body, "`package.json:30`") || !strings.Contains(rvs[0].Body, "<!-- mcpvet:review v1 sha="+headSHA+" digest=") {
		t.Errorf("body:\n%s", rvs[0].Body)
	}

	// The same findings again (redelivery, crash): nothing new.
	again, err := e.pub.Review(ctx, e.t, blocked("1 published line exists in no upstream commit", 4, 30), inDiffFake)
	if err != nil || again.Posted || again.ReviewID != res.ReviewID || len(again.Dismissed) != 0 {
		t.Fatalf("same findings: %+v, %v", again, err)
	}
	if n := len(e.g.Reviews(owner, repo, pull)); n != 1 {
		t.Fatalf("%d reviews after the same findings", n)
	}

	// New findings: a new review, the old one dismissed.
	changed, err := e.pub.Review(ctx, e.t, blocked("2 published lines exist in no upstream commit", 4), inDiffFake)
	if err != nil || !changed.Posted || len(changed.Dismissed) != 1 || changed.Dismissed[0] != res.ReviewID {
		t.Fatalf("new findings: %+v, %v", changed, err)
	}
	rvs = e.g.Reviews(owner, repo, pull)
	if len(rvs) != 2 || rvs[0].State != "DISMISSED" || rvs[1].State != "CHANGES_REQUESTED" || rvs[0].DismissalMessage == "" {
		t.Fatalf("reviews %+v", rvs)
	}

	// Someone else's review, even with our marker, is never touched.
	if err := e.g.AddUserToken("ghp_eve", "eve"); err != nil {
		t.Fatal(err)
	}
	eve, err := ghapi.NewTokenClientWithOptions(e.g.Start(), "ghp_eve", nil, ghapi.TransportOptions{MinWriteInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := eve.PullRequests.CreateReview(ctx, owner, repo, pull, &github.PullRequestReviewRequest{Event: github.String("REQUEST_CHANGES"),
		Body: github.String("<!-- mcpvet:review v1 sha=" + headSHA + " digest=0000000000000000 -->")}); err != nil {
		t.Fatal(err)
	}

	// Pass: our blocking review is dismissed, nothing new is posted.
	pass, err := e.pub.Review(ctx, e.t, withVerdict(finding.Info), inDiffFake)
	if err != nil || pass.Posted || len(pass.Dismissed) != 1 || pass.Dismissed[0] != changed.ReviewID {
		t.Fatalf("pass: %+v, %v", pass, err)
	}
	rvs = e.g.Reviews(owner, repo, pull)
	if len(rvs) != 3 || rvs[1].State != "DISMISSED" || rvs[2].State != "CHANGES_REQUESTED" || rvs[2].User != "eve" {
		t.Fatalf("reviews after pass %+v", rvs)
	}
	// Pass again: nothing to do.
	if again, err := e.pub.Review(ctx, e.t, withVerdict(finding.Info), inDiffFake); err != nil || again.Posted || len(again.Dismissed) != 0 {
		t.Errorf("pass again: %+v, %v", again, err)
	}
}

func TestReviewNewHeadAndWarn(t *testing.T) {
	e := newEnv(t, "mallory", nil)
	ctx := context.Background()
	first, err := e.pub.Review(ctx, e.t, blocked("foreign line", 4), inDiffFake)
	if err != nil {
		t.Fatal(err)
	}
	// A push with the same findings: the review of the new head replaces the old one.
	if err := e.g.AddCommit(owner, repo, head2SHA, map[string][]byte{"package.json": manifest("1.0.16")}); err != nil {
		t.Fatal(err)
	}
	if err := e.g.PushPull(owner, repo, pull, head2SHA, nil); err != nil {
		t.Fatal(err)
	}
	t2 := e.t
	t2.HeadSHA = head2SHA
	second, err := e.pub.Review(ctx, t2, blocked("foreign line", 4), inDiffFake)
	if err != nil || !second.Posted || len(second.Dismissed) != 1 || second.Dismissed[0] != first.ReviewID {
		t.Fatalf("new head: %+v, %v", second, err)
	}
	// Warn: the blocking review is dismissed, nothing posted.
	warn, err := e.pub.Review(ctx, t2, withVerdict(finding.Warn), inDiffFake)
	if err != nil || warn.Posted || len(warn.Dismissed) != 1 {
		t.Fatalf("warn: %+v, %v", warn, err)
	}
	if rvs := e.g.Reviews(owner, repo, pull); len(rvs) != 2 || !strings.Contains(rvs[1].DismissalMessage, "warnings") {
		t.Errorf("reviews %+v", rvs)
	}
}

func TestReviewFallsBackWhenGitHubRefusesAComment(t *testing.T) {
	e := newEnv(t, "mallory", nil)
	lying := func(context.Context, string, int) (bool, error) { return true, nil }
	res, err := e.pub.Review(context.Background(), e.t, blocked("foreign line", 4, 30), lying)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Posted || res.Comments != 0 || res.OutsideDiff != 2 {
		t.Errorf("result %+v", res)
	}
	rvs := e.g.Reviews(owner, repo, pull)
	if len(rvs) != 1 || len(rvs[0].Comments) != 0 || !strings.Contains(rvs[0].Body, "`package.json:4`") {
		t.Errorf("reviews %+v", rvs)
	}
}

func TestReviewOwnPullRequest(t *testing.T) {
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprintf("author known %v", known), func(t *testing.T) {
			e := newEnv(t, login, nil)
			if !known {
				e.t.Author = "" // GitHub's 422 tells
			}
			ctx := context.Background()
			res, err := e.pub.Review(ctx, e.t, blocked("foreign line", 4), inDiffFake)
			if err != nil || res.CommentID == 0 || !res.Posted {
				t.Fatalf("own PR: %+v, %v", res, err)
			}
			if n := len(e.g.Reviews(owner, repo, pull)); n != 0 {
				t.Errorf("%d reviews on our own pull request", n)
			}
			cs := e.g.IssueComments(owner, repo, pull)
			if len(cs) != 1 || !strings.Contains(cs[0].Body, "<!-- mcpvet:comment v1 -->") || cs[0].User != login {
				t.Fatalf("comments %+v", cs)
			}
			// Again, same report: nothing changes; another report: the comment is edited.
			again, err := e.pub.Comment(ctx, e.t, blocked("foreign line", 4))
			if err != nil || again.Created || again.Updated || again.CommentID != res.CommentID {
				t.Errorf("same comment: %+v, %v", again, err)
			}
			upd, err := e.pub.Comment(ctx, e.t, withVerdict(finding.Info))
			if err != nil || !upd.Updated || upd.CommentID != res.CommentID {
				t.Errorf("updated comment: %+v, %v", upd, err)
			}
			if cs := e.g.IssueComments(owner, repo, pull); len(cs) != 1 {
				t.Errorf("%d comments", len(cs))
			}
		})
	}
}

func TestReviewReadOnly(t *testing.T) {
	e := newEnv(t, "mallory", map[string]string{"metadata": "read", "contents": "read", "pull_requests": "read", "checks": "write"})
	ctx := context.Background()
	res, err := e.pub.Review(ctx, e.t, blocked("foreign line", 4), inDiffFake)
	if err != nil || res.Skipped != publish.SkippedReadOnly || res.Posted {
		t.Errorf("read-only review: %+v, %v", res, err)
	}
	cr, err := e.pub.Comment(ctx, e.t, blocked("foreign line", 4))
	if err != nil || cr.Skipped == "" {
		t.Errorf("read-only comment: %+v, %v", cr, err)
	}
	if res, err := e.pub.Review(ctx, publish.Target{Owner: owner, Repo: repo, HeadSHA: headSHA}, blocked("x", 4), inDiffFake); err != nil || res.Skipped != publish.SkippedNoPR {
		t.Errorf("no pull request: %+v, %v", res, err)
	}
}

func TestReviewBodyBounded(t *testing.T) {
	e := newEnv(t, "mallory", nil)
	r := &report.Report{}
	for i := range 400 {
		p := report.Package{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%d", i), From: "1.0.0", To: "1.0.1", MCP: true,
			Locations: []report.Location{{Path: "package.json", Line: 1000 + i}}}
		for j := range 10 {
			p.Findings = append(p.Findings, finding.Finding{Rule: "source/foreign-lines", Severity: finding.Block,
				Message: strings.Repeat("long message ", 20), Path: fmt.Sprintf("f%d.js", j), Line: j + 1, Snippet: strings.Repeat("+ x\n", 30)})
		}
		r.Packages = append(r.Packages, p)
	}
	r.Finalize()
	res, err := e.pub.Review(context.Background(), e.t, r, inDiffFake)
	if err != nil || !res.Posted || res.OutsideDiff != 400 {
		t.Fatalf("%+v, %v", res, err)
	}
	rvs := e.g.Reviews(owner, repo, pull)
	if len(rvs[0].Body) >= report.MaxMarkdown || !strings.Contains(rvs[0].Body, "and 380 more") {
		t.Errorf("body of %d bytes", len(rvs[0].Body))
	}
}

func TestReviewCommentCap(t *testing.T) {
	lines := func(v string) []byte {
		var b strings.Builder
		for i := range publish.MaxReviewComments + 10 {
			fmt.Fprintf(&b, "%s %d\n", v, i)
		}
		return []byte(b.String())
	}
	for _, n := range []int{publish.MaxReviewComments, publish.MaxReviewComments + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnvWith(t, "mallory", nil, lines("old"), lines("new")) // every line changed
			locs := make([]int, n)
			for i := range locs {
				locs[i] = i + 1
			}
			all := func(context.Context, string, int) (bool, error) { return true, nil }
			res, err := e.pub.Review(context.Background(), e.t, blocked("foreign line", locs...), all)
			if err != nil {
				t.Fatal(err)
			}
			if res.Comments != min(n, publish.MaxReviewComments) || res.OutsideDiff != n-res.Comments {
				t.Errorf("%d locations: %d comments, %d in the body", n, res.Comments, res.OutsideDiff)
			}
			if rvs := e.g.Reviews(owner, repo, pull); len(rvs) != 1 || len(rvs[0].Comments) != res.Comments {
				t.Errorf("reviews %+v", rvs)
			}
		})
	}
}

// TestCommentListPageLimit: our comment is found on the last page listPages reads (MaxListPages), and
// not on the page after it, where a new comment is created instead. The server's list never ends.
func TestCommentListPageLimit(t *testing.T) {
	for _, tc := range []struct {
		ourPage int
		found   bool
	}{
		{publish.MaxListPages, true},
		{publish.MaxListPages + 1, false},
	} {
		t.Run(fmt.Sprint(tc.ourPage), func(t *testing.T) {
			var lists, edits, creates atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("GET /repos/acme/widgets/issues/5/comments", func(w http.ResponseWriter, r *http.Request) {
				lists.Add(1)
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				page = max(page, 1)
				c := map[string]any{"id": page, "body": "lgtm", "user": map[string]any{"login": "eve"}}
				if page == tc.ourPage {
					c = map[string]any{"id": page, "body": "old <!-- mcpvet:comment v1 -->", "user": map[string]any{"login": login}}
				}
				w.Header().Set("Link", fmt.Sprintf(`<%s?page=%d>; rel="next"`, r.URL.Path, page+1))
				json.NewEncoder(w).Encode([]any{c})
			})
			mux.HandleFunc("PATCH /repos/acme/widgets/issues/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
				edits.Add(1)
				fmt.Fprintf(w, `{"id": %s}`, r.PathValue("id"))
			})
			mux.HandleFunc("POST /repos/acme/widgets/issues/5/comments", func(w http.ResponseWriter, _ *http.Request) {
				creates.Add(1)
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"id": 1000}`)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			c := github.NewClient(srv.Client())
			c.BaseURL, _ = url.Parse(srv.URL + "/")
			pub := publish.New(c, publish.Options{Login: login})
			res, err := pub.Comment(context.Background(), publish.Target{Owner: owner, Repo: repo, Number: pull, HeadSHA: headSHA}, blocked("x", 4))
			if err != nil {
				t.Fatal(err)
			}
			if tc.found && (!res.Updated || res.CommentID != int64(tc.ourPage) || lists.Load() != int32(tc.ourPage) || creates.Load() != 0) {
				t.Errorf("comment on page %d: %+v after %d list requests, %d created", tc.ourPage, res, lists.Load(), creates.Load())
			}
			if !tc.found && (!res.Created || lists.Load() != publish.MaxListPages || edits.Load() != 0) {
				t.Errorf("comment on page %d: %+v after %d list requests, %d edited; want a new one after %d",
					tc.ourPage, res, lists.Load(), edits.Load(), publish.MaxListPages)
			}
		})
	}
}
