package ghapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestAppInstallationClients(t *testing.T) {
	base, head := simpleTrees()
	g, url := newFake(t, base, head, nil)
	_, pemKey := appKey(t)
	app, err := NewAppWithOptions(AppAuth{AppID: tAppID, PrivateKey: pemKey, APIURL: url}, nil, TransportOptions{MinWriteInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c1, err := app.Client(tInstall)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := app.Client(tInstall)
	if c1 != c2 {
		t.Error("a second Client call built a second client")
	}
	for range 3 {
		if _, _, err := c1.PullRequests.Get(ctx, tOwner, tRepo, tPull); err != nil {
			t.Fatal(err)
		}
	}
	// One installation token serves every request until it nears expiry.
	if n := len(requestsTo(g, "POST /app/installations/{installation_id}/access_tokens")); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	tok, err := app.Token(ctx, tInstall)
	if err != nil || !strings.HasPrefix(tok, "ghs_") {
		t.Errorf("Token = %q…, %v", tok[:min(len(tok), 4)], err)
	}
	if login, err := app.Login(ctx); err != nil || login != "mcpvet[bot]" {
		t.Errorf("Login = %q, %v", login, err)
	}
	// An installation the App does not have: the token request fails, permanently.
	c3, err := app.Client(999)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c3.PullRequests.Get(ctx, tOwner, tRepo, tPull)
	if err == nil || !Permanent(err) || StatusCode(err) != 404 {
		t.Errorf("unknown installation: err = %v (status %d)", err, StatusCode(err))
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("the error shows the key")
	}
	if _, err := app.Client(0); err == nil {
		t.Error("installation 0 accepted")
	}
}

func TestNewAppErrors(t *testing.T) {
	_, pemKey := appKey(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})
	rsaPKCS8, _ := x509.MarshalPKCS8PrivateKey(testKey)
	// A PEM key padded to exactly maxPrivateKeyBytes (pem.Decode ignores what follows the block).
	atLimit := append(bytes.Clone(pemKey), bytes.Repeat([]byte("\n"), maxPrivateKeyBytes-len(pemKey))...)
	tests := []struct {
		name string
		auth AppAuth
		ok   bool
	}{
		{"PKCS#1", AppAuth{AppID: 1, PrivateKey: pemKey}, true},
		{"PKCS#8", AppAuth{AppID: 1, PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaPKCS8})}, true},
		{"GHES URL", AppAuth{AppID: 1, PrivateKey: pemKey, APIURL: "https://ghe.example/api/v3/"}, true},
		{"no app id", AppAuth{PrivateKey: pemKey}, false},
		{"no key", AppAuth{AppID: 1}, false},
		{"not PEM", AppAuth{AppID: 1, PrivateKey: []byte("secret-not-pem")}, false},
		{"EC key", AppAuth{AppID: 1, PrivateKey: ecPEM}, false},
		{"key at the size limit", AppAuth{AppID: 1, PrivateKey: atLimit}, true},
		{"key over the size limit", AppAuth{AppID: 1, PrivateKey: append(bytes.Clone(atLimit), '\n')}, false},
		{"huge key", AppAuth{AppID: 1, PrivateKey: make([]byte, maxPrivateKeyBytes+1)}, false},
		{"bad URL", AppAuth{AppID: 1, PrivateKey: pemKey, APIURL: "ftp://x"}, false},
		{"URL with credentials", AppAuth{AppID: 1, PrivateKey: pemKey, APIURL: "https://user:pw@ghe.example/api/v3"}, false},
		{"unparsable URL with credentials", AppAuth{AppID: 1, PrivateKey: pemKey, APIURL: "https://user:p@w%zz@ghe.example/api/v3"}, false},
	}
	for _, tc := range tests {
		_, err := NewApp(tc.auth, nil)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if err != nil && (strings.Contains(err.Error(), "secret-not-pem") || strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), "w%zz")) {
			t.Errorf("%s: error shows a secret: %v", tc.name, err)
		}
	}
	if _, err := NewTokenClient("", " ", nil); err == nil {
		t.Error("an empty token accepted")
	}
}

func TestClientURLs(t *testing.T) {
	tests := []struct{ api, base, upload string }{
		{"", "https://api.github.com/", "https://uploads.github.com/"},
		{"https://ghe.example/api/v3", "https://ghe.example/api/v3/", "https://ghe.example/api/uploads/"},
		{"https://ghe.example/api/v3/", "https://ghe.example/api/v3/", "https://ghe.example/api/uploads/"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/"},
	}
	for _, tc := range tests {
		api, err := apiBase(tc.api)
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(nil, api)
		if c.BaseURL.String() != tc.base || c.UploadURL.String() != tc.upload {
			t.Errorf("%q: base %s upload %s", tc.api, c.BaseURL, c.UploadURL)
		}
	}
	var _ *github.Client = newClient(nil, DefaultAPIURL)
}

func TestAppInstallationCacheBound(t *testing.T) {
	_, pemKey := appKey(t)
	app, err := NewApp(AppAuth{AppID: 1, PrivateKey: pemKey, APIURL: "http://127.0.0.1:1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := app.installation(1)
	for id := int64(1); id <= MaxCachedInstallations; id++ {
		if _, err := app.installation(id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(app.installs); n != MaxCachedInstallations {
		t.Fatalf("%d installations cached at the limit", n)
	}
	if again, _ := app.installation(1); again != first {
		t.Error("an installation was dropped below the limit")
	}
	if _, err := app.installation(MaxCachedInstallations + 1); err != nil {
		t.Fatal(err)
	}
	if n := len(app.installs); n != MaxCachedInstallations {
		t.Errorf("%d installations cached beyond the limit", n)
	}
}
