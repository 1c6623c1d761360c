package publish

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/app/ghapi"
)

// Texts of a check run in progress.
const (
	startTitle   = "Reviewing dependency changes"
	startSummary = "mcpvet is comparing the published packages this change brings in with their source."
)

// StartCheck marks the mcpvet check run of t's head in progress and returns its id. An existing run of
// ours on that head (same name, our App, our external id) is reused, so a job repeated after a crash or a
// redelivered webhook never adds a second run; otherwise one is created.
func (p *Publisher) StartCheck(ctx context.Context, t Target) (int64, error) {
	id, err := p.findCheck(ctx, t)
	if err != nil {
		return 0, err
	}
	if id != 0 {
		return id, p.restart(ctx, t, id)
	}
	now := github.Timestamp{Time: p.o.Now()}
	opts := github.CreateCheckRunOptions{
		Name: CheckName, HeadSHA: t.HeadSHA, ExternalID: github.String(ExternalID), Status: github.String("in_progress"),
		StartedAt: &now, Output: &github.CheckRunOutput{Title: github.String(startTitle), Summary: github.String(startSummary)},
	}
	if p.o.DetailsURL != "" {
		opts.DetailsURL = github.String(p.o.DetailsURL)
	}
	run, _, err := p.c.Checks.CreateCheckRun(ctx, t.Owner, t.Repo, opts)
	if err != nil {
		return 0, checkErr("create the check run of "+t.String(), err)
	}
	p.log.Info("check run created", "target", t.String(), "check_run", run.GetID())
	return run.GetID(), nil
}

// ResumeCheck marks check run id (from a check_run rerequested event) in progress; when it is not ours
// to update (gone, another App's), it falls back to StartCheck. It returns the id to finish.
func (p *Publisher) ResumeCheck(ctx context.Context, t Target, id int64) (int64, error) {
	if id <= 0 {
		return p.StartCheck(ctx, t)
	}
	err := p.restart(ctx, t, id)
	if s := ghapi.StatusCode(err); s == http.StatusNotFound || s == http.StatusForbidden || s == http.StatusUnprocessableEntity {
		p.log.Warn("check run cannot be resumed; finding or creating ours", "target", t.String(), "check_run", id, "status", s)
		return p.StartCheck(ctx, t)
	}
	return id, err
}

func (p *Publisher) restart(ctx context.Context, t Target, id int64) error {
	opts := github.UpdateCheckRunOptions{Name: CheckName, Status: github.String("in_progress")}
	if _, _, err := p.c.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, id, opts); err != nil {
		return checkErr(fmt.Sprintf("mark check run %d of %s in progress", id, t), err)
	}
	return nil
}

// findCheck returns the id of our most recent check run on t's head, 0 when there is none.
func (p *Publisher) findCheck(ctx context.Context, t Target) (int64, error) {
	slug := strings.TrimSuffix(p.o.Login, "[bot]")
	opts := &github.ListCheckRunsOptions{CheckName: github.String(CheckName), Filter: github.String("all"),
		ListOptions: github.ListOptions{PerPage: 100}}
	var best int64
	err := listPages(func(page int) (int, error) {
		opts.Page = page
		res, resp, err := p.c.Checks.ListCheckRunsForRef(ctx, t.Owner, t.Repo, t.HeadSHA, opts)
		if err != nil {
			return 0, checkErr("list the check runs of "+t.String(), err)
		}
		for _, run := range res.CheckRuns {
			if run.GetName() != CheckName || run.GetExternalID() != ExternalID || !strings.EqualFold(run.GetHeadSHA(), t.HeadSHA) {
				continue
			}
			if slug != "" && !strings.EqualFold(run.GetApp().GetSlug(), slug) {
				continue
			}
			best = max(best, run.GetID())
		}
		return resp.NextPage, nil
	})
	return best, err
}

// FinishCheck completes check run id with conclusion c and rep's check-run output: the title, the
// summary and the annotations, AnnotationsPerRequest per request (the first batch in the completing
// update, the rest appended), at most MaxAnnotations. Finishing again with the same output does nothing.
func (p *Publisher) FinishCheck(ctx context.Context, t Target, id int64, rep *report.Report, c Conclusion) error {
	out := rep.CheckRun()
	anns := annotations(out.Annotations)
	if len(anns) > MaxAnnotations {
		p.log.Warn("annotations left out", "target", t.String(), "annotations", len(anns), "sent", MaxAnnotations)
		anns = anns[:MaxAnnotations]
	}
	title := out.Title
	if title == "" {
		title = "mcpvet"
	}
	return p.complete(ctx, t, id, c, report.Cut(title, maxCheckTitle), report.Cut(out.Summary, maxCheckSummary), anns)
}

// FailCheck completes check run id as a failure that is not about the dependencies: mcpvet could not
// review (a configuration error, an error reading the pull request). title and summary say what failed.
func (p *Publisher) FailCheck(ctx context.Context, t Target, id int64, title, summary string) error {
	return p.complete(ctx, t, id, Failure, report.Cut(title, maxCheckTitle), report.Cut(summary, maxCheckSummary), nil)
}

// CancelCheck completes check run id as cancelled, with summary saying why.
func (p *Publisher) CancelCheck(ctx context.Context, t Target, id int64, summary string) error {
	return p.complete(ctx, t, id, Cancelled, "Review cancelled", report.Cut(summary, maxCheckSummary), nil)
}

func (p *Publisher) complete(ctx context.Context, t Target, id int64, c Conclusion, title, summary string, anns []*github.CheckRunAnnotation) error {
	cur, _, err := p.c.Checks.GetCheckRun(ctx, t.Owner, t.Repo, id)
	if err != nil {
		return checkErr(fmt.Sprintf("read check run %d of %s", id, t), err)
	}
	have := cur.GetOutput().GetAnnotationsCount()
	same := cur.GetOutput().GetTitle() == title && cur.GetOutput().GetSummary() == summary && have == len(anns)
	if same && cur.GetStatus() == "completed" && cur.GetConclusion() == string(c) {
		p.log.Info("check run already complete", "target", t.String(), "check_run", id)
		return nil
	}
	sendAnnotations := !same
	if !same && have > 0 {
		// Annotations can only be appended: a run carrying another review's annotations is left as it
		// is, and a new run (the latest of its name, the one GitHub shows and requires) gets this one.
		now := github.Timestamp{Time: p.o.Now()}
		run, _, err := p.c.Checks.CreateCheckRun(ctx, t.Owner, t.Repo, github.CreateCheckRunOptions{
			Name: CheckName, HeadSHA: t.HeadSHA, ExternalID: github.String(ExternalID), Status: github.String("in_progress"),
			StartedAt: &now, DetailsURL: detailsURL(p.o.DetailsURL),
		})
		if err != nil {
			return checkErr("create a fresh check run of "+t.String(), err)
		}
		p.log.Info("check run replaced: the earlier run has other annotations", "target", t.String(), "old", id, "check_run", run.GetID())
		id = run.GetID()
	}
	var first []*github.CheckRunAnnotation
	if sendAnnotations {
		first = anns[:min(len(anns), AnnotationsPerRequest)]
	}
	now := github.Timestamp{Time: p.o.Now()}
	opts := github.UpdateCheckRunOptions{
		Name: CheckName, Status: github.String("completed"), Conclusion: github.String(string(c)), CompletedAt: &now,
		DetailsURL: detailsURL(p.o.DetailsURL),
		Output:     &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: first},
	}
	if _, _, err := p.c.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, id, opts); err != nil {
		return checkErr(fmt.Sprintf("complete check run %d of %s", id, t), err)
	}
	if !sendAnnotations {
		return nil
	}
	for i := AnnotationsPerRequest; i < len(anns); i += AnnotationsPerRequest {
		batch := anns[i:min(i+AnnotationsPerRequest, len(anns))]
		opts := github.UpdateCheckRunOptions{Name: CheckName,
			Output: &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: batch}}
		if _, _, err := p.c.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, id, opts); err != nil {
			return checkErr(fmt.Sprintf("add annotations %d–%d to check run %d of %s", i+1, i+len(batch), id, t), err)
		}
	}
	p.log.Info("check run completed", "target", t.String(), "check_run", id, "conclusion", string(c), "annotations", len(anns))
	return nil
}

func detailsURL(u string) *string {
	if u == "" {
		return nil
	}
	return github.String(u)
}

// annotations converts report annotations, leaving out any GitHub would refuse (the whole request would
// fail): no path, a line below 1, an unknown level becomes a warning.
func annotations(in []report.Annotation) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, 0, len(in))
	for _, a := range in {
		if a.Path == "" || a.StartLine < 1 || a.Message == "" {
			continue
		}
		end := max(a.EndLine, a.StartLine)
		level := a.Level
		if level != report.LevelFailure && level != report.LevelWarning && level != report.LevelNotice {
			level = report.LevelWarning
		}
		ann := &github.CheckRunAnnotation{Path: github.String(a.Path), StartLine: github.Int(a.StartLine), EndLine: github.Int(end),
			AnnotationLevel: github.String(level), Message: github.String(report.Cut(a.Message, report.MaxAnnotationMessage))}
		if a.Title != "" {
			ann.Title = github.String(report.Cut(a.Title, report.MaxCheckRunTitle))
		}
		out = append(out, ann)
	}
	return out
}

// checkErr wraps a check-run API error; a 403 also wraps ErrReadOnly.
func checkErr(what string, err error) error {
	if forbidden(err) {
		return fmt.Errorf("%s: %w: %w", what, ErrReadOnly, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
