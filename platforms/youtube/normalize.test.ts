import assert from 'node:assert/strict';
import { formatOf, hashtagsOf, toCreator, toVideo, topicsOf } from './normalize';
import { channelItemSchema, countSchema, videoItemSchema } from './schemas';

const AT = '2026-05-02T00:00:00.000Z';

describe('youtube normalisation', () => {
  it('when counts arrive as strings, then they become numbers', () => {
    const item = videoItemSchema.parse({
      id: 'dQw4w9WgXcQ',
      snippet: { publishedAt: '2026-05-01T12:00:00Z', channelId: 'UCabc', title: 'T', channelTitle: 'C' },
      contentDetails: { duration: 'PT3M33S' },
      statistics: { viewCount: '1000', likeCount: '50', favoriteCount: '0', commentCount: '7' },
    });
    const video = toVideo(item, AT);
    assert.deepEqual(video.metrics, { views: 1000, likes: 50, comments: 7, shares: null });
    assert.equal(video.durationSeconds, 213);
    assert.equal(video.format, 'long');
    assert.equal(video.creatorId, 'UCabc');
    assert.equal(video.url, 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');
    assert.equal(video.source, 'youtube-data-api-v3');
  });

  it('when a statistic or the whole statistics object is missing, then the count is null, not 0', () => {
    const snippet = { publishedAt: '2026-05-01T12:00:00Z', channelId: 'UCabc' };
    const hidden = toVideo(videoItemSchema.parse({ id: 'a', snippet, statistics: { viewCount: '10' } }), AT);
    assert.deepEqual(hidden.metrics, { views: 10, likes: null, comments: null, shares: null });
    const none = toVideo(videoItemSchema.parse({ id: 'b', snippet }), AT);
    assert.deepEqual(none.metrics, { views: null, likes: null, comments: null, shares: null });
    assert.deepEqual(none.hashtags, []);
    assert.equal(none.durationSeconds, null);
    assert.equal(none.format, null);
  });

  it('when a count exceeds Number.MAX_SAFE_INTEGER or is not digits, then validation fails', () => {
    assert.equal(countSchema.safeParse('9007199254740991').success, true);
    assert.equal(countSchema.safeParse('9007199254740992').success, false);
    assert.equal(countSchema.safeParse('-1').success, false);
    assert.equal(countSchema.safeParse('12abc').success, false);
  });

  it('when a channel hides its subscriber count, then followers is null', () => {
    const channel = channelItemSchema.parse({
      id: 'UCx',
      snippet: { title: 'X', customUrl: '@Xhandle' },
      statistics: { subscriberCount: '0', hiddenSubscriberCount: true, videoCount: '3' },
    });
    const creator = toCreator(channel, AT);
    assert.equal(creator.followers, null);
    assert.equal(creator.videoCount, 3);
    assert.equal(creator.handle, 'Xhandle');
  });

  it('when tags and #words are present, then hashtags are lowercased, without "#", spaces or duplicates', () => {
    assert.deepEqual(
      hashtagsOf(['Rick Astley', '#Music', 'music'], 'New video #RickAstley #80s #1 see https://x.tld/#anchor and a#b\n#Été'),
      ['rickastley', 'music', '80s', 'été'],
    );
  });

  it('when topic categories are Wikipedia URLs, then topics are their last path segment', () => {
    assert.deepEqual(
      topicsOf([
        'https://en.wikipedia.org/wiki/Music',
        'https://en.wikipedia.org/wiki/Role-playing_video_game',
        'not a url',
        'https://en.wikipedia.org/wiki/Music',
      ]),
      ['Music', 'Role-playing video game'],
    );
  });

  it('when a video is live, short or long, then the format says so', () => {
    assert.equal(formatOf('live', 0), 'live');
    assert.equal(formatOf('upcoming', null), 'live');
    assert.equal(formatOf('none', 180), 'short');
    assert.equal(formatOf('none', 181), 'long');
    assert.equal(formatOf('none', 0), null);
  });
});
