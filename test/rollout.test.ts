import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import {
  AvailabilityLevel,
  type CanaryOptions,
  CanaryStep,
  DeploymentStrategy,
  errorRatio,
  LEVEL_PROFILES,
  MerlaiApi,
  type MerlaiApiProps,
  type MerlaiLevelChartProps,
  PreStopPause,
} from '../lib';
import { errorRatioOrZero } from '../lib/observability/sli';
import { availability, availabilityViolations } from './support/availability';
import { schemaErrors } from './support/k8s-schema';
import { find, type KubeObject, LEVELS, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

const STRATEGIES: Record<string, () => DeploymentStrategy> = {
  rollingUpdate: () => DeploymentStrategy.rollingUpdate(),
  blueGreen: () => DeploymentStrategy.blueGreen(),
  canary: () => DeploymentStrategy.canary(),
};

/** Chart props choosing a strategy; Level 1 has no Ingress by default and the canary needs one. */
function withStrategy(level: AvailabilityLevel, strategy: string): MerlaiLevelChartProps {
  const ingress = level === DEVELOPMENT && strategy === 'canary' ? { host: 'merlai.localhost' } : undefined;
  return { api: { strategy: STRATEGIES[strategy](), ...(ingress ? { ingress } : {}) } };
}

const CASES = LEVELS.flatMap((level) => Object.keys(STRATEGIES).map((s) => [level, s] as const));

const clone = (objects: KubeObject[]): KubeObject[] => structuredClone(objects);

/**
 * Ready API pods each level keeps through rollouts and drains. Level 3: the guide's
 * k8s/production-deployment.yaml (section 可用性要件別設定 › Level 3) runs 3 replicas with
 * maxUnavailable 1, so 2 stay ready. Level 2: README "Deployment strategies and disruptions"
 * (1 of the guide's 2 replicas). Level 1 (99 %, one pod): a drain may stop it (README, the levels).
 */
const MIN_READY: Record<AvailabilityLevel, number> = { [DEVELOPMENT]: 0, [STAGING]: 1, [PRODUCTION]: 2 };
const required = (level: AvailabilityLevel) => MIN_READY[level];

describe('the levels require what the guide asks', () => {
  test('minimum ready API pods: Level 1 none, Level 2 1, Level 3 2 (the level table says the same)', () => {
    for (const level of LEVELS)
      expect([level, LEVEL_PROFILES[level].minReadyApiPods]).toEqual([level, MIN_READY[level]]);
  });
});

describe.each(CASES)('%s with %s', (level, strategy) => {
  const objects = synthLevel(level, withStrategy(level, strategy));
  const report = availability(objects);

  test('every object is valid against its schema (Rollout and AnalysisTemplate against their CRDs)', () => {
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test(`availability invariant: a rollout and a node drain each keep at least ${required(level)} ready API pods`, () => {
    expect(availabilityViolations(report, required(level))).toEqual([]);
  });

  if (strategy !== 'blueGreen') {
    test('a drain during a rollout keeps the ready pods too', () => {
      expect(report.drainDuringRolloutFloor).toBeGreaterThanOrEqual(required(level));
    });
  }

  test('the autoscaler (if any) scales the workload that owns the pods', () => {
    const owner = strategy === 'rollingUpdate' ? 'Deployment' : 'Rollout';
    expect(report.workload).toBe(`${owner}/merlai-api`);
    for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler'))
      expect(hpa.spec.scaleTargetRef.kind).toBe(owner);
  });
});

describe('the availability check bites on broken objects', () => {
  const l3 = synthLevel(PRODUCTION);
  const l2 = synthLevel(STAGING);

  function broken(objects: KubeObject[], level: AvailabilityLevel, edit: (o: KubeObject[]) => void) {
    const copy = clone(objects);
    edit(copy);
    return availabilityViolations(availability(copy), required(level)).join('\n');
  }

  test('the unbroken objects pass (so the failures below come from the edits)', () => {
    expect(availabilityViolations(availability(l3), 2)).toEqual([]);
    expect(availabilityViolations(availability(l2), 1)).toEqual([]);
  });

  test('Level 3 rolling update with maxUnavailable 2', () => {
    const out = broken(l3, PRODUCTION, (o) => {
      find(o, 'Deployment', 'merlai-api').spec.strategy.rollingUpdate.maxUnavailable = 2;
    });
    expect(out).toMatch(/a rollout can leave 1 ready pods; the level needs 2/);
  });

  test('Level 3 Recreate strategy', () => {
    const out = broken(l3, PRODUCTION, (o) => {
      find(o, 'Deployment', 'merlai-api').spec.strategy = { type: 'Recreate' };
    });
    expect(out).toMatch(/a rollout can leave 0 ready pods/);
  });

  test('Level 3 without a disruption budget', () => {
    const out = broken(l3, PRODUCTION, (o) => {
      o.splice(o.indexOf(find(o, 'PodDisruptionBudget', 'merlai-api')), 1);
    });
    expect(out).toMatch(/a node drain can leave 0 ready pods; the level needs 2/);
  });

  test('Level 3 budget whose selector matches no API pod', () => {
    const out = broken(l3, PRODUCTION, (o) => {
      find(o, 'PodDisruptionBudget', 'merlai-api').spec.selector.matchLabels = { app: 'merlai' };
    });
    expect(out).toMatch(/a node drain can leave 0 ready pods/);
  });

  test('Level 3 budget as a percentage that rounds below the floor', () => {
    const out = broken(l3, PRODUCTION, (o) => {
      find(o, 'PodDisruptionBudget', 'merlai-api').spec.minAvailable = '50%';
    });
    // 50 % of 3 rounds up to 2: still fine. 30 % rounds up to 1: not.
    expect(out).toBe('');
    const low = broken(l3, PRODUCTION, (o) => {
      find(o, 'PodDisruptionBudget', 'merlai-api').spec.minAvailable = '30%';
    });
    expect(low).toMatch(/a node drain can leave 1 ready pods; the level needs 2/);
  });

  test('Level 2 budget that blocks every drain (minAvailable = replicas)', () => {
    const out = broken(l2, STAGING, (o) => {
      find(o, 'PodDisruptionBudget', 'merlai-api').spec.minAvailable = 2;
    });
    expect(out).toMatch(/allows no eviction at 2 pods: every node drain would hang/);
  });

  test('two budgets selecting the same pods', () => {
    const out = broken(l2, STAGING, (o) => {
      const extra = clone([find(o, 'PodDisruptionBudget', 'merlai-api')])[0];
      extra.metadata.name = 'merlai-api-extra';
      o.push(extra);
    });
    expect(out).toMatch(/2 PodDisruptionBudgets select the API's pods/);
  });

  test('Level 3 canary whose autoscaler still targets the Deployment', () => {
    const canary = synthLevel(PRODUCTION, withStrategy(PRODUCTION, 'canary'));
    const out = broken(canary, PRODUCTION, (o) => {
      find(o, 'HorizontalPodAutoscaler', 'merlai-api-hpa').spec.scaleTargetRef = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'merlai-api',
      };
    });
    expect(out).toMatch(/targets Deployment\/merlai-api, but Rollout\/merlai-api owns the pods/);
    expect(out).toMatch(/a rollout can leave 1 ready pods/);
  });

  test('Level 3 canary without traffic routing and maxUnavailable 2', () => {
    const canary = synthLevel(PRODUCTION, withStrategy(PRODUCTION, 'canary'));
    const out = broken(canary, PRODUCTION, (o) => {
      const c = find(o, 'Rollout', 'merlai-api').spec.strategy.canary;
      delete c.trafficRouting;
      c.maxUnavailable = 2;
    });
    expect(out).toMatch(/a rollout can leave 1 ready pods/);
  });

  test('Level 2 blue-green Rollout that lost its replica count', () => {
    const bg = synthLevel(STAGING, withStrategy(STAGING, 'blueGreen'));
    const out = broken(bg, STAGING, (o) => {
      delete find(o, 'Rollout', 'merlai-api').spec.replicas;
    });
    expect(out).toMatch(/allows no eviction at 1 pods/);
  });

  test('Rollout that never scales the Deployment down', () => {
    const bg = synthLevel(STAGING, withStrategy(STAGING, 'blueGreen'));
    const out = broken(bg, STAGING, (o) => {
      find(o, 'Rollout', 'merlai-api').spec.workloadRef.scaleDown = 'never';
    });
    expect(out).toMatch(/never scales Deployment\/merlai-api down/);
  });

  test('a drain during a blue-green rollout: the budget counts the idle preview pods', () => {
    // The documented limit of any PodDisruptionBudget under blue-green: the preview pods it counts
    // serve no traffic, so keep the pre-promotion window short (autoPromotionDelay) or hold drains.
    const bg = availability(synthLevel(PRODUCTION, withStrategy(PRODUCTION, 'blueGreen')));
    expect(bg.drainDuringRolloutFloor).toBeLessThan(bg.drainFloor);
  });
});

describe('rolling update (the default)', () => {
  test('keeps the Deployment as the only workload and loads no Argo Rollouts object', () => {
    for (const level of LEVELS) {
      const kinds = synthLevel(level).map((o) => o.kind);
      expect(kinds).toContain('Deployment');
      expect(kinds).not.toContain('Rollout');
      expect(kinds).not.toContain('AnalysisTemplate');
    }
  });

  test('takes maxUnavailable and maxSurge within the level floor', () => {
    const objects = synthLevel(PRODUCTION, {
      api: { strategy: DeploymentStrategy.rollingUpdate({ maxUnavailable: 0, maxSurge: 2 }) },
    });
    expect(find(objects, 'Deployment', 'merlai-api').spec.strategy.rollingUpdate).toEqual({
      maxUnavailable: 0,
      maxSurge: 2,
    });
  });

  test('the synth path never loads the Argo Rollouts bindings; a canary chart does', () => {
    const root = path.resolve(__dirname, '..');
    // One fresh Node process (jest's module registry hides require.cache): build the app, count the
    // loaded binding files, then add a canary chart and count again.
    // Argo's bindings only: the datastores of Levels 2 and 3 load their own operators' bindings.
    const count = `Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(path.join(root, 'imports', 'argo-'))})).length`;
    const script = `
      const app = require('./main').buildApp(require('node:os').tmpdir());
      const before = ${count};
      const l = require('./lib');
      const facts = require('./main').LEVEL3_CLUSTER_FACTS;
      new l.Level3ProductionChart(app, 'canary', {
        ...facts,
        api: { ...facts.api, strategy: l.DeploymentStrategy.canary() },
        datastores: { localBackupsOnly: true },
      });
      console.log(JSON.stringify([before, ${count}]));`;
    const out = execFileSync(process.execPath, ['-r', 'esbuild-register', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([0, 2]);
  });
});

describe('blue-green', () => {
  const objects = synthLevel(PRODUCTION, withStrategy(PRODUCTION, 'blueGreen'));
  const rollout = find(objects, 'Rollout', 'merlai-api');

  test('an Argo Rollouts Rollout takes the pod template from the Deployment and scales it down progressively', () => {
    expect(rollout.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(rollout.spec.workloadRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'merlai-api',
      scaleDown: 'progressively',
    });
    expect(rollout.spec).not.toHaveProperty('template');
    expect(rollout.spec.selector.matchLabels).toEqual(
      find(objects, 'Deployment', 'merlai-api').spec.template.metadata.labels,
    );
    expect(find(objects, 'Deployment', 'merlai-api').spec).not.toHaveProperty('replicas');
  });

  test('active Service merlai-api (behind the Ingress) and preview Service merlai-api-preview', () => {
    expect(rollout.spec.strategy.blueGreen).toMatchObject({
      activeService: 'merlai-api',
      previewService: 'merlai-api-preview',
    });
    const preview = find(objects, 'Service', 'merlai-api-preview');
    expect(preview.spec.selector).toEqual(find(objects, 'Service', 'merlai-api').spec.selector);
    expect(find(objects, 'Ingress', 'merlai-api').spec.rules[0].http.paths[0].backend.service.name).toBe(
      'merlai-api',
    );
  });

  test('promotion: manual by default, automatic after a delay on request; old pods kept 30 s', () => {
    expect(rollout.spec.strategy.blueGreen).toMatchObject({
      autoPromotionEnabled: false,
      scaleDownDelaySeconds: 30,
    });
    const auto = synthLevel(STAGING, {
      api: {
        strategy: DeploymentStrategy.blueGreen({
          autoPromotionDelay: Duration.minutes(2),
          scaleDownDelay: Duration.minutes(1),
          previewReplicas: 1,
        }),
      },
    });
    expect(find(auto, 'Rollout', 'merlai-api').spec.strategy.blueGreen).toMatchObject({
      autoPromotionEnabled: true,
      autoPromotionSeconds: 120,
      scaleDownDelaySeconds: 60,
      previewReplicaCount: 1,
    });
  });

  test('Level 3: the autoscaler scales the Rollout, which has no fixed replicas', () => {
    expect(find(objects, 'HorizontalPodAutoscaler', 'merlai-api-hpa').spec.scaleTargetRef).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'merlai-api',
    });
    expect(rollout.spec).not.toHaveProperty('replicas');
  });

  test('Level 2: the Rollout keeps the fixed 2 replicas', () => {
    const l2 = synthLevel(STAGING, withStrategy(STAGING, 'blueGreen'));
    expect(find(l2, 'Rollout', 'merlai-api').spec.replicas).toBe(2);
  });
});

describe('canary', () => {
  const objects = synthLevel(PRODUCTION, withStrategy(PRODUCTION, 'canary'));
  const canary = find(objects, 'Rollout', 'merlai-api').spec.strategy.canary;
  const template = find(objects, 'AnalysisTemplate', 'merlai-api-error-ratio');
  const metric = template.spec.metrics[0];

  test('ingress-nginx splits traffic between stable merlai-api and canary merlai-api-canary', () => {
    expect(canary).toMatchObject({
      stableService: 'merlai-api',
      canaryService: 'merlai-api-canary',
      trafficRouting: { nginx: { stableIngress: 'merlai-api' } },
    });
    expect(find(objects, 'Service', 'merlai-api-canary').spec.ports).toEqual(
      find(objects, 'Service', 'merlai-api').spec.ports,
    );
  });

  test('default steps: 10, 25, 50 % of traffic, each held 5 minutes', () => {
    expect(canary.steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: '5m' } },
      { setWeight: 25 },
      { pause: { duration: '5m' } },
      { setWeight: 50 },
      { pause: { duration: '5m' } },
    ]);
  });

  test('custom steps, including a pause that waits for a manual promotion', () => {
    const custom = synthLevel(STAGING, {
      api: {
        strategy: DeploymentStrategy.canary({
          steps: [
            CanaryStep.trafficWeight(20),
            CanaryStep.pause(Duration.seconds(90)),
            CanaryStep.trafficWeight(100),
            CanaryStep.pause(),
          ],
        }),
      },
    });
    expect(find(custom, 'Rollout', 'merlai-api').spec.strategy.canary.steps).toEqual([
      { setWeight: 20 },
      { pause: { duration: '90s' } },
      { setWeight: 100 },
      { pause: {} },
    ]);
  });

  test('a background analysis measures the canary backend of the Ingress, in the Rollout’s namespace', () => {
    expect(canary.analysis).toEqual({
      templates: [{ templateName: 'merlai-api-error-ratio' }],
      args: [
        { name: 'namespace', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'ingress', value: 'merlai-api' },
        { name: 'canary-service', value: 'merlai-api-canary' },
        { name: 'canary-port', value: 'http' },
      ],
    });
    expect(template.spec.args.map((a: KubeObject) => a.name)).toEqual(
      canary.analysis.args.map((a: KubeObject) => a.name),
    );
  });

  test('the analysis reads the same error ratio as the SLO rules (lib/sli.ts), over 5 minutes, with no `or vector(0)`', () => {
    const scope = {
      namespace: '{{args.namespace}}',
      ingress: '{{args.ingress}}',
      canary: '{{args.namespace}}-{{args.canary-service}}-{{args.canary-port}}',
    };
    expect(metric.provider.prometheus.query).toBe(errorRatioOrZero(scope, '5m'));
    // The numerator and denominator are the SLO rules' (errorRatio), on exported_namespace.
    const [errors, total] = errorRatio(scope, '5m').split(' / ');
    expect(metric.provider.prometheus.query).toBe(`(${errors} or 0 * ${total}) / ${total}`);
    expect(metric.provider.prometheus.query).toContain('exported_namespace="{{args.namespace}}"');
    expect(metric.provider.prometheus.query).not.toContain('vector(0)');
    expect(metric.provider.prometheus.address).toBe('http://prometheus-operated.monitoring.svc:9090');
    expect(metric).toMatchObject({ interval: '1m', failureLimit: 2 });
  });

  test('no data meets neither condition (Inconclusive: the Rollout pauses), never success', () => {
    expect(metric.successCondition).toMatch(/^len\(result\) == 1 && result\[0\] <= [0-9.e-]+$/);
    expect(metric.failureCondition).toMatch(/^len\(result\) == 1 && result\[0\] > [0-9.e-]+$/);
    expect(metric.successCondition).not.toContain('isNaN');
  });

  /**
   * 6x the error budget rate: the SRE workbook's 6x burn rate (chapter "Alerting on SLOs", the
   * 6h/30m window), on the guide's targets 99 %, 99.5 %, 99.9 % (section 可用性要件別設定);
   * README "Deployment strategies": Level 3 0.6 %, Level 2 3 %.
   */
  const CANARY_MAX_ERROR_RATIO: Record<AvailabilityLevel, number> = {
    [DEVELOPMENT]: 0.06,
    [STAGING]: 0.03,
    [PRODUCTION]: 0.006,
  };

  test.each(LEVELS)('%s: the error ratio threshold is 6x the error budget rate of the level', (level) => {
    const props = withStrategy(level, 'canary');
    const t = find(synthLevel(level, props), 'AnalysisTemplate', 'merlai-api-error-ratio');
    const m = /^len\(result\) == 1 && result\[0\] <= ([0-9.e-]+)$/.exec(t.spec.metrics[0].successCondition);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(CANARY_MAX_ERROR_RATIO[level], 10);
    expect(t.spec.metrics[0].failureCondition).toBe(`len(result) == 1 && result[0] > ${m![1]}`);
  });

  test('the namespace label follows ingressNamespaceLabel; a bad one is a synth error', () => {
    const honoured = synthLevel(PRODUCTION, {
      api: { strategy: DeploymentStrategy.canary({ ingressNamespaceLabel: 'namespace' }) },
    });
    const q = find(honoured, 'AnalysisTemplate', 'merlai-api-error-ratio').spec.metrics[0].provider.prometheus
      .query;
    expect(q).toContain('{namespace="{{args.namespace}}"');
    expect(q).not.toContain('exported_namespace');
    expect(() =>
      synthLevel(PRODUCTION, {
        api: { strategy: DeploymentStrategy.canary({ ingressNamespaceLabel: 'a-b' }) },
      }),
    ).toThrow(/'strategy.ingressNamespaceLabel' is 'a-b'; expected a Prometheus label name/);
  });

  test('a stricter burn rate and another Prometheus on request', () => {
    const custom = synthLevel(PRODUCTION, {
      api: {
        strategy: DeploymentStrategy.canary({
          maxBurnRate: 2,
          prometheusAddress: 'https://prometheus.example.com',
          analysisInterval: Duration.seconds(30),
        }),
      },
    });
    const m = find(custom, 'AnalysisTemplate', 'merlai-api-error-ratio').spec.metrics[0];
    expect(m.successCondition).toBe('len(result) == 1 && result[0] <= 0.002');
    expect(m.provider.prometheus.address).toBe('https://prometheus.example.com');
    expect(m.interval).toBe('30s');
  });
});

describe('level 3 placement: spread over zones and nodes', () => {
  const pod = find(synthLevel(PRODUCTION), 'Deployment', 'merlai-api').spec.template.spec;
  const labels = find(synthLevel(PRODUCTION), 'Deployment', 'merlai-api').spec.selector;

  test('topologySpreadConstraints over topology.kubernetes.io/zone and kubernetes.io/hostname, per revision', () => {
    const byKey = Object.fromEntries(
      pod.topologySpreadConstraints.map((c: KubeObject) => [c.topologyKey, c]),
    );
    expect(Object.keys(byKey).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    // README "Deployment strategies and disruptions": zones DoNotSchedule, nodes ScheduleAnyway.
    // maxSkew 1, the tightest spread Kubernetes allows (topologySpreadConstraints: maxSkew > 0):
    // 3 pods over 3 zones land one per zone. Kubernetes' default nodeTaintsPolicy (Ignore) would
    // count a dead zone's tainted nodes, and DoNotSchedule would then keep the lost pods'
    // replacements Pending.
    expect(byKey['topology.kubernetes.io/zone']).toMatchObject({
      maxSkew: 1,
      whenUnsatisfiable: 'DoNotSchedule',
      nodeTaintsPolicy: 'Honor',
    });
    expect(byKey['kubernetes.io/hostname']).toMatchObject({
      maxSkew: 1,
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    for (const c of pod.topologySpreadConstraints) {
      expect(c.labelSelector).toEqual(labels);
      expect(c.matchLabelKeys).toEqual(['pod-template-hash', 'rollouts-pod-template-hash']);
    }
  });

  test('preferred pod anti-affinity on kubernetes.io/hostname', () => {
    expect(pod.affinity.podAntiAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: labels },
        },
      ],
    });
  });

  test('level 1 leaves placement to the scheduler', () => {
    const spec = find(synthLevel(DEVELOPMENT), 'Deployment', 'merlai-api').spec.template.spec;
    expect(spec).not.toHaveProperty('topologySpreadConstraints');
    expect(spec).not.toHaveProperty('affinity');
  });

  test("the chart's priority class (issue 27), or the API's own", () => {
    expect(pod.priorityClassName).toBe('merlai-production');
    const withClass = synthLevel(PRODUCTION, { api: { priorityClassName: 'merlai-critical' } });
    expect(find(withClass, 'Deployment', 'merlai-api').spec.template.spec.priorityClassName).toBe(
      'merlai-critical',
    );
  });
});

describe('graceful shutdown behind ingress-nginx', () => {
  const container = (objects: KubeObject[]) =>
    find(objects, 'Deployment', 'merlai-api').spec.template.spec.containers[0];
  const pod = (objects: KubeObject[]) => find(objects, 'Deployment', 'merlai-api').spec.template.spec;

  test.each([STAGING, PRODUCTION])(
    '%s: preStop pauses in the image’s Python, within a longer grace period',
    (level) => {
      const objects = synthLevel(level);
      // README "Deployment strategies and disruptions": a 10 s pause within a 60 s grace period
      // (more than Kubernetes' default 30 s, which the pause would otherwise eat into).
      expect(container(objects).lifecycle).toEqual({
        preStop: { exec: { command: ['python3', '-c', 'import time; time.sleep(10)'] } },
      });
      expect(pod(objects).terminationGracePeriodSeconds).toBe(60);
    },
  );

  test('the synthesized Python pause runs and lasts its duration (python3 on this machine)', () => {
    const objects = synthLevel(PRODUCTION, {
      api: { preStopPause: PreStopPause.pythonSleep(Duration.seconds(1)) },
    });
    const [cmd, ...args] = container(objects).lifecycle.preStop.exec.command;
    const start = Date.now();
    execFileSync(cmd, args);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000);
  });

  test('level 1: no pause, Kubernetes’ default grace period', () => {
    const objects = synthLevel(DEVELOPMENT);
    expect(container(objects)).not.toHaveProperty('lifecycle');
    expect(pod(objects)).not.toHaveProperty('terminationGracePeriodSeconds');
  });

  test('a command of the image, or no pause, on request', () => {
    const cmd = synthLevel(PRODUCTION, {
      api: {
        preStopPause: PreStopPause.command(['sleep', '15'], Duration.seconds(15)),
        terminationGracePeriod: Duration.seconds(90),
      },
    });
    expect(container(cmd).lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '15'] } } });
    expect(pod(cmd).terminationGracePeriodSeconds).toBe(90);
    const none = synthLevel(PRODUCTION, { api: { preStopPause: PreStopPause.none() } });
    expect(container(none)).not.toHaveProperty('lifecycle');
  });
});

describe('bad input: strategies, budgets and shutdown', () => {
  // MerlaiApi alone has no Ingress; the canary needs one.
  const canary = (options: CanaryOptions): Partial<MerlaiApiProps> => ({
    strategy: DeploymentStrategy.canary(options),
    ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' },
  });
  const cases: Array<[string, AvailabilityLevel, Partial<MerlaiApiProps>, RegExp]> = [
    [
      'canary weights not increasing',
      PRODUCTION,
      canary({ steps: [CanaryStep.trafficWeight(25), CanaryStep.pause(), CanaryStep.trafficWeight(10)] }),
      /'strategy\.steps\[2\]\.setWeight' is 10; expected more than the previous weight \(25\)/,
    ],
    [
      'canary weight over 100',
      PRODUCTION,
      canary({ steps: [CanaryStep.trafficWeight(120)] }),
      /'strategy\.steps\[0\]\.setWeight' is 120; expected an integer percentage between 1 and 100/,
    ],
    [
      'canary weight 0',
      STAGING,
      canary({ steps: [CanaryStep.trafficWeight(0)] }),
      /'strategy\.steps\[0\]\.setWeight' is 0; expected an integer percentage between 1 and 100/,
    ],
    [
      'canary of pauses only',
      STAGING,
      canary({ steps: [CanaryStep.pause()] }),
      /'strategy\.steps' is 'only pauses'; expected at least one CanaryStep\.trafficWeight\(\)/,
    ],
    [
      'canary pause of a fraction of a second',
      STAGING,
      canary({ steps: [CanaryStep.trafficWeight(10), CanaryStep.pause(Duration.millis(1500))] }),
      /'strategy\.steps\[1\]' is '1\.5s'; expected a whole number of seconds, at least 1/,
    ],
    [
      'canary without an Ingress',
      DEVELOPMENT,
      { strategy: DeploymentStrategy.canary() },
      /'strategy' is 'canary'; the canary's traffic weights are set on ingress-nginx/,
    ],
    [
      'canary burn rate at which every request may fail',
      DEVELOPMENT,
      canary({ maxBurnRate: 100 }),
      /'strategy\.maxBurnRate' is 100; expected a positive number below 100/,
    ],
    [
      'canary Prometheus address without a scheme',
      STAGING,
      canary({ prometheusAddress: 'prometheus:9090' }),
      /'strategy\.prometheusAddress' is 'prometheus:9090'; expected an http\(s\) URL/,
    ],
    [
      'blue-green preview larger than the API',
      STAGING,
      { strategy: DeploymentStrategy.blueGreen({ previewReplicas: 3 }) },
      /'strategy\.previewReplicas' is 3; expected an integer between 1 and 2/,
    ],
    [
      'rolling update that drops Level 3 below 2 ready pods',
      PRODUCTION,
      { strategy: DeploymentStrategy.rollingUpdate({ maxUnavailable: 2 }) },
      /'strategy\.maxUnavailable' is 2; Level 3 keeps at least 2 API pods ready during a rollout; with 3 pods, expected at most 1/,
    ],
    [
      'rolling update that drops Level 2 to no ready pod',
      STAGING,
      { strategy: DeploymentStrategy.rollingUpdate({ maxUnavailable: 2 }) },
      /'strategy\.maxUnavailable' is 2; Level 2 keeps at least 1 API pods ready/,
    ],
    [
      'rolling update that can never replace a pod',
      DEVELOPMENT,
      { strategy: DeploymentStrategy.rollingUpdate({ maxSurge: 0 }) },
      /'strategy\.maxSurge' is 0; 'strategy\.maxSurge' and 'strategy\.maxUnavailable' cannot both be 0/,
    ],
    [
      'a budget that blocks every eviction at Level 2 (1 replica, minAvailable 1)',
      STAGING,
      { replicas: 1 },
      /'replicas' is 1; Level 2 keeps at least 1 pods available during disruptions, so it needs at least 2 pods/,
    ],
    [
      'grace period no longer than the pre-stop pause',
      PRODUCTION,
      { terminationGracePeriod: Duration.seconds(10) },
      /'terminationGracePeriod' is '10s'; expected whole seconds, more than the pre-stop pause \(10s\)/,
    ],
    [
      'a pause at Level 1 without a duration',
      DEVELOPMENT,
      { preStopPause: PreStopPause.pythonSleep() },
      /'preStopPause' is 'python'; Level 1 has no default pause/,
    ],
    [
      'invalid priority class name',
      PRODUCTION,
      { priorityClassName: 'Critical' },
      /'priorityClassName' is 'Critical'; expected a DNS-1123 subdomain/,
    ],
  ];

  test.each(cases)('%s', (_title, level, props, message) => {
    const build = () =>
      new MerlaiApi(new Chart(Testing.app(), 'chart'), 'merlai-api', {
        level,
        storageClassName: 'cephfs',
        ...props,
      });
    expect(build).toThrow(message);
    expect(build).toThrow(/^\[chart\/merlai-api\] MerlaiApi: /);
  });
});
