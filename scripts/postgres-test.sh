#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the store's tests on PostgreSQL (every test given a backend list;
# each makes a database of its own on it).
#   bash scripts/postgres-test.sh start    # prints "DIR URL"; the server runs until `stop DIR`
#   bash scripts/postgres-test.sh stop DIR
# Needs Debian's postgresql package (scripts/setup.sh --with-postgres). No systemd: initdb and pg_ctl, as the
# postgres user when run as root, trust authentication on 127.0.0.1 only, fsync off (test data).
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bin" ] || { echo "PostgreSQL server missing: bash scripts/setup.sh --with-postgres" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

case "${1:-start}" in
    start)
        dir="$(mktemp -d /tmp/ig-postgres.XXXXXX)"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        as_owner "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 >'$dir/initdb.log' 2>&1"
        as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
        echo "$dir postgres://postgres@127.0.0.1:$port/postgres"
        ;;
    stop)
        dir="${2:?stop DIR}"
        as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null" || true
        rm -rf "$dir"
        ;;
    *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
