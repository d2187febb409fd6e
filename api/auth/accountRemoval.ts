/**
 * Removing an account: the one step behind both ways to do it, a user deleting their own account
 * (DELETE /api/auth/me, selfService.ts) and an admin deleting a user (DELETE /api/admin/users/:id).
 *
 * In one transaction, scoped to the account's tenant rows and holding the admin-roster lock: the
 * caller's decision on the locked row (the last active admin stays; the audit entry to record),
 * the account's email and addresses stripped from the audit log (what happened, and when, stays),
 * the account deleted with everything it owns (every tenant table cascades from users), and the
 * caller's audit entry. After the commit: every API process drops the account, so its tokens stop
 * working and its open event streams end; its live events kept for replay go; and after the
 * answer its bloggers' cached answers are retired and their syncs told to stop (they also end by
 * themselves at their next cycle, finding their blogger gone).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { recordAudit, type AuditEntry } from '../../db/queries/audit';
import { Blogger, User } from '../../db/models';
import { withTenant } from '../../db/tenant';
import { forgetUserEvents, retireBloggerCache } from '../../lib/redis';
import { isTemporalUnavailable } from '../../temporal/client';
import { bloggerSyncWorkflowId, stopSync } from '../../temporal/contract';
import type { ApiDeps } from '../deps';
import { accountChanged } from './userCache';

export type AccountRemovalDeps = Pick<ApiDeps, 'db' | 'redis' | 'logger' | 'temporal' | 'background' | 'accounts'>;

/** The audit entry recording a removal; its target (the account) is filled in. */
export type RemovalAudit = Omit<AuditEntry, 'targetType' | 'targetId'>;

export interface RemovedAccount {
  user: User;
  bloggerIds: number[];
}

/** How long stopping one blogger's sync may take after an account is removed (best effort: the sync ends by itself anyway). */
const STOP_SYNC_DEADLINE_MS = 5_000;

/**
 * Removes account `id`, or returns null when there is none. `decide` sees the locked account row
 * and its blogger ids: it throws to refuse (nothing changes) or returns the audit entry to record.
 */
export async function removeAccount(
  deps: AccountRemovalDeps,
  id: number,
  decide: (trx: Knex, user: User, bloggerIds: number[]) => Promise<RemovalAudit>,
): Promise<RemovedAccount | null> {
  // The account's own tenant scope: its bloggers are visible (a plain transaction sees no tenant rows), nobody else's.
  const removed = await withTenant(deps.db, { userId: id }, async (trx) => {
    // The same lock as the admin API's user changes: two admins cannot remove or demote each other into none.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['admin-roster']);
    const user = await User.query(trx).findById(id).forUpdate();
    if (!user) return null;
    const bloggerIds = (await Blogger.query(trx).select('id').where('userId', user.id)).map((b) => b.id);
    const audit = await decide(trx, user, bloggerIds);
    await forgetInAuditLog(trx, user);
    await User.query(trx).deleteById(user.id);
    // An account removing itself is no actor the log may name: its id is gone, its email and address must go.
    const actor = audit.actorId === user.id ? { actorId: null, actorEmail: null, ip: undefined } : {};
    await recordAudit(trx, { ...audit, ...actor, targetType: 'user', targetId: user.id });
    return { user, bloggerIds };
  });
  if (!removed) return null;
  await accountChanged(deps, id);
  await forgetUserEvents(deps.redis, id);
  deps.background.run('account removal clean-up', () => stopBloggerSyncs(deps, removed.bloggerIds));
  return removed;
}

/**
 * Removes the account's email and network addresses from the audit log: its own entries (logins,
 * failures, changes), entries naming it as a target (before/after snapshots), and failed logins
 * with its address before it had an account. What happened, and when, stays.
 */
async function forgetInAuditLog(trx: Knex, user: User): Promise<void> {
  await trx('audit_logs').where('actorId', user.id).orWhere('actorEmail', user.email).update({ actorEmail: null, ip: null });
  // The before/after snapshots of admin changes name the account's email: drop that key.
  const withoutEmail = (column: 'before' | 'after') =>
    trx.raw("case when jsonb_typeof(??) = 'object' then ?? - 'email' else ?? end", [column, column, column]);
  await trx('audit_logs')
    .where({ targetType: 'user', targetId: String(user.id) })
    .update({ before: withoutEmail('before'), after: withoutEmail('after') });
}

async function stopBloggerSyncs(deps: AccountRemovalDeps, bloggerIds: number[]): Promise<void> {
  for (const id of bloggerIds) await retireBloggerCache(deps.redis, id);
  let client: Client;
  try {
    client = deps.temporal.client;
  } catch (err) {
    deps.logger.warn({ err }, 'blogger syncs of a deleted account not signalled (Temporal unreachable); each ends at its next cycle');
    return;
  }
  const queue = [...bloggerIds];
  const stopOne = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const bloggerId = id;
      await client.connection
        .withDeadline(Date.now() + STOP_SYNC_DEADLINE_MS, () =>
          client.workflow.getHandle(bloggerSyncWorkflowId(bloggerId)).signal(stopSync),
        )
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return; // ended already
          if (isTemporalUnavailable(err)) return; // it ends at its next cycle, finding its blogger gone
          deps.logger.warn({ err, bloggerId }, 'blogger sync of a deleted account not signalled; it ends at its next cycle');
        });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, stopOne));
}
