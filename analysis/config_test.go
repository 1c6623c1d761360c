package analysis_test

import (
	"log/slog"
	"strings"
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

// TestConfigFromEnvScorecard: MCPVET_SCORECARD_API names the results API (default the public one); "off"
// turns Scorecard off entirely, stored results and local checks alike.
func TestConfigFromEnvScorecard(t *testing.T) {
	tests := []struct {
		api     string
		wantOff bool
		wantURL string
	}{
		{"", false, "https://api.securityscorecards.dev"},
		{"https://scorecard.mirror.example/api/", false, "https://scorecard.mirror.example/api"},
		{"off", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			env := map[string]string{"HOME": "/home/u", analysis.EnvScorecardAPI: tt.api}
			cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, t.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.Scorecard == nil) != tt.wantOff {
				t.Fatalf("Scorecard = %+v, want off %v", cfg.Scorecard, tt.wantOff)
			}
			if tt.wantOff {
				return
			}
			if cfg.Scorecard.API == nil || cfg.Scorecard.API.URL() != tt.wantURL || cfg.Scorecard.Local == nil {
				t.Errorf("Scorecard = %+v, want the API at %s and local checks", cfg.Scorecard, tt.wantURL)
			}
		})
	}
}

// TestConfigFromEnvTrustedRootTUF: MCPVET_SIGSTORE_TRUSTED_ROOT=tuf fetches the public-good trusted root
// through TUF; a mirror that cannot be reached does not stop the review but is kept as TrustedRootErr (the
// engine then reports provenance as not verifiable, never as unchecked). Offline: the mirror is a closed port.
func TestConfigFromEnvTrustedRootTUF(t *testing.T) {
	env := map[string]string{
		"MCPVET_CACHE_DIR":              t.TempDir(),
		analysis.EnvSigstoreTrustedRoot: analysis.TrustedRootTUF,
		analysis.EnvSigstoreTUFURL:      "http://127.0.0.1:1",
		analysis.EnvOSVAPI:              "off",
		analysis.EnvScorecardAPI:        "off",
	}
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("an unreachable TUF mirror stopped the configuration: %v", err)
	}
	if cfg.TrustedRoot != nil || cfg.TrustedRootErr == nil {
		t.Fatalf("TrustedRoot %d bytes, TrustedRootErr %v; want none and an error", len(cfg.TrustedRoot), cfg.TrustedRootErr)
	}
	err = cfg.TrustedRootErr
	for _, want := range []string{analysis.EnvSigstoreTrustedRoot, "http://127.0.0.1:1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// TestConfigWithGitHubToken: the per-job copy carries the token for upstream fetches and identity
// lookups; the Config it was made from keeps none, and the other parts are shared.
func TestConfigWithGitHubToken(t *testing.T) {
	env := map[string]string{"MCPVET_CACHE_DIR": t.TempDir(), analysis.EnvOSVAPI: "off", analysis.EnvScorecardAPI: "off"}
	base, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	job := base.WithGitHubToken("ghs_job")
	if job.Fetcher.GitHubToken != "ghs_job" || job.Identity.Token != "ghs_job" {
		t.Errorf("copy: fetcher token %q, identity token %q", job.Fetcher.GitHubToken, job.Identity.Token)
	}
	if base.Fetcher.GitHubToken != "" || base.Identity.Token != "" {
		t.Errorf("base changed: fetcher token %q, identity token %q", base.Fetcher.GitHubToken, base.Identity.Token)
	}
	if job.Registry != base.Registry || job.Fetcher.CacheDir != base.Fetcher.CacheDir {
		t.Error("the copy does not share the registry client and the cache")
	}
}
