package mcpconfig

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// toml decodes TOML with BurntSushi/toml, which keeps no positions: lines come from a separate,
// linear scan of the text (tomlLocator) that maps every key path (and array index) to its line.
func (d *decoder) toml(data []byte) (*node, error) {
	lines := newLineIndex(data)
	if err := d.scanTOML(data, lines); err != nil {
		return nil, err
	}
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, d.errf(pe.Position.Line, ErrSyntax, "invalid TOML: %s", redact(pe.Message))
		}
		return nil, d.errf(0, ErrSyntax, "invalid TOML")
	}
	loc := &tomlLocator{b: data, line: 1, out: map[string]int{}, aot: map[string]int{}}
	loc.run()
	return d.tomlValue(m, nil, loc.out, 1, 0)
}

// scanTOML checks nesting depth and value count before the decoder sees the input.
func (d *decoder) scanTOML(b []byte, lines lineIndex) error {
	depth, values := 0, 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"', '\'':
			if bytes.HasPrefix(b[i:], []byte{c, c, c}) {
				j := bytes.Index(b[i+3:], []byte{c, c, c})
				if c == '"' {
					j = indexUnescaped(b[i+3:], []byte(`"""`))
				}
				if j < 0 {
					return nil // unterminated: the decoder reports it
				}
				i += 3 + j + 2
				continue
			}
			for i++; i < len(b) && b[i] != c && b[i] != '\n'; i++ {
				if c == '"' && b[i] == '\\' {
					i++
				}
			}
		case '#':
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				return nil
			}
			i += j
		case '[', '{':
			depth++
			values++
			if depth > MaxDepth {
				return d.errf(lines.line(i), ErrTooDeep, "arrays and inline tables nest deeper than %d", MaxDepth)
			}
		case ']', '}':
			depth--
		case ',', '=':
			values++
		}
		if values > MaxValues {
			return d.errf(lines.line(i), ErrTooMany, "more than %d values", MaxValues)
		}
	}
	return nil
}

// indexUnescaped finds sep in b, skipping backslash escapes.
func indexUnescaped(b, sep []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' {
			i++
			continue
		}
		if bytes.HasPrefix(b[i:], sep) {
			return i
		}
	}
	return -1
}

// pathKey joins a key path for the locator's map.
func pathKey(p []string) string { return strings.Join(p, "\x00") }

// tomlValue converts a decoded TOML value; members are ordered by line.
func (d *decoder) tomlValue(v any, p []string, lines map[string]int, parentLine, depth int) (*node, error) {
	line := lines[pathKey(p)]
	if line == 0 {
		line = parentLine
	}
	if depth > MaxDepth {
		return nil, d.errf(line, ErrTooDeep, "TOML nests deeper than %d", MaxDepth)
	}
	child := func(k string) []string { return append(append([]string(nil), p...), k) }
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			li, lj := lines[pathKey(child(keys[i]))], lines[pathKey(child(keys[j]))]
			if li != lj {
				return li < lj
			}
			return keys[i] < keys[j]
		})
		b := newObject(line)
		for _, k := range keys {
			cp := child(k)
			val, err := d.tomlValue(t[k], cp, lines, line, depth+1)
			if err != nil {
				return nil, err
			}
			kl := lines[pathKey(cp)]
			if kl == 0 {
				kl = line
			}
			b.add(k, kl, val)
		}
		return d.finish(b), nil
	case []map[string]any:
		n := &node{kind: kindArray, line: line}
		for i, e := range t {
			en, err := d.tomlValue(e, child(strconv.Itoa(i)), lines, line, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, en)
		}
		return n, nil
	case []any:
		n := &node{kind: kindArray, line: line}
		for i, e := range t {
			en, err := d.tomlValue(e, child(strconv.Itoa(i)), lines, line, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, en)
		}
		return n, nil
	case string:
		return &node{kind: kindString, line: line, text: t}, nil
	case bool:
		return &node{kind: kindBool, line: line, text: strconv.FormatBool(t)}, nil
	case int64:
		return &node{kind: kindNumber, line: line, text: strconv.FormatInt(t, 10)}, nil
	case float64:
		return &node{kind: kindNumber, line: line, text: strconv.FormatFloat(t, 'g', -1, 64)}, nil
	case nil:
		return &node{kind: kindNull, line: line}, nil
	}
	return &node{kind: kindString, line: line, text: fmt.Sprint(v)}, nil // dates and times
}

// tomlLocator scans valid TOML text (the decoder has accepted it) and records the line of every
// table header, key and array element, by key path. Array-of-tables elements get their index in the
// path, as the decoded []map[string]any does. It is linear and its recursion is bounded by the
// nesting depth scanTOML checked.
type tomlLocator struct {
	b    []byte
	i    int
	line int
	out  map[string]int
	aot  map[string]int // array-of-tables element counts, by resolved path
}

func (l *tomlLocator) record(p []string) {
	k := pathKey(p)
	if _, ok := l.out[k]; !ok {
		l.out[k] = l.line
	}
}

func (l *tomlLocator) peek() byte {
	if l.i < len(l.b) {
		return l.b[l.i]
	}
	return 0
}

// skipSpace skips blanks; with newlines also line breaks and comments.
func (l *tomlLocator) skipSpace(newlines bool) {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\r':
			l.i++
		case '\n':
			if !newlines {
				return
			}
			l.line++
			l.i++
		case '#':
			if !newlines {
				return
			}
			for l.i < len(l.b) && l.b[l.i] != '\n' {
				l.i++
			}
		default:
			return
		}
	}
}

func (l *tomlLocator) run() {
	var table []string
	for l.i < len(l.b) {
		start := l.i
		l.skipSpace(true)
		if l.i >= len(l.b) {
			return
		}
		switch {
		case bytes.HasPrefix(l.b[l.i:], []byte("[[")):
			l.i += 2
			keys := l.key()
			table = l.resolve(keys, true)
			l.record(table[:len(table)-1])
			l.record(table)
			l.toEOL()
		case l.peek() == '[':
			l.i++
			keys := l.key()
			table = l.resolve(keys, false)
			l.record(table)
			l.toEOL()
		default:
			keys := l.key()
			p := append(append([]string(nil), table...), keys...)
			l.record(p)
			l.skipSpace(false)
			if l.peek() == '=' {
				l.i++
				l.skipSpace(false)
				l.value(p)
			}
			l.toEOL()
		}
		if l.i == start {
			l.i++ // never loop without progress, whatever the input
		}
	}
}

// resolve turns header keys into a path, inserting the current index of every array of tables on
// the way; for an [[array]] header it also opens a new element.
func (l *tomlLocator) resolve(keys []string, isAOT bool) []string {
	var p []string
	for i, k := range keys {
		p = append(p, k)
		last := i == len(keys)-1
		if last && isAOT {
			n := l.aot[pathKey(p)]
			l.aot[pathKey(p)] = n + 1
			p = append(p, strconv.Itoa(n))
		} else if n, ok := l.aot[pathKey(p)]; ok && !last {
			p = append(p, strconv.Itoa(n-1))
		}
	}
	return p
}

// toEOL skips the rest of a line (a comment, the closing brackets of a header).
func (l *tomlLocator) toEOL() {
	for l.i < len(l.b) && l.b[l.i] != '\n' {
		l.i++
	}
}

// key reads a dotted key and stops before '=' or after a header's closing brackets.
func (l *tomlLocator) key() []string {
	var keys []string
	for l.i < len(l.b) {
		l.skipSpace(false)
		switch c := l.peek(); {
		case c == '"':
			keys = append(keys, l.basicString())
		case c == '\'':
			keys = append(keys, l.literalString())
		case isBareKey(c):
			s := l.i
			for l.i < len(l.b) && isBareKey(l.b[l.i]) {
				l.i++
			}
			keys = append(keys, string(l.b[s:l.i]))
		default:
			return keys
		}
		l.skipSpace(false)
		if l.peek() != '.' {
			return keys
		}
		l.i++
	}
	return keys
}

func isBareKey(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// basicString reads "…" and returns its value.
func (l *tomlLocator) basicString() string {
	s := l.i
	l.i++
	for l.i < len(l.b) && l.b[l.i] != '"' && l.b[l.i] != '\n' {
		if l.b[l.i] == '\\' {
			l.i++
		}
		l.i++
	}
	if l.i < len(l.b) && l.b[l.i] == '"' {
		l.i++
	}
	raw := string(l.b[s:min(l.i, len(l.b))])
	if v, err := strconv.Unquote(raw); err == nil {
		return v
	}
	return strings.Trim(raw, `"`)
}

// literalString reads '…' and returns its value.
func (l *tomlLocator) literalString() string {
	l.i++
	s := l.i
	for l.i < len(l.b) && l.b[l.i] != '\'' && l.b[l.i] != '\n' {
		l.i++
	}
	v := string(l.b[s:l.i])
	if l.i < len(l.b) && l.b[l.i] == '\'' {
		l.i++
	}
	return v
}

// value skips one value, recording the lines of array elements and inline-table keys under p.
func (l *tomlLocator) value(p []string) {
	switch {
	case bytes.HasPrefix(l.b[l.i:], []byte(`"""`)), bytes.HasPrefix(l.b[l.i:], []byte(`'''`)):
		q := l.b[l.i : l.i+3]
		l.i += 3
		j := bytes.Index(l.b[l.i:], q)
		if q[0] == '"' {
			j = indexUnescaped(l.b[l.i:], q)
		}
		if j < 0 {
			j = len(l.b) - l.i
		}
		l.line += bytes.Count(l.b[l.i:l.i+j], []byte("\n"))
		l.i += j + 3
		for l.i < len(l.b) && l.b[l.i] == q[0] { // up to two quotes may end the content
			l.i++
		}
		l.i = min(l.i, len(l.b))
	case l.peek() == '"':
		l.basicString()
	case l.peek() == '\'':
		l.literalString()
	case l.peek() == '[':
		l.i++
		for idx := 0; l.i < len(l.b); idx++ {
			l.skipSpace(true)
			if l.peek() == ']' || l.i >= len(l.b) {
				break
			}
			ep := append(append([]string(nil), p...), strconv.Itoa(idx))
			l.record(ep)
			start := l.i
			l.value(ep)
			l.skipSpace(true)
			if l.peek() == ',' {
				l.i++
			} else if l.i == start {
				break
			}
		}
		if l.peek() == ']' {
			l.i++
		}
	case l.peek() == '{':
		l.i++
		for l.i < len(l.b) {
			l.skipSpace(true)
			if l.peek() == '}' || l.i >= len(l.b) {
				break
			}
			start := l.i
			keys := l.key()
			kp := append(append([]string(nil), p...), keys...)
			l.record(kp)
			l.skipSpace(false)
			if l.peek() == '=' {
				l.i++
				l.skipSpace(false)
				l.value(kp)
			}
			l.skipSpace(true)
			if l.peek() == ',' {
				l.i++
			} else if l.i == start {
				break
			}
		}
		if l.peek() == '}' {
			l.i++
		}
	default:
		for l.i < len(l.b) {
			switch l.b[l.i] {
			case ',', ']', '}', '\n', '#':
				return
			}
			l.i++
		}
	}
}
