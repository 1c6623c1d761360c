package httpfetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fast returns a Config that retries quickly.
func fast(cfg Config) Config {
	cfg.Backoff = time.Millisecond
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = 20 * time.Millisecond
	}
	return cfg
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// step is one canned response of a scripted server.
type step struct {
	status     int
	retryAfter string
	body       string
}

func TestDoRetries(t *testing.T) {
	errCustomNotFound := errors.New("custom not found")
	tests := []struct {
		name     string
		cfg      Config
		method   string
		steps    []step // the last step repeats
		wantBody string
		wantHits int32
		check    func(t *testing.T, err error)
	}{
		{
			name:     "503 then success",
			steps:    []step{{status: 503}, {status: 200, body: "ok"}},
			wantBody: "ok", wantHits: 2,
		},
		{
			name:     "POST 500 twice then success",
			method:   http.MethodPost,
			steps:    []step{{status: 500}, {status: 502}, {status: 200, body: "posted"}},
			wantBody: "posted", wantHits: 3,
		},
		{
			name:     "429 until retries run out",
			steps:    []step{{status: 429}},
			wantHits: DefaultRetries + 1,
			check: func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != 429 || !strings.Contains(err.Error(), "after 4 attempts") {
					t.Errorf("err = %v, want a 429 StatusError after 4 attempts", err)
				}
			},
		},
		{
			name:     "negative Retries means never",
			cfg:      Config{Options: Options{Retries: -1}},
			steps:    []step{{status: 503}},
			wantHits: 1,
			check: func(t *testing.T, err error) {
				if err == nil || strings.Contains(err.Error(), "after") {
					t.Errorf("err = %v, want one unretried failure", err)
				}
			},
		},
		{
			name:     "400 is not retried",
			steps:    []step{{status: 400}},
			wantHits: 1,
			check: func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != 400 || se.Method != http.MethodGet {
					t.Errorf("err = %v, want a GET 400 StatusError", err)
				}
			},
		},
		{
			name:     "404 is the NotFound sentinel",
			cfg:      Config{NotFound: errCustomNotFound},
			steps:    []step{{status: 404}},
			wantHits: 1,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errCustomNotFound) {
					t.Errorf("err = %v, want the custom not-found sentinel", err)
				}
			},
		},
		{
			name:     "404 as status",
			cfg:      Config{NotFoundAsStatus: true},
			steps:    []step{{status: 404}},
			wantHits: 1,
			check: func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != 404 || errors.Is(err, ErrNotFound) {
					t.Errorf("err = %v, want a 404 StatusError", err)
				}
			},
		},
		{
			name: "custom status error",
			cfg: Config{StatusError: func(method, u string, code int) error {
				return fmt.Errorf("custom %s %s %d", method, u, code)
			}},
			steps:    []step{{status: 418}},
			wantHits: 1,
			check: func(t *testing.T, err error) {
				if err == nil || !strings.HasPrefix(err.Error(), "custom GET http://") || !strings.HasSuffix(err.Error(), " 418") {
					t.Errorf("err = %v, want the custom status error", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(hits.Add(1)) - 1
				s := tc.steps[min(n, len(tc.steps)-1)]
				if tc.method != "" && r.Method != tc.method {
					t.Errorf("method = %s, want %s", r.Method, tc.method)
				}
				if s.retryAfter != "" {
					w.Header().Set("Retry-After", s.retryAfter)
				}
				w.WriteHeader(s.status)
				_, _ = w.Write([]byte(s.body))
			}))
			defer srv.Close()
			c := New(fast(tc.cfg))
			body, err := c.Do(context.Background(), Request{Method: tc.method, URL: mustURL(t, srv.URL+"/x"), Body: []byte("{}")})
			if got := hits.Load(); got != tc.wantHits {
				t.Errorf("requests = %d, want %d", got, tc.wantHits)
			}
			if tc.check != nil {
				tc.check(t, err)
				return
			}
			if err != nil || string(body) != tc.wantBody {
				t.Errorf("Do = %q, %v; want %q", body, err, tc.wantBody)
			}
		})
	}
}

func TestRetryAfterCap(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		cap        time.Duration
		minWait    time.Duration
		maxWait    time.Duration
	}{
		{"huge header is capped", "3600", 60 * time.Millisecond, 50 * time.Millisecond, 2 * time.Second},
		{"header below cap is honoured", "1", 5 * time.Second, 900 * time.Millisecond, 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if hits.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				_, _ = w.Write([]byte("ok"))
			}))
			defer srv.Close()
			c := New(fast(Config{MaxRetryAfter: tc.cap}))
			start := time.Now()
			body, err := c.Do(context.Background(), Request{URL: mustURL(t, srv.URL)})
			waited := time.Since(start)
			if err != nil || string(body) != "ok" {
				t.Fatalf("Do = %q, %v", body, err)
			}
			if waited < tc.minWait || waited > tc.maxWait {
				t.Errorf("waited %v, want between %v and %v", waited, tc.minWait, tc.maxWait)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"junk", 0},
		{"0", 0},
		{"-5", 0},
		{" 7 ", 7 * time.Second},
		{"3600", MaxRetryAfterHeader},
		{"3601", MaxRetryAfterHeader},
		{"99999999999999999", MaxRetryAfterHeader},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfterHeader},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tc := range tests {
		if got := ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	const limit = 64
	errCustomTooLarge := errors.New("custom too large")
	tests := []struct {
		name    string
		size    int
		chunked bool // no Content-Length: the limit is found while reading
		tooBig  error
		wantErr error
	}{
		{name: "exactly the limit", size: limit},
		{name: "exactly the limit, chunked", size: limit, chunked: true},
		{name: "one byte over", size: limit + 1, wantErr: ErrTooLarge},
		{name: "one byte over, chunked", size: limit + 1, chunked: true, wantErr: ErrTooLarge},
		{name: "custom sentinel", size: limit + 1, tooBig: errCustomTooLarge, wantErr: errCustomTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				body := strings.Repeat("a", tc.size)
				if tc.chunked {
					_, _ = w.Write([]byte(body[:1]))
					w.(http.Flusher).Flush()
					_, _ = w.Write([]byte(body[1:]))
					return
				}
				w.Header().Set("Content-Length", strconv.Itoa(tc.size))
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			c := New(fast(Config{TooLarge: tc.tooBig}))
			body, err := c.Do(context.Background(), Request{URL: mustURL(t, srv.URL), MaxBodySize: limit})
			if tc.wantErr == nil {
				if err != nil || len(body) != tc.size {
					t.Errorf("Do = %d bytes, %v; want %d bytes", len(body), err, tc.size)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if hits.Load() != 1 {
				t.Errorf("requests = %d: a too large body is not retried", hits.Load())
			}
		})
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("/r/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			_, _ = w.Write([]byte("landed"))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
	})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	srvURL = srv.URL
	host := strings.TrimPrefix(srvURL, "http://")

	tests := []struct {
		name     string
		path     string
		wantErr  string // "" means success
		wantHits int32
	}{
		{"MaxRedirects hops are followed", fmt.Sprintf("/r/%d", MaxRedirects), "", MaxRedirects + 1},
		{"MaxRedirects+1 hops are refused", fmt.Sprintf("/r/%d", MaxRedirects+1), fmt.Sprintf("stopped after %d redirects", MaxRedirects), MaxRedirects + 1},
		{"non-http target", "/to?u=" + url.QueryEscape("ftp://"+host+"/r/0"), `refused redirect to a "ftp" URL`, 1},
		{"target with credentials", "/to?u=" + url.QueryEscape("http://user:s3cret@"+host+"/r/0"), "refused redirect to a URL with credentials", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			c := New(fast(Config{}))
			body, err := c.Do(context.Background(), Request{URL: mustURL(t, srvURL+tc.path)})
			if got := hits.Load(); got != tc.wantHits {
				t.Errorf("requests = %d, want %d (refused redirects are not retried)", got, tc.wantHits)
			}
			if tc.wantErr == "" {
				if err != nil || string(body) != "landed" {
					t.Errorf("Do = %q, %v", body, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("err leaks the credentials: %v", err)
			}
		})
	}
}

func TestAuthorizeEveryHop(t *testing.T) {
	const token = "Bearer hop-s3cret"
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			t.Errorf("token sent to the other host: %q", a)
		}
		_, _ = w.Write([]byte("other"))
	}))
	defer other.Close()
	var sawToken atomic.Bool
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken.Store(r.Header.Get("Authorization") == token)
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	}))
	defer home.Close()
	homeHost := mustURL(t, home.URL).Host
	c := New(fast(Config{Authorize: func(req *http.Request) {
		if req.URL.Host == homeHost {
			req.Header.Set("Authorization", token)
		}
	}}))
	body, err := c.Do(context.Background(), Request{URL: mustURL(t, home.URL+"/start")})
	if err != nil || string(body) != "other" {
		t.Fatalf("Do = %q, %v", body, err)
	}
	if !sawToken.Load() {
		t.Error("the first request did not carry the token")
	}
}

func TestRedaction(t *testing.T) {
	long := "https://h.example/" + strings.Repeat("p", MaxRedactedURLLength)
	tests := []struct {
		in   string
		want string
	}{
		{"https://user:pw@h.example/a/b?token=x#frag", "https://h.example/a/b"},
		{"http://h.example", "http://h.example"},
		{long[:MaxRedactedURLLength], long[:MaxRedactedURLLength]},
		{long[:MaxRedactedURLLength+1], long[:MaxRedactedURLLength] + "…"},
	}
	for _, tc := range tests {
		if got := RedactURL(mustURL(t, tc.in)); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := RedactURL(nil); got != "<nil URL>" {
		t.Errorf("RedactURL(nil) = %q", got)
	}

	quoteTests := []struct {
		in   string
		want string
	}{
		{strings.Repeat("q", MaxQuoted), `"` + strings.Repeat("q", MaxQuoted) + `"`},
		{strings.Repeat("q", MaxQuoted+1), `"` + strings.Repeat("q", MaxQuoted) + `"…`},
	}
	for _, tc := range quoteTests {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%d bytes) = %q, want %q", len(tc.in), got, tc.want)
		}
	}

	// Error text of a request to a URL holding credentials never carries them.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	u := mustURL(t, srv.URL+"/p?token=q-s3cret#f-s3cret")
	u.User = url.UserPassword("user", "pw-s3cret")
	closed := mustURL(t, "http://user:pw-s3cret@127.0.0.1:1/p?token=q-s3cret")
	for _, target := range []*url.URL{u, closed} {
		_, err := New(fast(Config{Options: Options{Retries: -1}})).Do(context.Background(), Request{URL: target})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("err = %v, want an error without credentials", err)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		base    time.Duration
		attempt int
		lo, hi  time.Duration
	}{
		{100 * time.Millisecond, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{100 * time.Millisecond, 3, 400 * time.Millisecond, 800 * time.Millisecond},
		{100 * time.Millisecond, 60, MaxBackoff / 2, MaxBackoff},
		{time.Hour, 0, MaxBackoff / 2, MaxBackoff},
	}
	for _, tc := range tests {
		for range 20 {
			if d := BackoffDelay(tc.base, tc.attempt); d < tc.lo || d > tc.hi {
				t.Errorf("BackoffDelay(%v, %d) = %v, want in [%v, %v]", tc.base, tc.attempt, d, tc.lo, tc.hi)
			}
		}
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c := New(Config{MaxRetryAfter: time.Minute})
	start := time.Now()
	_, err := c.Do(ctx, Request{URL: mustURL(t, srv.URL)})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "last error") {
		t.Errorf("err = %v, want the deadline with the last error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
}

// TestOptionsDefaults: a zero Options.Timeout takes the service's Config.DefaultTimeout, then
// DefaultTimeout; a zero UserAgent is DefaultUserAgent, and the header is sent.
func TestOptionsDefaults(t *testing.T) {
	var gotUA atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.Header.Get("User-Agent"))
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tests := []struct {
		name        string
		cfg         Config
		wantTimeout time.Duration
		wantUA      string
	}{
		{"zero", Config{}, DefaultTimeout, DefaultUserAgent},
		{"service default timeout", Config{DefaultTimeout: 30 * time.Second}, 30 * time.Second, DefaultUserAgent},
		{"caller timeout wins", Config{Options: Options{Timeout: time.Second}, DefaultTimeout: 30 * time.Second}, time.Second, DefaultUserAgent},
		{"negative timeout is unset", Config{Options: Options{Timeout: -1}, DefaultTimeout: 2 * time.Minute}, 2 * time.Minute, DefaultUserAgent},
		{"caller user agent", Config{Options: Options{UserAgent: "probe/1"}}, DefaultTimeout, "probe/1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.cfg)
			if c.cfg.Timeout != tc.wantTimeout {
				t.Errorf("Timeout = %v, want %v", c.cfg.Timeout, tc.wantTimeout)
			}
			if _, err := c.Do(context.Background(), Request{URL: mustURL(t, srv.URL)}); err != nil {
				t.Fatal(err)
			}
			if got, _ := gotUA.Load().(string); got != tc.wantUA {
				t.Errorf("User-Agent = %q, want %q", got, tc.wantUA)
			}
		})
	}
}
