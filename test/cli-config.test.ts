import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAppsFromConfig, synthAll, synthesize, synthToObjects } from '../cli/app';
import { run } from '../cli/command';
import {
  CONFIG_SCHEMA,
  ConfigError,
  chartProps,
  DEFAULT_CONFIG,
  environmentLevel,
  findConfigFile,
  loadConfig,
  parseConfig,
  validateConfig,
} from '../cli/config';
import { readCharts } from '../cli/objects';
import { AvailabilityLevel } from '../lib/core/levels';
import { PROJECT_ROOT } from './support/shared';

const BAD = path.join(__dirname, 'fixtures/config/bad');
const EXAMPLE = path.join(PROJECT_ROOT, 'examples/merlai.config.yaml');

function readTree(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => [
      path.relative(dir, path.join(e.parentPath, e.name)),
      readFileSync(path.join(e.parentPath, e.name), 'utf8'),
    ]),
  );
}

/** A command run in `cwd`, its output captured. */
function cli(args: string[], cwd = PROJECT_ROOT) {
  let out = '';
  let err = '';
  const code = run(args, { cwd, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'merlai-config-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('bad configuration files', () => {
  const files = readdirSync(BAD).sort();

  test('there are at least 10, each stating its message', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files)
      expect(readFileSync(path.join(BAD, f), 'utf8')).toMatch(/^# expect(-contains)?: /m);
  });

  test.each(files)('%s is refused with its message', (file) => {
    const text = readFileSync(path.join(BAD, file), 'utf8');
    const exact = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1]);
    const contains = [...text.matchAll(/^# expect-contains: (.*)$/gm)].map((m) => m[1]);
    let error: unknown;
    try {
      // Schema errors stop at loading; construct errors (floors, pinned images) at synth.
      synthToObjects(loadConfig(path.join(BAD, file)), file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(expect.arrayContaining(exact));
    if (exact.length > 0) expect(problems).toHaveLength(exact.length);
    for (const c of contains) expect((error as Error).message).toContain(c);
  });

  test('the command reports them with the file name and exit code 2, and leaves the output alone', () => {
    const out = path.join(tmp, 'out');
    writeFileSync(path.join(tmp, 'one.yaml'), 'environments:\n  dev: { level: 1 }\n');
    expect(cli(['synth', '--config', path.join(tmp, 'one.yaml'), '--out', out]).code).toBe(0);
    const before = readTree(out);
    const bad = cli(['synth', '--config', path.join(BAD, '04-zero-replicas.yaml'), '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      `merlai-cdk8s synth: ${path.join(BAD, '04-zero-replicas.yaml')}: environments.staging.api.replicas: is 0; expected an integer >= 1\n`,
    );
    const refused = cli(['synth', '--config', path.join(BAD, '11-latest-at-level3.yaml'), '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('synth failed, ');
    expect(refused.err).toContain("'image' is 'merlai:latest'");
    expect(readTree(out)).toEqual(before);
  });
});

describe('the configuration file', () => {
  test('without one, the output is byte for byte the committed dist/ (today three levels)', () => {
    const out = path.join(tmp, 'dist');
    expect(validateConfig(JSON.parse(JSON.stringify(DEFAULT_CONFIG)))).toEqual(DEFAULT_CONFIG);
    synthesize(out, true, (dir) => synthAll(buildAppsFromConfig(dir, DEFAULT_CONFIG)));
    expect(readTree(out)).toEqual(readTree(path.join(PROJECT_ROOT, 'dist')));
  });

  test('a four-environment configuration synthesizes four charts with what each team changed', () => {
    const out = path.join(tmp, 'out');
    const result = cli(['synth', '--config', EXAMPLE, '--out', out]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .sort(),
    ).toEqual(['dev.k8s.yaml', 'production-eu.k8s.yaml', 'production-us.k8s.yaml', 'staging.k8s.yaml']);
    // Only the Level 1 environment gets a Compose file.
    expect(readdirSync(out).filter((f) => f.endsWith('.compose.yaml'))).toEqual(['dev.compose.yaml']);

    const charts = readCharts(out);
    const image = (chart: string) =>
      charts.get(chart)!.find((o) => o.kind === 'Deployment' && o.metadata.name === 'merlai-api')!.spec
        .template.spec.containers[0].image;
    expect(image('dev')).toBe('merlai:latest');
    expect(image('staging')).toBe('registry.example.com/merlai/api:1.4.0');
    expect(image('production-eu')).toBe('registry.example.com/merlai/api:1.3.2');
    expect(image('production-us')).toMatch(/^registry\.example\.com\/merlai\/api@sha256:[0-9a-f]{64}$/);

    const eu = charts.get('production-eu')!;
    expect(eu.find((o) => o.kind === 'Namespace')!.metadata.name).toBe('merlai-eu');
    expect(
      eu.every(
        (o) => ['Namespace', 'PriorityClass'].includes(o.kind) || o.metadata.namespace === 'merlai-eu',
      ),
    ).toBe(true);
    expect(eu.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec).toMatchObject({
      minReplicas: 4,
      maxReplicas: 12,
    });
    expect(eu.find((o) => o.kind === 'Ingress')!.spec.tls).toEqual([
      { hosts: ['merlai.eu.example.com'], secretName: 'merlai-eu-tls' },
    ]);
    expect(eu.find((o) => o.kind === 'Cluster')!.spec.storage).toEqual({
      size: '100Gi',
      storageClass: 'ceph-rbd',
    });

    // Managed datastores: nothing of PostgreSQL or Redis is deployed, only ExternalName Services.
    const us = charts.get('production-us')!;
    expect(us.filter((o) => ['Cluster', 'RedisReplication', 'StatefulSet'].includes(o.kind))).toEqual([]);
    expect(
      us
        .filter((o) => o.kind === 'Service' && o.spec.type === 'ExternalName')
        .map((o) => o.spec.externalName),
    ).toEqual(expect.arrayContaining(['merlai.db.us.example.com', 'merlai.cache.us.example.com']));
  });

  test('level names and numbers mean the same level', () => {
    const levels = parseConfig(
      'environments: { a: { level: 1 }, b: { level: development }, c: { level: 3 }, d: { level: production } }',
    ).environments;
    expect(Object.values(levels).map(environmentLevel)).toEqual([
      AvailabilityLevel.DEVELOPMENT,
      AvailabilityLevel.DEVELOPMENT,
      AvailabilityLevel.PRODUCTION,
      AvailabilityLevel.PRODUCTION,
    ]);
    // Only the keys a team sets reach the props: the level table supplies the rest.
    expect(chartProps(parseConfig('environments: { x: { level: 2 } }').environments.x)).toEqual({});
    expect(
      chartProps(
        parseConfig("environments: { x: { level: 2, api: { image: { repository: r/m, tag: '2' } } } }")
          .environments.x,
      ),
    ).toEqual({ api: { image: 'r/m:2' } });
  });

  test('found by --config, then MERLAI_CONFIG, then ./merlai.config.yaml', () => {
    expect(findConfigFile(undefined, tmp)).toBeUndefined();
    copyFileSync(EXAMPLE, path.join(tmp, 'merlai.config.yaml'));
    expect(findConfigFile(undefined, tmp)).toBe(path.join(tmp, 'merlai.config.yaml'));
    process.env.MERLAI_CONFIG = 'other.yaml';
    try {
      expect(findConfigFile(undefined, tmp)).toBe(path.join(tmp, 'other.yaml'));
      expect(findConfigFile('third.yaml', tmp)).toBe(path.join(tmp, 'third.yaml'));
    } finally {
      delete process.env.MERLAI_CONFIG;
    }
    expect(() => loadConfig(path.join(tmp, 'missing.yaml'))).toThrow(/missing\.yaml: no such file/);
  });

  test('npm run synth (main.ts) reads merlai.config.yaml in the working folder', () => {
    writeFileSync(path.join(tmp, 'merlai.config.yaml'), 'environments:\n  team-a: { level: 2 }\n');
    const register = require.resolve('esbuild-register');
    const result = spawnSync(process.execPath, ['-r', register, path.join(PROJECT_ROOT, 'main.ts')], {
      cwd: tmp,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(readdirSync(path.join(tmp, 'dist')).sort()).toEqual(['team-a.dashboard.json', 'team-a.k8s.yaml']);
  });

  test('the schema rejects unknown keys at every level', () => {
    const walk = (s: Record<string, unknown>, at: string): string[] => {
      const here = s.type === 'object' && s.properties ? (s.additionalProperties === false ? [] : [at]) : [];
      const children = Object.entries(
        (s.properties as Record<string, Record<string, unknown>>) ?? {},
      ).flatMap(([k, v]) => walk(v, `${at}.${k}`));
      const each =
        s.additionalProperties && typeof s.additionalProperties === 'object'
          ? walk(s.additionalProperties as Record<string, unknown>, `${at}.*`)
          : [];
      return [...here, ...children, ...each];
    };
    // Only maps of free names (environments by id, DNS pod labels) take any key.
    expect(walk(CONFIG_SCHEMA, '')).toEqual([]);
  });
});

// Issue 27: a wildcard host is accepted wherever Kubernetes accepts it (networking.k8s.io/v1
// IngressRule.host: `*.` as the whole first label), in the file as in the library.
describe('ingress hosts in the file', () => {
  const file = (host: string) => `environments: { x: { level: 2, api: { ingress: { host: '${host}' } } } }`;
  test('*.example.com is accepted', () => {
    expect(chartProps(parseConfig(file('*.example.com')).environments.x).api?.ingress?.host).toBe(
      '*.example.com',
    );
  });
  test.each(['example.*.com', '*example.com', 'Merlai.example.com'])('%s is refused', (host) => {
    expect(() => parseConfig(file(host))).toThrow(/api\.ingress\.host|ingress\/host/);
  });
});
