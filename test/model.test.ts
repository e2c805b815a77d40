import { Chart, Testing } from 'cdk8s';
import { AvailabilityLevel, EnvValue, HF_HOME, MerlaiApi, ModelMode } from '../lib';
import { apiContainer, find, type KubeObject, LEVELS, synthLevel } from './support/synth';

function envOf(objects: KubeObject[]): Record<string, string> {
  return Object.fromEntries(apiContainer(objects).env.map((e: KubeObject) => [e.name, e.value]));
}

describe.each(LEVELS)('default model mode at %s: lightweight', (level) => {
  const objects = synthLevel(level);
  const c = apiContainer(objects);

  test("no model: HF_HUB_OFFLINE=1, no HF_HOME, the level table's memory", () => {
    const env = envOf(objects);
    expect(env.HF_HUB_OFFLINE).toBe('1');
    expect(env.HF_HOME).toBeUndefined();
    expect(env.OMP_NUM_THREADS).toBeUndefined();
    expect(c.resources.limits.memory).toBe('1Gi');
  });

  test('readiness is /ready, and no fetch Job or egress policy exists', () => {
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(objects.find((o) => o.metadata.name === 'merlai-api-model-fetch-egress')).toBeUndefined();
  });
});

describe('ModelMode.MODEL at Level 3', () => {
  const objects = synthLevel(AvailabilityLevel.PRODUCTION, { api: { model: { mode: ModelMode.MODEL } } });
  const c = apiContainer(objects);
  const env = envOf(objects);
  const job = find(objects, 'Job', 'merlai-api-model-fetch');
  const jobPod = job.spec.template.spec;
  const policy = find(objects, 'NetworkPolicy', 'merlai-api-model-fetch-egress');

  test('HF_HOME on the models claim, offline, threads from the CPU limit (500m → 1)', () => {
    expect(env).toMatchObject({ HF_HOME, HF_HUB_OFFLINE: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' });
    expect(HF_HOME.startsWith('/app/models/')).toBe(true);
    const models = c.volumeMounts.find((m: KubeObject) => m.mountPath === '/app/models');
    const volume = find(objects, 'Deployment', 'merlai-api').spec.template.spec.volumes.find(
      (v: KubeObject) => v.name === models.name,
    );
    expect(volume.persistentVolumeClaim.claimName).toBe('merlai-api-models');
  });

  test('memory sized for the model: 2Gi request, 3Gi limit', () => {
    expect(c.resources.requests.memory).toBe('2Gi');
    expect(c.resources.limits.memory).toBe('3Gi');
  });

  test('readiness passes only once the app lists a registered model (exec, the level timings)', () => {
    expect(c.readinessProbe.httpGet).toBeUndefined();
    expect(c.readinessProbe.exec.command.join(' ')).toContain('/api/v1/ai/models');
    expect(c.readinessProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 });
  });

  test('the fetch Job fills the same HF_HOME on the same claim, as UID 1000, with the API image', () => {
    const fetch = jobPod.containers[0];
    expect(fetch.image).toBe(c.image);
    expect(fetch.env).toContainEqual({ name: 'HF_HOME', value: HF_HOME });
    expect(fetch.command).toContain('microsoft/DialoGPT-medium');
    expect(jobPod.volumes).toContainEqual({
      name: 'models',
      persistentVolumeClaim: { claimName: 'merlai-api-models' },
    });
    expect(jobPod.securityContext.runAsUser).toBe(1000);
    expect(fetch.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    // ReadWriteMany at Level 3: no need to share a node with the API.
    expect(jobPod.affinity).toBeUndefined();
  });

  test('egress of the fetch Job: DNS to kube-dns and HTTPS to public addresses only; no ingress', () => {
    expect(policy.spec.podSelector.matchLabels).toEqual({
      app: 'merlai-api-model-fetch',
      'app.kubernetes.io/component': 'model-fetch',
    });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toHaveLength(2);
    const [dns, https] = policy.spec.egress;
    expect(dns.ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(dns.to[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
    expect(https.ports).toEqual([{ protocol: 'TCP', port: 443 }]);
    expect(https.to).toHaveLength(1);
    expect(https.to[0].ipBlock.cidr).toBe('0.0.0.0/0');
    for (const privateRange of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) {
      expect(https.to[0].ipBlock.except).toContain(privateRange);
    }
  });

  test("the API's own policy gains no egress (the API pods stay offline)", () => {
    const plain = synthLevel(AvailabilityLevel.PRODUCTION);
    expect(find(objects, 'NetworkPolicy', 'merlai-network-policy')).toEqual(
      find(plain, 'NetworkPolicy', 'merlai-network-policy'),
    );
    const jobLabels = job.spec.template.metadata.labels;
    const apiPolicy = find(objects, 'NetworkPolicy', 'merlai-network-policy');
    const selects = Object.entries(apiPolicy.spec.podSelector.matchLabels).every(
      ([k, v]) => jobLabels[k] === v,
    );
    expect(selects).toBe(false);
  });
});

describe('ModelMode.MODEL options', () => {
  test('egressCidrs narrow HTTPS to a proxy or mirror', () => {
    const objects = synthLevel(AvailabilityLevel.PRODUCTION, {
      api: { model: { mode: ModelMode.MODEL, egressCidrs: ['203.0.113.10/32'] } },
    });
    const https = find(objects, 'NetworkPolicy', 'merlai-api-model-fetch-egress').spec.egress[1];
    expect(https.to).toEqual([{ ipBlock: { cidr: '203.0.113.10/32' } }]);
  });

  test('threads follow the CPU limit (1500m → 2), and resources.memoryLimit still wins', () => {
    const objects = synthLevel(AvailabilityLevel.PRODUCTION, {
      api: { model: { mode: ModelMode.MODEL }, resources: { cpuLimit: '1500m', memoryLimit: '4Gi' } },
    });
    expect(envOf(objects)).toMatchObject({ OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '2' });
    expect(apiContainer(objects).resources.limits.memory).toBe('4Gi');
  });

  test('Level 2 (ReadWriteOnce claim): the fetch Job runs on a node with an API pod', () => {
    const objects = synthLevel(AvailabilityLevel.STAGING, { api: { model: { mode: ModelMode.MODEL } } });
    const affinity = find(objects, 'Job', 'merlai-api-model-fetch').spec.template.spec.affinity;
    expect(affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { app: 'merlai-api' } },
    });
  });

  const api = (props: object) => () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'merlai' });
    new MerlaiApi(chart, 'api', { level: AvailabilityLevel.PRODUCTION, ...props });
  };

  test('Level 1 (emptyDir models) refuses model mode with the reason', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'merlai' });
    expect(
      () =>
        new MerlaiApi(chart, 'api', {
          level: AvailabilityLevel.DEVELOPMENT,
          model: { mode: ModelMode.MODEL },
        }),
    ).toThrow("[c/api] MerlaiApi: 'model.mode' is 'model'; Level 1 keeps /app/models in an emptyDir");
  });

  test('a memory limit too small for the model is refused', () => {
    expect(api({ model: { mode: ModelMode.MODEL, memoryLimit: '1Gi' } })).toThrow(
      "[c/api] MerlaiApi: 'model.memoryLimit' is '1Gi'; expected at least 2Gi",
    );
  });

  test('model settings without model mode are refused', () => {
    expect(api({ model: { memoryLimit: '3Gi' } })).toThrow(
      "[c/api] MerlaiApi: 'model.memoryLimit' is '3Gi'; applies only with mode: ModelMode.MODEL",
    );
  });

  test('an unknown mode, a bad model id and a bad CIDR are refused', () => {
    expect(api({ model: { mode: 'huge' } })).toThrow(
      "'model.mode' is 'huge'; expected one of lightweight, model",
    );
    expect(api({ model: { mode: ModelMode.MODEL, name: 'no spaces please' } })).toThrow("'model.name'");
    expect(api({ model: { mode: ModelMode.MODEL, egressCidrs: ['example.com'] } })).toThrow(
      "'model.egressCidrs' is 'example.com'",
    );
  });

  test('HF_HOME cannot be set twice through env', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'merlai' });
    expect(
      () =>
        new MerlaiApi(chart, 'api', {
          level: AvailabilityLevel.PRODUCTION,
          model: { mode: ModelMode.MODEL },
          env: { HF_HOME: EnvValue.fromValue('/tmp') },
        }),
    ).toThrow("'env.HF_HOME' is 'HF_HOME'; the variable is already set");
  });
});
