#!/usr/bin/env bash
# Stop every process that up.sh started for <state-dir> (by the pids it recorded), newest first.
#   bash test/cluster/down.sh <state-dir>
set -uo pipefail
dir="${1:?usage: down.sh <state-dir>}"
[[ -f "$dir/pids" ]] || exit 0
mapfile -t entries < <(tac "$dir/pids")
for e in "${entries[@]}"; do
  pid=${e%% *}
  kill -TERM "$pid" 2>/dev/null || true
done
for e in "${entries[@]}"; do
  pid=${e%% *}
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "down.sh: ${e#* } ($pid) did not stop; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
: > "$dir/pids"
