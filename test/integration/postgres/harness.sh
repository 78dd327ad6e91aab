#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2317  # check's arguments are eval'd on purpose; functions run through check
# Run by run.sh as a non-root user with PostgreSQL 15's binaries first on PATH. $1 is the work
# directory holding gen/ (what extract.ts wrote). Each "pod" gets a directory standing for its
# volume mount (pgdata inside it, as PGDATA is a subdirectory of the mount) and a run/ directory
# standing for its /var/run/postgresql emptyDir.
set -uo pipefail
WORK=$1
GEN=$WORK/gen
PASSED=0
FAILED=0
started=$(date +%s)

pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
finish() {
  echo "postgres real binaries: $(( $(date +%s) - started ))s"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
  exit $?
}
die() { fail "$*"; for d in "$WORK"/*/pgdata; do pg_ctl stop -D "$d" -m immediate >/dev/null 2>&1; done; finish; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
conf() { sed -n "s/^$1 = \\([^ ]*\\).*/\\1/p" "$GEN/etc/postgresql.conf" | tr -d "'"; }

PASSWORD=superuser-Secret:1
REPL_PASSWORD='repl:pass\word'  # ':' and '\' must survive the .pgpass escaping
# Literal env of the bootstrap init container and the server, as synthesized (PRIMARY_HOST and
# friends are replaced per pod below: cluster DNS names become 127.0.0.1 and a spare port).
set -a
# shellcheck disable=SC1091
. "$GEN/bootstrap.env"
# shellcheck disable=SC1091
. "$GEN/server.env"
set +a
echo "harness: $(postgres --version), image under test $(cat "$GEN/image"), pod args: $(cat "$GEN/args")"

# ---------------------------------------------------------------- shellcheck of every embedded script
for f in "$GEN"/scripts/*.sh "$GEN/prestop.sh"; do
  check "shellcheck $(basename "$f")" shellcheck -s sh "$f"
done

P1=$(free_port)
P2=$(free_port)
[ "$P1" != "$P2" ] || P2=$((P1 + 1))

# The server as a pod starts it: the image's entrypoint runs `postgres -c config_file=<ConfigMap>`;
# here config_file and hba_file point at the extracted files, and the harness adds loopback-only
# listening, a spare port and the pod's socket directory (command-line settings win over the file).
server_opts() { # $1 = pod dir, $2 = port
  printf '%s' "-c config_file=$GEN/etc/postgresql.conf -c hba_file=$GEN/etc/pg_hba.conf -c listen_addresses=127.0.0.1 -c port=$2 -c unix_socket_directories=$1/run"
}
start_server() { # $1 = pod dir, $2 = port
  PGDATA=$1/pgdata PGPASSFILE=$1/run/.pgpass pg_ctl start -D "$1/pgdata" -w -t 60 -l "$1/server.log" -o "$(server_opts "$1" "$2")" >/dev/null
}
stop_server() { # $1 = pod dir: the preStop command of the pod, as extracted
  PGDATA=$1/pgdata "$GEN/prestop.sh" >> "$1/prestop.log" 2>&1
}
bootstrap() { # $1 = pod dir, $2 = pod name, $3 = primary ordinal, $4 = primary port; output in $1/bootstrap.log
  env PGDATA="$1/pgdata" PGPASSFILE="$1/run/.pgpass" POD_NAME="$2" PRIMARY_ORDINAL="$3" \
    PRIMARY_HOST=127.0.0.1 PRIMARY_PORT="$4" PRIMARY_WAIT_SECONDS="${WAIT:-30}" \
    REPLICATION_USER="$REPLICATION_USER" REPLICATION_PASSWORD="$REPL_PASSWORD" \
    "$GEN/scripts/bootstrap.sh" > "$1/bootstrap.log" 2>&1
}
sql() { # $1 = port, $2 = SQL: as the superuser over TCP with scram-sha-256
  PGPASSWORD=$PASSWORD psql -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -c "$2" 2>&1
}
sysid() { pg_controldata "$1/pgdata" | sed -n 's/^Database system identifier: *//p'; }
wait_for() { # $1 = port, $2 = SQL, $3 = expected output; up to 30 s
  local _
  for _ in $(seq 1 60); do
    [ "$(sql "$1" "$2")" = "$3" ] && return 0
    sleep 0.5
  done
  echo "  expected '$3' from '$2' on port $1, got '$(sql "$1" "$2")'"
  return 1
}
logs_say() { grep -q -- "$2" "$1" || { echo "  $1 does not say '$2':"; sed 's/^/    /' "$1"; return 1; }; }

A=$WORK/pod-0   # orders-0, the primary
B=$WORK/pod-1   # orders-1, a standby
mkdir -p "$A/run" "$B/run"
chmod 700 "$A/run" "$B/run"

# ---------------------------------------------------------------- primary: init container, then the entrypoint's init
bootstrap "$A" orders-0 0 "$P1"; rc=$?
check "primary bootstrap on an empty volume exits 0" test "$rc" = 0
check "primary bootstrap leaves initialization to the entrypoint" logs_say "$A/bootstrap.log" "primary: empty data directory"
check "bootstrap writes the replication password file with mode 0600" test "$(stat -c %a "$A/run/.pgpass")" = 600

# What docker-entrypoint.sh does on an empty PGDATA: initdb, a socket-only temporary server,
# CREATE DATABASE $POSTGRES_DB, each /docker-entrypoint-initdb.d script, stop.
initdb -D "$A/pgdata" --username=postgres --pwfile=<(printf '%s\n' "$PASSWORD") >"$A/initdb.log" 2>&1 \
  || { cat "$A/initdb.log"; die "initdb"; }

# ---------------------------------------------------------------- (1) the rendered postgresql.conf, accepted by a real postgres
# `postgres -C` loads the whole file (an unknown setting or a bad value is fatal) and prints a
# setting in its base unit: 8kB blocks for buffers, kB for memory, MB for WAL sizes, ms for times.
base_units() { # $1 = setting, $2 = rendered value -> the value in the setting's base unit
  local n=${2%%[A-Za-z]*} unit=${2##*[0-9]}
  case "$1:$unit" in
    shared_buffers:MB|effective_cache_size:MB) echo $((n * 128)) ;;
    *work_mem:MB) echo $((n * 1024)) ;;
    *:kB|*:MB|*:ms|*:) echo "$n" ;;
    *) echo "?$2" ;;
  esac
}
out=$(postgres -D "$A/pgdata" -C max_connections -c config_file="$GEN/etc/postgresql.conf" 2>&1)
check "postgres -C accepts the whole rendered postgresql.conf ($(grep -c ' = ' "$GEN/etc/postgresql.conf") settings)" test "$out" = "$(conf max_connections)"
[ "$out" = "$(conf max_connections)" ] || echo "  postgres -C said: $out"
for name in shared_buffers effective_cache_size work_mem maintenance_work_mem wal_keep_size log_min_duration_statement; do
  want=$(base_units "$name" "$(conf "$name")")
  got=$(postgres -D "$A/pgdata" -C "$name" -c config_file="$GEN/etc/postgresql.conf" 2>&1)
  check "postgres -C $name = $want (rendered $(conf "$name"))" test "$got" = "$want"
done

pg_ctl start -D "$A/pgdata" -w -t 60 -l "$A/init-server.log" \
  -o "$(server_opts "$A" "$P1") -c listen_addresses=''" >/dev/null || { cat "$A/init-server.log"; die "temporary server"; }
PGHOST=$A/run PGPORT=$P1 PGPASSWORD=$PASSWORD psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres \
  -c "CREATE DATABASE \"$POSTGRES_DB\"" || die "CREATE DATABASE"
for run in 1 2; do
  env PGHOST="$A/run" PGPORT="$P1" PGPASSWORD="$PASSWORD" POSTGRES_USER="$POSTGRES_USER" \
    REPLICATION_USER="$REPLICATION_USER" REPLICATION_PASSWORD="$REPL_PASSWORD" \
    "$GEN/scripts/init-replication.sh" > "$A/init-replication-$run.log" 2>&1; rc=$?
  check "init-replication.sh run $run (idempotent) exits 0" test "$rc" = 0
done
pg_ctl stop -D "$A/pgdata" -m fast -w >/dev/null

start_server "$A" "$P1" || { cat "$A/server.log"; die "primary start"; }
pass "primary starts with the rendered postgresql.conf and pg_hba.conf"
for name in shared_buffers effective_cache_size work_mem max_connections wal_level hot_standby password_encryption log_min_duration_statement; do
  want=$(conf "$name")
  check "primary SHOW $name = $want" test "$(sql "$P1" "SHOW $name")" = "$want"
done
check "replication role exists with REPLICATION" test "$(sql "$P1" "SELECT rolreplication FROM pg_roles WHERE rolname = '$REPLICATION_USER'")" = t
bootstrap "$A" orders-0 0 "$P1"; rc=$?
check "primary bootstrap with data present exits 0 and says so" eval 'test "$rc" = 0 && logs_say "$A/bootstrap.log" "primary: data directory present"'

# ---------------------------------------------------------------- (2) a standby bootstraps itself from the primary
WAIT=4 bootstrap "$B" orders-1 0 "$(free_port)"; rc=$?
check "standby bootstrap gives up (non-zero) when no primary answers" eval 'test "$rc" != 0 && logs_say "$B/bootstrap.log" "giving up"'
check "standby bootstrap that gave up leaves no data behind" test ! -e "$B/pgdata"

sql "$P1" "CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'before the clone')" >/dev/null
bootstrap "$B" orders-1 0 "$P1"; rc=$?
check "standby bootstrap on an empty volume clones the primary" eval 'test "$rc" = 0 && logs_say "$B/bootstrap.log" "clone complete"'
check "clone wrote standby.signal (pg_basebackup -R)" test -f "$B/pgdata/standby.signal"
check "clone left no side directory" test ! -e "$B/pgdata.clone"
check "primary_conninfo names the pod and the password file, and holds no password" eval \
  'grep -q "application_name=[^ ]*orders-1" "$B/pgdata/postgresql.auto.conf" && grep -q "passfile=" "$B/pgdata/postgresql.auto.conf" && ! grep -q "password=" "$B/pgdata/postgresql.auto.conf"'
grep primary_conninfo "$B/pgdata/postgresql.auto.conf" | sed 's/^/  /'
check "standby has the primary's system identifier" test "$(sysid "$B")" = "$(sysid "$A")"

start_server "$B" "$P2" || { cat "$B/server.log"; die "standby start"; }
pass "standby starts"
check "standby is in recovery" test "$(sql "$P2" "SELECT pg_is_in_recovery()")" = t
check "primary streams to orders-1" wait_for "$P1" "SELECT state FROM pg_stat_replication WHERE application_name = 'orders-1'" streaming
sql "$P1" "INSERT INTO orders VALUES (2, 'written on the primary')" >/dev/null
check "a row written on the primary is read on the standby" wait_for "$P2" "SELECT note FROM orders WHERE id = 2" "written on the primary"
out=$(sql "$P2" "INSERT INTO orders VALUES (9, NULL)")
check "the standby refuses writes" eval 'echo "$out" | grep -q "read-only transaction"'

# ---------------------------------------------------------------- restart with data: no re-clone
before=$(sysid "$B")
echo "written by the test before the restart" > "$B/pgdata/marker-from-test"
stop_server "$B"
check "preStop command stops the standby (fast shutdown)" test ! -f "$B/pgdata/postmaster.pid"
bootstrap "$B" orders-1 0 "$P1"; rc=$?
check "standby bootstrap with data present exits 0 and skips the clone" eval 'test "$rc" = 0 && logs_say "$B/bootstrap.log" "skipping clone"'
check "the data survived: marker file still there" test -f "$B/pgdata/marker-from-test"
check "system identifier unchanged after the restart" test "$(sysid "$B")" = "$before"
start_server "$B" "$P2" || { cat "$B/server.log"; die "standby restart"; }
sql "$P1" "INSERT INTO orders VALUES (3, 'after the standby restart')" >/dev/null
check "restarted standby streams again" wait_for "$P2" "SELECT count(*) FROM orders" 3

# ---------------------------------------------------------------- roles that do not match the data are refused
bootstrap "$B" orders-1 1 "$P2"; rc=$?
check "designated primary with a standby's data refuses to start" eval 'test "$rc" != 0 && logs_say "$B/bootstrap.log" "Promote it first"'
bootstrap "$A" orders-0 1 "$P2"; rc=$?
check "standby with a primary's data (a former primary) refuses to start" eval 'test "$rc" != 0 && logs_say "$A/bootstrap.log" "re-clone it"'

# ---------------------------------------------------------------- the manual failover runbook (docs/engines/postgres.md)
sql "$P2" "SELECT pg_promote()" >/dev/null
check "runbook: SELECT pg_promote() makes orders-1 a primary" wait_for "$P2" "SELECT pg_is_in_recovery()" f
sql "$P2" "INSERT INTO orders VALUES (4, 'on the new primary')" >/dev/null
stop_server "$A"; stop_server "$B"
bootstrap "$B" orders-1 1 "$P2"; rc=$?
check "runbook: with primary=1, orders-1 starts as the primary" eval 'test "$rc" = 0 && logs_say "$B/bootstrap.log" "primary: data directory present"'
start_server "$B" "$P2" || { cat "$B/server.log"; die "new primary start"; }
bootstrap "$A" orders-0 1 "$P2"; rc=$?
check "runbook: with primary=1, the old primary orders-0 refuses to start" test "$rc" != 0
rm -rf "$A/pgdata"   # what deleting the PersistentVolumeClaim and the pod gives: an empty volume
bootstrap "$A" orders-0 1 "$P2"; rc=$?
check "runbook: the old primary, with an empty volume, re-clones from the new primary" eval 'test "$rc" = 0 && logs_say "$A/bootstrap.log" "clone complete"'
start_server "$A" "$P1" || { cat "$A/server.log"; die "re-cloned standby start"; }
sql "$P2" "INSERT INTO orders VALUES (5, 'after the failover')" >/dev/null
check "runbook: orders-0 now streams from orders-1" wait_for "$P1" "SELECT count(*) FROM orders" 5
check "runbook: orders-0 is in recovery" test "$(sql "$P1" "SELECT pg_is_in_recovery()")" = t

stop_server "$A"; stop_server "$B"
finish
