package signals

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// decodeJS returns the value of the body of a JS string or template literal (raw is the text between
// the delimiters): escape sequences are resolved (\n, \xHH, \uHHHH, \u{H…}, legacy octal, line
// continuations), so '\x65vil.com' is read as "evil.com". Malformed escapes decode to the escaped
// character. Line terminators in raw are kept as they are (template literals are not normalised), so a
// literal without backslashes decodes to itself byte for byte. The work is linear in len(raw).
func decodeJS(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			r, n := utf8.DecodeRune(raw[i:])
			b.WriteRune(r)
			i += n
			continue
		}
		i++
		if i >= len(raw) {
			break
		}
		c = raw[i]
		switch c {
		case 'n':
			b.WriteByte('\n')
			i++
		case 't':
			b.WriteByte('\t')
			i++
		case 'r':
			b.WriteByte('\r')
			i++
		case 'b':
			b.WriteByte('\b')
			i++
		case 'f':
			b.WriteByte('\f')
			i++
		case 'v':
			b.WriteByte('\v')
			i++
		case '\r':
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case '\n':
			i++
		case 'x':
			if v, ok := hexValue(raw, i+1, 2); ok {
				b.WriteRune(rune(v))
				i += 3
			} else {
				b.WriteByte('x')
				i++
			}
		case 'u':
			r, n := decodeUnicodeEscape(raw, i+1)
			if n == 0 {
				b.WriteByte('u')
				i++
				continue
			}
			i += 1 + n
			if r >= 0xD800 && r <= 0xDBFF && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo, m := decodeUnicodeEscape(raw, i+2); m > 0 && lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 2 + m
				}
			}
			b.WriteRune(r) // lone surrogates become U+FFFD
		default:
			if c >= '0' && c <= '7' {
				v, n := 0, 0
				for n < 3 && i+n < len(raw) && raw[i+n] >= '0' && raw[i+n] <= '7' && v*8+int(raw[i+n]-'0') <= 0xFF {
					v = v*8 + int(raw[i+n]-'0')
					n++
				}
				b.WriteRune(rune(v))
				i += n
				continue
			}
			r, n := utf8.DecodeRune(raw[i:])
			if r != 0x2028 && r != 0x2029 { // line continuation
				b.WriteRune(r)
			}
			i += n
		}
	}
	return b.String()
}

// decodeUnicodeEscape decodes the part of a \u escape after the 'u' at raw[i:]: HHHH or {H…}. It returns
// the code point and the bytes consumed (0 when malformed).
func decodeUnicodeEscape(raw []byte, i int) (rune, int) {
	if i < len(raw) && raw[i] == '{' {
		v, n := 0, 0
		for i+1+n < len(raw) && n < 8 {
			d, ok := hexDigit(raw[i+1+n])
			if !ok {
				break
			}
			v = v*16 + d
			n++
		}
		if n == 0 || i+1+n >= len(raw) || raw[i+1+n] != '}' || v > utf8.MaxRune {
			return 0, 0
		}
		return rune(v), n + 2
	}
	v, ok := hexValue(raw, i, 4)
	if !ok {
		return 0, 0
	}
	return rune(v), 4
}

// hexValue parses n hex digits at raw[i:].
func hexValue(raw []byte, i, n int) (int, bool) {
	if i+n > len(raw) {
		return 0, false
	}
	v := 0
	for _, c := range raw[i : i+n] {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		v = v*16 + d
	}
	return v, true
}

func hexDigit(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
