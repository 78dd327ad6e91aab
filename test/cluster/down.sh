#!/usr/bin/env bash
# Stop every process that up.sh started for <state-dir> (by the pids it recorded): first all
# components but etcd (so kube-apiserver can still reach etcd while it shuts down), then etcd.
#   bash test/cluster/down.sh <state-dir>
set -uo pipefail
dir="${1:?usage: down.sh <state-dir>}"
[[ -f "$dir/pids" ]] || exit 0
stop() { # "pid name" lines
  local pid name pids=()
  while read -r pid name; do
    [[ -n ${pid:-} ]] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid:$name")
  done
  for _ in $(seq 1 150); do
    local alive=0 e
    for e in "${pids[@]}"; do kill -0 "${e%%:*}" 2>/dev/null && alive=1; done
    (( alive )) || return 0
    sleep 0.1
  done
  for e in "${pids[@]}"; do
    if kill -0 "${e%%:*}" 2>/dev/null; then
      echo "down.sh: ${e#*:} (${e%%:*}) did not stop within 15s; killing it" >&2
      kill -KILL "${e%%:*}" 2>/dev/null
    fi
  done
  return 0
}
stop < <(awk '$2 != "etcd"' "$dir/pids")
stop < <(awk '$2 == "etcd"' "$dir/pids")
: > "$dir/pids"
