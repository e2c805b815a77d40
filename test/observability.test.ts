import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import {
  AvailabilityLevel,
  DEFAULT_PROMETHEUS_SELECTOR_LABELS,
  LEVEL_PROFILES,
  MerlaiApi,
  MerlaiObservability,
  type MerlaiObservabilityOptions,
  monthlyErrorBudgetMinutes,
} from '../lib';
import { schemaErrors } from './support/k8s-schema';
import { alertRules, ruleFile } from './support/promtool';
import { find, type KubeObject, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;
const ROOT = path.resolve(__dirname, '..');

/**
 * Each monitored level's availability target, from the guide (section 可用性要件別設定: Level 2
 * ステージング 99.5 %, Level 3 本番 99.9 %), and its error budget over a 30-day month
 * (43 200 minutes): 0.5 % is 216 min, 0.1 % is 43.2 min. The latency threshold is README's level
 * table ("slow: over 10 s", "over 5 s"). Literals: never the level table or its functions.
 */
const EXPECTED = {
  [STAGING]: { target: '0.995', budgetMinutes: '216', latencySeconds: 10 },
  [PRODUCTION]: { target: '0.999', budgetMinutes: '43.2', latencySeconds: 5 },
} as const;

function ofKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

function exprs(objects: KubeObject[]): string {
  return ofKind(objects, 'PrometheusRule')
    .flatMap((o) => o.spec.groups.flatMap((g: KubeObject) => g.rules.map((r: KubeObject) => r.expr)))
    .join('\n');
}

/** An API with an Ingress in a chart of its own, and the observability construct over it. */
function standalone(options: MerlaiObservabilityOptions = {}, ingress: boolean | string = true) {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'team-a', disableResourceNameHashes: true });
  const className = typeof ingress === 'string' ? ingress : undefined;
  const api = new MerlaiApi(chart, 'api', {
    level: PRODUCTION,
    storageClassName: 'cephfs',
    ingress: ingress ? { host: 'music.example.com', className, tlsSecretName: 'music-tls' } : undefined,
  });
  const build = () => new MerlaiObservability(chart, 'obs', { api, ...options });
  return { chart, api, build };
}

describe('level 1 (development): no Prometheus', () => {
  const objects = synthLevel(DEVELOPMENT);

  test('level 1 has monitoring off in the level table: no PrometheusRule, no ServiceMonitor', () => {
    expect(LEVEL_PROFILES[DEVELOPMENT].monitoring).toBe(false);
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    expect(ofKind(objects, 'ServiceMonitor')).toEqual([]);
  });

  test('synthesizing level 1 never loads the prometheus-operator bindings', () => {
    const script = `
      const { Testing } = require('cdk8s');
      const { Level1DevChart } = require('./lib');
      Testing.synth(new Level1DevChart(Testing.app(), 'level1-dev'));
      const ours = (f) => f.startsWith(require('node:path').join(process.cwd(), 'imports/'));
      const loaded = Object.keys(require.cache).filter(ours);
      const { Level3ProductionChart } = require('./lib');
      Testing.synth(
        new Level3ProductionChart(Testing.app(), 'level3-production', {
          ...require('./main').LEVEL3_CLUSTER_FACTS,
          datastores: { localBackupsOnly: true },
        }),
      );
      const after = Object.keys(require.cache).filter(ours);
      console.log(JSON.stringify({ loaded, after: after.map((f) => f.split('/imports/')[1]) }));`;
    const run = spawnSync(process.execPath, ['-r', 'esbuild-register', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const { loaded, after } = JSON.parse(run.stdout);
    expect(loaded).toEqual([]);
    // The control: level 3 does load them, so the check above can see a load.
    expect(after).toContain('prometheus-rule-monitoring.coreos.com.ts');
  });
});

describe.each([STAGING, PRODUCTION] as const)('observability at %s', (level) => {
  const expected = EXPECTED[level];
  const objects = synthLevel(level);

  test('PrometheusRules merlai-api-slo and merlai-workload-alerts (and merlai-backup-alerts), valid against the CRD', () => {
    const rules = ofKind(objects, 'PrometheusRule');
    // merlai-backup-alerts: WAL archiving and base backups, with the object store of dist/'s Levels 2 and 3.
    expect(rules.map((o) => o.metadata.name)).toEqual([
      'merlai-api-slo',
      'merlai-workload-alerts',
      'merlai-backup-alerts',
    ]);
    expect(rules.flatMap(schemaErrors)).toEqual([]);
  });

  test(`monthly error budget annotation: ${expected.budgetMinutes} minutes at ${expected.target}`, () => {
    const slo = find(objects, 'PrometheusRule', 'merlai-api-slo');
    expect(slo.metadata.annotations['merlai.io/monthly-error-budget-minutes']).toBe(expected.budgetMinutes);
    expect(slo.metadata.annotations['merlai.io/availability-target']).toBe(expected.target);
    const availability = alertRules(ruleFile(objects, 'merlai-api-slo')).filter(
      (r) => r.labels?.slo === 'availability',
    );
    expect(availability.map((r) => r.alert).sort()).toEqual([
      'MerlaiApiAvailabilityBudgetBurnPage',
      'MerlaiApiAvailabilityBudgetBurnTicket',
    ]);
    for (const r of availability) {
      expect(r.annotations?.monthly_error_budget_minutes).toBe(expected.budgetMinutes);
    }
  });

  test('SLIs read the Merlai Ingress by exported_namespace (the ingress-nginx chart ServiceMonitor), ingress merlai-api', () => {
    const all = exprs(objects);
    expect(all).toContain(
      'nginx_ingress_controller_requests{exported_namespace="merlai",ingress="merlai-api",status=~"5.."}',
    );
    expect(all).not.toMatch(/nginx_ingress_controller_[a-z_]+\{namespace=/);
  });

  test(`the latency bucket matches both spellings of le=${expected.latencySeconds} (Prometheus 3 stores "${expected.latencySeconds}.0")`, () => {
    const all = exprs(objects);
    const t = expected.latencySeconds;
    expect(all).toContain(
      `nginx_ingress_controller_request_duration_seconds_bucket{exported_namespace="merlai",ingress="merlai-api",le=~"${t}(\\\\.0)?"}`,
    );
    expect(all).not.toContain(`le="${t}"`);
    const matcher = /le=~"([^"]+)"/.exec(all)![1].replace(/\\\\/g, '\\');
    const re = new RegExp(`^(?:${matcher})$`);
    expect([`${t}`, `${t}.0`].filter((v) => re.test(v))).toEqual([`${t}`, `${t}.0`]);
    expect(re.test(`${t}5`) || re.test('2.5') || re.test(`${t}.05`)).toBe(false);
  });

  test("the rules and the datastore PodMonitors carry kube-prometheus-stack's default selector label", () => {
    const selected = [...ofKind(objects, 'PrometheusRule'), ...ofKind(objects, 'PodMonitor')];
    expect(selected.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'PodMonitor/merlai-postgres',
      'PodMonitor/merlai-redis',
      'PrometheusRule/merlai-api-slo',
      'PrometheusRule/merlai-backup-alerts',
      'PrometheusRule/merlai-workload-alerts',
    ]);
    for (const o of selected) expect(o.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(DEFAULT_PROMETHEUS_SELECTOR_LABELS).toEqual({ release: 'kube-prometheus-stack' });
  });

  test('a no-data alert on the SLI series, and datastore alerts on what the PodMonitors scrape', () => {
    const all = alertRules(ruleFile(objects, 'merlai-api-slo')).map((r) => r.alert);
    expect(all).toContain('MerlaiApiSliNoData');
    const data = ruleFile(objects, 'merlai-workload-alerts').groups.find(
      (g) => g.name === 'merlai-datastore-alerts',
    )!;
    expect(data.rules.map((r) => r.alert)).toEqual([
      'MerlaiPostgresDown',
      'MerlaiPostgresReplicationLagging',
      'MerlaiPostgresMetricsAbsent',
      'MerlaiRedisDown',
      'MerlaiRedisMasterLinkDown',
      'MerlaiRedisMetricsAbsent',
    ]);
    const text = data.rules.map((r) => r.expr).join('\n');
    for (const metric of [
      'cnpg_collector_up',
      'cnpg_pg_replication_lag',
      'redis_up',
      'redis_master_link_up',
    ]) {
      expect(text).toContain(metric);
    }
  });

  test('no ServiceMonitor: Merlai serves no /metrics unless metricsPath is given', () => {
    expect(ofKind(objects, 'ServiceMonitor')).toEqual([]);
  });

  test('backup alerts watch CronJob merlai-postgres-backup', () => {
    expect(exprs(objects)).toContain(
      'kube_cronjob_status_last_successful_time{namespace="merlai",cronjob="merlai-postgres-backup"}',
    );
    expect(exprs(objects)).toContain('owner_name="merlai-postgres-backup"');
  });
});

describe('MerlaiObservability options', () => {
  test('metricsPath adds a ServiceMonitor on the API Service port http, valid against the CRD', () => {
    const objects = synthLevel(PRODUCTION, { observability: { metricsPath: '/metrics' } });
    const monitor = find(objects, 'ServiceMonitor', 'merlai-api');
    const service = find(objects, 'Service', 'merlai-api');
    expect(monitor.spec.selector.matchLabels).toMatchObject({ app: 'merlai-api' });
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics' }]);
    expect(service.spec.ports.map((p: KubeObject) => p.name)).toContain('http');
    expect(schemaErrors(monitor)).toEqual([]);
  });

  test('prometheusSelectorLabels label the rules and every monitor for a Prometheus that selects by label', () => {
    const objects = synthLevel(STAGING, {
      observability: { metricsPath: '/metrics', prometheusSelectorLabels: { release: 'monitoring' } },
    });
    const selected = [
      ...ofKind(objects, 'PrometheusRule'),
      ...ofKind(objects, 'ServiceMonitor'),
      ...ofKind(objects, 'PodMonitor'),
    ];
    expect(selected).toHaveLength(6);
    for (const o of selected) expect(o.metadata.labels.release).toBe('monitoring');
    const none = synthLevel(STAGING, { observability: { prometheusSelectorLabels: {} } });
    for (const o of [...ofKind(none, 'PrometheusRule'), ...ofKind(none, 'PodMonitor')]) {
      expect(o.metadata.labels.release).toBeUndefined();
    }
  });

  test("ingressNamespaceLabel: 'namespace' for a scrape that honours the controller's labels", () => {
    const objects = synthLevel(PRODUCTION, { observability: { ingressNamespaceLabel: 'namespace' } });
    const slo = find(objects, 'PrometheusRule', 'merlai-api-slo');
    const recorded = slo.spec.groups[0].rules.map((r: KubeObject) => r.expr).join('\n');
    expect(recorded).toContain('{namespace="merlai",ingress="merlai-api"');
    expect(recorded).not.toContain('exported_namespace');
  });

  test('an ingress-nginx class of another name is accepted when listed in ingressNginxClasses', () => {
    const { chart, build } = standalone({ ingressNginxClasses: ['nginx-internal'] }, 'nginx-internal');
    build();
    expect(exprs(Testing.synth(chart) as KubeObject[])).toContain('nginx_ingress_controller_requests');
  });

  test('latencyThreshold and latencyObjective set the latency SLO', () => {
    const objects = synthLevel(PRODUCTION, {
      observability: { latencyThreshold: Duration.seconds(1), latencyObjective: 0.99 },
    });
    const slo = find(objects, 'PrometheusRule', 'merlai-api-slo');
    expect(exprs(objects)).toContain('le=~"1(\\\\.0)?"');
    expect(slo.metadata.annotations['merlai.io/latency-objective']).toBe('0.99');
    const page = alertRules(ruleFile(objects, 'merlai-api-slo')).find(
      (r) => r.alert === 'MerlaiApiLatencyBudgetBurnPage',
    );
    expect(page?.expr).toContain('> 0.144');
  });

  test('in a chart of its own: rules select the chart namespace; no backup alerts unless a CronJob is named', () => {
    const { chart, build } = standalone();
    build();
    const objects = Testing.synth(chart) as KubeObject[];
    expect(exprs(objects)).toContain('exported_namespace="team-a",ingress="merlai-api"');
    expect(exprs(objects)).not.toContain('merlai-datastore-alerts');
    expect(exprs(objects)).not.toContain('kube_cronjob');
  });
});

describe('MerlaiObservability bad input: the error names the construct path, the prop and the value', () => {
  test.each([
    [
      { latencyThreshold: Duration.seconds(3) },
      "[c/obs] MerlaiObservability: 'latencyThreshold' is '3s'; expected a bound",
    ],
    [
      { latencyObjective: 99.9 },
      "[c/obs] MerlaiObservability: 'latencyObjective' is 99.9; expected a fraction",
    ],
    [
      { ingressNamespaceLabel: 'exported-namespace' },
      "[c/obs] MerlaiObservability: 'ingressNamespaceLabel' is 'exported-namespace'; expected a Prometheus label name",
    ],
    [
      { metricsPath: 'metrics' },
      "[c/obs] MerlaiObservability: 'metricsPath' is 'metrics'; expected an absolute URL path",
    ],
    [
      { backupCronJobName: 'Backup' },
      "[c/obs] MerlaiObservability: 'backupCronJobName' is 'Backup'; expected a DNS-1123 label",
    ],
    [
      { backupMaxAge: Duration.minutes(30) },
      "[c/obs] MerlaiObservability: 'backupMaxAge' is '1800s'; expected at least one hour",
    ],
  ] as [MerlaiObservabilityOptions, string][])('%j', (options, message) => {
    expect(standalone(options).build).toThrow(message);
  });

  test.each(['alb', 'traefik', 'gce'])(
    'an Ingress of class %s (metrics we do not know) fails the synth',
    (cls) => {
      expect(standalone({}, cls).build).toThrow(
        `[c/obs] MerlaiObservability: 'api.ingress.className' is '${cls}'; the SLO rules read ingress-nginx's metrics`,
      );
    },
  );

  test('a selector label that is not a Kubernetes label fails the synth', () => {
    expect(standalone({ prometheusSelectorLabels: { release: 'not valid' } }).build).toThrow(
      "[c/obs] MerlaiObservability: 'prometheusSelectorLabels.release' is 'not valid'; expected a Kubernetes label value",
    );
  });

  test('an API without an Ingress has nothing to measure', () => {
    expect(standalone({}, false).build).toThrow(
      "[c/obs] MerlaiObservability: 'api.ingress' is undefined; the SLOs are measured at the ingress-nginx controller",
    );
  });
});

describe('README', () => {
  test("the level table states each level's monthly error budget: the guide's 99 %, 99.5 %, 99.9 % of 30 days", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| monthly error budget'));
    expect(row).toBeDefined();
    const cells = row!.split('|').slice(2, 5);
    // 1 %, 0.5 % and 0.1 % of 43 200 minutes.
    expect(cells.map((c) => c.trim().split(' (')[0])).toEqual(['432 min', '216 min', '43.2 min']);
  });

  test("monthlyErrorBudgetMinutes gives the same minutes for the guide's targets", () => {
    expect([0.99, 0.995, 0.999].map(monthlyErrorBudgetMinutes)).toEqual([432, 216, 43.2]);
  });
});
