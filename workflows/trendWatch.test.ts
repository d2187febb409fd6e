/**
 * Trend Watch end to end on the real dev server: real worker, real activities, the simulator
 * platform, PostgreSQL, with intervals compressed through the settings.
 */
import assert from 'node:assert/strict';
import { TrendSnapshot, TrendVideo } from '../db/models';
import {
  monitorState,
  TREND_STATUS,
  trendMonitorWorkflowId,
  WORKFLOW_TYPES,
  workflowsOfType,
  type TrendMonitorInput,
} from '../temporal/contract';
import { resetDb, testDb, testTemporal } from '../test/harness';
import { eventually } from '../test/eventually';
import { recordHistory } from '../test/histories';
import type { SimulatorClient } from '../platforms/simulator';
import { createTestWorker } from '../test/worker';
import { trendCleanup } from './trendCleanup';
import { trendDiscovery } from './trendDiscovery';
import { trendVideoMonitor } from './trendVideoMonitor';

const DAY = 86_400_000;

async function monitorIdsOn(taskQueue: string): Promise<string[]> {
  const { client } = await testTemporal();
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: workflowsOfType(WORKFLOW_TYPES.trendVideoMonitor, { taskQueue }) }))
    ids.push(wf.workflowId);
  return ids;
}

describe('Trend Watch workflows (real worker, dev server, simulator)', function () {
  this.timeout(90_000);
  beforeEach(() => resetDb());

  it('when discovery runs, then new videos are recorded with initial metrics and each gets one monitor; a second run starts none again', async () => {
    const { worker, taskQueue, deps } = await createTestWorker({ settings: { snapshotIntervalMs: 60 * 60_000, totalSlots: 84 } });
    const { client } = await testTemporal();
    const input = { platforms: ['youtube' as const], freshWindowMs: 7 * DAY, cap: 5 };
    // A worker runs once: everything that needs it happens inside runUntil.
    await worker.runUntil(async () => {
      const firstHandle = await client.workflow.start(trendDiscovery, {
        taskQueue,
        workflowId: `test-discovery-1-${taskQueue}`,
        args: [input],
      });
      const first = await firstHandle.result();
      await recordHistory(WORKFLOW_TYPES.trendDiscovery, firstHandle);

      const broad = (first.perPlatform.youtube as { inserted: number }).inserted;
      assert.ok(broad > 0 && broad <= 5, JSON.stringify(first));
      // Following rising signals may add videos of their own; every new video gets a monitor.
      const followed = Object.values(first.follows ?? {})
        .flatMap((f) => ('plan' in f ? f.plan : []))
        .reduce((n, f) => n + f.inserted, 0);
      const inserted = broad + followed;
      assert.equal(first.monitorsStarted, inserted);
      const videos = await TrendVideo.query(testDb());
      assert.equal(videos.length, inserted);
      for (const v of videos) {
        assert.equal(v.workflowId, trendMonitorWorkflowId('youtube', v.platformVideoId));
        assert.ok(v.publishedAt.getTime() > Date.now() - 7 * DAY - 60_000, 'fresh');
        assert.equal(typeof v.initialViews, 'number', 'initial metrics recorded');
      }
      const ids = await eventually(
        () => monitorIdsOn(taskQueue),
        (l) => l.length === inserted,
      );
      assert.deepEqual([...ids].sort(), videos.map((v) => v.workflowId!).sort());

      const second = await client.workflow.execute(trendDiscovery, {
        taskQueue,
        workflowId: `test-discovery-2-${taskQueue}`,
        args: [input],
      });
      assert.equal(second.monitorsStarted, 0, 'known videos are not monitored twice');

      // Starting one of them again by hand attaches to the running monitor.
      const v0 = videos[0]!;
      const again = await deps.temporal.workflow.start(trendVideoMonitor, {
        taskQueue,
        workflowId: v0.workflowId!,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [{ trendVideoId: v0.id, platform: 'youtube', platformVideoId: v0.platformVideoId, snapshotIntervalMs: 1000, totalSlots: 2 }],
      });
      const running = await client.workflow.getHandle(v0.workflowId!).describe();
      assert.equal(again.firstExecutionRunId, running.runId);
      assert.equal((await monitorIdsOn(taskQueue)).length, inserted);
      await Promise.all(ids.map((id) => client.workflow.getHandle(id).terminate('test over')));
    });
  });

  it('when a monitor runs its whole window, then every slot is written once with velocities and the video ends archived', async () => {
    const { worker, taskQueue, deps } = await createTestWorker({ config: { TIME_SCALE: '36000' } });
    // At this time scale a real minute is ten simulated hours.
    // A video the simulated world keeps for the whole window (it deletes 1 % of videos after a day).
    const simulator = deps.platforms.client('youtube') as SimulatorClient;
    const weekLater = deps.clock.now() + 7 * 24 * 3_600_000;
    const kept = new Set(
      simulator.world
        .freshVideos(deps.clock.now() - 7 * 24 * 3_600_000, deps.clock.now())
        .filter((v) => !simulator.world.isGone(v, weekLater))
        .map((v) => simulator.videoId(v)),
    );
    const candidates = await simulator.discoverFresh({ publishedAfter: new Date(Date.now() - 60_000), limit: 20 });
    const video = candidates.find((v) => kept.has(v.id));
    assert.ok(video, 'the simulator has fresh videos that stay');
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: video.id,
      creatorId: video.creatorId,
      publishedAt: new Date(video.publishedAt),
      hashtags: video.hashtags,
    });
    const input: TrendMonitorInput = {
      trendVideoId: row.id,
      platform: 'youtube',
      platformVideoId: video.id,
      snapshotIntervalMs: 400,
      totalSlots: 5,
    };
    const { client } = await testTemporal();
    const handle = await client.workflow.start(trendVideoMonitor, {
      taskQueue,
      workflowId: trendMonitorWorkflowId('youtube', video.id),
      args: [input],
    });
    const result = await worker.runUntil(handle.result());
    // trendVideoMonitor.json holds a monitor from before LOCAL_SNAPSHOT_PATCH (activity tasks); it stays for replay.
    await recordHistory(`${WORKFLOW_TYPES.trendVideoMonitor}-local-snapshots`, handle);
    // Each snapshot ran as a local activity inside its wake-up's workflow task: no activity task on the server.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType?.name);
    assert.deepEqual(scheduled, ['finishTrendMonitor'], 'only the ending is an activity task');
    assert.equal(
      events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
      5,
      'one local snapshot per slot',
    );

    assert.equal(result.status, 'archived');
    assert.equal(result.snapshotsTaken, 5);
    const snapshots = await TrendSnapshot.query(testDb()).where('videoId', row.id).orderBy('slot');
    assert.deepEqual(
      snapshots.map((s) => s.slot),
      [0, 1, 2, 3, 4],
    );
    assert.equal(snapshots[0]!.velocity, null, 'the first snapshot has nothing to compare with');
    assert.ok(
      snapshots.slice(1).every((s) => typeof s.velocity === 'number' && s.velocity >= 0),
      'views per (simulated) hour',
    );
    const after = await TrendVideo.query(testDb()).findById(row.id);
    assert.equal(after?.status, 'archived');
    assert.equal(after?.snapshotCount, 5);
    assert.equal(Number(after?.currentViews), Number(snapshots[4]!.views));
  });

  it('when the video is deleted or private, then the monitor ends cleanly as gone', async () => {
    const { worker, taskQueue } = await createTestWorker();
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: 'deletedvid1',
      creatorId: 'UCgone',
      publishedAt: new Date(),
    });
    const { client } = await testTemporal();
    const result = await worker.runUntil(
      client.workflow.execute(trendVideoMonitor, {
        taskQueue,
        workflowId: `${trendMonitorWorkflowId('youtube', 'deletedvid1')}-${taskQueue}`,
        args: [{ trendVideoId: row.id, platform: 'youtube', platformVideoId: 'deletedvid1', snapshotIntervalMs: 60_000, totalSlots: 84 }],
      }),
    );
    assert.equal(result.status, 'gone');
    assert.equal(result.snapshotsTaken, 0);
    assert.equal((await TrendVideo.query(testDb()).findById(row.id))?.status, 'gone');
  });

  it("when the database says a monitored video has ended (no stop signal came), then the monitor writes no further snapshot and ends with the database's status", async () => {
    const { worker, taskQueue, deps } = await createTestWorker();
    const { client } = await testTemporal();
    const [video] = await deps.platforms.client('youtube').discoverFresh({ publishedAfter: new Date(Date.now() - 2 * DAY), limit: 1 });
    const workflowId = trendMonitorWorkflowId('youtube', video!.id);
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: video!.id,
      creatorId: video!.creatorId,
      publishedAt: new Date(),
      workflowId,
    });
    const handle = await client.workflow.start(trendVideoMonitor, {
      taskQueue,
      workflowId,
      args: [{ trendVideoId: row.id, platform: 'youtube', platformVideoId: video!.id, snapshotIntervalMs: 500, totalSlots: 84 }],
    });
    try {
      const { result, writtenBefore } = await worker.runUntil(async () => {
        await eventually(
          () => handle.query(monitorState),
          (s) => s.snapshotsTaken >= 2,
        );
        // Dropped by hand in the database (or by a cleanup whose stop signal was lost).
        await TrendVideo.query(testDb()).patch({ status: 'dropped', archivedAt: new Date() }).where('id', row.id);
        const writtenBefore = await TrendSnapshot.query(testDb()).where('videoId', row.id).resultSize();
        const result = await handle.result();
        await recordHistory('trendVideoMonitor-ended-in-db', handle);
        return { result, writtenBefore };
      });
      assert.equal(result.status, 'dropped');
      assert.equal((await handle.describe()).typedSearchAttributes.get(TREND_STATUS), 'dropped');
      assert.equal((await TrendVideo.query(testDb()).findById(row.id))?.status, 'dropped');
      assert.equal(
        await TrendSnapshot.query(testDb()).where('videoId', row.id).resultSize(),
        writtenBefore,
        'no snapshot after the row ended',
      );
      assert.equal(result.snapshotsTaken, writtenBefore);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  it('when cleanup finds a slow video with enough snapshots, then it is dropped, its monitor stopped and its snapshots pruned', async () => {
    const { worker, taskQueue, deps } = await createTestWorker({ settings: { dropMinSnapshots: 3, dropVelocity: 100 } });
    const { client } = await testTemporal();
    const [slowVideo, fastVideo] = await deps.platforms
      .client('youtube')
      .discoverFresh({ publishedAfter: new Date(Date.now() - 2 * DAY), limit: 2 });
    const slow = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: slowVideo!.id,
      creatorId: slowVideo!.creatorId,
      publishedAt: new Date(),
      snapshotCount: 3,
      velocity: 5,
      workflowId: trendMonitorWorkflowId('youtube', slowVideo!.id),
    });
    const fast = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: fastVideo!.id,
      creatorId: fastVideo!.creatorId,
      publishedAt: new Date(),
      snapshotCount: 3,
      velocity: 5000,
    });
    await testDb()('trend_snapshots').insert([0, 1, 2].map((slot) => ({ videoId: slow.id, slot, takenAt: new Date(), views: slot })));
    // The slow video's monitor is running, waiting for its next slot far in the future.
    const handle = await client.workflow.start(trendVideoMonitor, {
      taskQueue,
      workflowId: slow.workflowId!,
      args: [{ trendVideoId: slow.id, platform: 'youtube', platformVideoId: slowVideo!.id, snapshotIntervalMs: 3_600_000, totalSlots: 84 }],
    });

    const result = await worker.runUntil(async () => {
      // Slot 0 exists already (a duplicate, skipped); wait until the monitor sleeps towards slot 1.
      await eventually(
        () => handle.query(monitorState),
        (s) => s.nextSlot >= 1,
      );
      const cleanupHandle = await client.workflow.start(trendCleanup, {
        taskQueue,
        workflowId: `test-cleanup-${taskQueue}`,
        args: [{ archiveAfterMs: 7 * DAY }],
      });
      const cleanup = await cleanupHandle.result();
      await handle.result();
      await recordHistory(WORKFLOW_TYPES.trendCleanup, cleanupHandle);
      await recordHistory('trendVideoMonitor-stopped', handle);
      return cleanup;
    });
    assert.equal(result.dropped, 1);
    assert.equal(result.monitorsStopped, 1);
    assert.equal(result.snapshotsPruned, 3);
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    assert.equal((await TrendVideo.query(testDb()).findById(slow.id))?.status, 'dropped');
    assert.equal((await TrendVideo.query(testDb()).findById(fast.id))?.status, 'monitoring');
    assert.equal(await TrendSnapshot.query(testDb()).where('videoId', slow.id).resultSize(), 0);
  });
});
