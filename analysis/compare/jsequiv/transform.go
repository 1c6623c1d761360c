package jsequiv

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// targets maps tsconfig/esbuild target names to esbuild's.
var targets = map[string]api.Target{
	"es3": api.ES5, "es5": api.ES5, "es6": api.ES2015, "es2015": api.ES2015, "es2016": api.ES2016,
	"es2017": api.ES2017, "es2018": api.ES2018, "es2019": api.ES2019, "es2020": api.ES2020,
	"es2021": api.ES2021, "es2022": api.ES2022, "es2023": api.ES2023, "es2024": api.ES2024,
	"esnext": api.ESNext, "latest": api.ESNext,
}

// loaderFor picks the esbuild loader from a file name.
func loaderFor(name string) api.Loader {
	switch strings.ToLower(path.Ext(name)) {
	case ".ts", ".mts", ".cts":
		return api.LoaderTS
	case ".tsx":
		return api.LoaderTSX
	case ".jsx":
		return api.LoaderJSX
	}
	return api.LoaderJS
}

// printed is esbuild's re-printing of one file.
type printed struct {
	code []byte
	smap []byte // source map JSON (shipped side only)
}

// transform runs esbuild's Transform (in-process; nothing is executed) with
// whitespace minified, comments dropped and syntax otherwise preserved. When
// the requested target cannot be produced (esbuild cannot lower some syntax,
// e.g. to ES5) it retries with esnext and says so in the returned note.
// Each esbuild call is abandoned after timeout (see TransformTimeout).
func transform(f File, side string, loader api.Loader, target api.Target, format api.Format, tsconfigRaw string, withMap bool, timeout time.Duration) (printed, string, error) {
	opts := api.TransformOptions{
		Loader:           loader,
		Target:           target,
		Format:           format,
		MinifyWhitespace: true,
		LegalComments:    api.LegalCommentsNone,
		Charset:          api.CharsetASCII,
		TsconfigRaw:      tsconfigRaw,
		Sourcefile:       "input" + path.Ext(f.Path),
		LogLevel:         api.LogLevelSilent,
	}
	if withMap {
		opts.Sourcemap = api.SourceMapExternal
		opts.SourcesContent = api.SourcesContentExclude
	}
	tooSlow := &Error{Path: f.Path, Side: side, Err: ErrTooComplex, Detail: fmt.Sprintf("esbuild did not finish within %v", timeout)}
	res, ok := transformWithin(string(f.Code), opts, timeout)
	if !ok {
		return printed{}, "", tooSlow
	}
	note := ""
	if len(res.Errors) > 0 && target != api.ESNext && isLoweringError(res.Errors) {
		opts.Target = api.ESNext
		retry, ok := transformWithin(string(f.Code), opts, timeout)
		if !ok {
			return printed{}, "", tooSlow
		}
		if len(retry.Errors) == 0 {
			note = fmt.Sprintf("%s %s: esbuild cannot produce the configured target; compared at esnext (%s)", side, f.Path, firstMessage(res.Errors))
			res = retry
		}
	}
	if len(res.Errors) > 0 {
		return printed{}, "", &Error{Path: f.Path, Side: side, Err: ErrSyntax, Detail: firstMessage(res.Errors)}
	}
	return printed{code: res.Code, smap: res.Map}, note, nil
}

// transformWithin runs api.Transform and gives up waiting after timeout.
// esbuild cannot be interrupted: an abandoned call keeps running in its
// goroutine until it returns. Inputs that make esbuild slow (very deep
// function nesting, huge numbers of redeclaration errors) are rejected by
// checkInput where they can be recognised cheaply; this is the backstop.
func transformWithin(code string, opts api.TransformOptions, timeout time.Duration) (api.TransformResult, bool) {
	done := make(chan api.TransformResult, 1)
	go func() { done <- api.Transform(code, opts) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r, true
	case <-t.C:
		return api.TransformResult{}, false
	}
}

// isLoweringError reports whether esbuild failed only because it cannot
// lower syntax to the target (then esnext is worth a retry).
func isLoweringError(msgs []api.Message) bool {
	for _, m := range msgs {
		if !strings.Contains(m.Text, "to the configured target environment") {
			return false
		}
	}
	return true
}

func firstMessage(msgs []api.Message) string {
	if len(msgs) == 0 {
		return ""
	}
	m := msgs[0]
	s := m.Text
	if m.Location != nil {
		s = fmt.Sprintf("line %d: %s", m.Location.Line, s)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// segment is one decoded source-map mapping on a generated line.
type segment struct {
	gcol, line, col int32 // generated column; original 0-based line and column
}

// decodeMappings decodes the "mappings" field of a source map (single source)
// into segments per generated line. It is lenient: malformed input stops the
// decoding and returns what was decoded.
func decodeMappings(mapJSON []byte) [][]segment {
	var m struct {
		Mappings string `json:"mappings"`
	}
	if json.Unmarshal(mapJSON, &m) != nil {
		return nil
	}
	var lines [][]segment
	var cur []segment
	var gcol, src, line, col int32
	s := m.Mappings
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			lines = append(lines, cur)
			cur = nil
			gcol = 0
			i++
			continue
		case ',':
			i++
			continue
		}
		var vals [5]int32
		n := 0
		for i < len(s) && s[i] != ',' && s[i] != ';' {
			v, next, ok := vlq(s, i)
			if !ok {
				return append(lines, cur)
			}
			if n < len(vals) {
				vals[n] = v
			}
			n++
			i = next
		}
		gcol += vals[0]
		if n >= 4 {
			src += vals[1]
			line += vals[2]
			col += vals[3]
			cur = append(cur, segment{gcol: gcol, line: line, col: col})
		}
	}
	_ = src
	return append(lines, cur)
}

// vlq decodes one base64 VLQ value starting at s[i].
func vlq(s string, i int) (int32, int, bool) {
	var v, shift int64
	for {
		if i >= len(s) || shift > 30 {
			return 0, i, false
		}
		c := s[i]
		var d int64
		switch {
		case c >= 'A' && c <= 'Z':
			d = int64(c - 'A')
		case c >= 'a' && c <= 'z':
			d = int64(c-'a') + 26
		case c >= '0' && c <= '9':
			d = int64(c-'0') + 52
		case c == '+':
			d = 62
		case c == '/':
			d = 63
		default:
			return 0, i, false
		}
		i++
		v |= (d & 31) << shift
		shift += 5
		if d&32 == 0 {
			break
		}
	}
	if v&1 != 0 {
		return int32(-(v >> 1)), i, true
	}
	return int32(v >> 1), i, true
}

// attachLines sets line/col (1-based line in the original file) on printed
// tokens from the source map: each token takes the last mapping at or before
// its generated position.
func attachLines(toks []tok, lines [][]segment) {
	type pos struct {
		gline int32
		seg   segment
	}
	var flat []pos
	for li, segs := range lines {
		for _, sg := range segs {
			flat = append(flat, pos{int32(li), sg})
		}
	}
	j := -1
	for i := range toks {
		t := &toks[i]
		for j+1 < len(flat) && (flat[j+1].gline < t.gline || (flat[j+1].gline == t.gline && flat[j+1].seg.gcol <= t.gcol)) {
			j++
		}
		if j >= 0 {
			t.line, t.col = flat[j].seg.line+1, flat[j].seg.col
		}
	}
}
