// The pg_dump backups and their restore. Objects: CronJob `merlai-postgres-backup`, suspended CronJob
// `merlai-postgres-restore`, PersistentVolumeClaim `merlai-postgres-backups`, their ServiceAccount.
import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  quantity,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../core/containers';
import { invalidProp } from '../../core/errors';
import { selectorLabels } from '../../core/labels';
import { type AvailabilityLevel, levelProfile, type ResourceProfile } from '../../core/levels';
import {
  requireDnsLabel,
  requireDnsSubdomain,
  requireInteger,
  requirePinnedImage,
  requirePositiveQuantity,
} from '../../core/validation';
import { POSTGRES_IMAGE, POSTGRES_IMAGE_UID } from './constants';
import type { ResolvedObjectStore } from './object-store';
import type { PostgresConnection } from './postgres';

const TYPE = 'MerlaiPostgresBackup';

/** The CronJob running the guide's `pg_dump` (the observability rules alert on this name). */
export const BACKUP_NAME = 'merlai-postgres-backup';
/** A suspended CronJob that never fires: the template of the restore Job (`kubectl create job --from=…`). */
export const RESTORE_NAME = 'merlai-postgres-restore';
/** Where the backup volume is mounted in both jobs. */
export const BACKUP_MOUNT = '/backups';
/** The volume holding the dumps (with an object store: a cache of the newest ones). */
export const BACKUP_CLAIM = 'merlai-postgres-backups';
/**
 * The S3 client of the upload and download containers: curl's own image, whose curl (>= 7.75)
 * signs requests with AWS Signature V4 (`--aws-sigv4`); the PostgreSQL image has no HTTP client.
 */
export const UPLOAD_IMAGE = 'curlimages/curl:8.11.1';
/** Dumps the backup volume keeps when an object store holds the copies that count. */
export const LOCAL_CACHE_DUMPS = 2;
/** Where the restore Job downloads the dump it restores (on the backup volume). */
export const RESTORE_DOWNLOAD_DIR = `${BACKUP_MOUNT}/.restore`;
const CA_MOUNT = '/etc/merlai-object-store-ca';
const BACKUP_RESOURCES: ResourceProfile = {
  cpuRequest: '50m',
  memoryRequest: '128Mi',
  cpuLimit: '1',
  memoryLimit: '512Mi',
};
// February 31st: the restore CronJob never runs on its own, even if someone clears `suspend`.
const NEVER = '0 0 31 2 *';
const DUMP_PATTERN = '^merlai-[0-9]{8}T[0-9]{6}Z\\.dump$';

// POSIX sh (the image's /bin/sh is dash): no pipefail, so nothing whose failure matters sits in a pipe.
const BACKUP_SCRIPT = `set -eu
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$BACKUP_DIR/merlai-$stamp.dump"
partial="$BACKUP_DIR/.merlai-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --dbname="$DATABASE_URL" --format=custom --no-owner --no-privileges --file="$partial"
pg_restore --list "$partial" > /dev/null
mv "$partial" "$dump"
echo "wrote $dump ($(wc -c < "$dump") bytes)"
ls -1 "$BACKUP_DIR" | grep -E '${DUMP_PATTERN}' | sort -r | tail -n +"$((BACKUP_RETENTION + 1))" |
  while read -r old; do
    rm -f "$BACKUP_DIR/$old"
    echo "removed $old: keeping the newest $BACKUP_RETENTION dumps"
  done
`;

const RESTORE_SCRIPT = `set -eu
if [ -n "\${RESTORE_FILE:-}" ]; then
  name="$RESTORE_FILE"
else
  name=$(ls -1 "$BACKUP_DIR" | grep -E '${DUMP_PATTERN}' | sort | tail -n 1)
fi
if [ -z "$name" ] || [ ! -f "$BACKUP_DIR/$name" ]; then
  echo "no dump '$name' in $BACKUP_DIR" >&2
  exit 1
fi
pg_restore --list "$BACKUP_DIR/$name" > /dev/null
pg_restore --dbname="$DATABASE_URL" --clean --if-exists --no-owner --no-privileges --single-transaction "$BACKUP_DIR/$name"
echo "restored $BACKUP_DIR/$name"
`;

// One signed S3 request (path-style, AWS Signature V4) with curl: `s3 KEY CURL-ARGS...`. The key
// pair reaches curl on its standard input (a config file), never on its command line.
const S3_CLIENT = `s3() {
  key=$1
  shift
  printf 'user = "%s:%s"\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
    curl --config - --silent --show-error --fail --retry 3 --connect-timeout 10 \\
      --aws-sigv4 "aws:amz:$S3_REGION:s3" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \\
      \${S3_CA_FILE:+--cacert "$S3_CA_FILE"} "$@" "$S3_ENDPOINT/$S3_BUCKET/$key"
}
# The names of the dumps under the prefix (ListObjectsV2; query parameters in signing order).
list_dumps() {
  listing=$(s3 '' --get --data-urlencode 'list-type=2' --data-urlencode "prefix=$S3_PREFIX/")
  printf '%s\\n' "$listing" | grep -o '<Key>[^<]*</Key>' | sed -e 's#^<Key>##' -e 's#</Key>$##' \\
    -e "s#^$S3_PREFIX/##" | grep -E '${DUMP_PATTERN}' | sort
}
`;

// After the dump (init container, PostgreSQL image): copy the newest dump to the object store,
// check the stored size, then keep the newest BACKUP_RETENTION dumps there.
const UPLOAD_SCRIPT = `set -eu
${S3_CLIENT}name=$(ls -1 "$BACKUP_DIR" | grep -E '${DUMP_PATTERN}' | sort | tail -n 1)
if [ -z "$name" ]; then
  echo "no dump in $BACKUP_DIR to upload" >&2
  exit 1
fi
size=$(($(wc -c < "$BACKUP_DIR/$name")))
s3 "$S3_PREFIX/$name" --upload-file "$BACKUP_DIR/$name" > /dev/null
headers=$(s3 "$S3_PREFIX/$name" --head)
stored=$(printf '%s\\n' "$headers" | tr -d '\\r' | sed -n 's/^[Cc]ontent-[Ll]ength: *//p')
if [ "$stored" != "$size" ]; then
  echo "uploaded $S3_PREFIX/$name, but the object store holds \${stored:-no} bytes instead of $size" >&2
  exit 1
fi
echo "uploaded $name to $S3_ENDPOINT/$S3_BUCKET/$S3_PREFIX/ ($size bytes)"
dumps=$(list_dumps)
printf '%s\\n' "$dumps" | grep -E '${DUMP_PATTERN}' | sort -r | tail -n +"$((BACKUP_RETENTION + 1))" |
  while read -r old; do
    s3 "$S3_PREFIX/$old" --request DELETE > /dev/null
    echo "removed $S3_PREFIX/$old from the object store: keeping the newest $BACKUP_RETENTION dumps"
  done
`;

// Before the restore (init container): fetch RESTORE_FILE, or the newest dump, from the object
// store into RESTORE_DIR; the restore container then restores that file and nothing else.
const DOWNLOAD_SCRIPT = `set -eu
${S3_CLIENT}if [ -n "\${RESTORE_FILE:-}" ]; then
  name="$RESTORE_FILE"
else
  dumps=$(list_dumps)
  name=$(printf '%s\\n' "$dumps" | tail -n 1)
fi
if ! printf '%s\\n' "$name" | grep -Eq '${DUMP_PATTERN}'; then
  echo "no dump '$name' under $S3_ENDPOINT/$S3_BUCKET/$S3_PREFIX/ (expected a name like merlai-20260101T030000Z.dump)" >&2
  exit 1
fi
mkdir -p "$RESTORE_DIR"
rm -f "$RESTORE_DIR"/merlai-*.dump "$RESTORE_DIR"/.merlai-*.partial
partial="$RESTORE_DIR/.$name.partial"
trap 'rm -f "$partial"' EXIT
s3 "$S3_PREFIX/$name" --output "$partial"
mv "$partial" "$RESTORE_DIR/$name"
echo "downloaded $S3_PREFIX/$name ($(($(wc -c < "$RESTORE_DIR/$name"))) bytes)"
`;

/** Everything a team may override on the `pg_dump` backups; the level table supplies the rest. */
export interface PostgresBackupOptions {
  /**
   * When the dump runs: a 5-field cron expression, UTC.
   * @default - the level table ('0 3 * * *' at Levels 1 and 2, every 6 hours at Level 3)
   */
  readonly schedule?: string | undefined;
  /**
   * Dumps kept on the backup volume; older ones are deleted after each successful dump.
   * @default - the level table (3, 7, 28)
   */
  readonly retention?: number | undefined;
  /** @default - the level table ('5Gi', '20Gi', '100Gi') */
  readonly storageSize?: string | undefined;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string | undefined;
  /**
   * Image providing `pg_dump` and `pg_restore`; its major version must be at least the server's.
   * @default POSTGRES_IMAGE
   */
  readonly image?: string | undefined;
  /**
   * Longest a dump or restore may run before Kubernetes stops it (`activeDeadlineSeconds`).
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration | undefined;
  /**
   * Image of the upload and download containers (with an object store): curl >= 7.75, for
   * `--aws-sigv4`, and a POSIX shell.
   * @default UPLOAD_IMAGE
   */
  readonly uploadImage?: string | undefined;
}

/** Props of `MerlaiPostgresBackup`. */
export interface MerlaiPostgresBackupProps extends PostgresBackupOptions {
  readonly level: AvailabilityLevel;
  /** The Secret key holding the connection URI of the database to dump. */
  readonly connection: PostgresConnection;
  /**
   * Where the dumps are copied off the cluster (checked by `resolveObjectStore`). The dump Job
   * uploads each dump there and keeps only the newest `LOCAL_CACHE_DUMPS` on its volume; the restore
   * Job downloads the dump it restores from there.
   * @default - dumps stay on the backup volume only
   */
  readonly objectStore?: ResolvedObjectStore | undefined;
  /**
   * Value of `app.kubernetes.io/instance`.
   * @default 'merlai'
   */
  readonly instance?: string | undefined;
}

/**
 * The guide's `pg_dump` on a schedule, into a volume that keeps the newest N dumps (CronJob
 * `merlai-postgres-backup`), and the matching restore as a Job template (suspended CronJob
 * `merlai-postgres-restore`). Both run the same image, Secret and volume.
 */
export class MerlaiPostgresBackup extends Construct {
  /** Labels of the backup and restore pods (they connect to PostgreSQL). */
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly schedule: string;
  public readonly retention: number;

  constructor(scope: Construct, id: string, props: MerlaiPostgresBackupProps) {
    super(scope, id);
    const d = levelProfile(props.level).datastores;
    const instance = requireDnsLabel(this, TYPE, 'instance', props.instance ?? 'merlai');
    this.schedule = requireCron(this, 'schedule', props.schedule ?? d.backupSchedule);
    this.retention = requireInteger(this, TYPE, 'retention', props.retention ?? d.backupRetention, 1);
    const storageSize = props.storageSize ?? d.backupStorageSize;
    requirePositiveQuantity(this, TYPE, 'storageSize', storageSize);
    if (props.storageClassName !== undefined) {
      requireDnsSubdomain(this, TYPE, 'storageClassName', props.storageClassName);
    }
    const image = requirePinnedImage(this, TYPE, 'image', props.image ?? POSTGRES_IMAGE);
    const timeoutSeconds = (props.timeout ?? Duration.hours(1)).toSeconds();
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 60) {
      invalidProp(
        this,
        TYPE,
        'timeout',
        `${timeoutSeconds}s`,
        'expected a whole number of seconds, at least 60',
      );
    }
    this.podLabels = selectorLabels(BACKUP_NAME, 'backup', instance);

    new k8s.KubePersistentVolumeClaim(this, 'volume', {
      metadata: { name: BACKUP_CLAIM, labels: this.podLabels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: props.storageClassName,
        resources: { requests: { storage: quantity(storageSize) } },
      },
    });
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: BACKUP_NAME, labels: this.podLabels },
      automountServiceAccountToken: false,
    });

    const store = props.objectStore;
    const uploadImage = requirePinnedImage(this, TYPE, 'uploadImage', props.uploadImage ?? UPLOAD_IMAGE);
    if (props.uploadImage !== undefined && store === undefined) {
      invalidProp(
        this,
        TYPE,
        'uploadImage',
        props.uploadImage,
        'the upload image copies dumps to an object store, and none is configured: give the datastores an objectStore, or drop uploadImage',
      );
    }

    const postgresEnv = (task: string, backupDir: string): k8s.EnvVar[] => [
      {
        name: 'DATABASE_URL',
        valueFrom: {
          secretKeyRef: { name: props.connection.secretName, key: props.connection.uriKey },
        },
      },
      { name: 'BACKUP_DIR', value: backupDir },
      { name: 'PGCONNECT_TIMEOUT', value: '10' },
      { name: 'PGAPPNAME', value: `merlai-postgres-${task}` },
      { name: 'HOME', value: '/tmp' },
    ];
    const s3Env = (o: ResolvedObjectStore): k8s.EnvVar[] => [
      {
        name: 'AWS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: o.credentialsSecretName, key: o.accessKeyIdKey } },
      },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: o.credentialsSecretName, key: o.secretAccessKeyKey } },
      },
      { name: 'S3_ENDPOINT', value: o.endpointUrl },
      { name: 'S3_BUCKET', value: o.bucket },
      { name: 'S3_PREFIX', value: `${o.path}/dumps` },
      { name: 'S3_REGION', value: o.region },
      ...(o.ca ? [{ name: 'S3_CA_FILE', value: `${CA_MOUNT}/ca.crt` }] : []),
      { name: 'HOME', value: '/tmp' },
    ];
    const container = (
      name: string,
      containerImage: string,
      script: string,
      env: k8s.EnvVar[],
      mounts: k8s.VolumeMount[],
    ): k8s.Container => ({
      name,
      image: containerImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', '-c', script],
      env,
      // The dump itself goes to the claim; local disk holds /tmp and logs.
      resources: resourceRequirements(BACKUP_RESOURCES, { request: '64Mi', limit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(POSTGRES_IMAGE_UID),
      volumeMounts: [...mounts, { name: 'tmp', mountPath: '/tmp' }],
    });
    const backupsMount = (readOnly?: boolean): k8s.VolumeMount => ({
      name: 'backups',
      mountPath: BACKUP_MOUNT,
      readOnly,
    });
    const caMount: k8s.VolumeMount[] = store?.ca ? [{ name: 'ca', mountPath: CA_MOUNT, readOnly: true }] : [];

    const job = (
      task: string,
      initContainers: k8s.Container[],
      main: k8s.Container,
      backoffLimit: number,
    ): k8s.JobTemplateSpec => {
      const labels = { ...this.podLabels, 'merlai.io/backup-task': task };
      return {
        metadata: { labels },
        spec: {
          backoffLimit,
          activeDeadlineSeconds: timeoutSeconds,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              serviceAccountName: BACKUP_NAME,
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(POSTGRES_IMAGE_UID),
              initContainers: initContainers.length > 0 ? initContainers : undefined,
              containers: [main],
              volumes: [
                { name: 'backups', persistentVolumeClaim: { claimName: BACKUP_CLAIM } },
                { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
                ...(store?.ca
                  ? [
                      {
                        name: 'ca',
                        secret: {
                          secretName: store.ca.secretName,
                          items: [{ key: store.ca.key, path: 'ca.crt' }],
                        },
                      },
                    ]
                  : []),
              ],
            },
          },
        },
      };
    };

    // Without an object store: dump into the volume, keep the newest `retention`. With one: the
    // dump (init container) keeps a small cache on the volume, then the upload container copies it
    // off the cluster and applies the retention there.
    const dump = container(
      'dump',
      image,
      BACKUP_SCRIPT,
      [
        ...postgresEnv('dump', BACKUP_MOUNT),
        {
          name: 'BACKUP_RETENTION',
          value: String(store ? Math.min(LOCAL_CACHE_DUMPS, this.retention) : this.retention),
        },
      ],
      [backupsMount()],
    );
    const backupJob = store
      ? job(
          'dump',
          [dump],
          container(
            'upload',
            uploadImage,
            UPLOAD_SCRIPT,
            [
              ...s3Env(store),
              { name: 'BACKUP_DIR', value: BACKUP_MOUNT },
              { name: 'BACKUP_RETENTION', value: String(this.retention) },
            ],
            [backupsMount(true), ...caMount],
          ),
          2,
        )
      : job('dump', [], dump, 2);
    // Without an object store: restore from the volume. With one: download from the object store
    // only (init container), then restore that file.
    const restoreFile = { name: 'RESTORE_FILE', value: '' };
    const restoreJob = store
      ? job(
          'restore',
          [
            container(
              'download',
              uploadImage,
              DOWNLOAD_SCRIPT,
              [...s3Env(store), { name: 'RESTORE_DIR', value: RESTORE_DOWNLOAD_DIR }, restoreFile],
              [backupsMount(), ...caMount],
            ),
          ],
          container(
            'restore',
            image,
            RESTORE_SCRIPT,
            [...postgresEnv('restore', RESTORE_DOWNLOAD_DIR), restoreFile],
            [backupsMount(true)],
          ),
          0,
        )
      : job(
          'restore',
          [],
          container(
            'restore',
            image,
            RESTORE_SCRIPT,
            [...postgresEnv('restore', BACKUP_MOUNT), restoreFile],
            [backupsMount()],
          ),
          0,
        );

    new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: BACKUP_NAME, labels: this.podLabels },
      spec: {
        schedule: this.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 900,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: backupJob,
      },
    });
    new k8s.KubeCronJob(this, 'restore', {
      metadata: {
        name: RESTORE_NAME,
        labels: this.podLabels,
        annotations: {
          'merlai.io/usage': `kubectl create job merlai-restore-$(date +%s) --from=cronjob/${RESTORE_NAME} (restores the newest dump${store ? ' from the object store' : ''}; see README "Backup and restore")`,
        },
      },
      spec: {
        schedule: NEVER,
        suspend: true,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 900,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 1,
        jobTemplate: restoreJob,
      },
    });
  }
}

const CRON_MACRO = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/-]+$/;

function requireCron(scope: Construct, prop: string, value: string): string {
  const fields = typeof value === 'string' ? value.trim().split(/\s+/) : [];
  const valid = CRON_MACRO.test(value) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f)));
  if (!valid) {
    invalidProp(
      scope,
      TYPE,
      prop,
      value,
      "expected a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. '0 3 * * *', or a macro such as '@daily'",
    );
  }
  return value;
}
