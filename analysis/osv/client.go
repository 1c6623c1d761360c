// Package osv asks the OSV database (https://osv.dev) which advisories cover one published package
// version, and turns the answer into findings: a MAL- advisory (a version known to be malicious) blocks,
// other advisories warn, and a query that failed is reported as "could not verify", never as a pass. It
// also provides the "too new" check that holds back versions published only hours ago.
//
// Everything the OSV API sends is treated as hostile: response sizes, page counts and advisory counts are
// bounded (Limits), advisory ids are validated before they reach a URL or a message, and error text never
// carries credentials.
//
// Like every package under analysis/, it must not import app/, action/ or any GitHub client.
package osv

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

// DefaultURL is the public OSV API. The engine passes MCPVET_OSV_API instead when it is set.
const DefaultURL = "https://api.osv.dev"

// Defaults and hard bounds of the client. The size and count limits can be changed per Client with
// Limits.
const (
	// DefaultMaxResponseSize bounds one response body (one page of results).
	DefaultMaxResponseSize = 32 << 20
	// DefaultMaxPages bounds the pages followed through next_page_token for one query.
	DefaultMaxPages = 16
	// DefaultMaxVulns bounds the advisories accepted for one query, over all pages.
	DefaultMaxVulns = 10000
	// DefaultMaxRetryAfter caps how long a Retry-After header can make the client wait.
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultTimeout bounds one request attempt (headers and body) when Options.Timeout is 0.
	DefaultTimeout = time.Minute
	// MaxRedirects bounds the redirects followed for one request.
	MaxRedirects = httpfetch.MaxRedirects
	// DefaultUserAgent is sent when Options.UserAgent is "".
	DefaultUserAgent = httpfetch.DefaultUserAgent

	// MaxNameLength bounds the package name a query accepts.
	MaxNameLength = 512
	// MaxVersionLength bounds the version a query accepts.
	MaxVersionLength = 256
	// MaxPageTokenLength bounds a next_page_token the client sends back.
	MaxPageTokenLength = 4096
	// MaxIDLength bounds an advisory id (or alias); longer ids make the response malformed.
	MaxIDLength = 128
	// MaxAliases bounds the aliases kept per advisory; all of them are still checked for MAL- ids.
	MaxAliases = 64
	// MaxSummaryLength bounds an advisory summary as kept, in bytes (longer ones are cut with "…").
	MaxSummaryLength = 512
	// MaxSeverityLength bounds Vuln.Severity, in bytes.
	MaxSeverityLength = 128
)

// Errors returned (wrapped) by the client.
var (
	// ErrConfig reports an unusable base URL or query argument (unsupported ecosystem, bad name).
	ErrConfig = errors.New("invalid OSV query")
	// ErrTooLarge reports a response larger than Limits.MaxResponseSize.
	ErrTooLarge = errors.New("too large")
	// ErrMalformed reports a response that is not the JSON the OSV API documents, or that holds an
	// advisory with an invalid id.
	ErrMalformed = errors.New("malformed OSV response")
	// ErrLimit reports a query whose answer exceeds Limits.MaxPages or Limits.MaxVulns, or whose page
	// tokens loop.
	ErrLimit = errors.New("OSV answer exceeds limits")
)

// StatusError reports an HTTP response status the client does not accept. URL never contains
// credentials, query or fragment.
type StatusError struct {
	URL        string
	StatusCode int
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("POST %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Limits bounds what the client accepts from the OSV API; zero fields take the defaults.
type Limits struct {
	MaxResponseSize int64         // DefaultMaxResponseSize
	MaxPages        int           // DefaultMaxPages
	MaxVulns        int           // DefaultMaxVulns
	MaxRetryAfter   time.Duration // DefaultMaxRetryAfter
}

// Options tunes a Client. The zero value is usable.
type Options struct {
	// Options are the transport settings (HTTP client, retries, backoff, timeout, logger, User-Agent).
	// A zero Timeout means DefaultTimeout, and a Retry-After header can lengthen a retry delay up to
	// Limits.MaxRetryAfter.
	httpfetch.Options
	// Limits bounds responses.
	Limits Limits
}

// Client queries the OSV API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseErr error

	fetch  *httpfetch.Client
	limits Limits
}

// New returns a Client for the OSV API at baseURL (DefaultURL when ""); requests go to
// {baseURL}/v1/query. An unusable baseURL is reported (as ErrConfig) by Query.
func New(baseURL string, opts Options) *Client {
	c := &Client{limits: opts.Limits}
	if c.limits.MaxResponseSize <= 0 {
		c.limits.MaxResponseSize = DefaultMaxResponseSize
	}
	if c.limits.MaxPages <= 0 {
		c.limits.MaxPages = DefaultMaxPages
	}
	if c.limits.MaxVulns <= 0 {
		c.limits.MaxVulns = DefaultMaxVulns
	}
	if c.limits.MaxRetryAfter <= 0 {
		c.limits.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if baseURL == "" {
		baseURL = DefaultURL
	}
	c.base, c.baseErr = parseBase(baseURL)
	c.fetch = httpfetch.New(httpfetch.Config{
		Options:          opts.Options,
		DefaultTimeout:   DefaultTimeout,
		MaxRetryAfter:    c.limits.MaxRetryAfter,
		Service:          "OSV",
		TooLarge:         ErrTooLarge,
		NotFoundAsStatus: true,
		StatusError: func(_, u string, code int) error {
			return &StatusError{URL: u, StatusCode: code}
		},
	})
	return c
}

// parseBase validates the API base URL and returns the URL of its /v1/query endpoint.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: OSV API URL: %v", ErrConfig, redactError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: OSV API URL %s: want an http or https URL", ErrConfig, redactURL(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: OSV API URL %s: no host", ErrConfig, redactURL(u))
	}
	q := *u
	q.Path = strings.TrimSuffix(u.Path, "/") + "/v1/query"
	q.RawPath = ""
	q.Fragment, q.RawFragment = "", ""
	return &q, nil
}

// osvEcosystem maps an accepted ecosystem spelling ("npm", "pypi", any case) to OSV's name.
func osvEcosystem(eco string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(eco)) {
	case "npm":
		return "npm", true
	case "pypi":
		return "PyPI", true
	}
	return "", false
}

// queryRequest is the body of POST /v1/query.
type queryRequest struct {
	Package   queryPackage `json:"package"`
	Version   string       `json:"version,omitempty"`
	PageToken string       `json:"page_token,omitempty"`
}

type queryPackage struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
}

// Query asks OSV which advisories cover ecosystem ("npm" or "PyPI") package name at version, following
// next_page_token pagination up to Limits.MaxPages pages. An empty version asks for every advisory of
// the package.
//
// On error, Query still returns the advisories read before the failure (for example the first pages of
// an answer that exceeds Limits): callers should report them as well as the error, since a partial
// answer can already name a malicious version.
func (c *Client) Query(ctx context.Context, ecosystem, name, version string) ([]Vuln, error) {
	what := quote(name) + "@" + quote(version)
	if c.baseErr != nil {
		return nil, fmt.Errorf("query OSV for %s: %w", what, c.baseErr)
	}
	eco, ok := osvEcosystem(ecosystem)
	if !ok {
		return nil, fmt.Errorf("query OSV for %s: %w: unsupported ecosystem %s", what, ErrConfig, quote(ecosystem))
	}
	switch {
	case strings.TrimSpace(name) == "":
		return nil, fmt.Errorf("query OSV: %w: empty package name", ErrConfig)
	case len(name) > MaxNameLength:
		return nil, fmt.Errorf("query OSV for %s: %w: package name longer than %d bytes", what, ErrConfig, MaxNameLength)
	case len(version) > MaxVersionLength:
		return nil, fmt.Errorf("query OSV for %s: %w: version longer than %d bytes", what, ErrConfig, MaxVersionLength)
	}

	req := queryRequest{Package: queryPackage{Name: name, Ecosystem: eco}, Version: version}
	var vulns []Vuln
	seen := make(map[string]bool)
	tokens := make(map[string]bool)
	for page := 1; ; page++ {
		body, err := json.Marshal(req)
		if err != nil {
			return vulns, fmt.Errorf("query OSV for %s: %w", what, err)
		}
		resp, err := c.post(ctx, body)
		if err != nil {
			return vulns, fmt.Errorf("query OSV for %s: page %d: %w", what, page, err)
		}
		got, next, err := decodeResponse(resp)
		if err != nil {
			return vulns, fmt.Errorf("query OSV for %s: page %d: %w", what, page, err)
		}
		for _, v := range got {
			if seen[v.ID] {
				continue
			}
			if len(vulns) >= c.limits.MaxVulns {
				return vulns, fmt.Errorf("query OSV for %s: %w: more than %d advisories", what, ErrLimit, c.limits.MaxVulns)
			}
			seen[v.ID] = true
			vulns = append(vulns, v)
		}
		if next == "" {
			return vulns, nil
		}
		switch {
		case len(next) > MaxPageTokenLength:
			return vulns, fmt.Errorf("query OSV for %s: %w: next_page_token longer than %d bytes", what, ErrMalformed, MaxPageTokenLength)
		case tokens[next]:
			return vulns, fmt.Errorf("query OSV for %s: %w: next_page_token repeats", what, ErrLimit)
		case page >= c.limits.MaxPages:
			return vulns, fmt.Errorf("query OSV for %s: %w: more than %d pages", what, ErrLimit, c.limits.MaxPages)
		}
		tokens[next] = true
		req.PageToken = next
	}
}

// post sends body to the query endpoint with retries and returns at most Limits.MaxResponseSize bytes
// of a 200 response body.
func (c *Client) post(ctx context.Context, body []byte) ([]byte, error) {
	return c.fetch.Do(ctx, httpfetch.Request{
		Method:      http.MethodPost,
		URL:         c.base,
		Body:        body,
		Accept:      "application/json",
		ContentType: "application/json",
		MaxBodySize: c.limits.MaxResponseSize,
	})
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	return httpfetch.ParseRetryAfter(v, now)
}

// redactURL prints u without credentials, query or fragment, bounded in length.
func redactURL(u *url.URL) string { return httpfetch.RedactURL(u) }

// quote quotes s for an error message, truncated to httpfetch.MaxQuoted bytes.
func quote(s string) string { return httpfetch.Quote(s) }
