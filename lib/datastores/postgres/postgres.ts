// PostgreSQL, Merlai's metadata store: the MerlaiPostgres construct and its props. Objects: Level 1's
// StatefulSet (standalone.ts), Levels 2 and 3's CloudNativePG Cluster (cloudnative-pg.ts), or an external
// server's ExternalName Service (datastore-support.ts).
import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ApiResourceOverrides } from '../../api/resources';
import { resolveResources } from '../../core/containers';
import { invalidProp } from '../../core/errors';
import { selectorLabels } from '../../core/labels';
import { type AvailabilityLevel, levelProfile } from '../../core/levels';
import {
  requireAtLeast,
  requireDnsLabel,
  requireDnsSubdomain,
  requirePinnedImage,
  requirePositiveQuantity,
} from '../../core/validation';
import { externalDatastore, rejectWithExternal, resolveZoneSpread } from '../datastore-support';
import type { DatastoreEndpoint } from '../endpoints';
import { createCnpgCluster } from './cloudnative-pg';
import {
  CNPG_METRICS_PORT,
  CNPG_POSTGRES_IMAGE,
  POSTGRES_IMAGE,
  POSTGRES_NAME,
  POSTGRES_PORT,
  POSTGRES_TYPE,
  POSTGRES_URI_KEY,
} from './constants';
import type { ResolvedObjectStore } from './object-store';
import { createStandalonePostgres } from './standalone';

const TYPE = POSTGRES_TYPE;

/** Where a PostgreSQL client finds its connection: a key of a Secret holding a `postgresql://` URI. */
export interface PostgresConnection {
  readonly secretName: string;
  readonly uriKey: string;
}

/** A PostgreSQL the platform runs elsewhere (a managed database): nothing is deployed. */
export interface ExternalPostgresOptions {
  /** DNS name of the server; the construct creates an `ExternalName` Service `merlai-postgres` for it. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number | undefined;
  /** Existing Secret in the chart's namespace holding the connection URI (`postgresql://user:password@host:port/db`). */
  readonly secretName: string;
  /** @default 'uri' (the key CloudNativePG uses) */
  readonly uriKey?: string | undefined;
  /**
   * Address range of the server (`10.20.0.0/16`): the network policies allow egress to it only.
   * For a single address, `/32`.
   */
  readonly cidr: string;
}

/** Everything a team may override on PostgreSQL; the level table supplies the rest. */
export interface PostgresOptions {
  /**
   * PostgreSQL instances. Level 1: exactly 1 (a plain StatefulSet). Levels 2 and 3: a CloudNativePG
   * primary with replicas, at least the level table's count.
   * @default - the level table (1, 2, 3)
   */
  readonly instances?: number | undefined;
  /**
   * Standbys every commit waits for (CloudNativePG quorum synchronous replication, durability required).
   * @default - the level table (Level 3: 1, others: 0)
   */
  readonly synchronousReplicas?: number | undefined;
  /** @default - the level table ('5Gi', '20Gi', '50Gi') */
  readonly storageSize?: string | undefined;
  /**
   * StorageClass of the instances' volumes (Level 3: the distributed storage).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string | undefined;
  /** @default - the level table */
  readonly resources?: ApiResourceOverrides | undefined;
  /**
   * Server image, pinned.
   * @default - Level 1: `POSTGRES_IMAGE`; Levels 2 and 3: `CNPG_POSTGRES_IMAGE`
   */
  readonly image?: string | undefined;
  /**
   * Namespace of the CloudNativePG operator, which must reach the instances.
   * @default 'cnpg-system'
   */
  readonly operatorNamespace?: string | undefined;
  /**
   * Use an existing PostgreSQL instead of deploying one.
   * @default - PostgreSQL runs in the chart's namespace
   */
  readonly external?: ExternalPostgresOptions | undefined;
}

/** Props of `MerlaiPostgres`. */
export interface MerlaiPostgresProps extends PostgresOptions {
  readonly level: AvailabilityLevel;
  /**
   * Continuous backup off the cluster (Levels 2 and 3, from `resolveObjectStore`): an `ObjectStore`
   * of the Barman Cloud plugin, WAL archiving into it, and a `ScheduledBackup` of base backups.
   * `MerlaiDatastores` passes its `objectStore` here.
   * @default - no WAL archiving: only the `pg_dump` CronJob backs up
   */
  readonly objectStore?: ResolvedObjectStore | undefined;
  /**
   * Value of `app.kubernetes.io/instance`.
   * @default 'merlai'
   */
  readonly instance?: string | undefined;
  /**
   * Spread the CloudNativePG instances over zones (`topology.kubernetes.io/zone`).
   * @default - the level table: required at Level 3, off at Level 2
   */
  readonly zoneSpread?: boolean | undefined;
  /**
   * PriorityClass of the instance pods (an existing class).
   * @default - none
   */
  readonly priorityClassName?: string | undefined;
}

/**
 * The metadata store: Level 1 a single PostgreSQL 15 StatefulSet with development credentials;
 * Levels 2 and 3 a CloudNativePG `Cluster` (primary and replicas, synchronous at Level 3) with a
 * PodMonitor; or an external server. Clients read `connection`.
 */
export class MerlaiPostgres extends Construct {
  public readonly name = POSTGRES_NAME;
  /** The Secret key holding the connection URI. */
  public readonly connection: PostgresConnection;
  /** Where the server's pods are, for the network policies. */
  public readonly endpoint: DatastoreEndpoint;
  /** The PodMonitor that scrapes the instances' exporter (CloudNativePG), when there is one. */
  public readonly podMonitor?: ApiObject;
  /** Instances run in the cluster (0 when external). */
  public readonly instances: number;

  constructor(scope: Construct, id: string, props: MerlaiPostgresProps) {
    super(scope, id);
    const profile = levelProfile(props.level);
    const instance = requireDnsLabel(this, TYPE, 'instance', props.instance ?? 'merlai');

    if (props.external) {
      rejectWithExternal(this, TYPE, props, [
        'instances',
        'synchronousReplicas',
        'storageSize',
        'storageClassName',
        'resources',
        'image',
        'objectStore',
        'zoneSpread',
        'priorityClassName',
      ]);
      const { endpoint, secretKey } = externalDatastore(this, TYPE, props.external, {
        serviceName: POSTGRES_NAME,
        portName: 'postgres',
        defaultPort: POSTGRES_PORT,
        holds: 'the connection URI',
        keyProp: 'uriKey',
        key: props.external.uriKey ?? POSTGRES_URI_KEY,
      });
      this.instances = 0;
      this.connection = { secretName: props.external.secretName, uriKey: secretKey };
      this.endpoint = endpoint;
      return;
    }

    const d = profile.datastores;
    const singleInstance = d.postgresInstances === 1;
    const zoneSpread = resolveZoneSpread(this, TYPE, profile, props.zoneSpread, singleInstance);
    const instances = props.instances ?? d.postgresInstances;
    if (singleInstance && instances !== 1) {
      invalidProp(
        this,
        TYPE,
        'instances',
        instances,
        `Level ${profile.number} runs PostgreSQL as one plain StatefulSet pod: expected 1 (Levels 2 and 3 replicate with CloudNativePG)`,
      );
    }
    if (!singleInstance) {
      requireAtLeast(
        this,
        TYPE,
        'instances',
        instances,
        d.postgresInstances,
        `Level ${profile.number} (${profile.environment}) runs a primary with ${d.postgresInstances - 1} replica(s) or more`,
      );
    }
    this.instances = instances;
    const sync = props.synchronousReplicas ?? d.postgresSynchronousReplicas;
    if (!Number.isInteger(sync) || sync < 0 || sync >= instances) {
      invalidProp(
        this,
        TYPE,
        'synchronousReplicas',
        sync,
        `expected an integer from 0 to ${instances - 1}: synchronous standbys are instances besides the primary (${instances} instances)`,
      );
    }
    if (sync < d.postgresSynchronousReplicas) {
      invalidProp(
        this,
        TYPE,
        'synchronousReplicas',
        sync,
        `expected at least ${d.postgresSynchronousReplicas}: Level ${profile.number} (${profile.environment}) commits synchronously to a standby, so a failover loses no committed transaction`,
      );
    }
    const storageSize = props.storageSize ?? d.postgresStorageSize;
    requirePositiveQuantity(this, TYPE, 'storageSize', storageSize);
    if (props.storageClassName !== undefined) {
      requireDnsSubdomain(this, TYPE, 'storageClassName', props.storageClassName);
    }
    const resources = resolveResources(this, TYPE, 'resources', props.resources, d.postgresResources);
    const image = requirePinnedImage(
      this,
      TYPE,
      'image',
      props.image ?? (singleInstance ? POSTGRES_IMAGE : CNPG_POSTGRES_IMAGE),
    );
    const operatorNamespace = requireDnsLabel(
      this,
      TYPE,
      'operatorNamespace',
      props.operatorNamespace ?? 'cnpg-system',
    );

    if (singleInstance) {
      if (props.objectStore) {
        invalidProp(
          this,
          TYPE,
          'objectStore',
          props.objectStore,
          `WAL archiving needs CloudNativePG, which runs at Levels 2 and 3; Level ${profile.number} backs up with the pg_dump CronJob (MerlaiDatastores uploads its dumps to the object store)`,
        );
      }
      const labels = selectorLabels(POSTGRES_NAME, 'database', instance);
      this.connection = { secretName: `${POSTGRES_NAME}-dev-credentials`, uriKey: POSTGRES_URI_KEY };
      this.endpoint = { port: POSTGRES_PORT, podLabels: labels };
      createStandalonePostgres(this, this.connection.secretName, labels, {
        image,
        priorityClassName: props.priorityClassName,
        storageSize,
        storageClassName: props.storageClassName,
        resources,
      });
      return;
    }

    this.connection = { secretName: `${POSTGRES_NAME}-app`, uriKey: POSTGRES_URI_KEY };
    // Labels CloudNativePG puts on instance pods (docs/src/labels_annotations.md), and its operator as
    // installed by the manifest or the Helm chart (docs/src/samples/networkpolicy-example.yaml).
    this.endpoint = {
      port: POSTGRES_PORT,
      podLabels: { 'cnpg.io/cluster': POSTGRES_NAME },
      peerPorts: [POSTGRES_PORT, 8000],
      operator: {
        namespace: operatorNamespace,
        podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
        ports: [8000, POSTGRES_PORT],
      },
      metricsPort: CNPG_METRICS_PORT,
      needsApiServer: true,
      objectStore: props.objectStore
        ? { cidr: props.objectStore.cidr, cidrs: props.objectStore.cidrs, port: props.objectStore.port }
        : undefined,
    };
    this.podMonitor = createCnpgCluster(this, profile, instance, {
      image,
      instances,
      sync,
      storageSize,
      storageClassName: props.storageClassName,
      resources,
      objectStore: props.objectStore,
      zoneSpread,
      priorityClassName: props.priorityClassName,
    });
  }
}
