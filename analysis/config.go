package analysis

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
	"github.com/mcpvet/mcpvet/analysis/osv"
	"github.com/mcpvet/mcpvet/analysis/provenance"
	"github.com/mcpvet/mcpvet/analysis/pypi"
	"github.com/mcpvet/mcpvet/analysis/registry"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/scorecard/localcheck"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// Environment variables the engine reads (DESIGN.md §4).
const (
	EnvCacheDir    = "MCPVET_CACHE_DIR"
	EnvGitHubURL   = "MCPVET_GITHUB_URL"
	EnvGitHubToken = "MCPVET_GITHUB_TOKEN"
	// EnvOSVAPI is the OSV API's base URL (default https://api.osv.dev); "off" disables advisory checks.
	EnvOSVAPI = "MCPVET_OSV_API"
	// EnvScorecardAPI is the Scorecard results API's base URL (default https://api.securityscorecards.dev);
	// "off" disables Scorecard entirely: stored results and the local checks.
	EnvScorecardAPI = "MCPVET_SCORECARD_API"
	// EnvPyPIURL is the PyPI JSON API's base URL (default https://pypi.org); "off" disables PyPI lookups.
	EnvPyPIURL = "MCPVET_PYPI_URL"
	// EnvGitHosts lists extra git servers ("host:port", comma-separated) that may be on loopback or private
	// addresses and spoken to over plain http: mirrors inside a company network, test servers.
	EnvGitHosts = "MCPVET_GIT_HOSTS"
	// EnvSigstoreTrustedRoot is the path of a Sigstore trusted_root.json used to verify npm provenance, or
	// TrustedRootTUF to fetch the public-good instance's (npm's) with TUF; unset means provenance cannot be
	// verified (reported as publish/provenance-unchecked).
	EnvSigstoreTrustedRoot = "MCPVET_SIGSTORE_TRUSTED_ROOT"
	// EnvSigstoreTUFURL replaces the TUF mirror TrustedRootTUF fetches from (default tuf.DefaultMirror).
	EnvSigstoreTUFURL = "MCPVET_SIGSTORE_TUF_URL"
)

// TrustedRootTUF is the MCPVET_SIGSTORE_TRUSTED_ROOT value that fetches the Sigstore public-good trusted
// root — the one npm provenance is signed under — through TUF, starting from the TUF root sigstore-go ships
// and caching the verified metadata under the cache directory.
const TrustedRootTUF = "tuf"

// trustedRootTarget is the TUF target holding the trusted root.
const trustedRootTarget = "trusted_root.json"

// ConfigFromEnv wires an engine from the environment: npm's registry settings (npm_config_registry, the
// project's and the user's .npmrc), MCPVET_GITHUB_URL / MCPVET_GITHUB_TOKEN for github.com upstreams (never
// GITHUB_SERVER_URL, which names the reviewed repository's server), and MCPVET_CACHE_DIR.
func ConfigFromEnv(getenv func(string) string, workdir string, logger *slog.Logger) (Config, error) {
	var npmrcs []string
	if workdir != "" {
		npmrcs = append(npmrcs, filepath.Join(workdir, ".npmrc"))
	}
	if home := getenv("HOME"); home != "" {
		npmrcs = append(npmrcs, filepath.Join(home, ".npmrc"))
	}
	rc, err := registry.LoadConfig(getenv, npmrcs...)
	if err != nil {
		return Config{}, fmt.Errorf("npm registry settings: %w", err)
	}
	cache := getenv(EnvCacheDir)
	if cache == "" {
		switch {
		case getenv("XDG_CACHE_HOME") != "":
			cache = filepath.Join(getenv("XDG_CACHE_HOME"), "mcpvet")
		case getenv("HOME") != "":
			cache = filepath.Join(getenv("HOME"), ".cache", "mcpvet")
		default:
			return Config{}, fmt.Errorf("no cache directory: set %s", EnvCacheDir)
		}
	}
	gh := getenv(EnvGitHubURL)
	if gh == "" {
		gh = source.DefaultGitHubURL
	}
	u, err := url.Parse(gh)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Config{}, fmt.Errorf("%s=%q: want an http(s) URL", EnvGitHubURL, gh)
	}
	hosts := splitList(getenv(EnvGitHosts))
	transport := httpfetch.Options{Logger: logger} // the HTTP settings every API client shares
	var adv *osv.Client
	if api := getenv(EnvOSVAPI); api != "off" {
		adv = osv.New(api, osv.Options{Options: transport})
	}
	var sc *ScorecardConfig
	if api := getenv(EnvScorecardAPI); api != "off" {
		sc = &ScorecardConfig{API: scorecard.New(api, scorecard.Options{Options: transport}), Local: &localcheck.Runner{Logger: logger}}
	}
	var py *pypi.Client
	if u := getenv(EnvPyPIURL); u != "off" {
		py = pypi.New(u, pypi.Options{Options: transport})
	}
	var trustedRoot []byte
	var trustedRootErr error
	if getenv(EnvSigstoreTrustedRoot) == TrustedRootTUF {
		// An unreachable TUF mirror does not stop the review: provenance is then reported as not verifiable.
		trustedRoot, trustedRootErr = fetchTrustedRoot(filepath.Join(cache, "sigstore-tuf"), getenv(EnvSigstoreTUFURL))
	} else {
		trustedRoot, err = readTrustedRoot(getenv(EnvSigstoreTrustedRoot))
	}
	if err != nil {
		return Config{}, err
	}
	return Config{
		TrustedRoot:    trustedRoot,
		TrustedRootErr: trustedRootErr,
		PyPI:           py,
		Identity:       source.IdentityClientFromEnv(getenv),
		OSV:            adv,
		Scorecard:      sc,
		Registry:       registry.New(rc, registry.Options{Options: transport, CacheDir: cache}),
		Fetcher: &source.Fetcher{
			GitHubURL:    gh,
			GitHubToken:  getenv(EnvGitHubToken),
			CacheDir:     cache,
			AllowedHosts: hosts,
			Timeout:      10 * time.Minute,
			Logger:       logger,
		},
		Logger: logger,
	}, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// fetchTrustedRoot fetches the public-good trusted root through TUF (every metadata file verified from the
// TUF root sigstore-go ships), from mirror ("" for tuf.DefaultMirror), caching metadata in cacheDir.
func fetchTrustedRoot(cacheDir, mirror string) ([]byte, error) {
	opts := tuf.DefaultOptions().WithCachePath(cacheDir)
	if mirror != "" {
		opts = opts.WithRepositoryBaseURL(mirror)
	}
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: TUF client for %s: %w", EnvSigstoreTrustedRoot, TrustedRootTUF, opts.RepositoryBaseURL, err)
	}
	data, err := c.GetTarget(trustedRootTarget)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: fetch %s from %s: %w", EnvSigstoreTrustedRoot, TrustedRootTUF, trustedRootTarget, opts.RepositoryBaseURL, err)
	}
	if len(data) > provenance.MaxTrustedRootSize {
		return nil, fmt.Errorf("%s=%s: %s is larger than %d bytes", EnvSigstoreTrustedRoot, TrustedRootTUF, trustedRootTarget, provenance.MaxTrustedRootSize)
	}
	return data, nil
}

// readTrustedRoot reads the Sigstore trusted root at path (nil when path is ""), at most
// provenance.MaxTrustedRootSize bytes.
func readTrustedRoot(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSigstoreTrustedRoot, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, provenance.MaxTrustedRootSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", EnvSigstoreTrustedRoot, path, err)
	}
	if len(data) > provenance.MaxTrustedRootSize {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes", EnvSigstoreTrustedRoot, path, provenance.MaxTrustedRootSize)
	}
	return data, nil
}

// WithGitHubToken returns a copy of c whose github.com upstream fetches and repository-identity lookups
// send token (an App installation's). Everything else — clients, caches, the trusted root, the mirror
// locks — is shared with c, so a server builds its Config once and only this per job.
func (c Config) WithGitHubToken(token string) Config {
	if c.Fetcher != nil {
		c.Fetcher = c.Fetcher.WithToken(token)
	}
	if c.Identity != nil {
		id := *c.Identity
		id.Token = token
		c.Identity = &id
	}
	return c
}
