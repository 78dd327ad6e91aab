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
root="$(cd "$here/../../.." && pwd)"
state="${1:?usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]}"
bin="${2:?usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]}"
manifest="${3:-$root/examples/postgres/dist/orders.k8s.yaml}"
state="$(cd "$state" && pwd)"
bin="$(cd "$bin" && pwd)"
cd "$root"

setup_fail() {
  echo "FAIL [backup] setup: $*"
  echo "0 passed, 1 failed"
  exit 1
}
t0=$(date +%s)

[[ -x $bin/kubectl ]] || setup_fail "no kubectl in $bin"
[[ -f $state/kubeconfig && -f $state/pids ]] || setup_fail "$state is no running control plane (no kubeconfig/pids from up.sh)"
[[ -f $manifest ]] || setup_fail "no manifest $manifest (npm run synth)"
# shellcheck source-path=SCRIPTDIR source=../../integration/postgres/setup.sh
. "$root/test/integration/postgres/setup.sh"
postgres_setup || setup_fail "see the lines above"
if ! command -v pgbackrest >/dev/null; then
  [[ $(id -u) == 0 ]] || setup_fail "needs pgbackrest (apt-get install pgbackrest, as root)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null ||
    setup_fail "apt-get install pgbackrest failed"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-backup.XXXXXX")"
chmod 755 "$work"
cleanup() {
  local rc=$? pgid file
  set +e
  # The driver stops what it started; if it was killed itself, stop the process groups it recorded
  # (Patroni's, the agents') and the postmasters of its data directories.
  for file in "$work/pgids" "$work"/*/pgids; do
    [[ -f $file ]] || continue
    while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null; done < "$file"
  done
  for file in "$work"/*/*/volumes/*/*/postmaster.pid; do
    [[ -f $file ]] || continue
    pgid="$(head -n1 "$file")"
    [[ -n $pgid ]] && grep -qF "$work" "/proc/$pgid/cmdline" 2>/dev/null && kill -KILL -- "-$pgid" 2>/dev/null
  done
  if [[ ${CLUSTER_TEST_KEEP:-0} == 1 ]]; then echo "backup: work directory kept in $work" >&2; else rm -rf "$work"; fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
