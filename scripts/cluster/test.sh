#!/usr/bin/env bash
# `npm run cluster-test`: build (or take from the cache) the cluster's binaries and images, bring a
# real single-node Kubernetes up in a network namespace of its own, run the checks, and tear it all
# down again, on failure too. See README.md, "Real cluster".
# Environment: MERLAI_CLUSTER_KEEP=1 leaves the cluster up after the checks (scripts/cluster/down.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/cluster/lib.sh
source "$here/lib.sh"
# shellcheck source=scripts/ci/in-ci.sh
source "$here/../ci/in-ci.sh"

if [[ "$(id -u)" -ne 0 ]]; then
  if in_ci; then die "the cluster step needs root"; fi
  echo "cluster-test: skipped (needs root for network namespaces, cgroups and containerd)"
  exit 0
fi

t=$SECONDS
"$here/build.sh"
build_s=$((SECONDS - t))
log "build/cache step: ${build_s}s"

cleanup() {
  local rc=$?
  if [[ "${MERLAI_CLUSTER_KEEP:-}" == 1 ]]; then
    log "cluster left up (MERLAI_CLUSTER_KEEP=1); scripts/cluster/down.sh removes it"
  else
    if ((rc != 0)) && [[ -d "$STATE/logs" ]]; then
      mkdir -p "$PROJECT_ROOT/build/cluster"
      cp -r "$STATE/logs" "$PROJECT_ROOT/build/cluster/" 2>/dev/null || true
      log "daemon logs copied to build/cluster/logs"
    fi
    "$here/down.sh"
  fi
  log "cluster-test finished with status $rc after $((SECONDS - cluster_start))s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The application's images (Merlai, PostgreSQL, Redis), built from Debian packages into podman's
# storage by scripts/images/build.sh (cached), imported into containerd by up.sh.
app_images=""
if [[ -x "$PROJECT_ROOT/scripts/images/build.sh" ]]; then
  t=$SECONDS
  "$PROJECT_ROOT/scripts/images/build.sh" >&2
  log "application images: $((SECONDS - t))s"
  app_images="docker.io/library/merlai:latest docker.io/library/merlai:1.0.0"
  app_images+=" docker.io/library/postgres:15.20-bookworm docker.io/library/redis:7.0.15-bookworm"
elif in_ci; then
  die "scripts/images/build.sh is missing: the levels cannot be installed without their images"
fi

t=$SECONDS
MERLAI_CLUSTER_IMAGES="$app_images" "$here/up.sh"
log "bring-up: $((SECONDS - t))s"
"$here/smoke.sh"
[[ -n "$app_images" ]] || {
  log "no application images (scripts/images/build.sh missing): stopping after the smoke test"
  exit 0
}

# Stage 2: Level 1 from dist/.
"$here/level.sh" "$PROJECT_ROOT/dist/level1-dev.k8s.yaml"
# Stage 3: the reachability matrix measured under the real enforcer (kube-router's firewall),
# against the evaluator's; then the drop-dns fixture, which must fail on the DNS flows.
reachability() { # LEVEL_FILE
  (cd "$PROJECT_ROOT" && KUBECTL="$STATE/bin/kubectl" MERLAI_TESTCLIENT_IMAGE="$(cached_image merlai-testclient)" \
    MERLAI_API_SERVER_IP="$NODE_IP" node -r esbuild-register test/cluster/reachability.ts "$1")
}
t=$SECONDS
reachability dist/level1-dev.k8s.yaml | tee "$STATE/reachability-level1.txt"
log "reachability (level 1): $((SECONDS - t))s"
# Enforcement is real, not an open network that happens to agree: denied flows were tried and
# refused, among them another team's pod to PostgreSQL.
grep -q '^REACH   refused other-team -> .*:5432/TCP$' "$STATE/reachability-level1.txt" ||
  die "stage 3: no refused flow other-team -> PostgreSQL 5432 in the measured matrix"
# Fixture: the same comparison must fail when the cluster's policies drop DNS, and only on DNS flows
# (refused although the evaluator, holding the level's own policies, allows them).
t=$SECONDS
if MERLAI_REACHABILITY_FIXTURE=drop-dns reachability dist/level1-dev.k8s.yaml >"$STATE/fixture-drop-dns.txt" 2>&1; then
  cat "$STATE/fixture-drop-dns.txt"
  die "fixture drop-dns: the reachability comparison passed although the cluster's policies drop DNS"
fi
grep -q 'REACH FAIL the evaluator allows but the cluster refused: .* -> coredns-.*:53/UDP' "$STATE/fixture-drop-dns.txt" ||
  die "fixture drop-dns: failed, but not on the DNS flows: $(tail -n 20 "$STATE/fixture-drop-dns.txt")"
if grep 'REACH FAIL' "$STATE/fixture-drop-dns.txt" | grep -v 'the evaluator allows but the cluster refused: .*:53/'; then
  die "fixture drop-dns: failed on flows other than DNS (above)"
fi
echo "FIXTURE drop-dns: the comparison failed as it must ($(grep -c 'REACH FAIL' "$STATE/fixture-drop-dns.txt") DNS flows refused that the evaluator allows)"
log "fixture drop-dns: $((SECONDS - t))s"
kc apply -f "$PROJECT_ROOT/dist/level1-dev.k8s.yaml" >/dev/null

# Stage 4 on Level 1: rolling update, drain through the eviction API, failure drills, their fixtures.
t=$SECONDS
"$here/drills.sh" "$PROJECT_ROOT/dist/level1-dev.k8s.yaml"
log "drills (level 1): $((SECONDS - t))s"

# Levels 2 and 3 from dist/ (levels23.sh), after Level 1's stages: CRDs, every object accepted,
# API pods Ready, Pod Security, metrics-server and Level 3's HPA under load.
t=$SECONDS
"$here/levels23.sh"
log "levels 2 and 3: $((SECONDS - t))s"
