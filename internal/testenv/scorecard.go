package testenv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ScorecardServer is an in-process OpenSSF Scorecard results API (https://api.securityscorecards.dev)
// answering GET /projects/{host}/{owner}/{repo} with the results registered by Add, in Scorecard's JSON
// format v2 ({date, repo{name, commit}, scorecard{version, commit}, score, checks[{name, score, reason,
// details, documentation{short, url}}], metadata}); 404 for any other project. It is an http.Handler and can
// start its own loopback server with Start. It is safe for concurrent use.
type ScorecardServer struct {
	mu         sync.Mutex
	results    map[string][]byte
	failLeft   int
	failStatus int
	padTo      int
	requests   int
	paths      []string
	lb         loopback // serves the fake (Start, Close)
}

// ScorecardResult is one stored result. Zero Date is served as 2025-09-01.
type ScorecardResult struct {
	// Repo is "host/owner/name", e.g. "github.com/acme/weather-mcp".
	Repo string
	// Commit is the commit the result was computed on.
	Commit string
	Date   time.Time
	// Version is the Scorecard version ("v5.5.0" when "").
	Version string
	// Score is the overall score; -1 when not applicable.
	Score  float64
	Checks []ScorecardCheck
}

// ScorecardCheck is one check of a stored result; Score -1 means not applicable or inconclusive.
type ScorecardCheck struct {
	Name    string
	Score   int
	Reason  string
	Details []string
}

// NewScorecard returns a results API with no results.
func NewScorecard() *ScorecardServer {
	return &ScorecardServer{results: map[string][]byte{}}
}

// Start serves the API on a loopback address (once) and returns its base URL.
func (s *ScorecardServer) Start() string {
	return s.lb.start(s)
}

// Close stops the server started by Start, if any.
func (s *ScorecardServer) Close() {
	s.lb.close()
}

// Add stores r, replacing an earlier result for the same repository.
func (s *ScorecardServer) Add(r ScorecardResult) {
	date := r.Date
	if date.IsZero() {
		date = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	version := r.Version
	if version == "" {
		version = "v5.5.0"
	}
	type doc struct {
		Short string `json:"short"`
		URL   string `json:"url"`
	}
	type check struct {
		Details       []string `json:"details"`
		Score         int      `json:"score"`
		Reason        string   `json:"reason"`
		Name          string   `json:"name"`
		Documentation doc      `json:"documentation"`
	}
	out := struct {
		Date string `json:"date"`
		Repo struct {
			Name   string `json:"name"`
			Commit string `json:"commit"`
		} `json:"repo"`
		Scorecard struct {
			Version string `json:"version"`
			Commit  string `json:"commit"`
		} `json:"scorecard"`
		Score    float64  `json:"score"`
		Checks   []check  `json:"checks"`
		Metadata []string `json:"metadata"`
	}{Date: date.UTC().Format(time.RFC3339), Score: r.Score, Checks: []check{}}
	out.Repo.Name, out.Repo.Commit = r.Repo, r.Commit
	out.Scorecard.Version, out.Scorecard.Commit = version, "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
	for _, c := range r.Checks {
		anchor := strings.ToLower(c.Name)
		out.Checks = append(out.Checks, check{Details: c.Details, Score: c.Score, Reason: c.Reason, Name: c.Name,
			Documentation: doc{Short: "Determines " + c.Name + ".", URL: "https://github.com/ossf/scorecard/blob/main/docs/checks.md#" + anchor}})
	}
	body, err := json.Marshal(out)
	if err != nil {
		panic(err) // only strings and numbers: cannot fail
	}
	s.AddRaw(r.Repo, body)
}

// AddRaw stores body as the answer for repo ("host/owner/name"), as is: for malformed and hostile answers.
func (s *ScorecardServer) AddRaw(repo string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results[strings.ToLower(repo)] = bytes.Clone(body)
}

// FailNext makes the next n requests fail with HTTP status.
func (s *ScorecardServer) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failStatus = n, status
}

// PadTo pads every stored answer with trailing spaces to at least n bytes (0 turns padding off): a hostile
// size that is still valid JSON.
func (s *ScorecardServer) PadTo(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.padTo = n
}

// Requests returns how many requests the server has received.
func (s *ScorecardServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Paths returns the request paths received, in order.
func (s *ScorecardServer) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// ServeHTTP implements http.Handler.
func (s *ScorecardServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	s.requests++
	s.paths = append(s.paths, req.URL.Path)
	fail := 0
	if s.failLeft > 0 {
		s.failLeft--
		fail = s.failStatus
	}
	body, ok := s.results[strings.ToLower(strings.TrimPrefix(req.URL.Path, "/projects/"))]
	padTo := s.padTo
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	switch {
	case fail != 0:
		w.WriteHeader(fail)
		_, _ = w.Write([]byte(`{"code":` + strconv.Itoa(fail) + `,"message":"` + http.StatusText(fail) + `"}`))
		return
	case req.Method != http.MethodGet:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	case !strings.HasPrefix(req.URL.Path, "/projects/") || !ok:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":404,"message":"Repo not found"}`))
		return
	}
	if len(body) < padTo {
		body = append(bytes.Clone(body), bytes.Repeat([]byte(" "), padTo-len(body))...)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
