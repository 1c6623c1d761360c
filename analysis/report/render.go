package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Format names an output form.
type Format string

// Output forms.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
	// FormatSARIF is SARIF 2.1.0 as GitHub code scanning accepts it (see SARIF).
	FormatSARIF Format = "sarif"
)

// ParseFormat accepts "text", "json", "markdown" (or "md") and "sarif".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "text", "":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	case "markdown", "md":
		return FormatMarkdown, nil
	case "sarif":
		return FormatSARIF, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, markdown or sarif)", Line(s))
}

// WriteOptions tunes Write; the zero value is what Write does.
type WriteOptions struct {
	// Color turns on ANSI colour in the text form. Callers pass true only when the output is a terminal
	// (and NO_COLOR is unset); no other form ever holds an escape sequence.
	Color bool
	// Rules is the rule catalogue (analysis/rules.All), for SARIF's tool.driver.rules. The report package
	// cannot import analysis/rules (import cycle), so the caller passes it. When empty, SARIF describes only
	// the rules its results name, from finding.Rules where it knows them.
	Rules []finding.Rule
	// ToolVersion is mcpvet's version, for SARIF's tool.driver.version (omitted when empty).
	ToolVersion string
}

// Write renders r in format f with the zero WriteOptions.
func Write(w io.Writer, r *Report, f Format) error {
	return WriteWith(w, r, f, WriteOptions{})
}

// WriteWith renders r in format f. The Markdown form is complete (not cut to GitHub's limit: see
// MarkdownString for a review body).
func WriteWith(w io.Writer, r *Report, f Format, o WriteOptions) error {
	switch f {
	case FormatJSON:
		return JSON(w, r)
	case FormatMarkdown:
		return Markdown(w, r)
	case FormatSARIF:
		return SARIF(w, r, o)
	default:
		return text(w, r, palette(o.Color))
	}
}

// JSON writes the contract form: indented, one object, trailing newline.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// Headline is the one-line summary of a report, e.g. "mcpvet — 1 dependency blocked". Blocked packages come
// first, then blocking repository findings, errors, packages to look at and repository warnings.
func (r *Report) Headline() string {
	b, w, p := r.Counts()
	rb, rw := 0, 0
	for _, f := range r.Repository {
		switch f.Severity {
		case finding.Block:
			rb++
		case finding.Warn:
			rw++
		}
	}
	switch {
	case b > 0:
		return fmt.Sprintf("mcpvet — %d %s blocked", b, plural(b, "dependency", "dependencies"))
	case rb > 0:
		return fmt.Sprintf("mcpvet — %d %s about the repository %s this change", rb, plural(rb, "finding", "findings"), plural(rb, "blocks", "block"))
	case len(r.Errors) > 0:
		return fmt.Sprintf("mcpvet — could not finish the review (%d %s)", len(r.Errors), plural(len(r.Errors), "error", "errors"))
	case w > 0:
		return fmt.Sprintf("mcpvet — %d %s to look at", w, plural(w, "dependency", "dependencies"))
	case rw > 0:
		return fmt.Sprintf("mcpvet — %d %s about the repository to look at", rw, plural(rw, "finding", "findings"))
	case len(r.Packages) == 0:
		return "mcpvet — no dependency changes to review"
	default:
		return fmt.Sprintf("mcpvet — %d %s checked, all match their source", p, plural(p, "dependency", "dependencies"))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func change(p *Package) string {
	if p.From == "" {
		return "added " + p.To
	}
	return p.From + " → " + p.To
}

// versions names a package change in running text: "1.0.15 → 1.0.16" or "1.2.0 (added)".
func versions(p *Package) string {
	if p.From == "" {
		return p.To + " (added)"
	}
	return p.From + " → " + p.To
}

// comparedWith describes the upstream in one sentence a reviewer can check.
func comparedWith(u *Upstream) string {
	if u == nil {
		return "No upstream repository was compared."
	}
	return "Compared with " + u.Repo + upstreamFolder(u) + " @ " + ShortCommit(u.Commit) + upstreamHow(u)
}

func upstreamFolder(u *Upstream) string {
	if u.Directory == "" {
		return ""
	}
	return " (folder " + u.Directory + ")"
}

// upstreamHow is the end of the comparedWith sentence: how the repository and commit were found, and
// whether provenance verified them.
func upstreamHow(u *Upstream) string {
	var how []string
	switch u.Claim {
	case "repository", "":
		how = append(how, "claimed in package.json")
	default:
		how = append(how, "inferred from the "+u.Claim)
	}
	if u.ResolvedBy != "" {
		how = append(how, fmt.Sprintf("resolved by %s: %d of %d files identical", u.ResolvedBy, u.FilesMatched, u.FilesTotal))
	}
	s := " (" + strings.Join(how, "; ") + ")."
	if u.Verified {
		return s + " Provenance verified."
	}
	return s + " Not verified by provenance: the repository is a claim."
}

// ShortCommit abbreviates a commit id the way reports show it (7 hex digits).
func ShortCommit(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func where(f *finding.Finding) string {
	switch {
	case f.Path != "" && f.Line > 0:
		return fmt.Sprintf("%s:%d", f.Path, f.Line)
	case f.Path != "":
		return f.Path
	}
	return ""
}

// Text writes the terminal form, without colour.
func Text(w io.Writer, r *Report) error {
	return text(w, r, palette(false))
}

// colors holds the ANSI sequences of the text form; all empty without colour.
type colors struct {
	block, warn, pass, info, reset string
}

func palette(on bool) colors {
	if !on {
		return colors{}
	}
	return colors{block: "\x1b[1;31m", warn: "\x1b[1;33m", pass: "\x1b[1;32m", info: "\x1b[36m", reset: "\x1b[0m"}
}

// paint wraps s (already padded: the sequences take no columns) in the colour of sev.
func (c colors) paint(sev finding.Severity, s string) string {
	var on string
	switch sev {
	case finding.Block:
		on = c.block
	case finding.Warn:
		on = c.warn
	case finding.Info:
		on = c.info
	case finding.Severity(Pass):
		on = c.pass
	}
	if on == "" {
		return s
	}
	return on + s + c.reset
}

// verdictSeverity maps a verdict to the severity whose colour it takes.
func verdictSeverity(v Verdict) finding.Severity {
	if v == Pass {
		return finding.Severity(Pass)
	}
	return finding.Severity(v)
}

func text(w io.Writer, r *Report, c colors) error {
	ew := &errWriter{w: w}
	ew.printf("%s\n", c.paint(verdictSeverity(r.Verdict), r.Headline()))
	for i := range r.Packages {
		p := &r.Packages[i]
		word := c.paint(verdictSeverity(p.Verdict), fmt.Sprintf("%-5s", strings.ToUpper(string(p.Verdict))))
		ew.printf("\n%s %s %s%s\n", word, Line(p.Name), Line(change(p)), mcpTag(p))
		ew.printf("  %s\n", Line(p.Why()))
		ew.printf("  %s\n", Line(comparedWith(p.Upstream)))
		if p.Upstream != nil {
			for _, n := range p.Upstream.Notes {
				ew.printf("  note: %s\n", Line(n))
			}
		}
		if s := p.Files; s != nil {
			ew.printf("  %d published files: %d identical, %d another upstream version, %d built from source, %d different, %d absent upstream\n",
				s.Total, s.Identical, s.OtherVersion, s.Built, s.Different, s.AbsentUpstream)
		}
		for _, l := range p.Locations {
			ew.printf("  in %s:%d\n", Line(l.Path), l.Line)
		}
		for j := range p.Findings {
			f := &p.Findings[j]
			ew.printf("\n  %s %s", c.paint(f.Severity, fmt.Sprintf("%-5s", Line(string(f.Severity)))), Line(f.Rule))
			if loc := where(f); loc != "" {
				ew.printf("  %s", Line(loc))
			}
			ew.printf("\n    %s\n", Line(f.Message))
			if f.Snippet != "" {
				for _, line := range strings.Split(strings.TrimRight(f.Snippet, "\n"), "\n") {
					ew.printf("    | %s\n", Clean(line))
				}
			}
			if f.Evidence != "" {
				ew.printf("    evidence: %s\n", Line(f.Evidence))
			}
		}
	}
	for i := range r.Repository {
		f := &r.Repository[i]
		ew.printf("\n%s %s  %s\n    %s\n", c.paint(f.Severity, fmt.Sprintf("%-5s", Line(string(f.Severity)))), Line(f.Rule), Line(where(f)), Line(f.Message))
	}
	if len(r.Errors) > 0 {
		ew.printf("\n%s\n", c.paint(finding.Block, "errors:"))
		for _, e := range r.Errors {
			if e.Package != "" {
				ew.printf("  %s: %s\n", Line(e.Package), Line(e.Message))
			} else {
				ew.printf("  %s\n", Line(e.Message))
			}
		}
	}
	return ew.err
}

func mcpTag(p *Package) string {
	if p.MCP {
		return " (MCP server)"
	}
	return ""
}

// Clean replaces control characters other than newline and tab, so hostile text from a package cannot
// drive a terminal (escape sequences, including ESC and the 8-bit CSI) or hide content (carriage returns,
// bidi overrides and isolates).
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return '\uFFFD'
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x061c, r == 0x200e, r == 0x200f:
			return '\uFFFD'
		}
		return r
	}, s)
}

// Line is Clean for one-line fields: newlines become spaces, so hostile text cannot forge report lines.
func Line(s string) string {
	return strings.NewReplacer("\n", " ", "\t", " ").Replace(Clean(s))
}

// Cut returns s if it has at most max bytes, else its longest prefix that ends on a character boundary and
// leaves room for "…", followed by "…". The result never has more than max bytes.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	const ellipsis = "…"
	if max < len(ellipsis) {
		return prefixBytes(s, max)
	}
	return prefixBytes(s, max-len(ellipsis)) + ellipsis
}

// prefixBytes is the longest prefix of s of at most n bytes that ends on a character boundary.
func prefixBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
