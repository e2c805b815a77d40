import { stringify } from 'yaml';
import { LEVEL_PROFILES } from '../lib';
import { schemaErrors } from './support/k8s-schema';
import { LEVELS, synthLevel } from './support/synth';

describe.each(LEVELS)('%s chart', (level) => {
  const objects = synthLevel(level);

  test('YAML snapshot', () => {
    expect(objects.map((o) => stringify(o)).join('---\n')).toMatchSnapshot();
  });

  test('every object is valid against the Kubernetes (or its CRD) schema', () => {
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('no hashed name, label or cdk8s.io/metadata.addr selector', () => {
    const yaml = JSON.stringify(objects);
    expect(yaml).not.toMatch(/cdk8s\.io\/metadata\.addr/);
    // cdk8s appends "-c8" and six hex digits when names are hashed.
    expect(yaml).not.toMatch(/-c8[0-9a-f]{6}\b/);
    for (const o of objects) expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  test('object names are unique per kind', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test(`labels say the level (${LEVEL_PROFILES[level].number}) on every object`, () => {
    for (const o of objects)
      expect(o.metadata.labels['merlai.io/level']).toBe(String(LEVEL_PROFILES[level].number));
  });
});
