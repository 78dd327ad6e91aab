#!/usr/bin/env bash
# Real-binary checks of the Postgres engine (PostgreSQL 15, Debian bookworm's):
#  1. the rendered postgresql.conf (the example's props, PostgresVersion.V15) is accepted by a real
#     `postgres`, and its tuned values are what a running server SHOWs;
#  2. the generated bootstrap scripts, run as the pods run them (same env; paths and ports are
#     substituted by the harness only), bring up a primary and a streaming standby on 127.0.0.1;
#     a restart with data does not re-clone; the manual failover runbook works.
# Prints PASS/FAIL lines and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PG_MAJOR=15
BIN=/usr/lib/postgresql/$PG_MAJOR/bin

need=()
[ -x "$BIN/postgres" ] || need+=("postgresql-$PG_MAJOR")
command -v shellcheck >/dev/null || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "FAIL: needs ${need[*]} (apt-get install, as root)"; exit 1; fi
  echo "installing ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/cdk8s-stateful-pg.XXXXXX)
cleanup() {
  # Stop every server the harness may have left running (it stops them itself when it can).
  for d in "$WORK"/*/pgdata; do
    [ -f "$d/postmaster.pid" ] || continue
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1 || true
    else "$BIN/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1 || true; fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
TS_NODE_TRANSPILE_ONLY=1 node_modules/.bin/ts-node --project test/tsconfig.json "$HERE/extract.ts" "$WORK/gen"
cp "$HERE/harness.sh" "$WORK/harness.sh"

# PostgreSQL refuses to run as root: run the harness as the `postgres` user (peer authentication
# of the superuser on the socket needs that name, as in the image where uid 999 is `postgres`).
# From its own work directory: a clone in a 0700 directory (mktemp -d) is no place the `postgres`
# user may enter, and psql would print that warning into every query's output.
cd "$WORK"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --create-home postgres
  chown -R postgres: "$WORK"
  runuser -u postgres -- env PATH="$BIN:$PATH" bash "$WORK/harness.sh" "$WORK"
elif [ "$(id -un)" = postgres ]; then
  PATH="$BIN:$PATH" bash "$WORK/harness.sh" "$WORK"
else
  echo "FAIL: run as root (the harness then runs as 'postgres') or as the 'postgres' user"; exit 1
fi
