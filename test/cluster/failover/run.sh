#!/usr/bin/env bash
# Failover harness: the rendered Patroni Postgres (examples/postgres) on a running test control plane,
# with three real Patroni + PostgreSQL 15 processes on 127.0.0.1, one per StatefulSet pod. See
# README.md in the directory above ("Failover harness").
#   bash test/cluster/failover/run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]
# <state-dir> is a control plane started by up.sh (its kubeconfig and pids), <bin-dir> its binaries.
# Installs what is missing through test/integration/postgres/setup.sh (as root: postgresql-15 with
# apt; Patroni, pinned, into a venv made from /usr/bin/python3). Prints PASS/FAIL lines, last `N passed, M failed`; exits 1 on any failure.
# Env: CDK8S_STATEFUL_CACHE, CLUSTER_TEST_KEEP=1 (keep objects and the work directory),
#      CLUSTER_TEST_WAIT_SECONDS (per wait, default 180)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib/patroni-stage.sh
. "$here/../lib/patroni-stage.sh"
patroni_stage failover "$@"
pg_bin="$PG_BIN"
user="$PG_USER"
venv="$PATRONI_VENV"

# --- the rendering
if [[ ! -f $manifest ]]; then
  [[ $# -lt 3 ]] || setup_fail "no such manifest: $manifest"
  echo "failover: no $manifest yet: running npm run synth" >&2
  npm run synth >&2 || setup_fail "npm run synth failed"
  [[ -f $manifest ]] || setup_fail "npm run synth wrote no $manifest"
fi

# Pre-bound volumes for the StatefulSet's claims (no provisioner in the test cluster), as the driver makes them.
TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json "$root/test/cluster/static-volumes.ts" \
  "$work/volumes.yaml" "$manifest" >&2 || setup_fail "static-volumes.ts failed for $manifest"
echo "     [failover] setup $(( $(date +%s) - t0 ))s: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $("$venv/bin/patroni" --version), venv $venv, Patroni runs as $user"

"$venv/bin/python" "$here/harness.py" --state "$state" --bin "$bin" --manifest "$manifest" --volumes "$work/volumes.yaml" \
  --work "$work" --pg-bin "$pg_bin" --pg-version "$("$pg_bin/postgres" --version | awk '{print $3}')" \
  --venv "$venv" --user "$user"
