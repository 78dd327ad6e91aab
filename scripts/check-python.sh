#!/usr/bin/env bash
# The Python package as a Python user gets it:
#   1. build the library with jsii and the wheel with jsii-pacmak (dist/python/*.whl);
#   2. a fresh virtualenv, the wheel installed with its runtime dependencies from the package index
#      (jsii, cdk8s, cdk8s-plus-27, constructs: the wheel's metadata pulls them);
#   3. the binding tests in test/python (errors, enums, factories, every exported engine, and
#      examples/python-web run and read back);
#   4. examples/python-web (a web app and its Postgres) synthesized with the cdk8s CLI, and its YAML
#      through the manifest checks (test/manifests/check.sh);
#   5. the README's Python quickstart, taken from README.md itself (scripts/readme-quickstart.ts),
#      in a fresh folder OUTSIDE the repository: its own virtualenv and `pip install` of the wheel,
#      `python main.py`; its YAML must be byte for byte the README's TypeScript quickstart's
#      (synthesized here from the sources), pass test/quickstart/expect.js and the manifest checks.
# Prints PASS/FAIL lines and the time of each step; exits non-zero on the first failure.
#
# Usage: scripts/check-python.sh [--skip-build]   (--skip-build reuses lib/, .jsii and dist/python)
#        KEEP=1 keeps the quickstart folders for a look.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CACHE=${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}
# One virtualenv per clone (keyed by its path): two clones on one machine must not replace each
# other's wheel. scripts/synth-examples.ts finds it by the same key.
VENV=$CACHE/py-venv-check-$(printf "%s" "$(pwd -P)" | sha256sum | cut -c1-12)
PYTHON=${PYTHON:-python3}
SKIP_BUILD=false
[ "${1:-}" = "--skip-build" ] && SKIP_BUILD=true

# jsii prints a banner on every run under an end-of-life Node; the version is printed below instead.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-$(node -p 'process.versions.node.split(".")[0]')}
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
# The quickstart's plain synth is the production one, whatever this shell exports.
unset CDK8S_STATEFUL_PLACEMENT
# No __pycache__ folders in the working tree.
export PYTHONDONTWRITEBYTECODE=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-python.XXXXXX")
APP=$WORK/shop
STEPS=$WORK/steps
TWIN=$WORK/shop-ts
cleanup() { if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

started=$SECONDS
step_started=$SECONDS
step() { printf '\n--- %s\n' "$*"; step_started=$SECONDS; }
pass() { echo "PASS: $* ($((SECONDS - step_started)) s)"; }
fail() { echo "FAIL: $*" >&2; echo "check-python: FAILED after $((SECONDS - started)) s" >&2; exit 1; }

echo "node $(node --version), $($PYTHON --version 2>&1), $(nproc) cores"
$PYTHON -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || fail "the wheel needs Python >= 3.10; got $($PYTHON --version 2>&1) (set PYTHON=...)"

if $SKIP_BUILD; then
  echo "--skip-build: reusing lib/, .jsii and dist/python"
else
  step "jsii: compile src/ to lib/ and write .jsii"
  npx jsii || fail "jsii compile (see the errors above)"
  pass "jsii compile"

  step "jsii-pacmak --target python"
  rm -rf dist/python
  npx jsii-pacmak --target python || fail "jsii-pacmak --target python"
  pass "jsii-pacmak python"
fi
shopt -s nullglob
wheels=(dist/python/*.whl)
shopt -u nullglob
[ ${#wheels[@]} -eq 1 ] || fail "expected one wheel in dist/python, found ${#wheels[@]}"
WHEEL=${wheels[0]}
echo "wheel: $WHEEL ($(du -h "$WHEEL" | cut -f1))"

step "the wheel declares its runtime dependencies"
meta=$(unzip -p "$WHEEL" '*.dist-info/METADATA')
for dep in jsii cdk8s cdk8s-plus-27 constructs; do
  grep -qE "^Requires-Dist: ${dep}( |\$|<|>|=|~)" <<<"$meta" || fail "the wheel's METADATA does not require '$dep'"
done
pass "Requires-Dist: $(grep '^Requires-Dist:' <<<"$meta" | sed 's/^Requires-Dist: //' | paste -sd, | sed 's/,/, /g')"

step "fresh virtualenv $VENV, pip install the wheel (dependencies from the package index)"
rm -rf "$VENV"
mkdir -p "$CACHE"
if ! $PYTHON -m venv "$VENV" 2>/dev/null; then
  # Debian's python3 ships venv separately.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq python3-venv >/dev/null || fail "apt-get install python3-venv"
    rm -rf "$VENV"
    $PYTHON -m venv "$VENV" || fail "python3 -m venv"
  else
    fail "python3 -m venv does not work (install python3-venv)"
  fi
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$ROOT/$WHEEL" || fail "pip install $WHEEL"
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^(cdk8s|cdk8s-plus-27|cdk8s-stateful|constructs|jsii) ' | sed 's/^/    /'
pass "pip install"

step "binding tests (test/python) with the virtualenv's python"
"$VENV/bin/python" -m unittest discover -s test/python -v || fail "test/python"
pass "test/python"

step "synthesize examples/python-web with the cdk8s CLI, the virtualenv's python first on PATH"
PATH="$VENV/bin:$PATH" npm run --silent synth -- python-web || fail "npm run synth -- python-web"
bash test/manifests/check.sh examples/python-web/dist/*.k8s.yaml >"$WORK/python-web-checks.log" 2>&1 ||
  { cat "$WORK/python-web-checks.log" >&2; fail "test/manifests/check.sh on examples/python-web"; }
pass "python-web synthesized; $(tail -1 "$WORK/python-web-checks.log")"

step "the README's Python quickstart, taken from README.md, in a fresh folder $APP"
mkdir -p "$APP"
TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json scripts/readme-quickstart.ts python "$APP" "$STEPS" ||
  fail "scripts/readme-quickstart.ts: the README's quickstart:python blocks"
for s in install synth; do
  [ -f "$STEPS/$s.sh" ] || fail "README.md has no quickstart:python step=$s block"
done
grep -qF "$ROOT/$WHEEL" "$STEPS/install.sh" || fail "the README's install step does not install $(basename "$WHEEL") (the wheel built here): $(grep pip "$STEPS/install.sh" | tr '\n' ' ')"
pass "files $(cd "$APP" && echo *); steps install, synth"

step "the README's install and synth steps, in one shell as a user types them"
# The README says python3; the interpreter chosen here (PYTHON) answers to that name.
mkdir -p "$WORK/bin" && ln -s "$(command -v "$PYTHON")" "$WORK/bin/python3"
(cd "$APP" && PATH="$WORK/bin:$PATH" PIP_DISABLE_PIP_VERSION_CHECK=1 bash -euo pipefail -c '. "$1"; . "$2"' _ "$STEPS/install.sh" "$STEPS/synth.sh") ||
  fail "the README's Python steps in $APP: $(cat "$STEPS/install.sh" "$STEPS/synth.sh")"
pass "python main.py: $(cd "$APP/dist" && echo *.k8s.yaml)"

step "the README's TypeScript quickstart, from the sources, must give the same YAML byte for byte"
TS_NODE_TRANSPILE_ONLY=1 npx ts-node --project test/tsconfig.json scripts/readme-quickstart.ts typescript "$TWIN" "$WORK/ts-steps" >/dev/null ||
  fail "scripts/readme-quickstart.ts: the README's quickstart:typescript blocks"
# Outside the repository: the package name maps to the sources, cdk8s and friends come from the clone.
cat >"$TWIN/tsconfig.json" <<JSON
{ "extends": "$ROOT/tsconfig.json", "compilerOptions": { "paths": { "cdk8s-stateful": ["$ROOT/src/index.ts"] } } }
JSON
(cd "$TWIN" && NODE_PATH="$ROOT/node_modules" TS_NODE_PROJECT="$TWIN/tsconfig.json" TS_NODE_TRANSPILE_ONLY=1 \
  node -r ts-node/register -r tsconfig-paths/register main.ts) || fail "the README's main.ts from the sources"
py_files=$(cd "$APP/dist" && ls)
ts_files=$(cd "$TWIN/dist" && ls)
[ "$ts_files" = "$py_files" ] || fail "different files: TypeScript [$ts_files], Python [$py_files]"
for f in $ts_files; do
  if ! cmp -s "$TWIN/dist/$f" "$APP/dist/$f"; then
    diff -u "$TWIN/dist/$f" "$APP/dist/$f" | head -40 >&2
    fail "the README's Python quickstart writes another $f than its TypeScript quickstart"
  fi
  echo "    $f: $(wc -l <"$APP/dist/$f") lines, $(grep -c '^kind:' "$APP/dist/$f") objects, identical"
done
pass "identical YAML"

step "expected objects, and the manifest checks"
node test/quickstart/expect.js "$APP/dist" production || fail "test/quickstart/expect.js on the Python quickstart's YAML"
bash test/manifests/check.sh "$APP"/dist/*.k8s.yaml || fail "test/manifests/check.sh on the Python quickstart's YAML"
pass "expected objects; schema, YAML readings, Pod Security restricted, kube-score"

echo
echo "check-python: PASS in $((SECONDS - started)) s"
