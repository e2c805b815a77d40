// The network policies of one level: default deny, then what the API and each datastore may reach.
// Objects: NetworkPolicies `merlai-*-network-policy`.
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MerlaiApi } from '../api/api';
import { API_CONTAINER_PORT } from '../api/constants';
import { ApiServiceType } from '../api/ingress';
import { invalidProp } from '../core/errors';
import { labelProblem, parseCidr, requireCidr, requireDnsLabel, requirePort } from '../core/validation';
import type { DatastoreEndpoint, DatastoreEndpoints, ObjectStoreAddress } from '../datastores/endpoints';
import { cidrPeer, NetworkProtocol, namespacePeer, podPeer, policyPort, tcpPorts } from './network-peers';

const TYPE = 'MerlaiSecurity';

/** Where the Kubernetes API server answers, as seen by a pod's network policy. */
export interface KubernetesApiServer {
  /**
   * Address range of the API server's endpoints (`kubectl get endpoints kubernetes -n default`),
   * e.g. `172.18.0.2/32`, or the control plane's subnet when its addresses change (EKS moves its
   * two endpoint ENIs within the cluster's subnets). Most network plugins evaluate policies after
   * the Service address (`10.96.0.1:443`) has been translated to these endpoints.
   */
  readonly cidr: string;
  /**
   * Ports of those endpoints: 443 on EKS, GKE and AKS, 6443 on kubeadm, kind and k3s.
   * @default [443, 6443]
   */
  readonly ports?: number[] | undefined;
}

/** The ports the API server's endpoints listen on: 443 (EKS, GKE, AKS) and 6443 (kubeadm, kind, k3s). */
export const KUBERNETES_API_SERVER_PORTS: readonly number[] = [443, 6443];

/**
 * The API server of the Level 1 and 2 charts when none is stated: any address on 443 and 6443,
 * because the charts cannot know a cluster's control-plane addresses. Level 3 takes no default:
 * state the endpoints (`kubectl get endpoints kubernetes -n default`) in the chart's
 * `security.kubernetesApiServer`.
 */
export const DEFAULT_KUBERNETES_API_SERVER: KubernetesApiServer = {
  cidr: '0.0.0.0/0',
  ports: [...KUBERNETES_API_SERVER_PORTS],
};

/**
 * NodeLocal DNSCache's link-local address, as its manifest (`__PILLAR__LOCAL__DNS__`), GKE and the
 * EKS guides set it. node-local-dns runs on the host network, so no pod selector matches it.
 */
export const NODE_LOCAL_DNS_CIDR = '169.254.20.10/32';

/** Cluster facts the network policies depend on; every one has a default that matches common clusters. */
export interface MerlaiSecurityOptions {
  /**
   * Namespace of the ingress controller, the only source of traffic to the API.
   * @default 'ingress-nginx'
   */
  readonly ingressNamespace?: string | undefined;
  /**
   * When the API has an HTTPRoute: namespace of the Gateway's pods (the data plane), the only
   * source of traffic to the API instead of the ingress controller.
   * @default - the namespace of the Gateway the route attaches to (`route.gateway.namespace`),
   * where Traefik, Istio and most implementations run the Gateway's pods
   */
  readonly gatewayNamespace?: string | undefined;
  /**
   * When the API has an HTTPRoute: labels of the Gateway's pods in `gatewayNamespace`.
   * @default - any pod of `gatewayNamespace`
   */
  readonly gatewayPodLabels?: { readonly [key: string]: string } | undefined;
  /**
   * Namespace of Prometheus. When set, it may scrape the datastores' metrics ports.
   * @default - no scraping is allowed
   */
  readonly monitoringNamespace?: string | undefined;
  /**
   * Whether Prometheus scrapes the API pods' own metrics on the container port (when the API has a
   * metrics endpoint and a ServiceMonitor, e.g. observability's `metricsPath`). Needs
   * `monitoringNamespace`.
   * @default false
   */
  readonly scrapeApi?: boolean | undefined;
  /**
   * Namespace of the cluster DNS.
   * @default 'kube-system'
   */
  readonly dnsNamespace?: string | undefined;
  /**
   * Labels of the cluster DNS pods (CoreDNS keeps kube-dns's label).
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly dnsPodLabels?: { readonly [key: string]: string } | undefined;
  /**
   * Address ranges of NodeLocal DNSCache, which pods may query on UDP and TCP 53 besides the
   * cluster DNS pods. node-local-dns listens on the host network, at a link-local address, so the
   * DNS pod selector never matches it. In kube-proxy iptables mode it also answers on the kube-dns
   * Service address without address translation: add that address (`kubectl -n kube-system get
   * service kube-dns`) when your plugin sees it. `[]` for none.
   * @default ['169.254.20.10/32'] (`NODE_LOCAL_DNS_CIDR`)
   */
  readonly nodeLocalDnsCidrs?: string[] | undefined;
  /**
   * The Kubernetes API server, for datastore pods that must reach it (CloudNativePG's instance
   * manager). Required when an endpoint says `needsApiServer`; at Level 3 it must be the cluster's
   * own address range (not `0.0.0.0/0`).
   * @default - none: an error if a datastore needs the API server (the Level 1 and 2 charts pass
   *   `DEFAULT_KUBERNETES_API_SERVER`, any address on 443 and 6443, unless told otherwise)
   */
  readonly kubernetesApiServer?: KubernetesApiServer | undefined;
  /**
   * Source ranges allowed to reach the API pods directly when the API's Service is of type
   * LoadBalancer (the load balancer keeps client or node addresses as the source).
   * @default ['0.0.0.0/0'] when the Service is a LoadBalancer; unused otherwise
   */
  readonly loadBalancerSourceCidrs?: string[] | undefined;
  /**
   * Whether the construct adds `merlai-default-deny`, which denies all ingress and egress to every
   * pod of the namespace that no other policy allows. Turn it off when the platform already applies
   * a namespace-wide default deny (or a cluster-wide one): the API's and the datastores' own
   * policies still isolate their pods, but any other pod of the namespace is then yours to isolate.
   * @default true (the level charts keep it on)
   */
  readonly defaultDeny?: boolean | undefined;
}

/** Props of `MerlaiSecurity`. */
export interface MerlaiSecurityProps extends MerlaiSecurityOptions {
  /** The API whose pods the policies protect (its selector labels and port 8000). */
  readonly api: MerlaiApi;
  /** Where PostgreSQL, Redis and the backup job live, from the datastores construct. */
  readonly endpoints: DatastoreEndpoints;
}

const DNS_PORT = 53;
const DEFAULT_DNS_LABELS = { 'k8s-app': 'kube-dns' };

/** A resolved datastore, checked once so the policies need no further validation. */
interface Datastore {
  readonly key: 'postgres' | 'redis';
  readonly endpoint: DatastoreEndpoint;
  /** Namespace of its pods; undefined for an external datastore. */
  readonly namespace?: string | undefined;
}

/**
 * The network side of Pod Security for Merlai: a namespace that denies all traffic by default,
 * then exactly the flows the application needs.
 *
 * - `merlai-default-deny` (unless `defaultDeny` is false): no ingress and no egress for any pod of
 *   the namespace;
 * - `merlai-network-policy` (the guide's name): API ingress only from the ingress controller's
 *   namespace on TCP 8000; API egress to the cluster DNS (UDP and TCP 53), PostgreSQL and Redis
 *   wherever they live (pods here or in another namespace, or an external CIDR); Redis only when
 *   the endpoints name one;
 * - `merlai-postgres-network-policy`, `merlai-redis-network-policy`: the datastores accept the API,
 *   the backup job (PostgreSQL), their peers, their operator and, with monitoring, Prometheus on
 *   the metrics port; they reach their peers, the DNS and, when they need it, the API server;
 * - `merlai-postgres-backup-network-policy`: the backup job reaches the DNS and PostgreSQL only
 *   (and, when the backups go off the cluster, the object store's address range on its port);
 *   with an object store, the PostgreSQL instances reach it too (WAL archiving).
 *
 * The namespace itself, with its Pod Security "restricted" labels, is created by the level chart.
 */
export class MerlaiSecurity extends Construct {
  /** The namespace the API's policies live in (the chart's). */
  public readonly namespace: string;
  /** Every NetworkPolicy this construct creates, by name. */
  public readonly policies: { [name: string]: k8s.KubeNetworkPolicy } = {};

  private readonly api: MerlaiApi;
  private readonly dnsNamespace: string;
  private readonly dnsLabels: { readonly [key: string]: string };
  private readonly apiServer?: { readonly cidr: string; readonly ports: readonly number[] };
  private readonly nodeLocalDnsCidrs: readonly string[];
  private readonly monitoringNamespace?: string;
  private readonly backupPodLabels?: { readonly [key: string]: string };

  constructor(scope: Construct, id: string, props: MerlaiSecurityProps) {
    super(scope, id);
    const namespace = Chart.of(this).namespace;
    if (namespace === undefined) {
      invalidProp(
        this,
        TYPE,
        'namespace',
        namespace,
        'expected a chart with a namespace: network policies are namespaced',
      );
    }
    this.namespace = namespace;
    this.api = props.api;
    if (typeof props.endpoints !== 'object' || props.endpoints === null) {
      invalidProp(
        this,
        TYPE,
        'endpoints',
        props.endpoints,
        "expected the datastores' DatastoreEndpoints (postgres, redis)",
      );
    }

    const ingressNamespace = requireDnsLabel(
      this,
      TYPE,
      'ingressNamespace',
      props.ingressNamespace ?? 'ingress-nginx',
    );
    if (props.monitoringNamespace !== undefined) {
      this.monitoringNamespace = requireDnsLabel(
        this,
        TYPE,
        'monitoringNamespace',
        props.monitoringNamespace,
      );
    }
    this.dnsNamespace = requireDnsLabel(this, TYPE, 'dnsNamespace', props.dnsNamespace ?? 'kube-system');
    this.dnsLabels = this.requireLabels('dnsPodLabels', props.dnsPodLabels ?? DEFAULT_DNS_LABELS);
    this.nodeLocalDnsCidrs = this.requireRanges(
      'nodeLocalDnsCidrs',
      props.nodeLocalDnsCidrs ?? [NODE_LOCAL_DNS_CIDR],
      {
        allowEmpty: true,
        what: 'let pods query any DNS server on port 53',
        example: NODE_LOCAL_DNS_CIDR,
      },
    );
    if (props.kubernetesApiServer !== undefined)
      this.apiServer = this.resolveApiServer(props.kubernetesApiServer);
    if (props.endpoints.backupPodLabels !== undefined) {
      this.backupPodLabels = this.requireLabels('endpoints.backupPodLabels', props.endpoints.backupPodLabels);
    }
    const postgres = this.resolveDatastore('postgres', props.endpoints.postgres);
    const datastores = [postgres];
    if (props.endpoints.redis !== undefined) {
      datastores.push(this.resolveDatastore('redis', props.endpoints.redis));
    } else {
      // A team without Redis: no egress to it, and no warning that the API lacks REDIS_URL.
      this.api._withoutRedis();
    }

    const defaultDeny = props.defaultDeny ?? true;
    if (typeof defaultDeny !== 'boolean') {
      invalidProp(this, TYPE, 'defaultDeny', defaultDeny, 'expected true or false');
    }
    if (defaultDeny) {
      this.addPolicy('default-deny', 'merlai-default-deny', namespace, {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
      });
    }

    this.addPolicy('api', 'merlai-network-policy', namespace, {
      podSelector: { matchLabels: { ...this.api.selectorLabels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [this.entryPeer(ingressNamespace, props)], ports: [policyPort(API_CONTAINER_PORT)] },
        ...this.loadBalancerIngress(props.loadBalancerSourceCidrs),
        ...this.scrapeIngress(props.scrapeApi ?? false),
      ],
      egress: [this.dnsEgress(), ...datastores.map((d) => this.clientEgress(namespace, d))],
    });

    for (const datastore of datastores) this.addDatastorePolicy(datastore);

    if (this.backupPodLabels) {
      this.addPolicy('backup', 'merlai-postgres-backup-network-policy', namespace, {
        podSelector: { matchLabels: { ...this.backupPodLabels } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [
          this.dnsEgress(),
          this.clientEgress(namespace, postgres),
          // Dumps are uploaded to, and restores downloaded from, the off-cluster object store.
          ...(props.endpoints.backupObjectStore
            ? [this.objectStoreEgress('endpoints.backupObjectStore', props.endpoints.backupObjectStore)]
            : []),
        ],
      });
    }
  }

  /** Egress to an object store outside the cluster: its address range, its port. */
  private objectStoreEgress(prop: string, o: ObjectStoreAddress): k8s.NetworkPolicyEgressRule {
    return {
      to: (o.cidrs ?? [o.cidr]).map((c) => cidrPeer(this.requireCidr(`${prop}.cidr`, c))),
      ports: [policyPort(this.requirePort(`${prop}.port`, o.port))],
    };
  }

  private addDatastorePolicy(d: Datastore): void {
    const e = d.endpoint;
    const ns = d.namespace;
    if (ns === undefined || e.podLabels === undefined) return; // external: nothing of ours to protect
    const self = podPeer(ns, ns, e.podLabels);
    const clients = [podPeer(ns, this.namespace, this.api.selectorLabels)];
    if (d.key === 'postgres' && this.backupPodLabels)
      clients.push(podPeer(ns, this.namespace, this.backupPodLabels));

    const ingress: k8s.NetworkPolicyIngressRule[] = [{ from: clients, ports: tcpPorts([e.port]) }];
    const egress: k8s.NetworkPolicyEgressRule[] = [];
    const peerPorts = e.peerPorts ?? [];
    if (peerPorts.length > 0) {
      ingress.push({ from: [self], ports: tcpPorts(peerPorts) });
      egress.push({ to: [self], ports: tcpPorts(peerPorts) });
    }
    if (e.operator) {
      const op = e.operator;
      const labelSets = [op.podLabels, ...(op.alternativePodLabels ?? [])];
      ingress.push({
        from: labelSets.map((labels) => podPeer(ns, op.namespace, labels)),
        ports: tcpPorts(op.ports),
      });
    }
    if (this.monitoringNamespace !== undefined && e.metricsPort !== undefined) {
      ingress.push({ from: [namespacePeer(this.monitoringNamespace)], ports: tcpPorts([e.metricsPort]) });
    }
    // Replicas and instance managers open connections by Service name: they need the DNS.
    if (peerPorts.length > 0 || e.needsApiServer) egress.push(this.dnsEgress(ns));
    if (e.needsApiServer && this.apiServer) {
      egress.push({ to: [cidrPeer(this.apiServer.cidr)], ports: tcpPorts(this.apiServer.ports) });
    }
    // WAL archiving and base backups (CloudNativePG's Barman Cloud plugin) to the off-cluster store.
    if (e.objectStore) egress.push(this.objectStoreEgress(`endpoints.${d.key}.objectStore`, e.objectStore));
    this.addPolicy(d.key, `merlai-${d.key}-network-policy`, ns, {
      podSelector: { matchLabels: { ...e.podLabels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    });
  }

  /** Egress from a client in `fromNamespace` (the API, the backup job) to a datastore. */
  private clientEgress(fromNamespace: string, d: Datastore): k8s.NetworkPolicyEgressRule {
    const e = d.endpoint;
    const to =
      d.namespace !== undefined && e.podLabels !== undefined
        ? podPeer(fromNamespace, d.namespace, e.podLabels)
        : cidrPeer(e.externalCidr as string);
    return { to: [to], ports: tcpPorts([e.port]) };
  }

  /** The cluster DNS pods, and NodeLocal DNSCache on the node's host network. */
  private dnsEgress(fromNamespace = this.namespace): k8s.NetworkPolicyEgressRule {
    return {
      to: [
        podPeer(fromNamespace, this.dnsNamespace, this.dnsLabels),
        ...this.nodeLocalDnsCidrs.map(cidrPeer),
      ],
      ports: [policyPort(DNS_PORT, NetworkProtocol.UDP), policyPort(DNS_PORT, NetworkProtocol.TCP)],
    };
  }

  private scrapeIngress(scrapeApi: boolean): k8s.NetworkPolicyIngressRule[] {
    if (!scrapeApi) return [];
    if (this.monitoringNamespace === undefined) {
      invalidProp(
        this,
        TYPE,
        'scrapeApi',
        scrapeApi,
        "Prometheus's namespace is unknown: set 'monitoringNamespace' too, or leave 'scrapeApi' unset",
      );
    }
    return [{ from: [namespacePeer(this.monitoringNamespace)], ports: [policyPort(API_CONTAINER_PORT)] }];
  }

  private loadBalancerIngress(cidrs: string[] | undefined): k8s.NetworkPolicyIngressRule[] {
    const serviceType = this.api.service.toJson().spec?.type;
    if (serviceType !== ApiServiceType.LOAD_BALANCER) {
      if (cidrs !== undefined) {
        invalidProp(
          this,
          TYPE,
          'loadBalancerSourceCidrs',
          cidrs,
          `the API's Service is of type ${serviceType ?? 'ClusterIP'}, so traffic only enters through the ingress controller; set the API's 'serviceType' to LoadBalancer or drop this prop`,
        );
      }
      return [];
    }
    const ranges = cidrs ?? ['0.0.0.0/0'];
    if (ranges.length === 0) {
      invalidProp(
        this,
        TYPE,
        'loadBalancerSourceCidrs',
        ranges,
        "expected at least one CIDR, e.g. ['0.0.0.0/0']",
      );
    }
    ranges.forEach((c, i) => {
      this.requireCidr(`loadBalancerSourceCidrs[${i}]`, c);
    });
    return [{ from: ranges.map(cidrPeer), ports: [policyPort(API_CONTAINER_PORT)] }];
  }

  private resolveDatastore(key: 'postgres' | 'redis', e: DatastoreEndpoint): Datastore {
    const prop = `endpoints.${key}`;
    if (e === undefined || e === null) {
      invalidProp(
        this,
        TYPE,
        prop,
        e,
        'expected a DatastoreEndpoint (pod labels or an external CIDR, and a port)',
      );
    }
    this.requirePort(`${prop}.port`, e.port);
    const hasPods = e.podLabels !== undefined;
    const hasCidr = e.externalCidr !== undefined;
    if (hasPods === hasCidr) {
      invalidProp(
        this,
        TYPE,
        prop,
        { podLabels: e.podLabels, externalCidr: e.externalCidr },
        "expected exactly one of 'podLabels' (pods in the cluster) and 'externalCidr' (external mode)",
      );
    }
    if (hasCidr) {
      const cidr = this.requireCidr(`${prop}.externalCidr`, e.externalCidr as string);
      if ((parseCidr(cidr)?.prefix ?? 0) === 0) {
        invalidProp(
          this,
          TYPE,
          `${prop}.externalCidr`,
          cidr,
          `a /0 range would let the API reach any address on port ${e.port}; give the database's own network, e.g. '10.20.0.0/16'`,
        );
      }
      return { key, endpoint: e };
    }
    this.requireLabels(`${prop}.podLabels`, e.podLabels as { [key: string]: string });
    const namespace = requireDnsLabel(this, TYPE, `${prop}.namespace`, e.namespace ?? this.namespace);
    (e.peerPorts ?? []).forEach((p, i) => {
      this.requirePort(`${prop}.peerPorts[${i}]`, p);
    });
    if (e.metricsPort !== undefined) this.requirePort(`${prop}.metricsPort`, e.metricsPort);
    if (e.operator) {
      requireDnsLabel(this, TYPE, `${prop}.operator.namespace`, e.operator.namespace);
      this.requireLabels(`${prop}.operator.podLabels`, e.operator.podLabels);
      (e.operator.alternativePodLabels ?? []).forEach((labels, i) => {
        this.requireLabels(`${prop}.operator.alternativePodLabels[${i}]`, labels);
      });
      if (!Array.isArray(e.operator.ports) || e.operator.ports.length === 0) {
        invalidProp(
          this,
          TYPE,
          `${prop}.operator.ports`,
          e.operator.ports,
          'expected the ports the operator connects to, e.g. [8000, 5432]',
        );
      }
      e.operator.ports.forEach((p, i) => {
        this.requirePort(`${prop}.operator.ports[${i}]`, p);
      });
    }
    if (e.needsApiServer && this.apiServer === undefined) {
      const level = this.api.profile;
      const why = level.apiServerCidrRequired
        ? `Level ${level.number} (${level.environment}) allows the API server only at the address range you state (no 0.0.0.0/0 default), and`
        : 'without it';
      invalidProp(
        this,
        TYPE,
        'kubernetesApiServer',
        undefined,
        `${why} the ${key} pods must reach the Kubernetes API server (${prop}.needsApiServer): set the level chart's 'security.kubernetesApiServer' to the address range of its endpoints, found with 'kubectl get endpoints kubernetes -n default' (e.g. { cidr: '10.0.0.0/24' }; ports default to 443 and 6443)`,
      );
    }
    return { key, endpoint: e, namespace };
  }

  private addPolicy(id: string, name: string, namespace: string, spec: k8s.NetworkPolicySpec): void {
    this.policies[name] = new k8s.KubeNetworkPolicy(this, id, {
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'merlai' } },
      spec,
    });
  }

  private resolveApiServer(server: KubernetesApiServer): { cidr: string; ports: readonly number[] } {
    if (typeof server !== 'object' || server === null) {
      invalidProp(
        this,
        TYPE,
        'kubernetesApiServer',
        server,
        "expected { cidr, ports? }, e.g. { cidr: '10.0.0.0/24' }",
      );
    }
    const cidr = this.requireCidr('kubernetesApiServer.cidr', server.cidr);
    const level = this.api.profile;
    if (level.apiServerCidrRequired && (parseCidr(cidr)?.prefix ?? 0) === 0) {
      invalidProp(
        this,
        TYPE,
        'kubernetesApiServer.cidr',
        cidr,
        `Level ${level.number} (${level.environment}) allows the API server only at the address range you state, and a /0 range opens its ports to any internet host: give the endpoints of 'kubectl get endpoints kubernetes -n default', e.g. '10.0.0.0/24'`,
      );
    }
    const ports = server.ports ?? [...KUBERNETES_API_SERVER_PORTS];
    if (!Array.isArray(ports) || ports.length === 0) {
      invalidProp(
        this,
        TYPE,
        'kubernetesApiServer.ports',
        ports,
        'expected the ports of the endpoints, e.g. [443] (EKS, GKE, AKS) or [6443] (kubeadm); leave unset for both',
      );
    }
    ports.forEach((p, i) => {
      this.requirePort(`kubernetesApiServer.ports[${i}]`, p);
    });
    return { cidr, ports };
  }

  /** Checks a list of CIDRs; a /0 range is refused (`what` it would allow). */
  private requireRanges(
    prop: string,
    ranges: readonly string[],
    o: { allowEmpty: boolean; what: string; example: string },
  ): readonly string[] {
    if (!Array.isArray(ranges) || (!o.allowEmpty && ranges.length === 0)) {
      invalidProp(this, TYPE, prop, ranges, `expected a list of CIDRs, e.g. ['${o.example}']`);
    }
    ranges.forEach((c, i) => {
      const cidr = this.requireCidr(`${prop}[${i}]`, c);
      if ((parseCidr(cidr)?.prefix ?? 0) === 0) {
        invalidProp(
          this,
          TYPE,
          `${prop}[${i}]`,
          cidr,
          `a /0 range would ${o.what}; give an address range, e.g. '${o.example}'`,
        );
      }
    });
    return ranges;
  }

  private requirePort(prop: string, port: number): number {
    return requirePort(this, TYPE, prop, port);
  }

  private requireCidr(prop: string, cidr: string): string {
    return requireCidr(this, TYPE, prop, cidr);
  }

  /** Who may reach the API: the ingress controller's namespace, or with an HTTPRoute the Gateway's pods. */
  private entryPeer(ingressNamespace: string, props: MerlaiSecurityProps): k8s.NetworkPolicyPeer {
    const route = this.api.route?.toJson().spec?.parentRefs?.[0];
    if (route === undefined) return namespacePeer(ingressNamespace);
    const gatewayNamespace = requireDnsLabel(
      this,
      TYPE,
      'gatewayNamespace',
      props.gatewayNamespace ?? route.namespace,
    );
    if (props.gatewayPodLabels === undefined) return namespacePeer(gatewayNamespace);
    const labels = this.requireLabels('gatewayPodLabels', props.gatewayPodLabels);
    return podPeer(this.namespace, gatewayNamespace, labels);
  }

  private requireLabels(
    prop: string,
    labels: { readonly [key: string]: string },
  ): { readonly [key: string]: string } {
    if (typeof labels !== 'object' || labels === null || Object.keys(labels).length === 0) {
      invalidProp(
        this,
        TYPE,
        prop,
        labels,
        'expected at least one label: an empty selector would match every pod of the namespace',
      );
    }
    for (const [key, value] of Object.entries(labels)) {
      const problem = labelProblem(key, value);
      if (problem) invalidProp(this, TYPE, prop, labels, `expected valid Kubernetes labels: ${problem}`);
    }
    return labels;
  }
}
