package testenv

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
)

// GitHubWebhookExamplesEnv names the environment variable that may point at the api.github.com payloads
// of the npm package @octokit/webhooks-examples (api.github.com/index.json).
const GitHubWebhookExamplesEnv = "MCPVET_GITHUB_WEBHOOK_EXAMPLES"

// GitHubWebhookExamplesFile is where scripts/testdeps.sh installs them, relative to the repository root.
const GitHubWebhookExamplesFile = ".testdeps/node_modules/@octokit/webhooks-examples/api.github.com/index.json"

// webhookExamplesMaxBytes bounds the examples file read (7.6.1's is 4.3 MB).
const webhookExamplesMaxBytes = 32 << 20

// ErrWebhookExamplesMissing is returned (wrapped) when the webhook examples are not installed.
var ErrWebhookExamplesMissing = errors.New("@octokit/webhooks-examples not installed: run scripts/testdeps.sh")

// webhookExamplesOnce reads the examples once per process (a memoised read of a file that does not change).
var webhookExamplesOnce = sync.OnceValues(func() (map[string][]json.RawMessage, error) {
	path, err := testdepsPath(GitHubWebhookExamplesEnv, GitHubWebhookExamplesFile, ErrWebhookExamplesMissing)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open webhook examples: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, webhookExamplesMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read webhook examples %s: %w", path, err)
	}
	if len(data) > webhookExamplesMaxBytes {
		return nil, fmt.Errorf("webhook examples %s are over %d bytes", path, webhookExamplesMaxBytes)
	}
	var events []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(data, &events); err != nil {
		return nil, fmt.Errorf("decode webhook examples %s: %w", path, err)
	}
	out := map[string][]json.RawMessage{}
	for _, e := range events {
		out[e.Name] = append(out[e.Name], e.Examples...)
	}
	return out, nil
})

// WebhookExamples returns GitHub's real example payloads (from @octokit/webhooks-examples) of event
// ("pull_request", "check_run", …) whose action is action ("" for all), in the package's order. Each
// is a fresh copy the caller may change.
func WebhookExamples(event, action string) ([][]byte, error) {
	all, err := webhookExamplesOnce()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, ex := range all[event] {
		var head struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(ex, &head); err != nil {
			return nil, fmt.Errorf("webhook example of %s: %w", event, err)
		}
		if action == "" || head.Action == action {
			out = append(out, bytes.Clone(ex))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s example with action %q in @octokit/webhooks-examples", event, action)
	}
	return out, nil
}

// RequireWebhookExamples is RequireOpenAPI for the webhook examples: skipped locally when they are not
// installed, a failure under CI.
func RequireWebhookExamples(t SkipFataler) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	_, err := webhookExamplesOnce()
	switch {
	case err == nil:
	case errors.Is(err, ErrWebhookExamplesMissing) && os.Getenv("CI") == "":
		t.Skip("@octokit/webhooks-examples not installed: run scripts/testdeps.sh")
	default:
		t.Fatalf("webhook examples unavailable: %v", err)
	}
}

// SignWebhook returns the X-Hub-Signature-256 value GitHub sends with body: "sha256=" and the hex
// HMAC-SHA256 of the raw body keyed with secret.
func SignWebhook(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// NewWebhookRequest builds a delivery as GitHub sends it to an App's webhook URL: a JSON POST with
// X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256 (over the raw body with secret), the hook
// headers and GitHub's User-Agent. A redelivery reuses the delivery id.
func NewWebhookRequest(ctx context.Context, url, event, deliveryID string, body []byte, secret string, appID int64) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("webhook request to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/fake")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", deliveryID)
	req.Header.Set("X-GitHub-Hook-ID", "1")
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(appID, 10))
	req.Header.Set("X-Hub-Signature-256", SignWebhook(secret, body))
	return req, nil
}
