import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { Chart, Testing } from 'cdk8s';
import {
  AvailabilityLevel,
  BURN_RATE_ALERTS,
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  GRAFANA_DASHBOARD_LABELS,
  LEVEL_PROFILES,
  MerlaiApi,
  MerlaiDashboard,
  type MerlaiDashboardOptions,
  MerlaiObservability,
} from '../lib';
import { dashboardText } from '../lib/dashboard';
import { grafanaSchemas } from './support/grafana-schema';
import { find, type KubeObject, LEVELS, levelChart, synthLevel } from './support/synth';

const { STAGING, PRODUCTION, DEVELOPMENT } = AvailabilityLevel;
const MONITORED = LEVELS.filter((l) => LEVEL_PROFILES[l].monitoring);
const DIST = path.resolve(__dirname, '..', 'dist');

type Json = Record<string, any>;

function dashboardOf(objects: KubeObject[]): { configMap: KubeObject; json: Json; text: string } {
  const configMap = find(objects, 'ConfigMap', 'merlai-dashboard');
  const [text] = Object.values(configMap.data as Record<string, string>);
  return { configMap, json: JSON.parse(text), text };
}

function panels(json: Json): Json[] {
  return json.panels.filter((p: Json) => p.type !== 'row');
}

describe.each(MONITORED)('dashboard at %s', (level) => {
  const profile = LEVEL_PROFILES[level];
  const objects = synthLevel(level);
  const { configMap, json, text } = dashboardOf(objects);

  test("ships as a ConfigMap with kube-prometheus-stack's sidecar label, and the same JSON in dist/", () => {
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(configMap.metadata.namespace).toBe('merlai');
    expect(Object.keys(configMap.data)).toEqual([`merlai-${profile.chartId}.json`]);
    expect(readFileSync(path.join(DIST, `${profile.chartId}.dashboard.json`), 'utf8')).toBe(text);
  });

  test('SLI panels draw the objective the rules alert on', () => {
    const rule = find(objects, 'PrometheusRule', 'merlai-api-slo');
    const objective = Number(rule.metadata.annotations['merlai.io/availability-target']);
    expect(objective).toBe(profile.availabilityTarget);
    const sli = panels(json).find((p) => p.title === 'Availability SLI');
    expect(sli?.fieldConfig.defaults.thresholds.steps.map((s: Json) => s.value)).toEqual([null, objective]);
    const latency = panels(json).find((p) => p.title === 'Latency SLI');
    const latencyObjective = Number(rule.metadata.annotations['merlai.io/latency-objective']);
    const threshold = Number(rule.metadata.annotations['merlai.io/latency-threshold-seconds']);
    const percentiles = panels(json).find((p) => p.title === 'Latency p50 / p95 / p99');
    expect(percentiles?.fieldConfig.defaults.thresholds.steps[1].value).toBe(threshold);
    expect(latency?.fieldConfig.defaults.thresholds.steps.map((s: Json) => s.value)).toEqual([
      null,
      latencyObjective,
    ]);
  });

  test('every recorded series a panel reads is recorded by the synthesized rules, with the same labels', () => {
    const rule = find(objects, 'PrometheusRule', 'merlai-api-slo');
    const recorded = new Map<string, Json>(
      rule.spec.groups.flatMap((g: Json) =>
        g.rules.filter((r: Json) => r.record).map((r: Json) => [r.record, r.labels]),
      ),
    );
    const used = panels(json).flatMap((p) =>
      p.targets.flatMap((t: Json) =>
        [...t.expr.matchAll(/(merlai:[a-z_:0-9]+)\{([^}]*)\}/g)].map((m) => [m[1], m[2]]),
      ),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const [name, matchers] of used) {
      expect(recorded.has(name)).toBe(true);
      const labels = Object.entries(recorded.get(name) ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .sort();
      expect(matchers.split(',').sort()).toEqual(labels);
    }
  });

  test('burn-rate panels show every alert factor and every recorded window', () => {
    const burn = panels(json).find((p) => p.title === 'Availability burn rate per alert window');
    const factors = [...new Set(BURN_RATE_ALERTS.flatMap((a) => a.conditions.map((c) => c.factor)))].sort(
      (a, b) => a - b,
    );
    expect(burn?.fieldConfig.defaults.thresholds.steps.slice(1).map((s: Json) => s.value)).toEqual(factors);
    const windows = BURN_RATE_ALERTS.flatMap((a) => a.conditions.flatMap((c) => [c.long, c.short]));
    for (const w of windows) {
      expect(burn?.targets.some((t: Json) => t.expr.includes(`ratio_rate${w}{`))).toBe(true);
    }
    const budget = 1 - profile.availabilityTarget;
    expect(burn?.targets[0].expr).toMatch(
      new RegExp(` / ${String(Number(budget.toPrecision(12))).replace('.', '\\.')}$`),
    );
  });

  test('panel ids are unique and panels stay inside the 24-column grid without overlapping', () => {
    const ids = json.panels.map((p: Json) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of json.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const cell = `${i},${j}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  test('has the panels the issue asks for', () => {
    const titles = panels(json).map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Availability SLI',
        'Latency SLI',
        'Availability error budget remaining (30 d)',
        'Latency error budget remaining (30 d)',
        'Request rate',
        'Latency p50 / p95 / p99',
        'API CPU vs requests and limits',
        'API memory vs requests and limits',
        'Container restarts and OOM kills',
        'PostgreSQL instances up',
        'PostgreSQL replication lag',
        'PostgreSQL connections',
        'PostgreSQL database size',
        'Last backup age',
        'Redis instances up',
        'Redis memory vs maxmemory',
        'Redis evictions',
        'Redis cache hit ratio',
      ]),
    );
    const pods = panels(json).find((p) => p.title.startsWith('API pods'));
    const hpa = pods?.targets.some((t: Json) =>
      t.expr.startsWith('kube_horizontalpodautoscaler_status_current_replicas'),
    );
    expect(hpa).toBe(profile.autoscaling !== undefined);
  });
});

test('Level 1 (no monitoring) has no dashboard', () => {
  const objects = synthLevel(DEVELOPMENT);
  expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'merlai-dashboard')).toEqual([]);
  expect(levelChart(DEVELOPMENT).dashboard).toBeUndefined();
});

test('the dashboard follows an overridden SLO: the latency objective moves its line and its budget', () => {
  const { json } = dashboardOf(synthLevel(PRODUCTION, { observability: { latencyObjective: 0.95 } }));
  const latency = panels(json).find((p) => p.title === 'Latency SLI');
  expect(latency?.fieldConfig.defaults.thresholds.steps[1].value).toBe(0.95);
  const budget = panels(json).find((p) => p.title === 'Latency error budget remaining (30 d)');
  expect(budget?.targets[0].expr).toMatch(/\) \/ 0\.05$/);
});

test('the ingress namespace label reaches the traffic panels', () => {
  const trafficExprs = (json: Json): string[] =>
    panels(json)
      .filter((p) => p.title === 'Request rate' || p.title.startsWith('Latency p50'))
      .flatMap((p) => p.targets.map((t: Json) => t.expr));
  const byDefault = trafficExprs(dashboardOf(synthLevel(PRODUCTION)).json);
  expect(byDefault.length).toBe(5);
  for (const expr of byDefault) expect(expr).toContain(`${DEFAULT_INGRESS_NAMESPACE_LABEL}="merlai"`);

  const { json } = dashboardOf(
    synthLevel(PRODUCTION, { observability: { ingressNamespaceLabel: 'source_namespace' } }),
  );
  const overridden = trafficExprs(json);
  expect(overridden.length).toBe(5);
  for (const expr of overridden) expect(expr).toContain('source_namespace="merlai"');
  const all = panels(json).flatMap((p) => p.targets.map((t: Json) => t.expr));
  expect(all.filter((expr) => expr.includes(DEFAULT_INGRESS_NAMESPACE_LABEL))).toEqual([]);
});

test('external datastores: no PostgreSQL or Redis panels (no exporter of ours to read)', () => {
  const { json } = dashboardOf(
    synthLevel(STAGING, {
      datastores: {
        postgres: { external: { host: 'pg.example.com', secretName: 'pg', cidr: '10.0.0.0/24' } },
        redis: { external: { host: 'redis.example.com', secretName: 'redis', cidr: '10.0.1.0/24' } },
      },
    }),
  );
  const rows = json.panels.filter((p: Json) => p.type === 'row').map((p: Json) => p.title);
  expect(rows).toEqual(['Service level objectives', 'Traffic at the ingress', 'API workload']);
});

test('the restarts panel counts the pods of the API and of the datastores that run in the cluster, by name', () => {
  const restarts = (objects: KubeObject[], configMap = 'merlai-dashboard'): string => {
    const [text] = Object.values(find(objects, 'ConfigMap', configMap).data as Record<string, string>);
    return panels(JSON.parse(text)).find((p) => p.title === 'Container restarts and OOM kills')?.targets[0]
      .expr;
  };
  expect(restarts(synthLevel(STAGING))).toContain('pod=~"(merlai-api|merlai-postgres|merlai-redis)-.+"');
  const external = synthLevel(STAGING, {
    datastores: {
      postgres: { external: { host: 'pg.example.com', secretName: 'pg', cidr: '10.0.0.0/24' } },
      redis: { external: { host: 'redis.example.com', secretName: 'redis', cidr: '10.0.1.0/24' } },
    },
  });
  expect(restarts(external)).toContain('pod=~"(merlai-api)-.+"');
  // Another instance's API is '<instance>-api': no longer the datastores' 'merlai-' prefix.
  expect(restarts(synthLevel(STAGING, { api: { instance: 'team' } }), 'team-dashboard')).toContain(
    'pod=~"(team-api|merlai-postgres|merlai-redis)-.+"',
  );
});

describe('MerlaiDashboard options', () => {
  test('discovery labels, namespace and folder', () => {
    const { configMap } = dashboardOf(
      synthLevel(PRODUCTION, {
        dashboard: { discoveryLabels: { team: 'merlai' }, namespace: 'monitoring', folder: 'Merlai' },
      }),
    );
    expect(configMap.metadata.labels.team).toBe('merlai');
    expect(configMap.metadata.labels.grafana_dashboard).toBeUndefined();
    expect(configMap.metadata.namespace).toBe('monitoring');
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Merlai' });
  });

  test('the default discovery label is exported', () => {
    expect(GRAFANA_DASHBOARD_LABELS).toEqual({ grafana_dashboard: '1' });
  });

  test.each([
    [{ discoveryLabels: {} }, "'discoveryLabels' is {}; expected at least one label"],
    [
      { discoveryLabels: { 'bad key!': '1' } },
      "'discoveryLabels' is 'bad key!'; expected a Kubernetes label key",
    ],
    [
      { discoveryLabels: { grafana_dashboard: 'not ok' } },
      "'discoveryLabels.grafana_dashboard' is 'not ok'; expected a Kubernetes label value",
    ],
    [{ namespace: 'Monitoring' }, "'namespace' is 'Monitoring'; expected a DNS-1123 label"],
    [{ folder: 'a/b' }, "'folder' is 'a/b'; expected a folder name"],
  ] as [MerlaiDashboardOptions, string][])('%j', (options, message) => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'merlai' });
    const api = new MerlaiApi(chart, 'api', {
      level: PRODUCTION,
      storageClassName: 'cephfs',
      ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' },
    });
    const observability = new MerlaiObservability(chart, 'obs', { api });
    expect(() => new MerlaiDashboard(chart, 'dash', { ...options, api, observability })).toThrow(
      `[c/dash] MerlaiDashboard: ${message}`,
    );
  });
});

describe("Grafana's dashboard schema (derived from @grafana/schema)", () => {
  let dashboard: ValidateFunction;
  let timeseries: ValidateFunction;
  let stat: ValidateFunction;
  beforeAll(() => {
    const schemas = grafanaSchemas();
    const ajv = new Ajv({ allErrors: true, strict: false });
    dashboard = ajv.compile(schemas.dashboard);
    timeseries = ajv.compile(schemas.timeseries);
    stat = ajv.compile(schemas.stat);
  }, 120_000);

  /** Schema errors of a dashboard and of each panel's plugin options, as readable lines. */
  function problems(json: Json): string[] {
    const out: string[] = [];
    const report = (where: string, v: ValidateFunction) =>
      out.push(
        ...(v.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`),
      );
    if (!dashboard(json)) report('dashboard', dashboard);
    for (const p of panels(json)) {
      const v = p.type === 'timeseries' ? timeseries : p.type === 'stat' ? stat : undefined;
      if (!v) {
        out.push(`panel ${p.id}: no schema for panel type ${p.type}`);
        continue;
      }
      // The plugin's part of the panel: `options`, and for a graph `fieldConfig.defaults.custom`.
      const plugin =
        p.type === 'timeseries'
          ? { options: p.options, fieldConfig: { defaults: { custom: p.fieldConfig.defaults.custom } } }
          : { options: p.options };
      if (!v(plugin)) report(`panel ${p.id} (${p.title})`, v);
    }
    return out;
  }

  test.each(MONITORED)('dist/ dashboard of %s is valid', (level) => {
    const json = JSON.parse(
      readFileSync(path.join(DIST, `${LEVEL_PROFILES[level].chartId}.dashboard.json`), 'utf8'),
    );
    expect(problems(json)).toEqual([]);
  });

  const valid = (): Json => JSON.parse(dashboardText(levelChart(PRODUCTION).dashboard?.json ?? {}));
  test.each([
    ['schemaVersion missing', (d: Json) => delete d.schemaVersion, 'dashboard must have required property'],
    [
      'a misspelt panel key',
      (d: Json) => (d.panels[1].gridpos = d.panels[1].gridPos),
      'must NOT have additional properties',
    ],
    [
      'gridPos width as a string',
      (d: Json) => (d.panels[1].gridPos.w = '12'),
      '/panels/1/gridPos/w must be number',
    ],
    [
      'a threshold step without a colour',
      (d: Json) => delete d.panels[1].fieldConfig.defaults.thresholds.steps[0].color,
      'must have required property',
    ],
    [
      'an unknown graph tooltip',
      (d: Json) => (d.graphTooltip = 7),
      'must be equal to one of the allowed values',
    ],
    [
      'an unknown legend mode',
      (d: Json) => (d.panels[1].options.legend.displayMode = 'bullets'),
      'legend/displayMode must be equal to one of the allowed values',
    ],
    [
      'a stat option of the wrong type',
      (d: Json) => {
        const statPanel = panels(d).find((p) => p.type === 'stat');
        if (statPanel) statPanel.options.colorMode = 3;
      },
      'colorMode must be',
    ],
  ] as [string, (d: Json) => unknown, string][])(
    'a broken dashboard fails: %s',
    (_name, breakIt, message) => {
      const json = valid();
      expect(problems(json)).toEqual([]);
      breakIt(json);
      expect(problems(json).join('\n')).toContain(message);
    },
  );
});
