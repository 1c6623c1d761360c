package analysis

import (
	"fmt"
	"slices"
	"strings"

	"deps.dev/util/semver"

	"github.com/mcpvet/mcpvet/analysis/registry"
)

// mcpSDKs are the packages an npm MCP server is built on.
var mcpSDKs = []string{"@modelcontextprotocol/sdk", "@modelcontextprotocol/server"}

// mcpReason says why a published manifest is an MCP server, or "" when nothing says so.
func mcpReason(m *registry.Manifest) string {
	if m.MCPName != "" {
		return fmt.Sprintf("its package.json declares mcpName %q", m.MCPName)
	}
	for _, sdk := range mcpSDKs {
		for field, deps := range map[string]map[string]string{"dependencies": m.Dependencies, "peerDependencies": m.PeerDependencies, "optionalDependencies": m.OptionalDependencies} {
			if _, ok := deps[sdk]; ok {
				return fmt.Sprintf("its %s include %s", field, sdk)
			}
		}
	}
	for _, k := range m.Keywords {
		switch strings.ToLower(k) {
		case "mcp", "modelcontextprotocol", "model-context-protocol", "mcp-server":
			return fmt.Sprintf("its keywords include %q", k)
		}
	}
	return ""
}

// resolveVersion turns what a change names into a published version: the exact version, a dist-tag, or the
// highest version an npm range matches — what npm or npx would install today. how is "" for exact versions.
func resolveVersion(p *registry.Packument, spec string) (version, how string) {
	if _, ok := p.Versions[spec]; ok {
		return spec, ""
	}
	if spec == "" {
		spec = "latest"
	}
	if v, ok := p.DistTags[spec]; ok {
		if _, ok := p.Versions[v]; ok {
			return v, "dist-tag " + spec
		}
		return "", ""
	}
	c, err := semver.NPM.ParseConstraint(spec)
	if err != nil {
		return "", ""
	}
	var best *semver.Version
	keys := make([]string, 0, len(p.Versions))
	for v := range p.Versions {
		keys = append(keys, v)
	}
	slices.Sort(keys)
	for _, v := range keys {
		sv, err := semver.NPM.Parse(v)
		if err != nil || !c.MatchVersion(sv) {
			continue
		}
		if best == nil || best.Compare(sv) < 0 {
			best = sv
			version = v
		}
	}
	if best == nil {
		return "", ""
	}
	return version, "the highest version matching " + spec
}
