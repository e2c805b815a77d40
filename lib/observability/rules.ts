// Prometheus rules as the library writes them before they become PrometheusRule objects: rules,
// groups, their runbook links, and the lazily loaded bindings. No objects.
import type * as promRule from '../../imports/prometheus-rule-monitoring.coreos.com';
import { runbookUrl } from './runbooks';

/** How long series must be missing before a no-data alert fires (a scrape or two may fail). */
export const NO_DATA_FOR = '10m';

/** The PrometheusRule bindings: heavy to load, so only a level that monitors requires them. */
export function promRuleBindings(): typeof promRule {
  return require('../../imports/prometheus-rule-monitoring.coreos.com');
}

/** A recording or alerting rule before it becomes a binding object. */
export interface Rule {
  readonly record?: string | undefined;
  readonly alert?: string | undefined;
  readonly expr: string;
  readonly for?: string | undefined;
  readonly labels?: Record<string, string> | undefined;
  readonly annotations?: Record<string, string> | undefined;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: Rule[];
}

/** A group as the binding wants it; every alert gets the `runbook_url` of its section in the runbooks. */
export function toBindingGroup(g: RuleGroup, runbookBase: string): promRule.PrometheusRuleSpecGroups {
  const { PrometheusRuleSpecGroupsRulesExpr } = promRuleBindings();
  return {
    name: g.name,
    rules: g.rules.map((r) => ({
      ...r,
      ...(r.alert !== undefined
        ? { annotations: { ...r.annotations, runbook_url: runbookUrl(runbookBase, r.alert) } }
        : {}),
      expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
    })),
  };
}
