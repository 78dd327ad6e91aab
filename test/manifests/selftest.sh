#!/usr/bin/env bash
# Proves that each check in check.sh passes good manifests and catches what it
# is meant to catch: runs check.sh on every fixture and compares its summary
# line (and key messages) with the expectations below.
#   bash test/manifests/selftest.sh
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE/../.." || exit 2
F=test/manifests/fixtures

# fixture | expected schema yaml pss lint ("-" = not asserted) | text that must appear in the output ("" = none)
cases=(
  "$F/good/stateful.k8s.yaml|ok ok ok ok|6 object(s); valid against 1.27: 6/6"
  "$F/good/jobs.k8s.yaml|ok ok ok ok|2 pod template(s) evaluated, 0 violation(s)"
  "$F/bad/unknown-field.k8s.yaml|FAIL ok ok -|('selectr' was unexpected)"
  "$F/bad/missing-required.k8s.yaml|FAIL ok ok -|'port' is a required property"
  "$F/bad/too-new-for-1.27.k8s.yaml|FAIL ok - -|valid against 1.27: 0/1"
  "$F/bad/removed-api.k8s.yaml|FAIL ok - -|flowcontrol.apiserver.k8s.io/v1beta2 for kubernetes version"
  "$F/bad/psa-violations.k8s.yaml|ok ok FAIL -|DaemonSet/node-agent: privileged"
  "$F/bad/yaml11-numbers.k8s.yaml|ok FAIL ok -|configMap.defaultMode: Kubernetes (sigs.k8s.io/yaml) reads 420 (int), YAML 1.2 reads 644 (int)"
  "$F/bad/yaml11-strings.k8s.yaml|FAIL FAIL - -|.data.fsync: Kubernetes (sigs.k8s.io/yaml) reads True (bool), YAML 1.2 reads 'yes' (str)"
  "$F/bad/duplicate-key.k8s.yaml|ok FAIL - -|found duplicate key \"name\""
  "$F/bad/lint-selector-mismatch.k8s.yaml|ok ok ok FAIL|StatefulSet selector labels"
  "$F/bad/custom-resource.k8s.yaml|FAIL ok - -|its CRD's schema: at .deletionPolicy: 'Keep' is not one of ['Delete', 'Retain']"
)

passed=0 failed=0
for c in "${cases[@]}"; do
  IFS='|' read -r file expect text <<<"$c"
  out=$(bash test/manifests/check.sh "$file" 2>&1)
  rc=$?
  read -r es ey ep el <<<"$expect"
  got=$(echo "$out" | sed -n 's/^check.sh summary: *//p')
  ok=true
  for pair in "schema:$es" "yaml:$ey" "pss:$ep" "lint:$el"; do
    name=${pair%%:*} want=${pair#*:}
    [ "$want" = - ] && continue
    echo "$got" | grep -q "\b$name=$want\b" || { ok=false; echo "  $file: expected $name=$want, got: $got"; }
  done
  case "$expect" in *FAIL*) [ $rc -eq 1 ] || { ok=false; echo "  $file: exit $rc, expected 1"; } ;; *) [ $rc -eq 0 ] || { ok=false; echo "  $file: exit $rc, expected 0"; } ;; esac
  if [ -n "$text" ] && ! grep -qF -- "$text" <<<"$out"; then ok=false; echo "  $file: output lacks: $text"; fi
  if $ok; then passed=$((passed + 1)); echo "PASS $file ($got)"; else failed=$((failed + 1)); echo "FAIL $file"; echo "$out" | sed 's/^/    | /'; fi
done

# With no arguments and no synthesized examples, check.sh must refuse to pass.
tmp=$(mktemp -d)
mkdir -p "$tmp/test/manifests" "$tmp/examples/none"
cp test/manifests/check.sh "$tmp/test/manifests/"
if out=$(bash "$tmp/test/manifests/check.sh" 2>&1); then
  failed=$((failed + 1)); echo "FAIL check.sh passed with no manifests"
elif grep -q "no manifests" <<<"$out"; then
  passed=$((passed + 1)); echo "PASS check.sh fails when there are no manifests"
else
  failed=$((failed + 1)); echo "FAIL check.sh with no manifests: $out"
fi
rm -rf "$tmp"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
