import { oraclesAvailable, runOracle } from './support/oracles';
import { type PodTemplate, podSecurityViolations } from './support/pod-security';
import { compliantPod, POD_SECURITY_FIXTURES } from './support/pod-security-fixtures';
import { podTemplatesOf } from './support/pod-templates';
import { LEVELS, synthLevel } from './support/synth';

// The TypeScript checker against the reference: Kubernetes' own Pod Security Admission code
// (k8s.io/pod-security-admission v0.28, what a 1.28 API server runs), built from
// test/oracles/pod-security with the machine's Go. Every fixture and every pod of every level
// must get the same failing checks from both, at "baseline" and at "restricted".

const VERSION = 'v1.28';

interface OracleResult {
  id: string;
  baseline: string[];
  restricted: string[];
}

const sorted = (xs: readonly string[]) => [...xs].sort();

const operatorExamples: { id: string; pod: PodTemplate }[] = [
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pg' }, spec: { instances: 3 } },
  {
    apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
    kind: 'RedisCluster',
    metadata: { name: 'bare' },
    spec: { clusterSize: 3, redisExporter: { enabled: true } },
  },
  {
    apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
    kind: 'RedisReplication',
    metadata: { name: 'half-secured' },
    spec: {
      clusterSize: 2,
      podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      sentinel: { size: 3, securityContext: { allowPrivilegeEscalation: false } },
    },
  },
].flatMap((o) => podTemplatesOf(o).map((p) => ({ id: p.source, pod: p })));

const cases: { id: string; pod: PodTemplate }[] = [
  { id: 'compliant', pod: compliantPod() },
  ...POD_SECURITY_FIXTURES.map((f) => ({ id: `fixture: ${f.name}`, pod: f.pod })),
  ...operatorExamples,
  ...LEVELS.flatMap((level) =>
    synthLevel(level)
      .flatMap(podTemplatesOf)
      .map((p) => ({ id: `${level}: ${p.source}`, pod: p })),
  ),
];

(oraclesAvailable() ? describe : describe.skip)(
  'the "restricted" checker agrees with Kubernetes’ Pod Security Admission',
  () => {
    let results: Map<string, OracleResult>;

    beforeAll(() => {
      const input = cases.map(({ id, pod }) => ({ id, metadata: pod.metadata ?? {}, spec: pod.spec }));
      results = new Map(runOracle<OracleResult[]>('pod-security', [VERSION], input).map((r) => [r.id, r]));
    }, 900_000);

    test('the reference sees every fixture as the fixture says (so the fixtures are right)', () => {
      for (const f of POD_SECURITY_FIXTURES) {
        const r = results.get(`fixture: ${f.name}`)!;
        expect({ name: f.name, restricted: r.restricted, baseline: r.baseline }).toEqual({
          name: f.name,
          restricted: sorted(f.restricted),
          baseline: sorted(f.baseline),
        });
      }
    });

    test.each(cases.map((c) => [c.id, c]))('%s', (_id, c) => {
      const r = results.get(c.id)!;
      expect(sorted(podSecurityViolations(c.pod, 'restricted').map((v) => v.check))).toEqual(r.restricted);
      expect(sorted(podSecurityViolations(c.pod, 'baseline').map((v) => v.check))).toEqual(r.baseline);
    });
  },
);
