#!/usr/bin/env bash
# Real-binary check of the Cassandra engine, on loopback only.
#
#  1. shellcheck of every script the pods run (taken from the synthesized ConfigMap).
#  2. Cassandra 5.0 from Maven Central (cassandra-all and its runtime dependencies, cached):
#     the init container's prepare-config.sh renders the construct's cassandra.yaml and
#     rackdc properties into a configuration directory, and a real CassandraDaemon starts from
#     it exactly as the image's `cassandra -f` does (configuration directory first on the
#     classpath). Then: CQL answers, the readiness script says Ready (nodetool netstats: NORMAL), a CQL
#     client writes and reads in the datacenter and rack the construct set, and the preStop
#     script drains the node.
#  3. The cassandra.yaml rendered for 4.0 and 4.1 is accepted by those versions' own
#     configuration loader (YamlConfigurationLoader + DatabaseDescriptor), without starting them.
#
# Test-only mappings (the pods do none of this): data paths /var/lib/cassandra -> a temp dir,
# seeds and rpc_address -> 127.0.0.1, the heap set to 1 GiB, a small logback.xml standing in for
# the image's. Prints PASS/FAIL lines; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}"
versions=("5.0.9:5.0" "4.1.10:4.1" "4.0.19:4.0")
failures=0
passes=0
pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

work="$(mktemp -d)"
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- tools ------------------------------------------------------------------------------------
need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')"
if [ "${java_major%%.*}" -lt 17 ]; then
  echo "FAIL: Java 17 or newer is needed for Cassandra 5.0, found $java_major"; exit 1
fi

fetch() { # <full-version>: cassandra-all and its runtime dependencies into the cache
  local lib="$cache/cassandra-$1/lib"
  if [ ! -f "$lib/cassandra-all-$1.jar" ]; then
    mkdir -p "$lib"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -Dcassandra.version="$1" \
      -DincludeScope=runtime -DoutputDirectory="$lib" >"$work/mvn-$1.log" 2>&1 \
      || { cat "$work/mvn-$1.log"; return 1; }
  fi
  echo "$lib"
}

render() { # <full> <major> <dir>: the ConfigMaps' files from a real synthesis
  (cd "$root" && node -r ts-node/register/transpile-only "$here/render.ts" "$3" "$1" "$2" >/dev/null)
}

# --- 1. shellcheck ----------------------------------------------------------------------------
render 5.0.9 5.0 "$work/render"
for script in "$work"/render/scripts/*.sh; do
  if out="$(shellcheck -s sh "$script" 2>&1)"; then
    pass "shellcheck $(basename "$script")"
  else
    fail "shellcheck $(basename "$script")"; echo "$out"
  fi
done

# --- 2. a real node -----------------------------------------------------------------------------
for port in 7000 7199 9042; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "FAIL: port $port on 127.0.0.1 is already in use; stop what listens there"; exit 1
  fi
done
lib="$(fetch 5.0.9)"
data="$work/data"
mkdir -p "$data" "$work/image-conf" "$work/conf" "$work/logs" "$work/rendered" "$work/bin"
cat > "$work/image-conf/logback.xml" <<'XML'
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
XML
echo "# stand-in for the image's cassandra-env.sh" > "$work/image-conf/cassandra-env.sh"
# The ConfigMap as a pod mounts it, with the test-only mappings.
sed -e "s#/var/lib/cassandra#$data#g" \
    -e 's#seeds: "[^"]*"#seeds: "127.0.0.1"#' \
    -e 's#^rpc_address: .*#rpc_address: 127.0.0.1#' \
    "$work/render/config/cassandra.yaml" > "$work/rendered/cassandra.yaml"
cp "$work"/render/config/rackdc-*.properties "$work/rendered/"

if SOURCE_CONF="$work/image-conf" RENDERED_CONF="$work/rendered" TARGET_CONF="$work/conf" \
   POD_IP=127.0.0.1 CASSANDRA_RACK=rack1 sh "$work/render/scripts/prepare-config.sh" >"$work/prepare.log" 2>&1 \
   && grep -q '^listen_address: 127.0.0.1$' "$work/conf/cassandra.yaml" \
   && grep -q '^broadcast_rpc_address: 127.0.0.1$' "$work/conf/cassandra.yaml" \
   && grep -q '^rack=rack1$' "$work/conf/cassandra-rackdc.properties" \
   && [ -f "$work/conf/logback.xml" ] && ! grep -q __POD_IP__ "$work/conf/cassandra.yaml"; then
  pass "prepare-config.sh: image configuration copied, pod IP and rack filled in"
else
  fail "prepare-config.sh"; cat "$work/prepare.log"
fi
if SOURCE_CONF="$work/image-conf" RENDERED_CONF="$work/rendered" TARGET_CONF="$work/conf2" \
   POD_IP='1.2.3.4/s' CASSANDRA_RACK=rack1 sh "$work/render/scripts/prepare-config.sh" >/dev/null 2>&1; then
  fail "prepare-config.sh accepted a POD_IP that is no address"
else
  pass "prepare-config.sh refuses a POD_IP that is no address"
fi
if SOURCE_CONF="$work/image-conf" RENDERED_CONF="$work/rendered" TARGET_CONF="$work/conf2" \
   POD_IP=127.0.0.1 CASSANDRA_RACK=nope sh "$work/render/scripts/prepare-config.sh" >/dev/null 2>&1; then
  fail "prepare-config.sh accepted a rack with no rendered properties"
else
  pass "prepare-config.sh refuses a rack with no rendered properties"
fi

# Module options of the image's jvm17-server.options and jvm17-clients.options: neither the
# server nor nodetool runs on Java 17 without them.
module_opts=(
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens java.base/java.math=ALL-UNNAMED
  --add-opens java.base/java.net=ALL-UNNAMED
)
jvm_opts=(
  -Xms1024M -Xmx1024M -XX:+UseG1GC -Xss256k
  "-javaagent:$(ls "$lib"/jamm-*.jar)"
  -Djdk.attach.allowAttachSelf=true -Dio.netty.tryReflectionSetAccessible=true
  "${module_opts[@]}"
)
# As bin/cassandra does: the configuration directory first on the classpath (cassandra.yaml,
# cassandra-rackdc.properties and logback.xml are found there), JMX on loopback port 7199.
java "${jvm_opts[@]}" \
  -Dcassandra-foreground=yes -Dcassandra.jmx.local.port=7199 \
  -Dcassandra.logdir="$work/logs" -Dcassandra.storagedir="$data" \
  -cp "$work/conf:$lib/*" org.apache.cassandra.service.CassandraDaemon >"$work/daemon.out" 2>&1 &
daemon_pid=$!

# nodetool as the image has it, for the readiness and preStop scripts.
cat > "$work/bin/nodetool" <<SH
#!/bin/sh
exec java -Xmx128m ${module_opts[*]} -cp "$lib/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p 7199 "\$@"
SH
chmod +x "$work/bin/nodetool"

started=""
for _ in $(seq 1 120); do
  if ! kill -0 "$daemon_pid" 2>/dev/null; then break; fi
  if (exec 3<>/dev/tcp/127.0.0.1/9042) 2>/dev/null; then started=yes; break; fi
  sleep 2
done
if [ -n "$started" ]; then
  pass "CassandraDaemon 5.0.9 started from the rendered configuration; CQL open on 127.0.0.1:9042"
else
  fail "CassandraDaemon did not open CQL within 240 s"
  tail -40 "$work/daemon.out"; tail -60 "$work/logs/system.log" 2>/dev/null || true
  exit 1
fi

ready() { PATH="$work/bin:$PATH" sh "$work/render/scripts/ready.sh"; }
ready_ok=""
for _ in $(seq 1 20); do
  if out="$(ready 2>&1)"; then ready_ok=yes; break; fi
  sleep 3
done
if [ -n "$ready_ok" ]; then
  pass "ready.sh: this node is Up/Normal (nodetool netstats: Mode: NORMAL)"
else
  fail "ready.sh never reported Ready: $out"
fi

status="$(PATH="$work/bin:$PATH" nodetool status 2>&1 || true)"
if grep -q '^Datacenter: dc1$' <<<"$status" && grep -Eq '^UN +127\.0\.0\.1 .* rack1 *$' <<<"$status"; then
  pass "nodetool status: datacenter dc1, rack rack1 from cassandra-rackdc.properties"
else
  fail "nodetool status does not show dc1/rack1"; echo "$status"
fi

if out="$(java -cp "$lib/*" "$here/Check.java" 127.0.0.1 dc1 2>&1)" \
   && grep -q '^value=ring$' <<<"$out" && grep -q 'dc=dc1 rack=rack1' <<<"$out" && grep -q '^cluster=ring$' <<<"$out"; then
  pass "CQL client (local datacenter dc1): NetworkTopologyStrategy keyspace written and read; cluster_name 'ring'"
else
  fail "CQL client check"; echo "$out" | tail -20
fi

if grep -q "num_tokens=16" "$work/logs/system.log" || PATH="$work/bin:$PATH" nodetool info -T 2>/dev/null | grep -c '^Token' | grep -qx 16; then
  pass "num_tokens 16"
else
  fail "num_tokens is not 16"
fi

if PATH="$work/bin:$PATH" sh "$work/render/scripts/drain.sh" >"$work/drain.log" 2>&1 \
   && PATH="$work/bin:$PATH" nodetool netstats 2>/dev/null | grep -q '^Mode: DRAINED'; then
  pass "drain.sh (preStop): node DRAINED"
else
  fail "drain.sh did not drain the node"; cat "$work/drain.log"
fi
if out="$(ready 2>&1)"; then
  fail "ready.sh still reports Ready after the drain"
else
  pass "ready.sh: not Ready once drained ($out)"
fi
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""
if out="$(NODETOOL_TIMEOUT=60 ready 2>&1)"; then
  fail "ready.sh reports Ready with no node running"
else
  pass "ready.sh: not Ready when nodetool cannot reach the node"
fi

# --- 3. the 4.x configurations through their own loaders ---------------------------------------
cat > "$work/LoadConfig.java" <<'JAVA'
import org.apache.cassandra.config.DatabaseDescriptor;
import org.apache.cassandra.locator.DynamicEndpointSnitch;
import org.apache.cassandra.locator.IEndpointSnitch;
public class LoadConfig {
  public static void main(String[] args) {
    DatabaseDescriptor.daemonInitialization();
    IEndpointSnitch snitch = DatabaseDescriptor.getEndpointSnitch();
    if (snitch instanceof DynamicEndpointSnitch) { snitch = ((DynamicEndpointSnitch) snitch).subsnitch; }
    System.out.println("cluster=" + DatabaseDescriptor.getClusterName()
        + " tokens=" + DatabaseDescriptor.getNumTokens()
        + " snitch=" + snitch.getClass().getSimpleName()
        + " dc=" + DatabaseDescriptor.getLocalDataCenter()
        + " seeds=" + DatabaseDescriptor.getSeeds());
  }
}
JAVA
for spec in "${versions[@]:1}"; do
  full="${spec%%:*}"; major="${spec##*:}"
  vlib="$(fetch "$full")"
  dir="$work/v$major"
  mkdir -p "$dir/conf" "$dir/rendered"
  render "$full" "$major" "$dir/render"
  sed -e "s#/var/lib/cassandra#$dir/data#g" -e 's#seeds: "[^"]*"#seeds: "127.0.0.1"#' \
      "$dir/render/config/cassandra.yaml" > "$dir/rendered/cassandra.yaml"
  cp "$dir"/render/config/rackdc-*.properties "$dir/rendered/"
  SOURCE_CONF="$work/image-conf" RENDERED_CONF="$dir/rendered" TARGET_CONF="$dir/conf" \
    POD_IP=127.0.0.1 CASSANDRA_RACK=rack1 sh "$dir/render/scripts/prepare-config.sh" >/dev/null
  if out="$(java "${module_opts[@]}" -Dcassandra.storagedir="$dir/data" -Dcassandra.logdir="$work/logs" \
        -cp "$dir/conf:$vlib/*" "$work/LoadConfig.java" 2>&1)" \
     && grep -q 'cluster=ring tokens=16 snitch=GossipingPropertyFileSnitch dc=dc1 seeds=\[/127.0.0.1:7000\]' <<<"$out"; then
    pass "Cassandra $full's configuration loader accepts the rendered cassandra.yaml ($(grep '^cluster=' <<<"$out"))"
  else
    fail "Cassandra $full's configuration loader"; echo "$out" | tail -20
  fi
done

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
