/**
 * Scripts of the Postgres pods, shipped in the JS package as template strings and written into the
 * `<name>-scripts` ConfigMap. The failover harness (test/cluster/failover) runs them from the
 * synthesized ConfigMap with real Patroni and PostgreSQL.
 *
 * Everything they need comes from the environment or their arguments, so the pod spec and the
 * harness are the only places where paths and addresses are decided.
 */

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
