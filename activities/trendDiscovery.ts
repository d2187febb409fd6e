/**
 * Trend Watch discovery: the broad pass (each platform's fresh videos: charts, a broad search)
 * and following rising signals (a hashtag, sound or keyword a few creators have just started to
 * use gets a targeted query, within the quota the plan of lib/domain/discoveryPlan.ts allows).
 * Both record new videos the same way (ON CONFLICT DO NOTHING: a known video is never
 * re-monitored). A manual (user-triggered) run may spend only its share of each daily bucket, so
 * however often users trigger it, the scheduled runs keep the rest (e.g. YouTube's 100 search calls).
 */
import type { Redis } from 'ioredis';
import { followCandidates } from '../db/queries/trendSignals';
import { insertDiscoveredVideos } from '../db/queries/trendVideos';
import { followBudget, followKey, planFollows, type FollowBudget, type FollowRecord } from '../lib/domain/discoveryPlan';
import { titleKeywords } from '../lib/domain/keywords';
import { TrendVideoState } from '../lib/domain/trendVideoStatus';
import { withQuotaScope } from '../platforms/quota';
import type { PlatformName, Signal, Video } from '../platforms/types';
import type { FollowSignalsResult, SignalFollow } from '../temporal/contract';
import type { ActivityDeps } from './deps';
import { platformCall } from './failures';

/** Most videos one targeted query brings (one YouTube search page, one TikTok request). */
export const TARGETED_QUERY_LIMIT = 50;
/** Rising signals a run considers before the plan picks what its budget allows. */
const CANDIDATES = 50;
/** A follow that found nothing new waits this many discovery runs before it counts fully again. */
const COOLDOWN_RUNS = 3;
/** The memory of follows outlives any fresh window worth following. */
const FOLLOWS_TTL_SECONDS = 14 * 86_400;

export const followsKey = (platform: PlatformName) => `trend:follows:${platform}`;

/**
 * A discovered video's row; `evidence: false` keeps it out of trend evidence (see recordFresh).
 * `discoveredAt` is data time (the clock's now), like the video's publish time beside it.
 */
export function toRow(video: Video, { evidence = true, discoveredAt }: { evidence?: boolean; discoveredAt: Date }) {
  return {
    platform: video.platform,
    platformVideoId: video.id,
    creatorId: video.creatorId,
    creatorName: video.creatorName,
    title: video.title,
    description: video.description?.slice(0, 5000) ?? null,
    videoUrl: video.url,
    publishedAt: new Date(video.publishedAt),
    hashtags: video.hashtags,
    topics: video.topics,
    // TikTok videos have no title: their description is what they say.
    keywords: titleKeywords(video.title ?? video.description, video.hashtags),
    soundId: video.soundId,
    format: video.format,
    durationSeconds: video.durationSeconds,
    initialViews: video.metrics.views,
    currentViews: video.metrics.views,
    currentLikes: video.metrics.likes,
    currentComments: video.metrics.comments,
    currentShares: video.metrics.shares,
    status: TrendVideoState.monitoring,
    evidence,
    discoveredAt,
  };
}

const MANUAL = 'manual';

/** Runs platform work under the manual share of each bucket when a user triggered the run. */
function inDiscoveryScope<T>(settings: ActivityDeps['settings'], manual: boolean | undefined, work: () => Promise<T>): Promise<T> {
  return manual ? withQuotaScope({ capped: { name: MANUAL, share: settings.manualDiscoveryShare } }, work) : work();
}

/**
 * Records the videos published after `publishedAfter`; how many were new. `evidence: false` for
 * the page of a follow that came back full: a dense name's newest slice, which would fill the
 * recent window of every name it carries (migration 20261130070000).
 */
async function recordFresh(
  { db, clock }: Pick<ActivityDeps, 'db' | 'clock'>,
  videos: Video[],
  publishedAfter: number,
  limit: number,
  { evidence = true }: { evidence?: boolean } = {},
): Promise<number> {
  const fresh = videos.filter((v) => Date.parse(v.publishedAt) > publishedAfter).slice(0, limit);
  return fresh.length === 0
    ? 0
    : insertDiscoveredVideos(
        db,
        fresh.map((v) => toRow(v, { evidence, discoveredAt: clock.date() })),
      );
}

/**
 * Fresh videos of one platform (its broad discovery); records the ones not known yet. Fresh means
 * published within the fresh window before data time now (runs recorded before data time existed
 * passed a `publishedAfter` of their own; it is no longer read).
 */
export async function discoverTrendVideos(
  { db, logger, platforms, settings, clock }: Pick<ActivityDeps, 'db' | 'logger' | 'platforms' | 'settings' | 'clock'>,
  { platform, limit, manual }: { platform: PlatformName; publishedAfter?: string; limit: number; manual?: boolean },
) {
  const publishedAfter = clock.now() - settings.freshWindowMs;
  const videos = await platformCall(clock, () =>
    inDiscoveryScope(settings, manual, () => platforms.client(platform).discoverFresh({ publishedAfter: new Date(publishedAfter), limit })),
  );
  const inserted = await recordFresh({ db, clock }, videos, publishedAfter, limit);
  if (inserted > 0) logger.info({ platform, found: videos.length, inserted }, 'trend discovery');
  return { found: videos.length, inserted };
}

/** The last follow of each candidate, from the platform's follow memory in Redis. */
async function lastFollows(redis: Redis, platform: PlatformName, signals: Signal[]): Promise<Map<string, FollowRecord>> {
  if (signals.length === 0) return new Map();
  const keys = signals.map(followKey);
  const values = await redis.hmget(followsKey(platform), ...keys);
  const found = new Map<string, FollowRecord>();
  values.forEach((value, i) => {
    if (value) found.set(keys[i]!, JSON.parse(value) as FollowRecord);
  });
  return found;
}

async function rememberFollow(redis: Redis, platform: PlatformName, signal: Signal, record: FollowRecord): Promise<void> {
  await redis
    .multi()
    .hset(followsKey(platform), followKey(signal), JSON.stringify(record))
    .expire(followsKey(platform), FOLLOWS_TTL_SECONDS)
    .exec();
}

/**
 * What this run may spend on targeted queries: YouTube's search calls left today spread over the
 * runs left (after the manual share still unspent), elsewhere TREND_TARGETED_QUERIES_PER_RUN.
 */
async function budgetFor(
  { platforms, settings, clock }: Pick<ActivityDeps, 'platforms' | 'settings' | 'clock'>,
  platform: PlatformName,
  manual: boolean,
): Promise<FollowBudget> {
  const perRunCap = settings.targetedQueriesPerRun;
  const bucket = platforms.searchBucket(platform);
  if (!bucket) return followBudget({ perRunCap });
  const [usage, manualUsage] = await Promise.all([
    platforms.ledger.usage(bucket),
    platforms.ledger.cappedUsage(bucket, { name: MANUAL, share: settings.manualDiscoveryShare }),
  ]);
  return followBudget({
    perRunCap,
    bucket: { limit: usage.limit, remaining: usage.remaining, resetAt: Date.parse(usage.resetAt) },
    now: clock.now(),
    // Settings hold real timer lengths (divided by TIME_SCALE); the plan works in data time.
    runIntervalMs: clock.dataDuration(settings.discoveryIntervalMs),
    manualShare: settings.manualDiscoveryShare,
    manualUsed: manualUsage.used,
    manual,
  });
}

/**
 * Follows the rising signals of one platform: reads them and new names (followCandidates), plans which this run
 * can afford (strongest and growing evidence first), runs one targeted query per planned signal
 * and records the new videos. Fresh means published within the fresh window before data time
 * now. One query failing (quota, outage) is recorded in its plan entry and the others still run.
 */
export async function followRisingSignals(
  deps: Pick<ActivityDeps, 'db' | 'logger' | 'redis' | 'platforms' | 'settings' | 'clock'>,
  { platform, manual = false }: { platform: PlatformName; manual?: boolean },
): Promise<FollowSignalsResult> {
  const { db, logger, redis, platforms, settings, clock } = deps;
  const client = platforms.client(platform);
  const kinds = client.capabilities.searchBy;
  if (kinds.length === 0)
    return {
      plan: [],
      skipped: 0,
      budget: { queries: 0, basis: `${platform} cannot be searched by signal` },
      quota: { spent: 0, left: null },
    };

  const now = clock.now();
  const publishedAfter = now - settings.freshWindowMs;
  const budget = await budgetFor(deps, platform, manual);
  const { rising, newNames } = await followCandidates(
    db,
    { at: new Date(now), windowMs: settings.analysisWindowMs, platform, limit: CANDIDATES },
    settings,
  );
  const candidates = [...rising, ...newNames].filter((s) => kinds.includes(s.kind));
  const runIntervalMs = clock.dataDuration(settings.discoveryIntervalMs);
  const plan = planFollows({
    candidates,
    followed: await lastFollows(redis, platform, candidates),
    budget: budget.queries,
    now,
    cooldownMs: COOLDOWN_RUNS * runIntervalMs,
  });

  const bucket = platforms.searchBucket(platform);
  const usedBefore = bucket ? (await platforms.ledger.usage(bucket)).used : 0;
  const limit = Math.min(TARGETED_QUERY_LIMIT, settings.discoveryCap);
  const followed: SignalFollow[] = [];
  for (const { kind, name, reason, creators } of plan.follow) {
    const signal = { kind, name };
    try {
      const videos = await inDiscoveryScope(settings, manual, () =>
        client.searchFresh({ signal, publishedAfter: new Date(publishedAfter), limit }),
      );
      // A page short of the limit is the name's whole fresh history: fair evidence for every window.
      const inserted = await recordFresh(deps, videos, publishedAfter, limit, { evidence: videos.length < limit });
      await rememberFollow(redis, platform, signal, { at: now, creators, inserted });
      followed.push({ kind, name, reason, found: videos.length, inserted });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.warn({ platform, kind, name, err: message }, 'following a rising signal failed');
      followed.push({ kind, name, reason, found: 0, inserted: 0, error: message });
    }
  }

  const after = bucket ? await platforms.ledger.usage(bucket) : null;
  const result: FollowSignalsResult = {
    plan: followed,
    skipped: plan.skipped,
    budget,
    quota: after ? { spent: after.used - usedBefore, left: after.remaining } : { spent: followed.length, left: null },
  };
  logger.info(
    { platform, followed: followed.length, inserted: followed.reduce((n, f) => n + f.inserted, 0), quota: result.quota },
    'followed rising signals',
  );
  return result;
}

export function createTrendDiscoveryActivities(deps: ActivityDeps) {
  return {
    discoverTrendVideos: (input: Parameters<typeof discoverTrendVideos>[1]) => discoverTrendVideos(deps, input),
    followRisingSignals: (input: Parameters<typeof followRisingSignals>[1]) => followRisingSignals(deps, input),
  };
}
