import { type ApiObject, Duration, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  requireDnsSubdomain as checkDnsSubdomain,
  quantity as q,
  requirePositiveQuantity,
  resolveResources,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from './container-support';
import { invalidProp, requireDnsLabel, requireInteger } from './errors';
import { isPinned, parseImage } from './image';
import { selectorLabels } from './labels';
import {
  type AutoscalingProfile,
  type AvailabilityLevel,
  type LevelProfile,
  levelProfile,
  type PlacementProfile,
  type ProbeTimings,
} from './levels';
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
import { parseQuantity } from './quantity';
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
  readonly tlsSecretName?: string;
  /**
   * The IngressClass.
   * @default 'nginx'
   */
  readonly className?: string;
}

/** Overrides of a probe's timings; unset fields keep the level table's value. */
export interface ProbeOverrides {
  /** @default - the level table */
  readonly initialDelaySeconds?: number;
  /** @default - the level table */
  readonly periodSeconds?: number;
  /** @default - the level table */
  readonly timeoutSeconds?: number;
  /** @default - the level table */
  readonly failureThreshold?: number;
}

/** Overrides of the container's requests and limits (Kubernetes quantities). */
export interface ApiResourceOverrides {
  /** @default - the level table (Level 3: '250m') */
  readonly cpuRequest?: string;
  /** @default - the level table (Level 3: '512Mi') */
  readonly memoryRequest?: string;
  /** @default - the level table (Level 3: '500m') */
  readonly cpuLimit?: string;
  /** @default - the level table (Level 3: '1Gi') */
  readonly memoryLimit?: string;
}

/** Overrides of the autoscaler. */
export interface ApiAutoscalingOverrides {
  /** @default - the level table (Level 3: 3) */
  readonly minReplicas?: number;
  /** @default - the level table (Level 3: 10) */
  readonly maxReplicas?: number;
  /** @default - the level table (Level 3: 70) */
  readonly cpuUtilizationPercent?: number;
}

/** Everything a team may override on `MerlaiApi`; the level table supplies the rest. */
export interface MerlaiApiOptions {
  /**
   * Name of the Deployment, Service and every object of the API; also the `app` label.
   * @default 'merlai-api'
   */
  readonly name?: string;
  /**
   * Value of `app.kubernetes.io/instance`, to tell apart two Merlai installations in one namespace.
   * @default 'merlai'
   */
  readonly instance?: string;
  /**
   * Container image. Levels 2 and 3 require a pinned reference: an explicit tag other than
   * `latest` (or another floating tag), or a digest.
   * @default - Level 1: 'merlai:latest' as in the guide; Levels 2 and 3: `DEFAULT_PINNED_IMAGE`
   */
  readonly image?: string;
  /**
   * Fixed number of API pods. Exclusive with autoscaling: at Level 3 the autoscaler owns the count.
   * @default - the level table (Level 1: 1, Level 2: 2, Level 3: none, the HPA decides)
   */
  readonly replicas?: number;
  /**
   * Autoscaler bounds. Setting them at Level 1 or 2 adds an autoscaler there too.
   * @default - the level table (Level 3: min 3, max 10, CPU 70 %; others: no autoscaler)
   */
  readonly autoscaling?: ApiAutoscalingOverrides;
  /** @default - the level table */
  readonly resources?: ApiResourceOverrides;
  /** @default - the level table: `/health`, 30 s delay, 10 s period (Level 3: 5 s timeout, 3 failures) */
  readonly liveness?: ProbeOverrides;
  /** @default - the level table: `/ready`, 5 s delay, 5 s period (Level 3: 3 s timeout, 3 failures) */
  readonly readiness?: ProbeOverrides;
  /**
   * Longest time a pod may take to load its models before it is restarted. The startup probe
   * polls `/health` every 10 s for this long; liveness and readiness start only after it passes.
   * @default Duration.minutes(5)
   */
  readonly modelLoadTimeout?: Duration;
  /** @default ApiServiceType.CLUSTER_IP */
  readonly serviceType?: ApiServiceType;
  /** @default - no Ingress */
  readonly ingress?: ApiIngressOptions;
  /**
   * StorageClass of the `/app/data` and `/app/models` claims (Levels 2 and 3).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /** @default '10Gi' */
  readonly dataStorageSize?: string;
  /** @default '20Gi' */
  readonly modelsStorageSize?: string;
  /**
   * Extra environment variables; `ENVIRONMENT` and `XDG_CACHE_HOME` are set by the construct, and
   * `HOME` stays the image's (`/home/merlai`, where Python finds the app's `--user` install).
   * @default - none
   */
  readonly env?: { readonly [name: string]: EnvValue };
  /**
   * Name of the ServiceAccount the pods run as (created by this construct, without an API token).
   * @default - the API's name
   */
  readonly serviceAccountName?: string;
  /**
   * How new versions replace old ones: `DeploymentStrategy.rollingUpdate()`, `.blueGreen()` or
   * `.canary()` (the last two need Argo Rollouts in the cluster). Whatever the strategy, a rollout
   * keeps the level's ready pods (`minReadyApiPods` of the level table).
   * @default DeploymentStrategy.rollingUpdate() with the level table's maxUnavailable and maxSurge
   */
  readonly strategy?: DeploymentStrategy;
  /**
   * PriorityClass of the API's pods, so the scheduler preempts less important pods for them
   * rather than leave them pending. The class must exist in the cluster.
   * @default - none: the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * The pause before SIGTERM that lets ingress-nginx stop routing to a terminating pod.
   * @default - the level table: Levels 2 and 3 `PreStopPause.pythonSleep()` for 10 s; Level 1 none
   */
  readonly preStopPause?: PreStopPause;
  /**
   * `terminationGracePeriodSeconds`: the pre-stop pause plus the time in-flight requests get.
   * @default - the level table: Levels 2 and 3 60 s; Level 1 Kubernetes' 30 s
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Whether the API runs Merlai's AI model: `ModelMode.LIGHTWEIGHT` (no model, the guide's
   * resources) or `ModelMode.MODEL` (model on the models volume, filled by a fetch Job; more
   * memory; Levels 2 and 3). See `lib/model.ts` and README "Model and memory".
   * @default - { mode: ModelMode.LIGHTWEIGHT } at every level
   */
  readonly model?: ApiModelOptions;
}

/** Props of `MerlaiApi`. */
export interface MerlaiApiProps extends MerlaiApiOptions {
  /** The availability level whose row of the level table applies. */
  readonly level: AvailabilityLevel;
}

/** An extra volume mounted into the API container. */
export interface ApiVolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly volume: Omit<k8s.Volume, 'name'>;
  /** @default true */
  readonly readOnly?: boolean;
}

/**
 * Variables the construct owns. `HOME` is never set: the image's `/home/merlai` must stay, since
 * Merlai is installed with `pip install --user` and Python finds it under `$HOME/.local`.
 */
const RESERVED_ENV = ['ENVIRONMENT', 'HOME', 'XDG_CACHE_HOME'];
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

  constructor(scope: Construct, id: string, props: MerlaiApiProps) {
    super(scope, id);
    const profile = levelProfile(props.level);
    this.profile = profile;
    this.name = requireDnsLabel(this, TYPE, 'name', props.name ?? 'merlai-api');
    const instance = requireDnsLabel(this, TYPE, 'instance', props.instance ?? 'merlai');
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

    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: this.serviceAccountName, labels: this.selectorLabels },
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
          metadata: { labels: this.selectorLabels },
          spec: {
            serviceAccountName: this.serviceAccountName,
            automountServiceAccountToken: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: shutdown.terminationGracePeriodSeconds,
            ...(profile.placement ? this.placement(profile.placement) : {}),
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
      metadata: { name: this.name, labels: this.selectorLabels },
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
  public setCommand(command: string[]): void {
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
    if (pause.type === PreStopPauseType.COMMAND && (pause.command ?? []).length === 0) {
      invalidProp(this, TYPE, 'preStopPause', [], 'expected a command such as ["sleep", "10"]');
    }
    const commands: Partial<Record<PreStopPauseType, string[]>> = {
      [PreStopPauseType.PYTHON]: ['python3', '-c', `import time; time.sleep(${pauseSeconds})`],
      [PreStopPauseType.COMMAND]: pause.command,
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
   * blue-green preview pod would need a node of its own.
   */
  private placement(p: PlacementProfile): Pick<k8s.PodSpec, 'topologySpreadConstraints' | 'affinity'> {
    const labelSelector = { matchLabels: this.selectorLabels };
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
                labelSelector,
                matchLabelKeys,
              },
            ]),
        {
          topologyKey: 'kubernetes.io/hostname',
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
              podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector },
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
          accessModes: [profile.number >= 3 ? ACCESS_MODE_SHARED : ACCESS_MODE_SINGLE_NODE],
          storageClassName: props.storageClassName,
          resources: { requests: { storage: q(size) } },
        },
      });
      return { name, mountPath, readOnly: false, volume: { persistentVolumeClaim: { claimName } } };
    });
    if (props.storageClassName !== undefined)
      requireDnsSubdomain(this, 'storageClassName', props.storageClassName);
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
      metadata: { name: this.name, labels: this.selectorLabels },
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

function requireDnsSubdomain(scope: Construct, prop: string, value: string): void {
  checkDnsSubdomain(scope, TYPE, prop, value);
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
