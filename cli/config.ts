import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import type {
  ApiAutoscalingOverrides,
  ApiIngressOptions,
  ApiResourceOverrides,
  BackupObjectStore,
  ExternalPostgresOptions,
  ExternalRedisOptions,
  KubernetesApiServer,
  MerlaiApiOptions,
  MerlaiDatastoresOptions,
  MerlaiLevelChartProps,
  MerlaiSecurityOptions,
  PostgresBackupOptions,
  PostgresOptions,
  ProbeOverrides,
  RedisOptions,
} from '../lib';
// A value import from the module itself, not the index: the command starts without loading the constructs.
import { AvailabilityLevel, LEVEL_PROFILES, type RedisMode } from '../lib/core/levels';
import { exampleObjectStore } from './examples';

/** The file the command and `npm run synth` read when it exists in the working folder. */
export const DEFAULT_CONFIG_FILE = 'merlai.config.yaml';

/** A level as the file names it: its number or its name. */
export type LevelName = 1 | 2 | 3 | 'development' | 'staging' | 'production';

/** An image as a whole reference, or as repository plus tag or digest. */
export type ImageConfig =
  | string
  | { readonly repository: string; readonly tag?: string; readonly digest?: string };

/** The API section: the props of `MerlaiApiOptions` a team changes without code. */
export interface ApiConfig extends Omit<ApiKeysShape, 'image' | 'serviceType'> {
  readonly image?: ImageConfig | undefined;
  readonly serviceType?: 'ClusterIP' | 'LoadBalancer' | undefined;
}
type ApiKeysShape = Pick<MerlaiApiOptions, (typeof API_KEYS)[number]>;

/** The PostgreSQL section. */
export type PostgresConfig = Pick<PostgresOptions, (typeof POSTGRES_KEYS)[number]>;
/** The Redis section (`mode` as its string value). */
export interface RedisConfig extends Omit<Pick<RedisOptions, (typeof REDIS_KEYS)[number]>, 'mode'> {
  readonly mode?: `${RedisMode}` | undefined;
}
/** The backup section. */
export type BackupConfig = Pick<PostgresBackupOptions, (typeof BACKUP_KEYS)[number]>;

/** One environment: a level of the guide plus what a team changes. */
export interface EnvironmentConfig {
  readonly level: LevelName;
  readonly namespace?: string | undefined;
  readonly api?: ApiConfig | undefined;
  readonly datastores?: {
    readonly instance?: string | undefined;
    readonly postgres?: PostgresConfig | undefined;
    readonly redis?: RedisConfig | undefined;
    readonly backup?: BackupConfig | undefined;
    readonly objectStore?: BackupObjectStore | undefined;
    readonly localBackupsOnly?: boolean | undefined;
  };
  readonly security?: Pick<MerlaiSecurityOptions, (typeof SECURITY_KEYS)[number]> | undefined;
  readonly allowUnpinnedImages?: boolean | undefined;
}

/** A configuration file: environments by chart id (the file stem in the output folder). */
export interface MerlaiConfig {
  readonly environments: { readonly [chartId: string]: EnvironmentConfig };
}

/**
 * Today's three levels: what the app synthesizes without a configuration file (`main.ts`'s
 * `buildApp`, byte for byte: a test compares them). The hosts are written out, as a team's file would.
 */
export const DEFAULT_CONFIG: MerlaiConfig = {
  environments: {
    [LEVEL_PROFILES[AvailabilityLevel.DEVELOPMENT].chartId]: { level: 1 },
    [LEVEL_PROFILES[AvailabilityLevel.STAGING].chartId]: {
      level: 2,
      api: { ingress: { host: 'merlai-staging.example.com' } },
      datastores: { objectStore: exampleObjectStore(AvailabilityLevel.STAGING) },
    },
    // main.ts's LEVEL3_CLUSTER_FACTS: example values a team replaces with its cluster's.
    [LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].chartId]: {
      level: 3,
      api: {
        ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' },
        storageClassName: 'efs-sc',
      },
      security: { kubernetesApiServer: { cidr: '10.0.0.0/24' } },
      datastores: { objectStore: exampleObjectStore(AvailabilityLevel.PRODUCTION) },
      allowUnpinnedImages: true,
    },
  },
};

// Each list is typed against the construct's props: a key that is not a prop fails `tsc`.
const API_KEYS = [
  'image',
  'instance',
  'name',
  'replicas',
  'autoscaling',
  'resources',
  'liveness',
  'readiness',
  'serviceType',
  'ingress',
  'storageClassName',
  'dataStorageSize',
  'modelsStorageSize',
  'priorityClassName',
  'podAnnotations',
  'podLabels',
  'serviceAnnotations',
  'serviceAccountAnnotations',
  'imagePullSecrets',
  'nodeSelector',
  'tolerations',
] as const satisfies readonly (keyof MerlaiApiOptions)[];
const POSTGRES_KEYS = [
  'instances',
  'synchronousReplicas',
  'storageSize',
  'storageClassName',
  'resources',
  'image',
  'operatorNamespace',
  'external',
] as const satisfies readonly (keyof PostgresOptions)[];
const REDIS_KEYS = [
  'mode',
  'instances',
  'sentinels',
  'resources',
  'image',
  'secretName',
  'passwordKey',
  'urlKey',
  'operatorNamespace',
  'external',
] as const satisfies readonly (keyof RedisOptions)[];
const BACKUP_KEYS = [
  'schedule',
  'retention',
  'storageSize',
  'storageClassName',
  'image',
] as const satisfies readonly (keyof PostgresBackupOptions)[];
const SECURITY_KEYS = [
  'ingressNamespace',
  'monitoringNamespace',
  'scrapeApi',
  'dnsNamespace',
  'dnsPodLabels',
  'nodeLocalDnsCidrs',
  'kubernetesApiServer',
  'loadBalancerSourceCidrs',
] as const satisfies readonly (keyof MerlaiSecurityOptions)[];
const DATASTORES_KEYS = [
  'instance',
  'postgres',
  'redis',
  'backup',
  'objectStore',
  'localBackupsOnly',
  'pgDumpBackup',
] as const satisfies readonly (keyof MerlaiDatastoresOptions)[];
const CHART_KEYS = [
  'namespace',
  'createNamespace',
  'labels',
  'api',
  'datastores',
  'security',
  'allowUnpinnedImages',
] as const satisfies readonly (keyof MerlaiLevelChartProps)[];

type Schema = Record<string, unknown>;

/** Annotations, labels, a nodeSelector: string keys to string values. */
const STRING_MAP: Schema = { type: 'object', additionalProperties: { type: 'string' } };

/** An object schema whose keys are exactly those of a props type: unknown keys are rejected. */
function props<K extends string>(
  keys: readonly K[],
  properties: { [P in K]: Schema },
  required: K[] = [],
): Schema {
  if (Object.keys(properties).length !== keys.length) throw new Error('schema keys differ from the props');
  return { type: 'object', additionalProperties: false, required, properties };
}

const DNS_LABEL = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  description: 'a DNS-1123 label',
};
const DNS_SUBDOMAIN = {
  type: 'string',
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  description: 'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
};
/** An Ingress rule's host: a DNS subdomain, or `*.` and one (networking.k8s.io/v1, as the library checks it). */
const INGRESS_HOST = {
  type: 'string',
  maxLength: 253,
  pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  description: "a DNS-1123 subdomain, or '*.' and one (a wildcard host such as '*.example.com')",
};
const QUANTITY = {
  type: 'string',
  pattern: '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$',
  description: 'a Kubernetes quantity such as 250m, 512Mi or 2Gi',
};
const COUNT = { type: 'integer', minimum: 1 };
const PORT = { type: 'integer', minimum: 1, maximum: 65535 };
const CIDR = {
  type: 'string',
  pattern: '^[0-9a-fA-F.:]+/[0-9]{1,3}$',
  description: 'an address range such as 10.20.0.0/16',
};
const CRON = {
  type: 'string',
  pattern: '^\\S+( \\S+){4}$',
  description: 'a 5-field cron expression such as "0 3 * * *"',
};
const IMAGE = {
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      required: ['repository'],
      properties: {
        repository: { type: 'string', minLength: 1 },
        tag: { type: 'string', pattern: '^[\\w][\\w.-]{0,127}$' },
        digest: {
          type: 'string',
          pattern: '^sha256:[a-f0-9]{64}$',
          description: 'sha256: and 64 hex digits',
        },
      },
    },
  ],
  description: 'an image reference (repo/name:tag or @sha256:…), or { repository, tag | digest }',
};
const RESOURCES = props<keyof ApiResourceOverrides>(
  ['cpuRequest', 'memoryRequest', 'cpuLimit', 'memoryLimit'],
  {
    cpuRequest: QUANTITY,
    memoryRequest: QUANTITY,
    cpuLimit: QUANTITY,
    memoryLimit: QUANTITY,
  },
);
const PROBE = props<keyof ProbeOverrides>(
  ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'],
  {
    initialDelaySeconds: { type: 'integer', minimum: 0 },
    periodSeconds: COUNT,
    timeoutSeconds: COUNT,
    failureThreshold: COUNT,
  },
);

const ENVIRONMENT = props(
  ['level', ...CHART_KEYS],
  {
    level: { enum: [1, 2, 3, 'development', 'staging', 'production'] },
    namespace: DNS_LABEL,
    createNamespace: { type: 'boolean' },
    allowUnpinnedImages: { type: 'boolean' },
    labels: STRING_MAP,
    api: props(API_KEYS, {
      image: IMAGE,
      instance: DNS_LABEL,
      name: DNS_LABEL,
      replicas: COUNT,
      autoscaling: props<keyof ApiAutoscalingOverrides>(
        ['minReplicas', 'maxReplicas', 'cpuUtilizationPercent'],
        {
          minReplicas: COUNT,
          maxReplicas: COUNT,
          cpuUtilizationPercent: { type: 'integer', minimum: 1, maximum: 100 },
        },
      ),
      resources: RESOURCES,
      liveness: PROBE,
      readiness: PROBE,
      serviceType: { enum: ['ClusterIP', 'LoadBalancer'] },
      ingress: props<keyof ApiIngressOptions>(
        ['host', 'tlsSecretName', 'className', 'annotations'],
        {
          host: INGRESS_HOST,
          tlsSecretName: DNS_SUBDOMAIN,
          className: DNS_SUBDOMAIN,
          annotations: STRING_MAP,
        },
        ['host'],
      ),
      podAnnotations: STRING_MAP,
      podLabels: STRING_MAP,
      serviceAnnotations: STRING_MAP,
      serviceAccountAnnotations: STRING_MAP,
      imagePullSecrets: { type: 'array', items: DNS_SUBDOMAIN },
      nodeSelector: STRING_MAP,
      tolerations: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            key: { type: 'string' },
            operator: { enum: ['Exists', 'Equal'] },
            value: { type: 'string' },
            effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
            tolerationSeconds: { type: 'integer' },
          },
        },
      },
      storageClassName: DNS_SUBDOMAIN,
      dataStorageSize: QUANTITY,
      modelsStorageSize: QUANTITY,
      priorityClassName: DNS_SUBDOMAIN,
    }),
    datastores: props(DATASTORES_KEYS, {
      instance: DNS_LABEL,
      postgres: props(POSTGRES_KEYS, {
        instances: COUNT,
        synchronousReplicas: { type: 'integer', minimum: 0 },
        storageSize: QUANTITY,
        storageClassName: DNS_SUBDOMAIN,
        resources: RESOURCES,
        image: { type: 'string', minLength: 1 },
        operatorNamespace: DNS_LABEL,
        external: props<keyof ExternalPostgresOptions>(
          ['host', 'port', 'secretName', 'uriKey', 'cidr'],
          {
            host: DNS_SUBDOMAIN,
            port: PORT,
            secretName: DNS_SUBDOMAIN,
            uriKey: { type: 'string' },
            cidr: CIDR,
          },
          ['host', 'secretName', 'cidr'],
        ),
      }),
      redis: props(REDIS_KEYS, {
        mode: { enum: ['standalone', 'replication'] },
        instances: COUNT,
        sentinels: COUNT,
        resources: RESOURCES,
        image: { type: 'string', minLength: 1 },
        secretName: DNS_SUBDOMAIN,
        passwordKey: { type: 'string' },
        urlKey: { type: 'string' },
        operatorNamespace: DNS_LABEL,
        external: props<keyof ExternalRedisOptions>(
          ['host', 'port', 'secretName', 'urlKey', 'cidr'],
          {
            host: DNS_SUBDOMAIN,
            port: PORT,
            secretName: DNS_SUBDOMAIN,
            urlKey: { type: 'string' },
            cidr: CIDR,
          },
          ['host', 'secretName', 'cidr'],
        ),
      }),
      objectStore: props<keyof BackupObjectStore>(
        [
          'endpointUrl',
          'bucket',
          'path',
          'region',
          'credentialsSecretName',
          'accessKeyIdKey',
          'secretAccessKeyKey',
          'ca',
          'cidr',
          'retentionPolicy',
          'baseBackupSchedule',
        ],
        {
          endpointUrl: { type: 'string', pattern: '^https?://' },
          bucket: { type: 'string', minLength: 3 },
          path: { type: 'string' },
          region: { type: 'string', minLength: 1 },
          credentialsSecretName: DNS_SUBDOMAIN,
          accessKeyIdKey: { type: 'string', minLength: 1 },
          secretAccessKeyKey: { type: 'string', minLength: 1 },
          ca: props<'secretName' | 'key'>(
            ['secretName', 'key'],
            { secretName: DNS_SUBDOMAIN, key: { type: 'string' } },
            ['secretName'],
          ),
          cidr: CIDR,
          retentionPolicy: { type: 'string', pattern: '^[1-9][0-9]*[dwm]$' },
          baseBackupSchedule: { type: 'string' },
        },
        ['endpointUrl', 'bucket', 'credentialsSecretName', 'cidr'],
      ),
      localBackupsOnly: { type: 'boolean' },
      pgDumpBackup: { type: 'boolean' },
      backup: props(BACKUP_KEYS, {
        schedule: CRON,
        retention: COUNT,
        storageSize: QUANTITY,
        storageClassName: DNS_SUBDOMAIN,
        image: { type: 'string', minLength: 1 },
      }),
    }),
    security: props(SECURITY_KEYS, {
      ingressNamespace: DNS_LABEL,
      monitoringNamespace: DNS_LABEL,
      scrapeApi: { type: 'boolean' },
      dnsNamespace: DNS_LABEL,
      dnsPodLabels: { type: 'object', additionalProperties: { type: 'string' } },
      nodeLocalDnsCidrs: { type: 'array', items: CIDR },
      kubernetesApiServer: props<keyof KubernetesApiServer>(
        ['cidr', 'ports'],
        { cidr: CIDR, ports: { type: 'array', items: PORT, minItems: 1 } },
        ['cidr'],
      ),
      loadBalancerSourceCidrs: { type: 'array', items: CIDR, minItems: 1 },
    }),
  },
  ['level'],
);

/** The JSON Schema of the configuration file (draft 07), for editors and other tools. */
export const CONFIG_SCHEMA: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'merlai-cdk8s configuration',
  type: 'object',
  additionalProperties: false,
  required: ['environments'],
  properties: {
    environments: {
      type: 'object',
      minProperties: 1,
      propertyNames: { ...DNS_LABEL, description: 'a chart id: a DNS-1123 label such as level3-production' },
      additionalProperties: ENVIRONMENT,
    },
  },
};

/** A configuration file that cannot be used: every problem, one per line. */
export class ConfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`);
    this.name = 'ConfigError';
  }
}

let compiled: ValidateFunction<MerlaiConfig> | undefined;
/**
 * The schema's validator, compiled on first use; ajv itself is loaded then too, so commands and
 * synths that read no file never pay for either.
 */
function validator(): ValidateFunction<MerlaiConfig> {
  if (compiled === undefined) {
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    compiled = new Ajv({
      allErrors: true,
      strict: true,
      allowUnionTypes: true,
      verbose: true,
    }).compile<MerlaiConfig>(CONFIG_SCHEMA);
  }
  return compiled;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '(top level)' : parts.join('.');
}

function valueAt(root: unknown, instancePath: string): unknown {
  let v: unknown = root;
  for (const p of instancePath.split('/').slice(1)) {
    v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/** One readable line per schema error: key path, bad value, what is valid. */
function describe(e: ErrorObject, root: unknown): string | undefined {
  const at = keyPath(e.instancePath);
  const value = valueAt(root, e.instancePath);
  const schema = e.parentSchema as Schema | undefined;
  const what = typeof schema?.description === 'string' ? schema.description : undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const valid = Object.keys((schema?.properties as Schema | undefined) ?? {}).join(', ');
      return `${keyPath(e.instancePath, key)}: unknown key; valid keys here: ${valid}`;
    }
    case 'required':
      return `${keyPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}: missing; it is required`;
    case 'enum':
      return `${at}: is ${show(value)}; expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(show).join(', ')}`;
    case 'type':
      return `${at}: is ${show(value)}; expected ${what ?? `a value of type ${(e.params as { type: string }).type}`}`;
    case 'pattern':
    case 'maxLength':
    case 'minLength':
      return `${at}: is ${show(value)}; expected ${what ?? e.message}`;
    case 'minimum':
    case 'maximum': {
      const min = schema?.minimum;
      const max = schema?.maximum;
      const range = max !== undefined ? `between ${min} and ${max}` : `>= ${min}`;
      return `${at}: is ${show(value)}; expected an integer ${range}`;
    }
    case 'minProperties':
      return `${at}: is empty; declare at least one environment, e.g. "level3-production: { level: 3 }"`;
    case 'propertyNames':
      return undefined; // reported by the pattern error on the name itself
    case 'anyOf':
      return `${at}: is ${show(value)}; expected ${what ?? 'one of the allowed shapes'}`;
    default:
      return `${at}: ${show(value)} ${e.message ?? 'is invalid'}`;
  }
}

/** Checks parsed YAML against the schema; throws a `ConfigError` listing every problem. */
export function validateConfig(data: unknown, file = DEFAULT_CONFIG_FILE): MerlaiConfig {
  const validate = validator();
  if (validate(data)) return data;
  const errors = validate.errors ?? [];
  // Inside an anyOf (the image), report the anyOf itself in one line, not each branch.
  const problems = errors
    .filter((e) => !e.schemaPath.includes('/anyOf/'))
    .map((e) =>
      e.propertyName !== undefined
        ? `${keyPath(e.instancePath, e.propertyName)}: is not a valid chart id; expected a DNS-1123 label such as level3-production`
        : describe(e, data),
    )
    .filter((p): p is string => p !== undefined);
  throw new ConfigError(file, [...new Set(problems)]);
}

/** Parses and validates a configuration text (YAML). */
export function parseConfig(text: string, file = DEFAULT_CONFIG_FILE): MerlaiConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`),
    );
  }
  return validateConfig(doc.toJSON() ?? {}, file);
}

/** Reads a configuration file. */
export function loadConfig(file: string): MerlaiConfig {
  if (!existsSync(file)) {
    throw new ConfigError(file, [
      `no such file (give --config FILE, MERLAI_CONFIG, or create ${DEFAULT_CONFIG_FILE})`,
    ]);
  }
  return parseConfig(readFileSync(file, 'utf8'), file);
}

/**
 * The configuration file in force: `explicit` (--config), else `MERLAI_CONFIG`, else
 * `merlai.config.yaml` in `cwd` when it exists; undefined for none (today's three levels).
 */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  const chosen = explicit ?? process.env.MERLAI_CONFIG;
  if (chosen) return path.resolve(cwd, chosen);
  const fallback = path.join(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

const LEVELS_BY_NAME: Record<string, AvailabilityLevel> = {
  '1': AvailabilityLevel.DEVELOPMENT,
  '2': AvailabilityLevel.STAGING,
  '3': AvailabilityLevel.PRODUCTION,
  development: AvailabilityLevel.DEVELOPMENT,
  staging: AvailabilityLevel.STAGING,
  production: AvailabilityLevel.PRODUCTION,
};

/** The availability level an environment names. */
export function environmentLevel(env: EnvironmentConfig): AvailabilityLevel {
  return LEVELS_BY_NAME[String(env.level)];
}

function imageReference(image: ImageConfig): string {
  if (typeof image === 'string') return image;
  if (image.digest) return `${image.repository}@${image.digest}`;
  return image.tag ? `${image.repository}:${image.tag}` : image.repository;
}

/** The chart props an environment stands for (only the keys it sets, so the level table supplies the rest). */
export function chartProps(env: EnvironmentConfig): MerlaiLevelChartProps {
  const { level: _level, api, datastores, ...rest } = env;
  const chart: Record<string, unknown> = { ...rest };
  if (api) {
    const { image, ...apiRest } = api;
    chart.api = { ...apiRest, ...(image !== undefined ? { image: imageReference(image) } : {}) };
  }
  if (datastores) chart.datastores = datastores;
  return chart as MerlaiLevelChartProps;
}
