package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func TestConfigFromEnv(t *testing.T) {
	key := testKeyPEM(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	// A key file exactly at the limit (the PEM, then padding) is read; one byte more is refused.
	atLimit := filepath.Join(dir, "at-limit.pem")
	os.WriteFile(atLimit, []byte(key+strings.Repeat("\n", MaxPrivateKeyBytes-len(key))), 0o600)
	overLimit := filepath.Join(dir, "over-limit.pem")
	os.WriteFile(overLimit, []byte(key+strings.Repeat("\n", MaxPrivateKeyBytes-len(key)+1)), 0o600)

	base := map[string]string{EnvAppID: "12345", EnvPrivateKey: key, EnvWebhookSecret: "s3cret-value"}
	tests := []struct {
		name    string
		env     map[string]string // merged over base; "" deletes
		wantErr string            // substring; "" = valid
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.AppID != 12345 || c.DB != DefaultDB || c.Listen != DefaultListen || c.Workers != DefaultWorkers ||
				c.APIURL != DefaultAPIURL || c.JobTimeout != DefaultJobTimeout || c.RescueAfter != DefaultJobTimeout+DefaultRescueMargin ||
				c.MaxAttempts != DefaultMaxAttempts || string(c.WebhookSecret) != "s3cret-value" {
				t.Errorf("config %s", c)
			}
		}},
		{name: "everything set", env: map[string]string{EnvDB: "postgres://u:pw@db.internal:5432/mcpvet", EnvListen: "127.0.0.1:9000",
			EnvWorkers: "16", EnvAPIURL: "https://ghe.example.com/api/v3", EnvJobTimeout: "5s", EnvRescueAfter: "6s", EnvMaxAttempts: "3"},
			check: func(t *testing.T, c Config) {
				if c.Workers != 16 || c.Listen != "127.0.0.1:9000" || c.JobTimeout != 5*time.Second || c.RescueAfter != 6*time.Second ||
					c.MaxAttempts != 3 || c.APIURL != "https://ghe.example.com/api/v3" {
					t.Errorf("config %s", c)
				}
			}},
		{name: "key from file", env: map[string]string{EnvPrivateKey: "", EnvPrivateKeyFile: keyFile}},
		{name: "key file at the limit", env: map[string]string{EnvPrivateKey: "", EnvPrivateKeyFile: atLimit}},
		{name: "key file over the limit", env: map[string]string{EnvPrivateKey: "", EnvPrivateKeyFile: overLimit}, wantErr: "over 65536 bytes"},
		{name: "key file missing", env: map[string]string{EnvPrivateKey: "", EnvPrivateKeyFile: filepath.Join(dir, "nope")}, wantErr: EnvPrivateKeyFile},
		{name: "both key and key file", env: map[string]string{EnvPrivateKeyFile: keyFile}, wantErr: "not both"},
		{name: "no key", env: map[string]string{EnvPrivateKey: ""}, wantErr: EnvPrivateKey + ": required"},
		{name: "key not PEM", env: map[string]string{EnvPrivateKey: "not-a-key-SECRETMATERIAL"}, wantErr: "no PEM block"},
		{name: "key PEM of something else", env: map[string]string{EnvPrivateKey: "-----BEGIN CERTIFICATE-----\nU0VDUkVUTUFURVJJQUw=\n-----END CERTIFICATE-----\n"}, wantErr: `"CERTIFICATE", not a private key`},
		{name: "key PKCS#8 not RSA", env: map[string]string{EnvPrivateKey: ecKey}, wantErr: "not an RSA key"},
		{name: "key PEM damaged", env: map[string]string{EnvPrivateKey: "-----BEGIN RSA PRIVATE KEY-----\nU0VDUkVUTUFURVJJQUw=\n-----END RSA PRIVATE KEY-----\n"}, wantErr: "not a valid PKCS#1"},
		{name: "no secret", env: map[string]string{EnvWebhookSecret: ""}, wantErr: EnvWebhookSecret + ": required"},
		{name: "no app id", env: map[string]string{EnvAppID: ""}, wantErr: EnvAppID + ": required"},
		{name: "app id not a number", env: map[string]string{EnvAppID: "twelve"}, wantErr: "not a positive integer"},
		{name: "app id negative", env: map[string]string{EnvAppID: "-4"}, wantErr: "not a positive integer"},
		{name: "workers at the limit", env: map[string]string{EnvWorkers: fmt.Sprint(MaxWorkers)}},
		{name: "workers over the limit", env: map[string]string{EnvWorkers: fmt.Sprint(MaxWorkers + 1)}, wantErr: "outside 1..256"},
		{name: "workers negative", env: map[string]string{EnvWorkers: "-1"}, wantErr: "outside 1..256"},
		{name: "max attempts at the limit", env: map[string]string{EnvMaxAttempts: fmt.Sprint(MaxAttemptsLimit)}},
		{name: "max attempts over the limit", env: map[string]string{EnvMaxAttempts: fmt.Sprint(MaxAttemptsLimit + 1)}, wantErr: "outside 1..100"},
		{name: "job timeout at the limit", env: map[string]string{EnvJobTimeout: MaxDuration.String()}},
		{name: "job timeout over the limit", env: map[string]string{EnvJobTimeout: (MaxDuration + time.Second).String()}, wantErr: EnvJobTimeout},
		{name: "rescue not after the timeout", env: map[string]string{EnvJobTimeout: "10s", EnvRescueAfter: "10s"}, wantErr: "must be greater than"},
		{name: "rescue after not a duration", env: map[string]string{EnvRescueAfter: "soon"}, wantErr: "not a positive Go duration"},
		{name: "db sqlite", env: map[string]string{EnvDB: "sqlite:/var/lib/mcpvet/q.db"}},
		{name: "db sqlite without path", env: map[string]string{EnvDB: "sqlite:"}, wantErr: "needs a file path"},
		{name: "db sqlite with query", env: map[string]string{EnvDB: "sqlite:x.db?_pragma=foo"}, wantErr: "must not contain"},
		{name: "db unknown", env: map[string]string{EnvDB: "mysql://u:hunter2@h/db"}, wantErr: "neither sqlite:PATH nor postgres"},
		{name: "api url not http", env: map[string]string{EnvAPIURL: "ftp://x"}, wantErr: EnvAPIURL},
		{name: "api url with credentials", env: map[string]string{EnvAPIURL: "https://u:hunter2@ghe.example.com/api/v3"}, wantErr: EnvAPIURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := ConfigFromEnv(func(k string) string { return env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ConfigFromEnv: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Errorf("error %T is not a *ConfigError", err)
				}
			}
			// Nothing secret ever shows: not in errors, not in the printed config.
			out := fmt.Sprint(err) + c.String() + c.LogValue().String()
			for _, secret := range []string{"s3cret-value", "SECRETMATERIAL", "U0VDUkVUTUFURVJJQUw", "hunter2", "pw@", "PRIVATE KEY-----\nMII"} {
				if strings.Contains(out, secret) {
					t.Errorf("output reveals %q: %s", secret, out)
				}
			}
		})
	}
}

func TestNewRefusesNoSecret(t *testing.T) {
	_, err := New(t.Context(), Config{DB: "sqlite:" + t.TempDir() + "/x.db"}, newFakeRunner(nil))
	if err == nil || !strings.Contains(err.Error(), EnvWebhookSecret) {
		t.Fatalf("New without a webhook secret: %v", err)
	}
	if _, err := New(t.Context(), Config{WebhookSecret: []byte("x")}, nil); err == nil {
		t.Fatal("New accepted a nil Runner")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:hunter2@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://h/db":               "postgres://h/db",
		"sqlite:mcpvet.db":              "sqlite:mcpvet.db",
		"postgres://u:hun%zzter2@h/db":  "postgres://xxxxx@h/db",
		"postgres://u:hun@t%zzer2@h/db": "postgres://xxxxx@h/db", // an unparsable password holding "@"
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
