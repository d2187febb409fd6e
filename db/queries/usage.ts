/**
 * A user's daily video budget: the plan's limit and what usage_daily counted for the day.
 * Run inside withTenant().
 */
import type { Knex } from 'knex';
import { UsageDaily, User, UserLimit } from '../models';

/** Videos fetched for the user on the (budget) day. */
export async function videosFetchedOn(trx: Knex, userId: number, day: string): Promise<number> {
  return (await UsageDaily.query(trx).findOne({ userId, day }))?.videosFetched ?? 0;
}

/** The user's plan limit of videos per day (-1: unlimited; 0 for a user that no longer exists). */
export async function dailyVideoLimit(trx: Knex, userId: number): Promise<number> {
  const user = await User.query(trx).findById(userId).select('plan');
  return user ? ((await UserLimit.query(trx).findById(user.plan))?.maxVideosPerDay ?? 0) : 0;
}

/** Whether the user's video budget for the day is already spent. */
export async function videoBudgetSpent(trx: Knex, userId: number, day: string): Promise<boolean> {
  const limit = await dailyVideoLimit(trx, userId);
  return limit >= 0 && (await videosFetchedOn(trx, userId, day)) >= limit;
}

/**
 * Reserves up to `wanted` videos of the day's budget, the day's row locked so parallel syncs of
 * one user share it; the caller's transaction holds the lock until it counts what it wrote.
 */
export async function reserveVideoBudget(
  trx: Knex,
  userId: number,
  day: string,
  wanted: number,
): Promise<{ granted: number; left: number | null }> {
  const limit = await dailyVideoLimit(trx, userId);
  await trx.raw('insert into usage_daily (user_id, day) values (?, ?) on conflict (user_id, day) do nothing', [userId, day]);
  const usage = await UsageDaily.query(trx).where({ userId, day }).forUpdate().first();
  const used = usage?.videosFetched ?? 0;
  if (limit < 0) return { granted: wanted, left: null };
  const granted = Math.max(0, Math.min(wanted, limit - used));
  return { granted, left: limit - used - granted };
}

/** Counts videos written against the day's budget. */
export async function countFetchedVideos(trx: Knex, userId: number, day: string, videos: number): Promise<void> {
  if (videos > 0) await trx('usage_daily').where({ userId, day }).increment('videosFetched', videos);
}
