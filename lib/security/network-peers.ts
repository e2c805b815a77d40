// Builders of NetworkPolicy peers and ports that MerlaiSecurity's policies share. No objects.
import { k8s } from 'cdk8s-plus-28';

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
