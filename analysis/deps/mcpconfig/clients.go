package mcpconfig

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// extractor reads servers out of a decoded file according to its client's format.
type extractor struct {
	d      *decoder
	client Client
	path   string
	file   *File
}

func (x *extractor) problem(format string, args ...any) {
	x.file.Problems = append(x.file.Problems, fmt.Sprintf(format, args...))
}

func (x *extractor) run(root *node) error {
	x.file.Problems = append(x.file.Problems, x.d.notes...)
	if root == nil {
		return nil // an empty file declares nothing
	}
	if root.kind != kindObject {
		if x.client == MCPB || x.client == Registry {
			x.problem("not read as %s: the top level is not an object", x.client)
			return nil
		}
		return x.d.errf(root.line, ErrShape, "the top level is not an object")
	}
	var err error
	switch x.client {
	case ClaudeCode:
		err = x.claudeCode(root)
	case VSCode:
		if path.Base(strings.ReplaceAll(x.path, `\`, "/")) == "settings.json" {
			if m := root.get("mcp"); m.isObject() {
				err = x.serverMap(m.get("servers"), "mcp.servers")
			}
			if err == nil {
				err = x.serverMap(root.get("github.copilot.chat.mcp.servers"), "github.copilot.chat.mcp.servers")
			}
		} else {
			err = x.serverMap(root.get("servers"), "servers")
		}
	case Zed:
		err = x.serverMap(root.get("context_servers"), "context_servers")
	case Continue: // a list in YAML blocks; a map in Claude-format JSON files in the same folder
		err = x.serverMap(root.get("mcpServers"), "mcpServers")
	case Codex:
		err = x.serverMap(root.get("mcp_servers"), "mcp_servers")
	case Goose:
		err = x.serverMap(root.get("extensions"), "extensions")
	case OpenCode:
		err = x.serverMap(root.get("mcp"), "mcp")
	case MCPB:
		err = x.mcpb(root)
	case Registry:
		err = x.registry(root)
	default: // Claude Desktop, Cursor, Windsurf, Cline, Roo, Kilo, Kiro, Gemini, LibreChat
		err = x.serverMap(root.get("mcpServers"), "mcpServers")
	}
	if err != nil {
		return err
	}
	x.leftoverDups()
	return nil
}

// leftoverDups reports duplicate keys that no server entry claimed, in line order.
func (x *extractor) leftoverDups() {
	var all []dup
	for _, ds := range x.d.dups {
		all = append(all, ds...)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].line != all[j].line {
			return all[i].line < all[j].line
		}
		return all[i].key < all[j].key
	})
	for _, d := range all {
		x.file.Problems = append(x.file.Problems, dupProblem("", d))
	}
}

func (x *extractor) claudeCode(root *node) error {
	m := root.get("mcpServers")
	if s, ok := m.str(); ok {
		x.problem("mcpServers at line %d refers to the file %s, which is read on its own", root.keyLine("mcpServers"), quoteSpec(s))
		return nil
	}
	if m != nil || path.Base(strings.ReplaceAll(x.path, `\`, "/")) != ".mcp.json" {
		return x.serverMap(m, "mcpServers")
	}
	// A plugin root's .mcp.json may be the bare map of servers.
	bare := len(root.members) > 0
	for _, mem := range root.members {
		v := mem.val
		if !v.isObject() || v.get("command") == nil && v.get("url") == nil && v.get("type") == nil {
			bare = false
			break
		}
	}
	if bare {
		return x.serverMap(root, "(top level)")
	}
	return nil
}

// claimDups moves the duplicates recorded in obj to the problems of the server it is.
func (x *extractor) claimDups(obj *node, s *Server) {
	for _, d := range x.d.dups[obj] {
		s.Problems = append(s.Problems, dupProblem("in this entry ", d))
	}
	delete(x.d.dups, obj)
}

// serverMap reads a map of server name → entry.
func (x *extractor) serverMap(m *node, where string) error {
	if m == nil || m.kind == kindNull {
		return nil
	}
	if m.kind == kindArray && x.client == Continue {
		return x.serverList(m)
	}
	if !m.isObject() {
		x.problem("%s at line %d is not an object: not read", where, m.line)
		return nil
	}
	if len(x.file.Servers)+len(m.members) > MaxServers {
		return x.d.errf(m.line, ErrTooMany, "more than %d servers", MaxServers)
	}
	nameDups := map[string][]dup{}
	for _, d := range x.d.dups[m] {
		nameDups[d.key] = append(nameDups[d.key], d)
	}
	delete(x.d.dups, m)
	for _, mem := range m.members {
		if !mem.val.isObject() {
			x.problem("%s entry %q at line %d is not an object: not read", where, mem.key, mem.keyLine)
			continue
		}
		s := x.server(mem.key, mem.keyLine, mem.val)
		for _, d := range nameDups[mem.key] {
			s.Problems = append([]string{fmt.Sprintf("duplicate server name %q at line %d (first at line %d): the last one wins", d.key, d.line, d.firstLine)}, s.Problems...)
		}
		x.file.Servers = append(x.file.Servers, s)
	}
	return nil
}

// serverList reads Continue's list of entries, each with a name.
func (x *extractor) serverList(m *node) error {
	if len(x.file.Servers)+len(m.elems) > MaxServers {
		return x.d.errf(m.line, ErrTooMany, "more than %d servers", MaxServers)
	}
	for i, e := range m.elems {
		if !e.isObject() {
			x.problem("mcpServers item %d at line %d is not an object: not read", i, e.line)
			continue
		}
		name := e.getStr("name")
		if uses := e.getStr("uses"); uses != "" && e.get("command") == nil && e.get("url") == nil {
			if name == "" {
				name = uses
			}
			s := Server{Name: name, Line: e.line}
			x.claimDups(e, &s)
			s.Packages = []Package{{Spec: uses, Line: e.keyLine("uses"), ArgIndex: -1, Runner: "continue",
				Unresolvable: "Continue Hub block " + quoteSpec(uses) + ": its contents are on the hub, not in the repository"}}
			x.file.Servers = append(x.file.Servers, s)
			continue
		}
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		x.file.Servers = append(x.file.Servers, x.server(name, e.line, e))
	}
	return nil
}

// normTransport maps the many spellings of a transport type to Server.Transport values.
func normTransport(t string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "":
		return "", true
	case "stdio", "local", "command", "inline_python":
		return TransportStdio, true
	case "http", "streamable-http", "streamablehttp", "streamable_http", "streamable", "remote", "http-stream":
		return TransportHTTP, true
	case "sse":
		return TransportSSE, true
	case "builtin", "platform", "frontend":
		return TransportBuiltin, true
	}
	return "", false
}

// server reads one entry: the union of every client's fields, with the client's quirks.
func (x *extractor) server(name string, line int, obj *node) Server {
	s := Server{Name: name, Line: line}
	x.claimDups(obj, &s)
	if v, ok := obj.get("disabled").truth(); ok && v {
		s.Disabled = true
	}
	if v, ok := obj.get("enabled").truth(); ok && !v {
		s.Disabled = true
	}

	// The command and its arguments.
	cmdKey := "command"
	if obj.get(cmdKey) == nil && obj.get("cmd") != nil {
		cmdKey = "cmd" // goose
	}
	var argNodes []*node
	hasCommand := false
	switch c := obj.get(cmdKey); {
	case c == nil || c.kind == kindNull:
	case c.kind == kindString:
		s.Command, s.CommandLine, hasCommand = c.text, c.line, true
	case c.kind == kindArray: // opencode: one array holding the command and its arguments
		hasCommand = true
		if len(c.elems) > 0 {
			if t, ok := c.elems[0].scalar(); ok {
				s.Command, s.CommandLine = t, c.elems[0].line
			} else {
				s.Problems = append(s.Problems, fmt.Sprintf("%s[0] at line %d is not a string", cmdKey, c.elems[0].line))
				s.CommandLine = c.elems[0].line
			}
			argNodes = append(argNodes, c.elems[1:]...)
		}
	case c.kind == kindObject: // Zed, legacy: {"command": {"path", "args", "env"}}
		hasCommand = true
		p := c.get("path")
		s.Command, _ = p.str()
		s.CommandLine = c.keyLine("path")
		if a := c.get("args"); a != nil && a.kind == kindArray {
			argNodes = append(argNodes, a.elems...)
		}
		x.envProblems(c.get("env"), &s)
	default:
		hasCommand = true
		s.CommandLine = c.line
		s.Problems = append(s.Problems, fmt.Sprintf("%s at line %d is not a string", cmdKey, c.line))
	}
	if s.CommandLine == 0 && hasCommand {
		s.CommandLine = obj.keyLine(cmdKey)
	}
	if a := obj.get("args"); a != nil {
		switch a.kind {
		case kindArray:
			argNodes = append(argNodes, a.elems...)
		case kindNull:
		default:
			s.Problems = append(s.Problems, fmt.Sprintf("args at line %d is not an array: not read", a.line))
		}
	}
	for i, e := range argNodes {
		t, ok := e.scalar()
		if !ok && e.kind != kindNull {
			s.Problems = append(s.Problems, fmt.Sprintf("argument %d at line %d is not a string", i, e.line))
		}
		s.Args = append(s.Args, t)
		s.ArgLines = append(s.ArgLines, e.line)
	}
	for _, k := range []string{"env", "envs", "environment"} {
		x.envProblems(obj.get(k), &s)
	}

	// The URL of a remote server.
	urlKey := ""
	for _, k := range []string{"httpUrl", "serverUrl", "url", "uri"} {
		if u, ok := obj.get(k).str(); ok {
			s.URL, s.URLLine, urlKey = u, obj.get(k).line, k
			break
		}
	}

	// The transport.
	typ, _ := obj.get("type").scalar()
	if typ == "" {
		typ, _ = obj.get("transport").scalar()
	}
	t, known := normTransport(typ)
	if !known {
		s.Problems = append(s.Problems, fmt.Sprintf("unknown transport type %s at line %d", quoteSpec(typ), obj.keyLine("type")))
	}
	switch {
	case x.client == Zed && obj.getStr("source") == "extension",
		x.client == Zed && !hasCommand && urlKey == "":
		t = TransportExtension
		s.Problems = append(s.Problems, "managed by a Zed extension: the package it launches is not visible in this file")
	case t != "" || !known:
	case hasCommand:
		t = TransportStdio
	case urlKey == "httpUrl" || urlKey == "serverUrl":
		t = TransportHTTP
	case urlKey != "" && (x.client == Gemini || x.client == LibreChat):
		t = TransportSSE
	case urlKey != "":
		t = TransportHTTP
	}
	s.Transport = t
	if x.client == Windsurf && urlKey == "url" {
		s.Problems = append(s.Problems, "Windsurf connects to serverUrl; this entry's url is ignored by Windsurf")
	}

	switch {
	case t == TransportBuiltin || t == TransportExtension:
		// Nothing visible to resolve.
	case strings.EqualFold(typ, "inline_python"):
		s.Problems = append(s.Problems, "inline Python code in the configuration")
		x.inlinePython(obj, &s)
	case hasCommand || t == TransportStdio:
		if !hasCommand || s.Command == "" && len(s.Args) == 0 {
			s.Problems = append(s.Problems, "stdio server without a command")
			s.Packages = append(s.Packages, Package{ArgIndex: -1, Line: s.Line, Unresolvable: "no command"})
			break
		}
		x.launch(&s)
	case (t == TransportHTTP || t == TransportSSE) && s.URL == "":
		s.Problems = append(s.Problems, "remote server without a URL")
	}
	return s
}

// launch resolves the server's command and maps argument indexes to lines.
func (x *extractor) launch(s *Server) {
	l := ResolveLaunch(s.Command, s.Args)
	if len(s.Args) > MaxArgs {
		s.Args, s.ArgLines = s.Args[:MaxArgs], s.ArgLines[:MaxArgs]
	}
	lineOf := func(arg int) int {
		switch {
		case arg >= 0 && arg < len(s.ArgLines) && s.ArgLines[arg] > 0:
			return s.ArgLines[arg]
		case s.CommandLine > 0:
			return s.CommandLine
		}
		return s.Line
	}
	for _, p := range l.Packages {
		p.Line = lineOf(p.ArgIndex)
		s.Packages = append(s.Packages, p)
	}
	s.Problems = append(s.Problems, l.Problems...)
	if s.URL == "" && l.URL != "" {
		s.URL, s.URLLine = l.URL, lineOf(l.URLArg)
	}
}

// inlinePython reads goose's inline_python dependencies as PyPI packages.
func (x *extractor) inlinePython(obj *node, s *Server) {
	deps := obj.get("dependencies")
	if deps == nil || deps.kind != kindArray {
		return
	}
	var l launcher
	for _, e := range deps.elems {
		t, _ := e.scalar()
		l.pkg(word{s: t, arg: -1}, "uvx", parsePyPISpec(t))
	}
	for i, p := range l.out.Packages { // one per dependency, up to MaxLaunchPackages
		p.Line = s.Line
		if i < len(deps.elems) && deps.elems[i].line > 0 {
			p.Line = deps.elems[i].line
		}
		s.Packages = append(s.Packages, p)
	}
	s.Problems = append(s.Problems, l.out.Problems...)
}

// envProblems reports environment variables that redirect a package registry.
func (x *extractor) envProblems(env *node, s *Server) {
	if !env.isObject() {
		return
	}
	for _, m := range env.members {
		if registryEnv[strings.ToLower(m.key)] {
			s.Problems = append(s.Problems, fmt.Sprintf("env %s at line %d redirects the package registry: packages may not come from the public registry", m.key, m.keyLine))
		}
	}
}
