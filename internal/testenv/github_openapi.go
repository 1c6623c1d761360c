package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// GitHubOpenAPIEnv names the environment variable that may point at GitHub's OpenAPI description (the
// trimmed one scripts/testdeps.sh writes, or the full api.github.com.json of @octokit/openapi).
const GitHubOpenAPIEnv = "MCPVET_GITHUB_OPENAPI"

// GitHubOpenAPIFile is where scripts/testdeps.sh writes the trimmed description, relative to the
// repository root (the directory holding go.mod).
const GitHubOpenAPIFile = ".testdeps/github-openapi.json"

// githubSpecMaxBytes bounds the description read (the full, untrimmed api.github.com.json is 13 MB).
const githubSpecMaxBytes = 64 << 20

// githubAPIOrigin is the server the description documents; requests are routed as if sent there.
const githubAPIOrigin = "https://api.github.com"

// ErrGitHubOpenAPIMissing is returned (wrapped) when the description is not installed.
var ErrGitHubOpenAPIMissing = errors.New("GitHub OpenAPI description not installed: run scripts/testdeps.sh")

// githubSpec is the loaded description and its router; immutable once loaded, so shared by every fake.
type githubSpec struct {
	path   string
	took   time.Duration
	doc    *openapi3.T
	router routers.Router
}

// githubSpecOnce loads the description once per process: it is the only package-level state, a
// memoised read of a file that does not change while tests run.
var githubSpecOnce = sync.OnceValues(func() (*githubSpec, error) {
	path, err := githubOpenAPIPath()
	if err != nil {
		return nil, err
	}
	return loadGitHubSpecFile(path)
})

func loadGitHubSpec() (*githubSpec, error) { return githubSpecOnce() }

// GitHubOpenAPIStatus reports the description the GitHub fakes of this process validate against: its
// path and how long loading it took, or why it is unavailable (errors.Is(err, ErrGitHubOpenAPIMissing)
// when it is not installed).
func GitHubOpenAPIStatus() (path string, took time.Duration, err error) {
	s, err := loadGitHubSpec()
	if err != nil {
		return "", 0, err
	}
	return s.path, s.took, nil
}

// SkipFataler is the part of testing.TB that RequireOpenAPI needs.
type SkipFataler interface {
	Skip(args ...any)
	Fatalf(format string, args ...any)
}

// RequireOpenAPI makes a test depend on GitHub's OpenAPI description: when it is not installed the test
// is skipped with a hint to run scripts/testdeps.sh, except under CI (env CI set), where it fails — CI
// must always validate. A description that is present but does not load fails the test everywhere.
func RequireOpenAPI(t SkipFataler) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	_, _, err := GitHubOpenAPIStatus()
	switch {
	case err == nil:
	case errors.Is(err, ErrGitHubOpenAPIMissing) && os.Getenv("CI") == "":
		t.Skip("GitHub OpenAPI description not installed: run scripts/testdeps.sh")
	default:
		t.Fatalf("GitHub fake cannot validate: %v", err)
	}
}

// githubOpenAPIPath finds the description: $MCPVET_GITHUB_OPENAPI, else .testdeps/github-openapi.json
// in the nearest directory above the working directory that holds go.mod.
func githubOpenAPIPath() (string, error) {
	return testdepsPath(GitHubOpenAPIEnv, GitHubOpenAPIFile, ErrGitHubOpenAPIMissing)
}

// testdepsPath finds a file scripts/testdeps.sh installs: $env when set, else rel (slash-separated)
// under the nearest directory above the working directory that holds go.mod. A file that is not there
// is reported wrapping missing.
func testdepsPath(env, rel string, missing error) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w (%v)", env, p, missing, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locate repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("%s: %w", p, missing)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: %w", missing)
		}
		dir = parent
	}
}

func loadGitHubSpecFile(path string) (*githubSpec, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrGitHubOpenAPIMissing)
		}
		return nil, fmt.Errorf("open GitHub OpenAPI description: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, githubSpecMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read GitHub OpenAPI description %s: %w", path, err)
	}
	if len(data) > githubSpecMaxBytes {
		return nil, fmt.Errorf("GitHub OpenAPI description %s is over %d bytes", path, githubSpecMaxBytes)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load GitHub OpenAPI description %s: %w", path, err)
	}
	// Only the API's own server: requests are routed as if sent to it.
	doc.Servers = openapi3.Servers{{URL: githubAPIOrigin}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route GitHub OpenAPI description %s: %w", path, err)
	}
	for _, rt := range githubRoutes {
		if doc.Paths.Find(rt.pattern) == nil || doc.Paths.Find(rt.pattern).GetOperation(rt.method) == nil {
			return nil, fmt.Errorf("GitHub OpenAPI description %s lacks %s (rerun scripts/testdeps.sh)", path, rt.key())
		}
	}
	return &githubSpec{path: path, took: time.Since(start), doc: doc, router: router}, nil
}

// ghValidation carries a validated request to the validation of its response.
type ghValidation struct {
	input *openapi3filter.RequestValidationInput
}

// validateRequest checks a request the fake routed to rt against the description.
func (s *githubSpec) validateRequest(r *http.Request, rt *ghRoute, params map[string]string, body []byte) (*ghValidation, error) {
	// Rebuild the URL from the template with each parameter in one escaped segment, so multi-segment
	// parameters (contents paths) match the description's single-segment template.
	path := rt.pattern
	for name, v := range params {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(r.Context(), method, githubAPIOrigin+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("rebuild request: %w", err)
	}
	req.URL.RawQuery = r.URL.RawQuery
	req.Header = r.Header.Clone()
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	route, pathParams, err := s.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("not in GitHub's description: %w", err)
	}
	if route.Path != rt.pattern || route.Method != rt.method {
		return nil, fmt.Errorf("the description routes it to %s %s, the fake to %s", route.Method, route.Path, rt.key())
	}
	input := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		return nil, err
	}
	return &ghValidation{input: input}, nil
}

// validateResponse checks a response against the description. A success status the operation does
// not document is a violation; an undocumented error status must still carry GitHub's error shape.
// Bodies of raw media types (which the description does not document) are not checked.
func (s *githubSpec) validateResponse(v *ghValidation, status int, header http.Header, body []byte, raw bool) error {
	op := v.input.Route.Operation
	if status >= 400 && op.Responses.Status(status) == nil && op.Responses.Default() == nil {
		var e struct {
			Message          *string `json:"message"`
			DocumentationURL *string `json:"documentation_url"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Message == nil || e.DocumentationURL == nil {
			return fmt.Errorf("error body is not GitHub's {message, documentation_url}: %s", truncate(body, 200))
		}
		return nil
	}
	mediaType, _, _ := strings.Cut(header.Get("Content-Type"), ";")
	mediaType = strings.TrimSpace(mediaType)
	object := mediaType == "application/vnd.github.object"
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: v.input, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: raw || object},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return err
	}
	if object {
		// kin-openapi has no decoder for this vendor JSON type: check the body against its schema here.
		ref := op.Responses.Status(status)
		if ref == nil || ref.Value == nil || ref.Value.Content.Get(mediaType) == nil {
			return fmt.Errorf("media type %s not documented for %d", mediaType, status)
		}
		var value any
		if err := json.Unmarshal(body, &value); err != nil {
			return fmt.Errorf("decode %s body: %w", mediaType, err)
		}
		if err := ref.Value.Content.Get(mediaType).Schema.Value.VisitJSON(value, openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
			return fmt.Errorf("response body doesn't match schema: %w", err)
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
