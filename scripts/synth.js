#!/usr/bin/env node
// The synth entry point of `npm run synth` and `npx cdk8s synth` (cdk8s.yaml): runs main.ts as one
// esbuild bundle of main.ts, lib/ and imports/ (cdk8s, constructs and cdk8s-plus-28 stay in
// node_modules), cached under node_modules/.cache/merlai-cdk8s/synth/ by the content hash of its
// sources. A cold run bundles (about 0.3 s); a warm run only hashes the sources and loads the
// bundle, instead of transpiling the 4 MB of generated bindings on every run. No type-checking:
// `npm test` type-checks.

const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'merlai-cdk8s', 'synth');

function sources(dir) {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

function bundlePath() {
  const hash = createHash('sha256');
  for (const file of ['main.ts', ...sources('lib'), ...sources('imports'), 'package-lock.json']) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(ROOT, file)))
      .update('\0');
  }
  hash.update(require('esbuild/package.json').version).update(readFileSync(__filename));
  return path.join(CACHE, `main-${hash.digest('hex').slice(0, 16)}.js`);
}

function build(target) {
  mkdirSync(CACHE, { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  require('esbuild').buildSync({
    entryPoints: [path.join(ROOT, 'main.ts')],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  renameSync(partial, target); // atomic: a parallel run never loads half a bundle
}

const bundle = bundlePath();
if (!existsSync(bundle)) build(bundle);
require(bundle).main();
