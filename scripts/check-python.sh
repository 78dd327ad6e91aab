#!/usr/bin/env bash
# The Python package as a Python user gets it:
#   1. build the library with jsii and the wheel with jsii-pacmak (dist/python/*.whl);
#   2. a fresh virtualenv, the wheel installed with its runtime dependencies from the package index
#      (jsii, cdk8s, cdk8s-plus-27, constructs: the wheel's metadata pulls them);
#   3. the binding tests in test/python (errors, enums, factories, every exported engine);
#   4. examples/python-web synthesized with the cdk8s CLI, and its YAML compared byte for byte with
#      its TypeScript twin examples/web-statefulset.
# Prints PASS/FAIL lines and the time of each step; exits non-zero on the first failure.
#
# Usage: scripts/check-python.sh [--skip-build]   (--skip-build reuses lib/, .jsii and dist/python)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CACHE=${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}
VENV=$CACHE/py-venv-check
PYTHON=${PYTHON:-python3}
SKIP_BUILD=false
[ "${1:-}" = "--skip-build" ] && SKIP_BUILD=true

# jsii prints a banner on every run under an end-of-life Node; the version is printed below instead.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-$(node -p 'process.versions.node.split(".")[0]')}
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
# No __pycache__ folders in the working tree.
export PYTHONDONTWRITEBYTECODE=1

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

step "synthesize the TypeScript twin: npm run synth -- web-statefulset"
npm run --silent synth -- web-statefulset || fail "npm run synth -- web-statefulset"
pass "web-statefulset synthesized"

step "synthesize the Python example with the cdk8s CLI, the virtualenv's python first on PATH"
PATH="$VENV/bin:$PATH" npm run --silent synth -- python-web || fail "npm run synth -- python-web"
pass "python-web synthesized"

step "Python YAML == TypeScript YAML, byte for byte"
ts_files=$(cd examples/web-statefulset/dist && ls)
py_files=$(cd examples/python-web/dist && ls)
[ "$ts_files" = "$py_files" ] || fail "different files: TypeScript [$ts_files], Python [$py_files]"
for f in $ts_files; do
  if ! cmp -s "examples/web-statefulset/dist/$f" "examples/python-web/dist/$f"; then
    diff -u "examples/web-statefulset/dist/$f" "examples/python-web/dist/$f" | head -40 >&2
    fail "examples/python-web/dist/$f differs from examples/web-statefulset/dist/$f"
  fi
  echo "    $f: $(wc -l <"examples/python-web/dist/$f") lines, $(grep -c '^kind:' "examples/python-web/dist/$f") objects, identical"
done
pass "identical YAML"

echo
echo "check-python: PASS in $((SECONDS - started)) s"
