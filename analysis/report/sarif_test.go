package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

// The SARIF 2.1.0 requirements GitHub code scanning documents ("SARIF support for code scanning" and
// "SARIF results exceed limits"), encoded as checks because the JSON schema cannot be fetched here.
const (
	ghMaxRuns            = 20
	ghMaxResults         = 25000
	ghMaxRules           = 25000
	ghMaxLocations       = 1000
	ghMaxTags            = 20
	ghMaxSecuritySeverty = 10.0
)

var sarifLevels = map[string]bool{"none": true, "note": true, "warning": true, "error": true}

type sarifDoc struct {
	Schema  *string `json:"$schema"`
	Version *string `json:"version"`
	Runs    []struct {
		Tool *struct {
			Driver *struct {
				Name           string `json:"name"`
				Version        *string
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					ShortDescription     *struct{ Text string }
					FullDescription      *struct{ Text string }
					Help                 *struct{ Text, Markdown string }
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration *struct{ Level string }
					Properties           *struct {
						Tags             []string `json:"tags"`
						SecuritySeverity *string  `json:"security-severity"`
					}
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        *bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string
				Message struct{ Text string }
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results *[]struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   *struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations *[]struct {
				PhysicalLocation *struct {
					ArtifactLocation *struct {
						URI       string  `json:"uri"`
						URIBaseID *string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine *int `json:"startLine"`
						EndLine   *int `json:"endLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

// validateSARIF checks data against what GitHub code scanning requires of an upload, and returns it decoded.
func validateSARIF(t *testing.T, data []byte) *sarifDoc {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var doc sarifDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if doc.Schema == nil || *doc.Schema != "https://json.schemastore.org/sarif-2.1.0.json" {
		t.Errorf("$schema %v", doc.Schema)
	}
	if doc.Version == nil || *doc.Version != "2.1.0" {
		t.Errorf("version %v, want 2.1.0", doc.Version)
	}
	if len(doc.Runs) != 1 || len(doc.Runs) > ghMaxRuns {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	if run.Tool == nil || run.Tool.Driver == nil || run.Tool.Driver.Name == "" {
		t.Fatal("tool.driver.name is required")
	}
	d := run.Tool.Driver
	if u, err := url.Parse(d.InformationURI); err != nil || u.Scheme != "https" {
		t.Errorf("informationUri %q", d.InformationURI)
	}
	if len(d.Rules) > ghMaxRules {
		t.Errorf("%d rules", len(d.Rules))
	}
	ids := map[string]bool{}
	for i, r := range d.Rules {
		if r.ID == "" || ids[r.ID] {
			t.Errorf("rule %d: id %q empty or repeated", i, r.ID)
		}
		ids[r.ID] = true
		if r.Name == "" {
			t.Errorf("rule %s: no name", r.ID)
		}
		if r.ShortDescription == nil || r.ShortDescription.Text == "" || r.FullDescription == nil || r.FullDescription.Text == "" {
			t.Errorf("rule %s: shortDescription.text and fullDescription.text are required", r.ID)
		}
		if r.Help == nil || r.Help.Text == "" {
			t.Errorf("rule %s: help.text is required", r.ID)
		}
		if u, err := url.Parse(r.HelpURI); err != nil || u.Scheme != "https" {
			t.Errorf("rule %s: helpUri %q", r.ID, r.HelpURI)
		}
		if r.DefaultConfiguration == nil || !sarifLevels[r.DefaultConfiguration.Level] {
			t.Errorf("rule %s: defaultConfiguration.level %v", r.ID, r.DefaultConfiguration)
		}
		if r.Properties != nil {
			if len(r.Properties.Tags) > ghMaxTags {
				t.Errorf("rule %s: %d tags", r.ID, len(r.Properties.Tags))
			}
			if s := r.Properties.SecuritySeverity; s != nil {
				if v, err := strconv.ParseFloat(*s, 64); err != nil || v < 0 || v > ghMaxSecuritySeverty {
					t.Errorf("rule %s: security-severity %q", r.ID, *s)
				}
			}
		}
	}
	if run.Results == nil {
		t.Fatal("results is required")
	}
	if len(*run.Results) > ghMaxResults {
		t.Errorf("%d results", len(*run.Results))
	}
	for i, res := range *run.Results {
		if res.RuleID == "" || !ids[res.RuleID] {
			t.Errorf("result %d: ruleId %q is not a rule of the driver", i, res.RuleID)
		}
		if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(d.Rules) || d.Rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %v does not point to %s", i, res.RuleIndex, res.RuleID)
		}
		if !sarifLevels[res.Level] {
			t.Errorf("result %d: level %q", i, res.Level)
		}
		if res.Message == nil || res.Message.Text == "" {
			t.Errorf("result %d: message.text is required", i)
		}
		if res.Locations == nil {
			t.Errorf("result %d: locations is required", i)
		} else if len(*res.Locations) > ghMaxLocations {
			t.Errorf("result %d: %d locations", i, len(*res.Locations))
		} else {
			for _, l := range *res.Locations {
				if l.PhysicalLocation == nil || l.PhysicalLocation.ArtifactLocation == nil || l.PhysicalLocation.Region == nil {
					t.Errorf("result %d: physicalLocation.artifactLocation and region are required", i)
					continue
				}
				checkURI(t, l.PhysicalLocation.ArtifactLocation.URI)
				if l.PhysicalLocation.ArtifactLocation.URIBaseID != nil {
					t.Errorf("result %d: uriBaseId set", i)
				}
				r := l.PhysicalLocation.Region
				if r.StartLine == nil || *r.StartLine < 1 {
					t.Errorf("result %d: region.startLine %v, want ≥ 1", i, r.StartLine)
				}
				if r.EndLine != nil && r.StartLine != nil && *r.EndLine < *r.StartLine {
					t.Errorf("result %d: endLine before startLine", i)
				}
			}
		}
		if len(res.PartialFingerprints) == 0 {
			t.Errorf("result %d: no partialFingerprints", i)
		}
		for k, v := range res.PartialFingerprints {
			if k == "" || v == "" {
				t.Errorf("result %d: empty fingerprint %q: %q", i, k, v)
			}
		}
	}
	for _, inv := range run.Invocations {
		if inv.ExecutionSuccessful == nil {
			t.Error("invocation without executionSuccessful")
		}
		for _, n := range inv.ToolExecutionNotifications {
			if !sarifLevels[n.Level] || n.Message.Text == "" {
				t.Errorf("notification %+v", n)
			}
		}
	}
	// No string of the log holds a control character: decode it generically and walk it.
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	walkStrings(generic, func(s string) { checkNoControls(t, s) })
	return &doc
}

// checkURI: a location is a relative URI reference to a file of the reviewed repository.
func checkURI(t *testing.T, uri string) {
	t.Helper()
	u, err := url.Parse(uri)
	switch {
	case uri == "" || err != nil:
		t.Errorf("uri %q: %v", uri, err)
	case u.IsAbs() || u.Host != "" || u.Scheme != "":
		t.Errorf("uri %q is not relative", uri)
	case strings.HasPrefix(uri, "/") || strings.HasPrefix(uri, "./") || strings.Contains(uri, "\\"):
		t.Errorf("uri %q: leading / or ./, or a backslash", uri)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(uri, "?# "):
		t.Errorf("uri %q: query, fragment or space", uri)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." || seg == "." || seg == "" {
			t.Errorf("uri %q: segment %q", uri, seg)
		}
	}
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, c := range v {
			walkStrings(c, f)
		}
	case map[string]any:
		for k, c := range v {
			f(k)
			walkStrings(c, f)
		}
	}
}

func sarif(t *testing.T, r *report.Report, o report.WriteOptions) (*sarifDoc, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := report.SARIF(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return validateSARIF(t, buf.Bytes()), buf.Bytes()
}

func TestSARIFGolden(t *testing.T) {
	r := incident()
	r.Repository = []finding.Finding{
		{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Message: "weather-mcp is launched without a version", Path: ".mcp.json", Line: 9},
		{Rule: finding.RuleRemoteServer, Severity: finding.Info, Message: "a remote server was added", Path: ".mcp.json", Line: 14},
	}
	r.Finalize()
	doc, data := sarif(t, r, report.WriteOptions{ToolVersion: "1.2.3"})
	golden(t, "blocked.sarif", data)
	run := doc.Runs[0]
	if v := run.Tool.Driver.Version; v == nil || *v != "1.2.3" {
		t.Errorf("driver version %v", v)
	}
	// Only the rules the results name, when no catalogue is given.
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	if want := "source/foreign-lines source/unverified-bundle mcp/unpinned-server"; strings.Join(ids, " ") != want {
		t.Errorf("rules %v, want %s", ids, want)
	}
	results := *run.Results
	// mailpost-mcp: 1 block finding × 2 locations; weather: 1 warn × 1; left-pad: none; the repository:
	// the warning (not the info).
	if len(results) != 4 {
		t.Fatalf("%d results, want 4", len(results))
	}
	first := results[0]
	loc := (*first.Locations)[0].PhysicalLocation
	if first.RuleID != "source/foreign-lines" || first.Level != "error" || loc.ArtifactLocation.URI != ".mcp.json" || *loc.Region.StartLine != 6 {
		t.Errorf("first result: %s %s %s:%d", first.RuleID, first.Level, loc.ArtifactLocation.URI, *loc.Region.StartLine)
	}
	for _, want := range []string{"mailpost-mcp 1.0.15 → 1.0.16", "published index.js:136", "upstream github.com/ExampleMail/mailpost-mcp@4ac54ed"} {
		if !strings.Contains(first.Message.Text, want) {
			t.Errorf("message %q lacks %q", first.Message.Text, want)
		}
	}
	if results[2].Level != "warning" || !strings.Contains(results[2].Message.Text, "@acme/weather-mcp 1.2.0 (added)") {
		t.Errorf("third result: %s %q", results[2].Level, results[2].Message.Text)
	}
	if l := (*results[3].Locations)[0].PhysicalLocation; results[3].RuleID != finding.RuleUnpinnedServer || l.ArtifactLocation.URI != ".mcp.json" || *l.Region.StartLine != 9 {
		t.Errorf("repository result %+v", results[3])
	}
	if !*run.Invocations[0].ExecutionSuccessful {
		t.Error("executionSuccessful false without errors")
	}
}

func TestSARIFRulesCatalogue(t *testing.T) {
	r := incident()
	r.Packages[1].Findings = append(r.Packages[1].Findings, finding.Finding{Rule: "scorecard/not-in-catalogue", Severity: finding.Warn, Message: "m"})
	r.Finalize()
	catalogue := append(finding.Rules(), finding.Rules()[0]) // a repeated rule is listed once
	doc, _ := sarif(t, r, report.WriteOptions{Rules: catalogue})
	rules := doc.Runs[0].Tool.Driver.Rules
	if len(rules) != len(finding.Rules())+1 {
		t.Fatalf("%d rules, want the %d given and the one missing", len(rules), len(finding.Rules()))
	}
	for i, want := range finding.Rules() {
		r := rules[i]
		if r.ID != want.ID || r.ShortDescription.Text != want.Summary {
			t.Errorf("rule %d: %s %q, want %s %q", i, r.ID, r.ShortDescription.Text, want.ID, want.Summary)
		}
		level := map[finding.Severity]string{finding.Block: "error", finding.Warn: "warning", finding.Info: "note"}[want.Severity]
		if r.DefaultConfiguration.Level != level {
			t.Errorf("rule %s: level %s, want %s", r.ID, r.DefaultConfiguration.Level, level)
		}
		if r.HelpURI != "https://github.com/mcpvet/mcpvet/blob/main/docs/rules.md" {
			t.Errorf("rule %s: helpUri %s", r.ID, r.HelpURI)
		}
	}
	if last := rules[len(rules)-1]; last.ID != "scorecard/not-in-catalogue" || last.Name != "ScorecardNotInCatalogue" || last.DefaultConfiguration.Level != "warning" {
		t.Errorf("synthesised rule %+v", last)
	}
	if rules[0].Name != "SourceForeignLines" {
		t.Errorf("rule name %q", rules[0].Name)
	}
}

// TestSARIFWithoutLocations: mcpvet check reviews no repository: results have no location (GitHub ignores
// them), and the log stays valid.
func TestSARIFWithoutLocations(t *testing.T) {
	r := incident()
	for i := range r.Packages {
		r.Packages[i].Locations = nil
	}
	r.Errors = []report.Error{{Package: "ghost-mcp@1.0.0", Message: "registry unreachable"}}
	r.Finalize()
	doc, _ := sarif(t, r, report.WriteOptions{})
	run := doc.Runs[0]
	if len(*run.Results) != 2 {
		t.Fatalf("%d results, want 2", len(*run.Results))
	}
	for _, res := range *run.Results {
		if len(*res.Locations) != 0 {
			t.Errorf("a result has locations: %+v", res.Locations)
		}
	}
	inv := run.Invocations[0]
	if *inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 || inv.ToolExecutionNotifications[0].Message.Text != "ghost-mcp@1.0.0: registry unreachable" {
		t.Errorf("invocation %+v", inv)
	}
}

func TestSARIFPaths(t *testing.T) {
	tests := []struct{ path, want string }{ // want "" = no location
		{"package-lock.json", "package-lock.json"},
		{"./apps/web/package.json", "apps/web/package.json"},
		{"/abs/.mcp.json", "abs/.mcp.json"},
		{`win\dir\package.json`, "win/dir/package.json"},
		{"dir with space/x:y#z?.json", "dir%20with%20space/x%3Ay%23z%3F.json"},
		{"ünï/package.json", "%C3%BCn%C3%AF/package.json"},
		{"../outside/package.json", ""},
		{"a/../../b", ""},
		{"a//b", ""},
		{"", ""},
		{"evil\x1b[2J.json", ""},
		{"bidi\u202e.json", ""},
		{"new\nline.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "p", To: "1.0.0",
				Locations: []report.Location{{Path: tt.path, Line: 0}},
				Findings:  []finding.Finding{{Rule: finding.RuleForeignLines, Severity: finding.Block, Message: "m"}}}}}
			r.Finalize()
			doc, _ := sarif(t, r, report.WriteOptions{})
			locs := *(*doc.Runs[0].Results)[0].Locations
			switch {
			case tt.want == "" && len(locs) != 0:
				t.Errorf("location %q, want none", locs[0].PhysicalLocation.ArtifactLocation.URI)
			case tt.want != "" && (len(locs) != 1 || locs[0].PhysicalLocation.ArtifactLocation.URI != tt.want):
				t.Errorf("locations %+v, want %s", locs, tt.want)
			case tt.want != "" && *locs[0].PhysicalLocation.Region.StartLine != 1:
				t.Errorf("line 0 became %d, want 1", *locs[0].PhysicalLocation.Region.StartLine)
			}
		})
	}
}

// TestSARIFFingerprints: stable across runs, the same for a moved line, different for another version,
// another file of the reviewed repository, or another place in the published package.
func TestSARIFFingerprints(t *testing.T) {
	fp := func(mutate func(r *report.Report)) []string {
		r := incident()
		if mutate != nil {
			mutate(r)
		}
		r.Finalize()
		doc, _ := sarif(t, r, report.WriteOptions{})
		var out []string
		for _, res := range *doc.Runs[0].Results {
			out = append(out, res.PartialFingerprints["mcpvet/v1"])
		}
		return out
	}
	base := fp(nil)
	if base[0] == base[1] {
		t.Error("two files of the reviewed repository share a fingerprint")
	}
	if again := fp(nil); strings.Join(again, ",") != strings.Join(base, ",") {
		t.Error("fingerprints differ between identical runs")
	}
	if moved := fp(func(r *report.Report) { r.Packages[0].Locations[0].Line = 99 }); moved[0] != base[0] {
		t.Error("a moved manifest line changed the fingerprint")
	}
	for name, mutate := range map[string]func(r *report.Report){
		"version":         func(r *report.Report) { r.Packages[0].To = "1.0.17" },
		"published line":  func(r *report.Report) { r.Packages[0].Findings[0].Line = 137 },
		"published path":  func(r *report.Report) { r.Packages[0].Findings[0].Path = "lib.js" },
		"repository file": func(r *report.Report) { r.Packages[0].Locations[0].Path = "other/.mcp.json" },
	} {
		if got := fp(mutate); got[0] == base[0] {
			t.Errorf("another %s kept the fingerprint", name)
		}
	}
}

// TestSARIFMaxResults: at MaxSARIFResults every result stays; one more leaves out the weakest and says so.
func TestSARIFMaxResults(t *testing.T) {
	for _, n := range []int{report.MaxSARIFResults, report.MaxSARIFResults + 1} {
		p := report.Package{Ecosystem: "npm", Name: "p", To: "1.0.0"}
		for i := range n - 1 {
			p.Findings = append(p.Findings, finding.Finding{Rule: finding.RuleFileDiffers, Severity: finding.Warn, Path: fmt.Sprintf("f%d.js", i), Message: "differs"})
		}
		p.Findings = append(p.Findings, finding.Finding{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "index.js", Message: "foreign"})
		r := &report.Report{Packages: []report.Package{p}}
		r.Finalize()
		// Decoded lightly: validating 25,000 results is what the other tests do for a few.
		var buf bytes.Buffer
		if err := report.SARIF(&buf, r, report.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Runs []struct {
				Results     []struct{ Level string }
				Invocations []struct {
					ToolExecutionNotifications []struct{ Message struct{ Text string } }
				}
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		results := doc.Runs[0].Results
		notes := doc.Runs[0].Invocations[0].ToolExecutionNotifications
		if len(results) != report.MaxSARIFResults {
			t.Errorf("%d findings: %d results, want %d", n, len(results), report.MaxSARIFResults)
		}
		if results[0].Level != "error" {
			t.Errorf("%d findings: the blocking result was left out", n)
		}
		over := n > report.MaxSARIFResults
		if (len(notes) == 1) != over || over && !strings.Contains(notes[0].Message.Text, "1 weaker results left out") {
			t.Errorf("%d findings: notifications %+v", n, notes)
		}
	}
}

// TestSARIFMaxMessage: a message of MaxSARIFMessage bytes stays whole; one byte more is cut with "…".
func TestSARIFMaxMessage(t *testing.T) {
	for _, n := range []int{report.MaxSARIFMessage, report.MaxSARIFMessage + 1} {
		r := &report.Report{Repository: []finding.Finding{{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Path: ".mcp.json", Line: 1,
			Message: strings.Repeat("m", n)}}}
		r.Finalize()
		doc, _ := sarif(t, r, report.WriteOptions{})
		got := (*doc.Runs[0].Results)[0].Message.Text
		if len(got) > report.MaxSARIFMessage {
			t.Errorf("%d bytes: message of %d bytes", n, len(got))
		}
		if cut := strings.HasSuffix(got, "…"); cut != (n > report.MaxSARIFMessage) {
			t.Errorf("%d bytes: cut %v", n, cut)
		}
	}
}

// TestSARIFHostile: hostile text anywhere leaves a valid log (validateSARIF checks controls too).
func TestSARIFHostile(t *testing.T) {
	for name, set := range hostileFields {
		t.Run(name, func(t *testing.T) {
			r := incident()
			set(r)
			r.Finalize()
			sarif(t, r, report.WriteOptions{Rules: []finding.Rule{{ID: hostile, Summary: hostile}}, ToolVersion: hostile})
		})
	}
}
