package source

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultGitHubURL is where github.com repositories are fetched from unless
// Fetcher.GitHubURL says otherwise.
const DefaultGitHubURL = "https://github.com"

// lockPollInterval is how often a waiting Open retries a held mirror lock.
const lockPollInterval = 100 * time.Millisecond

// sizePollInterval is how often a running fetch checks the mirror's size.
const sizePollInterval = 250 * time.Millisecond

// resolveTimeout bounds the DNS lookup of a claimed host.
const resolveTimeout = 15 * time.Second

// Fetcher fetches claimed repositories into bare mirrors under CacheDir. The
// zero value fetches github.com anonymously into the user cache directory.
// A Fetcher is safe for concurrent use; it must not be copied after first use.
type Fetcher struct {
	// GitHubURL is where github.com repositories are fetched from (a mirror
	// or test server); default DefaultGitHubURL. Set from MCPVET_GITHUB_URL.
	// Its host is implicitly allowed (and plain http with it).
	GitHubURL string
	// GitHubToken, when set, is sent (as git's http.extraHeader, through the
	// environment, never argv) only to GitHubURL. Set from MCPVET_GITHUB_TOKEN.
	GitHubToken string
	// CacheDir holds mirrors as <CacheDir>/git/<host>/<owner>/<repo>.git;
	// default <user cache dir>/mcpvet.
	CacheDir string
	// AllowedHosts are configured servers ("host:port", or "http://host:port"
	// to also allow plain http) that may resolve to loopback or private
	// addresses: test servers and internal mirrors.
	AllowedHosts []string
	// Timeout bounds one fetch (default DefaultFetchTimeout); a mirror lock
	// older than Timeout plus a minute is considered stale.
	Timeout time.Duration
	// Limits bounds fetched mirrors and the Repos Open returns.
	Limits Limits
	// Logger receives progress at debug/info level; nil discards.
	Logger *slog.Logger

	mu    sync.Mutex
	locks map[string]chan struct{}
	// parent, set by WithToken, owns the in-process mirror locks this copy shares.
	parent *Fetcher
	// lookup resolves host names (tests replace it); nil means the system
	// resolver.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// trace sees every git argv (tests).
	trace func(argv []string)
}

func (f *Fetcher) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout <= 0 {
		return DefaultFetchTimeout
	}
	return f.Timeout
}

func (f *Fetcher) cacheDir() (string, error) {
	if f.CacheDir != "" {
		return filepath.Abs(f.CacheDir)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w", err)
	}
	return filepath.Join(d, "mcpvet"), nil
}

// gitHubBase parses GitHubURL: http(s), no credentials, query or fragment.
func (f *Fetcher) gitHubBase() (*url.URL, error) {
	raw := f.GitHubURL
	if raw == "" {
		raw = DefaultGitHubURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, refused("GitHub URL is malformed")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, refused("GitHub URL scheme %q is not https", u.Scheme)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, refused("GitHub URL must be a plain http(s) URL")
	}
	return u, nil
}

// hostPort returns the lower-case "host:port" of u, with the default port.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// allowed returns the configured hosts ("host:port") and whether each may be
// reached over plain http.
func (f *Fetcher) allowed(base *url.URL) map[string]bool {
	m := map[string]bool{hostPort(base): base.Scheme == "http"}
	for _, h := range f.AllowedHosts {
		h = strings.TrimSpace(strings.ToLower(h))
		httpOK := false
		switch {
		case strings.HasPrefix(h, "http://"):
			h, httpOK = strings.TrimPrefix(h, "http://"), true
		case strings.HasPrefix(h, "https://"):
			h = strings.TrimPrefix(h, "https://")
		}
		h = strings.TrimRight(h, "/")
		if _, _, err := net.SplitHostPort(h); err != nil {
			port := "443"
			if httpOK {
				port = "80"
			}
			h = net.JoinHostPort(h, port)
		}
		m[h] = m[h] || httpOK
	}
	return m
}

// remote is one URL to fetch a claim from, with the git settings it needs.
type remote struct {
	url     string
	cfg     []string // extra -c settings (protocol.http.allow, curloptResolve)
	env     []string // GIT_CONFIG_* carrying the token
	secrets []string
}

// remoteURLs maps a claim to the URLs to try, in order: github.com claims to
// GitHubURL/<owner>/<repo>.git, others to https://<host>/<path>.git and then
// without .git (plain http only for hosts allowed with "http://").
func (f *Fetcher) remoteURLs(c Claim, base *url.URL) []string {
	if c.Host == hostGitHub {
		return []string{base.String() + "/" + c.Owner + "/" + c.Repo + ".git"}
	}
	scheme := "https://"
	hp := c.Host
	if _, _, err := net.SplitHostPort(hp); err != nil {
		hp = net.JoinHostPort(hp, "443")
	}
	if f.allowed(base)[hp] {
		scheme = "http://"
	}
	p := scheme + c.Host + "/" + c.Owner + "/" + c.Repo
	return []string{p + ".git", p}
}

// checkRemote applies the SSRF policy to raw and returns how to reach it.
func (f *Fetcher) checkRemote(ctx context.Context, raw string, base *url.URL) (remote, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return remote{}, refused("malformed URL")
	}
	if u.User != nil {
		return remote{}, refused("URL carries credentials")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return remote{}, refused("scheme %q is not https", u.Scheme)
	}
	if u.Hostname() == "" {
		return remote{}, refused("URL has no host")
	}
	hp := hostPort(u)
	allowed := f.allowed(base)
	rm := remote{url: u.String()}
	httpOK, isAllowed := allowed[hp]
	if u.Scheme == "http" {
		if !isAllowed || !httpOK {
			return remote{}, refused("plain http to %s is not allowed", hp)
		}
		rm.cfg = append(rm.cfg, "protocol.http.allow=always")
	}
	if hp == hostPort(base) && f.GitHubToken != "" {
		header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+f.GitHubToken))
		rm.env = append(rm.env,
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http."+base.String()+"/.extraHeader",
			"GIT_CONFIG_VALUE_0="+header,
		)
		rm.secrets = append(rm.secrets, f.GitHubToken, header[len("Authorization: Basic "):])
	}
	if isAllowed {
		return rm, nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		defer cancel()
		lookup := f.lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		addrs, err = lookup(lctx, host)
		if err != nil {
			return remote{}, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return remote{}, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	var pinned []string
	for _, a := range addrs {
		if !isPublicAddr(a) {
			return remote{}, refused("%s resolves to non-public address %s", host, a)
		}
		a = a.Unmap()
		if a.Is6() {
			pinned = append(pinned, "["+a.String()+"]")
		} else {
			pinned = append(pinned, a.String())
		}
	}
	if _, err := netip.ParseAddr(host); err != nil {
		_, port, _ := net.SplitHostPort(hp)
		// Pin git (curl) to the addresses just checked: no DNS rebinding.
		rm.cfg = append(rm.cfg, "http.curloptResolve="+host+":"+port+":"+strings.Join(pinned, ","))
	}
	return rm, nil
}

// nonPublicPrefixes are special-purpose ranges not covered by netip's
// predicates.
func nonPublicPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// isPublicAddr reports whether a is a globally routable unicast address:
// not loopback, private, link-local, unspecified, multicast, CGNAT or
// another special-purpose range.
func isPublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || a.Zone() != "" {
		return false
	}
	for _, p := range nonPublicPrefixes() {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// mirrorPath is <cache>/git/<host>/<owner>/<repo>.git (GitHub names
// lower-cased, since GitHub treats them case-insensitively).
func mirrorPath(cache string, c Claim) string {
	owner, repo := c.Owner, c.Repo
	if c.Host == hostGitHub {
		owner, repo = strings.ToLower(owner), strings.ToLower(repo)
	}
	parts := []string{cache, "git", strings.ReplaceAll(c.Host, ":", "_")}
	parts = append(parts, strings.Split(owner, "/")...)
	parts = append(parts, repo+".git")
	return filepath.Join(parts...)
}

// Open fetches the claimed repository into its mirror (creating it, or
// updating it incrementally) and opens it. Errors: ErrInvalidClaim,
// ErrRefused (SSRF policy, with the reason), ErrRepoNotFound, ErrTooLarge
// (mirror over Limits.MaxMirrorBytes), or a wrapped fetch error.
func (f *Fetcher) Open(ctx context.Context, c Claim) (*Repo, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	base, err := f.gitHubBase()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	cache, err := f.cacheDir()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	limits := f.Limits.withDefaults()
	urls := f.remoteURLs(c, base)
	// Check the policy before touching the disk.
	remotes := make([]remote, 0, len(urls))
	for _, u := range urls {
		rm, err := f.checkRemote(ctx, u, base)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", c, err)
		}
		remotes = append(remotes, rm)
	}
	home := filepath.Join(cache, "git", ".home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	rn, err := newRunner(home)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	rn.trace = f.trace
	rn.cfg = append(rn.cfg, "fetch.unpackLimit=1")
	mirror := mirrorPath(cache, c)
	unlock, err := f.lock(ctx, mirror)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	defer unlock()
	fresh := false
	if _, err := os.Stat(filepath.Join(mirror, "HEAD")); err != nil {
		fresh = true
		if err := os.RemoveAll(mirror); err != nil {
			return nil, fmt.Errorf("open %s: %w", c, err)
		}
		if err := os.MkdirAll(filepath.Dir(mirror), 0o755); err != nil {
			return nil, fmt.Errorf("open %s: %w", c, err)
		}
		if _, err := rn.output(ctx, "", 1<<16, "init", "--bare", "--quiet", "--template=", mirror); err != nil {
			return nil, fmt.Errorf("open %s: init mirror: %w", c, err)
		}
	}
	for i, rm := range remotes {
		start := time.Now()
		f.logger().Info("fetching repository", "repo", c.String(), "url", rm.url, "fresh", fresh)
		err = f.fetch(ctx, rn.with(rm.cfg, rm.env, rm.secrets), mirror, rm.url, limits.MaxMirrorBytes)
		if err == nil {
			f.logger().Info("fetched repository", "repo", c.String(), "ms", time.Since(start).Milliseconds())
			break
		}
		if errors.Is(err, ErrRepoNotFound) && i+1 < len(remotes) {
			continue
		}
		if fresh || errors.Is(err, ErrTooLarge) {
			os.RemoveAll(mirror)
		}
		return nil, fmt.Errorf("fetch %s: %w", c, err)
	}
	r, err := openRepo(ctx, mirror, c, limits, f.logger())
	if err != nil {
		return nil, err
	}
	r.rn.trace = f.trace
	return r, nil
}

// fetch runs one `git fetch` into mirror, killing it when the mirror grows
// past maxBytes or the timeout passes.
func (f *Fetcher) fetch(ctx context.Context, rn *runner, mirror, remoteURL string, maxBytes int64) error {
	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	var tooBig atomic.Bool
	done := make(chan struct{})
	watchdog := make(chan struct{})
	go func() {
		defer close(watchdog)
		t := time.NewTicker(sizePollInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if n, _ := dirSize(mirror, maxBytes); n > maxBytes {
					tooBig.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	_, err := rn.output(ctx, mirror, 1<<20, "fetch", "--prune", "--no-tags", "--quiet", "--no-write-fetch-head",
		"--no-auto-gc", "--no-recurse-submodules", "--", remoteURL,
		"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
	close(done)
	<-watchdog
	if n, serr := dirSize(mirror, maxBytes); tooBig.Load() || (serr == nil && n > maxBytes) {
		return fmt.Errorf("mirror exceeds %d bytes: %w", maxBytes, ErrTooLarge)
	}
	if err == nil {
		return nil
	}
	var ge *gitError
	if errors.As(err, &ge) {
		return classifyFetchError(ge)
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("fetch timed out after %s: %w", f.timeout(), err)
	}
	return err
}

// classifyFetchError maps git's complaints to typed errors.
func classifyFetchError(ge *gitError) error {
	s := strings.ToLower(ge.Stderr)
	switch {
	case strings.Contains(s, "repository not found"),
		strings.Contains(s, "not found") && strings.Contains(s, "repository '"),
		strings.Contains(s, "returned error: 404"),
		strings.Contains(s, "returned error: 410"),
		// GitHub answers 401 for repositories that do not exist or are private.
		strings.Contains(s, "returned error: 401"),
		strings.Contains(s, "could not read username"),
		strings.Contains(s, "authentication failed"):
		return fmt.Errorf("%w: %w", ErrRepoNotFound, ge)
	case strings.Contains(s, "returned error: 301"), strings.Contains(s, "returned error: 302"),
		strings.Contains(s, "returned error: 303"), strings.Contains(s, "returned error: 307"),
		strings.Contains(s, "returned error: 308"), strings.Contains(s, "redirect"):
		return fmt.Errorf("%w: %w", &RefusedError{Reason: "the server redirected (redirects are not followed)"}, ge)
	}
	return ge
}

// dirSize sums the sizes of regular files under dir, stopping early once the
// total exceeds max.
func dirSize(dir string, max int64) (int64, error) {
	var total int64
	errStop := errors.New("stop")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // files come and go during a fetch
			}
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return nil
			}
			total += info.Size()
			if total > max {
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return total, err
	}
	return total, nil
}

// WithToken returns a Fetcher like f that sends token to github.com upstreams (GitHubURL), sharing f's
// in-process mirror locks, so that copies made for different callers (the App's installations) still
// take turns on the same mirror.
func (f *Fetcher) WithToken(token string) *Fetcher {
	root := f.root()
	return &Fetcher{GitHubURL: f.GitHubURL, GitHubToken: token, CacheDir: f.CacheDir, AllowedHosts: f.AllowedHosts,
		Timeout: f.Timeout, Limits: f.Limits, Logger: f.Logger, lookup: f.lookup, trace: f.trace, parent: root}
}

// root is the Fetcher that owns the mirror locks f uses.
func (f *Fetcher) root() *Fetcher {
	for f.parent != nil {
		f = f.parent
	}
	return f
}

// lock takes the mirror's in-process lock and its lock file (created with
// O_EXCL; stale after the fetch timeout plus a minute).
func (f *Fetcher) lock(ctx context.Context, mirror string) (func(), error) {
	root := f.root()
	root.mu.Lock()
	if root.locks == nil {
		root.locks = map[string]chan struct{}{}
	}
	ch, ok := root.locks[mirror]
	if !ok {
		ch = make(chan struct{}, 1)
		root.locks[mirror] = ch
	}
	root.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for mirror lock: %w", ctx.Err())
	}
	release := func() { <-ch }
	if err := os.MkdirAll(filepath.Dir(mirror), 0o755); err != nil {
		release()
		return nil, err
	}
	lockPath := mirror + ".lock"
	stale := f.timeout() + time.Minute
	for {
		fd, err := os.OpenFile(lockPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(fd, "%d\n", os.Getpid())
			fd.Close()
			return func() {
				os.Remove(lockPath)
				release()
			}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			release()
			return nil, fmt.Errorf("mirror lock: %w", err)
		}
		if st, err := os.Stat(lockPath); err == nil && time.Since(st.ModTime()) > stale {
			f.logger().Warn("removing stale mirror lock", "path", lockPath, "age", time.Since(st.ModTime()).String())
			os.Remove(lockPath)
			continue
		}
		select {
		case <-time.After(lockPollInterval):
		case <-ctx.Done():
			release()
			return nil, fmt.Errorf("wait for mirror lock %s: %w", lockPath, ctx.Err())
		}
	}
}

// String describes the fetcher's configuration without secrets.
func (f *Fetcher) String() string {
	u := f.GitHubURL
	if u == "" {
		u = DefaultGitHubURL
	}
	return "source.Fetcher{GitHubURL: " + strconv.Quote(u) + ", token: " + strconv.FormatBool(f.GitHubToken != "") + "}"
}
