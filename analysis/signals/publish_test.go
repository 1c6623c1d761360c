package signals

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/registry"
)

func TestPublish(t *testing.T) {
	person := func(name, email string) *registry.Person { return &registry.Person{Name: name, Email: email} }
	people := func(names ...string) []registry.Person {
		var ps []registry.Person
		for _, n := range names {
			ps = append(ps, registry.Person{Name: n, Email: n + "@example.com"})
		}
		return ps
	}
	prov := &registry.Attestations{URL: "https://registry.npmjs.org/-/npm/v1/attestations/p@1.0.0", ProvenancePredicateType: "https://slsa.dev/provenance/v1"}
	many := make([]string, 12)
	for i := range many {
		many[i] = fmt.Sprintf("m%02d", i)
	}
	tests := []struct {
		name     string
		from, to registry.Manifest
		want     map[string]string // rule → message fragment
	}{
		{"nothing changed",
			registry.Manifest{Version: "1.0.0", NpmUser: person("alice", "a@x.org"), Maintainers: people("alice", "bob"), Dist: registry.Dist{Attestations: prov}},
			registry.Manifest{Version: "1.0.1", NpmUser: person("Alice", "A@x.org"), Maintainers: people("bob", "alice"), Dist: registry.Dist{Attestations: prov}},
			nil},
		{"publisher changed",
			registry.Manifest{Version: "1.0.15", NpmUser: person("alice", "a@x.org")},
			registry.Manifest{Version: "1.0.16", NpmUser: person("mallory", "m@evil.com")},
			map[string]string{RulePublisherChanged: "Publisher changed: version `1.0.16` was published by `mallory` <`m@evil.com`>; the previous version by `alice` <`a@x.org`>."}},
		{"publisher's e-mail changed",
			registry.Manifest{Version: "1", NpmUser: person("alice", "a@x.org")},
			registry.Manifest{Version: "2", NpmUser: person("alice", "alice@evil.com")},
			map[string]string{RulePublisherChanged: "e-mail address changed"}},
		{"publisher missing in the new version",
			registry.Manifest{Version: "1", NpmUser: person("alice", "")},
			registry.Manifest{Version: "2"},
			map[string]string{RulePublisherChanged: "records no publisher"}},
		{"publisher unknown before",
			registry.Manifest{Version: "1"},
			registry.Manifest{Version: "2", NpmUser: person("alice", "")},
			nil},
		{"maintainer added",
			registry.Manifest{Version: "1", Maintainers: people("alice")},
			registry.Manifest{Version: "2", Maintainers: people("alice", "mallory")},
			map[string]string{RuleMaintainersChanged: "Maintainers changed with version `2`: added `mallory` <`mallory@example.com`>."}},
		{"maintainer replaced",
			registry.Manifest{Version: "1", Maintainers: people("alice", "bob")},
			registry.Manifest{Version: "2", Maintainers: people("alice", "mallory")},
			map[string]string{RuleMaintainersChanged: "added `mallory` <`mallory@example.com`>; removed `bob` <`bob@example.com`>"}},
		{"many maintainers added",
			registry.Manifest{Version: "1", Maintainers: people("alice")},
			registry.Manifest{Version: "2", Maintainers: people(append([]string{"alice"}, many...)...)},
			map[string]string{RuleMaintainersChanged: "`m09` <`m09@example.com`> and 2 more."}},
		{"maintainers unknown on one side",
			registry.Manifest{Version: "1"},
			registry.Manifest{Version: "2", Maintainers: people("mallory")},
			nil},
		{"provenance dropped",
			registry.Manifest{Version: "1.0.0", Dist: registry.Dist{Attestations: prov}},
			registry.Manifest{Version: "1.0.1"},
			map[string]string{RuleProvenanceDropped: "Provenance dropped: version `1.0.0` was published with npm provenance, version `1.0.1` without it"}},
		{"provenance predicate dropped",
			registry.Manifest{Version: "1.0.0", Dist: registry.Dist{Attestations: prov}},
			registry.Manifest{Version: "1.0.1", Dist: registry.Dist{Attestations: &registry.Attestations{URL: "https://r/x"}}},
			map[string]string{RuleProvenanceDropped: "Provenance dropped"}},
		{"provenance added",
			registry.Manifest{Version: "1.0.0"},
			registry.Manifest{Version: "1.0.1", Dist: registry.Dist{Attestations: prov}},
			nil},
		{"hostile names",
			registry.Manifest{Version: "1\x1b[31m", NpmUser: person("al`ice\u202e", "a@x")},
			registry.Manifest{Version: "2\n", NpmUser: person("mal\x00lory", "m@x")},
			map[string]string{RulePublisherChanged: "`mal?lory`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Publish(&tt.from, &tt.to)
			if len(fs) != len(tt.want) {
				t.Fatalf("want %d findings, got:%s", len(tt.want), dump(fs))
			}
			for _, f := range fs {
				w, ok := tt.want[f.Rule]
				if !ok || !strings.Contains(f.Message, w) {
					t.Errorf("got %s %q, want %q", f.Rule, f.Message, w)
				}
				if f.Severity != severityOf(f.Rule) || f.Path != "" || f.Evidence == "" || !validText(f.Message) || !validText(f.Evidence) {
					t.Errorf("bad finding %+v", f)
				}
			}
		})
	}
	if Publish(nil, &registry.Manifest{}) != nil || Publish(&registry.Manifest{}, nil) != nil {
		t.Error("Publish with a nil manifest must be nil")
	}
}

func TestRules(t *testing.T) {
	want := map[string]string{
		RuleNewEndpoint: "warn", RuleNewCapability: "warn", RuleInstallScript: "block", RuleObfuscation: "warn",
		RuleNewBinary: "warn", RuleNewDependency: "info", RuleUnscanned: "warn", RuleUnexplainedBundleChange: "block",
		RulePublisherChanged: "warn", RuleMaintainersChanged: "warn", RuleProvenanceDropped: "block",
	}
	got := map[string]string{}
	for _, r := range Rules() {
		got[r.ID] = string(r.Severity)
		if r.Summary == "" || r.Unverified {
			t.Errorf("rule %s: summary %q, unverified %v", r.ID, r.Summary, r.Unverified)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Rules() = %v, want %v", got, want)
	}
}
