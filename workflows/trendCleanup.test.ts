import assert from 'node:assert/strict';
import { TrendSnapshot, TrendVideo } from '../db/models';
import { monitorState, TREND_STATUS, trendMonitorWorkflowId } from '../temporal/contract';
import { eventually } from '../test/eventually';
import { resetDb, testDb, testTemporal } from '../test/harness';
import { recordHistory } from '../test/histories';
import { createTestWorker } from '../test/worker';
import { trendCleanup } from './trendCleanup';
import { trendVideoMonitor } from './trendVideoMonitor';

const HOUR = 3600_000;

describe('trendCleanup workflow (real worker, real dev server)', () => {
  beforeEach(() => resetDb());

  async function insertVideo(id: string, ageHours: number, status = 'monitoring') {
    return TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: id,
      creatorId: 'UCcreator',
      status: status as TrendVideo['status'],
      publishedAt: new Date(Date.now() - ageHours * HOUR),
    });
  }

  it('when it runs, then live videos older than the window are archived and the rest are untouched', async () => {
    const old = await insertVideo('oldvideo001', 8 * 24);
    const oldPaused = await insertVideo('oldvideo002', 9 * 24, 'paused');
    const fresh = await insertVideo('freshvideo1', 2 * 24);
    const alreadyDropped = await insertVideo('droppedvid1', 10 * 24, 'dropped');

    const { worker, taskQueue } = await createTestWorker();
    const { client } = await testTemporal();
    const result = await worker.runUntil(
      client.workflow.execute(trendCleanup, {
        taskQueue,
        workflowId: `test-trend-cleanup-${taskQueue}`,
        args: [{ archiveAfterMs: 7 * 24 * HOUR }],
      }),
    );

    assert.equal(result.archived, 2);
    assert.equal(result.dropped, 0, 'no video had enough snapshots to be judged slow');
    const byId = new Map((await TrendVideo.query(testDb())).map((v) => [v.id, v]));
    assert.equal(byId.get(old.id)?.status, 'archived');
    assert.ok(byId.get(old.id)?.archivedAt instanceof Date);
    assert.equal(byId.get(oldPaused.id)?.status, 'archived');
    assert.equal(byId.get(fresh.id)?.status, 'monitoring');
    assert.equal(byId.get(alreadyDropped.id)?.status, 'dropped', 'a dropped video stays dropped');
  });

  it('when cleanup archives a video whose monitor is running, then the monitor ends, takes no further snapshot, and the database and TrendStatus both say archived', async () => {
    const { worker, taskQueue, deps } = await createTestWorker();
    const { client } = await testTemporal();
    const [video] = await deps.platforms
      .client('youtube')
      .discoverFresh({ publishedAfter: new Date(Date.now() - 2 * 24 * HOUR), limit: 1 });
    const workflowId = trendMonitorWorkflowId('youtube', video!.id);
    // As far as the database knows it was published 8 days ago: past the 7-day window.
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: video!.id,
      creatorId: video!.creatorId,
      publishedAt: new Date(Date.now() - 8 * 24 * HOUR),
      workflowId,
    });
    // A snapshot every second: a monitor left running would keep writing.
    const handle = await client.workflow.start(trendVideoMonitor, {
      taskQueue,
      workflowId,
      args: [{ trendVideoId: row.id, platform: 'youtube', platformVideoId: video!.id, snapshotIntervalMs: 1000, totalSlots: 84 }],
    });
    try {
      const { cleanup, result } = await worker.runUntil(async () => {
        await eventually(
          () => handle.query(monitorState),
          (s) => s.snapshotsTaken >= 2,
        );
        const cleanupHandle = await client.workflow.start(trendCleanup, {
          taskQueue,
          workflowId: `test-cleanup-archive-${taskQueue}`,
          args: [{ archiveAfterMs: 7 * 24 * HOUR }],
        });
        const cleanup = await cleanupHandle.result();
        assert.equal(cleanup.monitorsStopped, 1, "the archived video's monitor is stopped");
        const result = await handle.result();
        await recordHistory('trendCleanup-archived', cleanupHandle);
        await recordHistory('trendVideoMonitor-archived-by-cleanup', handle);
        return { cleanup, result };
      });
      assert.equal(cleanup.archived, 1);
      const described = await handle.describe();
      const after = await TrendVideo.query(testDb()).findById(row.id);
      assert.deepEqual(
        {
          workflow: described.status.name,
          result: result.status,
          db: after?.status,
          searchAttribute: described.typedSearchAttributes.get(TREND_STATUS),
        },
        { workflow: 'COMPLETED', result: 'archived', db: 'archived', searchAttribute: 'archived' },
      );
      const snapshots = await TrendSnapshot.query(testDb()).where('videoId', row.id);
      assert.equal(snapshots.length, result.snapshotsTaken);
      assert.ok(
        snapshots.every((s) => s.takenAt.getTime() <= after!.archivedAt!.getTime()),
        'nothing fetched after the archival was written',
      );
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
});
