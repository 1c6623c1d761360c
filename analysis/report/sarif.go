package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// SARIF constants and limits.
const (
	// SARIFSchema is the log's $schema, the one GitHub's documentation names.
	SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"
	// SARIFVersion is the only SARIF version GitHub code scanning accepts.
	SARIFVersion = "2.1.0"
	// SARIFFingerprint is the key of the partialFingerprints value mcpvet computes.
	SARIFFingerprint = "mcpvet/v1"
	// MaxSARIFResults is GitHub code scanning's hard limit on results per run; beyond it the weakest results
	// are left out and a tool notification says how many.
	MaxSARIFResults = 25000
	// MaxSARIFMessage bounds a result's message text, in bytes; longer messages are cut with "…".
	MaxSARIFMessage = 4096
	// RulesHelpURI documents every rule.
	RulesHelpURI = "https://github.com/mcpvet/mcpvet/blob/main/docs/rules.md"
	toolURI      = "https://github.com/mcpvet/mcpvet"
)

// sarifLog is the subset of SARIF 2.1.0 that GitHub code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	rank                int               // severity rank, for keeping the strongest under MaxSARIFResults
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifLevel maps a severity to a SARIF level: block → error, warn → warning, anything else → note.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Block:
		return "error"
	case finding.Warn:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub reads to rank security alerts.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Block:
		return "8.0"
	case finding.Warn:
		return "5.0"
	}
	return "2.0"
}

// SARIF writes r as a SARIF 2.1.0 log that GitHub code scanning accepts: one run; tool.driver with the
// rules of o.Rules (every one given, plus any rule a result names that the catalogue lacks) or, when
// o.Rules is empty, only the rules the results name; one result per block or warn finding and location of
// that package in the reviewed repository (info findings are context, not alerts: they stay in the JSON
// report). A result whose package has no location (mcpvet check reviews no repository) has an empty
// locations array: the log is valid, and GitHub ignores such results. Repository findings are located by
// their own path and line. Errors become tool execution notifications, and executionSuccessful is false.
func SARIF(w io.Writer, r *Report, o WriteOptions) error {
	log := buildSARIF(r, o)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("encode SARIF: %w", err)
	}
	return nil
}

func buildSARIF(r *Report, o WriteOptions) *sarifLog {
	rules := newRuleTable(o.Rules)
	var results []sarifResult
	add := func(f *finding.Finding, p *Package, loc *Location) {
		id := Line(f.Rule)
		if id == "" {
			id = "unknown"
		}
		res := sarifResult{
			RuleID:              id,
			Level:               sarifLevel(f.Severity),
			Message:             sarifText{Text: Cut(sarifMessage(f, p), MaxSARIFMessage)},
			Locations:           []sarifLocation{},
			PartialFingerprints: map[string]string{SARIFFingerprint: fingerprint(f, p, loc)},
			rank:                f.Severity.Rank(),
		}
		res.RuleIndex = rules.index(res.RuleID, f.Severity)
		if loc != nil {
			if uri, ok := repoPath(loc.Path); ok {
				res.Locations = append(res.Locations, sarifLocation{PhysicalLocation: sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: uri},
					Region:           sarifRegion{StartLine: max(loc.Line, 1)},
				}})
			}
		}
		results = append(results, res)
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		for j := range p.Findings {
			f := &p.Findings[j]
			if f.Severity != finding.Block && f.Severity != finding.Warn {
				continue
			}
			if len(p.Locations) == 0 {
				add(f, p, nil)
			}
			for k := range p.Locations {
				add(f, p, &p.Locations[k])
			}
		}
	}
	for i := range r.Repository {
		f := &r.Repository[i]
		if f.Severity != finding.Block && f.Severity != finding.Warn {
			continue
		}
		var loc *Location
		if f.Path != "" {
			loc = &Location{Path: f.Path, Line: f.Line}
		}
		add(f, nil, loc)
	}

	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		msg := e.Message
		if e.Package != "" {
			msg = e.Package + ": " + msg
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarifNotification{Level: "error", Message: sarifText{Text: Cut(Line(msg), MaxSARIFMessage)}})
	}
	if len(results) > MaxSARIFResults {
		sort.SliceStable(results, func(a, b int) bool { return results[a].rank > results[b].rank })
		left := len(results) - MaxSARIFResults
		results = results[:MaxSARIFResults]
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning",
			Message: sarifText{Text: fmt.Sprintf("%d weaker results left out: GitHub code scanning accepts at most %d per run; the JSON report has them all", left, MaxSARIFResults)}})
	}
	if results == nil {
		results = []sarifResult{}
	}
	return &sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "mcpvet", Version: Line(o.ToolVersion), InformationURI: toolURI, Rules: rules.list,
		}},
		Invocations: []sarifInvocation{inv},
		Results:     results,
	}}}
}

// sarifMessage says what is wrong, with which package and versions, where in the published package, and
// against which upstream commit.
func sarifMessage(f *finding.Finding, p *Package) string {
	if p == nil {
		return Line(f.Message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", p.Name, versions(p), strings.TrimSuffix(f.Message, "."))
	var where []string
	if f.Path != "" {
		loc := "published " + f.Path
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		where = append(where, loc)
	}
	if u := p.Upstream; u != nil && u.Repo != "" {
		where = append(where, "upstream "+u.Repo+"@"+ShortCommit(u.Commit))
	} else {
		where = append(where, "no upstream compared")
	}
	fmt.Fprintf(&b, " (%s).", strings.Join(where, "; "))
	return Line(b.String())
}

// fingerprint identifies a result across runs: the rule, the package and version, the place in the
// published package, and the file of the reviewed repository (not its line, which moves as the file is
// edited). Two locations of one finding in different files are two alerts.
func fingerprint(f *finding.Finding, p *Package, loc *Location) string {
	h := sha256.New()
	parts := []string{f.Rule}
	if p != nil {
		parts = append(parts, p.Ecosystem, p.Name, p.To)
	} else {
		parts = append(parts, "", "", "")
	}
	parts = append(parts, f.Path, strconv.Itoa(f.Line))
	if loc != nil {
		parts = append(parts, loc.Path)
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// repoPath turns a path of the reviewed repository into a relative SARIF URI: '/'-separated, no leading
// "./" or "/", percent-encoded. ok is false for paths that are empty, hold control characters or ".."
// segments: those results get no location rather than a wrong one.
func repoPath(p string) (string, bool) {
	p, ok := cleanRepoPath(p)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for _, seg := range strings.Split(p, "/") {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=@", c) >= 0) {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
	}
	return b.String(), true
}

// ruleTable builds tool.driver.rules and answers ruleIndex.
type ruleTable struct {
	list []sarifRule
	at   map[string]int
}

func newRuleTable(catalogue []finding.Rule) *ruleTable {
	t := &ruleTable{list: []sarifRule{}, at: map[string]int{}}
	for _, r := range catalogue {
		if _, dup := t.at[Line(r.ID)]; dup || r.ID == "" {
			continue
		}
		t.add(r)
	}
	return t
}

func (t *ruleTable) add(r finding.Rule) int {
	id := Line(r.ID)
	summary := strings.TrimSpace(Line(r.Summary))
	if summary == "" {
		summary = id
	}
	full := summary + "."
	if r.Severity != "" {
		full += " Default severity: " + string(r.Severity) + "."
	}
	if r.Unverified {
		full += " It says that something could not be verified, not that something was found wrong."
	}
	family, _, _ := strings.Cut(id, "/")
	t.list = append(t.list, sarifRule{
		ID:                   id,
		Name:                 ruleName(id),
		ShortDescription:     sarifText{Text: summary},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifText{Text: full + " See " + RulesHelpURI, Markdown: full + " See [the rules](" + RulesHelpURI + ")."},
		HelpURI:              RulesHelpURI,
		DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
		Properties:           sarifRuleProps{Tags: []string{"security", "supply-chain", family}, SecuritySeverity: securitySeverity(r.Severity)},
	})
	t.at[id] = len(t.list) - 1
	return len(t.list) - 1
}

// index returns the index of rule id, adding it when the catalogue lacks it: from finding.Rules when that
// knows it, else described by its id with the severity of its first result.
func (t *ruleTable) index(id string, sev finding.Severity) int {
	if i, ok := t.at[id]; ok {
		return i
	}
	r, ok := finding.Lookup(id)
	if !ok {
		r = finding.Rule{ID: id, Severity: sev}
	}
	return t.add(r)
}

// ruleName turns "source/foreign-lines" into "SourceForeignLines".
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, c := range id {
		switch {
		case c == '/' || c == '-' || c == '_' || c == '.':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(c)))
			up = false
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
