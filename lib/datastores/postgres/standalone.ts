// Level 1's PostgreSQL: one plain StatefulSet with development credentials. Objects: StatefulSet,
// Services `merlai-postgres` and `merlai-postgres-headless`, ServiceAccount, Secret `merlai-postgres-dev-credentials`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import {
  quantity,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../core/containers';
import type { LevelProfile } from '../../core/levels';
import { DEVELOPMENT_PASSWORD, developmentSecret } from '../datastore-support';
import { POSTGRES_DATABASE, POSTGRES_IMAGE_UID, POSTGRES_NAME, POSTGRES_PORT } from './constants';

const PGDATA_MOUNT = '/var/lib/postgresql/data';
const CREDENTIALS_MOUNT = '/etc/merlai-postgres';

/** The StatefulSet, its Services and Secret; clients read the URI from `secretName`. */
export function createStandalonePostgres(
  scope: Construct,
  secretName: string,
  labels: Record<string, string>,
  o: {
    image: string;
    priorityClassName?: string | undefined;
    storageSize: string;
    storageClassName?: string;
    resources: LevelProfile['resources'];
  },
): void {
  const url = `postgresql://${POSTGRES_DATABASE}:${DEVELOPMENT_PASSWORD}@${POSTGRES_NAME}:${POSTGRES_PORT}/${POSTGRES_DATABASE}`;
  // The keys of CloudNativePG's <cluster>-app Secret, so clients read the same keys at every level.
  developmentSecret(scope, secretName, labels, 'kubernetes.io/basic-auth', {
    username: POSTGRES_DATABASE,
    user: POSTGRES_DATABASE,
    password: DEVELOPMENT_PASSWORD,
    dbname: POSTGRES_DATABASE,
    host: POSTGRES_NAME,
    port: String(POSTGRES_PORT),
    uri: url,
  });

  new k8s.KubeServiceAccount(scope, 'service-account', {
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
  new k8s.KubeService(scope, 'headless-service', {
    metadata: { name: headless, labels },
    spec: { clusterIp: 'None', selector: labels, ports: [port] },
  });
  new k8s.KubeService(scope, 'service', {
    metadata: { name: POSTGRES_NAME, labels },
    spec: { type: 'ClusterIP', selector: labels, ports: [port] },
  });

  // `pg_isready` over TCP: the entrypoint's initdb phase listens on the socket only, so the pod
  // turns ready once the real server accepts connections.
  const isReady = {
    exec: {
      command: ['pg_isready', '--host=127.0.0.1', `--port=${POSTGRES_PORT}`, `--dbname=${POSTGRES_DATABASE}`],
    },
  };
  new k8s.KubeStatefulSet(scope, 'statefulset', {
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
          priorityClassName: o.priorityClassName,
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
