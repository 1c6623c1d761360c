package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river/rivertype"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

func parse(t *testing.T, event string, m map[string]any) any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := parseWebHook(event, b)
	if err != nil {
		t.Fatalf("parse %s: %v", event, err)
	}
	return v
}

func TestPlanPullRequest(t *testing.T) {
	repo, head := helloWorld(), sha("plan")
	tests := []struct {
		action  string
		mod     func(m map[string]any)
		want    trigger // 0: ignored
		close   bool
		wantErr string
		number  int // 0: 5
	}{
		{action: "opened", want: triggerAuto},
		{action: "synchronize", want: triggerAuto},
		{action: "reopened", want: triggerAuto},
		{action: "ready_for_review", want: triggerAuto},
		{action: "edited", mod: func(m map[string]any) {
			m["changes"] = map[string]any{"base": map[string]any{"ref": map[string]any{"from": "dev"}}}
		}, want: triggerRerun},
		{action: "edited", mod: func(m map[string]any) { m["changes"] = map[string]any{"body": map[string]any{"from": "x"}} }},
		{action: "closed", close: true},
		{action: "labeled"},
		{action: "converted_to_draft"},
		{action: "opened", mod: func(m map[string]any) { set(m, "pull_request.head.sha", "HEAD") }, wantErr: "not a commit id"},
		{action: "opened", mod: func(m map[string]any) { set(m, "pull_request.head.sha", strings.ToUpper(head)) }, wantErr: "not a commit id"},
		{action: "opened", mod: func(m map[string]any) { delete(m, "installation") }, wantErr: "installation.id missing"},
		{action: "opened", mod: func(m map[string]any) { set(m, "repository.name", "../etc") }, wantErr: "not a valid owner/name"},
		{action: "opened", mod: func(m map[string]any) { set(m, "repository.owner.login", strings.Repeat("o", MaxNameLen+1)) }, wantErr: "not a valid owner/name"},
		{action: "opened", mod: func(m map[string]any) { set(m, "repository.owner.login", strings.Repeat("o", MaxNameLen)) }, want: triggerAuto},
		{action: "opened", mod: func(m map[string]any) { set(m, "pull_request.number", -1); m["number"] = -1 }, wantErr: "pull request number"},
		{action: "opened", mod: func(m map[string]any) { set(m, "pull_request.number", maxPRNumber+1) }, wantErr: "pull request number"},
		{action: "opened", mod: func(m map[string]any) { set(m, "pull_request.number", maxPRNumber) }, want: triggerAuto, number: maxPRNumber},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i, "-", tt.action), func(t *testing.T) {
			m := prPayload(t, tt.action, repo, 5, head)
			if tt.mod != nil {
				tt.mod(m)
			}
			p, err := planDelivery(eventPullRequest, parse(t, eventPullRequest, m), testAppID)
			switch {
			case tt.wantErr != "":
				var pe *errPayload
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a payload error containing %q", err, tt.wantErr)
				}
			case tt.close:
				if err != nil || p.Close == nil || p.Close.Number != 5 || len(p.Units) != 0 {
					t.Fatalf("plan %+v, %v; want a close of #5", p, err)
				}
			case tt.want == 0:
				if !errors.Is(err, errIgnore) {
					t.Fatalf("plan %+v, %v; want ignored", p, err)
				}
			default:
				if err != nil || len(p.Units) != 1 {
					t.Fatalf("plan %+v, %v", p, err)
				}
				u := p.Units[0]
				wantNumber := 5
				if tt.number != 0 {
					wantNumber = tt.number
				}
				if u.Trigger != tt.want || !u.Authoritative || u.Number != wantNumber || u.HeadSHA != head || u.RepoID != repo.ID || u.InstallationID != 1 {
					t.Fatalf("unit %+v", u)
				}
			}
		})
	}
}

func TestPlanCheckSuiteUnitsLimit(t *testing.T) {
	repo, head := helloWorld(), sha("suite")
	for _, tt := range []struct {
		prs         int
		wantUnits   int
		wantDropped int
	}{
		{0, 1, 0}, // resolved through the head map (Number 0)
		{1, 1, 0},
		{MaxUnitsPerDelivery, MaxUnitsPerDelivery, 0},
		{MaxUnitsPerDelivery + 1, MaxUnitsPerDelivery, 1},
	} {
		t.Run(fmt.Sprint(tt.prs), func(t *testing.T) {
			m := example(t, "check_suite", "requested")
			set(m, "repository.id", repo.ID)
			set(m, "check_suite.head_sha", head)
			prs := []any{map[string]any{"number": 999, "base": map[string]any{"repo": map[string]any{"id": repo.ID + 1}}}} // into another repository: ignored
			for i := range tt.prs {
				prs = append(prs, map[string]any{"number": i + 1, "base": map[string]any{"repo": map[string]any{"id": repo.ID}}})
			}
			set(m, "check_suite.pull_requests", prs)
			p, err := planDelivery(eventCheckSuite, parse(t, eventCheckSuite, m), testAppID)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Units) != tt.wantUnits || p.Dropped != tt.wantDropped {
				t.Fatalf("%d units, %d dropped; want %d, %d", len(p.Units), p.Dropped, tt.wantUnits, tt.wantDropped)
			}
			for _, u := range p.Units {
				if u.Number == 999 || u.Authoritative || u.Trigger != triggerAuto {
					t.Fatalf("unit %+v", u)
				}
			}
		})
	}
}

func TestPlanInstallationReposLimit(t *testing.T) {
	for _, tt := range []struct{ repos, wantAdded, wantDropped int }{
		{MaxInstallationRepos, MaxInstallationRepos, 0},
		{MaxInstallationRepos + 1, MaxInstallationRepos, 1},
	} {
		m := example(t, "installation_repositories", "added")
		var repos []any
		for i := range tt.repos {
			repos = append(repos, map[string]any{"id": i + 1, "full_name": fmt.Sprintf("o/r%d", i)})
		}
		m["repositories_added"] = repos
		p, err := planDelivery(eventInstallationRepos, parse(t, eventInstallationRepos, m), testAppID)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Installation.Added) != tt.wantAdded || p.Dropped != tt.wantDropped {
			t.Errorf("%d repositories: %d added, %d dropped; want %d, %d", tt.repos, len(p.Installation.Added), p.Dropped, tt.wantAdded, tt.wantDropped)
		}
	}
}

func TestParseLenientTimestamps(t *testing.T) {
	m := example(t, "check_run", "rerequested")
	b, _ := json.Marshal(m)
	if _, err := github.ParseWebHook(eventCheckRun, b); err == nil {
		t.Skip("go-github now parses the example's timestamps; the lenient path is untested")
	}
	v, lenient, err := parseWebHook(eventCheckRun, b)
	if err != nil || !lenient {
		t.Fatalf("lenient parse: %v (lenient %v)", err, lenient)
	}
	if ev := v.(*github.CheckRunEvent); ev.GetCheckRun().GetID() != 4 {
		t.Fatalf("check run %d, want 4", ev.GetCheckRun().GetID())
	}
	// Broken JSON stays an error.
	if _, _, err := parseWebHook(eventCheckRun, []byte(`{"action":`)); err == nil {
		t.Fatal("broken JSON parsed")
	}
}

func TestDropBadTimestampsDepth(t *testing.T) {
	nest := func(depth int) any {
		var v any = map[string]any{"created_at": "yesterday"}
		for range depth {
			v = map[string]any{"x": v}
		}
		return v
	}
	if !dropBadTimestamps(nest(maxTimestampWalkDepth), 0) {
		t.Error("a bad timestamp at the depth limit was not dropped")
	}
	if dropBadTimestamps(nest(maxTimestampWalkDepth+1), 0) {
		t.Error("a bad timestamp past the depth limit was walked")
	}
}

func TestValidators(t *testing.T) {
	for _, tt := range []struct {
		s    string
		name bool
		sha  bool
	}{
		{"Hello-World", true, false},
		{"a.b_c-d", true, false},
		{".", false, false},
		{"..", false, false},
		{"", false, false},
		{"a/b", false, false},
		{"a b", false, false},
		{strings.Repeat("x", MaxNameLen), true, false},
		{strings.Repeat("x", MaxNameLen+1), false, false},
		{strings.Repeat("a", 40), true, true},
		{strings.Repeat("a", 64), true, true},
		{strings.Repeat("a", 39), true, false},
		{strings.Repeat("g", 40), true, false},
	} {
		if got := validName(tt.s); got != tt.name {
			t.Errorf("validName(%q) = %v", tt.s, got)
		}
		if got := validSHA(tt.s); got != tt.sha {
			t.Errorf("validSHA(%q) = %v", tt.s, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{base: time.Second, max: 10 * time.Second}
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {60, 10 * time.Second}} {
		job := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, tt.failures)}
		d := time.Until(b.NextRetry(job))
		lo, hi := time.Duration(float64(tt.want)*0.89), time.Duration(float64(tt.want)*1.11)
		if d < lo || d > hi {
			t.Errorf("%d failures: retry in %v, want %v ±10%%", tt.failures, d, tt.want)
		}
	}
}

func TestRebind(t *testing.T) {
	got := rebind(`SELECT a FROM t WHERE b = ? AND c = ? LIMIT ?`)
	if want := `SELECT a FROM t WHERE b = $1 AND c = $2 LIMIT $3`; got != want {
		t.Fatalf("rebind = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"a":1}`)
	good := testenv.SignWebhook(testSecret, body)
	for _, tt := range []struct {
		header string
		want   error
	}{
		{good, nil},
		{strings.ToUpper(good[:7]) + good[7:], errSignatureFormat},
		{"", errSignatureMissing},
		{"sha1=" + strings.Repeat("0", 40), errSignatureFormat},
		{"sha256=" + strings.Repeat("0", 63), errSignatureFormat},
		{"sha256=" + strings.Repeat("0", 64), errSignatureWrong},
	} {
		if err := verifySignature(tt.header, body, []byte(testSecret)); !errors.Is(err, tt.want) {
			t.Errorf("verifySignature(%q) = %v, want %v", tt.header, err, tt.want)
		}
	}
}

func TestRateLimitResourceLabel(t *testing.T) {
	for in, want := range map[string]string{
		"":        "core",
		"core":    "core",
		"graphql": "graphql",
		strings.Repeat("a", maxRateLimitResourceName):   strings.Repeat("a", maxRateLimitResourceName),
		strings.Repeat("a", maxRateLimitResourceName+1): "other",
		"Core":   "other",
		"core\n": "other",
	} {
		if got := rateLimitResource(in); got != want {
			t.Errorf("rateLimitResource(%q) = %q, want %q", in, got, want)
		}
	}
}
