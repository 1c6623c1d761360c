package analysis_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/httpfetch"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// scorecardEngine is an engine on the fixture world; edit changes its environment, cfg its Scorecard wiring.
func scorecardEngine(t *testing.T, edit func(env map[string]string), cfgEdit func(*analysis.Config)) *analysis.Engine {
	t.Helper()
	env := world.Env(t.TempDir())
	if edit != nil {
		edit(env)
	}
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if cfgEdit != nil {
		cfgEdit(&cfg)
	}
	return analysis.New(cfg)
}

// scorecardFindings returns the package's scorecard/ findings.
func scorecardFindings(p report.Package) []finding.Finding {
	var out []finding.Finding
	for _, f := range p.Findings {
		if strings.HasPrefix(f.Rule, "scorecard/") {
			out = append(out, f)
		}
	}
	return out
}

func scorecardNotes(p report.Package) string {
	if p.Upstream == nil {
		return ""
	}
	var out []string
	for _, n := range p.Upstream.Notes {
		if strings.HasPrefix(n, "Scorecard:") {
			out = append(out, n)
		}
	}
	return strings.Join(out, "\n")
}

func TestScorecard(t *testing.T) {
	mailpost := world.Commits["ExampleMail/mailpost-mcp"]
	weather := world.Commits["acme/weather-mcp"]
	ticket := world.Commits[fixtures.DangerousWorkflowRepo]
	minimums := &scorecard.Policy{
		Overall: &scorecard.Minimum{Score: 5, Severity: finding.Warn, Where: ".github/mcpvet.yml line 3"},
		Checks: map[string]scorecard.Minimum{
			scorecard.CheckCodeReview: {Score: 5, Severity: finding.Block, Where: ".github/mcpvet.yml line 5"},
			scorecard.CheckPackaging:  {Score: 5, Severity: finding.Warn, Where: ".github/mcpvet.yml line 6"},
		},
	}
	tests := []struct {
		name    string
		req     analysis.Request
		verdict report.Verdict
		exit    int
		want    string   // the scorecard/ findings, "rule:severity" in order
		texts   []string // in the findings' messages, snippets and evidence
		notes   []string // in the Scorecard notes
	}{
		{name: "a dangerous workflow at the compared commit blocks", req: parse(t, fixtures.DangerousWorkflowSpec),
			verdict: report.Block, exit: 1, want: "scorecard/dangerous-workflow:block",
			texts: []string{
				"Dangerous-Workflow scored 0 (local check at the compared commit " + report.ShortCommit(ticket[0]) + ")",
				".github/workflows/preview.yml:",
				"local checks (localdir client) on github.com/acme/ticket-mcp at " + ticket[0],
			},
			notes: []string{"Scorecard: stored result of 2025-09-08 for the compared commit " + report.ShortCommit(ticket[0]) + ", overall 2.9",
				"Scorecard: local checks at the compared commit " + report.ShortCommit(ticket[0]) + ": Binary-Artifacts 10, Dangerous-Workflow 0"}},
		{name: "the demo's upstream: no findings, and the stored result's other commit is named", req: parse(t, "mailpost-mcp@1.0.15"),
			verdict: report.Pass, exit: 0,
			notes: []string{"Scorecard: stored result of 2025-09-08 for commit " + report.ShortCommit(mailpost[len(mailpost)-1]) + ", not the compared commit " + report.ShortCommit(mailpost[2]),
				"Dangerous-Workflow no score (no workflows found)"}},
		{name: "policy minimums", req: withScorecard(parse(t, "@acme/weather-mcp@1.2.0"), minimums),
			verdict: report.Block, exit: 1, want: "scorecard/check-below-minimum:block scorecard/score-below-minimum:warn scorecard/unavailable:info",
			texts: []string{
				"Code-Review scored 0, below the minimum of 5 set in .github/mcpvet.yml line 5 (stored result of 2025-09-08 for commit " + report.ShortCommit(weather[len(weather)-1]) + ", not the compared commit " + report.ShortCommit(weather[1]) + ")",
				"Packaging has the minimum of 5 set in .github/mcpvet.yml line 6, but no score: locally, packaging workflow not detected; in the stored result, packaging workflow not detected",
				"the overall Scorecard score of github.com/acme/weather-mcp is 4.6, below the minimum of 5",
			}},
	}
	e := scorecardEngine(t, nil, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := e.Check(context.Background(), []analysis.Request{tt.req})
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Packages[0]
			var got []string
			var all strings.Builder
			for _, f := range scorecardFindings(p) {
				got = append(got, f.Rule+":"+string(f.Severity))
				all.WriteString(f.Message + "\n" + f.Snippet + "\n" + f.Evidence + "\n")
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("scorecard findings %q, want %q\n%s", g, tt.want, all.String())
			}
			if p.Verdict != tt.verdict || rep.ExitCode() != tt.exit {
				t.Errorf("verdict %s, exit %d; want %s, %d: %+v", p.Verdict, rep.ExitCode(), tt.verdict, tt.exit, p.Findings)
			}
			for _, s := range tt.texts {
				if !strings.Contains(all.String(), s) {
					t.Errorf("findings do not say %q:\n%s", s, all.String())
				}
			}
			notes := scorecardNotes(p)
			for _, s := range tt.notes {
				if !strings.Contains(notes, s) {
					t.Errorf("notes do not say %q:\n%s", s, notes)
				}
			}
		})
	}
}

func withScorecard(req analysis.Request, pol *scorecard.Policy) analysis.Request {
	req.Scorecard = pol
	return req
}

// TestScorecardOff: MCPVET_SCORECARD_API=off turns Scorecard off entirely: no request, no finding, no note.
func TestScorecardOff(t *testing.T) {
	before := world.Scorecard.Requests()
	e := scorecardEngine(t, func(env map[string]string) { env[analysis.EnvScorecardAPI] = "off" }, nil)
	rep, err := e.Check(context.Background(), []analysis.Request{parse(t, fixtures.DangerousWorkflowSpec)})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Packages[0]
	if fs := scorecardFindings(p); len(fs) != 0 || scorecardNotes(p) != "" || p.Verdict != report.Pass {
		t.Errorf("Scorecard off: findings %+v, notes %q, verdict %s", fs, scorecardNotes(p), p.Verdict)
	}
	if world.Scorecard.Requests() != before {
		t.Error("the Scorecard API was asked although Scorecard is off")
	}
}

// TestScorecardAPIDown: a failing API is reported as missing data (info, not unverified), never as a score;
// the local checks still run and still block a dangerous workflow.
func TestScorecardAPIDown(t *testing.T) {
	down := testenv.NewScorecard()
	base := down.Start()
	defer down.Close()
	down.FailNext(1000, http.StatusServiceUnavailable)
	e := scorecardEngine(t, nil, func(cfg *analysis.Config) {
		cfg.Scorecard.API = scorecard.New(base, scorecard.Options{Options: httpfetch.Options{Retries: 1, Backoff: time.Millisecond}})
	})
	rep, err := e.Check(context.Background(), []analysis.Request{parse(t, "mailpost-mcp@1.0.15"), parse(t, fixtures.DangerousWorkflowSpec)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"scorecard/unavailable:info", "scorecard/dangerous-workflow:block scorecard/unavailable:info"}
	for i, p := range rep.Packages {
		var got []string
		for _, f := range scorecardFindings(p) {
			got = append(got, f.Rule+":"+string(f.Severity))
			if f.Rule == scorecard.RuleUnavailable && (f.Unverified || !strings.Contains(f.Message, "could not be read") || !strings.Contains(f.Message, "503")) {
				t.Errorf("%s: %+v", p.Name, f)
			}
		}
		if g := strings.Join(got, " "); g != want[i] {
			t.Errorf("%s: scorecard findings %q, want %q", p.Name, g, want[i])
		}
	}
	if rep.Packages[0].Verdict != report.Pass {
		t.Errorf("mailpost-mcp@1.0.15: verdict %s; Scorecard data unavailable is not a verdict blocker", rep.Packages[0].Verdict)
	}
	if down.Requests() != 4 {
		t.Errorf("%d requests to the failing API, want 2 per package (one retry)", down.Requests())
	}
}
