package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func getScorecard(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func TestScorecardServer(t *testing.T) {
	s := NewScorecard()
	base := s.Start()
	defer s.Close()
	s.Add(ScorecardResult{Repo: "github.com/Acme/Weather-MCP", Commit: "0123456789abcdef0123456789abcdef01234567", Score: 6.3,
		Date: time.Date(2025, 9, 8, 3, 14, 0, 0, time.UTC),
		Checks: []ScorecardCheck{
			{Name: "Dangerous-Workflow", Score: 10, Reason: "no dangerous workflow patterns detected"},
			{Name: "Packaging", Score: -1, Reason: "packaging workflow not detected"},
		}})

	code, body := getScorecard(t, base+"/projects/github.com/acme/weather-mcp")
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, body)
	}
	// The real API's shape: Scorecard's JSON format v2.
	var got struct {
		Date string `json:"date"`
		Repo struct {
			Name   string `json:"name"`
			Commit string `json:"commit"`
		} `json:"repo"`
		Scorecard struct {
			Version string `json:"version"`
			Commit  string `json:"commit"`
		} `json:"scorecard"`
		Score  float64 `json:"score"`
		Checks []struct {
			Name          string   `json:"name"`
			Score         int      `json:"score"`
			Reason        string   `json:"reason"`
			Details       []string `json:"details"`
			Documentation struct {
				Short string `json:"short"`
				URL   string `json:"url"`
			} `json:"documentation"`
		} `json:"checks"`
		Metadata []string `json:"metadata"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Date != "2025-09-08T03:14:00Z" || got.Repo.Name != "github.com/Acme/Weather-MCP" || got.Repo.Commit != "0123456789abcdef0123456789abcdef01234567" ||
		got.Scorecard.Version != "v5.5.0" || len(got.Scorecard.Commit) != 40 || got.Score != 6.3 || len(got.Checks) != 2 {
		t.Errorf("answer = %+v", got)
	}
	if c := got.Checks[1]; c.Name != "Packaging" || c.Score != -1 || !strings.HasSuffix(c.Documentation.URL, "#packaging") || c.Documentation.Short == "" {
		t.Errorf("check = %+v", c)
	}

	tests := []struct {
		name  string
		setup func()
		path  string
		code  int
		size  int
	}{
		{"unknown project", nil, "/projects/github.com/acme/nothing", http.StatusNotFound, 0},
		{"not under /projects", nil, "/github.com/acme/weather-mcp", http.StatusNotFound, 0},
		{"failing", func() { s.FailNext(1, http.StatusBadGateway) }, "/projects/github.com/acme/weather-mcp", http.StatusBadGateway, 0},
		{"recovered", nil, "/projects/github.com/acme/weather-mcp", http.StatusOK, 0},
		{"padded", func() { s.PadTo(1 << 16) }, "/projects/github.com/acme/weather-mcp", http.StatusOK, 1 << 16},
		{"raw", func() { s.PadTo(0); s.AddRaw("github.com/acme/raw", []byte("{not json")) }, "/projects/github.com/acme/raw", http.StatusOK, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			code, body := getScorecard(t, base+tt.path)
			if code != tt.code || (tt.size > 0 && len(body) != tt.size) {
				t.Errorf("HTTP %d, %d bytes; want %d, %d", code, len(body), tt.code, tt.size)
			}
		})
	}
	if n := s.Requests(); n != 1+len(tests) {
		t.Errorf("%d requests counted, want %d", n, 1+len(tests))
	}
}
