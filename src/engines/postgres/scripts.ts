/**
 * Bootstrap scripts of the Postgres pods, shipped in the JS package as template strings and
 * written into the `<name>-scripts` ConfigMap. The integration test (test/integration/postgres)
 * extracts them from the synthesized ConfigMap and runs them against real servers.
 *
 * Everything they need comes from the environment, so the pod spec and the test harness are the
 * only places where paths, hosts and ports are decided.
 */

/**
 * Init container of every pod. On the primary it only checks that the data is a primary's (the
 * image's entrypoint initializes an empty data directory); on a standby with an empty data
 * directory it clones the primary with `pg_basebackup -R -X stream`; on a standby with data it
 * does nothing. It refuses to start a pod whose data does not match its role.
 */
export const BOOTSTRAP_SCRIPT = `#!/bin/sh
# Init container of every Postgres pod: decides the pod's role from its ordinal, and clones the
# primary into an empty standby. Idempotent: with data present it never clones again.
set -eu

: "\${PGDATA:?}" "\${POD_NAME:?}" "\${PRIMARY_ORDINAL:?}" "\${PRIMARY_HOST:?}" "\${PGPASSFILE:?}"
: "\${REPLICATION_USER:?}" "\${REPLICATION_PASSWORD:?}"
: "\${PRIMARY_PORT:=5432}" "\${PRIMARY_WAIT_SECONDS:=600}"

log() { echo "bootstrap[$POD_NAME]: $*"; }
ordinal=\${POD_NAME##*-}
# A line break in the password (a Secret made from a file with a trailing newline) would split
# the .pgpass line and make the role's password differ from what the standbys send.
case "$REPLICATION_PASSWORD" in *"
"*) echo "the replication password contains a line break: recreate the Secret's value without one" >&2; exit 1 ;; esac

# The replication password, for the clone and for a standby's WAL receiver. Rewritten on every
# start (so a changed password is picked up) into the socket directory, never onto the data volume.
umask 077
escaped=$(printf '%s' "$REPLICATION_PASSWORD" | sed 's/[\\\\:]/\\\\&/g')
printf '*:*:*:%s:%s\\n' "$REPLICATION_USER" "$escaped" > "$PGPASSFILE.tmp"
mv -f "$PGPASSFILE.tmp" "$PGPASSFILE"

if [ "$ordinal" = "$PRIMARY_ORDINAL" ]; then
  if [ -f "$PGDATA/standby.signal" ]; then
    log "refusing to start: this pod is the primary but its data directory is a standby's (standby.signal)."
    log "Promote it first (pg_ctl promote, or SELECT pg_promote()), or set 'primary' back to the running primary's ordinal."
    exit 1
  fi
  if [ -s "$PGDATA/PG_VERSION" ]; then
    log "primary: data directory present, starting"
  else
    log "primary: empty data directory, the image's entrypoint initializes it"
  fi
  exit 0
fi

if [ -s "$PGDATA/PG_VERSION" ]; then
  if [ ! -f "$PGDATA/standby.signal" ]; then
    log "refusing to start: this pod is a standby of pod $PRIMARY_ORDINAL, but its data directory is a primary's (no standby.signal)."
    log "It was the primary before a failover and may have diverged: re-clone it by deleting this pod's PersistentVolumeClaim and then the pod."
    exit 1
  fi
  log "standby: data directory present, skipping clone"
  exit 0
fi
if [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
  log "refusing to start: $PGDATA is not empty but holds no database (no PG_VERSION); move its contents away to re-clone."
  exit 1
fi

# Clone into a side directory and rename at the end, so a clone cut short is never taken for data.
clone="$PGDATA.clone"
if [ -e "$clone" ]; then
  log "removing an unfinished clone at $clone"
  rm -rf "$clone"
fi
mkdir -p "$(dirname "$PGDATA")"

waited=0
until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do
  if [ "$waited" -ge "$PRIMARY_WAIT_SECONDS" ]; then
    log "the primary at $PRIMARY_HOST:$PRIMARY_PORT is not ready after \${waited}s: giving up, the pod will retry"
    exit 1
  fi
  if [ $((waited % 30)) -eq 0 ]; then log "waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"; fi
  sleep 2
  waited=$((waited + 2))
done

log "standby: empty data directory, cloning the primary at $PRIMARY_HOST:$PRIMARY_PORT"
pg_basebackup --pgdata="$clone" --write-recovery-conf --wal-method=stream --checkpoint=fast --no-password \\
  --dbname="host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER application_name=$POD_NAME"
chmod 0700 "$clone"
if [ -d "$PGDATA" ]; then rmdir "$PGDATA"; fi
mv "$clone" "$PGDATA"
log "standby: clone complete"
`;

/**
 * Run once by the image's entrypoint (`/docker-entrypoint-initdb.d`) when it initializes the
 * primary's empty data directory: creates the replication role. Idempotent.
 */
export const INIT_REPLICATION_SCRIPT = `#!/bin/sh
# Run by the image's entrypoint when it initializes an empty data directory (the primary only):
# creates the role the standbys replicate as, with the password from the environment.
set -eu
: "\${REPLICATION_USER:?}" "\${REPLICATION_PASSWORD:?}"
# A line break in the password (a Secret made from a file with a trailing newline) would split
# the .pgpass line and make the role's password differ from what the standbys send.
case "$REPLICATION_PASSWORD" in *"
"*) echo "the replication password contains a line break: recreate the Secret's value without one" >&2; exit 1 ;; esac

psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "\${POSTGRES_USER:-postgres}" --dbname postgres \\
  --set=role="$REPLICATION_USER" --set=password="$REPLICATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I WITH REPLICATION LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec
SQL
echo "init-replication: role $REPLICATION_USER ready"
`;

/**
 * preStop of the server: a fast shutdown (the signal Kubernetes sends otherwise may be a smart one),
 * within STOP_TIMEOUT_SECONDS, which the pod sets from its grace period.
 */
export const PRE_STOP_COMMAND = 'pg_ctl stop --pgdata="$PGDATA" --mode=fast --wait --timeout="${STOP_TIMEOUT_SECONDS:-100}" || true';
