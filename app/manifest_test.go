package app

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestManifest checks app/manifest.json (the GitHub App manifest) asks for exactly the permissions
// and events mcpvet uses.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name        string               `json:"name"`
		URL         string               `json:"url"`
		Hook        struct{ URL string } `json:"hook_attributes"`
		Public      *bool                `json:"public"`
		Permissions map[string]string    `json:"default_permissions"`
		Events      []string             `json:"default_events"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for k := range raw {
		if !slices.Contains([]string{"name", "url", "description", "hook_attributes", "redirect_url", "callback_urls", "setup_url",
			"public", "default_events", "default_permissions", "request_oauth_on_install", "setup_on_update"}, k) {
			t.Errorf("manifest key %q is not a GitHub App manifest parameter", k)
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name == "" || m.URL == "" || m.Hook.URL == "" {
		t.Errorf("name, url and hook_attributes.url are required: %+v", m)
	}
	if m.Public == nil || *m.Public {
		t.Error("the App should be private")
	}
	want := map[string]string{"metadata": "read", "contents": "read", "pull_requests": "write", "checks": "write"}
	if len(m.Permissions) != len(want) {
		t.Errorf("permissions %v, want %v", m.Permissions, want)
	}
	for k, v := range want {
		if m.Permissions[k] != v {
			t.Errorf("permission %s = %q, want %q", k, m.Permissions[k], v)
		}
	}
	events := slices.Clone(m.Events)
	slices.Sort(events)
	if !slices.Equal(events, []string{"check_run", "check_suite", "pull_request"}) {
		t.Errorf("events %v, want pull_request, check_run, check_suite", m.Events)
	}
	for _, e := range m.Events {
		if !handledEvent(e) {
			t.Errorf("subscribed event %q is not handled by the server", e)
		}
	}
}
