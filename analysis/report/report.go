// Package report holds the engine's result — one Report per run — and renders it: terminal text (colour on
// request), Markdown (the review body, cut under GitHub's limit with a stated truncation), JSON, SARIF 2.1.0
// for GitHub code scanning, check-run output (title, summary, annotations) and the line comments of a
// review. The JSON form is the documented contract (schema "mcpvet/report/v1", DESIGN.md §4); the other
// forms are readers of the same data and know nothing about how a finding was made, nor about GitHub's API:
// app/ and action/ send what these functions return.
//
// Everything in a Report may come from a hostile package or repository: the text, Markdown, SARIF and GitHub
// forms replace control and bidi characters (Clean), Markdown also escapes markup, HTML, entities and
// @-mentions, and every size GitHub limits is bounded by a named constant. JSON carries the data unchanged
// (encoding/json escapes control characters).
//
// It imports only analysis/finding; it must not import the engine's other packages, app/ or action/.
package report

import (
	"sort"
	"strconv"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Schema is the version tag of the JSON report.
const Schema = "mcpvet/report/v1"

// Verdict is the outcome for one package or for the whole report.
type Verdict string

// Verdicts.
const (
	Block Verdict = "block"
	Warn  Verdict = "warn"
	Pass  Verdict = "pass"
)

// Exit codes of the CLI and the Action step (DESIGN.md §4).
const (
	ExitPass       = 0 // no blocking finding
	ExitBlock      = 1 // at least one blocking finding
	ExitUsage      = 2 // usage or configuration error
	ExitIncomplete = 3 // could not reach a verdict
)

// Report is everything one run found.
type Report struct {
	Schema   string    `json:"schema"`
	Verdict  Verdict   `json:"verdict"`
	Packages []Package `json:"packages"`
	// Repository holds findings about the reviewed repository rather than one package (an MCP server whose
	// package cannot be named); their path and line point into the reviewed repository.
	Repository []finding.Finding `json:"repository_findings,omitempty"`
	Errors     []Error           `json:"errors"`
}

// Error is a failure that kept part of the review from being done.
type Error struct {
	Package string `json:"package,omitempty"`
	Message string `json:"message"`
}

// Package is the review of one dependency change.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	From      string `json:"from"`
	To        string `json:"to"`
	MCP       bool   `json:"mcp"`
	// Change says how the pull request changes the dependency (added, bumped, downgraded, changed), whether
	// the project declares it (direct) and whether only development needs it; empty for `mcpvet check`.
	Change    string            `json:"change,omitempty"`
	Direct    bool              `json:"direct,omitempty"`
	Dev       bool              `json:"dev,omitempty"`
	Verdict   Verdict           `json:"verdict"`
	Locations []Location        `json:"locations"`
	Upstream  *Upstream         `json:"upstream"`
	Files     *FileStats        `json:"files,omitempty"`
	Findings  []finding.Finding `json:"findings"`
}

// Location is a place in the reviewed repository where the change appears.
type Location struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

// Upstream says what the published package was compared against.
type Upstream struct {
	// Repo is host/owner/name, e.g. "github.com/ActiveCampaign/postmark-mcp".
	Repo      string `json:"repo"`
	Directory string `json:"directory"`
	Commit    string `json:"commit"`
	// ResolvedBy says how Commit was chosen: "gitHead", "tag v1.2.3", "package.json version", "tree match".
	ResolvedBy string `json:"resolved_by"`
	// Verified is true only when provenance binds the tarball to this repository.
	Verified bool `json:"verified"`
	// Claim says where the repository came from: "repository" (claimed by the package) or how it was
	// inferred ("homepage", "bugs.url", "README").
	Claim        string   `json:"claim"`
	FilesMatched int      `json:"files_matched"`
	FilesTotal   int      `json:"files_total"`
	Notes        []string `json:"notes,omitempty"`
}

// FileStats counts how the published files were accounted for.
type FileStats struct {
	Total          int `json:"total"`
	Identical      int `json:"identical"`
	OtherVersion   int `json:"other_version"`
	Built          int `json:"built"`
	Different      int `json:"different"`
	AbsentUpstream int `json:"absent_upstream"`
}

// Finalize sets the schema, every package's verdict and the overall verdict, and sorts findings so the
// strongest come first. Call it once the packages are complete.
func (r *Report) Finalize() {
	r.Schema = Schema
	if r.Packages == nil {
		r.Packages = []Package{}
	}
	if r.Errors == nil {
		r.Errors = []Error{}
	}
	r.Verdict = Pass
	for i := range r.Packages {
		p := &r.Packages[i]
		if p.Locations == nil {
			p.Locations = []Location{}
		}
		if p.Findings == nil {
			p.Findings = []finding.Finding{}
		}
		sort.SliceStable(p.Findings, func(a, b int) bool {
			fa, fb := p.Findings[a], p.Findings[b]
			if fa.Severity.Rank() != fb.Severity.Rank() {
				return fa.Severity.Rank() > fb.Severity.Rank()
			}
			return familyRank(fa.Rule) < familyRank(fb.Rule)
		})
		p.Verdict = verdictOf(p.Findings)
		r.Verdict = stronger(r.Verdict, p.Verdict)
	}
	r.Verdict = stronger(r.Verdict, verdictOf(r.Repository))
	if len(r.Errors) > 0 {
		r.Verdict = stronger(r.Verdict, Block)
	}
}

// families orders findings of equal severity: what the source comparison proves first, then what the
// registry says, then what changed, then the rest.
var families = []string{"source/", "publish/", "diff/", "mcp/", "repo/", "scorecard/"}

func familyRank(rule string) int {
	for i, f := range families {
		if strings.HasPrefix(rule, f) {
			return i
		}
	}
	return len(families)
}

func verdictOf(fs []finding.Finding) Verdict {
	v := Pass
	for _, f := range fs {
		switch f.Severity {
		case finding.Block:
			return Block
		case finding.Warn:
			v = Warn
		}
	}
	return v
}

func stronger(a, b Verdict) Verdict {
	rank := map[Verdict]int{Pass: 0, Warn: 1, Block: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// ExitCode maps the report to the CLI contract: 1 when a blocking finding shows something wrong, 3 when the
// only blocking findings say that something could not be verified (or an error kept a package from being
// reviewed), 0 otherwise.
func (r *Report) ExitCode() int {
	incomplete := len(r.Errors) > 0
	all := [][]finding.Finding{r.Repository}
	for _, p := range r.Packages {
		all = append(all, p.Findings)
	}
	for _, fs := range all {
		for _, f := range fs {
			if f.Severity != finding.Block {
				continue
			}
			if !f.Unverified {
				return ExitBlock
			}
			incomplete = true
		}
	}
	if incomplete {
		return ExitIncomplete
	}
	return ExitPass
}

// Counts returns how many packages got each verdict.
func (r *Report) Counts() (block, warn, pass int) {
	for _, p := range r.Packages {
		switch p.Verdict {
		case Block:
			block++
		case Warn:
			warn++
		default:
			pass++
		}
	}
	return
}

// Why is the one-line reason for a package's verdict: its strongest finding's message.
func (p *Package) Why() string {
	if len(p.Findings) == 0 || p.Verdict == Pass {
		return "published files match the upstream source"
	}
	n := 0
	for _, f := range p.Findings {
		if f.Severity == p.Findings[0].Severity && f.Rule == p.Findings[0].Rule {
			n++
		}
	}
	msg := p.Findings[0].Message
	if n > 1 {
		msg += " (and " + strconv.Itoa(n-1) + " more like it)"
	}
	return msg
}
