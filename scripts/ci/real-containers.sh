#!/usr/bin/env bash
# The real-container step of CI (issue 11): builds the images (cached by content hash), runs the
# pod-spec fidelity test on every level's API pod template plus its failing fixtures, then the
# Level 1 stack on podman with the backup round trip. Nothing is skipped: a missing tool fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/ci/podman-config.sh
for tool in podman podman-compose mmdebstrap runc; do
  command -v "$tool" >/dev/null || { echo "real-containers: $tool is missing (apt-get install $tool)" >&2; exit 69; }
done
t0=$(date +%s)
bash scripts/images/build.sh
t1=$(date +%s)
node -r esbuild-register test/real/podspec.ts
t2=$(date +%s)
node -r esbuild-register test/real/level1-stack.ts
t3=$(date +%s)
echo "real-containers: images $((t1 - t0)) s, pod-spec test $((t2 - t1)) s, Level 1 stack $((t3 - t2)) s"
