// How many API pods run: the autoscaler's bounds and the disruption budget they must allow.
// Objects: HorizontalPodAutoscaler `<api>-hpa`, PodDisruptionBudget `<api>`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct, IConstruct } from 'constructs';
import { invalidProp } from '../core/errors';
import type { AutoscalingProfile, LevelProfile } from '../core/levels';
import { requireInteger } from '../core/validation';
import { API_TYPE } from './constants';

/** Overrides of the autoscaler. */
export interface ApiAutoscalingOverrides {
  /** @default - the level table (Level 3: 3) */
  readonly minReplicas?: number | undefined;
  /** @default - the level table (Level 3: 10) */
  readonly maxReplicas?: number | undefined;
  /** @default - the level table (Level 3: 70) */
  readonly cpuUtilizationPercent?: number | undefined;
}

/** The level table's autoscaler with overrides applied; undefined when neither asks for one. */
export function resolveAutoscaling(
  scope: IConstruct,
  o: ApiAutoscalingOverrides | undefined,
  base: AutoscalingProfile | undefined,
): AutoscalingProfile | undefined {
  if (!base && !o) return undefined;
  const minReplicas = requireInteger(
    scope,
    API_TYPE,
    'autoscaling.minReplicas',
    o?.minReplicas ?? base?.minReplicas ?? 1,
    1,
  );
  const maxReplicas = requireInteger(
    scope,
    API_TYPE,
    'autoscaling.maxReplicas',
    o?.maxReplicas ?? base?.maxReplicas ?? Math.max(minReplicas, 3),
    1,
  );
  const cpu = requireInteger(
    scope,
    API_TYPE,
    'autoscaling.cpuUtilizationPercent',
    o?.cpuUtilizationPercent ?? base?.cpuUtilizationPercent ?? 70,
    1,
    100,
  );
  if (minReplicas > maxReplicas) {
    invalidProp(
      scope,
      API_TYPE,
      'autoscaling.minReplicas',
      minReplicas,
      `expected at most 'autoscaling.maxReplicas' (${maxReplicas})`,
    );
  }
  return { minReplicas, maxReplicas, cpuUtilizationPercent: cpu };
}

/** A budget that no eviction can satisfy would block every node drain. */
export function checkDisruptionBudget(
  scope: IConstruct,
  profile: LevelProfile,
  count: { readonly autoscaling?: AutoscalingProfile | undefined; readonly replicas?: number | undefined },
): void {
  const min = profile.pdbMinAvailable;
  if (min === undefined) return;
  const floor = count.autoscaling?.minReplicas ?? count.replicas ?? 0;
  if (floor <= min) {
    const prop = count.autoscaling ? 'autoscaling.minReplicas' : 'replicas';
    invalidProp(
      scope,
      API_TYPE,
      prop,
      floor,
      `Level ${profile.number} keeps at least ${min} pods available during disruptions, so it needs at least ${min + 1} pods or no node could ever be drained`,
    );
  }
}

/** The autoscaler of the workload that owns the pods (the Deployment, or the Rollout). */
export function createAutoscaler(
  scope: Construct,
  p: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly target: k8s.CrossVersionObjectReferenceV2;
  },
  a: AutoscalingProfile,
): k8s.KubeHorizontalPodAutoscalerV2 {
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, 'hpa', {
    metadata: { name: `${p.name}-hpa`, labels: p.labels },
    spec: {
      scaleTargetRef: p.target,
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

/** The disruption budget of the API's pods. */
export function createDisruptionBudget(
  scope: Construct,
  p: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
  minAvailable: number,
): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: { name: p.name, labels: p.labels },
    spec: {
      minAvailable: k8s.IntOrString.fromNumber(minAvailable),
      selector: { matchLabels: p.labels },
      // A crash-looping pod must not block node drains.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}
