package testenv

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fixture: App 42 ("mcpvet") installed (installation 7) on "acme", whose repository "widgets" has a
// pull request #5 from "mallory" changing package.json and package-lock.json.
const (
	fxAppID   = 42
	fxInstall = 7
	fxOwner   = "acme"
	fxRepo    = "widgets"
	fxBaseSHA = "1111111111111111111111111111111111111111"
	fxHeadSHA = "2222222222222222222222222222222222222222"
	fxPull    = 5
)

// fxPackageJSONPatch changes line 3 and adds line 4 (new side); its hunk covers new lines 1–6 and
// old lines 1–5.
const fxPackageJSONPatch = `@@ -1,5 +1,6 @@
 {
   "name": "widgets",
-  "dependencies": { "postmark-mcp": "1.0.15" },
+  "dependencies": { "postmark-mcp": "1.0.16" },
+  "private": true,
   "version": "1.0.0"
 }
@@ -20,3 +21,3 @@
 a
-b
+B
 c`

var (
	fxKeyOnce sync.Once
	fxKey     *rsa.PrivateKey
	fxKeyErr  error
)

// testAppKey returns an RSA key shared by the tests (generating one per test would be slow).
func testAppKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	fxKeyOnce.Do(func() { fxKey, fxKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if fxKeyErr != nil {
		t.Fatalf("generate key: %v", fxKeyErr)
	}
	return fxKey
}

// newFixtureGitHub starts a fake with the fixture seeded; on cleanup it asserts no violations unless
// the test expects some (allowViolations).
func newFixtureGitHub(t *testing.T, allowViolations bool) (*GitHub, string) {
	t.Helper()
	RequireOpenAPI(t)
	g := NewGitHub()
	seedFixture(t, g)
	base := g.Start()
	t.Cleanup(func() {
		g.Close()
		if v := g.Violations(); !allowViolations && len(v) > 0 {
			t.Errorf("OpenAPI violations:\n%s", strings.Join(v, "\n"))
		}
	})
	return g, base
}

func seedFixture(t *testing.T, g *GitHub) {
	t.Helper()
	key := testAppKey(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.AddApp(GitHubApp{ID: fxAppID, Slug: "mcpvet", PublicKey: &key.PublicKey}))
	must(g.AddInstallation(Installation{ID: fxInstall, AppID: fxAppID, Account: fxOwner}))
	must(g.AddInstallationToken("ghs_actionstoken", fxInstall))
	must(g.AddUserToken("ghp_mallory", "mallory"))
	must(g.AddRepository(Repository{Owner: fxOwner, Name: fxRepo}))
	must(g.AddCommit(fxOwner, fxRepo, fxBaseSHA, map[string][]byte{
		"package.json": []byte("{}\n"), "src/index.js": []byte("console.log(1)\n"), "README.md": []byte("# widgets\n"),
	}))
	must(g.AddCommit(fxOwner, fxRepo, fxHeadSHA, map[string][]byte{
		"package.json": []byte("{\"private\":true}\n"), "src/index.js": []byte("console.log(1)\n"), "README.md": []byte("# widgets\n"),
	}))
	must(g.SetBranch(fxOwner, fxRepo, "main", fxBaseSHA))
	must(g.SetBranch(fxOwner, fxRepo, "bump", fxHeadSHA))
	must(g.AddPull(fxOwner, fxRepo, Pull{
		Number: fxPull, User: "mallory", HeadRef: "bump", HeadSHA: fxHeadSHA, BaseSHA: fxBaseSHA,
		Files: []PullFile{
			{Filename: "package.json", Patch: fxPackageJSONPatch},
			{Filename: "package-lock.json", Patch: "@@ -1,2 +1,2 @@\n {\n-  \"lockfileVersion\": 2\n+  \"lockfileVersion\": 3", OmitPatch: true},
		},
	}))
}

// appJWT signs an App JWT like ghinstallation does (RS256, iss = app id as a string).
func appJWT(t *testing.T, key *rsa.PrivateKey, header, claims string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc([]byte(header)) + "." + enc([]byte(claims))
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc(sig)
}

func validJWT(t *testing.T) string {
	now := time.Now().Unix()
	return appJWT(t, testAppKey(t), `{"alg":"RS256","typ":"JWT"}`,
		fmt.Sprintf(`{"iat":%d,"exp":%d,"iss":"%d"}`, now-30, now+90, fxAppID))
}

type ghReply struct {
	status int
	header http.Header
	body   []byte
}

func (r ghReply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func (r ghReply) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

// call sends a request shaped like go-github v60's: its Accept, User-Agent and API version headers,
// "Authorization: token …" for installation tokens (ghinstallation) or "Bearer …" for JWTs, and a JSON
// body with Content-Type application/json.
func call(t *testing.T, method, url, auth string, body any, extra ...string) ghReply {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				t.Fatal(err)
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.github.v3+json")
	req.Header.Set("User-Agent", "go-github/v60.0.0")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return ghReply{status: resp.StatusCode, header: resp.Header, body: b}
}

func wantStatus(t *testing.T, what string, r ghReply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
}

// installationToken exchanges a valid App JWT for an installation token.
func installationToken(t *testing.T, base string) string {
	t.Helper()
	// ghinstallation sends Content-Type application/json even without InstallationTokenOptions (no body).
	r := call(t, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", base, fxInstall), "Bearer "+validJWT(t), nil,
		"Content-Type", "application/json")
	wantStatus(t, "access token", r, http.StatusCreated)
	return "token " + r.json(t)["token"].(string)
}

func TestGitHubInstallationToken(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	key := testAppKey(t)
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	claims := func(iat, exp int64, iss string) string {
		return fmt.Sprintf(`{"iat":%d,"exp":%d,"iss":%s}`, iat, exp, iss)
	}
	rs256 := `{"alg":"RS256","typ":"JWT"}`
	tests := []struct {
		name    string
		jwt     string
		status  int
		message string
	}{
		{"valid, iss string", appJWT(t, key, rs256, claims(now-30, now+90, `"42"`)), 201, ""},
		{"valid, iss number", appJWT(t, key, rs256, claims(now-30, now+90, `42`)), 201, ""},
		{"exp at the 10 minute limit", appJWT(t, key, rs256, claims(now, now+600, `"42"`)), 201, ""},
		{"signed by another key", appJWT(t, other, rs256, claims(now-30, now+90, `"42"`)), 401, msgJWTUndecodable},
		{"HS256", appJWT(t, key, `{"alg":"HS256"}`, claims(now-30, now+90, `"42"`)), 401, msgJWTUndecodable},
		{"alg none", strings.TrimSuffix(appJWT(t, key, `{"alg":"none"}`, claims(now-30, now+90, `"42"`)), "x") + "x", 401, msgJWTUndecodable},
		{"expired", appJWT(t, key, rs256, claims(now-700, now-100, `"42"`)), 401, msgJWTExpired},
		{"exp too far ahead", appJWT(t, key, rs256, claims(now, now+3600, `"42"`)), 401, msgJWTTooFar},
		{"iat in the future", appJWT(t, key, rs256, claims(now+300, now+500, `"42"`)), 401, msgJWTIssuedAt},
		{"unknown app", appJWT(t, key, rs256, claims(now-30, now+90, `"43"`)), 401, msgJWTNoApp},
		{"garbage", "a.b.c", 401, msgJWTUndecodable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", base, fxInstall), "Bearer "+tc.jwt, nil)
			wantStatus(t, "access token", r, tc.status)
			m := r.json(t)
			if tc.status != 201 {
				if m["message"] != tc.message || m["documentation_url"] == nil {
					t.Errorf("body %s, want message %q and documentation_url", r.body, tc.message)
				}
				if strings.Contains(string(r.body), tc.jwt) {
					t.Error("error body repeats the JWT")
				}
				return
			}
			tok, _ := m["token"].(string)
			if !strings.HasPrefix(tok, "ghs_") || m["expires_at"] == nil {
				t.Fatalf("token response %s", r.body)
			}
			// The token works for the installation's repositories …
			r = call(t, "GET", base+"/repos/acme/widgets/pulls/5", "token "+tok, nil)
			wantStatus(t, "get pull with installation token", r, 200)
			// … and not for App routes.
			wantStatus(t, "GET /app with a token", call(t, "GET", base+"/app", "token "+tok, nil), 401)
		})
	}
	// The JWT itself is refused on repository routes, a token for another installation is 404.
	wantStatus(t, "JWT on a repository route", call(t, "GET", base+"/repos/acme/widgets", "Bearer "+validJWT(t), nil), 403)
	wantStatus(t, "unknown installation", call(t, "POST", base+"/app/installations/999/access_tokens", "Bearer "+validJWT(t), nil), 404)
	r := call(t, "GET", base+"/app", "Bearer "+validJWT(t), nil)
	wantStatus(t, "GET /app", r, 200)
	if r.json(t)["slug"] != "mcpvet" {
		t.Errorf("GET /app: %s", r.body)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/installation", "Bearer "+validJWT(t), nil)
	wantStatus(t, "repo installation", r, 200)
	if r.json(t)["id"] != float64(fxInstall) {
		t.Errorf("repo installation: %s", r.body)
	}
	// Narrowed tokens: a repository outside the installation is refused; a narrowed token sees only its repositories.
	r = call(t, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", base, fxInstall), "Bearer "+validJWT(t),
		map[string]any{"repositories": []string{"nope"}})
	wantStatus(t, "narrow to unknown repo", r, 422)
	if err := g.AddRepository(Repository{Owner: fxOwner, Name: "secret", Private: true}); err != nil {
		t.Fatal(err)
	}
	r = call(t, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", base, fxInstall), "Bearer "+validJWT(t),
		map[string]any{"repositories": []string{"widgets"}, "permissions": map[string]string{"contents": "read"}})
	wantStatus(t, "narrowed token", r, 201)
	narrowed := "token " + r.json(t)["token"].(string)
	wantStatus(t, "narrowed token, its repo", call(t, "GET", base+"/repos/acme/widgets", narrowed, nil), 200)
	wantStatus(t, "narrowed token, private repo outside", call(t, "GET", base+"/repos/acme/secret", narrowed, nil), 404)
	wantStatus(t, "installation token, private repo inside", call(t, "GET", base+"/repos/acme/secret", installationToken(t, base), nil), 200)
	wantStatus(t, "anonymous, private repo", call(t, "GET", base+"/repos/acme/secret", "", nil), 404)
	wantStatus(t, "bad token", call(t, "GET", base+"/repos/acme/widgets", "token ghs_nope", nil), 401)
	r = call(t, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", base, fxInstall), "Bearer "+validJWT(t),
		map[string]any{"permissions": map[string]string{"administration": "write"}})
	wantStatus(t, "permission not granted", r, 422)

	// Installation tokens expire after an hour.
	tok := installationToken(t, base)
	g.SetClock(func() time.Time { return time.Now().Add(GitHubInstallationTokenLifetime + time.Second) })
	wantStatus(t, "expired installation token", call(t, "GET", base+"/repos/acme/widgets", tok, nil), 401)
	g.SetClock(nil)
}

func TestGitHubValidationIsLive(t *testing.T) {
	g, base := newFixtureGitHub(t, true)
	if !g.Validating() {
		t.Fatal("fake does not validate")
	}
	tok := installationToken(t, base)
	if v := g.Violations(); len(v) != 0 {
		t.Fatalf("violations after valid traffic: %v", v)
	}
	r := call(t, "POST", base+"/repos/acme/widgets/check-runs", tok, map[string]any{
		"name": "mcpvet", "head_sha": fxHeadSHA, "status": "completed", "conclusion": "failed",
		"output": map[string]any{"title": "t", "summary": "s"}})
	wantStatus(t, "conclusion failed", r, 422)
	if !strings.HasPrefix(r.json(t)["message"].(string), "Invalid request.") {
		t.Errorf("body %s", r.body)
	}
	v := g.Violations()
	if len(v) != 1 || !strings.Contains(v[0], "conclusion") {
		t.Fatalf("violations %q, want one about conclusion", v)
	}
	wantStatus(t, "unserved route", call(t, "GET", base+"/repos/acme/widgets/branches", tok, nil), 404)
	if v := g.Violations(); len(v) != 2 || !strings.Contains(v[1], "no such route") {
		t.Fatalf("violations %q, want one about the unserved route", v)
	}
}

func TestGitHubResponseValidationCatchesBadResponses(t *testing.T) {
	RequireOpenAPI(t)
	spec, err := loadGitHubSpec()
	if err != nil {
		t.Fatal(err)
	}
	rt, params := matchGitHubRoute("GET", "/repos/acme/widgets/pulls/5")
	req, _ := http.NewRequest("GET", "http://127.0.0.1/repos/acme/widgets/pulls/5", nil)
	val, err := spec.validateRequest(req, rt, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"pull without required fields", 200, `{"id":1}`, false},
		{"undocumented success status", 201, `{}`, false},
		{"documented 404", 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`, true},
		{"undocumented 401 in GitHub's shape", 401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`, true},
		{"undocumented 401 in another shape", 401, `{"error":"nope"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := spec.validateResponse(val, tc.status, h, []byte(tc.body), false)
			if (err == nil) != tc.ok {
				t.Errorf("validateResponse = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestGitHubCheckRuns(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	runs := base + "/repos/acme/widgets/check-runs"

	r := call(t, "POST", runs, tok, map[string]any{"name": "mcpvet", "head_sha": fxHeadSHA, "status": "in_progress",
		"started_at": "2025-01-02T03:04:05Z"})
	wantStatus(t, "create", r, 201)
	cr := r.json(t)
	id := int64(cr["id"].(float64))
	if cr["status"] != "in_progress" || cr["conclusion"] != nil || cr["app"].(map[string]any)["slug"] != "mcpvet" {
		t.Fatalf("created %s", r.body)
	}
	if prs := cr["pull_requests"].([]any); len(prs) != 1 || prs[0].(map[string]any)["number"] != float64(fxPull) {
		t.Errorf("pull_requests %v", prs)
	}
	annotations := func(n int) []any {
		var out []any
		for i := range n {
			out = append(out, map[string]any{"path": "package.json", "start_line": i + 1, "end_line": i + 1,
				"annotation_level": "failure", "message": "blocked", "title": strings.Repeat("t", GitHubMaxAnnotationTitle)})
		}
		return out
	}
	update := func(body map[string]any) ghReply {
		return call(t, "PATCH", fmt.Sprintf("%s/%d", runs, id), tok, body)
	}
	r = update(map[string]any{"name": "mcpvet", "conclusion": "failure",
		"output": map[string]any{"title": "1 blocked", "summary": strings.Repeat("s", GitHubMaxOutputText), "annotations": annotations(GitHubMaxAnnotationsPerRequest)}})
	wantStatus(t, "complete with 50 annotations", r, 200)
	if m := r.json(t); m["status"] != "completed" || m["conclusion"] != "failure" || m["completed_at"] == nil ||
		m["output"].(map[string]any)["annotations_count"] != float64(50) {
		t.Fatalf("completed %s", r.body)
	}
	r = update(map[string]any{"name": "mcpvet", "output": map[string]any{"title": "1 blocked", "summary": "s", "annotations": annotations(3)}})
	wantStatus(t, "append 3 annotations", r, 200)

	// Handler-level rules (the description does not encode them).
	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"empty name (go-github sends it when Name is unset)", map[string]any{"name": ""}},
		{"annotation title over 255", map[string]any{"name": "mcpvet", "output": map[string]any{"title": "t", "summary": "s",
			"annotations": []any{map[string]any{"path": "a", "start_line": 1, "end_line": 1, "annotation_level": "notice", "message": "m", "title": strings.Repeat("t", GitHubMaxAnnotationTitle+1)}}}}},
		{"columns on a multi-line annotation", map[string]any{"name": "mcpvet", "output": map[string]any{"title": "t", "summary": "s",
			"annotations": []any{map[string]any{"path": "a", "start_line": 1, "end_line": 2, "start_column": 1, "end_column": 2, "annotation_level": "notice", "message": "m"}}}}},
		{"message over 64 KB", map[string]any{"name": "mcpvet", "output": map[string]any{"title": "t", "summary": "s",
			"annotations": []any{map[string]any{"path": "a", "start_line": 1, "end_line": 1, "annotation_level": "notice", "message": strings.Repeat("m", GitHubMaxAnnotationText+1)}}}}},
	} {
		wantStatus(t, tc.name, update(tc.body), 422)
	}
	got := g.CheckRuns(fxOwner, fxRepo)
	if len(got) != 1 || got[0].Conclusion != "failure" || len(got[0].Annotations) != 53 || got[0].Updates != 2 ||
		!got[0].StartedAt.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("stored %+v", got)
	}

	// Get, annotations (paginated), list for ref (latest per name by default).
	wantStatus(t, "get", call(t, "GET", fmt.Sprintf("%s/%d", runs, id), tok, nil), 200)
	r = call(t, "GET", fmt.Sprintf("%s/%d/annotations?per_page=50&page=2", runs, id), tok, nil)
	wantStatus(t, "annotations page 2", r, 200)
	if n := len(r.list(t)); n != 3 || !strings.Contains(r.header.Get("Link"), `rel="prev"`) {
		t.Errorf("annotations page 2: %d items, Link %q", n, r.header.Get("Link"))
	}
	wantStatus(t, "second run", call(t, "POST", runs, tok, map[string]any{"name": "mcpvet", "head_sha": fxHeadSHA}), 201)
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 1}, {"?filter=all", 2}, {"?filter=all&status=completed", 1}, {"?check_name=other", 0}} {
		r = call(t, "GET", base+"/repos/acme/widgets/commits/bump/check-runs"+tc.query, tok, nil)
		wantStatus(t, "list for ref"+tc.query, r, 200)
		if n := r.json(t)["total_count"]; n != float64(tc.want) {
			t.Errorf("list for ref%s: total_count %v, want %d", tc.query, n, tc.want)
		}
	}

	// Only an App may write check runs, and only the one that created a run may change it.
	wantStatus(t, "user token", call(t, "POST", runs, "token ghp_mallory", map[string]any{"name": "x", "head_sha": fxHeadSHA}), 403)
	wantStatus(t, "unknown sha", call(t, "POST", runs, tok, map[string]any{"name": "x", "head_sha": strings.Repeat("9", 40)}), 422)
	other, _ := rsa.GenerateKey(rand.Reader, 1024)
	if err := g.AddApp(GitHubApp{ID: 77, Slug: "other", PublicKey: &other.PublicKey}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddInstallation(Installation{ID: 78, AppID: 77, Account: fxOwner}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddInstallationToken("ghs_other", 78); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "another app's update", call(t, "PATCH", fmt.Sprintf("%s/%d", runs, id), "token ghs_other", map[string]any{"name": "x"}), 403)
	// An installation on another account reads the public repository but may not write to it.
	if err := g.AddInstallation(Installation{ID: 79, AppID: 77, Account: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddInstallationToken("ghs_elsewhere", 79); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "uncovered repository, read", call(t, "GET", fmt.Sprintf("%s/%d", runs, id), "token ghs_elsewhere", nil), 200)
	wantStatus(t, "uncovered repository, write", call(t, "POST", runs, "token ghs_elsewhere", map[string]any{"name": "x", "head_sha": fxHeadSHA}), 403)
}

// TestGitHubCheckRunsWithoutDescription exercises the rules the description also encodes, as the fake
// applies them when it runs without the description.
func TestGitHubCheckRunsWithoutDescription(t *testing.T) {
	g := NewGitHub()
	g.spec = nil
	seedFixture(t, g)
	base := g.Start()
	defer g.Close()
	tok := installationToken(t, base)
	runs := base + "/repos/acme/widgets/check-runs"
	ann := func(n int) []any {
		var out []any
		for range n {
			out = append(out, map[string]any{"path": "a", "start_line": 1, "end_line": 1, "annotation_level": "notice", "message": "m"})
		}
		return out
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"50 annotations", map[string]any{"name": "c", "head_sha": fxHeadSHA, "output": map[string]any{"title": "t", "summary": "s", "annotations": ann(50)}}, 201},
		{"51 annotations", map[string]any{"name": "c", "head_sha": fxHeadSHA, "output": map[string]any{"title": "t", "summary": "s", "annotations": ann(51)}}, 422},
		{"summary at 65535", map[string]any{"name": "c", "head_sha": fxHeadSHA, "output": map[string]any{"title": "t", "summary": strings.Repeat("é", GitHubMaxOutputText)}}, 201},
		{"summary at 65536", map[string]any{"name": "c", "head_sha": fxHeadSHA, "output": map[string]any{"title": "t", "summary": strings.Repeat("é", GitHubMaxOutputText+1)}}, 422},
		{"conclusion failed", map[string]any{"name": "c", "head_sha": fxHeadSHA, "conclusion": "failed"}, 422},
		{"completed without conclusion", map[string]any{"name": "c", "head_sha": fxHeadSHA, "status": "completed"}, 422},
		{"output without summary", map[string]any{"name": "c", "head_sha": fxHeadSHA, "output": map[string]any{"title": "t"}}, 422},
		{"missing name", map[string]any{"head_sha": fxHeadSHA}, 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, tc.name, call(t, "POST", runs, tok, tc.body), tc.status)
		})
	}
	if v := g.Violations(); len(v) != 0 {
		t.Errorf("violations without a description: %v", v)
	}
}

func TestGitHubPullsAndFiles(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	r := call(t, "GET", base+"/repos/acme/widgets/pulls/5", tok, nil)
	wantStatus(t, "get pull", r, 200)
	pr := r.json(t)
	head := pr["head"].(map[string]any)
	if head["sha"] != fxHeadSHA || head["ref"] != "bump" || pr["user"].(map[string]any)["login"] != "mallory" ||
		pr["additions"] != float64(4) || pr["deletions"] != float64(3) || pr["changed_files"] != float64(2) {
		t.Fatalf("pull %s", r.body)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/pulls/5/files", tok, nil)
	wantStatus(t, "files", r, 200)
	files := r.list(t)
	if len(files) != 2 || files[0]["patch"] != fxPackageJSONPatch || files[1]["patch"] != nil || files[1]["additions"] != float64(1) {
		t.Fatalf("files %s", r.body)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/pulls?state=open&head=acme:bump", "", nil)
	wantStatus(t, "list pulls", r, 200)
	if n := len(r.list(t)); n != 1 {
		t.Errorf("list pulls: %d", n)
	}
	wantStatus(t, "missing pull", call(t, "GET", base+"/repos/acme/widgets/pulls/6", tok, nil), 404)

	// A fork pull request computed from seeded trees: the files API derives patches; check runs on its
	// head list no pull requests (GitHub leaves fork PRs out).
	const forkHead = "3333333333333333333333333333333333333333"
	if err := g.AddRepository(Repository{Owner: "mallory", Name: fxRepo, Fork: true, Parent: "acme/widgets"}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddCommit("mallory", fxRepo, forkHead, map[string][]byte{
		"package.json": []byte("{\"private\":false}\n"), "src/index.js": []byte("console.log(2)\n"), "NEW": []byte("x"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddPull(fxOwner, fxRepo, Pull{Number: 6, User: "mallory", Fork: true, HeadRef: "main", HeadSHA: forkHead, BaseSHA: fxBaseSHA}); err != nil {
		t.Fatal(err)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/pulls/6/files?per_page=2", tok, nil)
	wantStatus(t, "fork files page 1", r, 200)
	files = r.list(t)
	if len(files) != 2 || files[0]["filename"] != "NEW" || files[0]["status"] != "added" || files[1]["filename"] != "README.md" ||
		files[1]["status"] != "removed" || !strings.Contains(r.header.Get("Link"), `rel="next"`) {
		t.Fatalf("fork files %s (Link %q)", r.body, r.header.Get("Link"))
	}
	r = call(t, "GET", base+"/repos/acme/widgets/pulls/6", tok, nil)
	if repo := r.json(t)["head"].(map[string]any)["repo"].(map[string]any); repo["fork"] != true || repo["full_name"] != "mallory/widgets" {
		t.Errorf("fork head repo %v", repo["full_name"])
	}
	r = call(t, "POST", base+"/repos/acme/widgets/check-runs", tok, map[string]any{"name": "mcpvet", "head_sha": forkHead})
	wantStatus(t, "check run on fork head", r, 201)
	if prs := r.json(t)["pull_requests"].([]any); len(prs) != 0 {
		t.Errorf("fork check run lists pull requests %v", prs)
	}
	// A push moves the head; reviews may still target the old head.
	if err := g.PushPull(fxOwner, fxRepo, 6, fxHeadSHA, []PullFile{{Filename: "package.json", Patch: "@@ -1 +1 @@\n-{}\n+{\"a\":1}"}}); err != nil {
		t.Fatal(err)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/pulls/6/files", tok, nil)
	if files := r.list(t); len(files) != 1 {
		t.Errorf("files after push: %s", r.body)
	}
}

func TestGitHubReviews(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	reviews := base + "/repos/acme/widgets/pulls/5/reviews"
	comment := func(path string, line int, side string) map[string]any {
		return map[string]any{"path": path, "line": line, "side": side, "body": "blocked: " + path + ":" + strconv.Itoa(line)}
	}
	review := func(comments ...map[string]any) map[string]any {
		return map[string]any{"commit_id": fxHeadSHA, "body": "## mcpvet — 1 dependency blocked\n<!-- mcpvet -->", "event": "REQUEST_CHANGES", "comments": comments}
	}
	tests := []struct {
		name     string
		body     map[string]any
		status   int
		errorMsg string
	}{
		{"added line", review(comment("package.json", 3, "RIGHT")), 200, ""},
		{"context line", review(comment("package.json", 5, "RIGHT")), 200, ""},
		{"deleted line", review(comment("package.json", 3, "LEFT")), 200, ""},
		{"second hunk", review(comment("package.json", 22, "RIGHT")), 200, ""},
		{"multi-line in one hunk", review(map[string]any{"path": "package.json", "start_line": 2, "line": 4, "body": "x"}), 200, ""},
		{"lockfile line (patch omitted by the API)", review(comment("package-lock.json", 2, "RIGHT")), 200, ""},
		{"position", review(map[string]any{"path": "package.json", "position": 4, "body": "x"}), 200, ""},
		{"comment without line or position", review(map[string]any{"path": "package.json", "body": "x"}), 422, msgLineNotInDiff},
		{"line outside the diff", review(comment("package.json", 3, "RIGHT"), comment("package.json", 10, "RIGHT")), 422, msgLineNotInDiff},
		{"line past the end of a hunk", review(comment("package.json", 7, "RIGHT")), 422, msgLineNotInDiff},
		{"context line on the left side", review(comment("package.json", 4, "LEFT")), 200, ""},
		{"left side past the hunk", review(comment("package.json", 6, "LEFT")), 422, msgLineNotInDiff},
		{"start line in another hunk", review(map[string]any{"path": "package.json", "start_line": 2, "line": 22, "body": "x"}), 422, msgStartLineHunk},
		{"file not in the pull request", review(comment("src/index.js", 1, "RIGHT")), 422, msgPathNotResolved},
		{"hunk header position", review(map[string]any{"path": "package.json", "position": 8, "body": "x"}), 422, msgPositionInvalid},
		{"commit not in the pull request", map[string]any{"commit_id": strings.Repeat("9", 40), "body": "b", "event": "COMMENT"}, 422, msgCommitNotInPull},
		{"request changes without body", map[string]any{"event": "REQUEST_CHANGES"}, 422, "Body is required"},
		{"body at the limit", map[string]any{"event": "COMMENT", "body": strings.Repeat("é", GitHubMaxCommentBody)}, 200, ""},
		{"body over the limit", map[string]any{"event": "COMMENT", "body": strings.Repeat("é", GitHubMaxCommentBody+1)}, 422, msgBodyTooLong},
	}
	created := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.Reviews(fxOwner, fxRepo, fxPull))
			r := call(t, "POST", reviews, tok, tc.body)
			wantStatus(t, tc.name, r, tc.status)
			after := len(g.Reviews(fxOwner, fxRepo, fxPull))
			if tc.status != 200 {
				errs, _ := r.json(t)["errors"].([]any)
				if len(errs) != 1 || !strings.Contains(errs[0].(string), tc.errorMsg) {
					t.Errorf("errors %s, want %q", r.body, tc.errorMsg)
				}
				if after != before {
					t.Error("a refused review was stored (one bad comment must fail the whole review)")
				}
				return
			}
			created++
			if after != before+1 {
				t.Error("review not stored")
			}
		})
	}
	stored := g.Reviews(fxOwner, fxRepo, fxPull)
	if len(stored) != created {
		t.Fatalf("%d reviews stored, want %d", len(stored), created)
	}
	first := stored[0]
	if first.State != "CHANGES_REQUESTED" || first.User != "mcpvet[bot]" || len(first.Comments) != 1 ||
		first.Comments[0].Line != 3 || first.Comments[0].Position != 4 ||
		first.Comments[0].DiffHunk != "@@ -1,5 +1,6 @@\n {\n   \"name\": \"widgets\",\n-  \"dependencies\": { \"postmark-mcp\": \"1.0.15\" },\n+  \"dependencies\": { \"postmark-mcp\": \"1.0.16\" }," {
		t.Fatalf("first review %+v", first)
	}

	// List, get, comments of a review; update its body; dismiss it; a COMMENTED review cannot be dismissed.
	r := call(t, "GET", reviews+"?per_page=100", tok, nil)
	wantStatus(t, "list reviews", r, 200)
	if n := len(r.list(t)); n != created {
		t.Errorf("listed %d reviews, want %d", n, created)
	}
	id := strconv.FormatInt(first.ID, 10)
	wantStatus(t, "get review", call(t, "GET", reviews+"/"+id, tok, nil), 200)
	r = call(t, "GET", reviews+"/"+id+"/comments", tok, nil)
	wantStatus(t, "review comments", r, 200)
	if c := r.list(t); len(c) != 1 || c[0]["line"] != float64(3) || c[0]["side"] != "RIGHT" {
		t.Errorf("review comments %s", r.body)
	}
	wantStatus(t, "update review", call(t, "PUT", reviews+"/"+id, tok, map[string]any{"body": "edited"}), 200)
	wantStatus(t, "update review by another user", call(t, "PUT", reviews+"/"+id, "token ghp_mallory", map[string]any{"body": "x"}), 403)
	r = call(t, "PUT", reviews+"/"+id+"/dismissals", tok, map[string]any{"message": "superseded", "event": "DISMISS"})
	wantStatus(t, "dismiss", r, 200)
	if r.json(t)["state"] != "DISMISSED" || g.Reviews(fxOwner, fxRepo, fxPull)[0].DismissalMessage != "superseded" {
		t.Errorf("dismissed %s", r.body)
	}
	var commented int64
	for _, rv := range g.Reviews(fxOwner, fxRepo, fxPull) {
		if rv.State == "COMMENTED" {
			commented = rv.ID
		}
	}
	wantStatus(t, "dismiss a comment review", call(t, "PUT", reviews+"/"+strconv.FormatInt(commented, 10)+"/dismissals", tok, map[string]any{"message": "x"}), 422)
	wantStatus(t, "dismiss a missing review", call(t, "PUT", reviews+"/1/dismissals", tok, map[string]any{"message": "x"}), 404)

	// The author cannot request changes on (or approve) their own pull request.
	for _, event := range []string{"REQUEST_CHANGES", "APPROVE"} {
		wantStatus(t, "own pull "+event, call(t, "POST", reviews, "token ghp_mallory", map[string]any{"event": event, "body": "b"}), 422)
	}
	// A pending review (no event) is visible only to its author.
	r = call(t, "POST", reviews, "token ghp_mallory", map[string]any{"body": "draft"})
	wantStatus(t, "pending review", r, 200)
	if m := r.json(t); m["state"] != "PENDING" || m["submitted_at"] != nil {
		t.Errorf("pending %s", r.body)
	}
	if n := len(call(t, "GET", reviews+"?per_page=100", tok, nil).list(t)); n != created {
		t.Errorf("another user's pending review is listed (%d reviews)", n)
	}

	// Single review comments: inside the diff 201 with Location, outside 422 in GitHub's structured shape.
	comments := base + "/repos/acme/widgets/pulls/5/comments"
	r = call(t, "POST", comments, tok, map[string]any{"body": "b", "commit_id": fxHeadSHA, "path": "package.json", "line": 4, "side": "RIGHT"})
	wantStatus(t, "review comment", r, 201)
	if r.header.Get("Location") == "" {
		t.Error("no Location header")
	}
	r = call(t, "POST", comments, tok, map[string]any{"body": "b", "commit_id": fxHeadSHA, "path": "package.json", "subject_type": "file"})
	wantStatus(t, "file comment", r, 201)
	r = call(t, "POST", comments, tok, map[string]any{"body": "b", "commit_id": fxHeadSHA, "path": "package.json", "line": 10, "side": "RIGHT"})
	wantStatus(t, "review comment outside the diff", r, 422)
	if e := r.json(t)["errors"].([]any)[0].(map[string]any); e["field"] != "pull_request_review_thread.line" {
		t.Errorf("errors %s", r.body)
	}
	r = call(t, "GET", comments+"?per_page=100", tok, nil)
	wantStatus(t, "list review comments", r, 200)
	if n := len(r.list(t)); n != len(g.ReviewComments(fxOwner, fxRepo, fxPull)) {
		t.Errorf("listed %d review comments, stored %d", n, len(g.ReviewComments(fxOwner, fxRepo, fxPull)))
	}
}

func TestGitHubIssueComments(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	list := base + "/repos/acme/widgets/issues/5/comments"
	r := call(t, "POST", list, tok, map[string]any{"body": "<!-- mcpvet --> pass"})
	wantStatus(t, "create", r, 201)
	m := r.json(t)
	id := strconv.FormatInt(int64(m["id"].(float64)), 10)
	if m["performed_via_github_app"] == nil || r.header.Get("Location") != m["url"] {
		t.Errorf("created %s (Location %q)", r.body, r.header.Get("Location"))
	}
	wantStatus(t, "update", call(t, "PATCH", base+"/repos/acme/widgets/issues/comments/"+id, tok, map[string]any{"body": "edited"}), 200)
	wantStatus(t, "update by another user", call(t, "PATCH", base+"/repos/acme/widgets/issues/comments/"+id, "token ghp_mallory", map[string]any{"body": "x"}), 403)
	wantStatus(t, "get", call(t, "GET", base+"/repos/acme/widgets/issues/comments/"+id, tok, nil), 200)
	wantStatus(t, "body at the limit", call(t, "POST", list, tok, map[string]any{"body": strings.Repeat("x", GitHubMaxCommentBody)}), 201)
	r = call(t, "POST", list, tok, map[string]any{"body": strings.Repeat("x", GitHubMaxCommentBody+1)})
	wantStatus(t, "body over the limit", r, 422)
	if !strings.Contains(string(r.body), msgBodyTooLong) {
		t.Errorf("body %s", r.body)
	}
	wantStatus(t, "anonymous write", call(t, "POST", list, "", map[string]any{"body": "x"}), 401)
	wantStatus(t, "not a pull request", call(t, "POST", base+"/repos/acme/widgets/issues/99/comments", tok, map[string]any{"body": "x"}), 404)
	r = call(t, "GET", list, tok, nil)
	wantStatus(t, "list", r, 200)
	if c := r.list(t); len(c) != 2 || c[0]["body"] != "edited" {
		t.Errorf("list %s", r.body)
	}
	if c := g.IssueComments(fxOwner, fxRepo, fxPull); len(c) != 2 || c[0].User != "mcpvet[bot]" {
		t.Errorf("stored %+v", c)
	}
}

func TestGitHubContentsAndBlobs(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	small := []byte("{\n  \"lockfileVersion\": 3\n}\n")
	atLimit := bytes.Repeat([]byte("a"), int(g.Limits.ContentsJSONMax))
	overLimit := bytes.Repeat([]byte("b"), int(g.Limits.ContentsJSONMax)+1)
	const sha = "4444444444444444444444444444444444444444"
	if err := g.AddCommit(fxOwner, fxRepo, sha, map[string][]byte{
		"package-lock.json": small, "big/at-limit.json": atLimit, "big/over-limit.json": overLimit,
	}); err != nil {
		t.Fatal(err)
	}
	contents := base + "/repos/acme/widgets/contents/"
	const raw = "application/vnd.github.raw"
	const object = "application/vnd.github.object"
	tests := []struct {
		name, path, ref, accept string
		status                  int
		want                    []byte // decoded content
		encoding                string
	}{
		{"small file, JSON", "package-lock.json", sha, "", 200, small, "base64"},
		{"1 MB file, JSON", "big/at-limit.json", sha, "", 200, atLimit, "base64"},
		{"over 1 MB, JSON", "big/over-limit.json", sha, "", 403, nil, ""},
		{"over 1 MB, raw", "big/over-limit.json", sha, raw, 200, overLimit, ""},
		{"over 1 MB, v3 raw", "big/over-limit.json", sha, "application/vnd.github.v3.raw", 200, overLimit, ""},
		{"over 1 MB, object", "big/over-limit.json", sha, object, 200, nil, "none"},
		{"by branch", "package.json", "bump", "", 200, []byte("{\"private\":true}\n"), "base64"},
		{"default branch", "package.json", "", "", 200, []byte("{}\n"), "base64"},
		{"missing file", "nope.json", sha, "", 404, nil, ""},
		{"unknown ref", "package.json", "nope", "", 404, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := contents + tc.path
			if tc.ref != "" {
				url += "?ref=" + tc.ref
			}
			var extra []string
			if tc.accept != "" {
				extra = []string{"Accept", tc.accept}
			}
			r := call(t, "GET", url, tok, nil, extra...)
			wantStatus(t, tc.name, r, tc.status)
			switch {
			case tc.status == 403:
				if e := r.json(t)["errors"].([]any)[0].(map[string]any); e["code"] != "too_large" {
					t.Errorf("403 body %s", r.body)
				}
			case tc.status != 200:
			case tc.accept == raw || strings.HasSuffix(tc.accept, ".raw"):
				if !bytes.Equal(r.body, tc.want) || r.header.Get("Content-Type") != tc.accept+"; charset=utf-8" ||
					r.header.Get("X-GitHub-Media-Type") != "github.v3; param=raw" {
					t.Errorf("raw: %d bytes, Content-Type %q", len(r.body), r.header.Get("Content-Type"))
				}
			default:
				m := r.json(t)
				if m["encoding"] != tc.encoding {
					t.Fatalf("encoding %v, want %s", m["encoding"], tc.encoding)
				}
				if tc.encoding == "base64" {
					got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(m["content"].(string), "\n", ""))
					if err != nil || !bytes.Equal(got, tc.want) || m["sha"] != GitBlobID(tc.want) {
						t.Errorf("content %q, sha %v (err %v)", truncate(got, 40), m["sha"], err)
					}
				}
			}
		})
	}
	// Directory listing, blob API (JSON and raw), conditional requests.
	r := call(t, "GET", contents+"big?ref="+sha, tok, nil)
	wantStatus(t, "directory", r, 200)
	if l := r.list(t); len(l) != 2 || l[0]["name"] != "at-limit.json" || l[0]["type"] != "file" {
		t.Errorf("directory %s", r.body)
	}
	blobs := base + "/repos/acme/widgets/git/blobs/"
	r = call(t, "GET", blobs+GitBlobID(overLimit), tok, nil)
	wantStatus(t, "blob JSON over 1 MB", r, 200)
	r = call(t, "GET", blobs+GitBlobID(small), tok, nil, "Accept", raw)
	wantStatus(t, "blob raw", r, 200)
	if !bytes.Equal(r.body, small) {
		t.Errorf("blob raw %q", r.body)
	}
	wantStatus(t, "missing blob", call(t, "GET", blobs+strings.Repeat("0", 40), tok, nil), 404)
	r = call(t, "GET", contents+"package-lock.json?ref="+sha, tok, nil)
	etag := r.header.Get("ETag")
	remaining := r.header.Get("X-RateLimit-Remaining")
	r = call(t, "GET", contents+"package-lock.json?ref="+sha, tok, nil, "If-None-Match", etag)
	wantStatus(t, "conditional", r, 304)
	if len(r.body) != 0 || r.header.Get("X-RateLimit-Remaining") != remaining {
		t.Errorf("304: body %q, remaining %s then %s (a 304 must not count)", r.body, remaining, r.header.Get("X-RateLimit-Remaining"))
	}
}

// TestGitHubBlobLimit checks the 100 MB limit at a lowered boundary.
func TestGitHubBlobLimit(t *testing.T) {
	g := NewGitHub()
	seedFixture(t, g)
	g.Limits.BlobMax = 2000
	g.Limits.ContentsJSONMax = 1000
	base := g.Start()
	defer g.Close()
	const sha = "5555555555555555555555555555555555555555"
	at, over := bytes.Repeat([]byte("x"), 2000), bytes.Repeat([]byte("y"), 2001)
	if err := g.AddCommit(fxOwner, fxRepo, sha, map[string][]byte{"at": at, "over": over}); err != nil {
		t.Fatal(err)
	}
	raw := []string{"Accept", "application/vnd.github.raw"}
	wantStatus(t, "contents raw at the limit", call(t, "GET", base+"/repos/acme/widgets/contents/at?ref="+sha, "", nil, raw...), 200)
	wantStatus(t, "contents raw over the limit", call(t, "GET", base+"/repos/acme/widgets/contents/over?ref="+sha, "", nil, raw...), 403)
	wantStatus(t, "blob at the limit", call(t, "GET", base+"/repos/acme/widgets/git/blobs/"+GitBlobID(at), "", nil), 200)
	wantStatus(t, "blob over the limit", call(t, "GET", base+"/repos/acme/widgets/git/blobs/"+GitBlobID(over), "", nil), 403)
	if v := g.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestGitHubRateLimits(t *testing.T) {
	g, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	pull := base + "/repos/acme/widgets/pulls/5"

	// Injected secondary rate limit: 429 with Retry-After, GitHub's body; the next request succeeds.
	if err := g.FailNext("GET /repos/{owner}/{repo}/pulls/{pull_number}", 429, http.Header{"Retry-After": {"1"}}); err != nil {
		t.Fatal(err)
	}
	r := call(t, "GET", pull, tok, nil)
	wantStatus(t, "injected 429", r, 429)
	if m := r.json(t); r.header.Get("Retry-After") != "1" || !strings.HasSuffix(m["documentation_url"].(string), "secondary-rate-limits") {
		t.Errorf("429: Retry-After %q body %s", r.header.Get("Retry-After"), r.body)
	}
	wantStatus(t, "after the 429", call(t, "GET", pull, tok, nil), 200)

	// Injected primary rate limit on a write: 403, X-RateLimit-Remaining 0 and a reset time.
	reset := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	if err := g.FailNext("checks/create", 403, http.Header{"X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {reset}}); err != nil {
		t.Fatal(err)
	}
	r = call(t, "POST", base+"/repos/acme/widgets/check-runs", tok, map[string]any{"name": "mcpvet", "head_sha": fxHeadSHA})
	wantStatus(t, "injected 403", r, 403)
	if r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != reset ||
		!strings.HasPrefix(r.json(t)["message"].(string), "API rate limit exceeded") {
		t.Errorf("403: headers %v body %s", r.header, r.body)
	}
	if len(g.CheckRuns(fxOwner, fxRepo)) != 0 {
		t.Error("the failed create stored a check run")
	}
	if err := g.FailNext("*", 502, nil); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "injected 502 on any route", call(t, "GET", base+"/rate_limit", tok, nil), 502)
	for _, bad := range []struct {
		route  string
		status int
	}{{"GET /nope", 429}, {"checks/create", 200}} {
		if err := g.FailNext(bad.route, bad.status, nil); err == nil {
			t.Errorf("FailNext(%q, %d) accepted", bad.route, bad.status)
		}
	}

	// The log records every request, credentials never.
	log := g.Requests()
	if len(log) < 5 || log[len(log)-1].Status != 502 || !log[len(log)-1].Injected || log[len(log)-2].Route != "POST /repos/{owner}/{repo}/check-runs" {
		t.Errorf("log tail %+v", log[len(log)-2:])
	}
	for _, rec := range log {
		if strings.Contains(fmt.Sprint(rec), strings.TrimPrefix(tok, "token ")) {
			t.Fatal("a token is in the request log")
		}
	}
}

// TestGitHubPrimaryRateLimit runs an installation out of its hourly budget at a lowered limit.
func TestGitHubPrimaryRateLimit(t *testing.T) {
	g := NewGitHub()
	seedFixture(t, g)
	g.Limits.RateLimit = 3
	base := g.Start()
	defer g.Close()
	for i := 1; i <= 4; i++ {
		r := call(t, "GET", base+"/repos/acme/widgets", "token ghs_actionstoken", nil)
		want, remaining := 200, strconv.Itoa(3-i)
		if i == 4 {
			want, remaining = 403, "0"
		}
		wantStatus(t, fmt.Sprintf("request %d", i), r, want)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != remaining || r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("request %d: limit %q remaining %q", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	r := call(t, "GET", base+"/rate_limit", "token ghs_actionstoken", nil)
	wantStatus(t, "rate_limit is free", r, 200)
	if core := r.json(t)["resources"].(map[string]any)["core"].(map[string]any); core["remaining"] != float64(0) {
		t.Errorf("core %v", core)
	}
	// A new window starts after the reset.
	g.SetClock(func() time.Time { return time.Now().Add(time.Hour + time.Second) })
	wantStatus(t, "after the reset", call(t, "GET", base+"/repos/acme/widgets", "token ghs_actionstoken", nil), 200)
}

func TestGitHubLimits(t *testing.T) {
	g := NewGitHub()
	seedFixture(t, g)
	g.Limits.MaxRequestBody = 100
	g.Limits.MaxLoggedBody = 10
	g.Limits.MaxLoggedRequests = 3
	g.Limits.PatchMaxBytes = len(fxPackageJSONPatch)
	if err := g.AddPull(fxOwner, fxRepo, Pull{Number: 9, HeadRef: "x", HeadSHA: fxHeadSHA, BaseSHA: fxBaseSHA, Files: []PullFile{
		{Filename: "at", Patch: fxPackageJSONPatch}, {Filename: "over", Patch: fxPackageJSONPatch + " "},
	}}); err != nil {
		t.Fatal(err)
	}
	base := g.Start()
	defer g.Close()
	body := func(n int) []byte { return []byte(`{"body":"` + strings.Repeat("x", n-len(`{"body":""}`)) + `"}`) }
	wantStatus(t, "body at the limit", call(t, "POST", base+"/repos/acme/widgets/issues/5/comments", "token ghs_actionstoken", body(100)), 201)
	wantStatus(t, "body over the limit", call(t, "POST", base+"/repos/acme/widgets/issues/5/comments", "token ghs_actionstoken", body(101)), 413)
	files := call(t, "GET", base+"/repos/acme/widgets/pulls/9/files", "", nil).list(t)
	if files[0]["patch"] == nil || files[1]["patch"] != nil {
		t.Errorf("patch at PatchMaxBytes listed: %v; one byte over omitted: %v", files[0]["patch"] != nil, files[1]["patch"] == nil)
	}
	log := g.Requests()
	if len(log) != 3 || len(log[0].Body) != 10 || log[2].Path != "/repos/acme/widgets/pulls/9/files" {
		t.Errorf("log %+v", log)
	}
	if v := g.Violations(); len(v) != 1 || !strings.Contains(v[0], "over 100 bytes") {
		t.Errorf("violations %v", v)
	}
}

// TestGitHubRoutesMatchDescription keeps githubRoutes, ROUTES in scripts/trim-openapi.mjs and the trimmed
// description in step.
func TestGitHubRoutesMatchDescription(t *testing.T) {
	src, err := os.ReadFile("../../scripts/trim-openapi.mjs")
	if err != nil {
		t.Fatal(err)
	}
	var script []string
	for _, m := range regexp.MustCompile(`(?m)^\s*"((?:GET|POST|PUT|PATCH|DELETE) /[^"]*)",$`).FindAllStringSubmatch(string(src), -1) {
		script = append(script, m[1])
	}
	var fake []string
	for _, rt := range githubRoutes {
		fake = append(fake, rt.key())
	}
	slices.Sort(script)
	slices.Sort(fake)
	if !slices.Equal(script, fake) {
		t.Errorf("scripts/trim-openapi.mjs ROUTES:\n%s\ngithubRoutes:\n%s", strings.Join(script, "\n"), strings.Join(fake, "\n"))
	}
	RequireOpenAPI(t)
	spec, err := loadGitHubSpec()
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for path, item := range spec.doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	slices.Sort(described)
	if os.Getenv(GitHubOpenAPIEnv) == "" && !slices.Equal(described, fake) { // the full description has every route
		t.Errorf("the trimmed description has\n%s\nthe fake serves\n%s\n(rerun scripts/testdeps.sh)", strings.Join(described, "\n"), strings.Join(fake, "\n"))
	}
	for _, rt := range githubRoutes {
		if op := spec.doc.Paths.Find(rt.pattern).GetOperation(rt.method); op.OperationID != rt.opID {
			t.Errorf("%s: operationId %q, fake says %q", rt.key(), op.OperationID, rt.opID)
		}
	}
}

func TestRequireOpenAPI(t *testing.T) {
	path, took, loadErr := GitHubOpenAPIStatus()
	t.Logf("description %s loaded in %v (err %v)", path, took, loadErr)
	rec := &skipFatalRecorder{}
	RequireOpenAPI(rec)
	switch {
	case loadErr == nil && (rec.skipped || rec.failed):
		t.Errorf("description loaded, yet RequireOpenAPI skipped=%v failed=%v", rec.skipped, rec.failed)
	case loadErr != nil && os.Getenv("CI") != "" && !rec.failed:
		t.Errorf("under CI a missing description must fail")
	}
}

type skipFatalRecorder struct{ skipped, failed bool }

func (r *skipFatalRecorder) Skip(...any)           { r.skipped = true }
func (r *skipFatalRecorder) Fatalf(string, ...any) { r.failed = true }

// applyPatch applies a DiffPatch result to old, for checking DiffPatch by round trip.
func applyPatch(t *testing.T, old, patch string) string {
	t.Helper()
	a := splitKeepNL(old)
	var out []string
	next := 0 // index in a of the next line to copy
	var last *string
	for _, l := range strings.Split(strings.TrimSuffix(patch, "\n"), "\n") {
		if patch == "" {
			break
		}
		switch {
		case strings.HasPrefix(l, "@@"):
			start, _, err := parseHunkHeader(l)
			if err != nil {
				t.Fatal(err)
			}
			for next < start-1 {
				out = append(out, a[next])
				next++
			}
			last = nil
		case l == `\ No newline at end of file`:
			*last = strings.TrimSuffix(*last, "\n")
		case l[0] == ' ':
			out = append(out, l[1:]+"\n")
			last = &out[len(out)-1]
			next++
		case l[0] == '-':
			next++
			dropped := l[1:] + "\n"
			last = &dropped
		case l[0] == '+':
			out = append(out, l[1:]+"\n")
			last = &out[len(out)-1]
		}
	}
	out = append(out, a[next:]...)
	return strings.Join(out, "")
}

func TestDiffPatch(t *testing.T) {
	lines := func(n int, f func(i int) string) string {
		var sb strings.Builder
		for i := range n {
			sb.WriteString(f(i) + "\n")
		}
		return sb.String()
	}
	many := lines(40, func(i int) string { return "line " + strconv.Itoa(i) })
	tests := []struct {
		name, old, new string
		want           string // "" = check by round trip only
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one change", "a\nb\nc\n", "a\nB\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"add at end", "a\n", "a\nb\n", "@@ -1 +1,2 @@\n a\n+b\n"},
		{"add to empty", "", "a\n", "@@ -0,0 +1 @@\n+a\n"},
		{"delete all", "a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
		{"no newline at end", "a\nb", "a\nc", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"newline added at end", "a", "a\n", "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"},
		{"two hunks", many, strings.Replace(strings.Replace(many, "line 3\n", "LINE 3\n", 1), "line 30\n", "", 1), ""},
		{"changes 6 apart share a hunk", many, strings.Replace(strings.Replace(many, "line 10\n", "X\n", 1), "line 17\n", "Y\n", 1), ""},
		{"interleaved", lines(30, func(i int) string { return strconv.Itoa(i % 7) }), lines(30, func(i int) string { return strconv.Itoa(i % 5) }), ""},
		{"over DiffMaxEdits", lines(DiffMaxEdits/2+1, func(i int) string { return "a" + strconv.Itoa(i) }), lines(DiffMaxEdits/2+1, func(i int) string { return "b" + strconv.Itoa(i) }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			patch := DiffPatch(tc.old, tc.new)
			if tc.want != "" && patch != tc.want {
				t.Errorf("DiffPatch =\n%s\nwant\n%s", patch, tc.want)
			}
			if tc.old == tc.new && patch != "" {
				t.Errorf("equal texts give %q", patch)
			}
			if got := applyPatch(t, tc.old, patch); got != tc.new {
				t.Errorf("patch does not reproduce the new text:\n%s", patch)
			}
			if _, err := parsePatch(patch); err != nil {
				t.Errorf("parsePatch: %v", err)
			}
		})
	}
	if p := DiffPatch(many, strings.Replace(strings.Replace(many, "line 10\n", "X\n", 1), "line 17\n", "Y\n", 1)); strings.Count(p, "@@ -") != 1 {
		t.Errorf("changes 6 lines apart are in %d hunks", strings.Count(p, "@@ -"))
	}
	if p := DiffPatch(many, strings.Replace(strings.Replace(many, "line 10\n", "X\n", 1), "line 18\n", "Y\n", 1)); strings.Count(p, "@@ -") != 2 {
		t.Errorf("changes 7 lines apart are in %d hunks", strings.Count(p, "@@ -"))
	}
}

func TestParsePatch(t *testing.T) {
	pp, err := parsePatch(fxPackageJSONPatch)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		side     string
		line     int
		ok       bool
		position int
	}{
		{"RIGHT", 1, true, 1}, {"RIGHT", 3, true, 4}, {"RIGHT", 4, true, 5}, {"RIGHT", 6, true, 7}, {"RIGHT", 7, false, 0},
		{"LEFT", 3, true, 3}, {"LEFT", 5, true, 7}, {"LEFT", 6, false, 0},
		{"RIGHT", 21, true, 9}, {"RIGHT", 22, true, 11}, {"LEFT", 21, true, 10}, {"RIGHT", 24, false, 0},
	}
	for _, tc := range tests {
		dl, ok := pp.at(tc.side, tc.line)
		if ok != tc.ok || dl.position != tc.position {
			t.Errorf("at(%s, %d) = position %d ok %v, want %d %v", tc.side, tc.line, dl.position, ok, tc.position, tc.ok)
		}
	}
	if _, ok := pp.atPosition(8); ok {
		t.Error("a hunk header position is commentable")
	}
	for _, bad := range []string{" a", "@@ -1 +1\n a", "@@ -x +1 @@\n a", "@@ -1 +1 @@\n*a", "@@ -1,-2 +1 @@\n a"} {
		if _, err := parsePatch(bad); err == nil {
			t.Errorf("parsePatch(%q) accepted", bad)
		}
	}
}

func TestGitHubSeedingErrors(t *testing.T) {
	g := NewGitHub()
	seedFixture(t, g)
	ok := Pull{Number: 9, HeadRef: "x", HeadSHA: fxHeadSHA, BaseSHA: fxBaseSHA, Files: []PullFile{{Filename: "a"}}}
	tests := []struct {
		name string
		err  error
	}{
		{"repository name with a slash", g.AddRepository(Repository{Owner: "a", Name: "b/c"})},
		{"repository name ..", g.AddRepository(Repository{Owner: "a", Name: ".."})},
		{"commit id not hex", g.AddCommit(fxOwner, fxRepo, "main", nil)},
		{"path escaping the tree", g.AddCommit(fxOwner, fxRepo, fxHeadSHA, map[string][]byte{"../x": nil})},
		{"absolute path", g.AddCommit(fxOwner, fxRepo, fxHeadSHA, map[string][]byte{"/x": nil})},
		{"pull in unknown repository", g.AddPull("nobody", "none", ok)},
		{"duplicate pull", g.AddPull(fxOwner, fxRepo, Pull{Number: fxPull, HeadRef: "x", HeadSHA: fxHeadSHA, BaseSHA: fxBaseSHA})},
		{"pull without head sha", g.AddPull(fxOwner, fxRepo, Pull{Number: 9, HeadRef: "x", BaseSHA: fxBaseSHA})},
		{"pull with a bad patch", g.AddPull(fxOwner, fxRepo, Pull{Number: 9, HeadRef: "x", HeadSHA: fxHeadSHA, BaseSHA: fxBaseSHA, Files: []PullFile{{Filename: "a", Patch: "nope"}}})},
		{"pull without files or trees", g.AddPull(fxOwner, fxRepo, Pull{Number: 9, HeadRef: "x", HeadSHA: strings.Repeat("6", 40), BaseSHA: fxBaseSHA})},
		{"installation of unknown app", g.AddInstallation(Installation{ID: 1, AppID: 1, Account: "a"})},
		{"token of unknown installation", g.AddInstallationToken("t", 1)},
		{"app without key", g.AddApp(GitHubApp{ID: 1, Slug: "x"})},
	}
	for _, tc := range tests {
		if tc.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if err := g.AddPull(fxOwner, fxRepo, ok); err != nil {
		t.Errorf("valid pull refused: %v", err)
	}
}

func TestMatchGitHubRoute(t *testing.T) {
	tests := []struct {
		method, path, route string
		params              map[string]string
	}{
		{"GET", "/repos/a/b/contents/dir/sub/file.json", "GET /repos/{owner}/{repo}/contents/{path}", map[string]string{"owner": "a", "repo": "b", "path": "dir/sub/file.json"}},
		{"GET", "/repos/a/b/contents/with%20space", "GET /repos/{owner}/{repo}/contents/{path}", map[string]string{"owner": "a", "repo": "b", "path": "with space"}},
		{"GET", "/repos/a/b/commits/heads/main/check-runs", "GET /repos/{owner}/{repo}/commits/{ref}/check-runs", map[string]string{"owner": "a", "repo": "b", "ref": "heads/main"}},
		{"HEAD", "/repos/a/b", "GET /repos/{owner}/{repo}", map[string]string{"owner": "a", "repo": "b"}},
		{"GET", "/repos/a//pulls", "", nil},
		{"GET", "/repos/a/b/contents/%zz", "", nil},
		{"DELETE", "/repos/a/b", "", nil},
		{"GET", "/repos/a/b/commits//check-runs", "", nil},
	}
	for _, tc := range tests {
		rt, params := matchGitHubRoute(tc.method, tc.path)
		got := ""
		if rt != nil {
			got = rt.key()
		}
		if got != tc.route || (rt != nil && fmt.Sprint(params) != fmt.Sprint(tc.params)) {
			t.Errorf("%s %s: %q %v, want %q %v", tc.method, tc.path, got, params, tc.route, tc.params)
		}
	}
}

func TestWebhookExamples(t *testing.T) {
	RequireWebhookExamples(t)
	tests := []struct {
		event, action string
		min           int
	}{
		{"pull_request", "opened", 4}, {"pull_request", "synchronize", 1}, {"check_run", "rerequested", 2},
		{"check_suite", "requested", 3}, {"installation", "", 1},
	}
	for _, tc := range tests {
		got, err := WebhookExamples(tc.event, tc.action)
		if err != nil || len(got) < tc.min {
			t.Errorf("%s.%s: %d examples, err %v", tc.event, tc.action, len(got), err)
			continue
		}
		var p struct {
			Action       string `json:"action"`
			Installation *struct {
				ID int64 `json:"id"`
			} `json:"installation"`
		}
		if err := json.Unmarshal(got[0], &p); err != nil || (tc.action != "" && p.Action != tc.action) {
			t.Errorf("%s.%s: action %q err %v", tc.event, tc.action, p.Action, err)
		}
	}
	if _, err := WebhookExamples("pull_request", "no-such-action"); err == nil {
		t.Error("unknown action accepted")
	}
	// The signature is GitHub's: HMAC-SHA256 of the raw body (RFC 4231 test case 2 key and data).
	if got := SignWebhook("Jefe", []byte("what do ya want for nothing?")); got != "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("SignWebhook = %s", got)
	}
	body, _ := WebhookExamples("pull_request", "opened")
	req, err := NewWebhookRequest(t.Context(), "http://127.0.0.1/webhook", "pull_request", "d-1", body[0], "s3cret", fxAppID)
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-Hub-Signature-256") != SignWebhook("s3cret", body[0]) || req.Header.Get("X-GitHub-Event") != "pull_request" {
		t.Errorf("headers %v", req.Header)
	}
}

func TestGitHubCompare(t *testing.T) {
	_, base := newFixtureGitHub(t, false)
	tok := installationToken(t, base)
	r := call(t, "GET", base+"/repos/acme/widgets/compare/"+fxBaseSHA+"..."+fxHeadSHA, tok, nil)
	wantStatus(t, "compare", r, 200)
	m := r.json(t)
	if m["status"] != "ahead" || m["merge_base_commit"].(map[string]any)["sha"] != fxBaseSHA || m["total_commits"] != float64(1) {
		t.Errorf("compare: %s", r.body)
	}
	files := m["files"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["filename"] != "package.json" || files[0].(map[string]any)["patch"] == nil {
		t.Errorf("files %v", files)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/compare/main...bump", tok, nil)
	wantStatus(t, "compare branches", r, 200)
	if r.json(t)["base_commit"].(map[string]any)["sha"] != fxBaseSHA {
		t.Errorf("compare branches: %s", r.body)
	}
	r = call(t, "GET", base+"/repos/acme/widgets/compare/main...main", tok, nil)
	wantStatus(t, "compare identical", r, 200)
	if m := r.json(t); m["status"] != "identical" || len(m["files"].([]any)) != 0 {
		t.Errorf("identical: %s", r.body)
	}
	wantStatus(t, "unknown commit", call(t, "GET", base+"/repos/acme/widgets/compare/main..."+strings.Repeat("9", 40), tok, nil), 404)
	wantStatus(t, "no three dots", call(t, "GET", base+"/repos/acme/widgets/compare/main..bump", tok, nil), 404)
}

func TestGitHubHold(t *testing.T) {
	g := NewGitHub()
	if err := g.AddUserToken("tok", "octocat"); err != nil {
		t.Fatal(err)
	}
	url := g.Start()
	defer g.Close()
	if err := g.Hold("GET /no/such/route"); err == nil {
		t.Fatal("Hold accepted a route the fake does not serve")
	}
	if err := g.Hold("rate-limit/get"); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", url+"/rate_limit", nil)
		req.Header.Set("Authorization", "token tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for g.Held() == 0 {
		select {
		case code := <-done:
			t.Fatalf("request answered (%d) while held", code)
		default:
			time.Sleep(time.Millisecond)
		}
	}
	g.Release()
	if code := <-done; code != http.StatusOK {
		t.Fatalf("released request: status %d, want 200", code)
	}
	if g.Held() != 0 {
		t.Fatalf("Held() = %d after release", g.Held())
	}
}
