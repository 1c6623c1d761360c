package mcpconfig

import (
	"errors"
	"fmt"
	"strconv"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// yaml decodes the first YAML document. Before goccy/go-yaml sees the input, a cheap estimate bounds
// what its lexer is given (MaxValues), then its parser gets at most MaxYAMLTokens tokens (it is
// quadratic in mapping keys) whose flow nesting is at most MaxDepth (it recurses, and is quadratic
// in flow depth). Aliases share the anchored value
// (no copies, so no billion laughs); merge keys (<<) are applied with a bounded copy budget.
func (d *decoder) yaml(data []byte) (*node, error) {
	if line, ok := yamlTokenEstimate(data); !ok {
		return nil, d.errf(line, ErrTooMany, "more than %d YAML tokens", MaxValues)
	}
	tokens := lexer.Tokenize(string(data))
	if len(tokens) > MaxYAMLTokens {
		return nil, d.errf(tokLine(tokens[MaxYAMLTokens]), ErrTooMany, "more than %d YAML tokens", MaxYAMLTokens)
	}
	depth := 0
	for _, tk := range tokens {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			depth++
			if depth > MaxDepth {
				return nil, d.errf(tokLine(tk), ErrTooDeep, "flow collections nest deeper than %d", MaxDepth)
			}
		case token.SequenceEndType, token.MappingEndType:
			depth--
		}
	}
	f, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			return nil, d.errf(tokLine(ye.GetToken()), ErrSyntax, "invalid YAML: %s", redact(ye.GetMessage()))
		}
		return nil, d.errf(0, ErrSyntax, "invalid YAML")
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil || isYAMLComment(doc.Body) {
			continue
		}
		if body != nil {
			d.notes = append(d.notes, fmt.Sprintf("further YAML document at line %d is not read (clients read only the first)", nodeLine(doc.Body)))
			break
		}
		body = doc.Body
	}
	if body == nil {
		return nil, nil
	}
	c := &yamlConv{d: d, anchors: map[string]*node{}}
	return c.conv(body, 0)
}

func isYAMLComment(n ast.Node) bool {
	switch n.(type) {
	case *ast.CommentNode, *ast.CommentGroupNode:
		return true
	}
	return false
}

// yamlTokenEstimate over-estimates the token count (words plus flow and key indicators) and reports
// whether it stays within MaxValues, or else the line where it crosses it.
func yamlTokenEstimate(b []byte) (int, bool) {
	n, line := 0, 1
	inWord := false
	for _, c := range b {
		switch c {
		case '\n':
			line++
			inWord = false
			continue
		case ' ', '\t', '\r':
			inWord = false
			continue
		case '[', ']', '{', '}', ',', ':':
			n++
		}
		if !inWord {
			n++
			inWord = true
		}
		if n > MaxValues {
			return line, false
		}
	}
	return 0, true
}

func tokLine(tk *token.Token) int {
	if tk == nil || tk.Position == nil || tk.Position.Line < 1 {
		return 0
	}
	return tk.Position.Line
}

func nodeLine(n ast.Node) int {
	if n == nil {
		return 0
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && m.Values[0] != nil && m.Values[0].Key != nil {
		if l := tokLine(m.Values[0].Key.GetToken()); l > 0 {
			return l
		}
	}
	return tokLine(n.GetToken())
}

// yamlConv converts goccy/go-yaml AST nodes.
type yamlConv struct {
	d       *decoder
	anchors map[string]*node
	copies  int // members copied by merge keys, bounded by MaxValues
}

func (c *yamlConv) conv(n ast.Node, depth int) (*node, error) {
	line := nodeLine(n)
	if depth > MaxDepth {
		return nil, c.d.errf(line, ErrTooDeep, "YAML nests deeper than %d", MaxDepth)
	}
	switch v := n.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case *ast.DocumentNode:
		return c.conv(v.Body, depth)
	case *ast.MappingNode:
		return c.mapping(line, v.Values, depth)
	case *ast.MappingValueNode:
		return c.mapping(line, []*ast.MappingValueNode{v}, depth)
	case *ast.SequenceNode:
		out := &node{kind: kindArray, line: line, elems: make([]*node, 0, len(v.Values))}
		for _, e := range v.Values {
			en, err := c.conv(e, depth+1)
			if err != nil {
				return nil, err
			}
			out.elems = append(out.elems, en)
		}
		return out, nil
	case *ast.AnchorNode:
		val, err := c.conv(v.Value, depth)
		if err != nil {
			return nil, err
		}
		if v.Name != nil && v.Name.GetToken() != nil {
			c.anchors[v.Name.GetToken().Value] = val
		}
		return val, nil
	case *ast.AliasNode:
		name := ""
		if v.Value != nil && v.Value.GetToken() != nil {
			name = v.Value.GetToken().Value
		}
		if a, ok := c.anchors[name]; ok {
			return a, nil
		}
		return nil, c.d.errf(line, ErrSyntax, "invalid YAML: alias *%s names no earlier anchor", redact(name))
	case *ast.TagNode:
		val, err := c.conv(v.Value, depth)
		if err != nil {
			return nil, err
		}
		if v.Start != nil && v.Start.Value == "!!str" && (val.kind == kindNumber || val.kind == kindBool) {
			val = &node{kind: kindString, line: val.line, text: val.text}
		}
		return val, nil
	case *ast.MappingKeyNode:
		return c.conv(v.Value, depth)
	case *ast.StringNode:
		return &node{kind: kindString, line: line, text: v.Value}, nil
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &node{kind: kindString, line: line, text: s}, nil
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return &node{kind: kindNumber, line: line, text: tokValue(v)}, nil
	case *ast.BoolNode:
		return &node{kind: kindBool, line: line, text: strconv.FormatBool(v.Value)}, nil
	}
	return &node{kind: kindNull, line: line}, nil
}

func tokValue(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// mapping converts a mapping's pairs; keys from merge keys (<<) fill in what the mapping lacks.
func (c *yamlConv) mapping(line int, values []*ast.MappingValueNode, depth int) (*node, error) {
	b := newObject(line)
	var merges []*node
	for _, mv := range values {
		if mv == nil {
			continue
		}
		val, err := c.conv(mv.Value, depth+1)
		if err != nil {
			return nil, err
		}
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			if val.kind == kindArray {
				merges = append(merges, val.elems...)
			} else {
				merges = append(merges, val)
			}
			continue
		}
		key, err := c.keyText(mv.Key, depth)
		if err != nil {
			return nil, err
		}
		kl := 0
		if mv.Key != nil {
			kl = tokLine(mv.Key.GetToken())
		}
		if kl == 0 {
			kl = line
		}
		b.add(key, kl, val)
	}
	for _, m := range merges {
		if m == nil || m.kind != kindObject {
			continue
		}
		for _, mm := range m.members {
			if b.has(mm.key) {
				continue
			}
			c.copies++
			if c.copies > MaxValues {
				return nil, c.d.errf(line, ErrTooMany, "YAML merge keys copy more than %d values", MaxValues)
			}
			b.add(mm.key, mm.keyLine, mm.val)
		}
	}
	return c.d.finish(b), nil
}

// keyText is a mapping key as a string: scalars by their text; anything else (a mapping as a key) by
// an empty string, which no client reads.
func (c *yamlConv) keyText(k ast.Node, depth int) (string, error) {
	if k == nil {
		return "", nil
	}
	n, err := c.conv(k, depth+1)
	if err != nil {
		return "", err
	}
	s, _ := n.scalar()
	return s, nil
}
