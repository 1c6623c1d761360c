// Package httpfetch provides the one HTTP core the analysis clients (OSV, PyPI, Scorecard, npm
// registries) share to talk to servers that must be treated as hostile: a bounded, retrying GET or
// POST with named limits. It retries network errors, timeouts, HTTP 429 and 5xx with exponential
// backoff and jitter (a Retry-After header can lengthen the wait, up to a cap), reads at most a given
// number of body bytes, follows a bounded number of redirects to http(s) targets without credentials
// only, and never puts credentials, queries or fragments of a URL into error text or logs.
//
// Options holds the transport settings a caller chooses for any of those clients (HTTP client,
// retries, backoff, timeout, logger, User-Agent); each client's own Options embeds it and hands it to
// New inside a Config. Callers keep their own error vocabulary: Config names the sentinel errors and
// the status error type to return. An optional Authorize hook decides the Authorization header for the
// first request and afresh for every redirect hop.
//
// Like every package under analysis/, it must not import app/, action/ or any GitHub client.
package httpfetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults and hard bounds of the core.
const (
	// DefaultRetries is how many times a failed request is retried when Options.Retries is 0.
	DefaultRetries = 3
	// DefaultBackoff is the first retry delay when Options.Backoff is 0; it doubles per attempt.
	DefaultBackoff = 250 * time.Millisecond
	// MaxBackoff caps the exponential backoff delay.
	MaxBackoff = 10 * time.Second
	// DefaultTimeout bounds one request attempt (headers and body) when both Options.Timeout and
	// Config.DefaultTimeout are 0.
	DefaultTimeout = time.Minute
	// DefaultUserAgent is sent with every request when Options.UserAgent is "".
	DefaultUserAgent = "mcpvet (+https://github.com/mcpvet/mcpvet)"
	// DefaultMaxRetryAfter caps how long a Retry-After header can make the client wait when
	// Config.MaxRetryAfter is 0.
	DefaultMaxRetryAfter = 30 * time.Second
	// MaxRetryAfterHeader bounds the delay ParseRetryAfter returns, whatever the header says.
	MaxRetryAfterHeader = time.Hour
	// DefaultMaxBodySize bounds a response body when Request.MaxBodySize is 0.
	DefaultMaxBodySize = 32 << 20
	// MaxRedirects bounds the redirects followed for one request.
	MaxRedirects = 10
	// MaxQuoted bounds a hostile string quoted in an error message, in bytes.
	MaxQuoted = 120
	// MaxRedactedURLLength bounds a URL as RedactURL prints it, in bytes (longer ones are cut with "…").
	MaxRedactedURLLength = 2 * MaxQuoted
	// DrainLimit bounds the bytes of an error response read (and discarded) so the connection can be
	// reused.
	DrainLimit = 4096
)

// Default errors, used when Config leaves the corresponding field nil.
var (
	// ErrTooLarge reports a response body larger than Request.MaxBodySize.
	ErrTooLarge = errors.New("too large")
	// ErrNotFound reports HTTP 404 when Config.NotFound is nil and Config.NotFoundAsStatus is false.
	ErrNotFound = errors.New("not found")
)

// StatusError is the default error for an HTTP response status the client does not accept. URL never
// contains credentials, query or fragment.
type StatusError struct {
	Method     string
	URL        string
	StatusCode int
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Options are the transport settings a caller chooses for a Client. The analysis clients' own Options
// types embed them, so every client takes the same settings with the same meaning. The zero value is
// usable.
type Options struct {
	// HTTPClient sends the requests (http.DefaultClient's settings when nil). The Client uses a copy
	// with its own redirect policy, which calls the original CheckRedirect (if any) last.
	HTTPClient *http.Client
	// Retries is how many times a request failing with a network error, a timeout, HTTP 429 or 5xx is
	// retried: 0 means DefaultRetries, a negative value means never.
	Retries int
	// Backoff is the first retry delay (DefaultBackoff when 0); it doubles per attempt up to
	// MaxBackoff, with jitter in [d/2, d], and a Retry-After header (capped by Config.MaxRetryAfter)
	// can lengthen it.
	Backoff time.Duration
	// Timeout bounds each request attempt, headers and body (Config.DefaultTimeout when 0, and
	// DefaultTimeout when that is 0 too).
	Timeout time.Duration
	// Logger receives retry diagnostics, and whatever else the client embedding these Options logs
	// (discarded when nil). It never receives credentials.
	Logger *slog.Logger
	// UserAgent is sent with every request (DefaultUserAgent when "").
	UserAgent string
}

// Config tunes a Client: the caller's transport Options plus what the service wrapping the Client
// decides (its name, defaults and error vocabulary). The zero value is usable.
type Config struct {
	// Options are the caller's transport settings.
	Options
	// DefaultTimeout replaces a zero Options.Timeout (DefaultTimeout when 0): each service has its
	// own.
	DefaultTimeout time.Duration
	// MaxRetryAfter caps the wait a Retry-After header can impose (DefaultMaxRetryAfter when 0).
	MaxRetryAfter time.Duration
	// Service names the server in log messages ("OSV", "PyPI", …).
	Service string
	// Authorize, when set, decides the Authorization header of the first request and of every
	// redirect hop (the header is removed before each hop's call). The request's context carries
	// whatever the caller put in the context passed to Do.
	Authorize func(req *http.Request)
	// TooLarge is the sentinel wrapped when a body exceeds its limit (ErrTooLarge when nil).
	TooLarge error
	// NotFound is the sentinel wrapped for HTTP 404 (ErrNotFound when nil), unless NotFoundAsStatus.
	NotFound error
	// NotFoundAsStatus makes HTTP 404 a status error like any other unaccepted status.
	NotFoundAsStatus bool
	// StatusError builds the error for an unaccepted status from the redacted URL (a *StatusError
	// when nil).
	StatusError func(method, redactedURL string, code int) error
}

// Client sends bounded, retrying requests. It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
}

// New returns a Client for cfg, with its defaults applied.
func New(cfg Config) *Client {
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.DefaultTimeout
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Service == "" {
		cfg.Service = "HTTP"
	}
	if cfg.TooLarge == nil {
		cfg.TooLarge = ErrTooLarge
	}
	if cfg.NotFound == nil {
		cfg.NotFound = ErrNotFound
	}
	if cfg.StatusError == nil {
		cfg.StatusError = func(method, u string, code int) error {
			return &StatusError{Method: method, URL: u, StatusCode: code}
		}
	}
	hc := http.Client{}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect, cfg.Authorize)
	cfg.HTTPClient = nil
	return &Client{cfg: cfg, hc: &hc}
}

// Request is one request to make.
type Request struct {
	// Method is the HTTP method (GET when "").
	Method string
	// URL is the target; it is never printed with credentials, query or fragment.
	URL *url.URL
	// Body is sent with every attempt (none when nil).
	Body []byte
	// Accept and ContentType set the headers of the same names when not "".
	Accept      string
	ContentType string
	// MaxBodySize bounds the response body (DefaultMaxBodySize when 0).
	MaxBodySize int64
}

// Do makes r with retries and returns the body of a 200 response, at most r.MaxBodySize bytes.
func (c *Client) Do(ctx context.Context, r Request) ([]byte, error) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if r.MaxBodySize <= 0 {
		r.MaxBodySize = DefaultMaxBodySize
	}
	if r.URL == nil {
		return nil, fmt.Errorf("%s %s: no URL", r.Method, RedactURL(nil))
	}
	u := RedactURL(r.URL)
	for attempt := 0; ; attempt++ {
		body, retryAfter, retryable, err := c.attempt(ctx, r, u)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Method, u, context.Cause(ctx))
		}
		if !retryable || attempt >= c.cfg.Retries {
			if attempt > 0 {
				return nil, fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return nil, err
		}
		delay := BackoffDelay(c.cfg.Backoff, attempt)
		if retryAfter > 0 {
			delay = max(delay, min(retryAfter, c.cfg.MaxRetryAfter))
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, c.cfg.Service+" request failed, retrying",
			slog.String("url", u), slog.Int("attempt", attempt+1),
			slog.Duration("delay", delay), slog.String("error", err.Error()))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s %s: %w (last error: %v)", r.Method, u, context.Cause(ctx), err)
		case <-t.C:
		}
	}
}

// BackoffDelay is base·2^attempt, capped at MaxBackoff, with jitter in [d/2, d].
func BackoffDelay(base time.Duration, attempt int) time.Duration {
	d := max(base, 0)
	for i := 0; i < attempt && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// attempt makes one request. retryable says whether the failure is worth retrying.
func (c *Client) attempt(ctx context.Context, r Request, u string) (body []byte, retryAfter time.Duration, retryable bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, r.URL.String(), rd)
	if err != nil {
		return nil, 0, false, fmt.Errorf("%s %s: %w", r.Method, u, RedactError(err))
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Accept != "" {
		req.Header.Set("Accept", r.Accept)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.Authorize != nil {
		c.cfg.Authorize(req)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		err = RedactError(err) // its URL may hold credentials or be a redirect target
		var rerr *redirectError
		return nil, 0, !errors.As(err, &rerr), fmt.Errorf("%s %s: %w", r.Method, u, err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusOK:
	case res.StatusCode == http.StatusNotFound && !c.cfg.NotFoundAsStatus:
		_, _ = io.CopyN(io.Discard, res.Body, DrainLimit)
		return nil, 0, false, fmt.Errorf("%s %s: %w", r.Method, u, c.cfg.NotFound)
	case Retryable(res.StatusCode):
		_, _ = io.CopyN(io.Discard, res.Body, DrainLimit) // let the connection be reused
		return nil, ParseRetryAfter(res.Header.Get("Retry-After"), time.Now()), true,
			c.cfg.StatusError(r.Method, u, res.StatusCode)
	default:
		return nil, 0, false, c.cfg.StatusError(r.Method, u, res.StatusCode)
	}
	limit := r.MaxBodySize
	if res.ContentLength > limit {
		return nil, 0, false, fmt.Errorf("%s %s: %w: %d bytes, limit %d", r.Method, u, c.cfg.TooLarge, res.ContentLength, limit)
	}
	body, err = io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, 0, true, fmt.Errorf("%s %s: read body: %w", r.Method, u, err)
	}
	if int64(len(body)) > limit {
		return nil, 0, false, fmt.Errorf("%s %s: %w: more than %d bytes", r.Method, u, c.cfg.TooLarge, limit)
	}
	return body, 0, false, nil
}

// Retryable reports whether a response status is worth retrying: HTTP 429 and every 5xx.
func Retryable(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date, at most
// MaxRetryAfterHeader; 0 when absent, invalid or in the past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfterHeader/time.Second) {
			return MaxRetryAfterHeader
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfterHeader)
	}
	return 0
}

// redirectError is a redirect the client refused to follow; it is not retried.
type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

// checkRedirect wraps an HTTP client's redirect policy: at most MaxRedirects hops, only http(s)
// targets without credentials, and (with authorize) the Authorization header decided afresh for each
// target, so a server cannot redirect a token to another host.
func checkRedirect(next func(*http.Request, []*http.Request) error, authorize func(*http.Request)) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return &redirectError{fmt.Sprintf("stopped after %d redirects", MaxRedirects)}
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return &redirectError{fmt.Sprintf("refused redirect to a %s URL", Quote(req.URL.Scheme))}
		}
		if req.URL.User != nil {
			return &redirectError{"refused redirect to a URL with credentials"}
		}
		if authorize != nil {
			req.Header.Del("Authorization")
			authorize(req)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// RedactError drops the URL (which may hold credentials) from a *url.Error, keeping its cause.
func RedactError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// RedactURL prints u without credentials, query or fragment, at most MaxRedactedURLLength bytes.
func RedactURL(u *url.URL) string {
	if u == nil {
		return "<nil URL>"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := r.String()
	if len(s) > MaxRedactedURLLength {
		s = s[:MaxRedactedURLLength] + "…"
	}
	return s
}

// Quote quotes s for an error message, truncated to MaxQuoted bytes.
func Quote(s string) string {
	if len(s) > MaxQuoted {
		return fmt.Sprintf("%q…", s[:MaxQuoted])
	}
	return fmt.Sprintf("%q", s)
}
