package osv

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Rule ids of this package's findings.
const (
	// RuleKnownMalicious: an OSV MAL- advisory covers the version.
	RuleKnownMalicious = "publish/known-malicious"
	// RuleKnownVulnerable: other OSV advisories (GHSA, CVE, PYSEC, …) cover the version.
	RuleKnownVulnerable = "publish/known-vulnerable"
	// RuleAdvisoriesUnavailable: the OSV query failed, so known-malicious versions were not ruled out.
	RuleAdvisoriesUnavailable = "publish/advisories-unavailable"
	// RuleTooNew: the version was published less than the minimum age ago.
	RuleTooNew = "publish/too-new"
)

// DefaultMinAge is the minimum age of an MCP server version before it passes TooNew: most malicious
// versions are reported and pulled within a day or two of publication.
const DefaultMinAge = 48 * time.Hour

// Bounds of the findings' text.
const (
	// MaxListedIDs bounds the advisory ids named in one known-vulnerable finding ("… and N more").
	MaxListedIDs = 20
	// MaxErrorLength bounds the error text quoted in an advisories-unavailable finding, in bytes.
	MaxErrorLength = 400
)

// Rules lists this package's rules with their default severities, in documentation order.
func Rules() []finding.Rule {
	return []finding.Rule{
		{ID: RuleKnownMalicious, Severity: finding.Block, Summary: "an OSV MAL- advisory says this version is malicious"},
		{ID: RuleKnownVulnerable, Severity: finding.Warn, Summary: "OSV advisories (GHSA, CVE, …) cover this version"},
		{ID: RuleAdvisoriesUnavailable, Severity: finding.Warn, Unverified: true, Summary: "the OSV query failed, so known-malicious versions could not be ruled out"},
		{ID: RuleTooNew, Severity: finding.Warn, Summary: "the version was published less than the minimum age (48h by default) ago"},
	}
}

// newFinding makes a finding for one of this package's rules with its default severity.
func newFinding(id, message string) finding.Finding {
	for _, r := range Rules() {
		if r.ID == id {
			return finding.Finding{Rule: id, Severity: r.Severity, Message: message, Unverified: r.Unverified}
		}
	}
	return finding.Finding{Rule: id, Message: message}
}

// Findings turns a query result into findings: one publish/known-malicious (block) per malicious
// advisory, and one publish/known-vulnerable (warn) naming every other advisory. Withdrawn advisories
// are ignored, and an advisory that only aliases a MAL- advisory also in vulns is folded into it. No
// advisories, no findings.
func Findings(vulns []Vuln) []finding.Finding {
	var mal, other []Vuln
	malIDs := make(map[string]bool)
	for _, v := range vulns {
		if !v.Withdrawn.IsZero() || !validID(v.ID) {
			continue
		}
		if v.Malicious {
			mal = append(mal, v)
			if isMAL(v.ID) {
				malIDs[v.ID] = true
			}
		} else {
			other = append(other, v)
		}
	}
	byID := func(a, b Vuln) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(mal, byID)
	slices.SortFunc(other, byID)

	var out []finding.Finding
	for _, v := range mal {
		if !isMAL(v.ID) && malIDs[v.malAlias()] {
			continue // the MAL- record itself is reported
		}
		out = append(out, maliciousFinding(v))
	}
	if len(other) > 0 {
		out = append(out, vulnerableFinding(other))
	}
	return out
}

func maliciousFinding(v Vuln) finding.Finding {
	name := v.ID
	if alias := v.malAlias(); alias != v.ID {
		name = fmt.Sprintf("%s (alias %s)", v.ID, alias)
	}
	msg := fmt.Sprintf("OSV advisory %s reports this version as malicious", name)
	if v.Summary != "" {
		msg += ": " + v.Summary
	}
	f := newFinding(RuleKnownMalicious, msg)
	f.Evidence = name + " " + v.URL()
	if !v.Published.IsZero() {
		f.Evidence += " (published " + v.Published.Format(time.RFC3339) + ")"
	}
	return f
}

func vulnerableFinding(vs []Vuln) finding.Finding {
	names := make([]string, 0, min(len(vs), MaxListedIDs))
	urls := make([]string, 0, cap(names))
	for _, v := range vs[:min(len(vs), MaxListedIDs)] {
		n := v.ID
		if v.Severity != "" && !strings.Contains(v.Severity, "/") {
			n += " (" + v.Severity + ")" // a label such as HIGH; CVSS vectors go to the evidence only
		}
		names = append(names, n)
		urls = append(urls, v.URL())
	}
	list := strings.Join(names, ", ")
	if more := len(vs) - len(names); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	noun := "advisory covers"
	if len(vs) > 1 {
		noun = "advisories cover"
	}
	f := newFinding(RuleKnownVulnerable, fmt.Sprintf("%d known OSV %s this version: %s", len(vs), noun, list))
	f.Evidence = strings.Join(urls, " ")
	return f
}

// Unavailable reports a failed OSV query: known-malicious versions were not ruled out, which is not a
// pass. err's text is quoted with credentials, tokens and URL queries removed, bounded to
// MaxErrorLength bytes.
func Unavailable(err error) finding.Finding {
	msg := "OSV advisories could not be checked, so a known-malicious version was not ruled out"
	if err != nil {
		msg += ": " + clean(scrub(err.Error()), MaxErrorLength)
	}
	f := newFinding(RuleAdvisoriesUnavailable, msg)
	f.Evidence = "OSV query failed"
	return f
}

// TooNew returns a publish/too-new finding when published is less than minAge before now (DefaultMinAge
// when minAge <= 0), including a publish time in the future; nil when the version is old enough or
// published is zero (unknown).
func TooNew(published, now time.Time, minAge time.Duration) *finding.Finding {
	if published.IsZero() {
		return nil
	}
	if minAge <= 0 {
		minAge = DefaultMinAge
	}
	age := now.Sub(published)
	if age >= minAge {
		return nil
	}
	var msg string
	if age < 0 {
		msg = fmt.Sprintf("this version's publish time is %s in the future; versions younger than %s are held back",
			formatAge(-age), formatAge(minAge))
	} else {
		msg = fmt.Sprintf("this version was published %s ago, less than the minimum age of %s", formatAge(age), formatAge(minAge))
	}
	f := newFinding(RuleTooNew, msg)
	f.Evidence = "published " + published.UTC().Format(time.RFC3339) + ", checked " + now.UTC().Format(time.RFC3339)
	return &f
}

// formatAge prints d in days, hours, minutes or seconds ("2d3h", "47h59m", "12m", "30s").
func formatAge(d time.Duration) string {
	d = d.Truncate(time.Second)
	switch {
	case d >= 72*time.Hour:
		days, h := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, h)
	case d >= time.Hour:
		h, m := d/time.Hour, (d%time.Hour)/time.Minute
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// Patterns scrub removes from error text. They are read-only after initialisation.
var (
	urlPattern    = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)
	schemePattern = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)
	paramPattern  = regexp.MustCompile(`(?i)\b([a-z_]*(?:token|key|secret|password|passwd|auth|authorization|session|sig|signature))(\s*[=:]\s*)[^\s&,;"']+`)
	tokenPattern  = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|npm_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,})`)
)

// scrub removes credentials from error text: URLs lose their user info, query and fragment, and
// Authorization schemes, key=value secrets and well-known token formats are replaced by "[redacted]".
func scrub(s string) string {
	s = urlPattern.ReplaceAllStringFunc(s, func(raw string) string {
		trimmed := strings.TrimRight(raw, ".,;:)]}")
		u, err := url.Parse(trimmed)
		if err != nil || u.Host == "" {
			return "[redacted URL]"
		}
		return redactURL(u) + raw[len(trimmed):]
	})
	s = schemePattern.ReplaceAllString(s, "$1 [redacted]")
	s = paramPattern.ReplaceAllString(s, "$1$2[redacted]")
	return tokenPattern.ReplaceAllString(s, "[redacted]")
}

// redactError returns err with its text scrubbed (used for errors whose text can quote a URL).
func redactError(err error) error {
	if err == nil {
		return nil
	}
	return scrubbedError(scrub(err.Error()))
}

type scrubbedError string

func (e scrubbedError) Error() string { return string(e) }
