/** /api/bloggers: the caller's tracked creators (another tenant's id is a 404). */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import type { AuthUser } from '../middleware/auth';
import { existingId } from '../ids';
import { pageQuery } from '../pagination';
import { apiRouter } from '../router';
import * as stats from './stats';
import { parseParams, validateBody, validateQuery } from '../middleware/validate';
import { bloggerIdParam, createBloggerBody, listBloggersQuery, updateBloggerBody, type CreateBloggerBody, type ListBloggersQuery, type UpdateBloggerBody } from './schema';
import * as bloggers from './service';

const bloggerId = (params: unknown): number => existingId(parseParams(bloggerIdParam, params).id, 'Blogger');

export function bloggerRoutes(deps: Pick<ApiDeps, 'db' | 'redis' | 'config' | 'temporal'>, protect: Middleware): Router {
  const { db } = deps;
  // The bare /api/bloggers under strict routing: the parent prefix, the paths spelled out (see router.ts).
  const router = apiRouter('/api');
  router.use(protect);

  router.get('/bloggers', validateQuery(listBloggersQuery), async (ctx) => {
    ctx.body = await bloggers.listBloggers(db, ctx.state.user!, ctx.state.query as ListBloggersQuery);
  });

  router.post('/bloggers', validateBody(createBloggerBody), async (ctx) => {
    const blogger = await bloggers.createBlogger(deps, ctx.state.user!, ctx.request.body as CreateBloggerBody);
    ctx.status = 201;
    ctx.set('Location', `/api/bloggers/${blogger.id}`);
    ctx.body = { blogger };
  });

  router.get('/bloggers/:id', async (ctx) => {
    ctx.body = { blogger: await bloggers.getBlogger(db, ctx.state.user!, bloggerId(ctx.params)) };
  });

  const owner = (ctx: { state: { user?: AuthUser } }) => ctx.state.user!;

  router.get('/bloggers/:id/stats', async (ctx) => {
    const id = bloggerId(ctx.params);
    if (ctx.query.format === 'csv') {
      ctx.type = 'text/csv';
      ctx.attachment(`blogger-${id}-daily.csv`);
      ctx.body = await stats.dailySeriesCsv(deps, owner(ctx), id);
      return;
    }
    ctx.body = await stats.statsOf(deps, owner(ctx), id);
  });

  router.get('/bloggers/:id/videos', validateQuery(z.object(pageQuery)), async (ctx) => {
    const { page, limit } = ctx.state.query as { page: number; limit: number };
    ctx.body = await stats.videosOf(deps, owner(ctx), bloggerId(ctx.params), page, limit);
  });

  router.get('/bloggers/:id/videos/:videoId/history', async (ctx) => {
    const id = bloggerId(ctx.params);
    const history = await stats.historyOf(deps, owner(ctx), id, String(ctx.params.videoId).slice(0, 100));
    if (ctx.query.format === 'csv') {
      ctx.type = 'text/csv';
      ctx.attachment(`blogger-${id}-video-history.csv`);
      ctx.body = stats.historyCsv(history);
      return;
    }
    ctx.body = { data: history };
  });

  // 202 either way: `queued` says whether a sync was woken, `reason` why not (see requestSync).
  router.post('/bloggers/:id/sync', async (ctx) => {
    ctx.status = 202;
    ctx.body = { signal: 'sync', ...(await bloggers.requestSync(deps, owner(ctx), bloggerId(ctx.params))) };
  });

  for (const signal of ['pause', 'resume'] as const) {
    router.post(`/bloggers/:id/${signal}`, async (ctx) => {
      await bloggers.signalSync(deps, owner(ctx), bloggerId(ctx.params), signal);
      ctx.status = 202;
      ctx.body = { signal };
    });
  }

  router.put('/bloggers/:id', validateBody(updateBloggerBody), async (ctx) => {
    ctx.body = { blogger: await bloggers.updateBlogger(deps, ctx.state.user!, bloggerId(ctx.params), ctx.request.body as UpdateBloggerBody) };
  });

  router.delete('/bloggers/:id', async (ctx) => {
    await bloggers.deleteBlogger(deps, ctx.state.user!, bloggerId(ctx.params));
    ctx.status = 204;
  });

  return router;
}
