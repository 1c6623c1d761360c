package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

const testToken = "ghp_identitytesttoken"

// identityFake starts the GitHub fake seeded with repositories of known age and state, relative to now.
func identityFake(t *testing.T, now time.Time) (*testenv.GitHub, string) {
	t.Helper()
	testenv.RequireOpenAPI(t)
	g := testenv.NewGitHub()
	if !g.Validating() {
		t.Fatal("the fake does not validate against GitHub's OpenAPI description")
	}
	g.SetClock(func() time.Time { return now })
	old := now.Add(-400 * 24 * time.Hour)
	for _, r := range []testenv.Repository{
		{Owner: "acme", Name: "widgets", Created: old},
		{Owner: "mallory", Name: "widgets", Fork: true, Parent: "acme/widgets", Created: old},
		{Owner: "mallory", Name: "orphan", Fork: true, Parent: "gone/away", Created: old},
		{Owner: "acme", Name: "legacy", Archived: true, Created: old, DefaultBranch: "master"},
		{Owner: "acme", Name: "fresh", Created: now.Add(-10 * 24 * time.Hour)},
		{Owner: "acme", Name: "secret", Private: true, Created: old},
	} {
		if err := g.AddRepository(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.AddUserToken(testToken, "reviewer"); err != nil {
		t.Fatal(err)
	}
	base := g.Start()
	t.Cleanup(g.Close)
	t.Cleanup(func() {
		if v := g.Violations(); len(v) > 0 {
			t.Errorf("OpenAPI violations:\n%s", strings.Join(v, "\n"))
		}
	})
	return g, base
}

func rulesOf(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func TestIdentityLookupAgainstFake(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g, base := identityFake(t, now)
	client := &IdentityClient{APIURL: base, Token: testToken}
	tests := []struct {
		name      string
		claim     Claim
		wantErr   error
		want      Identity
		wantRules []string
		wantMsg   string
	}{
		{name: "normal repository", claim: ghClaim("acme", "widgets"),
			want: Identity{FullName: "acme/widgets", DefaultBranch: "main", Created: now.Add(-400 * 24 * time.Hour)}},
		{name: "case-insensitive name", claim: ghClaim("ACME", "Widgets"),
			want: Identity{FullName: "acme/widgets", DefaultBranch: "main", Created: now.Add(-400 * 24 * time.Hour)}},
		{name: "fork with parent", claim: ghClaim("mallory", "widgets"),
			want:      Identity{FullName: "mallory/widgets", Fork: true, Parent: "acme/widgets", DefaultBranch: "main", Created: now.Add(-400 * 24 * time.Hour)},
			wantRules: []string{RuleFork}, wantMsg: "github.com/mallory/widgets is a fork of acme/widgets"},
		{name: "fork whose parent is not shown", claim: ghClaim("mallory", "orphan"),
			want:      Identity{FullName: "mallory/orphan", Fork: true, DefaultBranch: "main", Created: now.Add(-400 * 24 * time.Hour)},
			wantRules: []string{RuleFork}, wantMsg: "github.com/mallory/orphan is a fork (its parent is not shown)"},
		{name: "archived", claim: ghClaim("acme", "legacy"),
			want:      Identity{FullName: "acme/legacy", Archived: true, DefaultBranch: "master", Created: now.Add(-400 * 24 * time.Hour)},
			wantRules: []string{RuleArchived}, wantMsg: "github.com/acme/legacy is archived"},
		{name: "created 10 days ago", claim: ghClaim("acme", "fresh"),
			want:      Identity{FullName: "acme/fresh", DefaultBranch: "main", Created: now.Add(-10 * 24 * time.Hour)},
			wantRules: []string{RuleYoungRepository}, wantMsg: "github.com/acme/fresh was created 10 days ago (2026-11-15)"},
		{name: "missing", claim: ghClaim("acme", "nothing"), wantErr: ErrRepoNotFound},
		{name: "other host", claim: Claim{Host: "gitlab.com", Owner: "acme", Repo: "widgets"}, wantErr: ErrUnsupportedHost},
		{name: "invalid claim", claim: ghClaim("ac/me", "widgets"), wantErr: ErrInvalidClaim},
		{name: "path escape in repo", claim: ghClaim("acme", ".."), wantErr: ErrInvalidClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(g.Requests())
			id, err := client.Lookup(context.Background(), tt.claim)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("error shows the token: %v", err)
				}
				if errors.Is(err, ErrUnsupportedHost) || errors.Is(err, ErrInvalidClaim) {
					if n := len(g.Requests()) - before; n != 0 {
						t.Errorf("%d requests for a claim that must not be looked up", n)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.URL = base + "/repos/" + tt.claim.Owner + "/" + tt.claim.Repo
			if *id != tt.want {
				t.Errorf("identity = %+v\nwant       %+v", *id, tt.want)
			}
			reqs := g.Requests()
			if last := reqs[len(reqs)-1]; last.Auth != "user:reviewer" || last.Route != "GET /repos/{owner}/{repo}" {
				t.Errorf("request auth %q route %q, want user:reviewer on GET /repos/{owner}/{repo}", last.Auth, last.Route)
			}
			fs := IdentityFindings(id, now)
			if got := strings.Join(rulesOf(fs), ","); got != strings.Join(tt.wantRules, ",") {
				t.Fatalf("rules = %q, want %q", got, tt.wantRules)
			}
			for _, f := range fs {
				if !strings.HasPrefix(f.Message, tt.wantMsg) {
					t.Errorf("message = %q, want prefix %q", f.Message, tt.wantMsg)
				}
				if f.Severity != finding.Warn {
					t.Errorf("severity = %q, want warn", f.Severity)
				}
				if !strings.Contains(f.Evidence, "GET "+tt.want.URL+": full_name="+tt.want.FullName) {
					t.Errorf("evidence = %q, want the API URL and fields", f.Evidence)
				}
			}
		})
	}
}

func TestIdentityAnonymous(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g, base := identityFake(t, now)
	id, err := (&IdentityClient{APIURL: base + "/"}).Lookup(context.Background(), ghClaim("acme", "widgets"))
	if err != nil {
		t.Fatal(err)
	}
	if id.URL != base+"/repos/acme/widgets" {
		t.Errorf("URL = %q", id.URL)
	}
	reqs := g.Requests()
	if got := reqs[len(reqs)-1].Auth; got != "none" {
		t.Errorf("auth = %q, want none", got)
	}
	// A private repository is invisible to an anonymous caller: GitHub answers 404.
	if _, err := (&IdentityClient{APIURL: base}).Lookup(context.Background(), ghClaim("acme", "secret")); !errors.Is(err, ErrRepoNotFound) {
		t.Errorf("private repository: err = %v, want ErrRepoNotFound", err)
	}
}

// TestIdentityTokenOnlyToAPIURL: the token goes to APIURL, but not to another origin a redirect names
// (Go's own redirect policy would keep it for another port of the same host).
func TestIdentityTokenOnlyToAPIURL(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g, base := identityFake(t, now)
	var gotAuth atomic.Value
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		http.Redirect(w, r, base+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer redirector.Close()
	id, err := (&IdentityClient{APIURL: redirector.URL, Token: testToken}).Lookup(context.Background(), ghClaim("mallory", "widgets"))
	if err != nil {
		t.Fatal(err)
	}
	if id.FullName != "mallory/widgets" || !id.Fork {
		t.Errorf("identity = %+v", id)
	}
	if got, _ := gotAuth.Load().(string); got != "Bearer "+testToken {
		t.Errorf("APIURL got Authorization %q, want the token", got)
	}
	reqs := g.Requests()
	if got := reqs[len(reqs)-1].Auth; got != "none" {
		t.Errorf("redirect target saw auth %q, want none", got)
	}
}

func TestIdentityClientFromEnv(t *testing.T) {
	env := map[string]string{
		"GITHUB_API_URL": "https://ghes.example/api/v3", "GITHUB_TOKEN": "ghs_reviewed",
		EnvGitHubAPIURL: "https://mirror.example/api", EnvGitHubToken: "ghp_upstream",
	}
	c := IdentityClientFromEnv(func(k string) string { return env[k] })
	if c.APIURL != "https://mirror.example/api" || c.Token != "ghp_upstream" {
		t.Errorf("client = %+v", c)
	}
	c = IdentityClientFromEnv(func(k string) string {
		if strings.HasPrefix(k, "MCPVET_") {
			return ""
		}
		return env[k]
	})
	if c.APIURL != "" || c.Token != "" {
		t.Errorf("client took GITHUB_* variables: %+v", c)
	}
	if u, err := c.base(); err != nil || u.String() != DefaultGitHubAPIURL {
		t.Errorf("base = %v, %v; want %s", u, err, DefaultGitHubAPIURL)
	}
}

// repoBody is a minimal full-repository answer padded with spaces to exactly size bytes (or unpadded
// when size is smaller).
func repoBody(size int) string {
	s := `{"full_name":"acme/widgets","fork":false,"archived":false,"created_at":"2020-01-02T03:04:05Z","default_branch":"main"}`
	if size > len(s) {
		s += strings.Repeat(" ", size-len(s))
	}
	return s
}

func TestIdentityHostileAnswers(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr error  // errors.Is target, or nil
		errText string // substring, when wantErr is nil and an error is expected
		ok      bool
	}{
		{name: "body at the limit", ok: true, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, repoBody(MaxIdentityBodyBytes))
		}},
		{name: "body over the limit", wantErr: ErrTooLarge, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, repoBody(MaxIdentityBodyBytes+1))
		}},
		{name: "declared length over the limit", wantErr: ErrTooLarge, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(MaxIdentityBodyBytes+1))
			fmt.Fprint(w, repoBody(0))
		}},
		{name: "server error", errText: "unexpected status 500", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}},
		{name: "rate limited", errText: "unexpected status 403", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"message":"API rate limit exceeded"}`, http.StatusForbidden)
		}},
		{name: "not JSON", errText: "decode repository", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html>")
		}},
		{name: "bad full_name", wantErr: ErrInvalidClaim, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(repoBody(0), "acme/widgets", "../../etc", 1))
		}},
		{name: "bad parent", wantErr: ErrInvalidClaim, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(repoBody(0), `"fork":false`, `"fork":true,"parent":{"full_name":"a b/c"}`, 1))
		}},
		{name: "missing created_at", errText: "created_at", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(repoBody(0), "2020-01-02T03:04:05Z", "yesterday", 1))
		}},
		{name: "control character in default branch", errText: "default_branch", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(repoBody(0), `"main"`, `"ma\u001bin"`, 1))
		}},
		{name: "default branch over the limit", errText: "default_branch", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(repoBody(0), `"main"`, `"`+strings.Repeat("b", MaxIdentityBranchLength+1)+`"`, 1))
		}},
		{name: "default branch at the limit", ok: true, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(repoBody(0), `"main"`, `"`+strings.Repeat("b", MaxIdentityBranchLength)+`"`, 1))
		}},
		{name: "redirects at the limit", ok: true, handler: redirectChain(MaxIdentityRedirects)},
		{name: "redirects over the limit", wantErr: ErrTooLarge, handler: redirectChain(MaxIdentityRedirects + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			id, err := (&IdentityClient{APIURL: srv.URL, Token: testToken}).Lookup(context.Background(), ghClaim("acme", "widgets"))
			switch {
			case tt.ok:
				if err != nil {
					t.Fatal(err)
				}
				if id.FullName != "acme/widgets" {
					t.Errorf("identity = %+v", id)
				}
				return
			case err == nil:
				t.Fatalf("no error, identity %+v", id)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && !strings.Contains(err.Error(), tt.errText):
				t.Fatalf("err = %v, want it to mention %q", err, tt.errText)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

// redirectChain redirects n times (same origin) before answering.
func redirectChain(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hop, _ := strconv.Atoi(r.URL.Query().Get("hop"))
		if hop < n {
			http.Redirect(w, r, r.URL.Path+"?hop="+strconv.Itoa(hop+1), http.StatusFound)
			return
		}
		fmt.Fprint(w, repoBody(0))
	}
}

func TestIdentityBadAPIURL(t *testing.T) {
	for _, raw := range []string{"ftp://example.com", "https://user:pw@example.com", "https://example.com/?q=1", "::"} {
		_, err := (&IdentityClient{APIURL: raw}).Lookup(context.Background(), ghClaim("acme", "widgets"))
		if err == nil {
			t.Errorf("%q: no error", raw)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("%q: error shows the password: %v", raw, err)
		}
	}
}

func TestIdentityFindingsAge(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		id      *Identity
		want    []string
		wantMsg string
	}{
		{name: "nil", id: nil},
		{name: "exactly 30 days", id: &Identity{FullName: "a/b", Created: now.Add(-YoungRepositoryAge)}},
		{name: "one second under 30 days", id: &Identity{FullName: "a/b", Created: now.Add(-YoungRepositoryAge + time.Second)},
			want: []string{RuleYoungRepository}, wantMsg: "github.com/a/b was created 29 days ago (2026-10-26), less than 30 days before this review"},
		{name: "an hour ago", id: &Identity{FullName: "a/b", Created: now.Add(-time.Hour)},
			want: []string{RuleYoungRepository}, wantMsg: "github.com/a/b was created less than a day ago"},
		{name: "in the future", id: &Identity{FullName: "a/b", Created: now.Add(time.Hour)},
			want: []string{RuleYoungRepository}, wantMsg: "github.com/a/b was created in the future"},
		{name: "unknown creation time", id: &Identity{FullName: "a/b"}},
		{name: "all three", id: &Identity{FullName: "a/b", Fork: true, Parent: "c/d", Archived: true, Created: now},
			want: []string{RuleFork, RuleArchived, RuleYoungRepository}, wantMsg: "github.com/a/b is a fork of c/d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := IdentityFindings(tt.id, now)
			if got := strings.Join(rulesOf(fs), ","); got != strings.Join(tt.want, ",") {
				t.Fatalf("rules = %q, want %q", got, tt.want)
			}
			if len(fs) > 0 && !strings.HasPrefix(fs[0].Message, tt.wantMsg) {
				t.Errorf("message = %q, want prefix %q", fs[0].Message, tt.wantMsg)
			}
		})
	}
}

func TestIdentityRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		wantSev := finding.Warn
		if r.ID == RuleIdentityUnknown {
			wantSev = finding.Info // not knowing is reported, but the checks it stands for are warnings
		}
		if !strings.HasPrefix(r.ID, "source/") || r.Severity != wantSev || r.Summary == "" || seen[r.ID] {
			t.Errorf("bad rule %+v", r)
		}
		seen[r.ID] = true
		if _, clash := finding.Lookup(r.ID); clash {
			t.Errorf("rule %s is also defined in package finding", r.ID)
		}
	}
	if len(seen) != 4 {
		t.Errorf("%d rules, want 4", len(seen))
	}
}
