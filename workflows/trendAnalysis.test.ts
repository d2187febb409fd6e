/**
 * Analysis on real monitored data: discovery on the simulator starts real monitors, they take
 * snapshots (compressed time), then trendAnalysis groups the videos in SQL.
 */
import assert from 'node:assert/strict';
import { DetectedTrend, TrendVideo } from '../db/models';
import { personalTag, type SimulatorClient } from '../platforms/simulator';
import { WORKFLOW_TYPES } from '../temporal/contract';
import { resetDb, testDb, testRedis, testTemporal } from '../test/harness';
import { recordHistory } from '../test/histories';
import { createTestWorker } from '../test/worker';
import { EVENTS_CHANNEL } from '../activities/trends';
import { trendAnalysis } from './trendAnalysis';
import { trendDiscovery } from './trendDiscovery';

const DAY = 86_400_000;

describe('trendAnalysis on monitored simulator videos', function () {
  this.timeout(120_000);
  before(() => resetDb());

  it('when analysis runs, then a seeded wave is a trend across ≥ 3 creators and no single-creator tag is', async () => {
    // One real second is a simulated hour: snapshots every 1.5 s, analysis over the last 24 s.
    // A small world (24 creators, the last two simulated days) keeps every fresh video monitored.
    const { worker, taskQueue, deps } = await createTestWorker({
      config: { TIME_SCALE: '3600', SIMULATOR_CREATORS: '24' },
      settings: { snapshotIntervalMs: 1500 },
    });
    const { client } = await testTemporal();
    const simulator = deps.platforms.client('youtube') as SimulatorClient;
    const events: string[] = [];
    const subscriber = testRedis().duplicate();
    await subscriber.subscribe(EVENTS_CHANNEL);
    subscriber.on('message', (_channel, message) => events.push(message));

    try {
      await worker.runUntil(async () => {
        const startedAt = deps.clock.now();
        await client.workflow.execute(trendDiscovery, {
          taskQueue,
          workflowId: `test-analysis-discovery-${taskQueue}`,
          args: [{ platforms: ['youtube'], freshWindowMs: (2 * DAY) / 3600, cap: 300 }],
        });
        // Wait until most monitored videos have two snapshots (so a velocity).
        const deadline = Date.now() + 60_000;
        for (;;) {
          const withVelocity = await TrendVideo.query(testDb()).whereNotNull('velocity').resultSize();
          const all = await TrendVideo.query(testDb()).resultSize();
          if (withVelocity >= all * 0.9 || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        // Freeze the data: stop the monitors, so velocities do not move under the assertions.
        for (const v of await TrendVideo.query(testDb()).whereNotNull('workflowId'))
          await client.workflow
            .getHandle(v.workflowId!)
            .terminate('test: data frozen')
            .catch(() => undefined);
        const handle = await client.workflow.start(trendAnalysis, { taskQueue, workflowId: `test-analysis-${taskQueue}` });
        const result = await handle.result();
        await recordHistory(WORKFLOW_TYPES.trendAnalysis, handle);
        assert.ok(result.trends > 0);

        // The world's ground truth over the discovered window: the waves analysis may find, and
        // the tags one creator alone uses (their own, the solo hit's), which it must not.
        const truth = simulator.world.groundTruth(startedAt - 2 * DAY, deps.clock.now());
        const waves = truth.filter((e) => e.kind === 'wave').map((e) => e.names.hashtag);
        assert.ok(waves.length > 0, 'the simulator has waves in the window');
        const hashtags = await DetectedTrend.query(testDb()).where('kind', 'hashtag');
        const found = hashtags.filter((t) => waves.includes(t.name));
        assert.ok(found.length > 0, `a seeded wave (${waves}) was detected among ${hashtags.map((t) => t.name)}`);
        assert.ok(found.every((t) => t.creatorCount >= 3 && t.totalVelocity > 0));
        const oneCreator = new Set([
          ...simulator.world.creators.map(personalTag),
          ...truth.filter((e) => e.kind === 'solo').map((e) => e.names.hashtag),
        ]);
        assert.deepEqual(
          hashtags.filter((t) => oneCreator.has(t.name)).map((t) => t.name),
          [],
          "one creator's tag is never a trend",
        );

        const trending = await TrendVideo.query(testDb()).where('status', 'trending');
        assert.ok(trending.length > 0, 'the fastest videos are marked trending');
        const slowestTrending = Math.min(...trending.map((v) => v.velocity!));
        const fasterMonitoring = await TrendVideo.query(testDb())
          .where('status', 'monitoring')
          .where('velocity', '>', slowestTrending)
          .resultSize();
        assert.equal(fasterMonitoring, 0, 'trending is by velocity percentile');

        await new Promise((r) => setTimeout(r, 200));
        assert.ok(
          events.some((e) => JSON.parse(e).type === 'trend.detected'),
          'an event per new trend',
        );
      });
    } finally {
      await subscriber.quit();
    }
  });
});
