import { SCALE_DOWN_CHECK_FUNCTION, SCALED_AWAY } from '../scale-down';

/*
 * Shell scripts the pods run, shipped in the JS package as template strings and mounted from the
 * `<name>-scripts` ConfigMap. They are plain POSIX sh (the image's /bin/sh is dash) and pass shellcheck.
 */

/** Left on the data volume by a node that decommissioned itself; the init container clears the volume when it sees it. */
export const DECOMMISSIONED_MARK = '.decommissioned';

/**
 * Init container: copies the image's configuration directory (cassandra-env.sh, jvm options,
 * logback.xml) into a writable emptyDir, then writes this pod's cassandra.yaml (pod IP filled in)
 * and the cassandra-rackdc.properties of its rack. The root filesystem stays read-only.
 */
export const PREPARE_CONFIG_SH = `#!/bin/sh
# Renders this pod's Cassandra configuration into a writable directory.
#   SOURCE_CONF    the image's configuration directory (copied as the base)
#   RENDERED_CONF  the ConfigMap: cassandra.yaml and rackdc-<rack>.properties
#   TARGET_CONF    the emptyDir that the server mounts as its configuration directory
#   POD_IP         this pod's address (listen_address, broadcast_rpc_address)
#   CASSANDRA_RACK the rack of this pod's StatefulSet
#   CASSANDRA_DATA the data volume (default /var/lib/cassandra)
set -eu
: "\${SOURCE_CONF:?SOURCE_CONF is not set}"
: "\${RENDERED_CONF:?RENDERED_CONF is not set}"
: "\${TARGET_CONF:?TARGET_CONF is not set}"
: "\${POD_IP:?POD_IP is not set}"
: "\${CASSANDRA_RACK:?CASSANDRA_RACK is not set}"

case "$POD_IP" in
  *[!0-9a-fA-F.:]*) echo "POD_IP '$POD_IP' is not an IP address" >&2; exit 1 ;;
esac
rackdc="$RENDERED_CONF/rackdc-$CASSANDRA_RACK.properties"
if [ ! -f "$rackdc" ]; then
  echo "no $rackdc: rack '$CASSANDRA_RACK' is not rendered in the ConfigMap" >&2
  exit 1
fi

# A node that decommissioned itself when its pod was scaled away left this mark on its volume
# (the claim is retained). Cassandra refuses to start a decommissioned node again: now that the
# set has grown back over this ordinal, the node starts empty and bootstraps as a new node.
data="\${CASSANDRA_DATA:-/var/lib/cassandra}"
if [ -f "$data/${DECOMMISSIONED_MARK}" ]; then
  echo "this volume belongs to a node that decommissioned itself ($(cat "$data/${DECOMMISSIONED_MARK}")): its data was streamed to the ring; clearing it so that the node bootstraps anew"
  for dir in data commitlog hints saved_caches cdc_raw; do
    rm -rf "\${data:?}/$dir"
  done
  rm -f "$data/${DECOMMISSIONED_MARK}"
fi

cp -R "$SOURCE_CONF/." "$TARGET_CONF/"
sed "s/__POD_IP__/$POD_IP/g" "$RENDERED_CONF/cassandra.yaml" > "$TARGET_CONF/cassandra.yaml.new"
mv "$TARGET_CONF/cassandra.yaml.new" "$TARGET_CONF/cassandra.yaml"
cp "$rackdc" "$TARGET_CONF/cassandra-rackdc.properties"
echo "configuration for $POD_IP in rack $CASSANDRA_RACK written to $TARGET_CONF"
`;

/**
 * Readiness: this node's own operation mode is NORMAL in `nodetool netstats` (joined and serving:
 * not STARTING, JOINING, LEAVING, MOVING, DRAINING or DRAINED). `nodetool status` would say UN for
 * the local node even once drained, so the mode is the exact signal. nodetool starts a JVM, so it
 * runs with a small heap and a timeout below the probe's.
 */
export const READY_SH = `#!/bin/sh
# Ready when this node is Up and Normal: its operation mode is NORMAL.
set -eu
if ! out=$(MAX_HEAP_SIZE=128M HEAP_NEWSIZE=32M timeout "\${NODETOOL_TIMEOUT:-40}" nodetool netstats 2>&1); then
  echo "nodetool netstats failed: $out"
  exit 1
fi
mode=$(printf '%s\\n' "$out" | sed -n 's/^Mode: *//p' | head -n 1)
if [ "$mode" = "NORMAL" ]; then
  exit 0
fi
echo "this node is '\${mode:-unknown}', not NORMAL (Up/Normal)"
exit 1
`;

/**
 * preStop. A pod being scaled away (its ordinal at or above its StatefulSet's `spec.replicas`,
 * read from the API with the shared scale-down check) leaves the ring: `nodetool decommission`
 * streams its token ranges to the nodes that take them over, then the node stops, and a mark on
 * the volume tells the init container to start afresh if the set ever grows back over this
 * ordinal. Before that it waits until no other node is joining, leaving or moving (racks are
 * separate StatefulSets, so lowering `replicas` removes a node from every rack at once; the racks
 * are staggered by `LEAVE_DELAY` seconds). A StatefulSet scaled to 0 is paused, not shrunk: its
 * nodes drain and keep their data. Any other stop (a restart, an eviction, a rolling
 * update, the check unable to tell) is a restart: `nodetool drain` flushes the memtables and
 * stops accepting writes, so the next start replays no commit log and clients move to other nodes
 * first. A failed decommission falls back to the drain: the node then stays in the ring, down
 * (see docs/engines/cassandra.md, Scaling). The output goes to the server's log (kubectl logs).
 */
export const PRE_STOP_SH = `#!/bin/sh
# Leaves the ring when this pod is being scaled away, else drains it for a restart.
#   POD_NAME        this pod's name: <statefulset>-<ordinal>
#   LEAVE_DELAY     seconds to wait before leaving (this rack's place in the racks' order)
#   CASSANDRA_DATA  the data volume (default /var/lib/cassandra)
#   PRE_STOP_LOG    where its output goes (default the server's stdout: kubectl logs shows it)
log_to="\${PRE_STOP_LOG-/proc/1/fd/1}"
if [ -n "$log_to" ] && [ -w "$log_to" ]; then exec >>"$log_to" 2>&1; fi
MAX_HEAP_SIZE=128M
HEAP_NEWSIZE=32M
export MAX_HEAP_SIZE HEAP_NEWSIZE
data="\${CASSANDRA_DATA:-/var/lib/cassandra}"

${SCALE_DOWN_CHECK_FUNCTION}
log() { echo "preStop: $*"; }

# Another node joining, leaving or moving (nodetool status: UJ, UL, UM, DJ, DL, DM): wait for it.
others_busy() {
  nodetool status 2>/dev/null | grep -E '^[UD][JLM] ' | grep -v " $self_ip " | head -n 1
}

drain() {
  if nodetool drain; then
    log "drained"
  else
    log "nodetool drain failed: the commit log is replayed on the next start"
  fi
  exit 0
}

answer="$(scale_down_check "\${POD_NAME:-$(hostname)}" 2>"\${TMPDIR:-/tmp}/scale-down-check.why")"
why="$(cat "\${TMPDIR:-/tmp}/scale-down-check.why" 2>/dev/null)"
rm -f "\${TMPDIR:-/tmp}/scale-down-check.why"
echo "$why"
# A restart, or a StatefulSet scaled to 0 (paused, not shrunk: the nodes keep their data), drains.
if [ "$answer" != "${SCALED_AWAY}" ]; then
  log "$answer: draining, not leaving the ring"
  drain
fi
self_ip="\${POD_IP:-}"
sleep "\${LEAVE_DELAY:-0}"
while busy="$(others_busy)" && [ -n "$busy" ]; do
  log "waiting for another node's range movement to end before leaving: $busy"
  sleep "\${LEAVE_POLL:-10}"
done
log "scaled away: decommissioning (streaming this node's ranges to the rest of the ring)"
started=$(date +%s)
if nodetool decommission; then
  date -u +%Y-%m-%dT%H:%M:%SZ > "$data/${DECOMMISSIONED_MARK}"
  log "decommissioned in $(($(date +%s) - started)) s: this node has left the ring"
  exit 0
fi
log "nodetool decommission failed after $(($(date +%s) - started)) s: draining; this node stays in the ring, down (DN): see Scaling in the Cassandra docs (nodetool removenode)"
drain
`;
