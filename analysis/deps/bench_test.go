package deps

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// syntheticLock is a package-lock.json (v3) with n packages, the first bumped of them at version 2.0.0 and
// the rest at 1.0.0.
func syntheticLock(n, bumped int) string {
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"app\",\n      \"version\": \"1.0.0\"\n    }")
	for i := 0; i < n; i++ {
		v := "1.0.0"
		if i < bumped {
			v = "2.0.0"
		}
		name := fmt.Sprintf("pkg-%04d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("@scope%d/pkg-%04d", i%7, i)
		}
		unscoped := name[strings.LastIndex(name, "/")+1:]
		fmt.Fprintf(&b, ",\n    \"node_modules/%s\": {\n      \"version\": \"%s\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%s.tgz\",\n      \"license\": \"MIT\"\n    }", name, v, name, unscoped, v)
	}
	b.WriteString("\n  }\n}\n")
	return b.String()
}

// BenchmarkDetect measures change detection on a 3,000-package package-lock.json with 200 bumps: both sides
// extracted, the head indexed, and every change located.
func BenchmarkDetect(b *testing.B) {
	pr := memPR{
		base: map[string]string{"package-lock.json": syntheticLock(3000, 0)},
		head: map[string]string{"package-lock.json": syntheticLock(3000, 200)},
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pr.head["package-lock.json"])))
	for b.Loop() {
		res, err := Detect(context.Background(), pr)
		if err != nil || len(res.Changes) != 200 {
			b.Fatalf("%d changes, err %v", len(res.Changes), err)
		}
		for _, c := range res.Changes {
			if len(c.Locations) != 1 {
				b.Fatalf("%s: locations %v", c.Name, c.Locations)
			}
		}
	}
}
