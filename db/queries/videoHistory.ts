/**
 * Questions about video_history, a blogger's fetched rows (one per video per fetch). "Latest"
 * means each video's most recent fetch: the one query every caller composes. Run inside
 * withTenant(): row-level security scopes them to the owner.
 */
import type { Knex } from 'knex';
import type { VideoHistory } from '../models';

/** A video_history row as raw knex returns it (camelCase through the mappers). */
export type VideoHistoryRow = Omit<VideoHistory, keyof import('objection').Model | 'createdAt' | 'updatedAt'>;

/** Each of the blogger's videos' latest row (at or before `asOf`, when given); a query to compose. */
export function latestHistoryPerVideo(
  trx: Knex,
  bloggerId: number,
  { asOf }: { asOf?: Date } = {},
): Knex.QueryBuilder<VideoHistoryRow, VideoHistoryRow[]> {
  const query = trx<VideoHistoryRow>('video_history')
    .distinctOn(['platform', 'platformVideoId'])
    .where('bloggerId', bloggerId)
    .orderBy([{ column: 'platform' }, { column: 'platformVideoId' }, { column: 'fetchedAt', order: 'desc' }]);
  if (asOf) query.where('fetchedAt', '<=', asOf);
  return query;
}

/** One page of the blogger's videos (latest row each), newest publication first, and how many there are. */
export async function latestVideosPage(
  trx: Knex,
  bloggerId: number,
  page: number,
  limit: number,
): Promise<{ rows: VideoHistoryRow[]; total: number }> {
  const latest = latestHistoryPerVideo(trx, bloggerId);
  const [counted] = (await trx.from(latest.clone().as('l')).count('* as total')) as { total: number }[];
  const rows = (await trx
    .from(latest.as('l'))
    .orderBy([{ column: 'publishedAt', order: 'desc', nulls: 'last' }, { column: 'platformVideoId' }])
    .limit(limit)
    .offset((page - 1) * limit)) as VideoHistoryRow[];
  return { rows, total: counted?.total ?? 0 };
}

/** Every fetch of one of the blogger's videos, oldest first. */
export function historyOfVideo(trx: Knex, bloggerId: number, platformVideoId: string): PromiseLike<VideoHistoryRow[]> {
  return trx<VideoHistoryRow>('video_history').where({ bloggerId, platformVideoId }).orderBy('fetchedAt');
}

/** Distinct videos tracked and history rows, of one user (or of everyone, in an admin scope). */
export async function trackedVideoTotals(trx: Knex, { userId }: { userId?: number } = {}): Promise<{ videos: number; rows: number }> {
  const query = trx('video_history').select(
    trx.raw('count(distinct (platform, platform_video_id)) as videos'),
    trx.raw('count(*) as rows'),
  );
  if (userId !== undefined) query.where('userId', userId);
  const totals = (await query.first()) as { videos: number; rows: number } | undefined;
  return totals ?? { videos: 0, rows: 0 };
}

/** Writes fetched rows; a row already written for (video, fetched_at) is skipped. Returns how many were new. */
export async function insertVideoHistory(trx: Knex, rows: Omit<VideoHistoryRow, 'id'>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await trx('video_history')
    .insert(rows)
    .onConflict(['bloggerId', 'platform', 'platformVideoId', 'fetchedAt'])
    .ignore()
    .returning('id');
  return inserted.length;
}
