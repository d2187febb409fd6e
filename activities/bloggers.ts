/**
 * Blogger sync activities. Tenant rows are written in withTenant() with the owner's id, so
 * row-level security holds for the worker too. Idempotent: each row's fetched_at is when the
 * platform answered (after the sync's planned time), so a retry of one sync finds the rows it
 * already wrote (fetched at or after syncAt) and skips those videos; the unique key
 * (video, fetched_at) backs it up. Only rows really written count against the daily budget.
 */
import type { Blogger, PlatformLink } from '../db/models';
import type { PlatformName } from '../lib/domain/platforms';
import { clearNextSyncIfInactive, findOwnedBlogger, isUserActive, patchOwnedBlogger } from '../db/queries/bloggers';
import { tenantQuota } from '../db/queries/platformQuota';
import { countFetchedVideos, reserveVideoBudget, videoBudgetSpent } from '../db/queries/usage';
import { insertVideoHistory, latestHistoryPerVideo, type VideoHistoryRow } from '../db/queries/videoHistory';
import { withTenant } from '../db/tenant';
import { engagementRate, viralScore } from '../lib/domain/metrics';
import { budgetDay, isDue, syncCallEstimate } from '../lib/domain/syncCadence';
import { retireBloggerCache } from '../lib/redis';
import { PlatformError } from '../platforms/errors';
import { outsideQuotaScope, withQuotaScope } from '../platforms/quota';
import type { CreatorRef, Video } from '../platforms/types';
import { dataDay, dispatchFirings, lookUpFollowers, newlyBrokenLinks, recordFirings, syncAlertCandidates, type AlertDeps } from './alerts';
import { withLinkEvents, withSyncEvents } from './bloggerEvents';
import type { ActivityDeps } from './deps';
import { toActivityFailure } from './failures';

export interface SyncRequest {
  bloggerId: number;
  userId: number;
  /** The sync's planned time (workflow time); each row's fetched_at is its platform answer's time, which comes after it. */
  syncAt: string;
  lookbackMs: number;
  maxVideos: number;
  /** The sync's interval: with it, the fair share estimates what each tenant still needs today. */
  syncIntervalMs?: number;
}

export interface SyncOutcome {
  /** The blogger (or its owner) no longer exists: the workflow ends. */
  deleted: boolean;
  /** The blogger is deactivated or its owner disabled: no platform was called, the workflow ends. */
  inactive?: boolean;
  fetched: number;
  due: number;
  budgetLeft: number | null;
  /** Over the daily budget: wait until this real instant (the next budget day, for the workflow's timer). */
  budgetResetsAt: string | null;
  linkErrors: Partial<Record<PlatformName, string>>;
  /** Platforms skipped this time to leave other tenants their share of the quota, with why. */
  deferred: Partial<Record<PlatformName, string>>;
}

/** A link refused for its credentials is tried again this often (data time), until an operator fixes them. */
const REAUTH_RETRY_MS = 3_600_000;

/**
 * How a platform error leaves a link: a real not-found (or a bug) breaks it for good; a spent
 * quota or refused credentials break it only until the quota resets or the next periodic retry.
 */
function brokenLink(link: PlatformLink, err: PlatformError, now: Date): PlatformLink {
  const { retryAt: _, ...rest } = link;
  const later = new Date(now.getTime() + REAUTH_RETRY_MS).toISOString();
  const retryAt = err.kind === 'quota_exhausted' ? (err.info.resetAt ?? later) : err.kind === 'reauth' ? later : undefined;
  return { ...rest, state: 'broken', reason: err.message, checkedAt: now.toISOString(), ...(retryAt ? { retryAt } : {}) };
}

/** Whether a link is to be resolved now: new or changed, or broken for a reason that has passed. */
function needsResolving(link: PlatformLink, now: Date): boolean {
  return link.state === 'pending' || (link.state === 'broken' && link.retryAt !== undefined && Date.parse(link.retryAt) <= now.getTime());
}

/** A link that works again: no reason, no retry time. */
function healthy(link: PlatformLink, patch: Partial<PlatformLink>): PlatformLink {
  const { retryAt: _, reason: __, ...rest } = link;
  return { ...rest, ...patch, state: 'ok' };
}

/**
 * Loads the blogger for a sync step and tells whether it may call platforms: a deactivated
 * blogger or a disabled owner stops syncing (the workflow ends; the reconciler restarts it once
 * both are active again), and its next sync time is cleared.
 */
async function loadForSync(db: ActivityDeps['db'], bloggerId: number, userId: number): Promise<{ blogger?: Blogger; inactive: boolean }> {
  return withTenant(db, { userId }, async (trx) => {
    const blogger = await findOwnedBlogger(trx, userId, bloggerId);
    if (!blogger) return { inactive: false };
    if (blogger.isActive && (await isUserActive(trx, userId))) return { blogger, inactive: false };
    await patchOwnedBlogger(trx, userId, bloggerId, { nextSyncAt: null, syncStatus: 'idle' });
    return { blogger, inactive: true };
  });
}

type PlatformDeps = Pick<ActivityDeps, 'db' | 'platforms' | 'clock'>;

/**
 * Plans a sync's platform calls against the tenant's fair share of the day's quota (fairShare in
 * platforms/quota.ts: an equal split per tenant, bounded by what the tenant already used, plus
 * what the others are not owed). Returns why the platform must wait, or null when it may be called.
 */
async function planCalls({ db, platforms, clock }: PlatformDeps, platform: PlatformName, req: SyncRequest): Promise<string | null> {
  const bucket = platforms.quotaBucket(platform);
  if (!bucket) return null;
  const needed = syncCallEstimate(platform, req.maxVideos);
  const quota = await tenantQuota(
    db,
    platforms.ledger,
    bucket,
    req.userId,
    // The workflow's interval is a real timer; the quota day is data time.
    req.syncIntervalMs ? { callsPerSync: needed, syncIntervalMs: clock.dataDuration(req.syncIntervalMs) } : undefined,
    clock.now(),
  );
  if (quota.yourAllowance >= needed) return null;
  return (
    `${platform}: your share of today's ${quota.limit} ${quota.bucket} is spent (you used ${quota.usedByYou}; ${quota.tenants} tenant${quota.tenants === 1 ? '' : 's'} share them, ` +
    `${quota.equalSplit} each; ${quota.yourAllowance} left for you, a sync needs about ${needed}); it resumes after ${quota.resetAt}, or sooner if others leave spare`
  );
}

/** Platform calls of a tenant's sync, counted for that tenant in the quota ledger. */
const asTenant = <T>(userId: number, work: () => Promise<T>): Promise<T> => withQuotaScope({ tenantId: userId }, work);

/**
 * Stats for known videos go through the batcher, which packs several tenants' ids into one call:
 * that call is made outside the tenant's quota scope, and each tenant is charged its part.
 */
async function batchedStats({ platforms }: Pick<ActivityDeps, 'platforms'>, userId: number, rows: VideoHistoryRow[]) {
  const settled = await outsideQuotaScope(() => Promise.allSettled(rows.map((r) => platforms.stats(r.platform).get(r.platformVideoId))));
  for (const platform of new Set(rows.map((r) => r.platform))) {
    const bucket = platforms.quotaBucket(platform);
    const ids = rows.filter((r) => r.platform === platform).length;
    if (bucket) await platforms.ledger.chargeTenant(bucket, userId, Math.ceil(ids / platforms.client(platform).capabilities.maxBatchSize));
  }
  return settled;
}

/**
 * Videos older than the listing window still get their (daily) refresh: known videos that are
 * due are fetched by id through the batcher, which packs them into few platform calls.
 */
async function refreshOlderVideos(
  { db, platforms, clock }: PlatformDeps,
  req: SyncRequest,
  syncAt: Date,
  listed: Video[],
  blogger: Blogger,
  deferred: SyncOutcome['deferred'],
): Promise<Video[]> {
  const listedKeys = new Set(listed.map((v) => `${v.platform}:${v.id}`));
  const known = await withTenant(db, { userId: req.userId }, (trx) => latestHistoryPerVideo(trx, req.bloggerId));
  const due = known
    .filter((r) => {
      if (
        listedKeys.has(`${r.platform}:${r.platformVideoId}`) ||
        deferred[r.platform] ||
        blogger.platformLinks?.[r.platform]?.state !== 'ok'
      )
        return false;
      const ageMs = syncAt.getTime() - new Date(r.publishedAt ?? r.fetchedAt).getTime();
      return isDue(ageMs, syncAt.getTime() - new Date(r.fetchedAt).getTime());
    })
    .slice(0, req.maxVideos);
  const settled = await batchedStats({ platforms }, req.userId, due);
  const refreshed: Video[] = [];
  settled.forEach((result, i) => {
    const row = due[i]!;
    if (result.status === 'rejected') {
      // Deleted or private, or out of the platform's reach this time (Instagram: beyond the pages read): nothing to add now.
      if (result.reason instanceof PlatformError && (result.reason.kind === 'not_found' || result.reason.kind === 'unavailable')) return;
      throw toActivityFailure(result.reason, clock);
    }
    refreshed.push({
      ...result.value,
      creatorId: '',
      creatorName: null,
      title: row.title ?? null,
      description: null,
      url: row.videoUrl ?? null,
      publishedAt: new Date(row.publishedAt ?? row.fetchedAt).toISOString(),
      durationSeconds: null,
      hashtags: [],
      topics: [],
      soundId: null,
      format: null,
    });
  });
  return refreshed;
}

/**
 * Resolves pending platform links, and retries links broken by a spent quota or refused
 * credentials once their retry time has come; a link that cannot resolve is marked broken with
 * the platform's reason (and a retry time unless the creator is really not found).
 */
export async function resolveBloggerLinks(
  deps: Pick<ActivityDeps, 'db' | 'platforms' | 'clock'> & AlertDeps,
  { bloggerId, userId }: { bloggerId: number; userId: number },
): Promise<{ deleted: boolean; inactive?: boolean; ok: PlatformName[] }> {
  const { db, platforms, clock } = deps;
  const { blogger, inactive } = await loadForSync(db, bloggerId, userId);
  if (!blogger) return { deleted: true, ok: [] };
  if (inactive) return { deleted: false, inactive: true, ok: [] };
  const now = clock.date();
  const links = { ...blogger.platformLinks } as Record<PlatformName, PlatformLink & { ref?: CreatorRef }>;
  for (const [platform, link] of Object.entries(links) as [PlatformName, PlatformLink & { ref?: CreatorRef }][]) {
    if (!needsResolving(link, now) || (!link.ref && !link.resolvedId)) continue;
    if (!platforms.enabled.includes(platform)) {
      links[platform] = { ...link, state: 'broken', reason: `${platform} is not enabled on this server` };
      continue;
    }
    if (!link.ref) {
      // A resolved link that broke while listing: the sync's own calls show whether it works again.
      links[platform] = healthy(link, {});
      continue;
    }
    try {
      const creator = await asTenant(userId, () => platforms.client(platform).resolveCreator(link.ref!));
      links[platform] = healthy(link, { resolvedId: creator.id, checkedAt: creator.fetchedAt });
    } catch (err) {
      if (!(err instanceof PlatformError) || err.retryable) throw toActivityFailure(err, clock);
      links[platform] = brokenLink(link, err, now);
    }
  }
  // A link that breaks here fires its link_broken rules with the change (alerts: activities/alerts.ts).
  const broken = newlyBrokenLinks(blogger.platformLinks, links, now.toISOString());
  const fired = await withTenant(db, { userId }, async (trx) => {
    await patchOwnedBlogger(trx, userId, bloggerId, { platformLinks: links });
    return recordFirings(
      trx,
      await syncAlertCandidates(
        trx,
        { userId, bloggerId, bloggerName: blogger.name, observedAt: now },
        { videos: [], broken, followers: [], platforms: [] },
      ),
      now,
    );
  });
  await dispatchFirings(deps, fired);
  return { deleted: false, ok: (Object.keys(links) as PlatformName[]).filter((p) => links[p]!.state === 'ok') };
}

/** Lists each usable link's recent videos; a platform over the tenant's share waits, a link the platform refuses breaks. */
async function listRecentVideos(deps: PlatformDeps, req: SyncRequest, syncAt: Date, blogger: Blogger) {
  const { platforms, clock } = deps;
  const videos: Video[] = [];
  const linkErrors: SyncOutcome['linkErrors'] = {};
  const brokenLinks: Partial<Record<PlatformName, PlatformLink>> = {};
  const deferred: SyncOutcome['deferred'] = {};
  for (const [platform, link] of Object.entries(blogger.platformLinks ?? {}) as [PlatformName, PlatformLink][]) {
    if (link.state !== 'ok' || !link.resolvedId || !platforms.enabled.includes(platform)) continue;
    const plan = await planCalls(deps, platform, req);
    if (plan) {
      deferred[platform] = plan;
      continue;
    }
    try {
      const since = new Date(syncAt.getTime() - req.lookbackMs);
      videos.push(
        ...(await asTenant(req.userId, () =>
          platforms.client(platform).listCreatorVideos(link.resolvedId!, { since, limit: req.maxVideos }),
        )),
      );
    } catch (err) {
      if (!(err instanceof PlatformError) || err.retryable || err.kind === 'quota_exhausted') throw toActivityFailure(err, clock);
      linkErrors[platform] = err.message;
      brokenLinks[platform] = brokenLink(link, err, clock.date());
    }
  }
  return { videos, linkErrors, brokenLinks, deferred };
}

/** The history rows of a sync's videos; the viral score compares views with the blogger's videos of a comparable age. */
function historyRows(req: SyncRequest, syncAt: Date, taken: Video[], videos: Video[]) {
  const ageOf = (v: Video) => syncAt.getTime() - Date.parse(v.publishedAt);
  return taken.map((v) => {
    const peers = videos
      .filter((p) => p !== v && p.metrics.views !== null && ageOf(p) >= ageOf(v) / 2 && ageOf(p) <= ageOf(v) * 2)
      .map((p) => p.metrics.views!);
    return {
      userId: req.userId,
      bloggerId: req.bloggerId,
      platform: v.platform,
      platformVideoId: v.id,
      videoUrl: v.url,
      title: v.title ?? v.description?.slice(0, 300) ?? null,
      publishedAt: new Date(v.publishedAt),
      views: v.metrics.views,
      likes: v.metrics.likes,
      comments: v.metrics.comments,
      shares: v.metrics.shares,
      // The moment the platform answered these numbers (the adapter's clock), never the
      // sync's planned time or the write time: growth between rows is measured by it.
      engagementRate: engagementRate(v.metrics),
      viralScore: viralScore(v.metrics.views, peers),
      fetchedAt: new Date(v.fetchedAt),
    };
  });
}

/** Pulls the blogger's recent videos and writes a history row for each one that is due. */
export async function syncBloggerVideos(
  deps: Pick<ActivityDeps, 'db' | 'redis' | 'platforms' | 'logger' | 'clock'> & AlertDeps,
  req: SyncRequest,
): Promise<SyncOutcome> {
  const { db, redis, logger, clock } = deps;
  // The workflow fixes the sync's real instant (a retry writes the same rows); in data time here.
  const syncAt = new Date(clock.at(Date.parse(req.syncAt)));
  const { blogger, inactive } = await loadForSync(db, req.bloggerId, req.userId);
  if (!blogger || inactive)
    return { deleted: !blogger, inactive, fetched: 0, due: 0, budgetLeft: null, budgetResetsAt: null, linkErrors: {}, deferred: {} };

  const { day, nextDayAt } = budgetDay(syncAt.getTime());
  // Nothing can be written today: spend no platform quota finding out what is new.
  if (await withTenant(db, { userId: req.userId }, (trx) => videoBudgetSpent(trx, req.userId, day))) {
    return {
      deleted: false,
      fetched: 0,
      due: 0,
      budgetLeft: 0,
      budgetResetsAt: new Date(clock.realAt(nextDayAt)).toISOString(),
      linkErrors: {},
      deferred: {},
    };
  }

  const { videos, linkErrors, brokenLinks, deferred } = await listRecentVideos(deps, req, syncAt, blogger);
  videos.push(...(await refreshOlderVideos(deps, req, syncAt, videos, blogger, deferred)));
  const followers = await lookUpFollowers(
    deps,
    { userId: req.userId, bloggerId: req.bloggerId, day: dataDay(syncAt) },
    blogger.platformLinks ?? {},
    deferred,
  );

  let fired: Awaited<ReturnType<typeof recordFirings>> = [];
  const outcome = await withTenant(db, { userId: req.userId }, async (trx) => {
    const last = await latestHistoryPerVideo(trx, req.bloggerId).select('platform', 'platformVideoId', 'fetchedAt');
    const lastFetch = new Map(last.map((r) => [`${r.platform}:${r.platformVideoId}`, new Date(r.fetchedAt).getTime()]));
    const due = videos.filter((v) => {
      const previous = lastFetch.get(`${v.platform}:${v.id}`);
      if (previous !== undefined && previous >= syncAt.getTime()) return false; // this sync already wrote it
      const ageMs = syncAt.getTime() - Date.parse(v.publishedAt);
      return isDue(ageMs, previous === undefined ? null : syncAt.getTime() - previous);
    });
    const { granted, left } = await reserveVideoBudget(trx, req.userId, day, due.length);
    const written = await insertVideoHistory(trx, historyRows(req, syncAt, due.slice(0, granted), videos));
    await countFetchedVideos(trx, req.userId, day, written);
    // New data retires the blogger's cached responses.
    if (written) await retireBloggerCache(redis, req.bloggerId);

    const exhausted = granted < due.length;
    await patchOwnedBlogger(trx, req.userId, req.bloggerId, {
      lastSyncedAt: syncAt,
      syncStatus: 'idle',
      ...(Object.keys(brokenLinks).length ? { platformLinks: { ...blogger.platformLinks, ...brokenLinks } } : {}),
    });
    logger.info({ bloggerId: req.bloggerId, due: due.length, written, budgetLeft: left }, 'blogger sync');
    // The sync's facts fire their rules in the same transaction (a retry finds the firings by their dedupe keys).
    fired = await recordFirings(
      trx,
      await syncAlertCandidates(
        trx,
        { userId: req.userId, bloggerId: req.bloggerId, bloggerName: blogger.name, observedAt: syncAt },
        {
          // Every video the sync saw, not only the rows it wrote: a retried sync finds its firings again.
          videos: historyRows(req, syncAt, videos, videos).map((r) => ({ ...r, url: r.videoUrl })),
          broken: newlyBrokenLinks(blogger.platformLinks, brokenLinks, req.syncAt),
          followers,
          platforms: Object.keys(blogger.platformLinks ?? {}) as PlatformName[],
        },
      ),
      syncAt,
    );
    return {
      deleted: false,
      fetched: written,
      due: due.length,
      budgetLeft: left,
      budgetResetsAt: exhausted ? new Date(clock.realAt(nextDayAt)).toISOString() : null,
      linkErrors,
      deferred,
    };
  });
  await dispatchFirings(deps, fired);
  return outcome;
}

/** Records when the next sync is planned (shown by GET /api/bloggers/:id). */
export async function planNextBloggerSync(
  { db, clock }: Pick<ActivityDeps, 'db' | 'clock'>,
  {
    bloggerId,
    userId,
    nextSyncAt,
    status,
  }: { bloggerId: number; userId: number; nextSyncAt: string | null; status: Blogger['syncStatus'] },
): Promise<void> {
  await withTenant(db, { userId }, async (trx) => {
    // The workflow's timer is real; the row speaks data time, like lastSyncedAt.
    const planned = nextSyncAt ? new Date(clock.at(Date.parse(nextSyncAt))) : null;
    await patchOwnedBlogger(trx, userId, bloggerId, { nextSyncAt: planned, syncStatus: status });
    await clearNextSyncIfInactive(trx, userId, bloggerId); // deactivated meanwhile: its workflow is ending
  });
}

export function createBloggerActivities(deps: ActivityDeps) {
  return {
    // Each step's live events (activities/bloggerEvents.ts) go out once its writes are committed.
    resolveBloggerLinks: (input: Parameters<typeof resolveBloggerLinks>[1]) =>
      withLinkEvents(deps, input, () => resolveBloggerLinks(deps, input)),
    syncBloggerVideos: (req: SyncRequest) => withSyncEvents(deps, req, () => syncBloggerVideos(deps, req)),
    planNextBloggerSync: (input: Parameters<typeof planNextBloggerSync>[1]) => planNextBloggerSync(deps, input),
  };
}
