// Package publish turns a report.Report into what a pull request shows on GitHub: the mcpvet check run
// (the enforceable gate), a REQUEST_CHANGES review whose line comments sit on the changed manifest lines,
// and, where a review cannot be posted, one upserted conversation comment. Every operation is idempotent
// — running it again for the same head and findings changes nothing — because webhook deliveries are
// repeated and jobs are retried after crashes.
//
// It is shared by the App and the Action; it must not import app (the webhook server) or action.
package publish

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/app/ghapi"
)

// CheckName is the name of mcpvet's check run: branch protection requires it by this name.
const CheckName = "mcpvet"

// ExternalID marks the check runs mcpvet creates, so a run of another check with the same name (a
// workflow job called "mcpvet") is never taken for ours.
const ExternalID = "mcpvet/v1"

// Limits on what one publication sends.
const (
	// MaxAnnotations bounds the annotations of one check run (GitHub takes 50 per request, and each
	// request is a write spaced a second apart); the rest are counted in the log, not sent.
	MaxAnnotations = 500
	// AnnotationsPerRequest is GitHub's limit on the annotations of one check-run request.
	AnnotationsPerRequest = 50
	// MaxReviewComments bounds the line comments of one review; further ones are listed in its body.
	MaxReviewComments = 50
	// MaxOutsideListed bounds the line comments listed one by one in a review body because GitHub would
	// not take them on their lines; the rest are counted.
	MaxOutsideListed = 20
	// MaxListPages bounds the pages (of 100) read when listing check runs, reviews or comments.
	MaxListPages = 30
	// maxOutsideEntry bounds one listed comment's text in a review body, in bytes.
	maxOutsideEntry = 400
	// maxCheckText bounds a check run's title (GitHub: 255 characters) and summary (65,535) we write
	// ourselves, in bytes.
	maxCheckTitle   = 255
	maxCheckSummary = 65535 - 1
)

// ErrReadOnly is returned (wrapped) when GitHub refuses a check-run write with 403: the token cannot
// write checks (a fork pull request's read-only GITHUB_TOKEN, an App without checks:write).
var ErrReadOnly = errors.New("the token cannot write to this repository")

// Target is what is published about: a repository's head commit and, unless Number is 0 (a push), its
// pull request.
type Target struct {
	Owner, Repo string
	Number      int // 0: no pull request
	HeadSHA     string
	// Author is the pull request author's login, when known: a pull request authored by Options.Login
	// gets a comment instead of a review (GitHub refuses REQUEST_CHANGES on one's own pull request).
	Author string
}

// Options configure a Publisher.
type Options struct {
	// Login is the login our reviews and comments are written under: "<slug>[bot]" for the App,
	// "github-actions[bot]" for the Action's GITHUB_TOKEN. Only reviews and comments by this login are
	// ever updated or dismissed.
	Login string
	// DetailsURL, when set, is the check run's details link.
	DetailsURL string
	Logger     *slog.Logger
	// Now tells the time (time.Now when nil).
	Now func() time.Time
}

// Publisher publishes reports with one API client.
type Publisher struct {
	c   *github.Client
	o   Options
	log *slog.Logger
}

// New returns a Publisher writing through c.
func New(c *github.Client, o Options) *Publisher {
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{c: c, o: o, log: log}
}

// Conclusion is a completed check run's conclusion.
type Conclusion string

// Conclusions mcpvet uses.
const (
	Success   Conclusion = "success"
	Failure   Conclusion = "failure"
	Neutral   Conclusion = "neutral"
	Cancelled Conclusion = "cancelled"
)

// ConclusionFor maps a report's verdict to the check run's conclusion: block → failure, warn → neutral,
// pass → success.
func ConclusionFor(rep *report.Report) Conclusion {
	switch rep.Verdict {
	case report.Pass:
		return Success
	case report.Warn:
		return Neutral
	}
	return Failure // block, and anything unknown: never a pass by accident
}

// String names the target for logs and errors: "owner/repo#N@sha7".
func (t Target) String() string {
	if t.Number > 0 {
		return fmt.Sprintf("%s/%s#%d@%s", t.Owner, t.Repo, t.Number, report.ShortCommit(t.HeadSHA))
	}
	return fmt.Sprintf("%s/%s@%s", t.Owner, t.Repo, report.ShortCommit(t.HeadSHA))
}

// listPages reads a list of at most MaxListPages pages: page is called with the page to read (0: the
// first) and returns the next one (0: there is none, or nothing more is wanted).
func listPages(page func(n int) (next int, err error)) error {
	n := 0
	for range MaxListPages {
		next, err := page(n)
		if err != nil || next == 0 {
			return err
		}
		n = next
	}
	return nil
}

// isLogin reports whether login is ours.
func (p *Publisher) isLogin(login string) bool {
	return p.o.Login != "" && strings.EqualFold(login, p.o.Login)
}

// forbidden reports whether err is GitHub's 403 (rate limits are turned into other errors by ghapi's
// transport).
func forbidden(err error) bool {
	var abuse *github.AbuseRateLimitError
	var rl *github.RateLimitError
	return ghapi.StatusCode(err) == http.StatusForbidden && !errors.As(err, &abuse) && !errors.As(err, &rl)
}
