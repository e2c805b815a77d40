import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import {
  AvailabilityLevel,
  BACKUP_NAME,
  isPinned,
  LOCAL_CACHE_DUMPS,
  MerlaiDatastores,
  type MerlaiDatastoresProps,
  type MerlaiLevelChartProps,
  parseImage,
  parseQuantity,
  RESTORE_DOWNLOAD_DIR,
  RESTORE_NAME,
  RedisMode,
  UPLOAD_IMAGE,
} from '../lib';
import { selectorLabels } from '../lib/core/labels';
import { cronJobStep, cronJobSteps } from './support/jobs';
import { schemaErrors } from './support/k8s-schema';
import type { PodTemplate } from './support/pod-security';
import { podTemplatesOf } from './support/pod-templates';
import { scanForSecrets } from './support/secret-scan';
import { apiContainer, find, type KubeObject, LEVELS, levelChart, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;
const STORE = {
  endpointUrl: 'https://s3.example.com',
  bucket: 'merlai-backups',
  credentialsSecretName: 's3',
  cidr: '198.51.100.20/32',
};

function apiEnv(objects: KubeObject[]): KubeObject[] {
  return apiContainer(objects).env;
}

function envVar(objects: KubeObject[], name: string): KubeObject | undefined {
  return apiEnv(objects).find((e) => e.name === name);
}

function ofKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The pod templates of the chart's own workloads (not the pods operators build), with their source. */
function podTemplates(objects: KubeObject[]): Array<[string, PodTemplate]> {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'CronJob'].includes(o.kind))
    .flatMap(podTemplatesOf)
    .map((t): [string, PodTemplate] => [t.source, t]);
}

describe('level 1 datastores (development, 99 %)', () => {
  const objects = synthLevel(DEVELOPMENT);
  const pgLabels = selectorLabels('merlai-postgres', 'database', 'merlai');
  const redisLabels = selectorLabels('merlai-redis', 'cache', 'merlai');

  test('PostgreSQL 15: one StatefulSet pod with a claim, headless Service and client Service merlai-postgres', () => {
    const sts = find(objects, 'StatefulSet', 'merlai-postgres');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.selector.matchLabels).toEqual(pgLabels);
    expect(sts.spec.template.metadata.labels).toEqual(pgLabels);
    expect(sts.spec.serviceName).toBe('merlai-postgres-headless');
    expect(sts.spec.template.spec.containers[0].image).toMatch(/^postgres:15\.\d+/);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('5Gi');
    expect(find(objects, 'Service', 'merlai-postgres-headless').spec.clusterIP).toBe('None');
    expect(find(objects, 'Service', 'merlai-postgres').spec.selector).toEqual(pgLabels);
  });

  test('Redis 7: one Deployment pod behind Service merlai-redis, configured as an LRU cache without persistence', () => {
    const deployment = find(objects, 'Deployment', 'merlai-redis');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.metadata.labels).toEqual(redisLabels);
    expect(deployment.spec.template.spec.containers[0].image).toMatch(/^redis:7\.\d+\.\d+/);
    expect(find(objects, 'Service', 'merlai-redis').spec.selector).toEqual(redisLabels);
    const conf = find(objects, 'ConfigMap', 'merlai-redis-config').data['redis.conf'];
    const limit = parseQuantity(deployment.spec.template.spec.containers[0].resources.limits.memory)!;
    // 60 %: the rest of the limit is for a resync's fork, the replica buffers and fragmentation.
    expect(conf).toContain(`maxmemory ${Math.floor(limit * 0.6)}\n`);
    expect(conf).toContain('maxmemory-policy allkeys-lru\n');
    expect(conf).toContain('save ""\n');
    expect(conf).toContain('appendonly no\n');
  });

  test('development credentials sit in Secrets whose name and annotation say so, with the keys the pods read', () => {
    const secrets = ofKind(objects, 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'merlai-postgres-dev-credentials',
      'merlai-redis-dev-credentials',
    ]);
    for (const s of secrets) expect(s.metadata.annotations['merlai.io/development-only']).toBe('true');
    // Every key a pod reads, through its environment or a Secret volume, exists.
    const refs = podTemplates(objects).flatMap(([, t]) => [
      ...(t.spec.containers as KubeObject[]).flatMap((c) =>
        (c.env ?? []).map((e: KubeObject) => e.valueFrom?.secretKeyRef).filter(Boolean),
      ),
      ...(t.spec.volumes ?? [])
        .filter((v: KubeObject) => v.secret)
        .flatMap((v: KubeObject) =>
          v.secret.items.map((i: KubeObject) => ({ name: v.secret.secretName, key: i.key })),
        ),
    ]);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs)
      expect(Object.keys(find(objects, 'Secret', ref.name).stringData)).toContain(ref.key);
  });

  test('the API reads DATABASE_URL and REDIS_URL from those Secrets; the URLs name the Services', () => {
    expect(envVar(objects, 'DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'merlai-postgres-dev-credentials', key: 'uri' },
    });
    expect(envVar(objects, 'REDIS_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'merlai-redis-dev-credentials', key: 'url' },
    });
    const redis = find(objects, 'Secret', 'merlai-redis-dev-credentials').stringData;
    expect(redis.url).toBe(`redis://:${redis.password}@merlai-redis:6379/0`);
    const postgres = find(objects, 'Secret', 'merlai-postgres-dev-credentials').stringData;
    expect(postgres.uri).toBe(`postgresql://merlai:${postgres.password}@merlai-postgres:5432/merlai`);
  });

  test('no operator resources, and no generated CRD binding loaded to synthesize Level 1', () => {
    for (const kind of ['Cluster', 'RedisReplication', 'PodMonitor', 'ScheduledBackup']) {
      expect(ofKind(objects, kind)).toEqual([]);
    }
    // A fresh Node process: which generated modules does synthesizing Level 1, then Level 3, load?
    const root = path.resolve(__dirname, '..');
    const script = `const { Testing } = require('cdk8s'); const lib = require('./lib');
      const loaded = () => Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(`${root}/imports/`)}));
      Testing.synth(new lib.Level1DevChart(Testing.app(), 'l1')); const level1 = loaded();
      const main = require('./main');
      const datastores = { objectStore: main.exampleObjectStore('production') };
      Testing.synth(new lib.Level3ProductionChart(Testing.app(), 'l3', { ...main.LEVEL3_CLUSTER_FACTS, datastores }));
      console.log(JSON.stringify({ level1, level3: loaded().map((f) => require('node:path').basename(f)) }));`;
    const out = execFileSync(process.execPath, ['-r', 'esbuild-register', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    const { level1, level3 } = JSON.parse(out);
    expect(level1).toEqual([]);
    expect(level3).toEqual(
      expect.arrayContaining([
        'postgresql.cnpg.io.ts',
        'redisreplication-redis.redis.opstreelabs.in.ts',
        'podmonitor-monitoring.coreos.com.ts',
        'scheduledbackup-postgresql.cnpg.io.ts',
        'objectstore-barmancloud.cnpg.io.ts',
      ]),
    );
  });
});

describe('level 2 datastores (staging, 99.5 %)', () => {
  const objects = synthLevel(STAGING);

  test('PostgreSQL: a CloudNativePG Cluster of 2 instances (primary + replica), asynchronous, pinned PostgreSQL 15', () => {
    const cluster = find(objects, 'Cluster', 'merlai-postgres');
    expect(cluster.spec.instances).toBe(2);
    expect(cluster.spec.postgresql?.synchronous).toBeUndefined();
    expect(cluster.spec.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:15\.\d+/);
    expect(cluster.spec.bootstrap.initdb).toEqual({ database: 'merlai', owner: 'merlai' });
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    expect(cluster.spec.storage.size).toBe('20Gi');
    // The guide's Level 2 is a single-node Kubernetes: spreading is preferred, not required.
    expect(cluster.spec.affinity.podAntiAffinityType).toBe('preferred');
  });

  test('Redis: a RedisReplication of 2 pods watched by 3 Sentinels, password from an existing Secret', () => {
    const rr = find(objects, 'RedisReplication', 'merlai-redis');
    expect(rr.spec.clusterSize).toBe(2);
    expect(rr.spec.sentinel.size).toBe(3);
    expect(rr.spec.kubernetesConfig.redisSecret).toEqual({ name: 'merlai-redis-auth', key: 'password' });
    expect(rr.spec.sentinel.redisSecret).toEqual({ name: 'merlai-redis-auth', key: 'password' });
    const conf = find(objects, 'ConfigMap', rr.spec.redisConfig.additionalRedisConfig).data[
      'redis-additional.conf'
    ];
    expect(conf).toContain('maxmemory-policy allkeys-lru');
  });

  test('PodMonitors scrape CloudNativePG instances (port metrics) and the Redis exporter', () => {
    expect(find(objects, 'PodMonitor', 'merlai-postgres').spec).toEqual({
      selector: { matchLabels: { 'cnpg.io/cluster': 'merlai-postgres', 'cnpg.io/podRole': 'instance' } },
      podMetricsEndpoints: [{ port: 'metrics' }],
    });
    expect(find(objects, 'PodMonitor', 'merlai-redis').spec.podMetricsEndpoints).toEqual([
      { port: 'redis-exporter' },
    ]);
  });

  test('no ScheduledBackup without an object store; with one, WAL archiving and base backups through Barman Cloud', () => {
    const local = synthLevel(STAGING, { datastores: { localBackupsOnly: true } });
    expect(ofKind(local, 'ScheduledBackup')).toEqual([]);
    expect(ofKind(local, 'ObjectStore')).toEqual([]);
    expect(find(local, 'Cluster', 'merlai-postgres').spec.plugins).toBeUndefined();
    // `objects` is the shipped chart, with main.ts's example object store.
    expect(find(objects, 'Cluster', 'merlai-postgres').spec.plugins).toEqual([
      {
        name: 'barman-cloud.cloudnative-pg.io',
        isWALArchiver: true,
        parameters: { barmanObjectName: 'merlai-postgres-object-store' },
      },
    ]);
    expect(find(objects, 'ObjectStore', 'merlai-postgres-object-store').spec).toEqual({
      configuration: {
        destinationPath: 's3://merlai-backups/merlai/staging/cnpg',
        endpointURL: 'https://s3.backup.example.com',
        s3Credentials: {
          accessKeyId: { name: 'merlai-backup-s3', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'merlai-backup-s3', key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip', maxParallel: 2 },
        data: { compression: 'gzip', jobs: 2 },
      },
      // README "Backup and restore": retentionPolicy 14d (Level 2) / 30d (Level 3).
      retentionPolicy: '14d',
    });
    expect(find(objects, 'ScheduledBackup', 'merlai-postgres').spec).toMatchObject({
      cluster: { name: 'merlai-postgres' },
      // On the dump schedule (README), daily 03:00 UTC, in CloudNativePG's six-field cron (seconds first).
      schedule: '0 0 3 * * *',
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    });
  });
});

describe('level 3 datastores (production, 99.9 %)', () => {
  const objects = synthLevel(PRODUCTION);

  test('PostgreSQL: 3 instances, quorum-synchronous to 1 standby with durability required, one per node', () => {
    const cluster = find(objects, 'Cluster', 'merlai-postgres');
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.postgresql.synchronous).toEqual({
      method: 'any',
      number: 1,
      dataDurability: 'required',
    });
    expect(cluster.spec.affinity).toEqual({
      enablePodAntiAffinity: true,
      podAntiAffinityType: 'required',
      topologyKey: 'kubernetes.io/hostname',
    });
  });

  test('PostgreSQL storage: size and StorageClass (the distributed storage) are props', () => {
    const custom = synthLevel(PRODUCTION, {
      datastores: { postgres: { storageSize: '200Gi', storageClassName: 'ceph-rbd' } },
    });
    expect(find(custom, 'Cluster', 'merlai-postgres').spec.storage).toEqual({
      size: '200Gi',
      storageClass: 'ceph-rbd',
    });
  });

  test('Redis: 3 pods and 3 Sentinels, each pod on its own node', () => {
    const rr = find(objects, 'RedisReplication', 'merlai-redis');
    expect(rr.spec.clusterSize).toBe(3);
    expect(rr.spec.sentinel.size).toBe(3);
    expect(rr.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(
      rr.spec.sentinel.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
  });
});

describe.each([STAGING, PRODUCTION])('%s: no secret value', (level) => {
  const objects = synthLevel(level);

  test('no Secret object, no inline password, no literal credential anywhere in the YAML', () => {
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect(scanForSecrets(objects)).toEqual([]);
  });

  test("the API reads DATABASE_URL from CloudNativePG's merlai-postgres-app Secret", () => {
    expect(envVar(objects, 'DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'merlai-postgres-app', key: 'uri' },
    });
  });

  test('REDIS_URL comes from the Secret merlai-redis-auth, whose password the Redis servers use', () => {
    expect(envVar(objects, 'REDIS_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'merlai-redis-auth', key: 'url' },
    });
    expect(envVar(objects, 'REDIS_PASSWORD')).toBeUndefined();
    const rr = find(objects, 'RedisReplication', 'merlai-redis');
    expect(rr.spec.kubernetesConfig.redisSecret).toEqual({ name: 'merlai-redis-auth', key: 'password' });
  });
});

test("the project's secret scan flags Level 1's development Secrets, which Levels 2 and 3 do not have", () => {
  const flagged = new Set(scanForSecrets(synthLevel(DEVELOPMENT)).map((f) => f.object));
  expect(flagged).toEqual(
    new Set(['Secret/merlai-postgres-dev-credentials', 'Secret/merlai-redis-dev-credentials']),
  );
});

/**
 * The pg_dump backups per level, as README "Datastores" states them: daily 03:00 UTC keeping 3
 * (Level 1) and 7 (Level 2), every 6 hours keeping 28 (Level 3). The backup volume's size is
 * stated nowhere: pinned here. Literals, never the level table.
 */
const BACKUP: Record<AvailabilityLevel, { schedule: string; retention: number; storage: string }> = {
  [DEVELOPMENT]: { schedule: '0 3 * * *', retention: 3, storage: '5Gi' },
  [STAGING]: { schedule: '0 3 * * *', retention: 7, storage: '20Gi' },
  [PRODUCTION]: { schedule: '0 */6 * * *', retention: 28, storage: '100Gi' },
};

describe.each(LEVELS)('every level: %s', (level) => {
  const objects = synthLevel(level);
  const expected = BACKUP[level];
  const chart = levelChart(level);
  const endpoints = chart.datastores.endpoints;

  test(`backup CronJob ${BACKUP_NAME}: the level's schedule, no overlap, deadlines, history, UTC`, () => {
    const cronJob = find(objects, 'CronJob', BACKUP_NAME);
    expect(cronJob.spec).toMatchObject({
      schedule: expected.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 900,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 3600, backoffLimit: 2 });
    const dump = cronJobStep(objects, BACKUP_NAME, 'dump');
    expect(dump.command[2]).toContain('pg_dump --dbname="$DATABASE_URL"');
    if (level === DEVELOPMENT) {
      // No object store: the volume keeps the level's number of dumps.
      expect(cronJobSteps(objects, BACKUP_NAME).map((c) => c.name)).toEqual(['dump']);
      expect(dump.env).toContainEqual({ name: 'BACKUP_RETENTION', value: String(expected.retention) });
    } else {
      // An object store: the volume is a cache of two dumps, the store keeps the level's number.
      expect(cronJobSteps(objects, BACKUP_NAME).map((c) => c.name)).toEqual(['dump', 'upload']);
      expect(dump.env).toContainEqual({ name: 'BACKUP_RETENTION', value: String(LOCAL_CACHE_DUMPS) });
      const upload = cronJobStep(objects, BACKUP_NAME, 'upload');
      expect(upload.image).toBe(UPLOAD_IMAGE);
      expect(upload.command[2]).toContain('--aws-sigv4');
      expect(upload.env).toContainEqual({ name: 'BACKUP_RETENTION', value: String(expected.retention) });
    }
  });

  test("backups go to their own claim merlai-postgres-backups of the level's size", () => {
    const claim = find(objects, 'PersistentVolumeClaim', 'merlai-postgres-backups');
    expect(claim.spec.resources.requests.storage).toBe(expected.storage);
    const volumes = find(objects, 'CronJob', BACKUP_NAME).spec.jobTemplate.spec.template.spec.volumes;
    expect(volumes).toContainEqual({
      name: 'backups',
      persistentVolumeClaim: { claimName: 'merlai-postgres-backups' },
    });
  });

  test(`restore template ${RESTORE_NAME}: suspended, never scheduled, same image, Secret and volume`, () => {
    const restore = find(objects, 'CronJob', RESTORE_NAME);
    expect(restore.spec.suspend).toBe(true);
    expect(restore.spec.schedule).toBe('0 0 31 2 *');
    const backup = cronJobStep(objects, BACKUP_NAME, 'dump');
    const container = cronJobStep(objects, RESTORE_NAME, 'restore');
    expect(container.image).toBe(backup.image);
    expect(container.env[0]).toEqual(backup.env[0]);
    if (level === DEVELOPMENT) {
      expect(container.volumeMounts).toEqual(backup.volumeMounts);
    } else {
      // With an object store, the restore reads only what the download step fetched from it.
      expect(cronJobSteps(objects, RESTORE_NAME).map((c) => c.name)).toEqual(['download', 'restore']);
      expect(container.env).toContainEqual({ name: 'BACKUP_DIR', value: RESTORE_DOWNLOAD_DIR });
      const download = cronJobStep(objects, RESTORE_NAME, 'download');
      expect(download.env).toContainEqual({ name: 'RESTORE_DIR', value: RESTORE_DOWNLOAD_DIR });
    }
  });

  test('every datastore pod meets Pod Security "restricted", with resources, probes and pinned images', () => {
    const templates = podTemplates(objects).filter(([name]) => !name.endsWith('/merlai-api'));
    expect(templates.length).toBeGreaterThanOrEqual(2);
    const allowedVolumes = [
      'configMap',
      'emptyDir',
      'persistentVolumeClaim',
      'secret',
      'projected',
      'downwardAPI',
    ];
    for (const [name, template] of templates) {
      const pod = template.spec;
      expect({ name, ...pod.securityContext }).toMatchObject({
        name,
        runAsNonRoot: true,
        runAsUser: expect.any(Number),
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const v of pod.volumes ?? [])
        expect(allowedVolumes).toContain(Object.keys(v).find((k) => k !== 'name'));
      for (const c of pod.containers as KubeObject[]) {
        expect({ name, ...c.securityContext }).toMatchObject({
          name,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        const all = {
          cpu: expect.any(String),
          memory: expect.any(String),
          'ephemeral-storage': expect.any(String),
        };
        expect(c.resources.requests).toEqual(all);
        expect(c.resources.limits).toEqual(all);
        expect(isPinned(parseImage(c.image)!)).toBe(true);
        // Long-running servers are probed; Jobs end on their own, bounded by activeDeadlineSeconds.
        if (!name.startsWith('CronJob/')) expect(c.readinessProbe && c.livenessProbe).toBeTruthy();
      }
    }
  });

  // The guide's architecture (section 可用性レベル別アーキテクチャ): Level 1 runs one plain Redis
  // (Cache) beside the API; Levels 2 and 3 a Redis (Cluster), here the redis-operator's
  // RedisReplication (primary, replicas, Sentinels). Presence and absence are asserted, so the
  // checks below cannot pass by looping over nothing.
  test(
    level === DEVELOPMENT
      ? 'Level 1: one plain Redis Deployment, no RedisReplication'
      : 'Levels 2 and 3: one RedisReplication, no plain Redis Deployment or StatefulSet',
    () => {
      const redis = (kind: string) => ofKind(objects, kind).filter((o) => o.metadata.name === 'merlai-redis');
      if (level === DEVELOPMENT) {
        expect(ofKind(objects, 'RedisReplication')).toEqual([]);
        expect(redis('Deployment')).toHaveLength(1);
        expect(redis('Deployment')[0].spec.replicas).toBe(1);
        expect(redis('StatefulSet')).toEqual([]);
      } else {
        expect(ofKind(objects, 'RedisReplication').map((o) => o.metadata.name)).toEqual(['merlai-redis']);
        expect(redis('Deployment')).toEqual([]);
        expect(redis('StatefulSet')).toEqual([]);
      }
    },
  );

  test('the Redis pods get the restricted settings (Pod Security Standards "restricted")', () => {
    if (level === DEVELOPMENT) {
      const pod = find(objects, 'Deployment', 'merlai-redis').spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers)
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
      return;
    }
    const replications = ofKind(objects, 'RedisReplication');
    expect(replications).toHaveLength(1);
    for (const rr of replications) {
      for (const [pod, container] of [
        [rr.spec.podSecurityContext, rr.spec.securityContext],
        [rr.spec.sentinel.podSecurityContext, rr.spec.sentinel.securityContext],
      ]) {
        expect(pod).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      }
      expect(rr.spec.redisExporter.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
      for (const image of [
        rr.spec.kubernetesConfig.image,
        rr.spec.sentinel.image,
        rr.spec.redisExporter.image,
      ]) {
        expect(isPinned(parseImage(image)!)).toBe(true);
      }
    }
  });

  test('endpoints: the labels the PostgreSQL and Redis pods really carry, their ports and operators', () => {
    const pgPods =
      level === DEVELOPMENT
        ? find(objects, 'StatefulSet', 'merlai-postgres').spec.template.metadata.labels
        : { 'cnpg.io/cluster': find(objects, 'Cluster', 'merlai-postgres').metadata.name };
    expect(pgPods).toMatchObject(endpoints.postgres.podLabels!);
    expect(endpoints.postgres.port).toBe(5432);
    if (level === DEVELOPMENT) {
      expect(find(objects, 'Deployment', 'merlai-redis').spec.template.metadata.labels).toMatchObject(
        endpoints.redis?.podLabels ?? { missing: 'redis endpoint' },
      );
      expect(endpoints.postgres.operator).toBeUndefined();
      expect(endpoints.redis?.operator).toBeUndefined();
    } else {
      // The redis-operator copies the RedisReplication's labels onto every pod it creates.
      expect(find(objects, 'RedisReplication', 'merlai-redis').metadata.labels).toMatchObject(
        endpoints.redis?.podLabels ?? { missing: 'redis endpoint' },
      );
      expect(endpoints.redis?.podLabels).not.toHaveProperty('app');
      expect(endpoints.postgres).toMatchObject({
        peerPorts: [5432, 8000],
        operator: {
          namespace: 'cnpg-system',
          podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
          ports: [8000, 5432],
        },
        metricsPort: 9187,
        needsApiServer: true,
      });
      expect(endpoints.redis).toMatchObject({
        port: 6379,
        peerPorts: [6379, 26379],
        operator: { namespace: 'ot-operators', podLabels: { name: 'redis-operator' } },
        metricsPort: 9121,
      });
    }
    const backupPods = find(objects, 'CronJob', BACKUP_NAME).spec.jobTemplate.spec.template.metadata.labels;
    expect(backupPods).toMatchObject(selectorLabels(BACKUP_NAME, 'backup', 'merlai'));
    expect(endpoints.backupPodLabels).toEqual(selectorLabels(BACKUP_NAME, 'backup', 'merlai'));
    const restorePods = find(objects, 'CronJob', RESTORE_NAME).spec.jobTemplate.spec.template.metadata.labels;
    expect(restorePods).toMatchObject(endpoints.backupPodLabels!);
  });
});

describe('variants outside dist/', () => {
  test.each<[string, AvailabilityLevel, MerlaiLevelChartProps]>([
    [
      'Level 2 with a private CA and its own schedule',
      STAGING,
      {
        datastores: {
          objectStore: {
            endpointUrl: 'https://minio.backup.internal:9000',
            bucket: 'backups',
            credentialsSecretName: 's3',
            cidr: '10.9.0.0/24',
            ca: { secretName: 'minio-ca' },
            baseBackupSchedule: '0 30 2 * * *',
          },
        },
      },
    ],
    ['Level 3 with local backups only (opted out)', PRODUCTION, { datastores: { localBackupsOnly: true } }],
    [
      'Level 1 with a replicated Redis',
      DEVELOPMENT,
      { datastores: { redis: { mode: RedisMode.REPLICATION } } },
    ],
    [
      'Level 3 on external servers',
      PRODUCTION,
      {
        datastores: {
          postgres: { external: { host: 'db.example.com', secretName: 'db', cidr: '10.0.0.0/8' } },
          redis: { external: { host: 'cache.example.com', secretName: 'cache', cidr: '10.1.0.0/24' } },
        },
      },
    ],
  ])(
    '%s: every object valid against its schema (custom resources: the CRD, unknown fields rejected)',
    (_t, level, props) => {
      expect(synthLevel(level, props).flatMap(schemaErrors)).toEqual([]);
    },
  );
});

describe('operator namespaces', () => {
  test('are props, carried into the endpoints', () => {
    const chart = levelChart(PRODUCTION, {
      datastores: {
        postgres: { operatorNamespace: 'postgres-operator' },
        redis: { operatorNamespace: 'redis-system' },
      },
    });
    expect(chart.datastores.endpoints.postgres.operator?.namespace).toBe('postgres-operator');
    expect(chart.datastores.endpoints.redis?.operator?.namespace).toBe('redis-system');
  });
});

describe('external datastores', () => {
  const objects = synthLevel(PRODUCTION, {
    datastores: {
      postgres: {
        external: {
          host: 'merlai.abc.eu-west-1.rds.amazonaws.com',
          secretName: 'rds-merlai',
          cidr: '10.20.0.0/16',
        },
      },
      redis: {
        external: {
          host: 'merlai.cache.amazonaws.com',
          secretName: 'elasticache-merlai',
          urlKey: 'REDIS_URL',
          cidr: '10.21.0.0/16',
        },
      },
    },
  });

  test('deploy no database workload and no operator resource', () => {
    for (const kind of ['Cluster', 'RedisReplication', 'StatefulSet', 'PodMonitor', 'Secret']) {
      expect(ofKind(objects, kind)).toEqual([]);
    }
    expect(ofKind(objects, 'Deployment').map((d) => d.metadata.name)).toEqual(['merlai-api']);
  });

  test('ExternalName Services merlai-postgres and merlai-redis name the servers inside the namespace', () => {
    expect(find(objects, 'Service', 'merlai-postgres').spec).toMatchObject({
      type: 'ExternalName',
      externalName: 'merlai.abc.eu-west-1.rds.amazonaws.com',
    });
    expect(find(objects, 'Service', 'merlai-redis').spec.externalName).toBe('merlai.cache.amazonaws.com');
  });

  test('the API and the backups read the existing Secrets', () => {
    expect(envVar(objects, 'DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'rds-merlai', key: 'uri' },
    });
    expect(envVar(objects, 'REDIS_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'elasticache-merlai', key: 'REDIS_URL' },
    });
    expect(envVar(objects, 'REDIS_PASSWORD')).toBeUndefined();
    expect(cronJobStep(objects, BACKUP_NAME, 'dump').env[0].valueFrom).toEqual({
      secretKeyRef: { name: 'rds-merlai', key: 'uri' },
    });
    expect(scanForSecrets(objects)).toEqual([]);
  });

  test('endpoints carry the external address range and port, no pod labels', () => {
    const chart = levelChart(PRODUCTION, {
      datastores: {
        postgres: { external: { host: 'db.example.com', port: 6432, secretName: 'db', cidr: '10.0.0.0/8' } },
      },
    });
    expect(chart.datastores.endpoints.postgres).toEqual({ port: 6432, externalCidr: '10.0.0.0/8' });
  });
});

describe('bad input', () => {
  type Props = Omit<MerlaiDatastoresProps, 'level'>;
  const cases: Array<[string, AvailabilityLevel, Props, RegExp]> = [
    [
      'instances < 1',
      STAGING,
      { postgres: { instances: 0 } },
      /\[chart\/datastores\/postgres\] MerlaiPostgres: 'instances' is 0; expected an integer >= 1/,
    ],
    [
      'Level 3 with fewer than 3 PostgreSQL instances',
      PRODUCTION,
      { postgres: { instances: 2 } },
      /\[chart\/datastores\/postgres\] MerlaiPostgres: 'instances' is 2; expected at least 3: Level 3 \(production\) runs a primary with 2 replica/,
    ],
    [
      'Level 1 with two PostgreSQL instances (two unrelated databases)',
      DEVELOPMENT,
      { postgres: { instances: 2 } },
      /'instances' is 2; Level 1 runs PostgreSQL as one plain StatefulSet pod: expected 1/,
    ],
    [
      'invalid storage size',
      STAGING,
      { postgres: { storageSize: '20GB' } },
      /\[chart\/datastores\/postgres\] MerlaiPostgres: 'storageSize' is '20GB'; expected a positive Kubernetes quantity such as '10Gi'/,
    ],
    [
      'external mode without a Secret name',
      PRODUCTION,
      { postgres: { external: { host: 'db.example.com', secretName: '', cidr: '10.0.0.0/8' } } },
      /\[chart\/datastores\/postgres\] MerlaiPostgres: 'external.secretName' is ''; expected the name of an existing Secret/,
    ],
    [
      'external Redis without a Secret name',
      PRODUCTION,
      { redis: { external: { host: 'cache.example.com', cidr: '10.0.0.0/8' } as never } },
      /\[chart\/datastores\/redis\] MerlaiRedis: 'external.secretName' is undefined; expected the name of an existing Secret/,
    ],
    [
      'external mode without the address range the network policies need',
      PRODUCTION,
      { redis: { external: { host: 'cache.example.com', secretName: 'cache' } as never } },
      /\[chart\/datastores\/redis\] MerlaiRedis: 'external.cidr' is undefined; expected the server's address range/,
    ],
    [
      'external host given as an IP address',
      PRODUCTION,
      { postgres: { external: { host: '10.1.2.3', secretName: 'db', cidr: '10.1.2.3/32' } } },
      /'external.host' is '10.1.2.3'; expected a DNS name/,
    ],
    [
      'external mode with in-cluster props',
      PRODUCTION,
      {
        postgres: {
          instances: 3,
          external: { host: 'db.example.com', secretName: 'db', cidr: '10.0.0.0/8' },
        },
      },
      /'instances' is 3; has no effect with 'external'/,
    ],
    [
      'invalid external CIDR',
      PRODUCTION,
      { redis: { external: { host: 'cache.example.com', secretName: 'cache', cidr: '10.0.0.0/33' } } },
      /\[chart\/datastores\/redis\] MerlaiRedis: 'external.cidr' is '10.0.0.0\/33'; expected a CIDR such as/,
    ],
    [
      'as many synchronous standbys as instances',
      PRODUCTION,
      { postgres: { synchronousReplicas: 3 } },
      /'synchronousReplicas' is 3; expected an integer from 0 to 2/,
    ],
    [
      'Level 3 without synchronous replication',
      PRODUCTION,
      { postgres: { synchronousReplicas: 0 } },
      /'synchronousReplicas' is 0; expected at least 1: Level 3 \(production\) commits synchronously/,
    ],
    [
      'standalone Redis at Level 3',
      PRODUCTION,
      { redis: { mode: RedisMode.STANDALONE } },
      /\[chart\/datastores\/redis\] MerlaiRedis: 'mode' is 'standalone'; Level 3 \(production\) needs a replicated Redis/,
    ],
    [
      'an even number of Sentinels',
      STAGING,
      { redis: { sentinels: 2 } },
      /'sentinels' is 2; expected an odd integer of at least 3/,
    ],
    [
      'a replicated Redis of one pod',
      DEVELOPMENT,
      { redis: { mode: RedisMode.REPLICATION, instances: 1 } },
      /'instances' is 1; expected at least 2/,
    ],
    [
      'Redis memory limit below its request',
      STAGING,
      { redis: { resources: { memoryRequest: '1Gi', memoryLimit: '512Mi' } } },
      /'resources.memoryLimit' is '512Mi'; expected a limit at least the request \(1Gi\)/,
    ],
    [
      'a floating image tag',
      PRODUCTION,
      { postgres: { image: 'ghcr.io/cloudnative-pg/postgresql:latest' } },
      /'image' is 'ghcr.io\/cloudnative-pg\/postgresql:latest'; expected a pinned image/,
    ],
    [
      'Level 3 without an object store',
      PRODUCTION,
      {},
      /^\[chart\/datastores\] MerlaiDatastores: 'objectStore' is undefined; Level 3 \(production\) keeps its backups off the cluster: .*or set localBackupsOnly: true/,
    ],
    [
      'both an object store and localBackupsOnly',
      STAGING,
      { objectStore: STORE, localBackupsOnly: true },
      /'localBackupsOnly' is true; contradicts 'objectStore'/,
    ],
    [
      'an object store URL with a path',
      STAGING,
      { objectStore: { ...STORE, endpointUrl: 'https://s3.example.com/bucket' } },
      /'objectStore.endpointUrl' is 'https:\/\/s3.example.com\/bucket'; expected the S3 API's base URL/,
    ],
    [
      'an object store reachable anywhere',
      PRODUCTION,
      { objectStore: { ...STORE, cidr: '0.0.0.0/0' } },
      /'objectStore.cidr' is '0.0.0.0\/0'; a \/0 range would let the backup pods and PostgreSQL reach any address on port 443/,
    ],
    [
      'an invalid bucket name',
      STAGING,
      { objectStore: { ...STORE, bucket: 'Merlai_Backups' } },
      /'objectStore.bucket' is 'Merlai_Backups'; expected an S3 bucket name/,
    ],
    [
      'a CA for a plain-http endpoint',
      STAGING,
      { objectStore: { ...STORE, endpointUrl: 'http://10.0.0.5:9000', ca: { secretName: 'ca' } } },
      /'objectStore.ca' is \{"secretName":"ca"\}; a CA bundle verifies TLS/,
    ],
    [
      'a retention CloudNativePG does not accept',
      STAGING,
      { objectStore: { ...STORE, retentionPolicy: '30 days' } },
      /'objectStore.retentionPolicy' is '30 days'; expected a number and a unit d, w or m/,
    ],
    [
      'a 5-field base backup schedule',
      STAGING,
      { objectStore: { ...STORE, baseBackupSchedule: '0 3 * * *' } },
      /'objectStore.baseBackupSchedule' is '0 3 \* \* \*'; expected a 6-field cron expression with seconds first/,
    ],
    [
      'an upload image without an object store',
      DEVELOPMENT,
      { backup: { uploadImage: 'curlimages/curl:8.11.1' } },
      /'uploadImage' is 'curlimages\/curl:8.11.1'; the upload image copies dumps to an object store, and none is configured/,
    ],
    [
      'a backup schedule that is not cron',
      STAGING,
      { backup: { schedule: 'every day at 3' } },
      /\[chart\/datastores\/backup\] MerlaiPostgresBackup: 'schedule' is 'every day at 3'; expected a 5-field cron expression/,
    ],
    [
      'retention of no dump',
      STAGING,
      { backup: { retention: 0 } },
      /\[chart\/datastores\/backup\] MerlaiPostgresBackup: 'retention' is 0; expected an integer >= 1/,
    ],
    [
      'a backup timeout under a minute',
      STAGING,
      { backup: { timeout: Duration.seconds(30) } },
      /'timeout' is '30s'; expected a whole number of seconds, at least 60/,
    ],
  ];

  test.each(cases)('%s', (_title, level, props, message) => {
    const build = () =>
      new MerlaiDatastores(new Chart(Testing.app(), 'chart'), 'datastores', { level, ...props });
    expect(build).toThrow(message);
    expect(build).toThrow(/^\[chart\/datastores(\/(postgres|redis|backup))?\] Merlai\w+: '[\w.]+' is .+; /);
  });
});
