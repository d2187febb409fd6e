/** /api/trends: Trend Watch for the pro and enterprise plans (403 plan_required otherwise). */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { limitPerUser } from '../middleware/rateLimit';
import { validateQuery } from '../middleware/validate';
import { requestMeta } from '../requestMeta';
import { discoveredQuery, trendingQuery, videosQuery, type DiscoveredQuery, type TrendingQuery, type VideosQuery } from './schema';
import * as trends from './service';

export function trendRoutes(deps: ApiDeps, protect: Middleware): Router {
  const router = new Router({ prefix: '/api/trends' });
  router.use(protect, async (ctx, next) => {
    trends.assertTrendWatch(ctx.state.user!);
    await next();
  });

  router.get('/discover', validateQuery(discoveredQuery), async (ctx) => {
    ctx.body = await trends.latestDiscovered(deps.db, ctx.state.query as DiscoveredQuery);
  });

  router.post('/discover', limitPerUser(deps.redis, { keyPrefix: 'rl:trends:discover', points: 1, durationSeconds: 60, what: 'start a discovery run' }), async (ctx) => {
    ctx.status = 202;
    ctx.body = await trends.triggerDiscovery(deps, ctx.state.user!, requestMeta(ctx));
  });

  router.get('/videos', validateQuery(videosQuery), async (ctx) => {
    ctx.body = await trends.monitoredVideos(deps.db, ctx.state.query as VideosQuery);
  });

  router.get('/trending', validateQuery(trendingQuery), async (ctx) => {
    ctx.body = await trends.detectedTrends(deps.db, ctx.state.query as TrendingQuery);
  });

  router.get('/topics', async (ctx) => {
    ctx.body = await trends.trendingTopics(deps.db);
  });

  return router;
}
