import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// scripts/ci/api-report.js decides which version a change of the public API needs; these cases
// are semantic versioning's rules (semver.org, items 4, 7 and 8) as docs/releasing.md applies them.
const { compare, requiredBump } = require('../scripts/ci/api-report.js') as {
  compare: (a: object, b: object) => { added: string[]; broken: string[] };
  requiredBump: (version: string, diff: { added: string[]; broken: string[] }) => string;
};

const props = (...p: string[]) => ({ 'm.Props': { kind: 'interface', properties: p } });

describe('the public API report (docs/releasing.md)', () => {
  test('an optional prop added is an addition: 0.1.0 -> 0.1.1, 1.2.3 -> 1.3.0', () => {
    const diff = compare(props('readonly a?: string'), props('readonly a?: string', 'readonly b?: number'));
    expect(diff).toEqual({ added: ['m.Props: properties gained readonly b?: number'], broken: [] });
    expect(requiredBump('0.1.0', diff)).toBe('0.1.1');
    expect(requiredBump('1.2.3', diff)).toBe('1.3.0');
  });
  test('a required prop added to a props interface breaks its users: 0.1.0 -> 0.2.0, 1.2.3 -> 2.0.0', () => {
    const diff = compare(props('readonly a?: string'), props('readonly a?: string', 'readonly b: number'));
    expect(diff.broken).toEqual(['m.Props: properties gained readonly b: number']);
    expect(requiredBump('0.1.0', diff)).toBe('0.2.0');
    expect(requiredBump('1.2.3', diff)).toBe('2.0.0');
  });
  test('a prop removed, a type narrowed or an export removed is breaking', () => {
    expect(compare(props('readonly a?: string'), props()).broken).toHaveLength(1);
    expect(compare(props('readonly a?: string'), props('readonly a?: number')).broken).toEqual([
      'm.Props: properties lost readonly a?: string',
    ]);
    expect(compare(props(), {}).broken).toEqual(['removed m.Props']);
  });
  test('an optional initializer parameter appended is an addition; a new required one breaks', () => {
    const c = (...p: string[]) => ({ 'm.C': { kind: 'class', initializer: p } });
    expect(
      compare(c('scope: constructs.Construct'), c('scope: constructs.Construct', 'props?: m.Props')).broken,
    ).toEqual([]);
    expect(
      compare(c('scope: constructs.Construct'), c('scope: constructs.Construct', 'props: m.Props')).broken,
    ).toHaveLength(1);
  });
  test('no change needs no bump', () => {
    expect(requiredBump('0.3.1', compare(props('readonly a?: string'), props('readonly a?: string')))).toBe(
      '0.3.1',
    );
  });
  test('the committed report is for the version of package.json, and CHANGELOG.md has its section', () => {
    const root = path.resolve(__dirname, '..');
    const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
    expect(JSON.parse(readFileSync(path.join(root, 'api/merlai-cdk8s.api.json'), 'utf8')).version).toBe(
      version,
    );
    expect(readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8')).toContain(`## [${version}]`);
  });
});
