package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestPyPINormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Foo_Bar":     "foo-bar",
		"foo.-_bar":   "foo-bar",
		"MCP":         "mcp",
		"a--b__c..d":  "a-b-c-d",
		"mcp-server":  "mcp-server",
		"Fast.MCP":    "fast-mcp",
		"already-ok1": "already-ok1",
	} {
		if got := pypiNormalize(in); got != want {
			t.Errorf("pypiNormalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPyPIServer(t *testing.T) {
	s := NewPyPI()
	base := s.Start()
	defer s.Close()
	up := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	s.Add("My_Server", "1.0.0", PyPIRelease{
		Summary:      "a server",
		RequiresDist: []string{"mcp[cli]>=1.2"},
		ProjectURLs:  map[string]string{"Source": "https://example.com/x"},
		UploadTime:   up,
	})
	s.Add("raw", "1", PyPIRelease{Body: []byte("not json")})

	get := func(path string) (int, []byte) {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, b
	}

	tests := []struct {
		name, path string
		status     int
	}{
		{"display name", "/pypi/My_Server/1.0.0/json", 200},
		{"normalised", "/pypi/my-server/1.0.0/json", 200},
		{"other spelling", "/pypi/MY.SERVER/1.0.0/json", 200},
		{"unknown version", "/pypi/my-server/2.0.0/json", 404},
		{"unknown project", "/pypi/nope/1.0.0/json", 404},
		{"bad route", "/simple/my-server/", 404},
		{"raw body", "/pypi/raw/1/json", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
		})
	}

	_, body := get("/pypi/my-server/1.0.0/json")
	var doc struct {
		Info struct {
			Name         string            `json:"name"`
			Version      string            `json:"version"`
			RequiresDist []string          `json:"requires_dist"`
			ProjectURLs  map[string]string `json:"project_urls"`
		} `json:"info"`
		URLs []struct {
			Upload string `json:"upload_time_iso_8601"`
		} `json:"urls"`
		Vulns []any `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Name != "My_Server" || doc.Info.Version != "1.0.0" || len(doc.Info.RequiresDist) != 1 ||
		doc.Info.ProjectURLs["Source"] == "" || len(doc.URLs) != 1 || doc.Vulns == nil {
		t.Errorf("document = %s", body)
	}
	if got, err := time.Parse(time.RFC3339Nano, doc.URLs[0].Upload); err != nil || !got.Equal(up) {
		t.Errorf("upload time %q (%v), want %v", doc.URLs[0].Upload, err, up)
	}
	if _, body := get("/pypi/raw/1/json"); string(body) != "not json" {
		t.Errorf("raw body = %q", body)
	}
	if status, body := get("/pypi/nope/1/json"); status != 404 || string(body) != `{"message":"Not Found"}` {
		t.Errorf("404 = %d %s", status, body)
	}

	s.FailNext(2, http.StatusServiceUnavailable)
	for i := range 2 {
		if status, _ := get("/pypi/my-server/1.0.0/json"); status != 503 {
			t.Errorf("failing request %d: status %d", i, status)
		}
	}
	if status, _ := get("/pypi/my-server/1.0.0/json"); status != 200 {
		t.Errorf("after failures: status %d", status)
	}
	if s.Requests() < 10 {
		t.Errorf("Requests() = %d", s.Requests())
	}
}
