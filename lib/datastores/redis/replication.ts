// Levels 2 and 3's Redis: a primary with replicas and Sentinel, run by the redis-operator. Objects:
// RedisReplication `merlai-redis`, its ConfigMap, PodMonitor `merlai-redis`.
import type { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../core/containers';
import type { LevelProfile, ResourceProfile } from '../../core/levels';
import { zoneSpreadConstraint } from '../datastore-support';
import { REDIS_EXPORTER_PORT, REDIS_NAME } from './constants';

/** The user of the opstree images. */
const OPSTREE_UID = 1000;
const SENTINEL_RESOURCES: ResourceProfile = {
  cpuRequest: '50m',
  memoryRequest: '64Mi',
  cpuLimit: '200m',
  memoryLimit: '128Mi',
};
const EXPORTER_RESOURCES: ResourceProfile = {
  cpuRequest: '25m',
  memoryRequest: '32Mi',
  cpuLimit: '100m',
  memoryLimit: '64Mi',
};

type RedisReplicationModule = typeof import('../../../imports/redisreplication-redis.redis.opstreelabs.in');
type PodMonitorModule = typeof import('../../../imports/podmonitor-monitoring.coreos.com');

/** The RedisReplication and its ConfigMap; returns its PodMonitor. */
export function createRedisReplication(
  scope: Construct,
  profile: LevelProfile,
  labels: Record<string, string>,
  o: {
    image: string;
    sentinelImage: string;
    exporterImage: string;
    instances: number;
    sentinels: number;
    resources: ResourceProfile;
    config: { name: string; cache: string };
    passwordSecret: string;
    passwordKey: string;
    zoneSpread: boolean;
    priorityClassName?: string | undefined;
  },
): ApiObject {
  new k8s.KubeConfigMap(scope, 'config', {
    metadata: { name: o.config.name, labels },
    // The opstree image includes scope key of `redisConfig.additionalRedisConfig` last.
    data: { 'redis-additional.conf': o.config.cache },
  });
  const rr: RedisReplicationModule = require('../../../imports/redisreplication-redis.redis.opstreelabs.in');
  const podSecurityContext = restrictedPodSecurityContext(OPSTREE_UID);
  // The opstree entrypoint writes /etc/redis/redis.conf at start, so its root filesystem stays
  // writable; everything else Pod Security "restricted" asks for is set.
  const securityContext = {
    ...restrictedContainerSecurityContext(OPSTREE_UID),
    readOnlyRootFilesystem: false,
  };
  const antiAffinity = (matchLabels: Record<string, string>) => {
    const term = { labelSelector: { matchLabels }, topologyKey: 'kubernetes.io/hostname' };
    return profile.datastores.spreadAcrossNodes
      ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
      : {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }],
          },
        };
  };
  // Three data pods and three Sentinels in three zones: a lost zone leaves two Sentinels, a
  // majority of three (Sentinel's quorum), and a replica to promote.
  const zoneSpread = (matchLabels: Record<string, string>) =>
    o.zoneSpread ? [zoneSpreadConstraint(matchLabels)] : undefined;
  const secret = { name: o.passwordSecret, key: o.passwordKey };
  new rr.RedisReplication(scope, 'replication', {
    metadata: { name: REDIS_NAME, labels },
    spec: {
      clusterSize: o.instances,
      priorityClassName: o.priorityClassName,
      kubernetesConfig: {
        image: o.image,
        imagePullPolicy: 'IfNotPresent',
        resources: crdResources(
          o.resources,
          rr.RedisReplicationSpecKubernetesConfigResourcesRequests,
          rr.RedisReplicationSpecKubernetesConfigResourcesLimits,
        ),
        redisSecret: secret,
      },
      redisConfig: { additionalRedisConfig: o.config.name },
      podSecurityContext,
      securityContext,
      affinity: antiAffinity({ ...labels, redis_setup_type: 'replication' }),
      topologySpreadConstraints: zoneSpread({ ...labels, redis_setup_type: 'replication' }),
      pdb: { enabled: true, minAvailable: 1 },
      redisExporter: {
        enabled: true,
        image: o.exporterImage,
        imagePullPolicy: 'IfNotPresent',
        port: REDIS_EXPORTER_PORT,
        resources: crdResources(
          EXPORTER_RESOURCES,
          rr.RedisReplicationSpecRedisExporterResourcesRequests,
          rr.RedisReplicationSpecRedisExporterResourcesLimits,
        ),
        securityContext: { ...securityContext, readOnlyRootFilesystem: true },
      },
      sentinel: {
        size: o.sentinels,
        priorityClassName: o.priorityClassName,
        image: o.sentinelImage,
        imagePullPolicy: 'IfNotPresent',
        resources: crdResources(
          SENTINEL_RESOURCES,
          rr.RedisReplicationSpecSentinelResourcesRequests,
          rr.RedisReplicationSpecSentinelResourcesLimits,
        ),
        redisSecret: secret,
        podSecurityContext,
        securityContext,
        affinity: antiAffinity({ ...labels, redis_setup_type: 'sentinel' }),
        topologySpreadConstraints: zoneSpread({ ...labels, redis_setup_type: 'sentinel' }),
      },
    },
  });

  const monitoring: PodMonitorModule = require('../../../imports/podmonitor-monitoring.coreos.com');
  return new monitoring.PodMonitor(scope, 'pod-monitor', {
    metadata: { name: REDIS_NAME, labels },
    spec: {
      selector: { matchLabels: { ...labels, redis_setup_type: 'replication' } },
      podMetricsEndpoints: [{ port: 'redis-exporter' }],
    },
  });
}

interface QuantityFactory<T> {
  fromString(value: string): T;
}

/** Requests and limits in the shape of a generated binding's resource classes. */
function crdResources<R, L>(
  r: ResourceProfile,
  requests: QuantityFactory<R>,
  limits: QuantityFactory<L>,
): { requests: { [key: string]: R }; limits: { [key: string]: L } } {
  return {
    requests: { cpu: requests.fromString(r.cpuRequest), memory: requests.fromString(r.memoryRequest) },
    limits: { cpu: limits.fromString(r.cpuLimit), memory: limits.fromString(r.memoryLimit) },
  };
}
