package action_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// The end-to-end tests run the real mcpvet binary the way the Actions runner runs the Action's step: the
// inputs as INPUT_* variables (action.yml's defaults, overridden by the workflow step's `with:`), the GITHUB_*
// variables, an event payload from @octokit/webhooks-examples rewritten to the fixture pull request, and
// temporary GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. The reviewed repository lives on a GitHub REST fake
// validated against GitHub's OpenAPI description; npm packages, upstream git repositories and advisories
// come from the fixture world.

// suite is what TestMain prepares once per test binary.
var suite struct {
	bin     string // the mcpvet binary
	dir     string
	world   *fixtures.World
	key     *rsa.PrivateKey
	actions actionMeta
	err     error
}

// Fixture pull request: the postmark-mcp incident's look-alike (internal/fixtures/prs/acme-assistant).
const (
	owner    = "acme"
	repoName = "assistant"
	prNumber = 7
	headRef  = "bump-mailpost"
	// actionsAppID is the github-actions App's id on github.com; its installation token is GITHUB_TOKEN.
	actionsAppID = 15368
	installID    = 4242
)

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "mcpvet-action-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		suite.dir = dir
		suite.err = setup(dir)
		code := m.Run()
		if suite.world != nil {
			suite.world.Close()
		}
		return code
	}()
	os.Exit(code)
}

// setup builds the binary once (the runner runs a prebuilt image; rebuilding per test would dominate the
// run), starts the fixture world and reads action.yml.
func setup(dir string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command builds the binary under test: %w", err)
	}
	suite.bin = filepath.Join(dir, "mcpvet")
	build := exec.Command(goTool, "build", "-ldflags=-s -w", "-o", suite.bin, "github.com/mcpvet/mcpvet/cmd/mcpvet")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build mcpvet: %v\n%s", err, out)
	}
	w, err := fixtures.Start(context.Background(), filepath.Join(dir, "world"))
	if err != nil {
		return fmt.Errorf("start the fixture world: %w", err)
	}
	suite.world = w
	if suite.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return err
	}
	suite.actions, err = readActionMeta("../action.yml")
	return err
}

func needSuite(t *testing.T) {
	t.Helper()
	if suite.err != nil {
		t.Fatalf("test setup: %v", suite.err)
	}
}

// actionMeta is the part of action.yml the runner reads.
type actionMeta struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

func readActionMeta(path string) (actionMeta, error) {
	var m actionMeta
	data, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// workflow is the part of a workflow file the tests read.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// exampleWorkflow is the workflow the README shows and this repository runs.
const exampleWorkflow = "../.github/workflows/mcpvet.yml"

// mcpvetStep returns the `with:` of the workflow's mcpvet step and the workflow.
func mcpvetStep(t *testing.T, path string) (map[string]string, workflow) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "mcpvet/mcpvet@") || s.Uses == "./" {
				return s.With, wf
			}
		}
	}
	t.Fatalf("%s has no mcpvet/mcpvet step", path)
	return nil, wf
}

// prFixture is a reviewed repository built from fixture commits.
type prFixture struct {
	gitDir          string
	baseSHA, head   string
	baseTree, hTree map[string][]byte
}

// buildPR builds a bare repository of commits (the first is the base, the second the head) under the
// test's directory.
func buildPR(t *testing.T, commits []testenv.Commit) prFixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pr.git")
	shas, err := testenv.BuildRepo(context.Background(), dir, commits)
	if err != nil {
		t.Fatal(err)
	}
	pr := fixtures.Repo{Commits: commits}
	return prFixture{gitDir: dir, baseSHA: shas[0], head: shas[1], baseTree: pr.FilesAt(1), hTree: pr.FilesAt(2)}
}

// demoPR builds the fixture pull request: acmeCommits.
func demoPR(t *testing.T) prFixture {
	t.Helper()
	return buildPR(t, acmeCommits(t))
}

// acmeCommits are the fixture pull request's base and head commits.
func acmeCommits(t *testing.T) []testenv.Commit {
	t.Helper()
	pr, err := fixtures.PR(fixtures.DemoPR)
	if err != nil {
		t.Fatal(err)
	}
	return pr.Commits[:2]
}

// checkout clones the fixture into a workspace and checks out its head, as actions/checkout with
// fetch-depth: 0 leaves it (both commits present).
func checkout(t *testing.T, pr prFixture) string {
	t.Helper()
	ws := filepath.Join(t.TempDir(), "workspace")
	git(t, "", "clone", "-q", pr.gitDir, ws)
	git(t, ws, "checkout", "-q", pr.head)
	return ws
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// ghRepo is the reviewed repository on a GitHub fake, with the workflow's token.
type ghRepo struct {
	gh    *testenv.GitHub
	url   string
	token string
}

// newGitHub seeds a GitHub fake with the repository, both trees and pull request #7, and a GITHUB_TOKEN
// whose pull_requests permission is prPerm ("write", or "read" as fork and Dependabot pull requests get).
func newGitHub(t *testing.T, pr prFixture, prPerm string, fork bool) ghRepo {
	t.Helper()
	testenv.RequireOpenAPI(t)
	gh := testenv.NewGitHub()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(gh.AddApp(testenv.GitHubApp{ID: actionsAppID, Slug: "github-actions", Name: "GitHub Actions", PublicKey: &suite.key.PublicKey}))
	must(gh.AddInstallation(testenv.Installation{ID: installID, AppID: actionsAppID, Account: owner,
		Permissions: map[string]string{"metadata": "read", "contents": "read", "pull_requests": prPerm}}))
	token := "ghs_" + strings.Repeat("T", 36)
	must(gh.AddInstallationToken(token, installID))
	must(gh.AddRepository(testenv.Repository{Owner: owner, Name: repoName}))
	must(gh.AddCommit(owner, repoName, pr.baseSHA, pr.baseTree))
	must(gh.AddCommit(owner, repoName, pr.head, pr.hTree))
	must(gh.SetBranch(owner, repoName, "main", pr.baseSHA))
	user := "sam-reyes"
	if fork {
		user = "mallory"
	}
	must(gh.AddPull(owner, repoName, testenv.Pull{Number: prNumber, Title: "Bump mailpost-mcp from 1.0.15 to 1.0.16",
		User: user, Fork: fork, HeadRef: headRef, HeadSHA: pr.head, BaseRef: "main", BaseSHA: pr.baseSHA}))
	if fork {
		must(gh.AddCommit(user, repoName, pr.head, pr.hTree))
	}
	url := gh.Start()
	t.Cleanup(gh.Close)
	t.Cleanup(func() {
		if v := gh.Violations(); len(v) > 0 {
			t.Errorf("GitHub API traffic GitHub would not accept or send:\n%s", strings.Join(v, "\n"))
		}
	})
	return ghRepo{gh: gh, url: url, token: token}
}

// examplePayload is the first of @octokit/webhooks-examples' payloads for event (and action, "" for
// none), rewritten by edit.
func examplePayload(t *testing.T, event, action string, edit func(ev map[string]any)) []byte {
	t.Helper()
	testenv.RequireWebhookExamples(t)
	examples, err := testenv.WebhookExamples(event, action)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(examples[0], &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// prPayload is a real pull_request webhook payload rewritten to the fixture pull request.
func prPayload(t *testing.T, pr prFixture, fork bool) []byte {
	t.Helper()
	headOwner := owner
	if fork {
		headOwner = "mallory"
	}
	setRepo := func(r map[string]any, o string) {
		r["name"], r["full_name"], r["fork"] = repoName, o+"/"+repoName, o != owner
		r["owner"].(map[string]any)["login"] = o
	}
	return examplePayload(t, "pull_request", "opened", func(ev map[string]any) {
		ev["number"] = prNumber
		setRepo(ev["repository"].(map[string]any), owner)
		p := ev["pull_request"].(map[string]any)
		p["number"] = prNumber
		p["user"].(map[string]any)["login"] = headOwner
		head, base := p["head"].(map[string]any), p["base"].(map[string]any)
		head["sha"], head["ref"], head["label"] = pr.head, headRef, headOwner+":"+headRef
		base["sha"], base["ref"], base["label"] = pr.baseSHA, "main", owner+":main"
		setRepo(head["repo"].(map[string]any), headOwner)
		setRepo(base["repo"].(map[string]any), owner)
	})
}

// mergeGroupPayload is a real merge_group webhook payload for the fixture's base and head.
func mergeGroupPayload(t *testing.T, base, head string) []byte {
	t.Helper()
	return examplePayload(t, "merge_group", "checks_requested", func(ev map[string]any) {
		mg := ev["merge_group"].(map[string]any)
		mg["base_sha"], mg["head_sha"] = base, head
		if r, ok := ev["repository"].(map[string]any); ok {
			r["name"], r["full_name"] = repoName, owner+"/"+repoName
		}
	})
}

// pushPayload is a real push webhook payload for the fixture repository.
func pushPayload(t *testing.T, before, after string) []byte {
	t.Helper()
	return examplePayload(t, "push", "", func(ev map[string]any) {
		r := ev["repository"].(map[string]any)
		r["name"], r["full_name"] = repoName, owner+"/"+repoName
		ev["before"], ev["after"], ev["ref"] = before, after, "refs/heads/main"
	})
}

// step is one run of the Action's step.
type step struct {
	event     string
	payload   []byte
	with      map[string]string // the workflow step's `with:`
	token     string            // what ${{ github.token }} evaluates to
	apiURL    string
	workspace string // "" for no checkout (an empty workspace directory)
	sha       string // GITHUB_SHA
}

// stepResult is what the runner sees of a step.
type stepResult struct {
	code        int
	stdout      string
	stderr      string
	outputs     map[string]string
	summary     string
	annotations []annotation
}

type annotation struct {
	level   string
	props   map[string]string
	message string
}

// runStep runs the binary as the runner runs the Action's container: `mcpvet action` (action.yml's args)
// with the inputs, the runner's variables and the fixture world's servers — and nothing of this process's
// environment beyond PATH.
func runStep(t *testing.T, s step) stepResult {
	t.Helper()
	needSuite(t)
	tmp := t.TempDir()
	ws := s.workspace
	if ws == "" {
		ws = filepath.Join(tmp, "workspace")
		if err := os.Mkdir(ws, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{}
	for _, name := range []string{"event.json", "output", "step_summary", "runner_temp", "home"} {
		files[name] = filepath.Join(tmp, name)
	}
	for _, d := range []string{"runner_temp", "home"} {
		if err := os.Mkdir(files[d], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"output", "step_summary"} {
		if err := os.WriteFile(files[f], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(files["event.json"], s.payload, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + files["home"],
		"CI=true",
		"GITHUB_ACTIONS=true",
		"GITHUB_EVENT_NAME=" + s.event,
		"GITHUB_EVENT_PATH=" + files["event.json"],
		"GITHUB_REPOSITORY=" + owner + "/" + repoName,
		"GITHUB_REPOSITORY_OWNER=" + owner,
		"GITHUB_API_URL=" + s.apiURL,
		"GITHUB_SERVER_URL=https://github.example",
		"GITHUB_SHA=" + s.sha,
		"GITHUB_REF=refs/heads/main",
		"GITHUB_RUN_ID=1234",
		"GITHUB_RUN_ATTEMPT=1",
		"GITHUB_ACTOR=sam-reyes",
		"GITHUB_WORKSPACE=" + ws,
		"GITHUB_OUTPUT=" + files["output"],
		"GITHUB_STEP_SUMMARY=" + files["step_summary"],
		"RUNNER_TEMP=" + files["runner_temp"],
	}
	for k, v := range suite.world.Env(suite.dir) {
		env = append(env, k+"="+v)
	}
	for name, in := range suite.actions.Inputs {
		v, ok := s.with[name]
		if !ok {
			v = in.Default
		}
		v = strings.ReplaceAll(v, "${{ github.token }}", s.token)
		env = append(env, "INPUT_"+strings.ToUpper(name)+"="+v)
	}
	for name := range s.with {
		if _, ok := suite.actions.Inputs[name]; !ok {
			t.Fatalf("the workflow passes %q, which action.yml does not declare", name)
		}
	}
	if suite.actions.Runs.Using != "docker" || len(suite.actions.Runs.Args) == 0 {
		t.Fatalf("action.yml runs %q with args %q: want a docker action running `mcpvet action`", suite.actions.Runs.Using, suite.actions.Runs.Args)
	}
	cmd := exec.Command(suite.bin, suite.actions.Runs.Args...)
	cmd.Dir = ws
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := stepResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	out, _ := os.ReadFile(files["output"])
	res.outputs = parseOutputs(t, string(out))
	summary, _ := os.ReadFile(files["step_summary"])
	res.summary = string(summary)
	res.annotations = parseAnnotations(res.stdout)
	for _, secret := range []string{s.token} {
		if secret != "" && (strings.Contains(res.stdout, secret) || strings.Contains(res.stderr, secret) || strings.Contains(res.summary, secret)) {
			t.Errorf("the token appears in the step's log or summary")
		}
	}
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	return res
}

// parseOutputs reads a GITHUB_OUTPUT file: name<<DELIMITER, value lines, DELIMITER.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		name, delim, ok := strings.Cut(line, "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q: want name<<delimiter", line)
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if _, dup := out[name]; dup {
			t.Errorf("output %s set twice", name)
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

var commandLine = regexp.MustCompile(`^::(error|warning|notice)(?: ([^:]*))?::(.*)$`)

// parseAnnotations reads the annotation workflow commands from a step's stdout.
func parseAnnotations(stdout string) []annotation {
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
	var out []annotation
	for _, line := range strings.Split(stdout, "\n") {
		m := commandLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		a := annotation{level: m[1], props: map[string]string{}, message: unescape.Replace(m[3])}
		if m[2] != "" {
			for _, kv := range strings.Split(m[2], ",") {
				k, v, _ := strings.Cut(kv, "=")
				a.props[k] = unescape.Replace(v)
			}
		}
		out = append(out, a)
	}
	return out
}

func (r stepResult) count(level string) int {
	n := 0
	for _, a := range r.annotations {
		if a.level == level {
			n++
		}
	}
	return n
}

// fileAnnotations returns the annotations on file (by level "error", "warning", "notice").
func (r stepResult) fileAnnotations(file string) []annotation {
	var out []annotation
	for _, a := range r.annotations {
		if a.props["file"] == file {
			out = append(out, a)
		}
	}
	return out
}
