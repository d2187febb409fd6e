/** /api/bloggers: the caller's tracked creators (another tenant's id is a 404). */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { existingId } from '../ids';
import { pageQuery } from '../pagination';
import { userRouter, type UserState } from '../router';
import * as stats from './stats';
import { validate, validateBody, validateParams, validateQuery } from '../middleware/validate';
import { bloggerIdParam, createBloggerBody, listBloggersQuery, updateBloggerBody, videoHistoryParams } from './schema';
import * as bloggers from './service';

/** The blogger a validated path names (a 404 for an id too large to exist). */
const bloggerId = (ctx: { state: { params: { id: number | null } } }): number => existingId(ctx.state.params.id, 'Blogger');

export function bloggerRoutes(
  deps: Pick<ApiDeps, 'db' | 'redis' | 'config' | 'temporal' | 'clock'>,
  protect: Middleware,
): Router<UserState> {
  const { db } = deps;
  // The bare /api/bloggers under strict routing: the parent prefix, the paths spelled out (see router.ts).
  const router = userRouter('/api', protect);

  router.get('/bloggers', validateQuery(listBloggersQuery), async (ctx) => {
    ctx.body = await bloggers.listBloggers(db, ctx.state.user, ctx.state.query);
  });

  router.post('/bloggers', validateBody(createBloggerBody), async (ctx) => {
    const blogger = await bloggers.createBlogger(deps, ctx.state.user, ctx.state.body);
    ctx.status = 201;
    ctx.set('Location', `/api/bloggers/${blogger.id}`);
    ctx.body = { blogger };
  });

  router.get('/bloggers/:id', validateParams(bloggerIdParam), async (ctx) => {
    ctx.body = { blogger: await bloggers.getBlogger(db, ctx.state.user, bloggerId(ctx)) };
  });

  router.get('/bloggers/:id/stats', validateParams(bloggerIdParam), async (ctx) => {
    const id = bloggerId(ctx);
    if (ctx.query.format === 'csv') {
      ctx.type = 'text/csv';
      ctx.attachment(`blogger-${id}-daily.csv`);
      ctx.body = await stats.dailySeriesCsv(deps, ctx.state.user, id);
      return;
    }
    ctx.body = await stats.statsOf(deps, ctx.state.user, id);
  });

  router.get('/bloggers/:id/videos', validate({ query: z.object(pageQuery), params: bloggerIdParam }), async (ctx) => {
    const { page, limit } = ctx.state.query;
    ctx.body = await stats.videosOf(deps, ctx.state.user, bloggerId(ctx), page, limit);
  });

  router.get('/bloggers/:id/videos/:videoId/history', validateParams(videoHistoryParams), async (ctx) => {
    const id = bloggerId(ctx);
    const history = await stats.historyOf(deps, ctx.state.user, id, ctx.state.params.videoId);
    if (ctx.query.format === 'csv') {
      ctx.type = 'text/csv';
      ctx.attachment(`blogger-${id}-video-history.csv`);
      ctx.body = stats.historyCsv(history);
      return;
    }
    ctx.body = { data: history };
  });

  // 202 either way: `queued` says whether a sync was woken, `reason` why not (see requestSync).
  router.post('/bloggers/:id/sync', validateParams(bloggerIdParam), async (ctx) => {
    ctx.status = 202;
    ctx.body = { signal: 'sync', ...(await bloggers.requestSync(deps, ctx.state.user, bloggerId(ctx))) };
  });

  for (const signal of ['pause', 'resume'] as const) {
    router.post(`/bloggers/:id/${signal}`, validateParams(bloggerIdParam), async (ctx) => {
      await bloggers.signalSync(deps, ctx.state.user, bloggerId(ctx), signal);
      ctx.status = 202;
      ctx.body = { signal };
    });
  }

  router.put('/bloggers/:id', validate({ body: updateBloggerBody, params: bloggerIdParam }), async (ctx) => {
    ctx.body = { blogger: await bloggers.updateBlogger(deps, ctx.state.user, bloggerId(ctx), ctx.state.body) };
  });

  router.delete('/bloggers/:id', validateParams(bloggerIdParam), async (ctx) => {
    await bloggers.deleteBlogger(deps, ctx.state.user, bloggerId(ctx));
    ctx.status = 204;
  });

  return router;
}
