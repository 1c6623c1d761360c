package deps

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing"
)

// memPR is a pull request held in memory: path -> content at base and head ("" = absent).
type memPR struct{ base, head map[string]string }

func (m memPR) ChangedPaths(context.Context) ([]string, error) {
	seen := map[string]bool{}
	for p, v := range m.base {
		if m.head[p] != v {
			seen[p] = true
		}
	}
	for p, v := range m.head {
		if m.base[p] != v {
			seen[p] = true
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func read(tree map[string]string, path string) ([]byte, error) {
	v, ok := tree[path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	return []byte(v), nil
}

func (m memPR) ReadBase(_ context.Context, p string) ([]byte, error) { return read(m.base, p) }
func (m memPR) ReadHead(_ context.Context, p string) ([]byte, error) { return read(m.head, p) }

func manifest(deps string) string {
	return `{
  "name": "app",
  "version": "1.0.0",
  "dependencies": {
` + deps + `
  }
}
`
}

func lock(entries ...string) string {
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"app\",\n      \"version\": \"1.0.0\"\n    }")
	for _, e := range entries {
		name, version, _ := strings.Cut(e, "@")
		if strings.HasPrefix(e, "@") {
			i := strings.LastIndex(e, "@")
			name, version = e[:i], e[i+1:]
		}
		unscoped := name[strings.LastIndex(name, "/")+1:]
		fmt.Fprintf(&b, ",\n    \"node_modules/%s\": {\n      \"version\": \"%s\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%s.tgz\"\n    }", name, version, name, unscoped, version)
	}
	b.WriteString("\n  }\n}\n")
	return b.String()
}

func mcpJSON(spec string) string {
	return `{
  "mcpServers": {
    "mail": {
      "command": "npx",
      "args": ["-y", "` + spec + `"]
    }
  }
}
`
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name     string
		pr       memPR
		want     []string // "name from→to kind mcp locations"
		findings []string // rule ids on the changes
		repo     []string // rule ids of repository findings
	}{
		{
			name: "bump in package.json, lockfile and .mcp.json is one change with three locations",
			pr: memPR{
				base: map[string]string{"package.json": manifest(`    "mailpost-mcp": "1.0.15"`), "package-lock.json": lock("mailpost-mcp@1.0.15"), ".mcp.json": mcpJSON("mailpost-mcp@1.0.15")},
				head: map[string]string{"package.json": manifest(`    "mailpost-mcp": "1.0.16"`), "package-lock.json": lock("mailpost-mcp@1.0.16"), ".mcp.json": mcpJSON("mailpost-mcp@1.0.16")},
			},
			want: []string{"mailpost-mcp 1.0.15→1.0.16 bumped mcp .mcp.json:5 package-lock.json:12 package-json:5"},
		},
		{
			name: "added and removed",
			pr: memPR{
				base: map[string]string{"package-lock.json": lock("old-pkg@1.0.0")},
				head: map[string]string{"package-lock.json": lock("@acme/new-pkg@2.1.0")},
			},
			want: []string{"@acme/new-pkg →2.1.0 added package-lock.json:12", "old-pkg 1.0.0→ removed"},
		},
		{
			name: "downgrade",
			pr: memPR{
				base: map[string]string{"package-lock.json": lock("a@2.0.0")},
				head: map[string]string{"package-lock.json": lock("a@1.9.0")},
			},
			want: []string{"a 2.0.0→1.9.0 downgraded package-lock.json:12"},
		},
		{
			name: "pinned server becomes unpinned: blocks",
			pr: memPR{
				base: map[string]string{".mcp.json": mcpJSON("mailpost-mcp@1.0.15")},
				head: map[string]string{".mcp.json": mcpJSON("mailpost-mcp@latest")},
			},
			want:     []string{"mailpost-mcp 1.0.15→latest changed mcp .mcp.json:5"},
			findings: []string{"mcp/unpinned-server:block"},
		},
		{
			name: "new unpinned server: warns",
			pr: memPR{
				base: map[string]string{},
				head: map[string]string{".mcp.json": mcpJSON("mailpost-mcp")},
			},
			want:     []string{"mailpost-mcp →latest added mcp .mcp.json:5"},
			findings: []string{"mcp/unpinned-server:warn"},
		},
		{
			name: "placeholder in the package position is unresolvable, never guessed",
			pr: memPR{
				base: map[string]string{},
				head: map[string]string{".mcp.json": mcpJSON("${input:pkg}")},
			},
			repo: []string{"mcp/unresolvable-server"},
		},
		{
			name: "remote server moves to another host",
			pr: memPR{
				base: map[string]string{".mcp.json": "{\"mcpServers\": {\"search\": {\"type\": \"http\", \"url\": \"https://mcp.example.com/mcp\"}}}\n"},
				head: map[string]string{".mcp.json": "{\"mcpServers\": {\"search\": {\"type\": \"http\", \"url\": \"https://mcp.example.net/mcp\"}}}\n"},
			},
			repo: []string{"mcp/remote-server"},
		},
		{
			name: "a broken file is an error for that file; the rest is still reviewed",
			pr: memPR{
				base: map[string]string{"package-lock.json": lock("a@1.0.0"), ".mcp.json": mcpJSON("a@1.0.0")},
				head: map[string]string{"package-lock.json": "{ not json", ".mcp.json": mcpJSON("a@1.0.1")},
			},
			want: []string{"a 1.0.0→1.0.1 bumped mcp .mcp.json:5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Detect(context.Background(), tt.pr)
			if err != nil {
				t.Fatal(err)
			}
			var got, findings []string
			for _, c := range res.Changes {
				s := fmt.Sprintf("%s %s→%s %s", c.Name, c.From, c.To, c.Kind)
				if c.MCP {
					s += " mcp"
				}
				for _, l := range c.Locations {
					s += fmt.Sprintf(" %s:%d", l.Path, l.Line)
				}
				got = append(got, s)
				for _, f := range c.Findings {
					findings = append(findings, f.Rule+":"+string(f.Severity))
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			for i := range want {
				want[i] = strings.ReplaceAll(want[i], "package-json", "package.json")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if strings.Join(findings, " ") != strings.Join(tt.findings, " ") {
				t.Errorf("findings %v, want %v", findings, tt.findings)
			}
			var repo []string
			for _, f := range res.Findings {
				repo = append(repo, f.Rule)
			}
			if strings.Join(repo, " ") != strings.Join(tt.repo, " ") {
				t.Errorf("repository findings %v, want %v", repo, tt.repo)
			}
			if tt.name == "a broken file is an error for that file; the rest is still reviewed" {
				if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "package-lock.json") {
					t.Errorf("errors %v, want one naming package-lock.json", res.Errors)
				}
			}
		})
	}
}

// TestChangedPathsLimit: at most MaxChangedPaths changed paths are looked at; one more is an error, not a
// silently partial review.
func TestChangedPathsLimit(t *testing.T) {
	pr := func(n int) memPR {
		head := map[string]string{}
		for i := 0; i < n; i++ {
			head[fmt.Sprintf("docs/%05d.md", i)] = "x"
		}
		return memPR{base: map[string]string{}, head: head}
	}
	if _, err := Detect(context.Background(), pr(MaxChangedPaths)); err != nil {
		t.Errorf("%d changed paths: %v", MaxChangedPaths, err)
	}
	if _, err := Detect(context.Background(), pr(MaxChangedPaths+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("%d changed paths: err = %v, want the limit", MaxChangedPaths+1, err)
	}
}
