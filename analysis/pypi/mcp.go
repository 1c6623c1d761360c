package pypi

import (
	"fmt"
	"strings"
)

// MCPReason says why release r is an MCP server, or "" when nothing says it is. A release is an MCP
// server when one of its requires_dist entries requires the project "mcp" or "fastmcp" (PEP 503 name
// comparison; extras, version specifiers, URLs and markers are allowed, so
// `mcp[cli]>=1.2; python_version>="3.10"` counts, `mcp-server-x` does not). A requirement that applies
// only with an extra still counts, and the reason says so. Keywords, classifiers and the summary are
// deliberately not used: anyone can write "MCP" there. At most MaxRequiresDist entries of at most
// MaxRequirementLength bytes are examined; others are ignored.
func MCPReason(r *Release) string {
	if r == nil {
		return ""
	}
	for i, req := range r.RequiresDist {
		if i >= MaxRequiresDist {
			break
		}
		if len(req) > MaxRequirementLength {
			continue
		}
		name, marker, ok := parseRequirement(req)
		if !ok {
			continue
		}
		norm := Normalize(name)
		if !isMCPPackage(norm) {
			continue
		}
		reason := fmt.Sprintf("requires %s (requirement %s)", norm, quote(strings.TrimSpace(req)))
		if strings.Contains(marker, "extra") {
			reason += ", only with an extra"
		}
		return reason
	}
	return ""
}

// parseRequirement splits a PEP 508 requirement into its project name and its environment marker (the
// text after ";", "" when none). ok is false when the string does not start with a valid name
// followed by the end, extras ("["), a version specifier, a URL ("@") or a marker (";").
func parseRequirement(req string) (name, marker string, ok bool) {
	s := strings.TrimLeft(req, " \t")
	end := 0
	for end < len(s) && (isAlnum(s[end]) || s[end] == '-' || s[end] == '_' || s[end] == '.') {
		end++
	}
	name = s[:end]
	if !ValidName(name) {
		return "", "", false
	}
	rest := strings.TrimLeft(s[end:], " \t")
	if rest != "" {
		switch rest[0] {
		case '[':
			closeAt := strings.IndexByte(rest, ']')
			if closeAt < 0 {
				return "", "", false
			}
			for _, extra := range strings.Split(rest[1:closeAt], ",") {
				if e := strings.TrimSpace(extra); e != "" && !ValidName(e) {
					return "", "", false
				}
			}
		case '(', '<', '>', '=', '!', '~', ';', '@':
		default:
			return "", "", false
		}
	}
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		marker = rest[i+1:]
	}
	return name, marker, true
}

// isMCPPackage reports whether a normalised project name is one whose requirement marks a release as
// an MCP server: the official Python SDK ("mcp") or FastMCP ("fastmcp").
func isMCPPackage(norm string) bool {
	switch norm {
	case "mcp", "fastmcp":
		return true
	}
	return false
}
