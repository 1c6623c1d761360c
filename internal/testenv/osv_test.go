package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// osvAnswer is a decoded /v1/query answer.
type osvAnswer struct {
	Vulns []struct {
		ID        string   `json:"id"`
		Summary   string   `json:"summary"`
		Aliases   []string `json:"aliases"`
		Published string   `json:"published"`
		Modified  string   `json:"modified"`
		Affected  []struct {
			Package struct {
				Ecosystem string `json:"ecosystem"`
				Name      string `json:"name"`
			} `json:"package"`
			Ranges []struct {
				Type   string              `json:"type"`
				Events []map[string]string `json:"events"`
			} `json:"ranges"`
			Versions []string `json:"versions"`
		} `json:"affected"`
	} `json:"vulns"`
	NextPageToken string `json:"next_page_token"`
	Code          int    `json:"code"`
	Message       string `json:"message"`
}

func (a osvAnswer) ids() string {
	out := make([]string, 0, len(a.Vulns))
	for _, v := range a.Vulns {
		out = append(out, v.ID)
	}
	return strings.Join(out, ",")
}

func osvPost(t *testing.T, base, body string) (int, osvAnswer) {
	t.Helper()
	resp, err := http.Post(base+"/v1/query", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a osvAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, a
}

func osvQueryJSON(eco, name, version, token string) string {
	b, _ := json.Marshal(map[string]any{
		"package":    map[string]string{"ecosystem": eco, "name": name},
		"version":    version,
		"page_token": token,
	})
	return string(b)
}

func semverRange(events ...OSVEvent) []OSVRange {
	return []OSVRange{{Type: "SEMVER", Events: events}}
}

func TestOSVMatching(t *testing.T) {
	s := NewOSV()
	base := s.Start()
	defer s.Close()
	s.Add("npm", "mailpost-mcp", OSVRecord{ID: "MAL-2025-0001", Summary: "test fixture",
		Affected: []OSVAffected{{Ranges: semverRange(OSVEvent{Introduced: "1.0.16"})}}})
	s.Add("npm", "fixed-pkg", OSVRecord{ID: "GHSA-fixd",
		Affected: []OSVAffected{{Ranges: semverRange(OSVEvent{Introduced: "0"}, OSVEvent{Fixed: "1.2.3"})}}})
	s.Add("npm", "last-pkg", OSVRecord{ID: "GHSA-last",
		Affected: []OSVAffected{{Ranges: semverRange(OSVEvent{Introduced: "1.0.0"}, OSVEvent{LastAffected: "1.4.0"})}}})
	s.Add("npm", "two-ranges", OSVRecord{ID: "GHSA-two",
		// events deliberately out of order: the server sorts them
		Affected: []OSVAffected{{Ranges: semverRange(
			OSVEvent{Fixed: "3.0.1"}, OSVEvent{Introduced: "1.0.0"}, OSVEvent{Fixed: "1.0.5"}, OSVEvent{Introduced: "3.0.0"})}}})
	s.Add("npm", "limit-pkg", OSVRecord{ID: "GHSA-limit",
		Affected: []OSVAffected{{Ranges: semverRange(OSVEvent{Introduced: "2.0.0"}, OSVEvent{Limit: "2.1.0"})}}})
	s.Add("npm", "listed-pkg", OSVRecord{ID: "GHSA-list",
		Affected: []OSVAffected{{Versions: []string{"0.1.0", "0.3.0"}}}})
	s.Add("npm", "git-only", OSVRecord{ID: "GHSA-git",
		Affected: []OSVAffected{{Ranges: []OSVRange{{Type: "GIT", Events: []OSVEvent{{Introduced: "0"}}}}}}})
	s.Add("npm", "every-version", OSVRecord{ID: "MAL-2025-0002"})
	s.Add("PyPI", "Mail_Tools", OSVRecord{ID: "PYSEC-2025-1",
		Affected: []OSVAffected{{Ranges: []OSVRange{{Type: "ECOSYSTEM", Events: []OSVEvent{{Introduced: "1.0a1"}, {Fixed: "1.0"}}}}}}})

	tests := []struct {
		eco, name, version string
		want               string
	}{
		{"npm", "mailpost-mcp", "1.0.15", ""},
		{"npm", "mailpost-mcp", "1.0.16-beta.1", ""},
		{"npm", "mailpost-mcp", "1.0.16", "MAL-2025-0001"},
		{"npm", "mailpost-mcp", "9.0.0", "MAL-2025-0001"},
		{"npm", "mailpost-mcp", "", "MAL-2025-0001"},
		{"npm", "mailpost-mcp", "not-a-version", ""},
		{"npm", "Mailpost-MCP", "1.0.16", ""}, // npm names are exact
		{"PyPI", "mailpost-mcp", "1.0.16", ""},
		{"npm", "fixed-pkg", "0.0.1", "GHSA-fixd"},
		{"npm", "fixed-pkg", "1.2.2", "GHSA-fixd"},
		{"npm", "fixed-pkg", "1.2.3", ""},
		{"npm", "last-pkg", "0.9.9", ""},
		{"npm", "last-pkg", "1.4.0", "GHSA-last"},
		{"npm", "last-pkg", "1.4.1", ""},
		{"npm", "two-ranges", "1.0.4", "GHSA-two"},
		{"npm", "two-ranges", "1.0.5", ""},
		{"npm", "two-ranges", "2.9.0", ""},
		{"npm", "two-ranges", "3.0.0", "GHSA-two"},
		{"npm", "two-ranges", "3.0.1", ""},
		{"npm", "limit-pkg", "2.0.9", "GHSA-limit"},
		{"npm", "limit-pkg", "2.1.0", ""},
		{"npm", "listed-pkg", "0.1.0", "GHSA-list"},
		{"npm", "listed-pkg", "0.2.0", ""},
		{"npm", "git-only", "1.0.0", ""},
		{"npm", "every-version", "0.0.1", "MAL-2025-0002"},
		{"PyPI", "mail-tools", "1.0rc1", "PYSEC-2025-1"},
		{"PyPI", "MAIL.TOOLS", "1.0a1", "PYSEC-2025-1"},
		{"PyPI", "mail-tools", "1.0", ""},
		{"PyPI", "mail-tools", "0.9", ""},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.name+"@"+tt.version, func(t *testing.T) {
			status, a := osvPost(t, base, osvQueryJSON(tt.eco, tt.name, tt.version, ""))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, a.Message)
			}
			if got := a.ids(); got != tt.want {
				t.Errorf("ids = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOSVRecordShape(t *testing.T) {
	s := NewOSV()
	base := s.Start()
	defer s.Close()
	pub := time.Date(2025, time.September, 25, 12, 0, 0, 0, time.UTC)
	rec := OSVRecord{ID: "MAL-2025-0001", Summary: "fixture", Aliases: []string{"GHSA-x"}, Published: pub,
		Affected: []OSVAffected{
			{Ranges: semverRange(OSVEvent{Introduced: "1.0.16"})},
			{Package: OSVPackage{Ecosystem: "npm", Name: "other-pkg"}, Versions: []string{"2.0.0"}},
		}}
	s.Add("npm", "mailpost-mcp", rec)
	rec.Aliases[0] = "mutated" // Add keeps its own copy

	_, a := osvPost(t, base, osvQueryJSON("npm", "mailpost-mcp", "1.0.16", ""))
	if len(a.Vulns) != 1 {
		t.Fatalf("answer = %+v", a)
	}
	v := a.Vulns[0]
	if v.Published != "2025-09-25T12:00:00Z" || v.Modified == "" || fmt.Sprint(v.Aliases) != "[GHSA-x]" {
		t.Errorf("record = %+v", v)
	}
	if len(v.Affected) != 2 || v.Affected[0].Package.Name != "mailpost-mcp" || v.Affected[0].Package.Ecosystem != "npm" ||
		v.Affected[0].Ranges[0].Type != "SEMVER" || v.Affected[0].Ranges[0].Events[0]["introduced"] != "1.0.16" {
		t.Errorf("affected = %+v", v.Affected)
	}
	// the second affected entry makes the record match other-pkg too
	if _, a := osvPost(t, base, osvQueryJSON("npm", "other-pkg", "2.0.0", "")); a.ids() != "MAL-2025-0001" {
		t.Errorf("other-pkg ids = %q", a.ids())
	}

	// the same id again replaces the record
	s.Add("npm", "mailpost-mcp", OSVRecord{ID: "MAL-2025-0001", Summary: "replaced"})
	_, a = osvPost(t, base, osvQueryJSON("npm", "mailpost-mcp", "0.0.1", ""))
	if len(a.Vulns) != 1 || a.Vulns[0].Summary != "replaced" {
		t.Errorf("after replace = %+v", a)
	}

	resp, err := http.Get(base + "/v1/vulns/MAL-2025-0001")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/vulns: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/v1/vulns/MAL-9999")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET unknown vuln: %d", resp.StatusCode)
	}
}

func TestOSVPagination(t *testing.T) {
	s := NewOSV()
	base := s.Start()
	defer s.Close()
	s.SetPageSize(2)
	for i := range 5 {
		s.Add("npm", "busy", OSVRecord{ID: fmt.Sprintf("GHSA-%d", i)})
	}
	var pages []string
	token := ""
	for range 10 {
		status, a := osvPost(t, base, osvQueryJSON("npm", "busy", "1.0.0", token))
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, a.Message)
		}
		pages = append(pages, a.ids())
		if token = a.NextPageToken; token == "" {
			break
		}
	}
	if got := strings.Join(pages, " | "); got != "GHSA-0,GHSA-1 | GHSA-2,GHSA-3 | GHSA-4" {
		t.Errorf("pages = %s", got)
	}
	if q := s.Queries(); len(q) != 3 || q[2].PageToken == "" || q[0].Name != "busy" {
		t.Errorf("queries = %+v", q)
	}

	s.SetPageSize(0) // back to the default
	if _, a := osvPost(t, base, osvQueryJSON("npm", "busy", "1.0.0", "")); len(a.Vulns) != 5 || a.NextPageToken != "" {
		t.Errorf("default page size answer = %+v", a)
	}
	// exactly one page's worth: no token
	s.SetPageSize(5)
	if _, a := osvPost(t, base, osvQueryJSON("npm", "busy", "1.0.0", "")); len(a.Vulns) != 5 || a.NextPageToken != "" {
		t.Errorf("exact page answer = %+v", a)
	}
}

func TestOSVErrors(t *testing.T) {
	s := NewOSV()
	base := s.Start()
	defer s.Close()
	s.Add("npm", "x", OSVRecord{ID: "GHSA-1"})

	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"malformed JSON", `{"package":`, http.StatusBadRequest},
		{"no name", `{"package":{"ecosystem":"npm"},"version":"1.0.0"}`, http.StatusBadRequest},
		{"no ecosystem", `{"package":{"name":"x"},"version":"1.0.0"}`, http.StatusBadRequest},
		{"foreign page token", osvQueryJSON("npm", "x", "1.0.0", "page-2"), http.StatusBadRequest},
		{"page token past the end", osvQueryJSON("npm", "x", "1.0.0", "osvpage-2"), http.StatusBadRequest},
		{"page token at the end", osvQueryJSON("npm", "x", "1.0.0", "osvpage-1"), http.StatusOK},
		{"body of the maximum size", osvQueryJSON("npm", "x", "1.0.0", "") + strings.Repeat(" ", osvMaxRequestSize-len(osvQueryJSON("npm", "x", "1.0.0", ""))), http.StatusOK},
		{"body one byte too large", strings.Repeat(" ", osvMaxRequestSize+1), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, a := osvPost(t, base, tt.body)
			if status != tt.status {
				t.Errorf("status = %d (%s), want %d", status, a.Message, tt.status)
			}
			if status != http.StatusOK && (a.Code == 0 || a.Message == "") {
				t.Errorf("error answer = %+v, want OSV's {code, message}", a)
			}
		})
	}

	resp, err := http.Get(base + "/v1/query")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/query: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/v2/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}
}

func TestOSVFailNext(t *testing.T) {
	s := NewOSV()
	base := s.Start()
	defer s.Close()
	s.Add("npm", "x", OSVRecord{ID: "GHSA-1"})
	s.FailNext(2, http.StatusServiceUnavailable)
	var statuses []int
	for range 3 {
		status, _ := osvPost(t, base, osvQueryJSON("npm", "x", "1.0.0", ""))
		statuses = append(statuses, status)
	}
	if fmt.Sprint(statuses) != "[503 503 200]" {
		t.Errorf("statuses = %v", statuses)
	}
	if s.Requests() != 3 || len(s.Queries()) != 1 {
		t.Errorf("requests = %d, queries = %d", s.Requests(), len(s.Queries()))
	}
	if s.Start() != base {
		t.Error("Start is not idempotent")
	}
}
