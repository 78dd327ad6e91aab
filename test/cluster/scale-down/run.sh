#!/usr/bin/env bash
# "Am I being scaled away?" on a real API server, with the rendered Role and nothing more.
#   bash test/cluster/scale-down/run.sh <state-dir> <bin-dir> <dist-dir>...
# For every StatefulSet of the applied examples whose pods may `get` their own statefulsets/scale
# (the Role grantScaleDownCheck renders: Cassandra racks, Kafka brokers), as the pods' own
# ServiceAccount (a token from `kubectl create token`): the library's check script answers
# "restart" for its highest pod and "scaled-away" for the next ordinal; after `kubectl scale` one
# lower, the highest pod answers "scaled-away" and pod 0 "restart"; the set is scaled back. The same
# token is refused everything else (the StatefulSet itself, patching the scale, other sets' scale,
# Secrets), and the check, asked about a set the Role does not name, answers "restart" (HTTP 403).
# Prints PASS/FAIL lines and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
state=$1 bin=$2; shift 2
export KUBECONFIG="$state/kubeconfig"
kubectl() { "$bin/kubectl" "$@"; }
passed=0 failed=0
pass() { echo "PASS [scale-down] $*"; passed=$((passed + 1)); }
fail() { echo "FAIL [scale-down] $*"; failed=$((failed + 1)); }

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-scale-down.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The script every engine's stop hook runs (SCALE_DOWN_CHECK_SCRIPT), as the library renders it.
(cd "$root" && TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json \
  -e "process.stdout.write(require('./src/engines/scale-down').SCALE_DOWN_CHECK_SCRIPT)") > "$work/check.sh"
server="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
host_port="${server#https://}"
ca="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')"

# The Roles that grant the check, from the manifests: namespace, Role, ServiceAccount, StatefulSets.
node - "$@" > "$work/grants" <<'JS'
const fs = require('fs'); const path = require('path'); const YAML = require('yaml');
const objects = process.argv.slice(2).flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.k8s.yaml'))
  .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(d, f), 'utf8')).map((doc) => doc.toJSON()).filter(Boolean)));
for (const role of objects.filter((o) => o.kind === 'Role')) {
  const rule = (role.rules || []).find((r) => (r.resources || []).includes('statefulsets/scale'));
  if (!rule) continue;
  const ns = role.metadata.namespace || 'default';
  const binding = objects.find((o) => o.kind === 'RoleBinding' && (o.metadata.namespace || 'default') === ns && o.roleRef.name === role.metadata.name);
  const account = binding && binding.subjects.find((s) => s.kind === 'ServiceAccount');
  for (const set of rule.resourceNames) console.log([ns, role.metadata.name, account ? account.name : '-', set, rule.resourceNames.join(',')].join(' '));
}
JS
[[ -s $work/grants ]] || { fail "no Role grants statefulsets/scale in $*: nothing to check"; echo "$passed passed, $failed failed"; exit 1; }

# The driver removes each example when it is done with it: apply the ones with grants again (their
# StatefulSets' counts and the Roles are what matters; pods need not run), and remove them at the end.
namespaces=()
for d in "$@"; do
  for ns in $(node -e '
    const fs = require("fs"); const path = require("path"); const YAML = require("yaml"); const seen = new Set();
    for (const f of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".k8s.yaml")))
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(process.argv[1], f), "utf8")))
        { const o = doc.toJSON(); if (o && o.metadata && o.metadata.namespace) seen.add(o.metadata.namespace); }
    console.log([...seen].join(" "));' "$d"); do
    if ! kubectl get namespace "$ns" >/dev/null 2>&1; then kubectl create namespace "$ns" >/dev/null; namespaces+=("$ns"); fi
  done
  kubectl apply --server-side --force-conflicts --field-manager=cdk8s-stateful-scale-down -f "$d" >/dev/null
done
cleanup() { rm -rf "$work"; for ns in "${namespaces[@]}"; do kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

check_as() { # <sa-dir> <pod>: the answer of the rendered check, as that account
  KUBERNETES_SERVICE_HOST="${host_port%:*}" KUBERNETES_SERVICE_PORT="${host_port##*:}" SCALE_DOWN_CHECK_SA_DIR="$1" \
    SCALE_DOWN_CHECK_ATTEMPTS=2 sh "$work/check.sh" "$2" 2>"$work/why" || true
}

while read -r ns role account set sets; do
  if [[ $account == - ]]; then fail "$ns/$role: no RoleBinding to a ServiceAccount"; continue; fi
  replicas="$(kubectl -n "$ns" get statefulset "$set" -o jsonpath='{.spec.replicas}')"
  if [[ -z $replicas || $replicas -lt 1 ]]; then fail "$ns/$set: not applied or no replicas"; continue; fi
  sa="$work/$ns-$set"
  mkdir -p "$sa"
  kubectl -n "$ns" create token "$account" --duration=10m > "$sa/token"
  cp "$ca" "$sa/ca.crt"
  printf '%s' "$ns" > "$sa/namespace"
  as=(--as="system:serviceaccount:$ns:$account" -n "$ns")
  last=$((replicas - 1))

  t0=$(date +%s%N)
  before_last="$(check_as "$sa" "$set-$last")"; before_next="$(check_as "$sa" "$set-$replicas")"
  ms=$(( ($(date +%s%N) - t0) / 2000000 ))
  if [[ $before_last == restart && $before_next == scaled-away ]]; then
    pass "$ns/$set ($replicas replicas) as $account: $set-$last answers restart, $set-$replicas scaled-away (${ms} ms per check)"
  else
    fail "$ns/$set before the scale-down: $set-$last '$before_last', $set-$replicas '$before_next': $(cat "$work/why")"
  fi

  if (( replicas > 1 )); then
    kubectl -n "$ns" scale statefulset "$set" --replicas="$last" >/dev/null
    after_last="$(check_as "$sa" "$set-$last")"; after_first="$(check_as "$sa" "$set-0")"
    kubectl -n "$ns" scale statefulset "$set" --replicas="$replicas" >/dev/null
    if [[ $after_last == scaled-away && $after_first == restart ]]; then
      pass "$ns/$set scaled to $last: $set-$last answers scaled-away, $set-0 restart; scaled back to $replicas"
    else
      fail "$ns/$set after the scale-down to $last: $set-$last '$after_last', $set-0 '$after_first': $(cat "$work/why")"
    fi
  fi

  # The rendered Role and nothing more.
  denied=()
  for verb_resource in "get statefulsets/$set" "patch statefulsets/$set" "list statefulsets" "get secrets" "create pods" "create pods/exec" "delete pods"; do
    # shellcheck disable=SC2086 # verb and resource are two words on purpose
    if [[ $(kubectl auth can-i $verb_resource "${as[@]}" 2>/dev/null || true) != no ]]; then denied+=("$verb_resource"); fi
  done
  if [[ $(kubectl auth can-i get "statefulsets/$set" --subresource=scale "${as[@]}" 2>/dev/null || true) != yes ]]; then denied+=("(not allowed its own get statefulsets/$set/scale)"); fi
  if [[ $(kubectl auth can-i patch "statefulsets/$set" --subresource=scale "${as[@]}" 2>/dev/null || true) != no ]]; then denied+=("patch statefulsets/$set/scale"); fi
  other="$(kubectl -n "$ns" get statefulsets -o name | sed 's|.*/||' | grep -vxF -f <(tr ',' '\n' <<<"$sets") | head -n1 || true)"
  if [[ -n $other && $(kubectl auth can-i get "statefulsets/$other" --subresource=scale "${as[@]}" 2>/dev/null || true) != no ]]; then
    denied+=("get statefulsets/$other/scale")
  fi
  if (( ${#denied[@]} == 0 )); then
    pass "$ns/$account may get statefulsets/scale of ${sets//,/ and } and nothing else checked (not the set, not patch, not ${other:-another set}'s scale, not secrets, pods or exec)"
  else
    fail "$ns/$account is allowed more than its check needs: ${denied[*]}"
  fi
  if [[ -n $other ]]; then
    answer="$(check_as "$sa" "$other-0")"
    if [[ $answer == restart ]] && grep -q forbidden "$work/why"; then
      pass "$ns/$account asking about $other (not in its Role): restart, because the API refuses it ($(tr -d '\n' < "$work/why"))"
    else
      fail "$ns/$account asking about $other: '$answer' ($(cat "$work/why"))"
    fi
  fi
done < "$work/grants"

echo "$passed passed, $failed failed"
(( failed == 0 ))
