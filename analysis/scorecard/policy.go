package scorecard

import (
	"fmt"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// DefaultSeverity is the severity of a minimum whose policy names none.
const DefaultSeverity = finding.Warn

// Minimum is a score a check, or the overall result, must reach, and what falling short does.
type Minimum struct {
	// Score is the minimum, 0…10; a score below it makes a finding.
	Score float64
	// Severity is the finding's severity (DefaultSeverity when the policy names none).
	Severity finding.Severity
	// Where says where the minimum was set (".github/mcpvet.yml line 7"), for messages; "" for defaults.
	Where string
}

// String describes the minimum for a message: "the minimum of 5 set in .github/mcpvet.yml line 7".
func (m Minimum) String() string {
	s := fmt.Sprintf("the minimum of %s", formatScore(m.Score))
	if m.Where != "" {
		s += " set in " + m.Where
	}
	return s
}

// Policy is what a review requires of Scorecard results. The zero value is the default: no minimums. A
// Dangerous-Workflow score of 0 is always reported (scorecard/dangerous-workflow, block by default) whatever
// the minimums say; its severity is the rule's.
type Policy struct {
	// Overall, when set, is the minimum overall score. Only stored results have an overall score.
	Overall *Minimum
	// Checks maps canonical check names (see CanonicalCheck) to their minimums.
	Checks map[string]Minimum
}

// formatScore prints a score without a needless ".0".
func formatScore(s float64) string {
	if s == float64(int(s)) {
		return fmt.Sprintf("%d", int(s))
	}
	return fmt.Sprintf("%.1f", s)
}
