// The monitoring of one level: Prometheus rules derived from its availability target, and the
// API's ServiceMonitor. Objects: PrometheusRules `<api>-slo` (slo-rules.ts), `<instance>-workload-alerts`
// (workload-rules.ts, datastore-rules.ts) and `<instance>-backup-alerts`, ServiceMonitor `<api>`.
import { type ApiObject, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type * as serviceMonitor from '../../imports/service-monitor-monitoring.coreos.com';
import type { MerlaiApi } from '../api/api';
import { invalidProp } from '../core/errors';
import { selectorLabels } from '../core/labels';
import { monthlyErrorBudgetMinutes } from '../core/levels';
import { isLabelKey, isLabelValue, requireDnsLabel } from '../core/validation';
import type { MerlaiDatastores } from '../datastores/datastores';
import { backupRules, datastoreMonitors, datastoreRules } from './datastore-rules';
import { isPrometheusLabelName } from './promql';
import { promRuleBindings, type RuleGroup, toBindingGroup } from './rules';
import { DEFAULT_RUNBOOK_BASE_URL } from './runbooks';
import {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  DEFAULT_INGRESS_NGINX_CLASSES,
  NGINX_DURATION_BUCKETS,
  type SliScope,
} from './sli';
import type { SliSource } from './sli-source';
import { apiSlos, type Slo } from './slo';
import { sloRuleGroups } from './slo-rules';
import { workloadRules } from './workload-rules';

const TYPE = 'MerlaiObservability';

/** The ServiceMonitor bindings: heavy to load, so only a level that monitors requires them. */
function serviceMonitorBindings(): typeof serviceMonitor {
  return require('../../imports/service-monitor-monitoring.coreos.com');
}

/**
 * The labels kube-prometheus-stack's Prometheus selects PrometheusRules, ServiceMonitors and
 * PodMonitors by, with the chart's defaults (`*SelectorNilUsesHelmValues: true`): `release` set to
 * the Helm release name, here the name its documentation installs it under.
 */
export const DEFAULT_PROMETHEUS_SELECTOR_LABELS: { readonly [key: string]: string } = {
  release: 'kube-prometheus-stack',
};

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
   * The proxy whose metrics are the SLIs of the rules, alerts and dashboard:
   * `SliSource.ingressNginx()` (an Ingress of an ingress-nginx class) or `SliSource.traefik()`
   * (an Ingress of Traefik's class, or an HTTPRoute on a Traefik Gateway). Required when the API's
   * entry is an HTTPRoute: ingress-nginx measures Ingresses only. The canary analysis stays on
   * ingress-nginx, which also splits its traffic.
   * @default SliSource.ingressNginx({ namespaceLabel: ingressNamespaceLabel, classes: ingressNginxClasses })
   */
  readonly sliSource?: SliSource | undefined;
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
    const ingress = api.ingress;
    const source = props.sliSource;
    const nginx = source === undefined || source.name === 'ingress-nginx';
    if (!nginx && (props.ingressNamespaceLabel !== undefined || props.ingressNginxClasses !== undefined)) {
      invalidProp(
        this,
        TYPE,
        props.ingressNamespaceLabel !== undefined ? 'ingressNamespaceLabel' : 'ingressNginxClasses',
        props.ingressNamespaceLabel ?? props.ingressNginxClasses,
        `applies to ingress-nginx only, and 'sliSource' is ${source?.name}: remove it`,
      );
    }
    if (nginx && !ingress && api.route) {
      invalidProp(
        this,
        TYPE,
        'sliSource',
        source?.name,
        "the API's entry is an HTTPRoute, and ingress-nginx's metrics (nginx_ingress_controller_requests) measure Ingresses only, so no alert could fire: choose the Gateway's metrics, e.g. sliSource: SliSource.traefik()",
      );
    }
    if (!ingress && !api.route) {
      invalidProp(
        this,
        TYPE,
        'api.ingress',
        undefined,
        nginx
          ? 'the SLOs are measured at the ingress-nginx controller: give the API an Ingress (`ingress: { host }`)'
          : `the SLOs are measured at ${source?.name}: give the API an Ingress (\`ingress: { host }\`) or an HTTPRoute (\`route: { gateway, hostnames }\`)`,
      );
    }
    const nginxClasses = source?.ingressClasses ?? props.ingressNginxClasses ?? DEFAULT_INGRESS_NGINX_CLASSES;
    const ingressClass: string | undefined = ingress?.toJson().spec?.ingressClassName;
    if (nginx && (ingressClass === undefined || !nginxClasses.includes(ingressClass))) {
      invalidProp(
        this,
        TYPE,
        'api.ingress.className',
        ingressClass,
        `the SLO rules read ingress-nginx's metrics (nginx_ingress_controller_requests and _request_duration_seconds), and the controller of this class exports none of them, so no alert could fire. Use an ingress-nginx class (${nginxClasses.map((c) => `'${c}'`).join(', ')}), or, if this class is served by ingress-nginx, add it to 'ingressNginxClasses', or choose another 'sliSource' (SliSource.traefik())`,
      );
    }

    const thresholdSeconds = (
      props.latencyThreshold ?? Duration.seconds(profile.latencyThresholdSeconds)
    ).toSeconds();
    const buckets = source?.durationBuckets ?? NGINX_DURATION_BUCKETS;
    if (
      !Array.isArray(buckets) ||
      !buckets.every((b) => typeof b === 'number' && b > 0 && Number.isFinite(b))
    ) {
      invalidProp(
        this,
        TYPE,
        'sliSource.durationBuckets',
        buckets,
        'expected positive numbers of seconds, e.g. [0.1, 0.3, 1.2, 5, 10]',
      );
    }
    if (!buckets.includes(thresholdSeconds)) {
      invalidProp(
        this,
        TYPE,
        'latencyThreshold',
        `${thresholdSeconds}s`,
        nginx
          ? `expected a bound of ingress-nginx's request-duration histogram, in seconds: ${NGINX_DURATION_BUCKETS.join(', ')}`
          : `expected a bound of Traefik's request-duration histogram, in seconds: ${buckets.join(', ')} (a ratio at another threshold would be interpolated). ` +
              `Add ${thresholdSeconds} to Traefik's buckets (static configuration metrics.prometheus.buckets, e.g. --metrics.prometheus.buckets=${[...buckets, thresholdSeconds].sort((x, y) => x - y).join(',')}) ` +
              `and pass the same list as SliSource.traefik({ durationBuckets: [...] }), or set 'latencyThreshold' to one of the bounds`,
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
    const namespaceLabel =
      source?.namespaceLabel ?? props.ingressNamespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL;
    if (!isPrometheusLabelName(namespaceLabel)) {
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
    // The default source stays out of the scope: the rules are then exactly those of ingress-nginx before sources existed.
    const sliScope: SliScope = {
      namespace,
      ingress: api.name,
      namespaceLabel,
      ...(source && !nginx ? { source } : {}),
    };
    const seriesLabels = { namespace, ingress: api.name };
    const slos = apiSlos({
      sliScope,
      availabilityObjective: availabilityTarget,
      latencyObjective,
      latencyThresholdSeconds: thresholdSeconds,
    });

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

    const sloGroups = sloRuleGroups({
      slos,
      sliScope,
      seriesLabels,
      namespace,
      latencyThresholdSeconds: thresholdSeconds,
    });
    const workload: RuleGroup = {
      name: 'merlai-workload-alerts',
      rules: workloadRules(api, namespace, props.backupCronJobName, backupMaxAgeSeconds),
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
      spec: { groups: sloGroups.map((g) => toBindingGroup(g, runbookBase)) },
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
}
