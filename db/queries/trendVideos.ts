/**
 * Questions about Trend Watch's videos and their snapshots (global tables, not tenant-owned).
 * "Live" is one word (LIVE_TREND_VIDEO_STATUSES): the TrendVideo model's `live` modifier, which
 * every query below that must not touch an ended video goes through.
 */
import type { Knex } from 'knex';
import {
  isLiveTrendVideoStatus,
  TrendVideoState,
  type EndedTrendVideoStatus,
  type TrendVideoStatus,
} from '../../lib/domain/trendVideoStatus';
import { TrendSnapshot, TrendVideo } from '../models';

export type NewTrendVideo = Pick<
  TrendVideo,
  'platform' | 'platformVideoId' | 'creatorId' | 'hashtags' | 'topics' | 'publishedAt' | 'status'
> &
  Partial<Omit<TrendVideo, 'id' | 'platform' | 'platformVideoId' | 'creatorId' | 'hashtags' | 'topics' | 'publishedAt' | 'status'>>;

/**
 * Records discovered videos; a known one is left as it is (never re-monitored), but for its
 * `evidence` flag: a video first seen only in a full page of a dense follow (not evidence) becomes
 * evidence once a fair sample (the broad pass, a short follow page) finds it too. Returns how many
 * were new. (`xmax = 0` tells a row this statement inserted from one it updated.)
 */
export async function insertDiscoveredVideos(db: Knex, videos: NewTrendVideo[]): Promise<number> {
  if (videos.length === 0) return 0;
  const rows = (await db('trend_videos')
    .insert(videos)
    .onConflict(['platform', 'platformVideoId'])
    .merge({ evidence: true })
    .where(db.raw('not trend_videos.evidence and excluded.evidence'))
    .returning(db.raw('(xmax = 0) as inserted'))) as unknown as { inserted: boolean }[];
  return rows.filter((r) => r.inserted).length;
}

/** Monitored videos whose monitor has not been started yet, oldest first. */
export function videosAwaitingMonitor(db: Knex, limit: number): PromiseLike<TrendVideo[]> {
  return TrendVideo.query(db).where('status', TrendVideoState.monitoring).whereNull('workflowId').orderBy('id').limit(limit);
}

export async function recordMonitorWorkflow(db: Knex, trendVideoId: number, workflowId: string): Promise<void> {
  await TrendVideo.query(db).patch({ workflowId }).where('id', trendVideoId);
}

/** The video's status as the database holds it (`gone` when its row was deleted); `lock` holds it until the transaction ends. */
export async function trendVideoStatus(db: Knex, trendVideoId: number, { lock = false } = {}): Promise<TrendVideoStatus> {
  const query = TrendVideo.query(db).findById(trendVideoId).select('status');
  if (lock) query.forShare();
  return (await query)?.status ?? TrendVideoState.gone;
}

export function snapshotAt(db: Knex, trendVideoId: number, slot: number): PromiseLike<TrendSnapshot | undefined> {
  return TrendSnapshot.query(db).findOne({ videoId: trendVideoId, slot });
}

/** The video's latest snapshot before `slot`. */
export function snapshotBefore(db: Knex, trendVideoId: number, slot: number): PromiseLike<TrendSnapshot | undefined> {
  return TrendSnapshot.query(db).where('videoId', trendVideoId).where('slot', '<', slot).orderBy('slot', 'desc').first();
}

export type NewSnapshot = Pick<
  TrendSnapshot,
  'videoId' | 'slot' | 'takenAt' | 'views' | 'likes' | 'comments' | 'shares' | 'velocity' | 'acceleration'
>;

/**
 * Writes a snapshot once per (video, slot) and, when it is new, carries its figures to the video
 * while the video is live. Returns whether the snapshot was new.
 */
export async function recordSnapshot(trx: Knex, snapshot: NewSnapshot): Promise<boolean> {
  const inserted = await trx('trend_snapshots').insert(snapshot).onConflict(['videoId', 'slot']).ignore().returning('id');
  if (inserted.length === 0) return false;
  const { velocity, acceleration } = snapshot;
  await TrendVideo.query(trx)
    .modify('live')
    .where('id', snapshot.videoId)
    .patch({
      currentViews: snapshot.views,
      currentLikes: snapshot.likes,
      currentComments: snapshot.comments,
      currentShares: snapshot.shares,
      ...(velocity !== null && velocity !== undefined ? { velocity } : {}),
      ...(acceleration !== null && acceleration !== undefined ? { acceleration } : {}),
      snapshotCount: trx.raw('snapshot_count + 1') as unknown as number,
      lastSnapshotAt: snapshot.takenAt,
    });
  return true;
}

/** Ends a live video with a final status; an ended one keeps its status. Returns how many rows moved (0 or 1). */
export function endLiveVideo(db: Knex, trendVideoId: number, status: EndedTrendVideoStatus): PromiseLike<number> {
  return TrendVideo.query(db).modify('live').where('id', trendVideoId).patch({ status, archivedAt: new Date() });
}

/** Pauses a monitoring or trending video, or resumes a paused one as monitoring. */
export async function setVideoPaused(db: Knex, trendVideoId: number, paused: boolean): Promise<void> {
  const from = paused ? [TrendVideoState.monitoring, TrendVideoState.trending] : [TrendVideoState.paused];
  const status = paused ? TrendVideoState.paused : TrendVideoState.monitoring;
  await TrendVideo.query(db).where('id', trendVideoId).whereIn('status', from).patch({ status });
}

const workflowIdsOf = (rows: TrendVideo[]) => rows.map((v) => v.workflowId).filter((id): id is string => Boolean(id));

/** Archives live videos published before the cut-off; returns how many, and their monitors. */
export async function archiveLiveVideosPublishedBefore(
  db: Knex,
  publishedBefore: string,
): Promise<{ archived: number; workflowIds: string[] }> {
  const archived = (await TrendVideo.query(db)
    .modify('live')
    .where('publishedAt', '<', publishedBefore)
    .patch({ status: TrendVideoState.archived, archivedAt: new Date() })
    .returning(['id', 'workflowId'])) as unknown as TrendVideo[];
  return { archived: archived.length, workflowIds: workflowIdsOf(archived) };
}

/** Drops monitored (or paused) videos still slower than `velocity` after `minSnapshots`; returns their monitors. */
export async function dropSlowVideos(db: Knex, { minSnapshots, velocity }: { minSnapshots: number; velocity: number }): Promise<string[]> {
  const dropped = (await TrendVideo.query(db)
    .whereIn('status', [TrendVideoState.monitoring, TrendVideoState.paused])
    .where('snapshotCount', '>=', minSnapshots)
    .where((q) => q.whereNull('velocity').orWhere('velocity', '<', velocity))
    .patch({ status: TrendVideoState.dropped, archivedAt: new Date() })
    .returning(['id', 'workflowId'])) as unknown as TrendVideo[];
  return workflowIdsOf(dropped);
}

/** Deletes the snapshots of dropped videos; returns how many. */
export function pruneDroppedSnapshots(db: Knex): PromiseLike<number> {
  return db('trend_snapshots').whereIn('videoId', db('trend_videos').select('id').where('status', TrendVideoState.dropped)).delete();
}

/**
 * The statements of markTrendingVideos with their bindings (bench:trend-analysis explains them).
 * Only a video whose status moves is written: each write of a trend_videos row is a new row
 * version in every index, GIN ones included (bench:trend-analysis: 2.8 s for 28,000 live videos
 * when every one was rewritten, most of them to the status they had). The live videos are read
 * once, for the threshold and the decision both.
 */
export function markTrendingStatements({ since, at, percentile }: { since: Date; at: Date; percentile: number }) {
  const bindings = { percentile, since, at, monitoring: TrendVideoState.monitoring, trending: TrendVideoState.trending };
  return [
    {
      sql: `with live as materialized (
              select id, status, velocity, trending_at from trend_videos
               where status in (:monitoring, :trending) and last_snapshot_at >= :since and velocity is not null
            ),
            threshold as (select percentile_cont(:percentile) within group (order by velocity) as v from live),
            decided as (
              select id, next from live, threshold,
                     lateral (select case when live.velocity >= threshold.v and live.velocity > 0 then :trending else :monitoring end as next) n
               where live.status <> next or (next = :trending and live.trending_at is null)
            )
            update trend_videos t
               set status = d.next,
                   trending_at = case when d.next = :trending then coalesce(t.trending_at, :at) else t.trending_at end,
                   updated_at = now()
              from decided d
             where t.id = d.id and t.status in (:monitoring, :trending)`,
      bindings,
    },
    {
      sql: `update trend_videos set status = :monitoring, updated_at = now()
             where status = :trending and (last_snapshot_at is null or last_snapshot_at < :since or velocity is null)`,
      bindings,
    },
  ];
}

/**
 * Videos at or above the velocity percentile of the window are trending; the rest monitoring.
 * A trending video with no snapshot in the window is no longer among the fastest: monitoring.
 */
export async function markTrendingVideos(trx: Knex, window: { since: Date; at: Date; percentile: number }): Promise<void> {
  for (const { sql, bindings } of markTrendingStatements(window)) await trx.raw(sql, bindings);
}

/** How many videos hold each status, and how many monitors may be running (the live ones). */
export async function trendVideosByStatus(db: Knex): Promise<{ byStatus: Record<string, number>; live: number }> {
  const rows = (await TrendVideo.query(db).select('status').count('* as count').groupBy('status')) as unknown as {
    status: TrendVideoStatus;
    count: number;
  }[];
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.count]));
  return { byStatus, live: rows.filter((r) => isLiveTrendVideoStatus(r.status)).reduce((sum, r) => sum + r.count, 0) };
}
