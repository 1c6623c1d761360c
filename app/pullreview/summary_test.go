package pullreview

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorTextLimit: an error message of maxErrorSummary bytes is shown whole, one byte more is cut
// there (at a character boundary, marked "…"), and a token the cut would split is still redacted.
func TestErrorTextLimit(t *testing.T) {
	token := "ghs_" + strings.Repeat("A1b2", 9) // 40 bytes
	tests := []struct {
		name, msg, want string
	}{
		{"at the limit", strings.Repeat("x", maxErrorSummary), strings.Repeat("x", maxErrorSummary)},
		{"one byte over", strings.Repeat("x", maxErrorSummary+1), strings.Repeat("x", maxErrorSummary) + "…"},
		{"a character across the limit", strings.Repeat("x", maxErrorSummary-1) + "é", strings.Repeat("x", maxErrorSummary-1) + "…"},
		{"a token across the limit", strings.Repeat("x", maxErrorSummary-20) + " " + token + " tail",
			strings.Repeat("x", maxErrorSummary-20) + " [redacted] tail"},
		{"a code fence", "bad ``` fence", "bad `\u200b`` fence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errorText(errors.New(tc.msg))
			if got != tc.want {
				t.Errorf("errorText of %d bytes = %d bytes %.40q…, want %d bytes", len(tc.msg), len(got), got, len(tc.want))
			}
			if strings.Contains(got, "ghs_") || !utf8.ValidString(got) {
				t.Errorf("errorText = %q", got)
			}
		})
	}
}
