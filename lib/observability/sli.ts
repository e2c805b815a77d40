// The service level indicators, measured at ingress-nginx (or another SliSource), as PromQL. No objects.
import type { SliSource } from './sli-source';
//
// Service level indicators of the Merlai API, measured at the ingress-nginx controller (Merlai
// exposes no metrics of its own). The SLO rules and the canary analysis both read these, so an
// alert and a rollout gate agree on what "an error" is.

/**
 * The label that carries the Ingress's namespace on ingress-nginx's series as Prometheus stores
 * them when the controller is scraped through the ingress-nginx chart's ServiceMonitor
 * (`controller.metrics.serviceMonitor`, `honorLabels: false`): the scrape target's own `namespace`
 * (the controller's) wins, and the metric's `namespace` becomes `exported_namespace`.
 */
export const DEFAULT_INGRESS_NAMESPACE_LABEL = 'exported_namespace';

/** The IngressClass names whose controller is ingress-nginx, the only SLI source of these rules. */
export const DEFAULT_INGRESS_NGINX_CLASSES: readonly string[] = ['nginx'];

/** Which ingress's traffic the indicators measure. */
export interface SliScope {
  /** Namespace of the Merlai Ingress. */
  readonly namespace: string;
  /** Name of the Merlai Ingress. */
  readonly ingress: string;
  /**
   * Only the requests ingress-nginx sent to this canary backend (its `canary` label, the upstream
   * `<namespace>-<service>-<port>`). ingress-nginx counts a canary's requests under the stable
   * Ingress's name, so this label is the only way to tell them apart.
   * @default - every request of the Ingress, canary or not
   */
  readonly canary?: string | undefined;
  /**
   * The label that carries the Ingress's namespace on ingress-nginx's series: `exported_namespace`
   * behind a ServiceMonitor without `honorLabels: true` (the ingress-nginx chart's default),
   * `namespace` when Prometheus honours the controller's labels.
   * @default DEFAULT_INGRESS_NAMESPACE_LABEL ('exported_namespace')
   */
  readonly namespaceLabel?: string | undefined;
  /**
   * The proxy whose metrics are read (`namespaceLabel` and `canary` apply to ingress-nginx only).
   * @default - ingress-nginx
   */
  readonly source?: SliSource | undefined;
}

/** Upper bounds of ingress-nginx's default request-duration histogram, in seconds. */
export const NGINX_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Label matchers selecting the scope's series: `ns="…",ingress="…"[,canary="…"]`. */
export function sliMatchers(scope: SliScope): string {
  if (scope.source !== undefined && scope.source.name !== 'ingress-nginx')
    return scope.source.matchers(scope.namespace, scope.ingress, scope.canary);
  const canary = scope.canary === undefined ? '' : `,canary="${scope.canary}"`;
  return `${scope.namespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL}="${scope.namespace}",ingress="${scope.ingress}"${canary}`;
}

function selector(scope: SliScope, extra = ''): string {
  return `{${sliMatchers(scope)}${extra}}`;
}

/**
 * A matcher of a classic histogram's `le` label that holds for both spellings of the bound:
 * the exposition's (`5`, as client_golang writes it and Prometheus 2 stores it) and the one
 * Prometheus 3 stores after normalizing `le` at scrape time (`5.0`). `le="5"` matches nothing on
 * Prometheus 3; `le="5.0"` nothing on Prometheus 2.
 */
export function leMatcher(bound: number): string {
  const text = String(bound).replace(/\./g, '\\\\.');
  return Number.isInteger(bound) ? `le=~"${text}(\\\\.0)?"` : `le=~"${text}"`;
}

/** The request counter of the scope's source. */
export function requestsMetric(scope: SliScope): string {
  return scope.source?.requestsMetric ?? 'nginx_ingress_controller_requests';
}

/** The request-duration histogram of the scope's source (without `_bucket`). */
export function durationMetric(scope: SliScope): string {
  return scope.source?.durationMetric ?? 'nginx_ingress_controller_request_duration_seconds';
}

/** The bucket bounds of the scope's source's histogram. */
export function durationBuckets(scope: SliScope): readonly number[] {
  return scope.source?.durationBuckets ?? NGINX_DURATION_BUCKETS;
}

/** Matcher of a 5xx status on the scope's source (`status` at ingress-nginx, `code` at Traefik). */
export function serverErrorMatcher(scope: SliScope): string {
  return `${scope.source?.statusLabel ?? 'status'}=~"5.."`;
}

/** Requests per second over `window` (a PromQL duration such as `5m`). */
export function requestRate(scope: SliScope, window: string): string {
  return `sum(rate(${requestsMetric(scope)}${selector(scope)}[${window}]))`;
}

/** Fraction of requests answered with a 5xx status over `window`: the availability SLI's complement. */
export function errorRatio(scope: SliScope, window: string): string {
  const errors = `sum(rate(${requestsMetric(scope)}${selector(scope, `,${serverErrorMatcher(scope)}`)}[${window}]))`;
  return `${errors} / ${requestRate(scope, window)}`;
}

/**
 * Like `errorRatio`, but 0 (not empty) when the scope had requests and none failed: ingress-nginx
 * creates a status's series on its first request, so before the first 5xx the error rate is empty.
 * Still empty when the scope had no request at all, and NaN when its counters did not move in
 * `window`: no data is never a measurement of zero errors.
 */
export function errorRatioOrZero(scope: SliScope, window: string): string {
  const total = requestRate(scope, window);
  const errors = `sum(rate(${requestsMetric(scope)}${selector(scope, `,${serverErrorMatcher(scope)}`)}[${window}]))`;
  return `(${errors} or 0 * ${total}) / ${total}`;
}

/**
 * Fraction of requests slower than `thresholdSeconds` over `window`: the latency SLI's complement.
 * The threshold must be a bucket bound of the histogram, or the ratio would be interpolated.
 */
export function slowRatio(scope: SliScope, window: string, thresholdSeconds: number): string {
  const buckets = durationBuckets(scope);
  if (!buckets.includes(thresholdSeconds)) {
    throw new Error(
      `latency threshold ${thresholdSeconds}s is not a bucket of ${scope.source?.name ?? 'ingress-nginx'}'s histogram; expected one of ${buckets.join(', ')}`,
    );
  }
  const metric = durationMetric(scope);
  const fast = `sum(rate(${metric}_bucket${selector(scope, `,${leMatcher(thresholdSeconds)}`)}[${window}]))`;
  const all = `sum(rate(${metric}_count${selector(scope)}[${window}]))`;
  return `1 - (${fast} / ${all})`;
}
