// The props of `MerlaiApi`: everything a team may override; the level table supplies the rest. No objects.
import type { Duration } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';
import type { AvailabilityLevel } from '../core/levels';
import type { ApiAutoscalingOverrides } from './autoscaling';
import type { EnvValue } from './env';
import type { ApiIngressOptions, ApiServiceType } from './ingress';
import type { ApiModelOptions } from './model';
import type { ProbeOverrides } from './probes';
import type { ApiResourceOverrides } from './resources';
import type { ApiRouteOptions } from './route';
import type { PreStopPause } from './shutdown';
import type { DeploymentStrategy } from './strategy';

/** Everything a team may override on `MerlaiApi`; the level table supplies the rest. */
export interface MerlaiApiOptions {
  /**
   * Name of the Deployment, Service and every object of the API; also the `app` label.
   * @default - 'merlai-api'; with another `instance`, '<instance>-api'
   */
  readonly name?: string | undefined;
  /**
   * Value of `app.kubernetes.io/instance`, to tell apart two Merlai installations in one namespace
   * (it also names the objects unless `name` is given).
   * @default 'merlai'
   */
  readonly instance?: string | undefined;
  /**
   * Container image. Levels 2 and 3 require a pinned reference: an explicit tag other than
   * `latest` (or another floating tag), or a digest.
   * @default - Level 1: 'merlai:latest' as in the guide; Levels 2 and 3: `DEFAULT_PINNED_IMAGE`
   */
  readonly image?: string | undefined;
  /**
   * Fixed number of API pods. Exclusive with autoscaling: at Level 3 the autoscaler owns the count.
   * @default - the level table (Level 1: 1, Level 2: 2, Level 3: none, the HPA decides)
   */
  readonly replicas?: number | undefined;
  /**
   * Autoscaler bounds. Setting them at Level 1 or 2 adds an autoscaler there too.
   * @default - the level table (Level 3: min 3, max 10, CPU 70 %; others: no autoscaler)
   */
  readonly autoscaling?: ApiAutoscalingOverrides | undefined;
  /** @default - the level table */
  readonly resources?: ApiResourceOverrides | undefined;
  /** @default - the level table: `/health`, 30 s delay, 10 s period, 5 s timeout, 3 failures */
  readonly liveness?: ProbeOverrides | undefined;
  /** @default - the level table: `/ready`, 5 s delay, 5 s period, 3 s timeout, 3 failures */
  readonly readiness?: ProbeOverrides | undefined;
  /**
   * Longest time a pod may take to load its models before it is restarted. The startup probe
   * polls `/health` every 10 s for this long; liveness and readiness start only after it passes.
   * @default Duration.minutes(5)
   */
  readonly modelLoadTimeout?: Duration | undefined;
  /** @default ApiServiceType.CLUSTER_IP */
  readonly serviceType?: ApiServiceType | undefined;
  /**
   * The Ingress in front of the API. At Level 3 (production) it needs a host and `tlsSecretName`:
   * production serves HTTPS only.
   * @default - no Ingress
   */
  readonly ingress?: ApiIngressOptions | undefined;
  /**
   * A Gateway API HTTPRoute in front of the API instead of an Ingress (exclusive with `ingress`),
   * attached to a Gateway that exists elsewhere; TLS terminates at the Gateway. At Level 3 it needs
   * `hostnames`. At a level with monitoring, choose the SLIs' source (`observability.sliSource`,
   * e.g. `SliSource.traefik()`): ingress-nginx measures Ingresses only.
   * @default - no HTTPRoute
   */
  readonly route?: ApiRouteOptions | undefined;
  /**
   * StorageClass of the `/app/data` and `/app/models` claims (Levels 2 and 3). Required where the
   * claims are ReadWriteMany (Level 3): a class that provides it, e.g. `efs-sc` (EKS),
   * `azurefile-csi` (AKS), `standard-rwx` (GKE Filestore), `cephfs`, an NFS class.
   * @default - Level 2: the cluster's default StorageClass; Level 3: none, an error
   */
  readonly storageClassName?: string | undefined;
  /** @default '10Gi' */
  readonly dataStorageSize?: string | undefined;
  /** @default '20Gi' */
  readonly modelsStorageSize?: string | undefined;
  /**
   * Extra environment variables; `ENVIRONMENT` and `XDG_CACHE_HOME` are set by the construct, and
   * `HOME` stays the image's (`/home/merlai`, where Python finds the app's `--user` install).
   * @default - none
   */
  readonly env?: { readonly [name: string]: EnvValue } | undefined;
  /**
   * Name of the ServiceAccount the pods run as (created by this construct, without an API token).
   * @default - the API's name
   */
  readonly serviceAccountName?: string | undefined;
  /**
   * How new versions replace old ones: `DeploymentStrategy.rollingUpdate()`, `.blueGreen()` or
   * `.canary()` (the last two need Argo Rollouts in the cluster). Whatever the strategy, a rollout
   * keeps the level's ready pods (`minReadyApiPods` of the level table).
   * @default DeploymentStrategy.rollingUpdate() with the level table's maxUnavailable and maxSurge
   */
  readonly strategy?: DeploymentStrategy | undefined;
  /**
   * PriorityClass of the API's pods, so the scheduler preempts less important pods for them
   * rather than leave them pending. The class must exist in the cluster.
   * @default - none: the cluster's default priority
   */
  readonly priorityClassName?: string | undefined;
  /**
   * The pause before SIGTERM that lets ingress-nginx stop routing to a terminating pod.
   * @default - the level table: Levels 2 and 3 `PreStopPause.pythonSleep()` for 10 s; Level 1 none
   */
  readonly preStopPause?: PreStopPause | undefined;
  /**
   * `terminationGracePeriodSeconds`: the pre-stop pause plus the time in-flight requests get.
   * @default - the level table: Levels 2 and 3 60 s; Level 1 Kubernetes' 30 s
   */
  readonly terminationGracePeriod?: Duration | undefined;
  /**
   * Whether the API runs Merlai's AI model: `ModelMode.LIGHTWEIGHT` (no model, the guide's
   * resources) or `ModelMode.MODEL` (model on the models volume, filled by a fetch Job; more
   * memory; Levels 2 and 3). See `lib/model.ts` and README "Model and memory".
   * @default - { mode: ModelMode.LIGHTWEIGHT } at every level
   */
  readonly model?: ApiModelOptions | undefined;
  /**
   * Annotations of the API pods (the pod template), e.g. for a service mesh or a log shipper.
   * @default - none
   */
  readonly podAnnotations?: { readonly [key: string]: string } | undefined;
  /**
   * Extra labels of the API pods (the pod template only: the selector never changes). A key of the
   * selector labels (`app`, `app.kubernetes.io/*`) is refused.
   * @default - none
   */
  readonly podLabels?: { readonly [key: string]: string } | undefined;
  /**
   * Annotations of the API Service (e.g. a cloud load balancer's settings).
   * @default - none
   */
  readonly serviceAnnotations?: { readonly [key: string]: string } | undefined;
  /**
   * Annotations of the ServiceAccount (e.g. a cloud workload identity).
   * @default - none
   */
  readonly serviceAccountAnnotations?: { readonly [key: string]: string } | undefined;
  /**
   * Secrets (`kubernetes.io/dockerconfigjson`, in the chart's namespace) to pull the image with.
   * @default - none: the node's or the ServiceAccount's credentials
   */
  readonly imagePullSecrets?: string[] | undefined;
  /**
   * Node labels the API pods must run on (`nodeSelector`).
   * @default - any node
   */
  readonly nodeSelector?: { readonly [key: string]: string } | undefined;
  /**
   * Tolerations of the API pods (e.g. for a tainted GPU or dedicated node pool).
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[] | undefined;
  /**
   * Extra affinity of the API pods: its `nodeAffinity` and `podAffinity` are used as given, its
   * `podAntiAffinity` terms are added to the level's own (Level 3 prefers one pod per node).
   * @default - the level's anti-affinity only
   */
  readonly affinity?: k8s.Affinity | undefined;
}

/** Props of `MerlaiApi`. */
export interface MerlaiApiProps extends MerlaiApiOptions {
  /** The availability level whose row of the level table applies. */
  readonly level: AvailabilityLevel;
}
