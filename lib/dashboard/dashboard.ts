import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MerlaiApi } from '../api/api';
import { invalidProp } from '../core/errors';
import { selectorLabels } from '../core/labels';
import { isLabelKey, isLabelValue, requireDnsLabel } from '../core/validation';
import type { MerlaiDatastores } from '../datastores/datastores';
import type { MerlaiObservability } from '../observability/observability';
import { percent } from '../observability/promql';
import { grafanaModel } from './grafana';
import { type ApiWorkload, postgresRow, redisRow, sloRow, trafficRow, workloadRow } from './panels';
import type { DashboardPanel, DashboardRow } from './types';

const TYPE = 'MerlaiDashboard';

/**
 * The label kube-prometheus-stack's Grafana sidecar discovers dashboard ConfigMaps by
 * (`grafana.sidecar.dashboards.label` / `labelValue` of the chart's values).
 */
export const GRAFANA_DASHBOARD_LABELS: Readonly<Record<string, string>> = { grafana_dashboard: '1' };

/** Everything a team may override on `MerlaiDashboard`. */
export interface MerlaiDashboardOptions {
  /**
   * Labels of the dashboard ConfigMap, by which Grafana's sidecar finds it.
   * @default GRAFANA_DASHBOARD_LABELS - `grafana_dashboard: "1"`, kube-prometheus-stack's default
   */
  readonly discoveryLabels?: { readonly [key: string]: string } | undefined;
  /**
   * Namespace of the dashboard ConfigMap. kube-prometheus-stack's sidecar searches Grafana's own
   * namespace unless `grafana.sidecar.dashboards.searchNamespace` says otherwise (e.g. `ALL`).
   * @default - the chart's namespace
   */
  readonly namespace?: string | undefined;
  /**
   * Grafana folder the sidecar puts the dashboard in (the `grafana_folder` annotation, read when
   * the sidecar's `folderAnnotation` is `grafana_folder`).
   * @default - no annotation: the sidecar's default folder
   */
  readonly folder?: string | undefined;
}

/** Props of `MerlaiDashboard`. */
export interface MerlaiDashboardProps extends MerlaiDashboardOptions {
  /** The API whose pods and autoscaler the workload panels show. */
  readonly api: MerlaiApi;
  /** The rules whose SLO definitions the SLI, budget and burn-rate panels reuse. */
  readonly observability: MerlaiObservability;
  /** The datastores: PostgreSQL and Redis panels when they run in the cluster with their exporters. */
  readonly datastores?: MerlaiDatastores | undefined;
}

/**
 * A Grafana dashboard for one monitored level, built from the same SLO definitions as the
 * PrometheusRules (`MerlaiObservability._definitions`): SLIs against their objectives, error budget
 * left over 30 days, burn rate per alert window, request rate and latency percentiles at
 * ingress-nginx, the API's pods, autoscaler, CPU, memory, restarts and OOM kills, volumes, and
 * PostgreSQL (CloudNativePG exporter) and Redis (redis_exporter) when they run in the cluster.
 * Shipped as ConfigMap `<instance>-dashboard` labelled for kube-prometheus-stack's Grafana sidecar;
 * `json` is the same document (the app writes it to `dist/<level>.dashboard.json`).
 */
export class MerlaiDashboard extends Construct {
  /** The dashboard's Grafana JSON model. */
  public readonly json: Record<string, unknown>;
  /** Every panel with its queries, in dashboard order. */
  public readonly panels: DashboardPanel[];
  /** Grafana uid of the dashboard. */
  public readonly uid: string;
  public readonly configMap: k8s.KubeConfigMap;
  /** Key of the dashboard file in the ConfigMap. */
  public readonly fileName: string;

  constructor(scope: Construct, id: string, props: MerlaiDashboardProps) {
    super(scope, id);
    const api = props.api;
    const profile = api.profile;
    const defs = props.observability._definitions;
    const discovery = { ...(props.discoveryLabels ?? GRAFANA_DASHBOARD_LABELS) };
    if (Object.keys(discovery).length === 0) {
      invalidProp(
        this,
        TYPE,
        'discoveryLabels',
        discovery,
        "expected at least one label for Grafana's sidecar to find the ConfigMap by, e.g. { grafana_dashboard: '1' }",
      );
    }
    for (const [key, value] of Object.entries(discovery)) {
      if (!isLabelKey(key)) {
        invalidProp(
          this,
          TYPE,
          'discoveryLabels',
          key,
          'expected a Kubernetes label key such as grafana_dashboard',
        );
      }
      if (!isLabelValue(value)) {
        invalidProp(
          this,
          TYPE,
          `discoveryLabels.${key}`,
          value,
          "expected a Kubernetes label value such as '1' (63 characters at most, alphanumeric at both ends)",
        );
      }
    }
    if (props.namespace !== undefined) requireDnsLabel(this, TYPE, 'namespace', props.namespace);
    if (props.folder !== undefined && !/^[^/\n]{1,100}$/.test(props.folder)) {
      invalidProp(
        this,
        TYPE,
        'folder',
        props.folder,
        'expected a folder name of 1 to 100 characters without / or a newline',
      );
    }

    const instance = api.selectorLabels['app.kubernetes.io/instance'] ?? 'merlai';
    const namespace = defs.namespace;
    // The datastores that run in the cluster with their exporters (a PodMonitor each) get panels.
    const postgres = monitoredDatastore(props.datastores, 'postgres');
    const redis = monitoredDatastore(props.datastores, 'redis');
    const workload: ApiWorkload = {
      namespace,
      name: api.name,
      minReadyPods: profile.minReadyApiPods,
      autoscaler: autoscaler(api),
      workloads: [api.name, ...(postgres ? [postgres.name] : []), ...(redis ? [redis.name] : [])],
    };
    const rows: DashboardRow[] = [sloRow(defs), trafficRow(defs), workloadRow(workload)];
    if (postgres) {
      rows.push(
        postgresRow(
          { namespace, name: postgres.name },
          { cronJobName: defs.backupCronJobName, maxAgeSeconds: defs.backupMaxAgeSeconds },
        ),
      );
    }
    if (redis) rows.push(redisRow({ namespace, name: redis.name }));
    this.panels = rows.flatMap((r) => r.panels.map((p) => ({ row: r.title, ...p })));

    this.uid = `${instance}-${profile.chartId}`.slice(0, 40);
    this.json = grafanaModel(
      {
        uid: this.uid,
        title: `Merlai API: Level ${profile.number} (${profile.environment}, ${percent(profile.availabilityTarget)})`,
        environment: profile.environment,
        runbookBaseUrl: defs.runbookBaseUrl,
      },
      rows,
    );
    this.fileName = `${instance}-${profile.chartId}.json`;

    const name = `${instance}-dashboard`;
    this.configMap = new k8s.KubeConfigMap(this, 'config-map', {
      metadata: {
        name,
        ...(props.namespace !== undefined ? { namespace: props.namespace } : {}),
        labels: { ...selectorLabels(name, 'monitoring', instance), ...discovery },
        ...(props.folder !== undefined ? { annotations: { grafana_folder: props.folder } } : {}),
      },
      data: { [this.fileName]: dashboardText(this.json) },
    });
  }
}

/** The dashboard as the file Grafana and `dist/` get: two-space JSON with a final newline. */
export function dashboardText(json: Record<string, unknown>): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** A datastore of `datastores` when it runs in the cluster with its exporter's PodMonitor. */
function monitoredDatastore(
  stores: MerlaiDatastores | undefined,
  which: 'postgres' | 'redis',
): { readonly name: string } | undefined {
  const store = stores?.[which];
  return store?.podMonitor ? store : undefined;
}

/** The API's HorizontalPodAutoscaler, as synthesized; undefined without autoscaling. */
function autoscaler(api: MerlaiApi): ApiWorkload['autoscaler'] {
  if (!api.autoscaling) return undefined;
  const hpa = api.node
    .findAll()
    .find((c): c is ApiObject => ApiObject.isApiObject(c) && c.kind === 'HorizontalPodAutoscaler');
  if (!hpa)
    throw new Error(`${api.node.path}: autoscaling is set but the API has no HorizontalPodAutoscaler`);
  return { name: hpa.name, maxReplicas: api.autoscaling.maxReplicas };
}
