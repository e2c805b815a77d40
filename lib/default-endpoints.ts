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
 *   on 9187; the instance manager talks to the API server) and an OT-Container-Kit `RedisCluster`
 *   (client and cluster-bus ports between peers; the operator in `ot-operators` on 6379; the
 *   exporter on 9121). The operator overwrites a Redis pod's `app` label with `<name>-leader` or
 *   `<name>-follower`, so the Redis pods are selected by the `app.kubernetes.io/*` labels the
 *   `RedisCluster` passes down to them.
 */
export function defaultDatastoreEndpoints(profile: LevelProfile, instance: string): DatastoreEndpoints {
  const backupPodLabels = selectorLabels('merlai-postgres-backup', 'backup', instance);
  const plainPostgres = profile.postgresInstances === 1;
  const { app: _operatorRewritesIt, ...redisClusterLabels } = selectorLabels(
    'merlai-redis',
    'cache',
    instance,
  );
  return {
    postgres: plainPostgres
      ? { port: 5432, podLabels: selectorLabels('merlai-postgres', 'database', instance) }
      : {
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
    redis: profile.redisCluster
      ? {
          port: 6379,
          podLabels: redisClusterLabels,
          peerPorts: [6379, 16379],
          operator: {
            namespace: 'ot-operators',
            podLabels: { 'app.kubernetes.io/name': 'redis-operator' },
            ports: [6379],
          },
          metricsPort: 9121,
        }
      : { port: 6379, podLabels: selectorLabels('merlai-redis', 'cache', instance) },
    backupPodLabels,
  };
}
