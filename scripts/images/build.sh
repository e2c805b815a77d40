#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016  # PKGS_/ESSENTIAL_/CUSTOMIZE_ are read as ${!name}; hooks expand in mmdebstrap
# Builds the images the real-container tests run, into podman's storage, from Debian packages and
# the vendored upstream material (third_party/): no container registry is needed.
#
#   merlai:latest, merlai:1.0.0        the Merlai API, built as upstream's docker/Dockerfile does
#                                      (user merlai, UID 1000, `pip install --user`), lightweight
#                                      install (no torch, no model), plus `requests`
#   postgres:15.20-bookworm            Debian's postgresql-15 with the official image's entrypoint
#   redis:7.0.15-bookworm              Debian's redis-server with the official image's entrypoint
#
# Each image is also tagged docker.io/library/<name> (what a kubelet resolves the short names to).
# They are stand-ins for the registry images in tests only.
#
# Cached by content hash: the Debian root filesystems as tarballs under
# ~/.cache/merlai-cdk8s/images (MERLAI_IMAGE_CACHE), the images as
# localhost/merlai-cdk8s/<name>:<hash> in podman. A second run only re-tags.
# Usage: scripts/images/build.sh [merlai|postgres|redis ...]   (default: all three)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/images"
CACHE="${MERLAI_IMAGE_CACHE:-$HOME/.cache/merlai-cdk8s/images}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
HOST_CA="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
mkdir -p "$CACHE"
# Podman needs runc, cgroupfs and ulimits on this kind of machine (written only when absent).
bash "$ROOT/scripts/ci/podman-config.sh" 2>/dev/null

log() { printf '[images] %s\n' "$*" >&2; }
now() { date +%s; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# The Debian root filesystems: package list and hooks per image. Each is part of its hash.
# They are read indirectly (${!name}), and the hooks are expanded by mmdebstrap, not here.
PKGS_python="python3,python3-pip,python3-venv,curl,ca-certificates,libsndfile1,tzdata"
PKGS_postgres="postgresql-15,gosu,locales,libnss-wrapper,xz-utils,zstd,tzdata,ca-certificates"
PKGS_redis="redis-server,gosu,tzdata"
# The official images create their users (UID/GID 999) before installing the server package.
ESSENTIAL_postgres='chroot "$1" groupadd -r postgres --gid=999 && chroot "$1" useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres && mkdir -p "$1/var/lib/postgresql" && chroot "$1" chown postgres:postgres /var/lib/postgresql && chmod 1777 "$1/var/lib/postgresql"'
ESSENTIAL_redis='chroot "$1" groupadd -r -g 999 redis && chroot "$1" useradd -r -g redis -u 999 redis'
ESSENTIAL_python='true'
CUSTOMIZE_python='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
# No cluster of Debian's own (the entrypoint runs initdb), en_US.UTF-8 like the official image.
CUSTOMIZE_postgres='rm -rf "$1/var/lib/postgresql/15" "$1/etc/postgresql/15" && sed -ri "s/#(create_main_cluster) .*$/\1 = false/" "$1/etc/postgresql-common/createcluster.conf" && echo "en_US.UTF-8 UTF-8" >> "$1/etc/locale.gen" && chroot "$1" locale-gen'
CUSTOMIZE_redis='true'

rootfs_image() { # name -> prints the tag of the imported root filesystem, building it when missing
  local name="$1" pkgs ess cust key tag tar t0
  pkgs="PKGS_$name" ess="ESSENTIAL_$name" cust="CUSTOMIZE_$name"
  key="$(printf '%s\n' "${!pkgs}" "${!ess}" "${!cust}" "$MIRROR" | sha256sum | cut -c1-16)"
  tag="localhost/merlai-cdk8s/rootfs-$name:$key"
  if podman image exists "$tag"; then echo "$tag"; return; fi
  tar="$CACHE/rootfs-$name-$key.tar"
  if [ ! -s "$tar" ]; then
    t0=$(now)
    log "mmdebstrap $name ($(tr ',' ' ' <<<"${!pkgs}"))"
    mmdebstrap --quiet --variant=apt --include="${!pkgs}" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --essential-hook="${!ess}" --customize-hook="${!cust}" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      bookworm "$tar.tmp.tar" \
      "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
      "deb $SECURITY_MIRROR bookworm-security main" </dev/null >&2
    mv "$tar.tmp.tar" "$tar"
    log "rootfs $name: $(( $(now) - t0 )) s, $(du -h "$tar" | cut -f1)"
  fi
  podman import --quiet "$tar" "$tag" >/dev/null
  echo "$tag"
}

build_image() { # name, then public tags
  local name="$1" t0 base ctx key tag
  shift
  t0=$(now)
  base="$(rootfs_image "$( [ "$name" = merlai ] && echo python || echo "$name")")"
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' RETURN
  cp "$HERE/$name/Containerfile" "$ctx/"
  case "$name" in
    merlai) tar -xzf "$ROOT"/third_party/merlai-*.tar.gz -C "$ctx" ;;
    postgres) cp "$ROOT"/third_party/docker-library-postgres-15-bookworm/docker-{entrypoint,ensure-initdb}.sh "$ctx/" ;;
    redis) cp "$ROOT"/third_party/docker-library-redis-7.0-debian/docker-entrypoint.sh "$ctx/" ;;
  esac
  key="$( (echo "$base"; cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
  tag="localhost/merlai-cdk8s/$name:$key"
  if podman image exists "$tag"; then
    log "$name: cached ($tag)"
  else
    log "$name: building from $base"
    # The host's CA bundle goes into RUN steps only (package downloads pass a TLS-intercepting
    # proxy on some machines); it is not part of the image.
    podman build --quiet --network host --pull=never --build-arg "BASE=$base" \
      --volume "$HOST_CA:/run/host-ca.crt:ro" --tag "$tag" "$ctx" >/dev/null
  fi
  for t in "$@"; do
    podman tag "$tag" "localhost/$t" "docker.io/library/$t"
  done
  log "$name: $* ($(podman image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'); $(( $(now) - t0 )) s)"
}

T0=$(now)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(merlai postgres redis)
for target in "${targets[@]}"; do
  case "$target" in
    merlai) build_image merlai merlai:latest merlai:1.0.0 ;;
    postgres) build_image postgres postgres:15.20-bookworm ;;
    redis) build_image redis redis:7.0.15-bookworm ;;
    *) echo "build.sh: unknown image '$target' (valid: merlai, postgres, redis)" >&2; exit 64 ;;
  esac
done
log "done in $(( $(now) - T0 )) s"
