package jsequiv

import (
	"fmt"
	"sort"
	"strings"
)

// Thresholds for IsBundle evidence that needs repetition to be convincing.
const (
	// minModuleMarkers is how many distinct esbuild-style module path
	// comments (`// node_modules/x/index.js`, `// src/a.ts`) mark a bundle:
	// esbuild writes them only when it bundles, and two mean at least two
	// modules were joined (tsup output inlining src/lib/*.ts into dist/x.js),
	// which no single source file explains.
	minModuleMarkers = 2
	// minLicenseBanners is how many distinct @license comments mark a file
	// that bundles third-party code.
	minLicenseBanners = 3
	// minWebpackBanners is how many `/******/` webpack bootstrap comments
	// mark a webpack bundle.
	minWebpackBanners = 3
	// minBrowserifyModules is how many `[function(require,module,exports){`
	// module records mark a browserify bundle.
	minBrowserifyModules = 2
)

// bundleIdents are identifiers that only bundler runtimes define.
var bundleIdents = map[string]string{
	"__webpack_require__":      "webpack runtime",
	"__webpack_modules__":      "webpack runtime",
	"__webpack_module_cache__": "webpack runtime",
	"__nccwpck_require__":      "ncc (@vercel/ncc) runtime",
	"parcelRequire":            "parcel runtime",
	"parcelRegister":           "parcel runtime",
	"__commonJS":               "esbuild bundle runtime",
	"__esm":                    "esbuild bundle runtime",
	"commonjsGlobal":           "rollup commonjs runtime",
	"getDefaultExportFromCjs":  "rollup commonjs runtime",
	"getAugmentedNamespace":    "rollup commonjs runtime",
	"commonjsRequire":          "rollup commonjs runtime",
	"createCommonjsModule":     "rollup commonjs runtime",
}

// bundlePrefixes are identifier prefixes only bundler output uses.
var bundlePrefixes = []struct{ prefix, what string }{
	{"webpackChunk", "webpack chunk loading"},
	{"parcelRequire", "parcel runtime"},
	{"$parcel$", "parcel runtime"},
}

// IsBundle reports whether a shipped file is a bundle (webpack, rollup,
// esbuild/tsup, ncc, browserify, parcel) rather than the output of one source
// file; reason names the evidence. Callers must check this before pairing a
// shipped file with a single source file: a bundle of dependencies paired with
// a small entry point is nearly all "unexplained".
//
// The file is tokenized (never executed, never matched with regular
// expressions); at most MaxFileSize bytes are examined.
func IsBundle(shipped File) (bool, string) {
	code := shipped.Code
	suffix := ""
	if len(code) > MaxFileSize {
		code = trimPartialRune(code[:MaxFileSize])
		suffix = fmt.Sprintf(" (first %d bytes examined)", MaxFileSize)
	}
	if !isText(code) {
		return false, "not text"
	}
	var ev struct {
		ident      string
		markers    map[string]bool
		nodeMarker bool
		licenses   map[string]bool
		webpack    int
		browserify int
		hasReq     map[string]bool
	}
	ev.markers, ev.licenses, ev.hasReq = map[string]bool{}, map[string]bool{}, map[string]bool{}
	var win [9]string // the last significant tokens, oldest first
	browserifyRecord := [9]string{"[", "function", "(", "require", ",", "module", ",", "exports", ")"}
	scanJS(code, true, func(t tok) bool {
		if t.kind == kComment {
			c := t.text
			switch {
			case strings.HasPrefix(c, "/******/"):
				ev.webpack++
			case strings.HasPrefix(c, "//"):
				if p := strings.TrimSpace(c[2:]); isModuleMarker(p) {
					ev.markers[p] = true
					if strings.Contains(p, "node_modules/") {
						ev.nodeMarker = true
					}
				}
			}
			if i := strings.Index(c, "@license"); i >= 0 {
				ev.licenses[licenseKey(c[i:])] = true
			}
			return true
		}
		copy(win[:], win[1:])
		win[len(win)-1] = t.text
		if t.kind == kIdent && ev.ident == "" {
			if what, ok := bundleIdents[t.text]; ok {
				ev.ident = fmt.Sprintf("%s (%s)", what, t.text)
			}
			for _, p := range bundlePrefixes {
				if strings.HasPrefix(t.text, p.prefix) && len(t.text) > len(p.prefix) {
					ev.ident = fmt.Sprintf("%s (%s)", p.what, t.text)
				}
			}
			if strings.HasPrefix(t.text, "hasRequired") && len(t.text) > len("hasRequired") {
				ev.hasReq[t.text] = true
			}
		}
		if t.text == ")" && win == browserifyRecord {
			ev.browserify++
		}
		return true
	})
	switch {
	case ev.ident != "":
		return true, ev.ident + suffix
	case ev.webpack >= minWebpackBanners:
		return true, fmt.Sprintf("webpack bootstrap (%d /******/ banners)%s", ev.webpack, suffix)
	case ev.browserify >= minBrowserifyModules:
		return true, fmt.Sprintf("browserify module records (%d [function(require,module,exports){…} entries)%s", ev.browserify, suffix)
	case len(ev.hasReq) >= 2:
		return true, fmt.Sprintf("rollup commonjs runtime (%s)%s", firstKeys(ev.hasReq, 2), suffix)
	case len(ev.markers) >= minModuleMarkers || (ev.nodeMarker && len(ev.markers) >= 1):
		return true, fmt.Sprintf("esbuild/tsup module markers (%s)%s", firstKeys(ev.markers, 3), suffix)
	case len(ev.licenses) >= minLicenseBanners:
		return true, fmt.Sprintf("bundles third-party code (%d distinct @license banners)%s", len(ev.licenses), suffix)
	}
	return false, "no bundler runtime, module markers or vendored licence banners found" + suffix
}

// isModuleMarker recognises esbuild's per-module comments: a single relative
// path with a JavaScript/TypeScript/JSON extension and no spaces.
func isModuleMarker(p string) bool {
	if p == "" || strings.ContainsAny(p, " \t\"'`()") || strings.HasPrefix(p, "/") || strings.Contains(p, "://") {
		return false
	}
	if !strings.Contains(p, "/") && !strings.Contains(p, ".") {
		return false
	}
	for _, ext := range []string{".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx", ".json"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// licenseKey identifies a licence banner by its first line.
func licenseKey(c string) string {
	if i := strings.IndexAny(c, "\r\n"); i >= 0 {
		c = c[:i]
	}
	if len(c) > 120 {
		c = c[:120]
	}
	return c
}

func firstKeys(m map[string]bool, n int) string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	if len(k) > n {
		k = append(k[:n], "…")
	}
	return strings.Join(k, ", ")
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b (after
// truncation).
func trimPartialRune(b []byte) []byte {
	for i := 0; i < 3 && i < len(b); i++ {
		c := b[len(b)-1-i]
		if c < 0x80 {
			return b
		}
		if c >= 0xC0 { // a lead byte: is its sequence complete?
			need := 2
			if c >= 0xE0 {
				need = 3
			}
			if c >= 0xF0 {
				need = 4
			}
			if i+1 < need {
				return b[:len(b)-1-i]
			}
			return b
		}
	}
	return b
}
