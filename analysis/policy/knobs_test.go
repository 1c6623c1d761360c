package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/osv"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
)

func TestParseScorecard(t *testing.T) {
	cfg, err := Parse(Path, []byte(`scope: all
unverified: warn
non-mcp: block
scorecard:
  overall: {minimum: 4.5, severity: block}
  checks:
    token-permissions: {minimum: 5}
    Pinned-Dependencies:
      minimum: 0
      severity: info
    Code-Review: {minimum: 10, severity: warn}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Unverified != finding.Warn || cfg.NonMCP != finding.Block {
		t.Errorf("unverified %q, non-mcp %q", cfg.Unverified, cfg.NonMCP)
	}
	if o := cfg.Scorecard.Overall; o == nil || o.Score != 4.5 || o.Severity != finding.Block || o.Where != ".github/mcpvet.yml line 5" {
		t.Errorf("overall = %+v", o)
	}
	want := map[string]scorecard.Minimum{
		"Token-Permissions":   {Score: 5, Severity: finding.Warn, Where: ".github/mcpvet.yml line 7"},
		"Pinned-Dependencies": {Score: 0, Severity: finding.Info, Where: ".github/mcpvet.yml line 8"},
		"Code-Review":         {Score: 10, Severity: finding.Warn, Where: ".github/mcpvet.yml line 11"},
	}
	if len(cfg.Scorecard.Checks) != len(want) {
		t.Errorf("checks = %+v", cfg.Scorecard.Checks)
	}
	for name, w := range want {
		if g := cfg.Scorecard.Checks[name]; g != w {
			t.Errorf("%s = %+v, want %+v", name, g, w)
		}
	}
	d := Default()
	if d.Unverified != finding.Block || d.NonMCP != finding.Warn || d.Scorecard.Overall != nil || len(d.Scorecard.Checks) != 0 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestParseKnobErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unverified", "unverified: maybe\n", ".github/mcpvet.yml:1: unverified \"maybe\": want block or warn"},
		{"unverified info", "scope: mcp\nunverified: info\n", ".github/mcpvet.yml:2: unverified \"info\""},
		{"non-mcp", "non-mcp: off\n", ".github/mcpvet.yml:1: non-mcp \"off\": want block or warn"},
		{"unknown check", "scorecard:\n  checks:\n    Typo-Check: {minimum: 1}\n", ".github/mcpvet.yml:3: unknown Scorecard check \"Typo-Check\""},
		{"no minimum", "scorecard:\n  checks:\n    SAST: {severity: block}\n", ".github/mcpvet.yml:3: scorecard check SAST: no minimum"},
		{"minimum too high", "scorecard:\n  checks:\n    SAST:\n      minimum: 11\n", ".github/mcpvet.yml:3: scorecard check SAST: minimum 11"},
		{"minimum negative", "scorecard:\n  overall: {minimum: -1}\n", ".github/mcpvet.yml:2: scorecard.overall: minimum -1"},
		{"severity off", "scorecard:\n  overall: {minimum: 3, severity: off}\n", ".github/mcpvet.yml:2: scorecard.overall: severity \"off\""},
		{"severity unknown", "scorecard:\n  checks:\n    License: {minimum: 3, severity: loud}\n", ".github/mcpvet.yml:3: scorecard check License: severity \"loud\""},
		{"same check twice", "scorecard:\n  checks:\n    SAST: {minimum: 3}\n    sast: {minimum: 4}\n", ".github/mcpvet.yml:4: Scorecard check SAST has two minimums"},
		{"unknown scorecard key", "scorecard:\n  minimum: 3\n", ".github/mcpvet.yml:2:"},
		{"unknown minimum key", "scorecard:\n  overall: {min: 3}\n", ".github/mcpvet.yml:2:"},
		{"minimum not a number", "scorecard:\n  overall: {minimum: high}\n", ".github/mcpvet.yml:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(Path, []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestVerdictKnobs: MCP servers fail closed unless the policy says unverified: warn; other dependencies warn
// unless it says non-mcp: block; a severity set under rules: is final; known-malicious always blocks.
func TestVerdictKnobs(t *testing.T) {
	unverifiedWarn := finding.Finding{Rule: osv.RuleAdvisoriesUnavailable, Severity: finding.Warn, Unverified: true, Message: "OSV down"}
	unverifiedBlock := finding.New(finding.RuleNoUpstream, "no upstream")
	foreign := finding.New(finding.RuleForeignLines, "foreign")
	malicious := finding.Finding{Rule: osv.RuleKnownMalicious, Severity: finding.Block, Message: "MAL"}
	info := finding.New(finding.RuleUnclaimedSource, "inferred")
	tests := []struct {
		name    string
		policy  string
		mcp     bool
		in      finding.Finding
		want    finding.Severity
		verdict report.Verdict
		note    string
	}{
		{"MCP: unverified warn raised to block by default", "", true, unverifiedWarn, finding.Block, report.Block, "fails closed"},
		{"MCP: unverified block stays block", "", true, unverifiedBlock, finding.Block, report.Block, ""},
		{"MCP: unverified: warn lowers it", "unverified: warn\n", true, unverifiedBlock, finding.Warn, report.Warn, "unverified: warn"},
		{"MCP: unverified: warn leaves verified findings", "unverified: warn\n", true, foreign, finding.Block, report.Block, ""},
		{"MCP: rules: wins over the knob", "rules:\n  publish/advisories-unavailable: warn\n", true, unverifiedWarn, finding.Warn, report.Warn, ""},
		{"MCP: info stays info", "", true, info, finding.Info, report.Pass, ""},
		{"non-MCP: block becomes warn by default", "scope: all\n", false, foreign, finding.Warn, report.Warn, "not an MCP server"},
		{"non-MCP: unverified is not raised", "scope: all\n", false, unverifiedWarn, finding.Warn, report.Warn, ""},
		{"non-MCP: non-mcp: block keeps it", "scope: all\nnon-mcp: block\n", false, foreign, finding.Block, report.Block, ""},
		{"non-MCP: known-malicious always blocks", "scope: all\n", false, malicious, finding.Block, report.Block, ""},
		{"non-MCP: rules: wins over the knob", "scope: all\nrules:\n  source/foreign-lines: block\n", false, foreign, finding.Block, report.Block, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(Path, []byte(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			r := &report.Report{Packages: []report.Package{{Name: "p", To: "1.0.0", MCP: tt.mcp, Findings: []finding.Finding{tt.in}}}}
			cfg.Apply(r, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			f := r.Packages[0].Findings[0]
			if f.Severity != tt.want || r.Packages[0].Verdict != tt.verdict {
				t.Errorf("severity %s, verdict %s; want %s, %s", f.Severity, r.Packages[0].Verdict, tt.want, tt.verdict)
			}
			if tt.note != "" && !strings.Contains(f.Message, tt.note) {
				t.Errorf("message %q does not say %q", f.Message, tt.note)
			}
			if tt.note == "" && f.Message != tt.in.Message {
				t.Errorf("message changed: %q", f.Message)
			}
		})
	}
	// Default() and a file without the keys behave alike.
	r := &report.Report{Packages: []report.Package{{Name: "p", To: "1", MCP: true, Findings: []finding.Finding{unverifiedWarn}}}}
	Default().Apply(r, time.Now())
	if r.Packages[0].Verdict != report.Block {
		t.Errorf("Default(): verdict %s", r.Packages[0].Verdict)
	}
	var zero Config // a Config built by hand, without Default, fails closed too
	r = &report.Report{Packages: []report.Package{{Name: "p", To: "1", MCP: true, Findings: []finding.Finding{unverifiedWarn}}}}
	zero.Apply(r, time.Now())
	if r.Packages[0].Verdict != report.Block {
		t.Errorf("zero Config: verdict %s", r.Packages[0].Verdict)
	}
}
