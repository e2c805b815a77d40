// Where the API's pods run: the level's zone and node spread and anti-affinity, plus a team's affinity. No objects.
import type { k8s } from 'cdk8s-plus-28';
import type { LevelProfile } from '../core/levels';
import { ACCESS_MODE_SINGLE_NODE } from './storage';

/**
 * Spreads each revision's pods evenly over zones and nodes (`matchLabelKeys` keeps a rollout's
 * new pods from piling up where the old ones leave room), and prefers nodes without an API pod.
 * The anti-affinity is preferred, not required: required, every rollout's surge pod and every
 * blue-green preview pod would need a node of its own. Pods that share ReadWriteOnce claims
 * (Level 2) are instead kept on one node by a required pod affinity: elsewhere they could not
 * mount the claims (Multi-Attach) and the rollout would hang.
 */
export function apiPlacement(
  profile: LevelProfile,
  selectorLabels: Readonly<Record<string, string>>,
  perPodStorage = false,
): Pick<k8s.PodSpec, 'topologySpreadConstraints' | 'affinity'> {
  const labelSelector = { matchLabels: selectorLabels };
  const hostname = 'kubernetes.io/hostname';
  if (profile.persistentStorage && !perPodStorage && profile.claimAccessMode === ACCESS_MODE_SINGLE_NODE) {
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

/** The level's placement plus a team's extra affinity: anti-affinity terms add up, the rest is the team's. */
export function mergeAffinity(
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
