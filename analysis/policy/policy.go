// Package policy reads mcpvet's configuration file, .github/mcpvet.yml, and applies it to a report: which
// dependencies are in scope, per-rule severities, the verdict knobs (MCP servers fail closed, other
// dependencies warn), Scorecard minimums, and scoped, justified, expiring exceptions.
//
// The file is always read from the pull request's base, never its head, so a pull request cannot weaken its
// own review; callers pass the base tree's bytes. It must not import app/, action/ or any GitHub client.
package policy

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"deps.dev/util/semver"
	"github.com/goccy/go-yaml"
	yamlast "github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/osv"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/rules"
	"github.com/mcpvet/mcpvet/analysis/scorecard"
)

// Path is where the policy lives in the reviewed repository.
const Path = ".github/mcpvet.yml"

// Limits on the policy file (it is the base branch's, but still parsed defensively).
const (
	MaxSize       = 1 << 20
	MaxExceptions = 1000
)

// Scopes.
const (
	ScopeMCP = "mcp" // only MCP servers are reviewed (default)
	ScopeAll = "all" // every dependency change is reviewed
)

// Config is a parsed policy.
type Config struct {
	Scope string
	// Rules overrides default severities; "" turns a rule off. A severity set here is final: the verdict
	// knobs below do not change it.
	Rules map[string]finding.Severity
	// Unverified is what a finding that says "could not verify" does to an MCP server: finding.Block (the
	// default: MCP servers fail closed, so such a finding blocks even when its rule defaults to warn) or
	// finding.Warn (such findings warn, never block).
	Unverified finding.Severity
	// NonMCP caps the findings of dependencies that are not MCP servers (reviewed under scope "all"):
	// finding.Warn (the default: a finding that would block warns instead, except publish/known-malicious)
	// or finding.Block (findings keep their severity).
	NonMCP finding.Severity
	// Scorecard holds the Scorecard minimums (overall and per check). The zero value has none; a
	// Dangerous-Workflow score of 0 is reported by its own rule whatever the minimums say.
	Scorecard  scorecard.Policy
	Exceptions []Exception
	// Source names where the policy came from ("defaults" or the file).
	Source string
}

// Exception waives rules for some versions of one package, for a reason, until a date.
type Exception struct {
	Package  string
	Versions string // npm range; "" = every version
	Rules    []string
	Reason   string
	Expires  time.Time
	Line     int

	constraint *semver.Constraint
}

// Default is the policy when the repository has none.
func Default() *Config {
	return &Config{Scope: ScopeMCP, Rules: map[string]finding.Severity{}, Unverified: finding.Block, NonMCP: finding.Warn, Source: "defaults"}
}

type file struct {
	Scope      string            `yaml:"scope"`
	Rules      map[string]string `yaml:"rules"`
	Unverified string            `yaml:"unverified"`
	NonMCP     string            `yaml:"non-mcp"`
	Scorecard  *struct {
		Overall *minimum           `yaml:"overall"`
		Checks  map[string]minimum `yaml:"checks"`
	} `yaml:"scorecard"`
	Exceptions []struct {
		Package  string   `yaml:"package"`
		Versions string   `yaml:"versions"`
		Rules    []string `yaml:"rules"`
		Reason   string   `yaml:"reason"`
		Expires  string   `yaml:"expires"`
	} `yaml:"exceptions"`
}

// minimum is a Scorecard minimum as the file spells it: {minimum: 5, severity: block}.
type minimum struct {
	Minimum  *float64 `yaml:"minimum"`
	Severity string   `yaml:"severity"`
}

// Parse reads a policy file. Errors name the file and the line.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes; a policy file may have at most %d", name, len(data), MaxSize)
	}
	var f file
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField()) // duplicate keys are errors by default
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%s:%s", name, yamlError(err))
		}
	}
	ast, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s:%s", name, yamlError(err))
	}
	line := func(path string) int {
		p, err := yaml.PathString(path)
		if err != nil {
			return 0
		}
		n, err := p.FilterFile(ast)
		if err != nil || n == nil || n.GetToken() == nil {
			return 0
		}
		return n.GetToken().Position.Line
	}
	// keyLine is the line of key in the mapping at path (line(path) when it cannot be told).
	keyLine := func(path, key string) int {
		if p, err := yaml.PathString(path); err == nil {
			n, _ := p.FilterFile(ast)
			var values []*yamlast.MappingValueNode
			switch m := n.(type) {
			case *yamlast.MappingNode:
				values = m.Values
			case *yamlast.MappingValueNode:
				values = []*yamlast.MappingValueNode{m}
			}
			for _, v := range values {
				if t := v.Key.GetToken(); t != nil && t.Value == key {
					return t.Position.Line
				}
			}
		}
		return line(path)
	}
	fail := func(path, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line(path), fmt.Sprintf(format, args...))
	}
	failAt := func(lineNo int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, lineNo, fmt.Sprintf(format, args...))
	}
	c := Default()
	c.Source = name
	switch f.Scope {
	case "", ScopeMCP:
	case ScopeAll:
		c.Scope = ScopeAll
	default:
		return nil, fail("$.scope", "scope %q: want mcp or all", f.Scope)
	}
	for id, sev := range f.Rules {
		if _, ok := rules.Lookup(id); !ok {
			return nil, fail("$.rules", "unknown rule %q (docs/rules.md lists them)", id)
		}
		s, err := finding.ParseSeverity(sev)
		if err != nil {
			return nil, fail("$.rules", "rule %s: %v", id, err)
		}
		c.Rules[id] = s
	}
	for _, knob := range []struct {
		key, value string
		into       *finding.Severity
	}{{"unverified", f.Unverified, &c.Unverified}, {"non-mcp", f.NonMCP, &c.NonMCP}} {
		switch finding.Severity(knob.value) {
		case "":
		case finding.Block, finding.Warn:
			*knob.into = finding.Severity(knob.value)
		default:
			return nil, fail("$."+knob.key, "%s %q: want block or warn", knob.key, knob.value)
		}
	}
	if sc := f.Scorecard; sc != nil {
		if sc.Overall != nil {
			at := keyLine("$.scorecard", "overall")
			m, err := sc.Overall.parse()
			if err != nil {
				return nil, failAt(at, "scorecard.overall: %v", err)
			}
			m.Where = fmt.Sprintf("%s line %d", name, at)
			c.Scorecard.Overall = &m
		}
		checks := make([]string, 0, len(sc.Checks))
		for check := range sc.Checks {
			checks = append(checks, check)
		}
		sort.Strings(checks) // errors do not depend on map order
		for _, check := range checks {
			at := keyLine("$.scorecard.checks", check)
			canon, ok := scorecard.CanonicalCheck(check)
			if !ok {
				return nil, failAt(at, "unknown Scorecard check %q (want one of %s)", check, strings.Join(scorecard.CheckNames(), ", "))
			}
			if _, dup := c.Scorecard.Checks[canon]; dup {
				return nil, failAt(at, "Scorecard check %s has two minimums", canon)
			}
			m, err := sc.Checks[check].parse()
			if err != nil {
				return nil, failAt(at, "scorecard check %s: %v", canon, err)
			}
			m.Where = fmt.Sprintf("%s line %d", name, at)
			if c.Scorecard.Checks == nil {
				c.Scorecard.Checks = map[string]scorecard.Minimum{}
			}
			c.Scorecard.Checks[canon] = m
		}
	}
	if len(f.Exceptions) > MaxExceptions {
		return nil, fail("$.exceptions", "%d exceptions; at most %d", len(f.Exceptions), MaxExceptions)
	}
	for i, e := range f.Exceptions {
		at := fmt.Sprintf("$.exceptions[%d]", i)
		x := Exception{Package: e.Package, Versions: e.Versions, Rules: e.Rules, Reason: strings.TrimSpace(e.Reason), Line: line(at + ".package")}
		if x.Package == "" {
			return nil, fail(at, "exception without a package")
		}
		if x.Reason == "" {
			return nil, fail(at+".package", "exception for %s has no reason", x.Package)
		}
		if e.Expires == "" {
			return nil, fail(at+".package", "exception for %s has no expires date (YYYY-MM-DD)", x.Package)
		}
		t, err := time.Parse(time.DateOnly, e.Expires)
		if err != nil {
			return nil, fail(at+".expires", "exception for %s: expires %q: want YYYY-MM-DD", x.Package, e.Expires)
		}
		x.Expires = t.Add(24*time.Hour - time.Nanosecond) // valid through the whole day
		if x.Versions != "" {
			con, err := semver.NPM.ParseConstraint(x.Versions)
			if err != nil {
				return nil, fail(at+".versions", "exception for %s: versions %q is not an npm range: %v", x.Package, x.Versions, err)
			}
			x.constraint = con
		}
		for _, r := range x.Rules {
			if _, ok := rules.Lookup(r); !ok {
				return nil, fail(at+".rules", "exception for %s: unknown rule %q", x.Package, r)
			}
		}
		c.Exceptions = append(c.Exceptions, x)
	}
	return c, nil
}

// parse validates a minimum: a score in 0…10 and a severity (block, warn or info; warn when absent).
func (m minimum) parse() (scorecard.Minimum, error) {
	if m.Minimum == nil {
		return scorecard.Minimum{}, fmt.Errorf("no minimum (want {minimum: 0…10, severity: block|warn|info})")
	}
	if *m.Minimum < 0 || *m.Minimum > scorecard.MaxScore {
		return scorecard.Minimum{}, fmt.Errorf("minimum %v: want a score from 0 to %d", *m.Minimum, scorecard.MaxScore)
	}
	out := scorecard.Minimum{Score: *m.Minimum, Severity: scorecard.DefaultSeverity}
	if m.Severity != "" {
		s, err := finding.ParseSeverity(m.Severity)
		if err != nil || s == "" {
			return scorecard.Minimum{}, fmt.Errorf("severity %q: want block, warn or info", m.Severity)
		}
		out.Severity = s
	}
	return out, nil
}

// yamlError keeps go-yaml's "[line:col] message" but drops its source excerpt.
func yamlError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	if strings.HasPrefix(msg, "[") {
		if end := strings.Index(msg, "]"); end > 0 {
			pos := msg[1:end]
			lineNo, _, _ := strings.Cut(pos, ":")
			return lineNo + ": " + strings.TrimSpace(msg[end+1:])
		}
	}
	return " " + msg
}

// knobs applies the verdict knobs to a finding whose severity the policy does not set: an MCP server that
// could not be verified fails closed (or warns, with unverified: warn); a dependency that is not an MCP
// server warns where it would block (unless non-mcp: block), except for a known-malicious version.
func (c *Config) knobs(mcp bool, f finding.Finding) finding.Finding {
	if f.Severity != finding.Block && f.Severity != finding.Warn {
		return f
	}
	unverified, nonMCP := c.Unverified, c.NonMCP
	if unverified == "" {
		unverified = finding.Block
	}
	if nonMCP == "" {
		nonMCP = finding.Warn
	}
	switch {
	case mcp && f.Unverified && unverified == finding.Block && f.Severity == finding.Warn:
		f.Severity = finding.Block
		f.Message += " — block, not warn: an MCP server that could not be verified fails closed (policy unverified: block)"
	case mcp && f.Unverified && unverified == finding.Warn && f.Severity == finding.Block:
		f.Severity = finding.Warn
		f.Message += " — warn, not block: the policy says unverified: warn"
	case !mcp && nonMCP == finding.Warn && f.Severity == finding.Block && f.Rule != osv.RuleKnownMalicious:
		f.Severity = finding.Warn
		f.Message += " — warn, not block: not an MCP server (policy non-mcp: warn)"
	}
	return f
}

// Severity returns the effective severity of a rule: the policy's override, else its default.
func (c *Config) Severity(rule string, def finding.Severity) finding.Severity {
	if s, ok := c.Rules[rule]; ok {
		return s
	}
	return def
}

// matches reports whether e covers version of pkg.
func (e *Exception) matches(pkg, version string) bool {
	if e.Package != pkg {
		return false
	}
	return e.constraint == nil || e.constraint.Match(version)
}

func (e *Exception) coversRule(rule string) bool {
	if len(e.Rules) == 0 {
		return true
	}
	for _, r := range e.Rules {
		if r == rule {
			return true
		}
	}
	return false
}

// Apply sets every finding's severity from the policy — the rule's severity in `rules:` when set, else the
// verdict knobs (unverified, non-mcp) — waives what live exceptions cover, reports expired exceptions that
// would have matched, and re-finalises the report.
func (c *Config) Apply(r *report.Report, now time.Time) {
	for i := range r.Packages {
		p := &r.Packages[i]
		var out []finding.Finding
		expired := map[int]bool{}
		for _, f := range p.Findings {
			if s, ok := c.Rules[f.Rule]; ok {
				if s == "" {
					continue // turned off
				}
				f.Severity = s
			} else {
				f = c.knobs(p.MCP, f)
			}
			for j := range c.Exceptions {
				e := &c.Exceptions[j]
				if !e.matches(p.Name, p.To) || !e.coversRule(f.Rule) || f.Severity == finding.Info {
					continue
				}
				if now.After(e.Expires) {
					expired[j] = true
					continue
				}
				f.Message += fmt.Sprintf(" — waived by %s line %d until %s: %s (was %s)", c.Source, e.Line, e.Expires.Format(time.DateOnly), e.Reason, f.Severity)
				f.Severity = finding.Info
				f.Unverified = false
				break
			}
			out = append(out, f)
		}
		for j := range expired {
			e := &c.Exceptions[j]
			out = append(out, finding.Finding{Rule: finding.RuleExpiredException, Severity: c.Severity(finding.RuleExpiredException, finding.Warn),
				Message: fmt.Sprintf("the exception for %s in %s line %d expired on %s and was ignored (%s)", e.Package, c.Source, e.Line, e.Expires.Format(time.DateOnly), e.Reason)})
		}
		p.Findings = out
	}
	r.Finalize()
}
