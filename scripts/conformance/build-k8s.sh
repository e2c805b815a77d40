#!/usr/bin/env bash
# Build kube-apiserver and kubectl from the Kubernetes Go modules with the machine's Go.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` is refused because k8s.io/kubernetes's
# go.mod replaces its staging modules (k8s.io/api, k8s.io/client-go, ...) with local paths.
# So we generate a throwaway module that requires k8s.io/kubernetes vX.Y.Z and replaces every
# staging module by its published v0.Y.Z, and build the two commands from there.
#
# Usage: build-k8s.sh VERSION OUT_DIR [COMMAND...]
#   (e.g. build-k8s.sh v1.28.15 ~/.cache/merlai-conformance/k8s-v1.28.15)
# COMMAND names commands under k8s.io/kubernetes/cmd/ (default: kube-apiserver kubectl; the
# cluster step asks for the node's commands too). Only the missing ones are built, into the same
# OUT_DIR/bin, so the conformance step and the cluster step share one cache per version (a version
# of a Go module is immutable: the checksum database pins its source).
set -euo pipefail

version="$1"
out="$2"
shift 2
commands=("$@")
[[ ${#commands[@]} -eq 0 ]] && commands=(kube-apiserver kubectl)
staging_version="v0.${version#v1.}"

missing=()
for c in "${commands[@]}"; do
  [[ -x "$out/bin/$c" ]] || missing+=("$c")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

mkdir -p "$out/module" "$out/bin"
cd "$out/module"

# The go.mod of k8s.io/kubernetes lists its staging modules as `k8s.io/x => ./staging/src/k8s.io/x`.
upstream_mod="$(go mod download -json "k8s.io/kubernetes@$version" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
if [[ ! -f "$upstream_mod" ]]; then
  echo "build-k8s: could not download k8s.io/kubernetes@$version through the Go module proxy" >&2
  exit 1
fi
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$upstream_mod")
if [[ ${#staging[@]} -eq 0 ]]; then
  echo "build-k8s: found no staging replace directives in $upstream_mod" >&2
  exit 1
fi
upstream_go="$(sed -n 's/^go \(.*\)$/\1/p' "$upstream_mod")"
upstream_godebug="$(sed -n 's/^godebug \(.*\)$/\1/p' "$upstream_mod")"

{
  echo "module merlai.local/k8s-build"
  echo
  echo "go $upstream_go"
  [[ -n "$upstream_godebug" ]] && echo "godebug $upstream_godebug"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do
    echo "	$m => $m $staging_version"
  done
  echo ")"
} > go.mod
rm -f go.sum

# /version as a released server reports it: gitVersion and gitMajor/gitMinor (clients such as Argo
# Rollouts and Helm parse major and minor; empty ones stop Argo Rollouts' controller at start).
minor="${version#v1.}"
minor="${minor%%.*}"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done
echo "build-k8s: building ${missing[*]} $version (${#staging[@]} staging modules at $staging_version) with $(go version)" >&2
start=$SECONDS
GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
  go build -trimpath -ldflags "-s -w $ldflags" \
  -o "$out/bin/" "${missing[@]/#/k8s.io/kubernetes/cmd/}"
echo "build-k8s: built ${missing[*]} in $((SECONDS - start)) s" >&2
echo "$((SECONDS - start))" > "$out/build-seconds"
echo "${missing[*]}: $((SECONDS - start)) s" >> "$out/build-times"
