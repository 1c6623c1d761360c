package mcpconfig

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tailscale/hujson"
)

// json decodes JSON with comments and trailing commas (JWCC, as VS Code, Zed and opencode write it).
func (d *decoder) json(data []byte) (*node, error) {
	lines := newLineIndex(data)
	empty, err := d.scanJSON(data, lines)
	if err != nil {
		return nil, err
	}
	if empty {
		return nil, nil
	}
	v, err := hujson.Parse(data)
	if err != nil {
		return nil, d.errf(hujsonErrLine(err.Error()), ErrSyntax, "invalid JSON: %s", hujsonErrMsg(err.Error()))
	}
	return d.jsonValue(&v, lines, 0)
}

// scanJSON checks nesting depth and value count (counted as 1 + brackets + commas + colons: every
// container, element and key) in one linear pass, before the recursive parser
// sees the input, and reports whether the document holds nothing but whitespace and comments.
// It understands strings and comments well enough to be exact on valid input; on invalid input it
// errs either way and hujson.Parse reports the syntax error.
func (d *decoder) scanJSON(b []byte, lines lineIndex) (empty bool, err error) {
	depth, values := 0, 1
	empty = true
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			empty = false
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(b) && b[i+1] == '/' {
				j := bytes.IndexByte(b[i:], '\n')
				if j < 0 {
					return empty, nil
				}
				i += j
			} else if i+1 < len(b) && b[i+1] == '*' {
				j := bytes.Index(b[i+2:], []byte("*/"))
				if j < 0 {
					return empty, nil // unterminated comment: the parser reports it
				}
				i += j + 3
			} else {
				empty = false
			}
		case '{', '[':
			empty = false
			depth++
			values++
			if depth > MaxDepth {
				return false, d.errf(lines.line(i), ErrTooDeep, "objects and arrays nest deeper than %d", MaxDepth)
			}
		case '}', ']':
			empty = false
			depth--
		case ',', ':':
			values++
		case ' ', '\t', '\r', '\n':
		default:
			empty = false
		}
		if values > MaxValues {
			return false, d.errf(lines.line(i), ErrTooMany, "more than %d values", MaxValues)
		}
	}
	return empty, nil
}

// jsonValue converts a hujson value; depth is bounded by scanJSON.
func (d *decoder) jsonValue(v *hujson.Value, lines lineIndex, depth int) (*node, error) {
	line := lines.line(v.StartOffset)
	if depth > MaxDepth {
		return nil, d.errf(line, ErrTooDeep, "objects and arrays nest deeper than %d", MaxDepth)
	}
	switch t := v.Value.(type) {
	case *hujson.Object:
		b := newObject(line)
		for i := range t.Members {
			m := &t.Members[i]
			key := ""
			if lit, ok := m.Name.Value.(hujson.Literal); ok {
				key = lit.String()
			}
			val, err := d.jsonValue(&m.Value, lines, depth+1)
			if err != nil {
				return nil, err
			}
			b.add(key, lines.line(m.Name.StartOffset), val)
		}
		return d.finish(b), nil
	case *hujson.Array:
		n := &node{kind: kindArray, line: line, elems: make([]*node, 0, len(t.Elements))}
		for i := range t.Elements {
			e, err := d.jsonValue(&t.Elements[i], lines, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, e)
		}
		return n, nil
	case hujson.Literal:
		switch t.Kind() {
		case '"':
			return &node{kind: kindString, line: line, text: t.String()}, nil
		case '0':
			return &node{kind: kindNumber, line: line, text: string(t)}, nil
		case 't', 'f':
			return &node{kind: kindBool, line: line, text: string(t)}, nil
		}
		return &node{kind: kindNull, line: line}, nil
	}
	return nil, d.errf(line, ErrSyntax, "invalid JSON value")
}

// hujsonErrLine extracts the line from hujson's "hujson: line N, column M: …" errors.
func hujsonErrLine(msg string) int {
	var line, col int
	if _, err := fmt.Sscanf(msg, "hujson: line %d, column %d:", &line, &col); err != nil {
		return 0
	}
	return line
}

// hujsonErrMsg strips the position prefix from a hujson error and redacts what could be file content.
func hujsonErrMsg(msg string) string {
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "hujson: line ") {
		if j := strings.Index(msg[i+2:], ": "); j >= 0 {
			msg = msg[i+2+j+2:]
		}
	}
	return redact(msg)
}

// redact bounds a parser's message and blanks long quoted runs in it, which could be values from
// the file (tokens in headers or env), so that errors never carry secrets.
func redact(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '"' || c == '\'' || c == '`' {
			if j := strings.IndexByte(msg[i+1:], c); j >= 0 {
				if j > 24 {
					b.WriteByte(c)
					b.WriteString("…")
					b.WriteByte(c)
				} else {
					b.WriteString(msg[i : i+j+2])
				}
				i += j + 1
				continue
			}
		}
		b.WriteByte(c)
	}
	s := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			return '?'
		}
		return r
	}, b.String())
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
