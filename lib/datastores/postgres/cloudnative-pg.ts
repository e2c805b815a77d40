// Levels 2 and 3's PostgreSQL: a CloudNativePG Cluster with its PodMonitor, and with an object store the
// Barman Cloud plugin's ObjectStore and a ScheduledBackup. Objects: Cluster, PodMonitor, ObjectStore
// `merlai-postgres-object-store`, ScheduledBackup `merlai-postgres`.
import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { invalidProp } from '../../core/errors';
import type { LevelProfile } from '../../core/levels';
import { zoneSpreadConstraint } from '../datastore-support';
import {
  BARMAN_CLOUD_PLUGIN,
  POSTGRES_DATABASE,
  POSTGRES_NAME,
  POSTGRES_OBJECT_STORE_NAME,
  POSTGRES_TYPE,
} from './constants';
import type { ResolvedObjectStore } from './object-store';

type CnpgCluster = typeof import('../../../imports/postgresql.cnpg.io');
type CnpgScheduledBackup = typeof import('../../../imports/scheduledbackup-postgresql.cnpg.io');
type BarmanObjectStore = typeof import('../../../imports/objectstore-barmancloud.cnpg.io');
type PodMonitorModule = typeof import('../../../imports/podmonitor-monitoring.coreos.com');

/** The Cluster and what goes with it; returns its PodMonitor. */
export function createCnpgCluster(
  scope: Construct,
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
    zoneSpread: boolean;
    priorityClassName?: string | undefined;
  },
): ApiObject {
  const cnpg: CnpgCluster = require('../../../imports/postgresql.cnpg.io');
  const store = o.objectStore;
  if (store) createObjectStore(scope, profile, store);
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
  const cluster = new cnpg.Cluster(scope, 'cluster', {
    metadata: { name: POSTGRES_NAME },
    spec: {
      instances: o.instances,
      imageName: o.image,
      priorityClassName: o.priorityClassName,
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
      // Zones by a topology spread rather than `affinity.topologyKey: topology.kubernetes.io/zone`:
      // the anti-affinity above keeps one instance per node, and `maxSkew: 1` puts the three
      // instances in three zones where there are three, yet still schedules on a two-zone cluster
      // (2 + 1), where a required zone anti-affinity would leave the third instance Pending.
      // CloudNativePG copies these constraints onto the instance pods as given, so the selector
      // names its own labels (docs: "Scheduling", labels_annotations.md).
      topologySpreadConstraints: o.zoneSpread
        ? [zoneSpreadConstraint({ 'cnpg.io/cluster': POSTGRES_NAME, 'cnpg.io/podRole': 'instance' })]
        : undefined,
      postgresql:
        o.sync > 0 || parameters
          ? {
              parameters,
              // Quorum (`any`) over every standby, and `dataDurability: required` (CloudNativePG
              // "Replication", synchronous replication; the CRD: `required` blocks writes when fewer
              // healthy standbys than `number` remain, `preferred` lowers `number` instead). At
              // Level 3 the three instances sit in three zones, so losing one zone leaves a primary
              // (or a promoted standby) and one standby in another zone: `any 1` is still met and
              // writes go on, while no commit acknowledged to a client lives in one zone only.
              // `preferred` would keep writing on a lone primary after a second failure, giving up
              // exactly the guarantee the level table's synchronous standby exists for.
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
  const podMonitor = new monitoring.PodMonitor(scope, 'pod-monitor', {
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
        scope,
        POSTGRES_TYPE,
        'objectStore.baseBackupSchedule',
        schedule,
        "expected a 6-field cron expression with seconds first, e.g. '0 0 3 * * *' (CloudNativePG's format)",
      );
    }
    const backups: CnpgScheduledBackup = require('../../../imports/scheduledbackup-postgresql.cnpg.io');
    new backups.ScheduledBackup(scope, 'scheduled-backup', {
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
function createObjectStore(scope: Construct, profile: LevelProfile, store: ResolvedObjectStore): void {
  const barman: BarmanObjectStore = require('../../../imports/objectstore-barmancloud.cnpg.io');
  new barman.ObjectStore(scope, 'object-store', {
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
