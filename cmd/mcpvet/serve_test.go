package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// The App as the serve scripts install it on the GitHub fake.
const (
	serveAppID   = 4242
	serveInstall = 77
	serveOwner   = "acme"
	serveRepo    = "assistant"
	serveSecret  = "serve-script-webhook-secret"
	serveLogin   = "mcpvet[bot]"
	// serveBasePR is the first pull request number; "prs N" seeds N pull requests from it.
	serveBasePR = 7
	// serveWait bounds every wait of a serve script (the kill -9 rescue takes River up to ~50 s).
	serveWait = 150 * time.Second
)

// serveState is one serve script's GitHub: the fake with the App installed, and the pull requests seeded.
type serveState struct {
	world *fixtures.World
	base  map[string][]byte
	head  map[string][]byte
	fix   map[string][]byte

	mu    sync.Mutex
	heads map[int]string // PR number → current head SHA
	seq   int            // deliveries sent
}

// TestServeScripts runs the GitHub App end to end: the real binary serves webhooks (testdata/serve), the
// fixture world answers npm and git, and the GitHub fake — validated against GitHub's OpenAPI description —
// receives the check runs and reviews. The scripts start `mcpvet serve` in the background, deliver real
// webhook payloads (@octokit/webhooks-examples, rewritten to the fixture pull request and re-signed), and
// assert what GitHub ends up holding.
func TestServeScripts(t *testing.T) {
	testenv.RequireOpenAPI(t)
	testenv.RequireWebhookExamples(t)
	if testing.Short() {
		t.Skip("serve scripts start servers and wait for River's rescuer")
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/serve",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":   exits,
			"deliver": cmdDeliver,
			"github":  cmdGitHub,
			"pgdb":    cmdPGDB,
			"sleep":   cmdSleep,
		},
		Condition: func(cond string) (bool, error) {
			if cond != "postgres" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if os.Getenv("MCPVET_TEST_POSTGRES") != "" {
				return true, nil
			}
			if os.Getenv("CI") != "" {
				return false, fmt.Errorf("MCPVET_TEST_POSTGRES is not set under CI: .ci/run starts PostgreSQL with scripts/postgres.sh")
			}
			return false, nil
		},
		Setup: serveSetup,
	})
}

func serveSetup(env *testscript.Env) error {
	w, err := fixtures.Start(context.Background(), env.WorkDir+"/.world")
	if err != nil {
		return err
	}
	env.Defer(w.Close)
	for k, v := range w.Env(env.WorkDir) {
		env.Setenv(k, v)
	}
	st := &serveState{world: w, heads: map[int]string{}}
	pr, err := fixtures.PR(fixtures.DemoPR)
	if err != nil {
		return err
	}
	st.base, st.head = pr.FilesAt(1), pr.FilesAt(2)
	// The fix reverts the bump: the head's manifests are the base's again, with an unrelated change.
	st.fix = maps(st.base)
	st.fix["NOTES.md"] = []byte("mailpost-mcp stays at 1.0.15 until upstream explains 1.0.16.\n")

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	g := w.GitHub
	steps := []error{
		g.AddApp(testenv.GitHubApp{ID: serveAppID, Slug: "mcpvet", PublicKey: &key.PublicKey}),
		g.AddInstallation(testenv.Installation{ID: serveInstall, AppID: serveAppID, Account: serveOwner}),
		g.AddRepository(testenv.Repository{Owner: serveOwner, Name: serveRepo}),
		g.AddCommit(serveOwner, serveRepo, sha("base"), st.base),
		g.AddCommit(serveOwner, serveRepo, sha("fix"), st.fix),
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("seed the GitHub fake: %w", err)
		}
	}
	pemPath := filepath.Join(env.WorkDir, "app.pem")
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(pemPath, pemKey, 0o600); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	env.Setenv("MCPVET_APP_ID", strconv.Itoa(serveAppID))
	env.Setenv("MCPVET_PRIVATE_KEY_FILE", pemPath)
	env.Setenv("MCPVET_WEBHOOK_SECRET", serveSecret)
	env.Setenv("GITHUB_API_URL", w.GitHubAPI)
	env.Setenv("MCPVET_DB", "sqlite:"+filepath.Join(env.WorkDir, "mcpvet.db"))
	env.Setenv("MCPVET_LISTEN", addr)
	ln, err = net.Listen("tcp", "127.0.0.1:0") // a second replica's address
	if err != nil {
		return err
	}
	env.Setenv("MCPVET_LISTEN2", ln.Addr().String())
	ln.Close()
	env.Setenv("MCPVET_WORKERS", "2")
	// A review of the fixture takes a few seconds; a run killed mid-job is rescued once RESCUE_AFTER passed.
	env.Setenv("MCPVET_JOB_TIMEOUT", "60s")
	env.Setenv("MCPVET_RESCUE_AFTER", "61s")
	env.Values[serveKey{}] = st
	env.Defer(func() {
		if v := g.Violations(); len(v) > 0 {
			env.T().Log("GitHub fake: OpenAPI violations:\n" + strings.Join(v, "\n"))
			env.T().FailNow()
		}
	})
	return nil
}

type serveKey struct{}

func state(ts *testscript.TestScript) *serveState { return ts.Value(serveKey{}).(*serveState) }

// sha makes a fixed, valid commit id from a label.
func sha(label string) string {
	var b strings.Builder
	for _, c := range []byte(label) {
		fmt.Fprintf(&b, "%02x", c)
	}
	s := b.String() + strings.Repeat("0", 40)
	return s[:40]
}

func maps(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cmdGitHub drives and inspects the GitHub fake:
//
//	github prs N                       seed pull requests 7…7+N-1 bumping mailpost-mcp, each on its own head
//	github push PR fix                 push the fix (the bump reverted) to a pull request
//	github hold ROUTE | release        park requests to a route / let them through
//	github waitheld                    wait until a request is parked
//	github wait PR CONCLUSION          wait until mcpvet's check run on the PR's head has completed so
//	github checkruns PR N              mcpvet has N check runs on the PR's head
//	github reviews PR STATE N          mcpvet has N reviews in STATE on the PR (any head)
//	github waitreviews PR STATE N      wait until it has
//	github comments PR N               mcpvet's review of the PR's head has N line comments
func cmdGitHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: github prs|push|hold|release|waitheld|wait|checkruns|reviews|comments ...")
	}
	st := state(ts)
	g := st.world.GitHub
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			ts.Fatalf("github %s: %q is not a number", args[0], s)
		}
		return n
	}
	need := func(n int) {
		if len(args) != n+1 {
			ts.Fatalf("github %s: want %d arguments", args[0], n)
		}
	}
	switch args[0] {
	case "prs":
		need(1)
		for i := range num(args[1]) {
			n := serveBasePR + i
			head := sha(fmt.Sprintf("head%d", n))
			ts.Check(g.AddCommit(serveOwner, serveRepo, head, st.head))
			ts.Check(g.AddPull(serveOwner, serveRepo, testenv.Pull{Number: n, User: "dependency-bot",
				HeadRef: fmt.Sprintf("bump-mailpost-%d", n), HeadSHA: head, BaseSHA: sha("base"), Files: testenv.PullFilesBetween(st.base, st.head, "package-lock.json")}))
			st.mu.Lock()
			st.heads[n] = head
			st.mu.Unlock()
		}
	case "push":
		need(2)
		n := num(args[1])
		if args[2] != "fix" {
			ts.Fatalf("github push: only the fix can be pushed")
		}
		ts.Check(g.PushPull(serveOwner, serveRepo, n, sha("fix"), testenv.PullFilesBetween(st.base, st.fix, "package-lock.json")))
		st.mu.Lock()
		st.heads[n] = sha("fix")
		st.mu.Unlock()
	case "hold":
		need(1)
		ts.Check(g.Hold(args[1]))
	case "release":
		g.Release()
	case "waitheld":
		waitFor(ts, "a parked request", func() (bool, string) { return g.Held() > 0, "none parked" })
	case "wait":
		need(2)
		n, want := num(args[1]), args[2]
		waitFor(ts, fmt.Sprintf("PR %d's check run to complete %s", n, want), func() (bool, string) {
			runs := ourRuns(st, n)
			for _, r := range runs {
				if r.Status == "completed" && r.Conclusion == want {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%+v", runs)
		})
	case "checkruns":
		need(2)
		n, want := num(args[1]), num(args[2])
		if got := len(ourRuns(st, n)); got != want {
			ts.Fatalf("PR %d: %d mcpvet check runs on its head, want %d", n, got, want)
		}
	case "reviews", "waitreviews":
		need(3)
		n, state, want := num(args[1]), args[2], num(args[3])
		count := func() int {
			got := 0
			for _, r := range g.Reviews(serveOwner, serveRepo, n) {
				if r.User == serveLogin && r.State == state {
					got++
				}
			}
			return got
		}
		if args[0] == "waitreviews" {
			waitFor(ts, fmt.Sprintf("%d %s reviews on PR %d", want, state, n), func() (bool, string) {
				return count() == want, strconv.Itoa(count())
			})
		}
		if got := count(); got != want {
			ts.Fatalf("PR %d: %d mcpvet reviews in state %s, want %d (all: %+v)", n, got, state, want, g.Reviews(serveOwner, serveRepo, n))
		}
	case "comments":
		need(2)
		n, want := num(args[1]), num(args[2])
		got := 0
		for _, c := range g.ReviewComments(serveOwner, serveRepo, n) {
			if c.User == serveLogin {
				got++
				ts.Logf("line comment %s:%d: %s", c.Path, c.Line, firstLine(c.Body))
			}
		}
		if got != want {
			ts.Fatalf("PR %d: %d mcpvet line comments, want %d", n, got, want)
		}
	default:
		ts.Fatalf("github: unknown subcommand %q", args[0])
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ourRuns lists mcpvet's check runs on a pull request's current head.
func ourRuns(st *serveState, n int) []testenv.CheckRun {
	st.mu.Lock()
	head := st.heads[n]
	st.mu.Unlock()
	var out []testenv.CheckRun
	for _, r := range st.world.GitHub.CheckRuns(serveOwner, serveRepo) {
		if r.Name == "mcpvet" && r.HeadSHA == head && r.AppID == serveAppID {
			out = append(out, r)
		}
	}
	return out
}

func waitFor(ts *testscript.TestScript, what string, ok func() (bool, string)) {
	deadline := time.Now().Add(serveWait)
	last := ""
	for time.Now().Before(deadline) {
		var done bool
		if done, last = ok(); done {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("waited %s for %s; last seen: %s", serveWait, what, last)
}

// cmdDeliver sends a webhook the way GitHub does: "deliver pull_request opened PR [DELIVERY-ID]" takes
// GitHub's own example payload of that event and action, points it at the fixture repository, the App's
// installation and the PR's current head, signs it with the App's secret and POSTs it to the server at
// $MCPVET_LISTEN (waiting for it to come up). The answer must be 2xx. Reusing a delivery id is a redelivery.
func cmdDeliver(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: deliver EVENT ACTION PR [DELIVERY-ID]")
	}
	st := state(ts)
	event, action := args[0], args[1]
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	st.mu.Lock()
	head := st.heads[n]
	st.seq++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", st.seq)
	st.mu.Unlock()
	if len(args) == 4 {
		id = args[3]
	}
	if head == "" {
		ts.Fatalf("deliver: PR %d was not seeded (github prs N)", n)
	}
	examples, err := testenv.WebhookExamples(event, action)
	ts.Check(err)
	if len(examples) == 0 {
		ts.Fatalf("deliver: no example payload of %s %s", event, action)
	}
	var p map[string]any
	ts.Check(json.Unmarshal(examples[0], &p))
	rewritePayload(p, n, head)
	body, err := json.Marshal(p)
	ts.Check(err)
	url := "http://" + ts.Getenv("MCPVET_LISTEN") + "/webhook"
	var resp *http.Response
	waitFor(ts, "the server at "+url, func() (bool, string) {
		req, err := testenv.NewWebhookRequest(context.Background(), url, event, id, body, serveSecret, serveAppID)
		ts.Check(err)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return true, ""
	})
	if resp.StatusCode/100 != 2 {
		ts.Fatalf("deliver %s %s: status %d", event, action, resp.StatusCode)
	}
	ts.Logf("delivered %s %s for PR %d head %s as %s: %d", event, action, n, head[:7], id, resp.StatusCode)
}

// rewritePayload points a real example payload at the fixture: repository, installation, pull request and
// head. GitHub's examples come from other repositories; only the fields the App reads are changed.
func rewritePayload(p map[string]any, n int, head string) {
	repo := map[string]any{"id": 9001, "node_id": "R_fixture", "name": serveRepo, "full_name": serveOwner + "/" + serveRepo,
		"private": false, "owner": map[string]any{"login": serveOwner, "id": 9002, "type": "Organization"}}
	merge := func(dst any, src map[string]any) {
		if m, ok := dst.(map[string]any); ok {
			for k, v := range src {
				m[k] = v
			}
		}
	}
	if _, ok := p["repository"]; ok {
		merge(p["repository"], repo)
	} else {
		p["repository"] = repo
	}
	p["installation"] = map[string]any{"id": serveInstall, "node_id": "I_fixture"}
	base := map[string]any{"sha": sha("base"), "ref": "main", "label": serveOwner + ":main"}
	headRef := map[string]any{"sha": head, "ref": fmt.Sprintf("bump-mailpost-%d", n), "label": serveOwner + ":bump"}
	if pr, ok := p["pull_request"].(map[string]any); ok {
		pr["number"] = n
		p["number"] = n
		merge(pr["base"], base)
		merge(pr["head"], headRef)
		if b, ok := pr["base"].(map[string]any); ok {
			b["repo"] = repo
		}
		if h, ok := pr["head"].(map[string]any); ok {
			h["repo"] = repo
		}
		pr["user"] = map[string]any{"login": "dependency-bot", "id": 9003, "type": "User"}
	}
	prRef := []any{map[string]any{"id": n, "number": n, "url": "https://api.github.com/repos/acme/assistant/pulls/" + strconv.Itoa(n),
		"head": map[string]any{"sha": head, "ref": "bump", "repo": map[string]any{"id": 9001, "name": serveRepo, "url": "https://api.github.com/repos/acme/assistant"}},
		"base": map[string]any{"sha": sha("base"), "ref": "main", "repo": map[string]any{"id": 9001, "name": serveRepo, "url": "https://api.github.com/repos/acme/assistant"}}}}
	app := map[string]any{"id": serveAppID, "slug": "mcpvet"}
	if suite, ok := p["check_suite"].(map[string]any); ok {
		suite["head_sha"] = head
		suite["pull_requests"] = prRef
		suite["app"] = app
	}
	if run, ok := p["check_run"].(map[string]any); ok {
		run["head_sha"] = head
		run["name"] = "mcpvet"
		run["pull_requests"] = prRef
		run["app"] = app
		if suite, ok := run["check_suite"].(map[string]any); ok {
			suite["head_sha"] = head
			suite["pull_requests"] = prRef
			suite["app"] = app
		}
	}
}

// cmdPGDB creates a fresh database on the PostgreSQL server named by $MCPVET_TEST_POSTGRES and points
// $MCPVET_DB at it, so each script starts from an empty queue.
func cmdPGDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: pgdb")
	}
	admin := os.Getenv("MCPVET_TEST_POSTGRES")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	ts.Check(err)
	defer conn.Close(ctx)
	name := fmt.Sprintf("mcpvet_serve_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	ts.Check(err)
	u, err := url.Parse(admin)
	ts.Check(err)
	u.Path = "/" + name
	ts.Setenv("MCPVET_DB", u.String())
}

// cmdSleep waits: "sleep 3s" gives a server time to do what it should not (a duplicate review).
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}
