import { SCALE_DOWN_CHECK_FUNCTION, SCALED_AWAY } from '../scale-down';
import { TLS_CA_FILE, TLS_DIR, TLS_PEM_BUNDLE_FUNCTION, TLS_WATCH_FUNCTION } from '../tls-kit';
import { ADMIN_USER, BROKER_PORT, CONTROLLER_PASSWORD_PLACEHOLDER, CONTROLLER_PORT, INTER_BROKER_PASSWORD_PLACEHOLDER, INTER_BROKER_USER, SCRAM_MECHANISM } from './config';

/**
 * POSIX sh functions shared by the start script and the drain Job:
 *   check_password NAME VALUE  refuses a password that the SASL settings cannot carry
 *   write_client_config FILE   the admin tools' client settings (`--command-config`), from the
 *                              variables connectionEnv() gives apps: KAFKA_SECURITY_PROTOCOL,
 *                              KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_CA_FILE.
 * The passwords go through the shell's builtins only: never on a command line (ps shows those).
 */
export const CLIENT_CONFIG_FUNCTIONS = `# Passwords sit inside double quotes in JAAS settings and inside
# [name=...,password=...] at format time: these characters break them.
check_password() {
  case "$2" in
    '')
      echo "kafka: $1 is empty: the credentials Secret lacks it" >&2
      return 1 ;;
    *[][\\\\\\",[:space:]]*)
      echo "kafka: $1 has a character that Kafka's SASL settings cannot" \\
        "carry (a backslash, double quote, comma, bracket or white space):" \\
        "use another password" >&2
      return 1 ;;
  esac
}

write_client_config() {
  protocol="\${KAFKA_SECURITY_PROTOCOL:-PLAINTEXT}"
  (
    umask 077
    echo "security.protocol=$protocol"
    case "$protocol" in
      SASL_*)
        check_password KAFKA_PASSWORD "\${KAFKA_PASSWORD:-}" || exit 1
        echo "sasl.mechanism=\${KAFKA_SASL_MECHANISM:-${SCRAM_MECHANISM}}"
        printf '%s%s%s%s%s\\n' 'sasl.jaas.config=org.apache.kafka.common.' \\
          'security.scram.ScramLoginModule required username="' \\
          "\${KAFKA_USERNAME:-${ADMIN_USER}}" '" password="' "$KAFKA_PASSWORD\\";" ;;
    esac
    case "$protocol" in
      *SSL)
        echo "ssl.truststore.type=PEM"
        echo "ssl.truststore.location=\${KAFKA_CA_FILE:-${TLS_CA_FILE}}" ;;
    esac
  ) > "$1.tmp" && mv "$1.tmp" "$1"
}`;

/*
 * The bootstrap script of every Kafka pod, shipped as a TypeScript string so that it is part of the
 * JS and Python packages. POSIX sh (the image's /bin/sh), checked with shellcheck by the tests.
 * Lines stay short so that the YAML shows it as a literal block.
 */

/**
 * Inputs (environment):
 *   POD_NAME             the pod's name, `<set>-<ordinal>` (downward API)
 *   KAFKA_NODE_ID_OFFSET added to the ordinal to make node.id (1000 for dedicated controllers)
 *   KAFKA_CLUSTER_ID     the cluster id storage is formatted with
 *   KAFKA_CONFIG_TEMPLATE, KAFKA_CONFIG, KAFKA_HOME: paths (defaults below)
 *   KAFKA_VOTERS         combined mode: ordinals below it are broker+controller voters (the template);
 *                        the others are brokers only (KAFKA_BROKER_CONFIG_TEMPLATE)
 *   KAFKA_PASSWORD, KAFKA_INTER_BROKER_PASSWORD, KAFKA_CONTROLLER_PASSWORD (from the Secret):
 *                        SASL on: filled into this pod's config; the SCRAM users of a new cluster are
 *                        created at format time; KAFKA_USERNAME and the others of write_client_config
 *                        make client.properties beside the config, for the admin tools
 *   KAFKA_LOCAL_BOOTSTRAP, KAFKA_LOCAL_CONTROLLER where the TLS reload reaches this node
 *                        (localhost:9092; a dedicated controller: localhost:9093)
 * With TLS (ssl.keystore.location in the template) it composes the PEM keystore from /etc/tls,
 * refusing a key that is not unencrypted PKCS#8, and reloads it on the broker listener when
 * cert-manager renews the certificate.
 */
export const START_SCRIPT = `#!/bin/sh
# Starts one Kafka node (KRaft): renders this pod's server.properties
# from the shared template, formats the storage the first time only,
# then replaces itself with the server.
set -eu

template="\${KAFKA_CONFIG_TEMPLATE:-/etc/kafka/template/server.properties}"
config="\${KAFKA_CONFIG:-/etc/kafka/runtime/server.properties}"
kafka_home="\${KAFKA_HOME:-/opt/kafka}"
pod="\${POD_NAME:-$(hostname)}"
offset="\${KAFKA_NODE_ID_OFFSET:-0}"
cluster_id="\${KAFKA_CLUSTER_ID:?KAFKA_CLUSTER_ID must be set}"

# The StatefulSet ordinal is what follows the last '-' of the pod name.
ordinal="\${pod##*-}"
case "$ordinal" in
  ''|*[!0-9]*)
    echo "start: no ordinal at the end of the pod name '$pod'" >&2
    exit 1 ;;
esac
node_id=$((offset + ordinal))

# Combined mode: the first KAFKA_VOTERS ordinals are the KRaft voters;
# the others run as brokers only, so adding brokers never changes the
# quorum.
voters="\${KAFKA_VOTERS:-}"
if [ -n "$voters" ] && [ "$ordinal" -ge "$voters" ]; then
  template="\${KAFKA_BROKER_CONFIG_TEMPLATE:-$(dirname "$template")/broker.properties}"
  echo "start: ordinal $ordinal >= $voters voters: broker only"
fi

${CLIENT_CONFIG_FUNCTIONS}

# The passwords from the Secret go into this pod's config through
# awk's ENVIRON, never on a command line; the file is the server's own.
umask 077
if grep -q '${INTER_BROKER_PASSWORD_PLACEHOLDER}' "$template"; then
  check_password KAFKA_INTER_BROKER_PASSWORD \\
    "\${KAFKA_INTER_BROKER_PASSWORD:-}" || exit 1
fi
if grep -q '${CONTROLLER_PASSWORD_PLACEHOLDER}' "$template"; then
  check_password KAFKA_CONTROLLER_PASSWORD \\
    "\${KAFKA_CONTROLLER_PASSWORD:-}" || exit 1
fi
# shellcheck disable=SC2016 # an awk program: awk expands it, not sh
fill_awk='
function put(line, name, value,   out, i) {
  out = ""
  while ((i = index(line, name)) > 0) {
    out = out substr(line, 1, i - 1) value
    line = substr(line, i + length(name))
  }
  return out line
}
{
  $0 = put($0, "${INTER_BROKER_PASSWORD_PLACEHOLDER}", ENVIRON["KAFKA_INTER_BROKER_PASSWORD"])
  print put($0, "${CONTROLLER_PASSWORD_PLACEHOLDER}", ENVIRON["KAFKA_CONTROLLER_PASSWORD"])
}'
mkdir -p "$(dirname "$config")"
sed -e "s/@NODE_ID@/$node_id/g" -e "s/@POD_NAME@/$pod/g" "$template" \\
  | awk "$fill_awk" > "$config.tmp"
mv "$config.tmp" "$config"
echo "start: node.id=$node_id pod=$pod cluster.id=$cluster_id"
client_config="$(dirname "$config")/client.properties"
write_client_config "$client_config" || exit 1
setting() { sed -n "s/^$1=//p" "$config" | tail -n 1; }

# TLS: Kafka's PEM keystore is one file with the unencrypted PKCS#8 key
# and the certificate chain, composed from the mounted Secret (tls_pem_bundle).
keystore="$(setting 'ssl\\.keystore\\.location')"

# A renewed certificate: a new keystore file, and the broker listener
# told to read it again (Kafka reloads a keystore whose file changed when
# its location is set again, without a restart).
reload_tls() {
  tls_pem_bundle "$keystore" pkcs8 || return 1
  "$kafka_home/bin/kafka-configs.sh" \\
    --bootstrap-server "\${KAFKA_LOCAL_BOOTSTRAP:-localhost:${BROKER_PORT}}" \\
    --command-config "$client_config" --entity-type brokers \\
    --entity-name "$node_id" --alter \\
    --add-config "listener.name.broker.ssl.keystore.location=$keystore"
}

# A dedicated controller has no broker listener: its own listener is
# told through the controllers' admin API, with mutual TLS as this node.
reload_controller_tls() {
  tls_pem_bundle "$keystore" pkcs8 || return 1
  (
    umask 077
    echo "security.protocol=SSL"
    echo "ssl.keystore.type=PEM"
    echo "ssl.keystore.location=$keystore"
    echo "ssl.truststore.type=PEM"
    echo "ssl.truststore.location=$(setting 'ssl\\.truststore\\.location')"
  ) > "$controller_client_config"
  "$kafka_home/bin/kafka-configs.sh" \\
    --bootstrap-controller "\${KAFKA_LOCAL_CONTROLLER:-localhost:${CONTROLLER_PORT}}" \\
    --command-config "$controller_client_config" --entity-type brokers \\
    --entity-name "$node_id" --alter \\
    --add-config "listener.name.controller.ssl.keystore.location=$keystore"
}
controller_client_config="$(dirname "$config")/controller-client.properties"

${TLS_WATCH_FUNCTION}

${TLS_PEM_BUNDLE_FUNCTION}

if [ -n "$keystore" ]; then
  tls_pem_bundle "$keystore" pkcs8 || exit 1
  echo "start: TLS keystore composed from ${TLS_DIR}"
  case "$(setting 'process\\.roles')" in
    *broker*) tls_watch reload_tls ;;
    *) tls_watch reload_controller_tls ;;
  esac
fi

# Format once: a formatted directory holds meta.properties, and
# --ignore-formatted makes a second run harmless too. A directory
# formatted with another cluster id makes the server refuse to start:
# it never joins the wrong cluster.
log_dirs="$(sed -n 's/^log\\.dirs=//p' "$config" | tail -n 1)"
first_dir="\${log_dirs%%,*}"
if [ -f "$first_dir/meta.properties" ]; then
  echo "start: storage in $first_dir is already formatted"
else
  echo "start: formatting storage in $log_dirs"
  # SASL: the SCRAM users of a new cluster are written into its first
  # metadata (an existing cluster's are made with kafka-configs).
  if [ -n "\${KAFKA_INTER_BROKER_PASSWORD:-}" ]; then
    check_password KAFKA_PASSWORD "\${KAFKA_PASSWORD:-}" || exit 1
    set -- --add-scram \\
      "${SCRAM_MECHANISM}=[name=\${KAFKA_USERNAME:-${ADMIN_USER}},password=$KAFKA_PASSWORD]" \\
      --add-scram \\
      "${SCRAM_MECHANISM}=[name=${INTER_BROKER_USER},password=$KAFKA_INTER_BROKER_PASSWORD]"
    echo "start: with the SCRAM users \${KAFKA_USERNAME:-${ADMIN_USER}} and ${INTER_BROKER_USER}"
  fi
  "$kafka_home/bin/kafka-storage.sh" format --cluster-id "$cluster_id" \\
    --config "$config" --ignore-formatted "$@"
fi

exec "$kafka_home/bin/kafka-server-start.sh" "$config"
`;

/** Where the scripts ConfigMap is mounted in broker pods and the drain Job. */
export const SCRIPTS_DIR = '/etc/kafka/scripts';

/**
 * The drain: moves every partition replica off the brokers being removed to the brokers that stay,
 * one replica for one, onto the least loaded broker that does not hold the partition yet, waits
 * until Kafka reports the reassignment complete, and checks that no replica is left. Idempotent:
 * a second run finds nothing to move. Runs in the drain Job (and by hand with kubectl exec).
 *
 *   drain.sh --bootstrap-server HOST:PORT --keep 0,1,2 --drain 3,4
 *
 * Environment: KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD,
 * KAFKA_CA_FILE (how the admin tools connect), KAFKA_HOME (/opt/kafka), DRAIN_POLL_SECONDS (10), DRAIN_ROUNDS (5: plans made
 * again when partitions appeared on the drained brokers meanwhile), DRAIN_THROTTLE_BYTES (none:
 * the replication throttle in bytes/s while moving, removed at the end).
 */
export const DRAIN_SCRIPT = `#!/bin/sh
# Moves every partition replica off the brokers being removed (--drain)
# to the brokers that stay (--keep), waits until the reassignment is
# complete, and checks that none is left. A second run moves nothing.
set -eu

bootstrap=""
keep=""
drain=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) bootstrap="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --drain) drain="$2"; shift 2 ;;
    *) echo "usage: drain.sh --bootstrap-server HOST:PORT --keep IDS --drain IDS" >&2; exit 2 ;;
  esac
done
if [ -z "$bootstrap" ] || [ -z "$keep" ] || [ -z "$drain" ]; then
  echo "usage: drain.sh --bootstrap-server HOST:PORT --keep IDS --drain IDS" >&2
  exit 2
fi
bin="\${KAFKA_HOME:-/opt/kafka}/bin"
poll="\${DRAIN_POLL_SECONDS:-10}"
rounds="\${DRAIN_ROUNDS:-5}"
throttle="\${DRAIN_THROTTLE_BYTES:-}"
work="$(mktemp -d "\${TMPDIR:-/tmp}/drain.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started="$(date +%s)"

# The admin tools authenticate as the connection's user (the same
# variables connectionEnv() gives apps), and verify TLS with its CA.
${CLIENT_CONFIG_FUNCTIONS}
write_client_config "$work/client.properties" || exit 1

say() { echo "drain: $*"; }

# The first "Replicas:" of a partition line is its replica list (an
# ongoing reassignment adds "Adding Replicas:" and "Removing Replicas:").
# For every replica on a drained broker: the least loaded kept broker
# that does not hold the partition yet, in the same position.
# shellcheck disable=SC2016 # an awk program: awk expands it, not sh
plan_awk='
BEGIN {
  nk = split(keep, k, ",")
  nd = split(drain, d, ",")
  for (i = 1; i <= nd; i++) gone[d[i]] = 1
  for (i = 1; i <= nk; i++) load[k[i]] = 0
}
/Partition:/ {
  topic = ""; part = ""; reps = ""
  for (i = 1; i < NF; i++) {
    if ($i == "Topic:" && topic == "") topic = $(i + 1)
    if ($i == "Partition:" && part == "") part = $(i + 1)
    if ($i == "Replicas:" && reps == "" && $(i - 1) != "Adding" && $(i - 1) != "Removing") reps = $(i + 1)
    if ($i == "Adding" || $i == "Removing") busy++
  }
  n = split(reps, r, ",")
  for (i = 1; i <= n; i++) if (r[i] in load) load[r[i]]++
  np++; t[np] = topic; pn[np] = part; rl[np] = reps
}
END {
  moves = 0
  printf "{\\"version\\":1,\\"partitions\\":["
  for (p = 1; p <= np; p++) {
    n = split(rl[p], r, ",")
    split("", used)
    for (i = 1; i <= n; i++) used[r[i]] = 1
    changed = 0
    for (i = 1; i <= n; i++) {
      if (!(r[i] in gone)) continue
      best = ""
      for (j = 1; j <= nk; j++) {
        b = k[j]
        if (b in used) continue
        if (best == "" || load[b] < load[best]) best = b
      }
      if (best == "") {
        printf "no broker left for the replica of %s-%s on %s\\n", t[p], pn[p], r[i] > "/dev/stderr"
        exit 3
      }
      used[best] = 1; load[best]++; load[r[i]]--; r[i] = best; changed = 1
    }
    if (!changed) continue
    out = r[1]
    for (i = 2; i <= n; i++) out = out "," r[i]
    printf "%s{\\"topic\\":\\"%s\\",\\"partition\\":%s,\\"replicas\\":[%s]}", (moves ? "," : ""), t[p], pn[p], out
    moves++
  }
  printf "]}\\n"
  print moves > count
  print busy + 0 > ongoing
}'

describe() {
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe \\
    --command-config "$work/client.properties" > "$work/describe"
}

round=1
moved=0
while :; do
  describe
  awk -v keep="$keep" -v drain="$drain" -v count="$work/count" \\
    -v ongoing="$work/ongoing" "$plan_awk" "$work/describe" > "$work/plan.json"
  if [ "$(cat "$work/ongoing")" != 0 ]; then
    say "a reassignment is in progress: waiting \${poll}s"
    sleep "$poll"
    continue
  fi
  if [ "$(cat "$work/count")" = 0 ]; then
    partitions="$(grep -c 'Partition:' "$work/describe" || true)"
    say "no partition replica is left on brokers $drain" \\
      "($partitions partitions checked, $moved moved," \\
      "$(( $(date +%s) - started ))s)"
    exit 0
  fi
  if [ "$round" -gt "$rounds" ]; then
    say "replicas are still on brokers $drain after $rounds rounds" >&2
    exit 1
  fi
  say "round $round: moving $(cat "$work/count") partition(s) off brokers $drain to $keep"
  cat "$work/plan.json"
  "$bin/kafka-reassign-partitions.sh" --bootstrap-server "$bootstrap" \\
    --command-config "$work/client.properties" \\
    --reassignment-json-file "$work/plan.json" --execute --additional \\
    \${throttle:+--throttle "$throttle"}
  moved=$((moved + $(cat "$work/count")))
  # --verify reports each partition and, once all are done, removes
  # the throttle.
  while :; do
    "$bin/kafka-reassign-partitions.sh" --bootstrap-server "$bootstrap" \\
      --command-config "$work/client.properties" \\
      --reassignment-json-file "$work/plan.json" --verify > "$work/verify" || true
    if grep -q 'still in progress' "$work/verify"; then
      say "$(grep -c 'still in progress' "$work/verify") partition(s) still moving"
      sleep "$poll"
      continue
    fi
    cat "$work/verify"
    break
  done
  round=$((round + 1))
done
`;

/**
 * preStop of every broker (dedicated controllers have none). A restart does nothing here: Kafka's
 * controlled shutdown on SIGTERM moves leadership away, and the broker comes back on its volume.
 * A broker being scaled away (the shared check: its ordinal at or above its StatefulSet's
 * `spec.replicas`) leaves at once when its log directories hold no partition replica; otherwise it
 * waits, reporting in the server's log, for a reassignment (the drain Job) to take them, at most
 * KAFKA_PRESTOP_WAIT_SECONDS, and then fails the hook with the list, so that the pod's events say
 * which partitions lost a replica (`FailedPreStopHook`). It never moves data itself: a move that the
 * grace period cuts short would leave partitions with one copy fewer while a second broker leaves too.
 *
 * Environment: POD_NAME, KAFKA_CONFIG (the rendered server.properties), KAFKA_VOTERS (combined
 * mode: voters are never scaled away), KAFKA_PRESTOP_WAIT_SECONDS (set from the grace period),
 * KAFKA_PRESTOP_POLL_SECONDS (10), KAFKA_PRESTOP_LOG (/proc/1/fd/1: the server's log).
 */
export const PRESTOP_SCRIPT = `#!/bin/sh
# preStop of a broker: a restart leaves at once (Kafka's controlled
# shutdown follows); a broker being scaled away waits, bounded, while it
# still holds partition replicas, and reports them.
set -u

config="\${KAFKA_CONFIG:-/etc/kafka/runtime/server.properties}"
wait_seconds="\${KAFKA_PRESTOP_WAIT_SECONDS:-120}"
poll="\${KAFKA_PRESTOP_POLL_SECONDS:-10}"
out="\${KAFKA_PRESTOP_LOG:-/proc/1/fd/1}"
pod="\${POD_NAME:-$(hostname)}"
ordinal="\${pod##*-}"

# Into the server's log (kubectl logs) when it can, and always to
# stdout (the hook's output, shown in a FailedPreStopHook event).
say() {
  echo "prestop: $*"
  { echo "prestop: $*" >> "$out"; } 2>/dev/null || true
}

${SCALE_DOWN_CHECK_FUNCTION}
voters="\${KAFKA_VOTERS:-}"
if [ -n "$voters" ] && [ "$ordinal" -lt "$voters" ] 2>/dev/null; then
  say "$pod is a KRaft voter, never scaled away: stopping"
  exit 0
fi
result="$(scale_down_check "$pod" 2>&1)"
answer="$(printf '%s\\n' "$result" | tail -n 1)"
reason="$(printf '%s\\n' "$result" | sed '$d' | tr '\\n' ' ')"
if [ "$answer" != ${SCALED_AWAY} ]; then
  say "$answer, not a scale-down ($reason): stopping"
  exit 0
fi

node_id="$(sed -n 's/^node\\.id=//p' "$config" | tail -n 1)"
log_dirs="$(sed -n 's/^log\\.dirs=//p' "$config" | tail -n 1)"
# A partition replica is a directory <topic>-<partition>; one being
# deleted (.<id>-delete), moved (-future) or stray (-stray) is not, and
# the metadata log is no partition of a topic.
held() {
  for dir in $(printf '%s' "$log_dirs" | tr ',' ' '); do
    ls -1 "$dir" 2>/dev/null
  done | grep -E -- '-[0-9]+$' | grep -v '^__cluster_metadata-0$' || true
}

started="$(date +%s)"
while :; do
  replicas="$(held)"
  count="$(printf '%s' "$replicas" | grep -c . || true)"
  elapsed=$(( $(date +%s) - started ))
  if [ "$count" = 0 ]; then
    say "$pod is being scaled away ($reason) and broker $node_id" \\
      "holds no partition replica: leaving after \${elapsed}s"
    exit 0
  fi
  first="$(printf '%s\\n' "$replicas" | head -n 10 | tr '\\n' ' ')"
  if [ "$elapsed" -ge "$wait_seconds" ]; then
    say "WARNING: $pod is being scaled away while broker $node_id" \\
      "still holds $count partition replica(s) after \${elapsed}s: $first." \\
      "They stay on its retained volume; those partitions are" \\
      "under-replicated (offline where it was the only in-sync copy)" \\
      "until it comes back. Raise brokers again to bring it back, drain" \\
      "it (drainBrokers), then lower brokers."
    exit 1
  fi
  say "$pod is being scaled away but broker $node_id still holds" \\
    "$count partition replica(s): $first; waiting for a reassignment" \\
    "(drainBrokers) to move them, $((wait_seconds - elapsed))s left"
  sleep "$poll"
done
`;
