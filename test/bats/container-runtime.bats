#!/usr/bin/env bats
# Each @test runs in its own subshell, so its exports are meant to stay local to it.
# shellcheck disable=SC2030,SC2031
# Specification of scripts/container-runtime.sh, run against stub runtimes that record their argv.
#
# The script runs with PATH=<stubs>:<tools>, where <tools> holds only the few system commands it
# needs; so a real docker or podman on this machine is never reached, and removing a stub makes
# that binary genuinely missing.

bats_require_minimum_version 1.5.0

REAL_SCRIPT="$BATS_TEST_DIRNAME/../../scripts/container-runtime.sh"
STUB_NAMES=(docker docker-compose podman podman-compose nerdctl)
SCRIPT_TOOLS=(bash dirname cat)

setup() {
  # shellcheck source=scripts/ci/in-ci.sh
  source "$BATS_TEST_DIRNAME/../../scripts/ci/in-ci.sh"
  # A copy in a fake repository whose path has a space, to prove the default compose file is
  # found relative to the repository and that arguments survive quoting.
  REPO="$BATS_TEST_TMPDIR/my repo"
  mkdir -p "$REPO/scripts" "$REPO/dist"
  cp "$REAL_SCRIPT" "$REPO/scripts/container-runtime.sh"
  SCRIPT="$REPO/scripts/container-runtime.sh"
  COMPOSE="$REPO/dist/level1-dev.compose.yaml"
  : >"$COMPOSE"
  C=$(printf '%q' "$COMPOSE")

  # The Merlai source checkout that `build` runs from; also a working directory that is not
  # the repository.
  SRC="$BATS_TEST_TMPDIR/merlai-src"
  mkdir -p "$SRC/docker"
  : >"$SRC/docker/Dockerfile"
  cd "$SRC" || return 1

  TOOLS="$BATS_TEST_TMPDIR/tools"
  mkdir -p "$TOOLS"
  local tool
  for tool in "${SCRIPT_TOOLS[@]}"; do
    ln -s "$(command -v "$tool")" "$TOOLS/$tool"
  done

  STUBS="$BATS_TEST_TMPDIR/stubs"
  mkdir -p "$STUBS"
  export STUB_LOG="$BATS_TEST_TMPDIR/calls.log"
  local stub
  for stub in "${STUB_NAMES[@]}"; do
    make_stub "$stub"
  done

  unset CONTAINER_RUNTIME PROJECT_NAME COMPOSE_FILE MERLAI_CONTEXT MERLAI_DOCKERFILE MERLAI_IMAGE
  unset STUB_EXIT
}

# make_stub NAME: an executable that appends "NAME arg..." (args %q-quoted) to $STUB_LOG and
# exits with $STUB_EXIT (default 0).
make_stub() {
  cat >"$STUBS/$1" <<'EOF'
#!/bin/bash
{ printf '%s' "${0##*/}"; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
exit "${STUB_EXIT:-0}"
EOF
  chmod +x "$STUBS/$1"
}

# A docker CLI without the compose plugin answers `docker compose ...` as the real one does.
make_docker_without_compose_plugin() {
  cat >"$STUBS/docker" <<'EOF'
#!/bin/bash
{ printf '%s' "${0##*/}"; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
if [[ ${1:-} == compose ]]; then
  echo "docker: 'compose' is not a docker command." >&2
  exit 1
fi
exit 0
EOF
  chmod +x "$STUBS/docker"
}

remove_stubs() {
  local stub
  for stub in "$@"; do rm -f "$STUBS/$stub"; done
}

calls() { cat "$STUB_LOG" 2>/dev/null || true; }

# run_script RUNTIME ARGS...: run the script with CONTAINER_RUNTIME=RUNTIME and the test PATH.
run_script() {
  local runtime=$1
  shift
  run --separate-stderr env PATH="$STUBS:$TOOLS" CONTAINER_RUNTIME="$runtime" "$SCRIPT" "$@"
}

fail_with() {
  printf '%s\n' "$@" "exit status: $status" "recorded calls:" "$(calls)" \
    "stdout:" "$output" "stderr:" "$stderr" >&2
  return 1
}

# expect_calls RUNTIME ARGS... -- CALL...
# The script succeeds after exactly these runtime calls, and echoes the last one on stderr.
expect_calls() {
  local runtime=$1
  shift
  local -a args=()
  while [[ $1 != -- ]]; do
    args+=("$1")
    shift
  done
  shift
  local label="CONTAINER_RUNTIME=$runtime, subcommand: ${args[*]}"
  local want
  want=$(printf '%s\n' "$@")
  run_script "$runtime" "${args[@]}"
  [[ $status -eq 0 ]] || fail_with "FAILED ($label): expected exit status 0"
  [[ $(calls) == "$want" ]] || fail_with "FAILED ($label): expected calls:" "$want"
  [[ $stderr == "+ ${*: -1}" ]] || fail_with "FAILED ($label): expected stderr '+ ${*: -1}'"
}

# expect_error CODE RUNTIME ARGS... -- FRAGMENT...
# The script exits CODE, prints nothing on stdout, prints each FRAGMENT on stderr, and never
# asks the runtime to do anything (probing for the compose plugin is allowed).
expect_error() {
  local code=$1 runtime=$2
  shift 2
  local -a args=()
  while [[ $1 != -- ]]; do
    args+=("$1")
    shift
  done
  shift
  local label="CONTAINER_RUNTIME=$runtime, subcommand: ${args[*]:-<none>}"
  run_script "$runtime" "${args[@]}"
  [[ $status -eq $code ]] || fail_with "FAILED ($label): expected exit status $code"
  [[ -z $output ]] || fail_with "FAILED ($label): expected nothing on stdout"
  local fragment
  for fragment in "$@"; do
    [[ $stderr == *"$fragment"* ]] || fail_with "FAILED ($label): expected on stderr: $fragment"
  done
  local acted
  acted=$(calls | { grep -v '^docker compose version$' || true; })
  [[ -z $acted ]] || fail_with "FAILED ($label): expected no runtime calls"
}

# --- every subcommand under every runtime ------------------------------------------------------

@test "docker / up: docker compose -p merlai -f FILE up -d" {
  expect_calls docker up -- "docker compose version" "docker compose -p merlai -f $C up -d"
}
@test "docker / down: docker compose -p merlai -f FILE down" {
  expect_calls docker down -- "docker compose version" "docker compose -p merlai -f $C down"
}
@test "docker / logs: docker compose -p merlai -f FILE logs" {
  expect_calls docker logs -- "docker compose version" "docker compose -p merlai -f $C logs"
}
@test "docker / logs -f merlai-api: the extra args are passed through" {
  expect_calls docker logs -f merlai-api -- \
    "docker compose version" "docker compose -p merlai -f $C logs -f merlai-api"
}
@test "docker / ps: docker compose -p merlai -f FILE ps" {
  expect_calls docker ps -- "docker compose version" "docker compose -p merlai -f $C ps"
}
@test "docker / config: docker compose -p merlai -f FILE config" {
  expect_calls docker config -- "docker compose version" "docker compose -p merlai -f $C config"
}
@test "docker / build: docker build -f docker/Dockerfile -t merlai:latest ." {
  expect_calls docker build -- "docker build -f docker/Dockerfile -t merlai:latest ."
}

@test "docker without the compose plugin / up: falls back to docker-compose" {
  make_docker_without_compose_plugin
  expect_calls docker up -- "docker compose version" "docker-compose -p merlai -f $C up -d"
}
@test "docker without the compose plugin / down: falls back to docker-compose" {
  make_docker_without_compose_plugin
  expect_calls docker down -- "docker compose version" "docker-compose -p merlai -f $C down"
}
@test "docker without the compose plugin / logs -f merlai-api: falls back to docker-compose" {
  make_docker_without_compose_plugin
  expect_calls docker logs -f merlai-api -- \
    "docker compose version" "docker-compose -p merlai -f $C logs -f merlai-api"
}
@test "docker without the compose plugin / ps: falls back to docker-compose" {
  make_docker_without_compose_plugin
  expect_calls docker ps -- "docker compose version" "docker-compose -p merlai -f $C ps"
}
@test "docker without the compose plugin / config: falls back to docker-compose" {
  make_docker_without_compose_plugin
  expect_calls docker config -- "docker compose version" "docker-compose -p merlai -f $C config"
}
@test "docker without the compose plugin / build: still docker build" {
  make_docker_without_compose_plugin
  expect_calls docker build -- "docker build -f docker/Dockerfile -t merlai:latest ."
}
@test "docker CLI absent but docker-compose present / up: docker-compose" {
  remove_stubs docker
  expect_calls docker up -- "docker-compose -p merlai -f $C up -d"
}

@test "podman / up: podman-compose -p merlai -f FILE up -d" {
  expect_calls podman up -- "podman-compose -p merlai -f $C up -d"
}
@test "podman / down: podman-compose -p merlai -f FILE down, then the project's networks it leaves" {
  run_script podman down -v
  [[ $status -eq 0 ]] || fail_with "FAILED (podman down): expected exit status 0"
  local want
  want=$(printf '%s\n' "podman-compose -p merlai -f $C down -v" \
    "podman network ls --filter label=io.podman.compose.project=merlai --format \\{\\{.Name\\}\\}")
  [[ $(calls) == "$want" ]] || fail_with "FAILED (podman down): expected calls:" "$want"
  [[ $stderr == "+ podman-compose -p merlai -f $C down -v" ]] || fail_with "FAILED (podman down): stderr"
}

@test "podman / down: a network podman-compose left behind is removed" {
  cat >"$STUBS/podman" <<'EOF'
#!/bin/bash
{ printf '%s' "${0##*/}"; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
[[ "$1 $2" == "network ls" ]] && echo merlai_merlai
exit 0
EOF
  run_script podman down
  [[ $status -eq 0 ]] || fail_with "FAILED (podman down with a network left): exit status"
  [[ $(calls) == *"podman network rm merlai_merlai" ]] || fail_with "FAILED (podman down): no network rm"
  [[ $stderr == *"+ podman network rm merlai_merlai" ]] || fail_with "FAILED (podman down): rm not traced"
}
@test "podman / logs: podman-compose -p merlai -f FILE logs" {
  expect_calls podman logs -- "podman-compose -p merlai -f $C logs"
}
@test "podman / logs -f merlai-api: the extra args are passed through" {
  expect_calls podman logs -f merlai-api -- "podman-compose -p merlai -f $C logs -f merlai-api"
}
@test "podman / ps: podman-compose -p merlai -f FILE ps" {
  expect_calls podman ps -- "podman-compose -p merlai -f $C ps"
}
@test "podman / config: podman-compose -p merlai -f FILE config" {
  expect_calls podman config -- "podman-compose -p merlai -f $C config"
}
@test "podman / build: podman build -f docker/Dockerfile -t merlai:latest ." {
  expect_calls podman build -- "podman build -f docker/Dockerfile -t merlai:latest ."
}
@test "podman / build does not need podman-compose" {
  remove_stubs podman-compose
  expect_calls podman build -- "podman build -f docker/Dockerfile -t merlai:latest ."
}

@test "nerdctl / up: nerdctl compose -p merlai -f FILE up -d" {
  expect_calls nerdctl up -- "nerdctl compose -p merlai -f $C up -d"
}
@test "nerdctl / down: nerdctl compose -p merlai -f FILE down" {
  expect_calls nerdctl down -- "nerdctl compose -p merlai -f $C down"
}
@test "nerdctl / logs: nerdctl compose -p merlai -f FILE logs" {
  expect_calls nerdctl logs -- "nerdctl compose -p merlai -f $C logs"
}
@test "nerdctl / logs -f merlai-api: the extra args are passed through" {
  expect_calls nerdctl logs -f merlai-api -- "nerdctl compose -p merlai -f $C logs -f merlai-api"
}
@test "nerdctl / ps: nerdctl compose -p merlai -f FILE ps" {
  expect_calls nerdctl ps -- "nerdctl compose -p merlai -f $C ps"
}
@test "nerdctl / config: nerdctl compose -p merlai -f FILE config" {
  expect_calls nerdctl config -- "nerdctl compose -p merlai -f $C config"
}
@test "nerdctl / build: nerdctl build -f docker/Dockerfile -t merlai:latest ." {
  expect_calls nerdctl build -- "nerdctl build -f docker/Dockerfile -t merlai:latest ."
}

@test "extra args are passed through for up, down, ps, config and build (every runtime)" {
  local runtime
  for runtime in docker podman nerdctl; do
    local -a compose
    case $runtime in
      docker) compose=("docker compose version" "docker compose") ;;
      podman) compose=("podman-compose") ;;
      nerdctl) compose=("nerdctl compose") ;;
    esac
    local head=("${compose[@]:0:${#compose[@]}-1}") cmd=${compose[-1]}
    rm -f "$STUB_LOG"
    expect_calls "$runtime" up --build merlai-api -- "${head[@]}" "$cmd -p merlai -f $C up -d --build merlai-api"
    rm -f "$STUB_LOG"
    # podman's down also looks for networks podman-compose leaves (tested above).
    [[ $runtime == podman ]] || expect_calls "$runtime" down -v -- "${head[@]}" "$cmd -p merlai -f $C down -v"
    rm -f "$STUB_LOG"
    expect_calls "$runtime" ps -a -- "${head[@]}" "$cmd -p merlai -f $C ps -a"
    rm -f "$STUB_LOG"
    expect_calls "$runtime" config --services -- "${head[@]}" "$cmd -p merlai -f $C config --services"
    rm -f "$STUB_LOG"
    expect_calls "$runtime" build --no-cache -- \
      "$runtime build -f docker/Dockerfile -t merlai:latest --no-cache ."
  done
}

@test "the runtime's exit status is passed through (every runtime, every subcommand)" {
  export STUB_EXIT=3
  local runtime subcommand
  for runtime in podman nerdctl; do
    for subcommand in up down logs ps config build; do
      run_script "$runtime" "$subcommand"
      [[ $status -eq 3 ]] || fail_with "FAILED (CONTAINER_RUNTIME=$runtime, subcommand: $subcommand): expected exit status 3"
    done
  done
  # A failing docker stub would also fail the plugin probe; use docker-compose for compose.
  remove_stubs docker
  for subcommand in up down logs ps config; do
    run_script docker "$subcommand"
    [[ $status -eq 3 ]] || fail_with "FAILED (CONTAINER_RUNTIME=docker, subcommand: $subcommand): expected exit status 3"
  done
  make_stub docker
  run_script docker build
  [[ $status -eq 3 ]] || fail_with "FAILED (CONTAINER_RUNTIME=docker, subcommand: build): expected exit status 3"
}

# --- environment -------------------------------------------------------------------------------

@test "CONTAINER_RUNTIME unset or empty means docker" {
  run --separate-stderr env PATH="$STUBS:$TOOLS" "$SCRIPT" ps
  [[ $status -eq 0 ]] || fail_with "FAILED (CONTAINER_RUNTIME unset)"
  [[ $(calls) == *"docker compose -p merlai -f $C ps" ]] || fail_with "FAILED (CONTAINER_RUNTIME unset)"
  rm -f "$STUB_LOG"
  expect_calls "" ps -- "docker compose version" "docker compose -p merlai -f $C ps"
}

@test "PROJECT_NAME sets the compose project (every runtime)" {
  export PROJECT_NAME=my-merlai
  expect_calls docker up -- "docker compose version" "docker compose -p my-merlai -f $C up -d"
  rm -f "$STUB_LOG"
  expect_calls podman up -- "podman-compose -p my-merlai -f $C up -d"
  rm -f "$STUB_LOG"
  expect_calls nerdctl up -- "nerdctl compose -p my-merlai -f $C up -d"
}

@test "COMPOSE_FILE: an absolute path is used as is" {
  export COMPOSE_FILE="$BATS_TEST_TMPDIR/elsewhere/prod compose.yml"
  mkdir -p "${COMPOSE_FILE%/*}"
  : >"$COMPOSE_FILE"
  local f
  f=$(printf '%q' "$COMPOSE_FILE")
  expect_calls nerdctl up -- "nerdctl compose -p merlai -f $f up -d"
}

@test "COMPOSE_FILE: a relative path is relative to the repository root, not the working directory" {
  export COMPOSE_FILE=docker-compose.prod.yml
  : >"$REPO/docker-compose.prod.yml"
  : >"$SRC/docker-compose.prod.yml"
  local f
  f=$(printf '%q' "$REPO/docker-compose.prod.yml")
  expect_calls podman up -- "podman-compose -p merlai -f $f up -d"
}

@test "the default compose file is found from any working directory" {
  cd /
  expect_calls nerdctl ps -- "nerdctl compose -p merlai -f $C ps"
}

@test "MERLAI_CONTEXT sets the build context, and the Dockerfile is looked up inside it" {
  export MERLAI_CONTEXT="$SRC"
  cd "$BATS_TEST_TMPDIR"
  local s
  s=$(printf '%q' "$SRC")
  expect_calls docker build -- "docker build -f $s/docker/Dockerfile -t merlai:latest $s"
}

@test "MERLAI_DOCKERFILE and MERLAI_IMAGE override the Dockerfile and the tag" {
  export MERLAI_DOCKERFILE=docker/Dockerfile.gpu MERLAI_IMAGE=registry.example/merlai:dev
  : >"$SRC/docker/Dockerfile.gpu"
  expect_calls podman build -- "podman build -f docker/Dockerfile.gpu -t registry.example/merlai:dev ."
}

@test "a remote build context: -f stays relative to its root, no local Dockerfile check" {
  export MERLAI_CONTEXT=https://github.com/example/merlai.git
  expect_calls nerdctl build -- \
    "nerdctl build -f docker/Dockerfile -t merlai:latest https://github.com/example/merlai.git"
}

# --- help ----------------------------------------------------------------------------------------

@test "help, -h, --help and no arguments print usage on stdout and exit 0, without any runtime" {
  remove_stubs "${STUB_NAMES[@]}"
  local -a variants=(help -h --help "")
  local arg
  for arg in "${variants[@]}"; do
    if [[ -n $arg ]]; then run_script docker "$arg"; else run_script docker; fi
    local label="help variant '${arg:-<no arguments>}'"
    [[ $status -eq 0 ]] || fail_with "FAILED ($label): expected exit status 0"
    [[ ${lines[0]} == "Usage: container-runtime.sh <subcommand> [args...]" ]] || fail_with "FAILED ($label): usage line"
    [[ -z $stderr ]] || fail_with "FAILED ($label): expected nothing on stderr"
  done
}

@test "help documents every subcommand, variable and exit status" {
  run_script docker help
  local word
  for word in up down logs ps config build help CONTAINER_RUNTIME PROJECT_NAME COMPOSE_FILE \
    MERLAI_CONTEXT MERLAI_DOCKERFILE MERLAI_IMAGE docker-compose podman-compose "nerdctl compose" \
    "64  unknown subcommand" "66  compose file or Dockerfile not found" \
    "69  runtime binary not found on PATH" "78  unknown CONTAINER_RUNTIME" \
    docker/Dockerfile.gpu docker/Dockerfile.lightweight; do
    [[ $output == *"$word"* ]] || fail_with "FAILED (help): does not mention '$word'"
  done
}

@test "help works even with an unknown CONTAINER_RUNTIME" {
  run_script lxc help
  [[ $status -eq 0 ]] || fail_with "FAILED (help with CONTAINER_RUNTIME=lxc)"
}

# --- error paths ---------------------------------------------------------------------------------

@test "unknown subcommand: exit 64, names it and lists the valid ones (every runtime)" {
  local runtime
  for runtime in docker podman nerdctl; do
    expect_error 64 "$runtime" start -- \
      "container-runtime.sh: error: unknown subcommand 'start'" \
      "Valid subcommands: help up down logs ps config build" \
      "Run 'container-runtime.sh help' for usage."
  done
}

@test "unknown subcommand is reported before an unknown runtime" {
  expect_error 64 lxc start -- "unknown subcommand 'start'"
}

@test "unknown CONTAINER_RUNTIME: exit 78, lists the valid runtimes (every subcommand)" {
  local subcommand
  for subcommand in up down logs ps config build; do
    expect_error 78 lxc "$subcommand" -- \
      "container-runtime.sh: error: unknown CONTAINER_RUNTIME 'lxc'" \
      "Valid runtimes: docker (default), podman, nerdctl (containerd)"
  done
}

@test "CONTAINER_RUNTIME=containerd or ctr: exit 78 and points to nerdctl, as ctr has no compose" {
  local runtime
  for runtime in containerd ctr; do
    expect_error 78 "$runtime" up -- \
      "unknown CONTAINER_RUNTIME '$runtime'" \
      "For containerd use CONTAINER_RUNTIME=nerdctl: containerd's 'ctr' has no compose." \
      "Valid runtimes: docker (default), podman, nerdctl (containerd)"
  done
}

@test "docker missing (no docker, no docker-compose): exit 69, names docker and how to install it (every subcommand)" {
  remove_stubs docker docker-compose
  local subcommand
  for subcommand in up down logs ps config build; do
    expect_error 69 docker "$subcommand" -- \
      "container-runtime.sh: error: 'docker' not found on PATH (CONTAINER_RUNTIME=docker)" \
      "Install Docker Engine or Docker Desktop: https://docs.docker.com/engine/install/" \
      "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
  done
}

@test "docker without the compose plugin and no docker-compose: exit 69, names both (every compose subcommand)" {
  make_docker_without_compose_plugin
  remove_stubs docker-compose
  local subcommand
  for subcommand in up down logs ps config; do
    rm -f "$STUB_LOG"
    expect_error 69 docker "$subcommand" -- \
      "container-runtime.sh: error: Docker Compose not found (CONTAINER_RUNTIME=docker): 'docker compose' failed and 'docker-compose' is not on PATH" \
      "Install the Compose plugin (https://docs.docker.com/compose/install/) or the standalone 'docker-compose'" \
      "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
  done
}

@test "podman missing: exit 69, names podman and how to install it (every subcommand)" {
  remove_stubs podman
  local subcommand
  for subcommand in up down logs ps config build; do
    expect_error 69 podman "$subcommand" -- \
      "container-runtime.sh: error: 'podman' not found on PATH (CONTAINER_RUNTIME=podman)" \
      "Install Podman: 'apt-get install podman' (Debian/Ubuntu) or https://podman.io/docs/installation" \
      "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
  done
}

@test "podman-compose missing: exit 69, names podman-compose and how to install it (every compose subcommand)" {
  remove_stubs podman-compose
  local subcommand
  for subcommand in up down logs ps config; do
    expect_error 69 podman "$subcommand" -- \
      "container-runtime.sh: error: 'podman-compose' not found on PATH (CONTAINER_RUNTIME=podman)" \
      "Install podman-compose: 'apt-get install podman-compose' (Debian/Ubuntu) or 'pipx install podman-compose'" \
      "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
  done
}

@test "nerdctl missing: exit 69, names nerdctl and how to install it (every subcommand)" {
  remove_stubs nerdctl
  local subcommand
  for subcommand in up down logs ps config build; do
    expect_error 69 nerdctl "$subcommand" -- \
      "container-runtime.sh: error: 'nerdctl' not found on PATH (CONTAINER_RUNTIME=nerdctl)" \
      "Install nerdctl: https://github.com/containerd/nerdctl/releases" \
      "Or choose another runtime: CONTAINER_RUNTIME=docker|podman|nerdctl"
  done
}

@test "compose file missing: exit 66, prints the path tried and 'npm run synth' (every runtime, every compose subcommand)" {
  rm "$COMPOSE"
  local runtime subcommand
  for runtime in docker podman nerdctl; do
    for subcommand in up down logs ps config; do
      rm -f "$STUB_LOG"
      expect_error 66 "$runtime" "$subcommand" -- \
        "container-runtime.sh: error: compose file not found: $COMPOSE" \
        "Generate it with 'npm run synth' (writes dist/level1-dev.compose.yaml), or set COMPOSE_FILE."
    done
  done
}

@test "compose file missing: a COMPOSE_FILE override is reported as the absolute path tried" {
  export COMPOSE_FILE=docker-compose.prod.yml
  expect_error 66 nerdctl up -- "compose file not found: $REPO/docker-compose.prod.yml"
}

@test "build does not need the compose file (every runtime)" {
  rm "$COMPOSE"
  local runtime
  for runtime in docker podman nerdctl; do
    rm -f "$STUB_LOG"
    expect_calls "$runtime" build -- "$runtime build -f docker/Dockerfile -t merlai:latest ."
  done
}

@test "Dockerfile missing from a local context: exit 66, says to set MERLAI_CONTEXT (every runtime)" {
  rm "$SRC/docker/Dockerfile"
  local runtime
  for runtime in docker podman nerdctl; do
    expect_error 66 "$runtime" build -- \
      "container-runtime.sh: error: Dockerfile not found: docker/Dockerfile" \
      "Set MERLAI_CONTEXT to your Merlai source checkout"
  done
}

@test "a missing binary is reported before a missing compose file" {
  rm "$COMPOSE"
  remove_stubs nerdctl
  expect_error 69 nerdctl up -- "'nerdctl' not found on PATH"
}

# --- the script itself ---------------------------------------------------------------------------

@test "the script is executable" {
  [[ -x $REAL_SCRIPT ]]
}

@test "shellcheck passes on the script and its tests" {
  if ! command -v shellcheck >/dev/null; then
    ! in_ci || fail_with "shellcheck is not installed (apt-get install shellcheck)"
    skip "shellcheck is not installed (apt-get install shellcheck)"
  fi
  # -x follows the `source` lines (the in-ci helper), resolved from the repository root.
  run bash -c 'cd "$1" && shift && shellcheck -x "$@"' _ "$BATS_TEST_DIRNAME/../.." "$REAL_SCRIPT" "$BATS_TEST_DIRNAME/run.sh" "$BATS_TEST_FILENAME"
  [[ $status -eq 0 ]] || fail_with "FAILED: shellcheck reported:"
}

@test "the default and the listed Dockerfiles exist in the vendored Merlai source (third_party/)" {
  local tarball names
  tarball=$(echo "$BATS_TEST_DIRNAME"/../../third_party/merlai-*.tar.gz)
  [[ -f $tarball ]] || fail_with "FAILED: no Merlai tarball at $tarball"
  names=$(tar -tzf "$tarball" | sed -n 's|^merlai/\(docker/Dockerfile[^/]*\)$|\1|p' | sort)
  run_script docker help
  local f
  for f in docker/Dockerfile docker/Dockerfile.gpu docker/Dockerfile.lightweight; do
    grep -qx "$f" <<<"$names" || fail_with "FAILED: $f is not in upstream's tree: $names"
    [[ $output == *"$f"* ]] || fail_with "FAILED: help does not list $f"
  done
  # The default the script builds with is upstream's docker/Dockerfile, not a name upstream lacks.
  grep -q '^  dockerfile=docker/Dockerfile$' "$REAL_SCRIPT" || fail_with "FAILED: default Dockerfile"
}
