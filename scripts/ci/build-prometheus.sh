#!/usr/bin/env bash
# Builds Prometheus 3 (prometheus and promtool) from its Go module, pinned below, and caches the
# binaries under ~/.cache/merlai-cdk8s/prometheus/<version>-<module hash>-<go version>/.
# Prints that folder on stdout. A second run with the same pin returns at once.
#
#   PROMETHEUS_MODULE_VERSION  Go module version (the 3.x line is v0.3xx.y: v0.316.0 is Prometheus 3.16.0)
set -euo pipefail
version="${PROMETHEUS_MODULE_VERSION:-v0.316.0}"
module=github.com/prometheus/prometheus
cache_root="${MERLAI_CACHE_DIR:-$HOME/.cache/merlai-cdk8s}/prometheus"

command -v go >/dev/null || { echo "build-prometheus.sh: go is not on PATH (Go 1.26 or later is needed to build Prometheus $version)" >&2; exit 69; }

# The module's checksum from the Go module proxy (the sum database checks it) names the source.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init throwaway >/dev/null 2>&1
info=$(go mod download -json "$module@$version")
sum=$(printf '%s' "$info" | sed -n 's/.*"Sum": "h1:\([^"]*\)".*/\1/p' | tr '/+' '_-' | cut -c1-16)
dir=$(printf '%s' "$info" | sed -n 's/.*"Dir": "\([^"]*\)".*/\1/p')
gover=$(go env GOVERSION)
out="$cache_root/$version-$sum-$gover-$(go env GOOS)-$(go env GOARCH)-nosd"
if [[ -x "$out/prometheus" && -x "$out/promtool" ]]; then
  echo "$out"
  exit 0
fi

app_version=$(cat "$dir/VERSION")
echo "build-prometheus.sh: building Prometheus $app_version ($module@$version) with $gover into $out" >&2
start=$(date +%s)
mkdir -p "$out.tmp"
# go install pkg@version builds with the module's own go.mod and go.sum (it has no replace
# directives). Tags: remove_all_sd leaves out every service discovery but static and file ones
# (the tests scrape static targets; the cloud SDKs were most of the build time); no builtinassets,
# so the web UI's assets are not embedded: the HTTP API is complete.
ldflags="-s -w -X github.com/prometheus/common/version.Version=$app_version -X github.com/prometheus/common/version.Branch=$version"
GOBIN="$out.tmp" CGO_ENABLED=0 go install -trimpath -tags remove_all_sd -ldflags "$ldflags" \
  "$module/cmd/prometheus@$version" "$module/cmd/promtool@$version"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "build-prometheus.sh: built in $(($(date +%s) - start)) s" >&2
echo "$out"
