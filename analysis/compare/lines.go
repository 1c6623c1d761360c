package compare

import "github.com/mcpvet/mcpvet/analysis/seqdiff"

// addedLines returns the 0-based indexes of published lines that the line diff from upstream inserts.
func addedLines(upstream, published []string) []int {
	edits, _ := seqdiff.Diff(upstream, published, MaxLineDiffCost)
	var out []int
	for _, e := range edits {
		if e.Op != seqdiff.Insert {
			continue
		}
		for i := e.B0; i < e.B1; i++ {
			out = append(out, i)
		}
	}
	return out
}
