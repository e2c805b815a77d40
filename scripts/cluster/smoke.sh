#!/usr/bin/env bash
# Stage 1 check: a pod runs Ready on the node, and from inside it the cluster works as a cluster:
# the DNS name of the API service resolves through CoreDNS, the API answers through kube-proxy's
# service address, and `kubectl exec` reaches the container through the kubelet.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

client="$(cached_image merlai-testclient)"
kc create namespace cluster-smoke >/dev/null
kc label namespace cluster-smoke pod-security.kubernetes.io/enforce=restricted >/dev/null
t0=$SECONDS
kc -n cluster-smoke apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: smoke}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: smoke
    image: $client
    command: [nc, -lk, "8080"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
YAML
wait_for 90 "smoke pod Ready" kc -n cluster-smoke wait --for=condition=Ready pod/smoke --timeout=1s ||
  die "smoke pod not Ready: $(kc -n cluster-smoke describe pod smoke | tail -n 15)"
echo "SMOKE pod Ready in $((SECONDS - t0)) s (image pulled from containerd, started by runc, probed by the kubelet)"
ip="$(kc -n cluster-smoke exec smoke -- dig +short +time=2 +tries=2 kubernetes.default.svc.cluster.local)"
[[ "$ip" == "$API_SERVICE_IP" ]] || die "cluster DNS answered '$ip' for kubernetes.default.svc.cluster.local, expected $API_SERVICE_IP"
echo "SMOKE DNS: kubernetes.default.svc.cluster.local -> $ip (CoreDNS)"
version="$(kc -n cluster-smoke exec smoke -- curl -sS --max-time 5 --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes.default.svc/version | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p')"
[[ "$version" == "$KUBERNETES_VERSION" ]] || die "the API through its service said version '$version', expected $KUBERNETES_VERSION"
echo "SMOKE API via service $API_SERVICE_IP:443 (kube-proxy): $version"
kc delete namespace cluster-smoke --wait=false >/dev/null
