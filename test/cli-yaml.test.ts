import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Yaml } from 'cdk8s';
import { addEnvironment, buildAppsFromConfig, synthAll } from '../cli/app';
import { loadConfig } from '../cli/config';
import { composeFromChart } from '../lib/compose/compose';
import { buildApp, synthesize } from '../main';
import { PROJECT_ROOT } from './support/shared';

// The synth writes through cdk8s' own path: `App.synth` and its `Yaml.save` (the `yaml` package),
// unpatched. dist/ is exactly what that writer gives for the shipped charts, and writing each
// environment from its own App (cli/app.ts, `Apps`) gives the same bytes as one App of them all.

const DIST = path.join(PROJECT_ROOT, 'dist');

describe("dist/ is cdk8s' own YAML", () => {
  const app = buildApp('/nonexistent');

  test.each(app.charts.map((chart) => [chart.node.id, chart] as const))(
    'dist/%s.k8s.yaml is Yaml.stringify of the chart (all three charts in one App)',
    (id, chart) => {
      expect(Yaml.stringify(...chart.toJson())).toBe(readFileSync(path.join(DIST, `${id}.k8s.yaml`), 'utf8'));
    },
  );

  test("the Compose file's YAML is Yaml.stringify of its document", () => {
    const level1 = app.charts.find((chart) => chart.node.id === 'level1-dev');
    if (!level1) throw new Error('no level1-dev chart');
    const text = readFileSync(path.join(DIST, 'level1-dev.compose.yaml'), 'utf8');
    const { document } = composeFromChart(level1, { configDir: 'level1-dev.compose.d' });
    expect(text.endsWith(Yaml.stringify(document))).toBe(true);
    expect(text.slice(0, -Yaml.stringify(document).length)).toMatch(/^(# .*\n)+$/);
  });

  test('a synth leaves cdk8s as it was: Yaml.save and Yaml.stringify are its own', () => {
    const { save, stringify } = Yaml;
    const out = mkdtempSync(path.join(os.tmpdir(), 'merlai-yaml-'));
    try {
      synthesize(path.join(out, 'dist'), true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    expect(Yaml.save).toBe(save);
    expect(Yaml.stringify).toBe(stringify);
  });

  test('no source replaces a static of cdk8s at run time', () => {
    const files = ['main.ts', 'scripts/synth.js', ...['cli', 'lib'].flatMap((dir) => sources(dir))];
    for (const file of files)
      expect(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')).not.toMatch(
        /\b(Yaml|App|Chart|ApiObject|Testing)\.\w+\s*=[^=]/,
      );
  });

  test('one App per environment writes the same bytes as one App of every environment', () => {
    const file = path.join(PROJECT_ROOT, 'examples', 'merlai.config.yaml');
    const config = loadConfig(file);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'merlai-apps-'));
    try {
      const one = new App({ outdir: path.join(tmp, 'one') });
      for (const [id, env] of Object.entries(config.environments)) addEnvironment(one, id, env, file);
      synthAll(one);
      synthAll(buildAppsFromConfig(path.join(tmp, 'each'), config, file));
      expect(readdirSync(path.join(tmp, 'each')).length).toBeGreaterThan(
        Object.keys(config.environments).length,
      );
      expect(readTree(path.join(tmp, 'each'))).toEqual(readTree(path.join(tmp, 'one')));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

function sources(dir: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(PROJECT_ROOT, path.join(e.parentPath, e.name)));
}

function readTree(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [
        path.relative(dir, path.join(e.parentPath, e.name)),
        readFileSync(path.join(e.parentPath, e.name), 'utf8'),
      ]),
  );
}
