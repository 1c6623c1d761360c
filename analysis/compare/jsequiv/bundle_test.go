package jsequiv

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

func TestIsBundle(t *testing.T) {
	tests := []struct {
		file string
		want bool
		why  string // substring of the reason
	}{
		{"testdata/bundles/webpack.js", true, "__webpack_"},
		{"testdata/bundles/ncc.js", true, "__nccwpck_require__"},
		{"testdata/bundles/rollup.js", true, "rollup commonjs runtime"},
		{"testdata/bundles/rollup-esm.js", true, "hasRequiredA"},
		{"testdata/bundles/esbuild.js", true, "__commonJS"},
		{"testdata/bundles/tsup-esm.js", true, "src/index.ts"},
		{"testdata/bundles/browserify.js", true, "browserify"},
		{"testdata/bundles/parcel.js", true, "$parcel$"},
		{"testdata/bundles/licenses.js", true, "@license"},
		// tsc output (helpers, CommonJS plumbing, source map comment) is not a bundle.
		{"testdata/mcpserver/dist/cjs/index.js", false, "no bundler"},
		{"testdata/mcpserver/dist/cjs/tools.js", false, "no bundler"},
		{"testdata/mcpserver/dist/esm/server.js", false, "no bundler"},
		{"testdata/tampered/cjs/index.js", false, "no bundler"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, why := IsBundle(readFixture(t, tt.file))
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("IsBundle = %v, %q; want %v, %q", got, why, tt.want, tt.why)
			}
		})
	}
}

// TestEsbuildTransformIsNotABundle: a single file converted by esbuild (what
// tsup without bundling or esbuild's transform emits) carries __toESM and
// __export helpers but is not a bundle.
func TestEsbuildTransformIsNotABundle(t *testing.T) {
	src := readFixture(t, fixture+"/src/tools.ts")
	res := api.Transform(string(src.Code), api.TransformOptions{Loader: api.LoaderTS, Format: api.FormatCommonJS})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if got, why := IsBundle(File{Path: "tools.js", Code: res.Code}); got {
		t.Errorf("esbuild transform output reported as bundle: %s", why)
	}
}

func TestIsBundleHostile(t *testing.T) {
	if got, why := IsBundle(File{Path: "b.bin", Code: []byte{0x7f, 'E', 'L', 'F', 0, 0, 1}}); got || why != "not text" {
		t.Errorf("binary: %v %q", got, why)
	}
	// Larger than MaxFileSize: only the first MaxFileSize bytes are examined,
	// and evidence beyond them is not seen.
	big := append(bytes.Repeat([]byte("// padding padding padding\n"), MaxFileSize/27+1), []byte("var __webpack_require__;")...)
	got, why := IsBundle(File{Path: "big.js", Code: big})
	if got || !strings.Contains(why, "first") {
		t.Errorf("big: %v %q", got, why)
	}
	// Evidence within the first MaxFileSize bytes of a larger file is found.
	big2 := append([]byte("var __webpack_require__;\n"), big...)
	if got, why := IsBundle(File{Path: "big2.js", Code: big2}); !got || !strings.Contains(why, "first") {
		t.Errorf("big2: %v %q", got, why)
	}
	// A truncation inside a multi-byte character is not "binary".
	odd := append(bytes.Repeat([]byte("a"), MaxFileSize-1), []byte("é")...)
	if got, why := IsBundle(File{Path: "odd.js", Code: odd}); got || why == "not text" {
		t.Errorf("odd: %v %q", got, why)
	}
}

func TestBundleThresholds(t *testing.T) {
	markers := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("// src/m")
			b.WriteByte(byte('a' + i))
			b.WriteString(".ts\nvar x" + string(rune('a'+i)) + " = 1;\n")
		}
		return b.String()
	}
	licenses := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("/*! @license lib" + string(rune('a'+i)) + " MIT */\nvar y" + string(rune('a'+i)) + ";\n")
		}
		return b.String()
	}
	banners := func(n int) string { return strings.Repeat("/******/ var z;\n", n) }
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"module markers at threshold", markers(minModuleMarkers), true},
		{"module markers below", markers(minModuleMarkers - 1), false},
		{"licenses at threshold", licenses(minLicenseBanners), true},
		{"licenses below", licenses(minLicenseBanners - 1), false},
		{"webpack banners at threshold", banners(minWebpackBanners), true},
		{"webpack banners below", banners(minWebpackBanners - 1), false},
		{"one node_modules marker", "// node_modules/x/index.js\nvar a;\n", true},
		{"browserify below", "[function(require,module,exports){}]", false},
		{"browserify functions not in records", "[function(require,module,exports){},function(require,module,exports){}]", false},
		{"browserify records at threshold", "x=[function(require,module,exports){}];y=[function(require,module,exports){}]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := IsBundle(File{Path: "x.js", Code: []byte(tt.code)}); got != tt.want {
				t.Errorf("IsBundle = %v (%s), want %v", got, why, tt.want)
			}
		})
	}
}

func FuzzIsBundle(f *testing.F) {
	for _, s := range []string{"/******/ var __webpack_require__;", "[function(require,module,exports){}]", "// node_modules/a.js\nx=/re/g/2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		IsBundle(File{Path: "x.js", Code: b})
	})
}
