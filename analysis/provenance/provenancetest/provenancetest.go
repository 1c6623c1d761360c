// Package provenancetest builds npm provenance for tests: a generated Sigstore (a Fulcio-like CA plus
// sigstore-go's virtual Rekor and timestamp authority) with its trusted_root.json, SLSA v1 provenance
// statements as npm publishes them, Sigstore bundles signed like a GitHub Actions workflow run signs them,
// and npm attestations documents. Nothing here is trusted outside tests.
//
// It is imported only by tests; like every package under analysis/, it must not import app/, action/ or
// GitHub clients.
package provenancetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mcpvet/mcpvet/analysis/provenance"
)

// DefaultRef is the workflow ref used by Statement and DefaultLeaf.
const DefaultRef = "refs/tags/v1.0.0"

// DefaultWorkflow is the workflow path used by Statement and DefaultLeaf.
const DefaultWorkflow = ".github/workflows/publish.yml"

// CA is a Fulcio-like certificate authority (root + intermediate) whose keys the test holds.
type CA struct {
	Root, Intermediate *x509.Certificate
	key                *ecdsa.PrivateKey
}

// NewCA generates a CA that no trusted root lists (until PKI makes one trusted).
func NewCA(t testing.TB) *CA {
	t.Helper()
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	inter, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Root: rootCert, Intermediate: inter, key: interKey}
}

// PKI is a generated Sigstore: a trusted Fulcio CA plus sigstore-go's virtual Rekor and TSA.
type PKI struct {
	// Fulcio is the trusted CA that Bundle and Sign issue leaf certificates from.
	Fulcio *CA
	// TrustedRoot is the trusted_root.json that makes bundles of this PKI verify.
	TrustedRoot []byte
	vs          *ca.VirtualSigstore
}

// New generates a PKI whose trusted root is valid from five hours ago to one hour from now.
func New(t testing.TB) *PKI {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	p := &PKI{vs: vs, Fulcio: NewCA(t)}
	now := time.Now()
	fca := &root.FulcioCertificateAuthority{
		Root:                p.Fulcio.Root,
		Intermediates:       []*x509.Certificate{p.Fulcio.Intermediate},
		ValidityPeriodStart: now.Add(-5 * time.Hour),
		ValidityPeriodEnd:   now.Add(time.Hour),
		URI:                 "https://fulcio.test",
	}
	// VirtualSigstore keys its Rekor log by the hex log ID and stores that hex text as the ID; a
	// trusted_root.json carries the raw key ID, so convert before serialising.
	rekor := map[string]*root.TransparencyLog{}
	for id, l := range vs.RekorLogs() {
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		c := *l
		c.ID = raw
		rekor[id] = &c
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{fca}, nil,
		vs.TimestampingAuthorities(), rekor)
	if err != nil {
		t.Fatal(err)
	}
	p.TrustedRoot, err = tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Leaf describes the Fulcio leaf certificate of a workflow run.
type Leaf struct {
	// SAN is the subject alternative name: a workflow URI, or an e-mail address when it has no scheme.
	SAN string
	// Issuer is the OIDC issuer extension.
	Issuer string
	// SourceRepo and SourceDigest are the source repository URI and commit extensions.
	SourceRepo, SourceDigest string
}

// DefaultLeaf is the leaf a GitHub Actions run of DefaultWorkflow at DefaultRef in repo (https://github.com/o/r)
// at commit gets.
func DefaultLeaf(repo, commit string) Leaf {
	return Leaf{
		SAN:          repo + "/" + DefaultWorkflow + "@" + DefaultRef,
		Issuer:       provenance.GitHubActionsIssuer,
		SourceRepo:   repo,
		SourceDigest: commit,
	}
}

// Statement builds an in-toto v1 statement with a SLSA v1 predicate as npm publishes it: subject purl with
// the sha512 digest, built by DefaultWorkflow at DefaultRef of repo at commit.
func Statement(t testing.TB, purl string, sha512 []byte, repo, commit string) []byte {
	t.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": purl, "digest": map[string]string{"sha512": hex.EncodeToString(sha512)}}},
		"predicateType": provenance.PredicateSLSAv1,
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": provenance.BuildTypeGitHubActions,
				"externalParameters": map[string]any{"workflow": map[string]any{
					"ref": DefaultRef, "repository": repo, "path": DefaultWorkflow}},
				"internalParameters": map[string]any{"github": map[string]any{"event_name": "push"}},
				"resolvedDependencies": []any{map[string]any{
					"uri": "git+" + repo + "@" + DefaultRef, "digest": map[string]string{"gitCommit": commit}}},
			},
			"runDetails": map[string]any{
				"builder":  map[string]any{"id": "https://github.com/actions/runner/github-hosted"},
				"metadata": map[string]any{"invocationId": repo + "/actions/runs/1/attempts/1"},
			},
		},
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bundle returns a valid SLSA provenance bundle for name@version with tarball digest sha512 (raw bytes),
// built from repo (https://github.com/o/r) at commit, signed by p's trusted CA.
func (p *PKI) Bundle(t testing.TB, name, version string, sha512 []byte, repo, commit string) []byte {
	t.Helper()
	return p.Sign(t, p.Fulcio, DefaultLeaf(repo, commit), Statement(t, provenance.Purl(name, version), sha512, repo, commit))
}

// Sign signs stmt as a DSSE envelope with a leaf described by lo and issued by signer (p.Fulcio, or an
// untrusted NewCA), logs it in p's virtual Rekor (inclusion proof and signed entry timestamp) and returns a
// v0.2 Sigstore bundle as npm serves it.
func (p *PKI) Sign(t testing.TB, signer *CA, lo Leaf, stmt []byte) []byte {
	t.Helper()
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(10 * time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			utf8Ext(t, certificate.OIDIssuerV2, lo.Issuer),
			utf8Ext(t, certificate.OIDSourceRepositoryURI, lo.SourceRepo),
			utf8Ext(t, certificate.OIDSourceRepositoryDigest, lo.SourceDigest),
		},
	}
	if strings.HasPrefix(lo.SAN, "https://") {
		u, err := url.Parse(lo.SAN)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{lo.SAN}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer.Intermediate, &leafKey.PublicKey, signer.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	const payloadType = "application/vnd.in-toto+json"
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(stmt), stmt)
	h := sha256.Sum256([]byte(pae))
	sig, err := ecdsa.SignASN1(rand.Reader, leafKey, h[:])
	if err != nil {
		t.Fatal(err)
	}
	env := &ssldsse.Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(stmt),
		Signatures:  []ssldsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	entry, err := p.vs.GenerateTlogEntry(leaf, env, sig, now.Unix(), true)
	if err != nil {
		t.Fatal(err)
	}
	tle := entry.TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	set, err := p.vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}

	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_X509CertificateChain{
				X509CertificateChain: &protocommon.X509CertificateChain{
					Certificates: []*protocommon.X509Certificate{{RawBytes: leaf.Raw}},
				},
			},
			TlogEntries: []*protorekor.TransparencyLogEntry{tle},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     stmt,
			PayloadType: payloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}},
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Document wraps SLSA provenance bundles in an npm attestations document ({"attestations":[…]}), each
// entry with predicateType provenance.PredicateSLSAv1.
func Document(t testing.TB, bundles ...[]byte) []byte {
	t.Helper()
	atts := make([]provenance.Attestation, 0, len(bundles))
	for _, b := range bundles {
		atts = append(atts, provenance.Attestation{PredicateType: provenance.PredicateSLSAv1, Bundle: b})
	}
	out, err := json.Marshal(map[string]any{"attestations": atts})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func utf8Ext(t testing.TB, oid asn1.ObjectIdentifier, v string) pkix.Extension {
	t.Helper()
	b, err := asn1.MarshalWithParams(v, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oid, Value: b}
}
