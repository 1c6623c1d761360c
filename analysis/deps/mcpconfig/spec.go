package mcpconfig

import (
	"fmt"
	"regexp"
	"strings"
)

// spec is a parsed package spec: a package name and version (or why there is none).
type spec struct {
	eco     string
	name    string
	version string
	pinned  bool
	unres   string // why no package can be named
	note    string // a problem worth reporting although the package is named (placeholder version, …)
}

// maxPlaceholderShown bounds how much of a placeholder a message quotes.
const maxPlaceholderShown = 80

// placeholder returns the first variable reference in s — ${…}, ${input:…}, ${env:…}, ${{ … }}, {{…}},
// %VAR%, $VAR, $(…) or `…` — or "" when there is none.
func placeholder(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '$':
			if i+1 >= len(s) {
				continue
			}
			switch c := s[i+1]; {
			case c == '{':
				closing := "}"
				if strings.HasPrefix(s[i:], "${{") {
					closing = "}}"
				}
				if j := strings.Index(s[i+2:], closing); j >= 0 {
					return shorten(s[i : i+2+j+len(closing)])
				}
				return shorten(s[i:])
			case c == '(':
				if j := strings.IndexByte(s[i:], ')'); j >= 0 {
					return shorten(s[i : i+j+1])
				}
				return shorten(s[i:])
			case c == '_' || isLetter(c):
				j := i + 1
				for j < len(s) && (s[j] == '_' || isLetter(s[j]) || s[j] >= '0' && s[j] <= '9') {
					j++
				}
				return shorten(s[i:j])
			}
		case '{':
			if strings.HasPrefix(s[i:], "{{") {
				if j := strings.Index(s[i+2:], "}}"); j >= 0 {
					return shorten(s[i : i+4+j])
				}
			}
		case '%':
			j := i + 1
			for j < len(s) && (s[j] == '_' || isLetter(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '(' || s[j] == ')') {
				j++
			}
			if j > i+1 && j < len(s) && s[j] == '%' && (s[i+1] == '_' || isLetter(s[i+1])) {
				return shorten(s[i : j+1])
			}
		case '`':
			return shorten(s[i:])
		}
	}
	return ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// shorten bounds a string quoted in a message and removes what could be a credential in a URL (its
// userinfo and query).
func shorten(s string) string {
	s = stripCredentials(s)
	if len(s) > maxPlaceholderShown {
		return strings.ToValidUTF8(s[:maxPlaceholderShown], "") + "…"
	}
	return s
}

// stripCredentials blanks the userinfo and query of URLs in s: "https://u:t@h/p?k=v" → "https://***@h/p?…".
func stripCredentials(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	head, rest := s[:i+3], s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		rest = "***" + rest[at:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q] + "?…"
	}
	return head + rest
}

// quoteSpec quotes a spec for a message, bounded.
func quoteSpec(s string) string { return fmt.Sprintf("%q", shorten(s)) }

func placeholderMsg(ph string) string {
	return "placeholder " + ph + " in the package position: unresolvable"
}

// Version grammars.
var (
	semverExact  = regexp.MustCompile(`^[=v]?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	pep440Exact  = regexp.MustCompile(`(?i)^v?([0-9]+!)?[0-9]+(\.[0-9]+)*([._-]?(a|b|c|rc|alpha|beta|pre|preview)[._-]?[0-9]*)?((-[0-9]+)|([._-]?(post|rev|r)[._-]?[0-9]*))?([._-]?dev[._-]?[0-9]*)?(\+[a-z0-9]+([._-][a-z0-9]+)*)?$`)
	nugetExact   = regexp.MustCompile(`^[0-9]+(\.[0-9]+){1,3}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	npmNamePart  = regexp.MustCompile(`^[A-Za-z0-9\-_.!~*'()]+$`)
	pypiName     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	pypiNameRun  = regexp.MustCompile(`[-_.]+`)
	nugetName    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
	imageTag     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	imageNameRe  = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$`)
	sha256Digest = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	otherDigest  = regexp.MustCompile(`^(sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$`)
)

// normSemver strips the leading "=" or "v" npm tolerates on an exact version.
func normSemver(v string) string { return strings.TrimLeft(v, "=v") }

// isPathLike reports whether s names a file rather than a package: absolute, relative, home or
// Windows paths, file: URLs, and paths under a placeholder directory (${workspaceFolder}/x).
func isPathLike(s string) bool {
	switch {
	case s == "", s == ".", s == "..":
		return s != ""
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"),
		strings.HasPrefix(s, `.\`), strings.HasPrefix(s, `..\`), strings.HasPrefix(s, "~"),
		strings.HasPrefix(s, `\\`), strings.HasPrefix(s, "file:"):
		return true
	case len(s) >= 3 && isLetter(s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/'):
		return true
	}
	if ph := placeholder(s); ph != "" && strings.HasPrefix(s, ph) && len(s) > len(ph) && (s[len(ph)] == '/' || s[len(ph)] == '\\') {
		return true
	}
	return false
}

func isTarballPath(s string) bool {
	l := strings.ToLower(s)
	return strings.HasSuffix(l, ".tgz") || strings.HasSuffix(l, ".tar.gz") || strings.HasSuffix(l, ".tar")
}

// gitOrURL classifies specs that name a git repository or a URL rather than a registry release.
func gitOrURL(s string) string {
	l := strings.ToLower(s)
	for _, p := range []string{"git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:", "git@", "ssh://"} {
		if strings.HasPrefix(l, p) {
			return "git spec " + quoteSpec(s) + ": not a registry release"
		}
	}
	if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return "URL " + quoteSpec(s) + ": not a registry release"
	}
	if strings.Contains(l, "://") {
		return "URL " + quoteSpec(s) + ": not a registry release"
	}
	return ""
}

// parseNPMSpec reads an npm package spec as npx, npm exec, bunx, pnpm dlx and yarn dlx take it.
func parseNPMSpec(s string) spec {
	out := spec{eco: "npm"}
	if s == "" {
		out.unres = "empty package spec"
		return out
	}
	orig := s
	if strings.HasPrefix(s, "npm:") { // npx npm:pkg@1 — the alias protocol without an alias
		s = s[len("npm:"):]
	}
	if r := gitOrURL(s); r != "" {
		out.unres = r
		return out
	}
	if isPathLike(s) || isTarballPath(s) && !strings.HasPrefix(s, "@") {
		out.unres = "local code: " + shorten(s)
		return out
	}
	for _, p := range []string{"link:", "workspace:", "portal:", "patch:", "catalog:", "jsr:"} {
		if strings.HasPrefix(s, p) {
			out.unres = "non-registry spec " + quoteSpec(orig) + ": not a registry release"
			return out
		}
	}
	name, version := s, ""
	at := -1
	if strings.HasPrefix(s, "@") {
		if slash := strings.IndexByte(s, '/'); slash > 0 {
			if i := strings.IndexByte(s[slash:], '@'); i >= 0 {
				at = slash + i
			}
		}
	} else {
		at = strings.IndexByte(s, '@')
	}
	if at >= 0 {
		name, version = s[:at], s[at+1:]
	}
	if ph := placeholder(name); ph != "" {
		out.unres = placeholderMsg(ph)
		return out
	}
	if !strings.HasPrefix(name, "@") && strings.Contains(name, "/") {
		out.unres = "git spec " + quoteSpec(orig) + " (GitHub shorthand): not a registry release"
		return out
	}
	if !validNPMName(name) {
		out.unres = "not a valid npm package name: " + quoteSpec(name)
		return out
	}
	out.name = name
	if strings.HasPrefix(version, "npm:") { // alias@npm:real@1.2.3 runs the real package
		inner := parseNPMSpec(version[len("npm:"):])
		if inner.unres == "" && inner.name != "" {
			inner.note = joinNote(inner.note, fmt.Sprintf("%s is an alias of %s", quoteSpec(name), quoteSpec(inner.name)))
		}
		return inner
	}
	if ph := placeholder(version); ph != "" {
		out.version = version
		out.note = fmt.Sprintf("placeholder %s in the version of %s: unresolvable", ph, name)
		return out
	}
	if strings.ContainsAny(version, ":/") || gitOrURL(version) != "" {
		out.name = ""
		out.unres = "non-registry spec " + quoteSpec(orig) + ": not a registry release"
		return out
	}
	if semverExact.MatchString(version) {
		out.version, out.pinned = normSemver(version), true
	} else {
		out.version = version
	}
	return out
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// validNPMName applies npm's name rules, accepting legacy names with capitals.
func validNPMName(name string) bool {
	if name == "" || len(name) > 214 {
		return false
	}
	if strings.HasPrefix(name, "@") {
		scope, pkg, ok := strings.Cut(name[1:], "/")
		return ok && scope != "" && pkg != "" && npmNamePart.MatchString(scope) && npmNamePart.MatchString(pkg) &&
			pkg[0] != '.' && pkg[0] != '_' && scope[0] != '.'
	}
	return npmNamePart.MatchString(name) && name[0] != '.' && name[0] != '_'
}

// parsePyPISpec reads a Python requirement as uvx, uv tool run --from/--with and pipx run --spec take
// it: name[extras] followed by nothing, ==X, ===X, @X (uvx's exact-version form; @latest too), or a
// range. Names are normalised per PEP 503.
func parsePyPISpec(s string) spec {
	out := spec{eco: "pypi"}
	s = strings.TrimSpace(s)
	if s == "" {
		out.unres = "empty package spec"
		return out
	}
	if r := gitOrURL(s); r != "" {
		out.unres = r
		return out
	}
	if isPathLike(s) {
		out.unres = "local code: " + shorten(s)
		return out
	}
	l := strings.ToLower(s)
	if strings.HasSuffix(l, ".whl") || strings.HasSuffix(l, ".tar.gz") || strings.HasSuffix(l, ".zip") || strings.HasSuffix(l, ".py") {
		out.unres = "local code: " + shorten(s)
		return out
	}
	if i := strings.IndexByte(s, ';'); i >= 0 { // environment markers
		s = strings.TrimSpace(s[:i])
	}
	n := 0
	for n < len(s) && (s[n] == '.' || s[n] == '_' || s[n] == '-' || isLetter(s[n]) || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	name, rest := s[:n], strings.TrimSpace(s[n:])
	if ph := placeholder(name + rest); ph != "" && (name == "" || strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, "$") || strings.HasPrefix(rest, "%") || strings.HasPrefix(rest, "`")) {
		out.unres = placeholderMsg(ph)
		return out
	}
	if !pypiName.MatchString(name) {
		out.unres = "not a valid PyPI package name: " + quoteSpec(s)
		return out
	}
	out.name = strings.ToLower(pypiNameRun.ReplaceAllString(name, "-"))
	if strings.HasPrefix(rest, "[") { // extras
		if j := strings.IndexByte(rest, ']'); j >= 0 {
			rest = strings.TrimSpace(rest[j+1:])
		} else {
			out.name = ""
			out.unres = "malformed requirement " + quoteSpec(s)
			return out
		}
	}
	if ph := placeholder(rest); ph != "" {
		out.version = rest
		out.note = fmt.Sprintf("placeholder %s in the version of %s: unresolvable", ph, out.name)
		return out
	}
	switch {
	case rest == "":
	case strings.HasPrefix(rest, "@"):
		v := strings.TrimSpace(rest[1:])
		out.version = v
		out.pinned = pep440Exact.MatchString(v)
	case strings.HasPrefix(rest, "==="):
		v := strings.TrimSpace(rest[3:])
		out.version = v
		out.pinned = v != "" && !strings.ContainsAny(v, ", ")
	case strings.HasPrefix(rest, "=="):
		v := strings.TrimSpace(rest[2:])
		out.version = v
		out.pinned = pep440Exact.MatchString(v)
		if !out.pinned {
			out.version = rest
		}
	default:
		out.version = rest
	}
	return out
}

// parseImageRef reads an OCI image reference: [host[:port]/]path[:tag][@digest]. Only a digest pins.
func parseImageRef(s string) spec {
	out := spec{eco: "oci"}
	if s == "" {
		out.unres = "empty image reference"
		return out
	}
	ref, digest := s, ""
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	name, tag := ref, ""
	if j := strings.LastIndexByte(ref, ':'); j > strings.LastIndexByte(ref, '/') {
		name, tag = ref[:j], ref[j+1:]
	}
	if ph := placeholder(name); ph != "" {
		out.unres = placeholderMsg(ph)
		return out
	}
	if isPathLike(name) || !imageNameRe.MatchString(name) {
		out.unres = "not a valid image reference: " + quoteSpec(s)
		return out
	}
	out.name = name
	if ph := placeholder(tag + "@" + digest); ph != "" {
		out.version = strings.TrimPrefix(s[len(name):], ":")
		out.note = fmt.Sprintf("placeholder %s in the tag or digest of %s: unresolvable", ph, name)
		return out
	}
	if tag != "" && !imageTag.MatchString(tag) {
		out.name = ""
		out.unres = "not a valid image reference: " + quoteSpec(s)
		return out
	}
	switch {
	case digest == "":
		out.version = tag
	case sha256Digest.MatchString(digest) || otherDigest.MatchString(digest):
		out.version, out.pinned = digest, true
	default:
		out.version = tag
		out.note = "malformed digest in " + quoteSpec(s) + ": not pinned"
	}
	return out
}

// parseNuGetSpec reads dnx's Package[@version].
func parseNuGetSpec(s string) spec {
	out := spec{eco: "nuget"}
	if s == "" {
		out.unres = "empty package spec"
		return out
	}
	if r := gitOrURL(s); r != "" {
		out.unres = r
		return out
	}
	if isPathLike(s) || strings.HasSuffix(strings.ToLower(s), ".nupkg") {
		out.unres = "local code: " + shorten(s)
		return out
	}
	name, version, _ := strings.Cut(s, "@")
	if ph := placeholder(name); ph != "" {
		out.unres = placeholderMsg(ph)
		return out
	}
	if !nugetName.MatchString(name) {
		out.unres = "not a valid NuGet package name: " + quoteSpec(name)
		return out
	}
	out.name = name
	out.setNuGetVersion(version)
	return out
}

func (s *spec) setNuGetVersion(v string) {
	s.version = v
	s.pinned = nugetExact.MatchString(v)
	if ph := placeholder(v); ph != "" {
		s.note = fmt.Sprintf("placeholder %s in the version of %s: unresolvable", ph, s.name)
	}
}
