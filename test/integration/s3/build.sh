#!/usr/bin/env bash
# Build the S3 test server (main.go, gofakes3) once into a cache outside the repository; reuse it
# when present. The directory name carries a hash of go.mod, go.sum and main.go, so an edit to any
# of them builds a new binary instead of running a stale one.
#   bash test/integration/s3/build.sh    # prints the binary's path on the last line of stdout
# Env: CDK8S_STATEFUL_CACHE (default $HOME/.cache/cdk8s-stateful)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
dir="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/s3-server-$key"
bin="$dir/s3-server"
if [[ -x $bin ]]; then
  echo "s3-server cached in $dir" >&2
  echo "$bin"; exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is required" >&2; exit 1; }
mkdir -p "$dir"
start=$(date +%s)
# Static (no cgo), no local paths or VCS stamps in the binary. -mod=readonly: the committed go.mod and
# go.sum are used as they are (a build never rewrites them), so every clone builds the same modules.
# GOWORK=off: a go.work further up must not change which modules are built.
(
  cd "$here"
  CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -trimpath -buildvcs=false" \
    go build -ldflags "-s -w" -o "$bin.tmp" .
)
# rename last, so a build that was interrupted never looks complete
mv "$bin.tmp" "$bin"
echo "s3-server built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
