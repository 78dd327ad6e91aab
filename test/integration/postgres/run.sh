#!/usr/bin/env bash
# Real-binary checks of the Postgres engine's rendering (PostgreSQL 15 from Debian, Patroni 4.1.0 from
# PyPI). For the example and two variants, as pod <name>-0 would get them:
#  1. Patroni's own `patroni --validate-config` accepts the rendered patroni.yml with the pod's
#     environment (only the data directory moved to a temp dir), and refuses it without that
#     environment (so the check is real);
#  2. a real PostgreSQL, initialized with the rendered initdb options, loads every rendered
#     cluster-wide parameter (dynamic.yml) and reports the tuned values back;
#  3. the rendered post-bootstrap.sh, run as Patroni runs it (a connection string argument), creates
#     the database on a real server, and again is a no-op.
#  4. the rendered pg_hba is loaded by the server; for the variants with `tls` (tls.sh), on the same
#     server: certificates made with openssl for the rendered Certificate's names, a standby cloned and
#     streaming over TLS with verify-full, the rendered connection URI, plaintext clients, plaintext
#     replication, a wrong password and a wrong host name refused, and a renewed certificate served
#     after start.sh's tls_watch reloads, without a restart;
#  5. backup.sh: real pgBackRest backups and point-in-time restores (S3 over TLS, and a claim).
# Failover itself needs the Kubernetes API: test/cluster/failover runs three members on a control plane.
# Prints PASS/FAIL lines and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=setup.sh
. "$HERE/setup.sh"
postgres_setup || { echo "FAIL [postgres] setup: see above"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=tls.sh
. "$HERE/tls.sh"

WORK=$(mktemp -d /tmp/cdk8s-stateful-pg.XXXXXX)
chmod 755 "$WORK"
WATCH_GROUP=""
cleanup() {
  [ -n "$WATCH_GROUP" ] && kill -TERM -- "-$WATCH_GROUP" 2>/dev/null
  for d in "$WORK"/*/standby "$WORK"/*/initdb; do
    [ -f "$d/postmaster.pid" ] && as_pg_user "$PG_BIN/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
# The example imports the library by its package name: tsconfig-paths maps it to src/ (test/tsconfig.json).
TS_NODE_TRANSPILE_ONLY=1 TS_NODE_PROJECT=test/tsconfig.json node_modules/.bin/ts-node -r tsconfig-paths/register "$HERE/extract.ts" "$WORK"
[[ $(id -u) == 0 ]] && chown -R "$PG_USER": "$WORK"
cd "$WORK"

passed=0; failed=0
pass() { echo "PASS [postgres] $*"; passed=$((passed + 1)); }
fail() { echo "FAIL [postgres] $*"; failed=$((failed + 1)); }
py() { "$PATRONI_VENV/bin/python" - "$@"; }

for dir in "$WORK"/*/; do
  variant=$(basename "$dir")
  # The pod's environment, the data directory moved under the work directory.
  sed -e "s|data_dir: /var/lib/postgresql/data/pgdata|data_dir: $dir/pgdata|" -e "s|/etc/tls/|$dir/tls/|g" "$dir/patroni.yml" > "$dir/local.yml"
  if [[ -f $dir/tls-names ]] && ! tls_prepare "$dir"; then
    fail "$variant: could not make the test certificates"; continue
  fi
  mapfile -t pod_env < "$dir/pod.env"
  validate() { as_pg_user env -i PATH="$PG_BIN:/usr/bin:/bin" "$@" "$PATRONI_VENV/bin/patroni" --validate-config "$dir/local.yml"; }

  if out=$(validate "${pod_env[@]}" 2>&1); then
    pass "$variant: patroni --validate-config accepts the rendered patroni.yml with the pod's environment"
  else
    fail "$variant: patroni --validate-config: $out"
  fi
  # Without the pod's environment the same file lacks the member's name, addresses and passwords.
  if out=$(validate 2>&1); then
    fail "$variant: --validate-config accepted the file without the pod's environment: the check proves nothing"
  elif grep -q 'name  is not defined' <<<"$out" && grep -q 'restapi.authentication.password' <<<"$out"; then
    pass "$variant: without the pod's environment --validate-config refuses it (no name, no REST API password)"
  else
    fail "$variant: unexpected refusal without the environment: $out"
  fi

  # initdb as Patroni would (its bootstrap.initdb options), then the cluster-wide parameters.
  py "$dir/patroni.yml" > "$dir/initdb.args" <<'PY'
import sys, yaml
for opt in yaml.safe_load(open(sys.argv[1]))['bootstrap']['initdb']:
    print(f'--{opt}' if isinstance(opt, str) else ''.join(f'--{k}={v}' for k, v in opt.items()))
PY
  mapfile -t initdb_args < "$dir/initdb.args"
  if ! out=$(as_pg_user "$PG_BIN/initdb" -D "$dir/initdb" --auth=peer -U postgres "${initdb_args[@]}" 2>&1); then
    fail "$variant: initdb ${initdb_args[*]}: $out"; continue
  fi
  # Patroni's merge: the cluster-wide parameters, then the pod's own (patroni.yml) winning.
  py "$dir/dynamic.yml" "$dir/patroni.yml" <<'PY' | sed "s|/etc/tls/|$dir/tls/|g" > "$dir/parameters.conf"
import sys, yaml
params = dict(yaml.safe_load(open(sys.argv[1]))['postgresql']['parameters'])
params.update(yaml.safe_load(open(sys.argv[2]))['postgresql'].get('parameters') or {})
for key, value in params.items():
    text = str(value).replace("'", "''")
    print(f"{key} = '{text}'")
PY
  as_pg_user tee -a "$dir/initdb/postgresql.conf" < "$dir/parameters.conf" >/dev/null
  # Patroni's pg_hba rows, as it writes them into pg_hba.conf.
  py "$dir/patroni.yml" <<'PY' | as_pg_user tee "$dir/initdb/pg_hba.conf" >/dev/null
import sys, yaml
print('\n'.join(yaml.safe_load(open(sys.argv[1]))['postgresql']['pg_hba']))
PY
  checksums=$(as_pg_user "$PG_BIN/pg_controldata" "$dir/initdb" | awk -F: '/Data page checksum version/ {gsub(/ /, "", $2); print $2}')
  # -C parses the whole configuration (an unknown name or a bad value fails it) and prints one setting.
  shown=""
  for name in shared_buffers max_connections synchronous_commit max_slot_wal_keep_size; do
    shown+="$name=$(as_pg_user "$PG_BIN/postgres" -D "$dir/initdb" -C "$name" 2>&1) " || { shown="$name: $shown"; break; }
  done
  if [[ $shown != *FATAL* && $shown != *ERROR* && $shown != *": "* ]]; then
    pass "$variant: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') loads all $(wc -l < "$dir/parameters.conf") rendered parameters (${shown% }), data checksums version $checksums"
  else
    fail "$variant: PostgreSQL refuses the rendered parameters: $shown"
  fi
  [[ $checksums == 1 ]] || fail "$variant: initdb with the rendered options made no data checksums (pg_rewind needs them)"

  # post-bootstrap.sh against the server, with the connection string Patroni passes.
  db=$(sed -n 's/^POSTGRES_DB=//p' "$dir/pod.env")
  port=$((15400 + RANDOM % 500))
  as_pg_user mkdir -p "$dir/socket"
  if ! out=$(as_pg_user "$PG_BIN/pg_ctl" start -w -D "$dir/initdb" -l "$dir/server.log" \
      -o "-c listen_addresses='$NET_ADDR' -c port=$port -c unix_socket_directories=$dir/socket" 2>&1); then
    fail "$variant: the server did not start with the rendered parameters: $out $(tail -n 5 "$dir/server.log")"; continue
  fi
  conn="postgres://postgres@%2F${dir//\//%2F}socket:$port/postgres"
  as_pg_user env -i PATH="$PG_BIN:/usr/bin:/bin" POSTGRES_DB="$db" "$dir/scripts/post-bootstrap.sh" "$conn" > "$dir/pb1.log" 2>&1 && r1=0 || r1=$?
  as_pg_user env -i PATH="$PG_BIN:/usr/bin:/bin" POSTGRES_DB="$db" "$dir/scripts/post-bootstrap.sh" "$conn" > "$dir/pb2.log" 2>&1 && r2=0 || r2=$?
  count=$(as_pg_user "$PG_BIN/psql" -h "$dir/socket" -p "$port" -U postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$db'" postgres)
  if [[ $r1 == 0 && $r2 == 0 && $count == 1 ]]; then
    pass "$variant: post-bootstrap.sh creates database '$db' through Patroni's connection string; run again, it changes nothing"
  else
    fail "$variant: post-bootstrap.sh: exit $r1 then $r2, $count database(s) '$db': $(cat "$dir/pb1.log" "$dir/pb2.log")"
  fi
  hba=$(as_pg_user "$PG_BIN/psql" -h "$dir/socket" -p "$port" -U postgres -Atc "SELECT count(*) FILTER (WHERE error IS NULL) || ' ' || count(*) || ' ' || string_agg(DISTINCT auth_method, ',' ORDER BY auth_method) FROM pg_hba_file_rules" postgres)
  read -r hba_ok hba_all hba_methods <<<"$hba"
  if [[ $hba_ok == "$hba_all" && $hba_all == $(grep -c . "$dir/initdb/pg_hba.conf") && $hba_methods != *md5* && $hba_methods != *trust* && $hba_methods != *password* ]]; then
    pass "$variant: the server loaded all $hba_all rendered pg_hba rows (methods: $hba_methods)"
  else
    fail "$variant: pg_hba_file_rules: $hba_ok of $hba_all rows without error, methods $hba_methods"
  fi
  if [[ -f $dir/tls-names ]]; then tls_checks "$dir" "$port" || fail "$variant: the TLS checks stopped early: see above"; fi
  [[ -f $dir/standby/postmaster.pid ]] && as_pg_user "$PG_BIN/pg_ctl" stop -D "$dir/standby" -m fast >/dev/null
  as_pg_user "$PG_BIN/pg_ctl" stop -D "$dir/initdb" -m fast >/dev/null
done

# Backups and restores, with their own servers (counted here as one check).
if bash "$HERE/backup.sh"; then
  pass "backup.sh: backups and point-in-time restores with the rendered pgBackRest configuration"
else
  fail "backup.sh: see its FAIL lines above"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
