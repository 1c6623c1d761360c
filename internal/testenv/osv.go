package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"deps.dev/util/semver"
)

// DefaultOSVPageSize is how many advisories one /v1/query answer of an OSVServer holds before it
// paginates, unless SetPageSize says otherwise.
const DefaultOSVPageSize = 100

// osvMaxRequestSize bounds a request body the OSV server reads.
const osvMaxRequestSize = 1 << 20

// osvDefaultModified is the "modified" time of records added without one.
func osvDefaultModified() time.Time { return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC) }

// OSVServer is an in-process OSV API (https://google.github.io/osv.dev/api/) answering
// POST /v1/query — package and version matched against each record's affected[].versions and its
// SEMVER/ECOSYSTEM ranges, paginated with next_page_token — and GET /v1/vulns/{id}. It is an
// http.Handler, usable behind any server, and can start its own loopback httptest.Server with Start. It
// is safe for concurrent use.
type OSVServer struct {
	mu         sync.Mutex
	records    []OSVRecord
	pageSize   int
	failLeft   int
	failStatus int
	requests   int
	queries    []OSVQuery
	lb         loopback // serves the fake (Start, Close)
}

// OSVRecord is one advisory in the OSV schema (https://ossf.github.io/osv-schema/), with the fields the
// server serves. Zero times are omitted, except Modified, which defaults to a fixed date.
type OSVRecord struct {
	ID        string
	Summary   string
	Details   string
	Aliases   []string
	Published time.Time
	Modified  time.Time
	Withdrawn time.Time
	Affected  []OSVAffected
	// Severity is published as the record's "severity" list.
	Severity []OSVSeverity
	// DatabaseSpecific is published as "database_specific" (GitHub puts {"severity":"HIGH"} there).
	DatabaseSpecific map[string]any
}

// OSVAffected is one affected[] entry: the package, and the versions it covers, listed or as ranges.
// An entry with neither Ranges nor Versions covers every version of the package.
type OSVAffected struct {
	Package  OSVPackage
	Ranges   []OSVRange
	Versions []string
}

// OSVPackage names a package in an OSV ecosystem ("npm", "PyPI", …).
type OSVPackage struct {
	Ecosystem string
	Name      string
}

// OSVRange is a version range: Type is "SEMVER", "ECOSYSTEM" (both matched) or "GIT" (ignored).
type OSVRange struct {
	Type   string
	Events []OSVEvent
}

// OSVEvent is one range event; exactly one field is set. Introduced "0" means every earlier version.
type OSVEvent struct {
	Introduced   string
	Fixed        string
	LastAffected string
	Limit        string
}

// OSVSeverity is one severity entry, e.g. {Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/…"}.
type OSVSeverity struct {
	Type  string
	Score string
}

// OSVQuery records one /v1/query request the server received.
type OSVQuery struct {
	Ecosystem string
	Name      string
	Version   string
	PageToken string
}

// NewOSV returns an empty OSV server.
func NewOSV() *OSVServer {
	return &OSVServer{pageSize: DefaultOSVPageSize}
}

// Start serves the API on a loopback address (once) and returns its base URL, e.g.
// "http://127.0.0.1:PORT"; clients POST to base + "/v1/query".
func (s *OSVServer) Start() string {
	return s.lb.start(s)
}

// Close stops the server started by Start, if any.
func (s *OSVServer) Close() {
	s.lb.close()
}

// Add publishes record v as an advisory about ecosystem package name. Affected entries with an empty
// package are taken to name that package; when no entry names it, one covering every version is
// added. A record with the ID of an earlier one replaces it.
func (s *OSVServer) Add(ecosystem, name string, v OSVRecord) {
	v.Aliases = slices.Clone(v.Aliases)
	v.Affected = slices.Clone(v.Affected)
	named := false
	for i, a := range v.Affected {
		if a.Package.Ecosystem == "" && a.Package.Name == "" {
			a.Package = OSVPackage{Ecosystem: ecosystem, Name: name}
		}
		if a.Package.Ecosystem == ecosystem && osvSameName(ecosystem, a.Package.Name, name) {
			named = true
		}
		v.Affected[i] = a
	}
	if !named {
		v.Affected = append(v.Affected, OSVAffected{Package: OSVPackage{Ecosystem: ecosystem, Name: name}})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.records {
		if r.ID == v.ID {
			s.records[i] = v
			return
		}
	}
	s.records = append(s.records, v)
}

// SetPageSize makes /v1/query answers paginate after n advisories (DefaultOSVPageSize when n <= 0).
func (s *OSVServer) SetPageSize(n int) {
	if n <= 0 {
		n = DefaultOSVPageSize
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// FailNext makes the next n requests fail with HTTP status.
func (s *OSVServer) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failStatus = n, status
}

// Requests returns how many requests the server has received.
func (s *OSVServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Queries returns a copy of the well-formed /v1/query requests received so far, oldest first.
func (s *OSVServer) Queries() []OSVQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

// ServeHTTP implements:
//
//	POST /v1/query       {"package":{"name","ecosystem"},"version","page_token"} → {"vulns":[…],"next_page_token"}
//	GET  /v1/vulns/{id}  one record
//
// Errors are answered the way the OSV API does: {"code": N, "message": "…"} with an HTTP status.
func (s *OSVServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	status, body := s.respond(req)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// osvQueryBody is the request body of /v1/query.
type osvQueryBody struct {
	Package struct {
		Name      string `json:"name"`
		Ecosystem string `json:"ecosystem"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Version   string `json:"version"`
	PageToken string `json:"page_token"`
}

// osvPageToken is the shape of the tokens the server hands out.
var osvPageToken = regexp.MustCompile(`^osvpage-([0-9]{1,9})$`)

func (s *OSVServer) respond(req *http.Request) (int, []byte) {
	var body []byte
	if req.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(req.Body, osvMaxRequestSize+1))
		if err != nil {
			return osvError(http.StatusBadRequest, "cannot read request")
		}
		body = b
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.failLeft > 0 {
		s.failLeft--
		return osvError(s.failStatus, http.StatusText(s.failStatus))
	}
	switch {
	case req.URL.Path == "/v1/query":
		if req.Method != http.MethodPost {
			return osvError(http.StatusMethodNotAllowed, "method not allowed")
		}
		return s.query(body)
	case strings.HasPrefix(req.URL.Path, "/v1/vulns/"):
		if req.Method != http.MethodGet {
			return osvError(http.StatusMethodNotAllowed, "method not allowed")
		}
		id := strings.TrimPrefix(req.URL.Path, "/v1/vulns/")
		for _, r := range s.records {
			if r.ID == id {
				return osvJSON(http.StatusOK, r.wire())
			}
		}
		return osvError(http.StatusNotFound, "Bug not found.")
	}
	return osvError(http.StatusNotFound, "not found")
}

// query answers /v1/query; the caller holds s.mu.
func (s *OSVServer) query(body []byte) (int, []byte) {
	if len(body) > osvMaxRequestSize {
		return osvError(http.StatusRequestEntityTooLarge, "request too large")
	}
	var q osvQueryBody
	if err := json.Unmarshal(body, &q); err != nil {
		return osvError(http.StatusBadRequest, "Invalid query: "+err.Error())
	}
	if q.Package.Name == "" || q.Package.Ecosystem == "" {
		return osvError(http.StatusBadRequest, "Invalid query: package name and ecosystem are required")
	}
	offset := 0
	if q.PageToken != "" {
		m := osvPageToken.FindStringSubmatch(q.PageToken)
		if m == nil {
			return osvError(http.StatusBadRequest, "Invalid page token")
		}
		offset, _ = strconv.Atoi(m[1])
	}
	s.queries = append(s.queries, OSVQuery{
		Ecosystem: q.Package.Ecosystem, Name: q.Package.Name, Version: q.Version, PageToken: q.PageToken,
	})

	var hits []OSVRecord
	for _, r := range s.records {
		if r.covers(q.Package.Ecosystem, q.Package.Name, q.Version) {
			hits = append(hits, r)
		}
	}
	if offset > len(hits) {
		return osvError(http.StatusBadRequest, "Invalid page token")
	}
	end := min(offset+s.pageSize, len(hits))
	vulns := make([]map[string]any, 0, end-offset)
	for _, r := range hits[offset:end] {
		vulns = append(vulns, r.wire())
	}
	resp := map[string]any{}
	if len(vulns) > 0 {
		resp["vulns"] = vulns
	}
	if end < len(hits) {
		resp["next_page_token"] = "osvpage-" + strconv.Itoa(end)
	}
	return osvJSON(http.StatusOK, resp)
}

// covers reports whether r affects ecosystem package name at version ("" means any version).
func (r OSVRecord) covers(ecosystem, name, version string) bool {
	for _, a := range r.Affected {
		if a.Package.Ecosystem != ecosystem || !osvSameName(ecosystem, a.Package.Name, name) {
			continue
		}
		if version == "" || len(a.Ranges) == 0 && len(a.Versions) == 0 || slices.Contains(a.Versions, version) {
			return true
		}
		for _, rg := range a.Ranges {
			if osvInRange(osvSystem(ecosystem), rg, version) {
				return true
			}
		}
	}
	return false
}

// osvSystem is the version ordering of an OSV ecosystem.
func osvSystem(ecosystem string) semver.System {
	if ecosystem == "PyPI" {
		return semver.PyPI
	}
	return semver.NPM
}

// osvSameName compares package names the way the ecosystem does (PyPI names are normalised per PEP 503).
func osvSameName(ecosystem, a, b string) bool {
	if ecosystem != "PyPI" {
		return a == b
	}
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == '.' }), "-")
	}
	return norm(a) == norm(b)
}

// osvInRange evaluates a SEMVER or ECOSYSTEM range the way the OSV schema describes: events in version
// order, the version affected after an introduced event at or below it until a fixed or limit event at
// or below it, or a last_affected event below it.
func osvInRange(sys semver.System, rg OSVRange, version string) bool {
	if rg.Type != "SEMVER" && rg.Type != "ECOSYSTEM" {
		return false
	}
	v, err := sys.Parse(version)
	if err != nil {
		return false
	}
	type event struct {
		kind string
		at   *semver.Version // nil for introduced "0"
	}
	var events []event
	for _, e := range rg.Events {
		kind, raw := "introduced", e.Introduced
		switch {
		case e.Fixed != "":
			kind, raw = "fixed", e.Fixed
		case e.LastAffected != "":
			kind, raw = "last_affected", e.LastAffected
		case e.Limit != "":
			kind, raw = "limit", e.Limit
		}
		if kind == "introduced" && raw == "0" {
			events = append(events, event{kind: kind})
			continue
		}
		at, err := sys.Parse(raw)
		if err != nil {
			continue
		}
		events = append(events, event{kind: kind, at: at})
	}
	slices.SortStableFunc(events, func(a, b event) int {
		switch {
		case a.at == nil && b.at == nil:
			return 0
		case a.at == nil:
			return -1
		case b.at == nil:
			return 1
		}
		return a.at.Compare(b.at)
	})
	affected := false
	for _, e := range events {
		switch e.kind {
		case "introduced":
			if e.at == nil || v.Compare(e.at) >= 0 {
				affected = true
			}
		case "fixed", "limit":
			if v.Compare(e.at) >= 0 {
				affected = false
			}
		case "last_affected":
			if v.Compare(e.at) > 0 {
				affected = false
			}
		}
	}
	return affected
}

// wire is r as OSV JSON.
func (r OSVRecord) wire() map[string]any {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	m := map[string]any{"id": r.ID, "schema_version": "1.6.0"}
	mod := r.Modified
	if mod.IsZero() {
		mod = osvDefaultModified()
	}
	m["modified"] = ts(mod)
	if !r.Published.IsZero() {
		m["published"] = ts(r.Published)
	}
	if !r.Withdrawn.IsZero() {
		m["withdrawn"] = ts(r.Withdrawn)
	}
	if r.Summary != "" {
		m["summary"] = r.Summary
	}
	if r.Details != "" {
		m["details"] = r.Details
	}
	if len(r.Aliases) > 0 {
		m["aliases"] = r.Aliases
	}
	if len(r.Severity) > 0 {
		sev := make([]map[string]any, 0, len(r.Severity))
		for _, s := range r.Severity {
			sev = append(sev, map[string]any{"type": s.Type, "score": s.Score})
		}
		m["severity"] = sev
	}
	if r.DatabaseSpecific != nil {
		m["database_specific"] = r.DatabaseSpecific
	}
	affected := make([]map[string]any, 0, len(r.Affected))
	for _, a := range r.Affected {
		e := map[string]any{"package": map[string]any{"ecosystem": a.Package.Ecosystem, "name": a.Package.Name}}
		if len(a.Versions) > 0 {
			e["versions"] = a.Versions
		}
		if len(a.Ranges) > 0 {
			ranges := make([]map[string]any, 0, len(a.Ranges))
			for _, rg := range a.Ranges {
				events := make([]map[string]any, 0, len(rg.Events))
				for _, ev := range rg.Events {
					switch {
					case ev.Fixed != "":
						events = append(events, map[string]any{"fixed": ev.Fixed})
					case ev.LastAffected != "":
						events = append(events, map[string]any{"last_affected": ev.LastAffected})
					case ev.Limit != "":
						events = append(events, map[string]any{"limit": ev.Limit})
					default:
						events = append(events, map[string]any{"introduced": ev.Introduced})
					}
				}
				ranges = append(ranges, map[string]any{"type": rg.Type, "events": events})
			}
			e["ranges"] = ranges
		}
		affected = append(affected, e)
	}
	m["affected"] = affected
	return m
}

func osvJSON(status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		return osvError(http.StatusInternalServerError, "cannot encode response")
	}
	return status, b
}

// osvError is an error answer in the OSV API's shape (a gRPC status code and a message).
func osvError(status int, msg string) (int, []byte) {
	code := 2 // UNKNOWN
	switch status {
	case http.StatusBadRequest:
		code = 3 // INVALID_ARGUMENT
	case http.StatusNotFound:
		code = 5 // NOT_FOUND
	case http.StatusTooManyRequests:
		code = 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		code = 14 // UNAVAILABLE
	}
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg})
	return status, b
}
