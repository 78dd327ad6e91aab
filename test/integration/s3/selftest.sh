#!/usr/bin/env bash
# Proves the S3 test server with real pgBackRest: starts it (start.sh), runs a throwaway PostgreSQL 15
# on 127.0.0.1 whose archive_command pushes WAL to it, then stanza-create, check, a full backup and
# info. Everything runs in a temporary directory and is stopped on exit; any failing step fails it.
#   bash test/integration/s3/selftest.sh
# Needs postgresql-15 and pgbackrest (Debian); installs them when run as root, else fails saying so.
# Runs PostgreSQL and pgBackRest as `postgres` when run as root (both refuse root).
# Env: CDK8S_STATEFUL_CACHE (see build.sh), KEEP=1 keeps the temporary directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PG_BIN=/usr/lib/postgresql/15/bin
t0=$(date +%s%N)
log() { printf '[selftest %6.1fs] %s\n' "$(( ($(date +%s%N) - t0) / 1000000 ))e-3" "$*" >&2; }

# --- tools: install what is missing (root) or say what is missing; never skip a step
need=()
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || need+=(postgresql-15)
command -v pgbackrest >/dev/null || need+=(pgbackrest)
for tool in openssl curl go python3; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [[ ${#need[@]} -gt 0 ]]; then
  [[ $(id -u) == 0 ]] || { echo "selftest: needs ${need[*]} (apt-get install, as root; go from go.dev)" >&2; exit 1; }
  [[ " ${need[*]} " != *" go "* ]] || { echo "selftest: go is required to build the server" >&2; exit 1; }
  log "installing ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ $(id -u) == 0 ]]; then
  pg_user=postgres
  id "$pg_user" >/dev/null 2>&1 || useradd --system --create-home "$pg_user"
  as_pg() { runuser -u "$pg_user" -- "$@"; }
else
  pg_user="$(id -un)"
  as_pg() { "$@"; }
fi
log "$(pgbackrest version), $("$PG_BIN/postgres" --version)"

# --- a temporary directory the PostgreSQL user can enter (mktemp makes it 0700)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/s3-selftest.XXXXXX")"
chmod 755 "$tmp"
pgdata="$tmp/pgdata" sock="$tmp/sock" conf="$tmp/pgbackrest.conf"
ok=""
cleanup() {
  set +e
  [[ -f $pgdata/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
  bash "$here/stop.sh" "$tmp/s3" 2>/dev/null
  if [[ -z $ok ]]; then
    echo "selftest: FAILED; logs:" >&2
    for f in "$tmp/pgbackrest/postgres.log" "$tmp/s3/s3-server.log" "$tmp"/pgbackrest/*.log; do
      [[ -f $f ]] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
    done
  fi
  if [[ -n ${KEEP:-} ]]; then echo "selftest: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# --- S3 server
bucket=pgbackrest
bash "$here/start.sh" "$tmp/s3" "$bucket"
# shellcheck source=/dev/null
source "$tmp/s3/s3.env"
log "S3 server on https://$S3_ENDPOINT:$S3_PORT (pid $S3_PID)"

# --- PostgreSQL 15 on a free 127.0.0.1 port (and a socket in $tmp, which pgBackRest uses)
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$pgdata" "$sock" "$tmp/pgbackrest"
chown "$pg_user" "$pgdata" "$sock" "$tmp/pgbackrest"
chmod 700 "$pgdata"
as_pg "$PG_BIN/initdb" -D "$pgdata" -U "$pg_user" -A trust --no-sync >/dev/null
cat >> "$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$sock'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$conf --stanza=selftest archive-push %p'
max_wal_senders = 3
fsync = off
CONF

# pgBackRest's configuration, without credentials: those come from the environment (below), as
# they would from a Secret in a pod. Path-style URLs: the bucket goes in the path, so the
# certificate needs no per-bucket host names.
cat > "$conf" <<CONF
[global]
repo1-type=s3
repo1-s3-endpoint=$S3_ENDPOINT
repo1-s3-uri-style=$S3_URI_STYLE
repo1-storage-port=$S3_PORT
repo1-storage-ca-file=$S3_CA_FILE
repo1-s3-bucket=$bucket
repo1-s3-region=$S3_REGION
repo1-path=/selftest
repo1-retention-full=1
start-fast=y
lock-path=$tmp/pgbackrest
log-path=$tmp/pgbackrest
log-level-console=warn
log-level-file=detail

[selftest]
pg1-path=$pgdata
pg1-port=$pg_port
pg1-socket-path=$sock
pg1-user=$pg_user
CONF
chmod 644 "$conf"
grep -q 's3-key' "$conf" && { echo "selftest: a key ended up in $conf" >&2; exit 1; }
s3env=(PGBACKREST_REPO1_S3_KEY="$S3_ACCESS_KEY" PGBACKREST_REPO1_S3_KEY_SECRET="$S3_SECRET_KEY")

# The server's environment carries the credentials to archive_command.
as_pg env "${s3env[@]}" "$PG_BIN/pg_ctl" -D "$pgdata" -l "$tmp/pgbackrest/postgres.log" -w -t 60 start >/dev/null
log "PostgreSQL 15 on 127.0.0.1:$pg_port"
as_pg "$PG_BIN/psql" -h "$sock" -p "$pg_port" -U "$pg_user" -d postgres -qAt -v ON_ERROR_STOP=1 \
  -c "create table selftest as select g as id, md5(g::text) as v from generate_series(1, 100000) g" >/dev/null

pgbr() { as_pg env "${s3env[@]}" pgbackrest --config="$conf" --stanza=selftest "$@"; }
step() {
  local name="$1" s; shift
  s=$(date +%s%N)
  "$@"
  log "$name: ok in $(( ($(date +%s%N) - s) / 1000000 )) ms"
}
step stanza-create pgbr stanza-create
step check pgbr check
step "full backup" pgbr --type=full backup
info="$(pgbr info)"
echo "$info"
grep -q 'status: ok' <<<"$info" || { echo "selftest: pgbackrest info does not say status: ok" >&2; exit 1; }
grep -q 'full backup:' <<<"$info" || { echo "selftest: pgbackrest info lists no full backup" >&2; exit 1; }
# the WAL of the backup reached the bucket through archive_command, not only the backup files
pgbr --output=json info | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]
b = s["backup"][-1]
assert b["type"] == "full" and b["archive"]["start"] and b["archive"]["stop"], b
print("backup %s: WAL %s..%s, %d bytes in the repository" % (b["label"], b["archive"]["start"], b["archive"]["stop"], b["info"]["repository"]["delta"]))
'
ok=1
log "selftest passed"
