import { type ApiObject, Duration, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  quantity as q,
  resolveResources,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../core/containers';
import { invalidProp } from '../core/errors';
import { isPinned, parseImage } from '../core/image';
import { selectorLabels } from '../core/labels';
import {
  type AutoscalingProfile,
  type AvailabilityLevel,
  type LevelProfile,
  levelProfile,
  type ProbeTimings,
} from '../core/levels';
import { guardUniqueNames } from '../core/unique-names';
import {
  requireDnsSubdomain as checkDnsSubdomain,
  parseQuantity,
  requireDnsLabel,
  requireInteger,
  requirePositiveQuantity,
} from '../core/validation';
import {
  type ApiModelOptions,
  createModelFetch,
  MODELS_MOUNT,
  ModelMode,
  modelEnv,
  modelReadinessCommand,
  type ResolvedModel,
  resolveModel,
} from './model';
import type * as rolloutModule from './rollout';
import { PreStopPause, PreStopPauseType } from './shutdown';
import { DeploymentStrategy, type RollingUpdateOptions } from './strategy';

const TYPE = 'MerlaiApi';

/** The image Levels 2 and 3 run unless told otherwise: an explicit release tag, never `latest`. */
export const DEFAULT_PINNED_IMAGE = 'merlai:1.0.0';
/** The image of the guide's Level 1 (a locally built `merlai:latest`). */
export const DEVELOPMENT_IMAGE = 'merlai:latest';
/** The port Merlai's FastAPI server listens on. */
export const API_CONTAINER_PORT = 8000;

/** Where the value of an environment variable comes from. */
export class EnvValue {
  /** A literal value. Never use it for credentials: use `fromSecretKey`. */
  public static fromValue(value: string): EnvValue {
    return new EnvValue({ value });
  }

  /** A key of an existing Secret (`secretKeyRef`): the value never appears in the YAML. */
  public static fromSecretKey(secretName: string, key: string): EnvValue {
    return new EnvValue({ valueFrom: { secretKeyRef: { name: secretName, key } } });
  }

  /** A key of a ConfigMap (`configMapKeyRef`). */
  public static fromConfigMapKey(configMapName: string, key: string): EnvValue {
    return new EnvValue({ valueFrom: { configMapKeyRef: { name: configMapName, key } } });
  }

  private constructor(private readonly source: Omit<k8s.EnvVar, 'name'>) {}

  /** The Kubernetes `EnvVar` for this value under `name`. */
  public toEnvVar(name: string): k8s.EnvVar {
    return { name, ...this.source };
  }
}

/** How the API Service is exposed. */
export enum ApiServiceType {
  /** Reachable inside the cluster; traffic enters through the Ingress. */
  CLUSTER_IP = 'ClusterIP',
  /** A cloud load balancer in front of the Service (the guide's Level 2 "Load Balancer"). */
  LOAD_BALANCER = 'LoadBalancer',
}

/** Settings of the optional Ingress. */
export interface ApiIngressOptions {
  /** The host name the Ingress routes to the API, e.g. `merlai.example.com`. */
  readonly host: string;
  /**
   * Secret holding the TLS certificate for `host` (for example one cert-manager issues).
   * @default - no TLS section: plain HTTP
   */
  readonly tlsSecretName?: string | undefined;
  /**
   * The IngressClass.
   * @default 'nginx'
   */
  readonly className?: string | undefined;
  /**
   * Annotations of the Ingress (cert-manager issuer, ingress-nginx settings, …).
   * @default - none
   */
  readonly annotations?: { readonly [key: string]: string } | undefined;
}

/** Overrides of a probe's timings; unset fields keep the level table's value. */
export interface ProbeOverrides {
  /** @default - the level table */
  readonly initialDelaySeconds?: number | undefined;
  /** @default - the level table */
  readonly periodSeconds?: number | undefined;
  /** @default - the level table */
  readonly timeoutSeconds?: number | undefined;
  /** @default - the level table */
  readonly failureThreshold?: number | undefined;
}

/** Overrides of the container's requests and limits (Kubernetes quantities). */
export interface ApiResourceOverrides {
  /** @default - the level table (Level 3: '250m') */
  readonly cpuRequest?: string | undefined;
  /** @default - the level table (Level 3: '512Mi') */
  readonly memoryRequest?: string | undefined;
  /** @default - the level table (Level 3: '500m') */
  readonly cpuLimit?: string | undefined;
  /** @default - the level table (Level 3: '1Gi') */
  readonly memoryLimit?: string | undefined;
}

/** Overrides of the autoscaler. */
export interface ApiAutoscalingOverrides {
  /** @default - the level table (Level 3: 3) */
  readonly minReplicas?: number | undefined;
  /** @default - the level table (Level 3: 10) */
  readonly maxReplicas?: number | undefined;
  /** @default - the level table (Level 3: 70) */
  readonly cpuUtilizationPercent?: number | undefined;
}

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
  /** @default - no Ingress */
  readonly ingress?: ApiIngressOptions | undefined;
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

/** Where an extra volume's data comes from: one of the fields (a `k8s.Volume` without its name). */
export interface ApiVolumeSource {
  /** @default - not this kind */
  readonly emptyDir?: k8s.EmptyDirVolumeSource | undefined;
  /** @default - not this kind */
  readonly configMap?: k8s.ConfigMapVolumeSource | undefined;
  /** @default - not this kind */
  readonly secret?: k8s.SecretVolumeSource | undefined;
  /** @default - not this kind */
  readonly persistentVolumeClaim?: k8s.PersistentVolumeClaimVolumeSource | undefined;
  /** @default - not this kind */
  readonly projected?: k8s.ProjectedVolumeSource | undefined;
  /** @default - not this kind */
  readonly csi?: k8s.CsiVolumeSource | undefined;
  /** @default - not this kind */
  readonly ephemeral?: k8s.EphemeralVolumeSource | undefined;
  /** @default - not this kind */
  readonly downwardApi?: k8s.DownwardApiVolumeSource | undefined;
}

/** An extra volume mounted into the API container. */
export interface ApiVolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly volume: ApiVolumeSource;
  /** @default true */
  readonly readOnly?: boolean | undefined;
}

/**
 * Variables the construct owns. `HOME` is never set: the image's `/home/merlai` must stay, since
 * Merlai is installed with `pip install --user` and Python finds it under `$HOME/.local`.
 */
const RESERVED_ENV = ['ENVIRONMENT', 'HOME', 'XDG_CACHE_HOME'];
/** What `MerlaiDatastores` and `MerlaiLogging` give the API; without them it cannot serve. */
const WIRED_ENV = ['DATABASE_URL', 'REDIS_URL', 'LOG_CONFIG'];
const CACHE_DIR = '/var/cache/merlai';
const STARTUP_PERIOD_SECONDS = 10;
/** The user the Merlai image is built with (the guide's `runAsUser: 1000`, `fsGroup: 1000`). */
const API_UID = 1000;
/** Node disk the scheduler reserves for a pod: logs and the scratch it usually uses. */
const EPHEMERAL_STORAGE_REQUEST = '1Gi';
/** Room for container logs on top of the emptyDirs, within the ephemeral-storage limit. */
const LOG_ALLOWANCE_BYTES = 2 ** 30;
const ACCESS_MODE_SHARED = 'ReadWriteMany';
const ACCESS_MODE_SINGLE_NODE = 'ReadWriteOnce';
const KUBERNETES_DEFAULT_GRACE_SECONDS = 30;

/**
 * The Merlai API: Deployment `merlai-api`, its Service, ServiceAccount, storage, and per level an
 * autoscaler, a disruption budget and an Ingress; with a blue-green or canary `strategy`, an Argo
 * Rollouts `Rollout` (and its preview or canary Service and analysis) from `lib/rollout.ts`.
 */
export class MerlaiApi extends Construct {
  public readonly name: string;
  public readonly profile: LevelProfile;
  public readonly image: string;
  /** Labels that select the API's pods (the NetworkPolicy's `app: merlai-api` among them). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** The fixed replica count, or undefined when an autoscaler owns it. */
  public readonly replicas?: number;
  /** The autoscaler's bounds, or undefined without one. */
  public readonly autoscaling?: AutoscalingProfile;
  /**
   * The Deployment: it holds the pod template under every strategy. With blue-green or canary an
   * Argo Rollouts `Rollout` (`rollout`) takes the template from it and owns the pods.
   */
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  /** The deployment strategy in force. */
  public readonly strategy: DeploymentStrategy;
  /** The Argo Rollouts `Rollout` of a blue-green or canary strategy; undefined for a rolling update. */
  public readonly rollout?: ApiObject;
  /** The canary's `AnalysisTemplate`; undefined for other strategies. */
  public readonly analysisTemplate?: ApiObject;
  /** The workload that owns the pods and that the autoscaler scales: the Deployment or the Rollout. */
  public readonly workloadRef: k8s.CrossVersionObjectReferenceV2;
  public readonly serviceAccountName: string;
  /** The model mode in force and what it changes. */
  public readonly model: ResolvedModel;
  private readonly env = new Map<string, EnvValue>();
  private readonly extraMounts: ApiVolumeMount[] = [];
  private command?: string[];
  private warned = false;

  constructor(scope: Construct, id: string, props: MerlaiApiProps) {
    super(scope, id);
    const profile = levelProfile(props.level);
    this.profile = profile;
    const instance = requireDnsLabel(this, TYPE, 'instance', props.instance ?? 'merlai');
    this.name = requireDnsLabel(
      this,
      TYPE,
      'name',
      props.name ?? (instance === 'merlai' ? 'merlai-api' : `${instance}-api`),
    );
    guardUniqueNames(
      this,
      TYPE,
      "give each MerlaiApi in one namespace its own 'instance' (which names its objects '<instance>-api') or 'name'",
    );
    this.node.addValidation({ validate: () => this.warnUnwired() });
    this.serviceAccountName = requireDnsLabel(
      this,
      TYPE,
      'serviceAccountName',
      props.serviceAccountName ?? this.name,
    );
    this.image = this.validateImage(props.image, profile);
    this.selectorLabels = selectorLabels(this.name, 'api', instance);

    this.autoscaling = this.resolveAutoscaling(props, profile);
    this.replicas = this.autoscaling
      ? undefined
      : requireInteger(this, TYPE, 'replicas', props.replicas ?? profile.replicas ?? 1, 1);
    if (this.autoscaling && props.replicas !== undefined) {
      invalidProp(
        this,
        TYPE,
        'replicas',
        props.replicas,
        `an autoscaler (min ${this.autoscaling.minReplicas}, max ${this.autoscaling.maxReplicas}) owns the replica count at ${profile.environment}: set 'autoscaling.minReplicas' instead`,
      );
    }
    this.checkDisruptionBudget(profile);
    this.strategy = props.strategy ?? DeploymentStrategy.rollingUpdate();
    const rolling = this.resolveRollingUpdate(this.strategy.rollingUpdateOptions, profile);
    const shutdown = this.resolveShutdown(props, profile);
    if (props.priorityClassName !== undefined)
      requireDnsSubdomain(this, 'priorityClassName', props.priorityClassName);

    this.model = resolveModel(this, TYPE, props.model);
    if (this.model.mode === ModelMode.MODEL && !profile.persistentStorage) {
      invalidProp(
        this,
        TYPE,
        'model.mode',
        this.model.mode,
        `Level ${profile.number} keeps ${MODELS_MOUNT} in an emptyDir, which the fetch Job cannot fill: use ModelMode.LIGHTWEIGHT, or Level 2 or 3`,
      );
    }
    const resources = resolveResources(
      this,
      TYPE,
      'resources',
      { ...this.model.resourceDefaults, ...stripUndefined(props.resources ?? {}) },
      profile.resources,
    );
    for (const [name, value] of modelEnv(this.model, resources)) this.addEnv(name, EnvValue.fromValue(value));
    const liveness = this.resolveProbe('liveness', props.liveness, profile.liveness);
    const readiness = this.resolveProbe('readiness', props.readiness, profile.readiness);
    const modelLoadSeconds = (props.modelLoadTimeout ?? Duration.minutes(5)).toSeconds();
    if (!Number.isFinite(modelLoadSeconds) || modelLoadSeconds < STARTUP_PERIOD_SECONDS) {
      invalidProp(
        this,
        TYPE,
        'modelLoadTimeout',
        `${modelLoadSeconds}s`,
        `expected at least ${STARTUP_PERIOD_SECONDS} seconds (one startup probe period)`,
      );
    }
    for (const [name, value] of Object.entries(props.env ?? {})) this.addEnv(name, value);

    const podLabels = this.extraPodLabels(props.podLabels);
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: {
        name: this.serviceAccountName,
        labels: this.selectorLabels,
        annotations: annotations(props.serviceAccountAnnotations),
      },
      automountServiceAccountToken: false,
    });

    const volumes = this.storageVolumes(props, profile);
    const argo = this.strategy.usesArgoRollouts;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: this.name, labels: this.selectorLabels },
      spec: {
        // Under Argo Rollouts the Rollout scales this Deployment down as its own pods become
        // available: a fixed count here would bring the old pods back on every apply.
        replicas: argo ? undefined : this.replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selectorLabels },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxUnavailable: k8s.IntOrString.fromNumber(rolling.maxUnavailable),
            maxSurge: k8s.IntOrString.fromNumber(rolling.maxSurge),
          },
        },
        template: {
          metadata: {
            labels: { ...podLabels, ...this.selectorLabels },
            annotations: annotations(props.podAnnotations),
          },
          spec: {
            serviceAccountName: this.serviceAccountName,
            imagePullSecrets: props.imagePullSecrets?.map((name) => ({
              name: requireDnsSubdomain(this, 'imagePullSecrets', name),
            })),
            nodeSelector: annotations(props.nodeSelector),
            tolerations: props.tolerations,
            automountServiceAccountToken: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: shutdown.terminationGracePeriodSeconds,
            ...mergeAffinity(this.placement(profile), props.affinity),
            securityContext: {
              ...restrictedPodSecurityContext(API_UID),
              fsGroupChangePolicy: 'OnRootMismatch',
            },
            containers: [
              {
                name: this.name,
                image: this.image,
                // IfNotPresent at every level: Level 1 runs a locally built `merlai:latest` that no
                // registry holds (Always would fail to pull it); Levels 2 and 3 are pinned.
                imagePullPolicy: 'IfNotPresent',
                command: Lazy.any({ produce: () => this.command }),
                ports: [{ name: 'http', containerPort: API_CONTAINER_PORT, protocol: 'TCP' }],
                env: Lazy.any({ produce: () => this.renderEnv() }),
                resources: resourceRequirements(resources, {
                  request: EPHEMERAL_STORAGE_REQUEST,
                  limit: ephemeralStorageLimit(volumes),
                }),
                startupProbe: {
                  httpGet: { path: '/health', port: k8s.IntOrString.fromString('http') },
                  periodSeconds: STARTUP_PERIOD_SECONDS,
                  timeoutSeconds: liveness.timeoutSeconds,
                  failureThreshold: Math.ceil(modelLoadSeconds / STARTUP_PERIOD_SECONDS),
                },
                livenessProbe: {
                  httpGet: { path: '/health', port: k8s.IntOrString.fromString('http') },
                  ...liveness,
                },
                readinessProbe:
                  this.model.mode === ModelMode.MODEL
                    ? {
                        exec: {
                          command: modelReadinessCommand(API_CONTAINER_PORT, readiness.timeoutSeconds),
                        },
                        ...readiness,
                      }
                    : {
                        httpGet: { path: '/ready', port: k8s.IntOrString.fromString('http') },
                        ...readiness,
                      },
                securityContext: restrictedContainerSecurityContext(API_UID),
                volumeMounts: Lazy.any({ produce: () => this.renderMounts(volumes) }),
                lifecycle: shutdown.preStopCommand
                  ? { preStop: { exec: { command: shutdown.preStopCommand } } }
                  : undefined,
              },
            ],
            volumes: Lazy.any({ produce: () => this.renderVolumes(volumes) }),
          },
        },
      },
    });

    const servicePorts: k8s.ServicePort[] = [
      { name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' },
    ];
    this.service = new k8s.KubeService(this, 'service', {
      metadata: {
        name: this.name,
        labels: this.selectorLabels,
        annotations: annotations(props.serviceAnnotations),
      },
      spec: {
        type: props.serviceType ?? ApiServiceType.CLUSTER_IP,
        selector: this.selectorLabels,
        ports: servicePorts,
      },
    });

    this.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name };
    if (argo) {
      // Required here, not imported above: the Argo Rollouts bindings load only when used.
      const { ApiRollout, ARGO_ROLLOUTS_API_VERSION } = require('./rollout') as typeof rolloutModule;
      const r = new ApiRollout(this, 'rollout', {
        strategy: this.strategy,
        name: this.name,
        selectorLabels: this.selectorLabels,
        deploymentName: this.name,
        replicas: this.replicas,
        minPods: this.autoscaling?.minReplicas ?? this.replicas ?? 1,
        serviceName: this.name,
        servicePorts,
        ingressName: props.ingress ? this.name : undefined,
        profile,
      });
      this.rollout = r.rollout;
      this.analysisTemplate = r.analysisTemplate;
      this.workloadRef = { apiVersion: ARGO_ROLLOUTS_API_VERSION, kind: 'Rollout', name: this.name };
    }

    if (this.model.mode === ModelMode.MODEL) {
      createModelFetch(this, {
        apiName: this.name,
        image: this.image,
        uid: API_UID,
        labels: this.selectorLabels,
        apiSelector: this.selectorLabels,
        modelsClaim: `${this.name}-models`,
        sameNodeAsApi: profile.number < 3,
        model: this.model,
      });
    }
    if (this.autoscaling) this.createAutoscaler(this.autoscaling);
    if (profile.pdbMinAvailable !== undefined) this.createDisruptionBudget(profile.pdbMinAvailable);
    if (props.ingress) this.createIngress(props.ingress);
  }

  /** Adds an environment variable to the API container. */
  public addEnv(name: string, value: EnvValue): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED_ENV.includes(name)) {
      invalidProp(
        this,
        TYPE,
        `env.${name}`,
        name,
        `expected a C identifier other than ${RESERVED_ENV.join(', ')} (owned by the construct; HOME stays the image's /home/merlai, where Python finds the app's --user install)`,
      );
    }
    if (this.env.has(name)) {
      invalidProp(this, TYPE, `env.${name}`, name, 'the variable is already set; set each variable once');
    }
    this.env.set(name, value);
  }

  /**
   * Replaces the image's command (`merlai serve …`), e.g. with a launcher that applies a logging
   * configuration. Set once.
   */
  public overrideCommand(command: string[]): void {
    if (this.command) {
      invalidProp(
        this,
        TYPE,
        'command',
        command,
        `the command is already set to ${JSON.stringify(this.command)}`,
      );
    }
    if (command.length === 0 || command.some((c) => c === '')) {
      invalidProp(this, TYPE, 'command', command, 'expected a non-empty list of non-empty strings');
    }
    this.command = [...command];
  }

  /** Mounts an extra volume (a ConfigMap, a Secret, …) into the API container. */
  public addVolumeMount(mount: ApiVolumeMount): void {
    requireDnsLabel(this, TYPE, 'volume name', mount.name);
    this.extraMounts.push(mount);
  }

  /**
   * A synth-time warning (not an error: a team may wire the API by hand later) when the API has
   * no way to reach its datastores or its logging configuration.
   */
  private warnUnwired(): string[] {
    // MerlaiLogging mounts its ConfigMap and may name the variable otherwise (`envVar`).
    const missing = WIRED_ENV.filter(
      (name) => !this.env.has(name) && !(name === 'LOG_CONFIG' && this.extraMounts.length > 0),
    );
    if (missing.length > 0 && !this.warned) {
      this.warned = true;
      console.warn(
        `[${this.node.path}] ${TYPE}: 'env' has no ${missing.join(', ')}: the API cannot reach PostgreSQL and Redis or load its logging configuration. ` +
          "Wire it with new MerlaiDatastores(scope, 'datastores', { level, api }) and new MerlaiLogging(scope, 'logging', { api }) (a level chart does both), " +
          'or set the variables with api.addEnv(name, EnvValue.fromSecretKey(secret, key)).',
      );
    }
    return [];
  }

  /** Extra pod-template labels; the selector's keys stay the construct's. */
  private extraPodLabels(labels: { readonly [key: string]: string } | undefined): Record<string, string> {
    for (const key of Object.keys(labels ?? {})) {
      if (key in this.selectorLabels) {
        invalidProp(
          this,
          TYPE,
          `podLabels.${key}`,
          labels?.[key],
          `expected a key other than the selector's (${Object.keys(this.selectorLabels).join(', ')}): the selector is immutable and set by the construct`,
        );
      }
    }
    return { ...labels };
  }

  private renderEnv(): k8s.EnvVar[] {
    const env = [
      { name: 'ENVIRONMENT', value: this.profile.environment },
      { name: 'XDG_CACHE_HOME', value: CACHE_DIR },
    ];
    const extra = [...this.env.entries()].sort(([a], [b]) => a.localeCompare(b));
    return [...env, ...extra.map(([name, value]) => value.toEnvVar(name))];
  }

  private renderMounts(storage: ApiVolumeMount[]): k8s.VolumeMount[] {
    return [...storage, ...this.extraMounts].map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      readOnly: m.readOnly ?? true,
    }));
  }

  private renderVolumes(storage: ApiVolumeMount[]): k8s.Volume[] {
    return [...storage, ...this.extraMounts].map((m) => ({ name: m.name, ...m.volume }));
  }

  private validateImage(image: string | undefined, profile: LevelProfile): string {
    const value = image ?? (profile.requirePinnedImage ? DEFAULT_PINNED_IMAGE : DEVELOPMENT_IMAGE);
    const ref = parseImage(value);
    if (!ref) {
      invalidProp(
        this,
        TYPE,
        'image',
        value,
        "expected an image reference such as 'registry.example.com/merlai:1.4.2' or 'merlai@sha256:<64 hex digits>'",
      );
    }
    if (profile.requirePinnedImage && !isPinned(ref)) {
      invalidProp(
        this,
        TYPE,
        'image',
        value,
        `Level ${profile.number} (${profile.environment}) needs a pinned image: an explicit release tag (not 'latest') or a digest, e.g. '${ref.repository}:1.4.2' or '${ref.repository}@sha256:…'`,
      );
    }
    return value;
  }

  private resolveAutoscaling(props: MerlaiApiProps, profile: LevelProfile): AutoscalingProfile | undefined {
    const base = profile.autoscaling;
    const o = props.autoscaling;
    if (!base && !o) return undefined;
    const minReplicas = requireInteger(
      this,
      TYPE,
      'autoscaling.minReplicas',
      o?.minReplicas ?? base?.minReplicas ?? 1,
      1,
    );
    const maxReplicas = requireInteger(
      this,
      TYPE,
      'autoscaling.maxReplicas',
      o?.maxReplicas ?? base?.maxReplicas ?? Math.max(minReplicas, 3),
      1,
    );
    const cpu = requireInteger(
      this,
      TYPE,
      'autoscaling.cpuUtilizationPercent',
      o?.cpuUtilizationPercent ?? base?.cpuUtilizationPercent ?? 70,
      1,
      100,
    );
    if (minReplicas > maxReplicas) {
      invalidProp(
        this,
        TYPE,
        'autoscaling.minReplicas',
        minReplicas,
        `expected at most 'autoscaling.maxReplicas' (${maxReplicas})`,
      );
    }
    return { minReplicas, maxReplicas, cpuUtilizationPercent: cpu };
  }

  /** A budget that no eviction can satisfy would block every node drain. */
  private checkDisruptionBudget(profile: LevelProfile): void {
    const min = profile.pdbMinAvailable;
    if (min === undefined) return;
    const floor = this.autoscaling?.minReplicas ?? this.replicas ?? 0;
    if (floor <= min) {
      const prop = this.autoscaling ? 'autoscaling.minReplicas' : 'replicas';
      invalidProp(
        this,
        TYPE,
        prop,
        floor,
        `Level ${profile.number} keeps at least ${min} pods available during disruptions, so it needs at least ${min + 1} pods or no node could ever be drained`,
      );
    }
  }

  /** The rolling update's bounds; refuses bounds that would take the level below its ready pods. */
  private resolveRollingUpdate(
    o: RollingUpdateOptions | undefined,
    profile: LevelProfile,
  ): { maxUnavailable: number; maxSurge: number } {
    const maxUnavailable = requireInteger(
      this,
      TYPE,
      'strategy.maxUnavailable',
      o?.maxUnavailable ?? profile.maxUnavailable,
      0,
    );
    const maxSurge = requireInteger(this, TYPE, 'strategy.maxSurge', o?.maxSurge ?? profile.maxSurge, 0);
    if (maxUnavailable === 0 && maxSurge === 0) {
      invalidProp(
        this,
        TYPE,
        'strategy.maxSurge',
        0,
        "'strategy.maxSurge' and 'strategy.maxUnavailable' cannot both be 0: the rollout could never replace a pod",
      );
    }
    const pods = this.autoscaling?.minReplicas ?? this.replicas ?? 1;
    if (pods - maxUnavailable < profile.minReadyApiPods) {
      invalidProp(
        this,
        TYPE,
        'strategy.maxUnavailable',
        maxUnavailable,
        `Level ${profile.number} keeps at least ${profile.minReadyApiPods} API pods ready during a rollout; with ${pods} pods, expected at most ${pods - profile.minReadyApiPods}`,
      );
    }
    return { maxUnavailable, maxSurge };
  }

  /** The pre-stop pause and grace period: the pause must leave the app time to shut down. */
  private resolveShutdown(
    props: MerlaiApiProps,
    profile: LevelProfile,
  ): { terminationGracePeriodSeconds?: number; preStopCommand?: string[] } {
    const table = profile.shutdown;
    const pause = props.preStopPause ?? (table ? PreStopPause.pythonSleep() : PreStopPause.none());
    if (pause.type !== PreStopPauseType.NONE && pause.duration === undefined && !table) {
      invalidProp(
        this,
        TYPE,
        'preStopPause',
        pause.type,
        `Level ${profile.number} has no default pause (no Ingress in front of it): give a duration, e.g. PreStopPause.pythonSleep(Duration.seconds(10))`,
      );
    }
    const pauseSeconds = seconds(pause.duration) ?? table?.preStopPauseSeconds ?? 0;
    if (!Number.isInteger(pauseSeconds) || pauseSeconds < 0) {
      invalidProp(
        this,
        TYPE,
        'preStopPause',
        `${pauseSeconds}s`,
        'expected a whole number of seconds, at least 0',
      );
    }
    const grace = seconds(props.terminationGracePeriod) ?? table?.terminationGracePeriodSeconds;
    const effectiveGrace = grace ?? KUBERNETES_DEFAULT_GRACE_SECONDS;
    if (!Number.isInteger(effectiveGrace) || effectiveGrace <= pauseSeconds) {
      invalidProp(
        this,
        TYPE,
        'terminationGracePeriod',
        `${effectiveGrace}s`,
        `expected whole seconds, more than the pre-stop pause (${pauseSeconds}s): Kubernetes kills the pod when the grace period ends, pause included, so the app would get no time to finish its requests`,
      );
    }
    if (pause.type === PreStopPauseType.COMMAND && (pause.execCommand ?? []).length === 0) {
      invalidProp(this, TYPE, 'preStopPause', [], 'expected a command such as ["sleep", "10"]');
    }
    const commands: Partial<Record<PreStopPauseType, string[]>> = {
      [PreStopPauseType.PYTHON]: ['python3', '-c', `import time; time.sleep(${pauseSeconds})`],
      [PreStopPauseType.COMMAND]: pause.execCommand,
    };
    return {
      terminationGracePeriodSeconds: grace,
      preStopCommand: pauseSeconds > 0 ? commands[pause.type] : undefined,
    };
  }

  /**
   * Spreads each revision's pods evenly over zones and nodes (`matchLabelKeys` keeps a rollout's
   * new pods from piling up where the old ones leave room), and prefers nodes without an API pod.
   * The anti-affinity is preferred, not required: required, every rollout's surge pod and every
   * blue-green preview pod would need a node of its own. Pods that share ReadWriteOnce claims
   * (Level 2) are instead kept on one node by a required pod affinity: elsewhere they could not
   * mount the claims (Multi-Attach) and the rollout would hang.
   */
  private placement(profile: LevelProfile): Pick<k8s.PodSpec, 'topologySpreadConstraints' | 'affinity'> {
    const labelSelector = { matchLabels: this.selectorLabels };
    const hostname = 'kubernetes.io/hostname';
    if (profile.persistentStorage && profile.claimAccessMode === ACCESS_MODE_SINGLE_NODE) {
      // The first pod matches no pod yet: the scheduler then places it anywhere (a pod matching its
      // own affinity term), and every later pod joins it.
      return {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: hostname, labelSelector }],
          },
        },
      };
    }
    const p = profile.placement;
    if (!p) return {};
    // Deployments label pods with `pod-template-hash`, Argo Rollouts with `rollouts-pod-template-hash`;
    // the scheduler ignores a key the pod does not have.
    const matchLabelKeys = ['pod-template-hash', 'rollouts-pod-template-hash'];
    return {
      topologySpreadConstraints: [
        ...(p.zoneMaxSkew === undefined
          ? []
          : [
              {
                topologyKey: 'topology.kubernetes.io/zone',
                maxSkew: p.zoneMaxSkew,
                whenUnsatisfiable: p.zoneWhenUnsatisfiable ?? 'ScheduleAnyway',
                nodeTaintsPolicy: p.zoneNodeTaintsPolicy,
                labelSelector,
                matchLabelKeys,
              },
            ]),
        {
          topologyKey: hostname,
          maxSkew: p.hostnameMaxSkew,
          whenUnsatisfiable: p.hostnameWhenUnsatisfiable,
          labelSelector,
          matchLabelKeys,
        },
      ],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: p.hostnameAntiAffinityWeight,
              podAffinityTerm: { topologyKey: hostname, labelSelector },
            },
          ],
        },
      },
    };
  }

  private resolveProbe(prop: string, o: ProbeOverrides | undefined, base: ProbeTimings): ProbeTimings {
    const merged: ProbeTimings = { ...base, ...stripUndefined(o ?? {}) };
    requireInteger(this, TYPE, `${prop}.initialDelaySeconds`, merged.initialDelaySeconds, 0);
    requireInteger(this, TYPE, `${prop}.periodSeconds`, merged.periodSeconds, 1);
    requireInteger(this, TYPE, `${prop}.timeoutSeconds`, merged.timeoutSeconds, 1);
    requireInteger(this, TYPE, `${prop}.failureThreshold`, merged.failureThreshold, 1);
    if (merged.timeoutSeconds >= merged.periodSeconds) {
      invalidProp(
        this,
        TYPE,
        `${prop}.timeoutSeconds`,
        merged.timeoutSeconds,
        `expected less than '${prop}.periodSeconds' (${merged.periodSeconds}) so probes do not overlap`,
      );
    }
    return merged;
  }

  private storageVolumes(props: MerlaiApiProps, profile: LevelProfile): ApiVolumeMount[] {
    const scratch: ApiVolumeMount[] = [
      { name: 'tmp', mountPath: '/tmp', readOnly: false, volume: { emptyDir: { sizeLimit: q('1Gi') } } },
      { name: 'cache', mountPath: CACHE_DIR, readOnly: false, volume: { emptyDir: { sizeLimit: q('2Gi') } } },
    ];
    const claims = [
      {
        name: 'data',
        mountPath: '/app/data',
        size: props.dataStorageSize ?? '10Gi',
        prop: 'dataStorageSize',
      },
      {
        name: 'models',
        mountPath: '/app/models',
        size: props.modelsStorageSize ?? '20Gi',
        prop: 'modelsStorageSize',
      },
    ];
    const accessMode = profile.claimAccessMode ?? ACCESS_MODE_SINGLE_NODE;
    if (props.storageClassName !== undefined)
      requireDnsSubdomain(this, 'storageClassName', props.storageClassName);
    if (
      profile.persistentStorage &&
      accessMode === ACCESS_MODE_SHARED &&
      props.storageClassName === undefined
    ) {
      invalidProp(
        this,
        TYPE,
        'storageClassName',
        undefined,
        `Level ${profile.number}'s API pods on several nodes share the ${accessMode} claims of /app/data and /app/models, and the default StorageClass of EKS, GKE and AKS is ReadWriteOnce only: name a ReadWriteMany class, e.g. 'efs-sc' (EKS, EFS CSI), 'azurefile-csi' (AKS), 'standard-rwx' (GKE Filestore), 'cephfs' (Rook) or an NFS provisioner's class ('kubectl get storageclass')`,
      );
    }
    const durable = claims.map(({ name, mountPath, size, prop }): ApiVolumeMount => {
      requirePositiveQuantity(this, TYPE, prop, size);
      if (!profile.persistentStorage) {
        return { name, mountPath, readOnly: false, volume: { emptyDir: { sizeLimit: q(size) } } };
      }
      const claimName = `${this.name}-${name}`;
      new k8s.KubePersistentVolumeClaim(this, `${name}-claim`, {
        metadata: { name: claimName, labels: this.selectorLabels },
        spec: {
          // Several API pods share the claims: one node at Level 2, many nodes at Level 3.
          accessModes: [accessMode],
          storageClassName: props.storageClassName,
          resources: { requests: { storage: q(size) } },
        },
      });
      return { name, mountPath, readOnly: false, volume: { persistentVolumeClaim: { claimName } } };
    });
    return [...scratch, ...durable];
  }

  private createAutoscaler(a: AutoscalingProfile): void {
    new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
      metadata: { name: `${this.name}-hpa`, labels: this.selectorLabels },
      spec: {
        scaleTargetRef: this.workloadRef,
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: a.cpuUtilizationPercent },
            },
          },
        ],
      },
    });
  }

  private createDisruptionBudget(minAvailable: number): void {
    new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: { name: this.name, labels: this.selectorLabels },
      spec: {
        minAvailable: k8s.IntOrString.fromNumber(minAvailable),
        selector: { matchLabels: this.selectorLabels },
        // A crash-looping pod must not block node drains.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }

  private createIngress(o: ApiIngressOptions): void {
    requireDnsSubdomain(this, 'ingress.host', o.host);
    if (o.tlsSecretName !== undefined) requireDnsSubdomain(this, 'ingress.tlsSecretName', o.tlsSecretName);
    const className = o.className ?? 'nginx';
    requireDnsSubdomain(this, 'ingress.className', className);
    new k8s.KubeIngress(this, 'ingress', {
      metadata: { name: this.name, labels: this.selectorLabels, annotations: annotations(o.annotations) },
      spec: {
        ingressClassName: className,
        tls: o.tlsSecretName ? [{ hosts: [o.host], secretName: o.tlsSecretName }] : undefined,
        rules: [
          {
            host: o.host,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: this.name, port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    });
  }
}

function requireDnsSubdomain(scope: Construct, prop: string, value: string): string {
  checkDnsSubdomain(scope, TYPE, prop, value);
  return value;
}

/** A copy of a string map, or undefined when empty (so the YAML shows no empty `annotations: {}`). */
function annotations(
  map: { readonly [key: string]: string } | undefined,
): Record<string, string> | undefined {
  return map && Object.keys(map).length > 0 ? { ...map } : undefined;
}

/** The level's placement plus a team's extra affinity: anti-affinity terms add up, the rest is the team's. */
function mergeAffinity(
  level: Pick<k8s.PodSpec, 'topologySpreadConstraints' | 'affinity'>,
  extra: k8s.Affinity | undefined,
): Pick<k8s.PodSpec, 'topologySpreadConstraints' | 'affinity'> {
  if (!extra) return level;
  const own = level.affinity?.podAntiAffinity;
  const more = extra.podAntiAffinity;
  const podAntiAffinity =
    own || more
      ? {
          requiredDuringSchedulingIgnoredDuringExecution: concat(
            own?.requiredDuringSchedulingIgnoredDuringExecution,
            more?.requiredDuringSchedulingIgnoredDuringExecution,
          ),
          preferredDuringSchedulingIgnoredDuringExecution: concat(
            own?.preferredDuringSchedulingIgnoredDuringExecution,
            more?.preferredDuringSchedulingIgnoredDuringExecution,
          ),
        }
      : undefined;
  return { ...level, affinity: { ...extra, podAntiAffinity } };
}

function concat<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  return all.length > 0 ? all : undefined;
}

/**
 * The pod's node-disk ceiling: every emptyDir at its `sizeLimit` plus room for logs, so the kubelet
 * evicts a runaway pod before the node fills, but never one that stays within its volumes.
 */
function ephemeralStorageLimit(volumes: ApiVolumeMount[]): string {
  const emptyDirBytes = volumes
    .map((v) => v.volume.emptyDir?.sizeLimit?.value)
    .filter((size): size is string => typeof size === 'string')
    .reduce((sum, size) => sum + (parseQuantity(size) ?? 0), 0);
  return `${Math.ceil((emptyDirBytes + LOG_ALLOWANCE_BYTES) / 2 ** 20)}Mi`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Seconds of a duration, fractions kept (cdk8s' `toSeconds()` throws on them) so validation can name them. */
function seconds(d: Duration | undefined): number | undefined {
  return d === undefined ? undefined : d.toMilliseconds() / 1000;
}
