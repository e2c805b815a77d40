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
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  [[ -x "$K8S_BIN/$b" ]] || die "$K8S_BIN/$b missing: run scripts/cluster/build.sh"
done
for c in containerd runc etcd ip nsenter ctr openssl iptables jq curl; do
  command -v "$c" >/dev/null || die "$c not on PATH (bash scripts/ci/apt-install.sh installs .ci/packages)"
done
[[ -x /usr/lib/cni/bridge ]] || die "/usr/lib/cni/bridge missing (bash scripts/ci/apt-install.sh installs .ci/packages)"

"$CLUSTER_HERE/down.sh" --quiet
mkdir -p "$STATE/logs" "$RUNDIR"

# --- network namespace: the node -------------------------------------------------------------
ip netns add "$NETNS"
inns ip link set lo up
# The node's address sits on the namespace's loopback device (this kernel has no dummy driver).
inns ip addr add "$NODE_IP/32" dev lo
# No way out: anything not meant for the namespace is refused at once, never leaves the machine.
inns ip route add unreachable default
# Host-network pods (the enforcer) reach the API through its service address: route the service
# range locally so kube-proxy's OUTPUT rules can rewrite it.
inns ip route add "$SERVICE_CIDR" dev lo
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

# Images: the cluster's own (pause, CoreDNS, metrics-server, kube-router, test client)
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
  have="$(ctrk images ls -q)"
  for ref in "${app_refs[@]}"; do
    grep -qxF "$ref" <<<"$have" || die "image $ref not in containerd after the import"
  done
fi
log "images in containerd: $(ctrk images ls -q | grep -vc '^sha256:')"

# --- control plane ------------------------------------------------------------------------------
"$CLUSTER_HERE/pki.sh"
pki="$STATE/pki"
# A kubectl for people and for the checks: $STATE/bin/kubectl get pods -A
mkdir -p "$STATE/bin"
cat >"$STATE/bin/kubectl" <<SH
#!/bin/sh
exec nsenter --net=/run/netns/$NETNS -- "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "\$@"
SH
chmod +x "$STATE/bin/kubectl"
daemon etcd etcd --name merlai --data-dir "$STATE/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster merlai=http://127.0.0.1:2380
daemon kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers=http://127.0.0.1:2379 --bind-address=0.0.0.0 --secure-port=6443 --advertise-address="$NODE_IP" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true \
  --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key" \
  --enable-aggregator-routing=true --profiling=false
wait_for 300 "kube-apiserver ready" kc get --raw /readyz || { alive etcd; alive kube-apiserver; die "kube-apiserver not ready"; }
daemon kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$pki/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$pki/controller-manager.kubeconfig" --authorization-kubeconfig="$pki/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
daemon kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$pki/scheduler.kubeconfig" \
  --authentication-kubeconfig="$pki/scheduler.kubeconfig" --authorization-kubeconfig="$pki/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --profiling=false

# --- node -------------------------------------------------------------------------------------
mkdir -p "$STATE/kubelet" "$STATE/kubelet-plugins"
echo "nameserver 127.0.0.1" >"$STATE/resolv.conf"
cat >"$STATE/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# RUNTIME.md: cgroupfs driver, swap tolerated, no node-allocatable enforcement on this machine kind.
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failSwapOn: false
enforceNodeAllocatable: []
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $NODE_IP
readOnlyPort: 0
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: $STATE/resolv.conf
volumePluginDir: $STATE/kubelet-plugins
# The disk is shared with the rest of the machine: evict on our own pods' limits, not on the
# host's free space.
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
evictionPressureTransitionPeriod: 10s
imageGCHighThresholdPercent: 100
serializeImagePulls: false
maxPods: 60
YAML
daemon kubelet "$K8S_BIN/kubelet" --config="$STATE/kubelet.yaml" --kubeconfig="$pki/kubelet.kubeconfig" \
  --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
wait_for 180 "node $NODE_NAME Ready" kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s || {
  alive kubelet
  die "node not Ready: $(tail -n 20 "$STATE/logs/kubelet.log")"
}
cat >"$STATE/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $pki/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# conntrack sysctls are the machine's, not this namespace's: leave them alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
daemon kube-proxy "$K8S_BIN/kube-proxy" --config="$STATE/kube-proxy.yaml"
proxy_ready() { inns iptables -t nat -S KUBE-SERVICES 2>/dev/null | grep -F "$API_SERVICE_IP" >/dev/null; }
wait_for 60 "kube-proxy programmed the API service" proxy_ready ||
  { alive kube-proxy; die "kube-proxy wrote no service rules"; }

# --- storage and DNS ----------------------------------------------------------------------------
pv_count="${MERLAI_CLUSTER_PVS:-12}"
local_storage local-dirs "$pv_count" ReadWriteOnce local-pv pv '{storageclass.kubernetes.io/is-default-class: "true"}' |
  kc apply -f - >/dev/null
coredns_image="$(cached_image merlai-coredns)"
sed -e "s#@COREDNS_IMAGE@#$coredns_image#" -e "s#@DNS_SERVICE_IP@#$DNS_SERVICE_IP#" \
  "$CLUSTER_HERE/manifests/coredns.yaml" | kc apply -f - >/dev/null
wait_for 180 "CoreDNS Ready" kc -n kube-system wait --for=condition=Available deployment/coredns --timeout=1s ||
  die "CoreDNS not ready: $(kc -n kube-system describe pods -l k8s-app=kube-dns | tail -n 20)"

# --- NetworkPolicy enforcement ------------------------------------------------------------------
# kube-router's firewall (manifests/kube-router.yaml). Ready means its first full sync is done: the
# filter table's INPUT, FORWARD and OUTPUT chains jump to its KUBE-ROUTER-* chains.
sed -e "s#@KUBE_ROUTER_IMAGE@#$(cached_image merlai-kube-router)#" -e "s#@SERVICE_CIDR@#$SERVICE_CIDR#" \
  "$CLUSTER_HERE/manifests/kube-router.yaml" | kc apply -f - >/dev/null
enforcer_ready() {
  local chain
  for chain in INPUT FORWARD OUTPUT; do
    inns iptables -t filter -S "$chain" | grep -q -- "-j KUBE-ROUTER-$chain" || return 1
  done
}
wait_for 180 "kube-router's firewall running" kc -n kube-system rollout status daemonset/kube-router --timeout=1s ||
  die "kube-router not running: $(kc -n kube-system logs daemonset/kube-router --tail=20 2>&1)"
wait_for 60 "kube-router programmed the filter table" enforcer_ready ||
  die "kube-router wrote no filter rules: $(kc -n kube-system logs daemonset/kube-router --tail=20 2>&1)"
log "cluster up: $(kc get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')"
