import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../cli/command';
import { readCharts } from '../cli/objects';
import { type ChartSummary, formatSummary, longestCronGapHours, summarize } from '../cli/summary';
import { LEVEL_PROFILES, type LevelProfile, type ResourceProfile } from '../lib/core/levels';
import { parseQuantity } from '../lib/core/validation';
import { PROJECT_ROOT } from './support/shared';

const DIST = readCharts(path.join(PROJECT_ROOT, 'dist'));
const PROFILES = Object.values(LEVEL_PROFILES);

/** A README level-table row: the cells of Levels 1, 2 and 3. */
function readmeRow(title: string): string[] {
  const line = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`| ${title} `));
  if (!line) throw new Error(`no README row '${title}'`);
  return line
    .split('|')
    .slice(2, 5)
    .map((c) => c.trim());
}

const summaries = new Map<number, ChartSummary>(
  PROFILES.map((p) => [p.number, summarize(p.chartId, DIST.get(p.chartId)!)]),
);

function cpu(r: ResourceProfile) {
  return { request: parseQuantity(r.cpuRequest)!, limit: parseQuantity(r.cpuLimit)! };
}
function mem(r: ResourceProfile) {
  return { request: parseQuantity(r.memoryRequest)!, limit: parseQuantity(r.memoryLimit)! };
}

describe.each(PROFILES.map((p) => [p.chartId, p] as [string, LevelProfile]))(
  'summary of %s',
  (_id, profile) => {
    const s = summaries.get(profile.number)!;
    const col = profile.number - 1;

    test('availability target and monthly error budget are the README table', () => {
      expect(`${Math.round(s.availabilityTarget! * 1000) / 10} %`).toBe(
        readmeRow('availability target')[col],
      );
      expect(readmeRow('monthly error budget (30 days)')[col]).toMatch(
        new RegExp(`^${s.monthlyErrorBudgetMinutes} min`),
      );
    });

    test('API pods are the level table (replicas, or the autoscaler bounds)', () => {
      const api = s.workloads.find((w) => w.name === 'Deployment/merlai-api')!;
      const min = profile.autoscaling?.minReplicas ?? profile.replicas;
      const max = profile.autoscaling?.maxReplicas ?? profile.replicas;
      expect([api.min, api.max]).toEqual([min, max]);
      const cell = readmeRow('API pods')[col];
      expect(cell).toEqual(
        profile.autoscaling ? expect.stringContaining(`min ${min}, max ${max}`) : String(min),
      );
    });

    test('CPU and memory at minimum and maximum scale add up the level table', () => {
      const d = profile.datastores;
      const objects = DIST.get(profile.chartId)!;
      // What the level table has no row for, read from the objects: Redis' exporter and Sentinels, the dump job.
      const replication = objects.find((o) => o.kind === 'RedisReplication');
      const exporter = replication?.spec.redisExporter?.resources;
      const sentinel = replication?.spec.sentinel;
      const dump = objects.find((o) => o.metadata.name === 'merlai-postgres-backup' && o.kind === 'CronJob')!
        .spec.jobTemplate.spec.template.spec.containers[0].resources;
      const q = (v: string | undefined) => (v ? parseQuantity(v)! : 0);

      for (const [key, pick, field] of [
        ['cpuRequest', cpu, 'request'],
        ['cpuLimit', cpu, 'limit'],
        ['memoryRequest', mem, 'request'],
        ['memoryLimit', mem, 'limit'],
      ] as const) {
        const res = field === 'request' ? 'requests' : 'limits';
        const unit = key.startsWith('cpu') ? 'cpu' : 'memory';
        const datastores =
          pick(d.postgresResources)[field] * d.postgresInstances +
          (pick(d.redisResources)[field] + q(exporter?.[res]?.[unit])) * d.redisInstances +
          q(sentinel?.resources?.[res]?.[unit]) * (sentinel ? d.redisSentinels : 0);
        const api = pick(profile.resources)[field];
        const minPods = profile.autoscaling?.minReplicas ?? profile.replicas!;
        const maxPods = profile.autoscaling?.maxReplicas ?? profile.replicas!;
        expect(s.atMin[key]).toBeCloseTo(api * minPods + datastores, 6);
        expect(s.atMax[key]).toBeCloseTo(api * maxPods + datastores + q(dump[res][unit]), 6);
      }
    });

    test('backup schedule and recovery point are the level table', () => {
      expect(s.backups).toEqual([
        {
          name: 'merlai-postgres-backup',
          schedule: profile.datastores.backupSchedule,
          // The backup age alert fires two hours after the interval (levels.ts): the recovery point is the interval.
          recoveryPointHours: profile.datastores.backupMaxAgeHours - 2,
        },
      ]);
    });

    test('the flows are those the network policies allow: ingress to the API, the API to its datastores', () => {
      expect(s.flows).toEqual(
        expect.arrayContaining([
          'ingress-controller -> api:8000/TCP',
          'api -> postgres:5432/TCP',
          'api -> redis:6379/TCP',
          'api -> kube-dns:53/UDP',
          'backup -> postgres:5432/TCP',
        ]),
      );
      // Denied by the policies: nothing reaches the API but the ingress controller, the API reaches nothing else.
      expect(s.flows.filter((f) => / -> api:/.test(f))).toEqual(['ingress-controller -> api:8000/TCP']);
      expect(
        s.flows
          .filter((f) => f.startsWith('api -> '))
          .every((f) => /kube-dns|node-local-dns|postgres|redis/.test(f)),
      ).toBe(true);
      expect(s.flows.some((f) => f.includes('other-team') || f.includes('stray'))).toBe(false);
      expect(s.flows.some((f) => f.startsWith('prometheus -> ')) === profile.monitoring).toBe(true);
    });
  },
);

describe('the summary command', () => {
  test('--level 3 prints one level, with the numbers above', () => {
    let out = '';
    const code = run(['summary', '--level', '3', '--from', 'dist'], {
      cwd: PROJECT_ROOT,
      out: (t) => (out += t),
      err: () => undefined,
    });
    expect(code).toBe(0);
    expect(out).toBe(formatSummary(summaries.get(3)!));
    expect(out).toContain(
      '  Deployment/merlai-api: 3..10 (HPA merlai-api-hpa); requests 250m CPU, 512Mi; limits 500m CPU, 1Gi\n',
    );
    expect(out).toContain('availability target: 99.9 %; monthly error budget (30 days): 43.2 min\n');
    expect(out).toContain(
      'backup merlai-postgres-backup: schedule "0 */6 * * *" UTC; recovery point up to 6 h',
    );
  });
});

describe('cron gaps', () => {
  test.each([
    ['0 3 * * *', 24],
    ['0 */6 * * *', 6],
    ['30 1,13 * * *', 12],
    ['0 2 * * 0', 168],
    ['0 0 1 * *', 31 * 24],
    ['*/15 * * * *', 0.25],
  ])('%s: %d h', (schedule, hours) => {
    expect(longestCronGapHours(schedule)).toBe(hours);
  });
  test('a schedule that never runs has no gap', () => {
    expect(longestCronGapHours('0 0 31 2 *')).toBeUndefined();
  });
});

// Issue 27: a platform team's own chart (MerlaiApi and MerlaiSecurity without a level chart) carries
// no merlai.io/level label; its flows were reported as "(0)" although it had policies.
describe('a chart without the level label', () => {
  const unlabel = (o: any): any => {
    const copy = JSON.parse(JSON.stringify(o));
    const strip = (m: any) => {
      if (m?.labels) delete m.labels['merlai.io/level'];
    };
    strip(copy.metadata);
    strip(copy.spec?.template?.metadata);
    return copy;
  };
  test.each(PROFILES.map((p) => [p.chartId]))(
    '%s: the same flows, the level read from the API',
    (chartId) => {
      const objects = DIST.get(chartId) ?? [];
      const own = summarize(chartId, objects.map(unlabel));
      expect(own.flows.length).toBeGreaterThan(0);
      expect(own.flows).toEqual(summarize(chartId, objects).flows);
      expect(own.flowsNotComputed).toBeUndefined();
    },
  );
  test('policies without a Merlai API: not computed, and said why, never "(0)"', () => {
    const policies = (DIST.get('level2-staging') ?? []).filter((o) => o.kind === 'NetworkPolicy');
    const text = formatSummary(summarize('policies-only', policies));
    expect(text).toContain(`flows the network policies allow: not computed: no Merlai API in the chart`);
    expect(text).toContain(`of ${policies.length} network policies`);
    expect(text).not.toContain('allow (0)');
  });
});
