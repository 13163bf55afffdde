#!/usr/bin/env bash
# Sourced by scripts/test.sh. Makes sure a PostgreSQL server answers on loopback and exports
# TEST_DATABASE_URL (a server-level URL; tests create and drop their own databases on it).
# 1. An already running server on 127.0.0.1:5432 (trust auth) is used as it is.
# 2. Otherwise PostgreSQL is installed from Debian's packages when missing, and a throwaway
#    cluster is started on 127.0.0.1:${PG_TEST_PORT:-54329} for this run and stopped at exit.
pg_answers() { # host port
  node -e '
    const s = require("node:net").connect({host: process.argv[1], port: +process.argv[2]});
    s.setTimeout(1500, () => process.exit(1));
    s.on("connect", () => { s.end(); process.exit(0); });
    s.on("error", () => process.exit(1));' "$1" "$2"
}

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "postgres: using TEST_DATABASE_URL from the environment"
elif pg_answers 127.0.0.1 5432; then
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  echo "postgres: using the server on 127.0.0.1:5432"
else
  PG_TEST_PORT="${PG_TEST_PORT:-54329}"
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "postgres: not installed; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  PG_TMP=$(mktemp -d /tmp/console-pg.XXXXXX)
  chown postgres:postgres "$PG_TMP" 2>/dev/null || true
  run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
  run_pg "$bindir/initdb -D $PG_TMP/data -U postgres --auth=trust -E UTF8 >/dev/null"
  run_pg "$bindir/pg_ctl -D $PG_TMP/data -l $PG_TMP/log -w -o \"-p $PG_TEST_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
  export PG_TMP bindir
  trap 'run_pg "$bindir/pg_ctl -D $PG_TMP/data -m fast stop >/dev/null" || true; rm -rf "$PG_TMP"' EXIT
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/postgres"
  echo "postgres: started a throwaway cluster on 127.0.0.1:$PG_TEST_PORT"
fi
