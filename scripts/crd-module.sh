#!/usr/bin/env bash
# Prints the directory of a Go module that carries CRDs as plain YAML, downloaded once through the Go
# module proxy (checksums verified against the public checksum database) into
# ${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/gomod and reused after.
#   usage: bash scripts/crd-module.sh <module> <version>
#          bash scripts/crd-module.sh snapshots       (the CSI snapshot CRDs the library renders)
#          bash scripts/crd-module.sh certmanager     (cert-manager's CRDs: the Certificates of `tls`)
set -euo pipefail
case ${1:-} in
  # One pin for every user: scripts/import-crds.sh, test/manifests, test/cluster.
  snapshots) set -- github.com/kubernetes-csi/external-snapshotter/client/v8 v8.7.0 ;;
  certmanager) set -- github.com/cert-manager/cert-manager v1.21.2 ;;
esac
[ $# -eq 2 ] || { echo "usage: $0 <module> <version> | snapshots | certmanager" >&2; exit 2; }
cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/gomod"
mkdir -p "$cache"
dir="$(GOPATH="$cache" GOMODCACHE="$cache/pkg/mod" GOFLAGS=-mod=mod \
  go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "go mod download gave no module directory for $1@$2" >&2; exit 1; }
echo "$dir"
