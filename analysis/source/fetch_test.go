package source

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

func ghClaim(owner, repo string) Claim { return Claim{Host: "github.com", Owner: owner, Repo: repo} }

func TestOpenFreshThenIncremental(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	repoDir := filepath.Join(root, "Acme", "tool.git")
	first := buildRepo(t, repoDir, []testenv.Commit{
		{Files: files("package.json", `{"name":"tool","version":"1.0.0"}`, "index.js", "one\n"), Tag: "v1.0.0"},
	})
	srv, base := gitServer(t, root)
	cache := t.TempDir()
	f := &Fetcher{GitHubURL: base + "/", CacheDir: cache}

	r, err := f.Open(ctx, ghClaim("Acme", "tool"))
	if err != nil {
		t.Fatal(err)
	}
	if sha, ok, err := r.ResolveCommit(ctx, first[0]); err != nil || !ok || sha != first[0] {
		t.Fatalf("ResolveCommit = %q %v %v", sha, ok, err)
	}
	if got := r.Claim().String(); got != "github.com/Acme/tool" {
		t.Errorf("Claim = %s", got)
	}
	wantMirror := filepath.Join(cache, "git", "github.com", "acme", "tool.git")
	if r.GitDir() != wantMirror {
		t.Errorf("mirror at %s, want %s", r.GitDir(), wantMirror)
	}
	r.Close()
	if _, err := os.Stat(wantMirror + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
	hitsAfterFirst := srv.Hits()

	second := buildRepo(t, repoDir, []testenv.Commit{
		{Files: files("index.js", "two\n"), Tag: "v1.1.0", Annotated: true},
	})
	r, err = f.Open(ctx, ghClaim("Acme", "tool"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if srv.Hits() <= hitsAfterFirst {
		t.Error("second Open did not contact the server")
	}
	tags, err := r.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tags["v1.0.0"] != first[0] || tags["v1.1.0"] != second[0] {
		t.Errorf("tags after update = %v", tags)
	}
}

func TestOpenNotFound(t *testing.T) {
	root := t.TempDir()
	_, base := gitServer(t, root)
	cache := t.TempDir()
	f := &Fetcher{GitHubURL: base, CacheDir: cache}
	_, err := f.Open(context.Background(), ghClaim("nobody", "nothing"))
	if !errors.Is(err, ErrRepoNotFound) {
		t.Fatalf("err = %v, want ErrRepoNotFound", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "git", "github.com", "nobody", "nothing.git")); !os.IsNotExist(err) {
		t.Errorf("empty mirror left behind: %v", err)
	}
}

func TestOpenUnauthorizedIsNotFound(t *testing.T) {
	// GitHub answers 401 for repositories that are missing or private; git
	// must not prompt, and the error is ErrRepoNotFound.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "auth required", http.StatusUnauthorized)
	}))
	defer srv.Close()
	f := &Fetcher{GitHubURL: srv.URL, CacheDir: t.TempDir(), Timeout: 20 * time.Second}
	if _, err := f.Open(context.Background(), ghClaim("o", "private")); !errors.Is(err, ErrRepoNotFound) {
		t.Fatalf("err = %v, want ErrRepoNotFound", err)
	}
}

func TestOpenRefusals(t *testing.T) {
	root := t.TempDir()
	buildRepo(t, filepath.Join(root, "o", "r.git"), []testenv.Commit{{Files: files("a", "1\n")}})
	srv, base := gitServer(t, root)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, base+r.URL.Path+"?"+r.URL.RawQuery, http.StatusFound)
	}))
	defer redirector.Close()
	serverHost := hostOf(t, base)

	lookup := func(ctx context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "internal.example":
			return []netip.Addr{netip.MustParseAddr("192.168.1.10")}, nil
		case "mixed.example":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.1")}, nil
		case "v6.example":
			return []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.1")}, nil
		}
		return nil, errors.New("no such host (test resolver)")
	}
	tests := []struct {
		name      string
		githubURL string
		claim     Claim
	}{
		{"file scheme", "file://" + root, ghClaim("o", "r")},
		{"ssh scheme", "ssh://git@" + serverHost + "/", ghClaim("o", "r")},
		{"ext transport", "ext::sh -c touch% /tmp/x", ghClaim("o", "r")},
		{"credentials in GitHub URL", "https://user:pw@example.com", ghClaim("o", "r")},
		{"loopback claim not allowed", base, Claim{Host: "127.0.0.1", Owner: "o", Repo: "r"}},
		{"loopback with the server's port but not allowed", "https://github.com", Claim{Host: serverHost, Owner: "o", Repo: "r"}},
		{"private IP", base, Claim{Host: "10.1.2.3", Owner: "o", Repo: "r"}},
		{"metadata link-local", base, Claim{Host: "169.254.169.254", Owner: "o", Repo: "r"}},
		{"CGNAT", base, Claim{Host: "100.64.0.7", Owner: "o", Repo: "r"}},
		{"unspecified", base, Claim{Host: "0.0.0.0", Owner: "o", Repo: "r"}},
		{"name resolving to private", base, Claim{Host: "internal.example", Owner: "o", Repo: "r"}},
		{"name resolving to public and private", base, Claim{Host: "mixed.example", Owner: "o", Repo: "r"}},
		{"IPv4-mapped loopback", base, Claim{Host: "v6.example", Owner: "o", Repo: "r"}},
		{"redirect", redirector.URL, ghClaim("o", "r")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Hits()
			var argvs [][]string
			f := &Fetcher{GitHubURL: tc.githubURL, CacheDir: t.TempDir(), lookup: lookup,
				trace: func(argv []string) { argvs = append(argvs, argv) }}
			_, err := f.Open(context.Background(), tc.claim)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			var re *RefusedError
			if !errors.As(err, &re) || re.Reason == "" {
				t.Errorf("no reason in %v", err)
			}
			if srv.Hits() != before {
				t.Errorf("the git server was contacted %d times", srv.Hits()-before)
			}
			if tc.name != "redirect" && len(argvs) > 0 {
				t.Errorf("git ran before the refusal: %v", argvs)
			}
		})
	}
}

func TestCheckRemotePinsAddresses(t *testing.T) {
	f := &Fetcher{lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("2606:2800:21f:cb07:6820:80da:af6b:8b2c")}, nil
	}}
	base, err := f.gitHubBase()
	if err != nil {
		t.Fatal(err)
	}
	rm, err := f.checkRemote(context.Background(), "https://git.example.org/a/b.git", base)
	if err != nil {
		t.Fatal(err)
	}
	want := "http.curloptResolve=git.example.org:443:93.184.215.14,[2606:2800:21f:cb07:6820:80da:af6b:8b2c]"
	if len(rm.cfg) != 1 || rm.cfg[0] != want {
		t.Errorf("cfg = %v, want [%s]", rm.cfg, want)
	}
	if _, err := f.checkRemote(context.Background(), "http://git.example.org/a/b.git", base); !errors.Is(err, ErrRefused) {
		t.Errorf("plain http to a public host: err = %v, want ErrRefused", err)
	}
	if len(rm.env) != 0 {
		t.Errorf("token config for a non-GitHub host: %v", rm.env)
	}
}

func TestIsPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "140.82.121.3": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.0.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "100.127.255.255": false, "0.0.0.0": false,
		"224.0.0.1": false, "255.255.255.255": false, "::1": false, "::": false, "fe80::1": false,
		"fd00::1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "198.18.0.1": false,
	} {
		if got := isPublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("isPublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// authRecorder wraps the git server and records Authorization headers.
type authRecorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (a *authRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.seen = append(a.seen, r.Header.Get("Authorization"))
	a.mu.Unlock()
	a.next.ServeHTTP(w, r)
}

func TestOpenTokenOnlyToGitHubURL(t *testing.T) {
	const token = "ghs_TESTTOKEN1234567890"
	root := t.TempDir()
	buildRepo(t, filepath.Join(root, "o", "r.git"), []testenv.Commit{{Files: files("a", "1\n")}})
	buildRepo(t, filepath.Join(root, "group", "sub", "proj.git"), []testenv.Commit{{Files: files("b", "2\n")}})
	gh := &authRecorder{next: testenv.NewGitServer(root)}
	ghSrv := httptest.NewServer(gh)
	defer ghSrv.Close()
	other := &authRecorder{next: testenv.NewGitServer(root)}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()

	var mu sync.Mutex
	var argv []string
	f := &Fetcher{
		GitHubURL: ghSrv.URL, GitHubToken: token, CacheDir: t.TempDir(),
		AllowedHosts: []string{"http://" + hostOf(t, otherSrv.URL)},
		trace: func(a []string) {
			mu.Lock()
			argv = append(argv, a...)
			mu.Unlock()
		},
	}
	ctx := context.Background()
	r, err := f.Open(ctx, ghClaim("o", "r"))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	wantHeader := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	if len(gh.seen) == 0 || gh.seen[len(gh.seen)-1] != wantHeader {
		t.Errorf("GitHub URL saw Authorization %q, want %q", gh.seen, wantHeader)
	}
	// Another (allowed) host never sees the token.
	r, err = f.Open(ctx, Claim{Host: hostOf(t, otherSrv.URL), Owner: "group/sub", Repo: "proj"})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	for _, h := range other.seen {
		if h != "" {
			t.Errorf("non-GitHub host saw Authorization %q", h)
		}
	}
	// Not on any command line, not in errors.
	_, err = f.Open(ctx, ghClaim("o", "missing"))
	if !errors.Is(err, ErrRepoNotFound) {
		t.Fatalf("err = %v", err)
	}
	secret := wantHeader[len("Basic "):]
	for _, s := range []string{err.Error(), strings.Join(argv, " "), f.String()} {
		if strings.Contains(s, token) || strings.Contains(s, secret) {
			t.Errorf("token leaked: %s", s)
		}
	}
	rn := (&runner{}).with(nil, nil, []string{token, secret})
	if got := rn.scrub("fatal: " + token + " / " + secret); strings.Contains(got, token) || strings.Contains(got, secret) {
		t.Errorf("scrub left the token: %s", got)
	}
}

// notFoundWithGit answers 404 for /<…>.git/ paths, like a host that only
// serves repositories without the suffix.
type notFoundWithGit struct{ next http.Handler }

func (n notFoundWithGit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, ".git/") {
		http.NotFound(w, r)
		return
	}
	n.next.ServeHTTP(w, r)
}

func TestOpenNonGitHubFallsBackWithoutDotGit(t *testing.T) {
	root := t.TempDir()
	shas := buildRepo(t, filepath.Join(root, "team", "proj.git"), []testenv.Commit{{Files: files("a", "1\n")}})
	srv := httptest.NewServer(notFoundWithGit{testenv.NewGitServer(root)})
	defer srv.Close()
	host := hostOf(t, srv.URL)
	f := &Fetcher{CacheDir: t.TempDir(), AllowedHosts: []string{"http://" + host}}
	r, err := f.Open(context.Background(), Claim{Host: host, Owner: "team", Repo: "proj"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok, _ := r.ResolveCommit(context.Background(), shas[0]); !ok {
		t.Error("commit missing after fallback fetch")
	}
	if !strings.Contains(r.GitDir(), filepath.Join("git", strings.ReplaceAll(host, ":", "_"), "team", "proj.git")) {
		t.Errorf("mirror path %s", r.GitDir())
	}
}

func TestOpenConcurrent(t *testing.T) {
	root := t.TempDir()
	buildRepo(t, filepath.Join(root, "o", "r.git"), []testenv.Commit{{Files: files("a", "1\n")}, {Files: files("b", "2\n")}})
	_, base := gitServer(t, root)
	cache := t.TempDir()
	// Two Fetchers sharing a cache stand for two engines.
	fs := []*Fetcher{{GitHubURL: base, CacheDir: cache}, {GitHubURL: base, CacheDir: cache}}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := fs[i%2].Open(context.Background(), ghClaim("o", "r"))
			if err == nil {
				_, err = r.Index(context.Background())
				r.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestMirrorLockFile(t *testing.T) {
	root := t.TempDir()
	buildRepo(t, filepath.Join(root, "o", "r.git"), []testenv.Commit{{Files: files("a", "1\n")}})
	_, base := gitServer(t, root)
	cache := t.TempDir()
	f := &Fetcher{GitHubURL: base, CacheDir: cache, Timeout: time.Minute}
	lock := mirrorPath(cache, ghClaim("o", "r")) + ".lock"
	if err := os.MkdirAll(filepath.Dir(lock), 0o755); err != nil {
		t.Fatal(err)
	}
	// A fresh lock held by someone else: Open waits, then gives up with ctx.
	if err := os.WriteFile(lock, []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := f.Open(ctx, ghClaim("o", "r")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("held lock: err = %v, want deadline exceeded", err)
	}
	// A lock older than the timeout plus a minute is stale and removed.
	old := time.Now().Add(-2*time.Minute - time.Second)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	r, err := f.Open(context.Background(), ghClaim("o", "r"))
	if err != nil {
		t.Fatalf("stale lock: %v", err)
	}
	r.Close()
}

func TestMirrorSizeLimit(t *testing.T) {
	root := t.TempDir()
	buildRepo(t, filepath.Join(root, "o", "r.git"), []testenv.Commit{{Files: files("big", strings.Repeat("x\n", 5000))}})
	_, base := gitServer(t, root)
	cache := t.TempDir()
	f := &Fetcher{GitHubURL: base, CacheDir: cache, Limits: Limits{MaxMirrorBytes: 200}}
	_, err := f.Open(context.Background(), ghClaim("o", "r"))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := os.Stat(mirrorPath(cache, ghClaim("o", "r"))); !os.IsNotExist(err) {
		t.Errorf("oversized mirror kept: %v", err)
	}
}

func TestDirSizeBoundary(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o600)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 200), 0o600)
	if n, err := dirSize(dir, 300); err != nil || n != 300 {
		t.Errorf("dirSize(max 300) = %d, %v; want 300 (at the limit)", n, err)
	}
	if n, _ := dirSize(dir, 299); n <= 299 {
		t.Errorf("dirSize(max 299) = %d; want over the limit", n)
	}
}

// TestFetcherGitHubMirror: github.com claims are fetched from GitHubURL (a mirror with a path prefix here).
func TestFetcherGitHubMirror(t *testing.T) {
	f := &Fetcher{GitHubURL: "https://mirror.example.com/gh", GitHubToken: "tok", CacheDir: "/cache"}
	base, err := f.gitHubBase()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.remoteURLs(ghClaim("o", "r"), base); got[0] != "https://mirror.example.com/gh/o/r.git" {
		t.Errorf("remote = %v", got)
	}
	if f.String() != `source.Fetcher{GitHubURL: "https://mirror.example.com/gh", token: true}` {
		t.Errorf("String = %s", f.String())
	}
}

// TestWithTokenSharesMirrorLocks: a copy made with WithToken carries its own token but waits for the
// same in-process mirror lock as the Fetcher it was made from (the App makes one copy per job).
func TestWithTokenSharesMirrorLocks(t *testing.T) {
	base := &Fetcher{GitHubURL: "https://github.com", CacheDir: t.TempDir()}
	cp := base.WithToken("installation-token")
	if cp.GitHubToken != "installation-token" || base.GitHubToken != "" || cp.CacheDir != base.CacheDir {
		t.Fatalf("copy token %q, base token %q, cache %q vs %q", cp.GitHubToken, base.GitHubToken, cp.CacheDir, base.CacheDir)
	}
	mirror := filepath.Join(base.CacheDir, "git", "example.git")
	release, err := base.lock(context.Background(), mirror)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := cp.WithToken("other").lock(ctx, mirror); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a copy's copy took the mirror lock the base holds: err %v", err)
	}
	release()
	release2, err := cp.lock(context.Background(), mirror)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release2()
}
