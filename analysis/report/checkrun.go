package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Check-run and review limits (GitHub Checks and Pull Request Reviews APIs), in bytes: a string of at most
// n bytes has at most n characters however they are counted.
const (
	// MaxCheckRunTitle bounds CheckRun.Title and Annotation.Title (GitHub: 255 characters).
	MaxCheckRunTitle = 255
	// MaxCheckRunSummary is GitHub's limit on output.summary (65,535 characters); CheckRun.Summary stays
	// strictly below it.
	MaxCheckRunSummary = 65535
	// MaxAnnotationMessage bounds Annotation.Message. GitHub documents "64 KB"; 64,000 bytes is the stricter
	// reading. Longer messages are cut with "…".
	MaxAnnotationMessage = 64000
	// MaxLineComment bounds LineComment.Body: a line comment is a sentence pointing to the review summary,
	// not the evidence itself. Longer bodies are cut, saying how many entries were left out.
	MaxLineComment = 8192
)

// Annotation levels of the Checks API.
const (
	LevelFailure = "failure"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// CheckRun is the output of a check run: what GitHub shows on the Checks tab.
type CheckRun struct {
	// Title is the headline without "mcpvet — ", e.g. "1 dependency blocked" (at most MaxCheckRunTitle).
	Title string
	// Summary is the Markdown form, cut below MaxCheckRunSummary with a stated truncation.
	Summary string
	// Annotations has every annotation, in report order; the caller sends them 50 per request.
	Annotations []Annotation
}

// Annotation marks a line of the reviewed repository in a check run.
type Annotation struct {
	// Path is relative to the root of the REVIEWED repository, '/'-separated.
	Path      string
	StartLine int
	EndLine   int
	// Level is LevelFailure (block), LevelWarning (warn) or LevelNotice (info).
	Level string
	// Title is at most MaxCheckRunTitle bytes; Message at most MaxAnnotationMessage. Both are plain text.
	Title   string
	Message string
}

// CheckRun returns the check-run output of r: a title, the Markdown summary, and one annotation per
// location of each package whose verdict is block or warn (level by the package's verdict) plus one per
// repository finding with a path (level by its severity). Locations whose path is not a clean relative path
// are left out (an annotation GitHub rejects would fail the whole request); a line below 1 becomes 1.
func (r *Report) CheckRun() CheckRun {
	out := CheckRun{
		Title:   Cut(Line(strings.TrimPrefix(r.Headline(), "mcpvet — ")), MaxCheckRunTitle),
		Summary: newMDDoc(r).cutTo(MaxCheckRunSummary, restCheckRun),
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		if p.Verdict != Block && p.Verdict != Warn {
			continue
		}
		title := Cut(Line(fmt.Sprintf("mcpvet %s %s %s", verb(finding.Severity(p.Verdict)), p.Name, versions(p))), MaxCheckRunTitle)
		msg := Cut(packageMessage(p), MaxAnnotationMessage)
		for _, l := range p.Locations {
			path, ok := cleanRepoPath(l.Path)
			if !ok {
				continue
			}
			line := max(l.Line, 1)
			out.Annotations = append(out.Annotations, Annotation{Path: path, StartLine: line, EndLine: line,
				Level: annotationLevel(finding.Severity(p.Verdict)), Title: title, Message: msg})
		}
	}
	for i := range r.Repository {
		f := &r.Repository[i]
		path, ok := cleanRepoPath(f.Path)
		if !ok {
			continue
		}
		line := max(f.Line, 1)
		msg := Line(f.Message)
		if f.Evidence != "" {
			msg += "\n" + Line(f.Evidence)
		}
		out.Annotations = append(out.Annotations, Annotation{Path: path, StartLine: line, EndLine: line,
			Level:   annotationLevel(f.Severity),
			Title:   Cut(Line(fmt.Sprintf("mcpvet %s this line (%s)", verb(f.Severity), f.Rule)), MaxCheckRunTitle),
			Message: Cut(msg, MaxAnnotationMessage)})
	}
	return out
}

func annotationLevel(s finding.Severity) string {
	switch s {
	case finding.Block:
		return LevelFailure
	case finding.Warn:
		return LevelWarning
	}
	return LevelNotice
}

// verb says what mcpvet does about something of severity s.
func verb(s finding.Severity) string {
	switch s {
	case finding.Block:
		return "blocks"
	case finding.Warn:
		return "warns about"
	}
	return "notes"
}

// packageMessage is an annotation's text for a package: the package, its versions and its block and warn
// findings, strongest first, then what it was compared with. Plain text, every field cleaned.
func packageMessage(p *Package) string {
	var b strings.Builder
	fmt.Fprintf(&b, "mcpvet %s %s %s%s:", verb(finding.Severity(p.Verdict)), Line(p.Name), Line(versions(p)), mcpTag(p))
	for i := range p.Findings {
		f := &p.Findings[i]
		if f.Severity != finding.Block && f.Severity != finding.Warn {
			continue
		}
		fmt.Fprintf(&b, "\n- %s: %s", f.Severity, Line(f.Message))
		if loc := where(f); loc != "" {
			fmt.Fprintf(&b, " (%s)", Line(loc))
		}
		fmt.Fprintf(&b, " [%s]", Line(f.Rule))
	}
	fmt.Fprintf(&b, "\n%s", Line(comparedWith(p.Upstream)))
	return b.String()
}

// LineComment is a comment on one line of the reviewed repository, for a REQUEST_CHANGES review.
type LineComment struct {
	Path string
	Line int
	// Severity is the strongest of the entries merged into Body: finding.Block or finding.Warn.
	Severity finding.Severity
	// Body is Markdown: one sentence per package (or repository finding) saying why this line is blocked or
	// warned, pointing to the review summary. At most MaxLineComment bytes.
	Body string
}

// lcEntry is one reason on a line.
type lcEntry struct {
	sev     finding.Severity
	subject string // Markdown: the package and its versions, or "" for a repository finding
	reason  string // Markdown
}

// LineComments returns one comment per (path, line) of the reviewed repository where a package whose
// verdict is block or warn appears, or where a block or warn repository finding points; packages sharing a
// line are merged into one comment. Sorted by path, then line. Locations without a line (below 1) or with
// a path that is not clean and relative are left out: a review comment must sit on a line of the diff.
func (r *Report) LineComments() []LineComment {
	type key struct {
		path string
		line int
	}
	byLine := map[key][]lcEntry{}
	addEntry := func(k key, e lcEntry) {
		for _, have := range byLine[k] {
			if have == e {
				return
			}
		}
		byLine[k] = append(byLine[k], e)
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		if p.Verdict != Block && p.Verdict != Warn {
			continue
		}
		e := lcEntry{sev: finding.Severity(p.Verdict), subject: mdText(Cut(Line(p.Name), MaxCell) + " " + Cut(Line(versions(p)), MaxCell)), reason: packageReason(p)}
		for _, l := range p.Locations {
			if path, ok := cleanRepoPath(l.Path); ok && l.Line >= 1 {
				addEntry(key{path, l.Line}, e)
			}
		}
	}
	for i := range r.Repository {
		f := &r.Repository[i]
		if f.Severity != finding.Block && f.Severity != finding.Warn {
			continue
		}
		if path, ok := cleanRepoPath(f.Path); ok && f.Line >= 1 {
			addEntry(key{path, f.Line}, lcEntry{sev: f.Severity, reason: mdText(strings.TrimSuffix(f.Message, ".")) + " (" + mdCode(f.Rule) + ")"})
		}
	}
	keys := make([]key, 0, len(byLine))
	for k := range byLine {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].path != keys[b].path {
			return keys[a].path < keys[b].path
		}
		return keys[a].line < keys[b].line
	})
	out := make([]LineComment, 0, len(keys))
	for _, k := range keys {
		entries := byLine[k]
		sev := finding.Warn
		for _, e := range entries {
			if e.sev == finding.Block {
				sev = finding.Block
			}
		}
		out = append(out, LineComment{Path: k.path, Line: k.line, Severity: sev, Body: lineCommentBody(sev, entries)})
	}
	return out
}

// packageReason is the Markdown reason a package is blocked or warned: its strongest finding, where in the
// published package, and how many more findings are like it.
func packageReason(p *Package) string {
	if len(p.Findings) == 0 {
		return "no finding recorded"
	}
	f := &p.Findings[0]
	s := mdText(strings.TrimSuffix(Line(f.Message), "."))
	if loc := where(f); loc != "" {
		s += " (" + mdText(loc) + ")"
	}
	n := 0
	for _, g := range p.Findings {
		if g.Severity == f.Severity && g.Rule == f.Rule {
			n++
		}
	}
	if n > 1 {
		s += fmt.Sprintf(", and %d more like it", n-1)
	}
	return s
}

const lcDetails = "Details in the review summary."

// lineCommentBody writes the comment for one line, at most MaxLineComment bytes.
func lineCommentBody(sev finding.Severity, entries []lcEntry) string {
	if len(entries) == 1 {
		e := entries[0]
		build := func(reason string) string {
			if e.subject != "" {
				return fmt.Sprintf("mcpvet %s %s here: %s. %s", verb(e.sev), e.subject, reason, lcDetails)
			}
			return fmt.Sprintf("mcpvet %s this line: %s. %s", verb(e.sev), reason, lcDetails)
		}
		s := build(e.reason)
		if len(s) > MaxLineComment {
			// One long reason: cut it, and keep the pointer to the summary.
			if room := MaxLineComment - (len(s) - len(e.reason)); room > 0 {
				s = build(cutMarkdown(e.reason, room))
			}
		}
		if len(s) > MaxLineComment {
			s = cutMarkdown(s, MaxLineComment)
		}
		return s
	}
	head := fmt.Sprintf("mcpvet %s this line:\n", verb(sev))
	tail := "\n" + lcDetails
	var b strings.Builder
	b.WriteString(head)
	room := MaxLineComment - len(head) - len(tail)
	for i, e := range entries {
		item := "- "
		if e.subject != "" {
			item += e.subject + " (" + string(e.sev) + "): "
		} else {
			item += string(e.sev) + ": "
		}
		item += e.reason + "\n"
		more := ""
		if i < len(entries)-1 {
			more = fmt.Sprintf("- … and %d more\n", len(entries)-i-1)
		}
		if len(item)+len(more) > room {
			rest := len(entries) - i
			b.WriteString(fmt.Sprintf("- … and %d more\n", rest))
			break
		}
		b.WriteString(item)
		room -= len(item)
	}
	b.WriteString(tail)
	return b.String()
}

// cutMarkdown cuts escaped Markdown text to at most max bytes without leaving a dangling backslash escape
// or a half entity.
func cutMarkdown(s string, max int) string {
	c := Cut(s, max)
	if c == s {
		return s
	}
	if max < len("…") {
		return ""
	}
	body := strings.TrimSuffix(c, "…")
	if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
		body = body[:i]
	}
	trailing := len(body) - len(strings.TrimRight(body, "\\"))
	if trailing%2 == 1 {
		body = body[:len(body)-1]
	}
	return body + "…"
}

// cleanRepoPath returns p as a path relative to the reviewed repository's root: '/'-separated, without a
// leading "./" or "/". ok is false for an empty path, one with control, bidi or line-break characters, or
// one with empty, "." or ".." segments.
func cleanRepoPath(p string) (string, bool) {
	p = strings.ReplaceAll(p, "\\", "/")
	for strings.HasPrefix(p, "./") || strings.HasPrefix(p, "/") {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "./"), "/")
	}
	if p == "" || p != Clean(p) || strings.ContainsAny(p, "\n\t") {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return p, true
}
