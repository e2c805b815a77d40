// Redis, Merlai's cache: the MerlaiRedis construct and its props. Objects: Level 1's plain server
// (standalone.ts), Levels 2 and 3's RedisReplication (replication.ts), an external server's Service, and the
// Secret of the clients' URL at Level 1 (datastore-support.ts).
import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvValue } from '../../api/env';
import type { ApiResourceOverrides } from '../../api/resources';
import { resolveResources } from '../../core/containers';
import { invalidProp } from '../../core/errors';
import { selectorLabels } from '../../core/labels';
import { type AvailabilityLevel, levelProfile, RedisMode } from '../../core/levels';
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
  resolveZoneSpread,
} from '../datastore-support';
import type { DatastoreEndpoint } from '../endpoints';
import { redisCacheConfig } from './config';
import {
  OPSTREE_REDIS_IMAGE,
  OPSTREE_SENTINEL_IMAGE,
  REDIS_EXPORTER_IMAGE,
  REDIS_EXPORTER_PORT,
  REDIS_IMAGE,
  REDIS_MAXMEMORY_SHARE,
  REDIS_NAME,
  REDIS_PORT,
  REDIS_TYPE,
  SENTINEL_PORT,
} from './constants';
import { createRedisReplication } from './replication';
import { createStandaloneRedis } from './standalone';

const TYPE = REDIS_TYPE;

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
   * Sentinel image (replication mode), pinned; Level 3 requires a digest.
   * @default OPSTREE_SENTINEL_IMAGE
   */
  readonly sentinelImage?: string | undefined;
  /**
   * Image of the metrics exporter beside each Redis data pod (replication mode), pinned.
   * @default REDIS_EXPORTER_IMAGE
   */
  readonly exporterImage?: string | undefined;
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
  /**
   * Spread the Redis data pods and the Sentinels over zones (`topology.kubernetes.io/zone`).
   * @default - the level table: required at Level 3, off at Level 2
   */
  readonly zoneSpread?: boolean | undefined;
  /**
   * PriorityClass of the data pods and Sentinels in replication mode (an existing class).
   * @default - none
   */
  readonly priorityClassName?: string | undefined;
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
        'sentinelImage',
        'exporterImage',
        'secretName',
        'passwordKey',
        'urlKey',
        'zoneSpread',
        'priorityClassName',
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
    const zoneSpread = resolveZoneSpread(this, TYPE, profile, props.zoneSpread, !replicated);
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
    if (!replicated) {
      for (const prop of ['sentinelImage', 'exporterImage'] as const) {
        if (props[prop] !== undefined) {
          invalidProp(
            this,
            TYPE,
            prop,
            props[prop],
            'a standalone Redis runs no Sentinel and no exporter: remove it',
          );
        }
      }
    }
    const sentinelImage = requirePinnedImage(
      this,
      TYPE,
      'sentinelImage',
      props.sentinelImage ?? OPSTREE_SENTINEL_IMAGE,
    );
    const exporterImage = requirePinnedImage(
      this,
      TYPE,
      'exporterImage',
      props.exporterImage ?? REDIS_EXPORTER_IMAGE,
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
      createStandaloneRedis(this, labels, {
        image,
        resources,
        config,
        passwordSecret,
        passwordKey,
        priorityClassName: props.priorityClassName,
      });
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
    this.podMonitor = createRedisReplication(this, profile, crLabels, {
      image,
      sentinelImage,
      exporterImage,
      instances,
      sentinels,
      resources,
      config,
      passwordSecret,
      passwordKey,
      zoneSpread,
      priorityClassName: props.priorityClassName,
    });
  }
}
