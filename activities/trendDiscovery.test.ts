/**
 * Following rising signals (activity, real PostgreSQL and Redis): the plan picks what the quota
 * allows, the targeted queries record new videos like broad discovery does, and the memory of
 * earlier follows moves the quota to where evidence grows. YouTube through the real adapter
 * against a local stub (its daily search bucket); a per-run cap through a test double.
 */
import assert from 'node:assert/strict';
import { createActivities } from '.';
import { TrendVideo } from '../db/models';
import { manualClock } from '../lib/clock';
import { PlatformError } from '../platforms/errors';
import type { Platforms } from '../platforms';
import type { PlatformClient, Signal, Video } from '../platforms/types';
import { API_KEY, BASE_PATH, fakeYouTube, videoItem, type FakeYouTube } from '../platforms/youtube/testFixtures';
import { resetDb, testDb, testRedis } from '../test/harness';
import { seedRisingTags } from '../test/signalFixtures';
import { startStubServer, type StubServer } from '../test/stubServer';
import { createTestWorker } from '../test/worker';
import { followsKey } from './trendDiscovery';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function clearRedis() {
  const keys = [...(await testRedis().keys('quota:youtube:*')), followsKey('youtube'), followsKey('tiktok')];
  await testRedis().del(...keys);
}

describe('following rising signals (activity)', function () {
  this.timeout(30_000);
  beforeEach(async () => {
    await resetDb();
    await clearRedis();
  });
  after(async () => {
    await resetDb();
    await clearRedis();
  });

  describe('YouTube: the daily search bucket, through the real adapter', () => {
    let stub: StubServer;
    afterEach(() => stub?.close());

    it('when three hashtags rise and the day leaves two search calls for the schedule, then the two strongest are searched by date, new videos recorded with their keywords, and the plan and quota are reported; a manual run spends only the manual share', async () => {
      const now = Date.now();
      const recent = (h: number) => new Date(now - h * HOUR).toISOString();
      const waveVideo = (id: string, channel: string) =>
        videoItem(id, recent(1), { snippet: { publishedAt: recent(1), channelId: channel, title: 'Cats dancing #wave', tags: ['wave'] } });
      const youtube: FakeYouTube = {
        channels: [],
        videos: [waveVideo('wavenew0001', 'UCnew1'), waveVideo('wavenew0002', 'UCnew2'), waveVideo('waveseed0', 'wave-creator-0')],
        searchByQuery: { '#wave': ['wavenew0001', 'wavenew0002', 'waveseed0'], '#ripple': [] },
      };
      stub = await startStubServer(fakeYouTube(youtube));
      // 3 search calls a day, a third of them manual (1 held back); one run a day is left
      // whatever the time of day (48 h apart), so the schedule may spend 3 - 1 = 2 now.
      const { deps } = await createTestWorker({
        config: {
          YOUTUBE_API_KEY: API_KEY,
          YOUTUBE_API_BASE_URL: `${stub.url}${BASE_PATH}`,
          PLATFORMS_ENABLED: 'youtube',
          YOUTUBE_DAILY_SEARCH_CALLS: '3',
          TREND_MANUAL_DISCOVERY_SHARE: '0.34',
          // No seeded name is a trend yet, so the plan orders by evidence alone (trends wait: discoveryPlan.test.ts).
          TREND_MIN_CREATORS: '7',
        },
        settings: { discoveryIntervalMs: 48 * HOUR, analysisWindowMs: DAY, freshWindowMs: 7 * DAY },
      });
      const activities = createActivities(deps);
      await seedRisingTags('youtube', { wave: 4, ripple: 3, drop: 2 }, { at: now, windowMs: DAY });

      const result = await activities.followRisingSignals({ platform: 'youtube' });

      assert.deepEqual(
        result.plan.map(({ kind, name, found, inserted }) => ({ kind, name, found, inserted })),
        [
          { kind: 'hashtag', name: 'wave', found: 3, inserted: 2 },
          { kind: 'hashtag', name: 'ripple', found: 0, inserted: 0 },
        ],
      );
      assert.match(result.plan[0]!.reason, /^new signal: 4 creators/);
      assert.equal(result.skipped, 1, 'drop waits for a later run');
      assert.deepEqual(result.budget, { queries: 2, basis: '3 searches left today, 1 held for manual runs, over 1 runs left' });
      assert.deepEqual(result.quota, { spent: 2, left: 1 });

      const searches = stub.requests.filter((r) => r.path.endsWith('/search'));
      assert.deepEqual(
        searches.map((r) => [r.query.get('q'), r.query.get('order'), r.query.get('type')]),
        [
          ['#wave', 'date', 'video'],
          ['#ripple', 'date', 'video'],
        ],
      );
      const publishedAfter = Date.parse(searches[0]!.query.get('publishedAfter')!);
      assert.ok(Math.abs(publishedAfter - (now - 7 * DAY)) < 60_000, 'fresh = within the fresh window before data time now');

      const recorded = await TrendVideo.query(testDb())
        .whereIn('platformVideoId', ['wavenew0001', 'wavenew0002'])
        .orderBy('platformVideoId');
      assert.deepEqual(
        recorded.map((v) => [v.platformVideoId, v.creatorId, v.hashtags, v.keywords, v.status]),
        [
          ['wavenew0001', 'UCnew1', ['wave'], ['cats', 'dancing'], 'monitoring'],
          ['wavenew0002', 'UCnew2', ['wave'], ['cats', 'dancing'], 'monitoring'],
        ],
      );

      const manual = await activities.followRisingSignals({ platform: 'youtube', manual: true });
      assert.equal(manual.budget.queries, 1, 'the one call held for manual runs');
      assert.deepEqual(
        manual.plan.map((f) => f.name),
        ['wave'],
      );
      assert.match(manual.plan[0]!.reason, /evidence grew .*: 4 → 6 creators/, 'its two new creators count');
      assert.deepEqual(manual.quota, { spent: 1, left: 0 });
    });
  });

  describe('a platform without a daily search bucket: a per-run cap (test double)', () => {
    const T0 = Date.UTC(2026, 4, 10, 12);
    let searched: Signal[];
    let answers: Record<string, Video[] | Error>;

    const video = (id: string, creator: string, tag: string, publishedAt: number): Video => ({
      platform: 'tiktok',
      id,
      source: 'tiktok-research-api',
      fetchedAt: new Date(publishedAt + HOUR).toISOString(),
      metrics: { views: 100, likes: 1, comments: 0, shares: 0 },
      creatorId: creator,
      creatorName: creator,
      title: null,
      description: `#${tag}`,
      url: null,
      publishedAt: new Date(publishedAt).toISOString(),
      durationSeconds: 15,
      hashtags: [tag],
      topics: [],
      soundId: null,
      format: 'short',
    });

    async function activitiesAt(clock: ReturnType<typeof manualClock>) {
      const client: PlatformClient = {
        platform: 'tiktok',
        source: 'tiktok-research-api',
        capabilities: { views: 'all', likes: 'all', shares: true, discovery: true, maxBatchSize: 100, searchBy: ['hashtag'], notes: '' },
        resolveCreator: () => Promise.reject(new Error('unused')),
        listCreatorVideos: () => Promise.reject(new Error('unused')),
        getVideoStats: () => Promise.reject(new Error('unused')),
        discoverFresh: () => Promise.reject(new Error('unused')),
        async searchFresh({ signal }) {
          searched.push(signal);
          const answer = answers[signal.name] ?? [];
          if (answer instanceof Error) throw answer;
          return answer;
        },
      };
      const { deps } = await createTestWorker({
        // No seeded name is a trend yet, so the plan orders by evidence alone (trends wait: discoveryPlan.test.ts).
        config: { PLATFORMS_ENABLED: 'tiktok', TREND_TARGETED_QUERIES_PER_RUN: '2', TREND_MIN_CREATORS: '7' },
        settings: { discoveryIntervalMs: 4 * HOUR, analysisWindowMs: DAY, freshWindowMs: 7 * DAY },
        deps: { clock },
      });
      const platforms: Platforms = { ...deps.platforms, client: () => client, searchBucket: () => null };
      return createActivities({ ...deps, platforms });
    }

    beforeEach(() => {
      searched = [];
      answers = {};
    });

    it('when a followed signal brought new creators, then the next run follows it first and a fruitless one waits behind a new one', async () => {
      const clock = manualClock(T0);
      const activities = await activitiesAt(clock);
      await seedRisingTags('tiktok', { wave: 4, ripple: 3, drop: 2 }, { at: T0, windowMs: DAY });
      answers.wave = [video('7100000000000000001', 'newa', 'wave', T0 - HOUR), video('7100000000000000002', 'newb', 'wave', T0 - HOUR)];

      const first = await activities.followRisingSignals({ platform: 'tiktok' });
      assert.deepEqual(
        first.plan.map((f) => [f.name, f.inserted]),
        [
          ['wave', 2],
          ['ripple', 0],
        ],
      );
      assert.deepEqual(first.budget, { queries: 2, basis: '2 targeted queries per run' });
      assert.deepEqual(first.quota, { spent: 2, left: null });

      clock.advance(4 * HOUR); // the next run: wave has 6 creators now, ripple found nothing
      const second = await activities.followRisingSignals({ platform: 'tiktok' });
      assert.deepEqual(
        second.plan.map((f) => f.name),
        ['wave', 'drop'],
      );
      assert.match(second.plan[0]!.reason, /evidence grew since followed 4 h ago: 4 → 6 creators/);
      assert.equal(second.skipped, 1, 'ripple waits: followed recently with nothing new');
    });

    it('when a targeted query comes back full, then its videos are recorded but kept out of trend evidence; a short page counts, also for a video the full page brought first', async () => {
      const activities = await activitiesAt(manualClock(T0));
      await seedRisingTags('tiktok', { dense: 4, rare: 3 }, { at: T0, windowMs: DAY });
      // A full page (the query's limit) is only the dense name's newest slice.
      answers.dense = Array.from({ length: 50 }, (_, i) =>
        video(String(7200000000000000000n + BigInt(i)), `d${i}`, 'dense', T0 - HOUR - i),
      );
      // The short page also holds d0, which the full page recorded first (followed in that order).
      answers.rare = [
        video('7100000000000000005', 'newr', 'rare', T0 - HOUR),
        video(String(7200000000000000000n), 'd0', 'rare', T0 - HOUR),
      ];

      const result = await activities.followRisingSignals({ platform: 'tiktok' });
      assert.deepEqual(
        result.plan.map((f) => [f.name, f.found, f.inserted]),
        [
          ['dense', 50, 50],
          ['rare', 2, 1],
        ],
      );
      const rows = await TrendVideo.query(testDb()).whereIn('creatorId', ['d0', 'd1', 'd49', 'newr']).orderBy('creatorId');
      assert.deepEqual(
        rows.map((r) => [r.creatorId, r.evidence, r.discoveredAt.getTime()]),
        [
          ['d0', true, T0],
          ['d1', false, T0],
          ['d49', false, T0],
          ['newr', true, T0],
        ],
        'discovery time is data time; d0 is evidence since a fair page found it',
      );
    });

    it('when one targeted query fails, then its entry carries the error and the others still run and record', async () => {
      const activities = await activitiesAt(manualClock(T0));
      await seedRisingTags('tiktok', { wave: 4, ripple: 3 }, { at: T0, windowMs: DAY });
      answers.wave = new PlatformError('tiktok', 'retryable', 'internal_error: try later');
      answers.ripple = [
        video('7100000000000000003', 'newc', 'ripple', T0 - HOUR),
        video('7100000000000000004', 'old', 'ripple', T0 - 8 * DAY),
      ];

      const result = await activities.followRisingSignals({ platform: 'tiktok' });
      assert.deepEqual(
        result.plan.map(({ name, found, inserted, error }) => ({ name, found, inserted, error })),
        [
          { name: 'wave', found: 0, inserted: 0, error: 'tiktok: internal_error: try later' },
          { name: 'ripple', found: 2, inserted: 1, error: undefined },
        ],
      );
      assert.ok(await TrendVideo.query(testDb()).findOne({ platformVideoId: '7100000000000000003' }));
      assert.equal(
        await TrendVideo.query(testDb()).findOne({ platformVideoId: '7100000000000000004' }),
        undefined,
        'older than the fresh window',
      );
    });

    it('when the platform cannot be searched by the rising kinds, then nothing is asked and the plan says why', async () => {
      const activities = await activitiesAt(manualClock(T0));
      await seedRisingTags('tiktok', {}, { at: T0, windowMs: DAY }); // the history only
      await TrendVideo.query(testDb()).insert(
        ['a', 'b', 'c'].map((c) => ({
          platform: 'tiktok' as const,
          platformVideoId: `sound${c}`,
          creatorId: c,
          publishedAt: new Date(T0 - HOUR),
          hashtags: [],
          topics: [],
          soundId: '7222222222222222222',
        })),
      );
      const result = await activities.followRisingSignals({ platform: 'tiktok' });
      assert.deepEqual(
        [result.plan, result.skipped, searched],
        [[], 0, []],
        'the double follows hashtags only: a rising sound is not for it',
      );
    });
  });
});
