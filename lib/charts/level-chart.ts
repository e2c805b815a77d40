// The level charts: one Chart per availability level with its Namespace and every construct of the level
// (API, datastores, security, logging, observability, dashboard). Objects: Namespace `<namespace>`.
import { ApiObject, Chart, Duration, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { MerlaiAdmissionPolicies } from '../admission/policies';
import { MerlaiApi } from '../api/api';
import { requireProductionEntry } from '../api/ingress';
import type { MerlaiApiOptions } from '../api/props';
import { requireProductionRoute } from '../api/route';
import { invalidProp } from '../core/errors';
import { chartLabels } from '../core/labels';
import { AvailabilityLevel, type LevelProfile, levelProfile } from '../core/levels';
import { requireDnsLabel, requireDnsSubdomain, requireLabelMap } from '../core/validation';
import { MerlaiDashboard, type MerlaiDashboardOptions } from '../dashboard';
import { MerlaiDatastores, type MerlaiDatastoresOptions } from '../datastores/datastores';
import { BACKUP_NAME } from '../datastores/postgres/constants';
import { MerlaiLogging, type MerlaiLoggingOptions } from '../logging/logging';
import { MerlaiObservability, type MerlaiObservabilityOptions } from '../observability/observability';
import {
  DEFAULT_KUBERNETES_API_SERVER,
  MerlaiSecurity,
  type MerlaiSecurityOptions,
} from '../security/security';
import { applyChartWide } from './chart-wide';
import { requireImageDigests } from './image-digests';

/**
 * The Kubernetes minor whose Pod Security "restricted" rules are enforced: pinned (not `latest`, so
 * a cluster upgrade never tightens the rules unannounced) to the newest release the charts are
 * proven on (the conformance step's v1.37.2). An older API server applies its own newest rules.
 */
export const POD_SECURITY_VERSION = 'v1.37';

/** Pod Security Admission labels: enforce, audit and warn the "restricted" standard. */
export function podSecurityLabels(version: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = 'restricted';
    labels[`pod-security.kubernetes.io/${mode}-version`] = version;
  }
  return labels;
}

/** Props shared by the three level charts. */
export interface MerlaiLevelChartProps {
  /**
   * Namespace of every object, created by the chart.
   * @default 'merlai'
   */
  readonly namespace?: string | undefined;
  /**
   * Whether the chart creates the Namespace object (with the Pod Security labels). Turn it off
   * when the platform creates namespaces; it must then enforce Pod Security "restricted" itself.
   * @default true
   */
  readonly createNamespace?: boolean | undefined;
  /**
   * Extra labels on every object of the chart (team, cost centre, …), beside the chart's own
   * (`app.kubernetes.io/part-of`, `app.kubernetes.io/managed-by`, `merlai.io/level`,
   * `merlai.io/environment`), which they cannot replace. They also reach every pod: the pod
   * templates, CloudNativePG's `inheritedMetadata`, and the redis-operator's pods (which copy the
   * RedisReplication's labels).
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string } | undefined;
  /**
   * Annotations on every object of the chart (owner, on-call channel, policy exemptions, …).
   * @default - none
   */
  readonly annotations?: { readonly [key: string]: string } | undefined;
  /**
   * Secrets (`kubernetes.io/dockerconfigjson`, in the chart's namespace) every pod pulls its images
   * with: the API's, the backup CronJobs', and the operators' (CloudNativePG `Cluster`
   * `spec.imagePullSecrets`; RedisReplication `kubernetesConfig` and `sentinel`). Added to
   * `api.imagePullSecrets`.
   * @default - none: the nodes' own registry credentials
   */
  readonly imagePullSecrets?: string[] | undefined;
  /**
   * An existing PriorityClass for the API, PostgreSQL and Redis pods (`api.priorityClassName` and
   * `datastores.priorityClassName` override it per component). At a level whose table has a
   * priority (Level 3), the chart otherwise creates `scheduling.k8s.io/v1` PriorityClass
   * `merlai-<environment>` (cluster-scoped: every Level 3 installation shares it, same value).
   * @default - Level 3: 'merlai-production', created by the chart; Levels 1 and 2: none
   */
  readonly priorityClassName?: string | undefined;
  /**
   * Overrides of the API (image, replicas, resources, probes, storage, ingress, …).
   * @default - the level table
   */
  readonly api?: MerlaiApiOptions | undefined;
  /**
   * Overrides of the logging ConfigMap (`merlai-logging`) and how the API finds it.
   * @default - the guide's `log-config.yaml`, named by `LOG_CONFIG`
   */
  readonly logging?: MerlaiLoggingOptions | undefined;
  /**
   * Overrides of the Prometheus rules (latency threshold, metrics path, selector labels, …);
   * used at levels whose profile has `monitoring`.
   * @default - the level table; backup alerts for CronJob `merlai-postgres-backup`
   */
  readonly observability?: MerlaiObservabilityOptions | undefined;
  /**
   * Overrides of the Grafana dashboard ConfigMap (sidecar discovery labels, namespace, folder);
   * used at levels whose profile has `monitoring`.
   * @default - `grafana_dashboard: "1"` in the chart's namespace
   */
  readonly dashboard?: MerlaiDashboardOptions | undefined;
  /**
   * Cluster facts of the network policies (ingress and monitoring namespaces, DNS, NodeLocal
   * DNSCache, API server). Level 3 requires `kubernetesApiServer`: the address range of
   * `kubectl get endpoints kubernetes -n default`.
   * @default - ingress-nginx, cluster DNS in kube-system and NodeLocal DNSCache at 169.254.20.10,
   *   `monitoring` where the level is monitored, `DEFAULT_KUBERNETES_API_SERVER` at Levels 1 and 2
   */
  readonly security?: MerlaiSecurityOptions | undefined;
  /**
   * Overrides of PostgreSQL, Redis and the backups (instances, storage, external servers, …).
   * @default - the level table
   */
  readonly datastores?: MerlaiDatastoresOptions | undefined;
  /**
   * Emit the level's invariants as admission policies (`MerlaiAdmissionPolicies`:
   * ValidatingAdmissionPolicy v1, Kubernetes 1.30 or later): hand edits that lower the API's
   * replicas below the level's floor, delete or weaken its autoscaler or disruption budgets, relax
   * the namespace's Pod Security, or start a pod that is not "restricted" are refused.
   * @default false (the objects need Kubernetes 1.30; the library supports 1.28)
   */
  readonly admissionPolicies?: boolean | undefined;
  /**
   * Level 3 only: run images that are not pinned by digest. Every object running one carries the
   * annotation `merlai.io/unpinned-images` listing them, so the exception shows in the YAML.
   * @default false (Level 3 refuses every image without `@sha256:`, naming each and its prop)
   */
  readonly allowUnpinnedImages?: boolean | undefined;
}

/** A chart holding one availability level of Merlai: its namespace and every construct of that level. */
export class MerlaiLevelChart extends Chart {
  public readonly profile: LevelProfile;
  public readonly namespaceName: string;
  public readonly api: MerlaiApi;
  public readonly logging: MerlaiLogging;
  /** The Prometheus rules; undefined at a level without monitoring. */
  public readonly observability?: MerlaiObservability;
  /** The Grafana dashboard; undefined at a level without monitoring. */
  public readonly dashboard?: MerlaiDashboard;
  public readonly security: MerlaiSecurity;
  public readonly datastores: MerlaiDatastores;
  /** The admission policies; undefined unless `admissionPolicies` is set. */
  public readonly admissionPolicies?: MerlaiAdmissionPolicies;

  constructor(scope: Construct, id: string, level: AvailabilityLevel, props: MerlaiLevelChartProps = {}) {
    const profile = levelProfile(level);
    const namespace = props.namespace ?? 'merlai';
    const ownLabels = chartLabels(profile.number, profile.environment);
    super(scope, id, {
      namespace,
      labels: { ...props.labels, ...ownLabels },
      disableResourceNameHashes: true,
    });
    requireDnsLabel(this, 'MerlaiLevelChart', 'namespace', namespace);
    requireLabelMap(this, 'MerlaiLevelChart', 'labels', props.labels);
    for (const key of Object.keys(props.labels ?? {})) {
      if (key in ownLabels) {
        invalidProp(
          this,
          'MerlaiLevelChart',
          `labels.${key}`,
          props.labels?.[key],
          `expected a key other than the chart's own (${Object.keys(ownLabels).join(', ')})`,
        );
      }
    }
    // Production gets no placeholder host and no plain HTTP.
    if (level === AvailabilityLevel.PRODUCTION) {
      if (props.api?.route !== undefined && props.api.ingress === undefined)
        requireProductionRoute(this, new.target.name, 'api.route', props.api.route);
      else requireProductionEntry(this, new.target.name, 'api.ingress', props.api?.ingress);
    }
    this.profile = profile;
    this.namespaceName = namespace;

    if (props.createNamespace ?? true) {
      const ns = new k8s.KubeNamespace(this, 'namespace', {
        metadata: { name: namespace, labels: podSecurityLabels(POD_SECURITY_VERSION) },
      });
      // A Namespace is cluster-scoped: drop the namespace the chart gives every object.
      ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    const priorityClassName = levelPriorityClass(this, new.target.name, profile, props.priorityClassName);
    this.api = new MerlaiApi(this, 'merlai-api', { priorityClassName, ...props.api, level });
    this.logging = new MerlaiLogging(this, 'logging', { ...props.logging, api: this.api });
    this.datastores = new MerlaiDatastores(this, 'datastores', {
      instance: props.api?.instance,
      priorityClassName,
      ...props.datastores,
      level,
      api: this.api,
    });
    if (profile.monitoring) {
      this.observability = new MerlaiObservability(this, 'observability', {
        backupCronJobName: this.datastores.backup ? BACKUP_NAME : undefined,
        backupMaxAge: Duration.hours(profile.datastores.backupMaxAgeHours),
        // CloudNativePG archives WAL only with an object store (and only when it runs PostgreSQL).
        walArchiveMaxAge:
          this.datastores.objectStore && this.datastores.postgres.instances > 1
            ? Duration.minutes(profile.datastores.walArchiveMaxAgeMinutes)
            : undefined,
        ...props.observability,
        api: this.api,
        datastores: this.datastores,
      });
      this.dashboard = new MerlaiDashboard(this, 'dashboard', {
        ...props.dashboard,
        api: this.api,
        observability: this.observability,
        datastores: this.datastores,
      });
    }
    this.security = new MerlaiSecurity(this, 'security', {
      monitoringNamespace: profile.monitoring ? 'monitoring' : undefined,
      // Level 3 takes the API server's address from the user only (an error names the prop).
      kubernetesApiServer: profile.apiServerCidrRequired ? undefined : DEFAULT_KUBERNETES_API_SERVER,
      ...props.security,
      api: this.api,
      endpoints: this.datastores.endpoints,
    });
    requireImageDigests(this, new.target.name, profile, props.allowUnpinnedImages ?? false);
    if (props.admissionPolicies ?? false) {
      const objects = this.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
      this.admissionPolicies = new MerlaiAdmissionPolicies(this, 'admission-policies', {
        level,
        namespace,
        workloadName: this.api.name,
        autoscalerName: hpa?.name,
        disruptionBudgets: objects
          .filter((o) => o.kind === 'PodDisruptionBudget')
          .map((o) => ({ name: o.name, minAvailable: o.toJson().spec?.minAvailable }))
          .filter((b) => Number.isInteger(b.minAvailable)),
        requireImageDigests: this.api.image.includes('@sha256:'),
      });
    }
    applyChartWide(this, new.target.name, {
      annotations: props.annotations,
      labels: props.labels,
      imagePullSecrets: props.imagePullSecrets,
    });
  }
}

/**
 * The PriorityClass of the level's API and datastore pods: the one the props name (which must
 * exist), or at a level with a priority one the chart creates. Created rather than only named so
 * that Level 3 has it on a fresh cluster; a platform that manages its classes names its own.
 */
function levelPriorityClass(
  scope: Chart,
  type: string,
  profile: LevelProfile,
  name: string | undefined,
): string | undefined {
  if (name !== undefined) return requireDnsSubdomain(scope, type, 'priorityClassName', name);
  if (profile.priorityClassValue === undefined) return undefined;
  const created = `merlai-${profile.environment}`;
  const priorityClass = new k8s.KubePriorityClass(scope, 'priority-class', {
    metadata: { name: created },
    value: profile.priorityClassValue,
    globalDefault: false,
    preemptionPolicy: 'PreemptLowerPriority',
    description: `Merlai Level ${profile.number} (${profile.environment}): the API, PostgreSQL and Redis pods, before default-priority workloads.`,
  });
  // Cluster-scoped, like the Namespace.
  ApiObject.of(priorityClass).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return created;
}

/** Level 1, development and test (99 %): one API pod, local volumes, `merlai:latest` allowed. */
export class Level1DevChart extends MerlaiLevelChart {
  constructor(scope: Construct, id: string, props: MerlaiLevelChartProps = {}) {
    super(scope, id, AvailabilityLevel.DEVELOPMENT, props);
  }
}

/** Level 2, staging (99.5 %): two API pods, persistent volumes, a disruption budget, an Ingress. */
export class Level2StagingChart extends MerlaiLevelChart {
  constructor(scope: Construct, id: string, props: MerlaiLevelChartProps = {}) {
    super(scope, id, AvailabilityLevel.STAGING, {
      ...props,
      // The placeholder Ingress only when the API has no HTTPRoute instead.
      api:
        props.api?.route === undefined
          ? { ingress: { host: 'merlai-staging.example.com' }, ...props.api }
          : props.api,
    });
  }
}

/**
 * Level 3, production (99.9 %): autoscaled API (3–10 pods), distributed storage, TLS Ingress.
 * `api.ingress.host` and `api.ingress.tlsSecretName` are required: production gets no placeholder
 * host and no plain HTTP.
 */
export class Level3ProductionChart extends MerlaiLevelChart {
  constructor(scope: Construct, id: string, props: MerlaiLevelChartProps = {}) {
    super(scope, id, AvailabilityLevel.PRODUCTION, props);
  }
}
