/**
 * The blogger-sync reconciler makes "every active blogger of an active user has a running
 * bloggerSync" true again after anything that broke it: a start that failed after the row
 * committed, a terminated or failed workflow, a sync that ended while the blogger was deactivated
 * or its owner disabled. It starts syncs through temporal/starters.ts, as the API does.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { activeBloggersAfter } from '../db/queries/bloggers';
import { withTenant } from '../db/tenant';
import type { BloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import { bloggerSyncWorkflowId, WORKFLOW_TYPES, workflowsOfType, type ReconcileResult } from './contract';
import { isBloggerSyncRunning, startBloggerSync } from './starters';

const PAGE = 1000;

/**
 * Starts a sync for every active blogger (of an active user) whose workflow is not running. The
 * running set comes from one visibility listing; visibility lags, so a blogger missing from it is
 * described before it is started (and the start attaches to a running workflow anyway).
 */
export async function reconcileBloggerSyncs({
  db,
  client,
  taskQueue,
  settings,
}: {
  db: Knex;
  client: Client;
  taskQueue: string;
  settings: BloggerSyncSettings;
}): Promise<ReconcileResult> {
  const running = new Set<string>();
  for await (const wf of client.workflow.list({ query: workflowsOfType(WORKFLOW_TYPES.bloggerSync, { running: true }) }))
    running.add(wf.workflowId);
  const result: ReconcileResult = { active: 0, started: 0, startedIds: [] };
  for (let afterId = 0; ;) {
    const rows = await withTenant(db, { admin: true }, (trx) => activeBloggersAfter(trx, afterId, PAGE));
    for (const row of rows) {
      result.active++;
      if (running.has(bloggerSyncWorkflowId(row.id)) || (await isBloggerSyncRunning(client, row.id))) continue;
      await startBloggerSync(
        client,
        { taskQueue, settings },
        { bloggerId: row.id, userId: row.userId, paused: row.syncStatus === 'paused' },
      );
      result.started++;
      if (result.startedIds.length < 100) result.startedIds.push(row.id);
    }
    if (rows.length < PAGE) return result;
    afterId = rows.at(-1)!.id;
  }
}
