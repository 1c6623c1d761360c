package mcpconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseFixtures reads every client format's fixture (testdata/<client>/…, written for these tests)
// and checks each server: name, line, transport, command and URL lines, packages (ecosystem, name,
// version, pinned, line, runner) and problems. See summary for the notation.
func TestParseFixtures(t *testing.T) {
	tests := []struct {
		path    string
		servers []string
	}{
		{"claude-code/.claude-plugin/plugin.json", []string{
			`acme@5 stdio cmd=uvx@6 | pypi acme-mcp 3.1.0 pinned @7 uvx`,
		}},
		{"claude-code/.mcp.json", []string{
			`weather@3 stdio cmd=npx@4 | npm @acme/weather-mcp 1.2.3 pinned @5 npx`,
			`search@8 http url=https://mcp.example.com/mcp@10`,
			`events@13 sse url=${EVENTS_URL:-https://events.example.com/sse}@13`,
			`latest@14 stdio cmd=npx@15 | npm postmark-mcp latest unpinned @18 npx`,
			`templated@21 stdio cmd=npx@21 | unresolvable(placeholder ${MCP_PACKAGE} in the package position: unresolvable) @21 npx`,
			`local@22 stdio cmd=node@22 | unresolvable(local code: ./build/index.js) @22 node`,
		}},
		{"claude-code/plugin/.mcp.json", []string{
			`plugin-db@2 stdio cmd=${CLAUDE_PLUGIN_ROOT}/servers/db-server@3 | unresolvable(local code: ${CLAUDE_PLUGIN_ROOT}/servers/db-server) @3 -`,
			`plugin-api@6 stdio cmd=npx@7 | npm @acme/api-mcp 2.0.0-beta.1 pinned @8 npx`,
		}},
		{"claude-desktop/claude_desktop_config.json", []string{
			`filesystem@3 stdio cmd=C:\Program Files\nodejs\npx.cmd@4 | npm @modelcontextprotocol/server-filesystem 2025.8.21 pinned @5 npx`,
			`windows@7 stdio cmd=cmd@8 | npm @acme/win-mcp ^1.4.0 unpinned @9 npx`,
			`fetch@11 stdio cmd=uvx@12 | pypi mcp-server-fetch - unpinned @13 uvx`,
			`github@15 stdio cmd=docker@16 | oci ghcr.io/github/github-mcp-server v0.13.0 unpinned @23 docker`,
			`remote@27 stdio cmd=npx@28 url=https://remote.example.com/sse@29 | npm mcp-remote 0.1.29 pinned @29 npx`,
		}},
		{"cline/cline_mcp_settings.json", []string{
			`brave@3 stdio disabled cmd=npx@4 | npm @modelcontextprotocol/server-brave-search 0.6.2 pinned @5 npx`,
			`stream@10 http url=https://mcp.example.com/mcp@10`,
		}},
		{"codex/.codex/config.toml", []string{
			`context7@3 stdio cmd=npx@4 | npm @upstash/context7-mcp 1.0.14 pinned @5 npx`,
			`io.github.acme@7 stdio cmd=uvx@8 | pypi acme-mcp 0.4.0 pinned @11 uvx`,
			`remote@16 http url=https://mcp.example.com/mcp@17`,
			`off@20 stdio disabled cmd=dnx@21 | nuget Acme.Mcp 0.4.0-beta pinned @22 dnx`,
		}},
		{"continue/.continue/config.yaml", []string{
			`docker@6 stdio cmd=docker@7 | oci mcp/fetch sha256:2f3c5ab6c0f5e2e9b1d7d84c0f0b6f1a3e5d7c9b1a3f5e7d9c1b3a5f7e9d1c3b pinned @8 docker`,
		}},
		{"continue/.continue/mcpServers/claude.json", []string{
			`sqlite@3 stdio cmd=uvx@3 | pypi mcp-server-sqlite 0.6.2 pinned @3 uvx`,
		}},
		{"continue/.continue/mcpServers/fetch.yaml", []string{
			`fetch@5 stdio cmd=uvx@6 | pypi mcp-server-fetch 2025.4.7 pinned @8 uvx`,
			`remote@11 http url=https://mcp.example.com/mcp@13`,
			`secret-pkg@14 stdio cmd=npx@15 | unresolvable(placeholder ${{ secrets.PACKAGE }} in the package position: unresolvable) @16 npx`,
			`acme/memory-mcp@17 - | unresolvable(Continue Hub block "acme/memory-mcp": its contents are on the hub, not in the repository) @17 continue`,
		}},
		{"cursor/.cursor/mcp.json", []string{
			`linear@3 http url=https://mcp.linear.app/sse@3`,
			`db@4 stdio cmd=npx@5 | npm @acme/db-mcp 0.9.1 pinned @6 npx ! env npm_config_registry at line 7 redirects the package registry: packages may not come from the public registry`,
			`http-typed@9 http url=https://mcp.example.com/mcp@9`,
		}},
		{"gemini/.gemini/settings.json", []string{
			`sse-server@4 sse url=https://mcp.example.com/sse@4`,
			`http-server@5 http url=https://mcp.example.com/mcp@5`,
			`pipx@6 stdio cmd=pipx@6 | pypi mcp-tools 2.0.1 pinned @6 pipx run`,
		}},
		{"gemini/ext/gemini-extension.json", []string{
			`acme@5 stdio cmd=node@5 | unresolvable(local code: ${extensionPath}/dist/server.js) @5 node`,
		}},
		{"goose/goose/config.yaml", []string{
			`developer@3 builtin`,
			`github@8 stdio cmd=npx@12 | npm @modelcontextprotocol/server-github 2025.4.8 pinned @15 npx`,
			`remote@18 http disabled url=https://mcp.example.com/mcp@21`,
		}},
		{"kilo/.kilocode/mcp.json", []string{
			`context7@3 http url=https://mcp.context7.com/mcp@3`,
			`yarn@4 stdio cmd=yarn@4 | npm @acme/yarn-mcp 2.1.0 pinned @4 yarn dlx`,
		}},
		{"kiro/.kiro/settings/mcp.json", []string{
			`aws-docs@3 stdio cmd=uvx@4 | pypi awslabs-aws-documentation-mcp-server 1.1.2 pinned @5 uvx`,
		}},
		{"librechat/librechat.yaml", []string{
			`everything@9 stdio cmd=npx@10 | npm @modelcontextprotocol/server-everything 2025.9.12 pinned @13 npx`,
			`sse-default@14 sse url=http://localhost:3001/sse@15`,
			`http@16 http url=https://mcp.example.com/mcp@18`,
		}},
		{"mcpb/bundle/manifest.json", []string{
			`acme-files@6 stdio cmd=node@10 | mcpb acme-files 1.4.2 pinned @4 mcpb`,
		}},
		{"mcpb/webapp/manifest.json", []string{}},
		{"opencode/.opencode/opencode.json", []string{
			`gitlab@3 stdio cmd=docker@3 | oci registry.gitlab.com/acme/mcp 1.2 unpinned @3 docker`,
		}},
		{"opencode/opencode.jsonc", []string{
			`everything@5 stdio cmd=npx@7 | npm @modelcontextprotocol/server-everything 2025.9.12 pinned @7 npx`,
			`remote@11 http disabled url=https://mcp.example.com/mcp@11`,
		}},
		{"registry/current/server.json", []string{
			`io.github.acme/weather@8 stdio | npm @acme/weather-mcp 1.2.3 pinned @11 server.json`,
			`io.github.acme/weather@15 stdio | pypi acme-weather-mcp 1.2.3 pinned @15 server.json`,
			`io.github.acme/weather@16 stdio | oci ghcr.io/acme/weather 1.2.3 unpinned @16 server.json`,
			`io.github.acme/weather@17 stdio | nuget Acme.Weather 1.2.3 pinned @17 server.json`,
			`io.github.acme/weather@18 stdio | mcpb https://github.com/acme/mcp/releases/download/v1.2.3/weather.mcpb sha256:fe333e598595000ae021bd27117db32ec69af6987f507ba7a63c90638ff633ce pinned @21 server.json`,
			`io.github.acme/weather@25 http url=https://mcp.acme.com/mcp@25`,
		}},
		{"registry/legacy/server.json", []string{
			`io.github.acme/old@6 stdio | npm @acme/old-mcp 0.3.0 pinned @6 server.json`,
		}},
		{"registry/other/server.json", []string{}},
		{"roo/.roo/mcp.json", []string{
			`pinned@3 stdio cmd=bunx@3 | npm @acme/roo-mcp 4.5.6 pinned @3 bunx`,
			`pnpm@4 stdio cmd=pnpm@4 | npm @acme/pnpm-mcp 1.0.0 pinned @4 pnpm dlx`,
		}},
		{"vscode/.vscode/mcp.json", []string{
			`io.github.microsoft/markitdown@9 stdio cmd=uvx@11 | pypi markitdown-mcp 0.0.1a4 pinned @12 uvx`,
			`playwright@16 stdio cmd=npx@17 | npm @playwright/mcp latest unpinned @18 npx`,
			`prompted@22 stdio cmd=npx@22 | unresolvable(placeholder ${input:pkg} in the package position: unresolvable) @22 npx`,
			`legacy-sse@23 sse url=http://localhost:3001/sse@23`,
			`workspace@24 stdio cmd=python@24 | unresolvable(local code: python -m my_server) @24 python`,
		}},
		{"vscode-legacy/.vscode/settings.json", []string{
			`redis@7 stdio cmd=uvx@9 | unresolvable(git spec "git+https://github.com/redis/mcp-redis.git": not a registry release) @10 uvx`,
			`time@15 stdio cmd=uvx@15 | pypi mcp-server-time 2025.9.25 pinned @15 uvx`,
		}},
		{"windsurf/mcp_config.json", []string{
			`confluent@3 stdio cmd=npx@4 | npm @confluentinc/mcp-confluent 1.0.4 pinned @5 npx`,
			`remote@7 http url=https://mcp.example.com/mcp@7`,
			`wrong-key@8 http url=https://mcp.example.com/sse@8 ! Windsurf connects to serverUrl; this entry's url is ignored by Windsurf`,
		}},
		{"zed/.zed/settings.json", []string{
			`legacy@4 stdio cmd=npx@6 | npm @acme/zed-legacy 1.0.0 pinned @7 npx`,
			`hexdocs@11 stdio cmd=npx@13 | npm hexdocs-mcp 0.5.0 pinned @14 npx`,
			`postgres@16 extension ! managed by a Zed extension: the package it launches is not visible in this file`,
			`remote@17 http url=https://mcp.example.com/mcp@17`,
		}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			seen[tc.path] = true
			data, err := os.ReadFile(filepath.Join("testdata", tc.path))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(tc.path, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			for _, s := range f.Servers {
				got = append(got, summary(s))
				if len(s.Args) != len(s.ArgLines) {
					t.Errorf("%s: %d args, %d arg lines", s.Name, len(s.Args), len(s.ArgLines))
				}
			}
			if (len(got) > 0 || len(tc.servers) > 0) && !reflect.DeepEqual(got, tc.servers) {
				t.Errorf("servers:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.servers, "\n      "))
			}
			if len(f.Problems) > 0 {
				t.Errorf("file problems: %q", f.Problems)
			}
		})
	}
	// Every fixture is in the table.
	filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+"fuzz"+string(filepath.Separator)) {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		if !seen[filepath.ToSlash(rel)] {
			t.Errorf("fixture %s has no test", rel)
		}
		return nil
	})
}

// TestParseClients checks that each fixture's path is detected as the right client.
func TestParseClients(t *testing.T) {
	for path, want := range map[string]Client{
		"claude-code/.mcp.json": ClaudeCode, "claude-code/plugin/.mcp.json": ClaudeCode,
		"claude-code/.claude-plugin/plugin.json": ClaudeCode, "claude-desktop/claude_desktop_config.json": ClaudeDesktop,
		"cursor/.cursor/mcp.json": Cursor, "vscode/.vscode/mcp.json": VSCode, "vscode-legacy/.vscode/settings.json": VSCode,
		"windsurf/mcp_config.json": Windsurf, "cline/cline_mcp_settings.json": Cline, "roo/.roo/mcp.json": Roo,
		"kilo/.kilocode/mcp.json": Kilo, "kiro/.kiro/settings/mcp.json": Kiro, "gemini/.gemini/settings.json": Gemini,
		"gemini/ext/gemini-extension.json": Gemini, "zed/.zed/settings.json": Zed,
		"continue/.continue/mcpServers/fetch.yaml": Continue, "continue/.continue/config.yaml": Continue,
		"codex/.codex/config.toml": Codex, "goose/goose/config.yaml": Goose, "librechat/librechat.yaml": LibreChat,
		"opencode/opencode.jsonc": OpenCode, "mcpb/bundle/manifest.json": MCPB, "registry/current/server.json": Registry,
	} {
		data, err := os.ReadFile(filepath.Join("testdata", path))
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(path, data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if f.Client != want {
			t.Errorf("%s: client %q, want %q", path, f.Client, want)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		path string
		want Client
		ok   bool
	}{
		{".mcp.json", ClaudeCode, true},
		{"plugins/db/.mcp.json", ClaudeCode, true},
		{"plugins/db/.claude-plugin/plugin.json", ClaudeCode, true},
		{"plugin.json", "", false},
		{"docs/claude_desktop_config.json", ClaudeDesktop, true},
		{".cursor/mcp.json", Cursor, true},
		{`.vscode\mcp.json`, VSCode, true},
		{".vscode/settings.json", VSCode, true},
		{"mcp.json", "", false},
		{"config/mcp.json", "", false},
		{"mcp_config.json", Windsurf, true},
		{".codeium/windsurf/mcp_config.json", Windsurf, true},
		{"cline_mcp_settings.json", Cline, true},
		{".roo/mcp.json", Roo, true},
		{".kilocode/mcp.json", Kilo, true},
		{".kiro/settings/mcp.json", Kiro, true},
		{"settings/mcp.json", "", false},
		{".gemini/settings.json", Gemini, true},
		{"gemini-extension.json", Gemini, true},
		{".zed/settings.json", Zed, true},
		{"dotfiles/.config/zed/settings.json", Zed, true},
		{"settings.json", "", false},
		{".continue/mcpServers/a.yaml", Continue, true},
		{".continue/mcpServers/a.yml", Continue, true},
		{".continue/mcpServers/a.json", Continue, true},
		{".continue/mcpServers/a.md", "", false},
		{".continue/config.yaml", Continue, true},
		{"mcpServers/a.yaml", "", false},
		{".codex/config.toml", Codex, true},
		{"config.toml", "", false},
		{"dotfiles/.config/goose/config.yaml", Goose, true},
		{"config.yaml", "", false},
		{"deploy/librechat.yaml", LibreChat, true},
		{"opencode.json", OpenCode, true},
		{"opencode.jsonc", OpenCode, true},
		{".opencode/opencode.json", OpenCode, true},
		{"bundle/manifest.json", MCPB, true},
		{"server.json", Registry, true},
		{"package.json", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := Detect(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Detect(%q) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseUnknownPath(t *testing.T) {
	_, err := Parse("package.json", []byte("{}"))
	if !errors.Is(err, ErrUnknownFile) || !strings.Contains(err.Error(), "package.json") {
		t.Fatalf("err = %v", err)
	}
}

// parseOne parses src as path and returns its single server's summary.
func parseOne(t *testing.T, path, src string) (*File, []string) {
	t.Helper()
	f, err := Parse(path, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var out []string
	for _, s := range f.Servers {
		out = append(out, summary(s))
	}
	return f, out
}

func TestArgsAndLines(t *testing.T) {
	f, _ := parseOne(t, ".mcp.json", `{"mcpServers": {"a": {
  "command": "npx",
  "args": [
    "-y",
    42,
    true,
    "pkg@1.0.0"
  ]}}}`)
	s := f.Servers[0]
	if want := []string{"-y", "42", "true", "pkg@1.0.0"}; !reflect.DeepEqual(s.Args, want) {
		t.Errorf("Args = %q, want %q", s.Args, want)
	}
	if want := []int{4, 5, 6, 7}; !reflect.DeepEqual(s.ArgLines, want) {
		t.Errorf("ArgLines = %v, want %v", s.ArgLines, want)
	}
	// npx takes "-y" as an option, then 42 as the package (a valid, if odd, npm name).
	if got := pkgSummary(s.Packages[0]); got != "npm 42 - unpinned @5 npx" {
		t.Errorf("package = %s", got)
	}
}

func TestCommandStringWithSpaces(t *testing.T) {
	_, got := parseOne(t, ".cursor/mcp.json", `{"mcpServers": {"a": {"command": "npx -y @acme/x@2.0.0"}}}`)
	want := []string{"a@1 stdio cmd=npx -y @acme/x@2.0.0@1 | npm @acme/x 2.0.0 pinned @1 npx"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestDuplicateKeys(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		f, got := parseOne(t, ".mcp.json", `{
  "mcpServers": {
    "a": {"command": "npx", "args": ["x@1.0.0"]},
    "a": {"command": "npx", "args": ["evil@6.6.6"], "args": ["evil@6.6.7"]}
  },
  "mcpServers2": 1, "mcpServers2": 2
}`)
		want := []string{`a@4 stdio cmd=npx@4 | npm evil 6.6.7 pinned @4 npx ! duplicate server name "a" at line 4 (first at line 3): the last one wins; duplicate key "args" in this entry at line 4 (first at line 4): the last one wins`}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
		if want := []string{`duplicate key "mcpServers2" at line 6 (first at line 6): the last one wins`}; !reflect.DeepEqual(f.Problems, want) {
			t.Errorf("file problems %q", f.Problems)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		_, got := parseOne(t, "librechat.yaml", "mcpServers:\n  a:\n    command: npx\n    args: [x@1.0.0]\n  a:\n    url: https://h/sse\n")
		want := []string{`a@5 sse url=https://h/sse@6 ! duplicate server name "a" at line 5 (first at line 2): the last one wins`}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
	t.Run("toml is an error", func(t *testing.T) {
		_, err := Parse(".codex/config.toml", []byte("[mcp_servers.a]\ncommand = \"npx\"\ncommand = \"uvx\"\n"))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Err != ErrSyntax || pe.Line != 3 || !strings.Contains(err.Error(), ".codex/config.toml:3") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestYAMLAnchorsAndMerge(t *testing.T) {
	_, got := parseOne(t, "librechat.yaml", `defaults: &base
  command: npx
  args: ["-y", "@acme/a@1.0.0"]
mcpServers:
  one:
    <<: *base
  two:
    <<: *base
    args: ["-y", "@acme/b@2.0.0"]
  three: *base
`)
	want := []string{
		"one@5 stdio cmd=npx@2 | npm @acme/a 1.0.0 pinned @3 npx",
		"two@7 stdio cmd=npx@2 | npm @acme/b 2.0.0 pinned @9 npx",
		"three@10 stdio cmd=npx@2 | npm @acme/a 1.0.0 pinned @3 npx",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestYAMLMultipleDocuments(t *testing.T) {
	f, got := parseOne(t, "librechat.yaml", "mcpServers:\n  a: {url: 'https://h/sse'}\n---\nmcpServers:\n  b: {command: npx, args: [evil]}\n")
	if len(got) != 1 || !strings.HasPrefix(got[0], "a@2 sse") {
		t.Errorf("servers %q", got)
	}
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0], "further YAML document at line 4") {
		t.Errorf("problems %q", f.Problems)
	}
}

func TestTOMLShapes(t *testing.T) {
	src := `# Codex
model = "o3"
notes = """
[mcp_servers.fake]
command = "npx"
"""

[mcp_servers]
inline = { command = "npx", args = ["-y", "@acme/inline@1.0.0"] }
"quoted.name" = { url = "https://h/mcp" }

[mcp_servers.dotted]
command.path = "ignored"
args = [ # comment
  'literal',
  """multi
line""",
  "@acme/dotted@3.0.0",
]

[[profiles]]
name = "a"
[[profiles]]
name = "b"
`
	_, got := parseOne(t, ".codex/config.toml", src)
	want := []string{
		`inline@9 stdio cmd=npx@9 | npm @acme/inline 1.0.0 pinned @9 npx`,
		`quoted.name@10 http url=https://h/mcp@10`,
		// command.path is the shape of Zed's legacy {"command": {"path": …}}; it is read the same way.
		`dotted@12 stdio cmd=ignored@13 | unresolvable(command from PATH: ignored (which package provides it is unknown)) @13 -`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	loc := &tomlLocator{b: []byte(src), line: 1, out: map[string]int{}, aot: map[string]int{}}
	loc.run()
	for p, line := range map[string]int{
		"model": 2, "notes": 3, "mcp_servers": 8, "mcp_servers\x00inline": 9, "mcp_servers\x00inline\x00args\x001": 9,
		"mcp_servers\x00quoted.name\x00url": 10, "mcp_servers\x00dotted\x00args\x000": 15,
		"mcp_servers\x00dotted\x00args\x001": 16, "mcp_servers\x00dotted\x00args\x002": 18,
		"profiles\x000": 21, "profiles\x001\x00name": 24,
	} {
		if loc.out[p] != line {
			t.Errorf("line of %q = %d, want %d", strings.ReplaceAll(p, "\x00", "."), loc.out[p], line)
		}
	}
	if _, ok := loc.out["mcp_servers\x00fake"]; ok {
		t.Error("a table header inside a multi-line string was located")
	}
}

func TestEmptyFiles(t *testing.T) {
	for _, tc := range []struct{ path, src string }{
		{".vscode/settings.json", ""},
		{".vscode/settings.json", "  // only a comment\n/* and another */\n"},
		{".vscode/settings.json", `{"editor.tabSize": 2}`},
		{"librechat.yaml", "# nothing\n"},
		{".codex/config.toml", ""},
		{"manifest.json", "[1, 2]"},
		{"server.json", "{\"name\": \"x\"}"},
	} {
		f, err := Parse(tc.path, []byte(tc.src))
		if err != nil || len(f.Servers) != 0 {
			t.Errorf("%s %q: %v, %d servers", tc.path, tc.src, err, len(f.Servers))
		}
	}
}

func TestNotAConfigSyntaxError(t *testing.T) {
	// A manifest.json that does not parse is not an MCPB manifest; say so without failing.
	f, err := Parse("manifest.json", []byte("{ nope"))
	if err != nil || len(f.Servers) != 0 || len(f.Problems) != 1 {
		t.Fatalf("%v %+v", err, f)
	}
	// The same broken text in a client's file is an error naming the file and line.
	_, err = Parse(".cursor/mcp.json", []byte("{\n  \"mcpServers\": {\n    nope\n}"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Err != ErrSyntax || pe.Line != 3 || !strings.HasPrefix(err.Error(), "mcpconfig: .cursor/mcp.json:3: invalid JSON") {
		t.Fatalf("err = %v", err)
	}
}

func TestShapeErrors(t *testing.T) {
	_, err := Parse(".mcp.json", []byte(`["a"]`))
	if !errors.Is(err, ErrShape) {
		t.Errorf("top-level array: %v", err)
	}
	f, got := parseOne(t, ".mcp.json", `{"mcpServers": {"a": "npx x", "b": {"command": "npx", "args": "-y x"}, "c": {"command": ["npx"]}}}`)
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0], `entry "a" at line 1 is not an object`) {
		t.Errorf("problems %q", f.Problems)
	}
	want := []string{
		"b@1 stdio cmd=npx@1 | unresolvable(npx without a package) @1 npx ! args at line 1 is not an array: not read",
		"c@1 stdio cmd=npx@1 | unresolvable(npx without a package) @1 npx",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	f, _ = parseOne(t, ".mcp.json", `{"mcpServers": ["a"]}`)
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0], "mcpServers at line 1 is not an object") {
		t.Errorf("problems %q", f.Problems)
	}
}

func TestGooseInlinePython(t *testing.T) {
	_, got := parseOne(t, "goose/config.yaml", `extensions:
  py:
    type: inline_python
    code: print(1)
    dependencies:
      - requests==2.32.3
      - numpy
`)
	want := []string{"py@2 stdio | pypi requests 2.32.3 pinned @6 uvx; pypi numpy - unpinned @7 uvx ! inline Python code in the configuration"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRegistryProblems(t *testing.T) {
	_, got := parseOne(t, "server.json", `{
  "$schema": "https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json",
  "name": "io.github.x/y",
  "packages": [
    {"registryType": "npm", "identifier": "@x/y", "version": "^1.0.0", "registryBaseUrl": "https://npm.example.com"},
    {"registryType": "oci", "identifier": "docker.io/x/y@sha256:0000000000000000000000000000000000000000000000000000000000000000"},
    {"registryType": "mcpb", "identifier": "https://h/x.mcpb", "version": "1.0.0"},
    {"registryType": "cargo", "identifier": "y", "version": "1.0.0"},
    {"registryType": "rubygems", "identifier": "y", "version": "1.0.0"}
  ]
}`)
	want := []string{
		`io.github.x/y@5 stdio | npm @x/y ^1.0.0 unpinned @5 server.json ! registryBaseUrl "https://npm.example.com": the package may not come from the public registry`,
		`io.github.x/y@6 stdio | oci docker.io/x/y sha256:0000000000000000000000000000000000000000000000000000000000000000 pinned @6 server.json`,
		`io.github.x/y@7 stdio | mcpb https://h/x.mcpb 1.0.0 unpinned @7 server.json ! mcpb package without a valid fileSha256: not pinned`,
		`io.github.x/y@8 stdio | cargo y 1.0.0 pinned @8 server.json`,
		`io.github.x/y@9 stdio | unresolvable(unknown registry type "rubygems") @9 server.json`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseAs(t *testing.T) {
	f, err := ParseAs(Cursor, "docs/example.json", []byte(`{"mcpServers": {"a": {"command": "npx", "args": ["a@1.0.0"]}}}`))
	if err != nil || f.Client != Cursor || len(f.Servers) != 1 || !f.Servers[0].Packages[0].Pinned {
		t.Fatalf("%v %+v", err, f)
	}
	f, err = ParseAs(Goose, "example.yml", []byte("extensions:\n  a: {type: stdio, cmd: uvx, args: [a==1.0]}\n"))
	if err != nil || len(f.Servers) != 1 || f.Servers[0].Packages[0].Name != "a" {
		t.Fatalf("%v %+v", err, f)
	}
}
