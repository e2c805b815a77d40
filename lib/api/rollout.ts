// Argo Rollouts for blue-green and canary. Objects: Rollout `<api>`, Service `<api>-preview` or `<api>-canary`,
// AnalysisTemplate `<api>-error-ratio` (canary).
//
// The Argo Rollouts objects of the blue-green and canary strategies. Loaded by `MerlaiApi` only when
// one of them is chosen: the generated bindings are heavy, and the default rolling update needs none.
// Not re-exported from `index.ts` for the same reason; choose a strategy with `DeploymentStrategy`.
import { type ApiObject, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, type IConstruct } from 'constructs';
import type * as analysisBindings from '../../imports/argo-analysis-argoproj.io';
import type * as rolloutBindings from '../../imports/argo-rollout-argoproj.io';
import { invalidProp } from '../core/errors';
import type { LevelProfile } from '../core/levels';
import { requireInteger, requireWholeSeconds } from '../core/validation';
import { isPrometheusLabelName } from '../observability/promql';
import { DEFAULT_INGRESS_NAMESPACE_LABEL, errorRatioOrZero, type SliScope } from '../observability/sli';
import { API_TYPE } from './constants';
import { type BlueGreenOptions, type CanaryOptions, CanaryStep, type DeploymentStrategy } from './strategy';

/** The Argo Rollouts API group and version of the CRDs in `crds/`. */
export const ARGO_ROLLOUTS_API_VERSION = 'argoproj.io/v1alpha1';
/** Argo Rollouts prometheus-operator default: the `prometheus-operated` Service in `monitoring`. */
export const DEFAULT_PROMETHEUS_ADDRESS = 'http://prometheus-operated.monitoring.svc:9090';
/** Burn rate of the slow page alert (6x over 6 h): a canary burning faster is not promoted. */
export const DEFAULT_CANARY_MAX_BURN_RATE = 6;
/** Window of the canary's error ratio: short enough to react within a step, long enough to hold data. */
export const CANARY_ANALYSIS_WINDOW = '5m';
/** Failed measurements tolerated before the analysis fails and Argo aborts the canary. */
export const CANARY_FAILURE_LIMIT = 2;
const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
const DEFAULT_ANALYSIS_INTERVAL_SECONDS = 60;
const DEFAULT_STEPS_PAUSE_SECONDS = 300;

/** Props of `ApiRollout`. */
export interface ApiRolloutProps {
  /** A blue-green or canary strategy. */
  readonly strategy: DeploymentStrategy;
  /** Name of the Rollout (the API's name). */
  readonly name: string;
  /** The API's selector labels: the Rollout's selector and the extra Services'. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** The Deployment that holds the pod template (`workloadRef`). */
  readonly deploymentName: string;
  /** Fixed replica count; undefined when an autoscaler scales the Rollout. */
  readonly replicas?: number | undefined;
  /** The fewest pods the Rollout runs (replicas, or the autoscaler's minimum). */
  readonly minPods: number;
  /** The API's Service: blue-green's active Service, the canary's stable Service. */
  readonly serviceName: string;
  /** Ports of that Service, copied to the preview and canary Services. */
  readonly servicePorts: k8s.ServicePort[];
  /** The API's Ingress; required by the canary (ingress-nginx splits the traffic). */
  readonly ingressName?: string | undefined;
  readonly profile: LevelProfile;
}

/** A canary step as Argo Rollouts writes it. */
interface ResolvedStep {
  readonly setWeight?: number | undefined;
  readonly pause?: { readonly duration?: string } | undefined;
}

/**
 * The Argo Rollouts `Rollout` that replaces the Deployment's rollout: it takes the pod template from
 * the Deployment (`workloadRef`) and scales that Deployment down as its own pods become available,
 * so moving from the rolling update to blue-green or canary (and back) never drops the ready pods.
 */
export class ApiRollout extends Construct {
  public readonly rollout: ApiObject;
  /** `<name>-preview` (blue-green) or `<name>-canary` (canary). */
  public readonly secondaryService: k8s.KubeService;
  /** The canary's analysis; undefined for blue-green. */
  public readonly analysisTemplate?: ApiObject;

  constructor(scope: Construct, id: string, props: ApiRolloutProps) {
    super(scope, id);
    // Errors name the API's path and its `strategy` prop, as the user wrote them.
    const api = scope;
    const argo = require('../../imports/argo-rollout-argoproj.io') as typeof rolloutBindings;
    const labels = { ...props.selectorLabels };
    const blueGreen = props.strategy.blueGreenOptions;
    const canary = props.strategy.canaryOptions;

    const secondaryName = `${props.name}-${blueGreen ? 'preview' : 'canary'}`;
    this.secondaryService = new k8s.KubeService(this, 'service', {
      metadata: { name: secondaryName, labels },
      spec: { type: 'ClusterIP', selector: labels, ports: props.servicePorts },
    });

    let strategy: rolloutBindings.RolloutSpecStrategy;
    if (blueGreen) {
      strategy = { blueGreen: blueGreenSpec(api, blueGreen, props, secondaryName) };
    } else if (canary) {
      if (props.ingressName === undefined) {
        invalidProp(
          api,
          API_TYPE,
          'strategy',
          'canary',
          "the canary's traffic weights are set on ingress-nginx and its analysis reads the Ingress's metrics: set 'ingress', or choose DeploymentStrategy.rollingUpdate() or .blueGreen()",
        );
      }
      const steps = canarySteps(api, canary);
      const template = this.createAnalysisTemplate(api, canary, props);
      this.analysisTemplate = template;
      strategy = {
        canary: {
          stableService: props.serviceName,
          canaryService: secondaryName,
          trafficRouting: { nginx: { stableIngress: props.ingressName } },
          scaleDownDelaySeconds: DEFAULT_SCALE_DOWN_DELAY_SECONDS,
          steps: steps.map((s) => ({
            setWeight: s.setWeight,
            pause: s.pause
              ? {
                  duration:
                    s.pause.duration === undefined
                      ? undefined
                      : argo.RolloutSpecStrategyCanaryStepsPauseDuration.fromString(s.pause.duration),
                }
              : undefined,
          })),
          analysis: {
            templates: [{ templateName: template.name }],
            args: [
              { name: 'namespace', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'ingress', value: props.ingressName },
              { name: 'canary-service', value: secondaryName },
              { name: 'canary-port', value: props.servicePorts[0].name },
            ],
          },
        },
      };
    } else {
      throw new Error(`ApiRollout needs a blue-green or canary strategy, not ${props.strategy.type}`);
    }

    this.rollout = new argo.Rollout(this, 'rollout', {
      metadata: { name: props.name, labels },
      spec: {
        replicas: props.replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: labels },
        workloadRef: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: props.deploymentName,
          // The Deployment keeps serving until the Rollout's pods are available, pod for pod.
          scaleDown: 'progressively',
        },
        strategy,
      },
    });
  }

  private createAnalysisTemplate(api: IConstruct, o: CanaryOptions, props: ApiRolloutProps): ApiObject {
    const analysis = require('../../imports/argo-analysis-argoproj.io') as typeof analysisBindings;
    const address = o.prometheusAddress ?? DEFAULT_PROMETHEUS_ADDRESS;
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(address)) {
      invalidProp(
        api,
        API_TYPE,
        'strategy.prometheusAddress',
        address,
        "expected an http(s) URL of Prometheus, e.g. 'http://prometheus-operated.monitoring.svc:9090'",
      );
    }
    const maxErrorRatio = canaryMaxErrorRatio(api, o, props.profile);
    const interval = requireWholeSeconds(
      api,
      API_TYPE,
      'strategy.analysisInterval',
      o.analysisInterval,
      DEFAULT_ANALYSIS_INTERVAL_SECONDS,
      1,
    );
    // ingress-nginx counts the canary's requests under the stable Ingress, labelled with the canary
    // upstream (Argo Rollouts' canary Ingress only adds weight annotations).
    const namespaceLabel = o.ingressNamespaceLabel ?? DEFAULT_INGRESS_NAMESPACE_LABEL;
    if (!isPrometheusLabelName(namespaceLabel)) {
      invalidProp(
        api,
        API_TYPE,
        'strategy.ingressNamespaceLabel',
        namespaceLabel,
        "expected a Prometheus label name such as 'exported_namespace' or 'namespace'",
      );
    }
    const scope: SliScope = {
      namespace: '{{args.namespace}}',
      ingress: '{{args.ingress}}',
      canary: '{{args.namespace}}-{{args.canary-service}}-{{args.canary-port}}',
      namespaceLabel,
    };
    return new analysis.AnalysisTemplate(this, 'analysis', {
      metadata: { name: `${props.name}-error-ratio`, labels: { ...props.selectorLabels } },
      spec: {
        args: [
          { name: 'namespace' },
          { name: 'ingress' },
          { name: 'canary-service' },
          { name: 'canary-port' },
        ],
        metrics: [
          {
            name: 'error-ratio',
            interval: argoDuration(interval),
            failureLimit: analysis.AnalysisTemplateSpecMetricsFailureLimit.fromNumber(CANARY_FAILURE_LIMIT),
            // Argo Rollouts passes the vector's values as `result`. No data (no canary request
            // in the window: an empty vector, or NaN when the counters did not move) meets
            // neither condition: the measurement is Inconclusive and the Rollout pauses for a
            // human, instead of promoting a version nobody has used.
            successCondition: `len(result) == 1 && result[0] <= ${maxErrorRatio}`,
            failureCondition: `len(result) == 1 && result[0] > ${maxErrorRatio}`,
            provider: {
              prometheus: {
                address,
                query: errorRatioOrZero(scope, CANARY_ANALYSIS_WINDOW),
              },
            },
          },
        ],
      },
    });
  }
}

/** The error ratio above which a canary fails: the burn rate times the level's error budget rate. */
export function canaryMaxErrorRatio(api: IConstruct, o: CanaryOptions, profile: LevelProfile): number {
  const burnRate = o.maxBurnRate ?? DEFAULT_CANARY_MAX_BURN_RATE;
  const budget = 1 - profile.availabilityTarget;
  const ratio = Number((burnRate * budget).toPrecision(6));
  if (!Number.isFinite(burnRate) || burnRate <= 0 || ratio >= 1) {
    invalidProp(
      api,
      API_TYPE,
      'strategy.maxBurnRate',
      burnRate,
      `expected a positive number below ${Number((1 / budget).toPrecision(6))} (Level ${profile.number}'s error budget is ${Number((budget * 100).toPrecision(6))} % of requests; at that burn rate every request could fail)`,
    );
  }
  return ratio;
}

function blueGreenSpec(
  api: IConstruct,
  o: BlueGreenOptions,
  props: ApiRolloutProps,
  previewService: string,
): rolloutBindings.RolloutSpecStrategyBlueGreen {
  const autoPromotion =
    o.autoPromotionDelay === undefined
      ? undefined
      : requireWholeSeconds(api, API_TYPE, 'strategy.autoPromotionDelay', o.autoPromotionDelay, 0, 0);
  const previewReplicas =
    o.previewReplicas === undefined
      ? undefined
      : requireInteger(api, API_TYPE, 'strategy.previewReplicas', o.previewReplicas, 1, props.minPods);
  return {
    activeService: props.serviceName,
    previewService,
    autoPromotionEnabled: autoPromotion !== undefined,
    autoPromotionSeconds: autoPromotion,
    previewReplicaCount: previewReplicas,
    scaleDownDelaySeconds: requireWholeSeconds(
      api,
      API_TYPE,
      'strategy.scaleDownDelay',
      o.scaleDownDelay,
      DEFAULT_SCALE_DOWN_DELAY_SECONDS,
      0,
    ),
  };
}

const DEFAULT_STEPS: CanaryStep[] = [10, 25, 50].flatMap((w) => [
  CanaryStep.trafficWeight(w),
  CanaryStep.pause(Duration.seconds(DEFAULT_STEPS_PAUSE_SECONDS)),
]);

/** Checks the steps: weights within 1–100 and increasing, whole-second pauses, some traffic. */
function canarySteps(api: IConstruct, o: CanaryOptions): ResolvedStep[] {
  const steps = o.steps ?? DEFAULT_STEPS;
  if (!steps.some((s) => !s.isPause)) {
    invalidProp(
      api,
      API_TYPE,
      'strategy.steps',
      steps.length === 0 ? [] : 'only pauses',
      'expected at least one CanaryStep.trafficWeight(): without one the new version gets no traffic before it takes all of it',
    );
  }
  let previous = 0;
  return steps.map((step, i): ResolvedStep => {
    const prop = `strategy.steps[${i}]`;
    if (step.isPause) {
      if (step.pauseDuration === undefined) return { pause: {} };
      return {
        pause: { duration: argoDuration(requireWholeSeconds(api, API_TYPE, prop, step.pauseDuration, 0, 1)) },
      };
    }
    const weight = step.weight as number;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      invalidProp(
        api,
        API_TYPE,
        `${prop}.setWeight`,
        weight,
        'expected an integer percentage between 1 and 100',
      );
    }
    if (weight <= previous) {
      invalidProp(
        api,
        API_TYPE,
        `${prop}.setWeight`,
        weight,
        `expected more than the previous weight (${previous}): a canary's share of traffic only grows`,
      );
    }
    previous = weight;
    return { setWeight: weight };
  });
}

/** A Go duration as Argo writes them: `5m`, `90s`, `1h`. */
function argoDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
