package testenv

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pypiDefaultUploadTime is the upload time of releases added without one.
func pypiDefaultUploadTime() time.Time { return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC) }

// PyPIServer is an in-process PyPI JSON API (https://docs.pypi.org/api/json/) answering
// GET /pypi/{project}/{version}/json with PyPI's release document ({"info": {…}, "urls": […],
// "vulnerabilities": []}). Project names are matched after PEP 503 normalisation, and unknown projects
// or releases get PyPI's 404. It is an http.Handler, usable behind any server, and can start its own
// loopback httptest.Server with Start. It is safe for concurrent use.
type PyPIServer struct {
	mu         sync.Mutex
	releases   map[string]map[string]pypiEntry // normalised name → version → release
	failLeft   int
	failStatus int
	requests   int
	lb         loopback // serves the fake (Start, Close)
}

// PyPIRelease is the metadata of one release the server publishes.
type PyPIRelease struct {
	// Summary is info.summary.
	Summary string
	// RequiresDist is info.requires_dist (JSON null when nil, as PyPI sends for no requirements).
	RequiresDist []string
	// ProjectURLs is info.project_urls (JSON null when nil).
	ProjectURLs map[string]string
	// HomePage is info.home_page.
	HomePage string
	// Keywords is info.keywords.
	Keywords string
	// Yanked and YankedReason are info.yanked and info.yanked_reason.
	Yanked       bool
	YankedReason string
	// UploadTime is the upload time of the release's one sdist file (a fixed 2025 date when zero).
	UploadTime time.Time
	// Body, when non-nil, is served verbatim as the release document instead of the generated JSON
	// (for malformed or oversized answers).
	Body []byte
}

type pypiEntry struct {
	name string // as added (PyPI's display name)
	rel  PyPIRelease
}

// NewPyPI returns an empty PyPI server.
func NewPyPI() *PyPIServer {
	return &PyPIServer{releases: make(map[string]map[string]pypiEntry)}
}

// Start serves the API on a loopback address (once) and returns its base URL, e.g.
// "http://127.0.0.1:PORT"; clients GET base + "/pypi/{name}/{version}/json".
func (s *PyPIServer) Start() string {
	return s.lb.start(s)
}

// Close stops the server started by Start, if any.
func (s *PyPIServer) Close() {
	s.lb.close()
}

// Add publishes release version of project name (replacing an earlier release of the same normalised
// name and version). name is kept as the display name served in info.name.
func (s *PyPIServer) Add(name, version string, info PyPIRelease) {
	info.RequiresDist = append([]string(nil), info.RequiresDist...) // nil stays nil (served as null)
	if info.ProjectURLs != nil {
		m := make(map[string]string, len(info.ProjectURLs))
		for k, v := range info.ProjectURLs {
			m[k] = v
		}
		info.ProjectURLs = m
	}
	if info.Body != nil {
		info.Body = append([]byte(nil), info.Body...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	norm := pypiNormalize(name)
	if s.releases[norm] == nil {
		s.releases[norm] = make(map[string]pypiEntry)
	}
	s.releases[norm][version] = pypiEntry{name: name, rel: info}
}

// FailNext makes the next n requests, whatever their route, answer status with a JSON error body.
func (s *PyPIServer) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failStatus = n, status
}

// Requests returns how many requests the server has received.
func (s *PyPIServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ServeHTTP implements GET /pypi/{project}/{version}/json. Errors are answered the way PyPI does:
// {"message": "Not Found"} with HTTP 404, and so on.
func (s *PyPIServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	status, body := s.respond(req)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if req.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (s *PyPIServer) respond(req *http.Request) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.failLeft > 0 {
		s.failLeft--
		return pypiError(s.failStatus)
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return pypiError(http.StatusMethodNotAllowed)
	}
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/"), "/")
	if len(parts) != 4 || parts[0] != "pypi" || parts[3] != "json" || parts[1] == "" || parts[2] == "" {
		return pypiError(http.StatusNotFound)
	}
	e, ok := s.releases[pypiNormalize(parts[1])][parts[2]]
	if !ok {
		return pypiError(http.StatusNotFound)
	}
	if e.rel.Body != nil {
		return http.StatusOK, e.rel.Body
	}
	return http.StatusOK, pypiDocument(e.name, parts[2], e.rel)
}

// pypiDocument renders a release document in the shape PyPI serves.
func pypiDocument(name, version string, r PyPIRelease) []byte {
	up := r.UploadTime
	if up.IsZero() {
		up = pypiDefaultUploadTime()
	}
	up = up.UTC()
	var yankedReason any
	if r.YankedReason != "" {
		yankedReason = r.YankedReason
	}
	file := strings.ReplaceAll(pypiNormalize(name), "-", "_") + "-" + version + ".tar.gz"
	doc := map[string]any{
		"info": map[string]any{
			"name":            name,
			"version":         version,
			"summary":         r.Summary,
			"requires_dist":   r.RequiresDist,
			"project_urls":    r.ProjectURLs,
			"home_page":       r.HomePage,
			"keywords":        r.Keywords,
			"yanked":          r.Yanked,
			"yanked_reason":   yankedReason,
			"package_url":     "https://pypi.org/project/" + name + "/",
			"release_url":     "https://pypi.org/project/" + name + "/" + version + "/",
			"requires_python": nil,
		},
		"last_serial": 1,
		"urls": []map[string]any{{
			"filename":             file,
			"packagetype":          "sdist",
			"python_version":       "source",
			"upload_time":          up.Format("2006-01-02T15:04:05"),
			"upload_time_iso_8601": up.Format("2006-01-02T15:04:05.000000Z"),
			"url":                  "https://files.pythonhosted.org/packages/source/" + file,
			"yanked":               r.Yanked,
			"digests":              map[string]string{},
		}},
		"vulnerabilities": []any{},
	}
	b, err := json.Marshal(doc)
	if err != nil { // cannot happen: every value is JSON-encodable
		return []byte(`{}`)
	}
	return b
}

// pypiError renders PyPI's JSON error body for status.
func pypiError(status int) (int, []byte) {
	b, _ := json.Marshal(map[string]string{"message": http.StatusText(status)})
	return status, b
}

// pypiNormalize is PEP 503 name normalisation: lower case, runs of "-", "_", "." become one "-".
func pypiNormalize(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			if !sep {
				b.WriteByte('-')
			}
			sep = true
			continue
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}
