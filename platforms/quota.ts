/**
 * Daily quota accounting shared by every worker through Redis. A call is reserved before it is
 * made: if its cost would overrun the bucket, it is refused up front (PlatformError
 * 'quota_exhausted' with resetAt) and the platform is never asked. The check and the increment
 * are one Lua script, so concurrent workers cannot together overspend a bucket.
 */
import type { Redis } from 'ioredis';
import { PlatformError } from './errors';
import type { PlatformName } from './types';

export interface QuotaBucket {
  platform: PlatformName;
  /** e.g. 'units' (YouTube), 'search' (YouTube search.list calls), 'requests', 'records' (TikTok). */
  name: string;
  limit: number;
  /** IANA zone whose midnight resets the bucket (YouTube: America/Los_Angeles). */
  resetTimeZone: string;
}

export interface QuotaUsage {
  used: number;
  limit: number;
  remaining: number;
  resetAt: string;
}

const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if used + cost > limit then return -1 - used end
local now = redis.call('INCRBY', KEYS[1], cost)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return now
`;

/** Offset (ms) of a time zone from UTC at an instant, from Intl (handles daylight saving). */
function zoneOffsetMs(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The quota day an instant belongs to (YYYY-MM-DD in the zone) and the instant it resets. */
export function quotaDay(now: Date, timeZone: string): { day: string; resetAt: Date } {
  const local = new Date(now.getTime() + zoneOffsetMs(now, timeZone));
  const day = local.toISOString().slice(0, 10);
  const nextLocalMidnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1);
  // Midnight local = UTC minus the offset in force at that moment (DST may differ from now's).
  let resetAt = nextLocalMidnight - zoneOffsetMs(now, timeZone);
  resetAt = nextLocalMidnight - zoneOffsetMs(new Date(resetAt), timeZone);
  return { day, resetAt: new Date(resetAt) };
}

export class QuotaLedger {
  constructor(
    private readonly redis: Redis,
    private readonly clock: () => Date = () => new Date(),
    private readonly keyPrefix = 'quota',
  ) {}

  private key(bucket: QuotaBucket, day: string): string {
    return `${this.keyPrefix}:${bucket.platform}:${bucket.name}:${day}`;
  }

  /** Reserves `cost` from the bucket or throws quota_exhausted without spending anything. */
  async reserve(bucket: QuotaBucket, cost = 1): Promise<QuotaUsage> {
    const { day, resetAt } = quotaDay(this.clock(), bucket.resetTimeZone);
    // Keep the counter a day past its reset, for the usage figures of the previous day.
    const expireAt = resetAt.getTime() + 24 * 3600_000;
    const result = Number(await this.redis.eval(RESERVE, 1, this.key(bucket, day), cost, bucket.limit, expireAt));
    if (result < 0) {
      const used = -1 - result;
      throw new PlatformError(
        bucket.platform,
        'quota_exhausted',
        `daily ${bucket.name} quota would be exceeded (${used} of ${bucket.limit} used, this call costs ${cost}); resets at ${resetAt.toISOString()}`,
        { resetAt: resetAt.toISOString(), code: `${bucket.name}_quota` },
      );
    }
    return { used: result, limit: bucket.limit, remaining: bucket.limit - result, resetAt: resetAt.toISOString() };
  }

  /** Marks the bucket spent for the rest of its day (the platform said so, e.g. 403 quotaExceeded). */
  async exhaust(bucket: QuotaBucket): Promise<void> {
    const { day, resetAt } = quotaDay(this.clock(), bucket.resetTimeZone);
    await this.redis.set(this.key(bucket, day), bucket.limit, 'PXAT', resetAt.getTime() + 24 * 3600_000);
  }

  async usage(bucket: QuotaBucket): Promise<QuotaUsage> {
    const { day, resetAt } = quotaDay(this.clock(), bucket.resetTimeZone);
    const used = Number((await this.redis.get(this.key(bucket, day))) ?? 0);
    return { used, limit: bucket.limit, remaining: Math.max(0, bucket.limit - used), resetAt: resetAt.toISOString() };
  }
}
