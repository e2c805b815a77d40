// The panels of the dashboard: titles, descriptions, units, queries and threshold lines, from the
// same definitions as the PrometheusRules. Grafana's JSON is made of them in ./grafana.ts.

import type { ObservabilityDefinitions } from '../observability/observability';
import { percent, promNumber, promSelector } from '../observability/promql';
import { durationMetric, requestRate, requestsMetric, sliMatchers } from '../observability/sli';
import { BURN_RATE_ALERTS, SLI_WINDOWS, type Slo } from '../observability/slo';
import type { DashboardQuery, DashboardRow, RowPanel } from './types';

/** The API as the workload panels read it. */
export interface ApiWorkload {
  /** Namespace of the API and its datastores. */
  readonly namespace: string;
  /** Name of the API's Deployment (or Rollout) and of its container. */
  readonly name: string;
  /** Ready pods the level needs at every moment. */
  readonly minReadyPods: number;
  /** The API's HorizontalPodAutoscaler; undefined without autoscaling. */
  readonly autoscaler?: { readonly name: string; readonly maxReplicas: number } | undefined;
  /**
   * Names of the level's workloads in the namespace (the API and the datastores that run in the
   * cluster): their pods, named `<workload>-…`, are the ones whose restarts the dashboard shows.
   */
  readonly workloads: readonly string[];
}

/** An in-cluster datastore as its panels read it. */
export interface DatastoreWorkload {
  readonly namespace: string;
  /** Name of the CloudNativePG Cluster or RedisReplication: its pods are `<name>-<ordinal>`. */
  readonly name: string;
}

/** Backups of PostgreSQL, for the backup age panel. */
export interface BackupWatch {
  /** The backup CronJob; undefined for no backup panel. */
  readonly cronJobName?: string | undefined;
  readonly maxAgeSeconds: number;
}

export function sloRow(defs: ObservabilityDefinitions): DashboardRow {
  return {
    title: 'Service level objectives',
    panels: defs.slos.flatMap((slo) => sloPanels(slo, defs)),
    graphWidth: 9,
  };
}

function sloPanels(slo: Slo, defs: ObservabilityDefinitions): RowPanel[] {
  const sel = promSelector(defs.seriesLabels);
  const budget = 1 - slo.objective;
  const name = capitalized(slo.name);
  const factors = [...new Set(BURN_RATE_ALERTS.flatMap((a) => a.conditions.map((c) => c.factor)))].sort(
    (a, b) => a - b,
  );
  return [
    {
      title: `${name} SLI`,
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
    },
    {
      title: `${name} error budget remaining (30 d)`,
      description: `Share of the 30-day ${slo.name} error budget (${percent(budget)} of requests) not yet spent: 1 − (bad ratio over 30 d) / budget. Below 0 the objective is missed.`,
      type: 'stat',
      unit: 'percentunit',
      queries: [{ expr: `1 - (${slo.ratio('30d')}) / ${promNumber(budget)}`, legend: 'budget remaining' }],
      thresholds: [
        { value: 0, color: 'red' },
        { value: 0.25, color: 'orange' },
        { value: 0.5, color: 'green' },
      ],
    },
    {
      title: `${name} burn rate per alert window`,
      description: `How many times faster than the 30-day budget allows the ${slo.name} budget burns, over each window of the burn-rate alerts; the lines are the alert factors (${BURN_RATE_ALERTS.flatMap((a) => a.conditions.map((c) => `${c.factor}x over ${c.long} and ${c.short}: ${a.response}`)).join('; ')}).`,
      type: 'timeseries',
      unit: 'x',
      queries: SLI_WINDOWS.map((w) => ({
        expr: `${slo.record(w)}${sel} / ${promNumber(budget)}`,
        legend: `burn rate, ${w}`,
      })),
      thresholds: [
        { value: 0, color: 'green' },
        ...factors.map((factor, i) => ({
          value: factor,
          color: i === factors.length - 1 ? 'red' : 'orange',
        })),
      ],
    },
  ];
}

export function trafficRow(defs: ObservabilityDefinitions): DashboardRow {
  const sel = `{${sliMatchers(defs.sliScope)}}`;
  const metric = `${durationMetric(defs.sliScope)}_bucket`;
  const source = defs.sliScope.source?.name ?? 'ingress-nginx';
  const status = defs.sliScope.source?.statusLabel ?? 'status';
  const threshold = defs.latencyThresholdSeconds;
  return {
    title: 'Traffic at the ingress',
    panels: [
      {
        title: 'Request rate',
        description: `Requests per second through the ${source === 'ingress-nginx' ? 'Ingress' : 'entry'}, as ${source} counts them: all, and by status class.`,
        type: 'timeseries',
        unit: 'reqps',
        queries: [
          { expr: requestRate(defs.sliScope, '5m'), legend: 'all' },
          {
            expr: `sum by (status_class) (label_replace(rate(${requestsMetric(defs.sliScope)}${sel}[5m]), "status_class", "\${1}xx", "${status}", "([0-9]).."))`,
            legend: '{{status_class}}',
          },
        ],
      },
      {
        title: 'Latency p50 / p95 / p99',
        description: `Request duration percentiles from ${source}'s histogram (interpolated within its buckets); the line is the latency SLO's threshold, ${threshold} s.`,
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
    ],
  };
}

export function workloadRow(api: ApiWorkload): DashboardRow {
  const { namespace, name, autoscaler } = api;
  const ns = { namespace };
  const deployment = promSelector({ ...ns, deployment: name });
  // Pods of the Deployment (or of a Rollout of the same name): <name>-<template hash>-<suffix>.
  const apiPods = promSelector({ ...ns, container: name }, { pod: `${name}-[a-z0-9]+-[a-z0-9]+` });
  const resource = (kind: 'requests' | 'limits', r: 'cpu' | 'memory') =>
    `max(kube_pod_container_resource_${kind}${promSelector({ ...ns, container: name, resource: r })})`;
  const podQueries: DashboardQuery[] = [
    { expr: `kube_deployment_status_replicas_available${deployment}`, legend: 'ready (available)' },
    { expr: `kube_deployment_spec_replicas${deployment}`, legend: 'desired' },
  ];
  if (autoscaler) {
    const hpa = promSelector({ ...ns, horizontalpodautoscaler: autoscaler.name });
    podQueries.push(
      { expr: `kube_horizontalpodautoscaler_status_current_replicas${hpa}`, legend: 'autoscaler current' },
      { expr: `kube_horizontalpodautoscaler_status_desired_replicas${hpa}`, legend: 'autoscaler desired' },
      { expr: `kube_horizontalpodautoscaler_spec_max_replicas${hpa}`, legend: 'autoscaler maximum' },
    );
  }
  const workloadPods = promSelector(ns, { pod: `(${api.workloads.join('|')})-.+` });
  return {
    title: 'API workload',
    panels: [
      {
        title: autoscaler ? 'API pods: ready vs desired, autoscaler' : 'API pods: ready vs desired',
        description: `Deployment ${namespace}/${name} (kube-state-metrics): available replicas against the desired count${autoscaler ? `, and the autoscaler's current, desired and maximum (${autoscaler.maxReplicas}) replicas` : ''}. The level needs ${api.minReadyPods} ready pods at every moment.`,
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
          { expr: resource('requests', 'cpu'), legend: 'request' },
          { expr: resource('limits', 'cpu'), legend: 'limit' },
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
          { expr: resource('requests', 'memory'), legend: 'request' },
          { expr: resource('limits', 'memory'), legend: 'limit' },
        ],
      },
      {
        title: 'Container restarts and OOM kills',
        description: `Restarts per container over the last hour, and containers whose last termination was an OOM kill, in namespace ${namespace} (API and datastores).`,
        type: 'timeseries',
        unit: 'short',
        queries: [
          {
            expr: `sum by (pod, container) (increase(kube_pod_container_status_restarts_total${workloadPods}[1h]))`,
            legend: 'restarts {{pod}}/{{container}}',
          },
          {
            expr: `sum by (pod, container) (kube_pod_container_status_last_terminated_reason${promSelector({ ...ns, reason: 'OOMKilled' })})`,
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
            expr: `1 - kubelet_volume_stats_available_bytes${promSelector(ns)} / kubelet_volume_stats_capacity_bytes${promSelector(ns)}`,
            legend: '{{persistentvolumeclaim}}',
          },
        ],
        thresholds: [
          { value: 0, color: 'green' },
          { value: 0.9, color: 'red' },
        ],
      },
    ],
  };
}

export function postgresRow(postgres: DatastoreWorkload, backup: BackupWatch): DashboardRow {
  const { namespace, name } = postgres;
  const pods = promSelector({ namespace }, { pod: `${name}-[0-9]+` });
  const panels: RowPanel[] = [
    {
      title: 'PostgreSQL instances up',
      description: `cnpg_collector_up of each instance of Cluster ${namespace}/${name}: 1 when its exporter reaches PostgreSQL.`,
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
  const cronJob = backup.cronJobName;
  if (cronJob !== undefined) {
    panels.push({
      title: 'Last backup age',
      description: `Time since CronJob ${namespace}/${cronJob} last completed a pg_dump (kube-state-metrics); the line is the alert's limit, ${promNumber(backup.maxAgeSeconds / 3600)} h.`,
      type: 'stat',
      unit: 's',
      queries: [
        {
          expr: `time() - kube_cronjob_status_last_successful_time${promSelector({ namespace, cronjob: cronJob })}`,
          legend: cronJob,
        },
      ],
      thresholds: [
        { value: 0, color: 'green' },
        { value: backup.maxAgeSeconds, color: 'red' },
      ],
    });
  }
  return { title: 'PostgreSQL (CloudNativePG)', panels };
}

export function redisRow(redis: DatastoreWorkload): DashboardRow {
  const { namespace, name } = redis;
  const pods = promSelector({ namespace }, { pod: `${name}-[0-9]+` });
  const rate = (metric: string) => `sum(rate(${metric}${pods}[5m]))`;
  return {
    title: 'Redis (redis_exporter)',
    panels: [
      {
        title: 'Redis instances up',
        description: `redis_up of each data pod of RedisReplication ${namespace}/${name}: 1 when its exporter reaches Redis.`,
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
    ],
  };
}

/** `availability` as `Availability`. */
function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
