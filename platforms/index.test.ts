import assert from 'node:assert/strict';
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
});
