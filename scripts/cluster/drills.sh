#!/usr/bin/env bash
# Stage 4 on a running cluster where level.sh has just installed a level from dist/:
#   1. rolling update of the API to the other image tag, the ready pods sampled every second: the
#      minimum must not fall below what the level's Deployment promises (replicas - maxUnavailable),
#      nor the pods exceed replicas + maxSurge; then back to the level's own tag;
#   2. a drain through the eviction API (node cordoned, one Eviction per API pod): the API server must
#      refuse (429) exactly the evictions the level's PodDisruptionBudgets forbid and allow the others;
#      the evicted pods stay Pending on the cordoned node; then uncordon and time the recovery;
#   3. failure drills, each timed: the API container killed (SIGKILL through containerd), each
#      datastore pod killed (the API's readiness and its reach to the datastore sampled meanwhile),
#      the API's /tmp emptyDir filled past its sizeLimit (the kubelet evicts the pod, the node shows
#      no DiskPressure, the Deployment brings a new pod Ready);
#   4. fixtures that must make the checks fail, for their reason: an image that cannot start (the
#      rollout check), a strategy that lets the rollout stop every pod (the ready-count check), and
#      an extra PodDisruptionBudget that blocks every eviction (the drain check).
# The promises come from the level's objects as applied (kubectl get -f FILE at the start), not from
# constants. The level is re-applied at the end, every workload Ready again.
# Usage: drills.sh dist/LEVEL.k8s.yaml   Prints ROLLOUT / DRAIN / DRILL / FIXTURE lines.
# Environment: MERLAI_DRILL_IMAGES, the two API images to roll between (default merlai:latest and
# merlai:1.0.0: the one the level does not use is rolled to); MERLAI_DRILLS, a comma-separated subset
# of rollout,drain,budgets,kill-api,datastores,fill-tmp to run (default all: CI runs all).
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

file="$1"
level="$(basename "$file" .k8s.yaml)"
[[ -f "$file" ]] || die "$file does not exist"
ns=merlai
work="$STATE/drills"
rm -rf "$work"
mkdir -p "$work"
failures=0
want() { [[ ",${MERLAI_DRILLS:-rollout,drain,budgets,kill-api,datastores,fill-tmp}," == *",$1,"* ]]; }
fwd_s="-" fwd_min="-" drain_summary="not run" budgets_summary="not run" drill_api="not run" drill_ds="not run" drill_tmp="not run"
fail() {
  echo "$*"
  failures=$((failures + 1))
}

# --- the level's objects as applied ---------------------------------------------------------------
kc get -f "$file" -o json | jq '{items: (.items // [.])}' >"$work/level.json"
api="$(jq -r '[.items[] | select(.kind == "Deployment" and .metadata.labels["app.kubernetes.io/component"] == "api")][0].metadata.name // empty' "$work/level.json")"
if [[ -z "$api" ]]; then
  other="$(jq -r '[.items[] | select(.metadata.labels["app.kubernetes.io/component"] == "api" and (.kind | test("Rollout|StatefulSet")))][0].kind // empty' "$work/level.json")"
  die "$level: no API Deployment (label app.kubernetes.io/component=api)${other:+; the API is a $other, which these drills do not drive}"
fi
jq --arg n "$api" '.items[] | select(.kind == "Deployment" and .metadata.name == $n)' "$work/level.json" >"$work/api.json"
container="$(jq -r '.spec.template.spec.containers[0].name' "$work/api.json")"
level_image="$(jq -r '.spec.template.spec.containers[0].image' "$work/api.json")"
replicas="$(jq -r '.spec.replicas // 1' "$work/api.json")"
selector="$(jq -r '.spec.selector.matchLabels | to_entries | map("\(.key)=\(.value)") | join(",")' "$work/api.json")"
[[ "$(jq -r '.spec.selector.matchExpressions // [] | length' "$work/api.json")" == 0 ]] ||
  die "$level: the API's selector has matchExpressions, which these drills do not evaluate"
[[ "$(jq -r '.spec.strategy.type' "$work/api.json")" == RollingUpdate ]] ||
  die "$level: the API's strategy is $(jq -r '.spec.strategy.type' "$work/api.json"), not RollingUpdate"
# scaled INT-OR-PERCENT ROUND_UP(0|1): Kubernetes' GetScaledValueFromIntOrPercent against $replicas.
scaled() {
  local v="$1" up="$2"
  if [[ "$v" == *% ]]; then
    v="${v%\%}"
    if ((up)); then echo $(((replicas * v + 99) / 100)); else echo $((replicas * v / 100)); fi
  else
    echo "$v"
  fi
}
max_surge="$(scaled "$(jq -r '.spec.strategy.rollingUpdate.maxSurge // "25%"' "$work/api.json")" 1)"
max_unavailable="$(scaled "$(jq -r '.spec.strategy.rollingUpdate.maxUnavailable // "25%"' "$work/api.json")" 0)"
((max_surge + max_unavailable > 0)) || max_unavailable=1 # the Deployment controller's own rule
rollout_promise=$((replicas - max_unavailable))
# The probe budget of one API pod, as level.sh computes it.
probe_budget="$(jq -r '.spec.template.spec.containers[0] as $c |
  (($c.startupProbe // null) as $s | if $s then ($s.failureThreshold // 3) * ($s.periodSeconds // 10) + ($s.initialDelaySeconds // 0) else 0 end) +
  (($c.readinessProbe // null) as $r | if $r then ($r.initialDelaySeconds // 0) + ($r.failureThreshold // 3) * ($r.periodSeconds // 10) else 0 end) + 60' "$work/api.json")"
grace="$(jq -r '.spec.template.spec.terminationGracePeriodSeconds // 30' "$work/api.json")"
steps=$(((replicas + max_surge + max_unavailable - 1) / (max_surge + max_unavailable)))
rollout_budget=$((steps * (probe_budget + grace)))
# The level's PodDisruptionBudgets that select the API's pods (matchLabels a subset of the pod's).
jq --argjson labels "$(jq '.spec.template.metadata.labels' "$work/api.json")" '[.items[] |
  select(.kind == "PodDisruptionBudget") |
  select((.spec.selector.matchExpressions // []) == [] and (.spec.selector.matchLabels // {} | to_entries | all(.value == $labels[.key])))]' \
  "$work/level.json" >"$work/pdbs.json"
pdb_names="$(jq -r 'map(.metadata.name) | join(",")' "$work/pdbs.json")"

# The other image of MERLAI_DRILL_IMAGES, to roll to.
read -r -a images <<<"${MERLAI_DRILL_IMAGES:-merlai:latest merlai:1.0.0}"
other_image=""
for i in "${images[@]}"; do [[ "$i" != "$level_image" ]] && other_image="$i" && break; done
[[ -n "$other_image" ]] || die "MERLAI_DRILL_IMAGES (${images[*]}) has no image other than the level's $level_image"

echo "DRILLS $level: API deployment/$api, $replicas replicas, maxSurge $max_surge, maxUnavailable $max_unavailable" \
  "(rollout promise: >= $rollout_promise Ready, <= $((replicas + max_surge)) pods), PDBs: ${pdb_names:-none}," \
  "probe budget $probe_budget s, image $level_image"

# --- sampling helpers -----------------------------------------------------------------------------
# api_pods_json: the API's pods that are not terminating and not finished (Failed/Succeeded).
api_pods_json() {
  kc -n "$ns" get pods -l "$selector" -o json |
    jq '[.items[] | select(.metadata.deletionTimestamp == null and .status.phase != "Failed" and .status.phase != "Succeeded")]'
}
ready_filter='map(select(any(.status.conditions[]?; .type == "Ready" and .status == "True")))'
ready_count() { api_pods_json | jq "$ready_filter | length"; }
pod_ready() { kc -n "$ns" get pod "$1" -o json | jq -e 'any(.status.conditions[]?; .type == "Ready" and .status == "True")' >/dev/null; }
# tick: start a one-second timer; tock waits for it, so a loop of tick; work; tock samples every second
# as long as the work takes less than one.
tick() {
  sleep 1 &
  tick_pid=$!
}
tock() { wait "$tick_pid" 2>/dev/null || true; }
# start_sampler FILE: once a second, in the background, one line "SECONDS ready-count pod-count" of
# the API's pods (not terminating, not finished), each sample started on time whatever the latency
# of the one before (lines may land out of order: sort them). stop_sampler ends it.
start_sampler() {
  local file="$1" start
  start="$(date +%s.%N)"
  touch "$work/sampling"
  (
    while [[ -f "$work/sampling" ]]; do
      {
        at="$(date +%s.%N)"
        counts="$(api_pods_json | jq -r "[($ready_filter | length), length] | @tsv")" &&
          awk -v a="$at" -v s="$start" -v c="$counts" 'BEGIN { printf "%.2f %s\n", a - s, c }' >>"$file"
      } &
      sleep 1
    done
    wait
  ) &
  sampler_pid=$!
}
stop_sampler() {
  rm -f "$work/sampling"
  wait "$sampler_pid" 2>/dev/null || true
}
# wait_all_ready BUDGET WHAT: every workload of the level has its replicas Ready.
wait_all_ready() {
  local budget="$1" what="$2"
  all_ready() {
    kc -n "$ns" get deployments,statefulsets -o json |
      jq -e 'all(.items[]; (.status.readyReplicas // 0) == (.spec.replicas // 1) and (.status.replicas // 0) == (.spec.replicas // 1) and (.status.updatedReplicas // 0) == (.spec.replicas // 1))' >/dev/null
  }
  wait_for "$budget" "$what" all_ready
}
# restore_level: the level exactly as synthesized again, every workload Ready, no Failed pods left.
restore_level() {
  kc apply -f "$file" >/dev/null
  kc delete pdb -n "$ns" merlai-drill-block-all --ignore-not-found >/dev/null
  kc uncordon "$NODE_NAME" >/dev/null
  wait_all_ready "$rollout_budget" "$level restored, every workload Ready" || die "$level did not come back Ready after the drills"
  kc -n "$ns" delete pods --field-selector=status.phase=Failed --ignore-not-found >/dev/null
  kc -n "$ns" delete pods -l "$selector" --field-selector=status.phase=Succeeded --ignore-not-found >/dev/null
}
trap 'rm -f "$work/sampling"; kc uncordon "$NODE_NAME" >/dev/null 2>&1 || true' EXIT

# --- 1. rolling update ----------------------------------------------------------------------------
# rollout_check WHAT IMAGE PROMISE CHANGE...: run CHANGE (which sets the API's image to IMAGE), then
# sample once a second until the rollout is complete. Fails (status 1, the reason on the ROLLOUT
# line) when the ready pods fall below PROMISE, the pods exceed replicas + maxSurge, a new pod
# cannot start (image pull error, crash loop, a container that exited), or the rollout does not
# complete within its budget. Sets rollout_min, rollout_seconds.
rollout_check() {
  local what="$1" image="$2" promise="$3"
  shift 3
  local t0 total reason="" below="" pods bad done_json dep_pid samples min max_pods
  local file="$work/rollout-$what.samples"
  : >"$file"
  "$@" >/dev/null
  t0=$SECONDS
  start_sampler "$file"
  while :; do
    tick
    # The Deployment read beside the pods, so a check takes one kubectl round trip, not two.
    kc -n "$ns" get deployment "$api" -o json >"$work/deployment.json" &
    dep_pid=$!
    pods="$(api_pods_json)"
    total="$(jq 'length' <<<"$pods")"
    # A new pod that cannot start: waiting on an image or a crash, or a container that has exited.
    bad="$(jq -r --arg img "$image" '.[] | select(.spec.containers[0].image == $img) |
      .metadata.name as $p | (.status.containerStatuses // [])[] |
      if (.state.waiting.reason // "" | test("ErrImage|ImagePullBackOff|InvalidImageName|CrashLoopBackOff|CreateContainer|RunContainerError"))
      then "\($p): \(.state.waiting.reason): \(.state.waiting.message // "" | .[0:160])"
      elif .restartCount > 0 or .state.terminated then "\($p): container exited (\(.lastState.terminated.reason // .state.terminated.reason // "?"), code \(.lastState.terminated.exitCode // .state.terminated.exitCode // "?"))"
      else empty end' <<<"$pods" | head -n 1)"
    wait "$dep_pid" || true
    if [[ -n "$bad" ]]; then
      reason="a new pod cannot start: $bad"
      break
    fi
    done_json="$(cat "$work/deployment.json")"
    if jq -e --arg img "$image" --argjson r "$replicas" '.status.observedGeneration >= .metadata.generation and
      .spec.template.spec.containers[0].image == $img and (.status.updatedReplicas // 0) == $r and
      (.status.replicas // 0) == $r and (.status.availableReplicas // 0) == $r and (.status.readyReplicas // 0) == $r' \
      <<<"$done_json" >/dev/null 2>&1 && ((total == replicas)); then
      break
    fi
    if ((SECONDS - t0 > rollout_budget)); then
      reason="not complete within its budget of $rollout_budget s"
      break
    fi
    tock
  done
  rollout_seconds=$((SECONDS - t0))
  stop_sampler
  read -r samples min max_pods below <<<"$(sort -n "$file" | awk -v p="$promise" '
    { n++; r = $2 + 0; t = $3 + 0; if (n == 1 || r < min) min = r; if (t > max) max = t
      if (r < p && below == "") below = sprintf("%.1f", $1) }
    END { printf "%d %d %d %s\n", n, (n ? min : -1), max, below }')"
  rollout_min=$min
  ((samples > 0)) || reason="${reason:+$reason; }no sample of the ready pods"
  ((max_pods > replicas + max_surge)) && reason="${reason:+$reason; }$max_pods pods at once (> replicas $replicas + maxSurge $max_surge)"
  [[ -n "$below" ]] && reason="ready dropped to $min (< $promise) at $below s${reason:+; $reason}"
  if [[ -n "$reason" ]]; then
    echo "ROLLOUT $level $what: FAIL $reason (min ready $min, $samples samples, $rollout_seconds s)"
    return 1
  fi
  echo "ROLLOUT $level $what -> $image: complete in $rollout_seconds s; ready pods min $min (promise >= $promise)," \
    "max $max_pods pods (<= $((replicas + max_surge))), $samples samples"
}
set_image() { kc -n "$ns" set image "deployment/$api" "$container=$1"; }

if want rollout; then
  rollout_check forward "$other_image" "$rollout_promise" set_image "$other_image" || failures=$((failures + 1))
  fwd_min=$rollout_min fwd_s=$rollout_seconds
  rollout_check back "$level_image" "$rollout_promise" set_image "$level_image" || failures=$((failures + 1))
  echo "ROLLOUT $level summary: $level_image -> $other_image -> $level_image in $fwd_s s / $rollout_seconds s, ready min $fwd_min / $rollout_min (promise >= $rollout_promise)"

  # Fixture: an image that cannot start. The rollout check must fail on it (and the level's
  # maxUnavailable must keep the old pods Ready meanwhile).
  bad_image="merlai:drill-no-such-tag"
  if rollout_check fixture-image "$bad_image" "$rollout_promise" set_image "$bad_image" >"$work/fixture-image.txt"; then
    fail "FIXTURE $level image-cannot-start: FAIL the rollout check passed on $bad_image"
  elif grep -q 'a new pod cannot start: .*ErrImage\|a new pod cannot start: .*ImagePullBackOff' "$work/fixture-image.txt" &&
    ! grep -q 'ready dropped' "$work/fixture-image.txt"; then
    echo "FIXTURE $level image-cannot-start: the rollout check failed as it must ($(sed 's/^ROLLOUT [^ ]* [^ ]*: FAIL //' "$work/fixture-image.txt"))"
  else
    fail "FIXTURE $level image-cannot-start: FAIL the rollout check failed for another reason: $(cat "$work/fixture-image.txt")"
  fi
  rollout_check after-fixture-image "$level_image" "$rollout_promise" set_image "$level_image" >/dev/null ||
    die "$level: the API did not roll back from $bad_image"

  # Fixture: a strategy that lets the rollout stop every pod (maxSurge 0, maxUnavailable = replicas):
  # the ready-count check, still held to the level's promise, must see the drop.
  if ((rollout_promise > 0)); then
    drop_strategy() {
      kc -n "$ns" patch deployment "$api" --type=strategic -p \
        '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":'"$replicas"'}},"template":{"spec":{"containers":[{"name":"'"$container"'","image":"'"$other_image"'"}]}}}}'
    }
    if rollout_check fixture-drop "$other_image" "$rollout_promise" drop_strategy >"$work/fixture-drop.txt"; then
      fail "FIXTURE $level rollout-drops-pods: FAIL the ready-count check passed although maxUnavailable=$replicas stops every pod"
    elif grep -q "FAIL ready dropped to [0-9]* (< $rollout_promise)" "$work/fixture-drop.txt"; then
      echo "FIXTURE $level rollout-drops-pods: the ready-count check failed as it must ($(sed 's/^ROLLOUT [^ ]* [^ ]*: FAIL //' "$work/fixture-drop.txt"))"
    else
      fail "FIXTURE $level rollout-drops-pods: FAIL the check failed for another reason: $(cat "$work/fixture-drop.txt")"
    fi
    kc apply -f "$file" >/dev/null
    wait_all_ready "$rollout_budget" "$level re-applied after the rollout fixture" || die "$level did not come back after the rollout fixture"
  else
    echo "FIXTURE $level rollout-drops-pods: not run (the level promises no Ready pod during a rollout)"
  fi
fi

# --- 2. drain through the eviction API -------------------------------------------------------------
# evict POD: POST an Eviction; prints the HTTP status, the body goes to $work/evict-POD.json.
evict() {
  inns curl -sS -o "$work/evict-$1.json" -w '%{http_code}' --cacert "$STATE/pki/ca.crt" \
    --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" -H 'Content-Type: application/json' \
    -X POST "https://$NODE_IP:6443/api/v1/namespaces/$ns/pods/$1/eviction" \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"'"$1"'","namespace":"'"$ns"'"}}'
}
# desired_healthy PDB_JSON: the healthy pods a PodDisruptionBudget requires of the API's pods.
desired_healthy() {
  local min max
  min="$(jq -r '.spec.minAvailable // empty' <<<"$1")"
  max="$(jq -r '.spec.maxUnavailable // empty' <<<"$1")"
  if [[ -n "$min" ]]; then scaled "$min" 1; else echo $((replicas - $(scaled "$max" 1))); fi
}
# drain_check WHAT PDBS_JSON: cordon the node, evict every Ready API pod one after the other, and
# compare each answer with what the PodDisruptionBudgets in PDBS_JSON allow (the pods still healthy
# minus one must not fall below any budget's desired healthy pods). Evicted pods must end and their
# replacements stay Pending (one node, cordoned). Sets drain_allowed, drain_refused.
drain_check() {
  local what="$1" pdbs="$2" healthy pod code expect msg i n reason="" names
  names="$(jq -r 'map(.metadata.name) | join(",")' <<<"$pdbs")"
  kc cordon "$NODE_NAME" >/dev/null
  # The disruption controller must have counted the budgets' pods before the API server can judge.
  for i in $(seq 0 $(($(jq length <<<"$pdbs") - 1))); do
    n="$(jq -r ".[$i].metadata.name" <<<"$pdbs")"
    budget_seen() { kc -n "$ns" get pdb "$1" -o json | jq -e '.status.observedGeneration == .metadata.generation and (.status.expectedPods // 0) > 0' >/dev/null; }
    wait_for 60 "PodDisruptionBudget $n observed" budget_seen "$n" || die "the disruption controller never processed PodDisruptionBudget $n"
  done
  mapfile -t pods < <(api_pods_json | jq -r "$ready_filter | .[].metadata.name" | sort)
  healthy=${#pods[@]}
  drain_allowed=0 drain_refused=0
  local evicted=()
  for pod in "${pods[@]}"; do
    expect=201
    for i in $(seq 0 $(($(jq length <<<"$pdbs") - 1))); do
      ((healthy - 1 < $(desired_healthy "$(jq ".[$i]" <<<"$pdbs")"))) && expect=429
    done
    code="$(evict "$pod")"
    msg="$(jq -r '[.message // empty, (.details.causes // [] | .[].message)] | join(": ")' "$work/evict-$pod.json" 2>/dev/null)"
    if [[ "$code" == 201 ]]; then
      drain_allowed=$((drain_allowed + 1))
      healthy=$((healthy - 1))
      evicted+=("$pod")
    else
      drain_refused=$((drain_refused + 1))
    fi
    echo "DRAIN $level $what: eviction of $pod -> $code${msg:+ ($msg)} (the budgets allow: $expect)"
    [[ "$code" == "$expect" ]] || reason="${reason:+$reason; }$pod: the API server answered $code where the PodDisruptionBudgets ${names:-(none)} promise $expect${msg:+ ($msg)}"
  done
  # What an allowed eviction does on one cordoned node: the pod ends, its replacement waits.
  for pod in "${evicted[@]}"; do
    gone() { ! kc -n "$ns" get pod "$1" >/dev/null 2>&1; }
    wait_for $((grace + 30)) "evicted pod $pod gone" gone "$pod" || reason="${reason:+$reason; }$pod still exists $((grace + 30)) s after its eviction"
  done
  if ((${#evicted[@]})); then
    unschedulable() {
      api_pods_json | jq -e --argjson n "${#evicted[@]}" '[.[] | select(any(.status.conditions[]?; .type == "PodScheduled" and .status == "False" and .reason == "Unschedulable"))] | length >= $n' >/dev/null
    }
    if wait_for 30 "replacements Pending (Unschedulable on the cordoned node)" unschedulable; then
      echo "DRAIN $level $what: ${#evicted[@]} replacement pod(s) Pending, Unschedulable on the cordoned node; API pods Ready meanwhile: $(ready_count)"
    else
      reason="${reason:+$reason; }the evicted pods' replacements are not Pending as Unschedulable"
    fi
  fi
  if [[ -n "$reason" ]]; then
    echo "DRAIN $level $what: FAIL $reason"
    return 1
  fi
  echo "DRAIN $level $what: $drain_allowed eviction(s) allowed, $drain_refused refused (429), as the budgets ${names:-(none: every eviction allowed)} promise"
}

if want drain; then
  t0=$SECONDS
  drain_check level "$(cat "$work/pdbs.json")" || failures=$((failures + 1))
  t_uncordon=$SECONDS
  kc uncordon "$NODE_NAME" >/dev/null
  all_api_ready() { [[ "$(ready_count)" == "$replicas" ]]; }
  if wait_for "$probe_budget" "API $replicas/$replicas Ready after the uncordon" all_api_ready; then
    echo "DRAIN $level recovery: $replicas/$replicas API pods Ready $((SECONDS - t_uncordon)) s after the uncordon (drain and recovery $((SECONDS - t0)) s; probe budget $probe_budget s)"
  else
    fail "DRAIN $level recovery: FAIL the API is not $replicas/$replicas Ready within $probe_budget s of the uncordon"
  fi
  drain_summary="$drain_allowed allowed / $drain_refused refused"

  # Fixture: an extra budget that blocks every eviction (minAvailable = replicas). The drain check,
  # still holding the API server to the level's budgets, must fail on the refused eviction.
  kc -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: merlai-drill-block-all}
spec:
  minAvailable: $replicas
  selector:
    matchLabels: $(jq -c '.spec.selector.matchLabels' "$work/api.json")
YAML
  fixture_seen() { kc -n "$ns" get pdb merlai-drill-block-all -o json | jq -e '.status.observedGeneration == .metadata.generation and .status.currentHealthy > 0' >/dev/null; }
  wait_for 60 "fixture PodDisruptionBudget observed" fixture_seen || die "the disruption controller never processed the fixture budget"
  if drain_check fixture-pdb "$(cat "$work/pdbs.json")" >"$work/fixture-pdb.txt"; then
    fail "FIXTURE $level pdb-blocks-evictions: FAIL the drain check passed although merlai-drill-block-all blocks every eviction"
  elif grep -q 'FAIL .*answered 429 where .* promise 201 .*merlai-drill-block-all' "$work/fixture-pdb.txt"; then
    echo "FIXTURE $level pdb-blocks-evictions: the drain check failed as it must ($(grep -c ' -> 429 ' "$work/fixture-pdb.txt") eviction(s) refused: $(grep -m1 -o 'The disruption budget merlai-drill-block-all[^)]*' "$work/fixture-pdb.txt"))"
  else
    fail "FIXTURE $level pdb-blocks-evictions: FAIL the drain check failed for another reason: $(cat "$work/fixture-pdb.txt")"
  fi
  kc -n "$ns" delete pdb merlai-drill-block-all >/dev/null
  kc uncordon "$NODE_NAME" >/dev/null
  wait_for "$probe_budget" "API Ready after the PDB fixture" all_api_ready || die "the API did not come back after the PDB fixture"
fi

# --- 3. failure drills ----------------------------------------------------------------------------
# The other levels' budgets on this level's API pods: the API scaled to the other level's replica
# count (its Deployment's, or its autoscaler's minimum) with the other level's PodDisruptionBudgets,
# as synthesized, applied beside it; the same drain check must then see the API server allow and
# refuse exactly what those budgets promise (one node: every allowed eviction leaves a pod Pending).
if want budgets; then
  budgets_summary=""
  tmpl_labels="$(jq -c '.spec.template.metadata.labels' "$work/api.json")"
  for other in "$(dirname "$file")"/*.k8s.yaml; do
    [[ "$other" -ef "$file" ]] && continue
    olevel="$(basename "$other" .k8s.yaml)"
    (cd "$PROJECT_ROOT" && node -e 'const fs = require("node:fs"), yaml = require("yaml");
      const docs = yaml.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((d) => d.toJSON()).filter(Boolean);
      process.stdout.write(JSON.stringify({ items: docs }));' "$other") >"$work/$olevel.json"
    n="$(jq -r --arg api "$api" '[.items[] | select(.kind == "Deployment" and .metadata.name == $api) | .spec.replicas // empty] +
      [.items[] | select(.kind == "HorizontalPodAutoscaler" and .spec.scaleTargetRef.name == $api) | .spec.minReplicas // 1] | first // empty' "$work/$olevel.json")"
    jq --argjson l "$tmpl_labels" '[.items[] | select(.kind == "PodDisruptionBudget") |
      select((.spec.selector.matchExpressions // []) == [] and (.spec.selector.matchLabels // {} | to_entries | all(.value == $l[.key]))) |
      .metadata.namespace = "'"$ns"'"]' "$work/$olevel.json" >"$work/$olevel-pdbs.json"
    if [[ -z "$n" || "$(jq length "$work/$olevel-pdbs.json")" == 0 ]]; then
      echo "DRAIN $level with $olevel's budget: not run ($olevel has no API replica count or no budget that selects these pods)"
      continue
    fi
    jq -c '.[]' "$work/$olevel-pdbs.json" | kc apply -f - >/dev/null
    kc -n "$ns" scale "deployment/$api" --replicas="$n" >/dev/null
    n_ready() { [[ "$(ready_count)" == "$1" ]]; }
    wait_for "$probe_budget" "$n API pods Ready for $olevel's budget" n_ready "$n" || die "the API did not reach $n Ready pods"
    saved_replicas=$replicas
    replicas=$n # drain_check scales percentages against the replica count
    applied="$(jq -r '.[].metadata.name' "$work/$olevel-pdbs.json" | while read -r b; do kc -n "$ns" get pdb "$b" -o json; done | jq -s .)"
    if drain_check "$olevel-budget" "$applied"; then
      budgets_summary+="${budgets_summary:+; }$olevel ($n pods, $(jq -r 'map(if .spec.minAvailable != null then "minAvailable \(.spec.minAvailable)" else "maxUnavailable \(.spec.maxUnavailable)" end) | join(", ")' <<<"$applied")): $drain_allowed allowed / $drain_refused refused"
    else
      failures=$((failures + 1))
      budgets_summary+="${budgets_summary:+; }$olevel FAIL"
    fi
    replicas=$saved_replicas
    jq -r '.[].metadata.name' "$work/$olevel-pdbs.json" | while read -r b; do kc -n "$ns" delete pdb "$b" >/dev/null; done
    kc uncordon "$NODE_NAME" >/dev/null
    kc -n "$ns" scale "deployment/$api" --replicas="$replicas" >/dev/null
    wait_for "$probe_budget" "API back to $replicas Ready pods" n_ready "$replicas" || die "the API did not come back to $replicas Ready pods"
  done
  echo "DRAIN $level other levels' budgets: ${budgets_summary:-none}"
fi

if want kill-api; then
  # (a) The API container killed: the kubelet restarts it and it is Ready again within its probe budget.
  pod="$(api_pods_json | jq -r "$ready_filter | .[0].metadata.name")"
  status="$(kc -n "$ns" get pod "$pod" -o json | jq --arg c "$container" '.status.containerStatuses[] | select(.name == $c)')"
  cid="$(jq -r '.containerID | sub("^containerd://"; "")' <<<"$status")"
  restarts="$(jq -r '.restartCount' <<<"$status")"
  restarted() { kc -n "$ns" get pod "$1" -o json | jq -e --arg c "$container" --argjson r "$2" '.status.containerStatuses[] | select(.name == $c) | .restartCount > $r' >/dev/null; }
  t0=$SECONDS
  ctrk tasks kill -s SIGKILL "$cid" >/dev/null || die "containerd could not kill the API container $cid of $pod"
  wait_for 60 "$pod's container restarted" restarted "$pod" "$restarts" && t_restart=$((SECONDS - t0)) || t_restart=""
  if [[ -n "$t_restart" ]] && wait_for "$probe_budget" "$pod Ready again" pod_ready "$pod"; then
    t_ready=$((SECONDS - t0))
    exit_code="$(kc -n "$ns" get pod "$pod" -o json | jq -r --arg c "$container" '.status.containerStatuses[] | select(.name == $c) | "\(.lastState.terminated.reason) \(.lastState.terminated.exitCode)"')"
    echo "DRILL $level kill-api-container: $pod's container SIGKILLed (last state: $exit_code); restarted by the kubelet after $t_restart s, Ready after $t_ready s (probe budget $probe_budget s)"
    drill_api="restart $t_restart s, Ready $t_ready s"
  else
    fail "DRILL $level kill-api-container: FAIL $pod not restarted and Ready within $probe_budget s (restarted after ${t_restart:-never})"
    drill_api="FAIL"
  fi
fi

if want datastores; then
  # (b) Each datastore pod killed (deleted, 1 s grace): when is its workload Ready again, what does
  # the API's readiness do meanwhile, and when can the API reach the datastore again (a TCP connection
  # from the API pod to the address in its DATABASE_URL / REDIS_URL)?
  api_pod="$(api_pods_json | jq -r "$ready_filter | .[0].metadata.name")"
  # The datastore addresses the API is given: host:port of every secret-held *_URL of its container.
  declare -A url_of=()
  while read -r var secret key; do
    url="$(kc -n "$ns" get secret "$secret" -o json | jq -r --arg k "$key" '.data[$k] | @base64d')"
    hostport="$(sed -E 's#^[a-z]+://([^@/]*@)?([^/:?]+)(:([0-9]+))?.*#\2 \4#' <<<"$url")"
    url_of[$var]="$hostport"
  done < <(jq -r '.spec.template.spec.containers[0].env[]? | select(.name | endswith("_URL")) | select(.valueFrom.secretKeyRef) | "\(.name) \(.valueFrom.secretKeyRef.name) \(.valueFrom.secretKeyRef.key)"' "$work/api.json")
  # reach HOST PORT: a TCP connection from the API pod's network namespace (its own python3).
  reach() {
    kc -n "$ns" exec "$api_pod" -c "$container" -- python3 -c \
      'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' "$1" "$2" >/dev/null 2>&1
  }
  drill_ds=""
  mapfile -t datastores < <(jq -r --arg api "$api" '.items[] | select((.kind == "Deployment" or .kind == "StatefulSet") and .metadata.name != $api) | "\(.kind | ascii_downcase)/\(.metadata.name)"' "$work/level.json")
  for ref in "${datastores[@]}"; do
    wl="$(kc -n "$ns" get "$ref" -o json)"
    sel="$(jq -r '.spec.selector.matchLabels | to_entries | map("\(.key)=\(.value)") | join(",")' <<<"$wl")"
    ds_budget="$(jq -r '.spec.template.spec.containers[0] as $c |
      (($c.startupProbe // null) as $s | if $s then ($s.failureThreshold // 3) * ($s.periodSeconds // 10) + ($s.initialDelaySeconds // 0) else 0 end) +
      (($c.readinessProbe // null) as $r | if $r then ($r.initialDelaySeconds // 0) + ($r.failureThreshold // 3) * ($r.periodSeconds // 10) else 0 end) + 60 +
      (.spec.template.spec.terminationGracePeriodSeconds // 30)' <<<"$wl")"
    # Which of the API's addresses is this datastore's: a Service of the level that selects its pods.
    tmpl_labels="$(jq -c '.spec.template.metadata.labels' <<<"$wl")"
    mapfile -t svcs < <(jq -r --argjson l "$tmpl_labels" '.items[] | select(.kind == "Service" and .spec.selector != null) | select(.spec.selector | to_entries | all(.value == $l[.key])) | .metadata.name' "$work/level.json")
    target="" var=""
    for v in "${!url_of[@]}"; do
      read -r h p <<<"${url_of[$v]}"
      for s in "${svcs[@]}"; do [[ "${h%%.*}" == "$s" ]] && target="$h ${p:-0}" && var="$v"; done
    done
    [[ -n "$target" ]] || die "$level: none of the API's *_URL addresses (${url_of[*]}) is a Service of $ref (${svcs[*]})"
    read -r host port <<<"$target"
    reach "$host" "$port" || die "the API pod cannot reach $ref at $host:$port before the drill"
    old_pod="$(kc -n "$ns" get pods -l "$sel" -o json | jq -r '.items[0] | "\(.metadata.name) \(.metadata.uid)"')"
    read -r old_name old_uid <<<"$old_pod"
    name="${ref#*/}"
    # The API pod's view, twice a second: a TCP connection to the datastore's address, stamped with
    # the clock (the pod's clock is the node's).
    kc -n "$ns" exec "$api_pod" -c "$container" -- python3 -u -c '
import socket, sys, time
host, port, until = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
while time.time() < until:
    t = time.time()
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        print("%.2f up" % t)
    except OSError:
        print("%.2f down" % t)
    time.sleep(max(0.0, 0.5 - (time.time() - t)))
' "$host" "$port" "$ds_budget" >"$work/reach-$name.log" 2>&1 &
    prober=$!
    first_line() { [[ -s "$work/reach-$name.log" ]]; }
    wait_for 30 "the API pod's prober of $host:$port running" first_line || die "the prober in $api_pod did not start: $(cat "$work/reach-$name.log")"
    api_restarts0="$(kc -n "$ns" get pod "$api_pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')"
    killed_at="$(date +%s.%N)"
    t0=$SECONDS
    kc -n "$ns" delete pod "$old_name" --grace-period=1 --wait=false >/dev/null
    back="" api_samples=0 api_ready_samples=0 reachable=""
    while ((SECONDS - t0 <= ds_budget)); do
      tick
      if [[ -z "$back" ]] && kc -n "$ns" get pods -l "$sel" -o json | jq -e --arg u "$old_uid" 'any(.items[]; .metadata.uid != $u and .metadata.deletionTimestamp == null and any(.status.conditions[]?; .type == "Ready" and .status == "True"))' >/dev/null; then
        back=$((SECONDS - t0))
      fi
      api_samples=$((api_samples + 1))
      pod_ready "$api_pod" && api_ready_samples=$((api_ready_samples + 1))
      # Reachable again: the prober's last answer, after the kill, is "up".
      reachable="$(awk -v k="$killed_at" '$1 > k { last = $2 } END { print last }' "$work/reach-$name.log")"
      [[ -n "$back" && "$reachable" == up ]] && break
      tock
    done
    kill "$prober" 2>/dev/null || true
    wait "$prober" 2>/dev/null || true
    api_restarts="$(kc -n "$ns" get pod "$api_pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')"
    # The outage the API saw: from its first failed connection after the kill to the first success after that.
    read -r first_down up_again probes <<<"$(awk -v k="$killed_at" '$1 > k { n++; if ($2 == "down" && d == "") d = $1 - k; if ($2 == "up" && d != "" && u == "") u = $1 - k }
      END { printf "%s %s %d\n", (d == "" ? "-" : sprintf("%.1f", d)), (u == "" ? "-" : sprintf("%.1f", u)), n }' "$work/reach-$name.log")"
    if [[ -z "$back" || "$reachable" != up ]]; then
      fail "DRILL $level kill-$name: FAIL $ref not back (Ready after ${back:-never}, reachable from the API: ${reachable:-?}) within $ds_budget s"
      drill_ds+="${drill_ds:+; }$name FAIL"
      continue
    fi
    if [[ "$api_restarts" != "$api_restarts0" ]]; then
      fail "DRILL $level kill-$name: FAIL the API container restarted ($api_restarts0 -> $api_restarts) while $ref was down: its liveness must not depend on a datastore"
      drill_ds+="${drill_ds:+; }$name FAIL"
      continue
    fi
    if [[ "$first_down" == - ]]; then
      outage="never unreachable from the API ($var $host:$port) in $probes probes 0.5 s apart"
    else
      outage="unreachable from the API ($var $host:$port) from $first_down s to $up_again s ($probes probes 0.5 s apart)"
    fi
    echo "DRILL $level kill-$name: pod $old_name deleted (1 s grace); $ref Ready again after $back s (budget $ds_budget s); $outage;" \
      "the API pod Ready in $api_ready_samples of $api_samples samples meanwhile, restarts $api_restarts0 -> $api_restarts"
    drill_ds+="${drill_ds:+; }$name back ${back} s (unreachable ${first_down}-${up_again} s), API Ready $api_ready_samples/$api_samples"
  done
fi

if want fill-tmp; then
  # (c) The API's /tmp emptyDir filled past its sizeLimit: the kubelet evicts the pod (its reason
  # Evicted, its message the emptyDir's limit), the node reports no DiskPressure, the Deployment brings
  # a new pod Ready.
  pod="$(api_pods_json | jq -r "$ready_filter | .[0].metadata.name")"
  podjson="$(kc -n "$ns" get pod "$pod" -o json)"
  vol="$(jq -r --arg c "$container" '.spec.containers[] | select(.name == $c) | .volumeMounts[] | select(.mountPath == "/tmp") | .name' <<<"$podjson")"
  limit="$(jq -r --arg v "$vol" '.spec.volumes[] | select(.name == $v) | .emptyDir.sizeLimit // empty' <<<"$podjson")"
  [[ -n "$vol" && -n "$limit" ]] || die "$level: the API has no /tmp emptyDir with a sizeLimit"
  case "$limit" in
  *Gi) limit_mib=$((${limit%Gi} * 1024)) ;;
  *Mi) limit_mib=${limit%Mi} ;;
  *) die "$level: /tmp sizeLimit $limit: only Mi and Gi are handled" ;;
  esac
  fill_mib=$((limit_mib + 64))
  # Evicted: the kubelet's Evicted event on the pod, and the pod ended. Its status alone does not
  # tell: when the app exits 0 on the SIGTERM the status ends Succeeded, reason and message lost
  # (kubernetes/kubernetes#141483, #137992).
  evicted() {
    kc -n "$ns" get events --field-selector "involvedObject.name=$1,reason=Evicted" -o json | jq -e '.items | length > 0' >/dev/null &&
      kc -n "$ns" get pod "$1" -o json | jq -e '.status.phase == "Failed" or .status.phase == "Succeeded"' >/dev/null
  }
  pressure_samples=0 samples=0
  t0=$SECONDS
  kc -n "$ns" exec "$pod" -c "$container" -- dd if=/dev/zero of=/tmp/merlai-drill-fill bs=1M count="$fill_mib" >"$work/dd.txt" 2>&1 || true
  t_written=$((SECONDS - t0))
  t_evicted="" t_new=""
  while ((SECONDS - t0 <= 300)); do
    tick
    samples=$((samples + 1))
    kc get node "$NODE_NAME" -o json | jq -e 'any(.status.conditions[]; .type == "DiskPressure" and .status == "True")' >/dev/null &&
      pressure_samples=$((pressure_samples + 1))
    [[ -z "$t_evicted" ]] && evicted "$pod" && t_evicted=$((SECONDS - t0))
    if [[ -n "$t_evicted" && "$(ready_count)" == "$replicas" ]]; then
      t_new=$((SECONDS - t0))
      break
    fi
    tock
  done
  msg="$(kc -n "$ns" get events --field-selector "involvedObject.name=$pod,reason=Evicted" -o json | jq -r '[.items[].message] | join(" ")')"
  phase="$(kc -n "$ns" get pod "$pod" -o json | jq -r '"\(.status.phase), reason \(.status.reason // "none")"')"
  if [[ -z "$t_evicted" ]]; then
    fail "DRILL $level fill-tmp: FAIL $pod not evicted within 300 s of writing $fill_mib MiB to /tmp (sizeLimit $limit); dd: $(tail -n 1 "$work/dd.txt")"
    drill_tmp="FAIL"
  elif ! grep -q "Usage of EmptyDir volume \"$vol\" exceeds the limit" <<<"$msg"; then
    fail "DRILL $level fill-tmp: FAIL $pod evicted for another reason: $msg"
    drill_tmp="FAIL"
  elif ((pressure_samples > 0)); then
    fail "DRILL $level fill-tmp: FAIL the node reported DiskPressure in $pressure_samples of $samples samples: a node problem, not the pod's"
    drill_tmp="FAIL"
  elif [[ -z "$t_new" ]]; then
    fail "DRILL $level fill-tmp: FAIL no new API pod Ready within 300 s"
    drill_tmp="FAIL"
  else
    echo "DRILL $level fill-tmp: $fill_mib MiB written to /tmp (sizeLimit $limit) in $t_written s; $pod evicted after $t_evicted s (event: ${msg% }; pod status $phase);" \
      "DiskPressure in 0 of $samples node samples; a new API pod Ready after $t_new s"
    drill_tmp="evicted $t_evicted s, new pod Ready $t_new s"
  fi
fi

restore_level
trap - EXIT
echo "DRILLS $level summary: rollout $fwd_s s (min ready $fwd_min, promise $rollout_promise); drain $drain_summary;" \
  "other levels' budgets: $budgets_summary;" \
  "kill API container: $drill_api; datastores: ${drill_ds:-none}; /tmp fill: $drill_tmp; $failures failure(s)"
((failures == 0))
