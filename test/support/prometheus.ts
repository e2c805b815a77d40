/**
 * A real Prometheus 3 for tests: the binaries built from the pinned Go module by
 * `scripts/ci/build-prometheus.sh`, a fake exporter that serves whatever series a test sets, the
 * scrape configuration prometheus-operator generates for a ServiceMonitor, backfilled history
 * (`promtool tsdb create-blocks-from openmetrics`), and HTTP API helpers.
 *
 * Reusable by any test that must prove a query against the real thing (alert rules, dashboard
 * panels): start an exporter, start Prometheus with rule files and scrape targets, wait for the
 * scrape, query.
 *
 *   const exporter = await FakeExporter.start(() => exposition(families));
 *   const prom = await Prometheus.start({ binaries, ruleFiles: { 'slo.yaml': spec },
 *     scrapeConfigs: [serviceMonitorScrapeConfig({ ...INGRESS_NGINX_SERVICE_MONITOR, address: exporter.address })] });
 *   await prom.waitForScrape();
 *   const v = await prom.query('sum(rate(nginx_ingress_controller_requests[5m]))');
 *   await prom.stop();
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { IN_CI } from './ci';
import { PROJECT_ROOT } from './shared';

/** The Prometheus and promtool binaries of one build. */
export interface PrometheusBinaries {
  readonly prometheus: string;
  readonly promtool: string;
  readonly dir: string;
}

const BUILD_SCRIPT = path.join(PROJECT_ROOT, 'scripts/ci/build-prometheus.sh');

/**
 * The binaries: `MERLAI_PROMETHEUS_DIR` if set, else the build script's cached output (built on
 * first use: minutes). Undefined, with a note, on a machine without Go — unless `CI` is set,
 * where a missing Prometheus is an error (CI never passes by skipping).
 */
export function prometheusBinaries(): PrometheusBinaries | undefined {
  let dir = process.env.MERLAI_PROMETHEUS_DIR;
  if (!dir) {
    const built = spawnSync('bash', [BUILD_SCRIPT], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (built.status !== 0) {
      const message = `Prometheus 3 could not be built (${BUILD_SCRIPT} exited ${built.status}${built.error ? `: ${built.error.message}` : ''})`;
      if (IN_CI) throw new Error(message);
      console.warn(`skipped: ${message}; install Go 1.26 or set MERLAI_PROMETHEUS_DIR`);
      return undefined;
    }
    dir = built.stdout.trim().split('\n').at(-1)!;
  }
  const bins = { dir, prometheus: path.join(dir, 'prometheus'), promtool: path.join(dir, 'promtool') };
  for (const b of [bins.prometheus, bins.promtool]) {
    if (!existsSync(b)) throw new Error(`${b} is missing: rebuild with ${BUILD_SCRIPT}`);
  }
  return bins;
}

// ---------------------------------------------------------------------------------------------
// Exposition

/** One sample of a family: its labels and value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family as an exporter exposes it (text format 0.0.4). */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'untyped';
  /** For a histogram: samples of `<name>_bucket` (with `le`), `<name>_sum` and `<name>_count`, full names. */
  readonly samples: readonly (Sample & { readonly name?: string })[];
}

/** A float as client_golang's text format writes it: `5`, `0.005`, `+Inf`, `NaN`. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
}

/** The text exposition format 0.0.4 of `families`, as client_golang's promhttp handler writes it. */
export function exposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples)
      lines.push(`${s.name ?? f.name}${labelText(s.labels)} ${formatFloat(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The samples of one classic histogram series: cumulative `_bucket` counts for each bound (plus
 * `+Inf`), `_sum` and `_count`. `countAtOrBelow(bound)` gives the cumulative count of a bound.
 */
export function histogramSamples(
  name: string,
  labels: Readonly<Record<string, string>>,
  bounds: readonly number[],
  countAtOrBelow: (bound: number) => number,
  count: number,
  sum: number,
): (Sample & { name: string })[] {
  return [
    ...bounds.map((b) => ({
      name: `${name}_bucket`,
      labels: { ...labels, le: formatFloat(b) },
      value: countAtOrBelow(b),
    })),
    { name: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
    { name: `${name}_sum`, labels, value: sum },
    { name: `${name}_count`, labels, value: count },
  ];
}

/** An HTTP exporter on 127.0.0.1 serving `/metrics` from `render()`, called at every scrape. */
export class FakeExporter {
  /** Scrapes served so far. */
  scrapes = 0;

  private constructor(
    private readonly server: http.Server,
    private render: () => string,
  ) {}

  static async start(render: () => string): Promise<FakeExporter> {
    let exporter: FakeExporter | undefined;
    const server = http.createServer((req, res) => {
      if (req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      exporter!.scrapes++;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(exporter!.render());
    });
    exporter = new FakeExporter(server, render);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return exporter;
  }

  /** `host:port` of the exporter. */
  get address(): string {
    const a = this.server.address() as AddressInfo;
    return `${a.address}:${a.port}`;
  }

  /** Serve something else from the next scrape on. */
  setRender(render: () => string): void {
    this.render = render;
  }

  /** Stops serving: the next scrapes fail (connection refused), as for a deleted pod. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// Scrape configuration

/** Where a ServiceMonitor's endpoint is and what Kubernetes says about it. */
export interface ServiceMonitorTarget {
  /** `host:port` to scrape. */
  readonly address: string;
  /** Namespace of the Service (and of the ServiceMonitor). */
  readonly namespace: string;
  /** Name of the ServiceMonitor. */
  readonly serviceMonitor: string;
  /** Name of the Service the ServiceMonitor selects. */
  readonly service: string;
  /** The endpoint's pod and container. */
  readonly pod: string;
  readonly container: string;
  /** Name of the Service port (the ServiceMonitor endpoint's `port`). */
  readonly port: string;
  /** The endpoint's `honorLabels`. @default false */
  readonly honorLabels?: boolean;
  /** @default '1s' */
  readonly scrapeInterval?: string;
}

/**
 * The ingress-nginx chart's ServiceMonitor (`controller.metrics.serviceMonitor.enabled: true`,
 * release `ingress-nginx` in namespace `ingress-nginx`): Service `ingress-nginx-controller-metrics`,
 * port `metrics`, `honorLabels: false`.
 */
export const INGRESS_NGINX_SERVICE_MONITOR = {
  namespace: 'ingress-nginx',
  serviceMonitor: 'ingress-nginx-controller',
  service: 'ingress-nginx-controller-metrics',
  pod: 'ingress-nginx-controller-7c9f8d6b5-qx2lz',
  container: 'controller',
  port: 'metrics',
} as const;

/**
 * The scrape job prometheus-operator generates for one ServiceMonitor endpoint (role `endpoints`):
 * the same job name and target relabelings (`namespace`, `service`, `pod`, `container`, `job`,
 * `endpoint`) and `honor_labels`. Kubernetes service discovery is replaced by a static target
 * carrying the `__meta_kubernetes_*` labels it would have produced; the relabelings then run as
 * in a cluster. With `honor_labels: false` a scraped label that clashes with a target label is
 * kept as `exported_<name>` (Prometheus' rule, not ours).
 */
export function serviceMonitorScrapeConfig(t: ServiceMonitorTarget): Record<string, unknown> {
  return {
    job_name: `serviceMonitor/${t.namespace}/${t.serviceMonitor}/0`,
    honor_labels: t.honorLabels ?? false,
    honor_timestamps: true,
    scrape_interval: t.scrapeInterval ?? '1s',
    scrape_timeout: '1s',
    metrics_path: '/metrics',
    scheme: 'http',
    static_configs: [
      {
        targets: [t.address],
        labels: {
          __meta_kubernetes_namespace: t.namespace,
          __meta_kubernetes_service_name: t.service,
          __meta_kubernetes_pod_name: t.pod,
          __meta_kubernetes_pod_container_name: t.container,
          __meta_kubernetes_endpoint_port_name: t.port,
          __meta_kubernetes_endpoint_address_target_kind: 'Pod',
          __meta_kubernetes_endpoint_address_target_name: t.pod,
        },
      },
    ],
    relabel_configs: [
      { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
      { action: 'keep', source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: t.port },
      {
        source_labels: [
          '__meta_kubernetes_endpoint_address_target_kind',
          '__meta_kubernetes_endpoint_address_target_name',
        ],
        separator: ';',
        regex: 'Node;(.*)',
        replacement: GROUP_1,
        target_label: 'node',
      },
      {
        source_labels: [
          '__meta_kubernetes_endpoint_address_target_kind',
          '__meta_kubernetes_endpoint_address_target_name',
        ],
        separator: ';',
        regex: 'Pod;(.*)',
        replacement: GROUP_1,
        target_label: 'pod',
      },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: GROUP_1 },
      { target_label: 'endpoint', replacement: t.port },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Backfill

/** A series of backfilled history: its labels (with `__name__`) and samples at Unix seconds. */
export interface HistorySeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: readonly (readonly [seconds: number, value: number])[];
}

/** OpenMetrics text of `series` (untyped families, samples in time order), for promtool's backfill. */
export function openMetrics(series: readonly HistorySeries[]): string {
  const byName = new Map<string, HistorySeries[]>();
  for (const s of series) {
    const name = s.labels.__name__;
    if (!name) throw new Error(`a history series has no __name__: ${JSON.stringify(s.labels)}`);
    byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  const lines: string[] = [];
  for (const [name, list] of byName) {
    lines.push(`# TYPE ${name} unknown`);
    for (const s of list) {
      const { __name__, ...labels } = s.labels;
      const text = labelText(labels);
      for (const [t, v] of s.samples) lines.push(`${name}${text} ${formatFloat(v)} ${t.toFixed(3)}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Writes `series` as TSDB blocks into `tsdbDir` with `promtool tsdb create-blocks-from openmetrics`. */
export async function backfill(
  binaries: PrometheusBinaries,
  tsdbDir: string,
  series: readonly HistorySeries[],
): Promise<void> {
  mkdirSync(tsdbDir, { recursive: true });
  const file = path.join(tsdbDir, '..', `backfill-${process.pid}-${Date.now()}.om`);
  writeFileSync(file, openMetrics(series));
  try {
    await run(binaries.promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, tsdbDir]);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Prometheus' relabel replacement of the first capture group (a string, not a JS template). */
const GROUP_1 = '$' + '{1}';

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`))
        : resolve(stdout),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Prometheus

export interface PrometheusOptions {
  readonly binaries: PrometheusBinaries;
  /** Rule files by file name: each a `{ groups: [...] }` object (a PrometheusRule's `spec`) or YAML text. */
  readonly ruleFiles?: Readonly<Record<string, unknown>>;
  /** Scrape jobs (e.g. `serviceMonitorScrapeConfig(...)`). */
  readonly scrapeConfigs?: readonly Record<string, unknown>[];
  /** @default '1s' */
  readonly scrapeInterval?: string;
  /** @default '1s' */
  readonly evaluationInterval?: string;
  /** TSDB folder, e.g. one `backfill` wrote. @default - a fresh temporary folder */
  readonly tsdbDir?: string;
  /** More command-line flags. */
  readonly flags?: readonly string[];
}

/** An API answer's `data`. */
type Json = any;

/** An alert as `/api/v1/alerts` lists it. */
export interface ActiveAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
  readonly value: string;
}

/** A running Prometheus on a free port of 127.0.0.1. */
export class Prometheus {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly dir: string,
    private readonly ownDir: boolean,
  ) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  static async start(o: PrometheusOptions): Promise<Prometheus> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-prometheus-'));
    const ruleNames: string[] = [];
    for (const [name, content] of Object.entries(o.ruleFiles ?? {})) {
      writeFileSync(path.join(dir, name), typeof content === 'string' ? content : stringify(content));
      ruleNames.push(name);
    }
    const config = {
      global: {
        scrape_interval: o.scrapeInterval ?? '1s',
        scrape_timeout: '1s',
        evaluation_interval: o.evaluationInterval ?? '1s',
      },
      rule_files: ruleNames,
      scrape_configs: o.scrapeConfigs ?? [],
    };
    writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const tsdb = o.tsdbDir ?? path.join(dir, 'data');
    const child = spawn(
      o.binaries.prometheus,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Backfilled history reaches days back: keep it.
        '--storage.tsdb.retention.time=30d',
        '--log.level=warn',
        ...(o.flags ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prom = new Prometheus(child, `http://127.0.0.1:${port}`, dir, true);
    await prom.waitUntil(
      async () => (await fetch(`${prom.url}/-/ready`).catch(() => undefined))?.ok === true,
      30_000,
      'Prometheus to be ready',
    );
    return prom;
  }

  /** What Prometheus logged so far. */
  get log(): string {
    return this.output;
  }

  /** GET an API path; the answer's `data`, or an error with Prometheus' message. */
  async api(pathAndQuery: string, params: Record<string, string> = {}): Promise<Json> {
    const url = new URL(`${this.url}${pathAndQuery}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url);
    const body = (await res.json()) as Json;
    if (body.status !== 'success') throw new Error(`${url}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  /** An instant query: the vector's samples as `{ labels, value }` (a scalar as one sample without labels). */
  async query(expr: string, time?: number): Promise<{ labels: Record<string, string>; value: number }[]> {
    const data = await this.api('/api/v1/query', { query: expr, ...(time ? { time: String(time) } : {}) });
    if (data.resultType === 'scalar') return [{ labels: {}, value: Number(data.result[1]) }];
    if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    return data.result.map((r: Json) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /** Label sets of the series `match` selects. */
  async series(match: string): Promise<Record<string, string>[]> {
    return this.api('/api/v1/series', { 'match[]': match, start: '0' });
  }

  /** Pending and firing alerts. */
  async alerts(): Promise<ActiveAlert[]> {
    return (await this.api('/api/v1/alerts')).alerts;
  }

  /** Rule groups as loaded, with each rule's health and last error. */
  async rules(): Promise<Json[]> {
    return (await this.api('/api/v1/rules')).groups;
  }

  /** Scrape targets with their health. */
  async targets(): Promise<Json[]> {
    return (await this.api('/api/v1/targets')).activeTargets;
  }

  /** Waits until every target has been scraped at least `times` times from now on. */
  async waitForScrapes(times = 1, timeoutMs = 60_000): Promise<void> {
    const since = Date.now();
    const lastScrapes = async () => {
      const targets = await this.targets();
      return targets.map((t: Json) => new Date(t.lastScrape).getTime());
    };
    // Targets appear only after discovery's first update (up to 5 s after the start).
    let first: number[] = [];
    await this.waitUntil(
      async () => {
        first = await lastScrapes();
        return first.length > 0 && first.every((t) => t > since);
      },
      timeoutMs,
      'a first scrape of every target',
    );
    if (times <= 1) return;
    const intervals = (await this.targets()).map((t: Json) => durationMs(t.scrapeInterval ?? '1s'));
    await this.waitUntil(
      async () => (await lastScrapes()).every((t, i) => t >= first[i] + (times - 1) * intervals[i]),
      timeoutMs,
      `${times} scrapes of every target`,
    );
  }

  /** Waits until every rule group has been evaluated `times` times from now on. */
  async waitForEvaluations(times = 2, timeoutMs = 30_000): Promise<void> {
    const since = Date.now();
    await this.waitUntil(
      async () => {
        const groups = await this.rules();
        return (
          groups.length > 0 &&
          groups.every(
            (g: Json) => new Date(g.lastEvaluation).getTime() > since + (times - 1) * g.interval * 1000,
          )
        );
      },
      timeoutMs,
      `${times} evaluation(s) of every rule group`,
    );
  }

  /** Polls `check` until it holds, or fails after `timeoutMs` naming `what`, with Prometheus' log. */
  async waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`Prometheus exited (${this.child.exitCode}):\n${this.output}`);
      try {
        if (await check()) return;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}\n${this.output}`,
    );
  }

  /** Stops Prometheus and removes its folder (and TSDB, unless given). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Milliseconds of a Prometheus duration such as `1s`, `1m30s` or `500ms`. */
export function durationMs(d: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * unit[u];
  return total;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
