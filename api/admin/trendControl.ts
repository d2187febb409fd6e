/**
 * Admin control of Trend Watch through Temporal: the schedules (state, next and recent runs;
 * pause, unpause, trigger, backfill) and each video's monitor (state; pause, resume, stop; reset
 * to replay from a chosen workflow task). Every action lands in the audit log.
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { Context } from 'koa';
import Long from 'long';
import { z } from 'zod';
import { recordAudit } from '../../db/queries/audit';
import { NotFoundError, ValidationError } from '../../lib/errors';
import { PLATFORM_NAMES } from '../../platforms/types';
import { TREND_SCHEDULES, trendMonitorWorkflowId, type TrendScheduleName } from '../../temporal/workflowIds';
import type { ApiDeps } from '../deps';
import { zodToValidationError } from '../middleware/errors';
import { validateBody } from '../middleware/validate';
import { requestMeta } from '../requestMeta';

const scheduleName = z.enum(Object.keys(TREND_SCHEDULES) as [TrendScheduleName, ...TrendScheduleName[]]);
const monitorParams = z.object({ platform: z.enum(PLATFORM_NAMES), videoId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a video id') });
const pauseBody = z.object({ note: z.string().max(500).optional() }).strict();
const backfillBody = z
  .object({ start: z.coerce.date(), end: z.coerce.date(), overlap: z.enum(['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'ALLOW_ALL']).optional() })
  .strict()
  .refine((b) => b.start < b.end, { message: 'start must be before end', path: ['end'] });
const resetBody = z.object({ eventId: z.number().int().positive().optional(), reason: z.string().max(500).optional() }).strict();
const stopBody = z.object({ reason: z.string().max(500).optional() }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw zodToValidationError(parsed.error, where);
  return parsed.data;
}

async function describeSchedule(client: Client, name: TrendScheduleName) {
  const id = TREND_SCHEDULES[name];
  try {
    const d = await client.schedule.getHandle(id).describe();
    return {
      name, scheduleId: id, exists: true,
      paused: d.state.paused, note: d.state.note ?? null,
      everyMs: d.spec.intervals?.[0]?.every ?? null,
      overlap: d.policies.overlap, catchupWindowMs: d.policies.catchupWindow,
      nextRunsAt: d.info.nextActionTimes.slice(0, 5),
      recentRuns: d.info.recentActions.slice(-10).map((a) => ({ scheduledAt: a.scheduledAt, takenAt: a.takenAt, workflowId: a.action.workflow.workflowId })),
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { name, scheduleId: id, exists: false };
    throw err;
  }
}

export function trendControlRoutes({ db, config, temporal }: Pick<ApiDeps, 'db' | 'config' | 'temporal'>): Router {
  const { client } = temporal;
  const router = new Router({ prefix: '/api/admin' });

  const audit = (ctx: Context, action: string, targetType: string, targetId: string, extra: { before?: unknown; after?: unknown; meta?: Record<string, unknown> } = {}) => {
    const { ip, requestId } = requestMeta(ctx);
    return recordAudit(db, { action, actorId: ctx.state.user!.id, actorEmail: ctx.state.user!.email, targetType, targetId, ...extra, ip, requestId });
  };

  async function schedule(ctx: Context) {
    const name = parse(scheduleName, ctx.params.name, 'params.name');
    const before = await describeSchedule(client, name);
    if (!before.exists) throw new NotFoundError(`Schedule ${TREND_SCHEDULES[name]} (it is created when the worker starts)`);
    return { name, handle: client.schedule.getHandle(TREND_SCHEDULES[name]), before };
  }

  router.get('/schedules', async (ctx) => {
    ctx.body = { data: await Promise.all((Object.keys(TREND_SCHEDULES) as TrendScheduleName[]).map((n) => describeSchedule(client, n))) };
  });

  router.post('/schedules/:name/pause', validateBody(pauseBody), async (ctx) => {
    const { name, handle, before } = await schedule(ctx);
    await handle.pause((ctx.request.body as z.infer<typeof pauseBody>).note ?? `paused by ${ctx.state.user!.email}`);
    const after = await describeSchedule(client, name);
    await audit(ctx, 'admin.schedule_pause', 'schedule', before.scheduleId, { before: { paused: before.paused }, after: { paused: after.paused } });
    ctx.body = { schedule: after };
  });

  router.post('/schedules/:name/unpause', async (ctx) => {
    const { name, handle, before } = await schedule(ctx);
    await handle.unpause(`unpaused by ${ctx.state.user!.email}`);
    const after = await describeSchedule(client, name);
    await audit(ctx, 'admin.schedule_unpause', 'schedule', before.scheduleId, { before: { paused: before.paused }, after: { paused: after.paused } });
    ctx.body = { schedule: after };
  });

  router.post('/schedules/:name/trigger', async (ctx) => {
    const { handle, before } = await schedule(ctx);
    await handle.trigger();
    await audit(ctx, 'admin.schedule_trigger', 'schedule', before.scheduleId);
    ctx.status = 202;
    ctx.body = { triggered: before.scheduleId };
  });

  router.post('/schedules/:name/backfill', validateBody(backfillBody), async (ctx) => {
    const { handle, before } = await schedule(ctx);
    const { start, end, overlap } = ctx.request.body as z.infer<typeof backfillBody>;
    await handle.backfill({ start, end, overlap: overlap ?? 'ALLOW_ALL' });
    await audit(ctx, 'admin.schedule_backfill', 'schedule', before.scheduleId, { meta: { start, end, overlap: overlap ?? 'ALLOW_ALL' } });
    ctx.status = 202;
    ctx.body = { backfilled: before.scheduleId, start, end };
  });

  function monitor(ctx: Context) {
    const { platform, videoId } = parse(monitorParams, ctx.params, 'params');
    const workflowId = trendMonitorWorkflowId(platform, videoId);
    return { workflowId, handle: client.workflow.getHandle(workflowId) };
  }

  /** Runs a Temporal call on a monitor, turning "no such workflow" into a 404. */
  async function onMonitor<T>(workflowId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) throw new NotFoundError(`Monitor ${workflowId}`);
      throw err;
    }
  }

  router.get('/monitors/:platform/:videoId', async (ctx) => {
    const { workflowId, handle } = monitor(ctx);
    const description = await onMonitor(workflowId, () => handle.describe());
    const state = description.status.name === 'RUNNING' ? await handle.query('state').catch(() => null) : null;
    ctx.body = {
      workflowId, runId: description.runId, status: description.status.name, startTime: description.startTime,
      closeTime: description.closeTime ?? null, historyLength: description.historyLength, state,
      searchAttributes: Object.fromEntries(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])),
    };
  });

  for (const signal of ['pause', 'resume', 'stop'] as const) {
    router.post(`/monitors/:platform/:videoId/${signal}`, async (ctx) => {
      const { workflowId, handle } = monitor(ctx);
      const body = signal === 'stop' ? parse(stopBody, ctx.request.body ?? {}, 'body') : {};
      await onMonitor(workflowId, () => (signal === 'stop' ? handle.signal('stop', { reason: body.reason ?? `stopped by ${ctx.state.user!.email}` }) : handle.signal(signal)));
      await audit(ctx, `admin.monitor_${signal}`, 'workflow', workflowId, { meta: body });
      ctx.status = 202;
      ctx.body = { workflowId, signal };
    });
  }

  router.post('/monitors/:platform/:videoId/reset', validateBody(resetBody), async (ctx) => {
    const { workflowId, handle } = monitor(ctx);
    const { eventId, reason } = ctx.request.body as z.infer<typeof resetBody>;
    const description = await onMonitor(workflowId, () => handle.describe());
    const history = await handle.fetchHistory();
    const completed = (history.events ?? [])
      .filter((e) => e.eventType === proto.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
      .map((e) => Number(e.eventId));
    const target = eventId ?? completed.at(-1);
    if (target === undefined || !completed.includes(target)) {
      throw new ValidationError(`eventId must be a WorkflowTaskCompleted event of the current run: one of ${completed.join(', ')}.`, { path: 'body.eventId', valid: completed });
    }
    const res: proto.api.workflowservice.v1.IResetWorkflowExecutionResponse = await client.workflowService.resetWorkflowExecution({
      namespace: config.TEMPORAL_NAMESPACE,
      workflowExecution: { workflowId, runId: description.runId },
      workflowTaskFinishEventId: Long.fromNumber(target),
      requestId: randomUUID(),
      reason: reason ?? `reset by ${ctx.state.user!.email}`,
    });
    await audit(ctx, 'admin.monitor_reset', 'workflow', workflowId, { before: { runId: description.runId }, after: { runId: res.runId, fromEventId: target } });
    ctx.body = { workflowId, previousRunId: description.runId, runId: res.runId, fromEventId: target };
  });

  return router;
}
