#!/usr/bin/env bash
# Levels 2 and 3 on the running cluster (called by test.sh after Level 1's stages), each installed
# from dist/ exactly as synthesized, one after the other (both live in namespace `merlai`):
#   - the operators' CRDs (crds/: CloudNativePG, Barman Cloud ObjectStore, OT redis-operator,
#     prometheus-operator, Argo Rollouts) are installed first; then every object of the level's file
#     must be accepted and stored by the real API server (custom resources validated against the
#     CRDs' schemas);
#   - the API pods are Ready within their probe budget and Pod Security "restricted" is enforced
#     (level.sh);
#   - the reachability matrix (stage 3, test/cluster/reachability.ts) is measured under the real
#     enforcer and must equal the evaluator's, with stand-ins for the operators' datastore pods (below);
#   - metrics-server serves the resource metrics API (`kubectl top pods` answers) and Level 3's
#     HorizontalPodAutoscaler reports a current CPU utilization; under load from a test client the
#     utilization must rise, and the autoscaler's reaction (replicas) is reported.
# The operators themselves are not run here (README, "Real cluster"): their custom resources are
# accepted but nothing reconciles them, so two things the operators or the platform would provide
# are stood in for, and named as such: the Secret `merlai-postgres-app` (CloudNativePG writes it;
# the API reads DATABASE_URL from it) and a ReadWriteMany StorageClass `efs-sc` (Level 3's API
# claims; EFS on EKS), here local PersistentVolumes on the single node.
# Environment: MERLAI_HPA_LOAD_SECONDS (default 150) bounds the load phase.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ns=merlai
l2="$PROJECT_ROOT/dist/level2-staging.k8s.yaml"
l3="$PROJECT_ROOT/dist/level3-production.k8s.yaml"
load_s="${MERLAI_HPA_LOAD_SECONDS:-150}"
client="$(cached_image merlai-testclient)"
t_stage=$SECONDS

# --- metrics-server (the HPA's source) ------------------------------------------------------------
t=$SECONDS
sed -e "s#@METRICS_SERVER_IMAGE@#$(cached_image merlai-metrics-server)#" "$CLUSTER_HERE/manifests/metrics-server.yaml" |
  kc apply -f - >/dev/null
wait_for 180 "metrics-server Available" kc -n kube-system wait --for=condition=Available deployment/metrics-server --timeout=1s || {
  kc -n kube-system logs deployment/metrics-server --tail=20 >&2 || true
  die "metrics-server not Available"
}
wait_for 120 "the resource metrics API answers" kc get --raw /apis/metrics.k8s.io/v1beta1/nodes || {
  kc get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions}' >&2 || true
  kc -n kube-system logs deployment/metrics-server --tail=20 >&2 || true
  die "the resource metrics API (v1beta1.metrics.k8s.io) does not answer"
}
# Certificate verification: metrics-server checks the kubelet's serving certificate against the CA.
if kc -n kube-system logs deployment/metrics-server 2>&1 | grep -qi 'x509'; then
  die "metrics-server cannot verify the kubelet's certificate: $(kc -n kube-system logs deployment/metrics-server 2>&1 | grep -i x509 | tail -n 2)"
fi
echo "METRICS metrics-server $METRICS_SERVER_VERSION serving the resource metrics API after $((SECONDS - t)) s (kubelet certificate verified against the cluster CA)"

# --- the operators' CRDs ------------------------------------------------------------------------------
t=$SECONDS
# Server-side: seven of the CRDs (CloudNativePG's Cluster and Pooler, Argo Rollouts', the redis-operator's)
# are larger than the 256 KiB annotation client-side apply writes.
kc apply --server-side --force-conflicts -f "$PROJECT_ROOT/crds/" >/dev/null
kc wait --for=condition=Established --timeout=60s -f "$PROJECT_ROOT/crds/" >/dev/null
echo "CRDS $(find "$PROJECT_ROOT/crds" -name '*.yaml' | wc -l) CustomResourceDefinitions established after $((SECONDS - t)) s"

# --- stand-ins for the cluster facts the levels assume --------------------------------------------
# Level 3 spreads its API pods over zones with whenUnsatisfiable: DoNotSchedule: a node without a
# zone label takes none. One node, one zone.
kc label node "$NODE_NAME" topology.kubernetes.io/zone=merlai-test-zone-a --overwrite >/dev/null
# Level 3's API claims are ReadWriteMany in the class main.ts names (efs-sc, EFS on EKS). Test
# stand-in: local directories on the one node, offered as ReadWriteMany (all pods share the node).
local_storage efs-sc 4 ReadWriteMany rwx-pv rwx \
  '{merlai.io/test-stand-in: "ReadWriteMany local directories on the single test node, in place of EFS"}' |
  kc apply -f - >/dev/null

# remove_level: delete namespace `merlai` with everything in it, wait until it is gone, and make the
# local volumes its claims held available again (Retain: empty the directory, drop the claimRef).
remove_level() {
  local t=$SECONDS pv path
  kc delete namespace "$ns" --ignore-not-found --wait=false >/dev/null
  gone() { ! kc get namespace "$ns"; }
  wait_for 240 "namespace $ns deleted" gone ||
    die "namespace $ns not deleted: $(kc get namespace "$ns" -o jsonpath='{.status.conditions}')"
  for pv in $(kc get pv -o json | jq -r '.items[] | select(.status.phase == "Released") | .metadata.name'); do
    path="$(kc get pv "$pv" -o jsonpath='{.spec.local.path}')"
    [[ "$path" == "$STATE"/pv/* ]] && find "$path" -mindepth 1 -delete
    kc patch pv "$pv" --type=json -p '[{"op": "remove", "path": "/spec/claimRef"}]' >/dev/null
  done
  log "namespace $ns removed, volumes released, in $((SECONDS - t))s"
}

# yaml_docs FILE: the file's documents as one JSON array (the project's own yaml module).
yaml_docs() {
  (cd "$PROJECT_ROOT" && node -e 'const y = require("yaml"); const fs = require("node:fs");
    console.log(JSON.stringify(y.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((d) => d.toJS()).filter(Boolean)))' "$1")
}
# objects FILE: the file's objects as kind/namespace/name, one a line.
objects() { yaml_docs "$1" | jq -r '.[] | .kind + "/" + (.metadata.namespace // "-") + "/" + .metadata.name' | sort; }

# install_level FILE: the namespace, the Secrets the platform (and, absent, CloudNativePG) provides,
# then level.sh (apply, pods Ready within their probe budget, Pod Security), then every object of
# the file read back from the API server.
install_level() {
  local file="$1" level
  level="$(basename "$file" .k8s.yaml)"
  yaml_docs "$file" | jq '.[] | select(.kind == "Namespace")' | kc apply -f - >/dev/null
  # README "Datastores": the Redis Secret is the platform's, created once (URL-safe hex password).
  local password
  password="$(openssl rand -hex 32)"
  kc -n "$ns" create secret generic merlai-redis-auth --from-literal=password="$password" \
    --from-literal=url="redis://:$password@merlai-redis-master:6379/0" >/dev/null
  # Stand-in for the Secret CloudNativePG writes for the Cluster's owner (no operator runs here).
  kc -n "$ns" create secret generic merlai-postgres-app --from-literal=username=merlai \
    --from-literal=password="$(openssl rand -hex 16)" \
    --from-literal=uri="postgresql://merlai@merlai-postgres-rw.$ns:5432/merlai" >/dev/null
  kc -n "$ns" label secret merlai-postgres-app merlai.io/test-stand-in=cloudnative-pg >/dev/null

  "$CLUSTER_HERE/level.sh" "$file"

  local want have missing
  want="$(objects "$file")"
  have="$(kc get -f "$file" -o json | jq -r '(.items // [.])[] | .kind + "/" + (.metadata.namespace // "-") + "/" + .metadata.name' | sort)"
  missing="$(comm -23 <(echo "$want") <(echo "$have"))"
  [[ -z "$missing" ]] || die "$level: objects of the file not stored by the API server: $missing"
  echo "LEVEL $level all $(wc -l <<<"$want") objects accepted and stored by the API server ($(grep -c -E '^(Cluster|ScheduledBackup|ObjectStore|RedisReplication|RedisSentinel|PodMonitor|PrometheusRule)/' <<<"$want") custom resources validated against the CRDs)"
}

# --- stand-ins for the operators' pods, and the reachability matrix at this level ------------------
# No operator reconciles the level's `Cluster` or `RedisReplication` here (README, "Real cluster"), so
# no datastore pod would exist for the level's own NetworkPolicies to select. For the matrix, the
# script starts in their place what the operators would: real PostgreSQL 15 and Redis 7 servers (the
# images Level 1 runs) in pods with the names, counts and labels the operators give theirs, read from
# the level's custom resources —
#   CloudNativePG (docs/src/labels_annotations.md): `<cluster>-<n>` for n = 1..spec.instances, with
#     spec.inheritedMetadata.labels and cnpg.io/cluster, cnpg.io/instanceName, cnpg.io/podRole:
#     instance, cnpg.io/instanceRole and the deprecated `role` (primary for the first, else replica);
#     PostgreSQL on 5432, the instance manager's status 8000 and metrics 9187 (a listener);
#   OT redis-operator (internal/k8sutils/labels.go getRedisLabels, redis-replication-sentinel.go):
#     `<name>-<i>` for i < spec.clusterSize with app: <name>, redis_setup_type: replication, role:
#     replication, the resource's own labels and redis-role master (the first) or slave; Redis on
#     6379 and the exporter's port (spec.redisExporter.port, a listener); and, with spec.sentinel,
#     `<name>-sentinel-<j>` for j < spec.sentinel.size with app: <name>-sentinel, redis_setup_type:
#     sentinel, role: sentinel and the resource's labels: a real Redis Sentinel on 26379.
# Each also carries the label merlai.io/test-stand-in (no policy selects on it) and an annotation
# saying what it is. They are independent servers (no replication, no failover): the matrix needs
# the pods, labels and listening ports, not the operators' behaviour. Removed after the measurement.
stand_in_pods() { # LEVEL_FILE -> a List of the stand-in pods as JSON
  yaml_docs "$1" | jq --arg ns "$ns" --arg client "$client" '
    def restricted($uid): {runAsNonRoot: true, runAsUser: $uid, runAsGroup: $uid, fsGroup: $uid,
      seccompProfile: {type: "RuntimeDefault"}};
    def container_sc: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
      capabilities: {drop: ["ALL"]}, seccompProfile: {type: "RuntimeDefault"}};
    def small: {requests: {cpu: "10m", memory: "32Mi"}, limits: {cpu: "250m", memory: "256Mi"}};
    def listener($name; $ports): {name: $name, image: $client, command: ["bash", "-c",
        ([$ports[] | "nc -lk \(.containerPort) </dev/null >/dev/null &"] | join(" ")) + " wait"],
      ports: $ports, securityContext: container_sc, resources: small,
      readinessProbe: {tcpSocket: {port: $ports[0].containerPort}, periodSeconds: 2}};
    def stand_in($name; $operator; $what; $labels; $uid; $containers): {apiVersion: "v1", kind: "Pod",
      metadata: {name: $name, namespace: $ns, labels: ($labels + {"merlai.io/test-stand-in": $operator}),
        annotations: {"merlai.io/test-stand-in": "test stand-in for the \($what) pod \($operator) would create (scripts/cluster/levels23.sh); not part of dist/"}},
      spec: {automountServiceAccountToken: false, terminationGracePeriodSeconds: 1,
        securityContext: restricted($uid), containers: $containers,
        volumes: [{name: "data", emptyDir: {sizeLimit: "256Mi"}}, {name: "run", emptyDir: {sizeLimit: "16Mi"}},
          {name: "tmp", emptyDir: {sizeLimit: "64Mi"}}]}};
    [ (.[] | select(.kind == "Cluster" and (.apiVersion | startswith("postgresql.cnpg.io/"))) as $c
        | range(1; $c.spec.instances + 1) as $n
        | (if $n == 1 then "primary" else "replica" end) as $role
        | stand_in("\($c.metadata.name)-\($n)"; "cloudnative-pg"; "PostgreSQL instance";
            ($c.spec.inheritedMetadata.labels // {}) + {"cnpg.io/cluster": $c.metadata.name,
              "cnpg.io/instanceName": "\($c.metadata.name)-\($n)", "cnpg.io/podRole": "instance",
              "cnpg.io/instanceRole": $role, role: $role}; 999;
            [{name: "postgres", image: "postgres:15.20-bookworm",
              env: [{name: "POSTGRES_USER", valueFrom: {secretKeyRef: {name: "merlai-postgres-app", key: "username"}}},
                {name: "POSTGRES_PASSWORD", valueFrom: {secretKeyRef: {name: "merlai-postgres-app", key: "password"}}},
                {name: "POSTGRES_DB", value: $c.spec.bootstrap.initdb.database},
                {name: "PGDATA", value: "/var/lib/postgresql/data/pgdata"}],
              ports: [{name: "postgresql", containerPort: 5432}], securityContext: container_sc, resources: small,
              readinessProbe: {exec: {command: ["pg_isready", "--host=127.0.0.1", "--port=5432"]}, periodSeconds: 2},
              volumeMounts: [{name: "data", mountPath: "/var/lib/postgresql/data"},
                {name: "run", mountPath: "/var/run/postgresql"}, {name: "tmp", mountPath: "/tmp"}]},
             listener("instance-manager-ports"; [{name: "status", containerPort: 8000}, {name: "metrics", containerPort: 9187}])])),
      (.[] | select(.kind == "RedisReplication") as $r
        | ({app: $r.metadata.name, redis_setup_type: "replication", role: "replication"} + ($r.metadata.labels // {})) as $data
        | ({app: "\($r.metadata.name)-sentinel", redis_setup_type: "sentinel", role: "sentinel"} + ($r.metadata.labels // {})) as $sentinel
        | ($r.spec.kubernetesConfig.redisSecret) as $secret
        | (range(0; $r.spec.clusterSize) as $i
            | stand_in("\($r.metadata.name)-\($i)"; "redis-operator"; "Redis replication";
                $data + {"redis-role": (if $i == 0 then "master" else "slave" end)}; 999;
                [{name: $r.metadata.name, image: "redis:7.0.15-bookworm", workingDir: "/data",
                  command: ["sh", "-c", "exec redis-server --port 6379 --requirepass \"$REDIS_PASSWORD\" --save \"\" --appendonly no"],
                  env: [{name: "REDIS_PASSWORD", valueFrom: {secretKeyRef: $secret}}],
                  ports: [{name: "redis-client", containerPort: 6379}], securityContext: container_sc, resources: small,
                  readinessProbe: {exec: {command: ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]}, periodSeconds: 2},
                  volumeMounts: [{name: "data", mountPath: "/data"}]}]
                + (if $r.spec.redisExporter.enabled then
                    [listener("redis-exporter"; [{name: "redis-exporter", containerPort: ($r.spec.redisExporter.port // 9121)}])]
                  else [] end))),
          (if $r.spec.sentinel then range(0; $r.spec.sentinel.size) as $j
            | stand_in("\($r.metadata.name)-sentinel-\($j)"; "redis-operator"; "Redis Sentinel"; $sentinel; 999;
                [{name: "\($r.metadata.name)-sentinel", image: "redis:7.0.15-bookworm", workingDir: "/data",
                  command: ["sh", "-c", "printf \"port 26379\\n\" >/data/sentinel.conf && exec redis-server /data/sentinel.conf --sentinel"],
                  ports: [{name: "sentinel-client", containerPort: 26379}], securityContext: container_sc, resources: small,
                  readinessProbe: {exec: {command: ["redis-cli", "-h", "127.0.0.1", "-p", "26379", "ping"]}, periodSeconds: 2},
                  volumeMounts: [{name: "data", mountPath: "/data"}]}])
           else empty end))
    ] | {apiVersion: "v1", kind: "List", items: .}'
}

# reachability_at LEVEL_FILE: the stand-ins up and Ready, then stage 3 (test/cluster/reachability.ts)
# on the level's policies, with the same requirements as Level 1's plus a metrics scrape; any flow on
# which the cluster and the evaluator disagree fails the step.
reachability_at() {
  local file="$1" level t out pods
  level="$(basename "$file" .k8s.yaml)"
  t=$SECONDS
  pods="$(stand_in_pods "$file")"
  [[ "$(jq '.items | length' <<<"$pods")" -gt 0 ]] || die "$level: no stand-in pods (no Cluster or RedisReplication in $file)"
  kc apply -f - >/dev/null <<<"$pods"
  kc -n "$ns" wait --for=condition=Ready pod -l merlai.io/test-stand-in --timeout=180s >/dev/null || {
    kc -n "$ns" get pods -l merlai.io/test-stand-in -o wide >&2
    die "$level: the stand-in datastore pods are not Ready"
  }
  echo "STANDIN $level: $(jq -r '[.items[].metadata.name] | join(" ")' <<<"$pods") Ready after $((SECONDS - t)) s"
  out="$STATE/reachability-$level.txt"
  (cd "$PROJECT_ROOT" && KUBECTL="$STATE/bin/kubectl" MERLAI_TESTCLIENT_IMAGE="$client" \
    MERLAI_API_SERVER_IP="$NODE_IP" node -r esbuild-register test/cluster/reachability.ts "${file#"$PROJECT_ROOT"/}") | tee "$out" ||
    die "$level: the measured reachability matrix differs from the evaluator's (REACH FAIL above)"
  # An open network cannot pass: a denied flow tried and refused, and Prometheus's scrape of a
  # datastore's metrics port (the levels' own rule for namespace monitoring) connected.
  grep -q '^REACH   refused other-team -> .*:5432/TCP$' "$out" ||
    die "$level: no refused flow other-team -> PostgreSQL 5432 in the measured matrix"
  grep -qE '^REACH   allowed prometheus -> .*:(9187|9121)/TCP$' "$out" ||
    die "$level: no connected flow Prometheus -> a metrics port (9187/9121) in the measured matrix"
  kc -n "$ns" delete pod -l merlai.io/test-stand-in --wait=true --timeout=60s >/dev/null
  log "$level reachability (stand-ins, matrix): $((SECONDS - t))s"
}

# --- Level 2 ------------------------------------------------------------------------------------------
t=$SECONDS
remove_level # Level 1, left by the stages before
install_level "$l2"
log "level 2: $((SECONDS - t))s"
reachability_at "$l2"
# Fixture: the CRDs' schemas are enforced, not only stored. The level's own Cluster with 0 instances
# (minimum 1) and its RedisReplication with a clusterSize that is no integer must be refused.
refused() { # DESCRIPTION EXPECTED_TEXT JQ_EDIT KIND
  local out
  if out="$(yaml_docs "$l2" | jq -c ".[] | select(.kind == \"$4\") | $3" | kc apply --dry-run=server -f - 2>&1)"; then
    die "fixture $1: accepted by the API server"
  fi
  grep -qF "$2" <<<"$out" || die "fixture $1: refused, but not for its schema: $out"
  echo "FIXTURE $1: refused by the API server ($2)"
}
refused "Cluster with 0 instances" "spec.instances: Invalid value: 0" '.spec.instances = 0' Cluster
refused "RedisReplication with clusterSize \"three\"" "spec.clusterSize: Invalid value" '.spec.clusterSize = "three"' RedisReplication

# --- Level 3 ------------------------------------------------------------------------------------------
t=$SECONDS
remove_level
install_level "$l3"
log "level 3 installed: $((SECONDS - t))s"
reachability_at "$l3"

# --- Level 3's HorizontalPodAutoscaler reads CPU from metrics-server --------------------------------
hpa="$(kc -n "$ns" get hpa -o jsonpath='{.items[0].metadata.name}')"
[[ -n "$hpa" ]] || die "level 3 has no HorizontalPodAutoscaler in $ns"
target="$(kc -n "$ns" get hpa "$hpa" -o jsonpath='{.spec.metrics[0].resource.target.averageUtilization}')"
utilization() { kc -n "$ns" get hpa "$hpa" -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}'; }
has_utilization() { [[ "$(utilization)" =~ ^[0-9]+$ ]]; }
t=$SECONDS
wait_for 180 "HPA $hpa reports a CPU utilization" has_utilization || {
  kc -n "$ns" describe hpa "$hpa" | tail -n 15 >&2
  die "HPA $hpa reports no current CPU utilization (metrics-server)"
}
idle="$(utilization)"
echo "HPA $hpa: current CPU utilization ${idle}% of requests (target ${target}%) after $((SECONDS - t)) s, replicas $(kc -n "$ns" get hpa "$hpa" -o jsonpath='{.status.currentReplicas}')"
kc -n "$ns" top pods --no-headers | sed 's/^/TOP /' || die "kubectl top pods failed"

# Load from a pod in namespace ingress-nginx (the only namespace the API's policy admits on 8000):
# 8 connections, each sending the real app's music generation request (POST /api/v1/generate: a
# five-note melody, harmony, bass and drums; ~25 ms of the API's CPU, almost none of curl's) back
# to back on a kept-alive connection, for load_s seconds.
body='{"melody":[{"pitch":60,"velocity":100,"duration":0.5,"start_time":0},{"pitch":62,"velocity":100,"duration":0.5,"start_time":0.5},{"pitch":64,"velocity":100,"duration":0.5,"start_time":1},{"pitch":65,"velocity":100,"duration":0.5,"start_time":1.5},{"pitch":67,"velocity":100,"duration":1,"start_time":2}],"tempo":120,"key":"C","style":"pop"}'
kc create namespace ingress-nginx --dry-run=client -o yaml | kc apply -f - >/dev/null
kc -n ingress-nginx delete pod merlai-load --ignore-not-found --wait=true >/dev/null
kc -n ingress-nginx apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: merlai-load, labels: {app: merlai-load}}
spec:
  restartPolicy: Never
  activeDeadlineSeconds: $((load_s + 60))
  securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: load
    image: $client
    command: [bash, -c]
    args:
    - for c in 1 2 3 4 5 6 7 8; do timeout $load_s curl -s -o /dev/null -H 'content-type:application/json' -d '$body' "http://merlai-api.$ns.svc.cluster.local/api/v1/generate?[1-100000000]" & done; wait; exit 0
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {cpu: 500m, memory: 256Mi}}
YAML
load_running() { [[ "$(kc -n ingress-nginx get pod merlai-load -o jsonpath='{.status.phase}')" == Running ]]; }
wait_for 60 "load pod running" load_running ||
  die "the load pod did not start: $(kc -n ingress-nginx describe pod merlai-load | tail -n 10)"
peak="$idle"
max_replicas=0
max_desired=0
t=$SECONDS
while ((SECONDS - t < load_s + 30)); do
  sleep 15
  u="$(utilization)"
  r="$(kc -n "$ns" get hpa "$hpa" -o jsonpath='{.status.currentReplicas}/{.status.desiredReplicas}')"
  ready="$(kc -n "$ns" get deployment merlai-api -o jsonpath='{.status.readyReplicas}')"
  echo "HPA t=$((SECONDS - t))s utilization=${u:-?}% replicas(current/desired)=$r ready=${ready:-0}"
  [[ "$u" =~ ^[0-9]+$ ]] && ((u > peak)) && peak="$u"
  cur="${r%%/*}" desired="${r##*/}"
  ((${cur:-0} > max_replicas)) && max_replicas="$cur"
  ((${desired:-0} > max_desired)) && max_desired="$desired"
done
kc -n ingress-nginx delete pod merlai-load --wait=false >/dev/null
kc -n "$ns" top pods --no-headers | sed 's/^/TOP /' || true
kc -n "$ns" get events --field-selector involvedObject.kind=HorizontalPodAutoscaler -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers |
  sed 's/^/HPA event /' | tail -n 5
echo "HPA $hpa under load: CPU utilization ${idle}% idle -> peak ${peak}% (target ${target}%), replicas 3 -> desired at most $max_desired, running at most $max_replicas"
# The utilization must follow the load: a reading stuck at its idle value means the HPA does not
# see the pods' CPU. And it must act on it: above the target (plus its 10 % tolerance) it asks for
# more replicas (whether the one node has room for them is reported, not required).
((peak >= idle + 20)) || die "HPA $hpa: utilization did not rise under load (idle ${idle}%, peak ${peak}%)"
if ((peak * 10 > target * 11 && max_desired <= 3)); then
  die "HPA $hpa: utilization ${peak}% above the target ${target}% but no scale-up asked for"
fi
log "levels 2 and 3 stage: $((SECONDS - t_stage))s"
