// Package source finds and reads the upstream git source a published package
// claims: it parses and infers repository claims (npm `repository`, homepage,
// bugs URL, README links), fetches the claimed repository into a hardened,
// size-bounded bare mirror with the git CLI over HTTPS (refusing SSRF targets),
// indexes the whole history by path and blob id, and resolves the folder and
// commit a published version was most likely built from (gitHead, tag,
// package.json version, best tree match).
//
// Everything read here — claims, URLs, refs, trees, blobs, commit metadata — is
// hostile input: every read is bounded by a named limit (see [Limits]) and git
// only ever runs plumbing on bare repositories this package owns, with hooks,
// filters, submodules, system/global config and credential helpers disabled.
// Nothing from a fetched repository is ever executed or checked out.
//
// It also asks the upstream host's REST API what it says about a repository
// (fork, archived, created; see [IdentityClient]) with plain net/http.
//
// This package must not import app/, action/ or any GitHub API client: it
// talks to git servers only through the git CLI.
package source
