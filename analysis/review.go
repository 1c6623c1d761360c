package analysis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/mcpvet/mcpvet/analysis/deps"
	"github.com/mcpvet/mcpvet/analysis/policy"
	"github.com/mcpvet/mcpvet/analysis/report"
)

// ErrConfig marks errors in the reviewed repository's mcpvet configuration (exit code 2).
var ErrConfig = errors.New("configuration error")

// Review reviews a whole pull request: the policy from its base, the dependency changes between base and
// head, each change through Check, and the policy applied to the result.
func (e *Engine) Review(ctx context.Context, pr deps.PR, now time.Time) (*report.Report, error) {
	pol, err := LoadPolicy(ctx, pr)
	if err != nil {
		return nil, err
	}
	return e.ReviewWithPolicy(ctx, pr, pol, now)
}

// ReviewWithPolicy is Review under pol, a policy the caller read from the pull request's base (LoadPolicyAt)
// and may only have made stricter — never from its head.
func (e *Engine) ReviewWithPolicy(ctx context.Context, pr deps.PR, pol *policy.Config, now time.Time) (*report.Report, error) {
	e.progress("reading the pull request's dependency changes")
	found, err := deps.Detect(ctx, pr)
	if err != nil {
		return nil, fmt.Errorf("detect dependency changes: %w", err)
	}
	var reqs []Request
	for _, c := range found.Changes {
		if c.Kind == deps.Removed {
			continue // nothing new runs
		}
		reqs = append(reqs, Request{
			Ecosystem: c.Ecosystem, Name: c.Name, From: c.From, To: c.To,
			MCP: c.MCP, MCPReason: c.MCPReason, All: pol.Scope == policy.ScopeAll,
			Locations: c.Locations, Findings: c.Findings,
			Change: string(c.Kind), Direct: c.Direct, Dev: c.Dev,
			Scorecard: &pol.Scorecard,
		})
	}
	rep, err := e.Check(ctx, reqs)
	if err != nil {
		return nil, err
	}
	rep.Repository = append(rep.Repository, found.Findings...)
	for _, fe := range found.Errors {
		rep.Errors = append(rep.Errors, report.Error{Message: fe.Error()})
	}
	pol.Apply(rep, now)
	return rep, nil
}

// LoadPolicy reads .github/mcpvet.yml from the pull request's base — never its head, so a pull request cannot
// weaken its own review. No file means the defaults.
func LoadPolicy(ctx context.Context, pr deps.PR) (*policy.Config, error) {
	return LoadPolicyAt(ctx, pr, policy.Path)
}

// LoadPolicyAt reads the policy at path (repository-relative) from the pull request's base; no file means
// the defaults. Errors in the file wrap ErrConfig and name path and line.
func LoadPolicyAt(ctx context.Context, pr deps.PR, path string) (*policy.Config, error) {
	data, err := pr.ReadBase(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return policy.Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s from the base: %w", path, err)
	}
	cfg, err := policy.Parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return cfg, nil
}
