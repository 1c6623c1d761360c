#!/usr/bin/env bash
# bench/check.sh — times `mcpvet check` against `npm diff` on the same local npm registry (the fixture world),
# side by side in one run, both with warm caches. Usage: bench/check.sh [runs] (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
spec_name=mailpost-mcp from=1.0.15 to=1.0.16

tmp=$(mktemp -d)
world_pid=
cleanup() { [ -n "$world_pid" ] && kill "$world_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/mcpvet" ./cmd/mcpvet
go build -o "$tmp/world" ./bench/world
"$tmp/world" "$tmp/world-data" >"$tmp/env" &
world_pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$tmp/env" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready$' "$tmp/env" || { echo "fixture world did not start" >&2; exit 1; }
# shellcheck disable=SC1091
source <(grep '^export ' "$tmp/env")
export npm_config_cache="$tmp/npm-cache" HOME="$tmp"

mcpvet_once() { "$tmp/mcpvet" check --format json "$spec_name@$from..$to" >/dev/null || [ $? -eq 1 ]; }
npm_once() { npm diff --registry "$npm_config_registry" --diff="$spec_name@$from" --diff="$spec_name@$to" >/dev/null; }

time_runs() { # prints milliseconds per run
  local fn=$1 start end
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$fn"; done
  end=$(date +%s%N)
  echo $(( (end - start) / runs / 1000000 ))
}

mcpvet_once; npm_once # warm both caches
m=$(time_runs mcpvet_once)
n=$(time_runs npm_once)
printf '%-40s %8s\n' "command ($runs runs, warm cache)" "ms/run"
printf '%-40s %8d\n' "mcpvet check $spec_name@$from..$to" "$m"
printf '%-40s %8d\n' "npm diff $spec_name@$from..$to" "$n"
awk -v m="$m" -v n="$n" 'BEGIN { if (n > 0) printf "ratio mcpvet/npm-diff: %.2f\n", m / n }'
