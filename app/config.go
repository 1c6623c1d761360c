package app

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ConfigFromEnv (DESIGN.md §4 names the first seven).
const (
	EnvAppID          = "MCPVET_APP_ID"           // the GitHub App's numeric id
	EnvPrivateKey     = "MCPVET_PRIVATE_KEY"      // the App's private key, PEM text
	EnvPrivateKeyFile = "MCPVET_PRIVATE_KEY_FILE" // or a file holding it
	EnvWebhookSecret  = "MCPVET_WEBHOOK_SECRET"   // the webhook secret; the server refuses to start without one
	EnvAPIURL         = "GITHUB_API_URL"          // REST API of the reviewed repositories' GitHub (GHES: https://HOST/api/v3)
	EnvDB             = "MCPVET_DB"               // sqlite:PATH (default sqlite:mcpvet.db) or postgres://…
	EnvListen         = "MCPVET_LISTEN"           // listen address, default :8080
	EnvWorkers        = "MCPVET_WORKERS"          // concurrent reviews per replica
	EnvJobTimeout     = "MCPVET_JOB_TIMEOUT"      // Go duration: one review attempt's deadline
	EnvRescueAfter    = "MCPVET_RESCUE_AFTER"     // Go duration: a job running this long is presumed orphaned (kill -9) and run again
	EnvMaxAttempts    = "MCPVET_MAX_ATTEMPTS"     // attempts per unit of work before it is discarded
)

// Defaults of the fields ConfigFromEnv and New fill in when they are unset.
const (
	DefaultAPIURL          = "https://api.github.com"
	DefaultDB              = "sqlite:mcpvet.db"
	DefaultListen          = ":8080"
	DefaultWorkers         = 4
	DefaultJobTimeout      = 10 * time.Minute
	DefaultMaxAttempts     = 8
	DefaultRetryBase       = 10 * time.Second
	DefaultRetryMax        = 10 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultRescueMargin is added to JobTimeout when RescueAfter is unset: River requires
	// RescueAfter ≥ JobTimeout, and a job still running past its own timeout is stuck.
	DefaultRescueMargin = time.Minute
)

// Limits on configuration values (the environment is operator input, but a typo must not make the
// server spawn a million goroutines or wait for a century).
const (
	// MaxWorkers bounds Workers.
	MaxWorkers = 256
	// MaxAttemptsLimit bounds MaxAttempts.
	MaxAttemptsLimit = 100
	// MaxDuration bounds JobTimeout and RescueAfter.
	MaxDuration = 24 * time.Hour
	// MaxPrivateKeyBytes bounds the private key read from MCPVET_PRIVATE_KEY_FILE.
	MaxPrivateKeyBytes = 64 << 10
)

// Config configures a Server. The zero value of every field but WebhookSecret means "the default".
// AppID, PrivateKey and APIURL are not used by the Server itself (it never calls GitHub): they are
// carried for whoever builds the Runner.
type Config struct {
	// AppID is the GitHub App's id. When set, check_run events for other Apps' check runs are ignored.
	AppID int64
	// PrivateKey is the App's PEM private key (for the Runner's installation tokens). Never logged.
	PrivateKey []byte
	// WebhookSecret verifies X-Hub-Signature-256. Required. Never logged.
	WebhookSecret []byte
	// APIURL is the REST API base of the GitHub that sends the webhooks (GITHUB_API_URL).
	APIURL string
	// DB is "sqlite:PATH" (the embedded default) or a postgres:// URL (several replicas share work).
	DB string
	// Listen is Run's listen address.
	Listen string
	// Workers is how many units of work one replica runs at once.
	Workers int
	// Logger receives JSON logs; nil means slog JSON on stderr.
	Logger *slog.Logger

	// JobTimeout is one attempt's deadline: the Runner's context is cancelled after it.
	JobTimeout time.Duration
	// RescueAfter (MCPVET_RESCUE_AFTER) is how long a job may stay `running` before River's rescuer
	// presumes its process dead (kill -9, lost node) and schedules it again; default JobTimeout +
	// DefaultRescueMargin. Must exceed JobTimeout. The rescuer runs on River's elected leader, once
	// when it is elected and then every 30 s (fixed by River); a killed leader's lease lapses after
	// ≤15 s; the rescued job is made runnable by River's scheduler (every 5 s). So a job killed with
	// its process runs again roughly max(RescueAfter, 15 s) to RescueAfter + 50 s after the kill
	// (measured with RescueAfter 2 s, JobTimeout 1 s: 19–22 s, on SQLite and PostgreSQL).
	RescueAfter time.Duration
	// MaxAttempts is how many times a unit of work is tried before it is discarded.
	MaxAttempts int
	// RetryBase and RetryMax shape the retry backoff: RetryBase·2^(failures-1), capped at RetryMax,
	// with ±10% jitter.
	RetryBase, RetryMax time.Duration
	// ShutdownTimeout bounds graceful shutdown: HTTP drain, then running jobs; jobs still running
	// after it are cancelled (and retried by whichever replica runs next).
	ShutdownTimeout time.Duration
	// FetchPollInterval is River's fallback poll for new jobs (0: River's default, 1 s); jobs are
	// normally picked up at once through River's notifications.
	FetchPollInterval time.Duration
}

// ConfigError is a configuration problem (exit code 2). Its message names the variable, never a secret.
type ConfigError struct {
	Var    string
	Reason string
}

// Error says which variable is wrong and why.
func (e *ConfigError) Error() string { return e.Var + ": " + e.Reason }

// ConfigFromEnv reads the serve configuration from the environment names above via getenv (os.Getenv
// in production). It requires MCPVET_APP_ID, a private key and a webhook secret, and validates every
// value; errors are *ConfigError (joined) and never echo a secret's value.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(v, format string, args ...any) {
		errs = append(errs, &ConfigError{Var: v, Reason: fmt.Sprintf(format, args...)})
	}
	var c Config

	if v := strings.TrimSpace(getenv(EnvAppID)); v == "" {
		bad(EnvAppID, "required (the GitHub App's numeric id)")
	} else if id, err := strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
		bad(EnvAppID, "not a positive integer: %q", truncate(v, 32))
	} else {
		c.AppID = id
	}

	key, keyFile := getenv(EnvPrivateKey), getenv(EnvPrivateKeyFile)
	switch {
	case key != "" && keyFile != "":
		bad(EnvPrivateKey, "set either %s or %s, not both", EnvPrivateKey, EnvPrivateKeyFile)
	case key != "":
		c.PrivateKey = []byte(key)
	case keyFile != "":
		b, err := readBounded(keyFile, MaxPrivateKeyBytes)
		if err != nil {
			bad(EnvPrivateKeyFile, "%v", err)
		} else {
			c.PrivateKey = b
		}
	default:
		bad(EnvPrivateKey, "required: the App's private key as PEM text, or %s naming a file", EnvPrivateKeyFile)
	}
	if len(c.PrivateKey) > 0 {
		if err := checkPrivateKey(c.PrivateKey); err != nil {
			v := EnvPrivateKey
			if keyFile != "" {
				v = EnvPrivateKeyFile
			}
			bad(v, "%v", err)
		}
	}

	if s := getenv(EnvWebhookSecret); s == "" {
		bad(EnvWebhookSecret, "required: mcpvet refuses unsigned webhooks")
	} else {
		c.WebhookSecret = []byte(s)
	}

	c.APIURL = strings.TrimSpace(getenv(EnvAPIURL))
	c.DB = strings.TrimSpace(getenv(EnvDB))
	c.Listen = strings.TrimSpace(getenv(EnvListen))
	if v := strings.TrimSpace(getenv(EnvWorkers)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(EnvWorkers, "not an integer: %q", truncate(v, 32))
		}
		c.Workers = n
	}
	if v := strings.TrimSpace(getenv(EnvMaxAttempts)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(EnvMaxAttempts, "not an integer: %q", truncate(v, 32))
		}
		c.MaxAttempts = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{EnvJobTimeout, &c.JobTimeout}, {EnvRescueAfter, &c.RescueAfter}} {
		v := strings.TrimSpace(getenv(d.name))
		if v == "" {
			continue
		}
		dur, err := time.ParseDuration(v)
		if err != nil || dur <= 0 {
			bad(d.name, "not a positive Go duration (like 90s or 15m): %q", truncate(v, 32))
			continue
		}
		*d.dst = dur
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := c.withDefaults(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// withDefaults fills unset fields and validates the result (as New does).
func (c *Config) withDefaults() error {
	var errs []error
	bad := func(v, format string, args ...any) {
		errs = append(errs, &ConfigError{Var: v, Reason: fmt.Sprintf(format, args...)})
	}
	if len(c.WebhookSecret) == 0 {
		bad(EnvWebhookSecret, "required: mcpvet refuses unsigned webhooks")
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		bad(EnvAPIURL, "not an http(s) URL without credentials: %q", truncate(redactURL(c.APIURL), 200))
	}
	if c.DB == "" {
		c.DB = DefaultDB
	}
	if _, _, err := parseDB(c.DB); err != nil {
		bad(EnvDB, "%v", err)
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		bad(EnvWorkers, "%d is outside 1..%d", c.Workers, MaxWorkers)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > MaxAttemptsLimit {
		bad(EnvMaxAttempts, "%d is outside 1..%d", c.MaxAttempts, MaxAttemptsLimit)
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = c.JobTimeout + DefaultRescueMargin
	}
	if c.JobTimeout < 0 || c.JobTimeout > MaxDuration {
		bad(EnvJobTimeout, "%s is outside (0, %s]", c.JobTimeout, MaxDuration)
	}
	if c.RescueAfter < 0 || c.RescueAfter > MaxDuration+DefaultRescueMargin {
		bad(EnvRescueAfter, "%s is outside (0, %s]", c.RescueAfter, MaxDuration+DefaultRescueMargin)
	}
	if c.RescueAfter <= c.JobTimeout {
		bad(EnvRescueAfter, "%s must be greater than %s (%s): a job is only presumed orphaned after its own timeout",
			c.RescueAfter, EnvJobTimeout, c.JobTimeout)
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.RetryMax <= 0 {
		c.RetryMax = DefaultRetryMax
	}
	c.RetryMax = max(c.RetryMax, c.RetryBase)
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.FetchPollInterval < 0 {
		c.FetchPollInterval = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return errors.Join(errs...)
}

// String describes the configuration for logs: secrets are reported as set or not, never shown.
func (c Config) String() string {
	return fmt.Sprintf("app_id=%d private_key=%s webhook_secret=%s api_url=%s db=%s listen=%s workers=%d job_timeout=%s rescue_after=%s max_attempts=%d",
		c.AppID, setOrNot(c.PrivateKey), setOrNot(c.WebhookSecret), c.APIURL, redactURL(c.DB), c.Listen, c.Workers,
		c.JobTimeout, c.RescueAfter, c.MaxAttempts)
}

// LogValue makes slog print Config through String, so a logged Config never carries a secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func setOrNot(b []byte) string {
	if len(b) == 0 {
		return "unset"
	}
	return "set"
}

// checkPrivateKey checks that key holds a PEM RSA private key GitHub could have issued, without ever
// quoting it.
func checkPrivateKey(key []byte) error {
	block, _ := pem.Decode(key)
	if block == nil {
		return errors.New("no PEM block found (expected -----BEGIN RSA PRIVATE KEY-----)")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return errors.New("PEM block is not a valid PKCS#1 RSA private key")
		}
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return errors.New("PEM block is not a valid PKCS#8 private key")
		}
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return errors.New("PKCS#8 key is not an RSA key (GitHub Apps sign with RSA)")
		}
	default:
		return fmt.Errorf("PEM block is a %q, not a private key", truncate(block.Type, 40))
	}
	return nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError: "open PATH: …"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return b, nil
}

// dbKind says which database a DB string names.
type dbKind int

const (
	dbSQLite dbKind = iota + 1
	dbPostgres
)

// parseDB splits a DB string into its kind and the driver's data source: a file path for SQLite, the
// URL itself for PostgreSQL. Errors never include a password.
func parseDB(s string) (dbKind, string, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if p == "" {
			return 0, "", errors.New("sqlite: needs a file path (sqlite:PATH)")
		}
		if strings.ContainsAny(p, "?#\x00") {
			return 0, "", fmt.Errorf("sqlite path %q must not contain ?, # or NUL", truncate(p, 200))
		}
		return dbSQLite, p, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return 0, "", fmt.Errorf("not a valid postgres:// URL: %q", truncate(redactURL(s), 200))
		}
		return dbPostgres, s, nil
	default:
		return 0, "", fmt.Errorf("%q is neither sqlite:PATH nor postgres://…", truncate(redactURL(s), 200))
	}
}

// redactURL hides a URL's password (the only secret a DB or API URL may carry). A URL that does not
// parse loses everything between "://" and its last "@" (a password may itself hold an "@").
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.LastIndex(s, "@"); i >= 0 && strings.Contains(s, "://") {
			return s[:strings.Index(s, "://")+3] + "xxxxx" + s[i:]
		}
		return s
	}
	return u.Redacted()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
