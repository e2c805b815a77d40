import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AvailabilityLevel, BACKUP_MOUNT, BACKUP_NAME, LEVEL_PROFILES, RESTORE_NAME } from '../lib';
import { containerEnv, cronJobStep, distObjects } from './support/jobs';
import { freePort, PG_BIN, type PostgresServer, startPostgres } from './support/servers';
import { type KubeObject, LEVELS, synthLevel } from './support/synth';
import { haveTool } from './support/tools';

// The backup CronJob's exact command, run against a real PostgreSQL 15 with the environment its
// YAML gives the container: dump, lose the database, restore with the restore Job's exact command.
// The dumps stay on the volume here: Level 1 as dist/ ships it, Levels 2 and 3 with
// `localBackupsOnly`. The copies in an object store (dist/'s Levels 2 and 3) are the restore
// drill's (scripts/ci/backup-drill.sh, test/drill/).
jest.setTimeout(120_000);

const run = haveTool(
  path.join(PG_BIN, 'pg_dump'),
  ['--version'],
  'apt-get install postgresql-15 (see .ci/run)',
)
  ? describe
  : describe.skip;
const APP_PASSWORD = 'test-server-password';
const DUMP = /^merlai-\d{8}T\d{6}Z\.dump$/;

const SEED = `
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
  SELECT 'track ' || g || E' \\u266a ''quoted'' \\\\ tab\\t', g * 1000 FROM generate_series(1, 500) g;
INSERT INTO generations (track_id, prompt, params)
  SELECT 1 + g % 500, CASE WHEN g % 7 = 0 THEN NULL ELSE E'line one\\nline two ' || g END,
         jsonb_build_object('tempo', g, 'tags', jsonb_build_array('ambient', g % 3))
  FROM generate_series(1, 2000) g;
`;

/** Row counts, a checksum of every row, and the sequences' positions. */
const FINGERPRINT = `
SELECT string_agg(x, ' ' ORDER BY x) FROM (
  SELECT 'tracks=' || count(*) || '/' || md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM tracks t
  UNION ALL
  SELECT 'generations=' || count(*) || '/' || md5(coalesce(string_agg(g::text, '|' ORDER BY id), '')) FROM generations g
  UNION ALL SELECT 'tracks_id_seq=' || last_value FROM tracks_id_seq
  UNION ALL SELECT 'generations_id_seq=' || last_value FROM generations_id_seq
  UNION ALL SELECT 'index=' || count(*) FROM pg_indexes WHERE indexname = 'generations_track_id'
) s(x)`;

run('backup and restore round trip (real PostgreSQL 15)', () => {
  let server: PostgresServer;
  let secrets: Record<string, Record<string, string>>;

  beforeAll(async () => {
    server = startPostgres(await freePort());
    server.sql('postgres', `CREATE ROLE merlai LOGIN PASSWORD '${APP_PASSWORD}'`);
    const uri = server.uri('merlai', APP_PASSWORD, 'merlai');
    // The Secrets the chart's pods read: Level 1's development Secret, CloudNativePG's `-app` Secret.
    secrets = { 'merlai-postgres-dev-credentials': { uri }, 'merlai-postgres-app': { uri } };
    server.sql('postgres', 'CREATE DATABASE merlai OWNER merlai');
    server.sql('merlai', SEED);
  });
  afterAll(() => server?.stop());

  const charts = new Map<AvailabilityLevel, KubeObject[]>();
  /** Runs a CronJob's container command exactly as written, with its YAML environment. */
  function runJob(
    level: AvailabilityLevel,
    cronJob: string,
    backups: string,
    extraEnv: Record<string, string> = {},
  ) {
    if (!charts.has(level)) {
      charts.set(
        level,
        level === AvailabilityLevel.DEVELOPMENT
          ? distObjects(level)
          : synthLevel(level, { datastores: { localBackupsOnly: true } }),
      );
    }
    const container = cronJobStep(charts.get(level)!, cronJob, cronJob === BACKUP_NAME ? 'dump' : 'restore');
    expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const env = {
      ...containerEnv(container, secrets, { [BACKUP_MOUNT]: backups }),
      ...extraEnv,
      // The image has the PostgreSQL 15 client first on its PATH; so does the test.
      PATH: `${PG_BIN}:/usr/bin:/bin`,
    };
    return spawnSync(container.command[0], container.command.slice(1), { env, encoding: 'utf8' });
  }

  describe.each(LEVELS)('%s', (level) => {
    const retention = LEVEL_PROFILES[level].datastores.backupRetention;
    let backups: string;
    beforeEach(() => {
      backups = mkdtempSync(path.join(os.tmpdir(), 'merlai-backups-'));
    });
    afterEach(() => rmSync(backups, { recursive: true, force: true }));

    test('dump, drop the database, restore: every row, checksum and sequence comes back', () => {
      const before = server.sql('merlai', FINGERPRINT);
      expect(before).toMatch(/generations=2000\/[0-9a-f]{32}/);
      expect(before).toMatch(/tracks=500\/[0-9a-f]{32}/);

      const backup = runJob(level, BACKUP_NAME, backups);
      expect(backup.stderr).toBe('');
      expect(backup.status).toBe(0);
      const dumps = readdirSync(backups).filter((f) => DUMP.test(f));
      expect(dumps).toHaveLength(1);
      expect(readFileSync(path.join(backups, dumps[0])).subarray(0, 5).toString()).toBe('PGDMP');

      // The disaster: the database is gone; the platform recreates it empty (as CloudNativePG's
      // bootstrap would), then the restore Job runs.
      server.sql('postgres', 'DROP DATABASE merlai WITH (FORCE)');
      server.sql('postgres', 'CREATE DATABASE merlai OWNER merlai');
      expect(server.sql('merlai', "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).toBe('0');

      const restore = runJob(level, RESTORE_NAME, backups);
      expect(restore.stderr).toBe('');
      expect(restore.status).toBe(0);
      expect(restore.stdout).toContain(dumps[0]);
      expect(server.sql('merlai', FINGERPRINT)).toBe(before);
    });

    test(`retention: keeps the newest ${retention} dumps, deletes older ones, leaves other files alone`, () => {
      const older = Array.from(
        { length: retention + 2 },
        (_, i) => `merlai-2020${String(i + 1).padStart(4, '0')}T000000Z.dump`,
      );
      for (const f of older) writeFileSync(path.join(backups, f), 'an older dump');
      writeFileSync(path.join(backups, 'README.txt'), 'not a dump');

      const backup = runJob(level, BACKUP_NAME, backups);
      expect(backup.status).toBe(0);
      const kept = readdirSync(backups)
        .filter((f) => DUMP.test(f))
        .sort();
      expect(kept).toHaveLength(retention);
      const newest = kept.at(-1);
      expect(newest).not.toMatch(/^merlai-2020/);
      expect(kept).toEqual([...older.slice(older.length - (retention - 1)), newest]);
      expect(readdirSync(backups)).toContain('README.txt');
    });
  });

  test('a failed dump (wrong password) exits non-zero and leaves neither a dump nor a partial file', () => {
    const backups = mkdtempSync(path.join(os.tmpdir(), 'merlai-backups-'));
    try {
      const wrong = server.uri('merlai', 'not-the-password', 'merlai');
      const result = runJob(AvailabilityLevel.PRODUCTION, BACKUP_NAME, backups, { DATABASE_URL: wrong });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/password authentication failed/);
      expect(readdirSync(backups)).toEqual([]);
    } finally {
      rmSync(backups, { recursive: true, force: true });
    }
  });

  test('restore refuses to run without a dump, and leaves the database untouched', () => {
    const backups = mkdtempSync(path.join(os.tmpdir(), 'merlai-backups-'));
    try {
      const before = server.sql('merlai', FINGERPRINT);
      const result = runJob(AvailabilityLevel.PRODUCTION, RESTORE_NAME, backups);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/no dump/);
      const named = runJob(AvailabilityLevel.PRODUCTION, RESTORE_NAME, backups, {
        RESTORE_FILE: 'merlai-20990101T000000Z.dump',
      });
      expect(named.status).toBe(1);
      expect(server.sql('merlai', FINGERPRINT)).toBe(before);
    } finally {
      rmSync(backups, { recursive: true, force: true });
    }
  });

  test('the client on the PATH is PostgreSQL 15, like the pinned image', () => {
    expect(execFileSync(path.join(PG_BIN, 'pg_dump'), ['--version'], { encoding: 'utf8' })).toMatch(
      /\) 15\./,
    );
  });
});
