/**
 * The sync activity against the real YouTube adapter and a local stub: calls are planned against
 * the quota left, and each tenant gets an equal share of it.
 */
import assert from 'node:assert/strict';
import { createActivities } from '.';
import { Blogger, User, VideoHistory } from '../db/models';
import { QuotaLedger } from '../platforms/quota';
import { youTubeBuckets } from '../platforms/youtube';
import { API_KEY, BASE_PATH, channelItem, fakeYouTube, videoItem } from '../platforms/youtube/testFixtures';
import { resetDb, testDb, testRedis } from '../test/harness';
import { startStubServer, type StubServer } from '../test/stubServer';
import { createTestWorker } from '../test/worker';

const CHANNEL = 'UCchannel0000000000000001';

describe('blogger sync activity: quota planning and fair share (YouTube adapter, local stub)', function () {
  this.timeout(30_000);
  let stub: StubServer;
  const clearQuota = async () => {
    const keys = await testRedis().keys('quota:youtube:*');
    if (keys.length) await testRedis().del(...keys);
  };

  before(async () => {
    await resetDb();
    await clearQuota();
    const recent = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    stub = await startStubServer(
      fakeYouTube({
        channels: [channelItem(CHANNEL)],
        uploads: {
          [`UU${CHANNEL.slice(2)}`]: [
            { videoId: 'vid00000001', videoPublishedAt: recent(3) },
            { videoId: 'vid00000002', videoPublishedAt: recent(30) },
          ],
        },
        videos: [videoItem('vid00000001', recent(3)), videoItem('vid00000002', recent(30)), videoItem('vid00000003', recent(40 * 24))],
      }),
    );
  });
  after(async () => {
    await stub.close();
    await clearQuota();
  });

  it('when three tenants share 9 units left, then a sync needing 4 waits; with 12 left it runs and writes history', async () => {
    const users = await Promise.all(
      [1, 2, 3].map((i) =>
        User.query(testDb()).insertAndFetch({ email: `fair${i}-${Date.now()}@example.com`, passwordHash: 'x', plan: 'pro' }),
      ),
    );
    const bloggers = await Promise.all(
      users.map((u, i) =>
        Blogger.query(testDb()).insertAndFetch({
          userId: u.id,
          name: `b${i}`,
          youtubeUrl: 'https://www.youtube.com/@catchannel',
          youtubeHandle: 'catchannel',
          syncStatus: 'idle',
          platformLinks: { youtube: { state: 'ok', resolvedId: CHANNEL } },
        }),
      ),
    );
    const { deps } = await createTestWorker({
      config: {
        YOUTUBE_API_KEY: API_KEY,
        YOUTUBE_API_BASE_URL: `${stub.url}${BASE_PATH}`,
        YOUTUBE_DAILY_QUOTA_UNITS: '12',
        PLATFORMS_ENABLED: 'youtube',
      },
    });
    const activities = createActivities(deps);
    const sync = () =>
      activities.syncBloggerVideos({
        bloggerId: bloggers[0]!.id,
        userId: users[0]!.id,
        syncAt: new Date().toISOString(),
        lookbackMs: 7 * 86_400_000,
        maxVideos: 100,
      });

    // An old video, outside the 7-day listing window, last fetched two days ago: due for its daily refresh.
    await testDb()('video_history').insert({
      userId: users[0]!.id,
      bloggerId: bloggers[0]!.id,
      platform: 'youtube',
      platformVideoId: 'vid00000003',
      views: 10,
      publishedAt: new Date(Date.now() - 40 * 86_400_000),
      fetchedAt: new Date(Date.now() - 2 * 86_400_000),
    });
    await new QuotaLedger(testRedis()).reserve(youTubeBuckets(12, 100).units, 3); // 9 left
    const waiting = await sync();
    assert.match(
      waiting.deferred.youtube ?? '',
      /your share of today's 12 units is spent \(you used 0; 3 tenants share them, 4 each; 3 left for you, a sync needs about 4\)/,
    );
    assert.equal(waiting.fetched, 0);
    assert.equal(stub.requests.length, 0, 'YouTube was not called');

    await clearQuota(); // a new quota day: 12 left, a share of 4
    const ran = await sync();
    assert.deepEqual(ran.deferred, {});
    assert.equal(ran.fetched, 3, 'two listed videos and the old one, refreshed by id');
    assert.ok(
      stub.requests.some((r) => r.path.endsWith('/videos') && r.query.get('id') === 'vid00000003'),
      'the old video went through the batcher to videos.list',
    );
    const old = await VideoHistory.query(testDb())
      .where({ bloggerId: bloggers[0]!.id, platformVideoId: 'vid00000003' })
      .orderBy('fetchedAt');
    assert.deepEqual(
      old.map((r) => Number(r.views)),
      [10, 1000],
      'a new history row with fresh metrics',
    );
    const byTenant = await new QuotaLedger(testRedis()).usageByTenant(youTubeBuckets(12, 100).units);
    assert.equal(
      byTenant.get(users[0]!.id),
      stub.requests.length,
      "every call of the sync, the batched one included, is counted for the blogger's owner",
    );
  });
});
