import { Chart, Duration, Testing } from 'cdk8s';
import {
  ApiServiceType,
  AvailabilityLevel,
  EnvValue,
  LEVEL_PROFILES,
  MerlaiApi,
  type MerlaiApiProps,
  ModelMode,
} from '../lib';
import { apiContainer, find, type KubeObject, levelChart, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

function deployment(objects: KubeObject[]): KubeObject {
  return find(objects, 'Deployment', 'merlai-api');
}

/** The API's claims (the chart also holds the datastores' volumes). */
function apiClaims(objects: KubeObject[]): KubeObject[] {
  return objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.labels?.app === 'merlai-api');
}

function env(objects: KubeObject[]): Record<string, unknown> {
  return Object.fromEntries(
    apiContainer(objects).env.map((e: KubeObject) => [e.name, e.value ?? e.valueFrom]),
  );
}

describe('level 1 (development, 99 %)', () => {
  const objects = synthLevel(DEVELOPMENT);

  test('level 1 API replicas: 1, no autoscaler, no disruption budget', () => {
    expect(deployment(objects).spec.replicas).toBe(1);
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toHaveLength(0);
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(0);
  });

  test('level 1 ENVIRONMENT: development', () => {
    expect(env(objects).ENVIRONMENT).toBe('development');
  });

  test('level 1 image: merlai:latest, as the guide builds it locally', () => {
    expect(apiContainer(objects).image).toBe('merlai:latest');
  });

  test('level 1 storage: local emptyDir volumes, no PersistentVolumeClaim', () => {
    const volumes = deployment(objects).spec.template.spec.volumes;
    expect(volumes.find((v: KubeObject) => v.name === 'data').emptyDir).toBeDefined();
    expect(apiClaims(objects)).toHaveLength(0);
  });

  test('level 1 rollout: RollingUpdate that never drops the single pod (maxUnavailable 0, maxSurge 1)', () => {
    expect(deployment(objects).spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  test('level 1 resources: small and explicit (requests 100m / 256Mi, limits 500m / 1Gi)', () => {
    expect(apiContainer(objects).resources).toMatchObject({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '1Gi' },
    });
  });

  test('level 1 ephemeral storage: the limit covers every emptyDir (1 + 2 + 10 + 20 Gi) plus 1 Gi of logs', () => {
    const { requests, limits } = apiContainer(objects).resources;
    expect(requests['ephemeral-storage']).toBe('1Gi');
    expect(limits['ephemeral-storage']).toBe(`${34 * 1024}Mi`);
  });
});

describe('level 2 (staging, 99.5 %)', () => {
  const objects = synthLevel(STAGING);

  test('level 2 API replicas: 2', () => {
    expect(deployment(objects).spec.replicas).toBe(2);
  });

  test('level 2 ENVIRONMENT: staging', () => {
    expect(env(objects).ENVIRONMENT).toBe('staging');
  });

  test('level 2 storage: each pod its own /app/data and /app/models (generic ephemeral volumes), no shared claim', () => {
    // Issue 27: shared ReadWriteOnce claims tied both pods to one node.
    expect(apiClaims(objects)).toEqual([]);
    const volumes = deployment(objects).spec.template.spec.volumes;
    for (const name of ['data', 'models']) {
      const v = volumes.find((x: KubeObject) => x.name === name);
      expect(v.ephemeral.volumeClaimTemplate.spec.accessModes).toEqual(['ReadWriteOnce']);
    }
    const mounts = apiContainer(objects).volumeMounts.map((m: KubeObject) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/app/data', '/app/models']));
  });

  test('level 2 disruption budget: minAvailable 1 with unhealthyPodEvictionPolicy AlwaysAllow', () => {
    expect(find(objects, 'PodDisruptionBudget', 'merlai-api').spec).toMatchObject({
      minAvailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  test('level 2 entry: ClusterIP Service behind an nginx Ingress; LoadBalancer on request', () => {
    expect(find(objects, 'Service', 'merlai-api').spec.type).toBe('ClusterIP');
    expect(find(objects, 'Ingress', 'merlai-api').spec.ingressClassName).toBe('nginx');
    const lb = synthLevel(STAGING, { api: { serviceType: ApiServiceType.LOAD_BALANCER } });
    expect(find(lb, 'Service', 'merlai-api').spec.type).toBe('LoadBalancer');
  });

  test('level 2 image: pinned by default', () => {
    expect(apiContainer(objects).image).toBe('merlai:1.0.0');
  });
});

describe('level 3 (production, 99.9 %)', () => {
  const objects = synthLevel(PRODUCTION);

  test('level 3 API replicas: HPA merlai-api-hpa min 3, max 10, CPU 70 %, no fixed replicas', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'merlai-api-hpa');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'merlai-api' },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    });
    expect(deployment(objects).spec).not.toHaveProperty('replicas');
  });

  test('level 3 rollout: RollingUpdate maxUnavailable 1, maxSurge 1', () => {
    expect(deployment(objects).spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 1 },
    });
  });

  test('level 3 liveness probe: /health on 8000, 30 s delay, 10 s period, 5 s timeout, 3 failures', () => {
    expect(apiContainer(objects).livenessProbe).toEqual({
      httpGet: { path: '/health', port: 'http' },
      initialDelaySeconds: 30,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    });
    expect(apiContainer(objects).ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
  });

  test('level 3 readiness probe: /ready on 8000, 5 s delay, 5 s period, 3 s timeout, 3 failures', () => {
    expect(apiContainer(objects).readinessProbe).toEqual({
      httpGet: { path: '/ready', port: 'http' },
      initialDelaySeconds: 5,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });

  test('level 3 resources: requests 512Mi / 250m, limits 1Gi / 500m', () => {
    expect(apiContainer(objects).resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '4096Mi' },
    });
  });

  test('level 3 ENVIRONMENT: production', () => {
    expect(env(objects).ENVIRONMENT).toBe('production');
  });

  test('level 3 disruption budget: keeps 2 of the 3 minimum pods', () => {
    expect(find(objects, 'PodDisruptionBudget', 'merlai-api').spec.minAvailable).toBe(2);
  });

  test('level 3 storage: shared (ReadWriteMany) claims on the distributed storage class', () => {
    const withClass = synthLevel(PRODUCTION, { api: { storageClassName: 'cephfs' } });
    for (const claim of apiClaims(withClass)) {
      expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
      expect(claim.spec.storageClassName).toBe('cephfs');
    }
  });

  test('level 3 entry: nginx Ingress with TLS', () => {
    const ingress = find(objects, 'Ingress', 'merlai-api');
    expect(ingress.spec.tls).toEqual([{ hosts: ['merlai.example.com'], secretName: 'merlai-api-tls' }]);
  });
});

describe.each([DEVELOPMENT, STAGING, PRODUCTION])('every level: %s', (level) => {
  const objects = synthLevel(level);
  const profile = LEVEL_PROFILES[level];

  test('liveness /health: 30 s initial delay, 10 s period; readiness /ready: 5 s delay, 5 s period', () => {
    const c = apiContainer(objects);
    expect(c.livenessProbe).toMatchObject({
      httpGet: { path: '/health' },
      initialDelaySeconds: 30,
      periodSeconds: 10,
    });
    expect(c.readinessProbe).toMatchObject({
      httpGet: { path: '/ready' },
      initialDelaySeconds: 5,
      periodSeconds: 5,
    });
  });

  test('startup probe gives a 5 minute model load time before liveness applies', () => {
    const probe = apiContainer(objects).startupProbe;
    expect(probe.httpGet.path).toBe('/health');
    expect(probe.periodSeconds * probe.failureThreshold).toBeGreaterThanOrEqual(300);
    expect(probe).not.toHaveProperty('tcpSocket');
  });

  test('security context of the guide plus capabilities drop ALL and seccomp RuntimeDefault', () => {
    const pod = deployment(objects).spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(apiContainer(objects).securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('writable scratch for a read-only root: /tmp and the cache directory', () => {
    const mounts = apiContainer(objects).volumeMounts;
    expect(mounts).toEqual(
      expect.arrayContaining([
        { name: 'tmp', mountPath: '/tmp', readOnly: false },
        { name: 'cache', mountPath: env(objects).XDG_CACHE_HOME, readOnly: false },
      ]),
    );
  });

  test('Service merlai-api: port 80 to the container port named http (8000)', () => {
    const service = find(objects, 'Service', 'merlai-api');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('stable selector labels, app: merlai-api among them, matching the pod template', () => {
    const d = deployment(objects);
    expect(d.spec.selector.matchLabels).toEqual({
      app: 'merlai-api',
      'app.kubernetes.io/name': 'merlai-api',
      'app.kubernetes.io/instance': 'merlai',
      'app.kubernetes.io/component': 'api',
      'app.kubernetes.io/part-of': 'merlai',
    });
    expect(d.spec.template.metadata.labels).toEqual(d.spec.selector.matchLabels);
  });

  test('namespace merlai on every namespaced object', () => {
    // Namespace and PriorityClass are cluster-scoped.
    for (const o of objects.filter((x) => x.kind !== 'Namespace' && x.kind !== 'PriorityClass'))
      expect(o.metadata.namespace).toBe('merlai');
    expect(find(objects, 'Namespace', 'merlai').metadata).not.toHaveProperty('namespace');
  });

  test("the guide's replica counts: 1, 2, and none under the level 3 autoscaler", () => {
    const expected = { [DEVELOPMENT]: 1, [STAGING]: 2, [PRODUCTION]: undefined }[level];
    expect(deployment(objects).spec.replicas).toBe(expected);
    expect(objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(level === PRODUCTION);
    expect(profile.replicas).toBe(expected);
  });
});

describe('MerlaiApi in your own chart', () => {
  test('composes into any chart and takes overrides', () => {
    const chart = new Chart(Testing.app(), 'mine', { namespace: 'team-a', disableResourceNameHashes: true });
    const api = new MerlaiApi(chart, 'api', {
      level: PRODUCTION,
      storageClassName: 'cephfs',
      image: `registry.example.com/merlai@sha256:${'a'.repeat(64)}`,
      autoscaling: { minReplicas: 4, maxReplicas: 20 },
      resources: { memoryLimit: '2Gi' },
      modelLoadTimeout: Duration.minutes(10),
    });
    api.addEnv('LOG_LEVEL', EnvValue.fromValue('DEBUG'));
    const objects = Testing.synth(chart) as KubeObject[];
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'merlai-api-hpa');
    expect(hpa.spec).toMatchObject({ minReplicas: 4, maxReplicas: 20 });
    const c = apiContainer(objects);
    expect(c.resources.limits.memory).toBe('2Gi');
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBe(600);
    expect(c.env).toContainEqual({ name: 'LOG_LEVEL', value: 'DEBUG' });
    expect(find(objects, 'Deployment', 'merlai-api').metadata.namespace).toBe('team-a');
  });
});

describe('bad input: the error names the construct path, the prop and the value', () => {
  const cases: Array<[string, AvailabilityLevel, Partial<MerlaiApiProps>, RegExp]> = [
    [
      'HPA min > max',
      PRODUCTION,
      { autoscaling: { minReplicas: 5, maxReplicas: 4 } },
      /'autoscaling\.minReplicas' is 5; expected at most 'autoscaling\.maxReplicas' \(4\)/,
    ],
    ['replicas < 1', STAGING, { replicas: 0 }, /'replicas' is 0; expected an integer >= 1/],
    ['fractional replicas', DEVELOPMENT, { replicas: 1.5 }, /'replicas' is 1\.5; expected an integer/],
    [
      'replicas under an autoscaler',
      PRODUCTION,
      { replicas: 3 },
      /'replicas' is 3; an autoscaler \(min 3, max 10\) owns/,
    ],
    [
      'probe timeout >= period',
      PRODUCTION,
      { readiness: { timeoutSeconds: 5 } },
      /'readiness\.timeoutSeconds' is 5; expected less than 'readiness\.periodSeconds' \(5\)/,
    ],
    [
      'negative probe delay',
      DEVELOPMENT,
      { liveness: { initialDelaySeconds: -1 } },
      /'liveness\.initialDelaySeconds' is -1; expected an integer >= 0/,
    ],
    [
      'memory limit below request',
      PRODUCTION,
      { resources: { memoryLimit: '256Mi' } },
      /'resources\.memoryLimit' is '256Mi'; expected a limit at least the request \(512Mi\)/,
    ],
    [
      'cpu limit below request',
      STAGING,
      { resources: { cpuRequest: '1', cpuLimit: '500m' } },
      /'resources\.cpuLimit' is '500m'; expected a limit at least the request \(1\)/,
    ],
    [
      'malformed quantity',
      DEVELOPMENT,
      { resources: { cpuRequest: 'lots' } },
      /'resources\.cpuRequest' is 'lots'; expected a positive Kubernetes quantity/,
    ],
    [
      'invalid DNS-1123 name',
      DEVELOPMENT,
      { name: 'Merlai_API' },
      /'name' is 'Merlai_API'; expected a DNS-1123 label/,
    ],
    [
      'malformed image reference',
      STAGING,
      { image: 'Merlai::1.0' },
      /'image' is 'Merlai::1\.0'; expected an image reference/,
    ],
    [
      ':latest at Level 3',
      PRODUCTION,
      { image: 'merlai:latest' },
      /'image' is 'merlai:latest'; Level 3 \(production\) needs a pinned image/,
    ],
    [
      'untagged image at Level 2',
      STAGING,
      { image: 'registry.example.com/merlai' },
      /'image' is 'registry\.example\.com\/merlai'; Level 2 \(staging\) needs a pinned image/,
    ],
    [
      'negative storage size',
      STAGING,
      { dataStorageSize: '-10Gi' },
      /'dataStorageSize' is '-10Gi'; expected a positive Kubernetes quantity such as '10Gi'/,
    ],
    [
      'CPU target over 100 %',
      PRODUCTION,
      { autoscaling: { cpuUtilizationPercent: 150 } },
      /'autoscaling\.cpuUtilizationPercent' is 150; expected an integer between 1 and 100/,
    ],
    [
      'autoscaler floor that blocks every drain',
      PRODUCTION,
      { autoscaling: { minReplicas: 2 } },
      /'autoscaling\.minReplicas' is 2; Level 3 keeps at least 2 pods available/,
    ],
    [
      'model load timeout shorter than a probe period',
      DEVELOPMENT,
      { modelLoadTimeout: Duration.seconds(5) },
      /'modelLoadTimeout' is '5s'; expected at least 10 seconds/,
    ],
    [
      'invalid ingress host',
      STAGING,
      { ingress: { host: 'https://merlai.example.com' } },
      /'ingress\.host' is 'https:\/\/merlai\.example\.com'; expected a DNS-1123 subdomain/,
    ],
  ];

  test.each(cases)('%s', (_title, level, props, message) => {
    // Synthesized too: label, annotation and host errors are collected and reported at synth.
    const build = () => {
      const chart = new Chart(Testing.app(), 'chart');
      new MerlaiApi(chart, 'merlai-api', { level, ...props });
      return Testing.synth(chart);
    };
    expect(build).toThrow(message);
    expect(build).toThrow(
      /^(Validation failed with the following errors:\n {2})?\[chart\/merlai-api\] MerlaiApi: /,
    );
  });

  test('a chart-level error names the chart path and the namespace prop', () => {
    expect(() => levelChart(DEVELOPMENT, { namespace: 'Merlai' })).toThrow(
      /^\[level1-dev\] MerlaiLevelChart: 'namespace' is 'Merlai'; expected a DNS-1123 label/,
    );
  });

  test('an environment variable the construct owns cannot be overridden', () => {
    const api = new MerlaiApi(new Chart(Testing.app(), 'chart'), 'merlai-api', { level: DEVELOPMENT });
    expect(() => api.addEnv('ENVIRONMENT', EnvValue.fromValue('prod'))).toThrow(
      /\[chart\/merlai-api\] MerlaiApi: 'env\.ENVIRONMENT'/,
    );
  });
});

describe('shared claims and placement: where the API pods may mount /app/data and /app/models', () => {
  /** Whether a pod template keeps every API pod on the node of the others (required hostname affinity on its own labels). */
  function keptOnOneNode(objects: KubeObject[]): boolean {
    const template = deployment(objects).spec.template;
    const terms = template.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    return terms.some(
      (t: KubeObject) =>
        t.topologyKey === 'kubernetes.io/hostname' &&
        Object.entries(t.labelSelector?.matchLabels ?? {}).every(
          ([k, v]) => template.metadata.labels[k] === v,
        ) &&
        Object.keys(t.labelSelector?.matchLabels ?? {}).length > 0,
    );
  }

  // Invariant: several pods sharing a ReadWriteOnce claim must share a node (Multi-Attach otherwise).
  // Shared claims only where one volume must be shared: model mode's fetch Job fills one models claim.
  test.each([
    ['level 2', STAGING, {}, false],
    ['level 2 autoscaled', STAGING, { api: { autoscaling: { minReplicas: 2, maxReplicas: 4 } } }, false],
    ['level 2 with three pods', STAGING, { api: { replicas: 3 } }, false],
    ['level 2 in model mode', STAGING, { api: { model: { mode: ModelMode.MODEL } } }, true],
    ['level 3', PRODUCTION, {}, true],
  ] as const)('%s: pods sharing ReadWriteOnce claims are kept on one node', (_name, level, props, shared) => {
    const objects = synthLevel(level, props as never);
    const claims = apiClaims(objects);
    expect(claims.length).toBe(shared ? 2 : 0);
    const rwo = claims.some((c) => c.spec.accessModes.includes('ReadWriteOnce'));
    expect(keptOnOneNode(objects)).toBe(rwo);
  });

  test('level 2: one node lost leaves a pod: no pod affinity, spread over kubernetes.io/hostname (a preference, so a single-node staging still schedules both)', () => {
    const objects = synthLevel(STAGING);
    const spec = deployment(objects).spec.template.spec;
    expect(spec.affinity).not.toHaveProperty('podAffinity');
    expect(
      spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(spec.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        topologyKey: 'kubernetes.io/hostname',
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
      }),
    ]);
  });

  test('level 3: the ReadWriteMany claims need a StorageClass: an error names the prop and RWX classes', () => {
    const build = () =>
      levelChart(PRODUCTION, { security: { kubernetesApiServer: { cidr: '10.0.0.0/24' } } }, true);
    expect(build).toThrow(
      /^\[level3-production\/merlai-api\] MerlaiApi: 'storageClassName' is undefined; Level 3's API pods on several nodes share the ReadWriteMany claims .*default StorageClass of EKS, GKE and AKS is ReadWriteOnce only/,
    );
    expect(build).toThrow(
      /'efs-sc' \(EKS.*'azurefile-csi' \(AKS\), 'standard-rwx' \(GKE Filestore\), 'cephfs'.*NFS/,
    );
    // The standalone construct too, and an invalid name is still refused.
    expect(() => new MerlaiApi(new Chart(Testing.app(), 'c'), 'api', { level: PRODUCTION })).toThrow(
      /\[c\/api\] MerlaiApi: 'storageClassName' is undefined/,
    );
    expect(
      () =>
        new MerlaiApi(new Chart(Testing.app(), 'c'), 'api', {
          level: PRODUCTION,
          storageClassName: 'EFS SC',
        }),
    ).toThrow(/'storageClassName' is 'EFS SC'; expected a DNS-1123 subdomain/);
  });

  test('level 2 keeps the cluster default class unless told; the shipped level 3 chart names its RWX class', () => {
    for (const claim of apiClaims(synthLevel(STAGING)))
      expect(claim.spec).not.toHaveProperty('storageClassName');
    const { LEVEL3_CLUSTER_FACTS } = require('../main');
    const shipped = Testing.synth(levelChart(PRODUCTION, LEVEL3_CLUSTER_FACTS, true)) as KubeObject[];
    for (const claim of apiClaims(shipped)) {
      expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
      expect(claim.spec.storageClassName).toBe(LEVEL3_CLUSTER_FACTS.api.storageClassName);
    }
  });
});
