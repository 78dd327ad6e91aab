/**
 * Scripts of the Postgres pods, shipped in the JS package as template strings and written into the
 * `<name>-scripts` ConfigMap. The failover harness (test/cluster/failover) runs them from the
 * synthesized ConfigMap with real Patroni and PostgreSQL.
 *
 * Everything they need comes from the environment or their arguments, so the pod spec and the
 * harness are the only places where paths and addresses are decided.
 */
import { TLS_WATCH_FUNCTION } from '../tls-kit';

/**
 * Patroni's `bootstrap.post_bootstrap`: run once, on the member that initialized the cluster, with a
 * connection string as its argument. Creates the database of the `database` prop. Idempotent.
 */
export const POST_BOOTSTRAP_SCRIPT = `#!/bin/sh
# Run by Patroni once, after initdb on the first primary, with a superuser connection string as $1:
# creates the database that the 'database' prop names.
set -eu
: "\${1:?usage: post-bootstrap.sh <connection string>}" "\${POSTGRES_DB:?}"
if [ "$POSTGRES_DB" = postgres ]; then exit 0; fi
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --dbname="$1" --set=db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec
SQL
echo "post-bootstrap: database $POSTGRES_DB ready"
`;

/**
 * postStart of every server container: makes the cluster's dynamic configuration what the props
 * rendered. Patroni reads \`bootstrap.dcs\` only when the cluster is first created, and takes the
 * settings that must match on every member (max_connections, ...) from the cluster's configuration
 * only: without this, a changed prop would never reach a running cluster.
 */
export const APPLY_CONFIG_SCRIPT = `#!/bin/sh
# postStart of every Postgres pod: replaces the cluster's dynamic configuration (which Patroni keeps
# in the <scope>-config ConfigMap) with the rendered one, so that an edited prop reaches a running
# cluster. Changes made with 'patronictl edit-config' are undone here: edit the props instead.
# Bounded and never failing: a pod must start even while the Kubernetes API is out of reach.
set -u
config="\${PATRONI_CONFIG_FILE:-/etc/patroni/patroni.yml}"
wanted="\${PATRONI_DYNAMIC_FILE:-/etc/patroni/dynamic.yml}"
tries="\${APPLY_CONFIG_TRIES:-60}"
i=0
while [ "$i" -lt "$tries" ]; do
  # Empty until the first member has created the cluster (from the same values).
  if [ -n "$(patronictl -c "$config" show-config 2>/dev/null)" ] &&
    patronictl -c "$config" edit-config --quiet --force --replace "$wanted" >/dev/null; then
    echo "apply-config: the cluster's configuration is $wanted"
    exit 0
  fi
  sleep 2
  i=$((i + 1))
done
echo "apply-config: could not apply $wanted; the next pod to start will" >&2
exit 0
`;

/**
 * The server container's command when the `tls` prop is set, with the data directory and
 * patroni.yml as arguments: Patroni, plus a watch that makes a renewed certificate take effect
 * without a restart. PostgreSQL re-reads its ssl_* files on a reload (SIGHUP); Patroni re-reads its
 * REST API certificate on SIGHUP (and reloads PostgreSQL too, but only once its loop gets to it,
 * so the server is reloaded directly as well).
 */
export const TLS_START_SCRIPT = `#!/bin/sh
# The Postgres server container's command with TLS: Patroni, and tls_watch, which reloads PostgreSQL
# and Patroni when cert-manager renews the mounted certificate (no restart, connections stay up).
set -eu
data="\${1:?usage: start.sh <data directory> <patroni.yml>}"
config="\${2:?usage: start.sh <data directory> <patroni.yml>}"
${TLS_WATCH_FUNCTION}
# $1: Patroni's process (this shell's, after exec). Fails while PostgreSQL is not running, so the
# watch tries again at its next check (a server that starts later reads the new files anyway).
reload_tls() {
  kill -HUP "$1" || echo "tls-watch: could not signal Patroni ($1)" >&2
  pg_ctl reload -s -D "$data"
}
tls_watch reload_tls "$$"
exec patroni "$config"
`;
