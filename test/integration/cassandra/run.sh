#!/usr/bin/env bash
# Real-binary check of the Cassandra engine, on loopback only.
#
#  1. shellcheck of every script the pods run (taken from the synthesized ConfigMap).
#  2. Cassandra 5.0 from Maven Central (cassandra-all and its runtime dependencies, cached), a
#     ring of two racks (a, b) with one node each, on 127.0.0.1 and 127.0.0.2: for each node the
#     init container's prepare-config.sh renders the construct's cassandra.yaml and that rack's
#     rackdc properties into a configuration directory, and a real CassandraDaemon starts from it
#     exactly as the image's `cassandra -f` does (configuration directory first on the classpath).
#     Then: CQL answers on each node, the readiness script says Ready (nodetool netstats: NORMAL),
#     nodetool status shows both nodes UN in dc1 with racks a and b, a CQL client writes at
#     consistency ALL to an RF=2 NetworkTopologyStrategy keyspace and reads it back, the preStop
#     script drains a node (not Ready any more, seen down by its peer), and reads at ONE still work.
#     The construct is rendered with `metrics: true`: each daemon runs the Prometheus JMX exporter
#     javaagent (Maven Central's jmx_prometheus_javaagent, the release the default agent image
#     carries) from the rendered JVM_EXTRA_OPTS and rules file, in the same start; after the CQL
#     check, each node's /metrics must serve the series docs/engines/cassandra.md names, and the
#     writes must show in cassandra_clientrequest_requests_total (it prints what it found).
#     Scaling: the ring grows by one node (rack a's second pod, ring-a-1, on 127.0.0.3, from the
#     configuration rendered with replicas: 2), which bootstraps into it; 10000 rows are written at
#     ALL (RF 2, the ring's declared replicationFactor); then rack a is scaled back to 1: the
#     rendered preStop hook of ring-a-1 asks a TLS stand-in of the API server (its token, CA and
#     namespace as mounted) for its StatefulSet's scale, hears replicas 1, and decommissions the
#     node: nodetool status shows it UL (leaving), then it is gone; every row is still read at ALL.
#     The same hook on rack b's node, whose StatefulSet keeps its replicas, is a restart: it drains.
#     The times of the bootstrap, the writes and the decommission are printed.
#     TLS and authentication, in the same start: the ring is rendered with `tls` (a Secret) and the
#     default PasswordAuthenticator; openssl makes a CA and the nodes' certificate (PKCS#8 key,
#     SANs of the pods, Services and the loopback addresses this test maps them to). Each node
#     starts through the rendered start.sh (a `cassandra` on PATH runs the daemon as the image's
#     does): it composes the PEM keystore, starts tls_watch and, in the background, auth.sh, which
#     creates the generated superuser `admin` (password with a quote in it, as a user's Secret may
#     have), disables cassandra/cassandra and replicates system_auth, with cqlsh over TLS (cqlsh
#     6.2.2 from PyPI, the 5.0 line's). Shown: the ring forms with internode encryption (both nodes
#     UN; the storage port refuses a TLS client without a certificate of the CA and completes the
#     handshake with one), a CQL query over TLS as `admin`, and refused: cassandra/cassandra, a
#     client without credentials, a wrong password, a plaintext client. A renewed certificate is
#     written over the mounted files: tls_watch recomposes the keystore and runs nodetool reloadssl,
#     and the new serial is served without a restart (seconds printed). tls.sh refuses a SEC1 (EC)
#     and a PKCS#1 (RSA) key. Every later CQL check logs in as `admin` over TLS; nodetool (local
#     JMX) needs no password.
#  3. The cassandra.yaml rendered for 4.0 and 4.1 is accepted by those versions' own
#     configuration loader (YamlConfigurationLoader + DatabaseDescriptor), without starting them.
#
# Test-only mappings (the pods do none of this): data paths /var/lib/cassandra -> a temp dir,
# each seed's DNS name -> its node's loopback address (what cluster DNS would answer),
# rpc_address -> the node's address, the heap set to 768 MiB, JMX ports 7199/7200, a small
# logback.xml standing in for the image's; /etc/tls (the Secret's mount) -> a directory of the test,
# /var/run/cassandra-tls (the composed keystore's emptyDir) -> one per node, tls_watch every 5 s,
# auth.sh's retries every 3 s and its look at the ring's growth every 5 s; in JVM_EXTRA_OPTS the agent jar's path and the rules'
# directory, and the agent listens on the node's own loopback address (127.0.0.<n>:9404).
# These ports are fixed: when one is busy (another run), it waits for it, up to PORT_WAIT seconds
# (default 900). Prints PASS/FAIL lines; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}"
versions=("5.0.9:5.0" "4.1.10:4.1" "4.0.19:4.0")
agent_version="${JMX_EXPORTER_VERSION:-1.0.1}"
agent_jar="$cache/jmx-exporter-$agent_version/jmx_prometheus_javaagent-$agent_version.jar"
failures=0
passes=0
pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

work="$(mktemp -d -t cdk8s-stateful-cassandra.XXXXXX)"
daemon_pids=()
node_pids=()
api_pid=""
stop_daemon() { # <pid>
  if kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$1" 2>/dev/null || break; sleep 1; done
    kill -9 "$1" 2>/dev/null || true
  fi
  # What start.sh left in the background (tls_watch, auth.sh): the node's own process group.
  kill -- "-$1" 2>/dev/null || true
}
cleanup() {
  for pid in "${daemon_pids[@]}"; do stop_daemon "$pid"; done
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- tools ------------------------------------------------------------------------------------
need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v curl >/dev/null || need_apt+=(curl)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v python3 >/dev/null || need_apt+=(python3)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')"
if [ "${java_major%%.*}" -lt 17 ]; then
  echo "FAIL: Java 17 or newer is needed for Cassandra 5.0, found $java_major"; exit 1
fi

fetch() { # <full-version>: cassandra-all and its runtime dependencies into the cache
  local lib="$cache/cassandra-$1/lib"
  if [ ! -f "$lib/cassandra-all-$1.jar" ]; then
    mkdir -p "$lib"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -Dcassandra.version="$1" \
      -DincludeScope=runtime -DoutputDirectory="$lib" >"$work/mvn-$1.log" 2>&1 \
      || { cat "$work/mvn-$1.log"; return 1; }
  fi
  echo "$lib"
}

# cqlsh for the authentication bootstrap, as the image has it: the 5.0 line's cqlsh from PyPI.
cqlsh_venv="$cache/cqlsh-6.2.2"
if [ ! -x "$cqlsh_venv/bin/cqlsh" ]; then
  if ! { python3 -m venv "$cqlsh_venv" && "$cqlsh_venv/bin/pip" install -q cqlsh==6.2.2; } >"$work/pip.log" 2>&1; then
    echo "FAIL: installing cqlsh"; cat "$work/pip.log"; exit 1
  fi
fi

render() { # <full> <major> <dir> [<rack>,...]: the ConfigMaps' files from a real synthesis
  (cd "$root" && node -r ts-node/register/transpile-only "$here/render.ts" "$3" "$1" "$2" "${@:4}" >/dev/null)
}

# --- 1. shellcheck ----------------------------------------------------------------------------
render 5.0.9 5.0 "$work/render"
for script in "$work"/render/scripts/*.sh; do
  if out="$(shellcheck -s sh "$script" 2>&1)"; then
    pass "shellcheck $(basename "$script")"
  else
    fail "shellcheck $(basename "$script")"; echo "$out"
  fi
done

# --- 2. a ring of two racks ------------------------------------------------------------------
# Nodes 1 and 2 are racks a and b's first pods; node 3 is rack a's second pod (the scale-up).
racks=(a b a)
pods=(ring-a-0 ring-b-0 ring-a-1)
busy_ports() { # the fixed ports of the ring that something listens on
  local ip port
  for ip in 127.0.0.1 127.0.0.2 127.0.0.3; do
    for port in 7000 9042 9404; do
      if (exec 3<>"/dev/tcp/$ip/$port") 2>/dev/null; then printf '%s ' "$ip:$port"; fi
    done
  done
  for port in 7199 7200 7201; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then printf '%s ' "127.0.0.1:$port"; fi
  done
}
# Another run may hold them: wait for it to end rather than disturb it.
waited=0
while busy="$(busy_ports)" && [ -n "$busy" ]; do
  if [ "$waited" -ge "${PORT_WAIT:-900}" ]; then
    echo "FAIL: ports still in use after ${waited}s: $busy"; exit 1
  fi
  [ "$waited" = 0 ] && echo "ports in use ($busy): waiting for them to be free"
  sleep 10; waited=$((waited + 10))
done
lib="$(fetch 5.0.9)"
if [ ! -f "$agent_jar" ]; then
  mkdir -p "$(dirname "$agent_jar")"
  mvn -q -B dependency:copy -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$agent_version" \
    -DoutputDirectory="$(dirname "$agent_jar")" >"$work/mvn-agent.log" 2>&1 || { cat "$work/mvn-agent.log"; exit 1; }
fi
[ -f "$agent_jar" ] || { echo "FAIL: no $agent_jar after the download"; exit 1; }
render 5.0.9 5.0 "$work/ring" a,b
render 5.0.9 5.0 "$work/grown" a,b 2

# --- certificates, as cert-manager would put them in the Secret ring-tls -------------------------
# One certificate for every node (as the library's Certificate): the pods' and Services' names,
# localhost, and the loopback addresses this test gives the nodes. Keys are PKCS#8 (genpkey).
tls="$work/tls"          # stands for /etc/tls, the Secret's mount
mkdir -p "$tls" "$work/ca"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca/ca.key" 2>/dev/null
openssl req -x509 -new -key "$work/ca/ca.key" -out "$tls/ca.crt" -days 2 -subj /CN=ring-test-ca 2>/dev/null
sans="DNS:ring,DNS:ring.db,DNS:ring.db.svc,DNS:ring.db.svc.cluster.local,DNS:*.ring-a-headless.db.svc.cluster.local"
sans="$sans,DNS:*.ring-b-headless.db.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3"
issue() { # <dir>: tls.key (PKCS#8) and tls.crt signed by the CA, written whole as the kubelet swaps a Secret
  local d="$1" next="$1/.next"
  mkdir -p "$next"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$next/tls.key" 2>/dev/null
  openssl req -new -key "$next/tls.key" -subj /CN=ring -out "$next/tls.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$sans" > "$next/ext"
  openssl x509 -req -in "$next/tls.csr" -CA "$tls/ca.crt" -CAkey "$work/ca/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 2 -extfile "$next/ext" -out "$next/tls.crt" 2>/dev/null
  mv -f "$next/tls.key" "$d/tls.key"; mv -f "$next/tls.crt" "$d/tls.crt"; rm -rf "$next"
}
issue "$tls"
if head -n 1 "$tls/tls.key" | grep -q 'BEGIN PRIVATE KEY' && openssl verify -CAfile "$tls/ca.crt" "$tls/tls.crt" >/dev/null; then
  pass "openssl made a CA and the nodes' certificate (PKCS#8 key), SANs: $sans"
else
  fail "making the certificates"
fi
# The rendered scripts read the Secret's mount at /etc/tls: here, the test's directory.
for src in "$work/ring" "$work/grown"; do sed -i "s#/etc/tls/#$tls/#g" "$src"/scripts/*.sh; done
admin_pw="it's-$(openssl rand -hex 12)"   # the generated Secret's password (a quote, as a user's may have)
envval() { sed -n "s/^$2=//p" "$1/server.env"; } # <rendered> <name>: the server container's value
check() { # Check.java as an app configured by connectionEnv(): user admin, the password, TLS with the CA
  CHECK_USER="${CHECK_USER-admin}" CHECK_PASSWORD="${CHECK_PASSWORD-$admin_pw}" CHECK_CA="${CHECK_CA-$tls/ca.crt}" \
    java -cp "$lib/*" "$here/Check.java" "$@"
}
mkdir -p "$work/image-conf" "$work/bin"
cat > "$work/image-conf/logback.xml" <<'XML'
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
XML
echo "# stand-in for the image's cassandra-env.sh" > "$work/image-conf/cassandra-env.sh"

# Module options of the image's jvm17-server.options and jvm17-clients.options: neither the
# server nor nodetool runs on Java 17 without them.
module_opts=(
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens java.base/java.math=ALL-UNNAMED
  --add-opens java.base/java.net=ALL-UNNAMED
)
jvm_opts=(
  -Xms768M -Xmx768M -XX:+UseG1GC -Xss256k
  "-javaagent:$(ls "$lib"/jamm-*.jar)"
  -Djdk.attach.allowAttachSelf=true -Dio.netty.tryReflectionSetAccessible=true
  "${module_opts[@]}"
)

# nodetool as the image has it (for the readiness and preStop scripts), on the node's JMX port.
cat > "$work/bin/nodetool" <<SH
#!/bin/sh
exec java -Xmx128m ${module_opts[*]} -cp "$lib/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "\${JMX_PORT:-7199}" "\$@"
SH
chmod +x "$work/bin/nodetool"
nt() { JMX_PORT="$((7198 + $1))" PATH="$work/bin:$PATH" nodetool "${@:2}"; }           # <node> args...
ready() { JMX_PORT="$((7198 + $1))" PATH="$work/bin:$PATH" sh "$work/ring/scripts/ready.sh"; }

# The seeds' DNS names as cluster DNS would answer them: seed k is the node of rack k.
seed_map=()
k=0
while read -r seed; do
  k=$((k + 1)); seed_map+=(-e "s#$seed#127.0.0.$k#g")
done < "$work/ring/seeds"

prepare() { # <node> [<rendered>]: the init container's prepare-config.sh for that node
  local n="$1" src="${2:-$work/ring}" dir="$work/node$1"
  SOURCE_CONF="$work/image-conf" RENDERED_CONF="$dir/rendered" TARGET_CONF="$dir/conf" \
    POD_IP="127.0.0.$n" CASSANDRA_RACK="${racks[$((n - 1))]}" CASSANDRA_DATA="$dir/data" \
    sh "$src/scripts/prepare-config.sh"
}

start_node() { # <node> [<rendered>]: prepare its configuration as the init container does, start the daemon
  local n="$1" ip="127.0.0.$1" rack="${racks[$(($1 - 1))]}" dir="$work/node$1" src="${2:-$work/ring}"
  mkdir -p "$dir/data" "$dir/conf" "$dir/logs" "$dir/rendered"
  sed -e "s#/var/lib/cassandra#$dir/data#g" "${seed_map[@]}" -e "s#^rpc_address: .*#rpc_address: $ip#" \
    -e "s#/var/run/cassandra-tls/#$dir/tls-store/#g" "$src/config/cassandra.yaml" > "$dir/rendered/cassandra.yaml"
  cp "$src"/config/rackdc-*.properties "$dir/rendered/"
  if prepare "$n" "$src" >"$dir/prepare.log" 2>&1 \
     && grep -q "^listen_address: $ip\$" "$dir/conf/cassandra.yaml" \
     && grep -q "^broadcast_rpc_address: $ip\$" "$dir/conf/cassandra.yaml" \
     && grep -q 'seeds: "127.0.0.1,127.0.0.2"' "$dir/conf/cassandra.yaml" \
     && grep -q "^rack=$rack\$" "$dir/conf/cassandra-rackdc.properties" \
     && [ -f "$dir/conf/logback.xml" ] && ! grep -q __POD_IP__ "$dir/conf/cassandra.yaml"; then
    pass "node $n: prepare-config.sh copied the image configuration, filled in $ip and rack $rack"
  else
    fail "node $n: prepare-config.sh"; cat "$dir/prepare.log"
  fi
  # The rendered JVM_EXTRA_OPTS (cassandra-env.sh appends them), mapped to this machine: the
  # agent's jar, the rules' directory, and the node's own address for its port.
  local extra mapped
  extra="$(sed -n 's/^JVM_EXTRA_OPTS=//p' "$src/server.env")"
  mapped="${extra//-javaagent:\/opt\/jmx-exporter\/jmx_prometheus_javaagent.jar=9404:\/config\//-javaagent:$agent_jar=$ip:9404:$dir/rendered/}"
  if [[ "$mapped" == "-javaagent:$agent_jar=$ip:9404:$dir/rendered/jmx-exporter.yaml" ]]; then
    pass "node $n: the rendered JVM_EXTRA_OPTS load the JMX exporter agent with the rendered rules ($extra)"
  else
    fail "node $n: JVM_EXTRA_OPTS '$extra' is not the agent option this check can map"
  fi
  cp "$src/config/jmx-exporter.yaml" "$dir/rendered/"
  # The image's `cassandra -f`, as bin/cassandra does it: the configuration directory first on the
  # classpath (cassandra.yaml, cassandra-rackdc.properties and logback.xml are found there), local JMX.
  mkdir -p "$dir/bin" "$dir/tmp"
  # shellcheck disable=SC2086 # JVM_EXTRA_OPTS is a list of options, as in cassandra-env.sh
  {
    printf '#!/usr/bin/env bash\nexec'
    printf ' %q' java "${jvm_opts[@]}" $mapped -Dcassandra-foreground=yes -Dcassandra.jmx.local.port="$((7198 + n))" \
      -Dcassandra.logdir="$dir/logs" -Dcassandra.storagedir="$dir/data" -cp "$dir/conf:$lib/*" org.apache.cassandra.service.CassandraDaemon
    printf '\n'
  } > "$dir/bin/cassandra"
  chmod +x "$dir/bin/cassandra"
  # The server container's command and environment (the password from the Secret), in its own
  # process group: start.sh's background work (tls_watch, auth.sh) ends with the node.
  PATH="$dir/bin:$work/bin:$cqlsh_venv/bin:$PATH" JMX_PORT="$((7198 + n))" POD_IP="$ip" TMPDIR="$dir/tmp" \
    ADMIN_USER="$(envval "$src" ADMIN_USER)" ADMIN_PASSWORD="$admin_pw" CASSANDRA_DC="$(envval "$src" CASSANDRA_DC)" \
    AUTH_REPLICATION="$(envval "$src" AUTH_REPLICATION)" CQLSH_CA_FILE="$(envval "$src" CQLSH_CA_FILE | sed "s#^/etc/tls/#$tls/#")" \
    TLS_STORE_DIR="$dir/tls-store" TLS_WATCH_SECONDS=5 AUTH_RETRY_SECONDS=3 AUTH_RECHECK_SECONDS=5 CASSANDRA_CONF="$dir/conf" \
    setsid sh "$src/scripts/start.sh" >>"$dir/daemon.out" 2>&1 &
  daemon_pids+=($!)
  node_pids[n]=$!
}

wait_auth() { # <node>: auth.sh has finished on that node
  local n="$1"
  for _ in $(seq 1 60); do
    if grep -q '^auth-bootstrap: done' "$work/node$n/daemon.out"; then return 0; fi
    sleep 2
  done
  return 1
}

wait_node() { # <node>: CQL open, then ready.sh says Ready
  local n="$1" ip="127.0.0.$1" pid="${node_pids[$1]}" started="" out=""
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/$ip/9042") 2>/dev/null; then started=yes; break; fi
    sleep 2
  done
  if [ -z "$started" ]; then
    fail "node $n: CassandraDaemon did not open CQL on $ip:9042 within 300 s"
    tail -40 "$work/node$n/daemon.out"; tail -60 "$work/node$n/logs/system.log" 2>/dev/null || true
    exit 1
  fi
  pass "node $n: CassandraDaemon 5.0.9 started from the rendered configuration; CQL open on $ip:9042 (${SECONDS}s into the run)"
  for _ in $(seq 1 20); do
    if out="$(ready "$n" 2>&1)"; then
      pass "node $n: ready.sh says Up/Normal (nodetool netstats: Mode: NORMAL)"; return
    fi
    sleep 3
  done
  fail "node $n: ready.sh never reported Ready: $out"
}

mkdir -p "$work/bad/rendered"
cp "$work"/ring/config/* "$work/bad/rendered/"
if SOURCE_CONF="$work/image-conf" RENDERED_CONF="$work/bad/rendered" TARGET_CONF="$work/bad" \
   POD_IP='1.2.3.4/s' CASSANDRA_RACK=a sh "$work/ring/scripts/prepare-config.sh" >/dev/null 2>&1; then
  fail "prepare-config.sh accepted a POD_IP that is no address"
else
  pass "prepare-config.sh refuses a POD_IP that is no address"
fi
if SOURCE_CONF="$work/image-conf" RENDERED_CONF="$work/bad/rendered" TARGET_CONF="$work/bad" \
   POD_IP=127.0.0.1 CASSANDRA_RACK=rack1 sh "$work/ring/scripts/prepare-config.sh" >/dev/null 2>&1; then
  fail "prepare-config.sh accepted a rack with no rendered properties"
else
  pass "prepare-config.sh refuses a rack with no rendered properties"
fi

# Rack a's first pod starts first, as the seeds of a new ring do; rack b's joins it.
start_node 1
wait_node 1
start_node 2
wait_node 2

status=""
for _ in $(seq 1 20); do
  status="$(nt 1 status 2>&1 || true)"
  if grep -Eq '^UN +127\.0\.0\.1 .* a *$' <<<"$status" && grep -Eq '^UN +127\.0\.0\.2 .* b *$' <<<"$status"; then break; fi
  sleep 3
done
if grep -q '^Datacenter: dc1$' <<<"$status" && grep -Eq '^UN +127\.0\.0\.1 .* a *$' <<<"$status" \
   && grep -Eq '^UN +127\.0\.0\.2 .* b *$' <<<"$status"; then
  pass "nodetool status: both nodes UN in datacenter dc1, racks a and b (from cassandra-rackdc.properties)"
else
  fail "nodetool status does not show both nodes UN in dc1 racks a, b"; echo "$status"
fi
if [ "$(nt 1 info -T 2>/dev/null | grep -c '^Token')" = 16 ]; then
  pass "num_tokens 16"
else
  fail "node 1 does not own 16 tokens"
fi

# --- TLS and authentication --------------------------------------------------------------------
for n in 1 2; do
  t0=$SECONDS
  if wait_auth "$n"; then
    pass "node $n: auth.sh finished ($((SECONDS - t0)) s after CQL was Ready): $(grep '^auth-bootstrap: ' "$work/node$n/daemon.out" | grep -v ': no login yet' | sed 's/^auth-bootstrap: //' | paste -sd ';' -)"
  else
    fail "node $n: auth.sh did not finish"; grep '^auth-bootstrap: ' "$work/node$n/daemon.out" | tail -5
  fi
done
# Roles are created once every seed is Up/Normal: by whichever node sees that first.
creators=()
for n in 1 2; do
  if grep -q '^auth-bootstrap: created the superuser admin' "$work/node$n/daemon.out" \
     && grep -q '^auth-bootstrap: disabled the default superuser cassandra' "$work/node$n/daemon.out"; then creators+=("$n"); fi
done
early="$(grep -h '^auth-bootstrap: created the superuser' "$work"/node[12]/daemon.out | head -n 1)"
if [ "${#creators[@]}" -ge 1 ] && [ -n "$early" ] && grep -q '^auth-bootstrap: waiting for seed' "$work/node1/daemon.out"; then
  pass "node 1 waited for the other seed; node(s) ${creators[*]} created admin and disabled cassandra once both seeds were Up/Normal (idempotent if both did)"
else
  fail "auth.sh: who created what"; grep -h '^auth-bootstrap: ' "$work"/node[12]/daemon.out | grep -v 'no login yet'
fi
if grep -q '^tls: keystore and truststore composed' "$work/node1/daemon.out" \
   && head -n 1 "$work/node1/tls-store/keystore.pem" | grep -q 'BEGIN PRIVATE KEY' \
   && [ "$(grep -c 'BEGIN CERTIFICATE' "$work/node1/tls-store/keystore.pem")" = 1 ] \
   && [ "$(stat -c %a "$work/node1/tls-store/keystore.pem")" = 600 ]; then
  pass "start.sh composed the PEM keystore (key, then certificate; mode 600) from the mounted files"
else
  fail "the composed keystore"; ls -l "$work/node1/tls-store"
fi
# Internode: both nodes UN above means gossip and the ring run over the encrypted storage port.
enc="$(grep -h 'encryption' "$work"/node[12]/logs/system.log | grep -Eo 'encryption[ =:]+[a-z]*\([^)]*\)' | sort | uniq -c | head -3)"
if grep -q 'encrypted' <<<"$enc" && ! grep -q 'unencrypted' <<<"$enc"; then
  pass "internode connections between the two nodes are encrypted (system.log): $(tr -s ' ' <<<"$enc" | paste -sd ';' -)"
else
  fail "no encrypted internode connection in system.log: $enc"; grep -h -i 'encrypt' "$work"/node[12]/logs/system.log | head -5
fi
storage_tls() { # <extra s_client options...>: a TLS client on node 2's storage port
  # Open for 2 s: in TLS 1.3 the server refuses a client certificate after the client's handshake.
  (sleep 2) | timeout 20 openssl s_client -connect 127.0.0.2:7000 -CAfile "$tls/ca.crt" "$@" 2>&1 || true
}
with_cert="$(storage_tls -cert "$tls/tls.crt" -key "$tls/tls.key")"
without="$(storage_tls)"
refusal='alert (certificate required|handshake failure|bad certificate|unknown ca)'
if grep -q 'Verify return code: 0 (ok)' <<<"$with_cert" && ! grep -qiE "$refusal" <<<"$with_cert" \
   && grep -qiE "$refusal" <<<"$without"; then
  pass "storage port 7000 speaks TLS ($(grep -m1 -oE 'TLSv1\.[23]' <<<"$with_cert")): a peer with a certificate of the CA completes the handshake, one without is refused ($(grep -m1 -oiE 'alert [a-z ]+' <<<"$without"))"
else
  fail "storage port TLS: with a certificate: $(grep -iE 'verify return code|alert|error' <<<"$with_cert" | head -3 | paste -sd ';' -) / without: $(grep -iE 'verify return code|alert|error' <<<"$without" | head -3 | paste -sd ';' -)"
fi

if out="$(check 127.0.0.1 dc1 2 ONE login 0 2>&1)" && grep -q '^login=ok user=admin tls=true release=5\.0\.9$' <<<"$out"; then
  pass "CQL over TLS as the generated superuser admin (password from the Secret): $(grep '^login=' <<<"$out")"
else
  fail "CQL over TLS as admin"; echo "$out" | tail -5
fi
refused() { # <what> <env...>: Check.java login with that environment must be refused
  local what="$1" out; shift
  # shellcheck disable=SC2163 # "$@" are NAME=value words
  if out="$( (export "$@"; check 127.0.0.1 dc1 2 ONE login 0) 2>&1)"; then
    fail "$what: logged in ($out)"
  elif grep -q '^refused=' <<<"$out"; then
    pass "$what: refused ($(grep '^refused=' <<<"$out" | cut -c1-220))"
  else
    fail "$what: failed without a refusal"; echo "$out" | tail -5
  fi
}
refused "the default superuser cassandra/cassandra over TLS" CHECK_USER=cassandra CHECK_PASSWORD=cassandra
refused "a client without credentials over TLS" CHECK_USER= CHECK_PASSWORD=
refused "admin with a wrong password" CHECK_PASSWORD=wrong
refused "a plaintext client with admin's credentials" CHECK_CA=
if out="$(PATH="$cqlsh_venv/bin:$PATH" HOME="$work" SSL_CERTFILE="$tls/ca.crt" timeout 60 cqlsh --ssl -u cassandra -p cassandra 127.0.0.1 9042 -e 'SELECT now() FROM system.local' 2>&1)"; then
  fail "cqlsh --ssl as cassandra/cassandra logged in"
else
  pass "cqlsh --ssl as cassandra/cassandra refused: $(grep -oE "[A-Za-z ]*(not permitted to log in|incorrect)[^'\"]*" <<<"$out" | head -n 1)"
fi
auth_rf="$(PATH="$cqlsh_venv/bin:$PATH" HOME="$work" SSL_CERTFILE="$tls/ca.crt" timeout 60 cqlsh --ssl -u admin -p "$admin_pw" 127.0.0.1 9042 \
  -e "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'" 2>/dev/null | grep -o "{.*}" || true)"
if grep -q "NetworkTopologyStrategy" <<<"$auth_rf" && grep -q "'dc1': '2'" <<<"$auth_rf"; then
  pass "system_auth is NetworkTopologyStrategy with 2 replicas in dc1 (the declared replicationFactor; 2 nodes): $auth_rf"
else
  fail "system_auth replication: $auth_rf"
fi
conn="$(cat "$work/ring/connection.json")"
if grep -q '"username":"admin","secretName":"ring-credentials","passwordKey":"password"' <<<"$conn" \
   && grep -q '{"name":"CASSANDRA_PASSWORD","valueFrom":{"secretKeyRef":{"name":"ring-credentials","key":"password"}}}' <<<"$conn" \
   && grep -q '{"name":"CASSANDRA_TLS","value":"required"}' <<<"$conn" && grep -q '"CASSANDRA_CA_FILE"' <<<"$conn"; then
  pass "rendered connection: user admin, the password from Secret ring-credentials, TLS required with the CA file (what Check.java was given)"
else
  fail "rendered connection: $conn"
fi

# A renewed certificate (a new key and serial, the same CA) replaces the mounted files.
serial() { timeout 20 openssl s_client -connect "$1:9042" -CAfile "$tls/ca.crt" </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null; }
before="$(serial 127.0.0.1)"
issue "$tls"
renewed="$(openssl x509 -in "$tls/tls.crt" -noout -serial)"
t0=$SECONDS
for _ in $(seq 1 60); do
  if [ "$(serial 127.0.0.1)" = "$renewed" ] && [ "$(serial 127.0.0.2)" = "$renewed" ]; then break; fi
  sleep 2
done
if [ "$(serial 127.0.0.1)" = "$renewed" ] && [ "$(serial 127.0.0.2)" = "$renewed" ] && [ "$before" != "$renewed" ] \
   && grep -q '^tls: the node reloaded its certificates' "$work/node1/daemon.out"; then
  pass "rotation without restart: both nodes serve the renewed certificate ($before -> $renewed) $((SECONDS - t0)) s after the files changed (tls_watch every 5 s, then nodetool reloadssl)"
else
  fail "rotation: served $(serial 127.0.0.1) / $(serial 127.0.0.2), renewed $renewed"; grep -h '^tls' "$work"/node[12]/daemon.out | tail -4
fi
if out="$(check 127.0.0.1 dc1 2 ONE login 0 2>&1)" && grep -q '^login=ok' <<<"$out"; then
  pass "after the rotation, CQL over TLS as admin still works, with no restart (node pids ${node_pids[1]} ${node_pids[2]} alive: $(kill -0 "${node_pids[1]}" && kill -0 "${node_pids[2]}" && echo yes))"
else
  fail "CQL after the rotation"; echo "$out" | tail -3
fi
# A key that is not PKCS#8 stops the node's start, with the reason.
for kind in ec rsa; do
  bad="$work/bad-$kind"; mkdir -p "$bad/tls"
  cp "$tls/ca.crt" "$tls/tls.crt" "$bad/tls/"
  if [ "$kind" = ec ]; then openssl ecparam -name prime256v1 -genkey -noout -out "$bad/tls/tls.key" 2>/dev/null
  else openssl genrsa -traditional -out "$bad/tls/tls.key" 2048 2>/dev/null; fi
  sed "s#$tls/#$bad/tls/#g" "$work/ring/scripts/tls.sh" > "$bad/tls.sh"
  if out="$(TLS_STORE_DIR="$bad/store" sh "$bad/tls.sh" 2>&1)"; then
    fail "tls.sh accepted a $(head -n 1 "$bad/tls/tls.key") key"
  elif grep -q 'reads only unencrypted PKCS#8 keys' <<<"$out" && [ ! -e "$bad/store/keystore.pem" ]; then
    pass "tls.sh refuses a non-PKCS#8 key, exit non-zero: $(cut -c1-150 <<<"$out" | head -n 1)"
  else
    fail "tls.sh with a $kind key: $out"
  fi
done

if out="$(check 127.0.0.1 dc1 2 ALL 2>&1)" \
   && grep -q '^value=ring$' <<<"$out" && grep -q '^host=/127.0.0.1 dc=dc1 rack=a .* up=true$' <<<"$out" \
   && grep -q '^host=/127.0.0.2 dc=dc1 rack=b .* up=true$' <<<"$out" && grep -q '^cluster=ring$' <<<"$out"; then
  pass "CQL client (local datacenter dc1): RF=2 NetworkTopologyStrategy keyspace written and read at ALL; cluster 'ring', both racks seen"
else
  fail "CQL client check at ALL"; echo "$out" | tail -20
fi

# The series docs/engines/cassandra.md names, on every node, served by the agent in its JVM.
named_series=(
  cassandra_clientrequest_latency_seconds cassandra_clientrequest_requests_total
  cassandra_clientrequest_timeouts_total cassandra_clientrequest_unavailables_total cassandra_clientrequest_failures_total
  cassandra_compaction_pendingtasks cassandra_compaction_completedtasks_total cassandra_compaction_bytescompacted_total
  cassandra_droppedmessage_dropped_total
  cassandra_storage_load_bytes cassandra_storage_exceptions_total cassandra_storage_totalhints_total cassandra_storage_totalhintsinprogress
  cassandra_threadpools_pendingtasks cassandra_threadpools_activetasks cassandra_threadpools_totalblockedtasks_total
  cassandra_commitlog_pendingtasks cassandra_commitlog_totalcommitlogsize
  cassandra_client_connectednativeclients cassandra_cache_hitrate cassandra_cache_size cassandra_cache_entries
  cassandra_failuredetector_upendpointcount cassandra_failuredetector_downendpointcount
  jvm_memory_used_bytes jvm_gc_collection_seconds_count process_cpu_seconds_total
)
writes=0
for n in 1 2; do
  ip="127.0.0.$n" file="$work/node$n/metrics.txt"
  if ! curl -fsS --max-time 60 "http://$ip:9404/metrics" -o "$file"; then
    fail "node $n: no /metrics on $ip:9404"; continue
  fi
  found=() missing=()
  for series in "${named_series[@]}"; do
    if grep -qE "^$series(\{| )" "$file"; then found+=("$series"); else missing+=("$series"); fi
  done
  count="$(grep -cvE '^(#|$)' "$file")"
  echo "    node $n: $count series; ${#found[@]} of ${#named_series[@]} named ones found: ${found[*]}"
  if [ "${#missing[@]}" -eq 0 ]; then
    pass "node $n: /metrics serves the ${#named_series[@]} series docs/engines/cassandra.md names ($count series in all)"
  else
    fail "node $n: /metrics lacks ${missing[*]}"; grep -oE '^cassandra_[a-z_]+' "$file" | sort -u | sed 's/^/      has: /'
  fi
  value="$(sed -n 's/^cassandra_clientrequest_requests_total{operation="Write",\{0,1\}} \([0-9.]*\)$/\1/p' "$file")"
  value="${value%%.*}"
  writes=$((writes + ${value:-0}))
  if grep -q '^cassandra_failuredetector_upendpointcount 2.0$' "$file"; then
    pass "node $n: cassandra_failuredetector_upendpointcount says both nodes are up"
  else
    fail "node $n: cassandra_failuredetector_upendpointcount is not 2: $(grep '^cassandra_failuredetector' "$file" | tr '\n' ' ')"
  fi
done
if [ "$writes" -gt 0 ]; then
  pass "the CQL client's writes show in cassandra_clientrequest_requests_total{operation=\"Write\"} ($writes coordinated)"
else
  fail "no coordinated write counted in cassandra_clientrequest_requests_total"
fi

# --- scaling: grow rack a by one node, then scale it back through the rendered preStop hook --------
# The hook's only API call, answered by a TLS stand-in of the API server on 127.0.0.1: the pods'
# ServiceAccount directory (token, namespace, ca.crt) as the kubelet mounts it, the StatefulSets'
# spec.replicas as files that `kubectl scale` would change.
prestop="$(cat "$work/grown/pre-stop")"
if grep -q '"command":\["/opt/cdk8s-stateful/pre-stop.sh"\]' <<<"$prestop" && grep -q '"token":true' <<<"$prestop" \
   && grep -q '{"name":"ring-a-scale-down","rules":\[{"apiGroups":\["apps"\],"resourceNames":\["ring-a"\],"resources":\["statefulsets/scale"\],"verbs":\["get"\]}\]}' <<<"$prestop"; then
  pass "rendered: preStop runs pre-stop.sh, the API token is mounted, and rack a's Role grants only get on statefulsets/scale of ring-a (grace $(grep -o '"grace":[0-9]*' <<<"$prestop" | cut -d: -f2) s)"
else
  fail "rendered preStop, token or Role: $prestop"
fi
mkdir -p "$work/sa" "$work/api"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/api-key.pem" \
  -out "$work/sa/ca.crt" -days 2 -subj /CN=kubernetes -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
printf 'token-of-ring-sa\n' > "$work/sa/token"
printf 'db' > "$work/sa/namespace"
echo 2 > "$work/api/ring-a"
echo 1 > "$work/api/ring-b"
python3 "$here/api-stand-in.py" "$work/api" "$work/sa/ca.crt" "$work/api-key.pem" "$work/api/port" 2>"$work/api.log" &
api_pid=$!
for _ in $(seq 1 50); do [ -f "$work/api/port" ] && break; sleep 0.2; done
api_port="$(cat "$work/api/port" 2>/dev/null || true)"
[ -n "$api_port" ] || { echo "FAIL: the API stand-in did not start"; cat "$work/api.log"; exit 1; }
pre_stop() { # <node>: the rendered preStop hook, as the kubelet runs it in that node's pod
  local n="$1"
  JMX_PORT="$((7198 + n))" PATH="$work/bin:$PATH" POD_NAME="${pods[$((n - 1))]}" POD_IP="127.0.0.$n" \
    LEAVE_DELAY="$(sed -n 's/^LEAVE_DELAY=//p' "$work/grown/server.env")" LEAVE_POLL=5 \
    CASSANDRA_DATA="$work/node$n/data" PRE_STOP_LOG='' SCALE_DOWN_CHECK_SA_DIR="$work/sa" \
    KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$api_port" sh "$work/grown/scripts/pre-stop.sh"
}

t0=$SECONDS
start_node 3 "$work/grown"
wait_node 3
bootstrap_s=$((SECONDS - t0))
status="$(nt 1 status 2>&1 || true)"
if grep -Eq '^UN +127\.0\.0\.3 .* a *$' <<<"$status" && [ "$(grep -cE '^UN ' <<<"$status")" = 3 ]; then
  pass "scale-up: ring-a-1 (127.0.0.3, rack a) bootstrapped into the ring in ${bootstrap_s} s; nodetool status: 3 nodes UN"
else
  fail "scale-up: 127.0.0.3 is not UN in rack a"; echo "$status"
fi
rows="${SCALE_ROWS:-10000}"
t0=$SECONDS
if out="$(check 127.0.0.1 dc1 2 ALL write "$rows" 2>&1)" && grep -q "^written=$rows$" <<<"$out" \
   && [ "$(grep -c 'up=true$' <<<"$out")" = 3 ]; then
  pass "$rows rows written at ALL (RF 2, the declared replicationFactor) on the 3-node ring in $((SECONDS - t0)) s"
else
  fail "writing $rows rows at ALL"; echo "$out" | tail -20
fi
load3="$(nt 3 info 2>/dev/null | sed -n 's/^Load *: *//p')"

scale_down() { # <log>: rack a back to 1 (its StatefulSet says replicas 1), and the kubelet runs ring-a-1's hook
  echo 1 > "$work/api/ring-a"
  local t0=$SECONDS
  pre_stop 3 >"$1" 2>&1 &
  local hook_pid=$!
  leaving_at=""
  while kill -0 "$hook_pid" 2>/dev/null; do
    if [ -z "$leaving_at" ] && nt 1 status 2>/dev/null | grep -Eq '^UL +127\.0\.0\.3 '; then leaving_at=$((SECONDS - t0)); fi
    sleep 2
  done
  hook_rc=0; wait "$hook_pid" || hook_rc=$?
  hook_s=$((SECONDS - t0))
  echo "    ring-a-1's preStop output:"; sed 's/^/      /' "$1"
}
host_id() { nt 1 status 2>/dev/null | awk -v ip="$1" '$2 == ip { print $7 }'; }

# 1. As Cassandra creates it, system_distributed has RF 3 (SimpleStrategy): with 3 nodes, Cassandra
#    refuses the decommission. The hook then drains, and the node stays in the ring, down.
id3="$(host_id 127.0.0.3)"
scale_down "$work/prestop3-refused.log"
if [ "$hook_rc" = 0 ] && grep -q 'Not enough live nodes to maintain replication factor in keyspace system_distributed' "$work/prestop3-refused.log" \
   && grep -q '^preStop: drained' "$work/prestop3-refused.log" && [ ! -e "$work/node3/data/.decommissioned" ] \
   && nt 3 netstats 2>/dev/null | grep -q '^Mode: DRAINED'; then
  pass "scale-down refused by Cassandra (system_distributed RF 3 on 3 nodes): the hook drained the node, left no mark, in ${hook_s} s"
else
  fail "scale-down with system_distributed at RF 3: the hook did not fall back to the drain"
fi
stop_daemon "${node_pids[3]}"   # the kubelet's SIGTERM once the hook has returned
seen_down=""
for _ in $(seq 1 20); do
  if nt 1 status 2>/dev/null | grep -Eq '^DN +127\.0\.0\.3 '; then seen_down=yes; break; fi
  sleep 3
done
if [ -n "$seen_down" ]; then
  pass "the node whose decommission failed stays in the ring as DN (the case docs/engines/cassandra.md describes)"
else
  fail "127.0.0.3 is not DN after the failed decommission"; nt 1 status
fi
# Recovery as documented: scale back up (the pod returns with its data, the same node), fix the
# cause, scale down again.
echo 2 > "$work/api/ring-a"
t0=$SECONDS
start_node 3 "$work/grown"
wait_node 3
if [ "$(host_id 127.0.0.3)" = "$id3" ] && nt 1 status 2>/dev/null | grep -Eq '^UN +127\.0\.0\.3 '; then
  pass "recovery: scaled back up, ring-a-1 rejoined with its data as the same node (host ID $id3) in $((SECONDS - t0)) s"
else
  fail "recovery: 127.0.0.3 did not come back as host $id3"; nt 1 status
fi
if out="$(check 127.0.0.1 dc1 2 ALL system 0 2>&1)" && [ "$(grep -c '^altered=' <<<"$out")" = 3 ]; then
  pass "system_auth, system_distributed and system_traces set to NetworkTopologyStrategy dc1: 2 (the ring's replication factor)"
else
  fail "altering the system keyspaces"; echo "$out" | tail -20
fi

# 2. Scaled down again: the hook decommissions the node.
load3="$(nt 3 info 2>/dev/null | sed -n 's/^Load *: *//p')"
scale_down "$work/prestop3.log"
if [ "$hook_rc" = 0 ] && grep -q 'scale-down check: scaled-away: pod ring-a-1: ordinal 1 >= spec.replicas 1 of StatefulSet ring-a' "$work/prestop3.log" \
   && grep -q 'decommissioned in' "$work/prestop3.log" && [ -f "$work/node3/data/.decommissioned" ] \
   && grep -q '^/apis/apps/v1/namespaces/db/statefulsets/ring-a/scale authorized=True$' "$work/api/requests.log"; then
  pass "scale-down: ring-a-1's preStop read its StatefulSet's scale with its token (replicas 1), decommissioned the node (load ${load3:-?}) and marked its volume, in ${hook_s} s"
else
  fail "scale-down: ring-a-1's preStop (exit $hook_rc)"; cat "$work/api/requests.log" 2>/dev/null
fi
if [ -n "$leaving_at" ]; then
  pass "scale-down: nodetool status showed 127.0.0.3 UL (leaving) ${leaving_at} s after the hook started"
else
  fail "scale-down: 127.0.0.3 was never seen UL (leaving)"
fi
status="$(nt 1 status 2>&1 || true)"
if ! grep -q '127\.0\.0\.3' <<<"$status" && [ "$(grep -cE '^UN ' <<<"$status")" = 2 ]; then
  pass "scale-down: 127.0.0.3 is gone from the ring; nodetool status: 2 nodes UN"
else
  fail "scale-down: 127.0.0.3 is still in the ring"; echo "$status"
fi
stop_daemon "${node_pids[3]}"   # the kubelet's SIGTERM once the hook has returned
if out="$(check 127.0.0.1 dc1 2 ALL verify "$rows" 2>&1)" && grep -q "^rows=$rows/$rows$" <<<"$out"; then
  pass "after the scale-down every row is still read at ALL: $(grep '^rows=' <<<"$out")"
else
  fail "reading the rows at ALL after the scale-down"; echo "$out" | tail -20
fi
echo "    times: bootstrap ${bootstrap_s} s, decommission hook ${hook_s} s (UL after ${leaving_at:-?} s) for ${load3:-?} on the leaving node"
if out="$(prepare 3 "$work/grown" 2>&1)" && grep -q 'belongs to a node that decommissioned itself' <<<"$out" \
   && [ ! -e "$work/node3/data/.decommissioned" ] && [ ! -e "$work/node3/data/data" ] && [ ! -e "$work/node3/data/commitlog" ]; then
  pass "scaled up again later: prepare-config.sh clears the decommissioned node's volume, so that it bootstraps as a new node"
else
  fail "prepare-config.sh on the decommissioned node's volume: $out"
fi

# preStop on rack b's node, whose StatefulSet keeps replicas 1: a restart, drained, not Ready, and
# seen down by its peer; reads at ONE go on.
if pre_stop 2 >"$work/drain.log" 2>&1 && grep -q 'scale-down check: restart: pod ring-b-0: ordinal 0 < spec.replicas 1' "$work/drain.log" \
   && grep -q '^preStop: drained' "$work/drain.log" && nt 2 netstats 2>/dev/null | grep -q '^Mode: DRAINED'; then
  pass "node 2: pre-stop.sh (preStop) found ring-b keeps its replicas, so a restart: it left the node DRAINED, not decommissioned"
else
  fail "node 2: pre-stop.sh did not drain the node"; cat "$work/drain.log"
fi
if out="$(ready 2 2>&1)"; then
  fail "node 2: ready.sh still reports Ready after the drain"
else
  pass "node 2: ready.sh not Ready once drained ($out)"
fi
seen_down=""
for _ in $(seq 1 20); do
  if nt 1 status 2>/dev/null | grep -Eq '^DN +127\.0\.0\.2 '; then seen_down=yes; break; fi
  sleep 3
done
if [ -n "$seen_down" ] && ready 1 >/dev/null 2>&1; then
  pass "node 1 sees node 2 down (DN) and stays Ready"
else
  fail "node 1 does not see the drained node 2 down, or is not Ready"
fi
# A new login and its permission checks, with one of system_auth's 2 replicas down: the rendered
# auth_read_consistency_level LOCAL_ONE (Cassandra's LOCAL_QUORUM would need both) keeps them going.
if grep -q '^auth_read_consistency_level: LOCAL_ONE$' "$work/ring/config/cassandra.yaml" \
   && out="$(check 127.0.0.1 dc1 2 ONE 2>&1)" && grep -q '^value=ring$' <<<"$out"; then
  pass "with rack b down (one of system_auth's 2 replicas), a new login as admin writes and reads at ONE through rack a"
else
  fail "CQL at ONE with rack b down"; grep -v '^\s*at \|DEBUG' <<<"$out" | tail -20
fi

for pid in "${daemon_pids[@]}"; do stop_daemon "$pid"; done
if out="$(NODETOOL_TIMEOUT=60 ready 1 2>&1)"; then
  fail "ready.sh reports Ready with no node running"
else
  pass "ready.sh: not Ready when nodetool cannot reach the node"
fi

# --- 3. the 4.x configurations through their own loaders ---------------------------------------
cat > "$work/LoadConfig.java" <<'JAVA'
import org.apache.cassandra.config.DatabaseDescriptor;
import org.apache.cassandra.locator.DynamicEndpointSnitch;
import org.apache.cassandra.locator.IEndpointSnitch;
public class LoadConfig {
  public static void main(String[] args) {
    DatabaseDescriptor.daemonInitialization();
    IEndpointSnitch snitch = DatabaseDescriptor.getEndpointSnitch();
    if (snitch instanceof DynamicEndpointSnitch) { snitch = ((DynamicEndpointSnitch) snitch).subsnitch; }
    System.out.println("cluster=" + DatabaseDescriptor.getClusterName()
        + " tokens=" + DatabaseDescriptor.getNumTokens()
        + " snitch=" + snitch.getClass().getSimpleName()
        + " dc=" + DatabaseDescriptor.getLocalDataCenter()
        + " seeds=" + DatabaseDescriptor.getSeeds()
        + " authenticator=" + DatabaseDescriptor.getAuthenticator().getClass().getSimpleName()
        + " authorizer=" + DatabaseDescriptor.getAuthorizer().getClass().getSimpleName()
        + " internode_encryption=" + DatabaseDescriptor.getRawConfig().server_encryption_options.internode_encryption);
  }
}
JAVA
for spec in "${versions[@]:1}"; do
  full="${spec%%:*}"; major="${spec##*:}"
  vlib="$(fetch "$full")"
  dir="$work/v$major"
  mkdir -p "$dir/conf" "$dir/rendered"
  # 4.0 cannot read PEM files: the construct refuses tls for it (unit tests), so it is rendered without.
  tls_on=yes; [ "$major" = 4.0 ] && tls_on=no
  RENDER_TLS="$tls_on" render "$full" "$major" "$dir/render"
  sed -e "s#/var/lib/cassandra#$dir/data#g" -e 's#seeds: "[^"]*"#seeds: "127.0.0.1"#' -e "s#/var/run/cassandra-tls/#$dir/tls-store/#g" \
      "$dir/render/config/cassandra.yaml" > "$dir/rendered/cassandra.yaml"
  if [ "$tls_on" = yes ]; then
    sed -i "s#/etc/tls/#$tls/#g" "$dir/render/scripts/tls.sh"
    TLS_STORE_DIR="$dir/tls-store" sh "$dir/render/scripts/tls.sh" >/dev/null
  fi
  cp "$dir"/render/config/rackdc-*.properties "$dir/rendered/"
  SOURCE_CONF="$work/image-conf" RENDERED_CONF="$dir/rendered" TARGET_CONF="$dir/conf" \
    POD_IP=127.0.0.1 CASSANDRA_RACK=rack1 sh "$dir/render/scripts/prepare-config.sh" >/dev/null
  if out="$(java "${module_opts[@]}" -Dcassandra.storagedir="$dir/data" -Dcassandra.logdir="$work/logs" \
        -cp "$dir/conf:$vlib/*" "$work/LoadConfig.java" 2>&1)" \
     && grep -q 'cluster=ring tokens=16 snitch=GossipingPropertyFileSnitch dc=dc1 seeds=\[/127.0.0.1:7000\] authenticator=PasswordAuthenticator authorizer=CassandraAuthorizer' <<<"$out" \
     && { [ "$tls_on" = no ] || grep -q 'internode_encryption=all' <<<"$out"; }; then
    pass "Cassandra $full's configuration loader accepts the rendered cassandra.yaml ($(grep '^cluster=' <<<"$out"))"
  else
    fail "Cassandra $full's configuration loader"; echo "$out" | tail -20
  fi
done

echo "$passes passed, $failures failed, in ${SECONDS} s"
[ "$failures" -eq 0 ]
