package report_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

func TestCheckRun(t *testing.T) {
	r := incident()
	r.Repository = []finding.Finding{
		{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "unpinned", Path: ".mcp.json", Line: 9, Evidence: "args has no version"},
		{Rule: finding.RuleRemoteServer, Severity: finding.Info, Message: "remote added", Path: "./.vscode/mcp.json", Line: 0},
		{Rule: finding.RuleUnresolvableServer, Severity: finding.Warn, Message: "no path"},
	}
	r.Finalize()
	cr := r.CheckRun()
	if cr.Title != "1 dependency blocked" {
		t.Errorf("title %q", cr.Title)
	}
	if cr.Summary != markdown(t, r) {
		t.Error("summary of a short report is not its Markdown")
	}
	type ann struct {
		path       string
		start, end int
		level      string
		title      string
		messageHas []string
	}
	want := []ann{
		{".mcp.json", 6, 6, "failure", "mcpvet blocks mailpost-mcp 1.0.15 → 1.0.16", []string{
			"mcpvet blocks mailpost-mcp 1.0.15 → 1.0.16 (MCP server):",
			"\n- block: 1 published line of index.js exists in no upstream commit of that file (index.js:136) [source/foreign-lines]",
			"\nCompared with github.com/ExampleMail/mailpost-mcp @ 4ac54ed"}},
		{"package-lock.json", 1234, 1234, "failure", "mcpvet blocks mailpost-mcp 1.0.15 → 1.0.16", nil},
		{"package.json", 12, 12, "warning", "mcpvet warns about @acme/weather-mcp 1.2.0 (added)", []string{"[source/unverified-bundle]"}},
		{".mcp.json", 9, 9, "warning", "mcpvet warns about this line (mcp/unpinned-server)", []string{"unpinned\nargs has no version"}},
		{".vscode/mcp.json", 1, 1, "notice", "mcpvet notes this line (mcp/remote-server)", []string{"remote added"}},
	}
	if len(cr.Annotations) != len(want) {
		t.Fatalf("%d annotations, want %d: %+v", len(cr.Annotations), len(want), cr.Annotations)
	}
	for i, w := range want {
		a := cr.Annotations[i]
		if a.Path != w.path || a.StartLine != w.start || a.EndLine != w.end || a.Level != w.level || a.Title != w.title {
			t.Errorf("annotation %d = %s:%d-%d %s %q, want %s:%d-%d %s %q", i, a.Path, a.StartLine, a.EndLine, a.Level, a.Title, w.path, w.start, w.end, w.level, w.title)
		}
		for _, s := range w.messageHas {
			if !strings.Contains(a.Message, s) {
				t.Errorf("annotation %d message lacks %q:\n%s", i, s, a.Message)
			}
		}
	}
	// The info finding of a blocked package is not a reason.
	if strings.Contains(cr.Annotations[0].Message, "README") && strings.Contains(cr.Annotations[0].Message, "inferred-upstream") {
		t.Error("an info finding is listed as a reason")
	}
}

func TestCheckRunTitles(t *testing.T) {
	tests := []struct {
		name string
		r    report.Report
		want string
	}{
		{"clean", report.Report{Packages: []report.Package{{Name: "p", To: "1"}}}, "1 dependency checked, all match their source"},
		{"nothing", report.Report{}, "no dependency changes to review"},
		{"warn", report.Report{Packages: []report.Package{{Name: "p", To: "1", Findings: []finding.Finding{fd("r", finding.Warn, "w")}}}}, "1 dependency to look at"},
		{"error", report.Report{Errors: []report.Error{{Message: "x"}}}, "could not finish the review (1 error)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.Finalize()
			cr := tt.r.CheckRun()
			if cr.Title != tt.want {
				t.Errorf("title %q, want %q", cr.Title, tt.want)
			}
			if len(cr.Annotations) != 0 {
				t.Errorf("annotations on a report without located findings: %+v", cr.Annotations)
			}
		})
	}
}

// TestCheckRunLimits: titles, summary and messages at their limits and one past them.
func TestCheckRunLimits(t *testing.T) {
	// An annotation title is "mcpvet blocks NAME 1 → 2"; size the name to make it exactly the limit.
	fixed := len("mcpvet blocks  1 → 2")
	for _, n := range []int{report.MaxCheckRunTitle, report.MaxCheckRunTitle + 1} {
		r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: strings.Repeat("n", n-fixed), From: "1", To: "2",
			Locations: []report.Location{{Path: "package.json", Line: 3}},
			Findings:  []finding.Finding{{Rule: finding.RuleForeignLines, Severity: finding.Block, Message: "m"}}}}}
		r.Finalize()
		title := r.CheckRun().Annotations[0].Title
		if len(title) > report.MaxCheckRunTitle || strings.HasSuffix(title, "…") != (n > report.MaxCheckRunTitle) {
			t.Errorf("title of %d bytes became %d bytes (%q…)", n, len(title), title[:20])
		}
	}
	// An annotation message of a repository finding is its message.
	for _, n := range []int{report.MaxAnnotationMessage, report.MaxAnnotationMessage + 1} {
		r := &report.Report{Repository: []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Path: ".mcp.json", Line: 1, Message: strings.Repeat("é", n/2) + strings.Repeat("m", n%2)}}}
		r.Finalize()
		msg := r.CheckRun().Annotations[0].Message
		if len(msg) > report.MaxAnnotationMessage || !utf8.ValidString(msg) || strings.HasSuffix(msg, "…") != (n > report.MaxAnnotationMessage) {
			t.Errorf("message of %d bytes became %d bytes", n, len(msg))
		}
	}
	// A summary over the limit is cut below it, pointing to the JSON report.
	r := big(400)
	cr := r.CheckRun()
	if len(cr.Summary) >= report.MaxCheckRunSummary || len(markdown(t, r)) < report.MaxCheckRunSummary {
		t.Errorf("summary of %d bytes", len(cr.Summary))
	}
	checkMarkdown(t, cr.Summary)
	if !strings.Contains(cr.Summary, "character limit; the JSON report (mcpvet --format json) has everything._\n") {
		t.Error("the cut summary does not say where the rest is")
	}
	if blocked, warned, _ := r.Counts(); len(cr.Annotations) != blocked+warned+len(r.Repository) {
		t.Errorf("%d annotations, want one per location of %d blocked and %d warned packages and %d repository findings", len(cr.Annotations), blocked, warned, len(r.Repository))
	}
}

func TestLineComments(t *testing.T) {
	r := incident()
	r.Repository = []finding.Finding{
		{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "weather-mcp is launched without a version.", Path: ".mcp.json", Line: 9},
		{Rule: finding.RuleRemoteServer, Severity: finding.Info, Message: "info is not a reason", Path: ".mcp.json", Line: 10},
		{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "no line", Path: ".mcp.json"},
	}
	r.Finalize()
	got := r.LineComments()
	want := []report.LineComment{
		{Path: ".mcp.json", Line: 6, Severity: finding.Block, Body: "mcpvet blocks mailpost-mcp 1.0.15 → 1.0.16 here: 1 published line of index.js exists in no upstream commit of that file (index.js:136). Details in the review summary."},
		{Path: ".mcp.json", Line: 9, Severity: finding.Warn, Body: "mcpvet warns about this line: weather-mcp is launched without a version (`mcp/unpinned-server`). Details in the review summary."},
		{Path: "package-lock.json", Line: 1234, Severity: finding.Block, Body: "mcpvet blocks mailpost-mcp 1.0.15 → 1.0.16 here: 1 published line of index.js exists in no upstream commit of that file (index.js:136). Details in the review summary."},
		{Path: "package.json", Line: 12, Severity: finding.Warn, Body: "mcpvet warns about @\u200bacme/weather-mcp 1.2.0 (added) here: dist/vendor.js is a bundle (webpack runtime (\\_\\_webpack\\_require\\_\\_)): its lines cannot be paired with upstream files one by one (dist/vendor.js). Details in the review summary."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LineComments():\n%s\nwant:\n%s", dump(got), dump(want))
	}
}

func dump(cs []report.LineComment) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s:%d %s %q\n", c.Path, c.Line, c.Severity, c.Body)
	}
	return b.String()
}

// TestLineCommentsMerge: packages sharing a line give one comment, the strongest severity, each package
// once; the order is the same on every call.
func TestLineCommentsMerge(t *testing.T) {
	at := []report.Location{{Path: ".mcp.json", Line: 4}, {Path: ".mcp.json", Line: 4}}
	r := &report.Report{Packages: []report.Package{
		{Ecosystem: "npm", Name: "warned", From: "1", To: "2", Locations: at, Findings: []finding.Finding{
			{Rule: finding.RuleFileDiffers, Severity: finding.Warn, Message: "differs", Path: "a.js"},
			{Rule: finding.RuleFileDiffers, Severity: finding.Warn, Message: "differs", Path: "b.js"},
		}},
		{Ecosystem: "npm", Name: "blocked", To: "3", Locations: at, Findings: []finding.Finding{{Rule: finding.RuleManifestScripts, Severity: finding.Block, Message: "adds a postinstall script."}}},
		{Ecosystem: "npm", Name: "clean", To: "1", Locations: at},
	}}
	r.Finalize()
	got := r.LineComments()
	if len(got) != 1 {
		t.Fatalf("%d comments, want 1: %s", len(got), dump(got))
	}
	want := "mcpvet blocks this line:\n- warned 1 → 2 (warn): differs (a.js), and 1 more like it\n- blocked 3 (added) (block): adds a postinstall script\n\nDetails in the review summary."
	if got[0].Severity != finding.Block || got[0].Body != want {
		t.Errorf("comment %s %q, want %q", got[0].Severity, got[0].Body, want)
	}
	if again := r.LineComments(); !reflect.DeepEqual(again, got) {
		t.Error("LineComments is not deterministic")
	}
}

// TestLineCommentLimit: a body of MaxLineComment bytes stays whole; longer ones are cut but keep the
// pointer to the summary; many packages on one line are counted, not listed without end.
func TestLineCommentLimit(t *testing.T) {
	fixed := len("mcpvet warns about this line:  (`mcp/unpinned-server`). Details in the review summary.")
	for _, n := range []int{report.MaxLineComment, report.MaxLineComment + 1, 3 * report.MaxLineComment} {
		r := &report.Report{Repository: []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Path: ".mcp.json", Line: 1,
			Message: strings.Repeat("m", n-fixed)}}}
		r.Finalize()
		body := r.LineComments()[0].Body
		if len(body) > report.MaxLineComment || (len(body) == n) != (n <= report.MaxLineComment) {
			t.Errorf("body of %d bytes became %d", n, len(body))
		}
		if !strings.HasSuffix(body, ". Details in the review summary.") {
			t.Errorf("body of %d bytes lost its pointer: …%s", n, body[len(body)-40:])
		}
	}
	// Escaped text is cut without a dangling escape or half an entity.
	r := &report.Report{Repository: []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Path: ".mcp.json", Line: 1,
		Message: strings.Repeat("&_", report.MaxLineComment)}}}
	r.Finalize()
	body := r.LineComments()[0].Body
	if i := strings.Index(body, "…"); len(body) > report.MaxLineComment || i < 0 || !strings.HasSuffix(body[:i], "&amp;") && !strings.HasSuffix(body[:i], `\_`) {
		t.Errorf("cut escaped text badly: %q", body[max(0, strings.Index(body, "…")-20):])
	}
	// 500 packages on one line.
	r = &report.Report{}
	for i := range 500 {
		r.Packages = append(r.Packages, report.Package{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%d", i), To: "1", Locations: []report.Location{{Path: "package.json", Line: 2}},
			Findings: []finding.Finding{{Rule: finding.RuleForeignLines, Severity: finding.Block, Message: strings.Repeat("long reason ", 10)}}})
	}
	r.Finalize()
	cs := r.LineComments()
	if len(cs) != 1 || len(cs[0].Body) > report.MaxLineComment || !strings.Contains(cs[0].Body, " more\n\nDetails in the review summary.") {
		t.Errorf("500 packages on a line: %d comments, %d bytes", len(cs), len(cs[0].Body))
	}
}

// TestLineCommentsHostile: comments are safe Markdown whatever a package is called or says, and a location
// that is not a clean line of the repository gets no comment.
func TestLineCommentsHostile(t *testing.T) {
	for name, set := range hostileFields {
		t.Run(name, func(t *testing.T) {
			r := incident()
			set(r)
			r.Finalize()
			for _, c := range r.LineComments() {
				checkNoControls(t, c.Body)
				checkNoControls(t, c.Path)
				if strings.Contains(c.Body, "\n") || strings.Contains(c.Body, "<script") || strings.Contains(c.Body, "](https://evil") {
					t.Errorf("comment on %s:%d: %q", c.Path, c.Line, c.Body)
				}
				if strings.Contains(c.Path, "..") || strings.HasPrefix(c.Path, "/") || c.Line < 1 {
					t.Errorf("comment on %s:%d", c.Path, c.Line)
				}
			}
			for _, a := range r.CheckRun().Annotations {
				checkNoControls(t, a.Message)
				checkNoControls(t, a.Title)
				if strings.Contains(a.Title, "\n") || len(a.Title) > report.MaxCheckRunTitle {
					t.Errorf("annotation title %q", a.Title)
				}
			}
		})
	}
}
