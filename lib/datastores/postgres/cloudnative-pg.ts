// Levels 2 and 3's PostgreSQL: a CloudNativePG Cluster with its PodMonitor, and with an object store the
// Barman Cloud plugin's ObjectStore and a ScheduledBackup. Objects: Cluster, PodMonitor, ObjectStore
// `merlai-postgres-object-store`, ScheduledBackup `merlai-postgres`.
import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { invalidProp } from '../../core/errors';
import type { LevelProfile } from '../../core/levels';
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
