package deps

import (
	"fmt"
	"net/url"

	"github.com/mcpvet/mcpvet/analysis/deps/mcpconfig"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

// launched is one package an MCP configuration launches, with the server that launches it.
type launched struct {
	server string
	pkg    mcpconfig.Package
}

func launches(servers []mcpconfig.Server) map[key][]launched {
	out := map[key][]launched{}
	for _, s := range servers {
		for _, p := range s.Packages {
			if p.Unresolvable != "" || p.Name == "" {
				continue
			}
			k := key{p.Ecosystem, p.Name}
			out[k] = append(out[k], launched{server: s.Name, pkg: p})
		}
	}
	return out
}

// servers records what an MCP configuration's change launches: new or bumped pinned packages as changes,
// unpinned launches and unresolvable servers as findings.
func (d *detector) servers(path string, base, head *side) {
	b, h := launches(base.servers), launches(head.servers)
	for k, heads := range h {
		for _, l := range heads {
			reason := fmt.Sprintf("launched as MCP server %q by %s", l.server, path)
			loc := []report.Location{{Path: path, Line: l.pkg.Line}}
			var prev *mcpconfig.Package
			for _, bl := range b[k] {
				if bl.server == l.server || prev == nil {
					p := bl.pkg
					prev = &p
				}
			}
			if prev != nil && prev.Spec == l.pkg.Spec {
				continue // unchanged launch
			}
			c := Change{Ecosystem: k.eco, Name: k.name, To: l.pkg.Version, Kind: Added, Direct: true, Source: "registry",
				MCP: true, MCPReason: reason, Locations: loc}
			if prev != nil {
				c.From = prev.Version
				c.Kind = Changed
				if prev.Pinned && l.pkg.Pinned {
					c.Kind = compareVersions(k.eco, prev.Version, l.pkg.Version)
				}
			}
			if !l.pkg.Pinned {
				f := finding.New(finding.RuleUnpinnedServer, fmt.Sprintf(
					"MCP server %q launches %s %q without an exact version: whatever is published next runs without a pull request", l.server, k.name, l.pkg.Spec))
				if prev != nil && prev.Pinned {
					f.Severity = finding.Block
					f.Message = fmt.Sprintf("MCP server %q was pinned to %s and now launches %q: a pinned server became unpinned", l.server, prev.Spec, l.pkg.Spec)
				}
				f.Evidence = fmt.Sprintf("%s:%d", path, l.pkg.Line)
				c.Findings = append(c.Findings, f)
				if c.To == "" {
					c.To = "latest" // what the runner resolves an unversioned spec to
				}
			}
			d.add(c)
		}
	}
	d.remotes(path, base.servers, head.servers)
	for _, s := range head.servers {
		for _, p := range s.Packages {
			if p.Unresolvable == "" {
				continue
			}
			d.unresolved = append(d.unresolved, finding.Finding{
				Rule: finding.RuleUnresolvableServer, Severity: finding.Warn, Path: path, Line: p.Line,
				Message: fmt.Sprintf("MCP server %q in %s cannot be resolved to a package: %s", s.Name, path, p.Unresolvable),
			})
		}
	}
}

func compareVersions(eco, from, to string) Kind {
	va, erra := system(eco).Parse(from)
	vb, errb := system(eco).Parse(to)
	switch {
	case erra != nil || errb != nil:
		return Changed
	case va.Compare(vb) < 0:
		return Bumped
	default:
		return Downgraded
	}
}

// remotes reports remote MCP servers that are added, or whose URL now points at another host: the assistant
// will send its requests — and often credentials in headers — somewhere new.
func (d *detector) remotes(path string, base, head []mcpconfig.Server) {
	before := map[string]string{}
	for _, s := range base {
		if s.URL != "" {
			before[s.Name] = s.URL
		}
	}
	for _, s := range head {
		if s.URL == "" {
			continue
		}
		old, had := before[s.Name]
		switch {
		case !had:
			d.unresolved = append(d.unresolved, finding.Finding{
				Rule: finding.RuleRemoteServer, Severity: finding.Info, Path: path, Line: s.URLLine,
				Message: fmt.Sprintf("remote MCP server %q added at %s: its code is not published anywhere to compare", s.Name, hostOf(s.URL)),
			})
		case hostOf(old) != hostOf(s.URL):
			d.unresolved = append(d.unresolved, finding.Finding{
				Rule: finding.RuleRemoteServer, Severity: finding.Warn, Path: path, Line: s.URLLine,
				Message: fmt.Sprintf("remote MCP server %q moves from %s to %s", s.Name, hostOf(old), hostOf(s.URL)),
			})
		}
	}
}

// hostOf returns a URL's host, or the text itself when it does not parse (placeholders).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host
}
