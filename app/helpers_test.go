package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

// testSecret signs the test deliveries.
const testSecret = "test-webhook-secret-do-not-log-me"

// testAppID is the App id of the check runs in @octokit/webhooks-examples' check_run rerequested payload.
const testAppID = 2

// PostgresTestEnv names the PostgreSQL URL the PostgreSQL variants of the tests use (scripts/postgres.sh
// prints one). Unset: those variants are skipped locally and fail under CI=true.
const PostgresTestEnv = "MCPVET_TEST_POSTGRES"

// waitLimit is how long a test waits for the queue to reach a state before failing (a hang guard,
// not a speed assertion).
const waitLimit = 60 * time.Second

// requirePostgres returns the PostgreSQL URL for tests, skipping (locally) or failing (CI) when unset.
func requirePostgres(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresTestEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI: start PostgreSQL with scripts/postgres.sh start DIR", PostgresTestEnv)
		}
		t.Skipf("%s not set: run scripts/postgres.sh start DIR and export its URL", PostgresTestEnv)
	}
	return u
}

// freshPostgres creates a database of its own for one test on the server of base and returns its URL.
func freshPostgres(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresTestEnv, err)
	}
	defer conn.Close(ctx)
	name := "mcpvet_test_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresTestEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// backendCase is one database the suite runs on.
type backendCase struct {
	name string
	db   func(t testing.TB) string // a fresh, empty database
}

func backendCases() []backendCase {
	return []backendCase{
		{"sqlite", func(t testing.TB) string { return "sqlite:" + t.TempDir() + "/mcpvet.db" }},
		{"postgres", func(t testing.TB) string { return freshPostgres(t, requirePostgres(t)) }},
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newGUID() string {
	b := randomHex(16)
	return b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:]
}

// sha is a commit id made from seed.
func sha(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:40]
}

// logBuffer collects a test server's logs; they are printed when the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func testLogger(t testing.TB) (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", lb.String())
		}
	})
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// testConfig is a Config for tests: fast retries and polling, generous timeouts.
func testConfig(t testing.TB, db string) (Config, *logBuffer) {
	log, lb := testLogger(t)
	return Config{
		AppID:             testAppID,
		WebhookSecret:     []byte(testSecret),
		DB:                db,
		Workers:           4,
		Logger:            log,
		JobTimeout:        30 * time.Second,
		RescueAfter:       31 * time.Second,
		RetryBase:         10 * time.Millisecond,
		RetryMax:          50 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		ShutdownTimeout:   5 * time.Second,
	}, lb
}

// startServer builds and starts a Server closed at the end of the test.
func startServer(t testing.TB, cfg Config, r Runner) *Server {
	t.Helper()
	s, err := New(context.Background(), cfg, r)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newTestServer starts a Server on db (testConfig) whose fakeRunner answers with fn (nil: success).
func newTestServer(t testing.TB, db string, fn func(ctx context.Context, w Work, call int) error) (*Server, *fakeRunner) {
	t.Helper()
	cfg, _ := testConfig(t, db)
	r := newFakeRunner(fn)
	return startServer(t, cfg, r), r
}

// fakeRunner records every Work and answers with fn (nil: success).
type fakeRunner struct {
	mu    sync.Mutex
	calls []Work
	fn    func(ctx context.Context, w Work, call int) error // call: 1 for a unit's first run
	seen  chan Work
}

func newFakeRunner(fn func(ctx context.Context, w Work, call int) error) *fakeRunner {
	return &fakeRunner{fn: fn, seen: make(chan Work, 10000)}
}

func (f *fakeRunner) Run(ctx context.Context, w Work) error {
	f.mu.Lock()
	f.calls = append(f.calls, w)
	n := 0
	for _, c := range f.calls {
		if c.Owner == w.Owner && c.Repo == w.Repo && c.Number == w.Number && c.HeadSHA == w.HeadSHA {
			n++
		}
	}
	f.mu.Unlock()
	select {
	case f.seen <- w:
	default:
	}
	if f.fn == nil {
		return nil
	}
	return f.fn(ctx, w, n)
}

func (f *fakeRunner) Calls() []Work {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Work(nil), f.calls...)
}

// callsFor counts the runs of one head.
func (f *fakeRunner) callsFor(number int, head string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Number == number && c.HeadSHA == head {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing after waitLimit.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jobsOf lists the server's review jobs.
func jobsOf(t testing.TB, s *Server) []*rivertype.JobRow {
	t.Helper()
	jobs, err := s.backend.jobs(context.Background())
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	return jobs
}

// jobsFor returns the jobs of one head.
func jobsFor(t testing.TB, s *Server, number int, head string) []*rivertype.JobRow {
	t.Helper()
	var out []*rivertype.JobRow
	for _, j := range jobsOf(t, s) {
		var a reviewArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatalf("job %d args: %v", j.ID, err)
		}
		if a.Number == number && a.HeadSHA == head {
			out = append(out, j)
		}
	}
	return out
}

// waitAllFinal waits until every review job is finished (completed, cancelled or discarded).
func waitAllFinal(t testing.TB, s *Server) []*rivertype.JobRow {
	t.Helper()
	var jobs []*rivertype.JobRow
	waitFor(t, "all jobs finished", func() bool {
		jobs = jobsOf(t, s)
		for _, j := range jobs {
			if !finalized(j.State) {
				return false
			}
		}
		return true
	})
	return jobs
}

// example returns a real @octokit/webhooks-examples payload of event/action (the first one carrying
// an installation) as a mutable map.
func example(t testing.TB, event, action string) map[string]any {
	t.Helper()
	testenv.RequireWebhookExamples(t)
	exs, err := testenv.WebhookExamples(event, action)
	if err != nil {
		t.Fatal(err)
	}
	var first map[string]any
	for _, ex := range exs {
		var m map[string]any
		if err := json.Unmarshal(ex, &m); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = m
		}
		if _, ok := m["installation"]; ok {
			return m
		}
	}
	first["installation"] = map[string]any{"id": 1}
	return first
}

// set assigns v at a dotted path of m, creating objects on the way.
func set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// testRepo is the reviewed repository of the suite's pull request payloads.
type testRepo struct {
	ID          int64
	Owner, Name string
}

func helloWorld() testRepo { return testRepo{ID: 186853002, Owner: "Codertocat", Name: "Hello-World"} }

// prPayload is GitHub's pull_request example for action, moved to repo, PR number and head.
func prPayload(t testing.TB, action string, repo testRepo, number int, head string) map[string]any {
	t.Helper()
	exAction := action
	if action == "edited" {
		exAction = "opened" // the examples hold no edited payload; an opened one with changes.base is the same shape
	}
	m := example(t, "pull_request", exAction)
	m["action"] = action
	m["number"] = number
	set(m, "pull_request.number", number)
	set(m, "pull_request.head.sha", head)
	set(m, "pull_request.base.repo.id", repo.ID)
	set(m, "repository.id", repo.ID)
	set(m, "repository.name", repo.Name)
	set(m, "repository.full_name", repo.Owner+"/"+repo.Name)
	set(m, "repository.owner.login", repo.Owner)
	set(m, "installation.id", 1)
	return m
}

// suitePayload is GitHub's check_suite example for action, moved to repo and head, listing the pull
// requests numbered prs (into repo); none lists an empty pull_requests, as for a fork head.
func suitePayload(t testing.TB, action string, repo testRepo, head string, prs ...int) map[string]any {
	t.Helper()
	m := example(t, "check_suite", action)
	list := []any{}
	for _, n := range prs {
		list = append(list, map[string]any{"number": n, "base": map[string]any{"repo": map[string]any{"id": repo.ID}}})
	}
	set(m, "check_suite.head_sha", head)
	set(m, "check_suite.pull_requests", list)
	set(m, "repository.id", repo.ID)
	return m
}

// deliver signs payload like GitHub and sends it to h.
func deliver(t testing.TB, h http.Handler, event, guid string, payload any) *httptest.ResponseRecorder {
	t.Helper()
	body, ok := payload.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	req, err := testenv.NewWebhookRequest(context.Background(), "http://mcpvet.test/webhook", event, guid, body, testSecret, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status %d, want %d; body %q", rec.Code, code, rec.Body.String())
	}
}
