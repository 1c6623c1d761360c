package registry

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// startRegistry starts an in-process npm registry with a few packages published.
func startRegistry(t *testing.T, prefix string) (*testenv.NPMRegistry, string) {
	t.Helper()
	r := testenv.NewNPMRegistry(prefix)
	base := r.Start()
	t.Cleanup(r.Close)
	publish(r, "demo-pkg", "1.0.0", "module.exports = 1\n", nil)
	publish(r, "demo-pkg", "1.1.0", "module.exports = 2\n", map[string]any{
		"description":  "demo",
		"scripts":      map[string]any{"postinstall": "node setup.js", "weird": 42},
		"dependencies": map[string]any{"left-pad": "^1.3.0"},
		"keywords":     "mcp, server tools",
		"repository":   map[string]any{"type": "git", "url": "git+https://github.com/acme/demo.git"},
		"maintainers":  []any{"Ann Author <ann@example.com> (https://ann.example)", map[string]any{"name": "bob", "email": "bob@example.com"}},
		"_npmUser":     map[string]any{"name": "ann", "email": "ann@example.com"},
		"gitHead":      "3219f7f0000000000000000000000000000000aa",
	})
	publish(r, "@acme/mcp-thing", "0.2.0", "console.log('hi')\n", map[string]any{"mcpName": "io.github.acme/thing"})
	return r, base
}

func tgz(name, version, index string) []byte {
	return testenv.BuildTarball("", map[string][]byte{
		"package.json": fmt.Appendf(nil, `{"name":%q,"version":%q}`, name, version),
		"index.js":     []byte(index),
	})
}

func publish(r *testenv.NPMRegistry, name, version, index string, manifest map[string]any) []byte {
	b := tgz(name, version, index)
	r.Publish(name, version, testenv.Version{Manifest: manifest, Tarball: b})
	return b
}

func integrityOf(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}

func newClient(cfg Config, opts Options) *Client {
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	return New(cfg, opts)
}

func TestPackument(t *testing.T) {
	for _, prefix := range []string{"", "/artifactory/api/npm/npm/"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			r, base := startRegistry(t, prefix)
			c := newClient(Config{Registry: base}, Options{})
			ctx := context.Background()

			p, err := c.Packument(ctx, "demo-pkg")
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "demo-pkg" || p.DistTags["latest"] != "1.1.0" || len(p.Versions) != 2 || p.Time["1.1.0"] == "" {
				t.Fatalf("packument = %+v", p)
			}
			m := p.Versions["1.1.0"]
			checks := []struct {
				what      string
				got, want any
			}{
				{"name", m.Name, "demo-pkg"},
				{"version", m.Version, "1.1.0"},
				{"description", m.Description, "demo"},
				{"gitHead", m.GitHead, "3219f7f0000000000000000000000000000000aa"},
				{"scripts", fmt.Sprint(m.Scripts), "map[postinstall:node setup.js]"},
				{"dependencies", fmt.Sprint(m.Dependencies), "map[left-pad:^1.3.0]"},
				{"keywords", fmt.Sprint(m.Keywords), "[mcp server tools]"},
				{"repository", string(m.Repository), `{"type":"git","url":"git+https://github.com/acme/demo.git"}`},
				{"maintainers", fmt.Sprint(m.Maintainers), "[{Ann Author ann@example.com https://ann.example} {bob bob@example.com }]"},
				{"npmUser", m.NpmUser != nil && m.NpmUser.Name == "ann", true},
				{"tarball", m.Dist.Tarball, base + "demo-pkg/-/demo-pkg-1.1.0.tgz"},
				{"integrity", strings.HasPrefix(m.Dist.Integrity, "sha512-"), true},
				{"shasum", len(m.Dist.Shasum), 40},
				{"fileCount", m.Dist.FileCount, 2},
				{"raw", bytes.Contains(m.Raw, []byte(`"postinstall"`)), true},
			}
			for _, ch := range checks {
				if ch.got != ch.want {
					t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
				}
			}

			sp, err := c.Packument(ctx, "@acme/mcp-thing")
			if err != nil {
				t.Fatal(err)
			}
			if sp.Versions["0.2.0"].MCPName != "io.github.acme/thing" {
				t.Errorf("mcpName = %q", sp.Versions["0.2.0"].MCPName)
			}
			log := r.RequestLog()
			if got := log[len(log)-1]; got.Path != strings.TrimSuffix(prefix, "/")+"/@acme%2fmcp-thing" || got.Accept != "application/json" {
				t.Errorf("scoped request = %+v", got)
			}

			if _, err := c.Packument(ctx, "demo-pkg"); err != nil {
				t.Fatal(err)
			}
			if r.Requests() != 2 {
				t.Errorf("%d requests for two packuments asked three times", r.Requests())
			}
		})
	}
}

func TestPackumentConcurrentCache(t *testing.T) {
	r, base := startRegistry(t, "")
	c := newClient(Config{Registry: base}, Options{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.Packument(context.Background(), "demo-pkg"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if r.Requests() != 1 {
		t.Errorf("%d requests, want 1", r.Requests())
	}
}

func TestVersion(t *testing.T) {
	_, base := startRegistry(t, "")
	c := newClient(Config{Registry: base}, Options{})
	tests := []struct {
		version, want string
		err           error
	}{
		{"1.0.0", "1.0.0", nil},
		{"latest", "1.1.0", nil},
		{"9.9.9", "", ErrNotFound},
	}
	for _, tc := range tests {
		m, err := c.Version(context.Background(), "demo-pkg", tc.version)
		if !errors.Is(err, tc.err) || (err == nil && m.Version != tc.want) {
			t.Errorf("Version(%s) = %v, %v", tc.version, m, err)
		}
	}
}

func TestScopeRouting(t *testing.T) {
	defaultReg, defaultBase := startRegistry(t, "")
	scopeReg, scopeBase := startRegistry(t, "/scoped/")
	c := newClient(Config{Registry: defaultBase, Scopes: map[string]string{"@acme": scopeBase}}, Options{})
	ctx := context.Background()
	if _, err := c.Packument(ctx, "@acme/mcp-thing"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Packument(ctx, "demo-pkg"); err != nil {
		t.Fatal(err)
	}
	if defaultReg.Requests() != 1 || scopeReg.Requests() != 1 {
		t.Errorf("default registry %d requests, scope registry %d; want 1 each", defaultReg.Requests(), scopeReg.Requests())
	}
	if p := scopeReg.RequestLog()[0].Path; p != "/scoped/@acme%2fmcp-thing" {
		t.Errorf("scoped path = %s", p)
	}
}

func TestPackumentHTTPErrors(t *testing.T) {
	tests := []struct {
		name         string
		failN        int
		status       int
		retries      int
		wantErr      error // nil: success
		wantStatus   int
		wantRequests int
	}{
		{name: "503 then success", failN: 2, status: 503, retries: 3, wantRequests: 3},
		{name: "429 then success", failN: 1, status: 429, retries: 3, wantRequests: 2},
		{name: "500 retries exhausted", failN: 10, status: 500, retries: 2, wantStatus: 500, wantRequests: 3},
		{name: "no retries", failN: 10, status: 502, retries: -1, wantStatus: 502, wantRequests: 1},
		{name: "401 fails at once", failN: 10, status: 401, retries: 3, wantStatus: 401, wantRequests: 1},
		{name: "403 fails at once", failN: 10, status: 403, retries: 3, wantStatus: 403, wantRequests: 1},
		{name: "404 fails at once", failN: 10, status: 404, retries: 3, wantErr: ErrNotFound, wantRequests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, base := startRegistry(t, "")
			r.FailNext(tc.failN, tc.status)
			c := newClient(Config{Registry: base}, Options{Options: httpfetch.Options{Retries: tc.retries}})
			p, err := c.Packument(context.Background(), "demo-pkg")
			var se *StatusError
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want %v", err, tc.wantErr)
				}
			case tc.wantStatus != 0:
				if !errors.As(err, &se) || se.StatusCode != tc.wantStatus {
					t.Errorf("err = %v, want HTTP %d", err, tc.wantStatus)
				}
			case err != nil || p == nil:
				t.Errorf("err = %v", err)
			}
			if r.Requests() != tc.wantRequests {
				t.Errorf("%d requests, want %d", r.Requests(), tc.wantRequests)
			}
		})
	}
}

func TestPackumentNotFound(t *testing.T) {
	_, base := startRegistry(t, "")
	c := newClient(Config{Registry: base}, Options{})
	_, err := c.Packument(context.Background(), "no-such-pkg")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no-such-pkg") {
		t.Errorf("err = %v", err)
	}
	if _, err := c.Packument(context.Background(), "../../etc/passwd"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("err = %v, want ErrInvalidName", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-3", 0}, {"junk", 0},
		{"2", 2 * time.Second},
		{"999999999999", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	r, _ := startRegistry(t, "")
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		r.ServeHTTP(w, req)
	}))
	defer srv.Close()
	const limit = 80 * time.Millisecond
	c := newClient(Config{Registry: srv.URL}, Options{Limits: Limits{MaxRetryAfter: limit}})
	start := time.Now()
	if _, err := c.Packument(context.Background(), "demo-pkg"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < limit || d > 5*time.Second {
		t.Errorf("waited %v; want the capped Retry-After of %v", d, limit)
	}
}

func TestBackoffRespectsContext(t *testing.T) {
	r, base := startRegistry(t, "")
	r.FailNext(100, http.StatusServiceUnavailable)
	c := New(Config{Registry: base}, Options{Options: httpfetch.Options{Backoff: 10 * time.Second, Retries: 5}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Packument(ctx, "demo-pkg")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

func TestRetryNetworkErrors(t *testing.T) {
	tests := []struct {
		name  string
		first func(w http.ResponseWriter)
	}{
		{"connection dropped", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
		{"body cut short", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"name":`))
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
		{"timeout", func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := startRegistry(t, "")
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if calls.Add(1) == 1 {
					tc.first(w)
					return
				}
				r.ServeHTTP(w, req)
			}))
			defer srv.Close()
			c := newClient(Config{Registry: srv.URL}, Options{Options: httpfetch.Options{Timeout: 100 * time.Millisecond}})
			if _, err := c.Packument(context.Background(), "demo-pkg"); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 2 {
				t.Errorf("%d calls, want 2", calls.Load())
			}
		})
	}
}

func TestSizeLimits(t *testing.T) {
	r, base := startRegistry(t, "")
	ctx := context.Background()
	full, err := newClient(Config{Registry: base}, Options{}).Packument(ctx, "demo-pkg")
	if err != nil {
		t.Fatal(err)
	}
	m := full.Versions["1.0.0"]
	tarballSize := int64(len(tgz("demo-pkg", "1.0.0", "module.exports = 1\n")))
	resp, err := http.Get(base + "demo-pkg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	packumentSize := resp.ContentLength

	// The same limits, served with and without Content-Length.
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		for len(body) > 0 {
			n := min(len(body), 100)
			_, _ = w.Write(body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
	}))
	defer chunked.Close()

	for _, srvBase := range []string{base, chunked.URL + "/"} {
		for _, tc := range []struct {
			name       string
			limit      int64
			packument  bool
			wantTooBig bool
		}{
			{"packument at limit", packumentSize, true, false},
			{"packument over limit", packumentSize - 1, true, true},
			{"tarball at limit", tarballSize, false, false},
			{"tarball over limit", tarballSize - 1, false, true},
		} {
			t.Run(tc.name+" "+srvBase, func(t *testing.T) {
				var err error
				if tc.packument {
					c := newClient(Config{Registry: srvBase}, Options{Limits: Limits{MaxPackumentSize: tc.limit}})
					_, err = c.Packument(ctx, "demo-pkg")
				} else {
					c := newClient(Config{Registry: srvBase}, Options{Limits: Limits{MaxTarballSize: tc.limit}})
					mm := *m
					mm.Dist.Tarball = srvBase + "demo-pkg/-/demo-pkg-1.0.0.tgz"
					_, err = c.Tarball(ctx, &mm)
				}
				if tc.wantTooBig != errors.Is(err, ErrTooLarge) || (!tc.wantTooBig && err != nil) {
					t.Errorf("err = %v, want too large: %v", err, tc.wantTooBig)
				}
			})
		}
	}
}

func TestMalformedPackuments(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    bool
		check      func(t *testing.T, p *Packument)
	}{
		{name: "array", body: `[]`, wantErr: true},
		{name: "string", body: `"demo-pkg"`, wantErr: true},
		{name: "null", body: `null`, wantErr: true},
		{name: "garbage", body: `{"name":`, wantErr: true},
		{name: "html", body: `<html>`, wantErr: true},
		{name: "versions array", body: `{"name":"demo-pkg","versions":[]}`, wantErr: true},
		{name: "other package", body: `{"name":"evil-pkg","versions":{}}`, wantErr: true},
		{name: "empty object", body: ` {}`, check: func(t *testing.T, p *Packument) {
			if p.Name != "demo-pkg" || len(p.Versions) != 0 {
				t.Errorf("%+v", p)
			}
		}},
		{name: "loose types", body: `{
			"name": "demo-pkg",
			"dist-tags": {"latest": "1.0.0", "bad": 7},
			"time": {"1.0.0": "2025-01-01T00:00:00.000Z", "x": {}},
			"versions": {
				"1.0.0": {"name": "demo-pkg", "version": "1.0.0", "main": ["a"], "scripts": {"install": 1, "test": "t"},
					"keywords": [1, "k", null], "maintainers": ["Solo <solo@example.com>", 5], "_npmUser": "Pub <pub@example.com>",
					"dist": {"tarball": 5, "integrity": "sha512-x", "fileCount": "3", "unpackedSize": -1,
						"attestations": {"url": "https://registry.npmjs.org/-/npm/v1/attestations/demo-pkg@1.0.0", "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}},
						"signatures": [{"keyid": "SHA256:k", "sig": "MEUC"}, "junk"]},
					"deprecated": false, "bin": "cli.js", "exports": {".": "./index.js"}},
				"2.0.0": "not an object",
				"3.0.0": {"name": "demo-pkg", "version": "3.0.1"},
				"4.0.0": {"name": "other-pkg"},
				"5.0.0": {}
			}}`, check: func(t *testing.T, p *Packument) {
			if len(p.Versions) != 2 || p.Versions["5.0.0"] == nil || p.Versions["5.0.0"].Version != "5.0.0" {
				t.Errorf("versions = %v", p.Versions)
			}
			m := p.Versions["1.0.0"]
			if m == nil {
				t.Fatal("1.0.0 dropped")
			}
			got := fmt.Sprintf("%q %v %v %v %v %q %d %d %+v %v %s %s %s", m.Main, m.Scripts, m.Keywords, m.Maintainers, *m.NpmUser,
				m.Dist.Tarball, m.Dist.FileCount, m.Dist.UnpackedSize, *m.Dist.Attestations, m.Dist.Signatures, m.Deprecated, m.Bin, m.Exports)
			want := `"" map[test:t] [k] [{Solo solo@example.com }] {Pub pub@example.com } "" 0 0 {URL:https://registry.npmjs.org/-/npm/v1/attestations/demo-pkg@1.0.0 ProvenancePredicateType:https://slsa.dev/provenance/v1} [{SHA256:k MEUC}] false "cli.js" {".": "./index.js"}`
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if fmt.Sprint(p.DistTags) != "map[latest:1.0.0]" || len(p.Time) != 1 {
				t.Errorf("dist-tags %v time %v", p.DistTags, p.Time)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			p, err := newClient(Config{Registry: srv.URL}, Options{}).Packument(context.Background(), "demo-pkg")
			if tc.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

func TestTarballIntegrity(t *testing.T) {
	good := tgz("pkg", "1.0.0", "ok\n")
	evil := tgz("pkg", "1.0.0", "ok\nfetch('https://evil.example')\n")
	s1 := func(b []byte) string { return hex.EncodeToString(sha1Sum(b)) }
	tests := []struct {
		name     string
		dist     map[string]any // overrides of the published dist
		served   []byte         // tampered body, nil = as published
		wantErr  error
		wantAlgo string // for an IntegrityError
		wantReqs int    // requests for the tarball
	}{
		{name: "sha512 ok", wantReqs: 1},
		{name: "sha512 mismatch", served: evil, wantAlgo: "sha512", wantReqs: 1},
		{name: "sha1 only ok", dist: map[string]any{"integrity": nil}, wantReqs: 1},
		{name: "sha1 only mismatch", dist: map[string]any{"integrity": nil}, served: evil, wantAlgo: "sha1", wantReqs: 1},
		{name: "sha1 integrity string", dist: map[string]any{"integrity": "sha1-" + base64.StdEncoding.EncodeToString(sha1Sum(good)), "shasum": nil}, wantReqs: 1},
		{name: "no hash at all", dist: map[string]any{"integrity": nil, "shasum": nil}, wantErr: ErrNoIntegrity},
		{name: "bad integrity, good shasum", dist: map[string]any{"integrity": integrityOf(evil), "shasum": s1(good)}, wantAlgo: "sha512", wantReqs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testenv.NewNPMRegistry("")
			base := r.Start()
			defer r.Close()
			r.Publish("pkg", "1.0.0", testenv.Version{Tarball: good, Dist: tc.dist})
			if tc.served != nil {
				r.Tamper("pkg", "1.0.0", tc.served)
			}
			cache := t.TempDir()
			c := newClient(Config{Registry: base}, Options{CacheDir: cache})
			m, err := c.Version(context.Background(), "pkg", "1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			before := r.Requests()
			data, err := c.Tarball(context.Background(), m)
			var ie *IntegrityError
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want %v", err, tc.wantErr)
				}
			case tc.wantAlgo != "":
				if !errors.As(err, &ie) || ie.Algorithm != tc.wantAlgo || ie.Name != "pkg" || ie.Version != "1.0.0" {
					t.Errorf("err = %v, want IntegrityError(%s)", err, tc.wantAlgo)
				}
			default:
				if err != nil || !bytes.Equal(data, good) {
					t.Errorf("err = %v, %d bytes", err, len(data))
				}
			}
			if err != nil && data != nil {
				t.Error("bytes returned with an error")
			}
			if got := r.Requests() - before; got != tc.wantReqs {
				t.Errorf("%d tarball requests, want %d", got, tc.wantReqs)
			}
			if err != nil {
				if files := cacheFiles(t, cache); len(files) != 0 {
					t.Errorf("failed download left cache entries %v", files)
				}
			}
		})
	}
}

func sha1Sum(b []byte) []byte {
	s := sha1.Sum(b)
	return s[:]
}

// cacheFiles lists the files under dir, relative to it.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTarballCache(t *testing.T) {
	r, base := startRegistry(t, "")
	cache := t.TempDir()
	ctx := context.Background()
	fresh := func() *Client { return newClient(Config{Registry: base}, Options{CacheDir: cache}) }

	m, err := fresh().Version(ctx, "demo-pkg", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	want := tgz("demo-pkg", "1.0.0", "module.exports = 1\n")
	sum := sha512.Sum512(want)
	entry := filepath.Join(cache, "npm", "tarballs", "sha512", hex.EncodeToString(sum[:1]), hex.EncodeToString(sum[:]))

	steps := []struct {
		name     string
		prepare  func()
		wantReqs int
	}{
		{"first download", func() {}, 1},
		{"served from cache", func() {}, 0},
		{"corrupted entry re-downloaded", func() {
			if err := os.WriteFile(entry, []byte("bit rot"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"repaired entry served", func() {}, 0},
		{"truncated entry re-downloaded", func() {
			if err := os.WriteFile(entry, want[:len(want)/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1},
	}
	for _, st := range steps {
		st.prepare()
		before := r.Requests()
		got, err := fresh().Tarball(ctx, m)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: err = %v", st.name, err)
		}
		if n := r.Requests() - before; n != st.wantReqs {
			t.Errorf("%s: %d requests, want %d", st.name, n, st.wantReqs)
		}
		if disk, err := os.ReadFile(entry); err != nil || !bytes.Equal(disk, want) {
			t.Errorf("%s: cache entry wrong (%v)", st.name, err)
		}
	}
	for _, f := range cacheFiles(t, cache) {
		if strings.Contains(f, ".tmp-") {
			t.Errorf("temporary file left behind: %s", f)
		}
	}
}

func TestTarballRepublished(t *testing.T) {
	r, base := startRegistry(t, "")
	cache := t.TempDir()
	ctx := context.Background()
	first := tgz("demo-pkg", "1.0.0", "module.exports = 1\n")
	second := publish(r, "demo-pkg", "1.0.0", "module.exports = 'republished'\n", nil) // same name@version, new bytes

	// A manifest captured before the republish still names the first bytes.
	old := &Manifest{Name: "demo-pkg", Version: "1.0.0", Dist: Dist{Tarball: base + "demo-pkg/-/demo-pkg-1.0.0.tgz", Integrity: integrityOf(first)}}
	cur, err := newClient(Config{Registry: base}, Options{CacheDir: cache}).Version(ctx, "demo-pkg", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Dist.Integrity != integrityOf(second) {
		t.Fatal("registry did not republish")
	}
	// Seed the cache with the first bytes (as if downloaded before the republish).
	r.Tamper("demo-pkg", "1.0.0", first)
	if _, err := newClient(Config{Registry: base}, Options{CacheDir: cache}).Tarball(ctx, old); err != nil {
		t.Fatal(err)
	}
	r.Tamper("demo-pkg", "1.0.0", second)

	for _, tc := range []struct {
		name string
		m    *Manifest
		want []byte
	}{{"current", cur, second}, {"old", old, first}, {"current again", cur, second}, {"old again", old, first}} {
		got, err := newClient(Config{Registry: base}, Options{CacheDir: cache}).Tarball(ctx, tc.m)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: err = %v, bytes match = %v", tc.name, err, bytes.Equal(got, tc.want))
		}
	}
	if files := cacheFiles(t, cache); len(files) != 2 {
		t.Errorf("cache entries = %v, want 2", files)
	}
}

func TestTarballURLHosts(t *testing.T) {
	for _, prefix := range []string{"", "/artifactory/api/npm/npm/"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			r, base := startRegistry(t, prefix)
			good := tgz("demo-pkg", "1.0.0", "module.exports = 1\n")
			bu, _ := url.Parse(base)
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { _, _ = w.Write(good) }))
			defer other.Close()
			path := bu.Path + "demo-pkg/-/demo-pkg-1.0.0.tgz"

			tests := []struct {
				name, tarball string
				ok            bool
				secret        string // must not appear in the error
			}{
				{name: "as published", tarball: base + "demo-pkg/-/demo-pkg-1.0.0.tgz", ok: true},
				{name: "fragment dropped", tarball: base + "demo-pkg/-/demo-pkg-1.0.0.tgz#x", ok: true},
				{name: "https on the registry host is brought to the registry scheme", tarball: "https://" + bu.Host + path, ok: true},
				{name: "npmjs rewritten to the configured registry", tarball: "https://registry.npmjs.org/demo-pkg/-/demo-pkg-1.0.0.tgz", ok: true},
				{name: "yarnpkg rewritten to the configured registry", tarball: "https://registry.yarnpkg.com/demo-pkg/-/demo-pkg-1.0.0.tgz", ok: true},
				{name: "npmjs over http rewritten", tarball: "http://REGISTRY.npmjs.org:80/demo-pkg/-/demo-pkg-1.0.0.tgz", ok: true},
				{name: "other host", tarball: "https://evil.example/demo-pkg/-/demo-pkg-1.0.0.tgz"},
				{name: "other port on the same IP", tarball: other.URL + path},
				{name: "lookalike host", tarball: "https://registry.npmjs.org.evil.example/demo-pkg/-/demo-pkg-1.0.0.tgz"},
				{name: "userinfo host trick", tarball: "http://" + bu.Host + "@evil.example" + path},
				{name: "credentials", tarball: "http://u:hunter2@" + bu.Host + path, secret: "hunter2"},
				{name: "file", tarball: "file:///etc/passwd"},
				{name: "ftp", tarball: "ftp://" + bu.Host + path},
				{name: "javascript", tarball: "javascript:alert(1)"},
				{name: "scheme-relative", tarball: "//" + bu.Host + path},
				{name: "relative", tarball: "demo-pkg/-/demo-pkg-1.0.0.tgz"},
				{name: "empty", tarball: ""},
				{name: "dot segments", tarball: base + "demo-pkg/-/../../../../etc/passwd"},
				{name: "encoded dot segments", tarball: base + "demo-pkg/-/%2e%2e/%2E%2E/x.tgz"},
				{name: "control characters", tarball: base + "demo\n-pkg.tgz"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c := newClient(Config{Registry: base}, Options{})
					m := &Manifest{Name: "demo-pkg", Version: "1.0.0", Dist: Dist{Tarball: tc.tarball, Integrity: integrityOf(good)}}
					before := r.Requests()
					data, err := c.Tarball(context.Background(), m)
					if tc.ok {
						if err != nil || !bytes.Equal(data, good) {
							t.Fatalf("err = %v", err)
						}
						if got := r.RequestLog()[before].Path; got != path {
							t.Errorf("fetched %s, want %s", got, path)
						}
						return
					}
					if !errors.Is(err, ErrTarballURL) {
						t.Fatalf("err = %v, want ErrTarballURL", err)
					}
					if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
						t.Errorf("error leaks credentials: %v", err)
					}
					if r.Requests() != before {
						t.Error("a refused URL was fetched")
					}
				})
			}
		})
	}
}

func TestTarballURLLength(t *testing.T) {
	reg, _ := url.Parse("https://registry.example/")
	prefix := "https://registry.example/"
	for _, tc := range []struct {
		n  int
		ok bool
	}{{MaxURLLength, true}, {MaxURLLength + 1, false}} {
		raw := prefix + strings.Repeat("a", tc.n-len(prefix))
		_, err := tarballURL(reg, raw)
		if (err == nil) != tc.ok {
			t.Errorf("length %d: err = %v", tc.n, err)
		}
	}
}

func TestAuthTokens(t *testing.T) {
	const tokA, tokB = "token-A-s3cret", "token-B-s3cret"
	regA, baseA := startRegistry(t, "/private/")
	regB, baseB := startRegistry(t, "/public/")
	uA, _ := url.Parse(baseA)
	uB, _ := url.Parse(baseB)
	ctx := context.Background()

	var logs bytes.Buffer
	cfg := Config{
		Registry: baseB,
		Scopes:   map[string]string{"@acme": baseA},
		Tokens: map[string]string{
			"//" + uA.Host + "/private/": tokA,   // path-prefixed key on A's host:port
			"//" + uB.Host + "/other/":   tokB,   // B's host:port, another path: never matches B's /public/
			"//" + uA.Hostname() + "/":   "nope", // A's IP without the port: never matches
		},
	}
	c := newClient(cfg, Options{Options: httpfetch.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}})

	m, err := c.Version(ctx, "@acme/mcp-thing", "0.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tarball(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, q := range regA.RequestLog() {
		if q.Authorization != "Bearer "+tokA {
			t.Errorf("A: %s sent with Authorization %q", q.Path, q.Authorization)
		}
	}
	if _, err := c.Packument(ctx, "demo-pkg"); err != nil {
		t.Fatal(err)
	}
	for _, q := range regB.RequestLog() {
		if q.Authorization != "" {
			t.Errorf("B: %s sent with a token", q.Path)
		}
	}

	// A 401 from a registry and retries on 503: neither errors nor logs carry the token.
	regA.FailNext(2, http.StatusServiceUnavailable)
	c2 := newClient(cfg, Options{Options: httpfetch.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	if _, err := c2.Packument(ctx, "@acme/mcp-thing"); err != nil {
		t.Fatal(err)
	}
	regA.FailNext(1, http.StatusUnauthorized)
	_, err = newClient(cfg, Options{}).Packument(ctx, "@acme/mcp-thing")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 401 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Error("retries were not logged")
	}
	for _, s := range []string{err.Error(), logs.String()} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("token leaked: %s", s)
		}
	}
}

func TestRedirects(t *testing.T) {
	const token = "redirect-s3cret"
	good := tgz("demo-pkg", "1.0.0", "module.exports = 1\n")
	var foreignAuth atomic.Value
	foreignAuth.Store("")
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		foreignAuth.Store(req.Header.Get("Authorization"))
		_, _ = w.Write(good)
	}))
	defer foreign.Close()

	var hops atomic.Int32
	var target atomic.Value
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if n := hops.Add(-1); n >= 0 {
			http.Redirect(w, req, fmt.Sprintf("/hop/%d", n), http.StatusFound)
			return
		}
		http.Redirect(w, req, target.Load().(string), http.StatusFound)
	}))
	defer reg.Close()
	ru, _ := url.Parse(reg.URL)
	cfg := Config{Registry: reg.URL, Tokens: map[string]string{"//" + ru.Host + "/": token}}
	m := &Manifest{Name: "demo-pkg", Version: "1.0.0", Dist: Dist{Tarball: reg.URL + "/demo-pkg/-/demo-pkg-1.0.0.tgz", Integrity: integrityOf(good)}}

	tests := []struct {
		name, target string
		hops         int32
		ok           bool
		secret       string
	}{
		{name: "to another host: followed without the token", target: foreign.URL + "/x.tgz", ok: true},
		{name: "limit reached", target: foreign.URL + "/x.tgz", hops: MaxRedirects - 1, ok: true},
		{name: "limit exceeded", target: foreign.URL + "/x.tgz", hops: MaxRedirects},
		{name: "to a URL with credentials", target: strings.Replace(foreign.URL, "//", "//u:pw-s3cret@", 1) + "/x.tgz", secret: "pw-s3cret"},
		{name: "to a non-http scheme", target: "ftp://" + ru.Host + "/x.tgz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hops.Store(tc.hops)
			target.Store(tc.target)
			foreignAuth.Store("")
			data, err := newClient(cfg, Options{Options: httpfetch.Options{Retries: 3}}).Tarball(context.Background(), m)
			if tc.ok {
				if err != nil || !bytes.Equal(data, good) {
					t.Fatalf("err = %v", err)
				}
				if a := foreignAuth.Load().(string); a != "" {
					t.Errorf("token sent to the redirect target: %q", a)
				}
				return
			}
			if err == nil {
				t.Fatal("redirect followed")
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error leaks credentials: %v", err)
			}
			if hops.Load() < -1 {
				t.Errorf("refused redirect was retried (%d extra requests)", -1-hops.Load())
			}
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		pkg    string
		secret string
	}{
		{name: "ftp registry", cfg: Config{Registry: "ftp://registry.example/"}, pkg: "demo-pkg"},
		{name: "credentials in registry", cfg: Config{Registry: "https://u:pw-s3cret@registry.example/"}, pkg: "demo-pkg", secret: "pw-s3cret"},
		{name: "bad scoped registry", cfg: Config{Scopes: map[string]string{"@acme": "not a url"}}, pkg: "@acme/thing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, Options{}).Packument(context.Background(), tc.pkg)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error leaks credentials: %v", err)
			}
		})
	}
}
