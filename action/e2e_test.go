package action_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

// checkBlocked asserts what every run of the fixture pull request shows, whoever may write: the outputs,
// the report files, the summary and the error annotations on the three changed manifest lines.
func checkBlocked(t *testing.T, res stepResult, ws string) {
	t.Helper()
	for name := range suite.actions.Outputs {
		if _, ok := res.outputs[name]; !ok {
			t.Errorf("output %s (declared in action.yml) is not set", name)
		}
	}
	if res.outputs["verdict"] != "block" || res.outputs["blocked-count"] != "1" {
		t.Errorf("outputs verdict=%q blocked-count=%q, want block and 1", res.outputs["verdict"], res.outputs["blocked-count"])
	}
	for _, name := range []string{"report-json", "sarif"} {
		p := res.outputs[name]
		if p == "" {
			t.Errorf("output %s is empty", name)
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(ws, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("output %s: %v", name, err)
			continue
		}
		want := map[string]string{"report-json": `"schema": "mcpvet/report/v1"`, "sarif": `"version": "2.1.0"`}[name]
		if !strings.Contains(string(data), want) {
			t.Errorf("%s (%s) lacks %s", name, p, want)
		}
	}
	for _, want := range []string{"mailpost-mcp", "1.0.15 → 1.0.16", "phan@giftshop.club"} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("job summary lacks %q:\n%s", want, res.summary)
		}
	}
	for _, file := range []string{"package.json", "package-lock.json", ".mcp.json"} {
		as := res.fileAnnotations(file)
		if len(as) != 1 || as[0].level != "error" || as[0].props["line"] == "" || !strings.Contains(as[0].message, "mailpost-mcp") {
			t.Errorf("annotations on %s: %+v; want one error on its changed line naming mailpost-mcp", file, as)
		}
	}
	if !regexp.MustCompile(`BLOCK mailpost-mcp 1\.0\.15 → 1\.0\.16`).MatchString(res.stdout) {
		t.Errorf("the step's log lacks the text report")
	}
}

// runFixture runs s on the fixture pull request, requires exit code want, and checks what every run of it
// shows (checkBlocked).
func runFixture(t *testing.T, s step, want int) stepResult {
	t.Helper()
	res := runStep(t, s)
	if res.code != want {
		t.Fatalf("exit %d, want %d", res.code, want)
	}
	checkBlocked(t, res, s.workspace)
	return res
}

// reviews returns the reviews of the fixture pull request.
func (g ghRepo) reviews() []testenv.Review { return g.gh.Reviews(owner, repoName, prNumber) }

// TestPullRequest runs the README's example workflow on a pull_request event with a token that may
// write: the review is posted once, with line comments; a re-run does not post it again.
func TestPullRequest(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "write", false)
	with, wf := mcpvetStep(t, exampleWorkflow)
	if _, ok := wf.On["pull_request"]; !ok {
		t.Fatalf("the example workflow does not run on pull_request")
	}
	if wf.Permissions["pull-requests"] != "write" {
		t.Fatalf("the example workflow's token cannot write reviews: permissions %v", wf.Permissions)
	}
	ws := checkout(t, pr)
	s := step{event: "pull_request", payload: prPayload(t, pr, false), with: with, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.head}
	res := runFixture(t, s, 1)
	reviews := gh.reviews()
	if len(reviews) != 1 {
		t.Fatalf("%d reviews, want 1", len(reviews))
	}
	rv := reviews[0]
	if rv.State != "CHANGES_REQUESTED" || rv.CommitID != pr.head || rv.User != "github-actions[bot]" || !strings.Contains(rv.Body, "mailpost-mcp") {
		t.Errorf("review: state %s, commit %s, user %s; want CHANGES_REQUESTED on the head by github-actions[bot] naming the package", rv.State, rv.CommitID, rv.User)
	}
	paths := map[string]bool{}
	for _, c := range rv.Comments {
		paths[c.Path] = true
	}
	if !paths["package.json"] || !paths[".mcp.json"] {
		t.Errorf("review comments on %v; want package.json and .mcp.json among them", paths)
	}
	if !strings.Contains(res.summary, "Review posted") {
		t.Errorf("the summary does not say the review was posted:\n%s", res.summary)
	}

	// The same run again (a re-run of the job): nothing new is posted.
	again := runStep(t, s)
	if again.code != 1 {
		t.Fatalf("re-run: exit %d, want 1", again.code)
	}
	if n := len(gh.reviews()); n != 1 {
		t.Errorf("re-run: %d reviews, want still 1", n)
	}
}

// TestForkPullRequestReadOnlyToken: a pull request from a fork gets a read-only token whatever the
// workflow asks for. No review can be posted, but the summary, annotations, outputs and the failing step
// carry the verdict.
func TestForkPullRequestReadOnlyToken(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "read", true)
	with, _ := mcpvetStep(t, exampleWorkflow)
	ws := checkout(t, pr)
	res := runFixture(t, step{event: "pull_request", payload: prPayload(t, pr, true), with: with, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.head}, 1)
	if n := len(gh.reviews()); n != 0 {
		t.Errorf("%d reviews posted with a read-only token", n)
	}
	found := false
	for _, a := range res.annotations {
		if a.level == "notice" && strings.Contains(a.message, "read-only token") {
			found = true
		}
	}
	if !found {
		t.Errorf("no notice says the token was read-only: %+v", res.annotations)
	}
}

// TestPullRequestTarget: the workflow runs with the base's token, so the pull request's files are read
// through the API, never from the checkout (here the checkout holds both commits and is still not read).
func TestPullRequestTarget(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "write", true)
	with, _ := mcpvetStep(t, exampleWorkflow)
	ws := checkout(t, pr)
	// Were the checkout read, this file (not in the pull request) would break the review.
	if err := os.WriteFile(filepath.Join(ws, "package.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runFixture(t, step{event: "pull_request_target", payload: prPayload(t, pr, true), with: with, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.baseSHA}, 1)
	headReads := 0
	for _, r := range gh.gh.Requests() {
		if r.Route == "GET /repos/{owner}/{repo}/contents/{path}" && strings.Contains(r.Query, "ref="+pr.head) {
			headReads++
		}
	}
	if headReads == 0 {
		t.Errorf("no file of the head was read through the API")
	}
	if !strings.Contains(res.summary, "trees from the GitHub API") {
		t.Errorf("the summary does not say the API was read:\n%s", res.summary)
	}
	if n := len(gh.reviews()); n != 1 {
		t.Errorf("%d reviews, want 1", n)
	}
}

// TestPushWithBaseAndHead reviews base-ref..head-ref on a push: no pull request, so nothing is posted,
// and the step still fails on the block.
func TestPushWithBaseAndHead(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "write", false)
	ws := checkout(t, pr)
	with := map[string]string{"base-ref": pr.baseSHA, "head-ref": pr.head, "comment": "summary"}
	runFixture(t, step{event: "push", payload: pushPayload(t, pr.baseSHA, pr.head), with: with, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.head}, 1)
	for _, r := range gh.gh.Requests() {
		if r.Method != "GET" {
			t.Errorf("a push run wrote to GitHub: %s %s", r.Method, r.Path)
		}
	}
}

// TestFailOnNever keeps the step green on a block, still annotating the blocked lines.
func TestFailOnNever(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	ws := checkout(t, pr)
	with := map[string]string{"base-ref": pr.baseSHA, "head-ref": pr.head, "fail-on": "never", "comment": "summary"}
	runFixture(t, step{event: "workflow_dispatch", payload: []byte(`{"inputs":{}}`), with: with, token: "", workspace: ws, sha: pr.head}, 0)
}

// policyCommits are the fixture pull request with a policy at ci/mcpvet.yml: the base's downgrades the
// blocking rules to warnings; the head's turns them off (a pull request trying to weaken its own review).
func policyCommits(t *testing.T) []testenv.Commit {
	commits := acmeCommits(t)
	withFile := func(c testenv.Commit, path, content string) testenv.Commit {
		files := map[string]string{path: content}
		for k, v := range c.Files {
			files[k] = v
		}
		c.Files = files
		return c
	}
	return []testenv.Commit{
		withFile(commits[0], "ci/mcpvet.yml", "rules:\n  source/foreign-lines: warn\n  publish/known-malicious: warn\n"),
		withFile(commits[1], "ci/mcpvet.yml", "rules:\n  source/foreign-lines: \"off\"\n  publish/known-malicious: \"off\"\n  diff/new-endpoint: \"off\"\n"),
	}
}

// TestFailOnWarnAndConfigFile reads the policy from config-file in the base (never the head's) and fails
// a warning only under fail-on: warn.
func TestFailOnWarnAndConfigFile(t *testing.T) {
	needSuite(t)
	pr := buildPR(t, policyCommits(t))
	ws := checkout(t, pr)
	for _, tc := range []struct {
		failOn string
		code   int
	}{{"block", 0}, {"warn", 1}} {
		t.Run(tc.failOn, func(t *testing.T) {
			with := map[string]string{"base-ref": pr.baseSHA, "head-ref": pr.head, "fail-on": tc.failOn, "config-file": "ci/mcpvet.yml", "comment": "summary"}
			res := runStep(t, step{event: "workflow_dispatch", payload: []byte(`{"inputs":{}}`), with: with, workspace: ws, sha: pr.head})
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d", res.code, tc.code)
			}
			if res.outputs["verdict"] != "warn" || res.outputs["blocked-count"] != "0" {
				t.Errorf("outputs %v; want verdict warn (the base's policy), blocked-count 0", res.outputs)
			}
			if as := res.fileAnnotations("package.json"); len(as) != 1 || as[0].level != "warning" {
				t.Errorf("annotations on package.json: %+v; want one warning", as)
			}
			if !strings.Contains(res.summary, "ci/mcpvet.yml from the base") {
				t.Errorf("the summary does not name the policy:\n%s", res.summary)
			}
		})
	}
}

// TestCommentMode posts one conversation comment instead of a review, and updates it on a re-run.
func TestCommentMode(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "write", false)
	ws := checkout(t, pr)
	s := step{event: "pull_request", payload: prPayload(t, pr, false), with: map[string]string{"comment": "comment"}, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.head}
	for i := range 2 {
		if res := runStep(t, s); res.code != 1 {
			t.Fatalf("run %d: exit %d, want 1", i+1, res.code)
		}
	}
	comments := gh.gh.IssueComments(owner, repoName, prNumber)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "mailpost-mcp") {
		t.Errorf("%d conversation comments, want 1 naming mailpost-mcp", len(comments))
	}
	if n := len(gh.reviews()); n != 0 {
		t.Errorf("%d reviews posted in comment mode", n)
	}
}

// TestInvalidInput fails the step with exit 2, an error annotation and verdict "error", before any review.
func TestInvalidInput(t *testing.T) {
	needSuite(t)
	for _, tc := range []struct {
		name string
		with map[string]string
		want string
	}{
		{"fail-on", map[string]string{"fail-on": "sometimes"}, "fail-on"},
		{"config-file outside the repository", map[string]string{"config-file": "../secrets.yml"}, "config-file"},
		{"no base for a manual run", map[string]string{}, "base-ref"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runStep(t, step{event: "workflow_dispatch", payload: []byte(`{}`), with: tc.with, sha: strings.Repeat("a", 40)})
			if res.code != 2 {
				t.Fatalf("exit %d, want 2", res.code)
			}
			if res.outputs["verdict"] != "error" {
				t.Errorf("verdict output %q, want error", res.outputs["verdict"])
			}
			if res.count("error") == 0 || !strings.Contains(res.annotations[0].message, tc.want) {
				t.Errorf("annotations %+v; want an error naming %s", res.annotations, tc.want)
			}
			if _, err := os.Stat(res.outputs["report-json"]); err != nil {
				t.Errorf("the JSON report is not written on an error: %v", err)
			}
		})
	}
}

// TestNoVerdictWithoutCommits: a checkout lacking the commits and no token leaves nothing to read the
// changes from — exit 3, never a pass, whatever fail-on says.
func TestNoVerdictWithoutCommits(t *testing.T) {
	needSuite(t)
	with := map[string]string{"base-ref": strings.Repeat("1", 40), "head-ref": strings.Repeat("2", 40), "fail-on": "never"}
	res := runStep(t, step{event: "workflow_dispatch", payload: []byte(`{}`), with: with, sha: strings.Repeat("2", 40)})
	if res.code != 3 {
		t.Fatalf("exit %d, want 3", res.code)
	}
	if res.outputs["verdict"] != "error" || res.count("error") == 0 {
		t.Errorf("outputs %v, annotations %+v; want verdict error and an error annotation", res.outputs, res.annotations)
	}
	if got, _ := strconv.Atoi(res.outputs["blocked-count"]); got != 0 {
		t.Errorf("blocked-count %d", got)
	}
}

// TestScorecardOff: scorecard: off reaches the engine (no Scorecard notes); on (the default) does not.
func TestScorecardOff(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	ws := checkout(t, pr)
	for _, tc := range []struct {
		value string
		notes bool
	}{{"on", true}, {"off", false}} {
		with := map[string]string{"base-ref": pr.baseSHA, "head-ref": pr.head, "scorecard": tc.value, "comment": "none"}
		res := runStep(t, step{event: "workflow_dispatch", payload: []byte(`{}`), with: with, workspace: ws, sha: pr.head})
		if res.code != 1 {
			t.Fatalf("scorecard %s: exit %d, want 1", tc.value, res.code)
		}
		if got := strings.Contains(res.stdout, "Scorecard:"); got != tc.notes {
			t.Errorf("scorecard %s: Scorecard notes in the report: %v, want %v", tc.value, got, tc.notes)
		}
		if res.summary != "" {
			t.Errorf("comment: none wrote a job summary")
		}
	}
}

// TestRegistryURLUnreachable: registry-url replaces the registry; one that cannot be reached leaves the
// review without a verdict — exit 3, and with fail-on: never a green step that still says so in an error
// annotation.
func TestRegistryURLUnreachable(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	ws := checkout(t, pr)
	for _, tc := range []struct {
		failOn string
		code   int
	}{{"block", 3}, {"never", 0}} {
		with := map[string]string{"base-ref": pr.baseSHA, "head-ref": pr.head, "fail-on": tc.failOn, "registry-url": "http://127.0.0.1:1/", "comment": "summary"}
		res := runStep(t, step{event: "workflow_dispatch", payload: []byte(`{}`), with: with, workspace: ws, sha: pr.head})
		if res.code != tc.code {
			t.Fatalf("fail-on %s: exit %d, want %d", tc.failOn, res.code, tc.code)
		}
		found := false
		for _, a := range res.annotations {
			if a.level == "error" && strings.Contains(a.message, "could not verify") {
				found = true
			}
		}
		if !found {
			t.Errorf("fail-on %s: no error annotation says mcpvet could not verify: %+v", tc.failOn, res.annotations)
		}
	}
}

// TestMergeGroup reviews a merge queue's group with the example workflow: from the checkout, nothing
// posted (no pull request), the step failing on the block.
func TestMergeGroup(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "write", false)
	with, wf := mcpvetStep(t, exampleWorkflow)
	if _, ok := wf.On["merge_group"]; !ok {
		t.Fatalf("the example workflow does not run on merge_group")
	}
	ws := checkout(t, pr)
	runFixture(t, step{event: "merge_group", payload: mergeGroupPayload(t, pr.baseSHA, pr.head), with: with, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.head}, 1)
	if reqs := gh.gh.Requests(); len(reqs) != 0 {
		t.Errorf("%d GitHub API requests for a merge group whose commits the checkout holds; want none", len(reqs))
	}
}

// TestPullRequestShallowCheckout: a checkout without the base and head commits (fetch-depth: 1 leaves only
// the merge commit) is read through the API instead.
func TestPullRequestShallowCheckout(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "write", false)
	with, _ := mcpvetStep(t, exampleWorkflow)
	ws := filepath.Join(t.TempDir(), "workspace")
	git(t, "", "init", "-q", ws)
	res := runFixture(t, step{event: "pull_request", payload: prPayload(t, pr, false), with: with, token: gh.token, apiURL: gh.url, workspace: ws, sha: pr.head}, 1)
	if !strings.Contains(res.summary, "trees from the GitHub API") {
		t.Errorf("the summary does not say the API was read:\n%s", res.summary)
	}
	if n := len(gh.reviews()); n != 1 {
		t.Errorf("%d reviews, want 1", n)
	}
}

// TestPushThroughCompareAPI: without a checkout, a push's base..head is read through the compare API.
func TestPushThroughCompareAPI(t *testing.T) {
	needSuite(t)
	pr := demoPR(t)
	gh := newGitHub(t, pr, "read", false)
	res := runFixture(t, step{event: "push", payload: pushPayload(t, pr.baseSHA, pr.head), token: gh.token, apiURL: gh.url, sha: pr.head}, 1)
	compared := false
	for _, r := range gh.gh.Requests() {
		compared = compared || r.Route == "GET /repos/{owner}/{repo}/compare/{basehead}"
	}
	if !compared || !strings.Contains(res.summary, "trees from the GitHub API") {
		t.Errorf("the push was not read through the compare API")
	}
}
