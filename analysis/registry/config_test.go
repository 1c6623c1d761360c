package registry

import (
	"errors"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	project, user := filepath.Join("testdata", "project.npmrc"), filepath.Join("testdata", "user.npmrc")
	env := map[string]string{"CORP_TOKEN": "corp-secret", "TOKEN_HOST": "h.example:8080"}

	tests := []struct {
		name  string
		env   map[string]string
		files []string
		want  Config
	}{
		{
			name:  "no files",
			files: []string{filepath.Join("testdata", "missing.npmrc")},
			want:  Config{Registry: DefaultRegistry, Scopes: map[string]string{}, Tokens: map[string]string{}},
		},
		{
			name:  "project then user",
			env:   env,
			files: []string{project, user},
			want: Config{
				Registry: "https://npm.corp.example/artifactory/api/npm/npm/",
				Scopes: map[string]string{
					"@acme":  "https://npm.pkg.github.com/",
					"@corp":  "https://npm.corp.example:8443/scoped/",
					"@other": "https://other.example/npm/",
				},
				Tokens: map[string]string{
					"//npm.corp.example/artifactory/api/npm/npm/": "corp-secret",
					"//npm.pkg.github.com/":                       "gh-token-from-project",
					"//h.example:8080/":                           "host-from-env",
					"//other.example/npm/":                        `other "quoted" token`,
					"//upper.example/":                            "upper",
				},
			},
		},
		{
			name:  "user only",
			files: []string{user},
			want: Config{
				Registry: "https://user-registry.example/",
				Scopes:   map[string]string{"@acme": "https://user-acme.example/", "@other": "https://other.example/npm/"},
				Tokens: map[string]string{
					"//npm.pkg.github.com/": "gh-token-from-user",
					"//other.example/npm/":  `other "quoted" token`,
					"//upper.example/":      "upper",
				},
			},
		},
		{
			name:  "environment registry wins",
			env:   map[string]string{"npm_config_registry": "http://127.0.0.1:4873"},
			files: []string{user},
			want: Config{
				Registry: "http://127.0.0.1:4873/",
				Scopes:   map[string]string{"@acme": "https://user-acme.example/", "@other": "https://other.example/npm/"},
				Tokens: map[string]string{
					"//npm.pkg.github.com/": "gh-token-from-user",
					"//other.example/npm/":  `other "quoted" token`,
					"//upper.example/":      "upper",
				},
			},
		},
		{
			name: "upper-case environment variable",
			env:  map[string]string{"NPM_CONFIG_REGISTRY": "https://env.example/npm"},
			want: Config{Registry: "https://env.example/npm/", Scopes: map[string]string{}, Tokens: map[string]string{}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadConfig(envMap(tc.env), tc.files...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, text string
		env        map[string]string
		secret     string // must not appear in the error
	}{
		{name: "ftp registry", text: "registry=ftp://example.com/"},
		{name: "credentials in registry", text: "registry=https://bob:hunter2@example.com/", secret: "hunter2"},
		{name: "relative registry", text: "registry=/just/a/path"},
		{name: "scoped registry with query", text: "@a:registry=https://example.com/?token=s3cr3t", secret: "s3cr3t"},
		{name: "bad environment registry", env: map[string]string{"npm_config_registry": "https://u:pw-secret@x.example/"}, secret: "pw-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(envMap(tc.env), write("npmrc", tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestLoadConfigSizeLimit(t *testing.T) {
	dir := t.TempDir()
	line := "registry=https://limit.example/\n"
	for _, tc := range []struct {
		size    int
		wantErr bool
	}{{MaxNpmrcSize, false}, {MaxNpmrcSize + 1, true}} {
		p := filepath.Join(dir, "npmrc")
		body := line + strings.Repeat("#", tc.size-len(line))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(nil, p)
		if tc.wantErr {
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("size %d: err = %v, want ErrTooLarge", tc.size, err)
			}
		} else if err != nil || cfg.Registry != "https://limit.example/" {
			t.Errorf("size %d: %v, %q", tc.size, err, cfg.Registry)
		}
	}
}

func TestParseNpmrc(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
	}{
		{"plain", "a=b\r\nc = d e \n", map[string]string{"a": "b", "c": "d e"}},
		{"comments", "; x=1\n  # y=2\na=b ; inline\nc=d#inline", map[string]string{"a": "b", "c": "d"}},
		{"escaped comment chars", `a=b\;c\#d\\e\x`, map[string]string{"a": `b;c#d\e\x`}},
		{"double quoted", `a="b ; c # d"`, map[string]string{"a": "b ; c # d"}},
		{"double quoted json escapes", `a="tab\tq\"u"`, map[string]string{"a": "tab\tq\"u"}},
		{"bad double quoted kept", `a="b\q"`, map[string]string{"a": `"b\q"`}},
		{"single quoted", `a='b ; c'`, map[string]string{"a": "b ; c"}},
		{"single quoted json", `a='"x"'`, map[string]string{"a": "x"}},
		{"quoted key", `"@s:registry"=https://x/`, map[string]string{"@s:registry": "https://x/"}},
		{"value with equals", "//h/:_authToken=abc==", map[string]string{"//h/:_authToken": "abc=="}},
		{"last duplicate wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"no value ignored", "a\nb=", map[string]string{"b": ""}},
		{"array keys ignored", "ca[]=x\nca[]=y", map[string]string{}},
		{"section keys ignored", "a=1\n[sec]\nb=2\n", map[string]string{"a": "1"}},
		{"proto ignored", "__proto__=x", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for _, s := range parseNpmrc(tc.text) {
				got[s.key] = s.value
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExpandEnv(t *testing.T) {
	env := envMap(map[string]string{"TOKEN": "tok", "EMPTY": ""})
	tests := []struct{ in, want string }{
		{"${TOKEN}", "tok"},
		{"a-${TOKEN}-b", "a-tok-b"},
		{"${UNSET}", "${UNSET}"},
		{"${UNSET?}", ""},
		{"${EMPTY}", "${EMPTY}"},
		{"${TOKEN?}", "tok"},
		{`\${TOKEN}`, "${TOKEN}"},
		{`\\${TOKEN}`, `\tok`},
		{`\\\${TOKEN}`, `\${TOKEN}`},
		{"$TOKEN", "$TOKEN"},
		{"${}", "${}"},
		{"${A${TOKEN}}", "${Atok}"},
	}
	for _, tc := range tests {
		if got := expandEnv(tc.in, env); got != tc.want {
			t.Errorf("expandEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTokenFor(t *testing.T) {
	tokens := map[string]string{
		"//reg.example/":                  "root",
		"//reg.example/private/":          "private",
		"//reg.example/private/deep/":     "deep",
		"//reg.example/nodash":            "nodash",
		"//ported.example:8443/":          "ported",
		"//plain.example/":                "plain",
		"//npm.pkg.github.com/":           "gh",
		"//corp.example/artifactory/npm/": "corp",
	}
	tests := []struct {
		name, url, registry, want string
	}{
		{"root", "https://reg.example/pkg", "https://reg.example/", "root"},
		{"longest prefix", "https://reg.example/private/deep/pkg/-/pkg-1.0.0.tgz", "https://reg.example/", "deep"},
		{"middle prefix", "https://reg.example/private/pkg", "https://reg.example/", "private"},
		{"key without trailing slash", "https://reg.example/nodash/pkg", "https://reg.example/", "nodash"},
		{"scheme does not matter", "http://reg.example/pkg", "http://reg.example/", "root"},
		{"host case", "https://REG.example/pkg", "https://reg.example/", "root"},
		{"port must match", "https://ported.example:8443/pkg", "https://ported.example:8443/", "ported"},
		{"other port", "https://ported.example:9999/pkg", "https://ported.example:9999/", ""},
		{"no port when key has one", "https://ported.example/pkg", "https://ported.example/", ""},
		{"default port elided", "https://plain.example:443/pkg", "https://plain.example/", "plain"},
		{"non-default port not elided", "http://plain.example:443/pkg", "http://plain.example:443/", ""},
		{"other host", "https://evil.example/pkg", "https://evil.example/", ""},
		{"suffix host", "https://reg.example.evil.example/pkg", "https://reg.example/", ""},
		{"prefix host", "https://npm.pkg.github.com.evil/pkg", "https://npm.pkg.github.com/", ""},
		{"path prefix only", "https://corp.example/artifactory/npm/pkg", "https://corp.example/artifactory/npm/", "corp"},
		{"outside path prefix, other registry", "https://corp.example/artifactory/other/pkg", "https://corp.example/artifactory/other/", ""},
		{"same host as registry: npm's fallback", "https://corp.example/files/pkg.tgz", "https://corp.example/artifactory/npm/", "corp"},
		{"tarball on another host than the registry", "https://cdn.example/pkg.tgz", "https://corp.example/artifactory/npm/", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.Parse(tc.url)
			reg, _ := url.Parse(tc.registry)
			if got := tokenFor(tokens, u, reg); got != tc.want {
				t.Errorf("tokenFor(%s) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}
