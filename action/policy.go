package action

import (
	"context"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/deps"
	"github.com/mcpvet/mcpvet/analysis/policy"
)

// loadBasePolicy reads the policy at configFile from pr's base — never its head: a pull request cannot weaken
// its own review — and widens its scope to "all" when widen is set. The scope input can only widen the review
// (a workflow file is as editable by a pull request as the policy is). Errors in the file wrap
// analysis.ErrConfig and name configFile.
func loadBasePolicy(ctx context.Context, pr deps.PR, configFile string, widen bool) (*policy.Config, error) {
	cfg, err := analysis.LoadPolicyAt(ctx, pr, configFile)
	if err != nil {
		return nil, err
	}
	if widen {
		cfg.Scope = policy.ScopeAll
	}
	return cfg, nil
}
