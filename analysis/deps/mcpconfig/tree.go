package mcpconfig

import (
	"bytes"
	"fmt"
	"sort"
	"unicode/utf8"
)

// kind is the type of a decoded value.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

// node is one decoded value, whatever the syntax it came from, with its line.
type node struct {
	kind    kind
	line    int      // 1-based line of the value; 0 when unknown
	text    string   // scalars: the string's value, or the literal text of a number or boolean
	members []member // objects: in document order of first appearance; duplicates resolved last-wins
	elems   []*node  // arrays
}

// member is one key of an object.
type member struct {
	key     string
	keyLine int
	val     *node
}

// get returns the value of key, or nil when n is not an object or has no such key.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for i := range n.members {
		if n.members[i].key == key {
			return n.members[i].val
		}
	}
	return nil
}

// str returns a string value.
func (n *node) str() (string, bool) {
	if n == nil || n.kind != kindString {
		return "", false
	}
	return n.text, true
}

// getStr returns the string value of key, or "".
func (n *node) getStr(key string) string {
	s, _ := n.get(key).str()
	return s
}

// scalar returns the text of any scalar (string, number, boolean); false for null, objects, arrays.
func (n *node) scalar() (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.kind {
	case kindString, kindNumber, kindBool:
		return n.text, true
	}
	return "", false
}

// isObject reports whether n is an object.
func (n *node) isObject() bool { return n != nil && n.kind == kindObject }

// truth reports a boolean value (true/false), with ok false when n is not a boolean.
func (n *node) truth() (v, ok bool) {
	if n == nil || n.kind != kindBool {
		return false, false
	}
	return n.text == "true", true
}

// keyLine returns the line of key in n, or n's own line when the key is absent.
func (n *node) keyLine(key string) int {
	if n == nil {
		return 0
	}
	if n.kind == kindObject {
		for i := range n.members {
			if n.members[i].key == key {
				return n.members[i].keyLine
			}
		}
	}
	return n.line
}

// dup records a duplicate key.
type dup struct {
	key             string
	line, firstLine int
}

// objectBuilder collects an object's members, resolving duplicate keys like JSON.parse: the key
// keeps the position of its first appearance and takes the value (and line) of its last.
type objectBuilder struct {
	n     *node
	index map[string]int
	dups  []dup
}

func newObject(line int) *objectBuilder {
	return &objectBuilder{n: &node{kind: kindObject, line: line}}
}

func (b *objectBuilder) add(key string, keyLine int, val *node) {
	if i, ok := b.index[key]; ok {
		m := &b.n.members[i]
		b.dups = append(b.dups, dup{key: key, line: keyLine, firstLine: m.keyLine})
		m.keyLine, m.val = keyLine, val
		return
	}
	if b.index == nil {
		b.index = map[string]int{}
	}
	b.index[key] = len(b.n.members)
	b.n.members = append(b.n.members, member{key: key, keyLine: keyLine, val: val})
}

// has reports whether key was added.
func (b *objectBuilder) has(key string) bool {
	_, ok := b.index[key]
	return ok
}

// decoder turns file bytes into a node tree and remembers what the extractor needs to know.
type decoder struct {
	path  string
	dups  map[*node][]dup // duplicate keys by the object they occur in
	notes []string        // file-level remarks from decoding (further YAML documents, …)
}

func (d *decoder) errf(line int, sentinel error, format string, args ...any) error {
	return &ParseError{Path: d.path, Line: line, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// finish records an object's duplicates and returns it.
func (d *decoder) finish(b *objectBuilder) *node {
	if len(b.dups) > 0 {
		if d.dups == nil {
			d.dups = map[*node][]dup{}
		}
		d.dups[b.n] = append(d.dups[b.n], b.dups...)
	}
	return b.n
}

// errParserPanic marks the error that replaces a panic in a third-party parser.
const errParserPanic = "parser failure on this input"

// decode checks the bytes and dispatches on the syntax. An empty document (only whitespace and
// comments) decodes to nil. A panic in a parser (none is known; the fuzz tests look for them) becomes
// an ErrSyntax error rather than taking the process down.
func (d *decoder) decode(f format, data []byte) (n *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, d.errf(0, ErrSyntax, errParserPanic)
		}
	}()
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, d.errf(line, ErrNotText, "not UTF-8 text")
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, d.errf(1+bytes.Count(data[:i], []byte("\n")), ErrNotText, "NUL byte: not a text file")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch f {
	case formatYAML:
		return d.yaml(data)
	case formatTOML:
		return d.toml(data)
	}
	return d.json(data)
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// lineIndex maps byte offsets to 1-based lines.
type lineIndex []int // offsets of every '\n'

func newLineIndex(b []byte) lineIndex {
	var idx lineIndex
	for i, c := range b {
		if c == '\n' {
			idx = append(idx, i)
		}
	}
	return idx
}

func (l lineIndex) line(off int) int {
	return 1 + sort.SearchInts(l, off)
}

// dupProblem words a duplicate key.
func dupProblem(where string, d dup) string {
	return fmt.Sprintf("duplicate key %q %sat line %d (first at line %d): the last one wins", d.key, where, d.line, d.firstLine)
}
