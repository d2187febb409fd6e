/**
 * trendDiscovery with the real YouTube adapter against a local stub, a real worker and the dev
 * server: the broad pass, then the rising signals it can afford to follow, then the monitors,
 * then an incremental analysis; the plan is in the result.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TrendVideo } from '../db/models';
import { followsKey } from '../activities/trendDiscovery';
import { WORKFLOW_TYPES, type FollowSignalsResult } from '../temporal/contract';
import { API_KEY, BASE_PATH, fakeYouTube, videoItem } from '../platforms/youtube/testFixtures';
import { resetDb, testDb, testRedis, testTemporal } from '../test/harness';
import { seedRisingTags } from '../test/signalFixtures';
import { recordHistory } from '../test/histories';
import { startStubServer, type StubServer } from '../test/stubServer';
import { createTestWorker } from '../test/worker';
import { trendDiscovery } from './trendDiscovery';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function clearRedis() {
  await testRedis().del(...(await testRedis().keys('quota:youtube:*')), followsKey('youtube'));
}

describe('trendDiscovery follows rising signals (real worker, dev server, YouTube stub)', function () {
  this.timeout(90_000);
  let stub: StubServer;
  beforeEach(async () => {
    await resetDb();
    await clearRedis();
  });
  afterEach(async () => {
    await stub?.close();
    await resetDb();
    await clearRedis();
  });

  it('when a hashtag rises, then the run records the chart, follows the hashtag with a targeted search (and a new name with the budget left), monitors every new video and analyses at once; the plan is in the result', async () => {
    // New video ids per run: an ended monitor's id is never reused (its workflow id is fixed).
    const run = randomBytes(4).toString('hex');
    const [chart1, chart2, wave1, wave2] = ['c1', 'c2', 'w1', 'w2'].map((p) => `${p}${run}x`);
    const now = Date.now();
    const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();
    const tagged = (id: string, channel: string) =>
      videoItem(id, at(1), { snippet: { publishedAt: at(1), channelId: channel, title: 'Cats dancing', tags: ['wave'] } });
    stub = await startStubServer(
      fakeYouTube({
        channels: [],
        popular: [videoItem(chart1!, at(3)), videoItem(chart2!, at(4))],
        videos: [tagged(wave1!, 'UCnew1'), tagged(wave2!, 'UCnew2')],
        searchByQuery: { '#wave': [wave1!, wave2!] },
      }),
    );
    const { worker, taskQueue } = await createTestWorker({
      config: { YOUTUBE_API_KEY: API_KEY, YOUTUBE_API_BASE_URL: `${stub.url}${BASE_PATH}`, PLATFORMS_ENABLED: 'youtube' },
      settings: { snapshotIntervalMs: HOUR, analysisWindowMs: DAY, freshWindowMs: 7 * DAY },
    });
    // Three creators started using #wave two hours ago (already monitored: no monitor to start).
    await seedRisingTags('youtube', { wave: 3 }, { at: now, windowMs: DAY });

    const { client } = await testTemporal();
    await worker.runUntil(async () => {
      const handle = await client.workflow.start(trendDiscovery, {
        taskQueue,
        workflowId: `test-discovery-follows-${taskQueue}`,
        args: [{ platforms: ['youtube'], freshWindowMs: 7 * DAY, cap: 2 }],
      });
      const result = await handle.result();
      await recordHistory(`${WORKFLOW_TYPES.trendDiscovery}-follows-signals`, handle);

      assert.deepEqual(result.perPlatform.youtube, { found: 2, inserted: 2 });
      const follows = result.follows?.youtube as FollowSignalsResult;
      assert.deepEqual(
        follows.plan.map(({ kind, name, found, inserted }) => ({ kind, name, found, inserted })),
        [
          { kind: 'hashtag', name: 'wave', found: 2, inserted: 2 },
          // The chart's one creator used #cats, never seen before: a new name, with the budget left.
          { kind: 'hashtag', name: 'cats', found: 0, inserted: 0 },
        ],
      );
      assert.equal(follows.plan[1]!.reason, 'new name: one creator, never seen before');
      assert.ok(follows.budget.queries >= 2 && follows.quota.spent === 2, JSON.stringify(follows));
      assert.equal(result.monitorsStarted, 4, 'the chart’s two and the followed two');
      assert.ok(result.analysis && 'trends' in result.analysis, JSON.stringify(result.analysis));

      const searches = stub.requests.filter((r) => r.path.endsWith('/search')).map((r) => r.query.get('q'));
      assert.deepEqual(searches, ['#wave', '#cats'], 'the chart filled the cap: no broad search, targeted ones only');

      const monitored = await TrendVideo.query(testDb()).whereNotNull('workflowId').whereNot('workflowId', 'like', 'seeded:%');
      assert.deepEqual(monitored.map((v) => v.platformVideoId).sort(), [chart1, chart2, wave1, wave2].sort());
      await Promise.all(
        monitored.map((v) =>
          client.workflow
            .getHandle(v.workflowId!)
            .terminate('test over')
            .catch(() => undefined),
        ),
      );
    });
  });
});
