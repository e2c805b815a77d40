#!/usr/bin/env bash
# API-server gate: start etcd and a real kube-apiserver on loopback in a temporary directory,
# install the CRDs, label the namespaces as the level labels them, and run
# `kubectl apply --dry-run=server` on each level file. A level fails on any rejection and on any
# warning the server sends back (Pod Security warnings included).
#
# Usage: apiserver.sh BIN_DIR CRDS_DIR LEVEL_FILE...
#   BIN_DIR holds kube-apiserver and kubectl; etcd comes from PATH (Debian etcd-server).
# Prints one line per level: `APISERVER <level> PASS|FAIL ...`; exits 1 when any level fails.
# MERLAI_APISERVER_THEN=COMMAND runs COMMAND afterwards against the same server (KUBECONFIG and
# KUBECTL exported); its failure fails the script.
set -euo pipefail

bin_dir="$1"
crds_dir="$2"
shift 2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/merlai-apiserver.XXXXXX")"
etcd_pid=""
apiserver_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "$apiserver_pid" "$etcd_pid"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ "${MERLAI_CONFORMANCE_KEEP_TMP:-0}" == "1" ]]; then
    echo "apiserver: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# --- certificates and service-account keys --------------------------------------------------
pki="$tmp/pki"
mkdir -p "$pki"
openssl_quiet() { openssl "$@" 2>>"$tmp/openssl.log"; }
openssl_quiet req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=merlai-conformance-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
cat >"$pki/apiserver.ext" <<'EOF'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
cat >"$pki/client.ext" <<'EOF'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
issue() { # name subject extfile
  openssl_quiet req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
  openssl_quiet x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$3" -out "$pki/$1.crt"
}
issue apiserver "/CN=kube-apiserver" "$pki/apiserver.ext"
issue admin "/O=system:masters/CN=merlai-conformance-admin" "$pki/client.ext"
openssl_quiet genrsa -out "$pki/sa.key" 2048
openssl_quiet rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# --- etcd -----------------------------------------------------------------------------------
etcd_client_port="$(free_port)"
etcd_peer_port="$(free_port)"
etcd --name conformance --data-dir "$tmp/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "conformance=http://127.0.0.1:$etcd_peer_port" \
  --log-level warn >"$tmp/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$etcd_client_port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$etcd_pid" 2>/dev/null; then
    echo "APISERVER FAIL: etcd exited at start; its log:" >&2
    tail -n 30 "$tmp/etcd.log" >&2
    exit 1
  fi
  sleep 0.5
done

# --- kube-apiserver -------------------------------------------------------------------------
secure_port="$(free_port)"
"$bin_dir/kube-apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$secure_port" \
  --etcd-servers="http://127.0.0.1:$etcd_client_port" \
  --cert-dir="$tmp/apiserver-certs" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=Node,RBAC \
  --allow-privileged=true \
  --enable-priority-and-fairness=false \
  --endpoint-reconciler-type=none \
  >"$tmp/apiserver.log" 2>&1 &
apiserver_pid=$!

cat >"$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: conformance
    cluster:
      server: https://127.0.0.1:$secure_port
      certificate-authority: $pki/ca.crt
users:
  - name: admin
    user:
      client-certificate: $pki/admin.crt
      client-key: $pki/admin.key
contexts:
  - name: conformance
    context: {cluster: conformance, user: admin}
current-context: conformance
EOF
export KUBECONFIG="$tmp/kubeconfig"
kc() { "$bin_dir/kubectl" --cache-dir="$tmp/kube-cache" "$@"; }

ready=0
for _ in $(seq 1 240); do
  if kc get --raw /readyz >/dev/null 2>&1; then
    ready=1
    break
  fi
  if ! kill -0 "$apiserver_pid" 2>/dev/null; then break; fi
  sleep 0.5
done
if [[ "$ready" != 1 ]]; then
  echo "APISERVER FAIL: kube-apiserver did not become ready; the end of its log:" >&2
  tail -n 40 "$tmp/apiserver.log" >&2
  exit 1
fi
echo "apiserver: $("$bin_dir/kube-apiserver" --version) ready on 127.0.0.1:$secure_port, etcd $(etcd --version | sed -n 's/^etcd Version: //p')"

# --- CRDs -----------------------------------------------------------------------------------
shopt -s nullglob
crd_files=("$crds_dir"/*.yaml "$crds_dir"/*.yml)
shopt -u nullglob
if [[ ${#crd_files[@]} -gt 0 ]]; then
  # Server-side apply: these CRDs are too large for client-side apply's last-applied annotation.
  for f in "${crd_files[@]}"; do
    kc apply --server-side --field-manager=merlai-conformance -f "$f" >/dev/null
  done
  kc wait --for=condition=Established --timeout=120s crd --all >/dev/null
  echo "apiserver: ${#crd_files[@]} CRD file(s) from $crds_dir installed and Established"
else
  echo "apiserver: no CRDs in $crds_dir" >&2
fi

# --- levels ---------------------------------------------------------------------------------
failed=0
for file in "$@"; do
  level="$(basename "$file")"
  level="${level%.k8s.yaml}"
  # Namespaces the level uses, labelled as the level labels them (restricted Pod Security
  # enforce/audit/warn where the level has no Namespace object). Created with client-side
  # apply so that the level's own Namespace object applies over it without a warning.
  node "$here/namespaces.mjs" "$file" >"$tmp/namespaces-$level.yaml"
  if ! kc apply -f "$tmp/namespaces-$level.yaml" >"$tmp/ns.out" 2>&1; then
    echo "APISERVER $level FAIL: could not create its namespaces:" >&2
    cat "$tmp/ns.out" >&2
    failed=1
    continue
  fi
  rc=0
  kc apply --dry-run=server -f "$file" >"$tmp/apply-$level.out" 2>"$tmp/apply-$level.err" || rc=$?
  objects="$(grep -c ' (server dry run)$' "$tmp/apply-$level.out" || true)"
  if [[ "$rc" -ne 0 ]]; then
    echo "APISERVER $level FAIL: rejected (kubectl exit $rc); $objects object(s) accepted before the failure:"
    sed 's/^/    /' "$tmp/apply-$level.err"
    failed=1
  elif [[ -s "$tmp/apply-$level.err" ]]; then
    echo "APISERVER $level FAIL: $objects object(s) accepted, but the server warned:"
    sed 's/^/    /' "$tmp/apply-$level.err"
    failed=1
  else
    echo "APISERVER $level PASS: $objects object(s) accepted by kubectl apply --dry-run=server, no warnings"
  fi
done
if [[ -n "${MERLAI_APISERVER_THEN:-}" ]]; then
  export KUBECTL="$bin_dir/kubectl"
  bash -c "$MERLAI_APISERVER_THEN" || failed=1
fi
exit "$failed"
