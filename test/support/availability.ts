import type { KubeObject } from './synth';

/**
 * The fewest ready API pods each disruption can leave, computed from synthesized objects the way
 * the controllers involved decide: the Deployment controller (or the Argo Rollouts controller) during
 * a rollout, the eviction API with the PodDisruptionBudget during a node drain.
 */
export interface AvailabilityReport {
  /** `Kind/name` of the workload that owns the pods. */
  readonly workload: string;
  /** The fewest pods the workload runs: the autoscaler's minimum, or its fixed replicas. */
  readonly pods: number;
  /** Fewest ready pods behind the API's Service during a rollout. */
  readonly rolloutFloor: number;
  /** Fewest ready pods while nodes are drained (no rollout in progress). */
  readonly drainFloor: number;
  /**
   * Fewest ready pods serving traffic while a drain meets a rollout in progress. The budget counts
   * every pod its selector matches, including a blue-green preview's, which serves no traffic.
   */
  readonly drainDuringRolloutFloor: number;
  /** True when the budget allows no eviction at `pods` ready pods: every drain would hang. */
  readonly drainBlocked: boolean;
  /** Wiring mistakes that make the numbers above meaningless (a selector matching no pod, …). */
  readonly problems: string[];
}

type IntOrPercent = number | string | undefined;

/** An int-or-percent field against `total`, rounded as the controllers round it. */
function scaled(value: IntOrPercent, total: number, fallback: string, roundUp: boolean): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`not an int or percentage: ${v}`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Pods unavailable at most during a surge/unavailable rolling replacement (Kubernetes' fenceposts). */
function rollingUnavailable(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, pods: number): number {
  const surge = scaled(maxSurge, pods, '25%', true);
  const unavailable = scaled(maxUnavailable, pods, '25%', false);
  // Both zero would deadlock: the controllers then allow one unavailable pod.
  return surge === 0 && unavailable === 0 ? 1 : unavailable;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function group(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** The availability report of the API named `name` among `objects`. */
export function availability(objects: KubeObject[], name = 'merlai-api'): AvailabilityReport {
  const problems: string[] = [];
  const rollout = objects.find((o) => o.kind === 'Rollout' && o.metadata.name === name);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  const workload = rollout ?? deployment;
  if (!workload) throw new Error(`no Rollout or Deployment named ${name}`);

  let template = workload.spec.template;
  if (rollout?.spec.workloadRef) {
    const ref = rollout.spec.workloadRef;
    const source = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    if (!source)
      problems.push(`Rollout/${name} takes its pods from ${ref.kind}/${ref.name}, which does not exist`);
    template = source?.spec.template;
    if (source && ref.scaleDown !== 'progressively' && ref.scaleDown !== 'onsuccess') {
      problems.push(
        `Rollout/${name} never scales ${ref.kind}/${ref.name} down (scaleDown '${ref.scaleDown}'): two workloads run the pods`,
      );
    }
  }
  const podLabels: Record<string, string> = template?.metadata?.labels ?? {};
  if (!selects(workload.spec.selector?.matchLabels, podLabels)) {
    problems.push(`${workload.kind}/${name}'s selector matches none of its own pods`);
  }

  // The autoscaler owns the count of the workload it targets; one aimed elsewhere scales nothing.
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  const hpa = hpas.find((h) => {
    const ref = h.spec.scaleTargetRef;
    return (
      ref.kind === workload.kind &&
      ref.name === workload.metadata.name &&
      group(ref.apiVersion ?? '') === group(workload.apiVersion)
    );
  });
  for (const h of hpas.filter((x) => x !== hpa)) {
    const ref = h.spec.scaleTargetRef;
    problems.push(
      `HorizontalPodAutoscaler/${h.metadata.name} targets ${ref.kind}/${ref.name}, but ${workload.kind}/${name} owns the pods`,
    );
  }
  const pods: number = hpa ? (hpa.spec.minReplicas ?? 1) : (workload.spec.replicas ?? 1);

  let rolloutFloor: number;
  let servingShare = 0; // ready pods the budget counts that serve no traffic during a rollout
  if (!rollout) {
    const strategy = workload.spec.strategy ?? {};
    rolloutFloor =
      strategy.type === 'Recreate'
        ? 0
        : pods -
          rollingUnavailable(strategy.rollingUpdate?.maxSurge, strategy.rollingUpdate?.maxUnavailable, pods);
  } else if (rollout.spec.strategy?.blueGreen) {
    const bg = rollout.spec.strategy.blueGreen;
    const active = objects.find((o) => o.kind === 'Service' && o.metadata.name === bg.activeService);
    if (!active || !selects(active.spec.selector, podLabels)) {
      problems.push(`blue-green active Service ${bg.activeService} does not select the API's pods`);
    }
    // The active ReplicaSet stays whole until the preview is fully available and promoted.
    rolloutFloor = pods - (bg.maxUnavailable === undefined ? 0 : scaled(bg.maxUnavailable, pods, '0', false));
    servingShare = bg.previewReplicaCount ?? pods;
  } else if (rollout.spec.strategy?.canary) {
    const c = rollout.spec.strategy.canary;
    if (c.trafficRouting && !c.dynamicStableScale) {
      // With traffic routing the stable ReplicaSet stays at 100 % until the canary takes over.
      rolloutFloor = pods;
    } else {
      rolloutFloor = pods - rollingUnavailable(c.maxSurge, c.maxUnavailable, pods);
    }
  } else {
    problems.push(`Rollout/${name} has neither a blueGreen nor a canary strategy`);
    rolloutFloor = 0;
  }

  const budgets = objects.filter(
    (o) => o.kind === 'PodDisruptionBudget' && selects(o.spec.selector?.matchLabels, podLabels),
  );
  if (budgets.length > 1) {
    problems.push(
      `${budgets.length} PodDisruptionBudgets select the API's pods: the eviction API refuses every eviction`,
    );
  }
  let drainFloor = 0; // without a budget, one drained node can hold every pod
  let drainBlocked = budgets.length > 1;
  const budget = budgets[0];
  if (budget) {
    const { minAvailable, maxUnavailable } = budget.spec;
    const keep =
      minAvailable !== undefined
        ? scaled(minAvailable, pods, '0', true)
        : pods - scaled(maxUnavailable, pods, '0', true);
    drainFloor = Math.min(pods, keep);
    if (pods - keep <= 0) drainBlocked = true;
  }
  const drainDuringRolloutFloor = Math.max(0, Math.min(rolloutFloor, drainFloor) - servingShare);

  return {
    workload: `${workload.kind}/${name}`,
    pods,
    rolloutFloor,
    drainFloor,
    drainDuringRolloutFloor,
    drainBlocked,
    problems,
  };
}

/** What breaks the level's requirement of `required` ready pods; empty when it holds. */
export function availabilityViolations(report: AvailabilityReport, required: number): string[] {
  const out = [...report.problems];
  if (report.rolloutFloor < required) {
    out.push(`a rollout can leave ${report.rolloutFloor} ready pods; the level needs ${required}`);
  }
  if (report.drainFloor < required) {
    out.push(`a node drain can leave ${report.drainFloor} ready pods; the level needs ${required}`);
  }
  if (report.drainBlocked) {
    out.push(`the disruption budget allows no eviction at ${report.pods} pods: every node drain would hang`);
  }
  return out;
}
