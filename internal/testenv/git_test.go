package testenv

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir, "GIT_TERMINAL_PROMPT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func TestBuildRepoDeterministic(t *testing.T) {
	ctx := context.Background()
	commits := []Commit{
		{Files: map[string]string{"a.txt": "one\n", "dir/b.txt": "two\n"}, Tag: "v1.0.0"},
		{Message: "second", Files: map[string]string{"a.txt": "changed\n", "dir/b.txt": ""}, Tag: "v1.1.0", Annotated: true},
		{Author: "Jane Doe", Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Files: map[string]string{"c.txt": "three\n"}},
	}
	var first []string
	for i := range 2 {
		dir := filepath.Join(t.TempDir(), "o", "r.git")
		shas, err := BuildRepo(ctx, dir, commits)
		if err != nil {
			t.Fatal(err)
		}
		if len(shas) != 3 {
			t.Fatalf("got %d shas", len(shas))
		}
		if i == 0 {
			first = shas
			// The history is what was asked for.
			if got := gitOut(t, dir, "--git-dir="+dir, "ls-tree", "-r", "--name-only", shas[1]); got != "a.txt" {
				t.Errorf("tree of second commit = %q", got)
			}
			if got := gitOut(t, dir, "--git-dir="+dir, "show", "-s", "--format=%an|%at|%s", shas[2]); got != "Jane Doe|1714564800|commit 3" {
				t.Errorf("third commit = %q", got)
			}
			if got := gitOut(t, dir, "--git-dir="+dir, "cat-file", "-t", "v1.1.0"); got != "tag" {
				t.Errorf("v1.1.0 is a %s, want an annotated tag", got)
			}
			if got := gitOut(t, dir, "--git-dir="+dir, "rev-parse", "v1.0.0"); got != shas[0] {
				t.Errorf("v1.0.0 = %s, want %s", got, shas[0])
			}
			continue
		}
		for j := range shas {
			if shas[j] != first[j] {
				t.Errorf("commit %d: %s then %s: not deterministic", j, first[j], shas[j])
			}
		}
	}
}

func TestBuildRepoAppends(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "r.git")
	a, err := BuildRepo(ctx, dir, []Commit{{Files: map[string]string{"a": "1\n"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := BuildRepo(ctx, dir, []Commit{{Files: map[string]string{"b": "2\n"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := gitOut(t, dir, "--git-dir="+dir, "rev-parse", b[0]+"^"); got != a[0] {
		t.Errorf("parent of appended commit = %s, want %s", got, a[0])
	}
	if got := gitOut(t, dir, "--git-dir="+dir, "show", "-s", "--format=%ct %s", b[0]); got != "1704067260 commit 2" {
		t.Errorf("appended commit = %q", got)
	}
	if _, err := BuildRepo(ctx, dir, []Commit{{Files: map[string]string{"\"bad": "x"}}}); err == nil {
		t.Error("quoted path accepted")
	}
}

func TestGitServerClone(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	shas, err := BuildRepo(ctx, filepath.Join(root, "acme", "tool.git"), []Commit{{Files: map[string]string{"README.md": "hi\n"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BuildRepo(ctx, filepath.Join(root, "group", "sub", "proj.git"), []Commit{{Files: map[string]string{"x": "y\n"}}}); err != nil {
		t.Fatal(err)
	}
	s := NewGitServer(root)
	base := s.Start()
	defer s.Close()
	if s.Start() != base {
		t.Error("second Start returned another URL")
	}
	work := t.TempDir()
	for i, u := range []string{base + "/acme/tool.git", base + "/acme/tool", base + "/group/sub/proj"} {
		dst := filepath.Join(work, string(rune('a'+i)))
		gitOut(t, work, "clone", "--bare", "--quiet", u, dst)
		if i < 2 {
			if got := gitOut(t, work, "--git-dir="+dst, "rev-parse", "main"); got != shas[0] {
				t.Errorf("%s: main = %s, want %s", u, got, shas[0])
			}
		}
	}
	if s.Hits() < 6 {
		t.Errorf("Hits = %d, want at least two per clone", s.Hits())
	}
	resp, err := http.Get(base + "/acme/missing.git/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing repository: status %d, want 404", resp.StatusCode)
	}
	// A chunked upload-pack request is buffered for CGI.
	req, _ := http.NewRequest("POST", base+"/acme/tool.git/git-upload-pack", strings.NewReader("0000"))
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("chunked request: status %d", resp.StatusCode)
	}
}
