#!/usr/bin/env bash
# Certificates and kubeconfigs of the cluster (openssl; a fresh CA per run, in $STATE/pki).
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pki="$STATE/pki"
mkdir -p "$pki"
cd "$pki"

ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=merlai-k8s-ca"
ossl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 2 -subj "/CN=merlai-k8s-front-proxy-ca"
ossl genrsa -out sa.key 2048
ossl rsa -in sa.key -pubout -out sa.pub

# cert NAME SUBJECT [SAN] [CA]: a key and a certificate signed by CA (default ca)
cert() {
  local name="$1" subj="$2" san="${3:-}" ca="${4:-ca}"
  ossl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$san" ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$name.ext"
  ossl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days 2 -extfile "$name.ext" -out "$name.crt"
  rm -f "$name.csr" "$name.ext"
}
cert apiserver "/CN=kube-apiserver" \
  "IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert front-proxy-client "/CN=front-proxy-client" "" front-proxy-ca
cert admin "/O=system:masters/CN=merlai-admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
# The kubelet's serving certificate, signed by the CA: metrics-server verifies it (no insecure TLS).
cert kubelet-serving "/O=system:nodes/CN=system:node:$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
cert kube-proxy "/CN=system:kube-proxy"

for who in admin controller-manager scheduler kubelet kube-proxy; do
  cat >"$who.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: merlai
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority: $pki/ca.crt
users:
- name: $who
  user:
    client-certificate: $pki/$who.crt
    client-key: $pki/$who.key
contexts:
- name: merlai
  context: {cluster: merlai, user: $who}
current-context: merlai
KC
done
