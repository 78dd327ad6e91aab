#!/usr/bin/env bash
# Build the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, kwok) from Go modules into a cache outside the repository, once; reuse it when present.
#   bash test/cluster/build.sh          # prints the bin directory on the last line of stdout
# Env: CDK8S_STATEFUL_CACHE (default $HOME/.cache/cdk8s-stateful), GOFLAGS_P (parallel packages, default 2)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}/cluster/${K8S_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}"
bin="$cache/bin"
tools=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

stages="$cache/kwok-stages.yaml"
complete() { for t in "${tools[@]}"; do [[ -x "$bin/$t" ]] || return 1; done; [[ -s "$stages" ]]; }
if complete; then
  echo "cluster binaries cached in $bin" >&2
  echo "$bin"; exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is required" >&2; exit 1; }
mkdir -p "$bin"
work="$cache/src"
mkdir -p "$work"
export CGO_ENABLED=0 GOFLAGS="-p=${GOFLAGS_P:-2} -trimpath -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOWORK=off
ldflags_strip="-s -w"
start=$(date +%s)
log() { printf '[build %4ss] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }

# --- kubernetes: a module that requires k8s.io/kubernetes and replaces each staging module
# (required there at v0.0.0) with its published v0.<minor>.<patch> release.
kminor="${K8S_VERSION#v1.}"            # 37.2
staging_version="v0.${kminor}"
mkdir -p "$work/k8s"
cp "$here/go/k8s/go.mod" "$here/go/k8s/go.sum" "$work/k8s/" 2>/dev/null || true
if [[ ! -f "$work/k8s/go.mod" ]]; then
  log "generating k8s build module for $K8S_VERSION (staging $staging_version)"
  kmod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module cdk8s-stateful.test/cluster/k8s"
    echo
    grep '^go ' "$kmod"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging_version"'#p' "$kmod"
    echo ")"
  } > "$work/k8s/go.mod"
fi
gitver=(-X "k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
        -X "k8s.io/component-base/version.gitMajor=1"
        -X "k8s.io/component-base/version.gitMinor=${kminor%%.*}"
        -X "k8s.io/component-base/version.gitTreeState=clean"
        -X "k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
        -X "k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
        -X "k8s.io/client-go/pkg/version.gitMajor=1"
        -X "k8s.io/client-go/pkg/version.gitMinor=${kminor%%.*}")
(
  cd "$work/k8s"
  for t in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [[ -x "$bin/$t" ]] && continue
    log "go build k8s.io/kubernetes/cmd/$t"
    go build -mod=mod -ldflags "$ldflags_strip ${gitver[*]}" -o "$bin/$t.tmp" "k8s.io/kubernetes/cmd/$t"
    mv "$bin/$t.tmp" "$bin/$t"
  done
)

# --- etcd: its server module carries local replace directives, so build it from a module requiring it.
mkdir -p "$work/etcd"
cp "$here/go/etcd/go.mod" "$here/go/etcd/go.sum" "$work/etcd/" 2>/dev/null || true
if [[ ! -f "$work/etcd/go.mod" ]]; then
  emod="$(go mod download -json "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  printf 'module cdk8s-stateful.test/cluster/etcd\n\n%s\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$(grep '^go ' "$emod")" "$ETCD_VERSION" > "$work/etcd/go.mod"
  # the server module's own replaces point at sibling modules of the same release
  for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
    printf 'require go.etcd.io/etcd/%s %s\n' "$m" "$ETCD_VERSION" >> "$work/etcd/go.mod"
  done
fi
[[ -x "$bin/etcd" ]] || (
  cd "$work/etcd"
  log "go build go.etcd.io/etcd/server/v3 (etcd $ETCD_VERSION)"
  go build -mod=mod -ldflags "$ldflags_strip" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$bin/etcd.tmp" "$bin/etcd"
)

# --- kwok: a plain module without replace directives
if [[ ! -x "$bin/kwok" ]]; then
  log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  GOBIN="$work/gobin" go install -ldflags "$ldflags_strip" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
  mv "$work/gobin/kwok" "$bin/kwok"
fi
# kwok's binary has no built-in stages (kwokctl injects them); take the default "fast" node and pod
# stages of the same release from its module source.
kdir="$(go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
{
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"; cat "$kdir/kustomize/stage/$f"
  done
} > "$stages.tmp"
mv "$stages.tmp" "$stages"

# keep the resolved module files (to commit them into test/cluster/go/ for reproducible builds)
log "done: ${tools[*]}"
echo "$(( $(date +%s) - start ))" >> "$cache/build-seconds"
complete
echo "$bin"
