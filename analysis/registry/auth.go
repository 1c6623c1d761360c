package registry

import (
	"net/url"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/httpfetch"
)

// canonicalHost returns u's host as npm's WHATWG URL parser reports it: lower-case, with the port only
// when it is not the scheme's default.
func canonicalHost(u *url.URL) string {
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// nerfDartMatch returns the longest key of tokens that covers u, walking up u's path the way
// npm-registry-fetch does: "//host/a/b/c.tgz", "//host/a/b/", "//host/a/b", "//host/a/", … "//host".
func nerfDartMatch(tokens map[string]string, u *url.URL) (key string, ok bool) {
	if len(tokens) == 0 || u.Host == "" {
		return "", false
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	key = "//" + canonicalHost(u) + path
	for len(key) > len("//") {
		if tok := tokens[key]; tok != "" {
			return key, true
		}
		if strings.HasSuffix(key, "/") {
			key = key[:len(key)-1]
		} else {
			key = key[:strings.LastIndexByte(key, '/')+1]
		}
	}
	return "", false
}

// tokenFor returns the bearer token to send with a request for target on behalf of registry (the
// registry of the package concerned), following npm's rule: the longest nerf-dart key covering target;
// failing that, when target is on the same host as registry, the registry's own key. "" means send no
// Authorization header.
func tokenFor(tokens map[string]string, target, registry *url.URL) string {
	if key, ok := nerfDartMatch(tokens, target); ok {
		return tokens[key]
	}
	if registry != nil && canonicalHost(target) == canonicalHost(registry) && target.String() != registry.String() {
		if key, ok := nerfDartMatch(tokens, registry); ok {
			return tokens[key]
		}
	}
	return ""
}

// redactURL renders u for errors and logs: scheme, host and path only — never userinfo, query or
// fragment, which may carry credentials.
func redactURL(u *url.URL) string { return httpfetch.RedactURL(u) }
