# shellcheck shell=bash
# in_ci: whether this is CI, decided as test/support/ci.ts decides it (CI set to anything but '',
# '0' or 'false'). Sourced by the shell steps; under CI a missing tool or file fails, never skips.
in_ci() { [[ -n "${CI:-}" && "${CI}" != "0" && "${CI}" != "false" ]]; }
