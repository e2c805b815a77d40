// The service level objectives of the Merlai API, as one typed definition the SLO rules and the
// dashboard share: the burn-rate alert policy, the windows it records, and the availability and
// latency SLOs of one level. No objects.

import { promDurationSeconds } from './promql';
import { errorRatio, type SliScope, slowRatio } from './sli';

/**
 * One condition of a multi-window, multi-burn-rate alert: the error budget burns `factor` times
 * faster than the target allows, over both the `long` and the `short` window (the short one makes
 * the alert stop soon after the burn stops).
 */
export interface BurnRateCondition {
  /** PromQL duration of the long window, e.g. `1h`. */
  readonly long: string;
  /** PromQL duration of the short window, e.g. `5m`. */
  readonly short: string;
  /** Burn rate: multiples of the error rate that would spend exactly the budget in 30 days. */
  readonly factor: number;
}

/** A burn-rate alert: either of its conditions fires it. */
export interface BurnRateAlert {
  /** `page` (someone acts now) or `ticket` (someone acts within working hours). */
  readonly response: string;
  /** Value of the alert's `severity` label. */
  readonly severity: string;
  /** How long the condition must hold before the alert fires (the rule's `for`). */
  readonly pendingFor: string;
  readonly conditions: BurnRateCondition[];
}

/**
 * The burn rates of the Google SRE workbook for a 30-day budget: a page when 2 % of the budget
 * goes in an hour or 5 % in six hours, a ticket when 10 % goes in a day or 10 % in three days.
 */
export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  {
    response: 'page',
    severity: 'critical',
    pendingFor: '2m',
    conditions: [
      { long: '1h', short: '5m', factor: 14.4 },
      { long: '6h', short: '30m', factor: 6 },
    ],
  },
  {
    response: 'ticket',
    severity: 'warning',
    pendingFor: '15m',
    conditions: [
      { long: '1d', short: '2h', factor: 3 },
      { long: '3d', short: '6h', factor: 1 },
    ],
  },
];

/** The windows the SLI recording rules cover: every window of `BURN_RATE_ALERTS`. */
export const SLI_WINDOWS: readonly string[] = [
  ...new Set(BURN_RATE_ALERTS.flatMap((a) => a.conditions.flatMap((c) => [c.long, c.short]))),
].sort((a, b) => promDurationSeconds(a) - promDurationSeconds(b));

/** One service level objective measured at the ingress, as the rules and the dashboard read it. */
export interface Slo {
  /** `availability` or `latency`: the `slo` label and part of the names. */
  readonly name: string;
  readonly objective: number;
  /** Ratio of bad requests over a window, from lib/sli.ts. */
  readonly ratio: (window: string) => string;
  readonly record: (window: string) => string;
  /** What a bad request is, for the alert text. */
  readonly bad: string;
}

/** What the SLOs of one level are measured against. */
export interface SloTargets {
  /** Which Ingress's traffic the SLIs measure. */
  readonly sliScope: SliScope;
  /** Fraction of requests that must not fail (5xx), e.g. 0.999. */
  readonly availabilityObjective: number;
  /** Fraction of requests that must be faster than `latencyThresholdSeconds`. */
  readonly latencyObjective: number;
  /** The latency SLI's threshold: slower requests spend the latency budget. */
  readonly latencyThresholdSeconds: number;
}

/** The availability and latency SLOs of one level, measured at the ingress. */
export function apiSlos(t: SloTargets): Slo[] {
  return [
    {
      name: 'availability',
      objective: t.availabilityObjective,
      ratio: (w) => errorRatio(t.sliScope, w),
      record: (w) => `merlai:slo_errors_per_request:ratio_rate${w}`,
      bad: 'failed with a 5xx status',
    },
    {
      name: 'latency',
      objective: t.latencyObjective,
      ratio: (w) => slowRatio(t.sliScope, w, t.latencyThresholdSeconds),
      record: (w) => `merlai:slo_slow_requests_per_request:ratio_rate${w}`,
      bad: `took longer than ${t.latencyThresholdSeconds} s`,
    },
  ];
}
