import { DeploymentStrategy, LEVEL_PROFILES } from '../lib';
import { checksOf, podSecurityViolations } from './support/pod-security';
import { compliantPod, POD_SECURITY_FIXTURES } from './support/pod-security-fixtures';
import { podTemplatesOf } from './support/pod-templates';
import { LEVELS, synthLevel } from './support/synth';

describe('the "restricted" checker', () => {
  test('applies the 14 controls of "restricted" v1.28 and the 11 of "baseline"', () => {
    expect(checksOf('restricted').map((c) => c.id)).toHaveLength(14);
    expect(checksOf('baseline').map((c) => c.id)).toHaveLength(11);
  });

  test('a compliant pod passes both profiles', () => {
    expect(podSecurityViolations(compliantPod(), 'restricted')).toEqual([]);
    expect(podSecurityViolations(compliantPod(), 'baseline')).toEqual([]);
  });

  test.each(POD_SECURITY_FIXTURES.map((f) => [f.name, f]))('%s', (_name, fixture) => {
    expect(podSecurityViolations(fixture.pod, 'restricted').map((v) => v.check)).toEqual(fixture.restricted);
    expect(podSecurityViolations(fixture.pod, 'baseline').map((v) => v.check)).toEqual(fixture.baseline);
  });

  test('every control of "restricted" is broken by at least one fixture', () => {
    const broken = new Set(POD_SECURITY_FIXTURES.flatMap((f) => f.restricted));
    expect([...broken].sort()).toEqual(
      checksOf('restricted')
        .map((c) => c.id)
        .sort(),
    );
  });

  test('a finding names the container at fault', () => {
    const pod = compliantPod();
    pod.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    expect(podSecurityViolations(pod)).toEqual([
      {
        check: 'allowPrivilegeEscalation',
        detail: 'container(s) "app" must set allowPrivilegeEscalation=false',
      },
    ]);
  });
});

describe('pods that operators build from custom resources', () => {
  test('a CloudNativePG Cluster with the operator’s defaults is "restricted"; one that re-enables escalation is not', () => {
    const cluster = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg' },
      spec: { instances: 3 },
    };
    const [pod] = podTemplatesOf(cluster);
    expect(podSecurityViolations(pod)).toEqual([]);
    const loosened = {
      ...cluster,
      spec: { instances: 3, securityContext: { allowPrivilegeEscalation: true } },
    };
    expect(podSecurityViolations(podTemplatesOf(loosened)[0]).map((v) => v.check)).toEqual([
      'allowPrivilegeEscalation',
    ]);
    const rootUid = { ...cluster, spec: { instances: 3, postgresUID: 0 } };
    expect(podSecurityViolations(podTemplatesOf(rootUid)[0]).map((v) => v.check)).toEqual(['runAsUser']);
  });

  test('an OT-Container-Kit RedisCluster gets no security context unless its resource gives one', () => {
    const bare = {
      apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
      kind: 'RedisCluster',
      metadata: { name: 'redis' },
      spec: { clusterSize: 3, kubernetesConfig: { image: 'redis:7' }, redisExporter: { enabled: true } },
    };
    const pods = podTemplatesOf(bare);
    expect(pods.map((p) => p.source)).toEqual(['RedisCluster/redis:leader', 'RedisCluster/redis:follower']);
    expect(podSecurityViolations(pods[0]).map((v) => v.check)).toEqual([
      'allowPrivilegeEscalation',
      'runAsNonRoot',
      'seccompProfile_restricted',
      'capabilities_restricted',
    ]);
    const ctx = {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
    };
    const secured = {
      ...bare,
      spec: {
        ...bare.spec,
        podSecurityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        redisLeader: { securityContext: ctx },
        redisFollower: { securityContext: ctx },
        redisExporter: { enabled: true, securityContext: ctx },
      },
    };
    for (const pod of podTemplatesOf(secured)) expect(podSecurityViolations(pod)).toEqual([]);
  });

  test('a RedisReplication’s embedded Sentinel is a pod of its own, with its own security contexts', () => {
    const replication = {
      apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
      kind: 'RedisReplication',
      metadata: { name: 'redis' },
      spec: {
        clusterSize: 2,
        podSecurityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        sentinel: { size: 3 },
      },
    };
    const [data, sentinel] = podTemplatesOf(replication);
    expect([data.source, sentinel.source]).toEqual([
      'RedisReplication/redis:replication',
      'RedisReplication/redis:sentinel',
    ]);
    expect(podSecurityViolations(data)).toEqual([]);
    expect(podSecurityViolations(sentinel).map((v) => v.check)).toEqual([
      'allowPrivilegeEscalation',
      'runAsNonRoot',
      'seccompProfile_restricted',
      'capabilities_restricted',
    ]);
  });

  test('an unknown kind is an error, not a pass', () => {
    expect(() =>
      podTemplatesOf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toThrow(/unknown kind/);
  });
});

describe.each(LEVELS)('Pod Security "restricted" at %s', (level) => {
  const objects = synthLevel(level);
  const pods = objects.flatMap(podTemplatesOf);

  test('every object’s kind is known to run pods or not', () => {
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.map((p) => p.source)).toContain('Deployment/merlai-api');
  });

  test(`every pod spec of level ${LEVEL_PROFILES[level].number} passes "restricted"`, () => {
    const findings = pods.flatMap((p) =>
      podSecurityViolations(p).map((v) => `${p.source}: ${v.check}: ${v.detail}`),
    );
    expect(findings).toEqual([]);
  });
});

describe.each([
  ['blue-green', DeploymentStrategy.blueGreen()],
  ['canary', DeploymentStrategy.canary()],
])('Pod Security "restricted" with a %s rollout', (_name, strategy) => {
  test.each(LEVELS.slice(1))(
    '%s: every pod spec passes (the Rollout runs the Deployment’s template through workloadRef)',
    (level) => {
      const objects = synthLevel(level, { api: { strategy } });
      const pods = objects.flatMap(podTemplatesOf);
      expect(objects.map((o) => o.kind)).toContain('Rollout');
      expect(pods.flatMap((p) => podSecurityViolations(p).map((v) => `${p.source}: ${v.check}`))).toEqual([]);
    },
  );
});
