/**
 * Trend Watch activities: discovery, snapshots, analysis and cleanup. Every one is idempotent,
 * because Temporal may run an activity again after a crash or a timeout:
 *  - discovery inserts with ON CONFLICT DO NOTHING and starts monitors with a fixed workflow id;
 *  - a snapshot's (video, slot) is unique, so a retry finds its row instead of adding one;
 *  - analysis writes one point per (trend, run time) and counts a missed run once per run time;
 *  - cleanup only moves rows forward (live → archived/dropped), and stopping an ended monitor is fine.
 * Statuses are the words of lib/domain/trendVideoStatus.ts and lib/domain/trendLifecycle.ts.
 */
import type { Knex } from 'knex';
import { DetectedTrend, TrendSnapshot, TrendVideo } from '../db/models';
import { acceleration as accelerationOf, sampleAt, trendScore, velocity as velocityOf } from '../lib/domain/metrics';
import { nextTrendStanding, type TrendLifecycleStatus } from '../lib/domain/trendLifecycle';
import {
  isLiveTrendVideoStatus, LIVE_TREND_VIDEO_STATUSES, TrendVideoState, type EndedTrendVideoStatus, type TrendVideoStatus,
} from '../lib/domain/trendVideoStatus';
import { withQuotaScope } from '../platforms/quota';
import type { PlatformName, Video } from '../platforms/types';
import { trendMonitorWorkflowId } from '../temporal/contract';
import { startTrendMonitor, stopTrendMonitor, trendMonitorInput } from '../temporal/starters';
import type { ActivityDeps } from './deps';
import { platformCall } from './failures';

/** Redis channel of live events (SSE fans them out to clients). */
export const EVENTS_CHANNEL = 'blogger-analytics:events';

function toRow(video: Video) {
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
    soundId: video.soundId,
    format: video.format,
    durationSeconds: video.durationSeconds,
    initialViews: video.metrics.views,
    currentViews: video.metrics.views,
    currentLikes: video.metrics.likes,
    currentComments: video.metrics.comments,
    currentShares: video.metrics.shares,
    status: TrendVideoState.monitoring,
  };
}

export function createTrendActivities({ db, logger, redis, platforms, temporal, taskQueue, settings }: ActivityDeps) {
  return {
    /**
     * Fresh videos of one platform; records the ones not known yet (a known video is never
     * re-monitored). A manual (user-triggered) run may spend only its share of each daily bucket,
     * so however often users trigger it, the scheduled runs keep the rest (e.g. YouTube's 100 search calls).
     */
    async discoverTrendVideos({ platform, publishedAfter, limit, manual }: { platform: PlatformName; publishedAfter: string; limit: number; manual?: boolean }) {
      const discover = () => platforms.client(platform).discoverFresh({ publishedAfter: new Date(publishedAfter), limit });
      const videos = await platformCall(() => (manual ? withQuotaScope({ capped: { name: 'manual', share: settings.manualDiscoveryShare } }, discover) : discover()));
      const fresh = videos.filter((v) => Date.parse(v.publishedAt) > Date.parse(publishedAfter)).slice(0, limit);
      if (fresh.length === 0) return { found: videos.length, inserted: 0 };
      const inserted = await db('trend_videos').insert(fresh.map(toRow)).onConflict(['platform', 'platformVideoId']).ignore().returning('id');
      logger.info({ platform, found: videos.length, inserted: inserted.length }, 'trend discovery');
      return { found: videos.length, inserted: inserted.length };
    },

    /**
     * Starts a monitor for every live video that has none yet (including any whose start was
     * interrupted by a crash). Fixed workflow ids with "use existing" make a second start attach
     * to the running monitor, and "reject duplicate" keeps an ended monitor from coming back.
     */
    async startPendingMonitors({ limit }: { limit: number }) {
      const pending = await TrendVideo.query(db).where('status', TrendVideoState.monitoring).whereNull('workflowId').orderBy('id').limit(limit);
      let started = 0;
      for (const video of pending) {
        const workflowId = trendMonitorWorkflowId(video.platform, video.platformVideoId);
        if (await startTrendMonitor(temporal, { taskQueue }, trendMonitorInput(settings, video))) started++;
        await TrendVideo.query(db).patch({ workflowId }).where('id', video.id);
      }
      return { started, pending: pending.length };
    },

    /** One snapshot of one video through the worker's batcher; writes slot `slot` once. */
    async takeTrendSnapshot({ trendVideoId, platform, platformVideoId, slot }: { trendVideoId: string; platform: PlatformName; platformVideoId: string; slot: number }) {
      const existing = await TrendSnapshot.query(db).findOne({ videoId: trendVideoId, slot });
      if (existing) return { velocity: existing.velocity ?? null, acceleration: existing.acceleration ?? null, status: await videoStatus(db, trendVideoId), duplicate: true };
      // The database has the last word: an archived, dropped or gone video costs no platform call.
      const before = await videoStatus(db, trendVideoId);
      if (!isLiveTrendVideoStatus(before)) return notLive(before);

      const stats = await platformCall(() => platforms.stats(platform).get(platformVideoId));
      // A snapshot's time is when the platform answered (the adapter's clock), however late the
      // write: velocity and acceleration are rates between answer times.
      const takenAt = new Date(stats.fetchedAt);
      return db.transaction(async (trx) => {
        // Locked, so cleanup cannot archive the row between this check and the insert.
        const current = await videoStatus(trx, trendVideoId, { lock: true });
        if (!isLiveTrendVideoStatus(current)) return notLive(current);
        const previous = await TrendSnapshot.query(trx).where('videoId', trendVideoId).where('slot', '<', slot).orderBy('slot', 'desc').first();
        const views = stats.metrics.views;
        const velocity = previous ? velocityOf(sampleAt(previous.views, previous.takenAt), sampleAt(views, takenAt), settings.timeScale) : null;
        const acceleration = previous && velocity !== null && previous.velocity !== null && previous.velocity !== undefined
          ? accelerationOf(sampleAt(previous.velocity, previous.takenAt), sampleAt(velocity, takenAt), settings.timeScale)
          : null;
        const inserted = await trx('trend_snapshots')
          .insert({ videoId: trendVideoId, slot, takenAt, views, likes: stats.metrics.likes, comments: stats.metrics.comments, shares: stats.metrics.shares, velocity, acceleration })
          .onConflict(['videoId', 'slot']).ignore().returning('id');
        if (inserted.length > 0) {
          await TrendVideo.query(trx).whereIn('status', LIVE_TREND_VIDEO_STATUSES).where('id', trendVideoId).patch({
            currentViews: views as unknown as string, currentLikes: stats.metrics.likes as unknown as string,
            currentComments: stats.metrics.comments as unknown as string, currentShares: stats.metrics.shares as unknown as string,
            ...(velocity !== null ? { velocity } : {}), ...(acceleration !== null ? { acceleration } : {}),
            snapshotCount: trx.raw('snapshot_count + 1') as unknown as number, lastSnapshotAt: takenAt,
          });
        }
        return { velocity, acceleration, status: await videoStatus(trx, trendVideoId), duplicate: inserted.length === 0 };
      });
    },

    /**
     * Records how a monitor ended: archived after its window, gone (deleted/private), or dropped.
     * A row that ended already (cleanup archived it first) keeps its status; either way the answer
     * is the status the database holds now, which the monitor shows as its TrendStatus.
     */
    async finishTrendMonitor({ trendVideoId, status, reason }: { trendVideoId: string; status: EndedTrendVideoStatus; reason: string | null }) {
      const changed = await TrendVideo.query(db).where('id', trendVideoId).whereIn('status', LIVE_TREND_VIDEO_STATUSES).patch({ status, archivedAt: new Date() });
      if (changed) logger.info({ trendVideoId, status, reason }, 'trend monitor finished');
      return { changed, status: await videoStatus(db, trendVideoId) };
    },

    /**
     * A monitor was paused or resumed (admin signal): `paused` while paused, `monitoring` again
     * on resume (analysis marks it trending anew if it still is). Only a live row moves; the
     * answer is the status the database holds now.
     */
    async recordTrendMonitorPause({ trendVideoId, paused }: { trendVideoId: string; paused: boolean }): Promise<{ status: TrendVideoStatus }> {
      const from = paused ? [TrendVideoState.monitoring, TrendVideoState.trending] : [TrendVideoState.paused];
      const status = paused ? TrendVideoState.paused : TrendVideoState.monitoring;
      await TrendVideo.query(db).where('id', trendVideoId).whereIn('status', from).patch({ status });
      return { status: await videoStatus(db, trendVideoId) };
    },

    /**
     * Groups the videos seen in the recent window by hashtag, topic, sound and format, in SQL.
     * A trend needs distinct creators; its score is compared with the previous run's. A known
     * trend this run does not see fades, and ends after a further run (lib/domain/trendLifecycle).
     * Marks the fastest videos trending and publishes an event per newly detected trend.
     */
    async analyzeTrends({ runAt }: { runAt: string }) {
      const at = new Date(runAt);
      const since = new Date(at.getTime() - settings.analysisWindowMs);
      const { rows: groups } = await db.raw<{ rows: TrendGroup[] }>(TREND_GROUPS_SQL, {
        since, minCreators: settings.minCreators, live: LIVE_TREND_VIDEO_STATUSES, ended: 'ended' satisfies TrendLifecycleStatus,
      });
      const newTrends: { kind: string; name: string; score: number }[] = [];
      const outcome = { fading: 0, ended: 0 };
      await db.transaction(async (trx) => {
        const known = new Map((await DetectedTrend.query(trx)).map((t) => [`${t.kind}:${t.name}`, t]));
        const runs = groups.map((g) => ({ group: g, previous: known.get(`${g.kind}:${g.name}`) }));
        // Live trends without a single video left in the window: seen by nobody, totals zero.
        const seen = new Set(groups.map((g) => `${g.kind}:${g.name}`));
        for (const [key, t] of known) {
          if (seen.has(key) || t.status === 'ended') continue;
          runs.push({ group: { kind: t.kind, name: t.name, platforms: t.platforms, videoCount: '0', creatorCount: '0', totalVelocity: '0', totalAcceleration: '0', qualifies: false }, previous: t });
        }
        for (const { group, previous } of runs) {
          const result = await recordTrendRun(trx, group, previous, since, at);
          if (result?.isNew) newTrends.push({ kind: group.kind, name: group.name, score: result.score });
          if (result?.status === 'fading' && !group.qualifies) outcome.fading++;
          if (result?.status === 'ended') outcome.ended++;
        }
        await markTrending(trx, since, at, settings.trendingPercentile);
      });
      for (const trend of newTrends) {
        await redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'trend.detected', at: runAt, ...trend })).catch((err: Error) => logger.warn({ err: err.message }, 'event not published'));
      }
      return { trends: groups.filter((g) => g.qualifies).length, newTrends, ...outcome };
    },

    /**
     * Archives live videos published before the cut-off (past the monitoring window) and returns
     * their monitors, which cleanup then stops: an archived video is watched no more.
     */
    async archiveExpiredTrendVideos({ publishedBefore }: { publishedBefore: string }): Promise<{ archived: number; workflowIds: string[] }> {
      const archived = await TrendVideo.query(db).modify('live').where('publishedAt', '<', publishedBefore)
        .patch({ status: TrendVideoState.archived, archivedAt: new Date() })
        .returning(['id', 'workflowId']) as unknown as TrendVideo[];
      return { archived: archived.length, workflowIds: archived.map((v) => v.workflowId).filter((id): id is string => Boolean(id)) };
    },

    /** Marks videos that stayed slow after enough snapshots as dropped; returns their monitors. */
    async dropSlowTrendVideos(): Promise<{ workflowIds: string[] }> {
      const dropped = await TrendVideo.query(db)
        .whereIn('status', [TrendVideoState.monitoring, TrendVideoState.paused])
        .where('snapshotCount', '>=', settings.dropMinSnapshots)
        .where((q) => q.whereNull('velocity').orWhere('velocity', '<', settings.dropVelocity))
        .patch({ status: TrendVideoState.dropped, archivedAt: new Date() })
        .returning(['id', 'workflowId']) as unknown as TrendVideo[];
      return { workflowIds: dropped.map((v) => v.workflowId).filter((id): id is string => Boolean(id)) };
    },

    /**
     * Signals monitors to stop; a monitor that has ended already, or never existed, is fine (so a
     * retry after a partial run is too). Each monitor then records the status its row holds.
     */
    async stopTrendMonitors({ workflowIds, reason }: { workflowIds: string[]; reason: string }) {
      let stopped = 0;
      for (const id of workflowIds) if (await stopTrendMonitor(temporal, id, reason)) stopped++;
      return { stopped };
    },

    /** Deletes the snapshots of dropped videos: nobody charts an uninteresting video. */
    async pruneDroppedSnapshots(): Promise<{ pruned: number }> {
      const pruned = await db('trend_snapshots').whereIn('videoId', db('trend_videos').select('id').where('status', TrendVideoState.dropped)).delete();
      return { pruned };
    },
  };
}

interface TrendGroup {
  kind: 'hashtag' | 'topic' | 'sound' | 'format';
  name: string;
  platforms: string[];
  videoCount: string;
  creatorCount: string;
  totalVelocity: string;
  totalAcceleration: string;
  /** Enough distinct creators this run; false for a known trend that fell short. */
  qualifies: boolean;
}

// Raw results are not passed through the camelCase mappers: the aliases are quoted camelCase.
// Known live trends come back even when they fall short, so their row shows the window's real figures.
const TREND_GROUPS_SQL = `
  with recent as (
    select id, platform, creator_id, hashtags, topics, sound_id, format, velocity, coalesce(acceleration, 0) as acceleration
    from trend_videos
    where status = any(:live::text[]) and last_snapshot_at >= :since and velocity is not null
  ), keyed as (
    select 'hashtag' as kind, unnest(hashtags) as name, id, platform, creator_id, velocity, acceleration from recent
    union all select 'topic', unnest(topics), id, platform, creator_id, velocity, acceleration from recent
    union all select 'sound', sound_id, id, platform, creator_id, velocity, acceleration from recent where sound_id is not null
    union all select 'format', format, id, platform, creator_id, velocity, acceleration from recent where format is not null
  )
  select kind, name, array_agg(distinct platform) as platforms, count(distinct id) as "videoCount",
         count(distinct (platform, creator_id)) as "creatorCount", sum(velocity) as "totalVelocity", sum(acceleration) as "totalAcceleration",
         count(distinct (platform, creator_id)) >= :minCreators as qualifies
  from keyed
  group by kind, name
  having count(distinct (platform, creator_id)) >= :minCreators
      or (kind, name) in (select kind, name from detected_trends where status <> :ended)`;

/**
 * One analysis run's word on one trend: its row (status, figures, missed runs, end) and one point
 * of its series. A retried run (the row already speaks for this run time) changes nothing, and a
 * backfilled older run only adds its point: the row always shows the latest run.
 */
async function recordTrendRun(trx: Knex, g: TrendGroup, previous: DetectedTrend | undefined, since: Date, at: Date) {
  const totals = { totalVelocity: Number(g.totalVelocity), totalAcceleration: Number(g.totalAcceleration), creatorCount: Number(g.creatorCount) };
  const score = trendScore(totals);
  if (!previous && !g.qualifies) return null;
  if (previous && previous.windowEnd.getTime() === at.getTime()) return null;
  // An older run (a backfill) has no say on misses: the row has moved on since.
  if (previous && previous.windowEnd.getTime() > at.getTime() && !g.qualifies) return null;
  const standing = nextTrendStanding(previous ? { status: previous.status, score: previous.score, missedRuns: previous.missedRuns } : null, { score, totalAcceleration: totals.totalAcceleration }, g.qualifies);
  const figures = { score, videoCount: Number(g.videoCount), creatorCount: totals.creatorCount, totalVelocity: totals.totalVelocity, totalAcceleration: totals.totalAcceleration };

  let trendId: string;
  let latest = true;
  if (!previous) {
    trendId = (await DetectedTrend.query(trx).insert({
      kind: g.kind, name: g.name, platforms: g.platforms, ...figures, status: standing.status, previousScore: null, missedRuns: 0,
      windowStart: since, windowEnd: at, firstDetectedAt: at, lastDetectedAt: at,
    })).id;
  } else {
    trendId = previous.id;
    latest = previous.windowEnd.getTime() < at.getTime();
    if (latest) {
      await DetectedTrend.query(trx).findById(previous.id).patch({
        ...figures, status: standing.status, previousScore: standing.previousScore, missedRuns: standing.missedRuns,
        ...(g.qualifies ? { platforms: g.platforms, lastDetectedAt: at, endedAt: null } : {}),
        ...(standing.status === 'ended' ? { endedAt: at } : {}),
        windowStart: since, windowEnd: at,
      });
    }
  }
  await trx('detected_trend_points').insert({ trendId, at, ...figures, status: standing.status }).onConflict(['trendId', 'at']).ignore();
  return { ...standing, isNew: standing.isNew && latest, score };
}

/**
 * Videos at or above the velocity percentile of the window are trending; the rest monitoring.
 * A trending video with no snapshot in the window is no longer among the fastest: monitoring.
 */
async function markTrending(trx: Knex, since: Date, at: Date, percentile: number): Promise<void> {
  const words = { percentile, since, at, monitoring: TrendVideoState.monitoring, trending: TrendVideoState.trending };
  await trx.raw(
    `with threshold as (
       select percentile_cont(:percentile) within group (order by velocity) as v
       from trend_videos where status in (:monitoring, :trending) and last_snapshot_at >= :since and velocity is not null
     )
     update trend_videos t
        set status = case when t.velocity >= threshold.v and t.velocity > 0 then :trending else :monitoring end,
            trending_at = case when t.velocity >= threshold.v and t.velocity > 0 then coalesce(t.trending_at, :at) else t.trending_at end,
            updated_at = now()
       from threshold
      where t.status in (:monitoring, :trending) and t.last_snapshot_at >= :since and t.velocity is not null`,
    words,
  );
  await trx.raw(
    `update trend_videos set status = :monitoring, updated_at = now()
      where status = :trending and (last_snapshot_at is null or last_snapshot_at < :since or velocity is null)`,
    words,
  );
}

/** The video's status as the database holds it (`gone` when its row was deleted). */
async function videoStatus(db: Knex, trendVideoId: string, { lock = false } = {}): Promise<TrendVideoStatus> {
  const query = TrendVideo.query(db).findById(trendVideoId).select('status');
  if (lock) query.forShare();
  return (await query)?.status ?? TrendVideoState.gone;
}

/** A snapshot's answer for a video the database says has ended: nothing fetched, nothing written. */
function notLive(status: TrendVideoStatus) {
  return { velocity: null, acceleration: null, status, duplicate: false };
}
