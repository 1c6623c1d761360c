package mcpconfig

import (
	"fmt"
	"regexp"
	"strings"
)

var sha256Hex = regexp.MustCompile(`^[a-fA-F0-9]{64}$`)

// isMCPBManifest reports whether a manifest.json is an MCP bundle's (DXT's, before the rename).
func isMCPBManifest(root *node) bool {
	return root.get("server").isObject() && (root.get("manifest_version") != nil || root.get("dxt_version") != nil)
}

// mcpb reads an MCPB manifest: one server, launched by server.mcp_config. The bundle's own code ships
// in the bundle, so launches of local code (node ${__dirname}/server/index.js) are not listed as
// packages; the bundle itself is, as an "mcpb" package named by the manifest's name and version.
// Packages its command fetches (npx -y x@1) are listed.
func (x *extractor) mcpb(root *node) error {
	if !isMCPBManifest(root) {
		return nil // another kind of manifest.json (a web app's, a browser extension's)
	}
	srv := root.get("server")
	name := root.getStr("name")
	s := Server{Name: name, Line: root.keyLine("server"), Transport: TransportStdio}
	x.claimDups(srv, &s)
	x.claimDups(root, &s)
	version := root.getStr("version")
	s.Packages = append(s.Packages, Package{Ecosystem: "mcpb", Name: name, Version: version,
		Pinned: name != "" && semverExact.MatchString(version), Spec: name + "@" + version,
		Line: root.keyLine("version"), ArgIndex: -1, Runner: "mcpb"})
	if p := &s.Packages[0]; p.Pinned {
		p.Version = normSemver(p.Version)
	}
	if name == "" {
		s.Packages[0].Ecosystem, s.Packages[0].Name, s.Packages[0].Version = "", "", ""
		s.Packages[0].Unresolvable = "manifest without a name"
	}
	cfg := srv.get("mcp_config")
	if !cfg.isObject() {
		s.Problems = append(s.Problems, "server.mcp_config missing: the client derives the command from server.type and entry_point")
		x.file.Servers = append(x.file.Servers, s)
		return nil
	}
	x.claimDups(cfg, &s)
	if c, ok := cfg.get("command").str(); ok {
		s.Command, s.CommandLine = c, cfg.get("command").line
	}
	if a := cfg.get("args"); a != nil && a.kind == kindArray {
		for _, e := range a.elems {
			t, _ := e.scalar()
			s.Args = append(s.Args, t)
			s.ArgLines = append(s.ArgLines, e.line)
		}
	}
	x.envProblems(cfg.get("env"), &s)
	bundle := s.Packages
	s.Packages = nil
	x.launch(&s)
	launched := s.Packages
	s.Packages = bundle
	for _, p := range launched {
		if strings.HasPrefix(p.Unresolvable, "local code: ") {
			continue // the bundle's own code, listed as the bundle
		}
		s.Packages = append(s.Packages, p)
	}
	x.file.Servers = append(x.file.Servers, s)
	return nil
}

// isRegistryServer reports whether a server.json is the MCP Registry's.
func isRegistryServer(root *node) bool {
	if strings.Contains(root.getStr("$schema"), "server.schema.json") {
		return true
	}
	if p := root.get("packages"); p != nil && p.kind == kindArray {
		for _, e := range p.elems {
			if e.get("registryType") != nil || e.get("registry_type") != nil || e.get("registry_name") != nil {
				return true
			}
		}
	}
	return false
}

// registry reads an MCP Registry server.json: one Server per packages[] entry and per remotes[] entry,
// all named by the server's name. Older layouts (registry_type / registry_name, version_detail,
// transport_type) are read too.
func (x *extractor) registry(root *node) error {
	if !isRegistryServer(root) {
		return nil
	}
	name := root.getStr("name")
	pkgs, remotes := root.get("packages"), root.get("remotes")
	n := 0
	if pkgs != nil {
		n += len(pkgs.elems)
	}
	if remotes != nil {
		n += len(remotes.elems)
	}
	if n > MaxServers {
		return x.d.errf(root.line, ErrTooMany, "more than %d packages and remotes", MaxServers)
	}
	x.claimRootDups(root)
	if pkgs != nil && pkgs.kind == kindArray {
		for i, e := range pkgs.elems {
			if !e.isObject() {
				x.problem("packages[%d] at line %d is not an object: not read", i, e.line)
				continue
			}
			x.file.Servers = append(x.file.Servers, x.registryPackage(name, e))
		}
	}
	if remotes != nil && remotes.kind == kindArray {
		for i, e := range remotes.elems {
			if !e.isObject() {
				x.problem("remotes[%d] at line %d is not an object: not read", i, e.line)
				continue
			}
			s := Server{Name: name, Line: e.line}
			x.claimDups(e, &s)
			typ := e.getStr("type")
			if typ == "" {
				typ = e.getStr("transport_type")
			}
			t, ok := normTransport(typ)
			if !ok {
				s.Problems = append(s.Problems, "unknown transport type "+quoteSpec(typ))
			}
			s.Transport = t
			if u, ok := e.get("url").str(); ok {
				s.URL, s.URLLine = u, e.get("url").line
			} else {
				s.Problems = append(s.Problems, "remote without a URL")
			}
			x.file.Servers = append(x.file.Servers, s)
		}
	}
	return nil
}

// claimRootDups turns duplicate top-level keys into file problems now (they are about the file).
func (x *extractor) claimRootDups(root *node) {
	for _, d := range x.d.dups[root] {
		x.file.Problems = append(x.file.Problems, dupProblem("", d))
	}
	delete(x.d.dups, root)
}

// registryPackage reads one packages[] entry.
func (x *extractor) registryPackage(name string, e *node) Server {
	s := Server{Name: name, Line: e.line}
	x.claimDups(e, &s)
	rt := firstStr(e, "registryType", "registry_type", "registry_name")
	idKey := "identifier"
	if e.get(idKey) == nil {
		idKey = "name"
	}
	id := e.getStr(idKey)
	idLine := e.keyLine(idKey)
	if idn := e.get(idKey); idn != nil {
		idLine = idn.line
	}
	version, versionLine := e.getStr("version"), 0
	if version != "" {
		versionLine = e.get("version").line
	} else if vd := e.get("version_detail"); vd.getStr("version") != "" {
		version, versionLine = vd.getStr("version"), vd.get("version").line
	}
	tr := e.get("transport")
	typ := tr.getStr("type")
	if typ == "" {
		typ = firstStr(e, "transport_type")
	}
	if typ == "" {
		typ = TransportStdio
	}
	t, ok := normTransport(typ)
	if !ok {
		s.Problems = append(s.Problems, "unknown transport type "+quoteSpec(typ))
	}
	s.Transport = t
	if t == TransportHTTP || t == TransportSSE {
		if u, ok := tr.get("url").str(); ok {
			s.URL, s.URLLine = u, tr.get("url").line
		}
	}
	p := Package{Spec: id, Line: idLine, ArgIndex: -1, Runner: "server.json"}
	var sp spec
	switch strings.ToLower(rt) {
	case "npm":
		sp = parseNPMSpec(id)
		if sp.unres == "" && sp.version != "" {
			s.Problems = append(s.Problems, "the identifier carries a version; the registry expects it in \"version\"")
		}
		if sp.unres == "" && version != "" {
			sp.version, sp.pinned = version, semverExact.MatchString(version)
			if sp.pinned {
				sp.version = normSemver(version)
			}
		}
	case "pypi":
		sp = parsePyPISpec(id)
		if sp.unres == "" && version != "" {
			sp.version, sp.pinned = version, pep440Exact.MatchString(version)
		}
	case "nuget":
		sp = parseNuGetSpec(id)
		if sp.unres == "" && version != "" {
			sp.setNuGetVersion(version)
		}
	case "oci", "docker":
		sp = parseImageRef(id)
		if sp.unres == "" && !sp.pinned && sp.version == "" && version != "" {
			sp.version = version // a tag given separately; still not a digest
		}
	case "mcpb":
		sp = spec{eco: "mcpb", name: id, version: version}
		if id == "" {
			sp.unres = "mcpb package without an identifier"
		}
		if h := e.getStr("fileSha256"); sha256Hex.MatchString(h) && id != "" {
			sp.version, sp.pinned = "sha256:"+strings.ToLower(h), true
			versionLine = e.get("fileSha256").line
		} else {
			s.Problems = append(s.Problems, "mcpb package without a valid fileSha256: not pinned")
		}
	case "cargo":
		sp = spec{eco: "cargo", name: id, version: version, pinned: semverExact.MatchString(version)}
	case "go":
		sp = spec{eco: "go", name: id, version: version, pinned: strings.HasPrefix(version, "v") && semverExact.MatchString(version)}
	default:
		sp = spec{unres: fmt.Sprintf("unknown registry type %s", quoteSpec(rt))}
	}
	if sp.eco != "" && sp.unres == "" && sp.name == "" {
		sp.unres = "package without an identifier"
	}
	if sp.note != "" {
		s.Problems = append(s.Problems, sp.note)
	}
	p.Ecosystem, p.Name, p.Version, p.Pinned, p.Unresolvable = sp.eco, sp.name, sp.version, sp.pinned, sp.unres
	if p.Unresolvable != "" {
		p.Ecosystem, p.Name, p.Version, p.Pinned = "", "", "", false
	}
	if p.Pinned && p.Version == "" {
		p.Pinned = false
	}
	if versionLine > 0 && p.Unresolvable == "" {
		p.Line = versionLine // where a bump changes the file
	}
	if reg := firstStr(e, "registryBaseUrl", "registry_base_url"); reg != "" {
		s.Problems = append(s.Problems, "registryBaseUrl "+quoteSpec(reg)+": the package may not come from the public registry")
	}
	s.Packages = []Package{p}
	return s
}

func firstStr(n *node, keys ...string) string {
	for _, k := range keys {
		if s := n.getStr(k); s != "" {
			return s
		}
	}
	return ""
}
