// Package action is the glue of the GitHub Action (`uses: mcpvet/mcpvet@v1`, run as `mcpvet action`): it
// reads the step's inputs and the workflow's event the way the Actions runner passes them
// (github.com/sethvargo/go-githubactions), reviews the pull request (or base..head) with the engine, and turns
// the report into what a workflow shows — the job summary, annotations on the changed manifest lines, step
// outputs, JSON and SARIF files, a pull request review or comment when the token may write — and the step's
// exit code.
//
// Trees are read from the workflow's checkout when it holds both commits, else through the GitHub API; for
// pull_request_target (base token and secrets) always through the API, as data: the pull request's code is
// never checked out, built or run. The policy is always the base's.
//
// It is thin: the engine (analysis/...) reviews, app/ghapi and app/publish talk to GitHub. Nothing in
// analysis/ or app/ may import it.
package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/deps"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/rules"
	"github.com/mcpvet/mcpvet/analysis/source"
	"github.com/mcpvet/mcpvet/app/ghapi"
	"github.com/mcpvet/mcpvet/app/publish"
)

// MaxStepSummary bounds what one step adds to the job summary, in bytes (GitHub refuses a step summary
// over 1 MiB and shows none of it).
const MaxStepSummary = 1 << 20

// EnvNPMRegistry is npm's registry variable, which the registry-url input sets.
const EnvNPMRegistry = "npm_config_registry"

// DefaultReviewLogin is the login of the GITHUB_TOKEN's reviews and comments (the github-actions App's bot).
const DefaultReviewLogin = "github-actions[bot]"

// EnvReviewLogin overrides DefaultReviewLogin when github-token is another App's or a user's token, so the
// Action finds (and updates instead of duplicating) its earlier review or comment.
const EnvReviewLogin = "MCPVET_REVIEW_LOGIN"

// Env is what a run reads and writes: the process environment, as the runner sets it, and its streams.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	// Now is the clock (nil: time.Now), for the policy's exception expiry dates.
	Now func() time.Time
	// Version is mcpvet's version, for the SARIF report ("" leaves it out).
	Version string
	// Transport carries GitHub API requests (nil: the default transport).
	Transport http.RoundTripper
}

// Run is one step of the Action. It returns the step's exit code: 0 when nothing fails the step under the
// fail-on input (see StepExit), 1 for findings that do, 2 for invalid inputs, events or policy, and 3 when no
// verdict could be reached. Every outcome writes the outputs, the report files and at least one annotation
// when the step is not green.
func Run(ctx context.Context, env Env) (code int) {
	r := newRun(env)
	defer func() {
		// go-githubactions panics when it cannot write a workflow command to stdout (a closed pipe): the
		// step then has no verdict, never a pass (and not Go's exit code 2, which means a usage error).
		if p := recover(); p != nil {
			fmt.Fprintf(safeWriter{r.env.Stderr}, "mcpvet: the step's output failed: %v\n", p)
			code = report.ExitIncomplete
		}
	}()
	code = r.run(ctx)
	r.ann.finish()
	return code
}

// run is the state of one Run.
type run struct {
	env       Env // Getenv, Stdout, Stderr and Now set
	gha       *githubactions.Action
	ann       *annotator
	log       *slog.Logger
	in        Inputs
	workspace string
	summary   []string // status lines added to the job summary, in order
}

func newRun(env Env) *run {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	gha := githubactions.New(githubactions.WithWriter(env.Stdout), githubactions.WithGetenv(env.Getenv))
	return &run{
		env: env,
		gha: gha,
		ann: newAnnotator(gha),
		log: slog.New(slog.NewTextHandler(safeWriter{env.Stderr}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

func (r *run) run(ctx context.Context) int {
	in, err := ReadInputs(r.env.Getenv)
	r.in = in
	if err != nil {
		return r.fail(report.ExitUsage, "mcpvet: invalid input", err)
	}
	// The event file is read here, bounded, not by go-githubactions (which reads it whole).
	gc, err := githubactions.New(githubactions.WithGetenv(func(k string) string {
		if k == "GITHUB_EVENT_PATH" {
			return ""
		}
		return r.env.Getenv(k)
	})).Context()
	if err != nil {
		return r.fail(report.ExitUsage, "mcpvet: the runner's environment", err)
	}
	r.workspace = gc.Workspace
	payload, err := readEvent(r.env.Getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return r.fail(report.ExitUsage, "mcpvet: the event", err)
	}
	t, err := ResolveTarget(gc, payload, in)
	if err != nil {
		return r.fail(report.ExitUsage, "mcpvet: nothing to review", err)
	}
	if t.Number > 0 && (in.BaseRef != "" || in.HeadRef != "") {
		r.note(levelWarning, "mcpvet: base-ref and head-ref ignored", "This run reviews pull request #"+strconv.Itoa(t.Number)+"; base-ref and head-ref apply to other events.")
	}
	var client *github.Client
	if in.Token != "" {
		if client, err = ghapi.NewTokenClient(gc.APIURL, in.Token, r.env.Transport); err != nil {
			return r.fail(report.ExitUsage, "mcpvet: GitHub API client", err)
		}
	}
	trees, err := r.openTrees(ctx, t, client)
	if err != nil {
		return r.fail(report.ExitIncomplete, "mcpvet: could not read the changes", err)
	}
	pol, err := loadBasePolicy(ctx, trees.pr, in.ConfigFile, in.Scope != "")
	if errors.Is(err, analysis.ErrConfig) {
		return r.fail(report.ExitUsage, "mcpvet: invalid policy", err)
	}
	if err != nil {
		return r.fail(report.ExitIncomplete, "mcpvet: could not read the policy", err)
	}
	cfg, err := analysis.ConfigFromEnv(r.engineEnv(gc), "", r.log)
	if err != nil {
		return r.fail(report.ExitUsage, "mcpvet: configuration", err)
	}
	rep, err := analysis.New(cfg).ReviewWithPolicy(ctx, trees.pr, pol, r.env.Now())
	if errors.Is(err, analysis.ErrConfig) {
		return r.fail(report.ExitUsage, "mcpvet: invalid policy", err)
	}
	if err != nil {
		return r.fail(report.ExitIncomplete, "mcpvet: could not reach a verdict", err)
	}
	r.summary = append(r.summary, fmt.Sprintf("Reviewed %s (trees from %s; policy: %s from the base, scope %s).",
		describe(t), trees.from, in.ConfigFile, pol.Scope))
	return r.finish(ctx, t, trees, client, rep)
}

// trees is where the pull request's two sides are read from.
type trees struct {
	pr   deps.PR
	from string // "the checkout" or "the GitHub API"
	// api is the pull request read through the API at the reviewed head: for InDiff and publishing; nil
	// when there is no pull request, no token, or its head moved on.
	api *ghapi.PR
}

// openTrees opens the two sides: from the checkout when it holds both commits (never for
// pull_request_target), else through the API. The pull request is read through the API too when a review
// or comment is to be posted (for the lines of its diff) or the checkout cannot serve.
func (r *run) openTrees(ctx context.Context, t Target, client *github.Client) (trees, error) {
	var out trees
	if !t.APIOnly && r.workspace != "" && isGitCheckout(r.workspace) {
		pr, err := deps.OpenGit(ctx, r.workspace, t.Base, t.Head)
		if err == nil {
			out.pr, out.from = pr, "the checkout"
		} else {
			r.log.Info("the checkout lacks the commits; reading through the API", "err", err)
		}
	}
	publishing := r.in.Comment == CommentReview || r.in.Comment == CommentComment
	if t.Number > 0 && client != nil && (out.pr == nil || publishing) {
		api, err := ghapi.OpenPRAt(ctx, client, t.Owner, t.Repo, t.Number, t.Head)
		switch {
		case err == nil:
			out.api = api
		case errors.Is(err, ghapi.ErrStaleHead):
			r.note(levelNotice, "mcpvet: the pull request moved on", "Its head is no longer "+short(t.Head)+"; this run reviews that commit and leaves the review to the run for the new head.")
		case out.pr != nil:
			r.log.Warn("read the pull request through the API", "err", err)
		default:
			return out, err
		}
	}
	if out.pr != nil {
		return out, nil
	}
	if client == nil {
		return out, errors.New("the checkout does not hold both commits (use actions/checkout with fetch-depth: 0) and github-token is empty")
	}
	out.from = "the GitHub API"
	if out.api != nil {
		out.pr = out.api
		return out, nil
	}
	// No pull request (push, merge group, manual run), or its head moved on: compare the two commits.
	if !isSHA(t.Base) || !isSHA(t.Head) {
		return out, fmt.Errorf("the checkout does not hold %s and %s; through the API base-ref and head-ref must be commit ids", t.Base, t.Head)
	}
	cmp, err := ghapi.OpenCompare(ctx, client, t.Owner, t.Repo, t.Base, t.Head)
	if err != nil {
		return out, err
	}
	out.pr = cmp
	return out, nil
}

// isGitCheckout reports whether dir is the top of a git work tree (.git a directory, or a file for
// worktrees and submodules).
func isGitCheckout(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// engineEnv is the engine's environment: the process's, with the inputs applied.
func (r *run) engineEnv(gc *githubactions.GitHubContext) func(string) string {
	set := map[string]string{}
	if r.in.RegistryURL != "" {
		set[EnvNPMRegistry] = r.in.RegistryURL
	}
	if !r.in.Scorecard {
		set[analysis.EnvScorecardAPI] = "off"
	}
	// On github.com the workflow's token also reads public upstream repositories, with a higher rate limit
	// than anonymous access. It is given to the engine only when upstreams are fetched from github.com itself
	// (the engine sends it to that host alone), never to a mirror or another server.
	if r.in.Token != "" && r.env.Getenv(analysis.EnvGitHubToken) == "" && r.env.Getenv(analysis.EnvGitHubURL) == "" &&
		r.env.Getenv(source.EnvGitHubAPIURL) == "" && isGitHubDotCom(gc.ServerURL) {
		set[analysis.EnvGitHubToken] = r.in.Token
	}
	return func(k string) string {
		if v, ok := set[k]; ok {
			return v
		}
		return r.env.Getenv(k)
	}
}

func isGitHubDotCom(serverURL string) bool {
	u, err := url.Parse(serverURL)
	return err == nil && u.Scheme == "https" && strings.EqualFold(u.Host, "github.com")
}

// finish publishes a report and returns the step's exit code.
func (r *run) finish(ctx context.Context, t Target, tr trees, client *github.Client, rep *report.Report) int {
	var text bytes.Buffer
	if err := report.Text(&text, rep); err == nil {
		r.gha.Group("mcpvet report")
		_, _ = io.WriteString(r.env.Stdout, commandSafe(text.String()))
		r.gha.EndGroup()
	}
	code := StepExit(rep, r.in.FailOn)
	r.outputs(rep, string(rep.Verdict))
	for _, a := range reportAnnotations(rep) {
		r.ann.add(a)
	}
	if rep.ExitCode() == report.ExitIncomplete {
		msg := "mcpvet could not verify every dependency change it should have (see the job summary); that is never a pass."
		if code == report.ExitPass {
			msg += " fail-on: never keeps this step green."
		}
		r.note(levelError, "mcpvet: no verdict", msg)
	} else if code == report.ExitPass && rep.Verdict != report.Pass {
		r.note(levelNotice, "mcpvet: "+string(rep.Verdict), "fail-on: "+string(r.in.FailOn)+" keeps this step green; the annotations and the job summary say what was found.")
	}
	r.publish(ctx, t, tr, client, rep)
	r.writeSummary(rep)
	return code
}

// StepExit is the step's exit code for a report under fail-on: the report's own code (0 pass, 1 block, 3
// could not verify) with "warn" also failing a warning (1), and "never" keeping every report green (0) —
// could-not-verify then still gets an error annotation. Runs that produce no report (invalid inputs, event
// or policy: 2; no verdict at all: 3) fail whatever fail-on says.
func StepExit(rep *report.Report, failOn FailOn) int {
	code := rep.ExitCode()
	switch failOn {
	case FailOnNever:
		return report.ExitPass
	case FailOnWarn:
		if code == report.ExitPass && rep.Verdict == report.Warn {
			return report.ExitBlock
		}
	}
	return code
}

// reportAnnotations are the report's check-run annotations as workflow commands, on the reviewed
// repository's changed lines.
func reportAnnotations(rep *report.Report) []annotation {
	cr := rep.CheckRun()
	out := make([]annotation, 0, len(cr.Annotations))
	for _, a := range cr.Annotations {
		level := levelNotice
		switch a.Level {
		case report.LevelFailure:
			level = levelError
		case report.LevelWarning:
			level = levelWarning
		}
		out = append(out, annotation{Level: level, Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine, Title: a.Title, Message: a.Message})
	}
	return out
}

// publish posts the review or comment the comment input asks for, when there is a pull request.
func (r *run) publish(ctx context.Context, t Target, tr trees, client *github.Client, rep *report.Report) {
	if r.in.Comment != CommentReview && r.in.Comment != CommentComment {
		return
	}
	switch {
	case t.Number == 0:
		return // nothing to post on: a push, a merge group, a manual run
	case client == nil:
		r.summary = append(r.summary, "No "+string(r.in.Comment)+" posted: github-token is empty.")
		return
	case tr.api == nil:
		r.summary = append(r.summary, "No "+string(r.in.Comment)+" posted: the pull request could not be read at this head through the API.")
		return
	}
	login := r.env.Getenv(EnvReviewLogin)
	if login == "" {
		login = DefaultReviewLogin
	}
	pub := publish.New(client, publish.Options{Login: login, DetailsURL: r.runURL(), Logger: r.log})
	target := publish.Target{Owner: t.Owner, Repo: t.Repo, Number: t.Number, HeadSHA: t.Head, Author: t.Author}
	var skipped string
	var err error
	if r.in.Comment == CommentReview {
		var res publish.ReviewResult
		res, err = pub.Review(ctx, target, rep, tr.api.InDiff)
		skipped = res.Skipped
		if err == nil && skipped == "" {
			r.summary = append(r.summary, reviewLine(res))
		}
	} else {
		var res publish.CommentResult
		res, err = pub.Comment(ctx, target, rep)
		skipped = res.Skipped
		if err == nil && skipped == "" {
			r.summary = append(r.summary, "Pull request comment posted or updated.")
		}
	}
	switch {
	case err != nil:
		r.log.Warn("post the "+string(r.in.Comment), "err", err)
		r.note(levelWarning, "mcpvet: no "+string(r.in.Comment)+" posted", "Posting the "+string(r.in.Comment)+" failed: "+report.Line(err.Error())+". The verdict stands in this step's result, annotations and summary.")
	case skipped != "":
		r.note(levelNotice, "mcpvet: no "+string(r.in.Comment)+" posted",
			"The token cannot write to this pull request ("+report.Line(skipped)+"): fork and Dependabot pull requests get a read-only token. The verdict stands in this step's result, annotations and summary. See the README for the permissions that allow a review.")
	}
}

func reviewLine(res publish.ReviewResult) string {
	var parts []string
	switch {
	case res.CommentID != 0:
		parts = append(parts, "Comment posted instead of a review (GitHub refuses a review of one's own pull request)")
	case res.Posted:
		parts = append(parts, fmt.Sprintf("Review posted with %d line %s", res.Comments, plural(res.Comments, "comment", "comments")))
		if res.OutsideDiff > 0 {
			parts = append(parts, fmt.Sprintf("%d outside the diff in the body", res.OutsideDiff))
		}
	case res.ReviewID != 0:
		parts = append(parts, "Review unchanged since the last run (not posted again)")
	default:
		parts = append(parts, "No review needed: nothing is blocked")
	}
	if len(res.Dismissed) > 0 {
		parts = append(parts, fmt.Sprintf("%d earlier %s dismissed", len(res.Dismissed), plural(len(res.Dismissed), "review", "reviews")))
	}
	return strings.Join(parts, "; ") + "."
}

// runURL links the workflow run, for the review's details link.
func (r *run) runURL() string {
	server, repo, id := r.env.Getenv("GITHUB_SERVER_URL"), r.env.Getenv("GITHUB_REPOSITORY"), r.env.Getenv("GITHUB_RUN_ID")
	if server == "" {
		server = "https://github.com"
	}
	if repo == "" || id == "" {
		return ""
	}
	return strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + url.PathEscape(id)
}

// note emits a status annotation and adds its message to the job summary.
func (r *run) note(level, title, msg string) {
	r.ann.status(annotation{Level: level, Title: title, Message: msg})
	mark := map[string]string{levelError: "⛔", levelWarning: "⚠️", levelNotice: "ℹ️"}[level]
	r.summary = append(r.summary, mark+" "+msg)
}

// outputs writes the step outputs and the report files.
func (r *run) outputs(rep *report.Report, verdict string) {
	blocked, _, _ := rep.Counts()
	files, err := writeReports(outputBase(r.env.Getenv), r.workspace, rep, report.WriteOptions{Rules: rules.All(), ToolVersion: r.env.Version})
	if err != nil {
		r.log.Warn("write the report files", "err", err)
		r.note(levelWarning, "mcpvet: report files", "The JSON and SARIF reports could not be written: "+report.Line(err.Error()))
	}
	for _, o := range []struct{ name, value string }{
		{OutputVerdict, verdict},
		{OutputBlockedCount, strconv.Itoa(blocked)},
		{OutputReportJSON, files.JSONOutput},
		{OutputSARIF, files.SARIFOutput},
	} {
		if err := setOutput(r.gha, o.name, o.value); err != nil {
			r.log.Warn("set output", "name", o.name, "err", err)
		}
	}
}

// fail ends a run that has no report: an error annotation, the outputs (verdict "error"), report files
// holding the error, and the summary.
func (r *run) fail(code int, title string, err error) int {
	msg := report.Line(err.Error())
	fmt.Fprintln(safeWriter{r.env.Stderr}, title+": "+msg)
	rep := &report.Report{Errors: []report.Error{{Message: title + ": " + msg}}}
	rep.Finalize()
	r.outputs(rep, "error")
	r.note(levelError, title, msg)
	r.writeSummary(nil)
	return code
}

// writeSummary adds the report (nil: none) and the status lines to the job summary, within MaxStepSummary.
func (r *run) writeSummary(rep *report.Report) {
	if r.in.Comment == CommentNone {
		return
	}
	var tail strings.Builder
	for _, s := range r.summary {
		tail.WriteString("\n> " + strings.ReplaceAll(s, "\n", " ") + "\n")
	}
	status := truncate(tail.String(), MaxStepSummary/4)
	body := ""
	if rep != nil {
		body = report.MarkdownString(rep, MaxStepSummary-len(status)-1)
	} else {
		body = "## mcpvet — no verdict\n"
	}
	if err := fileCommand(r.gha, "GITHUB_STEP_SUMMARY", func() { r.gha.AddStepSummary(body + status) }); err != nil {
		r.log.Warn("write the job summary", "err", err)
	}
}

func describe(t Target) string {
	if t.Number > 0 {
		return fmt.Sprintf("%s/%s#%d at %s", t.Owner, t.Repo, t.Number, short(t.Head))
	}
	return fmt.Sprintf("%s/%s %s...%s (%s)", t.Owner, t.Repo, short(t.Base), short(t.Head), t.Event)
}

func short(rev string) string {
	if isSHA(rev) {
		return rev[:7]
	}
	return rev
}
