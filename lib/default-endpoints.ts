import type { DatastoreEndpoints } from './endpoints';
import { selectorLabels } from './labels';
import type { LevelProfile } from './levels';

/**
 * Stand-in for the datastores construct's `endpoints`, so the level charts carry their network
 * policies before that construct exists: the pod labels, ports and operators agreed with it.
 * Once `MerlaiDatastores` is in the chart, pass `datastores.endpoints` instead and delete this file.
 *
 * - Level 1: plain single-instance workloads labelled like the API (`selectorLabels`).
 * - Levels 2 and 3: CloudNativePG instances (`cnpg.io/cluster`; replication and the instance
 *   manager's status port between peers; the operator in `cnpg-system` on 8000 and 5432; metrics
 *   on 9187; the instance manager talks to the API server) and an OT-Container-Kit
 *   `RedisReplication` with Sentinel (Redis and Sentinel ports between peers; the operator, whose
 *   Helm chart labels its pod `name: redis-operator`, in `ot-operators`; the exporter on 9121).
 *   The operator gives each Redis StatefulSet its own `app` label, so the Redis pods are selected
 *   by the `app.kubernetes.io/*` labels the custom resource passes down to them.
 */
export function defaultDatastoreEndpoints(profile: LevelProfile, instance: string): DatastoreEndpoints {
  const backupPodLabels = selectorLabels('merlai-postgres-backup', 'backup', instance);
  if (profile.number === 1) {
    return {
      postgres: { port: 5432, podLabels: selectorLabels('merlai-postgres', 'database', instance) },
      redis: { port: 6379, podLabels: selectorLabels('merlai-redis', 'cache', instance) },
      backupPodLabels,
    };
  }
  const { app: _operatorSetsIt, ...redisPodLabels } = selectorLabels('merlai-redis', 'cache', instance);
  return {
    postgres: {
      port: 5432,
      podLabels: { 'cnpg.io/cluster': 'merlai-postgres' },
      peerPorts: [5432, 8000],
      operator: {
        namespace: 'cnpg-system',
        podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
        ports: [8000, 5432],
      },
      metricsPort: 9187,
      needsApiServer: true,
    },
    redis: {
      port: 6379,
      podLabels: redisPodLabels,
      peerPorts: [6379, 26379],
      operator: { namespace: 'ot-operators', podLabels: { name: 'redis-operator' }, ports: [6379, 26379] },
      metricsPort: 9121,
    },
    backupPodLabels,
  };
}
