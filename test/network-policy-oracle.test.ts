import { Chart, Testing } from 'cdk8s';
import { clusterModel, pod } from '../cli/cluster-model';
import { type ClusterModel, NetworkPolicyEvaluator, type NetworkPolicyObject } from '../cli/network-policy';
import { ApiServiceType, AvailabilityLevel, LEVEL_PROFILES, MerlaiApi, MerlaiSecurity } from '../lib';
import { OPERATOR_ENDPOINTS } from './support/endpoints';
import { SCENARIOS, SMALL_CLUSTER } from './support/network-policy-scenarios';
import { oraclesAvailable, runOracle } from './support/oracles';
import { type KubeObject, LEVELS, synthLevel } from './support/synth';

// The evaluator against an independent implementation of the same semantics: cyclonus' policy
// engine (github.com/mattfenwick/cyclonus/pkg/matcher, the model of the upstream NetworkPolicy
// conformance tool), built from test/oracles/network-policy. Both must allow exactly the same
// flows — every source, destination and port of the model, not only the ones involving Merlai.

const { PRODUCTION } = AvailabilityLevel;

function policiesOf(objects: KubeObject[]): NetworkPolicyObject[] {
  return objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
}

function levelVariant(configure: (chart: Chart) => void): KubeObject[] {
  const chart = new Chart(Testing.app(), 'variant', { namespace: 'merlai', disableResourceNameHashes: true });
  configure(chart);
  return Testing.synth(chart) as KubeObject[];
}

const variants: Record<string, KubeObject[]> = {
  'PostgreSQL in namespace database, external Redis, LoadBalancer API, narrow API server': levelVariant(
    (chart) => {
      const api = new MerlaiApi(chart, 'merlai-api', {
        level: PRODUCTION,
        serviceType: ApiServiceType.LOAD_BALANCER,
        storageClassName: 'cephfs',
      });
      new MerlaiSecurity(chart, 'security', {
        api,
        endpoints: {
          postgres: {
            ...OPERATOR_ENDPOINTS.postgres,
            namespace: 'database',
          },
          redis: { port: 6379, externalCidr: '203.0.113.0/28' },
          backupPodLabels: { app: 'merlai-postgres-backup' },
        },
        kubernetesApiServer: { cidr: '172.18.0.2/32', ports: [6443] },
        monitoringNamespace: 'monitoring',
        loadBalancerSourceCidrs: ['198.51.100.0/24', '203.0.113.0/24'],
      });
    },
  ),
};

const cases: { name: string; policies: NetworkPolicyObject[]; cluster: ClusterModel }[] = [
  ...Object.entries(SCENARIOS).map(([name, policies]) => ({
    name: `scenario: ${name}`,
    policies,
    cluster: SMALL_CLUSTER,
  })),
  ...LEVELS.map((level) => {
    const objects = synthLevel(level);
    return {
      name: `${level} chart`,
      policies: policiesOf(objects),
      cluster: clusterModel(objects, LEVEL_PROFILES[level]),
    };
  }),
  ...Object.entries(variants).map(([name, objects]) => ({
    name: `variant: ${name}`,
    policies: policiesOf(objects),
    cluster: clusterModel(objects, LEVEL_PROFILES[PRODUCTION], [
      pod('shared-postgres', 'database', { 'cnpg.io/cluster': 'merlai-postgres' }, '10.244.6.10', [
        { port: 5432, name: 'postgresql' },
        { port: 8000, name: 'status' },
        { port: 9187, name: 'metrics' },
      ]),
      { kind: 'address', name: 'managed-redis', ip: '203.0.113.9', ports: [{ port: 6379 }] },
      { kind: 'address', name: 'client', ip: '198.51.100.7', ports: [] },
    ]),
  })),
];

/**
 * Where cyclonus departs from Kubernetes, the flows only our evaluator allows. cyclonus treats
 * `NotIn` as false for a pod without the key; Kubernetes' selectors (apimachinery
 * `labels.Requirement.Matches`, which network plugins use) and its documentation match it.
 */
const KNOWN_DEVIATIONS: Record<string, string[]> = {
  'scenario: matchExpressions': ['b -> a:8080/TCP', 'c -> a:8080/TCP', 'c -> b:53/UDP', 'c -> b:5432/TCP'],
};

(oraclesAvailable() ? describe : describe.skip)('the NetworkPolicy evaluator agrees with cyclonus', () => {
  let theirs: string[][];

  beforeAll(() => {
    theirs = cases.map((c) =>
      runOracle<string[]>('network-policy', [], {
        policies: c.policies,
        namespaces: c.cluster.namespaces,
        endpoints: c.cluster.endpoints,
      }),
    );
  }, 900_000);

  test.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const { name, policies, cluster } = cases[i];
    const ours = new NetworkPolicyEvaluator(policies, cluster).matrix(() => true);
    expect(ours).toEqual([...theirs[i], ...(KNOWN_DEVIATIONS[name] ?? [])].sort());
    expect(ours.length).toBeGreaterThan(0);
  });
});
