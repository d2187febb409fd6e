/** /api/webhooks: the caller's webhook endpoints, their test events and delivery logs (another tenant's id is a 404). */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { existingId } from '../ids';
import { validate, validateBody, validateParams, validateQuery } from '../middleware/validate';
import { userRouter, type UserState } from '../router';
import { createWebhookBody, deliveryParams, listDeliveriesQuery, listWebhooksQuery, updateWebhookBody, webhookIdParam } from './schema';
import * as webhooks from './service';

const webhookId = (ctx: { state: { params: { id: number | null } } }): number => existingId(ctx.state.params.id, 'Webhook');

export function webhookRoutes(deps: Pick<ApiDeps, 'db' | 'config' | 'temporal'>, protect: Middleware): Router<UserState> {
  const { db } = deps;
  const router = userRouter('/api', protect);

  router.get('/webhooks', validateQuery(listWebhooksQuery), async (ctx) => {
    ctx.body = await webhooks.listWebhooks(db, ctx.state.user, ctx.state.query);
  });

  router.post('/webhooks', validateBody(createWebhookBody), async (ctx) => {
    const webhook = await webhooks.createWebhook(deps, ctx.state.user, ctx.state.body);
    ctx.status = 201;
    ctx.set('Location', `/api/webhooks/${webhook.id}`);
    ctx.body = { webhook };
  });

  router.get('/webhooks/:id', validateParams(webhookIdParam), async (ctx) => {
    ctx.body = { webhook: await webhooks.getWebhook(db, ctx.state.user, webhookId(ctx)) };
  });

  router.patch('/webhooks/:id', validate({ body: updateWebhookBody, params: webhookIdParam }), async (ctx) => {
    ctx.body = { webhook: await webhooks.updateWebhook(deps, ctx.state.user, webhookId(ctx), ctx.state.body) };
  });

  router.delete('/webhooks/:id', validateParams(webhookIdParam), async (ctx) => {
    await webhooks.deleteWebhook(db, ctx.state.user, webhookId(ctx));
    ctx.status = 204;
  });

  router.post('/webhooks/:id/rotate-secret', validateParams(webhookIdParam), async (ctx) => {
    ctx.body = { webhook: await webhooks.rotateSecret(db, ctx.state.user, webhookId(ctx)) };
  });

  router.post('/webhooks/:id/test', validateParams(webhookIdParam), async (ctx) => {
    ctx.status = 202;
    ctx.body = { delivery: await webhooks.sendTestEvent(deps, ctx.state.user, webhookId(ctx)) };
  });

  router.get('/webhooks/:id/deliveries', validate({ query: listDeliveriesQuery, params: webhookIdParam }), async (ctx) => {
    ctx.body = await webhooks.listDeliveries(db, ctx.state.user, webhookId(ctx), ctx.state.query);
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/redeliver', validateParams(deliveryParams), async (ctx) => {
    const deliveryId = existingId(ctx.state.params.deliveryId, 'Delivery');
    ctx.status = 202;
    ctx.body = { delivery: await webhooks.redeliver(deps, ctx.state.user, webhookId(ctx), deliveryId) };
  });

  return router;
}
