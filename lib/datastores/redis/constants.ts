// Redis's fixed names, images, ports and memory shares, shared by the server modes and the alerts. No objects.

/** The construct type errors name. */
export const REDIS_TYPE = 'MerlaiRedis';

/** Name of the Redis workload, its Service (Level 1) and its `RedisReplication` (Levels 2 and 3). */
export const REDIS_NAME = 'merlai-redis';
/** Redis of Level 1: Redis 7, an exact release (the one Debian bookworm's `redis-server` runs in the tests). */
export const REDIS_IMAGE = 'redis:7.0.15-bookworm';
/** The `redis` user of the official image. */
export const REDIS_IMAGE_UID = 999;
/** The redis-operator's Redis and Sentinel images of the same release, and its exporter. */
export const OPSTREE_REDIS_IMAGE = 'quay.io/opstree/redis:v7.0.15';
export const OPSTREE_SENTINEL_IMAGE = 'quay.io/opstree/redis-sentinel:v7.0.15';
export const REDIS_EXPORTER_IMAGE = 'quay.io/opstree/redis-exporter:v1.44.0';
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const REDIS_EXPORTER_PORT = 9121;
/**
 * Share of the container's memory limit Redis may fill with keys before it evicts. The rest is for
 * what `maxmemory` does not count and the kernel does: a full resync forks the primary (the child's
 * copy-on-write pages count in the pod's cgroup), each replica's output buffer holds the writes
 * made meanwhile (`REDIS_REPLICA_BUFFER_SHARE` each), plus the backlog, fragmentation and the
 * process itself. At 0.75 a resync under writes could OOM-kill the primary.
 */
export const REDIS_MAXMEMORY_SHARE = 0.6;
/**
 * Hard limit of one replica's output buffer during a resync, as a share of the memory limit
 * (`client-output-buffer-limit replica`; Redis's own default, 256 MB, is half of Level 2's pod). A
 * replica that falls further behind is disconnected and resyncs, rather than the primary dying.
 */
export const REDIS_REPLICA_BUFFER_SHARE = 0.05;
