// The datastores of one level wired into the API: PostgreSQL, Redis and the backups. Objects: those of
// postgres/ and redis/.
import { Construct } from 'constructs';
import type { MerlaiApi } from '../api/api';
import { EnvValue } from '../api/env';
import { invalidProp } from '../core/errors';
import { type AvailabilityLevel, levelProfile } from '../core/levels';
import { guardUniqueNames } from '../core/unique-names';
import { requireDnsLabel, requireDnsSubdomain } from '../core/validation';
import type { DatastoreEndpoints } from './endpoints';
import {
  type BackupObjectStore,
  type ResolvedObjectStore,
  resolveObjectStore,
} from './postgres/object-store';
import { MerlaiPostgres, type PostgresOptions } from './postgres/postgres';
import { MerlaiPostgresBackup, type PostgresBackupOptions } from './postgres/postgres-backup';
import { MerlaiRedis, type RedisOptions } from './redis/redis';

const TYPE = 'MerlaiDatastores';

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
   * The S3-compatible bucket outside the cluster that holds the backups: every `pg_dump` is
   * uploaded there (the backup volume keeps only a cache), the restore Job downloads from there,
   * and at Levels 2 and 3 CloudNativePG archives WAL and takes base backups there (point-in-time
   * recovery). Required at Level 3 unless `localBackupsOnly` is set.
   * @default - none: dumps stay on the backup volume, beside the database
   */
  readonly objectStore?: BackupObjectStore | undefined;
  /**
   * Level 3 only: accept backups that live in the cluster (no `objectStore`). Losing the
   * namespace, the cluster or its storage then loses the database and every backup together,
   * and a failure loses up to one dump interval (6 hours) of writes.
   * @default false
   */
  readonly localBackupsOnly?: boolean | undefined;
  /**
   * Whether to run the `pg_dump` CronJob `merlai-postgres-backup` and its claim. It may be turned
   * off only where something else backs PostgreSQL up: an external (managed) database
   * (`postgres.external`) or CloudNativePG's continuous backup to `objectStore` (Levels 2 and 3).
   * @default true
   */
  readonly pgDumpBackup?: boolean | undefined;
  /**
   * Spread the PostgreSQL instances, Redis data pods and Sentinels over zones
   * (`topology.kubernetes.io/zone`, one per zone before any zone gets two). Required at Level 3;
   * Level 2 may turn it on where its cluster has zones; Level 1's single pods cannot spread.
   * @default - the level table: true at Level 3, false at Levels 1 and 2
   */
  readonly zoneSpread?: boolean | undefined;
  /**
   * PriorityClass of the PostgreSQL instances (CloudNativePG `spec.priorityClassName`) and the
   * Redis data and Sentinel pods (RedisReplication `spec.priorityClassName`,
   * `spec.sentinel.priorityClassName`). The class must exist.
   * @default - none (the level chart passes its own at Level 3)
   */
  readonly priorityClassName?: string | undefined;
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

  /** The off-cluster target of the backups, checked; undefined when they stay in the cluster. */
  public readonly objectStore?: ResolvedObjectStore;

  constructor(scope: Construct, id: string, props: MerlaiDatastoresProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, TYPE, 'instance', props.instance ?? 'merlai');
    guardUniqueNames(
      this,
      'MerlaiDatastores',
      "the datastores' object names are fixed (merlai-postgres, merlai-redis, merlai-postgres-backup, …), so 'instance' (which only labels them) cannot tell two apart: give each installation its own namespace, or wire a second MerlaiApi (with its own 'instance') to the first datastores",
    );
    const profile = levelProfile(props.level);
    const priorityClassName =
      props.priorityClassName === undefined
        ? undefined
        : requireDnsSubdomain(this, TYPE, 'priorityClassName', props.priorityClassName);
    let objectStore: ResolvedObjectStore | undefined;
    if (props.objectStore !== undefined) {
      if (props.localBackupsOnly) {
        invalidProp(
          this,
          TYPE,
          'localBackupsOnly',
          props.localBackupsOnly,
          "contradicts 'objectStore', which copies the backups off the cluster: drop one of them",
        );
      }
      objectStore = resolveObjectStore(this, TYPE, 'objectStore', props.objectStore);
    }
    this.objectStore = objectStore;
    this.postgres = new MerlaiPostgres(this, 'postgres', {
      ...props.postgres,
      // An external server has no pods to spread.
      zoneSpread: props.postgres?.external ? undefined : props.zoneSpread,
      priorityClassName: props.postgres?.external ? undefined : priorityClassName,
      level: props.level,
      instance,
      // Level 1 runs no CloudNativePG and an external server archives on its own: dumps only.
      objectStore:
        profile.datastores.postgresInstances > 1 && !props.postgres?.external ? objectStore : undefined,
    });
    this.redis = new MerlaiRedis(this, 'redis', {
      ...props.redis,
      zoneSpread: props.redis?.external ? undefined : props.zoneSpread,
      priorityClassName: props.redis?.external ? undefined : priorityClassName,
      level: props.level,
      instance,
    });
    if (props.pgDumpBackup ?? true) {
      this.backup = new MerlaiPostgresBackup(this, 'backup', {
        ...props.backup,
        level: props.level,
        instance,
        connection: this.postgres.connection,
        objectStore,
      });
      this.backupPodLabels = this.backup.podLabels;
    } else if (!props.postgres?.external && !(objectStore && profile.datastores.postgresInstances > 1)) {
      invalidProp(
        this,
        'MerlaiDatastores',
        'pgDumpBackup',
        false,
        "expected true while PostgreSQL runs in the cluster without CloudNativePG's WAL archive ('objectStore' at Levels 2 and 3): nothing else would back it up. Turn it off with 'postgres.external' (the provider backs up) or give 'objectStore'",
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
      backupObjectStore: objectStore
        ? { cidr: objectStore.cidr, cidrs: objectStore.cidrs, port: objectStore.port }
        : undefined,
    };

    // Checked last, so a wrong prop of PostgreSQL, Redis or the dumps reports itself first. A
    // managed PostgreSQL without the pg_dump CronJob leaves no backup in the cluster: nothing to move.
    const backupsInCluster = this.backup !== undefined || !props.postgres?.external;
    if (
      backupsInCluster &&
      objectStore === undefined &&
      profile.datastores.objectStoreRequired &&
      props.localBackupsOnly !== true
    ) {
      invalidProp(
        this,
        TYPE,
        'objectStore',
        undefined,
        `Level ${profile.number} (${profile.environment}) keeps its backups off the cluster: give an S3-compatible target, objectStore: { endpointUrl, bucket, credentialsSecretName, cidr } (README "Backup and restore"), or set localBackupsOnly: true to accept losing the database and its backups together`,
      );
    }

    if (props.api) {
      const { secretName, uriKey } = this.postgres.connection;
      props.api.addEnv('DATABASE_URL', EnvValue.fromSecretKey(secretName, uriKey));
      for (const { name, value } of this.redis.clientEnv) props.api.addEnv(name, value);
    }
  }
}
