import { AvailabilityLevel, EnvValue, LEVEL_PROFILES } from '../lib';
import { scanForSecrets } from './support/secret-scan';
import { type KubeObject, LEVELS, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data };
}

function deploymentWithEnv(env: unknown[]): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { template: { spec: { containers: [{ name: 'c', image: 'i', env }] } } },
  };
}

// The scan guards Levels 2 and 3; each leak it must catch, and each reference it must let through.
describe('secret scan', () => {
  test.each<[string, KubeObject, RegExp]>([
    [
      'a Secret manifest with values',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'x' } },
      /value in a Secret manifest/,
    ],
    [
      'a literal password in an environment variable',
      deploymentWithEnv([{ name: 'POSTGRES_PASSWORD', value: 'merlai123' }]),
      /environment variable POSTGRES_PASSWORD with a literal value/,
    ],
    [
      'a database URL with the password in it',
      deploymentWithEnv([
        { name: 'DATABASE_URL', value: 'postgresql://merlai:s3cret@merlai-postgres:5432/merlai' },
      ]),
      /URL with a password in it/,
    ],
    [
      'a ConfigMap key named like a credential',
      configMap({ DATABASE_PASSWORD: '' }),
      /ConfigMap key named like a credential/,
    ],
    [
      'an API key in a ConfigMap key',
      configMap({ 'openai-api-key': '' }),
      /ConfigMap key named like a credential/,
    ],
    [
      'redis requirepass in configuration text',
      configMap({ 'redis.conf': 'maxmemory 256mb\nrequirepass hunter2\n' }),
      /credential assignment/,
    ],
    [
      'password= in a connection string',
      configMap({ DSN: 'host=db user=merlai password=hunter2 dbname=m' }),
      /credential assignment/,
    ],
    [
      'a private key',
      configMap({ 'tls.pem': '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----' }),
      /private key/,
    ],
    ['an AWS access key id', configMap({ S3: 'AKIAIOSFODNN7EXAMPLE' }), /AWS access key id/],
    [
      'a credential-named field of a custom resource',
      {
        apiVersion: 'example.com/v1',
        kind: 'Thing',
        metadata: { name: 't' },
        spec: { auth: { password: 'pw' } },
      },
      /field 'password' with a literal value/,
    ],
  ])('finds %s', (_name, object, reason) => {
    const findings = scanForSecrets([object]);
    expect(findings.map((f) => f.reason).join('\n')).toMatch(reason);
  });

  test('lets references through: secretKeyRef, secretName, existing-secret objects, $(VAR) placeholders', () => {
    const objects: KubeObject[] = [
      deploymentWithEnv([
        EnvValue.fromSecretKey('merlai-postgres-app', 'password').toEnvVar('POSTGRES_PASSWORD'),
        {
          name: 'DATABASE_URL',
          value: 'postgresql://merlai:$(POSTGRES_PASSWORD)@merlai-postgres-rw:5432/merlai',
        },
        { name: 'REDIS_PASSWORD_FILE', value: '/var/run/secrets/redis/password' },
      ]),
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'i' },
        spec: { tls: [{ hosts: ['merlai.example.com'], secretName: 'merlai-api-tls' }] },
      },
      {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: 'pg' },
        spec: {
          superuserSecret: { name: 'pg-superuser' },
          bootstrap: { initdb: { secret: { name: 'pg-app' } } },
        },
      },
      {
        apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
        kind: 'RedisCluster',
        metadata: { name: 'r' },
        spec: { kubernetesConfig: { existingPasswordSecret: { name: 'redis-auth', key: 'password' } } },
      },
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'sa' },
        automountServiceAccountToken: false,
      },
      configMap({
        'log-config.yaml': 'version: 1\nformatters:\n  json:\n    format: "%(message)s"\n',
        AUTH_SECRET_NAME: 'x',
      }),
    ];
    expect(scanForSecrets(objects)).toEqual([]);
  });
});

describe.each([STAGING, PRODUCTION])('no credentials in the %s output', (level) => {
  const objects = synthLevel(level);

  test(`level ${LEVEL_PROFILES[level].number}: no password-like literal in any object, no Secret values`, () => {
    expect(scanForSecrets(objects)).toEqual([]);
  });

  test(`level ${LEVEL_PROFILES[level].number}: a password passed as a literal would be caught`, () => {
    const leaky = synthLevel(level, { api: { env: { DB_PASSWORD: EnvValue.fromValue('hunter2') } } });
    expect(scanForSecrets(leaky).map((f) => `${f.object} ${f.reason}`)).toEqual([
      'Deployment/merlai-api environment variable DB_PASSWORD with a literal value',
    ]);
  });
});

describe.each(LEVELS)('ConfigMaps at %s', (level) => {
  test('no ConfigMap key looks like a credential, at any level', () => {
    const findings = scanForSecrets(synthLevel(level)).filter((f) => f.object.startsWith('ConfigMap/'));
    expect(findings).toEqual([]);
  });
});

describe('level 1 development credentials', () => {
  test('any credential at level 1 sits in a Secret whose name and annotations say it is for development', () => {
    const objects = synthLevel(DEVELOPMENT);
    const marked = (name: string) => {
      const o = objects.find((x) => `${x.kind}/${x.metadata.name}` === name);
      const annotations = Object.entries(o?.metadata.annotations ?? {}).join(' ');
      return o?.kind === 'Secret' && /dev/.test(o.metadata.name) && /develop/i.test(annotations);
    };
    expect(scanForSecrets(objects).filter((f) => !marked(f.object))).toEqual([]);
  });
});
