/**
 * Blogger sync activities. Tenant rows are written in withTenant() with the owner's id, so
 * row-level security holds for the worker too. Idempotent: a retry of one sync writes the same
 * (video, fetched_at) rows, which the unique key ignores, and counts only rows really written
 * against the owner's daily video budget.
 */
import type { Knex } from 'knex';
import { Blogger, UsageDaily, UserLimit, User, type Platform, type PlatformLink } from '../db/models';
import { withTenant } from '../db/tenant';
import { bloggerCacheVersionKey } from '../lib/domain/cacheKeys';
import { engagementRate, viralScore } from '../lib/domain/metrics';
import { budgetDay, isDue } from '../lib/domain/syncCadence';
import { PlatformError } from '../platforms/errors';
import type { CreatorRef, Video } from '../platforms/types';
import type { ActivityDeps } from './deps';
import { toActivityFailure } from './failures';

export interface SyncRequest {
  bloggerId: number;
  userId: number;
  /** The sync's planned time (workflow time): the fetched_at of every row it writes. */
  syncAt: string;
  lookbackMs: number;
  maxVideos: number;
}

export interface SyncOutcome {
  /** The blogger (or its owner) no longer exists: the workflow ends. */
  deleted: boolean;
  /** The blogger is deactivated or its owner disabled: no platform was called, the workflow ends. */
  inactive?: boolean;
  fetched: number;
  due: number;
  budgetLeft: number | null;
  /** Over the daily budget: wait until this instant (the next budget day). */
  budgetResetsAt: string | null;
  linkErrors: Partial<Record<Platform, string>>;
  /** Platforms skipped this time to leave other tenants their share of the quota, with why. */
  deferred: Partial<Record<Platform, string>>;
}

interface VideoHistoryRow {
  platform: string;
  platformVideoId: string;
  publishedAt: Date | null;
  fetchedAt: Date;
  title: string | null;
  videoUrl: string | null;
}

/** Rough platform calls one sync of one creator costs: listing pages plus stats batches. */
const CALLS_PER_SYNC = { youtube: (videos: number) => 2 + Math.ceil(videos / 50), tiktok: (videos: number) => 1 + Math.ceil(videos / 100), instagram: () => 1 } as const;

async function loadBlogger(trx: Knex, bloggerId: number, userId: number): Promise<Blogger | undefined> {
  return Blogger.query(trx).findById(bloggerId).where('userId', userId);
}

/**
 * Loads the blogger for a sync step and tells whether it may call platforms: a deactivated
 * blogger or a disabled owner stops syncing (the workflow ends; the reconciler restarts it once
 * both are active again), and its next sync time is cleared.
 */
async function loadForSync(db: Knex, bloggerId: number, userId: number): Promise<{ blogger?: Blogger; inactive: boolean }> {
  return withTenant(db, { userId }, async (trx) => {
    const blogger = await loadBlogger(trx, bloggerId, userId);
    if (!blogger) return { inactive: false };
    const owner = await User.query(trx).findById(userId).select('isActive');
    if (blogger.isActive && owner?.isActive) return { blogger, inactive: false };
    await Blogger.query(trx).where({ id: bloggerId, userId }).patch({ nextSyncAt: null, syncStatus: 'idle' });
    return { blogger, inactive: true };
  });
}

/** Reserves up to `wanted` videos of today's budget for the user (row-locked, so parallel syncs share it). */
async function reserveBudget(trx: Knex, userId: number, day: string, wanted: number): Promise<{ granted: number; left: number | null }> {
  const user = await User.query(trx).findById(userId).select('plan');
  const limits = user ? await UserLimit.query(trx).findById(user.plan) : undefined;
  const limit = limits?.maxVideosPerDay ?? 0;
  await trx.raw('insert into usage_daily (user_id, day) values (?, ?) on conflict (user_id, day) do nothing', [userId, day]);
  const usage = await UsageDaily.query(trx).where({ userId, day }).forUpdate().first();
  const used = usage?.videosFetched ?? 0;
  if (limit < 0) return { granted: wanted, left: null };
  const granted = Math.max(0, Math.min(wanted, limit - used));
  return { granted, left: limit - used - granted };
}

export function createBloggerActivities({ db, redis, platforms, settings, logger }: ActivityDeps) {
  const scale = settings.timeScale;

  /**
   * Plans a sync's platform calls against the quota left: every tenant with active bloggers may
   * use an equal share of what is left today, so one tenant's many bloggers cannot starve the
   * others. Returns why the platform must wait, or null when the sync may call it.
   */
  async function planCalls(platform: Platform, maxVideos: number): Promise<string | null> {
    const left = await platforms.quotaLeft(platform);
    if (left === null) return null;
    const tenants = await withTenant(db, { admin: true }, async (trx) =>
      Number((await trx('bloggers').where('isActive', true).countDistinct('userId as n').first())?.n ?? 1));
    const share = Math.floor(left / Math.max(1, tenants));
    const needed = CALLS_PER_SYNC[platform](maxVideos);
    return share >= needed ? null : `${platform}: a fair share of the ${left} calls left today across ${tenants} tenants is ${share}; a sync needs about ${needed}`;
  }

  /**
   * Videos older than the listing window still get their (daily) refresh: known videos that are
   * due are fetched by id through the batcher, which packs them into few platform calls.
   */
  async function refreshOlderVideos(req: SyncRequest, syncAt: Date, listed: Video[], blogger: Blogger, deferred: SyncOutcome['deferred']): Promise<Video[]> {
    const listedKeys = new Set(listed.map((v) => `${v.platform}:${v.id}`));
    const known = await withTenant(db, { userId: req.userId }, (trx) =>
      trx('video_history').distinctOn(['platform', 'platformVideoId']).where('bloggerId', req.bloggerId)
        .orderBy([{ column: 'platform' }, { column: 'platformVideoId' }, { column: 'fetchedAt', order: 'desc' }])) as VideoHistoryRow[];
    const due = known.filter((r) => {
      const platform = r.platform as Platform;
      if (listedKeys.has(`${platform}:${r.platformVideoId}`) || deferred[platform] || blogger.platformLinks?.[platform]?.state !== 'ok') return false;
      const ageMs = (syncAt.getTime() - new Date(r.publishedAt ?? r.fetchedAt).getTime()) * scale;
      return isDue(ageMs, (syncAt.getTime() - new Date(r.fetchedAt).getTime()) * scale);
    }).slice(0, req.maxVideos);
    const settled = await Promise.allSettled(due.map((r) => platforms.stats(r.platform as Platform).get(r.platformVideoId)));
    const refreshed: Video[] = [];
    settled.forEach((result, i) => {
      const row = due[i]!;
      if (result.status === 'rejected') {
        if (result.reason instanceof PlatformError && result.reason.kind === 'not_found') return; // deleted or private: nothing to add
        throw toActivityFailure(result.reason);
      }
      refreshed.push({
        ...result.value, creatorId: '', creatorName: null, title: row.title ?? null, description: null, url: row.videoUrl ?? null,
        publishedAt: new Date(row.publishedAt ?? row.fetchedAt).toISOString(), durationSeconds: null, hashtags: [], topics: [], soundId: null, format: null,
      });
    });
    return refreshed;
  }

  return {
    /** Resolves pending platform links; a link that cannot resolve is marked broken with the platform's reason. */
    async resolveBloggerLinks({ bloggerId, userId }: { bloggerId: number; userId: number }): Promise<{ deleted: boolean; inactive?: boolean; ok: Platform[] }> {
      const { blogger, inactive } = await loadForSync(db, bloggerId, userId);
      if (!blogger) return { deleted: true, ok: [] };
      if (inactive) return { deleted: false, inactive: true, ok: [] };
      const links = { ...blogger.platformLinks } as Record<Platform, PlatformLink & { ref?: CreatorRef }>;
      for (const [platform, link] of Object.entries(links) as [Platform, PlatformLink & { ref?: CreatorRef }][]) {
        if (link.state !== 'pending' || !link.ref) continue;
        if (!platforms.enabled.includes(platform)) {
          links[platform] = { ...link, state: 'broken', reason: `${platform} is not enabled on this server` };
          continue;
        }
        try {
          const creator = await platforms.client(platform).resolveCreator(link.ref);
          links[platform] = { ...link, state: 'ok', resolvedId: creator.id, checkedAt: creator.fetchedAt };
        } catch (err) {
          if (!(err instanceof PlatformError) || err.retryable) throw toActivityFailure(err);
          links[platform] = { ...link, state: 'broken', reason: err.message, checkedAt: new Date().toISOString() };
        }
      }
      await withTenant(db, { userId }, (trx) => Blogger.query(trx).patch({ platformLinks: links }).where({ id: bloggerId, userId }));
      return { deleted: false, ok: (Object.keys(links) as Platform[]).filter((p) => links[p]!.state === 'ok') };
    },

    /** Pulls the blogger's recent videos and writes a history row for each one that is due. */
    async syncBloggerVideos(req: SyncRequest): Promise<SyncOutcome> {
      const syncAt = new Date(req.syncAt);
      const { blogger, inactive } = await loadForSync(db, req.bloggerId, req.userId);
      if (!blogger || inactive) return { deleted: !blogger, inactive, fetched: 0, due: 0, budgetLeft: null, budgetResetsAt: null, linkErrors: {}, deferred: {} };

      const videos: Video[] = [];
      const linkErrors: SyncOutcome['linkErrors'] = {};
      const deferred: SyncOutcome['deferred'] = {};
      for (const [platform, link] of Object.entries(blogger.platformLinks ?? {}) as [Platform, PlatformLink][]) {
        if (link.state !== 'ok' || !link.resolvedId || !platforms.enabled.includes(platform)) continue;
        const plan = await planCalls(platform, req.maxVideos);
        if (plan) {
          deferred[platform] = plan;
          continue;
        }
        try {
          videos.push(...(await platforms.client(platform).listCreatorVideos(link.resolvedId, { since: new Date(syncAt.getTime() - req.lookbackMs), limit: req.maxVideos })));
        } catch (err) {
          if (err instanceof PlatformError && !err.retryable && err.kind !== 'quota_exhausted') linkErrors[platform] = err.message;
          else throw toActivityFailure(err);
        }
      }

      videos.push(...(await refreshOlderVideos(req, syncAt, videos, blogger, deferred)));

      const { day, nextDayAt } = budgetDay(syncAt.getTime(), scale);
      return withTenant(db, { userId: req.userId }, async (trx) => {
        const last = await trx('video_history').select('platform', 'platformVideoId').max('fetchedAt as lastFetchedAt')
          .where('bloggerId', req.bloggerId).groupBy('platform', 'platformVideoId') as { platform: string; platformVideoId: string; lastFetchedAt: Date }[];
        const lastFetch = new Map(last.map((r) => [`${r.platform}:${r.platformVideoId}`, new Date(r.lastFetchedAt).getTime()]));
        const due = videos.filter((v) => {
          const previous = lastFetch.get(`${v.platform}:${v.id}`);
          if (previous !== undefined && previous >= syncAt.getTime()) return false; // this sync already wrote it
          const ageMs = (syncAt.getTime() - Date.parse(v.publishedAt)) * scale;
          return isDue(ageMs, previous === undefined ? null : (syncAt.getTime() - previous) * scale);
        });
        const { granted, left } = await reserveBudget(trx, req.userId, day, due.length);
        const taken = due.slice(0, granted);

        // Viral score: views against the median of the blogger's videos of a comparable age.
        const ageOf = (v: Video) => syncAt.getTime() - Date.parse(v.publishedAt);
        const rows = taken.map((v) => {
          const peers = videos.filter((p) => p !== v && p.metrics.views !== null && ageOf(p) >= ageOf(v) / 2 && ageOf(p) <= ageOf(v) * 2).map((p) => p.metrics.views!);
          return {
            userId: req.userId, bloggerId: req.bloggerId, platform: v.platform, platformVideoId: v.id, videoUrl: v.url, title: v.title ?? v.description?.slice(0, 300) ?? null,
            publishedAt: new Date(v.publishedAt), views: v.metrics.views, likes: v.metrics.likes, comments: v.metrics.comments, shares: v.metrics.shares,
            engagementRate: engagementRate(v.metrics), viralScore: viralScore(v.metrics.views, peers), fetchedAt: syncAt,
          };
        });
        const inserted = rows.length
          ? await trx('video_history').insert(rows).onConflict(['bloggerId', 'platform', 'platformVideoId', 'fetchedAt']).ignore().returning('id')
          : [];
        if (inserted.length) await trx('usage_daily').where({ userId: req.userId, day }).increment('videosFetched', inserted.length);
        // New data retires the blogger's cached responses (a failed bump only leaves them until their TTL).
        if (inserted.length) await redis.incr(bloggerCacheVersionKey(req.bloggerId)).catch(() => undefined);

        const exhausted = granted < due.length;
        await Blogger.query(trx).where({ id: req.bloggerId, userId: req.userId }).patch({
          lastSyncedAt: syncAt,
          syncStatus: 'idle',
          ...(Object.keys(linkErrors).length
            ? { platformLinks: Object.fromEntries(Object.entries(blogger.platformLinks).map(([p, l]) => [p, linkErrors[p as Platform] ? { ...l, state: 'broken', reason: linkErrors[p as Platform] } : l])) }
            : {}),
        });
        logger.info({ bloggerId: req.bloggerId, due: due.length, written: inserted.length, budgetLeft: left }, 'blogger sync');
        return {
          deleted: false, fetched: inserted.length, due: due.length, budgetLeft: left,
          budgetResetsAt: exhausted ? new Date(nextDayAt).toISOString() : null, linkErrors, deferred,
        };
      });
    },

    /** Records when the next sync is planned (shown by GET /api/bloggers/:id). */
    async planNextBloggerSync({ bloggerId, userId, nextSyncAt, status }: { bloggerId: number; userId: number; nextSyncAt: string | null; status: Blogger['syncStatus'] }) {
      await withTenant(db, { userId }, async (trx) => {
        await Blogger.query(trx).where({ id: bloggerId, userId }).patch({ nextSyncAt: nextSyncAt ? new Date(nextSyncAt) : null, syncStatus: status });
        // A blogger deactivated meanwhile announces no next sync (its workflow is ending).
        await Blogger.query(trx).where({ id: bloggerId, userId, isActive: false }).patch({ nextSyncAt: null });
      });
    },
  };
}
