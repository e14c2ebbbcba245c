#!/usr/bin/env bash
# N eynid nodes on one PostgreSQL database, all on this machine (loopback):
#   scripts/pg-nodes.sh start [N] [DIR]   cluster + database + N nodes (default 3, var/pg-nodes)
#   scripts/pg-nodes.sh stop [DIR]        stops the nodes and the cluster
#   scripts/pg-nodes.sh status [DIR]      /ready of every node
# Installs Debian's PostgreSQL when absent (scripts/setup.sh), creates the cluster in
# DIR/pg (Unix socket only), the database "eyni", one data folder per node (a copy of the
# first node's configuration and keys: every node must hold the same data keys), and starts
# node i on 127.0.0.1:(BASE_PORT+i) (BASE_PORT defaults to 8180). Logs: DIR/nodeI/eynid.log.
# SHARDS=S (at the first start) shards the galleries: an API key of role node for the
# nodes to call each other with, gallery.shards = S, and node i holding shards i-1 and i
# (mod S), so with N >= S every shard is on two nodes and any one node may be down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cmd=${1:-}
case "$cmd" in
start) n=${2:-3}; dir=${3:-$root/var/pg-nodes} ;;
stop | status) dir=${2:-$root/var/pg-nodes} ;;
*) echo "usage: $0 start [N] [DIR] | stop [DIR] | status [DIR]" >&2; exit 2 ;;
esac
bin=${EYNI_BIN:-$root/build}
base=${BASE_PORT:-8180}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

node_pid() { [[ -f "$1/eynid.pid" ]] && kill -0 "$(cat "$1/eynid.pid")" 2>/dev/null && cat "$1/eynid.pid"; }

case "$cmd" in
start)
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive number" >&2; exit 2; }
    ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || "$here/setup.sh"
    [[ -x "$bin/eynid" ]] || { echo "$0: build first (make build), or set EYNI_BIN" >&2; exit 1; }
    server=$("$here/pg-server.sh" start "$dir/pg")
    uri="postgresql://postgres@/eyni?host=$dir/pg"
    if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = 'eyni'" | grep -q 1; then
        psql "$server" -qc "CREATE DATABASE eyni"
    fi
    shards=${SHARDS:-1}
    [[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "$0: SHARDS must be a positive number" >&2; exit 2; }
    if [[ ! -f "$dir/node1/eyni.conf" ]]; then
        "$bin/eyni" init --data "$dir/node1" --store "$uri" --listen "127.0.0.1:$((base + 1))" >&2
        if ((shards > 1)); then
            "$bin/eyni" key create --data "$dir/node1" --agency NODES --role node --json \
                | sed -n 's/.*"token":"\([^"]*\)".*/\1/p' >"$dir/node1/node.key"
            chmod 600 "$dir/node1/node.key"
            printf 'gallery.shards = %s\ngallery.node_key = node.key\n' "$shards" >>"$dir/node1/eyni.conf"
        fi
        first=1
    fi
    for i in $(seq 2 "$n"); do # copies without node 1's runtime files
        d="$dir/node$i"
        if [[ ! -f "$d/eyni.conf" ]]; then
            cp -a "$dir/node1" "$d"
            rm -f "$d/eynid.pid" "$d/eynid.log"
        fi
    done
    if [[ -n "${first:-}" ]] && ((shards > 1)); then
        for i in $(seq 1 "$n"); do
            a=$(((i - 1) % shards)) b=$((i % shards))
            held=$a; ((a != b)) && held="$a,$b"
            echo "gallery.node_shards = $held" >>"$dir/node$i/eyni.conf"
        done
    fi
    for i in $(seq 1 "$n"); do
        d="$dir/node$i"
        if [[ -n "$(node_pid "$d" || true)" ]]; then continue; fi
        "$bin/eynid" --data "$d" --listen "127.0.0.1:$((base + i))" >>"$d/eynid.log" 2>&1 &
        echo $! >"$d/eynid.pid"
    done
    for i in $(seq 1 "$n"); do
        for _ in $(seq 1 300); do
            curl -sf "http://127.0.0.1:$((base + i))/ready" >/dev/null && break
            sleep 0.2
        done
        curl -sf "http://127.0.0.1:$((base + i))/ready" >/dev/null \
            || { echo "$0: node $i not ready; see $dir/node$i/eynid.log" >&2; exit 1; }
        echo "node $i: http://127.0.0.1:$((base + i))"
    done
    echo "store: $uri; administrator key: $dir/node1/operator.key"
    ;;
stop)
    for d in "$dir"/node*; do
        [[ -d "$d" ]] || continue
        if pid=$(node_pid "$d"); then
            kill "$pid"
            while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        fi
        rm -f "$d/eynid.pid"
    done
    "$here/pg-server.sh" stop "$dir/pg"
    ;;
status)
    for d in "$dir"/node*; do
        [[ -d "$d" ]] || continue
        i=${d##*node}
        printf 'node %s: ' "$i"
        curl -s "http://127.0.0.1:$((base + i))/ready" || printf 'down'
        echo
    done
    ;;
esac
