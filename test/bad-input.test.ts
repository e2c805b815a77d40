// The bad-input corpus: one build per refused prop, each asserted by its exact message (construct
// path, prop, value, what is valid). Whether an input is refused follows Kubernetes' rules and the guide.
import { Chart, Testing } from 'cdk8s';
import {
  ApiServiceType,
  AvailabilityLevel,
  EnvValue,
  Level3ProductionChart,
  MerlaiApi,
  type MerlaiApiProps,
  MerlaiDatastores,
  type MerlaiDatastoresProps,
  type MerlaiLevelChartProps,
  MerlaiPropError,
  ModelMode,
} from '../lib';
import { exampleObjectStore, LEVEL3_CLUSTER_FACTS } from '../main';
import { find, type KubeObject, levelChart, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

/** A MerlaiApi in a plain chart `c` (path `c/api`), synthesized. */
function api(props: Partial<MerlaiApiProps>): () => unknown {
  return () => {
    const c = new Chart(Testing.app(), 'c', { namespace: 'team' });
    new MerlaiApi(c, 'api', { level: DEVELOPMENT, ...props } as MerlaiApiProps);
    return Testing.synth(c);
  };
}

const REPORT = 'Validation failed with the following errors:';

/**
 * The invalid props an error names, one line each: a prop thrown at once is its own message; the
 * ones collected until synth come in cdk8s' report, one indented `[path] message` line each.
 */
function linesOf(error: unknown): string[] {
  const message = (error as Error).message;
  if (!message.startsWith(REPORT)) return [message];
  return message
    .slice(REPORT.length)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** A level chart (`level1-dev`, `level2-staging`, `level3-production`). */
function chart(level: AvailabilityLevel, props: MerlaiLevelChartProps): () => unknown {
  return () => Testing.synth(levelChart(level, props));
}

const untyped = (v: unknown): any => v;
const TLS = { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' };
const store = exampleObjectStore(STAGING);

// The rules, worded as the messages word them (Kubernetes' own: label keys and values,
// IsDNS1123Subdomain, IsDNS1123Label, networking.k8s.io/v1 IngressRule.host).
const KEY_RULE =
  "an optional DNS-subdomain prefix (at most 253 characters) and '/', then a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const VALUE_RULE =
  "a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const SUBDOMAIN =
  'expected a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", at most 253 characters';
const DNS_LABEL =
  'expected a DNS-1123 label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit';
const HOST_HINT = "Kubernetes accepts a host such as 'merlai.example.com' or '*.example.com'";
const WILDCARD =
  "a wildcard must be the whole first label, as in '*.example.com', and matches one label only";

/** [what is wrong, build, the exact message]: each build must throw that message. */
const CASES: [string, () => unknown, string][] = [
  // Production rules on the construct (issue 27, part 2)
  [
    'production MerlaiApi: an Ingress without TLS',
    api({ level: PRODUCTION, storageClassName: 'cephfs', ingress: { host: 'merlai.example.com' } }),
    "[c/api] MerlaiApi: 'ingress.tlsSecretName' is undefined; expected the Secret holding the TLS certificate of 'merlai.example.com' (e.g. one cert-manager issues): production serves HTTPS only",
  ],
  [
    'production MerlaiApi: an Ingress with an empty host',
    api({ level: PRODUCTION, storageClassName: 'cephfs', ingress: { host: '', tlsSecretName: 't' } }),
    "[c/api] MerlaiApi: 'ingress.host' is ''; expected the public host name of the API, e.g. ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' }",
  ],
  [
    'production MerlaiApi: an empty TLS Secret name',
    api({
      level: PRODUCTION,
      storageClassName: 'cephfs',
      ingress: { host: 'merlai.example.com', tlsSecretName: '' },
    }),
    "[c/api] MerlaiApi: 'ingress.tlsSecretName' is ''; expected the Secret holding the TLS certificate of 'merlai.example.com' (e.g. one cert-manager issues): production serves HTTPS only",
  ],
  [
    'Level 3 chart: no ingress',
    () =>
      new Level3ProductionChart(Testing.app(), 'prod', {
        ...LEVEL3_CLUSTER_FACTS,
        api: { storageClassName: 'efs-sc' },
      }),
    "[prod] Level3ProductionChart: 'api.ingress.host' is undefined; expected the public host name of the API, e.g. api: { ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' } }",
  ],
  [
    'Level 3 chart: a host without TLS',
    () =>
      new Level3ProductionChart(Testing.app(), 'prod', {
        ...LEVEL3_CLUSTER_FACTS,
        api: { storageClassName: 'efs-sc', ingress: { host: 'merlai.example.com' } },
      }),
    "[prod] Level3ProductionChart: 'api.ingress.tlsSecretName' is undefined; expected the Secret holding the TLS certificate of 'merlai.example.com' (e.g. one cert-manager issues): production serves HTTPS only",
  ],
  // Ingress hosts (networking.k8s.io/v1 IngressRule.host)
  [
    'host: upper case',
    api({ ingress: { host: 'Merlai.example.com' } }),
    `[c/api] MerlaiApi: 'ingress.host' is 'Merlai.example.com'; ${SUBDOMAIN}; ${HOST_HINT}`,
  ],
  [
    'host: a wildcard in a second label',
    api({ ingress: { host: 'api.*.example.com' } }),
    `[c/api] MerlaiApi: 'ingress.host' is 'api.*.example.com'; ${WILDCARD}; ${HOST_HINT}`,
  ],
  [
    'host: two wildcard labels',
    api({ ingress: { host: '*.*.example.com' } }),
    `[c/api] MerlaiApi: 'ingress.host' is '*.*.example.com'; ${WILDCARD}; ${HOST_HINT}`,
  ],
  [
    'host: a wildcard inside a label',
    api({ ingress: { host: '*merlai.example.com' } }),
    `[c/api] MerlaiApi: 'ingress.host' is '*merlai.example.com'; ${WILDCARD}; ${HOST_HINT}`,
  ],
  [
    'host: a bare wildcard',
    api({ ingress: { host: '*' } }),
    `[c/api] MerlaiApi: 'ingress.host' is '*'; ${WILDCARD}; ${HOST_HINT}`,
  ],
  [
    'host: an IPv4 address',
    api({ ingress: { host: '192.0.2.10' } }),
    `[c/api] MerlaiApi: 'ingress.host' is '192.0.2.10'; an Ingress host must be a DNS name, not an IP address; ${HOST_HINT}`,
  ],
  [
    'host: a trailing dot',
    api({ ingress: { host: 'merlai.example.com.' } }),
    `[c/api] MerlaiApi: 'ingress.host' is 'merlai.example.com.'; ${SUBDOMAIN}; ${HOST_HINT}`,
  ],
  [
    'host: a label starting with a hyphen',
    api({ ingress: { host: '-merlai.example.com' } }),
    `[c/api] MerlaiApi: 'ingress.host' is '-merlai.example.com'; ${SUBDOMAIN}; ${HOST_HINT}`,
  ],
  [
    'host: an underscore',
    api({ ingress: { host: 'merlai_api.example.com' } }),
    `[c/api] MerlaiApi: 'ingress.host' is 'merlai_api.example.com'; ${SUBDOMAIN}; ${HOST_HINT}`,
  ],
  [
    'host: a port',
    api({ ingress: { host: 'merlai.example.com:443' } }),
    `[c/api] MerlaiApi: 'ingress.host' is 'merlai.example.com:443'; ${SUBDOMAIN}; ${HOST_HINT}`,
  ],
  [
    'host: 254 characters',
    api({ ingress: { host: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}` } }),
    `[c/api] MerlaiApi: 'ingress.host' is '${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}'; ${SUBDOMAIN}; ${HOST_HINT}`,
  ],
  // Labels (chart labels, pod labels, nodeSelector)
  [
    'chart labels: a space in the key',
    chart(DEVELOPMENT, { labels: { 'team name': 'music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.team name' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'chart labels: a space in the value',
    chart(DEVELOPMENT, { labels: { team: 'music team' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.team' is 'music team'; expected ${VALUE_RULE}`,
  ],
  [
    'chart labels: a 64-character value',
    chart(DEVELOPMENT, { labels: { team: 'a'.repeat(64) } }),
    `[level1-dev] MerlaiLevelChart: 'labels.team' is '${'a'.repeat(64)}'; expected ${VALUE_RULE}`,
  ],
  [
    'chart labels: an upper-case prefix',
    chart(DEVELOPMENT, { labels: { 'Example.com/team': 'music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.Example.com/team' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'chart labels: a prefix without a name',
    chart(DEVELOPMENT, { labels: { 'example.com/': 'music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.example.com/' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'chart labels: an empty prefix',
    chart(DEVELOPMENT, { labels: { '/team': 'music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels./team' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'chart labels: a 64-character name',
    chart(DEVELOPMENT, { labels: { ['n'.repeat(64)]: 'music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.${'n'.repeat(64)}' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'chart labels: a key starting with a hyphen',
    chart(DEVELOPMENT, { labels: { '-team': 'music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.-team' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'chart labels: a value starting with a hyphen',
    chart(DEVELOPMENT, { labels: { team: '-music' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.team' is '-music'; expected ${VALUE_RULE}`,
  ],
  [
    'chart labels: a value ending with a dot',
    chart(DEVELOPMENT, { labels: { team: 'music.' } }),
    `[level1-dev] MerlaiLevelChart: 'labels.team' is 'music.'; expected ${VALUE_RULE}`,
  ],
  [
    'chart labels: a 254-character prefix',
    chart(DEVELOPMENT, {
      labels: { [`${'p'.repeat(63)}.${'q'.repeat(63)}.${'r'.repeat(63)}.${'s'.repeat(62)}/team`]: 'music' },
    }),
    `[level1-dev] MerlaiLevelChart: 'labels.${'p'.repeat(63)}.${'q'.repeat(63)}.${'r'.repeat(63)}.${'s'.repeat(62)}/team' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    "chart labels: one of the chart's own keys",
    chart(DEVELOPMENT, { labels: { 'merlai.io/level': '9' } }),
    "[level1-dev] MerlaiLevelChart: 'labels.merlai.io/level' is '9'; expected a key other than the chart's own (app.kubernetes.io/part-of, app.kubernetes.io/managed-by, merlai.io/level, merlai.io/environment)",
  ],
  [
    'pod labels: two slashes in the key',
    api({ podLabels: { 'example.com/a/b': 'x' } }),
    `[c/api] MerlaiApi: 'podLabels.example.com/a/b' is 'x'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'pod labels: a slash in the value',
    api({ podLabels: { team: 'a/b' } }),
    `[c/api] MerlaiApi: 'podLabels.team' is 'a/b'; expected ${VALUE_RULE}`,
  ],
  [
    'pod labels: a selector key',
    api({ podLabels: { app: 'other' } }),
    "[c/api] MerlaiApi: 'podLabels.app' is 'other'; expected a key other than the selector's (app, app.kubernetes.io/name, app.kubernetes.io/instance, app.kubernetes.io/component, app.kubernetes.io/part-of): the selector is immutable and set by the construct",
  ],
  [
    'nodeSelector: a space in the key',
    api({ nodeSelector: { 'node role': 'gpu' } }),
    `[c/api] MerlaiApi: 'nodeSelector.node role' is 'gpu'; the key is not a label key: expected ${KEY_RULE}`,
  ],
  [
    'nodeSelector: a space in the value',
    api({ nodeSelector: { pool: 'gpu nodes' } }),
    `[c/api] MerlaiApi: 'nodeSelector.pool' is 'gpu nodes'; expected ${VALUE_RULE}`,
  ],
  [
    'nodeSelector: a value that is not a string',
    api({ nodeSelector: untyped({ pool: 3 }) }),
    `[c/api] MerlaiApi: 'nodeSelector.pool' is 3; expected ${VALUE_RULE}`,
  ],
  // Annotations
  [
    'pod annotations: a space in the key',
    api({ podAnnotations: { 'bad key': 'x' } }),
    `[c/api] MerlaiApi: 'podAnnotations.bad key' is 'x'; the key is not an annotation key: expected ${KEY_RULE}`,
  ],
  [
    'pod annotations: an empty prefix',
    api({ podAnnotations: { '/x': 'y' } }),
    `[c/api] MerlaiApi: 'podAnnotations./x' is 'y'; the key is not an annotation key: expected ${KEY_RULE}`,
  ],
  [
    'pod annotations: more than 256 KiB',
    api({ podAnnotations: { a: 'x'.repeat(256 * 1024) } }),
    "[c/api] MerlaiApi: 'podAnnotations' is '262145 bytes of keys and values'; expected at most 262144 bytes (256 KiB), Kubernetes' limit on one object's annotations",
  ],
  [
    'service annotations: a key starting with a hyphen',
    api({ serviceAnnotations: { '-lb': 'x' } }),
    `[c/api] MerlaiApi: 'serviceAnnotations.-lb' is 'x'; the key is not an annotation key: expected ${KEY_RULE}`,
  ],
  [
    'service account annotations: a value that is not a string',
    api({ serviceAccountAnnotations: untyped({ 'iam.example.com/role': 42 }) }),
    "[c/api] MerlaiApi: 'serviceAccountAnnotations.iam.example.com/role' is 42; expected a string (annotation values are strings)",
  ],
  [
    'ingress annotations: a prefix without a name',
    api({ ingress: { host: 'merlai.example.com', annotations: { 'nginx.ingress.kubernetes.io/': 'x' } } }),
    `[c/api] MerlaiApi: 'ingress.annotations.nginx.ingress.kubernetes.io/' is 'x'; the key is not an annotation key: expected ${KEY_RULE}`,
  ],
  [
    'ingress annotations: a 64-character name',
    api({
      ingress: { host: 'merlai.example.com', annotations: { [`cert-manager.io/${'i'.repeat(64)}`]: 'x' } },
    }),
    `[c/api] MerlaiApi: 'ingress.annotations.cert-manager.io/${'i'.repeat(64)}' is 'x'; the key is not an annotation key: expected ${KEY_RULE}`,
  ],
  // Empty allow-lists and missing required props (part 5)
  [
    'model.egressCidrs: an empty list',
    api({ level: STAGING, model: { mode: ModelMode.MODEL, egressCidrs: [] } }),
    "[c/api] MerlaiApi: 'model.egressCidrs' is []; expected at least one CIDR the fetch Job may reach on 443, e.g. ['203.0.113.0/24'] (your proxy or mirror); leave it unset to allow every public IPv4 address",
  ],
  [
    'model.egressCidrs: not a CIDR',
    api({ level: STAGING, model: { mode: ModelMode.MODEL, egressCidrs: ['hub.example.com'] } }),
    "[c/api] MerlaiApi: 'model.egressCidrs' is 'hub.example.com'; expected CIDRs such as '203.0.113.0/24'",
  ],
  [
    'model.egressCidrs without the model',
    api({ model: { egressCidrs: ['203.0.113.0/24'] } }),
    "[c/api] MerlaiApi: 'model.egressCidrs' is [\"203.0.113.0/24\"]; applies only with mode: ModelMode.MODEL; remove it or set 'model.mode'",
  ],
  [
    'objectStore without credentialsSecretName',
    chart(STAGING, { datastores: { objectStore: { ...store, credentialsSecretName: untyped(undefined) } } }),
    "[level2-staging/datastores] MerlaiDatastores: 'objectStore.credentialsSecretName' is undefined; it is required: name the Secret holding the object store's access key id and secret access key, e.g. 'merlai-backup-s3'",
  ],
  [
    'objectStore with an empty credentialsSecretName',
    chart(STAGING, { datastores: { objectStore: { ...store, credentialsSecretName: '' } } }),
    "[level2-staging/datastores] MerlaiDatastores: 'objectStore.credentialsSecretName' is ''; it is required: name the Secret holding the object store's access key id and secret access key, e.g. 'merlai-backup-s3'",
  ],
  [
    'objectStore with an invalid credentialsSecretName',
    chart(STAGING, { datastores: { objectStore: { ...store, credentialsSecretName: 'Backup_S3' } } }),
    `[level2-staging/datastores] MerlaiDatastores: 'objectStore.credentialsSecretName' is 'Backup_S3'; ${SUBDOMAIN}`,
  ],
  [
    'security.loadBalancerSourceCidrs: an empty list',
    chart(STAGING, {
      api: { serviceType: ApiServiceType.LOAD_BALANCER },
      security: { loadBalancerSourceCidrs: [] },
    }),
    "[level2-staging/security] MerlaiSecurity: 'loadBalancerSourceCidrs' is []; expected at least one CIDR, e.g. ['0.0.0.0/0']",
  ],
  [
    'security.kubernetesApiServer.ports: an empty list',
    chart(STAGING, { security: { kubernetesApiServer: { cidr: '10.0.0.0/24', ports: [] } } }),
    "[level2-staging/security] MerlaiSecurity: 'kubernetesApiServer.ports' is []; expected the ports of the endpoints, e.g. [443] (EKS, GKE, AKS) or [6443] (kubeadm); leave unset for both",
  ],
  [
    'security.dnsPodLabels: an empty map',
    chart(STAGING, { security: { dnsPodLabels: {} } }),
    "[level2-staging/security] MerlaiSecurity: 'dnsPodLabels' is {}; expected at least one label: an empty selector would match every pod of the namespace",
  ],
  [
    'security.nodeLocalDnsCidrs: a /0 range',
    chart(STAGING, { security: { nodeLocalDnsCidrs: ['0.0.0.0/0'] } }),
    "[level2-staging/security] MerlaiSecurity: 'nodeLocalDnsCidrs[0]' is '0.0.0.0/0'; a /0 range would let pods query any DNS server on port 53; give an address range, e.g. '169.254.20.10/32'",
  ],
  [
    'security.defaultDeny: not a boolean',
    chart(STAGING, { security: { defaultDeny: untyped('no') } }),
    "[level2-staging/security] MerlaiSecurity: 'defaultDeny' is 'no'; expected true or false",
  ],
  [
    'security.ingressNamespace: upper case',
    chart(STAGING, { security: { ingressNamespace: 'Ingress-Nginx' } }),
    `[level2-staging/security] MerlaiSecurity: 'ingressNamespace' is 'Ingress-Nginx'; ${DNS_LABEL}`,
  ],
  [
    'security.scrapeApi without a monitoring namespace',
    chart(DEVELOPMENT, { security: { scrapeApi: true } }),
    "[level1-dev/security] MerlaiSecurity: 'scrapeApi' is true; Prometheus's namespace is unknown: set 'monitoringNamespace' too, or leave 'scrapeApi' unset",
  ],
  // Other props of the API
  [
    'image: latest at Level 2',
    api({ level: STAGING, image: 'merlai:latest' }),
    "[c/api] MerlaiApi: 'image' is 'merlai:latest'; Level 2 (staging) needs a pinned image: an explicit release tag (not 'latest') or a digest, e.g. 'merlai:1.4.2' or 'merlai@sha256:…'",
  ],
  [
    'image: not a reference',
    api({ image: 'Merlai Latest' }),
    "[c/api] MerlaiApi: 'image' is 'Merlai Latest'; expected an image reference such as 'registry.example.com/merlai:1.4.2' or 'merlai@sha256:<64 hex digits>'",
  ],
  ['replicas: zero', api({ replicas: 0 }), "[c/api] MerlaiApi: 'replicas' is 0; expected an integer >= 1"],
  [
    'replicas beside an autoscaler',
    chart(PRODUCTION, { api: { ...LEVEL3_CLUSTER_FACTS.api, replicas: 3 } }),
    "[level3-production/merlai-api] MerlaiApi: 'replicas' is 3; an autoscaler (min 3, max 10) owns the replica count at production: set 'autoscaling.minReplicas' instead",
  ],
  [
    'chart namespace: upper case',
    chart(DEVELOPMENT, { namespace: 'Merlai' }),
    `[level1-dev] MerlaiLevelChart: 'namespace' is 'Merlai'; ${DNS_LABEL}`,
  ],
  [
    'env: HOME is the construct’s',
    api({ env: { HOME: EnvValue.fromValue('/tmp') } }),
    "[c/api] MerlaiApi: 'env.HOME' is 'HOME'; expected a C identifier other than ENVIRONMENT, HOME, XDG_CACHE_HOME (owned by the construct; HOME stays the image's /home/merlai, where Python finds the app's --user install)",
  ],
  [
    'env: not a C identifier',
    api({ env: { '1BAD': EnvValue.fromValue('x') } }),
    "[c/api] MerlaiApi: 'env.1BAD' is '1BAD'; expected a C identifier other than ENVIRONMENT, HOME, XDG_CACHE_HOME (owned by the construct; HOME stays the image's /home/merlai, where Python finds the app's --user install)",
  ],
  [
    'instance: upper case',
    api({ instance: 'Beta' }),
    `[c/api] MerlaiApi: 'instance' is 'Beta'; ${DNS_LABEL}`,
  ],
  [
    'name: 64 characters',
    api({ name: 'a'.repeat(64) }),
    `[c/api] MerlaiApi: 'name' is '${'a'.repeat(64)}'; ${DNS_LABEL}`,
  ],
  [
    'priorityClassName: an underscore',
    api({ priorityClassName: 'merlai_high' }),
    `[c/api] MerlaiApi: 'priorityClassName' is 'merlai_high'; ${SUBDOMAIN}`,
  ],
  [
    'dataStorageSize: not a quantity',
    api({ level: STAGING, dataStorageSize: '10GB' }),
    "[c/api] MerlaiApi: 'dataStorageSize' is '10GB'; expected a positive Kubernetes quantity such as '10Gi'",
  ],
  [
    'ingress.className: upper case',
    api({ ingress: { host: 'merlai.example.com', className: 'Nginx' } }),
    `[c/api] MerlaiApi: 'ingress.className' is 'Nginx'; ${SUBDOMAIN}`,
  ],
  [
    'ingress.tlsSecretName: a space',
    api({ ingress: { ...TLS, tlsSecretName: 'merlai tls' } }),
    `[c/api] MerlaiApi: 'ingress.tlsSecretName' is 'merlai tls'; ${SUBDOMAIN}`,
  ],
  [
    'model.dnsPodLabels: an empty map',
    api({ level: STAGING, model: { mode: ModelMode.MODEL, dnsPodLabels: {} } }),
    "[c/api] MerlaiApi: 'model.dnsPodLabels' is {}; expected at least one label of the DNS pods, e.g. { 'k8s-app': 'kube-dns' }: an empty selector would let the fetch Job reach every pod of 'kube-system' on port 53",
  ],
  [
    'model.dnsNamespace: upper case',
    api({ level: STAGING, model: { mode: ModelMode.MODEL, dnsNamespace: 'Kube-System' } }),
    `[c/api] MerlaiApi: 'model.dnsNamespace' is 'Kube-System'; ${DNS_LABEL}`,
  ],
  [
    'model mode at Level 1',
    api({ model: { mode: ModelMode.MODEL } }),
    "[c/api] MerlaiApi: 'model.mode' is 'model'; Level 1 keeps /app/models in an emptyDir, which the fetch Job cannot fill: use ModelMode.LIGHTWEIGHT, or Level 2 or 3",
  ],
  [
    'model.memoryLimit below 2Gi',
    api({ level: STAGING, model: { mode: ModelMode.MODEL, memoryLimit: '1Gi' } }),
    "[c/api] MerlaiApi: 'model.memoryLimit' is '1Gi'; expected at least 2Gi: the model with torch is about 1.4 GB resident, and a smaller limit gets the pod OOM-killed while it loads",
  ],
];

describe('bad input: every refused prop gets one exact message', () => {
  test('the corpus holds at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  test.each(CASES)('%s', (_what, build, message) => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      let caught: unknown;
      try {
        build();
      } catch (error) {
        caught = error;
      }
      expect(MerlaiPropError.isMerlaiPropError(caught)).toBe(true);
      expect(linesOf(caught)).toEqual([message]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('what Kubernetes accepts passes', () => {
  function synthApi(props: Partial<MerlaiApiProps>): KubeObject[] {
    const c = new Chart(Testing.app(), 'c', { namespace: 'team' });
    new MerlaiApi(c, 'api', { level: DEVELOPMENT, ...props } as MerlaiApiProps);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      return Testing.synth(c) as KubeObject[];
    } finally {
      warn.mockRestore();
    }
  }

  test.each([
    '*.example.com',
    '*.a',
    'merlai.example.com',
    'a',
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
  ])('Ingress host %s: a DNS-1123 subdomain, or one with "*." as its first label', (host) => {
    const ingress = find(synthApi({ ingress: { host, tlsSecretName: 'tls' } }), 'Ingress', 'merlai-api');
    expect(ingress.spec.rules[0].host).toBe(host);
    expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: 'tls' }]);
  });

  test('a wildcard host at Level 3, with its TLS Secret, through the chart and through MerlaiApi', () => {
    const host = '*.music.example.com';
    const prod = synthLevel(PRODUCTION, { api: { ingress: { host, tlsSecretName: 'wildcard-tls' } } });
    expect(find(prod, 'Ingress', 'merlai-api').spec.tls).toEqual([
      { hosts: [host], secretName: 'wildcard-tls' },
    ]);
    const own = synthApi({
      level: PRODUCTION,
      storageClassName: 'cephfs',
      ingress: { host, tlsSecretName: 't' },
    });
    expect(find(own, 'Ingress', 'merlai-api').spec.rules[0].host).toBe(host);
  });

  test('production MerlaiApi without an Ingress is the team’s own entry: accepted', () => {
    expect(() => synthApi({ level: PRODUCTION, storageClassName: 'cephfs' })).not.toThrow();
  });

  test('labels: an empty value, a 63-character name and value, a 253-character prefix', () => {
    const prefix = `${'p'.repeat(63)}.${'q'.repeat(63)}.${'r'.repeat(63)}.${'s'.repeat(61)}`;
    const labels = { team: '', ['n'.repeat(63)]: 'v'.repeat(63), [`${prefix}/team`]: 'a.b_c-d' };
    const objects = synthLevel(DEVELOPMENT, { labels, api: { podLabels: labels, nodeSelector: labels } });
    const api = find(objects, 'Deployment', 'merlai-api');
    expect(api.metadata.labels).toMatchObject(labels);
    expect(api.spec.template.metadata.labels).toMatchObject(labels);
    expect(api.spec.template.spec.nodeSelector).toEqual(labels);
  });

  test('annotations: any value, an upper-case key (Kubernetes compares keys lowercased), 256 KiB in all', () => {
    const podAnnotations = {
      'Example.COM/Note': 'any text: spaces, "quotes",\nnewlines',
      a: 'x'.repeat(256 * 1024 - 1 - 16 - 36),
    };
    expect(Buffer.byteLength(Object.entries(podAnnotations).flat().join(''))).toBe(256 * 1024);
    const api = find(synthApi({ podAnnotations }), 'Deployment', 'merlai-api');
    expect(api.spec.template.metadata.annotations).toEqual(podAnnotations);
  });

  test('model.egressCidrs with one range: the fetch Job reaches that range only', () => {
    const objects = synthApi({
      level: STAGING,
      model: { mode: ModelMode.MODEL, egressCidrs: ['203.0.113.0/24'] },
    });
    const policy = find(objects, 'NetworkPolicy', 'merlai-api-model-fetch-egress');
    expect(JSON.stringify(policy.spec.egress)).toContain('"cidr":"203.0.113.0/24"');
    expect(JSON.stringify(policy.spec.egress)).not.toContain('0.0.0.0/0');
  });
});

describe('a warning names exactly what is missing', () => {
  test('external PostgreSQL and Redis wired, no logging: only LOG_CONFIG and the logging configuration', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const c = new Chart(Testing.app(), 'team', { namespace: 'team', disableResourceNameHashes: true });
      const api = new MerlaiApi(c, 'merlai-api', { level: STAGING });
      new MerlaiDatastores(c, 'datastores', {
        level: STAGING,
        api,
        pgDumpBackup: false,
        postgres: { external: { host: 'db.example.org', secretName: 'managed-db', cidr: '10.20.0.0/16' } },
        redis: { external: { host: 'cache.example.org', secretName: 'managed-cache', cidr: '10.30.0.0/16' } },
      } as MerlaiDatastoresProps);
      Testing.synth(c);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toBe(
        "[team/merlai-api] MerlaiApi: 'env' has no LOG_CONFIG: the API cannot load its logging configuration. Wire it with new MerlaiLogging(scope, 'logging', { api }) (a level chart does it), or set the variables with api.addEnv(name, EnvValue.fromSecretKey(secret, key)).",
      );
    } finally {
      warn.mockRestore();
    }
  });

  test('nothing wired: every variable, PostgreSQL and Redis, and the logging configuration', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const c = new Chart(Testing.app(), 'alone', { namespace: 'team' });
      new MerlaiApi(c, 'merlai-api', { level: DEVELOPMENT });
      Testing.synth(c);
      expect(String(warn.mock.calls[0][0])).toBe(
        "[alone/merlai-api] MerlaiApi: 'env' has no DATABASE_URL, REDIS_URL, LOG_CONFIG: the API cannot reach PostgreSQL or Redis, or load its logging configuration. Wire it with new MerlaiDatastores(scope, 'datastores', { level, api }) and new MerlaiLogging(scope, 'logging', { api }) (a level chart does both), or set the variables with api.addEnv(name, EnvValue.fromSecretKey(secret, key)).",
      );
    } finally {
      warn.mockRestore();
    }
  });
});

describe('every invalid prop of a synth in one report', () => {
  test('three bad labels, annotations and a host: one cdk8s report, one line each, a MerlaiPropError', () => {
    let caught: unknown;
    try {
      api({
        podLabels: { 'team name': 'music' },
        podAnnotations: { 'bad key': 'x' },
        ingress: { host: 'api.*.example.com' },
      })();
    } catch (error) {
      caught = error;
    }
    expect(MerlaiPropError.isMerlaiPropError(caught)).toBe(true);
    expect(linesOf(caught)).toEqual([
      `[c/api] MerlaiApi: 'podLabels.team name' is 'music'; the key is not a label key: expected ${KEY_RULE}`,
      `[c/api] MerlaiApi: 'podAnnotations.bad key' is 'x'; the key is not an annotation key: expected ${KEY_RULE}`,
      `[c/api] MerlaiApi: 'ingress.host' is 'api.*.example.com'; ${WILDCARD}; ${HOST_HINT}`,
    ]);
  });

  test('collected props across constructs: the chart labels and the API node selector', () => {
    let caught: unknown;
    try {
      chart(DEVELOPMENT, { labels: { team: 'music team' }, api: { nodeSelector: { pool: 'gpu nodes' } } })();
    } catch (error) {
      caught = error;
    }
    expect(MerlaiPropError.isMerlaiPropError(caught)).toBe(true);
    expect(linesOf(caught)).toEqual([
      `[level1-dev] MerlaiLevelChart: 'labels.team' is 'music team'; expected ${VALUE_RULE}`,
      `[level1-dev/merlai-api] MerlaiApi: 'nodeSelector.pool' is 'gpu nodes'; expected ${VALUE_RULE}`,
    ]);
  });

  test('a prop that stops construction carries the ones collected before it', () => {
    let caught: unknown;
    try {
      api({ podLabels: { team: 'a/b' }, replicas: 0 })();
    } catch (error) {
      caught = error;
    }
    expect(MerlaiPropError.isMerlaiPropError(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      [
        '2 invalid props:',
        `[c/api] MerlaiApi: 'podLabels.team' is 'a/b'; expected ${VALUE_RULE}`,
        "[c/api] MerlaiApi: 'replicas' is 0; expected an integer >= 1",
      ].join('\n'),
    );
  });

  test("another library's validation error is not a MerlaiPropError", () => {
    expect(MerlaiPropError.isMerlaiPropError(new Error(`${REPORT}\n  [x] something else`))).toBe(false);
  });
});
