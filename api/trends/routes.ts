/** /api/trends: Trend Watch for the plans that include it (403 plan_required otherwise). */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { limitPerUser } from '../middleware/rateLimit';
import { existingId } from '../ids';
import { validate, validateQuery } from '../middleware/validate';
import { requestMeta } from '../requestMeta';
import { userRouter, type UserState } from '../router';
import { discoveredQuery, topicsQuery, trendIdParam, trendingQuery, trendVideosQuery, videosQuery } from './schema';
import * as trends from './service';

/** One manual discovery run per user per minute: each run costs platform quota. */
const DISCOVER_LIMIT = { keyPrefix: 'rl:trends:discover', points: 1, durationSeconds: 60, what: 'start a discovery run' };

export function trendRoutes(deps: ApiDeps, protect: Middleware): Router<UserState> {
  const router = userRouter('/api/trends', protect);
  // The plan check runs before validation, so a free plan learns about the plan first.
  router.use(async (ctx, next) => {
    await trends.assertTrendWatch(deps.db, ctx.state.user);
    await next();
  });

  router.get('/discover', validateQuery(discoveredQuery), async (ctx) => {
    ctx.body = await trends.latestDiscovered(deps, ctx.state.query);
  });

  router.post('/discover', limitPerUser(deps.redis, DISCOVER_LIMIT), async (ctx) => {
    ctx.status = 202;
    ctx.body = await trends.triggerDiscovery(deps, ctx.state.user, requestMeta(ctx));
  });

  router.get('/videos', validateQuery(videosQuery), async (ctx) => {
    ctx.body = await trends.monitoredVideos(deps.db, ctx.state.query);
  });

  router.get('/trending', validateQuery(trendingQuery), async (ctx) => {
    ctx.body = await trends.detectedTrends(deps.db, ctx.state.query);
  });

  router.get('/trending/:id/videos', validate({ params: trendIdParam, query: trendVideosQuery }), async (ctx) => {
    ctx.body = await trends.trendVideos(deps.db, existingId(ctx.state.params.id, 'Trend'), ctx.state.query);
  });

  router.get('/topics', validateQuery(topicsQuery), async (ctx) => {
    ctx.body = await trends.trendingTopics(deps.db, ctx.state.query, {
      now: deps.clock.date(),
      windowHours: deps.config.TREND_ANALYSIS_WINDOW_HOURS,
    });
  });

  return router;
}
