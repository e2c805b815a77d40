// Issue 27, "For platform teams": zones, pinned images, pull secrets, labels, priority. Expected
// values come from the operations guide, the issue, and Kubernetes' and the operators' documentation.
import { AvailabilityLevel } from '../lib';
import { crdErrors, isCustomResource } from './support/crd-schema';
import { schemaErrors } from './support/k8s-schema';
import { find, type KubeObject, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

/** Kubernetes "Well-Known Labels, Annotations and Taints": the zone of a node. */
const ZONE = 'topology.kubernetes.io/zone';

function zoneConstraints(constraints: KubeObject[] | undefined): KubeObject[] {
  return (constraints ?? []).filter((c) => c.topologyKey === ZONE);
}

/** A hard spread over zones: at most one pod more in a zone than in any other, else Pending. */
function expectHardZoneSpread(constraints: KubeObject[] | undefined, selects: Record<string, string>): void {
  const zone = zoneConstraints(constraints);
  expect(zone).toHaveLength(1);
  expect(zone[0]).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
  expect(zone[0].labelSelector.matchLabels).toMatchObject(selects);
}

describe('level 3 survives the loss of a zone (issue 27)', () => {
  const objects = synthLevel(PRODUCTION);
  const cluster = find(objects, 'Cluster', 'merlai-postgres');
  const redis = find(objects, 'RedisReplication', 'merlai-redis');

  test('PostgreSQL instances spread over zones, one per zone (CloudNativePG copies the constraints to its instance pods)', () => {
    // CloudNativePG labels instance pods cnpg.io/cluster and cnpg.io/podRole=instance (labels_annotations.md).
    expectHardZoneSpread(cluster.spec.topologySpreadConstraints, {
      'cnpg.io/cluster': 'merlai-postgres',
      'cnpg.io/podRole': 'instance',
    });
    // Still one instance per node.
    expect(cluster.spec.affinity).toMatchObject({
      podAntiAffinityType: 'required',
      topologyKey: 'kubernetes.io/hostname',
    });
  });

  test('Redis data pods and Sentinels spread over zones (RedisReplication v0.26 spec and sentinel topologySpreadConstraints)', () => {
    expectHardZoneSpread(redis.spec.topologySpreadConstraints, { redis_setup_type: 'replication' });
    expectHardZoneSpread(redis.spec.sentinel.topologySpreadConstraints, { redis_setup_type: 'sentinel' });
    // Three Sentinels in three zones: one zone lost leaves 2 of 3, a majority that can fail over.
    expect(redis.spec.sentinel.size).toBe(3);
  });

  test('a lost zone leaves the primary and a synchronous standby: quorum "any 1" over 3 instances, data durability required', () => {
    // CloudNativePG "Replication": method any is quorum-based; with 3 instances in 3 zones, two
    // remain after a zone outage (a primary, or a promoted standby, and one standby), so 1 is met.
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.postgresql.synchronous).toEqual({
      method: 'any',
      number: 1,
      dataDurability: 'required',
    });
    expect(cluster.spec.instances - 1 - cluster.spec.postgresql.synchronous.number).toBeGreaterThanOrEqual(1);
  });

  test('zoneSpread cannot be turned off at Level 3', () => {
    expect(() => synthLevel(PRODUCTION, { datastores: { zoneSpread: false } })).toThrow(
      /zoneSpread.*expected true/s,
    );
  });
});

describe('zone spread below Level 3 is a choice (issue 27)', () => {
  test("Level 2 does not spread over zones by default (the guide's staging is a single-node cluster)", () => {
    const objects = synthLevel(STAGING);
    expect(
      zoneConstraints(find(objects, 'Cluster', 'merlai-postgres').spec.topologySpreadConstraints),
    ).toEqual([]);
    expect(
      zoneConstraints(find(objects, 'RedisReplication', 'merlai-redis').spec.topologySpreadConstraints),
    ).toEqual([]);
  });

  test('Level 2 with datastores.zoneSpread spreads PostgreSQL, Redis and Sentinels over zones', () => {
    const objects = synthLevel(STAGING, { datastores: { zoneSpread: true } });
    const redis = find(objects, 'RedisReplication', 'merlai-redis');
    expectHardZoneSpread(find(objects, 'Cluster', 'merlai-postgres').spec.topologySpreadConstraints, {
      'cnpg.io/cluster': 'merlai-postgres',
    });
    expectHardZoneSpread(redis.spec.topologySpreadConstraints, { redis_setup_type: 'replication' });
    expectHardZoneSpread(redis.spec.sentinel.topologySpreadConstraints, { redis_setup_type: 'sentinel' });
  });

  test('Level 1 refuses zoneSpread: one pod cannot spread', () => {
    expect(() => synthLevel(DEVELOPMENT, { datastores: { zoneSpread: true } })).toThrow(
      /zoneSpread.*one pod/s,
    );
  });
});

describe('level 3 runs images pinned by digest (issue 27)', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  const pinned = (image: string) => `${image.split(':')[0]}@${DIGEST}`;

  test('without digests Level 3 refuses, naming every image and the prop that sets it', () => {
    let message = '';
    try {
      synthLevel(PRODUCTION, { allowUnpinnedImages: false });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const prop of [
      'api.image',
      'datastores.postgres.image',
      'datastores.redis.image',
      'datastores.redis.sentinelImage',
      'datastores.redis.exporterImage',
      'datastores.backup.image',
      'datastores.backup.uploadImage',
    ]) {
      expect(message).toContain(prop);
    }
    expect(message).toContain('allowUnpinnedImages');
  });

  test('every image given by digest synthesizes, with no unpinned-images annotation', () => {
    const objects = synthLevel(PRODUCTION, {
      allowUnpinnedImages: false,
      api: { image: `registry.example.com/merlai@${DIGEST}` },
      datastores: {
        postgres: { image: pinned('ghcr.io/cloudnative-pg/postgresql') },
        redis: {
          image: pinned('quay.io/opstree/redis'),
          sentinelImage: pinned('quay.io/opstree/redis-sentinel'),
          exporterImage: pinned('quay.io/opstree/redis-exporter'),
        },
        backup: { image: pinned('postgres'), uploadImage: pinned('curlimages/curl') },
      },
    });
    const redis = find(objects, 'RedisReplication', 'merlai-redis');
    expect(redis.spec.sentinel.image).toBe(pinned('quay.io/opstree/redis-sentinel'));
    expect(redis.spec.redisExporter.image).toBe(pinned('quay.io/opstree/redis-exporter'));
    expect(objects.filter((o) => o.metadata.annotations?.['merlai.io/unpinned-images'])).toEqual([]);
  });

  test('allowUnpinnedImages runs tags, and every object running one says so in merlai.io/unpinned-images', () => {
    const objects = synthLevel(PRODUCTION, { allowUnpinnedImages: true });
    const annotated = (kind: string, name: string) =>
      find(objects, kind, name).metadata.annotations?.['merlai.io/unpinned-images'] ?? '';
    expect(annotated('Deployment', 'merlai-api')).toContain('merlai:');
    expect(annotated('Cluster', 'merlai-postgres')).toContain('ghcr.io/cloudnative-pg/postgresql:');
    expect(annotated('RedisReplication', 'merlai-redis').split(',')).toHaveLength(3);
    expect(annotated('CronJob', 'merlai-postgres-backup').split(',')).toHaveLength(2);
  });

  test('Levels 1 and 2 keep accepting release tags', () => {
    for (const level of [DEVELOPMENT, STAGING]) {
      const objects = synthLevel(level);
      expect(objects.filter((o) => o.metadata.annotations?.['merlai.io/unpinned-images'])).toEqual([]);
    }
  });
});

describe('chart-wide pull secrets, labels and annotations reach every pod (issue 27)', () => {
  const props = {
    imagePullSecrets: ['registry-credentials'],
    labels: { 'example.com/cost-centre': 'music' },
    annotations: { 'example.com/owner': 'team-music' },
  };
  /** Kubernetes: the pod template of each built-in workload kind (and Argo's Rollout). */
  const templateOf = (o: KubeObject): KubeObject | undefined =>
    o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec?.template;

  for (const level of [DEVELOPMENT, STAGING, PRODUCTION]) {
    test(`level ${level}: every pod template pulls with the chart's Secret and carries its labels`, () => {
      const objects = synthLevel(level, props);
      const workloads = objects.filter((o) =>
        ['Deployment', 'StatefulSet', 'Job', 'CronJob', 'Rollout'].includes(o.kind),
      );
      expect(workloads.length).toBeGreaterThan(0);
      for (const o of workloads) {
        const template = templateOf(o);
        expect({ o: `${o.kind}/${o.metadata.name}`, secrets: template?.spec.imagePullSecrets }).toEqual({
          o: `${o.kind}/${o.metadata.name}`,
          secrets: expect.arrayContaining([{ name: 'registry-credentials' }]),
        });
        expect(template?.metadata.labels).toMatchObject(props.labels);
      }
    });

    test(`level ${level}: every object carries the chart's annotations`, () => {
      for (const o of synthLevel(level, props)) {
        expect(o.metadata.annotations ?? {}).toMatchObject(props.annotations);
      }
    });
  }

  test('the operators get the Secret where their CRDs take it (Cluster spec.imagePullSecrets; RedisReplication kubernetesConfig and sentinel)', () => {
    const objects = synthLevel(PRODUCTION, props);
    const secret = [{ name: 'registry-credentials' }];
    const cluster = find(objects, 'Cluster', 'merlai-postgres');
    expect(cluster.spec.imagePullSecrets).toEqual(secret);
    // CloudNativePG copies inheritedMetadata onto the instance pods.
    expect(cluster.spec.inheritedMetadata.labels).toMatchObject(props.labels);
    const redis = find(objects, 'RedisReplication', 'merlai-redis');
    expect(redis.spec.kubernetesConfig.imagePullSecrets).toEqual(secret);
    expect(redis.spec.sentinel.imagePullSecrets).toEqual(secret);
    // The redis-operator copies the custom resource's labels onto its pods.
    expect(redis.metadata.labels).toMatchObject(props.labels);
  });

  test("the objects stay valid against Kubernetes and the operators' CRD schemas", () => {
    for (const o of synthLevel(PRODUCTION, { ...props, datastores: { zoneSpread: true } })) {
      expect({
        o: `${o.kind}/${o.metadata.name}`,
        errors: isCustomResource(o) ? crdErrors(o) : schemaErrors(o),
      }).toEqual({
        o: `${o.kind}/${o.metadata.name}`,
        errors: [],
      });
    }
  });

  test('the API keeps its own pull Secret beside the chart-wide one', () => {
    const objects = synthLevel(STAGING, { ...props, api: { imagePullSecrets: ['api-only'] } });
    expect(find(objects, 'Deployment', 'merlai-api').spec.template.spec.imagePullSecrets).toEqual([
      { name: 'api-only' },
      { name: 'registry-credentials' },
    ]);
  });

  test('an annotation key Kubernetes would refuse is refused with the prop', () => {
    expect(() => synthLevel(DEVELOPMENT, { annotations: { 'bad key!': 'x' } })).toThrow(
      /annotations\.bad key!/,
    );
  });
});

describe('level 3 schedules its API and datastores first (issue 27)', () => {
  test('the chart creates a scheduling.k8s.io/v1 PriorityClass above default (0) and below the system classes (2000000000)', () => {
    const objects = synthLevel(PRODUCTION);
    const priority = objects.filter((o) => o.kind === 'PriorityClass');
    expect(priority).toHaveLength(1);
    expect(priority[0].apiVersion).toBe('scheduling.k8s.io/v1');
    // Kubernetes "Pod Priority and Preemption": user classes at most 1000000000; not the cluster's default.
    expect(priority[0].value).toBeGreaterThan(0);
    expect(priority[0].value).toBeLessThanOrEqual(1000000000);
    expect(priority[0].globalDefault).toBe(false);
    // Cluster-scoped.
    expect(priority[0].metadata.namespace).toBeUndefined();
    const name = priority[0].metadata.name;
    expect(find(objects, 'Deployment', 'merlai-api').spec.template.spec.priorityClassName).toBe(name);
    expect(find(objects, 'Cluster', 'merlai-postgres').spec.priorityClassName).toBe(name);
    const redis = find(objects, 'RedisReplication', 'merlai-redis');
    expect(redis.spec.priorityClassName).toBe(name);
    expect(redis.spec.sentinel.priorityClassName).toBe(name);
  });

  test('priorityClassName names an existing class instead: no PriorityClass object', () => {
    const objects = synthLevel(PRODUCTION, { priorityClassName: 'platform-critical' });
    expect(objects.filter((o) => o.kind === 'PriorityClass')).toEqual([]);
    expect(find(objects, 'Deployment', 'merlai-api').spec.template.spec.priorityClassName).toBe(
      'platform-critical',
    );
    expect(find(objects, 'Cluster', 'merlai-postgres').spec.priorityClassName).toBe('platform-critical');
  });

  test('Levels 1 and 2 create none, and take one by name', () => {
    expect(synthLevel(STAGING).filter((o) => o.kind === 'PriorityClass')).toEqual([]);
    const dev = synthLevel(DEVELOPMENT, { priorityClassName: 'dev-low' });
    expect(dev.filter((o) => o.kind === 'PriorityClass')).toEqual([]);
    expect(find(dev, 'StatefulSet', 'merlai-postgres').spec.template.spec.priorityClassName).toBe('dev-low');
    expect(find(dev, 'Deployment', 'merlai-redis').spec.template.spec.priorityClassName).toBe('dev-low');
  });

  test("the API's pods are Burstable at Level 3: the guide's requests (250m, 512Mi) are below its limits (500m, 1Gi)", () => {
    // Operations guide, Level 3 production-deployment.yaml; Kubernetes QoS: Guaranteed needs requests == limits.
    const c = find(synthLevel(PRODUCTION), 'Deployment', 'merlai-api').spec.template.spec.containers[0];
    expect(c.resources).toMatchObject({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '500m', memory: '1Gi' },
    });
  });
});

describe('object-store egress takes a list of address ranges (issue 27: S3 spans many)', () => {
  // Two of S3 eu-west-1's published ranges (AWS ip-ranges.json, service S3).
  const S3_RANGES = ['52.218.0.0/17', '3.5.64.0/21'];
  const store = {
    endpointUrl: 'https://s3.eu-west-1.amazonaws.com',
    bucket: 'merlai-backups',
    credentialsSecretName: 'merlai-backup-s3',
    region: 'eu-west-1',
  };
  /** The ipBlock CIDRs a policy's egress rules open on port 443. */
  const egress443 = (policy: KubeObject): string[] =>
    (policy.spec.egress ?? [])
      .filter((r: KubeObject) => r.ports?.some((p: KubeObject) => p.port === 443))
      .flatMap((r: KubeObject) => (r.to ?? []).map((t: KubeObject) => t.ipBlock?.cidr))
      .filter((c: string | undefined) => c !== undefined);

  test('every range reaches the backup pods and the PostgreSQL instances, on the URL port only', () => {
    const objects = synthLevel(PRODUCTION, { datastores: { objectStore: { ...store, cidr: S3_RANGES } } });
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const backup = policies.find((p) => p.metadata.name === 'merlai-postgres-backup-network-policy');
    expect(backup && egress443(backup)).toEqual(expect.arrayContaining(S3_RANGES));
    const withStore = policies.filter((p) => S3_RANGES.every((c) => egress443(p).includes(c)));
    // The backup pods' policy and PostgreSQL's (the WAL archive).
    expect(withStore.length).toBeGreaterThanOrEqual(2);
  });

  test('a single string keeps working', () => {
    const objects = synthLevel(PRODUCTION, { datastores: { objectStore: { ...store, cidr: S3_RANGES[0] } } });
    const backup = find(objects, 'NetworkPolicy', 'merlai-postgres-backup-network-policy');
    expect(egress443(backup)).toEqual([S3_RANGES[0]]);
  });

  test('an empty list, or a /0 in it, is refused with its index', () => {
    expect(() => synthLevel(PRODUCTION, { datastores: { objectStore: { ...store, cidr: [] } } })).toThrow(
      /objectStore\.cidr' is \[\]/,
    );
    expect(() =>
      synthLevel(PRODUCTION, {
        datastores: { objectStore: { ...store, cidr: [S3_RANGES[0], '0.0.0.0/0'] } },
      }),
    ).toThrow(/objectStore\.cidr\[1\]/);
  });
});
