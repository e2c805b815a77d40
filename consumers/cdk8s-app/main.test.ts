import { Testing } from 'cdk8s';
import { PlatformChart, productionChart, TEAM } from './main';

type Obj = { kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

function find(objects: Obj[], kind: string, name: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name}`);
  return o;
}

describe('Level 3 with the team overrides', () => {
  const objects = Testing.synth(productionChart(Testing.app(), 'production')) as Obj[];
  const pod = find(objects, 'Deployment', 'merlai-api').spec.template;

  test('namespace, image digest, tolerations, annotations', () => {
    expect(find(objects, 'Namespace', TEAM.namespace)).toBeDefined();
    // Cluster-scoped objects have no namespace: the Namespace itself and Level 3's PriorityClass.
    const clusterScoped = ['Namespace', 'PriorityClass'];
    for (const o of objects.filter((x) => !clusterScoped.includes(x.kind))) expect(o.metadata.namespace).toBe(TEAM.namespace);
    expect(pod.spec.containers[0].image).toBe(TEAM.image);
    expect(pod.spec.tolerations).toEqual([TEAM.toleration]);
    expect(pod.metadata.annotations).toEqual({ 'fluentbit.io/parser': 'json' });
    expect(pod.spec.imagePullSecrets).toEqual([{ name: 'registry-music' }]);
  });

  test('host and TLS', () => {
    const ingress = find(objects, 'Ingress', 'merlai-api');
    expect(ingress.spec.tls).toEqual([{ hosts: [TEAM.host], secretName: TEAM.tlsSecretName }]);
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
  });

  test('managed PostgreSQL and Redis: nothing deployed, the API reads their Secrets, no pg_dump', () => {
    const kinds = objects.map((o) => o.kind);
    for (const kind of ['Cluster', 'RedisReplication', 'StatefulSet', 'CronJob']) expect(kinds).not.toContain(kind);
    const env: Record<string, unknown> = {};
    for (const e of pod.spec.containers[0].env) env[e.name] = e.valueFrom ?? e.value;
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: TEAM.postgres.secretName, key: 'uri' } });
    expect(env.REDIS_URL).toEqual({ secretKeyRef: { name: TEAM.redis.secretName, key: 'url' } });
  });

  test('storage class on the API claims', () => {
    const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims.map((c) => c.spec.storageClassName)).toEqual([TEAM.storageClassName, TEAM.storageClassName]);
  });
});

describe('MerlaiApi in a chart that already has objects', () => {
  const objects = Testing.synth(new PlatformChart(Testing.app(), 'platform', { namespace: 'music-platform' })) as Obj[];

  test("the team's objects stay, the API joins them, all in the chart's namespace", () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['Deployment/merlai-api', 'Ingress/merlai-api', 'ConfigMap/merlai-logging']));
    expect(objects.filter((o) => o.kind === 'ConfigMap').length).toBe(2);
    expect(objects.filter((o) => o.kind === 'ServiceAccount').length).toBe(2);
    for (const o of objects) expect(o.metadata.namespace).toBe('music-platform');
  });
});
