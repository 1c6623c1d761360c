package osv

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Vuln is one OSV advisory that covers the queried version, as far as mcpvet uses it. Its strings are
// cleaned: ids are validated, and Summary and Severity are single-line, valid UTF-8 and bounded.
type Vuln struct {
	// ID is the advisory id, e.g. "MAL-2025-0001" or "GHSA-xxxx-xxxx-xxxx".
	ID string
	// Aliases are other ids of the same advisory (at most MaxAliases; invalid ones are dropped).
	Aliases []string
	// Summary is the advisory's one-line summary ("" when it has none).
	Summary string
	// Published and Modified are the advisory's timestamps (zero when absent or unparsable).
	Published, Modified time.Time
	// Withdrawn is set when the advisory was withdrawn; Findings ignores withdrawn advisories.
	Withdrawn time.Time
	// Malicious marks an advisory of a known-malicious version: its ID, or one of its aliases, has the
	// prefix "MAL-" (OSV's malicious-packages ids; GitHub's malware advisories alias them).
	Malicious bool
	// Severity is database_specific.severity when the advisory has one (GitHub's "LOW" … "CRITICAL"),
	// else its first severity entry as "TYPE score" (e.g. a CVSS vector), else "".
	Severity string
}

// URL is the advisory's page on osv.dev.
func (v Vuln) URL() string { return "https://osv.dev/vulnerability/" + v.ID }

// malAlias returns the first MAL- id among v's id and aliases.
func (v Vuln) malAlias() string {
	if isMAL(v.ID) {
		return v.ID
	}
	for _, a := range v.Aliases {
		if isMAL(a) {
			return a
		}
	}
	return ""
}

func isMAL(id string) bool { return strings.HasPrefix(id, "MAL-") }

// validID reports whether id looks like an OSV id: a letter first, then letters, digits and ".-_:",
// at most MaxIDLength bytes. Only such ids are put into URLs and messages.
func validID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'):
		default:
			return false
		}
	}
	return true
}

// wireResponse is the body of a /v1/query answer.
type wireResponse struct {
	Vulns         []wireVuln `json:"vulns"`
	NextPageToken string     `json:"next_page_token"`
}

// wireVuln holds the fields of an OSV record that mcpvet reads. Timestamps are strings so that a bad
// one does not make the whole answer unreadable; database_specific is free-form by the schema.
type wireVuln struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Summary   string   `json:"summary"`
	Published string   `json:"published"`
	Modified  string   `json:"modified"`
	Withdrawn string   `json:"withdrawn"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

// decodeResponse reads one page of a /v1/query answer. Any advisory with an invalid id makes the whole
// page malformed: skipping it could hide a malicious version.
func decodeResponse(body []byte) ([]Vuln, string, error) {
	var r wireResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := make([]Vuln, 0, len(r.Vulns))
	for i, w := range r.Vulns {
		if !validID(w.ID) {
			return nil, "", fmt.Errorf("%w: advisory %d has an invalid id %s", ErrMalformed, i, quote(w.ID))
		}
		v := Vuln{
			ID:        w.ID,
			Summary:   clean(w.Summary, MaxSummaryLength),
			Published: parseTime(w.Published),
			Modified:  parseTime(w.Modified),
			Withdrawn: parseTime(w.Withdrawn),
			Severity:  clean(severity(w), MaxSeverityLength),
			Malicious: isMAL(w.ID),
		}
		for _, a := range w.Aliases {
			if !validID(a) || a == w.ID {
				continue
			}
			if isMAL(a) {
				v.Malicious = true
			}
			if len(v.Aliases) < MaxAliases {
				v.Aliases = append(v.Aliases, a)
			}
		}
		out = append(out, v)
	}
	return out, r.NextPageToken, nil
}

// severity picks the advisory's severity label (see Vuln.Severity).
func severity(w wireVuln) string {
	var ds struct {
		Severity any `json:"severity"`
	}
	if len(w.DatabaseSpecific) > 0 && json.Unmarshal(w.DatabaseSpecific, &ds) == nil {
		if s, ok := ds.Severity.(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	for _, s := range w.Severity {
		if strings.TrimSpace(s.Score) != "" {
			return strings.TrimSpace(s.Type + " " + s.Score)
		}
	}
	return ""
}

// parseTime reads an RFC 3339 timestamp; zero when absent or invalid.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// clean makes s one line of valid UTF-8 without control or format characters, with runs of spaces
// collapsed, cut to at most limit bytes (ending in "…" when cut).
func clean(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if b.Len() > limit {
			break
		}
	}
	out := b.String()
	if len(out) <= limit {
		return out
	}
	const ell = "…"
	cut := limit - len(ell)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return strings.TrimRight(out[:max(cut, 0)], " ") + ell
}
