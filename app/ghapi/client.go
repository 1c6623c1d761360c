// Package ghapi provides GitHub REST API access for the App and the Action: go-github clients
// authenticated as an App installation (ghinstallation) or with a token, a rate-limit-aware transport
// (write spacing, Retry-After and X-RateLimit-Reset, retries, an ETag cache), and PR, the two trees of a
// pull request or a comparison read through the API, which implements analysis/deps.PR.
//
// It must not import app (the webhook server), action, or anything of the engine beyond the PR
// interface's package; tokens and private keys never appear in its errors or logs.
package ghapi

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	ghtoken "github.com/google/go-github/v88/github"
)

// DefaultAPIURL is github.com's REST API.
const DefaultAPIURL = "https://api.github.com"

// MaxCachedInstallations bounds how many installations' transports (token, write spacing) an App keeps;
// the least recently used is dropped beyond it and rebuilt on demand.
const MaxCachedInstallations = 1024

// maxPrivateKeyBytes bounds the PEM text of an App private key (a 4096-bit RSA key is about 3.3 KB).
const maxPrivateKeyBytes = 64 << 10

// AppAuth identifies a GitHub App.
type AppAuth struct {
	AppID      int64
	PrivateKey []byte // PEM (PKCS#1 or PKCS#8 RSA)
	// APIURL is the REST API's base URL: GITHUB_API_URL ("https://HOST/api/v3" on GitHub Enterprise
	// Server, a test server's URL); "" means https://api.github.com.
	APIURL string
}

// App makes API clients for the installations of one GitHub App. It is safe for concurrent use.
type App struct {
	id     int64
	key    *rsa.PrivateKey
	apiURL string
	base   http.RoundTripper
	opts   TransportOptions
	cache  *etagCache
	jwt    *ghinstallation.AppsTransport

	mu       sync.Mutex
	installs map[int64]*installation
	slug     string
}

type installation struct {
	itr      *ghinstallation.Transport
	client   *github.Client
	lastUsed time.Time
}

// NewApp returns an App authenticating with auth through base (http.DefaultTransport when nil), with the
// default TransportOptions.
func NewApp(auth AppAuth, base http.RoundTripper) (*App, error) {
	return NewAppWithOptions(auth, base, TransportOptions{})
}

// NewAppWithOptions is NewApp with transport options (metrics hooks, limits). Every installation gets its
// own transport (so writes are spaced per installation) over one shared, bounded ETag cache whose
// entries are kept apart by installation.
func NewAppWithOptions(auth AppAuth, base http.RoundTripper, o TransportOptions) (*App, error) {
	if auth.AppID <= 0 {
		return nil, errors.New("GitHub App: the App ID must be a positive number")
	}
	key, err := parsePrivateKey(auth.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d: %w", auth.AppID, err)
	}
	api, err := apiBase(auth.APIURL)
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = defaultBase()
	}
	o = o.withDefaults()
	a := &App{id: auth.AppID, key: key, apiURL: api, base: base, opts: o, installs: map[int64]*installation{}}
	if o.CacheEntries > 0 {
		a.cache = newETagCache(o.CacheEntries, o.CacheBytes, o.CacheEntryBytes)
	}
	a.jwt = ghinstallation.NewAppsTransportFromPrivateKey(newTransport(base, o, a.cache, "app"), auth.AppID, key)
	a.jwt.BaseURL = api
	return a, nil
}

// parsePrivateKey reads an RSA private key from PEM; its errors never quote the key.
func parsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	if len(pemBytes) == 0 {
		return nil, errors.New("no private key")
	}
	if len(pemBytes) > maxPrivateKeyBytes {
		return nil, fmt.Errorf("private key is over %d bytes", maxPrivateKeyBytes)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("private key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("private key is neither a PKCS#1 nor a PKCS#8 RSA key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("private key is not an RSA key")
	}
	return rk, nil
}

// apiBase validates a REST API base URL and returns it without a trailing slash.
func apiBase(apiURL string) (string, error) {
	if apiURL == "" {
		return DefaultAPIURL, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("GitHub API URL %q: want http(s)://host[/path]", redactURL(apiURL))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// redactURL drops user information from a URL for an error message; a URL that does not parse loses
// everything between "://" and its last "@" (a password may itself hold an "@").
func redactURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err == nil && u.User != nil:
		u.User = nil
		s = u.String()
	case err != nil && strings.Contains(s, "://"):
		if i := strings.LastIndex(s, "@"); i >= 0 {
			s = s[:strings.Index(s, "://")+3] + s[i+1:]
		}
	}
	return truncateString(s, 200)
}

// defaultBase is http.DefaultTransport's configuration with a bound on the wait for response headers.
func defaultBase() http.RoundTripper {
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	tr = tr.Clone()
	tr.ResponseHeaderTimeout = 2 * time.Minute
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return tr
}

// newClient returns a go-github client over rt for the API at api (no trailing slash). GitHub
// Enterprise Server's "https://HOST/api/v3" gets its uploads URL "https://HOST/api/uploads/".
func newClient(rt http.RoundTripper, api string) *github.Client {
	c := github.NewClient(&http.Client{Transport: rt})
	if api == DefaultAPIURL {
		return c
	}
	base, _ := url.Parse(api + "/") // validated by apiBase
	c.BaseURL = base
	upload := *base
	if strings.HasSuffix(upload.Path, "/api/v3/") {
		upload.Path = strings.TrimSuffix(upload.Path, "v3/") + "uploads/"
	}
	c.UploadURL = &upload
	return c
}

// Client returns the API client of an installation. Clients are cached: one ghinstallation transport per
// installation, whose token is fetched on first use and refreshed a minute before it expires.
func (a *App) Client(installationID int64) (*github.Client, error) {
	in, err := a.installation(installationID)
	if err != nil {
		return nil, err
	}
	return in.client, nil
}

// Token returns an installation access token, e.g. to read public upstream repositories on github.com.
func (a *App) Token(ctx context.Context, installationID int64) (string, error) {
	in, err := a.installation(installationID)
	if err != nil {
		return "", err
	}
	tok, err := in.itr.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("installation %d token: %w", installationID, err)
	}
	return tok, nil
}

// AppClient returns a client authenticated as the App itself (a JWT), for the /app routes.
func (a *App) AppClient() *github.Client { return newClient(a.jwt, a.apiURL) }

// ID returns the App's ID.
func (a *App) ID() int64 { return a.id }

// Login returns the App's bot login, "<slug>[bot]", asking GET /app once.
func (a *App) Login(ctx context.Context) (string, error) {
	a.mu.Lock()
	slug := a.slug
	a.mu.Unlock()
	if slug == "" {
		app, _, err := a.AppClient().Apps.Get(ctx, "")
		if err != nil {
			return "", fmt.Errorf("read the App's slug: %w", err)
		}
		if slug = app.GetSlug(); slug == "" {
			return "", errors.New("read the App's slug: GitHub answered none")
		}
		a.mu.Lock()
		a.slug = slug
		a.mu.Unlock()
	}
	return slug + "[bot]", nil
}

func (a *App) installation(id int64) (*installation, error) {
	if id <= 0 {
		return nil, fmt.Errorf("installation id %d: must be positive", id)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if in := a.installs[id]; in != nil {
		in.lastUsed = now
		return in, nil
	}
	if len(a.installs) >= MaxCachedInstallations {
		var oldest int64
		for k, in := range a.installs {
			if oldest == 0 || in.lastUsed.Before(a.installs[oldest].lastUsed) {
				oldest = k
			}
		}
		delete(a.installs, oldest)
	}
	tr := newTransport(a.base, a.opts, a.cache, fmt.Sprintf("installation:%d", id))
	atr := ghinstallation.NewAppsTransportFromPrivateKey(tr, a.id, a.key)
	atr.BaseURL = a.apiURL
	itr := ghinstallation.NewFromAppsTransport(atr, id)
	itr.BaseURL = a.apiURL
	// Without options ghinstallation posts the JSON body "null", which GitHub's description does not
	// allow; an empty object asks for the installation's full access just the same.
	itr.InstallationTokenOptions = &ghtoken.InstallationTokenOptions{}
	in := &installation{itr: itr, client: newClient(itr, a.apiURL), lastUsed: now}
	a.installs[id] = in
	return in, nil
}

// NewTokenClient returns a client authenticating with token (the Action's GITHUB_TOKEN, a personal
// token) at apiURL ("" means https://api.github.com), through NewTransport over base.
func NewTokenClient(apiURL, token string, base http.RoundTripper) (*github.Client, error) {
	return NewTokenClientWithOptions(apiURL, token, base, TransportOptions{})
}

// NewTokenClientWithOptions is NewTokenClient with transport options.
func NewTokenClientWithOptions(apiURL, token string, base http.RoundTripper, o TransportOptions) (*github.Client, error) {
	api, err := apiBase(apiURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("GitHub token is empty")
	}
	if base == nil {
		base = defaultBase()
	}
	return newClient(NewTransport(base, o), api).WithAuthToken(token), nil
}
