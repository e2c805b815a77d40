#!/usr/bin/env bash
# Release discipline (docs/releasing.md): the public API report matches the jsii assembly that
# scripts/ci/jsii.sh just compiled, and `npm publish --dry-run` packs and checks the package as the
# registry would take it (prepack builds build/). Publishes nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
node scripts/ci/api-report.js
out="$(npm publish --dry-run --ignore-scripts=false 2>&1)" || { echo "$out" >&2; echo "release: npm publish --dry-run failed" >&2; exit 1; }
grep -E 'npm notice (name|version|filename|package size|total files)' <<<"$out" >&2
grep -q 'build/lib/index.js' <<<"$out" || { echo "release: the packed files lack build/lib/index.js" >&2; exit 1; }
echo "release: npm publish --dry-run passed"
