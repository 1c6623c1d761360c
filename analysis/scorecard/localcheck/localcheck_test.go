package localcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	sccheck "github.com/ossf/scorecard/v5/checker"
	"github.com/ossf/scorecard/v5/checks"
	"github.com/ossf/scorecard/v5/clients/localdir"

	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/source"
	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

const dangerousWorkflow = `name: preview
on:
  pull_request_target:
permissions: write-all
jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm install && npm run build
`

const cleanWorkflow = `name: ci
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11
      - run: npm ci && npm test
`

// buildRepo builds a bare repository from commits and opens it.
func buildRepo(t testing.TB, commits []testenv.Commit) (*source.Repo, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "up.git")
	shas, err := testenv.BuildRepo(context.Background(), dir, commits)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := source.OpenLocal(context.Background(), dir, source.Claim{Host: "github.com", Owner: "acme", Repo: "up"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return repo, shas
}

// TestRunAtCommit: the checks see the tree at the commit asked for, not the repository's head — a dangerous
// workflow removed later still scores 0 at the commit that had it — and the temporary tree is removed.
func TestRunAtCommit(t *testing.T) {
	repo, shas := buildRepo(t, []testenv.Commit{
		{Message: "with a dangerous preview workflow", Files: map[string]string{
			"index.js": "console.log('hi');\n", ".github/workflows/preview.yml": dangerousWorkflow}},
		{Message: "safe CI, a licence and a security policy", Files: map[string]string{
			".github/workflows/preview.yml": "", ".github/workflows/ci.yml": cleanWorkflow,
			"LICENSE":     "MIT License\n\nCopyright (c) 2025 Acme\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n",
			"SECURITY.md": "# Security\n\nReport vulnerabilities to security@acme.test; we answer within 7 days. https://acme.test/security\n"}},
	})
	tmp := t.TempDir()
	r := &Runner{TempDir: tmp}
	tests := []struct {
		commit string
		want   map[string]int
	}{
		{shas[0], map[string]int{scorecard.CheckDangerousWorkflow: 0, scorecard.CheckTokenPermissions: 0, scorecard.CheckBinaryArtifacts: 10,
			scorecard.CheckLicense: 0, scorecard.CheckSecurityPolicy: 0, scorecard.CheckPinnedDependencies: 0}},
		{shas[1], map[string]int{scorecard.CheckDangerousWorkflow: 10, scorecard.CheckTokenPermissions: 10, scorecard.CheckBinaryArtifacts: 10,
			scorecard.CheckSecurityPolicy: 10, scorecard.CheckPinnedDependencies: 10, scorecard.CheckPackaging: scorecard.NoScore}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("commit %d", i+1), func(t *testing.T) {
			res, err := r.Run(context.Background(), repo, "github.com/acme/up", tt.commit)
			if err != nil {
				t.Fatal(err)
			}
			if res.Source != scorecard.SourceLocal || res.Commit != tt.commit || res.Repo != "github.com/acme/up" || res.HasScore() {
				t.Errorf("result %+v", res)
			}
			var names []string
			for _, c := range res.Checks {
				names = append(names, c.Name)
				if !c.Scored() && c.Reason == "" {
					t.Errorf("%s has no score and no reason", c.Name)
				}
			}
			if !slices.Equal(names, scorecard.LocalCheckNames()) {
				t.Errorf("checks %q, want %q", names, scorecard.LocalCheckNames())
			}
			for name, score := range tt.want {
				if c, _ := res.Check(name); c.Score != score {
					t.Errorf("%s = %d (%s), want %d", name, c.Score, c.Reason, score)
				}
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temporary trees left behind: %v", left)
			}
		})
	}
	res, _ := r.Run(context.Background(), repo, "github.com/acme/up", shas[0])
	dw, _ := res.Check(scorecard.CheckDangerousWorkflow)
	if len(dw.Details) == 0 || !strings.Contains(dw.Details[0], ".github/workflows/preview.yml:") {
		t.Errorf("Dangerous-Workflow details %q do not point at the workflow", dw.Details)
	}
}

// TestCheckNames: the names mcpvet knows are Scorecard's, and the local ones run with the localdir client.
func TestCheckNames(t *testing.T) {
	var theirs []string
	for name := range checks.GetAllWithExperimental() {
		theirs = append(theirs, name)
	}
	sort.Strings(theirs)
	if !slices.Equal(theirs, scorecard.CheckNames()) {
		t.Errorf("Scorecard's checks %q, ours %q", theirs, scorecard.CheckNames())
	}
}

// memTree is an in-memory tree for the materialiser's tests.
type memTree struct {
	entries map[string]source.Entry
	blobs   map[string][]byte
	block   bool  // ReadBlob waits for the context to end
	readErr error // ReadBlob fails with it
}

func newMemTree() *memTree {
	return &memTree{entries: map[string]source.Entry{}, blobs: map[string][]byte{}}
}

func (m *memTree) add(p, mode string, data []byte) {
	id := fmt.Sprintf("%040x", len(m.blobs)+1)
	m.entries[p] = source.Entry{ID: id, Mode: mode}
	m.blobs[id] = data
}

func (m *memTree) Tree(ctx context.Context, commit, dir string) (map[string]source.Entry, error) {
	return m.entries, nil
}

func (m *memTree) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	if m.block {
		<-ctx.Done()
		return nil, context.Cause(ctx)
	}
	if m.readErr != nil {
		return nil, m.readErr
	}
	b, ok := m.blobs[id]
	if !ok {
		return nil, source.ErrNotFound
	}
	return b, nil
}

// TestMaterializeLimits: each limit at its boundary.
func TestMaterializeLimits(t *testing.T) {
	files := func(n int, size int) *memTree {
		m := newMemTree()
		for i := 0; i < n; i++ {
			m.add(fmt.Sprintf("d%d/f%d.js", i%7, i), "100644", make([]byte, size))
		}
		return m
	}
	tests := []struct {
		name string
		tree *memTree
		l    Limits
		want error
	}{
		{"files at the limit", files(10, 1), Limits{MaxFiles: 10}, nil},
		{"files over the limit", files(11, 1), Limits{MaxFiles: 10}, ErrTooLarge},
		{"bytes at the limit", files(10, 100), Limits{MaxBytes: 1000}, nil},
		{"bytes over the limit", files(10, 100), Limits{MaxBytes: 999}, ErrTooLarge},
		{"file at the size limit", files(1, 500), Limits{MaxFileSize: 500}, nil},
		{"file over the size limit", files(1, 501), Limits{MaxFileSize: 500}, ErrTooLarge},
		{"path at the length limit", one("a/" + strings.Repeat("p", 38)), Limits{MaxPathLength: 40}, nil},
		{"path over the length limit", one("a/" + strings.Repeat("p", 39)), Limits{MaxPathLength: 40}, ErrTooLarge},
		{"component at the name limit", one(strings.Repeat("n", MaxNameLength)), Limits{}, nil},
		{"component over the name limit", one(strings.Repeat("n", MaxNameLength+1)), Limits{}, ErrTooLarge},
		{"blob over the repository's limit", overBlobLimit(), Limits{}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := Materialize(context.Background(), tt.tree, "c0ffee", dir, tt.l)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && st.Files != len(tt.tree.entries) {
				t.Errorf("%d files written, want %d", st.Files, len(tt.tree.entries))
			}
		})
	}
}

func one(p string) *memTree {
	m := newMemTree()
	m.add(p, "100644", []byte("x"))
	return m
}

// overBlobLimit is a tree whose blob the repository refuses to read whole (source.Limits.MaxBlobSize).
func overBlobLimit() *memTree {
	m := one("big.bin")
	m.readErr = fmt.Errorf("read blob: %w", source.ErrTooLarge)
	return m
}

// TestMaterializeHostile: unsafe paths are refused before anything is written, symlinks and submodules are
// counted and never written, and nothing lands outside the directory.
func TestMaterializeHostile(t *testing.T) {
	for _, p := range []string{"../escape.js", "/etc/passwd", "a/../../escape", ".git/config", "sub/.GIT/hooks/pre-commit", "a//b", "a/./b", `a\..\b`, "tab\there", "nul\x00", "del\x7f"} {
		t.Run(p, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "tree")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			m := newMemTree()
			m.add("ok.js", "100644", []byte("ok"))
			m.add(p, "100644", []byte("bad"))
			if _, err := Materialize(context.Background(), m, "c0ffee", dir, Limits{}); !errors.Is(err, ErrUnsafePath) {
				t.Errorf("err = %v, want ErrUnsafePath", err)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("written before the check: %v", left)
			}
			if left, _ := os.ReadDir(parent); len(left) != 1 {
				t.Errorf("something landed outside the tree: %v", left)
			}
		})
	}
	m := newMemTree()
	m.add("index.js", "100755", []byte("x"))
	m.add("link", "120000", []byte("/etc/passwd"))
	m.add("vendor/lib", "160000", nil)
	dir := t.TempDir()
	st, err := Materialize(context.Background(), m, "c0ffee", dir, Limits{})
	if err != nil || st.Files != 1 || st.Symlinks != 1 || st.Submodules != 1 || st.Bytes != 1 {
		t.Fatalf("stats %+v, err %v", st, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "link")); !os.IsNotExist(err) {
		t.Errorf("the symlink was written: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "index.js")); err != nil || fi.Mode().Perm()&0o111 != 0 {
		t.Errorf("index.js: %v, %v (written, never executable)", fi, err)
	}
}

// TestRunLimitsAndTimeout: a run that exceeds a limit or its time says so and leaves nothing behind.
func TestRunLimitsAndTimeout(t *testing.T) {
	tmp := t.TempDir()
	big := files2(3)
	if _, err := (&Runner{TempDir: tmp, Limits: Limits{MaxFiles: 2}}).Run(context.Background(), big, "github.com/a/b", "c0ffee"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	slow := files2(1)
	slow.block = true
	if _, err := (&Runner{TempDir: tmp, Limits: Limits{Timeout: 1}}).Run(context.Background(), slow, "github.com/a/b", "c0ffee"); !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary trees left behind: %v", left)
	}
}

func files2(n int) *memTree {
	m := newMemTree()
	for i := 0; i < n; i++ {
		m.add(fmt.Sprintf("f%d.js", i), "100644", []byte("x"))
	}
	return m
}

// BenchmarkRun measures a local run — materialising the tree and the nine checks — on a small tree like the
// fixture upstreams, and on a ~2,000-file tree with workflows.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{12, 2000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			files := map[string]string{
				"package.json":                  `{"name": "x", "version": "1.0.0"}` + "\n",
				".github/workflows/ci.yml":      cleanWorkflow,
				".github/workflows/preview.yml": dangerousWorkflow,
				"Dockerfile":                    "FROM node:22\nRUN npm ci\n",
			}
			for i := len(files); i < n; i++ {
				files[fmt.Sprintf("src/m%d/f%d.js", i%40, i)] = fmt.Sprintf("export function f%d(x) {\n  return x + %d;\n}\n", i, i)
			}
			repo, shas := buildRepo(b, []testenv.Commit{{Files: files}})
			r := &Runner{TempDir: b.TempDir()}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.Run(context.Background(), repo, "github.com/acme/up", shas[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunFixtures measures a local run on each fixture upstream at its last commit.
func BenchmarkRunFixtures(b *testing.B) {
	repos, err := fixtures.Repos()
	if err != nil {
		b.Fatal(err)
	}
	for _, fr := range repos {
		b.Run(fr.FullName(), func(b *testing.B) {
			repo, shas := buildRepo(b, fr.Commits)
			r := &Runner{TempDir: b.TempDir()}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.Run(context.Background(), repo, "github.com/"+fr.FullName(), shas[len(shas)-1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMaterialize measures writing a ~2,000-file tree alone, to tell it from the checks' time.
func BenchmarkMaterialize(b *testing.B) {
	files := map[string]string{}
	for i := 0; i < 2000; i++ {
		files[fmt.Sprintf("src/m%d/f%d.js", i%40, i)] = fmt.Sprintf("export function f%d(x) {\n  return x + %d;\n}\n", i, i)
	}
	repo, shas := buildRepo(b, []testenv.Commit{{Files: files}})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		if _, err := Materialize(context.Background(), repo, shas[0], dir, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVersion: the version reported is Scorecard's module version (replaced or not), not mcpvet's.
func TestVersion(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/mcpvet/mcpvet", Version: "v0.9.0"}, Deps: []*debug.Module{
		{Path: "github.com/ossf/scorecard/v4", Version: "v4.13.1"},
		{Path: scorecardModule, Version: "v5.5.0"},
	}}
	if v := versionIn(bi); v != "v5.5.0" {
		t.Errorf("versionIn = %q, want v5.5.0", v)
	}
	bi.Deps[1].Replace = &debug.Module{Path: "example.com/fork", Version: "v5.5.1-fix"}
	if v := versionIn(bi); v != "v5.5.1-fix" {
		t.Errorf("replaced: versionIn = %q", v)
	}
	if v := versionIn(&debug.BuildInfo{}); v != "" {
		t.Errorf("no dependencies: versionIn = %q", v)
	}
}

// TestRunCheckRecovers: a check that panics on a hostile tree has no score and says why; the process lives.
func TestRunCheckRecovers(t *testing.T) {
	dir := t.TempDir()
	repo, err := localdir.MakeLocalDirRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := &sccheck.CheckRequest{Ctx: context.Background(), Repo: repo, RequiredTypes: []sccheck.RequestType{sccheck.FileBased}}
	boom := sccheck.Check{Fn: func(*sccheck.CheckRequest) sccheck.CheckResult { panic("index out of range") },
		SupportedRequestTypes: []sccheck.RequestType{sccheck.FileBased}}
	c := runCheck(context.Background(), "Boom", req, boom, DefaultMaxDetails)
	if c.Scored() || !strings.Contains(c.Reason, "the check failed on this tree: index out of range") {
		t.Errorf("check = %+v", c)
	}
}

// TestConvert: an error or an out-of-range score is missing, never 0; details are bounded at MaxDetails and
// texts at maxTextLength, on one line each (the tree's text they quote is hostile).
func TestConvert(t *testing.T) {
	details := func(n int) []sccheck.CheckDetail {
		var d []sccheck.CheckDetail
		for i := 0; i < n; i++ {
			d = append(d, sccheck.CheckDetail{Type: sccheck.DetailWarn, Msg: sccheck.LogMessage{Text: fmt.Sprintf("w%d", i), Path: "a.yml", Offset: uint(i + 1)}})
		}
		return append(d, sccheck.CheckDetail{Type: sccheck.DetailDebug, Msg: sccheck.LogMessage{Text: "debug"}})
	}
	tests := []struct {
		name      string
		in        sccheck.CheckResult
		score     int
		reason    string
		nDetails  int
		firstLine string
	}{
		{"scored", sccheck.CheckResult{Name: "X", Score: 7, Reason: "fine", Details: details(2)}, 7, "fine", 2, "Warn: w0: a.yml:1"},
		{"error", sccheck.CheckResult{Name: "X", Score: 0, Error: errors.New("ListCommits: unsupported feature")}, scorecard.NoScore,
			"the local client cannot answer it: ListCommits: unsupported feature", 0, ""},
		{"inconclusive", sccheck.CheckResult{Name: "X", Score: -1, Reason: "no workflows found"}, scorecard.NoScore, "no workflows found", 0, ""},
		{"out of range", sccheck.CheckResult{Name: "X", Score: 11}, scorecard.NoScore, "inconclusive", 0, ""},
		{"details at the limit", sccheck.CheckResult{Name: "X", Score: 1, Reason: "r", Details: details(3)}, 1, "r", 3, ""},
		{"details over the limit", sccheck.CheckResult{Name: "X", Score: 1, Reason: "r", Details: details(4)}, 1, "r", 3, ""},
		{"reason at the limit", sccheck.CheckResult{Name: "X", Score: 1, Reason: strings.Repeat("r", maxTextLength)}, 1, strings.Repeat("r", maxTextLength), 0, ""},
		{"reason over the limit", sccheck.CheckResult{Name: "X", Score: 1, Reason: strings.Repeat("r", maxTextLength+1)}, 1, strings.Repeat("r", maxTextLength) + "…", 0, ""},
		{"hostile text", sccheck.CheckResult{Name: "X", Score: 1, Reason: "a\x1b[31mb\nc\t", Details: []sccheck.CheckDetail{
			{Type: sccheck.DetailWarn, Msg: sccheck.LogMessage{Text: "ref: x\n::error::forged", Path: "a.yml", Offset: 2}}}},
			1, "a [31mb c", 1, "Warn: ref: x ::error::forged: a.yml:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := convert(tt.in, 3)
			if c.Score != tt.score || c.Reason != tt.reason || len(c.Details) != tt.nDetails {
				t.Errorf("convert = %+v", c)
			}
			if tt.firstLine != "" && c.Details[0] != tt.firstLine {
				t.Errorf("first detail %q, want %q", c.Details[0], tt.firstLine)
			}
		})
	}
}

// BenchmarkCheckDir measures the nine checks alone on a ~2,000-file tree already on disk.
func BenchmarkCheckDir(b *testing.B) {
	files := map[string]string{".github/workflows/ci.yml": cleanWorkflow, ".github/workflows/preview.yml": dangerousWorkflow}
	for i := len(files); i < 2000; i++ {
		files[fmt.Sprintf("src/m%d/f%d.js", i%40, i)] = fmt.Sprintf("export function f%d(x) {\n  return x + %d;\n}\n", i, i)
	}
	repo, shas := buildRepo(b, []testenv.Commit{{Files: files}})
	dir := b.TempDir()
	if _, err := Materialize(context.Background(), repo, shas[0], dir, Limits{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := CheckDir(context.Background(), dir, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
