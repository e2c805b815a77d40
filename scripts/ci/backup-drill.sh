#!/usr/bin/env bash
# The restore drill (README "Backup and restore"): the synthesized backup and restore Jobs of every
# level against a real PostgreSQL 15 and a real S3-compatible server (moto, signatures checked).
#
#   scripts/ci/backup-drill.sh           CI size (MERLAI_DRILL_ROWS, default 100 000 rows, ~60 MB)
#   scripts/ci/backup-drill.sh --bench   the round trip of a 1 GB database (2 200 000 rows) at
#                                        MERLAI_DRILL_LEVELS (default production); figures appended
#                                        to MERLAI_DRILL_REPORT (default backup-drill-bench.jsonl)
#
# Installs moto[server] into a virtualenv cached under ~/.cache/merlai-cdk8s/ (by version).
set -euo pipefail
cd "$(dirname "$0")/../.."

MOTO_VERSION=5.2.5
cache="${XDG_CACHE_HOME:-$HOME/.cache}/merlai-cdk8s"
venv="$cache/moto-$MOTO_VERSION"

if ! "$venv/bin/moto_server" --help >/dev/null 2>&1; then
  echo "backup-drill: installing moto[server]==$MOTO_VERSION into $venv"
  mkdir -p "$cache"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 keeps venv in a separate package.
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  # A failed install leaves no moto_server behind, so the next run installs again.
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" || {
    rm -rf "$venv"
    exit 1
  }
fi
export MERLAI_MOTO_SERVER="$venv/bin/moto_server"

jest_args=(--roots '<rootDir>/test/drill' --testMatch '**/*.drill.ts' --runInBand)
if [[ "${1:-}" == "--bench" ]]; then
  # The round trip only (retention and failures are the CI run's), by default at Level 3.
  export MERLAI_DRILL_ROWS="${MERLAI_DRILL_ROWS:-2200000}"
  export MERLAI_DRILL_LEVELS="${MERLAI_DRILL_LEVELS:-production}"
  export MERLAI_DRILL_REPORT="${MERLAI_DRILL_REPORT:-$PWD/backup-drill-bench.jsonl}"
  jest_args+=(-t 'dump and upload, lose')
fi

start=$(date +%s)
npx jest "${jest_args[@]}"
echo "backup-drill: passed in $(($(date +%s) - start)) s (${MERLAI_DRILL_ROWS:-100000} rows)"
