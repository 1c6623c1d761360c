// Package analysis is mcpvet's engine: given dependency changes, it fetches each published package, finds
// the upstream source it claims (or that its README points to), compares them file by file, and returns one
// report.Report. It knows nothing of webhooks, tokens of the reviewed repository, or GitHub Actions: app/,
// action/ and cmd/ turn their inputs into Requests and render the Report.
//
// It must not import app/, action/ or any GitHub API client.
package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/compare"
	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/osv"
	"github.com/mcpvet/mcpvet/analysis/pypi"
	"github.com/mcpvet/mcpvet/analysis/registry"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
	"github.com/mcpvet/mcpvet/analysis/signals"
	"github.com/mcpvet/mcpvet/analysis/source"
)

// Ecosystems. Only npm packages are compared with their source so far; PyPI changes are listed.
const (
	EcosystemNPM  = "npm"
	EcosystemPyPI = "pypi"
)

// MaxArchiveProblems is how many unsafe tarball entries are reported one by one before the rest are counted.
const MaxArchiveProblems = 20

// Config wires the engine to its outside world.
type Config struct {
	Registry *registry.Client
	Fetcher  *source.Fetcher
	Limits   archive.Limits
	Logger   *slog.Logger
	// Progress, when set, receives one line per step of long work (for terminals).
	Progress func(msg string)
	// OSV, when set, is asked whether the reviewed version is known malicious or vulnerable.
	OSV *osv.Client
	// MinAge is how old an MCP server's version must be before it is trusted (osv.DefaultMinAge when 0).
	MinAge time.Duration
	// Now tells the time (time.Now when nil); tests fix it.
	Now func() time.Time
	// PyPI, when set, reads PyPI release metadata to tell whether a PyPI change is an MCP server.
	PyPI *pypi.Client
	// Identity, when set, asks the upstream's host whether the repository is a fork, archived or new.
	Identity *source.IdentityClient
	// TrustedRoot is a Sigstore trusted_root.json used to verify npm provenance (dist.attestations); nil
	// means provenance cannot be verified and is reported as publish/provenance-unchecked.
	TrustedRoot []byte
	// TrustedRootErr says why the configured trusted root could not be had (a TUF mirror down); provenance
	// is then reported as not verifiable (publish/provenance-invalid, unverified) rather than unchecked.
	TrustedRootErr error
	// Bundle bounds the search for what explains what an MCP server's bundle gained (zero fields: defaults).
	Bundle BundleLimits
	// Scorecard, when set, reads stored OpenSSF Scorecard results and runs the file-based checks on the
	// upstream tree at the compared commit; nil turns Scorecard off.
	Scorecard *ScorecardConfig
}

// Engine reviews dependency changes. It is safe for concurrent use when its Config's parts are.
type Engine struct{ cfg Config }

// New returns an engine.
func New(cfg Config) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Limits == (archive.Limits{}) {
		cfg.Limits = archive.DefaultLimits()
	}
	if cfg.MinAge == 0 {
		cfg.MinAge = osv.DefaultMinAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{cfg: cfg}
}

// Request is one dependency change to review.
type Request struct {
	Ecosystem string
	Name      string
	From      string // "" when the dependency is added
	// To is the version to review: exact, or a dist-tag or range that is resolved against the registry the
	// way npm would resolve it now (an unpinned MCP launch runs whatever that is).
	To string
	// MCP is true when the caller already knows this is an MCP server (an MCP configuration launches it);
	// MCPReason says why. Otherwise the registry manifest decides.
	MCP       bool
	MCPReason string
	// All reviews the package even when it is not an MCP server (policy scope "all").
	All       bool
	Locations []report.Location
	// Findings the caller already made about this change (unpinned launches, non-registry sources).
	Findings []finding.Finding
	// Scorecard is the policy's Scorecard minimums (nil: the defaults, none).
	Scorecard *scorecard.Policy
	// Change, Direct and Dev describe the change in a pull request (see deps.Change); reported as given.
	Change      string
	Direct, Dev bool
}

// Check reviews every request and returns the finalised report. Failures that keep a package from being
// reviewed become findings or report errors; Check itself only fails when ctx is done.
func (e *Engine) Check(ctx context.Context, reqs []Request) (*report.Report, error) {
	r := &report.Report{}
	for _, req := range reqs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, inScope, err := e.checkOne(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.Errors = append(r.Errors, report.Error{Package: req.Name + "@" + req.To, Message: err.Error()})
		}
		if inScope {
			r.Packages = append(r.Packages, p)
		}
	}
	r.Finalize()
	return r, nil
}

func (e *Engine) progress(format string, args ...any) {
	if e.cfg.Progress != nil {
		e.cfg.Progress(fmt.Sprintf(format, args...))
	}
}

// checkOne reviews one change and says whether it is in scope (an MCP server, or scope "all"). A returned
// error means the package could not be reviewed; the package it returns then carries an unverified finding
// saying so, so the verdict can never be pass.
func (e *Engine) checkOne(ctx context.Context, req Request) (report.Package, bool, error) {
	p, err := e.review(ctx, &req)
	// Packages of ecosystems not analysed yet are always listed (marked not-analysed), never dropped.
	return p, req.MCP || req.All || p.Ecosystem != EcosystemNPM, err
}

func (e *Engine) review(ctx context.Context, req *Request) (report.Package, error) {
	p := report.Package{Ecosystem: req.Ecosystem, Name: req.Name, From: req.From, To: req.To, MCP: req.MCP, Locations: req.Locations,
		Change: req.Change, Direct: req.Direct, Dev: req.Dev}
	p.Findings = append(p.Findings, req.Findings...)
	if p.Ecosystem == "" {
		p.Ecosystem = EcosystemNPM
	}
	add := func(f finding.Finding) { p.Findings = append(p.Findings, f) }
	if req.MCP && req.MCPReason != "" {
		add(finding.Finding{Rule: finding.RuleMCPServer, Severity: finding.Info, Message: "MCP server: " + req.MCPReason})
	}
	if p.Ecosystem == EcosystemPyPI && !req.MCP && e.cfg.PyPI != nil && req.To != "" {
		rel, err := e.cfg.PyPI.Release(ctx, req.Name, req.To)
		switch {
		case err != nil:
			add(finding.Finding{Rule: finding.RuleNotAnalysed, Severity: finding.Info,
				Message: fmt.Sprintf("whether %s %s is an MCP server could not be told: %v", req.Name, req.To, err)})
		case pypi.MCPReason(rel) != "":
			req.MCP, p.MCP = true, true
			add(finding.Finding{Rule: finding.RuleMCPServer, Severity: finding.Info, Message: "MCP server: " + pypi.MCPReason(rel)})
		}
	}
	if p.Ecosystem != EcosystemNPM {
		f := finding.New(finding.RuleNotAnalysed, fmt.Sprintf("%s packages are listed but not analysed yet: %s %s was not compared with its source", p.Ecosystem, req.Name, req.To))
		if req.MCP {
			f.Severity, f.Unverified = finding.Block, true // an MCP server nobody checked is never a pass
		}
		add(f)
		return p, nil
	}
	if req.To == "" {
		return p, nil // removed: nothing new runs
	}
	fail := func(err error) (report.Package, error) {
		add(finding.New(finding.RuleNotVerified, "the package could not be reviewed: "+err.Error()))
		return p, err
	}

	e.progress("%s: fetching packument", req.Name)
	pack, err := e.cfg.Registry.Packument(ctx, req.Name)
	if errors.Is(err, registry.ErrNotFound) {
		add(finding.New(finding.RuleNotFound, fmt.Sprintf("%s is not in the registry", req.Name)))
		return p, nil
	}
	if err != nil {
		return fail(err)
	}
	to, how := resolveVersion(pack, req.To)
	if to == "" {
		add(finding.New(finding.RuleNotFound, fmt.Sprintf("%s has no version %s in the registry", req.Name, req.To)))
		return p, nil
	}
	if how != "" {
		add(finding.Finding{Rule: finding.RuleResolvedVersion, Severity: finding.Info,
			Message: fmt.Sprintf("%s %q resolves to %s today (%s); that is what was reviewed", req.Name, req.To, to, how)})
		p.To, req.To = to, to
	}
	m := pack.Versions[to]
	if !req.MCP {
		if why := mcpReason(m); why != "" {
			req.MCP, p.MCP = true, true
			add(finding.Finding{Rule: finding.RuleMCPServer, Severity: finding.Info, Message: "MCP server: " + why})
		} else if !req.All {
			return p, nil // out of scope: not reviewed further
		}
	}
	if req.From != "" {
		if _, ok := pack.Versions[req.From]; !ok {
			f := finding.New(finding.RuleNotFound, fmt.Sprintf("%s has no version %s (the version changed from) in the registry", req.Name, req.From))
			f.Severity = finding.Info
			f.Unverified = false
			add(f)
		}
	}

	e.progress("%s@%s: downloading tarball", req.Name, req.To)
	tgz, err := e.cfg.Registry.Tarball(ctx, m)
	var ie *registry.IntegrityError
	if errors.As(err, &ie) {
		f := finding.New(finding.RuleIntegrityMismatch, fmt.Sprintf(
			"the tarball served for %s@%s does not match the registry's %s digest", req.Name, req.To, ie.Algorithm))
		f.Evidence = fmt.Sprintf("dist.integrity %s-%s; downloaded bytes hash to %s-%s", ie.Algorithm, ie.Expected, ie.Algorithm, ie.Actual)
		add(f)
		return p, nil
	}
	if err != nil {
		return fail(err)
	}
	pkg, err := archive.ReadTarGz(bytes.NewReader(tgz), e.cfg.Limits)
	if err != nil {
		f := finding.New(finding.RuleUnsafeArchive, fmt.Sprintf("the tarball of %s@%s cannot be read safely: %v", req.Name, req.To, err))
		f.Evidence = "dist.integrity " + m.Dist.Integrity
		add(f)
		return p, nil
	}
	for i, pr := range pkg.Problems {
		if i == MaxArchiveProblems {
			add(finding.New(finding.RuleUnsafeArchive, fmt.Sprintf("%d more unsafe tarball entries", len(pkg.Problems)-i)))
			break
		}
		f := finding.New(finding.RuleUnsafeArchive, fmt.Sprintf("tarball entry %q: %s (%s)", pr.Path, pr.Kind, pr.Detail))
		add(f)
	}

	changes := e.signals(ctx, req, pack, m, pkg, add)
	att := e.attest(ctx, m, tgz, add)

	up, res, notes, err := e.upstream(ctx, *req, m, pkg, att.commit())
	if err != nil {
		if ctx.Err() != nil {
			return p, ctx.Err()
		}
		add(finding.New(finding.RuleNoUpstream, err.Error()))
		return p, nil
	}
	defer up.repo.Close()
	p.Upstream = &report.Upstream{
		Repo:         up.claim.String(),
		Directory:    res.Directory,
		Commit:       res.Commit,
		ResolvedBy:   res.ResolvedBy,
		Claim:        up.claim.Source,
		FilesMatched: res.FilesMatched,
		FilesTotal:   res.FilesTotal,
		Notes:        append(notes, res.Notes...),
	}
	att.apply(p.Upstream, up.claim, res, add)
	if e.cfg.Identity != nil {
		id, err := e.cfg.Identity.Lookup(ctx, up.claim)
		switch {
		case err == nil:
			for _, f := range source.IdentityFindings(id, e.cfg.Now()) {
				add(f)
			}
		case errors.Is(err, source.ErrUnsupportedHost):
		default:
			add(finding.Finding{Rule: source.RuleIdentityUnknown, Severity: finding.Info,
				Message: fmt.Sprintf("%s could not say whether %s is a fork, archived or new, so that was not checked: %v", up.claim.Host, up.claim.String(), err)})
		}
	}
	e.scorecard(ctx, req, up.claim, up.repo, res.Commit, p.Upstream, add)
	if up.claim.Inferred {
		f := finding.New(finding.RuleUnclaimedSource, fmt.Sprintf(
			"%s@%s names no repository; compared with %s, found in its %s", req.Name, req.To, up.claim.String(), up.claim.Source))
		add(f)
	}
	if m.GitHead != "" && res.ResolvedBy != "gitHead" && res.ResolvedBy != ResolvedByProvenance {
		f := finding.New(finding.RuleGitHeadMissing, fmt.Sprintf(
			"the published gitHead %s is not a commit of %s: the package was built from a commit that was never pushed, or from another repository", m.GitHead, up.claim.String()))
		f.Evidence = "packument versions[" + req.To + "].gitHead"
		add(f)
	}

	e.progress("%s@%s: comparing %d files with %s@%s", req.Name, req.To, len(pkg.Files), up.claim.String(), report.ShortCommit(res.Commit))
	cmp, err := compare.Published(ctx, compare.Input{Files: pkg.Files, Repo: up.repo, Dir: res.Directory, Commit: res.Commit})
	if err != nil {
		return fail(fmt.Errorf("compare with %s@%s: %w", up.claim.String(), report.ShortCommit(res.Commit), err))
	}
	stats := cmp.Stats
	p.Files = &stats
	p.Upstream.Notes = append(p.Upstream.Notes, cmp.Notes...)
	for _, f := range cmp.Findings {
		add(f)
	}
	if err := e.explainBundles(ctx, bundleCheck{req: req, pack: pack, changes: changes, cmp: cmp, up: up, res: res}, &p); err != nil {
		return p, err
	}
	return p, nil
}

// signals adds what a careful reviewer checks beyond the source: known advisories, the version's age, what
// changed since the previous version, and who published it. It returns what changed, for explainBundles.
func (e *Engine) signals(ctx context.Context, req *Request, pack *registry.Packument, m *registry.Manifest, pkg *archive.Package, add func(finding.Finding)) *signals.Changes {
	if e.cfg.OSV != nil {
		vulns, err := e.cfg.OSV.Query(ctx, "npm", req.Name, req.To)
		for _, f := range osv.Findings(vulns) { // what was read before a failure still counts
			add(f)
		}
		if err != nil {
			add(osv.Unavailable(err))
		}
	}
	if req.MCP {
		if t, err := time.Parse(time.RFC3339, pack.Time[req.To]); err == nil {
			if f := osv.TooNew(t, e.cfg.Now(), e.cfg.MinAge); f != nil {
				add(*f)
			}
		}
	}
	var fromPkg *archive.Package
	if fm, ok := pack.Versions[req.From]; ok && req.From != "" {
		if a, b := claimOf(fm), claimOf(m); a != b {
			add(finding.New(finding.RuleRepositoryChanged, fmt.Sprintf("the claimed repository changed from %s (%s) to %s (%s)", orNone(a), req.From, orNone(b), req.To)))
		}
		for _, f := range signals.Publish(fm, m) {
			add(f)
		}
		e.progress("%s@%s: downloading tarball", req.Name, req.From)
		tgz, err := e.cfg.Registry.Tarball(ctx, fm)
		if err == nil {
			fromPkg, err = archive.ReadTarGz(bytes.NewReader(tgz), e.cfg.Limits)
		}
		if err != nil {
			add(finding.Finding{Rule: finding.RuleNotVerified, Severity: finding.Warn, Unverified: true,
				Message: fmt.Sprintf("the previous version %s could not be read, so what changed since it is unknown: %v", req.From, err)})
		}
	}
	changes := signals.DeltaChanges(fromPkg, pkg)
	for _, f := range changes.Findings {
		add(f)
	}
	return changes
}

// claimOf is the repository a manifest claims, normalised ("" when none or unreadable).
func claimOf(m *registry.Manifest) string {
	if len(m.Repository) == 0 || string(m.Repository) == "null" {
		return ""
	}
	c, err := source.ParseRepository(m.Repository)
	if err != nil {
		return string(m.Repository)
	}
	return strings.ToLower(c.String() + "/" + c.Directory)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strings.TrimSuffix(s, "/")
}

type upstream struct {
	claim source.Claim
	repo  *source.Repo
}

// upstream finds, fetches and resolves the repository to compare with: the claimed one, else the best of the
// candidates inferred from homepage, bugs and README.
//
// attested, when not "", is the commit verified provenance binds the tarball to: it is resolved in place of
// the gitHead, so it wins over gitHead and tags.
func (e *Engine) upstream(ctx context.Context, req Request, m *registry.Manifest, pkg *archive.Package, attested string) (*upstream, *source.Resolution, []string, error) {
	var claims []source.Claim
	var notes []string
	if len(m.Repository) > 0 && string(m.Repository) != "null" {
		c, err := source.ParseRepository(m.Repository)
		if err != nil {
			notes = append(notes, fmt.Sprintf("the repository field cannot be used: %v", err))
		} else {
			claims = append(claims, c)
		}
	}
	if len(claims) == 0 {
		var readme []byte
		for _, f := range pkg.Files {
			if strings.EqualFold(strings.TrimSuffix(f.Path, ".md"), "readme") || strings.EqualFold(f.Path, "README") {
				readme = f.Data
				break
			}
		}
		claims = source.InferCandidates(m.Homepage, m.Bugs, readme)
	}
	if len(claims) == 0 {
		return nil, nil, nil, fmt.Errorf("%s@%s names no repository and none could be inferred from its homepage, bugs URL or README: nothing to compare with", req.Name, req.To)
	}
	rr := resolveRequest(m, pkg)
	if attested != "" {
		rr.GitHead = attested
	}
	var best *upstream
	var bestRes *source.Resolution
	var failures []string
	for _, c := range claims {
		e.progress("%s@%s: fetching %s", req.Name, req.To, c.String())
		repo, err := e.cfg.Fetcher.Open(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, nil, ctx.Err()
			}
			failures = append(failures, fmt.Sprintf("%s (%s): %v", c.String(), c.Source, err))
			continue
		}
		rr.Directory = c.Directory
		res, err := source.Resolve(ctx, repo, rr)
		if err == nil && attested != "" && res.ResolvedBy != "gitHead" && m.GitHead != "" && !strings.EqualFold(m.GitHead, attested) {
			// The attested commit is not in the repository: the published gitHead is the next best evidence.
			alt := rr
			alt.GitHead = m.GitHead
			if r2, err2 := source.Resolve(ctx, repo, alt); err2 == nil && r2.ResolvedBy == "gitHead" {
				res = r2
			}
		}
		if err != nil {
			repo.Close()
			failures = append(failures, fmt.Sprintf("%s: %v", c.String(), err))
			continue
		}
		if bestRes == nil || res.FilesMatched > bestRes.FilesMatched {
			if best != nil {
				best.repo.Close()
			}
			best, bestRes = &upstream{claim: c, repo: repo}, res
		} else {
			repo.Close()
		}
		if !c.Inferred {
			break
		}
	}
	if best == nil {
		sort.Strings(failures)
		return nil, nil, nil, fmt.Errorf("no upstream repository could be fetched, so nothing was verified: %s", strings.Join(failures, "; "))
	}
	return best, bestRes, append(notes, failures...), nil
}

// resolveRequest asks source.Resolve for the upstream commit of the published version m, whose tarball
// holds pkg: its files by blob id, and their contents for the tie-break.
func resolveRequest(m *registry.Manifest, pkg *archive.Package) source.ResolveRequest {
	files := make(map[string]string, len(pkg.Files))
	for _, f := range pkg.Files {
		files[f.Path] = source.BlobID(f.Data)
	}
	readFile := func(p string) ([]byte, error) {
		if f, ok := pkg.File(p); ok {
			return f.Data, nil
		}
		return nil, fs.ErrNotExist
	}
	return source.ResolveRequest{Name: m.Name, Version: m.Version, GitHead: m.GitHead, Files: files, ReadFile: readFile}
}
