#!/usr/bin/env bash
# Kafka for real, on loopback: the server.properties and the start script that the library renders
# (taken from the synthesized ConfigMaps by render.ts) boot a 3-node KRaft cluster of the broker
# jars from Maven Central. A topic with replication factor 3 takes acks=all writes, one node is
# killed, writes go on, every acknowledged record is read back, and the killed node comes back on
# its formatted storage (the start script's format step must be a no-op) and rejoins the ISR.
#
# What differs from a pod, and only that: the image's bin/kafka-storage.sh and
# bin/kafka-server-start.sh are shims that run the same main classes from the jars, and they map
# the pods' DNS names and ports to 127.0.0.1 with distinct ports and /var/lib/kafka/data to a
# directory per node (each node's diff is printed). Nothing else in server.properties changes.
#
# Env: KAFKA_VERSION (default: the library's default version), KAFKA_IT_PORT_BASE (default 24090:
# below the ephemeral range, where an outgoing connection could take a port before a broker binds it),
# CDK8S_STATEFUL_CACHE (default ~/.cache/cdk8s-stateful). Prints PASS/FAIL lines and a summary.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
VERSION="${KAFKA_VERSION:-4.4.0}"
PORT_BASE="${KAFKA_IT_PORT_BASE:-24090}"
CACHE="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/kafka-$VERSION"
LIB="$CACHE/lib"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kafka-it.XXXXXX")"
TOPIC=it-events
NODES=3
declare -a PIDS=()
passed=0
failed=0

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
log() { echo "--- $*"; }

stop_node() { # stop_node INDEX SIGNAL
  local pid="${PIDS[$1]:-}"
  [ -n "$pid" ] || return 0
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PIDS[$1]=""
}

cleanup() {
  local i
  for i in "${!PIDS[@]}"; do stop_node "$i" TERM; done
  if [ "$failed" -gt 0 ] || [ "${KEEP_WORK:-}" = 1 ]; then
    for i in $(seq 0 $((NODES - 1))); do
      if [ -f "$WORK/node-$i/server.log" ]; then
        echo "=== last lines of node $i's log ==="
        tail -n 30 "$WORK/node-$i/server.log" || true
      fi
    done
  fi
  if [ "${KEEP_WORK:-}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

summary() {
  echo "--- kafka $VERSION, real binaries"
  echo "kafka: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# --- tools -------------------------------------------------------------------------------------
need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
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

# --- what the pods run, from the library -------------------------------------------------------
log "rendering the construct (namespace db, name kafka, 3 brokers, Kafka $VERSION)"
(cd "$ROOT" && CDK8S_STATEFUL_QUIET=1 timeout 300 node -r ts-node/register/transpile-only \
  test/integration/kafka/render.ts "$WORK/rendered" "$VERSION")

if shellcheck -s sh "$WORK/rendered/start.sh"; then
  pass "the start script passes shellcheck"
else
  fail "the start script has shellcheck findings"
fi

# --- shims for the image's bin/ scripts --------------------------------------------------------
mkdir -p "$WORK/kafka-home/bin"
cat > "$WORK/kafka-home/bin/map-config" <<'EOF'
#!/usr/bin/env bash
# map-config IN OUT: the pod's config with DNS names, ports and the data mount mapped to this machine.
set -euo pipefail
sed_args=()
for j in $(seq 0 $((IT_NODES - 1))); do
  host="kafka-$j\\.kafka-headless\\.db\\.svc\\.cluster\\.local"
  sed_args+=(-e "s#$host:9092#127.0.0.1:$((IT_PORT_BASE + 10 * j))#g")
  sed_args+=(-e "s#$host:9093#127.0.0.1:$((IT_PORT_BASE + 10 * j + 1))#g")
done
sed_args+=(-e "s#BROKER://:9092#BROKER://127.0.0.1:$((IT_PORT_BASE + 10 * IT_NODE))#")
sed_args+=(-e "s#CONTROLLER://:9093#CONTROLLER://127.0.0.1:$((IT_PORT_BASE + 10 * IT_NODE + 1))#")
sed_args+=(-e "s#/var/lib/kafka/data#$IT_WORK/node-$IT_NODE/data#g")
sed "${sed_args[@]}" "$1" > "$2"
if grep -nE 'svc\.cluster\.local|:909[23]\b|/var/lib/kafka' "$2"; then
  echo "map-config: the lines above were not mapped" >&2
  exit 1
fi
EOF
cat > "$WORK/kafka-home/bin/kafka-storage.sh" <<'EOF'
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
exec java -cp "$IT_LIB/*" kafka.tools.StorageTool "${args[@]}"
EOF
cat > "$WORK/kafka-home/bin/kafka-server-start.sh" <<'EOF'
#!/usr/bin/env bash
# Stands in for the image's kafka-server-start.sh: the same main class, with the config mapped.
set -euo pipefail
"$(dirname "$0")/map-config" "$1" "$1.mapped"
echo "--- server.properties of node $IT_NODE as run here (diff against the rendered one):"
diff "$1" "$1.mapped" || true
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of options, as in kafka-run-class.sh
exec java $KAFKA_HEAP_OPTS -Dorg.slf4j.simpleLogger.showDateTime=true \
  -cp "$IT_LIB/*" kafka.Kafka "$1.mapped"
EOF
chmod +x "$WORK/kafka-home/bin/"*
if shellcheck "$WORK/kafka-home/bin/"*; then pass "the test shims pass shellcheck"; else fail "the test shims have shellcheck findings"; fi

start_node() { # start_node INDEX: runs the rendered start script as pod kafka-INDEX would
  local i="$1"
  mkdir -p "$WORK/node-$i"
  (
    set -a
    # shellcheck disable=SC1091
    . "$WORK/rendered/env"
    set +a
    if [ -n "${IT_CLUSTER_ID:-}" ]; then export KAFKA_CLUSTER_ID="$IT_CLUSTER_ID"; fi
    export POD_NAME="kafka-$i"
    export KAFKA_CONFIG_TEMPLATE="$WORK/rendered/server.properties"
    export KAFKA_CONFIG="$WORK/node-$i/runtime/server.properties"
    export KAFKA_HOME="$WORK/kafka-home"
    # Three JVMs share this machine with other work: a smaller heap than the rendered 1 GiB.
    export KAFKA_HEAP_OPTS="-Xms256m -Xmx512m"
    export IT_NODE="$i" IT_NODES="$NODES" IT_PORT_BASE="$PORT_BASE" IT_WORK="$WORK" IT_LIB="$LIB"
    exec sh "$WORK/rendered/start.sh"
  ) >> "$WORK/node-$i/server.log" 2>&1 &
  PIDS[i]=$!
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 20); do
  busy=0
  for i in $(seq 0 $((NODES - 1))); do
    if port_in_use $((PORT_BASE + 10 * i)) || port_in_use $((PORT_BASE + 10 * i + 1)); then busy=1; fi
  done
  [ "$busy" = 0 ] && break
  PORT_BASE=$((PORT_BASE + 100))
done

bootstrap=""
for i in $(seq 0 $((NODES - 1))); do bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$((PORT_BASE + 10 * i))"; done
check() { timeout 240 java -cp "$LIB/*" "$HERE/Check.java" "$@" 2>>"$WORK/client.log"; }

# --- the cluster -------------------------------------------------------------------------------
log "starting $NODES KRaft nodes (broker+controller) on 127.0.0.1:$PORT_BASE..."
for i in $(seq 0 $((NODES - 1))); do start_node "$i"; done

if check create "$bootstrap" "$TOPIC" "$NODES"; then
  pass "3 nodes formed a KRaft cluster from the rendered config; topic $TOPIC has 3 in-sync replicas"
else
  fail "the cluster did not form"; summary; exit 1
fi

all_formatted=1
for i in $(seq 0 $((NODES - 1))); do
  grep -q "^node.id=$i$" "$WORK/node-$i/runtime/server.properties" || all_formatted=0
  grep -q "^cluster.id=$(sed -n 's/^KAFKA_CLUSTER_ID="\(.*\)"$/\1/p' "$WORK/rendered/env")$" \
    "$WORK/node-$i/data/logs/meta.properties" || all_formatted=0
done
if [ "$all_formatted" = 1 ]; then
  pass "every node got node.id from its ordinal and storage formatted with the library's cluster id"
else
  fail "node ids or cluster ids are not what the construct rendered"
fi

ACKED="$WORK/acked.txt"
: > "$ACKED"
if check produce "$bootstrap" "$TOPIC" 0 2000 "$ACKED"; then
  pass "acks=all writes with 3 nodes: $(wc -l < "$ACKED") acknowledged"
else
  fail "acks=all writes failed with every node up"
fi

log "killing node 1 (SIGKILL)"
stop_node 1 KILL
if check produce "$bootstrap" "$TOPIC" 2000 2000 "$ACKED"; then
  pass "acks=all writes go on with one node lost (min.insync.replicas=2): $(wc -l < "$ACKED") acknowledged in all"
else
  fail "acks=all writes stopped after one node was lost"
fi

if check verify "$bootstrap" "$TOPIC" "$ACKED"; then
  pass "every acknowledged record is read back after losing a node"
else
  fail "acknowledged records were lost"
fi

log "restarting node 1 on its formatted storage"
start_node 1
if check isr "$bootstrap" "$TOPIC" 3; then
  pass "the restarted node rejoined: every partition has 3 in-sync replicas again"
else
  fail "the restarted node did not rejoin the ISR"
fi
if grep -q "already formatted\|Ignoring already formatted\|All of the log directories are already formatted" "$WORK/node-1/server.log" \
   && [ "$(grep -c '^start: node.id=1 ' "$WORK/node-1/server.log")" = 2 ]; then
  pass "the second start left the formatted storage alone"
else
  fail "the second start did not report formatted storage"
fi

log "restarting node 2 with another cluster id, as if its volume belonged to another cluster"
stop_node 2 TERM
IT_CLUSTER_ID=AAAAAAAAAAAAAAAAAAAAAQ start_node 2
for _ in $(seq 1 120); do kill -0 "${PIDS[2]}" 2>/dev/null || break; sleep 1; done
if ! kill -0 "${PIDS[2]}" 2>/dev/null && grep -qi "cluster.id\|clusterId" <(grep -iE "invalid|inconsistent|mismatch" "$WORK/node-2/server.log"); then
  pass "a node refuses to start on storage formatted with another cluster id"
  wait "${PIDS[2]}" 2>/dev/null || true
  PIDS[2]=""
else
  fail "a node started (or hung) on storage of another cluster id"
fi

summary
