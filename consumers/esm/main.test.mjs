import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Testing } from 'cdk8s';
import * as lib from 'merlai-cdk8s';
import { AvailabilityLevel, build, Cluster, MerlaiApi, MerlaiPropError } from './main.mjs';

test('named ESM imports of the CommonJS package resolve', () => {
  for (const value of [AvailabilityLevel.STAGING, MerlaiApi, MerlaiPropError, Cluster]) assert.ok(value);
  assert.equal(typeof lib.Level3ProductionChart, 'function');
});

test('internal helpers are not exported', () => {
  for (const name of ['invalidProp', 'requireInteger', 'requireDnsLabel']) assert.equal(lib[name], undefined, name);
});

test('deep imports outside the exports map are refused', async () => {
  await assert.rejects(import('merlai-cdk8s/build/lib/errors.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

test('synthesizes Level 2 in the given namespace with the pod label', () => {
  const app = build(Testing.app().outdir);
  const objects = Testing.synth(app.charts[0]);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'merlai-api');
  assert.equal(deployment.metadata.namespace, 'music-staging');
  assert.equal(deployment.spec.template.metadata.labels.team, 'music');
});

test('bad input throws a MerlaiPropError naming the construct path', () => {
  assert.throws(
    () => new lib.Level3ProductionChart(Testing.app(), 'prod'),
    (e) => e instanceof MerlaiPropError && e.message.startsWith("[prod] Level3ProductionChart: 'api.ingress.host'"),
  );
});
