package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
)

// DefaultURL is the public Scorecard results API. The engine passes MCPVET_SCORECARD_API instead when set.
const DefaultURL = "https://api.securityscorecards.dev"

// DefaultUserAgent is sent with every request unless Options.UserAgent says otherwise.
const DefaultUserAgent = httpfetch.DefaultUserAgent

// Defaults of the client's bounds; Limits changes them per Client.
const (
	// DefaultMaxResponseSize bounds one response body. Real results are tens of kilobytes.
	DefaultMaxResponseSize = 4 << 20
	// DefaultMaxChecks bounds the checks accepted in one result (Scorecard v5 has 20).
	DefaultMaxChecks = 64
	// DefaultMaxDetails bounds the detail lines kept per check; the rest are counted in a note.
	DefaultMaxDetails = 50
	// DefaultMaxTextLength bounds a reason, detail line, version or documentation URL, in bytes; longer
	// ones are cut with "…".
	DefaultMaxTextLength = 1000
	// DefaultTimeout bounds one request attempt when Options.Timeout is 0.
	DefaultTimeout = 30 * time.Second
)

// Fixed bounds on names.
const (
	// MaxCheckNameLength bounds a check's name, in bytes.
	MaxCheckNameLength = 64
	// MaxRepoPathLength bounds the owner/name part of a project asked for, in bytes.
	MaxRepoPathLength = 512
)

// Errors callers can test with errors.Is.
var (
	// ErrNotFound: the API has no stored result for the repository (HTTP 404). That is "missing", not a
	// failure: most repositories are not in the weekly scan.
	ErrNotFound = errors.New("no stored Scorecard result")
	// ErrUnsupportedHost: the API only holds results for github.com and gitlab.com repositories.
	ErrUnsupportedHost = errors.New("host not covered by the Scorecard results API")
	// ErrTooLarge: a response exceeded Limits.
	ErrTooLarge = errors.New("Scorecard response too large")
	// ErrMalformed: a response is not a Scorecard result.
	ErrMalformed = errors.New("malformed Scorecard response")
	// ErrConfig: the client's base URL or the repository asked for is unusable.
	ErrConfig = errors.New("Scorecard client configuration")
)

// Limits bounds what the client accepts; a zero field means its default.
type Limits struct {
	MaxResponseSize int64 // bytes of one response (DefaultMaxResponseSize)
	MaxChecks       int   // checks in one result (DefaultMaxChecks)
	MaxDetails      int   // detail lines kept per check (DefaultMaxDetails)
	MaxTextLength   int   // bytes of one reason, detail, version or URL (DefaultMaxTextLength)
}

func (l Limits) withDefaults() Limits {
	if l.MaxResponseSize <= 0 {
		l.MaxResponseSize = DefaultMaxResponseSize
	}
	if l.MaxChecks <= 0 {
		l.MaxChecks = DefaultMaxChecks
	}
	if l.MaxDetails <= 0 {
		l.MaxDetails = DefaultMaxDetails
	}
	if l.MaxTextLength <= 0 {
		l.MaxTextLength = DefaultMaxTextLength
	}
	return l
}

// Options tune a Client. The zero value is usable.
type Options struct {
	// Options are the transport settings (HTTP client, retries, backoff, timeout, logger, User-Agent).
	// A zero Timeout means DefaultTimeout.
	httpfetch.Options
	// Limits bounds responses.
	Limits Limits
}

// Client reads stored Scorecard results. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseErr error
	fetch   *httpfetch.Client
	limits  Limits
}

// New returns a client for the results API at baseURL (DefaultURL when ""). An unusable baseURL is
// reported (as ErrConfig) by Get.
func New(baseURL string, opts Options) *Client {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	c := &Client{limits: opts.Limits.withDefaults()}
	c.base, c.baseErr = parseBase(baseURL)
	c.fetch = httpfetch.New(httpfetch.Config{
		Options:        opts.Options,
		DefaultTimeout: DefaultTimeout,
		Service:        "Scorecard",
		TooLarge:       ErrTooLarge,
		NotFound:       ErrNotFound,
	})
	return c
}

// URL returns the API's base URL without credentials, query or fragment ("" when unusable).
func (c *Client) URL() string {
	if c.base == nil {
		return ""
	}
	return httpfetch.RedactURL(c.base)
}

func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: Scorecard API URL: %w", ErrConfig, httpfetch.RedactError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: Scorecard API URL %s: want an http(s) URL with a host", ErrConfig, httpfetch.RedactURL(u))
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Supported reports whether the results API covers repositories on host.
func Supported(host string) bool {
	switch strings.ToLower(host) {
	case "github.com", "gitlab.com":
		return true
	}
	return false
}

// Get returns the stored result for the repository host/owner/name (GET /projects/{host}/{owner}/{name}).
// A repository the API has no result for is ErrNotFound; one on another host than github.com or gitlab.com
// is ErrUnsupportedHost and is not asked about.
func (c *Client) Get(ctx context.Context, host, owner, name string) (*Result, error) {
	what := CleanText(host+"/"+owner+"/"+name, MaxRepoPathLength) // for messages only
	if c.baseErr != nil {
		return nil, fmt.Errorf("stored Scorecard result for %s: %w", what, c.baseErr)
	}
	if !Supported(host) {
		return nil, fmt.Errorf("stored Scorecard result for %s: %w", what, ErrUnsupportedHost)
	}
	segs, err := projectSegments(owner, name)
	if err != nil {
		return nil, fmt.Errorf("stored Scorecard result for %s: %w", what, err)
	}
	segs = append([]string{strings.ToLower(host)}, segs...)
	escaped := make([]string, len(segs))
	for i, s := range segs {
		escaped[i] = url.PathEscape(s)
	}
	u := *c.base
	u.Path = c.base.Path + "/projects/" + strings.Join(segs, "/")
	u.RawPath = c.base.EscapedPath() + "/projects/" + strings.Join(escaped, "/")
	body, err := c.fetch.Do(ctx, httpfetch.Request{URL: &u, Accept: "application/json", MaxBodySize: c.limits.MaxResponseSize})
	if err != nil {
		return nil, fmt.Errorf("stored Scorecard result for %s: %w", what, err)
	}
	res, err := parseResult(body, c.limits)
	if err != nil {
		return nil, fmt.Errorf("stored Scorecard result for %s: %w", what, err)
	}
	return res, nil
}

// projectSegments validates owner (a GitLab group path may hold '/') and name as URL path segments.
func projectSegments(owner, name string) ([]string, error) {
	if len(owner)+len(name)+1 > MaxRepoPathLength {
		return nil, fmt.Errorf("%w: repository path longer than %d bytes", ErrConfig, MaxRepoPathLength)
	}
	segs := append(strings.Split(owner, "/"), name)
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\?#%") || hasControl(s) {
			return nil, fmt.Errorf("%w: repository path segment %q", ErrConfig, s)
		}
	}
	return segs, nil
}

// wireResult is the API's JSON (Scorecard's JSON format v2).
type wireResult struct {
	Date string `json:"date"`
	Repo struct {
		Name   string `json:"name"`
		Commit string `json:"commit"`
	} `json:"repo"`
	Scorecard struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	} `json:"scorecard"`
	Score  *float64    `json:"score"`
	Checks []wireCheck `json:"checks"`
}

type wireCheck struct {
	Name          string   `json:"name"`
	Score         *float64 `json:"score"`
	Reason        string   `json:"reason"`
	Details       []string `json:"details"`
	Documentation struct {
		Short string `json:"short"`
		URL   string `json:"url"`
	} `json:"documentation"`
}

// parseResult decodes and validates one stored result.
func parseResult(body []byte, l Limits) (*Result, error) {
	var w wireResult
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the result", ErrMalformed)
	}
	if len(w.Checks) > l.MaxChecks {
		return nil, fmt.Errorf("%w: %d checks, at most %d accepted", ErrTooLarge, len(w.Checks), l.MaxChecks)
	}
	r := &Result{Source: SourceAPI, Repo: CleanText(w.Repo.Name, l.MaxTextLength), Version: CleanText(w.Scorecard.Version, l.MaxTextLength), Score: NoScore}
	if w.Repo.Commit != "" {
		if !isCommit(w.Repo.Commit) {
			return nil, fmt.Errorf("%w: repo.commit %s is not a commit id", ErrMalformed, httpfetch.Quote(w.Repo.Commit))
		}
		r.Commit = strings.ToLower(w.Repo.Commit)
	}
	if w.Date != "" {
		t, err := parseDate(w.Date)
		if err != nil {
			return nil, fmt.Errorf("%w: date %s", ErrMalformed, httpfetch.Quote(w.Date))
		}
		r.Date = t
	}
	if w.Score != nil {
		s := *w.Score
		switch {
		case s >= 0 && s <= MaxScore:
			r.Score = s
		case s < 0 && s >= NoScore:
		default:
			return nil, fmt.Errorf("%w: score %v out of range", ErrMalformed, s)
		}
	}
	seen := map[string]bool{}
	dropped := 0
	for i, wc := range w.Checks {
		name := strings.TrimSpace(wc.Name)
		if name == "" || len(name) > MaxCheckNameLength || hasControl(name) || !utf8.ValidString(name) {
			return nil, fmt.Errorf("%w: check %d has no usable name", ErrMalformed, i)
		}
		if canon, ok := CanonicalCheck(name); ok {
			name = canon
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("%w: check %s listed twice", ErrMalformed, name)
		}
		seen[strings.ToLower(name)] = true
		c := Check{Name: name, Score: NoScore, Reason: CleanText(wc.Reason, l.MaxTextLength), DocURL: cleanURL(wc.Documentation.URL, l.MaxTextLength)}
		if wc.Score != nil {
			s := *wc.Score
			switch {
			case s != float64(int(s)) || s < NoScore || s > MaxScore:
				return nil, fmt.Errorf("%w: check %s: score %v out of range", ErrMalformed, name, s)
			default:
				c.Score = int(s)
			}
		}
		for j, d := range wc.Details {
			if j == l.MaxDetails {
				dropped += len(wc.Details) - j
				break
			}
			c.Details = append(c.Details, CleanText(d, l.MaxTextLength))
		}
		r.Checks = append(r.Checks, c)
	}
	if dropped > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d detail lines beyond %d per check were dropped", dropped, l.MaxDetails))
	}
	return r, nil
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}

func isCommit(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// cleanURL keeps a documentation URL only when it is an http(s) URL, dropping credentials and query.
func cleanURL(s string, n int) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return CleanText((&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, Fragment: u.Fragment}).String(), n)
}
