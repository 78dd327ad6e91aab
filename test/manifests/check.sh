#!/usr/bin/env bash
# Independent strict checks of synthesized manifests. See README.md beside this file.
#
#   bash test/manifests/check.sh [FILE.k8s.yaml ...]
#
# With no arguments it checks every examples/*/dist/*.k8s.yaml (run `npm run synth`
# first) and fails if there are none. Installs its own tools, pinned, into
# ${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful} and reuses them.
# Set CHECKS to a comma-separated subset of schema,yaml,pss,lint to run fewer.
# Exit status: 0 when every check passes, 1 when any check fails, 2 on setup errors.
# shellcheck disable=SC2317,SC2015 # functions also run through `bash -c "$(declare -f ...)"`; `a && b || die` is meant
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}
CHECKS=${CHECKS:-schema,yaml,pss,lint}
mkdir -p "$CACHE/bin"

die() { echo "check.sh: $*" >&2; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
# Serialize tool installation between concurrent runs sharing one cache.
locked() { if command -v flock >/dev/null; then flock "$CACHE/.lock" "$@"; else "$@"; fi; }

# ------------------------------------------------------------------ inputs
if [ $# -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=("$ROOT"/examples/*/dist/*.k8s.yaml)
  shopt -u nullglob
  [ ${#files[@]} -gt 0 ] || { echo "check.sh: no manifests: examples/*/dist/*.k8s.yaml is empty (run 'npm run synth' first)" >&2; exit 1; }
  # Print paths relative to the repository root.
  files=("${files[@]#"$ROOT"/}")
  cd "$ROOT" || die "cannot enter $ROOT"
fi
for f in "${files[@]}"; do [ -f "$f" ] || die "no such file: $f"; done
echo "check.sh: ${#files[@]} file(s): ${files[*]}"

# ------------------------------------------------------------------ tools
t0=$(now)
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || die "python3 is required"
venv="$CACHE/manifests-venv-$(hash_of "$HERE/requirements.txt" <("$PY" -VV))"
install_venv() {
  [ -f "$venv/.complete" ] && return 0
  echo "check.sh: installing Python tools into $venv"
  rm -rf "$venv"
  "$PY" -m venv "$venv" &&
    "$venv/bin/pip" install --disable-pip-version-check --no-input -q -r "$HERE/requirements.txt" &&
    touch "$venv/.complete"
}

go_tool() { # go_tool NAME MODULE_DIR PACKAGE -> prints the path of the built binary
  local name=$1 dir=$2 pkg=$3 key bin
  local sources=("$dir"/*.go)
  [ -e "${sources[0]}" ] || sources=()
  key=$(hash_of "$dir/go.mod" "$dir/go.sum" "${sources[@]}" <(go version))
  bin="$CACHE/bin/$name-$key"
  if [ ! -x "$bin" ]; then
    echo "check.sh: building $name into $bin" >&2
    (cd "$dir" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$bin.tmp.$$" "$pkg" && mv -f "$bin.tmp.$$" "$bin") >&2 || return 1
  fi
  echo "$bin"
}

want() { case ",$CHECKS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
if want schema || want yaml; then locked bash -c "$(declare -f install_venv); venv='$venv' PY='$PY' HERE='$HERE'; install_venv" || die "could not install the Python tools"; fi
if want pss || want lint; then command -v go >/dev/null || die "go is required (to build the PSS checker and kube-score)"; fi
if want pss || want yaml || want schema; then PSA=$(locked bash -c "$(declare -f go_tool hash_of); CACHE='$CACHE'; go_tool psa '$HERE/psa' ." | tail -1) && [ -x "$PSA" ] || die "could not build the PSS checker"; fi
if want lint; then KUBE_SCORE=$(locked bash -c "$(declare -f go_tool hash_of); CACHE='$CACHE'; go_tool kube-score '$HERE/lint' github.com/zegl/kube-score/cmd/kube-score" | tail -1) && [ -x "$KUBE_SCORE" ] || die "could not build kube-score"; fi
# Custom resources the library renders (VolumeSnapshotClass, cert-manager's Certificate) are checked
# against their CRDs' own schemas, from the Go modules the types were imported from (scripts/crd-module.sh, cached).
if want schema; then
  CRD_DIRS="$(bash "$ROOT/scripts/crd-module.sh" snapshots)/config/crd" || die "could not download the snapshot CRDs"
  CRD_DIRS="$CRD_DIRS:$(bash "$ROOT/scripts/crd-module.sh" certmanager)/deploy/crds" || die "could not download cert-manager's CRDs"
fi
echo "check.sh: tools ready in $(since "$t0")"

# ------------------------------------------------------------------ checks
declare -A result
run() { # run NAME TITLE CMD...
  local name=$1 title=$2 t rc
  shift 2
  want "$name" || { result[$name]=skipped; return; }
  printf '\n--- %s: %s\n' "$name" "$title"
  t=$(now)
  "$@"
  rc=$?
  if [ $rc -eq 0 ]; then result[$name]=ok; else result[$name]=FAIL; fi
  echo "--- $name: ${result[$name]} in $(since "$t")"
}

lint() {
  local args=() line
  while IFS= read -r line; do
    line=${line%%#*}
    line=$(echo "$line" | xargs)
    [ -n "$line" ] && args+=("$line")
  done <"$HERE/kube-score.conf"
  echo "kube-score v1.20.0 ${args[*]}"
  # --output-format ci prints one line per check and object; show the ones that are not OK.
  local out rc
  out=$("$KUBE_SCORE" score --color never --output-format ci "${args[@]}" "${files[@]}")
  rc=$?
  echo "$out" | grep -v -e '^\[OK\]' -e '^\[SKIPPED\]'
  echo "$(echo "$out" | grep -c '^\[OK\]') passed, $(echo "$out" | grep -c '^\[CRITICAL\]') critical, $(echo "$out" | grep -c '^\[WARNING\]') warning(s) (warnings do not fail)"
  return "$rc"
}

run schema "strict schema validation, every object" env K8S_YAML_READER="${PSA:-}" CRD_DIRS="${CRD_DIRS:-}" "$venv/bin/python" "$HERE/checks.py" schema "${files[@]}"
run yaml "YAML 1.1 and Kubernetes' own reading must equal YAML 1.2" env K8S_YAML_READER="${PSA:-}" "$venv/bin/python" "$HERE/checks.py" yaml "${files[@]}"
run pss "Pod Security Standards restricted (latest), k8s.io/pod-security-admission" "${PSA:-}" "${files[@]}"
run lint "best practices, kube-score (exceptions in kube-score.conf)" lint

status=0
summary=""
for c in schema yaml pss lint; do
  summary+=" $c=${result[$c]}"
  [ "${result[$c]}" = FAIL ] && status=1
done
printf '\ncheck.sh summary:%s (%s)\n' "$summary" "$(since "$t0")"
exit $status
