package finding_test

import (
	"testing"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

func TestLookupAndNew(t *testing.T) {
	for _, r := range finding.Rules() {
		got, ok := finding.Lookup(r.ID)
		if !ok || got != r {
			t.Errorf("Lookup(%s) = %+v, %v", r.ID, got, ok)
		}
		f := finding.New(r.ID, "msg")
		if f.Rule != r.ID || f.Severity != r.Severity || f.Unverified != r.Unverified || f.Message != "msg" {
			t.Errorf("New(%s) = %+v", r.ID, f)
		}
	}
	if _, ok := finding.Lookup("source/no-such-rule"); ok {
		t.Error("Lookup found an unknown rule")
	}
	if f := finding.New("source/no-such-rule", "m"); f.Severity != "" {
		t.Errorf("New of an unknown rule has severity %q", f.Severity)
	}
}

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in   string
		want finding.Severity
		ok   bool
	}{
		{"block", finding.Block, true}, {" WARN ", finding.Warn, true}, {"Info", finding.Info, true},
		{"off", "", true}, {"error", "", false}, {"", "", false}, {"block\x00", "", false},
	}
	for _, tt := range tests {
		got, err := finding.ParseSeverity(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseSeverity(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestSeverityRank(t *testing.T) {
	if !(finding.Block.Rank() > finding.Warn.Rank() && finding.Warn.Rank() > finding.Info.Rank() && finding.Info.Rank() > finding.Severity("x").Rank()) {
		t.Error("severities are not ranked block > warn > info > unknown")
	}
}
