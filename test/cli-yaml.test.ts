import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Yaml } from 'cdk8s';
import { buildAppFromConfig } from '../cli/app';
import { loadConfig } from '../cli/config';
import { stringifyDocument, stringifyDocuments, withFastYaml, yamlFallbacks } from '../cli/yaml';
import { composeFromChart } from '../lib/compose';
import { buildApp } from '../main';
import { PROJECT_ROOT } from './support/shared';

// The synth path's YAML writer must give exactly what cdk8s' own `Yaml.stringify` gives (the
// `yaml` package): byte for byte, on every document we synthesize and on strings chosen to be hard.

function same(document: unknown): void {
  expect(stringifyDocument(document)).toBe(Yaml.stringify(document));
}

describe('the synth path YAML writer', () => {
  const app = buildApp('/nonexistent');
  const documents = app.charts.flatMap((chart) => Object.values(chart.toJson()));

  test('writes every object of the shipped charts as cdk8s does', () => {
    expect(documents.length).toBeGreaterThan(50);
    const before = yamlFallbacks.count;
    expect(stringifyDocuments(...documents)).toBe(Yaml.stringify(...documents));
    // ... and writes them itself: none is handed back to `yaml` (that would only be slow).
    expect(yamlFallbacks.count).toBe(before);
  });

  test('writes the Compose file and the configuration example’s charts as cdk8s does', () => {
    const level1 = app.charts.find((chart) => chart.node.id === 'level1-dev');
    if (!level1) throw new Error('no level1-dev chart');
    same(composeFromChart(level1, { configDir: 'x.compose.d' }).document);
    const file = path.join(PROJECT_ROOT, 'examples', 'merlai.config.yaml');
    const configured = buildAppFromConfig('/nonexistent', loadConfig(file), file);
    const objects = configured.charts.flatMap((chart) => Object.values(chart.toJson()));
    expect(stringifyDocuments(...objects)).toBe(Yaml.stringify(...objects));
  });

  const HARD = [
    '',
    ' ',
    'yes',
    'No',
    'ON',
    'off',
    'y',
    'null',
    '~',
    'true',
    '0',
    '8000',
    '0x1F',
    '1_000',
    '1:20',
    '1e3',
    '.inf',
    '.5',
    '-1',
    '+1',
    '2026-11-29',
    '500m',
    '1Gi',
    'a: b',
    'a:b',
    'a #b',
    'a#b',
    '#x',
    '- x',
    '-',
    '?',
    '? x',
    '*alias',
    '&anchor',
    '!tag',
    '%YAML',
    '---',
    '--- x',
    '...',
    '@x',
    '`x',
    '|',
    '>',
    "it's",
    'say "hi"',
    `both ' and "`,
    '{}',
    '[a]',
    'a, b',
    'trailing ',
    ' leading',
    'tab\tinside',
    'colon:',
    'x'.repeat(1100),
    'ünïcödé',
    '日本語',
    'emoji 🎵',
    'ctrl \u0007 bell',
    '\u0085 nel',
    'line\n',
    'line',
    'two\nlines',
    'two\nlines\n',
    'kept\n\n',
    '\nleading newline',
    ' indented\nblock\n',
    'blank\n\nline inside\n',
    'trailing space \nnext\n',
    'ends in spaces\n  ',
    'tab\n\tindented\n',
    '---\ndocument marker\n',
    'a\n...\n',
    '# comment\nlike\n',
    'x: |\n  nested\n',
    '\r\nwindows\r\n',
  ];

  test.each(HARD.map((s) => [JSON.stringify(s).slice(0, 40), s]))(
    'the string %s in every position',
    (_name, s) => {
      same({ k: s });
      same({ [s.length > 0 ? s : 'empty']: 'v' });
      same({ list: [s, 'x', { k: s, j: [s] }] });
      same({ a: { b: { c: s } }, s });
      same({ items: [{ name: s, value: s }, s] });
    },
  );

  test('numbers, booleans, null, empty collections, nesting and shared objects', () => {
    for (const value of [
      0,
      -0,
      1,
      -1,
      42,
      0.5,
      -2.25,
      1e21,
      1e-7,
      2 ** 53,
      Number.MAX_SAFE_INTEGER,
      true,
      false,
      null,
    ]) {
      same({ k: value, list: [value] });
    }
    same({ a: {}, b: [], c: [{}], d: [[]], e: [[1, 2], [3]], f: [{ g: [] }, { h: {} }] });
    same({ deep: { a: [{ b: [{ c: [{ d: 'x' }] }] }] } });
    same({ withUndefined: undefined, list: [undefined] });
    const shared = { name: 'same object twice' };
    same({ first: shared, second: shared });
    same({});
    same(undefined);
    same(['top', 'level', 'list']);
    same('top-level string');
  });

  test('random strings from a hard alphabet agree (seeded, 1500 cases)', () => {
    const alphabet = [
      'a',
      'Z',
      '0',
      '9',
      ' ',
      ':',
      '#',
      '-',
      '?',
      "'",
      '"',
      '\n',
      '\t',
      '.',
      ',',
      '[',
      '{',
      '*',
      '&',
      '!',
      '|',
      '>',
      '%',
      '@',
      '`',
      '~',
      'y',
      'é',
      '\\',
    ];
    let seed = 20261129;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 1500; i++) {
      const length = next() % 12;
      let s = '';
      for (let j = 0; j < length; j++) s += alphabet[next() % alphabet.length];
      same({ key: s, list: [s, { nested: s }] });
    }
  });

  test('withFastYaml writes the files cdk8s would and puts Yaml.save back, after a failure too', () => {
    const original = Yaml.save;
    expect(() =>
      withFastYaml(() => {
        expect(Yaml.save).not.toBe(original);
        throw new Error('synth failed');
      }),
    ).toThrow('synth failed');
    expect(Yaml.save).toBe(original);
    const dist = readFileSync(path.join(PROJECT_ROOT, 'dist', 'level2-staging.k8s.yaml'), 'utf8');
    const level2 = app.charts.find((chart) => chart.node.id === 'level2-staging');
    if (!level2) throw new Error('no level2-staging chart');
    expect(stringifyDocuments(...Object.values(level2.toJson()))).toBe(dist);
  });
});
