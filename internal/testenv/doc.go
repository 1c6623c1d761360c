// Package testenv provides real protocol servers for tests and the offline demo: an npm registry, a git
// smart-HTTP server, and the fixtures they serve (deterministic npm tarballs).
//
// The servers speak the same wire protocol as the real services, so code under test uses its production
// clients against them. The package is used by the `mcpvet demo` command as well as by tests, so it must
// not import the testing package; it must not import app/, action/ or any GitHub client either.
package testenv
