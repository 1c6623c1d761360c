package scorecard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

const (
	compared = "abcdef0123456789abcdef0123456789abcdef01"
	other    = "1111111111111111111111111111111111111111"
)

func stored(commit string, score float64, checks ...Check) *Result {
	return &Result{Source: SourceAPI, Repo: "github.com/acme/x", Commit: commit, Score: score, Version: "v5.5.0",
		Date: time.Date(2025, 9, 8, 0, 0, 0, 0, time.UTC), Checks: checks}
}

func local(checks ...Check) *Result {
	return &Result{Source: SourceLocal, Repo: "github.com/acme/x", Commit: compared, Score: NoScore, Checks: checks}
}

func chk(name string, score int, reason string, details ...string) Check {
	return Check{Name: name, Score: score, Reason: reason, Details: details, DocURL: "https://scorecard.example/docs#" + strings.ToLower(name)}
}

// got prints findings as "rule:severity" for comparison.
func got(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+":"+string(f.Severity))
	}
	return strings.Join(out, " ")
}

func TestEvaluate(t *testing.T) {
	dw0 := chk(CheckDangerousWorkflow, 0, "dangerous workflow patterns detected",
		"Warn: untrusted code checkout '${{ github.event.pull_request.head.sha }}': .github/workflows/preview.yml:17")
	pol := func(overall float64, checks ...any) Policy {
		p := Policy{Checks: map[string]Minimum{}}
		if overall >= 0 {
			p.Overall = &Minimum{Score: overall, Severity: finding.Warn, Where: ".github/mcpvet.yml line 3"}
		}
		for i := 0; i < len(checks); i += 3 {
			p.Checks[checks[i].(string)] = Minimum{Score: checks[i+1].(float64), Severity: checks[i+2].(finding.Severity), Where: ".github/mcpvet.yml line 5"}
		}
		return p
	}
	tests := []struct {
		name string
		in   Input
		want string
		// texts must appear in the findings' messages, snippets and evidence, in order of findings.
		texts []string
	}{
		{name: "defaults, nothing wrong", in: Input{Stored: stored(compared, 7, chk(CheckDangerousWorkflow, 10, "ok")), Local: local(chk(CheckDangerousWorkflow, NoScore, "no workflows found"))}},
		{name: "local dangerous workflow blocks", in: Input{Local: local(dw0), StoredErr: ErrNotFound},
			want: "scorecard/dangerous-workflow:block", texts: []string{"local check at the compared commit abcdef0", "preview.yml:17", "localdir client"}},
		{name: "stored dangerous workflow on another commit says so", in: Input{Stored: stored(other, 3, dw0), Local: local(chk(CheckDangerousWorkflow, NoScore, "no workflows found"))},
			want:  "scorecard/dangerous-workflow:block",
			texts: []string{"stored result of 2025-09-08 for commit 1111111, not the compared commit abcdef0", "commit " + other}},
		{name: "the local score at the compared commit wins over a stored 0", in: Input{Stored: stored(other, 3, dw0), Local: local(chk(CheckDangerousWorkflow, 10, "no dangerous workflow patterns detected"))}},
		{name: "check below its minimum, severity from the policy", in: Input{Local: local(chk(CheckTokenPermissions, 3, "excessive permissions")), Policy: pol(-1, CheckTokenPermissions, 5.0, finding.Block)},
			want: "scorecard/check-below-minimum:block", texts: []string{"Token-Permissions scored 3, below the minimum of 5 set in .github/mcpvet.yml line 5"}},
		{name: "check at its minimum passes", in: Input{Local: local(chk(CheckTokenPermissions, 5, "ok")), Policy: pol(-1, CheckTokenPermissions, 5.0, finding.Block)}},
		{name: "missing is missing, never 0", in: Input{Local: local(chk(CheckPackaging, NoScore, "packaging workflow not detected")), StoredErr: ErrNotFound, Policy: pol(-1, CheckPackaging, 5.0, finding.Warn)},
			want: "scorecard/unavailable:info", texts: []string{"Packaging has the minimum of 5 set in .github/mcpvet.yml line 5, but no score: locally, packaging workflow not detected; the Scorecard API has no stored result for github.com/acme/x"}},
		{name: "API-only check comes from the stored result", in: Input{Stored: stored(compared, 7, chk(CheckCodeReview, 2, "Found 2/10 approved changesets")), Local: local(), Policy: pol(-1, CheckCodeReview, 4.0, finding.Warn)},
			want: "scorecard/check-below-minimum:warn", texts: []string{"stored result of 2025-09-08 for the compared commit abcdef0"}},
		{name: "API-only check without a stored result", in: Input{StoredErr: ErrNotFound, Local: local(), Policy: pol(-1, CheckCodeReview, 4.0, finding.Warn)},
			want: "scorecard/unavailable:info", texts: []string{"it needs the host's API, so it is not run locally"}},
		{name: "overall below its minimum", in: Input{Stored: stored(other, 3.5), Policy: pol(5)},
			want: "scorecard/score-below-minimum:warn", texts: []string{"is 3.5, below the minimum of 5 set in .github/mcpvet.yml line 3 (stored result of 2025-09-08 for commit 1111111, not the compared commit abcdef0)"}},
		{name: "overall at its minimum passes", in: Input{Stored: stored(other, 5), Policy: pol(5)}},
		{name: "overall without a stored result is missing", in: Input{StoredErr: ErrNotFound, Local: local(chk(CheckLicense, 10, "ok")), Policy: pol(5)},
			want: "scorecard/unavailable:info", texts: []string{"a subset of local checks is not one"}},
		{name: "API down is reported as missing", in: Input{StoredErr: fmt.Errorf("after 4 attempts: %w", &httpStatus{502}), Local: local(chk(CheckDangerousWorkflow, 10, "ok"))},
			want: "scorecard/unavailable:info", texts: []string{"stored Scorecard results for github.com/acme/x could not be read: after 4 attempts: HTTP 502"}},
		{name: "local checks failed", in: Input{Stored: stored(compared, 7), LocalErr: errors.New("tree too large")},
			want: "scorecard/unavailable:info", texts: []string{"local Scorecard checks of github.com/acme/x at the compared commit abcdef0 could not run: tree too large"}},
		{name: "Dangerous-Workflow 0 is not also below its minimum", in: Input{Local: local(dw0), Policy: pol(-1, CheckDangerousWorkflow, 10.0, finding.Warn)},
			want: "scorecard/dangerous-workflow:block"},
		{name: "unsupported host is not a failure", in: Input{StoredErr: ErrUnsupportedHost, Local: local(chk(CheckLicense, 10, "ok"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Repo, tt.in.Commit, tt.in.API = "github.com/acme/x", compared, "https://api.scorecard.example"
			fs, notes := Evaluate(tt.in)
			if g := got(fs); g != tt.want {
				t.Fatalf("findings %q, want %q\n%+v", g, tt.want, fs)
			}
			var all strings.Builder
			for _, f := range fs {
				fmt.Fprintf(&all, "%s\n%s\n%s\n", f.Message, f.Snippet, f.Evidence)
				if f.Unverified {
					t.Errorf("%s is unverified: Scorecard findings never stand for \"could not verify\"", f.Rule)
				}
			}
			for _, s := range tt.texts {
				if !strings.Contains(all.String(), s) {
					t.Errorf("findings do not say %q:\n%s", s, all.String())
				}
			}
			if (tt.in.Local != nil || tt.in.Stored != nil || tt.in.StoredErr != nil) && len(notes) == 0 {
				t.Error("no notes say where the scores came from")
			}
		})
	}
}

type httpStatus struct{ code int }

func (e *httpStatus) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.code, http.StatusText(e.code))
}

// TestNotes: the notes name each source, its commit, and what is missing, with the reason.
func TestNotes(t *testing.T) {
	_, notes := Evaluate(Input{Repo: "github.com/acme/x", Commit: compared,
		Stored: stored(other, 4.2), Local: local(chk(CheckBinaryArtifacts, 10, "ok"), chk(CheckPackaging, NoScore, "packaging workflow not detected"))})
	want := []string{
		"Scorecard: stored result of 2025-09-08 for commit 1111111, not the compared commit abcdef0, overall 4.2",
		"Scorecard: local checks at the compared commit abcdef0: Binary-Artifacts 10, Packaging no score (packaging workflow not detected)",
	}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	_, notes = Evaluate(Input{Repo: "github.com/acme/x", Commit: compared, StoredErr: ErrNotFound})
	if len(notes) != 1 || notes[0] != "Scorecard: the Scorecard API has no stored result for github.com/acme/x" {
		t.Errorf("notes = %q", notes)
	}
}

// TestSnippetBound: at most MaxSnippetDetails warning lines are quoted.
func TestSnippetBound(t *testing.T) {
	var d []string
	for i := 0; i < MaxSnippetDetails+5; i++ {
		d = append(d, fmt.Sprintf("Warn: w%d", i), "Info: i")
	}
	if got := strings.Split(snippet(d[:2*MaxSnippetDetails]), "\n"); len(got) != MaxSnippetDetails {
		t.Errorf("%d warnings quoted as %d lines", MaxSnippetDetails, len(got))
	}
	if got := strings.Split(snippet(d), "\n"); len(got) != MaxSnippetDetails+1 || got[MaxSnippetDetails] != "…" {
		t.Errorf("%d warnings: %q", MaxSnippetDetails+5, got)
	}
}

// TestUnavailableBoundsError: a long error is cut at MaxErrorLength bytes.
func TestUnavailableBoundsError(t *testing.T) {
	fs, _ := Evaluate(Input{Repo: "r", Commit: compared, StoredErr: errors.New(strings.Repeat("e", 5*MaxErrorLength))})
	if len(fs) != 1 || strings.Count(fs[0].Message, "e") > MaxErrorLength+10 {
		t.Errorf("findings: %+v", fs)
	}
	for _, n := range []int{MaxErrorLength, MaxErrorLength + 1} {
		fs, _ := Evaluate(Input{Repo: "r", Commit: compared, StoredErr: errors.New(strings.Repeat("e", n))})
		want := ": " + strings.Repeat("e", min(n, MaxErrorLength))
		if n > MaxErrorLength {
			want += "…"
		}
		if len(fs) != 1 || !strings.HasSuffix(fs[0].Message, want) {
			t.Errorf("a %d-byte error: findings %+v", n, fs)
		}
	}
}

// TestNoCredentialsInErrors: a base URL's credentials never reach an error.
func TestNoCredentialsInErrors(t *testing.T) {
	srv, base := startAPI(t)
	srv.FailNext(10, http.StatusInternalServerError)
	withCreds := strings.Replace(base, "http://", "http://user:s3cret@", 1) + "?token=t0ken"
	_, err := New(withCreds, fastOptions()).Get(context.Background(), "github.com", "acme", "weather-mcp")
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("err = %v", err)
	}
}

// TestNoteReasonBound: a check's reason in the summary note is cut at MaxNoteReasonLength bytes.
func TestNoteReasonBound(t *testing.T) {
	for _, n := range []int{MaxNoteReasonLength, MaxNoteReasonLength + 1} {
		_, notes := Evaluate(Input{Repo: "r", Commit: compared, Local: local(chk(CheckPackaging, NoScore, strings.Repeat("x", n)))})
		want := "(" + strings.Repeat("x", min(n, MaxNoteReasonLength))
		if n > MaxNoteReasonLength {
			want += "…"
		}
		if len(notes) != 1 || !strings.HasSuffix(notes[0], want+")") {
			t.Errorf("a %d-byte reason: notes %q", n, notes)
		}
	}
}
