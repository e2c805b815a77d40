import type { ClusterModel, ModelEndpoint, ModelPod, NetworkPolicyObject } from '../../cli/network-policy';

/**
 * A tiny cluster and hand-made policies, one per rule of NetworkPolicy semantics: the evaluator's
 * unit tests assert single flows on them, and the oracle test compares whole matrices with an
 * independent implementation.
 */

function pod(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  ip: string,
  ports: any[],
): ModelPod {
  return { kind: 'pod', name, namespace, labels, ip, ports };
}

export const a = pod('a', 'app', { role: 'a', tier: 'web' }, '10.0.0.1', [{ port: 8080, name: 'http' }]);
export const b = pod('b', 'app', { role: 'b' }, '10.0.0.2', [
  { port: 5432, name: 'pg' },
  { port: 53, protocol: 'UDP', name: 'dns' },
]);
export const c = pod('c', 'other', { role: 'a' }, '10.0.1.1', [{ port: 8080, name: 'web' }]);
export const d = pod('d', 'labelled', { role: 'a' }, '10.0.2.1', [{ port: 8080, name: 'http' }]);
export const outside: ModelEndpoint = {
  kind: 'address',
  name: 'outside',
  ip: '203.0.113.5',
  ports: [{ port: 443 }],
};
export const inside: ModelEndpoint = {
  kind: 'address',
  name: 'inside',
  ip: '192.168.1.7',
  ports: [{ port: 443 }],
};

export const SMALL_CLUSTER: ClusterModel = {
  namespaces: [{ name: 'app' }, { name: 'other' }, { name: 'labelled', labels: { team: 'x' } }],
  endpoints: [a, b, c, d, outside, inside],
};

export function policy(name: string, namespace: string, spec: any): NetworkPolicyObject {
  return { kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

export const selectA = { matchLabels: { role: 'a' } };
export const selectB = { matchLabels: { role: 'b' } };
const ns = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });
const ingressToB = (rule: any) =>
  policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'], ingress: [rule] });

export const SCENARIOS: Record<string, NetworkPolicyObject[]> = {
  'no policy': [],
  'ingress isolation': [policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'] })],
  'egress isolation': [policy('p', 'app', { podSelector: selectB, policyTypes: ['Egress'] })],
  'policyTypes omitted, ingress only': [policy('p', 'app', { podSelector: selectB })],
  'policyTypes omitted, with egress rules': [
    policy('p', 'app', { podSelector: selectB, egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] }),
  ],
  'empty rule allows all': [ingressToB({})],
  'empty rule list denies all': [
    policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'], ingress: [] }),
  ],
  'deny all in a namespace': [policy('deny', 'app', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
  'union of policies with a deny-all': [
    policy('from-a', 'app', {
      podSelector: selectB,
      ingress: [{ from: [{ podSelector: selectA }], ports: [{ port: 5432 }] }],
    }),
    policy('from-other', 'app', {
      podSelector: selectB,
      ingress: [{ from: [{ namespaceSelector: ns('other') }] }],
    }),
    policy('deny', 'app', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
  ],
  'podSelector alone: same namespace': [ingressToB({ from: [{ podSelector: selectA }] })],
  'namespaceSelector alone': [ingressToB({ from: [{ namespaceSelector: { matchLabels: { team: 'x' } } }] })],
  'namespaceSelector and podSelector in one peer': [
    ingressToB({ from: [{ namespaceSelector: ns('other'), podSelector: selectA }] }),
  ],
  'namespaceSelector and podSelector as two peers': [
    ingressToB({ from: [{ namespaceSelector: ns('other') }, { podSelector: selectA }] }),
  ],
  'the guide’s name label': [
    ingressToB({ from: [{ namespaceSelector: { matchLabels: { name: 'other' } } }] }),
  ],
  'empty namespaceSelector: every pod, no address': [ingressToB({ from: [{ namespaceSelector: {} }] })],
  'ipBlock with except': [
    ingressToB({ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['192.168.0.0/16'] } }] }),
  ],
  'ipBlock over pod addresses': [ingressToB({ from: [{ ipBlock: { cidr: '10.0.0.0/24' } }] })],
  matchExpressions: [
    policy('p', 'app', {
      podSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['a', 'b'] }] },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] },
              podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
            },
            {
              namespaceSelector: {},
              podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
            },
          ],
        },
      ],
    }),
  ],
  'protocol defaults to TCP': [ingressToB({ ports: [{ port: 53 }] })],
  'UDP port': [ingressToB({ ports: [{ port: 53, protocol: 'UDP' }] })],
  'every port of a protocol': [ingressToB({ ports: [{ protocol: 'UDP' }] })],
  'port range': [ingressToB({ ports: [{ port: 5000, endPort: 5500 }] })],
  'named port on ingress': [ingressToB({ ports: [{ port: 'pg' }, { port: 'http' }] })],
  'named port on egress': [
    policy('p', 'app', {
      podSelector: selectA,
      policyTypes: ['Egress'],
      egress: [{ ports: [{ port: 'web' }] }],
    }),
  ],
  'egress and ingress both required': [
    policy('a-to-b', 'app', {
      podSelector: selectA,
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: selectB }], ports: [{ port: 5432 }] }],
    }),
    policy('b-from-a', 'app', {
      podSelector: selectB,
      ingress: [{ from: [{ podSelector: selectA }], ports: [{ port: 5432 }] }],
    }),
  ],
};
