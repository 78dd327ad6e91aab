#!/usr/bin/env bash
# Runs every engine's real-binary check (test/integration/<engine>/run.sh), or the ones named.
# Each script installs what it needs; this one only runs them and sums up.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

engines=("$@")
if [ ${#engines[@]} -eq 0 ]; then
  # Folders without run.sh are tools of the others (test/integration/s3: the S3 store for pgBackRest).
  for dir in test/integration/*/; do [ -f "$dir/run.sh" ] && engines+=("$(basename "$dir")"); done
fi

passed=0; failed=0; failures=()
for engine in "${engines[@]}"; do
  script="test/integration/$engine/run.sh"
  if [ ! -f "$script" ]; then echo "no such integration check: $script" >&2; exit 2; fi
  printf '\n--- integration: %s\n' "$engine"
  start=$SECONDS
  if bash "$script"; then
    passed=$((passed + 1)); echo "--- integration: $engine ok in $((SECONDS - start))s"
  else
    failed=$((failed + 1)); failures+=("$engine"); echo "--- integration: $engine FAILED in $((SECONDS - start))s"
  fi
done
echo
[ "$failed" -eq 0 ] || echo "failed: ${failures[*]}"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
