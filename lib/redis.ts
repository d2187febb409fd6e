/**
 * The one place that builds ioredis clients (API and worker), so every client has the same
 * answer to a sick Redis:
 *  - down (connection refused): commands fail at once, callers take their fallback;
 *  - stalled (connection open, no answers — a paused or swapping server, a dead host behind a
 *    half-open TCP connection): every command fails after REDIS_COMMAND_TIMEOUT_MS, and the
 *    first timeout drops the connection. While ioredis reconnects (its ready check is bounded by
 *    the same timeout), the client is not "ready", so further commands fail at once instead of
 *    each waiting out its own timeout: a stall costs one timeout, then behaves exactly as down.
 */
import Redis, { type RedisOptions } from 'ioredis';
import type { Config } from './config';
import { bloggerCacheVersionKey } from './domain/cacheKeys';
import { audienceStreamKey } from './domain/events';
import type { Logger } from './logger';

export type RedisRole = 'api' | 'worker';

function redisOptions(config: Pick<Config, 'REDIS_COMMAND_TIMEOUT_MS'>, role: RedisRole): RedisOptions {
  return {
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: Math.max(config.REDIS_COMMAND_TIMEOUT_MS, 2000),
    maxRetriesPerRequest: 1,
    // The API must never queue a request's command behind a missing connection; the worker's
    // activities may wait for a (re)connection, but only as long as the command timeout.
    enableOfflineQueue: role === 'worker',
    // Reconnect quickly, but never give up: Redis coming back must be noticed.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick (concurrent requests' deny-list checks, rate limits and
    // cache reads) go out in one write and come back in one read.
    enableAutoPipelining: true,
  };
}

const TIMED_OUT = 'Command timed out';

export function createRedis(config: Pick<Config, 'REDIS_URL' | 'REDIS_COMMAND_TIMEOUT_MS'>, logger: Logger, role: RedisRole): Redis {
  const redis = new Redis(config.REDIS_URL, redisOptions(config, role));
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
  dropConnectionOnTimeout(redis, logger);
  return redis;
}

/** After a command timeout the connection is presumed stalled: drop it and reconnect. */
function dropConnectionOnTimeout(redis: Redis, logger?: Logger): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    const result = send(...args) as Promise<unknown>;
    result.catch((err: Error) => {
      if (err?.message === TIMED_OUT && redis.status === 'ready') {
        logger?.warn({ command: args[0]?.name }, 'redis command timed out: reconnecting, commands fail fast meanwhile');
        redis.disconnect(true);
      }
    });
    return result;
  };
}

/**
 * Retires every cached answer about a blogger (new data, or the blogger is gone): its cache
 * version moves on (lib/domain/cacheKeys.ts). A failed bump leaves them until their TTL.
 */
export async function retireBloggerCache(redis: Redis, bloggerId: number): Promise<void> {
  await redis.incr(bloggerCacheVersionKey(bloggerId)).catch(() => undefined);
}

/**
 * Drops a deleted account's live-event stream (its bloggers' names, video titles, alert messages,
 * kept for replay): deleting an account leaves none of its data behind. A failed delete leaves it
 * until the stream's 7-day expiry.
 */
export async function forgetUserEvents(redis: Redis, userId: number): Promise<void> {
  await redis.del(audienceStreamKey({ userId })).catch(() => undefined);
}
