/**
 * Platform quota as a shared resource, with the real YouTube adapter against a local stub: each
 * tenant's use is counted and bounded by its fair share, manual discovery keeps to its share of the
 * search bucket, and a link broken by a spent quota or refused credentials is retried later.
 */
import assert from 'node:assert/strict';
import { createActivities } from '.';
import { Blogger, TrendVideo, User, type PlatformLink } from '../db/models';
import { QuotaLedger, quotaDay } from '../platforms/quota';
import { youTubeBuckets } from '../platforms/youtube';
import {
  API_KEY,
  BASE_PATH,
  channelItem,
  fakeYouTube,
  videoItem,
  youTubeErrorReply,
  type FakeYouTube,
} from '../platforms/youtube/testFixtures';
import { resetDb, testDb, testRedis } from '../test/harness';
import { startStubServer, type StubServer } from '../test/stubServer';
import { createTestWorker } from '../test/worker';

const CHANNEL = 'UCchannel0000000000000001';
const HOUR = 3_600_000;

describe('platform quota per tenant, manual discovery share, links broken by quota or credentials (YouTube adapter, local stub)', function () {
  this.timeout(30_000);
  let stub: StubServer;
  let youtube: FakeYouTube;
  const clearQuota = async () => {
    const keys = await testRedis().keys('quota:youtube:*');
    if (keys.length) await testRedis().del(...keys);
  };
  const recent = (h: number) => new Date(Date.now() - h * HOUR).toISOString();
  const linkOf = async (id: number) => (await Blogger.query(testDb()).findById(id))!.platformLinks.youtube!;
  /** The test plays the quota day out: the link's retry time has come. */
  const retryTimeHasCome = (id: number) =>
    testDb().raw("update bloggers set platform_links = jsonb_set(platform_links, '{youtube,retryAt}', to_jsonb(?::text)) where id = ?", [
      new Date(Date.now() - 1000).toISOString(),
      id,
    ]);

  async function tenant(name: string, link: PlatformLink & { ref?: unknown }) {
    const user = await User.query(testDb()).insertAndFetch({ email: `${name}-${Date.now()}@example.com`, passwordHash: 'x', plan: 'pro' });
    const blogger = await Blogger.query(testDb()).insertAndFetch({
      userId: user.id,
      name,
      youtubeUrl: 'https://www.youtube.com/@catchannel',
      youtubeHandle: 'catchannel',
      syncStatus: 'idle',
      platformLinks: { youtube: link },
    });
    return { user, blogger };
  }

  async function activitiesWith(config: Record<string, string>) {
    const { deps } = await createTestWorker({
      config: { YOUTUBE_API_KEY: API_KEY, YOUTUBE_API_BASE_URL: `${stub.url}${BASE_PATH}`, PLATFORMS_ENABLED: 'youtube', ...config },
    });
    return createActivities(deps);
  }

  beforeEach(async () => {
    await resetDb();
    await clearQuota();
    youtube = {
      channels: [channelItem(CHANNEL)],
      uploads: {
        [`UU${CHANNEL.slice(2)}`]: [
          { videoId: 'vid00000001', videoPublishedAt: recent(3) },
          { videoId: 'vid00000002', videoPublishedAt: recent(30) },
        ],
      },
      videos: [videoItem('vid00000001', recent(3)), videoItem('vid00000002', recent(30))],
    };
    stub = await startStubServer(fakeYouTube(youtube));
  });
  afterEach(async () => {
    await stub.close();
    await clearQuota();
    await resetDb();
  });

  it("when one tenant syncs again and again, then it stops within its equal split of the day's units and another tenant's sync still runs", async () => {
    const a = await tenant('busy', { state: 'ok', resolvedId: CHANNEL });
    const b = await tenant('quiet', { state: 'ok', resolvedId: CHANNEL });
    const activities = await activitiesWith({ YOUTUBE_DAILY_QUOTA_UNITS: '20' });
    const sync = (t: typeof a) =>
      activities.syncBloggerVideos({
        bloggerId: t.blogger.id,
        userId: t.user.id,
        syncAt: new Date().toISOString(),
        lookbackMs: 7 * 86_400_000,
        maxVideos: 100,
      });
    const units = youTubeBuckets(20, 100).units;
    const ledger = new QuotaLedger(testRedis());

    let deferred = '';
    for (let i = 0; i < 10 && !deferred; i++) deferred = (await sync(a)).deferred.youtube ?? '';
    const busyCalls = stub.requests.length;
    assert.ok(busyCalls <= 10, `the busy tenant made ${busyCalls} calls, more than its equal split of 10`);
    assert.match(deferred, /your share of today's 20 units is spent \(you used \d+; 2 tenants share them, 10 each/);
    assert.equal((await ledger.usageByTenant(units)).get(a.user.id), busyCalls, "each of the busy tenant's calls is counted for it");

    const quiet = await sync(b);
    assert.deepEqual(quiet.deferred, {}, 'the quiet tenant still has its share');
    assert.equal(quiet.fetched, 2);
    assert.equal((await ledger.usageByTenant(units)).get(b.user.id), stub.requests.length - busyCalls);
  });

  it('when a link broke because the quota was spent, then it is retried after the reset and is healthy again once YouTube answers', async () => {
    const { user, blogger } = await tenant('quota', {
      state: 'pending',
      ref: { platform: 'youtube', kind: 'handle', value: 'catchannel' },
    });
    stub.setHandler((req) => (req.path.endsWith('/channels') ? youTubeErrorReply(403, 'quotaExceeded') : fakeYouTube(youtube)(req)));
    const activities = await activitiesWith({});

    await activities.resolveBloggerLinks({ bloggerId: blogger.id, userId: user.id });
    const broken = await linkOf(blogger.id);
    assert.equal(broken.state, 'broken');
    assert.match(broken.reason ?? '', /quotaExceeded/);
    assert.equal(broken.retryAt, quotaDay(new Date(), 'America/Los_Angeles').resetAt.toISOString(), 'retried when the quota resets');

    const calls = stub.requests.length;
    await activities.resolveBloggerLinks({ bloggerId: blogger.id, userId: user.id });
    assert.equal(stub.requests.length, calls, 'not retried before its time');
    assert.equal((await linkOf(blogger.id)).state, 'broken');

    // The quota day ends: a fresh bucket, and YouTube answers again.
    await clearQuota();
    await retryTimeHasCome(blogger.id);
    stub.setHandler(fakeYouTube(youtube));
    const { ok } = await activities.resolveBloggerLinks({ bloggerId: blogger.id, userId: user.id });
    assert.deepEqual(ok, ['youtube']);
    const healed = await linkOf(blogger.id);
    assert.equal(healed.state, 'ok');
    assert.equal(healed.resolvedId, CHANNEL);
    assert.equal(healed.retryAt, undefined);
    assert.equal(healed.reason, undefined);
    const synced = await activities.syncBloggerVideos({
      bloggerId: blogger.id,
      userId: user.id,
      syncAt: new Date().toISOString(),
      lookbackMs: 7 * 86_400_000,
      maxVideos: 100,
    });
    assert.equal(synced.fetched, 2);
  });

  it('when YouTube refuses the key while listing, then the link is broken with a retry time and heals once the key works; a creator really not found stays broken', async () => {
    const { user, blogger } = await tenant('key', {
      state: 'ok',
      resolvedId: CHANNEL,
      ref: { platform: 'youtube', kind: 'handle', value: 'catchannel' },
    });
    const gone = await tenant('gone', { state: 'pending', ref: { platform: 'youtube', kind: 'handle', value: 'nobody-here' } });
    stub.setHandler(() => youTubeErrorReply(403, 'forbidden'));
    const activities = await activitiesWith({});
    const sync = () =>
      activities.syncBloggerVideos({
        bloggerId: blogger.id,
        userId: user.id,
        syncAt: new Date().toISOString(),
        lookbackMs: 7 * 86_400_000,
        maxVideos: 100,
      });

    const refused = await sync();
    assert.match(refused.linkErrors.youtube ?? '', /forbidden/);
    const broken = await linkOf(blogger.id);
    assert.equal(broken.state, 'broken');
    const retryIn = Date.parse(broken.retryAt ?? '') - Date.now();
    assert.ok(retryIn > 0 && retryIn <= HOUR, `retried within the hour, not never (retryAt ${broken.retryAt})`);

    stub.setHandler(fakeYouTube(youtube));
    await activities.resolveBloggerLinks({ bloggerId: gone.blogger.id, userId: gone.user.id });
    const notFound = await linkOf(gone.blogger.id);
    assert.deepEqual([notFound.state, notFound.retryAt], ['broken', undefined], 'a real not-found is not retried');

    await retryTimeHasCome(blogger.id);
    await activities.resolveBloggerLinks({ bloggerId: blogger.id, userId: user.id });
    assert.equal((await linkOf(blogger.id)).state, 'ok');
    assert.equal((await sync()).fetched, 2);
  });

  it("when many users trigger discovery, then manual runs spend at most their share of YouTube's search calls and the scheduled run still searches", async () => {
    youtube.popular = []; // nothing fresh on the chart: every run wants a search
    youtube.searchIds = ['fresh000001'];
    youtube.videos!.push(videoItem('fresh000001', recent(2)));
    stub.setHandler(fakeYouTube(youtube));
    const activities = await activitiesWith({ YOUTUBE_DAILY_SEARCH_CALLS: '10', TREND_MANUAL_DISCOVERY_SHARE: '0.2' });
    const discover = (manual: boolean) =>
      activities.discoverTrendVideos({ platform: 'youtube', publishedAfter: recent(7 * 24), limit: 10, ...(manual ? { manual } : {}) });
    const searches = () => stub.requests.filter((r) => r.path.endsWith('/search')).length;

    const runs = await Promise.allSettled(Array.from({ length: 30 }, () => discover(true)));
    assert.equal(searches(), 2, 'manual runs: 20% of 10 search calls');
    assert.ok(runs.some((r) => r.status === 'rejected' && /manual calls may use 2 of the 10 daily search/.test(String(r.reason?.message))));
    const search = youTubeBuckets(10_000, 10).search;
    assert.equal((await new QuotaLedger(testRedis()).usage(search)).remaining, 8, "the schedule's reserve is intact");

    const scheduled = await discover(false);
    assert.equal(searches(), 3, 'the scheduled run searched');
    assert.equal(scheduled.found, 1);
    await TrendVideo.query(testDb()).delete().where('platformVideoId', 'fresh000001');
  });
});
