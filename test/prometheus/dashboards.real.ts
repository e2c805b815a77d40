/**
 * Every panel query of the dashboards in dist/, run against a real Prometheus 3 that scrapes what a
 * cluster with kube-prometheus-stack scrapes: a fake ingress-nginx controller through the ingress-nginx
 * chart's ServiceMonitor (the alerts test's traffic model), kube-state-metrics and the kubelet
 * (cAdvisor, volume stats) with `honorLabels: true`, and one CloudNativePG and one redis_exporter
 * endpoint per datastore pod through their PodMonitors' relabelling; with the level's rules of
 * dist/ loaded, so the panels that read recorded SLI series read what the rules record.
 *
 * Each panel query must return at least one finite value. The check is shown to bite: a copy of
 * every panel's first query with a misspelt metric name, label name or label value returns
 * nothing and is reported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AvailabilityLevel, LEVEL_PROFILES } from '../../lib';
import {
  exposition,
  FakeExporter,
  INGRESS_NGINX_SERVICE_MONITOR,
  Prometheus,
  type PrometheusBinaries,
  prometheusBinaries,
  serviceMonitorScrapeConfig,
} from '../support/prometheus';
import { PROJECT_ROOT } from '../support/shared';
import { levelChart } from '../support/synth';
import { cnpgMetrics, kubeletMetrics, kubeStateMetrics, podNames, redisMetrics } from './cluster-exporters';
import { Traffic } from './ingress-nginx';

const binaries = prometheusBinaries();
const NS = 'merlai';
const LEVELS = [AvailabilityLevel.STAGING, AvailabilityLevel.PRODUCTION];

interface PanelQuery {
  panel: string;
  expr: string;
}

/** Every query of a dist/ dashboard, with its panel's title. */
function distQueries(level: AvailabilityLevel): PanelQuery[] {
  const file = path.join(PROJECT_ROOT, 'dist', `${LEVEL_PROFILES[level].chartId}.dashboard.json`);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  return json.panels
    .filter((p: { type: string }) => p.type !== 'row')
    .flatMap((p: { title: string; targets: { expr: string }[] }) =>
      p.targets.map((t) => ({ panel: p.title, expr: t.expr })),
    );
}

function distRules(level: AvailabilityLevel): Record<string, unknown> {
  const file = path.join(PROJECT_ROOT, 'dist', `${LEVEL_PROFILES[level].chartId}.k8s.yaml`);
  const out: Record<string, unknown> = {};
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = doc.toJS();
    if (o?.kind === 'PrometheusRule') out[`${o.metadata.name}.yaml`] = o.spec;
  }
  return out;
}

/** The scrape job prometheus-operator generates for one PodMonitor endpoint, one static target per pod. */
function podMonitorScrapeConfig(o: {
  podMonitor: string;
  namespace: string;
  port: string;
  targets: { address: string; pod: string; container: string }[];
}): Record<string, unknown> {
  return {
    job_name: `podMonitor/${o.namespace}/${o.podMonitor}/0`,
    honor_labels: false,
    scrape_interval: '1s',
    scrape_timeout: '1s',
    static_configs: o.targets.map((t) => ({
      targets: [t.address],
      labels: {
        __meta_kubernetes_namespace: o.namespace,
        __meta_kubernetes_pod_name: t.pod,
        __meta_kubernetes_pod_container_name: t.container,
        __meta_kubernetes_pod_container_port_name: o.port,
      },
    })),
    relabel_configs: [
      { action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: o.port },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { target_label: 'job', replacement: `${o.namespace}/${o.podMonitor}` },
      { target_label: 'endpoint', replacement: o.port },
    ],
  };
}

/** A honour-labels scrape job (kube-prometheus-stack's kube-state-metrics and kubelet ServiceMonitors). */
function honouredJob(name: string, address: string): Record<string, unknown> {
  return {
    job_name: name,
    honor_labels: true,
    scrape_interval: '1s',
    scrape_timeout: '1s',
    static_configs: [
      { targets: [address], labels: { namespace: 'monitoring', pod: `${name}-0`, container: name } },
    ],
  };
}

/** Queries that return no finite value, with what they returned. */
async function emptyQueries(prom: Prometheus, queries: PanelQuery[]): Promise<string[]> {
  const out: string[] = [];
  for (const q of queries) {
    const result = await prom.query(q.expr);
    if (!result.some((s) => Number.isFinite(s.value)))
      out.push(`${q.panel} :: ${q.expr} → ${JSON.stringify(result)}`);
  }
  return out;
}

/** The panel queries with one typo each: a metric name, a label name and a label value. */
function typos(queries: PanelQuery[]): PanelQuery[] {
  const firstOfEachPanel = queries.filter((q, i) => queries.findIndex((o) => o.panel === q.panel) === i);
  return firstOfEachPanel.flatMap((q) => {
    const metric = /([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(q.expr);
    const label = /\{([a-z_]+)(=~?)"([^"]*)"/.exec(q.expr);
    const out: PanelQuery[] = [];
    if (metric)
      out.push({
        panel: `${q.panel} (metric typo)`,
        expr: q.expr.split(`${metric[1]}{`).join(`${metric[1]}s{`),
      });
    if (label) {
      out.push({
        panel: `${q.panel} (label name typo)`,
        expr: q.expr.split(`{${label[1]}${label[2]}`).join(`{${label[1]}x${label[2]}`),
      });
      out.push({
        panel: `${q.panel} (label value typo)`,
        expr: q.expr
          .split(`{${label[1]}${label[2]}"${label[3]}"`)
          .join(`{${label[1]}${label[2]}"${label[3]}-x"`),
      });
    }
    return out;
  });
}

interface Outcome {
  queries: PanelQuery[];
  empty: string[];
  typos: PanelQuery[];
  emptyTypos: string[];
  ruleHealth: string[];
  targetErrors: string[];
}

async function run(b: PrometheusBinaries, level: AvailabilityLevel): Promise<Outcome> {
  const profile = LEVEL_PROFILES[level];
  const budget = 1 - profile.availabilityTarget;
  // The chart as the tests build a level (Level 3's required facts, host and object store filled in).
  const chart = levelChart(level);
  const maxMemory = chart.datastores.redis.maxMemoryBytes;
  const now0 = Math.floor(Date.now() / 1000);
  // An hour of traffic with errors and slow requests at half the budget: every status and bucket exists.
  const traffic = new Traffic(
    [
      {
        namespace: NS,
        ingress: 'merlai-api',
        service: 'merlai-api',
        canary: '',
        phases: [{ minutes: 60, rps: 20, errors: 0.5 * budget, slow: 0.5 * budget }],
      },
    ],
    now0,
    profile.latencyThresholdSeconds,
  );
  const now = () => Date.now() / 1000;
  const pods = podNames(profile);
  const exporters: FakeExporter[] = [];
  const start = async (render: () => string) => {
    const e = await FakeExporter.start(render);
    exporters.push(e);
    return e;
  };
  let prom: Prometheus | undefined;
  try {
    const ingress = await start(() => exposition(traffic.families(now())));
    const ksm = await start(() => exposition(kubeStateMetrics(profile, NS, now())));
    const kubelet = await start(() => exposition(kubeletMetrics(profile, NS, now())));
    const postgres = await Promise.all(
      pods.postgres.map((pod) => start(() => exposition(cnpgMetrics(pod, now())))),
    );
    const redis = await Promise.all(
      pods.redis.map((pod) => start(() => exposition(redisMetrics(pod, maxMemory, now())))),
    );
    prom = await Prometheus.start({
      binaries: b,
      ruleFiles: distRules(level),
      scrapeConfigs: [
        serviceMonitorScrapeConfig({ ...INGRESS_NGINX_SERVICE_MONITOR, address: ingress.address }),
        honouredJob('kube-state-metrics', ksm.address),
        honouredJob('kubelet', kubelet.address),
        podMonitorScrapeConfig({
          podMonitor: 'merlai-postgres',
          namespace: NS,
          port: 'metrics',
          targets: pods.postgres.map((pod, i) => ({
            address: postgres[i].address,
            pod,
            container: 'postgres',
          })),
        }),
        podMonitorScrapeConfig({
          podMonitor: 'merlai-redis',
          namespace: NS,
          port: 'redis-exporter',
          targets: pods.redis.map((pod, i) => ({
            address: redis[i].address,
            pod,
            container: 'redis-exporter',
          })),
        }),
      ],
    });
    // Every target discovered (service discovery applies them after a few seconds) and scraped
    // three times, then two rule evaluations on those samples.
    const expected = 3 + pods.postgres.length + pods.redis.length;
    const since = Date.now();
    await prom.waitUntil(
      async () => {
        const targets = await prom!.targets();
        return (
          targets.length === expected &&
          targets.every((t: { lastScrape: string }) => new Date(t.lastScrape).getTime() > since + 2000)
        );
      },
      60_000,
      `${expected} targets scraped three times`,
    );
    await prom.waitForEvaluations(2);
    const queries = distQueries(level);
    const typoed = typos(queries);
    const targetErrors = (await prom.targets())
      .filter((t: { health: string }) => t.health !== 'up')
      .map(
        (t: { scrapeUrl: string; lastError: string; labels: Record<string, string> }) =>
          `${t.labels.job} ${t.labels.pod}: ${t.lastError}`,
      );
    const ruleHealth = (await prom.rules()).flatMap((g) =>
      g.rules
        .filter((r: { health: string }) => r.health !== 'ok')
        .map((r: { name: string; lastError: string }) => `${r.name}: ${r.lastError}`),
    );
    return {
      queries,
      empty: await emptyQueries(prom, queries),
      typos: typoed,
      emptyTypos: await emptyQueries(prom, typoed),
      ruleHealth,
      targetErrors,
    };
  } finally {
    await prom?.stop();
    await Promise.all(exporters.map((e) => e.stop()));
  }
}

const outcomes = new Map<AvailabilityLevel, Promise<Outcome>>();

(binaries ? describe : describe.skip).each(LEVELS)(
  'real Prometheus 3, dashboard panels of dist/ at %s',
  (level) => {
    beforeAll(() => {
      outcomes.set(level, run(binaries!, level));
    });

    test('every panel query returns data', async () => {
      const o = await outcomes.get(level)!;
      expect(o.targetErrors).toEqual([]);
      expect(o.ruleHealth).toEqual([]);
      expect(o.queries.length).toBeGreaterThan(40);
      expect(o.empty).toEqual([]);
    }, 300_000);

    test('the check bites: each panel query with a typo in a metric name, a label name or a label value returns nothing', async () => {
      const o = await outcomes.get(level)!;
      expect(o.typos.length).toBeGreaterThan(60);
      expect(o.emptyTypos.map((e) => e.split(' :: ')[0])).toEqual(o.typos.map((t) => t.panel));
    }, 300_000);
  },
);
