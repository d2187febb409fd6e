/**
 * Read-side questions about a trend's evidence (the API's /trending and /topics): the recent
 * points of many trends' series in one query, the videos that carry a trend's name, and the names
 * of one kind that videos published in a window carry, with the detected trend of each, if any.
 * Trend tables are global: nothing here is tenant-scoped.
 */
import type { Knex } from 'knex';
import { LIVE_TREND_STATUSES, type TrendLifecycleStatus } from '../../lib/domain/trendLifecycle';
import { TrendVideo, type TrendKind } from '../models';

/** A trend status, or `live` (every status but ended) or `all`. */
export type TrendStatusFilter = TrendLifecycleStatus | 'live' | 'all';

/** Narrows a query (knex or objection) to trends of a status filter; `column` names the status column. */
export function whereTrendStatus(
  query: { where(column: string, value: string): unknown; whereIn(column: string, values: readonly string[]): unknown },
  status: TrendStatusFilter,
  column = 'status',
): void {
  if (status === 'live') query.whereIn(column, LIVE_TREND_STATUSES);
  else if (status !== 'all') query.where(column, status);
}

/**
 * Where a video carries a name of each kind: the trend_videos column (camelCase, mapped to
 * snake_case by knex) and whether it holds a list of names or is the name itself.
 */
const NAME_COLUMNS: Record<TrendKind, { column: string; list: boolean }> = {
  hashtag: { column: 'hashtags', list: true },
  keyword: { column: 'keywords', list: true },
  topic: { column: 'topics', list: true },
  sound: { column: 'soundId', list: false },
  format: { column: 'format', list: false },
};

export interface TrendPoint {
  trendId: number;
  at: Date;
  creatorCount: number;
  videoCount: number;
  score: number;
  baseline: number | null;
  burstScore: number | null;
  totalVelocity: number;
  totalAcceleration: number;
  status: TrendLifecycleStatus;
}

const POINT_COLUMNS = [
  'trendId',
  'at',
  'creatorCount',
  'videoCount',
  'score',
  'baseline',
  'burstScore',
  'totalVelocity',
  'totalAcceleration',
  'status',
] as const;

/**
 * The latest `perTrend` points of each trend, oldest first within a trend: one query for a whole
 * page of trends, however long their histories are.
 */
export async function latestTrendPoints(db: Knex, trendIds: number[], perTrend: number): Promise<TrendPoint[]> {
  if (trendIds.length === 0) return [];
  const ranked = db('detectedTrendPoints')
    .select(...POINT_COLUMNS)
    .select(db.raw('row_number() over (partition by ?? order by ?? desc) as recency', ['trendId', 'at']))
    .whereIn('trendId', trendIds);
  return db
    .from(ranked.as('ranked'))
    .select(...POINT_COLUMNS)
    .where('recency', '<=', perTrend)
    .orderBy(['trendId', 'at']);
}

/** The videos that carry a name of a kind (every status: archived videos are evidence too). */
export function videosCarrying(db: Knex, { kind, name }: { kind: TrendKind; name: string }) {
  const { column, list } = NAME_COLUMNS[kind];
  const query = TrendVideo.query(db);
  return list ? query.whereRaw('?? @> array[?]::text[]', [column, name]) : query.where(column, name);
}

export interface NameInWindow {
  name: string;
  /** Videos published in the window that carry the name, their distinct creators and summed velocity (views per hour). */
  videoCount: number;
  creatorCount: number;
  totalVelocity: number;
  platforms: string[];
  /** The detected trend of that kind and name; null fields when there is none. */
  trendId: number | null;
  status: TrendLifecycleStatus | null;
  score: number | null;
  baseline: number | null;
  burstScore: number | null;
  firstSeenAt: Date | null;
  lastDetectedAt: Date | null;
}

/**
 * The names of one kind carried by videos published in (since, until], the most creators first,
 * each with its detected trend if any. With a status filter, the detected trends of that status
 * instead, each with the window's figures (zero when no video of the window carries it).
 */
export function namesInWindow(
  db: Knex,
  q: { kind: TrendKind; since: Date; until: Date; status?: TrendStatusFilter; limit: number },
): Promise<NameInWindow[]> {
  return namesInWindowQuery(db, q) as unknown as Promise<NameInWindow[]>;
}

/** namesInWindow's query, unrun (bench:trend-analysis explains it). */
export function namesInWindowQuery(db: Knex, q: { kind: TrendKind; since: Date; until: Date; status?: TrendStatusFilter; limit: number }) {
  const { column, list } = NAME_COLUMNS[q.kind];
  const carried = db('trendVideos')
    .select(db.raw(list ? 'unnest(??) as name' : '?? as name', [column]), 'id', 'platform', 'creatorId', 'velocity')
    .where('publishedAt', '>', q.since)
    .where('publishedAt', '<=', q.until);
  if (!list) carried.whereNotNull(column);
  const groups = db
    .from(carried.as('carried'))
    .select('name')
    .select(
      db.raw('count(distinct id)::int as video_count'),
      db.raw('count(distinct (platform, creator_id))::int as creator_count'),
      db.raw('coalesce(sum(velocity), 0)::float8 as total_velocity'),
      db.raw('array_agg(distinct platform::text order by platform::text) as platforms'),
    )
    .groupBy('name');

  const query = db
    .with('groups', groups)
    .select(
      db.raw('coalesce(g.name, t.name) as name'),
      db.raw('coalesce(g.video_count, 0) as video_count'),
      db.raw('coalesce(g.creator_count, 0) as creator_count'),
      db.raw('coalesce(g.total_velocity, 0) as total_velocity'),
      db.raw("coalesce(g.platforms, '{}') as platforms"),
      't.id as trendId',
      't.status',
      't.score',
      't.baseline',
      't.burstScore',
      't.firstSeenAt',
      't.lastDetectedAt',
    )
    .orderBy([
      { column: 'creatorCount', order: 'desc' },
      { column: 'totalVelocity', order: 'desc' },
      { column: 'name', order: 'asc' },
    ])
    .limit(q.limit);
  const sameName = (j: Knex.JoinClause) => j.on('t.name', 'g.name').andOnVal('t.kind', q.kind);
  if (q.status === undefined) {
    query.from('groups as g').leftJoin('detectedTrends as t', sameName);
  } else {
    query.from('detectedTrends as t').leftJoin('groups as g', sameName).where('t.kind', q.kind);
    whereTrendStatus(query, q.status, 't.status');
  }
  return query;
}
