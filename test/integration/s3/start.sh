#!/usr/bin/env bash
# Start the S3 test server (main.go) over TLS on a free 127.0.0.1 port, in the background.
#   bash test/integration/s3/start.sh <state-dir> [bucket...]     # default bucket: backups
# Into <state-dir> it writes ca.crt/ca.key, server.crt/server.key, s3-server.log and s3.env
# (KEY=value lines, for `source`):
#   S3_ENDPOINT (host: 127.0.0.1)  S3_PORT  S3_CA_FILE  S3_PID  S3_BUCKETS (comma-separated)
#   S3_REGION (us-east-1)  S3_ACCESS_KEY  S3_SECRET_KEY  S3_URI_STYLE (path)
# Stop it with stop.sh <state-dir>. Env: CDK8S_STATEFUL_CACHE (see build.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: $0 <state-dir> [bucket...]" >&2; exit 2; }
mkdir -p "$1"
state="$(cd "$1" && pwd)"
# s3.env holds unquoted values; a path that needs quoting would break whoever reads it.
[[ $state =~ ^[A-Za-z0-9/._+-]+$ ]] || { echo "start.sh: state dir '$state' has characters s3.env cannot hold" >&2; exit 2; }
shift
buckets=("$@")
[[ ${#buckets[@]} -gt 0 ]] || buckets=(backups)
bucket_list="$(IFS=,; echo "${buckets[*]}")"
if [[ -f $state/s3.env ]] && S3_PID="$(sed -n 's/^S3_PID=//p' "$state/s3.env")" && kill -0 "$S3_PID" 2>/dev/null; then
  echo "start.sh: a server from $state/s3.env is still running (pid $S3_PID); run stop.sh first" >&2; exit 1
fi
for tool in openssl curl; do
  command -v "$tool" >/dev/null || { echo "start.sh: $tool is required" >&2; exit 1; }
done

bin="$(bash "$here/build.sh" | tail -n1)"

# A CA of our own and a server certificate signed by it: clients verify TLS for real (pgBackRest
# verifies by default) with only the CA file. SANs: the loopback IPs, localhost, and 127.0.0.1 also
# as a DNS name, because pgBackRest 2.45 matches the endpoint host against DNS entries only.
# Path-style URLs (bucket in the path, not the host name) need no per-bucket names.
if [[ ! -s $state/server.crt ]]; then
  (
    cd "$state"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/CN=cdk8s-stateful s3 test CA" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:127.0.0.1" \
      "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
      -extfile server.ext -out server.crt 2>/dev/null
    rm -f server.csr server.ext ca.srl
    chmod 644 ca.crt server.crt
  )
fi

# Port 0: the kernel picks a free port at bind time and the server prints it, so two servers
# started at once cannot race for the same port (as a port picked here and passed on could).
log="$state/s3-server.log"
: > "$log"
"$bin" -addr 127.0.0.1:0 -cert "$state/server.crt" -key "$state/server.key" -buckets "$bucket_list" </dev/null >>"$log" 2>&1 &
pid=$!
port=""
ready=""
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || { echo "start.sh: s3-server exited:" >&2; cat "$log" >&2; exit 1; }
  [[ -n $port ]] || port="$(sed -n 's#^s3-server listening on https://127\.0\.0\.1:\([0-9]*\) .*#\1#p' "$log")"
  # ready when a real S3 request (list buckets) succeeds over verified TLS
  if [[ -n $port ]] && curl -fsS --max-time 2 --cacert "$state/ca.crt" -o /dev/null "https://127.0.0.1:$port/"; then
    ready=1; break
  fi
  sleep 0.1
done
[[ -n $ready ]] || { kill "$pid" 2>/dev/null || true; echo "start.sh: s3-server did not answer within 10s:" >&2; cat "$log" >&2; exit 1; }

# gofakes3 accepts any credentials; these fixed values only have to be non-empty.
cat > "$state/s3.env" <<ENV
S3_ENDPOINT=127.0.0.1
S3_PORT=$port
S3_CA_FILE=$state/ca.crt
S3_PID=$pid
S3_BUCKETS=$bucket_list
S3_REGION=us-east-1
S3_URI_STYLE=path
S3_ACCESS_KEY=cdk8s-stateful-test
S3_SECRET_KEY=cdk8s-stateful-test-secret
ENV
echo "s3-server (pid $pid) on https://127.0.0.1:$port, buckets $bucket_list; env in $state/s3.env" >&2
