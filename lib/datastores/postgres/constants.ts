// PostgreSQL's fixed names, images, ports and keys, shared by the server, the backups and the alerts. No objects.

/** The construct type errors name. */
export const POSTGRES_TYPE = 'MerlaiPostgres';

/** Name of the PostgreSQL workload, its Services and (Levels 2 and 3) its CloudNativePG `Cluster`. */
export const POSTGRES_NAME = 'merlai-postgres';
/** The server of Level 1 and the `pg_dump` client of the backups: PostgreSQL 15, an exact release (the one Debian bookworm's `postgresql-15` tests run). */
export const POSTGRES_IMAGE = 'postgres:15.20-bookworm';
/** The CloudNativePG operand of Levels 2 and 3: the same PostgreSQL release ("standard": no Barman in the image). */
export const CNPG_POSTGRES_IMAGE = 'ghcr.io/cloudnative-pg/postgresql:15.20-standard-bookworm';
export const POSTGRES_PORT = 5432;
/** The `postgres` user of the official image. */
export const POSTGRES_IMAGE_UID = 999;
/** The database and its owner, as the guide's `pg_dump -U merlai merlai` names them. */
export const POSTGRES_DATABASE = 'merlai';
/** The key of the connection URI in CloudNativePG's `<cluster>-app` Secret (and in the Level 1 Secret). */
export const POSTGRES_URI_KEY = 'uri';
/** CloudNativePG's metrics exporter on every instance. */
export const CNPG_METRICS_PORT = 9187;
/** The Barman Cloud plugin that archives WAL and takes base backups into an object store. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';
/** The plugin's `ObjectStore` (`barmancloud.cnpg.io/v1`) the chart creates for the cluster. */
export const POSTGRES_OBJECT_STORE_NAME = 'merlai-postgres-object-store';
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
