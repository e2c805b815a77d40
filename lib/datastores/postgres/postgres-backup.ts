// The pg_dump backups and their restore. Objects: CronJob `merlai-postgres-backup`, suspended CronJob
// `merlai-postgres-restore`, PersistentVolumeClaim `merlai-postgres-backups`, their ServiceAccount.
import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { quantity } from '../../core/containers';
import { invalidProp } from '../../core/errors';
import { selectorLabels } from '../../core/labels';
import { type AvailabilityLevel, levelProfile } from '../../core/levels';
import {
  requireCronSchedule,
  requireDnsLabel,
  requireDnsSubdomain,
  requireInteger,
  requirePinnedImage,
  requirePositiveQuantity,
} from '../../core/validation';
import { backupJobTemplates } from './backup-jobs';
import { BACKUP_CLAIM, BACKUP_NAME, POSTGRES_IMAGE, RESTORE_NAME, UPLOAD_IMAGE } from './constants';
import type { ResolvedObjectStore } from './object-store';
import type { PostgresConnection } from './postgres';

const TYPE = 'MerlaiPostgresBackup';

// February 31st: the restore CronJob never runs on its own, even if someone clears `suspend`.
const NEVER = '0 0 31 2 *';
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
    this.schedule = requireCronSchedule(this, TYPE, 'schedule', props.schedule ?? d.backupSchedule);
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

    const jobs = backupJobTemplates({
      podLabels: this.podLabels,
      connection: props.connection,
      image,
      uploadImage,
      retention: this.retention,
      timeoutSeconds,
      objectStore: store,
    });

    new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: BACKUP_NAME, labels: this.podLabels },
      spec: {
        schedule: this.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 900,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: jobs.backup,
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
        jobTemplate: jobs.restore,
      },
    });
  }
}
