#!/usr/bin/env bash
# scripts/postgres.sh — a throwaway PostgreSQL server from Debian packages, for mcpvet's scale-out tests
# (MCPVET_TEST_POSTGRES) and benchmarks. Nothing here is for production use.
#
#   scripts/postgres.sh start DIR   installs the Debian `postgresql` server package if it is missing
#                                   (apt-get), creates a cluster in DIR (initdb) unless one is there, starts
#                                   it on a free loopback port, and prints its postgres:// URL on stdout
#                                   (also written to DIR/url). Starting a running cluster prints its URL.
#   scripts/postgres.sh url DIR     prints the URL of the cluster in DIR.
#   scripts/postgres.sh stop DIR    stops the cluster in DIR (fast shutdown); DIR is left for `rm -rf`.
#
# The server listens on 127.0.0.1 only, trusts local connections (no password: a test cluster on
# loopback), and keeps its socket in DIR. PostgreSQL refuses to run as root, so when run as root the
# cluster is owned by, and run as, the `postgres` user that the Debian package creates.
# Typical use:  export MCPVET_TEST_POSTGRES=$(scripts/postgres.sh start /tmp/pg) ... scripts/postgres.sh stop /tmp/pg
set -euo pipefail

usage() { echo "usage: $0 start|url|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
data="$dir/data"
db=mcpvet
user=mcpvet

bindir() { # the newest installed server's bin directory, or nothing
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
  return 0
}

install_server() {
  [ -n "$(bindir)" ] && return 0
  echo "postgres.sh: installing the Debian postgresql server package" >&2
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  # Do not let the package create and start its own default cluster: we only want the binaries.
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' | $sudo tee /etc/postgresql-common/createcluster.d/mcpvet-no-main.conf >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  [ -n "$(bindir)" ] || { echo "postgres.sh: no initdb/pg_ctl under /usr/lib/postgresql/*/bin after install" >&2; exit 1; }
}

as_owner() { # runs a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() { # a free loopback TCP port
  python3 - <<'EOF' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

url_of() { echo "postgres://$user@127.0.0.1:$(cat "$dir/port")/$db?sslmode=disable"; }

running() { [ -f "$data/postmaster.pid" ] && as_owner "$(bindir)/pg_ctl" -D "$data" status >/dev/null 2>&1; }

start() {
  install_server
  local bin
  bin=$(bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    as_owner test -w "$dir" || {
      echo "postgres.sh: the postgres user cannot reach $dir (a parent directory is closed to it): use a directory under /tmp" >&2
      exit 1
    }
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if running; then url_of; return 0; fi
  free_port >"$dir/port.tmp"
  mv "$dir/port.tmp" "$dir/port"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/port"; fi
  # fsync off and a short checkpoint cadence: a throwaway test cluster, not a database to keep.
  as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || { tail -n 30 "$dir/server.log" >&2; exit 1; }
  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$dir/port")" -U postgres -d postgres)
  if [ -z "$("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" ]; then
    "${psql[@]}" -c "CREATE ROLE $user LOGIN CREATEDB" >&2
  fi
  if [ -z "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE $db OWNER $user" >&2
  fi
  url_of | tee "$dir/url"
}

stop() {
  local bin
  bin=$(bindir)
  [ -n "$bin" ] || { echo "postgres.sh: no PostgreSQL server installed" >&2; exit 1; }
  if running; then as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2; fi
}

case "$cmd" in
start) start ;;
url) [ -f "$dir/port" ] || { echo "postgres.sh: no cluster in $dir" >&2; exit 1; }; url_of ;;
stop) stop ;;
*) usage ;;
esac
