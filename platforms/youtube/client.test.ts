import assert from 'node:assert/strict';
import { PlatformError } from '../errors';
import type { VideoStats } from '../types';
import {
  API_KEY,
  BASE_PATH,
  channelItem,
  fakeYouTube,
  startYouTubeHarness,
  videoItem,
  youTubeErrorReply,
  type YouTubeHarness,
} from './testFixtures';
import { quotaDay } from '../quota';
import { youTubeBuckets } from './request';

const CHANNEL = 'UCchannel0000000000000001';
const UPLOADS = 'UUchannel0000000000000001';
const { units, search } = youTubeBuckets(10_000, 100);

/** n uploads, newest first, one hour apart, ending at 2026-05-10T00:00Z. */
function uploads(n: number): { videoId: string; videoPublishedAt: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    videoId: `vid${String(i).padStart(8, '0')}`,
    videoPublishedAt: new Date(Date.UTC(2026, 4, 10) - i * 3600_000).toISOString(),
  }));
}

function pathsOf(h: YouTubeHarness): string[] {
  return h.stub.requests.map((r) => r.path.replace(BASE_PATH, ''));
}

/** resetAt is 00:00 in Los Angeles, within the next 24 hours. */
function assertNextPacificMidnight(resetAt: string | undefined, now: Date): void {
  assert.ok(resetAt);
  const at = new Date(resetAt);
  const local = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(at);
  assert.equal(local, '00:00:00');
  assert.ok(at > now && at.getTime() - now.getTime() <= 25 * 3600_000, `${resetAt} is not the next reset after ${now.toISOString()}`);
}

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PlatformError, `expected a PlatformError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('youtube client', () => {
  let h: YouTubeHarness;
  afterEach(async () => h?.cleanup());

  describe('resolveCreator', () => {
    const channel = channelItem(CHANNEL);

    it('when given a handle, then it asks channels.list forHandle with the key and normalises the channel', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [channel] }));
      const creator = await h.client.resolveCreator({ platform: 'youtube', kind: 'handle', value: 'catchannel' });
      assert.deepEqual(creator, {
        platform: 'youtube',
        id: CHANNEL,
        handle: 'catchannel',
        name: 'Cat Channel',
        followers: 12_300,
        videoCount: 42,
        fetchedAt: h.now().toISOString(),
        source: 'youtube-data-api-v3',
      });
      const [req] = h.stub.requests;
      assert.equal(req?.path, `${BASE_PATH}/channels`);
      assert.equal(req?.query.get('forHandle'), '@catchannel');
      assert.equal(req?.query.get('part'), 'snippet,statistics,contentDetails');
      assert.equal(req?.query.get('key'), API_KEY);
      assert.equal((await h.ledger.usage(units)).used, 1);
    });

    it('when given a legacy username or a channel id, then it asks forUsername or id', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [channel] }));
      assert.equal((await h.client.resolveCreator({ platform: 'youtube', kind: 'username', value: 'catchannel' })).id, CHANNEL);
      assert.equal((await h.client.resolveCreator({ platform: 'youtube', kind: 'channelId', value: CHANNEL })).id, CHANNEL);
      assert.equal(h.stub.requests[0]?.query.get('forUsername'), 'catchannel');
      assert.equal(h.stub.requests[1]?.query.get('id'), CHANNEL);
    });

    it('when no channel matches (no "items" key), then it throws not_found', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [channel] }));
      const err = await rejection(h.client.resolveCreator({ platform: 'youtube', kind: 'handle', value: '@nobody' }));
      assert.equal(err.kind, 'not_found');
    });

    it('when the channel hides its subscribers, then followers is null', async () => {
      h = await startYouTubeHarness(
        fakeYouTube({
          channels: [channelItem(CHANNEL, { statistics: { subscriberCount: '0', hiddenSubscriberCount: true, videoCount: '3' } })],
        }),
      );
      const creator = await h.client.resolveCreator({ platform: 'youtube', kind: 'channelId', value: CHANNEL });
      assert.equal(creator.followers, null);
      assert.equal(creator.videoCount, 3);
    });
  });

  describe('listCreatorVideos', () => {
    const all = uploads(120);
    const data = {
      channels: [channelItem(CHANNEL)],
      uploads: { [UPLOADS]: all },
      videos: all.map((u) => videoItem(u.videoId, u.videoPublishedAt)),
    };

    it('when uploads span pages, then it pages until items are older than since and fetches details in batches of at most 50', async () => {
      h = await startYouTubeHarness(fakeYouTube(data));
      const since = new Date(all[69]!.videoPublishedAt); // the 70 newest qualify
      const videos = await h.client.listCreatorVideos(CHANNEL, { since, limit: 1000 });

      assert.equal(videos.length, 70);
      assert.deepEqual(
        videos.map((v) => v.id),
        all.slice(0, 70).map((u) => u.videoId),
      );
      assert.deepEqual(pathsOf(h), ['/channels', '/playlistItems', '/playlistItems', '/videos', '/videos']);
      const pages = h.stub.requests.filter((r) => r.path.endsWith('/playlistItems'));
      assert.equal(pages[0]?.query.get('playlistId'), UPLOADS);
      assert.equal(pages[0]?.query.get('maxResults'), '50');
      assert.equal(pages[1]?.query.get('pageToken'), '50');
      const batches = h.stub.requests.filter((r) => r.path.endsWith('/videos')).map((r) => r.query.get('id')!.split(','));
      assert.deepEqual(
        batches.map((ids) => ids.length),
        [50, 20],
      );
      assert.equal((await h.ledger.usage(units)).used, 5);
      assert.equal(videos[0]?.metrics.views, 1000);
      assert.deepEqual(videos[0]?.hashtags, ['cats']);
      assert.deepEqual(videos[0]?.topics, ['Pet']);
    });

    it('when the limit is reached, then it stops paging early', async () => {
      h = await startYouTubeHarness(fakeYouTube(data));
      const videos = await h.client.listCreatorVideos(CHANNEL, { since: new Date(0), limit: 10 });
      assert.deepEqual(
        videos.map((v) => v.id),
        all.slice(0, 10).map((u) => u.videoId),
      );
      assert.deepEqual(pathsOf(h), ['/channels', '/playlistItems', '/videos']);
    });

    it('when the channel was seen before, then the uploads playlist id comes from the cache', async () => {
      h = await startYouTubeHarness(fakeYouTube(data));
      await h.client.resolveCreator({ platform: 'youtube', kind: 'channelId', value: CHANNEL });
      await h.client.listCreatorVideos(CHANNEL, { since: new Date(all[0]!.videoPublishedAt), limit: 5 });
      await h.client.listCreatorVideos(CHANNEL, { since: new Date(all[0]!.videoPublishedAt), limit: 5 });
      assert.deepEqual(pathsOf(h), ['/channels', '/playlistItems', '/videos', '/playlistItems', '/videos']);
    });

    it('when an upload is private (no videoPublishedAt) or gone from videos.list, then it is skipped', async () => {
      const items: { videoId: string; videoPublishedAt?: string }[] = [{ videoId: 'private0001' }, ...uploads(2)];
      h = await startYouTubeHarness(
        fakeYouTube({ ...data, uploads: { [UPLOADS]: items }, videos: [videoItem(items[2]!.videoId, items[2]!.videoPublishedAt!)] }),
      );
      const videos = await h.client.listCreatorVideos(CHANNEL, { since: new Date(0), limit: 10 });
      assert.deepEqual(
        videos.map((v) => v.id),
        [items[2]!.videoId],
      );
      assert.equal(h.stub.requests.at(-1)?.query.get('id'), `${items[1]!.videoId},${items[2]!.videoId}`);
    });

    it('when the worker has restarted (no cached playlist), then the uploads lookup asks channels.list for contentDetails only and accepts an answer without snippet', async () => {
      h = await startYouTubeHarness(fakeYouTube(data));
      const videos = await h.client.listCreatorVideos(CHANNEL, { since: new Date(all[4]!.videoPublishedAt), limit: 10 });
      assert.equal(videos.length, 5);
      const lookup = h.stub.requests[0]!;
      assert.equal(lookup.path, `${BASE_PATH}/channels`);
      assert.equal(lookup.query.get('part'), 'contentDetails');
      assert.equal(lookup.query.get('id'), CHANNEL);
      // The answer really had no snippet (the fake cuts items to the requested parts).
      const raw = (await fetch(`${h.stub.url}${BASE_PATH}/channels?part=contentDetails&id=${CHANNEL}`).then((r) => r.json())) as {
        items: Record<string, unknown>[];
      };
      assert.deepEqual(Object.keys(raw.items[0]!).sort(), ['contentDetails', 'id', 'kind']);
    });

    it('when a part that was asked for and is needed is missing (snippet of videos.list), then it is bad_input naming the call', async () => {
      h = await startYouTubeHarness((req) =>
        req.path.endsWith('/videos') ? { body: { items: [{ id: 'aaaaaaaaaaa', statistics: { viewCount: '1' } }] } } : { body: {} },
      );
      const err = await rejection(h.client.getVideoStats(['aaaaaaaaaaa']));
      assert.equal(err.kind, 'bad_input');
      assert.match(err.message, /videos\?part=snippet,statistics,contentDetails,topicDetails response: items\.0\.snippet/);
    });

    it('when the channel does not exist, then it throws not_found', async () => {
      h = await startYouTubeHarness(fakeYouTube(data));
      const err = await rejection(h.client.listCreatorVideos('UCunknown', { since: new Date(0), limit: 5 }));
      assert.equal(err.kind, 'not_found');
    });
  });

  describe('getVideoStats', () => {
    it('when some ids are unknown, then they are absent and known ones carry their metrics', async () => {
      const videos = [
        videoItem('aaaaaaaaaaa', '2026-05-01T00:00:00Z'),
        videoItem('bbbbbbbbbbb', '2026-05-01T00:00:00Z', { statistics: { viewCount: '20' } }),
      ];
      h = await startYouTubeHarness(fakeYouTube({ channels: [], videos }));
      const stats = await h.client.getVideoStats(['aaaaaaaaaaa', 'bbbbbbbbbbb', 'unknown0000']);
      assert.deepEqual([...stats.keys()], ['aaaaaaaaaaa', 'bbbbbbbbbbb']);
      assert.deepEqual((stats.get('aaaaaaaaaaa') as VideoStats).metrics, { views: 1000, likes: 50, comments: 7, shares: null });
      assert.deepEqual((stats.get('bbbbbbbbbbb') as VideoStats).metrics, { views: 20, likes: null, comments: null, shares: null });
      const [req] = h.stub.requests;
      assert.equal(req?.query.get('id'), 'aaaaaaaaaaa,bbbbbbbbbbb,unknown0000');
      assert.equal(req?.query.get('part'), 'snippet,statistics,contentDetails,topicDetails');
    });

    it('when given more than 50 ids or a malformed id, then it throws bad_input without calling', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [] }));
      const tooMany = Array.from({ length: 51 }, (_, i) => `id${i}`);
      assert.equal((await rejection(h.client.getVideoStats(tooMany))).kind, 'bad_input');
      assert.equal((await rejection(h.client.getVideoStats(['ok', 'a,b']))).kind, 'bad_input');
      assert.equal((await h.client.getVideoStats([])).size, 0);
      assert.equal(h.stub.requests.length, 0);
    });
  });

  describe('discoverFresh', () => {
    const after = new Date('2026-05-08T00:00:00Z');
    const popular = [
      videoItem('popfresh001', '2026-05-09T00:00:00Z', { statistics: { viewCount: '500' } }),
      videoItem('popold00001', '2026-04-01T00:00:00Z', { statistics: { viewCount: '9000' } }),
    ];
    const videos = [
      videoItem('popfresh001', '2026-05-09T00:00:00Z', { statistics: { viewCount: '500' } }),
      videoItem('search00001', '2026-05-09T06:00:00Z', { statistics: { viewCount: '800' } }),
      videoItem('search00002', '2026-05-09T07:00:00Z', { statistics: {} }),
    ];

    it('when the chart is not enough, then it adds search results, fetches their metrics and returns fresh videos only, most viewed first', async () => {
      h = await startYouTubeHarness(
        fakeYouTube({ channels: [], popular, videos, searchIds: ['search00001', 'popfresh001', 'search00002'] }),
      );
      const found = await h.client.discoverFresh({ publishedAfter: after, limit: 10 });
      assert.deepEqual(
        found.map((v) => v.id),
        ['search00001', 'popfresh001', 'search00002'],
      );
      assert.deepEqual(pathsOf(h), ['/videos', '/search', '/videos']);
      const [chart, searchReq, details] = h.stub.requests;
      assert.equal(chart?.query.get('chart'), 'mostPopular');
      assert.equal(chart?.query.get('regionCode'), 'US');
      assert.equal(searchReq?.query.get('publishedAfter'), after.toISOString());
      assert.equal(searchReq?.query.get('order'), 'viewCount');
      assert.equal(searchReq?.query.get('type'), 'video');
      assert.equal(details?.query.get('id'), 'search00001,search00002');
      assert.equal((await h.ledger.usage(units)).used, 2);
      assert.equal((await h.ledger.usage(search)).used, 1);
    });

    it('when the chart alone fills the limit, then search is not spent', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], popular, searchIds: ['search00001'] }));
      const found = await h.client.discoverFresh({ publishedAfter: after, limit: 1 });
      assert.deepEqual(
        found.map((v) => v.id),
        ['popfresh001'],
      );
      assert.deepEqual(pathsOf(h), ['/videos']);
    });

    it('when the search bucket is spent but the chart found videos, then it returns those without calling search', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], popular, searchIds: ['search00001'] }), { dailySearchCalls: 0 });
      const found = await h.client.discoverFresh({ publishedAfter: after, limit: 10 });
      assert.deepEqual(
        found.map((v) => v.id),
        ['popfresh001'],
      );
      assert.deepEqual(pathsOf(h), ['/videos']);
    });

    it('when the search bucket is spent and the chart found nothing fresh, then it throws quota_exhausted for search', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], popular: [popular[1]!], searchIds: ['search00001'] }), {
        dailySearchCalls: 0,
      });
      const err = await rejection(h.client.discoverFresh({ publishedAfter: after, limit: 10 }));
      assert.equal(err.kind, 'quota_exhausted');
      assert.equal(err.info.code, 'search_quota');
      assert.deepEqual(pathsOf(h), ['/videos']);
      assert.equal((await h.ledger.usage(units)).used, 1);
    });
  });

  describe('discoverFresh across regions and categories', () => {
    const after = new Date('2026-05-08T00:00:00Z');
    const fresh = (id: string, views: string) => videoItem(id, '2026-05-09T00:00:00Z', { statistics: { viewCount: views } });

    it('when several regions and categories are configured, then it reads every chart once (1 unit each), skips a pair without a chart and returns each video once', async () => {
      h = await startYouTubeHarness(
        fakeYouTube({
          channels: [],
          charts: {
            US: [fresh('usvideo0001', '10'), fresh('shared00001', '30')],
            GB: [fresh('shared00001', '30')],
            'US/10': [fresh('music000001', '20')],
          },
        }),
        { regionCodes: ['US', 'GB'], categoryIds: ['10'] },
      );
      const found = await h.client.discoverFresh({ publishedAfter: after, limit: 3 });
      assert.deepEqual(
        found.map((v) => v.id),
        ['shared00001', 'music000001', 'usvideo0001'],
      );
      const charts = h.stub.requests.map((r) => `${r.query.get('regionCode')}/${r.query.get('videoCategoryId') ?? '-'}`);
      assert.deepEqual(charts, ['US/-', 'GB/-', 'US/10', 'GB/10'], 'GB/10 answered videoChartNotFound and was skipped');
      assert.equal((await h.ledger.usage(units)).used, 4);
      assert.equal((await h.ledger.usage(search)).used, 0, 'the charts filled the limit');
    });

    it('when no configured chart exists, then the not_found surfaces instead of an empty discovery', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], charts: {} }), { regionCodes: ['ZZ'] });
      assert.equal((await rejection(h.client.discoverFresh({ publishedAfter: after, limit: 3 }))).kind, 'not_found');
    });
  });

  describe('searchFresh', () => {
    const after = new Date('2026-05-08T00:00:00Z');
    const ids = Array.from({ length: 120 }, (_, i) => `tagged${String(i).padStart(5, '0')}`);
    /** Newest first, an hour apart, all after `after`. */
    const videos = ids.map((id, i) => videoItem(id, new Date(Date.UTC(2026, 4, 9, 12) - i * 60_000).toISOString()));

    it('when following a hashtag, then it searches q="#tag" by date since publishedAfter and fetches the details, newest first', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], videos, searchIds: ids.slice(0, 3) }));
      const found = await h.client.searchFresh({ signal: { kind: 'hashtag', name: 'catdance' }, publishedAfter: after, limit: 50 });
      assert.deepEqual(
        found.map((v) => v.id),
        ids.slice(0, 3),
      );
      assert.deepEqual(pathsOf(h), ['/search', '/videos'], 'a page without nextPageToken is the last');
      const [searchReq, details] = h.stub.requests;
      assert.equal(searchReq?.query.get('q'), '#catdance');
      assert.equal(searchReq?.query.get('order'), 'date');
      assert.equal(searchReq?.query.get('type'), 'video');
      assert.equal(searchReq?.query.get('publishedAfter'), after.toISOString());
      assert.equal(searchReq?.query.get('maxResults'), '50');
      assert.equal(details?.query.get('id'), ids.slice(0, 3).join(','));
      assert.equal((await h.ledger.usage(search)).used, 1);
    });

    it('when more results than one page are wanted, then it pages only as far as the limit and asks videos.list 50 ids at a time', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], videos, searchIds: ids }));
      const found = await h.client.searchFresh({ signal: { kind: 'keyword', name: 'cat dance' }, publishedAfter: after, limit: 70 });
      assert.equal(found.length, 70);
      assert.deepEqual(pathsOf(h), ['/search', '/search', '/videos', '/videos']);
      const [first, second] = h.stub.requests;
      assert.equal(first?.query.get('q'), 'cat dance', 'a keyword is searched as it is');
      assert.deepEqual(
        [first?.query.get('maxResults'), second?.query.get('maxResults'), second?.query.get('pageToken')],
        ['50', '20', '50'],
      );
      assert.equal((await h.ledger.usage(search)).used, 2);
    });

    it('when the search finds nothing (empty items), then it returns no videos and spends no videos.list call', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], videos, searchIds: [] }));
      assert.deepEqual(await h.client.searchFresh({ signal: { kind: 'hashtag', name: 'nobody' }, publishedAfter: after, limit: 50 }), []);
      assert.deepEqual(pathsOf(h), ['/search']);
    });

    it('when search returns a video older than publishedAfter or one videos.list no longer knows, then neither is returned', async () => {
      const old = videoItem('oldvideo001', '2026-05-01T00:00:00Z');
      h = await startYouTubeHarness(
        fakeYouTube({ channels: [], videos: [videos[0]!, old], searchIds: [ids[0]!, 'oldvideo001', 'deleted0001'] }),
      );
      const found = await h.client.searchFresh({ signal: { kind: 'hashtag', name: 'catdance' }, publishedAfter: after, limit: 50 });
      assert.deepEqual(
        found.map((v) => v.id),
        [ids[0]],
      );
    });

    it('when asked to follow a sound, then it is bad_input without any call (YouTube has no sounds)', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], videos, searchIds: ids }));
      assert.deepEqual(h.client.capabilities.searchBy, ['hashtag', 'keyword']);
      const err = await rejection(h.client.searchFresh({ signal: { kind: 'sound', name: '123' }, publishedAfter: after, limit: 10 }));
      assert.equal(err.kind, 'bad_input');
      assert.equal(h.stub.requests.length, 0);
    });

    it('when the search bucket is spent, then it throws quota_exhausted before calling, while the charts still work', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [], videos, popular: [videos[0]!], searchIds: ids }), { dailySearchCalls: 0 });
      const err = await rejection(
        h.client.searchFresh({ signal: { kind: 'hashtag', name: 'catdance' }, publishedAfter: after, limit: 10 }),
      );
      assert.equal(err.kind, 'quota_exhausted');
      assert.equal(err.info.code, 'search_quota');
      assert.equal(h.stub.requests.length, 0);
      assert.equal((await h.client.discoverFresh({ publishedAfter: after, limit: 1 })).length, 1);
    });

    it('when YouTube itself answers quotaExceeded to search, then the search bucket is exhausted for the day and the units bucket is not', async () => {
      h = await startYouTubeHarness((req) =>
        req.path.endsWith('/search') ? youTubeErrorReply(403, 'quotaExceeded') : fakeYouTube({ channels: [], popular: [videos[0]!] })(req),
      );
      const err = await rejection(
        h.client.searchFresh({ signal: { kind: 'hashtag', name: 'catdance' }, publishedAfter: after, limit: 10 }),
      );
      assert.equal(err.kind, 'quota_exhausted');
      assert.equal((await h.ledger.usage(search)).remaining, 0);
      assert.equal((await h.ledger.usage(units)).used, 0);
      assert.equal((await h.client.discoverFresh({ publishedAfter: after, limit: 1 })).length, 1);
    });
  });

  describe('quota', () => {
    it('when a call would overrun the daily units, then it is refused before any request is made', async () => {
      h = await startYouTubeHarness(fakeYouTube({ channels: [channelItem(CHANNEL)] }), { dailyUnits: 2 });
      const ref = { platform: 'youtube', kind: 'channelId', value: CHANNEL } as const;
      await h.client.resolveCreator(ref);
      await h.client.resolveCreator(ref);
      const err = await rejection(h.client.resolveCreator(ref));
      assert.equal(err.kind, 'quota_exhausted');
      assertNextPacificMidnight(err.info.resetAt, h.now());
      assert.equal(h.stub.requests.length, 2);
    });

    it('when Pacific midnight passes, then the bucket is fresh again', async () => {
      const midnight = quotaDay(new Date(), 'America/Los_Angeles').resetAt.getTime();
      h = await startYouTubeHarness(fakeYouTube({ channels: [channelItem(CHANNEL)] }), {
        dailyUnits: 1,
        now: new Date(midnight - 60_000).toISOString(),
      });
      const ref = { platform: 'youtube', kind: 'channelId', value: CHANNEL } as const;
      await h.client.resolveCreator(ref);
      assert.equal((await rejection(h.client.resolveCreator(ref))).kind, 'quota_exhausted');
      h.setNow(new Date(midnight + 1000).toISOString());
      assert.equal((await h.client.resolveCreator(ref)).id, CHANNEL);
      assert.equal(h.stub.requests.length, 2);
    });

    it('when a request fails, then it still costs a unit', async () => {
      h = await startYouTubeHarness(() => ({ status: 500, body: 'oops' }));
      await rejection(h.client.getVideoStats(['aaaaaaaaaaa']));
      assert.equal((await h.ledger.usage(units)).used, 1);
    });
  });
});
