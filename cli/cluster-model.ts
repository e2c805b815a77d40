import { selectorLabels } from '../lib/core/labels';
import type { LevelProfile } from '../lib/core/levels';
import type { ClusterModel, ListeningPort, ModelEndpoint, ModelNamespace, ModelPod } from './network-policy';
import type { KubeObject } from './objects';

/**
 * A small cluster around one Merlai level, for the reachability tests: the ingress controller,
 * the cluster DNS, Prometheus, the two datastore operators, a pod of another team, an address on
 * the internet, the API server's endpoint and the backups' object store — plus Merlai's own pods.
 *
 * Merlai's pods carry the labels the synthesized workloads give them (the API's Deployment, and
 * the datastores' StatefulSets, CronJob, CloudNativePG `Cluster` and `RedisReplication` with the
 * labels their operators put on the pods they create). Where a level does not synthesize a
 * datastore workload yet, the pod carries the labels agreed with the datastores construct and is
 * marked `assumed`, so a test can list what still rests on the agreement.
 */

export const APP_NAMESPACE = 'merlai';

/** The pods and addresses around Merlai; Merlai's own pods come from `merlaiPods`. */
export const SURROUNDINGS: readonly ModelEndpoint[] = [
  pod('ingress-controller', 'ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }, '10.244.1.10', [
    { port: 80, name: 'http' },
    { port: 443, name: 'https' },
  ]),
  pod('kube-dns', 'kube-system', { 'k8s-app': 'kube-dns' }, '10.244.0.10', [
    { port: 53, protocol: 'UDP', name: 'dns' },
    { port: 53, protocol: 'TCP', name: 'dns-tcp' },
    { port: 9153, name: 'metrics' },
  ]),
  pod('prometheus', 'monitoring', { 'app.kubernetes.io/name': 'prometheus' }, '10.244.2.10', [
    { port: 9090, name: 'web' },
  ]),
  // The operators' pods with the labels their Helm charts give them.
  pod(
    'cnpg-operator',
    'cnpg-system',
    { 'app.kubernetes.io/name': 'cloudnative-pg', 'app.kubernetes.io/instance': 'cnpg' },
    '10.244.3.10',
    [{ port: 9443, name: 'webhook-server' }],
  ),
  pod('redis-operator', 'ot-operators', { name: 'redis-operator' }, '10.244.3.20', [
    { port: 8080, name: 'metrics' },
  ]),
  // The same operator installed from its kustomize manifests (config/manager/manager.yaml).
  pod('redis-operator-kustomize', 'ot-operators', { 'control-plane': 'redis-operator' }, '10.244.3.21', [
    { port: 8080, name: 'metrics' },
  ]),
  pod('other-team', 'other-team', { app: 'other' }, '10.244.4.10', [{ port: 8080, name: 'http' }]),
  // A stray pod in Merlai's namespace (a debug pod, say): the default deny must cover it.
  pod('stray', APP_NAMESPACE, { app: 'debug' }, '10.244.5.99', [{ port: 8080, name: 'http' }]),
  {
    kind: 'address',
    name: 'internet',
    ip: '203.0.113.10',
    ports: [{ port: 443 }, { port: 5432 }, { port: 6379 }, { port: 6443 }],
  },
  { kind: 'address', name: 'api-server', ip: '172.18.0.2', ports: [{ port: 6443 }, { port: 443 }] },
  // NodeLocal DNSCache on the node's host network, at its link-local address.
  {
    kind: 'address',
    name: 'node-local-dns',
    ip: '169.254.20.10',
    ports: [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ],
  },
  // The backups' object store outside the cluster: the example target of main.ts (198.51.100.20/32,
  // HTTPS), also listening on 80 and 9000, which nothing may use.
  {
    kind: 'address',
    name: 'object-store',
    ip: '198.51.100.20',
    ports: [{ port: 443 }, { port: 80 }, { port: 9000 }],
  },
];

const NAMESPACES: readonly ModelNamespace[] = [
  { name: APP_NAMESPACE },
  { name: 'ingress-nginx' },
  { name: 'kube-system' },
  { name: 'monitoring' },
  { name: 'cnpg-system' },
  { name: 'ot-operators' },
  { name: 'other-team' },
  { name: 'database' },
];

export function pod(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  ip: string,
  ports: ListeningPort[] = [],
): ModelPod {
  return { kind: 'pod', name, namespace, labels, ip, ports };
}

/** A pod of Merlai, with whether its labels come from an agreement rather than a synthesized object. */
export interface MerlaiPod extends ModelPod {
  readonly assumed: boolean;
}

/** The cluster model of one level's synthesized objects. */
export function clusterModel(
  objects: KubeObject[],
  profile: LevelProfile,
  extra: readonly ModelEndpoint[] = [],
  namespace = APP_NAMESPACE,
): ClusterModel {
  const namespaces = NAMESPACES.some((n) => n.name === namespace)
    ? NAMESPACES
    : [...NAMESPACES, { name: namespace }];
  return { namespaces, endpoints: [...SURROUNDINGS, ...merlaiPods(objects, profile, namespace), ...extra] };
}

/**
 * Merlai's pods at one level: the API (two pods where the level runs several), PostgreSQL (two
 * instances when replicated), Redis (a leader and a follower when clustered) and the backup job.
 */
export function merlaiPods(objects: KubeObject[], profile: LevelProfile, ns = APP_NAMESPACE): MerlaiPod[] {
  const instance = templateLabels(objects, 'Deployment', 'api')?.['app.kubernetes.io/instance'] ?? 'merlai';
  const api = templateLabels(objects, 'Deployment', 'api');
  if (!api) throw new Error('no API Deployment among the objects');
  const apiPods = Math.min(2, profile.replicas ?? profile.autoscaling?.minReplicas ?? 1);
  const pods: MerlaiPod[] = [
    ...[1, 2]
      .slice(0, apiPods)
      .map((n) =>
        merlai(
          n === 1 ? 'api' : `api-${n}`,
          api,
          `10.244.5.1${n}`,
          [{ port: 8000, name: 'http' }],
          false,
          ns,
        ),
      ),
    ...postgresPods(objects, profile, instance, ns),
    ...redisPods(objects, profile, instance, ns),
  ];
  const backup = templateLabels(objects, 'CronJob', 'backup');
  pods.push(
    merlai(
      'backup',
      backup ?? selectorLabels('merlai-postgres-backup', 'backup', instance),
      '10.244.5.40',
      [],
      !backup,
      ns,
    ),
  );
  return pods;
}

function postgresPods(
  objects: KubeObject[],
  profile: LevelProfile,
  instance: string,
  ns: string,
): MerlaiPod[] {
  const cluster = objects.find((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/'));
  if (cluster)
    return cnpgPods(cluster.metadata.name, cluster.spec?.inheritedMetadata?.labels ?? {}, false, ns);
  const labels =
    templateLabels(objects, 'StatefulSet', 'database') ?? templateLabels(objects, 'Deployment', 'database');
  if (labels)
    return [merlai('postgres-0', labels, '10.244.5.20', [{ port: 5432, name: 'postgresql' }], false, ns)];
  // Not synthesized yet: the agreed shape (a plain StatefulSet at Level 1, CloudNativePG above).
  if (profile.number > 1) return cnpgPods('merlai-postgres', {}, true, ns);
  return [
    merlai(
      'postgres-0',
      selectorLabels('merlai-postgres', 'database', instance),
      '10.244.5.20',
      [{ port: 5432, name: 'postgresql' }],
      true,
      ns,
    ),
  ];
}

/** CloudNativePG instance pods: its labels, PostgreSQL, the instance manager's status and metrics ports. */
function cnpgPods(
  cluster: string,
  inherited: Record<string, string>,
  assumed: boolean,
  ns: string,
): MerlaiPod[] {
  const ports: ListeningPort[] = [
    { port: 5432, name: 'postgresql' },
    { port: 8000, name: 'status' },
    { port: 9187, name: 'metrics' },
  ];
  return [1, 2].map((n) =>
    merlai(
      `postgres-${n}`,
      {
        ...inherited,
        'cnpg.io/cluster': cluster,
        'cnpg.io/instanceName': `${cluster}-${n}`,
        'cnpg.io/podRole': 'instance',
        role: n === 1 ? 'primary' : 'replica',
      },
      `10.244.5.2${n}`,
      ports,
      assumed,
      ns,
    ),
  );
}

function redisPods(objects: KubeObject[], profile: LevelProfile, instance: string, ns: string): MerlaiPod[] {
  const replication = objects.find((o) => o.kind === 'RedisReplication');
  if (replication) return redisReplicationPods(replication, false, ns);
  const labels =
    templateLabels(objects, 'StatefulSet', 'cache') ?? templateLabels(objects, 'Deployment', 'cache');
  if (labels) return [merlai('redis-0', labels, '10.244.5.30', [{ port: 6379, name: 'redis' }], false, ns)];
  if (objects.some((o) => o.apiVersion?.startsWith('redis.redis.opstreelabs.in/'))) {
    throw new Error(
      'a redis-operator resource other than RedisReplication: teach the cluster model its pods',
    );
  }
  if (profile.number > 1) {
    const { app: _operatorSetsIt, ...crLabels } = selectorLabels('merlai-redis', 'cache', instance);
    const assumed = {
      kind: 'RedisReplication',
      apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
      metadata: { name: 'merlai-redis', labels: crLabels },
      spec: { redisExporter: { enabled: true }, sentinel: { size: 3 } },
    };
    return redisReplicationPods(assumed, true, ns);
  }
  return [
    merlai(
      'redis-0',
      selectorLabels('merlai-redis', 'cache', instance),
      '10.244.5.30',
      [{ port: 6379, name: 'redis' }],
      true,
      ns,
    ),
  ];
}

/**
 * Pods of an OT-Container-Kit `RedisReplication`: a primary and a replica, and a Sentinel when the
 * resource has one. Each carries the resource's labels plus the operator's own (`app`,
 * `redis_setup_type`, `role`; internal/k8sutils/labels.go `getRedisLabels`).
 */
function redisReplicationPods(cr: KubeObject, assumed: boolean, ns: string): MerlaiPod[] {
  const name = cr.metadata.name;
  const crLabels = cr.metadata.labels ?? {};
  const dataPorts: ListeningPort[] = [
    { port: 6379, name: 'redis' },
    ...(cr.spec?.redisExporter?.enabled
      ? [{ port: cr.spec.redisExporter.port ?? 9121, name: 'redis-exporter' }]
      : []),
  ];
  const data = [1, 2].map((n) =>
    merlai(
      `redis-${n}`,
      { app: name, redis_setup_type: 'replication', role: 'replication', ...crLabels },
      `10.244.5.3${n}`,
      dataPorts,
      assumed,
      ns,
    ),
  );
  if (!cr.spec?.sentinel) return data;
  const sentinel = merlai(
    'sentinel-1',
    { app: `${name}-sentinel`, redis_setup_type: 'sentinel', role: 'sentinel', ...crLabels },
    '10.244.5.35',
    [{ port: 26379, name: 'sentinel' }],
    assumed,
    ns,
  );
  return [...data, sentinel];
}

function merlai(
  name: string,
  labels: Record<string, string>,
  ip: string,
  ports: ListeningPort[],
  assumed: boolean,
  ns: string,
): MerlaiPod {
  return { ...pod(name, ns, labels, ip, ports), assumed };
}

/** The pod-template labels of the first workload of `kind` whose component label is `component`. */
function templateLabels(
  objects: KubeObject[],
  kind: string,
  component: string,
): Record<string, string> | undefined {
  for (const o of objects.filter((x) => x.kind === kind)) {
    const template = kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
    const labels = template?.metadata?.labels;
    if (labels?.['app.kubernetes.io/component'] === component) return labels;
  }
  return undefined;
}
