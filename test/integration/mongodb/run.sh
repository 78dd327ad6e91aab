#!/usr/bin/env bash
# Checks of what the MongoDB pods run, from the real synthesized example (examples/mongodb):
#   - replica-set.js and every mongosh --eval probe snippet: node --check
#   - every shell script: bash -n and shellcheck
#   - mongod.conf: parsed as YAML, with the options the bootstrap depends on
#   - the real mongosh (npm package, cached): runs replica-set.js with the pod's settings file and
#     environment up to its first server call (no mongod here: it must answer "retry", exit 3),
#     and evaluates the probe snippets and the dump's "is this member a secondary" snippet against stubs
#   - the logical backup's dump.sh (catalog-dump): bash -n and shellcheck with the other scripts; what
#     it does is run against stand-ins by test/engines/logical-backup-script.test.ts. mongodump
#     itself is not here (no registry reachable from here carries the MongoDB database tools)
# No MongoDB server can be installed on this machine: the agent's decisions are covered by
# test/engines/mongodb-agent.test.ts (the same script against a fake replica set).
# Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/../../.."

MONGOSH_VERSION=2.12.0
cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check NAME COMMAND...: PASS when the command succeeds
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/out"; fi
}

if ! command -v shellcheck >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq shellcheck) >/dev/null
  else
    echo "shellcheck is missing and this is not root: install it (apt-get install -y shellcheck)" >&2
    exit 2
  fi
fi
[ -d node_modules ] || npm ci

out="$work/extracted"
# The example imports the library by its package name: tsconfig-paths maps it to src/ (test/tsconfig.json).
TS_NODE_PROJECT=test/tsconfig.json npx ts-node --transpile-only -r tsconfig-paths/register test/integration/mongodb/extract.ts "$out"

# --- syntax of every script the pods run
mapfile -t js < <(find "$out" -name '*.js' | sort)
mapfile -t sh < <(find "$out" -name '*.sh' | sort)
if [ "${#js[@]}" -lt 3 ] || [ "${#sh[@]}" -lt 4 ]; then
  echo "too few scripts extracted: ${#js[@]} js, ${#sh[@]} sh" >&2
  exit 1
fi
check "shellcheck run.sh" shellcheck test/integration/mongodb/run.sh
for f in "${js[@]}"; do check "node --check ${f#"$out"/}" node --check "$f"; done
for f in "${sh[@]}"; do
  check "bash -n ${f#"$out"/}" bash -n "$f"
  check "shellcheck ${f#"$out"/}" shellcheck -s bash "$f"
done

# --- mongod.conf: YAML with the options the replica set depends on, typed as mongod expects
for conf in "$out"/*-config/mongod.conf; do
  set_name="$(basename "$(dirname "$conf")")"; set_name="${set_name%-config}"
  check "mongod.conf of $set_name parses with the bootstrap options" node -e '
    const yaml = require("yaml");
    const c = yaml.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const want = { "net.port": 27017, "net.bindIpAll": true, "processManagement.fork": false,
      "security.authorization": "enabled", "security.keyFile": "/var/run/mongodb-keyfile/keyfile", "storage.dbPath": "/data/db/db" };
    const get = (p) => p.split(".").reduce((o, k) => (o == null ? undefined : o[k]), c);
    for (const [k, v] of Object.entries(want)) { if (get(k) !== v) { throw new Error(k + " = " + JSON.stringify(get(k))); } }
    const settings = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    if (get("replication.replSetName") !== settings.name) { throw new Error("replSetName differs from replica-set.json"); }
  ' "$conf" "$(dirname "$conf")/replica-set.json"
done

# --- the real mongosh
mongosh_dir="$cache/mongosh-$MONGOSH_VERSION"
if [ ! -x "$mongosh_dir/node_modules/.bin/mongosh" ]; then
  mkdir -p "$mongosh_dir"
  npm install --prefix "$mongosh_dir" --no-audit --no-fund --loglevel=error "mongosh@$MONGOSH_VERSION" >/dev/null
fi
mongosh="$mongosh_dir/node_modules/.bin/mongosh"
export HOME="$work/home"  # mongosh keeps its logs under $HOME/.mongodb
mkdir -p "$HOME"

if node -e 'const s = require("net").connect(27017, "127.0.0.1"); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));'; then
  fail "mongosh runs replica-set.js: something listens on 127.0.0.1:27017 here, the check needs the port free"
else
  for role in data arbiter; do
    set_dir="$out/catalog"; pod=catalog-0; headless=catalog-headless
    if [ "$role" = arbiter ]; then set_dir="$out/sessions"; pod=sessions-arbiter-0; headless=sessions-arbiter-headless; fi
    # shellcheck disable=SC2016 # the inner script gets its values as arguments
    check "mongosh runs replica-set.js ($role pod $pod): reads its settings, finds no mongod, asks to retry (exit 3)" bash -c '
      set +e
      REPLICA_SET_FILE="$1-config/replica-set.json" POD_NAME="$2" MEMBER_HOST="$2.$3.shop.svc.cluster.local:27017" \
        MEMBER_ROLE="$4" MONGODB_ROOT_PASSWORD=not-a-secret \
        "$5" --quiet --norc --nodb --file "$1-scripts/replica-set.js" >"$6" 2>&1
      code=$?
      cat "$6"
      [ "$code" = 3 ] && grep -q "\[replica-set agent $2.$3.shop.svc.cluster.local:27017\] rs.status() failed: .*ECONNREFUSED" "$6"
    ' _ "$set_dir" "$pod" "$headless" "$role" "$mongosh" "$work/agent.log"
  done
fi

# Probe snippets, evaluated by mongosh with `db` stubbed (mongosh forbids reassigning the global db).
ready="$(cat "$out/eval/catalog-mongod-readinessProbe.js")"
ping="$(cat "$out/eval/catalog-mongod-livenessProbe.js")"
probe() { # probe EXPECTED_EXIT SNIPPET STUB
  set +e
  "$mongosh" --quiet --norc --nodb --eval "(function (db) { $2 })($3)"
  local code=$?
  set -e
  [ "$code" = "$1" ]
}
check "readiness: ready on a PRIMARY" probe 0 "$ready" '{ hello: () => ({ isWritablePrimary: true, secondary: false }) }'
check "readiness: ready on a SECONDARY" probe 0 "$ready" '{ hello: () => ({ isWritablePrimary: false, secondary: true }) }'
check "readiness: ready on the ARBITER" probe 0 "$ready" '{ hello: () => ({ isWritablePrimary: false, secondary: false, arbiterOnly: true }) }'
check "readiness: not ready before the set is initiated" probe 1 "$ready" '{ hello: () => ({ isWritablePrimary: false, secondary: false, isreplicaset: true }) }'
check "liveness/startup: runs the ping command" probe 0 "$ping" '{ adminCommand: (c) => { if (c !== "ping") { throw new Error("not ping"); } return { ok: 1 }; } }'

# The dump's choice of member: the snippet of is_replica in dump.sh, as the pod runs it.
dump_script="$out/catalog-dump/dump.sh"
check "dump.sh extracted from the catalog-dump ConfigMap" test -s "$dump_script"
secondary="$(sed -n "s/^ *--eval '\(.*\)' >.*/\1/p" "$dump_script")"
check "dump.sh: is_replica has one --eval snippet" test -n "$secondary"
check "dump: a SECONDARY is dumped from" probe 0 "$secondary" '{ hello: () => ({ isWritablePrimary: false, secondary: true }) }'
check "dump: not the PRIMARY" probe 1 "$secondary" '{ hello: () => ({ isWritablePrimary: true, secondary: false }) }'
check "dump: not a member in another state (RECOVERING, STARTUP2)" probe 1 "$secondary" '{ hello: () => ({ isWritablePrimary: false, secondary: false }) }'

echo "mongodb: $passed passed, $failed failed"
[ "$failed" = 0 ]
