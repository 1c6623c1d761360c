package analysis

import (
	"context"
	"sync"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/scorecard/localcheck"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// ScorecardConfig wires OpenSSF Scorecard into the engine (Config.Scorecard).
type ScorecardConfig struct {
	// API reads the stored results of the Scorecard project's weekly scan (nil: none are read).
	API *scorecard.Client
	// Local runs the file-based checks on the upstream tree at the compared commit (nil: none are run).
	Local *localcheck.Runner
}

// scorecard adds Scorecard's findings about the upstream at the compared commit — the stored result (whose
// commit may differ, which the findings then say) and the local checks on the tree at commit, never at the
// repository's head — and notes on up saying where each score came from and what is missing.
func (e *Engine) scorecard(ctx context.Context, req *Request, claim source.Claim, repo *source.Repo, commit string, up *report.Upstream, add func(finding.Finding)) {
	sc := e.cfg.Scorecard
	if sc == nil || (sc.API == nil && sc.Local == nil) {
		return
	}
	in := scorecard.Input{Repo: claim.String(), Commit: commit, LocalOff: sc.Local == nil}
	if req.Scorecard != nil {
		in.Policy = *req.Scorecard
	}
	var stored sync.WaitGroup
	if sc.API != nil {
		in.API = sc.API.URL()
		stored.Go(func() { // the API answers while the local checks run
			in.Stored, in.StoredErr = sc.API.Get(ctx, claim.Host, claim.Owner, claim.Repo)
		})
	}
	if sc.Local != nil {
		e.progress("%s@%s: running Scorecard's file-based checks on %s@%s", req.Name, req.To, claim.String(), report.ShortCommit(commit))
		in.Local, in.LocalErr = sc.Local.Run(ctx, repo, claim.String(), commit)
	}
	stored.Wait()
	if ctx.Err() != nil {
		return // cancelled: the review is abandoned, not incomplete
	}
	findings, notes := scorecard.Evaluate(in)
	for _, f := range findings {
		add(f)
	}
	up.Notes = append(up.Notes, notes...)
}
