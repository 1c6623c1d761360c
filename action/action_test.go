package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/policy"
	"github.com/mcpvet/mcpvet/analysis/report"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestReadInputs(t *testing.T) {
	long := strings.Repeat("a", MaxInputLength)
	tests := []struct {
		name    string
		env     map[string]string
		want    Inputs
		wantErr string
	}{
		{name: "defaults", env: map[string]string{},
			want: Inputs{ConfigFile: policy.Path, FailOn: FailOnBlock, Comment: CommentReview, Scorecard: true}},
		{name: "everything set", env: map[string]string{
			"INPUT_GITHUB-TOKEN": "tok", "INPUT_CONFIG-FILE": "ci/mcpvet.yml", "INPUT_FAIL-ON": "Warn", "INPUT_SCOPE": "all",
			"INPUT_COMMENT": "none", "INPUT_REGISTRY-URL": "https://npm.example/", "INPUT_SCORECARD": "off",
			"INPUT_BASE-REF": "main", "INPUT_HEAD-REF": " refs/tags/v1 ",
		}, want: Inputs{Token: "tok", ConfigFile: "ci/mcpvet.yml", FailOn: FailOnWarn, Scope: policy.ScopeAll, Comment: CommentNone,
			RegistryURL: "https://npm.example/", BaseRef: "main", HeadRef: "refs/tags/v1"}},
		{name: "scope mcp is the policy's", env: map[string]string{"INPUT_SCOPE": "mcp"},
			want: Inputs{ConfigFile: policy.Path, FailOn: FailOnBlock, Comment: CommentReview, Scorecard: true}},
		{name: "input at the length limit", env: map[string]string{"INPUT_BASE-REF": long},
			want: Inputs{ConfigFile: policy.Path, FailOn: FailOnBlock, Comment: CommentReview, Scorecard: true, BaseRef: long}},
		{name: "input over the length limit", env: map[string]string{"INPUT_BASE-REF": long + "a"}, wantErr: "at most 4096"},
		{name: "fail-on", env: map[string]string{"INPUT_FAIL-ON": "sometimes"}, wantErr: "fail-on"},
		{name: "scope", env: map[string]string{"INPUT_SCOPE": "none"}, wantErr: "scope"},
		{name: "comment", env: map[string]string{"INPUT_COMMENT": "shout"}, wantErr: "comment"},
		{name: "scorecard", env: map[string]string{"INPUT_SCORECARD": "maybe"}, wantErr: "scorecard"},
		{name: "registry without scheme", env: map[string]string{"INPUT_REGISTRY-URL": "npm.example"}, wantErr: "registry-url"},
		{name: "registry with credentials", env: map[string]string{"INPUT_REGISTRY-URL": "https://u:p@npm.example/"}, wantErr: "registry-url"},
		{name: "config-file absolute", env: map[string]string{"INPUT_CONFIG-FILE": "/etc/passwd"}, wantErr: "config-file"},
		{name: "config-file escaping", env: map[string]string{"INPUT_CONFIG-FILE": "ci/../../x.yml"}, wantErr: "config-file"},
		{name: "ref that is an option", env: map[string]string{"INPUT_BASE-REF": "--output=/tmp/x"}, wantErr: "base-ref"},
		{name: "ref that is a range", env: map[string]string{"INPUT_HEAD-REF": "main..evil"}, wantErr: "head-ref"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadInputs(envOf(tc.env))
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want ErrInput naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func pkg(name string, sev finding.Severity, unverified bool) report.Package {
	return report.Package{Ecosystem: "npm", Name: name, From: "1.0.0", To: "1.0.1", MCP: true,
		Locations: []report.Location{{Path: "package.json", Line: 3}},
		Findings:  []finding.Finding{{Rule: "source/foreign-lines", Severity: sev, Message: "m", Unverified: unverified}}}
}

func rep(ps ...report.Package) *report.Report {
	r := &report.Report{Packages: ps}
	r.Finalize()
	return r
}

func TestStepExit(t *testing.T) {
	pass, warn, block := rep(), rep(pkg("a", finding.Warn, false)), rep(pkg("a", finding.Block, false))
	incomplete := rep(pkg("a", finding.Block, true))
	tests := []struct {
		name   string
		rep    *report.Report
		failOn FailOn
		want   int
	}{
		{"pass, block", pass, FailOnBlock, 0},
		{"warn, block", warn, FailOnBlock, 0},
		{"block, block", block, FailOnBlock, 1},
		{"incomplete, block", incomplete, FailOnBlock, 3},
		{"pass, warn", pass, FailOnWarn, 0},
		{"warn, warn", warn, FailOnWarn, 1},
		{"block, warn", block, FailOnWarn, 1},
		{"incomplete, warn", incomplete, FailOnWarn, 3},
		{"block, never", block, FailOnNever, 0},
		{"incomplete, never", incomplete, FailOnNever, 0},
	}
	for _, tc := range tests {
		if got := StepExit(tc.rep, tc.failOn); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestAnnotationCaps emits up to GitHub's per-step caps and then one notice counting the rest.
func TestAnnotationCaps(t *testing.T) {
	tests := []struct {
		status                    int // status errors, written first
		errors, warnings, notices int
		wantErrors, wantWarnings  int
		wantNotices               int
		wantMore                  string
	}{
		{errors: MaxErrorAnnotations, warnings: MaxWarningAnnotations, notices: MaxNoticeAnnotations - 1,
			wantErrors: MaxErrorAnnotations, wantWarnings: MaxWarningAnnotations, wantNotices: MaxNoticeAnnotations - 1},
		{errors: MaxErrorAnnotations + 1, warnings: MaxWarningAnnotations, notices: 0,
			wantErrors: MaxErrorAnnotations, wantWarnings: MaxWarningAnnotations, wantNotices: 1, wantMore: "1 more annotation not shown"},
		{errors: 0, warnings: MaxWarningAnnotations + 5, notices: MaxNoticeAnnotations,
			wantWarnings: MaxWarningAnnotations, wantNotices: MaxNoticeAnnotations, wantMore: "6 more annotations not shown"},
		{status: 1, errors: MaxErrorAnnotations, wantErrors: MaxErrorAnnotations, wantNotices: 1, wantMore: "1 more annotation not shown"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var out bytes.Buffer
			an := newAnnotator(githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(envOf(nil))))
			for range tc.status {
				an.status(annotation{Level: levelError, Title: "status", Message: "no verdict"})
			}
			for level, n := range map[string]int{levelError: tc.errors, levelWarning: tc.warnings, levelNotice: tc.notices} {
				for j := range n {
					an.add(annotation{Level: level, Path: "package.json", StartLine: j + 1, Message: "m"})
				}
			}
			an.finish()
			got := out.String()
			for level, want := range map[string]int{"::error ": tc.wantErrors, "::warning ": tc.wantWarnings, "::notice ": tc.wantNotices} {
				if n := strings.Count(got, level); n != want {
					t.Errorf("%d %q commands, want %d", n, level, want)
				}
			}
			if tc.wantMore != "" && !strings.Contains(got, tc.wantMore) {
				t.Errorf("no notice %q in\n%s", tc.wantMore, got)
			}
			if n := strings.Count(got, "no verdict"); n != tc.status {
				t.Errorf("%d status annotations written, want %d (they always are)", n, tc.status)
			}
			if tc.wantMore == "" && strings.Contains(got, "not shown") {
				t.Errorf("a notice counts annotations left out, but none was:\n%s", got)
			}
		})
	}
}

// TestAnnotationMessageLimit cuts hostile messages at MaxAnnotationMessage bytes, on a rune boundary, and
// keeps them on one command line.
func TestAnnotationMessageLimit(t *testing.T) {
	for _, n := range []int{MaxAnnotationMessage, MaxAnnotationMessage + 1} {
		msg := strings.Repeat("é", n/2) + strings.Repeat("x", n%2)
		var out bytes.Buffer
		an := newAnnotator(githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(envOf(nil))))
		an.status(annotation{Level: levelError, Message: msg + "\n::set-output name=x::y"})
		line := strings.TrimSuffix(out.String(), "\n")
		if strings.Count(out.String(), "\n") != 1 {
			t.Fatalf("the annotation spans several lines: %q", out.String())
		}
		_, body, _ := strings.Cut(line, "::error::")
		if len(body) > MaxAnnotationMessage {
			t.Errorf("message of %d bytes written as %d", len(msg), len(body))
		}
	}
	for _, n := range []int{MaxAnnotationTitle, MaxAnnotationTitle + 1} {
		var out bytes.Buffer
		an := newAnnotator(githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(envOf(nil))))
		an.status(annotation{Level: levelWarning, Title: strings.Repeat("t", n), Message: "m"})
		_, props, _ := strings.Cut(out.String(), "title=")
		title, _, _ := strings.Cut(props, "::")
		if want := min(n, MaxAnnotationTitle); len(title) != want {
			t.Errorf("title of %d bytes written as %d, want %d", n, len(title), want)
		}
	}
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "…"},
		{strings.Repeat("é", 10), 7, "éé…"},
		{strings.Repeat("é", 10), 8, "éé…"},
	} {
		if got := truncate(tc.in, tc.limit); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestCommandSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain\ntext\n", "plain\ntext\n"},
		{"::set-output name=a::b\n", ":\u200b:set-output name=a::b\n"},
		{"ok\n   ::add-mask::x\n", "ok\n   :\u200b:add-mask::x\n"},
		{"##[set-env name=A;]b", "#\u200b#[set-env name=A;]b"},
		{"+ Bcc: 'a::b'", "+ Bcc: 'a::b'"},
	}
	for _, tc := range tests {
		if got := commandSafe(tc.in); got != tc.want {
			t.Errorf("commandSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSetOutputRefusesLineBreaks(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "output")
	gha := githubactions.New(githubactions.WithGetenv(envOf(map[string]string{"GITHUB_OUTPUT": out})))
	if err := setOutput(gha, "verdict", "block\nother<<x"); err == nil {
		t.Error("a value with a line break was written")
	}
	if err := setOutput(gha, "verdict", "block"); err != nil {
		t.Fatal(err)
	}
	unset := githubactions.New(githubactions.WithGetenv(envOf(nil)))
	if err := setOutput(unset, "verdict", "block"); err == nil {
		t.Error("no error without GITHUB_OUTPUT")
	}
	missing := githubactions.New(githubactions.WithGetenv(envOf(map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "no", "such", "dir")})))
	if err := setOutput(missing, "verdict", "block"); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v for an unwritable GITHUB_OUTPUT (go-githubactions panics there); want one wrapping the cause", err)
	}
}

// TestEventSizeLimit reads an event payload of MaxEventSize bytes and refuses one byte more.
func TestEventSizeLimit(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{MaxEventSize, MaxEventSize + 1} {
		p := filepath.Join(dir, fmt.Sprint(n))
		data := bytes.Repeat([]byte(" "), n)
		copy(data, `{"action":"opened"}`)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readEvent(p)
		if (err != nil) != (n > MaxEventSize) {
			t.Errorf("%d bytes: error %v", n, err)
		}
		if n > MaxEventSize && !errors.Is(err, ErrEvent) {
			t.Errorf("%d bytes: error %v, want ErrEvent", n, err)
		}
	}
}

func TestResolveTarget(t *testing.T) {
	base, head := strings.Repeat("b", 40), strings.Repeat("c", 40)
	gc := func(event string) *githubactions.GitHubContext {
		return &githubactions.GitHubContext{EventName: event, Repository: "acme/assistant", SHA: strings.Repeat("d", 40)}
	}
	prPayload := `{"number":7,"pull_request":{"number":7,"user":{"login":"mallory"},"head":{"sha":"` + head + `","repo":{"full_name":"mallory/assistant"}},"base":{"sha":"` + base + `","repo":{"full_name":"acme/assistant"}}}}`
	tests := []struct {
		name    string
		event   string
		payload string
		in      Inputs
		want    Target
		wantErr bool
	}{
		{name: "pull_request", event: EventPullRequest, payload: prPayload,
			want: Target{Event: EventPullRequest, Owner: "acme", Repo: "assistant", Number: 7, Base: base, Head: head, Fork: true, Author: "mallory"}},
		{name: "pull_request_target is API only", event: EventPullRequestTarget, payload: prPayload,
			want: Target{Event: EventPullRequestTarget, Owner: "acme", Repo: "assistant", Number: 7, Base: base, Head: head, Fork: true, Author: "mallory", APIOnly: true}},
		{name: "inputs do not retarget a pull request", event: EventPullRequest, payload: prPayload, in: Inputs{BaseRef: "x", HeadRef: "y"},
			want: Target{Event: EventPullRequest, Owner: "acme", Repo: "assistant", Number: 7, Base: base, Head: head, Fork: true, Author: "mallory"}},
		{name: "pull_request without shas", event: EventPullRequest, payload: `{"number":7,"pull_request":{"number":7}}`, wantErr: true},
		{name: "pull_request without payload", event: EventPullRequest, wantErr: true},
		{name: "merge_group", event: EventMergeGroup, payload: `{"action":"checks_requested","merge_group":{"base_sha":"` + base + `","head_sha":"` + head + `"}}`,
			want: Target{Event: EventMergeGroup, Owner: "acme", Repo: "assistant", Base: base, Head: head}},
		{name: "push defaults to before..after", event: EventPush, payload: `{"before":"` + base + `","after":"` + head + `"}`,
			want: Target{Event: EventPush, Owner: "acme", Repo: "assistant", Base: base, Head: head}},
		{name: "push inputs win", event: EventPush, payload: `{"before":"` + base + `","after":"` + head + `"}`, in: Inputs{BaseRef: "main", HeadRef: "topic"},
			want: Target{Event: EventPush, Owner: "acme", Repo: "assistant", Base: "main", Head: "topic"}},
		{name: "push creating a branch needs base-ref", event: EventPush, payload: `{"before":"` + zeroSHA + `","after":"` + head + `"}`, wantErr: true},
		{name: "workflow_dispatch", event: EventWorkflowDispatch, payload: `{}`, in: Inputs{BaseRef: "main"},
			want: Target{Event: EventWorkflowDispatch, Owner: "acme", Repo: "assistant", Base: "main", Head: strings.Repeat("d", 40)}},
		{name: "workflow_dispatch without base", event: EventWorkflowDispatch, payload: `{}`, wantErr: true},
		{name: "undecodable", event: EventPullRequest, payload: `{"number":"seven"}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveTarget(gc(tc.event), []byte(tc.payload), tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrEvent) {
					t.Fatalf("error %v, want ErrEvent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	var typeErr *json.UnmarshalTypeError
	if _, err := ResolveTarget(gc(EventPullRequest), []byte(`{"number":"seven"}`), Inputs{}); !errors.As(err, &typeErr) {
		t.Errorf("undecodable payload: error %v does not keep the decoder's", err)
	}
}

// fakePR is a deps.PR over two maps.
type fakePR struct{ base, head map[string]string }

func (f fakePR) ChangedPaths(context.Context) ([]string, error) { return nil, nil }
func (f fakePR) ReadBase(_ context.Context, p string) ([]byte, error) {
	if s, ok := f.base[p]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}
func (f fakePR) ReadHead(_ context.Context, p string) ([]byte, error) {
	if s, ok := f.head[p]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}

func TestLoadBasePolicy(t *testing.T) {
	ctx := context.Background()
	const weak = "rules:\n  source/foreign-lines: \"off\"\n"
	pr := fakePR{
		base: map[string]string{"ci/mcpvet.yml": "scope: mcp\nrules:\n  source/foreign-lines: warn\n", ".github/mcpvet.yml": "scope: all\n", "bad.yml": "scope: [\n"},
		head: map[string]string{"ci/mcpvet.yml": weak, "head-only.yml": weak},
	}
	tests := []struct {
		name, file string
		widen      bool
		wantScope  string
		wantRule   finding.Severity // effective severity of source/foreign-lines
		wantErr    error
	}{
		{name: "config-file from the base", file: "ci/mcpvet.yml", wantScope: policy.ScopeMCP, wantRule: finding.Warn},
		{name: "widened", file: "ci/mcpvet.yml", widen: true, wantScope: policy.ScopeAll, wantRule: finding.Warn},
		{name: "default path", file: policy.Path, wantScope: policy.ScopeAll, wantRule: finding.Block},
		{name: "only in the head: defaults", file: "head-only.yml", wantScope: policy.ScopeMCP, wantRule: finding.Block},
		{name: "no file, widened", file: "none.yml", widen: true, wantScope: policy.ScopeAll, wantRule: finding.Block},
		{name: "invalid", file: "bad.yml", wantErr: analysis.ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadBasePolicy(ctx, pr, tc.file, tc.widen)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.file) {
					t.Fatalf("error %v, want %v naming %s", err, tc.wantErr, tc.file)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Scope != tc.wantScope {
				t.Errorf("scope %q, want %q", cfg.Scope, tc.wantScope)
			}
			if got := cfg.Severity("source/foreign-lines", finding.Block); got != tc.wantRule {
				t.Errorf("source/foreign-lines is %q, want %q", got, tc.wantRule)
			}
		})
	}
}

func TestOutputPath(t *testing.T) {
	ws := filepath.Join(string(filepath.Separator), "github", "workspace")
	tests := []struct{ path, want string }{
		{filepath.Join(ws, "mcpvet-1", ReportJSONFile), "mcpvet-1/" + ReportJSONFile},
		{filepath.Join(string(filepath.Separator), "tmp", "r.json"), filepath.Join(string(filepath.Separator), "tmp", "r.json")},
		{filepath.Join(ws+"2", "r.json"), filepath.Join(ws+"2", "r.json")},
	}
	for _, tc := range tests {
		if got := outputPath(ws, tc.path); got != tc.want {
			t.Errorf("outputPath(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestWriteReportsFreshDirectory: report files go into a directory this run creates, so a symlink a
// checkout planted where a report would go is never written through.
func TestWriteReportsFreshDirectory(t *testing.T) {
	ws := t.TempDir()
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.Symlink(target, filepath.Join(ws, ReportJSONFile)); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	files, err := writeReports(ws, ws, rep(pkg("a", finding.Block, false)), report.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the planted symlink was written through")
	}
	if filepath.Dir(files.JSON) == ws || filepath.IsAbs(files.JSONOutput) || files.SARIFOutput == "" {
		t.Errorf("files %+v: want a fresh directory inside the workspace, outputs relative to it", files)
	}
}

// TestSummaryLimit keeps the job summary within MaxStepSummary however large the report.
func TestSummaryLimit(t *testing.T) {
	var ps []report.Package
	for i := range 400 {
		p := pkg(fmt.Sprintf("pkg-%d", i), finding.Block, false)
		p.Findings[0].Snippet = strings.Repeat("+ injected line of published code\n", 200)
		ps = append(ps, p)
	}
	big := rep(ps...)
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary")
	r := newRun(Env{Getenv: envOf(map[string]string{"GITHUB_STEP_SUMMARY": summary})})
	r.in = Inputs{Comment: CommentSummary}
	for range 100 {
		r.summary = append(r.summary, strings.Repeat("status ", 1000))
	}
	r.writeSummary(big)
	st, err := os.Stat(summary)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > MaxStepSummary || st.Size() < MaxStepSummary/2 {
		t.Errorf("summary of %d bytes; want at most %d (and most of it used)", st.Size(), MaxStepSummary)
	}
	r.in.Comment = CommentNone
	if err := os.Remove(summary); err != nil {
		t.Fatal(err)
	}
	r.writeSummary(big)
	if _, err := os.Stat(summary); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("comment: none wrote a summary")
	}
}

// failingWriter fails every write, like a closed stdout pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestRunBrokenStdout: a step whose log cannot be written ends without a verdict (3), not with a panic.
func TestRunBrokenStdout(t *testing.T) {
	var stderr bytes.Buffer
	code := Run(context.Background(), Env{Getenv: envOf(map[string]string{"INPUT_FAIL-ON": "bogus"}), Stdout: failingWriter{}, Stderr: &stderr})
	if code != report.ExitIncomplete || !strings.Contains(stderr.String(), "output failed") {
		t.Errorf("exit %d, stderr %q; want 3 and a message", code, stderr.String())
	}
}
