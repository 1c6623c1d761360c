package lockfile

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// depString renders a Dep compactly for table comparisons.
func depString(d Dep) string {
	var b strings.Builder
	b.WriteString(d.Name + "@" + d.Version)
	if d.Alias != "" {
		b.WriteString(" as=" + d.Alias)
	}
	if d.Source != SourceRegistry {
		b.WriteString(" src=" + d.Source)
	}
	if d.Resolved != "" {
		b.WriteString(" res=" + d.Resolved)
	}
	if d.Spec != "" {
		b.WriteString(" spec=" + d.Spec)
	}
	if d.Direct {
		b.WriteString(" direct")
	}
	if d.Dev {
		b.WriteString(" dev")
	}
	if d.Integrity != "" {
		b.WriteString(" int=" + d.Integrity)
	}
	if d.Opaque {
		b.WriteString(" opaque")
	}
	return b.String()
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// linesWith returns the 1-based lines of data that contain any of the substrings.
func linesWith(data []byte, subs ...string) []int {
	var out []int
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		for _, s := range subs {
			if bytes.Contains(line, []byte(s)) {
				out = append(out, i+1)
				break
			}
		}
	}
	return out
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
