import type { Json, KubeObject } from './objects';
import { objectKey } from './objects';

/** One changed field: a path such as `spec.template.spec.containers[merlai-api].image`. */
export interface FieldChange {
  readonly path: string;
  /** undefined when the field is new. */
  readonly old?: Json | undefined;
  /** undefined when the field was removed. */
  readonly new?: Json | undefined;
  /** Why Kubernetes refuses this change in place (the object must be replaced or migrated); undefined when it is allowed. */
  readonly immutable?: string | undefined;
}

/** One object that is new, gone or changed. */
export interface ObjectChange {
  readonly chart: string;
  readonly key: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly fields: readonly FieldChange[];
}

/** The semantic difference of two outputs, chart by chart. */
export interface OutputDiff {
  readonly charts: { readonly added: string[]; readonly removed: string[] };
  readonly objects: readonly ObjectChange[];
}

/** Whether the outputs differ at all. */
export function differs(d: OutputDiff): boolean {
  return d.charts.added.length > 0 || d.charts.removed.length > 0 || d.objects.length > 0;
}

/** The number of changes that Kubernetes cannot apply in place. */
export function immutableChanges(d: OutputDiff): FieldChange[] {
  return d.objects.flatMap((o) => o.fields.filter((f) => f.immutable));
}

const REPLACE = 'immutable: delete and recreate the object (plan a migration)';

/**
 * Fields the API server rejects changes to (Kubernetes API reference and validation code), by kind:
 * a path prefix, or a predicate on the change for fields that may only grow.
 */
const IMMUTABLE: Record<string, readonly (string | ((f: FieldChange) => string | undefined))[]> = {
  Deployment: ['spec.selector'],
  ReplicaSet: ['spec.selector'],
  DaemonSet: ['spec.selector'],
  Rollout: ['spec.selector'],
  StatefulSet: ['spec.selector', 'spec.volumeClaimTemplates', 'spec.serviceName', 'spec.podManagementPolicy'],
  Job: ['spec.selector', 'spec.template', 'spec.completionMode'],
  Service: ['spec.clusterIP', 'spec.clusterIPs'],
  PersistentVolumeClaim: [
    'spec.storageClassName',
    'spec.accessModes',
    'spec.volumeName',
    'spec.volumeMode',
    'spec.selector',
    (f) =>
      f.path === 'spec.resources.requests.storage' && shrinks(f)
        ? 'a claim can grow, never shrink'
        : undefined,
  ],
  RoleBinding: ['roleRef'],
  ClusterRoleBinding: ['roleRef'],
  // CloudNativePG rejects a smaller volume and a different storage class for existing instances.
  Cluster: [
    (f) =>
      f.path === 'spec.storage.size' && shrinks(f)
        ? 'CloudNativePG volumes can grow, never shrink'
        : undefined,
    'spec.storage.storageClass',
  ],
};

function shrinks(f: FieldChange): boolean {
  const before = bytes(f.old);
  const after = bytes(f.new);
  return before !== undefined && after !== undefined && after < before;
}

const UNITS: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};
function bytes(v: Json): number | undefined {
  const m = typeof v === 'string' ? /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(v) : undefined;
  return m ? Number(m[1]) * UNITS[m[2] ?? ''] : undefined;
}

function immutableReason(kind: string, f: FieldChange): string | undefined {
  for (const rule of IMMUTABLE[kind] ?? []) {
    if (typeof rule === 'function') {
      const why = rule(f);
      if (why) return why;
    } else if (f.path === rule || f.path.startsWith(`${rule}.`) || f.path.startsWith(`${rule}[`)) {
      return REPLACE;
    }
  }
  return undefined;
}

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The field lists match items by: `name` (containers, env, volumes, ports), else `key`, else position. */
function itemKey(a: Json[], b: Json[]): string | undefined {
  const unique = (items: Json[], k: string) => {
    const keys = items.map((i) => (isObject(i) ? i[k] : undefined));
    return keys.every((x) => typeof x === 'string') && new Set(keys).size === keys.length;
  };
  if (a.length + b.length === 0) return undefined;
  return ['name', 'key', 'mountPath', 'alert', 'record'].find((k) => unique(a, k) && unique(b, k));
}

function segment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `["${key}"]`;
}

/** Field-by-field differences of two JSON values; lists of named items are matched by name, not position. */
export function diffValues(a: Json, b: Json, at = ''): FieldChange[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => {
      const p = `${at}${segment(k)}`;
      if (!(k in a)) return [{ path: trim(p), new: b[k] }];
      if (!(k in b)) return [{ path: trim(p), old: a[k] }];
      return diffValues(a[k], b[k], p);
    });
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const k = itemKey(a, b);
    if (k) {
      const byKey = (list: Json[]) => new Map(list.map((i) => [i[k] as string, i]));
      const before = byKey(a);
      const after = byKey(b);
      const names = [...new Set([...before.keys(), ...after.keys()])];
      const changes = names.flatMap((n) => {
        const p = `${at}[${n}]`;
        if (!before.has(n)) return [{ path: trim(p), new: after.get(n) }];
        if (!after.has(n)) return [{ path: trim(p), old: before.get(n) }];
        return diffValues(before.get(n), after.get(n), p);
      });
      const order = (list: Json[]) =>
        list.map((i) => i[k]).filter((n: string) => before.has(n) && after.has(n));
      if (changes.length === 0 && JSON.stringify(order(a)) !== JSON.stringify(order(b))) {
        return [{ path: `${trim(at)} (order)`, old: a.map((i) => i[k]), new: b.map((i) => i[k]) }];
      }
      return changes;
    }
    if (
      a.every((x) => !isObject(x) && !Array.isArray(x)) &&
      b.every((x) => !isObject(x) && !Array.isArray(x))
    ) {
      return [{ path: trim(at), old: a, new: b }];
    }
    const n = Math.max(a.length, b.length);
    const changes: FieldChange[] = [];
    for (let i = 0; i < n; i++) {
      const p = `${at}[${i}]`;
      if (i >= a.length) changes.push({ path: trim(p), new: b[i] });
      else if (i >= b.length) changes.push({ path: trim(p), old: a[i] });
      else changes.push(...diffValues(a[i], b[i], p));
    }
    return changes;
  }
  return [{ path: trim(at), old: a, new: b }];
}

function trim(p: string): string {
  return p.startsWith('.') ? p.slice(1) : p;
}

/** The difference of one object's two versions, with immutable fields flagged. */
export function diffObject(before: KubeObject, after: KubeObject): FieldChange[] {
  return diffValues(before, after).map((f) => {
    const immutable = immutableReason(after.kind, f);
    return immutable ? { ...f, immutable } : f;
  });
}

/** The semantic difference of two outputs (chart id → objects). */
export function diffOutputs(base: Map<string, KubeObject[]>, head: Map<string, KubeObject[]>): OutputDiff {
  const objects: ObjectChange[] = [];
  for (const chart of [...new Set([...base.keys(), ...head.keys()])].sort()) {
    const before = new Map((base.get(chart) ?? []).map((o) => [objectKey(o), o]));
    const after = new Map((head.get(chart) ?? []).map((o) => [objectKey(o), o]));
    for (const [key, o] of after) {
      const old = before.get(key);
      if (!old) objects.push({ chart, key, change: 'added', fields: [] });
      else {
        const fields = diffObject(old, o);
        if (fields.length > 0) objects.push({ chart, key, change: 'changed', fields });
      }
    }
    for (const key of before.keys()) {
      if (!after.has(key)) objects.push({ chart, key, change: 'removed', fields: [] });
    }
  }
  return {
    charts: {
      added: [...head.keys()].filter((c) => !base.has(c)),
      removed: [...base.keys()].filter((c) => !head.has(c)),
    },
    objects,
  };
}

function value(v: Json): string {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function arrow(f: FieldChange): string {
  if (f.old === undefined) return `added ${value(f.new)}`;
  if (f.new === undefined) return `removed ${value(f.old)}`;
  return `${value(f.old)} → ${value(f.new)}`;
}

/** Plain text, one line per object and per field. */
export function formatText(d: OutputDiff): string {
  if (!differs(d)) return 'No differences.\n';
  const lines: string[] = [];
  for (const c of d.charts.added) lines.push(`+ chart ${c} (new)`);
  for (const c of d.charts.removed) lines.push(`- chart ${c} (removed)`);
  for (const o of d.objects) {
    const sign = o.change === 'added' ? '+' : o.change === 'removed' ? '-' : '~';
    lines.push(`${sign} ${o.chart}: ${o.key}${o.change === 'changed' ? '' : ` (${o.change})`}`);
    for (const f of o.fields) {
      lines.push(`    ${f.path}: ${arrow(f)}${f.immutable ? `  [MIGRATION NEEDED: ${f.immutable}]` : ''}`);
    }
  }
  const immutable = immutableChanges(d).length;
  lines.push(
    '',
    summaryLine(d) + (immutable ? `; ${immutable} immutable-field change(s) need a migration` : ''),
  );
  return `${lines.join('\n')}\n`;
}

function summaryLine(d: OutputDiff): string {
  const count = (c: string) => d.objects.filter((o) => o.change === c).length;
  return `${count('added')} added, ${count('removed')} removed, ${count('changed')} changed object(s)`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown for a pull-request comment: a summary, then a table per chart. */
export function formatMarkdown(d: OutputDiff): string {
  if (!differs(d)) return '### merlai-cdk8s diff\n\nNo differences in the synthesized manifests.\n';
  const out: string[] = ['### merlai-cdk8s diff', ''];
  const immutable = immutableChanges(d);
  out.push(`**${summaryLine(d)}**`, '');
  if (immutable.length > 0) {
    out.push(
      `> [!WARNING]\n> ${immutable.length} change(s) to immutable fields: the API server rejects them in place. Plan a migration (delete and recreate, or move the data).`,
      '',
    );
  }
  for (const c of d.charts.added) out.push(`- chart \`${c}\` is new`);
  for (const c of d.charts.removed) out.push(`- chart \`${c}\` is removed`);
  const charts = [...new Set(d.objects.map((o) => o.chart))];
  for (const chart of charts) {
    out.push(
      '',
      `#### \`${chart}\``,
      '',
      '| object | field | before → after | |',
      '| --- | --- | --- | --- |',
    );
    for (const o of d.objects.filter((x) => x.chart === chart)) {
      if (o.change !== 'changed') {
        out.push(`| \`${cell(o.key)}\` | | **${o.change}** | |`);
        continue;
      }
      for (const f of o.fields) {
        out.push(
          `| \`${cell(o.key)}\` | \`${cell(f.path)}\` | ${cell(arrow(f))} | ${f.immutable ? `⚠️ ${cell(f.immutable)}` : ''} |`,
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** JSON for tools. */
export function formatJson(d: OutputDiff): string {
  return `${JSON.stringify({ differs: differs(d), immutableChanges: immutableChanges(d).length, ...d }, null, 2)}\n`;
}
