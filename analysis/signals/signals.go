// Package signals reports what a new published version of a package gained over the previous one — new
// network endpoints, new capabilities (processes, network, dynamic code, credential files, process.env
// serialisation), install scripts, obfuscation, native binaries, new dependencies — and what changed in
// its registry metadata (publisher, maintainers, provenance).
//
// [Delta] compares two unpacked tarballs ([archive.Package]); JS and TS files are read with a real JS
// tokenizer (github.com/tdewolff/parse/v2/js), so string literals, template parts and identifiers are
// inspected, never comments. [Publish] compares two registry version documents ([registry.Manifest]).
// Both are pure functions: nothing is fetched, written or executed. Every byte they read is hostile, and
// the work they do is bounded by the named limits below.
//
// It imports only analysis/archive, analysis/finding and analysis/registry from mcpvet; it must not import
// app/, action/ or any GitHub client.
package signals

import (
	"fmt"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Rule ids reported by this package. Each is documented in docs/rules.md.
const (
	// RuleNewEndpoint: a URL host, hostname, e-mail address or IP literal in the new version that appears
	// nowhere in the previous version.
	RuleNewEndpoint = "diff/new-endpoint"
	// RuleNewCapability: the new version uses a capability the previous version did not.
	RuleNewCapability = "diff/new-capability"
	// RuleInstallScript: an install lifecycle script was added or changed, or the file it runs changed.
	RuleInstallScript = "diff/install-script"
	// RuleObfuscation: obfuscated code shapes that the previous version did not have.
	RuleObfuscation = "diff/obfuscation"
	// RuleNewBinary: a native or WebAssembly binary that the previous version did not ship.
	RuleNewBinary = "diff/new-binary"
	// RuleNewDependency: a runtime dependency added in package.json, or one that now comes from outside
	// the registry.
	RuleNewDependency = "diff/new-dependency"
	// RuleUnscanned: part of the new version was not scanned (a scan limit was reached, or package.json
	// could not be parsed), so the other diff/ rules may have missed something there.
	RuleUnscanned = "diff/unscanned"
	// RuleUnexplainedBundleChange: an MCP server's bundle (or unpaired build output) gained an endpoint or
	// capability that neither the upstream source at the compared commit nor a dependency its lockfile
	// pins there contains (see DeltaChanges, Finder; the search is done by package analysis). When the
	// search was incomplete (a limit was reached, the lockfile or a dependency could not be read) the
	// finding is marked unverified.
	RuleUnexplainedBundleChange = "diff/unexplained-bundle-change"
	// RulePublisherChanged: the account that published the new version (_npmUser) differs from the
	// previous version's.
	RulePublisherChanged = "publish/publisher-changed"
	// RuleMaintainersChanged: the package's maintainer list differs between the two versions.
	RuleMaintainersChanged = "publish/maintainers-changed"
	// RuleProvenanceDropped: the previous version was published with npm provenance
	// (dist.attestations) and the new one without.
	RuleProvenanceDropped = "publish/provenance-dropped"
)

// Rules lists every rule of this package with its default severity, in documentation order.
func Rules() []finding.Rule {
	return []finding.Rule{
		{ID: RuleInstallScript, Severity: finding.Block, Summary: "an install script (preinstall, install, postinstall, implicit node-gyp build) was added or changed, or the file it runs changed"},
		{ID: RuleNewEndpoint, Severity: finding.Warn, Summary: "a URL host, hostname, e-mail address or IP address in the new version's code that appears nowhere in the previous version"},
		{ID: RuleNewCapability, Severity: finding.Warn, Summary: "the new version uses child processes, network modules, fetch, eval, new Function, vm, computed require/import, credential files or process.env serialisation where the previous did not"},
		{ID: RuleObfuscation, Severity: finding.Warn, Summary: "new long base64/hex/escaped string literals, _0x identifiers, eval(atob(…))-style code or very long lines"},
		{ID: RuleNewBinary, Severity: finding.Warn, Summary: "a new or changed .node, .wasm or ELF/PE/Mach-O file"},
		{ID: RuleNewDependency, Severity: finding.Info, Summary: "a runtime dependency added in package.json, or one that now comes from git, a URL, a path or an alias"},
		{ID: RuleUnscanned, Severity: finding.Warn, Summary: "part of the new version was not scanned: a file or the package exceeds a scan limit, or package.json could not be parsed"},
		{ID: RuleUnexplainedBundleChange, Severity: finding.Block, Summary: "an MCP server's bundle gained an endpoint or capability found neither in the upstream source at the compared commit nor in a dependency its lockfile pins there (unverified when the search was incomplete)"},
		{ID: RulePublisherChanged, Severity: finding.Warn, Summary: "the new version was published by a different npm account (_npmUser) than the previous one"},
		{ID: RuleMaintainersChanged, Severity: finding.Warn, Summary: "the package's maintainers differ between the two versions"},
		{ID: RuleProvenanceDropped, Severity: finding.Block, Summary: "the previous version had npm provenance (dist.attestations) and the new one has none"},
	}
}

// Limits on the work done for one comparison. Every input is hostile: these bound time and memory.
const (
	// MaxFindingsPerRule is how many findings one rule reports for one package; the rest are counted in
	// one summary finding ("and N more").
	MaxFindingsPerRule = 20
	// MaxFileScanBytes bounds the bytes of one file that are scanned (a prefix; the rest is reported as
	// diff/unscanned). 8 MiB is above any hand-written source file and most bundles.
	MaxFileScanBytes = 8 << 20
	// MaxPackageScanBytes bounds the bytes scanned in one version of a package; files beyond it are
	// reported as diff/unscanned.
	MaxPackageScanBytes = 64 << 20
	// MaxDistinctValues bounds the distinct values (endpoints, capabilities, literals) remembered for one
	// version. Values beyond it in the previous version are forgotten (so more is reported as new);
	// beyond it in the new version, further new values are counted but not located.
	MaxDistinctValues = 100_000
	// MaxLexErrors bounds the JavaScript lexer errors (stray characters, unterminated literals) that
	// one version may cause: tdewolff's lexer spends time proportional to the piece being read on each
	// error, so junk made of errors is costly. Once reached, the rest of that file and the version's
	// other JS files are scanned as text (endpoints only), reported as diff/unscanned. Valid JavaScript
	// has no lexer errors; a TypeScript decorator costs one.
	MaxLexErrors = 10_000
	// MaxNesting bounds the bracket nesting the JS scanner tracks for context (which call or object key
	// a value sits in). Deeper brackets are counted but carry no context.
	MaxNesting = 1024
	// MaxFoldedString bounds the length of a string built by folding adjacent literals ('a' + 'b').
	MaxFoldedString = 4096
	// MaxSnippetBytes bounds the snippet quoted from one line; longer lines are shown as a window
	// around the value.
	MaxSnippetBytes = 240
	// LongLineChars: a line longer than this many characters counts as obfuscation-like when the file's
	// previous version had no such line.
	LongLineChars = 2000
	// MinEncodedLiteral: a base64, hex or escape-encoded string literal of at least this many
	// characters counts as obfuscation-like.
	MinEncodedLiteral = 200
)

// severityOf returns the default severity of one of this package's rules.
func severityOf(id string) finding.Severity {
	for _, r := range Rules() {
		if r.ID == id {
			return r.Severity
		}
	}
	return finding.Warn
}

// newFinding makes a finding for one of this package's rules with its default severity.
func newFinding(id, message string) finding.Finding {
	return finding.Finding{Rule: id, Severity: severityOf(id), Message: message}
}

// withSummaries appends, after the findings of each rule (fs is ordered by rule, in documentation
// order), one summary finding counting the extra[rule] findings that were not listed.
func withSummaries(fs []finding.Finding, extra map[string]int) []finding.Finding {
	var out []finding.Finding
	for _, r := range Rules() {
		for _, f := range fs {
			if f.Rule == r.ID {
				out = append(out, f)
			}
		}
		if n := extra[r.ID]; n > 0 {
			out = append(out, newFinding(r.ID, fmt.Sprintf("…and %d more %s findings not listed (at most %d are listed per rule).", n, r.ID, MaxFindingsPerRule)))
		}
	}
	return out
}
