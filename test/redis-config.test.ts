import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AvailabilityLevel, parseQuantity, REDIS_MAXMEMORY_SHARE } from '../lib';
import { containerEnv, distObjects, localPaths } from './support/jobs';
import { freePort, REDIS_SERVER, RedisClient, type RedisServer, startRedis } from './support/servers';
import { find, type KubeObject } from './support/synth';
import { haveTool } from './support/tools';

// The Redis configuration the charts ship, loaded by a real redis-server (Debian's, the release the
// images pin): it must parse, require the password, and evict instead of failing when full.
jest.setTimeout(60_000);

const run = haveTool(REDIS_SERVER, ['--version'], 'apt-get install redis-server (see .ci/run)')
  ? describe
  : describe.skip;

function maxMemoryFor(memoryLimit: string): number {
  return Math.floor(parseQuantity(memoryLimit)! * REDIS_MAXMEMORY_SHARE);
}

async function configGet(client: RedisClient, key: string): Promise<string> {
  const reply = (await client.command('CONFIG', 'GET', key)) as string[];
  return reply[1];
}

async function info(client: RedisClient, section: string): Promise<Record<string, string>> {
  const text = (await client.command('INFO', section)) as string;
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => l.split(':') as [string, string]),
  );
}

run('level 1 Redis (ConfigMap merlai-redis-config, Deployment merlai-redis) in redis-server', () => {
  const objects = distObjects(AvailabilityLevel.DEVELOPMENT);
  const container = find(objects, 'Deployment', 'merlai-redis').spec.template.spec.containers[0];
  const mount = container.volumeMounts.find((m: KubeObject) => m.name === 'config').mountPath;
  const password = find(objects, 'Secret', 'merlai-redis-dev-credentials').stringData.password;
  const maxmemory = maxMemoryFor(container.resources.limits.memory);
  let dir: string;
  let server: RedisServer;
  let client: RedisClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-redis-'));
    const config = find(objects, 'ConfigMap', 'merlai-redis-config').data;
    for (const [file, text] of Object.entries(config)) writeFileSync(path.join(dir, file), text as string);
    // The container's own command and environment (the password from the development Secret), the
    // mounted configuration moved to the local copy; a free loopback port (the container's extra
    // arguments) and a temporary working directory stand in for the pod's network and emptyDir.
    const secrets = {
      'merlai-redis-dev-credentials': find(objects, 'Secret', 'merlai-redis-dev-credentials').stringData,
    };
    const env = {
      ...containerEnv(container, secrets, { [mount]: dir }),
      PATH: `${path.dirname(REDIS_SERVER)}:/usr/bin:/bin`,
    };
    const argv = (container.command as string[]).map((a) => localPaths(a, { [mount]: dir }));
    const port = await freePort();
    server = await startRedis([...argv, '--port', String(port)], port, dir, env);
    client = await RedisClient.connect(port);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the container runs redis-server on the mounted redis.conf, in the scratch volume', () => {
    expect(container.command.join(' ')).toContain(`exec redis-server ${mount}/redis.conf`);
    expect(container.workingDir).toBe(
      container.volumeMounts.find((m: KubeObject) => m.name === 'data').mountPath,
    );
  });

  test('the configuration loads and the server requires the password from the Secret', async () => {
    const anonymous = await client.command('PING');
    expect(anonymous).toBeInstanceOf(Error);
    expect(String(anonymous)).toMatch(/NOAUTH/);
    expect(await client.command('AUTH', password)).toBe('OK');
    expect(await client.command('PING')).toBe('PONG');
  });

  test(`maxmemory is ${REDIS_MAXMEMORY_SHARE * 100} % of the container's memory limit, evicting allkeys-lru`, async () => {
    expect(Number(await configGet(client, 'maxmemory'))).toBe(maxmemory);
    expect(await configGet(client, 'maxmemory-policy')).toBe('allkeys-lru');
  });

  test('nothing is persisted: no RDB snapshots, no append-only file', async () => {
    expect(await configGet(client, 'save')).toBe('');
    expect(await configGet(client, 'appendonly')).toBe('no');
  });

  test('when full it evicts the least recently used keys instead of refusing writes', async () => {
    const client = await RedisClient.connect(server.port);
    await client.command('AUTH', password);
    const value = Buffer.alloc(64 * 1024, 'x');
    const fill = async (prefix: string, count: number) => {
      const errors: unknown[] = [];
      for (let start = 0; start < count; start += 200) {
        const commands = Array.from({ length: Math.min(200, count - start) }, (_, i) => [
          'SET',
          `${prefix}${start + i}`,
          value,
        ]);
        for (const reply of await client.pipeline(commands)) if (reply !== 'OK') errors.push(reply);
      }
      return errors;
    };
    // Old keys first; Redis's LRU clock ticks once a second, so wait for it before the rest.
    const old = Math.floor((maxmemory * 0.2) / value.length);
    expect(await fill('old', old)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await fill('new', Math.ceil((maxmemory * 1.5) / value.length))).toEqual([]);

    const stats = await info(client, 'stats');
    const memory = await info(client, 'memory');
    expect(Number(stats.evicted_keys)).toBeGreaterThan(0);
    expect(Number(memory.used_memory)).toBeLessThanOrEqual(maxmemory + value.length * 2);
    // A third of all keys had to go; least-recently-used means the old ones went first (random
    // eviction would have kept about two thirds of them).
    const survivors = (await client.command(
      'EXISTS',
      ...Array.from({ length: old }, (_, i) => `old${i}`),
    )) as number;
    expect(survivors / old).toBeLessThan(0.2);
    client.close();
  });
});

describe.each([AvailabilityLevel.STAGING, AvailabilityLevel.PRODUCTION])('%s', (level) => {
  run('Redis additional configuration (redisConfig.additionalRedisConfig) in redis-server', () => {
    const objects = distObjects(level);
    const replication = find(objects, 'RedisReplication', 'merlai-redis');
    const configMap = find(objects, 'ConfigMap', replication.spec.redisConfig.additionalRedisConfig);
    let dir: string;
    let server: RedisServer;
    let client: RedisClient;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-redis-'));
      // The opstree image includes this file into its redis.conf; redis-server loads it alone just as well.
      const file = path.join(dir, 'redis-additional.conf');
      writeFileSync(file, configMap.data['redis-additional.conf']);
      const port = await freePort();
      server = await startRedis(
        [REDIS_SERVER, file, '--port', String(port), '--bind', '127.0.0.1'],
        port,
        dir,
      );
      client = await RedisClient.connect(port);
    });
    afterAll(async () => {
      client?.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("loads; LRU cache at 75 % of the Redis pods' memory limit; nothing persisted", async () => {
      const limit = replication.spec.kubernetesConfig.resources.limits.memory;
      expect(Number(await configGet(client, 'maxmemory'))).toBe(maxMemoryFor(limit));
      expect(await configGet(client, 'maxmemory-policy')).toBe('allkeys-lru');
      expect(await configGet(client, 'save')).toBe('');
      expect(await configGet(client, 'appendonly')).toBe('no');
    });
  });
});
