// Whether the API runs Merlai's AI model, and what model mode changes. Objects: Job `<api>-model-fetch`
// and NetworkPolicy `<api>-model-fetch-egress`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import {
  quantity as q,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../core/containers';
import { invalidProp } from '../core/errors';
import type { ResourceProfile } from '../core/levels';
import { parseCidr, parseQuantity, requireDnsLabel, requireLabelMap } from '../core/validation';
import type { ApiResourceOverrides } from './resources';

/**
 * How the API runs Merlai's AI model. Merlai's default model (`microsoft/DialoGPT-medium`, loaded
 * with torch and transformers at start-up) needs about 1.4 GB resident, more than the guide's 1Gi
 * limit; without it the app serves its rule-based generation.
 */
export enum ModelMode {
  /**
   * No model: the image of `docker/Dockerfile.lightweight` (no torch), or any image with
   * `HF_HUB_OFFLINE=1` so a full image fails its model load at once instead of trying to download
   * it. The guide's resources hold; /ready means "serving rule-based generation".
   */
  LIGHTWEIGHT = 'lightweight',
  /**
   * The model, from the models volume: `HF_HOME` on the claim, `HF_HUB_OFFLINE=1` (the API pods
   * keep their egress denied), filled by the one-shot Job `<api>-model-fetch`, whose only egress is
   * DNS and HTTPS to `egressCidrs`. Memory sized for the model; `OMP_NUM_THREADS` and
   * `MKL_NUM_THREADS` from the CPU limit; readiness passes only once the model is registered.
   * Needs a full image (`docker/Dockerfile`) and persistent storage (Levels 2 and 3).
   */
  MODEL = 'model',
}

/** Settings of the API's model. */
export interface ApiModelOptions {
  /** @default ModelMode.LIGHTWEIGHT at every level (see README, "Model and memory") */
  readonly mode?: ModelMode | undefined;
  /**
   * Hugging Face model the app loads (Merlai's built-in default; the app has no setting to change it).
   * @default 'microsoft/DialoGPT-medium'
   */
  readonly name?: string | undefined;
  /**
   * Memory request in model mode.
   * @default '2Gi'
   */
  readonly memoryRequest?: string | undefined;
  /**
   * Memory limit in model mode: the model resident (about 1.4 GB with torch) plus generation.
   * @default '3Gi'
   */
  readonly memoryLimit?: string | undefined;
  /**
   * Addresses the fetch Job may reach on TCP 443 (the Hugging Face hub and its CDN, or your proxy
   * or mirror). NetworkPolicy cannot name hosts, so the default is every public IPv4 address:
   * the cluster's private ranges, link-local and the cloud metadata address stay unreachable.
   * An empty list is an error, not "nowhere" nor the default.
   * @default ['0.0.0.0/0' except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 100.64.0.0/10, 127.0.0.0/8]
   */
  readonly egressCidrs?: string[] | undefined;
  /**
   * Namespace and pod labels of the cluster DNS the fetch Job may query.
   * @default kube-system, { 'k8s-app': 'kube-dns' }
   */
  readonly dnsNamespace?: string | undefined;
  /** @default { 'k8s-app': 'kube-dns' } */
  readonly dnsPodLabels?: Readonly<Record<string, string>> | undefined;
}

/** Where the models volume is mounted in the API container (the guide's path). */
export const MODELS_MOUNT = '/app/models';
/** `HF_HOME` in model mode: the Hugging Face cache on the models volume. */
export const HF_HOME = `${MODELS_MOUNT}/huggingface`;
export const DEFAULT_MODEL = 'microsoft/DialoGPT-medium';
/** Smallest memory limit that holds the default model with torch (measured resident ~1.4 GB). */
const MIN_MODEL_MEMORY = 2 * 2 ** 30;
const PUBLIC_EXCEPT = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
];

/** What the mode changes on the API: resource defaults, environment, readiness, fetch Job. */
export interface ResolvedModel {
  readonly mode: ModelMode;
  readonly name: string;
  /** Memory defaults that replace the level table's (the team's `resources` still win). */
  readonly resourceDefaults: ApiResourceOverrides;
  readonly options: ApiModelOptions;
}

export function resolveModel(scope: Construct, type: string, o: ApiModelOptions | undefined): ResolvedModel {
  const mode = o?.mode ?? ModelMode.LIGHTWEIGHT;
  if (!Object.values(ModelMode).includes(mode)) {
    invalidProp(scope, type, 'model.mode', mode, `expected one of ${Object.values(ModelMode).join(', ')}`);
  }
  const name = o?.name ?? DEFAULT_MODEL;
  if (!/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(name)) {
    invalidProp(
      scope,
      type,
      'model.name',
      name,
      "expected a Hugging Face model id such as 'microsoft/DialoGPT-medium'",
    );
  }
  if (mode === ModelMode.LIGHTWEIGHT) {
    for (const k of ['memoryRequest', 'memoryLimit', 'egressCidrs'] as const) {
      if (o?.[k] !== undefined) {
        invalidProp(
          scope,
          type,
          `model.${k}`,
          o[k],
          "applies only with mode: ModelMode.MODEL; remove it or set 'model.mode'",
        );
      }
    }
    return { mode, name, resourceDefaults: {}, options: o ?? {} };
  }
  const memoryRequest = o?.memoryRequest ?? '2Gi';
  const memoryLimit = o?.memoryLimit ?? '3Gi';
  if ((parseQuantity(memoryLimit) ?? 0) < MIN_MODEL_MEMORY) {
    invalidProp(
      scope,
      type,
      'model.memoryLimit',
      memoryLimit,
      'expected at least 2Gi: the model with torch is about 1.4 GB resident, and a smaller limit gets the pod OOM-killed while it loads',
    );
  }
  if (o?.egressCidrs !== undefined && (!Array.isArray(o.egressCidrs) || o.egressCidrs.length === 0)) {
    // Fail closed: an empty allow-list must not read as "the default", every public address.
    invalidProp(
      scope,
      type,
      'model.egressCidrs',
      o.egressCidrs,
      "expected at least one CIDR the fetch Job may reach on 443, e.g. ['203.0.113.0/24'] (your proxy or mirror); leave it unset to allow every public IPv4 address",
    );
  }
  for (const cidr of o?.egressCidrs ?? []) {
    if (parseCidr(cidr) === undefined) {
      invalidProp(scope, type, 'model.egressCidrs', cidr, "expected CIDRs such as '203.0.113.0/24'");
    }
  }
  if (o?.dnsNamespace !== undefined) requireDnsLabel(scope, type, 'model.dnsNamespace', o.dnsNamespace);
  if (o?.dnsPodLabels !== undefined) {
    if (
      typeof o.dnsPodLabels === 'object' &&
      o.dnsPodLabels !== null &&
      Object.keys(o.dnsPodLabels).length === 0
    ) {
      // Fail closed: an empty selector would let the Job query every pod of the DNS namespace.
      invalidProp(
        scope,
        type,
        'model.dnsPodLabels',
        o.dnsPodLabels,
        `expected at least one label of the DNS pods, e.g. { 'k8s-app': 'kube-dns' }: an empty selector would let the fetch Job reach every pod of '${o.dnsNamespace ?? 'kube-system'}' on port 53`,
      );
    }
    requireLabelMap(scope, type, 'model.dnsPodLabels', o.dnsPodLabels);
  }
  return { mode, name, resourceDefaults: { memoryRequest, memoryLimit }, options: o ?? {} };
}

/** Threads for OpenMP and MKL: the CPU limit rounded up, at least 1 (torch would use every node core). */
export function threadsFor(cpuLimit: string): string {
  const cores = parseQuantity(cpuLimit) ?? 1;
  return String(Math.max(1, Math.ceil(cores)));
}

/** The environment the mode sets, in order. */
export function modelEnv(m: ResolvedModel, resources: ResourceProfile): [string, string][] {
  // Offline in both modes: the API pods have no egress, and a full image must not wait on it.
  if (m.mode === ModelMode.LIGHTWEIGHT) return [['HF_HUB_OFFLINE', '1']];
  const threads = threadsFor(resources.cpuLimit);
  return [
    ['HF_HOME', HF_HOME],
    ['HF_HUB_OFFLINE', '1'],
    ['MKL_NUM_THREADS', threads],
    ['OMP_NUM_THREADS', threads],
  ];
}

/**
 * Readiness in model mode: an exec probe that passes once the app lists a registered model
 * (Merlai registers its model only when it loaded; `/health`'s `model_loaded` never turns true
 * on that path, and `/ready` is always ready).
 */
export function modelReadinessCommand(port: number, timeoutSeconds: number): string[] {
  return [
    'python3',
    '-c',
    `import json, sys, urllib.request; r = json.load(urllib.request.urlopen("http://127.0.0.1:${port}/api/v1/ai/models", timeout=${timeoutSeconds})); sys.exit(0 if r.get("count", 0) > 0 else 1)`,
  ];
}

export interface ModelFetchProps {
  readonly apiName: string;
  readonly image: string;
  readonly uid: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly apiSelector: Readonly<Record<string, string>>;
  readonly modelsClaim: string;
  /** Require the Job's pod on a node with an API pod (a ReadWriteOnce claim). */
  readonly sameNodeAsApi: boolean;
  readonly model: ResolvedModel;
}

/** The one-shot Job that fills `HF_HOME` on the models claim, and its egress policy. */
export function createModelFetch(scope: Construct, p: ModelFetchProps): k8s.KubeJob {
  const name = `${p.apiName}-model-fetch`;
  const labels = {
    ...p.labels,
    app: name,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': 'model-fetch',
  };
  const podLabels = { app: name, 'app.kubernetes.io/component': 'model-fetch' };
  const job = new k8s.KubeJob(scope, 'model-fetch', {
    metadata: { name, labels },
    spec: {
      backoffLimit: 4,
      activeDeadlineSeconds: 3600,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: { ...labels, ...podLabels } },
        spec: {
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(p.uid),
          affinity: p.sameNodeAsApi
            ? {
                podAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: { ...p.apiSelector } },
                    },
                  ],
                },
              }
            : undefined,
          containers: [
            {
              name: 'fetch',
              image: p.image,
              imagePullPolicy: 'IfNotPresent',
              command: [
                'python3',
                '-c',
                'import os, sys; from huggingface_hub import snapshot_download; print(snapshot_download(sys.argv[1]))',
                p.model.name,
              ],
              env: [
                { name: 'HF_HOME', value: HF_HOME },
                { name: 'HF_HUB_DISABLE_TELEMETRY', value: '1' },
              ],
              resources: {
                requests: { cpu: q('100m'), memory: q('256Mi'), 'ephemeral-storage': q('64Mi') },
                limits: { cpu: q('1'), memory: q('1Gi'), 'ephemeral-storage': q('1Gi') },
              },
              securityContext: restrictedContainerSecurityContext(p.uid),
              volumeMounts: [
                { name: 'models', mountPath: MODELS_MOUNT },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'models', persistentVolumeClaim: { claimName: p.modelsClaim } },
            { name: 'tmp', emptyDir: { sizeLimit: q('1Gi') } },
          ],
        },
      },
    },
  });
  const o = p.model.options;
  const https = o.egressCidrs?.length
    ? o.egressCidrs.map((cidr) => ({ ipBlock: { cidr } }))
    : [{ ipBlock: { cidr: '0.0.0.0/0', except: PUBLIC_EXCEPT } }];
  new k8s.KubeNetworkPolicy(scope, 'model-fetch-policy', {
    metadata: { name: `${name}-egress`, labels },
    spec: {
      podSelector: { matchLabels: podLabels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        {
          to: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': o.dnsNamespace ?? 'kube-system' },
              },
              podSelector: { matchLabels: { ...(o.dnsPodLabels ?? { 'k8s-app': 'kube-dns' }) } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
        { to: https, ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(443) }] },
      ],
    },
  });
  return job;
}
