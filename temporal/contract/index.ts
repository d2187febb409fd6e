/**
 * The Temporal contract: everything the API, activities, schedules, scripts and tests need to
 * know about the workflows without running them: workflow type names and signatures, inputs and
 * results, signal and query definitions, workflow and schedule ids, search attributes and failure
 * types (the task queue's name is configuration, TEMPORAL_TASK_QUEUE, handed to the starters and
 * the worker). It is the only place that names a workflow, signal or query by a
 * string (ESLint flags such a string anywhere else).
 *
 * Workflow-safe: no I/O imports (ESLint checks it, as for workflows/), so workflows import their
 * definitions from here, and callers never import workflows/: a workflow's code (and its
 * activities' types) stays out of the API's and the activities' module graph, with no import circle.
 * Callers start a workflow by its contract entry, typed by its signature, through
 * temporal/starters.ts: `client.workflow.start<Workflows['bloggerSync']>(WORKFLOW_TYPES.bloggerSync, …)`
 * checks the args as passing the function would. workflows/index.ts checks at compile time that
 * it hosts exactly these workflows with these signatures.
 */
import type { BloggerSyncInput, BloggerSyncReconcilerInput, BloggerSyncState, ReconcileResult } from './bloggerSync';
import type { DailyDigestInput, DailyDigestResult } from './digest';
import type { NotificationDeliveryInput, NotificationDeliveryResult, NotificationSweepResult } from './notificationDelivery';
import type {
  TrendAnalysisResult,
  TrendCleanupInput,
  TrendCleanupResult,
  TrendDiscoveryInput,
  TrendDiscoveryResult,
  TrendMonitorInput,
  TrendMonitorState,
} from './trendWatch';

export * from './bloggerSync';
export * from './digest';
export * from './failures';
export * from './ids';
export * from './notificationDelivery';
export * from './searchAttributes';
export * from './trendWatch';

/** Every workflow the worker hosts, by type name, with its signature. */
export interface Workflows {
  bloggerSync: (input: BloggerSyncInput) => Promise<BloggerSyncState>;
  bloggerSyncReconciler: (input: BloggerSyncReconcilerInput) => Promise<ReconcileResult>;
  dailyDigest: (input: DailyDigestInput) => Promise<DailyDigestResult>;
  notificationDelivery: (input: NotificationDeliveryInput) => Promise<NotificationDeliveryResult>;
  notificationSweep: () => Promise<NotificationSweepResult>;
  trendAnalysis: () => Promise<TrendAnalysisResult>;
  trendCleanup: (input: TrendCleanupInput) => Promise<TrendCleanupResult>;
  trendDiscovery: (input: TrendDiscoveryInput) => Promise<TrendDiscoveryResult>;
  trendVideoMonitor: (input: TrendMonitorInput) => Promise<TrendMonitorState>;
}

/** Workflow type names: the exported function names of workflows/index.ts (on the wire: never rename). */
export const WORKFLOW_TYPES = {
  bloggerSync: 'bloggerSync',
  bloggerSyncReconciler: 'bloggerSyncReconciler',
  dailyDigest: 'dailyDigest',
  notificationDelivery: 'notificationDelivery',
  notificationSweep: 'notificationSweep',
  trendAnalysis: 'trendAnalysis',
  trendCleanup: 'trendCleanup',
  trendDiscovery: 'trendDiscovery',
  trendVideoMonitor: 'trendVideoMonitor',
} as const satisfies { [K in keyof Workflows]: K };
export type WorkflowType = keyof Workflows;

/** A visibility query for the workflows of one type (`WORKFLOW_TYPES.x`), optionally only running ones or one task queue's. */
export function workflowsOfType(type: WorkflowType, opts: { running?: boolean; taskQueue?: string } = {}): string {
  return [
    `WorkflowType = "${type}"`,
    ...(opts.running ? ['ExecutionStatus = "Running"'] : []),
    ...(opts.taskQueue ? [`TaskQueue = "${opts.taskQueue}"`] : []),
  ].join(' AND ');
}
