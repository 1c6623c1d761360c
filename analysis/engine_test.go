package analysis_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// world is the fixture registry and git server shared by this package's tests; see TestMain.
var world *fixtures.World

func TestMain(m *testing.M) { os.Exit(fixtures.RunWithWorld(m, &world)) }

// engine returns an engine wired to the fixture world with its own cache.
func engine(t testing.TB) *analysis.Engine {
	t.Helper()
	env := world.Env(t.TempDir())
	getenv := func(k string) string { return env[k] }
	cfg, err := analysis.ConfigFromEnv(getenv, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return analysis.New(cfg)
}

func parse(t testing.TB, spec string) analysis.Request {
	t.Helper()
	at := strings.LastIndex(spec, "@")
	req := analysis.Request{Name: spec[:at], To: spec[at+1:], MCP: true}
	if from, to, ok := strings.Cut(req.To, ".."); ok {
		req.From, req.To = from, to
	}
	return req
}

// lineOf returns the 1-based line of the first line containing s in a fixture package file.
func lineOf(t testing.TB, content, s string) int {
	t.Helper()
	for i, l := range strings.Split(content, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", s)
	return 0
}

func TestCheck(t *testing.T) {
	mailpost := world.Commits["ExampleMail/mailpost-mcp"]
	weather := world.Commits["acme/weather-mcp"]
	servers := world.Commits["acme/mcp-servers"]
	// The published index.js of mailpost-mcp 1.0.16 is commit 2's index.js plus the injected line after "To: to,".
	mailIndex := fixturesTree(t, "ExampleMail/mailpost-mcp", 3)["index.js"]
	bccLine := lineOf(t, mailIndex, "      To: to,") + 1
	forecast := fixturesBuilt(t)
	injectedLine := lineOf(t, forecast, "const hit = this.cache.get(key);") + 1

	tests := []struct {
		spec       string
		verdict    report.Verdict
		exit       int
		rule       string // a finding that must be there ("" = none of severity block)
		path       string
		line       int
		snippet    string
		commit     string
		resolvedBy string
		directory  string
		claim      string
	}{
		{spec: "mailpost-mcp@1.0.15", verdict: report.Pass, exit: 0, rule: finding.RuleUnclaimedSource,
			commit: mailpost[2], resolvedBy: "tree match", claim: "README"},
		{spec: "mailpost-mcp@1.0.15..1.0.16", verdict: report.Block, exit: 1, rule: finding.RuleForeignLines,
			path: "index.js", line: bccLine, snippet: "+" + fixtures.InjectedLine, commit: mailpost[2], resolvedBy: "tree match", claim: "README"},
		{spec: "@acme/weather-mcp@1.2.0", verdict: report.Pass, exit: 0,
			commit: weather[1], resolvedBy: "gitHead", claim: "repository"},
		{spec: "@acme/weather-mcp@1.2.0..1.2.1", verdict: report.Block, exit: 1, rule: finding.RuleForeignCode,
			path: "dist/forecast.js", line: injectedLine, snippet: "collect.example.net", commit: weather[1], resolvedBy: "gitHead"},
		{spec: "@acme/weather-mcp@1.2.0..1.2.2", verdict: report.Block, exit: 3, rule: finding.RuleRepositoryChanged},
		{spec: "@acme/time-mcp@0.3.0", verdict: report.Pass, exit: 0,
			commit: servers[1], resolvedBy: "tag @acme/time-mcp@0.3.0", directory: "packages/time-mcp", claim: "repository"},
		{spec: "@acme/time-mcp@0.3.0..0.3.1", verdict: report.Block, exit: 1, rule: finding.RuleManifestScripts,
			path: "package.json", directory: "packages/time-mcp"},
		{spec: "ghost-mcp@1.0.0", verdict: report.Block, exit: 3, rule: finding.RuleNoUpstream},
		{spec: "evil-archive-mcp@1.0.0", verdict: report.Block, exit: 1, rule: finding.RuleUnsafeArchive},
		{spec: "evil-archive-mcp@1.0.1", verdict: report.Block, exit: 1, rule: finding.RuleUnsafeArchive},
		{spec: "evil-archive-mcp@1.0.2", verdict: report.Block, exit: 1, rule: finding.RuleUnsafeArchive},
		{spec: "evil-archive-mcp@1.0.3", verdict: report.Block, exit: 1, rule: finding.RuleUnsafeArchive},
		{spec: "tampered-mcp@1.0.0", verdict: report.Block, exit: 1, rule: finding.RuleIntegrityMismatch},
		{spec: "no-such-mcp@1.0.0", verdict: report.Block, exit: 3, rule: finding.RuleNotFound},
		{spec: "mailpost-mcp@9.9.9", verdict: report.Block, exit: 3, rule: finding.RuleNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			rep, err := engine(t).Check(context.Background(), []analysis.Request{parse(t, tt.spec)})
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			report.Text(&text, rep)
			t.Log("\n" + text.String())
			if rep.Verdict != tt.verdict || rep.ExitCode() != tt.exit {
				t.Errorf("verdict %s exit %d, want %s exit %d", rep.Verdict, rep.ExitCode(), tt.verdict, tt.exit)
			}
			p := rep.Packages[0]
			if tt.rule == "" {
				for _, f := range p.Findings {
					if f.Severity == finding.Block {
						t.Errorf("unexpected blocking finding %s: %s", f.Rule, f.Message)
					}
				}
			} else {
				found := false
				for _, f := range p.Findings {
					if f.Rule != tt.rule || (tt.path != "" && f.Path != tt.path) || (tt.line != 0 && f.Line != tt.line) {
						continue
					}
					if tt.snippet != "" && !strings.Contains(f.Snippet, tt.snippet) {
						t.Errorf("finding %s at %s:%d: snippet %q lacks %q", f.Rule, f.Path, f.Line, f.Snippet, tt.snippet)
					}
					found = true
				}
				if !found {
					t.Errorf("no %s finding at %s:%d; findings: %+v", tt.rule, tt.path, tt.line, p.Findings)
				}
			}
			if tt.commit != "" || tt.directory != "" {
				u := p.Upstream
				if u == nil {
					t.Fatalf("no upstream")
				}
				if tt.commit != "" && u.Commit != tt.commit {
					t.Errorf("compared with %s, want %s", u.Commit, tt.commit)
				}
				if tt.resolvedBy != "" && u.ResolvedBy != tt.resolvedBy {
					t.Errorf("resolved by %q, want %q", u.ResolvedBy, tt.resolvedBy)
				}
				if u.Directory != tt.directory {
					t.Errorf("directory %q, want %q", u.Directory, tt.directory)
				}
				if tt.claim != "" && u.Claim != tt.claim {
					t.Errorf("claim %q, want %q", u.Claim, tt.claim)
				}
			}
		})
	}
}

// TestRegistryOutage: a registry that keeps failing gives "no verdict" (exit 3), never a pass.
func TestRegistryOutage(t *testing.T) {
	world.Registry.FailNext(100, 503)
	defer world.Registry.FailNext(0, 0)
	rep, err := engine(t).Check(context.Background(), []analysis.Request{parse(t, "mailpost-mcp@1.0.15")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode() != report.ExitIncomplete || rep.Verdict == report.Pass {
		t.Errorf("verdict %s exit %d, want no verdict (3)", rep.Verdict, rep.ExitCode())
	}
}

func fixturesTree(t testing.TB, repo string, commit int) map[string]string {
	t.Helper()
	repos, err := fixtures.Repos()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		if r.FullName() == repo {
			return r.TreeAt(commit)
		}
	}
	t.Fatalf("no fixture repository %s", repo)
	return nil
}

func fixturesBuilt(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "internal", "fixtures", "built", "weather-mcp-1.2.0", "dist", "forecast.js"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// BenchmarkCheck measures `check` of the postmark look-alike bump with a warm cache (tarballs and the git
// mirror already fetched): the cost a re-run pays.
func BenchmarkCheck(b *testing.B) {
	e := engine(b)
	reqs := []analysis.Request{parse(b, "mailpost-mcp@1.0.15..1.0.16")}
	if _, err := e.Check(context.Background(), reqs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := e.Check(context.Background(), reqs)
		if err != nil || rep.Verdict != report.Block {
			b.Fatalf("verdict %v, err %v", rep.Verdict, err)
		}
	}
}

// TestIdentityAsked: the upstream's host is asked about the compared repository (fork, archived, new) through
// MCPVET_GITHUB_API_URL, here the GitHub fake.
func TestIdentityAsked(t *testing.T) {
	before := len(world.GitHub.Requests())
	if _, err := engine(t).Check(context.Background(), []analysis.Request{parse(t, "mailpost-mcp@1.0.15")}); err != nil {
		t.Fatal(err)
	}
	asked := false
	for _, r := range world.GitHub.Requests()[before:] {
		if r.Method == "GET" && r.Path == "/repos/ExampleMail/mailpost-mcp" {
			asked = true
		}
	}
	if !asked {
		t.Errorf("GET /repos/ExampleMail/mailpost-mcp was not asked; requests %+v", world.GitHub.Requests()[before:])
	}
	if v := world.GitHub.Violations(); len(v) > 0 {
		t.Errorf("OpenAPI violations: %v", v)
	}
}

// TestArchiveProblemsCapped: unsafe tarball entries are reported one by one up to MaxArchiveProblems, then
// counted in one more finding.
func TestArchiveProblemsCapped(t *testing.T) {
	for _, n := range []int{analysis.MaxArchiveProblems, analysis.MaxArchiveProblems + 5} {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		for i := 0; i < n; i++ {
			if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("package/link%d", i), Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}); err != nil {
				t.Fatal(err)
			}
		}
		body := []byte(`{"name": "many-links-mcp", "version": "1.0.0"}`)
		if err := tw.WriteHeader(&tar.Header{Name: "package/package.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
		tw.Close()
		gz.Close()
		version := fmt.Sprintf("1.0.%d", n)
		world.Registry.Publish("many-links-mcp", version, testenv.Version{Manifest: map[string]any{"name": "many-links-mcp"}, Tarball: buf.Bytes()})
		rep, err := engine(t).Check(context.Background(), []analysis.Request{parse(t, "many-links-mcp@"+version)})
		if err != nil {
			t.Fatal(err)
		}
		unsafe, more := 0, 0
		for _, f := range rep.Packages[0].Findings {
			if f.Rule != finding.RuleUnsafeArchive {
				continue
			}
			if strings.Contains(f.Message, "more unsafe tarball entries") {
				more++
			} else {
				unsafe++
			}
		}
		wantMore := 0
		if n > analysis.MaxArchiveProblems {
			wantMore = 1
		}
		if unsafe != analysis.MaxArchiveProblems || more != wantMore {
			t.Errorf("%d unsafe entries: %d listed and %d summaries, want %d and %d", n, unsafe, more, analysis.MaxArchiveProblems, wantMore)
		}
	}
}
