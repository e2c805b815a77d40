import { crdErrors, isCustomResource } from './crd-schema';
import type { KubeObject } from './synth';

/**
 * Validation errors of one object: built-in kinds against the Kubernetes schema of
 * `kubernetes-models`, custom resources against their CRD. Unknown kinds are errors.
 */
export function schemaErrors(o: KubeObject): string[] {
  if (isCustomResource(o)) return crdErrors(o);
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  let model: (new (data: unknown) => { validate(): void }) | undefined;
  try {
    model = require(`kubernetes-models/${group ? `${group}/` : ''}${version}`)[o.kind];
  } catch {
    model = undefined;
  }
  if (!model) return [`no schema for ${o.apiVersion} ${o.kind}`];
  try {
    new model(o).validate();
    return [];
  } catch (error) {
    return [`${o.kind}/${o.metadata.name}: ${(error as Error).message}`];
  }
}
