#!/usr/bin/env bash
# Checks of what the MongoDB pods run, from the real synthesized example (examples/mongodb):
#   - replica-set.js and every mongosh --eval probe snippet: node --check
#   - every shell script: bash -n and shellcheck
#   - mongod.conf: parsed as YAML, with the options the bootstrap depends on
#   - the real mongosh (npm package, cached): runs replica-set.js with the pod's settings file and
#     environment up to its first server call (no mongod here: it must answer "retry", exit 3),
#     and evaluates the probe snippets and the dump's "is this member a secondary" snippet against stubs
#   - with tls (the `vault` set, extract.ts): mongod.conf's net.tls; setup.sh's tls_pem_bundle on keys and
#     certificates made by openssl here (both PEM blocks, key first, mode 0600, openssl serves it with a
#     certificate that verifies for localhost; a key file without a key is refused); the real mongosh with
#     the probes' TLS options, the agent's and rotate-certificates.js's URIs against a TLS listener
#     (a node TLS server, no mongod): the handshake verifies against the CA with the name localhost, and
#     a certificate from another CA is refused
#   - the logical backup's dump.sh (catalog-dump): bash -n and shellcheck with the other scripts; what
#     it does is run against stand-ins by test/engines/logical-backup-script.test.ts. mongodump
#     itself is not here (no registry reachable from here carries the MongoDB database tools)
# No MongoDB server can be installed on this machine: the agent's decisions are covered by
# test/engines/mongodb-agent.test.ts (the same script against a fake replica set).
# Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/../../.."

MONGOSH_VERSION=2.12.0
cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}"
work="$(mktemp -d)"
listener=''
trap 'if [ -n "$listener" ]; then kill "$listener" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check NAME COMMAND...: PASS when the command succeeds
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/out"; fi
}

if ! command -v shellcheck >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq shellcheck) >/dev/null
  else
    echo "shellcheck is missing and this is not root: install it (apt-get install -y shellcheck)" >&2
    exit 2
  fi
fi
[ -d node_modules ] || npm ci

out="$work/extracted"
# The example imports the library by its package name: tsconfig-paths maps it to src/ (test/tsconfig.json).
TS_NODE_PROJECT=test/tsconfig.json npx ts-node --transpile-only -r tsconfig-paths/register test/integration/mongodb/extract.ts "$out"

# --- syntax of every script the pods run
mapfile -t js < <(find "$out" -name '*.js' | sort)
mapfile -t sh < <(find "$out" -name '*.sh' | sort)
if [ "${#js[@]}" -lt 3 ] || [ "${#sh[@]}" -lt 4 ]; then
  echo "too few scripts extracted: ${#js[@]} js, ${#sh[@]} sh" >&2
  exit 1
fi
check "shellcheck run.sh" shellcheck test/integration/mongodb/run.sh
for f in "${js[@]}"; do check "node --check ${f#"$out"/}" node --check "$f"; done
for f in "${sh[@]}"; do
  check "bash -n ${f#"$out"/}" bash -n "$f"
  check "shellcheck ${f#"$out"/}" shellcheck -s bash "$f"
done

# --- mongod.conf: YAML with the options the replica set depends on, typed as mongod expects
for conf in "$out"/*-config/mongod.conf; do
  set_name="$(basename "$(dirname "$conf")")"; set_name="${set_name%-config}"
  check "mongod.conf of $set_name parses with the bootstrap options" node -e '
    const yaml = require("yaml");
    const c = yaml.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const want = { "net.port": 27017, "net.bindIpAll": true, "processManagement.fork": false,
      "security.authorization": "enabled", "security.keyFile": "/var/run/mongodb-keyfile/keyfile", "storage.dbPath": "/data/db/db" };
    const get = (p) => p.split(".").reduce((o, k) => (o == null ? undefined : o[k]), c);
    for (const [k, v] of Object.entries(want)) { if (get(k) !== v) { throw new Error(k + " = " + JSON.stringify(get(k))); } }
    const settings = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    if (get("replication.replSetName") !== settings.name) { throw new Error("replSetName differs from replica-set.json"); }
  ' "$conf" "$(dirname "$conf")/replica-set.json"
done

# --- the real mongosh
mongosh_dir="$cache/mongosh-$MONGOSH_VERSION"
if [ ! -x "$mongosh_dir/node_modules/.bin/mongosh" ]; then
  mkdir -p "$mongosh_dir"
  npm install --prefix "$mongosh_dir" --no-audit --no-fund --loglevel=error "mongosh@$MONGOSH_VERSION" >/dev/null
fi
mongosh="$mongosh_dir/node_modules/.bin/mongosh"
export HOME="$work/home"  # mongosh keeps its logs under $HOME/.mongodb
mkdir -p "$HOME"

if node -e 'const s = require("net").connect(27017, "127.0.0.1"); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));'; then
  fail "mongosh runs replica-set.js: something listens on 127.0.0.1:27017 here, the check needs the port free"
else
  # The catalog set runs TLS (the vault checks below cover its agent); the sessions set has none.
  for role in data arbiter; do
    set_dir="$out/sessions"; pod=sessions-0; headless=sessions-headless
    if [ "$role" = arbiter ]; then set_dir="$out/sessions"; pod=sessions-arbiter-0; headless=sessions-arbiter-headless; fi
    # shellcheck disable=SC2016 # the inner script gets its values as arguments
    check "mongosh runs replica-set.js ($role pod $pod): reads its settings, finds no mongod, asks to retry (exit 3)" bash -c '
      set +e
      REPLICA_SET_FILE="$1-config/replica-set.json" POD_NAME="$2" MEMBER_HOST="$2.$3.shop.svc.cluster.local:27017" \
        MEMBER_ROLE="$4" MONGODB_ROOT_PASSWORD=not-a-secret \
        "$5" --quiet --norc --nodb --file "$1-scripts/replica-set.js" >"$6" 2>&1
      code=$?
      cat "$6"
      [ "$code" = 3 ] && grep -q "\[replica-set agent $2.$3.shop.svc.cluster.local:27017\] rs.status() failed: .*ECONNREFUSED" "$6"
    ' _ "$set_dir" "$pod" "$headless" "$role" "$mongosh" "$work/agent.log"
  done
fi

# Probe snippets, evaluated by mongosh with `db` stubbed (mongosh forbids reassigning the global db).
ready="$(cat "$out/eval/catalog-mongod-readinessProbe.js")"
ping="$(cat "$out/eval/catalog-mongod-livenessProbe.js")"
probe() { # probe EXPECTED_EXIT SNIPPET STUB
  set +e
  "$mongosh" --quiet --norc --nodb --eval "(function (db) { $2 })($3)"
  local code=$?
  set -e
  [ "$code" = "$1" ]
}
check "readiness: ready on a PRIMARY" probe 0 "$ready" '{ hello: () => ({ isWritablePrimary: true, secondary: false }) }'
check "readiness: ready on a SECONDARY" probe 0 "$ready" '{ hello: () => ({ isWritablePrimary: false, secondary: true }) }'
check "readiness: ready on the ARBITER" probe 0 "$ready" '{ hello: () => ({ isWritablePrimary: false, secondary: false, arbiterOnly: true }) }'
check "readiness: not ready before the set is initiated" probe 1 "$ready" '{ hello: () => ({ isWritablePrimary: false, secondary: false, isreplicaset: true }) }'
check "liveness/startup: runs the ping command" probe 0 "$ping" '{ adminCommand: (c) => { if (c !== "ping") { throw new Error("not ping"); } return { ok: 1 }; } }'

# The dump's choice of member: the snippet of is_replica in dump.sh, as the pod runs it.
dump_script="$out/catalog-dump/dump.sh"
check "dump.sh extracted from the catalog-dump ConfigMap" test -s "$dump_script"
secondary="$(sed -n "s/^ *--eval '\(.*\)' >.*/\1/p" "$dump_script")"
check "dump.sh: is_replica has one --eval snippet" test -n "$secondary"
check "dump: a SECONDARY is dumped from" probe 0 "$secondary" '{ hello: () => ({ isWritablePrimary: false, secondary: true }) }'
check "dump: not the PRIMARY" probe 1 "$secondary" '{ hello: () => ({ isWritablePrimary: true, secondary: false }) }'
check "dump: not a member in another state (RECOVERING, STARTUP2)" probe 1 "$secondary" '{ hello: () => ({ isWritablePrimary: false, secondary: false }) }'

# --- TLS: the vault set
vault="$out/vault-config"
check "mongod.conf of vault (tls): requireTLS, the composed PEM, the CA, clients need no certificate, TLS 1.0/1.1 off" node -e '
  const c = require("yaml").parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const want = { mode: "requireTLS", certificateKeyFile: "/var/run/mongodb-tls/server.pem", CAFile: "/etc/tls/ca.crt",
    allowConnectionsWithoutCertificates: true, disabledProtocols: "TLS1_0,TLS1_1" };
  const got = c.net && c.net.tls;
  if (JSON.stringify(got, Object.keys(want).sort()) !== JSON.stringify(want, Object.keys(want).sort())) { throw new Error("net.tls = " + JSON.stringify(got)); }
  if (c.security.keyFile !== "/var/run/mongodb-keyfile/keyfile") { throw new Error("members no longer authenticate with the keyfile"); }
' "$vault/mongod.conf"
check "replica-set.json of vault names the CA for the agent" node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!s.tls || s.tls.caFile !== "/etc/tls/ca.crt") { throw new Error("tls = " + JSON.stringify(s.tls)); }
' "$vault/replica-set.json"

# Certificates: a CA, a server certificate with the names the pods use, and one from another CA.
pki="$work/pki"
mkdir -p "$pki/etc" "$pki/run" "$pki/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" -out "$pki/etc/ca.crt" -days 2 -subj /CN=test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/etc/tls.key" -out "$pki/tls.csr" -subj /CN=vault 2>/dev/null
printf 'subjectAltName=DNS:localhost,DNS:*.vault-headless.shop.svc.cluster.local,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > "$pki/san.ext"
openssl x509 -req -in "$pki/tls.csr" -CA "$pki/etc/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -out "$pki/etc/tls.crt" -extfile "$pki/san.ext" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/other/tls.key" -out "$pki/other/tls.crt" -days 2 -subj /CN=localhost \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null

# tls_pem_bundle as setup.sh (and agent.sh) define it, with the paths moved into the scratch directory.
sed -n '/^tls_pem_bundle() {/,/^}/p' "$out/vault-scripts/setup.sh" | sed -e "s#/etc/tls#$pki/etc#g" -e "s#/var/run/mongodb-tls#$pki/run#g" > "$work/compose.sh"
check "setup.sh defines tls_pem_bundle and runs it" grep -qx 'tls_pem_bundle "/var/run/mongodb-tls/server.pem"' "$out/vault-scripts/setup.sh"
check "agent.sh composes with the same function" cmp -s <(sed -n '/^tls_pem_bundle() {/,/^}/p' "$out/vault-scripts/setup.sh") <(sed -n '/^tls_pem_bundle() {/,/^}/p' "$out/vault-scripts/agent.sh")
compose() { bash -c 'set -euo pipefail; . "$1"; tls_pem_bundle "$2"' _ "$work/compose.sh" "$pem"; }
pem="$pki/run/server.pem"
check "tls_pem_bundle: composes from a PKCS#8 key and its certificate" compose
check "tls_pem_bundle: the key, then the certificate, nothing else" test "$(grep -- '-----BEGIN' "$pem" | tr '\n' '|')" = '-----BEGIN PRIVATE KEY-----|-----BEGIN CERTIFICATE-----|'
check "tls_pem_bundle: mode 0600" test "$(stat -c %a "$pem")" = 600
check "tls_pem_bundle: openssl reads the key and the certificate from it, and they match" \
  cmp -s <(openssl pkey -in "$pem" -pubout) <(openssl x509 -in "$pem" -noout -pubkey)
check "tls_pem_bundle: the certificate in it verifies against the CA for localhost" openssl verify -CAfile "$pki/etc/ca.crt" -verify_hostname localhost "$pem"
# A server that loads certificate and key from the one file, as mongod does, and a verifying client.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
openssl s_server -accept "127.0.0.1:$port" -cert "$pem" -key "$pem" -naccept 1 -quiet >/dev/null 2>&1 &
s_server=$!
sleep 1
verified_client() { echo | openssl s_client -connect "127.0.0.1:$port" -servername localhost -verify_hostname localhost -CAfile "$pki/etc/ca.crt" -verify_return_error 2>&1 | grep -q "Verify return code: 0 (ok)"; }
check "tls_pem_bundle: served from the one file, a client verifying the CA and localhost gets return code 0" verified_client
kill "$s_server" 2>/dev/null || true; wait "$s_server" 2>/dev/null || true
printf '%s' "$(cat "$pki/etc/tls.key")" > "$pki/nonl.key"; cp "$pki/etc/tls.key" "$pki/pkcs8.key"; mv "$pki/nonl.key" "$pki/etc/tls.key"
two_blocks() { compose && openssl pkey -in "$pem" -noout && test "$(grep -c -- '^-----BEGIN' "$pem")" = 2; }
check "tls_pem_bundle: a key file without a final newline still gives two separate PEM blocks" two_blocks
openssl genrsa -traditional -out "$pki/etc/tls.key" 2048 2>/dev/null
openssl req -new -key "$pki/etc/tls.key" -subj /CN=vault -out "$pki/rsa.csr" 2>/dev/null
openssl x509 -req -in "$pki/rsa.csr" -CA "$pki/etc/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -out "$pki/etc/tls.crt" -extfile "$pki/san.ext" 2>/dev/null
rsa_composed() { compose && grep -q 'BEGIN RSA PRIVATE KEY' "$pem" && openssl pkey -in "$pem" -noout; }
check "tls_pem_bundle: a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY) is composed as well (mongod reads both)" rsa_composed
cp "$pem" "$pki/before.pem"
echo "not a key" > "$pki/etc/tls.key"
set +e
compose > "$work/refused.out" 2>&1
refused_code=$?
set -e
refused_with_message() { [ "$refused_code" != 0 ] && grep -q 'holds no PEM private key' "$work/refused.out"; }
check "tls_pem_bundle: a key file without a PEM key is refused with a message" refused_with_message
check "tls_pem_bundle: and the PEM mongod reads is left as it was" cmp -s "$pki/before.pem" "$pem"
# Back to the EC key and certificate for the client checks.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/etc/tls.key" -out "$pki/tls.csr" -subj /CN=vault 2>/dev/null
openssl x509 -req -in "$pki/tls.csr" -CA "$pki/etc/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -out "$pki/etc/tls.crt" -extfile "$pki/san.ext" 2>/dev/null

# The real mongosh with the rendered TLS options against a TLS listener on 127.0.0.1:27017 (no mongod:
# the listener logs each verified handshake with the name the client asked for, then hangs up).
# node -e "$tls_listener" KEY CERT LOG
tls_listener='
    const fs = require("fs");
    const server = require("tls").createServer({ key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2]) }, (socket) => {
      fs.appendFileSync(process.argv[3], "handshake " + (socket.servername || "-") + "\n");
      socket.destroy();
    });
    server.on("tlsClientError", (e) => fs.appendFileSync(process.argv[3], "refused " + e.code + "\n"));
    server.listen(27017, "127.0.0.1", () => fs.appendFileSync(process.argv[3], "listening\n"));
'
wait_listening() { for _ in $(seq 50); do grep -q listening "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
if node -e 'const s = require("net").connect(27017, "127.0.0.1"); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));'; then
  fail "mongosh over TLS: something listens on 127.0.0.1:27017 here, the checks need the port free"
else
  : > "$work/listener.log"
  node -e "$tls_listener" "$pki/etc/tls.key" "$pki/etc/tls.crt" "$work/listener.log" >/dev/null 2>&1 &
  listener=$!
  wait_listening "$work/listener.log"
  # The readiness probe exactly as rendered, the CA path moved to the scratch one.
  mapfile -t argv < <(node -e 'for (const a of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) console.log(a.split("/etc/tls/ca.crt").join(process.argv[2]))' "$out/eval/vault-mongod-readinessProbe.argv.json" "$pki/etc/ca.crt")
  check "vault readiness probe: mongosh --tls --tlsCAFile <CA> --host localhost" test "${argv[*]:0:8}" = "mongosh --quiet --norc --tls --tlsCAFile $pki/etc/ca.crt --host localhost"
  argv[0]="$mongosh"
  timeout 8 "${argv[@]}" > "$work/probe.out" 2>&1 || true
  check "vault readiness probe: the real mongosh completes a verified TLS handshake as localhost" grep -q '^handshake localhost$' "$work/listener.log"
  sed "s#/etc/tls/ca.crt#$pki/etc/ca.crt#" "$vault/replica-set.json" > "$work/vault-replica-set.json"
  before=$(grep -c '^handshake localhost$' "$work/listener.log")
  set +e
  REPLICA_SET_FILE="$work/vault-replica-set.json" POD_NAME=vault-0 MEMBER_HOST=vault-0.vault-headless.shop.svc.cluster.local:27017 MEMBER_ROLE=data \
    MONGODB_ROOT_PASSWORD=not-a-secret timeout 40 "$mongosh" --quiet --norc --nodb --file "$out/vault-scripts/replica-set.js" > "$work/agent-tls.out" 2>&1
  agent_code=$?
  set -e
  agent_over_tls() { [ "$agent_code" = 3 ] && [ "$(grep -c '^handshake localhost$' "$work/listener.log")" -gt "$before" ]; }
  check "agent (tls): the real mongosh opens its connections over verified TLS (handshakes as localhost), then asks to retry" agent_over_tls
  sed "s#/etc/tls/ca.crt#$pki/etc/ca.crt#" "$out/vault-scripts/rotate-certificates.js" > "$work/rotate.js"
  before=$(grep -c '^handshake localhost$' "$work/listener.log")
  set +e
  MONGODB_ROOT_PASSWORD=not-a-secret timeout 40 "$mongosh" --quiet --norc --nodb --file "$work/rotate.js" > "$work/rotate.out" 2>&1
  rotate_code=$?
  set -e
  rotate_over_tls() { [ "$rotate_code" = 1 ] && grep -q 'rotateCertificates failed' "$work/rotate.out" && [ "$(grep -c '^handshake localhost$' "$work/listener.log")" -gt "$before" ]; }
  check "rotate-certificates.js: connects over verified TLS, and reports the failed rotation (exit 1)" rotate_over_tls
  kill "$listener" 2>/dev/null || true; wait "$listener" 2>/dev/null || true

  # A certificate from another CA: refused by the client, no handshake completes.
  : > "$work/listener-other.log"
  node -e "$tls_listener" "$pki/other/tls.key" "$pki/other/tls.crt" "$work/listener-other.log" >/dev/null 2>&1 &
  listener=$!
  wait_listening "$work/listener-other.log"
  timeout 20 "${argv[@]}" > "$work/probe-other.out" 2>&1 || true
  other_ca_refused() { ! grep -q '^handshake' "$work/listener-other.log" && grep -qiE 'certificate|self.signed' "$work/probe-other.out"; }
  check "vault readiness probe: a server certificate from another CA is refused" other_ca_refused
  set +e
  REPLICA_SET_FILE="$work/vault-replica-set.json" POD_NAME=vault-0 MEMBER_HOST=vault-0.vault-headless.shop.svc.cluster.local:27017 MEMBER_ROLE=data \
    MONGODB_ROOT_PASSWORD=not-a-secret timeout 40 "$mongosh" --quiet --norc --nodb --file "$out/vault-scripts/replica-set.js" > "$work/agent-other.out" 2>&1
  MONGODB_ROOT_PASSWORD=not-a-secret timeout 40 "$mongosh" --quiet --norc --nodb --file "$work/rotate.js" > "$work/rotate-other.out" 2>&1
  set -e
  others_refused() { ! grep -q '^handshake' "$work/listener-other.log" && grep -qiE 'certificate|self.signed' "$work/agent-other.out" && grep -qiE 'certificate|self.signed' "$work/rotate-other.out"; }
  check "agent and rotate-certificates.js (tls): a server certificate from another CA is refused" others_refused
  sed -n '1p' "$work/agent-other.out"
  kill "$listener" 2>/dev/null || true; wait "$listener" 2>/dev/null || true
fi

echo "mongodb: $passed passed, $failed failed"
[ "$failed" = 0 ]
