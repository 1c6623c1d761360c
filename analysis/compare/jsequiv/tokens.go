package jsequiv

import (
	"errors"
	"io"
	"unicode/utf8"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/js"
)

// kind classifies a token for the normalisation rules.
type kind uint8

const (
	kIdent    kind = iota // identifier (including property names) or keyword
	kPunct                // punctuator or operator
	kString               // string literal, quotes included
	kNumber               // numeric literal
	kTemplate             // template literal or template piece
	kRegExp               // regular expression literal
	kPrivate              // #name
	kHashbang             // #!... first line
	kComment              // comments (only when asked for)
	kSynth                // a token made up by normalisation (never valid JS)
)

// tok is one significant token.
type tok struct {
	text string
	kind kind
	open bool // template piece that opens an expression (`...${ or }...${)
	// For printed code: generated position (0-based line, UTF-16 column).
	gline, gcol int32
	// For the shipped side: 1-based line and 0-based UTF-16 column in the
	// original shipped file (0 line = unknown).
	line, col int32
}

// keywordsBeforeRegExp are keywords after which a '/' starts a regular
// expression rather than a division.
var keywordsBeforeRegExp = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true,
	"yield": true, "await": true, "extends": true,
}

// lexJS tokenizes src (see scanJS) into a slice. It returns the tokens and
// whether the lexer stopped early on an error (the tokens before the error are
// still returned). At most maxTokens tokens are kept; more sets tooMany.
func lexJS(src []byte, keepComments bool, maxTokens int) (toks []tok, lexErr bool, tooMany bool) {
	toks = make([]tok, 0, min(len(src)/3+16, maxTokens+1))
	lexErr = scanJS(src, keepComments, func(t tok) bool {
		if len(toks) >= maxTokens {
			tooMany = true
			return false
		}
		toks = append(toks, t)
		return true
	})
	return toks, lexErr && !tooMany, tooMany
}

// scanJS tokenizes src with a real JavaScript lexer (tdewolff/parse js),
// deciding regular expressions versus division from the previous significant
// token, and calls fn for every significant token (and comment, if asked)
// until fn returns false. It reports whether the lexer stopped on an error.
func scanJS(src []byte, keepComments bool, fn func(tok) bool) (lexErr bool) {
	var line, col int32 // generated position of the next byte
	consumed := 0
	advance := func(b []byte) {
		consumed += len(b)
		for i := 0; i < len(b); {
			c := b[i]
			switch {
			case c == '\n':
				line++
				col = 0
				i++
			case c == '\r':
				if i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
				line++
				col = 0
				i++
			case c < utf8.RuneSelf:
				col++
				i++
			default:
				r, n := utf8.DecodeRune(b[i:])
				if r == 0x2028 || r == 0x2029 {
					line++
					col = 0
				} else if r >= 0x10000 {
					col += 2
				} else {
					col++
				}
				i += n
			}
		}
	}
	rest := src
	if len(rest) >= 2 && rest[0] == '#' && rest[1] == '!' {
		end := 0
		for end < len(rest) && rest[end] != '\n' && rest[end] != '\r' {
			end++
		}
		if !fn(tok{text: string(rest[:end]), kind: kHashbang}) {
			return false
		}
		advance(rest[:end])
		rest = rest[end:]
	}
	l := js.NewLexer(parse.NewInputBytes(rest))
	// parenKeyword[i] says whether the i-th open parenthesis followed
	// if/while/for/with (so that the matching ')' may precede a regexp).
	var parenKeyword []bool
	regexpOK := true
	prev := "" // previous significant token
	for {
		tt, data := l.Next()
		switch tt {
		case js.ErrorToken:
			err := l.Err()
			return (err != nil && !errors.Is(err, io.EOF)) || consumed < len(src)
		case js.WhitespaceToken, js.LineTerminatorToken:
			advance(data)
			continue
		case js.CommentToken, js.CommentLineTerminatorToken:
			if keepComments && !fn(tok{text: string(data), kind: kComment, gline: line, gcol: col}) {
				return false
			}
			advance(data)
			continue
		}
		if (tt == js.DivToken || tt == js.DivEqToken) && regexpOK {
			tt, data = l.RegExp() // re-reads from the '/' just returned
			if tt == js.ErrorToken {
				return true
			}
		}
		t := tok{text: string(data), gline: line, gcol: col}
		nextRegexpOK := false
		switch {
		case tt == js.StringToken:
			t.kind = kString
		case tt == js.RegExpToken:
			t.kind = kRegExp
		case tt == js.PrivateIdentifierToken:
			t.kind = kPrivate
		case tt == js.TemplateToken || tt == js.TemplateEndToken:
			t.kind = kTemplate
		case tt == js.TemplateStartToken || tt == js.TemplateMiddleToken:
			t.kind = kTemplate
			t.open = true
			nextRegexpOK = true
		case js.IsNumeric(tt):
			t.kind = kNumber
		case js.IsIdentifierName(tt):
			t.kind = kIdent
			nextRegexpOK = keywordsBeforeRegExp[t.text]
		default:
			t.kind = kPunct
			switch tt {
			case js.CloseParenToken:
				if n := len(parenKeyword); n > 0 {
					nextRegexpOK = parenKeyword[n-1]
					parenKeyword = parenKeyword[:n-1]
				}
			case js.OpenParenToken:
				kw := prev == "if" || prev == "while" || prev == "for" || prev == "with"
				parenKeyword = append(parenKeyword, kw)
				nextRegexpOK = true
			case js.CloseBracketToken, js.IncrToken, js.DecrToken:
				nextRegexpOK = false
			default:
				nextRegexpOK = true // '}' (statement context), operators, other punctuators
			}
		}
		regexpOK = nextRegexpOK
		prev = t.text
		advance(data)
		if !fn(t) {
			return false
		}
	}
}
