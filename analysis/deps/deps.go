// Package deps finds what a pull request changes about its dependencies: every manifest, lockfile and MCP
// client configuration that changed is read at base and head, and the difference becomes a list of Changes —
// added, removed, bumped, downgraded — each with the head-side lines where it appears, and whether it is an
// MCP server (and why).
//
// It reads the pull request only through the PR interface (a local git repository here; the GitHub API in
// app/ and action/). It must not import app/, action/ or any GitHub client.
package deps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"deps.dev/util/semver"

	"github.com/mcpvet/mcpvet/analysis/deps/lockfile"
	"github.com/mcpvet/mcpvet/analysis/deps/mcpconfig"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
)

// MaxChangedPaths bounds how many changed paths of one pull request are looked at.
const MaxChangedPaths = 20000

// PR is a pull request's two trees.
type PR interface {
	// ChangedPaths lists the repository paths that differ between base and head, '/'-separated.
	ChangedPaths(ctx context.Context) ([]string, error)
	// ReadBase and ReadHead return a file's content; an error wrapping fs.ErrNotExist when it is absent.
	ReadBase(ctx context.Context, path string) ([]byte, error)
	ReadHead(ctx context.Context, path string) ([]byte, error)
}

// Kind says how a dependency changed.
type Kind string

// Change kinds.
const (
	Added      Kind = "added"
	Removed    Kind = "removed"
	Bumped     Kind = "bumped"
	Downgraded Kind = "downgraded"
	// Changed: a non-registry source (git commit, tarball URL) changed, or versions that do not compare.
	Changed Kind = "changed"
)

// Change is one dependency that the pull request changes.
type Change struct {
	Ecosystem string
	Name      string
	From, To  string // exact versions; From is "" when added, To is "" when removed
	Kind      Kind
	Direct    bool
	Dev       bool
	// Source is "registry" unless the head resolves to git, a tarball, a local path, …
	Source string
	// MCP is true when an MCP client configuration or server.json launches this package; MCPReason says which.
	MCP       bool
	MCPReason string
	Locations []report.Location
	// Findings are facts about the change itself (an unpinned MCP launch, a non-registry source).
	Findings []finding.Finding
}

// FileError is a changed file that could not be read; the rest of the pull request is still reviewed.
type FileError struct {
	Path string
	Err  error
}

func (e FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }

// Result is everything Detect found.
type Result struct {
	Changes []Change
	Errors  []FileError
	// Findings are about the pull request's MCP configurations rather than one package (a server whose
	// package cannot be named, say). Their Path and Line point into the reviewed repository.
	Findings []finding.Finding
}

// key identifies a dependency across files.
type key struct{ eco, name string }

// side is one tree's view of one file: the dependencies it names and how to find their lines.
type side struct {
	deps    []lockfile.Dep
	servers []mcpconfig.Server
	index   *lockfile.LineIndex
}

// reader reads one side of a changed file.
type reader func(data []byte) (*side, error)

// Detect reads every changed manifest, lockfile and MCP configuration at base and head and returns the
// dependency changes. A file that cannot be read is reported in Result.Errors, never silently skipped.
func Detect(ctx context.Context, pr PR) (*Result, error) {
	paths, err := pr.ChangedPaths(ctx)
	if err != nil {
		return nil, fmt.Errorf("list changed files: %w", err)
	}
	if len(paths) > MaxChangedPaths {
		return nil, fmt.Errorf("the pull request changes %d files; at most %d are reviewed", len(paths), MaxChangedPaths)
	}
	sort.Strings(paths)
	d := &detector{changes: map[changeKey]*Change{}}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, ok := lockfile.Detect(p); ok {
			d.file(ctx, pr, p, func(data []byte) (*side, error) { return readDeps(ctx, p, data) }, d.deps)
			continue
		}
		if _, ok := mcpconfig.Detect(p); ok {
			d.file(ctx, pr, p, func(data []byte) (*side, error) { return readConfig(p, data) }, d.servers)
		}
	}
	return d.result(), nil
}

type changeKey struct {
	eco, name, from, to string
}

type detector struct {
	changes    map[changeKey]*Change
	order      []changeKey
	errs       []FileError
	unresolved []finding.Finding
}

// file reads one changed file at both sides and records its changes with record.
func (d *detector) file(ctx context.Context, pr PR, path string, read reader, record func(path string, base, head *side)) {
	load := func(get func(context.Context, string) ([]byte, error)) (*side, error) {
		data, err := get(ctx, path)
		if errors.Is(err, fs.ErrNotExist) {
			return &side{}, nil
		}
		if err != nil {
			return nil, err
		}
		return read(data)
	}
	base, err := load(pr.ReadBase)
	if err != nil {
		d.errs = append(d.errs, FileError{Path: path, Err: fmt.Errorf("base: %w", err)})
		return
	}
	head, err := load(pr.ReadHead)
	if err != nil {
		d.errs = append(d.errs, FileError{Path: path, Err: fmt.Errorf("head: %w", err)})
		return
	}
	record(path, base, head)
}

func readDeps(ctx context.Context, path string, data []byte) (*side, error) {
	res, err := lockfile.Extract(ctx, path, data)
	if err != nil {
		return nil, err
	}
	return &side{deps: res.Deps, index: res.Index}, nil
}

func readConfig(path string, data []byte) (*side, error) {
	f, err := mcpconfig.Parse(path, data)
	if err != nil {
		return nil, err
	}
	return &side{servers: f.Servers}, nil
}

// versions groups a side's dependencies by package.
func versions(deps []lockfile.Dep) map[key][]lockfile.Dep {
	out := map[key][]lockfile.Dep{}
	for _, dep := range deps {
		k := key{dep.Ecosystem, dep.Name}
		out[k] = append(out[k], dep)
	}
	return out
}

// deps records the set differences of one manifest or lockfile.
func (d *detector) deps(path string, base, head *side) {
	b, h := versions(base.deps), versions(head.deps)
	var keys []key
	for k := range b {
		keys = append(keys, k)
	}
	for k := range h {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].eco+keys[i].name < keys[j].eco+keys[j].name })
	for _, k := range keys {
		bv, hv := idSet(b[k]), idSet(h[k])
		var gone, came []lockfile.Dep
		for _, dep := range b[k] {
			if !hv[depID(dep)] {
				gone = append(gone, dep)
			}
		}
		for _, dep := range h[k] {
			if !bv[depID(dep)] {
				came = append(came, dep)
			}
		}
		if len(gone) == 0 && len(came) == 0 {
			continue
		}
		if len(came) == 0 {
			if len(h[k]) == 0 { // every version went: the dependency is removed
				from := highest(k.eco, gone)
				d.add(Change{Ecosystem: k.eco, Name: k.name, From: from.Version, Kind: Removed, Direct: from.Direct, Dev: from.Dev, Source: from.Source})
			}
			continue
		}
		fromDep, hasFrom := lockfile.Dep{}, false
		if len(gone) > 0 {
			fromDep, hasFrom = highest(k.eco, gone), true
		} else if len(b[k]) > 0 {
			fromDep, hasFrom = highest(k.eco, b[k]), true
		}
		for _, to := range came {
			c := Change{Ecosystem: k.eco, Name: k.name, To: to.Version, Kind: Added, Direct: to.Direct, Dev: to.Dev, Source: to.Source}
			if hasFrom {
				c.From = fromDep.Version
				c.Kind = compareKind(k.eco, fromDep, to)
			}
			if to.Source != "" && to.Source != "registry" {
				f := finding.New(finding.RuleNonRegistrySource, fmt.Sprintf("%s now comes from a %s source (%s), which cannot be compared with a registry release", k.name, to.Source, firstNonEmpty(to.Resolved, to.Spec, to.Version)))
				c.Findings = append(c.Findings, f)
			}
			if head.index != nil {
				for _, line := range head.index.Lines(to) {
					c.Locations = append(c.Locations, report.Location{Path: path, Line: line})
				}
			}
			d.add(c)
		}
	}
}

func idSet(deps []lockfile.Dep) map[string]bool {
	m := make(map[string]bool, len(deps))
	for _, dep := range deps {
		m[depID(dep)] = true
	}
	return m
}

// depID is what makes two entries the same dependency version: the version, or the resolved source.
func depID(dep lockfile.Dep) string {
	return dep.Version + "\x00" + dep.Source + "\x00" + dep.Resolved
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// highest returns the dependency with the highest version (the one a bump most likely replaced).
func highest(eco string, deps []lockfile.Dep) lockfile.Dep {
	best := deps[0]
	for _, dep := range deps[1:] {
		if versionLess(eco, best.Version, dep.Version) {
			best = dep
		}
	}
	return best
}

func system(eco string) semver.System {
	if eco == "pypi" {
		return semver.PyPI
	}
	return semver.NPM
}

func versionLess(eco, a, b string) bool {
	va, erra := system(eco).Parse(a)
	vb, errb := system(eco).Parse(b)
	if erra != nil || errb != nil {
		return a < b
	}
	return va.Compare(vb) < 0
}

func compareKind(eco string, from, to lockfile.Dep) Kind {
	if from.Source != to.Source || (to.Source != "" && to.Source != "registry") {
		return Changed
	}
	return compareVersions(eco, from.Version, to.Version)
}

// add merges a change with an equal one from another file (package.json + lockfile + config name the same bump).
func (d *detector) add(c Change) {
	k := changeKey{c.Ecosystem, c.Name, c.From, c.To}
	if prev, ok := d.changes[k]; ok {
		prev.Locations = append(prev.Locations, c.Locations...)
		prev.Findings = append(prev.Findings, c.Findings...)
		prev.Direct = prev.Direct || c.Direct
		prev.Dev = prev.Dev && c.Dev
		if c.MCP && !prev.MCP {
			prev.MCP, prev.MCPReason = true, c.MCPReason
		}
		return
	}
	cc := c
	d.changes[k] = &cc
	d.order = append(d.order, k)
}

func (d *detector) result() *Result {
	r := &Result{Errors: d.errs, Findings: d.unresolved}
	// A package.json range change ("^1.0.15" → "^1.0.16") names no exact version; when a lockfile or an MCP
	// configuration pins the same package, its lines join that change instead of standing alone.
	exact := map[key]*Change{}
	for _, k := range d.order {
		c := d.changes[k]
		if c.To != "" && isExact(c.Ecosystem, c.To) {
			exact[key{c.Ecosystem, c.Name}] = c
		}
	}
	for _, k := range d.order {
		c := d.changes[k]
		if c.To != "" && !isExact(c.Ecosystem, c.To) {
			if target, ok := exact[key{c.Ecosystem, c.Name}]; ok {
				target.Locations = append(target.Locations, c.Locations...)
				target.Findings = append(target.Findings, c.Findings...)
				target.Direct = target.Direct || c.Direct
				if c.MCP && !target.MCP {
					target.MCP, target.MCPReason = true, c.MCPReason
				}
				continue
			}
		}
		sort.Slice(c.Locations, func(i, j int) bool {
			if c.Locations[i].Path != c.Locations[j].Path {
				return c.Locations[i].Path < c.Locations[j].Path
			}
			return c.Locations[i].Line < c.Locations[j].Line
		})
		r.Changes = append(r.Changes, *c)
	}
	for i := range r.Changes {
		r.Changes[i].Locations = dedupe(r.Changes[i].Locations)
	}
	return r
}

func dedupe(locs []report.Location) []report.Location {
	sort.Slice(locs, func(i, j int) bool {
		if locs[i].Path != locs[j].Path {
			return locs[i].Path < locs[j].Path
		}
		return locs[i].Line < locs[j].Line
	})
	out := locs[:0]
	for i, l := range locs {
		if i > 0 && l == locs[i-1] {
			continue
		}
		out = append(out, l)
	}
	return out
}

// isExact reports whether v is one exact version rather than a range or tag.
func isExact(eco, v string) bool {
	if strings.TrimSpace(v) != v || strings.ContainsAny(v, "^~<>=*| ") {
		return false
	}
	_, err := system(eco).Parse(v)
	return err == nil
}
