#!/usr/bin/env bash
# Kafka for real, on loopback: the server.properties and the start script that the library renders
# (taken from the synthesized ConfigMaps by render.ts) boot a KRaft cluster of the broker jars from
# Maven Central, in both topologies:
#   combined:  3 broker+controller nodes (the default of the construct)
#   dedicated: 3 brokers and 3 dedicated controllers (`controllers: 3`)
# In each, a topic with replication factor 3 takes acks=all writes; a broker is killed (and, with
# dedicated controllers, a controller too), writes go on, every acknowledged record is read back, and
# the killed broker comes back on its formatted storage (the format step is a no-op) and rejoins the
# ISR. Last, a node on storage of another cluster id must refuse to start.
# Scaling (combined topology, 3 voters, in the same run): the construct rendered with 5 brokers must
# render the same ConfigMaps and environment as with 3 (nothing rolls, the quorum stays); brokers
# kafka-3 and kafka-4 start from the rendered start.sh as brokers only and join as observers (the
# quorum tool shows 3 voters); a topic placed on them takes acks=all writes; the rendered stop hook
# of a scaled-away broker that still holds replicas waits (bounded) and fails naming them; then
# scaled back to 3 through the library's path: the rendered drain Job's command (drainBrokers: 3,4)
# moves every replica off them while a producer keeps writing, the rendered stop hook (its API check
# answered by a stand-in curl: spec.replicas 3) lets them go, and every acknowledged record is read
# back with no offline or under-replicated partition. It prints the counts and the times.
# The construct is rendered with `metrics: true`, so every node runs the Prometheus JMX exporter
# javaagent (Maven Central's jmx_prometheus_javaagent, the release the default agent image carries)
# from the rendered KAFKA_OPTS and rules file, in the same start as the checks above; each node's
# /metrics must serve the series docs/engines/kafka.md names (it prints how many series each served
# and which were found), and exactly one controller must report itself active.
#
# TLS and authentication (issue 12), in the same starts: the combined topology is rendered with `tls`
# (a Secret kafka-tls) and the default authentication, the dedicated one with the default
# authentication only. The test's "Secret" holds passwords made the way the generator Job makes them,
# and, for TLS, openssl-made PEM files: a CA and one certificate for every node (as the cert-manager
# Certificate is one for all pods) whose SANs are exactly the names of the Certificate the construct
# writes (OUT/cert-names), with a PKCS#8 key. The pods' DNS names resolve to 127.0.0.1 through a
# hosts file given to every JVM (-Djdk.net.hosts.file), so that hostname verification checks the
# names the brokers advertise. Every client (the checks, the admin tools, the drain) authenticates
# with the client.properties the rendered start script writes. Shown: producing and consuming over
# SASL_SSL (SASL_PLAINTEXT without TLS) with replication over it and the controller listener on
# mutual TLS (SASL/PLAIN without TLS); clients refused: without credentials, with a wrong password,
# in plaintext, and a controller-listener client without a certificate; a renewed certificate
# picked up by the running brokers (tls_watch and the rendered reload); a PKCS#1 key refused at start.
#
# What differs from a pod, and only that: the image's bin/kafka-storage.sh and
# bin/kafka-server-start.sh are shims that run the same main classes from the jars, and they map the
# pods' DNS names and ports to 127.0.0.1 with distinct ports and /var/lib/kafka/data to a directory per
# node (each node's diff is printed into its log). Nothing else in server.properties changes. In
# KAFKA_OPTS only the agent jar's path, the rules' directory and the port change, and the agent
# listens on 127.0.0.1. With TLS, the pod's paths /etc/tls (the Secret's mount) and
# /etc/kafka/runtime (the emptyDir of the keystore) are mapped to directories of the test in the
# start script and each node's copy of the templates; the names keep their DNS form (only the ports
# are mapped), and the TLS reload reaches the broker at localhost:<its port> (KAFKA_LOCAL_BOOTSTRAP).
#
# Env: KAFKA_VERSION (default: the library's default version), JMX_EXPORTER_VERSION (default 1.0.1,
# the agent of JmxExporterAgent.DEFAULT_IMAGE), KAFKA_IT_TOPOLOGIES (default
# "combined dedicated"), KAFKA_IT_TLS_TOPOLOGIES (default "combined": those rendered with `tls`),
# KAFKA_IT_PORT_BASE (default 24090: below the ephemeral port range, where an
# outgoing connection could take a port before a broker binds it), CDK8S_STATEFUL_CACHE (default
# ~/.cache/cdk8s-stateful), KEEP_WORK=1 keeps the logs. Prints PASS/FAIL lines and a summary line.
# shellcheck disable=SC2030,SC2031 # nodes, hooks and the drain run in subshells with their own environment, on purpose
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
VERSION="${KAFKA_VERSION:-4.4.0}"
TOPOLOGIES="${KAFKA_IT_TOPOLOGIES:-combined dedicated}"
TLS_TOPOLOGIES="${KAFKA_IT_TLS_TOPOLOGIES:-combined}"
PORT_BASE="${KAFKA_IT_PORT_BASE:-24090}"
CACHE="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/kafka-$VERSION"
LIB="$CACHE/lib"
TOOLS="$CACHE/tools"
AGENT_VERSION="${JMX_EXPORTER_VERSION:-1.0.1}"
AGENT_DIR="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/jmx-exporter-$AGENT_VERSION"
AGENT_JAR="$AGENT_DIR/jmx_prometheus_javaagent-$AGENT_VERSION.jar"
WORK_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/kafka-it.XXXXXX")"
WORK=""
TOPIC=it-events
BROKERS=3
CONTROLLERS=0
TLS=0
TLS_DIR=""
declare -A PIDS=()
passed=0
failed=0

pass() { echo "PASS: [$topology] $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: [$topology] $*"; failed=$((failed + 1)); }
log() { echo "--- $*"; }

stop_node() { # stop_node NODE SIGNAL: the server, then what else its start left (the certificate watcher)
  local pid="${PIDS[$1]:-}"
  [ -n "$pid" ] || return 0
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Each node runs in its own session (setsid in start_node): its process group is its pod.
  kill -KILL -- "-$pid" 2>/dev/null || true
  PIDS[$1]=""
}

stop_all() {
  local node
  for node in "${!PIDS[@]}"; do stop_node "$node" TERM; done
}

show_logs() {
  local f
  for f in "$WORK"/*/server.log; do
    [ -f "$f" ] || continue
    echo "=== last lines of $f ==="
    tail -n 30 "$f" || true
  done
}

cleanup() {
  stop_all
  if [ "${KEEP_WORK:-}" = 1 ]; then echo "work directory kept: $WORK_ROOT"; else rm -rf "$WORK_ROOT"; fi
}
trap cleanup EXIT

# --- tools -------------------------------------------------------------------------------------
need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v curl >/dev/null || need_apt+=(curl)
if [ "${#need_apt[@]}" -gt 0 ]; then
  log "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- the broker jars ---------------------------------------------------------------------------
if [ ! -f "$LIB/.complete" ]; then
  log "fetching kafka_2.13 $VERSION and its runtime dependencies into $LIB"
  rm -rf "$LIB"
  timeout 900 mvn -q -B -f "$HERE/pom.xml" -Dkafka.version="$VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB"
  touch "$LIB/.complete"
fi

# --- the image's admin tools (kafka-topics, kafka-reassign-partitions, kafka-metadata-quorum) --
# The kafka-tools jar only: its own dependencies are the broker's (the Connect ones serve other tools).
if ! ls "$TOOLS"/kafka-tools-"$VERSION".jar >/dev/null 2>&1; then
  log "fetching kafka-tools $VERSION into $TOOLS"
  mkdir -p "$TOOLS"
  timeout 600 mvn -q -B dependency:copy -Dartifact="org.apache.kafka:kafka-tools:$VERSION" -DoutputDirectory="$TOOLS"
fi

# --- the JMX exporter's javaagent, pinned, cached like the broker jars -------------------------
if [ ! -f "$AGENT_JAR" ]; then
  log "fetching jmx_prometheus_javaagent $AGENT_VERSION into $AGENT_DIR"
  mkdir -p "$AGENT_DIR"
  timeout 600 mvn -q -B dependency:copy -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$AGENT_VERSION" \
    -DoutputDirectory="$AGENT_DIR"
fi
[ -f "$AGENT_JAR" ] || { echo "FAIL: no $AGENT_JAR after the download"; exit 1; }

# --- shims for the image's bin/ scripts --------------------------------------------------------
SHIMS="$WORK_ROOT/kafka-home/bin"
mkdir -p "$SHIMS"
cat > "$SHIMS/map-config" <<'EOF'
#!/usr/bin/env bash
# map-config IN OUT: the pod's config with DNS names, ports and the data mount mapped to this machine.
# hosts.sed maps every pod's DNS name and port; this node's own listeners and data come from IT_*.
set -euo pipefail
sed -f "$IT_WORK/hosts.sed" \
  -e "s#BROKER://:9092#BROKER://127.0.0.1:$IT_BROKER_PORT#" \
  -e "s#CONTROLLER://:9093#CONTROLLER://127.0.0.1:$IT_CONTROLLER_PORT#" \
  -e "s#CLIENT_PLAINTEXT://:9094#CLIENT_PLAINTEXT://127.0.0.1:$((IT_BROKER_PORT + 2))#" \
  -e "s#/var/lib/kafka/data#$IT_DATA#g" \
  "$1" > "$2"
if grep -nE ':909[234]\b|/var/lib/kafka|/etc/tls|/etc/kafka/runtime' "$2" \
   || { [ "${IT_TLS:-0}" = 0 ] && grep -nE 'svc\.cluster\.local' "$2"; }; then
  echo "map-config: the lines above were not mapped" >&2
  exit 1
fi
EOF
cat > "$SHIMS/map-opts" <<'EOF'
#!/usr/bin/env bash
# map-opts: the rendered KAFKA_OPTS with the agent's jar, rules directory and port mapped to this
# machine, listening on 127.0.0.1 only. Refuses options without an agent, or that it cannot map.
set -euo pipefail
opts="$(printf '%s' "${KAFKA_OPTS:-}" | sed \
  -e "s#-javaagent:/opt/jmx-exporter/jmx_prometheus_javaagent.jar=9404:/etc/kafka/template/#-javaagent:$IT_AGENT_JAR=127.0.0.1:$IT_METRICS_PORT:$IT_RULES_DIR/#")"
case "$opts" in
  *"-javaagent:$IT_AGENT_JAR=127.0.0.1:"*) ;;
  *) echo "map-opts: no JMX exporter agent to map in KAFKA_OPTS '${KAFKA_OPTS:-}'" >&2; exit 1 ;;
esac
if printf '%s' "$opts" | grep -E '/opt/jmx-exporter|/etc/kafka|=9404:' >&2; then
  echo "map-opts: the options above were not mapped" >&2
  exit 1
fi
printf '%s\n' "$opts"
EOF
cat > "$SHIMS/kafka-storage.sh" <<'EOF'
#!/usr/bin/env bash
# Stands in for the image's kafka-storage.sh: the same main class, with the config mapped.
set -euo pipefail
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = --config ] || [ "$1" = -c ]; then
    "$(dirname "$0")/map-config" "$2" "$2.mapped"
    args+=("$1" "$2.mapped"); shift 2
  else
    args+=("$1"); shift
  fi
done
# The image's script runs through kafka-run-class.sh, so the first start's format gets KAFKA_OPTS too.
opts="$("$(dirname "$0")/map-opts")"
# shellcheck disable=SC2086 # KAFKA_OPTS is a list of options, as in kafka-run-class.sh
exec java $opts "$IT_JAVA_OPTS" -cp "$IT_LIB/*" kafka.tools.StorageTool "${args[@]}"
EOF
cat > "$SHIMS/kafka-server-start.sh" <<'EOF'
#!/usr/bin/env bash
# Stands in for the image's kafka-server-start.sh: the same main class, with the config mapped.
set -euo pipefail
"$(dirname "$0")/map-config" "$1" "$1.mapped"
echo "--- server.properties as run here (diff against the rendered one):"
diff "$1" "$1.mapped" || true
opts="$("$(dirname "$0")/map-opts")"
echo "--- KAFKA_OPTS as run here: $opts"
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS and KAFKA_OPTS are lists of options, as in kafka-run-class.sh
exec java $KAFKA_HEAP_OPTS "$IT_JAVA_OPTS" -Dorg.slf4j.simpleLogger.showDateTime=true \
  -cp "$IT_LIB/*" $opts kafka.Kafka "$1.mapped"
EOF
for tool in kafka-topics.sh:org.apache.kafka.tools.TopicCommand \
    kafka-reassign-partitions.sh:org.apache.kafka.tools.reassign.ReassignPartitionsCommand \
    kafka-metadata-quorum.sh:org.apache.kafka.tools.MetadataQuorumCommand \
    kafka-configs.sh:org.apache.kafka.tools.ConfigCommand; do
  cat > "$SHIMS/${tool%%:*}" <<EOF
#!/usr/bin/env bash
# Stands in for the image's ${tool%%:*}: the same main class (the tools jar and the broker's jars).
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of options, as in kafka-run-class.sh
exec java \${KAFKA_HEAP_OPTS:-} "\$IT_JAVA_OPTS" -cp "\$IT_TOOLS/*:\$IT_LIB/*" ${tool#*:} "\$@"
EOF
done
# The API server's answer to the stop hook's scale-down check: a Scale of IT_REPLICAS, written where
# curl's -o says, HTTP 200 printed for -w. It records the URL it was asked for.
mkdir -p "$WORK_ROOT/fake-api/bin" "$WORK_ROOT/fake-api/sa"
cat > "$WORK_ROOT/fake-api/bin/curl" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
out=/dev/stdout
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    https://*) echo "$1" >> "$IT_FAKE_API/requests"; shift ;;
    *) shift ;;
  esac
done
printf '{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"kafka","namespace":"db"},"spec":{"replicas":%s},"status":{"replicas":5}}\n' "$IT_REPLICAS" > "$out"
printf '200'
EOF
echo token > "$WORK_ROOT/fake-api/sa/token"
echo db > "$WORK_ROOT/fake-api/sa/namespace"
echo ca > "$WORK_ROOT/fake-api/sa/ca.crt"
chmod +x "$SHIMS/"* "$WORK_ROOT/fake-api/bin/curl"
export IT_TOOLS="$TOOLS" IT_LIB="$LIB" IT_FAKE_API="$WORK_ROOT/fake-api"
# Every JVM resolves the pods' DNS names through this file (written per topology).
export IT_HOSTS="$WORK_ROOT/hosts"
export IT_JAVA_OPTS="-Djdk.net.hosts.file=$IT_HOSTS"
: > "$IT_HOSTS"

# --- the credentials Secret: passwords made as the generator Job makes them --------------------
SECRET="$WORK_ROOT/secret"
mkdir -p "$SECRET"
for key in password inter-broker-password controller-password; do
  head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 > "$SECRET/$key"
done
wrong_password="$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
topology=setup
if shellcheck "$SHIMS/"*; then pass "the test shims pass shellcheck"; else fail "the test shims have shellcheck findings"; fi

# --- nodes -------------------------------------------------------------------------------------
# A node is b<i> (pod kafka-<i>) or c<i> (pod kafka-controller-<i>). Ports: broker i listens on
# BASE+10i (broker) and BASE+10i+1 (controller, combined mode); controller i on BASE+100+10i+1.
broker_port() { echo $((PORT_BASE + 10 * $1)); }
controller_port() { # controller_port NODE
  case "$1" in
    b*) echo $((PORT_BASE + 10 * ${1#b} + 1)) ;;
    c*) echo $((PORT_BASE + 100 + 10 * ${1#c} + 1)) ;;
  esac
}
metrics_port() { # metrics_port NODE: the JMX exporter's port (9404 in the pods)
  case "$1" in
    b*) echo $((PORT_BASE + 10 * ${1#b} + 4)) ;;
    c*) echo $((PORT_BASE + 100 + 10 * ${1#c} + 4)) ;;
  esac
}
pod_of() { case "$1" in b*) echo "kafka-${1#b}" ;; c*) echo "kafka-controller-${1#c}" ;; esac; }
set_of() { case "$1" in b*) echo broker ;; c*) echo controller ;; esac; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
choose_ports() {
  local _ i busy
  for _ in $(seq 1 20); do
    busy=0
    for i in $(seq 0 4); do
      for p in $((PORT_BASE + 10 * i)) $((PORT_BASE + 10 * i + 1)) $((PORT_BASE + 100 + 10 * i + 1)) \
               $((PORT_BASE + 10 * i + 4)) $((PORT_BASE + 100 + 10 * i + 4)); do
        if port_in_use "$p"; then busy=1; fi
      done
    done
    [ "$busy" = 0 ] && return 0
    PORT_BASE=$((PORT_BASE + 200))
  done
  echo "no free ports found" >&2
  return 1
}

pod_host() { # pod_host NODE: its DNS name
  case "$1" in
    b*) echo "kafka-${1#b}.kafka-headless.db.svc.cluster.local" ;;
    c*) echo "kafka-controller-${1#c}.kafka-controller-headless.db.svc.cluster.local" ;;
  esac
}

write_hosts_sed() {
  local j host
  : > "$WORK/hosts.sed"
  map() { # map NODE PORT NEW_PORT: with TLS the name stays (the hosts file resolves it), else 127.0.0.1
    host="$(pod_host "$1")"
    if [ "$TLS" = 1 ]; then
      echo "s#${host//./\\.}:$2#$host:$3#g" >> "$WORK/hosts.sed"
      echo "127.0.0.1 $host" >> "$IT_HOSTS.tmp"
    else
      echo "s#${host//./\\.}:$2#127.0.0.1:$3#g" >> "$WORK/hosts.sed"
    fi
  }
  # Replaced whole (mv), never truncated: running JVMs read it on every lookup.
  echo "127.0.0.1 localhost" > "$IT_HOSTS.tmp"
  for j in $(seq 0 $((BROKERS - 1))); do
    map "b$j" 9092 "$(broker_port "$j")"
    map "b$j" 9093 "$(controller_port "b$j")"
    map "b$j" 9094 $(($(broker_port "$j") + 2))
  done
  for j in $(seq 0 $((CONTROLLERS - 1))); do
    map "c$j" 9093 "$(controller_port "c$j")"
  done
  mv "$IT_HOSTS.tmp" "$IT_HOSTS"
}

start_node() { # start_node NODE: runs the rendered start script as the node's pod would
  local node="$1" set
  set="$(set_of "$node")"
  mkdir -p "$WORK/$node"
  (
    set -a
    # shellcheck disable=SC1090
    . "$WORK/rendered/$set/env"
    set +a
    if [ -n "${IT_CLUSTER_ID:-}" ]; then export KAFKA_CLUSTER_ID="$IT_CLUSTER_ID"; fi
    # The kubelet's part: the variables from the credentials Secret.
    while IFS='=' read -r name key; do
      [ -n "$name" ] && export "$name=$(cat "$SECRET/$key")"
    done < "$WORK/rendered/$set/secret-env"
    POD_NAME="$(pod_of "$node")"
    export POD_NAME
    # Each node's copy of the templates, with the keystore's emptyDir and the Secret's mount mapped.
    local tls_dir="${IT_TLS_DIR:-$TLS_DIR}"
    mkdir -p "$WORK/$node/template" "$WORK/$node/runtime"
    for f in "$WORK/rendered/$set/"*.properties; do
      sed -e "s#/etc/kafka/runtime/#$WORK/$node/runtime/#g" -e "s#/etc/tls/#$tls_dir/#g" "$f" > "$WORK/$node/template/${f##*/}"
    done
    sed -e "s#/etc/tls/#$tls_dir/#g" "$WORK/rendered/start.sh" > "$WORK/$node/start.sh"
    [ "$TLS" = 1 ] && export KAFKA_CA_FILE="$tls_dir/ca.crt"
    export KAFKA_CONFIG_TEMPLATE="$WORK/$node/template/server.properties"
    export KAFKA_CONFIG="$WORK/$node/runtime/server.properties"
    export KAFKA_HOME="$WORK_ROOT/kafka-home"
    # Several JVMs share this machine with other work: a smaller heap than the rendered one.
    export KAFKA_HEAP_OPTS="-Xms128m -Xmx384m"
    export IT_WORK="$WORK" IT_LIB="$LIB" IT_DATA="$WORK/$node/data" IT_TLS="$TLS"
    KAFKA_LOCAL_BOOTSTRAP="localhost:$(broker_port "${node#?}")" KAFKA_LOCAL_CONTROLLER="localhost:$(controller_port "$node")"
    export KAFKA_LOCAL_BOOTSTRAP KAFKA_LOCAL_CONTROLLER TLS_WATCH_SECONDS=2
    IT_BROKER_PORT="$(broker_port "${node#?}")" IT_CONTROLLER_PORT="$(controller_port "$node")"
    export IT_BROKER_PORT IT_CONTROLLER_PORT
    IT_METRICS_PORT="$(metrics_port "$node")"
    export IT_METRICS_PORT IT_AGENT_JAR="$AGENT_JAR" IT_RULES_DIR="$WORK/rendered/$set"
    # Its own session, so that stop_node ends the background certificate watcher with it, as a pod's end would.
    exec setsid sh "$WORK/$node/start.sh"
  ) >> "$WORK/$node/server.log" 2>&1 &
  PIDS[$node]=$!
}

# The series docs/engines/kafka.md names, by the role of the node that serves them.
BROKER_SERIES=(
  kafka_server_replicamanager_underreplicatedpartitions
  kafka_server_replicamanager_underminisrpartitioncount
  kafka_server_replicamanager_atminisrpartitioncount
  kafka_server_replicamanager_offlinereplicacount
  kafka_server_replicamanager_partitioncount
  kafka_server_replicamanager_leadercount
  kafka_server_replicamanager_isrshrinks_total
  kafka_server_replicamanager_isrexpands_total
  kafka_server_brokertopicmetrics_messagesin_total
  kafka_server_brokertopicmetrics_bytesin_total
  kafka_server_brokertopicmetrics_bytesout_total
  kafka_server_brokertopicmetrics_bytesrejected_total
  kafka_server_brokertopicmetrics_failedproducerequests_total
  kafka_server_brokertopicmetrics_failedfetchrequests_total
  kafka_server_brokertopicmetrics_totalproducerequests_total
  kafka_server_brokertopicmetrics_totalfetchrequests_total
  kafka_network_requestmetrics_requests_total
  kafka_network_requestmetrics_totaltime_seconds
  kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent
  kafka_network_socketserver_networkprocessoravgidlepercent
  kafka_server_replicafetchermanager_maxlag
  kafka_server_kafkaserver_brokerstate
)
CONTROLLER_SERIES=(
  kafka_controller_kafkacontroller_activecontrollercount
  kafka_controller_kafkacontroller_offlinepartitionscount
  kafka_controller_kafkacontroller_globalpartitioncount
  kafka_controller_kafkacontroller_globaltopiccount
  kafka_controller_kafkacontroller_activebrokercount
  kafka_controller_kafkacontroller_fencedbrokercount
  kafka_controller_kafkacontroller_preferredreplicaimbalancecount
  kafka_controller_controllerstats_uncleanleaderelections_total
  kafka_server_raftmetrics_current_leader
  kafka_server_raftmetrics_current_epoch
  kafka_server_raftmetrics_high_watermark
  kafka_server_raftmetrics_log_end_offset
  kafka_server_raftmetrics_commit_latency_avg
  kafka_server_raftmetrics_commit_latency_max
)
JVM_SERIES=(jvm_memory_used_bytes jvm_threads_current process_cpu_seconds_total)

check_metrics() { # check_metrics NODE...: every node's /metrics serves the series of its role
  local node port out want found missing series total=0 active=0 value
  for node in "$@"; do
    port="$(metrics_port "$node")" out="$WORK/$node/metrics.txt"
    case "$node$CONTROLLERS" in
      b*0) want=("${BROKER_SERIES[@]}" "${CONTROLLER_SERIES[@]}" "${JVM_SERIES[@]}") ;;
      b*) want=("${BROKER_SERIES[@]}" "${JVM_SERIES[@]}") ;;
      c*) want=("${CONTROLLER_SERIES[@]}" "${JVM_SERIES[@]}") ;;
    esac
    if ! curl -fsS --max-time 30 "http://127.0.0.1:$port/metrics" -o "$out"; then
      fail "$(pod_of "$node"): no /metrics on 127.0.0.1:$port"; continue
    fi
    found=() missing=()
    for series in "${want[@]}"; do
      if grep -qE "^$series(\{| )" "$out"; then found+=("$series"); else missing+=("$series"); fi
    done
    series="$(grep -cvE '^(#|$)' "$out")"
    total=$((total + series))
    echo "    $(pod_of "$node"): $series series; ${#found[@]} of ${#want[@]} named ones found: ${found[*]}"
    if [ "${#missing[@]}" -eq 0 ]; then
      pass "$(pod_of "$node") serves the ${#want[@]} series docs/engines/kafka.md names for its role ($series series in all)"
    else
      fail "$(pod_of "$node") lacks ${missing[*]}"
      grep -oE '^kafka_[a-z_]+' "$out" | sort -u | sed 's/^/      has: /'
    fi
    value="$(sed -n 's/^kafka_controller_kafkacontroller_activecontrollercount \([0-9.]*\)$/\1/p' "$out")"
    [ "${value%.*}" = 1 ] && active=$((active + 1))
  done
  if [ "$active" = 1 ]; then
    pass "exactly one controller reports kafka_controller_kafkacontroller_activecontrollercount 1 ($total series over $# nodes)"
  else
    fail "$active controllers report themselves active"
  fi
}

# The checks authenticate with the client.properties the rendered start script wrote on kafka-0.
check() { IT_CLIENT_CONFIG="$WORK/b0/runtime/client.properties" timeout 300 java "$IT_JAVA_OPTS" -cp "$LIB/*" "$HERE/Check.java" "$@" 2>>"$WORK/client.log"; }

render() { # render DIR BROKERS [DRAIN]: the construct (combined, 3 voters by default) into DIR
  (cd "$ROOT" && KAFKA_IT_TLS="$TLS" CDK8S_STATEFUL_QUIET=1 timeout 300 node -r ts-node/register/transpile-only \
    test/integration/kafka/render.ts "$1" "$VERSION" "$CONTROLLERS" "$2" "${3:-}")
}

run_prestop() { # run_prestop NODE REPLICAS WAIT: the rendered stop hook, as the kubelet runs it
  local node="$1"
  (
    set -a
    # shellcheck disable=SC1090,SC1091
    . "$WORK/rendered/broker/env"
    set +a
    POD_NAME="$(pod_of "$node")"
    export POD_NAME
    export KAFKA_CONFIG="$WORK/$node/runtime/server.properties.mapped"
    export KAFKA_PRESTOP_WAIT_SECONDS="$3" KAFKA_PRESTOP_POLL_SECONDS=1
    export KAFKA_PRESTOP_LOG="$WORK/$node/server.log"
    export PATH="$IT_FAKE_API/bin:$PATH" IT_REPLICAS="$2"
    export KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=443
    export SCALE_DOWN_CHECK_SA_DIR="$IT_FAKE_API/sa" SCALE_DOWN_CHECK_CLIENT=curl
    exec sh "$WORK/rendered/prestop.sh"
  )
}

drain_env() { # the drain Job's environment: its literal variables, the Secret's, its CA mapped
  set -a
  # shellcheck disable=SC1090,SC1091
  . "$WORK/rendered-drain/drain-env"
  set +a
  while IFS='=' read -r name key; do
    [ -n "$name" ] && export "$name=$(cat "$SECRET/$key")"
  done < "$WORK/rendered-drain/drain-secret-env"
  if [ "$TLS" = 1 ]; then export KAFKA_CA_FILE="$TLS_DIR/ca.crt"; fi
}

# Scaling the combined topology: 3 -> 5 brokers, then back to 3 through drainBrokers and the stop hook.
scale_combined() {
  local bootstrap="$1" t0 t out status
  log "[$topology] scaling from 3 to 5 brokers"
  render "$WORK/rendered5" 5
  if diff -r "$WORK/rendered" "$WORK/rendered5" >/dev/null; then
    pass "brokers 3 -> 5 renders the same ConfigMaps, scripts and environment: the running pods do not roll, and controller.quorum.voters stays $(sed -n 's/^controller.quorum.voters=//p' "$WORK/rendered/broker/server.properties" | tr ',' '\n' | cut -d@ -f1 | paste -sd, -)"
  else
    fail "brokers 3 -> 5 changes the rendered pods"; diff -r "$WORK/rendered" "$WORK/rendered5" || true
  fi
  BROKERS=5
  write_hosts_sed
  t0=$SECONDS
  start_node b3
  start_node b4
  if check brokers "$bootstrap" - 5; then
    pass "kafka-3 and kafka-4 joined in $((SECONDS - t0)) s, started by the rendered start.sh"
  else
    fail "kafka-3 and kafka-4 did not join"; show_logs; return
  fi
  if grep -q '^process.roles=broker$' "$WORK/b3/runtime/server.properties" && grep -q '^process.roles=broker$' "$WORK/b4/runtime/server.properties" \
     && grep -q '^process.roles=broker,controller$' "$WORK/b0/runtime/server.properties" && grep -q 'ordinal 3 >= 3 voters: broker only' "$WORK/b3/server.log"; then
    pass "ordinals 3 and 4 run as brokers only (process.roles=broker), ordinals 0-2 stay broker,controller"
  else
    fail "the new ordinals did not start as brokers only"
  fi
  out="$(KAFKA_HEAP_OPTS=-Xmx128m timeout 120 "$WORK_ROOT/kafka-home/bin/kafka-metadata-quorum.sh" --bootstrap-server "$bootstrap" \
    --command-config "$WORK/b0/runtime/client.properties" describe --status 2>>"$WORK/client.log" || true)"
  while IFS= read -r line; do echo "    $line"; done <<< "$out"
  local voters observers
  voters="$(echo "$out" | sed -n 's/^CurrentVoters:[[:space:]]*//p' | grep -oE '"id": ?[0-9]+' | grep -oE '[0-9]+' | sort -n | paste -sd, -)"
  observers="$(echo "$out" | sed -n 's/^CurrentObservers:[[:space:]]*//p' | grep -oE '"id": ?[0-9]+' | grep -oE '[0-9]+' | sort -n | paste -sd, -)"
  if [ "$voters" = 0,1,2 ] && [[ ",$observers," == *,3,* ]] && [[ ",$observers," == *,4,* ]]; then
    pass "kafka-metadata-quorum describe --status: voters $voters (unchanged), observers $observers"
  else
    fail "quorum after scaling up: voters '$voters', observers '$observers'"
  fi
  local placed=it-scale acked_scale="$WORK/acked-scale.txt"
  : > "$acked_scale"
  if check create-placed "$bootstrap" "$placed" "3,4,0;4,3,1;3,4,2;4,0,3;3,1,4;4,2,3" \
     && check produce "$bootstrap" "$placed" 0 2000 "$acked_scale"; then
    pass "topic $placed with every partition on kafka-3 and kafka-4 has a full ISR and took $(wc -l < "$acked_scale") acks=all writes"
  else
    fail "a topic placed on the new brokers did not work"
  fi

  log "[$topology] the stop hook of kafka-4 before any drain (it holds replicas): spec.replicas 5, then 3 with a 4 s budget"
  t0=$SECONDS
  out="$(run_prestop b4 5 4)" && status=0 || status=$?
  if [ "$status" = 0 ] && [[ "$out" == *"restart, not a scale-down"* ]] && [ $((SECONDS - t0)) -le 3 ]; then
    pass "with spec.replicas 5 the stop hook of kafka-4 sees a restart and returns at once"
  else
    fail "the stop hook on a restart: status $status, '$out'"
  fi
  t0=$SECONDS
  out="$(run_prestop b4 3 4)" && status=0 || status=$?
  t=$((SECONDS - t0))
  echo "$out" | tail -n 2 | sed 's/^/    /'
  if [ "$status" = 1 ] && [[ "$out" == *"WARNING: kafka-4 is being scaled away while broker 4 still holds"* ]] && [ "$t" -ge 4 ] && [ "$t" -le 12 ]; then
    pass "a scaled-away broker that still holds replicas: the stop hook waited ${t} s (budget 4 s), then failed naming them"
  else
    fail "the stop hook of a broker with replicas: status $status after ${t} s"
  fi
  if grep -q 'statefulsets/kafka/scale' "$IT_FAKE_API/requests" && grep -q 'prestop: WARNING' "$WORK/b4/server.log"; then
    pass "the stop hook asked for /apis/apps/v1/namespaces/db/statefulsets/kafka/scale and wrote its warning into the server's log"
  else
    fail "the stop hook did not ask the API stand-in, or wrote nothing into the server's log"
  fi

  log "[$topology] scaling back to 3: drainBrokers 3,4 (the rendered drain Job), then brokers 3"
  render "$WORK/rendered-drain" 5 3,4
  if [ ! -f "$WORK/rendered-drain/drain-args" ]; then fail "no drain Job rendered"; return; fi
  local stop="$WORK/stop-producer" acked_live="$WORK/acked-live.txt" producer
  : > "$acked_live"
  rm -f "$stop"
  check produce-until "$bootstrap" "$placed" 100000 "$stop" "$acked_live" > "$WORK/producer.log" 2>&1 &
  producer=$!
  sleep 2
  local -a args
  mapfile -t args < <(sed -e "s#^kafka\.db\.svc\.cluster\.local:9092\$#$bootstrap#" "$WORK/rendered-drain/drain-args")
  echo "    the Job's command: ${args[*]}"
  t0=$SECONDS
  if (
    drain_env
    export KAFKA_HOME="$WORK_ROOT/kafka-home" DRAIN_POLL_SECONDS=2 KAFKA_HEAP_OPTS=-Xmx256m
    sh "$WORK/rendered-drain/drain.sh" "${args[@]:2}"
  ) > "$WORK/drain.log" 2>&1; then
    t=$((SECONDS - t0))
    grep '^drain:' "$WORK/drain.log" | sed 's/^/    /'
    pass "the rendered drain Job's script moved every replica off kafka-3 and kafka-4 in ${t} s while a producer kept writing"
  else
    fail "the drain failed"; cat "$WORK/drain.log"
  fi
  out="$(drain_env; KAFKA_HOME="$WORK_ROOT/kafka-home" KAFKA_HEAP_OPTS=-Xmx256m sh "$WORK/rendered-drain/drain.sh" "${args[@]:2}" 2>&1 | grep '^drain:' || true)"
  if [[ "$out" == *"no partition replica is left on brokers 3,4"*"0 moved"* ]]; then
    pass "a second run of the drain moves nothing: $out"
  else
    fail "a second drain: '$out'"
  fi
  if check health "$bootstrap" - 3,4; then
    pass "no partition replica is left on brokers 3 and 4 (all topics, internal ones included)"
  else
    fail "replicas are still on brokers 3 or 4"
  fi

  log "[$topology] brokers 3: kafka-3 and kafka-4 stop through the rendered stop hook (spec.replicas 3)"
  render "$WORK/rendered3" 3 3,4
  if [ ! -f "$WORK/rendered3/drain-args" ] && diff -r "$WORK/rendered" "$WORK/rendered3" >/dev/null; then
    pass "brokers 3 with drainBrokers 3,4 renders no drain Job and the same pods as before the scale-up"
  else
    fail "brokers 3 with drainBrokers 3,4 renders something else"
  fi
  t0=$SECONDS
  local s3 s4
  run_prestop b3 3 60 > "$WORK/prestop-b3.log" 2>&1 &
  s3=$!
  run_prestop b4 3 60 > "$WORK/prestop-b4.log" 2>&1 &
  s4=$!
  wait "$s3" && wait "$s4" && status=0 || status=$?
  t=$((SECONDS - t0))
  tail -n 1 "$WORK/prestop-b3.log" "$WORK/prestop-b4.log" | sed 's/^/    /'
  if [ "$status" = 0 ] && grep -q 'holds no partition replica: leaving' "$WORK/prestop-b3.log" && grep -q 'holds no partition replica: leaving' "$WORK/prestop-b4.log"; then
    pass "the stop hooks of kafka-3 and kafka-4 saw a scale-down and let them go in ${t} s (no replica left on their volumes)"
  else
    fail "the stop hooks of kafka-3 and kafka-4: status $status"; cat "$WORK/prestop-b3.log" "$WORK/prestop-b4.log"
  fi
  t0=$SECONDS
  stop_node b3 TERM
  stop_node b4 TERM
  echo "    kafka-3 and kafka-4 stopped on SIGTERM in $((SECONDS - t0)) s"
  sleep 3
  touch "$stop"
  wait "$producer" || true
  grep -E '^sent' "$WORK/producer.log" | sed 's/^/    producer during the drain and the stops: /'
  check produce "$bootstrap" "$placed" 200000 1000 "$acked_scale" > /dev/null || true
  cat "$acked_live" >> "$acked_scale"
  if check health "$bootstrap" - 3,4; then
    pass "after kafka-3 and kafka-4 left: no offline and no under-replicated partition"
  else
    fail "partitions offline or under-replicated after the scale-down"
  fi
  out="$(check verify "$bootstrap" "$placed" "$acked_scale" | tail -n 1)"
  if [[ "$out" == *"missing 0" ]]; then
    pass "topic $placed: $out (before, during and after the scale-down)"
  else
    fail "topic $placed lost acknowledged records: $out"
  fi
  BROKERS=3
}
cluster_id() { sed -n 's/^KAFKA_CLUSTER_ID="\(.*\)"$/\1/p' "$WORK/rendered/broker/env"; }

# --- TLS material, made by openssl as a CA and cert-manager would ---------------------------------
issue() { # issue DIR [pkcs1]: tls.key (PKCS#8 unless pkcs1), tls.crt (the Certificate's SANs), ca.crt
  local dir="$1" sans
  sans="$(paste -sd, "$WORK/rendered/cert-names")"
  mkdir -p "$dir"
  if [ "${2:-}" = pkcs1 ]; then
    openssl genrsa -traditional -out "$dir/tls.key" 2048 2>/dev/null
  else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/tls.key" 2>/dev/null
  fi
  openssl req -new -key "$dir/tls.key" -subj "/CN=kafka" -out "$dir/tls.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$sans" > "$dir/ext"
  openssl x509 -req -in "$dir/tls.csr" -CA "$WORK/ca/ca.crt" -CAkey "$WORK/ca/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 2 -extfile "$dir/ext" -out "$dir/tls.crt" 2>/dev/null
  cp "$WORK/ca/ca.crt" "$dir/ca.crt"
  rm -f "$dir/tls.csr" "$dir/ext"
}

# The Secret's volume as the kubelet lays it out: tls.* are links into ..data, a link to the current
# version, swapped in one rename when the Secret changes.
make_certificates() {
  TLS_DIR="$WORK/tls"
  mkdir -p "$WORK/ca" "$TLS_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/ca/ca.key" \
    -out "$WORK/ca/ca.crt" -subj "/CN=cdk8s-stateful it CA" -days 2 2>/dev/null
  issue "$TLS_DIR/..v1"
  ln -s ..v1 "$TLS_DIR/..data"
  for f in tls.crt tls.key ca.crt; do ln -s "..data/$f" "$TLS_DIR/$f"; done
  echo "    certificate: $(openssl x509 -in "$TLS_DIR/tls.crt" -noout -serial), key $(head -n 1 "$TLS_DIR/tls.key"), SANs $(paste -sd' ' "$WORK/rendered/cert-names")"
  issue "$WORK/tls-pkcs1" pkcs1
}

served_serial() { # served_serial PORT HOST [openssl options]: the serial of the certificate served there, verified for HOST
  local port="$1" host="$2"; shift 2
  openssl s_client -connect "127.0.0.1:$port" -servername "$host" -verify_hostname "$host" -verify_return_error \
    -CAfile "$TLS_DIR/ca.crt" "$@" < /dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}

security_checks() { # what is authenticated and encrypted, on the cluster just formed
  local bootstrap="$1" conf="$WORK/b0/runtime/client.properties" refused="$WORK/refused" out protocol
  protocol="$(sed -n 's/^security.protocol=//p' "$conf")"
  echo "    client.properties written by the rendered start script: $(sed 's/password="[^"]*"/password="***"/' "$conf" | paste -sd' ' -)"
  echo "    listener.security.protocol.map: $(sed -n 's/^listener.security.protocol.map=//p' "$WORK/b0/runtime/server.properties")"
  local expected=SASL_PLAINTEXT
  [ "$TLS" = 1 ] && expected=SASL_SSL
  if [ "$protocol" = "$expected" ] && grep -q 'password="[A-Za-z0-9]\{32\}"' "$conf"; then
    pass "the checks connect as the SCRAM user with the Secret's password over $protocol (every check below, failover, scaling and drain included)"
  else
    fail "client.properties: protocol '$protocol', want $expected with the Secret's password"
  fi
  mkdir -p "$refused"
  # Without credentials: the same transport, no SASL.
  { if [ "$TLS" = 1 ]; then echo security.protocol=SSL; grep '^ssl\.' "$conf"; else echo security.protocol=PLAINTEXT; fi; } > "$refused/none.properties"
  sed "s/password=\"[^\"]*\"/password=\"$wrong_password\"/" "$conf" > "$refused/wrong.properties"
  if out="$(check refused "$bootstrap" - "$refused/none.properties")"; then
    pass "a client without credentials is refused: $out"
  else
    fail "a client without credentials was admitted: $out"
  fi
  if out="$(check refused "$bootstrap" - "$refused/wrong.properties")" && [[ "$out" == *SaslAuthenticationException* ]]; then
    pass "a client with a wrong password is refused: $out"
  else
    fail "a client with a wrong password: $out"
  fi
  if [ "$TLS" = 1 ]; then
    echo security.protocol=SASL_PLAINTEXT > "$refused/plaintext.properties"
    grep '^sasl\.' "$conf" >> "$refused/plaintext.properties"
    if out="$(check refused "$bootstrap" - "$refused/plaintext.properties")"; then
      pass "a plaintext client (SASL_PLAINTEXT, right password) is refused by the TLS listener: $out"
    else
      fail "a plaintext client was admitted: $out"
    fi
    local serial host port cport ok=1
    serial="$(openssl x509 -in "$TLS_DIR/tls.crt" -noout -serial)"
    for node in "${nodes[@]}"; do
      host="$(pod_host "$node")" port="$(broker_port "${node#?}")" cport="$(controller_port "$node")"
      case "$node" in c*) port="" ;; esac
      if [ -n "$port" ] && [ "$(served_serial "$port" "$host")" != "$serial" ]; then ok=0; echo "    $host:$port does not serve $serial verified for its name"; fi
      case "$node$CONTROLLERS" in b*0|c*)
        if [ "$(served_serial "$cport" "$host" -cert "$TLS_DIR/tls.crt" -key "$TLS_DIR/tls.key")" != "$serial" ]; then ok=0; echo "    $host:$cport (controller) does not serve $serial"; fi ;;
      esac
    done
    if [ "$ok" = 1 ]; then
      pass "every broker and controller listener serves the CA-signed $serial, verified by openssl for the pod's DNS name"
    else
      fail "a listener does not serve the certificate for its name"
    fi
    # The controller listener wants a client certificate: a TLS client without one gets no session.
    local first="${nodes[0]}"
    case "$CONTROLLERS" in 0) ;; *) first=c0 ;; esac
    # TLS 1.3: the server's refusal arrives as an alert after the handshake, so the client waits to read it.
    local with without alert='alert (bad certificate|certificate required|handshake failure)'
    without="$( (sleep 3) | openssl s_client -connect "127.0.0.1:$(controller_port "$first")" -CAfile "$TLS_DIR/ca.crt" 2>&1 || true)"
    with="$( (sleep 3) | openssl s_client -connect "127.0.0.1:$(controller_port "$first")" -CAfile "$TLS_DIR/ca.crt" \
      -cert "$TLS_DIR/tls.crt" -key "$TLS_DIR/tls.key" 2>&1 || true)"
    if grep -qiE "$alert" <<< "$without" && ! grep -qiE "$alert" <<< "$with"; then
      pass "the controller listener refuses a TLS client without a certificate ($(grep -oiE "$alert" <<< "$without" | head -n 1)) and keeps one with the CA-signed certificate"
    else
      fail "the controller listener: without a certificate '$(grep -iE 'alert|error' <<< "$without" | head -n 1)', with one '$(grep -iE 'alert|error' <<< "$with" | head -n 1)'"
    fi
  fi
}

rotation_check() { # a renewed certificate (new key, same names) is served without a restart
  local bootstrap="$1" old new t0 node host port pending
  old="$(openssl x509 -in "$TLS_DIR/tls.crt" -noout -serial)"
  issue "$TLS_DIR/..v2"
  new="$(openssl x509 -in "$TLS_DIR/..v2/tls.crt" -noout -serial)"
  ln -s ..v2 "$TLS_DIR/..data.tmp" && mv -T "$TLS_DIR/..data.tmp" "$TLS_DIR/..data"
  log "[$topology] certificate renewed ($old -> $new): waiting for every listener to serve it"
  t0=$SECONDS
  while :; do
    pending=()
    for node in "${nodes[@]}"; do
      host="$(pod_host "$node")"
      case "$node" in
        b*) [ "$(served_serial "$(broker_port "${node#?}")" "$host")" = "$new" ] || pending+=("$node:broker") ;;
      esac
      case "$node$CONTROLLERS" in
        b*0|c*) [ "$(served_serial "$(controller_port "$node")" "$host" -cert "$TLS_DIR/tls.crt" -key "$TLS_DIR/tls.key")" = "$new" ] \
          || pending+=("$node:controller") ;;
      esac
    done
    [ "${#pending[@]}" = 0 ] && break
    if [ $((SECONDS - t0)) -gt 90 ]; then break; fi
    sleep 1
  done
  grep -h 'tls-watch' "$WORK"/*/server.log | sort | uniq -c | sed 's/^/    /'
  if [ "${#pending[@]}" = 0 ]; then
    pass "every broker and controller listener serves the renewed certificate $((SECONDS - t0)) s after the Secret changed, without a restart (tls_watch every 2 s, the rendered reloads)"
  else
    fail "${pending[*]} still serve the old certificate after $((SECONDS - t0)) s"
  fi
  local acked="$WORK/acked-rotation.txt"
  : > "$acked"
  if check produce "$bootstrap" "$TOPIC" 900000 500 "$acked" > /dev/null && check verify "$bootstrap" "$TOPIC" "$acked" > /dev/null; then
    pass "after the renewal new clients produce and consume over $want_protocol: $(wc -l < "$acked") records"
  else
    fail "clients failed after the renewal"
  fi
}

pkcs1_check() { # a key that is not PKCS#8 stops the pod before Kafka starts
  local status
  IT_TLS_DIR="$WORK/tls-pkcs1" start_node b9
  for _ in $(seq 1 60); do kill -0 "${PIDS[b9]}" 2>/dev/null || break; sleep 1; done
  wait "${PIDS[b9]}" 2>/dev/null && status=0 || status=$?
  stop_node b9 KILL
  if [ "$status" != 0 ] && grep -q 'reads only unencrypted PKCS#8 keys' "$WORK/b9/server.log" && [ ! -e "$WORK/b9/data/logs/meta.properties" ]; then
    pass "a PKCS#1 key (BEGIN RSA PRIVATE KEY) stops the rendered start script with status $status before formatting: $(grep -o 'tls: .*reads only unencrypted PKCS#8 keys.*' "$WORK/b9/server.log" | head -n 1 | cut -c1-120)..."
  else
    fail "a PKCS#1 key: status $status"; tail -n 5 "$WORK/b9/server.log"
  fi
}

run_topology() {
  topology="$1"
  WORK="$WORK_ROOT/$topology"
  mkdir -p "$WORK"
  PIDS=()
  case "$topology" in
    combined) CONTROLLERS=0 ;;
    dedicated) CONTROLLERS=3 ;;
    *) fail "unknown topology"; return ;;
  esac
  TLS=0
  case " $TLS_TOPOLOGIES " in *" $topology "*) TLS=1 ;; esac
  local nodes=() i node
  for i in $(seq 0 $((BROKERS - 1))); do nodes+=("b$i"); done
  for i in $(seq 0 $((CONTROLLERS - 1))); do nodes+=("c$i"); done

  log "[$topology] rendering the construct (namespace db, name kafka, $BROKERS brokers, $CONTROLLERS dedicated controllers, Kafka $VERSION, tls $TLS)"
  (cd "$ROOT" && KAFKA_IT_TLS="$TLS" CDK8S_STATEFUL_QUIET=1 timeout 300 node -r ts-node/register/transpile-only \
    test/integration/kafka/render.ts "$WORK/rendered" "$VERSION" "$CONTROLLERS")
  if shellcheck -s sh "$WORK/rendered/start.sh" "$WORK/rendered/prestop.sh" "$WORK/rendered/drain.sh"; then
    pass "the start, stop hook and drain scripts pass shellcheck"
  else
    fail "the start script has shellcheck findings"
  fi

  choose_ports
  write_hosts_sed
  local bootstrap=""
  for i in $(seq 0 $((BROKERS - 1))); do
    # With TLS by the names the certificate covers (the hosts file resolves them), else by address.
    if [ "$TLS" = 1 ]; then
      bootstrap="${bootstrap:+$bootstrap,}$(pod_host "b$i"):$(broker_port "$i")"
    else
      bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$(broker_port "$i")"
    fi
  done
  if [ "$TLS" = 1 ]; then make_certificates; fi

  log "[$topology] starting ${nodes[*]} on 127.0.0.1 from port $PORT_BASE"
  for node in "${nodes[@]}"; do start_node "$node"; done

  if check create "$bootstrap" "$TOPIC" "$BROKERS"; then
    pass "the nodes formed a KRaft cluster from the rendered config; topic $TOPIC has 3 in-sync replicas"
  else
    fail "the cluster did not form"; show_logs; stop_all; return
  fi
  want_protocol="$(sed -n 's/^security.protocol=//p' "$WORK/b0/runtime/client.properties")"
  security_checks "$bootstrap"

  local ok=1 expected_id
  for node in "${nodes[@]}"; do
    case "$node" in b*) expected_id="${node#b}" ;; c*) expected_id=$((1000 + ${node#c})) ;; esac
    grep -q "^node.id=$expected_id$" "$WORK/$node/runtime/server.properties" || ok=0
    grep -q "^cluster.id=$(cluster_id)$" "$WORK/$node/data/logs/meta.properties" || ok=0
  done
  if [ "$ok" = 1 ]; then
    pass "every node got node.id from its ordinal (controllers from 1000) and storage formatted with the library's cluster id"
  else
    fail "node ids or cluster ids are not what the construct rendered"
  fi

  local acked="$WORK/acked.txt"
  : > "$acked"
  if check produce "$bootstrap" "$TOPIC" 0 2000 "$acked"; then
    pass "acks=all writes with every node up: $(wc -l < "$acked") acknowledged"
  else
    fail "acks=all writes failed with every node up"
  fi
  check_metrics "${nodes[@]}"
  if [ "$TLS" = 1 ]; then rotation_check "$bootstrap"; fi

  log "[$topology] killing broker kafka-1 (SIGKILL)"
  stop_node b1 KILL
  local lost="a broker"
  if [ "$CONTROLLERS" -gt 0 ]; then
    log "[$topology] killing controller kafka-controller-0 (SIGKILL)"
    stop_node c0 KILL
    lost="a broker and a controller"
  fi
  if check produce "$bootstrap" "$TOPIC" 2000 2000 "$acked"; then
    pass "acks=all writes go on with $lost lost (min.insync.replicas=2): $(wc -l < "$acked") acknowledged in all"
  else
    fail "acks=all writes stopped after losing $lost"
  fi
  if check verify "$bootstrap" "$TOPIC" "$acked"; then
    pass "every acknowledged record is read back after losing $lost"
  else
    fail "acknowledged records were lost"
  fi

  log "[$topology] restarting kafka-1 on its formatted storage"
  start_node b1
  [ "$CONTROLLERS" -gt 0 ] && start_node c0
  if check isr "$bootstrap" "$TOPIC" 3; then
    pass "the restarted broker rejoined: every partition has 3 in-sync replicas again"
  else
    fail "the restarted broker did not rejoin the ISR"
  fi
  if [ "$CONTROLLERS" = 0 ]; then
    scale_combined "$bootstrap"
    if check verify "$bootstrap" "$TOPIC" "$acked"; then
      pass "every record acknowledged on $TOPIC before the scaling is still there after it"
    else
      fail "acknowledged records of $TOPIC were lost by the scaling"
    fi
  fi
  if grep -q "already formatted" "$WORK/b1/server.log" \
     && [ "$(grep -c '^start: node.id=1 ' "$WORK/b1/server.log")" = 2 ]; then
    pass "the second start left the formatted storage alone"
  else
    fail "the second start did not report formatted storage"
  fi

  log "[$topology] restarting kafka-2 with another cluster id, as if its volume belonged to another cluster"
  stop_node b2 TERM
  IT_CLUSTER_ID=AAAAAAAAAAAAAAAAAAAAAQ start_node b2
  for _ in $(seq 1 120); do kill -0 "${PIDS[b2]}" 2>/dev/null || break; sleep 1; done
  if ! kill -0 "${PIDS[b2]}" 2>/dev/null \
     && grep -iE "invalid|inconsistent|mismatch" "$WORK/b2/server.log" | grep -qi "cluster.id\|clusterId"; then
    pass "a node refuses to start on storage formatted with another cluster id"
    stop_node b2 KILL
  else
    fail "a node started (or hung) on storage of another cluster id"
  fi

  if [ "$TLS" = 1 ]; then pkcs1_check; fi

  [ "$failed" -gt 0 ] && show_logs
  stop_all
}

for t in $TOPOLOGIES; do run_topology "$t"; done

echo "--- kafka $VERSION, real binaries ($TOPOLOGIES)"
echo "kafka: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
