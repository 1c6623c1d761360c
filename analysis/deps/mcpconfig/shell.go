package mcpconfig

import (
	"errors"
	"strings"
)

// shellMode selects the quoting rules of the shell a script is written for.
type shellMode int

const (
	modePOSIX shellMode = iota // sh, bash, zsh, …: '…' literal, "…" with \ escapes, \ escapes outside quotes
	modeCmd                    // cmd.exe: "…" only, ^ escapes
	modePwsh                   // PowerShell: '…' literal, "…", ` escapes
)

var errUnbalancedQuote = errors.New("unbalanced quote or substitution")

// splitScript splits a command line into simple commands (separated by ;, &&, ||, |, &, newlines and
// parentheses) of words, removing quotes and redirections. It does not expand anything: $VAR and $(…)
// stay in the words, where placeholder detection finds them. It is linear in len(s).
func splitScript(s string, mode shellMode) ([][]string, error) {
	var (
		cmds     [][]string
		cur      []string
		word     strings.Builder
		inWord   bool
		skipNext bool // the next word is a redirection target
	)
	endWord := func() {
		if !inWord {
			return
		}
		if skipNext {
			skipNext = false
		} else {
			cur = append(cur, word.String())
		}
		word.Reset()
		inWord = false
	}
	endCmd := func() {
		endWord()
		if len(cur) > 0 {
			cmds = append(cmds, cur)
		}
		cur = nil
	}
	escape := byte('\\')
	switch mode {
	case modeCmd:
		escape = '^'
	case modePwsh:
		escape = '`'
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == escape:
			if i+1 < len(s) {
				i++
				if s[i] == '\n' { // line continuation
					continue
				}
				word.WriteByte(s[i])
				inWord = true
			}
		case c == '\'' && mode != modeCmd:
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnbalancedQuote
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if mode == modePOSIX && s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				} else if mode == modePwsh && s[i] == '`' && i+1 < len(s) {
					i++
				}
				word.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errUnbalancedQuote
			}
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')':
			endCmd()
		case c == '>' || c == '<':
			if inWord && !isDigits(word.String()) {
				endWord()
			}
			word.Reset()
			inWord = false
			for i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '&') {
				i++
			}
			if i+1 < len(s) && s[i] == '&' && s[i+1] >= '0' && s[i+1] <= '9' { // 2>&1
				for i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
					i++
				}
				continue
			}
			skipNext = true
		case c == '$' && i+1 < len(s) && s[i+1] == '(' && mode != modeCmd:
			// $(…) stays in the word, whole, for placeholder detection to find.
			depth, j := 0, i+1
			for ; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(s) {
				return nil, errUnbalancedQuote
			}
			word.WriteString(s[i : j+1])
			inWord = true
			i = j
		case c == '`' && mode == modePOSIX:
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return nil, errUnbalancedQuote
			}
			word.WriteString(s[i : i+j+2])
			inWord = true
			i += j + 1
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isAssignment reports whether a word is a NAME=value environment assignment.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || isLetter(c) || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
