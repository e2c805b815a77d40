// How new versions of the API replace old ones: the strategy choices and the rolling update's bounds. No objects.
import type { Duration } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { invalidProp } from '../core/errors';
import type { LevelProfile } from '../core/levels';
import { requireInteger } from '../core/validation';
import { API_TYPE } from './constants';

/** The three deployment strategies of the operations guide. */
export enum StrategyType {
  /** The Deployment's own RollingUpdate: pods are replaced a few at a time. */
  ROLLING_UPDATE = 'RollingUpdate',
  /** An Argo Rollouts blue-green: a full preview stack, then one switch of the active Service. */
  BLUE_GREEN = 'BlueGreen',
  /** An Argo Rollouts canary: weighted traffic steps through ingress-nginx, gated by an SLO analysis. */
  CANARY = 'Canary',
}

/** Options of `DeploymentStrategy.rollingUpdate()`. */
export interface RollingUpdateOptions {
  /**
   * Pods that may be unavailable during the update. Refused when it would take the level below
   * the ready pods it needs (`minReadyApiPods` of the level table).
   * @default - the level table (Levels 1 and 2: 0, Level 3: 1)
   */
  readonly maxUnavailable?: number | undefined;
  /**
   * Extra pods created above the desired count during the update.
   * @default - the level table (1)
   */
  readonly maxSurge?: number | undefined;
}

/** Options of `DeploymentStrategy.blueGreen()`. */
export interface BlueGreenOptions {
  /**
   * Switch traffic to the new version automatically this long after its pods are all ready.
   * @default - no automatic switch: promote with `kubectl argo rollouts promote <name>` after checking the preview Service
   */
  readonly autoPromotionDelay?: Duration | undefined;
  /**
   * How long the previous version keeps running after the switch, so ingress-nginx and clients
   * holding connections move over before its pods stop (and a rollback is instant meanwhile).
   * @default Duration.seconds(30)
   */
  readonly scaleDownDelay?: Duration | undefined;
  /**
   * Pods of the new version started before promotion; it is scaled to the full count before the switch.
   * @default - the full count
   */
  readonly previewReplicas?: number | undefined;
}

/** One step of a canary: a traffic weight, or a pause. */
export class CanaryStep {
  /** Sends `percent` % of the requests (1–100) to the new version through the canary Ingress. */
  public static trafficWeight(percent: number): CanaryStep {
    return new CanaryStep(percent, undefined, false);
  }

  /**
   * Holds the current weight for `duration`, while the analysis keeps measuring.
   * Without a duration the rollout waits for `kubectl argo rollouts promote <name>`.
   */
  public static pause(duration?: Duration): CanaryStep {
    return new CanaryStep(undefined, duration, true);
  }

  private constructor(
    /** The weight of a `trafficWeight` step (Argo Rollouts' `setWeight`). */
    public readonly weight: number | undefined,
    /** The duration of a timed `pause` step. */
    public readonly pauseDuration: Duration | undefined,
    /** Whether this is a pause step. */
    public readonly isPause: boolean,
  ) {}
}

/** Options of `DeploymentStrategy.canary()`. */
export interface CanaryOptions {
  /**
   * The traffic steps. Weights must increase and stay within 1–100; after the last step the new
   * version takes all traffic.
   * @default - 10 %, 25 %, 50 %, each held for 5 minutes
   */
  readonly steps?: CanaryStep[] | undefined;
  /**
   * URL of the Prometheus that scrapes ingress-nginx, queried by the canary analysis.
   * @default 'http://prometheus-operated.monitoring.svc:9090' (prometheus-operator in namespace `monitoring`)
   */
  readonly prometheusAddress?: string | undefined;
  /**
   * The canary fails when its error ratio exceeds this multiple of the level's error budget rate
   * (1 − availability target): with 6, Level 3 (99.9 %) tolerates 0.6 % errors, Level 2 3 %.
   * @default 6 (the burn rate of the slow page alert: a release burning faster must not be promoted)
   */
  readonly maxBurnRate?: number | undefined;
  /**
   * Time between two measurements of the canary's error ratio.
   * @default Duration.minutes(1)
   */
  readonly analysisInterval?: Duration | undefined;
  /**
   * The label that carries the Ingress's namespace on ingress-nginx's series, as for the SLO
   * rules (`observability.ingressNamespaceLabel`): `namespace` when Prometheus honours the
   * controller's labels.
   * @default 'exported_namespace' (the ingress-nginx chart's ServiceMonitor, `honorLabels: false`)
   */
  readonly ingressNamespaceLabel?: string | undefined;
}

/**
 * How new versions of the API replace old ones. The rolling update uses the Deployment; blue-green
 * and canary add an Argo Rollouts `Rollout` that takes the pod template from that Deployment.
 */
export class DeploymentStrategy {
  /** The Deployment's RollingUpdate with the level table's (or the given) bounds. */
  public static rollingUpdate(options: RollingUpdateOptions = {}): DeploymentStrategy {
    return new DeploymentStrategy(StrategyType.ROLLING_UPDATE, options, undefined, undefined);
  }

  /** An Argo Rollouts blue-green with an active (`<name>`) and a preview (`<name>-preview`) Service. */
  public static blueGreen(options: BlueGreenOptions = {}): DeploymentStrategy {
    return new DeploymentStrategy(StrategyType.BLUE_GREEN, undefined, options, undefined);
  }

  /**
   * An Argo Rollouts canary: ingress-nginx splits traffic by weight between the stable (`<name>`)
   * and canary (`<name>-canary`) Services, and an AnalysisTemplate aborts the rollout when the
   * canary's error ratio burns the level's error budget too fast. Needs the API's Ingress.
   */
  public static canary(options: CanaryOptions = {}): DeploymentStrategy {
    return new DeploymentStrategy(StrategyType.CANARY, undefined, undefined, options);
  }

  private constructor(
    public readonly type: StrategyType,
    /** Set for a rolling update. */
    public readonly rollingUpdateOptions: RollingUpdateOptions | undefined,
    /** Set for a blue-green. */
    public readonly blueGreenOptions: BlueGreenOptions | undefined,
    /** Set for a canary. */
    public readonly canaryOptions: CanaryOptions | undefined,
  ) {}

  /** Whether the strategy needs Argo Rollouts (its CRDs and controller in the cluster). */
  public get usesArgoRollouts(): boolean {
    return this.type !== StrategyType.ROLLING_UPDATE;
  }
}

/** The rolling update's bounds; refuses bounds that would take the level below its ready pods. */
export function resolveRollingUpdate(
  scope: IConstruct,
  o: RollingUpdateOptions | undefined,
  profile: LevelProfile,
  pods: number,
): { maxUnavailable: number; maxSurge: number } {
  const maxUnavailable = requireInteger(
    scope,
    API_TYPE,
    'strategy.maxUnavailable',
    o?.maxUnavailable ?? profile.maxUnavailable,
    0,
  );
  const maxSurge = requireInteger(scope, API_TYPE, 'strategy.maxSurge', o?.maxSurge ?? profile.maxSurge, 0);
  if (maxUnavailable === 0 && maxSurge === 0) {
    invalidProp(
      scope,
      API_TYPE,
      'strategy.maxSurge',
      0,
      "'strategy.maxSurge' and 'strategy.maxUnavailable' cannot both be 0: the rollout could never replace a pod",
    );
  }
  if (pods - maxUnavailable < profile.minReadyApiPods) {
    invalidProp(
      scope,
      API_TYPE,
      'strategy.maxUnavailable',
      maxUnavailable,
      `Level ${profile.number} keeps at least ${profile.minReadyApiPods} API pods ready during a rollout; with ${pods} pods, expected at most ${pods - profile.minReadyApiPods}`,
    );
  }
  return { maxUnavailable, maxSurge };
}
