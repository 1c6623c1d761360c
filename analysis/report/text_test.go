package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

// sgr matches the colour sequences the text form may write, and nothing else.
var sgr = regexp.MustCompile(`\x1b\[(?:1;31|1;33|1;32|36|0)m`)

func render(t *testing.T, r *report.Report, f report.Format, o report.WriteOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteWith(&buf, r, f, o); err != nil {
		t.Fatalf("WriteWith(%s): %v", f, err)
	}
	return buf.String()
}

func TestTextColor(t *testing.T) {
	r := incident()
	r.Repository = []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "unpinned", Path: ".mcp.json", Line: 3}}
	r.Errors = []report.Error{{Package: "ghost-mcp", Message: "registry unreachable"}}
	r.Finalize()
	plain := render(t, r, report.FormatText, report.WriteOptions{})
	colored := render(t, r, report.FormatText, report.WriteOptions{Color: true})
	if strings.Contains(plain, "\x1b") {
		t.Error("text without Color has an escape sequence")
	}
	// Colour adds sequences and nothing else: the columns stay where they were.
	if got := sgr.ReplaceAllString(colored, ""); got != plain {
		t.Errorf("coloured text minus its colour differs from plain text:\n%s\n---\n%s", got, plain)
	}
	for _, want := range []string{
		"\x1b[1;31mmcpvet — 1 dependency blocked\x1b[0m\n", // the headline, in the overall verdict's colour
		"\n\x1b[1;31mBLOCK\x1b[0m mailpost-mcp",
		"\n\x1b[1;33mWARN \x1b[0m @acme/weather-mcp",
		"\n\x1b[1;32mPASS \x1b[0m left-pad",
		"\n  \x1b[1;31mblock\x1b[0m source/foreign-lines",
		"\n  \x1b[1;33mwarn \x1b[0m source/unverified-bundle",
		"\n\x1b[1;33mwarn \x1b[0m mcp/unpinned-server",
		"\n\x1b[1;31merrors:\x1b[0m\n",
	} {
		if !strings.Contains(colored, want) {
			t.Errorf("coloured text lacks %q", want)
		}
	}
}

// TestColorNeverLeaks: Color only touches the text form, and no form carries an escape from package data.
func TestColorNeverLeaks(t *testing.T) {
	for name, set := range hostileFields {
		t.Run(name, func(t *testing.T) {
			r := incident()
			set(r)
			r.Finalize()
			o := report.WriteOptions{Color: true, Rules: finding.Rules(), ToolVersion: "1.0.0"}
			for _, f := range []report.Format{report.FormatMarkdown, report.FormatJSON, report.FormatSARIF} {
				if out := render(t, r, f, o); strings.ContainsAny(out, "\x1b\u009b") {
					t.Errorf("%s output has an escape character", f)
				}
			}
			out := sgr.ReplaceAllString(render(t, r, report.FormatText, o), "")
			checkNoControls(t, out)
		})
	}
}
