// Where the SLIs are measured: ingress-nginx's or Traefik's Prometheus metrics. No objects.
import {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  DEFAULT_INGRESS_NGINX_CLASSES,
  NGINX_DURATION_BUCKETS,
} from './sli';

/**
 * Upper bounds of Traefik's default request-duration histogram, in seconds: `metrics.prometheus.buckets`
 * defaults to 0.1, 0.3, 1.2, 5 (Traefik's Prometheus metrics documentation, v2 and v3).
 */
export const TRAEFIK_DURATION_BUCKETS: readonly number[] = [0.1, 0.3, 1.2, 5];

/** Options of `SliSource.ingressNginx()`. */
export interface IngressNginxSliOptions {
  /**
   * The label that carries the Ingress's namespace on ingress-nginx's series: `exported_namespace`
   * behind the ingress-nginx chart's ServiceMonitor (`honorLabels: false`), `namespace` when the
   * scrape honours the controller's labels.
   * @default DEFAULT_INGRESS_NAMESPACE_LABEL ('exported_namespace')
   */
  readonly namespaceLabel?: string | undefined;
  /**
   * IngressClass names served by an ingress-nginx controller; an Ingress of another class fails the synth.
   * @default DEFAULT_INGRESS_NGINX_CLASSES (['nginx'])
   */
  readonly classes?: string[] | undefined;
}

/** Options of `SliSource.traefik()`. */
export interface TraefikSliOptions {
  /**
   * The bounds of Traefik's request-duration histogram, in seconds, when Traefik is configured
   * with its own `metrics.prometheus.buckets`. The latency threshold must be one of them.
   * @default TRAEFIK_DURATION_BUCKETS (0.1, 0.3, 1.2, 5: Traefik's default)
   */
  readonly durationBuckets?: number[] | undefined;
}

/**
 * The proxy whose Prometheus metrics are the API's SLIs: the SLO recording rules, burn-rate
 * alerts and dashboard panels read its request counter and request-duration histogram.
 */
export class SliSource {
  /**
   * ingress-nginx's `nginx_ingress_controller_requests` and `_request_duration_seconds`, selected
   * by the Ingress's namespace and name. The default, and the only source of the canary analysis.
   */
  public static ingressNginx(options: IngressNginxSliOptions = {}): SliSource {
    return new SliSource(
      'ingress-nginx',
      'nginx_ingress_controller_requests',
      'nginx_ingress_controller_request_duration_seconds',
      'status',
      [...NGINX_DURATION_BUCKETS],
      options.namespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL,
      [...(options.classes ?? DEFAULT_INGRESS_NGINX_CLASSES)],
    );
  }

  /**
   * Traefik v3's service metrics: `traefik_service_requests_total` and
   * `traefik_service_request_duration_seconds`, labels `code`, `method`, `protocol` and `service`
   * (`metrics.prometheus.addServicesLabels`, on by default), selected by the Traefik service of
   * the API's Kubernetes Service. Works behind an Ingress of Traefik's class or an HTTPRoute.
   */
  public static traefik(options: TraefikSliOptions = {}): SliSource {
    return new SliSource(
      'traefik',
      'traefik_service_requests_total',
      'traefik_service_request_duration_seconds',
      'code',
      [...(options.durationBuckets ?? TRAEFIK_DURATION_BUCKETS)],
      undefined,
      undefined,
    );
  }

  private constructor(
    /** `ingress-nginx` or `traefik`. */
    public readonly name: string,
    /** The request counter. */
    public readonly requestsMetric: string,
    /** The request-duration histogram, without `_bucket` / `_count`. */
    public readonly durationMetric: string,
    /** The label holding the HTTP status code. */
    public readonly statusLabel: string,
    /** The histogram's bucket bounds, in seconds. */
    public readonly durationBuckets: number[],
    /** ingress-nginx only: the label holding the Ingress's namespace. */
    public readonly namespaceLabel: string | undefined,
    /** ingress-nginx only: the IngressClass names it serves. */
    public readonly ingressClasses: string[] | undefined,
  ) {}

  /**
   * Label matchers of the API's series, without braces. ingress-nginx:
   * `<namespaceLabel>="<ns>",ingress="<name>"`. Traefik: its `service` label, which for a
   * Kubernetes Service backend is `<namespace>-<service>-<port>@<provider>`: the kubernetesgateway
   * provider names it `namespace-name-port` (port number, 80 here; Traefik's httproute.go
   * `loadHTTPService`), the kubernetes Ingress provider with the port as the Ingress gives it
   * (`http` here). The regex admits both and any provider suffix, and not the route's weighted
   * round-robin parent service (`…-wrr`), whose requests are the same ones.
   */
  public matchers(namespace: string, name: string, canary?: string): string {
    if (this.name === 'traefik') return `service=~"${namespace}-${name}-(80|http)@.+"`;
    const c = canary === undefined ? '' : `,canary="${canary}"`;
    return `${this.namespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL}="${namespace}",ingress="${name}"${c}`;
  }
}
