import { SCALE_DOWN_CHECK_FUNCTION, SCALED_AWAY } from '../scale-down';
import { TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE, TLS_PEM_BUNDLE_FUNCTION, TLS_WATCH_FUNCTION } from '../tls-kit';

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

/** The composed PEM keystore (private key, then certificate chain) and truststore, in `TLS_STORE_DIR`. */
export const KEYSTORE_FILE = 'keystore.pem';
export const TRUSTSTORE_FILE = 'truststore.pem';

/**
 * The server container's command. With TLS it composes the PEM keystore first (a key that is not
 * PKCS#8 stops the container here, with the reason in its log) and watches the mounted Secret for
 * renewals; the authentication bootstrap runs in the background; then the server replaces the shell.
 */
export const START_SH = `#!/bin/sh
# Starts a Cassandra node.
#   TLS_STORE_DIR  with TLS: where tls.sh composes the PEM keystore and truststore
set -eu
scripts="$(dirname "$0")"
${TLS_WATCH_FUNCTION}
if [ -n "\${TLS_STORE_DIR:-}" ]; then
  "$scripts/tls.sh"
  # cert-manager renews the Secret: compose again and have the node reload it, no restart.
  tls_watch "$scripts/tls.sh" reload
fi
"$scripts/auth.sh" &
exec cassandra -f
`;

/**
 * Composes what Cassandra's PEMBasedSslContextFactory reads: one file with the private key and the
 * certificate chain (the Secret keeps them apart), and the CA as truststore, in a writable
 * directory. It refuses a key that is not unencrypted PKCS#8. With \`reload\` it then has the
 * running node reload both (\`nodetool reloadssl\`: 4.1 and later; without it Cassandra's own
 * check of the files' times picks them up within 10 minutes).
 */
export const TLS_SH = `#!/bin/sh
# Composes the PEM keystore and truststore from the mounted TLS Secret; 'reload': then reloads them.
#   TLS_STORE_DIR  the writable directory Cassandra reads ${KEYSTORE_FILE} and ${TRUSTSTORE_FILE} from
set -eu
: "\${TLS_STORE_DIR:?TLS_STORE_DIR is not set}"
for file in ${TLS_CERT_FILE} ${TLS_KEY_FILE} ${TLS_CA_FILE}; do
  if [ ! -r "$file" ]; then echo "tls: cannot read $file (the TLS Secret needs tls.crt, tls.key and ca.crt)" >&2; exit 1; fi
done
${TLS_PEM_BUNDLE_FUNCTION}
mkdir -p "$TLS_STORE_DIR"
tls_pem_bundle "$TLS_STORE_DIR/${KEYSTORE_FILE}" pkcs8
# Replaced whole: a reload never reads half of it.
(umask 077 && cat ${TLS_CA_FILE} > "$TLS_STORE_DIR/${TRUSTSTORE_FILE}.new")
mv -f "$TLS_STORE_DIR/${TRUSTSTORE_FILE}.new" "$TLS_STORE_DIR/${TRUSTSTORE_FILE}"
echo "tls: keystore and truststore composed in $TLS_STORE_DIR"
if [ "\${1:-}" = reload ]; then
  MAX_HEAP_SIZE=128M HEAP_NEWSIZE=32M nodetool reloadssl
  echo "tls: the node reloaded its certificates"
fi
`;

/**
 * Authentication bootstrap, in the background of every start, idempotent, and safe with several
 * nodes doing it at once. Once CQL answers it logs in as the generated superuser, or else as the
 * default one (cassandra/cassandra); creates the generated superuser if it is missing; only once a
 * login as it works does it disable the default one (LOGIN and SUPERUSER false), so the ring is
 * never left without a superuser. Then it raises system_auth to NetworkTopologyStrategy with
 * \`AUTH_REPLICATION\` replicas in this datacenter (never more than its live nodes, never lowering
 * what is there) and repairs it, so that logins survive the loss of a node. Passwords travel in
 * files of a private directory (cqlsh's credentials file, a CQL file), never in argv.
 */
export const AUTH_SH = `#!/bin/sh
# Creates the generated superuser and disables the default one; replicates system_auth.
#   ADMIN_USER, ADMIN_PASSWORD  the generated superuser (the password from the credentials Secret)
#   POD_IP                      where this node serves CQL
#   CASSANDRA_DC                this node's datacenter
#   AUTH_REPLICATION            replicas of system_auth in the datacenter (at most 3)
#   CQLSH_CA_FILE               with TLS: cqlsh connects over TLS and verifies the node with this CA
#   CQLSH_PASSWORD_IN_CQLSHRC   'true' for cqlsh 4.0, which knows no credentials file
#   AUTH_RETRY_SECONDS          between attempts while the node is not serving yet (default 10)
#   CASSANDRA_CONF              the configuration directory: the seeds are read from its cassandra.yaml
set -u
: "\${ADMIN_USER:?ADMIN_USER is not set}"
: "\${ADMIN_PASSWORD:?ADMIN_PASSWORD is not set}"
: "\${POD_IP:?POD_IP is not set}"
: "\${CASSANDRA_DC:?CASSANDRA_DC is not set}"
MAX_HEAP_SIZE=128M
HEAP_NEWSIZE=32M
export MAX_HEAP_SIZE HEAP_NEWSIZE
log() { echo "auth-bootstrap: $*"; }
umask 077
work="$(mktemp -d "\${TMPDIR:-/tmp}/auth-bootstrap.XXXXXX")" || exit 1
trap 'rm -rf "$work"' EXIT

rc() { # <name> <user> <password>: a cqlshrc and credentials file for that user
  printf '[plain_text_auth]\\nusername = %s\\npassword = %s\\n' "$2" "$3" > "$work/$1.credentials"
  {
    printf '[authentication]\\ncredentials = %s\\n' "$work/$1.credentials"
    if [ "\${CQLSH_PASSWORD_IN_CQLSHRC:-}" = true ]; then printf 'username = %s\\npassword = %s\\n' "$2" "$3"; fi
    printf '[connection]\\nrequest_timeout = 60\\n'
    if [ -n "\${CQLSH_CA_FILE:-}" ]; then
      printf 'ssl = true\\n[ssl]\\ncertfile = %s\\nvalidate = true\\n' "$CQLSH_CA_FILE"
    fi
  } > "$work/$1.cqlshrc"
}
rc admin "$ADMIN_USER" "$ADMIN_PASSWORD"
rc default cassandra cassandra
cql() { # <name> <cqlsh args...>: cqlsh as that user; HOME for its history
  name="$1"; shift
  HOME="$work" cqlsh --cqlshrc "$work/$name.cqlshrc" "$@" "$POD_IP" 9042
}
# system_auth.roles as 'role|can_login|is_superuser' lines
roles() { cql "$1" -e 'SELECT role, can_login, is_superuser FROM system_auth.roles' > "$work/out" 2>&1 && tr -d ' ' < "$work/out" > "$work/roles"; }

# Seeds join a new ring without streaming: a role written before every seed is in the ring may land
# in ranges a seed then takes over with no data, and nobody could log in. So roles are created only
# once every seed is Up/Normal; nodes that join later stream system_auth like any keyspace.
seeds_up() {
  status="$(nodetool status 2>/dev/null)" || return 1
  for seed in $(sed -n 's/.*seeds: "\\([^"]*\\)".*/\\1/p' "\${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml" | tr ',' ' '); do
    case "$seed" in
      *[!0-9.]*) ip="$(getent hosts "$seed" | awk '{ print $1; exit }')" ;;
      *) ip="$seed" ;;
    esac
    if [ -z "$ip" ] || ! printf '%s\n' "$status" | grep -q "^UN  *$ip "; then
      log "waiting for seed $seed (\${ip:-not resolved}) to be Up/Normal before creating roles"; return 1
    fi
  done
}

bootstrap() {
  if roles admin; then
    session='admin'
  elif roles default; then
    session='default'
  else
    log "no login yet as $ADMIN_USER or the default superuser: $(grep -v '^$' "$work/out" | tail -n 1)"
    return 1
  fi
  # An authenticator that asks for no password (passwordAuthentication false) lets any login in:
  # the role's row, not the login, tells whether it exists.
  if ! grep -q "^$ADMIN_USER|" "$work/roles"; then
    seeds_up || return 1
    password="$(printf '%s' "$ADMIN_PASSWORD" | sed "s/'/''/g")"
    printf "CREATE ROLE IF NOT EXISTS \\"%s\\" WITH PASSWORD = '%s' AND SUPERUSER = true AND LOGIN = true;\\n" "$ADMIN_USER" "$password" > "$work/create.cql"
    if ! cql "$session" -f "$work/create.cql" > "$work/out" 2>&1; then
      log "creating the superuser $ADMIN_USER failed: $(tail -n 1 "$work/out")"; return 1
    fi
    rm -f "$work/create.cql"
    log "created the superuser $ADMIN_USER"
  fi
  # Never lock the ring out: the default superuser is disabled only once the new one logs in.
  if ! roles admin || ! grep -q "^$ADMIN_USER|True|True$" "$work/roles"; then
    log "$ADMIN_USER cannot log in as a superuser yet: $(tail -n 1 "$work/out")"; return 1
  fi
  if grep -q '^cassandra|' "$work/roles" && ! grep -q '^cassandra|False|False$' "$work/roles"; then
    if ! cql admin -e 'ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false' > "$work/out" 2>&1; then
      log "disabling the default superuser failed: $(tail -n 1 "$work/out")"; return 1
    fi
    log "disabled the default superuser cassandra (no login, no superuser)"
  fi
}

# system_auth: NetworkTopologyStrategy, up to AUTH_REPLICATION replicas here, never lowered.
# Returns 0 once it has AUTH_REPLICATION (or is not ours to change), 2 while the datacenter has
# fewer nodes up than that, 1 on an error.
replicate() {
  if ! cql admin -e "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'" > "$work/out" 2>&1; then
    log "reading system_auth's replication failed: $(tail -n 1 "$work/out")"; return 1
  fi
  current="$(sed -n "s/.*'\\(replication_factor\\|$CASSANDRA_DC\\)': '\\([0-9]*\\)'.*/\\2/p" "$work/out" | head -n 1)"
  others="$(grep -o "'[^']*': '[0-9]*'" "$work/out" | grep -v "^'\\(replication_factor\\|$CASSANDRA_DC\\)'" | head -n 1)"
  if [ -n "$others" ]; then
    log "system_auth is replicated to other datacenters too ($others): left as it is"; return 0
  fi
  if grep -q NetworkTopologyStrategy "$work/out" && [ "\${current:-0}" -ge "\${AUTH_REPLICATION:-3}" ]; then
    log "system_auth keeps its replication ($current in $CASSANDRA_DC)"; return 0
  fi
  live="$(nodetool status 2>/dev/null | awk -v dc="$CASSANDRA_DC" '/^Datacenter: / { here = ($2 == dc) } here && /^UN / { n++ } END { print n + 0 }')"
  want="\${AUTH_REPLICATION:-3}"
  if [ "$live" -lt "$want" ]; then want="$live"; fi
  if [ "$want" -lt 1 ]; then log "nodetool status shows no node up in $CASSANDRA_DC"; return 1; fi
  if grep -q NetworkTopologyStrategy "$work/out" && [ "\${current:-0}" -ge "$want" ]; then return 2; fi
  if [ "\${current:-0}" -gt "$want" ]; then want="$current"; fi
  if ! cql admin -e "ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', '$CASSANDRA_DC': $want}" > "$work/out" 2>&1; then
    # A node joining makes Cassandra refuse to change a replication factor: retried.
    log "replicating system_auth failed (retrying): $(tail -n 1 "$work/out")"; return 1
  fi
  log "system_auth replicated: NetworkTopologyStrategy, $want in $CASSANDRA_DC (was \${current:-?}); repairing it"
  if nodetool repair -full system_auth > "$work/out" 2>&1; then
    log "system_auth repaired"
  else
    log "repairing system_auth failed (run 'nodetool repair -full system_auth'): $(tail -n 1 "$work/out")"
  fi
  if [ "$want" -lt "\${AUTH_REPLICATION:-3}" ]; then return 2; fi
  return 0
}

tries=0
until bootstrap; do
  tries=$((tries + 1))
  # Every 10 s while the node starts, then every minute (a wrong password in the Secret, say).
  if [ "$tries" -lt 30 ]; then sleep "\${AUTH_RETRY_SECONDS:-10}"; else sleep 60; fi
done
# While the ring has fewer nodes than AUTH_REPLICATION it watches it grow, and raises the
# replication and repairs as nodes join: a seed joins without streaming, so until then the roles
# written before it came may be on the other nodes only.
checks=0
while :; do
  replicate
  case $? in
    0) break ;;
    1) sleep "\${AUTH_RETRY_SECONDS:-10}" ;;
    *) checks=$((checks + 1))
       if [ "$checks" -lt 30 ]; then sleep "\${AUTH_RECHECK_SECONDS:-60}"; else sleep 600; fi ;;
  esac
done
log "done"
`;
