import { k8s } from 'cdk8s-plus-28';
import { DNS1123_SUBDOMAIN } from '../core/containers';

/**
 * Small builders for NetworkPolicy peers and ports, shared by `MerlaiSecurity`'s policies.
 * Namespaces are always selected by `kubernetes.io/metadata.name`, the label the control plane
 * sets on every namespace (the guide's `name` label exists only if someone adds it).
 */

/** The label the control plane sets on every namespace, equal to its name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Transport protocols a NetworkPolicy port can name. */
export enum NetworkProtocol {
  TCP = 'TCP',
  UDP = 'UDP',
}

/** A port (number) and protocol, as a NetworkPolicy rule lists them. */
export function policyPort(port: number, protocol = NetworkProtocol.TCP): k8s.NetworkPolicyPort {
  return { port: k8s.IntOrString.fromNumber(port), protocol };
}

/** TCP ports, deduplicated and sorted so the YAML is stable. */
export function tcpPorts(ports: readonly number[]): k8s.NetworkPolicyPort[] {
  return [...new Set(ports)].sort((a, b) => a - b).map((p) => policyPort(p));
}

/**
 * The peer for pods with `podLabels` in namespace `podNamespace`, as seen from a policy in
 * `policyNamespace`: a bare `podSelector` means "in the policy's namespace", so pods elsewhere need
 * a `namespaceSelector` in the same peer (both must match).
 */
export function podPeer(
  policyNamespace: string,
  podNamespace: string,
  podLabels: { readonly [key: string]: string },
): k8s.NetworkPolicyPeer {
  const podSelector = { matchLabels: { ...podLabels } };
  if (podNamespace === policyNamespace) return { podSelector };
  return { namespaceSelector: namespaceSelector(podNamespace), podSelector };
}

/** Every pod of one namespace. */
export function namespacePeer(namespace: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(namespace) };
}

/** An address range. */
export function cidrPeer(cidr: string): k8s.NetworkPolicyPeer {
  return { ipBlock: { cidr } };
}

function namespaceSelector(namespace: string): k8s.LabelSelector {
  return { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } };
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Why a label key/value pair is invalid, or undefined when Kubernetes would accept it. */
export function labelProblem(key: string, value: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key '${key}' has an invalid prefix (a DNS subdomain is expected)`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key '${key}' is invalid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
  }
  if (typeof value !== 'string' || value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
    return `label value '${String(value)}' of '${key}' is invalid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
  }
  return undefined;
}
