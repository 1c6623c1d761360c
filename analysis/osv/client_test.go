package osv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/httpfetch"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// mailpostAdvisory is our own fixture for the postmark-mcp look-alike: every version from 1.0.16 on
// copies outgoing mail to an outside address. The id and text are made up for mcpvet's tests.
func mailpostAdvisory() testenv.OSVRecord {
	return testenv.OSVRecord{
		ID:        "MAL-2025-0001",
		Summary:   "mailpost-mcp 1.0.16 and later secretly copy every e-mail it sends to an outside address",
		Details:   "Fixture written for mcpvet tests.",
		Published: time.Date(2025, time.September, 25, 12, 0, 0, 0, time.UTC),
		Modified:  time.Date(2025, time.September, 26, 8, 30, 0, 0, time.UTC),
		Affected: []testenv.OSVAffected{{
			Package: testenv.OSVPackage{Ecosystem: "npm", Name: "mailpost-mcp"},
			Ranges: []testenv.OSVRange{{Type: "SEMVER", Events: []testenv.OSVEvent{
				{Introduced: "1.0.16"},
			}}},
		}},
		DatabaseSpecific: map[string]any{"malicious-packages-origins": []any{map[string]any{"source": "mcpvet-fixture"}}},
	}
}

// vulnAdvisory is an ordinary (non-malicious) advisory covering name < fixed.
func vulnAdvisory(id, fixed, severity string) testenv.OSVRecord {
	return testenv.OSVRecord{
		ID:               id,
		Summary:          "Path traversal in file tools",
		Aliases:          []string{"CVE-2025-99999"},
		DatabaseSpecific: map[string]any{"severity": severity},
		Affected: []testenv.OSVAffected{{Ranges: []testenv.OSVRange{{Type: "SEMVER", Events: []testenv.OSVEvent{
			{Introduced: "0"}, {Fixed: fixed},
		}}}}},
	}
}

// startOSV starts a test OSV server holding the mailpost and a vulnerable-package fixture.
func startOSV(t *testing.T) (*testenv.OSVServer, string) {
	t.Helper()
	s := testenv.NewOSV()
	base := s.Start()
	t.Cleanup(s.Close)
	s.Add("npm", "mailpost-mcp", mailpostAdvisory())
	s.Add("npm", "@acme/files-mcp", vulnAdvisory("GHSA-aaaa-bbbb-cccc", "2.0.0", "HIGH"))
	s.Add("PyPI", "mail_tools", testenv.OSVRecord{
		ID: "PYSEC-2025-7", Summary: "Header injection",
		Affected: []testenv.OSVAffected{{Versions: []string{"0.9", "1.0rc1"}}},
	})
	return s, base
}

// fastOptions retries quickly so that the tests stay fast.
func fastOptions() Options {
	return Options{Options: httpfetch.Options{Retries: 2, Backoff: time.Millisecond, Timeout: 5 * time.Second}}
}

func ids(vs []Vuln) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestQueryFixtures(t *testing.T) {
	_, base := startOSV(t)
	c := New(base, fastOptions())
	tests := []struct {
		name, eco, pkg, version string
		wantIDs                 []string
		wantRules               []string
		wantSeverity            []finding.Severity
	}{
		{"malicious", "npm", "mailpost-mcp", "1.0.16", []string{"MAL-2025-0001"},
			[]string{RuleKnownMalicious}, []finding.Severity{finding.Block}},
		{"malicious later version", "npm", "mailpost-mcp", "1.2.0", []string{"MAL-2025-0001"},
			[]string{RuleKnownMalicious}, []finding.Severity{finding.Block}},
		{"clean version before the injection", "npm", "mailpost-mcp", "1.0.15", nil, nil, nil},
		{"prerelease before introduced", "npm", "mailpost-mcp", "1.0.16-rc.1", nil, nil, nil},
		{"vulnerable", "npm", "@acme/files-mcp", "1.9.3", []string{"GHSA-aaaa-bbbb-cccc"},
			[]string{RuleKnownVulnerable}, []finding.Severity{finding.Warn}},
		{"fixed version", "npm", "@acme/files-mcp", "2.0.0", nil, nil, nil},
		{"none", "npm", "left-pad", "1.3.0", nil, nil, nil},
		{"pypi lower-case ecosystem and normalised name", "pypi", "Mail-Tools", "1.0rc1", []string{"PYSEC-2025-7"},
			[]string{RuleKnownVulnerable}, []finding.Severity{finding.Warn}},
		{"pypi unlisted version", "PyPI", "mail-tools", "1.0", nil, nil, nil},
		{"every version when version is empty", "npm", "mailpost-mcp", "", []string{"MAL-2025-0001"},
			[]string{RuleKnownMalicious}, []finding.Severity{finding.Block}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := c.Query(t.Context(), tt.eco, tt.pkg, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(vs); fmt.Sprint(got) != fmt.Sprint(tt.wantIDs) && !(len(got) == 0 && len(tt.wantIDs) == 0) {
				t.Fatalf("ids = %v, want %v", got, tt.wantIDs)
			}
			fs := Findings(vs)
			if len(fs) != len(tt.wantRules) {
				t.Fatalf("findings = %+v, want rules %v", fs, tt.wantRules)
			}
			for i, f := range fs {
				if f.Rule != tt.wantRules[i] || f.Severity != tt.wantSeverity[i] {
					t.Errorf("finding %d = %s/%s, want %s/%s", i, f.Rule, f.Severity, tt.wantRules[i], tt.wantSeverity[i])
				}
			}
		})
	}
}

func TestQueryMaliciousDetails(t *testing.T) {
	_, base := startOSV(t)
	vs, err := New(base, fastOptions()).Query(t.Context(), "npm", "mailpost-mcp", "1.0.16")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("vulns = %+v", vs)
	}
	v := vs[0]
	if !v.Malicious || v.ID != "MAL-2025-0001" || !strings.Contains(v.Summary, "outside address") {
		t.Errorf("vuln = %+v", v)
	}
	if want := time.Date(2025, time.September, 25, 12, 0, 0, 0, time.UTC); !v.Published.Equal(want) {
		t.Errorf("published = %v, want %v", v.Published, want)
	}
	if v.Modified.IsZero() {
		t.Error("modified is zero")
	}
	f := Findings(vs)[0]
	for _, want := range []string{"MAL-2025-0001", "https://osv.dev/vulnerability/MAL-2025-0001"} {
		if !strings.Contains(f.Evidence, want) {
			t.Errorf("evidence %q lacks %q", f.Evidence, want)
		}
	}
	if !strings.Contains(f.Message, "MAL-2025-0001") || !strings.Contains(f.Message, "outside address") {
		t.Errorf("message %q names neither the id nor the summary", f.Message)
	}
	if f.Unverified {
		t.Error("a known-malicious finding is not unverified")
	}
}

func TestQueryRequestShape(t *testing.T) {
	s, base := startOSV(t)
	c := New(base, fastOptions())
	if _, err := c.Query(t.Context(), "pypi", "mail_tools", "0.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(t.Context(), "NPM", "@acme/files-mcp", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	q := s.Queries()
	want := []testenv.OSVQuery{
		{Ecosystem: "PyPI", Name: "mail_tools", Version: "0.9"},
		{Ecosystem: "npm", Name: "@acme/files-mcp", Version: "1.0.0"},
	}
	if fmt.Sprint(q) != fmt.Sprint(want) {
		t.Errorf("queries = %+v, want %+v", q, want)
	}
}

func TestQueryPagination(t *testing.T) {
	tests := []struct {
		name      string
		records   int
		pageSize  int
		maxPages  int
		maxVulns  int
		wantPages int
		wantVulns int
		wantErr   error
	}{
		{"three pages", 5, 2, 0, 0, 3, 5, nil},
		{"exactly max pages", 6, 2, 3, 0, 3, 6, nil},
		{"one page more than max", 7, 2, 3, 0, 3, 6, ErrLimit},
		{"exactly max vulns", 4, 2, 0, 4, 2, 4, nil},
		{"one vuln more than max", 5, 2, 0, 4, 3, 4, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testenv.NewOSV()
			base := s.Start()
			defer s.Close()
			s.SetPageSize(tt.pageSize)
			for i := range tt.records {
				s.Add("npm", "busy-pkg", vulnAdvisory(fmt.Sprintf("GHSA-0000-0000-%04d", i), "9.0.0", "LOW"))
			}
			opts := fastOptions()
			opts.Limits = Limits{MaxPages: tt.maxPages, MaxVulns: tt.maxVulns}
			vs, err := New(base, opts).Query(t.Context(), "npm", "busy-pkg", "1.0.0")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(vs) != tt.wantVulns {
				t.Errorf("got %d vulns (partial results kept on error), want %d", len(vs), tt.wantVulns)
			}
			if got := s.Requests(); got != tt.wantPages {
				t.Errorf("requests = %d, want %d", got, tt.wantPages)
			}
			tokens := 0
			for _, q := range s.Queries() {
				if q.PageToken != "" {
					tokens++
				}
			}
			if tokens != tt.wantPages-1 {
				t.Errorf("page tokens sent = %d, want %d", tokens, tt.wantPages-1)
			}
		})
	}
}

func TestQueryRetries(t *testing.T) {
	tests := []struct {
		name         string
		fail         int
		status       int
		retries      int
		wantRequests int
		wantErr      bool
		wantStatus   int
	}{
		{"503 then success", 2, http.StatusServiceUnavailable, 2, 3, false, 0},
		{"429 then success", 1, http.StatusTooManyRequests, 2, 2, false, 0},
		{"retries exhausted", 3, http.StatusServiceUnavailable, 2, 3, true, http.StatusServiceUnavailable},
		{"no retries", 1, http.StatusBadGateway, -1, 1, true, http.StatusBadGateway},
		{"400 is not retried", 1, http.StatusBadRequest, 2, 1, true, http.StatusBadRequest},
		{"403 is not retried", 1, http.StatusForbidden, 2, 1, true, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base := startOSV(t)
			s.FailNext(tt.fail, tt.status)
			opts := fastOptions()
			opts.Retries = tt.retries
			vs, err := New(base, opts).Query(t.Context(), "npm", "mailpost-mcp", "1.0.16")
			if got := s.Requests(); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if !tt.wantErr {
				if err != nil || len(vs) != 1 {
					t.Fatalf("vulns = %v, err = %v", vs, err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.wantStatus {
				t.Fatalf("err = %v, want HTTP %d", err, tt.wantStatus)
			}
			f := Unavailable(err)
			if f.Rule != RuleAdvisoriesUnavailable || f.Severity != finding.Warn || !f.Unverified {
				t.Errorf("unavailable finding = %+v", f)
			}
			if !strings.Contains(f.Message, fmt.Sprint(tt.wantStatus)) {
				t.Errorf("message %q does not say why", f.Message)
			}
		})
	}
}

func TestQueryRetryAfterIsCapped(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	opts := fastOptions()
	opts.Limits.MaxRetryAfter = 20 * time.Millisecond
	start := time.Now()
	if _, err := New(srv.URL, opts).Query(t.Context(), "npm", "x", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 5*time.Second {
		t.Errorf("waited %v, want about MaxRetryAfter", d)
	}
}

// serve starts a server answering every request with handler.
func serve(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestQueryResponseSize(t *testing.T) {
	const limit = 4096
	body := func(n int) string { // valid JSON of exactly n bytes
		s := `{"vulns":[]}`
		return s + strings.Repeat(" ", n-len(s))
	}
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr error
	}{
		{"exactly the limit", limit, false, nil},
		{"one byte over, with Content-Length", limit + 1, false, ErrTooLarge},
		{"exactly the limit, chunked", limit, true, nil},
		{"one byte over, chunked", limit + 1, true, ErrTooLarge},
		{"far over, chunked", 10 * limit, true, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			base := serve(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				b := body(tt.size)
				if tt.chunked {
					_, _ = w.Write([]byte(b[:1]))
					w.(http.Flusher).Flush()
					_, _ = w.Write([]byte(b[1:]))
					return
				}
				w.Header().Set("Content-Length", fmt.Sprint(len(b)))
				_, _ = w.Write([]byte(b))
			})
			opts := fastOptions()
			opts.Limits.MaxResponseSize = limit
			_, err := New(base, opts).Query(t.Context(), "npm", "x", "1.0.0")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if hits.Load() != 1 {
				t.Errorf("requests = %d: an oversized answer is not retried", hits.Load())
			}
		})
	}
	t.Run("default limit", func(t *testing.T) {
		if got := New("", Options{}).limits.MaxResponseSize; got != 32<<20 {
			t.Errorf("default MaxResponseSize = %d", got)
		}
	})
}

func TestQueryMalformed(t *testing.T) {
	long := strings.Repeat("A", MaxIDLength)
	tests := []struct {
		name    string
		body    string
		wantErr error
		wantIDs string
	}{
		{"truncated JSON", `{"vulns":[`, ErrMalformed, ""},
		{"not an object", `[1,2]`, ErrMalformed, ""},
		{"wrong type", `{"vulns":{"id":"MAL-1"}}`, ErrMalformed, ""},
		{"trailing garbage", `{} {}`, ErrMalformed, ""},
		{"html", `<html>oops</html>`, ErrMalformed, ""},
		{"empty id", `{"vulns":[{"summary":"x"}]}`, ErrMalformed, ""},
		{"id with a path", `{"vulns":[{"id":"../../admin"}]}`, ErrMalformed, ""},
		{"id with markup", `{"vulns":[{"id":"MAL-<img src=x>"}]}`, ErrMalformed, ""},
		{"id one byte too long", `{"vulns":[{"id":"` + long + `B"}]}`, ErrMalformed, ""},
		{"id of the maximum length", `{"vulns":[{"id":"` + long + `"}]}`, nil, "[" + long + "]"},
		{"null body is empty", `null`, nil, "[]"},
		{"empty object", `{}`, nil, "[]"},
		{"timestamp of the wrong type", `{"vulns":[{"id":"GHSA-1","published":"yesterday","modified":42}]}`, ErrMalformed, ""},
		{"bad timestamp string is ignored", `{"vulns":[{"id":"GHSA-1","published":"yesterday"}]}`, nil, "[GHSA-1]"},
		{"token of the maximum length", `{"vulns":[{"id":"GHSA-1"}],"next_page_token":"` + strings.Repeat("t", MaxPageTokenLength) + `"}`, ErrLimit, "[GHSA-1]"},
		{"token too long", `{"next_page_token":"` + strings.Repeat("t", MaxPageTokenLength+1) + `"}`, ErrMalformed, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tt.body)) })
			vs, err := New(base, fastOptions()).Query(t.Context(), "npm", "x", "1.0.0")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantIDs != "" && fmt.Sprint(ids(vs)) != tt.wantIDs {
				t.Errorf("ids = %v, want %s", ids(vs), tt.wantIDs)
			}
		})
	}
}

func TestQueryPageTokenLoopAndDuplicates(t *testing.T) {
	var hits atomic.Int32
	base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		token := "same"
		if n == 1 {
			token = "first"
		}
		fmt.Fprintf(w, `{"vulns":[{"id":"GHSA-dup"},{"id":"GHSA-%d"}],"next_page_token":%q}`, n, token)
	})
	vs, err := New(base, fastOptions()).Query(t.Context(), "npm", "x", "1.0.0")
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "repeats") {
		t.Fatalf("err = %v, want a repeating-token ErrLimit", err)
	}
	if got := fmt.Sprint(ids(vs)); got != "[GHSA-dup GHSA-1 GHSA-2 GHSA-3]" {
		t.Errorf("ids = %s", got)
	}
	if hits.Load() != 3 {
		t.Errorf("requests = %d, want 3", hits.Load())
	}
}

func TestQueryContextCancel(t *testing.T) {
	t.Run("while waiting for the server", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		base := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := New(base, fastOptions()).Query(ctx, "npm", "x", "1.0.0")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v after cancel", d)
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		s, base := startOSV(t)
		s.FailNext(100, http.StatusServiceUnavailable)
		opts := fastOptions()
		opts.Backoff = time.Hour
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := New(base, opts).Query(ctx, "npm", "x", "1.0.0")
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("err = %v, want context.Canceled naming the last error", err)
		}
		if s.Requests() != 1 {
			t.Errorf("requests = %d, want 1", s.Requests())
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		_, base := startOSV(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := New(base, fastOptions()).Query(ctx, "npm", "x", "1.0.0"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("attempt timeout is retried", func(t *testing.T) {
		var hits atomic.Int32
		release := make(chan struct{})
		defer close(release)
		base := serve(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client going away
			if hits.Add(1) == 1 {
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			_, _ = w.Write([]byte(`{}`))
		})
		opts := fastOptions()
		opts.Timeout = 50 * time.Millisecond
		if _, err := New(base, opts).Query(t.Context(), "npm", "x", "1.0.0"); err != nil {
			t.Fatal(err)
		}
		if hits.Load() != 2 {
			t.Errorf("requests = %d, want 2", hits.Load())
		}
	})
}

func TestQueryArguments(t *testing.T) {
	_, base := startOSV(t)
	c := New(base, fastOptions())
	tests := []struct {
		name, eco, pkg, version string
		wantErr                 error
	}{
		{"unsupported ecosystem", "crates.io", "x", "1.0.0", ErrConfig},
		{"empty ecosystem", "", "x", "1.0.0", ErrConfig},
		{"empty name", "npm", " ", "1.0.0", ErrConfig},
		{"name of the maximum length", "npm", strings.Repeat("n", MaxNameLength), "1.0.0", nil},
		{"name one byte too long", "npm", strings.Repeat("n", MaxNameLength+1), "1.0.0", ErrConfig},
		{"version of the maximum length", "npm", "x", strings.Repeat("1", MaxVersionLength), nil},
		{"version one byte too long", "npm", "x", strings.Repeat("1", MaxVersionLength+1), ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Query(t.Context(), tt.eco, tt.pkg, tt.version)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && len(err.Error()) > 600 {
				t.Errorf("error text is %d bytes: hostile input is not bounded", len(err.Error()))
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	s := testenv.NewOSV()
	s.Add("npm", "mailpost-mcp", mailpostAdvisory())
	mux := http.NewServeMux()
	mux.Handle("/osv/", http.StripPrefix("/osv", s))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name, base string
		wantErr    error
	}{
		{"path prefix", srv.URL + "/osv", nil},
		{"path prefix with slash", srv.URL + "/osv/", nil},
		{"ftp", "ftp://example.com", ErrConfig},
		{"no host", "http://", ErrConfig},
		{"not a URL", "http://[::1", ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := New(tt.base, fastOptions()).Query(t.Context(), "npm", "mailpost-mcp", "1.0.16")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(vs) != 1 {
				t.Errorf("vulns = %v", vs)
			}
		})
	}
	if got := New("", Options{}).base.String(); got != DefaultURL+"/v1/query" {
		t.Errorf("default endpoint = %s", got)
	}
}

func TestCredentialsNeverLeak(t *testing.T) {
	s, base := startOSV(t)
	s.FailNext(100, http.StatusServiceUnavailable)
	withCreds := strings.Replace(base, "http://", "http://osvuser:s3cretpass@", 1) + "/?api_key=k3yvalue#frag"
	_, err := New(withCreds, fastOptions()).Query(t.Context(), "npm", "mailpost-mcp", "1.0.16")
	if err == nil {
		t.Fatal("no error")
	}
	for _, text := range []string{err.Error(), Unavailable(err).Message} {
		for _, secret := range []string{"s3cretpass", "osvuser", "k3yvalue", "frag"} {
			if strings.Contains(text, secret) {
				t.Errorf("%q leaks %q", text, secret)
			}
		}
	}

	t.Run("unreachable host", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		dead := strings.Replace(srv.URL, "http://", "http://u:p4ssw0rd@", 1)
		srv.Close()
		opts := fastOptions()
		opts.Retries = -1
		_, err := New(dead, opts).Query(t.Context(), "npm", "x", "1.0.0")
		if err == nil || strings.Contains(err.Error(), "p4ssw0rd") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("redirect to credentials is refused and not retried", func(t *testing.T) {
		var hits atomic.Int32
		base := serve(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Redirect(w, r, "http://evil:t0ken@127.0.0.1:1/v1/query", http.StatusTemporaryRedirect)
		})
		_, err := New(base, fastOptions()).Query(t.Context(), "npm", "x", "1.0.0")
		if err == nil || strings.Contains(err.Error(), "t0ken") || !strings.Contains(err.Error(), "credentials") {
			t.Errorf("err = %v", err)
		}
		if hits.Load() != 1 {
			t.Errorf("requests = %d, want 1", hits.Load())
		}
	})
}

func TestRedirectLimit(t *testing.T) {
	tests := []struct {
		hops    int
		wantErr bool
	}{
		{MaxRedirects, false},
		{MaxRedirects + 1, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.hops, " hops"), func(t *testing.T) {
			var hits atomic.Int32
			base := serve(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				n := hits.Add(1)
				if int(n) <= tt.hops {
					http.Redirect(w, r, fmt.Sprintf("/v1/query/%d", n), http.StatusTemporaryRedirect)
					return
				}
				_, _ = w.Write([]byte(`{}`))
			})
			_, err := New(base, fastOptions()).Query(t.Context(), "npm", "x", "1.0.0")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && int(hits.Load()) != MaxRedirects+1 {
				t.Errorf("requests = %d: a refused redirect is not retried", hits.Load())
			}
		})
	}
}

func TestRedirectKeepsTheQuery(t *testing.T) {
	_, osvBase := startOSV(t)
	base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, osvBase+"/v1/query", http.StatusPermanentRedirect)
	})
	vs, err := New(base, fastOptions()).Query(t.Context(), "npm", "mailpost-mcp", "1.0.16")
	if err != nil || len(vs) != 1 {
		t.Fatalf("vulns = %v, err = %v", vs, err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"7", 7 * time.Second},
		{"3600", time.Hour},
		{"99999999", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
