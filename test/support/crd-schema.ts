import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { load as parseYaml } from 'js-yaml';
import { CRDS_DIR } from './shared';
import type { KubeObject } from './synth';

export { CRDS_DIR };

type Schema = Record<string, unknown>;
/** A compiled schema; not a type guard, so a failed check keeps the object's type. */
type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Closes every object schema that lists its properties, as the API server's strict field
 * validation does: an unknown field is an error, not a silently dropped typo.
 */
function closeSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([k, v]) => [k, closeSchema(v as Schema)]),
      );
    } else if (Array.isArray(value)) {
      out[key] = value.map((v) => (v && typeof v === 'object' ? closeSchema(v as Schema) : v));
    } else if (value && typeof value === 'object') {
      out[key] = closeSchema(value as Schema);
    } else {
      out[key] = value;
    }
  }
  if (
    out.type === 'object' &&
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

/** CRD patterns are Go RE2: translate the inline `(?i)` flag that JavaScript lacks. */
function goRegExp(pattern: string, flags: string): RegExp {
  if (pattern.includes('(?i)')) return new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`);
  return new RegExp(pattern, flags);
}
goRegExp.code = 'goRegExp';

const schemas = new Map<string, Schema>();
const loadedGroups = new Set<string>();
const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp as never } });
addFormats(ajv);

/** Reads the CRDs of one API group (files are named `<group>_<plural>.yaml`); they are large. */
function loadGroup(group: string): void {
  if (loadedGroups.has(group)) return;
  loadedGroups.add(group);
  for (const file of readdirSync(CRDS_DIR).filter((f) => f.startsWith(`${group}_`) && f.endsWith('.yaml'))) {
    const crd = parseYaml(readFileSync(path.join(CRDS_DIR, file), 'utf8')) as Schema & { spec: any };
    for (const version of crd.spec.versions) {
      const schema = closeSchema(version.schema.openAPIV3Schema);
      // `metadata` is checked by the API server's ObjectMeta rules, not by the CRD.
      (schema.properties as Schema).metadata = { type: 'object' };
      schemas.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, schema);
    }
  }
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** True when a CRD of `crds/` defines the object's kind. */
export function isCustomResource(o: KubeObject): boolean {
  loadGroup(groupOf(o.apiVersion));
  return schemas.has(`${o.apiVersion}/${o.kind}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The part of `schema` that can apply to `samples` (the instances it validates): `properties` that
 * no sample has are dropped; every keyword that can fail (`required`, `additionalProperties: false`,
 * types, patterns, …) stays. The result validates these samples exactly as the whole schema does,
 * and compiles in milliseconds instead of seconds (the operators' CRDs are up to 650 kB).
 */
function prune(schema: unknown, samples: unknown[]): unknown {
  if (!isObject(schema)) return schema;
  const out: Schema = { ...schema };
  const objects = samples.filter(isObject);
  if (isObject(schema.properties)) {
    const kept: Schema = {};
    for (const [key, sub] of Object.entries(schema.properties)) {
      const values = objects.filter((o) => key in o).map((o) => o[key]);
      if (values.length) kept[key] = prune(sub, values);
    }
    out.properties = kept;
  }
  if (isObject(schema.additionalProperties)) {
    const listed = new Set(Object.keys(isObject(schema.properties) ? schema.properties : {}));
    const values = objects.flatMap((o) =>
      Object.entries(o)
        .filter(([k]) => !listed.has(k))
        .map(([, v]) => v),
    );
    out.additionalProperties = prune(schema.additionalProperties, values);
  }
  if (schema.items !== undefined) {
    out.items = prune(schema.items, samples.filter(Array.isArray).flat());
  }
  for (const combinator of ['allOf', 'anyOf', 'oneOf']) {
    const branches = schema[combinator];
    if (Array.isArray(branches)) out[combinator] = branches.map((b) => prune(b, samples));
  }
  if (schema.not !== undefined) out.not = prune(schema.not, samples);
  return out;
}

/** Validation errors of a custom resource against its CRD's openAPIV3Schema (empty when valid). */
export function crdErrors(o: KubeObject): string[] {
  const key = `${o.apiVersion}/${o.kind}`;
  loadGroup(groupOf(key));
  const schema = schemas.get(key);
  if (!schema) return [`no CRD in ${CRDS_DIR} defines ${o.apiVersion} ${o.kind}`];
  const validate: Validator = ajv.compile(prune(schema, [o]) as Schema);
  if (validate(o)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${o.kind}/${o.metadata.name}${e.instancePath} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}
