// The Gateway API entry, an alternative to the Ingress: HTTPRoute `<api>` attached to a Gateway.
import type { Construct } from 'constructs';
import type * as httpRoute from '../../imports/httproute-gateway.networking.k8s.io';
import { invalidProp } from '../core/errors';
import { requireDnsLabel, requireDnsSubdomain, requireIngressHost } from '../core/validation';
import { API_TYPE } from './constants';

/** The Gateway an HTTPRoute attaches to; it exists elsewhere (the platform team's). */
export interface GatewayReference {
  /** Name of the Gateway. */
  readonly name: string;
  /** Namespace of the Gateway. */
  readonly namespace: string;
  /**
   * The Gateway listener to attach to (its `name`), e.g. the HTTPS listener.
   * @default - every listener of the Gateway that admits the route
   */
  readonly sectionName?: string | undefined;
}

/**
 * Settings of the optional HTTPRoute (Gateway API, `gateway.networking.k8s.io/v1`). TLS is the
 * Gateway's: the route carries no certificate, so production needs no TLS Secret here.
 */
export interface ApiRouteOptions {
  /** The Gateway the route attaches to (`parentRefs`). */
  readonly gateway: GatewayReference;
  /**
   * The host names the route answers, e.g. `['merlai.example.com']` (wildcards as `*.example.com`).
   * At Level 3 (production) at least one is required.
   * @default - every host name the Gateway's listener accepts
   */
  readonly hostnames?: string[] | undefined;
}

/** The HTTPRoute bindings: heavy to load, so only an API with a route requires them. */
function httpRouteBindings(): typeof httpRoute {
  return require('../../imports/httproute-gateway.networking.k8s.io');
}

/** Production's route: an explicit host name and a Gateway (TLS terminates at the Gateway). */
export function requireProductionRoute(
  scope: Construct,
  constructType: string,
  prefix: string,
  route: ApiRouteOptions,
): void {
  if (!route.gateway?.name || !route.gateway?.namespace) {
    invalidProp(
      scope,
      constructType,
      `${prefix}.gateway`,
      route.gateway,
      `expected the Gateway the route attaches to, e.g. gateway: { namespace: 'gateway', name: 'public', sectionName: 'https' }`,
    );
  }
  if (!route.hostnames || route.hostnames.length === 0) {
    invalidProp(
      scope,
      constructType,
      `${prefix}.hostnames`,
      route.hostnames,
      `expected the public host name(s) of the API, e.g. hostnames: ['merlai.example.com']: production gets no catch-all route`,
    );
  }
}

/** The HTTPRoute that sends every path of the host names to the API's Service. */
export function createRoute(
  scope: Construct,
  p: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
  o: ApiRouteOptions,
): httpRoute.HttpRoute {
  const { HttpRoute, HttpRouteSpecRulesMatchesPathType } = httpRouteBindings();
  if (typeof o.gateway !== 'object' || o.gateway === null) {
    invalidProp(scope, API_TYPE, 'route.gateway', o.gateway, 'expected { name, namespace, sectionName? }');
  }
  requireDnsSubdomain(scope, API_TYPE, 'route.gateway.name', o.gateway.name);
  requireDnsLabel(scope, API_TYPE, 'route.gateway.namespace', o.gateway.namespace);
  if (o.gateway.sectionName !== undefined)
    requireDnsSubdomain(scope, API_TYPE, 'route.gateway.sectionName', o.gateway.sectionName);
  if (o.hostnames !== undefined && !Array.isArray(o.hostnames)) {
    invalidProp(scope, API_TYPE, 'route.hostnames', o.hostnames, 'expected an array of host names');
  }
  (o.hostnames ?? []).forEach((h, i) => {
    requireIngressHost(scope, API_TYPE, `route.hostnames[${i}]`, h);
  });
  return new HttpRoute(scope, 'route', {
    metadata: { name: p.name, labels: { ...p.labels } },
    spec: {
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: o.gateway.name,
          namespace: o.gateway.namespace,
          sectionName: o.gateway.sectionName,
        },
      ],
      hostnames: o.hostnames && o.hostnames.length > 0 ? [...o.hostnames] : undefined,
      rules: [
        {
          matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }],
          backendRefs: [{ kind: 'Service', name: p.name, port: 80 }],
        },
      ],
    },
  });
}
