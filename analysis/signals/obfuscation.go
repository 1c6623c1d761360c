package signals

import (
	"strings"
	"unicode/utf8"
)

// encodedLiteral classifies a string literal value (v, decoded) and its source text (raw, with
// delimiters) as "base64", "hex" or "escape-encoded" when it is at least MinEncodedLiteral long and
// made only of that encoding; otherwise it returns "". A data: URI's base64 payload counts.
func encodedLiteral(v string, raw []byte) string {
	if len(raw) >= MinEncodedLiteral+2 && escapedShare(raw) {
		return "escape-encoded"
	}
	if strings.HasPrefix(v, "data:") {
		if d := strings.Index(v, ";base64,"); d >= 0 && d < 200 {
			v = v[d+len(";base64,"):]
		}
	}
	if len(v) < MinEncodedLiteral {
		return ""
	}
	hex, upper, lower, digit := true, false, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z':
			lower = true
			hex = hex && c <= 'f'
		case c >= 'A' && c <= 'Z':
			upper = true
			hex = hex && c <= 'F'
		case c == '+' || c == '/' || c == '-' || c == '_':
			hex = false
		case c == '=' && i >= len(v)-2:
			hex = false
		default:
			return ""
		}
	}
	switch {
	case hex:
		return "hex"
	case upper && lower && digit:
		return "base64"
	}
	return ""
}

// escapedShare reports whether at least 90% of a literal's source text is \xHH or \uHHHH escapes.
func escapedShare(raw []byte) bool {
	n := 0
	for i := 0; i+1 < len(raw); {
		if raw[i] != '\\' {
			i++
			continue
		}
		switch raw[i+1] {
		case 'x':
			if _, ok := hexValue(raw, i+2, 2); ok {
				n += 4
				i += 4
				continue
			}
		case 'u':
			if _, ok := hexValue(raw, i+2, 4); ok {
				n += 6
				i += 6
				continue
			}
		}
		i += 2
	}
	return n*10 >= (len(raw)-2)*9
}

// firstLongLine returns the offset of the first line of data longer than LongLineChars characters and
// the length of the longest such line; ok is false when there is none.
func firstLongLine(data []byte) (off, longest int, ok bool) {
	start := 0
	for i := 0; i <= len(data); i++ {
		if i < len(data) && data[i] != '\n' {
			continue
		}
		if i-start > LongLineChars {
			if n := utf8.RuneCount(data[start:i]); n > LongLineChars {
				if !ok {
					off, ok = start, true
				}
				longest = max(longest, n)
			}
		}
		start = i + 1
	}
	return off, longest, ok
}
