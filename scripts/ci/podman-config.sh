#!/usr/bin/env bash
# Podman settings this kind of machine needs (docs: RUNTIME.md of the project's environment):
# crun fails under cgroup v1 hybrid mode, so runc with the cgroupfs manager; bounded ulimits.
# Writes /etc/containers/containers.conf only when it is absent; an existing one is left alone.
set -euo pipefail
conf=/etc/containers/containers.conf
if [[ -e $conf ]]; then
  echo "podman-config: $conf exists, left as is" >&2
  exit 0
fi
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
$SUDO mkdir -p /etc/containers
$SUDO tee "$conf" >/dev/null <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
echo "podman-config: wrote $conf (runc, cgroupfs, ulimits)" >&2
