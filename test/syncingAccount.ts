/**
 * An account whose bloggers sync on a real worker, for the tests of what must end those syncs at
 * once (an account deleted by its user or by an admin) instead of at their next cycle.
 */
import assert from 'node:assert/strict';
import { Blogger } from '../db/models';
import type { Config } from '../lib/config';
import { WORKFLOW_TYPES, bloggerSyncWorkflowId } from '../temporal/contract';
import { startTestApi, type TestApi } from './api';
import { eventually } from './eventually';
import { terminateRunning, testDb, testTemporal } from './harness';
import { createUser, type TestUser } from './users';
import { createTestWorker } from './worker';

export interface SyncingAccount {
  /** An API whose blogger syncs run on the test's own worker. */
  api: TestApi;
  /** A pro user who created the bloggers through that API. */
  user: TestUser;
  bloggerIds: number[];
}

/**
 * Runs `body` with an API and a worker of their own and a user whose `bloggers` bloggers have each
 * synced once (each sync then sleeps for BLOGGER_SYNC_MINUTES, an hour). Running blogger syncs are
 * terminated before and after: ids restart with the tables, so an earlier run's sync would share an id.
 */
export async function withSyncingAccount(
  opts: { config?: Partial<Config>; bloggers?: number },
  body: (account: SyncingAccount) => Promise<void>,
): Promise<void> {
  await terminateRunning(WORKFLOW_TYPES.bloggerSync);
  const { worker, taskQueue } = await createTestWorker();
  const api = await startTestApi({ ...opts.config, TEMPORAL_TASK_QUEUE: taskQueue });
  try {
    await worker.runUntil(async () => {
      const user = await createUser(api, { plan: 'pro' });
      const bloggerIds: number[] = [];
      for (let i = 0; i < (opts.bloggers ?? 1); i++) {
        const created = await api.request('POST', '/api/bloggers', {
          token: user.accessToken,
          body: { name: `Synced ${i}`, youtube_url: `https://www.youtube.com/@synced${user.id}n${i}` },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        bloggerIds.push(created.body.blogger.id as number);
      }
      const synced = await eventually(
        () => Blogger.query(testDb()).findByIds(bloggerIds),
        (rows) => rows.length === bloggerIds.length && rows.every((b) => b.lastSyncedAt),
        30_000,
      );
      assert.ok(
        synced.every((b) => b.lastSyncedAt),
        'every first sync ran',
      );
      await body({ api, user, bloggerIds });
    });
  } finally {
    await api.close();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
  }
}

/** How the syncs of `bloggerIds` ended (COMPLETED when told to stop), once none runs; RUNNING for one still running after `timeoutMs`. */
export async function syncOutcomes(bloggerIds: number[], timeoutMs = 20_000): Promise<string[]> {
  const { client } = await testTemporal();
  return Promise.all(
    bloggerIds.map(async (id) => {
      const handle = client.workflow.getHandle(bloggerSyncWorkflowId(id));
      const ended = await eventually(
        () => handle.describe(),
        (d) => d.status.name !== 'RUNNING',
        timeoutMs,
      );
      return ended.status.name;
    }),
  );
}
