#!/usr/bin/env bash
# A private PostgreSQL server for tests and local multi-node runs, in a folder of its own:
#   scripts/pg-server.sh start DIR   initdb (first time) and start; prints the server URI
#   scripts/pg-server.sh fresh DIR   stop, wipe and start an empty cluster (tests)
#   scripts/pg-server.sh stop DIR    fast shutdown
#   scripts/pg-server.sh uri DIR     prints the URI of the running server
# The server listens only on a Unix socket inside DIR (no TCP port to collide with other
# runs). PostgreSQL refuses to run as root, so as root the cluster belongs to the
# 'postgres' user that Debian's postgresql package creates.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|fresh|stop|uri DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x "$bindir/initdb" ]] || { echo "$0: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
# The socket path must fit in sun_path (107 bytes) with "/.s.PGSQL.5432".
(( ${#dir} <= 90 )) || { echo "$0: $dir is too long for a Unix socket path" >&2; exit 1; }

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || { echo "$0: running as root needs the 'postgres' user" >&2; exit 1; }
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

uri() { echo "postgresql://postgres@/postgres?host=$dir"; }

case "$cmd" in
fresh)
    "$0" stop "$dir"
    rm -rf "$dir/data"
    exec "$0" start "$dir"
    ;;
start)
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        # C collation: text sorts byte-wise, as in SQLite.
        as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
            --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-k $dir -c listen_addresses= -c max_connections=300 -c fsync=${PG_FSYNC:-on}" \
            start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    fi
    uri
    ;;
stop)
    if [[ -f "$dir/data/PG_VERSION" ]]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
uri) uri ;;
*) echo "usage: $0 start|fresh|stop|uri DIR" >&2; exit 2 ;;
esac
