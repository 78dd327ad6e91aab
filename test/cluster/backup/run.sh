#!/usr/bin/env bash
# Backup stage: the Postgres example's pgBackRest backups on a running test control plane, with real
# Patroni, PostgreSQL 15 and pgBackRest (Debian's) on 127.0.0.1, through the failover harness's
# machinery. See README.md in the directory above ("Backup stage").
#   bash test/cluster/backup/run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]
# Installs what is missing (test/integration/postgres/setup.sh; pgbackrest with apt, as root).
# Prints PASS/FAIL lines, last `N passed, M failed`; exits 1 on any failure.
# Env: CDK8S_STATEFUL_CACHE, CLUSTER_TEST_KEEP=1 (keep objects and the work directory),
#      CLUSTER_TEST_WAIT_SECONDS (per wait, default 180)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib/patroni-stage.sh
. "$here/../lib/patroni-stage.sh"
patroni_stage backup "$@"
[[ -f $manifest ]] || setup_fail "no manifest $manifest (npm run synth)"
if ! command -v pgbackrest >/dev/null; then
  [[ $(id -u) == 0 ]] || setup_fail "needs pgbackrest (apt-get install pgbackrest, as root)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null ||
    setup_fail "apt-get install pgbackrest failed"
fi

# The instance that restores the example's backups, rendered with the library (PostgresRestore.latest
# from a claim), and pre-bound volumes for both (no provisioner in the test cluster).
name="$("$PATRONI_VENV/bin/python" -c 'import sys, yaml
print(next(o["metadata"]["name"] for o in yaml.safe_load_all(open(sys.argv[1])) if o and o.get("kind") == "StatefulSet"))' "$manifest")"
TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json "$here/restore-instance.ts" \
  "$work/restored.k8s.yaml" "$manifest" "$name-restored" "$name-backups" >&2 || setup_fail "restore-instance.ts failed"
for m in source:"$manifest" restored:"$work/restored.k8s.yaml"; do
  TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json "$root/test/cluster/static-volumes.ts" \
    "$work/volumes-${m%%:*}.yaml" "${m#*:}" >&2 || setup_fail "static-volumes.ts failed for ${m#*:}"
done
echo "     [backup] setup $(( $(date +%s) - t0 ))s: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $("$PATRONI_VENV/bin/patroni" --version), $(pgbackrest version), runs as $PG_USER"

# No __pycache__ in the source tree (backup.py imports ../failover/harness.py).
PYTHONDONTWRITEBYTECODE=1 "$PATRONI_VENV/bin/python" "$here/backup.py" --state "$state" --bin "$bin" --manifest "$manifest" \
  --volumes "$work/volumes-source.yaml" --restored "$work/restored.k8s.yaml" --restored-volumes "$work/volumes-restored.yaml" \
  --work "$work" --pg-bin "$PG_BIN" --venv "$PATRONI_VENV" --user "$PG_USER"
