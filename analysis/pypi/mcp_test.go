package pypi

import (
	"strings"
	"testing"
)

func TestMCPReasonRequirements(t *testing.T) {
	tests := []struct {
		req  string
		want string // normalised MCP package named in the reason, "" for none
	}{
		{"mcp", "mcp"},
		{"mcp>=1.2.0", "mcp"},
		{`mcp[cli]>=1.2; python_version>="3.10"`, "mcp"},
		{"mcp [cli, ws] >= 1.0", "mcp"},
		{"MCP==1.0", "mcp"},
		{"Mcp (>=1.0)", "mcp"},
		{"  mcp~=1.3", "mcp"},
		{"mcp@ https://example.com/mcp-1.0.tar.gz", "mcp"},
		{"mcp ; sys_platform == 'linux'", "mcp"},
		{"mcp!=1.1", "mcp"},
		{"fastmcp", "fastmcp"},
		{"FastMCP>=2.0", "fastmcp"},
		{"fastmcp[openai]<3", "fastmcp"},
		{"mcp-server-x", ""},
		{"mcp_server", ""},
		{"mcp.server", ""},
		{"mcp-foo>=1", ""},
		{"fast-mcp", ""},
		{"fast_mcp", ""},
		{"Fast.MCP", ""},
		{"fastmcp2", ""},
		{"pymcp", ""},
		{"requests>=2; extra == 'mcp'", ""},
		{"mcp_", ""},
		{"_mcp", ""},
		{"-mcp", ""},
		{"mcp$", ""},
		{"mcp foo", ""},
		{"mcp[cli", ""},
		{"mcp[c/li]", ""},
		{"", ""},
		{";mcp", ""},
		{"\x00mcp", ""},
		{"ｍcp", ""},
	}
	for _, tc := range tests {
		t.Run(tc.req, func(t *testing.T) {
			got := MCPReason(&Release{RequiresDist: []string{"requests>=2", tc.req}})
			if tc.want == "" {
				if got != "" {
					t.Fatalf("MCPReason = %q, want none", got)
				}
				return
			}
			if !strings.HasPrefix(got, "requires "+tc.want+" ") {
				t.Fatalf("MCPReason = %q, want it to name %s", got, tc.want)
			}
		})
	}
}

func TestMCPReasonRelease(t *testing.T) {
	if got := MCPReason(nil); got != "" {
		t.Errorf("MCPReason(nil) = %q", got)
	}
	if got := MCPReason(&Release{Summary: "An MCP server", ProjectURLs: map[string]string{"mcp": "x"}}); got != "" {
		t.Errorf("summary alone: MCPReason = %q, want none", got)
	}
	got := MCPReason(&Release{RequiresDist: []string{`mcp>=1; extra == "server"`}})
	if !strings.Contains(got, "only with an extra") {
		t.Errorf("extra-only requirement: MCPReason = %q", got)
	}
	if got := MCPReason(&Release{RequiresDist: []string{"mcp>=1"}}); strings.Contains(got, "extra") {
		t.Errorf("plain requirement: MCPReason = %q", got)
	}

	// Requirements longer than MaxRequirementLength are ignored; one exactly at it is read.
	at := "mcp" + strings.Repeat(" ", MaxRequirementLength-len("mcp"))
	if got := MCPReason(&Release{RequiresDist: []string{at}}); got == "" {
		t.Error("requirement of MaxRequirementLength bytes ignored")
	}
	if got := MCPReason(&Release{RequiresDist: []string{at + " "}}); got != "" {
		t.Errorf("requirement over MaxRequirementLength: MCPReason = %q", got)
	}
	// The reason quotes a bounded requirement.
	long := "mcp>=1; " + strings.Repeat("x", 1000)
	if got := MCPReason(&Release{RequiresDist: []string{long}}); got == "" || len(got) > 2*maxQuoted+64 {
		t.Errorf("long requirement: reason of %d bytes: %q", len(got), got)
	}

	// Only the first MaxRequiresDist entries are examined.
	reqs := make([]string, MaxRequiresDist+1)
	for i := range reqs {
		reqs[i] = "requests"
	}
	reqs[MaxRequiresDist-1] = "mcp"
	if got := MCPReason(&Release{RequiresDist: reqs}); got == "" {
		t.Error("mcp as entry MaxRequiresDist not found")
	}
	reqs[MaxRequiresDist-1], reqs[MaxRequiresDist] = "requests", "mcp"
	if got := MCPReason(&Release{RequiresDist: reqs}); got != "" {
		t.Errorf("mcp past MaxRequiresDist: MCPReason = %q", got)
	}
}

func TestNormalizeAndValidName(t *testing.T) {
	tests := []struct {
		name, norm string
		valid      bool
	}{
		{"mcp", "mcp", true},
		{"Foo_Bar", "foo-bar", true},
		{"foo.-_bar", "foo-bar", true},
		{"A1", "a1", true},
		{"x", "x", true},
		{"-x", "-x", false},
		{"x.", "x-", false},
		{"", "", false},
		{"a/b", "a/b", false},
		{"a b", "a b", false},
		{"é", "é", false},
		{strings.Repeat("a", MaxNameLength), strings.Repeat("a", MaxNameLength), true},
		{strings.Repeat("a", MaxNameLength+1), strings.Repeat("a", MaxNameLength+1), false},
	}
	for _, tc := range tests {
		if got := Normalize(tc.name); got != tc.norm {
			t.Errorf("Normalize(%q) = %q, want %q", tc.name, got, tc.norm)
		}
		if got := ValidName(tc.name); got != tc.valid {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.valid)
		}
	}
}
