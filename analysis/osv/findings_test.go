package osv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

func TestFindings(t *testing.T) {
	mal := Vuln{ID: "MAL-2025-0001", Summary: "copies mail to an outsider", Malicious: true}
	ghsaMal := Vuln{ID: "GHSA-mmmm-mmmm-mmmm", Aliases: []string{"MAL-2025-0001"}, Summary: "Malware", Malicious: true}
	ghsaMalAlone := Vuln{ID: "GHSA-nnnn-nnnn-nnnn", Aliases: []string{"MAL-2025-0002"}, Summary: "Malware", Malicious: true}
	high := Vuln{ID: "GHSA-hhhh-hhhh-hhhh", Severity: "HIGH"}
	cvss := Vuln{ID: "CVE-2025-1", Severity: "CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
	withdrawn := Vuln{ID: "MAL-2025-0003", Malicious: true, Withdrawn: time.Now()}
	bad := Vuln{ID: "MAL-<b>", Malicious: true}

	many := func(n int) []Vuln {
		vs := make([]Vuln, n)
		for i := range vs {
			vs[i] = Vuln{ID: fmt.Sprintf("GHSA-%04d", i)}
		}
		return vs
	}

	tests := []struct {
		name         string
		in           []Vuln
		wantRules    []string
		wantMessages []string // substrings, one per finding
		notInMessage []string // substrings no finding's message may hold
	}{
		{"none", nil, nil, nil, nil},
		{"malicious", []Vuln{mal}, []string{RuleKnownMalicious},
			[]string{"MAL-2025-0001 reports this version as malicious: copies mail to an outsider"}, nil},
		{"alias of a reported MAL record is folded", []Vuln{ghsaMal, mal}, []string{RuleKnownMalicious},
			[]string{"MAL-2025-0001"}, []string{"GHSA-mmmm"}},
		{"alias of an unreported MAL record", []Vuln{ghsaMalAlone}, []string{RuleKnownMalicious},
			[]string{"GHSA-nnnn-nnnn-nnnn (alias MAL-2025-0002)"}, nil},
		{"vulnerable, one finding naming all, sorted", []Vuln{high, cvss}, []string{RuleKnownVulnerable},
			[]string{"2 known OSV advisories cover this version: CVE-2025-1, GHSA-hhhh-hhhh-hhhh (HIGH)"}, []string{"CVSS:3.1"}},
		{"one vulnerable", []Vuln{high}, []string{RuleKnownVulnerable},
			[]string{"1 known OSV advisory covers this version"}, nil},
		{"malicious and vulnerable", []Vuln{high, mal}, []string{RuleKnownMalicious, RuleKnownVulnerable},
			[]string{"MAL-2025-0001", "GHSA-hhhh"}, nil},
		{"withdrawn is ignored", []Vuln{withdrawn}, nil, nil, nil},
		{"invalid id is ignored", []Vuln{bad}, nil, nil, nil},
		{"exactly MaxListedIDs", many(MaxListedIDs), []string{RuleKnownVulnerable},
			[]string{fmt.Sprintf("GHSA-%04d", MaxListedIDs-1)}, []string{"more"}},
		{"one more than MaxListedIDs", many(MaxListedIDs + 1), []string{RuleKnownVulnerable},
			[]string{"and 1 more"}, []string{fmt.Sprintf("GHSA-%04d", MaxListedIDs)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Findings(tt.in)
			if len(fs) != len(tt.wantRules) {
				t.Fatalf("findings = %+v, want rules %v", fs, tt.wantRules)
			}
			for i, f := range fs {
				r, _ := lookup(f.Rule)
				if f.Rule != tt.wantRules[i] || f.Severity != r.Severity || f.Unverified {
					t.Errorf("finding %d = %+v", i, f)
				}
				if !strings.Contains(f.Message, tt.wantMessages[i]) {
					t.Errorf("message %q lacks %q", f.Message, tt.wantMessages[i])
				}
				for _, bad := range tt.notInMessage {
					if strings.Contains(f.Message, bad) {
						t.Errorf("message %q holds %q", f.Message, bad)
					}
				}
				if !strings.Contains(f.Evidence, "https://osv.dev/vulnerability/") {
					t.Errorf("evidence %q has no advisory URL", f.Evidence)
				}
			}
		})
	}
}

func lookup(id string) (finding.Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return finding.Rule{}, false
}

func TestRules(t *testing.T) {
	want := map[string]struct {
		sev        finding.Severity
		unverified bool
	}{
		RuleKnownMalicious:        {finding.Block, false},
		RuleKnownVulnerable:       {finding.Warn, false},
		RuleAdvisoriesUnavailable: {finding.Warn, true},
		RuleTooNew:                {finding.Warn, false},
	}
	rules := Rules()
	if len(rules) != len(want) {
		t.Fatalf("rules = %+v", rules)
	}
	for _, r := range rules {
		w, ok := want[r.ID]
		if !ok || r.Severity != w.sev || r.Unverified != w.unverified || r.Summary == "" {
			t.Errorf("rule %+v", r)
		}
		if !strings.HasPrefix(r.ID, "publish/") {
			t.Errorf("rule %s is not in the publish/ family", r.ID)
		}
		if _, clash := finding.Lookup(r.ID); clash {
			t.Errorf("rule %s is also defined by package finding", r.ID)
		}
	}
}

func TestUnavailable(t *testing.T) {
	secretErr := errors.New(`POST https://osvuser:hunter2pass@api.example.com/v1/query?key=abc123&x=1#f: ` +
		`Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig; token=tok3n-value api_key: k3y ` +
		`ghp_abcdefghijklmnopqrstuvwxyz0123456789 npm_abcdefghijklmnopqrstuvwxyz0123456789 ` +
		`and ftp://user:pw4@[bad`)
	tests := []struct {
		name    string
		err     error
		want    []string
		notWant []string
	}{
		{"nil error", nil, []string{"could not be checked"}, nil},
		{"plain error", errors.New("query OSV: HTTP 503"), []string{"could not be checked", "HTTP 503"}, nil},
		{"secrets", secretErr,
			[]string{"https://api.example.com/v1/query", "[redacted]"},
			[]string{"hunter2pass", "osvuser", "abc123", "eyJhbGci", "tok3n-value", "k3y", "ghp_abc", "npm_abc", "pw4"}},
		{"multi-line", errors.New("line one\nline two\x1b[31m"), []string{"line one line two"}, []string{"\n", "\x1b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Unavailable(tt.err)
			if f.Rule != RuleAdvisoriesUnavailable || f.Severity != finding.Warn || !f.Unverified {
				t.Errorf("finding = %+v", f)
			}
			for _, w := range tt.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q lacks %q", f.Message, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(f.Message, w) {
					t.Errorf("message %q leaks %q", f.Message, w)
				}
			}
		})
	}
	t.Run("bounded", func(t *testing.T) {
		prefix := len(Unavailable(errors.New("x")).Message) - 1
		for _, n := range []int{MaxErrorLength, MaxErrorLength + 1, 100 * MaxErrorLength} {
			msg := Unavailable(errors.New(strings.Repeat("é", n/2) + strings.Repeat("e", n%2))).Message
			got := len(msg) - prefix
			if got > MaxErrorLength || !utf8.ValidString(msg) {
				t.Errorf("error of %d bytes quoted as %d bytes", n, got)
			}
			if cut := strings.HasSuffix(msg, "…"); cut != (n > MaxErrorLength) {
				t.Errorf("error of %d bytes: cut = %v", n, cut)
			}
		}
	})
}

func TestTooNew(t *testing.T) {
	now := time.Date(2025, time.September, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		published time.Time
		minAge    time.Duration
		wantNil   bool
		want      string
	}{
		{"exactly minAge", now.Add(-DefaultMinAge), DefaultMinAge, true, ""},
		{"one nanosecond younger", now.Add(-DefaultMinAge + time.Nanosecond), DefaultMinAge, false, "published 47h59m ago, less than the minimum age of 48h"},
		{"older", now.Add(-30 * 24 * time.Hour), DefaultMinAge, true, ""},
		{"minutes old", now.Add(-12 * time.Minute), DefaultMinAge, false, "published 12m ago"},
		{"seconds old", now.Add(-30 * time.Second), DefaultMinAge, false, "published 30s ago"},
		{"zero minAge means the default", now.Add(-47 * time.Hour), 0, false, "minimum age of 48h"},
		{"negative minAge means the default", now.Add(-49 * time.Hour), -time.Hour, true, ""},
		{"custom minAge, exactly", now.Add(-7 * 24 * time.Hour), 7 * 24 * time.Hour, true, ""},
		{"custom minAge, younger", now.Add(-6 * 24 * time.Hour), 7 * 24 * time.Hour, false, "published 6d ago, less than the minimum age of 7d"},
		{"in the future", now.Add(3 * time.Hour), DefaultMinAge, false, "3h in the future"},
		{"unknown publish time", time.Time{}, DefaultMinAge, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := TooNew(tt.published, now, tt.minAge)
			if tt.wantNil {
				if f != nil {
					t.Fatalf("finding = %+v, want none", f)
				}
				return
			}
			if f == nil {
				t.Fatal("no finding")
			}
			if f.Rule != RuleTooNew || f.Severity != finding.Warn || f.Unverified {
				t.Errorf("finding = %+v", f)
			}
			if !strings.Contains(f.Message, tt.want) {
				t.Errorf("message %q lacks %q", f.Message, tt.want)
			}
			if !strings.Contains(f.Evidence, tt.published.Format(time.RFC3339)) {
				t.Errorf("evidence %q lacks the publish time", f.Evidence)
			}
		})
	}
}

func TestFormatAge(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{59 * time.Second, "59s"},
		{time.Minute, "1m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{72*time.Hour - time.Second, "71h59m"},
		{72 * time.Hour, "3d"},
		{75 * time.Hour, "3d3h"},
	}
	for _, tt := range tests {
		if got := formatAge(tt.in); got != tt.want {
			t.Errorf("formatAge(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeFields(t *testing.T) {
	manyAliases := make([]string, 0, MaxAliases+2)
	for i := range MaxAliases + 1 {
		manyAliases = append(manyAliases, fmt.Sprintf(`"CVE-2025-%d"`, i))
	}
	manyAliases = append(manyAliases, `"MAL-2025-0009"`)
	tests := []struct {
		name  string
		vuln  string
		check func(t *testing.T, v Vuln)
	}{
		{"MAL alias marks malicious", `{"id":"GHSA-x","aliases":["CVE-1","MAL-2025-0005"]}`, func(t *testing.T, v Vuln) {
			if !v.Malicious || v.malAlias() != "MAL-2025-0005" {
				t.Errorf("vuln = %+v", v)
			}
		}},
		{"MAL alias beyond MaxAliases still counts", `{"id":"GHSA-x","aliases":[` + strings.Join(manyAliases, ",") + `]}`, func(t *testing.T, v Vuln) {
			if !v.Malicious || len(v.Aliases) != MaxAliases {
				t.Errorf("malicious = %v, %d aliases", v.Malicious, len(v.Aliases))
			}
		}},
		{"invalid and self aliases dropped", `{"id":"GHSA-x","aliases":["GHSA-x","<script>","","CVE-2"]}`, func(t *testing.T, v Vuln) {
			if fmt.Sprint(v.Aliases) != "[CVE-2]" {
				t.Errorf("aliases = %v", v.Aliases)
			}
		}},
		{"not malicious", `{"id":"GHSA-x","summary":"MAL-2025-1 mentioned"}`, func(t *testing.T, v Vuln) {
			if v.Malicious {
				t.Error("malicious")
			}
		}},
		{"database_specific severity wins", `{"id":"GHSA-x","database_specific":{"severity":"MODERATE"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"}]}`, func(t *testing.T, v Vuln) {
			if v.Severity != "MODERATE" {
				t.Errorf("severity = %q", v.Severity)
			}
		}},
		{"CVSS severity", `{"id":"GHSA-x","database_specific":{"severity":7},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"}]}`, func(t *testing.T, v Vuln) {
			if v.Severity != "CVSS_V3 CVSS:3.1/AV:N" {
				t.Errorf("severity = %q", v.Severity)
			}
		}},
		{"database_specific of another shape", `{"id":"GHSA-x","database_specific":[1,2]}`, func(t *testing.T, v Vuln) {
			if v.Severity != "" {
				t.Errorf("severity = %q", v.Severity)
			}
		}},
		{"summary cleaned", `{"id":"GHSA-x","summary":"  two\nlines\u0000 and\u202Ebidi\t "}`, func(t *testing.T, v Vuln) {
			if v.Summary != "two lines and bidi" {
				t.Errorf("summary = %q", v.Summary)
			}
		}},
		{"summary of the maximum length", `{"id":"GHSA-x","summary":"` + strings.Repeat("s", MaxSummaryLength) + `"}`, func(t *testing.T, v Vuln) {
			if v.Summary != strings.Repeat("s", MaxSummaryLength) {
				t.Errorf("summary of %d bytes changed", MaxSummaryLength)
			}
		}},
		{"summary one byte too long", `{"id":"GHSA-x","summary":"` + strings.Repeat("s", MaxSummaryLength+1) + `"}`, func(t *testing.T, v Vuln) {
			if len(v.Summary) > MaxSummaryLength || !strings.HasSuffix(v.Summary, "…") {
				t.Errorf("summary = %d bytes, not cut", len(v.Summary))
			}
		}},
		{"severity of the maximum length", `{"id":"GHSA-x","database_specific":{"severity":"` + strings.Repeat("H", MaxSeverityLength) + `"}}`, func(t *testing.T, v Vuln) {
			if v.Severity != strings.Repeat("H", MaxSeverityLength) {
				t.Errorf("severity of %d bytes changed", MaxSeverityLength)
			}
		}},
		{"severity one byte too long", `{"id":"GHSA-x","database_specific":{"severity":"` + strings.Repeat("H", MaxSeverityLength+1) + `"}}`, func(t *testing.T, v Vuln) {
			if len(v.Severity) > MaxSeverityLength || !strings.HasSuffix(v.Severity, "…") {
				t.Errorf("severity = %d bytes, not cut", len(v.Severity))
			}
		}},
		{"times", `{"id":"GHSA-x","published":"2025-09-25T12:00:00+02:00","modified":"2025-09-26T00:00:00.123Z","withdrawn":"nope"}`, func(t *testing.T, v Vuln) {
			if !v.Published.Equal(time.Date(2025, 9, 25, 10, 0, 0, 0, time.UTC)) || v.Modified.IsZero() || !v.Withdrawn.IsZero() {
				t.Errorf("vuln = %+v", v)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, _, err := decodeResponse([]byte(`{"vulns":[` + tt.vuln + `]}`))
			if err != nil || len(vs) != 1 {
				t.Fatalf("vulns = %v, err = %v", vs, err)
			}
			tt.check(t, vs[0])
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"exactly the limit", strings.Repeat("a", 10), 10, strings.Repeat("a", 10)},
		{"one over", strings.Repeat("a", 11), 10, strings.Repeat("a", 7) + "…"},
		{"multi-byte cut", strings.Repeat("é", 6), 10, "ééé…"},
		{"invalid UTF-8", "a\xffb", 10, "a\uFFFDb"},
		{"only spaces", " \n\t ", 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clean(tt.in, tt.limit)
			if got != tt.want || len(got) > tt.limit || !utf8.ValidString(got) {
				t.Errorf("clean(%q, %d) = %q (%d bytes), want %q", tt.in, tt.limit, got, len(got), tt.want)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"MAL-2025-0001", true},
		{"GHSA-abcd-efgh-ijkl", true},
		{"PYSEC-2025.7", true},
		{"RUSTSEC-2025-0001", true},
		{"BIT-node:2025_1", true},
		{"", false},
		{"1ABC", false},
		{"-MAL", false},
		{"MAL 1", false},
		{"MAL/../x", false},
		{"MAL-1?x=y", false},
		{"MAL-é", false},
		{strings.Repeat("A", MaxIDLength), true},
		{strings.Repeat("A", MaxIDLength+1), false},
	}
	for _, tt := range tests {
		if got := validID(tt.id); got != tt.want {
			t.Errorf("validID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
