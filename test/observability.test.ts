import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import {
  AvailabilityLevel,
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

function ofKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

function exprs(objects: KubeObject[]): string {
  return ofKind(objects, 'PrometheusRule')
    .flatMap((o) => o.spec.groups.flatMap((g: KubeObject) => g.rules.map((r: KubeObject) => r.expr)))
    .join('\n');
}

/** An API with an Ingress in a chart of its own, and the observability construct over it. */
function standalone(options: MerlaiObservabilityOptions = {}, ingress = true) {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'team-a', disableResourceNameHashes: true });
  const api = new MerlaiApi(chart, 'api', {
    level: PRODUCTION,
    ingress: ingress ? { host: 'music.example.com' } : undefined,
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
      Testing.synth(new Level3ProductionChart(Testing.app(), 'level3-production', { api: { ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' } } }));
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

describe.each([STAGING, PRODUCTION])('observability at %s', (level) => {
  const profile = LEVEL_PROFILES[level];
  const objects = synthLevel(level);

  test('PrometheusRules merlai-api-slo and merlai-workload-alerts, valid against the CRD', () => {
    const rules = ofKind(objects, 'PrometheusRule');
    expect(rules.map((o) => o.metadata.name)).toEqual(['merlai-api-slo', 'merlai-workload-alerts']);
    expect(rules.flatMap(schemaErrors)).toEqual([]);
  });

  test(`monthly error budget annotation: ${monthlyErrorBudgetMinutes(profile.availabilityTarget)} minutes at ${profile.availabilityTarget}`, () => {
    const slo = find(objects, 'PrometheusRule', 'merlai-api-slo');
    expect(slo.metadata.annotations['merlai.io/monthly-error-budget-minutes']).toBe(
      String(monthlyErrorBudgetMinutes(profile.availabilityTarget)),
    );
    expect(slo.metadata.annotations['merlai.io/availability-target']).toBe(
      String(profile.availabilityTarget),
    );
    const availability = alertRules(ruleFile(objects, 'merlai-api-slo')).filter(
      (r) => r.labels?.slo === 'availability',
    );
    for (const r of availability) {
      expect(r.annotations?.monthly_error_budget_minutes).toBe(
        String(monthlyErrorBudgetMinutes(profile.availabilityTarget)),
      );
    }
  });

  test('SLIs read the Merlai Ingress (namespace merlai, ingress merlai-api) at the level latency threshold', () => {
    const all = exprs(objects);
    expect(all).toContain(
      'nginx_ingress_controller_requests{namespace="merlai",ingress="merlai-api",status=~"5.."}',
    );
    expect(all).toContain(
      `nginx_ingress_controller_request_duration_seconds_bucket{namespace="merlai",ingress="merlai-api",le="${profile.latencyThresholdSeconds}"}`,
    );
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

  test('prometheusSelectorLabels label the rules and the monitor for a Prometheus that selects by label', () => {
    const objects = synthLevel(STAGING, {
      observability: {
        metricsPath: '/metrics',
        prometheusSelectorLabels: { release: 'kube-prometheus-stack' },
      },
    });
    for (const o of [...ofKind(objects, 'PrometheusRule'), ...ofKind(objects, 'ServiceMonitor')]) {
      expect(o.metadata.labels.release).toBe('kube-prometheus-stack');
    }
  });

  test('ingressNamespaceLabel: exported_namespace for a controller scraped without honorLabels', () => {
    const objects = synthLevel(PRODUCTION, {
      observability: { ingressNamespaceLabel: 'exported_namespace' },
    });
    const slo = find(objects, 'PrometheusRule', 'merlai-api-slo');
    const recorded = slo.spec.groups[0].rules.map((r: KubeObject) => r.expr).join('\n');
    expect(recorded).toContain('exported_namespace="merlai"');
    expect(recorded).not.toMatch(/[{,]namespace="/);
  });

  test('latencyThreshold and latencyObjective set the latency SLO', () => {
    const objects = synthLevel(PRODUCTION, {
      observability: { latencyThreshold: Duration.seconds(1), latencyObjective: 0.99 },
    });
    const slo = find(objects, 'PrometheusRule', 'merlai-api-slo');
    expect(exprs(objects)).toContain('le="1"');
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
    expect(exprs(objects)).toContain('namespace="team-a",ingress="merlai-api"');
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

  test('an API without an Ingress has nothing to measure', () => {
    expect(standalone({}, false).build).toThrow(
      "[c/obs] MerlaiObservability: 'api.ingress' is undefined; the SLOs are measured at the ingress-nginx controller",
    );
  });
});

describe('README', () => {
  test("the level table states each level's monthly error budget as the level table computes it", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| monthly error budget'));
    expect(row).toBeDefined();
    const cells = row!.split('|').slice(2, 5);
    for (const [i, level] of [DEVELOPMENT, STAGING, PRODUCTION].entries()) {
      expect(cells[i]).toContain(
        `${monthlyErrorBudgetMinutes(LEVEL_PROFILES[level].availabilityTarget)} min`,
      );
    }
  });
});
