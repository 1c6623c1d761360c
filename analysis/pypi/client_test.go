package pypi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

func newClient(base string) *Client {
	return New(base, Options{Options: httpfetch.Options{Backoff: time.Millisecond, Retries: 2}})
}

// rawDoc renders a minimal release document for project name, padded with spaces to size bytes when
// size is larger.
func rawDoc(t *testing.T, info map[string]any, urls []map[string]any, size int) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"info": info, "urls": urls, "vulnerabilities": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < size {
		b = append(b, bytes.Repeat([]byte(" "), size-len(b))...)
	}
	return b
}

func TestReleaseFound(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	up := time.Date(2025, 9, 1, 12, 30, 0, 0, time.UTC)
	srv.Add("Postmark_MCP", "1.0.16", testenv.PyPIRelease{
		Summary:      "Postmark MCP server",
		RequiresDist: []string{`mcp[cli]>=1.2; python_version>="3.10"`, "httpx"},
		ProjectURLs:  map[string]string{"Source": "https://github.com/example/postmark-mcp"},
		HomePage:     "https://example.com",
		Yanked:       true,
		UploadTime:   up,
	})
	for _, name := range []string{"Postmark_MCP", "postmark-mcp", "postmark.mcp", "POSTMARK__mcp"} {
		t.Run(name, func(t *testing.T) {
			r, err := newClient(base).Release(context.Background(), name, "1.0.16")
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != "Postmark_MCP" || r.Version != "1.0.16" || r.Summary != "Postmark MCP server" ||
				len(r.RequiresDist) != 2 || r.ProjectURLs["Source"] != "https://github.com/example/postmark-mcp" ||
				r.HomePage != "https://example.com" || !r.Yanked || !r.UploadTime.Equal(up) {
				t.Errorf("Release = %+v", r)
			}
			if MCPReason(r) == "" {
				t.Error("MCPReason = \"\"")
			}
		})
	}
}

func TestReleaseNotFound(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	srv.Add("x", "1.0", testenv.PyPIRelease{})
	for _, v := range [][2]string{{"y", "1.0"}, {"x", "2.0"}} {
		_, err := newClient(base).Release(context.Background(), v[0], v[1])
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Release(%s, %s) error = %v, want ErrNotFound", v[0], v[1], err)
		}
	}
	if n := srv.Requests(); n != 2 {
		t.Errorf("404 retried: %d requests", n)
	}
}

func TestReleaseRetries(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	srv.Add("x", "1.0", testenv.PyPIRelease{RequiresDist: []string{"fastmcp"}})

	srv.FailNext(2, http.StatusServiceUnavailable)
	r, err := newClient(base).Release(context.Background(), "x", "1.0")
	if err != nil || MCPReason(r) == "" {
		t.Fatalf("after two 503s: %v, %+v", err, r)
	}
	if n := srv.Requests(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}

	srv.FailNext(3, http.StatusTooManyRequests)
	_, err = newClient(base).Release(context.Background(), "x", "1.0")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("three 429s with Retries 2: %v", err)
	}

	srv.FailNext(1, http.StatusForbidden)
	before := srv.Requests()
	_, err = newClient(base).Release(context.Background(), "x", "1.0")
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden || srv.Requests() != before+1 {
		t.Errorf("403: %v, %d requests", err, srv.Requests()-before)
	}

	srv.FailNext(1, http.StatusBadGateway)
	before = srv.Requests()
	_, err = New(base, Options{Options: httpfetch.Options{Retries: -1}}).Release(context.Background(), "x", "1.0")
	if !errors.As(err, &se) || srv.Requests() != before+1 {
		t.Errorf("Retries -1: %v, %d requests", err, srv.Requests()-before)
	}
}

func TestReleaseSizeLimit(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	info := map[string]any{"name": "big", "version": "1"}
	srv.Add("big", "1", testenv.PyPIRelease{Body: rawDoc(t, info, nil, MaxResponseSize)})
	srv.Add("big", "2", testenv.PyPIRelease{Body: rawDoc(t, info, nil, MaxResponseSize+1)})
	c := newClient(base)
	if _, err := c.Release(context.Background(), "big", "1"); err != nil {
		t.Errorf("body of MaxResponseSize: %v", err)
	}
	if _, err := c.Release(context.Background(), "big", "2"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("body of MaxResponseSize+1 with Content-Length: %v", err)
	}

	// Without Content-Length the body is cut while read.
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(rawDoc(t, info, nil, MaxResponseSize+1))
	}))
	defer chunked.Close()
	if _, err := newClient(chunked.URL).Release(context.Background(), "big", "1"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("streamed body of MaxResponseSize+1: %v", err)
	}
}

func TestReleaseMalformed(t *testing.T) {
	n := func(k int, f func(int) string) []string {
		s := make([]string, k)
		for i := range s {
			s[i] = f(i)
		}
		return s
	}
	urlsN := func(k int) map[string]string {
		m := make(map[string]string, k)
		for i := range k {
			m[fmt.Sprint(i)] = "https://example.com"
		}
		return m
	}
	files := func(k int, ts string) []map[string]any {
		s := make([]map[string]any, k)
		for i := range s {
			s[i] = map[string]any{"upload_time_iso_8601": ts}
		}
		return s
	}
	info := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "pkg", "version": "1.0"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		body  []byte
		valid bool
	}{
		{"not json", []byte("<html>"), false},
		{"truncated", []byte(`{"info": {"name": "pkg"`), false},
		{"no info", []byte(`{"urls": []}`), false},
		{"info null", []byte(`{"info": null}`), false},
		{"info wrong type", []byte(`{"info": []}`), false},
		{"requires_dist wrong type", []byte(`{"info": {"name":"pkg","version":"1.0","requires_dist":"mcp"}}`), false},
		{"no version", rawDoc(t, map[string]any{"name": "pkg"}, nil, 0), false},
		{"other project", rawDoc(t, map[string]any{"name": "evil", "version": "1.0"}, nil, 0), false},
		{"nulls", []byte(`{"info": {"name":"Pkg","version":"1.0","summary":null,"home_page":null,"requires_dist":null,"project_urls":null},"urls":[]}`), true},
		{"requires_dist at limit", rawDoc(t, info(map[string]any{"requires_dist": n(MaxRequiresDist, func(int) string { return "x" })}), nil, 0), true},
		{"requires_dist over limit", rawDoc(t, info(map[string]any{"requires_dist": n(MaxRequiresDist+1, func(int) string { return "x" })}), nil, 0), false},
		{"requirement at limit", rawDoc(t, info(map[string]any{"requires_dist": []string{strings.Repeat("x", MaxRequirementLength)}}), nil, 0), true},
		{"requirement over limit", rawDoc(t, info(map[string]any{"requires_dist": []string{strings.Repeat("x", MaxRequirementLength+1)}}), nil, 0), false},
		{"project_urls at limit", rawDoc(t, info(map[string]any{"project_urls": urlsN(MaxProjectURLs)}), nil, 0), true},
		{"project_urls over limit", rawDoc(t, info(map[string]any{"project_urls": urlsN(MaxProjectURLs + 1)}), nil, 0), false},
		{"files at limit", rawDoc(t, info(nil), files(MaxFiles, "2025-01-01T00:00:00Z"), 0), true},
		{"files over limit", rawDoc(t, info(nil), files(MaxFiles+1, "2025-01-01T00:00:00Z"), 0), false},
		{"bad upload time", rawDoc(t, info(nil), files(1, "yesterday"), 0), false},
		{"name over limit", rawDoc(t, map[string]any{"name": strings.Repeat("p", MaxNameLength+1), "version": "1.0"}, nil, 0), false},
		{"version over limit", rawDoc(t, map[string]any{"name": "pkg", "version": strings.Repeat("1", MaxVersionLength+1)}, nil, 0), false},
	}
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	for i, tc := range tests {
		srv.Add("pkg", fmt.Sprint(i), testenv.PyPIRelease{Body: tc.body})
	}
	c := newClient(base)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Release(context.Background(), "pkg", fmt.Sprint(i))
			if tc.valid && err != nil {
				t.Errorf("error %v, want none", err)
			}
			if !tc.valid && !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		})
	}
}

func TestReleaseStringsCut(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	srv.Add("pkg", "1", testenv.PyPIRelease{Summary: strings.Repeat("é", MaxStringLength), HomePage: strings.Repeat("h", MaxStringLength)})
	r, err := newClient(base).Release(context.Background(), "pkg", "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Summary) > MaxStringLength+len("…") || !strings.HasSuffix(r.Summary, "…") || !strings.HasPrefix(r.Summary, "é") {
		t.Errorf("summary of %d bytes not cut properly", len(r.Summary))
	}
	if r.HomePage != strings.Repeat("h", MaxStringLength) {
		t.Errorf("home page of MaxStringLength cut to %d bytes", len(r.HomePage))
	}
}

func TestReleaseConfig(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	tests := []struct{ base, name, version string }{
		{base, "", "1.0"},
		{base, "../x", "1.0"},
		{base, "a/b", "1.0"},
		{base, "x", ""},
		{base, "x", ".."},
		{base, "x", "1.0/../../y"},
		{base, "x", "1.0?x=1"},
		{base, "x", strings.Repeat("1", MaxVersionLength+1)},
		{base, strings.Repeat("a", MaxNameLength+1), "1.0"},
		{"ftp://example.com", "x", "1.0"},
		{"http://", "x", "1.0"},
		{"http://user:s3cret@[::1", "x", "1.0"},
	}
	for _, tc := range tests {
		_, err := newClient(tc.base).Release(context.Background(), tc.name, tc.version)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("Release(%q, %q, %q) error = %v, want ErrConfig", tc.base, tc.name, tc.version, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks credentials: %v", err)
		}
	}
	if srv.Requests() != 0 {
		t.Errorf("invalid requests reached the server: %d", srv.Requests())
	}
	// A version exactly MaxVersionLength long is accepted (and not found).
	if _, err := newClient(base).Release(context.Background(), "x", strings.Repeat("1", MaxVersionLength)); !errors.Is(err, ErrNotFound) {
		t.Errorf("version of MaxVersionLength: %v", err)
	}
}

func TestReleaseCredentialsNotLeaked(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	srv.FailNext(1, http.StatusInternalServerError)
	authed := strings.Replace(base, "http://", "http://user:s3cret@", 1) + "/?token=s3cret"
	_, err := New(authed, Options{Options: httpfetch.Options{Retries: -1}}).Release(context.Background(), "x", "1")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error = %v", err)
	}
}

func TestRedirectPolicy(t *testing.T) {
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	}))
	defer redir.Close()
	_, err := newClient(redir.URL).Release(context.Background(), "x", "1")
	if err == nil || !strings.Contains(err.Error(), "refused redirect") || strings.Contains(err.Error(), "after") {
		t.Errorf("redirect to file: %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	srv := testenv.NewPyPI()
	base := srv.Start()
	defer srv.Close()
	srv.FailNext(100, http.StatusServiceUnavailable)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := New(base, Options{Options: httpfetch.Options{Retries: 50, Backoff: time.Second}}).Release(ctx, "x", "1")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"-1", 0},
		{"999999", time.Hour},
		{"soon", 0},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
