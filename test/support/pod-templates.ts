import type { PodTemplate } from './pod-security';
import type { KubeObject } from './synth';

/**
 * Every pod an object will run, as the API server or an operator will create it: the templates
 * of the built-in workloads, Argo Rollouts and Argo analysis jobs, and the pods the CloudNativePG
 * and OT-Container-Kit redis-operator build from their custom resources (reconstructed from the
 * fields those operators copy into the pod, with the defaults they fill in).
 *
 * Kinds that run no pod are listed; any other kind throws, so a new workload kind cannot slip
 * past the Pod Security checks unnoticed.
 */

export interface NamedPodTemplate extends PodTemplate {
  /** `Kind/name` of the object, plus the role for operators that build several pods. */
  readonly source: string;
}

/** Kinds that never run a pod of their own. */
export const KINDS_WITHOUT_PODS = new Set([
  'Namespace',
  'ServiceAccount',
  'Service',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'NetworkPolicy',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Ingress',
  'Role',
  'RoleBinding',
  'ServiceMonitor',
  'PodMonitor',
  'PrometheusRule',
  'ScheduledBackup', // CloudNativePG runs backups inside the instance pods
  'Backup',
  // Barman Cloud plugin: configuration only; the plugin injects its sidecar `plugin-barman-cloud` into
  // the instance pods with a "restricted" security context (plugin-barman-cloud
  // internal/cnpgi/operator/lifecycle.go: non-root, no privilege escalation, read-only root, ALL
  // capabilities dropped, RuntimeDefault seccomp).
  'ObjectStore',
  'ExternalSecret',
  'SealedSecret',
  'LimitRange',
  'ResourceQuota',
  'PriorityClass', // scheduling.k8s.io/v1: a scheduling priority, no pod
]);

const TEMPLATE_KINDS: Record<string, (o: KubeObject) => any> = {
  Deployment: (o) => o.spec.template,
  StatefulSet: (o) => o.spec.template,
  DaemonSet: (o) => o.spec.template,
  ReplicaSet: (o) => o.spec.template,
  ReplicationController: (o) => o.spec.template,
  Job: (o) => o.spec.template,
  CronJob: (o) => o.spec.jobTemplate.spec.template,
  Pod: (o) => ({ metadata: o.metadata, spec: o.spec }),
};

export function podTemplatesOf(o: KubeObject): NamedPodTemplate[] {
  const source = `${o.kind}/${o.metadata.name}`;
  const template = TEMPLATE_KINDS[o.kind];
  if (template) return [{ source, ...template(o) }];
  if (o.kind === 'Rollout' && o.apiVersion.startsWith('argoproj.io/')) {
    return o.spec.template ? [{ source, ...o.spec.template }] : []; // workloadRef: the Deployment is checked
  }
  if (o.kind === 'AnalysisTemplate' || o.kind === 'ClusterAnalysisTemplate') {
    return (o.spec.metrics ?? [])
      .filter((m: any) => m.provider?.job)
      .map((m: any) => ({ source: `${source}:${m.name}`, ...m.provider.job.spec.template }));
  }
  if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/'))
    return [cnpgInstancePod(o, source)];
  if (o.apiVersion.startsWith('redis.redis.opstreelabs.in/')) return otRedisPods(o, source);
  if (KINDS_WITHOUT_PODS.has(o.kind)) return [];
  throw new Error(
    `${o.apiVersion} ${source}: unknown kind — add how it runs pods to test/support/pod-templates.ts, or list it among the kinds without pods`,
  );
}

/**
 * A CloudNativePG instance pod (its initdb and join jobs use the same security contexts): the
 * pod context defaults to the postgres UID/GID 26, runAsNonRoot and the cluster's seccomp profile
 * (RuntimeDefault), and the containers' to no privilege escalation, drop ALL, read-only root; a
 * `podSecurityContext` or `securityContext` of the Cluster replaces those defaults field by field
 * as the operator does (`pkg/specs/pods.go`, `containers.go`).
 */
function cnpgInstancePod(o: KubeObject, source: string): NamedPodTemplate {
  const spec = o.spec ?? {};
  const seccompProfile = spec.seccompProfile ?? { type: 'RuntimeDefault' };
  const uid = spec.postgresUID ?? 26;
  const gid = spec.postgresGID ?? 26;
  const podDefault = { seccompProfile, runAsUser: uid, runAsGroup: gid, runAsNonRoot: true, fsGroup: gid };
  const podContext = spec.podSecurityContext
    ? {
        ...spec.podSecurityContext,
        runAsUser: spec.podSecurityContext.runAsUser ?? uid,
        runAsGroup: spec.podSecurityContext.runAsGroup ?? gid,
        seccompProfile: spec.podSecurityContext.seccompProfile ?? seccompProfile,
      }
    : podDefault;
  const containerDefault: Record<string, unknown> = {
    seccompProfile,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  };
  const containerContext = { ...containerDefault };
  for (const [k, v] of Object.entries(spec.securityContext ?? {}))
    if (v !== undefined) containerContext[k] = v;
  const volumes = [
    { name: 'pgdata', persistentVolumeClaim: { claimName: `${o.metadata.name}-1` } },
    { name: 'scratch-data', emptyDir: {} },
    { name: 'shm', emptyDir: { medium: 'Memory' } },
    ...(spec.walStorage
      ? [{ name: 'pg-wal', persistentVolumeClaim: { claimName: `${o.metadata.name}-1-wal` } }]
      : []),
    ...(spec.projectedVolumeTemplate ? [{ name: 'projected', projected: spec.projectedVolumeTemplate }] : []),
    ...(spec.ephemeralVolumeSource ? [{ name: 'ephemeral', ephemeral: spec.ephemeralVolumeSource }] : []),
  ];
  return {
    source,
    metadata: { annotations: {} },
    spec: {
      securityContext: podContext,
      initContainers: [{ name: 'bootstrap-controller', securityContext: containerContext }],
      containers: [
        {
          name: 'postgres',
          securityContext: containerContext,
          ports: [{ containerPort: 5432 }, { containerPort: 9187 }, { containerPort: 8000 }],
        },
      ],
      volumes,
    },
  };
}

/**
 * Pods of the OT-Container-Kit redis-operator, which copies into each StatefulSet the custom
 * resource's `podSecurityContext`, the Redis container's `securityContext` (per role for a
 * cluster), the exporter's, the init container's, the sidecars' and an embedded Sentinel's — and fills in nothing
 * (`internal/k8sutils/statefulset.go`): whatever the custom resource omits, the pod lacks.
 */
function otRedisPods(o: KubeObject, source: string): NamedPodTemplate[] {
  const spec = o.spec ?? {};
  const roles: [string, any][] =
    o.kind === 'RedisCluster'
      ? [
          ['leader', spec.redisLeader?.securityContext],
          ['follower', spec.redisFollower?.securityContext],
        ]
      : o.kind === 'RedisSentinel'
        ? [['sentinel', spec.securityContext]]
        : [[o.kind === 'RedisReplication' ? 'replication' : 'standalone', spec.securityContext]];
  const pods: NamedPodTemplate[] = roles.map(([role, redisContext]) => {
    const name = `${o.metadata.name}-${role}`;
    const containers: any[] = [
      {
        name,
        securityContext: redisContext,
        ports: spec.hostPort ? [{ containerPort: spec.port ?? 6379, hostPort: spec.hostPort }] : [],
      },
    ];
    if (spec.redisExporter?.enabled) {
      containers.push({ name: 'redis-exporter', securityContext: spec.redisExporter.securityContext });
    }
    for (const sidecar of spec.sidecars ?? []) {
      containers.push({ name: sidecar.name, securityContext: sidecar.securityContext });
    }
    const initContainers = spec.initContainer?.enabled
      ? [{ name: `init${name}`, securityContext: spec.initContainer.securityContext }]
      : [];
    const volumes = [
      { name: 'config', emptyDir: {} },
      ...(spec.storage?.volumeMount?.volume ?? []),
      ...(spec.TLS ? [{ name: 'tls-certs', secret: spec.TLS.secret }] : []),
    ];
    return {
      source: `${source}:${role}`,
      metadata: { annotations: {} },
      spec: {
        securityContext: spec.podSecurityContext,
        hostNetwork: spec.hostNetwork,
        initContainers,
        containers,
        volumes,
      },
    };
  });
  // A RedisReplication may embed its Sentinel, a StatefulSet of its own with its own contexts.
  if (o.kind === 'RedisReplication' && spec.sentinel) {
    pods.push({
      source: `${source}:sentinel`,
      metadata: { annotations: {} },
      spec: {
        securityContext: spec.sentinel.podSecurityContext,
        containers: [{ name: `${o.metadata.name}-sentinel`, securityContext: spec.sentinel.securityContext }],
        volumes: [{ name: 'config', emptyDir: {} }],
      },
    });
  }
  return pods;
}
