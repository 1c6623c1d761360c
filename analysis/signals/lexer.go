package signals

import (
	"bytes"
	"fmt"
	"io"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/js"
)

// tdewolff's lexer builds each error's message by copying its whole input and walking it from the
// start to the error, so one lexer over a large file costs time quadratic in the number of errors.
// scanJS therefore reads a file in pieces of about lexSegmentBytes, each with a fresh lexer, cutting
// only between tokens: a token that reaches the end of a piece is read again at the start of the next
// one (in a piece twice as large if it is larger than the piece), and the lexer's template state is
// restored at the start of a piece by a short synthetic prefix.
const (
	// lexSegmentBytes is the size of the pieces the lexer reads.
	lexSegmentBytes = 4 << 10
	// maxPrimeBytes bounds the synthetic prefix; deeper template state (only seen in junk) is dropped.
	maxPrimeBytes = 4 << 10
)

// lexState mirrors the parts of tdewolff's lexer state that carry across tokens: the bracket level and
// the levels at which template literals were opened (a '}' at such a level continues the template).
type lexState struct {
	level int
	tmpl  []int
}

// apply updates the state as the lexer did when it produced tt.
func (st *lexState) apply(tt js.TokenType, text []byte) {
	switch tt {
	case js.OpenParenToken, js.OpenBraceToken:
		st.level++
	case js.CloseParenToken, js.CloseBraceToken:
		st.level--
	case js.TemplateStartToken:
		st.tmpl = append(st.tmpl, st.level)
		st.level++
	case js.TemplateEndToken:
		st.level--
		if n := len(st.tmpl); n > 0 {
			st.tmpl = st.tmpl[:n-1]
		}
	case js.ErrorToken: // an unterminated template runs to the end of the input
		if len(text) > 0 && text[0] == '`' {
			st.tmpl = append(st.tmpl, st.level)
		} else if len(text) > 0 && text[0] == '}' {
			st.level--
		}
	}
}

// prime returns text that brings a fresh lexer into this state, or nil when none is needed or it would
// be longer than maxPrimeBytes or the state is inconsistent.
func (st *lexState) prime() []byte {
	if len(st.tmpl) == 0 {
		return nil
	}
	var b []byte
	cur := 0
	for _, l := range st.tmpl {
		if l < cur || len(b)+(l-cur)+3 > maxPrimeBytes {
			return nil
		}
		b = append(b, bytes.Repeat([]byte{'('}, l-cur)...)
		b = append(b, "`${"...)
		cur = l + 1
	}
	if st.level < cur || len(b)+(st.level-cur) > maxPrimeBytes {
		return nil
	}
	return append(b, bytes.Repeat([]byte{'('}, st.level-cur)...)
}

// scanJS scans data (already bounded by the caller) as JavaScript or TypeScript and returns the offset
// up to which it was read: len(data), or less (with the reason) when *lexErrors (the version's
// remaining lexer-error budget) ran out or the lexer panicked. It never fails: the lexer recovers from
// errors (unterminated literals, stray characters, binary junk), every loop is bounded, and a panic in
// the lexer is recovered.
func scanJS(data []byte, emit func(obs), lexErrors *int) (int, string) {
	s := &jsScanner{emit: emit, creds: credentialNeedles()}
	defer s.step(sig{tt: js.ErrorToken, off: len(data)}) // end of input: lets look-ahead checks finish
	pos := 0
	if bytes.HasPrefix(data, []byte("#!")) { // a shebang line is not JS
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return len(data), ""
		}
		pos = i
	}
	// tdewolff's lexer reads past the end of its input on a '#' that ends it (it skips the character
	// after a '#' that does not start a private name). Trailing '#'s are a syntax error and carry no
	// value: they are not lexed.
	limit := len(data)
	for limit > pos && data[limit-1] == '#' {
		limit--
	}
	var st lexState
	segLen := lexSegmentBytes
	for pos < limit {
		if *lexErrors <= 0 {
			return pos, fmt.Sprintf("the limit of %d JavaScript lexer errors per version was reached, so it is not valid JavaScript", MaxLexErrors)
		}
		end := min(limit, pos+segLen)
		for end < limit && data[end-1] == '#' {
			end++ // a piece must not end in '#' either
		}
		next, failed := s.segment(data[:limit], pos, end, &st, lexErrors)
		if failed {
			return max(next, pos), "the JavaScript lexer failed on it"
		}
		if next <= pos {
			segLen *= 2 // one token larger than the piece
			continue
		}
		pos, segLen = next, lexSegmentBytes
	}
	return len(data), ""
}

// segment lexes data[pos:end] with a fresh lexer and processes its tokens. It returns the offset of
// the first token it did not process: end when all were, or the start of a token that may be cut by
// the end of the piece (when end < len(data)), or where it stopped because the error budget ran out.
// It also stops after the first token that ends lexSegmentBytes or more into the piece, so that a
// piece enlarged for one big token does not make later errors costly.
//
// A panic in the lexer is recovered: failed is set and next is the offset of the first token not
// processed.
func (s *jsScanner) segment(data []byte, pos, end int, st *lexState, lexErrors *int) (next int, failed bool) {
	final := end == len(data)
	processed := pos
	defer func() {
		if r := recover(); r != nil {
			next, failed = processed, true
		}
	}()
	prefix := st.prime()
	if prefix == nil {
		st.tmpl = st.tmpl[:0] // unknown or no template state: start clean
	}
	plen := len(prefix)
	buf := make([]byte, plen+end-pos, plen+end-pos+1) // spare capacity: NewInputBytes writes its NUL there
	copy(buf, prefix)
	copy(buf[plen:], data[pos:end])
	in := parse.NewInputBytes(buf)
	lx := js.NewLexer(in)
	abs := func(o int) int { return pos + o - plen }
	prevEnd := 0
	for steps := 0; steps <= 2*len(buf)+16; steps++ {
		if *lexErrors <= 0 {
			return processed, false
		}
		tt, text := lx.Next()
		errs := 0 // lexer errors this token cost; counted once it is processed (not when it is read again)
		if tt == js.ErrorToken {
			if lx.Err() == io.EOF {
				return end, false
			}
			errs++
		}
		if (tt == js.DivToken || tt == js.DivEqToken) && s.regexAllowed() {
			divStart := in.Offset() - len(text)
			rtt, rtext := lx.RegExp()
			if rtt == js.RegExpToken {
				tt, text = rtt, rtext
			} else {
				if !final && in.Offset() >= len(buf) {
					return abs(divStart), false // the regex may go on in the next piece
				}
				errs++
				// Not a regular expression after all: go back to just after the '/' and read on from there.
				in.Rewind(len(text))
				in.Skip()
			}
		}
		start := prevEnd
		if text != nil {
			start = in.Offset() - len(text)
		}
		if !final && in.Offset() >= len(buf) {
			return max(abs(start), pos), false // possibly cut: read it again in the next piece
		}
		*lexErrors -= errs
		if text == nil {
			continue // an error that consumed bytes without a token: they come with the next one
		}
		prevEnd = in.Offset()
		if prevEnd <= plen {
			continue // the synthetic prefix
		}
		processed = abs(prevEnd)
		st.apply(tt, text)
		switch tt {
		case js.WhitespaceToken, js.LineTerminatorToken, js.CommentToken, js.CommentLineTerminatorToken:
		default:
			s.step(s.makeSig(tt, text, abs(start)))
		}
		if !final && prevEnd-plen >= lexSegmentBytes {
			return processed, false
		}
	}
	return max(processed, pos+1), false
}
