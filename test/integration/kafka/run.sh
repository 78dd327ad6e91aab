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
# The construct is rendered with `metrics: true`, so every node runs the Prometheus JMX exporter
# javaagent (Maven Central's jmx_prometheus_javaagent, the release the default agent image carries)
# from the rendered KAFKA_OPTS and rules file, in the same start as the checks above; each node's
# /metrics must serve the series docs/engines/kafka.md names (it prints how many series each served
# and which were found), and exactly one controller must report itself active.
#
# What differs from a pod, and only that: the image's bin/kafka-storage.sh and
# bin/kafka-server-start.sh are shims that run the same main classes from the jars, and they map the
# pods' DNS names and ports to 127.0.0.1 with distinct ports and /var/lib/kafka/data to a directory per
# node (each node's diff is printed into its log). Nothing else in server.properties changes. In
# KAFKA_OPTS only the agent jar's path, the rules' directory and the port change, and the agent
# listens on 127.0.0.1.
#
# Env: KAFKA_VERSION (default: the library's default version), JMX_EXPORTER_VERSION (default 1.0.1,
# the agent of JmxExporterAgent.DEFAULT_IMAGE), KAFKA_IT_TOPOLOGIES (default
# "combined dedicated"), KAFKA_IT_PORT_BASE (default 24090: below the ephemeral port range, where an
# outgoing connection could take a port before a broker binds it), CDK8S_STATEFUL_CACHE (default
# ~/.cache/cdk8s-stateful), KEEP_WORK=1 keeps the logs. Prints PASS/FAIL lines and a summary line.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
VERSION="${KAFKA_VERSION:-4.4.0}"
TOPOLOGIES="${KAFKA_IT_TOPOLOGIES:-combined dedicated}"
PORT_BASE="${KAFKA_IT_PORT_BASE:-24090}"
CACHE="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/kafka-$VERSION"
LIB="$CACHE/lib"
AGENT_VERSION="${JMX_EXPORTER_VERSION:-1.0.1}"
AGENT_DIR="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/jmx-exporter-$AGENT_VERSION"
AGENT_JAR="$AGENT_DIR/jmx_prometheus_javaagent-$AGENT_VERSION.jar"
WORK_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/kafka-it.XXXXXX")"
WORK=""
TOPIC=it-events
BROKERS=3
CONTROLLERS=0
declare -A PIDS=()
passed=0
failed=0

pass() { echo "PASS: [$topology] $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: [$topology] $*"; failed=$((failed + 1)); }
log() { echo "--- $*"; }

stop_node() { # stop_node NODE SIGNAL
  local pid="${PIDS[$1]:-}"
  [ -n "$pid" ] || return 0
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
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
  -e "s#/var/lib/kafka/data#$IT_DATA#g" \
  "$1" > "$2"
if grep -nE 'svc\.cluster\.local|:909[23]\b|/var/lib/kafka' "$2"; then
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
exec java $opts -cp "$IT_LIB/*" kafka.tools.StorageTool "${args[@]}"
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
exec java $KAFKA_HEAP_OPTS -Dorg.slf4j.simpleLogger.showDateTime=true \
  -cp "$IT_LIB/*" $opts kafka.Kafka "$1.mapped"
EOF
chmod +x "$SHIMS/"*
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
    for i in $(seq 0 2); do
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

write_hosts_sed() {
  local j
  : > "$WORK/hosts.sed"
  for j in $(seq 0 $((BROKERS - 1))); do
    echo "s#kafka-$j\\.kafka-headless\\.db\\.svc\\.cluster\\.local:9092#127.0.0.1:$(broker_port "$j")#g" >> "$WORK/hosts.sed"
    echo "s#kafka-$j\\.kafka-headless\\.db\\.svc\\.cluster\\.local:9093#127.0.0.1:$(controller_port "b$j")#g" >> "$WORK/hosts.sed"
  done
  for j in $(seq 0 $((CONTROLLERS - 1))); do
    echo "s#kafka-controller-$j\\.kafka-controller-headless\\.db\\.svc\\.cluster\\.local:9093#127.0.0.1:$(controller_port "c$j")#g" >> "$WORK/hosts.sed"
  done
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
    POD_NAME="$(pod_of "$node")"
    export POD_NAME
    export KAFKA_CONFIG_TEMPLATE="$WORK/rendered/$set/server.properties"
    export KAFKA_CONFIG="$WORK/$node/runtime/server.properties"
    export KAFKA_HOME="$WORK_ROOT/kafka-home"
    # Several JVMs share this machine with other work: a smaller heap than the rendered one.
    export KAFKA_HEAP_OPTS="-Xms128m -Xmx384m"
    export IT_WORK="$WORK" IT_LIB="$LIB" IT_DATA="$WORK/$node/data"
    IT_BROKER_PORT="$(broker_port "${node#?}")" IT_CONTROLLER_PORT="$(controller_port "$node")"
    export IT_BROKER_PORT IT_CONTROLLER_PORT
    IT_METRICS_PORT="$(metrics_port "$node")"
    export IT_METRICS_PORT IT_AGENT_JAR="$AGENT_JAR" IT_RULES_DIR="$WORK/rendered/$set"
    exec sh "$WORK/rendered/start.sh"
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

check() { timeout 300 java -cp "$LIB/*" "$HERE/Check.java" "$@" 2>>"$WORK/client.log"; }
cluster_id() { sed -n 's/^KAFKA_CLUSTER_ID="\(.*\)"$/\1/p' "$WORK/rendered/broker/env"; }

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
  local nodes=() i node
  for i in $(seq 0 $((BROKERS - 1))); do nodes+=("b$i"); done
  for i in $(seq 0 $((CONTROLLERS - 1))); do nodes+=("c$i"); done

  log "[$topology] rendering the construct (namespace db, name kafka, $BROKERS brokers, $CONTROLLERS dedicated controllers, Kafka $VERSION)"
  (cd "$ROOT" && CDK8S_STATEFUL_QUIET=1 timeout 300 node -r ts-node/register/transpile-only \
    test/integration/kafka/render.ts "$WORK/rendered" "$VERSION" "$CONTROLLERS")
  if shellcheck -s sh "$WORK/rendered/start.sh"; then
    pass "the start script passes shellcheck"
  else
    fail "the start script has shellcheck findings"
  fi

  choose_ports
  write_hosts_sed
  local bootstrap=""
  for i in $(seq 0 $((BROKERS - 1))); do bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$(broker_port "$i")"; done

  log "[$topology] starting ${nodes[*]} on 127.0.0.1 from port $PORT_BASE"
  for node in "${nodes[@]}"; do start_node "$node"; done

  if check create "$bootstrap" "$TOPIC" "$BROKERS"; then
    pass "the nodes formed a KRaft cluster from the rendered config; topic $TOPIC has 3 in-sync replicas"
  else
    fail "the cluster did not form"; show_logs; stop_all; return
  fi

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
    wait "${PIDS[b2]}" 2>/dev/null || true
    PIDS[b2]=""
  else
    fail "a node started (or hung) on storage of another cluster id"
  fi

  [ "$failed" -gt 0 ] && show_logs
  stop_all
}

for t in $TOPOLOGIES; do run_topology "$t"; done

echo "--- kafka $VERSION, real binaries ($TOPOLOGIES)"
echo "kafka: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
