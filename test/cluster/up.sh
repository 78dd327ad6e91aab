#!/usr/bin/env bash
# Start a local Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, and kwok simulating the nodes. No container runtime is involved.
#   bash test/cluster/up.sh <state-dir> [<bin-dir>]
# Nodes (CLUSTER_TEST_LAYOUT): `zones` (the default) six nodes, two in each of three zones;
# `single` one node without zone labels, as kind, minikube or k3d have.
# Writes <state-dir>/kubeconfig (cluster admin), <state-dir>/pids and <state-dir>/layout; stop it
# with down.sh <state-dir>. If start-up fails, everything started so far is stopped again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: up.sh <state-dir> [<bin-dir>]}"
layout="${CLUSTER_TEST_LAYOUT:-zones}"
case $layout in
  zones | single) ;;
  *) echo "up.sh: CLUSTER_TEST_LAYOUT must be zones or single, got '$layout'" >&2; exit 2 ;;
esac
bin="${2:-$(bash "$here/build.sh" | tail -n1)}"
stages="$(dirname "$bin")/kwok-stages.yaml"
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
pki="$dir/pki"; logs="$dir/logs"
mkdir -p "$pki" "$logs"
: > "$dir/pids"
start_ms=$(( $(date +%s%N) / 1000000 ))
log() { local t=$(( $(date +%s%N) / 1000000 - start_ms )); printf '[up %3d.%03ds] %s\n' $((t / 1000)) $((t % 1000)) "$*" >&2; }

ok=0
cleanup_on_failure() {
  set +e
  if [[ $ok != 1 ]]; then
    echo "up.sh: start-up failed; last log lines:" >&2
    for f in "$logs"/*.log; do
      [[ -f $f && $f != */openssl.log ]] && { echo "--- $f" >&2; grep -v '^[IW][0-9]' "$f" | tail -n 15 >&2; }
    done
    bash "$here/down.sh" "$dir" || true
  fi
}
trap cleanup_on_failure EXIT

# --- free loopback ports
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
used_ports=" "
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 20000 ))
    [[ $used_ports == *" $p "* ]] && continue
    port_in_use "$p" && continue
    used_ports+="$p "; echo "$p"; return
  done
}
ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
KCM_PORT=$(free_port); SCHED_PORT=$(free_port); KWOK_PORT=$(free_port)
used_ports=" $ETCD_PORT $ETCD_PEER_PORT $API_PORT $KCM_PORT $SCHED_PORT $KWOK_PORT "

# --- certificates and keys (openssl): a cluster CA, the apiserver's serving certificate, one client
# certificate per component, and the service-account signing key pair.
export OPENSSL_CONF=/dev/null
ossl() { openssl "$@" 2>>"$logs/openssl.log"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cdk8s-stateful-test-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
sign() { # name subject extensions...
  local name=$1 subj=$2 ext=$3
  ossl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr"
  printf '%b\n' "$ext" > "$pki/$name.ext"
  ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
}
client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
sign apiserver "/CN=kube-apiserver" \
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
sign admin "/O=system:masters/CN=cdk8s-stateful-test-admin" "$client_ext"
sign controller-manager "/CN=system:kube-controller-manager" "$client_ext"
sign scheduler "/CN=system:kube-scheduler" "$client_ext"
sign kwok "/O=system:masters/CN=kwok" "$client_ext"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
chmod 600 "$pki"/*.key
log "certificates written"

kubeconfig() { # name
  cat > "$dir/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $pki/$1.crt
    client-key: $pki/$1.key
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
EOF
}
for c in admin controller-manager scheduler kwok; do kubeconfig "$c"; done
cp "$dir/admin.kubeconfig" "$dir/kubeconfig"

run() { # name command...
  local name=$1; shift
  "$@" >"$logs/$name.log" 2>&1 &
  echo "$! $name" >> "$dir/pids"
}
alive() { # name: fails if that component has exited
  local pid; pid=$(awk -v n="$1" '$2==n {print $1}' "$dir/pids")
  kill -0 "$pid" 2>/dev/null || { echo "up.sh: $1 exited (log: $logs/$1.log)" >&2; return 1; }
}
wait_for() { # description seconds component command...: poll command; stop early if component died
  local what=$1 secs=$2 component=$3; shift 3
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    alive "$component" || return 1
    if (( $(date +%s) > deadline )); then echo "up.sh: timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
  log "$what ready"
}

# --- etcd
run etcd "$bin/etcd" --name=default --data-dir="$dir/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true --log-level=warn
wait_for etcd 60 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

# --- kube-apiserver
run kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction,PodSecurity,DefaultStorageClass \
  --allow-privileged=false --profiling=false \
  --endpoint-reconciler-type=none \
  --cert-dir="$dir/apiserver-certs"
wait_for kube-apiserver 120 kube-apiserver curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$API_PORT/readyz"

# --- kube-controller-manager and kube-scheduler
run kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$dir/kcm-certs" \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --service-cluster-ip-range=10.96.0.0/16 --allocate-node-cidrs=false \
  --controllers='*' --profiling=false
run kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$dir/scheduler.kubeconfig" \
  --authentication-kubeconfig="$dir/scheduler.kubeconfig" \
  --authorization-kubeconfig="$dir/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$dir/scheduler-certs" \
  --leader-elect=false --profiling=false

# --- kwok: manages only nodes annotated kwok.x-k8s.io/node=fake, with kwok's default "fast" stages
run kwok "$bin/kwok" --config="$stages" \
  --kubeconfig="$dir/kwok.kubeconfig" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 --cidr=10.244.0.1/16 \
  --server-address="127.0.0.1:$KWOK_PORT"

export KUBECONFIG="$dir/kubeconfig"
k() { "$bin/kubectl" "$@"; }
wait_for "default service account" 120 kube-controller-manager k -n default get serviceaccount default

# --- simulated nodes: six, two per zone; or a single one without zone labels
node() { # name capacity [zone]
  local zone=""
  [[ -n ${3:-} ]] && zone="
    topology.kubernetes.io/zone: $3
    topology.kubernetes.io/region: local"
  cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $1$zone
    type: kwok
status:
  allocatable: $2
  capacity: $2
EOF
}
if [[ $layout == single ]]; then
  nodes=1
  # Room for every pod of the largest example at once: one node holds what six hold in `zones`.
  node kwok-single '{cpu: "192", memory: 1536Gi, pods: "660"}' > "$dir/nodes.yaml"
else
  nodes=6
  for zone in a b c; do
    for i in 0 1; do node "kwok-zone-$zone-$i" '{cpu: "32", memory: 256Gi, pods: "110"}' "zone-$zone"; done
  done > "$dir/nodes.yaml"
fi
echo "$layout" > "$dir/layout"
k apply -f "$dir/nodes.yaml" >/dev/null
ready_nodes() { [[ $(k get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True) == "$nodes" ]]; }
wait_for "$nodes Ready node(s), layout $layout" 120 kwok ready_nodes
wait_for kube-scheduler 60 kube-scheduler curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"
alive kube-controller-manager

# --- the CSI snapshot CRDs (VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent), from the Go
# module the library's types were imported from (scripts/crd-module.sh: downloaded once, cached),
# so that the examples' snapshot objects and CronJobs apply with strict validation. No snapshot
# controller runs: the snapshot check plays it (driver.ts).
crds="$(bash "$here/../../scripts/crd-module.sh" snapshots)/config/crd"
crd_out=$(k apply --server-side --field-manager=cdk8s-stateful-test-crds \
  -f "$crds/snapshot.storage.k8s.io_volumesnapshotclasses.yaml" \
  -f "$crds/snapshot.storage.k8s.io_volumesnapshotcontents.yaml" \
  -f "$crds/snapshot.storage.k8s.io_volumesnapshots.yaml" 2>&1) || { echo "$crd_out" >&2; exit 1; }
if grep -qi '^warning' <<<"$crd_out"; then echo "up.sh: the snapshot CRDs applied with warnings: $crd_out" >&2; exit 1; fi
k wait --for=condition=Established --timeout=60s \
  crd/volumesnapshotclasses.snapshot.storage.k8s.io crd/volumesnapshotcontents.snapshot.storage.k8s.io \
  crd/volumesnapshots.snapshot.storage.k8s.io >/dev/null
log "snapshot CRDs established (external-snapshotter client/v8 v8.7.0)"

# --- cert-manager's CRDs (Certificate, Issuer, ClusterIssuer, CertificateRequest), from the module the
# library's Certificate type was imported from, so that the examples' Certificates and Issuers apply
# with strict validation. No cert-manager controller runs: nothing issues them here.
cm_dir="$(bash "$here/../../scripts/crd-module.sh" certmanager)/deploy/crds"
cm_out=$(k apply --server-side --field-manager=cdk8s-stateful-test-crds \
  -f "$cm_dir/cert-manager.io_certificates.yaml" -f "$cm_dir/cert-manager.io_issuers.yaml" \
  -f "$cm_dir/cert-manager.io_clusterissuers.yaml" -f "$cm_dir/cert-manager.io_certificaterequests.yaml" 2>&1) || { echo "$cm_out" >&2; exit 1; }
if grep -qi '^warning' <<<"$cm_out"; then echo "up.sh: the cert-manager CRDs applied with warnings: $cm_out" >&2; exit 1; fi
k wait --for=condition=Established --timeout=60s \
  crd/certificates.cert-manager.io crd/issuers.cert-manager.io crd/clusterissuers.cert-manager.io \
  crd/certificaterequests.cert-manager.io >/dev/null
log "cert-manager CRDs established ($(sed -n 's/^  certmanager) set -- .* \(v[0-9.]*\) ;;$/\1/p' "$here/../../scripts/crd-module.sh"))"

cat > "$dir/env" <<EOF
export KUBECONFIG="$dir/kubeconfig"
export PATH="$bin:\$PATH"
EOF
ok=1
log "cluster up: KUBECONFIG=$dir/kubeconfig (https://127.0.0.1:$API_PORT)"
