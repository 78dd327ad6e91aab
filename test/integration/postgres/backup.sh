#!/usr/bin/env bash
# Real backups and point-in-time restores with what the library renders: pgBackRest 2.45 (Debian) and
# PostgreSQL 15, the rendered pgbackrest.conf, archive settings and scripts (backup-agent.py, the
# pgbackrest.sh wrapper, restore.sh), with only paths, the port and the store's address rewritten
# for loopback. Two repositories: an S3-compatible store over TLS with its own CA and an encrypted
# repository (test/integration/s3), and a claim-style POSIX directory.
# For each: a full backup through the agent, 1000 rows written after it (so they exist only in the
# archived WAL), the time noted, the table dropped; then a new instance rendered with
# PostgresRestore.toTime(that time) restores through restore.sh, PostgreSQL replays the archive to
# the time and promotes, and every row is counted. The restored S3 instance then backs itself up
# under its own stanza, and restore.sh refuses to write over a data directory that has data.
# Prints PASS/FAIL lines with the times, and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=setup.sh
. "$HERE/setup.sh"
postgres_setup || { echo "FAIL [pgbackrest] setup: see above"; echo "0 passed, 1 failed"; exit 1; }
if ! command -v pgbackrest >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "FAIL [pgbackrest] needs pgbackrest (apt-get install pgbackrest, as root)"; echo "0 passed, 1 failed"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null ||
    { echo "FAIL [pgbackrest] apt-get install pgbackrest failed"; echo "0 passed, 1 failed"; exit 1; }
fi

WORK=$(mktemp -d /tmp/cdk8s-stateful-pgbr.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  for d in "$WORK"/render/*/volume/pgdata; do
    [ -f "$d/postmaster.pid" ] && as_pg_user "$PG_BIN/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1
  done
  [ -f "$WORK/s3/s3.env" ] && bash "$ROOT/test/integration/s3/stop.sh" "$WORK/s3" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0; failed=0
pass() { echo "PASS [pgbackrest] $*"; passed=$((passed + 1)); }
fail() { echo "FAIL [pgbackrest] $*"; failed=$((failed + 1)); }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

bash "$ROOT/test/integration/s3/start.sh" "$WORK/s3" backups >/dev/null
# shellcheck source=/dev/null
. "$WORK/s3/s3.env"
mkdir -p "$WORK/claim-repo"

extract() {
  (cd "$ROOT" && TS_NODE_TRANSPILE_ONLY=1 TS_NODE_PROJECT=test/tsconfig.json \
    node_modules/.bin/ts-node -r tsconfig-paths/register "$HERE/extract-backup.ts" "$WORK/render")
}

# The pod's paths and addresses, moved to this variant's directory and loopback.
rewrite() {
  local dir=$1 file
  for file in "$dir"/pgbackrest/*.conf "$dir"/dynamic.yml "$dir"/patroni.yml; do
    [ -f "$file" ] || continue
    as_pg_user sed -i \
      -e "s|/var/lib/postgresql/data|$dir/volume|g" \
      -e "s|/var/run/postgresql|$dir/run|g" \
      -e "s|=/tmp/pgbackrest|=$dir/tmp/pgbackrest|g" \
      -e "s|/etc/pgbackrest/[a-z]*-ca/ca.crt|$S3_CA_FILE|g" \
      -e "s|/var/lib/pgbackrest-[a-z]*|$WORK/claim-repo|g" \
      -e "s|/scripts/|$dir/scripts/|g" \
      -e "s|^repo1-s3-endpoint=.*|repo1-s3-endpoint=$S3_ENDPOINT|" \
      -e "s|^repo1-storage-port=.*|repo1-storage-port=$S3_PORT|" \
      -e "s|^pg1-port=.*|pg1-port=$(cat "$dir/port")|" \
      "$file"
  done
  as_pg_user mkdir -p "$dir/volume" "$dir/run" "$dir/tmp"
}

# Runs a command as the pod's container would: its environment only, plus where the files went.
in_pod() {
  local dir=$1 envfile=$2; shift 2
  local -a vars
  mapfile -t vars < "$dir/$envfile"
  as_pg_user env -i PATH="$PG_BIN:/usr/bin:/bin" HOME="$dir/tmp" "${vars[@]}" \
    BACKUP_CONFIG_DIR="$dir/pgbackrest" BACKUP_WRAPPER="$dir/scripts/pgbackrest.sh" "$@"
}

# The rendered cluster-wide parameters (dynamic.yml), between markers so a restored copy can swap them.
parameters() {
  "$PATRONI_VENV/bin/python" - "$1/dynamic.yml" <<'PY'
import sys, yaml
print('# cdk8s-stateful test parameters')
for key, value in yaml.safe_load(open(sys.argv[1]))['postgresql']['parameters'].items():
    text = str(value).replace("'", "''")
    print(f"{key} = '{text}'")
print('# end of cdk8s-stateful test parameters')
PY
}

start_server() {
  local dir=$1
  in_pod "$dir" pod.env "$PG_BIN/pg_ctl" start -w -t 120 -D "$dir/volume/pgdata" -l "$dir/server.log" \
    -o "-c listen_addresses='' -c port=$(cat "$dir/port") -c unix_socket_directories=$dir/run" >/dev/null
}
sql() { local dir=$1; shift; as_pg_user "$PG_BIN/psql" -h "$dir/run" -p "$(cat "$dir/port")" -U postgres -X -Atq -v ON_ERROR_STOP=1 "$@" postgres; }

echo "pgbackrest: $(pgbackrest version), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), S3 store on $S3_ENDPOINT:$S3_PORT"
extract
[[ $(id -u) == 0 ]] && chown -R "$PG_USER": "$WORK"
port=$((15900 + RANDOM % 400))
for variant in s3 claim; do
  dir="$WORK/render/$variant"
  echo $((port++)) > "$dir/port"
  rewrite "$dir"
  if ! out=$(as_pg_user "$PG_BIN/initdb" -D "$dir/volume/pgdata" --auth=peer -U postgres --data-checksums 2>&1); then
    fail "$variant: initdb: $out"; continue
  fi
  parameters "$dir" | as_pg_user tee -a "$dir/volume/pgdata/postgresql.conf" >/dev/null
  if ! start_server "$dir"; then fail "$variant: server did not start: $(tail -n 5 "$dir/server.log")"; continue; fi

  # The agent's one-shot mode is what it runs on the primary for a CronJob's request.
  t0=$(date +%s.%N)
  if out=$(in_pod "$dir" backup.env python3 "$dir/scripts/backup-agent.py" run full 2>&1); then
    label=$(in_pod "$dir" backup.env "$dir/scripts/pgbackrest.sh" target --stanza="$(sed -n 's/^BACKUP_STANZA=//p' "$dir/backup.env")" info --output=json |
      "$PATRONI_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["backup"][-1]["label"])')
    pass "$variant: full backup $label through backup-agent.py (stanza-create + backup) in $(elapsed "$t0") s"
  else
    fail "$variant: backup-agent.py run full: $out"; continue
  fi
  sql "$dir" -c "CREATE TABLE orders (id int PRIMARY KEY, note text)" \
    -c "INSERT INTO orders SELECT i, md5(i::text) FROM generate_series(1, 1000) i"
done

# One time for both: after every row was committed, before the drops.
sleep 1.2
target=$(sql "$WORK/render/s3" -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.2
for variant in s3 claim; do
  dir="$WORK/render/$variant"
  [ -f "$dir/volume/pgdata/postmaster.pid" ] || continue
  sql "$dir" -c "DROP TABLE orders" >/dev/null
  wal=$(sql "$dir" -c "SELECT pg_walfile_name(pg_switch_wal())")
  archived=""
  for _ in $(seq 1 60); do
    archived=$(sql "$dir" -c "SELECT coalesce(last_archived_wal, '') >= '$wal' FROM pg_stat_archiver")
    [[ $archived == t ]] && break
    sleep 0.5
  done
  as_pg_user "$PG_BIN/pg_ctl" stop -D "$dir/volume/pgdata" -m fast >/dev/null
  if [[ $archived == t ]]; then
    pass "$variant: the primary archived its WAL through the rendered archive_command (up to $wal)"
  else
    fail "$variant: WAL $wal not archived: $(grep -i -m3 'archive\|error' "$dir/server.log")"
  fi
done

RESTORE_TIME="$target" extract >/dev/null
[[ $(id -u) == 0 ]] && chown -R "$PG_USER": "$WORK"
for variant in s3 claim; do
  dir="$WORK/render/$variant-restore"
  echo $((port++)) > "$dir/port"
  rewrite "$dir"
  data="$dir/volume/pgdata"
  t0=$(date +%s.%N)
  # As Patroni's custom bootstrap runs it (bootstrap.pgbackrest.command in the rendered patroni.yml).
  command=$("$PATRONI_VENV/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["bootstrap"]["pgbackrest"]["command"])' "$dir/patroni.yml")
  read -r -a argv <<<"$command"
  if ! out=$(in_pod "$dir" pod.env "${argv[@]}" 2>&1); then fail "$variant-restore: $command: $out"; continue; fi
  restored=$(elapsed "$t0")
  # The restored instance's own parameters, as its Patroni would apply them, instead of the source's.
  as_pg_user sed -i '/^# cdk8s-stateful test parameters$/,/^# end of cdk8s-stateful test parameters$/d' "$data/postgresql.conf"
  parameters "$dir" | as_pg_user tee -a "$data/postgresql.conf" >/dev/null
  grep -q '^archive_mode' "$dir/dynamic.yml" 2>/dev/null || grep -q 'archive_mode' "$dir/dynamic.yml" || echo "archive_mode = 'off'" | as_pg_user tee -a "$data/postgresql.conf" >/dev/null
  t1=$(date +%s.%N)
  if ! start_server "$dir"; then fail "$variant-restore: server did not start: $(tail -n 8 "$dir/server.log")"; continue; fi
  for _ in $(seq 1 120); do
    [[ $(sql "$dir" -c "SELECT pg_is_in_recovery()") == f ]] && break
    sleep 0.5
  done
  replayed=$(elapsed "$t1")
  rows=$(sql "$dir" -c "SELECT count(*) FROM orders" 2>&1 || true)
  if [[ $(sql "$dir" -c "SELECT pg_is_in_recovery()") == f && $rows == 1000 ]]; then
    pass "$variant-restore: PostgresRestore.toTime('$target') brought back 1000 of 1000 rows of the dropped table (restore.sh $restored s, WAL replay and promotion $replayed s)"
  else
    fail "$variant-restore: after the restore: rows '$rows', in recovery $(sql "$dir" -c "SELECT pg_is_in_recovery()" 2>&1); $(grep -m5 'LOG:  \(recovery\|redo\|restored\)\|FATAL\|ERROR' "$dir/server.log")"
  fi

  if [[ $variant == s3 ]]; then
    stanza=$(sed -n 's/^BACKUP_STANZA=//p' "$dir/backup.env")
    if out=$(in_pod "$dir" backup.env python3 "$dir/scripts/backup-agent.py" run full 2>&1) &&
      stanzas=$(in_pod "$dir" backup.env pgbackrest --config="$dir/pgbackrest/pgbackrest.conf" info --output=json |
        "$PATRONI_VENV/bin/python" -c 'import json,sys; print(" ".join(s["name"] + ":" + str(len(s["backup"])) for s in json.load(sys.stdin)))') &&
      [[ $stanzas == *"orders:1"* && $stanzas == *"$stanza:1"* ]]; then
      pass "$variant-restore: the restored instance backs up under its own stanza, the source's backups untouched ($stanzas)"
    else
      fail "$variant-restore: backup of the restored instance: ${stanzas:-} $out"
    fi
  fi

  # A restore never writes over data: run again on the volume that now has data, it must refuse.
  as_pg_user "$PG_BIN/pg_ctl" stop -D "$data" -m fast >/dev/null
  before=$(as_pg_user cat "$data/global/pg_control" | sha256sum)
  if out=$(in_pod "$dir" pod.env "${argv[@]}" 2>&1); then
    fail "$variant-restore: restore.sh ran over a data directory with data"
  elif [[ $(as_pg_user cat "$data/global/pg_control" | sha256sum) == "$before" ]] && grep -q 'contains files' <<<"$out"; then
    pass "$variant-restore: restore.sh refuses a data directory that has data, and leaves it as it was ($(grep -o 'ERROR: \[[0-9]*\]: [^.]*' <<<"$out" | head -1))"
  else
    fail "$variant-restore: second restore.sh: $out"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
