package scorecard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

const testCommit = "0123456789abcdef0123456789abcdef01234567"

// startAPI starts a fake results API holding one result for github.com/acme/weather-mcp.
func startAPI(t *testing.T) (*testenv.ScorecardServer, string) {
	t.Helper()
	s := testenv.NewScorecard()
	base := s.Start()
	t.Cleanup(s.Close)
	s.Add(testenv.ScorecardResult{
		Repo: "github.com/acme/weather-mcp", Commit: testCommit, Score: 6.3,
		Date: time.Date(2025, 9, 8, 3, 14, 0, 0, time.UTC),
		Checks: []testenv.ScorecardCheck{
			{Name: "Dangerous-Workflow", Score: 10, Reason: "no dangerous workflow patterns detected"},
			{Name: "Packaging", Score: -1, Reason: "packaging workflow not detected"},
			{Name: "Token-Permissions", Score: 0, Reason: "detected GitHub workflow tokens with excessive permissions",
				Details: []string{"Warn: topLevel 'contents' permission set to 'write': .github/workflows/ci.yml:5"}},
		},
	})
	return s, base
}

func fastOptions() Options {
	return Options{Options: httpfetch.Options{Retries: 2, Backoff: time.Millisecond, Timeout: 5 * time.Second}}
}

func TestGet(t *testing.T) {
	srv, base := startAPI(t)
	c := New(base, fastOptions())
	res, err := c.Get(context.Background(), "github.com", "acme", "weather-mcp")
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != SourceAPI || res.Repo != "github.com/acme/weather-mcp" || res.Commit != testCommit || res.Score != 6.3 ||
		res.Version != "v5.5.0" || !res.Date.Equal(time.Date(2025, 9, 8, 3, 14, 0, 0, time.UTC)) {
		t.Errorf("result = %+v", res)
	}
	tp, ok := res.Check("token-permissions")
	if !ok || tp.Score != 0 || !tp.Scored() || len(tp.Details) != 1 || !strings.HasSuffix(tp.DocURL, "#token-permissions") {
		t.Errorf("Token-Permissions = %+v", tp)
	}
	if p, _ := res.Check("Packaging"); p.Scored() || p.Score != NoScore || p.Reason != "packaging workflow not detected" {
		t.Errorf("Packaging = %+v: -1 must stay missing, with its reason", p)
	}
	if got := srv.Paths(); len(got) != 1 || got[0] != "/projects/github.com/acme/weather-mcp" {
		t.Errorf("paths = %q", got)
	}
}

func TestGetErrors(t *testing.T) {
	tests := []struct {
		name         string
		setup        func(s *testenv.ScorecardServer)
		host, owner  string
		repo         string
		want         error
		wantRequests int
	}{
		{"404 is no stored result", nil, "github.com", "acme", "nothing-here", ErrNotFound, 1},
		{"5xx retried, then fails", func(s *testenv.ScorecardServer) { s.FailNext(10, http.StatusBadGateway) }, "github.com", "acme", "weather-mcp", nil, 3},
		{"unsupported host is not asked", nil, "codeberg.org", "acme", "weather-mcp", ErrUnsupportedHost, 0},
		{"path escape refused", nil, "github.com", "..", "weather-mcp", ErrConfig, 0},
		{"query refused", nil, "github.com", "acme", "x?y", ErrConfig, 0},
		{"malformed JSON", func(s *testenv.ScorecardServer) { s.AddRaw("github.com/acme/bad", []byte(`{"score": `)) }, "github.com", "acme", "bad", ErrMalformed, 1},
		{"not an object", func(s *testenv.ScorecardServer) { s.AddRaw("github.com/acme/bad", []byte(`[1,2]`)) }, "github.com", "acme", "bad", ErrMalformed, 1},
		{"score out of range", func(s *testenv.ScorecardServer) {
			s.AddRaw("github.com/acme/bad", []byte(`{"score": 11, "checks": []}`))
		}, "github.com", "acme", "bad", ErrMalformed, 1},
		{"check score not an integer", func(s *testenv.ScorecardServer) {
			s.AddRaw("github.com/acme/bad", []byte(`{"checks": [{"name": "License", "score": 2.5}]}`))
		}, "github.com", "acme", "bad", ErrMalformed, 1},
		{"check listed twice", func(s *testenv.ScorecardServer) {
			s.AddRaw("github.com/acme/bad", []byte(`{"checks": [{"name": "License", "score": 1}, {"name": "license", "score": 2}]}`))
		}, "github.com", "acme", "bad", ErrMalformed, 1},
		{"bad commit", func(s *testenv.ScorecardServer) {
			s.AddRaw("github.com/acme/bad", []byte(`{"repo": {"name": "x", "commit": "HEAD; rm -rf"}}`))
		}, "github.com", "acme", "bad", ErrMalformed, 1},
		{"bad date", func(s *testenv.ScorecardServer) { s.AddRaw("github.com/acme/bad", []byte(`{"date": "last week"}`)) }, "github.com", "acme", "bad", ErrMalformed, 1},
		{"oversized", func(s *testenv.ScorecardServer) { s.PadTo(DefaultMaxResponseSize + 1) }, "github.com", "acme", "weather-mcp", ErrTooLarge, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, base := startAPI(t)
			if tt.setup != nil {
				tt.setup(srv)
			}
			_, err := New(base, fastOptions()).Get(context.Background(), tt.host, tt.owner, tt.repo)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.wantRequests != srv.Requests() {
				t.Errorf("%d requests, want %d", srv.Requests(), tt.wantRequests)
			}
		})
	}
}

// TestGetRetriesThenSucceeds: a 5xx answer is retried, and the result read once the API recovers.
func TestGetRetriesThenSucceeds(t *testing.T) {
	srv, base := startAPI(t)
	srv.FailNext(2, http.StatusServiceUnavailable)
	res, err := New(base, fastOptions()).Get(context.Background(), "github.com", "acme", "weather-mcp")
	if err != nil || res.Score != 6.3 || srv.Requests() != 3 {
		t.Fatalf("res %+v, err %v after %d requests", res, err, srv.Requests())
	}
}

// TestLimits: each bound of a response at its boundary.
func TestLimits(t *testing.T) {
	checks := func(n, details int) []byte {
		var b strings.Builder
		b.WriteString(`{"checks": [`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"name": "Check-%d", "score": 5, "details": [`, i)
			for j := 0; j < details; j++ {
				if j > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `"Warn: d%d"`, j)
			}
			b.WriteString("]}")
		}
		b.WriteString("]}")
		return []byte(b.String())
	}
	l := Limits{}.withDefaults()
	if r, err := parseResult(checks(l.MaxChecks, 0), l); err != nil || len(r.Checks) != l.MaxChecks {
		t.Errorf("%d checks: %v", l.MaxChecks, err)
	}
	if _, err := parseResult(checks(l.MaxChecks+1, 0), l); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d checks: err = %v, want ErrTooLarge", l.MaxChecks+1, err)
	}
	if r, err := parseResult(checks(1, l.MaxDetails), l); err != nil || len(r.Checks[0].Details) != l.MaxDetails || len(r.Notes) != 0 {
		t.Errorf("%d details: %+v, %v", l.MaxDetails, r, err)
	}
	if r, err := parseResult(checks(1, l.MaxDetails+1), l); err != nil || len(r.Checks[0].Details) != l.MaxDetails || len(r.Notes) != 1 {
		t.Errorf("%d details: %+v, %v; want them cut, with a note", l.MaxDetails+1, r, err)
	}
	long := func(n int) []byte {
		return []byte(`{"checks": [{"name": "License", "score": 1, "reason": "` + strings.Repeat("r", n) + `"}]}`)
	}
	if r, _ := parseResult(long(l.MaxTextLength), l); r.Checks[0].Reason != strings.Repeat("r", l.MaxTextLength) {
		t.Errorf("a reason of %d bytes was changed", l.MaxTextLength)
	}
	if r, _ := parseResult(long(l.MaxTextLength+1), l); r.Checks[0].Reason != strings.Repeat("r", l.MaxTextLength)+"…" {
		t.Errorf("a reason of %d bytes was not cut", l.MaxTextLength+1)
	}
	name := func(n int) []byte {
		return []byte(`{"checks": [{"name": "` + strings.Repeat("n", n) + `", "score": 1}]}`)
	}
	if _, err := parseResult(name(MaxCheckNameLength), l); err != nil {
		t.Errorf("a check name of %d bytes: %v", MaxCheckNameLength, err)
	}
	if _, err := parseResult(name(MaxCheckNameLength+1), l); !errors.Is(err, ErrMalformed) {
		t.Errorf("a check name of %d bytes: err = %v", MaxCheckNameLength+1, err)
	}
	// The response size, at its boundary, through the client.
	srv, base := startAPI(t)
	c := New(base, Options{Options: httpfetch.Options{Retries: -1}, Limits: Limits{MaxResponseSize: 4096}})
	srv.PadTo(4096)
	if _, err := c.Get(context.Background(), "github.com", "acme", "weather-mcp"); err != nil {
		t.Errorf("a 4096-byte answer: %v", err)
	}
	srv.PadTo(4097)
	if _, err := c.Get(context.Background(), "github.com", "acme", "weather-mcp"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 4097-byte answer: err = %v", err)
	}
	// The repository path.
	if _, err := projectSegments("o", strings.Repeat("r", MaxRepoPathLength-2)); err != nil {
		t.Errorf("a %d-byte path: %v", MaxRepoPathLength, err)
	}
	if _, err := projectSegments("o", strings.Repeat("r", MaxRepoPathLength-1)); !errors.Is(err, ErrConfig) {
		t.Errorf("a %d-byte path: err = %v", MaxRepoPathLength+1, err)
	}
}

// TestHostileText: control characters and invalid UTF-8 never reach a message; documentation URLs lose
// credentials and queries.
func TestHostileText(t *testing.T) {
	body := "{\"checks\": [{\"name\": \"License\", \"score\": 1, \"reason\": \"a\\u001b[31mb\\nc\", " +
		"\"documentation\": {\"url\": \"https://user:pw@example.com/docs?token=x#license\"}}, " +
		"{\"name\": \"SAST\", \"score\": 1, \"documentation\": {\"url\": \"javascript:alert(1)\"}}]}"
	r, err := parseResult([]byte(body), Limits{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Checks[0]; c.Reason != "a [31mb c" || c.DocURL != "https://example.com/docs#license" {
		t.Errorf("License = %q, %q", c.Reason, c.DocURL)
	}
	if r.Checks[1].DocURL != "" {
		t.Errorf("a javascript: URL was kept: %q", r.Checks[1].DocURL)
	}
}

// TestMalformedKeepsCause: the decoder's error stays reachable behind ErrMalformed.
func TestMalformedKeepsCause(t *testing.T) {
	_, err := parseResult([]byte(`{"score": x}`), Limits{}.withDefaults())
	var syntax *json.SyntaxError
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &syntax) {
		t.Errorf("err = %v, want ErrMalformed wrapping a *json.SyntaxError", err)
	}
}

func TestBaseURL(t *testing.T) {
	for _, raw := range []string{"ftp://x", "not a url at all\x00", "https://"} {
		if _, err := New(raw, Options{}).Get(context.Background(), "github.com", "a", "b"); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%q).Get: err = %v, want ErrConfig", raw, err)
		}
	}
	if u := New("https://user:secret@scorecard.example/api/?k=v", Options{}).URL(); u != "https://scorecard.example/api" {
		t.Errorf("URL() = %q", u)
	}
}

// TestDateOnly: the API's date may be a day rather than a time.
func TestDateOnly(t *testing.T) {
	r, err := parseResult([]byte(`{"date": "2025-09-08", "score": -1}`), Limits{}.withDefaults())
	if err != nil || !r.Date.Equal(time.Date(2025, 9, 8, 0, 0, 0, 0, time.UTC)) || r.HasScore() {
		t.Errorf("%+v, %v", r, err)
	}
}
