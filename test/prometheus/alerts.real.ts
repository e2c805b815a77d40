/**
 * The SLO and workload rules of dist/ loaded, as they are, into a real Prometheus 3 that scrapes a
 * fake ingress-nginx controller through the scrape job of the ingress-nginx chart's
 * ServiceMonitor; which alerts are active is read from Prometheus' HTTP API.
 *
 * Time: the rules look back 5 minutes to 3 days. Each scenario's past is backfilled: a first
 * Prometheus scrapes the exporter once, the series it stored (labels exactly as the real scrape
 * produced them) get their history from the same traffic model, written as TSDB blocks by
 * `promtool tsdb create-blocks-from openmetrics`; then Prometheus starts on those blocks with the
 * rules and keeps scraping the exporter live, whose counters continue the history. Prometheus
 * evaluates the rules every second in real time, so an alert's `for` runs in real time too: the
 * fast burn waits for its page to fire (2 minutes); alerts with a longer `for` are asserted
 * `pending` (their condition holds; promtool's unit tests in test/slo-alerts.test.ts cover the
 * `for` timing).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AvailabilityLevel, LEVEL_PROFILES } from '../../lib';
import {
  type ActiveAlert,
  backfill,
  exposition,
  FakeExporter,
  INGRESS_NGINX_SERVICE_MONITOR,
  Prometheus,
  type PrometheusBinaries,
  prometheusBinaries,
  serviceMonitorScrapeConfig,
} from '../support/prometheus';
import { PROJECT_ROOT } from '../support/shared';
import { type Backend, type Phase, Traffic } from './ingress-nginx';

const binaries = prometheusBinaries();
const NS = 'merlai';
const INGRESS = 'merlai-api';
/** Seconds between backfilled samples (a 15 s scrape interval). */
const HISTORY_STEP = 15;

/** The PrometheusRule specs of a level's dist/ file, by object name. */
function distRules(level: AvailabilityLevel): Record<string, unknown> {
  const file = path.join(PROJECT_ROOT, 'dist', `${LEVEL_PROFILES[level].chartId}.k8s.yaml`);
  const out: Record<string, unknown> = {};
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = doc.toJS();
    if (o?.kind === 'PrometheusRule') out[`${o.metadata.name}.yaml`] = o.spec;
  }
  if (Object.keys(out).length === 0) throw new Error(`${file} has no PrometheusRule: run npm run synth`);
  return out;
}

interface Scenario {
  readonly title: string;
  /** Traffic in multiples of the level's error budget; none: the Ingress never had a request. */
  readonly phases?: (budget: number) => Phase[];
  /** Stop the exporter after the history (the controller's pod is gone). */
  readonly exporterGone?: boolean;
  /** Alerts that must be active: `firing`, or `pending` (condition true, `for` still running). */
  readonly expect: Readonly<Record<string, 'firing' | 'pending'>>;
}

const RPS = 20;
const ok = (minutes: number, budget: number): Phase => ({
  minutes,
  rps: RPS,
  errors: 0.2 * budget,
  slow: 0.2 * budget,
});

const SCENARIOS: Scenario[] = [
  {
    title: 'a healthy hour (errors and slow requests at 0.2x the budget): nothing is active',
    phases: (b) => [ok(60, b)],
    expect: {},
  },
  {
    title:
      'a fast burn (20x for an hour after 30 healthy minutes): the availability page fires, the ticket is pending',
    phases: (b) => [ok(30, b), { minutes: 60, rps: RPS, errors: 20 * b, slow: 0.2 * b }],
    expect: {
      MerlaiApiAvailabilityBudgetBurnPage: 'firing',
      MerlaiApiAvailabilityBudgetBurnTicket: 'pending',
    },
  },
  {
    title: 'a slow burn (4x for 3 hours after a healthy hour): a ticket, no page',
    phases: (b) => [ok(60, b), { minutes: 180, rps: RPS, errors: 4 * b, slow: 0.2 * b }],
    expect: { MerlaiApiAvailabilityBudgetBurnTicket: 'pending' },
  },
  {
    title:
      'slow requests (20x the latency budget for an hour): the latency alerts, through the normalized le bucket',
    phases: (b) => [ok(30, b), { minutes: 60, rps: RPS, errors: 0.2 * b, slow: 20 * b }],
    expect: { MerlaiApiLatencyBudgetBurnPage: 'pending', MerlaiApiLatencyBudgetBurnTicket: 'pending' },
  },
  {
    title: 'no traffic at all (the controller exposes no request series): only the no-data alert',
    expect: { MerlaiApiSliNoData: 'pending' },
  },
  {
    title: 'the exporter gone after a healthy hour: only the no-data alert',
    phases: (b) => [ok(60, b)],
    exporterGone: true,
    expect: { MerlaiApiSliNoData: 'pending' },
  },
];

/** The alerts of the SLO rule (the workload rule's need kube-state-metrics: absent here, never active). */
function sloAlerts(alerts: ActiveAlert[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of alerts) {
    // The datastores' no-data alerts: their exporters are not in this test.
    if (/^Merlai(Postgres|Redis)MetricsAbsent$/.test(a.labels.alertname)) continue;
    if (a.labels.alertname === 'MerlaiBackupNeverSucceeded') continue;
    out[a.labels.alertname] = a.state;
  }
  return out;
}

interface Outcome {
  alerts: ActiveAlert[];
  /** Queries of the stored series that show what a rule must select. */
  probes: Record<string, number>;
  ruleHealth: string[];
}

async function runScenario(b: PrometheusBinaries, level: AvailabilityLevel, s: Scenario): Promise<Outcome> {
  const profile = LEVEL_PROFILES[level];
  const budget = 1 - profile.availabilityTarget;
  const now0 = Math.floor(Date.now() / 1000);
  const backend: Backend | undefined = s.phases
    ? { namespace: NS, ingress: INGRESS, service: 'merlai-api', canary: '', phases: s.phases(budget) }
    : undefined;
  const traffic = new Traffic(backend ? [backend] : [], now0, profile.latencyThresholdSeconds);
  const exporter = await FakeExporter.start(() => exposition(traffic.families(Date.now() / 1000)));
  const scrape = serviceMonitorScrapeConfig({ ...INGRESS_NGINX_SERVICE_MONITOR, address: exporter.address });
  const tsdb = mkdtempSync(path.join(os.tmpdir(), 'merlai-tsdb-'));
  let prom: Prometheus | undefined;
  try {
    // 1. One real scrape tells which series Prometheus stores, and under which labels.
    const probe = await Prometheus.start({ binaries: b, scrapeConfigs: [scrape] });
    let stored: Record<string, string>[];
    try {
      await probe.waitForScrapes(2);
      stored = await probe.series('{__name__=~"nginx_ingress_controller_request.*"}');
    } finally {
      await probe.stop();
    }
    // 2. Their history up to now, as TSDB blocks.
    const until = Math.floor(Date.now() / 1000) - 1;
    if (stored.length) await backfill(b, tsdb, traffic.history(stored, until, HISTORY_STEP));
    // 3. Prometheus on that history, with the rules of dist/, scraping on.
    prom = await Prometheus.start({
      binaries: b,
      tsdbDir: tsdb,
      ruleFiles: distRules(level),
      scrapeConfigs: [scrape],
    });
    await prom.waitForScrapes(2);
    if (s.exporterGone) {
      // The pod goes away while Prometheus scrapes it: the failed scrape marks its series stale.
      await exporter.stop();
      await prom.waitForScrapes(2);
      const up = await prom.query('up');
      if (up.length !== 1 || up[0].value !== 0) throw new Error(`up is ${JSON.stringify(up)}, expected 0`);
    }
    await prom.waitForEvaluations(3);
    const firingWanted = Object.entries(s.expect).some(([, st]) => st === 'firing');
    if (firingWanted) {
      await prom.waitUntil(
        async () => {
          const active = sloAlerts(await prom!.alerts());
          return Object.entries(s.expect).every(([a, st]) => active[a] === st);
        },
        240_000,
        `alerts ${JSON.stringify(s.expect)}`,
      );
    }
    const probes: Record<string, number> = {};
    for (const q of [
      `count(nginx_ingress_controller_requests{exported_namespace="${NS}"})`,
      `count(nginx_ingress_controller_requests{namespace="${NS}"})`,
      `count(nginx_ingress_controller_request_duration_seconds_bucket{le="${profile.latencyThresholdSeconds}"})`,
      `count(nginx_ingress_controller_request_duration_seconds_bucket{le="${profile.latencyThresholdSeconds}.0"})`,
      'merlai:slo_errors_per_request:ratio_rate1h',
      'merlai:slo_slow_requests_per_request:ratio_rate1h',
    ]) {
      probes[q] = (await prom.query(q))[0]?.value ?? 0;
    }
    const ruleHealth = (await prom.rules()).flatMap((g) =>
      g.rules
        .filter((r: { health: string }) => r.health !== 'ok')
        .map((r: { name: string; lastError: string }) => `${r.name}: ${r.lastError}`),
    );
    return { alerts: await prom.alerts(), probes, ruleHealth };
  } finally {
    await prom?.stop();
    if (!s.exporterGone) await exporter.stop();
    rmSync(tsdb, { recursive: true, force: true });
  }
}

const LEVELS = [AvailabilityLevel.STAGING, AvailabilityLevel.PRODUCTION];
const outcomes = new Map<string, Promise<Outcome>>();

(binaries ? describe : describe.skip).each(LEVELS)('real Prometheus 3, rules of dist/ at %s', (level) => {
  beforeAll(() => {
    // Every scenario at once: most of the time is waiting.
    for (const s of SCENARIOS) outcomes.set(`${level} ${s.title}`, runScenario(binaries!, level, s));
  });

  test.each(SCENARIOS.map((s) => [s.title, s] as const))(
    '%s',
    async (_, s) => {
      const outcome = await outcomes.get(`${level} ${s.title}`)!;
      expect(outcome.ruleHealth).toEqual([]);
      expect(sloAlerts(outcome.alerts)).toEqual(s.expect);
      for (const a of outcome.alerts.filter((x) => x.labels.alertname.startsWith('MerlaiApi'))) {
        expect(a.labels.namespace).toBe(NS);
      }
    },
    300_000,
  );

  test('the healthy hour is measured, not missing: the recorded 1h ratios are 0.2x the budget', async () => {
    const { probes } = await outcomes.get(`${level} ${SCENARIOS[0].title}`)!;
    const budget = 1 - LEVEL_PROFILES[level].availabilityTarget;
    for (const r of [
      'merlai:slo_errors_per_request:ratio_rate1h',
      'merlai:slo_slow_requests_per_request:ratio_rate1h',
    ]) {
      expect(probes[r] / (0.2 * budget)).toBeGreaterThan(0.9);
      expect(probes[r] / (0.2 * budget)).toBeLessThan(1.1);
    }
  }, 300_000);

  test('the scrape stores the Ingress namespace as exported_namespace and le="5" as "5.0": what the rules must select', async () => {
    const { probes } = await outcomes.get(`${level} ${SCENARIOS[0].title}`)!;
    const t = LEVEL_PROFILES[level].latencyThresholdSeconds;
    expect(probes[`count(nginx_ingress_controller_requests{exported_namespace="${NS}"})`]).toBeGreaterThan(0);
    expect(probes[`count(nginx_ingress_controller_requests{namespace="${NS}"})`]).toBe(0);
    expect(probes[`count(nginx_ingress_controller_request_duration_seconds_bucket{le="${t}"})`]).toBe(0);
    expect(
      probes[`count(nginx_ingress_controller_request_duration_seconds_bucket{le="${t}.0"})`],
    ).toBeGreaterThan(0);
  }, 300_000);
});
