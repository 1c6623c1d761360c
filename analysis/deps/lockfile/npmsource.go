package lockfile

import (
	"net/url"
	"regexp"
	"strings"
)

// isNpmRegistryHost reports whether a host's tarball URLs count as the public npm registry. Any
// other host — private registries included — is reported as a tarball source with its URL: a
// lockfile that quietly points one package at another server must show up as a change.
func isNpmRegistryHost(host string) bool {
	return host == "registry.npmjs.org" || host == "registry.yarnpkg.com"
}

// splitNpmAlias splits the text after "npm:" of an alias spec ("@real/pkg@^1.2") into the real
// name and its range.
func splitNpmAlias(s string) (name, rng string) {
	at := -1
	if strings.HasPrefix(s, "@") {
		if i := strings.IndexByte(s[1:], '@'); i >= 0 {
			at = i + 1
		}
	} else {
		at = strings.IndexByte(s, '@')
	}
	if at < 0 {
		return s, ""
	}
	return s[:at], s[at+1:]
}

// splitNameVersion splits "name@version" (scoped names keep their leading '@'): the first '@'
// after the scope separates them.
func splitNameVersion(s string) (name, version string) {
	return splitNpmAlias(s)
}

var ghShorthand = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+(#.*)?$`)

// npmSpecSource classifies a dependency specifier as written in package.json (or a lockfile
// field that holds one): registry ranges and tags, git, tarball URLs, local paths and the
// workspace/catalog/link/portal/patch protocols.
func npmSpecSource(spec string) string {
	s := strings.TrimSpace(spec)
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "npm:"):
		return SourceRegistry
	case strings.HasPrefix(lower, "workspace:"):
		return SourceWorkspace
	case strings.HasPrefix(lower, "catalog:"):
		return SourceCatalog
	case strings.HasPrefix(lower, "link:"):
		return SourceLink
	case strings.HasPrefix(lower, "file:"):
		return SourceFile
	case strings.HasPrefix(lower, "portal:"):
		return SourcePortal
	case strings.HasPrefix(lower, "patch:"):
		return SourcePatch
	case strings.HasPrefix(lower, "git+"), strings.HasPrefix(lower, "git:"), strings.HasPrefix(lower, "git@"),
		strings.HasPrefix(lower, "github:"), strings.HasPrefix(lower, "gitlab:"), strings.HasPrefix(lower, "bitbucket:"),
		strings.HasPrefix(lower, "gist:"), strings.HasPrefix(lower, "ssh://"):
		return SourceGit
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		if isGitURL(lower) {
			return SourceGit
		}
		return SourceTarball
	case strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"), strings.HasPrefix(s, "/"), strings.HasPrefix(s, "~/"),
		s == ".", s == "..", strings.HasSuffix(lower, ".tgz"), strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tar"):
		return SourceFile
	case strings.HasPrefix(lower, "jsr:"), strings.HasPrefix(lower, "exec:"):
		return SourceOther
	case ghShorthand.MatchString(s):
		return SourceGit
	}
	return SourceRegistry
}

// isGitURL reports whether an http(s) URL names a git repository rather than a tarball.
func isGitURL(lower string) bool {
	return strings.Contains(lower, ".git#") || strings.HasSuffix(lower, ".git") ||
		strings.Contains(lower, "#commit=") || strings.HasPrefix(lower, "https://codeload.github.com/")
}

// npmResolvedSource classifies a lockfile's resolved URL for the package name@version: the
// public registry's own tarball URL for exactly that package is a registry source; any other
// URL (another host, another package's tarball) is a tarball or git source.
func npmResolvedSource(resolved, name, version string) string {
	if resolved == "" {
		return SourceRegistry
	}
	src := npmSpecSource(resolved)
	if src != SourceTarball {
		if src == SourceRegistry {
			// Not a URL and not a known protocol: a relative path (link entries).
			return SourceFile
		}
		return src
	}
	if isRegistryTarball(resolved, name, version) {
		return SourceRegistry
	}
	return SourceTarball
}

// isRegistryTarball reports whether u is the public registry's tarball of name@version:
// https://registry.npmjs.org/<name>/-/<unscoped name>-<version>.tgz (a yarn "#sha1" fragment
// is allowed).
func isRegistryTarball(u, name, version string) bool {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme != "https" || !isNpmRegistryHost(parsed.Host) || parsed.RawQuery != "" || parsed.User != nil {
		return false
	}
	if name == "" || version == "" {
		return false
	}
	unscoped := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		unscoped = name[i+1:]
	}
	p := parsed.Path
	want := "/" + name + "/-/" + unscoped + "-" + version + ".tgz"
	if p == want {
		return true
	}
	// Some lockfiles escape the scope separator.
	return strings.Replace(p, "%2f", "/", 1) == want || strings.Replace(p, "%2F", "/", 1) == want
}

// gitCommit returns the commit a git or codeload reference names, or "".
func gitCommit(ref string) string {
	if i := strings.LastIndexByte(ref, '#'); i >= 0 {
		frag := ref[i+1:]
		frag = strings.TrimPrefix(frag, "commit=")
		if j := strings.IndexAny(frag, "&"); j >= 0 {
			frag = frag[:j]
		}
		return frag
	}
	if i := strings.Index(ref, "codeload.github.com/"); i >= 0 {
		if j := strings.LastIndex(ref, "/tar.gz/"); j >= 0 {
			return ref[j+len("/tar.gz/"):]
		}
	}
	return ""
}
