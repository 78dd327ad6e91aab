#!/usr/bin/env bash
# Cluster tests: build the control plane (cached) -> start it -> for each example: namespaces,
# server-side apply, checks -> the failover harness (failover/run.sh: real Patroni + PostgreSQL for
# the Postgres example) -> the backup stage (backup/run.sh: real pgBackRest, the backup handshake,
# a restore into a new Patroni cluster) -> the scale-down check (scale-down/run.sh: Cassandra, Kafka)
# -> stop. The last line is `N passed, M failed` (all together); exit 1 on any failure.
#   bash test/cluster/run.sh                      # every examples/*/dist (runs `npm run synth` if missing)
#   bash test/cluster/run.sh examples/foo/dist    # chosen dist directories
#   CLUSTER_TEST_LAYOUT=single bash test/cluster/run.sh
#       one node without zone labels (kind, minikube, k3d) and every examples/*/dist-development,
#       synthesized with CDK8S_STATEFUL_PLACEMENT=development if missing
# Env: CDK8S_STATEFUL_CACHE (binary cache root), CLUSTER_TEST_KEEP=1 (keep objects and state dir),
#      CLUSTER_TEST_WAIT_SECONDS (per wait, default 180), CLUSTER_TEST_LAYOUT (zones or single)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
layout="${CLUSTER_TEST_LAYOUT:-zones}"
case $layout in
  zones) out=dist; placement=high-availability ;;
  single) out=dist-development; placement=development ;;
  *) echo "run.sh: CLUSTER_TEST_LAYOUT must be zones or single, got '$layout'" >&2; exit 2 ;;
esac
export CLUSTER_TEST_LAYOUT=$layout

t0=$(date +%s)
bin="$(bash "$here/build.sh" | tail -n1)"
t_build=$(( $(date +%s) - t0 ))

dirs=("$@")
if [[ ${#dirs[@]} -eq 0 ]]; then
  have_dist() { compgen -G "examples/*/$out/*.k8s.yaml" >/dev/null; }
  if ! have_dist && compgen -G 'examples/*' >/dev/null; then
    echo "run.sh: no examples/*/$out yet: running CDK8S_STATEFUL_PLACEMENT=$placement npm run synth -- --out=$out" >&2
    CDK8S_STATEFUL_PLACEMENT=$placement npm run synth -- --out="$out" >&2
  fi
  for d in examples/*/"$out"; do
    compgen -G "$d/*.k8s.yaml" >/dev/null && dirs+=("$d")
  done
  if [[ ${#dirs[@]} -eq 0 ]]; then
    echo "run.sh: no synthesized examples; checking the harness fixture only" >&2
    dirs=(test/cluster/fixtures/tiny)
  fi
fi

state="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-cluster.XXXXXX")"
cleanup() {
  set +e
  bash "$here/down.sh" "$state"
  if [[ ${CLUSTER_TEST_KEEP:-0} == 1 ]]; then echo "run.sh: state kept in $state" >&2; else rm -rf "$state"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t1=$(date +%s)
if ! bash "$here/up.sh" "$state" "$bin"; then
  echo "FAIL [cluster] start: see the log lines above"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "     [cluster] binaries ${t_build}s (cached: $bin), start $(( $(date +%s) - t1 ))s"

rc=0
KUBECTL="$bin/kubectl" KUBECONFIG="$state/kubeconfig" TS_NODE_TRANSPILE_ONLY=1 \
  npx ts-node --project test/tsconfig.json test/cluster/driver.ts "$state" "${dirs[@]}" | tee "$state/driver.out" || rc=1

# The failover harness (README.md, "Failover harness"): real Patroni + PostgreSQL for the
# Postgres example, on the same control plane, when examples/postgres/dist is among the dist dirs.
failover=0
for d in "${dirs[@]}"; do if [[ $(cd "$d" && pwd) == "$root/examples/postgres/dist" ]]; then failover=1; fi; done
if [[ $layout == single ]]; then
  echo "     [failover] not run on the single node: the harness's three members are placed for high availability" | tee "$state/failover.out"
elif (( failover )); then
  bash "$here/failover/run.sh" "$state" "$bin" | tee "$state/failover.out" || rc=1
else
  echo "     [failover] not run: examples/postgres/dist is not among the dist directories" | tee "$state/failover.out"
fi
# The backup stage (README.md, "Backup stage"): the example's pgBackRest backups through the agents
# and CronJobs' handshake, and a restore into a fresh Patroni cluster, after the failover harness.
if [[ $layout == single ]]; then
  echo "     [backup] not run on the single node: it runs the failover harness's three members" | tee "$state/backup.out"
elif (( failover )); then
  bash "$here/backup/run.sh" "$state" "$bin" | tee "$state/backup.out" || rc=1
else
  echo "     [backup] not run: examples/postgres/dist is not among the dist directories" | tee "$state/backup.out"
fi

# The scale-down check of the stop hooks (scale-down/run.sh), as the pods' own accounts, when an
# example renders it (Cassandra, Kafka).
grants=()
for d in "${dirs[@]}"; do if grep -qs 'statefulsets/scale' "$d"/*.k8s.yaml; then grants+=("$d"); fi; done
if (( ${#grants[@]} )); then
  bash "$here/scale-down/run.sh" "$state" "$bin" "${grants[@]}" | tee "$state/scale-down.out" || rc=1
else
  echo "     [scale-down] not run: no example renders the scale-down check" | tee "$state/scale-down.out"
fi
total() { awk '/^[0-9]+ passed, [0-9]+ failed$/ {p += $1; f += $3} END {print p + 0, f + 0}' "$state/driver.out" "$state/failover.out" "$state/backup.out" "$state/scale-down.out"; }
read -r passed failed < <(total)
echo "$passed passed, $failed failed"
(( rc == 0 && failed == 0 )) || exit 1
