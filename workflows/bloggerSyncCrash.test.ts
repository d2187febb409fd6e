/**
 * Durability of blogger syncs: the worker process is killed (SIGKILL) mid-sync; another worker
 * takes over. Nothing is lost (syncs go on) and nothing is doubled (each video is written once per
 * sync, and the daily budget counts exactly the rows written).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { UsageDaily, VideoHistory } from '../db/models';
import { PROJECT_ROOT } from '../lib/config';
import { stopSync, WORKFLOW_TYPES } from '../temporal/contract';
import { startTestApi } from '../test/api';
import { eventually } from '../test/eventually';
import { resetDb, terminateRunning, testDb, testTemporal, uniqueTaskQueue } from '../test/harness';
import { createUser } from '../test/users';
import { createTestWorker, testWorkerProcessEnv } from '../test/worker';

describe('bloggerSync survives a killed worker', function () {
  this.timeout(240_000);
  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
  });
  after(() => terminateRunning(WORKFLOW_TYPES.bloggerSync));

  it('when the worker process is killed mid-sync and another takes over, then nothing is lost or doubled', async () => {
    const timing = { TIME_SCALE: '14400', BLOGGER_SYNC_MINUTES: '60', BLOGGER_LOOKBACK_DAYS: '10' };
    const taskQueue = uniqueTaskQueue('sync-crash');
    const survivor = await createTestWorker({ taskQueue, config: timing });
    const api = await startTestApi({ ...survivor.config, TEMPORAL_TASK_QUEUE: taskQueue }, { clock: survivor.deps.clock });
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, 'temporal', 'worker.ts')], {
      env: testWorkerProcessEnv(taskQueue, { ...timing, LOG_LEVEL: 'warn', SIMULATOR_SEED: String(survivor.config.SIMULATOR_SEED) }),
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const user = await createUser(api, { plan: 'pro' });
      const res = await api.request('POST', '/api/bloggers', {
        token: user.accessToken,
        body: { name: 'Crash', youtube_url: 'https://www.youtube.com/@crashtest' },
      });
      const id = res.body.blogger.id;
      const syncsOf = async () =>
        new Set((await VideoHistory.query(testDb()).where('bloggerId', id)).map((r) => r.fetchedAt.getTime())).size;
      assert.ok((await eventually(syncsOf, (n) => n >= 2, 60_000)) >= 2, 'the first worker synced');
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      const before = await syncsOf();

      await survivor.worker.runUntil(async () => {
        // If the kill hit an activity, its retry waits for the activity timeout (1 minute).
        const after = await eventually(syncsOf, (n) => n >= before + 3, 150_000);
        assert.ok(after >= before + 3, 'syncs went on after the takeover');
        const { client } = await testTemporal();
        await client.workflow.getHandle(`blogger-sync:${id}`).signal(stopSync);
        await client.workflow.getHandle(`blogger-sync:${id}`).result();
      });

      const rows = await VideoHistory.query(testDb()).where('bloggerId', id);
      const keys = rows.map((r) => `${r.platformVideoId}@${r.fetchedAt.getTime()}`);
      assert.equal(new Set(keys).size, keys.length, 'no video written twice in one sync');
      const counted = (await UsageDaily.query(testDb()).where('userId', user.id)).reduce((n, u) => n + u.videosFetched, 0);
      assert.equal(counted, rows.length, 'the budget counted every written row exactly once');
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      await api.close();
    }
  });
});
