// Redis, Merlai's cache. Objects: Level 1 Deployment, Service, ServiceAccount and ConfigMap `merlai-redis`;
// Levels 2 and 3 a redis-operator RedisReplication (with Sentinel), its ConfigMap and a PodMonitor.
import type { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvValue } from '../../api/env';
import type { ApiResourceOverrides } from '../../api/resources';
import {
  quantity,
  resolveResources,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../core/containers';
import { invalidProp } from '../../core/errors';
import { selectorLabels } from '../../core/labels';
import {
  type AvailabilityLevel,
  type LevelProfile,
  levelProfile,
  RedisMode,
  type ResourceProfile,
} from '../../core/levels';
import {
  parseQuantity,
  requireAtLeast,
  requireDnsLabel,
  requireDnsSubdomain,
  requirePinnedImage,
  requireSecretKey,
} from '../../core/validation';
import {
  DEVELOPMENT_PASSWORD,
  developmentSecret,
  externalDatastore,
  rejectWithExternal,
} from '../datastore-support';
import type { DatastoreEndpoint } from '../endpoints';

const TYPE = 'MerlaiRedis';

/** Name of the Redis workload, its Service (Level 1) and its `RedisReplication` (Levels 2 and 3). */
export const REDIS_NAME = 'merlai-redis';
/** Redis of Level 1: Redis 7, an exact release (the one Debian bookworm's `redis-server` runs in the tests). */
export const REDIS_IMAGE = 'redis:7.0.15-bookworm';
/** The `redis` user of the official image. */
export const REDIS_IMAGE_UID = 999;
/** The redis-operator's Redis and Sentinel images of the same release, and its exporter. */
export const OPSTREE_REDIS_IMAGE = 'quay.io/opstree/redis:v7.0.15';
export const OPSTREE_SENTINEL_IMAGE = 'quay.io/opstree/redis-sentinel:v7.0.15';
export const REDIS_EXPORTER_IMAGE = 'quay.io/opstree/redis-exporter:v1.44.0';
/** The user of the opstree images. */
const OPSTREE_UID = 1000;
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const REDIS_EXPORTER_PORT = 9121;
/**
 * Share of the container's memory limit Redis may fill with keys before it evicts. The rest is for
 * what `maxmemory` does not count and the kernel does: a full resync forks the primary (the child's
 * copy-on-write pages count in the pod's cgroup), each replica's output buffer holds the writes
 * made meanwhile (`REDIS_REPLICA_BUFFER_SHARE` each), plus the backlog, fragmentation and the
 * process itself. At 0.75 a resync under writes could OOM-kill the primary.
 */
export const REDIS_MAXMEMORY_SHARE = 0.6;
/**
 * Hard limit of one replica's output buffer during a resync, as a share of the memory limit
 * (`client-output-buffer-limit replica`; Redis's own default, 256 MB, is half of Level 2's pod). A
 * replica that falls further behind is disconnected and resyncs, rather than the primary dying.
 */
export const REDIS_REPLICA_BUFFER_SHARE = 0.05;
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

/** An environment variable a Redis client needs. */
export interface RedisClientVariable {
  readonly name: string;
  readonly value: EnvValue;
}

/** A Redis the platform runs elsewhere (a managed cache): nothing is deployed. */
export interface ExternalRedisOptions {
  /** DNS name of the server; the construct creates an `ExternalName` Service `merlai-redis` for it. */
  readonly host: string;
  /** @default 6379 */
  readonly port?: number | undefined;
  /** Existing Secret in the chart's namespace holding the full URL (`redis://:password@host:6379/0` or `rediss://…`). */
  readonly secretName: string;
  /** @default 'url' */
  readonly urlKey?: string | undefined;
  /**
   * Address range of the server (`10.20.0.0/16`): the network policies allow egress to it only.
   * For a single address, `/32`.
   */
  readonly cidr: string;
}

/** Everything a team may override on Redis; the level table supplies the rest. */
export interface RedisOptions {
  /**
   * How Redis runs. A level's mode is its floor: Levels 2 and 3 keep a replicated Redis.
   * @default - the level table (Level 1: STANDALONE, Levels 2 and 3: REPLICATION)
   */
  readonly mode?: RedisMode | undefined;
  /**
   * Redis data pods: 1 standalone; a primary and replicas (at least 2, and at least the level table's count) in replication mode.
   * @default - the level table (1, 2, 3)
   */
  readonly instances?: number | undefined;
  /**
   * Sentinels electing a new primary (replication mode): an odd number, at least 3, so a majority exists.
   * @default - the level table (3 in replication mode)
   */
  readonly sentinels?: number | undefined;
  /** Requests and limits of each Redis pod; `maxmemory` is 60 % of the memory limit (`REDIS_MAXMEMORY_SHARE`). @default - the level table */
  readonly resources?: ApiResourceOverrides | undefined;
  /**
   * Redis image, pinned.
   * @default - STANDALONE: `REDIS_IMAGE`; REPLICATION: `OPSTREE_REDIS_IMAGE`
   */
  readonly image?: string | undefined;
  /**
   * Existing Secret holding the Redis password (for the servers) and the clients' URL, which embeds
   * it: `redis://:PASSWORD@merlai-redis-master:6379/0` in replication mode (`merlai-redis` standalone).
   * @default - Level 1: a generated development Secret `merlai-redis-dev-credentials`; Levels 2 and 3: 'merlai-redis-auth', which the platform creates
   */
  readonly secretName?: string | undefined;
  /** @default 'password' */
  readonly passwordKey?: string | undefined;
  /** @default 'url' */
  readonly urlKey?: string | undefined;
  /**
   * Namespace of the OT-Container-Kit redis-operator, which must reach the Redis and Sentinel pods.
   * @default 'ot-operators'
   */
  readonly operatorNamespace?: string | undefined;
  /**
   * Use an existing Redis instead of deploying one.
   * @default - Redis runs in the chart's namespace
   */
  readonly external?: ExternalRedisOptions | undefined;
}

/** Props of `MerlaiRedis`. */
export interface MerlaiRedisProps extends RedisOptions {
  readonly level: AvailabilityLevel;
  /**
   * Value of `app.kubernetes.io/instance`.
   * @default 'merlai'
   */
  readonly instance?: string | undefined;
}

/**
 * The cache: Level 1 one `redis-server` configured as an LRU cache without persistence; Levels 2
 * and 3 a primary with replicas and Sentinel through the redis-operator, reached through its
 * `merlai-redis-master` Service; or an external server. Clients read `clientEnv`: a `REDIS_URL`
 * from a Secret (Compose and Kubernetes alike, no `$(VAR)` expansion).
 */
export class MerlaiRedis extends Construct {
  public readonly name = REDIS_NAME;
  public readonly mode?: RedisMode;
  /** The variables a client needs: `REDIS_URL` from a Secret. */
  public readonly clientEnv: RedisClientVariable[];
  /** Where the server's pods are, for the network policies. */
  public readonly endpoint: DatastoreEndpoint;
  /** The PodMonitor that scrapes the pods' exporter (replication mode), when there is one. */
  public readonly podMonitor?: ApiObject;
  /** `maxmemory` in bytes (0 when external). */
  public readonly maxMemoryBytes: number;

  constructor(scope: Construct, id: string, props: MerlaiRedisProps) {
    super(scope, id);
    const profile = levelProfile(props.level);
    const instance = requireDnsLabel(this, TYPE, 'instance', props.instance ?? 'merlai');

    if (props.external) {
      rejectWithExternal(this, TYPE, props, [
        'mode',
        'instances',
        'sentinels',
        'resources',
        'image',
        'secretName',
        'passwordKey',
        'urlKey',
      ]);
      const { endpoint, secretKey } = externalDatastore(this, TYPE, props.external, {
        serviceName: REDIS_NAME,
        portName: 'redis',
        defaultPort: REDIS_PORT,
        holds: 'the Redis URL',
        keyProp: 'urlKey',
        key: props.external.urlKey ?? 'url',
      });
      this.maxMemoryBytes = 0;
      this.clientEnv = [
        { name: 'REDIS_URL', value: EnvValue.fromSecretKey(props.external.secretName, secretKey) },
      ];
      this.endpoint = endpoint;
      return;
    }

    const d = profile.datastores;
    const mode = props.mode ?? d.redisMode;
    if (!Object.values(RedisMode).includes(mode)) {
      invalidProp(this, TYPE, 'mode', mode, `expected one of ${Object.values(RedisMode).join(', ')}`);
    }
    if (mode === RedisMode.STANDALONE && d.redisMode === RedisMode.REPLICATION) {
      invalidProp(
        this,
        TYPE,
        'mode',
        mode,
        `Level ${profile.number} (${profile.environment}) needs a replicated Redis that survives the loss of a pod: expected RedisMode.REPLICATION`,
      );
    }
    this.mode = mode;
    const replicated = mode === RedisMode.REPLICATION;
    // The level table's count is the floor; a replicated Redis is at least a primary and a replica.
    const floor = replicated ? Math.max(2, d.redisMode === RedisMode.REPLICATION ? d.redisInstances : 0) : 1;
    const instances = props.instances ?? floor;
    if (!replicated && instances !== 1) {
      invalidProp(
        this,
        TYPE,
        'instances',
        instances,
        'a standalone Redis is one pod: expected 1 (use RedisMode.REPLICATION for a primary with replicas)',
      );
    }
    requireAtLeast(
      this,
      TYPE,
      'instances',
      instances,
      floor,
      `a replicated Redis at Level ${profile.number} runs a primary and ${floor - 1} replica(s) or more`,
    );
    const sentinels = props.sentinels ?? (replicated ? Math.max(d.redisSentinels, 3) : 0);
    if (replicated && (!Number.isInteger(sentinels) || sentinels < 3 || sentinels % 2 === 0)) {
      invalidProp(
        this,
        TYPE,
        'sentinels',
        sentinels,
        'expected an odd integer of at least 3: Sentinel elects a new primary only with a majority',
      );
    }
    if (!replicated && props.sentinels !== undefined && props.sentinels !== 0) {
      invalidProp(this, TYPE, 'sentinels', props.sentinels, 'a standalone Redis has no Sentinel: expected 0');
    }
    const resources = resolveResources(this, TYPE, 'resources', props.resources, d.redisResources);
    const memoryLimitBytes = parseQuantity(resources.memoryLimit) ?? 0;
    this.maxMemoryBytes = Math.floor(memoryLimitBytes * REDIS_MAXMEMORY_SHARE);
    const image = requirePinnedImage(
      this,
      TYPE,
      'image',
      props.image ?? (replicated ? OPSTREE_REDIS_IMAGE : REDIS_IMAGE),
    );
    const operatorNamespace = requireDnsLabel(
      this,
      TYPE,
      'operatorNamespace',
      props.operatorNamespace ?? 'ot-operators',
    );
    const passwordKey = requireSecretKey(this, TYPE, 'passwordKey', props.passwordKey ?? 'password');
    const urlKey = requireSecretKey(this, TYPE, 'urlKey', props.urlKey ?? 'url');
    const devSecret = props.secretName === undefined && d.developmentCredentials;
    const passwordSecret = requireDnsSubdomain(
      this,
      TYPE,
      'secretName',
      props.secretName ?? (devSecret ? `${REDIS_NAME}-dev-credentials` : `${REDIS_NAME}-auth`),
    );
    this.clientEnv = [{ name: 'REDIS_URL', value: EnvValue.fromSecretKey(passwordSecret, urlKey) }];

    const labels = selectorLabels(REDIS_NAME, 'cache', instance);
    if (devSecret) {
      const host = replicated ? `${REDIS_NAME}-master` : REDIS_NAME;
      developmentSecret(this, passwordSecret, labels, 'Opaque', {
        [passwordKey]: DEVELOPMENT_PASSWORD,
        [urlKey]: `redis://:${DEVELOPMENT_PASSWORD}@${host}:${REDIS_PORT}/0`,
      });
    }
    const config = { name: `${REDIS_NAME}-config`, cache: redisCacheConfig(memoryLimitBytes) };

    if (!replicated) {
      this.endpoint = { port: REDIS_PORT, podLabels: labels };
      this.standalone(labels, { image, resources, config, passwordSecret, passwordKey });
      return;
    }
    // The redis-operator copies the custom resource's labels onto every pod it creates, data and
    // Sentinel alike (internal/k8sutils/labels.go getRedisLabels); its own `app` label differs per
    // StatefulSet, so the construct selects on the app.kubernetes.io labels it sets (never `app`).
    const { app: _operatorOwnsApp, ...crLabels } = labels;
    this.endpoint = {
      port: REDIS_PORT,
      podLabels: crLabels,
      peerPorts: [REDIS_PORT, SENTINEL_PORT],
      // The operator's Helm chart labels its pod `name: redis-operator` (charts/redis-operator
      // templates/_helpers.tpl selectorLabels), its kustomize manifests `control-plane:
      // redis-operator` (config/manager/manager.yaml): either install may reach the pods.
      operator: {
        namespace: operatorNamespace,
        podLabels: { name: 'redis-operator' },
        alternativePodLabels: [{ 'control-plane': 'redis-operator' }],
        ports: [REDIS_PORT, SENTINEL_PORT],
      },
      metricsPort: REDIS_EXPORTER_PORT,
    };
    this.podMonitor = this.replication(profile, crLabels, {
      image,
      instances,
      sentinels,
      resources,
      config,
      passwordSecret,
      passwordKey,
    });
  }

  private standalone(
    labels: Record<string, string>,
    o: {
      image: string;
      resources: ResourceProfile;
      config: { name: string; cache: string };
      passwordSecret: string;
      passwordKey: string;
    },
  ): void {
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: o.config.name, labels },
      data: { 'redis.conf': redisStandaloneConfig(o.config.cache) },
    });
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: REDIS_NAME, labels },
      automountServiceAccountToken: false,
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name: REDIS_NAME, labels },
      spec: {
        type: 'ClusterIP',
        selector: labels,
        ports: [
          {
            name: 'redis',
            port: REDIS_PORT,
            targetPort: k8s.IntOrString.fromString('redis'),
            protocol: 'TCP',
          },
        ],
      },
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: REDIS_NAME, labels },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 3,
        selector: { matchLabels: labels },
        // A second cache pod for a moment only costs cache misses.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxUnavailable: k8s.IntOrString.fromNumber(0),
            maxSurge: k8s.IntOrString.fromNumber(1),
          },
        },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: REDIS_NAME,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(REDIS_IMAGE_UID),
            containers: [
              {
                name: 'redis',
                image: o.image,
                imagePullPolicy: 'IfNotPresent',
                // The password from the environment (redis-server then hides its arguments behind
                // its process title); arguments given to the container are appended.
                command: [
                  'sh',
                  '-c',
                  'exec redis-server /etc/redis/redis.conf --requirepass "$REDIS_PASSWORD" "$@"',
                  'redis-server',
                ],
                // Redis's `dir` defaults to the working directory: the scratch volume.
                workingDir: '/data',
                env: [
                  {
                    name: 'REDIS_PASSWORD',
                    valueFrom: { secretKeyRef: { name: o.passwordSecret, key: o.passwordKey } },
                  },
                ],
                ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                resources: resourceRequirements(o.resources, { request: '64Mi', limit: '256Mi' }),
                securityContext: restrictedContainerSecurityContext(REDIS_IMAGE_UID),
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromString('redis') },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                // Ready once the server answers a command (without the password the answer is a
                // NOAUTH error, and redis-cli exits 0); refused connections fail the probe.
                readinessProbe: {
                  exec: { command: ['redis-cli', '-h', '127.0.0.1', '-p', String(REDIS_PORT), 'ping'] },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/redis', readOnly: true },
                  { name: 'data', mountPath: '/data' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: o.config.name } },
              // Nothing is persisted; the working directory must still be writable.
              { name: 'data', emptyDir: { sizeLimit: quantity('64Mi') } },
            ],
          },
        },
      },
    });
  }

  private replication(
    profile: LevelProfile,
    labels: Record<string, string>,
    o: {
      image: string;
      instances: number;
      sentinels: number;
      resources: ResourceProfile;
      config: { name: string; cache: string };
      passwordSecret: string;
      passwordKey: string;
    },
  ): ApiObject {
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: o.config.name, labels },
      // The opstree image includes this key of `redisConfig.additionalRedisConfig` last.
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
    const secret = { name: o.passwordSecret, key: o.passwordKey };
    new rr.RedisReplication(this, 'replication', {
      metadata: { name: REDIS_NAME, labels },
      spec: {
        clusterSize: o.instances,
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
        pdb: { enabled: true, minAvailable: 1 },
        redisExporter: {
          enabled: true,
          image: REDIS_EXPORTER_IMAGE,
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
          image: OPSTREE_SENTINEL_IMAGE,
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
        },
      },
    });

    const monitoring: PodMonitorModule = require('../../../imports/podmonitor-monitoring.coreos.com');
    return new monitoring.PodMonitor(this, 'pod-monitor', {
      metadata: { name: REDIS_NAME, labels },
      spec: {
        selector: { matchLabels: { ...labels, redis_setup_type: 'replication' } },
        podMetricsEndpoints: [{ port: 'redis-exporter' }],
      },
    });
  }
}

/**
 * The cache settings every mode shares, from the container's memory limit: LRU eviction at
 * `maxmemory`, replica output buffers bounded, and nothing written to disk.
 */
export function redisCacheConfig(memoryLimitBytes: number): string {
  const replicaBuffer = Math.floor(memoryLimitBytes * REDIS_REPLICA_BUFFER_SHARE);
  return [
    '# Merlai cache: evict the least recently used key when full; persist nothing.',
    `# maxmemory ${REDIS_MAXMEMORY_SHARE * 100} % of the memory limit: room for a resync's fork and replica buffers.`,
    `maxmemory ${Math.floor(memoryLimitBytes * REDIS_MAXMEMORY_SHARE)}`,
    'maxmemory-policy allkeys-lru',
    `client-output-buffer-limit replica ${replicaBuffer} ${Math.floor(replicaBuffer / 2)} 60`,
    'save ""',
    'appendonly no',
    '',
  ].join('\n');
}

/** The whole `redis.conf` of the standalone server; the password comes from `--requirepass`. */
function redisStandaloneConfig(cache: string): string {
  return [
    `bind * -::*`,
    `port ${REDIS_PORT}`,
    'protected-mode yes',
    'daemonize no',
    'logfile ""',
    'tcp-keepalive 300',
    cache,
  ].join('\n');
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
