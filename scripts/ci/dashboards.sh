#!/usr/bin/env bash
# CI step of the Grafana dashboards: derives Grafana's dashboard JSON Schema from @grafana/schema
# (cached under ~/.cache/merlai-cdk8s/grafana-schema/, ~30 s cold) so that `npm test`'s schema test
# stays fast.
set -euo pipefail
cd "$(dirname "$0")/../.."
node -r esbuild-register test/support/grafana-schema.ts
