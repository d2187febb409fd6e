import assert from 'node:assert/strict';
import { manualClock } from '../lib/clock';
import { loadConfig } from '../lib/config';
import { testRedis } from '../test/harness';
import { createPlatforms } from '.';

describe('platform registry', () => {
  it('when no credentials are configured, then every enabled platform is served by the simulator', () => {
    const platforms = createPlatforms(loadConfig({ PLATFORMS_ENABLED: 'youtube,tiktok' }), { redis: testRedis() });
    assert.deepEqual(
      platforms.describe().map((p) => [p.platform, p.source]),
      [
        ['youtube', 'simulator'],
        ['tiktok', 'simulator'],
      ],
    );
    assert.throws(() => platforms.client('instagram'), /instagram is not enabled/);
    assert.equal(platforms.searchBucket('youtube'), null, 'the simulator has no daily search bucket');
  });

  it('when credentials are configured, then the real adapters are used', () => {
    const platforms = createPlatforms(
      loadConfig({
        YOUTUBE_API_KEY: 'k',
        TIKTOK_CLIENT_KEY: 'a',
        TIKTOK_CLIENT_SECRET: 'b',
        INSTAGRAM_ACCESS_TOKEN: 't',
        INSTAGRAM_USER_ID: '1',
      }),
      { redis: testRedis() },
    );
    assert.deepEqual(
      platforms.describe().map((p) => p.source),
      ['youtube-data-api-v3', 'tiktok-research-api', 'instagram-graph-api'],
    );
    assert.equal(platforms.client('instagram').capabilities.discovery, false);
    assert.deepEqual(
      [platforms.searchBucket('youtube')?.name, platforms.searchBucket('tiktok')],
      ['search', null],
      "YouTube's search calls are spread over the day; TikTok takes a per-run cap",
    );
  });

  it('when a clock is given, then the simulator answers in its data time', async () => {
    // Far from the real date, so only the given clock can explain the answers.
    const dataNow = Date.UTC(2027, 5, 1, 12);
    const platforms = createPlatforms(loadConfig({ PLATFORMS_ENABLED: 'youtube' }), { redis: testRedis(), clock: manualClock(dataNow) });
    const fresh = await platforms.client('youtube').discoverFresh({ publishedAfter: new Date(dataNow - 86_400_000), limit: 20 });
    assert.ok(fresh.length > 0);
    assert.ok(fresh.every((v) => v.fetchedAt === new Date(dataNow).toISOString() && Date.parse(v.publishedAt) <= dataNow));
  });
});
