#!/usr/bin/env bash
# Install the Debian packages of .ci/packages that are not installed yet (all of them, or the ones
# named, each of which must be in the list): the one place CI installs Debian packages from.
set -euo pipefail
list="$(dirname "${BASH_SOURCE[0]}")/../../.ci/packages"
mapfile -t known < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | awk '{print $1}')
wanted=("$@")
((${#wanted[@]})) || wanted=("${known[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  printf '%s\n' "${known[@]}" | grep -qx -- "$pkg" || { echo "apt-install: $pkg is not in .ci/packages: add it there" >&2; exit 64; }
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
echo "apt-install: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
