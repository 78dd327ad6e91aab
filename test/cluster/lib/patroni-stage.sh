# shellcheck shell=bash
# What the failover and backup stages share: their arguments, the PostgreSQL and Patroni setup of the
# integration stage, a work directory readable by the user that runs Patroni, and a cleanup that
# stops whatever a killed harness left running. Source it, then call `patroni_stage <stage> "$@"`:
#   sets root, state, bin, manifest, work, t0 and (from setup.sh) PG_BIN, PG_USER, PATRONI_VENV;
#   defines setup_fail.
patroni_stage() {
  stage=$1
  shift
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
  local usage="usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]"
  state="${1:?$usage}"
  bin="${2:?$usage}"
  manifest="${3:-$root/examples/postgres/dist/orders.k8s.yaml}"
  state="$(cd "$state" && pwd)"
  bin="$(cd "$bin" && pwd)"
  t0=$(date +%s)
  cd "$root" || exit 1
  [[ -x $bin/kubectl ]] || setup_fail "no kubectl in $bin"
  [[ -f $state/kubeconfig && -f $state/pids ]] || setup_fail "$state is no running control plane (no kubeconfig/pids from up.sh)"
  # PostgreSQL 15 (Debian's), the user that runs it (it refuses root) and Patroni in a pinned venv:
  # the same setup as the integration stage's Postgres checks.
  # shellcheck source-path=SCRIPTDIR source=../../integration/postgres/setup.sh
  . "$root/test/integration/postgres/setup.sh"
  postgres_setup || setup_fail "see the lines above"
  work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-$stage.XXXXXX")"
  chmod 755 "$work"
  trap patroni_stage_cleanup EXIT
  trap 'exit 130' INT TERM
}

setup_fail() {
  echo "FAIL [$stage] setup: $*"
  echo "0 passed, 1 failed"
  exit 1
}

patroni_stage_cleanup() {
  local rc=$? pgid file
  set +e
  # The harness stops what it started; if it was killed itself, stop the process groups it recorded
  # (Patroni's, the backup agents'; Patroni's postmasters run in sessions of their own and are found
  # by their data directory), and never leave the API server stopped.
  kill -CONT "$(awk '$2 == "kube-apiserver" {print $1}' "$state/pids")" 2>/dev/null
  for file in "$work/pgids" "$work"/*/pgids; do
    [[ -f $file ]] || continue
    while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null; done < "$file"
  done
  for file in "$work"/*/volumes/*/*/postmaster.pid "$work"/*/*/volumes/*/*/postmaster.pid; do
    [[ -f $file ]] || continue
    pgid="$(head -n1 "$file")"
    [[ -n $pgid ]] && grep -qF "$work" "/proc/$pgid/cmdline" 2>/dev/null && kill -KILL -- "-$pgid" 2>/dev/null
  done
  if [[ ${CLUSTER_TEST_KEEP:-0} == 1 ]]; then echo "$stage: work directory kept in $work" >&2; else rm -rf "$work"; fi
  return "$rc"
}
