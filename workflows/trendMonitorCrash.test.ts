/**
 * Durability: a real worker process is killed (SIGKILL) in the middle of a monitor; another
 * worker takes over and the monitor completes with every slot written exactly once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TrendSnapshot, TrendVideo } from '../db/models';
import { PROJECT_ROOT } from '../lib/config';
import { trendMonitorWorkflowId } from '../temporal/contract';
import { resetDb, testDb, testTemporal, uniqueTaskQueue } from '../test/harness';
import { recordHistory } from '../test/histories';
import { createTestWorker, testWorkerProcessEnv } from '../test/worker';
import { trendVideoMonitor } from './trendVideoMonitor';

const SLOTS = 8;

async function snapshotCount(videoId: number): Promise<number> {
  return TrendSnapshot.query(testDb()).where('videoId', videoId).resultSize();
}

describe('trendVideoMonitor survives a killed worker', function () {
  this.timeout(120_000);
  before(() => resetDb());

  it('when the worker process is killed mid-monitor and another takes over, then no slot is missing or doubled', async () => {
    const taskQueue = uniqueTaskQueue('crash');
    const probe = await createTestWorker({ taskQueue });
    const [video] = await probe.deps.platforms
      .client('youtube')
      .discoverFresh({ publishedAfter: new Date(Date.now() - 86_400_000), limit: 1 });
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: video!.id,
      creatorId: video!.creatorId,
      publishedAt: new Date(video!.publishedAt),
    });
    const { client } = await testTemporal();
    const handle = await client.workflow.start(trendVideoMonitor, {
      taskQueue,
      workflowId: `${trendMonitorWorkflowId('youtube', video!.id)}-${taskQueue}`,
      args: [{ trendVideoId: row.id, platform: 'youtube', platformVideoId: video!.id, snapshotIntervalMs: 1500, totalSlots: SLOTS }],
    });

    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, 'temporal', 'worker.ts')], {
      env: testWorkerProcessEnv(taskQueue, { LOG_LEVEL: 'warn', SIMULATOR_SEED: String(probe.config.SIMULATOR_SEED) }),
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true, // its own process group: the kill reaches tsx and the node process under it
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 60_000;
      while ((await snapshotCount(row.id)) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.ok((await snapshotCount(row.id)) >= 2, 'the first worker took snapshots');
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
    const beforeTakeover = await snapshotCount(row.id);
    assert.ok(beforeTakeover < SLOTS, 'killed before the end');

    const result = await probe.worker.runUntil(handle.result());
    await recordHistory('trendVideoMonitor-worker-killed', handle);
    assert.equal(result.status, 'archived');
    const slots = (await TrendSnapshot.query(testDb()).where('videoId', row.id).orderBy('slot')).map((s) => s.slot);
    // Timers that came due during the downtime fire on the new worker: late, but not lost.
    assert.deepEqual(
      slots,
      Array.from({ length: SLOTS }, (_, i) => i),
      'every slot exactly once',
    );
    assert.deepEqual(result.skippedSlots, []);
    assert.equal(result.snapshotsTaken, SLOTS);
  });
});
