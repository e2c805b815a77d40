import { LEVEL_PROFILES, type LevelProfile, monthlyErrorBudgetMinutes } from '../lib/core/levels';
import { parseQuantity } from '../lib/core/validation';
import { clusterModel, type MerlaiPod } from './cluster-model';
import {
  type ListeningPort,
  type ModelEndpoint,
  NetworkPolicyEvaluator,
  type NetworkPolicyObject,
} from './network-policy';
import type { Json, KubeObject } from './objects';

/** Requests and limits in cores and bytes. */
export interface Totals {
  cpuRequest: number;
  memoryRequest: number;
  cpuLimit: number;
  memoryLimit: number;
}

/** A group of identical pods and how many of them run. */
export interface WorkloadSummary {
  /** `Kind/name`, e.g. `Deployment/merlai-api`, `RedisReplication/merlai-redis (sentinel)`. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** How the count is set: `replicas`, `HPA merlai-api-hpa`, `instances`, `schedule …`. */
  readonly scaling: string;
  /** One pod's requests and limits (every container of the pod). */
  readonly pod: Totals;
}

/** What one chart deploys, read from its synthesized objects. */
export interface ChartSummary {
  readonly chart: string;
  readonly level?: number | undefined;
  readonly namespace?: string | undefined;
  readonly objectsByKind: Record<string, number>;
  readonly workloads: WorkloadSummary[];
  /** Totals over every workload at its minimum and its maximum count. */
  readonly atMin: Totals;
  readonly atMax: Totals;
  readonly availabilityTarget?: number | undefined;
  readonly monthlyErrorBudgetMinutes?: number | undefined;
  readonly backups: {
    readonly name: string;
    readonly schedule: string;
    readonly recoveryPointHours?: number | undefined;
  }[];
  /** Continuous WAL archiving of CloudNativePG into an object store, if configured. */
  readonly walArchiving: boolean;
  /** Allowed flows, `source -> destination:port/protocol`, from the network policies. */
  readonly flows: string[];
  /** Why `flows` could not be computed (no Merlai API, so no level and no pods to model); undefined when it was. */
  readonly flowsNotComputed?: string | undefined;
}

function zero(): Totals {
  return { cpuRequest: 0, memoryRequest: 0, cpuLimit: 0, memoryLimit: 0 };
}

function add(t: Totals, o: Totals, times = 1): Totals {
  return {
    cpuRequest: t.cpuRequest + o.cpuRequest * times,
    memoryRequest: t.memoryRequest + o.memoryRequest * times,
    cpuLimit: t.cpuLimit + o.cpuLimit * times,
    memoryLimit: t.memoryLimit + o.memoryLimit * times,
  };
}

function q(v: Json): number {
  return v === undefined ? 0 : (parseQuantity(String(v)) ?? 0);
}

/** Requests and limits of one `resources` block. */
export function resourceTotals(r: Json): Totals {
  return {
    cpuRequest: q(r?.requests?.cpu),
    memoryRequest: q(r?.requests?.memory),
    cpuLimit: q(r?.limits?.cpu),
    memoryLimit: q(r?.limits?.memory),
  };
}

/** A pod's requests and limits: the sum of its containers (init containers finish before these start). */
function podTotals(podSpec: Json): Totals {
  return (podSpec?.containers ?? []).reduce(
    (t: Totals, c: Json) => add(t, resourceTotals(c.resources)),
    zero(),
  );
}

// ---- cron: the longest gap between two runs, the recovery point of a dump schedule ----

function cronField(field: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let [lo, hi] = [min, max];
    if (range !== '*') {
      const [a, b] = range.split('-').map(Number);
      lo = a;
      hi = b ?? (stepText ? max : a);
    }
    if (![lo, hi, step].every(Number.isInteger) || step < 1)
      throw new Error(`cannot read cron field '${field}'`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

/**
 * The longest time between two runs of a 5-field cron schedule (UTC), in hours, over a year;
 * undefined when it never runs (e.g. `0 0 31 2 *`, a schedule for manual jobs).
 */
export function longestCronGapHours(schedule: string): number | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`'${schedule}' is not a 5-field cron schedule`);
  const [minute, hour, dom, month, dow] = [
    cronField(fields[0], 0, 59),
    cronField(fields[1], 0, 23),
    cronField(fields[2], 1, 31),
    cronField(fields[3], 1, 12),
    cronField(fields[4], 0, 7),
  ];
  if (dow.has(7)) dow.add(0);
  const domAny = fields[2] === '*';
  const dowAny = fields[4] === '*';
  const start = Date.UTC(2025, 0, 1);
  const runs: number[] = [];
  for (let day = 0; day < 365 * 2; day++) {
    const d = new Date(start + day * 86_400_000);
    if (!month.has(d.getUTCMonth() + 1)) continue;
    const domOk = dom.has(d.getUTCDate());
    const dowOk = dow.has(d.getUTCDay());
    // Cron's rule: with both day fields restricted, either may match.
    if (!(domAny && dowAny) && !(domAny ? dowOk : dowAny ? domOk : domOk || dowOk)) continue;
    for (const h of [...hour].sort((a, b) => a - b))
      for (const m of [...minute].sort((a, b) => a - b)) runs.push(d.getTime() + (h * 60 + m) * 60_000);
  }
  if (runs.length < 2) return undefined;
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i] - runs[i - 1]);
  return gap / 3_600_000;
}

// ---- workloads ----

function workloads(objects: KubeObject[]): WorkloadSummary[] {
  const out: WorkloadSummary[] = [];
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    const s = o.spec ?? {};
    switch (o.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'Rollout': {
        const hpa = hpas.find(
          (h) => h.spec?.scaleTargetRef?.kind === o.kind && h.spec.scaleTargetRef.name === o.metadata.name,
        );
        // A Rollout with a workloadRef owns the pods: the Deployment it refers to is scaled to 0.
        const template =
          s.template ??
          objects.find((d) => d.kind === 'Deployment' && d.metadata.name === s.workloadRef?.name)?.spec
            ?.template;
        const replicas = s.replicas ?? 1;
        if (hpa)
          out.push({
            name: id,
            min: hpa.spec.minReplicas ?? 1,
            max: hpa.spec.maxReplicas,
            scaling: `HPA ${hpa.metadata.name}`,
            pod: podTotals(template?.spec),
          });
        else
          out.push({
            name: id,
            min: replicas,
            max: replicas,
            scaling: 'replicas',
            pod: podTotals(template?.spec),
          });
        break;
      }
      case 'CronJob': {
        const gap = s.suspend ? undefined : longestCronGapHours(s.schedule);
        const pod = podTotals(s.jobTemplate?.spec?.template?.spec);
        // A job pod runs now and then: none at the minimum, one (concurrency Forbid) at the maximum.
        if (gap === undefined)
          out.push({ name: id, min: 0, max: 0, scaling: 'manual (kubectl create job --from)', pod });
        else out.push({ name: id, min: 0, max: 1, scaling: `schedule ${s.schedule}`, pod });
        break;
      }
      case 'Cluster':
        if (o.apiVersion.startsWith('postgresql.cnpg.io/')) {
          out.push({
            name: id,
            min: s.instances ?? 1,
            max: s.instances ?? 1,
            scaling: 'instances (CloudNativePG)',
            pod: resourceTotals(s.resources),
          });
        }
        break;
      case 'RedisReplication':
      case 'RedisCluster': {
        const size = s.clusterSize ?? 1;
        let pod = resourceTotals(s.kubernetesConfig?.resources);
        if (s.redisExporter?.enabled) pod = add(pod, resourceTotals(s.redisExporter.resources));
        out.push({ name: id, min: size, max: size, scaling: 'clusterSize (redis-operator)', pod });
        if (s.sentinel) {
          const n = s.sentinel.size ?? 3;
          out.push({
            name: `${id} (sentinel)`,
            min: n,
            max: n,
            scaling: 'sentinel.size',
            pod: resourceTotals(s.sentinel.resources),
          });
        }
        break;
      }
    }
  }
  return out;
}

/** The level of a chart's objects: its `merlai.io/level` label, else the API's ENVIRONMENT. */
export function levelOf(objects: KubeObject[]): LevelProfile | undefined {
  const n = objects.map((o) => o.metadata?.labels?.['merlai.io/level']).find((v) => v !== undefined);
  const byLabel = Object.values(LEVEL_PROFILES).find((p) => String(p.number) === n);
  if (byLabel) return byLabel;
  // A chart of the user's own (MerlaiApi without a level chart) has no level label; the API's
  // ENVIRONMENT variable, which MerlaiApi always sets from its level, still says which level it is.
  const environments = objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Rollout')
    .flatMap((o) => (o.spec?.template?.spec?.containers ?? []) as Json[])
    .flatMap((c) => (c.env ?? []) as Json[])
    .filter((e) => e.name === 'ENVIRONMENT')
    .map((e) => e.value);
  return Object.values(LEVEL_PROFILES).find((p) => environments.includes(p.environment));
}

/**
 * Address endpoints for the ranges egress rules name (a managed database's CIDR, say), so flows to
 * them show; the whole internet (`0.0.0.0/0`) is the model's own `internet` address already.
 */
function ipBlockEndpoints(objects: KubeObject[]): ModelEndpoint[] {
  const ranges = new Map<string, ListeningPort[]>();
  for (const p of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    for (const rule of p.spec?.egress ?? []) {
      for (const peer of rule.to ?? []) {
        const cidr: string | undefined = peer.ipBlock?.cidr;
        if (!cidr || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr) || cidr.endsWith('/0')) continue;
        const ports = (rule.ports ?? [])
          .filter((x: Json) => typeof x.port === 'number')
          .map((x: Json) => ({ port: x.port, protocol: x.protocol ?? 'TCP' }));
        ranges.set(cidr, [...(ranges.get(cidr) ?? []), ...ports]);
      }
    }
  }
  return [...ranges].map(([cidr, ports]) => {
    const [a, b, c, d] = cidr.split('/')[0].split('.').map(Number);
    const prefix = Number(cidr.split('/')[1]);
    // An address inside the range: the network address plus one (the range itself for a /32).
    const ip = prefix >= 31 ? `${a}.${b}.${c}.${d}` : `${a}.${b}.${c}.${d + 1}`;
    return { kind: 'address', name: cidr, ip, ports } as ModelEndpoint;
  });
}

/** The flows the network policies allow to or from Merlai's pods, replicas of one workload folded. */
export function allowedFlows(objects: KubeObject[], profile: LevelProfile, namespace: string): string[] {
  const base = clusterModel(objects, profile, [], namespace);
  // A range whose address the model already has (NodeLocal DNSCache's /32) needs no second endpoint.
  const known = new Set(base.endpoints.map((e) => e.ip));
  const full = clusterModel(
    objects,
    profile,
    ipBlockEndpoints(objects).filter((e) => !known.has(e.ip)),
    namespace,
  );
  // Pods the model only assumes (a datastore this chart does not deploy, e.g. an external one) are left out.
  const model = { ...full, endpoints: full.endpoints.filter((e) => !(e as MerlaiPod).assumed) };
  const merlai = new Set(
    model.endpoints
      .filter((e) => e.kind === 'pod' && e.namespace === namespace && e.name !== 'stray')
      .map((e) => e.name),
  );
  const evaluator = new NetworkPolicyEvaluator(objects as unknown as NetworkPolicyObject[], model);
  const fold = (name: string) => name.replace(/-\d+$/, '');
  const flows = evaluator
    .matrix((e) => merlai.has(e.name))
    .map((f) => {
      const m = /^(\S+) -> (\S+):(\S+)$/.exec(f);
      return m ? `${fold(m[1])} -> ${fold(m[2])}:${m[3]}` : f;
    });
  return [...new Set(flows)].sort();
}

/** The summary of one chart's objects. */
export function summarize(chart: string, objects: KubeObject[]): ChartSummary {
  const objectsByKind: Record<string, number> = {};
  for (const o of objects) objectsByKind[o.kind] = (objectsByKind[o.kind] ?? 0) + 1;
  const list = workloads(objects);
  const atMin = list.reduce((t, w) => add(t, w.pod, w.min), zero());
  const atMax = list.reduce((t, w) => add(t, w.pod, w.max), zero());
  const profile = levelOf(objects);
  const namespace =
    objects.find((o) => o.kind === 'Namespace')?.metadata.name ??
    objects.find((o) => o.metadata.namespace)?.metadata.namespace;
  const backups = objects
    .filter((o) => o.kind === 'CronJob' && !o.spec?.suspend)
    .map((o) => ({
      name: o.metadata.name,
      schedule: o.spec.schedule,
      recoveryPointHours: longestCronGapHours(o.spec.schedule),
    }));
  const hasApi = objects.some(
    (o) =>
      (o.kind === 'Deployment' || o.kind === 'Rollout') &&
      o.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] === 'api',
  );
  const walArchiving = objects.some(
    (o) =>
      o.kind === 'Cluster' && (o.spec?.plugins ?? []).some((p: Json) => String(p.name).includes('barman')),
  );
  return {
    chart,
    level: profile?.number,
    namespace,
    objectsByKind: Object.fromEntries(Object.entries(objectsByKind).sort(([a], [b]) => a.localeCompare(b))),
    workloads: list,
    atMin,
    atMax,
    availabilityTarget: profile?.availabilityTarget,
    monthlyErrorBudgetMinutes: profile ? monthlyErrorBudgetMinutes(profile.availabilityTarget) : undefined,
    backups,
    walArchiving,
    flows: profile && namespace && hasApi ? allowedFlows(objects, profile, namespace) : [],
    flowsNotComputed:
      profile && namespace && hasApi
        ? undefined
        : `no Merlai API in the chart (no merlai.io/level label or ENVIRONMENT variable) to model the pods of ${
            objects.filter((o) => o.kind === 'NetworkPolicy').length
          } network policies`,
  };
}

/** Cores as Kubernetes writes them (`1.25`, `250m`). */
export function cores(v: number): string {
  const milli = Math.round(v * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes in binary units (`1.5Gi`, `768Mi`). */
export function binary(v: number): string {
  if (v >= 2 ** 30) return `${Math.round((v / 2 ** 30) * 100) / 100}Gi`;
  return `${Math.round((v / 2 ** 20) * 100) / 100}Mi`;
}

function totalsText(t: Totals): string {
  return `requests ${cores(t.cpuRequest)} CPU, ${binary(t.memoryRequest)}; limits ${cores(t.cpuLimit)} CPU, ${binary(t.memoryLimit)}`;
}

// Rounded to 0.01 % for a table (lib/observability/promql.ts percent keeps every digit a rule needs).
function percent(f: number): string {
  return `${Math.round(f * 10000) / 100} %`;
}

/** The summary as text (markdown-friendly). */
export function formatSummary(s: ChartSummary): string {
  const lines = [
    `## ${s.chart}${s.level ? ` (Level ${s.level})` : ''}${s.namespace ? `, namespace ${s.namespace}` : ''}`,
    '',
  ];
  lines.push(
    `objects: ${Object.entries(s.objectsByKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  if (s.availabilityTarget !== undefined) {
    lines.push(
      `availability target: ${percent(s.availabilityTarget)}; monthly error budget (30 days): ${s.monthlyErrorBudgetMinutes} min`,
    );
  }
  lines.push('', 'workloads (pods: min..max; per pod):');
  for (const w of s.workloads) {
    const count = w.min === w.max ? String(w.min) : `${w.min}..${w.max}`;
    lines.push(`  ${w.name}: ${count} (${w.scaling}); ${totalsText(w.pod)}`);
  }
  lines.push(
    '',
    `total at minimum scale: ${totalsText(s.atMin)}`,
    `total at maximum scale: ${totalsText(s.atMax)}`,
  );
  lines.push(
    '  (maximum: the autoscaler at its bound and one pod of each scheduled job; operators excluded)',
    '',
  );
  for (const b of s.backups) {
    const rpo =
      b.recoveryPointHours === undefined
        ? 'never runs'
        : `recovery point up to ${b.recoveryPointHours} h (the longest gap between dumps)`;
    lines.push(`backup ${b.name}: schedule "${b.schedule}" UTC; ${rpo}`);
  }
  if (s.walArchiving)
    lines.push(
      'continuous WAL archiving to an object store: point-in-time recovery (recovery point: minutes)',
    );
  if (s.flowsNotComputed)
    lines.push('', `flows the network policies allow: not computed: ${s.flowsNotComputed}`);
  else lines.push('', `flows the network policies allow (${s.flows.length}):`);
  for (const f of s.flows) lines.push(`  ${f}`);
  return `${lines.join('\n')}\n`;
}
