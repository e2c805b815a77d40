#!/usr/bin/env bash
# Bring up the single-node cluster: a network namespace with the node's address, containerd + runc
# (CRI), etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kube-proxy at
# KUBERNETES_VERSION, the bridge CNI, CoreDNS, a default StorageClass of pre-created local
# PersistentVolumes, and the locally built images imported into containerd.
# Run build.sh first. down.sh removes everything again (test.sh calls it from a trap).
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "$(id -u)" -eq 0 ]] || die "the cluster needs root (network namespace, cgroups, containerd)"
for c in containerd runc etcd ip nsenter ctr openssl iptables; do
  command -v "$c" >/dev/null || die "$c not on PATH (apt-get install containerd runc etcd-server iproute2 util-linux openssl iptables)"
done
[[ -x /usr/lib/cni/bridge ]] || die "/usr/lib/cni/bridge missing (apt-get install containernetworking-plugins)"

"$CLUSTER_HERE/down.sh" --quiet
mkdir -p "$STATE/logs" "$RUNDIR"

# --- network namespace: the node -------------------------------------------------------------
ip netns add "$NETNS"
inns ip link set lo up
# The node's address sits on the namespace's loopback device (this kernel has no dummy driver).
inns ip addr add "$NODE_IP/32" dev lo
# No way out: anything not meant for the namespace is refused at once, never leaves the machine.
inns ip route add unreachable default
inns sysctl -qw net.ipv4.ip_forward=1
inns sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "note: bridge-nf-call-iptables not settable"
inns sysctl -qw net.ipv4.conf.all.route_localnet=1

# --- cgroups: one tree for the pods (the kubelet's cgroupRoot), one for the daemons ------------
for ctl in /sys/fs/cgroup/*/; do
  ctl="${ctl%/}"
  [[ "$ctl" == */unified ]] && continue
  for cg in "$CGROUP_ROOT" "$CGROUP_ROOT-sys"; do
    mkdir -p "$ctl/$cg"
    if [[ -f "$ctl/cpuset.cpus" ]]; then
      cat "$ctl/cpuset.cpus" >"$ctl/$cg/cpuset.cpus"
      cat "$ctl/cpuset.mems" >"$ctl/$cg/cpuset.mems"
    fi
  done
done

# daemon NAME COMMAND...: start COMMAND in the namespace, in the daemons' cgroup (so down.sh finds
# it and everything it forks, containerd's shims included), logging to $STATE/logs/NAME.log.
daemon() {
  local name="$1"
  shift
  setsid bash -c 'for c in /sys/fs/cgroup/*/'"$CGROUP_ROOT"'-sys; do echo $$ >"$c/cgroup.procs"; done; exec "$@"' \
    _ nsenter --net="/run/netns/$NETNS" -- "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUNDIR/$name.pid"
}
alive() { kill -0 "$(cat "$RUNDIR/$1.pid")" 2>/dev/null || die "$1 exited; the end of its log:
$(tail -n 25 "$STATE/logs/$1.log")"; }

# --- containerd ---------------------------------------------------------------------------------
pause_image="$(cached_image merlai-pause)"
mkdir -p "$STATE/containerd" "$STATE/cni/net.d"
cat >"$STATE/containerd/config.toml" <<TOML
version = 2
root = "$CONTAINERD_ROOT"
state = "$RUNDIR/containerd"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # A negative OOM score for the sandbox is refused on this machine kind (RUNTIME.md).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
TOML
cat >"$STATE/cni/net.d/10-merlai.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "merlai",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GW"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
daemon containerd containerd --config "$STATE/containerd/config.toml"
wait_for 60 "containerd answers" ctr --address "$CONTAINERD_SOCK" version || { alive containerd; die "containerd not answering"; }

# Images: the cluster's own (pause, CoreDNS, metrics-server, kube-network-policies, test client)
# from build.sh's cache, and those named in MERLAI_CLUSTER_IMAGES (fully qualified podman names,
# e.g. docker.io/library/merlai:1.0.0) from podman's storage.
remove_containers # left by a run that could not clean up
# import_once KEY COMMAND...: run the import COMMAND unless KEY was imported into this root before.
mkdir -p "$CONTAINERD_ROOT/merlai-imported"
import_once() {
  local key="$1"
  shift
  [[ -f "$CONTAINERD_ROOT/merlai-imported/$key" ]] && return 0
  "$@" || return 1
  touch "$CONTAINERD_ROOT/merlai-imported/$key"
}
for tar in "$CLUSTER_CACHE"/images/*.tar; do
  import_once "$(basename "$tar")" ctrk images import "$tar" >/dev/null || die "ctr cannot import $tar"
done
# shellcheck disable=SC2206  # a list of image references
app_refs=(${MERLAI_CLUSTER_IMAGES:-})
if ((${#app_refs[@]})); then
  key="app-$(podman image inspect --format '{{.Id}}' "${app_refs[@]}" | sha256sum | cut -c1-16)" ||
    die "podman has not all of ${app_refs[*]} (scripts/images/build.sh builds them)"
  # One archive: the images share their layers. Names are kept as podman has them, fully
  # qualified (docker.io/library/NAME:TAG is what the kubelet asks for when a pod says NAME:TAG).
  save_import() {
    podman save -q -m --format docker-archive -o "$STATE/images.tar" "${app_refs[@]}" >/dev/null &&
      ctrk images import "$STATE/images.tar" >/dev/null
    local rc=$?
    rm -f "$STATE/images.tar"
    return $rc
  }
  t_img=$SECONDS
  import_once "$key" save_import || die "podman cannot save or ctr cannot import ${app_refs[*]}"
  ((SECONDS - t_img > 2)) && log "application images imported in $((SECONDS - t_img))s"
  for ref in "${app_refs[@]}"; do
    ctrk images ls -q | grep -qxF "$ref" || die "image $ref not in containerd after the import"
  done
fi
log "images in containerd: $(ctrk images ls -q | grep -vc '^sha256:')"

# --- control plane ------------------------------------------------------------------------------
