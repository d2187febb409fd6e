/**
 * The one way to start and steer workflows from outside them: the API, the activities (discovery
 * starts monitors, cleanup stops them, the reconciler restarts syncs), the schedules and the
 * scripts all come here. Each starter names its workflow by the contract's entry and is typed by
 * the contract's signature (`start<Workflows['x']>(WORKFLOW_TYPES.x, …)`), so its args are checked
 * as if the workflow function were passed, without importing workflows/ (see temporal/contract).
 *
 * Ids are business ids (temporal/contract/ids.ts): starting the same thing twice finds the same
 * workflow.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { BloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import type { TrendSettings } from '../lib/domain/trendSettings';
import type { WebhookSettings } from '../lib/domain/webhookSettings';
import type { PlatformName } from '../platforms/types';
import { TrendVideoState } from '../lib/domain/trendVideoStatus';
import {
  BLOGGER_ID,
  bloggerSyncWorkflowId,
  manualTrendDiscoveryWorkflowId,
  notificationDeliveryWorkflowId,
  PLATFORM,
  stopMonitor,
  TREND_STATUS,
  trendMonitorWorkflowId,
  USER_ID,
  WORKFLOW_TYPES,
  type BloggerSyncInput,
  type BloggerSyncWakeSignal,
  type NotificationDeliveryInput,
  type TrendDiscoveryInput,
  type TrendMonitorInput,
  type Workflows,
} from './contract';

// ---------------------------------------------------------------- blogger syncs

export interface BloggerRef {
  bloggerId: number;
  userId: number;
  /** Start paused (the blogger was paused when its workflow went missing). */
  paused?: boolean;
}

export interface BloggerSyncStartOptions {
  taskQueue: string;
  settings: BloggerSyncSettings;
}

export function bloggerSyncInput(settings: BloggerSyncSettings, { bloggerId, userId, paused }: BloggerRef): BloggerSyncInput {
  return { bloggerId, userId, ...settings, ...(paused ? { paused: true } : {}) };
}

const bloggerSearchAttributes = (ref: BloggerRef) => [
  { key: USER_ID, value: ref.userId },
  { key: BLOGGER_ID, value: ref.bloggerId },
];

/** Starts the blogger's sync, or finds the running one (the same workflow id: never two). */
export async function startBloggerSync(client: Client, opts: BloggerSyncStartOptions, ref: BloggerRef): Promise<void> {
  await client.workflow.start<Workflows['bloggerSync']>(WORKFLOW_TYPES.bloggerSync, {
    taskQueue: opts.taskQueue,
    workflowId: bloggerSyncWorkflowId(ref.bloggerId),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [bloggerSyncInput(opts.settings, ref)],
    typedSearchAttributes: bloggerSearchAttributes(ref),
  });
}

/**
 * Delivers a signal (syncNow, pause, resume) to the blogger's sync, starting the workflow first
 * when it has none (the signal then reaches the new run before its first step), atomically.
 */
export async function signalOrStartBloggerSync(
  client: Client,
  opts: BloggerSyncStartOptions,
  ref: BloggerRef,
  signal: BloggerSyncWakeSignal,
): Promise<void> {
  await client.workflow.signalWithStart<Workflows['bloggerSync'], []>(WORKFLOW_TYPES.bloggerSync, {
    taskQueue: opts.taskQueue,
    workflowId: bloggerSyncWorkflowId(ref.bloggerId),
    args: [bloggerSyncInput(opts.settings, ref)],
    signal,
    signalArgs: [],
    typedSearchAttributes: bloggerSearchAttributes(ref),
  });
}

/** Whether the blogger's sync workflow is running (a closed or never-started one is not). */
export async function isBloggerSyncRunning(client: Client, bloggerId: number): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(bloggerSyncWorkflowId(bloggerId)).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

// ---------------------------------------------------------------- Trend Watch

export function trendMonitorInput(
  settings: Pick<TrendSettings, 'snapshotIntervalMs' | 'totalSlots' | 'gridPoints'>,
  video: { id: number; platform: PlatformName; platformVideoId: string },
): TrendMonitorInput {
  return {
    trendVideoId: video.id,
    platform: video.platform,
    platformVideoId: video.platformVideoId,
    snapshotIntervalMs: settings.snapshotIntervalMs,
    totalSlots: settings.totalSlots,
    gridPoints: settings.gridPoints,
  };
}

/**
 * Starts a video's monitor. A second start attaches to the running monitor ("use existing"), and
 * a monitor that ran and ended never comes back ("reject duplicate"): then the answer is null.
 * `workflowId` defaults to the video's business id (the benchmark adds a suffix).
 */
export async function startTrendMonitor(
  client: Client,
  opts: { taskQueue: string; workflowId?: string },
  input: TrendMonitorInput,
): Promise<WorkflowHandle<Workflows['trendVideoMonitor']> | null> {
  try {
    return await client.workflow.start<Workflows['trendVideoMonitor']>(WORKFLOW_TYPES.trendVideoMonitor, {
      taskQueue: opts.taskQueue,
      workflowId: opts.workflowId ?? trendMonitorWorkflowId(input.platform, input.platformVideoId),
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Filterable in the Web UI from the start, not only once the first snapshot's task completes.
      typedSearchAttributes: [
        { key: PLATFORM, value: input.platform },
        { key: TREND_STATUS, value: TrendVideoState.monitoring },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw err;
  }
}

/** Asks a monitor to stop; false when it has ended already or never existed (which is fine). */
export async function stopTrendMonitor(client: Client, workflowId: string, reason: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(stopMonitor, { reason });
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The discovery input, the same for the schedule's runs and a user's manual run. */
export function trendDiscoveryInput(
  settings: Pick<TrendSettings, 'discoveryCap'>,
  platforms: PlatformName[],
  opts: { manual?: boolean } = {},
): TrendDiscoveryInput {
  return { platforms, cap: settings.discoveryCap, ...(opts.manual ? { manual: true } : {}) };
}

/** Starts a manual discovery run; requests in the same minute share one run (the id is the minute). */
export function startManualTrendDiscovery(client: Client, opts: { taskQueue: string; at: Date }, input: TrendDiscoveryInput) {
  return client.workflow.start<Workflows['trendDiscovery']>(WORKFLOW_TYPES.trendDiscovery, {
    taskQueue: opts.taskQueue,
    workflowId: manualTrendDiscoveryWorkflowId(opts.at),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [input],
  });
}

// ---------------------------------------------------------------- notifications

/**
 * Starts one delivery (an alert's email, a webhook event to one endpoint). Idempotent: a running
 * delivery is attached to; a finished one may run again (a redelivery), and its row tells the new
 * run whether anything is left to do, so a repeated start after success sends nothing twice.
 */
export async function startNotificationDelivery(
  client: Client,
  opts: { taskQueue: string },
  input: NotificationDeliveryInput,
): Promise<void> {
  await client.workflow.start<Workflows['notificationDelivery']>(WORKFLOW_TYPES.notificationDelivery, {
    taskQueue: opts.taskQueue,
    workflowId: notificationDeliveryWorkflowId(input),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [input],
    typedSearchAttributes: [{ key: USER_ID, value: input.userId }],
  });
}

/** Starts the delivery of one webhook event with the attempts, backoff and deadline of `settings`. */
export function startWebhookDelivery(
  client: Client,
  taskQueue: string,
  settings: WebhookSettings,
  delivery: { id: number; userId: number },
): Promise<void> {
  return startNotificationDelivery(
    client,
    { taskQueue },
    {
      channel: 'webhook',
      deliveryId: delivery.id,
      userId: delivery.userId,
      maxAttempts: settings.maxAttempts,
      retryInitialMs: settings.retryInitialMs,
      timeoutMs: settings.timeoutMs,
    },
  );
}
