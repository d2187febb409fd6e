/**
 * A blogger sync's live events (GET /api/stream, the owner's audience): synced (with what changed),
 * a new video, a link broken or restored, a quota wait started or ended.
 *
 * They are told from outside the sync's own steps (createBloggerActivities wraps them), once the
 * step's writes are committed, from what the database and the step's result say: the rows the
 * sync wrote (fetched at or after its planned instant, so a retry that wrote nothing new still
 * counts what the first attempt wrote), the links as stored. What a blogger was last told (its
 * links' states, the waits under way) is kept in Redis, so each change is announced once however
 * often Temporal retries a step; the events' keys dedupe the rest (events/publish.ts).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import type { Blogger } from '../db/models';
import { findOwnedBlogger } from '../db/queries/bloggers';
import { withTenant } from '../db/tenant';
import { publishEvent } from '../events/publish';
import type { EventPayloads, QuotaWaitReason } from '../lib/domain/events';
import { PLATFORM_NAMES, type PlatformName } from '../lib/domain/platforms';
import { FAILURE_TYPES } from '../temporal/contract';
import type { SyncOutcome, SyncRequest } from './bloggers';
import type { ActivityDeps } from './deps';

type EventActivityDeps = Pick<ActivityDeps, 'db' | 'redis' | 'logger' | 'clock' | 'sseReplayEvents'>;

/** At most this many `blogger.video_new` events per sync; the `blogger.synced` event counts them all. */
export const MAX_NEW_VIDEO_EVENTS = 20;
/** How long what a blogger was last told is remembered without a sync (a deleted blogger's is dropped). */
const STATE_TTL_SECONDS = 14 * 24 * 3600;

const linksKey = (bloggerId: number) => `events:blogger:${bloggerId}:links`;
const waitsKey = (bloggerId: number) => `events:blogger:${bloggerId}:waits`;

interface Wait {
  reason: QuotaWaitReason;
  platform: PlatformName | null;
  message: string;
  resumesAt: string | null;
}

/** The links step, announced: a link that broke or works again. */
export async function withLinkEvents<T>(
  deps: EventActivityDeps,
  { bloggerId, userId }: { bloggerId: number; userId: number },
  step: () => Promise<T>,
): Promise<T> {
  const result = await announceQuotaFailure(deps, { bloggerId, userId }, step);
  await announceLinks(deps, userId, await loadBlogger(deps, userId, bloggerId));
  return result;
}

/** The sync step, announced: what it brought, its links, and the waits it starts or ends. */
export async function withSyncEvents(deps: EventActivityDeps, req: SyncRequest, step: () => Promise<SyncOutcome>): Promise<SyncOutcome> {
  const outcome = await announceQuotaFailure(deps, req, step);
  if (outcome.deleted || outcome.inactive) return outcome;
  const syncAt = new Date(deps.clock.at(Date.parse(req.syncAt)));
  const blogger = await loadBlogger(deps, req.userId, req.bloggerId);
  if (!blogger) return outcome;
  await announceLinks(deps, req.userId, blogger);

  // The sync ran when it recorded its time; otherwise the day's video budget was spent before it began.
  const ran = blogger.lastSyncedAt !== null && blogger.lastSyncedAt !== undefined && blogger.lastSyncedAt.getTime() >= syncAt.getTime();
  const waits: Wait[] = [];
  if (outcome.budgetResetsAt) {
    waits.push({
      reason: 'video_budget',
      platform: null,
      message: "Today's video budget of your plan is spent: the sync goes on when it resets.",
      resumesAt: outcome.budgetResetsAt,
    });
  }
  for (const [platform, message] of Object.entries(outcome.deferred) as [PlatformName, string][]) {
    waits.push({ reason: 'quota_share', platform, message, resumesAt: null });
  }
  await announceWaits(deps, req, waits, { ended: ran ? 'all' : 'none' });
  if (!ran) return outcome;

  const written = await withTenant(deps.db, { userId: req.userId }, (trx) =>
    trx('videoHistory as h')
      .where('h.bloggerId', req.bloggerId)
      .where('h.fetchedAt', '>=', syncAt)
      .select('h.platform', 'h.platformVideoId', 'h.title', 'h.videoUrl', 'h.publishedAt', 'h.views')
      .select(
        trx.raw(
          'not exists (select 1 from video_history e where e.blogger_id = h.blogger_id and e.platform = h.platform and e.platform_video_id = h.platform_video_id and e.fetched_at < ?) as "isNew"',
          [syncAt],
        ),
      ),
  );
  const fresh = (
    written as {
      platform: PlatformName;
      platformVideoId: string;
      title: string | null;
      videoUrl: string | null;
      publishedAt: Date | null;
      views: number | null;
      isNew: boolean;
    }[]
  ).filter((r) => r.isNew);
  const at = syncAt.toISOString();
  const followers = await followersRead(deps, req, syncAt);
  await publishEvent(deps, {
    type: 'blogger.synced',
    audience: { userId: req.userId },
    key: `blogger.synced:${req.bloggerId}:${at}`,
    data: {
      bloggerId: req.bloggerId,
      name: blogger.name,
      syncedAt: at,
      newVideos: fresh.length,
      updatedVideos: written.length - fresh.length,
      budgetLeft: outcome.budgetLeft,
      deferred: outcome.deferred,
      ...(followers ? { followers } : {}),
    },
  });
  // A blogger's first sync brings its back catalogue: only videos found after it are news.
  const firstSync = await isFirstSync(deps, req.userId, req.bloggerId, syncAt);
  if (firstSync) return outcome;
  for (const video of fresh.slice(0, MAX_NEW_VIDEO_EVENTS)) {
    await publishEvent(deps, {
      type: 'blogger.video_new',
      audience: { userId: req.userId },
      key: `blogger.video_new:${req.bloggerId}:${video.platform}:${video.platformVideoId}`,
      data: {
        bloggerId: req.bloggerId,
        platform: video.platform,
        videoId: video.platformVideoId,
        title: video.title,
        url: video.videoUrl,
        publishedAt: (video.publishedAt ?? syncAt).toISOString(),
        views: video.views,
      },
    });
  }
  return outcome;
}

/**
 * The follower counts this sync read (the first lookup of a data day, made for follower_change
 * alert rules: activities/alerts.ts), each with the change since the day before when that is known.
 */
async function followersRead(
  deps: EventActivityDeps,
  { userId, bloggerId }: { userId: number; bloggerId: number },
  syncAt: Date,
): Promise<EventPayloads['blogger.synced']['followers']> {
  const today = syncAt.toISOString().slice(0, 10);
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const rows = (await withTenant(deps.db, { userId }, (trx) =>
    trx('bloggerFollowerCounts')
      .where('bloggerId', bloggerId)
      .whereIn('day', [today, yesterday])
      .select('platform', 'followers', 'fetchedAt', trx.raw('day::text as day')),
  )) as { platform: PlatformName; followers: number; fetchedAt: Date; day: string }[];
  const read = rows.filter((r) => r.day === today && new Date(r.fetchedAt).getTime() >= syncAt.getTime());
  if (read.length === 0) return undefined;
  return Object.fromEntries(
    read.map((r) => {
      const before = rows.find((p) => p.platform === r.platform && p.day === yesterday);
      return [r.platform, { count: Number(r.followers), change: before ? Number(r.followers) - Number(before.followers) : null }];
    }),
  );
}

/** A step that stops at a spent platform quota starts a wait (the workflow sleeps until the reset). */
async function announceQuotaFailure<T>(
  deps: EventActivityDeps,
  { bloggerId, userId }: { bloggerId: number; userId: number },
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FAILURE_TYPES.quotaExhausted && err.nonRetryable) {
      const platform = PLATFORM_NAMES.find((p) => err.message.startsWith(`${p}:`)) ?? null;
      const resetAt = err.details?.[0];
      await announceWaits(
        deps,
        { bloggerId, userId },
        [{ reason: 'platform_quota', platform, message: err.message, resumesAt: typeof resetAt === 'string' ? resetAt : null }],
        { ended: 'none' },
      );
    }
    throw err;
  }
}

function loadBlogger(deps: EventActivityDeps, userId: number, bloggerId: number): Promise<Blogger | undefined> {
  return withTenant(deps.db, { userId }, (trx) => findOwnedBlogger(trx, userId, bloggerId));
}

/** Whether no earlier sync wrote anything for the blogger (its back catalogue is what this one brought). */
async function isFirstSync(deps: EventActivityDeps, userId: number, bloggerId: number, syncAt: Date): Promise<boolean> {
  const earlier = await withTenant(deps.db, { userId }, (trx) =>
    trx('videoHistory').where('bloggerId', bloggerId).where('fetchedAt', '<', syncAt).first('id'),
  );
  return earlier === undefined;
}

/** Compares each link's state with what was last announced; a change is told once. */
async function announceLinks(deps: EventActivityDeps, userId: number, blogger: Blogger | undefined): Promise<void> {
  if (!blogger) return;
  const { redis } = deps;
  const told = await redis.hgetall(linksKey(blogger.id)).catch(() => null);
  if (!told) return; // Redis down: nothing is announced, and nothing is marked told
  for (const [platform, link] of Object.entries(blogger.platformLinks ?? {}) as [
    PlatformName,
    NonNullable<Blogger['platformLinks'][PlatformName]>,
  ][]) {
    if (link.state === 'pending' || told[platform] === link.state) continue;
    if (!(await claim(redis, linksKey(blogger.id), platform, told[platform], link.state))) continue;
    if (link.state === 'broken') {
      await publishEvent(deps, {
        type: 'blogger.link_broken',
        audience: { userId },
        data: { bloggerId: blogger.id, platform, reason: link.reason ?? 'unknown', retryAt: link.retryAt ?? null },
      });
    } else if (told[platform] === 'broken') {
      await publishEvent(deps, { type: 'blogger.link_restored', audience: { userId }, data: { bloggerId: blogger.id, platform } });
    }
  }
}

/** Starts the waits not under way yet and, when the sync ran (`ended: 'all'`), ends those it no longer has. */
async function announceWaits(
  deps: EventActivityDeps,
  { bloggerId, userId }: { bloggerId: number; userId: number },
  waits: Wait[],
  { ended }: { ended: 'all' | 'none' },
): Promise<void> {
  const { redis } = deps;
  const field = (w: Pick<Wait, 'reason' | 'platform'>) => `${w.reason}:${w.platform ?? '-'}`;
  const now = new Date(deps.clock.now()).toISOString();
  for (const wait of waits) {
    const started = await redis.hsetnx(waitsKey(bloggerId), field(wait), now).catch(() => 0);
    if (!started) continue;
    await redis.expire(waitsKey(bloggerId), STATE_TTL_SECONDS).catch(() => undefined);
    await publishEvent(deps, { type: 'blogger.quota_wait_started', audience: { userId }, data: { bloggerId, ...wait } });
  }
  if (ended === 'none') return;
  const current = new Set(waits.map(field));
  const underWay = await redis.hgetall(waitsKey(bloggerId)).catch(() => ({}) as Record<string, string>);
  for (const [name, since] of Object.entries(underWay)) {
    if (current.has(name) || !(await redis.hdel(waitsKey(bloggerId), name).catch(() => 0))) continue;
    const [reason, platform] = name.split(':') as [QuotaWaitReason, string];
    await publishEvent(deps, {
      type: 'blogger.quota_wait_ended',
      audience: { userId },
      data: { bloggerId, reason, platform: platform === '-' ? null : (platform as PlatformName), waitedSince: since },
    });
  }
}

// KEYS[1]: a blogger's told link states. Sets ARGV[1] to ARGV[3] only if it still reads ARGV[2] ('' = unset).
const CLAIM_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** Moves a told state from `from` to `to` once (two attempts racing: one wins). */
async function claim(redis: Redis, key: string, field: string, from: string | undefined, to: string): Promise<boolean> {
  const won = await redis.eval(CLAIM_SCRIPT, 1, key, field, from ?? '', to, String(STATE_TTL_SECONDS)).catch(() => 0);
  return won === 1;
}
