/** GET /api/stats: the caller's usage against the plan, totals and last sync times. */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Config } from '../../lib/config';
import { Blogger, UsageDaily } from '../../db/models';
import { PLATFORM_NAMES } from '../../lib/domain/platforms';
import { tenantQuota, type TenantQuota } from '../../db/queries/platformQuota';
import { withTenant } from '../../db/tenant';
import { budgetDay, syncCallEstimate } from '../../lib/domain/syncCadence';
import type { ApiDeps } from '../deps';
import type { PlanRateLimiter } from '../middleware/rateLimit';
import { quotaBucketOf } from '../../platforms';
import { QuotaLedger } from '../../platforms/quota';
import { userRouter, type UserState } from '../router';

const limitOf = (value: number) => (value < 0 ? null : value); // -1 = unlimited → null

/**
 * The caller's use of each quota-limited platform today and its fair share (why a sync waited);
 * empty for platforms served by the simulator. Redis down: left out rather than failing the stats.
 */
async function platformQuota(db: Knex, redis: Redis, config: Config, userId: number): Promise<TenantQuota[]> {
  const ledger = new QuotaLedger(redis);
  const buckets = PLATFORM_NAMES.filter((p) => config.PLATFORMS_ENABLED.includes(p)).map((p) => quotaBucketOf(config, p)).filter((b) => b !== null);
  const syncIntervalMs = (config.BLOGGER_SYNC_MINUTES * 60_000) / config.TIME_SCALE;
  return Promise.all(buckets.map((bucket) => tenantQuota(db, ledger, bucket, userId, {
    callsPerSync: syncCallEstimate(bucket.platform, config.BLOGGER_MAX_VIDEOS_PER_SYNC), syncIntervalMs,
  }))).catch(() => []);
}

export function statsRoutes({ db, redis, config }: Pick<ApiDeps, 'db' | 'redis' | 'config'>, protect: Middleware, rateLimiter: PlanRateLimiter): Router<UserState> {
  // The bare /api/stats under strict routing: the parent prefix, the path spelled out (see router.ts).
  const router = userRouter('/api', protect);

  router.get('/stats', async (ctx) => {
    const user = ctx.state.user;
    const { day } = budgetDay(Date.now(), config.TIME_SCALE);
    const data = await withTenant(db, { userId: user.id }, async (trx) => {
      const bloggers = await Blogger.query(trx).where('userId', user.id).select('id', 'name', 'lastSyncedAt', 'nextSyncAt', 'syncStatus').orderBy('id');
      const usage = await UsageDaily.query(trx).findOne({ userId: user.id, day });
      const { rows } = await trx.raw<{ rows: { videos: number; snapshots: number }[] }>(
        'select count(distinct (platform, platform_video_id))::int as videos, count(*)::int as snapshots from video_history where user_id = ?', [user.id]);
      return { bloggers, videosToday: usage?.videosFetched ?? 0, totals: rows[0] ?? { videos: 0, snapshots: 0 } };
    });
    ctx.body = {
      plan: user.plan,
      usage: {
        bloggers: { used: data.bloggers.length, limit: limitOf(user.limits.maxBloggers) },
        videosToday: { used: data.videosToday, limit: limitOf(user.limits.maxVideosPerDay), day },
        requestsThisMinute: { used: await rateLimiter.used(user.id, user.limits.apiRateLimit), limit: limitOf(user.limits.apiRateLimit) },
        platformQuota: await platformQuota(db, redis, config, user.id),
      },
      totals: { bloggers: data.bloggers.length, videosTracked: data.totals.videos, historyRows: data.totals.snapshots },
      lastSyncAt: data.bloggers.reduce<Date | null>((latest, b) => (b.lastSyncedAt && (!latest || b.lastSyncedAt > latest) ? b.lastSyncedAt : latest), null),
      bloggers: data.bloggers.map((b) => ({ id: b.id, name: b.name, syncStatus: b.syncStatus, lastSyncedAt: b.lastSyncedAt ?? null, nextSyncAt: b.nextSyncAt ?? null })),
    };
  });

  return router;
}
