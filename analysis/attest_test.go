package analysis_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/provenance"
	"github.com/mcpvet/mcpvet/analysis/provenance/provenancetest"
	"github.com/mcpvet/mcpvet/analysis/registry"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// TestProvenance publishes versions of the mailpost-mcp fixture tree with npm provenance and checks what the
// engine makes of it: a verified attestation wins over gitHead, a wrong repository or a tampered bundle
// blocks, and without a trusted root the provenance is reported unchecked.
func TestProvenance(t *testing.T) {
	const repo = "ExampleMail/mailpost-mcp"
	commits := world.Commits[repo]
	if len(commits) < 2 {
		t.Fatalf("fixture repository %s has %d commits", repo, len(commits))
	}
	first, last := commits[0], commits[len(commits)-1]
	files := map[string][]byte{}
	for name, content := range fixturesTree(t, repo, 1) {
		files[name] = []byte(content)
	}
	tgz := testenv.BuildTarball("package", files)
	sum := sha512.Sum512(tgz)
	pki := provenancetest.New(t)
	// GitHub names are case-insensitive: the attested URL need not match the claim's case.
	attestedURL := "https://github.com/examplemail/mailpost-mcp"

	rootPath := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(rootPath, pki.TrustedRoot, 0o600); err != nil {
		t.Fatal(err)
	}
	withRoot := func(t *testing.T, root bool, tufDown bool) *analysis.Engine {
		env := world.Env(t.TempDir())
		if root {
			env[analysis.EnvSigstoreTrustedRoot] = rootPath
		}
		if tufDown { // the public-good root through TUF, from a mirror that cannot be reached
			env[analysis.EnvSigstoreTrustedRoot] = analysis.TrustedRootTUF
			env[analysis.EnvSigstoreTUFURL] = "http://127.0.0.1:1"
		}
		cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, "", slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return analysis.New(cfg)
	}

	tests := []struct {
		name      string
		doc       func(name string) []byte // attestations document; nil serves none (404)
		noRoot    bool
		tufDown   bool
		wantRule  string
		wantUnver bool
		verified  bool
		commit    string
		by        string
		gitHead   string // the packument's gitHead; "" means the repository's last commit
	}{
		{name: "attested-ok-mcp", verified: true, commit: first, by: analysis.ResolvedByProvenance, gitHead: first,
			doc: func(n string) []byte {
				return provenancetest.Document(t, pki.Bundle(t, n, "1.0.0", sum[:], attestedURL, first))
			}},
		{name: "attested-githead-differs-mcp", wantRule: finding.RuleProvenanceCommit, verified: true, commit: first, by: analysis.ResolvedByProvenance,
			doc: func(n string) []byte {
				return provenancetest.Document(t, pki.Bundle(t, n, "1.0.0", sum[:], attestedURL, first))
			}},
		{name: "attested-commit-missing-mcp", wantRule: finding.RuleProvenanceCommit, commit: last, by: "gitHead",
			doc: func(n string) []byte {
				return provenancetest.Document(t, pki.Bundle(t, n, "1.0.0", sum[:], attestedURL, strings.Repeat("ab", 20)))
			}},
		{name: "attested-wrong-repo-mcp", wantRule: finding.RuleProvenanceMismatch, commit: last, by: "gitHead",
			doc: func(n string) []byte {
				return provenancetest.Document(t, pki.Bundle(t, n, "1.0.0", sum[:], "https://github.com/mallory/mailpost-mcp", first))
			}},
		{name: "attested-tampered-mcp", wantRule: finding.RuleProvenanceInvalid, commit: last, by: "gitHead",
			doc: func(n string) []byte {
				stmt := provenancetest.Statement(t, provenance.Purl(n, "1.0.0"), sum[:], attestedURL, first)
				forged := provenancetest.Statement(t, provenance.Purl(n, "1.0.0"), sum[:], attestedURL, strings.Repeat("0", 40))
				b := pki.Sign(t, pki.Fulcio, provenancetest.DefaultLeaf(attestedURL, first), stmt)
				tampered := bytes.Replace(b, []byte(base64.StdEncoding.EncodeToString(stmt)), []byte(base64.StdEncoding.EncodeToString(forged)), 1)
				if bytes.Equal(tampered, b) {
					t.Fatal("bundle payload not found to tamper with")
				}
				return provenancetest.Document(t, tampered)
			}},
		{name: "attested-tuf-down-mcp", tufDown: true, wantRule: finding.RuleProvenanceInvalid, wantUnver: true, commit: last, by: "gitHead",
			doc: func(n string) []byte {
				return provenancetest.Document(t, pki.Bundle(t, n, "1.0.0", sum[:], attestedURL, first))
			}},
		{name: "attested-missing-doc-mcp", wantRule: finding.RuleProvenanceInvalid, wantUnver: true, commit: last, by: "gitHead"},
		{name: "attested-unchecked-mcp", noRoot: true, wantRule: finding.RuleProvenanceUnchecked, commit: last, by: "gitHead",
			doc: func(n string) []byte {
				return provenancetest.Document(t, pki.Bundle(t, n, "1.0.0", sum[:], attestedURL, first))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := testenv.Version{
				Manifest: map[string]any{
					"repository": map[string]any{"type": "git", "url": "git+https://github.com/" + repo + ".git"},
					"gitHead":    cmp.Or(tc.gitHead, last),
					"keywords":   []any{"mcp"},
				},
				Tarball: tgz,
			}
			if tc.doc != nil {
				v.AttestationsDoc = tc.doc(tc.name)
			} else {
				v.Attestations = map[string]any{"url": world.RegistryURL + "-/npm/v1/attestations/" + tc.name + "@1.0.0",
					"provenance": map[string]any{"predicateType": provenance.PredicateSLSAv1}}
			}
			world.Registry.Publish(tc.name, "1.0.0", v)
			rep, err := withRoot(t, !tc.noRoot, tc.tufDown).Check(context.Background(), []analysis.Request{{Name: tc.name, To: "1.0.0", MCP: true}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Packages) != 1 || rep.Packages[0].Upstream == nil {
				t.Fatalf("report %+v", rep)
			}
			p := rep.Packages[0]
			var got []string
			found := false
			for _, f := range p.Findings {
				got = append(got, f.Rule+": "+f.Message)
				if strings.HasPrefix(f.Rule, "publish/provenance-") {
					if f.Rule != tc.wantRule {
						t.Errorf("unexpected finding %s: %s", f.Rule, f.Message)
					}
					found = true
					if f.Unverified != tc.wantUnver {
						t.Errorf("%s unverified = %v, want %v", f.Rule, f.Unverified, tc.wantUnver)
					}
				}
			}
			if tc.wantRule != "" && !found {
				t.Errorf("no %s finding in %q", tc.wantRule, got)
			}
			u := p.Upstream
			if u.Verified != tc.verified || u.Commit != tc.commit || u.ResolvedBy != tc.by {
				t.Errorf("upstream verified=%v commit=%s by=%q, want %v %s %q; notes %q; findings %q",
					u.Verified, u.Commit, u.ResolvedBy, tc.verified, tc.commit, tc.by, u.Notes, got)
			}
		})
	}
}

// TestAttestationsLimitAgrees: the registry client downloads at most what provenance.Parse accepts.
func TestAttestationsLimitAgrees(t *testing.T) {
	if registry.MaxAttestationsSize != provenance.MaxDocumentSize {
		t.Errorf("registry.MaxAttestationsSize = %d, provenance.MaxDocumentSize = %d", registry.MaxAttestationsSize, provenance.MaxDocumentSize)
	}
}
