package lockfile

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
)

// pyReq is one parsed requirement (a PEP 508 string or a requirements-file line).
type pyReq struct {
	name     string
	spec     string // the version specifier as written, spaces removed ("" for URLs)
	version  string // the exact version of "==x" / "===x", else spec
	match    string // the version scalibr's requirements extractor reports for the same line
	source   string
	resolved string
}

var (
	pyNameRE   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)
	pyOptionRE = regexp.MustCompile(`(?:^|\s)--?[A-Za-z]`)
	pyEggRE    = regexp.MustCompile(`[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)`)
)

// parsePEP508 parses "name[extras] (specifier) ; markers" or "name @ url ; markers".
func parsePEP508(s string) (pyReq, bool) {
	s = strings.TrimSpace(s)
	name := pyNameRE.FindString(s)
	if name == "" {
		return pyReq{}, false
	}
	rest := strings.TrimSpace(s[len(name):])
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return pyReq{}, false
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if strings.HasPrefix(rest, "@") {
		u := strings.TrimSpace(rest[1:])
		// A URL requirement's markers follow "; " (a bare ';' may be part of the URL).
		if i := strings.Index(u, " ;"); i >= 0 {
			u = strings.TrimSpace(u[:i])
		}
		if f := strings.Fields(u); len(f) > 0 {
			u = f[0]
		}
		return pyReq{name: name, source: pyURLSource(u), resolved: u}, true
	}
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		rest = rest[:i]
	}
	spec := strings.Join(strings.Fields(rest), "")
	spec = strings.TrimSuffix(strings.TrimPrefix(spec, "("), ")")
	if spec != "" && !strings.ContainsAny(spec[:1], "=<>~!") {
		return pyReq{}, false // junk after the name
	}
	r := pyReq{name: name, spec: spec, version: spec, source: SourceRegistry, match: scalibrLowest(spec)}
	if v, ok := strings.CutPrefix(spec, "==="); ok && !strings.ContainsAny(v, ",*") {
		r.version = v
	} else if v, ok := strings.CutPrefix(spec, "=="); ok && !strings.ContainsAny(v, ",*") {
		r.version = v
	}
	return r, true
}

// scalibrLowest mirrors what scalibr's requirements extractor reports as the version of a
// specifier: nothing for wildcards, exclusions, '<' and multi-clause specifiers; otherwise the
// text after the first of ===, ==, >=, <=, ~=.
func scalibrLowest(spec string) string {
	if strings.ContainsAny(spec, "*,") || strings.Contains(spec, "!=") {
		return ""
	}
	if i := strings.IndexByte(spec, '<'); i >= 0 && !strings.HasPrefix(spec[i:], "<=") {
		return ""
	}
	for _, sep := range []string{"===", "==", ">=", "<=", "~="} {
		if _, v, ok := strings.Cut(spec, sep); ok {
			return v
		}
	}
	return ""
}

// pyURLSource classifies a requirement's URL or path.
func pyURLSource(u string) string {
	lower := strings.ToLower(u)
	switch {
	case strings.HasPrefix(lower, "git+"), strings.HasPrefix(lower, "git://"):
		return SourceGit
	case strings.HasPrefix(lower, "hg+"), strings.HasPrefix(lower, "svn+"), strings.HasPrefix(lower, "bzr+"):
		return SourceOther
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return SourceTarball
	}
	return SourceFile
}

// reqLine is one logical line of a requirements file.
type reqLine struct {
	first, last int // physical lines
	text        string
}

// eachRequirementLine calls fn with each logical line of a requirements file, continuation
// lines joined and comments stripped. It fails when more than MaxLineContinuations physical
// lines are joined into one.
func eachRequirementLine(data []byte, fn func(reqLine)) (int, error) {
	var cur strings.Builder
	first, joined, errLine := 0, 0, 0
	var err error
	forEachLine(data, func(lineNo int, line []byte) {
		if err != nil {
			return
		}
		if first == 0 {
			first = lineNo
		}
		s := string(line) // one allocation per line; the text outlives the line
		// A comment starts at '#' at the start of a line or after whitespace.
		if i := strings.IndexByte(s, '#'); i >= 0 {
			for j := i; j >= 0 && j < len(s); {
				if j == 0 || s[j-1] == ' ' || s[j-1] == '\t' {
					s = s[:j]
					break
				}
				k := strings.IndexByte(s[j+1:], '#')
				if k < 0 {
					break
				}
				j += k + 1
			}
		}
		if strings.HasSuffix(s, `\`) {
			joined++
			if joined > MaxLineContinuations {
				errLine, err = lineNo, fmt.Errorf("%w: more than %d continued lines", ErrTooDeep, MaxLineContinuations)
				return
			}
			cur.WriteString(s[:len(s)-1])
			cur.WriteByte(' ')
			return
		}
		var t string
		if cur.Len() == 0 {
			t = strings.TrimSpace(s) // the common case: one physical line, no copy
		} else {
			cur.WriteString(s)
			t = strings.TrimSpace(cur.String())
			cur.Reset()
		}
		if t != "" {
			fn(reqLine{first: first, last: lineNo, text: t})
		}
		first, joined = 0, 0
	})
	if err == nil && cur.Len() > 0 {
		if t := strings.TrimSpace(cur.String()); t != "" {
			fn(reqLine{first: first, text: t})
		}
	}
	return errLine, err
}

// parseRequirementLine interprets one logical requirements line: a requirement, an editable or
// URL install, or an option (ok false).
func parseRequirementLine(text string) (pyReq, bool) {
	editable := false
	for _, p := range []string{"-e ", "-e\t", "--editable ", "--editable="} {
		if rest, ok := strings.CutPrefix(text, p); ok {
			text, editable = strings.TrimSpace(rest), true
			break
		}
	}
	// Per-requirement options (--hash, --config-settings, -C …) end the requirement.
	if loc := pyOptionRE.FindStringIndex(text); loc != nil {
		if loc[0] == 0 && !editable {
			return pyReq{}, false // an option line
		}
		if loc[0] > 0 {
			text = strings.TrimSpace(text[:loc[0]])
		}
	}
	if text == "" {
		return pyReq{}, false
	}
	if r, ok := parsePEP508(text); ok && !editable && !strings.Contains(text, "://") && !strings.HasPrefix(text, ".") {
		return r, true
	} else if ok && strings.HasPrefix(strings.TrimSpace(text[len(r.name):]), "@") {
		return r, true
	}
	// A bare URL or path: the name comes from #egg= or the archive's file name.
	u := strings.Fields(text)[0]
	r := pyReq{source: pyURLSource(u), resolved: u}
	if m := pyEggRE.FindStringSubmatch(u); m != nil {
		r.name = m[1]
	} else {
		base := u
		if i := strings.IndexAny(base, "#?"); i >= 0 {
			base = base[:i]
		}
		base = base[strings.LastIndexByte(base, '/')+1:]
		for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2"} {
			if stem, ok := strings.CutSuffix(base, ext); ok {
				name, ver, _ := strings.Cut(stem, "-")
				if ext != ".whl" {
					if i := strings.LastIndexByte(stem, '-'); i > 0 {
						name, ver = stem[:i], stem[i+1:]
					}
				} else {
					ver, _, _ = strings.Cut(ver, "-")
				}
				r.name, r.version = name, ver
				break
			}
		}
	}
	if r.name == "" {
		return pyReq{}, false
	}
	return r, true
}

func (r *reader) requirements() error {
	// Includes (-r/-c) are not followed: they name other files, which the caller reads on their
	// own. They are blanked before scalibr sees the data, which would otherwise try to open them.
	var includes [][2]int
	var entries []entry
	errLine, err := eachRequirementLine(r.data, func(l reqLine) {
		lower := strings.ToLower(l.text)
		switch {
		case strings.HasPrefix(lower, "-r"), strings.HasPrefix(lower, "--requirement"), strings.HasPrefix(lower, "-c"), strings.HasPrefix(lower, "--constraint"):
			includes = append(includes, [2]int{l.first, firstLine(l.last, l.first)})
			r.problem("line %d: includes %s (not followed here)", l.first, truncQuote(l.text))
			return
		case strings.HasPrefix(lower, "--index-url"), strings.HasPrefix(lower, "-i "), strings.HasPrefix(lower, "--extra-index-url"),
			strings.HasPrefix(lower, "--find-links"), strings.HasPrefix(lower, "-f "), strings.HasPrefix(lower, "--trusted-host"):
			r.problem("line %d: %s (packages may come from another index)", l.first, truncQuote(l.text))
			return
		}
		req, ok := parseRequirementLine(l.text)
		if !ok {
			if !strings.HasPrefix(l.text, "-") {
				r.problem("line %d: not a requirement: %s", l.first, truncQuote(l.text))
			}
			return
		}
		entries = append(entries, entry{name: req.name, version: req.version, match: req.match, spec: req.spec,
			source: req.source, resolved: req.resolved, direct: true, dev: devNo})
	})
	if err != nil {
		return r.fail(errLine, err)
	}
	sanitized := r.data
	if len(includes) > 0 {
		sanitized = blankLines(r.data, includes)
	}
	pkgs, err := r.runScalibr(requirements.NewDefault(), sanitized)
	if err != nil {
		return err
	}
	r.merge(pkgs, entries)
	return nil
}

// blankLines returns a copy of data whose physical lines in the given ascending 1-based ranges
// are replaced with spaces, keeping the newlines so line numbers stay the same.
func blankLines(data []byte, ranges [][2]int) []byte {
	out := bytes.Clone(data)
	line, ri := 1, 0
	for i := range out {
		if out[i] == '\n' {
			line++
			continue
		}
		for ri < len(ranges) && line > ranges[ri][1] {
			ri++
		}
		if ri < len(ranges) && line >= ranges[ri][0] && out[i] != '\r' {
			out[i] = ' '
		}
	}
	return out
}

func indexRequirements(x *LineIndex, data []byte) {
	_, _ = eachRequirementLine(data, func(l reqLine) {
		if x.full() {
			x.unindexed++ // Extract refuses the file: count without parsing
			return
		}
		if req, ok := parseRequirementLine(l.text); ok {
			x.add(req.name, req.version, l.first)
		}
	})
}
