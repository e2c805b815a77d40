import { NetworkPolicyEvaluator, type NetworkPolicyObject, selectorMatches } from '../cli/network-policy';
import {
  a,
  b,
  c,
  d,
  inside,
  outside,
  policy,
  SMALL_CLUSTER,
  selectB,
} from './support/network-policy-scenarios';

// The reachability tests rely on this evaluator: each Kubernetes rule it implements is pinned here
// on small hand-made policies, so a wrong evaluator cannot make a wrong policy look right.

function evaluator(...policies: NetworkPolicyObject[]): NetworkPolicyEvaluator {
  return new NetworkPolicyEvaluator(policies, SMALL_CLUSTER);
}

describe('NetworkPolicy evaluator: isolation', () => {
  test('without any policy every flow is allowed', () => {
    const e = evaluator();
    expect(e.allows(a, b, 5432)).toBe(true);
    expect(e.allows(c, a, 12345, 'UDP')).toBe(true);
    expect(e.allows(a, outside, 443)).toBe(true);
  });

  test('a policy isolates only the pods it selects, only in its namespace', () => {
    const e = evaluator(policy('deny-b', 'app', { podSelector: selectB, policyTypes: ['Ingress'] }));
    expect(e.allows(a, b, 5432)).toBe(false);
    expect(e.allows(b, a, 8080)).toBe(true);
    // c in namespace "other" carries role: a too, but a policy of "app" never selects it.
    const e2 = evaluator(
      policy('deny-a', 'app', { podSelector: { matchLabels: { role: 'a' } }, policyTypes: ['Ingress'] }),
    );
    expect(e2.allows(b, a, 8080)).toBe(false);
    expect(e2.allows(b, c, 8080)).toBe(true);
  });

  test('isolation is per direction: an Ingress policy leaves egress open, and the reverse', () => {
    const ingressOnly = evaluator(policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'] }));
    expect(ingressOnly.ingressAllows(a, b, 5432)).toBe(false);
    expect(ingressOnly.egressAllows(b, a, 8080)).toBe(true);
    const egressOnly = evaluator(policy('p', 'app', { podSelector: selectB, policyTypes: ['Egress'] }));
    expect(egressOnly.ingressAllows(a, b, 5432)).toBe(true);
    expect(egressOnly.egressAllows(b, a, 8080)).toBe(false);
  });

  test('policyTypes defaults as the API server does: Ingress always, Egress when egress rules exist', () => {
    const noTypes = evaluator(policy('p', 'app', { podSelector: selectB }));
    expect(noTypes.allows(a, b, 5432)).toBe(false);
    expect(noTypes.allows(b, a, 8080)).toBe(true);
    const withEgress = evaluator(
      policy('p', 'app', {
        podSelector: selectB,
        egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }],
      }),
    );
    expect(withEgress.allows(b, a, 8080)).toBe(false);
    expect(withEgress.allows(b, outside, 443)).toBe(true);
    expect(withEgress.allows(a, b, 5432)).toBe(false);
  });

  test('an empty rule allows everything; an empty rule list allows nothing', () => {
    const allowAll = evaluator(
      policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'], ingress: [{}] }),
    );
    expect(allowAll.allows(c, b, 5432)).toBe(true);
    expect(allowAll.allows(outside, b, 53, 'UDP')).toBe(true);
    const denyAll = evaluator(
      policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'], ingress: [] }),
    );
    expect(denyAll.allows(a, b, 5432)).toBe(false);
  });

  test('the rules of several policies add up (union), and a deny-all policy takes nothing away', () => {
    const fromA = policy('from-a', 'app', {
      podSelector: selectB,
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'a' } } }], ports: [{ port: 5432 }] }],
    });
    const fromC = policy('from-c', 'app', {
      podSelector: selectB,
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }] },
      ],
    });
    const denyAll = policy('deny', 'app', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const e = evaluator(fromA, fromC, denyAll);
    expect(e.ingressAllows(a, b, 5432)).toBe(true);
    expect(e.ingressAllows(c, b, 53, 'UDP')).toBe(true);
    expect(e.ingressAllows(d, b, 5432)).toBe(false);
    expect(evaluator(fromA).ingressAllows(c, b, 5432)).toBe(false);
  });
});

describe('NetworkPolicy evaluator: peers', () => {
  const ingressFrom = (from: any[]) =>
    evaluator(policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'], ingress: [{ from }] }));

  test('podSelector alone selects pods of the policy’s own namespace only', () => {
    const e = ingressFrom([{ podSelector: { matchLabels: { role: 'a' } } }]);
    expect(e.allows(a, b, 5432)).toBe(true);
    expect(e.allows(c, b, 5432)).toBe(false);
    expect(e.allows(d, b, 5432)).toBe(false);
  });

  test('namespaceSelector alone selects every pod of the matching namespaces', () => {
    const e = ingressFrom([{ namespaceSelector: { matchLabels: { team: 'x' } } }]);
    expect(e.allows(d, b, 5432)).toBe(true);
    expect(e.allows(c, b, 5432)).toBe(false);
    expect(e.allows(a, b, 5432)).toBe(false);
  });

  test('namespaceSelector and podSelector in one peer must both match', () => {
    const e = ingressFrom([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } },
        podSelector: { matchLabels: { role: 'a' } },
      },
    ]);
    expect(e.allows(c, b, 5432)).toBe(true);
    expect(e.allows(a, b, 5432)).toBe(false); // right labels, wrong namespace
    expect(e.allows(d, b, 5432)).toBe(false);
  });

  test('the same selectors as two peers match either (OR)', () => {
    const e = ingressFrom([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
      { podSelector: { matchLabels: { role: 'a' } } },
    ]);
    expect(e.allows(c, b, 5432)).toBe(true);
    expect(e.allows(a, b, 5432)).toBe(true);
    expect(e.allows(d, b, 5432)).toBe(false);
  });

  test('every namespace carries kubernetes.io/metadata.name; the guide’s "name" label does not exist', () => {
    expect(
      ingressFrom([
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
      ]).allows(c, b, 5432),
    ).toBe(true);
    expect(ingressFrom([{ namespaceSelector: { matchLabels: { name: 'other' } } }]).allows(c, b, 5432)).toBe(
      false,
    );
  });

  test('ipBlock matches addresses in the range minus its except ranges; selectors never match addresses', () => {
    const e = ingressFrom([{ ipBlock: { cidr: '0.0.0.0/0', except: ['192.168.0.0/16'] } }]);
    expect(e.allows(outside, b, 5432)).toBe(true);
    expect(e.allows(inside, b, 5432)).toBe(false);
    expect(ingressFrom([{ namespaceSelector: {} }]).allows(outside, b, 5432)).toBe(false);
    expect(ingressFrom([{ namespaceSelector: {} }]).allows(c, b, 5432)).toBe(true);
  });

  // The library accepts IPv6 ranges (lib/core/validation.ts parseCidr); the evaluator models them
  // with the same meaning (Kubernetes: an ipBlock of one family never matches the other's addresses).
  test('ipBlock with IPv6 ranges: inside, outside, except, and never across families', () => {
    const v6 = (name: string, ip: string): typeof outside => ({
      kind: 'address',
      name,
      ip,
      ports: [{ port: 443 }],
    });
    const cluster = {
      ...SMALL_CLUSTER,
      endpoints: [
        ...SMALL_CLUSTER.endpoints,
        v6('v6-in', 'fd00::5'),
        v6('v6-except', 'fd00::ff:1'),
        v6('v6-out', '2001:db8::1'),
        v6('v6-mapped', '::ffff:203.0.113.5'),
      ],
    };
    const find = (n: string) => cluster.endpoints.find((e) => e.name === n) as typeof outside;
    const e = new NetworkPolicyEvaluator(
      [
        policy('p', 'app', {
          podSelector: { matchLabels: { role: 'b' } },
          ingress: [{ from: [{ ipBlock: { cidr: 'fd00::/64', except: ['fd00::ff:0/112'] } }] }],
        }),
      ],
      cluster,
    );
    expect(e.allows(find('v6-in'), b, 5432)).toBe(true);
    expect(e.allows(find('v6-except'), b, 5432)).toBe(false);
    expect(e.allows(find('v6-out'), b, 5432)).toBe(false);
    expect(e.allows(outside, b, 5432)).toBe(false);
    const all4 = new NetworkPolicyEvaluator(
      [policy('p', 'app', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })],
      cluster,
    );
    expect(all4.allows(find('v6-in'), b, 5432)).toBe(false);
    expect(all4.allows(outside, b, 5432)).toBe(true);
  });

  // NotIn matches a pod without the key, as Kubernetes' own selectors do (apimachinery
  // labels.Requirement.Matches); cyclonus differs there (see network-policy-oracle.test.ts).
  test('label selectors: matchLabels and the four matchExpressions operators', () => {
    const labels = { role: 'a', tier: 'web' };
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { role: 'a', tier: 'db' } }, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'role', operator: 'In', values: ['a', 'b'] }] }, labels),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['a'] }] }, labels),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(
      false,
    );
  });
});

describe('NetworkPolicy evaluator: ports', () => {
  const ingressPorts = (ports: any[]) =>
    evaluator(policy('p', 'app', { podSelector: selectB, policyTypes: ['Ingress'], ingress: [{ ports }] }));

  test('protocol defaults to TCP and must match', () => {
    expect(ingressPorts([{ port: 53 }]).allows(a, b, 53, 'TCP')).toBe(true);
    expect(ingressPorts([{ port: 53 }]).allows(a, b, 53, 'UDP')).toBe(false);
    expect(ingressPorts([{ port: 53, protocol: 'UDP' }]).allows(a, b, 53, 'UDP')).toBe(true);
  });

  test('a port without a number allows every port of its protocol; endPort makes a range', () => {
    expect(ingressPorts([{ protocol: 'UDP' }]).allows(a, b, 5353, 'UDP')).toBe(true);
    expect(ingressPorts([{ protocol: 'UDP' }]).allows(a, b, 5432, 'TCP')).toBe(false);
    const range = ingressPorts([{ port: 5000, endPort: 5500 }]);
    expect(range.allows(a, b, 5432)).toBe(true);
    expect(range.allows(a, b, 5501)).toBe(false);
  });

  test('a named port is the destination pod’s container port of that name', () => {
    expect(ingressPorts([{ port: 'pg' }]).allows(a, b, 5432)).toBe(true);
    expect(ingressPorts([{ port: 'pg' }]).allows(a, b, 5433)).toBe(false);
    expect(ingressPorts([{ port: 'http' }]).allows(a, b, 8080)).toBe(false); // b has no port named http
    expect(ingressPorts([{ port: 'dns', protocol: 'UDP' }]).allows(a, b, 53, 'UDP')).toBe(true);
  });

  test('egress to a named port resolves on the destination pod; an address has no named ports', () => {
    const e = evaluator(
      policy('p', 'app', {
        podSelector: { matchLabels: { role: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'web' }] }],
      }),
    );
    expect(e.allows(a, c, 8080)).toBe(true); // c names 8080 "web"
    expect(e.allows(a, d, 8080)).toBe(false); // d names it "http"
    expect(e.allows(a, outside, 443)).toBe(false);
  });
});

describe('NetworkPolicy evaluator: both ends', () => {
  const egressToB = policy('a-to-b', 'app', {
    podSelector: { matchLabels: { role: 'a' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: selectB }], ports: [{ port: 5432 }] }],
  });
  const bDeniesIngress = policy('b-closed', 'app', { podSelector: selectB, policyTypes: ['Ingress'] });
  const bAcceptsA = policy('b-from-a', 'app', {
    podSelector: selectB,
    ingress: [{ from: [{ podSelector: { matchLabels: { role: 'a' } } }], ports: [{ port: 5432 }] }],
  });

  test('a connection needs the source’s egress AND the destination’s ingress', () => {
    expect(evaluator(egressToB).allows(a, b, 5432)).toBe(true);
    expect(evaluator(egressToB, bDeniesIngress).allows(a, b, 5432)).toBe(false);
    expect(evaluator(egressToB, bDeniesIngress, bAcceptsA).allows(a, b, 5432)).toBe(true);
    expect(
      evaluator(
        bAcceptsA,
        policy('a-closed', 'app', { podSelector: { matchLabels: { role: 'a' } }, policyTypes: ['Egress'] }),
      ).allows(a, b, 5432),
    ).toBe(false);
  });

  test('the matrix lists exactly the allowed flows that involve the chosen endpoints', () => {
    const e = evaluator(egressToB, bAcceptsA);
    expect(e.matrix((x) => x.name === 'a')).toEqual([
      'a -> b:5432/TCP',
      'b -> a:8080/TCP',
      'c -> a:8080/TCP',
      'd -> a:8080/TCP',
      'inside -> a:8080/TCP',
      'outside -> a:8080/TCP',
    ]);
  });

  test('rejects what the API server would reject', () => {
    expect(() => evaluator(policy('p', 'app', { podSelector: selectB, ingress: [{ from: [{}] }] }))).toThrow(
      /at least one selector/,
    );
    expect(() =>
      evaluator(
        policy('p', 'app', {
          podSelector: selectB,
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }],
        }),
      ),
    ).toThrow(/ipBlock cannot be combined/);
    expect(() =>
      evaluator(
        policy('p', 'app', {
          podSelector: selectB,
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }],
        }),
      ),
    ).toThrow(/not inside/);
    expect(() =>
      evaluator({ kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {} } }),
    ).toThrow(/namespace/);
    expect(() =>
      evaluator(
        policy('p', 'app', { podSelector: selectB, ingress: [{ ports: [{ port: 'x', endPort: 9 }] }] }),
      ),
    ).toThrow(/endPort/);
  });
});
