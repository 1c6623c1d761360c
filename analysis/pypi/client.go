// Package pypi reads release metadata from the PyPI JSON API (GET /pypi/{name}/{version}/json) and
// classifies a release as an MCP server from its declared requirements (MCPReason).
//
// Everything PyPI sends is treated as hostile: the response size, the number of requirements and
// project URLs, and the length of every kept string are bounded (named constants below), names and
// versions are validated before they reach a URL, and error text never carries credentials.
//
// Like every package under analysis/, it must not import app/, action/ or any GitHub client.
package pypi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
)

// DefaultURL is the public PyPI. The engine passes another base URL (MCPVET_PYPI_URL, or the host of
// pip's PIP_INDEX_URL) instead when one is configured.
const DefaultURL = "https://pypi.org"

// Defaults and hard bounds of the client.
const (
	// MaxResponseSize bounds one response body.
	MaxResponseSize = 16 << 20
	// MaxRequiresDist bounds the requires_dist entries a release may declare; more make the response
	// malformed.
	MaxRequiresDist = 4096
	// MaxRequirementLength bounds one requires_dist entry, in bytes; longer entries make the response
	// malformed.
	MaxRequirementLength = 4096
	// MaxProjectURLs bounds the project_urls entries a release may declare; more make the response
	// malformed.
	MaxProjectURLs = 256
	// MaxStringLength bounds a kept string (summary, home page, URL label or URL), in bytes; longer
	// ones are cut with "…".
	MaxStringLength = 4096
	// MaxFiles bounds the urls[] (distribution files) entries read for UploadTime; more make the
	// response malformed.
	MaxFiles = 4096
	// MaxNameLength bounds the project name a request accepts.
	MaxNameLength = 256
	// MaxVersionLength bounds the version a request accepts.
	MaxVersionLength = 128
	// MaxRetryAfter caps how long a Retry-After header can make the client wait.
	MaxRetryAfter = 30 * time.Second
	// DefaultTimeout bounds one request attempt (headers and body) when Options.Timeout is 0.
	DefaultTimeout = time.Minute
	// MaxRedirects bounds the redirects followed for one request.
	MaxRedirects = httpfetch.MaxRedirects
	// UserAgent is sent with every request when Options.UserAgent is "".
	UserAgent = httpfetch.DefaultUserAgent

	// maxQuoted bounds a hostile string quoted in an error message or reason.
	maxQuoted = httpfetch.MaxQuoted
)

// Errors returned (wrapped) by the client.
var (
	// ErrConfig reports an unusable base URL, project name or version.
	ErrConfig = errors.New("invalid PyPI request")
	// ErrNotFound reports a project or release PyPI does not have (HTTP 404).
	ErrNotFound = errors.New("not found on PyPI")
	// ErrTooLarge reports a response larger than MaxResponseSize.
	ErrTooLarge = errors.New("too large")
	// ErrMalformed reports a response that is not the JSON PyPI documents, that describes another
	// project, or that exceeds a count or length bound.
	ErrMalformed = errors.New("malformed PyPI response")
)

// StatusError reports an HTTP response status the client does not accept (other than 404). URL never
// contains credentials, query or fragment.
type StatusError struct {
	URL        string
	StatusCode int
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Options tunes a Client. The zero value is usable.
type Options struct {
	// Options are the transport settings (HTTP client, retries, backoff, timeout, logger, User-Agent).
	// A zero Timeout means DefaultTimeout, a zero UserAgent means UserAgent, and a Retry-After header
	// can lengthen a retry delay up to MaxRetryAfter.
	httpfetch.Options
}

// Client reads the PyPI JSON API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseErr error
	fetch   *httpfetch.Client
}

// Release is the metadata of one release of a PyPI project, as the JSON API's "info" object and "urls"
// list describe it. Strings are cut to MaxStringLength.
type Release struct {
	// Name is the project name as PyPI displays it (not normalised).
	Name string
	// Version is the release version as PyPI reports it.
	Version string
	// Summary is the one-line description.
	Summary string
	// RequiresDist lists the PEP 508 requirement strings of the release (info.requires_dist).
	RequiresDist []string
	// ProjectURLs maps labels ("Source", "Homepage", …) to URLs (info.project_urls).
	ProjectURLs map[string]string
	// HomePage is the legacy info.home_page.
	HomePage string
	// Yanked reports a yanked release (info.yanked).
	Yanked bool
	// UploadTime is the earliest upload time of the release's files; zero when it has none.
	UploadTime time.Time
}

// New returns a Client for the PyPI JSON API at baseURL (DefaultURL when ""); requests go to
// {baseURL}/pypi/{name}/{version}/json. An unusable baseURL is reported (as ErrConfig) by Release.
func New(baseURL string, opts Options) *Client {
	c := &Client{}
	if baseURL == "" {
		baseURL = DefaultURL
	}
	c.base, c.baseErr = parseBase(baseURL)
	c.fetch = httpfetch.New(httpfetch.Config{
		Options:        opts.Options,
		DefaultTimeout: DefaultTimeout,
		MaxRetryAfter:  MaxRetryAfter,
		Service:        "PyPI",
		TooLarge:       ErrTooLarge,
		NotFound:       ErrNotFound,
		StatusError: func(_, u string, code int) error {
			return &StatusError{URL: u, StatusCode: code}
		},
	})
	return c
}

// parseBase validates the base URL.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: PyPI URL: %v", ErrConfig, redactError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: PyPI URL %s: want an http or https URL", ErrConfig, redactURL(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: PyPI URL %s: no host", ErrConfig, redactURL(u))
	}
	b := *u
	b.Path = strings.TrimSuffix(u.Path, "/")
	b.RawPath = ""
	b.RawQuery, b.Fragment, b.RawFragment = "", "", ""
	return &b, nil
}

// Normalize returns the PEP 503 normalised form of a project name: lower case, with every run of
// "-", "_" and "." replaced by one "-".
func Normalize(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch == '-' || ch == '_' || ch == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b.WriteByte(ch)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// ValidName reports whether name is a valid PEP 508 project name: ASCII letters and digits, with
// "-", "_" and "." inside, at most MaxNameLength bytes.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if isAlnum(ch) {
			continue
		}
		if (ch == '-' || ch == '_' || ch == '.') && i > 0 && i < len(name)-1 {
			continue
		}
		return false
	}
	return true
}

func isAlnum(ch byte) bool {
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9'
}

// validVersion accepts the characters of PEP 440 versions (public and local), nothing that could
// change the URL path.
func validVersion(v string) bool {
	if v == "" || len(v) > MaxVersionLength || v == "." || v == ".." {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !isAlnum(ch) && !strings.ContainsRune(".+!-_", rune(ch)) {
			return false
		}
	}
	return true
}

// Release reads the metadata of release version of project name from
// GET {base}/pypi/{normalised name}/{version}/json. It returns ErrNotFound (wrapped) when PyPI answers
// 404, and retries network errors, timeouts, HTTP 429 and 5xx.
func (c *Client) Release(ctx context.Context, name, version string) (*Release, error) {
	what := quote(name) + "@" + quote(version)
	if c.baseErr != nil {
		return nil, fmt.Errorf("read PyPI release %s: %w", what, c.baseErr)
	}
	if !ValidName(name) {
		return nil, fmt.Errorf("read PyPI release %s: %w: invalid project name", what, ErrConfig)
	}
	if !validVersion(version) {
		return nil, fmt.Errorf("read PyPI release %s: %w: invalid version", what, ErrConfig)
	}
	u := *c.base
	u.Path = c.base.Path + "/pypi/" + Normalize(name) + "/" + version + "/json"
	body, err := c.get(ctx, &u)
	if err != nil {
		return nil, fmt.Errorf("read PyPI release %s: %w", what, err)
	}
	r, err := decodeRelease(body)
	if err != nil {
		return nil, fmt.Errorf("read PyPI release %s: %w", what, err)
	}
	if Normalize(r.Name) != Normalize(name) {
		return nil, fmt.Errorf("read PyPI release %s: %w: response describes project %s", what, ErrMalformed, quote(r.Name))
	}
	return r, nil
}

// releaseDoc is the part of the JSON API's release document the client reads.
type releaseDoc struct {
	Info *struct {
		Name         string            `json:"name"`
		Version      string            `json:"version"`
		Summary      *string           `json:"summary"`
		RequiresDist []string          `json:"requires_dist"`
		ProjectURLs  map[string]string `json:"project_urls"`
		HomePage     *string           `json:"home_page"`
		Yanked       bool              `json:"yanked"`
	} `json:"info"`
	URLs []struct {
		UploadTime string `json:"upload_time_iso_8601"`
	} `json:"urls"`
}

// decodeRelease parses and bounds a release document.
func decodeRelease(body []byte) (*Release, error) {
	var doc releaseDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	in := doc.Info
	switch {
	case in == nil:
		return nil, fmt.Errorf("%w: no info object", ErrMalformed)
	case in.Name == "" || in.Version == "":
		return nil, fmt.Errorf("%w: info without name or version", ErrMalformed)
	case len(in.Name) > MaxNameLength:
		return nil, fmt.Errorf("%w: info.name longer than %d bytes", ErrMalformed, MaxNameLength)
	case len(in.Version) > MaxVersionLength:
		return nil, fmt.Errorf("%w: info.version longer than %d bytes", ErrMalformed, MaxVersionLength)
	case len(in.RequiresDist) > MaxRequiresDist:
		return nil, fmt.Errorf("%w: more than %d requires_dist entries", ErrMalformed, MaxRequiresDist)
	case len(in.ProjectURLs) > MaxProjectURLs:
		return nil, fmt.Errorf("%w: more than %d project_urls entries", ErrMalformed, MaxProjectURLs)
	case len(doc.URLs) > MaxFiles:
		return nil, fmt.Errorf("%w: more than %d files", ErrMalformed, MaxFiles)
	}
	for i, req := range in.RequiresDist {
		if len(req) > MaxRequirementLength {
			return nil, fmt.Errorf("%w: requires_dist[%d] longer than %d bytes", ErrMalformed, i, MaxRequirementLength)
		}
	}
	r := &Release{Name: in.Name, Version: in.Version, RequiresDist: in.RequiresDist, Yanked: in.Yanked}
	if in.Summary != nil {
		r.Summary = cut(*in.Summary)
	}
	if in.HomePage != nil {
		r.HomePage = cut(*in.HomePage)
	}
	if len(in.ProjectURLs) > 0 {
		r.ProjectURLs = make(map[string]string, len(in.ProjectURLs))
		for k, v := range in.ProjectURLs {
			r.ProjectURLs[cut(k)] = cut(v)
		}
	}
	for i, f := range doc.URLs {
		if f.UploadTime == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.UploadTime)
		if err != nil {
			return nil, fmt.Errorf("%w: urls[%d].upload_time_iso_8601 %s", ErrMalformed, i, quote(f.UploadTime))
		}
		if r.UploadTime.IsZero() || t.Before(r.UploadTime) {
			r.UploadTime = t.UTC()
		}
	}
	return r, nil
}

// cut bounds a kept string to MaxStringLength bytes (on a rune boundary), marking the cut with "…".
func cut(s string) string {
	if len(s) <= MaxStringLength {
		return s
	}
	n := MaxStringLength
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// get fetches u with retries and returns the body of a 200 response.
func (c *Client) get(ctx context.Context, u *url.URL) ([]byte, error) {
	return c.fetch.Do(ctx, httpfetch.Request{
		Method:      http.MethodGet,
		URL:         u,
		Accept:      "application/json",
		MaxBodySize: MaxResponseSize,
	})
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	return httpfetch.ParseRetryAfter(v, now)
}

// redactError drops the URL (which may hold credentials) from a url.Error.
func redactError(err error) error { return httpfetch.RedactError(err) }

// redactURL prints u without credentials, query or fragment, bounded in length.
func redactURL(u *url.URL) string { return httpfetch.RedactURL(u) }

// quote quotes s for an error message, truncated to maxQuoted bytes.
func quote(s string) string { return httpfetch.Quote(s) }
