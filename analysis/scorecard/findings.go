package scorecard

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

// Rule ids of this package's findings.
const (
	// RuleCheckBelowMinimum: a check scored below the minimum the policy sets for it.
	RuleCheckBelowMinimum = "scorecard/check-below-minimum"
	// RuleScoreBelowMinimum: the stored overall score is below the policy's minimum.
	RuleScoreBelowMinimum = "scorecard/score-below-minimum"
	// RuleDangerousWorkflow: Dangerous-Workflow scored 0 — a workflow runs untrusted code with the
	// repository's privileges (pull_request_target checking out the pull request, script injection).
	RuleDangerousWorkflow = "scorecard/dangerous-workflow"
	// RuleUnavailable: Scorecard data could not be read, or a minimum has no score to compare with.
	RuleUnavailable = "scorecard/unavailable"
)

// Bounds of the findings' text.
const (
	// MaxSnippetDetails bounds the detail lines quoted in one finding's snippet.
	MaxSnippetDetails = 10
	// MaxErrorLength bounds the error text quoted in a finding or note, in bytes.
	MaxErrorLength = 400
	// MaxNoteReasonLength bounds one check's reason in the summary note, in bytes.
	MaxNoteReasonLength = 120
)

// Rules lists this package's rules with their default severities, in documentation order.
func Rules() []finding.Rule {
	return []finding.Rule{
		{ID: RuleDangerousWorkflow, Severity: finding.Block, Summary: "Scorecard's Dangerous-Workflow check scored 0: a workflow runs untrusted code with the repository's privileges"},
		{ID: RuleCheckBelowMinimum, Severity: DefaultSeverity, Summary: "a Scorecard check scored below the minimum the policy sets for it (severity per minimum, warn by default)"},
		{ID: RuleScoreBelowMinimum, Severity: DefaultSeverity, Summary: "the stored overall Scorecard score is below the policy's minimum (severity per minimum, warn by default)"},
		{ID: RuleUnavailable, Severity: finding.Info, Summary: "Scorecard data could not be read, or a minimum has no score to compare with: reported as missing, never as a score"},
	}
}

func newFinding(id, message string) finding.Finding {
	for _, r := range Rules() {
		if r.ID == id {
			return finding.Finding{Rule: id, Severity: r.Severity, Message: message, Unverified: r.Unverified}
		}
	}
	return finding.Finding{Rule: id, Message: message}
}

// Input is what Evaluate compares: the stored and local results for one upstream at the compared commit.
type Input struct {
	// Repo is "host/owner/name"; Commit the compared commit (full id).
	Repo, Commit string
	// Stored is the stored result (nil when none); StoredErr says why (ErrNotFound: the API has none).
	Stored    *Result
	StoredErr error
	// API is the results API's base URL, for evidence.
	API string
	// Local is the local checks' result (nil when they did not run); LocalErr says why.
	Local    *Result
	LocalErr error
	// LocalOff is true when local checks are not configured (LocalErr is then not reported).
	LocalOff bool
	Policy   Policy
}

// Evaluate compares the results with the policy and returns the findings and the notes a report shows about
// where the scores came from. For each check the local result at the compared commit is used when it has a
// score, else the stored one (whose commit is named, and said to differ when it does). A check no source
// scored is missing: a minimum on it is a scorecard/unavailable finding, never a failure.
func Evaluate(in Input) ([]finding.Finding, []string) {
	var out []finding.Finding
	notes := in.notes()

	if in.StoredErr != nil && !errors.Is(in.StoredErr, ErrNotFound) && !errors.Is(in.StoredErr, ErrUnsupportedHost) {
		f := newFinding(RuleUnavailable, fmt.Sprintf("stored Scorecard results for %s could not be read: %s", in.Repo, bounded(in.StoredErr.Error())))
		f.Evidence = "Scorecard results API " + in.API
		out = append(out, f)
	}
	if in.LocalErr != nil {
		f := newFinding(RuleUnavailable, fmt.Sprintf("local Scorecard checks of %s at the compared commit %s could not run: %s", in.Repo, report.ShortCommit(in.Commit), bounded(in.LocalErr.Error())))
		f.Evidence = "local Scorecard checks at " + in.Commit
		out = append(out, f)
	}

	dw := in.pick(CheckDangerousWorkflow)
	if dw.from != nil && dw.check.Score == 0 {
		f := newFinding(RuleDangerousWorkflow, fmt.Sprintf("%s scored 0 (%s): %s", CheckDangerousWorkflow, in.describe(dw.from), orNone(dw.check.Reason)))
		f.Snippet = snippet(dw.check.Details)
		f.Evidence = in.evidence(dw.from, dw.check)
		out = append(out, f)
	}

	for _, name := range slices.Sorted(maps.Keys(in.Policy.Checks)) {
		m := in.Policy.Checks[name]
		p := in.pick(name)
		switch {
		case p.from == nil:
			f := newFinding(RuleUnavailable, fmt.Sprintf("%s has %s, but no score: %s", name, m, p.missing))
			f.Evidence = in.sources()
			out = append(out, f)
		case name == CheckDangerousWorkflow && p.check.Score == 0:
			// reported above, with its own rule
		case float64(p.check.Score) < m.Score:
			f := newFinding(RuleCheckBelowMinimum, fmt.Sprintf("%s scored %d, below %s (%s): %s",
				name, p.check.Score, m, in.describe(p.from), orNone(p.check.Reason)))
			f.Severity = severity(m)
			f.Snippet = snippet(p.check.Details)
			f.Evidence = in.evidence(p.from, p.check)
			out = append(out, f)
		}
	}

	if m := in.Policy.Overall; m != nil {
		switch {
		case !in.Stored.HasScore():
			f := newFinding(RuleUnavailable, fmt.Sprintf("the overall Scorecard score has %s, but there is none: %s (only stored results have an overall score; a subset of local checks is not one)", m, in.storedMissing()))
			f.Evidence = in.sources()
			out = append(out, f)
		case in.Stored.Score < m.Score:
			f := newFinding(RuleScoreBelowMinimum, fmt.Sprintf("the overall Scorecard score of %s is %s, below %s (%s)",
				in.Repo, formatScore(in.Stored.Score), m, in.describe(in.Stored)))
			f.Severity = severity(*m)
			f.Evidence = in.evidence(in.Stored, Check{})
			out = append(out, f)
		}
	}
	return out, notes
}

func severity(m Minimum) finding.Severity {
	if m.Severity == "" {
		return DefaultSeverity
	}
	return m.Severity
}

// picked is the score used for one check, or why there is none.
type picked struct {
	check   Check
	from    *Result // nil: no score
	missing string
}

// pick chooses the local score at the compared commit when there is one, else the stored one.
func (in *Input) pick(name string) picked {
	if c, ok := in.Local.Check(name); ok && c.Scored() {
		return picked{check: c, from: in.Local}
	}
	if c, ok := in.Stored.Check(name); ok && c.Scored() {
		return picked{check: c, from: in.Stored}
	}
	var why []string
	switch c, ok := in.Local.Check(name); {
	case ok:
		why = append(why, "locally, "+orNone(c.Reason))
	case !slices.Contains(LocalCheckNames(), name):
		why = append(why, "it needs the host's API, so it is not run locally")
	case in.LocalOff:
		why = append(why, "local checks are off")
	case in.LocalErr != nil:
		why = append(why, "the local checks did not run")
	}
	if c, ok := in.Stored.Check(name); ok {
		why = append(why, "in the stored result, "+orNone(c.Reason))
	} else {
		why = append(why, in.storedMissing())
	}
	return picked{missing: strings.Join(why, "; ")}
}

// storedMissing says why the stored result has nothing to offer.
func (in *Input) storedMissing() string {
	switch {
	case in.Stored != nil:
		return "the stored result has no score for it"
	case errors.Is(in.StoredErr, ErrNotFound):
		return "the Scorecard API has no stored result for " + in.Repo
	case errors.Is(in.StoredErr, ErrUnsupportedHost):
		return "the Scorecard API holds no results for repositories on this host"
	case in.StoredErr != nil:
		return "the stored result could not be read"
	}
	return "stored results are off"
}

// describe names a result's source for a message.
func (in *Input) describe(r *Result) string {
	if r.Source == SourceLocal {
		return "local check at the compared commit " + report.ShortCommit(in.Commit)
	}
	s := "stored result"
	if !r.Date.IsZero() {
		s += " of " + r.Date.Format(time.DateOnly)
	}
	switch {
	case r.Commit == "":
		s += ", commit not stated"
	case !strings.EqualFold(r.Commit, in.Commit):
		s += fmt.Sprintf(" for commit %s, not the compared commit %s", report.ShortCommit(r.Commit), report.ShortCommit(in.Commit))
	default:
		s += " for the compared commit " + report.ShortCommit(r.Commit)
	}
	return s
}

// evidence says where a reviewer can check a score.
func (in *Input) evidence(r *Result, c Check) string {
	var s string
	if r.Source == SourceLocal {
		s = fmt.Sprintf("Scorecard %s local checks (localdir client) on %s at %s", orUnknown(r.Version), in.Repo, in.Commit)
	} else {
		s = fmt.Sprintf("%s/projects/%s (Scorecard %s", strings.TrimSuffix(in.API, "/"), in.Repo, orUnknown(r.Version))
		if !r.Date.IsZero() {
			s += ", " + r.Date.Format(time.DateOnly)
		}
		if r.Commit != "" {
			s += ", commit " + r.Commit
		}
		s += ")"
	}
	if c.DocURL != "" {
		s += "; " + c.DocURL
	}
	return s
}

// sources names the sources consulted, for an unavailable finding's evidence.
func (in *Input) sources() string {
	var s []string
	if in.API != "" {
		s = append(s, "Scorecard results API "+in.API)
	}
	if !in.LocalOff {
		s = append(s, "local Scorecard checks at "+in.Commit)
	}
	return strings.Join(s, "; ")
}

// notes summarise where the scores came from and what is missing, for the report's upstream notes.
func (in *Input) notes() []string {
	var notes []string
	switch {
	case in.Stored != nil:
		n := "Scorecard: " + in.describe(in.Stored)
		if in.Stored.HasScore() {
			n += ", overall " + formatScore(in.Stored.Score)
		}
		notes = append(notes, n)
		for _, x := range in.Stored.Notes {
			notes = append(notes, "Scorecard: stored result: "+x)
		}
	case in.StoredErr != nil:
		notes = append(notes, "Scorecard: "+in.storedMissing())
	}
	if in.Local != nil {
		var parts []string
		for _, c := range in.Local.Checks {
			if c.Scored() {
				parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Score))
			} else {
				parts = append(parts, fmt.Sprintf("%s no score (%s)", c.Name, CleanText(orNone(c.Reason), MaxNoteReasonLength)))
			}
		}
		notes = append(notes, fmt.Sprintf("Scorecard: local checks at the compared commit %s: %s", report.ShortCommit(in.Commit), strings.Join(parts, ", ")))
		for _, x := range in.Local.Notes {
			notes = append(notes, "Scorecard: local checks: "+x)
		}
	}
	return notes
}

func snippet(details []string) string {
	var lines []string
	for _, d := range details {
		if !strings.HasPrefix(d, "Warn:") {
			continue
		}
		if len(lines) == MaxSnippetDetails {
			lines = append(lines, "…")
			break
		}
		lines = append(lines, d)
	}
	return strings.Join(lines, "\n")
}

func bounded(s string) string { return CleanText(s, MaxErrorLength) }

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}
