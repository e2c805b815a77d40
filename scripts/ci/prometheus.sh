#!/usr/bin/env bash
# The alert rules of dist/ and the canary query on a real Prometheus 3 (test/prometheus/*.real.ts):
# builds Prometheus and promtool from the pinned Go module once (cached under
# ~/.cache/merlai-cdk8s/prometheus), then runs the scenarios. Called by .ci/run; locally:
#   npm run prometheus-test
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
MERLAI_PROMETHEUS_DIR=$(bash scripts/ci/build-prometheus.sh)
export MERLAI_PROMETHEUS_DIR
echo "prometheus.sh: Prometheus ready in $(($(date +%s) - start)) s: $("$MERLAI_PROMETHEUS_DIR/prometheus" --version | head -1)" >&2
npx jest -c jest.prometheus.config.js "$@"
echo "prometheus.sh: done in $(($(date +%s) - start)) s" >&2
