package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// DefaultRegistry is the npm registry used when nothing else is configured.
const DefaultRegistry = "https://registry.npmjs.org/"

// MaxNpmrcSize bounds the size of one .npmrc file LoadConfig reads.
const MaxNpmrcSize = 1 << 20

// Config says which npm registry serves which package and which token goes to which registry.
type Config struct {
	// Registry is the default registry URL, always ending in "/" (DefaultRegistry when "").
	Registry string
	// Scopes maps "@scope" to the registry URL serving that scope's packages.
	Scopes map[string]string
	// Tokens maps a nerf-darted registry key, "//host[:port]/path/", to the bearer token npm would send
	// there (npm's `//host/path/:_authToken=` setting). Keys are matched against request URLs the way
	// npm does: host (with a non-default port) and the longest path prefix.
	Tokens map[string]string
}

// LoadConfig builds a Config the way npm does. The registry comes from the npm_config_registry (or
// NPM_CONFIG_REGISTRY) environment variable, else from `registry=` in the first of npmrcPaths that sets
// it (pass the project .npmrc first, then the user one); `@scope:registry=` and `//host/path/:_authToken=`
// settings are merged the same way, the first file that sets a key winning. Values (and keys) may use
// npm's ${VAR} and ${VAR?} expansion, resolved with getenv (a nil getenv means an empty environment;
// like npm, a variable that is unset or empty leaves `${VAR}` as written, while `${VAR?}` becomes "").
// The files are read with npm's ini rules: `;` and `#` comments, quoted values, and keys inside
// [sections] ignored. A missing file is skipped; one larger than MaxNpmrcSize is an error. Other npm
// settings (basic auth, _auth, certificates) are ignored.
func LoadConfig(getenv func(string) string, npmrcPaths ...string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	type setting struct{ value, file string }
	merged := make(map[string]setting)
	for _, path := range npmrcPaths {
		data, err := readBounded(path, MaxNpmrcSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Config{}, fmt.Errorf("read npmrc: %w", err)
		}
		for _, kv := range parseNpmrc(string(data)) {
			key := expandEnv(kv.key, getenv)
			if _, ok := merged[key]; !ok {
				merged[key] = setting{strings.TrimSpace(expandEnv(kv.value, getenv)), path}
			}
		}
	}

	cfg := Config{Registry: DefaultRegistry, Scopes: make(map[string]string), Tokens: make(map[string]string)}
	if s, ok := merged["registry"]; ok {
		reg, err := normalizeRegistry(s.value)
		if err != nil {
			return Config{}, fmt.Errorf("npmrc %s: registry: %w", s.file, err)
		}
		cfg.Registry = reg
	}
	for _, name := range []string{"npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			reg, err := normalizeRegistry(expandEnv(v, getenv))
			if err != nil {
				return Config{}, fmt.Errorf("environment %s: %w", name, err)
			}
			cfg.Registry = reg
			break
		}
	}
	for key, s := range merged {
		switch {
		case strings.HasPrefix(key, "@") && strings.HasSuffix(key, ":registry"):
			scope := strings.TrimSuffix(key, ":registry")
			if scope == "@" || strings.ContainsAny(scope, "/:") {
				continue
			}
			reg, err := normalizeRegistry(s.value)
			if err != nil {
				return Config{}, fmt.Errorf("npmrc %s: %s:registry: %w", s.file, quoteBounded(scope), err)
			}
			cfg.Scopes[scope] = reg
		case strings.HasPrefix(key, "//") && strings.HasSuffix(key, ":_authToken"):
			dart := normalizeNerfDart(strings.TrimSuffix(key, ":_authToken"))
			if dart != "" && s.value != "" {
				cfg.Tokens[dart] = s.value
			}
		}
	}
	return cfg, nil
}

// readBounded reads a whole file, failing when it is larger than limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrTooLarge, limit)
	}
	return data, nil
}

// normalizeNerfDart lower-cases the host of a "//host[:port]/path" key; "" when it has no host.
func normalizeNerfDart(key string) string {
	rest := strings.TrimPrefix(key, "//")
	host, path, _ := strings.Cut(rest, "/")
	if host == "" {
		return ""
	}
	if path == "" && !strings.HasSuffix(rest, "/") {
		return "//" + strings.ToLower(host)
	}
	return "//" + strings.ToLower(host) + "/" + path
}

// normalizeRegistry checks a registry URL (absolute http or https, a host, no credentials, query or
// fragment) and returns it with a trailing "/". Errors never include the URL, which may hold secrets.
func normalizeRegistry(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("not an http or https URL")
	case u.Host == "":
		return "", errors.New("URL has no host")
	case u.User != nil:
		return "", errors.New("credentials in a registry URL are not supported; use a //host/:_authToken setting")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("registry URL has a query or fragment")
	}
	u.Host = strings.ToLower(u.Host)
	s := u.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// npmrcSetting is one top-level key = value line of an .npmrc.
type npmrcSetting struct{ key, value string }

// parseNpmrc parses .npmrc text with the rules of npm's ini package: lines split on CR/LF, blank lines
// and lines starting with ; or # skipped, "[section]" headers (whose keys are ignored here), key and
// value split at the first "=", both unquoted with iniUnsafe. Keys without "=" (boolean true) and array
// keys ("key[]") are ignored; duplicated keys keep the last value.
func parseNpmrc(text string) []npmrcSetting {
	var out []npmrcSetting
	index := make(map[string]int)
	inSection := false
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == ';' || trimmed[0] == '#' {
			continue
		}
		if line[0] == '[' {
			if end := strings.IndexByte(line, ']'); end > 0 && strings.TrimSpace(line[end+1:]) == "" {
				inSection = true
				continue
			}
		}
		rawKey, rawValue, hasValue := strings.Cut(line, "=")
		if inSection || !hasValue {
			continue
		}
		key := iniUnsafe(rawKey)
		if strings.HasSuffix(key, "[]") || key == "" || key == "__proto__" {
			continue
		}
		value := iniUnsafe(rawValue)
		if i, ok := index[key]; ok {
			out[i].value = value
			continue
		}
		index[key] = len(out)
		out = append(out, npmrcSetting{key, value})
	}
	return out
}

// iniUnsafe unquotes an ini key or value like npm's ini.unsafe: a value in double quotes is read as a
// JSON string; one in single quotes has them stripped (and is then read as JSON when it is a JSON
// string); otherwise an unescaped ; or # starts a comment and \; \# \\ are unescaped.
func iniUnsafe(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 0 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		inner := s
		if s[0] == '\'' {
			inner = s[1 : len(s)-1]
			if len(s) == 1 {
				inner = ""
			}
		}
		var str string
		if err := json.Unmarshal([]byte(inner), &str); err == nil {
			return str
		}
		var any json.RawMessage
		if err := json.Unmarshal([]byte(inner), &any); err == nil {
			return strings.TrimSpace(string(bytes.TrimSpace(any)))
		}
		return inner
	}
	var b strings.Builder
	esc := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			if c != '\\' && c != ';' && c != '#' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
			esc = false
		case c == ';' || c == '#':
			return strings.TrimSpace(b.String())
		case c == '\\':
			esc = true
		default:
			b.WriteByte(c)
		}
	}
	if esc {
		b.WriteByte('\\')
	}
	return strings.TrimSpace(b.String())
}

// envExpr matches npm's ${VAR} / ${VAR?} references with the backslashes that precede them.
var envExpr = regexp.MustCompile(`(\\*)\$\{([^${}?]+)(\?)?\}`)

// expandEnv replaces ${VAR} references the way npm's config does: an odd number of preceding
// backslashes escapes the reference (half of them are consumed), ${VAR?} of an unset variable is "",
// and ${VAR} of an unset variable is kept as written. Variables that are set but empty count as unset,
// because getenv cannot tell them apart.
func expandEnv(s string, getenv func(string) string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return envExpr.ReplaceAllStringFunc(s, func(m string) string {
		sub := envExpr.FindStringSubmatch(m)
		esc, name, optional := sub[1], sub[2], sub[3] == "?"
		if len(esc)%2 == 1 {
			return m[(len(esc)+1)/2:]
		}
		val := getenv(name)
		if val == "" && !optional {
			val = "${" + name + "}"
		}
		return esc[len(esc)/2:] + val
	})
}
