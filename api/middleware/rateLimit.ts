/**
 * Per-user API rate limit from the plan (requests per minute; -1 = unlimited), counted in Redis
 * so every API instance shares it. Each answer carries RateLimit-Limit / -Remaining / -Reset;
 * a refused one is a 429 with Retry-After.
 *
 * Redis down: the Redis client refuses commands at once (no offline queue), and
 * rate-limiter-flexible switches to its insurance limiter, an in-memory counter per process with
 * the same limit. Requests neither hang nor fail; the limit is then enforced per instance.
 */
import type { Redis } from 'ioredis';
import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { LARGEST_PLAN } from '../../lib/domain/plans';
import { TooManyRequestsError } from '../../lib/errors';

const WINDOW_SECONDS = 60;

/** A Redis limiter with its in-memory insurance twin (used when Redis cannot answer). */
export function redisLimiter(redis: Redis, keyPrefix: string, points: number, durationSeconds: number): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration: durationSeconds,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
  });
}

export class PlanRateLimiter {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(private readonly redis: Redis) {}

  /** One limiter per limit value (plans share them), created on first use. */
  limiterFor(points: number): RateLimiterRedis {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      limiter = redisLimiter(this.redis, `rl:api:${points}`, points, WINDOW_SECONDS);
      this.limiters.set(points, limiter);
    }
    return limiter;
  }

  /** Requests the user made in the current window (for usage stats); null when unlimited. */
  async used(userId: number, points: number): Promise<number | null> {
    if (points < 0) return null;
    const res = await this.limiterFor(points)
      .get(String(userId))
      .catch(() => null);
    return res?.consumedPoints ?? 0;
  }
}

function headers(limit: number, res: RateLimiterRes): Record<string, string> {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, res.remainingPoints)),
    'RateLimit-Reset': String(Math.ceil(res.msBeforeNext / 1000)),
  };
}

/** Mount after authenticate(): it limits ctx.state.user by their plan. */
export function planRateLimit(limiters: PlanRateLimiter): Middleware {
  return async (ctx, next) => {
    const user = ctx.state.user;
    const limit = user?.limits.apiRateLimit ?? -1;
    if (!user || limit < 0) return next();
    let res: RateLimiterRes;
    try {
      res = await limiters.limiterFor(limit).consume(String(user.id));
    } catch (rejected) {
      if (!(rejected instanceof RateLimiterRes)) throw rejected;
      throw new TooManyRequestsError(
        `Rate limit reached: the ${user.plan} plan allows ${limit} requests per minute. Retry in ${Math.ceil(rejected.msBeforeNext / 1000)} s${user.plan === LARGEST_PLAN ? '' : ', or move to a larger plan'}.`,
        rejected.msBeforeNext / 1000,
        headers(limit, rejected),
      );
    }
    ctx.set(headers(limit, res));
    await next();
  };
}

function per(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} minutes`;
  return `${seconds} s`;
}

/**
 * A per-IP limit on one public, expensive action (register hashes a password; refresh writes a
 * token row). ctx.ip is the client address as far as proxy trust allows.
 */
export function limitPerIp(redis: Redis, opts: { keyPrefix: string; points: number; durationSeconds: number; what: string }): Middleware {
  const limiter = redisLimiter(redis, opts.keyPrefix, opts.points, opts.durationSeconds);
  return async (ctx, next) => {
    try {
      await limiter.consume(ctx.ip);
    } catch (rejected) {
      if (!(rejected instanceof RateLimiterRes)) throw rejected;
      throw new TooManyRequestsError(
        `Too many ${opts.what} from this address (at most ${opts.points} per ${per(opts.durationSeconds)}). Retry in ${Math.ceil(rejected.msBeforeNext / 1000)} s.`,
        rejected.msBeforeNext / 1000,
      );
    }
    await next();
  };
}

/** A per-user limit on one expensive action (e.g. "trigger a discovery run"), on top of the plan rate. */
export function limitPerUser(redis: Redis, opts: { keyPrefix: string; points: number; durationSeconds: number; what: string }): Middleware {
  const limiter = redisLimiter(redis, opts.keyPrefix, opts.points, opts.durationSeconds);
  return async (ctx, next) => {
    try {
      await limiter.consume(String(ctx.state.user?.id ?? ctx.ip));
    } catch (rejected) {
      if (!(rejected instanceof RateLimiterRes)) throw rejected;
      throw new TooManyRequestsError(
        `You can ${opts.what} ${opts.points} time${opts.points === 1 ? '' : 's'} per ${opts.durationSeconds} s. Retry in ${Math.ceil(rejected.msBeforeNext / 1000)} s.`,
        rejected.msBeforeNext / 1000,
      );
    }
    await next();
  };
}
