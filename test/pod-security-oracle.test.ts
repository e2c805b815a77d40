import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type PodTemplate, podSecurityViolations } from './support/pod-security';
import { compliantPod, POD_SECURITY_FIXTURES } from './support/pod-security-fixtures';
import { podTemplatesOf } from './support/pod-templates';
import { LEVELS, synthLevel } from './support/synth';

// The TypeScript checker against the reference: Kubernetes' own Pod Security Admission code
// (k8s.io/pod-security-admission v0.28, what a 1.28 API server runs), built from
// test/oracles/pod-security with the machine's Go. Every fixture and every pod of every level
// must get the same failing checks from both, at "baseline" and at "restricted".

const ORACLE_DIR = path.join(__dirname, 'oracles', 'pod-security');
const VERSION = 'v1.28';
const haveGo = spawnSync('go', ['version']).status === 0;
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

if (!haveGo && ci) {
  throw new Error('CI: `go` is not on PATH; the Pod Security oracle needs it (install Go, see .ci/run)');
}

/** Builds the oracle once per source version into node_modules/.cache. */
function buildOracle(): string {
  const hash = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(path.join(ORACLE_DIR, f)));
  const cacheDir = path.join(__dirname, '..', 'node_modules', '.cache', 'merlai-cdk8s');
  const binary = path.join(cacheDir, `pod-security-oracle-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(binary)) {
    mkdirSync(cacheDir, { recursive: true });
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: ORACLE_DIR,
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return binary;
}

interface OracleResult {
  id: string;
  baseline: string[];
  restricted: string[];
}

function runOracle(binary: string, pods: { id: string; pod: PodTemplate }[]): Map<string, OracleResult> {
  const input = JSON.stringify(
    pods.map(({ id, pod }) => ({ id, metadata: pod.metadata ?? {}, spec: pod.spec })),
  );
  const out = execFileSync(binary, [VERSION], { input, encoding: 'utf8' });
  return new Map((JSON.parse(out) as OracleResult[]).map((r) => [r.id, r]));
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

(haveGo ? describe : describe.skip)(
  'the "restricted" checker agrees with Kubernetes’ Pod Security Admission',
  () => {
    let results: Map<string, OracleResult>;

    beforeAll(() => {
      results = runOracle(buildOracle(), cases);
    }, 300_000);

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

if (!haveGo) {
  test.skip('Pod Security oracle: skipped locally because `go` is not on PATH (it runs, and must pass, under CI)', () => {});
}
