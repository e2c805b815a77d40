/**
 * Service level indicators of the Merlai API, measured at the ingress-nginx controller (Merlai
 * exposes no metrics of its own). The SLO rules and the canary analysis both read these, so an
 * alert and a rollout gate agree on what "an error" is.
 */

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
  readonly canary?: string;
  /**
   * The label that carries the Ingress's namespace on ingress-nginx's series. A ServiceMonitor
   * without `honorLabels: true` (the ingress-nginx chart's default) renames it `exported_namespace`,
   * because the scrape target's own `namespace` label wins.
   * @default 'namespace'
   */
  readonly namespaceLabel?: string;
}

/** Upper bounds of ingress-nginx's default request-duration histogram, in seconds. */
export const NGINX_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

function selector(scope: SliScope, extra = ''): string {
  const canary = scope.canary === undefined ? '' : `,canary="${scope.canary}"`;
  return `{${scope.namespaceLabel ?? 'namespace'}="${scope.namespace}",ingress="${scope.ingress}"${canary}${extra}}`;
}

/** Requests per second over `window` (a PromQL duration such as `5m`). */
export function requestRate(scope: SliScope, window: string): string {
  return `sum(rate(nginx_ingress_controller_requests${selector(scope)}[${window}]))`;
}

/** Fraction of requests answered with a 5xx status over `window`: the availability SLI's complement. */
export function errorRatio(scope: SliScope, window: string): string {
  const errors = `sum(rate(nginx_ingress_controller_requests${selector(scope, ',status=~"5.."')}[${window}]))`;
  return `${errors} / ${requestRate(scope, window)}`;
}

/**
 * Fraction of requests slower than `thresholdSeconds` over `window`: the latency SLI's complement.
 * The threshold must be a bucket bound of the histogram, or the ratio would be interpolated.
 */
export function slowRatio(scope: SliScope, window: string, thresholdSeconds: number): string {
  if (!NGINX_DURATION_BUCKETS.includes(thresholdSeconds)) {
    throw new Error(
      `latency threshold ${thresholdSeconds}s is not a bucket of ingress-nginx's histogram; expected one of ${NGINX_DURATION_BUCKETS.join(', ')}`,
    );
  }
  const metric = 'nginx_ingress_controller_request_duration_seconds';
  const fast = `sum(rate(${metric}_bucket${selector(scope, `,le="${thresholdSeconds}"`)}[${window}]))`;
  const all = `sum(rate(${metric}_count${selector(scope)}[${window}]))`;
  return `1 - (${fast} / ${all})`;
}

/** The label matchers of the ingress-nginx series of `scope` (`{namespace="…",ingress="…"}`), for other queries on the same traffic. */
export function sliSeriesSelector(scope: SliScope): string {
  return selector(scope);
}
