/**
 * /api/admin/schedules and /api/admin/monitors: steer Trend Watch's schedules and per-video
 * monitors, as the Temporal Web UI does, from scripts. Admins only: the router carries its own guard.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ApiDeps } from '../../deps';
import { requireAdmin } from '../../middleware/auth';
import { validate, validateParams } from '../../middleware/validate';
import { requestMeta } from '../../requestMeta';
import { userRouter, type UserState } from '../../router';
import {
  backfillBody,
  MONITOR_SIGNALS,
  monitorParams,
  monitorSignalBody,
  resetBody,
  scheduleNoteBody,
  scheduleParams,
  triggerBody,
} from './schema';
import * as control from './service';

const actor = (ctx: Context & { state: UserState }): control.Actor => ({ user: ctx.state.user, meta: requestMeta(ctx) });

export function trendControlRoutes(
  { db, config, temporal, redis, logger }: Pick<ApiDeps, 'db' | 'config' | 'temporal' | 'redis' | 'logger'>,
  protect: Middleware,
): Router<UserState> {
  // A getter: the API's Temporal client is replaced after a lost connection, so never keep one.
  const deps: control.TrendControlDeps = {
    db,
    get client() {
      return temporal.client;
    },
    namespace: config.TEMPORAL_NAMESPACE,
    events: { redis, logger, sseReplayEvents: config.SSE_REPLAY_EVENTS },
  };
  const router = userRouter('/api/admin', protect, requireAdmin());

  router.get('/schedules', async (ctx) => {
    ctx.body = { data: await control.listSchedules(deps.client) };
  });

  for (const [action, paused] of [
    ['pause', true],
    ['unpause', false],
  ] as const) {
    router.post(`/schedules/:name/${action}`, validate({ body: scheduleNoteBody, params: scheduleParams }), async (ctx) => {
      ctx.body = { schedule: await control.setSchedulePaused(deps, actor(ctx), ctx.state.params.name, paused, ctx.state.body.note) };
    });
  }

  router.post('/schedules/:name/trigger', validate({ body: triggerBody, params: scheduleParams }), async (ctx) => {
    ctx.status = 202;
    ctx.body = await control.triggerSchedule(deps, actor(ctx), ctx.state.params.name, ctx.state.body);
  });

  router.post('/schedules/:name/backfill', validate({ body: backfillBody, params: scheduleParams }), async (ctx) => {
    ctx.status = 202;
    ctx.body = await control.backfillSchedule(deps, actor(ctx), ctx.state.params.name, ctx.state.body);
  });

  router.get('/monitors/:platform/:videoId', validateParams(monitorParams), async (ctx) => {
    ctx.body = await control.describeMonitor(deps.client, ctx.state.params);
  });

  for (const signal of MONITOR_SIGNALS) {
    router.post(`/monitors/:platform/:videoId/${signal}`, validate({ body: monitorSignalBody, params: monitorParams }), async (ctx) => {
      ctx.status = 202;
      ctx.body = await control.signalMonitor(deps, actor(ctx), ctx.state.params, signal, ctx.state.body.reason);
    });
  }

  router.post('/monitors/:platform/:videoId/reset', validate({ body: resetBody, params: monitorParams }), async (ctx) => {
    ctx.body = await control.resetMonitor(deps, actor(ctx), ctx.state.params, ctx.state.body);
  });

  return router;
}
