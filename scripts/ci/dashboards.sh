#!/usr/bin/env bash
# CI step of the Grafana dashboards: derives Grafana's dashboard JSON Schema from @grafana/schema
# (cached under ~/.cache/merlai-cdk8s/grafana-schema/, ~30 s cold) so that `npm test`'s schema test
# (test/dashboard.test.ts) stays fast. The dashboards' panel queries run against a real
# Prometheus 3 in `npm run prometheus-test` (test/prometheus/dashboards.real.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
node -r esbuild-register test/support/grafana-schema.ts
