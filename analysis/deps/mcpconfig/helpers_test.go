package mcpconfig

import (
	"fmt"
	"strings"
)

// summary renders a server on one line for table-driven assertions:
//
//	name@line transport [disabled] [cmd=command@line] [url=URL@line] | package; package… ! problem; problem…
//
// and a package as "ecosystem name version pinned|unpinned @line runner", or "unresolvable(why) @line".
func summary(s Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%d %s", s.Name, s.Line, orDash(s.Transport))
	if s.Disabled {
		b.WriteString(" disabled")
	}
	if s.Command != "" || s.CommandLine != 0 {
		fmt.Fprintf(&b, " cmd=%s@%d", s.Command, s.CommandLine)
	}
	if s.URL != "" {
		fmt.Fprintf(&b, " url=%s@%d", s.URL, s.URLLine)
	}
	var ps []string
	for _, p := range s.Packages {
		ps = append(ps, pkgSummary(p))
	}
	if len(ps) > 0 {
		b.WriteString(" | " + strings.Join(ps, "; "))
	}
	if len(s.Problems) > 0 {
		b.WriteString(" ! " + strings.Join(s.Problems, "; "))
	}
	return b.String()
}

func pkgSummary(p Package) string {
	if p.Unresolvable != "" {
		return fmt.Sprintf("unresolvable(%s) @%d %s", p.Unresolvable, p.Line, orDash(p.Runner))
	}
	pin := "unpinned"
	if p.Pinned {
		pin = "pinned"
	}
	return fmt.Sprintf("%s %s %s %s @%d %s", p.Ecosystem, p.Name, orDash(p.Version), pin, p.Line, orDash(p.Runner))
}

// launchSummary renders ParseLaunch's packages without lines: "ecosystem name version pinned|unpinned
// #argIndex runner" or "unresolvable(why) #argIndex".
func launchSummary(ps []Package) []string {
	var out []string
	for _, p := range ps {
		if p.Unresolvable != "" {
			out = append(out, fmt.Sprintf("unresolvable(%s) #%d", p.Unresolvable, p.ArgIndex))
			continue
		}
		pin := "unpinned"
		if p.Pinned {
			pin = "pinned"
		}
		out = append(out, fmt.Sprintf("%s %s %s %s #%d %s", p.Ecosystem, p.Name, orDash(p.Version), pin, p.ArgIndex, p.Runner))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
