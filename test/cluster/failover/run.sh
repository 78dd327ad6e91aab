#!/usr/bin/env bash
# Failover harness: the rendered Patroni Postgres (examples/postgres) on a running test control plane,
# with three real Patroni + PostgreSQL 15 processes on 127.0.0.1, one per StatefulSet pod. See
# README.md in the directory above ("Failover harness").
#   bash test/cluster/failover/run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]
# <state-dir> is a control plane started by up.sh (its kubeconfig and pids), <bin-dir> its binaries.
# Installs what is missing (as root: postgresql-15 with apt; Patroni, pinned, into a venv made from
# /usr/bin/python3). Prints PASS/FAIL lines, last `N passed, M failed`; exits 1 on any failure.
# Env: CDK8S_STATEFUL_CACHE, CLUSTER_TEST_KEEP=1 (keep objects and the work directory),
#      CLUSTER_TEST_WAIT_SECONDS (per wait, default 180)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
state="${1:?usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]}"
bin="${2:?usage: run.sh <state-dir> <bin-dir> [manifest.k8s.yaml]}"
manifest="${3:-$root/examples/postgres/dist/orders.k8s.yaml}"
cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}"
pg_major=15
pg_bin="/usr/lib/postgresql/$pg_major/bin"
python=/usr/bin/python3
state="$(cd "$state" && pwd)"
bin="$(cd "$bin" && pwd)"
cd "$root"

setup_fail() {
  echo "FAIL [failover] setup: $*"
  echo "0 passed, 1 failed"
  exit 1
}
t0=$(date +%s)

# --- system packages: PostgreSQL (Debian's), Python with venv
need=()
[[ -x $pg_bin/postgres && -x $pg_bin/pg_rewind && -x $pg_bin/pg_basebackup ]] || need+=("postgresql-$pg_major")
[[ -x $python ]] || need+=(python3)
{ [[ -x $python ]] && "$python" -c 'import ensurepip, venv' 2>/dev/null; } || need+=(python3-venv)
if [[ ${#need[@]} -gt 0 ]]; then
  [[ $(id -u) == 0 ]] || setup_fail "needs ${need[*]} (apt-get install, as root)"
  echo "failover: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null || setup_fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    setup_fail "apt-get install ${need[*]} failed"
fi
[[ -x $bin/kubectl ]] || setup_fail "no kubectl in $bin"
[[ -f $state/kubeconfig && -f $state/pids ]] || setup_fail "$state is no running control plane (no kubeconfig/pids from up.sh)"

# --- who runs Patroni and PostgreSQL (PostgreSQL refuses root): `postgres` when started as root
if [[ $(id -u) == 0 ]]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || useradd --system --create-home "$user" || setup_fail "cannot create the user $user"
else
  user="$(id -un)"
fi

# --- the Patroni venv (pinned), where that user can read it: the cache, unless the cache is under a
# home the user cannot enter (root's home is 0700), then /opt/cdk8s-stateful
key="$(cat "$here/requirements.txt" <("$python" -VV) | sha256sum | cut -c1-16)"
mkdir -p "$cache"
venv_root="$cache"
if [[ $(id -u) == 0 ]] && ! runuser -u "$user" -- test -x "$cache"; then venv_root=/opt/cdk8s-stateful; fi
venv="$venv_root/patroni-venv-$key"
install_venv() {
  [[ -f $venv/.complete ]] && return 0
  echo "failover: installing Patroni (requirements.txt) into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$venv_root"
  chmod 755 "$venv_root"
  "$python" -m venv "$venv" &&
    "$venv/bin/pip" install --disable-pip-version-check --no-input -q --no-deps -r "$here/requirements.txt" &&
    "$venv/bin/pip" check >/dev/null &&
    chmod -R a+rX "$venv" &&
    touch "$venv/.complete"
}
if command -v flock >/dev/null; then
  export -f install_venv; export venv venv_root python here
  flock "$cache/.lock" bash -c install_venv || setup_fail "could not install Patroni into $venv"
else
  install_venv || setup_fail "could not install Patroni into $venv"
fi
"$venv/bin/patroni" --version >/dev/null 2>&1 || setup_fail "$venv/bin/patroni does not run"
if [[ $(id -u) == 0 ]]; then
  runuser -u "$user" -- "$venv/bin/python" -c 'import patroni, psycopg2' ||
    setup_fail "the user $user cannot use $venv"
fi

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
