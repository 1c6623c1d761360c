package lockfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// paddedPackageJSON returns a valid package.json of exactly size bytes.
func paddedPackageJSON(size int) []byte {
	head, tail := `{"dependencies":{"a":"1.0.0"},"description":"`, `"}`
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
}

func TestMaxLockfileSize(t *testing.T) {
	ctx := context.Background()
	res, err := Extract(ctx, "package.json", paddedPackageJSON(MaxLockfileSize))
	if err != nil || len(res.Deps) != 1 {
		t.Fatalf("at the limit: %v, %+v", err, res)
	}
	_, err = Extract(ctx, "app/package.json", paddedPackageJSON(MaxLockfileSize+1))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "app/package.json") {
		t.Fatalf("over the limit: %v", err)
	}
	if x := Index(PackageJSON, paddedPackageJSON(MaxLockfileSize+1)); x.Len() != 0 {
		t.Errorf("over the limit: index has %d entries", x.Len())
	}
	if x := Index(PackageJSON, paddedPackageJSON(MaxLockfileSize)); x.Len() != 1 {
		t.Errorf("at the limit: index has %d entries", x.Len())
	}
}

func nestedJSON(depth int) []byte {
	return []byte(`{"x":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
}

func TestNestingDepthBoundary(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"package.json", "package-lock.json", "bun.lock", "Pipfile.lock"} {
		if _, err := Extract(ctx, path, nestedJSON(MaxNestingDepth)); err != nil {
			t.Errorf("%s at the limit: %v", path, err)
		}
		_, err := Extract(ctx, path, nestedJSON(MaxNestingDepth+1))
		var fe *FileError
		if !errors.Is(err, ErrTooDeep) || !errors.As(err, &fe) || fe.Path != path || fe.Line != 1 {
			t.Errorf("%s over the limit: %v", path, err)
		}
	}
	for _, path := range []string{"pyproject.toml", "uv.lock", "poetry.lock"} {
		at := "x = " + strings.Repeat("[", MaxNestingDepth) + strings.Repeat("]", MaxNestingDepth) + "\n"
		if _, err := Extract(ctx, path, []byte(at)); err != nil {
			t.Errorf("%s at the limit: %v", path, err)
		}
		over := "x = " + strings.Repeat("[", MaxNestingDepth+1) + strings.Repeat("]", MaxNestingDepth+1) + "\n"
		if _, err := Extract(ctx, path, []byte(over)); !errors.Is(err, ErrTooDeep) {
			t.Errorf("%s over the limit: %v", path, err)
		}
	}
}

// TestDeepNestingFailsFast: 100,000 opening brackets must end in an error quickly, in Extract
// and in Index, for every structured format.
func TestDeepNestingFailsFast(t *testing.T) {
	deep := bytes.Repeat([]byte("["), 100_000)
	tomlDeep := append([]byte("x = "), deep...)
	yamlDeep := append([]byte("lockfileVersion: '9.0'\npackages: "), deep...)
	tests := []struct {
		path string
		data []byte
		want error
	}{
		{"package.json", deep, ErrTooDeep},
		{"package-lock.json", deep, ErrTooDeep},
		{"npm-shrinkwrap.json", append([]byte(`{"packages":`), deep...), ErrTooDeep},
		{"bun.lock", deep, ErrTooDeep},
		{"Pipfile.lock", deep, ErrTooDeep},
		{"pyproject.toml", tomlDeep, ErrTooDeep},
		{"uv.lock", tomlDeep, ErrTooDeep},
		{"poetry.lock", tomlDeep, ErrTooDeep},
		{"pnpm-lock.yaml", yamlDeep, ErrMalformed}, // yaml.v3's own depth limit (10,000)
		{"yarn.lock", deep, ErrMalformed},
		{"requirements.txt", deep, ErrMalformed}, // scalibr's line scanner refuses lines over 64 KiB
	}
	for _, tt := range tests {
		start := time.Now()
		_, err := Extract(context.Background(), tt.path, tt.data)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.path, err, tt.want)
		}
		kind, _ := Detect(tt.path)
		_ = Index(kind, tt.data)
		if d := time.Since(start); d > 5*time.Second { // about 20 ms when idle
			t.Errorf("%s: took %v", tt.path, d)
		}
	}
}

func TestLineContinuationsBoundary(t *testing.T) {
	ctx := context.Background()
	req := func(n int) []byte {
		return []byte("mcp==1.0.0" + strings.Repeat(" \\\n", n) + "\nother==2.0.0\n")
	}
	res, err := Extract(ctx, "requirements.txt", req(MaxLineContinuations))
	if err != nil || len(res.Deps) != 2 {
		t.Fatalf("at the limit: %v %+v", err, res)
	}
	_, err = Extract(ctx, "requirements.txt", req(MaxLineContinuations+1))
	var fe *FileError
	if !errors.Is(err, ErrTooDeep) || !errors.As(err, &fe) || fe.Line != MaxLineContinuations+1 {
		t.Fatalf("over the limit: %v", err)
	}
	// Millions of backslashes must not reach scalibr's recursive line joiner.
	_, err = Extract(ctx, "requirements.txt", bytes.Repeat([]byte("\\\n"), 4<<20))
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("backslash flood: %v", err)
	}
}

func TestMaxProblemsBoundary(t *testing.T) {
	dupes := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"dependencies":{"a":"1"`)
		for i := 0; i < n; i++ {
			b.WriteString(`,"a":"1"`)
		}
		b.WriteString("}}")
		return []byte(b.String())
	}
	res, err := Extract(context.Background(), "package.json", dupes(MaxProblems))
	if err != nil || len(res.Problems) != MaxProblems {
		t.Fatalf("at the limit: %v, %d problems", err, len(res.Problems))
	}
	res, err = Extract(context.Background(), "package.json", dupes(MaxProblems+5))
	if err != nil || len(res.Problems) != MaxProblems+1 || res.Problems[MaxProblems] != "5 more problems not listed" {
		t.Fatalf("over the limit: %v, %q", err, res.Problems[len(res.Problems)-1])
	}
}

func TestDuplicateKeys(t *testing.T) {
	data := []byte(`{
  "lockfileVersion": 3,
  "packages": {
    "node_modules/a": {"version": "1.0.0"},
    "node_modules/a": {"version": "6.6.6"}
  }
}`)
	res, err := Extract(context.Background(), "package-lock.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], `line 5: duplicate key "node_modules/a"`) {
		t.Errorf("problems = %q", res.Problems)
	}
	// Like npm's JSON.parse, the last one wins.
	if len(res.Deps) != 1 || res.Deps[0].Version != "6.6.6" {
		t.Errorf("deps = %+v", res.Deps)
	}
	// Many keys in one object: the map-backed check takes over from the linear one.
	var b strings.Builder
	b.WriteString(`{"dependencies":{`)
	for i := 0; i < 3*smallKeys; i++ {
		fmt.Fprintf(&b, `"p%d":"1",`, i)
	}
	b.WriteString(`"p7":"2"}}`)
	res, err = Extract(context.Background(), "package.json", []byte(b.String()))
	if err != nil || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], `"p7"`) {
		t.Errorf("large object: %v %q", err, res.Problems)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		path     string
		data     string
		want     error
		wantLine int // 0: any
	}{
		{"package.json", "{\n  \"dependencies\": {\n    \"a\": \"1\",\n  }\n}", ErrMalformed, 4},
		{"package.json", `[]`, ErrMalformed, 0},
		{"package.json", ``, ErrMalformed, 0},
		{"package.json", `{"a":1} {"b":2}`, ErrMalformed, 1},
		{"package.json", `{"a":tru}`, ErrMalformed, 1},
		{"package.json", "{\"a\":\"x\ny\"}", ErrMalformed, 1},
		{"package-lock.json", "{\n\"packages\": {\"node_modules/a\": {\"version\": 1}}}", ErrMalformed, 2},
		{"package-lock.json", `{"packages": {"node_modules/a": {"version": "1.0.0"}}`, ErrMalformed, 0},
		{"bun.lock", `{"packages": {/* unterminated`, ErrMalformed, 0},
		{"bun.lock", `{"packages": {"a": 5}}`, ErrMalformed, 0},
		{"Pipfile.lock", `{"default": []}`, ErrMalformed, 0},
		{"pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: [\n", ErrMalformed, 0},
		{"pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n", ErrMalformed, 4},
		{"pnpm-lock.yaml", "lockfileVersion: '6.0'\npackages:\n  /@scope:\n    resolution: {integrity: x}\n", ErrMalformed, 0}, // panics inside scalibr
		{"yarn.lock", "a@^1:\n  version \"1.0.0\"\nnot a header\n", ErrMalformed, 3},
		{"yarn.lock", "  version \"1.0.0\"\n", ErrMalformed, 1},
		{"pyproject.toml", "[project]\ndependencies = [\"a\"\n", ErrMalformed, 0},
		{"pyproject.toml", "[project]\ndependencies = \"a\"\n", ErrMalformed, 0},
		{"uv.lock", "[[package]]\nname = \"a\"\nname = \"b\"\n", ErrMalformed, 3},
		{"poetry.lock", "[[package]\n", ErrMalformed, 2},
	}
	for _, tt := range tests {
		_, err := Extract(context.Background(), "repo/"+tt.path, []byte(tt.data))
		var fe *FileError
		if !errors.Is(err, tt.want) || !errors.As(err, &fe) {
			t.Errorf("%s %q: err = %v, want %v", tt.path, tt.data, err, tt.want)
			continue
		}
		if fe.Path != "repo/"+tt.path || !strings.HasPrefix(err.Error(), "repo/"+tt.path+":") {
			t.Errorf("%s: error does not name the file: %v", tt.path, err)
		}
		if tt.wantLine != 0 && fe.Line != tt.wantLine {
			t.Errorf("%s %q: line %d, want %d (%v)", tt.path, tt.data, fe.Line, tt.wantLine, err)
		}
		// Index never fails and never panics on the same input.
		kind, _ := Detect(tt.path)
		_ = Index(kind, []byte(tt.data))
	}
}

func TestBinaryJunk(t *testing.T) {
	junk := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
	for _, k := range []Kind{PackageJSON, PackageLockJSON, NpmShrinkwrap, PnpmLock, YarnLock, BunLock,
		Requirements, PyProject, UVLock, PoetryLock, PipfileLock} {
		_, err := Extract(context.Background(), string(k), junk)
		var fe *FileError
		if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) || fe.Line != 3 {
			t.Errorf("%s: err = %v", k, err)
		}
		_ = Index(k, junk)
	}
	// Invalid UTF-8 without NUL bytes.
	_, err := Extract(context.Background(), "yarn.lock", []byte("a@1:\n  version \"1\xff\"\n"))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestYAMLAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("l%d", i)
		fmt.Fprintf(&b, "%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	b.WriteString("lockfileVersion: *" + prev + "\n") // decoded into an interface: expanded
	start := time.Now()
	_, err := Extract(context.Background(), "pnpm-lock.yaml", []byte(b.String()))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestRedaction(t *testing.T) {
	got := redactURLs(`see https://user:tok3n@host.example/x.tgz and git+ssh://git@github.com/o/r.git and https://h/p?u=a@b`)
	want := `see https://***@host.example/x.tgz and git+ssh://git@github.com/o/r.git and https://h/p?u=a@b`
	if got != want {
		t.Errorf("redactURLs = %q", got)
	}
	err := &FileError{Path: "package-lock.json", Line: 3, Err: errors.New("cannot fetch https://x:secret@reg.example/a")}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks a secret: %v", err)
	}
	data := []byte("{\"dependencies\": {\"a\": \"https://bot:ghp_secret@example.com/a.tgz\"}}")
	res, xerr := Extract(context.Background(), "package.json", data)
	if xerr != nil {
		t.Fatal(xerr)
	}
	for _, d := range res.Deps {
		if strings.Contains(d.Resolved+d.Spec+d.Version, "ghp_secret") {
			t.Errorf("dep leaks a secret: %+v", d)
		}
		if lines := Index(PackageJSON, data).Lines(d); len(lines) != 1 {
			t.Errorf("redacted dep has lines %v", lines)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, path := range []string{
		"testdata/npm/package-lock.json", "testdata/npmv1/package-lock.json", "testdata/npm/package.json",
		"testdata/pnpm9/pnpm-lock.yaml", "testdata/pnpm6/pnpm-lock.yaml", "testdata/pnpm5/pnpm-lock.yaml",
		"testdata/yarnclassic/yarn.lock", "testdata/yarnberry/yarn.lock", "testdata/bun/bun.lock",
		"testdata/py/requirements.txt", "testdata/py/pyproject.toml", "testdata/py/uv.lock",
		"testdata/py/poetry.lock", "testdata/py/Pipfile.lock",
	} {
		data, err := readFile(path)
		if err != nil {
			f.Fatal(err)
		}
		kind, _ := Detect(path)
		f.Add(string(kind), data)
	}
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		k, ok := kindOf(kind)
		if !ok {
			return
		}
		res, err := Extract(context.Background(), kind, data)
		x := Index(k, data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a FileError: %v", err)
			}
			return
		}
		for _, d := range res.Deps {
			_ = x.Lines(d)
		}
	})
}
