package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

func TestBlobIDMatchesGit(t *testing.T) {
	for _, data := range []string{"", "hello\n", "\x00binary\xff", strings.Repeat("line\n", 1000)} {
		cmd := exec.Command("git", "hash-object", "--stdin")
		cmd.Stdin = strings.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := BlobID([]byte(data)), strings.TrimSpace(string(out)); got != want {
			t.Errorf("BlobID(%q) = %s, git says %s", truncate(data, 20), got, want)
		}
	}
}

func TestRepoQueries(t *testing.T) {
	ctx := context.Background()
	r, shas := openBuilt(t, []testenv.Commit{
		{Message: "first\n\nbody", Files: files("README.md", "hello\n", "src/a b.js", "a\n", "src/deep/x.js", "x\n"), Tag: "v1.0.0",
			Time: time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)},
		{Message: "second", Files: files("src/a b.js", "a2\n", "README.md", ""), Tag: "v2.0.0", Annotated: true},
	})

	// ResolveCommit: full, abbreviated, upper case; misses are (false, nil).
	for _, rev := range []string{shas[0], shas[0][:7], shas[0][:4], strings.ToUpper(shas[0][:10])} {
		if got, ok, err := r.ResolveCommit(ctx, rev); err != nil || !ok || got != shas[0] {
			t.Errorf("ResolveCommit(%q) = %q %v %v", rev, got, ok, err)
		}
	}
	blob := BlobID([]byte("hello\n"))
	for _, rev := range []string{"", "abc", "main", "v1.0.0", "HEAD", "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", blob, shas[0] + "^", strings.Repeat("a", 65), "--all"} {
		if got, ok, err := r.ResolveCommit(ctx, rev); err != nil || ok {
			t.Errorf("ResolveCommit(%q) = %q %v %v, want not found", rev, got, ok, err)
		}
	}

	tags, err := r.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || tags["v1.0.0"] != shas[0] || tags["v2.0.0"] != shas[1] {
		t.Errorf("Tags = %v", tags)
	}

	tree, err := r.Tree(ctx, shas[0], "src")
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 2 || tree["a b.js"].ID != BlobID([]byte("a\n")) || tree["deep/x.js"].Mode != "100644" {
		t.Errorf("Tree(src) = %v", tree)
	}
	if tree, err := r.Tree(ctx, shas[1], ""); err != nil || len(tree) != 2 {
		t.Errorf("Tree(root) = %v, %v", tree, err)
	}
	for _, dir := range []string{"missing", "README.md"} {
		if _, err := r.Tree(ctx, shas[0], dir); !errors.Is(err, ErrNotFound) {
			t.Errorf("Tree(%q) err = %v, want ErrNotFound", dir, err)
		}
	}
	if _, err := r.Tree(ctx, shas[0], "../x"); !errors.Is(err, ErrInvalidClaim) {
		t.Errorf("Tree(../x) err = %v", err)
	}
	if _, err := r.Tree(ctx, "not-a-sha", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tree(not-a-sha) err = %v", err)
	}

	data, err := r.ReadBlob(ctx, blob)
	if err != nil || string(data) != "hello\n" {
		t.Errorf("ReadBlob = %q, %v", data, err)
	}
	if _, err := r.ReadBlob(ctx, shas[0]); err == nil {
		t.Error("ReadBlob of a commit succeeded")
	}
	for _, id := range []string{"", "HEAD:README.md", blob[:10], strings.Repeat("0", 40)} {
		if _, err := r.ReadBlob(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("ReadBlob(%q) err = %v, want ErrNotFound", id, err)
		}
	}

	info, err := r.CommitInfo(ctx, shas[0][:8])
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA != shas[0] || info.Short != shas[0][:7] || info.Subject != "first" || !info.Time.Equal(time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("CommitInfo = %+v", info)
	}
	if _, err := r.CommitInfo(ctx, strings.Repeat("f", 40)); !errors.Is(err, ErrNotFound) {
		t.Errorf("CommitInfo(missing) err = %v", err)
	}
}

func TestRepoReadLimits(t *testing.T) {
	ctx := context.Background()
	r, shas := openBuilt(t, []testenv.Commit{{Files: files("a", "12345", "b", "x\n", "c", "y\n")}})
	r.limits.MaxBlobSize = 5
	if _, err := r.ReadBlob(ctx, BlobID([]byte("12345"))); err != nil {
		t.Errorf("blob at MaxBlobSize: %v", err)
	}
	r.limits.MaxBlobSize = 4
	if _, err := r.ReadBlob(ctx, BlobID([]byte("12345"))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("blob over MaxBlobSize: err = %v", err)
	}
	// The batch process survives a refusal.
	if _, err := r.ReadBlob(ctx, BlobID([]byte("x\n"))); err != nil {
		t.Errorf("after refusal: %v", err)
	}
	r.limits.MaxTreeEntries = 3
	if _, err := r.Tree(ctx, shas[0], ""); err != nil {
		t.Errorf("tree at MaxTreeEntries: %v", err)
	}
	r.limits.MaxTreeEntries = 2
	if _, err := r.Tree(ctx, shas[0], ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("tree over MaxTreeEntries: err = %v", err)
	}
}

func TestTagsLimit(t *testing.T) {
	ctx := context.Background()
	r, _ := openBuilt(t, []testenv.Commit{{Tag: "a"}, {Tag: "b"}, {Tag: "c"}})
	r.limits.MaxTags = 3
	if tags, err := r.Tags(ctx); err != nil || len(tags) != 3 {
		t.Errorf("3 tags at MaxTags 3: %v %v", tags, err)
	}
	r.limits.MaxTags = 2
	if _, err := r.Tags(ctx); !errors.Is(err, ErrTooLarge) {
		t.Errorf("3 tags at MaxTags 2: err = %v", err)
	}
	// Resolve goes on without tags, and says so.
	res, err := Resolve(ctx, r, ResolveRequest{Name: "x", Version: "a"})
	if err != nil || strings.HasPrefix(res.ResolvedBy, "tag") || !hasNote(res, "more than 2 tags") {
		t.Errorf("Resolve with too many tags: %+v %v", res, err)
	}
}

func TestRepoCanceledContext(t *testing.T) {
	r, shas := openBuilt(t, []testenv.Commit{{Files: files("a", "1\n")}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := r.ResolveCommit(ctx, shas[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want canceled", err)
	}
	// The repository still works with a live context.
	if _, ok, err := r.ResolveCommit(context.Background(), shas[0]); err != nil || !ok {
		t.Errorf("after cancel: %v %v", ok, err)
	}
	r.Close()
	if _, _, err := r.ResolveCommit(context.Background(), shas[0]); err == nil {
		t.Error("query after Close succeeded")
	}
}

func TestIndex(t *testing.T) {
	ctx := context.Background()
	r, shas := openBuilt(t, []testenv.Commit{
		{Files: files("package.json", `{"name":"a"}`, "lib/index.js", "v1\n", "notpackage.json", "{}")},
		{Files: files("lib/index.js", "v2\n", "packages/x/package.json", `{"name":"x"}`)},
		{Files: files("lib/index.js", "v1\n", "copy.js", "v2\n")}, // a revert, and v2 elsewhere
		{Files: files("lib/index.js", "")},                        // deleted
	})
	ix, err := r.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ix2, _ := r.Index(ctx); ix2 != ix {
		t.Error("Index not memoised")
	}
	if ix.Truncated() || ix.Commits() != 4 {
		t.Errorf("Truncated=%v Commits=%d", ix.Truncated(), ix.Commits())
	}
	v1, v2 := BlobID([]byte("v1\n")), BlobID([]byte("v2\n"))
	got := ix.PathVersions("lib/index.js")
	if len(got) != 2 || got[0].Blob != v2 || got[0].Commit != shas[1] || got[1].Blob != v1 || got[1].Commit != shas[0] {
		t.Errorf("PathVersions = %+v", got)
	}
	if !got[0].Time.After(got[1].Time) {
		t.Error("PathVersions not newest first")
	}
	where := ix.BlobPaths(v2)
	if len(where) != 2 || where[0].Path != "copy.js" || where[0].Commit != shas[2] || where[1].Path != "lib/index.js" {
		t.Errorf("BlobPaths = %+v", where)
	}
	if ix.BlobPaths("nothex") != nil || len(ix.BlobPaths(strings.Repeat("0", 40))) != 0 {
		t.Error("BlobPaths of junk")
	}
	if p := ix.Paths("package.json"); !slices.Equal(p, []string{"package.json", "packages/x/package.json"}) {
		t.Errorf("Paths = %v", p)
	}
	if !ix.hasDir("packages/x") || ix.hasDir("packages/y") || ix.hasDir("lib/index.js") {
		t.Error("hasDir")
	}
}

func TestIndexMergesAndBranches(t *testing.T) {
	// A merge brings a blob from a side branch; -m attributes it.
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "m.git")
	buildRepo(t, dir, []testenv.Commit{{Files: files("a", "1\n")}})
	work := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=" + work, "PATH=/usr/bin:/bin",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e",
			"GIT_AUTHOR_DATE=1704100000 +0000", "GIT_COMMITTER_DATE=1704100000 +0000"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("clone", "-q", dir, "w")
	work = filepath.Join(work, "w")
	run("checkout", "-q", "-b", "side")
	if err := os.WriteFile(filepath.Join(work, "s"), []byte("side\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "s")
	run("commit", "-q", "-m", "side")
	run("checkout", "-q", "main")
	if err := os.WriteFile(filepath.Join(work, "m"), []byte("main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "m")
	run("commit", "-q", "-m", "main")
	run("merge", "-q", "--no-edit", "side")
	run("push", "-q", "origin", "main", "side")
	r, err := OpenLocal(ctx, dir, Claim{Host: "github.com", Owner: "o", Repo: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ix, err := r.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Commits() != 4 {
		t.Errorf("Commits = %d, want 4", ix.Commits())
	}
	if vs := ix.PathVersions("s"); len(vs) != 1 {
		t.Errorf("PathVersions(s) = %+v", vs)
	}
}

func TestIndexLimits(t *testing.T) {
	ctx := context.Background()
	commits := []testenv.Commit{
		{Files: files("a", "1\n", "b", "1\n")},
		{Files: files("a", "2\n")},
		{Files: files("a", "3\n")},
	}
	tests := []struct {
		commits, changes int
		truncated        bool
		versions         int
	}{
		{commits: 3, changes: 100, versions: 3},
		{commits: 2, changes: 100, truncated: true, versions: 2},
		{commits: 100, changes: 4, versions: 3},
		{commits: 100, changes: 3, truncated: true, versions: 3}, // b, the 4th change, is dropped
		{commits: 100, changes: 2, truncated: true, versions: 2},
	}
	for _, tc := range tests {
		r, _ := openBuilt(t, commits)
		r.limits.MaxIndexCommits, r.limits.MaxIndexChanges = tc.commits, tc.changes
		ix, err := r.Index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ix.Truncated() != tc.truncated || len(ix.PathVersions("a")) != tc.versions {
			t.Errorf("limits %d/%d: truncated=%v versions=%d, want %v %d", tc.commits, tc.changes,
				ix.Truncated(), len(ix.PathVersions("a")), tc.truncated, tc.versions)
		}
	}
}

func TestIndexEmptyRepo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "e.git")
	if _, err := testenv.BuildRepo(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	r, err := OpenLocal(context.Background(), dir, Claim{Host: "github.com", Owner: "o", Repo: "e"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ix, err := r.Index(context.Background())
	if err != nil || ix.Commits() != 0 {
		t.Fatalf("empty repo index: %v %v", ix, err)
	}
	res, err := Resolve(context.Background(), r, ResolveRequest{Name: "x", Version: "1.0.0", Files: map[string]string{"index.js": BlobID([]byte("x"))}})
	if err != nil || res.Commit != "" {
		t.Errorf("Resolve on empty repo = %+v, %v", res, err)
	}
}

func TestOpenLocalNotARepo(t *testing.T) {
	if _, err := OpenLocal(context.Background(), t.TempDir(), Claim{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v", err)
	}
}

func TestParseTreeMalformed(t *testing.T) {
	for _, data := range [][]byte{
		[]byte("100644"),
		[]byte("100644 name"),
		[]byte("100644 name\x00short"),
		[]byte("12345678 n\x00" + strings.Repeat("a", 20)),
	} {
		if _, err := parseTree(data); err == nil {
			t.Errorf("parseTree(%q) accepted", data)
		}
	}
	if got, err := parseTree([]byte("40000 d\x00" + strings.Repeat("\x01", 20))); err != nil || len(got) != 1 || !got[0].isTree() {
		t.Errorf("parseTree = %v %v", got, err)
	}
}

// TestCurlResolvePinning checks that git honours the address pin Open uses
// against DNS rebinding: a .invalid name (never resolvable) reaches the test
// server only through http.curloptResolve.
func TestCurlResolvePinning(t *testing.T) {
	root := t.TempDir()
	buildRepo(t, filepath.Join(root, "o", "r.git"), []testenv.Commit{{Files: files("a", "1\n")}})
	_, base := gitServer(t, root)
	port := strings.TrimPrefix(hostOf(t, base), "127.0.0.1:")
	rn, err := newRunner(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rn = rn.with([]string{"protocol.http.allow=always", "http.curloptResolve=pinned.invalid:" + port + ":127.0.0.1"}, nil, nil)
	out, err := rn.output(context.Background(), "", 1<<20, "ls-remote", fmt.Sprintf("http://pinned.invalid:%s/o/r.git", port))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "refs/heads/main") {
		t.Errorf("ls-remote = %s", out)
	}
}

func TestTreeObjectLimit(t *testing.T) {
	ctx := context.Background()
	r, shas := openBuilt(t, []testenv.Commit{{Files: files("a", "1\n", "b", "2\n")}})
	oi, err := r.batch.info(ctx, shas[0]+"^{tree}")
	if err != nil {
		t.Fatal(err)
	}
	r.limits.MaxTreeObjectBytes = oi.Size
	if entries, err := r.readTree(ctx, oi.ID); err != nil || len(entries) != 2 {
		t.Errorf("tree at MaxTreeObjectBytes: %v %v", entries, err)
	}
	r.limits.MaxTreeObjectBytes = oi.Size - 1
	if _, err := r.readTree(ctx, oi.ID); !errors.Is(err, ErrTooLarge) {
		t.Errorf("tree over MaxTreeObjectBytes: %v", err)
	}
	// A blob where a tree is expected is refused and the stream stays in sync.
	if _, err := r.readTree(ctx, BlobID([]byte("1\n"))); !errors.Is(err, errWrongType) {
		t.Errorf("blob as tree: %v", err)
	}
	r.limits.MaxTreeObjectBytes = oi.Size
	if _, err := r.readTree(ctx, oi.ID); err != nil {
		t.Errorf("after refusals: %v", err)
	}
}

func TestGitOutputLimit(t *testing.T) {
	rn, err := newRunner(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := rn.output(context.Background(), "", 1<<20, "version")
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(out))
	if _, err := rn.output(context.Background(), "", n, "version"); err != nil {
		t.Errorf("output at the limit: %v", err)
	}
	if _, err := rn.output(context.Background(), "", n-1, "version"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("output over the limit: %v", err)
	}
}

func TestReadTokenBoundary(t *testing.T) {
	const max = 10
	in := strings.Repeat("a", max) + "\x00" + strings.Repeat("b", max+1) + "\x00c\x00" + strings.Repeat("d", 70000) + "\x00e\x00"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	want := []string{strings.Repeat("a", max), "ERR", "c", "ERR", "e", "EOF"}
	for i, w := range want {
		tok, err := readToken(br, max)
		got := string(tok)
		switch {
		case errors.Is(err, errTokenTooLong):
			got = "ERR"
		case err == io.EOF:
			got = "EOF"
		case err != nil:
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("token %d = %q, want %q", i, truncate(got, 20), w)
		}
	}
	if _, err := readToken(bufio.NewReader(strings.NewReader("unterminated")), max); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("unterminated: %v", err)
	}
}
