package analysis

import (
	"context"
	"crypto/sha512"
	"fmt"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/provenance"
	"github.com/mcpvet/mcpvet/analysis/registry"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// ResolvedByProvenance is report.Upstream.ResolvedBy when verified npm provenance chose the compared commit.
const ResolvedByProvenance = "provenance"

// attestation is what npm provenance established about one version: nothing, or a verified build of the
// claimed repository at a commit.
type attestation struct {
	res *provenance.Result // verified, and its repository is the claimed one; nil otherwise
}

// commit is the attested commit to compare, or "" when provenance established nothing.
func (a *attestation) commit() string {
	if a.res == nil {
		return ""
	}
	return a.res.Commit
}

// attest fetches and verifies the provenance of m, whose tarball is tgz (already checked against
// dist.integrity), against the configured trusted root, and reports what is wrong with it.
func (e *Engine) attest(ctx context.Context, m *registry.Manifest, tgz []byte, add func(finding.Finding)) *attestation {
	a := &attestation{}
	if m.Dist.Attestations == nil {
		return a // no provenance; publish/provenance-dropped covers losing it
	}
	id := m.Name + "@" + m.Version
	if len(e.cfg.TrustedRoot) == 0 && e.cfg.TrustedRootErr != nil {
		add(finding.New(finding.RuleProvenanceInvalid, fmt.Sprintf(
			"%s has npm provenance, but the Sigstore trusted root to verify it could not be fetched: %v", id, e.cfg.TrustedRootErr)))
		return a
	}
	if len(e.cfg.TrustedRoot) == 0 {
		add(finding.New(finding.RuleProvenanceUnchecked, fmt.Sprintf(
			"%s has npm provenance, but no Sigstore trusted root is configured (%s), so it was not verified and the repository claim stays a claim", id, EnvSigstoreTrustedRoot)))
		return a
	}
	invalid := func(err error) *attestation {
		add(finding.New(finding.RuleProvenanceInvalid, fmt.Sprintf("the npm provenance of %s could not be checked: %v", id, err)))
		return a
	}
	e.progress("%s: verifying provenance", id)
	doc, err := e.cfg.Registry.Attestations(ctx, m)
	if err != nil {
		return invalid(err)
	}
	atts, err := provenance.Parse(doc)
	if err != nil {
		return invalid(err)
	}
	sum := sha512.Sum512(tgz)
	res, err := provenance.Verify(e.cfg.TrustedRoot, atts, m.Name, m.Version, sum[:])
	if err != nil {
		return invalid(err)
	}
	if !res.Verified {
		f := finding.New(finding.RuleProvenanceInvalid, fmt.Sprintf(
			"the npm provenance of %s does not verify: %s", id, strings.Join(res.Problems, "; ")))
		f.Unverified = false // a provenance that fails verification is a finding, not a gap
		f.Evidence = "dist.attestations.url " + m.Dist.Attestations.URL
		add(f)
		return a
	}
	attested := attestedRepo(res.Repository)
	claimed := ""
	if c, err := source.ParseRepository(m.Repository); err == nil && len(m.Repository) > 0 && string(m.Repository) != "null" {
		claimed = c.String()
	}
	if !strings.EqualFold(claimed, attested) {
		f := finding.New(finding.RuleProvenanceMismatch, fmt.Sprintf(
			"verified npm provenance says %s was built from %s, but the package claims %s", id, attested, orNone(claimed)))
		f.Evidence = fmt.Sprintf("SLSA provenance: %s@%s, workflow %s, ref %s", res.Repository, res.Commit, res.Workflow, res.Ref)
		add(f)
		return a
	}
	a.res = res
	if m.GitHead != "" && !strings.EqualFold(m.GitHead, res.Commit) {
		f := finding.New(finding.RuleProvenanceCommit, fmt.Sprintf(
			"%s's gitHead says it was published from commit %s, but its verified provenance says it was built from %s; the attested commit is compared when the repository holds it",
			id, m.GitHead, res.Commit))
		f.Evidence = fmt.Sprintf("packument versions[%s].gitHead %s; SLSA provenance: %s@%s, workflow %s, ref %s", m.Version, m.GitHead, res.Repository, res.Commit, res.Workflow, res.Ref)
		add(f)
	}
	return a
}

// apply marks the compared upstream verified when it is the attested repository, and says how the attested
// commit was used: only when the attested commit is the one compared is the claim verified, and
// res.ResolvedBy becomes ResolvedByProvenance.
func (a *attestation) apply(u *report.Upstream, claim source.Claim, res *source.Resolution, add func(finding.Finding)) {
	if a.res == nil || claim.Inferred || !strings.EqualFold(claim.String(), attestedRepo(a.res.Repository)) {
		return
	}
	u.Notes = append(u.Notes, fmt.Sprintf("npm provenance verified: built by %s at %s from %s@%s",
		a.res.Workflow, a.res.Ref, a.res.Repository, a.res.Commit))
	if res.Commit == a.res.Commit {
		u.Verified = true // the tarball is bound to this repository and the commit compared is the one built
		res.ResolvedBy, u.ResolvedBy = ResolvedByProvenance, ResolvedByProvenance
		return
	}
	f := finding.New(finding.RuleProvenanceCommit, fmt.Sprintf(
		"verified npm provenance says the tarball was built from %s@%s, but that commit is not in the repository (force-pushed away, or never pushed), so the claim is not verified; compared with %s (%s) instead",
		claim.String(), a.res.Commit, report.ShortCommit(res.Commit), res.ResolvedBy))
	f.Evidence = fmt.Sprintf("SLSA provenance: %s@%s, workflow %s, ref %s", a.res.Repository, a.res.Commit, a.res.Workflow, a.res.Ref)
	add(f)
}

// attestedRepo turns a provenance repository URL (https://github.com/o/r) into a claim name (github.com/o/r).
func attestedRepo(u string) string {
	return strings.TrimPrefix(u, "https://")
}
