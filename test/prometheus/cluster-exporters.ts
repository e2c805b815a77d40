/**
 * The cluster's own exporters, as the dashboards read them, for one level's pods: kube-state-metrics
 * (deployment, autoscaler, pod container and CronJob families), the kubelet's cAdvisor and volume
 * stats, CloudNativePG's instance exporter and redis_exporter. Names and labels as those exporters
 * expose them:
 *
 * - kube-state-metrics docs/metrics/workload/{deployment,horizontalpodautoscaler,pod,cronjob}-metrics.md:
 *   `kube_deployment_status_replicas_available{namespace,deployment}`,
 *   `kube_horizontalpodautoscaler_status_current_replicas{namespace,horizontalpodautoscaler}`,
 *   `kube_pod_container_resource_requests{namespace,pod,uid,container,node,resource,unit}`,
 *   `kube_pod_container_status_last_terminated_reason{namespace,pod,uid,container,reason}`, …
 *   (scraped with `honorLabels: true`, as kube-prometheus-stack does, so these labels are kept);
 * - cAdvisor through the kubelet's `/metrics/cadvisor`: `container_cpu_usage_seconds_total` and
 *   `container_memory_working_set_bytes{container,id,image,name,namespace,pod}`; the kubelet's
 *   `kubelet_volume_stats_{available,capacity}_bytes{namespace,persistentvolumeclaim}`;
 * - CloudNativePG (cloudnative-pg docs/src/monitoring.md, config/manager/default-monitoring.yaml):
 *   `cnpg_collector_up{cluster}`, `cnpg_pg_replication_lag`, `cnpg_backends_total{datname,usename,
 *   application_name,state}`, `cnpg_pg_database_size_bytes{datname}`, one exporter per instance pod
 *   (no namespace or pod label of its own: the PodMonitor's relabelling adds them);
 * - redis_exporter (oliver006/redis_exporter exporter/exporter.go): `redis_up`, `redis_memory_used_bytes`,
 *   `redis_memory_max_bytes` (maxmemory), `redis_evicted_keys_total`, `redis_keyspace_hits_total`,
 *   `redis_keyspace_misses_total`, `redis_master_link_up{master_host,master_port}`, one per Redis pod.
 */
import { type LevelProfile, POSTGRES_NAME, parseQuantity, REDIS_NAME } from '../../lib';
import type { MetricFamily, Sample } from '../support/prometheus';

const NODE = 'worker-1';

/** Pod names of one level, as their controllers name them. */
export function podNames(profile: LevelProfile): { api: string[]; postgres: string[]; redis: string[] } {
  const apiCount = profile.autoscaling?.minReplicas ?? profile.replicas ?? 1;
  const suffixes = ['x7k2p', 'q9m4t', 'z3c8w', 'b5n1r'];
  return {
    api: suffixes.slice(0, apiCount).map((s) => `merlai-api-6d8f7c9b54-${s}`),
    postgres: Array.from(
      { length: profile.datastores.postgresInstances },
      (_, i) => `${POSTGRES_NAME}-${i + 1}`,
    ),
    redis: Array.from({ length: profile.datastores.redisInstances }, (_, i) => `${REDIS_NAME}-${i}`),
  };
}

function gauge(name: string, samples: Sample[]): MetricFamily {
  return { name, help: name, type: 'gauge', samples };
}
function counter(name: string, samples: Sample[]): MetricFamily {
  return { name, help: name, type: 'counter', samples };
}

/** kube-state-metrics at time `t` (Unix seconds). */
export function kubeStateMetrics(profile: LevelProfile, namespace: string, t: number): MetricFamily[] {
  const pods = podNames(profile);
  const replicas = pods.api.length;
  const deployment = { namespace, deployment: 'merlai-api' };
  const families: MetricFamily[] = [
    gauge('kube_deployment_spec_replicas', [{ labels: deployment, value: replicas }]),
    gauge('kube_deployment_status_replicas_available', [{ labels: deployment, value: replicas - 1 }]),
    gauge('kube_deployment_status_replicas_unavailable', [{ labels: deployment, value: 1 }]),
  ];
  if (profile.autoscaling) {
    const hpa = { namespace, horizontalpodautoscaler: 'merlai-api-hpa' };
    families.push(
      gauge('kube_horizontalpodautoscaler_spec_min_replicas', [
        { labels: hpa, value: profile.autoscaling.minReplicas },
      ]),
      gauge('kube_horizontalpodautoscaler_spec_max_replicas', [
        { labels: hpa, value: profile.autoscaling.maxReplicas },
      ]),
      gauge('kube_horizontalpodautoscaler_status_current_replicas', [{ labels: hpa, value: replicas }]),
      gauge('kube_horizontalpodautoscaler_status_desired_replicas', [{ labels: hpa, value: replicas }]),
    );
  }
  const containers = [
    ...pods.api.map((pod, i) => ({
      pod,
      container: 'merlai-api',
      uid: `uid-api-${i}`,
      resources: profile.resources,
    })),
    ...pods.postgres.map((pod, i) => ({
      pod,
      container: 'postgres',
      uid: `uid-pg-${i}`,
      resources: profile.datastores.postgresResources,
    })),
    ...pods.redis.map((pod, i) => ({
      pod,
      container: 'merlai-redis',
      uid: `uid-redis-${i}`,
      resources: profile.datastores.redisResources,
    })),
  ];
  const resource = (kind: 'requests' | 'limits') =>
    containers.flatMap((c) => {
      const labels = { namespace, pod: c.pod, uid: c.uid, container: c.container, node: NODE };
      const cpu = kind === 'requests' ? c.resources.cpuRequest : c.resources.cpuLimit;
      const memory = kind === 'requests' ? c.resources.memoryRequest : c.resources.memoryLimit;
      return [
        { labels: { ...labels, resource: 'cpu', unit: 'core' }, value: parseQuantity(cpu) ?? Number.NaN },
        {
          labels: { ...labels, resource: 'memory', unit: 'byte' },
          value: parseQuantity(memory) ?? Number.NaN,
        },
      ];
    });
  families.push(
    gauge('kube_pod_container_resource_requests', resource('requests')),
    gauge('kube_pod_container_resource_limits', resource('limits')),
    counter(
      'kube_pod_container_status_restarts_total',
      containers.map((c, i) => ({
        labels: { namespace, pod: c.pod, uid: c.uid, container: c.container },
        // The first API container restarts every 20 s: increase() over an hour sees it.
        value: i === 0 ? Math.floor(t / 20) - 88_000_000 : 0,
      })),
    ),
    gauge('kube_pod_container_status_last_terminated_reason', [
      {
        labels: {
          namespace,
          pod: containers[0].pod,
          uid: containers[0].uid,
          container: containers[0].container,
          reason: 'OOMKilled',
        },
        value: 1,
      },
    ]),
    gauge('kube_cronjob_status_last_successful_time', [
      { labels: { namespace, cronjob: 'merlai-postgres-backup' }, value: Math.floor(t) - 3 * 3600 },
    ]),
  );
  return families;
}

/** The kubelet's cAdvisor and volume-stats series at time `t`. */
export function kubeletMetrics(profile: LevelProfile, namespace: string, t: number): MetricFamily[] {
  const pods = podNames(profile);
  const cadvisor = (pod: string, container: string) => ({
    container,
    id: `/kubepods/burstable/pod-${pod}/${container}`,
    image: container === 'merlai-api' ? 'merlai:1.0.0' : 'postgres:15',
    name: `k8s_${container}_${pod}_${namespace}`,
    namespace,
    pod,
  });
  const claims = ['merlai-api-data', 'merlai-api-models', 'merlai-postgres-backups', ...pods.postgres];
  return [
    counter(
      'container_cpu_usage_seconds_total',
      pods.api.map((pod, i) => ({ labels: cadvisor(pod, 'merlai-api'), value: (0.15 + 0.05 * i) * t - 2e8 })),
    ),
    gauge(
      'container_memory_working_set_bytes',
      pods.api.map((pod, i) => ({
        labels: cadvisor(pod, 'merlai-api'),
        value: (300 + 20 * i) * 1024 * 1024,
      })),
    ),
    gauge(
      'kubelet_volume_stats_capacity_bytes',
      claims.map((c) => ({ labels: { namespace, persistentvolumeclaim: c }, value: 20 * 1024 ** 3 })),
    ),
    gauge(
      'kubelet_volume_stats_available_bytes',
      claims.map((c, i) => ({
        labels: { namespace, persistentvolumeclaim: c },
        value: (15 - i) * 1024 ** 3,
      })),
    ),
  ];
}

/** One CloudNativePG instance's exporter (`pod` is only used for its value: the primary is instance 1). */
export function cnpgMetrics(pod: string, t: number): MetricFamily[] {
  const primary = pod.endsWith('-1');
  const backend = (state: string, value: number) => ({
    labels: { datname: 'merlai', usename: 'merlai', application_name: '', state },
    value,
  });
  return [
    gauge('cnpg_collector_up', [{ labels: { cluster: POSTGRES_NAME }, value: 1 }]),
    gauge('cnpg_pg_replication_lag', [{ labels: {}, value: primary ? 0 : 0.4 + (t % 3) / 10 }]),
    gauge('cnpg_backends_total', [backend('active', primary ? 4 : 0), backend('idle', primary ? 6 : 1)]),
    gauge('cnpg_pg_database_size_bytes', [
      { labels: { datname: 'merlai' }, value: 48_000_000 },
      { labels: { datname: 'postgres' }, value: 7_500_000 },
    ]),
  ];
}

/** One Redis pod's redis_exporter (`redis-0` is the primary). */
export function redisMetrics(pod: string, maxMemoryBytes: number, t: number): MetricFamily[] {
  const primary = pod.endsWith('-0');
  const families: MetricFamily[] = [
    gauge('redis_up', [{ labels: {}, value: 1 }]),
    gauge('redis_memory_used_bytes', [{ labels: {}, value: Math.floor(maxMemoryBytes * 0.6) }]),
    gauge('redis_memory_max_bytes', [{ labels: {}, value: maxMemoryBytes }]),
    counter('redis_evicted_keys_total', [
      { labels: {}, value: primary ? Math.floor(t / 10) - 170_000_000 : 0 },
    ]),
    counter('redis_keyspace_hits_total', [{ labels: {}, value: primary ? Math.floor(t * 9) - 1.5e10 : 0 }]),
    counter('redis_keyspace_misses_total', [{ labels: {}, value: primary ? Math.floor(t) - 1.7e9 : 0 }]),
  ];
  if (!primary) {
    families.push(
      gauge('redis_master_link_up', [
        { labels: { master_host: `${REDIS_NAME}-0.${REDIS_NAME}-headless`, master_port: '6379' }, value: 1 },
      ]),
    );
  }
  return families;
}
