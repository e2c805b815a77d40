import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A value of synthesized JSON, read field by field. */
// biome-ignore lint/suspicious/noExplicitAny: synthesized objects are untyped JSON.
export type Json = any;

/** A Kubernetes object as synthesized (plain JSON, read from YAML or from `Testing.synth`). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: Json };
  [k: string]: Json;
};

/** The objects of one multi-document YAML text. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && typeof o.kind === 'string');
}

/** The charts of an output folder: file stem (`level1-dev`) → its objects, from `<stem>.k8s.yaml`. */
export function readCharts(dir: string): Map<string, KubeObject[]> {
  const charts = new Map<string, KubeObject[]>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.k8s.yaml')) continue;
    charts.set(file.slice(0, -'.k8s.yaml'.length), parseObjects(readFileSync(path.join(dir, file), 'utf8')));
  }
  return charts;
}

/** `Kind/namespace/name`, the identity of an object within an output. */
export function objectKey(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  return ns ? `${o.kind}/${ns}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}
