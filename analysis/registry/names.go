package registry

import (
	"errors"
	"fmt"
	"strings"
)

// MaxNameLength is the longest npm package name accepted (npm's own limit, scope included).
const MaxNameLength = 214

// ErrInvalidName reports a package name that is not a valid npm name, or that could change the path of
// a registry URL built from it.
var ErrInvalidName = errors.New("invalid npm package name")

// ValidateName reports whether name is a valid npm package name that is safe to put in a registry URL:
// at most MaxNameLength bytes, either "name" or "@scope/name", each part made only of the characters
// encodeURIComponent leaves alone (letters, digits, - _ . ! ~ * ' ( )), no part starting with ".", and an
// unscoped name not starting with "_". Upper-case letters are accepted, as legacy npm names have them.
func ValidateName(name string) error {
	bad := func(reason string) error {
		return fmt.Errorf("%w %s: %s", ErrInvalidName, quoteBounded(name), reason)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxNameLength:
		return bad(fmt.Sprintf("longer than %d bytes", MaxNameLength))
	}
	parts := []string{name}
	if scope, rest, ok := strings.Cut(name, "/"); ok || strings.HasPrefix(name, "@") {
		if !strings.HasPrefix(name, "@") {
			return bad(`"/" in an unscoped name`)
		}
		if !ok {
			return bad("scope without a package name")
		}
		parts = []string{scope[1:], rest}
	} else if strings.HasPrefix(name, "_") {
		return bad(`starts with "_"`)
	}
	for _, p := range parts {
		if p == "" {
			return bad("empty scope or name")
		}
		if p[0] == '.' {
			return bad(`a part starts with "."`)
		}
		for i := 0; i < len(p); i++ {
			if !nameByteOK(p[i]) {
				return bad(fmt.Sprintf("character %q not allowed", p[i]))
			}
		}
	}
	return nil
}

// nameByteOK reports whether c is left unchanged by JavaScript's encodeURIComponent.
func nameByteOK(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'()", c) >= 0
}

// escapeName returns the registry path segment for a validated name: "@scope/name" becomes
// "@scope%2fname" (lower-case, as npm sends it).
func escapeName(name string) string {
	return strings.Replace(name, "/", "%2f", 1)
}

// scopeOf returns "@scope" for "@scope/name" and "" for an unscoped name.
func scopeOf(name string) string {
	if scope, _, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(scope, "@") {
		return scope
	}
	return ""
}

// maxQuotedLength bounds how much of a hostile string is quoted into an error message.
const maxQuotedLength = 120

// quoteBounded quotes s for an error message, truncated to maxQuotedLength bytes.
func quoteBounded(s string) string {
	if len(s) > maxQuotedLength {
		return fmt.Sprintf("%q…", s[:maxQuotedLength])
	}
	return fmt.Sprintf("%q", s)
}
