import { readdirSync } from 'node:fs';
import { CRDS_DIR, crdErrors, isCustomResource } from './support/crd-schema';

// The validator the datastore, observability and rollout tests rely on must itself bite.
describe('CRD schema validator', () => {
  const cluster = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg' },
    spec: { instances: 3, storage: { size: '10Gi' } },
  };

  test('reads every CRD of crds/', () => {
    expect(readdirSync(CRDS_DIR).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThanOrEqual(11);
    expect(isCustomResource(cluster)).toBe(true);
  });

  test('accepts a valid custom resource', () => {
    expect(crdErrors(cluster)).toEqual([]);
  });

  test('rejects an unknown field, as strict field validation does', () => {
    const errors = crdErrors({ ...cluster, spec: { ...cluster.spec, instancez: 3 } });
    expect(errors.join('\n')).toMatch(/must NOT have additional properties.*instancez/);
  });

  test('rejects a wrong type', () => {
    expect(crdErrors({ ...cluster, spec: { ...cluster.spec, instances: 'three' } }).join('\n')).toMatch(
      /instances must be integer/,
    );
  });

  test('rejects a missing required field', () => {
    const { instances: _, ...spec } = cluster.spec;
    expect(crdErrors({ ...cluster, spec }).join('\n')).toMatch(/must have required property 'instances'/);
  });

  test('rejects an unknown field deep inside an array item', () => {
    const spec = { ...cluster.spec, managed: { roles: [{ name: 'app', ensure: 'present', bogus: true }] } };
    expect(crdErrors({ ...cluster, spec }).join('\n')).toMatch(
      /\/spec\/managed\/roles\/0 must NOT have additional.*bogus/,
    );
  });

  test('checks an enum and an int-or-string field', () => {
    const bad = { ...cluster.spec, primaryUpdateStrategy: 'sometimes' };
    expect(crdErrors({ ...cluster, spec: bad }).join('\n')).toMatch(
      /primaryUpdateStrategy must be equal to one of the allowed values/,
    );
    const pdb = { ...cluster.spec, resources: { limits: { cpu: 1, memory: '1Gi' } } };
    expect(crdErrors({ ...cluster, spec: pdb })).toEqual([]);
  });

  test('translates Go (?i) patterns', () => {
    const rule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'r' },
      spec: { groups: [{ name: 'g', rules: [{ record: 'a:b', expr: 'up' }] }] },
    };
    expect(crdErrors(rule)).toEqual([]);
  });
});
