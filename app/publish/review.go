package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/app/ghapi"
)

// ReviewResult says what Review did.
type ReviewResult struct {
	// Posted is true when a new review was created; ReviewID is that review, or the earlier identical
	// one that made a new review unnecessary.
	Posted   bool
	ReviewID int64
	// Dismissed lists our earlier blocking reviews that were dismissed.
	Dismissed []int64
	// Comments is the number of line comments of the review; OutsideDiff the number listed in its body
	// instead, because GitHub takes review comments only on lines of the diff.
	Comments, OutsideDiff int
	// CommentID is set when the verdict went to a conversation comment instead of a review (a pull
	// request authored by Options.Login).
	CommentID int64
	// Skipped says why nothing could be done (a token that cannot write reviews, no pull request).
	Skipped string
}

// CommentResult says what Comment did.
type CommentResult struct {
	CommentID int64
	// Created or Updated tell which write happened; neither when our comment already said the same.
	Created, Updated bool
	Skipped          string
}

// Skip reasons.
const (
	SkippedNoPR     = "no pull request"
	SkippedReadOnly = "token cannot write reviews"
)

// reviewMarker matches the hidden marker of our reviews.
var reviewMarker = regexp.MustCompile(`<!-- mcpvet:review v1 sha=([0-9a-f]{40}) digest=([0-9a-f]{16,64}) -->`)

// commentMarker marks our conversation comment.
const commentMarker = "<!-- mcpvet:comment v1 -->"

func marker(sha, digest string) string {
	return fmt.Sprintf("<!-- mcpvet:review v1 sha=%s digest=%s -->", strings.ToLower(sha), digest)
}

// ourReview is one of our earlier reviews of the pull request.
type ourReview struct {
	id          int64
	state       string
	sha, digest string
}

// Review publishes rep as the pull request's review.
//
// Block: a REQUEST_CHANGES review on the head commit whose body is the Markdown report and whose line
// comments (rep.LineComments, on the RIGHT side) are those inDiff accepts; the others are listed in the
// body, because one comment GitHub cannot place fails the whole review. When one of our reviews already
// carries the same head and findings digest nothing new is posted; otherwise the new review is posted
// first and our earlier blocking reviews are then dismissed.
//
// Warn or pass: our earlier blocking reviews are dismissed, saying why, and nothing new is posted (the
// check run carries the warnings; a clean pull request gets no noise).
//
// On a pull request authored by Options.Login the report goes to Comment instead (GitHub refuses
// REQUEST_CHANGES on one's own pull request). A token that cannot write reviews (403) yields
// Skipped, not an error.
func (p *Publisher) Review(ctx context.Context, t Target, rep *report.Report, inDiff func(ctx context.Context, path string, line int) (bool, error)) (ReviewResult, error) {
	if t.Number <= 0 {
		return ReviewResult{Skipped: SkippedNoPR}, nil
	}
	if t.Author != "" && p.isLogin(t.Author) {
		return p.commentInstead(ctx, t, rep)
	}
	ours, err := p.ourReviews(ctx, t)
	if forbidden(err) {
		return ReviewResult{Skipped: SkippedReadOnly}, nil
	}
	if err != nil {
		return ReviewResult{}, err
	}
	var res ReviewResult
	if rep.Verdict != report.Block {
		msg := fmt.Sprintf("mcpvet: no dependency change is blocked at %s any more.", report.ShortCommit(t.HeadSHA))
		if rep.Verdict == report.Warn {
			msg = fmt.Sprintf("mcpvet: no dependency change is blocked at %s any more; the mcpvet check run lists the warnings.", report.ShortCommit(t.HeadSHA))
		}
		res.Dismissed, err = p.dismiss(ctx, t, ours, 0, msg)
		return res, err
	}
	comments := rep.LineComments()
	digest := reviewDigest(rep, comments)
	for _, r := range ours {
		if r.sha == strings.ToLower(t.HeadSHA) && r.digest == digest && r.state != "DISMISSED" {
			p.log.Info("review already posted", "target", t.String(), "review", r.id)
			res.ReviewID = r.id
			res.Dismissed, err = p.dismiss(ctx, t, ours, r.id, supersededMessage(t))
			return res, err
		}
	}
	var inside []report.LineComment
	var outside []report.LineComment
	for _, lc := range comments {
		ok := false
		if len(inside) < MaxReviewComments {
			ok, err = inDiff(ctx, lc.Path, lc.Line)
			if err != nil {
				if ctx.Err() != nil {
					return ReviewResult{}, ctx.Err()
				}
				p.log.Warn("cannot tell whether a line is in the diff; listing it in the body", "target", t.String(), "path", lc.Path, "line", lc.Line, "err", err)
				ok = false
			}
		}
		if ok {
			inside = append(inside, lc)
		} else {
			outside = append(outside, lc)
		}
	}
	rv, err := p.postReview(ctx, t, rep, digest, inside, outside)
	if len(inside) > 0 && ghapi.StatusCode(err) == http.StatusUnprocessableEntity && !ownPullError(err) {
		// GitHub placed the diff differently than we computed: post the comments in the body.
		p.log.Warn("review comments refused; listing them in the body", "target", t.String(), "err", err)
		outside, inside = append(append([]report.LineComment(nil), inside...), outside...), nil
		rv, err = p.postReview(ctx, t, rep, digest, nil, outside)
	}
	switch {
	case ownPullError(err):
		return p.commentInstead(ctx, t, rep)
	case forbidden(err):
		return ReviewResult{Skipped: SkippedReadOnly}, nil
	case err != nil:
		return ReviewResult{}, fmt.Errorf("post the review of %s: %w", t, err)
	}
	res = ReviewResult{Posted: true, ReviewID: rv.GetID(), Comments: len(inside), OutsideDiff: len(outside)}
	p.log.Info("review posted", "target", t.String(), "review", res.ReviewID, "comments", res.Comments, "outside_diff", res.OutsideDiff)
	res.Dismissed, err = p.dismiss(ctx, t, ours, res.ReviewID, supersededMessage(t))
	return res, err
}

func supersededMessage(t Target) string {
	return fmt.Sprintf("mcpvet: superseded by the review of %s.", report.ShortCommit(t.HeadSHA))
}

func (p *Publisher) commentInstead(ctx context.Context, t Target, rep *report.Report) (ReviewResult, error) {
	cr, err := p.Comment(ctx, t, rep)
	return ReviewResult{CommentID: cr.CommentID, Skipped: cr.Skipped, Posted: cr.Created || cr.Updated}, err
}

// ownPullError reports GitHub's 422 for a review of one's own pull request.
func ownPullError(err error) bool {
	return ghapi.StatusCode(err) == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(err.Error()), "your own pull request")
}

func (p *Publisher) postReview(ctx context.Context, t Target, rep *report.Report, digest string, inside, outside []report.LineComment) (*github.PullRequestReview, error) {
	mk := marker(t.HeadSHA, digest)
	extra := outsideSection(outside)
	body := report.MarkdownString(rep, report.MaxMarkdown-len(mk)-len(extra)-2) + extra + "\n\n" + mk
	req := &github.PullRequestReviewRequest{CommitID: github.String(t.HeadSHA), Body: github.String(body), Event: github.String("REQUEST_CHANGES")}
	for _, lc := range inside {
		req.Comments = append(req.Comments, &github.DraftReviewComment{Path: github.String(lc.Path), Line: github.Int(lc.Line),
			Side: github.String("RIGHT"), Body: github.String(report.Cut(lc.Body, report.MaxLineComment))})
	}
	rv, _, err := p.c.PullRequests.CreateReview(ctx, t.Owner, t.Repo, t.Number, req)
	return rv, err
}

// outsideSection lists, for the review body, line comments that cannot sit on their lines.
func outsideSection(cs []report.LineComment) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n\n**On lines outside the diff** (GitHub takes review comments only on changed lines):\n")
	for i, c := range cs {
		if i == MaxOutsideListed {
			fmt.Fprintf(&b, "- … and %d more (see the check run's annotations)\n", len(cs)-i)
			break
		}
		text := c.Body
		if j := strings.IndexByte(text, '\n'); j >= 0 {
			text = text[:j]
		}
		text = strings.TrimRight(report.Cut(text, maxOutsideEntry), "\\")
		fmt.Fprintf(&b, "- `%s:%d` — %s\n", strings.ReplaceAll(report.Line(c.Path), "`", "'"), c.Line, text)
	}
	return b.String()
}

// ourReviews lists the pull request's reviews written by Options.Login with our marker.
func (p *Publisher) ourReviews(ctx context.Context, t Target) ([]ourReview, error) {
	var out []ourReview
	err := listPages(func(page int) (int, error) {
		list, resp, err := p.c.PullRequests.ListReviews(ctx, t.Owner, t.Repo, t.Number, &github.ListOptions{PerPage: 100, Page: page})
		if err != nil {
			return 0, fmt.Errorf("list the reviews of %s: %w", t, err)
		}
		for _, rv := range list {
			if !p.isLogin(rv.GetUser().GetLogin()) {
				continue
			}
			m := reviewMarker.FindStringSubmatch(rv.GetBody())
			if m == nil {
				continue
			}
			out = append(out, ourReview{id: rv.GetID(), state: rv.GetState(), sha: m[1], digest: m[2]})
		}
		return resp.NextPage, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dismiss dismisses our blocking reviews other than keep. A dismissal GitHub refuses (branch protection's
// dismissal restrictions, a review already dismissed) is logged, not an error.
func (p *Publisher) dismiss(ctx context.Context, t Target, ours []ourReview, keep int64, msg string) ([]int64, error) {
	var done []int64
	for _, r := range ours {
		if r.id == keep || r.state != "CHANGES_REQUESTED" {
			continue
		}
		_, _, err := p.c.PullRequests.DismissReview(ctx, t.Owner, t.Repo, t.Number, r.id, &github.PullRequestReviewDismissalRequest{Message: github.String(msg)})
		if s := ghapi.StatusCode(err); s == http.StatusForbidden || s == http.StatusUnprocessableEntity || s == http.StatusNotFound {
			p.log.Warn("review not dismissed", "target", t.String(), "review", r.id, "status", s)
			continue
		}
		if err != nil {
			return done, fmt.Errorf("dismiss review %d of %s: %w", r.id, t, err)
		}
		done = append(done, r.id)
	}
	if len(done) > 0 {
		p.log.Info("reviews dismissed", "target", t.String(), "reviews", done)
	}
	return done, nil
}

// reviewDigest identifies what a review says: the verdicts, findings, errors and line comments.
func reviewDigest(rep *report.Report, comments []report.LineComment) string {
	type fnd struct {
		Rule, Severity, Path, Message string
		Line                          int
	}
	type pkg struct {
		Eco, Name, From, To, Verdict string
		Findings                     []fnd
	}
	var d struct {
		Verdict  string
		Packages []pkg
		Repo     []fnd
		Errors   []report.Error
		Comments []report.LineComment
	}
	d.Verdict = string(rep.Verdict)
	for _, p := range rep.Packages {
		k := pkg{Eco: p.Ecosystem, Name: p.Name, From: p.From, To: p.To, Verdict: string(p.Verdict)}
		for _, f := range p.Findings {
			k.Findings = append(k.Findings, fnd{f.Rule, string(f.Severity), f.Path, f.Message, f.Line})
		}
		d.Packages = append(d.Packages, k)
	}
	for _, f := range rep.Repository {
		d.Repo = append(d.Repo, fnd{f.Rule, string(f.Severity), f.Path, f.Message, f.Line})
	}
	d.Errors, d.Comments = rep.Errors, comments
	b, _ := json.Marshal(d) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Comment upserts our conversation comment on the pull request: the Markdown report with a hidden
// marker, edited when we have one (and it says something else), created otherwise. A token that cannot
// write comments (403) yields Skipped, not an error.
func (p *Publisher) Comment(ctx context.Context, t Target, rep *report.Report) (CommentResult, error) {
	if t.Number <= 0 {
		return CommentResult{Skipped: SkippedNoPR}, nil
	}
	body := report.MarkdownString(rep, report.MaxMarkdown-len(commentMarker)-2) + "\n\n" + commentMarker
	var found *github.IssueComment
	err := listPages(func(page int) (int, error) {
		opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100, Page: page}}
		list, resp, err := p.c.Issues.ListComments(ctx, t.Owner, t.Repo, t.Number, opts)
		if err != nil {
			return 0, err
		}
		for _, c := range list {
			if p.isLogin(c.GetUser().GetLogin()) && strings.Contains(c.GetBody(), commentMarker) {
				found = c
				return 0, nil
			}
		}
		return resp.NextPage, nil
	})
	if forbidden(err) {
		return CommentResult{Skipped: "token cannot read comments"}, nil
	}
	if err != nil {
		return CommentResult{}, fmt.Errorf("list the comments of %s: %w", t, err)
	}
	if found != nil {
		if found.GetBody() == body {
			return CommentResult{CommentID: found.GetID()}, nil
		}
		c, _, err := p.c.Issues.EditComment(ctx, t.Owner, t.Repo, found.GetID(), &github.IssueComment{Body: github.String(body)})
		if forbidden(err) {
			return CommentResult{Skipped: "token cannot write comments"}, nil
		}
		if err != nil {
			return CommentResult{}, fmt.Errorf("update comment %d of %s: %w", found.GetID(), t, err)
		}
		return CommentResult{CommentID: c.GetID(), Updated: true}, nil
	}
	c, _, err := p.c.Issues.CreateComment(ctx, t.Owner, t.Repo, t.Number, &github.IssueComment{Body: github.String(body)})
	if forbidden(err) {
		return CommentResult{Skipped: "token cannot write comments"}, nil
	}
	if err != nil {
		return CommentResult{}, fmt.Errorf("comment on %s: %w", t, err)
	}
	return CommentResult{CommentID: c.GetID(), Created: true}, nil
}
