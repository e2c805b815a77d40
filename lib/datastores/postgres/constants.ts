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
