package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func publishFixtures(r *NPMRegistry) map[string][]byte {
	tgzs := map[string][]byte{
		"demo-pkg@1.0.0":        BuildTarball("", map[string][]byte{"package.json": []byte(`{"name":"demo-pkg","version":"1.0.0"}`), "index.js": []byte("module.exports = 1\n")}),
		"demo-pkg@1.1.0":        BuildTarball("", map[string][]byte{"package.json": []byte(`{"name":"demo-pkg","version":"1.1.0"}`), "index.js": []byte("module.exports = 2\n"), "lib/util.js": []byte("exports.x = 1\n")}),
		"@acme/mcp-thing@0.2.0": BuildTarball("", map[string][]byte{"package.json": []byte(`{"name":"@acme/mcp-thing","version":"0.2.0"}`), "index.js": []byte("console.log('hi')\n")}),
	}
	r.Publish("demo-pkg", "1.0.0", Version{Manifest: map[string]any{"description": "first"}, Tarball: tgzs["demo-pkg@1.0.0"]})
	r.Publish("demo-pkg", "1.1.0", Version{
		Manifest: map[string]any{"description": "second", "scripts": map[string]any{"postinstall": "node x.js"}, "dependencies": map[string]any{"left-pad": "^1.0.0"}},
		Tarball:  tgzs["demo-pkg@1.1.0"],
		Time:     time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
	})
	r.Publish("@acme/mcp-thing", "0.2.0", Version{Manifest: map[string]any{"mcpName": "io.github.acme/thing"}, Tarball: tgzs["@acme/mcp-thing@0.2.0"]})
	return tgzs
}

func get(t *testing.T, url, accept string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func TestNPMRegistryRoutes(t *testing.T) {
	for _, prefix := range []string{"", "/artifactory/api/npm/npm/"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			r := NewNPMRegistry(prefix)
			base := r.Start()
			defer r.Close()
			tgzs := publishFixtures(r)
			if !strings.HasSuffix(base, "/") || !strings.Contains(base, prefix) {
				t.Fatalf("base URL %q", base)
			}

			tests := []struct {
				name, path, accept string
				status             int
				check              func(t *testing.T, doc map[string]any, hdr http.Header)
			}{
				{name: "full", path: "demo-pkg", status: 200, check: func(t *testing.T, doc map[string]any, hdr http.Header) {
					if doc["dist-tags"].(map[string]any)["latest"] != "1.1.0" {
						t.Errorf("latest = %v", doc["dist-tags"])
					}
					v := doc["versions"].(map[string]any)["1.1.0"].(map[string]any)
					dist := v["dist"].(map[string]any)
					if dist["tarball"] != base+"demo-pkg/-/demo-pkg-1.1.0.tgz" {
						t.Errorf("tarball = %v", dist["tarball"])
					}
					if !strings.HasPrefix(dist["integrity"].(string), "sha512-") || len(dist["shasum"].(string)) != 40 {
						t.Errorf("dist = %v", dist)
					}
					if dist["fileCount"] != float64(3) {
						t.Errorf("fileCount = %v", dist["fileCount"])
					}
					if doc["time"].(map[string]any)["1.1.0"] != "2025-03-04T05:06:07.000Z" {
						t.Errorf("time = %v", doc["time"])
					}
					if v["description"] != "second" || v["_id"] != "demo-pkg@1.1.0" {
						t.Errorf("version doc = %v", v)
					}
				}},
				{name: "abbreviated", path: "demo-pkg", accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*", status: 200,
					check: func(t *testing.T, doc map[string]any, hdr http.Header) {
						if hdr.Get("Content-Type") != npmAbbreviatedMediaType {
							t.Errorf("content type %q", hdr.Get("Content-Type"))
						}
						if _, ok := doc["time"]; ok {
							t.Error("abbreviated packument has time")
						}
						v := doc["versions"].(map[string]any)["1.1.0"].(map[string]any)
						if v["hasInstallScript"] != true || v["description"] != nil || v["dependencies"] == nil {
							t.Errorf("abbreviated version = %v", v)
						}
					}},
				{name: "scoped lower", path: "@acme%2fmcp-thing", status: 200},
				{name: "scoped upper", path: "@acme%2Fmcp-thing", status: 200},
				{name: "scoped slash", path: "@acme/mcp-thing", status: 200, check: func(t *testing.T, doc map[string]any, hdr http.Header) {
					dist := doc["versions"].(map[string]any)["0.2.0"].(map[string]any)["dist"].(map[string]any)
					if dist["tarball"] != base+"@acme/mcp-thing/-/mcp-thing-0.2.0.tgz" {
						t.Errorf("tarball = %v", dist["tarball"])
					}
				}},
				{name: "version doc", path: "demo-pkg/1.0.0", status: 200, check: func(t *testing.T, doc map[string]any, hdr http.Header) {
					if doc["version"] != "1.0.0" {
						t.Errorf("doc = %v", doc)
					}
				}},
				{name: "tag doc", path: "demo-pkg/latest", status: 200, check: func(t *testing.T, doc map[string]any, hdr http.Header) {
					if doc["version"] != "1.1.0" {
						t.Errorf("doc = %v", doc)
					}
				}},
				{name: "missing version", path: "demo-pkg/9.9.9", status: 404},
				{name: "missing package", path: "nope", status: 404, check: func(t *testing.T, doc map[string]any, hdr http.Header) {
					if doc["error"] != "Not found" {
						t.Errorf("doc = %v", doc)
					}
				}},
				{name: "ping", path: "-/ping", status: 200},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					status, hdr, body := get(t, base+tc.path, tc.accept)
					if status != tc.status {
						t.Fatalf("status %d, want %d: %s", status, tc.status, body)
					}
					var doc map[string]any
					if err := json.Unmarshal(body, &doc); err != nil {
						t.Fatalf("body is not a JSON object: %v", err)
					}
					if tc.check != nil {
						tc.check(t, doc, hdr)
					}
				})
			}

			for id, want := range tgzs {
				name, version, _ := strings.Cut(id[1:], "@")
				name = id[:1] + name
				status, _, body := get(t, base+name+"/-/"+npmTarballFile(name, version), "")
				if status != 200 || !bytes.Equal(body, want) {
					t.Errorf("tarball %s: status %d, %d bytes", id, status, len(body))
				}
			}
		})
	}
}

func TestNPMRegistryControls(t *testing.T) {
	r := NewNPMRegistry("")
	base := r.Start()
	defer r.Close()
	publishFixtures(r)

	r.FailNext(2, http.StatusServiceUnavailable)
	for i, want := range []int{503, 503, 200} {
		if status, _, _ := get(t, base+"demo-pkg", ""); status != want {
			t.Errorf("request %d: status %d, want %d", i, status, want)
		}
	}
	if r.Requests() != 3 {
		t.Errorf("Requests() = %d", r.Requests())
	}

	r.Tamper("demo-pkg", "1.0.0", []byte("evil"))
	if _, _, body := get(t, base+"demo-pkg/-/demo-pkg-1.0.0.tgz", ""); string(body) != "evil" {
		t.Errorf("tampered body = %q", body)
	}

	r.SetDistTag("demo-pkg", "latest", "1.0.0")
	_, _, body := get(t, base+"demo-pkg", "")
	if !strings.Contains(string(body), `"dist-tags":{"latest":"1.0.0"}`) {
		t.Errorf("dist-tags not overridden: %.200s", body)
	}
	log := r.RequestLog()
	if len(log) != r.Requests() || log[0].Path != "/demo-pkg" {
		t.Errorf("log = %+v", log)
	}
}

func TestBuildTarballDeterministic(t *testing.T) {
	files := map[string][]byte{"b.js": []byte("b"), "a/x.js": []byte("x"), "package.json": []byte("{}")}
	a, b := BuildTarball("", files), BuildTarball("package", files)
	if !bytes.Equal(a, b) {
		t.Fatal("BuildTarball is not deterministic")
	}
	if n, size := npmTarballStats(a); n != 3 || size != 4 {
		t.Errorf("stats = %d files, %d bytes", n, size)
	}
}

func TestNPMVersionLess(t *testing.T) {
	ordered := []string{"junk", "0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.2.0", "1.10.0"}
	for i := range ordered {
		for j := range ordered {
			if got := npmVersionLess(ordered[i], ordered[j]); got != (i < j) {
				t.Errorf("npmVersionLess(%q, %q) = %v", ordered[i], ordered[j], got)
			}
		}
	}
}

// TestRealNPMClient proves the protocol is real: the npm CLI itself reads packuments and downloads (and
// verifies) tarballs from the registry. It is skipped when npm is not installed or with -short.
func TestRealNPMClient(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running the npm CLI")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH")
	}
	r := NewNPMRegistry("/artifactory/api/npm/npm/")
	base := r.Start()
	defer r.Close()
	tgzs := publishFixtures(r)

	home := t.TempDir()
	userconfig := filepath.Join(home, ".npmrc")
	if err := os.WriteFile(userconfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"npm_config_cache=" + filepath.Join(home, "cache"),
		"npm_config_userconfig=" + userconfig,
		"npm_config_globalconfig=" + filepath.Join(home, "global-npmrc"),
		"npm_config_update_notifier=false",
		"npm_config_audit=false",
		"npm_config_fund=false",
		"npm_config_loglevel=error",
	}
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, append(args, "--registry", base, "--ignore-scripts")...)
		cmd.Env = env
		cmd.Dir = home
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}

	tests := []struct{ name, version, file string }{
		{"demo-pkg", "1.1.0", "demo-pkg-1.1.0.tgz"},
		{"@acme/mcp-thing", "0.2.0", "acme-mcp-thing-0.2.0.tgz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var view struct {
				Name     string            `json:"name"`
				Version  string            `json:"version"`
				DistTags map[string]string `json:"dist-tags"`
				Dist     struct{ Integrity string }
			}
			if err := json.Unmarshal(run("view", tc.name, "--json"), &view); err != nil {
				t.Fatalf("npm view output: %v", err)
			}
			if view.Name != tc.name || view.Version != tc.version || view.DistTags["latest"] != tc.version || view.Dist.Integrity == "" {
				t.Errorf("npm view = %+v", view)
			}

			run("pack", tc.name+"@"+tc.version, "--pack-destination", home, "--json")
			got, err := os.ReadFile(filepath.Join(home, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tgzs[tc.name+"@"+tc.version]) {
				t.Error("npm pack wrote different bytes than published")
			}
		})
	}
	if !slices.ContainsFunc(r.RequestLog(), func(q NPMRequest) bool {
		return q.Path == "/artifactory/api/npm/npm/@acme%2fmcp-thing"
	}) {
		t.Errorf("npm never asked for the scoped packument as @acme%%2fmcp-thing: %+v", r.RequestLog())
	}
}
