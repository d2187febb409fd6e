/**
 * Questions about Trend Watch's videos and their snapshots (global tables, not tenant-owned).
 * "Live" is one word (LIVE_TREND_VIDEO_STATUSES): the TrendVideo model's `live` modifier, which
 * every query below that must not touch an ended video goes through.
 */
import type { Knex } from 'knex';
import {
  isLiveTrendVideoStatus,
  LIVE_TREND_VIDEO_STATUSES,
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

/** Which video a row is and its monitor (for events naming it); null when the row is gone. */
export async function trendVideoRef(
  db: Knex,
  trendVideoId: number,
): Promise<Pick<TrendVideo, 'platform' | 'platformVideoId' | 'workflowId' | 'status'> | null> {
  return (await TrendVideo.query(db).findById(trendVideoId).select('platform', 'platformVideoId', 'workflowId', 'status')) ?? null;
}

export type NewSnapshot = Pick<
  TrendSnapshot,
  'videoId' | 'slot' | 'takenAt' | 'views' | 'likes' | 'comments' | 'shares' | 'velocity' | 'acceleration'
>;

/** One monitor's wake-up: video and slot. */
export interface SnapshotKey {
  videoId: number;
  slot: number;
}

/** What a batch of snapshots needs to know before fetching: status, the slot's row if written, the row before it. */
export interface SnapshotState extends SnapshotKey {
  /** `gone` when the video's row no longer exists. */
  status: TrendVideoStatus;
  /** The slot's snapshot when it was written already (a retry). */
  existing: Pick<TrendSnapshot, 'velocity' | 'acceleration' | 'views' | 'takenAt'> | null;
  previous: Pick<TrendSnapshot, 'views' | 'takenAt' | 'velocity'> | null;
}

/** Everything a batch of wake-ups needs to read, in one statement (index scans on trend_snapshots (video_id, slot)). */
export async function snapshotStates(db: Knex, keys: SnapshotKey[]): Promise<SnapshotState[]> {
  if (keys.length === 0) return [];
  const { rows } = (await db.raw(
    `SELECT k.video_id, k.slot, coalesce(v.status, ?) AS status,
            cur.id AS cur_id, cur.velocity AS cur_velocity, cur.acceleration AS cur_acceleration, cur.views AS cur_views, cur.taken_at AS cur_taken_at,
            prev.views AS prev_views, prev.taken_at AS prev_taken_at, prev.velocity AS prev_velocity
       FROM unnest(?::bigint[], ?::int[]) AS k(video_id, slot)
       -- Lookups by key, one per row (LIMIT keeps the planner from turning them into joins that scan both tables).
       LEFT JOIN LATERAL (SELECT status FROM trend_videos WHERE id = k.video_id LIMIT 1) v ON true
       LEFT JOIN LATERAL (SELECT id, velocity, acceleration, views, taken_at FROM trend_snapshots WHERE video_id = k.video_id AND slot = k.slot LIMIT 1) cur ON true
       LEFT JOIN LATERAL (
         SELECT p.views, p.taken_at, p.velocity FROM trend_snapshots p
          WHERE p.video_id = k.video_id AND p.slot < k.slot ORDER BY p.slot DESC LIMIT 1
       ) prev ON true`,
    [TrendVideoState.gone, keys.map((k) => k.videoId), keys.map((k) => k.slot)],
  )) as { rows: Record<string, unknown>[] };
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    videoId: Number(r.video_id),
    slot: Number(r.slot),
    status: r.status as TrendVideoStatus,
    existing:
      r.cur_id === null
        ? null
        : {
            velocity: num(r.cur_velocity),
            acceleration: num(r.cur_acceleration),
            views: num(r.cur_views),
            takenAt: r.cur_taken_at as Date,
          },
    previous:
      r.prev_taken_at === null ? null : { views: num(r.prev_views), takenAt: r.prev_taken_at as Date, velocity: num(r.prev_velocity) },
  }));
}

/**
 * Writes a batch of snapshots in one statement: each (video, slot) once, and only while its video
 * is live. The video's row is updated first (its newest snapshot's figures, the count), which both
 * checks that it is live and locks it until the statement commits, so cleanup cannot archive it
 * between the check and the insert; the snapshots of the rows updated are then inserted. Answers
 * per snapshot whether it was written and the status its video holds.
 *
 * (Two attempts at one slot racing each other, a retry while its first attempt still runs, both
 * count it; the insert keeps one row.)
 */
export interface SnapshotWrite extends SnapshotKey {
  written: boolean;
  status: TrendVideoStatus;
}

export async function writeSnapshots(db: Knex, snapshots: NewSnapshot[]): Promise<SnapshotWrite[]> {
  if (snapshots.length === 0) return [];
  const column = <K extends keyof NewSnapshot>(key: K) => snapshots.map((s) => s[key] ?? null);
  const { rows } = (await db.raw(
    `WITH input AS (
       SELECT * FROM unnest(?::bigint[], ?::int[], ?::timestamptz[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::float8[])
         AS i(video_id, slot, taken_at, views, likes, comments, shares, velocity, acceleration)
     ), fresh AS (
       SELECT * FROM input i
        WHERE NOT EXISTS (SELECT 1 FROM trend_snapshots s WHERE s.video_id = i.video_id AND s.slot = i.slot LIMIT 1)
     ), newest AS (
       SELECT DISTINCT ON (video_id) *, count(*) OVER (PARTITION BY video_id) AS fresh_slots
         FROM fresh ORDER BY video_id, slot DESC
     ), carried AS (
       UPDATE trend_videos v
          SET current_views = n.views, current_likes = n.likes, current_comments = n.comments, current_shares = n.shares,
              velocity = coalesce(n.velocity, v.velocity), acceleration = coalesce(n.acceleration, v.acceleration),
              snapshot_count = v.snapshot_count + n.fresh_slots, last_snapshot_at = n.taken_at
         FROM newest n
        WHERE v.id = n.video_id AND v.id = ANY(?::bigint[]) AND v.status = ANY(?::text[])
       RETURNING v.id
     ), inserted AS (
       INSERT INTO trend_snapshots (video_id, slot, taken_at, views, likes, comments, shares, velocity, acceleration)
       SELECT f.* FROM fresh f JOIN carried c ON c.id = f.video_id
       ON CONFLICT (video_id, slot) DO NOTHING
       RETURNING video_id, slot
     )
     SELECT i.video_id, i.slot, (ins.video_id IS NOT NULL) AS written, coalesce(v.status, ?) AS status
       FROM input i
       LEFT JOIN inserted ins ON ins.video_id = i.video_id AND ins.slot = i.slot
       LEFT JOIN LATERAL (SELECT status FROM trend_videos WHERE id = i.video_id LIMIT 1) v ON true`,
    [
      column('videoId'),
      column('slot'),
      snapshots.map((s) => new Date(s.takenAt).toISOString()),
      column('views'),
      column('likes'),
      column('comments'),
      column('shares'),
      column('velocity'),
      column('acceleration'),
      // The ids again for the update, so the planner need not scan the whole table for them.
      column('videoId'),
      [...LIVE_TREND_VIDEO_STATUSES],
      TrendVideoState.gone,
    ] as unknown as Knex.RawBinding[],
  )) as { rows: { video_id: string; slot: number; written: boolean; status: TrendVideoStatus }[] };
  return rows.map((r) => ({ videoId: Number(r.video_id), slot: Number(r.slot), written: r.written, status: r.status }));
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
