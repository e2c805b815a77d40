import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  AvailabilityLevel,
  BACKUP_NAME,
  BARMAN_CLOUD_PLUGIN,
  POSTGRES_NAME,
  POSTGRES_OBJECT_STORE_NAME,
} from '../lib';
import { CRDS_DIR, crdErrors } from './support/crd-schema';
import { cronJobStep, distObjects } from './support/jobs';
import { find, type KubeObject } from './support/synth';

// Point-in-time recovery as dist/ configures it, read against what CloudNativePG and its Barman
// Cloud plugin expect: the CRDs in crds/ and the operator's documented fields
// (cloudnative-pg.io/documentation/current/wal_archiving: one plugin with `isWALArchiver: true`
// in `spec.plugins`; the in-tree `spec.backup.barmanObjectStore` is deprecated and cannot be
// combined with it; `archive_timeout` (CloudNativePG's default 5min) bounds the recovery point of
// a quiet database). The drill (test/drill/) runs the dumps for real.

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

/** PostgreSQL's time units for `archive_timeout` (an integer with a unit; seconds when bare). */
function postgresSeconds(value: string): number {
  const m = /^(\d+)\s*(ms|s|min|h|d)?$/.exec(value);
  if (!m) throw new Error(`not a PostgreSQL duration: ${value}`);
  const factor = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[m[2] ?? 's'] as number;
  return Number(m[1]) * factor;
}

const crd = (file: string) => parseYaml(readFileSync(path.join(CRDS_DIR, file), 'utf8'));

/**
 * Per level, as README states it ("Backup and restore", its recovery table and "Datastores"):
 * retentionPolicy 14d / 30d, archive_timeout 5min / 1min, WAL-age alert 15 / 10 min, dumps and
 * base backups daily 03:00 UTC keeping 7 / every 6 hours keeping 28. Literals, never the level table.
 */
const EXPECTED = {
  [STAGING]: {
    retention: '14d',
    archiveTimeout: '5min',
    walAlertMinutes: 15,
    schedule: '0 3 * * *',
    dumps: 7,
  },
  [PRODUCTION]: {
    retention: '30d',
    archiveTimeout: '1min',
    walAlertMinutes: 10,
    schedule: '0 */6 * * *',
    dumps: 28,
  },
} as const;

describe.each([STAGING, PRODUCTION] as const)('WAL archiving in dist/ at %s', (level) => {
  const objects = distObjects(level);
  const expected = EXPECTED[level];
  const cluster = find(objects, 'Cluster', POSTGRES_NAME);
  const store = find(objects, 'ObjectStore', POSTGRES_OBJECT_STORE_NAME);
  const upload = cronJobStep(objects, BACKUP_NAME, 'upload');
  const env = (name: string) => upload.env.find((e: KubeObject) => e.name === name);

  test('exactly one WAL archiver: the Barman Cloud plugin, naming the ObjectStore in dist/', () => {
    const archivers = cluster.spec.plugins.filter((p: KubeObject) => p.isWALArchiver === true);
    expect(archivers).toEqual([
      {
        name: BARMAN_CLOUD_PLUGIN,
        isWALArchiver: true,
        parameters: { barmanObjectName: store.metadata.name },
      },
    ]);
    expect(store.metadata.namespace).toBe(cluster.metadata.namespace);
    // The CRD: isWALArchiver "cannot be enabled if the .spec.backup.barmanObjectStore configuration is present".
    expect(cluster.spec.backup?.barmanObjectStore).toBeUndefined();
    expect(crdErrors(cluster)).toEqual([]);
    expect(crdErrors(store)).toEqual([]);
  });

  test("the WAL and base backups go to the dumps' bucket and credentials, under their own folder", () => {
    const c = store.spec.configuration;
    const prefix = env('S3_PREFIX').value.replace(/\/dumps$/, '');
    expect(c.destinationPath).toBe(`s3://${env('S3_BUCKET').value}/${prefix}/cnpg`);
    expect(c.endpointURL).toBe(env('S3_ENDPOINT').value);
    expect(c.s3Credentials).toEqual({
      accessKeyId: env('AWS_ACCESS_KEY_ID').valueFrom.secretKeyRef,
      secretAccessKey: env('AWS_SECRET_ACCESS_KEY').valueFrom.secretKeyRef,
    });
    expect(c.wal.compression).toBe('gzip');
  });

  test(`retention ${expected.retention}: the CRD's pattern, and longer than the dumps' window`, () => {
    const pattern = crd('barmancloud.cnpg.io_objectstores.yaml').spec.versions[0].schema.openAPIV3Schema
      .properties.spec.properties.retentionPolicy.pattern;
    expect(store.spec.retentionPolicy).toMatch(new RegExp(pattern));
    expect(store.spec.retentionPolicy).toBe(expected.retention);
    const days =
      Number(store.spec.retentionPolicy.slice(0, -1)) *
      { d: 1, w: 7, m: 30 }[store.spec.retentionPolicy.slice(-1) as 'd' | 'w' | 'm'];
    const dumpIntervalHours = level === PRODUCTION ? 6 : 24;
    expect(days * 24).toBeGreaterThanOrEqual(expected.dumps * dumpIntervalHours);
  });

  test(`archive_timeout ${expected.archiveTimeout}: a quiet database's WAL is archived at least that often`, () => {
    const timeout = cluster.spec.postgresql.parameters.archive_timeout;
    expect(timeout).toBe(expected.archiveTimeout);
    // At most CloudNativePG's default (5min), and below the WAL-age alert's threshold.
    expect(postgresSeconds(timeout)).toBeLessThanOrEqual(300);
    expect(postgresSeconds(timeout)).toBeLessThan(expected.walAlertMinutes * 60);
  });

  test('base backups: a ScheduledBackup through the plugin, 6-field cron, one right away', () => {
    const scheduled = find(objects, 'ScheduledBackup', POSTGRES_NAME);
    expect(scheduled.spec).toEqual({
      cluster: { name: POSTGRES_NAME },
      schedule: `0 ${expected.schedule}`,
      immediate: true,
      method: 'plugin',
      pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
      backupOwnerReference: 'self',
    });
    expect(scheduled.spec.schedule.split(' ')).toHaveLength(6);
    expect(crdErrors(scheduled)).toEqual([]);
  });
});

test('Level 1: no CloudNativePG, so no WAL archiving (its dumps are the backup)', () => {
  const objects = distObjects(DEVELOPMENT);
  expect(objects.filter((o) => ['Cluster', 'ObjectStore', 'ScheduledBackup'].includes(o.kind))).toEqual([]);
});

// The checks above must be able to fail: the schema rejects what CloudNativePG would.
describe('the ObjectStore schema bites', () => {
  const store = find(distObjects(PRODUCTION), 'ObjectStore', POSTGRES_OBJECT_STORE_NAME);
  test.each<[string, (s: KubeObject) => KubeObject, RegExp]>([
    [
      'a retention in words',
      (s) => ({ ...s, spec: { ...s.spec, retentionPolicy: '30 days' } }),
      /retentionPolicy must match pattern/,
    ],
    [
      'no destination',
      (s) => {
        const { destinationPath: _, ...configuration } = s.spec.configuration;
        return { ...s, spec: { ...s.spec, configuration } };
      },
      /must have required property 'destinationPath'/,
    ],
    [
      'a WAL compression barman-cloud lacks',
      (s) => ({
        ...s,
        spec: { ...s.spec, configuration: { ...s.spec.configuration, wal: { compression: 'zip' } } },
      }),
      /compression must be equal to one of the allowed values/,
    ],
  ])('%s', (_name, broken, message) => {
    expect(crdErrors(broken(store)).join('\n')).toMatch(message);
  });
});
