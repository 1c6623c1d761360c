package analysis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/deps"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/internal/fixtures"
)

// TestReviewPostmarkBump: a pull request that bumps the postmark look-alike in package.json, package-lock.json
// and .mcp.json gets one report, verdict block, with all three head locations.
func TestReviewPostmarkBump(t *testing.T) {
	ctx := context.Background()
	pr, err := deps.OpenGit(ctx, world.PRDir(fixtures.DemoPR), "pr-base", "pr-head")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine(t).Review(ctx, pr, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	report.Text(&text, rep)
	t.Log("\n" + text.String())
	if rep.Verdict != report.Block || rep.ExitCode() != report.ExitBlock || len(rep.Packages) != 1 {
		t.Fatalf("verdict %s exit %d with %d packages; want one blocked package", rep.Verdict, rep.ExitCode(), len(rep.Packages))
	}
	p := rep.Packages[0]
	if p.Name != "mailpost-mcp" || p.From != "1.0.15" || p.To != "1.0.16" || !p.MCP || p.Change != "bumped" || !p.Direct || p.Dev {
		t.Errorf("package %s %s→%s mcp=%v change=%s direct=%v dev=%v", p.Name, p.From, p.To, p.MCP, p.Change, p.Direct, p.Dev)
	}
	files := map[string]bool{}
	for _, l := range p.Locations {
		files[l.Path] = l.Line > 0
	}
	for _, f := range []string{"package.json", "package-lock.json", ".mcp.json"} {
		if !files[f] {
			t.Errorf("no location in %s; locations %v", f, p.Locations)
		}
	}
	found := false
	for _, f := range p.Findings {
		if f.Rule == finding.RuleForeignLines && f.Path == "index.js" && strings.Contains(f.Snippet, fixtures.InjectedLine) {
			found = true
		}
	}
	if !found {
		t.Errorf("no foreign-lines finding for the injected line: %+v", p.Findings)
	}
}

// TestReviewPolicyFromBase: a pull request that adds a policy waiving its own findings is reviewed with the
// base's policy (none here), so it is still blocked.
func TestReviewPolicyFromBase(t *testing.T) {
	ctx := context.Background()
	pr, err := deps.OpenGit(ctx, world.PRDir(fixtures.DemoPR), "pr-base", "pr-waiver")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine(t).Review(ctx, pr, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != report.Block || len(rep.Packages) != 1 {
		t.Fatalf("verdict %s with %d packages; the head's waiver must not apply", rep.Verdict, len(rep.Packages))
	}
	for _, f := range rep.Packages[0].Findings {
		if f.Rule == finding.RuleForeignLines && f.Severity != finding.Block {
			t.Errorf("foreign lines weakened to %s by the head's policy", f.Severity)
		}
	}
}

// TestPyPIListedNotAnalysed: PyPI changes are listed and marked not-analysed — never dropped; one that is an
// MCP server (launched by a config, or requiring mcp/fastmcp on PyPI) and was not analysed is never a pass.
func TestPyPIListedNotAnalysed(t *testing.T) {
	tests := []struct {
		name string
		mcp  bool
		want int
	}{
		{"tzdata", false, report.ExitPass},                // PyPI metadata: not an MCP server
		{"tzdata", true, report.ExitIncomplete},           // launched by an MCP config
		{"mcp-server-time", false, report.ExitIncomplete}, // PyPI metadata: requires mcp
	}
	for _, tt := range tests {
		version := map[string]string{"tzdata": "2025.2", "mcp-server-time": "0.6.2"}[tt.name]
		rep, err := engine(t).Check(context.Background(), []analysis.Request{{Ecosystem: "pypi", Name: tt.name, To: version, MCP: tt.mcp}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Packages) != 1 {
			t.Fatalf("%s: packages %+v", tt.name, rep.Packages)
		}
		var rules []string
		for _, f := range rep.Packages[0].Findings {
			rules = append(rules, f.Rule)
		}
		if !strings.Contains(strings.Join(rules, " "), finding.RuleNotAnalysed) || rep.ExitCode() != tt.want {
			t.Errorf("%s mcp=%v: findings %v exit %d, want not-analysed and exit %d", tt.name, tt.mcp, rules, rep.ExitCode(), tt.want)
		}
	}
}
