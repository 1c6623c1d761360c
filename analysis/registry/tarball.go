package registry

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Tarball downloads the tarball of m and verifies it against m.Dist (see IntegrityError and
// ErrNoIntegrity); the bytes are returned only when they match. With a CacheDir, verified tarballs are
// cached under CacheDir/npm/tarballs/<algo>/<hex[:2]>/<hex>, keyed by their digest (never by name or
// version, so two different tarballs published as one name@version never share an entry) and verified
// again when read.
//
// dist.tarball is hostile: only http(s) URLs on the host of the package's registry are fetched (with the
// registry's scheme), except that URLs on registry.npmjs.org or registry.yarnpkg.com are rewritten onto
// the configured registry, prefix included, like npm's replace-registry-host default. Anything else is
// ErrTarballURL.
func (c *Client) Tarball(ctx context.Context, m *Manifest) ([]byte, error) {
	if m == nil {
		return nil, errors.New("tarball: nil manifest")
	}
	if err := ValidateName(m.Name); err != nil {
		return nil, fmt.Errorf("tarball: %w", err)
	}
	id := m.Name + "@" + quoteBounded(m.Version)
	reg, err := c.registryFor(m.Name)
	if err != nil {
		return nil, fmt.Errorf("tarball %s: %w", id, err)
	}
	exp, err := expect(m.Dist)
	if err != nil {
		return nil, fmt.Errorf("tarball %s: %w", id, err)
	}
	if c.cacheDir != "" {
		for _, digest := range exp.digests {
			if data, ok := c.readCache(ctx, exp, digest); ok {
				return data, nil
			}
		}
	}
	u, err := tarballURL(reg, m.Dist.Tarball)
	if err != nil {
		return nil, fmt.Errorf("tarball %s: %w", id, err)
	}
	data, err := c.get(ctx, u, reg, "*/*", c.limits.MaxTarballSize)
	if err != nil {
		return nil, fmt.Errorf("tarball %s: %w", id, err)
	}
	if err := exp.verify(m.Name, m.Version, data); err != nil {
		return nil, err
	}
	if c.cacheDir != "" {
		c.writeCache(ctx, exp, data)
	}
	return data, nil
}

// tarballURL vets dist.tarball against the package's registry (see Client.Tarball). Error messages name
// at most the URL's host, never its credentials, path or query.
func tarballURL(reg *url.URL, raw string) (*url.URL, error) {
	return registryURL(reg, raw, "dist.tarball", ErrTarballURL)
}

// registryURL vets a URL read from field of a manifest the way tarballURL does, wrapping sentinel.
func registryURL(reg *url.URL, raw, field string, sentinel error) (*url.URL, error) {
	switch {
	case raw == "":
		return nil, fmt.Errorf("%w: %s is empty", sentinel, field)
	case len(raw) > MaxURLLength:
		return nil, fmt.Errorf("%w: %s longer than %d bytes", sentinel, field, MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a URL", sentinel, field)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: scheme %s is not http or https", sentinel, quoteBounded(u.Scheme))
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("%w: no host", sentinel)
	case u.User != nil:
		return nil, fmt.Errorf("%w: URL carries credentials", sentinel)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("%w: dot segment in path", sentinel)
		}
	}
	u.Fragment, u.RawFragment = "", ""
	host, regHost := canonicalHost(u), canonicalHost(reg)
	switch {
	case host == regHost:
		u.Scheme = reg.Scheme
		u.Host = reg.Host
		return u, nil
	case host == "registry.npmjs.org" || host == "registry.yarnpkg.com":
		rewritten := reg.String() + strings.TrimPrefix(u.EscapedPath(), "/")
		if u.RawQuery != "" {
			rewritten += "?" + u.RawQuery
		}
		return url.Parse(rewritten)
	default:
		return nil, fmt.Errorf("%w: host %s is not the package's registry host %s",
			sentinel, quoteBounded(u.Host), reg.Host)
	}
}

// cachePath is where the tarball with this digest lives in the cache.
func (c *Client) cachePath(algo string, digest []byte) string {
	h := hex.EncodeToString(digest)
	return filepath.Join(c.cacheDir, "npm", "tarballs", algo, h[:2], h)
}

// readCache returns the cached tarball with the given digest after verifying it; a corrupted entry is
// deleted.
func (c *Client) readCache(ctx context.Context, exp *expectation, digest []byte) ([]byte, bool) {
	path := c.cachePath(exp.algo, digest)
	data, err := readBounded(path, c.limits.MaxTarballSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err == nil && bytes.Equal(exp.sum(data), digest) {
		return data, true
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "discarding corrupted tarball cache entry",
		slog.String("path", path), slog.Any("error", err))
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "cannot remove tarball cache entry", slog.String("path", path), slog.Any("error", err))
	}
	return nil, false
}

// writeCache stores verified tarball bytes under their digest, atomically (temporary file in the same
// directory, then rename). Failures are logged: the cache is an optimisation.
func (c *Client) writeCache(ctx context.Context, exp *expectation, data []byte) {
	path := c.cachePath(exp.algo, exp.sum(data))
	if err := writeAtomic(path, data); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "cannot cache tarball", slog.String("path", path), slog.Any("error", err))
	}
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
