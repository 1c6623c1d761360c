package analysis_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/osv"
	"github.com/mcpvet/mcpvet/analysis/policy"
	"github.com/mcpvet/mcpvet/analysis/provenance"
	"github.com/mcpvet/mcpvet/analysis/provenance/provenancetest"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/rules"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/signals"
	"github.com/mcpvet/mcpvet/analysis/source"
	"github.com/mcpvet/mcpvet/internal/fixtures"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// The rule cases: every rule in rules.All() has a scenario that triggers it through the code path that
// reports it in production (the engine's Check or Review on the fixture world) and a legitimate look-alike
// that must not. docs/rules.md's fixture column names both, as "`<trigger>` …; legit: `<look-alike>`".

// rulesDocPath is the rules documentation, relative to this package's folder.
const rulesDocPath = "../docs/rules.md"

// ruleCase pairs a rule with a scenario that triggers it and a legitimate look-alike that does not.
type ruleCase struct {
	rule           string
	trigger, legit scenario
}

// scenario is one review whose findings are examined. Its label names the fixture (in docs/rules.md too)
// and identifies the review: scenarios with the same label are run once and share their findings.
type scenario struct {
	label string
	run   func(t *testing.T, h *caseHarness) (*report.Report, error)
	// policy is true when run applies a policy (Review does; Check does not): the severities it reports
	// are the default policy's, not the rules' defaults.
	policy bool
	// reviews is true when run asks the engine about one package, which its report must then list (a
	// look-alike that was not reviewed would show nothing vacuously).
	reviews bool
}

// engineOpts selects how an engine of the harness is configured beyond the fixture world.
type engineOpts struct {
	now       time.Time // the engine's clock (time.Now when zero)
	osvDown   bool      // MCPVET_OSV_API names an OSV API that refuses every query
	trustRoot bool      // MCPVET_SIGSTORE_TRUSTED_ROOT names the test's Sigstore trusted root
	// scorecardDown: MCPVET_SCORECARD_API names a Scorecard API that refuses every request.
	scorecardDown bool
	// identityDown: MCPVET_GITHUB_API_URL names a GitHub API that refuses every request.
	identityDown bool
}

// caseHarness runs scenarios: one engine per engineOpts (sharing its caches between scenarios), and each
// scenario's report once.
type caseHarness struct {
	dir      string
	refusing string // base URL of a server that answers 403 to everything (an API that refuses us)
	rootPath string // Sigstore trusted_root.json of the provenance scenarios
	engines  map[engineOpts]*analysis.Engine
	reports  map[string]*report.Report
}

// engine returns the harness's engine configured by o, making it on first use.
func (h *caseHarness) engine(t *testing.T, o engineOpts) *analysis.Engine {
	t.Helper()
	if e, ok := h.engines[o]; ok {
		return e
	}
	env := world.Env(filepath.Join(h.dir, fmt.Sprintf("engine-%d", len(h.engines))))
	// Upstream identity lookups are authenticated, as a deployment configures them: the GitHub fake allows
	// anonymous callers 60 requests an hour, which this package's tests together exceed.
	env[source.EnvGitHubToken] = rulecasesToken
	if o.osvDown {
		env[analysis.EnvOSVAPI] = h.refusing
	}
	if o.trustRoot {
		env[analysis.EnvSigstoreTrustedRoot] = h.rootPath
	}
	if o.identityDown {
		env[source.EnvGitHubAPIURL] = h.refusing
	}
	if o.scorecardDown {
		env[analysis.EnvScorecardAPI] = h.refusing
	}
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !o.now.IsZero() {
		now := o.now
		cfg.Now = func() time.Time { return now }
	}
	e := analysis.New(cfg)
	h.engines[o] = e
	return e
}

// placed is a finding with the package it is about (nil for the repository's findings).
type placed struct {
	finding.Finding
	pkg *report.Package
}

// findings runs sc once and returns every finding of its report: the repository's and the packages'.
func (h *caseHarness) findings(t *testing.T, sc scenario) []placed {
	t.Helper()
	rep, ok := h.reports[sc.label]
	if !ok {
		var err error
		if rep, err = sc.run(t, h); err != nil {
			t.Fatalf("%s: %v", sc.label, err)
		}
		h.reports[sc.label] = rep
	}
	var all []placed
	for _, f := range rep.Repository {
		all = append(all, placed{Finding: f})
	}
	for i := range rep.Packages {
		for _, f := range rep.Packages[i].Findings {
			all = append(all, placed{Finding: f, pkg: &rep.Packages[i]})
		}
	}
	return all
}

// defaultSeverity is the severity a finding of rule r has when nothing changed it: its default, or — for
// a scenario that applies a policy — what the default policy makes of its default in package p (it
// raises unverified findings of MCP servers to block, and caps other dependencies' at warn).
func defaultSeverity(r finding.Rule, p *report.Package, viaPolicy bool) finding.Severity {
	if !viaPolicy || p == nil {
		return r.Severity
	}
	rep := &report.Report{Packages: []report.Package{{Ecosystem: p.Ecosystem, Name: p.Name, To: p.To, MCP: p.MCP,
		Findings: []finding.Finding{{Rule: r.ID, Severity: r.Severity, Unverified: r.Unverified}}}}}
	policy.Default().Apply(rep, time.Now())
	for _, f := range rep.Packages[0].Findings {
		if f.Rule == r.ID {
			return f.Severity
		}
	}
	return ""
}

// check reviews a `check` spec ("name@version" or "name@from..to") of an MCP server with the default
// engine; the spec is the label.
func check(spec string) scenario { return checkWith(spec, spec, engineOpts{}) }

// checkWith reviews spec with an engine configured by o.
func checkWith(label, spec string, o engineOpts) scenario {
	return scenario{label: label, reviews: true, run: func(t *testing.T, h *caseHarness) (*report.Report, error) {
		return h.engine(t, o).Check(context.Background(), []analysis.Request{parse(t, spec)})
	}}
}

// request reviews one request as given (MCP, All and ecosystem as the caller sets them).
func request(label string, req analysis.Request) scenario {
	return scenario{label: label, reviews: true, run: func(t *testing.T, h *caseHarness) (*report.Report, error) {
		return h.engine(t, engineOpts{}).Check(context.Background(), []analysis.Request{req})
	}}
}

// review reviews a pull request held in memory, applying its base's policy as of now.
func review(label string, pr memPR, now time.Time) scenario {
	return scenario{label: label, policy: true, run: func(t *testing.T, h *caseHarness) (*report.Report, error) {
		return h.engine(t, engineOpts{}).Review(context.Background(), pr, now)
	}}
}

// relay is a check of fixtures.RelayPackage at version (or "from..to").
func relay(version string) scenario { return check(fixtures.RelayPackage + "@" + version) }

// rulecasesToken is the personal access token the harness's engines send to the GitHub fake.
const rulecasesToken = "rulecases-test-token"

// The provenance scenarios review relayProvenance, published by prepareProvenance with npm provenance.
const relayProvenance = "relay-provenance-mcp"

// ruleCases lists one case per rule.
func ruleCases() []ruleCase {
	relay110 := relay("1.1.0")
	honestBump := relay("1.0.0..1.1.0")
	weather := check("@acme/weather-mcp@1.2.0")
	timeMCP := check("@acme/time-mcp@0.3.0")
	mailpost := check("mailpost-mcp@1.0.15")
	pinned := review("PR: .mcp.json launches npx -y @acme/relay-mcp@1.1.0", memPR{head: map[string]string{".mcp.json": mcpLaunch("@acme/relay-mcp@1.1.0")}}, time.Now())
	provenanceOK := checkWith(relayProvenance+"@1.0.0 (verified)", relayProvenance+"@1.0.0", engineOpts{trustRoot: true})
	young := time.Date(2025, 9, 3, 12, 0, 0, 0, time.UTC)
	exception := memPR{
		base: map[string]string{".github/mcpvet.yml": relayException, ".mcp.json": mcpLaunch("@acme/relay-mcp@1.1.0")},
		head: map[string]string{".github/mcpvet.yml": relayException, ".mcp.json": mcpLaunch("@acme/relay-mcp@1.1.4")},
	}
	scorecardPR := func(label, policy string) scenario {
		return review(label, memPR{
			base: map[string]string{".github/mcpvet.yml": policy},
			head: map[string]string{".github/mcpvet.yml": policy, ".mcp.json": mcpLaunch("mailpost-mcp@1.0.15")},
		}, time.Now())
	}
	// mailpost-mcp's upstream: stored overall 4.2; License scores 9 at the compared commit.
	belowMinimum := scorecardPR("PR: launches mailpost-mcp@1.0.15 under Scorecard minimums overall 5, License 10",
		"scorecard:\n  overall: {minimum: 5}\n  checks:\n    License: {minimum: 10}\n")
	meetsMinimum := scorecardPR("PR: launches mailpost-mcp@1.0.15 under Scorecard minimums overall 4, License 9",
		"scorecard:\n  overall: {minimum: 4}\n  checks:\n    License: {minimum: 9}\n")
	return []ruleCase{
		{signals.RuleUnexplainedBundleChange, check("@acme/bundled-mcp@1.0.0..1.1.0-evil"), check("@acme/bundled-mcp-honest@1.0.0..1.1.0")},
		{scorecard.RuleDangerousWorkflow, check(fixtures.DangerousWorkflowSpec), weather},
		{scorecard.RuleUnavailable, checkWith("mailpost-mcp@1.0.15 (Scorecard API answering HTTP 403)", "mailpost-mcp@1.0.15", engineOpts{scorecardDown: true}), mailpost},
		{scorecard.RuleScoreBelowMinimum, belowMinimum, meetsMinimum},
		{scorecard.RuleCheckBelowMinimum, belowMinimum, meetsMinimum},
		{finding.RuleForeignLines, check("mailpost-mcp@1.0.15..1.0.16"), mailpost},
		{finding.RuleForeignCode, check("@acme/weather-mcp@1.2.0..1.2.1"), weather},
		{finding.RuleUnsourcedFile, relay("1.1.1"), relay110},
		{finding.RuleUnverifiedBundle, check("@acme/weather-mcp@1.2.0-rc.3"), weather},
		{finding.RuleUnverifiedBuild, check("@acme/weather-mcp@1.2.0-rc.4"), weather},
		{finding.RuleSourceMapMismatch, check("@acme/weather-mcp@1.2.0-rc.2"), check("@acme/weather-mcp@1.2.0-rc.1")},
		{finding.RuleNoUpstream, check("ghost-mcp@1.0.0"), relay110},
		{finding.RuleNotVerified, relay("1.1.7"), relay110},
		{finding.RuleUnclaimedSource, mailpost, relay110},
		{finding.RuleGitHeadMissing, relay("1.1.2"), relay110},
		{finding.RuleOlderUpstreamVersion, relay("1.1.3"), relay110},
		{finding.RuleFileDiffers, relay("1.1.4"), relay110},
		{finding.RuleAbsentFiles, relay("1.1.5"), relay110},
		{finding.RuleNameMismatch, check("relay-mcp@1.1.0"), relay110},
		{finding.RuleRepositoryChanged, check("@acme/weather-mcp@1.2.0..1.2.2"), honestBump},
		{finding.RuleManifestScripts, check("@acme/time-mcp@0.3.1"), timeMCP},
		{finding.RuleManifestDeps, relay("1.1.13"), timeMCP},
		{finding.RuleManifestEntry, relay("1.1.6"), relay110},
		{finding.RuleIntegrityMismatch, check("tampered-mcp@1.0.0"), relay110},
		{finding.RuleUnsafeArchive, check("evil-archive-mcp@1.0.1"), relay110},
		{finding.RuleNotFound, check("no-such-mcp@1.0.0"), relay110},
		{finding.RuleNonRegistrySource,
			review("PR: package-lock.json resolves @acme/relay-mcp from git", relayLockPR(gitResolved), time.Now()),
			review("PR: package-lock.json bumps @acme/relay-mcp to 1.1.0", relayLockPR(registryResolved), time.Now())},
		{finding.RuleNotAnalysed, request("tzdata@2025.2 (PyPI)", analysis.Request{Ecosystem: analysis.EcosystemPyPI, Name: "tzdata", To: "2025.2"}), relay110},
		{finding.RuleResolvedVersion, relay("latest"), relay110},
		{finding.RuleMCPServer,
			request("@acme/time-mcp@0.3.0 (no MCP configuration launches it)", analysis.Request{Name: "@acme/time-mcp", To: "0.3.0"}),
			request("@acme/mcp-common@0.1.0 (policy scope all)", analysis.Request{Name: "@acme/mcp-common", To: "0.1.0", All: true})},
		{finding.RuleExpiredException,
			review("PR: bump to @acme/relay-mcp@1.1.4 under an exception that expired 2025-05-01, reviewed 2025-06-01", exception, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)),
			review("PR: bump to @acme/relay-mcp@1.1.4 under an exception that expires 2025-05-01, reviewed 2025-04-20", exception, time.Date(2025, 4, 20, 12, 0, 0, 0, time.UTC))},
		{finding.RuleUnpinnedServer, review("PR: .mcp.json launches npx -y @acme/relay-mcp", memPR{head: map[string]string{".mcp.json": mcpLaunch("@acme/relay-mcp")}}, time.Now()), pinned},
		{finding.RuleUnresolvableServer, review("PR: .mcp.json launches npx -y ${input:relay_package}", memPR{head: map[string]string{".mcp.json": mcpLaunch("${input:relay_package}")}}, time.Now()), pinned},
		{finding.RuleRemoteServer,
			review("PR: .mcp.json moves a remote server to another host", memPR{
				base: map[string]string{".mcp.json": mcpRemote("https://relay.acme.example/mcp")},
				head: map[string]string{".mcp.json": mcpRemote("https://relay-acme.example.net/mcp")}}, time.Now()),
			review("PR: .mcp.json moves a remote server to another path", memPR{
				base: map[string]string{".mcp.json": mcpRemote("https://relay.acme.example/mcp")},
				head: map[string]string{".mcp.json": mcpRemote("https://relay.acme.example/v2/mcp")}}, time.Now())},
		{finding.RuleProvenanceInvalid, checkWith(relayProvenance+"@1.0.2 (tampered bundle)", relayProvenance+"@1.0.2", engineOpts{trustRoot: true}), provenanceOK},
		{finding.RuleProvenanceMismatch, checkWith(relayProvenance+"@1.0.1 (built from another repository)", relayProvenance+"@1.0.1", engineOpts{trustRoot: true}), provenanceOK},
		{finding.RuleProvenanceUnchecked, check(relayProvenance + "@1.0.0"), provenanceOK},
		{finding.RuleProvenanceCommit, checkWith(relayProvenance+"@1.0.3 (gitHead contradicts provenance)", relayProvenance+"@1.0.3", engineOpts{trustRoot: true}), provenanceOK},
		{osv.RuleKnownMalicious, check("mailpost-mcp@1.0.16"), mailpost},
		{osv.RuleKnownVulnerable, relay("1.0.0"), relay110},
		{osv.RuleAdvisoriesUnavailable, checkWith("@acme/relay-mcp@1.1.0 (OSV API answering HTTP 403)", "@acme/relay-mcp@1.1.0", engineOpts{osvDown: true}), relay110},
		{osv.RuleTooNew,
			checkWith("@acme/relay-mcp@1.1.0 checked 6 hours after it was published", "@acme/relay-mcp@1.1.0", engineOpts{now: fixtures.RelayReleased().Add(6 * time.Hour)}),
			checkWith("@acme/relay-mcp@1.1.0 checked 7 days after it was published", "@acme/relay-mcp@1.1.0", engineOpts{now: fixtures.RelayReleased().Add(7 * 24 * time.Hour)})},
		{signals.RuleInstallScript, relay("1.1.0..1.1.8"), honestBump},
		{signals.RuleNewEndpoint, relay("1.1.0..1.1.9"), honestBump},
		{signals.RuleNewCapability, relay("1.1.0..1.1.10"), honestBump},
		{signals.RuleObfuscation, relay("1.1.0..1.1.11"), honestBump},
		{signals.RuleNewBinary, relay("1.1.0..1.1.12"), honestBump},
		{signals.RuleNewDependency, relay("1.1.0..1.1.13"), honestBump},
		{signals.RuleUnscanned, relay("1.1.0..1.1.14"), honestBump},
		{signals.RulePublisherChanged, relay("1.1.0..1.1.15"), honestBump},
		{signals.RuleMaintainersChanged, relay("1.1.0..1.1.16"), honestBump},
		{signals.RuleProvenanceDropped, relay("1.2.0..1.2.1"), relay("1.2.0..1.2.2")},
		{source.RuleIdentityUnknown, checkWith("@acme/relay-mcp@1.1.0 (GitHub API answering HTTP 403)", "@acme/relay-mcp@1.1.0", engineOpts{identityDown: true}), relay110},
		{source.RuleFork, check("@relaykit/relay-mcp@1.1.0"), relay110},
		{source.RuleArchived, check("chat-relay-mcp@0.9.0"), relay110},
		{source.RuleYoungRepository,
			checkWith("relay-mcp-plus@1.1.0 checked on 2025-09-03", "relay-mcp-plus@1.1.0", engineOpts{now: young}),
			checkWith("@acme/relay-mcp@1.1.0 checked on 2025-09-03", "@acme/relay-mcp@1.1.0", engineOpts{now: young})},
	}
}

// TestRuleCases: every case's trigger reports its rule at the rule's default severity, and its legitimate
// look-alike does not report it at all.
func TestRuleCases(t *testing.T) {
	h := &caseHarness{dir: t.TempDir(), engines: map[engineOpts]*analysis.Engine{}, reports: map[string]*report.Report{}}
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"code":7,"message":"blocked by the outbound proxy"}`, http.StatusForbidden)
	}))
	defer refuse.Close()
	h.refusing = refuse.URL
	h.rootPath = prepareProvenance(t, h.dir)
	if err := world.GitHub.AddUserToken(rulecasesToken, "rulecases-bot"); err != nil {
		t.Fatal(err)
	}

	for _, c := range ruleCases() {
		t.Run(c.rule, func(t *testing.T) {
			r, ok := rules.Lookup(c.rule)
			if !ok {
				t.Fatalf("rule %s is not in rules.All()", c.rule)
			}
			got := h.findings(t, c.trigger)
			var atDefault, other []string
			for _, f := range got {
				if f.Rule != c.rule {
					continue
				}
				if want := defaultSeverity(r, f.pkg, c.trigger.policy); f.Severity == want {
					atDefault = append(atDefault, f.Message)
				} else {
					other = append(other, fmt.Sprintf("%s (want %s): %s", f.Severity, want, f.Message))
				}
			}
			if len(atDefault) == 0 {
				t.Errorf("trigger %q: no %s finding at its default severity %s (at other severities: %q); findings:\n%s%s",
					c.trigger.label, c.rule, r.Severity, other, listFindings(got), notes(h.reports[c.trigger.label]))
			}
			for _, f := range h.findings(t, c.legit) {
				if f.Rule == c.rule {
					t.Errorf("legitimate look-alike %q reports %s (%s): %s", c.legit.label, c.rule, f.Severity, f.Message)
				}
			}
			// The look-alike must really have been reviewed: no report errors, and its package listed.
			if rep := h.reports[c.legit.label]; len(rep.Errors) > 0 || (c.legit.reviews && len(rep.Packages) == 0) {
				t.Errorf("legitimate look-alike %q was not reviewed: %d packages, errors %+v", c.legit.label, len(rep.Packages), rep.Errors)
			}
		})
	}
}

// TestRuleCasesCoverEveryRule: a rule added without a case fails here, and a case names a rule that exists.
func TestRuleCasesCoverEveryRule(t *testing.T) {
	cases := map[string]bool{}
	for _, c := range ruleCases() {
		if cases[c.rule] {
			t.Errorf("rule %s has two cases", c.rule)
		}
		cases[c.rule] = true
		if _, ok := rules.Lookup(c.rule); !ok {
			t.Errorf("case for %s: no such rule in rules.All()", c.rule)
		}
		if c.trigger.label == c.legit.label {
			t.Errorf("case for %s: the trigger is its own look-alike (%s)", c.rule, c.trigger.label)
		}
	}
	for _, r := range rules.All() {
		if !cases[r.ID] {
			t.Errorf("rule %s (%s) has no case in ruleCases: add a fixture that triggers it and a legitimate look-alike that does not", r.ID, r.Severity)
		}
	}
}

// TestRuleCasesDocumented: docs/rules.md's fixture column names each case's trigger and look-alike.
func TestRuleCasesDocumented(t *testing.T) {
	data, err := os.ReadFile(rulesDocPath)
	if err != nil {
		t.Fatal(err)
	}
	column := map[string]string{} // rule -> fixture column
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		column[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[len(cells)-2])
	}
	for _, c := range ruleCases() {
		col, ok := column[c.rule]
		if !ok {
			t.Errorf("%s is not in %s", c.rule, rulesDocPath)
			continue
		}
		want := []string{"`" + c.trigger.label + "`", "legit: `" + c.legit.label + "`"}
		for _, w := range want {
			if !strings.Contains(col, w) {
				t.Errorf("%s: the fixture column of %s does not name %s; it is %q (want \"%s …; %s\")", rulesDocPath, c.rule, w, col, want[0], want[1])
			}
		}
	}
}

// notes prints what a report says besides findings: errors, and how each upstream was compared.
func notes(rep *report.Report) string {
	var b strings.Builder
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "  error: %s: %s\n", e.Package, e.Message)
	}
	for _, p := range rep.Packages {
		if p.Upstream != nil {
			fmt.Fprintf(&b, "  %s@%s upstream %s@%s (%s): %q\n", p.Name, p.To, p.Upstream.Repo, p.Upstream.Commit, p.Upstream.ResolvedBy, p.Upstream.Notes)
		}
	}
	return b.String()
}

// listFindings prints findings one per line, for failure messages.
func listFindings(fs []placed) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s: %s\n", f.Rule, f.Severity, f.Message)
	}
	return b.String()
}

// prepareProvenance publishes relayProvenance 1.0.0 (verified provenance of fixtures.RelayRepo), 1.0.1
// (verified provenance of another repository) and 1.0.2 (a bundle whose statement was swapped after
// signing), all built from the tree of RelayRepo's v1.1.0, and returns the path of the trusted root.
func prepareProvenance(t *testing.T, dir string) string {
	t.Helper()
	commits := world.Commits[fixtures.RelayRepo]
	if len(commits) < 2 {
		t.Fatalf("fixture repository %s has %d commits", fixtures.RelayRepo, len(commits))
	}
	commit := commits[1]
	files := map[string][]byte{}
	for name, content := range fixturesTree(t, fixtures.RelayRepo, 2) {
		files[name] = []byte(content)
	}
	tgz := testenv.BuildTarball("package", files)
	sum := sha512.Sum512(tgz)
	pki := provenancetest.New(t)
	repoURL := "https://github.com/" + fixtures.RelayRepo
	docs := map[string][]byte{
		"1.0.0": provenancetest.Document(t, pki.Bundle(t, relayProvenance, "1.0.0", sum[:], repoURL, commit)),
		"1.0.1": provenancetest.Document(t, pki.Bundle(t, relayProvenance, "1.0.1", sum[:], "https://github.com/relaykit/relay-mcp", commit)),
	}
	stmt := provenancetest.Statement(t, provenance.Purl(relayProvenance, "1.0.2"), sum[:], repoURL, commit)
	forged := provenancetest.Statement(t, provenance.Purl(relayProvenance, "1.0.2"), sum[:], repoURL, strings.Repeat("0", 40))
	signed := pki.Sign(t, pki.Fulcio, provenancetest.DefaultLeaf(repoURL, commit), stmt)
	tampered := bytes.Replace(signed, []byte(base64.StdEncoding.EncodeToString(stmt)), []byte(base64.StdEncoding.EncodeToString(forged)), 1)
	if bytes.Equal(tampered, signed) {
		t.Fatal("bundle payload not found to tamper with")
	}
	docs["1.0.2"] = provenancetest.Document(t, tampered)
	docs["1.0.3"] = provenancetest.Document(t, pki.Bundle(t, relayProvenance, "1.0.3", sum[:], repoURL, commit))
	gitHead := map[string]string{"1.0.3": commits[0]} // the packument names another commit than the one attested
	versions := make([]string, 0, len(docs))
	for v := range docs {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		world.Registry.Publish(relayProvenance, v, testenv.Version{
			Manifest: map[string]any{
				"repository": map[string]any{"type": "git", "url": "git+https://github.com/" + fixtures.RelayRepo + ".git"},
				"gitHead":    cmp.Or(gitHead[v], commit),
				"keywords":   []any{"mcp"},
			},
			Tarball:         tgz,
			Time:            fixtures.RelayReleased(),
			AttestationsDoc: docs[v],
		})
	}
	path := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(path, pki.TrustedRoot, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// memPR is a pull request held in memory: path -> content at base and head (absent = not there).
type memPR struct{ base, head map[string]string }

func (m memPR) ChangedPaths(context.Context) ([]string, error) {
	seen := map[string]bool{}
	for p, v := range m.base {
		if w, ok := m.head[p]; !ok || w != v {
			seen[p] = true
		}
	}
	for p, v := range m.head {
		if w, ok := m.base[p]; !ok || w != v {
			seen[p] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func (m memPR) ReadBase(_ context.Context, p string) ([]byte, error) { return readTree(m.base, p) }
func (m memPR) ReadHead(_ context.Context, p string) ([]byte, error) { return readTree(m.head, p) }

func readTree(tree map[string]string, p string) ([]byte, error) {
	v, ok := tree[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return []byte(v), nil
}

// mcpLaunch is a .mcp.json that launches spec with npx.
func mcpLaunch(spec string) string {
	return `{
  "mcpServers": {
    "relay": {
      "command": "npx",
      "args": ["-y", "` + spec + `"]
    }
  }
}
`
}

// mcpRemote is a .mcp.json with one remote (streamable HTTP) server at url.
func mcpRemote(url string) string {
	return `{
  "mcpServers": {
    "relay": { "type": "http", "url": "` + url + `" }
  }
}
`
}

// relayException waives source/file-differs for @acme/relay-mcp 1.1.4 until 2025-05-01.
const relayException = `exceptions:
  - package: "@acme/relay-mcp"
    versions: "1.1.4"
    rules: [source/file-differs]
    reason: the retry was dropped on purpose for 1.1.4, see ACME-212
    expires: 2025-05-01
`

// How package-lock.json records @acme/relay-mcp 1.1.0: from the registry, or from a git commit.
const (
	registryResolved = "https://registry.npmjs.org/@acme/relay-mcp/-/relay-mcp-1.1.0.tgz"
	gitResolved      = "git+ssh://git@github.com/acme/relay-mcp.git#5f3d2c1b0a99887766554433221100ffeeddccbb"
)

// relayLockPR bumps @acme/relay-mcp from 1.0.0 (from the registry) to 1.1.0 resolved as given.
func relayLockPR(resolved string) memPR {
	lock := func(version, resolved string) string {
		return `{
  "name": "assistant",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "assistant",
      "version": "1.0.0",
      "dependencies": {
        "@acme/relay-mcp": "^1.0.0"
      }
    },
    "node_modules/@acme/relay-mcp": {
      "version": "` + version + `",
      "resolved": "` + resolved + `",
      "license": "MIT"
    }
  }
}
`
	}
	return memPR{
		base: map[string]string{"package-lock.json": lock("1.0.0", "https://registry.npmjs.org/@acme/relay-mcp/-/relay-mcp-1.0.0.tgz")},
		head: map[string]string{"package-lock.json": lock("1.1.0", resolved)},
	}
}
