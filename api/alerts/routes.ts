/** /api/alerts: the caller's alert rules and their firings (another tenant's id is a 404). */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDeps } from '../deps';
import { existingId } from '../ids';
import { validate, validateBody, validateParams, validateQuery } from '../middleware/validate';
import { userRouter, type UserState } from '../router';
import { alertIdParam, createAlertBody, listAlertsQuery, listFiringsQuery, updateAlertBody } from './schema';
import * as alerts from './service';

/** The rule a validated path names (a 404 for an id too large to exist). */
const ruleId = (ctx: { state: { params: { id: number | null } } }): number => existingId(ctx.state.params.id, 'Alert rule');

export function alertRoutes(deps: Pick<ApiDeps, 'db'>, protect: Middleware): Router<UserState> {
  const { db } = deps;
  // The bare /api/alerts under strict routing: the parent prefix, the paths spelled out (see router.ts).
  const router = userRouter('/api', protect);

  router.get('/alerts', validateQuery(listAlertsQuery), async (ctx) => {
    ctx.body = await alerts.listRules(db, ctx.state.user, ctx.state.query);
  });

  router.post('/alerts', validateBody(createAlertBody), async (ctx) => {
    const alert = await alerts.createRule(db, ctx.state.user, ctx.state.body);
    ctx.status = 201;
    ctx.set('Location', `/api/alerts/${alert.id}`);
    ctx.body = { alert };
  });

  router.get('/alerts/:id', validateParams(alertIdParam), async (ctx) => {
    ctx.body = { alert: await alerts.getRule(db, ctx.state.user, ruleId(ctx)) };
  });

  router.patch('/alerts/:id', validate({ body: updateAlertBody, params: alertIdParam }), async (ctx) => {
    ctx.body = { alert: await alerts.updateRuleOf(db, ctx.state.user, ruleId(ctx), ctx.state.body) };
  });

  router.delete('/alerts/:id', validateParams(alertIdParam), async (ctx) => {
    await alerts.deleteRuleOf(db, ctx.state.user, ruleId(ctx));
    ctx.status = 204;
  });

  router.get('/alerts/:id/firings', validate({ query: listFiringsQuery, params: alertIdParam }), async (ctx) => {
    ctx.body = await alerts.listFirings(db, ctx.state.user, ruleId(ctx), ctx.state.query);
  });

  return router;
}
