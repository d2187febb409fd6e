/**
 * Questions about a tenant's bloggers. Every one names the owner as well as the blogger, so a
 * wrong id finds nothing even where row-level security is not in force; run inside withTenant().
 */
import type { Knex } from 'knex';
import { Blogger, User } from '../models';

/** The user's blogger with this id, or undefined (another tenant's blogger included). */
export function findOwnedBlogger(trx: Knex, userId: number, bloggerId: number): PromiseLike<Blogger | undefined> {
  return Blogger.query(trx).findById(bloggerId).where('userId', userId);
}

/** Whether the user owns a blogger with this id. */
export async function ownsBlogger(trx: Knex, userId: number, bloggerId: number): Promise<boolean> {
  return (await Blogger.query(trx).findById(bloggerId).where('userId', userId).select('id')) !== undefined;
}

/** The user's bloggers with their sync times, by id. */
export function bloggerSyncTimes(trx: Knex, userId: number) {
  return Blogger.query(trx).where('userId', userId).select('id', 'name', 'lastSyncedAt', 'nextSyncAt', 'syncStatus').orderBy('id');
}

/** How many bloggers the user has. */
export function countBloggers(trx: Knex, userId: number): PromiseLike<number> {
  return Blogger.query(trx).where('userId', userId).resultSize();
}

/** Changes the user's blogger (nothing when it is not theirs). */
export function patchOwnedBlogger(trx: Knex, userId: number, bloggerId: number, patch: Partial<Blogger>): PromiseLike<number> {
  return Blogger.query(trx).where({ id: bloggerId, userId }).patch(patch);
}

/** Whether the user's account is active (a disabled owner's bloggers stop syncing). */
export async function isUserActive(trx: Knex, userId: number): Promise<boolean> {
  return (await User.query(trx).findById(userId).select('isActive'))?.isActive ?? false;
}

/** A deactivated blogger announces no next sync (its workflow is ending). */
export async function clearNextSyncIfInactive(trx: Knex, userId: number, bloggerId: number): Promise<void> {
  await Blogger.query(trx).where({ id: bloggerId, userId, isActive: false }).patch({ nextSyncAt: null });
}

/** A page of active bloggers of active users, in id order after `afterId` (the sync reconciler's list; run with admin scope). */
export function activeBloggersAfter(
  trx: Knex,
  afterId: number,
  limit: number,
): PromiseLike<{ id: number; userId: number; syncStatus: string }[]> {
  return trx('bloggers')
    .join('users', 'users.id', 'bloggers.userId')
    .where('bloggers.isActive', true)
    .where('users.isActive', true)
    .where('bloggers.id', '>', afterId)
    .orderBy('bloggers.id')
    .limit(limit)
    .select('bloggers.id', 'bloggers.userId', 'bloggers.syncStatus');
}
