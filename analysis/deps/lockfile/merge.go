package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/BurntSushi/toml"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/osv"
)

// runScalibr calls one scalibr extractor on data over an in-memory file system that holds only
// this file (so nothing the file names — requirements includes, a sibling npm-shrinkwrap.json —
// can be reached). A decoder error with no packages is fatal; per-entry errors alongside
// packages become problems.
//
// A panic inside the extractor (hostile input can trigger index errors in them) is recovered
// and reported as ErrMalformed: this package never panics on input.
func (r *reader) runScalibr(ex filesystem.Extractor, data []byte) (pkgs []*extractor.Package, err error) {
	defer func() {
		if p := recover(); p != nil {
			pkgs = nil
			err = r.malformed(0, fmt.Errorf("scalibr's %s extractor failed on this file: %s", ex.Name(), truncQuote(fmt.Sprint(p))))
		}
	}()
	name := path.Base(strings.ReplaceAll(r.path, "\\", "/"))
	fsys := fstest.MapFS{name: &fstest.MapFile{Data: data, Mode: 0o644}}
	info, err := fsys.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("stat in-memory %s: %w", name, err)
	}
	inv, err := ex.Extract(r.ctx, &filesystem.ScanInput{FS: fsys, Path: name, Root: ".", Info: info, Reader: bytes.NewReader(data)})
	if err != nil {
		if ctxErr := r.ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if len(inv.Packages) == 0 {
			return nil, r.decodeError(err)
		}
		for _, e := range splitErrors(err) {
			r.problem("%s", e.Error())
		}
	}
	return inv.Packages, nil
}

// decodeError turns a decoder's error into a FileError, with the line when the error says it.
func (r *reader) decodeError(err error) error {
	return r.malformed(errorLine(r.data, err), err)
}

// splitErrors unpacks errors.Join.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// entry is one package occurrence found by this package's own read of a lockfile: the
// information scalibr drops, to be joined with scalibr's packages.
type entry struct {
	name, alias string
	// version is the Dep's Version; match is the version scalibr reports for the same
	// occurrence (they differ for v1 git/tarball specs, requirements ranges). Each reader
	// sets both.
	version, match string
	commit         string
	spec           string
	source         string
	resolved       string
	integrity      string
	direct         bool
	dev            int8 // devUnknown, devNo, devYes
	// skip marks the project's own packages (workspace members): neither they nor the scalibr
	// package they match become Deps.
	skip bool
}

const (
	devUnknown int8 = iota
	devNo
	devYes
)

// merge joins scalibr's packages with this package's own entries into r.deps. scalibr decides
// which packages exist (and their name, version, commit and dependency groups); a matching entry
// adds alias, source, resolved, integrity, direct and — when the entry knows it — dev. Entries
// scalibr does not report (sources it skips: file:, link:, URLs) are added as they are.
func (r *reader) merge(pkgs []*extractor.Package, entries []entry) {
	eco := r.kind.Ecosystem()
	// Entries by name and scalibr-version, and by name and commit: a map lookup per package,
	// so a hostile file with many versions of one name stays linear.
	byVersion := map[string][]int{}
	byCommit := map[string][]int{}
	for i := range entries {
		e := &entries[i]
		e.name = normName(eco, e.name)
		byVersion[e.name+"\x00"+e.match] = append(byVersion[e.name+"\x00"+e.match], i)
		if e.commit != "" {
			byCommit[e.name+"\x00"+e.commit] = append(byCommit[e.name+"\x00"+e.commit], i)
		}
	}
	used := make([]bool, len(entries))
	done := map[string]bool{} // entry groups already turned into Deps
	out := make([]Dep, 0, max(len(pkgs), len(entries)))
	for _, p := range pkgs {
		if p == nil {
			continue
		}
		name := normName(eco, p.Name)
		if name == "" {
			continue
		}
		commit := ""
		if p.SourceCode != nil {
			commit = p.SourceCode.Commit
		}
		scDev := hasGroup(p, "dev")
		group := name + "\x00" + p.Version
		matched := byVersion[group]
		if len(matched) == 0 && commit != "" {
			group = name + "\x00commit\x00" + commit
			matched = byCommit[name+"\x00"+commit]
		}
		if len(matched) == 0 {
			d := Dep{Ecosystem: eco, Name: name, Version: p.Version, Source: SourceRegistry, Dev: scDev}
			if commit != "" {
				d.Source, d.Resolved = SourceGit, commit
			}
			out = append(out, d)
			continue
		}
		// scalibr reports one package per occurrence in some formats (yarn blocks, requirement
		// lines): a group of entries becomes Deps once, however many packages match it.
		key := group + "\x00" + strconvBool(scDev)
		if done[key] {
			continue
		}
		done[key] = true
		for _, i := range matched {
			used[i] = true
			e := entries[i]
			if e.skip {
				continue
			}
			d := e.dep(eco)
			if e.dev == devUnknown {
				d.Dev = scDev
			}
			if d.Version == "" && e.source == SourceRegistry {
				d.Version = p.Version
			}
			out = append(out, d)
		}
	}
	for i, e := range entries {
		if used[i] || e.skip || e.name == "" {
			continue
		}
		out = append(out, e.dep(eco))
	}
	r.deps = dedupeDeps(out)
}

func strconvBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// dep turns an entry into a Dep.
func (e entry) dep(eco string) Dep {
	src := e.source
	if src == "" {
		src = SourceRegistry
	}
	alias := e.alias
	if alias == e.name {
		alias = ""
	}
	d := Dep{
		Ecosystem: eco, Name: e.name, Alias: alias, Version: e.version, Spec: e.spec,
		Direct: e.direct, Dev: e.dev == devYes, Source: src, Integrity: e.integrity,
	}
	if src != SourceRegistry {
		d.Resolved = e.resolved
	}
	return d
}

// hasGroup reports whether a scalibr package's dependency groups include g.
func hasGroup(p *extractor.Package, g string) bool {
	switch m := p.Metadata.(type) {
	case osv.DepGroupMetadata:
		return slices.Contains(m.DepGroupVals, g)
	case *osv.DepGroupMetadata:
		return m != nil && slices.Contains(m.DepGroupVals, g)
	}
	return false
}

// depKey identifies a Dep for deduplication: everything but the flags.
type depKey struct {
	eco, name, alias, version, spec, source, resolved, integrity string
	opaque                                                       bool
}

// dedupeDeps merges equal Deps (Direct if any is, Dev if all are) and sorts them.
func dedupeDeps(deps []Dep) []Dep {
	idx := map[depKey]int{}
	out := make([]Dep, 0, len(deps))
	for _, d := range deps {
		k := depKey{d.Ecosystem, d.Name, d.Alias, d.Version, d.Spec, d.Source, d.Resolved, d.Integrity, d.Opaque}
		if i, ok := idx[k]; ok {
			out[i].Direct = out[i].Direct || d.Direct
			out[i].Dev = out[i].Dev && d.Dev
			continue
		}
		idx[k] = len(out)
		out = append(out, d)
	}
	// Sort a permutation rather than the Deps themselves: moving large structs dominates
	// otherwise on lockfiles with hundreds of thousands of entries.
	perm := make([]int, len(out))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(i, j int) int { return compareDeps(&out[i], &out[j]) })
	sorted := make([]Dep, len(out))
	for i, p := range perm {
		sorted[i] = out[p]
	}
	return sorted
}

// compareDeps orders Deps by ecosystem, name, version, alias, source, resolved, spec, integrity.
func compareDeps(a, b *Dep) int {
	if n := strings.Compare(a.Ecosystem, b.Ecosystem); n != 0 {
		return n
	}
	if n := strings.Compare(a.Name, b.Name); n != 0 {
		return n
	}
	if n := strings.Compare(a.Version, b.Version); n != 0 {
		return n
	}
	if n := strings.Compare(a.Alias, b.Alias); n != 0 {
		return n
	}
	if n := strings.Compare(a.Source, b.Source); n != 0 {
		return n
	}
	if n := strings.Compare(a.Resolved, b.Resolved); n != 0 {
		return n
	}
	if n := strings.Compare(a.Spec, b.Spec); n != 0 {
		return n
	}
	return strings.Compare(a.Integrity, b.Integrity)
}

// normName normalises a package name: PyPI names per PEP 503 (lower case, runs of -_. as one -);
// npm names are kept as written.
func normName(eco, name string) string {
	name = strings.TrimSpace(name)
	if eco != PyPI {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// errorLine finds the line a decoder error points at: encoding/json's offsets, TOML and YAML
// "line N" texts. 0 when unknown.
func errorLine(data []byte, err error) int {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return lineAt(data, int(syn.Offset))
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return lineAt(data, int(typ.Offset))
	}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return pe.Position.Line
	}
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		n := 0
		for _, c := range msg[i+5:] {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
			if n > 1<<30 {
				return 0
			}
		}
		return n
	}
	return 0
}
