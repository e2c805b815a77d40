#!/usr/bin/env bash
# Run the Merlai Level 1 (development) stack on Docker, Podman or containerd (nerdctl).
# Usage: scripts/container-runtime.sh help
set -euo pipefail

readonly EX_USAGE=64       # unknown subcommand
readonly EX_NOINPUT=66     # compose file (or Dockerfile) not found
readonly EX_UNAVAILABLE=69 # runtime binary not on PATH
readonly EX_CONFIG=78      # unknown CONTAINER_RUNTIME

readonly SUBCOMMANDS="help up down logs ps config build"

prog=${0##*/}
repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

runtime=${CONTAINER_RUNTIME:-docker}
project=${PROJECT_NAME:-merlai}
compose_file=${COMPOSE_FILE:-dist/level1-dev.compose.yaml}
# Relative to the repository, so the script means the same file from any directory.
[[ $compose_file == /* ]] || compose_file=$repo_root/$compose_file
context=${MERLAI_CONTEXT:-.}
image=${MERLAI_IMAGE:-merlai:latest}
if [[ -n ${MERLAI_DOCKERFILE:-} ]]; then
  dockerfile=$MERLAI_DOCKERFILE
elif [[ $context != . && -d $context ]]; then
  # `build -f` resolves a relative path against the working directory, not a local context
  # (a remote context is different: there it is relative to the context's root).
  dockerfile=${context%/}/docker/Dockerfile
else
  dockerfile=docker/Dockerfile
fi

usage() {
  cat <<EOF
Usage: $prog <subcommand> [args...]

Run the Merlai Level 1 (development) stack: the API, Redis and PostgreSQL
from the Compose file that 'npm run synth' writes to dist/.

Subcommands:
  up [args]      start the stack in the background (compose up -d)
  down [args]    stop and remove the stack's containers and network
  logs [args]    show logs; e.g. '$prog logs -f merlai-api' to follow one service
  ps [args]      list the stack's containers
  config [args]  validate the compose file and print the resolved configuration
  build [args]   build the API image:
                 <runtime> build -f \$MERLAI_DOCKERFILE -t \$MERLAI_IMAGE [args] \$MERLAI_CONTEXT
  help           show this help (also -h, --help, or no subcommand)
Extra args are passed to the runtime unchanged.

Environment:
  CONTAINER_RUNTIME  docker (default) | podman | nerdctl (containerd)
                       docker:  docker compose, or docker-compose if the plugin is absent
                       podman:  podman-compose
                       nerdctl: nerdctl compose
  PROJECT_NAME       compose project name (default: merlai)
  COMPOSE_FILE       compose file; a relative path is relative to the repository root
                     (default: dist/level1-dev.compose.yaml)
  MERLAI_CONTEXT     image build context, the Merlai source directory (default: .)
  MERLAI_DOCKERFILE  Dockerfile (default: docker/Dockerfile inside \$MERLAI_CONTEXT); Merlai has
                     docker/Dockerfile (CPU, with torch), docker/Dockerfile.gpu (CUDA) and
                     docker/Dockerfile.lightweight (no torch, no model)
  MERLAI_IMAGE       image tag (default: merlai:latest)

Exit status:
  0   success
  $EX_USAGE  unknown subcommand
  $EX_NOINPUT  compose file or Dockerfile not found
  $EX_UNAVAILABLE  runtime binary not found on PATH
  $EX_CONFIG  unknown CONTAINER_RUNTIME
  any other: the exit status of the runtime command
EOF
}

# die CODE LINE...: first line as the error, the rest as indented hints.
die() {
  local code=$1
  printf '%s: error: %s\n' "$prog" "$2" >&2
  shift 2
  if (($#)); then printf '  %s\n' "$@" >&2; fi
  exit "$code"
}

have() { command -v "$1" >/dev/null 2>&1; }

install_hint() {
  case $1 in
    docker) echo "Install Docker Engine or Docker Desktop: https://docs.docker.com/engine/install/" ;;
    podman) echo "Install Podman: 'apt-get install podman' (Debian/Ubuntu) or https://podman.io/docs/installation" ;;
    podman-compose) echo "Install podman-compose: 'apt-get install podman-compose' (Debian/Ubuntu) or 'pipx install podman-compose'" ;;
    nerdctl) echo "Install nerdctl: https://github.com/containerd/nerdctl/releases (the nerdctl-full archive includes containerd, BuildKit and CNI plugins)" ;;
  esac
}

require() {
  have "$1" || die "$EX_UNAVAILABLE" "'$1' not found on PATH (CONTAINER_RUNTIME=$runtime)" \
    "$(install_hint "$1")" \
    "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
}

check_runtime() {
  case $runtime in
    docker | podman | nerdctl) ;;
    containerd | ctr)
      die "$EX_CONFIG" "unknown CONTAINER_RUNTIME '$runtime'" \
        "For containerd use CONTAINER_RUNTIME=nerdctl: containerd's 'ctr' has no compose." \
        "Valid runtimes: docker (default), podman, nerdctl (containerd)" ;;
    *)
      die "$EX_CONFIG" "unknown CONTAINER_RUNTIME '$runtime'" \
        "Valid runtimes: docker (default), podman, nerdctl (containerd)" ;;
  esac
}

# Sets the global array `compose` to the compose command of the runtime.
resolve_compose() {
  case $runtime in
    docker)
      if have docker && docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
      elif have docker-compose; then
        compose=(docker-compose)
      else
        require docker
        die "$EX_UNAVAILABLE" "Docker Compose not found (CONTAINER_RUNTIME=docker): 'docker compose' failed and 'docker-compose' is not on PATH" \
          "Install the Compose plugin (https://docs.docker.com/compose/install/) or the standalone 'docker-compose' ('apt-get install docker-compose' on Debian/Ubuntu)" \
          "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
      fi ;;
    podman)
      require podman
      require podman-compose
      compose=(podman-compose) ;;
    nerdctl)
      require nerdctl
      compose=(nerdctl compose) ;;
  esac
}

run() {
  printf '+' >&2
  printf ' %q' "$@" >&2
  printf '\n' >&2
  exec "$@"
}

compose_run() {
  resolve_compose
  [[ -f $compose_file ]] || die "$EX_NOINPUT" "compose file not found: $compose_file" \
    "Generate it with 'npm run synth' (writes dist/level1-dev.compose.yaml), or set COMPOSE_FILE."
  run "${compose[@]}" -p "$project" -f "$compose_file" "$@"
}

build() {
  require "$runtime"
  # Only a local context can be checked; a URL context is left to the runtime.
  if [[ -d $context && ! -f $dockerfile ]]; then
    die "$EX_NOINPUT" "Dockerfile not found: $dockerfile" \
      "Set MERLAI_CONTEXT to your Merlai source checkout (or MERLAI_DOCKERFILE to the Dockerfile)."
  fi
  run "$runtime" build -f "$dockerfile" -t "$image" "$@" "$context"
}

main() {
  local subcommand=${1:-help}
  if (($#)); then shift; fi
  case $subcommand in
    help | -h | --help) usage; return 0 ;;
    up | down | logs | ps | config | build) ;;
    *)
      die "$EX_USAGE" "unknown subcommand '$subcommand'" \
        "Valid subcommands: $SUBCOMMANDS" \
        "Run '$prog help' for usage." ;;
  esac
  check_runtime
  case $subcommand in
    up) compose_run up -d "$@" ;;
    build) build "$@" ;;
    *) compose_run "$subcommand" "$@" ;;
  esac
}

main "$@"
