package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"
)

// MaxEventSize bounds the event payload read from GITHUB_EVENT_PATH, in bytes: GitHub does not deliver
// webhook payloads over 25 MB, and the runner's event file is that payload.
const MaxEventSize = 25 << 20

// Events the Action reviews.
const (
	EventPullRequest       = "pull_request"
	EventPullRequestTarget = "pull_request_target"
	EventMergeGroup        = "merge_group"
	EventPush              = "push"
	EventWorkflowDispatch  = "workflow_dispatch"
)

// Target is what one run reviews: a pull request, or the changes from Base to Head.
type Target struct {
	Event       string
	Owner, Repo string
	// Number is the pull request's number; 0 when the event is not about one (nothing is posted then).
	Number int
	// Base and Head are the revisions compared: commit ids from the event, or the base-ref/head-ref inputs.
	Base, Head string
	// APIOnly is set for pull_request_target: the workflow runs with the base's token and secrets, so the
	// checkout is never read and the pull request's files are read through the API, as data.
	APIOnly bool
	// Fork is set when the pull request's head lives in another repository.
	Fork bool
	// Author is the pull request author's login ("" when unknown).
	Author string
}

// ErrEvent marks an event the Action cannot review as configured (exit code 2).
var ErrEvent = errors.New("unsupported event")

// readEvent reads the runner's event payload, at most MaxEventSize bytes. A missing path is no payload.
func readEvent(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the event payload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxEventSize+1))
	if err != nil {
		return nil, fmt.Errorf("read the event payload: %w", err)
	}
	if len(data) > MaxEventSize {
		return nil, fmt.Errorf("%w: the event payload is over %d bytes", ErrEvent, MaxEventSize)
	}
	return data, nil
}

// zeroSHA is the "before" of a push that creates a branch.
const zeroSHA = "0000000000000000000000000000000000000000"

// ResolveTarget works out what to review from the workflow context, the event payload and the inputs.
func ResolveTarget(gc *githubactions.GitHubContext, payload []byte, in Inputs) (Target, error) {
	t := Target{Event: gc.EventName}
	t.Owner, t.Repo = gc.Repo()
	if t.Owner == "" || t.Repo == "" || strings.Contains(t.Repo, "/") {
		return t, fmt.Errorf("%w: GITHUB_REPOSITORY %q: want owner/name", ErrEvent, gc.Repository)
	}
	decode := func(v any) error {
		if len(payload) == 0 {
			return fmt.Errorf("%w: %s without an event payload (GITHUB_EVENT_PATH)", ErrEvent, t.Event)
		}
		if err := json.Unmarshal(payload, v); err != nil {
			return fmt.Errorf("%w: decode the %s payload: %w", ErrEvent, t.Event, err)
		}
		return nil
	}
	switch t.Event {
	case EventPullRequest, EventPullRequestTarget:
		var ev github.PullRequestEvent
		if err := decode(&ev); err != nil {
			return t, err
		}
		pr := ev.GetPullRequest()
		t.Number = pr.GetNumber()
		if t.Number == 0 {
			t.Number = ev.GetNumber()
		}
		t.Base, t.Head = pr.GetBase().GetSHA(), pr.GetHead().GetSHA()
		t.Author = pr.GetUser().GetLogin()
		headRepo := pr.GetHead().GetRepo().GetFullName()
		t.Fork = headRepo != "" && !strings.EqualFold(headRepo, t.Owner+"/"+t.Repo)
		t.APIOnly = t.Event == EventPullRequestTarget
		if t.Number <= 0 || !isSHA(t.Base) || !isSHA(t.Head) {
			return t, fmt.Errorf("%w: the %s payload lacks the pull request's number or base and head commits", ErrEvent, t.Event)
		}
	case EventMergeGroup:
		var ev github.MergeGroupEvent
		if err := decode(&ev); err != nil {
			return t, err
		}
		t.Base, t.Head = ev.GetMergeGroup().GetBaseSHA(), ev.GetMergeGroup().GetHeadSHA()
		if !isSHA(t.Base) || !isSHA(t.Head) {
			return t, fmt.Errorf("%w: the merge_group payload lacks base_sha or head_sha", ErrEvent)
		}
	default:
		// push, workflow_dispatch, schedule, …: the inputs name the revisions; a push defaults to its range.
		t.Base, t.Head = in.BaseRef, in.HeadRef
		if t.Event == EventPush && len(payload) > 0 {
			var ev github.PushEvent
			if err := decode(&ev); err != nil {
				return t, err
			}
			if t.Base == "" && isSHA(ev.GetBefore()) && ev.GetBefore() != zeroSHA {
				t.Base = ev.GetBefore()
			}
			if t.Head == "" && isSHA(ev.GetAfter()) && ev.GetAfter() != zeroSHA {
				t.Head = ev.GetAfter()
			}
		}
		if t.Head == "" {
			t.Head = gc.SHA
		}
		if t.Base == "" {
			return t, fmt.Errorf("%w: %s: set the base-ref input (and head-ref, default GITHUB_SHA) to say what to compare", ErrEvent, orUnknown(t.Event))
		}
		if t.Head == "" {
			return t, fmt.Errorf("%w: %s: set the head-ref input", ErrEvent, orUnknown(t.Event))
		}
	}
	return t, nil
}

func orUnknown(event string) string {
	if event == "" {
		return "no GITHUB_EVENT_NAME"
	}
	return event
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
