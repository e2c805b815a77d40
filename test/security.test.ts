import { Chart, Testing } from 'cdk8s';
import { APP_NAMESPACE, clusterModel, pod } from '../cli/cluster-model';
import { type ModelEndpoint, NetworkPolicyEvaluator, type NetworkPolicyObject } from '../cli/network-policy';
import {
  ApiServiceType,
  AvailabilityLevel,
  type DatastoreEndpoints,
  DeploymentStrategy,
  LEVEL_PROFILES,
  MerlaiApi,
  MerlaiSecurity,
  type MerlaiSecurityProps,
} from '../lib';
import { OPERATOR_ENDPOINTS, PLAIN_ENDPOINTS } from './support/endpoints';
import { find, type KubeObject, LEVELS, levelChart, synthLevel, TEST_CLUSTER_FACTS } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

function policies(objects: KubeObject[]): NetworkPolicyObject[] {
  return objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
}

function evaluatorFor(level: AvailabilityLevel, objects: KubeObject[], extra: ModelEndpoint[] = []) {
  return new NetworkPolicyEvaluator(policies(objects), clusterModel(objects, LEVEL_PROFILES[level], extra));
}

/** Flows that start or end at a pod of Merlai's namespace (the only pods these policies govern). */
const involvingMerlai = (e: ModelEndpoint) => e.kind === 'pod' && e.namespace === APP_NAMESPACE;

/** The cluster DNS pods, and NodeLocal DNSCache on the host network (169.254.20.10, the default). */
const DNS = (from: string) => [
  `${from} -> kube-dns:53/TCP`,
  `${from} -> kube-dns:53/UDP`,
  `${from} -> node-local-dns:53/TCP`,
  `${from} -> node-local-dns:53/UDP`,
];

// The allowed flows, written from the guide and the issue — not from the policies: every flow the
// application needs, and nothing else. Any extra or missing flow fails the test.
const LEVEL1_FLOWS = [
  'ingress-controller -> api:8000/TCP',
  ...DNS('api'),
  'api -> postgres-0:5432/TCP',
  'api -> redis-0:6379/TCP',
  ...DNS('backup'),
  'backup -> postgres-0:5432/TCP',
];

/** What each API pod needs at Levels 2 and 3: its clients, the DNS, both PostgreSQL instances, both Redis nodes. */
const replicatedApiFlows = (api: string) => [
  `ingress-controller -> ${api}:8000/TCP`,
  ...DNS(api),
  `${api} -> postgres-1:5432/TCP`,
  `${api} -> postgres-2:5432/TCP`,
  `${api} -> redis-1:6379/TCP`,
  `${api} -> redis-2:6379/TCP`,
];

/** Levels 2 and 3 alike; the API server's flows differ (`apiServerFlows`). */
const REPLICATED_FLOWS = [
  // Two API pods, which do not talk to each other.
  ...replicatedApiFlows('api'),
  ...replicatedApiFlows('api-2'),
  ...DNS('backup'),
  'backup -> postgres-1:5432/TCP',
  'backup -> postgres-2:5432/TCP',
  // The backups off the cluster: the dump Job uploads (and the restore Job downloads) over HTTPS,
  // and CloudNativePG's instances archive WAL and base backups there (Barman Cloud plugin).
  'backup -> object-store:443/TCP',
  'postgres-1 -> object-store:443/TCP',
  'postgres-2 -> object-store:443/TCP',
  // CloudNativePG: streaming replication and the instance manager between instances, the DNS,
  // the API server (below).
  'postgres-1 -> postgres-2:5432/TCP',
  'postgres-1 -> postgres-2:8000/TCP',
  'postgres-2 -> postgres-1:5432/TCP',
  'postgres-2 -> postgres-1:8000/TCP',
  ...DNS('postgres-1'),
  ...DNS('postgres-2'),
  'cnpg-operator -> postgres-1:5432/TCP',
  'cnpg-operator -> postgres-1:8000/TCP',
  'cnpg-operator -> postgres-2:5432/TCP',
  'cnpg-operator -> postgres-2:8000/TCP',
  'prometheus -> postgres-1:9187/TCP',
  'prometheus -> postgres-2:9187/TCP',
  // Redis replication with Sentinel: replication between the data pods, Sentinel watching them
  // (and they announcing to it), the operator on both ports, the exporter.
  'redis-1 -> redis-2:6379/TCP',
  'redis-2 -> redis-1:6379/TCP',
  'redis-1 -> sentinel-1:26379/TCP',
  'redis-2 -> sentinel-1:26379/TCP',
  'sentinel-1 -> redis-1:6379/TCP',
  'sentinel-1 -> redis-2:6379/TCP',
  ...DNS('redis-1'),
  ...DNS('redis-2'),
  ...DNS('sentinel-1'),
  // Helm's and kustomize's installs of the operator.
  'redis-operator -> redis-1:6379/TCP',
  'redis-operator -> redis-2:6379/TCP',
  'redis-operator -> sentinel-1:26379/TCP',
  'redis-operator-kustomize -> redis-1:6379/TCP',
  'redis-operator-kustomize -> redis-2:6379/TCP',
  'redis-operator-kustomize -> sentinel-1:26379/TCP',
  'prometheus -> redis-1:9121/TCP',
  'prometheus -> redis-2:9121/TCP',
];

/** The instance managers reach the API server's endpoints on 443 (EKS, GKE, AKS) and 6443 (kubeadm) at `hosts`. */
const apiServerFlows = (hosts: string[]) =>
  ['postgres-1', 'postgres-2'].flatMap((pg) =>
    hosts.flatMap((host) => [`${pg} -> ${host}:443/TCP`, `${pg} -> ${host}:6443/TCP`]),
  );

const EXPECTED_FLOWS: Record<AvailabilityLevel, string[]> = {
  [DEVELOPMENT]: LEVEL1_FLOWS,
  // Level 2's default knows no address: any host on those ports (DEFAULT_KUBERNETES_API_SERVER).
  // A /0 range holds pod addresses too: any pod listening on 443 (here the ingress controller).
  [STAGING]: [
    ...REPLICATED_FLOWS,
    ...apiServerFlows(['api-server', 'internet']),
    'postgres-1 -> ingress-controller:443/TCP',
    'postgres-2 -> ingress-controller:443/TCP',
  ],
  // Level 3: only the range the user states (here the model's API server, TEST_CLUSTER_FACTS).
  [PRODUCTION]: [...REPLICATED_FLOWS, ...apiServerFlows(['api-server'])],
};

describe.each(LEVELS)('reachability at %s', (level) => {
  const objects = synthLevel(level);
  const evaluator = evaluatorFor(level, objects);

  test(`level ${LEVEL_PROFILES[level].number}: the exact matrix of allowed flows — every needed flow, nothing else`, () => {
    expect(evaluator.matrix(involvingMerlai)).toEqual([...EXPECTED_FLOWS[level]].sort());
  });

  test('default deny: a stray pod in the namespace can neither be reached nor reach anything', () => {
    const flows = evaluator
      .matrix(involvingMerlai)
      .filter((f) => f.startsWith('stray ') || f.includes('-> stray:'));
    expect(flows).toEqual([]);
  });

  test('nothing outside the ingress controller reaches the API, and the API reaches nothing but DNS and its datastores', () => {
    const api = evaluator.endpoint('api');
    for (const from of ['other-team', 'internet', 'prometheus', 'kube-dns', 'stray']) {
      expect(evaluator.allows(evaluator.endpoint(from), api, 8000)).toBe(false);
    }
    expect(evaluator.allows(api, evaluator.endpoint('internet'), 443)).toBe(false);
    expect(evaluator.allows(api, evaluator.endpoint('other-team'), 8080)).toBe(false);
    expect(evaluator.allows(api, evaluator.endpoint('api-server'), 6443)).toBe(false);
  });
});

describe("the backups' object store", () => {
  const store = {
    endpointUrl: 'https://198.51.100.20:9000',
    bucket: 'merlai-backups',
    credentialsSecretName: 's3',
    cidr: '198.51.100.20/32',
  };

  test('Level 1 with an object store: only the backup pods reach it, on its port only', () => {
    const objects = synthLevel(DEVELOPMENT, { datastores: { objectStore: store } });
    const e = evaluatorFor(DEVELOPMENT, objects);
    expect(e.matrix(involvingMerlai).filter((f) => f.includes('object-store'))).toEqual([
      'backup -> object-store:9000/TCP',
    ]);
  });

  test('Level 3 opted out (localBackupsOnly): nothing reaches the object store', () => {
    const objects = synthLevel(PRODUCTION, { datastores: { localBackupsOnly: true } });
    const e = evaluatorFor(PRODUCTION, objects);
    expect(e.matrix(involvingMerlai).filter((f) => f.includes('object-store'))).toEqual([]);
  });

  test('a store elsewhere: the example address is closed, the new one open to the backups and PostgreSQL', () => {
    // The API server at its own address, so Level 2's default (any host on 443 and 6443) does not
    // mask what the object-store rule opens.
    const objects = synthLevel(STAGING, {
      security: { kubernetesApiServer: TEST_CLUSTER_FACTS.kubernetesApiServer },
      datastores: { objectStore: { ...store, endpointUrl: 'https://10.99.0.5', cidr: '10.99.0.0/24' } },
    });
    const elsewhere: ModelEndpoint = {
      kind: 'address',
      name: 'minio',
      ip: '10.99.0.5',
      ports: [{ port: 443 }],
    };
    const e = evaluatorFor(STAGING, objects, [elsewhere]);
    const flows = e.matrix(involvingMerlai).filter((f) => /object-store|minio/.test(f));
    expect(flows).toEqual([
      'backup -> minio:443/TCP',
      'postgres-1 -> minio:443/TCP',
      'postgres-2 -> minio:443/TCP',
    ]);
  });
});

describe.each([
  ['blue-green', DeploymentStrategy.blueGreen()],
  ['canary', DeploymentStrategy.canary()],
])('reachability with a %s rollout', (_name, strategy) => {
  test.each([STAGING, PRODUCTION])(
    '%s: the same matrix as the rolling update — Argo Rollouts pods carry the API labels',
    (level) => {
      const objects = synthLevel(level, { api: { strategy } });
      expect(objects.some((o) => o.kind === 'Rollout')).toBe(true);
      expect(evaluatorFor(level, objects).matrix(involvingMerlai)).toEqual([...EXPECTED_FLOWS[level]].sort());
    },
  );
});

describe('merlai-network-policy, as the guide names it', () => {
  const objects = synthLevel(PRODUCTION);
  const policy = find(objects, 'NetworkPolicy', 'merlai-network-policy');

  test('selects the API pods by their labels, app: merlai-api among them, in namespace merlai', () => {
    expect(policy.metadata.namespace).toBe('merlai');
    expect(policy.spec.podSelector.matchLabels).toMatchObject({ app: 'merlai-api' });
    expect(policy.spec.podSelector.matchLabels).toEqual(
      find(objects, 'Deployment', 'merlai-api').spec.template.metadata.labels,
    );
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  test('ingress only from namespace ingress-nginx (kubernetes.io/metadata.name) on TCP 8000', () => {
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ port: 8000, protocol: 'TCP' }],
      },
    ]);
  });

  test('the guide’s policy taken literally would break the app: no DNS, no Redis, and no ingress at all', () => {
    const guide: NetworkPolicyObject = {
      kind: 'NetworkPolicy',
      metadata: { name: 'merlai-network-policy', namespace: 'merlai' },
      spec: {
        podSelector: { matchLabels: { app: 'merlai-api' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { name: 'ingress-nginx' } } }],
            ports: [{ protocol: 'TCP', port: 8000 }],
          },
        ],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { name: 'database' } } }],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      },
    };
    const literal = new NetworkPolicyEvaluator([guide], clusterModel(objects, LEVEL_PROFILES[PRODUCTION]));
    const api = literal.endpoint('api');
    expect(literal.allows(api, literal.endpoint('kube-dns'), 53, 'UDP')).toBe(false);
    expect(literal.allows(api, literal.endpoint('redis-1'), 6379)).toBe(false);
    expect(literal.allows(literal.endpoint('ingress-controller'), api, 8000)).toBe(false);
    // Ours allows all three.
    const ours = evaluatorFor(PRODUCTION, objects);
    expect(ours.allows(api, ours.endpoint('kube-dns'), 53, 'UDP')).toBe(true);
    expect(ours.allows(api, ours.endpoint('redis-1'), 6379)).toBe(true);
    expect(ours.allows(ours.endpoint('ingress-controller'), api, 8000)).toBe(true);
  });
});

describe.each(LEVELS)('namespace and service account at %s', (level) => {
  const objects = synthLevel(level);

  // Issue 26: Pod Security enforced at the newest proven Kubernetes' "restricted" (v1.37).
  test('namespace merlai enforces, audits and warns Pod Security "restricted", pinned to v1.37', () => {
    const ns = find(objects, 'Namespace', 'merlai');
    for (const mode of ['enforce', 'audit', 'warn']) {
      expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
      expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}-version`]).toBe('v1.37');
    }
    expect(ns.metadata.namespace).toBeUndefined();
  });

  test('the API runs as its own ServiceAccount without an API token, and no RBAC is granted', () => {
    const sa = find(objects, 'ServiceAccount', 'merlai-api');
    expect(sa.automountServiceAccountToken).toBe(false);
    const podSpec = find(objects, 'Deployment', 'merlai-api').spec.template.spec;
    expect(podSpec.serviceAccountName).toBe('merlai-api');
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(objects.filter((o) => /^(Cluster)?Role(Binding)?$/.test(o.kind))).toEqual([]);
  });
});

/** A chart with the API and the security construct, for variants the level charts do not take. */
function variant(props: Partial<MerlaiSecurityProps> & { apiServiceType?: ApiServiceType } = {}) {
  const chart = new Chart(Testing.app(), 'variant', { namespace: 'merlai', disableResourceNameHashes: true });
  const api = new MerlaiApi(chart, 'merlai-api', {
    level: PRODUCTION,
    serviceType: props.apiServiceType,
    storageClassName: 'cephfs',
  });
  const security = new MerlaiSecurity(chart, 'security', {
    api,
    endpoints: OPERATOR_ENDPOINTS,
    kubernetesApiServer: { cidr: '172.18.0.2/32' },
    ...props,
  });
  return { chart, api, security, objects: Testing.synth(chart) as KubeObject[] };
}

describe('MerlaiSecurity variants', () => {
  test('kubernetesApiServer narrows the instance manager’s egress to the API server endpoint, on 443 and 6443 by default', () => {
    const { objects } = variant();
    const e = evaluatorFor(PRODUCTION, objects);
    const pg = e.endpoint('postgres-1');
    // 443: the endpoint port of EKS, GKE and AKS; 6443: kubeadm, kind, k3s.
    expect(e.allows(pg, e.endpoint('api-server'), 6443)).toBe(true);
    expect(e.allows(pg, e.endpoint('api-server'), 443)).toBe(true);
    expect(e.allows(pg, e.endpoint('internet'), 6443)).toBe(false);
    expect(e.allows(pg, e.endpoint('internet'), 443)).toBe(false);
    expect(e.allows(pg, e.endpoint('ingress-controller'), 443)).toBe(false);
  });

  test('kubernetesApiServer.ports narrows the ports (a managed cloud: 443 only)', () => {
    const { objects } = variant({ kubernetesApiServer: { cidr: '172.18.0.2/32', ports: [443] } });
    const e = evaluatorFor(PRODUCTION, objects);
    const pg = e.endpoint('postgres-1');
    expect(e.allows(pg, e.endpoint('api-server'), 443)).toBe(true);
    expect(e.allows(pg, e.endpoint('api-server'), 6443)).toBe(false);
  });

  test('level 3 reaches the API server only at the stated range; level 2’s default is any address on 443 and 6443', () => {
    for (const level of [STAGING, PRODUCTION]) {
      const e = evaluatorFor(level, synthLevel(level));
      const pg = e.endpoint('postgres-1');
      for (const port of [443, 6443]) {
        expect(e.allows(pg, e.endpoint('api-server'), port)).toBe(true);
        expect(e.allows(pg, e.endpoint('internet'), port)).toBe(level === STAGING);
      }
    }
    const stated = synthLevel(PRODUCTION, {
      security: { kubernetesApiServer: { cidr: '10.0.0.0/24', ports: [443] } },
    });
    const e = evaluatorFor(PRODUCTION, stated, [
      { kind: 'address', name: 'eks-endpoint', ip: '10.0.0.17', ports: [{ port: 443 }] },
    ]);
    expect(e.allows(e.endpoint('postgres-1'), e.endpoint('eks-endpoint'), 443)).toBe(true);
    expect(e.allows(e.endpoint('postgres-1'), e.endpoint('api-server'), 443)).toBe(false);
  });

  test('NodeLocal DNSCache: every pod that resolves names may query 169.254.20.10 on 53, and nothing else there', () => {
    const e = evaluatorFor(PRODUCTION, synthLevel(PRODUCTION), [
      {
        kind: 'address',
        name: 'link-local-other',
        ip: '169.254.20.11',
        ports: [{ port: 53, protocol: 'UDP' }],
      },
    ]);
    const cache = e.endpoint('node-local-dns');
    for (const from of ['api', 'backup', 'postgres-1', 'redis-1', 'sentinel-1']) {
      expect(e.allows(e.endpoint(from), cache, 53, 'UDP')).toBe(true);
      expect(e.allows(e.endpoint(from), cache, 53, 'TCP')).toBe(true);
      expect(e.allows(e.endpoint(from), cache, 80)).toBe(false);
      expect(e.allows(e.endpoint(from), e.endpoint('link-local-other'), 53, 'UDP')).toBe(false);
    }
    // Other addresses (a kube-dns Service address kept by node-local-dns), or none.
    const custom = evaluatorFor(
      PRODUCTION,
      synthLevel(PRODUCTION, { security: { nodeLocalDnsCidrs: ['10.96.0.10/32'] } }),
      [
        {
          kind: 'address',
          name: 'kube-dns-service',
          ip: '10.96.0.10',
          ports: [{ port: 53, protocol: 'UDP' }],
        },
      ],
    );
    const api = custom.endpoint('api');
    expect(custom.allows(api, custom.endpoint('kube-dns-service'), 53, 'UDP')).toBe(true);
    expect(custom.allows(api, custom.endpoint('node-local-dns'), 53, 'UDP')).toBe(false);
    const none = evaluatorFor(PRODUCTION, synthLevel(PRODUCTION, { security: { nodeLocalDnsCidrs: [] } }));
    expect(none.allows(none.endpoint('api'), none.endpoint('node-local-dns'), 53, 'UDP')).toBe(false);
    expect(none.allows(none.endpoint('api'), none.endpoint('kube-dns'), 53, 'UDP')).toBe(true);
  });

  test('the redis-operator reaches Redis whether installed by Helm (name) or kustomize (control-plane), and only it', () => {
    const e = evaluatorFor(PRODUCTION, synthLevel(PRODUCTION), [
      pod('other-operator', 'ot-operators', { 'control-plane': 'controller-manager' }, '10.244.3.22'),
    ]);
    for (const op of ['redis-operator', 'redis-operator-kustomize']) {
      expect(e.allows(e.endpoint(op), e.endpoint('redis-1'), 6379)).toBe(true);
      expect(e.allows(e.endpoint(op), e.endpoint('sentinel-1'), 26379)).toBe(true);
    }
    expect(e.allows(e.endpoint('other-operator'), e.endpoint('redis-1'), 6379)).toBe(false);
  });

  test('without a monitoring namespace, nothing may scrape the datastores', () => {
    const { objects } = variant();
    const e = evaluatorFor(PRODUCTION, objects);
    expect(e.allows(e.endpoint('prometheus'), e.endpoint('postgres-1'), 9187)).toBe(false);
    expect(e.allows(e.endpoint('prometheus'), e.endpoint('redis-1'), 9121)).toBe(false);
  });

  test('scrapeApi lets Prometheus, and only Prometheus, reach the API’s own metrics on 8000', () => {
    const e = evaluatorFor(
      PRODUCTION,
      variant({ monitoringNamespace: 'monitoring', scrapeApi: true }).objects,
    );
    expect(e.allows(e.endpoint('prometheus'), e.endpoint('api'), 8000)).toBe(true);
    expect(e.allows(e.endpoint('other-team'), e.endpoint('api'), 8000)).toBe(false);
    const off = evaluatorFor(PRODUCTION, variant({ monitoringNamespace: 'monitoring' }).objects);
    expect(off.allows(off.endpoint('prometheus'), off.endpoint('api'), 8000)).toBe(false);
  });

  test('PostgreSQL in the guide’s "database" namespace: the API and the backup reach it there, nothing else does', () => {
    const endpoints: DatastoreEndpoints = {
      postgres: { port: 5432, podLabels: { app: 'postgres' }, namespace: 'database' },
      redis: { port: 6379, podLabels: { app: 'redis' } },
      backupPodLabels: { app: 'backup' },
    };
    const { objects } = variant({ endpoints });
    const db = pod('shared-postgres', 'database', { app: 'postgres' }, '10.244.6.10', [{ port: 5432 }]);
    const wrongNs = pod('lookalike', 'other-team', { app: 'postgres' }, '10.244.6.11', [{ port: 5432 }]);
    const backup = pod('backup-job', 'merlai', { app: 'backup' }, '10.244.6.12');
    const e = new NetworkPolicyEvaluator(
      policies(objects),
      clusterModel(objects, LEVEL_PROFILES[PRODUCTION], [db, wrongNs, backup]),
    );
    expect(e.allows(e.endpoint('api'), db, 5432)).toBe(true);
    expect(e.allows(backup, db, 5432)).toBe(true);
    expect(e.allows(e.endpoint('api'), wrongNs, 5432)).toBe(false);
    expect(e.allows(e.endpoint('other-team'), db, 5432)).toBe(false);
    expect(find(objects, 'NetworkPolicy', 'merlai-postgres-network-policy').metadata.namespace).toBe(
      'database',
    );
  });

  test('external mode: the API reaches the managed database’s CIDR on its port only', () => {
    const endpoints: DatastoreEndpoints = {
      postgres: { port: 5432, externalCidr: '10.20.0.0/16' },
      redis: { port: 6380, externalCidr: '10.30.1.0/24' },
    };
    const { objects } = variant({ endpoints });
    const managedPg: ModelEndpoint = {
      kind: 'address',
      name: 'managed-pg',
      ip: '10.20.4.5',
      ports: [{ port: 5432 }],
    };
    const managedRedis: ModelEndpoint = {
      kind: 'address',
      name: 'managed-redis',
      ip: '10.30.1.9',
      ports: [{ port: 6380 }],
    };
    const e = new NetworkPolicyEvaluator(
      policies(objects),
      clusterModel(objects, LEVEL_PROFILES[PRODUCTION], [managedPg, managedRedis]),
    );
    const api = e.endpoint('api');
    expect(e.allows(api, managedPg, 5432)).toBe(true);
    expect(e.allows(api, managedPg, 6380)).toBe(false);
    expect(e.allows(api, managedRedis, 6380)).toBe(true);
    expect(e.allows(api, e.endpoint('internet'), 5432)).toBe(false);
    expect(objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual([
      'merlai-default-deny',
      'merlai-network-policy',
    ]);
  });

  test('a LoadBalancer Service lets clients reach the API pods on 8000 from the allowed ranges only', () => {
    const { objects } = variant({
      apiServiceType: ApiServiceType.LOAD_BALANCER,
      loadBalancerSourceCidrs: ['203.0.113.0/24'],
    });
    const e = evaluatorFor(PRODUCTION, objects, [
      { kind: 'address', name: 'elsewhere', ip: '198.51.100.7', ports: [] },
    ]);
    expect(e.allows(e.endpoint('internet'), e.endpoint('api'), 8000)).toBe(true);
    expect(e.allows(e.endpoint('elsewhere'), e.endpoint('api'), 8000)).toBe(false);
    expect(e.allows(e.endpoint('internet'), e.endpoint('api'), 8001)).toBe(false);
  });
});

describe('MerlaiSecurity bad input: the error names the construct path, the prop and the value', () => {
  const pgCluster = OPERATOR_ENDPOINTS;

  function attempt(props: Partial<MerlaiSecurityProps> & { apiServiceType?: ApiServiceType }) {
    return () => variant(props);
  }

  test.each([
    [
      'a datastore with neither pods nor an external CIDR',
      { endpoints: { ...pgCluster, redis: { port: 6379 } } },
      /\[variant\/security\] MerlaiSecurity: 'endpoints\.redis' is \{\}; expected exactly one of 'podLabels' .* and 'externalCidr'/,
    ],
    [
      'a datastore with both pods and an external CIDR',
      {
        endpoints: {
          ...pgCluster,
          redis: { port: 6379, podLabels: { app: 'r' }, externalCidr: '10.0.0.0/8' },
        },
      },
      /'endpoints\.redis' is \{"podLabels":\{"app":"r"\},"externalCidr":"10\.0\.0\.0\/8"\}; expected exactly one/,
    ],
    [
      'a port out of range',
      { endpoints: { ...pgCluster, postgres: { ...pgCluster.postgres, port: 70000 } } },
      /'endpoints\.postgres\.port' is 70000; expected a port number, an integer between 1 and 65535/,
    ],
    [
      'a peer port that is not an integer',
      { endpoints: { ...pgCluster, redis: { ...pgCluster.redis, peerPorts: [6379, 16379.5] } } },
      /'endpoints\.redis\.peerPorts\[1\]' is 16379\.5; expected a port number/,
    ],
    [
      'a malformed external CIDR',
      { endpoints: { ...pgCluster, postgres: { port: 5432, externalCidr: '10.20.0.0/33' } } },
      /'endpoints\.postgres\.externalCidr' is '10\.20\.0\.0\/33'; expected a CIDR such as '10\.20\.0\.0\/16'/,
    ],
    [
      'an external datastore "anywhere"',
      { endpoints: { ...pgCluster, postgres: { port: 5432, externalCidr: '0.0.0.0/0' } } },
      /'endpoints\.postgres\.externalCidr' is '0\.0\.0\.0\/0'; a \/0 range would let the API reach any address on port 5432/,
    ],
    [
      'empty pod labels, which would select every pod',
      { endpoints: { ...pgCluster, backupPodLabels: {} } },
      /'endpoints\.backupPodLabels' is \{\}; expected at least one label: an empty selector would match every pod/,
    ],
    [
      'an invalid label value',
      { endpoints: { ...pgCluster, redis: { port: 6379, podLabels: { app: 'merlai redis' } } } },
      /'endpoints\.redis\.podLabels' is \{"app":"merlai redis"\}; expected valid Kubernetes labels: label value 'merlai redis' of 'app' is invalid/,
    ],
    [
      'CloudNativePG without the API server address',
      { kubernetesApiServer: undefined },
      /'kubernetesApiServer' is undefined; Level 3 \(production\) allows the API server only at the address range you state .*the postgres pods must reach the Kubernetes API server .*'security\.kubernetesApiServer'.*'kubectl get endpoints kubernetes -n default'/,
    ],
    [
      'an API server "anywhere" at Level 3',
      { kubernetesApiServer: { cidr: '0.0.0.0/0' } },
      /'kubernetesApiServer\.cidr' is '0\.0\.0\.0\/0'; Level 3 \(production\) allows the API server only at the address range you state, and a \/0 range opens its ports to any internet host: .*'kubectl get endpoints kubernetes -n default'/,
    ],
    [
      'an invalid API server port',
      { kubernetesApiServer: { cidr: '172.18.0.2/32', ports: [443, 0] } },
      /'kubernetesApiServer\.ports\[1\]' is 0; expected a port number/,
    ],
    [
      'no API server ports',
      { kubernetesApiServer: { cidr: '172.18.0.2/32', ports: [] } },
      /'kubernetesApiServer\.ports' is \[\]; expected the ports of the endpoints, e\.g\. \[443\]/,
    ],
    [
      'a malformed NodeLocal DNSCache address',
      { nodeLocalDnsCidrs: ['169.254.20.10'] },
      /'nodeLocalDnsCidrs\[0\]' is '169\.254\.20\.10'; expected a CIDR/,
    ],
    [
      'a NodeLocal DNSCache range of every address',
      { nodeLocalDnsCidrs: ['0.0.0.0/0'] },
      /'nodeLocalDnsCidrs\[0\]' is '0\.0\.0\.0\/0'; a \/0 range would let pods query any DNS server on port 53/,
    ],
    [
      'invalid alternative operator labels',
      {
        endpoints: {
          ...pgCluster,
          redis: {
            ...pgCluster.redis,
            operator: { ...pgCluster.redis.operator!, alternativePodLabels: [{ 'control-plane': '' }, {}] },
          },
        },
      },
      /'endpoints\.redis\.operator\.alternativePodLabels\[1\]' is \{\}; expected at least one label/,
    ],
    [
      'an invalid monitoring namespace',
      { monitoringNamespace: 'Monitoring' },
      /'monitoringNamespace' is 'Monitoring'; expected a DNS-1123 label/,
    ],
    [
      'API scraping without a monitoring namespace',
      { scrapeApi: true },
      /'scrapeApi' is true; Prometheus's namespace is unknown: set 'monitoringNamespace' too/,
    ],
    [
      'an operator without ports',
      {
        endpoints: {
          ...pgCluster,
          redis: {
            ...pgCluster.redis,
            operator: { namespace: 'ot-operators', podLabels: { a: 'b' }, ports: [] },
          },
        },
      },
      /'endpoints\.redis\.operator\.ports' is \[\]; expected the ports the operator connects to/,
    ],
    [
      'load balancer ranges while the Service is not a LoadBalancer',
      { loadBalancerSourceCidrs: ['10.0.0.0/8'] },
      /'loadBalancerSourceCidrs' is \["10\.0\.0\.0\/8"\]; the API's Service is of type ClusterIP/,
    ],
    [
      'a malformed load balancer range',
      { apiServiceType: ApiServiceType.LOAD_BALANCER, loadBalancerSourceCidrs: ['10.0.0.300/8'] },
      /'loadBalancerSourceCidrs\[0\]' is '10\.0\.0\.300\/8'; expected a CIDR/,
    ],
  ])('%s', (_name, props, message) => {
    expect(attempt(props as Partial<MerlaiSecurityProps>)).toThrow(message);
  });

  test('a chart without a namespace', () => {
    const chart = new Chart(Testing.app(), 'no-namespace');
    const api = new MerlaiApi(chart, 'merlai-api', { level: DEVELOPMENT });
    expect(
      () =>
        new MerlaiSecurity(chart, 'security', {
          api,
          endpoints: PLAIN_ENDPOINTS,
        }),
    ).toThrow(
      /\[no-namespace\/security\] MerlaiSecurity: 'namespace' is undefined; expected a chart with a namespace/,
    );
  });
});

describe('level 3 chart: the API server address is a fact the user states', () => {
  test('without security.kubernetesApiServer the synth fails, naming the prop and how to find it', () => {
    expect(() => levelChart(PRODUCTION, { api: { storageClassName: 'cephfs' } }, true)).toThrow(
      /^\[level3-production\/security\] MerlaiSecurity: 'kubernetesApiServer' is undefined; Level 3 \(production\) allows the API server only at the address range you state \(no 0\.0\.0\.0\/0 default\).*set the level chart's 'security\.kubernetesApiServer'.*'kubectl get endpoints kubernetes -n default'/,
    );
  });

  test('the shipped chart (main.ts) states an example range, and its policy opens nothing else', () => {
    const { LEVEL3_CLUSTER_FACTS } = require('../main');
    const policy = find(
      synthLevel(PRODUCTION, LEVEL3_CLUSTER_FACTS, true),
      'NetworkPolicy',
      'merlai-postgres-network-policy',
    );
    const toCidrs = policy.spec.egress.flatMap((r: KubeObject) =>
      (r.to ?? []).filter((p: KubeObject) => p.ipBlock).map((p: KubeObject) => p.ipBlock.cidr),
    );
    expect(toCidrs).toContain(LEVEL3_CLUSTER_FACTS.security.kubernetesApiServer.cidr);
    expect(toCidrs).not.toContain('0.0.0.0/0');
  });
});

describe('MerlaiSecurity for a team without Redis', () => {
  const withoutRedis: DatastoreEndpoints = { postgres: OPERATOR_ENDPOINTS.postgres };

  function build() {
    const chart = new Chart(Testing.app(), 'team', { namespace: 'merlai', disableResourceNameHashes: true });
    const api = new MerlaiApi(chart, 'merlai-api', { level: DEVELOPMENT });
    new MerlaiSecurity(chart, 'security', {
      api,
      endpoints: withoutRedis,
      kubernetesApiServer: { cidr: '172.18.0.2/32' },
    });
    return { chart, api };
  }

  test('no Redis endpoint: no Redis egress rule and no Redis policy', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const objects = Testing.synth(build().chart) as KubeObject[];
      const names = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
      expect(names).not.toContain('merlai-redis-network-policy');
      const api = find(objects, 'NetworkPolicy', 'merlai-network-policy');
      const ports = api.spec.egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port));
      // DNS (53) and PostgreSQL (5432) only; Redis listens on 6379.
      expect([...new Set(ports)].sort()).toEqual([53, 5432]);
    } finally {
      warn.mockRestore();
    }
  });

  test('no false warning: the API is told about PostgreSQL and logging only, never Redis', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      Testing.synth(build().chart);
      expect(warn).toHaveBeenCalledTimes(1);
      const message = String(warn.mock.calls[0][0]);
      expect(message).toMatch(
        /^\[team\/merlai-api\] MerlaiApi: 'env' has no DATABASE_URL, LOG_CONFIG: the API cannot reach PostgreSQL, or load its logging configuration\. /,
      );
      expect(message).not.toContain('Redis');
    } finally {
      warn.mockRestore();
    }
  });
});

describe('MerlaiSecurity defaultDeny', () => {
  test('on by default in every level chart: merlai-default-deny selects every pod, both directions', () => {
    for (const level of LEVELS) {
      const deny = find(synthLevel(level), 'NetworkPolicy', 'merlai-default-deny');
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
  });

  test('off: no namespace-wide default deny; the API and datastore policies stay', () => {
    const objects = synthLevel(STAGING, { security: { defaultDeny: false } });
    const names = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(names).not.toContain('merlai-default-deny');
    expect(names).toEqual(
      expect.arrayContaining([
        'merlai-network-policy',
        'merlai-postgres-network-policy',
        'merlai-redis-network-policy',
      ]),
    );
  });

  test('a non-boolean is refused', () => {
    expect(() => variant({ defaultDeny: 'no' as unknown as boolean })).toThrow(
      "[variant/security] MerlaiSecurity: 'defaultDeny' is 'no'; expected true or false",
    );
  });
});
