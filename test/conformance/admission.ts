// The admission policies (lib/admission/policies.ts) on a real kube-apiserver: Level 3 as the app
// synthesizes it is applied for real, then its MerlaiAdmissionPolicies, then each hand edit the
// level forbids is tried and must be refused with the policy's message, and each harmless edit
// must pass. Run by scripts/conformance/run.sh through apiserver.sh (MERLAI_APISERVER_THEN) on
// Kubernetes 1.30 or later, with KUBECONFIG and KUBECTL set. Prints `ADMISSION <check> PASS|FAIL`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { Level3ProductionChart } from '../../lib';
import { MerlaiAdmissionPolicies } from '../../lib/admission/policies';
import { AvailabilityLevel, LEVEL_PROFILES } from '../../lib/core/levels';
import { exampleObjectStore, LEVEL3_CLUSTER_FACTS } from '../../main';

const kubectl = process.env.KUBECTL ?? 'kubectl';
const ns = 'merlai';
const tmp = mkdtempSync(path.join(tmpdir(), 'merlai-admission-'));
let failures = 0;

function k(args: string[], input?: string) {
  const r = spawnSync(kubectl, args, { encoding: 'utf8', input });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}
function must(what: string, args: string[], input?: string) {
  const r = k(args, input);
  if (!r.ok) throw new Error(`admission: ${what} failed: ${r.out}`);
  return r.out;
}
function refused(check: string, expected: RegExp, args: string[], input?: string) {
  const r = k(args, input);
  const ok = !r.ok && expected.test(r.out);
  if (!ok) failures++;
  console.log(
    `ADMISSION ${check} ${ok ? 'PASS' : 'FAIL'}: ${r.ok ? 'ACCEPTED' : 'refused'}: ${r.out.split('\n').slice(-1)[0]}`,
  );
}
function allowed(check: string, args: string[], input?: string) {
  const r = k(args, input);
  if (!r.ok) failures++;
  console.log(`ADMISSION ${check} ${r.ok ? 'PASS' : 'FAIL'}: ${r.ok ? 'accepted' : `refused: ${r.out}`}`);
}

// Level 3 as the app synthesizes it (main.ts's cluster facts and object store), with the chart's
// admissionPolicies on: what a user gets. MERLAI_ADMISSION_FIXTURE=weak-floor swaps in policies
// with a floor of 1, with which the check must fail.
const weak = process.env.MERLAI_ADMISSION_FIXTURE === 'weak-floor';
const app = new App({ outdir: tmp });
const level3 = new Level3ProductionChart(app, LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].chartId, {
  ...LEVEL3_CLUSTER_FACTS,
  datastores: { objectStore: exampleObjectStore(AvailabilityLevel.PRODUCTION) },
  admissionPolicies: !weak,
});
const isPolicy = (o: any) => /^ValidatingAdmissionPolicy/.test(o.kind);
const objects = level3.toJson();
const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
if (!hpa || !objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'merlai-api'))
  throw new Error('admission: Level 3 has no HPA or no merlai-api PDB');
const apiPdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'merlai-api');

const policiesChart = new Chart(new App(), 'policies');
if (weak) {
  new MerlaiAdmissionPolicies(policiesChart, 'level3', {
    level: AvailabilityLevel.PRODUCTION,
    namespace: ns,
    minReplicas: 1,
    autoscalerName: hpa.metadata.name,
  });
}
new MerlaiAdmissionPolicies(policiesChart, 'pinned', {
  level: AvailabilityLevel.PRODUCTION,
  namespace: 'merlai-pinned',
  requireImageDigests: true,
});
const toYaml = (list: any[]) => list.map((o) => `---\n${stringify(o)}`).join('');
writeFileSync(path.join(tmp, 'level3.yaml'), toYaml(objects.filter((o) => !isPolicy(o))));
writeFileSync(
  path.join(tmp, 'policies.yaml'),
  toYaml([...objects.filter(isPolicy), ...policiesChart.toJson()]),
);
must('applying Level 3', [
  'apply',
  '--server-side',
  '--force-conflicts',
  '-f',
  path.join(tmp, 'level3.yaml'),
]);
// The pod rules must hold even where Pod Security is not enforced: take the label off first (the
// namespace guard refuses that once the policies are in).
must('unlabelling', ['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce-']);
must('namespace merlai-pinned', ['create', 'namespace', 'merlai-pinned']);
// Pods need their service account; no controller manager makes `default` here.
for (const n of [ns, 'merlai-pinned']) k(['-n', n, 'create', 'serviceaccount', 'default']);
must('applying the policies', ['apply', '-f', path.join(tmp, 'policies.yaml')]);
// Type-checking of the policies' CEL against the schemas: the status controller that reports it
// runs in kube-controller-manager, which this API-server-only gate does not start; where a status
// is there (a full cluster), any warning fails.
const policies = JSON.parse(
  must('reading the policies', ['get', 'validatingadmissionpolicies', '-o', 'json']),
);
const warnings = policies.items.flatMap((p: any) =>
  (p.status?.typeChecking?.expressionWarnings ?? []).map(
    (w: any) => `${p.metadata.name}: ${w.fieldRef}: ${w.warning}`,
  ),
);
if (warnings.length) failures++;
console.log(
  `ADMISSION ${policies.items.length} policies installed; type-checking warnings: ${warnings.length}${warnings.length ? `\n  ${warnings.join('\n  ')}` : ''}`,
);
spawnSync('sleep', ['2']); // the policies reach the admission chain through an informer

const floor = LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].autoscaling?.minReplicas;
refused('scale below the floor', new RegExp(`may not run fewer than ${floor} replicas`), [
  '-n',
  ns,
  'scale',
  'deployment/merlai-api',
  '--replicas=1',
]);
allowed('scale to the floor', ['-n', ns, 'scale', 'deployment/merlai-api', `--replicas=${floor}`]);
allowed('scale above the floor', [
  '-n',
  ns,
  'scale',
  'deployment/merlai-api',
  `--replicas=${(floor ?? 3) + 1}`,
]);
refused('autoscaler minReplicas lowered', /may not be deleted, nor its minReplicas set below/, [
  '-n',
  ns,
  'patch',
  'hpa',
  hpa.metadata.name,
  '--type=merge',
  '-p',
  '{"spec":{"minReplicas":1}}',
]);
refused('autoscaler deleted', /may not be deleted/, ['-n', ns, 'delete', 'hpa', hpa.metadata.name]);
refused('API budget deleted', /PodDisruptionBudget merlai-api may not be deleted/, [
  '-n',
  ns,
  'delete',
  'pdb',
  'merlai-api',
]);
refused('API budget weakened', /must keep minAvailable of at least/, [
  '-n',
  ns,
  'patch',
  'pdb',
  'merlai-api',
  '--type=merge',
  '-p',
  '{"spec":{"minAvailable":1}}',
]);
refused('API budget turned into maxUnavailable', /must keep minAvailable of at least/, [
  '-n',
  ns,
  'patch',
  'pdb',
  'merlai-api',
  '--type=merge',
  '-p',
  '{"spec":{"minAvailable":null,"maxUnavailable":3}}',
]);
allowed('API budget strengthened', [
  '-n',
  ns,
  'patch',
  'pdb',
  'merlai-api',
  '--type=merge',
  '-p',
  JSON.stringify({ spec: { minAvailable: (apiPdb?.spec.minAvailable ?? 2) + 1 } }),
]);

const pod = (
  name: string,
  container: Record<string, unknown>,
  podSc: Record<string, unknown> = {},
  namespace = ns,
) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
        ...podSc,
      },
      containers: [
        {
          name: 'c',
          image: 'merlai:1.0.0',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          ...container,
        },
      ],
    },
  });
const create = ['create', '--dry-run=server', '-f', '-'];
allowed('a restricted pod', create, pod('ok', {}));
refused(
  'a privileged pod',
  /allowPrivilegeEscalation: false and not be privileged.*not: c/,
  create,
  pod('priv', { securityContext: { privileged: true, allowPrivilegeEscalation: true } }),
);
refused(
  'capabilities kept',
  /must drop ALL capabilities/,
  create,
  pod('caps', { securityContext: { allowPrivilegeEscalation: false } }),
);
refused('root allowed', /must run as non-root/, create, pod('root', {}, { runAsNonRoot: false }));
refused(
  'no seccomp profile',
  /seccomp profile RuntimeDefault or Localhost/,
  create,
  pod('seccomp', {}, { seccompProfile: null }),
);
refused(
  'an image without a digest (pinned namespace)',
  /must be pinned by digest.*not: merlai:1.0.0/,
  create,
  pod('tag', {}, {}, 'merlai-pinned'),
);
allowed(
  'an image with a digest (pinned namespace)',
  create,
  pod('digest', { image: `merlai@sha256:${'a'.repeat(64)}` }, {}, 'merlai-pinned'),
);

allowed('Pod Security set to restricted', [
  'label',
  'namespace',
  ns,
  'pod-security.kubernetes.io/enforce=restricted',
]);
refused('Pod Security relaxed', /must keep pod-security.kubernetes.io\/enforce: restricted/, [
  'label',
  'namespace',
  ns,
  'pod-security.kubernetes.io/enforce=baseline',
  '--overwrite',
]);

console.log(`ADMISSION ${failures ? 'FAIL' : 'PASS'}: ${failures} check(s) failed`);
process.exit(failures ? 1 : 0);
