// PostgreSQL, Merlai's metadata store. Objects: Level 1 StatefulSet, Services and ServiceAccount `merlai-postgres`; Levels 2
// and 3 CloudNativePG Cluster, PodMonitor and (with an object store) ObjectStore and ScheduledBackup.
import type { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ApiResourceOverrides } from '../../api/resources';
import {
  quantity,
  resolveResources,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../core/containers';
import { invalidProp } from '../../core/errors';
import { selectorLabels } from '../../core/labels';
import { type AvailabilityLevel, type LevelProfile, levelProfile } from '../../core/levels';
import {
  requireAtLeast,
  requireDnsLabel,
  requireDnsSubdomain,
  requirePinnedImage,
  requirePositiveQuantity,
} from '../../core/validation';
import {
  DEVELOPMENT_PASSWORD,
  developmentSecret,
  externalDatastore,
  rejectWithExternal,
} from '../datastore-support';
import type { DatastoreEndpoint } from '../endpoints';
import type { ResolvedObjectStore } from './object-store';

const TYPE = 'MerlaiPostgres';

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
const PGDATA_MOUNT = '/var/lib/postgresql/data';
const CREDENTIALS_MOUNT = '/etc/merlai-postgres';

type CnpgCluster = typeof import('../../../imports/postgresql.cnpg.io');
type CnpgScheduledBackup = typeof import('../../../imports/scheduledbackup-postgresql.cnpg.io');
type BarmanObjectStore = typeof import('../../../imports/objectstore-barmancloud.cnpg.io');
type PodMonitorModule = typeof import('../../../imports/podmonitor-monitoring.coreos.com');

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
      this.standalone(labels, { image, storageSize, storageClassName: props.storageClassName, resources });
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
        ? { cidr: props.objectStore.cidr, port: props.objectStore.port }
        : undefined,
    };
    this.podMonitor = this.cloudNativePg(profile, instance, {
      image,
      instances,
      sync,
      storageSize,
      storageClassName: props.storageClassName,
      resources,
      objectStore: props.objectStore,
    });
  }

  private standalone(
    labels: Record<string, string>,
    o: {
      image: string;
      storageSize: string;
      storageClassName?: string;
      resources: LevelProfile['resources'];
    },
  ): void {
    const secretName = this.connection.secretName;
    const url = `postgresql://${POSTGRES_DATABASE}:${DEVELOPMENT_PASSWORD}@${POSTGRES_NAME}:${POSTGRES_PORT}/${POSTGRES_DATABASE}`;
    // The keys of CloudNativePG's <cluster>-app Secret, so clients read the same keys at every level.
    developmentSecret(this, secretName, labels, 'kubernetes.io/basic-auth', {
      username: POSTGRES_DATABASE,
      user: POSTGRES_DATABASE,
      password: DEVELOPMENT_PASSWORD,
      dbname: POSTGRES_DATABASE,
      host: POSTGRES_NAME,
      port: String(POSTGRES_PORT),
      uri: url,
    });

    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: POSTGRES_NAME, labels },
      automountServiceAccountToken: false,
    });
    const port = {
      name: 'postgres',
      port: POSTGRES_PORT,
      targetPort: k8s.IntOrString.fromString('postgres'),
      protocol: 'TCP',
    };
    const headless = `${POSTGRES_NAME}-headless`;
    new k8s.KubeService(this, 'headless-service', {
      metadata: { name: headless, labels },
      spec: { clusterIp: 'None', selector: labels, ports: [port] },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name: POSTGRES_NAME, labels },
      spec: { type: 'ClusterIP', selector: labels, ports: [port] },
    });

    // `pg_isready` over TCP: the entrypoint's initdb phase listens on the socket only, so the pod
    // turns ready once the real server accepts connections.
    const isReady = {
      exec: {
        command: [
          'pg_isready',
          '--host=127.0.0.1',
          `--port=${POSTGRES_PORT}`,
          `--dbname=${POSTGRES_DATABASE}`,
        ],
      },
    };
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: POSTGRES_NAME, labels },
      spec: {
        serviceName: headless,
        replicas: 1,
        selector: { matchLabels: labels },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: POSTGRES_NAME,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(POSTGRES_IMAGE_UID),
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'postgres',
                image: o.image,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                env: [
                  { name: 'POSTGRES_USER', value: POSTGRES_DATABASE },
                  { name: 'POSTGRES_DB', value: POSTGRES_DATABASE },
                  // The image reads the password from a file: the Secret stays out of the environment.
                  { name: 'POSTGRES_PASSWORD_FILE', value: `${CREDENTIALS_MOUNT}/password` },
                  // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
                  { name: 'PGDATA', value: `${PGDATA_MOUNT}/pgdata` },
                ],
                // emptyDirs (/tmp, the socket directory) and logs.
                resources: resourceRequirements(o.resources, { request: '128Mi', limit: '1Gi' }),
                securityContext: restrictedContainerSecurityContext(POSTGRES_IMAGE_UID),
                startupProbe: { ...isReady, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 },
                // Alive while the postmaster listens (also during crash recovery, when it rejects
                // connections); ready only when it accepts them.
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromString('postgres') },
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 6,
                },
                readinessProbe: { ...isReady, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
                volumeMounts: [
                  { name: 'data', mountPath: PGDATA_MOUNT },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'credentials', mountPath: CREDENTIALS_MOUNT, readOnly: true },
                ],
              },
            ],
            volumes: [
              // Readable by the postgres group (fsGroup) only.
              {
                name: 'credentials',
                secret: { secretName, items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 },
              },
              { name: 'run', emptyDir: { sizeLimit: quantity('16Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('256Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: o.storageClassName,
              resources: { requests: { storage: quantity(o.storageSize) } },
            },
          },
        ],
      },
    });
  }

  private cloudNativePg(
    profile: LevelProfile,
    instance: string,
    o: {
      image: string;
      instances: number;
      sync: number;
      storageSize: string;
      storageClassName?: string;
      resources: LevelProfile['resources'];
      objectStore?: ResolvedObjectStore;
    },
  ): ApiObject {
    const cnpg: CnpgCluster = require('../../../imports/postgresql.cnpg.io');
    const store = o.objectStore;
    if (store) this.objectStore(profile, store);
    const plugins = store
      ? [
          {
            name: BARMAN_CLOUD_PLUGIN,
            isWalArchiver: true,
            parameters: { barmanObjectName: POSTGRES_OBJECT_STORE_NAME },
          },
        ]
      : undefined;
    const parameters = store ? { archive_timeout: profile.datastores.walArchiveTimeout } : undefined;
    const cluster = new cnpg.Cluster(this, 'cluster', {
      metadata: { name: POSTGRES_NAME },
      spec: {
        instances: o.instances,
        imageName: o.image,
        primaryUpdateStrategy: cnpg.ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
        enableSuperuserAccess: false,
        bootstrap: { initdb: { database: POSTGRES_DATABASE, owner: POSTGRES_DATABASE } },
        storage: { size: o.storageSize, storageClass: o.storageClassName },
        resources: {
          requests: {
            cpu: cnpg.ClusterSpecResourcesRequests.fromString(o.resources.cpuRequest),
            memory: cnpg.ClusterSpecResourcesRequests.fromString(o.resources.memoryRequest),
          },
          limits: {
            cpu: cnpg.ClusterSpecResourcesLimits.fromString(o.resources.cpuLimit),
            memory: cnpg.ClusterSpecResourcesLimits.fromString(o.resources.memoryLimit),
          },
        },
        affinity: {
          enablePodAntiAffinity: true,
          podAntiAffinityType: profile.datastores.spreadAcrossNodes ? 'required' : 'preferred',
          topologyKey: 'kubernetes.io/hostname',
        },
        postgresql:
          o.sync > 0 || parameters
            ? {
                parameters,
                synchronous:
                  o.sync > 0
                    ? {
                        method: cnpg.ClusterSpecPostgresqlSynchronousMethod.ANY,
                        number: o.sync,
                        dataDurability: cnpg.ClusterSpecPostgresqlSynchronousDataDurability.REQUIRED,
                      }
                    : undefined,
              }
            : undefined,
        inheritedMetadata: {
          labels: {
            'app.kubernetes.io/name': POSTGRES_NAME,
            'app.kubernetes.io/instance': instance,
            'app.kubernetes.io/component': 'database',
            'app.kubernetes.io/part-of': 'merlai',
          },
        },
        plugins,
      },
    });

    const monitoring: PodMonitorModule = require('../../../imports/podmonitor-monitoring.coreos.com');
    const podMonitor = new monitoring.PodMonitor(this, 'pod-monitor', {
      metadata: { name: POSTGRES_NAME },
      spec: {
        selector: { matchLabels: { 'cnpg.io/cluster': POSTGRES_NAME, 'cnpg.io/podRole': 'instance' } },
        podMetricsEndpoints: [{ port: 'metrics' }],
      },
    });

    if (store) {
      const schedule = store.baseBackupSchedule ?? `0 ${profile.datastores.backupSchedule}`;
      if (schedule.trim().split(/\s+/).length !== 6) {
        invalidProp(
          this,
          TYPE,
          'objectStore.baseBackupSchedule',
          schedule,
          "expected a 6-field cron expression with seconds first, e.g. '0 0 3 * * *' (CloudNativePG's format)",
        );
      }
      const backups: CnpgScheduledBackup = require('../../../imports/scheduledbackup-postgresql.cnpg.io');
      new backups.ScheduledBackup(this, 'scheduled-backup', {
        metadata: { name: POSTGRES_NAME },
        spec: {
          cluster: { name: cluster.name },
          schedule,
          immediate: true,
          method: backups.ScheduledBackupSpecMethod.PLUGIN,
          pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
          backupOwnerReference: backups.ScheduledBackupSpecBackupOwnerReference.SELF,
        },
      });
    }
    return podMonitor;
  }

  /**
   * The Barman Cloud plugin's `ObjectStore`: where WAL and base backups go (`<path>/cnpg/<cluster>/`),
   * with which credentials and CA, compressed, and kept for the level's retention.
   */
  private objectStore(profile: LevelProfile, store: ResolvedObjectStore): void {
    const barman: BarmanObjectStore = require('../../../imports/objectstore-barmancloud.cnpg.io');
    new barman.ObjectStore(this, 'object-store', {
      metadata: { name: POSTGRES_OBJECT_STORE_NAME },
      spec: {
        configuration: {
          destinationPath: `s3://${store.bucket}/${store.path}/cnpg`,
          endpointUrl: store.endpointUrl,
          endpointCa: store.ca ? { name: store.ca.secretName, key: store.ca.key } : undefined,
          s3Credentials: {
            accessKeyId: { name: store.credentialsSecretName, key: store.accessKeyIdKey },
            secretAccessKey: { name: store.credentialsSecretName, key: store.secretAccessKeyKey },
          },
          wal: { compression: barman.ObjectStoreSpecConfigurationWalCompression.GZIP, maxParallel: 2 },
          data: { compression: barman.ObjectStoreSpecConfigurationDataCompression.GZIP, jobs: 2 },
        },
        retentionPolicy: store.retentionPolicy ?? profile.datastores.objectStoreRetention,
      },
    });
  }
}
