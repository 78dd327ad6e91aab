#!/usr/bin/env bash
# cdk8s-stateful as an npm user gets it:
#   1. build with jsii and pack the npm tarball with jsii-pacmak (dist/js/*.tgz);
#   2. a fresh cdk8s app in a temporary folder OUTSIDE the repository (test/npm-consumer/*):
#      package.json with cdk8s-cli, cdk8s, cdk8s-plus-27, constructs, typescript, ts-node and the
#      tarball, `npm install`;
#   3. `npx cdk8s synth` (ts-node type-checks main.ts against the packed .d.ts files);
#   4. test/npm-consumer/expect.js asserts the kinds and names in the YAML.
# Prints PASS/FAIL lines and the time of each step; exits non-zero on failure.
#
# Usage: scripts/check-npm-consumer.sh [--skip-build]   (--skip-build reuses dist/js)
#        KEEP=1 keeps the temporary app folder for a look.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SKIP_BUILD=false
[ "${1:-}" = "--skip-build" ] && SKIP_BUILD=true

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-$(node -p 'process.versions.node.split(".")[0]')}
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1

APP=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-consumer.XXXXXX")
cleanup() { if [ "${KEEP:-}" = 1 ]; then echo "kept $APP"; else rm -rf "$APP"; fi; }
trap cleanup EXIT

started=$SECONDS
step_started=$SECONDS
step() { printf '\n--- %s\n' "$*"; step_started=$SECONDS; }
pass() { echo "PASS: $* ($((SECONDS - step_started)) s)"; }
fail() { echo "FAIL: $*" >&2; echo "check-npm-consumer: FAILED after $((SECONDS - started)) s" >&2; exit 1; }

echo "node $(node --version), npm $(npm --version), $(nproc) cores"

if $SKIP_BUILD; then
  echo "--skip-build: reusing dist/js"
else
  step "jsii: compile src/ to lib/ and write .jsii"
  npx jsii || fail "jsii compile (see the errors above)"
  pass "jsii compile"

  step "jsii-pacmak --target js (npm pack)"
  rm -rf dist/js
  npx jsii-pacmak --target js || fail "jsii-pacmak --target js"
  pass "jsii-pacmak js"
fi
shopt -s nullglob
tarballs=("$ROOT"/dist/js/*.tgz)
shopt -u nullglob
[ ${#tarballs[@]} -eq 1 ] || fail "expected one tarball in dist/js, found ${#tarballs[@]}"
TARBALL=${tarballs[0]}
echo "tarball: $TARBALL ($(du -h "$TARBALL" | cut -f1), $(tar tzf "$TARBALL" | wc -l) files)"

step "the tarball holds the compiled library and no sources or tests"
listing=$(tar tzf "$TARBALL")
for f in package/lib/index.js package/lib/index.d.ts package/.jsii package/package.json package/API.md package/README.md package/docs/architecture.md; do
  grep -qx "$f" <<<"$listing" || fail "the tarball lacks $f"
done
# The library and its docs, not the repository's sources, tests or tooling.
if grep -E '^package/(src|test|\.ci|bench|scripts|examples)/' <<<"$listing" | head -3 | grep -q .; then
  fail "the tarball ships repository files: $(grep -E '^package/(src|test|\.ci|bench|scripts|examples)/' <<<"$listing" | head -3 | tr '\n' ' ')"
fi
pass "lib/, .jsii, package.json, API.md and docs; no src/, test/, .ci/, bench/, scripts/ or examples/"

step "a fresh cdk8s app in $APP: npm install"
cp "$ROOT"/test/npm-consumer/cdk8s.yaml "$ROOT"/test/npm-consumer/tsconfig.json "$APP"/
cp "$ROOT"/test/npm-consumer/main.ts.template "$APP"/main.ts
# The versions the library is developed and tested against (its own devDependencies).
version() { node -p "require('$ROOT/package.json').devDependencies['$1']"; }
cat >"$APP/package.json" <<JSON
{
  "name": "consumer-app",
  "private": true,
  "version": "0.0.0",
  "dependencies": {
    "cdk8s": "$(version cdk8s)",
    "cdk8s-plus-27": "$(version cdk8s-plus-27)",
    "cdk8s-stateful": "file:$TARBALL",
    "constructs": "$(version constructs)"
  },
  "devDependencies": {
    "@types/node": "$(version @types/node)",
    "cdk8s-cli": "$(version cdk8s-cli)",
    "ts-node": "$(version ts-node)",
    "typescript": "$(version typescript)"
  }
}
JSON
(cd "$APP" && npm install --no-audit --no-fund --prefer-offline --loglevel=error) || fail "npm install in $APP"
(cd "$APP" && npm ls --depth=0 2>/dev/null | sed 's/^/    /')
pass "npm install"

step "npx cdk8s synth (ts-node type-checks main.ts against the packed typings)"
(cd "$APP" && npx cdk8s synth --check-upgrade=false) || fail "cdk8s synth in $APP"
pass "cdk8s synth: $(find "$APP/dist" -name '*.k8s.yaml' -printf '%f ')"

step "expected kinds and names"
node "$ROOT/test/npm-consumer/expect.js" "$APP/dist" || fail "test/npm-consumer/expect.js"
pass "expected objects"

echo
echo "check-npm-consumer: PASS in $((SECONDS - started)) s"
