// Package pullreview is one unit of the App's work: review one pull request head end to end — read the
// pull request through the installation's client, run the engine on it, and publish the check run and
// the review. Run is idempotent, so a queue may repeat a job after a crash or a redelivered webhook.
//
// It must not import app (the webhook server and queue, which call it) or action.
package pullreview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/app/ghapi"
	"github.com/mcpvet/mcpvet/app/publish"
)

// maxErrorSummary bounds the error text written into a failed check run's summary, in bytes.
const maxErrorSummary = 4000

// Job is one pull request head to review.
type Job struct {
	InstallationID int64
	Owner, Repo    string
	Number         int
	HeadSHA        string
	// CheckRunID is the run a check_run "rerequested" event names; 0 means find ours on the head or
	// create one.
	CheckRunID int64
	// LastAttempt tells Run the queue will not retry this job: a temporary failure is then reported on
	// the check run (as a failure, never a success) instead of leaving it in progress for the retry.
	LastAttempt bool
}

// String names the job for logs and errors: "owner/repo#N@sha7".
func (j Job) String() string {
	return fmt.Sprintf("%s/%s#%d@%s", j.Owner, j.Repo, j.Number, report.ShortCommit(j.HeadSHA))
}

// Reviewer runs jobs.
type Reviewer struct {
	App *ghapi.App
	// Engine builds the engine for one job; installationToken may read upstream repositories on
	// github.com (when the App is installed there).
	Engine func(ctx context.Context, installationToken string) (*analysis.Engine, error)
	// Login is the App's bot login, "<slug>[bot]"; when empty it is asked of GitHub (GET /app).
	Login string
	// Now tells the time (time.Now when nil): policy exceptions expire by it.
	Now    func() time.Time
	Logger *slog.Logger
	// DetailsURL, when set, is the check run's details link.
	DetailsURL string
}

// ErrPermanent marks errors that repeating the job cannot fix (the pull request is gone, GitHub refuses
// the request, the server is misconfigured): errors.Is(err, ErrPermanent). Every other error Run returns
// is temporary (network, 5xx, rate limits; ghapi.RetryAt says when) and deserves a retry.
var ErrPermanent = errors.New("permanent failure")

// PermanentError wraps an error that repeating the job cannot fix.
type PermanentError struct{ Err error }

// Error returns the cause's message.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrPermanent) true.
func (e *PermanentError) Is(target error) bool { return target == ErrPermanent }

// classify marks permanent errors.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	if ghapi.Permanent(err) {
		return &PermanentError{Err: err}
	}
	return err
}

// Run reviews one pull request head: it reads the pull request (a head that moved on is left to the
// newer head's job: nil), marks the mcpvet check run in progress, runs the engine with the policy of the
// base branch, completes the check run (failure on block, neutral on warn, success on pass) and posts or
// updates the review (a comment on a pull request the App authored). When the review cannot be made —
// a configuration error, an engine that cannot start, a failure reading the pull request — the check run
// is completed as a failure saying what failed: never a success. Configuration errors of the reviewed
// repository are reported and return nil; other failures return errors, *PermanentError for those that
// repeating cannot fix.
func (r *Reviewer) Run(ctx context.Context, j Job) error {
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("installation", j.InstallationID, "repo", j.Owner+"/"+j.Repo, "pr", j.Number, "sha", j.HeadSHA)
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if j.InstallationID <= 0 || j.Number <= 0 || r.App == nil || r.Engine == nil {
		return &PermanentError{Err: fmt.Errorf("review %s: incomplete job or reviewer", j)}
	}
	c, err := r.App.Client(j.InstallationID)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("review %s: %w", j, err)}
	}
	login := r.Login
	if login == "" {
		if login, err = r.App.Login(ctx); err != nil {
			return classify(fmt.Errorf("review %s: %w", j, err))
		}
	}
	pr, err := ghapi.OpenPRAt(ctx, c, j.Owner, j.Repo, j.Number, j.HeadSHA)
	if errors.Is(err, ghapi.ErrStaleHead) {
		log.Info("head moved on; the newer head has its own job", "err", err)
		return nil
	}
	if err != nil {
		return classify(fmt.Errorf("review %s: %w", j, err))
	}
	info := pr.Info()
	if info.State == "closed" {
		log.Info("pull request closed; not reviewed")
		return nil
	}
	pub := publish.New(c, publish.Options{Login: login, DetailsURL: r.DetailsURL, Logger: log, Now: now})
	t := publish.Target{Owner: j.Owner, Repo: j.Repo, Number: j.Number, HeadSHA: info.HeadSHA, Author: info.Author}
	id, err := pub.ResumeCheck(ctx, t, j.CheckRunID)
	if err != nil {
		return classify(fmt.Errorf("review %s: %w", j, err))
	}
	log = log.With("check_run", id)

	// fail completes the check run as a failure when the job will not be repeated (a permanent failure,
	// the last attempt); a temporary failure leaves it in progress for the retry.
	fail := func(stage string, cause error) error {
		cause = redacted{classify(fmt.Errorf("review %s: %s: %w", j, stage, cause))}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(cause, ErrPermanent) && !j.LastAttempt {
			log.Warn("temporary failure; the job will be retried", "stage", stage, "err", cause)
			return cause
		}
		log.Error("review failed", "stage", stage, "err", cause)
		if ferr := pub.FailCheck(ctx, t, id, "mcpvet could not review this change", failureSummary(stage, cause)); ferr != nil {
			log.Error("cannot report the failure on the check run", "err", ferr)
		}
		return cause
	}

	token, err := r.App.Token(ctx, j.InstallationID)
	if err != nil {
		return fail("get the installation token", err)
	}
	eng, err := r.Engine(ctx, token)
	if err != nil {
		return fail("start the engine", &PermanentError{Err: err})
	}
	rep, err := eng.Review(ctx, pr, now())
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err() // interrupted: the retry resumes the same check run
	case errors.Is(err, analysis.ErrConfig):
		log.Warn("configuration error", "err", redacted{err})
		summary := "The mcpvet configuration on the base branch (`.github/mcpvet.yml`) cannot be used, so this change " +
			"was not reviewed and is not passed.\n\n```\n" + errorText(err) + "\n```\n"
		if ferr := pub.FailCheck(ctx, t, id, "Configuration error", summary); ferr != nil {
			return classify(fmt.Errorf("review %s: report the configuration error: %w", j, ferr))
		}
		return nil
	case err != nil:
		return fail("review the dependency changes", err)
	}
	if err := pub.FinishCheck(ctx, t, id, rep, publish.ConclusionFor(rep)); err != nil {
		return classify(fmt.Errorf("review %s: %w", j, err))
	}
	if strings.EqualFold(info.Author, login) {
		cr, err := pub.Comment(ctx, t, rep)
		if err != nil {
			return classify(fmt.Errorf("review %s: %w", j, err))
		}
		log.Info("reviewed", "verdict", rep.Verdict, "comment", cr.CommentID, "skipped", cr.Skipped)
		return nil
	}
	res, err := pub.Review(ctx, t, rep, pr.InDiff)
	if err != nil {
		return classify(fmt.Errorf("review %s: %w", j, err))
	}
	log.Info("reviewed", "verdict", rep.Verdict, "review", res.ReviewID, "posted", res.Posted,
		"comments", res.Comments, "outside_diff", res.OutsideDiff, "dismissed", len(res.Dismissed), "skipped", res.Skipped)
	return nil
}

// failureSummary is a failed check run's summary: what failed, and that nothing was passed.
func failureSummary(stage string, err error) string {
	return fmt.Sprintf("mcpvet could not %s, so this change was not reviewed and is not passed.\n\n```\n%s\n```\n\n"+
		"Re-run the check from the Checks tab once the cause is fixed.", stage, errorText(err))
}

// errorText is err's message for a check run's code block: credentials redacted before it is cut to
// maxErrorSummary bytes (so a token the cut would split is still recognised), and unable to close the
// fence.
func errorText(err error) string { return fence(cut(redact(err.Error()), maxErrorSummary)) }

// secretPattern matches GitHub tokens (classic, fine-grained, installation, OAuth) and bearer
// credentials, in case an error ever quotes one.
var secretPattern = regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})|((?i:bearer|token)\s+)[A-Za-z0-9._\-]{20,}`)

// redact replaces anything that looks like a credential.
func redact(s string) string {
	return secretPattern.ReplaceAllString(s, "${2}[redacted]")
}

// redacted is an error whose message has credentials redacted (redact), for logs and for the queue,
// which records the errors jobs return; errors.Is and errors.As still see the cause.
type redacted struct{ err error }

func (e redacted) Error() string { return redact(e.err.Error()) }
func (e redacted) Unwrap() error { return e.err }

// fence keeps text from closing the Markdown code fence it is shown in.
func fence(s string) string { return strings.ReplaceAll(s, "```", "`\u200b``") }

// cut returns s cut to at most n bytes at a UTF-8 boundary, followed by "…" when cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
