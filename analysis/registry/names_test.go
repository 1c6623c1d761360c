package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name    string
		ok      bool
		escaped string
	}{
		{"left-pad", true, "left-pad"},
		{"JSONStream", true, "JSONStream"},
		{"@scope/name", true, "@scope%2fname"},
		{"@modelcontextprotocol/server-filesystem", true, "@modelcontextprotocol%2fserver-filesystem"},
		{"a.b_c-d!~*'()", true, "a.b_c-d!~*'()"},
		{long(MaxNameLength), true, long(MaxNameLength)},
		{"@s/" + long(MaxNameLength-3), true, "@s%2f" + long(MaxNameLength-3)},
		{long(MaxNameLength + 1), false, ""},
		{"", false, ""},
		{".", false, ""},
		{"..", false, ""},
		{".hidden", false, ""},
		{"_private", false, ""},
		{"a/b", false, ""},
		{"../etc/passwd", false, ""},
		{"@scope", false, ""},
		{"@scope/", false, ""},
		{"@/name", false, ""},
		{"@scope/../x", false, ""},
		{"@scope/a/b", false, ""},
		{"@./x", false, ""},
		{"@scope/..", false, ""},
		{"name%2f..", false, ""},
		{"name?x=1", false, ""},
		{"name#frag", false, ""},
		{"with space", false, ""},
		{"tab\tname", false, ""},
		{"a\\b", false, ""},
		{"ünicode", false, ""},
		{"@scope%2fname", false, ""},
		{"@sc@pe/name", false, ""},
	}
	for _, tc := range tests {
		err := ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, not ErrInvalidName", tc.name, err)
		}
		if tc.ok && escapeName(tc.name) != tc.escaped {
			t.Errorf("escapeName(%q) = %q, want %q", tc.name, escapeName(tc.name), tc.escaped)
		}
	}
	if err := ValidateName(long(10000)); err == nil || len(err.Error()) > 300 {
		t.Errorf("error for a huge name is not bounded: %d bytes", len(err.Error()))
	}
}
