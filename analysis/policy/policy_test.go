package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad scope", "scope: some\n", ".github/mcpvet.yml:1: scope \"some\""},
		{"unknown key", "scope: mcp\nfrobnicate: 1\n", ".github/mcpvet.yml:2:"},
		{"unknown rule", "rules:\n  source/nope: warn\n", "unknown rule \"source/nope\""},
		{"bad severity", "rules:\n  source/foreign-lines: loud\n", "unknown severity"},
		{"no reason", "exceptions:\n  - package: a\n    expires: 2030-01-01\n", ":2: exception for a has no reason"},
		{"no expiry", "exceptions:\n  - package: a\n    reason: r\n", ":2: exception for a has no expires"},
		{"bad date", "exceptions:\n  - package: a\n    reason: r\n    expires: soon\n", ":4: exception for a: expires \"soon\""},
		{"bad range", "exceptions:\n  - package: a\n    reason: r\n    expires: 2030-01-01\n    versions: \"^^1\"\n", ":5: exception for a: versions"},
		{"duplicate key", "scope: mcp\nscope: all\n", ".github/mcpvet.yml:2:"},
		{"not yaml", "scope: [\n", ".github/mcpvet.yml:"},
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

func TestApply(t *testing.T) {
	cfg, err := Parse(Path, []byte(`scope: all
rules:
  source/file-differs: block
  source/inferred-upstream: "off"
exceptions:
  - package: pkg-a
    versions: ">=1.0.0 <2"
    rules: [source/foreign-lines]
    reason: vendored patch, see SEC-123
    expires: 2026-12-31
  - package: pkg-b
    reason: old waiver
    expires: 2026-01-31
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Scope != ScopeAll || cfg.Exceptions[0].Line != 6 {
		t.Fatalf("scope %q, first exception at line %d", cfg.Scope, cfg.Exceptions[0].Line)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	pkg := func(name, to string, rules ...string) report.Package {
		p := report.Package{Name: name, To: to, MCP: true}
		for _, r := range rules {
			p.Findings = append(p.Findings, finding.New(r, r))
		}
		return p
	}
	r := &report.Report{Packages: []report.Package{
		pkg("pkg-a", "1.2.0", finding.RuleForeignLines, finding.RuleUnclaimedSource),
		pkg("pkg-a", "2.0.0", finding.RuleForeignLines),
		pkg("pkg-b", "1.0.0", finding.RuleForeignLines),
		pkg("pkg-c", "1.0.0", finding.RuleFileDiffers),
	}}
	cfg.Apply(r, now)
	want := []struct {
		verdict report.Verdict
		rules   string
	}{
		{report.Pass, "source/foreign-lines:info"},                               // waived; inferred-upstream turned off
		{report.Block, "source/foreign-lines:block"},                             // outside the range
		{report.Block, "source/foreign-lines:block repo/expired-exception:warn"}, // the exception expired
		{report.Block, "source/file-differs:block"},                              // severity raised by policy
	}
	for i, w := range want {
		p := r.Packages[i]
		var got []string
		for _, f := range p.Findings {
			got = append(got, f.Rule+":"+string(f.Severity))
		}
		if p.Verdict != w.verdict || strings.Join(got, " ") != w.rules {
			t.Errorf("%s@%s: verdict %s, findings %v; want %s, %s", p.Name, p.To, p.Verdict, got, w.verdict, w.rules)
		}
	}
	if !strings.Contains(r.Packages[0].Findings[0].Message, "waived by .github/mcpvet.yml line 6 until 2026-12-31: vendored patch") {
		t.Errorf("waiver not explained: %s", r.Packages[0].Findings[0].Message)
	}
}

// TestParseLimits: the policy file's size and exception count are bounded, each at its boundary.
func TestParseLimits(t *testing.T) {
	fill := func(n int) []byte { // a valid YAML file of exactly n bytes
		b := []byte("scope: mcp\n#")
		for len(b) < n-1 {
			b = append(b, 'x')
		}
		return append(b, '\n')
	}
	if _, err := Parse(Path, fill(MaxSize)); err != nil {
		t.Errorf("a %d-byte policy: %v", MaxSize, err)
	}
	if _, err := Parse(Path, fill(MaxSize+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a %d-byte policy: err = %v, want the size limit", MaxSize+1, err)
	}
	exceptions := func(n int) []byte {
		var b strings.Builder
		b.WriteString("exceptions:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "  - {package: p%d, reason: r, expires: 2030-01-01}\n", i)
		}
		return []byte(b.String())
	}
	if _, err := Parse(Path, exceptions(MaxExceptions)); err != nil {
		t.Errorf("%d exceptions: %v", MaxExceptions, err)
	}
	if _, err := Parse(Path, exceptions(MaxExceptions+1)); err == nil || !strings.Contains(err.Error(), "exceptions; at most") {
		t.Errorf("%d exceptions: err = %v, want the count limit", MaxExceptions+1, err)
	}
}
