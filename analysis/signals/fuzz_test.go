package signals

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzDelta feeds arbitrary previous/new file contents through Delta as JS, JSON, an extension-less bin
// script and package.json: it must terminate without a panic, keep the invariants of checkInvariants, and
// NewValues must return what a read of each file by itself does.
// Run it with: go test -fuzz FuzzDelta -fuzztime 60s ./analysis/signals/
func FuzzDelta(f *testing.F) {
	f.Add([]byte(baseJS), []byte(addLine("Bcc: 'phan@giftshop.club',")))
	for _, c := range endpointCases() {
		f.Add([]byte(baseJS), []byte(addLine(c.line)))
	}
	for _, c := range capabilityCases() {
		f.Add([]byte(baseJS), []byte(addLine(c.line)))
	}
	for _, c := range regexCases() {
		f.Add([]byte(""), []byte(c.code))
	}
	for _, c := range hostileCases() {
		if len(c.code) <= 4096 {
			f.Add([]byte(baseJS), []byte(c.code))
		}
	}
	f.Add([]byte(`{"scripts":{"postinstall":"node a.js"},"dependencies":{"a":"1"}}`), []byte(`{"scripts":{"postinstall":"node b.js","postinstall":"x"},"dependencies":{"a":"github:x/y","b":"2"}}`))
	f.Add([]byte("`${`${"), []byte("}`}`}`"))
	f.Fuzz(func(t *testing.T, prev, next []byte) {
		manifest := func(script []byte) string {
			return `{"bin":"bin/cli","scripts":{"postinstall":` + strconv.Quote(string(script)) + `},"dependencies":{` + strconv.Quote(string(script)) + `:"1"}}`
		}
		from := pkg("index.js", string(prev), "lib/a.json", string(prev), "bin/cli", string(prev), "package.json", manifest(prev))
		to := pkg("index.js", string(next), "lib/a.json", string(next), "bin/cli", string(next), "package.json", manifest(next), "setup.js", string(prev))
		checkInvariants(t, to, Delta(from, to))
		checkInvariants(t, to, Delta(nil, to))
		checkNewValuesAlone(t, DeltaChanges(from, to))
		raw := pkg("package.json", string(next), "index.ts", strings.ToUpper(string(next)))
		checkInvariants(t, raw, Delta(pkg("package.json", string(prev)), raw))
	})
}
