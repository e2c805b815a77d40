import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { AvailabilityLevel, DeploymentStrategy } from '../lib';
import { IN_CI } from './support/ci';
import { find, type KubeObject, synthLevel } from './support/synth';

// The canary's query evaluated by Prometheus' own engine (promtool, Debian's `prometheus` package,
// installed by .ci/run) on series shaped like ingress-nginx's: the gate must see the canary's errors
// and only them.
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool && IN_CI) throw new Error('promtool is missing under CI: .ci/run installs it');
const describePromtool = hasPromtool ? describe : describe.skip;

const NAMESPACE = 'merlai';
const METRIC = 'nginx_ingress_controller_requests';

/** The AnalysisTemplate's query with the Rollout's arguments filled in, as Argo Rollouts does. */
function canaryQuery(level: AvailabilityLevel): { query: string; maxErrorRatio: number; upstream: string } {
  const objects = synthLevel(level, { api: { strategy: DeploymentStrategy.canary() } });
  const template = find(objects, 'AnalysisTemplate', 'merlai-api-error-ratio');
  const args: Record<string, string> = {};
  for (const a of find(objects, 'Rollout', 'merlai-api').spec.strategy.canary.analysis.args as KubeObject[]) {
    args[a.name] = a.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? NAMESPACE : a.value;
  }
  const metric = template.spec.metrics[0];
  const query = (metric.provider.prometheus.query as string).replace(/\{\{args\.([a-z-]+)\}\}/g, (_, n) => {
    if (!(n in args)) throw new Error(`the Rollout passes no argument ${n}`);
    return args[n];
  });
  const threshold = /result\[0\] <= ([0-9.e-]+)$/.exec(metric.successCondition);
  if (!threshold) throw new Error(`unexpected condition ${metric.successCondition}`);
  return {
    query,
    maxErrorRatio: Number(threshold[1]),
    upstream: `${NAMESPACE}-${args['canary-service']}-${args['canary-port']}`,
  };
}

/**
 * Series of per-minute counter increments, as Prometheus stores ingress-nginx's behind the chart's
 * ServiceMonitor: the Ingress's namespace in exported_namespace, the controller's in namespace.
 */
function series(labels: Record<string, string>, perMinute: number) {
  const selector = Object.entries({
    namespace: 'ingress-nginx',
    exported_namespace: NAMESPACE,
    ingress: 'merlai-api',
    ...labels,
  })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return { series: `${METRIC}{${selector}}`, values: `0+${perMinute}x20` };
}

/**
 * Fails unless promtool evaluates `query` over `input`, at 10 minutes, to the one value `expected`,
 * or, with `expected` 'empty', to no sample at all, or with 'NaN' to one NaN.
 */
function evaluate(
  query: string,
  input: ReturnType<typeof series>[],
  expected: number | 'empty' | 'NaN',
): void {
  const test =
    expected === 'empty'
      ? { expr: `(${query})`, eval_time: '10m', exp_samples: [] }
      : expected === 'NaN'
        ? // Only NaN differs from itself: one sample kept, counted.
          {
            expr: `count((${query}) != (${query}))`,
            eval_time: '10m',
            exp_samples: [{ labels: '{}', value: 1 }],
          }
        : {
            expr: `abs((${query}) - ${expected}) < bool 1e-9`,
            eval_time: '10m',
            exp_samples: [{ labels: '{}', value: 1 }],
          };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-canary-'));
  try {
    const file = path.join(dir, 'test.yaml');
    writeFileSync(
      file,
      stringify({
        rule_files: [],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: input,
            // Within 1e-9, as promtool 2.42 compares floats exactly; an empty result fails too.
            promql_expr_test: [test],
          },
        ],
      }),
    );
    execFileSync('promtool', ['test', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool: ${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describePromtool('canary analysis query, evaluated by promtool', () => {
  const l3 = canaryQuery(AvailabilityLevel.PRODUCTION);
  const l2 = canaryQuery(AvailabilityLevel.STAGING);
  // Stable traffic with 10 % errors and another namespace's canary failing: neither is the canary's.
  const noise = [
    series({ status: '200' }, 900),
    series({ status: '500' }, 100),
    series({ exported_namespace: 'other', canary: l3.upstream, status: '503' }, 50),
  ];

  test('a canary answering 2 % of its requests with 5xx measures 0.02: fails Level 3, passes Level 2', () => {
    const canary = [
      series({ canary: l3.upstream, status: '200' }, 98),
      series({ canary: l3.upstream, status: '503' }, 2),
    ];
    evaluate(l3.query, [...noise, ...canary], 0.02);
    expect(0.02).toBeGreaterThan(l3.maxErrorRatio);
    expect(0.02).toBeLessThanOrEqual(l2.maxErrorRatio);
  });

  test('a canary with 0.4 % errors passes Level 3 (0.6 % allowed)', () => {
    const canary = [
      series({ canary: l3.upstream, status: '200' }, 996),
      series({ canary: l3.upstream, status: '500' }, 4),
    ];
    evaluate(l3.query, [...noise, ...canary], 0.004);
    // 6x the error budget of the guide's 99.9 % (README "Deployment strategies": Level 3, 0.6 %).
    expect(l3.maxErrorRatio).toBeCloseTo(0.006, 10);
    expect(0.004).toBeLessThanOrEqual(l3.maxErrorRatio);
  });

  test('a canary without a single 5xx measures 0, not an empty result', () => {
    evaluate(l3.query, [...noise, series({ canary: l3.upstream, status: '200' }, 50)], 0);
  });

  test('before the canary gets traffic the result is empty, not 0: no data is no success', () => {
    evaluate(l3.query, noise, 'empty');
  });

  test('a canary whose counters did not move in 5 minutes measures NaN, not 0', () => {
    evaluate(l3.query, [...noise, { ...series({ canary: l3.upstream, status: '200' }, 0) }], 'NaN');
  });

  test("the query filters on exported_namespace: series under the Ingress's namespace label alone do not count", () => {
    const relabelled = [
      series(
        { exported_namespace: 'ingress-nginx', namespace: NAMESPACE, canary: l3.upstream, status: '200' },
        98,
      ),
    ];
    evaluate(l3.query, [...noise, ...relabelled], 'empty');
  });

  test('Level 2 reads the same canary series', () => {
    expect(l2.query).toBe(l3.query);
    // 6x (the SRE workbook's 6h/30m burn rate) the error budget of the guide's 99.5 % (README
    // "Deployment strategies": Level 2, 3 %).
    expect(l2.maxErrorRatio).toBeCloseTo(0.03, 10);
  });
});
