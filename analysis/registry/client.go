package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
)

// Defaults and hard bounds of the client. Size limits can be lowered or raised per Client with Limits.
const (
	// DefaultMaxPackumentSize bounds a packument body (the largest real packuments are tens of MiB).
	DefaultMaxPackumentSize = 128 << 20
	// DefaultMaxTarballSize bounds a tarball as downloaded (compressed).
	DefaultMaxTarballSize = 256 << 20
	// DefaultMaxRetryAfter caps how long a Retry-After header can make the client wait.
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultTimeout bounds one request attempt (headers and body) when Options.Timeout is 0.
	DefaultTimeout = 2 * time.Minute
	// MaxRedirects bounds the redirects followed for one request.
	MaxRedirects = httpfetch.MaxRedirects
	// MaxURLLength bounds a dist.tarball URL.
	MaxURLLength = 4096
	// DefaultUserAgent is sent when Options.UserAgent is "".
	DefaultUserAgent = httpfetch.DefaultUserAgent
)

// Errors returned (wrapped) by the client.
var (
	// ErrNotFound reports a package, version or tarball the registry does not have (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrTooLarge reports a response or file larger than its limit.
	ErrTooLarge = errors.New("too large")
	// ErrTarballURL reports a dist.tarball URL the client refuses to fetch.
	ErrTarballURL = errors.New("refused tarball URL")
	// ErrConfig reports an unusable registry configuration (for example a registry URL that is not
	// http or https).
	ErrConfig = errors.New("invalid registry configuration")
)

// StatusError reports an HTTP response status the client does not accept. URL never contains
// credentials, query or fragment.
type StatusError struct {
	URL        string
	StatusCode int
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Limits bounds what the client accepts from a registry; zero fields take the defaults.
type Limits struct {
	MaxPackumentSize int64         // DefaultMaxPackumentSize
	MaxTarballSize   int64         // DefaultMaxTarballSize
	MaxRetryAfter    time.Duration // DefaultMaxRetryAfter
}

// Options tunes a Client. The zero value is usable.
type Options struct {
	// Options are the transport settings (HTTP client, retries, backoff, timeout, logger, User-Agent).
	// A zero Timeout means DefaultTimeout, and a Retry-After header can lengthen a retry delay up to
	// Limits.MaxRetryAfter. The Client's copy of HTTPClient re-decides the Authorization header for
	// every redirect hop. Logger also receives cache diagnostics; it never receives tokens.
	httpfetch.Options
	// CacheDir holds the tarball cache (CacheDir/npm/tarballs/…); "" disables the disk cache.
	CacheDir string
	// Limits bounds response sizes.
	Limits Limits
}

// Client reads packuments and tarballs from npm registries. It is safe for concurrent use.
type Client struct {
	defaultReg    *url.URL
	defaultRegErr error
	scopes        map[string]*url.URL
	scopeErrs     map[string]error
	tokens        map[string]string

	fetch    *httpfetch.Client
	cacheDir string
	limits   Limits
	log      *slog.Logger

	mu    sync.Mutex
	packs map[string]*packEntry
}

// packEntry is one in-memory packument cache entry; done is closed once p/err are set.
type packEntry struct {
	done chan struct{}
	p    *Packument
	err  error
}

// New returns a Client for cfg. Invalid registry URLs in cfg are reported (as ErrConfig) by the calls
// that would use them.
func New(cfg Config, opts Options) *Client {
	c := &Client{
		scopes:    make(map[string]*url.URL),
		scopeErrs: make(map[string]error),
		tokens:    make(map[string]string, len(cfg.Tokens)),
		cacheDir:  opts.CacheDir,
		limits:    opts.Limits,
		log:       opts.Logger,
		packs:     make(map[string]*packEntry),
	}
	if c.limits.MaxPackumentSize <= 0 {
		c.limits.MaxPackumentSize = DefaultMaxPackumentSize
	}
	if c.limits.MaxTarballSize <= 0 {
		c.limits.MaxTarballSize = DefaultMaxTarballSize
	}
	if c.limits.MaxRetryAfter <= 0 {
		c.limits.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}

	reg := cfg.Registry
	if reg == "" {
		reg = DefaultRegistry
	}
	c.defaultReg, c.defaultRegErr = parseRegistry(reg)
	for scope, reg := range cfg.Scopes {
		if u, err := parseRegistry(reg); err != nil {
			c.scopeErrs[scope] = err
		} else {
			c.scopes[scope] = u
		}
	}
	for key, tok := range cfg.Tokens {
		if k := normalizeNerfDart(strings.TrimSuffix(key, ":_authToken")); k != "" && tok != "" {
			c.tokens[k] = tok
		}
	}

	c.fetch = httpfetch.New(httpfetch.Config{
		Options:        opts.Options, // a nil Logger is discarded there too
		DefaultTimeout: DefaultTimeout,
		MaxRetryAfter:  c.limits.MaxRetryAfter,
		Service:        "npm registry",
		Authorize:      c.authorize,
		TooLarge:       ErrTooLarge,
		NotFound:       ErrNotFound,
		StatusError: func(_, u string, code int) error {
			return &StatusError{URL: u, StatusCode: code}
		},
	})
	return c
}

func parseRegistry(raw string) (*url.URL, error) {
	norm, err := normalizeRegistry(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: registry: %v", ErrConfig, err)
	}
	return url.Parse(norm)
}

// registryFor returns the registry serving name (its scope's registry when configured).
func (c *Client) registryFor(name string) (*url.URL, error) {
	if scope := scopeOf(name); scope != "" {
		if err := c.scopeErrs[scope]; err != nil {
			return nil, fmt.Errorf("%s: %w", scope, err)
		}
		if u := c.scopes[scope]; u != nil {
			return u, nil
		}
	}
	return c.defaultReg, c.defaultRegErr
}

// Packument returns the full packument of name (requested with Accept: application/json). Results are
// kept in memory for the Client's lifetime: asking twice, even concurrently, makes one request. A
// missing package is ErrNotFound.
func (c *Client) Packument(ctx context.Context, name string) (*Packument, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	reg, err := c.registryFor(name)
	if err != nil {
		return nil, fmt.Errorf("fetch packument %s: %w", name, err)
	}
	key := reg.String() + " " + name
	for {
		c.mu.Lock()
		e, ok := c.packs[key]
		if !ok {
			e = &packEntry{done: make(chan struct{})}
			c.packs[key] = e
			c.mu.Unlock()
			e.p, e.err = c.fetchPackument(ctx, reg, name)
			if e.err != nil {
				c.mu.Lock()
				delete(c.packs, key)
				c.mu.Unlock()
			}
			close(e.done)
			return e.p, e.err
		}
		c.mu.Unlock()
		select {
		case <-e.done:
			if e.err != nil && ctx.Err() == nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
				continue // the request we waited for was cancelled by its own caller: try again
			}
			return e.p, e.err
		case <-ctx.Done():
			return nil, fmt.Errorf("fetch packument %s: %w", name, context.Cause(ctx))
		}
	}
}

func (c *Client) fetchPackument(ctx context.Context, reg *url.URL, name string) (*Packument, error) {
	u, err := url.Parse(reg.String() + escapeName(name))
	if err != nil {
		return nil, fmt.Errorf("fetch packument %s: %w", name, err)
	}
	body, err := c.get(ctx, u, reg, "application/json", c.limits.MaxPackumentSize)
	if err != nil {
		return nil, fmt.Errorf("fetch packument %s: %w", name, err)
	}
	p, err := decodePackument(name, body)
	if err != nil {
		return nil, fmt.Errorf("fetch packument %s: %w", name, err)
	}
	return p, nil
}

// Version returns the manifest of name at version, which may also be a dist-tag such as "latest". A
// version the packument does not list is ErrNotFound.
func (c *Client) Version(ctx context.Context, name, version string) (*Manifest, error) {
	p, err := c.Packument(ctx, name)
	if err != nil {
		return nil, err
	}
	if m := p.Versions[version]; m != nil {
		return m, nil
	}
	if tagged, ok := p.DistTags[version]; ok {
		if m := p.Versions[tagged]; m != nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s@%s: %w", name, quoteBounded(version), ErrNotFound)
}

// registryKey carries the registry a request is made for, so that redirects can decide on auth.
type registryKey struct{}

// get fetches u with retries and returns at most limit bytes of a 200 response body. reg is the
// registry the request is made for: it decides the Authorization header of every hop (authorize).
func (c *Client) get(ctx context.Context, u, reg *url.URL, accept string, limit int64) ([]byte, error) {
	return c.fetch.Do(context.WithValue(ctx, registryKey{}, reg), httpfetch.Request{
		Method:      http.MethodGet,
		URL:         u,
		Accept:      accept,
		MaxBodySize: limit,
	})
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	return httpfetch.ParseRetryAfter(v, now)
}

// authorize sets the Authorization header of req (the first request or a redirect hop, whose old
// header httpfetch has removed) by the nerf-dart rules for its target and the registry carried in its
// context, so a registry cannot redirect a token to another host.
func (c *Client) authorize(req *http.Request) {
	reg, _ := req.Context().Value(registryKey{}).(*url.URL)
	if tok := tokenFor(c.tokens, req.URL, reg); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
}
