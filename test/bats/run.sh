#!/usr/bin/env bash
# Run the bats specification of the operator scripts: test/bats/run.sh [bats options]
set -euo pipefail

cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.."
if ! command -v bats >/dev/null 2>&1; then
  echo "test/bats/run.sh: error: bats not found; install it with 'apt-get install bats'" >&2
  exit 69
fi
exec bats "$@" test/bats
