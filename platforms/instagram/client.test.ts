import assert from 'node:assert/strict';
import { PlatformError, type PlatformErrorKind } from '../errors';
import type { PlatformClient, VideoStats } from '../types';
import { startStubServer, type StubReply, type StubRequest, type StubServer } from '../../test/stubServer';
import { createInstagramClient, usageFromHeaders } from './client';
import { account, fakeInstagram, media, mediaPageOf } from './testFixtures';
import { StatsBatcher } from '../batcher';

const DAY = 86_400_000;

describe('Instagram Graph API adapter (local stub)', () => {
  let stub: StubServer;
  let onRequest: (req: StubRequest) => StubReply;
  let now: Date;

  const client = (): PlatformClient =>
    createInstagramClient({
      accessToken: 'SECRET-TOKEN',
      igUserId: '17841400000000000',
      baseUrl: stub.url,
      version: 'v25.0',
      timeoutMs: 1000,
      maxBytes: 50_000,
      clock: () => now,
    });

  beforeEach(async () => {
    now = new Date();
    onRequest = () => ({
      body: account([
        media('1001', 1),
        media('1002', 2, { media_type: 'IMAGE', media_product_type: 'FEED', view_count: undefined, like_count: undefined }),
      ]),
    });
    stub = await startStubServer((req) => onRequest(req));
  });
  afterEach(() => stub.close());

  it('when a creator is resolved, then business discovery is asked through the operator account with the token', async () => {
    const creator = await client().resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' });
    assert.deepEqual([creator.id, creator.followers, creator.videoCount, creator.source], ['sunny', 42_000, 300, 'instagram-graph-api']);
    const req = stub.requests[0]!;
    assert.equal(req.path, '/v25.0/17841400000000000');
    assert.match(req.query.get('fields')!, /^business_discovery\.username\(sunny\)\{/);
    assert.equal(req.query.get('access_token'), 'SECRET-TOKEN');
  });

  it('when media are listed, then Reels have views, photos have unknown views and hidden likes are unknown, never 0', async () => {
    const [reel, photo] = await client().listCreatorVideos('sunny', { since: new Date(Date.now() - 7 * DAY), limit: 10 });
    assert.equal(reel!.id, 'sunny:1001');
    assert.equal(reel!.format, 'reel');
    assert.deepEqual(reel!.metrics, { views: 5000, likes: 120, comments: 4, shares: null });
    assert.deepEqual(reel!.hashtags, ['beach', 'travel']);
    assert.equal(photo!.format, 'photo');
    assert.equal(photo!.metrics.views, null);
    assert.equal(photo!.metrics.likes, null);
  });

  it('when an account has more media than a page, then the after cursor pages until the `since` date', async () => {
    onRequest = (req) =>
      req.query.get('fields')!.includes('.after(CUR1)')
        ? { body: account([media('2003', 3), media('2004', 30)]) }
        : { body: account([media('2001', 1), media('2002', 2)], 'CUR1') };
    const videos = await client().listCreatorVideos('sunny', { since: new Date(Date.now() - 7 * DAY), limit: 10 });
    assert.deepEqual(
      videos.map((v) => v.id),
      ['sunny:2001', 'sunny:2002', 'sunny:2003'],
    );
    assert.equal(stub.requests.length, 2);
  });

  it('when stats are asked for composite ids, then each owner is read once and unknown ids are absent', async () => {
    const stats = await client().getVideoStats(['sunny:1001', 'sunny:9999', 'no-owner-id']);
    assert.deepEqual([...stats.keys()], ['sunny:1001']);
    assert.equal((stats.get('sunny:1001') as VideoStats).metrics.views, 5000);
  });

  it('when discovery is asked, then nothing comes back (the API cannot discover) and nothing is called', async () => {
    assert.deepEqual(await client().discoverFresh({ publishedAfter: new Date(0), limit: 10 }), []);
    assert.equal(stub.requests.length, 0);
  });

  it('when asked to follow a signal, then it is bad_input (no hashtag search here) and nothing is called', async () => {
    assert.deepEqual(client().capabilities.searchBy, []);
    await assert.rejects(
      client().searchFresh({ signal: { kind: 'hashtag', name: 'sunset' }, publishedAfter: new Date(0), limit: 10 }),
      (e: unknown) => e instanceof PlatformError && e.kind === 'bad_input',
    );
    assert.equal(stub.requests.length, 0);
  });

  const ERRORS: [number, number | undefined, number, PlatformErrorKind][] = [
    [190, undefined, 400, 'reauth'],
    [10, undefined, 403, 'reauth'],
    [4, undefined, 400, 'retryable'],
    [17, undefined, 400, 'retryable'],
    [32, undefined, 400, 'retryable'],
    [613, undefined, 400, 'retryable'],
    [2, undefined, 500, 'retryable'],
    [110, 2207013, 400, 'not_found'],
    [100, undefined, 400, 'bad_input'],
    [104, undefined, 400, 'reauth'],
    [100, 33, 400, 'reauth'],
    [80002, undefined, 400, 'retryable'],
    [1, undefined, 200, 'retryable'], // an error body fails the call even with status 200
  ];
  for (const [code, subcode, status, kind] of ERRORS) {
    it(`when Meta answers code ${code}${subcode ? `/${subcode}` : ''}, then the error class is ${kind}`, async () => {
      onRequest = () => ({
        status,
        body: { error: { message: 'nope', type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'x' } },
      });
      await assert.rejects(
        client().resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' }),
        (e: unknown) => e instanceof PlatformError && e.kind === kind,
      );
    });
  }

  it('when media have no type, a carousel or a plain video, then formats follow and views stay unknown outside Reels', async () => {
    onRequest = () => ({
      body: account([
        media('3001', 1, { media_type: 'CAROUSEL_ALBUM', media_product_type: 'FEED', view_count: 77 }),
        media('3002', 1, { media_type: 'VIDEO', media_product_type: 'FEED', view_count: undefined }),
        media('3003', 1, { media_type: undefined, media_product_type: undefined, comments_count: undefined, caption: undefined }),
        media('3004', 1, { view_count: undefined }),
      ]),
    });
    const videos = await client().listCreatorVideos('sunny', { since: new Date(Date.now() - 7 * DAY), limit: 10 });
    assert.deepEqual(
      videos.map((v) => [v.format, v.metrics.views]),
      [
        ['carousel', null],
        ['video', null],
        [null, null],
        ['reel', null],
      ],
    );
    assert.equal(videos[2]!.metrics.comments, null);
    assert.deepEqual(videos[2]!.hashtags, []);
  });

  it('when a username could rewrite the field expression, then it is refused before any call', async () => {
    for (const bad of ['sunny){id}', 'a b', 'x'.repeat(31), '']) {
      await assert.rejects(
        client().listCreatorVideos(bad, { since: new Date(0), limit: 1 }),
        (e: unknown) => e instanceof PlatformError && e.kind === 'bad_input',
        bad,
      );
    }
    assert.deepEqual([...(await client().getVideoStats(['bad){x}:1001'])).keys()], []);
    assert.equal(stub.requests.length, 0);
  });

  it('when Meta throttles and the usage header says when access is back, then retryAfterMs follows it', async () => {
    onRequest = () => ({
      status: 400,
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          '1784': [{ type: 'instagram', call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: 5 }],
        }),
      },
      body: { error: { message: 'too many calls', type: 'OAuthException', code: 80002, fbtrace_id: 'x' } },
    });
    await assert.rejects(
      client().resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' }),
      (e: unknown) => e instanceof PlatformError && e.kind === 'retryable' && e.info.retryAfterMs === 300_000,
    );
  });

  it('when usage passes 80 %, then the client stops calling until the platform says access is back', async () => {
    const c = client();
    onRequest = () => ({
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          '1784': [{ type: 'instagram', call_count: 91, total_cputime: 10, total_time: 12, estimated_time_to_regain_access: 3 }],
        }),
      },
      body: account([]),
    });
    await c.resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' });
    await assert.rejects(
      c.resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' }),
      (e: unknown) => e instanceof PlatformError && e.kind === 'retryable' && e.info.retryAfterMs === 180_000,
    );
    assert.equal(stub.requests.length, 1, 'the second call was not made');
    now = new Date(now.getTime() + 181_000);
    await c.resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' });
    assert.equal(stub.requests.length, 2);
    assert.deepEqual(usageFromHeaders(new Headers({ 'x-app-usage': '{"call_count":12,"total_cputime":85,"total_time":3}' })), {
      percent: 85,
      regainAfterMs: 0,
    });
  });

  it('when the answer is garbage, slow or too large, then a classified error that never shows the token', async () => {
    const cases: [StubReply, PlatformErrorKind][] = [
      [{ body: '<html>login</html>' }, 'retryable'],
      [{ body: { something: 'else' } }, 'bad_input'],
      [{ body: account([media('1', 1, { timestamp: 'yesterday' })]) }, 'bad_input'],
      [{ status: 404, body: 'Not Found' }, 'bad_input'],
      [{ status: 503, body: 'busy' }, 'retryable'],
      [{ body: account([]), delayMs: 1500 }, 'retryable'],
      [{ body: account(Array.from({ length: 500 }, (_, i) => media(String(i), 1))), chunked: true }, 'retryable'],
    ];
    for (const [reply, kind] of cases) {
      onRequest = () => reply;
      await assert.rejects(client().resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' }), (e: unknown) => {
        assert.ok(e instanceof PlatformError, String(e));
        assert.equal(e.kind, kind, e.message);
        assert.doesNotMatch(e.message, /SECRET-TOKEN/);
        return true;
      });
    }
  });

  it('when a 200 answer is cut off, empty or not JSON, then the error is retryable; well-formed JSON of the wrong shape stays bad_input', async () => {
    const whole = JSON.stringify(account([media('1001', 1), media('1002', 2)]));
    const cases: [string, StubReply, PlatformErrorKind][] = [
      [
        'short of its content-length',
        { body: whole, cutOff: { bytes: Math.floor(whole.length / 2), framing: 'content-length' } },
        'retryable',
      ],
      ['cut off, close-delimited', { body: whole, cutOff: { bytes: Math.floor(whole.length / 2), framing: 'close' } }, 'retryable'],
      ['empty', { body: '' }, 'retryable'],
      ['invalid JSON', { body: '{"business_discovery": {"id": 1,,}', headers: { 'content-type': 'application/json' } }, 'retryable'],
      [
        'an HTML page',
        { body: '<!DOCTYPE html><html>Temporarily unavailable</html>', headers: { 'content-type': 'text/html' } },
        'retryable',
      ],
      ['JSON of the wrong shape', { body: { business_discovery: { media: { data: 'none' } } } }, 'bad_input'],
    ];
    for (const [name, reply, kind] of cases) {
      onRequest = () => reply;
      await assert.rejects(
        client().listCreatorVideos('sunny', { since: new Date(0), limit: 10 }),
        (e: unknown) => {
          assert.ok(e instanceof PlatformError, String(e));
          assert.equal(e.kind, kind, `${name}: ${e.message}`);
          return true;
        },
        name,
      );
    }
  });

  describe('paging (cursors without a next URL, as business discovery answers)', () => {
    /** 130 posts, newest first, one a day. */
    const posts = Array.from({ length: 130 }, (_, i) => media(String(5000 + i), i + 0.5));

    it('when an account has more posts than a page and paging carries only cursors, then listCreatorVideos pages by cursor to the limit', async () => {
      onRequest = fakeInstagram(posts);
      const videos = await client().listCreatorVideos('sunny', { since: new Date(now.getTime() - 365 * DAY), limit: 120 });
      assert.equal(videos.length, 120);
      assert.deepEqual(
        videos.map((v) => v.id),
        posts.slice(0, 120).map((p) => `sunny:${p.id}`),
      );
      const pages = stub.requests.map((r) => mediaPageOf(r.query.get('fields')!));
      assert.deepEqual(
        pages.map((p) => p.limit),
        [50, 50, 50],
      );
      assert.equal(pages[0]!.after, null);
      assert.ok(pages[1]!.after && pages[2]!.after && pages[1]!.after !== pages[2]!.after, 'each page continues after the previous cursor');
    });

    it('when the last page has no after cursor, then paging stops there and every post is listed once', async () => {
      onRequest = fakeInstagram(posts);
      const videos = await client().listCreatorVideos('sunny', { since: new Date(0), limit: 1000 });
      assert.equal(videos.length, 130);
      assert.equal(new Set(videos.map((v) => v.id)).size, 130);
      assert.equal(stub.requests.length, 3);
    });

    it('when stats are asked for an older post, then later pages are read by cursor and its stats come back', async () => {
      onRequest = fakeInstagram(posts);
      const stats = await client().getVideoStats(['sunny:5120', 'sunny:5001']);
      assert.deepEqual([...stats.keys()].sort(), ['sunny:5001', 'sunny:5120']);
      assert.equal((stats.get('sunny:5120') as VideoStats).metrics.likes, 120);
      assert.equal(stub.requests.length, 3);
    });

    it('when the whole media list was read and a post is missing, then it is absent (deleted): the batcher says not_found', async () => {
      onRequest = fakeInstagram(posts);
      const batcher = new StatsBatcher(client(), { windowMs: 1 });
      await assert.rejects(batcher.get('sunny:9999'), (e: unknown) => e instanceof PlatformError && e.kind === 'not_found');
      assert.equal(stub.requests.length, 3, 'every page was read');
    });

    it('when a post lies beyond the page limit, then it is unavailable, never not_found (not treated as deleted)', async () => {
      const many = Array.from({ length: 700 }, (_, i) => media(String(10_000 + i), i / 10));
      onRequest = fakeInstagram(many);
      const c = client();
      const stats = await c.getVideoStats(['sunny:10699', 'sunny:10003', 'sunny:1']);
      assert.equal((stats.get('sunny:10003') as VideoStats).metrics.views, 5000);
      for (const id of ['sunny:10699', 'sunny:1']) {
        const result = stats.get(id);
        assert.ok(result instanceof PlatformError && result.kind === 'unavailable', `${id}: ${String(result)}`);
      }
      const batcher = new StatsBatcher(c, { windowMs: 1 });
      await assert.rejects(
        batcher.get('sunny:10699'),
        (e: unknown) => e instanceof PlatformError && e.kind === 'unavailable' && !e.retryable,
      );
    });
  });

  const CONFIG_ERRORS: [number, number | undefined, string, RegExp][] = [
    [104, undefined, 'An access token is required to request this resource.', /INSTAGRAM_ACCESS_TOKEN/],
    [
      100,
      33,
      "Unsupported get request. Object with ID '17841400000000000' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
      /INSTAGRAM_USER_ID/,
    ],
    [190, undefined, 'Error validating access token: Session has expired.', /INSTAGRAM_ACCESS_TOKEN/],
  ];
  for (const [code, subcode, message, key] of CONFIG_ERRORS) {
    it(`when Meta answers ${code}${subcode ? `/${subcode}` : ''}, then it is an operator configuration error (reauth) naming ${key.source}, not bad input`, async () => {
      onRequest = () => ({
        status: 400,
        body: { error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'x' } },
      });
      const batcher = new StatsBatcher(client(), { windowMs: 1 });
      for (const call of [
        client().resolveCreator({ platform: 'instagram', kind: 'username', value: 'sunny' }),
        client().listCreatorVideos('sunny', { since: new Date(0), limit: 5 }),
        batcher.get('sunny:1001'),
      ]) {
        await assert.rejects(call, (e: unknown) => {
          assert.ok(e instanceof PlatformError, String(e));
          assert.equal(e.kind, 'reauth', e.message);
          assert.equal(e.retryable, false);
          assert.match(e.message, key);
          assert.doesNotMatch(e.message, /SECRET-TOKEN/);
          return true;
        });
      }
    });
  }
});
