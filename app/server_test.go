package app

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

func TestWebhookRejects(t *testing.T) {
	s, r := newTestServer(t, "sqlite:"+t.TempDir()+"/mcpvet.db", nil)
	h := s.Handler()
	body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)

	post := func(mod func(*http.Request)) *httptest.ResponseRecorder {
		req, err := testenv.NewWebhookRequest(context.Background(), "http://mcpvet.test/webhook", "ping", newGUID(), body, testSecret, testAppID)
		if err != nil {
			t.Fatal(err)
		}
		mod(req)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	sha1Sig := "sha1=" + strings.Repeat("ab", 20)
	tests := []struct {
		name string
		mod  func(*http.Request)
		want int
	}{
		{"valid signature, unknown event", func(*http.Request) {}, http.StatusNoContent},
		{"missing signature", func(r *http.Request) { r.Header.Del("X-Hub-Signature-256") }, http.StatusUnauthorized},
		{"SHA-1 signature only", func(r *http.Request) {
			r.Header.Del("X-Hub-Signature-256")
			r.Header.Set("X-Hub-Signature", sha1Sig)
		}, http.StatusUnauthorized},
		{"SHA-1 value in the SHA-256 header", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", sha1Sig) }, http.StatusUnauthorized},
		{"wrong signature", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", testenv.SignWebhook("another secret", body))
		}, http.StatusUnauthorized},
		{"signature not hex", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("zz", 32)) }, http.StatusUnauthorized},
		{"missing delivery id", func(r *http.Request) { r.Header.Del("X-GitHub-Delivery") }, http.StatusBadRequest},
		{"missing event", func(r *http.Request) { r.Header.Del("X-GitHub-Event") }, http.StatusBadRequest},
		{"delivery id at the limit", func(r *http.Request) { r.Header.Set("X-GitHub-Delivery", strings.Repeat("a", MaxDeliveryIDLen)) }, http.StatusNoContent},
		{"delivery id over the limit", func(r *http.Request) { r.Header.Set("X-GitHub-Delivery", strings.Repeat("a", MaxDeliveryIDLen+1)) }, http.StatusBadRequest},
		{"delivery id with a quote", func(r *http.Request) { r.Header.Set("X-GitHub-Delivery", `abc"def`) }, http.StatusBadRequest},
		{"event name at the limit", func(r *http.Request) { r.Header.Set("X-GitHub-Event", strings.Repeat("e", MaxEventNameLen)) }, http.StatusNoContent},
		{"event name over the limit", func(r *http.Request) { r.Header.Set("X-GitHub-Event", strings.Repeat("e", MaxEventNameLen+1)) }, http.StatusBadRequest},
		{"handled event, unsupported content type", func(r *http.Request) {
			r.Header.Set("X-GitHub-Event", "pull_request")
			r.Header.Set("Content-Type", "text/plain")
		}, http.StatusUnsupportedMediaType},
		{"handled event, payload not JSON of the event", func(r *http.Request) {
			r.Header.Set("X-GitHub-Event", "pull_request")
			bad := []byte(`{"action": 5}`)
			r.Body = io.NopCloser(bytes.NewReader(bad))
			r.ContentLength = int64(len(bad))
			r.Header.Set("X-Hub-Signature-256", testenv.SignWebhook(testSecret, bad))
		}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.mod)
			wantStatus(t, rec, tt.want)
		})
	}
	if n := len(r.Calls()); n != 0 {
		t.Errorf("runner called %d times for rejected or ignored deliveries", n)
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	s, _ := newTestServer(t, "sqlite:"+t.TempDir()+"/mcpvet.db", nil)
	h := s.Handler()
	for _, tt := range []struct {
		size int
		want int
	}{
		{MaxWebhookBodyBytes, http.StatusNoContent}, // read, verified, then ignored (ping-like event)
		{MaxWebhookBodyBytes + 1, http.StatusRequestEntityTooLarge},
	} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			body := bytes.Repeat([]byte(" "), tt.size)
			body[0] = '{'
			body[len(body)-1] = '}'
			rec := deliver(t, h, "star", newGUID(), body)
			wantStatus(t, rec, tt.want)
		})
	}
}

func TestIgnoredActions(t *testing.T) {
	s, r := newTestServer(t, "sqlite:"+t.TempDir()+"/mcpvet.db", nil)
	h := s.Handler()
	repo := helloWorld()
	other := example(t, "check_run", "rerequested")
	set(other, "check_run.app.id", testAppID+1)
	for _, tt := range []struct {
		name, event string
		payload     map[string]any
	}{
		{"pull_request labeled", "pull_request", prPayload(t, "labeled", repo, 1, sha("a"))},
		{"pull_request edited without a base change", "pull_request", func() map[string]any {
			m := prPayload(t, "edited", repo, 1, sha("a"))
			m["changes"] = map[string]any{"title": map[string]any{"from": "old"}}
			return m
		}()},
		{"check_run created", "check_run", example(t, "check_run", "created")},
		{"check_run rerequested of another App", "check_run", other},
		{"check_suite completed", "check_suite", example(t, "check_suite", "completed")},
		{"ping", "ping", example(t, "ping", "")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, deliver(t, h, tt.event, newGUID(), tt.payload), http.StatusNoContent)
		})
	}
	if n := len(r.Calls()); n != 0 {
		t.Errorf("runner called %d times for ignored deliveries", n)
	}
}

// TestQueue is the suite that runs on SQLite and, with MCPVET_TEST_POSTGRES, on PostgreSQL.
func TestQueue(t *testing.T) {
	t.Parallel()
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			t.Run("opened", func(t *testing.T) { t.Parallel(); testOpened(t, bc.db(t)) })
			t.Run("same delivery twice", func(t *testing.T) { t.Parallel(); testRedelivery(t, bc.db(t)) })
			t.Run("two deliveries for one head", func(t *testing.T) { t.Parallel(); testSameHead(t, bc.db(t)) })
			t.Run("newer head cancels running work", func(t *testing.T) { t.Parallel(); testSynchronize(t, bc.db(t)) })
			t.Run("closed cancels running work", func(t *testing.T) { t.Parallel(); testClosed(t, bc.db(t)) })
			t.Run("fork head rerequested", func(t *testing.T) { t.Parallel(); testForkRerequest(t, bc.db(t)) })
			t.Run("stale check event", func(t *testing.T) { t.Parallel(); testStaleCheckEvent(t, bc.db(t)) })
			t.Run("base changed reruns", func(t *testing.T) { t.Parallel(); testBaseChanged(t, bc.db(t)) })
			t.Run("transient failure retried", func(t *testing.T) { t.Parallel(); testTransient(t, bc.db(t)) })
			t.Run("permanent failure not retried", func(t *testing.T) { t.Parallel(); testPermanent(t, bc.db(t)) })
			t.Run("installations recorded", func(t *testing.T) { t.Parallel(); testInstallations(t, bc.db(t)) })
			t.Run("readyz and metrics", func(t *testing.T) { t.Parallel(); testReadyMetrics(t, bc.db(t)) })
		})
	}
}

func testOpened(t *testing.T, db string) {
	cfg, logs := testConfig(t, db)
	r := newFakeRunner(nil)
	s := startServer(t, cfg, r)
	repo, head, guid := helloWorld(), sha("opened"), newGUID()
	wantStatus(t, deliver(t, s.Handler(), "pull_request", guid, prPayload(t, "opened", repo, 7, head)), http.StatusAccepted)
	jobs := waitAllFinal(t, s)
	want := Work{InstallationID: 1, Owner: repo.Owner, Repo: repo.Name, Number: 7, HeadSHA: head, DeliveryID: guid}
	if calls := r.Calls(); len(calls) != 1 || calls[0] != want {
		t.Fatalf("runner calls %+v, want exactly [%+v]", calls, want)
	}
	if len(jobs) != 1 || jobs[0].State != rivertype.JobStateCompleted {
		t.Fatalf("jobs %v, want one completed", jobStates(jobs))
	}
	for _, l := range []string{`"delivery":"` + guid + `"`, `"installation":1`, `"repo":"Codertocat/Hello-World"`, `"pr":7`, `"sha":"` + head + `"`} {
		if !strings.Contains(logs.String(), l) {
			t.Errorf("logs lack %s", l)
		}
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Error("the webhook secret appears in the logs")
	}
}

func testRedelivery(t *testing.T, db string) {
	s, r := newTestServer(t, db, nil)
	guid, payload := newGUID(), prPayload(t, "opened", helloWorld(), 8, sha("redelivery"))
	wantStatus(t, deliver(t, s.Handler(), "pull_request", guid, payload), http.StatusAccepted)
	wantStatus(t, deliver(t, s.Handler(), "pull_request", guid, payload), http.StatusOK)
	waitAllFinal(t, s)
	wantStatus(t, deliver(t, s.Handler(), "pull_request", guid, payload), http.StatusOK) // after the job finished, too
	waitAllFinal(t, s)
	if n := len(r.Calls()); n != 1 {
		t.Fatalf("runner called %d times for one delivery sent three times", n)
	}
}

func testSameHead(t *testing.T, db string) {
	s, r := newTestServer(t, db, nil)
	repo, head := helloWorld(), sha("same-head")
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", repo, 9, head)), http.StatusAccepted)
	// check_suite requested for the same push, listing the PR: the same unit of work.
	wantStatus(t, deliver(t, s.Handler(), "check_suite", newGUID(), suitePayload(t, "requested", repo, head, 9)), http.StatusAccepted)
	waitAllFinal(t, s)
	// And once more after it finished: ready_for_review of the same head is still the same unit.
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "ready_for_review", repo, 9, head)), http.StatusAccepted)
	jobs := waitAllFinal(t, s)
	if n := r.callsFor(9, head); n != 1 {
		t.Fatalf("runner ran the head %d times, want 1", n)
	}
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
}

// blockUntilDone is a fakeRunner answer that blocks the runs of one head until their context ends,
// reporting the cause.
func blockUntilDone(head string) (func(context.Context, Work, int) error, chan error) {
	causes := make(chan error, 4)
	return func(ctx context.Context, w Work, _ int) error {
		if w.HeadSHA != head {
			return nil
		}
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return ctx.Err()
	}, causes
}

func testSynchronize(t *testing.T, db string) {
	repo, oldHead, newHead := helloWorld(), sha("old-head"), sha("new-head")
	run, causes := blockUntilDone(oldHead)
	s, r := newTestServer(t, db, run)
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", repo, 10, oldHead)), http.StatusAccepted)
	waitFor(t, "the old head's review to start", func() bool { return r.callsFor(10, oldHead) == 1 })
	sync := prPayload(t, "synchronize", repo, 10, newHead)
	sync["before"], sync["after"] = oldHead, newHead
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), sync), http.StatusAccepted)
	if cause := <-causes; !errors.Is(cause, river.ErrJobCancelledRemotely) {
		t.Fatalf("old head's context ended with %v, want River's remote cancellation", cause)
	}
	jobs := waitAllFinal(t, s)
	if n := r.callsFor(10, newHead); n != 1 {
		t.Fatalf("new head ran %d times, want 1", n)
	}
	if st := jobStates(jobsFor(t, s, 10, oldHead)); len(st) != 1 || st[0] != rivertype.JobStateCancelled {
		t.Fatalf("old head's jobs %v, want [cancelled]", st)
	}
	if len(jobs) != 2 {
		t.Fatalf("jobs %v, want 2", jobStates(jobs))
	}
}

func testClosed(t *testing.T, db string) {
	repo, head := helloWorld(), sha("closed")
	run, causes := blockUntilDone(head)
	s, r := newTestServer(t, db, run)
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", repo, 11, head)), http.StatusAccepted)
	waitFor(t, "the review to start", func() bool { return r.callsFor(11, head) == 1 })
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "closed", repo, 11, head)), http.StatusAccepted)
	if cause := <-causes; !errors.Is(cause, river.ErrJobCancelledRemotely) {
		t.Fatalf("context ended with %v, want River's remote cancellation", cause)
	}
	waitAllFinal(t, s)
	// A check suite rerequest for the closed PR's head does nothing.
	wantStatus(t, deliver(t, s.Handler(), "check_suite", newGUID(), suitePayload(t, "rerequested", repo, head)), http.StatusAccepted)
	waitAllFinal(t, s)
	if n := r.callsFor(11, head); n != 1 {
		t.Fatalf("closed PR's head ran %d times, want 1", n)
	}
}

func testForkRerequest(t *testing.T, db string) {
	s, r := newTestServer(t, db, nil)
	// GitHub's example: check run 4 of App 2 on github/hello-world, pull_requests empty (a fork head).
	rerun := example(t, "check_run", "rerequested")
	run := rerun["check_run"].(map[string]any)
	head := run["head_sha"].(string)
	repoMap := rerun["repository"].(map[string]any)
	repo := testRepo{ID: int64(repoMap["id"].(float64)), Owner: repoMap["owner"].(map[string]any)["login"].(string), Name: repoMap["name"].(string)}
	if prs := run["pull_requests"].([]any); len(prs) != 0 {
		t.Fatalf("the example check run lists %d pull requests; the test needs a fork head", len(prs))
	}
	// Before the PR is known, the head maps to nothing.
	wantStatus(t, deliver(t, s.Handler(), "check_run", newGUID(), rerun), http.StatusAccepted)
	opened := prPayload(t, "opened", repo, 12, head)
	set(opened, "pull_request.head.repo.full_name", "someone/hello-world-fork")
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), opened), http.StatusAccepted)
	waitAllFinal(t, s)
	guid := newGUID()
	wantStatus(t, deliver(t, s.Handler(), "check_run", guid, rerun), http.StatusAccepted)
	waitAllFinal(t, s)
	calls := r.Calls()
	want := Work{InstallationID: 1, Owner: repo.Owner, Repo: repo.Name, Number: 12, HeadSHA: head, CheckRunID: 4, DeliveryID: guid}
	if len(calls) != 2 || calls[1] != want {
		t.Fatalf("runner calls %+v, want a second one %+v", calls, want)
	}
}

func testStaleCheckEvent(t *testing.T, db string) {
	s, r := newTestServer(t, db, nil)
	repo, oldHead, newHead := helloWorld(), sha("stale-old"), sha("stale-new")
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", repo, 13, oldHead)), http.StatusAccepted)
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "synchronize", repo, 13, newHead)), http.StatusAccepted)
	waitAllFinal(t, s)
	before := r.callsFor(13, oldHead)
	// A late check_suite requested for the old head, listing the PR: stale, nothing runs.
	rec := deliver(t, s.Handler(), "check_suite", newGUID(), suitePayload(t, "requested", repo, oldHead, 13))
	wantStatus(t, rec, http.StatusAccepted)
	if !strings.Contains(rec.Body.String(), "1 skipped") {
		t.Errorf("body %q, want the stale unit skipped", rec.Body.String())
	}
	waitAllFinal(t, s)
	if after := r.callsFor(13, oldHead); after != before {
		t.Fatalf("stale head ran again (%d → %d)", before, after)
	}
}

func testBaseChanged(t *testing.T, db string) {
	s, r := newTestServer(t, db, nil)
	repo, head := helloWorld(), sha("base-changed")
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", repo, 14, head)), http.StatusAccepted)
	waitAllFinal(t, s)
	edited := prPayload(t, "edited", repo, 14, head)
	edited["changes"] = map[string]any{"base": map[string]any{"ref": map[string]any{"from": "develop"}, "sha": map[string]any{"from": sha("old-base")}}}
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), edited), http.StatusAccepted)
	waitAllFinal(t, s)
	if n := r.callsFor(14, head); n != 2 {
		t.Fatalf("head ran %d times, want 2 (opened, then base changed)", n)
	}
}

func testTransient(t *testing.T, db string) {
	s, r := newTestServer(t, db, func(_ context.Context, _ Work, call int) error {
		if call < 3 {
			return errors.New("GitHub answered 502")
		}
		return nil
	})
	head := sha("transient")
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", helloWorld(), 15, head)), http.StatusAccepted)
	jobs := waitAllFinal(t, s)
	if n := r.callsFor(15, head); n != 3 {
		t.Fatalf("runner called %d times, want 3 (two failures, then success)", n)
	}
	if len(jobs) != 1 || jobs[0].State != rivertype.JobStateCompleted || jobs[0].Attempt != 3 || len(jobs[0].Errors) != 2 {
		t.Fatalf("job %v attempt %d errors %d, want completed on attempt 3 after 2 errors", jobStates(jobs), jobs[0].Attempt, len(jobs[0].Errors))
	}
}

func testPermanent(t *testing.T, db string) {
	s, r := newTestServer(t, db, func(context.Context, Work, int) error {
		return fmt.Errorf("review: %w", Permanent(errors.New("repository archived")))
	})
	head := sha("permanent")
	wantStatus(t, deliver(t, s.Handler(), "pull_request", newGUID(), prPayload(t, "opened", helloWorld(), 16, head)), http.StatusAccepted)
	jobs := waitAllFinal(t, s)
	if n := r.callsFor(16, head); n != 1 {
		t.Fatalf("runner called %d times, want 1", n)
	}
	if len(jobs) != 1 || jobs[0].State != rivertype.JobStateCancelled || jobs[0].Attempt != 1 {
		t.Fatalf("jobs %v, want one cancelled after one attempt", jobStates(jobs))
	}
}

func testInstallations(t *testing.T, db string) {
	s, _ := newTestServer(t, db, nil)
	created := example(t, "installation", "created")
	added := example(t, "installation_repositories", "added")
	removed := example(t, "installation_repositories", "removed")
	for _, d := range []struct {
		event   string
		payload map[string]any
	}{{"installation", created}, {"installation_repositories", added}, {"installation_repositories", removed}} {
		wantStatus(t, deliver(t, s.Handler(), d.event, newGUID(), d.payload), http.StatusAccepted)
	}
	instID := int64(created["installation"].(map[string]any)["id"].(float64))
	b := s.backend
	var installs, repos int
	switch b := b.(type) {
	case *riverBackend[*sql.Tx]:
		installs, repos = countInstallations(t, b, instID)
	case *riverBackend[pgx.Tx]:
		installs, repos = countInstallations(t, b, instID)
	default:
		t.Fatalf("unexpected backend %T", b)
	}
	if installs != 1 {
		t.Errorf("installation %d recorded %d times, want 1", instID, installs)
	}
	wantRepos := len(created["repositories"].([]any))
	t.Logf("installation %d: %d repositories recorded (created listed %d)", instID, repos, wantRepos)
	if repos == 0 {
		t.Errorf("no repositories recorded for installation %d", instID)
	}
}

func countInstallations[TTx any](t *testing.T, b *riverBackend[TTx], id int64) (installs, repos int) {
	ctx := context.Background()
	if err := inTx(ctx, b.db, func(tx TTx) error {
		if err := b.db.Query(ctx, tx, `SELECT COUNT(*) FROM mcpvet_installation WHERE id = ?`, []any{id}, func(scan func(...any) error) error { return scan(&installs) }); err != nil {
			return err
		}
		return b.db.Query(ctx, tx, `SELECT COUNT(*) FROM mcpvet_installation_repo WHERE installation_id = ?`, []any{id}, func(scan func(...any) error) error { return scan(&repos) })
	}); err != nil {
		t.Fatal(err)
	}
	return installs, repos
}

func testReadyMetrics(t *testing.T, db string) {
	s, _ := newTestServer(t, db, nil)
	h := s.Handler()
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	wantStatus(t, get("/healthz"), http.StatusOK)
	wantStatus(t, get("/readyz"), http.StatusOK)
	wantStatus(t, deliver(t, h, "pull_request", newGUID(), prPayload(t, "opened", helloWorld(), 17, sha("metrics"))), http.StatusAccepted)
	waitAllFinal(t, s)
	// A GitHub call through the instrumented transport.
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.Header().Set("X-RateLimit-Resource", "core")
		w.WriteHeader(http.StatusOK)
	}))
	defer gh.Close()
	client := &http.Client{Transport: s.Metrics().InstrumentGitHub(nil)}
	resp, err := client.Get(gh.URL + "/repos/o/r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	rec := get("/metrics")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{
		MetricDeliveries + `{event="pull_request",result="accepted"} 1`,
		MetricAckSeconds + `_count`,
		MetricJobs + `{state="completed"} 1`,
		MetricJobDuration + `_count{result="ok"} 1`,
		MetricGitHubRequests + `{code="200",method="GET"} 1`,
		MetricGitHubRateLimit + `{resource="core"} 4999`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The database is closed: not ready (healthz still answers).
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, get("/readyz"), http.StatusServiceUnavailable)
	wantStatus(t, get("/healthz"), http.StatusOK)
}

func jobStates(jobs []*rivertype.JobRow) []rivertype.JobState {
	var out []rivertype.JobState
	for _, j := range jobs {
		out = append(out, j.State)
	}
	return out
}

// TestTwoServersOnePostgres: two replicas share one PostgreSQL; every delivery, sent to either,
// runs exactly once.
func TestTwoServersOnePostgres(t *testing.T) {
	t.Parallel()
	db := freshPostgres(t, requirePostgres(t))
	r := newFakeRunner(nil)
	cfg1, _ := testConfig(t, db)
	cfg2, _ := testConfig(t, db)
	s1 := startServer(t, cfg1, r)
	s2 := startServer(t, cfg2, r)
	const n = 200
	payloads := make([]map[string]any, n)
	for i := range n {
		payloads[i] = prPayload(t, "opened", helloWorld(), 1000+i, sha(fmt.Sprint("replica", i)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := s1.Handler()
			if i%2 == 1 {
				h = s2.Handler()
			}
			guid, payload := newGUID(), payloads[i]
			for _, hh := range []http.Handler{h, s1.Handler(), s2.Handler()} { // and redelivered to both
				rec := deliver(t, hh, "pull_request", guid, payload)
				if rec.Code != http.StatusAccepted && rec.Code != http.StatusOK {
					errs <- fmt.Errorf("delivery %d: status %d %s", i, rec.Code, rec.Body.String())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitFor(t, "every delivery's work", func() bool { return len(r.Calls()) >= n })
	waitAllFinal(t, s1)
	counts := map[int]int{}
	for _, c := range r.Calls() {
		counts[c.Number]++
	}
	for i := range n {
		if counts[1000+i] != 1 {
			t.Errorf("PR %d ran %d times, want 1", 1000+i, counts[1000+i])
		}
	}
}
