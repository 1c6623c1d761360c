package source

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

// buildRepo builds a bare repository at dir and fails the test on error.
func buildRepo(t testing.TB, dir string, commits []testenv.Commit) []string {
	t.Helper()
	shas, err := testenv.BuildRepo(context.Background(), dir, commits)
	if err != nil {
		t.Fatal(err)
	}
	return shas
}

// openBuilt builds a repository and opens it locally.
func openBuilt(t testing.TB, commits []testenv.Commit) (*Repo, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "o", "r.git")
	shas := buildRepo(t, dir, commits)
	r, err := OpenLocal(context.Background(), dir, Claim{Host: "github.com", Owner: "o", Repo: "r"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, shas
}

// gitServer starts a git server over root and returns its base URL.
func gitServer(t testing.TB, root string) (*testenv.GitServer, string) {
	t.Helper()
	s := testenv.NewGitServer(root)
	base := s.Start()
	t.Cleanup(s.Close)
	return s, base
}

// hostOf returns "host:port" of a URL.
func hostOf(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func files(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
