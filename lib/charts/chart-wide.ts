// What a level chart puts on every object it emits: annotations on each object, its labels on each pod
// template, and its image pull Secrets on each pod and operator resource. No objects of its own.
import { ApiObject, type Chart, JsonPatch } from 'cdk8s';
import { invalidProp } from '../core/errors';
import { isLabelKey, requireDnsSubdomain } from '../core/validation';

/** The chart-wide values, checked. */
export interface ChartWide {
  readonly annotations?: { readonly [key: string]: string } | undefined;
  readonly labels?: { readonly [key: string]: string } | undefined;
  readonly imagePullSecrets?: readonly string[] | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized manifests are plain JSON
type Json = any;

/** Where each kind keeps its pod template (JSON pointer), as the API server reads it. */
const POD_TEMPLATES: Record<string, string> = {
  Deployment: '/spec/template',
  StatefulSet: '/spec/template',
  DaemonSet: '/spec/template',
  Job: '/spec/template',
  Rollout: '/spec/template',
  CronJob: '/spec/jobTemplate/spec/template',
};

function at(json: Json, pointer: string): Json {
  return pointer
    .split('/')
    .slice(1)
    .reduce((v, key) => v?.[key], json);
}

/** Checks the chart-wide props, then writes them on every API object of the chart. */
export function applyChartWide(chart: Chart, type: string, o: ChartWide): void {
  for (const [key, value] of Object.entries(o.annotations ?? {})) {
    if (!isLabelKey(key)) {
      invalidProp(
        chart,
        type,
        `annotations.${key}`,
        value,
        "expected an annotation key: an optional DNS-subdomain prefix and '/', then a name of at most 63 alphanumerics, '-', '_' or '.', e.g. 'example.com/owner'",
      );
    }
    if (typeof value !== 'string') {
      invalidProp(chart, type, `annotations.${key}`, value, 'expected a string value');
    }
  }
  const pullSecrets = (o.imagePullSecrets ?? []).map((name) =>
    requireDnsSubdomain(chart, type, 'imagePullSecrets', name),
  );
  const labels = o.labels ?? {};
  const objects = chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  for (const object of objects) {
    for (const [key, value] of Object.entries(o.annotations ?? {})) object.metadata.addAnnotation(key, value);
    const json = object.toJson();
    const template = POD_TEMPLATES[object.kind];
    if (template && at(json, template)) {
      const pod = at(json, template);
      if (Object.keys(labels).length > 0) {
        // The component's own template labels (its selector's) win over the chart's.
        patch(
          object,
          `${template}/metadata/labels`,
          { ...labels, ...pod.metadata?.labels },
          pod.metadata?.labels,
        );
      }
      if (pullSecrets.length > 0) {
        patch(
          object,
          `${template}/spec/imagePullSecrets`,
          merged(pod.spec.imagePullSecrets, pullSecrets),
          pod.spec.imagePullSecrets,
        );
      }
    } else if (object.kind === 'Cluster' && pullSecrets.length > 0) {
      // CloudNativePG: `spec.imagePullSecrets`, used for the operand's pods (labels reach them through
      // `inheritedMetadata`, below).
      patch(
        object,
        '/spec/imagePullSecrets',
        merged(json.spec.imagePullSecrets, pullSecrets),
        json.spec.imagePullSecrets,
      );
    } else if (object.kind === 'RedisReplication' && pullSecrets.length > 0) {
      // redis-operator v0.26: the data pods' `kubernetesConfig.imagePullSecrets`, the Sentinels' own.
      const kc = json.spec.kubernetesConfig;
      patch(
        object,
        '/spec/kubernetesConfig/imagePullSecrets',
        merged(kc.imagePullSecrets, pullSecrets),
        kc.imagePullSecrets,
      );
      if (json.spec.sentinel) {
        const s = json.spec.sentinel;
        patch(
          object,
          '/spec/sentinel/imagePullSecrets',
          merged(s.imagePullSecrets, pullSecrets),
          s.imagePullSecrets,
        );
      }
    }
    if (object.kind === 'Cluster' && Object.keys(labels).length > 0) {
      // CloudNativePG copies `inheritedMetadata` onto every object it creates, the instance pods included.
      const inherited = json.spec.inheritedMetadata?.labels;
      patch(object, '/spec/inheritedMetadata/labels', { ...labels, ...inherited }, inherited);
    }
  }
}

function merged(existing: { name: string }[] | undefined, names: readonly string[]): { name: string }[] {
  const have = new Set((existing ?? []).map((s) => s.name));
  return [...(existing ?? []), ...names.filter((n) => !have.has(n)).map((name) => ({ name }))];
}

function patch(object: ApiObject, pointer: string, value: unknown, before: unknown): void {
  object.addJsonPatch(
    before === undefined ? JsonPatch.add(pointer, value) : JsonPatch.replace(pointer, value),
  );
}
