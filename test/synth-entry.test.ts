import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function readTree(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => [
      path.relative(dir, path.join(e.parentPath, e.name)),
      readFileSync(path.join(e.parentPath, e.name), 'utf8'),
    ]),
  );
}

test('scripts/synth.js (npm run synth, npx cdk8s synth) writes exactly the committed dist/ from its cached bundle', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'merlai-synth-entry-'));
  try {
    execFileSync(process.execPath, ['scripts/synth.js'], {
      cwd: ROOT,
      env: { ...process.env, CDK8S_OUTDIR: out },
    });
    expect(readTree(out)).toEqual(readTree(path.join(ROOT, 'dist')));
    const cache = path.join(ROOT, 'node_modules', '.cache', 'merlai-cdk8s', 'synth');
    expect(readdirSync(cache).filter((f) => /^main-[0-9a-f]{16}\.js$/.test(f)).length).toBeGreaterThanOrEqual(
      1,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the entry points named in package.json and cdk8s.yaml are the bundled launcher', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.scripts.synth).toBe('node scripts/synth.js');
  expect(readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8')).toMatch(/^app: node scripts\/synth\.js$/m);
});

test('lib/ and cli/ take only the generated `k8s` bindings from cdk8s-plus-28 (the synth bundle loads nothing else of it)', () => {
  const files = ['lib', 'cli'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => path.join(e.parentPath, e.name)),
  );
  const imports = files.flatMap((file) =>
    [
      ...readFileSync(file, 'utf8').matchAll(
        /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'cdk8s-plus-28[^']*'/g,
      ),
    ].map((m) => `${path.relative(ROOT, file)}: ${m[1].trim()}`),
  );
  expect(imports.length).toBeGreaterThan(0);
  for (const line of imports) expect(line).toMatch(/: k8s$/);
  for (const file of files)
    expect(readFileSync(file, 'utf8')).not.toMatch(
      /require\('cdk8s-plus-28|import \* as .* from 'cdk8s-plus-28/,
    );
});

test('a warm synth leaves V8 code cache beside its bundle', () => {
  const cache = path.join(ROOT, 'node_modules', '.cache', 'merlai-cdk8s', 'synth');
  const bundles = readdirSync(cache).filter((f) => /^main-[0-9a-f]{16}\.js$/.test(f));
  const cached = bundles.filter((b) =>
    readdirSync(cache).includes(`${b}.${process.version}-${process.arch}.v8cache`),
  );
  expect(cached.length).toBeGreaterThanOrEqual(1);
});
