// Package rules is the catalogue of every rule the engine can report, gathered from the packages that
// define them (finding, osv, signals, source, scorecard), so that policy validation and the documentation
// check see one list.
//
// It must not import app/, action/ or any GitHub client.
package rules

import (
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/osv"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/signals"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// All lists every rule, in documentation order.
func All() []finding.Rule {
	var all []finding.Rule
	all = append(all, finding.Rules()...)
	all = append(all, osv.Rules()...)
	all = append(all, signals.Rules()...)
	all = append(all, source.Rules()...)
	all = append(all, scorecard.Rules()...)
	return all
}

// Lookup returns the rule with id, and whether it exists.
func Lookup(id string) (finding.Rule, bool) {
	for _, r := range All() {
		if r.ID == id {
			return r, true
		}
	}
	return finding.Rule{}, false
}
