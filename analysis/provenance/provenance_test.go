package provenance_test

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis/provenance"
	"github.com/mcpvet/mcpvet/analysis/provenance/provenancetest"
)

const (
	testRepo    = "https://github.com/acme/mcp-server"
	testCommit  = "3219f7f0c0ffee0123456789abcdef0123456789"
	testName    = "@acme/mcp-server"
	testVersion = "1.0.16"
)

func statementJSON(t *testing.T, purl string, digest []byte, repo, commit string) []byte {
	t.Helper()
	return provenancetest.Statement(t, purl, digest, repo, commit)
}

func tarballDigest(s string) []byte {
	d := sha512.Sum512([]byte(s))
	return d[:]
}

func TestVerify(t *testing.T) {
	p := provenancetest.New(t)
	untrusted := provenancetest.NewCA(t)
	digest := tarballDigest("tarball 1.0.16")
	otherDigest := tarballDigest("another tarball")
	goodStmt := statementJSON(t, provenance.Purl(testName, testVersion), digest, testRepo, testCommit)
	good := p.Sign(t, p.Fulcio, defaultLeaf(), goodStmt)

	withLeaf := func(f func(*provenancetest.Leaf)) []byte {
		lo := defaultLeaf()
		f(&lo)
		return p.Sign(t, p.Fulcio, lo, goodStmt)
	}
	slsa := func(b []byte) []provenance.Attestation {
		return []provenance.Attestation{
			{PredicateType: provenance.PredicateNpmPublish, Bundle: json.RawMessage(`{"not":"checked"}`)},
			{PredicateType: provenance.PredicateSLSAv1, Bundle: b},
		}
	}

	tests := []struct {
		name        string
		atts        []provenance.Attestation
		pkg, ver    string
		digest      []byte
		wantOK      bool
		wantProblem string
	}{
		{name: "valid scoped", atts: slsa(good), pkg: testName, ver: testVersion, digest: digest, wantOK: true},
		{name: "valid unscoped", pkg: "mcp-server", ver: "2.0.0", digest: digest, wantOK: true,
			atts: slsa(p.Sign(t, p.Fulcio, defaultLeaf(), statementJSON(t, "pkg:npm/mcp-server@2.0.0", digest, testRepo, testCommit)))},
		{name: "tarball digest differs", atts: slsa(good), pkg: testName, ver: testVersion, digest: otherDigest,
			wantProblem: "sigstore verification failed"},
		{name: "wrong package name", atts: slsa(good), pkg: "@acme/other", ver: testVersion, digest: digest,
			wantProblem: "no subject named pkg:npm/%40acme/other@1.0.16"},
		{name: "wrong version", atts: slsa(good), pkg: testName, ver: "1.0.17", digest: digest,
			wantProblem: "no subject named"},
		{name: "scoped name not percent-encoded in subject", pkg: testName, ver: testVersion, digest: digest,
			atts:        slsa(p.Sign(t, p.Fulcio, defaultLeaf(), statementJSON(t, "pkg:npm/@acme/mcp-server@1.0.16", digest, testRepo, testCommit))),
			wantProblem: "no subject named"},
		{name: "untrusted CA", atts: slsa(p.Sign(t, untrusted, defaultLeaf(), goodStmt)), pkg: testName, ver: testVersion,
			digest: digest, wantProblem: "sigstore verification failed"},
		{name: "wrong OIDC issuer", atts: slsa(withLeaf(func(l *provenancetest.Leaf) { l.Issuer = "https://accounts.google.com" })),
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "sigstore verification failed"},
		{name: "SAN is an e-mail", atts: slsa(withLeaf(func(l *provenancetest.Leaf) { l.SAN = "mallory@example.com" })),
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "sigstore verification failed"},
		{name: "certificate repository differs from predicate",
			atts: slsa(withLeaf(func(l *provenancetest.Leaf) { l.SourceRepo = "https://github.com/mallory/fork" })),
			pkg:  testName, ver: testVersion, digest: digest, wantProblem: "certificate source repository"},
		{name: "certificate commit differs from predicate",
			atts: slsa(withLeaf(func(l *provenancetest.Leaf) { l.SourceDigest = strings.Repeat("a", 40) })),
			pkg:  testName, ver: testVersion, digest: digest, wantProblem: "certificate source digest"},
		{name: "garbage bundle", atts: slsa([]byte(`{"mediaType":"garbage","x":[1,2,3]}`)), pkg: testName, ver: testVersion,
			digest: digest, wantProblem: "malformed sigstore bundle"},
		{name: "bundle not an object", atts: slsa([]byte(`"AAAA"`)), pkg: testName, ver: testVersion,
			digest: digest, wantProblem: "malformed sigstore bundle"},
		{name: "empty bundle", atts: slsa(nil), pkg: testName, ver: testVersion, digest: digest, wantProblem: "empty bundle"},
		{name: "tampered payload", pkg: testName, ver: testVersion, digest: digest, wantProblem: "sigstore verification failed",
			atts: slsa(bytes.Replace(good, []byte(base64.StdEncoding.EncodeToString(goodStmt)),
				[]byte(base64.StdEncoding.EncodeToString(statementJSON(t, provenance.Purl(testName, testVersion), digest, "https://github.com/mallory/fork", testCommit))), 1))},
		{name: "no SLSA attestation", atts: []provenance.Attestation{{PredicateType: provenance.PredicateNpmPublish, Bundle: good}},
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "no SLSA provenance"},
		{name: "one good one bad", atts: []provenance.Attestation{{PredicateType: provenance.PredicateSLSAv1, Bundle: good}, {PredicateType: provenance.PredicateSLSAv1, Bundle: []byte(`{}`)}},
			pkg: testName, ver: testVersion, digest: digest, wantProblem: "attestation 1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := provenance.Verify(p.TrustedRoot, tc.atts, tc.pkg, tc.ver, tc.digest)
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
				if res.Repository != testRepo || res.Commit != testCommit || res.Ref != provenancetest.DefaultRef ||
					res.Workflow != provenancetest.DefaultWorkflow {
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
	p := provenancetest.New(t)
	digest := tarballDigest("x")
	atRoot := append(append([]byte{}, p.TrustedRoot...), bytes.Repeat([]byte(" "), provenance.MaxTrustedRootSize-len(p.TrustedRoot))...)
	tests := []struct {
		name    string
		root    []byte
		atts    []provenance.Attestation
		digest  []byte
		wantErr error
	}{
		{name: "trusted root at limit", root: atRoot, digest: digest},
		{name: "trusted root over limit", root: append(atRoot, ' '), digest: digest, wantErr: provenance.ErrTooLarge},
		{name: "garbage trusted root", root: []byte(`{"mediaType": 7}`), digest: digest, wantErr: errAny},
		{name: "short digest", root: p.TrustedRoot, digest: digest[:32], wantErr: errAny},
		{name: "attestations at limit", root: p.TrustedRoot, digest: digest, atts: make([]provenance.Attestation, provenance.MaxAttestations)},
		{name: "attestations over limit", root: p.TrustedRoot, digest: digest, atts: make([]provenance.Attestation, provenance.MaxAttestations+1), wantErr: provenance.ErrTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := provenance.Verify(tc.root, tc.atts, testName, testVersion, tc.digest)
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
	att := `{"predicateType":"` + provenance.PredicateSLSAv1 + `","bundle":{"mediaType":"x"}}`
	docOf := func(n int) []byte {
		return []byte(`{"attestations":[` + strings.TrimSuffix(strings.Repeat(att+",", n), ",") + `]}`)
	}
	small := docOf(1)
	atSize := append(append([]byte{}, small...), bytes.Repeat([]byte(" "), provenance.MaxDocumentSize-len(small))...)
	tests := []struct {
		name    string
		doc     []byte
		wantN   int
		wantErr error
	}{
		{name: "one", doc: small, wantN: 1},
		{name: "empty list", doc: []byte(`{"attestations":[]}`), wantN: 0},
		{name: "at count limit", doc: docOf(provenance.MaxAttestations), wantN: provenance.MaxAttestations},
		{name: "over count limit", doc: docOf(provenance.MaxAttestations + 1), wantErr: provenance.ErrTooMany},
		{name: "at size limit", doc: atSize, wantN: 1},
		{name: "over size limit", doc: append(atSize, ' '), wantErr: provenance.ErrTooLarge},
		{name: "not JSON", doc: []byte("<html>"), wantErr: provenance.ErrMalformed},
		{name: "no attestations key", doc: []byte(`{}`), wantErr: provenance.ErrMalformed},
		{name: "attestation not an object", doc: []byte(`{"attestations":[1]}`), wantErr: provenance.ErrMalformed},
		{name: "predicateType wrong type", doc: []byte(`{"attestations":[{"predicateType":1}]}`), wantErr: provenance.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := provenance.Parse(tc.doc)
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
			if tc.wantN > 0 && (got[0].PredicateType != provenance.PredicateSLSAv1 || string(got[0].Bundle) != `{"mediaType":"x"}`) {
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
		if got := provenance.Purl(tc.name, tc.version); got != tc.want {
			t.Errorf("Purl(%q, %q) = %q, want %q", tc.name, tc.version, got, tc.want)
		}
	}
}

func defaultLeaf() provenancetest.Leaf { return provenancetest.DefaultLeaf(testRepo, testCommit) }
