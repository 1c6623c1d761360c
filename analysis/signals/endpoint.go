package signals

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Endpoint kinds, as shown in messages.
const (
	kindHost  = "host"
	kindIP    = "IP address"
	kindEmail = "e-mail address"
)

// endpoint is a network destination found in a piece of text.
type endpoint struct {
	kind  string // kindHost, kindIP or kindEmail
	value string // normalised: lower-case host name, canonical IP address, lower-case e-mail address
	url   string // the URL the host was found in, if any (as written, possibly long)
	off   int    // byte offset of the endpoint (or its URL) in the text
}

// key is what makes two endpoints "the same" across files and versions.
func (e endpoint) key() string { return e.kind + ":" + e.value }

// display describes the endpoint for a message.
func (e endpoint) display() string {
	s := e.kind + " " + e.value
	if e.url != "" && e.url != e.value {
		s += " (in URL " + quoteValue(e.url, 100) + ")"
	}
	return s
}

// findEndpoints reports the URL hosts, e-mail addresses, IP literals and bare host names in s. s is split
// into words at white space, quotes, brackets and a few separators; each word is matched with small
// anchored checks (a URL's scheme://authority, local@domain, a dotted quad, an IPv6 literal, a host
// name ending in a well-known top-level domain). Loopback, unspecified, documentation and example
// addresses are not endpoints. The work is linear in len(s).
//
// With quotedHosts set (plain text: JSON, shell, Python), a bare host name counts only right after a
// quote character, where it is a string value rather than, say, attribute access in code.
func findEndpoints(s string, quotedHosts bool, emit func(endpoint)) {
	for i := 0; i < len(s); {
		for i < len(s) {
			n, d := delimAt(s, i)
			if !d {
				break
			}
			i += n
		}
		j := i
		for j < len(s) {
			n, d := delimAt(s, j)
			if d {
				break
			}
			j += n
		}
		if j > i {
			bare := !quotedHosts || (i > 0 && (s[i-1] == '"' || s[i-1] == '\'' || s[i-1] == '`'))
			classifyWord(s[i:j], i, bare, emit)
		}
		i = j
	}
}

// delimAt reports the size of the character at s[i] and whether it separates words.
func delimAt(s string, i int) (int, bool) {
	c := s[i]
	if c < utf8.RuneSelf {
		switch c {
		case ' ', '\t', '\n', '\r', '\f', '\v', '"', '\'', '`', '<', '>', '(', ')', '[', ']', '{', '}',
			',', ';', '|', '\\', '^', '*', '$':
			return 1, true
		}
		return 1, c < 0x20 || c == 0x7f
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return n, r == utf8.RuneError || unicode.IsSpace(r) || r == 0x2028 || r == 0x2029
}

// classifyWord finds the endpoints in one word that starts at offset off.
// Bare host names are reported only when bare is set.
func classifyWord(w string, off int, bare bool, emit func(endpoint)) {
	switch {
	case strings.Contains(w, "://"):
		findURLHosts(w, off, emit)
	case strings.IndexByte(w, '=') >= 0: // key=value: each side on its own
		for k := 0; k <= len(w); {
			e := strings.IndexByte(w[k:], '=')
			if e < 0 {
				e = len(w) - k
			}
			if e > 0 {
				classifyWord(w[k:k+e], off+k, bare, emit)
			}
			k += e + 1
		}
	case strings.IndexByte(w, '@') >= 0:
		findEmail(w, off, emit)
	default:
		findBareHost(w, off, bare, emit)
	}
}

// findURLHosts reports the host of every scheme://authority in w.
func findURLHosts(w string, off int, emit func(endpoint)) {
	for k := 0; k < len(w); {
		idx := strings.Index(w[k:], "://")
		if idx < 0 {
			return
		}
		idx += k
		j := idx
		for j > k && isSchemeChar(w[j-1]) {
			j--
		}
		for j < idx && !isASCIILetter(w[j]) {
			j++
		}
		rest := w[idx+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		auth := rest[:end]
		k = idx + 3 + end
		scheme := strings.ToLower(w[j:idx])
		if scheme == "" || scheme == "file" {
			continue
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			auth = auth[at+1:]
		}
		var host string
		if strings.HasPrefix(auth, "[") {
			c := strings.IndexByte(auth, ']')
			if c < 0 {
				continue
			}
			host = auth[1:c]
		} else if c := strings.IndexByte(auth, ':'); c >= 0 {
			host = auth[:c]
		} else {
			host = auth
		}
		if e, ok := hostEndpoint(host); ok {
			e.url, e.off = w[j:], off+j
			emit(e)
		}
	}
}

// findEmail reports w as an e-mail address when it is one (optionally "mailto:" and surrounding
// punctuation).
func findEmail(w string, off int, emit func(endpoint)) {
	t, o := trimPunct(w)
	if len(t) > 7 && strings.EqualFold(t[:7], "mailto:") {
		t, o = t[7:], o+7
	}
	if q := strings.IndexByte(t, '?'); q >= 0 {
		t = t[:q]
	}
	t, o2 := trimPunct(t)
	o += o2
	at := strings.IndexByte(t, '@')
	if at <= 0 || at > 64 || strings.LastIndexByte(t, '@') != at || len(t) > 320 {
		return
	}
	local, domain := t[:at], t[at+1:]
	if !validLocalPart(local) {
		return
	}
	h, ok := hostName(domain)
	if !ok || !isAlphaTLD(h) || benignHost(h) {
		return
	}
	emit(endpoint{kind: kindEmail, value: strings.ToLower(local) + "@" + h, off: off + o})
}

// findBareHost reports w when it is an IP literal (optionally with a port) or a lower-case host name
// ending in a well-known top-level domain (optionally with a port or a path).
func findBareHost(w string, off int, bare bool, emit func(endpoint)) {
	t, o := trimPunct(w)
	if len(t) == 0 || len(t) > 300 {
		return
	}
	if s := strings.IndexByte(t, '/'); s >= 0 {
		t = t[:s]
	}
	switch {
	case strings.HasPrefix(t, "["):
		c := strings.IndexByte(t, ']')
		if c < 0 {
			return
		}
		if e, ok := ipEndpoint(t[1:c]); ok {
			e.off = off + o
			emit(e)
		}
		return
	case strings.Count(t, ":") >= 2:
		if strings.IndexAny(t, "0123456789") < 0 {
			return
		}
		if e, ok := ipEndpoint(t); ok {
			e.off = off + o
			emit(e)
		}
		return
	}
	if c := strings.IndexByte(t, ':'); c >= 0 {
		if !isPort(t[c+1:]) {
			return
		}
		t = t[:c]
	}
	if e, ok := ipEndpoint(t); ok {
		e.off = off + o
		emit(e)
		return
	}
	if !bare || t != strings.ToLower(t) || strings.IndexByte(t, '_') >= 0 {
		return
	}
	h, ok := hostName(t)
	if !ok || !knownTLD(h[strings.LastIndexByte(h, '.')+1:]) || benignHost(h) {
		return
	}
	emit(endpoint{kind: kindHost, value: h, off: off + o})
}

// hostEndpoint classifies the host part of a URL.
func hostEndpoint(host string) (endpoint, bool) {
	if host == "" {
		return endpoint{}, false
	}
	if e, ok := ipEndpoint(host); ok {
		return e, true
	}
	h, ok := hostName(host)
	if !ok || benignHost(h) {
		return endpoint{}, false
	}
	return endpoint{kind: kindHost, value: h}, true
}

// ipEndpoint parses an IPv4 or IPv6 literal; loopback, unspecified, multicast, link-local, broadcast
// and documentation addresses are not endpoints.
func ipEndpoint(s string) (endpoint, bool) {
	if len(s) > 64 || len(s) < 2 {
		return endpoint{}, false
	}
	if z := strings.IndexByte(s, '%'); z >= 0 {
		s = s[:z]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return endpoint{}, false
	}
	if a.Is4() && strings.Count(s, ".") != 3 {
		return endpoint{}, false
	}
	a = a.Unmap()
	if a.IsLoopback() || a.IsUnspecified() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsInterfaceLocalMulticast() ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || documentationAddr(a) {
		return endpoint{}, false
	}
	return endpoint{kind: kindIP, value: a.String()}, true
}

// documentationAddr reports the address ranges reserved for documentation (RFC 5737, RFC 3849).
func documentationAddr(a netip.Addr) bool {
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

// hostName validates and lower-cases a DNS name of at least two labels (one trailing dot allowed) whose
// last label starts with a letter. Bare names are further restricted to well-known TLDs by the caller.
func hostName(s string) (string, bool) {
	s = strings.TrimSuffix(s, ".")
	if len(s) < 3 || len(s) > 253 {
		return "", false
	}
	s = strings.ToLower(s)
	labels := 0
	for _, l := range strings.Split(s, ".") {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
		labels++
	}
	tld := s[strings.LastIndexByte(s, '.')+1:]
	if labels < 2 || !isASCIILetter(tld[0]) {
		return "", false
	}
	return s, true
}

// isAlphaTLD reports whether the last label of h is at least two letters (or an IDN "xn--" label).
func isAlphaTLD(h string) bool {
	tld := h[strings.LastIndexByte(h, '.')+1:]
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isASCIILetter(tld[i]) {
			return false
		}
	}
	return true
}

// benignHost reports names that cannot be a remote destination: localhost and the reserved example
// and test domains (RFC 2606, RFC 6761), and mDNS .local names.
func benignHost(h string) bool {
	if h == "localhost" {
		return true
	}
	for _, d := range []string{"example.com", "example.net", "example.org"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	switch h[strings.LastIndexByte(h, '.')+1:] {
	case "localhost", "example", "test", "invalid", "local":
		return true
	}
	return false
}

// knownTLD lists the top-level domains a bare (scheme-less) host name must end in to be reported. It
// leaves out TLDs that are common file extensions or property names in code (md, sh, py, rs, pl, so,
// ml, ps, mk, cc, am, ac, in, id, es, br, app, name, top, info, email, host, link, run, store, ws, zip,
// mov…), which would make "readme.md", "this.app" or "logger.info" an endpoint. URL hosts and e-mail domains are not restricted.
func knownTLD(t string) bool {
	switch t {
	case "com", "net", "org", "edu", "gov", "mil", "int", "io", "dev", "co", "ai", "club", "xyz", "biz",
		"online", "site", "shop", "tech", "cloud", "pro", "icu", "me", "tv", "ru", "su", "cn", "uk", "de",
		"fr", "jp", "kr", "nl", "eu", "us", "ca", "au", "ch", "se", "it", "pw", "tk", "gq", "cf", "ga",
		"vip", "bid", "loan", "click", "fun", "space", "website", "gg", "cx", "ly", "onion":
		return true
	}
	return false
}

// validLocalPart checks the local part of an e-mail address (a conservative subset of RFC 5322).
func validLocalPart(l string) bool {
	if l == "" || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(isASCIILetter(c) || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0) {
			return false
		}
	}
	return true
}

// isPort reports a decimal port number.
func isPort(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimPunct strips sentence punctuation around a word and returns it with the bytes cut at the front.
func trimPunct(w string) (string, int) {
	o := 0
	for len(w) > 0 && strings.IndexByte(".,:;!?", w[0]) >= 0 && !strings.HasPrefix(w, "::") {
		w, o = w[1:], o+1
	}
	for len(w) > 0 && strings.IndexByte(".,:;!?", w[len(w)-1]) >= 0 && !strings.HasSuffix(w, "::") {
		w = w[:len(w)-1]
	}
	return w, o
}

func isSchemeChar(c byte) bool {
	return isASCIILetter(c) || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
