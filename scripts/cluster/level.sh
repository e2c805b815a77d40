#!/usr/bin/env bash
# Stage 2 check on a running cluster: install one level from dist/ exactly as synthesized, then
#   - every pod of every Deployment/StatefulSet becomes Ready with the real images, each within the
#     budget its own probes give it (startup probe failureThreshold x period, then the readiness
#     probe's initial delay + failureThreshold x period, plus 60 s to schedule, bind and start);
#   - the real API server enforces Pod Security "restricted" in the level's namespace: a privileged
#     pod is refused.
# Usage: level.sh dist/LEVEL.k8s.yaml   Prints one LEVEL line per pod (seconds to Ready / budget).
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

file="$1"
level="$(basename "$file" .k8s.yaml)"
[[ -f "$file" ]] || die "$file does not exist"
ns=merlai

t0=$SECONDS
kc apply -f "$file" >/dev/null
log "$level applied"

# Budget per workload, from its pod template's probes (the first container's, the app's own).
# A workload an HorizontalPodAutoscaler scales (Level 3's API has no replicas of its own) must reach
# at least the autoscaler's minReplicas.
hpa_min="$(kc -n "$ns" get horizontalpodautoscalers -o json | jq -c '[.items[] |
  {key: "\(.spec.scaleTargetRef.kind | ascii_downcase)/\(.spec.scaleTargetRef.name)", value: (.spec.minReplicas // 1)}] | from_entries')"
mapfile -t workloads < <(kc -n "$ns" get deployments,statefulsets -o json | jq -r --argjson hpa "$hpa_min" '
  .items[] | . as $w | .spec.template.spec.containers[0] as $c |
  (($c.startupProbe // null) as $s | if $s then ($s.failureThreshold // 3) * ($s.periodSeconds // 10) + ($s.initialDelaySeconds // 0) else 0 end) as $start |
  (($c.readinessProbe // null) as $r | if $r then ($r.initialDelaySeconds // 0) + ($r.failureThreshold // 3) * ($r.periodSeconds // 10) else 0 end) as $ready |
  "\($w.kind | ascii_downcase)/\($w.metadata.name)" as $ref |
  "\($ref) \([$w.spec.replicas // 1, $hpa[$ref] // 0] | max) \($start + $ready + 60)"')
((${#workloads[@]})) || die "$level: no Deployment or StatefulSet in namespace $ns"

fail=0
for w in "${workloads[@]}"; do
  read -r ref replicas budget <<<"$w"
  ready() { # at least: an autoscaler may already have added pods
    local n
    n="$(kc -n "$ns" get "$ref" -o jsonpath='{.status.readyReplicas}')"
    ((${n:-0} >= replicas))
  }
  if wait_for "$((budget - (SECONDS - t0) > 0 ? budget - (SECONDS - t0) : 1))" "$ref $replicas/$replicas Ready" ready; then
    echo "LEVEL $level $ref: $replicas/$replicas Ready after $((SECONDS - t0)) s (probe budget $budget s)"
  else
    echo "LEVEL $level $ref: FAIL not $replicas/$replicas Ready within its probe budget of $budget s"
    kc -n "$ns" describe "$ref" | tail -n 15
    sel="$(kc -n "$ns" get "$ref" -o json | jq -r '.spec.selector.matchLabels | to_entries | map("\(.key)=\(.value)") | join(",")')"
    kc -n "$ns" get pods -l "$sel" -o wide || true
    for p in $(kc -n "$ns" get pods -l "$sel" -o name); do
      kc -n "$ns" describe "$p" | sed -n '/^Events:/,$p' | tail -n 12
      kc -n "$ns" logs "$p" --all-containers --tail=20 2>&1 | sed 's/^/    /' || true
    done
    fail=1
  fi
done

# Pod Security "restricted", enforced by the API server itself.
client="$(cached_image merlai-testclient)"
if out="$(kc -n "$ns" run psa-probe --image="$client" --restart=Never \
  --overrides='{"spec":{"containers":[{"name":"psa-probe","image":"'"$client"'","securityContext":{"privileged":true}}]}}' 2>&1)"; then
  echo "LEVEL $level Pod Security: FAIL a privileged pod was admitted into $ns"
  kc -n "$ns" delete pod psa-probe --wait=false >/dev/null
  fail=1
elif grep -q 'violates PodSecurity "restricted' <<<"$out"; then
  echo "LEVEL $level Pod Security: privileged pod refused by the API server (restricted enforced)"
else
  echo "LEVEL $level Pod Security: FAIL the privileged pod failed for another reason: $out"
  fail=1
fi
exit "$fail"
