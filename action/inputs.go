package action

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/mcpvet/mcpvet/analysis/policy"
)

// The Action's inputs, as action.yml declares them. The runner passes each as INPUT_<NAME> with the name
// upper-cased (INPUT_GITHUB-TOKEN, INPUT_FAIL-ON, …).
const (
	InputGitHubToken = "github-token"
	InputConfigFile  = "config-file"
	InputFailOn      = "fail-on"
	InputScope       = "scope"
	InputComment     = "comment"
	InputRegistryURL = "registry-url"
	InputScorecard   = "scorecard"
	InputBaseRef     = "base-ref"
	InputHeadRef     = "head-ref"
)

// The Action's outputs, as action.yml declares them.
const (
	OutputVerdict      = "verdict"
	OutputBlockedCount = "blocked-count"
	OutputReportJSON   = "report-json"
	OutputSARIF        = "sarif"
)

// MaxInputLength bounds every input's value, in bytes. Inputs come from a workflow file, which a pull request
// can edit; none of ours is legitimately longer than a URL or a path (tokens are well under it too).
const MaxInputLength = 4096

// FailOn says which verdicts fail the step.
type FailOn string

// Values of the fail-on input.
const (
	FailOnBlock FailOn = "block" // fail on a blocking finding (the default)
	FailOnWarn  FailOn = "warn"  // fail on a warning too
	FailOnNever FailOn = "never" // findings never fail the step; errors still do
)

// CommentMode says where the report is posted besides annotations and outputs.
type CommentMode string

// Values of the comment input.
const (
	CommentReview  CommentMode = "review"  // a pull request review with line comments, plus the job summary
	CommentComment CommentMode = "comment" // one conversation comment, updated in place, plus the job summary
	CommentSummary CommentMode = "summary" // the job summary only
	CommentNone    CommentMode = "none"    // nothing but annotations, outputs and files
)

// Inputs are the Action's validated inputs.
type Inputs struct {
	// Token authenticates GitHub API calls; it never appears in logs, errors or reports.
	Token string
	// ConfigFile is the policy's path in the base commit: relative, slash-separated, no "..".
	ConfigFile string
	FailOn     FailOn
	// Scope is "" (the base policy's) or policy.ScopeAll; policy.ScopeMCP is accepted and means "".
	Scope       string
	Comment     CommentMode
	RegistryURL string
	Scorecard   bool
	// BaseRef and HeadRef name the revisions for non-pull-request events.
	BaseRef, HeadRef string
}

// ErrInput marks an invalid input (exit code 2).
var ErrInput = errors.New("invalid input")

// ReadInputs reads and validates the inputs from the environment the runner sets.
func ReadInputs(getenv func(string) string) (Inputs, error) {
	gha := githubactions.New(githubactions.WithGetenv(getenv))
	var errs []error
	get := func(name string) string {
		v := gha.GetInput(name)
		if len(v) > MaxInputLength {
			errs = append(errs, fmt.Errorf("%w: %s is %d bytes long; at most %d", ErrInput, name, len(v), MaxInputLength))
			return ""
		}
		return v
	}
	in := Inputs{
		Token:       get(InputGitHubToken),
		ConfigFile:  get(InputConfigFile),
		FailOn:      FailOn(strings.ToLower(get(InputFailOn))),
		Scope:       strings.ToLower(get(InputScope)),
		Comment:     CommentMode(strings.ToLower(get(InputComment))),
		RegistryURL: get(InputRegistryURL),
		BaseRef:     get(InputBaseRef),
		HeadRef:     get(InputHeadRef),
	}
	scorecard := strings.ToLower(get(InputScorecard))
	if in.ConfigFile == "" {
		in.ConfigFile = policy.Path
	}
	if err := checkConfigPath(in.ConfigFile); err != nil {
		errs = append(errs, err)
	}
	switch in.FailOn {
	case "":
		in.FailOn = FailOnBlock
	case FailOnBlock, FailOnWarn, FailOnNever:
	default:
		errs = append(errs, fmt.Errorf("%w: fail-on %q: want block, warn or never", ErrInput, in.FailOn))
	}
	switch in.Scope {
	case "", policy.ScopeMCP:
		in.Scope = ""
	case policy.ScopeAll:
	default:
		errs = append(errs, fmt.Errorf("%w: scope %q: want mcp or all", ErrInput, in.Scope))
	}
	switch in.Comment {
	case "":
		in.Comment = CommentReview
	case CommentReview, CommentComment, CommentSummary, CommentNone:
	default:
		errs = append(errs, fmt.Errorf("%w: comment %q: want review, comment, summary or none", ErrInput, in.Comment))
	}
	switch scorecard {
	case "", "on", "true":
		in.Scorecard = true
	case "off", "false":
	default:
		errs = append(errs, fmt.Errorf("%w: scorecard %q: want on or off", ErrInput, scorecard))
	}
	if in.RegistryURL != "" {
		u, err := url.Parse(in.RegistryURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			errs = append(errs, fmt.Errorf("%w: registry-url: want an http(s) URL without credentials", ErrInput))
		}
	}
	for _, r := range [...]struct{ name, ref string }{{InputBaseRef, in.BaseRef}, {InputHeadRef, in.HeadRef}} {
		if r.ref != "" && !validRef(r.ref) {
			errs = append(errs, fmt.Errorf("%w: %s %q: not a commit id, branch or tag name", ErrInput, r.name, r.ref))
		}
	}
	return in, errors.Join(errs...)
}

// checkConfigPath accepts a relative, slash-separated path inside the repository.
func checkConfigPath(p string) error {
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) || path.Clean(p) != p || p == "." ||
		p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("%w: config-file %q: want a relative path inside the repository, like %s", ErrInput, p, policy.Path)
	}
	return nil
}

// validRef accepts what git accepts as a revision name that cannot be an option or a range: commit ids,
// branch and tag names (refs/… included).
func validRef(ref string) bool {
	if ref == "" || strings.HasPrefix(ref, "-") || strings.Contains(ref, "..") || strings.HasSuffix(ref, ".lock") ||
		strings.HasSuffix(ref, "/") || strings.HasSuffix(ref, ".") || strings.Contains(ref, "@{") || strings.Contains(ref, "//") {
		return false
	}
	for _, c := range ref {
		if c <= ' ' || c == 0x7f || strings.ContainsRune("~^:?*[\\", c) {
			return false
		}
	}
	return true
}
