package signals

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// quoteValue makes hostile text safe to show in one line of a message: invalid UTF-8, control and
// bidirectional-text characters become '?', backticks become quotes, and it is cut to max characters.
// The result is wrapped in backticks.
func quoteValue(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "?") {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidi(r) || r == 0x2028 || r == 0x2029:
			r = '?'
		case r == '`':
			r = '\''
		}
		b.WriteRune(r)
		n++
	}
	return "`" + b.String() + "`"
}

// isBidi reports characters that reorder displayed text ("Trojan Source").
func isBidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// cleanLine makes one line of a file safe to show as a snippet: valid UTF-8, no control characters
// other than tabs, no bidirectional-text controls.
func cleanLine(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidi(r) || r == 0x2028 || r == 0x2029 {
			return '?'
		}
		return r
	}, s)
}

// snippetAt returns the line of data that contains offset off; a line longer than MaxSnippetBytes is
// shown as a window around off, marked with "…" where it is cut. The search for the line's ends is
// bounded, so this is cheap on minified files.
func snippetAt(data []byte, off int) string {
	off = min(max(off, 0), len(data))
	lo := max(off-MaxSnippetBytes, 0)
	start, startFound := lo, lo == 0
	if i := bytes.LastIndexByte(data[lo:off], '\n'); i >= 0 {
		start, startFound = lo+i+1, true
	}
	hi := min(off+MaxSnippetBytes, len(data))
	end, endFound := hi, hi == len(data)
	if i := bytes.IndexByte(data[off:hi], '\n'); i >= 0 {
		end, endFound = off+i, true
	}
	if startFound && endFound && end-start <= MaxSnippetBytes {
		return cleanLine(bytes.TrimRight(data[start:end], "\r"))
	}
	ws := max(start, off-MaxSnippetBytes/2)
	we := min(end, ws+MaxSnippetBytes)
	// Do not cut inside a UTF-8 sequence.
	for ws > start && ws < len(data) && !utf8.RuneStart(data[ws]) {
		ws--
	}
	for we < end && !utf8.RuneStart(data[we]) {
		we++
	}
	s := cleanLine(bytes.TrimRight(data[ws:we], "\r"))
	if ws > start || !startFound {
		s = "…" + s
	}
	if we < end || !endFound {
		s += "…"
	}
	return s
}

// lineCounter maps byte offsets of one file to 1-based line numbers. Offsets are expected in roughly
// increasing order: each call counts the newlines between the previous offset and this one.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func newLineCounter(data []byte) *lineCounter { return &lineCounter{data: data, line: 1} }

func (c *lineCounter) at(off int) int {
	off = min(max(off, 0), len(c.data))
	if off >= c.off {
		c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	} else {
		c.line -= bytes.Count(c.data[off:c.off], []byte{'\n'})
	}
	c.off = off
	return c.line
}

// shortHash is the first 12 hex digits of the SHA-256 of b: enough to tell values apart in evidence.
func shortHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:6])
}

// keyHash identifies a long value by its SHA-256 (128 bits shown: collisions cannot be arranged).
func keyHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

func itoa(n int) string { return strconv.Itoa(n) }
