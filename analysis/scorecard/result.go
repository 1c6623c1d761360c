package scorecard

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Source says where a Result comes from.
type Source string

// Sources of results.
const (
	// SourceAPI is a result stored by the Scorecard project's weekly scan, read from the results API. It was
	// computed on whatever commit the scan saw (usually the default branch's head), not necessarily the
	// compared one.
	SourceAPI Source = "api"
	// SourceLocal is a result of the file-based checks run here on the upstream tree at the compared commit.
	SourceLocal Source = "local"
)

// NoScore is the score of a check, or of a whole result, that could not tell: not applicable, inconclusive,
// unsupported by the local client, or absent. It is never compared with a minimum.
const NoScore = -1

// MaxScore is the best score of a check and of a result.
const MaxScore = 10

// Check names, as Scorecard spells them.
const (
	CheckBinaryArtifacts      = "Binary-Artifacts"
	CheckBranchProtection     = "Branch-Protection"
	CheckCITests              = "CI-Tests"
	CheckCIIBestPractices     = "CII-Best-Practices"
	CheckCodeReview           = "Code-Review"
	CheckContributors         = "Contributors"
	CheckDangerousWorkflow    = "Dangerous-Workflow"
	CheckDependencyUpdateTool = "Dependency-Update-Tool"
	CheckFuzzing              = "Fuzzing"
	CheckLicense              = "License"
	CheckMaintained           = "Maintained"
	CheckPackaging            = "Packaging"
	CheckPinnedDependencies   = "Pinned-Dependencies"
	CheckSAST                 = "SAST"
	CheckSBOM                 = "SBOM"
	CheckSecurityPolicy       = "Security-Policy"
	CheckSignedReleases       = "Signed-Releases"
	CheckTokenPermissions     = "Token-Permissions"
	CheckVulnerabilities      = "Vulnerabilities"
	CheckWebhooks             = "Webhooks"
)

// CheckNames lists every check Scorecard v5 knows, in alphabetical order.
func CheckNames() []string {
	return []string{
		CheckBinaryArtifacts, CheckBranchProtection, CheckCITests, CheckCIIBestPractices, CheckCodeReview,
		CheckContributors, CheckDangerousWorkflow, CheckDependencyUpdateTool, CheckFuzzing, CheckLicense,
		CheckMaintained, CheckPackaging, CheckPinnedDependencies, CheckSAST, CheckSBOM, CheckSecurityPolicy,
		CheckSignedReleases, CheckTokenPermissions, CheckVulnerabilities, CheckWebhooks,
	}
}

// LocalCheckNames lists the file-based checks run locally on the tree at the compared commit, in
// alphabetical order. The others need the host's API (commits, reviews, releases, branch rules) and come only
// from stored results.
func LocalCheckNames() []string {
	return []string{
		CheckBinaryArtifacts, CheckDangerousWorkflow, CheckDependencyUpdateTool, CheckLicense, CheckPackaging,
		CheckPinnedDependencies, CheckSAST, CheckSecurityPolicy, CheckTokenPermissions,
	}
}

// CanonicalCheck returns the canonical spelling of a check name given in any case, and whether it is a known
// check.
func CanonicalCheck(name string) (string, bool) {
	for _, n := range CheckNames() {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return n, true
		}
	}
	return "", false
}

// Check is one check's outcome.
type Check struct {
	// Name is the check's name ("Dangerous-Workflow").
	Name string
	// Score is 0…10, or NoScore when the check could not tell.
	Score int
	// Reason is Scorecard's one-line explanation, or why there is no score.
	Reason string
	// Details are Scorecard's detail lines ("Warn: …: .github/workflows/ci.yml:12"), at most
	// Limits.MaxDetails of them.
	Details []string
	// DocURL is the check's documentation, when known.
	DocURL string
}

// Scored reports whether the check has a score (0…10).
func (c Check) Scored() bool { return c.Score >= 0 && c.Score <= MaxScore }

// Result is one Scorecard run: stored by the weekly scan, or local.
type Result struct {
	Source Source
	// Repo is "host/owner/name" as the result names it.
	Repo string
	// Commit is the full commit id the result was computed on ("" when unknown).
	Commit string
	// Date is when the result was computed (zero when unknown).
	Date time.Time
	// Version is the Scorecard version that computed it.
	Version string
	// Score is the overall score (0…10), or NoScore. Local results have none: their checks are a subset, and
	// an aggregate of a subset is not the Scorecard score.
	Score float64
	// Checks holds the checks that ran, in the order they were reported.
	Checks []Check
	// Notes say what the result leaves out (files not examined, details dropped).
	Notes []string
}

// Check returns the result's check called name (any case), and whether it has one.
func (r *Result) Check(name string) (Check, bool) {
	if r == nil {
		return Check{}, false
	}
	for _, c := range r.Checks {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Check{}, false
}

// HasScore reports whether the result has an overall score.
func (r *Result) HasScore() bool { return r != nil && r.Score >= 0 && r.Score <= MaxScore }

// CleanText makes hostile text (a reason, a detail line, an error) safe to keep in a Result and to print:
// valid UTF-8, every control character (newlines and tabs included) a space, trimmed, at most n bytes (cut on
// a character boundary, then "…" added).
func CleanText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
