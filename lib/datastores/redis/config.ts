// Redis's configuration files: the cache settings of every mode and the standalone server's redis.conf. No objects.
import { REDIS_MAXMEMORY_SHARE, REDIS_PORT, REDIS_REPLICA_BUFFER_SHARE } from './constants';

/**
 * The cache settings every mode shares, from the container's memory limit: LRU eviction at
 * `maxmemory`, replica output buffers bounded, and nothing written to disk.
 */
export function redisCacheConfig(memoryLimitBytes: number): string {
  const replicaBuffer = Math.floor(memoryLimitBytes * REDIS_REPLICA_BUFFER_SHARE);
  return [
    '# Merlai cache: evict the least recently used key when full; persist nothing.',
    `# maxmemory ${REDIS_MAXMEMORY_SHARE * 100} % of the memory limit: room for a resync's fork and replica buffers.`,
    `maxmemory ${Math.floor(memoryLimitBytes * REDIS_MAXMEMORY_SHARE)}`,
    'maxmemory-policy allkeys-lru',
    `client-output-buffer-limit replica ${replicaBuffer} ${Math.floor(replicaBuffer / 2)} 60`,
    'save ""',
    'appendonly no',
    '',
  ].join('\n');
}

/** The whole `redis.conf` of the standalone server; the password comes from `--requirepass`. */
export function redisStandaloneConfig(cache: string): string {
  return [
    `bind * -::*`,
    `port ${REDIS_PORT}`,
    'protected-mode yes',
    'daemonize no',
    'logfile ""',
    'tcp-keepalive 300',
    cache,
  ].join('\n');
}
