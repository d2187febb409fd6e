/**
 * /api/admin/schedules and /api/admin/monitors: steer Trend Watch's schedules and per-video
 * monitors, as the Temporal Web UI does, from scripts. Admins only: the router carries its own guard.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ApiDeps } from '../../deps';
import { requireAdmin } from '../../middleware/auth';
import { parseParams, validateBody } from '../../middleware/validate';
import { requestMeta } from '../../requestMeta';
import {
  backfillBody, MONITOR_SIGNALS, monitorParams, monitorSignalBody, resetBody, scheduleNoteBody, scheduleParams, triggerBody,
  type BackfillBody, type MonitorSignalBody, type ResetBody, type ScheduleNoteBody, type TriggerBody,
} from './schema';
import { apiRouter } from '../../router';
import * as control from './service';

const actor = (ctx: Context): control.Actor => ({ user: ctx.state.user!, meta: requestMeta(ctx) });

export function trendControlRoutes({ db, config, temporal }: Pick<ApiDeps, 'db' | 'config' | 'temporal'>, protect: Middleware): Router {
  // A getter: the API's Temporal client is replaced after a lost connection, so never keep one.
  const deps: control.TrendControlDeps = { db, get client() { return temporal.client; }, namespace: config.TEMPORAL_NAMESPACE };
  const router = apiRouter('/api/admin');
  router.use(protect, requireAdmin());

  router.get('/schedules', async (ctx) => {
    ctx.body = { data: await control.listSchedules(deps.client) };
  });

  for (const [action, paused] of [['pause', true], ['unpause', false]] as const) {
    router.post(`/schedules/:name/${action}`, validateBody(scheduleNoteBody), async (ctx) => {
      const { name } = parseParams(scheduleParams, ctx.params);
      const { note } = ctx.request.body as ScheduleNoteBody;
      ctx.body = { schedule: await control.setSchedulePaused(deps, actor(ctx), name, paused, note) };
    });
  }

  router.post('/schedules/:name/trigger', validateBody(triggerBody), async (ctx) => {
    const { name } = parseParams(scheduleParams, ctx.params);
    ctx.status = 202;
    ctx.body = await control.triggerSchedule(deps, actor(ctx), name, ctx.request.body as TriggerBody);
  });

  router.post('/schedules/:name/backfill', validateBody(backfillBody), async (ctx) => {
    const { name } = parseParams(scheduleParams, ctx.params);
    ctx.status = 202;
    ctx.body = await control.backfillSchedule(deps, actor(ctx), name, ctx.request.body as BackfillBody);
  });

  router.get('/monitors/:platform/:videoId', async (ctx) => {
    ctx.body = await control.describeMonitor(deps.client, parseParams(monitorParams, ctx.params));
  });

  for (const signal of MONITOR_SIGNALS) {
    router.post(`/monitors/:platform/:videoId/${signal}`, validateBody(monitorSignalBody), async (ctx) => {
      const { reason } = ctx.request.body as MonitorSignalBody;
      ctx.status = 202;
      ctx.body = await control.signalMonitor(deps, actor(ctx), parseParams(monitorParams, ctx.params), signal, reason);
    });
  }

  router.post('/monitors/:platform/:videoId/reset', validateBody(resetBody), async (ctx) => {
    ctx.body = await control.resetMonitor(deps, actor(ctx), parseParams(monitorParams, ctx.params), ctx.request.body as ResetBody);
  });

  return router;
}
