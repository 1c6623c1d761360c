package analysis_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/signals"
	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// publishedPackage downloads and unpacks name@version from the fixture world's registry.
func publishedPackage(t testing.TB, name, version string) *archive.Package {
	t.Helper()
	env := world.Env(t.TempDir())
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := cfg.Registry.Version(ctx, name, version)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := cfg.Registry.Tarball(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := archive.ReadTarGz(bytes.NewReader(tgz), archive.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// fileSize is the size of a file of a published fixture package.
func fileSize(t testing.TB, name, version, path string) int {
	t.Helper()
	f, ok := publishedPackage(t, name, version).File(path)
	if !ok {
		t.Fatalf("%s@%s has no %s", name, version, path)
	}
	return len(f.Data)
}

// engineWith returns an engine on the fixture world with the given bundle limits.
func engineWith(t testing.TB, lim analysis.BundleLimits) *analysis.Engine {
	t.Helper()
	env := world.Env(t.TempDir())
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bundle = lim
	return analysis.New(cfg)
}

// ofRule returns a package's findings of one rule.
func ofRule(p report.Package, rule string) []finding.Finding {
	var out []finding.Finding
	for _, f := range p.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// dumpFindings formats findings for failure messages.
func dumpFindings(p report.Package) string {
	var b strings.Builder
	for _, f := range p.Findings {
		fmt.Fprintf(&b, "\n  %s [%s] %s:%d %s | %s", f.Rule, f.Severity, f.Path, f.Line, f.Message, f.Evidence)
	}
	return b.String()
}

// bundleCase is one bump of a bundled MCP server and what the review must say about it.
type bundleCase struct {
	name    string
	spec    string
	lim     analysis.BundleLimits
	verdict report.Verdict
	exit    int
	// rule, when set, must be reported count times, each at path:line with msg in its message and
	// evidence in its evidence; "" means no blocking finding at all.
	rule     string
	count    int
	line     int
	msg      []string
	evidence []string
	// values must each be named by one of the rule's findings.
	values []string
	// unverified is what the rule's findings must say about whether the search was complete.
	unverified bool
	// explained, when set, must be in the evidence of every diff/new-capability finding of the bundle.
	explained string
}

func checkBundleCase(t *testing.T, e *analysis.Engine, tc bundleCase) {
	t.Helper()
	rep, err := e.Check(context.Background(), []analysis.Request{parse(t, tc.spec)})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Packages[0]
	if rep.Verdict != tc.verdict || rep.ExitCode() != tc.exit {
		t.Errorf("verdict %s exit %d, want %s exit %d%s", rep.Verdict, rep.ExitCode(), tc.verdict, tc.exit, dumpFindings(p))
	}
	if tc.rule == "" {
		for _, f := range p.Findings {
			if f.Severity == finding.Block {
				t.Errorf("unexpected blocking finding %s: %s%s", f.Rule, f.Message, dumpFindings(p))
			}
		}
	} else {
		got := ofRule(p, tc.rule)
		if len(got) != tc.count {
			t.Errorf("%d %s findings, want %d%s", len(got), tc.rule, tc.count, dumpFindings(p))
		}
		for _, v := range tc.values {
			named := false
			for _, f := range got {
				named = named || strings.Contains(f.Message, v)
			}
			if !named {
				t.Errorf("no %s finding names %q%s", tc.rule, v, dumpFindings(p))
			}
		}
		for _, f := range got {
			if f.Severity != finding.Block || f.Unverified != tc.unverified {
				t.Errorf("%s: severity %s unverified %v, want block unverified %v", f.Rule, f.Severity, f.Unverified, tc.unverified)
			}
			if strings.HasPrefix(f.Message, "…and") {
				continue
			}
			if f.Path != fixtures.BundleFile || (tc.line != 0 && f.Line != tc.line) {
				t.Errorf("%s at %s:%d, want %s:%d", f.Rule, f.Path, f.Line, fixtures.BundleFile, tc.line)
			}
			for _, s := range tc.msg {
				if !strings.Contains(f.Message, s) {
					t.Errorf("%s message %q lacks %q", f.Rule, f.Message, s)
				}
			}
			for _, s := range tc.evidence {
				if !strings.Contains(f.Evidence, s) {
					t.Errorf("%s evidence %q lacks %q", f.Rule, f.Evidence, s)
				}
			}
		}
	}
	if tc.explained != "" {
		caps := ofRule(p, signals.RuleNewCapability)
		if len(caps) == 0 {
			t.Errorf("no %s finding%s", signals.RuleNewCapability, dumpFindings(p))
		}
		for _, f := range caps {
			if f.Severity == finding.Block || !strings.Contains(f.Evidence, tc.explained) {
				t.Errorf("%s [%s] evidence %q lacks %q", f.Rule, f.Severity, f.Evidence, tc.explained)
			}
		}
	}
}

// TestBundleChanges: what a minified bundle gained since the previous version is blocked unless the upstream
// source at the compared commit, or a dependency whose pin the upstream lockfile changed, has it — and every
// search limit, at its boundary, turns an unexplained value into an unverified finding rather than a pass.
func TestBundleChanges(t *testing.T) {
	evilCommit := world.Commits["acme/bundled-mcp"][0]
	honestCommit := world.Commits["acme/bundled-mcp-honest"][1]
	evilBundle, _ := publishedPackage(t, "@acme/bundled-mcp", "1.1.0-evil").File(fixtures.BundleFile)
	evilLine := lineOf(t, string(evilBundle.Data), "collect.evil-metrics.xyz")
	honestTree := fixturesTree(t, "acme/bundled-mcp-honest", 2)
	honestLine := lineOf(t, honestTree["src/index.ts"], "await fetch(collector")
	// The honest tree is searched code first: src/convert.ts, then src/index.ts, which has the call.
	twoFiles := int64(len(honestTree["src/convert.ts"]) + len(honestTree["src/index.ts"]))
	// 1.0.1's changed pins are searched in order: @acme/eslint-config@2.1.0, then @acme/telemetry@1.1.0,
	// whose index.js (its first file) has the call.
	depBytes := int64(fileSize(t, "@acme/eslint-config", "2.1.0", "index.js") + fileSize(t, "@acme/eslint-config", "2.1.0", "package.json") +
		fileSize(t, "@acme/telemetry", "1.1.0", "index.js"))
	const (
		evil   = "@acme/bundled-mcp@1.0.0..1.1.0-evil"
		dep    = "@acme/bundled-mcp@1.0.0..1.0.1"
		honest = "@acme/bundled-mcp-honest@1.0.0..1.1.0"
	)
	unchecked := func(name, spec string, lim analysis.BundleLimits, evidence string) bundleCase {
		return bundleCase{name: name, spec: spec, lim: lim, verdict: report.Block, exit: 3, rule: signals.RuleUnexplainedBundleChange,
			count: 3, line: evilLine, unverified: true, msg: []string{"unverified"}, evidence: []string{evidence}}
	}
	tests := []bundleCase{
		{name: "evil", spec: evil, verdict: report.Block, exit: 1, rule: signals.RuleUnexplainedBundleChange, count: 3, line: evilLine,
			msg:      []string{report.ShortCommit(evilCommit), "since 1.0.0", "neither the upstream source"},
			values:   []string{"gained host collect.evil-metrics.xyz", "gained fetch() call", "gained serialisation of process.env (into JSON.stringify(…))"},
			evidence: []string{"searched 6 upstream files", evilCommit, "package-lock.json pins 0 dependency versions"}},
		{name: "honest upstream change", spec: honest, verdict: report.Warn, exit: 0,
			explained: fmt.Sprintf("explained by upstream src/index.ts:%d at %s", honestLine, report.ShortCommit(honestCommit))},
		{name: "bumped dependency", spec: dep, verdict: report.Warn, exit: 0,
			explained: "explained by dependency @acme/telemetry@1.1.0 (index.js:5; pinned in package-lock.json:"},
		{name: "added package", spec: "@acme/bundled-mcp@1.1.0-evil", verdict: report.Warn, exit: 0},

		{name: "MaxSourceFiles reaches the source", spec: honest, lim: analysis.BundleLimits{MaxSourceFiles: 2}, verdict: report.Warn, exit: 0,
			explained: "explained by upstream src/index.ts"},
		unchecked("MaxSourceFiles stops before it", honest, analysis.BundleLimits{MaxSourceFiles: 1}, "the limit of 1 files was reached"),
		{name: "MaxSourceBytes reaches the source", spec: honest, lim: analysis.BundleLimits{MaxSourceBytes: twoFiles}, verdict: report.Warn, exit: 0,
			explained: "explained by upstream src/index.ts"},
		unchecked("MaxSourceBytes stops before it", honest, analysis.BundleLimits{MaxSourceBytes: twoFiles - 1}, fmt.Sprintf("the limit of %d bytes was reached", twoFiles-1)),
		{name: "MaxDependencies reaches the dependency", spec: dep, lim: analysis.BundleLimits{MaxDependencies: 2}, verdict: report.Warn, exit: 0,
			explained: "explained by dependency @acme/telemetry@1.1.0"},
		unchecked("MaxDependencies stops before it", dep, analysis.BundleLimits{MaxDependencies: 1}, "1 of 2 candidate dependencies were not searched"),
		{name: "MaxDependencyBytes reaches the dependency", spec: dep, lim: analysis.BundleLimits{MaxDependencyBytes: depBytes}, verdict: report.Warn, exit: 0,
			explained: "explained by dependency @acme/telemetry@1.1.0"},
		unchecked("MaxDependencyBytes stops before it", dep, analysis.BundleLimits{MaxDependencyBytes: depBytes - 1}, "index.js of @acme/telemetry@1.1.0 and later files were not read"),
		{name: "MaxFindings lists all", spec: evil, lim: analysis.BundleLimits{MaxFindings: 3}, verdict: report.Block, exit: 1,
			rule: signals.RuleUnexplainedBundleChange, count: 3, line: evilLine},
		{name: "MaxFindings summarises the rest", spec: evil, lim: analysis.BundleLimits{MaxFindings: 2}, verdict: report.Block, exit: 1,
			rule: signals.RuleUnexplainedBundleChange, count: 3, line: evilLine, values: []string{"…and 1 more"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkBundleCase(t, engineWith(t, tc.lim), tc)
		})
	}
}

// miniWorld is a registry and git server of its own, for bundle cases the shared fixture world does not
// hold (broken lockfiles, unpublished dependencies, large bundles).
type miniWorld struct {
	gitRoot string
	git     *testenv.GitServer
	reg     *testenv.NPMRegistry
	env     map[string]string
}

func newMiniWorld(t testing.TB) *miniWorld {
	t.Helper()
	dir := t.TempDir()
	w := &miniWorld{gitRoot: filepath.Join(dir, "git"), reg: testenv.NewNPMRegistry("")}
	w.git = testenv.NewGitServer(w.gitRoot)
	w.env = map[string]string{
		"npm_config_registry":  w.reg.Start(),
		"MCPVET_GITHUB_URL":    w.git.Start(),
		"MCPVET_CACHE_DIR":     filepath.Join(dir, "cache"),
		"MCPVET_OSV_API":       "off",
		"MCPVET_PYPI_URL":      "off",
		"MCPVET_SCORECARD_API": "off",
	}
	t.Cleanup(func() { w.git.Close(); w.reg.Close() })
	return w
}

// engine returns an engine on the mini world (no advisories, Scorecard or repository identity lookups).
func (w *miniWorld) engine(t testing.TB, lim analysis.BundleLimits) *analysis.Engine {
	t.Helper()
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return w.env[k] }, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Identity, cfg.Bundle = nil, lim
	return analysis.New(cfg)
}

// repo builds github.com/acme/<name> and returns its commits.
func (w *miniWorld) repo(t testing.TB, name string, commits []testenv.Commit) []string {
	t.Helper()
	shas, err := testenv.BuildRepo(context.Background(), filepath.Join(w.gitRoot, "acme", name+".git"), commits)
	if err != nil {
		t.Fatal(err)
	}
	return shas
}

// publish publishes files as name@version with the registry-only fields in extra.
func (w *miniWorld) publish(name, version string, files map[string]string, extra map[string]any) {
	m := map[string]any{"keywords": []string{"mcp"}, "repository": "github:acme/" + strings.TrimPrefix(name, "@mini/")}
	for k, v := range extra {
		m[k] = v
	}
	tar := map[string][]byte{}
	for p, c := range files {
		tar[p] = []byte(c)
	}
	w.reg.Publish(name, version, testenv.Version{Manifest: m, Tarball: testenv.BuildTarball("package", tar)})
}

// miniDep is @mini/dep: 1.1.0 has fixtures.ExfiltratingCall.
func miniDep(version string) map[string]string {
	code := "export function log(m) { console.error(m); }\n"
	if version != "1.0.0" {
		code = "export function log(m) { console.error(m); " + fixtures.ExfiltratingCall + "; }\n"
	}
	return map[string]string{
		"package.json": `{"name": "@mini/dep", "version": "` + version + `", "type": "module", "main": "index.js"}`,
		"index.js":     code,
	}
}

// miniSources is a small server that bundles @mini/dep and a CommonJS module (so the bundle carries
// esbuild's module runtime).
func miniSources(name string) map[string]string {
	return map[string]string{
		"package.json":     `{"name": "@mini/` + name + `", "version": "0.0.0-dev", "type": "module", "bin": {"mini": "dist/index.js"}, "keywords": ["mcp"]}` + "\n",
		"src/index.ts":     "import { log } from \"@mini/dep\";\nimport data from \"./data.cjs\";\nexport function main(): void {\n  log(String(data.n));\n}\nmain();\n",
		"src/data.cjs":     "module.exports = { n: 42 };\n",
		"README.md":        "# mini\n",
		"docs/notes.md":    "Nothing here.\n",
		"assets/logo.png":  "\x89PNG\r\n\x1a\n\x00\x00",
		"src/types.d.ts":   "export type N = number;\n",
		"scripts/build.sh": "#!/bin/sh\nesbuild src/index.ts --bundle\n",
	}
}

// npmLock is a package-lock.json pinning @mini/dep at version.
func npmLock(version string) string { return npmLockWith(version, "") }

// npmLockWith is npmLock with an integrity for the pin, when not "".
func npmLockWith(version, integrity string) string {
	extra := ""
	if integrity != "" {
		extra = `
      "integrity": "` + integrity + `",`
	}
	return `{
  "name": "mini",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "mini", "devDependencies": { "@mini/dep": "^` + version + `" } },
    "node_modules/@mini/dep": {
      "version": "` + version + `",
      "resolved": "https://registry.npmjs.org/@mini/dep/-/dep-` + version + `.tgz",` + extra + `
      "dev": true
    }
  }
}
`
}

// yarnLock is a yarn.lock (classic) pinning @mini/dep at version.
func yarnLock(version string) string {
	return "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n" +
		`"@mini/dep@^` + version + `":` + "\n  version \"" + version + "\"\n  resolved \"https://registry.yarnpkg.com/@mini/dep/-/dep-" + version + ".tgz\"\n"
}

// miniBundle publishes @mini/<name>@version: the sources bundled with @mini/dep at depVersion, package.json
// (with the version set, as npm does) and, with readme, README.md.
func (w *miniWorld) miniBundle(t testing.TB, name, version, depVersion string, readme bool, extra map[string]any) {
	t.Helper()
	src := miniSources(name)
	for p, c := range miniDep(depVersion) {
		src["node_modules/@mini/dep/"+p] = c
	}
	out, err := fixtures.Bundle(src, "src/index.ts")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"package.json": strings.Replace(src["package.json"], "0.0.0-dev", version, 1), fixtures.BundleFile: string(out)}
	if readme {
		files["README.md"] = src["README.md"]
	}
	w.publish("@mini/"+name, version, files, extra)
}

// TestBundleLockfiles: the dependency step reads package-lock.json and yarn.lock, falls back to every
// pinned dependency when the previous version's commit is unknown, and reports an unverified finding —
// never a pass — when the lockfile is missing or unreadable or a changed dependency cannot be fetched.
func TestBundleLockfiles(t *testing.T) {
	w := newMiniWorld(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		w.publish("@mini/dep", v, miniDep(v), map[string]any{"repository": nil, "keywords": nil})
	}
	tests := []struct {
		name         string
		lock1, lock2 map[string]string // lockfiles of commits 1 and 2 ("" content deletes)
		fromGitHead  bool              // false: 1.0.0 cannot be matched to a commit
		verdict      report.Verdict
		exit         int
		rule         string
		evidence     string // in the new finding's evidence, or (no rule) in every diff/new-capability's
		note         string // in the upstream notes, when set
		message      string // in the new finding's message, when set
	}{
		{name: "package-lock bump", lock1: map[string]string{"package-lock.json": npmLock("1.0.0")}, lock2: map[string]string{"package-lock.json": npmLock("1.1.0")},
			fromGitHead: true, verdict: report.Warn, evidence: "explained by dependency @mini/dep@1.1.0 (index.js:1; pinned in package-lock.json:",
			note: "package-lock.json pins 1 dependency version at"},
		{name: "yarn.lock bump", lock1: map[string]string{"yarn.lock": yarnLock("1.0.0")}, lock2: map[string]string{"yarn.lock": yarnLock("1.1.0")},
			fromGitHead: true, verdict: report.Warn, evidence: "explained by dependency @mini/dep@1.1.0 (index.js:1; pinned in yarn.lock:"},
		{name: "previous commit unknown: every pin searched", lock1: map[string]string{"package-lock.json": npmLock("1.0.0")}, lock2: map[string]string{"package-lock.json": npmLock("1.1.0")},
			verdict: report.Warn, evidence: "explained by dependency @mini/dep@1.1.0", note: "which pins changed since 1.0.0 is unknown (no upstream commit matches 1.0.0)"},
		{name: "unchanged pin explains nothing", lock1: map[string]string{"package-lock.json": npmLock("1.1.0")}, lock2: map[string]string{"package-lock.json": npmLock("1.1.0")},
			fromGitHead: true, verdict: report.Block, exit: 1, rule: signals.RuleUnexplainedBundleChange, evidence: "pins 0 dependency versions",
			message: "nor a dependency whose pin changed in its lockfile has"},
		{name: "previous commit unknown: no pin explains it", lock1: map[string]string{"package-lock.json": npmLock("1.0.0")}, lock2: map[string]string{"package-lock.json": npmLock("1.0.0")},
			verdict: report.Block, exit: 1, rule: signals.RuleUnexplainedBundleChange, evidence: "which pins changed since 1.0.0 is unknown",
			message: "nor a dependency its lockfile pins has"},
		{name: "malformed lockfile", lock1: map[string]string{"package-lock.json": npmLock("1.0.0")}, lock2: map[string]string{"package-lock.json": `{"lockfileVersion": 3, "packages": {`},
			fromGitHead: true, verdict: report.Block, exit: 3, rule: signals.RuleUnexplainedBundleChange, evidence: "the lockfile package-lock.json at",
			message: "nor a pinned dependency (no lockfile could be read) has"},
		{name: "pinned integrity differs from the registry's", lock1: map[string]string{"package-lock.json": npmLock("1.0.0")},
			lock2:       map[string]string{"package-lock.json": npmLockWith("1.1.0", "sha512-"+strings.Repeat("A", 86)+"==")},
			fromGitHead: true, verdict: report.Block, exit: 3, rule: signals.RuleUnexplainedBundleChange, evidence: "the lockfile pins integrity sha512-AAAA"},
		{name: "no lockfile", fromGitHead: true, verdict: report.Block, exit: 3, rule: signals.RuleUnexplainedBundleChange, evidence: "no npm lockfile"},
		{name: "changed pin not in the registry", lock1: map[string]string{"package-lock.json": npmLock("1.0.0")}, lock2: map[string]string{"package-lock.json": npmLock("1.2.0")},
			fromGitHead: true, verdict: report.Block, exit: 3, rule: signals.RuleUnexplainedBundleChange, evidence: "dependency @mini/dep@1.2.0 is not in the registry"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("case%d", i)
			c1 := miniSources(name)
			for p, c := range tc.lock1 {
				c1[p] = c
			}
			c2 := map[string]string{"CHANGELOG.md": "1.1.0\n"}
			for p, c := range tc.lock2 {
				c2[p] = c
			}
			shas := w.repo(t, name, []testenv.Commit{{Message: "one", Files: c1}, {Message: "two", Files: c2}})
			if tc.fromGitHead {
				w.miniBundle(t, name, "1.0.0", "1.0.0", true, map[string]any{"gitHead": shas[0]})
			} else {
				// No gitHead, no tag, no README: no file of 1.0.0 is in any commit.
				w.miniBundle(t, name, "1.0.0", "1.0.0", false, nil)
			}
			w.miniBundle(t, name, "1.1.0", "1.1.0", true, map[string]any{"gitHead": shas[1]})
			rep, err := w.engine(t, analysis.BundleLimits{}).Check(context.Background(), []analysis.Request{parse(t, "@mini/"+name+"@1.0.0..1.1.0")})
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Packages[0]
			if rep.Verdict != tc.verdict || rep.ExitCode() != tc.exit {
				t.Errorf("verdict %s exit %d, want %s exit %d%s", rep.Verdict, rep.ExitCode(), tc.verdict, tc.exit, dumpFindings(p))
			}
			if tc.note != "" && (p.Upstream == nil || !strings.Contains(strings.Join(p.Upstream.Notes, "\n"), tc.note)) {
				t.Errorf("upstream notes lack %q: %+v", tc.note, p.Upstream)
			}
			if tc.rule == "" {
				for _, f := range ofRule(p, signals.RuleNewCapability) {
					if !strings.Contains(f.Evidence, tc.evidence) {
						t.Errorf("%s evidence %q lacks %q", f.Rule, f.Evidence, tc.evidence)
					}
				}
				return
			}
			got := ofRule(p, tc.rule)
			if len(got) == 0 {
				t.Fatalf("no %s finding%s", tc.rule, dumpFindings(p))
			}
			for _, f := range got {
				if !strings.Contains(f.Message, tc.message) {
					t.Errorf("%s message %q lacks %q", f.Rule, f.Message, tc.message)
				}
				if f.Path != fixtures.BundleFile || f.Line != 2 || !strings.Contains(f.Evidence, tc.evidence) {
					t.Errorf("%s at %s:%d, evidence %q: want %s:2 and %q", f.Rule, f.Path, f.Line, f.Evidence, fixtures.BundleFile, tc.evidence)
				}
				if f.Severity != finding.Block || f.Unverified != (tc.exit == 3) {
					t.Errorf("%s: severity %s unverified %v, want block unverified %v", f.Rule, f.Severity, f.Unverified, tc.exit == 3)
				}
			}
		})
	}
}

// TestBundleHostileNames: names read from the upstream tree are shown quoted when they hold control or
// format characters, so evidence cannot rewrite a terminal or reorder text.
func TestBundleHostileNames(t *testing.T) {
	w := newMiniWorld(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		w.publish("@mini/dep", v, miniDep(v), map[string]any{"repository": nil, "keywords": nil})
	}
	const name = "hostile"
	evilName := "src/\x1b[2J\u202eevil.ts"
	c1 := miniSources(name)
	c1["package-lock.json"] = npmLock("1.0.0")
	shas := w.repo(t, name, []testenv.Commit{{Message: "one", Files: c1},
		{Message: "two", Files: map[string]string{evilName: "export const f = () => " + fixtures.ExfiltratingCall + ";\n"}}})
	w.miniBundle(t, name, "1.0.0", "1.0.0", true, map[string]any{"gitHead": shas[0]})
	w.miniBundle(t, name, "1.1.0", "1.1.0", true, map[string]any{"gitHead": shas[1]})
	rep, err := w.engine(t, analysis.BundleLimits{}).Check(context.Background(), []analysis.Request{parse(t, "@mini/"+name+"@1.0.0..1.1.0")})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Packages[0]
	if rep.Verdict != report.Warn {
		t.Errorf("verdict %s, want warn%s", rep.Verdict, dumpFindings(p))
	}
	want := "explained by upstream " + strconv.Quote(evilName) + ":1"
	caps := ofRule(p, signals.RuleNewCapability)
	if len(caps) == 0 {
		t.Fatalf("no %s finding%s", signals.RuleNewCapability, dumpFindings(p))
	}
	for _, f := range caps {
		if !strings.Contains(f.Evidence, want) {
			t.Errorf("evidence %q lacks %q", f.Evidence, want)
		}
	}
	for _, f := range p.Findings {
		if strings.ContainsAny(f.Message+f.Evidence, "\x1b\u202e") {
			t.Errorf("%s shows a raw control or bidi character: %q %q", f.Rule, f.Message, f.Evidence)
		}
	}
}

// TestBundleMonorepo: a package in a folder of its repository is explained by its own sources first, by a
// sibling package's sources (which a bundler inlines too), and by the lockfile at the repository root.
func TestBundleMonorepo(t *testing.T) {
	w := newMiniWorld(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		w.publish("@mini/dep", v, miniDep(v), map[string]any{"repository": nil, "keywords": nil})
	}
	tests := []struct {
		name      string
		commit2   map[string]string
		explained string
	}{
		{name: "root lockfile", commit2: map[string]string{"package-lock.json": npmLock("1.1.0")},
			explained: "explained by dependency @mini/dep@1.1.0 (index.js:1; pinned in package-lock.json:"},
		{name: "sibling package", commit2: map[string]string{"packages/shared/src/report.ts": "export const report = () => " + fixtures.ExfiltratingCall + ";\n"},
			explained: "explained by upstream packages/shared/src/report.ts:1"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("mono%d", i)
			c1 := map[string]string{"package.json": `{"name": "mono", "private": true, "workspaces": ["packages/*"]}` + "\n", "package-lock.json": npmLock("1.0.0")}
			for p, c := range miniSources(name) {
				c1["packages/srv/"+p] = c
			}
			shas := w.repo(t, name, []testenv.Commit{{Message: "one", Files: c1}, {Message: "two", Files: tc.commit2}})
			repo := map[string]any{"type": "git", "url": "git+https://github.com/acme/" + name + ".git", "directory": "packages/srv"}
			w.miniBundle(t, name, "1.0.0", "1.0.0", true, map[string]any{"gitHead": shas[0], "repository": repo})
			w.miniBundle(t, name, "1.1.0", "1.1.0", true, map[string]any{"gitHead": shas[1], "repository": repo})
			rep, err := w.engine(t, analysis.BundleLimits{}).Check(context.Background(), []analysis.Request{parse(t, "@mini/"+name+"@1.0.0..1.1.0")})
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Packages[0]
			if rep.Verdict != report.Warn || p.Upstream == nil || p.Upstream.Directory != "packages/srv" {
				t.Errorf("verdict %s, upstream %+v; want warn in packages/srv%s", rep.Verdict, p.Upstream, dumpFindings(p))
			}
			caps := ofRule(p, signals.RuleNewCapability)
			if len(caps) == 0 {
				t.Fatalf("no %s finding%s", signals.RuleNewCapability, dumpFindings(p))
			}
			for _, f := range caps {
				if !strings.Contains(f.Evidence, tc.explained) {
					t.Errorf("evidence %q lacks %q", f.Evidence, tc.explained)
				}
			}
		})
	}
}

// TestBundleNameLimits: an upstream file name in evidence is shown whole up to 300 bytes and cut with "…"
// beyond, and the searched dependency tarballs are listed up to 10, the rest counted.
func TestBundleNameLimits(t *testing.T) {
	w := newMiniWorld(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		w.publish("@mini/dep", v, miniDep(v), map[string]any{"repository": nil, "keywords": nil})
	}
	// pin lists n dependencies @mini/d00… at version, none of which has the bundle's new call.
	var deps []string
	for i := range 11 {
		d := fmt.Sprintf("@mini/d%02d", i)
		deps = append(deps, d)
		for _, v := range []string{"1.0.0", "1.1.0"} {
			w.publish(d, v, map[string]string{"package.json": `{"name": "` + d + `", "version": "` + v + `", "main": "index.js"}`, "index.js": "module.exports = 1;\n"},
				map[string]any{"repository": nil, "keywords": nil})
		}
	}
	pin := func(n int, version string) string {
		var b strings.Builder
		b.WriteString(`{"name": "mini", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "mini"}`)
		for _, d := range deps[:n] {
			fmt.Fprintf(&b, `, "node_modules/%s": {"version": "%s", "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz"}`, d, version, d, strings.TrimPrefix(d, "@mini/"), version)
		}
		return b.String() + "}}\n"
	}
	long := func(n int) string { // a file name of n bytes
		dir := "src/" + strings.Repeat("a", 200) + "/"
		return dir + strings.Repeat("b", n-len(dir)-len(".ts")) + ".ts"
	}
	listed := func(n int) string {
		var ks []string
		for _, d := range deps[:n] {
			ks = append(ks, d+"@1.1.0")
		}
		return "the published tarballs of " + strings.Join(ks, ", ")
	}
	tests := []struct {
		name    string
		commit2 map[string]string
		// want is in the evidence of every diff/new-capability finding (explained) or, with rule, of every
		// diff/unexplained-bundle-change finding; wantNot in none of them.
		want, wantNot string
		unexplained   bool
	}{
		{name: "name of 300 bytes", commit2: map[string]string{long(300): "export const f = () => " + fixtures.ExfiltratingCall + ";\n"},
			want: "explained by upstream " + long(300) + ":1"},
		{name: "name of 301 bytes", commit2: map[string]string{long(301): "export const f = () => " + fixtures.ExfiltratingCall + ";\n"},
			want: "explained by upstream " + long(301)[:300] + "…:1"},
		{name: "10 dependencies", commit2: map[string]string{"package-lock.json": pin(10, "1.1.0")}, unexplained: true,
			want: listed(10) + ";", wantNot: "more"},
		{name: "11 dependencies", commit2: map[string]string{"package-lock.json": pin(11, "1.1.0")}, unexplained: true,
			want: listed(10) + " and 1 more;"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("names%d", i)
			c1 := miniSources(name)
			c1["package-lock.json"] = pin(11, "1.0.0")
			shas := w.repo(t, name, []testenv.Commit{{Message: "one", Files: c1}, {Message: "two", Files: tc.commit2}})
			w.miniBundle(t, name, "1.0.0", "1.0.0", true, map[string]any{"gitHead": shas[0]})
			w.miniBundle(t, name, "1.1.0", "1.1.0", true, map[string]any{"gitHead": shas[1]})
			rep, err := w.engine(t, analysis.BundleLimits{}).Check(context.Background(), []analysis.Request{parse(t, "@mini/"+name+"@1.0.0..1.1.0")})
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Packages[0]
			rule, verdict := signals.RuleNewCapability, report.Warn
			if tc.unexplained {
				rule, verdict = signals.RuleUnexplainedBundleChange, report.Block
			}
			got := ofRule(p, rule)
			if rep.Verdict != verdict || len(got) == 0 {
				t.Fatalf("verdict %s with %d %s findings, want %s and some%s", rep.Verdict, len(got), rule, verdict, dumpFindings(p))
			}
			for _, f := range got {
				if !strings.Contains(f.Evidence, tc.want) || (tc.wantNot != "" && strings.Contains(f.Evidence, tc.wantNot)) {
					t.Errorf("%s evidence %q: want %q and not %q", f.Rule, f.Evidence, tc.want, tc.wantNot)
				}
			}
		})
	}
}
