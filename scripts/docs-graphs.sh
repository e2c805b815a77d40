#!/usr/bin/env bash
# Regenerates the README's pictures, docs/<chart>.svg, from the committed dist/ with
# `merlai-cdk8s graph` (Graphviz dot). test/cli-graph.test.ts fails when one is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
for chart in level1-dev level2-staging level3-production; do
  node bin/merlai-cdk8s.js graph --from dist --chart "$chart" --out "docs/$chart.svg"
done
