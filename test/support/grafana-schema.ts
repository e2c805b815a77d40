import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Grafana's dashboard schema as JSON Schema, derived from Grafana's own npm package
 * `@grafana/schema` (Apache-2.0): its TypeScript types generated from the CUE "kinds"
 * (`dist/types/raw/dashboard/x/types.gen.d.ts`: `Dashboard`, `Panel`, `RowPanel`, …) and the panel
 * plugins' option types (`raw/composable/{timeseries,stat}/panelcfg/x/types.gen.d.ts`), converted
 * by `ts-json-schema-generator` with `additionalProperties: false` wherever the types have no index
 * signature, so an unknown or misspelt key fails like a wrong type does.
 *
 * The conversion takes ~25 s on the CI machine: the result is cached under
 * ~/.cache/merlai-cdk8s/grafana-schema/ by the two packages' versions (`.ci/run` warms it before
 * `npm test`; `node -r esbuild-register test/support/grafana-schema.ts` does the same locally).
 */

const ROOT = path.resolve(__dirname, '../..');
const CACHE_DIR = path.join(os.homedir(), '.cache', 'merlai-cdk8s', 'grafana-schema');

/** The schemas the tests validate against: the dashboard, and the options of each panel plugin the dashboards use. */
export interface GrafanaSchemas {
  /** `Dashboard` of the dashboard kind. */
  readonly dashboard: object;
  /** `{ options, fieldConfig }` of a `timeseries` panel: its `Options` and its `FieldConfig` (`fieldConfig.defaults.custom`). */
  readonly timeseries: object;
  /** `{ options }` of a `stat` panel. */
  readonly stat: object;
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [ROOT] }));
}

function version(name: string): string {
  return JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')).version;
}

/** Path of the cached schema for the installed package versions. */
export function schemaCachePath(): string {
  const key = createHash('sha256')
    .update(
      `@grafana/schema@${version('@grafana/schema')} ts-json-schema-generator@${version('ts-json-schema-generator')} v1`,
    )
    .digest('hex')
    .slice(0, 16);
  return path.join(CACHE_DIR, `dashboard-${key}.json`);
}

/** Grafana's schemas as JSON Schemas (draft-07), from the cache or freshly derived. */
export function grafanaSchemas(): GrafanaSchemas {
  const cached = schemaCachePath();
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8'));

  const types = path.join(packageDir('@grafana/schema'), 'dist', 'types', 'raw');
  const work = mkdtempSync(path.join(os.tmpdir(), 'merlai-grafana-schema-'));
  try {
    const entry = path.join(work, 'schemas.ts');
    const from = (p: string) => JSON.stringify(path.join(types, p));
    writeFileSync(
      entry,
      [
        `export type { Dashboard } from ${from('dashboard/x/types.gen')};`,
        `import type { Options as TimeSeriesOptions, FieldConfig as TimeSeriesFieldConfig } from ${from('composable/timeseries/panelcfg/x/types.gen')};`,
        `import type { Options as StatOptions } from ${from('composable/stat/panelcfg/x/types.gen')};`,
        'export interface TimeSeriesPanel { options: TimeSeriesOptions; fieldConfig: { defaults: { custom: TimeSeriesFieldConfig } } }',
        'export interface StatPanel { options: StatOptions }',
        '',
      ].join('\n'),
    );
    const tsj = require('ts-json-schema-generator');
    const config = {
      path: entry,
      skipTypeCheck: true,
      expose: 'all',
      topRef: true,
      additionalProperties: false,
    };
    // One program, three schemas: the panel plugins' `Options` and `FieldConfig` would clash with
    // the dashboard's own `FieldConfig` in a single schema.
    const program = tsj.createProgram(config);
    const generator = new tsj.SchemaGenerator(
      program,
      tsj.createParser(program, config),
      tsj.createFormatter(config),
      config,
    );
    const schemas: GrafanaSchemas = {
      dashboard: generator.createSchema('Dashboard'),
      timeseries: generator.createSchema('TimeSeriesPanel'),
      stat: generator.createSchema('StatPanel'),
    };
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(schemas));
    renameSync(tmp, cached);
    return schemas;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const started = Date.now();
  grafanaSchemas();
  console.log(
    `Grafana dashboard schemas: ${schemaCachePath()} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
