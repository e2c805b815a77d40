import { createHash } from 'node:crypto';
import { LEVEL_PROFILES } from '../lib/core/levels';
import { clusterModel } from './cluster-model';
import { type ModelPod, selectorMatches } from './network-policy';
import type { KubeObject } from './objects';
import { summarize } from './summary';

/** A node of the picture. */
interface Node {
  readonly id: string;
  readonly label: string;
  readonly shape: 'box' | 'cylinder' | 'ellipse' | 'component' | 'note';
  /** Inside the chart's namespace. */
  readonly inside: boolean;
}

/** An edge: routing (Ingress → Service → pods) or a flow the policies allow (with its ports). */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly kind: 'route' | 'flow';
}

/** What the picture shows, before it is written as DOT or Mermaid. */
export interface Picture {
  readonly title: string;
  readonly nodes: Node[];
  readonly edges: Edge[];
}

const EXTERNAL: Record<string, string> = {
  'ingress-controller': 'ingress-nginx',
  'kube-dns': 'cluster DNS',
  prometheus: 'Prometheus',
  'cnpg-operator': 'CloudNativePG operator',
  'redis-operator': 'redis-operator',
  'redis-operator-kustomize': 'redis-operator (kustomize install)',
  'node-local-dns': 'NodeLocal DNSCache',
  'api-server': 'Kubernetes API server',
  internet: 'outside the cluster',
  'other-team': 'other namespaces',
};

/** The workload behind each folded pod name, as the summary names it. */
function workloadOf(pod: string, objects: KubeObject[]): string | undefined {
  const component = { api: 'api', postgres: 'database', redis: 'cache', backup: 'backup', sentinel: 'cache' }[
    pod
  ];
  if (pod === 'sentinel') {
    const r = objects.find((o) => o.kind === 'RedisReplication');
    return r ? `RedisReplication/${r.metadata.name} (sentinel)` : undefined;
  }
  const o = objects.find(
    (x) =>
      ['Deployment', 'StatefulSet', 'CronJob', 'Cluster', 'RedisReplication', 'Rollout'].includes(x.kind) &&
      [x.metadata.labels, x.spec?.template?.metadata?.labels, x.spec?.inheritedMetadata?.labels].some(
        (labels) => labels?.['app.kubernetes.io/component'] === component,
      ),
  );
  return o ? `${o.kind}/${o.metadata.name}` : undefined;
}

const fold = (name: string) => name.replace(/-\d+$/, '');

/** The picture of one chart: its workloads, Services, Ingress, datastores and allowed flows. */
export function picture(chart: string, objects: KubeObject[]): Picture {
  const summary = summarize(chart, objects);
  const ns = summary.namespace ?? 'merlai';
  const nodes = new Map<string, Node>();
  const edges: Edge[] = [];
  const workloads = new Map(summary.workloads.map((w) => [w.name, w]));

  const profile = Object.values(LEVEL_PROFILES).find((p) => p.number === summary.level);
  const model = profile ? clusterModel(objects, profile, [], ns) : undefined;
  const merlaiPods = (model?.endpoints ?? []).filter(
    (e): e is ModelPod => e.kind === 'pod' && e.namespace === ns && e.name !== 'stray',
  );

  const addPod = (name: string) => {
    if (nodes.has(name)) return;
    const workload = workloadOf(name, objects);
    const w = workload ? workloads.get(workload) : undefined;
    const count = w ? (w.min === w.max ? `${w.min}` : `${w.min}–${w.max}`) : '';
    const pods = w
      ? w.scaling.startsWith('schedule')
        ? w.scaling
        : `${count} pod${count === '1' ? '' : 's'}`
      : '';
    const shape = name === 'postgres' || name === 'redis' ? 'cylinder' : 'box';
    nodes.set(name, {
      id: name,
      label: [name, workload, pods].filter(Boolean).join('\n'),
      shape,
      inside: true,
    });
  };
  for (const p of merlaiPods) addPod(fold(p.name));

  for (const svc of objects.filter((o) => o.kind === 'Service')) {
    const id = `svc:${svc.metadata.name}`;
    const ports = (svc.spec?.ports ?? []).map((p: { port: number }) => p.port).join(',');
    const external = svc.spec?.type === 'ExternalName' ? ` → ${svc.spec.externalName}` : '';
    nodes.set(id, {
      id,
      label: `Service ${svc.metadata.name}\n${svc.spec?.type ?? 'ClusterIP'} :${ports}${external}`,
      shape: 'ellipse',
      inside: true,
    });
    const selector = svc.spec?.selector;
    if (selector) {
      const targets = [
        ...new Set(
          merlaiPods
            .filter((p) => selectorMatches({ matchLabels: selector }, p.labels))
            .map((p) => fold(p.name)),
        ),
      ];
      for (const t of targets) edges.push({ from: id, to: t, label: '', kind: 'route' });
    }
  }
  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    const id = `ing:${ing.metadata.name}`;
    const hosts = (ing.spec?.rules ?? []).map((r: { host?: string }) => r.host).filter(Boolean);
    const tls = (ing.spec?.tls ?? []).length > 0 ? 'HTTPS' : 'HTTP';
    nodes.set(id, {
      id,
      label: `Ingress ${ing.metadata.name}\n${tls} ${hosts.join(', ')}`,
      shape: 'component',
      inside: true,
    });
    for (const r of ing.spec?.rules ?? []) {
      for (const p of r.http?.paths ?? []) {
        const name = p.backend?.service?.name;
        if (name) edges.push({ from: id, to: `svc:${name}`, label: p.path ?? '/', kind: 'route' });
      }
    }
    nodes.set('users', { id: 'users', label: 'users', shape: 'note', inside: false });
    edges.push({ from: 'users', to: 'ingress-controller', label: tls, kind: 'route' });
    edges.push({ from: 'ingress-controller', to: id, label: 'routes by', kind: 'route' });
  }

  // Flows the policies allow, one edge per pair with its ports.
  const ports = new Map<string, string[]>();
  for (const f of summary.flows) {
    const m = /^(\S+) -> (\S+):(\S+)$/.exec(f);
    if (!m) continue;
    const key = `${m[1]}\t${m[2]}`;
    ports.set(key, [...(ports.get(key) ?? []), m[3]]);
  }
  for (const [key, list] of ports) {
    const [from, to] = key.split('\t');
    for (const end of [from, to]) {
      if (!nodes.has(end)) {
        if (EXTERNAL[end]) nodes.set(end, { id: end, label: EXTERNAL[end], shape: 'box', inside: false });
        else if (end.includes('/'))
          nodes.set(end, { id: end, label: `addresses ${end}`, shape: 'box', inside: false });
        else addPod(end);
      }
    }
    // "53/TCP 53/UDP 5432/TCP" → "53 TCP+UDP, 5432"
    const byPort = new Map<string, string[]>();
    for (const entry of list) {
      const [port, protocol = 'TCP'] = entry.split('/');
      byPort.set(port, [...(byPort.get(port) ?? []), protocol]);
    }
    const label = [...byPort]
      .map(([port, protocols]) => (protocols.join() === 'TCP' ? port : `${port} ${protocols.join('+')}`))
      .join(', ');
    edges.push({ from, to, label, kind: 'flow' });
  }
  const title = `${chart}${summary.level ? ` (Level ${summary.level})` : ''}: namespace ${ns}`;
  return { title, nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)), edges };
}

function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Graphviz DOT text; its `comment` carries the hash of everything else, for freshness checks. */
export function toDot(p: Picture): string {
  const body: string[] = [];
  body.push(
    '  subgraph cluster_namespace {',
    `    label=${q(`namespace ${p.title.split('namespace ')[1]}`)};`,
    '    style=rounded; color="#4a6fa5";',
  );
  for (const n of p.nodes.filter((x) => x.inside))
    body.push(`    ${q(n.id)} [label=${q(n.label)}, shape=${n.shape}];`);
  body.push('  }');
  for (const n of p.nodes.filter((x) => !x.inside)) {
    body.push(`  ${q(n.id)} [label=${q(n.label)}, shape=${n.shape}, style=dashed];`);
  }
  for (const e of p.edges) {
    const style = e.kind === 'flow' ? 'color="#2e7d32", fontcolor="#2e7d32"' : 'color="#333333", style=bold';
    body.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}, ${style}];`);
  }
  const head = [
    `  label=${q(`${p.title}\nblack: routing; green: connections the network policies allow (ports)`)};`,
    '  labelloc=t; rankdir=LR; fontname="Helvetica"; fontsize=12;',
    '  node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=9];',
  ];
  const hash = createHash('sha256')
    .update([...head, ...body].join('\n'))
    .digest('hex')
    .slice(0, 16);
  return `digraph merlai {\n  comment=${q(`merlai-cdk8s graph ${hash}`)};\n${[...head, ...body].join('\n')}\n}\n`;
}

/** The hash `toDot` writes into the picture (and Graphviz into the SVG as a comment). */
export function dotHash(dot: string): string | undefined {
  return /merlai-cdk8s graph ([0-9a-f]{16})/.exec(dot)?.[1];
}

/** Mermaid flowchart text, for places without Graphviz (GitHub renders it in Markdown). */
export function toMermaid(p: Picture): string {
  const ids = new Map(p.nodes.map((n, i) => [n.id, `n${i}`]));
  const text = (s: string) => s.replace(/"/g, "'").replace(/\n/g, '<br/>');
  const shape = (n: Node) =>
    n.shape === 'cylinder'
      ? `[("${text(n.label)}")]`
      : n.shape === 'ellipse'
        ? `(["${text(n.label)}"])`
        : `["${text(n.label)}"]`;
  const lines = [
    'flowchart LR',
    `  %% ${p.title}`,
    `  subgraph ns["namespace ${p.title.split('namespace ')[1]}"]`,
  ];
  for (const n of p.nodes.filter((x) => x.inside)) lines.push(`    ${ids.get(n.id)}${shape(n)}`);
  lines.push('  end');
  for (const n of p.nodes.filter((x) => !x.inside)) lines.push(`  ${ids.get(n.id)}${shape(n)}`);
  for (const e of p.edges) {
    const arrow = e.kind === 'flow' ? '-.->' : '==>';
    lines.push(`  ${ids.get(e.from)} ${arrow}${e.label ? `|"${text(e.label)}"|` : ''} ${ids.get(e.to)}`);
  }
  return `${lines.join('\n')}\n`;
}
