/**
 * A NetworkPolicy evaluator with the semantics of the Kubernetes documentation
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/), for a small model
 * of a cluster:
 *
 * - a pod is isolated for a direction once any policy of its namespace selects it and lists that
 *   direction in `policyTypes` (defaulted as the API server does: always Ingress, plus Egress when
 *   the policy has egress rules); a non-isolated direction allows everything;
 * - the rules of all policies selecting a pod add up (union); a rule with no peers matches every
 *   peer, a rule with no ports every port;
 * - a peer with `namespaceSelector` and `podSelector` selects pods matching both; `podSelector`
 *   alone selects pods of the policy's own namespace; `namespaceSelector` alone every pod of the
 *   matching namespaces; `ipBlock` an address range minus its `except` ranges;
 * - a port matches its protocol (default TCP) and number, a range up to `endPort`, or a named
 *   container port of the destination pod;
 * - a connection from A to B is allowed only when A's egress and B's ingress both allow it
 *   (addresses outside the cluster have no policies of their own).
 *
 * Host-network pods, node-originated traffic (kubelet probes) and Service address translation are
 * outside the model, as they are outside the NetworkPolicy API.
 */

import { isIPv4, isIPv6 } from 'node:net';
import { parseCidr } from '../lib/core/validation';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type Labels = Readonly<Record<string, string>>;

/** A port an endpoint listens on (a container port for pods). */
export interface ListeningPort {
  readonly port: number;
  readonly protocol?: Protocol | undefined;
  /** The container port's name, which policies may use instead of the number. */
  readonly name?: string | undefined;
}

/** A pod: namespace, labels, address and the ports it listens on. */
export interface ModelPod {
  readonly kind: 'pod';
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly ip: string;
  readonly ports: readonly ListeningPort[];
}

/** An address that is not a pod (outside the cluster, or the API server's endpoint). */
export interface ModelAddress {
  readonly kind: 'address';
  readonly name: string;
  readonly ip: string;
  /** Ports to probe when computing a matrix. */
  readonly ports: readonly ListeningPort[];
}

export type ModelEndpoint = ModelPod | ModelAddress;

export interface ModelNamespace {
  readonly name: string;
  /** Extra labels; `kubernetes.io/metadata.name` is added as the control plane does. */
  readonly labels?: Labels | undefined;
}

export interface ClusterModel {
  readonly namespaces: readonly ModelNamespace[];
  readonly endpoints: readonly ModelEndpoint[];
}

interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}
interface IngressRule {
  from?: PolicyPeer[];
  ports?: PolicyPort[];
}
interface EgressRule {
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

/** A NetworkPolicy object as synthesized (`networking.k8s.io/v1`). */
export interface NetworkPolicyObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: IngressRule[];
    egress?: EgressRule[];
  };
}

/** One probe of the matrix: `source -> destination:port/protocol`. */
export function flowName(from: ModelEndpoint, to: ModelEndpoint, port: number, protocol: Protocol): string {
  return `${from.name} -> ${to.name}:${port}/${protocol}`;
}

export class NetworkPolicyEvaluator {
  private readonly namespaceLabels = new Map<string, Labels>();
  private readonly policies: NetworkPolicyObject[];

  constructor(
    policies: readonly NetworkPolicyObject[],
    private readonly cluster: ClusterModel,
  ) {
    for (const ns of cluster.namespaces) {
      this.namespaceLabels.set(ns.name, { ...ns.labels, 'kubernetes.io/metadata.name': ns.name });
    }
    for (const e of cluster.endpoints) {
      parseAddress(e.ip);
      if (e.kind === 'pod' && !this.namespaceLabels.has(e.namespace)) {
        throw new Error(`pod ${e.name}: namespace '${e.namespace}' is not in the model`);
      }
    }
    const names = cluster.endpoints.map((e) => e.name);
    if (new Set(names).size !== names.length) throw new Error(`endpoint names are not unique: ${names}`);
    this.policies = policies.filter((p) => p.kind === 'NetworkPolicy');
    for (const p of this.policies) validatePolicy(p);
  }

  /** The endpoint of that name; throws when the model has none. */
  public endpoint(name: string): ModelEndpoint {
    const found = this.cluster.endpoints.find((e) => e.name === name);
    if (!found) throw new Error(`no endpoint '${name}' in the model`);
    return found;
  }

  /** Whether a connection from `from` to `to` on `port`/`protocol` is allowed. */
  public allows(from: ModelEndpoint, to: ModelEndpoint, port: number, protocol: Protocol = 'TCP'): boolean {
    return this.egressAllows(from, to, port, protocol) && this.ingressAllows(from, to, port, protocol);
  }

  /** Whether the source's egress policies let the connection out. */
  public egressAllows(
    from: ModelEndpoint,
    to: ModelEndpoint,
    port: number,
    protocol: Protocol = 'TCP',
  ): boolean {
    if (from.kind !== 'pod') return true;
    const selecting = this.selecting(from, 'Egress');
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      (p.spec.egress ?? []).some(
        (rule) =>
          this.peersMatch(rule.to, p.metadata.namespace as string, to) &&
          portsMatch(rule.ports, to, port, protocol),
      ),
    );
  }

  /** Whether the destination's ingress policies let the connection in. */
  public ingressAllows(
    from: ModelEndpoint,
    to: ModelEndpoint,
    port: number,
    protocol: Protocol = 'TCP',
  ): boolean {
    if (to.kind !== 'pod') return true;
    const selecting = this.selecting(to, 'Ingress');
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      (p.spec.ingress ?? []).some(
        (rule) =>
          this.peersMatch(rule.from, p.metadata.namespace as string, from) &&
          portsMatch(rule.ports, to, port, protocol),
      ),
    );
  }

  /**
   * Every allowed flow between two different endpoints, probing each destination's listening
   * ports, restricted to flows for which `involving` holds for the source or the destination.
   * Sorted, one `source -> destination:port/protocol` string per flow.
   */
  public matrix(involving: (e: ModelEndpoint) => boolean): string[] {
    const flows: string[] = [];
    for (const from of this.cluster.endpoints) {
      for (const to of this.cluster.endpoints) {
        if (from === to || !(involving(from) || involving(to))) continue;
        for (const p of to.ports) {
          const protocol = p.protocol ?? 'TCP';
          if (this.allows(from, to, p.port, protocol)) flows.push(flowName(from, to, p.port, protocol));
        }
      }
    }
    return flows.sort();
  }

  private selecting(pod: ModelPod, direction: 'Ingress' | 'Egress'): NetworkPolicyObject[] {
    return this.policies.filter(
      (p) =>
        p.metadata.namespace === pod.namespace &&
        policyTypes(p).includes(direction) &&
        selectorMatches(p.spec.podSelector, pod.labels),
    );
  }

  private peersMatch(peers: PolicyPeer[] | undefined, policyNamespace: string, e: ModelEndpoint): boolean {
    if (peers === undefined || peers.length === 0) return true;
    return peers.some((peer) => this.peerMatches(peer, policyNamespace, e));
  }

  private peerMatches(peer: PolicyPeer, policyNamespace: string, e: ModelEndpoint): boolean {
    if (peer.ipBlock) {
      const ip = parseAddress(e.ip);
      return (
        cidrContains(peer.ipBlock.cidr, ip) && !(peer.ipBlock.except ?? []).some((x) => cidrContains(x, ip))
      );
    }
    if (e.kind !== 'pod') return false; // selectors only ever select pods
    const namespaceOk = peer.namespaceSelector
      ? selectorMatches(peer.namespaceSelector, this.namespaceLabels.get(e.namespace) ?? {})
      : e.namespace === policyNamespace;
    const podOk = peer.podSelector ? selectorMatches(peer.podSelector, e.labels) : true;
    return namespaceOk && podOk;
  }
}

/** `policyTypes` as the API server defaults it. */
export function policyTypes(p: NetworkPolicyObject): ('Ingress' | 'Egress')[] {
  if (p.spec.policyTypes && p.spec.policyTypes.length > 0) return p.spec.policyTypes;
  return (p.spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Whether a label selector matches a label set (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const values = r.values ?? [];
    const ok =
      r.operator === 'In'
        ? has && values.includes(labels[r.key])
        : r.operator === 'NotIn'
          ? !has || !values.includes(labels[r.key])
          : r.operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

function portsMatch(
  ports: PolicyPort[] | undefined,
  to: ModelEndpoint,
  port: number,
  protocol: Protocol,
): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') {
      // A named port is the destination pod's container port of that name and protocol.
      return (
        to.kind === 'pod' &&
        to.ports.some((c) => c.name === p.port && c.port === port && (c.protocol ?? 'TCP') === protocol)
      );
    }
    return p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port;
  });
}

/** Rejects what the API server would reject, so a malformed policy never evaluates silently. */
function validatePolicy(p: NetworkPolicyObject): void {
  const where = `NetworkPolicy ${p.metadata.name}`;
  if (!p.metadata.namespace) throw new Error(`${where}: no namespace (policies are namespaced)`);
  if (!p.spec || typeof p.spec.podSelector !== 'object')
    throw new Error(`${where}: spec.podSelector is required`);
  for (const t of p.spec.policyTypes ?? []) {
    if (t !== 'Ingress' && t !== 'Egress') throw new Error(`${where}: unknown policy type '${t}'`);
  }
  const rules = [
    ...(p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
    ...(p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
  ];
  for (const { peers, ports } of rules) {
    for (const peer of peers ?? []) {
      const fields = ['podSelector', 'namespaceSelector', 'ipBlock'].filter(
        (f) => peer[f as keyof PolicyPeer] !== undefined,
      );
      if (fields.length === 0)
        throw new Error(`${where}: a peer must set at least one selector or an ipBlock`);
      if (peer.ipBlock && fields.length > 1)
        throw new Error(`${where}: ipBlock cannot be combined with selectors`);
      if (peer.ipBlock) {
        const base = cidrRange(peer.ipBlock.cidr);
        for (const x of peer.ipBlock.except ?? []) {
          const sub = cidrRange(x);
          if (
            sub.prefix < base.prefix ||
            !cidrContains(peer.ipBlock.cidr, { family: sub.family, value: sub.network })
          ) {
            throw new Error(`${where}: except '${x}' is not inside '${peer.ipBlock.cidr}'`);
          }
        }
      }
    }
    for (const port of ports ?? []) {
      if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) {
        throw new Error(`${where}: unknown protocol '${port.protocol}'`);
      }
      if (port.endPort !== undefined && typeof port.port !== 'number') {
        throw new Error(`${where}: endPort needs a numeric port`);
      }
    }
  }
}

/** An address as a number of its family's width: IPv4 (32 bits) or IPv6 (128 bits). */
interface Address {
  readonly family: 4 | 6;
  readonly value: bigint;
}

function parseAddress(ip: string): Address {
  if (isIPv4(ip)) return { family: 4, value: ip.split('.').reduce((acc, p) => acc * 256n + BigInt(p), 0n) };
  if (isIPv6(ip)) {
    // Expand `::` and a trailing dotted IPv4 into eight 16-bit groups.
    let text = ip;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const n = parseAddress(v4[1] as string).value;
      text = `${text.slice(0, -(v4[1] as string).length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.split('::') as [string, string | undefined];
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups =
      tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) + BigInt(`0x${g}`), 0n) };
  }
  throw new Error(`'${ip}' is not an IPv4 or IPv6 address`);
}

/** A CIDR as the library reads it (lib/core/validation.ts parseCidr), with its network number. */
function cidrRange(cidr: string): { family: 4 | 6; network: bigint; prefix: number } {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`'${cidr}' is not a CIDR (IPv4 such as 10.0.0.0/8, IPv6 such as fd00::/64)`);
  return { family: parsed.family, network: parseAddress(parsed.address).value, prefix: parsed.prefix };
}

/** Whether the address is inside the CIDR (never across families). */
function cidrContains(cidr: string, ip: Address): boolean {
  const { family, network, prefix } = cidrRange(cidr);
  if (family !== ip.family) return false;
  const shift = BigInt((family === 4 ? 32 : 128) - prefix);
  return network >> shift === ip.value >> shift;
}
