// Package testenv provides real protocol servers for tests and the offline demo: an npm registry, a git
// smart-HTTP server (git http-backend), an OSV advisory API, PyPI's JSON API, and a GitHub REST API fake whose every request
// and response is validated against GitHub's own OpenAPI description (installed by scripts/testdeps.sh, read
// with kin-openapi), with real webhook payloads from @octokit/webhooks-examples signed like GitHub signs them.
//
// The servers speak the same wire protocol as the real services, so code under test uses its production
// clients against them. The package is used by the `mcpvet demo` command as well as by tests, so it must
// not import the testing package; it must not import app/, action/ or any GitHub client either.
package testenv
