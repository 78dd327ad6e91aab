# shellcheck shell=bash
# Sourced by run.sh: TLS and authentication checks of a variant rendered with `tls`, on the server run.sh
# already started (pod <name>-0, the primary) and one standby cloned from it. A command whose failure is
# a finding ends in `|| true` or a test, so that it becomes a FAIL line, not the end of the run.
# What the test decides:
#   - certificates: a CA and a server certificate made with openssl for exactly the DNS names and IP
#     addresses of the rendered cert-manager Certificate (tls-names), with its key algorithm (tls-key);
#     mounted the way the kubelet mounts a Secret (a symlink swapped atomically on renewal);
#   - the network: pod and Service DNS names resolve to 127.0.0.1 through libpq's hostaddr (the name is
#     still what verify-full checks); pg_hba has no loopback exception, so these meet the pod network's rows.
# Everything else is rendered: ssl_* settings, pg_hba, the replication credentials' sslmode and
# sslrootcert, the connect address, the connection URI, start.sh and its tls_watch.

NET_ADDR=127.0.0.1

# tls_make_ca DIR: a CA key and certificate in DIR.
tls_make_ca() {
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$1/ca.key" -out "$1/ca.crt" \
    -days 2 -subj /CN=cdk8s-stateful-test-ca 2>/dev/null
}

# tls_issue VARIANT_DIR OUT_DIR: a server certificate (new key, random serial) for the rendered names, signed
# by VARIANT_DIR/ca, written into OUT_DIR as the Secret's keys tls.crt, tls.key, ca.crt.
tls_issue() {
  local dir=$1 out=$2 algorithm size newkey sans
  read -r algorithm size < "$dir/tls-key"
  case $algorithm in
    RSA) newkey=(-newkey "rsa:$size") ;;
    ECDSA) newkey=(-newkey ec -pkeyopt "ec_paramgen_curve:P-$size") ;;
    *) echo "tls_issue: no openssl recipe for $algorithm" >&2; return 1 ;;
  esac
  sans=$(awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), ($0 ~ /^[0-9.]+$/ ? "IP" : "DNS"), $0 }' "$dir/tls-names")
  mkdir -p "$out"
  openssl req -new -nodes "${newkey[@]}" -keyout "$out/tls.key" -subj "/CN=$(head -n 1 "$dir/tls-names")" -out "$out/req.csr" 2>/dev/null &&
    openssl x509 -req -in "$out/req.csr" -CA "$dir/ca/ca.crt" -CAkey "$dir/ca/ca.key" -set_serial "0x$(openssl rand -hex 8)" -days 1 \
      -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$sans") \
      -out "$out/tls.crt" 2>/dev/null &&
    cp "$dir/ca/ca.crt" "$out/ca.crt" && rm -f "$out/req.csr" &&
    chmod 600 "$out/tls.key" && chmod 644 "$out/tls.crt" "$out/ca.crt" &&
    { [[ $(id -u) != 0 ]] || chown -R "$PG_USER": "$out"; }
}

# tls_mount VARIANT_DIR VERSION: points VARIANT_DIR/tls at tls-VERSION in one rename, as the kubelet swaps a Secret volume.
tls_mount() {
  ln -sfn "tls-$2" "$1/tls.new" && mv -T "$1/tls.new" "$1/tls"
}

# tls_prepare VARIANT_DIR: the CA and the first certificate, mounted at VARIANT_DIR/tls.
tls_prepare() {
  mkdir -p "$1/ca" && tls_make_ca "$1/ca" && tls_issue "$1" "$1/tls-1" && tls_mount "$1" 1
}

# The serial number of the certificate the server at $1:$2 presents.
tls_served_serial() {
  openssl s_client -starttls postgres -connect "$1:$2" </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
}

ms_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

# tls_checks VARIANT_DIR PORT: run while the primary (VARIANT_DIR/initdb) listens on PORT.
tls_checks() {
  local dir=$1 port=$2 variant socket="$1/socket" yml="$1/local.yml"
  variant=$(basename "$dir")
  local super_pw repl_pw repl_user sslmode rootcert connect host standby_port out start
  super_pw=$(sed -n 's/^PATRONI_SUPERUSER_PASSWORD=//p' "$dir/pod.env")
  repl_pw=$(sed -n 's/^PATRONI_REPLICATION_PASSWORD=//p' "$dir/pod.env")
  connect=$(sed -n 's/^PATRONI_POSTGRESQL_CONNECT_ADDRESS=//p' "$dir/pod.env")
  host=${connect%:*}
  # What Patroni connects as: the rendered postgresql.authentication.replication.
  read -r repl_user sslmode rootcert < <(py "$yml" <<'PY'
import sys, yaml
r = yaml.safe_load(open(sys.argv[1]))['postgresql']['authentication']['replication']
print(r['username'], r.get('sslmode', '-'), r.get('sslrootcert', '-'))
PY
)
  sql() { as_pg_user "$PG_BIN/psql" -X -h "$socket" -p "$port" -U postgres -Atqc "$1" postgres; }
  # What Patroni does at bootstrap: the superuser's and the replication role's passwords (stored as
  # the rendered password_encryption says).
  sql "ALTER ROLE postgres PASSWORD '$super_pw'; CREATE ROLE $repl_user WITH REPLICATION LOGIN PASSWORD '$repl_pw'" || true
  out=$(sql "SELECT rolname || ':' || left(rolpassword, 14) FROM pg_authid WHERE rolname IN ('postgres', '$repl_user') ORDER BY 1" | tr '\n' ' ') || true
  if [[ $out == "postgres:SCRAM-SHA-256\$ $repl_user:SCRAM-SHA-256\$ " ]]; then
    pass "$variant: passwords are stored as SCRAM-SHA-256 verifiers (rendered password_encryption)"
  else
    fail "$variant: stored passwords: $out"
  fi
  [[ $sslmode == verify-full && $rootcert == "$dir/tls/ca.crt" ]] ||
    fail "$variant: the rendered replication credentials say sslmode=$sslmode sslrootcert=$rootcert"
  # Patroni's own connection (use_unix_socket, the rendered superuser's sslmode): libpq ignores sslmode on a socket.
  if out=$(as_pg_user "$PG_BIN/psql" -X "host=$socket port=$port user=postgres dbname=postgres sslmode=$sslmode sslrootcert=$rootcert" -Atc 'SELECT 1' 2>&1) && [[ $out == 1 ]]; then
    pass "$variant: the local connection Patroni makes (socket, peer, the rendered sslmode=$sslmode) works"
  else
    fail "$variant: Patroni's socket connection with sslmode=$sslmode: $out"
  fi

  # A standby (pod 1) cloned from the primary (pod 0) with Patroni's replication credentials, at the
  # primary's connect address; -R writes them into primary_conninfo as Patroni would.
  local conninfo="host=$host hostaddr=$NET_ADDR port=$port user=$repl_user sslmode=$sslmode sslrootcert=$rootcert"
  standby_port=$((port + 1))
  as_pg_user mkdir -p "$dir/socket-standby"
  start=$(date +%s%N)
  if ! out=$(as_pg_user env PGPASSWORD="$repl_pw" "$PG_BIN/pg_basebackup" -D "$dir/standby" -X stream -R -c fast -d "$conninfo" 2>&1); then
    fail "$variant: pg_basebackup over TLS with the rendered replication credentials: $out"; return
  fi
  local clone_ms; clone_ms=$(ms_since "$start")
  if ! out=$(as_pg_user "$PG_BIN/pg_ctl" start -w -D "$dir/standby" -l "$dir/standby.log" \
      -o "-c listen_addresses='$NET_ADDR' -c port=$standby_port -c unix_socket_directories=$dir/socket-standby" 2>&1); then
    fail "$variant: the standby did not start: $out $(tail -n 5 "$dir/standby.log")"; return
  fi
  sql "CREATE TABLE tls_check (n int); INSERT INTO tls_check SELECT generate_series(1, 1000)" || true
  local streamed="" i
  for i in $(seq 1 100); do
    streamed=$(as_pg_user "$PG_BIN/psql" -X -h "$dir/socket-standby" -p "$standby_port" -U postgres -Atqc "SELECT count(*) FROM tls_check" postgres 2>/dev/null) || true
    [[ $streamed == 1000 ]] && break
    sleep 0.1
  done
  out=$(sql "SELECT r.state, s.ssl, s.version FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)") || true
  local receiver
  receiver=$(as_pg_user "$PG_BIN/psql" -X -h "$dir/socket-standby" -p "$standby_port" -U postgres -Atqc "SELECT status || ' ' || substring(conninfo from 'sslmode=[a-z-]+') FROM pg_stat_wal_receiver" postgres) || true
  if [[ $out == streaming\|t\|TLSv1.* && $streamed == 1000 && $receiver == "streaming sslmode=verify-full" ]]; then
    pass "$variant: standby cloned over TLS in ${clone_ms} ms and streaming from the primary over TLS (walsender: ${out//|/ }; wal receiver: $receiver; 1000 rows replicated in $(( i * 100 )) ms or less)"
  else
    fail "$variant: streaming over TLS: pg_stat_replication+pg_stat_ssl '$out', wal receiver '$receiver', $streamed of 1000 rows on the standby"
  fi
  # Replication without TLS is refused even with the right password.
  if out=$(as_pg_user env PGPASSWORD="$repl_pw" "$PG_BIN/psql" -X "host=$host hostaddr=$NET_ADDR port=$port user=$repl_user sslmode=disable replication=true" -Atc "IDENTIFY_SYSTEM" 2>&1); then
    fail "$variant: a plaintext replication connection was accepted: $out"
  elif [[ $out == *"pg_hba.conf rejects replication connection"*"no encryption"* ]]; then
    pass "$variant: a plaintext replication connection with the right password is refused: $(grep -o 'pg_hba.conf rejects[^,]*\|no pg_hba.conf entry[^,]*' <<<"$out" | head -n 1)"
  else
    fail "$variant: plaintext replication refused for an unexpected reason: $out"
  fi

  # Clients, with the connection URI apps get: verify-full against the CA at the Service's name.
  local uri
  uri=$(sed -e "s|\$(POSTGRES_PASSWORD)|$super_pw|" -e "s|:5432/|:$port/|" -e "s|sslrootcert=[^&]*|sslrootcert=$dir/tls/ca.crt|" "$dir/connection.uri")
  uri="$uri&hostaddr=$NET_ADDR"
  local n=20 total=0 t
  for i in $(seq 1 "$n"); do
    start=$(date +%s%N)
    out=$(as_pg_user "$PG_BIN/psql" -X "$uri" -Atc "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1) || break
    t=$(( $(date +%s%N) - start )); total=$((total + t))
  done
  if [[ $out == t\|TLSv1.* && $i == "$n" ]]; then
    pass "$variant: the rendered connection URI (sslmode=verify-full) connects over ${out#t|}: $n connections, $(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.1f", t / n / 1e6 }') ms each (psql start, TLS handshake, SCRAM)"
  else
    fail "$variant: verify-full client with the rendered URI: $out"
  fi
  refused() {
    local what=$1 expect=$2; shift 2
    if out=$(as_pg_user env PGPASSWORD="${PW:-$super_pw}" "$PG_BIN/psql" -X "$@" -Atc 'SELECT 1' 2>&1); then
      fail "$variant: $what was accepted"
    elif [[ $out == *$expect* ]]; then
      pass "$variant: $what is refused: $(tr '\n' ' ' <<<"$out" | sed 's/  */ /g' | cut -c1-160)"
    else
      fail "$variant: $what refused for an unexpected reason: $out"
    fi
  }
  refused "a plaintext client (sslmode=disable) with the right password" "no encryption" \
    "host=$host hostaddr=$NET_ADDR port=$port user=postgres dbname=postgres sslmode=disable"
  PW=wrong-password refused "a verify-full client with a wrong password" "password authentication failed" \
    "host=$host hostaddr=$NET_ADDR port=$port user=postgres dbname=postgres sslmode=verify-full sslrootcert=$dir/tls/ca.crt"
  refused "a verify-full client at a name the certificate does not cover" "does not match host name" \
    "host=db.example.com hostaddr=$NET_ADDR port=$port user=postgres dbname=postgres sslmode=verify-full sslrootcert=$dir/tls/ca.crt"
  # While allowPlaintext turns TLS on, members connect with sslmode=prefer and the CA: TLS whenever it
  # is offered, and then the chain is checked (libpq verifies whenever a root certificate is given).
  local other="$dir/other-ca"
  mkdir -p "$other" && tls_make_ca "$other" && chmod 644 "$other/ca.crt"
  if out=$(as_pg_user env PGPASSWORD="$super_pw" "$PG_BIN/psql" -X "host=$host hostaddr=$NET_ADDR port=$port user=postgres dbname=postgres sslmode=prefer sslrootcert=$dir/tls/ca.crt" \
      -Atc "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1) && [[ $out == t ]]; then
    pass "$variant: sslmode=prefer with the CA (members, while allowPlaintext) connects over TLS"
  else
    fail "$variant: sslmode=prefer with the CA: $out"
  fi
  refused "sslmode=prefer with a certificate from another CA" "certificate verify failed" \
    "host=$host hostaddr=$NET_ADDR port=$port user=postgres dbname=postgres sslmode=prefer sslrootcert=$other/ca.crt"

  tls_rotation_check "$dir" "$port" "$standby_port"
}

# The serial number of the certificate Patroni's REST API at $1 presents, checked as Patroni checks
# another member's (the rendered ctl.cacert, the member's connect address $2 as the name).
tls_rest_serial() {
  local yml=$1 name=$2 port=$3
  as_pg_user "$PATRONI_VENV/bin/python" - "$yml" "$name" "$port" <<'PY' 2>/dev/null | openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
import socket, ssl, sys, yaml
cafile = yaml.safe_load(open(sys.argv[1]))['ctl']['cacert']
context = ssl.create_default_context(cafile=cafile)
with socket.create_connection(('127.0.0.1', int(sys.argv[3])), timeout=5) as raw:
    with context.wrap_socket(raw, server_hostname=sys.argv[2]) as conn:
        print(ssl.DER_cert_to_PEM_cert(conn.getpeercert(binary_form=True)))
PY
}

# A re-issued certificate, swapped in as the kubelet does, is served after the rendered start.sh's
# tls_watch reloads: by PostgreSQL (real; pg_ctl reload), and by Patroni's REST API. Patroni cannot
# run here without Kubernetes: the `patroni` that start.sh execs is a stand-in that runs Patroni's
# own REST API server (patroni.api.RestApiServer) with the rendered `restapi` section (listening on
# loopback) and, on SIGHUP, what Patroni's main loop does on one. No restart of either, and the
# standby's TLS stream survives.
tls_rotation_check() {
  local dir=$1 port=$2 standby_port=$3 variant stub="$1/stub-bin" before after started_before started_after pid out i
  local rest_port=$((port + 2)) rest_name rest_before rest_after
  variant=$(basename "$dir")
  rest_name=$(sed -n 's/^PATRONI_RESTAPI_CONNECT_ADDRESS=//p' "$dir/pod.env"); rest_name=${rest_name%:*}
  mkdir -p "$stub"
  cat > "$stub/patroni" <<'SH'
#!/bin/sh
# Not next to this file: the script's directory comes first on sys.path, and `patroni` must be the package.
exec "$PATRONI_VENV/bin/python" "$STUB_DIR/../rest-api-stand-in.py" "$@"
SH
  cat > "$dir/rest-api-stand-in.py" <<'PY'
import os, signal, sys, time, yaml
from patroni.api import RestApiServer
stub = os.environ['STUB_DIR']
restapi = dict(yaml.safe_load(open(sys.argv[1]))['restapi'], listen=os.environ['REST_LISTEN'])
restapi['authentication'] = dict(restapi['authentication'], password='test')
api = RestApiServer(object(), restapi)
api.start()
hup = []
signal.signal(signal.SIGHUP, lambda *_: hup.append(1))
with open(f'{stub}/patroni.pid', 'w') as f:
    f.write(str(os.getpid()))
while True:
    time.sleep(0.1)
    if hup:
        hup.clear()
        with open(f'{stub}/patroni.hups', 'a') as f:
            f.write('hup\n')
        # Patroni's main loop on SIGHUP (patroni/__main__.py, reload_config(sighup=True)).
        if api.reload_local_certificate():
            api.reload_config(restapi)
PY
  chmod 755 "$stub/patroni"
  sed "s|/etc/tls/|$dir/tls/|g" "$dir/scripts/start.sh" > "$dir/start-local.sh"
  [[ $(id -u) != 0 ]] || chown -R "$PG_USER": "$stub" "$dir/start-local.sh" "$dir/rest-api-stand-in.py"
  mapfile -t command < "$dir/command"
  [[ ${command[*]} == "/bin/sh /scripts/start.sh "* ]] || { fail "$variant: the server's command is not start.sh: ${command[*]}"; return; }
  # The rendered arguments, with the data directory and the files moved as run.sh moved them.
  as_pg_user env -i PATH="$stub:$PG_BIN:/usr/bin:/bin" STUB_DIR="$stub" PATRONI_VENV="$PATRONI_VENV" TLS_WATCH_SECONDS=1 \
    REST_LISTEN="127.0.0.1:$rest_port" setsid /bin/sh "$dir/start-local.sh" "$dir/initdb" "$dir/local.yml" > "$dir/start.log" 2>&1 &
  for i in $(seq 1 100); do [[ -s $stub/patroni.pid ]] && break; sleep 0.1; done
  pid=$(cat "$stub/patroni.pid" 2>/dev/null) || { fail "$variant: start.sh did not exec patroni: $(cat "$dir/start.log")"; return; }
  WATCH_GROUP=$pid
  sleep 1.5
  started_before=$(sql "SELECT pg_postmaster_start_time()") || true
  before=$(tls_served_serial "$NET_ADDR" "$port") || true
  rest_before=$(tls_rest_serial "$dir/local.yml" "$rest_name" "$rest_port") || true
  if [[ -n $rest_before && $rest_before == "$before" ]]; then
    pass "$variant: Patroni's REST API serves HTTPS with the rendered restapi section, verified against the rendered ctl.cacert at the member's connect address $rest_name"
  else
    fail "$variant: Patroni's REST API over HTTPS: serial '$rest_before' (PostgreSQL's: $before); start.sh said: $(cat "$dir/start.log")"
  fi
  tls_issue "$dir" "$dir/tls-2" && tls_mount "$dir" 2
  local issued; issued=$(openssl x509 -noout -serial -in "$dir/tls-2/tls.crt" | cut -d= -f2) || true
  local swapped; swapped=$(date +%s%N)
  for i in $(seq 1 100); do
    after=$(tls_served_serial "$NET_ADDR" "$port") || true
    [[ $after == "$issued" ]] && break
    sleep 0.1
  done
  local took; took=$(ms_since "$swapped")
  for i in $(seq 1 30); do
    rest_after=$(tls_rest_serial "$dir/local.yml" "$rest_name" "$rest_port") || true
    [[ $rest_after == "$issued" ]] && break
    sleep 0.1
  done
  started_after=$(sql "SELECT pg_postmaster_start_time()") || true
  out=$(sql "SELECT r.state, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)") || true
  local hups; hups=$(grep -c hup "$stub/patroni.hups" 2>/dev/null) || hups=0
  if [[ -n $before && $before != "$issued" && $after == "$issued" && $rest_after == "$issued" && $started_before == "$started_after" && $out == "streaming|t" && $hups -ge 1 ]]; then
    pass "$variant: a re-issued certificate is served by PostgreSQL ${took} ms after the swap and by Patroni's REST API (serial $before -> $after; tls_watch every 1 s, $hups SIGHUP(s) to Patroni), without a restart (postmaster started $started_after), the standby still streaming over TLS"
  else
    fail "$variant: rotation: PostgreSQL serial $before -> $after, REST API $rest_before -> $rest_after (issued $issued) after ${took} ms, postmaster start $started_before -> $started_after, replication '$out', $hups SIGHUP(s) to Patroni; start.sh said: $(cat "$dir/start.log")"
  fi
  kill -TERM -- "-$WATCH_GROUP" 2>/dev/null || true
  WATCH_GROUP=""
}
