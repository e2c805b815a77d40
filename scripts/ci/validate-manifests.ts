// Validates synthesized manifests with the project's own validators: every object against the
// Kubernetes schema (kubernetes-models) or its CRD (crds/), every pod it runs against Pod Security
// "restricted" v1.28. Usage: node -r esbuild-register scripts/ci/validate-manifests.ts <file.yaml>...
// Exits 1 on any finding (listed on stderr), 2 when given no object at all.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { schemaErrors } from '../../test/support/k8s-schema';
import { podSecurityViolations } from '../../test/support/pod-security';
import { podTemplatesOf } from '../../test/support/pod-templates';
import type { KubeObject } from '../../test/support/synth';

const findings: string[] = [];
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = doc.toJS() as KubeObject | null;
    if (!o) continue;
    count++;
    const where = `${file}: ${o.kind}/${o.metadata?.name}`;
    for (const e of schemaErrors(o)) findings.push(`${where}: schema: ${e}`);
    for (const pod of podTemplatesOf(o)) {
      for (const v of podSecurityViolations(pod, 'restricted')) {
        findings.push(`${where}: Pod Security restricted (${pod.source}): ${v.check}: ${v.detail}`);
      }
    }
  }
}
if (count === 0) {
  console.error('validate-manifests: no object found');
  process.exit(2);
}
for (const f of findings) console.error(f);
console.log(`validate-manifests: ${count} objects, ${findings.length} findings`);
process.exit(findings.length > 0 ? 1 : 0);
