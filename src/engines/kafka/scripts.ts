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

mkdir -p "$(dirname "$config")"
sed -e "s/@NODE_ID@/$node_id/g" -e "s/@POD_NAME@/$pod/g" \\
  "$template" > "$config.tmp"
mv "$config.tmp" "$config"
echo "start: node.id=$node_id pod=$pod cluster.id=$cluster_id"

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
  "$kafka_home/bin/kafka-storage.sh" format --cluster-id "$cluster_id" \\
    --config "$config" --ignore-formatted
fi

exec "$kafka_home/bin/kafka-server-start.sh" "$config"
`;
