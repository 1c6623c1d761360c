// Package seqdiff computes edit scripts between two sequences of comparable
// values with Myers' linear-space O((N+M)D) algorithm, bounded so that hostile
// or simply very different inputs cannot make it run for long.
//
// It is a pure algorithm package: it must not import anything outside the
// standard library (in particular nothing from app/, action/ or any network
// client).
package seqdiff

import "sort"

// Op is the kind of an Edit.
type Op int

// The operations of an edit script.
const (
	// Equal: a[A0:A1] equals b[B0:B1] (and the two ranges have the same length).
	Equal Op = iota
	// Insert: b[B0:B1] is inserted (A0 == A1).
	Insert
	// Delete: a[A0:A1] is deleted (B0 == B1).
	Delete
)

// String returns "equal", "insert" or "delete".
func (o Op) String() string {
	switch o {
	case Equal:
		return "equal"
	case Insert:
		return "insert"
	case Delete:
		return "delete"
	}
	return "op(?)"
}

// Edit is one step of an edit script: half-open ranges [A0,A1) of a and
// [B0,B1) of b.
type Edit struct {
	Op     Op
	A0, A1 int
	B0, B1 int
}

// workPerElement and workPerCost size the total work budget of one Diff call:
// workPerElement*(N+M) + workPerCost*maxCost² elementary steps (diagonal visits
// and element comparisons) after the common prefix and suffix are removed. An
// exact diff within maxCost normally needs far less; pathological inputs that
// would exceed it get a correct, non-minimal script (exact=false) instead of
// unbounded running time.
const (
	workPerElement = 256
	workPerCost    = 8
)

// fallbackDepth bounds how many times the unique-anchor fallback may recurse
// into the gaps between its anchors (each level costs O(N+M)).
const fallbackDepth = 4

// Diff returns an edit script turning a into b, and whether it is minimal.
//
// The script covers both sequences completely and in order: the A ranges of
// its edits tile [0,len(a)) and the B ranges tile [0,len(b)); adjacent edits
// never have the same Op, and within a changed region the Delete comes before
// the Insert.
//
// Diff strips the common prefix and suffix, then runs Myers' linear-space
// divide-and-conquer algorithm. When the edit distance (number of inserted plus
// deleted elements) exceeds maxCost, or the work budget derived from the input
// sizes runs out, it stops refining and returns a correct but non-minimal
// script with exact=false: it anchors on elements that occur exactly once in
// each side (in increasing order on both sides), diffs the gaps between the
// anchors again within the same bounds, and reports a gap that is still too
// different as one delete plus one insert. maxCost <= 0 means no bound on the
// edit distance (the work budget still applies).
func Diff[T comparable](a, b []T, maxCost int) (edits []Edit, exact bool) {
	d := &differ[T]{a: a, b: b, maxCost: maxCost, exact: true}
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	n, m := len(a)-pre-suf, len(b)-pre-suf
	if maxCost <= 0 || maxCost > n+m {
		d.maxCost = n + m
	}
	d.budget = workPerElement*int64(n+m) + workPerCost*int64(d.maxCost)*int64(d.maxCost) + 1024
	d.equal(0, 0, pre)
	d.diff(pre, len(a)-suf, pre, len(b)-suf, 0)
	d.equal(len(a)-suf, len(b)-suf, suf)
	return d.finish(), d.exact
}

// Cost returns the number of inserted plus deleted elements of an edit script.
func Cost(edits []Edit) int {
	c := 0
	for _, e := range edits {
		switch e.Op {
		case Insert:
			c += e.B1 - e.B0
		case Delete:
			c += e.A1 - e.A0
		}
	}
	return c
}

type differ[T comparable] struct {
	a, b    []T
	maxCost int
	budget  int64 // remaining work units
	exact   bool
	raw     []Edit // equal runs only, in increasing order; changes are the gaps between them
	vf, vb  []int
}

// equal records a[ai:ai+n] == b[bi:bi+n].
func (d *differ[T]) equal(ai, bi, n int) {
	if n > 0 {
		d.raw = append(d.raw, Edit{Op: Equal, A0: ai, A1: ai + n, B0: bi, B1: bi + n})
	}
}

// diff appends the script for a[a0:a1] versus b[b0:b1]. Equal runs are
// appended in order, so the left half is diffed before the right half. Each
// bisection splits the edit distance into two halves of at most ceil(D/2),
// so the recursion is O(log D) deep.
func (d *differ[T]) diff(a0, a1, b0, b1, fbDepth int) {
	p := 0
	for a0+p < a1 && b0+p < b1 && d.a[a0+p] == d.b[b0+p] {
		p++
	}
	d.equal(a0, b0, p)
	a0, b0 = a0+p, b0+p
	s := 0
	for a1-s > a0 && b1-s > b0 && d.a[a1-1-s] == d.b[b1-1-s] {
		s++
	}
	d.budget -= int64(p + s)
	a1, b1 = a1-s, b1-s
	defer d.equal(a1, b1, s) // the common suffix comes after everything else

	if a0 == a1 || b0 == b1 {
		return // pure insertion or deletion
	}
	x, y, ok := d.bisect(a0, a1, b0, b1)
	switch {
	case !ok:
		d.exact = false
		d.fallback(a0, a1, b0, b1, fbDepth)
	case (x == a0 && y == b0) || (x == a1 && y == b1):
		// Cannot happen for a correct bisection; never recurse forever.
		d.exact = false
	default:
		d.diff(a0, x, b0, y, fbDepth)
		d.diff(x, a1, y, b1, fbDepth)
	}
}

// bisect finds a split point (x, y) on an optimal path through the edit graph
// of a[a0:a1] and b[b0:b1] (Myers' middle snake, forward and reverse searches
// meeting in the middle). ok is false when the edit distance exceeds maxCost or
// the work budget runs out.
func (d *differ[T]) bisect(a0, a1, b0, b1 int) (x, y int, ok bool) {
	n, m := a1-a0, b1-b0
	maxD := (n + m + 1) / 2
	limit := (d.maxCost + 1) / 2
	if limit > maxD {
		limit = maxD
	}
	off := limit + 1
	size := 2*limit + 3
	if cap(d.vf) < size {
		d.vf = make([]int, size)
		d.vb = make([]int, size)
	}
	vf, vb := d.vf[:size], d.vb[:size]
	for i := range vf {
		vf[i] = -1
		vb[i] = -1
	}
	vf[off+1] = 0
	vb[off+1] = 0
	delta := n - m
	front := delta%2 != 0
	// Diagonal ranges actually inside the grid, narrowed as searches hit edges.
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	a, b := d.a, d.b
	for dd := 0; dd <= limit; dd++ {
		if d.budget < 0 {
			return 0, 0, false
		}
		// Forward path.
		for k1 := -dd + k1start; k1 <= dd-k1end; k1 += 2 {
			i := off + k1
			var x1 int
			if k1 == -dd || (k1 != dd && vf[i-1] < vf[i+1]) {
				x1 = vf[i+1]
			} else {
				x1 = vf[i-1] + 1
			}
			y1 := x1 - k1
			s := x1
			for x1 < n && y1 < m && a[a0+x1] == b[b0+y1] {
				x1++
				y1++
			}
			d.budget -= int64(x1-s) + 1
			vf[i] = x1
			switch {
			case x1 > n:
				k1end += 2 // ran off the right of the grid
			case y1 > m:
				k1start += 2 // ran off the bottom of the grid
			case front:
				k2 := delta - k1
				if j := off + k2; j >= 0 && j < size && vb[j] != -1 {
					// Mirror x2 onto the top-left coordinate system.
					if x1 >= n-vb[j] {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
		// Reverse path.
		for k2 := -dd + k2start; k2 <= dd-k2end; k2 += 2 {
			i := off + k2
			var x2 int
			if k2 == -dd || (k2 != dd && vb[i-1] < vb[i+1]) {
				x2 = vb[i+1]
			} else {
				x2 = vb[i-1] + 1
			}
			y2 := x2 - k2
			s := x2
			for x2 < n && y2 < m && a[a1-1-x2] == b[b1-1-y2] {
				x2++
				y2++
			}
			d.budget -= int64(x2-s) + 1
			vb[i] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				k1 := delta - k2
				if j := off + k1; j >= 0 && j < size && vf[j] != -1 {
					x1 := vf[j]
					y1 := x1 - k1
					if x1 >= n-x2 {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// fallback handles a region whose edit distance is too large: anchor on
// elements unique in both sides (patience-style), diff the gaps, and give up on
// a gap (delete+insert) when it is still too large or the depth is exhausted.
func (d *differ[T]) fallback(a0, a1, b0, b1, depth int) {
	if depth >= fallbackDepth || d.budget < 0 {
		return // the whole region as one delete+insert
	}
	anchors := uniqueAnchors(d.a[a0:a1], d.b[b0:b1])
	d.budget -= int64(a1 - a0 + b1 - b0)
	if len(anchors) == 0 {
		return
	}
	pa, pb := a0, b0
	for _, an := range anchors {
		x, y := a0+an[0], b0+an[1]
		if x < pa || y < pb {
			continue // swallowed by the extension of a previous anchor
		}
		// Extend the anchor backwards into the gap and forwards.
		s, e := 0, 1
		for x-s > pa && y-s > pb && d.a[x-s-1] == d.b[y-s-1] {
			s++
		}
		for x+e < a1 && y+e < b1 && d.a[x+e] == d.b[y+e] {
			e++
		}
		d.gap(pa, x-s, pb, y-s, depth)
		d.equal(x-s, y-s, s+e)
		pa, pb = x+e, y+e
	}
	d.gap(pa, a1, pb, b1, depth)
}

// gap diffs a region between anchors.
func (d *differ[T]) gap(a0, a1, b0, b1, depth int) {
	if a0 == a1 || b0 == b1 {
		return
	}
	d.diff(a0, a1, b0, b1, depth+1)
}

// uniqueAnchors returns index pairs (i, j) with a[i] == b[j] where the value
// occurs exactly once in a and once in b, restricted to a longest subsequence
// increasing in both i and j.
func uniqueAnchors[T comparable](a, b []T) [][2]int {
	type cnt struct{ na, nb, ia, ib int }
	counts := make(map[T]*cnt, len(a))
	for i, v := range a {
		c := counts[v]
		if c == nil {
			c = &cnt{}
			counts[v] = c
		}
		c.na++
		c.ia = i
	}
	for j, v := range b {
		if c := counts[v]; c != nil {
			c.nb++
			c.ib = j
		}
	}
	var pairs [][2]int
	for _, c := range counts {
		if c.na == 1 && c.nb == 1 {
			pairs = append(pairs, [2]int{c.ia, c.ib})
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0] < pairs[j][0] })
	return lis(pairs)
}

// lis returns the longest subsequence of pairs (sorted by [0]) that is strictly
// increasing in [1], in O(K log K).
func lis(pairs [][2]int) [][2]int {
	tails := make([]int, 0, len(pairs)) // indexes into pairs
	prev := make([]int, len(pairs))
	for i, p := range pairs {
		k := sort.Search(len(tails), func(t int) bool { return pairs[tails[t]][1] >= p[1] })
		if k > 0 {
			prev[i] = tails[k-1]
		} else {
			prev[i] = -1
		}
		if k == len(tails) {
			tails = append(tails, i)
		} else {
			tails[k] = i
		}
	}
	out := make([][2]int, len(tails))
	for i, k := len(tails)-1, tails[len(tails)-1]; i >= 0; i, k = i-1, prev[k] {
		out[i] = pairs[k]
	}
	return out
}

// finish merges the raw edits: adjacent equal runs are joined, and every
// region between two equal runs becomes at most one Delete then one Insert.
func (d *differ[T]) finish() []Edit {
	var out []Edit
	ca, cb := 0, 0 // start of the pending changed region
	flush := func(a1, b1 int) {
		if a1 > ca {
			out = append(out, Edit{Op: Delete, A0: ca, A1: a1, B0: cb, B1: cb})
		}
		if b1 > cb {
			out = append(out, Edit{Op: Insert, A0: a1, A1: a1, B0: cb, B1: b1})
		}
	}
	for _, e := range d.raw {
		if e.Op != Equal {
			continue
		}
		flush(e.A0, e.B0)
		if n := len(out); n > 0 && out[n-1].Op == Equal && out[n-1].A1 == e.A0 && out[n-1].B1 == e.B0 {
			out[n-1].A1, out[n-1].B1 = e.A1, e.B1
		} else {
			out = append(out, e)
		}
		ca, cb = e.A1, e.B1
	}
	flush(len(d.a), len(d.b))
	return out
}
