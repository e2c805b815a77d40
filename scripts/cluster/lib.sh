#!/usr/bin/env bash
# shellcheck disable=SC2034  # settings used by the scripts that source this file
# Shared settings of the real single-node cluster (sourced by the other scripts in this folder).
# Everything runs inside one network namespace made here (NETNS): the node's address, the pod
# range and the service range exist only in it, so nothing listens outside this machine and
# kube-proxy's and the policy enforcer's rules never touch the host's own tables.

KUBERNETES_VERSION="v1.28.15"
COREDNS_VERSION="v1.12.4"
KUBE_ROUTER_VERSION="v2.1.0"
METRICS_SERVER_VERSION="v0.8.0"

CLUSTER_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$CLUSTER_HERE/../.." && pwd)"
# Kubernetes binaries share the conformance step's cache (scripts/conformance/build-k8s.sh).
K8S_CACHE="${MERLAI_TOOLS_CACHE:-${HOME:-/root}/.cache/merlai-conformance}/k8s-$KUBERNETES_VERSION"
K8S_BIN="$K8S_CACHE/bin"
CLUSTER_CACHE="${MERLAI_CLUSTER_CACHE:-${HOME:-/root}/.cache/merlai-cdk8s/cluster}"
# MERLAI_CLUSTER_INSTANCE=NAME runs a second cluster beside the first (its own network namespace,
# state, cgroups and containerd root; addresses may repeat: each lives in its own namespace).
INSTANCE="${MERLAI_CLUSTER_INSTANCE:+-$MERLAI_CLUSTER_INSTANCE}"
[[ "$INSTANCE" =~ ^(-[a-z0-9]{1,12})?$ ]] || {
  echo "cluster: MERLAI_CLUSTER_INSTANCE=${MERLAI_CLUSTER_INSTANCE:-} is not valid: 1-12 of a-z and 0-9" >&2
  exit 2
}
# Live state of one cluster run (wiped by down.sh). Kept short: containerd's socket path is
# limited to 108 characters.
STATE="${MERLAI_CLUSTER_STATE:-/var/lib/merlai-k8s$INSTANCE}"
RUNDIR="/run/merlai-k8s$INSTANCE"
NETNS="merlai-k8s$INSTANCE"
NODE_NAME="merlai-node"
NODE_IP="172.31.213.2"
POD_CIDR="10.214.0.0/24"
POD_GW="10.214.0.1"
SERVICE_CIDR="10.215.0.0/24"
API_SERVICE_IP="10.215.0.1"
DNS_SERVICE_IP="10.215.0.10"
CGROUP_ROOT="merlai-k8s$INSTANCE"
CONTAINERD_SOCK="$RUNDIR/containerd.sock"
# containerd's content store and snapshots outlive a run (importing the images takes minutes); its
# containers do not (up.sh and down.sh remove them).
CONTAINERD_ROOT="$CLUSTER_CACHE/containerd-root$INSTANCE"
KUBECONFIG_ADMIN="$STATE/pki/admin.kubeconfig"

cluster_start=$SECONDS
log() { printf '[cluster %4ds] %s\n' "$((SECONDS - cluster_start))" "$*" >&2; }
die() {
  printf 'cluster: FAIL: %s\n' "$*" >&2
  exit 1
}

# Run a command inside the cluster's network namespace (only the network: the mount namespace
# stays shared, so containerd sees the volumes the kubelet mounts).
inns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
kc() { inns "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctrk() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll once a second until COMMAND succeeds.
wait_for() {
  local budget="$1" what="$2"
  shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - t0 >= budget)); then
      log "timed out after ${budget}s waiting for $what"
      return 1
    fi
    sleep 1
  done
  log "$what after $((SECONDS - t0))s"
}

# cached_image NAME: the reference of a cluster image built by build.sh (localhost/NAME:<hash>).
cached_image() {
  local tar
  tar="$(ls -t "$CLUSTER_CACHE/images/$1"-*.tar 2>/dev/null | head -n 1)"
  [[ -n "$tar" ]] || die "no image $1 in $CLUSTER_CACHE/images: run scripts/cluster/build.sh"
  tar="$(basename "$tar" .tar)"
  echo "localhost/$1:${tar#"$1"-}"
}

# remove_containers: delete every container (and its task) containerd holds for Kubernetes.
remove_containers() {
  local id
  for id in $(ctrk containers ls -q 2>/dev/null); do
    ctrk tasks kill -s SIGKILL "$id" >/dev/null 2>&1
    ctrk tasks delete -f "$id" >/dev/null 2>&1
    ctrk containers delete "$id" >/dev/null 2>&1
  done
}

# local_storage CLASS COUNT ACCESS_MODE PV_PREFIX DIR_PREFIX ANNOTATIONS: a StorageClass of COUNT
# pre-created local PersistentVolumes PV_PREFIX1.. on the one node (directories $STATE/pv/DIR_PREFIX1..,
# made here), as YAML on stdout for `kc apply -f -`. ANNOTATIONS: the class's, as a YAML flow map.
local_storage() {
  local class="$1" count="$2" mode="$3" name="$4" prefix="$5" annotations="$6" i
  cat <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $class
  annotations: $annotations
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
YAML
  for i in $(seq 1 "$count"); do
    mkdir -p "$STATE/pv/$prefix$i"
    chmod 0777 "$STATE/pv/$prefix$i"
    cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: $name$i}
spec:
  capacity: {storage: 100Gi}
  accessModes: [$mode]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $class
  local: {path: $STATE/pv/$prefix$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]
YAML
  done
}
