package ghapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of TransportOptions.
const (
	// DefaultMinWriteInterval spaces mutating requests of one installation or token ≥1 s apart, as GitHub's
	// best practices ask (content-creating requests count against a secondary limit of 80 a minute).
	DefaultMinWriteInterval = time.Second
	// DefaultMaxWait is the longest wait a rate-limited request is held for before it fails with a
	// *RateLimitError (which says when to retry): a queue can reschedule the job instead of blocking a
	// worker until an hourly reset.
	DefaultMaxWait = 2 * time.Minute
	// DefaultRetries is how many times a request is repeated after a rate limit, a 5xx answer to a GET or
	// a network error of a GET.
	DefaultRetries = 3
	// DefaultCacheEntries and DefaultCacheBytes bound the conditional-request (ETag) cache of one
	// transport; DefaultCacheEntryBytes bounds one cached body (larger responses are not cached).
	DefaultCacheEntries    = 512
	DefaultCacheBytes      = 32 << 20
	DefaultCacheEntryBytes = 4 << 20
)

// secondaryBackoff is the first wait after a secondary rate limit that says nothing about when to
// retry: GitHub's documentation asks for at least one minute, then exponentially longer.
const secondaryBackoff = time.Minute

// serverErrorBackoff is the first wait before a GET that got a 5xx answer or a network error is repeated
// (doubled on each further attempt).
const serverErrorBackoff = time.Second

// maxErrorBody bounds how much of a 403 or 429 body is read to tell a secondary rate limit from a
// permission error.
const maxErrorBody = 64 << 10

// TransportOptions configure NewTransport. The zero value gives the defaults.
type TransportOptions struct {
	// MinWriteInterval is the least time between the starts of two mutating requests (anything but GET
	// and HEAD, except App token requests) sent through one transport; 0 means DefaultMinWriteInterval,
	// a negative value no spacing.
	MinWriteInterval time.Duration
	// MaxWait is the longest Retry-After or X-RateLimit-Reset wait honoured before the request fails
	// with a *RateLimitError; 0 means DefaultMaxWait.
	MaxWait time.Duration
	// Retries is how many times one request may be repeated; 0 means DefaultRetries, negative none.
	Retries int
	// OnResponse, when set, is called for every answer (each attempt): the method, the route with its
	// parameters replaced (see Route) and the status (0 when no answer came).
	OnResponse func(method, route string, status int)
	// OnRateLimit, when set, receives X-RateLimit-Remaining of every answer that carries it.
	OnRateLimit func(remaining int)
	// CacheEntries, CacheBytes and CacheEntryBytes bound the ETag cache (0: the defaults); a negative
	// CacheEntries disables it.
	CacheEntries    int
	CacheBytes      int64
	CacheEntryBytes int64
	// Now and Sleep replace the clock in tests (time.Now and a timer honouring ctx when nil).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o TransportOptions) withDefaults() TransportOptions {
	if o.MinWriteInterval == 0 {
		o.MinWriteInterval = DefaultMinWriteInterval
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.CacheEntries == 0 {
		o.CacheEntries = DefaultCacheEntries
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.CacheEntryBytes <= 0 {
		o.CacheEntryBytes = min(DefaultCacheEntryBytes, o.CacheBytes)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return o
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RateLimitError is returned (wrapped in the *url.Error of net/http) when GitHub's rate limit would keep
// a request waiting longer than TransportOptions.MaxWait, or is still hit after every retry. RetryAt says
// when the request may succeed.
type RateLimitError struct {
	Method, Route string
	StatusCode    int
	// Secondary is true for a secondary (abuse) limit, false for the primary hourly limit.
	Secondary bool
	RetryAt   time.Time
}

// Error says which limit was hit and when to retry; it never includes credentials.
func (e *RateLimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	return fmt.Sprintf("%s %s: GitHub %s rate limit (HTTP %d); retry after %s", e.Method, e.Route, kind, e.StatusCode,
		e.RetryAt.UTC().Format(time.RFC3339))
}

// NewTransport wraps base (http.DefaultTransport when nil) for GitHub's REST API: it spaces mutating
// requests, honours Retry-After and X-RateLimit-Reset on 403 and 429 answers (waiting up to MaxWait,
// then failing with *RateLimitError), repeats GETs that got a 5xx answer or a network error, and answers
// repeated GETs from an ETag cache when GitHub says 304 Not Modified (which costs no rate limit).
// Authorization headers pass through untouched and never appear in its errors.
func NewTransport(base http.RoundTripper, o TransportOptions) http.RoundTripper {
	o = o.withDefaults()
	var cache *etagCache
	if o.CacheEntries > 0 {
		cache = newETagCache(o.CacheEntries, o.CacheBytes, o.CacheEntryBytes)
	}
	return newTransport(base, o, cache, "")
}

// newTransport is NewTransport with a cache that may be shared by several transports (their entries
// kept apart by scope); o must have its defaults applied.
func newTransport(base http.RoundTripper, o TransportOptions, cache *etagCache, scope string) *transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, o: o, cache: cache, scope: scope}
}

type transport struct {
	base  http.RoundTripper
	o     TransportOptions
	cache *etagCache
	scope string

	mu        sync.Mutex
	nextWrite time.Time // the earliest start of the next mutating request
}

// isWrite reports whether req mutates state in a way GitHub asks clients to space out.
func isWrite(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return !strings.Contains(req.URL.Path, "/app/installations/") // App token requests are not content writes
}

// retrySafe reports whether a request may be repeated after a 5xx answer or a network error: it must
// not have had an effect. GETs are; so are installation token requests (a second token is harmless).
func retrySafe(req *http.Request) bool {
	return req.Method == http.MethodGet || req.Method == http.MethodHead ||
		(req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/access_tokens"))
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	route := Route(req.URL.Path)
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	var cached *cacheEntry
	key := ""
	if t.cache != nil && req.Method == http.MethodGet && req.Header.Get("Range") == "" && req.Header.Get("If-None-Match") == "" {
		key = t.scope + "\x00" + req.URL.String() + "\x00" + req.Header.Get("Accept")
		cached = t.cache.get(key)
	}
	secondaryWaits := 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("%s %s: replay request body: %w", req.Method, route, err)
			}
			req = req.Clone(ctx)
			req.Body = body
		}
		if isWrite(req) {
			if err := t.spaceWrite(ctx); err != nil {
				return nil, err
			}
		}
		send := req
		if cached != nil {
			send = req.Clone(ctx)
			send.Header.Set("If-None-Match", cached.etag)
		}
		resp, err := t.base.RoundTrip(send)
		if err != nil {
			t.observe(req.Method, route, 0, nil)
			if ctx.Err() != nil || !retrySafe(req) || !replayable || attempt >= t.o.Retries {
				return nil, err
			}
			if werr := t.o.Sleep(ctx, backoff(serverErrorBackoff, attempt)); werr != nil {
				return nil, werr
			}
			continue
		}
		t.observe(req.Method, route, resp.StatusCode, resp.Header)
		switch {
		case resp.StatusCode == http.StatusNotModified && cached != nil:
			t.cache.hit()
			return cached.response(req, resp), nil
		case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
			wait, secondary, limited, resp := t.rateLimitWait(resp, secondaryWaits)
			if !limited {
				return resp, nil
			}
			if secondary {
				secondaryWaits++
			}
			rl := &RateLimitError{Method: req.Method, Route: route, StatusCode: resp.StatusCode, Secondary: secondary, RetryAt: t.o.Now().Add(wait)}
			if wait > t.o.MaxWait || attempt >= t.o.Retries || !replayable {
				drain(resp)
				return nil, rl
			}
			drain(resp)
			if err := t.o.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		case resp.StatusCode >= 500 && retrySafe(req) && replayable && attempt < t.o.Retries:
			drain(resp)
			if err := t.o.Sleep(ctx, backoff(serverErrorBackoff, attempt)); err != nil {
				return nil, err
			}
			continue
		case resp.StatusCode == http.StatusOK && key != "":
			return t.cache.store(key, resp), nil
		}
		return resp, nil
	}
}

// spaceWrite reserves the next slot for a mutating request and waits for it.
func (t *transport) spaceWrite(ctx context.Context) error {
	if t.o.MinWriteInterval < 0 {
		return nil
	}
	t.mu.Lock()
	now := t.o.Now()
	start := now
	if t.nextWrite.After(now) {
		start = t.nextWrite
	}
	t.nextWrite = start.Add(t.o.MinWriteInterval)
	t.mu.Unlock()
	return t.o.Sleep(ctx, start.Sub(now))
}

func (t *transport) observe(method, route string, status int, h http.Header) {
	if t.o.OnResponse != nil {
		t.o.OnResponse(method, route, status)
	}
	if t.o.OnRateLimit != nil && h != nil {
		if n, err := strconv.Atoi(h.Get("X-RateLimit-Remaining")); err == nil {
			t.o.OnRateLimit(n)
		}
	}
}

// rateLimitWait tells whether a 403 or 429 answer is a rate limit and how long to wait before repeating
// the request. It may read the body to tell a secondary limit from a permission error; the response it
// returns has its body intact.
func (t *transport) rateLimitWait(resp *http.Response, secondaryWaits int) (wait time.Duration, secondary, limited bool, out *http.Response) {
	h := resp.Header
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, !isPrimary(h), true, resp
		}
		if at, err := http.ParseTime(ra); err == nil {
			return max(at.Sub(t.o.Now()), 0), !isPrimary(h), true, resp
		}
	}
	if isPrimary(h) {
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			// One second of margin: GitHub's reset time is whole seconds.
			return max(time.Unix(reset, 0).Sub(t.o.Now())+time.Second, 0), false, true, resp
		}
		return backoff(secondaryBackoff, secondaryWaits), false, true, resp
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	rest := resp.Body
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), rest), rest}
	if err != nil {
		return 0, false, false, resp
	}
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	_ = json.Unmarshal(body, &e)
	msg := strings.ToLower(e.Message)
	if resp.StatusCode == http.StatusTooManyRequests || strings.Contains(e.DocumentationURL, "secondary-rate-limits") ||
		strings.Contains(e.DocumentationURL, "abuse-rate-limits") || strings.Contains(msg, "secondary rate limit") ||
		strings.Contains(msg, "abuse detection") {
		return backoff(secondaryBackoff, secondaryWaits), true, true, resp
	}
	return 0, false, false, resp
}

// isPrimary reports whether the answer says the primary (hourly) limit is used up.
func isPrimary(h http.Header) bool { return h.Get("X-RateLimit-Remaining") == "0" }

// backoff is first doubled attempt times (capped to keep the arithmetic in range).
func backoff(first time.Duration, attempt int) time.Duration {
	return first << min(attempt, 10)
}

// drain discards a little of an abandoned response's body so the connection can be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Route returns the path of a REST API request with its parameters replaced, a label of bounded
// cardinality for metrics: "/repos/{owner}/{repo}/pulls/{id}/files". Owner and repository names, the
// rest of a contents path or a comparison, and segments with digits, dots or escapes (ids, numbers,
// commit ids) are parameters. A GitHub Enterprise Server "/api/v3" prefix is dropped.
func Route(path string) string {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v3"), "/"), "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		switch {
		case i == 1 && (segs[0] == "repos" || segs[0] == "users" || segs[0] == "orgs"):
			out = append(out, "{owner}")
		case i == 2 && segs[0] == "repos":
			out = append(out, "{repo}")
		case i > 3 && segs[0] == "repos" && (segs[3] == "contents" || segs[3] == "compare"):
			out = append(out, "{"+segs[3]+"}")
			return "/" + strings.Join(out, "/")
		case strings.ContainsAny(s, "0123456789%.") || len(s) > 40:
			out = append(out, "{id}")
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// etagCache keeps the last 200 answer of GET requests that carried an ETag, bounded in entries and
// bytes, least recently used out first.
type etagCache struct {
	mu                      sync.Mutex
	maxEntries              int
	maxBytes, maxEntryBytes int64
	bytes                   int64
	entries                 map[string]*cacheEntry
	head                    *cacheEntry // most recently used; a circular list through prev/next
	hits, stores, evicted   int
}

type cacheEntry struct {
	key        string
	etag       string
	header     http.Header
	body       []byte
	prev, next *cacheEntry
}

func newETagCache(entries int, bytes, entryBytes int64) *etagCache {
	return &etagCache{maxEntries: entries, maxBytes: bytes, maxEntryBytes: entryBytes, entries: map[string]*cacheEntry{}}
}

func (c *etagCache) get(key string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e != nil {
		c.unlink(e)
		c.pushFront(e)
	}
	return e
}

// store caches resp when it has an ETag and a body of at most maxEntryBytes, and returns a response
// with the same body for the caller.
func (c *etagCache) store(key string, resp *http.Response) *http.Response {
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.ContentLength > c.maxEntryBytes {
		return resp
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxEntryBytes+1))
	rest := resp.Body
	if err != nil || int64(len(body)) > c.maxEntryBytes {
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), errReader{err}, rest), rest}
		return resp
	}
	rest.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := &cacheEntry{key: key, etag: etag, header: resp.Header.Clone(), body: body}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.remove(old)
	}
	c.entries[key] = e
	c.pushFront(e)
	c.bytes += int64(len(body))
	c.stores++
	for (len(c.entries) > c.maxEntries || c.bytes > c.maxBytes) && c.head != nil {
		c.remove(c.head.prev)
		c.evicted++
	}
	return resp
}

// errReader reports err once the readers before it are exhausted (nil: plain EOF).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

func (c *etagCache) pushFront(e *cacheEntry) {
	if c.head == nil {
		e.prev, e.next = e, e
	} else {
		e.next, e.prev = c.head, c.head.prev
		c.head.prev.next = e
		c.head.prev = e
	}
	c.head = e
}

func (c *etagCache) unlink(e *cacheEntry) {
	if e.next == e {
		c.head = nil
	} else {
		e.prev.next, e.next.prev = e.next, e.prev
		if c.head == e {
			c.head = e.next
		}
	}
	e.prev, e.next = nil, nil
}

func (c *etagCache) remove(e *cacheEntry) {
	c.unlink(e)
	delete(c.entries, e.key)
	c.bytes -= int64(len(e.body))
}

// response is the cached answer to req, served for a 304: the cached headers with the rate-limit headers
// of the 304 (so the client's rate bookkeeping stays current).
func (e *cacheEntry) response(req *http.Request, notModified *http.Response) *http.Response {
	drain(notModified)
	h := e.header.Clone()
	for k, v := range notModified.Header {
		if strings.HasPrefix(k, "X-Ratelimit-") {
			h[k] = v
		}
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: notModified.Proto, ProtoMajor: notModified.ProtoMajor,
		ProtoMinor: notModified.ProtoMinor, Header: h, Body: io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)), Request: req,
	}
}

func (c *etagCache) hit() {
	c.mu.Lock()
	c.hits++
	c.mu.Unlock()
}

// stats returns the cache's counters (for tests).
func (c *etagCache) stats() (entries int, bytes int64, hits, stores, evicted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.bytes, c.hits, c.stores, c.evicted
}
