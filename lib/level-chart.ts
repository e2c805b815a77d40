import { ApiObject, Chart, Duration, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { MerlaiApi, type MerlaiApiOptions } from './api';
import { MerlaiDatastores, type MerlaiDatastoresOptions } from './datastores';
import { requireDnsLabel } from './errors';
import { chartLabels } from './labels';
import { AvailabilityLevel, type LevelProfile, levelProfile } from './levels';
import { MerlaiLogging, type MerlaiLoggingOptions } from './logging';
import { MerlaiObservability, type MerlaiObservabilityOptions } from './observability';
import { BACKUP_NAME } from './postgres-backup';
import { DEFAULT_KUBERNETES_API_SERVER, MerlaiSecurity, type MerlaiSecurityOptions } from './security';

/** The Kubernetes minor whose Pod Security "restricted" rules are enforced (pinned, not `latest`). */
export const POD_SECURITY_VERSION = 'v1.28';

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
  readonly namespace?: string;
  /**
   * Overrides of the API (image, replicas, resources, probes, storage, ingress, …).
   * @default - the level table
   */
  readonly api?: MerlaiApiOptions;
  /**
   * Overrides of the logging ConfigMap (`merlai-logging`) and how the API finds it.
   * @default - the guide's `log-config.yaml`, named by `LOG_CONFIG`
   */
  readonly logging?: MerlaiLoggingOptions;
  /**
   * Overrides of the Prometheus rules (latency threshold, metrics path, selector labels, …);
   * used at levels whose profile has `monitoring`.
   * @default - the level table; backup alerts for CronJob `merlai-postgres-backup`
   */
  readonly observability?: MerlaiObservabilityOptions;
  /**
   * Cluster facts of the network policies (ingress and monitoring namespaces, DNS, NodeLocal
   * DNSCache, API server). Level 3 requires `kubernetesApiServer`: the address range of
   * `kubectl get endpoints kubernetes -n default`.
   * @default - ingress-nginx, cluster DNS in kube-system and NodeLocal DNSCache at 169.254.20.10,
   *   `monitoring` where the level is monitored, `DEFAULT_KUBERNETES_API_SERVER` at Levels 1 and 2
   */
  readonly security?: MerlaiSecurityOptions;
  /**
   * Overrides of PostgreSQL, Redis and the backups (instances, storage, external servers, …).
   * @default - the level table
   */
  readonly datastores?: MerlaiDatastoresOptions;
}

/** A chart holding one availability level of Merlai: its namespace and every construct of that level. */
export class MerlaiLevelChart extends Chart {
  public readonly profile: LevelProfile;
  public readonly namespaceName: string;
  public readonly api: MerlaiApi;
  public readonly logging: MerlaiLogging;
  /** The Prometheus rules; undefined at a level without monitoring. */
  public readonly observability?: MerlaiObservability;
  public readonly security: MerlaiSecurity;
  public readonly datastores: MerlaiDatastores;

  constructor(scope: Construct, id: string, level: AvailabilityLevel, props: MerlaiLevelChartProps = {}) {
    const profile = levelProfile(level);
    const namespace = props.namespace ?? 'merlai';
    super(scope, id, {
      namespace,
      labels: chartLabels(profile.number, profile.environment),
      disableResourceNameHashes: true,
    });
    requireDnsLabel(this, 'MerlaiLevelChart', 'namespace', namespace);
    this.profile = profile;
    this.namespaceName = namespace;

    const ns = new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: namespace, labels: podSecurityLabels(POD_SECURITY_VERSION) },
    });
    // A Namespace is cluster-scoped: drop the namespace the chart gives every object.
    ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));

    this.api = new MerlaiApi(this, 'merlai-api', { ...props.api, level });
    this.logging = new MerlaiLogging(this, 'logging', { ...props.logging, api: this.api });
    this.datastores = new MerlaiDatastores(this, 'datastores', {
      instance: props.api?.instance,
      ...props.datastores,
      level,
      api: this.api,
    });
    if (profile.monitoring) {
      this.observability = new MerlaiObservability(this, 'observability', {
        backupCronJobName: BACKUP_NAME,
        backupMaxAge: Duration.hours(profile.datastores.backupMaxAgeHours),
        ...props.observability,
        api: this.api,
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
  }
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
      api: { ingress: { host: 'merlai-staging.example.com' }, ...props.api },
    });
  }
}

/** Level 3, production (99.9 %): autoscaled API (3–10 pods), distributed storage, TLS Ingress. */
export class Level3ProductionChart extends MerlaiLevelChart {
  constructor(scope: Construct, id: string, props: MerlaiLevelChartProps = {}) {
    super(scope, id, AvailabilityLevel.PRODUCTION, {
      ...props,
      api: { ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' }, ...props.api },
    });
  }
}
