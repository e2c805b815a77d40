import { Construct } from 'constructs';
import { EnvValue, type MerlaiApi } from './api';
import type { DatastoreEndpoints } from './endpoints';
import { invalidProp, requireDnsLabel } from './errors';
import type { AvailabilityLevel } from './levels';
import { MerlaiPostgres, type PostgresOptions } from './postgres';
import { MerlaiPostgresBackup, type PostgresBackupOptions } from './postgres-backup';
import { MerlaiRedis, type RedisOptions } from './redis';
import { guardUniqueNames } from './unique-names';

/** Everything a team may override on the datastores; the level table supplies the rest. */
export interface MerlaiDatastoresOptions {
  /**
   * Value of `app.kubernetes.io/instance` on every datastore object.
   * @default 'merlai'
   */
  readonly instance?: string | undefined;
  /** @default - the level table: Level 1 a StatefulSet, Levels 2 and 3 a CloudNativePG cluster */
  readonly postgres?: PostgresOptions | undefined;
  /** @default - the level table: Level 1 standalone, Levels 2 and 3 replication with Sentinel */
  readonly redis?: RedisOptions | undefined;
  /** @default - the level table's schedule, retention and volume size */
  readonly backup?: PostgresBackupOptions | undefined;
  /**
   * Whether to run the `pg_dump` CronJob `merlai-postgres-backup` and its claim. It may be turned
   * off only where something else backs PostgreSQL up: an external (managed) database
   * (`postgres.external`) or CloudNativePG's continuous backup (`postgres.objectStore`).
   * @default true
   */
  readonly pgDumpBackup?: boolean | undefined;
}

/** Props of `MerlaiDatastores`. */
export interface MerlaiDatastoresProps extends MerlaiDatastoresOptions {
  readonly level: AvailabilityLevel;
  /**
   * The API to wire: it receives `DATABASE_URL`, `REDIS_PASSWORD` and `REDIS_URL` as Secret references.
   * @default - nothing is wired
   */
  readonly api?: MerlaiApi | undefined;
}

/**
 * Merlai's metadata store (PostgreSQL), cache (Redis) and `pg_dump` backups for one level, wired
 * into the API. `endpoints` tells the network policies where each datastore is.
 */
export class MerlaiDatastores extends Construct {
  public readonly postgres: MerlaiPostgres;
  public readonly redis: MerlaiRedis;
  /** The `pg_dump` backup; undefined when `pgDumpBackup` is false. */
  public readonly backup?: MerlaiPostgresBackup;
  /** Where PostgreSQL, Redis and the backup pods are, and which ports they use. */
  public readonly endpoints: DatastoreEndpoints;
  /** Labels of the backup (and restore) pods, which connect to PostgreSQL; undefined without a backup. */
  public readonly backupPodLabels?: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MerlaiDatastoresProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'MerlaiDatastores', 'instance', props.instance ?? 'merlai');
    guardUniqueNames(
      this,
      'MerlaiDatastores',
      "the datastores' object names are fixed (merlai-postgres, merlai-redis, merlai-postgres-backup, …), so 'instance' (which only labels them) cannot tell two apart: give each installation its own namespace, or wire a second MerlaiApi (with its own 'instance') to the first datastores",
    );
    this.postgres = new MerlaiPostgres(this, 'postgres', { ...props.postgres, level: props.level, instance });
    this.redis = new MerlaiRedis(this, 'redis', { ...props.redis, level: props.level, instance });
    if (props.pgDumpBackup ?? true) {
      this.backup = new MerlaiPostgresBackup(this, 'backup', {
        ...props.backup,
        level: props.level,
        instance,
        connection: this.postgres.connection,
      });
      this.backupPodLabels = this.backup.podLabels;
    } else if (!props.postgres?.external && !props.postgres?.objectStore) {
      invalidProp(
        this,
        'MerlaiDatastores',
        'pgDumpBackup',
        false,
        "expected true while PostgreSQL runs in the cluster without 'postgres.objectStore': nothing else would back it up. Turn it off with 'postgres.external' (the provider backs up) or 'postgres.objectStore'",
      );
    } else if (props.backup) {
      invalidProp(
        this,
        'MerlaiDatastores',
        'backup',
        props.backup,
        "expected no 'backup' options with 'pgDumpBackup: false' (there is no pg_dump backup to configure)",
      );
    }
    this.endpoints = {
      postgres: this.postgres.endpoint,
      redis: this.redis.endpoint,
      backupPodLabels: this.backupPodLabels,
    };

    if (props.api) {
      const { secretName, uriKey } = this.postgres.connection;
      props.api.addEnv('DATABASE_URL', EnvValue.fromSecretKey(secretName, uriKey));
      for (const { name, value } of this.redis.clientEnv) props.api.addEnv(name, value);
    }
  }
}
