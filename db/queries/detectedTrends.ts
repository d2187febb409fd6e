/**
 * Questions for trend analysis: the window's groups (in SQL), the trends known so far, and one
 * run's word on them written set-based (one upsert of the trends, one insert of their points).
 */
import type { Knex } from 'knex';
import type { TrendLifecycleStatus } from '../../lib/domain/trendLifecycle';
import { LIVE_TREND_VIDEO_STATUSES } from '../../lib/domain/trendVideoStatus';
import { DetectedTrend, type TrendKind } from '../models';

export interface TrendGroup {
  kind: TrendKind;
  name: string;
  platforms: string[];
  videoCount: number;
  creatorCount: number;
  totalVelocity: number;
  totalAcceleration: number;
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
 * The live videos snapshotted since `since`, grouped by hashtag, topic, sound and format: the
 * groups with at least `minCreators` distinct creators, and every known trend that has not ended.
 */
export async function trendGroups(db: Knex, { since, minCreators }: { since: Date; minCreators: number }): Promise<TrendGroup[]> {
  const { rows } = await db.raw<{ rows: TrendGroup[] }>(TREND_GROUPS_SQL, {
    since,
    minCreators,
    live: LIVE_TREND_VIDEO_STATUSES,
    ended: 'ended' satisfies TrendLifecycleStatus,
  });
  return rows;
}

export function knownTrends(trx: Knex): PromiseLike<DetectedTrend[]> {
  return DetectedTrend.query(trx);
}

export const trendKey = (t: { kind: string; name: string }) => `${t.kind}:${t.name}`;

/** A trend's figures as one run saw them. */
export type TrendFigures = Pick<DetectedTrend, 'score' | 'videoCount' | 'creatorCount' | 'totalVelocity' | 'totalAcceleration' | 'status'>;

/** One run's word on one trend: the row as it is to be (`row`, when this run is its latest) and the run's point. */
export interface TrendRunWrite {
  kind: TrendKind;
  name: string;
  /** Known already: its id. */
  id?: number;
  /** The trend's row after this run; absent when an older run (a backfill) only adds its point. */
  row?: TrendFigures &
    Pick<DetectedTrend, 'platforms' | 'previousScore' | 'missedRuns' | 'endedAt' | 'windowStart' | 'windowEnd' | 'lastDetectedAt'>;
  point: TrendFigures & { at: Date };
}

/** Columns an upsert replaces; kind, name and first_detected_at stay as first written. */
const UPDATED_COLUMNS = [
  'platforms',
  'score',
  'previousScore',
  'videoCount',
  'creatorCount',
  'totalVelocity',
  'totalAcceleration',
  'status',
  'missedRuns',
  'endedAt',
  'windowStart',
  'windowEnd',
  'lastDetectedAt',
  'updatedAt',
] as const;

/**
 * Writes one analysis run: the trends' rows in one INSERT … ON CONFLICT (kind, name) DO UPDATE
 * (a new trend's first detection is the run's window end), then every trend's point in one
 * insert, where a point already written for (trend, run time) is left alone. A row a later run
 * wrote meanwhile is not taken back. Returns the trends' ids by `trendKey`.
 */
export async function saveTrendRun(trx: Knex, writes: TrendRunWrite[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const w of writes) if (w.id !== undefined) ids.set(trendKey(w), w.id);
  const rows = writes
    .filter((w) => w.row)
    .map(({ kind, name, row }) => ({
      kind,
      name,
      ...row!,
      firstDetectedAt: row!.windowEnd,
      updatedAt: new Date(),
    }));
  if (rows.length > 0) {
    const saved = (await trx('detected_trends')
      .insert(rows)
      .onConflict(['kind', 'name'])
      .merge([...UPDATED_COLUMNS])
      .where('detected_trends.window_end', '<', trx.raw('excluded.window_end'))
      .returning(['id', 'kind', 'name'])) as { id: number; kind: string; name: string }[];
    for (const t of saved) ids.set(trendKey(t), t.id);
  }
  const points = writes.filter((w) => ids.has(trendKey(w))).map((w) => ({ trendId: ids.get(trendKey(w))!, ...w.point }));
  if (points.length > 0) await trx('detected_trend_points').insert(points).onConflict(['trendId', 'at']).ignore();
  return ids;
}
