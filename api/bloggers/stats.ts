/**
 * What a user charts about one blogger: stats with growth and a daily series, its videos, and
 * each video's full history; CSV on request. Responses are cached in Redis per blogger and
 * retired when new data lands (see lib/domain/cacheKeys.ts).
 */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../../lib/clock';
import { stringify } from 'csv-stringify/sync';
import { bloggerStats, dailySeries } from '../../db/queries/bloggerStats';
import { ownsBlogger } from '../../db/queries/bloggers';
import { historyOfVideo, latestVideosPage } from '../../db/queries/videoHistory';
import { withTenant } from '../../db/tenant';
import type { VideoHistory } from '../../db/models';
import { BLOGGER_CACHE_TTL_SECONDS, bloggerCacheKey, bloggerCacheVersionKey } from '../../lib/domain/cacheKeys';
import { NotFoundError } from '../../lib/errors';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';

type Owner = Pick<AuthUser, 'id'>;

/**
 * A cached answer about one blogger, for its owner only. The entry records the owner it was
 * computed for (under row-level security, after the ownership check), so a hit for that owner is
 * served without PostgreSQL (no transaction, no tenant setting: the hot path of a polling client,
 * issue 13); anyone else, and every miss, goes through the ownership check (a 404 for another
 * tenant's id) and computes. Deleting a blogger retires its entries (service.ts).
 */
async function cachedForOwner<T>(
  { db, redis }: { db: Knex; redis: Redis },
  owner: Owner,
  bloggerId: number,
  variant: string,
  compute: (trx: Knex) => Promise<T>,
): Promise<T> {
  let key: string | undefined;
  try {
    // The version and the entry it names in one round trip (the key's shape is cacheKeys.ts's).
    const [keyBefore, keyAfter] = bloggerCacheKey(bloggerId, VERSION_SLOT, variant).split(VERSION_SLOT);
    const [version, hit] = (await redis.eval(LOOKUP_SCRIPT, 1, bloggerCacheVersionKey(bloggerId), keyBefore!, keyAfter!)) as [
      string,
      string | null,
    ];
    key = bloggerCacheKey(bloggerId, version, variant);
    const entry = hit ? (JSON.parse(hit) as Partial<{ owner: number; value: T }>) : null;
    if (entry && entry.owner === owner.id && 'value' in entry) return entry.value as T;
  } catch {
    // Redis down: compute without the cache.
  }
  const value = await forOwnBlogger(db, owner, bloggerId, compute);
  if (key) await redis.set(key, JSON.stringify({ owner: owner.id, value }), 'EX', BLOGGER_CACHE_TTL_SECONDS).catch(() => undefined);
  return value;
}

/** Where the version goes in a cache key, for the lookup script to fill in. */
const VERSION_SLOT = '\u0000';
/** KEYS[1]: the blogger's version key; ARGV: the entry key around its version. Returns [version, entry or nil]. */
const LOOKUP_SCRIPT = `local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}`;

/** Runs `work` for the owner's blogger, or 404 (another tenant's id included). */
function forOwnBlogger<T>(db: Knex, owner: Owner, bloggerId: number, work: (trx: Knex) => Promise<T>): Promise<T> {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    if (!(await ownsBlogger(trx, owner.id, bloggerId))) throw new NotFoundError('Blogger');
    return work(trx);
  });
}

/** The metrics of one history row as the API shows them (unknown values as null). */
function metricsOf(r: Pick<VideoHistory, 'views' | 'likes' | 'comments' | 'shares' | 'engagementRate' | 'viralScore'>) {
  return {
    views: r.views,
    likes: r.likes,
    comments: r.comments,
    shares: r.shares,
    engagementRate: r.engagementRate ?? null,
    viralScore: r.viralScore ?? null,
  };
}

export function statsOf(deps: { db: Knex; redis: Redis; clock: Clock }, owner: Owner, bloggerId: number) {
  return cachedForOwner(deps, owner, bloggerId, 'stats', (trx) => bloggerStats(trx, bloggerId, deps.clock.date()));
}

export function dailySeriesCsv(deps: { db: Knex; clock: Clock }, owner: Owner, bloggerId: number): Promise<string> {
  return forOwnBlogger(deps.db, owner, bloggerId, async (trx) =>
    stringify(await dailySeries(trx, bloggerId, deps.clock.date()), {
      header: true,
      columns: ['day', 'views', 'likes', 'comments', 'shares'],
    }),
  );
}

export function videosOf(deps: { db: Knex; redis: Redis }, owner: Owner, bloggerId: number, page: number, limit: number) {
  return cachedForOwner(deps, owner, bloggerId, `videos:${page}:${limit}`, async (trx) => {
    const { rows, total } = await latestVideosPage(trx, bloggerId, page, limit);
    const data = rows.map((r) => ({
      platform: r.platform,
      videoId: r.platformVideoId,
      title: r.title ?? null,
      url: r.videoUrl ?? null,
      publishedAt: r.publishedAt ?? null,
      ...metricsOf(r),
      lastFetchedAt: r.fetchedAt,
    }));
    return toPage(data, total, page, limit);
  });
}

export function historyOf(deps: { db: Knex }, owner: Owner, bloggerId: number, videoId: string) {
  return forOwnBlogger(deps.db, owner, bloggerId, async (trx) => {
    const rows = await historyOfVideo(trx, bloggerId, videoId);
    if (rows.length === 0) throw new NotFoundError('Video');
    return rows.map((r) => ({
      fetchedAt: r.fetchedAt.toISOString(),
      ...metricsOf(r),
    }));
  });
}

export function historyCsv(history: Awaited<ReturnType<typeof historyOf>>): string {
  return stringify(history, {
    header: true,
    columns: ['fetchedAt', 'views', 'likes', 'comments', 'shares', 'engagementRate', 'viralScore'],
  });
}
