package ghapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

const (
	routeGetPull     = "GET /repos/{owner}/{repo}/pulls/{pull_number}"
	routeCreateCheck = "POST /repos/{owner}/{repo}/check-runs"
	routeUpdateCheck = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"
)

// tokenClient returns a client of the fake with the test token, the fake clock and o.
func tokenClient(t *testing.T, url string, clock *fakeClock, o TransportOptions) *github.Client {
	t.Helper()
	o.Now, o.Sleep = clock.Now, clock.Sleep
	c, err := NewTokenClientWithOptions(url, tToken, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTransportRateLimits(t *testing.T) {
	clockStart := newClock().Now()
	reset := strconv.FormatInt(clockStart.Add(30*time.Second).Unix(), 10)
	tests := []struct {
		name      string
		status    int
		header    http.Header
		wantSleep []time.Duration
	}{
		{"429 with Retry-After", 429, http.Header{"Retry-After": {"7"}}, []time.Duration{7 * time.Second}},
		{"403 with Retry-After", 403, http.Header{"Retry-After": {"3"}}, []time.Duration{3 * time.Second}},
		{"403 primary limit: wait for X-RateLimit-Reset", 403,
			http.Header{"X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {reset}}, []time.Duration{31 * time.Second}},
		{"429 primary limit: wait for X-RateLimit-Reset", 429,
			http.Header{"X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {reset}}, []time.Duration{31 * time.Second}},
		{"secondary limit without headers: one minute", 403, nil, []time.Duration{time.Minute}},
		{"429 without headers: one minute", 429, nil, []time.Duration{time.Minute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, head := simpleTrees()
			g, url := newFake(t, base, head, nil)
			clock := newClock()
			var statuses []int
			var mu sync.Mutex
			c := tokenClient(t, url, clock, TransportOptions{OnResponse: func(method, route string, status int) {
				mu.Lock()
				defer mu.Unlock()
				statuses = append(statuses, status)
				if method != "GET" || route != "/repos/{owner}/{repo}/pulls/{id}" {
					t.Errorf("OnResponse(%s, %s)", method, route)
				}
			}})
			if err := g.FailNext(routeGetPull, tc.status, tc.header); err != nil {
				t.Fatal(err)
			}
			pr, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull)
			if err != nil || pr.GetNumber() != tPull {
				t.Fatalf("Get = %v, %v", pr, err)
			}
			if got := clock.Sleeps(); !slices.Equal(got, tc.wantSleep) {
				t.Errorf("slept %v, want %v", got, tc.wantSleep)
			}
			if !slices.Equal(statuses, []int{tc.status, 200}) {
				t.Errorf("statuses %v", statuses)
			}
			if n := len(requestsTo(g, routeGetPull)); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestTransportMaxWait(t *testing.T) {
	base, head := simpleTrees()
	tests := []struct {
		name   string
		header http.Header
		wait   time.Duration
	}{
		{"Retry-After beyond MaxWait", http.Header{"Retry-After": {"121"}}, 121 * time.Second},
		{"reset beyond MaxWait", http.Header{"X-RateLimit-Remaining": {"0"},
			"X-RateLimit-Reset": {strconv.FormatInt(newClock().Now().Add(time.Hour).Unix(), 10)}}, time.Hour + time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, url := newFake(t, base, head, nil)
			clock := newClock()
			c := tokenClient(t, url, clock, TransportOptions{MaxWait: 2 * time.Minute})
			if err := g.FailNext(routeGetPull, 403, tc.header); err != nil {
				t.Fatal(err)
			}
			_, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull)
			var rl *RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v, want a *RateLimitError", err)
			}
			if !rl.RetryAt.Equal(clock.Now().Add(tc.wait)) || rl.StatusCode != 403 {
				t.Errorf("RateLimitError %+v, want retry at now+%v", rl, tc.wait)
			}
			if len(clock.Sleeps()) != 0 || len(requestsTo(g, routeGetPull)) != 1 {
				t.Errorf("slept %v, %d requests", clock.Sleeps(), len(requestsTo(g, routeGetPull)))
			}
			if Permanent(err) {
				t.Error("a rate limit is not permanent")
			}
			if strings.Contains(err.Error(), tToken) {
				t.Error("the error shows the token")
			}
		})
	}
	// The boundary: a wait of exactly MaxWait is honoured.
	g, url := newFake(t, base, head, nil)
	clock := newClock()
	c := tokenClient(t, url, clock, TransportOptions{MaxWait: 2 * time.Minute})
	if err := g.FailNext(routeGetPull, 429, http.Header{"Retry-After": {"120"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull); err != nil {
		t.Errorf("a wait of exactly MaxWait: %v", err)
	}
}

func TestTransportRetries(t *testing.T) {
	base, head := simpleTrees()
	t.Run("5xx GET retried with backoff", func(t *testing.T) {
		g, url := newFake(t, base, head, nil)
		clock := newClock()
		c := tokenClient(t, url, clock, TransportOptions{})
		for range 2 {
			if err := g.FailNext(routeGetPull, 502, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull); err != nil {
			t.Fatal(err)
		}
		if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
			t.Errorf("slept %v", got)
		}
	})
	t.Run("5xx GET after the last retry", func(t *testing.T) {
		g, url := newFake(t, base, head, nil)
		c := tokenClient(t, url, newClock(), TransportOptions{Retries: 2})
		for range 3 {
			if err := g.FailNext(routeGetPull, 503, nil); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull)
		if StatusCode(err) != 503 || Permanent(err) {
			t.Errorf("err = %v (status %d, permanent %v), want a retryable 503", err, StatusCode(err), Permanent(err))
		}
		if n := len(requestsTo(g, routeGetPull)); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	for _, tc := range []struct {
		name       string
		status     int
		header     http.Header
		wantStatus int // the error's status; 0: the POST succeeds, creating one check run
		wantPOSTs  int
	}{
		{"POST not retried after 5xx", 502, nil, 502, 1},
		{"POST repeated after a rate limit (it was not executed)", 429, http.Header{"Retry-After": {"2"}}, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, url := newFake(t, base, head, nil)
			c := tokenClient(t, url, newClock(), TransportOptions{})
			if err := g.FailNext(routeCreateCheck, tc.status, tc.header); err != nil {
				t.Fatal(err)
			}
			_, _, err := c.Checks.CreateCheckRun(context.Background(), tOwner, tRepo, github.CreateCheckRunOptions{Name: "x", HeadSHA: tHeadSHA})
			if tc.wantStatus != 0 && StatusCode(err) != tc.wantStatus {
				t.Errorf("err = %v, want the %d", err, tc.wantStatus)
			}
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(g.CheckRuns(tOwner, tRepo)); n != 1 {
					t.Errorf("%d check runs, want 1", n)
				}
			}
			if n := len(requestsTo(g, routeCreateCheck)); n != tc.wantPOSTs {
				t.Errorf("%d POSTs, want %d", n, tc.wantPOSTs)
			}
		})
	}
	t.Run("plain 403 is not a rate limit", func(t *testing.T) {
		g, url := newFake(t, base, head, nil)
		clock := newClock()
		// An installation without checks permission: GitHub answers 403 "Resource not accessible".
		if err := g.AddInstallation(testenv.Installation{ID: 8, AppID: tAppID, Account: tOwner,
			Permissions: map[string]string{"metadata": "read", "contents": "read"}}); err != nil {
			t.Fatal(err)
		}
		if err := g.AddInstallationToken("ghs_readonly", 8); err != nil {
			t.Fatal(err)
		}
		ro, err := NewTokenClientWithOptions(url, "ghs_readonly", nil, TransportOptions{Now: clock.Now, Sleep: clock.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ro.Checks.CreateCheckRun(context.Background(), tOwner, tRepo, github.CreateCheckRunOptions{Name: "x", HeadSHA: tHeadSHA})
		if StatusCode(err) != 403 || !Permanent(err) || len(clock.Sleeps()) != 0 {
			t.Errorf("err = %v, slept %v; want a permanent 403 at once", err, clock.Sleeps())
		}
	})
}

func TestTransportETagCache(t *testing.T) {
	base, head := simpleTrees()
	g, url := newFake(t, base, head, nil)
	var remaining []int
	c := tokenClient(t, url, newClock(), TransportOptions{OnRateLimit: func(n int) { remaining = append(remaining, n) }})
	first, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull)
	if err != nil {
		t.Fatal(err)
	}
	if first.GetHead().GetSHA() != second.GetHead().GetSHA() || second.GetNumber() != tPull {
		t.Errorf("cached answer differs: %v vs %v", first, second)
	}
	reqs := requestsTo(g, routeGetPull)
	if len(reqs) != 2 || reqs[0].Status != 200 || reqs[1].Status != 304 {
		t.Fatalf("requests %+v, want 200 then 304", reqs)
	}
	// A 304 costs no rate limit: remaining is the same after it.
	if len(remaining) != 2 || remaining[0] != remaining[1] {
		t.Errorf("remaining %v", remaining)
	}
	// After a change the new answer is served and cached.
	if err := g.PushPull(tOwner, tRepo, tPull, tOtherSHA, []testenv.PullFile{{Filename: "x"}}); err != nil {
		t.Fatal(err)
	}
	third, _, err := c.PullRequests.Get(context.Background(), tOwner, tRepo, tPull)
	if err != nil || third.GetHead().GetSHA() != tOtherSHA {
		t.Fatalf("after a push: %v, %v", third.GetHead().GetSHA(), err)
	}
}

func TestTransportWriteSpacing(t *testing.T) {
	base, head := simpleTrees()
	g, url := newFake(t, base, head, nil)
	clock := newClock()
	c := tokenClient(t, url, clock, TransportOptions{})
	ctx := context.Background()
	run, _, err := c.Checks.CreateCheckRun(ctx, tOwner, tRepo, github.CreateCheckRunOptions{Name: "x", HeadSHA: tHeadSHA})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := c.PullRequests.Get(ctx, tOwner, tRepo, tPull); err != nil { // reads are not spaced
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, _, err := c.Checks.UpdateCheckRun(ctx, tOwner, tRepo, run.GetID(), github.UpdateCheckRunOptions{Name: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{time.Second, time.Second}) {
		t.Errorf("slept %v, want two 1 s waits between three writes", got)
	}
	if n := len(requestsTo(g, routeUpdateCheck)); n != 2 {
		t.Errorf("%d updates", n)
	}
	// Writes already spaced by the clock are not delayed further.
	clock.mu.Lock()
	clock.now = clock.now.Add(5 * time.Second)
	clock.mu.Unlock()
	before := len(clock.Sleeps())
	if _, _, err := c.Checks.UpdateCheckRun(ctx, tOwner, tRepo, run.GetID(), github.UpdateCheckRunOptions{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(clock.Sleeps()) != before {
		t.Errorf("a write 5 s after the last one waited: %v", clock.Sleeps()[before:])
	}
}

func TestETagCacheBounds(t *testing.T) {
	resp := func(etag string, n int) *http.Response {
		h := http.Header{}
		h.Set("ETag", etag)
		return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(make([]byte, n))), ContentLength: int64(n)}
	}
	read := func(r *http.Response) int {
		b, _ := io.ReadAll(r.Body)
		return len(b)
	}
	c := newETagCache(2, 100, 60)
	if n := read(c.store("a", resp(`"a"`, 60))); n != 60 {
		t.Errorf("body at the entry limit: %d bytes returned", n)
	}
	if n := read(c.store("big", resp(`"b"`, 61))); n != 61 {
		t.Errorf("body over the entry limit: %d bytes returned", n)
	}
	if c.get("big") != nil {
		t.Error("an entry over CacheEntryBytes was cached")
	}
	unknown := resp(`"u"`, 61)
	unknown.ContentLength = -1
	if n := read(c.store("unknown-length", unknown)); n != 61 || c.get("unknown-length") != nil {
		t.Errorf("unknown length over the limit: %d bytes, cached %v", n, c.get("unknown-length") != nil)
	}
	read(c.store("b", resp(`"b"`, 30)))
	if entries, bytes, _, _, _ := c.stats(); entries != 2 || bytes != 90 {
		t.Errorf("entries %d bytes %d, want 2 and 90", entries, bytes)
	}
	read(c.store("c", resp(`"c"`, 30))) // over maxEntries: "a" (least recently used) goes
	if c.get("a") != nil || c.get("b") == nil || c.get("c") == nil {
		t.Error("LRU eviction by entries")
	}
	read(c.store("d", resp(`"d"`, 50))) // 30+30+50 > 100 bytes: the least recently used ("b") goes
	if entries, bytes, _, _, _ := c.stats(); entries != 2 || bytes != 80 || c.get("b") != nil {
		t.Errorf("after byte eviction: entries %d bytes %d", entries, bytes)
	}
	noETag := resp("", 10)
	noETag.Header.Del("ETag")
	read(c.store("e", noETag))
	if c.get("e") != nil {
		t.Error("an answer without ETag was cached")
	}
}

func TestRoute(t *testing.T) {
	tests := map[string]string{
		"/repos/acme/widgets/pulls/5/files":                          "/repos/{owner}/{repo}/pulls/{id}/files",
		"/api/v3/repos/acme/widgets/pulls/5":                         "/repos/{owner}/{repo}/pulls/{id}",
		"/repos/acme/widgets/contents/a/b/package.json":              "/repos/{owner}/{repo}/contents/{contents}",
		"/repos/acme/widgets/compare/" + tBaseSHA + "..." + tHeadSHA: "/repos/{owner}/{repo}/compare/{compare}",
		"/repos/acme/widgets/commits/" + tHeadSHA + "/check-runs":    "/repos/{owner}/{repo}/commits/{id}/check-runs",
		"/app/installations/7/access_tokens":                         "/app/installations/{id}/access_tokens",
		"/repos/acme/widgets/check-runs":                             "/repos/{owner}/{repo}/check-runs",
		"/app":                                                       "/app",
	}
	for in, want := range tests {
		if got := Route(in); got != want {
			t.Errorf("Route(%s) = %s, want %s", in, got, want)
		}
	}
}
