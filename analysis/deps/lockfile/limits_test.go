package lockfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
)

// TestGraphStepsBoundary runs the bun.lock walk with exactly the steps it needs, and one less.
func TestGraphStepsBoundary(t *testing.T) {
	data := readFixture(t, "testdata/bun/bun.lock")
	run := func(steps int) *reader {
		r := &reader{ctx: context.Background(), path: "bun.lock", kind: BunLock, data: data, graphSteps: steps}
		if err := r.bunLock(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	full := run(MaxGraphSteps)
	used := MaxGraphSteps - full.graphSteps
	if used <= 0 || len(full.problems) != 0 {
		t.Fatalf("used %d steps, problems %q", used, full.problems)
	}
	exact := run(used)
	if len(exact.problems) != 0 || !slices.Equal(exact.deps, full.deps) {
		t.Errorf("with exactly %d steps: problems %q", used, exact.problems)
	}
	short := run(used - 1)
	if len(short.problems) != 1 || !strings.Contains(short.problems[0], "dependency graph") {
		t.Errorf("with %d steps: problems %q", used-1, short.problems)
	}
	for _, d := range short.deps {
		if d.Dev {
			t.Errorf("incomplete walk marked %s dev-only", d.Name)
		}
	}
}

// uvLockWithGroups writes a uv.lock of n packages whose last package has m optional deps.
func uvLockWithGroups(n, m int) []byte {
	var b strings.Builder
	b.WriteString("version = 1\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "[[package]]\nname = \"p%d\"\nversion = \"1.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n", i)
	}
	b.WriteString("[[package]]\nname = \"last\"\nversion = \"1.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n[package.optional-dependencies]\nx = [\n")
	for i := 0; i < m; i++ {
		fmt.Fprintf(&b, "{ name = \"p%d\" },\n", i%n)
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

func TestScalibrQuadraticBoundary(t *testing.T) {
	opt := func(n int) uvPackage {
		return uvPackage{OptionalDependencies: map[string][]uvDep{"x": make([]uvDep, n)}}
	}
	if got := uvGroupWork(opt(40000), 5000); got != MaxScalibrQuadratic {
		t.Errorf("uvGroupWork at the limit = %d", got)
	}
	if got := uvGroupWork(opt(40000), 5001); got <= MaxScalibrQuadratic {
		t.Errorf("uvGroupWork over the limit = %d", got)
	}
	if pairs(20000) > MaxScalibrQuadratic || pairs(20001) <= MaxScalibrQuadratic {
		t.Errorf("pairs(20000) = %d, pairs(20001) = %d", pairs(20000), pairs(20001))
	}
	if testing.Short() {
		t.Skip("builds 2-3 MB lockfiles")
	}
	// Over the limit, the files are read without scalibr, with the same result.
	over, err := Extract(context.Background(), "uv.lock", uvLockWithGroups(20001, 10000))
	if err != nil || len(over.Problems) != 1 || len(over.Deps) != 20001 {
		t.Fatalf("uv.lock over the limit: %v, %d deps, %q", err, len(over.Deps), over.Problems)
	}
	pnpm, err := Extract(context.Background(), "pnpm-lock.yaml", genPnpm9(20001))
	if err != nil || len(pnpm.Problems) != 1 || len(pnpm.Deps) != 20001 {
		t.Fatalf("pnpm-lock.yaml over the limit: %v, %d deps, %q", err, len(pnpm.Deps), pnpm.Problems)
	}
	// Below it, scalibr's read and this package's agree on the same generator.
	small, err := Extract(context.Background(), "pnpm-lock.yaml", genPnpm9(300))
	if err != nil || len(small.Problems) != 0 || len(small.Deps) != 300 {
		t.Fatalf("pnpm-lock.yaml under the limit: %v, %d deps, %q", err, len(small.Deps), small.Problems)
	}
}

func TestMaxNodesBoundary(t *testing.T) {
	lines := MaxNodes / 3
	at := []byte(strings.Repeat("a: b\n", lines-1) + "c: " + strings.Repeat("{", MaxNodes-3*lines) + "\n")
	if n := nodeEstimate(at); n != MaxNodes {
		t.Fatalf("estimate %d", n)
	}
	if n := nodeEstimate([]byte("a: {b: 1, c: [2, 3]}\n\n  \n")); n != 3+2+2+2 {
		t.Errorf("estimate %d", n)
	}
	over := append(bytes.Clone(at), "d: e\n"...)
	for _, path := range []string{"pnpm-lock.yaml", "uv.lock", "poetry.lock", "pyproject.toml"} {
		start := time.Now()
		_, err := Extract(context.Background(), path, over)
		if !errors.Is(err, ErrTooLarge) || time.Since(start) > 10*time.Second {
			t.Errorf("%s over the limit: %v after %v", path, err, time.Since(start))
		}
	}
	// At the limit the gate lets a file through to the decoders (which then refuse this one's
	// duplicate keys, in yaml.v3's linear Node parse).
	if _, err := Extract(context.Background(), "pnpm-lock.yaml", at); !errors.Is(err, ErrMalformed) {
		t.Errorf("pnpm at the limit: %v", err)
	}
}

// manyDeps returns a package.json declaring n dependencies.
func manyDeps(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"dependencies":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"p%d":"1"`, i)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

func TestMaxEntriesBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 500,000 dependencies")
	}
	res, err := Extract(context.Background(), "package.json", manyDeps(MaxEntries))
	if err != nil || len(res.Deps) != MaxEntries || res.Index.Len() != MaxEntries {
		t.Fatalf("at the limit: %v", err)
	}
	start := time.Now()
	_, err = Extract(context.Background(), "package.json", manyDeps(MaxEntries+1))
	if !errors.Is(err, ErrTooLarge) || time.Since(start) > 10*time.Second {
		t.Fatalf("over the limit: %v after %v", err, time.Since(start))
	}
	// A requirements file of millions of lines is refused before scalibr reads it.
	start = time.Now()
	_, err = Extract(context.Background(), "requirements.txt", bytes.Repeat([]byte("a==1\n"), MaxEntries+1))
	if !errors.Is(err, ErrTooLarge) || time.Since(start) > 10*time.Second {
		t.Fatalf("requirements over the limit: %v after %v", err, time.Since(start))
	}
}

// panicky is a scalibr extractor that panics, as some do on hostile input.
type panicky struct{}

func (panicky) Name() string                       { return "test/panicky" }
func (panicky) Version() int                       { return 0 }
func (panicky) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }
func (panicky) FileRequired(filesystem.FileAPI) bool {
	return true
}
func (panicky) Extract(context.Context, *filesystem.ScanInput) (inventory.Inventory, error) {
	var parts []string
	_ = parts[1:][:2] // the kind of slice bound scalibr's pnpm key parser can hit
	return inventory.Inventory{}, nil
}

func TestScalibrPanicRecovered(t *testing.T) {
	r := &reader{ctx: context.Background(), path: "pnpm-lock.yaml", kind: PnpmLock, data: []byte("x")}
	_, err := r.runScalibr(panicky{}, r.data)
	var fe *FileError
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) || fe.Path != "pnpm-lock.yaml" || !strings.Contains(err.Error(), "test/panicky") {
		t.Errorf("err = %v", err)
	}
}
