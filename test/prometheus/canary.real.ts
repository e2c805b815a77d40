/**
 * The canary AnalysisTemplate's query, with the Rollout's arguments filled in as Argo Rollouts
 * does, evaluated by a real Prometheus 3 that scrapes a fake ingress-nginx controller through the
 * ingress-nginx chart's ServiceMonitor job. No data must never count as success.
 *
 * The measurement's phase follows Argo Rollouts' `evaluate.EvaluateResult` (utils/evaluate): a
 * vector result is passed as `result`, a list of its values; success when the success condition
 * holds, failure when the failure condition holds, Inconclusive when neither does. The conditions'
 * expr-lang syntax used here (`len(result) == 1 && result[0] <= x`) is evaluated by translating
 * `len(result)` to the list's length.
 */
import { AvailabilityLevel, DeploymentStrategy, LEVEL_PROFILES } from '../../lib';
import {
  exposition,
  FakeExporter,
  INGRESS_NGINX_SERVICE_MONITOR,
  Prometheus,
  prometheusBinaries,
  serviceMonitorScrapeConfig,
} from '../support/prometheus';
import { find, type KubeObject, synthLevel } from '../support/synth';
import { type Backend, type Phase, Traffic } from './ingress-nginx';

const binaries = prometheusBinaries();
const NS = 'merlai';

/** The AnalysisTemplate's metric with the Rollout's arguments filled in. */
function analysis(level: AvailabilityLevel) {
  const objects = synthLevel(level, { api: { strategy: DeploymentStrategy.canary() } });
  const metric = find(objects, 'AnalysisTemplate', 'merlai-api-error-ratio').spec.metrics[0];
  const args: Record<string, string> = {};
  for (const a of find(objects, 'Rollout', 'merlai-api').spec.strategy.canary.analysis.args as KubeObject[]) {
    args[a.name] = a.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? NS : a.value;
  }
  const fill = (text: string) =>
    text.replace(/\{\{args\.([a-z-]+)\}\}/g, (_, n) => {
      if (!(n in args)) throw new Error(`the Rollout passes no argument ${n}`);
      return args[n];
    });
  return {
    query: fill(metric.provider.prometheus.query as string),
    successCondition: metric.successCondition as string,
    failureCondition: metric.failureCondition as string | undefined,
    upstream: `${NS}-${args['canary-service']}-${args['canary-port']}`,
    service: args['canary-service'],
  };
}

function holds(condition: string, result: number[]): boolean {
  const js = condition.replace(/len\(result\)/g, 'result.length');
  if (!/^[\sresult.length\d[\]=<>&|!.e-]+$/.test(js.replace(/result/g, ''))) {
    throw new Error(`condition beyond what this test can evaluate: ${condition}`);
  }
  return new Function('result', `return (${js});`)(result) as boolean;
}

/** Argo Rollouts' measurement phase for `result` (evaluate.EvaluateResult). */
function phase(a: ReturnType<typeof analysis>, result: number[]): 'Successful' | 'Failed' | 'Inconclusive' {
  const success = holds(a.successCondition, result);
  const failure = a.failureCondition ? holds(a.failureCondition, result) : !success;
  if (failure) return 'Failed';
  return success ? 'Successful' : 'Inconclusive';
}

const l3 = analysis(AvailabilityLevel.PRODUCTION);
const maxRatio = 6 * (1 - LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].availabilityTarget);

/** Stable traffic with 10 % errors, and another namespace's canary failing: neither is the canary's. */
function noise(): Backend[] {
  const bad: Phase = { minutes: 10, rps: 20, errors: 0.1, slow: 0 };
  return [
    { namespace: NS, ingress: 'merlai-api', service: 'merlai-api', canary: '', phases: [bad] },
    { namespace: 'other', ingress: 'merlai-api', service: l3.service, canary: l3.upstream, phases: [bad] },
  ];
}

function canary(phases: Phase[]): Backend {
  return { namespace: NS, ingress: 'merlai-api', service: l3.service, canary: l3.upstream, phases };
}

interface Case {
  title: string;
  backends: Backend[];
  /** The query's values, `NaN` for NaN. */
  values: number[];
  phase: 'Successful' | 'Failed' | 'Inconclusive';
}

const CASES: Case[] = [
  {
    title: 'a canary answering 2 % with 5xx measures 0.02: Failed',
    backends: [...noise(), canary([{ minutes: 10, rps: 5000, errors: 0.02, slow: 0 }])],
    values: [0.02],
    phase: 'Failed',
  },
  {
    title: 'a canary without a single 5xx measures 0: Successful',
    backends: [...noise(), canary([{ minutes: 10, rps: 50, errors: 0, slow: 0 }])],
    values: [0],
    phase: 'Successful',
  },
  {
    title: 'no canary request yet (no series): an empty result, Inconclusive, not Successful',
    backends: noise(),
    values: [],
    phase: 'Inconclusive',
  },
  {
    title: 'canary counters that do not move: NaN, Inconclusive, not Successful',
    backends: [
      ...noise(),
      canary([
        { minutes: 10, rps: 50, errors: 0, slow: 0 },
        { minutes: 0, rps: 0, errors: 0, slow: 0 },
      ]),
    ],
    values: [Number.NaN],
    phase: 'Inconclusive',
  },
];

async function measure(c: Case): Promise<number[]> {
  const traffic = new Traffic(c.backends, Math.floor(Date.now() / 1000), 5);
  const exporter = await FakeExporter.start(() => exposition(traffic.families(Date.now() / 1000)));
  const prom = await Prometheus.start({
    binaries: binaries!,
    scrapeConfigs: [
      serviceMonitorScrapeConfig({ ...INGRESS_NGINX_SERVICE_MONITOR, address: exporter.address }),
    ],
  });
  try {
    // rate() needs two samples in the window; a few more make the ratio exact.
    await prom.waitForScrapes(5);
    return (await prom.query(l3.query)).map((s) => s.value);
  } finally {
    await prom.stop();
    await exporter.stop();
  }
}

(binaries ? describe : describe.skip)('canary analysis query on a real Prometheus 3 (Level 3)', () => {
  const results = new Map<string, Promise<number[]>>();
  beforeAll(() => {
    for (const c of CASES) results.set(c.title, measure(c));
  });

  test.each(CASES.map((c) => [c.title, c] as const))(
    '%s',
    async (_, c) => {
      const values = await results.get(c.title)!;
      expect(values).toHaveLength(c.values.length);
      values.forEach((v, i) => {
        if (Number.isNaN(c.values[i])) expect(v).toBeNaN();
        else expect(v).toBeCloseTo(c.values[i], 3);
      });
      expect(phase(l3, values)).toBe(c.phase);
    },
    120_000,
  );

  test('the thresholds: 0.6 % at Level 3', () => {
    expect(phase(l3, [maxRatio * 0.99])).toBe('Successful');
    expect(phase(l3, [maxRatio * 1.01])).toBe('Failed');
    // The old condition, `isNaN(result[0]) || result[0] <= x` with `or vector(0)`, called these successes.
    expect(phase(l3, [])).toBe('Inconclusive');
    expect(phase(l3, [Number.NaN])).toBe('Inconclusive');
  });
});
