// Level 1's Redis: one plain redis-server, an LRU cache without persistence. Objects: Deployment, Service,
// ServiceAccount and ConfigMap `merlai-redis(-config)`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import {
  quantity,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../core/containers';
import type { ResourceProfile } from '../../core/levels';
import { redisStandaloneConfig } from './config';
import { REDIS_IMAGE_UID, REDIS_NAME, REDIS_PORT } from './constants';

/** The server and what it runs with. */
export function createStandaloneRedis(
  scope: Construct,
  labels: Record<string, string>,
  o: {
    image: string;
    priorityClassName?: string | undefined;
    resources: ResourceProfile;
    config: { name: string; cache: string };
    passwordSecret: string;
    passwordKey: string;
  },
): void {
  new k8s.KubeConfigMap(scope, 'config', {
    metadata: { name: o.config.name, labels },
    data: { 'redis.conf': redisStandaloneConfig(o.config.cache) },
  });
  new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata: { name: REDIS_NAME, labels },
    automountServiceAccountToken: false,
  });
  new k8s.KubeService(scope, 'service', {
    metadata: { name: REDIS_NAME, labels },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [
        {
          name: 'redis',
          port: REDIS_PORT,
          targetPort: k8s.IntOrString.fromString('redis'),
          protocol: 'TCP',
        },
      ],
    },
  });
  new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { name: REDIS_NAME, labels },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: { matchLabels: labels },
      // A second cache pod for a moment only costs cache misses.
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxUnavailable: k8s.IntOrString.fromNumber(0),
          maxSurge: k8s.IntOrString.fromNumber(1),
        },
      },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: REDIS_NAME,
          automountServiceAccountToken: false,
          priorityClassName: o.priorityClassName,
          securityContext: restrictedPodSecurityContext(REDIS_IMAGE_UID),
          containers: [
            {
              name: 'redis',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              // The password from the environment (redis-server then hides its arguments behind
              // its process title); arguments given to the container are appended.
              command: [
                'sh',
                '-c',
                'exec redis-server /etc/redis/redis.conf --requirepass "$REDIS_PASSWORD" "$@"',
                'redis-server',
              ],
              // Redis's `dir` defaults to the working directory: the scratch volume.
              workingDir: '/data',
              env: [
                {
                  name: 'REDIS_PASSWORD',
                  valueFrom: { secretKeyRef: { name: o.passwordSecret, key: o.passwordKey } },
                },
              ],
              ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
              resources: resourceRequirements(o.resources, { request: '64Mi', limit: '256Mi' }),
              securityContext: restrictedContainerSecurityContext(REDIS_IMAGE_UID),
              livenessProbe: {
                tcpSocket: { port: k8s.IntOrString.fromString('redis') },
                initialDelaySeconds: 5,
                periodSeconds: 10,
                timeoutSeconds: 3,
                failureThreshold: 3,
              },
              // Ready once the server answers a command (without the password the answer is a
              // NOAUTH error, and redis-cli exits 0); refused connections fail the probe.
              readinessProbe: {
                exec: { command: ['redis-cli', '-h', '127.0.0.1', '-p', String(REDIS_PORT), 'ping'] },
                periodSeconds: 5,
                timeoutSeconds: 3,
                failureThreshold: 3,
              },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/redis', readOnly: true },
                { name: 'data', mountPath: '/data' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: o.config.name } },
            // Nothing is persisted; the working directory must still be writable.
            { name: 'data', emptyDir: { sizeLimit: quantity('64Mi') } },
          ],
        },
      },
    },
  });
}
