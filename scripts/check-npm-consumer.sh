#!/usr/bin/env bash
# The README's TypeScript quickstart, as a new npm user follows it:
#   1. build with jsii and pack the npm tarball with jsii-pacmak (dist/js/*.tgz); the tarball holds
#      the library and its docs, not the repository's sources, tests or tooling;
#   2. the quickstart's blocks are taken from README.md itself (scripts/readme-quickstart.ts): its
#      install commands, cdk8s.yaml, tsconfig.json and main.ts, in a fresh folder OUTSIDE the
#      repository; `/path/to/` in the commands is this clone, so the tarball is what gets installed;
#   3. its synth commands as written: production, then the laptop one (development placement);
#      ts-node type-checks main.ts with the README's tsconfig.json against the packed typings;
#   4. test/quickstart/expect.js asserts the objects and their placement, and the manifest checks
#      (test/manifests/check.sh: schema, YAML readings, Pod Security restricted, kube-score) run
#      on both outputs.
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
# The quickstart's plain synth is the production one, whatever this shell exports.
unset CDK8S_STATEFUL_PLACEMENT

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-quickstart.XXXXXX")
APP=$WORK/shop          # `npm init -y` names the package after the folder
STEPS=$WORK/steps
OUT=$WORK/out
cleanup() { if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

started=$SECONDS
step_started=$SECONDS
step() { printf '\n--- %s\n' "$*"; step_started=$SECONDS; }
pass() { echo "PASS: $* ($((SECONDS - step_started)) s)"; }
fail() { echo "FAIL: $*" >&2; echo "check-npm-consumer: FAILED after $((SECONDS - started)) s" >&2; exit 1; }
# Runs one README step in the app folder, as a user would type it in one shell.
run_step() { (cd "$APP" && bash -euo pipefail "$STEPS/$1.sh"); }

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

step "the README's TypeScript quickstart, taken from README.md, in a fresh folder $APP"
mkdir -p "$APP"
TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json scripts/readme-quickstart.ts typescript "$APP" "$STEPS" ||
  fail "scripts/readme-quickstart.ts: the README's quickstart:typescript blocks"
for s in install synth synth-development; do
  [ -f "$STEPS/$s.sh" ] || fail "README.md has no quickstart:typescript step=$s block"
done
grep -qF "$TARBALL" "$STEPS/install.sh" || fail "the README's install step does not install $(basename "$TARBALL") (the tarball built here): $(grep npm "$STEPS/install.sh" | tr '\n' ' ')"
pass "files $(cd "$APP" && echo *); steps install, synth, synth-development"

step "the README's install step (npm, from the tarball and the package registry)"
# Faster, quieter npm for CI; the commands themselves are the README's.
export npm_config_audit=false npm_config_fund=false npm_config_prefer_offline=true npm_config_update_notifier=false
run_step install || fail "the README's install step in $APP: $(cat "$STEPS/install.sh")"
(cd "$APP" && npm ls --depth=0 2>/dev/null | sed 's/^/    /')
[ "$(cd "$APP" && node -p 'require("cdk8s-stateful/package.json").version')" = "$(node -p 'require("./package.json").version')" ] ||
  fail "cdk8s-stateful in $APP is not this clone's version"
pass "npm install"

step "the README's synth step: production placement (ts-node type-checks main.ts against the packed typings)"
run_step synth || fail "the README's synth step in $APP: $(cat "$STEPS/synth.sh")"
mkdir -p "$OUT" && mv "$APP/dist" "$OUT/production"
pass "cdk8s synth: $(cd "$OUT/production" && echo *.k8s.yaml)"

step "the README's laptop synth step: development placement"
run_step synth-development || fail "the README's synth-development step in $APP: $(cat "$STEPS/synth-development.sh")"
mv "$APP/dist" "$OUT/development"
pass "cdk8s synth: $(cd "$OUT/development" && echo *.k8s.yaml)"

step "expected objects, connection and placement"
node test/quickstart/expect.js "$OUT/production" production || fail "test/quickstart/expect.js on the production YAML"
node test/quickstart/expect.js "$OUT/development" development || fail "test/quickstart/expect.js on the development YAML"
pass "expected objects"

step "manifest checks (test/manifests/check.sh) on both"
bash test/manifests/check.sh "$OUT"/production/*.k8s.yaml "$OUT"/development/*.k8s.yaml || fail "test/manifests/check.sh on the quickstart's YAML"
pass "schema, YAML readings, Pod Security restricted, kube-score"

echo
echo "check-npm-consumer: PASS in $((SECONDS - started)) s"
