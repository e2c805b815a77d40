#!/usr/bin/env bash
# The repository is self-contained: a clone into an empty temporary folder, with nothing beside it
# (no ../shared, no absolute path of this machine), passes the README's two commands, and the
# synthesized dist/ equals the committed one.
# Usage: bash scripts/ci/clone.sh [commit]   (default HEAD; commit first, uncommitted work is not cloned)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
EMPTY="$(mktemp -d "${TMPDIR:-/tmp}/merlai-clone.XXXXXX")"
trap 'rm -rf "$EMPTY"' EXIT
git clone --quiet --no-local "$ROOT" "$EMPTY/merlai-cdk8s"
cd "$EMPTY/merlai-cdk8s"
git checkout --quiet "${1:-$(git -C "$ROOT" rev-parse HEAD)}"
[ "$(ls -A "$EMPTY")" = merlai-cdk8s ] || { echo "clone: $EMPTY holds more than the clone" >&2; exit 1; }
echo "clone: $(git log -1 --format='%h %s' | cut -c1-80) in $EMPTY"
# The README's two commands, verbatim.
npm ci && npm run synth
npm test
if [ -n "$(git status --porcelain)" ]; then
  git status --short >&2
  echo "clone: the commands changed tracked files (a stale dist/ or snapshot?)" >&2
  exit 1
fi
echo "clone: the README's two commands passed in a clean clone (${SECONDS}s)"
