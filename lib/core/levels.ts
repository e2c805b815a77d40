// The level table: every per-level value the constructs read (the profiles of Levels 1, 2 and 3). No objects.

/**
 * The availability levels of the Merlai operations guide.
 *
 * Every per-level number the constructs use lives in `LEVEL_PROFILES` below, so the differences
 * between environments are visible in one place (the kustomize "overlay" of this library).
 */
export enum AvailabilityLevel {
  /** Level 1: development and test, 99 % availability. */
  DEVELOPMENT = 'development',
  /** Level 2: staging, 99.5 % availability. */
  STAGING = 'staging',
  /** Level 3: production, 99.9 % availability. */
  PRODUCTION = 'production',
}

/** How Redis runs in the cluster. */
export enum RedisMode {
  /** One plain `redis-server` pod behind the Service `merlai-redis` (Level 1). */
  STANDALONE = 'standalone',
  /**
   * A primary with replicas, watched by Sentinel, run by the OT-Container-Kit redis-operator
   * (`RedisReplication`); clients reach the current primary through the Service `<name>-master`.
   */
  REPLICATION = 'replication',
}

/** The per-level values of PostgreSQL, Redis and the backups. */
export interface DatastoreProfile {
  /** Whether the chart may generate clearly-marked development credentials (Level 1 only). */
  readonly developmentCredentials: boolean;
  /** PostgreSQL instances: 1 (a plain StatefulSet) or a CloudNativePG primary with replicas. Also the level's minimum. */
  readonly postgresInstances: number;
  /** Standbys every commit waits for (CloudNativePG synchronous replication); 0 for asynchronous. */
  readonly postgresSynchronousReplicas: number;
  /** Size of each PostgreSQL instance's volume. */
  readonly postgresStorageSize: string;
  readonly postgresResources: ResourceProfile;
  /** Whether PostgreSQL and Redis instances must run on different nodes (false: preferred only). */
  readonly spreadAcrossNodes: boolean;
  /**
   * Whether PostgreSQL instances, Redis data pods and Sentinels must spread over
   * `topology.kubernetes.io/zone` (a topology spread with `maxSkew: 1`, `DoNotSchedule`), so that
   * losing one zone leaves a primary, a synchronous standby and a Sentinel majority. A floor: the
   * `zoneSpread` prop may turn it on at Level 2, never off where the table requires it.
   */
  readonly zoneSpread: boolean;
  readonly redisMode: RedisMode;
  /** Redis data pods (1 standalone; primary + replicas in replication mode). */
  readonly redisInstances: number;
  /** Sentinels watching the Redis primary (replication mode; 0 otherwise). */
  readonly redisSentinels: number;
  /** Requests and limits of each Redis pod; `maxmemory` is derived from the memory limit. */
  readonly redisResources: ResourceProfile;
  /** When the `pg_dump` CronJob runs (5-field cron, UTC). */
  readonly backupSchedule: string;
  /** Hours without a successful dump before an alert fires: the schedule's interval plus two hours. */
  readonly backupMaxAgeHours: number;
  /** How many dumps the backup volume keeps (older ones are deleted after each successful dump). */
  readonly backupRetention: number;
  /** Size of the backup volume. */
  readonly backupStorageSize: string;
  /**
   * Whether the level refuses to synthesize without an off-cluster object store for its backups
   * (`MerlaiDatastores` `objectStore`), unless `localBackupsOnly` says so explicitly.
   */
  readonly objectStoreRequired: boolean;
  /** How long CloudNativePG keeps base backups and WAL in the object store (its `retentionPolicy`). */
  readonly objectStoreRetention: string;
  /**
   * PostgreSQL's `archive_timeout` under CloudNativePG: the longest a finished transaction waits
   * before its WAL segment is archived, so the recovery point objective of a quiet database.
   */
  readonly walArchiveTimeout: string;
  /** Minutes without a successful WAL archive before an alert fires (archive timeout plus slack). */
  readonly walArchiveMaxAgeMinutes: number;
}

/** An HTTP probe's timings, in seconds. */
export interface ProbeTimings {
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** Requests and limits of one container, in Kubernetes quantity notation. */
export interface ResourceProfile {
  readonly cpuRequest: string;
  readonly memoryRequest: string;
  readonly cpuLimit: string;
  readonly memoryLimit: string;
}

/** Horizontal autoscaling bounds. */
export interface AutoscalingProfile {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuUtilizationPercent: number;
}

/** Where the API's pods may run: spread over zones and nodes so one failure takes few of them. */
export interface PlacementProfile {
  /** `maxSkew` of the spread over `topology.kubernetes.io/zone`; undefined for no zone spread. */
  readonly zoneMaxSkew?: number | undefined;
  /** `whenUnsatisfiable` of the zone spread: `DoNotSchedule` or `ScheduleAnyway`. */
  readonly zoneWhenUnsatisfiable?: string | undefined;
  /**
   * `nodeTaintsPolicy` of the zone spread. `Honor` leaves tainted nodes (a dead zone's
   * `node.kubernetes.io/unreachable` nodes, cordoned ones) out of the skew the pod must satisfy;
   * Kubernetes' default `Ignore` counts them, so with `DoNotSchedule` the replacements of a lost
   * zone's pods would stay Pending. Beta and on by default since Kubernetes 1.26.
   */
  readonly zoneNodeTaintsPolicy?: 'Honor' | 'Ignore' | undefined;
  /** `maxSkew` of the spread over `kubernetes.io/hostname`. */
  readonly hostnameMaxSkew: number;
  /** `whenUnsatisfiable` of the node spread. */
  readonly hostnameWhenUnsatisfiable: string;
  /** Weight (1–100) of the preferred pod anti-affinity on `kubernetes.io/hostname`. */
  readonly hostnameAntiAffinityWeight: number;
}

/** How an API pod leaves: a pause while ingress-nginx stops sending to it, then the app's own shutdown. */
export interface ShutdownProfile {
  /** Seconds the `preStop` hook waits before Kubernetes sends SIGTERM. */
  readonly preStopPauseSeconds: number;
  /** `terminationGracePeriodSeconds`: the pause plus the time in-flight requests get to finish. */
  readonly terminationGracePeriodSeconds: number;
}

/** The per-level values of the guide, read by every construct. */
export interface LevelProfile {
  /** 1, 2 or 3, as the guide numbers the levels. */
  readonly number: number;
  readonly level: AvailabilityLevel;
  /** Chart id and file stem in `dist/`, e.g. `level3-production`. */
  readonly chartId: string;
  /** The value of the API's `ENVIRONMENT` variable. */
  readonly environment: string;
  /** Availability target as a fraction, e.g. 0.999. */
  readonly availabilityTarget: number;
  /** Fixed API replicas; undefined when an autoscaler owns the count. */
  readonly replicas?: number | undefined;
  /** Autoscaling of the API; undefined for a fixed replica count. */
  readonly autoscaling?: AutoscalingProfile | undefined;
  /** RollingUpdate bounds, in pods. */
  readonly maxUnavailable: number;
  readonly maxSurge: number;
  readonly liveness: ProbeTimings;
  readonly readiness: ProbeTimings;
  readonly resources: ResourceProfile;
  /** Whether `/app/data` and `/app/models` are PersistentVolumeClaims (Level 2 up) or emptyDirs. */
  readonly persistentStorage: boolean;
  /**
   * Access mode of those claims, which every API pod shares. `ReadWriteOnce`: one node mounts them,
   * so the pods are kept on one node (required pod affinity). `ReadWriteMany`: pods on any node,
   * from a StorageClass the user must name (the big clouds' default classes are ReadWriteOnce only).
   */
  readonly claimAccessMode?: 'ReadWriteOnce' | 'ReadWriteMany' | undefined;
  /**
   * Whether each API pod gets its own `/app/data` and `/app/models` (generic ephemeral volumes:
   * a ReadWriteOnce claim per pod, from the named or the default StorageClass, deleted with the
   * pod) instead of the shared claims, so the pods spread over nodes with any StorageClass. Model
   * mode keeps the shared claims, which its fetch Job fills once.
   */
  readonly perPodStorage?: boolean | undefined;
  /**
   * Whether the network policies reach the Kubernetes API server only at an address range the user
   * states (no default: `0.0.0.0/0` would open the port to any internet host).
   */
  readonly apiServerCidrRequired: boolean;
  /** PodDisruptionBudget `minAvailable`; undefined for no budget. */
  readonly pdbMinAvailable?: number | undefined;
  /**
   * Ready API pods the level needs at every moment, through rollouts and node drains, whatever the
   * strategy: the availability invariant the tests compute from the synthesized objects.
   */
  readonly minReadyApiPods: number;
  /** Spreading of the API's pods; undefined to leave placement to the scheduler. */
  readonly placement?: PlacementProfile | undefined;
  /** Graceful shutdown behind ingress-nginx; undefined for Kubernetes' defaults (no pause, 30 s). */
  readonly shutdown?: ShutdownProfile | undefined;
  /**
   * `value` of the PriorityClass the level chart creates (`merlai-<environment>`) for the API,
   * PostgreSQL and Redis pods; undefined for none (the cluster's default priority).
   */
  readonly priorityClassValue?: number | undefined;
  /** Whether the image must be pinned (immutable tag or digest). */
  readonly requirePinnedImage: boolean;
  /**
   * Whether every image the chart emits (API, PostgreSQL, Redis, Sentinel, exporter, backup jobs)
   * must be pinned by digest: a tag can be moved in the registry, a digest cannot (issue 27).
   */
  readonly requireImageDigests: boolean;
  /** Whether the level ships Prometheus rules (SLO and workload alerts): where Prometheus runs. */
  readonly monitoring: boolean;
  /**
   * Latency SLI threshold in seconds: a request slower than this spends latency budget. A bound of
   * ingress-nginx's request-duration histogram (`NGINX_DURATION_BUCKETS`).
   */
  readonly latencyThresholdSeconds: number;
  /** PostgreSQL (metadata), Redis (cache) and backups. */
  readonly datastores: DatastoreProfile;
}

const GUIDE_LIVENESS = { initialDelaySeconds: 30, periodSeconds: 10 } as const;
const GUIDE_READINESS = { initialDelaySeconds: 5, periodSeconds: 5 } as const;
/**
 * Probe timeouts measured with the real app under load (README "Probes under load"): at 0.5 CPU
 * and saturated by 32 concurrent generations, /health answered in up to 1.07 s (p95 0.39 s), so
 * Kubernetes' default 1 s would fail probes exactly when the pod is busiest, and three in a row
 * restart it. Levels 1 and 2 take Level 3's 5 s (liveness) and 3 s (readiness).
 */
const MEASURED_LIVENESS = { timeoutSeconds: 5, failureThreshold: 3 } as const;
const MEASURED_READINESS = { timeoutSeconds: 3, failureThreshold: 3 } as const;

/**
 * Levels 2 and 3 serve through ingress-nginx, which learns that a pod is terminating from the
 * EndpointSlice a few seconds after the kubelet does: the pause keeps the pod serving until then
 * (no 502s on every rollout), and the rest of the grace period lets in-flight generations finish.
 */
const GRACEFUL_SHUTDOWN: ShutdownProfile = { preStopPauseSeconds: 10, terminationGracePeriodSeconds: 60 };

/** The level table of DESIGN.md and the operations guide. */
export const LEVEL_PROFILES: Readonly<Record<AvailabilityLevel, LevelProfile>> = {
  [AvailabilityLevel.DEVELOPMENT]: {
    number: 1,
    level: AvailabilityLevel.DEVELOPMENT,
    chartId: 'level1-dev',
    environment: 'development',
    availabilityTarget: 0.99,
    replicas: 1,
    maxUnavailable: 0,
    maxSurge: 1,
    liveness: { ...GUIDE_LIVENESS, ...MEASURED_LIVENESS },
    readiness: { ...GUIDE_READINESS, ...MEASURED_READINESS },
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', cpuLimit: '500m', memoryLimit: '1Gi' },
    persistentStorage: false,
    apiServerCidrRequired: false,
    // 99 % allows a dev cluster's drain to stop the single pod; a rollout never does (maxUnavailable 0).
    minReadyApiPods: 0,
    requirePinnedImage: false,
    requireImageDigests: false,
    monitoring: false,
    latencyThresholdSeconds: 10,
    datastores: {
      developmentCredentials: true,
      postgresInstances: 1,
      postgresSynchronousReplicas: 0,
      postgresStorageSize: '5Gi',
      postgresResources: {
        cpuRequest: '100m',
        memoryRequest: '256Mi',
        cpuLimit: '500m',
        memoryLimit: '512Mi',
      },
      spreadAcrossNodes: false,
      zoneSpread: false,
      redisMode: RedisMode.STANDALONE,
      redisInstances: 1,
      redisSentinels: 0,
      redisResources: { cpuRequest: '50m', memoryRequest: '128Mi', cpuLimit: '250m', memoryLimit: '256Mi' },
      backupSchedule: '0 3 * * *',
      backupMaxAgeHours: 26,
      backupRetention: 3,
      backupStorageSize: '5Gi',
      objectStoreRequired: false,
      objectStoreRetention: '7d',
      walArchiveTimeout: '5min',
      walArchiveMaxAgeMinutes: 15,
    },
  },
  [AvailabilityLevel.STAGING]: {
    number: 2,
    level: AvailabilityLevel.STAGING,
    chartId: 'level2-staging',
    environment: 'staging',
    availabilityTarget: 0.995,
    replicas: 2,
    maxUnavailable: 0,
    maxSurge: 1,
    liveness: { ...GUIDE_LIVENESS, ...MEASURED_LIVENESS },
    readiness: { ...GUIDE_READINESS, ...MEASURED_READINESS },
    resources: { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '500m', memoryLimit: '1Gi' },
    persistentStorage: true,
    claimAccessMode: 'ReadWriteOnce',
    // Shared ReadWriteOnce claims kept both pods on one node (required pod affinity): one node lost
    // and staging was down. Per-pod volumes let them spread over nodes with the cluster's default
    // (ReadWriteOnce) class, which the guide's single-node staging also has; ReadWriteMany (Level 3)
    // would need a class such clusters lack. The price: /app/data is per pod and lives with it
    // (staging's generated files are disposable; metadata is in PostgreSQL), and each pod keeps its
    // own model cache.
    perPodStorage: true,
    // A staging cluster's API server, reached on 443 or 6443 at any address by default.
    apiServerCidrRequired: false,
    pdbMinAvailable: 1,
    minReadyApiPods: 1,
    // Spread over nodes where there are several (the guide's staging may be a single node: a
    // preference, never Pending). No zones: staging's 99.5 % does not ask for them.
    placement: {
      hostnameMaxSkew: 1,
      hostnameWhenUnsatisfiable: 'ScheduleAnyway',
      hostnameAntiAffinityWeight: 100,
    },
    shutdown: GRACEFUL_SHUTDOWN,
    requirePinnedImage: true,
    requireImageDigests: false,
    monitoring: true,
    latencyThresholdSeconds: 10,
    datastores: {
      developmentCredentials: false,
      postgresInstances: 2,
      postgresSynchronousReplicas: 0,
      postgresStorageSize: '20Gi',
      // Memory requests equal limits, as CloudNativePG recommends: PostgreSQL should never be the pod the kernel OOM-kills.
      postgresResources: { cpuRequest: '250m', memoryRequest: '1Gi', cpuLimit: '1', memoryLimit: '1Gi' },
      // The guide's Level 2 runs on a single-node Kubernetes: spreading is preferred, not required.
      spreadAcrossNodes: false,
      zoneSpread: false,
      redisMode: RedisMode.REPLICATION,
      redisInstances: 2,
      redisSentinels: 3,
      redisResources: { cpuRequest: '100m', memoryRequest: '256Mi', cpuLimit: '500m', memoryLimit: '512Mi' },
      backupSchedule: '0 3 * * *',
      backupMaxAgeHours: 26,
      backupRetention: 7,
      backupStorageSize: '20Gi',
      objectStoreRequired: false,
      objectStoreRetention: '14d',
      walArchiveTimeout: '5min',
      walArchiveMaxAgeMinutes: 15,
    },
  },
  [AvailabilityLevel.PRODUCTION]: {
    number: 3,
    level: AvailabilityLevel.PRODUCTION,
    chartId: 'level3-production',
    environment: 'production',
    availabilityTarget: 0.999,
    autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilizationPercent: 70 },
    maxUnavailable: 1,
    maxSurge: 1,
    liveness: { ...GUIDE_LIVENESS, ...MEASURED_LIVENESS },
    readiness: { ...GUIDE_READINESS, ...MEASURED_READINESS },
    // The guide's production Deployment, as written: requests below limits, so the API's pods are
    // Burstable, not Guaranteed (issue 27 asked for Guaranteed QoS). The guide's values are the
    // requirement: the autoscaler's 70 % is of the 250m request, and a generation may burst to the
    // 500m/1Gi limits. What Guaranteed would buy (last to be evicted under node memory pressure)
    // the PriorityClass below covers for scheduling and preemption; set `api.resources` with
    // requests equal to limits for Guaranteed pods.
    resources: { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '500m', memoryLimit: '1Gi' },
    persistentStorage: true,
    claimAccessMode: 'ReadWriteMany',
    apiServerCidrRequired: true,
    pdbMinAvailable: 2,
    minReadyApiPods: 2,
    placement: {
      // A zone outage must not take every pod: a pod waits (and the cluster autoscaler adds a
      // node) rather than pile into one zone. Nodes are many: spreading over them is a preference.
      zoneMaxSkew: 1,
      zoneWhenUnsatisfiable: 'DoNotSchedule',
      zoneNodeTaintsPolicy: 'Honor',
      hostnameMaxSkew: 1,
      hostnameWhenUnsatisfiable: 'ScheduleAnyway',
      hostnameAntiAffinityWeight: 100,
    },
    shutdown: GRACEFUL_SHUTDOWN,
    // Above every workload of default priority (0), far below the system classes (2000000000 and
    // up; Kubernetes "Pod Priority and Preemption": user classes stay at or below 1000000000): when
    // a zone is lost, the replacements of the API and datastores preempt batch pods instead of
    // waiting for the autoscaler.
    priorityClassValue: 1000000,
    requirePinnedImage: true,
    requireImageDigests: true,
    monitoring: true,
    latencyThresholdSeconds: 5,
    datastores: {
      developmentCredentials: false,
      postgresInstances: 3,
      postgresSynchronousReplicas: 1,
      postgresStorageSize: '50Gi',
      postgresResources: { cpuRequest: '500m', memoryRequest: '2Gi', cpuLimit: '2', memoryLimit: '2Gi' },
      spreadAcrossNodes: true,
      // The guide's production runs on a multi-node cluster: a zone outage must leave PostgreSQL a
      // primary and a synchronous standby, and Redis a Sentinel majority (2 of 3).
      zoneSpread: true,
      redisMode: RedisMode.REPLICATION,
      redisInstances: 3,
      redisSentinels: 3,
      redisResources: { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '1Gi' },
      backupSchedule: '0 */6 * * *',
      backupMaxAgeHours: 8,
      backupRetention: 28,
      backupStorageSize: '100Gi',
      objectStoreRequired: true,
      objectStoreRetention: '30d',
      walArchiveTimeout: '1min',
      walArchiveMaxAgeMinutes: 10,
    },
  },
};

/** The profile of one level. */
export function levelProfile(level: AvailabilityLevel): LevelProfile {
  const profile = LEVEL_PROFILES[level];
  if (!profile) {
    const valid = Object.values(AvailabilityLevel).join(', ');
    throw new Error(`Unknown availability level '${String(level)}'; expected one of: ${valid}`);
  }
  return profile;
}

/** Minutes of allowed unavailability in a 30-day month for an availability target. */
export function monthlyErrorBudgetMinutes(availabilityTarget: number): number {
  return Math.round((1 - availabilityTarget) * 30 * 24 * 60 * 10) / 10;
}
