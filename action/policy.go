package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/deps"
	"github.com/mcpvet/mcpvet/analysis/policy"
)

// basePolicy is the pull request as the engine sees it, with the policy taken from the config-file input's
// path in the base (the engine asks for policy.Path) and its scope widened to "all" when the scope input says
// so. The head is never consulted for the policy: a pull request cannot weaken its own review, and the scope
// input can only widen the review (a workflow file is as editable by a pull request as the policy is).
type basePolicy struct {
	deps.PR
	data []byte // the policy to serve; nil: none (the engine's defaults)
}

// ReadBase serves the chosen policy at policy.Path and everything else from the base.
func (p *basePolicy) ReadBase(ctx context.Context, path string) ([]byte, error) {
	if path != policy.Path {
		return p.PR.ReadBase(ctx, path)
	}
	if p.data == nil {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	return bytes.Clone(p.data), nil
}

// loadBasePolicy reads the policy at configFile from pr's base, validates it (errors name configFile and wrap
// analysis.ErrConfig) and widens its scope when widen is set. It returns the pull request the engine should
// review and the effective scope.
func loadBasePolicy(ctx context.Context, pr deps.PR, configFile string, widen bool) (*basePolicy, string, error) {
	data, err := pr.ReadBase(ctx, configFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return nil, "", fmt.Errorf("read %s from the base: %w", configFile, err)
	}
	cfg := policy.Default()
	if data != nil {
		if cfg, err = policy.Parse(configFile, data); err != nil {
			return nil, "", fmt.Errorf("%w: %v", analysis.ErrConfig, err)
		}
	}
	if widen && cfg.Scope != policy.ScopeAll {
		if data, err = widenScope(configFile, data); err != nil {
			return nil, "", err
		}
		cfg.Scope = policy.ScopeAll
	}
	return &basePolicy{PR: pr, data: data}, cfg.Scope, nil
}

// scopeLine is a top-level "scope:" entry of a block-style policy file.
var scopeLine = regexp.MustCompile(`(?m)^scope[ \t]*:[^\n]*$`)

// widenScope returns the policy data with scope "all": its top-level scope line replaced, or one appended.
// Lines keep their numbers, so findings that cite the policy's lines stay right. The result is parsed again
// and must keep every rule and exception; a file this cannot rewrite (flow style, several documents) is a
// configuration error asking for "scope: all" in the file itself.
func widenScope(name string, data []byte) ([]byte, error) {
	orig := policy.Default()
	if len(data) > 0 {
		var err error
		if orig, err = policy.Parse(name, data); err != nil {
			return nil, fmt.Errorf("%w: %v", analysis.ErrConfig, err)
		}
	}
	var out []byte
	if loc := scopeLine.FindIndex(data); loc != nil {
		out = append(append(append([]byte{}, data[:loc[0]]...), "scope: all"...), data[loc[1]:]...)
	} else {
		out = bytes.Clone(data)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		out = append(out, "scope: all\n"...)
	}
	got, err := policy.Parse(name, out)
	if err != nil || got.Scope != policy.ScopeAll || len(got.Rules) != len(orig.Rules) || len(got.Exceptions) != len(orig.Exceptions) {
		return nil, fmt.Errorf("%w: %s: the scope input cannot widen this file's scope; write \"scope: all\" in it instead", analysis.ErrConfig, name)
	}
	return out, nil
}
