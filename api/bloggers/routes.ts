/** /api/bloggers: the caller's tracked creators (another tenant's id is a 404). */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { zodToValidationError } from '../middleware/errors';
import { validateBody, validateQuery } from '../middleware/validate';
import { bloggerIdParam, createBloggerBody, listBloggersQuery, updateBloggerBody, type CreateBloggerBody, type ListBloggersQuery, type UpdateBloggerBody } from './schema';
import * as bloggers from './service';

function bloggerId(params: unknown): number {
  const parsed = bloggerIdParam.safeParse(params);
  if (!parsed.success) throw zodToValidationError(parsed.error, 'params');
  return parsed.data.id;
}

export function bloggerRoutes(deps: Pick<ApiDeps, 'db' | 'config' | 'temporal'>, protect: Middleware): Router {
  const { db } = deps;
  const router = new Router({ prefix: '/api/bloggers' });
  router.use(protect);

  router.get('/', validateQuery(listBloggersQuery), async (ctx) => {
    ctx.body = await bloggers.listBloggers(db, ctx.state.user!, ctx.state.query as ListBloggersQuery);
  });

  router.post('/', validateBody(createBloggerBody), async (ctx) => {
    const blogger = await bloggers.createBlogger(deps, ctx.state.user!, ctx.request.body as CreateBloggerBody);
    ctx.status = 201;
    ctx.set('Location', `/api/bloggers/${blogger.id}`);
    ctx.body = { blogger };
  });

  router.get('/:id', async (ctx) => {
    ctx.body = { blogger: await bloggers.getBlogger(db, ctx.state.user!, bloggerId(ctx.params)) };
  });

  router.put('/:id', validateBody(updateBloggerBody), async (ctx) => {
    ctx.body = { blogger: await bloggers.updateBlogger(db, ctx.state.user!, bloggerId(ctx.params), ctx.request.body as UpdateBloggerBody) };
  });

  router.delete('/:id', async (ctx) => {
    await bloggers.deleteBlogger(deps, ctx.state.user!, bloggerId(ctx.params));
    ctx.status = 204;
  });

  return router;
}
