// The off-cluster object store of the PostgreSQL backups: its props, checks and defaults. No objects.
import type { IConstruct } from 'constructs';
import { invalidProp } from '../../core/errors';
import {
  parseCidr,
  requireCidr,
  requireDnsSubdomain,
  requirePort,
  requireSecretKey,
} from '../../core/validation';

/** The CA bundle of an object store, checked: its Secret and key. */
export interface ResolvedObjectStoreCa {
  readonly secretName: string;
  readonly key: string;
}

/** A CA bundle in a Secret, for an object store whose certificate a private CA signed. */
export interface ObjectStoreCa {
  /** The Secret in the chart's namespace. */
  readonly secretName: string;
  /** @default 'ca.crt' */
  readonly key?: string | undefined;
}

/**
 * An S3-compatible bucket outside the cluster, where the backups live (`MerlaiDatastores`
 * `objectStore`): the `pg_dump` CronJob uploads every dump under `<path>/dumps/`, and at Levels 2
 * and 3 CloudNativePG archives WAL and takes base backups under `<path>/cnpg/` (Barman Cloud plugin).
 * Requests are path-style (`<endpointUrl>/<bucket>/<key>`) and signed with AWS Signature V4.
 */
export interface BackupObjectStore {
  /**
   * The S3 API's base URL: scheme, host and optional port, no path, e.g.
   * `https://s3.eu-central-1.amazonaws.com` or `https://minio.backup.example.com:9000`.
   */
  readonly endpointUrl: string;
  /** The bucket (it must exist; nothing creates it). */
  readonly bucket: string;
  /**
   * Folder (key prefix) inside the bucket.
   * @default 'merlai'
   */
  readonly path?: string | undefined;
  /**
   * Region the requests are signed for (any value for most S3-compatible servers).
   * @default 'us-east-1'
   */
  readonly region?: string | undefined;
  /** Existing Secret in the chart's namespace holding the access key pair. */
  readonly credentialsSecretName: string;
  /** @default 'ACCESS_KEY_ID' (the key CloudNativePG's examples use) */
  readonly accessKeyIdKey?: string | undefined;
  /** @default 'ACCESS_SECRET_KEY' */
  readonly secretAccessKeyKey?: string | undefined;
  /**
   * CA bundle that signed the endpoint's certificate, when it is not a public CA: a Secret and key.
   * @default - the images' system trust store
   */
  readonly ca?: ObjectStoreCa | undefined;
  /**
   * Address range of the endpoint (`198.51.100.20/32`, or the provider's published range), or a
   * list of them (S3 publishes many per region, in AWS's `ip-ranges.json`): the network policies
   * let the backup pods and the PostgreSQL instances reach them, on the URL's port, and nothing
   * else outside the cluster.
   */
  readonly cidr: string | string[];
  /**
   * How long CloudNativePG keeps base backups and WAL in the bucket (`<n>d`, `<n>w` or `<n>m`):
   * the point-in-time recovery window (Levels 2 and 3).
   * @default - the level table ('14d' at Level 2, '30d' at Level 3)
   */
  readonly retentionPolicy?: string | undefined;
  /**
   * When CloudNativePG takes base backups: a 6-field cron expression, seconds first.
   * @default - the level's dump schedule at second 0
   */
  readonly baseBackupSchedule?: string | undefined;
}

/** A `BackupObjectStore`, checked, with its defaults applied and its URL taken apart. */
export interface ResolvedObjectStore {
  /** `https://host:port`, without a trailing slash. */
  readonly endpointUrl: string;
  readonly scheme: 'http' | 'https';
  readonly port: number;
  readonly bucket: string;
  /** Key prefix without leading or trailing slashes. */
  readonly path: string;
  readonly region: string;
  readonly credentialsSecretName: string;
  readonly accessKeyIdKey: string;
  readonly secretAccessKeyKey: string;
  readonly ca?: ResolvedObjectStoreCa | undefined;
  /** The first of `cidrs`. */
  readonly cidr: string;
  readonly cidrs: string[];
  readonly retentionPolicy?: string | undefined;
  readonly baseBackupSchedule?: string | undefined;
}

// S3's bucket naming rules (3-63 lowercase letters, digits, dots and hyphens).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const REGION = /^[a-z0-9-]{1,32}$/;
const RETENTION = /^[1-9][0-9]*[dwm]$/;

/** Checks a `BackupObjectStore` prop (named `prop` in errors) and applies its defaults. */
export function resolveObjectStore(
  scope: IConstruct,
  type: string,
  prop: string,
  o: BackupObjectStore,
): ResolvedObjectStore {
  if (typeof o !== 'object' || o === null) {
    invalidProp(
      scope,
      type,
      prop,
      o,
      'expected an S3-compatible target: { endpointUrl, bucket, credentialsSecretName, cidr }',
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(o.endpointUrl);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    invalidProp(
      scope,
      type,
      `${prop}.endpointUrl`,
      o.endpointUrl,
      "expected the S3 API's base URL: http(s)://host[:port] without path, query or credentials, e.g. 'https://s3.eu-central-1.amazonaws.com'",
    );
  }
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = requirePort(
    scope,
    type,
    `${prop}.endpointUrl`,
    url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port),
  );
  if (typeof o.bucket !== 'string' || !BUCKET.test(o.bucket) || o.bucket.includes('..')) {
    invalidProp(
      scope,
      type,
      `${prop}.bucket`,
      o.bucket,
      'expected an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
    );
  }
  const path = (o.path ?? 'merlai').replace(/^\/+|\/+$/g, '');
  if (path === '' || !path.split('/').every((s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..')) {
    invalidProp(
      scope,
      type,
      `${prop}.path`,
      o.path,
      "expected a key prefix of letters, digits, '.', '_' and '-' segments separated by '/', e.g. 'merlai/production'",
    );
  }
  const region = o.region ?? 'us-east-1';
  if (typeof region !== 'string' || !REGION.test(region)) {
    invalidProp(scope, type, `${prop}.region`, region, "expected a region name such as 'eu-central-1'");
  }
  if (o.credentialsSecretName === undefined || o.credentialsSecretName === '') {
    invalidProp(
      scope,
      type,
      `${prop}.credentialsSecretName`,
      o.credentialsSecretName,
      "it is required: name the Secret holding the object store's access key id and secret access key, e.g. 'merlai-backup-s3'",
    );
  }
  requireDnsSubdomain(scope, type, `${prop}.credentialsSecretName`, o.credentialsSecretName);
  const accessKeyIdKey = requireSecretKey(
    scope,
    type,
    `${prop}.accessKeyIdKey`,
    o.accessKeyIdKey ?? 'ACCESS_KEY_ID',
  );
  const secretAccessKeyKey = requireSecretKey(
    scope,
    type,
    `${prop}.secretAccessKeyKey`,
    o.secretAccessKeyKey ?? 'ACCESS_SECRET_KEY',
  );
  let ca: ResolvedObjectStore['ca'];
  if (o.ca !== undefined) {
    ca = {
      secretName: requireDnsSubdomain(scope, type, `${prop}.ca.secretName`, o.ca.secretName),
      key: requireSecretKey(scope, type, `${prop}.ca.key`, o.ca.key ?? 'ca.crt'),
    };
    if (scheme !== 'https') {
      invalidProp(
        scope,
        type,
        `${prop}.ca`,
        o.ca,
        `a CA bundle verifies TLS, but endpointUrl '${o.endpointUrl}' is plain http: use https or drop 'ca'`,
      );
    }
  }
  if (Array.isArray(o.cidr) && o.cidr.length === 0) {
    invalidProp(
      scope,
      type,
      `${prop}.cidr`,
      o.cidr,
      "expected at least one address range, e.g. ['52.218.0.0/17']",
    );
  }
  const cidrs = (Array.isArray(o.cidr) ? o.cidr : [o.cidr]).map((c, i) => {
    const name = Array.isArray(o.cidr) ? `${prop}.cidr[${i}]` : `${prop}.cidr`;
    const cidr = requireCidr(scope, type, name, c);
    if (parseCidr(cidr)?.prefix === 0) {
      invalidProp(
        scope,
        type,
        name,
        cidr,
        `a /0 range would let the backup pods and PostgreSQL reach any address on port ${port}: give the object store's address (/32) or its provider's range`,
      );
    }
    return cidr;
  });
  if (o.retentionPolicy !== undefined && !RETENTION.test(o.retentionPolicy)) {
    invalidProp(
      scope,
      type,
      `${prop}.retentionPolicy`,
      o.retentionPolicy,
      "expected a number and a unit d, w or m (days, weeks, months), e.g. '30d' (CloudNativePG's format)",
    );
  }
  if (o.baseBackupSchedule !== undefined && o.baseBackupSchedule.trim().split(/\s+/).length !== 6) {
    invalidProp(
      scope,
      type,
      `${prop}.baseBackupSchedule`,
      o.baseBackupSchedule,
      "expected a 6-field cron expression with seconds first, e.g. '0 0 3 * * *' (CloudNativePG's format)",
    );
  }
  return {
    endpointUrl: `${scheme}://${url.host}`,
    scheme,
    port,
    bucket: o.bucket,
    path,
    region,
    credentialsSecretName: o.credentialsSecretName,
    accessKeyIdKey,
    secretAccessKeyKey,
    ca,
    cidr: cidrs[0],
    cidrs,
    retentionPolicy: o.retentionPolicy,
    baseBackupSchedule: o.baseBackupSchedule,
  };
}
