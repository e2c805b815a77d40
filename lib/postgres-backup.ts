import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  quantity,
  requireDnsSubdomain,
  requirePinnedImage,
  requirePositiveQuantity,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from './container-support';
import { invalidProp, requireDnsLabel, requireInteger } from './errors';
import { selectorLabels } from './labels';
import { type AvailabilityLevel, levelProfile, type ResourceProfile } from './levels';
import { POSTGRES_IMAGE, POSTGRES_IMAGE_UID, type PostgresConnection } from './postgres';

const TYPE = 'MerlaiPostgresBackup';

/** The CronJob running the guide's `pg_dump` (the observability rules alert on this name). */
export const BACKUP_NAME = 'merlai-postgres-backup';
/** A suspended CronJob that never fires: the template of the restore Job (`kubectl create job --from=…`). */
export const RESTORE_NAME = 'merlai-postgres-restore';
/** Where the backup volume is mounted in both jobs. */
export const BACKUP_MOUNT = '/backups';
/** The volume holding the dumps. */
export const BACKUP_CLAIM = 'merlai-postgres-backups';
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

/** Everything a team may override on the `pg_dump` backups; the level table supplies the rest. */
export interface PostgresBackupOptions {
  /**
   * When the dump runs: a 5-field cron expression, UTC.
   * @default - the level table ('0 3 * * *' at Levels 1 and 2, every 6 hours at Level 3)
   */
  readonly schedule?: string;
  /**
   * Dumps kept on the backup volume; older ones are deleted after each successful dump.
   * @default - the level table (3, 7, 28)
   */
  readonly retention?: number;
  /** @default - the level table ('5Gi', '20Gi', '100Gi') */
  readonly storageSize?: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /**
   * Image providing `pg_dump` and `pg_restore`; its major version must be at least the server's.
   * @default POSTGRES_IMAGE
   */
  readonly image?: string;
  /**
   * Longest a dump or restore may run before Kubernetes stops it (`activeDeadlineSeconds`).
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
}

/** Props of `MerlaiPostgresBackup`. */
export interface MerlaiPostgresBackupProps extends PostgresBackupOptions {
  readonly level: AvailabilityLevel;
  /** The Secret key holding the connection URI of the database to dump. */
  readonly connection: PostgresConnection;
  /**
   * Value of `app.kubernetes.io/instance`.
   * @default 'merlai'
   */
  readonly instance?: string;
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

    const job = (
      task: string,
      script: string,
      extraEnv: k8s.EnvVar[],
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
              containers: [
                {
                  name: task,
                  image,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['/bin/sh', '-c', script],
                  env: [
                    {
                      name: 'DATABASE_URL',
                      valueFrom: {
                        secretKeyRef: { name: props.connection.secretName, key: props.connection.uriKey },
                      },
                    },
                    { name: 'BACKUP_DIR', value: BACKUP_MOUNT },
                    { name: 'PGCONNECT_TIMEOUT', value: '10' },
                    { name: 'PGAPPNAME', value: `merlai-postgres-${task}` },
                    { name: 'HOME', value: '/tmp' },
                    ...extraEnv,
                  ],
                  // The dump itself goes to the claim; local disk holds /tmp and logs.
                  resources: resourceRequirements(BACKUP_RESOURCES, { request: '64Mi', limit: '256Mi' }),
                  securityContext: restrictedContainerSecurityContext(POSTGRES_IMAGE_UID),
                  volumeMounts: [
                    { name: 'backups', mountPath: BACKUP_MOUNT },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'backups', persistentVolumeClaim: { claimName: BACKUP_CLAIM } },
                { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
              ],
            },
          },
        },
      };
    };

    new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: BACKUP_NAME, labels: this.podLabels },
      spec: {
        schedule: this.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 900,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: job(
          'dump',
          BACKUP_SCRIPT,
          [{ name: 'BACKUP_RETENTION', value: String(this.retention) }],
          2,
        ),
      },
    });
    new k8s.KubeCronJob(this, 'restore', {
      metadata: {
        name: RESTORE_NAME,
        labels: this.podLabels,
        annotations: {
          'merlai.io/usage': `kubectl create job merlai-restore-$(date +%s) --from=cronjob/${RESTORE_NAME} (restores the newest dump; see README "Backup and restore")`,
        },
      },
      spec: {
        schedule: NEVER,
        suspend: true,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 900,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 1,
        jobTemplate: job('restore', RESTORE_SCRIPT, [{ name: 'RESTORE_FILE', value: '' }], 0),
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
