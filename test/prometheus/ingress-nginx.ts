/**
 * ingress-nginx's request metrics as its controller exposes them
 * (third_party/ingress-nginx-metrics/socket.go): `nginx_ingress_controller_requests` (counter) and
 * `nginx_ingress_controller_request_duration_seconds` (classic histogram, default time buckets),
 * labelled with the request tags `status`, `method`, `path`, `namespace`, `ingress`, `service`,
 * `canary` and the constant labels `controller_namespace`, `controller_class`, `controller_pod`.
 * A series exists from its first request on (client_golang's vectors create children on use).
 *
 * Traffic is a list of phases; counters are the exact integrals of the phases' rates, so the
 * exporter's value at any time and the backfilled history agree.
 */
import {
  formatFloat,
  type HistorySeries,
  histogramSamples,
  type MetricFamily,
  type Sample,
} from '../support/prometheus';

/** socket.go's default `TimeBuckets` (prometheus.DefBuckets). */
export const TIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const CONTROLLER = {
  controller_class: 'k8s.io/ingress-nginx',
  controller_namespace: 'ingress-nginx',
  controller_pod: 'ingress-nginx-controller-7c9f8d6b5-qx2lz',
} as const;

/** A stretch of traffic to one backend. */
export interface Phase {
  readonly minutes: number;
  /** Requests per second. */
  readonly rps: number;
  /** Share answered 503. */
  readonly errors: number;
  /** Share slower than the latency threshold (answered 200). */
  readonly slow: number;
}

/** Traffic of one Ingress backend (the stable one, or a canary upstream). */
export interface Backend {
  readonly namespace: string;
  readonly ingress: string;
  readonly service: string;
  /** ingress-nginx's `canary` label: the canary upstream, or '' for the stable backend. */
  readonly canary: string;
  readonly phases: readonly Phase[];
}

/** Traffic that started `phases`' total length before `now0`, the last phase going on. */
export class Traffic {
  constructor(
    readonly backends: readonly Backend[],
    /** Unix seconds when the last phase starts to go on live (the end of the history). */
    readonly now0: number,
    /** The latency threshold: fast requests take 0.08 s, slow ones twice the threshold. */
    readonly thresholdSeconds: number,
  ) {}

  /** Unix seconds when `b`'s traffic starts. */
  start(b: Backend): number {
    return this.now0 - b.phases.reduce((s, p) => s + p.minutes * 60, 0);
  }

  /** Requests of `b` up to time `t` whose share is `share(p)`. */
  private integral(b: Backend, t: number, share: (p: Phase) => number): number {
    let from = this.start(b);
    let total = 0;
    b.phases.forEach((p, i) => {
      const last = i === b.phases.length - 1;
      const to = last ? Number.POSITIVE_INFINITY : from + p.minutes * 60;
      const span = Math.max(0, Math.min(t, to) - from);
      total += span * p.rps * share(p);
      from = to;
    });
    return Math.floor(total);
  }

  /** Every sample the controller exposes at time `t` (full metric names). */
  samples(t: number): (Sample & { name: string })[] {
    const out: (Sample & { name: string })[] = [];
    const fast = 0.08;
    const slow = this.thresholdSeconds * 2;
    for (const b of this.backends) {
      for (const status of ['200', '503']) {
        const errors = status === '503';
        const count = this.integral(b, t, (p) => (errors ? p.errors : 1 - p.errors));
        if (count === 0) continue; // no request with this status yet: no series
        const slowCount = errors ? 0 : this.integral(b, t, (p) => p.slow);
        const labels = {
          canary: b.canary,
          ...CONTROLLER,
          ingress: b.ingress,
          method: 'GET',
          namespace: b.namespace,
          path: '/',
          service: b.service,
          status,
        };
        out.push({ name: 'nginx_ingress_controller_requests', labels, value: count });
        out.push(
          ...histogramSamples(
            'nginx_ingress_controller_request_duration_seconds',
            labels,
            TIME_BUCKETS,
            (bound) => (bound >= slow ? count : bound >= fast ? count - slowCount : 0),
            count,
            (count - slowCount) * fast + slowCount * slow,
          ),
        );
      }
    }
    return out;
  }

  /** The families of `samples(t)`, plus a gauge the controller always exposes. */
  families(t: number): MetricFamily[] {
    const samples = this.samples(t);
    return [
      {
        name: 'nginx_ingress_controller_nginx_process_connections',
        help: 'current number of client connections with state {active, reading, writing, waiting}',
        type: 'gauge',
        samples: [{ labels: { ...CONTROLLER, state: 'active' }, value: 1 }],
      },
      {
        name: 'nginx_ingress_controller_requests',
        help: 'The total number of client requests',
        type: 'counter',
        samples: samples.filter((s) => s.name === 'nginx_ingress_controller_requests'),
      },
      {
        name: 'nginx_ingress_controller_request_duration_seconds',
        help: 'The request processing time in milliseconds',
        type: 'histogram',
        samples: samples.filter((s) =>
          s.name.startsWith('nginx_ingress_controller_request_duration_seconds'),
        ),
      },
    ];
  }

  /**
   * History for the series Prometheus stored from a real scrape (`stored`, label sets as
   * `/api/v1/series` returns them), every `step` seconds from the traffic's start to `until`.
   * A stored series is matched to the exposed sample by the labels no scrape renames (name,
   * status, method, path, ingress, canary) and `le` as a number: the test does not presume how
   * Prometheus relabels or normalizes.
   */
  history(stored: Record<string, string>[], until: number, step: number): HistorySeries[] {
    const key = (name: string, l: Record<string, string>) =>
      [
        name,
        l.status,
        l.method,
        l.path,
        l.ingress,
        l.canary,
        l.le === undefined ? '' : formatFloat(Number(l.le)),
      ].join('|');
    const from = Math.min(...this.backends.map((b) => this.start(b)));
    const values = new Map<string, [number, number][]>();
    for (let t = from; t <= until; t += step) {
      for (const s of this.samples(t)) {
        const k = key(s.name, s.labels);
        if (!values.has(k)) values.set(k, []);
        values.get(k)!.push([t, s.value]);
      }
    }
    return stored.map((labels) => {
      const samples = values.get(key(labels.__name__, labels));
      if (!samples) throw new Error(`no exposed sample matches the stored series ${JSON.stringify(labels)}`);
      return { labels, samples };
    });
  }
}
