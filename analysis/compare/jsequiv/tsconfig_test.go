package jsequiv

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// memFS is a readFile over an in-memory repository.
func memFS(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		s, ok := files[p]
		if !ok {
			return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
		}
		return []byte(s), nil
	}
}

func compilerOptions(t *testing.T, o Options) map[string]any {
	t.Helper()
	var v struct {
		CompilerOptions map[string]any `json:"compilerOptions"`
	}
	if err := json.Unmarshal([]byte(o.TSConfigRaw), &v); err != nil {
		t.Fatalf("TSConfigRaw %q: %v", o.TSConfigRaw, err)
	}
	return v.CompilerOptions
}

func hasNote(notes []string, sub string) bool {
	for _, n := range notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func TestTSConfigFixture(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"tsconfig.json", "tsconfig.cjs.json"} {
		files["pkg/"+n] = string(readFixture(t, fixture+"/"+n).Code)
	}
	opts, lay, err := TSConfig("pkg/tsconfig.cjs.json", memFS(files))
	if err != nil {
		t.Fatal(err)
	}
	co := compilerOptions(t, opts)
	if opts.Target != "es2020" || co["useDefineForClassFields"] != false || co["strict"] != true {
		t.Errorf("options %+v", opts)
	}
	if _, ok := co["outDir"]; ok {
		t.Error("non-esbuild option passed to esbuild")
	}
	if lay.RootDir != "pkg/src" || lay.OutDir != "pkg/dist/cjs" || lay.Module != "commonjs" || lay.Target != "es2020" {
		t.Errorf("layout %+v", lay)
	}
}

func TestTSConfig(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		start    string
		target   string
		rootDir  string
		outDir   string
		note     string // substring of a note, "" for none expected
		wantErr  bool
		extraKey string // a compilerOptions key expected in TSConfigRaw
	}{
		{
			name:   "jsonc comments and trailing commas",
			files:  map[string]string{"tsconfig.json": "{\n // c\n \"compilerOptions\": { /* x */ \"target\": \"ES2022\", \"outDir\": \"./dist\", },\n}"},
			start:  "tsconfig.json",
			target: "es2022", outDir: "dist",
		},
		{
			name:  "comment markers inside strings are kept",
			files: map[string]string{"tsconfig.json": `{"compilerOptions":{"target":"es2021","jsxFactory":"h//x","outDir":"a/*b*/"}}`},
			start: "tsconfig.json", target: "es2021", outDir: "a/*b*", extraKey: "jsxFactory",
		},
		{
			name: "relative extends, own options win, paths relative to the defining file",
			files: map[string]string{
				"packages/a/tsconfig.json": `{"extends":"../../tsconfig.base.json","compilerOptions":{"outDir":"build"}}`,
				"tsconfig.base.json":       `{"compilerOptions":{"target":"es2020","rootDir":"src","outDir":"x","experimentalDecorators":true}}`,
			},
			start: "packages/a/tsconfig.json", target: "es2020", rootDir: "src", outDir: "packages/a/build", extraKey: "experimentalDecorators",
		},
		{
			name: "extends without .json",
			files: map[string]string{
				"tsconfig.json": `{"extends":"./base"}`,
				"base.json":     `{"compilerOptions":{"target":"es2019"}}`,
			},
			start: "tsconfig.json", target: "es2019",
		},
		{
			name: "extends array (TypeScript 5)",
			files: map[string]string{
				"tsconfig.json": `{"extends":["./a.json","./b.json"]}`,
				"a.json":        `{"compilerOptions":{"target":"es2018","useDefineForClassFields":true}}`,
				"b.json":        `{"compilerOptions":{"target":"es2022"}}`,
			},
			start: "tsconfig.json", target: "es2022", extraKey: "useDefineForClassFields",
		},
		{
			name:  "well-known package base",
			files: map[string]string{"tsconfig.json": `{"extends":"@tsconfig/node18/tsconfig.json"}`},
			start: "tsconfig.json", target: "es2022", note: "@tsconfig/node18",
		},
		{
			name:  "unknown package base",
			files: map[string]string{"tsconfig.json": `{"extends":"@acme/config","compilerOptions":{"target":"es2017"}}`},
			start: "tsconfig.json", target: "es2017", note: "not readable",
		},
		{
			name:  "extends escaping the repository",
			files: map[string]string{"tsconfig.json": `{"extends":"../../etc/tsconfig.json","compilerOptions":{"target":"es2017"}}`},
			start: "tsconfig.json", target: "es2017", note: "leaves the repository",
		},
		{
			name:  "absolute extends",
			files: map[string]string{"tsconfig.json": `{"extends":"/etc/tsconfig.json","compilerOptions":{"target":"es2017"}}`},
			start: "tsconfig.json", target: "es2017", note: "absolute",
		},
		{
			name:  "missing relative base",
			files: map[string]string{"tsconfig.json": `{"extends":"./nope.json","compilerOptions":{"target":"es2017"}}`},
			start: "tsconfig.json", target: "es2017", note: "not read",
		},
		{
			name: "cycle",
			files: map[string]string{
				"a.json": `{"extends":"./b.json","compilerOptions":{"target":"es2016"}}`,
				"b.json": `{"extends":"./a.json"}`,
			},
			start: "a.json", target: "es2016", note: "cycle",
		},
		{
			name:  "outDir outside the repository",
			files: map[string]string{"tsconfig.json": `{"compilerOptions":{"target":"es2022","outDir":"../../out"}}`},
			start: "tsconfig.json", target: "es2022", note: "outside",
		},
		{
			name:  "no target",
			files: map[string]string{"tsconfig.json": `{}`},
			start: "tsconfig.json", note: "no target",
		},
		{name: "missing file", files: map[string]string{}, start: "tsconfig.json", wantErr: true},
		{name: "invalid json", files: map[string]string{"tsconfig.json": `{"compilerOptions":`}, start: "tsconfig.json", wantErr: true},
		{name: "path escapes", files: map[string]string{}, start: "../tsconfig.json", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, lay, err := TSConfig(tt.start, memFS(tt.files))
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.Target != tt.target || lay.Target != tt.target || lay.RootDir != tt.rootDir || lay.OutDir != tt.outDir {
				t.Errorf("got %+v %+v", opts, lay)
			}
			if tt.note != "" && !hasNote(lay.Notes, tt.note) {
				t.Errorf("notes %q lack %q", lay.Notes, tt.note)
			}
			if tt.extraKey != "" {
				if _, ok := compilerOptions(t, opts)[tt.extraKey]; !ok {
					t.Errorf("TSConfigRaw %s lacks %s", opts.TSConfigRaw, tt.extraKey)
				}
			}
		})
	}
}

// TestTSConfigLimits checks MaxExtendsDepth, MaxConfigFiles and MaxConfigSize
// at their boundaries.
func TestTSConfigLimits(t *testing.T) {
	chain := func(n int) map[string]string { // c0 extends c1 ... extends cn (which sets the target)
		files := map[string]string{}
		for i := 0; i < n; i++ {
			files[fmt.Sprintf("c%d.json", i)] = fmt.Sprintf(`{"extends":"./c%d.json"}`, i+1)
		}
		files[fmt.Sprintf("c%d.json", n)] = `{"compilerOptions":{"target":"es2019"}}`
		return files
	}
	opts, _, err := TSConfig("c0.json", memFS(chain(MaxExtendsDepth)))
	if err != nil || opts.Target != "es2019" {
		t.Errorf("depth %d: %+v %v", MaxExtendsDepth, opts, err)
	}
	opts, lay, err := TSConfig("c0.json", memFS(chain(MaxExtendsDepth+1)))
	if err != nil || opts.Target != "" || !hasNote(lay.Notes, "deeper") {
		t.Errorf("depth %d: %+v %+v %v", MaxExtendsDepth+1, opts, lay, err)
	}

	fan := func(n int) map[string]string { // root extends n files
		files := map[string]string{}
		var ext []string
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("f%d.json", i)
			ext = append(ext, `"./`+name+`"`)
			files[name] = `{"compilerOptions":{"target":"es2018"}}`
		}
		files["tsconfig.json"] = `{"extends":[` + strings.Join(ext, ",") + `]}`
		return files
	}
	if _, lay, err := TSConfig("tsconfig.json", memFS(fan(MaxConfigFiles-1))); err != nil || hasNote(lay.Notes, "config files") {
		t.Errorf("%d files: %+v %v", MaxConfigFiles, lay, err)
	}
	if _, lay, err := TSConfig("tsconfig.json", memFS(fan(MaxConfigFiles))); err != nil || !hasNote(lay.Notes, "config files") {
		t.Errorf("%d files: %+v %v", MaxConfigFiles+1, lay, err)
	}

	body := `{"compilerOptions":{"target":"es2020"}}`
	exact := body + strings.Repeat(" ", MaxConfigSize-len(body))
	if _, _, err := TSConfig("tsconfig.json", memFS(map[string]string{"tsconfig.json": exact})); err != nil {
		t.Errorf("exactly MaxConfigSize: %v", err)
	}
	if _, _, err := TSConfig("tsconfig.json", memFS(map[string]string{"tsconfig.json": exact + " "})); err == nil {
		t.Error("over MaxConfigSize accepted")
	}
}

func FuzzTSConfig(f *testing.F) {
	f.Add([]byte(`{"extends":"./b.json","compilerOptions":{"target":"es2022",}}`), []byte(`{"compilerOptions":{"rootDir":"../x"}} // c`))
	f.Add([]byte(`{"extends":["@tsconfig/node18","./b"]}`), []byte(`/* */{"extends":"./tsconfig.json"}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		_, _, _ = TSConfig("tsconfig.json", memFS(map[string]string{"tsconfig.json": string(a), "b.json": string(b)}))
	})
}
