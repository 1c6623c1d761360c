// Command realpkg measures mcpvet's engine on real MCP server packages from the npm registry.
//
// For each package it downloads the published tarballs with `npm pack --ignore-scripts` (package code is
// never run), rebuilds the package's upstream shape as a git repository (sources, not build outputs: from
// the tarball's own shipped sources, from a local folder of upstream sources given with -srcdir, or, when
// neither exists, from the shipped files themselves), serves that repository and the real tarballs from
// loopback servers (internal/testenv), and runs the engine on name@v1..v2 exactly as `mcpvet check`
// would. With -inject it also republishes v2 with one statement inserted in the middle of a function body
// and checks that the report blocks at exactly that line.
//
// Downloads, repositories and caches live in a temporary folder outside the repository, removed on exit
// unless -keep is given. See README.md in this folder.
//
// It is a benchmark program: it may import the engine and internal/testenv; nothing imports it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/compare/jsequiv"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

// Limits on what is read from the registry and from -srcdir.
const (
	// MaxTarballBytes is the largest tarball `npm pack` may leave for one version.
	MaxTarballBytes = 64 << 20
	// MaxOverlayFiles is the most files read from one -srcdir version folder.
	MaxOverlayFiles = 5000
	// MaxOverlayFileBytes is the largest single file read from a -srcdir version folder.
	MaxOverlayFileBytes = 8 << 20
	// MaxNPMOutput bounds what is kept of npm's stdout and stderr.
	MaxNPMOutput = 1 << 20
	// repoOwner is the owner of every rebuilt repository on the loopback git server.
	repoOwner = "realpkg"
	// upstreamVersion is what the rebuilt upstream package.json says its version is, as many upstreams
	// do between releases (the engine must resolve the commit by tag, not by that field).
	upstreamVersion = "0.0.0-development"
	// overlayConfig is the optional file in a -srcdir version folder naming the package's folder.
	overlayConfig = ".realpkg.json"
)

// outputDirs are the folders build tools write to; in a "src" package they are not upstream files.
var outputDirs = []string{"dist", "build", "lib", "out", "esm", "cjs"}

func main() {
	var o options
	flag.StringVar(&o.pkgs, "pkgs", "", "comma-separated name@version specs; two versions of a name are checked as v1..v2")
	flag.BoolVar(&o.inject, "inject", false, "also republish the newest version with one injected statement and check it is blocked at that line")
	flag.StringVar(&o.srcdir, "srcdir", "", "folder of upstream sources: <srcdir>/<name with / as __>@<version>/ holds the repository tree (see README.md)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder (tarballs, repositories, caches) and print its path")
	flag.BoolVar(&o.verbose, "v", false, "print per-file token accounting and info findings")
	flag.BoolVar(&o.tamperGitHead, "tamper-githead", true, "publish the tampered version with gitHead = the v2 commit (as `npm publish` from that checkout would)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "overall time limit")
	flag.Parse()
	if o.pkgs == "" {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench/realpkg -pkgs name@v1,name@v2,... [-inject] [-srcdir DIR] [-v] [-keep]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "realpkg:", err)
		os.Exit(1)
	}
}

type options struct {
	pkgs          string
	inject        bool
	srcdir        string
	keep          bool
	verbose       bool
	tamperGitHead bool
	timeout       time.Duration
}

// version is one downloaded package version.
type version struct {
	name, version string
	tgz           []byte
	files         map[string][]byte // package-relative
	mode          string            // "src", "overlay" or "raw"
	dir           string            // package folder in the rebuilt repository
	upstream      map[string][]byte // repository-relative
	excluded      []string          // shipped files left out of the upstream tree (build outputs)
	commit        string
}

// group is the versions of one package, oldest first.
type group struct {
	name     string
	versions []*version
	repo     string
}

// row is one line of the final table.
type row struct {
	name, versions, shape, mode string
	shipped, unexplained        int
	tokenFiles                  int
	bundles                     int
	verdict                     report.Verdict
	blocking                    []string
	injected                    string // for tampered rows: "exact", "near …", "missed"
	elapsed                     time.Duration
}

func run(ctx context.Context, o options, out io.Writer) error {
	groups, err := parseSpecs(o.pkgs)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mcpvet-realpkg-")
	if err != nil {
		return fmt.Errorf("temporary folder: %w", err)
	}
	if o.keep {
		fmt.Fprintln(out, "temporary folder:", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	start := time.Now()
	for _, g := range groups {
		for _, v := range g.versions {
			if err := download(ctx, tmp, v); err != nil {
				return err
			}
			if err := shape(o.srcdir, v); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, "downloaded %d package(s) in %s\n", len(groups), time.Since(start).Round(time.Millisecond))
	for _, g := range groups {
		alignOlder(g, out)
	}

	gitRoot := filepath.Join(tmp, "git")
	for _, g := range groups {
		if err := buildRepo(ctx, gitRoot, g); err != nil {
			return err
		}
	}
	git := testenv.NewGitServer(gitRoot)
	gitURL := git.Start()
	defer git.Close()
	reg := testenv.NewNPMRegistry("")
	regURL := reg.Start()
	defer reg.Close()
	for _, g := range groups {
		for i, v := range g.versions {
			m, err := manifest(v.files["package.json"], g, v.dir)
			if err != nil {
				return fmt.Errorf("%s@%s: %w", v.name, v.version, err)
			}
			reg.Publish(v.name, v.version, testenv.Version{Manifest: m, Tarball: v.tgz, Time: publishTime(i)})
		}
	}

	// Tampered versions are published before any check, so no packument the engine caches is stale.
	type tampered struct {
		g   *group
		inj *injection
	}
	var tampers []tampered
	if o.inject {
		for i, g := range groups {
			to := g.versions[len(g.versions)-1]
			inj, err := tamper(to)
			if err != nil {
				fmt.Fprintf(out, "%s: no injection: %v\n", g.name, err)
				continue
			}
			m, err := manifest(inj.files["package.json"], g, to.dir)
			if err != nil {
				return fmt.Errorf("%s@%s: %w", g.name, inj.version, err)
			}
			if o.tamperGitHead {
				m["gitHead"] = to.commit
			}
			reg.Publish(g.name, inj.version, testenv.Version{Manifest: m, Tarball: inj.tgz, Time: publishTime(len(g.versions) + 1 + i)})
			tampers = append(tampers, tampered{g, inj})
		}
	}
	env := map[string]string{
		"npm_config_registry": regURL,
		analysis.EnvGitHubURL: gitURL,
		analysis.EnvCacheDir:  filepath.Join(tmp, "cache"),
		"HOME":                filepath.Join(tmp, "home"),
		// Advisories and PyPI are not what this tool measures, and their hosts are unreachable here.
		analysis.EnvOSVAPI:  "off",
		analysis.EnvPyPIURL: "off",
	}
	cfg, err := analysis.ConfigFromEnv(func(k string) string { return env[k] }, "", slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("engine configuration: %w", err)
	}
	eng := analysis.New(cfg)

	var rows []row
	for _, g := range groups {
		to := g.versions[len(g.versions)-1]
		from := ""
		if len(g.versions) > 1 {
			from = g.versions[len(g.versions)-2].version
		}
		r, err := checkOne(ctx, eng, out, o, g, from, to, nil)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	for _, t := range tampers {
		to := t.g.versions[len(t.g.versions)-1]
		tv := &version{name: t.g.name, version: t.inj.version, files: t.inj.files, mode: to.mode, dir: to.dir, upstream: to.upstream}
		r, err := checkOne(ctx, eng, out, o, t.g, to.version, tv, t.inj)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	printTable(out, rows)
	fmt.Fprintf(out, "\ntotal time %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func publishTime(i int) time.Time {
	return time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
}

// parseSpecs groups name@version specs by name, versions oldest first.
func parseSpecs(s string) ([]*group, error) {
	var groups []*group
	byName := map[string]*group{}
	for _, spec := range strings.Split(s, ",") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		at := strings.LastIndexByte(spec, '@')
		if at <= 0 || at == len(spec)-1 {
			return nil, fmt.Errorf("spec %q: want name@version", spec)
		}
		name, ver := spec[:at], spec[at+1:]
		if strings.ContainsAny(name+ver, " \t\n\"'\\") || strings.Contains(name, "..") {
			return nil, fmt.Errorf("spec %q: unexpected characters", spec)
		}
		g := byName[name]
		if g == nil {
			g = &group{name: name, repo: repoName(name)}
			byName[name] = g
			groups = append(groups, g)
		}
		g.versions = append(g.versions, &version{name: name, version: ver})
	}
	for _, g := range groups {
		sort.SliceStable(g.versions, func(i, j int) bool { return semverLess(g.versions[i].version, g.versions[j].version) })
	}
	if len(groups) == 0 {
		return nil, errors.New("no package specs")
	}
	return groups, nil
}

func repoName(name string) string {
	name = strings.TrimPrefix(name, "@")
	return strings.NewReplacer("/", "-", "@", "-").Replace(name)
}

// download runs `npm pack --ignore-scripts` for v into dir and reads the tarball safely.
func download(ctx context.Context, dir string, v *version) error {
	spec := v.name + "@" + v.version
	dest := filepath.Join(dir, "tarballs")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("npm pack %s: %w", spec, err)
	}
	cmd := exec.CommandContext(ctx, "npm", "pack", spec, "--ignore-scripts", "--json", "--pack-destination", dest)
	cmd.Dir = dest
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &stdout, max: MaxNPMOutput}
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: MaxNPMOutput}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm pack %s: %w: %s", spec, err, lastLine(stderr.String()))
	}
	var packed []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &packed); err != nil || len(packed) != 1 {
		return fmt.Errorf("npm pack %s: unexpected output %q", spec, lastLine(stdout.String()))
	}
	name := filepath.Base(packed[0].Filename)
	f, err := os.Open(filepath.Join(dest, name))
	if err != nil {
		return fmt.Errorf("npm pack %s: %w", spec, err)
	}
	defer f.Close()
	v.tgz, err = readBounded(f, MaxTarballBytes)
	if err != nil {
		return fmt.Errorf("read tarball of %s: %w", spec, err)
	}
	pkg, err := archive.ReadTarGz(bytes.NewReader(v.tgz), archive.DefaultLimits())
	if err != nil {
		return fmt.Errorf("read tarball of %s: %w", spec, err)
	}
	v.files = make(map[string][]byte, len(pkg.Files))
	for _, f := range pkg.Files {
		v.files[f.Path] = f.Data
	}
	if _, ok := v.files["package.json"]; !ok {
		return fmt.Errorf("tarball of %s has no package.json", spec)
	}
	return nil
}

// errTooLarge is returned by readBounded for input over its limit.
var errTooLarge = errors.New("larger than the limit")

// readBounded reads all of r, failing with errTooLarge when it holds more than max bytes.
func readBounded(r io.Reader, max int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("%w of %d bytes", errTooLarge, max)
	}
	return b, nil
}

// limitedBuffer keeps the first max bytes written to it and discards the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

var versionLine = regexp.MustCompile(`(?m)^(\s*"version"\s*:\s*)"[^"]*"`)

// shape decides what the upstream commit of v holds.
func shape(srcdir string, v *version) error {
	v.upstream = map[string][]byte{}
	pj := versionLine.ReplaceAll(v.files["package.json"], []byte(`${1}"`+upstreamVersion+`"`))
	if srcdir != "" {
		dir := filepath.Join(srcdir, strings.ReplaceAll(v.name, "/", "__")+"@"+v.version)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			v.mode = "overlay"
			if err := readOverlay(dir, v); err != nil {
				return err
			}
			prefix := ""
			if v.dir != "" {
				prefix = v.dir + "/"
			}
			if _, ok := v.upstream[prefix+"package.json"]; !ok {
				v.upstream[prefix+"package.json"] = pj
			}
			for p, data := range v.files {
				if isDocFile(p) {
					if _, ok := v.upstream[prefix+p]; !ok {
						v.upstream[prefix+p] = data
					}
				} else if _, ok := v.upstream[prefix+p]; !ok && p != "package.json" {
					v.excluded = append(v.excluded, p)
				}
			}
			sort.Strings(v.excluded)
			return nil
		}
	}
	shipsSources := false
	for p := range v.files {
		if isSourceFile(p) {
			shipsSources = true
			break
		}
	}
	if !shipsSources {
		v.mode = "raw"
		for p, data := range v.files {
			v.upstream[p] = data
		}
		v.upstream["package.json"] = pj
		return nil
	}
	v.mode = "src"
	entries := entryPoints(v.files["package.json"])
	for p, data := range v.files {
		if isBuildOutput(p, entries) {
			v.excluded = append(v.excluded, p)
			continue
		}
		v.upstream[p] = data
	}
	sort.Strings(v.excluded)
	v.upstream["package.json"] = pj
	return nil
}

// alignOlder keeps an older version without sources from putting its build outputs into the history of a
// repository whose newest version has sources: its commit holds only package.json and the documents, in
// the newest version's folder.
func alignOlder(g *group, out io.Writer) {
	newest := g.versions[len(g.versions)-1]
	if newest.mode == "raw" {
		return
	}
	for _, v := range g.versions[:len(g.versions)-1] {
		if v.mode != "raw" {
			continue
		}
		prefix := ""
		if newest.dir != "" {
			prefix = newest.dir + "/"
		}
		up := map[string][]byte{}
		for p, data := range v.upstream {
			if p == "package.json" || isDocFile(p) {
				up[prefix+p] = data
			}
		}
		v.upstream, v.dir, v.mode = up, newest.dir, "docs-only"
		fmt.Fprintf(out, "%s@%s: no sources for this version; its commit holds only package.json and documents\n", v.name, v.version)
	}
}

// readOverlay reads a -srcdir version folder (regular files only, bounded) into v.upstream.
func readOverlay(dir string, v *version) error {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if n++; n > MaxOverlayFiles {
			return fmt.Errorf("more than %d files", MaxOverlayFiles)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		data, err := readBounded(f, MaxOverlayFileBytes)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if rel == overlayConfig {
			var c struct {
				Directory string `json:"directory"`
			}
			if err := json.Unmarshal(data, &c); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			c.Directory = strings.Trim(path.Clean("/"+c.Directory), "/")
			v.dir = c.Directory
			return nil
		}
		v.upstream[rel] = data
		return nil
	})
	if err != nil {
		return fmt.Errorf("read sources %s: %w", dir, err)
	}
	return nil
}

func isDocFile(p string) bool {
	if strings.Contains(p, "/") {
		return false
	}
	l := strings.ToLower(p)
	for _, d := range []string{"readme", "license", "licence", "changelog", "notice"} {
		if strings.HasPrefix(l, d) {
			return true
		}
	}
	return false
}

func isSourceFile(p string) bool {
	if strings.HasPrefix(path.Base(p), "tsconfig") && path.Ext(p) == ".json" {
		return true
	}
	if !strings.HasPrefix(p, "src/") || strings.HasSuffix(p, ".d.ts") {
		return false
	}
	switch path.Ext(p) {
	case ".ts", ".tsx", ".mts", ".cts":
		return true
	}
	return false
}

// isBuildOutput says whether a shipped file of a package that ships its sources is a build output.
func isBuildOutput(p string, entries map[string]bool) bool {
	first, _, nested := strings.Cut(p, "/")
	if nested {
		for _, d := range outputDirs {
			if first == d {
				return true
			}
		}
	}
	if strings.HasPrefix(p, "src/") {
		return false
	}
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs", ".map":
		return entries[p]
	}
	return false
}

// entryPoints lists the files package.json's bin, main and module name.
func entryPoints(pj []byte) map[string]bool {
	var m struct {
		Bin    json.RawMessage `json:"bin"`
		Main   string          `json:"main"`
		Module string          `json:"module"`
	}
	out := map[string]bool{}
	if json.Unmarshal(pj, &m) != nil {
		return out
	}
	add := func(s string) {
		if s != "" {
			out[strings.TrimPrefix(path.Clean(s), "./")] = true
		}
	}
	add(m.Main)
	add(m.Module)
	var s string
	var obj map[string]string
	if json.Unmarshal(m.Bin, &s) == nil {
		add(s)
	} else if json.Unmarshal(m.Bin, &obj) == nil {
		for _, v := range obj {
			add(v)
		}
	}
	return out
}

// buildRepo makes one commit per version (oldest first), each tagged v<version>.
func buildRepo(ctx context.Context, gitRoot string, g *group) error {
	var commits []testenv.Commit
	prev := map[string][]byte{}
	for _, v := range g.versions {
		files := map[string]string{}
		for p, data := range v.upstream {
			if len(data) == 0 {
				data = []byte("\n") // BuildRepo reads "" as a deletion
			}
			files[p] = string(data)
		}
		for p := range prev {
			if _, ok := v.upstream[p]; !ok {
				files[p] = ""
			}
		}
		prev = v.upstream
		commits = append(commits, testenv.Commit{Message: "release " + v.version, Files: files, Tag: "v" + v.version})
	}
	shas, err := testenv.BuildRepo(ctx, filepath.Join(gitRoot, repoOwner, g.repo+".git"), commits)
	if err != nil {
		return fmt.Errorf("rebuild upstream of %s: %w", g.name, err)
	}
	for i, v := range g.versions {
		v.commit = shas[i]
	}
	return nil
}

// manifest is the published package.json with its repository pointing at the rebuilt repository.
func manifest(pj []byte, g *group, dir string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(pj, &m); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	if m == nil {
		return nil, errors.New("package.json is not an object")
	}
	url := "github:" + repoOwner + "/" + g.repo
	if dir != "" {
		m["repository"] = map[string]any{"type": "git", "url": url, "directory": dir}
	} else {
		m["repository"] = url
	}
	delete(m, "gitHead")
	return m, nil
}

// injection is a tampered copy of a version.
type injection struct {
	version string
	files   map[string][]byte
	tgz     []byte
	path    string
	line    int // 1-based line of the injected statement
	stmt    string
	tier    int // 1: in a function body, 2: in another block, 3: between top-level statements
}

var (
	funcOpen   = regexp.MustCompile(`(?:\bfunction\b[^{;]*\)|\)\s*=>|^\s*(?:static\s+)?(?:async\s+)?\*?\s*[A-Za-z_$][\w$]*\s*\([^()]*\))\s*\{\s*$`)
	notAMethod = regexp.MustCompile(`^\s*(?:if|for|while|switch|catch|with|return|constructor|super|else)\b`)
	esmSyntax  = regexp.MustCompile(`(?m)^\s*(?:import\s[^(]|import\{|export\s|export\{)`)
	indentRE   = regexp.MustCompile(`^[ \t]*`)
)

// tamper inserts one statement into the middle of a function body of a script of v: a build output when
// the upstream holds sources, else a raw script.
func tamper(v *version) (*injection, error) {
	target := ""
	var bestSize int
	entries := entryPoints(v.files["package.json"])
	var names []string
	for p := range v.files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		data := v.files[p]
		switch path.Ext(p) {
		case ".js", ".mjs", ".cjs":
		default:
			continue
		}
		if v.mode != "raw" {
			if _, upstream := v.upstream[path.Join(v.dir, p)]; upstream {
				continue // not a build output
			}
		}
		if ok, _ := jsequiv.IsBundle(jsequiv.File{Path: p, Code: data}); ok {
			continue
		}
		_, tier := insertionPoint(data)
		if tier < 0 {
			continue
		}
		size := len(data) + (3-tier)<<40 // prefer a function body, then the entry point

		if entries[p] {
			size += 1 << 30 // prefer the entry point
		}
		if target == "" || size > bestSize {
			target, bestSize = p, size
		}
	}
	if target == "" {
		return nil, errors.New("no non-bundle script with a function body to inject into")
	}
	data := v.files[target]
	idx, _ := insertionPoint(data)
	lines := strings.Split(string(data), "\n")
	indent := indentRE.FindString(lines[idx+1])
	_, tier := insertionPoint(data)
	stmt := `import("node:fs").then((m) => m.appendFileSync("/tmp/.x", JSON.stringify(process.env)));`
	if path.Ext(target) == ".cjs" || (path.Ext(target) == ".js" && !esmSyntax.Match(data)) {
		stmt = `require("fs").appendFileSync("/tmp/.x", JSON.stringify(process.env));`
	}
	lines = append(lines[:idx+1], append([]string{indent + stmt}, lines[idx+1:]...)...)
	inj := &injection{version: v.version + "-tampered", path: target, line: idx + 2, stmt: stmt, tier: tier, files: map[string][]byte{}}
	for p, d := range v.files {
		inj.files[p] = d
	}
	inj.files[target] = []byte(strings.Join(lines, "\n"))
	inj.files["package.json"] = versionLine.ReplaceAll(v.files["package.json"], []byte(`${1}"`+inj.version+`"`))
	inj.tgz = testenv.BuildTarball("package", inj.files)
	return inj, nil
}

// insertionPoint finds where to insert a statement, nearest the middle of the file: after a line that opens
// a function body (tier 1), else after one that opens another block statement such as `if (…) {` (tier 2),
// else between two top-level statements (tier 3). It returns the 0-based index of the line to insert after
// and the tier, or -1, -1.
func insertionPoint(data []byte) (int, int) {
	lines := strings.Split(string(data), "\n")
	for tier := 1; tier <= 3; tier++ {
		best, bestDist := -1, len(lines)+1
		for i := 0; i+1 < len(lines); i++ {
			if !insertableAfter(lines, i, tier) {
				continue
			}
			if d := abs(i - len(lines)/2); d < bestDist {
				best, bestDist = i, d
			}
		}
		if best >= 0 {
			return best, tier
		}
	}
	return -1, -1
}

var (
	blockOpen  = regexp.MustCompile(`^\s*(?:\}\s*else\s+)?(?:if|for|while|try|else)\b.*\{\s*$`)
	topLevelOK = regexp.MustCompile(`^(?:const|let|var)\s.*;\s*$|^[A-Za-z_$][\w$.]*\(.*\);\s*$`)
)

func insertableAfter(lines []string, i, tier int) bool {
	l, next := lines[i], lines[i+1]
	if len(l) > 400 || strings.TrimSpace(next) == "" {
		return false
	}
	deeper := len(indentRE.FindString(next)) > len(indentRE.FindString(l))
	switch tier {
	case 1:
		return deeper && funcOpen.MatchString(l) && !notAMethod.MatchString(l) && !strings.HasPrefix(strings.TrimSpace(next), "super(")
	case 2:
		return deeper && blockOpen.MatchString(l) && !strings.HasPrefix(strings.TrimSpace(l), "switch")
	default:
		return indentRE.FindString(l) == "" && indentRE.FindString(next) == "" && topLevelOK.MatchString(l) && topLevelOK.MatchString(next)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

var tokenEvidence = regexp.MustCompile(`(\d+) shipped tokens, (\d+) from the source, (\d+) unexplained`)

// checkOne runs the engine on name@from..to.version and prints what it found.
func checkOne(ctx context.Context, eng *analysis.Engine, out io.Writer, o options, g *group, from string, to *version, inj *injection) (row, error) {
	start := time.Now()
	rep, err := eng.Check(ctx, []analysis.Request{{Ecosystem: analysis.EcosystemNPM, Name: g.name, From: from, To: to.version, MCP: true}})
	if err != nil {
		return row{}, fmt.Errorf("check %s@%s: %w", g.name, to.version, err)
	}
	r := row{name: g.name, versions: strings.TrimPrefix(from+".."+to.version, ".."), mode: to.mode, elapsed: time.Since(start)}
	r.shape, r.bundles = shapeOf(to)
	acct := account(to)
	r.shipped, r.unexplained, r.tokenFiles = acct.shipped, acct.unexplained, acct.paired

	fmt.Fprintf(out, "\n== %s %s  [%s; upstream from %s]\n", g.name, r.versions, r.shape, modeText(to.mode))
	if len(to.excluded) > 0 {
		fmt.Fprintf(out, "   left out of the upstream tree as build outputs: %s\n", listSome(to.excluded, 8))
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(out, "   ERROR %s: %s\n", e.Package, e.Message)
	}
	p := rep.Packages[0]
	r.verdict = p.Verdict
	if u := p.Upstream; u != nil {
		fmt.Fprintf(out, "   upstream %s dir=%q commit %.7s resolved by %s (%d/%d files matched)\n", u.Repo, u.Directory, u.Commit, u.ResolvedBy, u.FilesMatched, u.FilesTotal)
		for _, n := range u.Notes {
			fmt.Fprintf(out, "   note: %s\n", n)
		}
	}
	fmt.Fprintf(out, "   verdict %s", p.Verdict)
	if f := p.Files; f != nil {
		fmt.Fprintf(out, "; files total %d identical %d other-version %d built %d different %d absent %d", f.Total, f.Identical, f.OtherVersion, f.Built, f.Different, f.AbsentUpstream)
	}
	fmt.Fprintf(out, "; %s\n", r.elapsed.Round(time.Millisecond))
	if r.tokenFiles > 0 || r.bundles > 0 {
		fmt.Fprintf(out, "   tokens (bench-side, %d build outputs paired with a source): %d shipped, %d unexplained; %d bundle(s) not paired\n", r.tokenFiles, r.shipped, r.unexplained, r.bundles)
	}
	if o.verbose {
		for _, b := range bundleReasons(to) {
			fmt.Fprintf(out, "     %s\n", b)
		}
		for _, f := range acct.files {
			fmt.Fprintf(out, "     %s <- %s: %d shipped, %d source, %d unexplained %s\n", f.path, f.source, f.shipped, f.source0, f.unexplained, f.note)
		}
	}
	for _, f := range p.Findings {
		if f.Severity == finding.Info && !o.verbose {
			continue
		}
		loc := f.Path
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		fmt.Fprintf(out, "   %-5s %s %s — %s\n", f.Severity, f.Rule, loc, oneLine(f.Message, 260))
		if m := tokenEvidence.FindStringSubmatch(f.Evidence); m != nil {
			fmt.Fprintf(out, "         tokens: %s shipped, %s from the source, %s unexplained\n", m[1], m[2], m[3])
		}
		if f.Snippet != "" && f.Severity == finding.Block {
			for _, l := range strings.Split(strings.TrimRight(f.Snippet, "\n"), "\n")[:min(6, strings.Count(strings.TrimRight(f.Snippet, "\n"), "\n")+1)] {
				fmt.Fprintf(out, "         | %s\n", oneLine(l, 160))
			}
		}
		if f.Severity == finding.Block {
			r.blocking = append(r.blocking, fmt.Sprintf("%s %s", f.Rule, loc))
		}
	}
	if inj != nil {
		r.injected = "missed"
		for _, f := range p.Findings {
			if f.Severity != finding.Block || f.Path != inj.path {
				continue
			}
			if f.Line == inj.line {
				r.injected = "exact"
				break
			}
			if f.Line == 0 {
				r.injected = "file-level block only (no line)"
			} else {
				r.injected = fmt.Sprintf("near (line %d)", f.Line)
			}
		}
		fmt.Fprintf(out, "   injected (%s) at %s:%d: %s\n   injection result: %s\n", tierText[inj.tier], inj.path, inj.line, inj.stmt, r.injected)
	}
	return r, nil
}

var tierText = map[int]string{1: "in a function body", 2: "in a block statement", 3: "between top-level statements"}

func modeText(mode string) string {
	switch mode {
	case "src":
		return "the sources the tarball ships"
	case "overlay":
		return "-srcdir sources"
	}
	return "the shipped files themselves (no sources shipped)"
}

// shapeOf classifies the package's shipped scripts: raw, tsc, bundle (comma-joined when mixed).
func shapeOf(v *version) (string, int) {
	kinds := map[string]bool{}
	bundles := 0
	tsc := strings.Contains(string(v.files["package.json"]), "tsc") || strings.Contains(string(v.files["package.json"]), `"typescript"`)
	for p, data := range v.files {
		switch path.Ext(p) {
		case ".js", ".mjs", ".cjs":
		default:
			continue
		}
		if ok, _ := jsequiv.IsBundle(jsequiv.File{Path: p, Code: data}); ok {
			kinds["bundle"] = true
			bundles++
			continue
		}
		if isMinified(data) {
			kinds["minified"] = true
			continue
		}
		first, _, nested := strings.Cut(p, "/")
		built := false
		if nested {
			for _, d := range outputDirs {
				built = built || first == d
			}
		}
		if built && tsc {
			kinds["tsc"] = true
		} else {
			kinds["raw"] = true
		}
	}
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if len(ks) == 0 {
		return "no js", 0
	}
	return strings.Join(ks, "+"), bundles
}

// bundleReasons lists the shipped scripts jsequiv.IsBundle takes for bundles, with its reason.
func bundleReasons(v *version) []string {
	var out []string
	for p, data := range v.files {
		switch path.Ext(p) {
		case ".js", ".mjs", ".cjs":
		default:
			continue
		}
		if ok, why := jsequiv.IsBundle(jsequiv.File{Path: p, Code: data}); ok {
			out = append(out, fmt.Sprintf("bundle %s (%d bytes): %s", p, len(data), why))
		}
	}
	sort.Strings(out)
	return out
}

// Thresholds for isMinified.
const (
	minifiedMinBytes    = 4 << 10 // smaller files are not judged
	minifiedAvgLineSize = 300     // bytes per line on average
)

// isMinified reports whether a script looks minified: long on average per line.
func isMinified(data []byte) bool {
	if len(data) < minifiedMinBytes {
		return false
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	return len(data)/lines > minifiedAvgLineSize
}

type fileAccount struct {
	path, source                  string
	shipped, source0, unexplained int
	note                          string
}

type accounting struct {
	shipped, unexplained int
	paired               int // files paired with a source and compared
	files                []fileAccount
}

// account pairs each shipped script absent from the upstream tree with its conventional source (the same
// conventions the engine uses: tsconfig outDir/rootDir, src/, output folders) and counts tokens with
// jsequiv.Compare. It is the bench's own tally, independent of which findings the engine reports.
func account(v *version) accounting {
	var a accounting
	if v.mode == "raw" {
		return a
	}
	tree := map[string][]byte{}
	prefix := ""
	if v.dir != "" {
		prefix = v.dir + "/"
	}
	for p, d := range v.upstream {
		if rel, ok := strings.CutPrefix(p, prefix); ok {
			tree[rel] = d
		}
	}
	opts, layout := jsequiv.Options{}, jsequiv.Layout{}
	if _, ok := tree["tsconfig.json"]; ok {
		read := func(p string) ([]byte, error) {
			if d, ok := tree[path.Clean(p)]; ok {
				return d, nil
			}
			return nil, fs.ErrNotExist
		}
		if o, l, err := jsequiv.TSConfig("tsconfig.json", read); err == nil {
			opts, layout = o, l
		}
	}
	var names []string
	for p := range v.files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		switch path.Ext(p) {
		case ".js", ".mjs", ".cjs":
		default:
			continue
		}
		if _, ok := tree[p]; ok {
			continue
		}
		shipped := jsequiv.File{Path: p, Code: v.files[p]}
		if ok, _ := jsequiv.IsBundle(shipped); ok {
			continue
		}
		src := ""
		for _, c := range candidates(p, layout) {
			if _, ok := tree[c]; ok {
				src = c
				break
			}
		}
		if src == "" {
			a.files = append(a.files, fileAccount{path: p, source: "(none)", note: "no conventional source"})
			continue
		}
		res, err := jsequiv.Compare(shipped, jsequiv.File{Path: src, Code: tree[src]}, opts)
		if err != nil {
			a.files = append(a.files, fileAccount{path: p, source: src, note: err.Error()})
			continue
		}
		a.shipped += res.ShippedTokens
		a.unexplained += res.Unexplained
		a.paired++
		a.files = append(a.files, fileAccount{path: p, source: src, shipped: res.ShippedTokens, source0: res.SourceTokens, unexplained: res.Unexplained, note: strings.Join(res.Notes, "; ")})
	}
	return a
}

func candidates(shipped string, layout jsequiv.Layout) []string {
	stem := strings.TrimSuffix(shipped, path.Ext(shipped))
	var stems []string
	if out := strings.Trim(path.Clean(layout.OutDir), "/"); out != "" && out != "." {
		if rel, ok := strings.CutPrefix(stem, out+"/"); ok {
			root := strings.Trim(path.Clean(layout.RootDir), "/")
			if root == "." {
				root = ""
			}
			stems = append(stems, path.Join(root, rel), path.Join("src", rel))
		}
	}
	if first, rest, ok := strings.Cut(stem, "/"); ok {
		for _, d := range append(outputDirs, "bin") {
			if first == d {
				stems = append(stems, path.Join("src", rest), rest)
			}
		}
	}
	stems = append(stems, stem, path.Join("src", stem))
	var out []string
	for _, s := range stems {
		for _, ext := range []string{".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs"} {
			if s+ext != shipped {
				out = append(out, s+ext)
			}
		}
	}
	return out
}

func listSome(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(" and %d more", len(xs)-n)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func printTable(out io.Writer, rows []row) {
	fmt.Fprintln(out, "\n| package | versions | shape | upstream from | shipped JS tokens | unexplained | verdict | blocking findings | injection | time |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		tokens, unexp := "—", "—"
		if r.tokenFiles > 0 {
			tokens, unexp = strconv.Itoa(r.shipped)+fmt.Sprintf(" (%d files)", r.tokenFiles), strconv.Itoa(r.unexplained)
		}
		blocking := "—"
		if len(r.blocking) > 0 {
			blocking = listSome(r.blocking, 4)
		}
		inj := r.injected
		if inj == "" {
			inj = "—"
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.versions, r.shape, r.mode, tokens, unexp, r.verdict, blocking, inj, r.elapsed.Round(time.Millisecond))
	}
}

// semverLess orders versions by semver precedence (numeric core, then prerelease); non-semver strings
// compare lexically.
func semverLess(a, b string) bool {
	pa, oka := parseSemver(a)
	pb, okb := parseSemver(b)
	if !oka || !okb {
		return a < b
	}
	for i := range 3 {
		if pa.core[i] != pb.core[i] {
			return pa.core[i] < pb.core[i]
		}
	}
	switch {
	case pa.pre == pb.pre:
		return false
	case pa.pre == "":
		return false
	case pb.pre == "":
		return true
	}
	return pa.pre < pb.pre
}

type semver struct {
	core [3]uint64
	pre  string
}

func parseSemver(s string) (semver, bool) {
	var v semver
	s, _, _ = strings.Cut(s, "+")
	s, v.pre, _ = strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return v, false
		}
		v.core[i] = n
	}
	return v, true
}
