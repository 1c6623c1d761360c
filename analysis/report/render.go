package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Format names an output form.
type Format string

// Output forms.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
)

// ParseFormat accepts "text", "json", "markdown" (or "md").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "text", "":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	case "markdown", "md":
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json or markdown)", s)
}

// Write renders r in format f.
func Write(w io.Writer, r *Report, f Format) error {
	switch f {
	case FormatJSON:
		return JSON(w, r)
	case FormatMarkdown:
		return Markdown(w, r)
	default:
		return Text(w, r)
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

// Headline is the one-line summary of a report, e.g. "mcpvet — 1 dependency blocked".
func (r *Report) Headline() string {
	b, w, p := r.Counts()
	switch {
	case len(r.Packages) == 0 && len(r.Errors) == 0:
		return "mcpvet — no dependency changes to review"
	case b > 0:
		return fmt.Sprintf("mcpvet — %d %s blocked", b, plural(b, "dependency", "dependencies"))
	case len(r.Errors) > 0:
		return fmt.Sprintf("mcpvet — could not finish the review (%d %s)", len(r.Errors), plural(len(r.Errors), "error", "errors"))
	case w > 0:
		return fmt.Sprintf("mcpvet — %d %s to look at", w, plural(w, "dependency", "dependencies"))
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

// comparedWith describes the upstream in one sentence a reviewer can check.
func comparedWith(u *Upstream) string {
	if u == nil {
		return "No upstream repository was compared."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Compared with %s", u.Repo)
	if u.Directory != "" {
		fmt.Fprintf(&b, " (folder %s)", u.Directory)
	}
	fmt.Fprintf(&b, " @ %s", ShortCommit(u.Commit))
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
	fmt.Fprintf(&b, " (%s).", strings.Join(how, "; "))
	if u.Verified {
		b.WriteString(" Provenance verified.")
	} else {
		b.WriteString(" Not verified by provenance: the repository is a claim.")
	}
	return b.String()
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

// Text writes the terminal form.
func Text(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("%s\n", r.Headline())
	for i := range r.Packages {
		p := &r.Packages[i]
		ew.printf("\n%-5s %s %s%s\n", strings.ToUpper(string(p.Verdict)), Line(p.Name), Line(change(p)), mcpTag(p))
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
			ew.printf("\n  %-5s %s", f.Severity, f.Rule)
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
		ew.printf("\n%-5s %s  %s\n    %s\n", f.Severity, f.Rule, Line(where(f)), Line(f.Message))
	}
	if len(r.Errors) > 0 {
		ew.printf("\nerrors:\n")
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

var verdictMark = map[Verdict]string{Block: "⛔ block", Warn: "⚠️ warn", Pass: "✅ pass"}

// Markdown writes the review-comment form: a table first, evidence one click away.
func Markdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("## %s\n\n", r.Headline())
	if len(r.Packages) > 0 {
		ew.printf("| package | change | verdict | why |\n|---|---|---|---|\n")
		for i := range r.Packages {
			p := &r.Packages[i]
			name := mdCell(p.Name)
			if p.MCP {
				name += " (MCP server)"
			}
			ew.printf("| %s | %s | %s | %s |\n", name, mdCell(change(p)), verdictMark[p.Verdict], mdCell(p.Why()))
		}
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		if p.Verdict == Pass && len(p.Findings) == 0 {
			continue
		}
		open := ""
		if p.Verdict == Block {
			open = " open"
		}
		ew.printf("\n<details%s><summary>%s %s</summary>\n\n", open, mdCell(p.Name), mdCell(change(p)))
		ew.printf("%s\n", mdCell(comparedWith(p.Upstream)))
		if p.Upstream != nil {
			for _, n := range p.Upstream.Notes {
				ew.printf("\n- %s", mdCell(n))
			}
			if len(p.Upstream.Notes) > 0 {
				ew.printf("\n")
			}
		}
		for j := range p.Findings {
			f := &p.Findings[j]
			if f.Severity == finding.Info && p.Verdict == Block {
				continue
			}
			ew.printf("\n")
			if loc := where(f); loc != "" {
				ew.printf("**%s** — ", mdCell(loc))
			}
			ew.printf("%s (`%s`, %s)\n", mdCell(f.Message), f.Rule, f.Severity)
			if f.Snippet != "" {
				ew.printf("```diff\n%s\n```\n", strings.TrimRight(fence(Clean(f.Snippet)), "\n"))
			}
			if f.Evidence != "" {
				ew.printf("<sub>%s</sub>\n", mdCell(f.Evidence))
			}
		}
		ew.printf("</details>\n")
	}
	for i := range r.Repository {
		f := &r.Repository[i]
		ew.printf("\n- **%s** %s (`%s`, %s)\n", mdCell(where(f)), mdCell(f.Message), f.Rule, f.Severity)
	}
	if len(r.Errors) > 0 {
		ew.printf("\n**Could not finish:**\n")
		for _, e := range r.Errors {
			ew.printf("- %s%s\n", prefix(e.Package), mdCell(e.Message))
		}
	}
	return ew.err
}

func prefix(pkg string) string {
	if pkg == "" {
		return ""
	}
	return "**" + mdCell(pkg) + "**: "
}

// Clean replaces control characters other than newline and tab, so hostile text from a package cannot
// drive a terminal (escape sequences) or hide content (carriage returns, bidi overrides).
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

// mdCell makes text safe inside a Markdown table cell or paragraph: no raw HTML, no pipes, one line.
func mdCell(s string) string {
	r := strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "\n", " ", "\r", " ")
	return r.Replace(Clean(s))
}

// fence keeps hostile snippet text from closing the code fence.
func fence(s string) string {
	return strings.ReplaceAll(s, "```", "`\u200b``")
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
