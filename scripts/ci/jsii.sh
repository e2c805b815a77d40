#!/usr/bin/env bash
# The library compiles under jsii (the Python, Java, Go and C# bindings' compiler) with zero errors,
# and docs/API.md is what jsii-docgen makes of the current TSDoc.
# jsii 5.9 compiles with its own pinned TypeScript 5.9 (node_modules/jsii/node_modules/typescript),
# not the project's TypeScript 7, with tsconfig.jsii.json; it writes build/ and .jsii (git-ignored).
# Usage: bash scripts/ci/jsii.sh [--update]   (--update rewrites docs/API.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
npx jsii
if [ "${1:-}" = --update ]; then
  npx jsii-docgen --output docs/API.md
  exit 0
fi
fresh="$(mktemp "${TMPDIR:-/tmp}/merlai-api.XXXXXX.md")"
trap 'rm -f "$fresh"' EXIT
npx jsii-docgen --output "$fresh"
if ! diff -q docs/API.md "$fresh" >/dev/null; then
  diff -u docs/API.md "$fresh" | head -40 >&2
  echo "jsii: docs/API.md is stale: run 'bash scripts/ci/jsii.sh --update' and commit it" >&2
  exit 1
fi
echo "jsii: zero errors; docs/API.md is fresh"
