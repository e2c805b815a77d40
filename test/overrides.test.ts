import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiObject, Chart, Testing } from 'cdk8s';
import { AvailabilityLevel, LEVEL_PROFILES, MerlaiApi } from '../lib';
import { find, type KubeObject, LEVELS, levelChart, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

const TOLERATION = { key: 'dedicated', operator: 'Equal', value: 'merlai', effect: 'NoSchedule' };
const NODE_AFFINITY = {
  requiredDuringSchedulingIgnoredDuringExecution: {
    nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['api'] }] }],
  },
};

describe('overrides a platform team needs', () => {
  const objects = synthLevel(PRODUCTION, {
    labels: { team: 'music', 'cost-centre': 'cc-42' },
    api: {
      ingress: {
        host: 'api.music.example.org',
        tlsSecretName: 'api-music-tls',
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      },
      podAnnotations: { 'prometheus.io/scrape': 'false' },
      podLabels: { team: 'music', sidecar: 'off' },
      serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' },
      serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': 'merlai@p.iam.gserviceaccount.com' },
      imagePullSecrets: ['registry-credentials'],
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [TOLERATION],
      affinity: {
        nodeAffinity: NODE_AFFINITY,
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              podAffinityTerm: { topologyKey: 'rack', labelSelector: { matchLabels: { app: 'merlai-api' } } },
            },
          ],
        },
      },
    },
  });
  const deployment = find(objects, 'Deployment', 'merlai-api');
  const pod = deployment.spec.template;

  test('annotations of pods, Service, Ingress and ServiceAccount', () => {
    expect(pod.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'false' });
    expect(find(objects, 'Service', 'merlai-api').metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-internal': 'true',
    });
    expect(find(objects, 'Ingress', 'merlai-api').metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt',
    });
    expect(find(objects, 'ServiceAccount', 'merlai-api').metadata.annotations).toEqual({
      'iam.gke.io/gcp-service-account': 'merlai@p.iam.gserviceaccount.com',
    });
  });

  test('pod-template labels join the selector labels; the selector is unchanged', () => {
    expect(pod.metadata.labels).toMatchObject({ team: 'music', sidecar: 'off', app: 'merlai-api' });
    expect(deployment.spec.selector.matchLabels).not.toHaveProperty('team');
    expect(deployment.spec.selector.matchLabels.app).toBe('merlai-api');
  });

  test('imagePullSecrets, nodeSelector, tolerations', () => {
    expect(pod.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(pod.spec.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(pod.spec.tolerations).toEqual([TOLERATION]);
  });

  test("extra affinity: node affinity as given, anti-affinity terms added to the level's own", () => {
    expect(pod.spec.affinity.nodeAffinity).toEqual(NODE_AFFINITY);
    const terms = pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(terms.map((t: KubeObject) => t.podAffinityTerm.topologyKey)).toEqual([
      'kubernetes.io/hostname',
      'rack',
    ]);
    expect(pod.spec.topologySpreadConstraints.length).toBeGreaterThan(0);
  });

  test('chart labels on every object, beside the chart’s own', () => {
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        team: 'music',
        'cost-centre': 'cc-42',
        'merlai.io/level': '3',
      });
    }
  });

  test('without overrides nothing of them appears', () => {
    const plain = synthLevel(PRODUCTION);
    const p = find(plain, 'Deployment', 'merlai-api').spec.template;
    expect(p.metadata.annotations).toBeUndefined();
    for (const key of ['imagePullSecrets', 'nodeSelector', 'tolerations'])
      expect(p.spec[key]).toBeUndefined();
    expect(find(plain, 'Service', 'merlai-api').metadata.annotations).toBeUndefined();
    expect(p.spec.affinity.nodeAffinity).toBeUndefined();
  });

  test('Level 1 (no placement of its own) takes the extra affinity as given', () => {
    const l1 = synthLevel(DEVELOPMENT, { api: { affinity: { nodeAffinity: NODE_AFFINITY } } });
    expect(find(l1, 'Deployment', 'merlai-api').spec.template.spec.affinity).toEqual({
      nodeAffinity: NODE_AFFINITY,
    });
  });
});

describe('turning parts off', () => {
  test.each(LEVELS)('createNamespace: false leaves the Namespace object out (level %s)', (level) => {
    const objects = synthLevel(level, { createNamespace: false });
    expect(objects.filter((o) => o.kind === 'Namespace')).toEqual([]);
    expect(find(objects, 'Deployment', 'merlai-api').metadata.namespace).toBe('merlai');
  });

  test('pgDumpBackup: false with a managed PostgreSQL: no CronJob, no 100Gi claim, no backup alerts or policy', () => {
    const objects = synthLevel(PRODUCTION, {
      datastores: {
        pgDumpBackup: false,
        postgres: {
          external: { host: 'db.example.org', secretName: 'managed-db', cidr: '10.20.0.0/16' },
        },
      },
    });
    expect(objects.filter((o) => o.kind === 'CronJob')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual([
      'merlai-api-data',
      'merlai-api-models',
    ]);
    expect(objects.find((o) => o.metadata.name === 'merlai-postgres-backup-network-policy')).toBeUndefined();
    const rules = JSON.stringify(find(objects, 'PrometheusRule', 'merlai-workload-alerts'));
    expect(rules).not.toContain('merlai-postgres-backup');
  });

  test('the pg_dump backup stays on by default with a managed PostgreSQL', () => {
    const objects = synthLevel(STAGING, {
      datastores: {
        postgres: { external: { host: 'db.example.org', secretName: 'managed-db', cidr: '10.20.0.0/16' } },
      },
    });
    expect(find(objects, 'CronJob', 'merlai-postgres-backup')).toBeDefined();
  });
});

/** The README's table of construct ids: `| `path` | kind | name | levels |`. */
function readmeContract(): { path: string; kind: string; name: string; levels: number[] }[] {
  const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.split('<!-- construct-ids:start -->')[1]?.split('<!-- construct-ids:end -->')[0];
  if (!section) throw new Error('README has no construct-ids table');
  return section
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => {
      const cells = l.split('|').map((c) => c.trim().replace(/`/g, ''));
      return { path: cells[1], kind: cells[2], name: cells[3], levels: cells[4].split(',').map(Number) };
    });
}

describe('escape hatches: the construct ids the README promises', () => {
  const contract = readmeContract();

  test('the README lists them', () => {
    expect(contract.length).toBeGreaterThanOrEqual(15);
  });

  test.each(LEVELS)(
    'each id resolves to the object the README names, at the levels it names (level %s)',
    (level) => {
      const chart = levelChart(level);
      const number = LEVEL_PROFILES[level].number;
      for (const entry of contract) {
        const node = chart.node.tryFindChild(entry.path.split('/')[0]);
        const target = entry.path
          .split('/')
          .slice(1)
          .reduce((c, id) => c?.node.tryFindChild(id), node);
        if (!entry.levels.includes(number)) {
          expect({ path: entry.path, found: target !== undefined }).toEqual({
            path: entry.path,
            found: false,
          });
          continue;
        }
        expect(target).toBeInstanceOf(ApiObject);
        const o = target as ApiObject;
        expect({ path: entry.path, kind: o.kind, name: o.name }).toEqual({
          path: entry.path,
          kind: entry.kind,
          name: entry.name,
        });
      }
    },
  );

  test('JsonPatch on a promised id reaches the YAML', () => {
    const { JsonPatch } = require('cdk8s');
    const chart = levelChart(STAGING);
    const ingress = chart.node.findChild('merlai-api').node.findChild('ingress') as ApiObject;
    ingress.addJsonPatch(JsonPatch.add('/metadata/annotations', { patched: 'yes' }));
    const objects = Testing.synth(chart) as KubeObject[];
    expect(find(objects, 'Ingress', 'merlai-api').metadata.annotations).toEqual({ patched: 'yes' });
  });
});

describe('a MerlaiApi used alone', () => {
  test('warns at synth how to wire the datastores and logging; a wired one does not', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const alone = new Chart(Testing.app(), 'alone');
      new MerlaiApi(alone, 'merlai-api', { level: DEVELOPMENT });
      Testing.synth(alone);
      expect(warn).toHaveBeenCalledTimes(1);
      const message = String(warn.mock.calls[0][0]);
      expect(message).toMatch(
        /^\[alone\/merlai-api\] MerlaiApi: 'env' has no DATABASE_URL, REDIS_URL, LOG_CONFIG/,
      );
      expect(message).toContain("new MerlaiDatastores(scope, 'datastores', { level, api })");
      warn.mockClear();
      Testing.synth(levelChart(DEVELOPMENT));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
