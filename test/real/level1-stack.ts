/**
 * Level 1 for real: `scripts/container-runtime.sh up` with CONTAINER_RUNTIME=podman on
 * `dist/level1-dev.compose.yaml`, with the images of scripts/images/build.sh. Checks:
 *
 *   1. every service's Compose healthcheck reports healthy;
 *   2. from the API container's network namespace, PostgreSQL and Redis accept the credentials of
 *      the API's DATABASE_URL and REDIS_URL (and refuse a wrong password);
 *   3. /health answers through the published port 8000, and every API log line is JSON;
 *   4. the backup CronJob's shell (Level 1 chart, its pod template run by test/real/pod.ts in the
 *      postgres image on the stack's network) dumps the running database; after the database is
 *      dropped and recreated, the restore CronJob's shell brings every row and sequence back;
 *   5. `down -v` leaves no container, network or volume of the project.
 *
 * Usage: node -r esbuild-register test/real/level1-stack.ts   (needs podman, podman-compose)
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { checkLogs, requests } from './checks';
import { type Obj, PodContainer, podman, sleep } from './pod';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const PROJECT = process.env.STACK_PROJECT ?? 'merlai-l1test';
const BACKUP_VOLUME = `${PROJECT}-backups`;
const t0 = Date.now();
const timings: [string, number][] = [];
let mark = Date.now();
function step(name: string): void {
  timings.push([name, (Date.now() - mark) / 1000]);
  console.error(`[stack] ${name}: ${((Date.now() - mark) / 1000).toFixed(1)} s`);
  mark = Date.now();
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'merlai-l1-data-'));
chownSync(dataDir, 1000, 1000);
const env = { ...process.env, CONTAINER_RUNTIME: 'podman', PROJECT_NAME: PROJECT, MERLAI_DATA_DIR: dataDir };

async function script(...args: string[]): Promise<string> {
  const { stdout, stderr } = await exec(
    'bash',
    [path.join(ROOT, 'scripts', 'container-runtime.sh'), ...args],
    {
      env,
      maxBuffer: 64 * 2 ** 20,
      timeout: 600_000,
    },
  );
  return `${stdout}${stderr}`;
}

async function projectContainers(): Promise<{ name: string; service: string }[]> {
  const out = await podman([
    'ps',
    '-a',
    '--filter',
    `label=io.podman.compose.project=${PROJECT}`,
    '--format',
    'json',
  ]);
  return (JSON.parse(out || '[]') as Obj[]).map((c) => ({
    name: c.Names[0],
    service: c.Labels['com.docker.compose.service'] ?? c.Labels['io.podman.compose.service'],
  }));
}

function fail(message: string): never {
  throw new Error(message);
}

/** Compose healthchecks, run on the Compose interval (podman runs them from systemd timers, absent here). */
async function waitHealthy(names: string[], timeoutSeconds: number): Promise<void> {
  const end = Date.now() + timeoutSeconds * 1000;
  const healthy = new Set<string>();
  while (healthy.size < names.length) {
    for (const n of names) {
      if (healthy.has(n)) continue;
      await exec('podman', ['healthcheck', 'run', n]).catch(() => {});
      const status = (await podman(['inspect', '--format', '{{.State.Health.Status}}', n])).trim();
      if (status === 'healthy') {
        healthy.add(n);
        console.error(`[stack] ${n} healthy after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
    if (healthy.size < names.length) {
      if (Date.now() > end) {
        const missing = names.filter((n) => !healthy.has(n));
        const logs = await Promise.all(
          missing.map((n) =>
            exec('podman', ['logs', '--tail', '20', n]).then((r) => `${n}:\n${r.stdout}${r.stderr}`),
          ),
        );
        fail(`not healthy within ${timeoutSeconds} s: ${missing.join(', ')}\n${logs.join('\n')}`);
      }
      await sleep(5000);
    }
  }
}

const SEED = `
CREATE TABLE tracks (id serial PRIMARY KEY, title text NOT NULL, duration_ms integer NOT NULL);
CREATE TABLE generations (id bigserial PRIMARY KEY, track_id integer NOT NULL REFERENCES tracks (id), prompt text, params jsonb);
CREATE INDEX generations_track_id ON generations (track_id);
INSERT INTO tracks (title, duration_ms) SELECT 'track ' || g || E' \\u266a ''quoted''', g * 1000 FROM generate_series(1, 300) g;
INSERT INTO generations (track_id, prompt, params)
  SELECT 1 + g % 300, CASE WHEN g % 7 = 0 THEN NULL ELSE E'line one\\nline two ' || g END, jsonb_build_object('tempo', g)
  FROM generate_series(1, 1500) g;
`;
const FINGERPRINT = `SELECT string_agg(x, ' ' ORDER BY x) FROM (
  SELECT 'tracks=' || count(*) || '/' || md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM tracks t
  UNION ALL SELECT 'generations=' || count(*) || '/' || md5(coalesce(string_agg(g::text, '|' ORDER BY id), '')) FROM generations g
  UNION ALL SELECT 'tracks_id_seq=' || last_value FROM tracks_id_seq
  UNION ALL SELECT 'generations_id_seq=' || last_value FROM generations_id_seq
  UNION ALL SELECT 'index=' || count(*) FROM pg_indexes WHERE indexname = 'generations_track_id') s(x)`;

async function psql(container: string, db: string, sql: string): Promise<string> {
  const { stdout } = await exec('podman', [
    'exec',
    container,
    'psql',
    '-v',
    'ON_ERROR_STOP=1',
    '-qtA',
    '-U',
    'merlai',
    '-d',
    db,
    '-c',
    sql,
  ]);
  return stdout.trim();
}

function cronJobTemplate(objects: Obj[], name: string): Obj {
  const c = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === name);
  if (!c) fail(`no CronJob ${name} in the Level 1 chart`);
  return structuredClone(c.spec.jobTemplate.spec.template);
}

async function runJob(objects: Obj[], name: string, network: string): Promise<string> {
  const pod = new PodContainer({
    name: `${PROJECT}-${name}`,
    template: cronJobTemplate(objects, name),
    objects,
    network,
    claimVolumes: { 'merlai-postgres-backups': BACKUP_VOLUME },
    log: (l) => console.error(`[${name}] ${l}`),
  });
  try {
    await pod.start();
    const r = await pod.waitExit(300);
    if (r.exitCode !== 0) fail(`${name} exited with ${r.exitCode}:\n${r.output}`);
    return r.output;
  } finally {
    await pod.remove();
    pod.cleanup();
  }
}

async function main(): Promise<void> {
  const objects = parseAllDocuments(readFileSync(path.join(ROOT, 'dist', 'level1-dev.k8s.yaml'), 'utf8')).map(
    (d) => d.toJS(),
  );
  await script('down', '-v').catch(() => {});
  await exec('podman', ['volume', 'rm', '--force', BACKUP_VOLUME]).catch(() => {});
  step('clean start');
  console.error(await script('up'));
  step('up');
  const containers = await projectContainers();
  const byService = Object.fromEntries(containers.map((c) => [c.service, c.name]));
  for (const s of ['merlai-api', 'merlai-postgres', 'merlai-redis'])
    if (!byService[s]) fail(`no container for service ${s}: ${JSON.stringify(containers)}`);
  await waitHealthy(Object.values(byService), 300);
  step('all healthchecks healthy');

  // 2. Credentials, from the API container's own network namespace.
  const api = byService['merlai-api'];
  const apiEnv = Object.fromEntries(
    (await podman(['exec', api, 'env']))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const inApiNet = (image: string, ...cmd: string[]) =>
    exec('podman', [
      'run',
      '--rm',
      '--pull=never',
      '--network',
      `container:${api}`,
      '--user',
      '999:999',
      image,
      ...cmd,
    ]);
  const who = (
    await inApiNet(
      'postgres:15.20-bookworm',
      'psql',
      apiEnv.DATABASE_URL,
      '-tAc',
      "SELECT current_user || '@' || current_database()",
    )
  ).stdout.trim();
  if (who !== 'merlai@merlai') fail(`DATABASE_URL connects as ${who}`);
  const wrongDb = apiEnv.DATABASE_URL.replace(/:[^:@/]+@/, ':wrong-password@');
  const refused = await inApiNet('postgres:15.20-bookworm', 'psql', wrongDb, '-tAc', 'SELECT 1').then(
    () => '',
    (e) => String(e.stderr),
  );
  if (!/password authentication failed/.test(refused))
    fail(`a wrong PostgreSQL password was not refused: ${refused}`);
  const pong = (
    await inApiNet(
      'redis:7.0.15-bookworm',
      'redis-cli',
      '--no-auth-warning',
      '-u',
      apiEnv.REDIS_URL,
      'SET',
      'l1test',
      'ok',
    )
  ).stdout.trim();
  if (pong !== 'OK') fail(`REDIS_URL: SET answered ${pong}`);
  const wrongRedis = apiEnv.REDIS_URL.replace(/:[^:@/]*@/, ':wrong-password@');
  const denied = (
    await inApiNet('redis:7.0.15-bookworm', 'redis-cli', '--no-auth-warning', '-u', wrongRedis, 'PING')
  ).stdout.trim();
  if (!/WRONGPASS|NOAUTH/.test(denied)) fail(`a wrong Redis password was not refused: ${denied}`);
  step(`credentials: PostgreSQL as ${who}, Redis SET OK, wrong passwords refused`);

  // 3. The published port and the logs.
  const health = await fetch('http://127.0.0.1:8000/health', { signal: AbortSignal.timeout(10_000) });
  if (health.status !== 200) fail(`/health on published port 8000: HTTP ${health.status}`);
  const body = (await health.json()) as Obj;
  if (body.status !== 'healthy') fail(`/health: ${JSON.stringify(body)}`);
  const problems = await requests('http://127.0.0.1:8000');
  await sleep(500);
  const { stdout, stderr } = await exec('podman', ['logs', api], { maxBuffer: 64 * 2 ** 20 });
  const lines = `${stdout}${stderr}`.split('\n').filter((l) => l.trim());
  problems.push(...checkLogs(lines));
  if (problems.length) fail(`API through port 8000:\n  ${problems.join('\n  ')}`);
  step(`/health via 127.0.0.1:8000 ${JSON.stringify(body)}; ${lines.length} API log lines, all JSON`);

  // 4. Backup and restore round trip with the CronJobs' own shells.
  const pg = byService['merlai-postgres'];
  await psql(pg, 'merlai', SEED);
  const before = await psql(pg, 'merlai', FINGERPRINT);
  const network = (
    await podman(['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', api])
  )
    .trim()
    .split(' ')[0];
  const dumpOut = await runJob(objects, 'merlai-postgres-backup', network);
  if (!/^wrote \/backups\/merlai-\d{8}T\d{6}Z\.dump \(\d+ bytes\)$/m.test(dumpOut))
    fail(`backup output: ${dumpOut}`);
  await psql(pg, 'postgres', 'DROP DATABASE merlai WITH (FORCE)');
  await psql(pg, 'postgres', 'CREATE DATABASE merlai OWNER merlai');
  const empty = await psql(pg, 'merlai', "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  if (empty !== '0') fail(`recreated database not empty: ${empty} tables`);
  const restoreOut = await runJob(objects, 'merlai-postgres-restore', network);
  const after = await psql(pg, 'merlai', FINGERPRINT);
  if (after !== before) fail(`restore differs:\n  before ${before}\n  after  ${after}\n${restoreOut}`);
  step(`backup CronJob dumped (${dumpOut.trim().split('\n')[0]}), restore CronJob restored: ${after}`);

  // 5. down removes everything.
  console.error(await script('down', '-v'));
  await exec('podman', ['volume', 'rm', '--force', BACKUP_VOLUME]);
  const left = await projectContainers();
  const nets = (await podman(['network', 'ls', '--format', '{{.Name}}']))
    .split('\n')
    .filter((n) => n.startsWith(`${PROJECT}_`));
  const vols = (await podman(['volume', 'ls', '--format', '{{.Name}}']))
    .split('\n')
    .filter((n) => n.startsWith(`${PROJECT}_`));
  if (left.length || nets.length || vols.length)
    fail(`down left containers ${JSON.stringify(left)}, networks ${nets}, volumes ${vols}`);
  step('down -v: no container, network or volume left');
  console.log(`Level 1 stack on podman: PASS in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const [n, s] of timings) console.log(`  ${s.toFixed(1).padStart(6)} s  ${n}`);
}

main()
  .catch(async (e) => {
    console.error(`Level 1 stack on podman: FAIL: ${(e as Error).message}`);
    await script('down', '-v').catch(() => {});
    await exec('podman', ['volume', 'rm', '--force', BACKUP_VOLUME]).catch(() => {});
    process.exitCode = 1;
  })
  .finally(() => rmSync(dataDir, { recursive: true, force: true }));
