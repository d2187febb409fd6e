/** GET /api/stats: the caller's usage against the plan, totals and last sync times. */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import type { PlanRateLimiter } from '../middleware/rateLimit';
import { userRouter, type UserState } from '../router';
import { usageStats } from './service';

export function statsRoutes(
  { db, redis, config, clock }: Pick<ApiDeps, 'db' | 'redis' | 'config' | 'clock'>,
  protect: Middleware,
  rateLimiter: PlanRateLimiter,
): Router<UserState> {
  // The bare /api/stats under strict routing: the parent prefix, the path spelled out (see router.ts).
  const router = userRouter('/api', protect);

  router.get('/stats', async (ctx) => {
    ctx.body = await usageStats({ db, redis, config, clock, rateLimiter }, ctx.state.user);
  });

  return router;
}
