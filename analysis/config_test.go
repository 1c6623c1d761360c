package analysis_test

import (
	"log/slog"
	"testing"

	"github.com/mcpvet/mcpvet/analysis"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantURL string
		wantErr bool
	}{
		{"default is github.com, never GITHUB_SERVER_URL", map[string]string{
			"HOME": "/home/u", "GITHUB_SERVER_URL": "https://ghes.corp.example", "GITHUB_API_URL": "https://ghes.corp.example/api/v3",
		}, "https://github.com", false},
		{"mirror", map[string]string{"HOME": "/home/u", "MCPVET_GITHUB_URL": "https://mirror.corp.example/gh"}, "https://mirror.corp.example/gh", false},
		{"not a URL", map[string]string{"HOME": "/home/u", "MCPVET_GITHUB_URL": "file:///etc"}, "", true},
		{"no cache directory at all", map[string]string{}, "", true},
		{"explicit cache without HOME", map[string]string{"MCPVET_CACHE_DIR": "/tmp/c"}, "https://github.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := analysis.ConfigFromEnv(func(k string) string { return tt.env[k] }, t.TempDir(), slog.New(slog.DiscardHandler))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && cfg.Fetcher.GitHubURL != tt.wantURL {
				t.Errorf("GitHubURL = %q, want %q", cfg.Fetcher.GitHubURL, tt.wantURL)
			}
		})
	}
}
