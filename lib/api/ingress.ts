// How clients reach the API: the Service's type, and the optional Ingress. Objects: Ingress `<api>`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { invalidProp } from '../core/errors';
import { annotations } from '../core/objects';
import { requireAnnotationMap, requireDnsSubdomain, requireIngressHost } from '../core/validation';
import { API_TYPE } from './constants';

/** How the API Service is exposed. */
export enum ApiServiceType {
  /** Reachable inside the cluster; traffic enters through the Ingress. */
  CLUSTER_IP = 'ClusterIP',
  /** A cloud load balancer in front of the Service (the guide's Level 2 "Load Balancer"). */
  LOAD_BALANCER = 'LoadBalancer',
}

/** Settings of the optional Ingress. */
export interface ApiIngressOptions {
  /**
   * The host name the Ingress routes to the API, e.g. `merlai.example.com`, or a wildcard such as
   * `*.example.com` (`*` as the whole first label, as Kubernetes accepts it).
   */
  readonly host: string;
  /**
   * Secret holding the TLS certificate for `host` (for example one cert-manager issues).
   * @default - no TLS section: plain HTTP
   */
  readonly tlsSecretName?: string | undefined;
  /**
   * The IngressClass.
   * @default 'nginx'
   */
  readonly className?: string | undefined;
  /**
   * Annotations of the Ingress (cert-manager issuer, ingress-nginx settings, …).
   * @default - none
   */
  readonly annotations?: { readonly [key: string]: string } | undefined;
}

/**
 * Production's entry (Level 3): an Ingress with an explicit host and a TLS Secret, no plain HTTP.
 * `prefix` is the prop path of the ingress as the caller's user wrote it (`ingress` on `MerlaiApi`,
 * `api.ingress` on a level chart), so the error names the prop they set.
 */
export function requireProductionEntry(
  scope: Construct,
  constructType: string,
  prefix: string,
  ingress: ApiIngressOptions | undefined,
): void {
  if (!ingress?.host) {
    const example = `ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' }`;
    invalidProp(
      scope,
      constructType,
      `${prefix}.host`,
      ingress?.host,
      `expected the public host name of the API, e.g. ${prefix === 'api.ingress' ? `api: { ${example} }` : example}`,
    );
  }
  if (!ingress.tlsSecretName) {
    invalidProp(
      scope,
      constructType,
      `${prefix}.tlsSecretName`,
      ingress.tlsSecretName,
      `expected the Secret holding the TLS certificate of '${ingress.host}' (e.g. one cert-manager issues): production serves HTTPS only`,
    );
  }
}

/** The Ingress that routes `host` to the API's Service. */
export function createIngress(
  scope: Construct,
  p: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
  o: ApiIngressOptions,
): k8s.KubeIngress {
  requireIngressHost(scope, API_TYPE, 'ingress.host', o.host);
  requireAnnotationMap(scope, API_TYPE, 'ingress.annotations', o.annotations);
  if (o.tlsSecretName !== undefined)
    requireDnsSubdomain(scope, API_TYPE, 'ingress.tlsSecretName', o.tlsSecretName);
  const className = o.className ?? 'nginx';
  requireDnsSubdomain(scope, API_TYPE, 'ingress.className', className);
  return new k8s.KubeIngress(scope, 'ingress', {
    metadata: { name: p.name, labels: p.labels, annotations: annotations(o.annotations) },
    spec: {
      ingressClassName: className,
      tls: o.tlsSecretName ? [{ hosts: [o.host], secretName: o.tlsSecretName }] : undefined,
      rules: [
        {
          host: o.host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: p.name, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  });
}
