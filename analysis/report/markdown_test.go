package report_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

func markdown(t *testing.T, r *report.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Markdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// closingFence matches a line that would close a backtick code fence in CommonMark: up to three spaces,
// three or more backticks, then only spaces or tabs.
var closingFence = regexp.MustCompile("^ {0,3}```+[ \t]*$")

// checkMarkdown checks the structure every Markdown form must keep, cut or not: one heading, code fences
// that open with ```diff and close with ```, no line inside a fence that closes it early, <details> blocks
// closed outside code, and table rows of exactly four cells.
func checkMarkdown(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatal("Markdown is not valid UTF-8")
	}
	checkNoControls(t, s)
	inFence, opens, closes, headings := false, 0, 0, 0
	for i, line := range strings.Split(s, "\n") {
		if inFence {
			if line == "```" {
				inFence = false
			} else if closingFence.MatchString(line) {
				t.Errorf("line %d closes a code fence early: %q", i+1, line)
			}
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(line, " "), "```") {
			if line != "```diff" {
				t.Errorf("line %d opens a fence other than ```diff: %q", i+1, line)
			}
			inFence = true
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(line, " "), "#") {
			headings++
		}
		opens += strings.Count(line, "<details")
		closes += strings.Count(line, "</details>")
		if strings.HasPrefix(line, "|") {
			if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 5 {
				t.Errorf("table row %d has %d cell separators, want 5: %q", i+1, n, line)
			}
		}
	}
	if inFence {
		t.Error("a code fence is never closed")
	}
	if opens != closes {
		t.Errorf("%d <details> and %d </details> outside code", opens, closes)
	}
	if headings != 1 {
		t.Errorf("%d headings, want 1", headings)
	}
}

func TestCommitLink(t *testing.T) {
	const sha = "4ac54ed0c9b1a2e3f4d5c6b7a8e9f0a1b2c3d4e5"
	tests := []struct {
		repo, commit string
		want         string // the link, or "" for plain text
	}{
		{"github.com/ExampleMail/mailpost-mcp", sha, "https://github.com/ExampleMail/mailpost-mcp/commit/" + sha},
		{"GitHub.com/o/r.git", sha, "https://github.com/o/r/commit/" + sha},
		{"gitlab.com/group/proj", sha, "https://gitlab.com/group/proj/-/commit/" + sha},
		{"codeberg.org/o/r", sha, "https://codeberg.org/o/r/commit/" + sha},
		{"bitbucket.org/o/r", sha, "https://bitbucket.org/o/r/commits/" + sha},
		{"github.com/o/r", "4ac54ed", "https://github.com/o/r/commit/4ac54ed"},
		{"evil.example/o/r", sha, ""},                           // a host we do not know
		{"gitlab.com/group/sub/proj", sha, ""},                  // not host/owner/name
		{"github.com/o", sha, ""},                               // too short
		{"github.com/o/r", "4ac54e", ""},                        // too short to be a commit
		{"github.com/o/r", "4AC54ED0", ""},                      // not lower-case hex
		{"github.com/o/r", "main", ""},                          // a branch is not a commit
		{"github.com/o/r)](https://evil.example", sha, ""},      // breaks out of the link
		{"github.com/../r", sha, ""},                            // path games
		{"github.com/o/..", sha, ""},                            // path games
		{"github.com/o/r r", sha, ""},                           // a space
		{"github.com/-o/r", sha, ""},                            // must start with a letter or digit
		{"github.com:443/o/r", sha, ""},                         // a port is not a known host
		{"javascript:alert(1)//github.com/o/r", sha, ""},        // scheme games
		{"github.com/o/r", sha + ")](https://evil.example", ""}, // commit games
	}
	for _, tt := range tests {
		t.Run(tt.repo+"@"+tt.commit, func(t *testing.T) {
			r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "p", To: "1.0.0",
				Upstream: &report.Upstream{Repo: tt.repo, Commit: tt.commit},
				Findings: []finding.Finding{{Rule: finding.RuleFileDiffers, Severity: finding.Warn, Message: "m"}}}}}
			r.Finalize()
			md := markdown(t, r)
			checkMarkdown(t, md)
			links := regexp.MustCompile(`(?:^|[^\\])\]\((https://[^)]*)\)`).FindAllStringSubmatch(md, -1)
			switch {
			case tt.want == "" && len(links) > 0:
				t.Errorf("links %v, want none", links)
			case tt.want != "" && (len(links) != 1 || links[0][1] != tt.want):
				t.Errorf("links %v, want %s", links, tt.want)
			}
			if tt.want != "" && !strings.Contains(md, " @ ["+report.ShortCommit(tt.commit)+"]("+tt.want+")") {
				t.Errorf("the short commit is not the link text:\n%s", md)
			}
		})
	}
}

// TestFence: no snippet text can close the ```diff fence, checked on hand-picked texts and on 20,000
// random texts over the characters that matter.
func TestFence(t *testing.T) {
	snippets := []string{
		"```", "````", "`````````", "   ```", "    ```", " ```diff", "```\n", "\n```", "a\n```\nb", "``` ```",
		"``\n`", "~~~", "\t```", "```\r\n# heading", "\r```", "\u2028```", "`\u200b``", "</details>\n```\n<details>",
	}
	rnd := rand.New(rand.NewSource(1))
	alphabet := []string{"`", "`", "`", " ", "\n", "\r", "\t", "~", "a"}
	for range 20000 {
		var b strings.Builder
		for range 1 + rnd.Intn(16) {
			b.WriteString(alphabet[rnd.Intn(len(alphabet))])
		}
		snippets = append(snippets, b.String())
	}
	for _, s := range snippets {
		r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "p", To: "1.0.0",
			Findings: []finding.Finding{{Rule: finding.RuleForeignLines, Severity: finding.Block, Message: "m", Path: "index.js", Line: 1, Snippet: s}}}}}
		r.Finalize()
		md := markdown(t, r)
		if strings.Count(md, "```diff\n") != 1 {
			t.Fatalf("snippet %q: %d fences opened", s, strings.Count(md, "```diff\n"))
		}
		checkMarkdown(t, md)
		if t.Failed() {
			t.Fatalf("snippet %q:\n%s", s, md)
		}
	}
}

// TestMarkdownText: text from a package is literal in Markdown: no links, images, HTML, entities, code
// spans, emphasis, headings or mentions of its own.
func TestMarkdownText(t *testing.T) {
	tests := []struct {
		name, in string
		bad      []string // must not appear in the Markdown
		want     []string // must appear
	}{
		{"link", "[approved](https://evil.example)", []string{"[approved]("}, []string{`\[approved\](https://evil.example)`}},
		{"image", "![x](https://evil.example/t.png)", []string{"![x]("}, nil},
		{"autolink", "<https://evil.example>", []string{"<https://"}, []string{"&lt;https://evil.example&gt;"}},
		{"html", "<img src=x onerror=alert(1)>", []string{"<img"}, []string{"&lt;img"}},
		{"entity", "&#x202e;gnp.exe", []string{"&#x202e;"}, []string{`&amp;\#x202e;`}},
		{"mention", "@octo-org/security-team", []string{"@octo-org"}, []string{"@\u200bocto-org"}},
		{"emphasis", "__proto__ and *star*", []string{"__proto__", "*star*"}, []string{`\_\_proto\_\_`, `\*star\*`}},
		{"code span", "`rm -rf /`", nil, []string{"\\`rm -rf /\\`"}},
		{"heading", "# forged", []string{"\n# forged"}, []string{`\# forged`}},
		{"pipe", "a|b", []string{"a|b"}, []string{`a\|b`}},
		{"backslash", `a\|b`, []string{`a\|b |`}, []string{`a\\\|b`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for field, set := range map[string]func(r *report.Report){
				"message": func(r *report.Report) { r.Packages[0].Findings[0].Message = tt.in },
				"note":    func(r *report.Report) { r.Packages[0].Upstream.Notes = []string{tt.in} },
				"name":    func(r *report.Report) { r.Packages[0].Name = tt.in },
			} {
				r := incident()
				set(r)
				r.Finalize()
				md := markdown(t, r)
				checkMarkdown(t, md)
				// <summary> holds HTML, where Markdown is not parsed: only HTML is escaped there.
				md = regexp.MustCompile(`<summary>.*</summary>`).ReplaceAllString(md, "<summary></summary>")
				for _, b := range tt.bad {
					if strings.Contains(md, b) {
						t.Errorf("%s: Markdown has %q", field, b)
					}
				}
				if field == "name" {
					continue // the name also sits in <summary>, where HTML escaping applies instead
				}
				for _, w := range tt.want {
					if !strings.Contains(md, w) {
						t.Errorf("%s: Markdown lacks %q", field, w)
					}
				}
			}
		})
	}
	// Inside <summary> (HTML, where Markdown is not parsed) only HTML is escaped.
	r := incident()
	r.Packages[0].Name = `a|b_c <x> "q" @o`
	r.Finalize()
	if md := markdown(t, r); !strings.Contains(md, "<summary>a|b_c &lt;x&gt; &quot;q&quot; @\u200bo 1.0.15 → 1.0.16</summary>") {
		t.Errorf("summary escaping:\n%s", md)
	}
}

// TestMaxCell: a table cell keeps MaxCell bytes of text and cuts one more with "…".
func TestMaxCell(t *testing.T) {
	for _, n := range []int{report.MaxCell - 1, report.MaxCell, report.MaxCell + 1} {
		name := strings.Repeat("n", n)
		r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: name, To: "1.0.0"}}}
		r.Finalize()
		md := markdown(t, r)
		checkMarkdown(t, md)
		whole := strings.Contains(md, "| "+name+" |")
		cutRow := strings.Contains(md, "| "+strings.Repeat("n", report.MaxCell-len("…"))+"… |")
		if want := n <= report.MaxCell; whole != want || cutRow == want {
			t.Errorf("name of %d bytes: whole %v, cut %v", n, whole, cutRow)
		}
	}
}

// truncNote matches the line that states a truncation.
var truncNote = regexp.MustCompile("\n_Truncated: [^\n]+ to stay under GitHub's [0-9,]+-character limit; the check run and the JSON report have everything\\._\n$")

// TestMarkdownStringBoundary: the complete form is returned while it is shorter than max, and cut with a
// stated truncation from max on.
func TestMarkdownStringBoundary(t *testing.T) {
	r := incident()
	full := markdown(t, r)
	n := len(full)
	table := full[:strings.Index(full, "\n<details")]
	tests := []struct {
		max     int
		cut     bool
		omitted string
	}{
		{n + 2, false, ""},
		{n + 1, false, ""}, // the Markdown is max-1 bytes: complete
		{n, true, "1 package section (1 finding) omitted"},     // exactly max: cut
		{n - 1, true, "1 package section (1 finding) omitted"}, // max+1: cut
		{len(table) + 700, true, "2 package sections (2 findings) omitted"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			got := report.MarkdownString(r, tt.max)
			if len(got) >= tt.max {
				t.Errorf("%d bytes, want fewer than %d", len(got), tt.max)
			}
			if !tt.cut {
				if got != full {
					t.Errorf("MarkdownString(%d) differs from Markdown", tt.max)
				}
				return
			}
			checkMarkdown(t, got)
			if !strings.HasPrefix(got, table) {
				t.Errorf("the summary table did not survive:\n%s", got)
			}
			if !truncNote.MatchString(got) || !strings.Contains(got, "_Truncated: "+tt.omitted+" ") {
				t.Errorf("no stated truncation with %q:\n%s", tt.omitted, got[max(0, len(got)-300):])
			}
			if !strings.Contains(got, fmt.Sprintf("GitHub's %s-character limit", commas(tt.max))) {
				t.Errorf("the note does not name the limit %d", tt.max)
			}
		})
	}
	if got := report.MarkdownString(r, report.MaxMarkdown); got != full {
		t.Error("a short report is cut at MaxMarkdown")
	}
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// big is a report with every kind of piece: many packages (blocked, warned, passing), long snippets, a
// minified line, many findings in one package, repository findings and errors.
func big(packages int) *report.Report {
	r := &report.Report{}
	for i := range packages {
		p := report.Package{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%04d", i), From: "1.0.0", To: "1.0.1",
			Locations: []report.Location{{Path: "package-lock.json", Line: 10 + i}},
			Upstream:  &report.Upstream{Repo: "github.com/o/pkg", Commit: "0123456789abcdef0123456789abcdef01234567", ResolvedBy: "gitHead", Claim: "repository"}}
		switch i % 4 {
		case 0:
			var snippet strings.Builder
			for j := range 40 + i%7 {
				fmt.Fprintf(&snippet, "+ line %d of injected code ``` with a fence in it\n", j)
			}
			p.Findings = append(p.Findings, finding.Finding{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "index.js", Line: 3 + i,
				Message: "3 published lines of index.js exist in no upstream commit", Snippet: snippet.String(), Evidence: "blob 0123"})
		case 1:
			for j := range 30 {
				p.Findings = append(p.Findings, finding.Finding{Rule: finding.RuleFileDiffers, Severity: finding.Warn, Path: fmt.Sprintf("lib/%d.js", j), Message: "differs"})
			}
		case 2:
			p.Findings = append(p.Findings, finding.Finding{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "min.js", Line: 1,
				Message: "a minified line", Snippet: "+" + strings.Repeat("x=1;", 1500) + "\n"})
		}
		r.Packages = append(r.Packages, p)
	}
	for i := range 5 {
		r.Repository = append(r.Repository, finding.Finding{Rule: finding.RuleUnpinnedServer, Severity: finding.Warn, Path: ".mcp.json", Line: i + 1, Message: "unpinned"})
		r.Errors = append(r.Errors, report.Error{Package: fmt.Sprintf("gone-%d", i), Message: "registry unreachable"})
	}
	r.Finalize()
	return r
}

// TestMarkdownStringSweep cuts one report at sizes from nothing to complete: always shorter than max,
// always well-formed once the headline and table fit, always stating the truncation.
func TestMarkdownStringSweep(t *testing.T) {
	r := big(12)
	full := markdown(t, r)
	checkMarkdown(t, full)
	table := full[:strings.Index(full, "\n<details")]
	// Every size near the edges (nothing, the table alone, complete), and a stride through the rest.
	var sizes []int
	for m := 0; m <= len(full)+1; m++ {
		if m < 50 || abs(m-len(table)) < 400 || len(full)-m < 50 || m%53 == 0 {
			sizes = append(sizes, m)
		}
	}
	for _, m := range sizes {
		got := report.MarkdownString(r, m)
		if len(got) >= max(m, 1) {
			t.Fatalf("MarkdownString(%d) has %d bytes", m, len(got))
		}
		if !utf8.ValidString(got) {
			t.Fatalf("MarkdownString(%d) is not valid UTF-8", m)
		}
		if m > len(full) {
			if got != full {
				t.Fatalf("MarkdownString(%d) is cut", m)
			}
			continue
		}
		if strings.HasPrefix(got, table) {
			checkMarkdown(t, got)
			if !strings.Contains(got, "\n_Truncated: ") || !strings.HasSuffix(got, "._\n") {
				t.Fatalf("MarkdownString(%d) does not state its truncation:\n%s", m, got)
			}
			// Repository findings and errors come before package sections.
			if strings.Count(got, "<details") > 0 && !strings.Contains(got, "**Could not finish:**") {
				t.Fatalf("MarkdownString(%d) kept a package section but not the errors", m)
			}
		}
		if t.Failed() {
			t.Fatalf("MarkdownString(%d):\n%s", m, got)
		}
		if m >= len(table)+400 && !strings.HasPrefix(got, table) {
			t.Fatalf("MarkdownString(%d) lost the summary table", m)
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestMarkdownStringLarge: a lockfile refresh with thousands of packages still gives a review body under
// GitHub's limit whose table keeps the blocked packages and says how many rows it left out.
func TestMarkdownStringLarge(t *testing.T) {
	r := &report.Report{}
	for i := range 3000 {
		p := report.Package{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%04d", i), From: "1.0.0", To: "1.0.1"}
		switch {
		case i%100 == 99:
			p.Findings = []finding.Finding{{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "index.js", Line: 1, Message: "foreign", Snippet: "+x\n"}}
		case i%10 == 5:
			p.Findings = []finding.Finding{{Rule: finding.RuleFileDiffers, Severity: finding.Warn, Path: "index.js", Message: "differs"}}
		}
		r.Packages = append(r.Packages, p)
	}
	r.Finalize()
	got := report.MarkdownString(r, report.MaxMarkdown)
	if len(got) >= report.MaxMarkdown {
		t.Fatalf("%d bytes", len(got))
	}
	checkMarkdown(t, got)
	if n := strings.Count(got, "| ⛔ block |"); n != 30 {
		t.Errorf("%d blocked rows kept, want all 30", n)
	}
	if n := strings.Count(got, "| ⚠️ warn |"); n != 300 {
		t.Errorf("%d warned rows kept, want all 300", n)
	}
	if !regexp.MustCompile(`\| … \| \| \| [0-9]+ more packages: 0 blocked, 0 to look at, [0-9]+ passed \|`).MatchString(got) {
		t.Error("no row counting the omitted rows")
	}
	if !regexp.MustCompile(`_Truncated: 330 package sections \(330 findings\) omitted, [0-9]+ table rows omitted`).MatchString(got) {
		t.Errorf("truncation note: %s", got[strings.LastIndex(got, "\n_Truncated"):])
	}
}

// TestMarkdownStringLongSnippet: one finding whose snippet alone is over the limit keeps its first lines,
// inside its fence, with a line saying the snippet was cut.
func TestMarkdownStringLongSnippet(t *testing.T) {
	var snippet strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&snippet, "+ injected line %d\n", i)
	}
	r := &report.Report{Packages: []report.Package{{Ecosystem: "npm", Name: "p", To: "1.0.0", Findings: []finding.Finding{
		{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "index.js", Line: 1, Message: "foreign", Snippet: snippet.String()},
		{Rule: finding.RuleForeignLines, Severity: finding.Block, Path: "other.js", Line: 1, Message: "foreign too"},
	}}}}
	r.Finalize()
	got := report.MarkdownString(r, report.MaxMarkdown)
	if len(got) >= report.MaxMarkdown || len(got) < report.MaxMarkdown-500 {
		t.Errorf("%d bytes: want just under %d", len(got), report.MaxMarkdown)
	}
	checkMarkdown(t, got)
	for _, want := range []string{"\n+ injected line 0\n", "… (snippet cut to fit)\n```\n", "_1 more finding of this package omitted._",
		"_Truncated: 1 more finding omitted from a shortened section, 1 finding shortened to stay"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q", want)
		}
	}
}

// TestMarkdownStringKeepsChangedLines: when a snippet must be cut, its context lines go before its changed
// lines: the injected line of the incident survives every body that shows part of its snippet.
func TestMarkdownStringKeepsChangedLines(t *testing.T) {
	r := incident()
	full := markdown(t, r)
	cuts := 0
	for m := 0; m < len(full); m++ {
		got := report.MarkdownString(r, m)
		if !strings.Contains(got, "(snippet cut to fit)") {
			continue
		}
		cuts++
		if !strings.Contains(got, "```diff\n+        Bcc: 'drop@mail.example',\n") {
			t.Fatalf("MarkdownString(%d): the injected line did not survive:\n%s", m, got)
		}
	}
	if cuts == 0 {
		t.Error("no size cuts the snippet")
	}
}
