package ghapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

// The test world: App 42 ("mcpvet") installed (installation 7) on "acme"; acme/widgets has pull request
// #5 from "mallory" whose base and head trees are seeded.
const (
	tAppID    = 42
	tInstall  = 7
	tOwner    = "acme"
	tRepo     = "widgets"
	tPull     = 5
	tToken    = "ghs_testtoken0123456789"
	tBaseSHA  = "1111111111111111111111111111111111111111"
	tHeadSHA  = "2222222222222222222222222222222222222222"
	tOtherSHA = "3333333333333333333333333333333333333333"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// appKey returns an RSA key shared by the tests and its PEM form.
func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return testKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey)})
}

// newFake starts a validating GitHub fake with the test world; base and head trees are given. On
// cleanup it fails the test on any OpenAPI violation.
func newFake(t *testing.T, base, head map[string][]byte, files []testenv.PullFile) (*testenv.GitHub, string) {
	t.Helper()
	testenv.RequireOpenAPI(t)
	g := testenv.NewGitHub()
	key, _ := appKey(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.AddApp(testenv.GitHubApp{ID: tAppID, Slug: "mcpvet", PublicKey: &key.PublicKey}))
	must(g.AddInstallation(testenv.Installation{ID: tInstall, AppID: tAppID, Account: tOwner}))
	must(g.AddInstallationToken(tToken, tInstall))
	must(g.AddRepository(testenv.Repository{Owner: tOwner, Name: tRepo}))
	must(g.AddCommit(tOwner, tRepo, tBaseSHA, base))
	must(g.AddCommit(tOwner, tRepo, tHeadSHA, head))
	must(g.SetBranch(tOwner, tRepo, "main", tBaseSHA))
	must(g.AddPull(tOwner, tRepo, testenv.Pull{Number: tPull, User: "mallory", HeadRef: "bump", HeadSHA: tHeadSHA, BaseSHA: tBaseSHA, Files: files}))
	url := g.Start()
	t.Cleanup(func() {
		g.Close()
		if v := g.Violations(); len(v) > 0 {
			t.Errorf("OpenAPI violations:\n%s", strings.Join(v, "\n"))
		}
	})
	return g, url
}

// simpleTrees is a small base and head: package.json changes one line.
func simpleTrees() (base, head map[string][]byte) {
	base = map[string][]byte{
		"package.json": []byte("{\n  \"name\": \"widgets\",\n  \"dependencies\": {\n    \"a\": \"1.0.0\"\n  }\n}\n"),
		"README.md":    []byte("# widgets\n"),
		"src/index.js": []byte("console.log(1)\n"),
	}
	head = map[string][]byte{
		"package.json": []byte("{\n  \"name\": \"widgets\",\n  \"dependencies\": {\n    \"a\": \"1.0.1\"\n  }\n}\n"),
		"README.md":    []byte("# widgets\n"),
		"src/index.js": []byte("console.log(1)\n"),
	}
	return base, head
}

// fakeClock is a clock that only moves when something sleeps on it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{now: time.Unix(1_750_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.sleeps = append(c.sleeps, d)
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// requestsTo returns the logged requests of a route ("GET /repos/{owner}/{repo}/pulls/{pull_number}").
func requestsTo(g *testenv.GitHub, route string) []testenv.GitHubRequest {
	var out []testenv.GitHubRequest
	for _, r := range g.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}
