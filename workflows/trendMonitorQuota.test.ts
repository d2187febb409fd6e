/**
 * A monitor waiting for a platform's quota reset: the real worker and activities, the real
 * YouTube adapter against a local stub that answers 403 quotaExceeded.
 */
import assert from 'node:assert/strict';
import { TrendVideo } from '../db/models';
import { quotaDay } from '../platforms/quota';
import { BASE_PATH, youTubeErrorReply } from '../platforms/youtube/testFixtures';
import { eventually } from '../test/eventually';
import { resetDb, testDb, testRedis, testTemporal } from '../test/harness';
import { startStubServer, type StubServer } from '../test/stubServer';
import { createTestWorker } from '../test/worker';
import { monitorState } from '../temporal/contract';
import { trendVideoMonitor } from './trendVideoMonitor';

describe('trendVideoMonitor waiting for a quota reset', function () {
  this.timeout(60_000);
  let stub: StubServer;

  beforeEach(async () => {
    await resetDb();
    stub = await startStubServer(() => youTubeErrorReply(403, 'quotaExceeded'));
  });
  afterEach(async () => {
    await stub.close();
    // The adapter exhausted the shared YouTube buckets in the test Redis: give them back.
    const keys = await testRedis().keys('quota:youtube:*');
    if (keys.length) await testRedis().del(...keys);
  });

  it('when the platform answers quota exhausted, then the state query reports the reset as the next wake-up, not a past slot time', async () => {
    const { worker, taskQueue } = await createTestWorker({
      config: { PLATFORMS_ENABLED: 'youtube', YOUTUBE_API_KEY: 'test-key', YOUTUBE_API_BASE_URL: `${stub.url}${BASE_PATH}` },
    });
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: 'quotaVideo1',
      creatorId: 'UCq',
      publishedAt: new Date(),
    });
    const { client } = await testTemporal();
    const handle = await client.workflow.start(trendVideoMonitor, {
      taskQueue,
      workflowId: `trend-video:youtube:quotaVideo1-${taskQueue}`,
      args: [{ trendVideoId: row.id, platform: 'youtube', platformVideoId: 'quotaVideo1', snapshotIntervalMs: 60_000, totalSlots: 5 }],
    });
    try {
      const state = await worker.runUntil(
        eventually(
          () => handle.query(monitorState),
          (s) => s.skippedSlots.includes(0),
          30_000,
        ),
      );
      assert.deepEqual(state.skippedSlots, [0], JSON.stringify(state));
      const queriedAt = Date.now();
      const resetAt = quotaDay(new Date(queriedAt), 'America/Los_Angeles').resetAt;
      assert.ok(state.nextWakeAt, 'a next wake-up is reported');
      assert.ok(
        Date.parse(state.nextWakeAt) > queriedAt,
        `next wake-up ${state.nextWakeAt} is in the past (queried at ${new Date(queriedAt).toISOString()})`,
      );
      assert.equal(state.nextWakeAt, resetAt.toISOString(), 'the platform quota reset (midnight Pacific) is when the monitor wakes');
      assert.equal(state.snapshotsTaken, 0);
      assert.equal(stub.requests.length, 1, 'the platform was asked once, then the monitor waits');
    } finally {
      await handle.terminate('test over');
    }
  });
});
