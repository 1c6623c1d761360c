package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Claim names an upstream repository a package claims (or is guessed) to be
// built from.
type Claim struct {
	// Host is the lower-case host name, with ":port" only when a URL gave a
	// non-default HTTP(S) port, e.g. "github.com".
	Host string
	// Owner is the account, or for non-GitHub hosts the group path (which may
	// contain '/', e.g. GitLab subgroups).
	Owner string
	// Repo is the repository name without ".git".
	Repo string
	// Directory is the package folder in the repository: repository.directory,
	// or the /tree/<ref>/<dir> part of a URL; "" for the root. Always clean,
	// relative and free of "..".
	Directory string
	// Ref is a committish from a #fragment or /tree/<ref>/, if any.
	Ref string
	// Inferred is true when the claim was guessed (homepage, bugs, README)
	// rather than stated in `repository`.
	Inferred bool
	// Source says where the claim came from: "repository", "homepage",
	// "bugs.url" or "README".
	Source string
	// Raw is the original text the claim was parsed from.
	Raw string
}

// String returns "host/owner/repo", e.g. "github.com/owner/repo", for reports.
// The directory is not included.
func (c Claim) String() string {
	return c.Host + "/" + c.Owner + "/" + c.Repo
}

// key identifies the repository a claim names, for de-duplication; GitHub
// names are case-insensitive.
func (c Claim) key() string {
	if c.Host == hostGitHub {
		return strings.ToLower(c.String())
	}
	return c.String()
}

// validate re-checks a claim built by a caller rather than by the parsers.
func (c Claim) validate() error {
	if err := validateHost(c.Host); err != nil {
		return err
	}
	if c.Host == hostGitHub {
		if strings.Contains(c.Owner, "/") {
			return fmt.Errorf("%w: github owner %q contains '/'", ErrInvalidClaim, c.Owner)
		}
		if err := validateGitHubOwner(c.Owner); err != nil {
			return err
		}
	} else {
		segs := strings.Split(c.Owner, "/")
		if len(segs)+1 > MaxPathSegments {
			return fmt.Errorf("%w: too many path segments", ErrInvalidClaim)
		}
		for _, s := range segs {
			if err := validateName(s); err != nil {
				return err
			}
		}
	}
	if err := validateName(c.Repo); err != nil {
		return err
	}
	if strings.HasSuffix(strings.ToLower(c.Repo), ".git") {
		return fmt.Errorf("%w: repository name %q ends in .git", ErrInvalidClaim, c.Repo)
	}
	if _, err := cleanDirectory(c.Directory); err != nil {
		return err
	}
	return nil
}

const (
	hostGitHub    = "github.com"
	hostGitLab    = "gitlab.com"
	hostBitbucket = "bitbucket.org"
)

// knownForges are the hosts homepage and bugs URLs may name as repositories.
var knownForges = map[string]bool{hostGitHub: true, hostGitLab: true, hostBitbucket: true}

// gitHubReserved are first path segments of github.com URLs that are not
// accounts.
var gitHubReserved = map[string]bool{
	"about": true, "account": true, "apps": true, "blog": true, "codespaces": true,
	"collections": true, "contact": true, "customer-stories": true, "dashboard": true,
	"enterprise": true, "events": true, "explore": true, "features": true, "login": true,
	"logout": true, "marketplace": true, "new": true, "notifications": true, "orgs": true,
	"organizations": true, "pricing": true, "pulls": true, "issues": true, "search": true,
	"security": true, "settings": true, "site": true, "sponsors": true, "topics": true,
	"trending": true, "users": true, "user-attachments": true, "join": true, "signup": true,
	"stars": true, "watching": true, "advisories": true, "resources": true, "solutions": true,
	"team": true, "readme": true, "github-copilot": true, "assets": true,
}

// ParseRepository parses an npm `repository` field: a string (URL or
// shorthand) or an object {type, url, directory}. An object's directory wins
// over a /tree/<ref>/<dir> in its URL.
func ParseRepository(raw json.RawMessage) (Claim, error) {
	if len(raw) > MaxClaimBytes {
		return Claim{}, fmt.Errorf("%w: repository field is %d bytes (limit %d)", ErrInvalidClaim, len(raw), MaxClaimBytes)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return Claim{}, fmt.Errorf("%w: no repository field", ErrInvalidClaim)
	}
	switch trimmed[0] {
	case '"':
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return Claim{}, fmt.Errorf("%w: repository: %v", ErrInvalidClaim, err)
		}
		c, err := ParseRepositoryURL(s)
		if err != nil {
			return Claim{}, err
		}
		return c, nil
	case '{':
		var obj struct {
			Type      *string `json:"type"`
			URL       *string `json:"url"`
			Directory *string `json:"directory"`
		}
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return Claim{}, fmt.Errorf("%w: repository: %v", ErrInvalidClaim, err)
		}
		if obj.Type != nil && *obj.Type != "" && !strings.EqualFold(*obj.Type, "git") {
			return Claim{}, fmt.Errorf("%w: repository type %q is not git", ErrInvalidClaim, truncate(*obj.Type, 40))
		}
		if obj.URL == nil || *obj.URL == "" {
			return Claim{}, fmt.Errorf("%w: repository has no url", ErrInvalidClaim)
		}
		c, err := ParseRepositoryURL(*obj.URL)
		if err != nil {
			return Claim{}, err
		}
		if obj.Directory != nil && *obj.Directory != "" {
			d, err := cleanDirectory(*obj.Directory)
			if err != nil {
				return Claim{}, err
			}
			c.Directory = d
		}
		c.Raw = string(trimmed)
		return c, nil
	default:
		return Claim{}, fmt.Errorf("%w: repository must be a string or an object", ErrInvalidClaim)
	}
}

// shorthandRE matches npm's "owner/repo[#ref]" GitHub shorthand.
var shorthandRE = regexp.MustCompile(`^([^/:@#\s]+)/([^/:@#\s]+)(#.*)?$`)

// scpRE matches scp-like "user@host:path".
var scpRE = regexp.MustCompile(`^[A-Za-z0-9._~-]+@([A-Za-z0-9.-]+):(.+)$`)

// ParseRepositoryURL parses a repository URL or npm shorthand: "o/r",
// "github:o/r", "gitlab:o/r", "bitbucket:o/r", "git+https://…", "git+ssh://…",
// "ssh://…", "git://…", "git@host:o/r.git", "https://host/o/r/tree/<ref>/<dir>",
// "…#ref". Gists, file URLs and other schemes are refused with ErrInvalidClaim.
func ParseRepositoryURL(s string) (Claim, error) {
	raw := s
	if len(s) > MaxURLLength {
		return Claim{}, fmt.Errorf("%w: repository URL is %d bytes (limit %d)", ErrInvalidClaim, len(s), MaxURLLength)
	}
	if !utf8.ValidString(s) {
		return Claim{}, fmt.Errorf("%w: repository URL is not UTF-8", ErrInvalidClaim)
	}
	s = strings.TrimSpace(s)
	if hasControl(s) {
		return Claim{}, fmt.Errorf("%w: repository URL contains control characters", ErrInvalidClaim)
	}
	if s == "" {
		return Claim{}, fmt.Errorf("%w: empty repository URL", ErrInvalidClaim)
	}
	c, err := parseRepositoryURL(s)
	if err != nil {
		return Claim{}, err
	}
	c.Raw = raw
	c.Source = "repository"
	if err := c.validate(); err != nil {
		return Claim{}, err
	}
	return c, nil
}

func parseRepositoryURL(s string) (Claim, error) {
	lower := strings.ToLower(s)
	for prefix, host := range map[string]string{"github:": hostGitHub, "gitlab:": hostGitLab, "bitbucket:": hostBitbucket} {
		if strings.HasPrefix(lower, prefix) {
			return parseShorthand(host, s[len(prefix):])
		}
	}
	if strings.HasPrefix(lower, "gist:") {
		return Claim{}, fmt.Errorf("%w: gists are not supported", ErrInvalidClaim)
	}
	if !strings.Contains(s, "://") {
		noFrag, frag, _ := strings.Cut(s, "#")
		for host := range knownForges {
			if strings.HasPrefix(lower, host+"/") || strings.HasPrefix(lower, "www."+host+"/") {
				h, p, _ := strings.Cut(noFrag, "/")
				return fromHostPath(h, p, frag, true)
			}
		}
		if m := scpRE.FindStringSubmatch(noFrag); m != nil {
			return fromHostPath(m[1], m[2], frag, false)
		}
		if shorthandRE.MatchString(s) {
			return parseShorthand(hostGitHub, s)
		}
		return Claim{}, fmt.Errorf("%w: unrecognised repository %q", ErrInvalidClaim, truncate(s, 80))
	}
	u, err := url.Parse(s)
	if err != nil {
		return Claim{}, fmt.Errorf("%w: %v", ErrInvalidClaim, err)
	}
	scheme := strings.TrimPrefix(strings.ToLower(u.Scheme), "git+")
	var keepPort bool
	switch scheme {
	case "https", "http":
		keepPort = true
	case "git", "ssh":
	default:
		return Claim{}, fmt.Errorf("%w: scheme %q is not supported", ErrInvalidClaim, truncate(u.Scheme, 20))
	}
	if u.Opaque != "" {
		return Claim{}, fmt.Errorf("%w: malformed URL", ErrInvalidClaim)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return Claim{}, fmt.Errorf("%w: URL has no host", ErrInvalidClaim)
	}
	if p := u.Port(); keepPort && p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Claim{}, fmt.Errorf("%w: bad port %q", ErrInvalidClaim, truncate(p, 10))
		}
		if !(scheme == "https" && n == 443) && !(scheme == "http" && n == 80) {
			host += ":" + strconv.Itoa(n)
		}
	}
	return fromHostPath(host, u.Path, u.Fragment, true)
}

func parseShorthand(host, rest string) (Claim, error) {
	var ref string
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, ref = rest[:i], rest[i+1:]
	}
	segs := strings.Split(rest, "/")
	if len(segs) != 2 || segs[0] == "" || segs[1] == "" {
		return Claim{}, fmt.Errorf("%w: shorthand %q is not owner/repo", ErrInvalidClaim, truncate(rest, 80))
	}
	return fromHostPath(host, rest, ref, false)
}

// fromHostPath builds a claim from a host and a URL path. Web paths such as
// /tree/<ref>/<dir>, /blob/…, /issues are understood on GitHub, GitLab
// (after "/-/") and Bitbucket (/src/<ref>/<dir>).
func fromHostPath(host, p, fragment string, web bool) (Claim, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "www.github.com" {
		host = hostGitHub
	}
	if err := validateHost(host); err != nil {
		return Claim{}, err
	}
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) > 4*MaxPathSegments {
		return Claim{}, fmt.Errorf("%w: too many path segments", ErrInvalidClaim)
	}
	c := Claim{Host: host}
	var rest []string
	switch host {
	case hostGitHub, hostBitbucket:
		if len(segs) < 2 {
			return Claim{}, fmt.Errorf("%w: %s URL has no owner/repo", ErrInvalidClaim, host)
		}
		c.Owner, c.Repo, rest = segs[0], segs[1], segs[2:]
		if host == hostGitHub && gitHubReserved[strings.ToLower(c.Owner)] {
			return Claim{}, fmt.Errorf("%w: %q is not a GitHub account", ErrInvalidClaim, c.Owner)
		}
	default:
		project := segs
		for i, s := range segs {
			if s == "-" {
				project, rest = segs[:i], segs[i+1:]
				break
			}
		}
		if len(project) < 2 {
			return Claim{}, fmt.Errorf("%w: URL has no owner/repo", ErrInvalidClaim)
		}
		if len(project) > MaxPathSegments {
			return Claim{}, fmt.Errorf("%w: too many path segments", ErrInvalidClaim)
		}
		c.Owner = strings.Join(project[:len(project)-1], "/")
		c.Repo = project[len(project)-1]
	}
	if len(c.Repo) > 4 && strings.EqualFold(c.Repo[len(c.Repo)-4:], ".git") {
		c.Repo = c.Repo[:len(c.Repo)-4]
	}
	if web && len(rest) >= 2 && (rest[0] == "tree" || (host == hostBitbucket && rest[0] == "src")) {
		c.Ref = rest[1]
		d, err := cleanDirectory(strings.Join(rest[2:], "/"))
		if err != nil {
			return Claim{}, err
		}
		c.Directory = d
	}
	if fragment != "" && c.Ref == "" {
		c.Ref = fragment
	}
	if strings.HasPrefix(c.Ref, "semver:") {
		c.Ref = "" // a version range, not a committish
	}
	if c.Ref != "" {
		if err := validateRef(c.Ref); err != nil {
			return Claim{}, err
		}
	}
	return c, nil
}

// validateHost accepts a DNS name or IPv4 literal with an optional port.
func validateHost(h string) error {
	if h == "" || len(h) > 253+6 {
		return fmt.Errorf("%w: bad host", ErrInvalidClaim)
	}
	name, port, hasPort := strings.Cut(h, ":")
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return fmt.Errorf("%w: bad port in host %q", ErrInvalidClaim, truncate(h, 80))
		}
	}
	if name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") || strings.Contains(name, "..") {
		return fmt.Errorf("%w: bad host %q", ErrInvalidClaim, truncate(h, 80))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%w: bad host %q", ErrInvalidClaim, truncate(h, 80))
		}
	}
	return nil
}

// validateName checks one owner, group or repository segment.
func validateName(s string) error {
	if s == "" || s == "." || s == ".." {
		return fmt.Errorf("%w: bad name %q", ErrInvalidClaim, s)
	}
	if len(s) > MaxNameLength {
		return fmt.Errorf("%w: name is %d bytes (limit %d)", ErrInvalidClaim, len(s), MaxNameLength)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return fmt.Errorf("%w: bad character %q in name %q", ErrInvalidClaim, r, truncate(s, 80))
		}
	}
	return nil
}

func validateGitHubOwner(s string) error {
	if err := validateName(s); err != nil {
		return err
	}
	if gitHubReserved[strings.ToLower(s)] {
		return fmt.Errorf("%w: %q is not a GitHub account", ErrInvalidClaim, s)
	}
	return nil
}

// validateRef applies a conservative subset of git check-ref-format.
func validateRef(ref string) error {
	if len(ref) > MaxRefLength {
		return fmt.Errorf("%w: ref is %d bytes (limit %d)", ErrInvalidClaim, len(ref), MaxRefLength)
	}
	if strings.HasPrefix(ref, "-") || strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") ||
		strings.HasSuffix(ref, ".") || strings.HasSuffix(ref, ".lock") ||
		strings.Contains(ref, "..") || strings.Contains(ref, "@{") || strings.Contains(ref, "//") {
		return fmt.Errorf("%w: bad ref %q", ErrInvalidClaim, truncate(ref, 80))
	}
	for _, r := range ref {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("~^:?*[\\", r) || unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("%w: bad ref %q", ErrInvalidClaim, truncate(ref, 80))
		}
	}
	return nil
}

// cleanDirectory validates and cleans a claimed directory: relative, no
// "..", no backslashes or control characters; "." and "" mean the root.
func cleanDirectory(d string) (string, error) {
	if d == "" {
		return "", nil
	}
	if len(d) > MaxDirectoryLength {
		return "", fmt.Errorf("%w: directory is %d bytes (limit %d)", ErrInvalidClaim, len(d), MaxDirectoryLength)
	}
	if !utf8.ValidString(d) || hasControl(d) || strings.ContainsRune(d, '\\') {
		return "", fmt.Errorf("%w: bad directory %q", ErrInvalidClaim, truncate(d, 80))
	}
	if strings.HasPrefix(d, "/") {
		return "", fmt.Errorf("%w: directory %q is absolute", ErrInvalidClaim, truncate(d, 80))
	}
	for _, seg := range strings.Split(d, "/") {
		if seg == ".." {
			return "", fmt.Errorf("%w: directory %q contains ..", ErrInvalidClaim, truncate(d, 80))
		}
	}
	d = path.Clean(d)
	if d == "." {
		return "", nil
	}
	return d, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// readmeLinkRE finds github.com repository links in README text: https URLs,
// bare "github.com/o/r", and scp-like "git@github.com:o/r".
var readmeLinkRE = regexp.MustCompile(`(?i)\b(?:https?://)?(?:www\.)?github\.com([/:])([A-Za-z0-9._-]{1,100})/([A-Za-z0-9._-]{1,100})`)

// InferCandidates guesses repositories for a package that claims none (or a
// wrong one), in this order: the homepage, bugs.url (only known forges:
// github.com, gitlab.com, bitbucket.org), then github.com links in the first
// MaxReadmeScanBytes of the README by decreasing frequency. The result is
// de-duplicated, at most MaxCandidates long, and every claim is Inferred.
func InferCandidates(homepage, bugs json.RawMessage, readme []byte) []Claim {
	var out []Claim
	seen := map[string]bool{}
	add := func(c Claim) {
		if len(out) >= MaxCandidates || seen[c.key()] {
			return
		}
		seen[c.key()] = true
		out = append(out, c)
	}
	if u, ok := jsonString(homepage); ok {
		if c, ok := inferFromURL(u, "homepage"); ok {
			add(c)
		}
	}
	if u, ok := bugsURL(bugs); ok {
		if c, ok := inferFromURL(u, "bugs.url"); ok {
			add(c)
		}
	}
	for _, c := range readmeCandidates(readme) {
		add(c)
	}
	return out
}

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || len(raw) > MaxClaimBytes {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func bugsURL(raw json.RawMessage) (string, bool) {
	if s, ok := jsonString(raw); ok {
		return s, true
	}
	if len(raw) == 0 || len(raw) > MaxClaimBytes {
		return "", false
	}
	var obj struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.URL == "" {
		return "", false
	}
	return obj.URL, true
}

// inferFromURL accepts only absolute URLs on known forges; a #fragment is a
// web anchor there, not a ref.
func inferFromURL(s, source string) (Claim, bool) {
	if !strings.Contains(s, "://") {
		return Claim{}, false
	}
	if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.Fragment != "" {
		u.Fragment = ""
		u.RawFragment = ""
		s = u.String()
	}
	c, err := ParseRepositoryURL(s)
	if err != nil || !knownForges[c.Host] {
		return Claim{}, false
	}
	c.Inferred = true
	c.Source = source
	return c, true
}

func readmeCandidates(readme []byte) []Claim {
	if len(readme) > MaxReadmeScanBytes {
		readme = readme[:MaxReadmeScanBytes]
	}
	type cand struct {
		c     Claim
		count int
		first int
	}
	byKey := map[string]*cand{}
	for i, m := range readmeLinkRE.FindAllSubmatchIndex(readme, -1) {
		if m[0] > 0 {
			// Not a subdomain (api.github.com, gist.github.com) or a longer word.
			if b := readme[m[0]-1]; b == '.' || b == '-' || b == '_' || b == '/' {
				continue
			}
		}
		if readme[m[2]] == ':' && (m[0] == 0 || readme[m[0]-1] != '@') {
			continue // "github.com:443/…" is not scp-like syntax
		}
		owner := string(readme[m[4]:m[5]])
		repo := strings.TrimRight(string(readme[m[6]:m[7]]), ".")
		if len(repo) > 4 && strings.EqualFold(repo[len(repo)-4:], ".git") {
			repo = repo[:len(repo)-4]
		}
		c := Claim{Host: hostGitHub, Owner: owner, Repo: repo, Inferred: true, Source: "README", Raw: string(readme[m[0]:m[1]])}
		if c.validate() != nil {
			continue
		}
		k := c.key()
		if e, ok := byKey[k]; ok {
			e.count++
			continue
		}
		if len(byKey) >= MaxReadmeLinks {
			continue
		}
		byKey[k] = &cand{c: c, count: 1, first: i}
	}
	list := make([]*cand, 0, len(byKey))
	for _, e := range byKey {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].count != list[j].count {
			return list[i].count > list[j].count
		}
		return list[i].first < list[j].first
	})
	out := make([]Claim, 0, min(len(list), MaxCandidates))
	for _, e := range list {
		if len(out) == MaxCandidates {
			break
		}
		out = append(out, e.c)
	}
	return out
}
