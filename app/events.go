package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Webhook event names mcpvet acts on (X-GitHub-Event).
const (
	eventPullRequest       = "pull_request"
	eventCheckRun          = "check_run"
	eventCheckSuite        = "check_suite"
	eventInstallation      = "installation"
	eventInstallationRepos = "installation_repositories"
	eventPing              = "ping"
)

// Limits on what one delivery may ask for.
const (
	// MaxUnitsPerDelivery bounds the units of work one delivery enqueues (a check suite may list many
	// pull requests, a fork head may be the head of several); the rest are dropped and logged.
	MaxUnitsPerDelivery = 10
	// MaxInstallationRepos bounds the repositories one installation event records.
	MaxInstallationRepos = 1000
	// MaxNameLen bounds an owner or repository name (GitHub's own limit is 100 for repositories, 39
	// for owners).
	MaxNameLen = 100
)

// trigger says why a unit of work is wanted, which decides how it is deduplicated.
type trigger int

const (
	// triggerAuto: a pull request head appeared (opened, synchronize, reopened, ready_for_review,
	// check_suite requested). Deduplicated against every job of the same head, finished ones included:
	// one review per (repository, PR, head SHA).
	triggerAuto trigger = iota + 1
	// triggerRerun: someone asked again (check_run / check_suite rerequested, the base branch changed).
	// Runs again unless a job for the same head is still queued or running.
	triggerRerun
)

// unit is one wanted review, as planned from a payload (before the database resolves fork heads).
type unit struct {
	InstallationID int64
	RepoID         int64
	Owner, Repo    string
	Number         int // 0: resolve HeadSHA to pull requests through the head map (fork heads in check events)
	HeadSHA        string
	CheckRunID     int64
	Trigger        trigger
	// Authoritative is true for pull_request events, which state the PR's head; check events only
	// name a commit, and never move a PR's recorded head (a stale one is skipped).
	Authoritative bool
}

// prRef names one pull request.
type prRef struct {
	InstallationID int64
	RepoID         int64
	Owner, Repo    string
	Number         int
}

// installationRecord is what installation and installation_repositories events record.
type installationRecord struct {
	ID      int64
	Account string
	Action  string
	Added   []repoRef
	Removed []repoRef
}

type repoRef struct {
	ID       int64
	FullName string
}

// plan is what a verified, parsed delivery asks the store to do, in one transaction.
type plan struct {
	Event, Action  string
	InstallationID int64
	Repo           string // owner/name, for the delivery row and logs ("" for installation events)
	Units          []unit
	Close          *prRef // pull_request closed: cancel its work
	Installation   *installationRecord
	Dropped        int // units over MaxUnitsPerDelivery
}

// errIgnore says a delivery is well-formed but not something mcpvet acts on (answered 204).
var errIgnore = errors.New("ignored event")

// errPayload wraps a payload mcpvet cannot use (answered 400).
type errPayload struct{ msg string }

func (e *errPayload) Error() string { return "payload: " + e.msg }

func badPayload(format string, args ...any) error { return &errPayload{fmt.Sprintf(format, args...)} }

// handledEvent reports whether mcpvet acts on some actions of event; others are answered 204
// without being parsed.
func handledEvent(event string) bool {
	switch event {
	case eventPullRequest, eventCheckRun, eventCheckSuite, eventInstallation, eventInstallationRepos:
		return true
	}
	return false
}

// planDelivery turns a parsed payload into a plan. appID (0: unknown) filters check_run events to
// mcpvet's own check runs. It returns errIgnore for actions mcpvet does not act on and *errPayload for
// payloads missing what the action needs.
func planDelivery(event string, payload any, appID int64) (*plan, error) {
	switch ev := payload.(type) {
	case *github.PullRequestEvent:
		return planPullRequest(ev)
	case *github.CheckRunEvent:
		return planCheckRun(ev, appID)
	case *github.CheckSuiteEvent:
		return planCheckSuite(ev)
	case *github.InstallationEvent:
		return planInstallation(ev)
	case *github.InstallationRepositoriesEvent:
		return planInstallationRepos(ev)
	}
	return nil, errIgnore
}

func planPullRequest(ev *github.PullRequestEvent) (*plan, error) {
	action := ev.GetAction()
	var trig trigger
	switch action {
	case "opened", "synchronize", "reopened", "ready_for_review":
		trig = triggerAuto
	case "edited":
		if ev.GetChanges().GetBase() == nil { // title or body edits change nothing mcpvet looks at
			return nil, errIgnore
		}
		trig = triggerRerun
	case "closed":
	default:
		return nil, errIgnore
	}
	repo, err := repoOf(ev.GetRepo(), ev.GetInstallation())
	if err != nil {
		return nil, err
	}
	pr := ev.GetPullRequest()
	number := pr.GetNumber()
	if number == 0 {
		number = ev.GetNumber()
	}
	if number <= 0 || number > maxPRNumber {
		return nil, badPayload("pull request number %d", number)
	}
	p := &plan{Event: eventPullRequest, Action: action, InstallationID: repo.InstallationID, Repo: repo.Owner + "/" + repo.Repo}
	if action == "closed" {
		ref := repo
		ref.Number = number
		p.Close = &ref
		return p, nil
	}
	sha := pr.GetHead().GetSHA()
	if !validSHA(sha) {
		return nil, badPayload("pull_request.head.sha %q is not a commit id", truncate(sha, 80))
	}
	p.Units = []unit{{
		InstallationID: repo.InstallationID, RepoID: repo.RepoID, Owner: repo.Owner, Repo: repo.Repo,
		Number: number, HeadSHA: sha, Trigger: trig, Authoritative: true,
	}}
	return p, nil
}

func planCheckRun(ev *github.CheckRunEvent, appID int64) (*plan, error) {
	action := ev.GetAction()
	if action != "rerequested" {
		return nil, errIgnore
	}
	run := ev.GetCheckRun()
	if appID != 0 && run.GetApp().GetID() != 0 && run.GetApp().GetID() != appID {
		return nil, errIgnore // another App's check run
	}
	repo, err := repoOf(ev.GetRepo(), ev.GetInstallation())
	if err != nil {
		return nil, err
	}
	p := &plan{Event: eventCheckRun, Action: action, InstallationID: repo.InstallationID, Repo: repo.Owner + "/" + repo.Repo}
	if err := checkUnits(p, repo, run.GetHeadSHA(), run.PullRequests, run.GetID(), triggerRerun); err != nil {
		return nil, err
	}
	return p, nil
}

func planCheckSuite(ev *github.CheckSuiteEvent) (*plan, error) {
	action := ev.GetAction()
	var trig trigger
	switch action {
	case "requested":
		trig = triggerAuto
	case "rerequested":
		trig = triggerRerun
	default:
		return nil, errIgnore
	}
	repo, err := repoOf(ev.GetRepo(), ev.GetInstallation())
	if err != nil {
		return nil, err
	}
	suite := ev.GetCheckSuite()
	p := &plan{Event: eventCheckSuite, Action: action, InstallationID: repo.InstallationID, Repo: repo.Owner + "/" + repo.Repo}
	if err := checkUnits(p, repo, suite.GetHeadSHA(), suite.PullRequests, 0, trig); err != nil {
		return nil, err
	}
	return p, nil
}

// checkUnits plans the units of a check event: one per listed pull request whose base is this
// repository, or — when none is listed, as for fork heads — one to resolve through the head map.
func checkUnits(p *plan, repo prRef, sha string, prs []*github.PullRequest, checkRunID int64, trig trigger) error {
	if !validSHA(sha) {
		return badPayload("head_sha %q is not a commit id", truncate(sha, 80))
	}
	base := unit{
		InstallationID: repo.InstallationID, RepoID: repo.RepoID, Owner: repo.Owner, Repo: repo.Repo,
		HeadSHA: sha, CheckRunID: checkRunID, Trigger: trig,
	}
	seen := map[int]bool{}
	for _, pr := range prs {
		if pr == nil || pr.GetBase().GetRepo().GetID() != repo.RepoID {
			continue // a pull request into another repository
		}
		n := pr.GetNumber()
		if n <= 0 || n > maxPRNumber || seen[n] {
			continue
		}
		seen[n] = true
		if len(p.Units) == MaxUnitsPerDelivery {
			p.Dropped++
			continue
		}
		u := base
		u.Number = n
		p.Units = append(p.Units, u)
	}
	if len(seen) == 0 {
		p.Units = []unit{base} // Number 0: resolved from the head map in the transaction
	}
	return nil
}

func planInstallation(ev *github.InstallationEvent) (*plan, error) {
	inst := ev.GetInstallation()
	if inst.GetID() <= 0 {
		return nil, badPayload("installation.id missing")
	}
	rec := &installationRecord{ID: inst.GetID(), Account: boundedName(inst.GetAccount().GetLogin()), Action: ev.GetAction()}
	var dropped int
	rec.Added, dropped = repoRefs(ev.Repositories)
	if ev.GetAction() == "deleted" {
		rec.Removed, rec.Added = rec.Added, nil
	}
	return &plan{Event: eventInstallation, Action: ev.GetAction(), InstallationID: inst.GetID(), Installation: rec, Dropped: dropped}, nil
}

func planInstallationRepos(ev *github.InstallationRepositoriesEvent) (*plan, error) {
	inst := ev.GetInstallation()
	if inst.GetID() <= 0 {
		return nil, badPayload("installation.id missing")
	}
	rec := &installationRecord{ID: inst.GetID(), Account: boundedName(inst.GetAccount().GetLogin()), Action: ev.GetAction()}
	var d1, d2 int
	rec.Added, d1 = repoRefs(ev.RepositoriesAdded)
	rec.Removed, d2 = repoRefs(ev.RepositoriesRemoved)
	return &plan{Event: eventInstallationRepos, Action: ev.GetAction(), InstallationID: inst.GetID(), Installation: rec, Dropped: d1 + d2}, nil
}

func repoRefs(repos []*github.Repository) ([]repoRef, int) {
	var out []repoRef
	dropped := 0
	for _, r := range repos {
		if r.GetID() <= 0 {
			continue
		}
		if len(out) == MaxInstallationRepos {
			dropped++
			continue
		}
		out = append(out, repoRef{ID: r.GetID(), FullName: truncate(r.GetFullName(), 2*MaxNameLen+1)})
	}
	return out, dropped
}

// maxTimestampWalkDepth bounds the walk of parseLenient over a payload's JSON nesting.
const maxTimestampWalkDepth = 64

// parseWebHook is github.ParseWebHook, made lenient about timestamps: go-github rejects a whole
// payload over one *_at value that is not RFC 3339 (GitHub's own check_run rerequested example has
// "2018-04-25 20:42:10" in check_run.app), and mcpvet reads no timestamp. On such a failure the
// unparsable *_at strings are dropped and the payload parsed again; lenient reports that happened.
func parseWebHook(event string, payload []byte) (parsed any, lenient bool, err error) {
	parsed, err = github.ParseWebHook(event, payload)
	if err == nil {
		return parsed, false, nil
	}
	var tree any
	if jerr := json.Unmarshal(payload, &tree); jerr != nil {
		return nil, false, err
	}
	if !dropBadTimestamps(tree, 0) {
		return nil, false, err
	}
	cleaned, merr := json.Marshal(tree)
	if merr != nil {
		return nil, false, err
	}
	parsed, lerr := github.ParseWebHook(event, cleaned)
	if lerr != nil {
		return nil, false, err
	}
	return parsed, true, nil
}

// dropBadTimestamps deletes, in place, string values of keys ending in "_at" that are not RFC 3339,
// and reports whether it deleted any. Nesting deeper than maxTimestampWalkDepth is left alone.
func dropBadTimestamps(v any, depth int) bool {
	if depth > maxTimestampWalkDepth {
		return false
	}
	dropped := false
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if str, ok := e.(string); ok && strings.HasSuffix(k, "_at") {
				if _, err := time.Parse(time.RFC3339, str); err != nil {
					delete(v, k)
					dropped = true
				}
				continue
			}
			if dropBadTimestamps(e, depth+1) {
				dropped = true
			}
		}
	case []any:
		for _, e := range v {
			if dropBadTimestamps(e, depth+1) {
				dropped = true
			}
		}
	}
	return dropped
}

// maxPRNumber bounds a pull request number (GitHub's are 32-bit).
const maxPRNumber = 1<<31 - 1

// repoOf validates the repository and installation every repository event must carry.
func repoOf(r *github.Repository, inst *github.Installation) (prRef, error) {
	if inst.GetID() <= 0 {
		return prRef{}, badPayload("installation.id missing (is this an App webhook?)")
	}
	if r.GetID() <= 0 {
		return prRef{}, badPayload("repository.id missing")
	}
	owner, name := r.GetOwner().GetLogin(), r.GetName()
	if !validName(owner) || !validName(name) {
		return prRef{}, badPayload("repository %q/%q is not a valid owner/name", truncate(owner, 80), truncate(name, 80))
	}
	return prRef{InstallationID: inst.GetID(), RepoID: r.GetID(), Owner: owner, Repo: name}, nil
}

// validName accepts GitHub owner and repository names: 1..MaxNameLen of [A-Za-z0-9._-], not "." or "..".
func validName(s string) bool {
	if s == "" || len(s) > MaxNameLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func boundedName(s string) string {
	if validName(s) {
		return s
	}
	return ""
}

// validSHA accepts a full lowercase hex commit id: 40 (SHA-1) or 64 (SHA-256) characters.
func validSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
