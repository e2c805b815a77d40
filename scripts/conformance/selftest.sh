#!/usr/bin/env bash
# Self-test of the conformance step: runs scripts/conformance/run.sh, gates and all, on the
# fixtures of conformance/fixtures/ and asserts that
#   - it FAILS on broken-rejected.k8s.yaml (a Deployment whose selector matches no template label,
#     a CloudNativePG Cluster that breaks its CRD schema): at a linter and at the API server;
#   - it FAILS on broken-warned.k8s.yaml (a privileged, root pod the API server accepts but Pod
#     Security "restricted" warns about): at a linter and at the API server's zero-warning rule;
#   - it PASSES, both gates, on hardened.k8s.yaml (so the failures above are not the step failing
#     on everything).
# Usage: scripts/conformance/selftest.sh   (same environment variables as run.sh)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/conformance/fixtures"
out="$(mktemp -d "${TMPDIR:-/tmp}/merlai-conformance-selftest.XXXXXX")"
trap 'rm -rf "$out"' EXIT

passed=0
failed=0
check() { # description, then a command that must succeed
  local what="$1"
  shift
  if "$@"; then
    echo "ok - $what"
    passed=$((passed + 1))
  else
    echo "not ok - $what"
    failed=$((failed + 1))
  fi
}
has() { grep -qE -- "$1" "$out/run.log"; }
# shellcheck disable=SC2016  # JavaScript, not shell, in single quotes
level_cell() { # tool level -> the table cell of that tool and level
  node -e '
    const [file, tool, level] = process.argv.slice(1);
    const lines = require("node:fs").readFileSync(file, "utf8").split("\n");
    const head = lines.findIndex((l) => l.startsWith("tool "));
    const cols = lines[head].split(/\s{2,}/);
    const row = lines.slice(head).find((l) => l.startsWith(`${tool} `)).split(/\s{2,}/);
    console.log(row[cols.indexOf(level)]);
  ' "$out/report/linters.txt" "$1" "$2"
}

rc=0
# The admission-policy check does not depend on the fixtures: run.sh proved it already.
MERLAI_CONFORMANCE_ADMISSION=0 MERLAI_CONFORMANCE_OUT="$out/report" bash "$here/run.sh" \
  "$fixtures/broken-rejected.k8s.yaml" "$fixtures/broken-warned.k8s.yaml" "$fixtures/hardened.k8s.yaml" \
  >"$out/run.log" 2>&1 || rc=$?
sed 's/^/    | /' "$out/run.log"

check "the step exits non-zero when a broken level is among its inputs (exit $rc)" test "$rc" -ne 0
check "the linter gate fails" has '^conformance linters: FAIL'
check "kube-score flags the selector that matches no template label" \
  has '^FINDING broken-rejected +kube-score +deployment-pod-selector-labels-match-template-metadata-labels +Deployment/merlai-api'
check "kube-score flags the privileged container" \
  has '^FINDING broken-warned +kube-score +container-security-context-privileged +Deployment/merlai-api'
check "checkov flags the privileged container (CKV_K8S_16)" \
  has '^FINDING broken-warned +checkov +CKV_K8S_16 +Deployment/merlai-api'
# shellcheck disable=SC2016  # the backquotes are kubectl's
check "the API server rejects the selector mismatch" \
  has 'Deployment.apps "merlai-api" is invalid: spec.template.metadata.labels: .*`selector` does not match template `labels`'
check "the API server rejects the custom resource that breaks its CRD schema" \
  has 'Cluster.postgresql.cnpg.io "merlai-postgres" is invalid: .*spec.instances'
check "the API-server gate fails the rejected level" has '^APISERVER broken-rejected FAIL: rejected'
check "the API-server gate fails the level that only draws a Pod Security warning" \
  has '^APISERVER broken-warned FAIL: [0-9]+ object\(s\) accepted, but the server warned'
check "the warning is Pod Security's" has 'Warning: would violate PodSecurity "restricted:'
check "the API server accepts the hardened fixture with no warning" has '^APISERVER hardened PASS'
starts() { [[ "$1" == "$2"* ]]; }
check "the hardened fixture has no open kube-score finding" starts "$(level_cell kube-score hardened)" "0 open,"
check "the hardened fixture has no open checkov finding" starts "$(level_cell checkov hardened)" "0 open,"

echo "selftest: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
