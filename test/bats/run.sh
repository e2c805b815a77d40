#!/usr/bin/env bash
# Run the bats specification of the operator scripts: test/bats/run.sh [bats options]
set -euo pipefail

cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.."
# shellcheck source=scripts/ci/in-ci.sh
source scripts/ci/in-ci.sh
if ! command -v bats >/dev/null 2>&1; then
  # Same rule as the jest tests' external tools: CI must have it (.ci/run installs it); a
  # developer machine without it skips these tests with a note.
  if in_ci; then
    echo "test/bats/run.sh: error: bats not found under CI; install it with 'apt-get install bats'" >&2
    exit 69
  fi
  echo "test/bats/run.sh: bats not found: skipping the script's tests (apt-get install bats; CI runs them)" >&2
  exit 0
fi
exec bats "$@" test/bats
