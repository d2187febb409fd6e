/** GET /api/stats: the caller's usage against the plan, totals and last sync times. */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../../lib/clock';
import { PLATFORM_NAMES } from '../../lib/domain/platforms';
import { bloggerSyncTimes } from '../../db/queries/bloggers';
import { tenantQuota, type TenantQuota } from '../../db/queries/platformQuota';
import { videosFetchedOn } from '../../db/queries/usage';
import { trackedVideoTotals } from '../../db/queries/videoHistory';
import { withTenant } from '../../db/tenant';
import type { Config } from '../../lib/config';
import { budgetDay, syncCallEstimate } from '../../lib/domain/syncCadence';
import { quotaBucketOf } from '../../platforms';
import { QuotaLedger } from '../../platforms/quota';
import type { AuthUser } from '../middleware/auth';
import type { PlanRateLimiter } from '../middleware/rateLimit';

export interface StatsDeps {
  db: Knex;
  redis: Redis;
  config: Config;
  clock: Clock;
  rateLimiter: PlanRateLimiter;
}

const limitOf = (value: number) => (value < 0 ? null : value); // -1 = unlimited → null

/**
 * The caller's use of each quota-limited platform today and its fair share (why a sync waited);
 * empty for platforms served by the simulator. Redis down: left out rather than failing the stats.
 */
async function platformQuota({ db, redis, config, clock }: Omit<StatsDeps, 'rateLimiter'>, userId: number): Promise<TenantQuota[]> {
  const ledger = new QuotaLedger(redis, () => clock.date());
  const buckets = PLATFORM_NAMES.filter((p) => config.PLATFORMS_ENABLED.includes(p))
    .map((p) => quotaBucketOf(config, p))
    .filter((b) => b !== null);
  const syncIntervalMs = config.BLOGGER_SYNC_MINUTES * 60_000;
  return Promise.all(
    buckets.map((bucket) =>
      tenantQuota(
        db,
        ledger,
        bucket,
        userId,
        {
          callsPerSync: syncCallEstimate(bucket.platform, config.BLOGGER_MAX_VIDEOS_PER_SYNC),
          syncIntervalMs,
        },
        clock.now(),
      ),
    ),
  ).catch(() => []);
}

export async function usageStats(deps: StatsDeps, user: Pick<AuthUser, 'id' | 'plan' | 'limits'>) {
  const { db, rateLimiter } = deps;
  const { day } = budgetDay(deps.clock.now());
  const data = await withTenant(db, { userId: user.id }, async (trx) => ({
    bloggers: await bloggerSyncTimes(trx, user.id),
    videosToday: await videosFetchedOn(trx, user.id, day),
    totals: await trackedVideoTotals(trx, { userId: user.id }),
  }));
  return {
    plan: user.plan,
    usage: {
      bloggers: { used: data.bloggers.length, limit: limitOf(user.limits.maxBloggers) },
      videosToday: { used: data.videosToday, limit: limitOf(user.limits.maxVideosPerDay), day },
      requestsThisMinute: { used: await rateLimiter.used(user.id, user.limits.apiRateLimit), limit: limitOf(user.limits.apiRateLimit) },
      platformQuota: await platformQuota(deps, user.id),
    },
    totals: { bloggers: data.bloggers.length, videosTracked: data.totals.videos, historyRows: data.totals.rows },
    lastSyncAt: data.bloggers.reduce<Date | null>(
      (latest, b) => (b.lastSyncedAt && (!latest || b.lastSyncedAt > latest) ? b.lastSyncedAt : latest),
      null,
    ),
    bloggers: data.bloggers.map((b) => ({
      id: b.id,
      name: b.name,
      syncStatus: b.syncStatus,
      lastSyncedAt: b.lastSyncedAt ?? null,
      nextSyncAt: b.nextSyncAt ?? null,
    })),
  };
}
