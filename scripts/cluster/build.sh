#!/usr/bin/env bash
# Build (or take from the cache) everything the real cluster runs:
#   - kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl at
#     KUBERNETES_VERSION, through the conformance step's build-k8s.sh and its cache;
#   - CoreDNS and kube-router (the NetworkPolicy enforcer) from their Go modules (go install, pinned);
#   - the images the cluster itself needs, as image archives: pause (scripts/cluster/pause), CoreDNS,
#     kube-router on Debian's iptables and ipset, and a Debian test client with curl, nc and dig
#     (mmdebstrap, no registry).
# Every cache entry is keyed by the pinned version or by a hash of its recipe, so a warm run builds
# nothing. Prints nothing on success but timings; the logs of a failed build are shown.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$CLUSTER_CACHE/go" "$CLUSTER_CACHE/images"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath

# --- Kubernetes ---------------------------------------------------------------------------
if [[ ! -x "$K8S_BIN/kubelet" || ! -x "$K8S_BIN/kube-proxy" || ! -x "$K8S_BIN/kube-apiserver" ]]; then
  log "building Kubernetes $KUBERNETES_VERSION (cold: 15-25 min on 2 shared cores)"
fi
mkdir -p "$(dirname "$K8S_CACHE")"
t=$SECONDS
if ! "$PROJECT_ROOT/scripts/conformance/build-k8s.sh" "$KUBERNETES_VERSION" "$K8S_CACHE" \
  kube-apiserver kubectl kube-controller-manager kube-scheduler kubelet kube-proxy >"$CLUSTER_CACHE/k8s-build.log" 2>&1; then
  tail -n 30 "$CLUSTER_CACHE/k8s-build.log" >&2
  die "building Kubernetes $KUBERNETES_VERSION failed"
fi
((SECONDS - t > 5)) && log "Kubernetes binaries built in $((SECONDS - t))s"

# --- Go tools -----------------------------------------------------------------------------
# go_tool NAME PACKAGE VERSION: GOBIN-install PACKAGE@VERSION as $CLUSTER_CACHE/go/NAME-VERSION/NAME
go_tool() {
  local name="$1" pkg="$2" version="$3" dir="$CLUSTER_CACHE/go/$1-$3"
  [[ -x "$dir/$name" ]] && return 0
  log "go install $pkg@$version"
  local t=$SECONDS
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  if ! GOBIN="$dir.partial" go install -ldflags "-s -w" "$pkg@$version" >"$dir.log" 2>&1; then
    tail -n 20 "$dir.log" >&2
    die "go install $pkg@$version failed"
  fi
  local built
  built="$(find "$dir.partial" -maxdepth 1 -type f | head -n 1)"
  mv "$built" "$dir.partial/$name.tmp" && mv "$dir.partial/$name.tmp" "$dir.partial/$name"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
  log "$name $version built in $((SECONDS - t))s"
}
go_tool coredns github.com/coredns/coredns "$COREDNS_VERSION"
# kube-router's firewall enforces the NetworkPolicies (README.md, "Real cluster": why not
# kube-network-policies). v2.1.0 is the only version the module proxy serves under /v2.
go_tool kube-router github.com/cloudnativelabs/kube-router/v2/cmd/kube-router "$KUBE_ROUTER_VERSION"
go_tool metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server "$METRICS_SERVER_VERSION"

pause_hash="$(cat "$CLUSTER_HERE/pause/main.go" "$CLUSTER_HERE/pause/go.mod" | sha256sum | cut -c1-12)"
pause_dir="$CLUSTER_CACHE/go/pause-$pause_hash"
if [[ ! -x "$pause_dir/pause" ]]; then
  mkdir -p "$pause_dir"
  (cd "$CLUSTER_HERE/pause" && go build -ldflags "-s -w" -o "$pause_dir/pause" .)
fi

# --- images -------------------------------------------------------------------------------
# scratch_image NAME BINARY: an image holding one static binary as its entrypoint, saved as
# $CLUSTER_CACHE/images/NAME-<hash of the binary>.tar (OCI archive named localhost/NAME:<hash>).
scratch_image() {
  local name="$1" bin="$2" hash
  hash="$(sha256sum "$bin" | cut -c1-12)"
  local out="$CLUSTER_CACHE/images/$name-$hash.tar"
  [[ -s "$out" ]] && return 0
  local tmp
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/root/etc" "$tmp/root/tmp"
  cp "$bin" "$tmp/root/$(basename "$bin")"
  printf 'root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/:/nonexistent\n' >"$tmp/root/etc/passwd"
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/root/etc/ca-certificates.crt"
  tar -C "$tmp/root" -cf "$tmp/root.tar" .
  podman import -q --change "ENTRYPOINT [\"/$(basename "$bin")\"]" "$tmp/root.tar" "localhost/$name:$hash" >/dev/null
  podman save -q --format docker-archive -o "$out.partial" "localhost/$name:$hash" >/dev/null
  mv "$out.partial" "$out"
  rm -rf "$tmp"
  log "image localhost/$name:$hash built"
}
scratch_image merlai-pause "$pause_dir/pause"
scratch_image merlai-coredns "$CLUSTER_CACHE/go/coredns-$COREDNS_VERSION/coredns"
scratch_image merlai-metrics-server "$CLUSTER_CACHE/go/metrics-server-$METRICS_SERVER_VERSION/metrics-server"

# kube-router shells out to iptables, iptables-save/-restore and ipset: its image is Debian
# bookworm's `essential` set plus iptables and ipset (nft backend by default, the same as the
# node's kube-proxy), with the binary added. The root file system is cached by its package list,
# the image by that and the binary.
netfilter_packages="iptables,ipset"
netfilter_hash="$(printf 'bookworm essential %s v1' "$netfilter_packages" | sha256sum | cut -c1-12)"
netfilter_rootfs="$CLUSTER_CACHE/rootfs/netfilter-$netfilter_hash.tar"
if [[ ! -s "$netfilter_rootfs" ]]; then
  log "building the iptables/ipset root file system (mmdebstrap bookworm, 1-3 min)"
  mkdir -p "$CLUSTER_CACHE/rootfs"
  if ! mmdebstrap --variant=essential --format=tar --include="$netfilter_packages" bookworm "$netfilter_rootfs.partial" \
    >"$netfilter_rootfs.log" 2>&1; then
    tail -n 20 "$netfilter_rootfs.log" >&2
    die "mmdebstrap of the iptables/ipset root file system failed"
  fi
  mv "$netfilter_rootfs.partial" "$netfilter_rootfs"
fi
kube_router_bin="$CLUSTER_CACHE/go/kube-router-$KUBE_ROUTER_VERSION/kube-router"
kube_router_hash="$({ echo "$netfilter_hash"; sha256sum <"$kube_router_bin"; } | sha256sum | cut -c1-12)"
kube_router_out="$CLUSTER_CACHE/images/merlai-kube-router-$kube_router_hash.tar"
if [[ ! -s "$kube_router_out" ]]; then
  tmp="$(mktemp -d)"
  cp "$netfilter_rootfs" "$tmp/root.tar"
  mkdir -p "$tmp/add/usr/local/bin"
  cp "$kube_router_bin" "$tmp/add/usr/local/bin/kube-router"
  tar -C "$tmp/add" -rf "$tmp/root.tar" ./usr/local/bin/kube-router
  podman import -q --change 'ENTRYPOINT ["/usr/local/bin/kube-router"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tmp/root.tar" "localhost/merlai-kube-router:$kube_router_hash" >/dev/null
  podman save -q --format docker-archive -o "$kube_router_out.partial" "localhost/merlai-kube-router:$kube_router_hash" >/dev/null
  mv "$kube_router_out.partial" "$kube_router_out"
  rm -rf "$tmp"
  log "image localhost/merlai-kube-router:$kube_router_hash built"
fi

# The test client: Debian bookworm with the tools the reachability checks use.
client_packages="curl,netcat-openbsd,dnsutils,ca-certificates,iproute2,procps"
client_hash="$(printf 'bookworm %s v1' "$client_packages" | sha256sum | cut -c1-12)"
client_out="$CLUSTER_CACHE/images/merlai-testclient-$client_hash.tar"
if [[ ! -s "$client_out" ]]; then
  log "building the test client image (mmdebstrap bookworm, about 2 min)"
  tmp="$(mktemp -d)"
  if ! mmdebstrap --variant=apt --include="$client_packages" bookworm "$tmp/root.tar" >"$tmp/log" 2>&1; then
    tail -n 20 "$tmp/log" >&2
    die "mmdebstrap of the test client failed"
  fi
  podman import -q --change 'CMD ["sleep", "infinity"]' "$tmp/root.tar" "localhost/merlai-testclient:$client_hash" >/dev/null
  podman save -q --format docker-archive -o "$client_out.partial" "localhost/merlai-testclient:$client_hash" >/dev/null
  mv "$client_out.partial" "$client_out"
  rm -rf "$tmp"
  log "image localhost/merlai-testclient:$client_hash built"
fi
