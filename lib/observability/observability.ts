import { ApiObject, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type * as promRule from '../../imports/prometheus-rule-monitoring.coreos.com';
import type * as serviceMonitor from '../../imports/service-monitor-monitoring.coreos.com';
import type { MerlaiApi } from '../api/api';
import { invalidProp } from '../core/errors';
import { selectorLabels } from '../core/labels';
import { monthlyErrorBudgetMinutes } from '../core/levels';
import { isLabelKey, isLabelValue, requireDnsLabel } from '../core/validation';
import type { MerlaiDatastores } from '../datastores/datastores';
import { DEFAULT_RUNBOOK_BASE_URL, runbookUrl } from './runbooks';
import {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  DEFAULT_INGRESS_NGINX_CLASSES,
  errorRatio,
  leMatcher,
  NGINX_DURATION_BUCKETS,
  type SliScope,
  sliMatchers,
  slowRatio,
} from './sli';

const TYPE = 'MerlaiObservability';
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
/** How long series must be missing before a no-data alert fires (a scrape or two may fail). */
const NO_DATA_FOR = '10m';

// The generated bindings are heavy to load: only a level that monitors requires them.
function promRuleBindings(): typeof promRule {
  return require('../../imports/prometheus-rule-monitoring.coreos.com');
}
function serviceMonitorBindings(): typeof serviceMonitor {
  return require('../../imports/service-monitor-monitoring.coreos.com');
}

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

/**
 * The labels kube-prometheus-stack's Prometheus selects PrometheusRules, ServiceMonitors and
 * PodMonitors by, with the chart's defaults (`*SelectorNilUsesHelmValues: true`): `release` set to
 * the Helm release name, here the name its documentation installs it under.
 */
export const DEFAULT_PROMETHEUS_SELECTOR_LABELS: { readonly [key: string]: string } = {
  release: 'kube-prometheus-stack',
};

/** Replication lag of a CloudNativePG replica (`cnpg_pg_replication_lag`, seconds) that alerts. */
export const POSTGRES_REPLICATION_LAG_SECONDS = 30;

/** Everything a team may override on `MerlaiObservability`; the level table supplies the rest. */
export interface MerlaiObservabilityOptions {
  /**
   * Latency SLI threshold: requests slower than this spend the latency budget. Must be a bound of
   * ingress-nginx's request-duration histogram (`NGINX_DURATION_BUCKETS`: … 1, 2.5, 5, 10 s).
   * @default - the level table (Level 2: 10 s, Level 3: 5 s)
   */
  readonly latencyThreshold?: Duration | undefined;
  /**
   * Fraction of requests that must be faster than `latencyThreshold`, e.g. 0.99.
   * @default - the level's availability target
   */
  readonly latencyObjective?: number | undefined;
  /**
   * Path of the API's Prometheus metrics endpoint. When set, a ServiceMonitor scrapes it through
   * the Service port `http`. Merlai serves no `/metrics` today.
   * @default - no ServiceMonitor
   */
  readonly metricsPath?: string | undefined;
  /**
   * Name of the CronJob that backs up PostgreSQL, for the backup alerts (failed, or no success
   * within `backupMaxAge`).
   * @default - no backup alerts
   */
  readonly backupCronJobName?: string | undefined;
  /**
   * Longest time without a successful backup before an alert fires.
   * @default Duration.hours(26) - a daily schedule plus two hours to run
   */
  readonly backupMaxAge?: Duration | undefined;
  /**
   * Longest time without a WAL segment archived to the object store before an alert fires
   * (CloudNativePG's `cnpg_pg_stat_archiver_*` on the primary). With it, a PrometheusRule
   * `<instance>-backup-alerts` also alerts on failing archiving and on base backups (Barman Cloud
   * plugin's `barman_cloud_cloudnative_pg_io_last_available_backup_timestamp`) older than `backupMaxAge`.
   * @default - no WAL archiving alerts
   */
  readonly walArchiveMaxAge?: Duration | undefined;
  /**
   * The label that carries the Ingress's namespace on ingress-nginx's series. Behind the
   * ingress-nginx chart's ServiceMonitor (`honorLabels: false`) the scrape target's `namespace`
   * (the controller's) wins and the Ingress's becomes `exported_namespace`; use `'namespace'` when
   * your scrape honours the controller's labels (`honorLabels: true`).
   * @default DEFAULT_INGRESS_NAMESPACE_LABEL ('exported_namespace')
   */
  readonly ingressNamespaceLabel?: string | undefined;
  /**
   * Labels your Prometheus selects PrometheusRules, ServiceMonitors and PodMonitors by
   * (`ruleSelector`, `serviceMonitorSelector`, `podMonitorSelector`): every rule and monitor of
   * the level carries them. kube-prometheus-stack selects `release: <its Helm release name>` by
   * default; `{}` labels nothing (a Prometheus that selects every object).
   * @default DEFAULT_PROMETHEUS_SELECTOR_LABELS ({ release: 'kube-prometheus-stack' })
   */
  readonly prometheusSelectorLabels?: { readonly [key: string]: string } | undefined;
  /**
   * IngressClass names served by an ingress-nginx controller, whose metrics
   * (`nginx_ingress_controller_*`) are the SLIs. An API whose Ingress has another class (for
   * example `alb`) fails the synth: its controller exports no series these rules could read.
   * @default DEFAULT_INGRESS_NGINX_CLASSES (['nginx'])
   */
  readonly ingressNginxClasses?: string[] | undefined;
  /**
   * Where the runbooks are: every alert's `runbook_url` annotation is this URL plus `#` and the
   * anchor of the alert's section (`docs/runbooks.md` has one per alert). Point it at your copy.
   * @default DEFAULT_RUNBOOK_BASE_URL - this repository's docs/runbooks.md
   */
  readonly runbookBaseUrl?: string | undefined;
}

/** Props of `MerlaiObservability`. */
export interface MerlaiObservabilityProps extends MerlaiObservabilityOptions {
  /** The API whose Ingress traffic, pods and autoscaler the rules watch. */
  readonly api: MerlaiApi;
  /**
   * The datastores whose PodMonitors (CloudNativePG, redis_exporter) get the selector labels and
   * whose metrics get alerts (collector and Redis up, replication lag, master link, no data).
   * @default - no datastore alerts
   */
  readonly datastores?: MerlaiDatastores | undefined;
}

/** A recording or alerting rule before it becomes a binding object. */
interface Rule {
  readonly record?: string | undefined;
  readonly alert?: string | undefined;
  readonly expr: string;
  readonly for?: string | undefined;
  readonly labels?: Record<string, string> | undefined;
  readonly annotations?: Record<string, string> | undefined;
}

interface RuleGroup {
  readonly name: string;
  readonly rules: Rule[];
}

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

/** What the rules of one level are made of, for the dashboard built from the same definitions. */
export interface ObservabilityDefinitions {
  /** The availability and latency SLOs. */
  readonly slos: Slo[];
  /** Which Ingress's traffic the SLIs measure. */
  readonly sliScope: SliScope;
  /** Labels of the SLI recording rules' series, e.g. `{ namespace, ingress }`. */
  readonly seriesLabels: Readonly<Record<string, string>>;
  /** Namespace of the API and of the objects the workload alerts watch. */
  readonly namespace: string;
  /** The CronJob the backup alerts watch; undefined for no backup alerts. */
  readonly backupCronJobName?: string | undefined;
  /** Longest time without a successful backup before an alert fires, in seconds. */
  readonly backupMaxAgeSeconds: number;
  /** The latency SLI's threshold in seconds: slower requests spend the latency budget. */
  readonly latencyThresholdSeconds: number;
  /** The runbooks' URL (without an anchor). */
  readonly runbookBaseUrl: string;
}

/**
 * Prometheus rules for one level, derived from its availability target: SLI recording rules and
 * multi-window multi-burn-rate alerts for availability and latency (measured at ingress-nginx,
 * since Merlai exposes no metrics), and workload alerts (replicas, crash loops, autoscaler,
 * volumes, backups). Objects: PrometheusRule `merlai-api-slo` and `merlai-workload-alerts`, and a
 * ServiceMonitor `merlai-api` when `metricsPath` is set.
 */
export class MerlaiObservability extends Construct {
  public readonly sloRule: ApiObject;
  public readonly workloadRule: ApiObject;
  public readonly serviceMonitor?: ApiObject;
  /** WAL archiving and base backup alerts; undefined without `walArchiveMaxAge`. */
  public readonly backupRule?: ApiObject;
  /** Minutes of allowed unavailability per 30 days at the level's target. */
  public readonly monthlyErrorBudgetMinutes: number;
  /** The SLOs and scopes the rules are built from (the dashboard reads the same). */
  /**
   * What the rules are made of, for the dashboard built from the same definitions (TypeScript only).
   * @internal
   */
  public readonly _definitions: ObservabilityDefinitions;

  constructor(scope: Construct, id: string, props: MerlaiObservabilityProps) {
    super(scope, id);
    const api = props.api;
    const profile = api.profile;
    const namespace = Chart.of(api).namespace;
    if (!namespace) {
      invalidProp(
        this,
        TYPE,
        'namespace',
        namespace,
        "the API's chart has no namespace; the rules select series by namespace: give the chart one",
      );
    }
    const ingress = api.node.tryFindChild('ingress');
    if (!ingress) {
      invalidProp(
        this,
        TYPE,
        'api.ingress',
        undefined,
        'the SLOs are measured at the ingress-nginx controller: give the API an Ingress (`ingress: { host }`)',
      );
    }
    const nginxClasses = props.ingressNginxClasses ?? DEFAULT_INGRESS_NGINX_CLASSES;
    const ingressClass: string | undefined = ApiObject.of(ingress).toJson().spec?.ingressClassName;
    if (ingressClass === undefined || !nginxClasses.includes(ingressClass)) {
      invalidProp(
        this,
        TYPE,
        'api.ingress.className',
        ingressClass,
        `the SLO rules read ingress-nginx's metrics (nginx_ingress_controller_requests and _request_duration_seconds), and the controller of this class exports none of them, so no alert could fire. Use an ingress-nginx class (${nginxClasses.map((c) => `'${c}'`).join(', ')}), or, if this class is served by ingress-nginx, add it to 'ingressNginxClasses'`,
      );
    }

    const thresholdSeconds = (
      props.latencyThreshold ?? Duration.seconds(profile.latencyThresholdSeconds)
    ).toSeconds();
    if (!NGINX_DURATION_BUCKETS.includes(thresholdSeconds)) {
      invalidProp(
        this,
        TYPE,
        'latencyThreshold',
        `${thresholdSeconds}s`,
        `expected a bound of ingress-nginx's request-duration histogram, in seconds: ${NGINX_DURATION_BUCKETS.join(', ')}`,
      );
    }
    const availabilityTarget = profile.availabilityTarget;
    const latencyObjective = props.latencyObjective ?? availabilityTarget;
    if (!(latencyObjective > 0 && latencyObjective < 1)) {
      invalidProp(
        this,
        TYPE,
        'latencyObjective',
        latencyObjective,
        'expected a fraction between 0 and 1, e.g. 0.99',
      );
    }
    const namespaceLabel = props.ingressNamespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(namespaceLabel)) {
      invalidProp(
        this,
        TYPE,
        'ingressNamespaceLabel',
        namespaceLabel,
        "expected a Prometheus label name such as 'namespace' or 'exported_namespace'",
      );
    }
    const runbookBase = props.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
    if (!/^https?:\/\/[^\s#]+$/.test(runbookBase)) {
      invalidProp(
        this,
        TYPE,
        'runbookBaseUrl',
        runbookBase,
        "expected an absolute http(s) URL without a '#' fragment, e.g. 'https://git.example.com/ops/merlai/blob/main/docs/runbooks.md'",
      );
    }
    const backupMaxAgeSeconds = (props.backupMaxAge ?? Duration.hours(26)).toSeconds();
    if (!(backupMaxAgeSeconds >= 3600)) {
      invalidProp(this, TYPE, 'backupMaxAge', `${backupMaxAgeSeconds}s`, 'expected at least one hour');
    }
    if (props.backupCronJobName !== undefined) {
      requireDnsLabel(this, TYPE, 'backupCronJobName', props.backupCronJobName);
    }
    if (props.metricsPath !== undefined && !/^\/[^\s?#]*$/.test(props.metricsPath)) {
      invalidProp(
        this,
        TYPE,
        'metricsPath',
        props.metricsPath,
        "expected an absolute URL path such as '/metrics'",
      );
    }

    this.monthlyErrorBudgetMinutes = monthlyErrorBudgetMinutes(availabilityTarget);
    const instance = api.selectorLabels['app.kubernetes.io/instance'] ?? 'merlai';
    const discovery = { ...(props.prometheusSelectorLabels ?? DEFAULT_PROMETHEUS_SELECTOR_LABELS) };
    for (const [key, value] of Object.entries(discovery)) {
      if (!isLabelKey(key)) {
        invalidProp(
          this,
          TYPE,
          'prometheusSelectorLabels',
          key,
          'expected a Kubernetes label key such as release',
        );
      }
      if (!isLabelValue(value)) {
        invalidProp(
          this,
          TYPE,
          `prometheusSelectorLabels.${key}`,
          value,
          'expected a Kubernetes label value (63 characters at most: letters, digits, -, _ and .)',
        );
      }
    }
    const sliScope: SliScope = { namespace, ingress: api.name, namespaceLabel };
    const seriesLabels = { namespace, ingress: api.name };
    const seriesSelector = promSelector(seriesLabels);

    const slos: Slo[] = [
      {
        name: 'availability',
        objective: availabilityTarget,
        ratio: (w) => errorRatio(sliScope, w),
        record: (w) => `merlai:slo_errors_per_request:ratio_rate${w}`,
        bad: 'failed with a 5xx status',
      },
      {
        name: 'latency',
        objective: latencyObjective,
        ratio: (w) => slowRatio(sliScope, w, thresholdSeconds),
        record: (w) => `merlai:slo_slow_requests_per_request:ratio_rate${w}`,
        bad: `took longer than ${thresholdSeconds} s`,
      },
    ];

    this._definitions = {
      slos,
      sliScope,
      seriesLabels,
      namespace,
      backupCronJobName: props.backupCronJobName,
      backupMaxAgeSeconds,
      latencyThresholdSeconds: thresholdSeconds,
      runbookBaseUrl: runbookBase,
    };

    const recording: RuleGroup = {
      name: 'merlai-api-slo-recording',
      rules: slos.flatMap((slo) =>
        SLI_WINDOWS.map((w) => ({ record: slo.record(w), expr: slo.ratio(w), labels: seriesLabels })),
      ),
    };
    const burnAlerts: RuleGroup = {
      name: 'merlai-api-slo-alerts',
      rules: slos.flatMap((slo) =>
        BURN_RATE_ALERTS.map((a) => this.burnRateRule(slo, a, seriesSelector, namespace, api.name)),
      ),
    };
    burnAlerts.rules.push(this.noDataRule(sliScope, thresholdSeconds, namespace, namespaceLabel));
    const workload: RuleGroup = {
      name: 'merlai-workload-alerts',
      rules: this.workloadRules(api, namespace, props.backupCronJobName, backupMaxAgeSeconds),
    };
    const monitors = datastoreMonitors(props.datastores);
    for (const m of monitors) {
      for (const [k, v] of Object.entries(discovery)) m.object.metadata.addLabel(k, v);
    }
    const datastoreGroup: RuleGroup = { name: 'merlai-datastore-alerts', rules: datastoreRules(monitors) };

    const { PrometheusRule } = promRuleBindings();
    this.sloRule = new PrometheusRule(this, 'slo-rule', {
      metadata: {
        name: `${api.name}-slo`,
        labels: { ...selectorLabels(`${api.name}-slo`, 'monitoring', instance), ...discovery },
        annotations: {
          'merlai.io/availability-target': String(availabilityTarget),
          'merlai.io/monthly-error-budget-minutes': String(this.monthlyErrorBudgetMinutes),
          'merlai.io/latency-threshold-seconds': String(thresholdSeconds),
          'merlai.io/latency-objective': String(latencyObjective),
        },
      },
      spec: { groups: [recording, burnAlerts].map((g) => toBindingGroup(g, runbookBase)) },
    });
    this.workloadRule = new PrometheusRule(this, 'workload-rule', {
      metadata: {
        name: `${instance}-workload-alerts`,
        labels: { ...selectorLabels(`${instance}-workload-alerts`, 'monitoring', instance), ...discovery },
      },
      spec: {
        groups: [workload, ...(datastoreGroup.rules.length ? [datastoreGroup] : [])].map((g) =>
          toBindingGroup(g, runbookBase),
        ),
      },
    });

    if (props.walArchiveMaxAge !== undefined) {
      const walSeconds = props.walArchiveMaxAge.toSeconds();
      if (!(Number.isInteger(walSeconds) && walSeconds >= 60)) {
        invalidProp(
          this,
          TYPE,
          'walArchiveMaxAge',
          `${walSeconds}s`,
          'expected whole seconds, at least one minute',
        );
      }
      this.backupRule = new PrometheusRule(this, 'backup-rule', {
        metadata: {
          name: `${instance}-backup-alerts`,
          labels: { ...selectorLabels(`${instance}-backup-alerts`, 'monitoring', instance), ...discovery },
        },
        spec: {
          groups: [
            { name: 'merlai-backup-alerts', rules: backupRules(namespace, walSeconds, backupMaxAgeSeconds) },
          ].map((g) => toBindingGroup(g, runbookBase)),
        },
      });
    }

    if (props.metricsPath !== undefined) {
      const { ServiceMonitor } = serviceMonitorBindings();
      this.serviceMonitor = new ServiceMonitor(this, 'service-monitor', {
        metadata: { name: api.name, labels: { ...api.selectorLabels, ...discovery } },
        spec: {
          selector: { matchLabels: { ...api.selectorLabels } },
          endpoints: [{ port: 'http', path: props.metricsPath }],
        },
      });
    }
  }

  private burnRateRule(
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
  private noDataRule(scope: SliScope, thresholdSeconds: number, namespace: string, label: string): Rule {
    const matchers = sliMatchers(scope);
    const bucket = `nginx_ingress_controller_request_duration_seconds_bucket{${matchers},${leMatcher(thresholdSeconds)}}`;
    return {
      alert: 'MerlaiApiSliNoData',
      expr: `absent(nginx_ingress_controller_requests{${matchers}})\nor\nabsent(${bucket})`,
      for: NO_DATA_FOR,
      labels: { severity: 'warning', namespace, ingress: scope.ingress },
      annotations: {
        summary: 'No ingress-nginx series for the Merlai API: its SLO alerts cannot fire',
        description:
          `Prometheus has had no nginx_ingress_controller_requests series, or no request-duration bucket le=${thresholdSeconds}, ` +
          `for Ingress ${namespace}/${scope.ingress} (label ${label}) for ${NO_DATA_FOR}. The ingress-nginx controller is not scraped, ` +
          `its ServiceMonitor is not selected, the Ingress's namespace arrives under another label than ${label} ('ingressNamespaceLabel'), ` +
          'or the Ingress has had no request since the controller started.',
      },
    };
  }

  private workloadRules(
    api: MerlaiApi,
    namespace: string,
    backupCronJob: string | undefined,
    backupMaxAgeSeconds: number,
  ): Rule[] {
    const ns = { namespace };
    const rules: Rule[] = [
      {
        alert: 'MerlaiApiReplicasUnavailable',
        expr: `kube_deployment_status_replicas_unavailable${promSelector({ ...ns, deployment: api.name })} > 0`,
        for: '15m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Merlai API replicas are unavailable',
          description: `Deployment {{ $labels.namespace }}/${api.name} has had unavailable replicas for 15 minutes.`,
        },
      },
      {
        alert: 'MerlaiPodCrashLooping',
        expr: `max_over_time(kube_pod_container_status_waiting_reason${promSelector({ ...ns, reason: 'CrashLoopBackOff' })}[5m]) >= 1`,
        for: '15m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'A Merlai pod is crash-looping',
          description:
            'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 15 minutes.',
        },
      },
    ];
    if (api.autoscaling) {
      const hpa = promSelector({ ...ns, horizontalpodautoscaler: `${api.name}-hpa` });
      rules.push({
        alert: 'MerlaiApiAutoscalerAtMaximum',
        expr: `kube_horizontalpodautoscaler_status_current_replicas${hpa}\n  >= kube_horizontalpodautoscaler_spec_max_replicas${hpa}`,
        for: '15m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'The Merlai API autoscaler has run at its maximum for 15 minutes',
          description: `HorizontalPodAutoscaler {{ $labels.namespace }}/${api.name}-hpa has held ${api.autoscaling.maxReplicas} replicas (its maximum) for 15 minutes: the API may be short of capacity. Raise 'autoscaling.maxReplicas' or find the load.`,
        },
      });
    }
    rules.push({
      alert: 'MerlaiPersistentVolumeClaimNearlyFull',
      expr: `kubelet_volume_stats_available_bytes${promSelector(ns)}\n  / kubelet_volume_stats_capacity_bytes${promSelector(ns)}\n  < 0.1`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'A Merlai volume is more than 90 % full',
        description:
          'PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 10 % free space.',
      },
    });
    if (backupCronJob !== undefined) {
      const hours = promNumber(backupMaxAgeSeconds / 3600, 4);
      const lastSuccess = `kube_cronjob_status_last_successful_time${promSelector({ ...ns, cronjob: backupCronJob })}`;
      rules.push(
        {
          alert: 'MerlaiBackupFailed',
          expr: `kube_job_failed${promSelector({ ...ns, condition: 'true' })} > 0\nand on (namespace, job_name)\n  kube_job_owner${promSelector({ ...ns, owner_kind: 'CronJob', owner_name: backupCronJob })}`,
          labels: { severity: 'warning' },
          annotations: {
            summary: `A backup Job of CronJob ${backupCronJob} failed`,
            description: `Job {{ $labels.namespace }}/{{ $labels.job_name }} of CronJob ${backupCronJob} failed. Read its logs, then delete the Job to clear this alert.`,
          },
        },
        {
          alert: 'MerlaiBackupNotSuccessful',
          expr: `time() - ${lastSuccess} > ${backupMaxAgeSeconds}`,
          labels: { severity: 'warning' },
          annotations: {
            summary: `No successful backup in ${hours} hours`,
            description: `CronJob {{ $labels.namespace }}/${backupCronJob} has not completed a backup in ${hours} hours.`,
          },
        },
        {
          alert: 'MerlaiBackupNeverSucceeded',
          expr: `absent(${lastSuccess})`,
          for: promDuration(backupMaxAgeSeconds),
          labels: { severity: 'warning' },
          annotations: {
            summary: `No successful backup recorded for ${hours} hours`,
            description: `kube-state-metrics has reported no successful run of CronJob ${namespace}/${backupCronJob} for ${hours} hours: the CronJob is missing, has never succeeded, or is not monitored.`,
          },
        },
      );
    }
    return rules;
  }
}

/** A datastore's PodMonitor and which pods it scrapes. */
interface DatastoreMonitor {
  readonly kind: 'postgres' | 'redis';
  readonly object: ApiObject;
  readonly namespace: string;
  /** Name prefix of the instance pods (CloudNativePG's `<cluster>-<n>`, the Redis StatefulSet's `<name>-<n>`). */
  readonly name: string;
}

function datastoreMonitors(datastores: MerlaiDatastores | undefined): DatastoreMonitor[] {
  if (!datastores) return [];
  const found: DatastoreMonitor[] = [];
  for (const [kind, store] of [
    ['postgres', datastores.postgres],
    ['redis', datastores.redis],
  ] as const) {
    const child = store.node.tryFindChild('pod-monitor');
    if (!child) continue;
    const object = ApiObject.of(child);
    found.push({
      kind,
      object,
      namespace: object.metadata.namespace ?? Chart.of(store).namespace ?? '',
      name: store.name,
    });
  }
  return found;
}

/**
 * Alerts on the metrics the datastores' PodMonitors scrape: CloudNativePG's exporter
 * (`cnpg_collector_up`, `cnpg_pg_replication_lag`) and redis_exporter (`redis_up`,
 * `redis_master_link_up`), and on their absence (the exporter is not scraped).
 */
function datastoreRules(monitors: DatastoreMonitor[]): Rule[] {
  const rules: Rule[] = [];
  for (const m of monitors) {
    const pods = `{namespace="${m.namespace}",pod=~"${m.name}-[0-9]+"}`;
    const where = `${m.namespace}/${m.name}`;
    if (m.kind === 'postgres') {
      rules.push(
        {
          alert: 'MerlaiPostgresDown',
          expr: `cnpg_collector_up${pods} == 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'A Merlai PostgreSQL instance is down',
            description: `CloudNativePG's exporter in pod {{ $labels.namespace }}/{{ $labels.pod }} of cluster ${where} has not reached PostgreSQL for 5 minutes (cnpg_collector_up is 0).`,
          },
        },
        {
          alert: 'MerlaiPostgresReplicationLagging',
          expr: `cnpg_pg_replication_lag${pods} > ${POSTGRES_REPLICATION_LAG_SECONDS}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: `A Merlai PostgreSQL replica lags more than ${POSTGRES_REPLICATION_LAG_SECONDS} s`,
            description: `Replica {{ $labels.namespace }}/{{ $labels.pod }} of cluster ${where} has replayed WAL more than ${POSTGRES_REPLICATION_LAG_SECONDS} s behind the primary for 5 minutes: a failover now would lose or wait for that much.`,
          },
        },
        noDataDatastoreRule(
          'MerlaiPostgresMetricsAbsent',
          'cnpg_collector_up',
          pods,
          `CloudNativePG cluster ${where}`,
        ),
      );
    } else {
      rules.push(
        {
          alert: 'MerlaiRedisDown',
          expr: `redis_up${pods} == 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'A Merlai Redis server is down',
            description: `redis_exporter in pod {{ $labels.namespace }}/{{ $labels.pod }} of ${where} has not reached Redis for 5 minutes (redis_up is 0).`,
          },
        },
        {
          alert: 'MerlaiRedisMasterLinkDown',
          expr: `redis_master_link_up${pods} == 0`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'A Merlai Redis replica lost its primary',
            description: `Replica {{ $labels.namespace }}/{{ $labels.pod }} of ${where} has had no link to its primary for 5 minutes (redis_master_link_up is 0): it serves stale data and cannot take over.`,
          },
        },
        noDataDatastoreRule('MerlaiRedisMetricsAbsent', 'redis_up', pods, `Redis ${where}`),
      );
    }
  }
  return rules;
}

function noDataDatastoreRule(alert: string, metric: string, pods: string, what: string): Rule {
  return {
    alert,
    expr: `absent(${metric}${pods})`,
    for: NO_DATA_FOR,
    labels: { severity: 'warning' },
    annotations: {
      summary: `No metrics from ${what}: its alerts cannot fire`,
      description: `Prometheus has had no ${metric} series from the pods of ${what} for ${NO_DATA_FOR}: the pods are gone, or their PodMonitor is not selected or cannot scrape them.`,
    },
  };
}

/**
 * Off-cluster backups of CloudNativePG: the primary's WAL archiving (CloudNativePG's default
 * `pg_stat_archiver` and `pg_replication` metrics; a standby archives nothing, so only the
 * instance not in recovery counts) and the newest base backup in the object store.
 */
function backupRules(namespace: string, walSeconds: number, baseBackupSeconds: number): Rule[] {
  const ns = promSelector({ namespace });
  const primary = `and on (namespace, pod)\n  cnpg_pg_replication_in_recovery${ns} == 0`;
  const walMinutes = promNumber(walSeconds / 60, 4);
  const hours = promNumber(baseBackupSeconds / 3600, 4);
  return [
    {
      alert: 'MerlaiPostgresWalArchiveStale',
      expr: `cnpg_pg_stat_archiver_seconds_since_last_archival${ns} > ${walSeconds}\n${primary}`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `No WAL archived to the object store for ${walMinutes} minutes`,
        description: `PostgreSQL primary {{ $labels.namespace }}/{{ $labels.pod }} has archived no WAL segment for more than ${walMinutes} minutes: point-in-time recovery would lose everything since. Check the plugin-barman-cloud sidecar's logs and the object store.`,
      },
    },
    {
      alert: 'MerlaiPostgresWalArchiveFailing',
      expr: `cnpg_pg_stat_archiver_last_failed_time${ns} > cnpg_pg_stat_archiver_last_archived_time${ns}\n${primary}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'WAL archiving to the object store is failing',
        description:
          'The last WAL archiving attempt of {{ $labels.namespace }}/{{ $labels.pod }} failed and none has succeeded since; WAL accumulates on the instance volume until it works again.',
      },
    },
    {
      alert: 'MerlaiPostgresBaseBackupTooOld',
      expr: `time() - max by (namespace) (barman_cloud_cloudnative_pg_io_last_available_backup_timestamp${ns}) > ${baseBackupSeconds}`,
      labels: { severity: 'warning' },
      annotations: {
        summary: `No base backup in the object store for ${hours} hours`,
        description: `The newest base backup of {{ $labels.namespace }} is older than ${hours} hours: check the ScheduledBackup and the Backup objects.`,
      },
    },
  ];
}

/** A group as the binding wants it; every alert gets the `runbook_url` of its section in the runbooks. */
function toBindingGroup(g: RuleGroup, runbookBase: string): promRule.PrometheusRuleSpecGroups {
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

function promSelector(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

/** A number as PromQL and YAML readers expect it: no binary floating-point noise (0.0144, not 0.014400000000000001). */
function promNumber(x: number, digits = 12): string {
  return String(Number(x.toPrecision(digits)));
}

function percent(fraction: number): string {
  return `${promNumber(fraction * 100)} %`;
}

function promDurationSeconds(d: string): number {
  const m = /^(\d+)([smhdw])$/.exec(d);
  if (!m) throw new Error(`not a simple PromQL duration: ${d}`);
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

function promDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm']) {
    if (seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  }
  return `${seconds}s`;
}
