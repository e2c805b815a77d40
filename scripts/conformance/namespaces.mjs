#!/usr/bin/env node
// Prints the Namespace objects to create before a level file is dry-run applied: `merlai` and
// every namespace the level's objects name, each with the labels of the level's own Namespace
// object when it has one, else Pod Security `restricted` for enforce, audit and warn.
// Usage: node namespaces.mjs LEVEL_FILE
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const RESTRICTED = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
};

export function namespacesFor(text) {
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o && typeof o === 'object' && o.kind);
  const labels = new Map([['merlai', null]]);
  for (const o of docs) {
    const ns = o.metadata?.namespace;
    if (ns && ns !== 'default' && !labels.has(ns)) labels.set(ns, null);
  }
  for (const o of docs) {
    if (o.kind === 'Namespace' && o.apiVersion === 'v1' && o.metadata?.name) {
      labels.set(o.metadata.name, { ...(o.metadata.labels ?? {}) });
    }
  }
  return [...labels].map(([name, l]) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: l ?? { ...RESTRICTED } },
  }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const out = namespacesFor(readFileSync(process.argv[2], 'utf8'));
  process.stdout.write(out.map((o) => stringify(o)).join('---\n'));
}
