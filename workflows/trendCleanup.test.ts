import assert from 'node:assert/strict';
import { TrendVideo } from '../db/models';
import { resetDb, testDb, testTemporal } from '../test/harness';
import { createTestWorker } from '../test/worker';
import { trendCleanup } from './trendCleanup';

const HOUR = 3600_000;

describe('trendCleanup workflow (real worker, real dev server)', () => {
  beforeEach(() => resetDb());

  async function insertVideo(id: string, ageHours: number, status = 'monitoring') {
    return TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube', platformVideoId: id, creatorId: 'UCcreator', status: status as TrendVideo['status'],
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
});
