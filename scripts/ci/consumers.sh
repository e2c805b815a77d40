#!/usr/bin/env bash
# Installs the packed tarball into fresh projects, as another team would, and checks what they get:
#   tarball     only compiled JS, .d.ts, README, LICENSE; a stale build/ file is never packed
#   cdk8s-app   laid out as `cdk8s init typescript-app` (TypeScript 5.9, ts-node, jest, CommonJS):
#               jest, then `npx cdk8s synth`, then the project's validators on dist/
#   esm         "type": "module": named imports, a binding subpath, refused deep imports
#   ts7-strict  TypeScript 7 with exactOptionalPropertyTypes; must-fail.ts proves the checks bite
# Usage: bash scripts/ci/consumers.sh   (npm registry needed; ~/.npm caches the installs)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/merlai-consumers.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
step() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }
fail() { echo "consumers: $*" >&2; exit 1; }
validate() { node -r esbuild-register "$ROOT/scripts/ci/validate-manifests.ts" "$@"; }

step "npm pack (a stale file in build/ must not be packed)"
mkdir -p build/lib && echo 'stale' > build/lib/stale-canary.js
npm pack --pack-destination "$WORK" --json > "$WORK/pack.json"
TARBALL="$(ls "$WORK"/merlai-cdk8s-*.tgz)"
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const files = require(process.argv[1])[0].files.map((f) => f.path);
  const allowed = /^(package\.json|README\.md|LICENSE|bin\/merlai-cdk8s\.js|node_modules\/(@grafana\/grafana-foundation-sdk|tslib|ajv|yaml|fast-deep-equal|fast-uri|json-schema-traverse|require-from-string)\/.+|build\/(lib|imports)\/[\w./-]+\.(js|d\.ts)|build\/cli\/[\w./-]+\.js)$/;
  const bad = files.filter((f) => !allowed.test(f));
  const required = ["build/lib/index.js", "build/lib/index.d.ts", "build/imports/postgresql.cnpg.io.js", "build/imports/postgresql.cnpg.io.d.ts", "bin/merlai-cdk8s.js", "build/cli/command.js"];
  const missing = required.filter((f) => !files.includes(f));
  if (bad.length || missing.length) { console.error({ bad, missing }); process.exit(1); }
  console.log(`tarball: ${files.length} files, compiled JS, .d.ts, README, LICENSE, package.json, the command and its bundled ajv, yaml and Grafana Foundation SDK`);
' "$WORK/pack.json"
[ ! -e build/lib/stale-canary.js ] || fail "prepack did not clean build/"

step "the validators fail on a broken manifest"
cat > "$WORK/broken.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken }
spec:
  selector: { matchLabels: { app: broken } }
  template:
    metadata: { labels: { app: broken } }
    spec:
      containers:
        - { name: app, image: nginx, securityContext: { privileged: true } }
YAML
if validate "$WORK/broken.yaml"; then fail "the validators accepted a privileged pod"; fi

install() { # <fixture>: a copy of consumers/<fixture> with the tarball installed
  cp -r "consumers/$1" "$WORK/$1"
  (cd "$WORK/$1" && npm install --no-audit --no-fund --prefer-offline "$TARBALL" >/dev/null)
}

step "cdk8s-app: install"
install cdk8s-app
step "cdk8s-app: jest (ts-jest), npx cdk8s synth"
(cd "$WORK/cdk8s-app" && npx jest && npx cdk8s synth --no-check-upgrade)

step "cdk8s-app: the installed merlai-cdk8s command (compiled build/, no TypeScript)"
(cd "$WORK/cdk8s-app" && npx --no-install merlai-cdk8s summary --level 3 > "$WORK/summary.txt") ||
  fail "npx merlai-cdk8s summary failed in the consumer project"
grep -q "99.9" "$WORK/summary.txt" || fail "merlai-cdk8s summary printed no Level 3 availability target"
validate "$WORK"/cdk8s-app/dist/*.k8s.yaml

step "cdk8s-app: require('merlai-cdk8s') loads the library only (no build/cli/, no ajv)"
# shellcheck disable=SC2016 # JavaScript, not shell
(cd "$WORK/cdk8s-app" && node -e '
  require("merlai-cdk8s");
  const extra = Object.keys(require.cache).filter((f) => /merlai-cdk8s\/build\/cli\/|\/node_modules\/ajv\//.test(f));
  if (extra.length) { console.error(extra); process.exit(1); }
') || fail "require('merlai-cdk8s') loaded the command or ajv"

step "esm: install, node --test, synth"
install esm
(cd "$WORK/esm" && npm test && npm run synth)
validate "$WORK"/esm/dist/*.k8s.yaml

step "ts7-strict: install, tsc (exactOptionalPropertyTypes), synth"
install ts7-strict
(cd "$WORK/ts7-strict" && npm test)
validate "$WORK"/ts7-strict/dist/*.k8s.yaml
# The strict project's compiler must be its own TypeScript 7 (never a package npx would fetch), and
# it must run: every check below first proves the compiler executed, then reads its diagnostics.
tsc7() { (cd "$WORK/ts7-strict" && npx --no-install tsc "$@"); }
tsc7 --version | grep -q '^Version 7\.' || fail "ts7-strict: npx --no-install tsc is not TypeScript 7"
# must-fail.ts: exactly the two expected diagnostics, and tsc's exit status for "errors found" (1).
status=0
tsc7 -p tsconfig.must-fail.json > "$WORK/must-fail.log" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "must-fail.ts compiled: internal helpers or deep imports are reachable"
[ "$status" -eq 1 ] || { cat "$WORK/must-fail.log"; fail "tsc -p tsconfig.must-fail.json exited $status, not 1 (did it run?)"; }
expected="must-fail.ts(2,10): error TS2305: Module '\"merlai-cdk8s\"' has no exported member 'invalidProp'.
must-fail.ts(3,32): error TS2307: Cannot find module 'merlai-cdk8s/build/lib/errors' or its corresponding type declarations."
[ "$(grep 'error TS' "$WORK/must-fail.log")" = "$expected" ] ||
  { cat "$WORK/must-fail.log"; fail "must-fail.ts: expected exactly TS2305 for invalidProp and TS2307 for the deep import"; }
# Our .d.ts under exactOptionalPropertyTypes without skipLibCheck. cdk8s-plus-28's own .d.ts fail
# (TS2420): tolerated, but only with proof that tsc ran and read ours (--listFiles names it).
status=0
tsc7 -p tsconfig.libcheck.json --listFiles > "$WORK/libcheck.log" 2>&1 || status=$?
grep -q 'merlai-cdk8s/build/lib/index\.d\.ts$' "$WORK/libcheck.log" ||
  { cat "$WORK/libcheck.log"; fail "tsc -p tsconfig.libcheck.json (exit $status) never read merlai-cdk8s's .d.ts"; }
if [ "$status" -ne 0 ]; then
  if ! { [ "$status" -eq 1 ] && grep -q 'error TS[0-9]' "$WORK/libcheck.log"; }; then
    cat "$WORK/libcheck.log"
    fail "tsc -p tsconfig.libcheck.json exited $status without a diagnostic"
  fi
  if grep 'error TS[0-9]' "$WORK/libcheck.log" | grep -E "merlai-cdk8s/|^src/"; then
    fail "errors in merlai-cdk8s's .d.ts or the app"
  fi
  grep -q 'cdk8s-plus-28/.*error TS' "$WORK/libcheck.log" ||
    { cat "$WORK/libcheck.log"; fail "tsc -p tsconfig.libcheck.json failed, but not on the known cdk8s-plus-28 errors"; }
else
  echo "(cdk8s-plus-28's .d.ts now compile: skipLibCheck could go)"
fi

step "consumers: all passed"
