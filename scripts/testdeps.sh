#!/usr/bin/env bash
# Installs the test material the Go tests read from <repo>/.testdeps/ (never committed: these are GitHub's
# documents, not ours), then writes .testdeps/github-openapi.json, GitHub's api.github.com OpenAPI
# description trimmed to the routes internal/testenv's GitHub fake serves.
#
# Idempotent and fast when everything is already present. No install scripts are ever run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
deps="$root/.testdeps"

openapi_version=23.0.2
examples_version=7.6.1

installed_version() { # prints the version of an installed package, or nothing
  local pj="$deps/node_modules/$1/package.json"
  [ -f "$pj" ] && node -e 'process.stdout.write(String(require(process.argv[1]).version))' "$pj" 2>/dev/null || true
}

mkdir -p "$deps"
if [ "$(installed_version @octokit/openapi)" != "$openapi_version" ] ||
  [ "$(installed_version @octokit/webhooks-examples)" != "$examples_version" ]; then
  echo "testdeps: installing @octokit/openapi@$openapi_version @octokit/webhooks-examples@$examples_version" >&2
  # A package.json of our own keeps npm from walking up to some other project's.
  [ -f "$deps/package.json" ] || printf '{"private":true,"name":"mcpvet-testdeps"}\n' >"$deps/package.json"
  npm install --prefix "$deps" --ignore-scripts --no-audit --no-fund --no-save --no-package-lock \
    --loglevel=error "@octokit/openapi@$openapi_version" "@octokit/webhooks-examples@$examples_version" >&2
fi

src="$deps/node_modules/@octokit/openapi/generated/api.github.com.json"
out="$deps/github-openapi.json"
trim="$root/scripts/trim-openapi.mjs"
if [ ! -s "$out" ] || [ "$src" -nt "$out" ] || [ "$trim" -nt "$out" ]; then
  start=$(date +%s%N)
  node "$trim" "$src" "$out.tmp"
  mv "$out.tmp" "$out"
  echo "testdeps: wrote $out ($(wc -c <"$out") bytes) in $((($(date +%s%N) - start) / 1000000)) ms" >&2
fi
