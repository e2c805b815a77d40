import type { DatastoreEndpoint, DatastoreEndpoints } from '../../lib';

/**
 * Datastore endpoints as the datastores construct reports them at Levels 2 and 3 (CloudNativePG,
 * OT-Container-Kit RedisReplication with Sentinel), for tests that build `MerlaiSecurity` in their
 * own chart.
 */
export const OPERATOR_ENDPOINTS: DatastoreEndpoints & { readonly redis: DatastoreEndpoint } = {
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
    podLabels: { 'app.kubernetes.io/name': 'merlai-redis', 'app.kubernetes.io/component': 'cache' },
    peerPorts: [6379, 26379],
    operator: { namespace: 'ot-operators', podLabels: { name: 'redis-operator' }, ports: [6379, 26379] },
    metricsPort: 9121,
  },
  backupPodLabels: { app: 'merlai-postgres-backup' },
};

/** Level 1's plain single-instance workloads. */
export const PLAIN_ENDPOINTS: DatastoreEndpoints = {
  postgres: { port: 5432, podLabels: { app: 'merlai-postgres' } },
  redis: { port: 6379, podLabels: { app: 'merlai-redis' } },
  backupPodLabels: { app: 'merlai-postgres-backup' },
};
