package pullreview_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/app/ghapi"
	"github.com/mcpvet/mcpvet/app/publish"
	"github.com/mcpvet/mcpvet/app/pullreview"
	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// world is the fixture registry, git server and upstream API shared by this package's tests.
var world *fixtures.World

func TestMain(m *testing.M) { os.Exit(fixtures.RunWithWorld(m, &world)) }

const (
	appID   = 42
	install = 7
	owner   = "acme"
	repo    = "assistant"
	login   = "mcpvet[bot]"
	baseSHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	headSHA = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	badBase = "cccccccccccccccccccccccccccccccccccccccc"
	newHead = "dddddddddddddddddddddddddddddddddddddddd"
)

// Pull requests of the reviewed repository: #12 is the fixture PR acme-assistant (mailpost-mcp 1.0.15 →
// 1.0.16, from dependency-bot), #13 the same head on a base whose mcpvet.yml is broken, #14 the same
// change opened by the App itself.
const (
	prFixture   = 12
	prBadConfig = 13
	prOwn       = 14
)

// trees returns the fixture pull request's base and head trees.
func trees(t *testing.T) (base, head map[string][]byte) {
	t.Helper()
	pr, err := fixtures.PR(fixtures.DemoPR)
	if err != nil {
		t.Fatal(err)
	}
	return pr.FilesAt(1), pr.FilesAt(2)
}

type env struct {
	g   *testenv.GitHub
	app *ghapi.App
	rv  *pullreview.Reviewer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	testenv.RequireOpenAPI(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	base, head := trees(t)
	bad := map[string][]byte{".github/mcpvet.yml": []byte("scope: [unclosed\n")}
	for k, v := range base {
		bad[k] = v
	}
	g := testenv.NewGitHub()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.AddApp(testenv.GitHubApp{ID: appID, Slug: "mcpvet", PublicKey: &key.PublicKey}))
	must(g.AddInstallation(testenv.Installation{ID: install, AppID: appID, Account: owner}))
	must(g.AddRepository(testenv.Repository{Owner: owner, Name: repo}))
	must(g.AddCommit(owner, repo, baseSHA, base))
	must(g.AddCommit(owner, repo, headSHA, head))
	must(g.AddCommit(owner, repo, badBase, bad))
	must(g.AddPull(owner, repo, testenv.Pull{Number: prFixture, User: "dependency-bot", HeadRef: "bump-mailpost",
		HeadSHA: headSHA, BaseSHA: baseSHA, Files: testenv.PullFilesBetween(base, head, "package-lock.json")}))
	must(g.AddPull(owner, repo, testenv.Pull{Number: prBadConfig, User: "dependency-bot", HeadRef: "bump-mailpost-2",
		HeadSHA: headSHA, BaseSHA: badBase, Files: testenv.PullFilesBetween(bad, head, "package-lock.json")}))
	must(g.AddPull(owner, repo, testenv.Pull{Number: prOwn, User: login, HeadRef: "bump-mailpost-3",
		HeadSHA: headSHA, BaseSHA: baseSHA, Files: testenv.PullFilesBetween(base, head, "package-lock.json")}))
	url := g.Start()
	t.Cleanup(func() {
		g.Close()
		if v := g.Violations(); len(v) > 0 {
			t.Errorf("OpenAPI violations:\n%s", strings.Join(v, "\n"))
		}
	})
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	noWait := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	app, err := ghapi.NewAppWithOptions(ghapi.AppAuth{AppID: appID, PrivateKey: pemKey, APIURL: url}, nil,
		ghapi.TransportOptions{MinWriteInterval: -1, Sleep: noWait})
	must(err)
	cache := t.TempDir()
	rv := &pullreview.Reviewer{
		App: app, Login: login, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC) },
		Engine: func(ctx context.Context, token string) (*analysis.Engine, error) {
			if !strings.HasPrefix(token, "ghs_") {
				return nil, errors.New("no installation token")
			}
			envv := world.Env(cache)
			cfg, err := analysis.ConfigFromEnv(func(k string) string { return envv[k] }, "", slog.New(slog.DiscardHandler))
			if err != nil {
				return nil, err
			}
			return analysis.New(cfg), nil
		},
	}
	return &env{g: g, app: app, rv: rv}
}

// lineOf returns the 1-based line of the first line of content containing s.
func lineOf(t *testing.T, content []byte, s string) int {
	t.Helper()
	for i, l := range strings.Split(string(content), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", s)
	return 0
}

func ours(runs []testenv.CheckRun) []testenv.CheckRun {
	var out []testenv.CheckRun
	for _, r := range runs {
		if r.HeadSHA == headSHA && r.Name == publish.CheckName {
			out = append(out, r)
		}
	}
	return out
}

func TestRunBlocksTheFixturePullRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	job := pullreview.Job{InstallationID: install, Owner: owner, Repo: repo, Number: prFixture, HeadSHA: headSHA}
	if err := e.rv.Run(ctx, job); err != nil {
		t.Fatal(err)
	}
	_, head := trees(t)
	want := map[string]int{
		"package.json":      lineOf(t, head["package.json"], `"mailpost-mcp": "1.0.16"`),
		".mcp.json":         lineOf(t, head[".mcp.json"], "mailpost-mcp@1.0.16"),
		"package-lock.json": lineOf(t, head["package-lock.json"], `"version": "1.0.16"`),
	}
	check := func(round string) {
		t.Helper()
		runs := ours(e.g.CheckRuns(owner, repo))
		if len(runs) != 1 {
			t.Fatalf("%s: %d check runs, want 1", round, len(runs))
		}
		cr := runs[0]
		if cr.Status != "completed" || cr.Conclusion != "failure" || len(cr.Annotations) == 0 || !strings.Contains(cr.Summary, "mailpost-mcp") {
			t.Errorf("%s: check run %s/%s, %d annotations, summary %.200q", round, cr.Status, cr.Conclusion, len(cr.Annotations), cr.Summary)
		}
		rvs := e.g.Reviews(owner, repo, prFixture)
		if len(rvs) != 1 {
			t.Fatalf("%s: %d reviews, want 1", round, len(rvs))
		}
		rv := rvs[0]
		if rv.State != "CHANGES_REQUESTED" || rv.User != login || rv.CommitID != headSHA || !strings.Contains(rv.Body, "phan@giftshop.club") {
			t.Errorf("%s: review %s by %s on %s; body %.300q", round, rv.State, rv.User, rv.CommitID, rv.Body)
		}
		got := map[string]bool{}
		for _, c := range rv.Comments {
			got[fmt.Sprintf("%s:%d", c.Path, c.Line)] = true
			if c.Side != "RIGHT" || !strings.Contains(c.Body, "mailpost-mcp") {
				t.Errorf("%s: comment %+v", round, c)
			}
		}
		for path, line := range want {
			if !got[fmt.Sprintf("%s:%d", path, line)] {
				t.Errorf("%s: no line comment on %s:%d (comments: %v)", round, path, line, got)
			}
		}
	}
	check("first run")
	// The same job again (a redelivery, a crash after publishing): still one check run, one review.
	if err := e.rv.Run(ctx, job); err != nil {
		t.Fatal(err)
	}
	check("second run")
	// A rerequested check run is resumed, not duplicated.
	job.CheckRunID = ours(e.g.CheckRuns(owner, repo))[0].ID
	if err := e.rv.Run(ctx, job); err != nil {
		t.Fatal(err)
	}
	check("rerequested run")
}

func TestRunStaleHead(t *testing.T) {
	e := newEnv(t)
	if err := e.g.AddCommit(owner, repo, newHead, map[string][]byte{"package.json": []byte("{}\n")}); err != nil {
		t.Fatal(err)
	}
	if err := e.g.PushPull(owner, repo, prFixture, newHead, nil); err != nil {
		t.Fatal(err)
	}
	err := e.rv.Run(context.Background(), pullreview.Job{InstallationID: install, Owner: owner, Repo: repo, Number: prFixture, HeadSHA: headSHA})
	if err != nil {
		t.Errorf("stale head: %v, want nil", err)
	}
	if n := len(e.g.CheckRuns(owner, repo)); n != 0 {
		t.Errorf("%d check runs for a head that moved on", n)
	}
}

func TestRunConfigurationError(t *testing.T) {
	e := newEnv(t)
	err := e.rv.Run(context.Background(), pullreview.Job{InstallationID: install, Owner: owner, Repo: repo, Number: prBadConfig, HeadSHA: headSHA})
	if err != nil {
		t.Fatalf("configuration error: %v, want nil (reported on the check run)", err)
	}
	runs := ours(e.g.CheckRuns(owner, repo))
	if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].Title != "Configuration error" || !strings.Contains(runs[0].Summary, "mcpvet.yml") {
		t.Fatalf("runs %+v", runs)
	}
	if n := len(e.g.Reviews(owner, repo, prBadConfig)); n != 0 {
		t.Errorf("%d reviews", n)
	}
}

func TestRunEngineFailure(t *testing.T) {
	e := newEnv(t)
	e.rv.Engine = func(context.Context, string) (*analysis.Engine, error) {
		return nil, errors.New("cache directory not writable (token ghs_abcdefghijklmnopqrstuvwxyz012345)")
	}
	var logs strings.Builder
	e.rv.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	err := e.rv.Run(context.Background(), pullreview.Job{InstallationID: install, Owner: owner, Repo: repo, Number: prFixture, HeadSHA: headSHA})
	if !errors.Is(err, pullreview.ErrPermanent) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	if strings.Contains(err.Error(), "ghs_abcdef") || strings.Contains(logs.String(), "ghs_abcdef") || !strings.Contains(logs.String(), "review failed") {
		t.Errorf("the error or the logs show the token: %v\n%s", err, logs.String())
	}
	runs := ours(e.g.CheckRuns(owner, repo))
	if len(runs) != 1 || runs[0].Conclusion != "failure" || !strings.Contains(runs[0].Summary, "start the engine") {
		t.Fatalf("runs %+v", runs)
	}
	if strings.Contains(runs[0].Summary, "ghs_abcdef") || !strings.Contains(runs[0].Summary, "[redacted]") {
		t.Errorf("summary shows the token: %s", runs[0].Summary)
	}
}

func TestRunErrorsClassified(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	job := pullreview.Job{InstallationID: install, Owner: owner, Repo: repo, Number: prFixture, HeadSHA: headSHA}

	missing := job
	missing.Number = 404
	if err := e.rv.Run(ctx, missing); !errors.Is(err, pullreview.ErrPermanent) {
		t.Errorf("unknown pull request: %v, want permanent", err)
	}
	// GitHub failing: 5xx on every attempt is temporary.
	for range 4 {
		if err := e.g.FailNext("pulls/get", http.StatusBadGateway, nil); err != nil {
			t.Fatal(err)
		}
	}
	err := e.rv.Run(ctx, job)
	if err == nil || errors.Is(err, pullreview.ErrPermanent) || ghapi.StatusCode(err) != http.StatusBadGateway {
		t.Errorf("5xx: %v, want a temporary error", err)
	}
	// A rate limit beyond MaxWait is temporary, with a time to retry at.
	if err := e.g.FailNext("pulls/get", http.StatusForbidden, http.Header{"X-RateLimit-Remaining": {"0"},
		"X-RateLimit-Reset": {fmt.Sprint(time.Now().Add(time.Hour).Unix())}}); err != nil {
		t.Fatal(err)
	}
	err = e.rv.Run(ctx, job)
	if at, ok := ghapi.RetryAt(err); !ok || errors.Is(err, pullreview.ErrPermanent) || at.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("rate limit: %v (retry at %v), want temporary", err, at)
	}
	// A temporary failure after the check run started leaves it in progress, unless it is the last attempt.
	for range 4 {
		if err := e.g.FailNext("repos/get-content", http.StatusServiceUnavailable, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.rv.Run(ctx, job); err == nil || errors.Is(err, pullreview.ErrPermanent) {
		t.Errorf("contents 503: %v, want a temporary error", err)
	}
	if runs := ours(e.g.CheckRuns(owner, repo)); len(runs) != 1 || runs[0].Status != "in_progress" {
		t.Fatalf("after a temporary failure: %+v", runs)
	}
	for range 4 {
		if err := e.g.FailNext("repos/get-content", http.StatusServiceUnavailable, nil); err != nil {
			t.Fatal(err)
		}
	}
	last := job
	last.LastAttempt = true
	if err := e.rv.Run(ctx, last); err == nil {
		t.Error("last attempt: no error")
	}
	if runs := ours(e.g.CheckRuns(owner, repo)); len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Fatalf("after the last attempt: %+v", runs)
	}
	// And a later successful run turns the same check run into the real verdict.
	if err := e.rv.Run(ctx, job); err != nil {
		t.Fatal(err)
	}
	if runs := ours(e.g.CheckRuns(owner, repo)); len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) == 0 {
		t.Fatalf("after recovery: %+v", runs)
	}
	if n := len(e.g.Reviews(owner, repo, prFixture)); n != 1 {
		t.Errorf("%d reviews", n)
	}
}

func TestRunOwnPullRequest(t *testing.T) {
	e := newEnv(t)
	job := pullreview.Job{InstallationID: install, Owner: owner, Repo: repo, Number: prOwn, HeadSHA: headSHA}
	for range 2 {
		if err := e.rv.Run(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.g.Reviews(owner, repo, prOwn)); n != 0 {
		t.Errorf("%d reviews on our own pull request", n)
	}
	cs := e.g.IssueComments(owner, repo, prOwn)
	if len(cs) != 1 || cs[0].User != login || !strings.Contains(cs[0].Body, "mailpost-mcp") {
		t.Errorf("comments %+v", cs)
	}
}
