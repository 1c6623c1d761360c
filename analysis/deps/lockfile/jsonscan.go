package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
)

// jsonFrame is one open JSON container.
type jsonFrame struct {
	object  bool
	key     []byte // the current key of an object (decoded; aliases data when it has no escapes)
	keyLine int
	index   int // the current element of an array
	// Keys seen so far, when duplicates are checked: the first smallKeys in keys (aliasing
	// data, no allocation; the slice is reused across frames), then in seen.
	keys [][]byte
	seen map[uint64]struct{} // 64-bit hashes: millions of keys cost 16 bytes each, not a copy
	seed maphash.Seed
}

// smallKeys is how many keys of one object are checked for duplicates by a linear scan before
// a map takes over.
const smallKeys = 16

// jsonHandler receives the structure of a JSON document from a jsonScanner.
type jsonHandler interface {
	// open is called after a container was pushed: it is the last frame of sc.stack.
	open(sc *jsonScanner, line int)
	// close is called before the last frame of sc.stack is popped.
	close(sc *jsonScanner)
	// scalar is called for every scalar value; raw is the value as written (strings with
	// their quotes: decode them with sc.str).
	scalar(sc *jsonScanner, raw []byte, line int)
}

// jsonScanner is a small, iterative JSON (and JSONC: comments and trailing commas) tokenizer that
// tracks lines and the path of keys. It never recurses, refuses nesting deeper than maxDepth
// before going any further, and optionally reports duplicate keys. It validates the syntax well
// enough that encoding/json will not choke on structure afterwards (it does not validate number
// grammar or escapes in detail: the decoder that follows does).
type jsonScanner struct {
	data     []byte
	pos      int
	line     int
	stack    []jsonFrame
	jsonc    bool
	maxDepth int
	dupes    func(key []byte, line int) // called for a duplicate key, when set
	h        jsonHandler
}

var errJSONEnd = errors.New("unexpected end of input")

// scanJSON scans data with h (nil: only check it). A nil error means data is one well-formed
// JSON value (JSONC when jsonc is set) nested at most maxDepth deep.
func scanJSON(data []byte, jsonc bool, maxDepth int, h jsonHandler, dupes func(key []byte, line int)) (int, error) {
	sc := &jsonScanner{data: data, line: 1, jsonc: jsonc, maxDepth: maxDepth, h: h, dupes: dupes}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		sc.pos = 3
	}
	err := sc.run()
	return sc.line, err
}

const (
	jsWantValue = iota
	jsWantKey
	jsWantAfter
)

func (sc *jsonScanner) run() error {
	state := jsWantValue
	allowClose := false // a closer is allowed here (empty container or JSONC trailing comma)
	for {
		if err := sc.skipSpace(); err != nil {
			return err
		}
		if sc.pos >= len(sc.data) {
			if len(sc.stack) == 0 && state == jsWantAfter {
				return nil
			}
			return errJSONEnd
		}
		c := sc.data[sc.pos]
		switch state {
		case jsWantValue:
			if c == ']' && allowClose && len(sc.stack) > 0 && !sc.stack[len(sc.stack)-1].object {
				sc.pos++
				sc.pop()
				state, allowClose = jsWantAfter, false
				continue
			}
			switch c {
			case '{', '[':
				if len(sc.stack) >= sc.maxDepth {
					return fmt.Errorf("%w: more than %d nested arrays/objects", ErrTooDeep, sc.maxDepth)
				}
				sc.pos++
				sc.push(c == '{')
				if sc.h != nil {
					sc.h.open(sc, sc.line)
				}
				if c == '{' {
					state = jsWantKey
				} else {
					state = jsWantValue
				}
				allowClose = true
				continue
			case '"':
				start := sc.pos
				if _, err := sc.readString(); err != nil {
					return err
				}
				if sc.h != nil {
					sc.h.scalar(sc, sc.data[start:sc.pos], sc.line)
				}
			default:
				start := sc.pos
				if err := sc.readLiteral(); err != nil {
					return err
				}
				if sc.h != nil {
					sc.h.scalar(sc, sc.data[start:sc.pos], sc.line)
				}
			}
			state, allowClose = jsWantAfter, false
		case jsWantKey:
			if c == '}' && allowClose {
				sc.pos++
				sc.pop()
				state, allowClose = jsWantAfter, false
				continue
			}
			if c != '"' {
				return fmt.Errorf("expected a string key, found %s", quoteByte(c))
			}
			start := sc.pos
			esc, err := sc.readString()
			if err != nil {
				return err
			}
			key := sc.data[start+1 : sc.pos-1]
			if esc {
				s, err := sc.str(sc.data[start:sc.pos])
				if err != nil {
					return err
				}
				key = []byte(s)
			}
			if err := sc.skipSpace(); err != nil {
				return err
			}
			if sc.pos >= len(sc.data) {
				return errJSONEnd
			}
			if sc.data[sc.pos] != ':' {
				return fmt.Errorf("expected ':' after key, found %s", quoteByte(sc.data[sc.pos]))
			}
			sc.pos++
			top := &sc.stack[len(sc.stack)-1]
			if sc.dupes != nil && top.seenKey(key) {
				sc.dupes(key, sc.line)
			}
			top.key, top.keyLine = key, sc.line
			state, allowClose = jsWantValue, false
		case jsWantAfter:
			if len(sc.stack) == 0 {
				return fmt.Errorf("unexpected %s after the top-level value", quoteByte(c))
			}
			top := &sc.stack[len(sc.stack)-1]
			switch {
			case c == ',':
				sc.pos++
				if top.object {
					state = jsWantKey
				} else {
					top.index++
					state = jsWantValue
				}
				allowClose = sc.jsonc
			case c == '}' && top.object, c == ']' && !top.object:
				sc.pos++
				sc.pop()
				state, allowClose = jsWantAfter, false
			default:
				return fmt.Errorf("expected ',' or a closing bracket, found %s", quoteByte(c))
			}
		}
	}
}

// push opens a container, reusing the frame (and its key slice) left by an earlier one.
func (sc *jsonScanner) push(object bool) {
	if len(sc.stack) < cap(sc.stack) {
		sc.stack = sc.stack[:len(sc.stack)+1]
		f := &sc.stack[len(sc.stack)-1]
		*f = jsonFrame{object: object, keys: f.keys[:0]}
		return
	}
	sc.stack = append(sc.stack, jsonFrame{object: object})
}

// seenKey records key and reports whether the object already had it.
func (f *jsonFrame) seenKey(key []byte) bool {
	if f.seen == nil {
		for _, k := range f.keys {
			if string(k) == string(key) {
				return true
			}
		}
		if len(f.keys) < smallKeys {
			f.keys = append(f.keys, key)
			return false
		}
		f.seen = make(map[uint64]struct{}, 2*smallKeys)
		f.seed = maphash.MakeSeed()
		for _, k := range f.keys {
			f.seen[maphash.Bytes(f.seed, k)] = struct{}{}
		}
	}
	h := maphash.Bytes(f.seed, key)
	if _, dup := f.seen[h]; dup {
		return true // (or a 64-bit hash collision: about one in 10¹⁶ for a million keys)
	}
	f.seen[h] = struct{}{}
	return false
}

func (sc *jsonScanner) pop() {
	if sc.h != nil {
		sc.h.close(sc)
	}
	sc.stack = sc.stack[:len(sc.stack)-1]
}

// skipSpace skips whitespace (and JSONC comments), counting lines.
func (sc *jsonScanner) skipSpace() error {
	for sc.pos < len(sc.data) {
		switch c := sc.data[sc.pos]; c {
		case '\n':
			sc.line++
			sc.pos++
		case ' ', '\t', '\r':
			sc.pos++
		case '/':
			if !sc.jsonc || sc.pos+1 >= len(sc.data) {
				return fmt.Errorf("unexpected '/'")
			}
			switch sc.data[sc.pos+1] {
			case '/':
				for sc.pos < len(sc.data) && sc.data[sc.pos] != '\n' {
					sc.pos++
				}
			case '*':
				sc.pos += 2
				for {
					if sc.pos+1 >= len(sc.data) {
						return fmt.Errorf("unterminated comment")
					}
					if sc.data[sc.pos] == '*' && sc.data[sc.pos+1] == '/' {
						sc.pos += 2
						break
					}
					if sc.data[sc.pos] == '\n' {
						sc.line++
					}
					sc.pos++
				}
			default:
				return fmt.Errorf("unexpected '/'")
			}
		default:
			return nil
		}
	}
	return nil
}

// readString reads a quoted string starting at sc.pos and reports whether it has escapes.
func (sc *jsonScanner) readString() (bool, error) {
	esc := false
	i := sc.pos + 1
	for i < len(sc.data) {
		switch c := sc.data[i]; {
		case c == '"':
			sc.pos = i + 1
			return esc, nil
		case c == '\\':
			esc = true
			i += 2
		case c < 0x20:
			return false, fmt.Errorf("control character in a string")
		default:
			i++
		}
	}
	return false, fmt.Errorf("unterminated string")
}

// readLiteral reads true, false, null or a number.
func (sc *jsonScanner) readLiteral() error {
	start := sc.pos
	for sc.pos < len(sc.data) {
		c := sc.data[sc.pos]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '+' || c == '.' {
			sc.pos++
			continue
		}
		break
	}
	lit := sc.data[start:sc.pos]
	switch string(lit) {
	case "true", "false", "null":
		return nil
	}
	if len(lit) > 0 && (lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9') {
		return nil
	}
	if len(lit) == 0 {
		return fmt.Errorf("unexpected %s", quoteByte(sc.data[start]))
	}
	return fmt.Errorf("invalid literal %s", truncQuote(string(lit)))
}

// str decodes a quoted JSON string as written (raw includes the quotes).
func (sc *jsonScanner) str(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("not a string")
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("invalid string: %w", err)
	}
	return s, nil
}

// strOr decodes raw as a string, or returns "" when it is not a valid string.
func (sc *jsonScanner) strOr(raw []byte) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	s, err := sc.str(raw)
	if err != nil {
		return ""
	}
	return s
}

// keyIs reports whether frame i's current key equals k.
func (sc *jsonScanner) keyIs(i int, k string) bool {
	return i >= 0 && i < len(sc.stack) && string(sc.stack[i].key) == k
}

func quoteByte(c byte) string {
	return strconv.QuoteRune(rune(c))
}

// truncQuote quotes s for an error message, cut to a readable length.
func truncQuote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}
