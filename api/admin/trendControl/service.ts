/**
 * Admin control of Trend Watch through Temporal: the schedules (state, next and recent runs;
 * pause, unpause, trigger, backfill) and each video's monitor (state; pause, resume, stop; reset
 * to replay from a chosen workflow task). Every action lands in the audit log with the actor,
 * the target and, where Temporal can tell, the state before and after.
 */
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { temporal as proto } from '@temporalio/proto';
import type { Knex } from 'knex';
import Long from 'long';
import { recordAudit, type RequestMeta } from '../../../db/queries/audit';
import { publishEvent, type EventDeps } from '../../../events/publish';
import type { EventPayloads } from '../../../lib/domain/events';
import { ConflictError, NotFoundError, ValidationError } from '../../../lib/errors';
import {
  monitorState,
  pauseMonitor,
  resumeMonitor,
  stopMonitor,
  TREND_SCHEDULES,
  TREND_STATUS,
  trendMonitorWorkflowId,
  type TrendMonitorState,
  type TrendScheduleName,
} from '../../../temporal/contract';
import type { AuthUser } from '../../middleware/auth';
import type { BackfillBody, MonitorParams, MonitorSignal, ResetBody, TriggerBody } from './schema';

export interface TrendControlDeps {
  db: Knex;
  client: Client;
  /** The namespace the client talks to (raw workflowService calls need it). */
  namespace: string;
  /** Admins' live events (GET /api/stream): every change made here is announced to them. */
  events: EventDeps;
}

/** Who acted and from where: the audit entry's actor, IP and request id. */
export interface Actor {
  user: Pick<AuthUser, 'id' | 'email'>;
  meta: RequestMeta;
}

/** A query needs a worker to answer; without one the monitor's page still shows what Temporal knows. */
const QUERY_TIMEOUT_MS = 3000;

function audit(
  deps: TrendControlDeps,
  actor: Actor,
  action: string,
  target: { type: string; id: string },
  extra: { before?: unknown; after?: unknown; meta?: Record<string, unknown> } = {},
) {
  return recordAudit(deps.db, {
    action,
    actorId: actor.user.id,
    actorEmail: actor.user.email,
    targetType: target.type,
    targetId: target.id,
    ...extra,
    ip: actor.meta.ip,
    requestId: actor.meta.requestId,
  });
}

/** Tells the admins' event streams what changed (after the change and its audit entry). */
function announceSchedule(deps: TrendControlDeps, actor: Actor, data: Omit<EventPayloads['admin.schedule_changed'], 'by'>) {
  return publishEvent(deps.events, {
    type: 'admin.schedule_changed',
    audience: { admins: true },
    data: { ...data, by: { id: actor.user.id, email: actor.user.email } },
  });
}

function announceMonitor(
  deps: TrendControlDeps,
  actor: Actor,
  params: MonitorParams,
  data: Pick<EventPayloads['admin.monitor_changed'], 'workflowId' | 'action' | 'reason'>,
) {
  return publishEvent(deps.events, {
    type: 'admin.monitor_changed',
    audience: { admins: true },
    data: { ...data, platform: params.platform, videoId: params.videoId, status: null, by: { id: actor.user.id, email: actor.user.email } },
  });
}

// ---------------------------------------------------------------- schedules

export async function describeSchedule(client: Client, name: TrendScheduleName) {
  const scheduleId = TREND_SCHEDULES[name];
  try {
    const d = await client.schedule.getHandle(scheduleId).describe();
    return {
      name,
      scheduleId,
      exists: true as const,
      paused: d.state.paused,
      note: d.state.note || null, // Temporal reports no note as ''
      everyMs: d.spec.intervals?.[0]?.every ?? null,
      overlap: d.policies.overlap,
      catchupWindowMs: d.policies.catchupWindow,
      nextRunsAt: d.info.nextActionTimes.slice(0, 5),
      recentRuns: d.info.recentActions
        .slice(-10)
        .map((a) => ({ scheduledAt: a.scheduledAt, takenAt: a.takenAt, workflowId: a.action.workflow.workflowId })),
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { name, scheduleId, exists: false as const };
    throw err;
  }
}

export function listSchedules(client: Client) {
  return Promise.all((Object.keys(TREND_SCHEDULES) as TrendScheduleName[]).map((name) => describeSchedule(client, name)));
}

/** The schedule as it is now, or 404 (the worker creates the schedules when it starts). */
async function existingSchedule(client: Client, name: TrendScheduleName) {
  const before = await describeSchedule(client, name);
  if (!before.exists) throw new NotFoundError(`Schedule ${before.scheduleId} (the worker creates it when it starts)`);
  return { before, handle: client.schedule.getHandle(before.scheduleId), target: { type: 'schedule', id: before.scheduleId } };
}

export async function setSchedulePaused(
  deps: TrendControlDeps,
  actor: Actor,
  name: TrendScheduleName,
  paused: boolean,
  note: string | undefined,
) {
  const { before, handle, target } = await existingSchedule(deps.client, name);
  const reason = note ?? `${paused ? 'paused' : 'unpaused'} by ${actor.user.email}`;
  await (paused ? handle.pause(reason) : handle.unpause(reason));
  const after = await describeSchedule(deps.client, name);
  await audit(deps, actor, paused ? 'admin.schedule_pause' : 'admin.schedule_unpause', target, {
    before: { paused: before.paused, note: before.note },
    after: after.exists ? { paused: after.paused, note: after.note } : null,
  });
  await announceSchedule(deps, actor, {
    schedule: name,
    scheduleId: before.scheduleId,
    action: paused ? 'pause' : 'unpause',
    paused: after.exists ? after.paused : paused,
    note: after.exists ? after.note : reason,
  });
  return after;
}

export async function triggerSchedule(deps: TrendControlDeps, actor: Actor, name: TrendScheduleName, { overlap }: TriggerBody) {
  const { before, handle, target } = await existingSchedule(deps.client, name);
  // Without an overlap policy the schedule's own applies (skip: nothing starts while a run is going).
  await handle.trigger(overlap);
  await audit(deps, actor, 'admin.schedule_trigger', target, {
    before: { running: before.running },
    meta: { overlap: overlap ?? before.overlap },
  });
  await announceSchedule(deps, actor, {
    schedule: name,
    scheduleId: before.scheduleId,
    action: 'trigger',
    paused: before.paused,
    note: null,
  });
  return { scheduleId: before.scheduleId, overlap: overlap ?? before.overlap };
}

export async function backfillSchedule(
  deps: TrendControlDeps,
  actor: Actor,
  name: TrendScheduleName,
  { start, end, overlap }: BackfillBody,
) {
  const { before, handle, target } = await existingSchedule(deps.client, name);
  await handle.backfill({ start, end, overlap });
  await audit(deps, actor, 'admin.schedule_backfill', target, { meta: { start, end, overlap } });
  await announceSchedule(deps, actor, {
    schedule: name,
    scheduleId: before.scheduleId,
    action: 'backfill',
    paused: before.paused,
    note: `${start.toISOString()} – ${end.toISOString()}`,
  });
  return { scheduleId: before.scheduleId, start, end, overlap };
}

// ---------------------------------------------------------------- monitors

function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as { code?: number }).code === GrpcStatus.NOT_FOUND;
}

/** The monitor's latest run, or 404 when Temporal has never heard of it. */
async function describeExisting(client: Client, { platform, videoId }: MonitorParams) {
  const workflowId = trendMonitorWorkflowId(platform, videoId);
  const handle = client.workflow.getHandle(workflowId);
  try {
    return { workflowId, handle, description: await handle.describe() };
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`Monitor ${workflowId}`);
    throw err;
  }
}

async function queryState(client: Client, handle: WorkflowHandle): Promise<TrendMonitorState | null> {
  try {
    return await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(monitorState));
  } catch {
    return null; // no worker answered in time
  }
}

export async function describeMonitor(client: Client, params: MonitorParams) {
  const { workflowId, handle, description: d } = await describeExisting(client, params);
  return {
    workflowId,
    runId: d.runId,
    status: d.status.name,
    startTime: d.startTime,
    closeTime: d.closeTime ?? null,
    historyLength: d.historyLength,
    taskQueue: d.taskQueue,
    // A closed run's result says the same as its last state; only a running one is asked.
    state: d.status.name === 'RUNNING' ? await queryState(client, handle) : null,
    searchAttributes: Object.fromEntries(d.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])),
  };
}

/** Sends pause, resume or stop (with its reason) to a running monitor; 409 when it has ended. */
export async function signalMonitor(
  deps: TrendControlDeps,
  actor: Actor,
  params: MonitorParams,
  signal: MonitorSignal,
  reason: string | undefined,
) {
  const { workflowId, handle, description } = await describeExisting(deps.client, params);
  if (description.status.name !== 'RUNNING') {
    throw new ConflictError(`Monitor ${workflowId} has ended (${description.status.name}); only a running monitor takes signals.`);
  }
  const why = reason ?? `${signal} by ${actor.user.email}`;
  await (signal === 'stop'
    ? handle.signal(stopMonitor, { reason: why })
    : handle.signal({ pause: pauseMonitor, resume: resumeMonitor }[signal]));
  await audit(
    deps,
    actor,
    `admin.monitor_${signal}`,
    { type: 'workflow', id: workflowId },
    {
      before: { trendStatus: description.typedSearchAttributes.get(TREND_STATUS) ?? null },
      meta: { runId: description.runId, reason: why },
    },
  );
  await announceMonitor(deps, actor, params, { workflowId, action: signal, reason: why });
  return { workflowId, runId: description.runId, signal };
}

/** Event ids of the run's completed workflow tasks: the points a reset can replay from. */
async function completedWorkflowTasks(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === proto.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    .map((e) => Number(e.eventId));
}

/**
 * Resets the monitor's latest run to a completed workflow task (by default the last one): Temporal
 * starts a new run that replays the history up to that point and continues from there.
 */
export async function resetMonitor(deps: TrendControlDeps, actor: Actor, params: MonitorParams, { eventId, reason }: ResetBody) {
  const { workflowId, description } = await describeExisting(deps.client, params);
  const run = deps.client.workflow.getHandle(workflowId, description.runId);
  const completed = await completedWorkflowTasks(run);
  if (completed.length === 0) throw new ConflictError(`Monitor ${workflowId} has no completed workflow task to reset to yet.`);
  const target = eventId ?? completed.at(-1)!;
  if (!completed.includes(target)) {
    throw new ValidationError(
      `eventId ${target} is not a WorkflowTaskCompleted event of run ${description.runId}; use one of ${completed.join(', ')}.`,
      [{ path: 'body.eventId', message: 'must be a WorkflowTaskCompleted event id', valid: completed }],
    );
  }
  const why = reason ?? `reset by ${actor.user.email}`;
  const res = await deps.client.workflowService.resetWorkflowExecution({
    namespace: deps.namespace,
    workflowExecution: { workflowId, runId: description.runId },
    workflowTaskFinishEventId: Long.fromNumber(target),
    requestId: randomUUID(),
    reason: why,
  });
  const runId = res.runId ?? null;
  await audit(
    deps,
    actor,
    'admin.monitor_reset',
    { type: 'workflow', id: workflowId },
    {
      before: { runId: description.runId, status: description.status.name },
      after: { runId, fromEventId: target },
      meta: { reason: why },
    },
  );
  await announceMonitor(deps, actor, params, { workflowId, action: 'reset', reason: why });
  return { workflowId, previousRunId: description.runId, runId, fromEventId: target };
}
