/*
 * Shell scripts the pods run, shipped in the JS package as template strings and mounted from the
 * `<name>-scripts` ConfigMap. They are plain POSIX sh (the image's /bin/sh is dash) and pass shellcheck.
 */

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
 * preStop: `nodetool drain` flushes memtables and stops accepting writes, so the next start replays
 * no commit log and clients move to other nodes first. A failure only costs a longer next start.
 */
export const DRAIN_SH = `#!/bin/sh
# Flushes and stops this node before the container gets SIGTERM.
if ! MAX_HEAP_SIZE=128M HEAP_NEWSIZE=32M nodetool drain; then
  echo "nodetool drain failed: the commit log is replayed on the next start" >&2
fi
exit 0
`;
