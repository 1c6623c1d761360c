package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpvet/mcpvet/analysis/finding"
)

// Rule ids of the findings IdentityFindings makes.
const (
	// RuleFork: the claimed upstream is a fork of another repository.
	RuleFork = "source/fork"
	// RuleArchived: the claimed upstream is archived (read-only, no longer maintained).
	RuleArchived = "source/archived"
	// RuleYoungRepository: the claimed upstream was created less than YoungRepositoryAge before the review.
	RuleYoungRepository = "source/young-repository"
	// RuleIdentityUnknown: the upstream's host could not be asked (rate limit, outage), so whether the
	// repository is a fork, archived or new is unknown — reported, never assumed fine.
	RuleIdentityUnknown = "source/identity-unknown"
)

// Rules lists the rules of IdentityFindings with their default severities, in documentation order.
func Rules() []finding.Rule {
	return []finding.Rule{
		{ID: RuleFork, Severity: finding.Warn, Summary: "the claimed upstream repository is a fork of another repository"},
		{ID: RuleArchived, Severity: finding.Warn, Summary: "the claimed upstream repository is archived"},
		{ID: RuleYoungRepository, Severity: finding.Warn, Summary: "the claimed upstream repository was created less than 30 days ago"},
		{ID: RuleIdentityUnknown, Severity: finding.Info, Summary: "the upstream's host could not say whether the repository is a fork, archived or new"},
	}
}

// DefaultGitHubAPIURL is where github.com claims are looked up when IdentityClient.APIURL is empty.
const DefaultGitHubAPIURL = "https://api.github.com"

// Environment variables IdentityClientFromEnv reads. GITHUB_API_URL and GITHUB_TOKEN are never read:
// they name the server of the reviewed repository, not the host upstreams claim.
const (
	EnvGitHubAPIURL = "MCPVET_GITHUB_API_URL"
	EnvGitHubToken  = "MCPVET_GITHUB_TOKEN"
)

// Bounds of a repository lookup; the host's answer is hostile input.
const (
	// MaxIdentityBodyBytes bounds the body of the host's answer (GitHub's full repository object is
	// about 6 KiB; an organisation-owned fork with parent and source about 20 KiB).
	MaxIdentityBodyBytes = 1 << 20
	// MaxIdentityRedirects bounds the redirects followed (GitHub answers 301 for renamed repositories).
	MaxIdentityRedirects = 5
	// MaxIdentityBranchLength bounds the default branch name accepted from the host, in bytes.
	MaxIdentityBranchLength = 255
)

// YoungRepositoryAge is the age under which a repository is reported as young (RuleYoungRepository):
// a repository created shortly before a release is typical of a throwaway copy published under a
// trusted-looking name.
const YoungRepositoryAge = 30 * 24 * time.Hour

// ErrUnsupportedHost reports a claim on a host whose API IdentityClient does not speak (anything but
// github.com).
var ErrUnsupportedHost = errors.New("unsupported repository host")

// Identity is what the upstream's host says about a repository.
type Identity struct {
	// FullName is "owner/repo" as the host spells it now (it differs from the claim after a rename).
	FullName string
	// Fork is true when the repository is a fork; Parent is the repository it was forked from
	// ("owner/repo"), empty when the host does not show it.
	Fork   bool
	Parent string
	// Archived is true when the repository is archived.
	Archived bool
	// Created is when the repository was created.
	Created time.Time
	// DefaultBranch is the repository's default branch.
	DefaultBranch string
	// URL is the API URL that was asked (evidence for findings; never carries credentials).
	URL string
}

// IdentityClient asks the API of the host a claim names. For github.com claims that is APIURL
// (MCPVET_GITHUB_API_URL, default https://api.github.com) with Token (MCPVET_GITHUB_TOKEN) when set —
// never GITHUB_API_URL, which names the reviewed repository's server.
type IdentityClient struct {
	// APIURL is the base URL of GitHub's REST API; empty means DefaultGitHubAPIURL.
	APIURL string
	// Token, when set, is sent as a bearer token to APIURL's origin only (never after a redirect to
	// another scheme, host or port).
	Token string
	// HTTPClient makes the requests; nil means http.DefaultClient. Its redirect policy is wrapped, not
	// replaced.
	HTTPClient *http.Client
}

// IdentityClientFromEnv returns a client configured from MCPVET_GITHUB_API_URL and MCPVET_GITHUB_TOKEN,
// read with getenv (os.Getenv in production).
func IdentityClientFromEnv(getenv func(string) string) *IdentityClient {
	return &IdentityClient{APIURL: getenv(EnvGitHubAPIURL), Token: getenv(EnvGitHubToken)}
}

// repoJSON is the part of GitHub's full-repository object Lookup reads.
type repoJSON struct {
	FullName      string `json:"full_name"`
	Fork          bool   `json:"fork"`
	Archived      bool   `json:"archived"`
	CreatedAt     string `json:"created_at"`
	DefaultBranch string `json:"default_branch"`
	Parent        *struct {
		FullName string `json:"full_name"`
	} `json:"parent"`
}

// Lookup asks the host of cl about the repository (GitHub: GET /repos/{owner}/{repo}). It returns
// ErrUnsupportedHost for claims on other hosts, ErrInvalidClaim for claims that fail validation,
// ErrRepoNotFound when the host answers 404, ErrTooLarge when the answer exceeds MaxIdentityBodyBytes,
// and an error for any other status or a malformed answer.
func (c *IdentityClient) Lookup(ctx context.Context, cl Claim) (*Identity, error) {
	if cl.Host != hostGitHub {
		return nil, fmt.Errorf("look up %s: %w: %q", cl, ErrUnsupportedHost, truncate(cl.Host, 80))
	}
	if err := cl.validate(); err != nil {
		return nil, fmt.Errorf("look up %s: %w", cl, err)
	}
	base, err := c.base()
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", cl, err)
	}
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + "/repos/" + cl.Owner + "/" + cl.Repo
	u.RawPath = ""
	apiURL := u.String()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL, nil)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", cl, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "mcpvet")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.client(base).Do(req)
	if err != nil {
		return nil, fmt.Errorf("look up %s at %s: %w", cl, apiURL, scrubURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("look up %s at %s: %w", cl, apiURL, ErrRepoNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("look up %s at %s: unexpected status %d", cl, apiURL, resp.StatusCode)
	}
	if resp.ContentLength > MaxIdentityBodyBytes {
		return nil, fmt.Errorf("look up %s at %s: %w: body is %d bytes (limit %d)", cl, apiURL, ErrTooLarge, resp.ContentLength, MaxIdentityBodyBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxIdentityBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("look up %s at %s: read body: %w", cl, apiURL, err)
	}
	if len(body) > MaxIdentityBodyBytes {
		return nil, fmt.Errorf("look up %s at %s: %w: body exceeds %d bytes", cl, apiURL, ErrTooLarge, MaxIdentityBodyBytes)
	}
	id, err := parseIdentity(body)
	if err != nil {
		return nil, fmt.Errorf("look up %s at %s: %w", cl, apiURL, err)
	}
	id.URL = apiURL
	return id, nil
}

// base parses APIURL.
func (c *IdentityClient) base() (*url.URL, error) {
	raw := c.APIURL
	if raw == "" {
		raw = DefaultGitHubAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("github api url: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("github api url %q: want http(s)://host[/path] without credentials, query or fragment", truncate(u.Redacted(), 200))
	}
	return u, nil
}

// client returns a copy of HTTPClient whose redirect policy follows at most MaxIdentityRedirects
// redirects and drops the Authorization header on any request that leaves base's origin (Go's own
// policy keeps it for another port of the same host).
func (c *IdentityClient) client(base *url.URL) *http.Client {
	hc := http.Client{}
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxIdentityRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrTooLarge, MaxIdentityRedirects)
		}
		if !strings.EqualFold(req.URL.Scheme, base.Scheme) || !strings.EqualFold(req.URL.Host, base.Host) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &hc
}

// scrubURLError drops the URL a transport error repeats (Lookup names it already), keeping the cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseIdentity decodes and validates a full-repository object.
func parseIdentity(body []byte) (*Identity, error) {
	var r repoJSON
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decode repository: %w", err)
	}
	if err := validateFullName(r.FullName); err != nil {
		return nil, fmt.Errorf("repository full_name: %w", err)
	}
	created, err := time.Parse(time.RFC3339, r.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("repository created_at %q: not an RFC 3339 time", truncate(r.CreatedAt, 80))
	}
	if !validBranchName(r.DefaultBranch) {
		return nil, fmt.Errorf("repository default_branch %q: not a branch name", truncate(r.DefaultBranch, 80))
	}
	id := &Identity{
		FullName: r.FullName, Fork: r.Fork, Archived: r.Archived, Created: created.UTC(),
		DefaultBranch: r.DefaultBranch,
	}
	if r.Parent != nil {
		if err := validateFullName(r.Parent.FullName); err != nil {
			return nil, fmt.Errorf("repository parent.full_name: %w", err)
		}
		id.Parent = r.Parent.FullName
	}
	return id, nil
}

// validateFullName checks "owner/repo" as GitHub spells it.
func validateFullName(s string) error {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Errorf("%w: %q is not owner/repo", ErrInvalidClaim, truncate(s, 80))
	}
	if err := validateName(owner); err != nil {
		return err
	}
	return validateName(repo)
}

// validBranchName accepts a non-empty, bounded, printable UTF-8 name.
func validBranchName(s string) bool {
	if s == "" || len(s) > MaxIdentityBranchLength || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == ' ' {
			return false
		}
	}
	return true
}

// IdentityFindings turns an identity into findings: RuleFork when the repository is a fork,
// RuleArchived when it is archived, RuleYoungRepository when it was created less than
// YoungRepositoryAge before now. Each carries the API URL and the fields it rests on as evidence.
func IdentityFindings(id *Identity, now time.Time) []finding.Finding {
	if id == nil {
		return nil
	}
	name := hostGitHub + "/" + id.FullName
	evidence := func(fields string) string { return "GET " + id.URL + ": " + fields }
	var out []finding.Finding
	if id.Fork {
		f := newFinding(RuleFork, name+" is a fork (its parent is not shown)")
		parent := "null"
		if id.Parent != "" {
			f.Message = name + " is a fork of " + id.Parent
			parent = id.Parent
		}
		f.Evidence = evidence(fmt.Sprintf("full_name=%s fork=true parent.full_name=%s", id.FullName, parent))
		out = append(out, f)
	}
	if id.Archived {
		f := newFinding(RuleArchived, name+" is archived: its owner marked it read-only and no longer maintains it")
		f.Evidence = evidence(fmt.Sprintf("full_name=%s archived=true", id.FullName))
		out = append(out, f)
	}
	if !id.Created.IsZero() && now.Sub(id.Created) < YoungRepositoryAge {
		age := now.Sub(id.Created)
		when := fmt.Sprintf("%d days ago", int(age/(24*time.Hour)))
		switch {
		case age < 0:
			when = "in the future"
		case age < 24*time.Hour:
			when = "less than a day ago"
		case age < 48*time.Hour:
			when = "1 day ago"
		}
		f := newFinding(RuleYoungRepository, fmt.Sprintf("%s was created %s (%s), less than %d days before this review",
			name, when, id.Created.UTC().Format(time.DateOnly), int(YoungRepositoryAge/(24*time.Hour))))
		f.Evidence = evidence(fmt.Sprintf("full_name=%s created_at=%s", id.FullName, id.Created.UTC().Format(time.RFC3339)))
		out = append(out, f)
	}
	return out
}

// newFinding makes a finding for one of this package's rules with its default severity.
func newFinding(id, message string) finding.Finding {
	for _, r := range Rules() {
		if r.ID == id {
			return finding.Finding{Rule: id, Severity: r.Severity, Message: message, Unverified: r.Unverified}
		}
	}
	return finding.Finding{Rule: id, Message: message}
}
