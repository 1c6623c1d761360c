package ghapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

const routeListFiles = "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"
const routeContents = "GET /repos/{owner}/{repo}/contents/{path}"

func client(t *testing.T, url string) *github.Client {
	t.Helper()
	c, err := NewTokenClientWithOptions(url, tToken, nil, TransportOptions{MinWriteInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOpenPRPagination(t *testing.T) {
	base, head := map[string][]byte{}, map[string][]byte{}
	for i := range 150 {
		name := fmt.Sprintf("pkg/%03d/package.json", i)
		base[name] = []byte(fmt.Sprintf("{\"version\": \"1.0.%d\"}\n", i))
		head[name] = []byte(fmt.Sprintf("{\"version\": \"2.0.%d\"}\n", i))
	}
	g, url := newFake(t, base, head, nil)
	pr, err := OpenPR(context.Background(), client(t, url), tOwner, tRepo, tPull)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := pr.ChangedPaths(context.Background())
	if len(paths) != 150 || paths[0] != "pkg/000/package.json" || paths[149] != "pkg/149/package.json" {
		t.Errorf("%d paths: %v…", len(paths), paths[:min(len(paths), 3)])
	}
	if n := len(requestsTo(g, routeListFiles)); n != 2 {
		t.Errorf("%d file list requests, want 2 pages of 100", n)
	}
	info := pr.Info()
	want := PRInfo{Owner: tOwner, Repo: tRepo, Number: tPull, BaseSHA: tBaseSHA, HeadSHA: tHeadSHA, BaseRef: "main",
		Author: "mallory", AuthorType: "User", State: "open", HeadRepo: "acme/widgets"}
	if info != want {
		t.Errorf("Info = %+v\nwant   %+v", info, want)
	}
	data, err := pr.ReadHead(context.Background(), "pkg/007/package.json")
	if err != nil || string(data) != "{\"version\": \"2.0.7\"}\n" {
		t.Errorf("ReadHead = %q, %v", data, err)
	}
	data, err = pr.ReadBase(context.Background(), "pkg/007/package.json")
	if err != nil || string(data) != "{\"version\": \"1.0.7\"}\n" {
		t.Errorf("ReadBase = %q, %v", data, err)
	}
}

func TestOpenPRFileLimit(t *testing.T) {
	base, head := simpleTrees()
	for _, n := range []int{MaxPullFiles, MaxPullFiles + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			files := make([]testenv.PullFile, n)
			for i := range files {
				files[i] = testenv.PullFile{Filename: fmt.Sprintf("f/%04d.txt", i)}
			}
			_, url := newFake(t, base, head, files)
			pr, err := OpenPR(context.Background(), client(t, url), tOwner, tRepo, tPull)
			if n <= MaxPullFiles {
				if err != nil || len(pr.paths) != n {
					t.Errorf("%d files: %v", n, err)
				}
				return
			}
			if !errors.Is(err, ErrTooManyFiles) || !Permanent(err) {
				t.Errorf("%d files: err = %v, want ErrTooManyFiles", n, err)
			}
		})
	}
}

func TestOpenPRAtStaleHead(t *testing.T) {
	base, head := simpleTrees()
	_, url := newFake(t, base, head, nil)
	c := client(t, url)
	if _, err := OpenPRAt(context.Background(), c, tOwner, tRepo, tPull, tHeadSHA); err != nil {
		t.Fatalf("current head: %v", err)
	}
	_, err := OpenPRAt(context.Background(), c, tOwner, tRepo, tPull, tOtherSHA)
	if !errors.Is(err, ErrStaleHead) || !Permanent(err) {
		t.Errorf("old head: err = %v, want ErrStaleHead", err)
	}
	if _, err := OpenPRAt(context.Background(), c, tOwner, tRepo, tPull, "main"); !errors.Is(err, ErrInvalid) {
		t.Errorf("head not a commit id: %v", err)
	}
	_, err = OpenPR(context.Background(), c, tOwner, tRepo, 404)
	if StatusCode(err) != http.StatusNotFound || !Permanent(err) {
		t.Errorf("unknown pull request: %v", err)
	}
	for _, bad := range [][2]string{{"acme", "../x"}, {"", "widgets"}, {"a b", "c"}} {
		if _, err := OpenPR(context.Background(), c, bad[0], bad[1], 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenPR(%q, %q): %v", bad[0], bad[1], err)
		}
	}
}

func TestReadFiles(t *testing.T) {
	base, head := simpleTrees()
	big := bytes.Repeat([]byte("0123456789abcdef\n"), (1<<20)/17+1000) // over the contents API's 1 MB JSON limit
	head["package-lock.json"] = big
	head["dir/sub/x.json"] = []byte("{}\n")
	g, url := newFake(t, base, head, nil)
	pr, err := OpenPR(context.Background(), client(t, url), tOwner, tRepo, tPull)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := pr.ReadHead(ctx, "package-lock.json")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("ReadHead of %d bytes: %d bytes, %v", len(big), len(got), err)
	}
	for _, r := range requestsTo(g, routeContents) {
		if !strings.Contains(r.Accept, "raw") {
			t.Errorf("contents request with Accept %q", r.Accept)
		}
	}
	tests := []struct {
		name string
		read func(context.Context, string) ([]byte, error)
		path string
		want error
	}{
		{"absent in base", pr.ReadBase, "package-lock.json", fs.ErrNotExist},
		{"absent in head", pr.ReadHead, "nope.json", fs.ErrNotExist},
		{"a directory", pr.ReadHead, "dir/sub", fs.ErrNotExist},
		{"escaping path", pr.ReadHead, "../etc/passwd", ErrInvalid},
		{"empty segment", pr.ReadHead, "dir//x.json", ErrInvalid},
		{"absolute", pr.ReadHead, "/etc/passwd", ErrInvalid},
		{"too long", pr.ReadHead, strings.Repeat("a", MaxPathLength+1), ErrInvalid},
	}
	for _, tc := range tests {
		if _, err := tc.read(ctx, tc.path); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if got, err := pr.ReadHead(ctx, "dir/sub/x.json"); err != nil || string(got) != "{}\n" {
		t.Errorf("nested file: %q, %v", got, err)
	}
	if err := checkPath(strings.Repeat("a", MaxPathLength)); err != nil {
		t.Errorf("a path of MaxPathLength: %v", err)
	}
}

func TestReadFileSizeLimit(t *testing.T) {
	base, head := simpleTrees()
	head["at-limit"] = bytes.Repeat([]byte("x"), 1000)
	head["over-limit"] = bytes.Repeat([]byte("x"), 1001)
	_, url := newFake(t, base, head, nil)
	c := client(t, url)
	if got, err := readFile(context.Background(), c, tOwner, tRepo, tHeadSHA, "at-limit", 1000); err != nil || len(got) != 1000 {
		t.Errorf("at the limit: %d bytes, %v", len(got), err)
	}
	if _, err := readFile(context.Background(), c, tOwner, tRepo, tHeadSHA, "over-limit", 1000); err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Errorf("over the limit: %v", err)
	}
}

// TestReadCacheLimit: a file that brings the kept contents to exactly MaxReadCacheBytes is kept (read
// again from memory); one byte more and it is read from GitHub every time.
func TestReadCacheLimit(t *testing.T) {
	base, head := simpleTrees()
	g, url := newFake(t, base, head, nil)
	ctx := context.Background()
	pr, err := OpenPR(ctx, client(t, url), tOwner, tRepo, tPull)
	if err != nil {
		t.Fatal(err)
	}
	size := len(head["package.json"])
	for _, tc := range []struct {
		used int // bytes already kept
		kept bool
	}{
		{MaxReadCacheBytes - size, true},
		{MaxReadCacheBytes - size + 1, false},
	} {
		pr.mu.Lock()
		pr.contents, pr.cacheBytes = map[string][]byte{}, tc.used
		pr.mu.Unlock()
		before := len(requestsTo(g, routeContents))
		for range 2 {
			if got, err := pr.ReadHead(ctx, "package.json"); err != nil || !bytes.Equal(got, head["package.json"]) {
				t.Fatalf("ReadHead = %q, %v", got, err)
			}
		}
		wantReads, wantUsed := 2, tc.used
		if tc.kept {
			wantReads, wantUsed = 1, MaxReadCacheBytes
		}
		if n := len(requestsTo(g, routeContents)) - before; n != wantReads || pr.cacheBytes != wantUsed {
			t.Errorf("%d bytes kept before: %d contents requests for two reads, %d bytes kept; want %d, %d",
				tc.used, n, pr.cacheBytes, wantReads, wantUsed)
		}
	}
}

// lockfile is a package-lock.json-like text of n packages with the given versions overridden.
func lockfile(n int, override map[int]string) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n")
	for i := range n {
		v := fmt.Sprintf("1.%d.0", i)
		if o, ok := override[i]; ok {
			v = o
		}
		fmt.Fprintf(&b, "    \"node_modules/p%d\": {\n      \"version\": %q,\n      \"resolved\": \"https://registry.npmjs.org/p%d/-/p%d-%s.tgz\",\n      \"license\": \"MIT\"\n    },\n", i, v, i, i, v)
	}
	b.WriteString("    \"end\": {}\n  }\n}\n")
	return []byte(b.String())
}

func TestInDiffBigLockfileWithoutPatch(t *testing.T) {
	baseLock := lockfile(3000, nil)
	headLock := lockfile(3000, map[int]string{10: "9.9.9", 11: "9.9.9", 1500: "2.0.0", 2999: "3.0.0"})
	base, head := simpleTrees()
	base["package-lock.json"], head["package-lock.json"] = baseLock, headLock
	files := []testenv.PullFile{
		{Filename: "package.json", Patch: testenv.DiffPatch(string(base["package.json"]), string(head["package.json"]))},
		// GitHub omits the patch of large lockfiles; the fake still places comments by it.
		{Filename: "package-lock.json", Patch: testenv.DiffPatch(string(baseLock), string(headLock)), OmitPatch: true},
	}
	g, url := newFake(t, base, head, files)
	c := client(t, url)
	pr, err := OpenPR(context.Background(), c, tOwner, tRepo, tPull)
	if err != nil {
		t.Fatal(err)
	}
	if f := pr.files["package-lock.json"]; f == nil || f.hasPatch {
		t.Fatalf("the files API listed the lockfile's patch: %+v", f)
	}
	want, err := patchRanges(files[1].Patch)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lines := bytes.Count(headLock, []byte("\n"))
	var inside []int
	for l := 1; l <= lines; l++ {
		got, err := pr.InDiff(ctx, "package-lock.json", l)
		if err != nil {
			t.Fatal(err)
		}
		if got != rangesContain(want, l) {
			t.Errorf("InDiff(package-lock.json, %d) = %v, GitHub's patch says %v", l, got, !got)
		}
		if got {
			inside = append(inside, l)
		}
	}
	if len(inside) == 0 {
		t.Fatal("no line in the diff")
	}
	// GitHub (the fake) takes a review commenting on every one of those lines …
	review := func(lines ...int) error {
		req := &github.PullRequestReviewRequest{CommitID: github.String(tHeadSHA), Event: github.String("COMMENT"), Body: github.String("x")}
		for _, l := range lines {
			req.Comments = append(req.Comments, &github.DraftReviewComment{Path: github.String("package-lock.json"),
				Line: github.Int(l), Side: github.String("RIGHT"), Body: github.String("here")})
		}
		_, _, err := c.PullRequests.CreateReview(ctx, tOwner, tRepo, tPull, req)
		return err
	}
	if err := review(inside...); err != nil {
		t.Errorf("review on the lines InDiff accepts: %v", err)
	}
	// … and refuses one just outside.
	outside := inside[len(inside)-1] + 1
	if ok, _ := pr.InDiff(ctx, "package-lock.json", outside); ok {
		t.Fatalf("line %d is in the diff", outside)
	}
	if err := review(outside); StatusCode(err) != http.StatusUnprocessableEntity {
		t.Errorf("review outside the diff: %v, want 422", err)
	}
	// The package.json patch is GitHub's own: no contents request is needed to place its comments.
	before := len(requestsTo(g, routeContents))
	if ok, err := pr.InDiff(ctx, "package.json", 4); err != nil || !ok {
		t.Errorf("InDiff(package.json, 4) = %v, %v", ok, err)
	}
	if n := len(requestsTo(g, routeContents)); n != before {
		t.Errorf("%d contents requests for a file with a patch", n-before)
	}
	for _, tc := range []struct {
		path string
		line int
	}{{"README.md", 1}, {"package.json", 0}, {"package.json", -3}, {"package.json", 1000}} {
		if ok, err := pr.InDiff(ctx, tc.path, tc.line); ok || err != nil {
			t.Errorf("InDiff(%s, %d) = %v, %v", tc.path, tc.line, ok, err)
		}
	}
}

func TestDiffRangesMatchGitHubPatches(t *testing.T) {
	lines := func(n int, f func(int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	many := lines(40, func(i int) string { return fmt.Sprintf("line %d", i+1) })
	tests := []struct{ name, old, new string }{
		{"equal", many, many},
		{"one line changed", many, strings.Replace(many, "line 20\n", "LINE 20\n", 1)},
		{"first line changed", many, strings.Replace(many, "line 1\n", "LINE 1\n", 1)},
		{"last line changed", many, strings.Replace(many, "line 40\n", "LINE 40\n", 1)},
		{"insertion", many, strings.Replace(many, "line 20\n", "line 20\nnew a\nnew b\n", 1)},
		{"deletion", many, strings.Replace(many, "line 20\nline 21\n", "", 1)},
		{"two hunks", many, strings.Replace(strings.Replace(many, "line 5\n", "X\n", 1), "line 30\n", "Y\n", 1)},
		{"changes 6 apart", many, strings.Replace(strings.Replace(many, "line 10\n", "X\n", 1), "line 17\n", "Y\n", 1)},
		{"changes 7 apart", many, strings.Replace(strings.Replace(many, "line 10\n", "X\n", 1), "line 18\n", "Y\n", 1)},
		{"added file", "", many},
		{"emptied file", many, ""},
		{"no newline at end", "a\nb", "a\nc"},
		{"newline added at end", "a", "a\n"},
		{"all different", many, lines(40, func(i int) string { return fmt.Sprintf("other %d", i) })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := patchRanges(testenv.DiffPatch(tc.old, tc.new))
			if err != nil {
				t.Fatal(err)
			}
			got := diffRanges([]byte(tc.old), []byte(tc.new))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("diffRanges = %v, GitHub-style patch covers %v", got, want)
			}
		})
	}
}

func TestPatchRanges(t *testing.T) {
	got, err := patchRanges("@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -20,2 +21,0 @@\n-x\n-y\n\\ No newline at end of file")
	if err != nil || fmt.Sprint(got) != "[{1 4}]" {
		t.Errorf("patchRanges = %v, %v", got, err)
	}
	for _, bad := range []string{" a", "@@ -1 +x @@\n a", "@@ -1 +1 @@\n*a", "@@ nonsense"} {
		if _, err := patchRanges(bad); err == nil {
			t.Errorf("patchRanges(%q) accepted", bad)
		}
	}
}

func TestOpenCompare(t *testing.T) {
	base, head := simpleTrees()
	head["new.json"] = []byte("{}\n")
	_, url := newFake(t, base, head, nil)
	c := client(t, url)
	pr, err := OpenCompare(context.Background(), c, tOwner, tRepo, tBaseSHA, tHeadSHA)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := pr.ChangedPaths(context.Background())
	if fmt.Sprint(paths) != "[new.json package.json]" || pr.Info().Number != 0 || pr.Info().BaseSHA != tBaseSHA {
		t.Errorf("paths %v, info %+v", paths, pr.Info())
	}
	if _, err := pr.ReadBase(context.Background(), "new.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadBase(new.json) = %v", err)
	}
	if ok, err := pr.InDiff(context.Background(), "package.json", 4); !ok || err != nil {
		t.Errorf("InDiff = %v, %v", ok, err)
	}
	if _, err := OpenCompare(context.Background(), c, tOwner, tRepo, "main", tHeadSHA); !errors.Is(err, ErrInvalid) {
		t.Errorf("a branch name as base: %v", err)
	}
	if _, err := OpenCompare(context.Background(), c, tOwner, tRepo, tBaseSHA, tOtherSHA); StatusCode(err) != 404 {
		t.Errorf("unknown head: %v", err)
	}
}

func TestOpenCompareFileLimit(t *testing.T) {
	for _, n := range []int{MaxCompareFiles - 1, MaxCompareFiles} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			base, head := map[string][]byte{}, map[string][]byte{}
			for i := range n {
				name := fmt.Sprintf("f/%03d.txt", i)
				base[name], head[name] = []byte("a\n"), []byte("b\n")
			}
			_, url := newFake(t, base, head, []testenv.PullFile{{Filename: "x"}})
			_, err := OpenCompare(context.Background(), client(t, url), tOwner, tRepo, tBaseSHA, tHeadSHA)
			if n < MaxCompareFiles && err != nil {
				t.Errorf("%d files: %v", n, err)
			}
			if n >= MaxCompareFiles && !errors.Is(err, ErrTooManyFiles) {
				t.Errorf("%d files (the API's cap, maybe cut short): %v, want ErrTooManyFiles", n, err)
			}
		})
	}
}

func TestPatchLineLimit(t *testing.T) {
	patch := func(n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "@@ -0,0 +1,%d @@\n", n-1)
		for range n - 1 {
			b.WriteString("+x\n")
		}
		return b.String()
	}
	if rs, err := patchRanges(patch(MaxPatchLines)); err != nil || fmt.Sprint(rs) != fmt.Sprintf("[{1 %d}]", MaxPatchLines-1) {
		t.Errorf("a patch of MaxPatchLines lines: %v, %v", rs, err)
	}
	if _, err := patchRanges(patch(MaxPatchLines + 1)); err == nil {
		t.Error("a patch over MaxPatchLines lines accepted")
	}
}

// BenchmarkDiffRanges measures the hunk computation InDiff does for a lockfile whose patch GitHub omits:
// 20,000 packages (about 120,000 lines, 7 MB), four versions bumped.
func BenchmarkDiffRanges(b *testing.B) {
	base := lockfile(20000, nil)
	head := lockfile(20000, map[int]string{10: "9.9.9", 5000: "2.0.0", 12000: "2.0.0", 19999: "3.0.0"})
	b.SetBytes(int64(len(base) + len(head)))
	b.ResetTimer()
	for range b.N {
		if rs := diffRanges(base, head); len(rs) != 4 {
			b.Fatalf("%d ranges", len(rs))
		}
	}
}
