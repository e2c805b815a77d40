// The Merlai API construct: Deployment, Service, ServiceAccount, and the parts its props switch on.
// Objects: Deployment, Service and ServiceAccount `<api>` (`merlai-api`); the claims (storage.ts),
// autoscaler and budget (autoscaling.ts), Ingress (ingress.ts), model fetch Job (model.ts), and an
// Argo Rollouts Rollout with its Services and analysis for blue-green and canary (rollout.ts).
import type { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalidProp } from '../core/errors';
import { isPinned, parseImage } from '../core/image';
import { selectorLabels } from '../core/labels';
import { type AutoscalingProfile, AvailabilityLevel, type LevelProfile, levelProfile } from '../core/levels';
import { annotations } from '../core/objects';
import { guardUniqueNames } from '../core/unique-names';
import {
  requireAnnotationMap,
  requireDnsLabel,
  requireDnsSubdomain,
  requireInteger,
  requireLabelMap,
} from '../core/validation';
import {
  checkDisruptionBudget,
  createAutoscaler,
  createDisruptionBudget,
  resolveAutoscaling,
} from './autoscaling';
import { API_TYPE, API_UID, CACHE_DIR, DEFAULT_PINNED_IMAGE, DEVELOPMENT_IMAGE } from './constants';
import { createApiDeployment } from './deployment';
import { EnvValue } from './env';
import { ApiServiceType, createIngress, requireProductionEntry } from './ingress';
import {
  createModelFetch,
  MODELS_MOUNT,
  ModelMode,
  modelEnv,
  type ResolvedModel,
  resolveModel,
} from './model';
import { apiPlacement, mergeAffinity } from './placement';
import { apiProbes, resolveModelLoadSeconds, resolveProbe } from './probes';
import type { MerlaiApiProps } from './props';
import { apiResourceRequirements, resolveApiResources } from './resources';
import type * as rolloutModule from './rollout';
import { createRoute, requireProductionRoute } from './route';
import { resolveShutdown } from './shutdown';
import { type ApiVolumeMount, apiStorageVolumes } from './storage';
import { DeploymentStrategy, resolveRollingUpdate } from './strategy';

/**
 * Variables the construct owns. `HOME` is never set: the image's `/home/merlai` must stay, since
 * Merlai is installed with `pip install --user` and Python finds it under `$HOME/.local`.
 */
const RESERVED_ENV = ['ENVIRONMENT', 'HOME', 'XDG_CACHE_HOME'];
/** What `MerlaiDatastores` and `MerlaiLogging` give the API (and the datastore each variable reaches). */
const WIRED_ENV = [
  { name: 'DATABASE_URL', store: 'PostgreSQL' },
  { name: 'REDIS_URL', store: 'Redis' },
  { name: 'LOG_CONFIG', store: undefined },
];

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
  /** The Ingress, when the `ingress` prop asks for one. */
  public readonly ingress?: k8s.KubeIngress;
  /** The Gateway API HTTPRoute, when the `route` prop asks for one. */
  public readonly route?: ApiObject;
  /** The workload that owns the pods and that the autoscaler scales: the Deployment or the Rollout. */
  public readonly workloadRef: k8s.CrossVersionObjectReferenceV2;
  public readonly serviceAccountName: string;
  /** The model mode in force and what it changes. */
  public readonly model: ResolvedModel;
  private readonly env = new Map<string, EnvValue>();
  private readonly extraMounts: ApiVolumeMount[] = [];
  private command?: string[];
  private warned = false;
  private redisExpected = true;

  constructor(scope: Construct, id: string, props: MerlaiApiProps) {
    super(scope, id);
    const profile = levelProfile(props.level);
    this.profile = profile;
    const instance = requireDnsLabel(this, API_TYPE, 'instance', props.instance ?? 'merlai');
    this.name = requireDnsLabel(
      this,
      API_TYPE,
      'name',
      props.name ?? (instance === 'merlai' ? 'merlai-api' : `${instance}-api`),
    );
    guardUniqueNames(
      this,
      API_TYPE,
      "give each MerlaiApi in one namespace its own 'instance' (which names its objects '<instance>-api') or 'name'",
    );
    this.node.addValidation({ validate: () => this.warnUnwired() });
    this.serviceAccountName = requireDnsLabel(
      this,
      API_TYPE,
      'serviceAccountName',
      props.serviceAccountName ?? this.name,
    );
    this.image = this.validateImage(props.image, profile);
    this.selectorLabels = selectorLabels(this.name, 'api', instance);
    requireLabelMap(this, API_TYPE, 'podLabels', props.podLabels);
    requireLabelMap(this, API_TYPE, 'nodeSelector', props.nodeSelector);
    requireAnnotationMap(this, API_TYPE, 'podAnnotations', props.podAnnotations);
    requireAnnotationMap(this, API_TYPE, 'serviceAnnotations', props.serviceAnnotations);
    requireAnnotationMap(this, API_TYPE, 'serviceAccountAnnotations', props.serviceAccountAnnotations);
    // Production serves HTTPS only, whoever builds the API (a level chart or a team's own chart).
    if (props.ingress !== undefined && props.route !== undefined) {
      invalidProp(
        this,
        API_TYPE,
        'route',
        props.route,
        "expected either 'ingress' or 'route', not both: choose the Ingress or the Gateway API HTTPRoute as the API's entry",
      );
    }
    if (props.level === AvailabilityLevel.PRODUCTION && props.ingress !== undefined) {
      requireProductionEntry(this, API_TYPE, 'ingress', props.ingress);
    }
    if (props.level === AvailabilityLevel.PRODUCTION && props.route !== undefined) {
      requireProductionRoute(this, API_TYPE, 'route', props.route);
    }

    this.autoscaling = resolveAutoscaling(this, props.autoscaling, profile.autoscaling);
    this.replicas = this.autoscaling
      ? undefined
      : requireInteger(this, API_TYPE, 'replicas', props.replicas ?? profile.replicas ?? 1, 1);
    if (this.autoscaling && props.replicas !== undefined) {
      invalidProp(
        this,
        API_TYPE,
        'replicas',
        props.replicas,
        `an autoscaler (min ${this.autoscaling.minReplicas}, max ${this.autoscaling.maxReplicas}) owns the replica count at ${profile.environment}: set 'autoscaling.minReplicas' instead`,
      );
    }
    checkDisruptionBudget(this, profile, { autoscaling: this.autoscaling, replicas: this.replicas });
    this.strategy = props.strategy ?? DeploymentStrategy.rollingUpdate();
    const minPods = this.autoscaling?.minReplicas ?? this.replicas ?? 1;
    const rolling = resolveRollingUpdate(this, this.strategy.rollingUpdateOptions, profile, minPods);
    const shutdown = resolveShutdown(this, props, profile);
    if (props.priorityClassName !== undefined)
      requireDnsSubdomain(this, API_TYPE, 'priorityClassName', props.priorityClassName);

    this.model = resolveModel(this, API_TYPE, props.model);
    if (this.model.mode === ModelMode.MODEL && !profile.persistentStorage) {
      invalidProp(
        this,
        API_TYPE,
        'model.mode',
        this.model.mode,
        `Level ${profile.number} keeps ${MODELS_MOUNT} in an emptyDir, which the fetch Job cannot fill: use ModelMode.LIGHTWEIGHT, or Level 2 or 3`,
      );
    }
    const resources = resolveApiResources(
      this,
      props.resources,
      this.model.resourceDefaults,
      profile.resources,
    );
    for (const [name, value] of modelEnv(this.model, resources)) this.addEnv(name, EnvValue.fromValue(value));
    const liveness = resolveProbe(this, 'liveness', props.liveness, profile.liveness);
    const readiness = resolveProbe(this, 'readiness', props.readiness, profile.readiness);
    const modelLoadSeconds = resolveModelLoadSeconds(this, props.modelLoadTimeout);
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

    // Model mode keeps the shared claims: its fetch Job fills the one models volume.
    const perPodStorage = (profile.perPodStorage ?? false) && this.model.mode !== ModelMode.MODEL;
    const volumes = apiStorageVolumes(this, {
      perPod: perPodStorage,
      name: this.name,
      labels: this.selectorLabels,
      profile,
      storageClassName: props.storageClassName,
      dataStorageSize: props.dataStorageSize,
      modelsStorageSize: props.modelsStorageSize,
    });
    const argo = this.strategy.usesArgoRollouts;
    this.deployment = createApiDeployment(this, {
      name: this.name,
      selectorLabels: this.selectorLabels,
      podLabels,
      podAnnotations: props.podAnnotations,
      serviceAccountName: this.serviceAccountName,
      image: this.image,
      // Under Argo Rollouts the Rollout scales this Deployment down as its own pods become
      // available: a fixed count here would bring the old pods back on every apply.
      replicas: argo ? undefined : this.replicas,
      rollingUpdate: rolling,
      terminationGracePeriodSeconds: shutdown.terminationGracePeriodSeconds,
      preStopCommand: shutdown.preStopCommand,
      placement: mergeAffinity(apiPlacement(profile, this.selectorLabels, perPodStorage), props.affinity),
      imagePullSecrets: props.imagePullSecrets,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      priorityClassName: props.priorityClassName,
      resources: apiResourceRequirements(resources, volumes),
      probes: apiProbes({ liveness, readiness, modelLoadSeconds, modelMode: this.model.mode }),
      command: () => this.command,
      env: () => this.renderEnv(),
      volumeMounts: () => this.renderMounts(volumes),
      volumes: () => this.renderVolumes(volumes),
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
        minPods,
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
    const own = { name: this.name, labels: this.selectorLabels };
    if (this.autoscaling) createAutoscaler(this, { ...own, target: this.workloadRef }, this.autoscaling);
    if (profile.pdbMinAvailable !== undefined) createDisruptionBudget(this, own, profile.pdbMinAvailable);
    if (props.ingress) this.ingress = createIngress(this, own, props.ingress);
    if (props.route) this.route = createRoute(this, own, props.route);
  }

  /** Adds an environment variable to the API container. */
  public addEnv(name: string, value: EnvValue): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED_ENV.includes(name)) {
      invalidProp(
        this,
        API_TYPE,
        `env.${name}`,
        name,
        `expected a C identifier other than ${RESERVED_ENV.join(', ')} (owned by the construct; HOME stays the image's /home/merlai, where Python finds the app's --user install)`,
      );
    }
    if (this.env.has(name)) {
      invalidProp(this, API_TYPE, `env.${name}`, name, 'the variable is already set; set each variable once');
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
        API_TYPE,
        'command',
        command,
        `the command is already set to ${JSON.stringify(this.command)}`,
      );
    }
    if (command.length === 0 || command.some((c) => c === '')) {
      invalidProp(this, API_TYPE, 'command', command, 'expected a non-empty list of non-empty strings');
    }
    this.command = [...command];
  }

  /** Mounts an extra volume (a ConfigMap, a Secret, …) into the API container. */
  public addVolumeMount(mount: ApiVolumeMount): void {
    requireDnsLabel(this, API_TYPE, 'volume name', mount.name);
    this.extraMounts.push(mount);
  }

  /**
   * Tells the API that its team runs no Redis (`MerlaiSecurity` without a Redis endpoint), so a
   * missing `REDIS_URL` is no reason to warn.
   * @internal
   */
  public _withoutRedis(): void {
    this.redisExpected = false;
  }

  /**
   * A synth-time warning (not an error: a team may wire the API by hand later) when the API has
   * no way to reach its datastores or its logging configuration; it names only what is missing.
   */
  private warnUnwired(): string[] {
    const missing = WIRED_ENV.filter((w) => {
      if (this.env.has(w.name)) return false;
      if (w.name === 'REDIS_URL' && !this.redisExpected) return false;
      // MerlaiLogging mounts its ConfigMap and may name the variable otherwise (`envVar`).
      return !(w.name === 'LOG_CONFIG' && this.extraMounts.length > 0);
    });
    if (missing.length > 0 && !this.warned) {
      this.warned = true;
      const stores = missing.filter((w) => w.store !== undefined).map((w) => w.store);
      const cannot = [
        ...(stores.length > 0 ? [`reach ${stores.join(' or ')}`] : []),
        ...(missing.some((w) => w.name === 'LOG_CONFIG') ? ['load its logging configuration'] : []),
      ].join(', or ');
      const fixes = [
        ...(missing.some((w) => w.name !== 'LOG_CONFIG')
          ? ["new MerlaiDatastores(scope, 'datastores', { level, api })"]
          : []),
        ...(missing.some((w) => w.name === 'LOG_CONFIG')
          ? ["new MerlaiLogging(scope, 'logging', { api })"]
          : []),
      ];
      console.warn(
        `[${this.node.path}] ${API_TYPE}: 'env' has no ${missing.map((w) => w.name).join(', ')}: the API cannot ${cannot}. ` +
          `Wire it with ${fixes.join(' and ')} (a level chart does ${fixes.length === 1 ? 'it' : 'both'}), ` +
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
          API_TYPE,
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
        API_TYPE,
        'image',
        value,
        "expected an image reference such as 'registry.example.com/merlai:1.4.2' or 'merlai@sha256:<64 hex digits>'",
      );
    }
    if (profile.requirePinnedImage && !isPinned(ref)) {
      invalidProp(
        this,
        API_TYPE,
        'image',
        value,
        `Level ${profile.number} (${profile.environment}) needs a pinned image: an explicit release tag (not 'latest') or a digest, e.g. '${ref.repository}:1.4.2' or '${ref.repository}@sha256:…'`,
      );
    }
    return value;
  }
}
