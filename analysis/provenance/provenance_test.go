package provenance

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
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
)

const (
	testRepo    = "https://github.com/acme/mcp-server"
	testCommit  = "3219f7f0c0ffee0123456789abcdef0123456789"
	testSAN     = "https://github.com/acme/mcp-server/.github/workflows/publish.yml@refs/tags/v1.0.16"
	testName    = "@acme/mcp-server"
	testVersion = "1.0.16"
)

// testCA is a Fulcio-like CA (root + intermediate) whose keys the test holds.
type testCA struct {
	root, inter *x509.Certificate
	interKey    *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	inter, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{root: rootCert, inter: inter, interKey: interKey}
}

// pki is a generated Sigstore: a trusted Fulcio CA plus sigstore-go's virtual Rekor and TSA.
type pki struct {
	vs          *ca.VirtualSigstore
	fulcio      testCA
	trustedRoot []byte
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{vs: vs, fulcio: newTestCA(t)}
	now := time.Now()
	fca := &root.FulcioCertificateAuthority{
		Root:                p.fulcio.root,
		Intermediates:       []*x509.Certificate{p.fulcio.inter},
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
	p.trustedRoot, err = tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// leafOpts describes the Fulcio leaf certificate of a workflow run.
type leafOpts struct {
	san, issuer, sourceRepo, sourceDigest string
}

func defaultLeaf() leafOpts {
	return leafOpts{san: testSAN, issuer: GitHubActionsIssuer, sourceRepo: testRepo, sourceDigest: testCommit}
}

func utf8Ext(t *testing.T, oid asn1.ObjectIdentifier, v string) pkix.Extension {
	t.Helper()
	b, err := asn1.MarshalWithParams(v, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oid, Value: b}
}

// statementJSON builds an in-toto v1 statement with a SLSA v1 predicate as npm publishes it.
func statementJSON(t *testing.T, purl string, digest []byte, repo, commit string) []byte {
	t.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": purl, "digest": map[string]string{"sha512": hex.EncodeToString(digest)}}},
		"predicateType": PredicateSLSAv1,
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": BuildTypeGitHubActions,
				"externalParameters": map[string]any{"workflow": map[string]any{
					"ref": "refs/tags/v1.0.16", "repository": repo, "path": ".github/workflows/publish.yml"}},
				"internalParameters": map[string]any{"github": map[string]any{"event_name": "push"}},
				"resolvedDependencies": []any{map[string]any{
					"uri": "git+" + repo + "@refs/tags/v1.0.16", "digest": map[string]string{"gitCommit": commit}}},
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

// signBundle signs stmt as a DSSE envelope with a leaf issued by signer, logs it in p's virtual Rekor
// (inclusion proof and signed entry timestamp) and returns a v0.2 Sigstore bundle as npm serves it.
func signBundle(t *testing.T, p *pki, signer testCA, lo leafOpts, stmt []byte) []byte {
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
			utf8Ext(t, certificate.OIDIssuerV2, lo.issuer),
			utf8Ext(t, certificate.OIDSourceRepositoryURI, lo.sourceRepo),
			utf8Ext(t, certificate.OIDSourceRepositoryDigest, lo.sourceDigest),
		},
	}
	if strings.HasPrefix(lo.san, "https://") {
		u, err := parseURL(lo.san)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = u
	} else {
		tmpl.EmailAddresses = []string{lo.san}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer.inter, &leafKey.PublicKey, signer.interKey)
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

func tarballDigest(s string) []byte {
	d := sha512.Sum512([]byte(s))
	return d[:]
}

func TestVerify(t *testing.T) {
	p := newPKI(t)
	untrusted := newTestCA(t)
	digest := tarballDigest("tarball 1.0.16")
	otherDigest := tarballDigest("another tarball")
	goodStmt := statementJSON(t, Purl(testName, testVersion), digest, testRepo, testCommit)
	good := signBundle(t, p, p.fulcio, defaultLeaf(), goodStmt)

	withLeaf := func(f func(*leafOpts)) []byte {
		lo := defaultLeaf()
		f(&lo)
		return signBundle(t, p, p.fulcio, lo, goodStmt)
	}
	slsa := func(b []byte) []Attestation {
		return []Attestation{
			{PredicateType: PredicateNpmPublish, Bundle: json.RawMessage(`{"not":"checked"}`)},
			{PredicateType: PredicateSLSAv1, Bundle: b},
		}
	}

	tests := []struct {
		name        string
		atts        []Attestation
		pkg, ver    string
		digest      []byte
		wantOK      bool
		wantProblem string
	}{
		{name: "valid scoped", atts: slsa(good), pkg: testName, ver: testVersion, digest: digest, wantOK: true},
		{name: "valid unscoped", pkg: "mcp-server", ver: "2.0.0", digest: digest, wantOK: true,
			atts: slsa(signBundle(t, p, p.fulcio, defaultLeaf(), statementJSON(t, "pkg:npm/mcp-server@2.0.0", digest, testRepo, testCommit)))},
		{name: "tarball digest differs", atts: slsa(good), pkg: testName, ver: testVersion, digest: otherDigest,
			wantProblem: "sigstore verification failed"},
		{name: "wrong package name", atts: slsa(good), pkg: "@acme/other", ver: testVersion, digest: digest,
			wantProblem: "no subject named pkg:npm/%40acme/other@1.0.16"},
		{name: "wrong version", atts: slsa(good), pkg: testName, ver: "1.0.17", digest: digest,
			wantProblem: "no subject named"},
		{name: "scoped name not percent-encoded in subject", pkg: testName, ver: testVersion, digest: digest,
			atts:        slsa(signBundle(t, p, p.fulcio, defaultLeaf(), statementJSON(t, "pkg:npm/@acme/mcp-server@1.0.16", digest, testRepo, testCommit))),
			wantProblem: "no subject named"},
		{name: "untrusted CA", atts: slsa(signBundle(t, p, untrusted, defaultLeaf(), goodStmt)), pkg: testName, ver: testVersion,
			digest: digest, wantProblem: "sigstore verification failed"},
		{name: "wrong OIDC issuer", atts: slsa(withLeaf(func(l *leafOpts) { l.issuer = "https://accounts.google.com" })),
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "sigstore verification failed"},
		{name: "SAN is an e-mail", atts: slsa(withLeaf(func(l *leafOpts) { l.san = "mallory@example.com" })),
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "sigstore verification failed"},
		{name: "certificate repository differs from predicate",
			atts: slsa(withLeaf(func(l *leafOpts) { l.sourceRepo = "https://github.com/mallory/fork" })),
			pkg:  testName, ver: testVersion, digest: digest, wantProblem: "certificate source repository"},
		{name: "certificate commit differs from predicate",
			atts: slsa(withLeaf(func(l *leafOpts) { l.sourceDigest = strings.Repeat("a", 40) })),
			pkg:  testName, ver: testVersion, digest: digest, wantProblem: "certificate source digest"},
		{name: "garbage bundle", atts: slsa([]byte(`{"mediaType":"garbage","x":[1,2,3]}`)), pkg: testName, ver: testVersion,
			digest: digest, wantProblem: "malformed sigstore bundle"},
		{name: "bundle not an object", atts: slsa([]byte(`"AAAA"`)), pkg: testName, ver: testVersion,
			digest: digest, wantProblem: "malformed sigstore bundle"},
		{name: "empty bundle", atts: slsa(nil), pkg: testName, ver: testVersion, digest: digest, wantProblem: "empty bundle"},
		{name: "tampered payload", pkg: testName, ver: testVersion, digest: digest, wantProblem: "sigstore verification failed",
			atts: slsa(bytes.Replace(good, []byte(base64.StdEncoding.EncodeToString(goodStmt)),
				[]byte(base64.StdEncoding.EncodeToString(statementJSON(t, Purl(testName, testVersion), digest, "https://github.com/mallory/fork", testCommit))), 1))},
		{name: "no SLSA attestation", atts: []Attestation{{PredicateType: PredicateNpmPublish, Bundle: good}},
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "no SLSA provenance"},
		{name: "one good one bad", atts: []Attestation{{PredicateType: PredicateSLSAv1, Bundle: good}, {PredicateType: PredicateSLSAv1, Bundle: []byte(`{}`)}},
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "attestation 1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(p.trustedRoot, tc.atts, tc.pkg, tc.ver, tc.digest)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Verified != tc.wantOK {
				t.Fatalf("Verified = %v, want %v; problems: %q", res.Verified, tc.wantOK, res.Problems)
			}
			if tc.wantOK {
				if len(res.Problems) != 0 {
					t.Errorf("problems on success: %q", res.Problems)
				}
				if res.Repository != testRepo || res.Commit != testCommit || res.Ref != "refs/tags/v1.0.16" ||
					res.Workflow != ".github/workflows/publish.yml" {
					t.Errorf("got %+v", res)
				}
				return
			}
			t.Logf("problems: %q", res.Problems)
			if !strings.Contains(strings.Join(res.Problems, "\n"), tc.wantProblem) {
				t.Errorf("problems %q do not mention %q", res.Problems, tc.wantProblem)
			}
		})
	}
}

func TestVerifyArguments(t *testing.T) {
	p := newPKI(t)
	digest := tarballDigest("x")
	atRoot := append(append([]byte{}, p.trustedRoot...), bytes.Repeat([]byte(" "), MaxTrustedRootSize-len(p.trustedRoot))...)
	tests := []struct {
		name    string
		root    []byte
		atts    []Attestation
		digest  []byte
		wantErr error
	}{
		{name: "trusted root at limit", root: atRoot, digest: digest},
		{name: "trusted root over limit", root: append(atRoot, ' '), digest: digest, wantErr: ErrTooLarge},
		{name: "garbage trusted root", root: []byte(`{"mediaType": 7}`), digest: digest, wantErr: errAny},
		{name: "short digest", root: p.trustedRoot, digest: digest[:32], wantErr: errAny},
		{name: "attestations at limit", root: p.trustedRoot, digest: digest, atts: make([]Attestation, MaxAttestations)},
		{name: "attestations over limit", root: p.trustedRoot, digest: digest, atts: make([]Attestation, MaxAttestations+1), wantErr: ErrTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(tc.root, tc.atts, testName, testVersion, tc.digest)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Verify: %v", err)
			case tc.wantErr == nil:
				if res.Verified {
					t.Error("verified with no attestation")
				}
			case err == nil:
				t.Fatalf("want error %v, got result %+v", tc.wantErr, res)
			case tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// errAny marks a test case that expects some error.
var errAny = errors.New("any error")

func TestParse(t *testing.T) {
	att := `{"predicateType":"` + PredicateSLSAv1 + `","bundle":{"mediaType":"x"}}`
	docOf := func(n int) []byte {
		return []byte(`{"attestations":[` + strings.TrimSuffix(strings.Repeat(att+",", n), ",") + `]}`)
	}
	small := docOf(1)
	atSize := append(append([]byte{}, small...), bytes.Repeat([]byte(" "), MaxDocumentSize-len(small))...)
	tests := []struct {
		name    string
		doc     []byte
		wantN   int
		wantErr error
	}{
		{name: "one", doc: small, wantN: 1},
		{name: "empty list", doc: []byte(`{"attestations":[]}`), wantN: 0},
		{name: "at count limit", doc: docOf(MaxAttestations), wantN: MaxAttestations},
		{name: "over count limit", doc: docOf(MaxAttestations + 1), wantErr: ErrTooMany},
		{name: "at size limit", doc: atSize, wantN: 1},
		{name: "over size limit", doc: append(atSize, ' '), wantErr: ErrTooLarge},
		{name: "not JSON", doc: []byte("<html>"), wantErr: ErrMalformed},
		{name: "no attestations key", doc: []byte(`{}`), wantErr: ErrMalformed},
		{name: "attestation not an object", doc: []byte(`{"attestations":[1]}`), wantErr: ErrMalformed},
		{name: "predicateType wrong type", doc: []byte(`{"attestations":[{"predicateType":1}]}`), wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.doc)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) != tc.wantN {
				t.Fatalf("got %d attestations, want %d", len(got), tc.wantN)
			}
			if tc.wantN > 0 && (got[0].PredicateType != PredicateSLSAv1 || string(got[0].Bundle) != `{"mediaType":"x"}`) {
				t.Errorf("got %+v", got[0])
			}
		})
	}
}

func TestPurl(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"postmark-mcp", "1.0.16", "pkg:npm/postmark-mcp@1.0.16"},
		{"@activecampaign/postmark-mcp", "1.0.0", "pkg:npm/%40activecampaign/postmark-mcp@1.0.0"},
	} {
		if got := Purl(tc.name, tc.version); got != tc.want {
			t.Errorf("Purl(%q, %q) = %q, want %q", tc.name, tc.version, got, tc.want)
		}
	}
}

func parseURL(s string) ([]*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	return []*url.URL{u}, nil
}
