package lockfile

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// genPackageLock writes a lockfileVersion 3 package-lock.json of n packages (8 lines each).
func genPackageLock(n int) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"big\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\n")
	for i := 0; i < n; i++ {
		sep := ","
		if i == n-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "        \"pkg-%d\": \"^1.%d.0\"%s\n", i, i%100, sep)
	}
	b.WriteString("      }\n    }")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, ",\n    \"node_modules/pkg-%d\": {\n      \"version\": \"1.%d.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-%d/-/pkg-%d-1.%d.0.tgz\",\n      \"integrity\": \"sha512-%064d\",\n      \"dependencies\": {\n        \"dep-a\": \"^1.0.0\"\n      }\n    }", i, i%100, i, i, i%100, i)
	}
	b.WriteString("\n  }\n}\n")
	return []byte(b.String())
}

func TestLarge(t *testing.T) {
	data := genPackageLock(190000)
	t.Logf("size %d MB, lines %d", len(data)>>20, strings.Count(string(data), "\n"))
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	start := time.Now()
	res, err := Extract(context.Background(), "package-lock.json", data)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	t.Logf("extract %v deps=%d alloc=%dMB sys=%dMB", time.Since(start), len(res.Deps), (ms.TotalAlloc-before)>>20, ms.Sys>>20)
	start = time.Now()
	x := Index(PackageLockJSON, data)
	n := 0
	for _, d := range res.Deps {
		n += len(x.Lines(d))
	}
	t.Logf("index+lines %v refs=%d", time.Since(start), n)
}
