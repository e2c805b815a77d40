import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MerlaiApi } from './api/api';
import { invalidProp } from './core/errors';
import { selectorLabels } from './core/labels';
import { requireDnsLabel } from './core/validation';
import type { MerlaiDatastores } from './datastores/datastores';
import { POSTGRES_NAME } from './datastores/postgres/constants';
import { REDIS_NAME } from './datastores/redis/constants';
import type { MerlaiObservability } from './observability/observability';
import { requestRate, sliMatchers } from './observability/sli';
import { BURN_RATE_ALERTS, SLI_WINDOWS, type Slo } from './observability/slo';

const TYPE = 'MerlaiDashboard';

/**
 * The label kube-prometheus-stack's Grafana sidecar discovers dashboard ConfigMaps by
 * (`grafana.sidecar.dashboards.label` / `labelValue` of the chart's values).
 */
export const GRAFANA_DASHBOARD_LABELS: Readonly<Record<string, string>> = { grafana_dashboard: '1' };

/** A line drawn on a panel: a value and its colour. */
export interface DashboardThreshold {
  readonly value: number;
  readonly color: string;
}

/** Grafana's dashboard JSON schema version the generated model follows (Grafana 11 and later read it as is). */
export const GRAFANA_SCHEMA_VERSION = 39;

/** Everything a team may override on `MerlaiDashboard`. */
export interface MerlaiDashboardOptions {
  /**
   * Labels of the dashboard ConfigMap, by which Grafana's sidecar finds it.
   * @default GRAFANA_DASHBOARD_LABELS - `grafana_dashboard: "1"`, kube-prometheus-stack's default
   */
  readonly discoveryLabels?: { readonly [key: string]: string } | undefined;
  /**
   * Namespace of the dashboard ConfigMap. kube-prometheus-stack's sidecar searches Grafana's own
   * namespace unless `grafana.sidecar.dashboards.searchNamespace` says otherwise (e.g. `ALL`).
   * @default - the chart's namespace
   */
  readonly namespace?: string | undefined;
  /**
   * Grafana folder the sidecar puts the dashboard in (the `grafana_folder` annotation, read when
   * the sidecar's `folderAnnotation` is `grafana_folder`).
   * @default - no annotation: the sidecar's default folder
   */
  readonly folder?: string | undefined;
}

/** Props of `MerlaiDashboard`. */
export interface MerlaiDashboardProps extends MerlaiDashboardOptions {
  /** The API whose pods and autoscaler the workload panels show. */
  readonly api: MerlaiApi;
  /** The rules whose SLO definitions the SLI, budget and burn-rate panels reuse. */
  readonly observability: MerlaiObservability;
  /** The datastores: PostgreSQL and Redis panels when they run in the cluster with their exporters. */
  readonly datastores?: MerlaiDatastores | undefined;
}

/** One query of a panel, as Grafana's Prometheus data source reads it. */
export interface DashboardQuery {
  readonly expr: string;
  /** Legend of the series (`{{pod}}` style placeholders allowed). */
  readonly legend: string;
}

/** One panel as generated: what the README lists and the panel-query test runs. */
export interface DashboardPanel {
  /** Title of the row the panel sits in. */
  readonly row: string;
  readonly title: string;
  readonly description: string;
  /** Grafana panel plugin: `timeseries` or `stat`. */
  readonly type: 'timeseries' | 'stat';
  /** Grafana unit id, e.g. `percentunit`, `reqps`, `s`, `bytes`. */
  readonly unit: string;
  readonly queries: DashboardQuery[];
  /** Lines drawn on the panel (objectives, burn-rate factors, limits), from the same definitions as the rules. */
  readonly thresholds?: DashboardThreshold[] | undefined;
}

interface Row {
  readonly title: string;
  readonly panels: Omit<DashboardPanel, 'row'>[];
  /** Width of a graph in Grafana's 24 columns (a stat is 6). @default 12 */
  readonly graphWidth?: number | undefined;
}

/**
 * A Grafana dashboard for one monitored level, built from the same SLO definitions as the
 * PrometheusRules (`MerlaiObservability._definitions`): SLIs against their objectives, error budget
 * left over 30 days, burn rate per alert window, request rate and latency percentiles at
 * ingress-nginx, the API's pods, autoscaler, CPU, memory, restarts and OOM kills, volumes, and
 * PostgreSQL (CloudNativePG exporter) and Redis (redis_exporter) when they run in the cluster.
 * Shipped as ConfigMap `<instance>-dashboard` labelled for kube-prometheus-stack's Grafana sidecar;
 * `json` is the same document (the app writes it to `dist/<level>.dashboard.json`).
 */
export class MerlaiDashboard extends Construct {
  /** The dashboard's Grafana JSON model. */
  public readonly json: Record<string, unknown>;
  /** Every panel with its queries, in dashboard order. */
  public readonly panels: DashboardPanel[];
  /** Grafana uid of the dashboard. */
  public readonly uid: string;
  public readonly configMap: k8s.KubeConfigMap;
  /** Key of the dashboard file in the ConfigMap. */
  public readonly fileName: string;

  constructor(scope: Construct, id: string, props: MerlaiDashboardProps) {
    super(scope, id);
    const api = props.api;
    const profile = api.profile;
    const defs = props.observability._definitions;
    const discovery = { ...(props.discoveryLabels ?? GRAFANA_DASHBOARD_LABELS) };
    if (Object.keys(discovery).length === 0) {
      invalidProp(
        this,
        TYPE,
        'discoveryLabels',
        discovery,
        "expected at least one label for Grafana's sidecar to find the ConfigMap by, e.g. { grafana_dashboard: '1' }",
      );
    }
    for (const [key, value] of Object.entries(discovery)) {
      if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key)) {
        invalidProp(
          this,
          TYPE,
          'discoveryLabels',
          key,
          'expected a Kubernetes label key such as grafana_dashboard',
        );
      }
      if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(value)) {
        invalidProp(
          this,
          TYPE,
          `discoveryLabels.${key}`,
          value,
          "expected a Kubernetes label value such as '1' (63 characters at most, alphanumeric at both ends)",
        );
      }
    }
    if (props.namespace !== undefined) requireDnsLabel(this, TYPE, 'namespace', props.namespace);
    if (props.folder !== undefined && !/^[^/\n]{1,100}$/.test(props.folder)) {
      invalidProp(
        this,
        TYPE,
        'folder',
        props.folder,
        'expected a folder name of 1 to 100 characters without / or a newline',
      );
    }

    const instance = api.selectorLabels['app.kubernetes.io/instance'] ?? 'merlai';
    const ns = defs.namespace;
    const rows: Row[] = [
      { title: 'Service level objectives', panels: sloPanels(defs.slos, defs.seriesLabels), graphWidth: 9 },
      { title: 'Traffic at the ingress', panels: trafficPanels(defs) },
      { title: 'API workload', panels: workloadPanels(api, ns) },
    ];
    const datastores = props.datastores;
    if (datastores?.postgres.node.tryFindChild('pod-monitor')) {
      rows.push({
        title: 'PostgreSQL (CloudNativePG)',
        panels: postgresPanels(ns, defs.backupCronJobName, defs.backupMaxAgeSeconds),
      });
    }
    if (datastores?.redis.node.tryFindChild('pod-monitor')) {
      rows.push({ title: 'Redis (redis_exporter)', panels: redisPanels(ns) });
    }
    this.panels = rows.flatMap((r) => r.panels.map((p) => ({ row: r.title, ...p })));

    this.uid = `${instance}-${profile.chartId}`.slice(0, 40);
    const title = `Merlai API: Level ${profile.number} (${profile.environment}, ${percent(profile.availabilityTarget)})`;
    this.json = grafanaModel(this.uid, title, profile.environment, rows, defs.runbookBaseUrl);
    this.fileName = `${instance}-${profile.chartId}.json`;

    const name = `${instance}-dashboard`;
    this.configMap = new k8s.KubeConfigMap(this, 'config-map', {
      metadata: {
        name,
        ...(props.namespace !== undefined ? { namespace: props.namespace } : {}),
        labels: { ...selectorLabels(name, 'monitoring', instance), ...discovery },
        ...(props.folder !== undefined ? { annotations: { grafana_folder: props.folder } } : {}),
      },
      data: { [this.fileName]: dashboardText(this.json) },
    });
  }
}

/** The dashboard as the file Grafana and `dist/` get: two-space JSON with a final newline. */
export function dashboardText(json: Record<string, unknown>): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

function sloPanels(slos: readonly Slo[], seriesLabels: Readonly<Record<string, string>>): Row['panels'] {
  const sel = labelSelector(seriesLabels);
  const panels: Row['panels'] = [];
  for (const slo of slos) {
    const budget = 1 - slo.objective;
    panels.push({
      title: `${title(slo.name)} SLI`,
      description: `Share of good requests (not ${slo.bad}) over 5 minutes and 1 hour, from the rules' recording series; the line is the objective, ${percent(slo.objective)}.`,
      type: 'timeseries',
      unit: 'percentunit',
      queries: ['5m', '1h'].map((w) => ({
        expr: `1 - ${slo.record(w)}${sel}`,
        legend: `good requests, ${w}`,
      })),
      thresholds: [
        { value: 0, color: 'red' },
        { value: slo.objective, color: 'green' },
      ],
    });
    panels.push({
      title: `${title(slo.name)} error budget remaining (30 d)`,
      description: `Share of the 30-day ${slo.name} error budget (${percent(budget)} of requests) not yet spent: 1 − (bad ratio over 30 d) / budget. Below 0 the objective is missed.`,
      type: 'stat',
      unit: 'percentunit',
      queries: [{ expr: `1 - (${slo.ratio('30d')}) / ${promNumber(budget)}`, legend: 'budget remaining' }],
      thresholds: [
        { value: 0, color: 'red' },
        { value: 0.25, color: 'orange' },
        { value: 0.5, color: 'green' },
      ],
    });
    panels.push({
      title: `${title(slo.name)} burn rate per alert window`,
      description: `How many times faster than the 30-day budget allows the ${slo.name} budget burns, over each window of the burn-rate alerts; the lines are the alert factors (${BURN_RATE_ALERTS.flatMap((a) => a.conditions.map((c) => `${c.factor}x over ${c.long} and ${c.short}: ${a.response}`)).join('; ')}).`,
      type: 'timeseries',
      unit: 'x',
      queries: SLI_WINDOWS.map((w) => ({
        expr: `${slo.record(w)}${sel} / ${promNumber(budget)}`,
        legend: `burn rate, ${w}`,
      })),
      thresholds: [
        { value: 0, color: 'green' },
        ...[...new Set(BURN_RATE_ALERTS.flatMap((a) => a.conditions.map((c) => c.factor)))]
          .sort((a, b) => a - b)
          .map((factor, i, all) => ({ value: factor, color: i === all.length - 1 ? 'red' : 'orange' })),
      ],
    });
  }
  return panels;
}

function trafficPanels(defs: MerlaiObservability['_definitions']): Row['panels'] {
  const sel = `{${sliMatchers(defs.sliScope)}}`;
  const metric = 'nginx_ingress_controller_request_duration_seconds_bucket';
  const threshold = defs.latencyThresholdSeconds;
  return [
    {
      title: 'Request rate',
      description:
        'Requests per second through the Ingress, as ingress-nginx counts them: all, and by status class.',
      type: 'timeseries',
      unit: 'reqps',
      queries: [
        { expr: requestRate(defs.sliScope, '5m'), legend: 'all' },
        {
          expr: `sum by (status_class) (label_replace(rate(nginx_ingress_controller_requests${sel}[5m]), "status_class", "\${1}xx", "status", "([0-9]).."))`,
          legend: '{{status_class}}',
        },
      ],
    },
    {
      title: 'Latency p50 / p95 / p99',
      description: `Request duration percentiles from ingress-nginx's histogram (interpolated within its buckets); the line is the latency SLO's threshold, ${threshold} s.`,
      type: 'timeseries',
      unit: 's',
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${metric}${sel}[5m])))`,
        legend: `p${Math.round(q * 100)}`,
      })),
      thresholds: [
        { value: 0, color: 'green' },
        { value: threshold, color: 'red' },
      ],
    },
  ];
}

function workloadPanels(api: MerlaiApi, namespace: string): Row['panels'] {
  const ns = { namespace };
  const deployment = labelSelector({ ...ns, deployment: api.name });
  // Pods of the Deployment (or of a Rollout of the same name): <name>-<template hash>-<suffix>.
  const apiPods = labelSelector({ ...ns, container: api.name }, { pod: `${api.name}-[a-z0-9]+-[a-z0-9]+` });
  const podQueries: DashboardQuery[] = [
    { expr: `kube_deployment_status_replicas_available${deployment}`, legend: 'ready (available)' },
    { expr: `kube_deployment_spec_replicas${deployment}`, legend: 'desired' },
  ];
  if (api.autoscaling) {
    const hpa = labelSelector({ ...ns, horizontalpodautoscaler: `${api.name}-hpa` });
    podQueries.push(
      { expr: `kube_horizontalpodautoscaler_status_current_replicas${hpa}`, legend: 'autoscaler current' },
      { expr: `kube_horizontalpodautoscaler_status_desired_replicas${hpa}`, legend: 'autoscaler desired' },
      { expr: `kube_horizontalpodautoscaler_spec_max_replicas${hpa}`, legend: 'autoscaler maximum' },
    );
  }
  const merlaiPods = labelSelector(ns, { pod: `${api.name.split('-')[0]}-.+` });
  const panels: Row['panels'] = [
    {
      title: api.autoscaling ? 'API pods: ready vs desired, autoscaler' : 'API pods: ready vs desired',
      description: `Deployment ${namespace}/${api.name} (kube-state-metrics): available replicas against the desired count${api.autoscaling ? `, and the autoscaler's current, desired and maximum (${api.autoscaling.maxReplicas}) replicas` : ''}. The level needs ${api.profile.minReadyApiPods} ready pods at every moment.`,
      type: 'timeseries',
      unit: 'short',
      queries: podQueries,
    },
    {
      title: 'API CPU vs requests and limits',
      description:
        'CPU cores each API container uses (cAdvisor), against its request and limit (kube-state-metrics).',
      type: 'timeseries',
      unit: 'short',
      queries: [
        { expr: `sum by (pod) (rate(container_cpu_usage_seconds_total${apiPods}[5m]))`, legend: '{{pod}}' },
        {
          expr: `max(kube_pod_container_resource_requests${labelSelector({ ...ns, container: api.name, resource: 'cpu' })})`,
          legend: 'request',
        },
        {
          expr: `max(kube_pod_container_resource_limits${labelSelector({ ...ns, container: api.name, resource: 'cpu' })})`,
          legend: 'limit',
        },
      ],
    },
    {
      title: 'API memory vs requests and limits',
      description:
        'Working-set memory of each API container (cAdvisor; what the kernel OOM-kills on), against its request and limit.',
      type: 'timeseries',
      unit: 'bytes',
      queries: [
        { expr: `sum by (pod) (container_memory_working_set_bytes${apiPods})`, legend: '{{pod}}' },
        {
          expr: `max(kube_pod_container_resource_requests${labelSelector({ ...ns, container: api.name, resource: 'memory' })})`,
          legend: 'request',
        },
        {
          expr: `max(kube_pod_container_resource_limits${labelSelector({ ...ns, container: api.name, resource: 'memory' })})`,
          legend: 'limit',
        },
      ],
    },
    {
      title: 'Container restarts and OOM kills',
      description: `Restarts per container over the last hour, and containers whose last termination was an OOM kill, in namespace ${namespace} (API and datastores).`,
      type: 'timeseries',
      unit: 'short',
      queries: [
        {
          expr: `sum by (pod, container) (increase(kube_pod_container_status_restarts_total${merlaiPods}[1h]))`,
          legend: 'restarts {{pod}}/{{container}}',
        },
        {
          expr: `sum by (pod, container) (kube_pod_container_status_last_terminated_reason${labelSelector({ ...ns, reason: 'OOMKilled' })})`,
          legend: 'last terminated OOMKilled {{pod}}/{{container}}',
        },
      ],
    },
    {
      title: 'Volume usage',
      description: `Used share of each PersistentVolumeClaim in namespace ${namespace} (kubelet); the workload alert fires above 90 %.`,
      type: 'timeseries',
      unit: 'percentunit',
      queries: [
        {
          expr: `1 - kubelet_volume_stats_available_bytes${labelSelector(ns)} / kubelet_volume_stats_capacity_bytes${labelSelector(ns)}`,
          legend: '{{persistentvolumeclaim}}',
        },
      ],
      thresholds: [
        { value: 0, color: 'green' },
        { value: 0.9, color: 'red' },
      ],
    },
  ];
  return panels;
}

function postgresPanels(
  namespace: string,
  backupCronJob: string | undefined,
  backupMaxAgeSeconds: number,
): Row['panels'] {
  const pods = labelSelector({ namespace }, { pod: `${POSTGRES_NAME}-[0-9]+` });
  const panels: Row['panels'] = [
    {
      title: 'PostgreSQL instances up',
      description: `cnpg_collector_up of each instance of Cluster ${namespace}/${POSTGRES_NAME}: 1 when its exporter reaches PostgreSQL.`,
      type: 'stat',
      unit: 'short',
      queries: [{ expr: `cnpg_collector_up${pods}`, legend: '{{pod}}' }],
      thresholds: [
        { value: 0, color: 'red' },
        { value: 1, color: 'green' },
      ],
    },
    {
      title: 'PostgreSQL replication lag',
      description:
        'Seconds each standby replays behind the primary (cnpg_pg_replication_lag; 0 on the primary).',
      type: 'timeseries',
      unit: 's',
      queries: [{ expr: `cnpg_pg_replication_lag${pods}`, legend: '{{pod}}' }],
    },
    {
      title: 'PostgreSQL connections',
      description: 'Backends (client connections) per instance, all states (cnpg_backends_total).',
      type: 'timeseries',
      unit: 'short',
      queries: [{ expr: `sum by (pod) (cnpg_backends_total${pods})`, legend: '{{pod}}' }],
    },
    {
      title: 'PostgreSQL database size',
      description: 'Size of each database on the primary and standbys (cnpg_pg_database_size_bytes).',
      type: 'timeseries',
      unit: 'bytes',
      queries: [{ expr: `max by (datname) (cnpg_pg_database_size_bytes${pods})`, legend: '{{datname}}' }],
    },
  ];
  if (backupCronJob !== undefined) {
    panels.push({
      title: 'Last backup age',
      description: `Time since CronJob ${namespace}/${backupCronJob} last completed a pg_dump (kube-state-metrics); the line is the alert's limit, ${promNumber(backupMaxAgeSeconds / 3600)} h.`,
      type: 'stat',
      unit: 's',
      queries: [
        {
          expr: `time() - kube_cronjob_status_last_successful_time${labelSelector({ namespace, cronjob: backupCronJob })}`,
          legend: backupCronJob,
        },
      ],
      thresholds: [
        { value: 0, color: 'green' },
        { value: backupMaxAgeSeconds, color: 'red' },
      ],
    });
  }
  return panels;
}

function redisPanels(namespace: string): Row['panels'] {
  const pods = labelSelector({ namespace }, { pod: `${REDIS_NAME}-[0-9]+` });
  const rate = (metric: string) => `sum(rate(${metric}${pods}[5m]))`;
  return [
    {
      title: 'Redis instances up',
      description: `redis_up of each data pod of RedisReplication ${namespace}/${REDIS_NAME}: 1 when its exporter reaches Redis.`,
      type: 'stat',
      unit: 'short',
      queries: [{ expr: `redis_up${pods}`, legend: '{{pod}}' }],
      thresholds: [
        { value: 0, color: 'red' },
        { value: 1, color: 'green' },
      ],
    },
    {
      title: 'Redis memory vs maxmemory',
      description: 'Memory Redis uses, against its maxmemory (past it, allkeys-lru evicts keys).',
      type: 'timeseries',
      unit: 'bytes',
      queries: [
        { expr: `redis_memory_used_bytes${pods}`, legend: 'used {{pod}}' },
        { expr: `max(redis_memory_max_bytes${pods})`, legend: 'maxmemory' },
      ],
    },
    {
      title: 'Redis evictions',
      description:
        'Keys evicted per second to stay under maxmemory (a cache that evicts constantly is too small).',
      type: 'timeseries',
      unit: 'short',
      queries: [{ expr: `sum by (pod) (rate(redis_evicted_keys_total${pods}[5m]))`, legend: '{{pod}}' }],
    },
    {
      title: 'Redis cache hit ratio',
      description: 'Share of key lookups that found their key, over 5 minutes.',
      type: 'timeseries',
      unit: 'percentunit',
      queries: [
        {
          expr: `${rate('redis_keyspace_hits_total')} / (${rate('redis_keyspace_hits_total')} + ${rate('redis_keyspace_misses_total')})`,
          legend: 'hit ratio',
        },
      ],
    },
  ];
}

/** The Grafana JSON model: rows of panels, a Prometheus data source variable, UTC, refreshed every minute. */
function grafanaModel(
  uid: string,
  title: string,
  environment: string,
  rows: Row[],
  runbooks: string,
): Record<string, unknown> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's reference to the dashboard variable, not a JS template.
  const datasource = { type: 'prometheus', uid: '${datasource}' };
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      type: 'row',
      id: id++,
      title: row.title,
      collapsed: false,
      panels: [],
      gridPos: { h: 1, w: 24, x: 0, y },
    });
    y += 1;
    // Left to right, wrapping at Grafana's 24 columns: stats a quarter wide, graphs half.
    let x = 0;
    let lineHeight = 0;
    for (const p of row.panels) {
      const w = p.type === 'stat' ? 6 : (row.graphWidth ?? 12);
      const h = 8;
      if (x + w > 24) {
        x = 0;
        y += lineHeight;
        lineHeight = 0;
      }
      panels.push(panelModel(p, id++, datasource, { h, w, x, y }));
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return {
    uid,
    title,
    description:
      'Generated by merlai-cdk8s from the same SLO definitions as the PrometheusRules; do not edit in Grafana.',
    tags: ['merlai', environment, 'generated'],
    timezone: 'utc',
    editable: false,
    graphTooltip: 1,
    refresh: '1m',
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    annotations: { list: [] },
    links: [
      {
        title: 'Runbooks',
        tooltip: 'What each Merlai alert means and what to do',
        type: 'link',
        url: runbooks,
        icon: 'doc',
        asDropdown: false,
        includeVars: false,
        keepTime: false,
        tags: [],
        targetBlank: true,
      },
    ],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          hide: 0,
          refresh: 1,
          includeAll: false,
          multi: false,
          options: [],
          regex: '',
          skipUrlSync: false,
        },
      ],
    },
    panels,
  };
}

function panelModel(
  p: Omit<DashboardPanel, 'row'>,
  id: number,
  datasource: { type: string; uid: string },
  gridPos: { h: number; w: number; x: number; y: number },
): Record<string, unknown> {
  const thresholds = {
    mode: 'absolute',
    steps: (p.thresholds ?? [{ value: 0, color: 'green' }]).map((t, i) => ({
      color: t.color,
      value: i === 0 ? null : t.value,
    })),
  };
  const defaults: Record<string, unknown> = {
    unit: p.unit,
    thresholds,
    color: { mode: p.type === 'stat' ? 'thresholds' : 'palette-classic' },
  };
  if (p.type === 'timeseries') {
    defaults.custom = {
      thresholdsStyle: { mode: p.thresholds ? 'line' : 'off' },
      showPoints: 'never',
      lineWidth: 1,
      fillOpacity: 0,
    };
  }
  const options =
    p.type === 'stat'
      ? {
          reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
          colorMode: 'value',
          graphMode: 'area',
          textMode: 'auto',
          justifyMode: 'auto',
          percentChangeColorMode: 'standard',
          showPercentChange: false,
          wideLayout: true,
          orientation: 'auto',
        }
      : {
          legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
          tooltip: { mode: 'multi', sort: 'none' },
        };
  return {
    type: p.type,
    id,
    title: p.title,
    description: p.description,
    datasource,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
      instant: false,
    })),
  };
}

/** `{a="x",b=~"y"}` from equality and regular-expression matchers. */
function labelSelector(equal: Record<string, string>, regex: Record<string, string> = {}): string {
  const matchers = [
    ...Object.entries(equal).map(([k, v]) => `${k}="${v}"`),
    ...Object.entries(regex).map(([k, v]) => `${k}=~"${v}"`),
  ];
  return `{${matchers.join(',')}}`;
}

function title(name: string): string {
  return name[0].toUpperCase() + name.slice(1);
}

function promNumber(x: number): string {
  return String(Number(x.toPrecision(12)));
}

function percent(fraction: number): string {
  return `${promNumber(fraction * 100)} %`;
}
