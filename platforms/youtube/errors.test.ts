import assert from 'node:assert/strict';
import type { StubReply } from '../../test/stubServer';
import { PlatformError, type PlatformErrorKind } from '../errors';
import { youTubeBuckets } from './request';
import { API_KEY, startYouTubeHarness, videoItem, youTubeErrorReply, type YouTubeHarness } from './testFixtures';

const { units, search } = youTubeBuckets(10_000, 100);
const VIDEO_ID = 'aaaaaaaaaaa';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PlatformError, `expected a PlatformError, got ${String(err)}`);
    assert.ok(!err.message.includes(API_KEY), `the API key leaked into: ${err.message}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('youtube error classification', () => {
  let h: YouTubeHarness;
  afterEach(async () => h?.cleanup());

  /** Answers every request with `reply` and returns the error getVideoStats throws. */
  async function errorFor(reply: StubReply, options: { timeoutMs?: number; maxBytes?: number } = {}): Promise<PlatformError> {
    h = await startYouTubeHarness(() => reply, options);
    return rejection(h.client.getVideoStats([VIDEO_ID]));
  }

  const cases: { name: string; reply: StubReply; kind: PlatformErrorKind; code?: string; message?: RegExp }[] = [
    { name: '500 backendError', reply: youTubeErrorReply(500, 'backendError'), kind: 'retryable', code: 'backendError' },
    { name: '503 without a body', reply: { status: 503 }, kind: 'retryable', code: 'http_503' },
    { name: '429', reply: { status: 429, body: {} }, kind: 'retryable', code: 'http_429' },
    { name: '403 rateLimitExceeded', reply: youTubeErrorReply(403, 'rateLimitExceeded'), kind: 'retryable' },
    { name: '403 userRateLimitExceeded', reply: youTubeErrorReply(403, 'userRateLimitExceeded'), kind: 'retryable' },
    { name: '403 forbidden (no key)', reply: youTubeErrorReply(403, 'forbidden'), kind: 'reauth', message: /YOUTUBE_API_KEY/ },
    {
      name: '400 badRequest with an API_KEY_INVALID detail',
      reply: youTubeErrorReply(400, 'badRequest', {
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      }),
      kind: 'reauth',
    },
    { name: '400 keyInvalid', reply: youTubeErrorReply(400, 'keyInvalid'), kind: 'reauth' },
    { name: '403 accessNotConfigured', reply: youTubeErrorReply(403, 'accessNotConfigured'), kind: 'reauth' },
    { name: '404 videoNotFound', reply: youTubeErrorReply(404, 'videoNotFound'), kind: 'not_found' },
    { name: '404 with an empty body', reply: { status: 404, body: '' }, kind: 'not_found' },
    { name: '400 invalidPageToken', reply: youTubeErrorReply(400, 'invalidPageToken'), kind: 'bad_input', code: 'invalidPageToken' },
    { name: '400 other', reply: youTubeErrorReply(400, 'invalidParameter'), kind: 'bad_input' },
    {
      name: 'HTML with 200',
      reply: { body: '<html><body>Sorry</body></html>', headers: { 'content-type': 'text/html' } },
      kind: 'retryable',
      message: /invalid or cut-off JSON/,
    },
    {
      name: 'invalid JSON with 200',
      reply: { body: '{"items": [{"id": "x",]}', headers: { 'content-type': 'application/json' } },
      kind: 'retryable',
      code: 'invalid_json',
    },
    { name: 'an empty 200', reply: { body: '' }, kind: 'retryable', code: 'empty_body' },
    {
      name: 'a 200 cut off short of its content-length',
      reply: { body: { items: [videoItem(VIDEO_ID, '2026-05-01T00:00:00Z')] }, cutOff: { bytes: 60, framing: 'content-length' } },
      kind: 'retryable',
      code: 'network',
    },
    {
      name: 'a 200 cut off and close-delimited',
      reply: { body: { items: [videoItem(VIDEO_ID, '2026-05-01T00:00:00Z')] }, cutOff: { bytes: 60, framing: 'close' } },
      kind: 'retryable',
      code: 'invalid_json',
    },
    {
      name: 'HTML with 404',
      reply: { status: 404, body: '<html>Not found</html>', headers: { 'content-type': 'text/html' } },
      kind: 'not_found',
    },
    {
      name: 'HTML with 403',
      reply: { status: 403, body: '<html>Forbidden</html>', headers: { 'content-type': 'text/html' } },
      kind: 'reauth',
    },
    {
      name: 'HTML with 502',
      reply: { status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } },
      kind: 'retryable',
    },
    { name: 'a wrong shape (items not a list)', reply: { body: { items: { id: VIDEO_ID } } }, kind: 'bad_input', code: 'unexpected_shape' },
    {
      name: 'a count that is not digits',
      reply: { body: { items: [videoItem(VIDEO_ID, '2026-05-01T00:00:00Z', { statistics: { viewCount: 'lots' } })] } },
      kind: 'bad_input',
      message: /statistics\.viewCount/,
    },
    {
      name: 'a count beyond MAX_SAFE_INTEGER',
      reply: { body: { items: [videoItem(VIDEO_ID, '2026-05-01T00:00:00Z', { statistics: { viewCount: '18446744073709551615' } })] } },
      kind: 'bad_input',
      message: /MAX_SAFE_INTEGER/,
    },
    {
      name: 'a bad publishedAt',
      reply: { body: { items: [videoItem(VIDEO_ID, 'yesterday')] } },
      kind: 'bad_input',
      message: /snippet\.publishedAt/,
    },
  ];
  for (const { name, reply, kind, code, message } of cases) {
    it(`when YouTube answers ${name}, then the error is ${kind}`, async () => {
      const err = await errorFor(reply);
      assert.equal(err.kind, kind, err.message);
      if (code) assert.equal(err.info.code, code);
      if (message) assert.match(err.message, message);
    });
  }

  it('when a retryable answer has Retry-After, then retryAfterMs carries it', async () => {
    const err = await errorFor({ ...youTubeErrorReply(503, 'backendError'), headers: { 'retry-after': '7' } });
    assert.equal(err.kind, 'retryable');
    assert.equal(err.info.retryAfterMs, 7000);
    assert.equal(err.info.status, 503);
  });

  for (const reason of ['quotaExceeded', 'dailyLimitExceeded']) {
    it(`when YouTube answers 403 ${reason}, then the units bucket is exhausted until Pacific midnight and later calls are refused unmade`, async () => {
      const err = await errorFor(youTubeErrorReply(403, reason));
      assert.equal(err.kind, 'quota_exhausted');
      const usage = await h.ledger.usage(units);
      assert.equal(usage.remaining, 0);
      assert.equal(err.info.resetAt, usage.resetAt);
      const again = await rejection(h.client.getVideoStats([VIDEO_ID]));
      assert.equal(again.kind, 'quota_exhausted');
      assert.equal(h.stub.requests.length, 1);
    });
  }

  it('when search.list answers 403 quotaExceeded, then the search bucket is exhausted, not the units bucket', async () => {
    h = await startYouTubeHarness((req) =>
      req.path.endsWith('/search') ? youTubeErrorReply(403, 'quotaExceeded') : { body: { items: [] } },
    );
    const err = await rejection(h.client.discoverFresh({ publishedAfter: new Date(Date.now() - 86_400_000), limit: 10 }));
    assert.equal(err.kind, 'quota_exhausted');
    assert.equal((await h.ledger.usage(search)).remaining, 0);
    assert.equal((await h.ledger.usage(units)).used, 1);
  });

  it('when the body is larger than maxBytes (declared or streamed), then the error is retryable', async () => {
    const huge = {
      body: {
        items: [
          videoItem(VIDEO_ID, '2026-05-01T00:00:00Z', {
            topicDetails: { topicCategories: Array(500).fill('https://en.wikipedia.org/wiki/Music') },
          }),
        ],
      },
    };
    const declared = await errorFor(huge, { maxBytes: 4096 });
    assert.equal(declared.kind, 'retryable');
    assert.match(declared.message, /response of \d+ bytes exceeds the 4096-byte limit/);
    await h.cleanup();
    const streamed = await errorFor({ ...huge, chunked: true }, { maxBytes: 4096 });
    assert.equal(streamed.kind, 'retryable');
    assert.match(streamed.message, /response exceeds the 4096-byte limit/);
  });

  it('when the answer is slower than timeoutMs, then the error is retryable', async () => {
    const err = await errorFor({ body: { items: [] }, delayMs: 5000 }, { timeoutMs: 100 });
    assert.equal(err.kind, 'retryable');
    assert.match(err.message, /within 100 ms/);
  });

  it('when nothing listens at the base URL, then the error is retryable', async () => {
    h = await startYouTubeHarness(() => ({ body: { items: [] } }));
    await h.stub.close();
    const err = await rejection(h.client.getVideoStats([VIDEO_ID]));
    assert.equal(err.kind, 'retryable');
  });

  it('when an upstream message echoes the key, then the error message redacts it', async () => {
    const err = await errorFor({
      status: 400,
      body: { error: { code: 400, message: `bad key ${API_KEY}`, errors: [{ reason: 'keyInvalid' }] } },
    });
    assert.equal(err.kind, 'reauth');
    assert.match(err.message, /\[redacted\]/);
  });

  it('when the playlist of a channel is unknown, then listing answers not_found', async () => {
    h = await startYouTubeHarness((req) =>
      req.path.endsWith('/channels')
        ? { body: { items: [{ id: 'UCx', snippet: { title: 'X' }, contentDetails: { relatedPlaylists: { uploads: 'UUx' } } }] } }
        : youTubeErrorReply(404, 'playlistNotFound'),
    );
    const err = await rejection(h.client.listCreatorVideos('UCx', { since: new Date(0), limit: 5 }));
    assert.equal(err.kind, 'not_found');
    assert.equal(err.info.code, 'playlistNotFound');
  });
});
