/**
 * Daily quota accounting shared by every worker through Redis. A call is reserved before it is
 * made: if its cost would overrun the bucket, it is refused up front (PlatformError
 * 'quota_exhausted' with resetAt) and the platform is never asked. The check and the increment
 * are one Lua script, so concurrent workers cannot together overspend a bucket.
 *
 * Who spent what: platform calls made inside withQuotaScope({ tenantId }) are also counted for
 * that tenant, per bucket and quota day (a Redis hash next to the bucket's counter, reset with
 * it), so the fair share below can bound a tenant by what it already used. The adapters need not
 * know: the scope travels with the async context (AsyncLocalStorage) of the activity that calls
 * them. A scope may also cap a purpose (manual discovery): its calls are counted under their own
 * name too and refused once they reach their share of the bucket, so the rest stays reserved for
 * the scheduled work.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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

/** Whose work the platform calls in this async context are, and under which cap. */
export interface QuotaScope {
  /** The tenant (user id) whose sync makes the calls: counted per tenant per quota day. */
  tenantId?: number;
  /** A purpose that may spend at most `share` (0..1) of each bucket's daily limit, e.g. manual discovery. */
  capped?: { name: string; share: number };
}

const scopes = new AsyncLocalStorage<QuotaScope>();

/** Runs `work` with its platform calls counted for the scope (tenant, capped purpose). */
export function withQuotaScope<T>(scope: QuotaScope, work: () => Promise<T>): Promise<T> {
  return scopes.run({ ...scopes.getStore(), ...scope }, work);
}

/**
 * Runs `work` outside any scope: for calls shared by several tenants (the stats batcher packs
 * many tenants' ids into one call), which the caller charges to each tenant itself.
 */
export function outsideQuotaScope<T>(work: () => T): T {
  return scopes.exit(work);
}

// KEYS: bucket counter, tenant hash, capped-purpose counter.
// ARGV: cost, limit, expireAt (ms), tenant field ('' = none), capped limit (-1 = none).
// Returns {used after, 0}, or {-1, used} when the bucket would overrun, {-2, capped used} when the cap would.
const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if used + cost > limit then return {-1, used} end
local cappedLimit = tonumber(ARGV[5])
if cappedLimit >= 0 then
  local capped = tonumber(redis.call('GET', KEYS[3]) or '0')
  if capped + cost > cappedLimit then return {-2, capped} end
  redis.call('INCRBY', KEYS[3], cost)
  redis.call('PEXPIREAT', KEYS[3], ARGV[3])
end
local now = redis.call('INCRBY', KEYS[1], cost)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HINCRBY', KEYS[2], ARGV[4], cost)
  redis.call('PEXPIREAT', KEYS[2], ARGV[3])
end
return {now, 0}
`;

/** Offset (ms) of a time zone from UTC at an instant, from Intl (handles daylight saving). */
function zoneOffsetMs(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
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

  /** The bucket's day, reset and key expiry (a day past the reset, for the previous day's figures). */
  private today(bucket: QuotaBucket) {
    const { day, resetAt } = quotaDay(this.clock(), bucket.resetTimeZone);
    // Redis expires keys in real time, while the day may be data time (a simulation runs ahead or,
    // from a past CLOCK_START, behind): keep a day's figures a day past its reset and at least two real days.
    const expireAt = Math.max(resetAt.getTime() + 24 * 3600_000, Date.now() + 48 * 3600_000);
    return { day, resetAt, expireAt, key: this.key(bucket, day) };
  }

  /**
   * Reserves `cost` from the bucket or throws quota_exhausted without spending anything. Inside
   * a quota scope the cost is also counted for the scope's tenant, and refused past its purpose's cap.
   */
  async reserve(bucket: QuotaBucket, cost = 1): Promise<QuotaUsage> {
    const { resetAt, expireAt, key } = this.today(bucket);
    const scope = scopes.getStore();
    const cap = scope?.capped ? Math.floor(bucket.limit * scope.capped.share) : -1;
    const [result, seen] = (await this.redis.eval(
      RESERVE,
      3,
      key,
      `${key}:tenants`,
      `${key}:capped:${scope?.capped?.name ?? ''}`,
      cost,
      bucket.limit,
      expireAt,
      scope?.tenantId === undefined ? '' : String(scope.tenantId),
      cap,
    )) as [number, number];
    if (result === -1) {
      throw new PlatformError(
        bucket.platform,
        'quota_exhausted',
        `daily ${bucket.name} quota would be exceeded (${seen} of ${bucket.limit} used, this call costs ${cost}); resets at ${resetAt.toISOString()}`,
        { resetAt: resetAt.toISOString(), code: `${bucket.name}_quota` },
      );
    }
    if (result === -2) {
      throw new PlatformError(
        bucket.platform,
        'quota_exhausted',
        `${scope!.capped!.name} calls may use ${cap} of the ${bucket.limit} daily ${bucket.name} (${seen} used; the rest is kept for scheduled work); resets at ${resetAt.toISOString()}`,
        { resetAt: resetAt.toISOString(), code: `${bucket.name}_${scope!.capped!.name}_share` },
      );
    }
    return { used: result, limit: bucket.limit, remaining: bucket.limit - result, resetAt: resetAt.toISOString() };
  }

  /**
   * Counts `cost` against a tenant without reserving from the bucket: its part of a call made
   * outside its scope and already reserved there (a batched stats call shared by tenants).
   */
  async chargeTenant(bucket: QuotaBucket, tenantId: number, cost: number): Promise<void> {
    if (cost <= 0) return;
    const { expireAt, key } = this.today(bucket);
    await this.redis.multi().hincrby(`${key}:tenants`, String(tenantId), cost).pexpireat(`${key}:tenants`, expireAt).exec();
  }

  /** Marks the bucket spent for the rest of its day (the platform said so, e.g. 403 quotaExceeded). */
  async exhaust(bucket: QuotaBucket): Promise<void> {
    const { expireAt, key } = this.today(bucket);
    await this.redis.set(key, bucket.limit, 'PXAT', expireAt);
  }

  async usage(bucket: QuotaBucket): Promise<QuotaUsage> {
    const { resetAt, key } = this.today(bucket);
    const used = Number((await this.redis.get(key)) ?? 0);
    return { used, limit: bucket.limit, remaining: Math.max(0, bucket.limit - used), resetAt: resetAt.toISOString() };
  }

  /** What each tenant spent of the bucket today (tenant id → cost). */
  async usageByTenant(bucket: QuotaBucket): Promise<Map<number, number>> {
    const { key } = this.today(bucket);
    const fields = await this.redis.hgetall(`${key}:tenants`);
    return new Map(Object.entries(fields).map(([tenant, used]) => [Number(tenant), Number(used)]));
  }

  /** What a capped purpose (e.g. 'manual' discovery) spent of the bucket today, and may spend. */
  async cappedUsage(bucket: QuotaBucket, capped: { name: string; share: number }): Promise<QuotaUsage> {
    const { resetAt, key } = this.today(bucket);
    const used = Number((await this.redis.get(`${key}:capped:${capped.name}`)) ?? 0);
    const limit = Math.floor(bucket.limit * capped.share);
    return { used, limit, remaining: Math.max(0, limit - used), resetAt: resetAt.toISOString() };
  }
}

export interface FairShare {
  /** Units this tenant may still spend today. */
  allowance: number;
  /** The daily budget divided by the tenants that use the platform. */
  equalSplit: number;
  /** Units other tenants are still owed up to their equal split (held back for them). */
  heldForOthers: number;
}

/** One tenant's use of a bucket today and, when known, what its bloggers may still need today. */
export interface TenantUse {
  used: number;
  /** Estimated units its syncs still need before the reset (bloggers × cost × syncs left); none = its whole split. */
  demand?: number;
}

/**
 * The fair share policy of a daily platform bucket among tenants (max-min fairness):
 *  - every tenant with active bloggers on the platform is owed an equal split of the day's
 *    budget, E = limit / tenants; what it is still owed is E minus what it used today, but never
 *    more than its bloggers can still use before the reset (its demand);
 *  - what is left beyond everything still owed is spare: any tenant may use it (first come),
 *    so a busy tenant goes past E only with quota the others do not need;
 *  - when less is left than is owed (other work, e.g. Trend Watch, spent the bucket), what is
 *    left is split in proportion to what each is still owed; a tenant at or past E gets nothing.
 * So one tenant can never take another's equal split, however many bloggers or forced syncs it has.
 */
export function fairShare({ limit, used, mine, others }: { limit: number; used: number; mine: TenantUse; others: TenantUse[] }): FairShare {
  const equalSplit = Math.floor(limit / (others.length + 1));
  const owed = (t: TenantUse) => Math.max(0, Math.min(equalSplit - t.used, t.demand ?? Number.POSITIVE_INFINITY));
  const heldForOthers = others.reduce((sum, t) => sum + owed(t), 0);
  const remaining = Math.max(0, limit - used);
  const totalOwed = heldForOthers + owed(mine);
  const allowance = remaining >= totalOwed ? remaining - heldForOthers : Math.floor((remaining * owed(mine)) / Math.max(1, totalOwed));
  return { allowance, equalSplit, heldForOthers };
}
