/**
 * A stored metric's time is the moment the platform answered it. The real YouTube adapter talks
 * to a local stub through its own (test) clock; the platform is slow to answer (the clock moves
 * while the call is in flight, as in a Redis or network stall), and the write is held after the
 * fetch (the clock moves on and real time passes). The rows must carry the answer's time, and
 * velocity must be Δviews / Δ(answer hours) exactly.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createActivities, type ActivityDeps } from '.';
import { Blogger, TrendSnapshot, TrendVideo, User, VideoHistory } from '../db/models';
import { trendSettings } from '../lib/domain/trendSettings';
import type { Platforms } from '../platforms';
import { StatsBatcher } from '../platforms/batcher';
import { QuotaLedger } from '../platforms/quota';
import type { PlatformClient, VideoStats } from '../platforms/types';
import { createYouTubeClient } from '../platforms/youtube';
import { API_KEY, BASE_PATH, channelItem, fakeYouTube, videoItem } from '../platforms/youtube/testFixtures';
import { realClock } from '../lib/clock';
import { createMailer } from '../notifications/mailer';
import { resetDb, testAppDb, testConfig, testDb, testLogger, testRedis, testTemporal } from '../test/harness';
import { startStubServer, type StubServer } from '../test/stubServer';

const HOUR = 3_600_000;
const CHANNEL = 'UCchannel0000000000000001';
const VIDEO = 'vid00000001';

describe('stored metric times are the platform answer times (YouTube adapter, local stub)', function () {
  this.timeout(30_000);
  let stub: StubServer;
  let now: number;
  let views: number;
  /** When the stub answered each videos.list call, on the adapter's clock. */
  let answeredAt: number[];
  let keyPrefix: string;
  /** Held between the fetch and the write: real milliseconds, and how far the adapter's clock moves meanwhile. */
  let hold: { realMs: number; clockMs: number };

  const clock = () => new Date(now);

  beforeEach(async () => {
    await resetDb();
    now = Date.now() - 48 * HOUR; // far from the wall clock: a write or workflow time cannot pass for it
    views = 1000;
    answeredAt = [];
    hold = { realMs: 300, clockMs: 10 * 60_000 };
    keyPrefix = `test:fetch-time:${randomUUID()}`;
    const publishedAt = new Date(now - 2 * HOUR).toISOString();
    stub = await startStubServer((req) => {
      now += 20_000; // the platform takes 20 s to answer (a stall while the call is in flight)
      const reply = fakeYouTube({
        channels: [channelItem(CHANNEL)],
        uploads: { [`UU${CHANNEL.slice(2)}`]: [{ videoId: VIDEO, videoPublishedAt: publishedAt }] },
        videos: [videoItem(VIDEO, publishedAt, { statistics: { viewCount: String(views), likeCount: '5', commentCount: '1' } })],
      })(req);
      if (req.path.endsWith('/videos')) answeredAt.push(now);
      return reply;
    });
  });
  afterEach(async () => {
    await stub.close();
    const keys = await testRedis().keys(`${keyPrefix}:*`);
    if (keys.length) await testRedis().del(...keys);
  });

  /** Activities over the real adapter, with the write held `hold` after every fetch. */
  async function activities() {
    const ledger = new QuotaLedger(testRedis(), clock, keyPrefix);
    const youtube = createYouTubeClient({
      apiKey: API_KEY,
      baseUrl: `${stub.url}${BASE_PATH}`,
      timeoutMs: 2000,
      maxBytes: 1 << 20,
      quota: ledger,
      dailyUnits: 10_000,
      dailySearchCalls: 100,
      clock,
    });
    const held = async <T>(value: T): Promise<T> => {
      now += hold.clockMs;
      await new Promise((resolve) => setTimeout(resolve, hold.realMs));
      return value;
    };
    const client: PlatformClient = { ...youtube, listCreatorVideos: async (id, opts) => held(await youtube.listCreatorVideos(id, opts)) };
    const batcher = new StatsBatcher(youtube, { windowMs: 1 });
    const platforms: Platforms = {
      enabled: ['youtube'],
      client: () => client,
      stats: () => ({
        get: async (id: string): Promise<VideoStats> => held(await batcher.get(id)),
        getMany: async (ids: string[]) => held(await batcher.getMany(ids)),
      }),
      describe: () => [],
      quotaLeft: async () => null,
      quotaBucket: () => null,
      searchBucket: () => null,
      ledger,
    };
    const deps: ActivityDeps = {
      db: testAppDb(),
      logger: testLogger,
      redis: testRedis(),
      platforms,
      temporal: (await testTemporal()).client,
      taskQueue: 'unused',
      settings: trendSettings(testConfig),
      clock: realClock(),
      mailer: createMailer(testConfig, testLogger),
    };
    return createActivities(deps);
  }

  it('when the write is held after a slow fetch, then each snapshot is stamped with the answer time and velocity is Δviews per Δanswer-hour exactly', async () => {
    const acts = await activities();
    const row = await TrendVideo.query(testDb()).insertAndFetch({
      platform: 'youtube',
      platformVideoId: VIDEO,
      creatorId: CHANNEL,
      publishedAt: new Date(now - 2 * HOUR),
    });
    const take = (slot: number) => acts.takeTrendSnapshot({ trendVideoId: row.id, platform: 'youtube', platformVideoId: VIDEO, slot });

    await take(0);
    now += 30 * 60_000; // the next slot, half an hour later
    views = 1600;
    const second = await take(1);
    // A retried activity (the same slot) writes no second row, and fetches nothing.
    const calls = stub.requests.length;
    assert.equal((await take(1)).duplicate, true);
    assert.equal(stub.requests.length, calls);

    const snapshots = await TrendSnapshot.query(testDb()).where('videoId', row.id).orderBy('slot');
    assert.equal(snapshots.length, 2);
    assert.deepEqual(
      snapshots.map((s) => s.takenAt.toISOString()),
      answeredAt.map((t) => new Date(t).toISOString()),
      'taken_at is when YouTube answered',
    );
    const expected = 600 / ((answeredAt[1]! - answeredAt[0]!) / HOUR);
    assert.equal(snapshots[1]!.velocity, expected);
    assert.equal(second.velocity, expected);
    const video = await TrendVideo.query(testDb()).findById(row.id);
    assert.equal(video?.lastSnapshotAt?.toISOString(), new Date(answeredAt[1]!).toISOString());
  });

  it('when a blogger sync writes history after a slow listing and a held write, then fetched_at is the answer time, not the sync time, and a retry adds no row', async () => {
    const acts = await activities();
    const user = await User.query(testDb()).insertAndFetch({
      email: `fetch-time-${randomUUID()}@example.com`,
      passwordHash: 'x',
      plan: 'pro',
    });
    const blogger = await Blogger.query(testDb()).insertAndFetch({
      userId: user.id,
      name: 'cats',
      youtubeUrl: 'https://www.youtube.com/@catchannel',
      youtubeHandle: 'catchannel',
      syncStatus: 'idle',
      platformLinks: { youtube: { state: 'ok', resolvedId: CHANNEL } },
    });
    const syncAt = new Date(now).toISOString(); // the workflow's planned time, before any call
    const request = { bloggerId: blogger.id, userId: user.id, syncAt, lookbackMs: 7 * 24 * HOUR, maxVideos: 50 };

    const outcome = await acts.syncBloggerVideos(request);
    assert.equal(outcome.fetched, 1);
    const again = await acts.syncBloggerVideos(request); // a retry of the same sync
    assert.equal(again.fetched, 0);

    const rows = await VideoHistory.query(testDb()).where({ bloggerId: blogger.id, platformVideoId: VIDEO });
    assert.equal(rows.length, 1, 'one row per fetch, a retry adds none');
    assert.equal(rows[0]!.fetchedAt.toISOString(), new Date(answeredAt[0]!).toISOString(), 'fetched_at is when videos.list answered');
    assert.notEqual(rows[0]!.fetchedAt.toISOString(), syncAt);
    assert.equal(Number(rows[0]!.views), 1000);
  });
});
