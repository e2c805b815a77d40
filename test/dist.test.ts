import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, synthesize } from '../main';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

function readTree(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => {
      const file = path.join(e.parentPath, e.name);
      return [path.relative(dir, file), readFileSync(file, 'utf8')];
    }),
  );
}

describe('dist/', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'merlai-dist-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  test('the committed dist/ equals a fresh synth (run `npm run synth` and commit when this fails)', () => {
    const out = path.join(tmp, 'dist');
    synthesize(out, true);
    expect(readTree(DIST)).toEqual(readTree(out));
  });

  test('synth is byte-identical from run to run', () => {
    synthesize(path.join(tmp, 'a'), true);
    synthesize(path.join(tmp, 'b'), true);
    expect(readTree(path.join(tmp, 'a'))).toEqual(readTree(path.join(tmp, 'b')));
  });

  test('writes one file per level and the Level 1 Compose file', () => {
    expect(readdirSync(DIST)).toContain('level1-dev.compose.yaml');
    expect(readdirSync(DIST).filter((f) => f.endsWith('.k8s.yaml'))).toEqual([
      'level1-dev.k8s.yaml',
      'level2-staging.k8s.yaml',
      'level3-production.k8s.yaml',
    ]);
    expect(readdirSync(DIST).filter((f) => f.endsWith('.dashboard.json'))).toEqual([
      'level2-staging.dashboard.json',
      'level3-production.dashboard.json',
    ]);
  });

  test('a failed synth leaves the previous output untouched', () => {
    const out = path.join(tmp, 'dist');
    synthesize(out, true);
    writeFileSync(path.join(out, 'marker'), 'previous');
    const before = readTree(out);
    const failing = () => {
      throw new Error('boom');
    };
    expect(() => synthesize(out, true, failing)).toThrow('boom');
    expect(readTree(out)).toEqual(before);
    expect(readdirSync(tmp).filter((f) => f.startsWith('.dist-tmp-'))).toEqual([]);
    expect(existsSync(out)).toBe(true);
  });

  test('buildApp composes the three level charts', () => {
    expect(buildApp(tmp).charts.map((c) => c.node.id)).toEqual([
      'level1-dev',
      'level2-staging',
      'level3-production',
    ]);
  });
});
