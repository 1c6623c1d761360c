// Package mcpconfig reads MCP client configuration files — the files in which Claude Code, Claude
// Desktop, Cursor, VS Code, Windsurf, Cline, Roo, Kilo, Kiro, Gemini CLI, Zed, Continue, Codex, goose,
// LibreChat and opencode list the MCP servers they launch — plus MCPB bundle manifests and MCP Registry
// server.json files, and resolves each server's launch command (npx, uvx, docker run, …, through
// wrappers such as `cmd /c` or `sh -c`) to the packages it runs, with the line of every argument, so
// that a pull request that changes what runs can be reviewed line by line.
//
// The formats are JSON with comments and trailing commas (read with github.com/tailscale/hujson),
// YAML (github.com/goccy/go-yaml's AST, for line numbers) and TOML (github.com/BurntSushi/toml, with
// lines found by scanning the text). Every file is hostile input: its size, nesting depth, value count,
// server count and argument counts are bounded by the Max* constants, duplicate keys are reported, and
// nothing in a file is ever executed or fetched. Placeholders (${VAR}, ${input:x}, {{x}}, %VAR%, …) in
// the package position are reported as unresolvable, never guessed.
//
// This package is a leaf of the analysis engine: it imports only the standard library and the three
// parsers above, and must not import app/, action/, GitHub clients or any other mcpvet package.
package mcpconfig

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Limits on hostile input. Each is checked before the work it bounds.
const (
	// MaxConfigSize is the largest configuration file read, in bytes. Real files are a few KiB.
	MaxConfigSize = 10 << 20
	// MaxDepth is the deepest nesting of objects and arrays accepted. Configurations nest about 5 deep.
	// JSON and TOML are checked by a linear scan before decoding; YAML on its token stream before parsing.
	MaxDepth = 64
	// MaxValues bounds the values in one file, counted before decoding: in JSON one plus every
	// bracket, comma and colon (every container, element and key); in TOML every bracket, brace,
	// comma and '='; in YAML an over-estimate of the tokens (words plus flow indicators and colons)
	// bounds what the lexer is given. It keeps decoding memory and time small.
	MaxValues = 100_000
	// MaxYAMLTokens bounds the YAML tokens (comments included) handed to goccy/go-yaml's parser,
	// which is quadratic in the keys of a mapping: 30,000 tokens of one flat mapping parse in about
	// 0.5 s; 100,000 took 2.3 s. Real configurations have a few thousand.
	MaxYAMLTokens = 30_000
	// MaxServers is the most servers one file may declare; more is an error, not a truncation.
	MaxServers = 1000
	// MaxArgs is the most arguments one server may have. A server with more is kept, with its Args
	// truncated and an unresolvable package saying why.
	MaxArgs = 256
	// MaxArgLen is the longest argument (or command) accepted, in bytes. A server with a longer one is
	// kept, with an unresolvable package saying why.
	MaxArgLen = 32 << 10
	// MaxWrapDepth bounds how many wrappers (cmd /c, sh -c, env, docker run's inner command, …) are
	// unwrapped around one launch command.
	MaxWrapDepth = 8
	// MaxLaunchPackages bounds the packages resolved from one launch command (a shell script can run
	// many); beyond it an unresolvable package says the rest was not read.
	MaxLaunchPackages = 64
)

// Errors returned (wrapped in a *ParseError) by Parse.
var (
	// ErrUnknownFile: the path is not a configuration file this package reads (see Detect).
	ErrUnknownFile = errors.New("not an MCP client configuration file")
	// ErrTooLarge: the file exceeds MaxConfigSize.
	ErrTooLarge = errors.New("file too large")
	// ErrNotText: the file is not UTF-8 text.
	ErrNotText = errors.New("not UTF-8 text")
	// ErrSyntax: the file is not valid JSON(C), YAML or TOML.
	ErrSyntax = errors.New("syntax error")
	// ErrTooDeep: objects and arrays nest deeper than MaxDepth.
	ErrTooDeep = errors.New("nested too deeply")
	// ErrTooMany: the file has more than MaxValues values or MaxServers servers.
	ErrTooMany = errors.New("too many values")
	// ErrShape: the file parses but its structure is not what the client reads (say, the top level
	// is an array, or the servers are not a map).
	ErrShape = errors.New("unexpected structure")
)

// ParseError is the error Parse returns: it names the file and, when known, the line.
type ParseError struct {
	Path string // the path given to Parse
	Line int    // 1-based; 0 when unknown
	Msg  string // what is wrong; never contains secrets from the file
	Err  error  // one of the Err* sentinels
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("mcpconfig: %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("mcpconfig: %s: %s", e.Path, e.Msg)
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

// Client names the program whose configuration format a file is in.
type Client string

// The clients (and non-client formats) this package reads.
const (
	ClaudeCode    Client = "claude-code"    // .mcp.json (repository root or a plugin root), .claude-plugin/plugin.json
	ClaudeDesktop Client = "claude-desktop" // claude_desktop_config.json
	Cursor        Client = "cursor"         // .cursor/mcp.json
	VSCode        Client = "vscode"         // .vscode/mcp.json, .vscode/settings.json
	Windsurf      Client = "windsurf"       // mcp_config.json
	Cline         Client = "cline"          // cline_mcp_settings.json
	Roo           Client = "roo"            // .roo/mcp.json
	Kilo          Client = "kilo"           // .kilocode/mcp.json
	Kiro          Client = "kiro"           // .kiro/settings/mcp.json
	Gemini        Client = "gemini"         // .gemini/settings.json, gemini-extension.json
	Zed           Client = "zed"            // .zed/settings.json, zed/settings.json
	Continue      Client = "continue"       // .continue/mcpServers/*.{yaml,yml,json}, .continue/config.yaml
	Codex         Client = "codex"          // .codex/config.toml
	Goose         Client = "goose"          // goose/config.yaml
	LibreChat     Client = "librechat"      // librechat.yaml
	OpenCode      Client = "opencode"       // opencode.json, opencode.jsonc
	MCPB          Client = "mcpb"           // manifest.json of an MCP bundle (only with "server" and "manifest_version"/"dxt_version")
	Registry      Client = "mcp-registry"   // server.json of the MCP Registry (only with its "$schema" or "packages[].registryType")
)

// Transport values of Server.Transport.
const (
	TransportStdio     = "stdio"
	TransportHTTP      = "http" // streamable HTTP, however the file spells it
	TransportSSE       = "sse"
	TransportExtension = "extension" // Zed: installed and launched by a Zed extension; no package is visible
	TransportBuiltin   = "builtin"   // goose: ships with goose itself
)

// File is what one configuration file declares.
type File struct {
	Client  Client
	Servers []Server
	// Problems are about the file rather than one server: duplicate keys outside a server, entries
	// that are not objects, further YAML documents, a manifest.json that is not an MCPB manifest, …
	Problems []string
}

// Server is one MCP server entry.
type Server struct {
	Name string
	// Line is the 1-based line of the server's entry (its key, or its list item).
	Line int
	// Transport is "stdio", "http", "sse", "extension" (Zed extension-managed), "builtin" (goose)
	// or "" when the file does not say and nothing implies it.
	Transport string
	// Disabled is true when the entry says so ("disabled": true, "enabled": false); it may be
	// enabled later without a change to its launch command.
	Disabled bool
	// Command is the program launched (for stdio), as written; CommandLine is its line.
	Command     string
	CommandLine int
	// Args are the arguments as written; ArgLines[i] is the line of Args[i].
	Args     []string
	ArgLines []int
	// URL is the remote endpoint (http/sse), or the URL an mcp-remote launch connects to.
	URL     string
	URLLine int
	// Packages are the resolved launch targets, usually one; mcp-remote gives npm mcp-remote and
	// sets URL; a shell script can give several.
	Packages []Package
	// Problems are things a reviewer should know: unresolvable placeholders, duplicate keys in the
	// entry, a registry redirected through env, an unknown transport type, …
	Problems []string
}

// Package is one package a server launches.
type Package struct {
	// Ecosystem is "npm", "pypi", "oci", "nuget" or "mcpb" ("cargo" and "go" from server.json), or ""
	// when Unresolvable says no package could be named.
	Ecosystem string
	// Name is the package name: "@acme/weather-mcp", "markitdown-mcp" (PyPI names normalised per
	// PEP 503), "ghcr.io/acme/weather" (OCI: the reference without tag or digest, as written), the
	// bundle URL (MCPB in server.json) or the bundle name (MCPB manifest).
	Name string
	// Version is the exact version, or the digest ("sha256:…") when pinned by one; otherwise the
	// version spec as written ("latest", "^1.2", an image tag, or "").
	Version string
	// Pinned is true for an exact version or a digest; false for no version, latest, ranges, tags
	// without a digest.
	Pinned bool
	// Spec is the argument as written (the whole of it; for wrappers, the word inside the script).
	Spec string
	// Line is the 1-based line of the argument that names the package; in server.json the line of
	// its "version" (or, for MCPB, "fileSha256") when there is one, since that is what a bump changes;
	// in an MCPB manifest the line of "version".
	Line int
	// ArgIndex is the index in Server.Args of the argument that names the package, -1 when it is
	// the command (or does not come from the arguments at all, as in server.json).
	ArgIndex int
	// Runner is how it is launched: "npx", "npm exec", "bunx", "pnpm dlx", "yarn dlx", "uvx",
	// "uv tool run", "uv run", "pipx run", "docker", "podman", "dnx", "deno", "server.json", "mcpb",
	// or for unresolvable local code the program that runs it ("node", "python", …).
	Runner string
	// Unresolvable is non-empty when no package could be named, and says why: a placeholder, a local
	// path, a git URL, a command from PATH, a malformed spec, …
	Unresolvable string
}

// Detect reports whether a repository path ('/'- or '\'-separated) is an MCP client configuration
// this package reads, and which client's. manifest.json and server.json are claimed by path only;
// Parse then reads them only when their content is an MCPB manifest or a registry server.json.
func Detect(p string) (Client, bool) {
	p = strings.ReplaceAll(p, `\`, "/")
	base := path.Base(p)
	dir := path.Dir(p)
	parent := path.Base(dir)
	grand := path.Base(path.Dir(dir))
	if dir == "." {
		parent, grand = "", ""
	}
	switch base {
	case ".mcp.json":
		return ClaudeCode, true
	case "plugin.json":
		if parent == ".claude-plugin" {
			return ClaudeCode, true
		}
	case "claude_desktop_config.json":
		return ClaudeDesktop, true
	case "mcp.json":
		switch {
		case parent == ".cursor":
			return Cursor, true
		case parent == ".vscode":
			return VSCode, true
		case parent == ".roo":
			return Roo, true
		case parent == ".kilocode":
			return Kilo, true
		case parent == "settings" && grand == ".kiro":
			return Kiro, true
		}
	case "settings.json":
		switch parent {
		case ".vscode":
			return VSCode, true
		case ".gemini":
			return Gemini, true
		case ".zed", "zed":
			return Zed, true
		}
	case "mcp_config.json":
		return Windsurf, true
	case "cline_mcp_settings.json":
		return Cline, true
	case "gemini-extension.json":
		return Gemini, true
	case "config.yaml", "config.yml":
		switch parent {
		case ".continue":
			return Continue, true
		case "goose":
			return Goose, true
		}
	case "config.toml":
		if parent == ".codex" {
			return Codex, true
		}
	case "librechat.yaml", "librechat.yml":
		return LibreChat, true
	case "opencode.json", "opencode.jsonc":
		return OpenCode, true
	case "manifest.json":
		return MCPB, true
	case "server.json":
		return Registry, true
	}
	if parent == "mcpServers" && grand == ".continue" {
		switch path.Ext(base) {
		case ".yaml", ".yml", ".json":
			return Continue, true
		}
	}
	return "", false
}

// Parse reads one configuration file; path (as given to Detect) selects the client and the format
// and is named in every error. An error is a *ParseError wrapping one of the Err* sentinels.
func Parse(p string, data []byte) (*File, error) {
	c, ok := Detect(p)
	if !ok {
		return nil, &ParseError{Path: p, Msg: "not a known MCP client configuration file", Err: ErrUnknownFile}
	}
	return ParseAs(c, p, data)
}

// ParseAs is Parse for a file whose client is known some other way (the file extension of p still
// selects JSON, YAML or TOML; anything but .yaml, .yml and .toml is read as JSON with comments).
func ParseAs(c Client, p string, data []byte) (*File, error) {
	if len(data) > MaxConfigSize {
		return nil, &ParseError{Path: p, Msg: fmt.Sprintf("%d bytes exceeds the limit of %d", len(data), MaxConfigSize), Err: ErrTooLarge}
	}
	d := &decoder{path: p}
	root, err := d.decode(formatOf(p), data)
	if err != nil {
		if c == MCPB || c == Registry {
			var pe *ParseError
			if errors.As(err, &pe) && pe.Err == ErrSyntax {
				// A manifest.json or server.json that does not parse is not one we read: neither an MCP
				// client nor the registry would accept it. Say so, without failing the review.
				return &File{Client: c, Problems: []string{"not read as " + string(c) + ": " + pe.Error()}}, nil
			}
		}
		return nil, err
	}
	x := &extractor{d: d, client: c, path: p, file: &File{Client: c}}
	if err := x.run(root); err != nil {
		return nil, err
	}
	return x.file, nil
}

// format is a configuration file syntax.
type format int

const (
	formatJSON format = iota
	formatYAML
	formatTOML
)

func formatOf(p string) format {
	switch strings.ToLower(path.Ext(strings.ReplaceAll(p, `\`, "/"))) {
	case ".yaml", ".yml":
		return formatYAML
	case ".toml":
		return formatTOML
	}
	return formatJSON
}
