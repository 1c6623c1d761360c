// Package finding defines what the engine reports about a package: a Finding names a rule, a severity and
// the evidence a reviewer can check without trusting mcpvet. Every stage of the engine produces findings of
// this type and every renderer reads them.
//
// It imports nothing from the rest of mcpvet.
package finding

import (
	"fmt"
	"strings"
)

// Severity says what a finding does to the verdict.
type Severity string

// Severities, strongest first.
const (
	Block Severity = "block"
	Warn  Severity = "warn"
	Info  Severity = "info"
)

// Rank orders severities: block > warn > info > unknown.
func (s Severity) Rank() int {
	switch s {
	case Block:
		return 3
	case Warn:
		return 2
	case Info:
		return 1
	}
	return 0
}

// ParseSeverity accepts "block", "warn", "info" and "off" (returned as "").
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(strings.ToLower(strings.TrimSpace(s))); v {
	case Block, Warn, Info:
		return v, nil
	case "off":
		return "", nil
	}
	return "", fmt.Errorf("unknown severity %q (want block, warn, info or off)", s)
}

// Finding is one fact about a package that a reviewer should see.
type Finding struct {
	// Rule is a stable kebab-case id with a prefix naming its family (see Rules).
	Rule string `json:"rule"`
	// Severity is the effective severity after policy.
	Severity Severity `json:"severity"`
	// Message is one sentence for a human.
	Message string `json:"message"`
	// Path and Line point into the published package (package-relative, '/'-separated, 1-based), when the
	// finding is about a place in it.
	Path string `json:"path"`
	Line int    `json:"line"`
	// Snippet shows the offending lines, as a unified diff fragment when there is something to compare with.
	Snippet string `json:"snippet"`
	// Evidence says what was compared and where a reviewer can check it: repository, commit, blob ids, hashes.
	Evidence string `json:"evidence"`
	// Unverified marks findings that say "could not verify" rather than "found something wrong": a verdict
	// resting only on these is "could not reach a verdict" (exit code 3), not "blocked" (exit code 1).
	Unverified bool `json:"unverified,omitempty"`
}

// Rule describes one rule id: what triggers it and its default severity.
type Rule struct {
	ID       string
	Severity Severity
	// Unverified rules report that something could not be checked.
	Unverified bool
	Summary    string
}

// Rule ids. Each is documented in docs/rules.md with a fixture that triggers it.
const (
	RuleForeignLines         = "source/foreign-lines"
	RuleForeignCode          = "source/foreign-code"
	RuleUnsourcedFile        = "source/unsourced-file"
	RuleUnverifiedBundle     = "source/unverified-bundle"
	RuleUnverifiedBuild      = "source/unverified-build"
	RuleSourceMapMismatch    = "source/sourcemap-mismatch"
	RuleNoUpstream           = "source/no-upstream"
	RuleNotVerified          = "source/not-verified"
	RuleUnclaimedSource      = "source/inferred-upstream"
	RuleGitHeadMissing       = "source/githead-missing"
	RuleOlderUpstreamVersion = "source/older-upstream-version"
	RuleFileDiffers          = "source/file-differs"
	RuleAbsentFiles          = "source/absent-upstream"
	RuleManifestScripts      = "source/manifest-install-script"
	RuleManifestDeps         = "source/manifest-dependencies"
	RuleManifestEntry        = "source/manifest-entry-points"
	RuleIntegrityMismatch    = "publish/integrity-mismatch"
	RuleUnsafeArchive        = "publish/unsafe-archive"
	RuleNotFound             = "publish/not-found"
	RuleNonRegistrySource    = "source/non-registry"
	RuleUnpinnedServer       = "mcp/unpinned-server"
	RuleUnresolvableServer   = "mcp/unresolvable-server"
	RuleRemoteServer         = "mcp/remote-server"
	RuleNameMismatch         = "source/name-mismatch"
	RuleRepositoryChanged    = "source/repository-changed"
	RuleNotAnalysed          = "source/not-analysed"
	RuleResolvedVersion      = "publish/resolved-version"
	RuleMCPServer            = "mcp/server"
	RuleExpiredException     = "repo/expired-exception"
	// RuleProvenanceInvalid: dist.attestations exist but the provenance could not be fetched, read or verified.
	RuleProvenanceInvalid = "publish/provenance-invalid"
	// RuleProvenanceMismatch: verified provenance names another repository than the one the package claims.
	RuleProvenanceMismatch = "publish/provenance-mismatch"
	// RuleProvenanceUnchecked: dist.attestations exist but no Sigstore trusted root is configured.
	RuleProvenanceUnchecked = "publish/provenance-unchecked"
	// RuleProvenanceCommit: verified provenance names a commit that the packument's gitHead contradicts, or
	// that the claimed repository does not hold (so another commit had to be compared).
	RuleProvenanceCommit = "publish/provenance-commit-mismatch"
)

// Rules lists every rule with its default severity, in documentation order.
func Rules() []Rule {
	return []Rule{
		{RuleForeignLines, Block, false, "published lines that exist in no upstream commit of that file"},
		{RuleForeignCode, Block, false, "build output with code its upstream source does not produce"},
		{RuleUnsourcedFile, Block, false, "published code file with no upstream source at all"},
		{RuleUnverifiedBundle, Warn, false, "bundled output that a source comparison cannot account for line by line"},
		{RuleUnverifiedBuild, Block, true, "build output whose source was found but could not be transpiled or compared"},
		{RuleSourceMapMismatch, Block, false, "shipped source map whose sourcesContent differs from upstream"},
		{RuleNoUpstream, Block, true, "no upstream repository could be found or fetched, so nothing was verified"},
		{RuleNotVerified, Block, true, "the package could not be reviewed: the registry, the repository or the comparison failed"},
		{RuleUnclaimedSource, Info, false, "the package names no repository; the upstream was inferred"},
		{RuleGitHeadMissing, Warn, false, "the published gitHead is not a commit of the upstream repository"},
		{RuleOlderUpstreamVersion, Info, false, "a published file equals another upstream version of that path, not the compared commit's"},
		{RuleFileDiffers, Warn, false, "a published file differs from upstream, though every added line exists in some upstream version"},
		{RuleAbsentFiles, Info, false, "published non-code files that are not in the upstream repository"},
		{RuleNameMismatch, Warn, false, "the upstream package.json at the compared commit names another package"},
		{RuleRepositoryChanged, Warn, false, "the repository the package claims changed since the previous version"},
		{RuleManifestScripts, Block, false, "published package.json adds install scripts that upstream does not have"},
		{RuleManifestDeps, Block, false, "published package.json dependencies differ from upstream"},
		{RuleManifestEntry, Warn, false, "published package.json bin/main/exports differ from upstream"},
		{RuleIntegrityMismatch, Block, false, "tarball bytes do not match the registry's dist.integrity"},
		{RuleUnsafeArchive, Block, false, "tarball holds links, devices, path escapes, duplicates, or exceeds limits"},
		{RuleNotFound, Block, true, "package or version not in the registry"},
		{RuleNonRegistrySource, Warn, true, "the dependency now comes from git, a tarball URL or a local path, which cannot be compared with a registry release"},
		{RuleNotAnalysed, Info, false, "an ecosystem mcpvet lists but does not analyse yet (PyPI); block, unverified, for an MCP server"},
		{RuleResolvedVersion, Info, false, "a dist-tag or range was resolved to the version it names today, which was reviewed"},
		{RuleMCPServer, Info, false, "why the package is treated as an MCP server"},
		{RuleExpiredException, Warn, false, "a policy exception that would have matched has expired and was ignored"},
		{RuleUnpinnedServer, Warn, false, "an MCP server launched without an exact version (block when a pinned server becomes unpinned)"},
		{RuleUnresolvableServer, Warn, false, "an MCP server whose package cannot be named (placeholders, local code)"},
		{RuleRemoteServer, Warn, false, "a remote MCP server whose URL moves to another host (info when one is added)"},
		{RuleProvenanceInvalid, Block, true, "npm provenance (dist.attestations) could not be fetched, read or verified"},
		{RuleProvenanceMismatch, Block, false, "verified npm provenance binds the tarball to another repository than the claimed one"},
		{RuleProvenanceUnchecked, Info, false, "the version has npm provenance but no Sigstore trusted root is configured to verify it"},
		{RuleProvenanceCommit, Warn, false, "verified npm provenance names a commit that gitHead contradicts or the repository does not hold"},
	}
}

// Lookup returns the rule with id, and whether it exists.
func Lookup(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// New makes a finding for rule id with its default severity.
func New(id, message string) Finding {
	r, _ := Lookup(id)
	return Finding{Rule: id, Severity: r.Severity, Message: message, Unverified: r.Unverified}
}
