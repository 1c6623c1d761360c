package signals

import (
	"bytes"
	"strings"

	"github.com/tdewolff/parse/v2/js"
)

// obs is one thing a scanner observed in a file: a value of some rule at some place.
type obs struct {
	rule    string
	key     string // identity of the value for newness and grouping (without the rule)
	display string // what the message says is new
	perFile bool   // newness is judged against the same path of the previous version only
	off     int    // byte offset in the file
}

// winSize is how many significant tokens the JS scanner looks back over.
const winSize = 8

// maxTagLen bounds the callee names and object keys remembered as context; longer ones are not names
// any check looks for.
const maxTagLen = 64

// sig is one significant (not white space or comment) token.
type sig struct {
	tt     js.TokenType
	text   []byte
	off    int    // byte offset of the token in the file
	lit    bool   // a complete string literal or a template literal without substitutions
	part   bool   // a template part next to a substitution, or an unterminated literal
	val    string // decoded value, for lit and part
	folded string // for lit: the value of the chain of literals joined with + that ends here
}

func (s sig) isName(name string) bool { return js.IsIdentifierName(s.tt) && string(s.text) == name }

func (s sig) isDot() bool { return s.tt == js.DotToken || s.tt == js.OptChainToken }

// frame is one open bracket and what it belongs to.
type frame struct {
	open    byte   // '(', '[', '{' or '`' (a template substitution)
	tag     string // for '(': the callee ("fetch", "JSON.stringify"); for '{': the key it is the value of
	control bool   // '(' of if/while/for/with: a '/' after its ')' starts a regular expression
	dynCode bool   // '(' of eval or Function: its argument becomes code
}

// pending tracks a require( or import( call until its argument is known to be literal or computed.
type pending struct {
	state int // 0 none, 1 after '(', 2 after a literal argument
	what  string
	off   int
	spec  string
}

// jsScanner reads one JS/TS file with tdewolff's lexer and reports capabilities, endpoints and
// obfuscation shapes in its string literals, template parts and identifiers.
type jsScanner struct {
	emit  func(obs)
	creds []credNeedle
	win   [winSize]sig
	nwin  int
	stack []frame
	// deep counts open brackets beyond MaxNesting: they are matched by closers before the stack is.
	deep             int
	lastParenControl bool
	pend             pending
}

// makeSig decodes literal tokens.
func (s *jsScanner) makeSig(tt js.TokenType, text []byte, off int) sig {
	g := sig{tt: tt, text: text, off: off}
	n := len(text)
	switch tt {
	case js.StringToken, js.TemplateToken:
		if n >= 2 {
			g.lit, g.val = true, decodeJS(text[1:n-1])
		}
	case js.TemplateStartToken, js.TemplateMiddleToken:
		if n >= 3 {
			g.part, g.val = true, decodeJS(text[1:n-2])
		}
	case js.TemplateEndToken:
		if n >= 2 {
			g.part, g.val = true, decodeJS(text[1:n-1])
		}
	case js.ErrorToken:
		// An unterminated string or template: its text still carries values.
		if n >= 1 && (text[0] == '\'' || text[0] == '"' || text[0] == '`' || text[0] == '}') {
			g.part, g.val = true, decodeJS(text[1:])
		}
	}
	return g
}

// w returns the i-th most recent significant token (0 = the current one), or a zero sig.
func (s *jsScanner) w(i int) sig {
	if i < s.nwin {
		return s.win[i]
	}
	return sig{tt: js.ErrorToken}
}

// step processes one significant token.
func (s *jsScanner) step(cur sig) {
	if cur.lit {
		cur.folded = cur.val
		if p1, p2 := s.w(0), s.w(1); p1.tt == js.AddToken && p2.lit && len(p2.folded)+len(cur.val) <= MaxFoldedString {
			cur.folded = p2.folded + cur.val
		}
	}
	copy(s.win[1:], s.win[:winSize-1])
	s.win[0] = cur
	if s.nwin < winSize {
		s.nwin++
	}
	s.checkPending(cur)
	s.checkCalls(cur)
	s.checkEnv(cur)
	if cur.lit || cur.part {
		s.literal(cur)
	}
	if cur.tt == js.IdentifierToken && isHexIdent(cur.text) {
		s.emit(obs{rule: RuleObfuscation, key: "_0x", perFile: true, off: cur.off,
			display: "_0x-style identifiers (such as " + quoteValue(string(cur.text), 40) + ")"})
	}
	s.brackets(cur)
}

// regexAllowed decides whether a '/' starts a regular expression, from the token before it.
func (s *jsScanner) regexAllowed() bool {
	if s.nwin == 0 {
		return true
	}
	p := s.w(0)
	switch {
	case p.tt == js.CloseParenToken:
		return s.lastParenControl
	case p.tt == js.CloseBracketToken:
		return false
	case p.tt == js.CloseBraceToken:
		return true
	case p.tt == js.IncrToken || p.tt == js.DecrToken:
		return false
	case js.IsPunctuator(p.tt) || js.IsOperator(p.tt):
		return true
	case p.tt == js.TemplateStartToken || p.tt == js.TemplateMiddleToken:
		return true
	case js.IsIdentifierName(p.tt):
		switch string(p.text) {
		case "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do",
			"else", "yield", "await", "extends":
			return true
		}
	}
	return false
}

// bareRef reports whether token i is a reference to the global name: not a property of something else
// (globalThis.x, window.x, global.x and self.x count as the global) and not a declaration.
func (s *jsScanner) bareRef(i int, name string) bool {
	if !s.w(i).isName(name) {
		return false
	}
	p := s.w(i + 1)
	if p.isDot() {
		o := s.w(i + 2)
		return o.isName("globalThis") || o.isName("window") || o.isName("global") || o.isName("self")
	}
	if js.IsIdentifierName(p.tt) {
		switch string(p.text) {
		case "function", "class", "let", "const", "var", "async", "get", "set", "static", "interface", "declare":
			return false
		}
	}
	return true
}

// callee names the call whose '(' is the current token: "fetch", "JSON.stringify", "if".
func (s *jsScanner) callee() string {
	n := s.w(1)
	if !js.IsIdentifierName(n.tt) || len(n.text) > maxTagLen {
		return ""
	}
	if s.w(2).isDot() {
		if o := s.w(3); js.IsIdentifierName(o.tt) && len(o.text) <= maxTagLen {
			return string(o.text) + "." + string(n.text)
		}
	}
	return string(n.text)
}

// checkPending finishes a require(…)/import(…) whose '(' was seen.
func (s *jsScanner) checkPending(cur sig) {
	p := &s.pend
	switch p.state {
	case 1:
		switch {
		case cur.lit:
			p.state, p.spec = 2, cur.val
			return
		case cur.tt == js.CloseParenToken:
		default:
			s.capability(p.off, "computed-"+p.what, "computed "+p.what+" with a non-literal argument")
		}
	case 2:
		if cur.tt == js.CloseParenToken || cur.tt == js.CommaToken {
			s.module(p.spec, p.off)
		} else {
			s.capability(p.off, "computed-"+p.what, "computed "+p.what+" with a non-literal argument")
		}
	}
	*p = pending{}
}

// checkCalls looks at calls and references that the current token completes.
func (s *jsScanner) checkCalls(cur sig) {
	w1 := s.w(1)
	if s.bareRef(1, "eval") && cur.tt != js.ColonToken && cur.tt != js.EqToken {
		s.capability(w1.off, "eval", "eval")
	}
	if cur.lit && (s.w(1).tt == js.FromToken || s.w(1).tt == js.ImportToken) {
		s.module(cur.val, cur.off)
	}
	if cur.tt != js.OpenParenToken {
		return
	}
	switch {
	case s.bareRef(1, "fetch"):
		s.capability(w1.off, "fetch", "fetch() call")
	case s.bareRef(1, "Function"):
		s.capability(w1.off, "Function", "new Function (code built from a string)")
	case w1.isName("require") && !s.w(2).isName("function") && (!s.w(2).isDot() || s.w(3).isName("module")):
		s.pend = pending{state: 1, what: "require()", off: w1.off}
	case w1.tt == js.ImportToken && !s.w(2).isDot():
		s.pend = pending{state: 1, what: "import()", off: w1.off}
	case (w1.isName("binding") || w1.isName("dlopen")) && s.w(2).isDot() && s.w(3).isName("process"):
		s.capability(s.w(3).off, "process."+string(w1.text), "native code loading with process."+string(w1.text)+"()")
	}
	switch s.callee() {
	case "atob", "unescape", "Buffer.from", "String.fromCharCode", "decodeURIComponent":
		if n := len(s.stack); n > 0 && s.stack[n-1].dynCode {
			s.emit(obs{rule: RuleObfuscation, key: "eval-decoded", perFile: true, off: w1.off,
				display: "code built from decoded data (eval/Function of " + s.callee() + "(…))"})
		}
	}
}

// checkEnv reports process.env used as a whole object where it is enumerated or serialised.
func (s *jsScanner) checkEnv(cur sig) {
	if !s.w(1).isName("env") || !s.w(2).isDot() || !s.w(3).isName("process") {
		return
	}
	switch cur.tt {
	case js.DotToken, js.OptChainToken, js.OpenBracketToken, js.EqToken, js.OpenParenToken:
		return // process.env.X, process.env[x], assignment
	}
	at := s.w(3).off
	before := s.w(4)
	if before.isDot() {
		before = s.w(6) // globalThis.process.env
	}
	var top frame
	if n := len(s.stack); n > 0 && s.deep == 0 {
		top = s.stack[n-1]
	}
	switch {
	case before.tt == js.InToken && top.open == '(' && top.tag == "for":
		s.capability(at, "env-enumeration", "enumeration of process.env")
	case (before.tt == js.OpenParenToken || before.tt == js.CommaToken) && top.open == '(' && isEnumerator(top.tag):
		s.capability(at, "env-enumeration", "enumeration of process.env")
	case s.requestContext():
		s.capability(at, "env-serialisation", "serialisation of process.env (into "+s.requestContextName()+")")
	}
}

// isEnumerator names calls that list an object's keys or values.
func isEnumerator(tag string) bool {
	switch tag {
	case "Object.keys", "Object.entries", "Object.values", "Object.getOwnPropertyNames", "Reflect.ownKeys":
		return true
	}
	return false
}

// maxContextFrames is how many enclosing brackets are searched for a request context.
const maxContextFrames = 32

// requestContext reports whether the current token sits inside something sent or serialised: a call
// of JSON.stringify, fetch, or a post/put/patch/send/write/request/end method, or an object that is the
// value of a body/data/json/payload/form/query/params/qs key.
func (s *jsScanner) requestContext() bool { return s.requestContextName() != "" }

func (s *jsScanner) requestContextName() string {
	if s.deep > 0 {
		return ""
	}
	for i, n := len(s.stack)-1, 0; i >= 0 && n < maxContextFrames; i, n = i-1, n+1 {
		f := s.stack[i]
		switch f.open {
		case '(':
			last := f.tag[strings.LastIndexByte(f.tag, '.')+1:]
			switch {
			case f.tag == "JSON.stringify", last == "fetch":
				return f.tag + "(…)"
			case last != f.tag && (last == "post" || last == "put" || last == "patch" || last == "send" ||
				last == "write" || last == "request" || last == "end"):
				return f.tag + "(…)"
			}
		case '{':
			switch f.tag {
			case "body", "data", "json", "payload", "form", "query", "params", "qs":
				return "a " + f.tag + " object"
			}
		}
	}
	return ""
}

// brackets maintains the stack of open brackets.
func (s *jsScanner) brackets(cur sig) {
	switch cur.tt {
	case js.OpenParenToken:
		callee := s.callee()
		f := frame{open: '(', tag: callee}
		if !s.w(2).isDot() {
			switch callee {
			case "if", "while", "for", "with":
				f.control = true
			}
		}
		f.dynCode = s.bareRef(1, "eval") || s.bareRef(1, "Function")
		s.push(f)
	case js.OpenBracketToken:
		s.push(frame{open: '['})
	case js.OpenBraceToken:
		f := frame{open: '{'}
		if s.w(1).tt == js.ColonToken {
			if k := s.w(2); k.lit && len(k.val) <= maxTagLen {
				f.tag = k.val
			} else if js.IsIdentifierName(k.tt) && len(k.text) <= maxTagLen {
				f.tag = string(k.text)
			}
		}
		s.push(f)
	case js.TemplateStartToken:
		s.push(frame{open: '`'})
	case js.CloseParenToken:
		s.lastParenControl = s.pop().control
	case js.CloseBracketToken, js.CloseBraceToken, js.TemplateEndToken:
		s.pop()
	}
}

func (s *jsScanner) push(f frame) {
	if len(s.stack) >= MaxNesting {
		s.deep++
		return
	}
	s.stack = append(s.stack, f)
}

func (s *jsScanner) pop() frame {
	if s.deep > 0 {
		s.deep--
		return frame{}
	}
	if n := len(s.stack); n > 0 {
		f := s.stack[n-1]
		s.stack = s.stack[:n-1]
		return f
	}
	return frame{}
}

// literal inspects the value of a string literal or template part.
func (s *jsScanner) literal(cur sig) {
	// Offsets inside a literal without escapes map 1:1 onto the file (after the opening delimiter).
	exact := bytes.IndexByte(cur.text, '\\') < 0
	at := func(i int) int {
		if exact && i >= 0 {
			return cur.off + 1 + i
		}
		return cur.off
	}
	// A module specifier ('socket.io') names a package, not a destination, unless it is a URL.
	specifier := s.pend.state == 2 || (cur.lit && (s.w(1).tt == js.FromToken || s.w(1).tt == js.ImportToken))
	if !specifier || strings.Contains(cur.val, "://") {
		findEndpoints(cur.val, false, func(e endpoint) {
			s.emit(obs{rule: RuleNewEndpoint, key: e.key(), display: e.display(), off: at(e.off)})
		})
	}
	if cur.lit && cur.folded != cur.val {
		findEndpoints(cur.folded, false, func(e endpoint) {
			s.emit(obs{rule: RuleNewEndpoint, key: e.key(), display: e.display(), off: cur.off})
		})
	}
	for _, v := range []string{cur.val, cur.folded} {
		if strings.HasPrefix(v, "node:") || v == "child_process" || v == "worker_threads" {
			s.module(v, cur.off)
		}
	}
	for _, c := range s.creds {
		if i := c.find(cur.val); i >= 0 {
			s.capability(at(i), "cred:"+c.needle, "credential path "+c.needle)
		}
	}
	if kind := encodedLiteral(cur.val, cur.text); kind != "" {
		s.emit(obs{rule: RuleObfuscation, key: "literal:" + keyHash(cur.val), off: cur.off,
			display: kind + " string literal of " + itoa(len(cur.val)) + " characters"})
	}
}

// module reports a module specifier that names a capability module (node: prefix and subpaths such as
// dns/promises included).
func (s *jsScanner) module(spec string, off int) {
	spec = strings.TrimPrefix(spec, "node:")
	base := spec
	if i := strings.IndexByte(base, '/'); i >= 0 {
		base = base[:i]
	}
	if isCapabilityModule(base) {
		s.capability(off, "module:"+base, "module "+base)
	}
}

// isCapabilityModule names the Node.js core modules that start processes, open connections or run code.
func isCapabilityModule(m string) bool {
	switch m {
	case "child_process", "net", "http", "https", "http2", "dns", "tls", "dgram", "worker_threads", "vm":
		return true
	}
	return false
}

func (s *jsScanner) capability(off int, key, display string) {
	s.emit(obs{rule: RuleNewCapability, key: key, display: display, off: off})
}

// isHexIdent matches _0x[0-9a-fA-F]+, the identifiers javascript-obfuscator generates.
func isHexIdent(b []byte) bool {
	if len(b) < 4 || b[0] != '_' || b[1] != '0' || b[2] != 'x' {
		return false
	}
	for _, c := range b[3:] {
		if _, ok := hexDigit(c); !ok {
			return false
		}
	}
	return true
}
