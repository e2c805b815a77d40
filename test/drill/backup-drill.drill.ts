import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AvailabilityLevel,
  BACKUP_MOUNT,
  BACKUP_NAME,
  LEVEL_PROFILES,
  LOCAL_CACHE_DUMPS,
  RESTORE_NAME,
} from '../../lib';
import { exampleObjectStore } from '../../main';
import { containerEnv, cronJobSteps, distObjects } from '../support/jobs';
import { MOTO_SERVER, type S3Server, startS3 } from '../support/s3';
import { freePort, PG_BIN, type PostgresServer, startPostgres } from '../support/servers';
import { type KubeObject, LEVELS, synthLevel } from '../support/synth';
import { haveTool } from '../support/tools';

// The restore drill (scripts/ci/backup-drill.sh; not part of `npm test`). For every level: the
// backup CronJob's containers, exactly as synthesized (dist/ for Levels 2 and 3, Level 1 with an
// object store), run in order against a real PostgreSQL 15 and a real S3-compatible server (moto,
// signatures checked); then the disaster — the database AND the backup volume are gone — and the
// restore Job's containers, which fetch the dump from the object store only. Row counts, checksums
// and sequences must come back. Each container's script runs under the host's /bin/sh (dash) with
// the host's curl (Debian 7.88: --aws-sigv4) and PostgreSQL 15 client, and the environment its
// YAML gives it: only S3_ENDPOINT is pointed from the example target to the local server.
//
// MERLAI_DRILL_ROWS sets the size (default 100 000 generation rows, about 60 MB); the bench run
// (scripts/ci/backup-drill.sh --bench) uses 1 GB. MERLAI_DRILL_REPORT appends timings as JSON lines.

const ROWS = Number(process.env.MERLAI_DRILL_ROWS ?? 100_000);
const REPORT = process.env.MERLAI_DRILL_REPORT;
const ONLY = process.env.MERLAI_DRILL_LEVELS?.split(',');
jest.setTimeout(Math.max(600_000, ROWS * 2));

const needed =
  haveTool(path.join(PG_BIN, 'pg_dump'), ['--version'], 'apt-get install postgresql-15') &&
  haveTool(MOTO_SERVER, ['--help'], "pip install 'moto[server]' (scripts/ci/backup-drill.sh does)") &&
  haveTool('curl', ['--version'], 'apt-get install curl');
const run = needed ? describe : describe.skip;
const APP_PASSWORD = 'drill-password';
const BUCKET = 'merlai-backups';
const DUMP = /^merlai-\d{8}T\d{6}Z\.dump$/;

const SEED = (rows: number) => `
SET ROLE merlai;
CREATE TABLE tracks (
  id serial PRIMARY KEY,
  title text NOT NULL,
  duration_ms integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT '2026-01-01 00:00:00+00'
);
CREATE TABLE generations (
  id bigserial PRIMARY KEY,
  track_id integer NOT NULL REFERENCES tracks (id),
  prompt text,
  params jsonb
);
CREATE INDEX generations_track_id ON generations (track_id);
INSERT INTO tracks (title, duration_ms)
  SELECT 'track ' || g || E' \\u266a ''quoted'' \\\\ tab\\t', g * 1000 FROM generate_series(1, 1000) g;
INSERT INTO generations (track_id, prompt, params)
  SELECT 1 + g % 1000,
         CASE WHEN g % 7 = 0 THEN NULL ELSE E'line one\\nline two ' || g || ' ' ||
           md5(g::text) || md5((g * 3)::text) || md5((g * 5)::text) || md5((g * 7)::text) ||
           md5((g * 11)::text) || md5((g * 13)::text) || md5((g * 17)::text) || md5((g * 19)::text) END,
         jsonb_build_object('tempo', g, 'seed', md5((g * 23)::text), 'tags', jsonb_build_array('ambient', g % 3))
  FROM generate_series(1, ${rows}) g;
-- Sequences ahead of the rows, as deletes leave them.
DELETE FROM generations WHERE id % 10 = 0;
SELECT setval('tracks_id_seq', 5000);
`;

/** Row counts, a checksum of every row (a hash of per-row hashes) and the sequences' positions. */
const FINGERPRINT = `
SELECT string_agg(x, ' ' ORDER BY x) FROM (
  SELECT 'tracks=' || count(*) || '/' || md5(coalesce(string_agg(md5(t::text), '' ORDER BY id), '')) FROM tracks t
  UNION ALL
  SELECT 'generations=' || count(*) || '/' || md5(coalesce(string_agg(md5(g::text), '' ORDER BY id), '')) FROM generations g
  UNION ALL SELECT 'tracks_id_seq=' || last_value FROM tracks_id_seq
  UNION ALL SELECT 'generations_id_seq=' || last_value FROM generations_id_seq
  UNION ALL SELECT 'index=' || count(*) FROM pg_indexes WHERE indexname = 'generations_track_id'
) s(x)`;

/** The level's objects as shipped: dist/ for Levels 2 and 3; Level 1 ships none, so with an object store. */
function levelObjects(level: AvailabilityLevel): KubeObject[] {
  return level === AvailabilityLevel.DEVELOPMENT
    ? synthLevel(level, { datastores: { objectStore: exampleObjectStore(level) } })
    : distObjects(level);
}

run('restore drill: dump, upload, lose everything in the cluster, restore from the object store', () => {
  let pg: PostgresServer;
  let s3: S3Server;
  let secrets: Record<string, Record<string, string>>;
  let before: string;
  let databaseBytes: number;

  beforeAll(async () => {
    [pg, s3] = await Promise.all([
      freePort().then((port) => startPostgres(port, { durable: true })),
      freePort().then((port) => startS3(port, BUCKET)),
    ]);
    pg.sql('postgres', `CREATE ROLE merlai LOGIN PASSWORD '${APP_PASSWORD}'`);
    pg.sql('postgres', 'CREATE DATABASE merlai OWNER merlai');
    pg.sql('merlai', SEED(ROWS));
    pg.sql('merlai', 'VACUUM ANALYZE');
    before = pg.sql('merlai', FINGERPRINT);
    databaseBytes = Number(pg.sql('merlai', "SELECT pg_database_size('merlai')"));
    const uri = pg.uri('merlai', APP_PASSWORD, 'merlai');
    secrets = {
      'merlai-postgres-dev-credentials': { uri },
      'merlai-postgres-app': { uri },
      'merlai-backup-s3': { ACCESS_KEY_ID: s3.accessKeyId, ACCESS_SECRET_KEY: s3.secretAccessKey },
    };
  });
  afterAll(() => {
    pg?.stop();
    s3?.stop();
  });

  /** Runs a CronJob's containers in order (init containers first), each as its YAML says. */
  function runJob(
    objects: KubeObject[],
    cronJob: string,
    volume: string,
    extraEnv: Record<string, string> = {},
  ): { status: number; stdout: string; stderr: string; seconds: number } {
    let stdout = '';
    let stderr = '';
    const start = process.hrtime.bigint();
    for (const container of cronJobSteps(objects, cronJob)) {
      expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
      const env = containerEnv(container, secrets, { [BACKUP_MOUNT]: volume });
      if (env.S3_ENDPOINT !== undefined) env.S3_ENDPOINT = s3.endpoint;
      const result = spawnSync(container.command[0], container.command.slice(1), {
        env: { ...env, ...extraEnv, PATH: `${PG_BIN}:/usr/bin:/bin` },
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      });
      stdout += result.stdout;
      stderr += result.stderr;
      if (result.status !== 0) {
        return { status: result.status ?? -1, stdout, stderr, seconds: elapsed(start) };
      }
    }
    return { status: 0, stdout, stderr, seconds: elapsed(start) };
  }

  describe.each(LEVELS.filter((l) => !ONLY || ONLY.includes(l)))('%s', (level) => {
    const objects = levelObjects(level);
    const profile = LEVEL_PROFILES[level];
    const upload = cronJobSteps(objects, BACKUP_NAME).find((c) => c.name === 'upload');
    const prefix = upload?.env.find((e: KubeObject) => e.name === 'S3_PREFIX')?.value as string;

    test('the shipped backup uploads to the object store and the restore reads from it', () => {
      expect(cronJobSteps(objects, BACKUP_NAME).map((c) => c.name)).toEqual(['dump', 'upload']);
      expect(cronJobSteps(objects, RESTORE_NAME).map((c) => c.name)).toEqual(['download', 'restore']);
      expect(prefix).toBe(`merlai/${profile.environment}/dumps`);
    });

    test('dump and upload, lose the database and the backup volume, restore from the object store: every row, checksum and sequence comes back', () => {
      const volume = mkdtempSync(path.join(os.tmpdir(), 'merlai-drill-volume-'));
      try {
        const backup = runJob(objects, BACKUP_NAME, volume);
        expect(backup.stderr).toBe('');
        expect(backup.status).toBe(0);
        const local = readdirSync(volume).filter((f) => DUMP.test(f));
        expect(local).toHaveLength(1);
        const dumpBytes = statSync(path.join(volume, local[0])).size;
        expect(backup.stdout).toContain(`uploaded ${local[0]}`);
        expect(s3.list(`${prefix}/`)).toContainEqual({ key: `${prefix}/${local[0]}`, size: dumpBytes });

        // The disaster: the namespace is gone with its volume; a new cluster has an empty database.
        rmSync(volume, { recursive: true, force: true });
        pg.sql('postgres', 'DROP DATABASE merlai WITH (FORCE)');
        pg.sql('postgres', 'CREATE DATABASE merlai OWNER merlai');
        expect(pg.sql('merlai', "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).toBe('0');

        const fresh = mkdtempSync(path.join(os.tmpdir(), 'merlai-drill-volume-'));
        try {
          const restore = runJob(objects, RESTORE_NAME, fresh);
          expect(restore.stderr).toBe('');
          expect(restore.status).toBe(0);
          expect(restore.stdout).toContain(`downloaded ${prefix}/${local[0]}`);
          expect(restore.stdout).toContain(`restored ${fresh}/.restore/${local[0]}`);
          expect(pg.sql('merlai', FINGERPRINT)).toBe(before);
          const figures = {
            level,
            rows: ROWS,
            databaseBytes,
            dumpBytes,
            backupSeconds: backup.seconds,
            restoreSeconds: restore.seconds,
          };
          console.log(`drill ${JSON.stringify(figures)}`);
          if (REPORT) appendFileSync(REPORT, `${JSON.stringify(figures)}\n`);
        } finally {
          rmSync(fresh, { recursive: true, force: true });
        }
      } finally {
        rmSync(volume, { recursive: true, force: true });
      }
    });

    test(`retention: the object store keeps the newest ${profile.datastores.backupRetention} dumps, the volume ${LOCAL_CACHE_DUMPS}; other keys stay`, () => {
      const retention = profile.datastores.backupRetention;
      const volume = mkdtempSync(path.join(os.tmpdir(), 'merlai-drill-volume-'));
      try {
        const older = Array.from(
          { length: retention + 2 },
          (_, i) => `merlai-2020${String(i + 1).padStart(4, '0')}T000000Z.dump`,
        );
        for (const f of older) s3.put(`${prefix}/${f}`, 'an older dump');
        s3.put(`${prefix}/README.txt`, 'not a dump');
        const dumpsIn = () =>
          s3
            .list(`${prefix}/`)
            .map((o) => o.key.slice(prefix.length + 1))
            .filter((k) => DUMP.test(k))
            .sort();
        const present = dumpsIn();
        const backup = runJob(objects, BACKUP_NAME, volume);
        expect(backup.stderr).toBe('');
        expect(backup.status).toBe(0);
        const newest = readdirSync(volume).filter((f) => DUMP.test(f))[0];
        expect(present).not.toContain(newest);
        expect(dumpsIn()).toEqual([...present, newest].sort().slice(-retention));
        expect(backup.stdout).toMatch(/removed .*merlai-20200001T000000Z\.dump from the object store/);
        expect(s3.list(`${prefix}/README.txt`)).toHaveLength(1);
        expect(readdirSync(volume).filter((f) => DUMP.test(f)).length).toBeLessThanOrEqual(LOCAL_CACHE_DUMPS);
      } finally {
        rmSync(volume, { recursive: true, force: true });
      }
    });
  });

  test.each([AvailabilityLevel.STAGING, AvailabilityLevel.PRODUCTION])(
    "%s: dist/'s archive_timeout is a setting PostgreSQL 15 accepts, and it means what the README says",
    (level) => {
      const cluster = distObjects(level).find((o) => o.kind === 'Cluster');
      const timeout = cluster?.spec.postgresql.parameters.archive_timeout as string;
      pg.sql('postgres', `ALTER SYSTEM SET archive_timeout = '${timeout}'`);
      pg.sql('postgres', 'SELECT pg_reload_conf()');
      const seconds = pg.sql('postgres', "SELECT setting FROM pg_settings WHERE name = 'archive_timeout'");
      expect(Number(seconds)).toBe(level === AvailabilityLevel.PRODUCTION ? 60 : 300);
      pg.sql('postgres', 'ALTER SYSTEM RESET archive_timeout');
      pg.sql('postgres', 'SELECT pg_reload_conf()');
    },
  );

  describe('failures the drill must catch', () => {
    const objects = distObjects(AvailabilityLevel.PRODUCTION);

    test('a wrong secret key: the upload is refused (signature checked), the Job fails', () => {
      const volume = mkdtempSync(path.join(os.tmpdir(), 'merlai-drill-volume-'));
      try {
        const result = runJob(objects, BACKUP_NAME, volume, { AWS_SECRET_ACCESS_KEY: 'not-the-key' });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/403/);
      } finally {
        rmSync(volume, { recursive: true, force: true });
      }
    });

    test('a dump the object store does not hold: the restore fails and leaves the database as it was', () => {
      const volume = mkdtempSync(path.join(os.tmpdir(), 'merlai-drill-volume-'));
      try {
        const result = runJob(objects, RESTORE_NAME, volume, {
          RESTORE_FILE: 'merlai-20990101T000000Z.dump',
        });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/404/);
        const bad = runJob(objects, RESTORE_NAME, volume, { RESTORE_FILE: '../../etc/passwd' });
        expect(bad.status).toBe(1);
        expect(bad.stderr).toMatch(/no dump '..\/..\/etc\/passwd'/);
        expect(pg.sql('merlai', FINGERPRINT)).toBe(before);
      } finally {
        rmSync(volume, { recursive: true, force: true });
      }
    });

    test('an empty object store: the restore finds no dump and fails', () => {
      const volume = mkdtempSync(path.join(os.tmpdir(), 'merlai-drill-volume-'));
      try {
        const result = runJob(objects, RESTORE_NAME, volume, { S3_PREFIX: 'nothing/here' });
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/no dump '' under/);
      } finally {
        rmSync(volume, { recursive: true, force: true });
      }
    });
  });
});

function elapsed(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e7) / 100;
}
