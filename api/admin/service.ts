/** Administration: users, system statistics and the audit log. Every change is audited. */
import type { Knex } from 'knex';
import { recordAudit, type RequestMeta } from '../../db/queries/audit';
import { AuditLog, Blogger, User } from '../../db/models';
import { trendVideosByStatus } from '../../db/queries/trendVideos';
import { usersByPlan } from '../../db/queries/users';
import { trackedVideoTotals } from '../../db/queries/videoHistory';
import { withTenant } from '../../db/tenant';
import { PLANS } from '../../lib/domain/plans';
import { ConflictError, NotFoundError } from '../../lib/errors';
import type { AuthUser } from '../middleware/auth';
import { removeAccount, type AccountRemovalDeps } from '../auth/accountRemoval';
import { toPage } from '../pagination';
import type { ListLogsQuery, ListUsersQuery, UpdateUserBody } from './schema';
import { pageWithTotal } from '../../db/queries/paging';

type Actor = Pick<AuthUser, 'id' | 'email'>;

function publicUser(u: User) {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    plan: u.plan,
    isActive: u.isActive,
    lastLogin: u.lastLogin ?? null,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

export async function listUsers(db: Knex, q: ListUsersQuery) {
  const query = User.query(db);
  if (q.plan) query.where('plan', q.plan);
  if (q.role) query.where('role', q.role);
  if (q.active !== undefined) query.where('isActive', q.active);
  if (q.search) query.whereILike('email', `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const { results, total } = await pageWithTotal(query.orderBy('id'), q.page, q.limit);
  return toPage(results.map(publicUser), total, q.page, q.limit);
}

/** Fails when the change would leave no active admin (the last admin cannot lock everyone out). */
async function assertAdminsRemain(trx: Knex, target: User, after: { role: string; isActive: boolean }): Promise<void> {
  const losesAdmin = target.role === 'admin' && target.isActive && (after.role !== 'admin' || !after.isActive);
  if (!losesAdmin) return;
  const others = await User.query(trx).where({ role: 'admin', isActive: true }).whereNot('id', target.id).resultSize();
  if (others === 0) throw new ConflictError('This is the last active admin: promote another admin first.');
}

export async function updateUser(db: Knex, actor: Actor, id: number, changes: UpdateUserBody, meta: RequestMeta) {
  return db.transaction(async (trx) => {
    // Lock the admins so two admins cannot demote each other concurrently into zero admins.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['admin-roster']);
    const target = await User.query(trx).findById(id).forUpdate();
    if (!target) throw new NotFoundError('User');
    await assertAdminsRemain(trx, target, { role: changes.role ?? target.role, isActive: changes.isActive ?? target.isActive });
    const updated = await User.query(trx).patchAndFetchById(id, changes);
    await recordAudit(trx, {
      action: 'admin.user_update',
      actorId: actor.id,
      actorEmail: actor.email,
      targetType: 'user',
      targetId: id,
      before: publicUser(target),
      after: publicUser(updated),
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return publicUser(updated);
  });
}

/**
 * Deletes a user and everything it owns through the same step as a self-deletion
 * (api/auth/accountRemoval.ts): its email leaves the audit log, its sessions, event streams and
 * blogger syncs end. The entry keeps who deleted whom; its snapshot of the user has no email.
 * No mail goes to the address: an admin deletes for reasons the product does not know (spam
 * sign-ups, abuse, an address never verified), and says so in their own words when it should.
 */
export async function deleteUser(deps: AccountRemovalDeps, actor: Actor, id: number, meta: RequestMeta): Promise<void> {
  const removed = await removeAccount(deps, id, async (trx, target, bloggerIds) => {
    await assertAdminsRemain(trx, target, { role: 'deleted', isActive: false });
    const { email: _email, ...before } = publicUser(target);
    return {
      action: 'admin.user_delete',
      actorId: actor.id,
      actorEmail: actor.email,
      before,
      meta: { bloggers: bloggerIds.length },
      ip: meta.ip,
      requestId: meta.requestId,
    };
  });
  if (!removed) throw new NotFoundError('User');
}

export async function systemStats(db: Knex) {
  const dayAgo = new Date(Date.now() - 86_400_000);
  const [byPlan, active24h, tenantCounts, trendCounts] = await Promise.all([
    usersByPlan(db),
    User.query(db).where('lastLogin', '>=', dayAgo).resultSize(),
    withTenant(db, { admin: true }, async (trx) => ({
      bloggers: await Blogger.query(trx).resultSize(),
      videosTracked: (await trackedVideoTotals(trx)).videos,
    })),
    trendVideosByStatus(db),
  ]);
  return {
    users: {
      total: [...byPlan.values()].reduce((sum, n) => sum + n, 0),
      byPlan: Object.fromEntries(PLANS.map((p) => [p, byPlan.get(p) ?? 0])),
      activeLast24h: active24h,
    },
    bloggers: tenantCounts.bloggers,
    videosTracked: tenantCounts.videosTracked,
    trendWatch: {
      videosByStatus: trendCounts.byStatus,
      monitorsRunning: trendCounts.live,
    },
  };
}

export async function listAuditLogs(db: Knex, q: ListLogsQuery) {
  const query = AuditLog.query(db);
  if (q.action) query.where('action', q.action);
  if (q.actorId === null)
    query.whereRaw('false'); // an actor id too large to exist
  else if (q.actorId !== undefined) query.where('actorId', q.actorId);
  if (q.targetType) query.where('targetType', q.targetType);
  if (q.targetId) query.where('targetId', q.targetId);
  if (q.from) query.where('createdAt', '>=', q.from);
  if (q.to) query.where('createdAt', '<', q.to);
  const { results, total } = await pageWithTotal(query.orderBy('id', 'desc'), q.page, q.limit);
  return toPage(results, total, q.page, q.limit);
}
