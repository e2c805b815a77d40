import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import {
  AvailabilityLevel,
  Level3ProductionChart,
  MerlaiApi,
  MerlaiDatastores,
  type MerlaiDatastoresOptions,
  MerlaiPropError,
} from '../lib';
import { LEVEL3_CLUSTER_FACTS } from '../main';
import { levelChart, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;
const EXTERNAL_PG = { host: 'db.example.org', secretName: 'managed-db', cidr: '10.20.0.0/16' };

/** The error a build throws; fails the test when it does not throw. */
function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error, got none');
}

describe('Level 3 needs an explicit host and TLS Secret', () => {
  test('no ingress at all: names the chart, the prop and an example', () => {
    const build = () => new Level3ProductionChart(Testing.app(), 'prod');
    let caught: unknown;
    try {
      build();
    } catch (error) {
      caught = error;
    }
    expect(caught instanceof MerlaiPropError).toBe(true);
    expect(MerlaiPropError.isMerlaiPropError(caught)).toBe(true);
    expect(MerlaiPropError.isMerlaiPropError(new Error('other'))).toBe(false);
    expect((caught as Error).name).toBe('MerlaiPropError');
    expect(errorOf(build)).toBe(
      "[prod] Level3ProductionChart: 'api.ingress.host' is undefined; expected the public host name of the API, e.g. api: { ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' } }",
    );
  });

  test('a host without a TLS Secret: plain HTTP is refused', () => {
    const build = () =>
      new Level3ProductionChart(Testing.app(), 'prod', { api: { ingress: { host: 'a.example.org' } } });
    expect(errorOf(build)).toMatch(
      /^\[prod\] Level3ProductionChart: 'api\.ingress\.tlsSecretName' is undefined; expected the Secret holding the TLS certificate of 'a\.example\.org'/,
    );
  });

  test('an empty host is no host', () => {
    const build = () =>
      new Level3ProductionChart(Testing.app(), 'prod', {
        api: { ingress: { host: '', tlsSecretName: 'tls' } },
      });
    expect(errorOf(build)).toMatch(/^\[prod\] Level3ProductionChart: 'api\.ingress\.host' is ''; /);
  });

  test('Level 2 keeps its default host (no TLS required)', () => {
    expect(() => synthLevel(STAGING)).not.toThrow();
  });
});

describe('duplicate object names in one namespace', () => {
  test('two MerlaiApi with the same instance: names both constructs and the instance prop', () => {
    const chart = new Chart(Testing.app(), 'team', { namespace: 'shared' });
    new MerlaiApi(chart, 'first', { level: DEVELOPMENT });
    new MerlaiApi(chart, 'second', { level: DEVELOPMENT });
    const message = errorOf(() => Testing.synth(chart));
    expect(message).toContain(
      "[team/second] MerlaiApi: Deployment 'merlai-api' in namespace 'shared' is also created by [team/first] (MerlaiApi): two objects with one name overwrite each other in the cluster; give each MerlaiApi in one namespace its own 'instance'",
    );
    expect(message).not.toContain('[team/first] MerlaiApi:');
  });

  test("a second MerlaiApi with its own 'instance' gets its own names", () => {
    const chart = new Chart(Testing.app(), 'team', { namespace: 'shared' });
    new MerlaiApi(chart, 'first', { level: DEVELOPMENT });
    const second = new MerlaiApi(chart, 'second', { level: DEVELOPMENT, instance: 'beta' });
    expect(second.name).toBe('beta-api');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const names = (Testing.synth(chart) as { kind: string; metadata: { name: string } }[])
        .filter((o) => o.kind === 'Deployment')
        .map((o) => o.metadata.name);
      expect(names).toEqual(['merlai-api', 'beta-api']);
    } finally {
      warn.mockRestore();
    }
  });

  test('two MerlaiDatastores in one namespace: one per namespace, says why instance cannot help', () => {
    const chart = levelChart(DEVELOPMENT);
    new MerlaiDatastores(chart, 'more-datastores', { level: DEVELOPMENT, instance: 'beta' });
    const message = errorOf(() => Testing.synth(chart));
    expect(message).toContain(
      "[level1-dev/more-datastores] MerlaiDatastores: Secret 'merlai-postgres-dev-credentials' in namespace 'merlai' is also created by [level1-dev/datastores] (MerlaiDatastores)",
    );
    expect(message).toContain("'instance' (which only labels them) cannot tell two apart");
  });

  test("a team's own object clashing with one of the API's: names the team's object's path", () => {
    const chart = new Chart(Testing.app(), 'team', { namespace: 'apps' });
    new k8s.KubeService(chart, 'legacy', {
      metadata: { name: 'merlai-api' },
      spec: { ports: [{ port: 80 }] },
    });
    new MerlaiApi(chart, 'api', { level: DEVELOPMENT });
    expect(errorOf(() => Testing.synth(chart))).toContain(
      "[team/api] MerlaiApi: Service 'merlai-api' in namespace 'apps' is also created by [team/legacy]",
    );
  });

  test('the same names in two namespaces (two charts) are fine', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'team-a' });
    const b = new Chart(app, 'b', { namespace: 'team-b' });
    new MerlaiApi(a, 'api', { level: DEVELOPMENT });
    new MerlaiApi(b, 'api', { level: DEVELOPMENT });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(() => app.synthYaml()).not.toThrow();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('overrides refuse what would break the deployment', () => {
  test('a pod label may not replace a selector label', () => {
    expect(errorOf(() => levelChart(STAGING, { api: { podLabels: { app: 'other' } } }))).toMatch(
      /^\[level2-staging\/merlai-api\] MerlaiApi: 'podLabels\.app' is 'other'; expected a key other than the selector's \(app, /,
    );
  });

  test("a chart label may not replace the chart's own", () => {
    expect(errorOf(() => levelChart(DEVELOPMENT, { labels: { 'merlai.io/level': '9' } }))).toBe(
      "[level1-dev] MerlaiLevelChart: 'labels.merlai.io/level' is '9'; expected a key other than the chart's own (app.kubernetes.io/part-of, app.kubernetes.io/managed-by, merlai.io/level, merlai.io/environment)",
    );
  });

  test('an image pull Secret must be a Kubernetes name', () => {
    expect(errorOf(() => levelChart(DEVELOPMENT, { api: { imagePullSecrets: ['Registry_Creds'] } }))).toMatch(
      /^\[level1-dev\/merlai-api\] MerlaiApi: 'imagePullSecrets' is 'Registry_Creds'; /,
    );
  });

  test.each([DEVELOPMENT, PRODUCTION])(
    'pgDumpBackup: false with an in-cluster PostgreSQL is refused (%s)',
    (level) => {
      // No object store either (Level 3 opts out explicitly): nothing would back PostgreSQL up.
      const datastores = { pgDumpBackup: false, ...(level === PRODUCTION ? { localBackupsOnly: true } : {}) };
      expect(errorOf(() => levelChart(level, { datastores }))).toMatch(
        /\/datastores\] MerlaiDatastores: 'pgDumpBackup' is false; expected true while PostgreSQL runs in the cluster without/,
      );
    },
  );

  test('pgDumpBackup: false with backup options is contradictory', () => {
    const build = () =>
      levelChart(STAGING, {
        datastores: { pgDumpBackup: false, postgres: { external: EXTERNAL_PG }, backup: { retention: 3 } },
      });
    expect(errorOf(build)).toBe(
      "[level2-staging/datastores] MerlaiDatastores: 'backup' is {\"retention\":3}; expected no 'backup' options with 'pgDumpBackup: false' (there is no pg_dump backup to configure)",
    );
  });

  test('a bad instance names the prop', () => {
    expect(errorOf(() => levelChart(DEVELOPMENT, { api: { instance: 'Team_B' } }))).toMatch(
      /^\[level1-dev\/merlai-api\] MerlaiApi: 'instance' is 'Team_B'; expected a DNS-1123 label/,
    );
  });
});

describe("Level 3's object store is required only where backups live in the cluster", () => {
  // Built directly: the tests' levelChart would add the example object store.
  const withoutStore = (datastores: MerlaiDatastoresOptions) =>
    new Level3ProductionChart(Testing.app(), 'level3-production', { ...LEVEL3_CLUSTER_FACTS, datastores });

  test('an in-cluster PostgreSQL without an object store is refused, naming the prop', () => {
    expect(errorOf(() => withoutStore({ objectStore: undefined }))).toMatch(
      /^\[level3-production\/datastores\] MerlaiDatastores: 'objectStore' is undefined; Level 3 \(production\) keeps its backups off the cluster/,
    );
  });

  test('a managed PostgreSQL that still runs pg_dump into the cluster is refused too', () => {
    expect(errorOf(() => withoutStore({ postgres: { external: EXTERNAL_PG } }))).toMatch(
      /MerlaiDatastores: 'objectStore' is undefined/,
    );
  });

  test('a managed PostgreSQL without pg_dump keeps nothing in the cluster: no object store needed', () => {
    const chart = withoutStore({ postgres: { external: EXTERNAL_PG }, pgDumpBackup: false });
    expect(chart.datastores.objectStore).toBeUndefined();
    expect(chart.datastores.backup).toBeUndefined();
  });
});
