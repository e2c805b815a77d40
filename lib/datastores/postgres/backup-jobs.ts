// The Jobs of the backups: the dump (and upload) Job the backup CronJob runs, and the (download and)
// restore Job of the restore CronJob. No objects: job templates.
import type { k8s } from 'cdk8s-plus-28';
import {
  quantity,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../core/containers';
import type { ResourceProfile } from '../../core/levels';
import { BACKUP_SCRIPT, DOWNLOAD_SCRIPT, RESTORE_SCRIPT, UPLOAD_SCRIPT } from './backup-scripts';
import {
  BACKUP_CLAIM,
  BACKUP_MOUNT,
  BACKUP_NAME,
  LOCAL_CACHE_DUMPS,
  POSTGRES_IMAGE_UID,
  RESTORE_DOWNLOAD_DIR,
} from './constants';
import type { ResolvedObjectStore } from './object-store';
import type { PostgresConnection } from './postgres';

const CA_MOUNT = '/etc/merlai-object-store-ca';
const BACKUP_RESOURCES: ResourceProfile = {
  cpuRequest: '50m',
  memoryRequest: '128Mi',
  cpuLimit: '1',
  memoryLimit: '512Mi',
};

/** What the backup and restore Jobs are made of. */
export interface BackupJobsProps {
  /** Labels of the Jobs' pods (they connect to PostgreSQL). */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly connection: PostgresConnection;
  /** The PostgreSQL client image (`pg_dump`, `pg_restore`). */
  readonly image: string;
  /** The S3 client image of the upload and download containers. */
  readonly uploadImage: string;
  /** Dumps kept (in the object store when there is one, else on the volume). */
  readonly retention: number;
  readonly timeoutSeconds: number;
  readonly objectStore?: ResolvedObjectStore | undefined;
}

/** The backup Job and the restore Job, as the two CronJobs' templates. */
export function backupJobTemplates(p: BackupJobsProps): {
  backup: k8s.JobTemplateSpec;
  restore: k8s.JobTemplateSpec;
} {
  const store = p.objectStore;
  const image = p.image;
  const uploadImage = p.uploadImage;
  const postgresEnv = (task: string, backupDir: string): k8s.EnvVar[] => [
    {
      name: 'DATABASE_URL',
      valueFrom: {
        secretKeyRef: { name: p.connection.secretName, key: p.connection.uriKey },
      },
    },
    { name: 'BACKUP_DIR', value: backupDir },
    { name: 'PGCONNECT_TIMEOUT', value: '10' },
    { name: 'PGAPPNAME', value: `merlai-postgres-${task}` },
    { name: 'HOME', value: '/tmp' },
  ];
  const s3Env = (o: ResolvedObjectStore): k8s.EnvVar[] => [
    {
      name: 'AWS_ACCESS_KEY_ID',
      valueFrom: { secretKeyRef: { name: o.credentialsSecretName, key: o.accessKeyIdKey } },
    },
    {
      name: 'AWS_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: o.credentialsSecretName, key: o.secretAccessKeyKey } },
    },
    { name: 'S3_ENDPOINT', value: o.endpointUrl },
    { name: 'S3_BUCKET', value: o.bucket },
    { name: 'S3_PREFIX', value: `${o.path}/dumps` },
    { name: 'S3_REGION', value: o.region },
    ...(o.ca ? [{ name: 'S3_CA_FILE', value: `${CA_MOUNT}/ca.crt` }] : []),
    { name: 'HOME', value: '/tmp' },
  ];
  const container = (
    name: string,
    containerImage: string,
    script: string,
    env: k8s.EnvVar[],
    mounts: k8s.VolumeMount[],
  ): k8s.Container => ({
    name,
    image: containerImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c', script],
    env,
    // The dump itself goes to the claim; local disk holds /tmp and logs.
    resources: resourceRequirements(BACKUP_RESOURCES, { request: '64Mi', limit: '256Mi' }),
    securityContext: restrictedContainerSecurityContext(POSTGRES_IMAGE_UID),
    volumeMounts: [...mounts, { name: 'tmp', mountPath: '/tmp' }],
  });
  const backupsMount = (readOnly?: boolean): k8s.VolumeMount => ({
    name: 'backups',
    mountPath: BACKUP_MOUNT,
    readOnly,
  });
  const caMount: k8s.VolumeMount[] = store?.ca ? [{ name: 'ca', mountPath: CA_MOUNT, readOnly: true }] : [];

  const job = (
    task: string,
    initContainers: k8s.Container[],
    main: k8s.Container,
    backoffLimit: number,
  ): k8s.JobTemplateSpec => {
    const labels = { ...p.podLabels, 'merlai.io/backup-task': task };
    return {
      metadata: { labels },
      spec: {
        backoffLimit,
        activeDeadlineSeconds: p.timeoutSeconds,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: BACKUP_NAME,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(POSTGRES_IMAGE_UID),
            initContainers: initContainers.length > 0 ? initContainers : undefined,
            containers: [main],
            volumes: [
              { name: 'backups', persistentVolumeClaim: { claimName: BACKUP_CLAIM } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
              ...(store?.ca
                ? [
                    {
                      name: 'ca',
                      secret: {
                        secretName: store.ca.secretName,
                        items: [{ key: store.ca.key, path: 'ca.crt' }],
                      },
                    },
                  ]
                : []),
            ],
          },
        },
      },
    };
  };

  // Without an object store: dump into the volume, keep the newest `retention`. With one: the
  // dump (init container) keeps a small cache on the volume, then the upload container copies it
  // off the cluster and applies the retention there.
  const dump = container(
    'dump',
    image,
    BACKUP_SCRIPT,
    [
      ...postgresEnv('dump', BACKUP_MOUNT),
      {
        name: 'BACKUP_RETENTION',
        value: String(store ? Math.min(LOCAL_CACHE_DUMPS, p.retention) : p.retention),
      },
    ],
    [backupsMount()],
  );
  const backupJob = store
    ? job(
        'dump',
        [dump],
        container(
          'upload',
          uploadImage,
          UPLOAD_SCRIPT,
          [
            ...s3Env(store),
            { name: 'BACKUP_DIR', value: BACKUP_MOUNT },
            { name: 'BACKUP_RETENTION', value: String(p.retention) },
          ],
          [backupsMount(true), ...caMount],
        ),
        2,
      )
    : job('dump', [], dump, 2);
  // Without an object store: restore from the volume. With one: download from the object store
  // only (init container), then restore that file.
  const restoreFile = { name: 'RESTORE_FILE', value: '' };
  const restoreJob = store
    ? job(
        'restore',
        [
          container(
            'download',
            uploadImage,
            DOWNLOAD_SCRIPT,
            [...s3Env(store), { name: 'RESTORE_DIR', value: RESTORE_DOWNLOAD_DIR }, restoreFile],
            [backupsMount(), ...caMount],
          ),
        ],
        container(
          'restore',
          image,
          RESTORE_SCRIPT,
          [...postgresEnv('restore', RESTORE_DOWNLOAD_DIR), restoreFile],
          [backupsMount(true)],
        ),
        0,
      )
    : job(
        'restore',
        [],
        container(
          'restore',
          image,
          RESTORE_SCRIPT,
          [...postgresEnv('restore', BACKUP_MOUNT), restoreFile],
          [backupsMount()],
        ),
        0,
      );
  return { backup: backupJob, restore: restoreJob };
}
