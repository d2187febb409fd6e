/**
 * Trend Watch activities: discovery, snapshots, analysis and cleanup. Every one is idempotent,
 * because Temporal may run an activity again after a crash or a timeout:
 *  - discovery inserts with ON CONFLICT DO NOTHING and starts monitors with a fixed workflow id;
 *  - a snapshot's (video, slot) is unique, so a retry finds its row instead of adding one;
 *  - analysis writes one point per (trend, run time);
 *  - cleanup only moves rows forward (live → archived/dropped).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { DetectedTrend, TrendSnapshot, TrendVideo } from '../db/models';
import { acceleration as accelerationOf, sampleAt, trendScore, trendStatus, velocity as velocityOf } from '../lib/domain/metrics';
import { withQuotaScope } from '../platforms/quota';
import type { PlatformName, Video } from '../platforms/types';
import { trendMonitorWorkflowId } from '../temporal/workflowIds';
import type { TrendMonitorInput } from '../workflows/trendVideoMonitor';
import type { ActivityDeps } from './deps';
import { platformCall } from './failures';

/** Redis channel of live events (SSE fans them out to clients). */
export const EVENTS_CHANNEL = 'blogger-analytics:events';

const LIVE_STATUSES = ['monitoring', 'trending', 'paused'];

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
    status: 'monitoring',
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
      const pending = await TrendVideo.query(db).where('status', 'monitoring').whereNull('workflowId').orderBy('id').limit(limit);
      let started = 0;
      for (const video of pending) {
        const workflowId = trendMonitorWorkflowId(video.platform, video.platformVideoId);
        const input: TrendMonitorInput = {
          trendVideoId: video.id, platform: video.platform, platformVideoId: video.platformVideoId,
          snapshotIntervalMs: settings.snapshotIntervalMs, totalSlots: settings.totalSlots,
        };
        try {
          await temporal.workflow.start('trendVideoMonitor', {
            workflowId, taskQueue, args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
          started++;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        await TrendVideo.query(db).patch({ workflowId }).where('id', video.id);
      }
      return { started, pending: pending.length };
    },

    /** One snapshot of one video through the worker's batcher; writes slot `slot` once. */
    async takeTrendSnapshot({ trendVideoId, platform, platformVideoId, slot }: { trendVideoId: string; platform: PlatformName; platformVideoId: string; slot: number }) {
      const existing = await TrendSnapshot.query(db).findOne({ videoId: trendVideoId, slot });
      if (existing) return { velocity: existing.velocity ?? null, acceleration: existing.acceleration ?? null, status: await videoStatus(db, trendVideoId), duplicate: true };

      const stats = await platformCall(() => platforms.stats(platform).get(platformVideoId));
      // A snapshot's time is when the platform answered (the adapter's clock), however late the
      // write: velocity and acceleration are rates between answer times.
      const takenAt = new Date(stats.fetchedAt);
      return db.transaction(async (trx) => {
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
          await TrendVideo.query(trx).whereIn('status', LIVE_STATUSES).where('id', trendVideoId).patch({
            currentViews: views as unknown as string, currentLikes: stats.metrics.likes as unknown as string,
            currentComments: stats.metrics.comments as unknown as string, currentShares: stats.metrics.shares as unknown as string,
            ...(velocity !== null ? { velocity } : {}), ...(acceleration !== null ? { acceleration } : {}),
            snapshotCount: trx.raw('snapshot_count + 1') as unknown as number, lastSnapshotAt: takenAt,
          });
        }
        return { velocity, acceleration, status: await videoStatus(trx, trendVideoId), duplicate: inserted.length === 0 };
      });
    },

    /** Records how a monitor ended: archived after its window, gone (deleted/private), or dropped. */
    async finishTrendMonitor({ trendVideoId, status, reason }: { trendVideoId: string; status: 'archived' | 'gone' | 'dropped'; reason: string | null }) {
      const changed = await TrendVideo.query(db).where('id', trendVideoId).whereIn('status', LIVE_STATUSES).patch({ status, archivedAt: new Date() });
      if (changed) logger.info({ trendVideoId, status, reason }, 'trend monitor finished');
      return { changed };
    },

    /**
     * Groups the videos seen in the recent window by hashtag, topic, sound and format, in SQL.
     * A trend needs distinct creators; its score is compared with the previous run's. Marks the
     * fastest videos trending and publishes an event per newly detected trend.
     */
    async analyzeTrends({ runAt }: { runAt: string }) {
      const at = new Date(runAt);
      const since = new Date(at.getTime() - settings.analysisWindowMs);
      const { rows: groups } = await db.raw<{ rows: TrendGroup[] }>(TREND_GROUPS_SQL, { since, minCreators: settings.minCreators });
      const newTrends: { kind: string; name: string; score: number }[] = [];
      await db.transaction(async (trx) => {
        for (const g of groups) {
          const totals = { totalVelocity: Number(g.totalVelocity), totalAcceleration: Number(g.totalAcceleration), creatorCount: Number(g.creatorCount) };
          const score = trendScore(totals);
          const previous = await DetectedTrend.query(trx).findOne({ kind: g.kind, name: g.name });
          const status = trendStatus(score, previous?.score ?? null, totals.totalAcceleration);
          const values = {
            kind: g.kind, name: g.name, platforms: g.platforms, score, videoCount: Number(g.videoCount), creatorCount: totals.creatorCount,
            totalVelocity: totals.totalVelocity, totalAcceleration: totals.totalAcceleration, status, windowStart: since, windowEnd: at, lastDetectedAt: at,
          };
          let trendId: string;
          if (previous) {
            // A retried run (same runAt) must not turn its own score into the "previous" one.
            const isRetry = previous.lastDetectedAt.getTime() === at.getTime();
            await DetectedTrend.query(trx).patchAndFetchById(previous.id, { ...values, ...(isRetry ? { previousScore: previous.previousScore ?? null, status: previous.status } : { previousScore: previous.score }) });
            trendId = previous.id;
          } else {
            trendId = (await DetectedTrend.query(trx).insert({ ...values, previousScore: null, firstDetectedAt: at })).id;
            newTrends.push({ kind: g.kind, name: g.name, score });
          }
          await trx('detected_trend_points').insert({ trendId, at, score, totalVelocity: totals.totalVelocity, totalAcceleration: totals.totalAcceleration, videoCount: values.videoCount, creatorCount: totals.creatorCount, status })
            .onConflict(['trendId', 'at']).ignore();
        }
        await markTrending(trx, since, at, settings.trendingPercentile);
      });
      for (const trend of newTrends) {
        await redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'trend.detected', at: runAt, ...trend })).catch((err: Error) => logger.warn({ err: err.message }, 'event not published'));
      }
      return { trends: groups.length, newTrends };
    },

    /** Archives live videos published before the cut-off (past the monitoring window). */
    async archiveExpiredTrendVideos({ publishedBefore }: { publishedBefore: string }): Promise<{ archived: number }> {
      const archived = await TrendVideo.query(db).modify('live').where('publishedAt', '<', publishedBefore).patch({ status: 'archived', archivedAt: new Date() });
      return { archived };
    },

    /** Marks videos that stayed slow after enough snapshots as dropped; returns their monitors. */
    async dropSlowTrendVideos(): Promise<{ workflowIds: string[] }> {
      const dropped = await TrendVideo.query(db)
        .whereIn('status', ['monitoring', 'paused'])
        .where('snapshotCount', '>=', settings.dropMinSnapshots)
        .where((q) => q.whereNull('velocity').orWhere('velocity', '<', settings.dropVelocity))
        .patch({ status: 'dropped', archivedAt: new Date() })
        .returning(['id', 'workflowId']) as unknown as TrendVideo[];
      return { workflowIds: dropped.map((v) => v.workflowId).filter((id): id is string => Boolean(id)) };
    },

    /** Signals monitors to stop; an already ended monitor is fine. */
    async stopTrendMonitors({ workflowIds, reason }: { workflowIds: string[]; reason: string }) {
      let stopped = 0;
      for (const id of workflowIds) {
        try {
          await temporal.workflow.getHandle(id).signal('stop', { reason });
          stopped++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return { stopped };
    },

    /** Deletes the snapshots of dropped videos: nobody charts an uninteresting video. */
    async pruneDroppedSnapshots(): Promise<{ pruned: number }> {
      const pruned = await db('trend_snapshots').whereIn('videoId', db('trend_videos').select('id').where('status', 'dropped')).delete();
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
}

// Raw results are not passed through the camelCase mappers: the aliases are quoted camelCase.
const TREND_GROUPS_SQL = `
  with recent as (
    select id, platform, creator_id, hashtags, topics, sound_id, format, velocity, coalesce(acceleration, 0) as acceleration
    from trend_videos
    where status in ('monitoring', 'trending', 'paused') and last_snapshot_at >= :since and velocity is not null
  ), keyed as (
    select 'hashtag' as kind, unnest(hashtags) as name, id, platform, creator_id, velocity, acceleration from recent
    union all select 'topic', unnest(topics), id, platform, creator_id, velocity, acceleration from recent
    union all select 'sound', sound_id, id, platform, creator_id, velocity, acceleration from recent where sound_id is not null
    union all select 'format', format, id, platform, creator_id, velocity, acceleration from recent where format is not null
  )
  select kind, name, array_agg(distinct platform) as platforms, count(distinct id) as "videoCount",
         count(distinct (platform, creator_id)) as "creatorCount", sum(velocity) as "totalVelocity", sum(acceleration) as "totalAcceleration"
  from keyed
  group by kind, name
  having count(distinct (platform, creator_id)) >= :minCreators`;

/** Videos at or above the velocity percentile of the window are trending; the rest monitoring. */
async function markTrending(trx: Knex, since: Date, at: Date, percentile: number): Promise<void> {
  await trx.raw(
    `with threshold as (
       select percentile_cont(:percentile) within group (order by velocity) as v
       from trend_videos where status in ('monitoring', 'trending') and last_snapshot_at >= :since and velocity is not null
     )
     update trend_videos t
        set status = case when t.velocity >= threshold.v and t.velocity > 0 then 'trending' else 'monitoring' end,
            trending_at = case when t.velocity >= threshold.v and t.velocity > 0 then coalesce(t.trending_at, :at) else t.trending_at end,
            updated_at = now()
       from threshold
      where t.status in ('monitoring', 'trending') and t.last_snapshot_at >= :since and t.velocity is not null`,
    { percentile, since, at },
  );
}

async function videoStatus(db: Knex, trendVideoId: string): Promise<string> {
  return (await TrendVideo.query(db).findById(trendVideoId).select('status'))?.status ?? 'gone';
}
