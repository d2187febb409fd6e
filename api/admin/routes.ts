/** /api/admin: users, stats, audit log. Admins only: the router carries its own guard. */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { accountChanged } from '../auth/userCache';
import { existingId } from '../ids';
import { requireAdmin } from '../middleware/auth';
import { validate, validateParams, validateQuery } from '../middleware/validate';
import { requestMeta } from '../requestMeta';
import { listLogsQuery, listUsersQuery, updateUserBody, userIdParam } from './schema';
import { userRouter, type UserState } from '../router';
import * as admin from './service';

/** The user a validated path names (a 404 for an id too large to exist). */
const userId = (ctx: { state: { params: { id: number | null } } }): number => existingId(ctx.state.params.id, 'User');

export function adminRoutes(
  deps: Pick<ApiDeps, 'db' | 'redis' | 'logger' | 'temporal' | 'background' | 'accounts'>,
  protect: Middleware,
): Router<UserState> {
  const { db } = deps;
  const router = userRouter('/api/admin', protect, requireAdmin());

  router.get('/users', validateQuery(listUsersQuery), async (ctx) => {
    ctx.body = await admin.listUsers(db, ctx.state.query);
  });

  router.put('/users/:id', validate({ body: updateUserBody, params: userIdParam }), async (ctx) => {
    const id = userId(ctx);
    ctx.body = { user: await admin.updateUser(db, ctx.state.user, id, ctx.state.body, requestMeta(ctx)) };
    // Committed: this process and every other drop the account they keep (a disabled user is refused at once).
    await accountChanged(deps, id);
  });

  router.delete('/users/:id', validateParams(userIdParam), async (ctx) => {
    const id = userId(ctx);
    await admin.deleteUser(deps, ctx.state.user, id, requestMeta(ctx));
    ctx.status = 204;
  });

  router.get('/stats', async (ctx) => {
    ctx.body = await admin.systemStats(db);
  });

  router.get('/logs', validateQuery(listLogsQuery), async (ctx) => {
    ctx.body = await admin.listAuditLogs(db, ctx.state.query);
  });

  return router;
}
