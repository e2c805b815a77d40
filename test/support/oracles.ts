import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';

/**
 * Reference implementations the test helpers are compared with, built from the Go programs in
 * test/oracles/ (pinned by their go.sum) into node_modules/.cache/merlai-cdk8s, once per source
 * version. `.ci/run` builds them before `npm test` (`node -r esbuild-register test/support/oracles.ts`),
 * so the tests only run them. On a developer machine the oracle tests run once that command has
 * built them (a cold build takes minutes, too long for `npm test`), and are skipped with a note
 * until then.
 */

export const ORACLES = ['pod-security', 'network-policy'] as const;
export type Oracle = (typeof ORACLES)[number];

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'merlai-cdk8s');

/** Whether Go is installed. */
export const HAVE_GO = spawnSync('go', ['version']).status === 0;

/** Whether this is CI, where the oracle tests must run rather than skip. */
import { IN_CI } from './ci';

export { IN_CI };

/**
 * Whether the oracle tests run here: always under CI (failing loudly without Go); elsewhere only
 * once the oracles of this source version are built.
 */
export function oraclesAvailable(): boolean {
  if (IN_CI) {
    if (!HAVE_GO)
      throw new Error('CI: `go` is not on PATH; the oracle tests need it to build test/oracles/*');
    return true;
  }
  const built = ORACLES.every((name) => existsSync(binaryPath(name)));
  if (!built) {
    console.warn(
      'Go oracles not built: skipping the oracle tests (build them with `node -r esbuild-register test/support/oracles.ts`; CI does)',
    );
  }
  return built;
}

/** Where the binary of this source version of an oracle lives. */
function binaryPath(name: Oracle): string {
  const dir = path.join(ROOT, 'test', 'oracles', name);
  const hash = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(path.join(dir, f)));
  return path.join(CACHE, `${name}-oracle-${hash.digest('hex').slice(0, 16)}`);
}

/** The path of the oracle's binary, building it first when this source version was never built. */
export function oracleBinary(name: Oracle): string {
  const dir = path.join(ROOT, 'test', 'oracles', name);
  const binary = binaryPath(name);
  if (!existsSync(binary)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${binary}.${process.pid}.tmp`;
    execFileSync('go', ['build', '-o', partial, '.'], {
      cwd: dir,
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    renameSync(partial, binary); // atomic: a parallel test run never sees half a binary
  }
  return binary;
}

/** Runs an oracle with JSON on stdin and parses its JSON output. */
export function runOracle<T>(name: Oracle, args: string[], input: unknown): T {
  const out = execFileSync(oracleBinary(name), args, {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as T;
}

if (require.main === module) {
  for (const name of ORACLES) console.log(`${name}: ${oracleBinary(name)}`);
}
