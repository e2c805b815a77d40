import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';

// `require('merlai-cdk8s')` is the library only: the command (cli/: configuration and its JSON
// Schema, diff, summary, graph, the NetworkPolicy evaluator) and its dependency ajv are never
// loaded by it. Each case requires the index in a fresh Node and lists what `require.cache` holds.
const ROOT = path.resolve(__dirname, '..');

function loaded(index: string, preload: string[] = []): string[] {
  const script = `require(${JSON.stringify(index)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, [...preload, '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).map((file) => path.relative(ROOT, file));
}

function expectLibraryOnly(files: string[], cliDir: string): void {
  expect(files.some((f) => /(^|\/)lib\/index\.[jt]s$/.test(f))).toBe(true);
  expect(files.filter((f) => f.startsWith(`${cliDir}/`) || f === 'main.ts')).toEqual([]);
  expect(files.filter((f) => /(^|\/)node_modules\/ajv\//.test(f))).toEqual([]);
}

test('the library index (source) loads no module of cli/ and not ajv', () => {
  expectLibraryOnly(loaded('./lib', ['-r', 'esbuild-register']), 'cli');
});

test('the compiled library index (what require("merlai-cdk8s") loads) loads no module of build/cli/ and not ajv', () => {
  // Compiled afresh (a stale build/ would prove nothing) into a folder inside the checkout, so
  // that its require('cdk8s') resolves as the package's does.
  mkdirSync(path.join(ROOT, 'build'), { recursive: true });
  const out = mkdtempSync(path.join(ROOT, 'build', '.lib-load-'));
  try {
    execFileSync(
      path.join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.build.json', '--outDir', out],
      {
        cwd: ROOT,
      },
    );
    const rel = path.relative(ROOT, out);
    expectLibraryOnly(loaded(`./${rel}/lib/index.js`), `${rel}/cli`);
    // The build of the library does not emit the command either.
    expect(
      loaded(`./${rel}/lib/index.js`).filter(
        (f) => f.startsWith(`${rel}/`) && !f.startsWith(`${rel}/lib/`) && !f.startsWith(`${rel}/imports/`),
      ),
    ).toEqual([]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
