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
root="$(cd "$here/../../.." && pwd)"
state="${1:?usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]}"
bin="${2:?usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]}"
manifest="${3:-$root/examples/postgres/dist/orders.k8s.yaml}"
state="$(cd "$state" && pwd)"
bin="$(cd "$bin" && pwd)"
cd "$root"

setup_fail() {
  echo "FAIL [failover] setup: $*"
  echo "0 passed, 1 failed"
  exit 1
}
t0=$(date +%s)

[[ -x $bin/kubectl ]] || setup_fail "no kubectl in $bin"
[[ -f $state/kubeconfig && -f $state/pids ]] || setup_fail "$state is no running control plane (no kubeconfig/pids from up.sh)"
# PostgreSQL 15 (Debian's), the user that runs it (it refuses root) and Patroni in a pinned venv:
# the same setup as the integration stage's Postgres checks.
# shellcheck source-path=SCRIPTDIR source=../../integration/postgres/setup.sh
. "$root/test/integration/postgres/setup.sh"
postgres_setup || setup_fail "see the lines above"
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

# --- work directory: readable by the user that runs Patroni; the harness makes per-pod directories
work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-failover.XXXXXX")"
chmod 755 "$work"
cleanup() {
  local rc=$? pgid
  set +e
  # The harness stops what it started; if it was killed itself, stop the process groups it
  # recorded (Patroni's; Patroni's postmasters run in sessions of their own and are found by
  # their data directory), and never leave the API server stopped.
  kill -CONT "$(awk '$2 == "kube-apiserver" {print $1}' "$state/pids")" 2>/dev/null
  if [[ -f $work/pgids ]]; then
    while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null; done < "$work/pgids"
  fi
  for pidfile in "$work"/*/volumes/*/*/postmaster.pid; do
    [[ -f $pidfile ]] || continue
    pgid="$(head -n1 "$pidfile")"
    [[ -n $pgid ]] && grep -qF "$work" "/proc/$pgid/cmdline" 2>/dev/null && kill -KILL -- "-$pgid" 2>/dev/null
  done
  if [[ ${CLUSTER_TEST_KEEP:-0} == 1 ]]; then echo "failover: work directory kept in $work" >&2; else rm -rf "$work"; fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pre-bound volumes for the StatefulSet's claims (no provisioner in the test cluster), as the driver makes them.
TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json "$root/test/cluster/static-volumes.ts" \
  "$work/volumes.yaml" "$manifest" >&2 || setup_fail "static-volumes.ts failed for $manifest"
echo "     [failover] setup $(( $(date +%s) - t0 ))s: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $("$venv/bin/patroni" --version), venv $venv, Patroni runs as $user"

"$venv/bin/python" "$here/harness.py" --state "$state" --bin "$bin" --manifest "$manifest" --volumes "$work/volumes.yaml" \
  --work "$work" --pg-bin "$pg_bin" --pg-version "$("$pg_bin/postgres" --version | awk '{print $3}')" \
  --venv "$venv" --user "$user"
