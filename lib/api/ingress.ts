// How clients reach the API: the Service's type, and the optional Ingress. Objects: Ingress `<api>`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { annotations } from '../core/objects';
import { requireDnsSubdomain } from '../core/validation';
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
  /** The host name the Ingress routes to the API, e.g. `merlai.example.com`. */
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

/** The Ingress that routes `host` to the API's Service. */
export function createIngress(
  scope: Construct,
  p: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
  o: ApiIngressOptions,
): k8s.KubeIngress {
  requireDnsSubdomain(scope, API_TYPE, 'ingress.host', o.host);
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
