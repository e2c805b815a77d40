// The SLO rules of one level: SLI recording rules, multi-window multi-burn-rate alerts, and the
// alert that fires when the SLIs have no data. Rule groups of PrometheusRule `<api>-slo`.
import { monthlyErrorBudgetMinutes } from '../core/levels';
import { percent, promNumber, promSelector } from './promql';
import { NO_DATA_FOR, type Rule, type RuleGroup } from './rules';
import {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  durationMetric,
  leMatcher,
  requestsMetric,
  type SliScope,
  sliMatchers,
} from './sli';
import { BURN_RATE_ALERTS, type BurnRateAlert, SLI_WINDOWS, type Slo } from './slo';

/** The recording group and the alert group of the SLOs. */
export function sloRuleGroups(p: {
  readonly slos: readonly Slo[];
  readonly sliScope: SliScope;
  /** Labels of the recorded series, e.g. `{ namespace, ingress }`. */
  readonly seriesLabels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly latencyThresholdSeconds: number;
}): RuleGroup[] {
  const seriesLabels = p.seriesLabels;
  const seriesSelector = promSelector({ ...seriesLabels });
  const recording: RuleGroup = {
    name: 'merlai-api-slo-recording',
    rules: p.slos.flatMap((slo) =>
      SLI_WINDOWS.map((w) => ({ record: slo.record(w), expr: slo.ratio(w), labels: seriesLabels })),
    ),
  };
  const burnAlerts: RuleGroup = {
    name: 'merlai-api-slo-alerts',
    rules: p.slos.flatMap((slo) =>
      BURN_RATE_ALERTS.map((a) => burnRateRule(slo, a, seriesSelector, p.namespace, p.sliScope.ingress)),
    ),
  };
  burnAlerts.rules.push(
    noDataRule(
      p.sliScope,
      p.latencyThresholdSeconds,
      p.namespace,
      p.sliScope.namespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL,
    ),
  );
  return [recording, burnAlerts];
}

function burnRateRule(
  slo: Slo,
  a: BurnRateAlert,
  selector: string,
  namespace: string,
  ingress: string,
): Rule {
  const budget = 1 - slo.objective;
  const conditions = a.conditions.map((c) => {
    const threshold = promNumber(c.factor * budget);
    return [
      '(',
      `  ${slo.record(c.long)}${selector} > ${threshold}`,
      'and',
      `  ${slo.record(c.short)}${selector} > ${threshold}`,
      ')',
    ].join('\n');
  });
  const title = slo.name[0].toUpperCase() + slo.name.slice(1);
  const response = a.response[0].toUpperCase() + a.response.slice(1);
  const paces = a.conditions.map((c) => `${c.factor}x over ${c.long} and ${c.short}`).join(', or ');
  const lasts = a.conditions.map((c) => promNumber(30 / c.factor, 3)).join(' or ');
  const annotations: Record<string, string> = {
    summary: `Merlai API ${slo.name} SLO (${percent(slo.objective)}) burns its error budget too fast`,
    description:
      `Requests through Ingress ${namespace}/${ingress} ${slo.bad} at more than the allowed ` +
      `${percent(budget)} (${paces}): at that pace the 30-day error budget lasts ${lasts} days.`,
  };
  if (slo.name === 'availability') {
    annotations.monthly_error_budget_minutes = String(monthlyErrorBudgetMinutes(slo.objective));
  }
  return {
    alert: `MerlaiApi${title}BudgetBurn${response}`,
    expr: conditions.join('\nor\n'),
    for: a.pendingFor,
    labels: { severity: a.severity, slo: slo.name },
    annotations,
  };
}

/**
 * No SLI series at all: the controller is not scraped (or its monitor not selected), the
 * namespace label is wrong, the histogram's bound is spelled differently, or the Ingress has had
 * no request since the controller started. The burn-rate alerts cannot fire then.
 */
function noDataRule(scope: SliScope, thresholdSeconds: number, namespace: string, label: string): Rule {
  const matchers = sliMatchers(scope);
  const requests = requestsMetric(scope);
  const bucket = `${durationMetric(scope)}_bucket{${matchers},${leMatcher(thresholdSeconds)}}`;
  const source = scope.source?.name ?? 'ingress-nginx';
  const nginx = source === 'ingress-nginx';
  return {
    alert: 'MerlaiApiSliNoData',
    expr: `absent(${requests}{${matchers}})\nor\nabsent(${bucket})`,
    for: NO_DATA_FOR,
    labels: { severity: 'warning', namespace, ingress: scope.ingress },
    annotations: {
      summary: `No ${source} series for the Merlai API: its SLO alerts cannot fire`,
      description: nginx
        ? `Prometheus has had no nginx_ingress_controller_requests series, or no request-duration bucket le=${thresholdSeconds}, ` +
          `for Ingress ${namespace}/${scope.ingress} (label ${label}) for ${NO_DATA_FOR}. The ingress-nginx controller is not scraped, ` +
          `its ServiceMonitor is not selected, the Ingress's namespace arrives under another label than ${label} ('ingressNamespaceLabel'), ` +
          'or the Ingress has had no request since the controller started.'
        : `Prometheus has had no ${requests} series, or no request-duration bucket le=${thresholdSeconds}, ` +
          `for the Traefik service of ${namespace}/${scope.ingress} (${matchers}) for ${NO_DATA_FOR}. Traefik is not scraped, ` +
          `its monitor is not selected, its service labels are off (metrics.prometheus.addServicesLabels), its buckets lack ${thresholdSeconds}, ` +
          'or the API has had no request since Traefik started.',
    },
  };
}
