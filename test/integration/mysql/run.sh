#!/usr/bin/env bash
# Real-binary checks of the MySql engine's embedded scripts.
#
# No MySQL server can be installed here (Debian ships MariaDB, which is not MySQL: no CLONE plugin,
# other replication syntax), so this does not run a server. It checks, on the scripts extracted
# from the real synthesized `<name>-scripts` ConfigMap (test/integration/mysql/extract.ts):
#   1. shellcheck over every script of every case (versions 8.0.25, 8.0, 8.4, 9.7; 1 to 3 servers);
#   2. the quoting helpers under real bash, with passwords full of quotes and backslashes;
#   3. the bootstrap, readiness and failover scripts run by bash against stub mysqld / mysql /
#      mysqladmin programs that record what they are sent, with the absolute paths rewritten to a
#      scratch directory: clone on an empty replica, idempotent restart, source path, refusal of a
#      data directory it does not recognise, the SQL and the password handling.
#   3b. with tls (case v8-4-tls): the TLS settings of my.cnf; the replica's bootstrap against the stubs
#      (a verifying client while it waits, the clone over TLS with the CA, the channel with
#      SOURCE_SSL_CA and SOURCE_SSL_VERIFY_SERVER_CERT); server.sh, whose certificate watch sends
#      ALTER INSTANCE RELOAD TLS over the socket when the mounted files change and only then, and
#      hands over to the image's entrypoint; init-source.sh locking a passwordless account it is shown.
#   4. the logical backup's dump.sh: shellcheck (1.), and the options it gives mysqldump and mysql
#      against a real client: Debian's mariadb-client, whose mysqldump is MariaDB's, not MySQL 8's.
#      Options MySQL 8 has and MariaDB lacks are listed as not checked. What the script does (write,
#      checksum, rename, prune) is run against stand-ins by test/engines/logical-backup-script.test.ts.
# The SQL text itself is asserted in test/engines/mysql.test.ts.
set -euo pipefail
cd "$(dirname "$0")/../../.."

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
# ok WHAT CMD...: CMD must succeed; refused WHAT CMD...: CMD must fail. The output is shown on a surprise.
ok() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; cat "$root/out" 2>/dev/null || true; fi; }
refused() { local what=$1; shift; if "$@"; then fail "$what"; cat "$root/out" 2>/dev/null || true; else pass "$what"; fi; }

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "installing shellcheck"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }
  else
    sudo apt-get install -y -qq shellcheck >/dev/null 2>&1 || { sudo apt-get update -qq >/dev/null && sudo apt-get install -y -qq shellcheck >/dev/null; }
  fi
fi
shellcheck --version | sed -n 2p

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node -r ts-node/register/transpile-only test/integration/mysql/extract.ts "$work/extracted"

# 1. shellcheck
for script in "$work"/extracted/*/*.sh; do
  name=${script#"$work/extracted/"}
  if out=$(shellcheck -s bash "$script" 2>&1); then pass "shellcheck $name"; else fail "shellcheck $name"; echo "$out"; fi
done

# 2. quoting helpers, taken from the generated script
lib="$work/lib.sh"
sed -n '/^sql_quote() {/,/^}/p;/^password_file() {/,/^}/p' "$work/extracted/v8-4-three/bootstrap.sh" > "$lib"
# shellcheck source=/dev/null
. "$lib"
check "sql_quote plain" test "$(sql_quote 'abc123')" = "'abc123'"
check "sql_quote quotes and backslashes" test "$(sql_quote "a'b\\c\"d\$e")" = "'a''b\\\\c\"d\$e'"
check "password_file doubles backslashes, keeps quotes" test "$(password_file 'p\w"x')" = "$(printf '[client]\npassword="p\\\\w"x"')"

# 3. the scripts against stubs
password="p'a\\ss\"w0rd"
run_case() { # run_case CASE POD SCRIPT [ANSWER]: runs one script in its own scratch root
  local case=$1 pod=$2 script=$3
  root=${CASE_ROOT:-$work/root-$case}
  mkdir -p "$root/var/lib/mysql" "$root/etc/mysql/conf.d" "$root/var/run/mysqld" "$root/config" "$root/bin" "$root/scripts"
  cp "$work/extracted/$case/my.cnf" "$root/config/my.cnf"
  for f in "$work/extracted/$case"/*.sh; do
    sed -e "s#/var/lib/mysql#$root/var/lib/mysql#g" -e "s#/etc/mysql/conf.d#$root/etc/mysql/conf.d#g" \
        -e "s#/var/run/mysqld#$root/var/run/mysqld#g" -e "s#/config/my.cnf#$root/config/my.cnf#g" -e "s#/etc/tls/#$root/etc/tls/#g" \
        "$f" > "$root/scripts/${f##*/}"
  done
  write_stubs "$root"
  : > "$root/log"
  HOSTNAME=$pod MYSQL_ROOT_PASSWORD=$password MYSQL_REPLICATION_PASSWORD=$password STUB_ROOT=$root STUB_ANSWER=${4-} \
    PATH="$root/bin:$PATH" timeout 60 bash "$root/scripts/$script" > "$root/out" 2>&1
}

write_stubs() {
  local root=$1
  cat > "$root/bin/mysqld" <<'STUB'
#!/bin/bash
datadir=''
for a in "$@"; do case $a in --datadir=*) datadir=${a#--datadir=} ;; esac; done
echo "mysqld $*" >> "$STUB_ROOT/log"
case " $* " in
  *" --initialize-insecure "*) mkdir -p "$datadir/mysql"; exit 0 ;;
esac
until [ -e "$STUB_ROOT/shutdown" ]; do sleep 0.1; done
rm -f "$STUB_ROOT/shutdown"
STUB
  cat > "$root/bin/mysql" <<'STUB'
#!/bin/bash
{
  echo "mysql $*" | sed 's#--defaults-extra-file=[^ ]*#--defaults-extra-file=FD#'
  case $1 in --defaults-extra-file=*) echo "option file: $(cat "${1#--defaults-extra-file=}" | tr '\n' '|')" ;; esac
} >> "$STUB_ROOT/log"
case " $* " in *" --execute="*) exit 0 ;; esac
sql=$(cat)
printf '%s\n' "$sql" >> "$STUB_ROOT/log"
if [[ $sql == *SHUTDOWN* ]]; then touch "$STUB_ROOT/shutdown"; fi
if [[ $sql =~ DATA\ DIRECTORY\ =\ \'([^\']*)\' ]]; then mkdir -p "${BASH_REMATCH[1]}/mysql"; fi
if [ -n "${STUB_ANSWER-}" ]; then echo "$STUB_ANSWER"; fi
STUB
  cat > "$root/bin/mysqladmin" <<'STUB'
#!/bin/bash
echo "mysqladmin $*" >> "$STUB_ROOT/log"
STUB
  chmod +x "$root/bin/"*
}

data() { echo "$root/var/lib/mysql/data"; }
has() { grep -qF -- "$1" "$2"; }
hasnt() { ! grep -qF -- "$1" "$2"; }

# A replica with an empty volume: clones, renames, points replication at the source.
ok "replica db-1: bootstrap exits 0" run_case v8-4-three db-1 bootstrap.sh
check "replica db-1: server_id 101, read-only, replication starts with the server" \
  test "$(cat "$root/etc/mysql/conf.d/20-pod.cnf")" = "$(printf '[mysqld]\nserver_id = 101\nreport_host = db-1.db-headless.db.svc.cluster.local\nread_only = ON\nsuper_read_only = ON\nskip_replica_start = OFF')"
check "replica db-1: my.cnf copied into conf.d" cmp -s "$root/config/my.cnf" "$root/etc/mysql/conf.d/10-cdk8s.cnf"
check "replica db-1: waited for the source with the replication account" has "--host=db-0.db-headless.db.svc.cluster.local --port=3306 --user=replication" "$root/log"
check "replica db-1: throwaway instance initialised" has "--initialize-insecure --datadir=$root/var/lib/mysql/bootstrap" "$root/log"
check "replica db-1: clone sent with the quoted password" has "CLONE INSTANCE FROM 'replication'@'db-0.db-headless.db.svc.cluster.local':3306 IDENTIFIED BY 'p''a\\\\ss\"w0rd' DATA DIRECTORY = '$root/var/lib/mysql/clone';" "$root/log"
check "replica db-1: clone became the data directory, scratch removed" test -d "$(data)/mysql" -a ! -e "$root/var/lib/mysql/clone" -a ! -e "$root/var/lib/mysql/bootstrap"
check "replica db-1: channel pointed at the source" has "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'db-0.db-headless.db.svc.cluster.local', SOURCE_PORT = 3306, SOURCE_USER = 'replication', SOURCE_PASSWORD = 'p''a\\\\ss\"w0rd', SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1, GET_SOURCE_PUBLIC_KEY = 1;" "$root/log"
check "replica db-1: local servers without networking or replication" test "$(grep -c -- '--skip-networking --mysqlx=OFF --skip-replica-start' "$root/log")" = 2
check "replica db-1: both local servers shut down" test "$(grep -c '^SHUTDOWN;' "$root/log")" = 2
check "replica db-1: root password only in an option file" has "option file: [client]|password=\"p'a\\\\ss\"w0rd\"|" "$root/log"
check "replica db-1: no password on a command line" hasnt "w0rd" <(grep -E '^(mysql|mysqld|mysqladmin) ' "$root/log")

# Restart with data present: no clone, the channel is pointed again.
ok "replica db-1 restart: exits 0" run_case v8-4-three db-1 bootstrap.sh
check "replica db-1 restart: no clone" hasnt "CLONE INSTANCE" "$root/log"
check "replica db-1 restart: no initialisation" hasnt "--initialize-insecure" "$root/log"
check "replica db-1 restart: channel pointed again" has "CHANGE REPLICATION SOURCE TO" "$root/log"

# The source: settings only, the image's entrypoint does the rest.
ok "source db-0: bootstrap exits 0" run_case v8-4-three db-0 bootstrap.sh
check "source db-0: server_id 100, writable, no stale channel" \
  test "$(cat "$root/etc/mysql/conf.d/20-pod.cnf")" = "$(printf '[mysqld]\nserver_id = 100\nreport_host = db-0.db-headless.db.svc.cluster.local\nread_only = OFF\nsuper_read_only = OFF\nskip_replica_start = ON')"
check "source db-0: no server started, nothing sent" test ! -s "$root/log"

# primary: 1, and 8.0 names before 8.0.26.
ok "8.0 primary 1, replica db-0: bootstrap exits 0" run_case v8-0-three db-0 bootstrap.sh
check "8.0 primary 1: db-0 clones db-1" has "CLONE INSTANCE FROM 'replication'@'db-1.db-headless.db.svc.cluster.local':3306" "$root/log"
ok "8.0.25 replica: bootstrap exits 0" run_case v8-0-25-two db-1 bootstrap.sh
check "8.0.25 replica: --skip-slave-start and skip_slave_start" has "--skip-slave-start" "$root/log"
check "8.0.25 replica: skip_slave_start in the pod settings" has "skip_slave_start = OFF" "$root/etc/mysql/conf.d/20-pod.cnf"

# A data directory it does not recognise is refused and left alone.
root="$work/root-junk"
mkdir -p "$root/var/lib/mysql/data"
echo precious > "$root/var/lib/mysql/data/file"
CASE_ROOT=$root refused "unknown data directory: refused" run_case v9-7-two db-1 bootstrap.sh
check "unknown data directory: the message says why" has "has content but no MySQL system schema" "$root/out"
check "unknown data directory: left alone" test "$(cat "$root/var/lib/mysql/data/file")" = precious

# Readiness answers.
ok "readiness replica ON/ON: ready" run_case v8-4-three db-1 readiness.sh 'ON/ON'
check "readiness replica: asks performance_schema" has "performance_schema.replication_connection_status" "$root/log"
refused "readiness replica CONNECTING/ON: not ready" run_case v8-4-three db-1 readiness.sh 'CONNECTING/ON'
ok "readiness source writable: ready" run_case v8-4-three db-0 readiness.sh '0'
refused "readiness source read-only: not ready" run_case v8-4-three db-0 readiness.sh '1'

# First boot of the source (run by the image's entrypoint).
ok "init-source.sh exits 0" run_case v8-4-single db-0 init-source.sh
check "init-source.sh: replication account with caching_sha2_password and the quoted password" has "CREATE USER IF NOT EXISTS 'replication'@'%' IDENTIFIED WITH caching_sha2_password BY 'p''a\\\\ss\"w0rd';" "$root/log"
check "init-source.sh: over the server's socket" has "--socket=$root/var/run/mysqld/mysqld.sock --user=root" "$root/log"

# Failover helpers.
ok "promote.sh exits 0" run_case v8-4-three db-2 promote.sh
check "promote.sh: stops and forgets replication, writable" test "$(grep -A3 '^STOP REPLICA;' "$root/log" | tr '\n' ' ')" = "STOP REPLICA; RESET REPLICA ALL; SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF; "
ok "repoint.sh on a replica exits 0" run_case v8-4-three db-2 repoint.sh
check "repoint.sh: restarts the channel" has "START REPLICA;" "$root/log"
refused "repoint.sh on the source: refused" run_case v8-4-three db-0 repoint.sh

# 3b. TLS
tls_cnf="$work/extracted/v8-4-tls/my.cnf"
for setting in 'ssl_ca = /etc/tls/ca.crt' 'ssl_cert = /etc/tls/tls.crt' 'ssl_key = /etc/tls/tls.key' 'tls_version = TLSv1.2,TLSv1.3' 'require_secure_transport = ON'; do
  check "tls my.cnf: $setting" grep -qxF "$setting" "$tls_cnf"
done
check "tls my.cnf: the settings are in [mysqld]" test "$(sed -n '/^\[mysqld\]/,/^\[/p' "$tls_cnf" | grep -c -E '^(ssl_|tls_version|require_secure)')" = 5
check "no-tls my.cnf: no TLS settings" test "$(grep -c -E '^(ssl_|tls_version|require_secure)' "$work/extracted/v8-4-three/my.cnf")" = 0
check "tls exporter.cnf: the CA in [client]" test "$(cat "$work/extracted/v8-4-tls/exporter.cnf")" = "$(printf '[client]\nssl-ca = /etc/tls/ca.crt')"

ok "tls replica db-1: bootstrap exits 0" run_case v8-4-tls db-1 bootstrap.sh
check "tls replica db-1: waits for the source with a verifying client" has "--user=replication --connect-timeout=5 --get-server-public-key --ssl-mode=VERIFY_IDENTITY --ssl-ca=$root/etc/tls/ca.crt --execute=SELECT 1" "$root/log"
check "tls replica db-1: the clone is given the CA and refuses plaintext" has "SET GLOBAL clone_ssl_ca = '$root/etc/tls/ca.crt';" "$root/log"
check "tls replica db-1: CLONE ... REQUIRE SSL" has "DATA DIRECTORY = '$root/var/lib/mysql/clone' REQUIRE SSL;" "$root/log"
check "tls replica db-1: the channel verifies the source" has "SOURCE_SSL = 1, SOURCE_SSL_CA = '$root/etc/tls/ca.crt', SOURCE_SSL_VERIFY_SERVER_CERT = 1, GET_SOURCE_PUBLIC_KEY = 1;" "$root/log"
ok "tls repoint.sh exits 0" run_case v8-4-tls db-2 repoint.sh
check "tls repoint.sh: the channel verifies the source" has "SOURCE_SSL_VERIFY_SERVER_CERT = 1" "$root/log"

# init-source.sh, told by the stub that an anonymous account without password exists: it locks it.
ok "init-source.sh with a passwordless account reported: exits 0" run_case v8-4-tls db-0 init-source.sh "ALTER USER ''@'localhost' ACCOUNT LOCK;"
check "init-source.sh: asks for accounts without a password" has "WHERE account_locked = 'N' AND (user = '' OR authentication_string = '');" "$root/log"
check "init-source.sh: runs the lock statements the server wrote" test "$(grep -c "^ALTER USER ''@'localhost' ACCOUNT LOCK;$" "$root/log")" = 1
ok "init-source.sh with none reported: exits 0" run_case v8-4-tls db-0 init-source.sh
check "init-source.sh with none reported: locks nothing" test "$(grep -c "^ALTER USER" "$root/log")" = 0

# server.sh: hands over to the entrypoint; reloads TLS when (and only when) the mounted files change.
root="$work/root-tls-server"
CASE_ROOT=$root run_case v8-4-tls db-0 readiness.sh 0 || true
mkdir -p "$root/etc/tls"
for f in tls.crt tls.key ca.crt; do echo "v1 $f" > "$root/etc/tls/$f"; done
cat > "$root/bin/docker-entrypoint.sh" <<'STUB'
#!/bin/bash
echo "entrypoint $*" >> "$STUB_ROOT/log"
sleep 8
STUB
chmod +x "$root/bin/docker-entrypoint.sh"
: > "$root/log"
HOSTNAME=db-0 MYSQL_ROOT_PASSWORD=$password STUB_ROOT=$root TLS_WATCH_SECONDS=1 PATH="$root/bin:$PATH" \
  timeout 20 bash "$root/scripts/server.sh" > "$root/out" 2>&1 &
server_pid=$!
sleep 3
check "server.sh: execs the image's entrypoint with mysqld" has "entrypoint mysqld" "$root/log"
check "server.sh: no reload while the certificate is unchanged" hasnt "ALTER INSTANCE RELOAD TLS;" "$root/log"
echo "v2 tls.crt" > "$root/etc/tls/tls.crt"
sleep 3
check "server.sh: a renewed certificate is reloaded once, without a restart" test "$(grep -c '^ALTER INSTANCE RELOAD TLS;$' "$root/log")" = 1
check "server.sh: the reload goes over the socket as root, the password in an option file" has "--protocol=socket --socket=$root/var/run/mysqld/mysqld.sock --user=root" "$root/log"
check "server.sh: the watch logged the change" has "tls-watch: the certificate files changed: reloading" "$root/out"
# timeout leads its own process group: ending the group also ends the watch, which outlives the exec.
kill -- -"$server_pid" 2>/dev/null || true
wait "$server_pid" || true

# 4. The dump's client options, parsed by a real (MariaDB) mysqldump and mysql: each must be one
# the client knows, and the whole command line must get as far as connecting (to a closed port).
if ! command -v mysqldump >/dev/null 2>&1; then
  echo "installing mariadb-client (mysqldump)"
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get install -y -qq mariadb-client >/dev/null 2>&1 || { "${sudo[@]}" apt-get update -qq >/dev/null && "${sudo[@]}" apt-get install -y -qq mariadb-client >/dev/null; }
fi
mysqldump --version
dump_script="$work/extracted/v8-4-three/dump.sh"
check "dump.sh extracted from the db-dump ConfigMap" test -s "$dump_script"
mapfile -t dump_options < <(sed -n '/^  mysqldump /,/| gzip/p' "$dump_script" | grep -oE -- '--[a-z-]+(=[^ "]+)?' | grep -vE -- '^--(defaults-extra-file|host|port|user)(=|$)')
check "dump.sh gives mysqldump its options" test "${#dump_options[@]}" -ge 8
mysql8_only=(--set-gtid-purged --ssl-mode)
mariadb_options=()
for option in "${dump_options[@]}"; do
  name=${option%%=*}
  if printf '%s\n' "${mysql8_only[@]}" | grep -qxF -- "$name"; then
    echo "NOT CHECKED $option: MariaDB's mysqldump has no $name (MySQL 8's has)"
    continue
  fi
  mariadb_options+=("$option")
  check "mysqldump --help lists $name" grep -qE -- "^ +(-[A-Za-z], )?$name( |=|$)" <(mysqldump --help)
done
closed_port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
printf '[client]\npassword="not-a-secret"\n' > "$work/client.cnf"
mysqldump --defaults-extra-file="$work/client.cnf" --host=127.0.0.1 --port="$closed_port" --user=root "${mariadb_options[@]}" > /dev/null 2> "$work/mysqldump.err" || true
check "mysqldump takes the dump's options and gets as far as connecting" grep -q "Can't connect" "$work/mysqldump.err"
sed -n '/^is_replica() {/,/^}/p' "$dump_script" | grep -oE -- '--[a-z-]+(=[0-9]+)?' | grep -vE -- '^--(defaults-extra-file|host|port|user)(=|$)' > "$work/mysql-options"
mapfile -t mysql_options < "$work/mysql-options"
check "is_replica gives mysql its options" test "${#mysql_options[@]}" -ge 3
mysql --defaults-extra-file="$work/client.cnf" --host=127.0.0.1 --port="$closed_port" --user=root "${mysql_options[@]}" -e 'SELECT 1' > /dev/null 2> "$work/mysql.err" || true
check "mysql takes is_replica's options (${mysql_options[*]}) and gets as far as connecting" grep -q "Can't connect" "$work/mysql.err"

# With tls: the dump's TLS options, where MariaDB's client has them (it has no --ssl-mode: MySQL 8's does).
tls_dump="$work/extracted/v8-4-tls/dump.sh"
check "tls dump.sh: mysqldump verifies the server" grep -qF -- '--user=root --ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/tls/ca.crt' "$tls_dump"
check "tls dump.sh: is_replica's mysql verifies the server" grep -qF -- '--connect-timeout=10 --ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/tls/ca.crt' "$tls_dump"
echo "NOT CHECKED --ssl-mode=VERIFY_IDENTITY: MariaDB's clients have no --ssl-mode (MySQL 8's do)"
check "mysqldump --help lists --ssl-ca" grep -qE -- "^ +--ssl-ca( |=|$)" <(mysqldump --help)
check "mysql --help lists --ssl-ca" grep -qE -- "^ +--ssl-ca( |=|$)" <(mysql --help)

echo
echo "mysql: $passed passed, $failed failed"
[ "$failed" = 0 ]
