package report

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Markdown limits.
const (
	// MaxMarkdown is GitHub's limit on the body of a review or a comment (65,536 characters);
	// MarkdownString(r, MaxMarkdown) stays strictly below it.
	MaxMarkdown = 65536
	// MaxCell bounds the text of one table cell and of one <summary>, in bytes before escaping: longer text
	// (a hostile package name, a long finding message) is cut with "…".
	MaxCell = 300
)

// Lengths in this file are counted in bytes of UTF-8. A string of fewer than n bytes has fewer than n
// characters however GitHub counts them (code points or UTF-16 code units), so a byte bound is a safe bound.

// restReview and restCheckRun end the truncation note: where the reader finds what was cut.
const (
	restReview   = "the check run and the JSON report have everything"
	restCheckRun = "the JSON report (mcpvet --format json) has everything"
)

var verdictMark = map[Verdict]string{Block: "⛔ block", Warn: "⚠️ warn", Pass: "✅ pass"}

// Markdown writes the review-comment form, complete: a table first, evidence one click away. It is not cut
// to GitHub's limit; a review or comment body is MarkdownString(r, MaxMarkdown).
func Markdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("%s", newMDDoc(r).full())
	return ew.err
}

// MarkdownString renders r as Markdown of fewer than max bytes (so fewer than max characters). When the
// complete form is too long, the headline and summary table stay; package sections are dropped from the
// end (the last one kept may be shortened: findings omitted, its evidence dropped, its snippet cut to the
// changed lines that fit), and the body ends with a line stating what was omitted. Repository findings and
// errors are kept before package sections. A table too long by itself (thousands of packages) loses its
// passing rows first, then warned, then blocked ones, from the end, replaced by one row counting them. A
// max too small for the headline, the table's header and that line yields the headline and the line, cut.
func MarkdownString(r *Report, max int) string {
	return newMDDoc(r).cutTo(max, restReview)
}

// mdDoc is the Markdown form in pieces, so that it can be cut at piece boundaries.
type mdDoc struct {
	head      string // "## headline\n\n"
	tableHead string // the table's header rows, or "" when there are no packages
	rows      []mdRow
	sections  []mdSection
	repo      []string // one piece per repository finding
	errHead   string
	errs      []string // one piece per error
}

type mdRow struct {
	text    string
	verdict Verdict
}

// mdSection is one package's <details> block.
type mdSection struct {
	open     string // from "<details>" to the notes
	findings []*finding.Finding
	pieces   []string // the findings, rendered in full
	close    string
}

func (s *mdSection) full() string {
	return s.open + strings.Join(s.pieces, "") + s.close
}

func newMDDoc(r *Report) *mdDoc {
	d := &mdDoc{head: "## " + mdText(r.Headline()) + "\n\n"}
	if len(r.Packages) > 0 {
		d.tableHead = "| package | change | verdict | why |\n|---|---|---|---|\n"
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		name := mdText(Cut(Line(p.Name), MaxCell))
		if p.MCP {
			name += " (MCP server)"
		}
		d.rows = append(d.rows, mdRow{verdict: p.Verdict, text: fmt.Sprintf("| %s | %s | %s | %s |\n",
			name, mdText(Cut(Line(change(p)), MaxCell)), verdictMark[p.Verdict], mdText(Cut(Line(p.Why()), MaxCell)))})
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		if p.Verdict == Pass && len(p.Findings) == 0 {
			continue
		}
		d.sections = append(d.sections, newMDSection(p))
	}
	for i := range r.Repository {
		f := &r.Repository[i]
		loc := ""
		if w := where(f); w != "" {
			loc = "**" + mdText(w) + "** "
		}
		d.repo = append(d.repo, fmt.Sprintf("\n- %s%s (%s, %s)\n", loc, mdText(f.Message), mdCode(f.Rule), mdText(string(f.Severity))))
	}
	if len(r.Errors) > 0 {
		d.errHead = "\n**Could not finish:**\n"
		for _, e := range r.Errors {
			d.errs = append(d.errs, fmt.Sprintf("- %s%s\n", prefix(e.Package), mdText(e.Message)))
		}
	}
	return d
}

func newMDSection(p *Package) mdSection {
	open := ""
	if p.Verdict == Block {
		open = " open"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n<details%s><summary>%s %s</summary>\n\n", open, htmlText(Cut(Line(p.Name), MaxCell)), htmlText(Cut(Line(change(p)), MaxCell)))
	fmt.Fprintf(&b, "%s\n", comparedWithMD(p.Upstream))
	if p.Upstream != nil {
		for _, n := range p.Upstream.Notes {
			fmt.Fprintf(&b, "\n- %s", mdText(n))
		}
		if len(p.Upstream.Notes) > 0 {
			b.WriteString("\n")
		}
	}
	s := mdSection{open: b.String(), close: "</details>\n"}
	for j := range p.Findings {
		f := &p.Findings[j]
		if f.Severity == finding.Info && p.Verdict == Block {
			continue
		}
		s.findings = append(s.findings, f)
		s.pieces = append(s.pieces, mdFinding(f, -1))
	}
	return s
}

// minCutLine is the least of a long snippet line worth showing when it must be cut.
const minCutLine = 80

// snippetCutLine is the last line of a snippet cut to fit; it stays inside the code block.
const snippetCutLine = "… (snippet cut to fit)\n"

// mdFinding renders one finding of a package section. With budget < 0 it is complete; otherwise it is cut
// to at most budget bytes (the evidence dropped, then the snippet's context lines, then its last changed
// lines) and "" is returned when even the line naming the finding does not fit.
func mdFinding(f *finding.Finding, budget int) string {
	var head strings.Builder
	head.WriteString("\n")
	if loc := where(f); loc != "" {
		fmt.Fprintf(&head, "**%s** — ", mdText(loc))
	}
	fmt.Fprintf(&head, "%s (%s, %s)\n", mdText(f.Message), mdCode(f.Rule), mdText(string(f.Severity)))
	var snippet []string
	if f.Snippet != "" {
		snippet = strings.Split(strings.TrimRight(fence(Clean(f.Snippet)), "\n"), "\n")
	}
	evidence := ""
	if f.Evidence != "" {
		evidence = "<sub>" + mdText(f.Evidence) + "</sub>\n"
	}
	const open, closing = "```diff\n", "```\n"
	full := head.String()
	if len(snippet) > 0 {
		full += open + strings.Join(snippet, "\n") + "\n" + closing
	}
	full += evidence
	if budget < 0 || len(full) <= budget {
		return full
	}
	out := head.String()
	if len(out) > budget {
		return ""
	}
	if len(snippet) == 0 || len(out)+len(open)+len(snippetCutLine)+len(closing) > budget {
		return out
	}
	var b strings.Builder
	b.WriteString(out)
	b.WriteString(open)
	room := budget - len(out) - len(open) - len(snippetCutLine) - len(closing)
	// The changed lines are the evidence; context lines go first.
	whole := true
	if total(snippet) > room {
		var changed []string
		for _, line := range snippet {
			if strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
				changed = append(changed, line)
			}
		}
		if len(changed) > 0 && len(changed) < len(snippet) {
			snippet, whole = changed, false
		}
	}
	if whole && total(snippet) <= room+len(snippetCutLine) { // every line fits: only the evidence was dropped
		b.WriteString(strings.Join(snippet, "\n") + "\n")
		b.WriteString(closing)
		return b.String()
	}
	shown := 0
	for i, line := range snippet {
		if len(line)+1 > room { // the newline takes one byte
			if i == 0 && room > minCutLine { // one long line (minified code): show its start
				if line = Cut(line, room-1); line != "" {
					b.WriteString(line + "\n")
					shown++
				}
			}
			break
		}
		b.WriteString(line + "\n")
		room -= len(line) + 1
		shown++
	}
	if shown == 0 {
		return out // a fence around nothing shows nothing
	}
	b.WriteString(snippetCutLine)
	b.WriteString(closing)
	return b.String()
}

// total is the size of lines joined, each with its newline.
func total(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return n
}

func (d *mdDoc) full() string {
	var b strings.Builder
	b.WriteString(d.head)
	b.WriteString(d.tableHead)
	for _, r := range d.rows {
		b.WriteString(r.text)
	}
	for i := range d.sections {
		b.WriteString(d.sections[i].full())
	}
	for _, s := range d.repo {
		b.WriteString(s)
	}
	if len(d.errs) > 0 {
		b.WriteString(d.errHead)
		for _, s := range d.errs {
			b.WriteString(s)
		}
	}
	return b.String()
}

// cutCounts says what a cut Markdown form left out.
type cutCounts struct {
	sections, sectionFindings int // whole package sections omitted, and their findings
	findings                  int // findings omitted from the one shortened section
	shortened                 int // findings shown without their evidence or with their snippet cut
	rows                      int // table rows omitted
	repo, errs                int // repository findings and errors omitted
}

// note is the closing line of a cut Markdown form.
func (c cutCounts) note(max int, rest string) string {
	var parts []string
	if c.sections > 0 {
		parts = append(parts, fmt.Sprintf("%d package %s (%d %s) omitted", c.sections, plural(c.sections, "section", "sections"), c.sectionFindings, plural(c.sectionFindings, "finding", "findings")))
	}
	if c.findings > 0 {
		parts = append(parts, fmt.Sprintf("%d more %s omitted from a shortened section", c.findings, plural(c.findings, "finding", "findings")))
	}
	if c.shortened > 0 {
		parts = append(parts, fmt.Sprintf("%d %s shortened", c.shortened, plural(c.shortened, "finding", "findings")))
	}
	if c.rows > 0 {
		parts = append(parts, fmt.Sprintf("%d table %s omitted", c.rows, plural(c.rows, "row", "rows")))
	}
	if c.repo > 0 {
		parts = append(parts, fmt.Sprintf("%d repository %s omitted", c.repo, plural(c.repo, "finding", "findings")))
	}
	if c.errs > 0 {
		parts = append(parts, fmt.Sprintf("%d %s omitted", c.errs, plural(c.errs, "error", "errors")))
	}
	if len(parts) == 0 {
		parts = append(parts, "the end of the report omitted")
	}
	return fmt.Sprintf("\n_Truncated: %s to stay under GitHub's %s-character limit; %s._\n", strings.Join(parts, ", "), thousands(max), rest)
}

// thousands formats n with comma separators: 65536 → "65,536".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cutTo renders the document in fewer than max bytes (see MarkdownString); rest ends the truncation note.
func (d *mdDoc) cutTo(max int, rest string) string {
	full := d.full()
	if len(full) < max {
		return full
	}
	if max <= 0 {
		return ""
	}
	budget := max - 1
	// An upper bound of the note's length: every part present, every count at its largest.
	all := cutCounts{sections: len(d.sections), rows: len(d.rows), repo: len(d.repo), errs: len(d.errs), shortened: 1}
	for i := range d.sections {
		all.sectionFindings += len(d.sections[i].findings)
		all.findings += len(d.sections[i].findings)
	}
	// noteSlack covers a note longer than that bound's parts (none can be, but the cost is a few bytes).
	const noteSlack = 32
	avail := budget - len(d.head) - len(all.note(max, rest)) - noteSlack

	var c cutCounts
	table, ok := d.cutTable(avail, &c)
	if !ok {
		c = cutCounts{rows: len(d.rows), sections: len(d.sections), sectionFindings: all.sectionFindings, repo: len(d.repo), errs: len(d.errs)}
		return Cut(d.head+c.note(max, rest), budget)
	}
	avail -= len(table)

	// Errors, then repository findings, before package sections: they are few, and say why.
	var tail strings.Builder
	keptErrs := 0
	for _, s := range d.errs {
		need := len(s)
		if keptErrs == 0 {
			need += len(d.errHead)
		}
		if need > avail {
			break
		}
		avail -= need
		keptErrs++
	}
	c.errs = len(d.errs) - keptErrs
	keptRepo := 0
	for _, s := range d.repo {
		if len(s) > avail {
			break
		}
		avail -= len(s)
		keptRepo++
	}
	c.repo = len(d.repo) - keptRepo
	for _, s := range d.repo[:keptRepo] {
		tail.WriteString(s)
	}
	if keptErrs > 0 {
		tail.WriteString(d.errHead)
		for _, s := range d.errs[:keptErrs] {
			tail.WriteString(s)
		}
	}

	var body strings.Builder
	for i := range d.sections {
		s := &d.sections[i]
		if f := s.full(); len(f) <= avail {
			body.WriteString(f)
			avail -= len(f)
			continue
		}
		part, omitted, shortened := s.shorten(avail)
		if part != "" {
			body.WriteString(part)
			avail -= len(part)
			c.findings = omitted
			c.shortened = shortened
		} else {
			c.sections++
			c.sectionFindings += len(s.findings)
		}
		for _, later := range d.sections[i+1:] {
			c.sections++
			c.sectionFindings += len(later.findings)
		}
		break
	}
	out := d.head + table + body.String() + tail.String() + c.note(max, rest)
	if len(out) > budget { // cannot happen: the note's bound was reserved
		return Cut(out, budget)
	}
	return out
}

// cutTable returns the summary table in at most avail bytes: every row when they fit, else rows dropped
// (passing ones first, then warnings, then blocks, each from the end) and one row counting them. ok is false
// when not even the header and that row fit.
func (d *mdDoc) cutTable(avail int, c *cutCounts) (table string, ok bool) {
	size := len(d.tableHead)
	for _, r := range d.rows {
		size += len(r.text)
	}
	if size <= avail {
		var b strings.Builder
		b.WriteString(d.tableHead)
		for _, r := range d.rows {
			b.WriteString(r.text)
		}
		return b.String(), true
	}
	keep := make([]bool, len(d.rows))
	for i := range keep {
		keep[i] = true
	}
	dropped := map[Verdict]int{}
	omittedRow := func() string {
		n := dropped[Block] + dropped[Warn] + dropped[Pass]
		return fmt.Sprintf("| … | | | %d more %s: %d blocked, %d to look at, %d passed |\n", n, plural(n, "package", "packages"), dropped[Block], dropped[Warn], dropped[Pass])
	}
	for _, v := range []Verdict{Pass, Warn, Block} {
		for i := len(d.rows) - 1; i >= 0 && size+len(omittedRow()) > avail; i-- {
			if keep[i] && d.rows[i].verdict == v {
				keep[i] = false
				size -= len(d.rows[i].text)
				dropped[v]++
			}
		}
	}
	// Rows of an unknown verdict are dropped last.
	for i := len(d.rows) - 1; i >= 0 && size+len(omittedRow()) > avail; i-- {
		if keep[i] {
			keep[i] = false
			size -= len(d.rows[i].text)
			dropped[Pass]++
		}
	}
	if size+len(omittedRow()) > avail {
		return "", false
	}
	var b strings.Builder
	b.WriteString(d.tableHead)
	for i, r := range d.rows {
		if keep[i] {
			b.WriteString(r.text)
		} else {
			c.rows++
		}
	}
	b.WriteString(omittedRow())
	return b.String(), true
}

// shorten renders the section in at most avail bytes with as many findings as fit (the last one possibly
// cut) and a line counting the rest; "" when not even its opening, one finding, that line and its closing
// fit.
func (s *mdSection) shorten(avail int) (part string, omitted, shortened int) {
	moreLine := func(n int) string {
		if n == 0 {
			return ""
		}
		return fmt.Sprintf("\n_%d more %s of this package omitted._\n", n, plural(n, "finding", "findings"))
	}
	fixed := len(s.open) + len(s.close) + len(moreLine(len(s.findings)))
	if fixed > avail {
		return "", 0, 0
	}
	room := avail - fixed
	var b strings.Builder
	b.WriteString(s.open)
	kept := 0
	for i, piece := range s.pieces {
		if len(piece) <= room {
			b.WriteString(piece)
			room -= len(piece)
			kept++
			continue
		}
		if shorter := mdFinding(s.findings[i], room); shorter != "" {
			b.WriteString(shorter)
			kept++
			shortened = 1
		}
		break
	}
	if kept == 0 && len(s.findings) > 0 {
		return "", 0, 0 // a section that shows none of its findings says nothing: omit it whole
	}
	omitted = len(s.findings) - kept
	b.WriteString(moreLine(omitted))
	b.WriteString(s.close)
	return b.String(), omitted, shortened
}

func prefix(pkg string) string {
	if pkg == "" {
		return ""
	}
	return "**" + mdText(pkg) + "**: "
}

// comparedWithMD is comparedWith in Markdown, the commit linked when commitURL can build a link.
func comparedWithMD(u *Upstream) string {
	if u == nil {
		return mdText(comparedWith(nil))
	}
	commit := mdText(ShortCommit(u.Commit))
	if url, ok := commitURL(u.Repo, u.Commit); ok {
		commit = "[" + ShortCommit(u.Commit) + "](" + url + ")"
	}
	return "Compared with " + mdText(u.Repo+upstreamFolder(u)) + " @ " + commit + mdText(upstreamHow(u))
}

var (
	// forgePart is an owner or repository name safe to put in a URL path unescaped.
	forgePart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	hexCommit = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
)

// forgeCommitPaths maps the hosts whose commit pages we link to the path between "owner/name" and the
// commit id. Other hosts get no link: mcpvet does not send reviewers to hosts it does not know.
var forgeCommitPaths = map[string]string{
	"github.com":    "/commit/",
	"gitlab.com":    "/-/commit/",
	"codeberg.org":  "/commit/",
	"gitea.com":     "/commit/",
	"bitbucket.org": "/commits/",
}

// commitURL returns the https page of commit in repo ("host/owner/name"), when the host is a known forge,
// the owner and name are made of safe characters and the commit is hexadecimal.
func commitURL(repo, commit string) (string, bool) {
	parts := strings.Split(repo, "/")
	if len(parts) != 3 || !hexCommit.MatchString(commit) {
		return "", false
	}
	host, owner, name := strings.ToLower(parts[0]), parts[1], strings.TrimSuffix(parts[2], ".git")
	path, known := forgeCommitPaths[host]
	if !known || !forgePart.MatchString(owner) || !forgePart.MatchString(name) || strings.Contains(owner+name, "..") {
		return "", false
	}
	return "https://" + host + "/" + owner + "/" + name + path + commit, true
}

// mdEscaper makes text literal in Markdown: punctuation that would start emphasis, code, links, tables or
// headings is backslash-escaped, HTML and entities are written as entities, and "@" gets a zero-width space
// so a package name like "@org/team" mentions nobody.
var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "~", "\\~", "|", "\\|",
	"#", "\\#", "<", "&lt;", ">", "&gt;", "&", "&amp;", "@", "@\u200b", "\n", " ", "\r", " ",
)

// mdText makes hostile text safe in a Markdown paragraph or table cell: clean (no controls, no bidi), one
// line, no raw HTML, no entities, no markup, no mentions.
func mdText(s string) string {
	return mdEscaper.Replace(Clean(s))
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "@", "@\u200b", "\n", " ", "\r", " ")

// htmlText makes hostile text safe inside an HTML element such as <summary>, where Markdown is not parsed.
func htmlText(s string) string {
	return htmlEscaper.Replace(Clean(s))
}

// mdCode renders s as a code span; backticks (which no rule id has) become quotes.
func mdCode(s string) string {
	return "`" + strings.ReplaceAll(Line(s), "`", "'") + "`"
}

// fence keeps hostile snippet text from closing the code fence: no line of the result can start with three
// backticks (a closing fence), because every run of three gets a zero-width space after its first backtick.
// Clean has already turned carriage returns into U+FFFD, so "\n" is the only line break.
func fence(s string) string {
	return strings.ReplaceAll(s, "```", "`\u200b``")
}
