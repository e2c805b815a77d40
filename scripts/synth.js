#!/usr/bin/env node
// The synth entry point of `npm run synth` and `npx cdk8s synth` (cdk8s.yaml): runs main.ts as one
// esbuild bundle of main.ts, lib/, cli/, imports/ and the packages they load, cached under
// node_modules/.cache/merlai-cdk8s/synth/ by the content hash of the sources and the lock file
// (remembered against their sizes and modification times), with V8's code cache for it beside it.
//
// Where the time went before (docs/benchmarks.md): transpiling the 4 MB of generated bindings on
// every run (esbuild-register), then loading some 200 modules one by one and compiling them. So:
//   - a cold run bundles (about 0.4 s); a warm run hashes the sources and loads one file;
//   - `cdk8s-plus-28` is reduced to what lib/ and cli/ take from it, its generated `k8s` bindings
//     (its constructs are not loaded: test/synth-entry.test.ts checks nothing else is imported);
//   - the bundle is compiled with V8's code cache of the previous run (functions compiled lazily
//     during that run included), so a warm run parses and compiles almost nothing.
// The YAML is cdk8s' own (`App.synth`, `Yaml.save`: the `yaml` package), one App per environment
// (cli/app.ts).
// MERLAI_SYNTH_TIMINGS=1 prints where a run's time went (CPU and wall, per phase) to stderr.

const { createHash } = require('node:crypto');
const {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'merlai-cdk8s', 'synth');

function sources(dir) {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

function bundlePath() {
  const files = ['main.ts', ...sources('lib'), ...sources('cli'), ...sources('imports'), 'package-lock.json'];
  // The content hash is remembered against the files' sizes and modification times, so a warm
  // run stats the ~100 sources instead of reading and hashing their 5 MB; any change to a file
  // (a new size or time) hashes the contents again.
  const stats = createHash('sha256');
  for (const file of files) {
    const { size, mtimeMs } = statSync(path.join(ROOT, file));
    stats.update(`${file}\0${size}\0${mtimeMs}\0`);
  }
  stats.update(readFileSync(__filename));
  const memo = path.join(CACHE, `stats-${stats.digest('hex').slice(0, 16)}`);
  try {
    return path.join(CACHE, readFileSync(memo, 'utf8'));
  } catch {
    // not seen: hash the contents
  }
  const hash = createHash('sha256');
  for (const file of files) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(ROOT, file)))
      .update('\0');
  }
  hash.update(require('esbuild/package.json').version).update(readFileSync(__filename));
  const name = `main-${hash.digest('hex').slice(0, 16)}.js`;
  mkdirSync(CACHE, { recursive: true });
  writeAtomically(memo, name);
  return path.join(CACHE, name);
}

/** `cdk8s-plus-28` as lib/ uses it: only its `k8s` bindings. */
const plusBindingsOnly = {
  name: 'cdk8s-plus-28-bindings-only',
  setup(build) {
    build.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: 'cdk8s-plus-28', namespace: 'bindings' }));
    build.onLoad({ filter: /.*/, namespace: 'bindings' }, () => ({
      contents: "exports.k8s = require('cdk8s-plus-28/lib/imports/k8s');",
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

function writeAtomically(target, data) {
  const partial = `${target}.${process.pid}.tmp`;
  writeFileSync(partial, data);
  renameSync(partial, target); // a parallel run never reads half a file
}

async function build(target) {
  mkdirSync(CACHE, { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  await require('esbuild').build({
    entryPoints: [path.join(ROOT, 'main.ts')],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [plusBindingsOnly],
    minifyWhitespace: true,
    logLevel: 'warning',
  });
  renameSync(partial, target);
}

/** Loads the bundle as CommonJS, through V8's code cache when there is one for this Node. */
function load(bundle) {
  const codeCache = `${bundle}.${process.version}-${process.arch}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(codeCache);
  } catch {
    // first warm run on this Node: compile, then write the cache below
  }
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  const module = { exports: {}, filename: bundle, id: bundle };
  script.runInThisContext()(
    module.exports,
    Module.createRequire(bundle),
    module,
    bundle,
    path.dirname(bundle),
  );
  const saveCodeCache = () => {
    if (cachedData === undefined || script.cachedDataRejected)
      writeAtomically(codeCache, script.createCachedData());
  };
  return { main: module.exports.main, saveCodeCache };
}

const phases = [];
/** Marks the end of a phase (MERLAI_SYNTH_TIMINGS=1): CPU (user + system) and wall, since start. */
function mark(name) {
  if (process.env.MERLAI_SYNTH_TIMINGS !== '1') return;
  const { user, system } = process.cpuUsage();
  phases.push({ name, cpu: (user + system) / 1000, wall: performance.now() });
  if (name !== 'done') return;
  let last = { cpu: 0, wall: 0 };
  const rows = phases.map((p) => {
    const row = `${p.name} ${(p.cpu - last.cpu).toFixed(0)} ms CPU, ${(p.wall - last.wall).toFixed(0)} ms wall`;
    last = p;
    return row;
  });
  console.error(`merlai-cdk8s synth timings: ${rows.join('; ')}`);
}

async function run() {
  mark('node start-up');
  const bundle = bundlePath();
  mark('source hash');
  if (!existsSync(bundle)) await build(bundle);
  mark('bundle');
  const { main, saveCodeCache } = load(bundle);
  mark('load');
  main(); // exits the process with status 1 on failure (after saying why)
  mark('synth');
  saveCodeCache();
  mark('done');
}

run().catch((error) => {
  console.error(`merlai-cdk8s: synth failed, dist/ left as it was.\n${error.stack ?? error}`);
  process.exit(1);
});
