#!/usr/bin/env bash
# Tear the cluster down completely: every process the cluster started (found through its two
# cgroups, so containerd's shims and the pods' processes are included), the pods' network
# namespaces and mounts, the cluster's network namespace, cgroups and state directories.
# Safe to run when nothing is up. --quiet: say nothing when there was nothing to remove.
set -uo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quiet=0
[[ "${1:-}" == "--quiet" ]] && quiet=1

say() { ((quiet)) || log "$@"; }

# pids_in CGROUP_NAME: every process in that cgroup tree (the pids hierarchy tracks them all).
pids_in() {
  local root="/sys/fs/cgroup/pids/$1"
  [[ -d "$root" ]] || return 0
  find "$root" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

# Pod network namespaces, read from the sandboxes' specs while containerd still answers.
pod_netns=()
if [[ -S "$CONTAINERD_SOCK" ]] && command -v jq >/dev/null; then
  while read -r id; do
    path="$(ctrk containers info "$id" 2>/dev/null |
      jq -r '.Spec.linux.namespaces[]? | select(.type=="network") | .path // empty' 2>/dev/null)"
    [[ -n "$path" ]] && pod_netns+=("$path")
  done < <(ctrk containers ls -q 2>/dev/null)
fi

# 1. the kubelet first (it would restart what we kill), then the pods' containers (while
# containerd still answers: its content store is kept for the next run, its containers are not),
# then every process left in the two cgroups.
if [[ -f "$RUNDIR/kubelet.pid" ]]; then
  kill "$(cat "$RUNDIR/kubelet.pid")" 2>/dev/null && say "stopped kubelet"
  sleep 1
fi
if [[ -S "$CONTAINERD_SOCK" ]]; then
  remove_containers
fi
for round in 1 2 3 4 5; do
  mapfile -t pods < <(pids_in "$CGROUP_ROOT")
  mapfile -t sys < <(pids_in "$CGROUP_ROOT-sys")
  ((${#pods[@]} + ${#sys[@]} == 0)) && break
  if ((round == 1)); then
    say "stopping ${#pods[@]} pod processes and ${#sys[@]} cluster daemons"
    ((${#pods[@]})) && kill -TERM "${pods[@]}" 2>/dev/null
    ((${#sys[@]})) && kill -TERM "${sys[@]}" 2>/dev/null
    sleep 2
  else
    ((${#pods[@]})) && kill -KILL "${pods[@]}" 2>/dev/null
    ((${#sys[@]})) && kill -KILL "${sys[@]}" 2>/dev/null
    sleep 1
  fi
done

# 2. mounts under the state directories (kubelet volumes, containerd snapshots and sandboxes).
for dir in "$STATE" "$RUNDIR"; do
  findmnt -rn -o TARGET 2>/dev/null | grep -E "^$dir(/|$)" | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null
  done
done
for ns in "${pod_netns[@]}"; do
  umount "$ns" 2>/dev/null
  rm -f "$ns"
done

# 3. the network namespace (the pods' veths and the bridge go with it), cgroups, state.
if [[ -e "/run/netns/$NETNS" ]]; then
  ip netns del "$NETNS" && say "removed network namespace $NETNS"
fi
for ctl in /sys/fs/cgroup/*/; do
  for cg in "$CGROUP_ROOT" "$CGROUP_ROOT-sys"; do
    [[ -d "$ctl$cg" ]] && find "$ctl$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done
if [[ -d "$STATE" || -d "$RUNDIR" ]]; then
  rm -rf "$STATE" "$RUNDIR" 2>/dev/null || say "note: could not remove all of $STATE"
  say "removed $STATE"
fi
exit 0
