package lockfile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
)

// yarnBlock is one entry of yarn.lock: a header listing descriptors, and its fields. scalibr's
// yarnlock extractor reports name, version and a git commit per block; it drops:
//   - the descriptors' aliases ("x-cjs@npm:x@^5": installed as x-cjs, the package is x);
//   - "resolved" (classic) and "resolution" (Berry), so tarball, file, link, portal, patch and
//     workspace sources, and a resolved URL pointing at another host or package, are invisible;
//   - "integrity" (classic; Berry's "checksum" hashes Yarn's cache archive, not the npm tarball,
//     so it is not reported as integrity);
//   - which dependencies the Berry workspace blocks declare (direct dependencies). Classic
//     yarn.lock has no record of direct or dev dependencies at all: package.json says that.
type yarnBlock struct {
	line        int
	descriptors []string
	version     string
	versionLine int
	resolved    string // classic
	resolution  string // Berry
	integrity   string
	deps        map[string]string // of workspace blocks only
	metadata    bool
}

// parseYarnBlocks splits yarn.lock (classic or Berry) into blocks. Lines are split by hand (no
// length limit beyond the file's); the structure is: headers at column 0 ending in ':',
// fields indented by two spaces, sub-fields (dependencies) by four.
func parseYarnBlocks(data []byte) ([]yarnBlock, int, error) {
	var blocks []yarnBlock
	var cur *yarnBlock
	sub := ""
	var errLine int
	var err error
	forEachLine(data, func(lineNo int, line []byte) {
		if err != nil {
			return
		}
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] == '#' {
			return
		}
		indent := len(line) - len(bytes.TrimLeft(line, " \t"))
		if indent == 0 {
			if !bytes.HasSuffix(trimmed, []byte{':'}) {
				errLine, err = lineNo, fmt.Errorf("%w: expected a block header ending in ':'", ErrMalformed)
				return
			}
			blocks = append(blocks, yarnBlock{line: lineNo})
			cur = &blocks[len(blocks)-1]
			header := string(trimmed[:len(trimmed)-1])
			if header == "__metadata" {
				cur.metadata = true
				return
			}
			for _, d := range strings.Split(strings.ReplaceAll(header, `"`, ""), ",") {
				if d = strings.TrimSpace(d); d != "" {
					cur.descriptors = append(cur.descriptors, d)
				}
			}
			sub = ""
			return
		}
		if cur == nil {
			errLine, err = lineNo, fmt.Errorf("%w: indented line outside a block", ErrMalformed)
			return
		}
		key, value := yarnField(string(trimmed))
		if indent <= 2 {
			sub = ""
			switch key {
			case "version":
				cur.version, cur.versionLine = value, lineNo
			case "resolved":
				cur.resolved = value
			case "resolution":
				cur.resolution = value
			case "integrity":
				cur.integrity = value
			case "dependencies", "optionalDependencies", "peerDependencies", "devDependencies":
				if value == "" {
					sub = key
				}
			}
			return
		}
		if sub != "" && cur.isWorkspace() && key != "" {
			if cur.deps == nil {
				cur.deps = map[string]string{}
			}
			cur.deps[key] = value
		}
	})
	return blocks, errLine, err
}

// yarnField splits a classic `key "value"` or Berry `key: value` field line.
func yarnField(s string) (key, value string) {
	if s[0] == '"' {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			key = s[1 : end+1]
			s = s[end+2:]
		} else {
			return "", ""
		}
	} else {
		i := strings.IndexAny(s, ": ")
		if i < 0 {
			return s, ""
		}
		key, s = s[:i], s[i:]
	}
	s = strings.TrimPrefix(s, ":")
	return key, unquoteYAML(strings.TrimSpace(s))
}

// isWorkspace reports whether the block is a Berry workspace (the project's own package).
func (b *yarnBlock) isWorkspace() bool {
	if strings.Contains(b.resolution, "@workspace:") {
		return true
	}
	for _, d := range b.descriptors {
		if strings.Contains(d, "@workspace:") {
			return true
		}
	}
	return false
}

// realName returns the package a block installs: the name in a Berry resolution, else the
// target of an npm: alias descriptor, else the first descriptor's name.
func (b *yarnBlock) realName() string {
	if b.resolution != "" {
		if n, _ := splitNameVersion(b.resolution); n != "" {
			return n
		}
	}
	for _, d := range b.descriptors {
		_, rng := splitNameVersion(d)
		if strings.HasPrefix(rng, "npm:") {
			if real, _ := splitNpmAlias(rng[4:]); real != "" && strings.Contains(rng[4:], "@") {
				return real
			}
		}
	}
	if len(b.descriptors) > 0 {
		n, _ := splitNameVersion(b.descriptors[0])
		return n
	}
	return ""
}

// installNames returns the distinct names the block's descriptors install it under.
func (b *yarnBlock) installNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range b.descriptors {
		n, _ := splitNameVersion(d)
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// source classifies where the block's code comes from, with the reference to report.
func (b *yarnBlock) source(name string) (string, string) {
	if b.resolution != "" {
		_, ref := splitNameVersion(b.resolution)
		lower := strings.ToLower(ref)
		switch {
		case strings.HasPrefix(lower, "npm:"):
			return SourceRegistry, ""
		case strings.HasPrefix(lower, "patch:"):
			// Yarn's own compatibility patches (typescript, resolve, fsevents for PnP) are
			// applied to the registry package by Yarn itself on every install.
			if strings.Contains(ref, "#~builtin<compat/") || strings.Contains(ref, "#optional!builtin<compat/") {
				return SourceRegistry, ""
			}
			return SourcePatch, ref
		case strings.HasPrefix(lower, "workspace:"):
			return SourceWorkspace, ref
		}
		src := npmSpecSource(ref)
		if src == SourceRegistry {
			src = SourceOther // a protocol this package does not know
		}
		return src, ref
	}
	if b.resolved != "" {
		src := npmResolvedSource(b.resolved, name, b.version)
		if src == SourceRegistry {
			return src, ""
		}
		return src, b.resolved
	}
	for _, d := range b.descriptors {
		_, rng := splitNameVersion(d)
		if src := npmSpecSource(rng); src != SourceRegistry {
			return src, rng
		}
	}
	return SourceRegistry, ""
}

// scalibrYarnVersion is the version scalibr reads from a block's version line (it accepts only
// word characters, '-', '.', '+').
func scalibrYarnVersion(v string) string {
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.' || c == '+') {
			return ""
		}
	}
	return v
}

func (r *reader) yarnLock() error {
	blocks, line, err := parseYarnBlocks(r.data)
	if err != nil {
		return r.fail(line, err)
	}
	// Every block has a version (classic and Berry); scalibr would log one error per block
	// that does not.
	for i := range blocks {
		if b := &blocks[i]; !b.metadata && b.versionLine == 0 {
			return r.fail(b.line, fmt.Errorf("%w: block has no version", ErrMalformed))
		}
	}
	pkgs, err := r.runScalibr(yarnlock.New(), r.data)
	if err != nil {
		return err
	}
	// Descriptors the Berry workspaces declare (descriptor → range): their blocks are direct
	// dependencies.
	direct := map[string]string{}
	for i := range blocks {
		b := &blocks[i]
		for name, rng := range b.deps {
			direct[name+"@"+rng] = rng
			if !strings.Contains(rng, ":") {
				direct[name+"@npm:"+rng] = rng
			}
		}
	}
	var entries []entry
	for i := range blocks {
		b := &blocks[i]
		if b.metadata || len(b.descriptors) == 0 {
			continue
		}
		name := b.realName()
		src, resolved := b.source(name)
		e := entry{name: name, version: b.version, match: scalibrYarnVersion(b.version), source: src, resolved: resolved, dev: devUnknown}
		if src == SourceGit {
			e.commit = gitCommit(resolved)
		}
		if src == SourceTarball && isRegistryURL(resolved) {
			r.problem("line %d: resolved URL %s is not the registry tarball of %s@%s", b.line, truncQuote(resolved), name, b.version)
		}
		if b.resolution == "" {
			e.integrity = b.integrity
		}
		if b.isWorkspace() {
			e.skip = true
		}
		for _, d := range b.descriptors {
			if rng, ok := direct[d]; ok {
				e.direct, e.spec = true, rng
			}
		}
		for _, inst := range b.installNames() {
			ei := e
			ei.alias = inst
			entries = append(entries, ei)
		}
	}
	r.merge(pkgs, entries)
	return nil
}

// indexYarn records each block's version line under the package it installs.
func indexYarn(x *LineIndex, data []byte) {
	blocks, _, _ := parseYarnBlocks(data)
	for i := range blocks {
		b := &blocks[i]
		if b.metadata || len(b.descriptors) == 0 {
			continue
		}
		x.add(b.realName(), b.version, firstLine(b.versionLine, b.line))
	}
}
