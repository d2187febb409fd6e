/**
 * Trend Watch runs on Temporal Schedules (the successor of cron workflows), visible and steerable
 * in the Web UI. The worker creates or updates them at start-up, so changing an interval in the
 * configuration and restarting is enough; a paused schedule stays paused across updates.
 *
 * Overlap policy SKIP: a run still going when the next is due makes that next one skip.
 * Catch-up window: after downtime, runs missed within the window are taken, older ones dropped.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { TrendSettings } from '../lib/domain/trendSettings';
import type { PlatformName } from '../platforms/types';
import type { BloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import {
  BLOGGER_SYNC_RECONCILE_SCHEDULE,
  DAILY_DIGEST_SCHEDULE,
  NOTIFICATION_SWEEP_SCHEDULE,
  TREND_SCHEDULES,
  WORKFLOW_TYPES,
  type TrendScheduleName,
  type WorkflowType,
  type Workflows,
} from './contract';
import { trendDiscoveryInput } from './starters';

/** A schedule that starts one workflow type, with that workflow's args (typed by the contract). */
export type TrendScheduleDefinition = {
  [K in WorkflowType]: {
    name: TrendScheduleName | 'bloggerSyncReconcile' | 'digest' | 'notificationSweep';
    scheduleId: string;
    workflowType: K;
    everyMs: number;
    args: Parameters<Workflows[K]>;
    memo: string;
  };
}[WorkflowType];

export function trendScheduleDefinitions(settings: TrendSettings, platforms: PlatformName[]): TrendScheduleDefinition[] {
  return [
    {
      name: 'discovery',
      scheduleId: TREND_SCHEDULES.discovery,
      workflowType: WORKFLOW_TYPES.trendDiscovery,
      everyMs: settings.discoveryIntervalMs,
      args: [trendDiscoveryInput(settings, platforms)],
      memo: 'Finds fresh videos on each platform and starts a 7-day monitor for each',
    },
    {
      name: 'analysis',
      scheduleId: TREND_SCHEDULES.analysis,
      workflowType: WORKFLOW_TYPES.trendAnalysis,
      everyMs: settings.analysisIntervalMs,
      args: [],
      memo: 'Groups recent videos by hashtag, topic, sound and format into trends',
    },
    {
      name: 'cleanup',
      scheduleId: TREND_SCHEDULES.cleanup,
      workflowType: WORKFLOW_TYPES.trendCleanup,
      everyMs: settings.cleanupIntervalMs,
      args: [{}],
      memo: 'Archives old videos, drops slow ones and stops their monitors',
    },
  ];
}

/** The blogger-sync reconciler: every active blogger without a running sync gets one. */
export function bloggerScheduleDefinitions(settings: BloggerSyncSettings, reconcileEveryMs: number): TrendScheduleDefinition[] {
  return [
    {
      name: 'bloggerSyncReconcile',
      scheduleId: BLOGGER_SYNC_RECONCILE_SCHEDULE,
      workflowType: WORKFLOW_TYPES.bloggerSyncReconciler,
      everyMs: reconcileEveryMs,
      args: [{ settings }],
      memo: 'Starts a sync for every active blogger whose sync workflow is missing',
    },
  ];
}

/**
 * The daily digest mail (opt-in per user): once a day, at 00:00 UTC (intervals count from the
 * epoch), covering the last 24 hours of data. A simulation (TIME_SCALE > 1) runs it as often as a
 * simulated day passes.
 */
export function digestScheduleDefinitions(timeScale: number): TrendScheduleDefinition[] {
  return [
    {
      name: 'digest',
      scheduleId: DAILY_DIGEST_SCHEDULE,
      workflowType: WORKFLOW_TYPES.dailyDigest,
      everyMs: Math.round(86_400_000 / timeScale),
      args: [{ windowHours: 24 }],
      memo: 'Mails the daily digest (their bloggers, standout videos, trends) to every user who turned it on',
    },
  ];
}

/** The notification sweep: alert deliveries whose start was lost (a crash, an outage) are started again. */
export function notificationScheduleDefinitions(sweepEveryMs: number): TrendScheduleDefinition[] {
  return [
    {
      name: 'notificationSweep',
      scheduleId: NOTIFICATION_SWEEP_SCHEDULE,
      workflowType: WORKFLOW_TYPES.notificationSweep,
      everyMs: sweepEveryMs,
      args: [],
      memo: 'Starts again every alert delivery (email, webhook) whose start was lost to a crash or an outage',
    },
  ];
}

function scheduleOptions(def: TrendScheduleDefinition, taskQueue: string, catchupWindowMs: number): ScheduleOptions {
  return {
    scheduleId: def.scheduleId,
    spec: { intervals: [{ every: def.everyMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: def.workflowType,
      // Temporal appends each run's scheduled time, e.g. trend-discovery-2026-11-25T04:00:00Z.
      workflowId: def.scheduleId,
      taskQueue,
      args: def.args,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupWindowMs, pauseOnFailure: false },
    memo: { description: def.memo },
  };
}

/**
 * Whether a schedule already does what the definition asks (same interval, workflow, queue, args
 * and policies). Such a schedule is left alone: every worker start would otherwise rewrite every
 * schedule, and an update sends the whole state back, so it could race an admin's pause.
 */
function isUpToDate(current: ScheduleDescription, wanted: ScheduleOptions): boolean {
  const action = current.action;
  const wantedAction = wanted.action as Extract<ScheduleOptions['action'], { type: 'startWorkflow' }>;
  return (
    isDeepStrictEqual(
      current.spec.intervals?.map((i) => ({ every: i.every, offset: i.offset ?? 0 })),
      [{ every: wanted.spec.intervals?.[0]?.every, offset: 0 }],
    ) &&
    action.type === 'startWorkflow' &&
    action.workflowType === wantedAction.workflowType &&
    action.taskQueue === wantedAction.taskQueue &&
    action.workflowId === wantedAction.workflowId &&
    isDeepStrictEqual(action.args ?? [], wantedAction.args ?? []) &&
    current.policies.overlap === wanted.policies?.overlap &&
    current.policies.catchupWindow === wanted.policies?.catchupWindow &&
    current.policies.pauseOnFailure === wanted.policies?.pauseOnFailure
  );
}

/** Creates missing schedules and brings existing ones up to date; returns what it did per schedule. */
export async function ensureTrendSchedules(
  client: Client,
  defs: TrendScheduleDefinition[],
  opts: { taskQueue: string; catchupWindowMs: number },
): Promise<Record<string, 'created' | 'updated' | 'unchanged'>> {
  const done: Record<string, 'created' | 'updated' | 'unchanged'> = {};
  for (const def of defs) {
    const options = scheduleOptions(def, opts.taskQueue, opts.catchupWindowMs);
    const handle = client.schedule.getHandle(def.scheduleId);
    try {
      if (isUpToDate(await handle.describe(), options)) {
        done[def.name] = 'unchanged';
        continue;
      }
      // The update keeps the schedule's state (a pause, its note) as the describe inside it reads it.
      await handle.update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
      done[def.name] = 'updated';
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      try {
        await client.schedule.create(options);
        done[def.name] = 'created';
      } catch (createErr) {
        if (!(createErr instanceof ScheduleAlreadyRunning)) throw createErr; // another worker won the race
        done[def.name] = 'updated';
      }
    }
  }
  return done;
}
