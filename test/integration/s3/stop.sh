#!/usr/bin/env bash
# Stop the S3 test server that start.sh <state-dir> started (its pid is in <state-dir>/s3.env).
#   bash test/integration/s3/stop.sh <state-dir>
# Succeeds when nothing is running; keeps the state dir (certificates, log) for inspection.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 <state-dir>" >&2; exit 2; }
env_file="$1/s3.env"
[[ -f $env_file ]] || { echo "stop.sh: no $env_file, nothing to stop" >&2; exit 0; }
pid="$(sed -n 's/^S3_PID=//p' "$env_file")"
[[ -n $pid ]] || { echo "stop.sh: no S3_PID in $env_file, already stopped" >&2; exit 0; }
[[ $pid =~ ^[0-9]+$ ]] || { echo "stop.sh: S3_PID in $env_file is not a pid: $pid" >&2; exit 1; }
# Only our server: a pid from an old s3.env may since belong to another process.
if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 's3-server'; then
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  echo "s3-server (pid $pid) stopped" >&2
fi
sed -i '/^S3_PID=/d' "$env_file"
