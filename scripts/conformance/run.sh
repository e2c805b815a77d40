#!/usr/bin/env bash
# Conformance step: every level's YAML is clean under kube-score and checkov (default checks)
# except the exemptions of conformance/exemptions.yaml, and accepted, without a warning, by a real
# kube-apiserver (`kubectl apply --dry-run=server`).
# The gate's linters are kube-score and checkov: under CI (scripts/ci/in-ci.sh) each must run on
# every level or the step fails. kube-linter and Polaris are optional extras: this environment's Go
# module proxy refuses both (403), so they run only where they install or are given as binaries,
# and their absence is a note, never a pass in their name.
#
# Usage: scripts/conformance/run.sh [LEVEL_FILE.k8s.yaml ...]   (default: dist/*.k8s.yaml)
# Environment:
#   MERLAI_TOOLS_CACHE        where tools are installed and kept (default ~/.cache/merlai-conformance)
#   MERLAI_CRDS_DIR           CRDs to install into the API server (default crds/, the project's own copy)
#   MERLAI_CONFORMANCE_EXEMPTIONS   exemptions file (default conformance/exemptions.yaml)
#   MERLAI_CONFORMANCE_OUT    where reports go (default build/conformance)
#   MERLAI_CONFORMANCE_REQUIRE_ALL_TOOLS=1   also require the optional kube-linter and Polaris (and,
#                             outside CI, kube-score and checkov)
#   MERLAI_KUBE_LINTER_BIN, MERLAI_POLARIS_BIN   use these binaries instead of `go install`
#   MERLAI_CONFORMANCE_SKIP_APISERVER=1      linters only (prints that the gate was skipped; refused under CI)
#   MERLAI_CONFORMANCE_ADMISSION=0           no admission-policy check on Kubernetes 1.30 or later
#   MERLAI_KUBERNETES_VERSIONS="v1.37.2"     the API server versions of the dry run
set -euo pipefail

KUBE_LINTER_VERSION="v0.8.1"
KUBE_SCORE_VERSION="v1.20.0"
# Polaris tags (10.x) are not importable as Go module versions (its go.mod has no /v10 suffix),
# so the pin is the commit of tag 10.1.3.
POLARIS_VERSION="e2df222"
CHECKOV_VERSION="3.3.30"
# The API server of the dry run: the oldest Kubernetes the library supports (cdk8s-plus-28's) and the
# newest release whose module builds here (README, "Supported Kubernetes"). MERLAI_KUBERNETES_VERSIONS
# narrows it (space-separated).
read -r -a KUBERNETES_VERSIONS <<<"${MERLAI_KUBERNETES_VERSIONS:-v1.28.15 v1.37.2}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/ci/in-ci.sh
source "$here/../ci/in-ci.sh"
# The linters the gate requires (lint.mjs --require): under CI, the two that install here.
required_linters=""
if [[ "${MERLAI_CONFORMANCE_REQUIRE_ALL_TOOLS:-0}" == "1" ]]; then
  required_linters="kube-linter,kube-score,polaris,checkov"
elif in_ci; then
  required_linters="kube-score,checkov"
fi
if in_ci && [[ "${MERLAI_CONFORMANCE_SKIP_APISERVER:-0}" == "1" ]]; then
  echo "conformance: MERLAI_CONFORMANCE_SKIP_APISERVER=1 under CI: the API-server gate cannot be skipped there" >&2
  exit 1
fi
cache="${MERLAI_TOOLS_CACHE:-${HOME:-/root}/.cache/merlai-conformance}"
exemptions="${MERLAI_CONFORMANCE_EXEMPTIONS:-$PROJECT_ROOT/conformance/exemptions.yaml}"
out="${MERLAI_CONFORMANCE_OUT:-$PROJECT_ROOT/build/conformance}"
export DEBIAN_FRONTEND=noninteractive

step_start=$SECONDS
log() { printf '[conformance %4ds] %s\n' "$((SECONDS - step_start))" "$*"; }

# --- level files --------------------------------------------------------------------------
# Files named on the command line are relative to the caller's directory; the default is dist/.
files=()
if [[ $# -gt 0 ]]; then
  candidates=("$@")
else
  shopt -s nullglob
  candidates=("$PROJECT_ROOT"/dist/*)
  shopt -u nullglob
fi
for f in "${candidates[@]}"; do
  case "$f" in
    *.k8s.yaml)
      [[ -f "$f" ]] || { echo "conformance: $f does not exist" >&2; exit 1; }
      files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
      ;;
    *) log "skipping ${f#"$PROJECT_ROOT/"} (not a .k8s.yaml manifest)" ;;
  esac
done
if [[ ${#files[@]} -eq 0 ]]; then
  echo "conformance: no *.k8s.yaml level files to check (run the synth first, or name files)" >&2
  exit 1
fi
cd "$PROJECT_ROOT"
log "level files: ${files[*]#"$PROJECT_ROOT/"}"

mkdir -p "$cache" "$out"
rm -rf "$out/raw"
mkdir -p "$out/raw"

# One installer at a time per cache (concurrent runs on one machine share it).
exec 9>"$cache/.lock"
flock 9

# --- installers ---------------------------------------------------------------------------
need_command() { # command package: the package must be in .ci/packages (the one list)
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing Debian package $2 (for $1)"
  bash "$here/../ci/apt-install.sh" "$2"
}

# go_tool NAME MODULE/PATH VERSION OVERRIDE_BIN -> prints the binary path, or returns 1 with the
# reason in $cache/NAME-VERSION.error
go_tool() {
  local name="$1" pkg="$2" version="$3" override="$4"
  local dir="$cache/$name-$version"
  if [[ -n "$override" ]]; then
    echo "$override"
    return 0
  fi
  if [[ -x "$dir/bin/$name" ]]; then
    echo "$dir/bin/$name"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "no Go toolchain on PATH to run: go install $pkg@$version" >"$cache/$name-$version.error"
    return 1
  fi
  log "go install $pkg@$version" >&2
  local t=$SECONDS
  if GOBIN="$dir/bin.partial" GOTOOLCHAIN=local timeout 1200 go install "$pkg@$version" >"$cache/$name-$version.log" 2>&1; then
    rm -rf "${dir:?}/bin"
    mv "$dir/bin.partial" "$dir/bin"
    rm -f "$cache/$name-$version.error"
    log "installed $name $version in $((SECONDS - t)) s" >&2
    echo "$dir/bin/$name"
    return 0
  fi
  {
    echo "go install $pkg@$version failed:"
    tail -n 3 "$cache/$name-$version.log"
  } >"$cache/$name-$version.error"
  rm -rf "$dir/bin.partial"
  return 1
}

checkov_tool() {
  local dir="$cache/checkov-$CHECKOV_VERSION"
  if [[ -f "$dir/.complete" && -x "$dir/bin/checkov" ]]; then
    echo "$dir/bin/checkov"
    return 0
  fi
  log "pip install checkov==$CHECKOV_VERSION into $dir" >&2
  local t=$SECONDS
  rm -rf "$dir"
  if python3 -m venv "$dir" >"$cache/checkov-$CHECKOV_VERSION.log" 2>&1 &&
    "$dir/bin/pip" install --disable-pip-version-check -q "checkov==$CHECKOV_VERSION" >>"$cache/checkov-$CHECKOV_VERSION.log" 2>&1; then
    touch "$dir/.complete"
    rm -f "$cache/checkov-$CHECKOV_VERSION.error"
    log "installed checkov $CHECKOV_VERSION in $((SECONDS - t)) s" >&2
    echo "$dir/bin/checkov"
    return 0
  fi
  {
    echo "pip install checkov==$CHECKOV_VERSION failed:"
    tail -n 3 "$cache/checkov-$CHECKOV_VERSION.log"
  } >"$cache/checkov-$CHECKOV_VERSION.error"
  return 1
}

python3 -c 'import venv, ensurepip' 2>/dev/null || bash "$here/../ci/apt-install.sh" python3-venv

declare -A bin=()
declare -A why=()
if b="$(go_tool kube-linter golang.stackrox.io/kube-linter/cmd/kube-linter "$KUBE_LINTER_VERSION" "${MERLAI_KUBE_LINTER_BIN:-}")"; then
  bin[kube-linter]="$b"
else
  why[kube-linter]="$(cat "$cache/kube-linter-$KUBE_LINTER_VERSION.error")"
fi
if b="$(go_tool kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" "")"; then
  bin[kube-score]="$b"
else
  why[kube-score]="$(cat "$cache/kube-score-$KUBE_SCORE_VERSION.error")"
fi
if b="$(go_tool polaris github.com/fairwindsops/polaris "$POLARIS_VERSION" "${MERLAI_POLARIS_BIN:-}")"; then
  bin[polaris]="$b"
else
  why[polaris]="$(cat "$cache/polaris-$POLARIS_VERSION.error")"
fi
if b="$(checkov_tool)"; then
  bin[checkov]="$b"
else
  why[checkov]="$(cat "$cache/checkov-$CHECKOV_VERSION.error")"
fi
log "linters ready"

# --- linter gate --------------------------------------------------------------------------
# run_tool TOOL LEVEL OK_EXIT_CODES COMMAND... : JSON to raw/TOOL__LEVEL.json, state to .status
run_tool() {
  local tool="$1" level="$2" ok_codes="$3"
  shift 3
  local base="$out/raw/${tool}__${level}" rc=0
  "$@" >"$base.json" 2>"$base.stderr" || rc=$?
  if [[ " $ok_codes " == *" $rc "* && -s "$base.json" ]]; then
    echo ok >"$base.status"
  else
    printf 'error\n%s exited %s: %s\n' "$tool" "$rc" "$(tail -n 5 "$base.stderr")" >"$base.status"
  fi
}

for f in "${files[@]}"; do
  level="$(basename "$f" .k8s.yaml)"
  for tool in kube-linter kube-score polaris checkov; do
    if [[ -z "${bin[$tool]:-}" ]]; then
      printf 'unavailable\n%s\n' "${why[$tool]}" >"$out/raw/${tool}__${level}.status"
    fi
  done
  # Exit codes: kube-linter and kube-score exit 1 when they report findings.
  [[ -n "${bin[kube-linter]:-}" ]] && run_tool kube-linter "$level" "0 1" "${bin[kube-linter]}" lint --format json "$f"
  [[ -n "${bin[kube-score]:-}" ]] && run_tool kube-score "$level" "0 1" "${bin[kube-score]}" score --output-format json "$f"
  [[ -n "${bin[polaris]:-}" ]] && run_tool polaris "$level" "0" "${bin[polaris]}" audit --audit-path "$f" --format json
  [[ -n "${bin[checkov]:-}" ]] && run_tool checkov "$level" "0" "${bin[checkov]}" -f "$f" --framework kubernetes -o json --skip-download --soft-fail
done
log "linters ran"

lint_rc=0
node "$here/lint.mjs" --raw "$out/raw" --exemptions "$exemptions" --markdown "$out/linters.md" \
  ${required_linters:+--require "$required_linters"} "${files[@]}" >"$out/linters.txt" 2>&1 || lint_rc=$?
cat "$out/linters.txt"

# --- API-server gate ----------------------------------------------------------------------
api_rc=0
api_state=""
if [[ "${MERLAI_CONFORMANCE_SKIP_APISERVER:-0}" == "1" ]]; then
  api_state="SKIPPED (MERLAI_CONFORMANCE_SKIP_APISERVER=1)"
else
  # The project's own copy of the operators' CRDs (crds/SOURCES.md).
  crds_dir="${MERLAI_CRDS_DIR:-$PROJECT_ROOT/crds}"
  if [[ ! -d "$crds_dir" ]]; then
    echo "APISERVER FAIL: CRD directory $crds_dir not found (set MERLAI_CRDS_DIR)" | tee "$out/apiserver.txt"
    api_rc=1
  else
    crds_dir="$(cd "$crds_dir" && pwd)"
    need_command etcd etcd-server
    need_command openssl openssl
    need_command curl curl
    : >"$out/apiserver.txt"
    for version in "${KUBERNETES_VERSIONS[@]}"; do
      k8s_dir="$cache/k8s-$version"
      build_started=""
      if [[ -x "$k8s_dir/bin/kube-apiserver" && -x "$k8s_dir/bin/kubectl" ]]; then
        log "using the cached kube-apiserver and kubectl $version from $k8s_dir"
      else
        log "building kube-apiserver and kubectl $version from the Go modules (6-8 min on 2 cores)"
        build_started=$SECONDS
      fi
      if ! command -v go >/dev/null 2>&1; then
        echo "APISERVER FAIL: no Go toolchain on PATH to build kube-apiserver" | tee -a "$out/apiserver.txt"
        api_rc=1
      elif ! "$here/build-k8s.sh" "$version" "$k8s_dir" >"$cache/k8s-$version.log" 2>&1; then
        {
          echo "APISERVER FAIL: building kube-apiserver/kubectl $version failed; the end of $cache/k8s-$version.log:"
          tail -n 20 "$cache/k8s-$version.log" | sed 's/^/    /'
        } | tee -a "$out/apiserver.txt"
        api_rc=1
      else
        [[ -n "$build_started" ]] && log "kube-apiserver and kubectl $version built in $((SECONDS - build_started)) s (cached for later runs)"
        log "starting etcd and kube-apiserver $version"
        # Each line says which server it is from: `APISERVER <level> PASS|FAIL ... (Kubernetes vX)`.
        # From Kubernetes 1.30 (ValidatingAdmissionPolicy v1), the same server also proves the
        # levels' admission policies (test/conformance/admission.ts).
        then_cmd=""
        minor="${version#v1.}"
        if ((${minor%%.*} >= 30)) && [[ "${MERLAI_CONFORMANCE_ADMISSION:-1}" == 1 ]]; then
          then_cmd="cd '$PROJECT_ROOT' && node -r esbuild-register test/conformance/admission.ts"
        fi
        rc=0
        MERLAI_APISERVER_THEN="$then_cmd" "$here/apiserver.sh" "$k8s_dir/bin" "$crds_dir" "${files[@]}" >"$out/apiserver-$version.txt" 2>&1 || rc=$?
        sed -E "s/^(APISERVER [^ ]+ (PASS|FAIL)[^\n]*)$/\1 (Kubernetes $version)/" "$out/apiserver-$version.txt" | tee -a "$out/apiserver.txt"
        [[ "$rc" -eq 0 ]] || api_rc=$rc
      fi
    done
  fi
fi

# --- summary ------------------------------------------------------------------------------
echo
echo "== conformance summary ($((SECONDS - step_start)) s) =="
sed -n '/^Linter findings per tool per level/,/^$/p' "$out/linters.txt"
if [[ -n "$api_state" ]]; then
  echo "API server: $api_state"
else
  grep -E '^APISERVER ' "$out/apiserver.txt" | sed -E 's/^(APISERVER [^:]*:?).*/\1/' || true
fi
if [[ "$lint_rc" -ne 0 || "$api_rc" -ne 0 ]]; then
  echo "conformance: FAIL (linters exit $lint_rc, API server exit $api_rc); reports in ${out#"$PROJECT_ROOT/"}"
  exit 1
fi
echo "conformance: PASS; reports in ${out#"$PROJECT_ROOT/"}"
