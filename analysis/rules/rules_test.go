package rules_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/rules"
)

// rulesDoc is the rules documentation, relative to this package's folder.
const rulesDoc = "../../docs/rules.md"

var (
	ruleID = regexp.MustCompile(`^(source|diff|publish|mcp|scorecard|repo)/[a-z0-9]+(-[a-z0-9]+)*$`)
	// docRow matches a table row of docs/rules.md: | `rule` | default | triggers | fixture |
	docRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|([^|]*)\\|")
)

// docRule is a rule as docs/rules.md documents it.
type docRule struct {
	severity   finding.Severity
	unverified bool
	line       int
}

// readRulesDoc parses the rules table of docs/rules.md.
func readRulesDoc(t *testing.T) map[string]docRule {
	t.Helper()
	data, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatalf("read the rules documentation: %v", err)
	}
	out := map[string]docRule{}
	for i, line := range strings.Split(string(data), "\n") {
		m := docRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id := m[1]
		if _, dup := out[id]; dup {
			t.Errorf("%s:%d: rule %s documented twice", rulesDoc, i+1, id)
		}
		var r docRule
		r.line = i + 1
		for j, part := range strings.Split(m[2], ",") {
			part = strings.TrimSpace(part)
			switch {
			case j == 0:
				sev, err := finding.ParseSeverity(part)
				if err != nil || sev == "" {
					t.Errorf("%s:%d: rule %s: default severity %q: %v", rulesDoc, i+1, id, part, err)
				}
				r.severity = sev
			case part == "unverified":
				r.unverified = true
			default:
				t.Errorf("%s:%d: rule %s: unknown qualifier %q in the default column", rulesDoc, i+1, id, part)
			}
		}
		out[id] = r
	}
	if len(out) == 0 {
		t.Fatalf("%s has no rules table", rulesDoc)
	}
	return out
}

func TestRulesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules.All() {
		if !ruleID.MatchString(r.ID) {
			t.Errorf("rule id %q is not kebab-case with a known prefix (source/, diff/, publish/, mcp/, scorecard/, repo/)", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Severity != finding.Block && r.Severity != finding.Warn && r.Severity != finding.Info {
			t.Errorf("rule %s: default severity %q", r.ID, r.Severity)
		}
		if strings.TrimSpace(r.Summary) == "" {
			t.Errorf("rule %s has no summary", r.ID)
		}
	}
}

func TestRulesAreDocumented(t *testing.T) {
	doc := readRulesDoc(t)
	for _, r := range rules.All() {
		d, ok := doc[r.ID]
		if !ok {
			t.Errorf("rule %s (%s) is not in %s", r.ID, r.Severity, rulesDoc)
			continue
		}
		if d.severity != r.Severity {
			t.Errorf("%s:%d: rule %s is documented as %s, its default is %s", rulesDoc, d.line, r.ID, d.severity, r.Severity)
		}
		if d.unverified != r.Unverified {
			t.Errorf("%s:%d: rule %s: documented unverified=%v, Rules() says %v", rulesDoc, d.line, r.ID, d.unverified, r.Unverified)
		}
	}
	for id, d := range doc {
		if _, ok := rules.Lookup(id); !ok {
			t.Errorf("%s:%d: rule %s is documented but not in rules.All()", rulesDoc, d.line, id)
		}
	}
}
