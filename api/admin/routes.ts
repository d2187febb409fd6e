/** /api/admin: users, stats, audit log. Admins only: the router carries its own guard. */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { existingId } from '../ids';
import { requireAdmin } from '../middleware/auth';
import { parseParams, validateBody, validateQuery } from '../middleware/validate';
import { requestMeta } from '../requestMeta';
import { listLogsQuery, listUsersQuery, updateUserBody, userIdParam, type ListLogsQuery, type ListUsersQuery, type UpdateUserBody } from './schema';
import { apiRouter } from '../router';
import * as admin from './service';

const userId = (params: unknown): number => existingId(parseParams(userIdParam, params).id, 'User');

export function adminRoutes({ db }: Pick<ApiDeps, 'db'>, protect: Middleware): Router {
  const router = apiRouter('/api/admin');
  router.use(protect, requireAdmin());

  router.get('/users', validateQuery(listUsersQuery), async (ctx) => {
    ctx.body = await admin.listUsers(db, ctx.state.query as ListUsersQuery);
  });

  router.put('/users/:id', validateBody(updateUserBody), async (ctx) => {
    ctx.body = { user: await admin.updateUser(db, ctx.state.user!, userId(ctx.params), ctx.request.body as UpdateUserBody, requestMeta(ctx)) };
  });

  router.delete('/users/:id', async (ctx) => {
    await admin.deleteUser(db, ctx.state.user!, userId(ctx.params), requestMeta(ctx));
    ctx.status = 204;
  });

  router.get('/stats', async (ctx) => {
    ctx.body = await admin.systemStats(db);
  });

  router.get('/logs', validateQuery(listLogsQuery), async (ctx) => {
    ctx.body = await admin.listAuditLogs(db, ctx.state.query as ListLogsQuery);
  });

  return router;
}
