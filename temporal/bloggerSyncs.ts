/**
 * Starting blogger syncs, shared by the API (create, re-activate, sync of a blogger that has no
 * workflow) and the reconciler. The reconciler makes "every active blogger of an active user
 * has a running bloggerSync" true again after anything that broke it: a start that failed after
 * the row committed, a terminated or failed workflow, a sync that ended while the blogger was
 * deactivated or its owner disabled.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { withTenant } from '../db/tenant';
import type { BloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import { bloggerSync, pauseSync, resumeSync, syncNow, type BloggerSyncInput } from '../workflows/bloggerSync';
import { BLOGGER_ID, USER_ID } from './searchAttributes';
import { bloggerSyncWorkflowId } from './workflowIds';

export interface BloggerRef {
  bloggerId: number;
  userId: number;
  /** Start paused (the blogger was paused when its workflow went missing). */
  paused?: boolean;
}

export function bloggerSyncInput(settings: BloggerSyncSettings, { bloggerId, userId, paused }: BloggerRef): BloggerSyncInput {
  return { bloggerId, userId, ...settings, ...(paused ? { paused: true } : {}) };
}

/** Starts the blogger's sync, or finds the running one (the same workflow id: never two). */
export async function startBloggerSync(client: Client, opts: { taskQueue: string; settings: BloggerSyncSettings }, ref: BloggerRef): Promise<void> {
  await client.workflow.start(bloggerSync, {
    taskQueue: opts.taskQueue,
    workflowId: bloggerSyncWorkflowId(ref.bloggerId),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [bloggerSyncInput(opts.settings, ref)],
    typedSearchAttributes: [{ key: USER_ID, value: ref.userId }, { key: BLOGGER_ID, value: ref.bloggerId }],
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

export interface ReconcileResult {
  /** Active bloggers of active users. */
  active: number;
  /** How many of them had no running sync and got one. */
  started: number;
  /** Their ids (the first 100). */
  startedIds: number[];
}

const PAGE = 1000;

/**
 * Starts a sync for every active blogger (of an active user) whose workflow is not running. The
 * running set comes from one visibility listing; visibility lags, so a blogger missing from it is
 * described before it is started (and the start attaches to a running workflow anyway).
 */
export async function reconcileBloggerSyncs(
  { db, client, taskQueue, settings }: { db: Knex; client: Client; taskQueue: string; settings: BloggerSyncSettings },
): Promise<ReconcileResult> {
  const running = new Set<string>();
  for await (const wf of client.workflow.list({ query: 'WorkflowType = "bloggerSync" AND ExecutionStatus = "Running"' })) running.add(wf.workflowId);
  const result: ReconcileResult = { active: 0, started: 0, startedIds: [] };
  for (let afterId = 0; ;) {
    const rows = await withTenant(db, { admin: true }, (trx) => trx('bloggers')
      .join('users', 'users.id', 'bloggers.userId')
      .where('bloggers.isActive', true).where('users.isActive', true).where('bloggers.id', '>', afterId)
      .orderBy('bloggers.id').limit(PAGE)
      .select('bloggers.id', 'bloggers.userId', 'bloggers.syncStatus')) as { id: number; userId: number; syncStatus: string }[];
    for (const row of rows) {
      result.active++;
      if (running.has(bloggerSyncWorkflowId(row.id)) || (await isBloggerSyncRunning(client, row.id))) continue;
      await startBloggerSync(client, { taskQueue, settings }, { bloggerId: row.id, userId: row.userId, paused: row.syncStatus === 'paused' });
      result.started++;
      if (result.startedIds.length < 100) result.startedIds.push(row.id);
    }
    if (rows.length < PAGE) return result;
    afterId = rows.at(-1)!.id;
  }
}

/**
 * Delivers a signal to the blogger's sync, starting the workflow first when it has none (the
 * signal then reaches the new run before its first step), atomically.
 */
export async function signalOrStartBloggerSync(
  client: Client, opts: { taskQueue: string; settings: BloggerSyncSettings }, ref: BloggerRef, signal: 'syncNow' | 'pause' | 'resume',
): Promise<void> {
  const definition = { syncNow, pause: pauseSync, resume: resumeSync }[signal];
  await client.workflow.signalWithStart(bloggerSync, {
    taskQueue: opts.taskQueue,
    workflowId: bloggerSyncWorkflowId(ref.bloggerId),
    args: [bloggerSyncInput(opts.settings, ref)],
    signal: definition,
    signalArgs: [],
    typedSearchAttributes: [{ key: USER_ID, value: ref.userId }, { key: BLOGGER_ID, value: ref.bloggerId }],
  });
}
