package compare

import "github.com/mcpvet/mcpvet/analysis/seqdiff"

// lineDiff returns the 0-based indexes of published lines that the line diff from upstream inserts, and how
// many upstream lines it deletes.
func lineDiff(upstream, published []string) (added []int, removed int) {
	edits, _ := seqdiff.Diff(upstream, published, MaxLineDiffCost)
	for _, e := range edits {
		switch e.Op {
		case seqdiff.Insert:
			for i := e.B0; i < e.B1; i++ {
				added = append(added, i)
			}
		case seqdiff.Delete:
			removed += e.A1 - e.A0
		}
	}
	return added, removed
}
