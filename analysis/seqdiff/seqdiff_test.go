package seqdiff

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

// apply checks that edits is a well-formed script from a to b and returns the
// sequence it produces.
func apply[T comparable](t *testing.T, a, b []T, edits []Edit) []T {
	t.Helper()
	var out []T
	ai, bi := 0, 0
	for i, e := range edits {
		if e.A0 != ai || e.B0 != bi || e.A1 < e.A0 || e.B1 < e.B0 {
			t.Fatalf("edit %d %+v does not continue at a=%d b=%d", i, e, ai, bi)
		}
		if i > 0 && edits[i-1].Op == e.Op {
			t.Fatalf("edits %d and %d have the same op %v", i-1, i, e.Op)
		}
		switch e.Op {
		case Equal:
			if e.A1-e.A0 != e.B1-e.B0 || e.A1 == e.A0 {
				t.Fatalf("bad equal %+v", e)
			}
			for k := 0; k < e.A1-e.A0; k++ {
				if a[e.A0+k] != b[e.B0+k] {
					t.Fatalf("equal %+v: a[%d] != b[%d]", e, e.A0+k, e.B0+k)
				}
			}
			out = append(out, a[e.A0:e.A1]...)
		case Delete:
			if e.B0 != e.B1 || e.A1 == e.A0 {
				t.Fatalf("bad delete %+v", e)
			}
			if i > 0 && edits[i-1].Op == Insert {
				t.Fatalf("edit %d: delete after insert", i)
			}
		case Insert:
			if e.A0 != e.A1 || e.B1 == e.B0 {
				t.Fatalf("bad insert %+v", e)
			}
			out = append(out, b[e.B0:e.B1]...)
		}
		ai, bi = e.A1, e.B1
	}
	if ai != len(a) || bi != len(b) {
		t.Fatalf("script ends at a=%d b=%d, want %d %d", ai, bi, len(a), len(b))
	}
	return out
}

func equalSlices[T comparable](x, y []T) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// lcsCost is the reference O(NM) edit distance (insertions + deletions).
func lcsCost[T comparable](a, b []T) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return len(a) + len(b) - 2*prev[len(b)]
}

func TestDiffTable(t *testing.T) {
	tests := []struct {
		name    string
		a, b    string
		maxCost int
		cost    int
		exact   bool
		ops     string // compact script: e=equal d=delete i=insert
	}{
		{"both empty", "", "", 10, 0, true, ""},
		{"equal", "abc", "abc", 10, 0, true, "e"},
		{"insert all", "", "abc", 10, 3, true, "i"},
		{"delete all", "abc", "", 10, 3, true, "d"},
		{"insert middle", "abcd", "abXcd", 10, 1, true, "eie"},
		{"delete middle", "abXcd", "abcd", 10, 1, true, "ede"},
		{"replace middle", "abXcd", "abYcd", 10, 2, true, "edie"},
		{"prefix only", "abc", "abcdef", 10, 3, true, "ei"},
		{"suffix only", "xyzabc", "abc", 10, 3, true, "de"},
		{"classic", "abcabba", "cbabac", 100, 5, true, ""},
		{"disjoint", "abc", "xyz", 100, 6, true, "di"},
		{"unbounded", "abcabba", "cbabac", 0, 5, true, ""},
		{"bound exactly met", "abXcd", "abYcd", 2, 2, true, "edie"},
		{"bound hit", "aXbYcZd", "aPbQcRd", 2, -1, false, ""},
		{"bound hit no anchors", "XYZ", "PQR", 1, 6, false, "di"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := []byte(tt.a), []byte(tt.b)
			edits, exact := Diff(a, b, tt.maxCost)
			if got := apply(t, a, b, edits); !equalSlices(got, b) {
				t.Fatalf("applying script gives %q, want %q", got, b)
			}
			if exact != tt.exact {
				t.Errorf("exact = %v, want %v", exact, tt.exact)
			}
			if c := Cost(edits); tt.cost >= 0 && c != tt.cost {
				t.Errorf("cost = %d, want %d (%+v)", c, tt.cost, edits)
			}
			if tt.ops != "" {
				var sb strings.Builder
				for _, e := range edits {
					sb.WriteByte("eid"[e.Op])
				}
				if sb.String() != tt.ops {
					t.Errorf("ops = %q, want %q", sb.String(), tt.ops)
				}
			}
		})
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[Op]string{Equal: "equal", Insert: "insert", Delete: "delete", Op(9): "op(?)"} {
		if op.String() != want {
			t.Errorf("%d.String() = %q", op, op.String())
		}
	}
}

// TestDiffMinimalRandom compares the cost with the O(NM) LCS reference on many
// small random inputs over small alphabets (which produce many ties).
func TestDiffMinimalRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		n, m := rng.Intn(40), rng.Intn(40)
		alpha := 2 + rng.Intn(5)
		a := make([]int, n)
		for i := range a {
			a[i] = rng.Intn(alpha)
		}
		var b []int
		if rng.Intn(2) == 0 {
			b = make([]int, m)
			for i := range b {
				b[i] = rng.Intn(alpha)
			}
		} else { // a mutated copy
			b = append([]int(nil), a...)
			for k := rng.Intn(6); k > 0 && len(b) > 0; k-- {
				i := rng.Intn(len(b))
				switch rng.Intn(3) {
				case 0:
					b = append(b[:i], b[i+1:]...)
				case 1:
					b = append(b[:i], append([]int{rng.Intn(alpha)}, b[i:]...)...)
				default:
					b[i] = rng.Intn(alpha)
				}
			}
		}
		edits, exact := Diff(a, b, 0)
		if got := apply(t, a, b, edits); !equalSlices(got, b) {
			t.Fatalf("iter %d: script does not produce b", iter)
		}
		want := lcsCost(a, b)
		if !exact || Cost(edits) != want {
			t.Fatalf("iter %d: a=%v b=%v cost %d exact %v, want %d", iter, a, b, Cost(edits), exact, want)
		}
		// With a bound: exact iff the distance is within it, and always valid.
		bound := 1 + rng.Intn(12)
		edits, exact = Diff(a, b, bound)
		if got := apply(t, a, b, edits); !equalSlices(got, b) {
			t.Fatalf("iter %d bounded: script does not produce b", iter)
		}
		if want <= bound && (!exact || Cost(edits) != want) {
			t.Fatalf("iter %d: distance %d within bound %d but exact=%v cost=%d", iter, want, bound, exact, Cost(edits))
		}
		if exact && Cost(edits) != want { // exact must mean minimal
			t.Fatalf("iter %d: exact but cost %d, want %d", iter, Cost(edits), want)
		}
	}
}

// TestBoundBoundary checks the bound at its edge: distance == maxCost is exact,
// maxCost-1 is not.
func TestBoundBoundary(t *testing.T) {
	a := []rune("the quick brown fox jumps over the lazy dog")
	b := []rune("the quick red fox jumped over a lazy cat")
	d := lcsCost(a, b)
	if _, exact := Diff(a, b, d); !exact {
		t.Errorf("maxCost=%d (the distance): not exact", d)
	}
	if edits, exact := Diff(a, b, d-1); exact {
		t.Errorf("maxCost=%d: exact", d-1)
	} else if got := apply(t, a, b, edits); !equalSlices(got, b) {
		t.Error("bounded script invalid")
	}
}

// TestFallbackAnchors checks that a bound hit still aligns unique common
// elements instead of replacing everything.
func TestFallbackAnchors(t *testing.T) {
	var a, b []int
	for i := 0; i < 50; i++ {
		a = append(a, 1000+i, -1, -2, -3)
		b = append(b, 1000+i, -4, -5, -6)
	}
	edits, exact := Diff(a, b, 10)
	if exact {
		t.Fatal("expected the bound to be hit")
	}
	apply(t, a, b, edits)
	if c := Cost(edits); c != 300 {
		t.Errorf("cost %d, want 300 (anchors on the 50 unique values)", c)
	}
}

func TestWorkBudgetStopsPathologicalInput(t *testing.T) {
	// Two long random sequences over a tiny alphabet: distance is huge and
	// there are no unique anchors. Must return quickly and correctly.
	rng := rand.New(rand.NewSource(7))
	a := make([]byte, 200_000)
	b := make([]byte, 200_000)
	for i := range a {
		a[i] = byte(rng.Intn(3))
		b[i] = byte(rng.Intn(3))
	}
	start := time.Now()
	edits, exact := Diff(a, b, 2000)
	if exact {
		t.Fatal("expected inexact result")
	}
	if got := apply(t, a, b, edits); !equalSlices(got, b) {
		t.Fatal("invalid script")
	}
	t.Logf("took %v (the work budget bounds it; speed is measured by the benchmarks)", time.Since(start))
}

// bigPair returns two sequences of n elements differing by about edits random
// single-element changes (deletions, insertions, substitutions), with a
// realistic (token-like) repetitive alphabet.
func bigPair(n, edits int, seed int64) ([]int32, []int32) {
	rng := rand.New(rand.NewSource(seed))
	a := make([]int32, n)
	for i := range a {
		if rng.Intn(4) == 0 {
			a[i] = int32(rng.Intn(50_000)) // identifiers, strings
		} else {
			a[i] = int32(rng.Intn(40)) // punctuation, keywords
		}
	}
	at := make(map[int]int, edits) // position in a -> kind of change
	for k := 0; k < edits; k++ {
		at[rng.Intn(n)] = k % 3
	}
	b := make([]int32, 0, n+edits)
	for i, v := range a {
		kind, ok := at[i]
		switch {
		case !ok:
			b = append(b, v)
		case kind == 0: // delete
		case kind == 1: // insert before
			b = append(b, int32(50_000+rng.Intn(10_000)), v)
		default: // substitute
			b = append(b, int32(50_000+rng.Intn(10_000)))
		}
	}
	return a, b
}

func TestLargeFewEdits(t *testing.T) {
	a, b := bigPair(1_100_000, 10, 3)
	start := time.Now()
	edits, exact := Diff(a, b, 4096)
	el := time.Since(start)
	if !exact {
		t.Fatal("not exact")
	}
	if got := apply(t, a, b, edits); !equalSlices(got, b) {
		t.Fatal("invalid script")
	}
	if c := Cost(edits); c > 20 {
		t.Errorf("cost %d for 10 single edits", c)
	}
	t.Logf("took %v (measured by BenchmarkDiff1M_FewEdits; not asserted)", el)
}

func BenchmarkDiff1M_FewEdits(b *testing.B) {
	x, y := bigPair(1_100_000, 10, 3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Diff(x, y, 4096)
	}
}

func BenchmarkDiff1M_ManyEditsBounded(b *testing.B) {
	x, y := bigPair(1_100_000, 50_000, 4)
	b.ResetTimer()
	var cost int
	for i := 0; i < b.N; i++ {
		edits, exact := Diff(x, y, 4096)
		if exact {
			b.Fatal("expected bound hit")
		}
		cost = Cost(edits)
	}
	b.ReportMetric(float64(cost), "cost")
}

// BenchmarkDiff1M_VersusSmall is the bundle-paired-naively case: 1.1M tokens
// against a small source.
func BenchmarkDiff1M_VersusSmall(b *testing.B) {
	x, _ := bigPair(1_100_000, 0, 5)
	y := append([]int32(nil), x[500_000:502_000]...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Diff(x, y, 4096)
	}
}
