// Package provenance verifies npm provenance attestations: the Sigstore bundles that npm serves at
// GET {registry}/-/npm/v1/attestations/{name}@{version}. It checks the SLSA v1 provenance bundle with
// sigstore-go against a caller-supplied Sigstore trusted root (signature chain, transparency log,
// certificate identity of a GitHub Actions workflow, subject name and sha512 digest) and returns the
// source repository and commit that the attestation binds to the tarball, for the caller to compare
// with the claimed upstream.
//
// The package performs no I/O: fetching the attestations document and the trusted root is the
// caller's job. Like every package under analysis/, it must not import app/, action/ or GitHub clients.
package provenance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Limits on hostile input.
const (
	// MaxDocumentSize bounds the attestations document accepted by Parse.
	MaxDocumentSize = 16 << 20
	// MaxAttestations bounds the number of attestations in one document.
	MaxAttestations = 16
	// MaxTrustedRootSize bounds the trusted_root.json accepted by Verify (the public-good root is ~15 KiB).
	MaxTrustedRootSize = 1 << 20
)

// Predicate types served by npm.
const (
	// PredicateSLSAv1 is the SLSA v1 build provenance predicate, signed with a Fulcio certificate.
	PredicateSLSAv1 = "https://slsa.dev/provenance/v1"
	// PredicateNpmPublish is npm's publish attestation, signed by the registry key (not verified here).
	PredicateNpmPublish = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
)

// Identity expected in the signing certificate.
const (
	// GitHubActionsIssuer is the OIDC issuer of GitHub Actions workflow tokens.
	GitHubActionsIssuer = "https://token.actions.githubusercontent.com"
	// BuildTypeGitHubActions is the SLSA buildType npm uses for GitHub Actions builds.
	BuildTypeGitHubActions = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
	// workflowSANRegexp matches the certificate SAN of a GitHub workflow run.
	workflowSANRegexp = `^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/\.github/workflows/[^@\s]+@refs/[^\s]+$`
)

// Sentinel errors; returned errors wrap one of them.
var (
	// ErrTooLarge reports an input over a size limit.
	ErrTooLarge = errors.New("provenance: input too large")
	// ErrTooMany reports more attestations than MaxAttestations.
	ErrTooMany = errors.New("provenance: too many attestations")
	// ErrMalformed reports an input that is not the expected JSON document.
	ErrMalformed = errors.New("provenance: malformed input")
)

var (
	gitCommitRe = regexp.MustCompile(`^[0-9a-f]{40}$`)
	repoURLRe   = regexp.MustCompile(`^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// Attestation is one entry of the npm attestations document.
type Attestation struct {
	// PredicateType is the unsigned predicate type declared next to the bundle (informational only:
	// Verify reads the signed one from the statement).
	PredicateType string `json:"predicateType"`
	// Bundle is the Sigstore bundle JSON, verbatim.
	Bundle json.RawMessage `json:"bundle"`
}

// Parse reads the attestations document ({"attestations":[{predicateType, bundle}]}) returned by
// GET {registry}/-/npm/v1/attestations/{name}@{version}. It enforces MaxDocumentSize and MaxAttestations.
func Parse(doc []byte) ([]Attestation, error) {
	if len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("attestations document of %d bytes (max %d): %w", len(doc), MaxDocumentSize, ErrTooLarge)
	}
	var d struct {
		Attestations []json.RawMessage `json:"attestations"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("parse attestations document: %w: %v", ErrMalformed, err)
	}
	if d.Attestations == nil {
		return nil, fmt.Errorf("parse attestations document: %w: no attestations array", ErrMalformed)
	}
	if len(d.Attestations) > MaxAttestations {
		return nil, fmt.Errorf("%d attestations (max %d): %w", len(d.Attestations), MaxAttestations, ErrTooMany)
	}
	out := make([]Attestation, 0, len(d.Attestations))
	for i, raw := range d.Attestations {
		var a Attestation
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("parse attestation %d: %w: %v", i, ErrMalformed, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Result is the outcome of Verify.
type Result struct {
	// Verified is true when every SLSA provenance attestation (at least one) passed every check.
	Verified bool
	// Repository is externalParameters.workflow.repository of the verified predicate (https://github.com/o/r).
	Repository string
	// Commit is resolvedDependencies[0].digest.gitCommit of the verified predicate.
	Commit string
	// Workflow is externalParameters.workflow.path (e.g. .github/workflows/publish.yml).
	Workflow string
	// Ref is externalParameters.workflow.ref (e.g. refs/tags/v1.2.3).
	Ref string
	// Problems says why the provenance is not verified; empty when Verified.
	Problems []string
}

// Purl returns the package URL npm puts in the provenance subject: pkg:npm/<name>@<version>, with the
// leading "@" of a scoped name encoded as %40.
func Purl(name, version string) string {
	if strings.HasPrefix(name, "@") {
		name = "%40" + name[1:]
	}
	return "pkg:npm/" + name + "@" + version
}

// Verify checks the SLSA provenance bundles in atts with sigstore-go against trustedRoot (a Sigstore
// trusted_root.json): the certificate chain to a trusted Fulcio CA, the transparency log entry, the DSSE
// signature, the certificate identity (issuer GitHubActionsIssuer, SAN a GitHub workflow URI), the subject
// name Purl(name, version) and its sha512 digest equal to sha512 (the tarball's, raw bytes), and that the
// certificate's source repository and digest extensions equal the predicate's repository and commit.
// Signed certificate timestamps are required when the trusted root lists CT logs.
//
// A provenance that fails a check yields Verified=false with Problems; an error is returned only for
// unusable arguments (bad trusted root, wrong digest length).
func Verify(trustedRoot []byte, atts []Attestation, name, version string, sha512 []byte) (*Result, error) {
	if len(trustedRoot) > MaxTrustedRootSize {
		return nil, fmt.Errorf("trusted root of %d bytes (max %d): %w", len(trustedRoot), MaxTrustedRootSize, ErrTooLarge)
	}
	if len(sha512) != 64 {
		return nil, fmt.Errorf("verify provenance of %s@%s: sha512 digest has %d bytes, want 64", name, version, len(sha512))
	}
	if len(atts) > MaxAttestations {
		return nil, fmt.Errorf("verify provenance of %s@%s: %d attestations (max %d): %w", name, version, len(atts), MaxAttestations, ErrTooMany)
	}
	tr, err := root.NewTrustedRootFromJSON(trustedRoot)
	if err != nil {
		return nil, fmt.Errorf("load trusted root: %w", err)
	}
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if len(tr.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(tr, opts...)
	if err != nil {
		return nil, fmt.Errorf("create sigstore verifier: %w", err)
	}
	sanMatcher, err := verify.NewSANMatcher("", workflowSANRegexp)
	if err != nil {
		return nil, fmt.Errorf("build SAN matcher: %w", err)
	}
	issuerMatcher, err := verify.NewIssuerMatcher(GitHubActionsIssuer, "")
	if err != nil {
		return nil, fmt.Errorf("build issuer matcher: %w", err)
	}
	identity, err := verify.NewCertificateIdentity(sanMatcher, issuerMatcher, certificate.Extensions{})
	if err != nil {
		return nil, fmt.Errorf("build certificate identity: %w", err)
	}

	res := &Result{}
	var verified []*predicateInfo
	for i, a := range atts {
		if a.PredicateType != PredicateSLSAv1 {
			continue
		}
		info, problem := verifyOne(v, identity, a.Bundle, name, version, sha512)
		if problem != "" {
			res.Problems = append(res.Problems, fmt.Sprintf("attestation %d: %s", i, problem))
			continue
		}
		verified = append(verified, info)
	}
	if len(verified) == 0 && len(res.Problems) == 0 {
		res.Problems = append(res.Problems, "no SLSA provenance ("+PredicateSLSAv1+") attestation")
	}
	if len(verified) > 0 {
		first := verified[0]
		res.Repository, res.Commit, res.Workflow, res.Ref = first.Repository, first.Commit, first.Workflow, first.Ref
		for _, o := range verified[1:] {
			if o.Repository != first.Repository || o.Commit != first.Commit {
				res.Problems = append(res.Problems, fmt.Sprintf("provenance attestations disagree: %s@%s vs %s@%s",
					first.Repository, first.Commit, o.Repository, o.Commit))
			}
		}
	}
	res.Verified = len(verified) > 0 && len(res.Problems) == 0
	return res, nil
}

// predicateInfo is what Verify extracts from one verified SLSA predicate.
type predicateInfo struct {
	Repository, Commit, Workflow, Ref string
}

// verifyOne verifies one bundle and returns the predicate's source, or a problem description.
func verifyOne(v *verify.Verifier, identity verify.CertificateIdentity, raw json.RawMessage, name, version string, sha512 []byte) (*predicateInfo, string) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, "empty bundle"
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Sprintf("malformed sigstore bundle: %v", err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, "bundle has no DSSE envelope"
	}
	policy := verify.NewPolicy(verify.WithArtifactDigest("sha512", sha512), verify.WithCertificateIdentity(identity))
	vr, err := v.Verify(&b, policy)
	if err != nil {
		return nil, fmt.Sprintf("sigstore verification failed: %v", err)
	}
	// The payload is the one whose signature was just verified.
	var st statement
	if err := json.Unmarshal(env.GetPayload(), &st); err != nil {
		return nil, fmt.Sprintf("malformed in-toto statement: %v", err)
	}
	if st.PredicateType != PredicateSLSAv1 {
		return nil, fmt.Sprintf("signed predicate type %q, want %q", st.PredicateType, PredicateSLSAv1)
	}
	purl, hexDigest := Purl(name, version), hex.EncodeToString(sha512)
	subjectOK := false
	for _, s := range st.Subject {
		if s.Name == purl && strings.EqualFold(s.Digest["sha512"], hexDigest) {
			subjectOK = true
			break
		}
	}
	if !subjectOK {
		return nil, fmt.Sprintf("no subject named %s with the tarball's sha512", purl)
	}
	p := st.Predicate
	if p.BuildDefinition.BuildType != BuildTypeGitHubActions {
		return nil, fmt.Sprintf("build type %q, want %q", p.BuildDefinition.BuildType, BuildTypeGitHubActions)
	}
	wf := p.BuildDefinition.ExternalParameters.Workflow
	info := &predicateInfo{Repository: wf.Repository, Workflow: wf.Path, Ref: wf.Ref}
	if !repoURLRe.MatchString(info.Repository) {
		return nil, fmt.Sprintf("predicate repository %q is not a https://github.com/owner/repo URL", info.Repository)
	}
	if len(p.BuildDefinition.ResolvedDependencies) == 0 {
		return nil, "predicate has no resolved dependencies"
	}
	info.Commit = p.BuildDefinition.ResolvedDependencies[0].Digest["gitCommit"]
	if !gitCommitRe.MatchString(info.Commit) {
		return nil, fmt.Sprintf("predicate commit %q is not a 40-hex git commit", info.Commit)
	}
	if vr.Signature == nil || vr.Signature.Certificate == nil {
		return nil, "no certificate in verification result"
	}
	ext := vr.Signature.Certificate.Extensions
	if ext.SourceRepositoryURI != info.Repository {
		return nil, fmt.Sprintf("certificate source repository %q differs from predicate repository %q", ext.SourceRepositoryURI, info.Repository)
	}
	if ext.SourceRepositoryDigest != info.Commit {
		return nil, fmt.Sprintf("certificate source digest %q differs from predicate commit %q", ext.SourceRepositoryDigest, info.Commit)
	}
	return info, ""
}

// statement is the subset of an in-toto v1 Statement with a SLSA v1 predicate that Verify reads.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate struct {
		BuildDefinition struct {
			BuildType          string `json:"buildType"`
			ExternalParameters struct {
				Workflow struct {
					Repository string `json:"repository"`
					Path       string `json:"path"`
					Ref        string `json:"ref"`
				} `json:"workflow"`
			} `json:"externalParameters"`
			ResolvedDependencies []struct {
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
	} `json:"predicate"`
}
