package signals

import (
	"sort"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/finding"
)

// pkg builds a package from path/content pairs.
func pkg(kv ...string) *archive.Package {
	p := &archive.Package{Root: "package"}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Files = append(p.Files, archive.File{Path: kv[i], Mode: 0o644, Data: []byte(kv[i+1])})
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	return p
}

// withFile returns a copy of p with path set to data.
func withFile(p *archive.Package, path string, data []byte) *archive.Package {
	q := &archive.Package{Root: p.Root}
	for _, f := range p.Files {
		if f.Path != path {
			q.Files = append(q.Files, f)
		}
	}
	q.Files = append(q.Files, archive.File{Path: path, Mode: 0o644, Data: data})
	sort.Slice(q.Files, func(i, j int) bool { return q.Files[i].Path < q.Files[j].Path })
	return q
}

// ofRule returns the findings of one rule.
func ofRule(fs []finding.Finding, rule string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// hasMessage reports a finding of rule whose message contains sub.
func hasMessage(fs []finding.Finding, rule, sub string) bool {
	for _, f := range fs {
		if f.Rule == rule && strings.Contains(f.Message, sub) {
			return true
		}
	}
	return false
}

// dump formats findings for failure messages.
func dump(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.Rule + " [" + string(f.Severity) + "] " + f.Message + " | " + f.Snippet)
	}
	if b.Len() == 0 {
		return " (none)"
	}
	return b.String()
}

// baseJS is the previous version's index.js in most tests.
const baseJS = `'use strict';
const path = require('path');
const fs = require('fs');

module.exports = function run(a) {
  return path.join(a, 'out');
};
`

// addLine returns baseJS with line inserted after the first line.
func addLine(line string) string {
	i := strings.IndexByte(baseJS, '\n') + 1
	return baseJS[:i] + line + "\n" + baseJS[i:]
}

// checkInvariants checks what every Delta result must satisfy.
func checkInvariants(t testing.TB, to *archive.Package, fs []finding.Finding) {
	t.Helper()
	count := map[string]int{}
	for _, f := range fs {
		count[f.Rule]++
		if severityOf(f.Rule) != f.Severity || !knownRule(f.Rule) {
			t.Fatalf("finding with unknown rule or wrong severity: %+v", f)
		}
		if f.Path != "" {
			if _, ok := to.File(f.Path); !ok {
				t.Fatalf("finding cites %q, not a file of the new version", f.Path)
			}
		}
		if f.Line < 0 || len(f.Snippet) > MaxSnippetBytes+16 {
			t.Fatalf("bad line or snippet: %+v", f)
		}
		if !validText(f.Message) || !validText(f.Snippet) {
			t.Fatalf("message or snippet with control characters or invalid UTF-8: %q %q", f.Message, f.Snippet)
		}
	}
	for r, n := range count {
		if n > MaxFindingsPerRule+1 {
			t.Fatalf("%d findings of %s", n, r)
		}
	}
}

func knownRule(id string) bool {
	for _, r := range Rules() {
		if r.ID == id {
			return true
		}
	}
	return false
}

func validText(s string) bool {
	return strings.ToValidUTF8(s, "") == s && !strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}
