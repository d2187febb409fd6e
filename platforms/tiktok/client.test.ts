import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PlatformError, type PlatformErrorKind } from '../errors';
import { QuotaLedger } from '../quota';
import type { PlatformClient, VideoStats } from '../types';
import { testRedis } from '../../test/harness';
import { startStubServer, type StubReply, type StubRequest, type StubServer } from '../../test/stubServer';
import { createTikTokClient } from './client';
import { idCreatedAt, OK, queryBody as rawQueryBody, video } from './testFixtures';

const BIG_ID = '7234567890123456789'; // created 2023-05-18
const DAY = 86_400_000;
const isKind = (kind: PlatformErrorKind) => (e: unknown) => e instanceof PlatformError && e.kind === kind;
const queries = (stub: StubServer) => stub.requests.filter((r) => r.path === '/v2/research/video/query/').map((r) => JSON.parse(r.body));

describe('TikTok Research API adapter (local stub)', () => {
  let stub: StubServer;
  let now: Date;
  let keyPrefix: string;
  let tokenRequests: number;
  let onQuery: (req: StubRequest) => StubReply;

  function client(overrides: Partial<Parameters<typeof createTikTokClient>[0]> = {}): PlatformClient {
    return createTikTokClient({
      clientKey: 'ck',
      clientSecret: 'cs',
      baseUrl: stub.url,
      timeoutMs: 1000,
      maxBytes: 100_000,
      quota: new QuotaLedger(testRedis(), () => now, keyPrefix),
      dailyRequests: 1000,
      dailyRecords: 100_000,
      regionCodes: ['US'],
      clock: () => now,
      ...overrides,
    });
  }

  beforeEach(async () => {
    now = new Date();
    keyPrefix = `test-quota-${randomUUID()}`;
    tokenRequests = 0;
    onQuery = () => ({ body: rawQueryBody([video(BIG_ID)]) });
    stub = await startStubServer((req) => {
      if (req.path === '/v2/oauth/token/') {
        tokenRequests++;
        assert.equal(new URLSearchParams(req.body).get('grant_type'), 'client_credentials');
        return { body: { access_token: `token-${tokenRequests}`, expires_in: 7200, token_type: 'Bearer' } };
      }
      return onQuery(req);
    });
  });
  afterEach(async () => {
    await stub.close();
    const keys = await testRedis().keys(`${keyPrefix}:*`);
    if (keys.length) await testRedis().del(...keys);
  });

  it('when stats are asked, then the 64-bit id stays a string and counts are numbers', async () => {
    onQuery = () => ({ body: rawQueryBody([video(BigInt(BIG_ID))]) }); // the id as a bare JSON number
    const stats = await client().getVideoStats([BIG_ID]);
    assert.deepEqual([...stats.keys()], [BIG_ID]);
    assert.deepEqual((stats.get(BIG_ID) as VideoStats).metrics, { views: 1000, likes: 50, comments: 3, shares: 2 });
    const body = JSON.parse(stub.requests.at(-1)!.body);
    assert.deepEqual(body.query.and[0], { operation: 'IN', field_name: 'video_id', field_values: [BIG_ID] });
    assert.ok(
      body.start_date <= '20230518' && body.end_date >= '20230518',
      `the window ${body.start_date}..${body.end_date} holds the id's creation day`,
    );
    assert.equal(body.max_count, 1);
    assert.equal(stub.requests.at(-1)!.headers.authorization, 'Bearer token-1');
    assert.match(
      stub.requests.at(-1)!.path + '?' + stub.requests.at(-1)!.query.toString(),
      /fields=id%2Cvideo_description%2Ccreate_time.*music_id/,
    );
  });

  it('when stats are asked for videos created months apart, then each is looked up in a window around its creation day', async () => {
    const recent = idCreatedAt(now.getTime() - 2 * DAY);
    const old = idCreatedAt(now.getTime() - 75 * DAY);
    const gone = idCreatedAt(now.getTime() - 80 * DAY, 42n); // deleted: TikTok does not return it
    onQuery = (req) => ({
      body: rawQueryBody(
        JSON.parse(req.body)
          .query.and[0].field_values.filter((id: string) => id !== gone)
          .map((id: string) => video(BigInt(id))),
      ),
    });
    const stats = await client().getVideoStats([recent, old, gone]);
    assert.deepEqual([...stats.keys()].sort(), [old, recent].sort(), 'an id TikTok does not return is absent');
    const sent = queries(stub);
    assert.deepEqual(
      sent.map((q) => q.query.and[0].field_values),
      [[gone, old], [recent]],
    );
    assert.deepEqual(
      sent.map((q) => q.max_count),
      [2, 1],
    );
  });

  it('when a creator has several pages, then the cursor and search_id page through them', async () => {
    onQuery = (req) => {
      const body = JSON.parse(req.body);
      return body.cursor === 0
        ? { body: rawQueryBody([video('7000000000000000001', {}, now.getTime())], true, 100) }
        : { body: rawQueryBody([video('7000000000000000002', { hashtag_names: undefined, like_count: undefined }, now.getTime())], false) };
    };
    const videos = await client().listCreatorVideos('dancer', { since: new Date(now.getTime() - 5 * 86_400_000), limit: 10 });
    assert.equal(videos.length, 2);
    const second = JSON.parse(stub.requests.at(-1)!.body);
    assert.equal(second.cursor, 100);
    assert.equal(second.search_id, 'sid-1');
    assert.equal(videos[1]!.metrics.likes, null, 'a missing count is unknown, not 0');
    assert.deepEqual(videos[1]!.hashtags, []);
    assert.deepEqual(videos[0]!.hashtags, ['fun', 'dance']);
    assert.equal(videos[0]!.soundId, '7111111111111111111', 'the sound is the 64-bit music id, as a string');
    assert.equal(videos[0]!.publishedAt, new Date((Math.floor(now.getTime() / 1000) - 3600) * 1000).toISOString());
  });

  it('when the range is longer than 30 days, then it is split into windows of at most 30 days', async () => {
    onQuery = () => ({ body: rawQueryBody([]) });
    await client().listCreatorVideos('dancer', { since: new Date(now.getTime() - 70 * 86_400_000), limit: 10 });
    const windows = stub.requests.filter((r) => r.path.includes('video/query')).map((r) => JSON.parse(r.body));
    assert.equal(windows.length, 3);
    for (const w of windows) {
      const days =
        (Date.parse(`${w.end_date.slice(0, 4)}-${w.end_date.slice(4, 6)}-${w.end_date.slice(6)}`) -
          Date.parse(`${w.start_date.slice(0, 4)}-${w.start_date.slice(4, 6)}-${w.start_date.slice(6)}`)) /
        86_400_000;
      assert.ok(days <= 30, `${w.start_date}..${w.end_date}`);
    }
  });

  it('when the token nears its 2 h expiry, then a new one is fetched first; parallel calls share one token request', async () => {
    const c = client();
    await Promise.all([c.getVideoStats([BIG_ID]), c.getVideoStats([BIG_ID]), c.getVideoStats([BIG_ID])]);
    assert.equal(tokenRequests, 1);
    now = new Date(now.getTime() + 7200_000 - 200_000); // within 5 minutes of expiry
    await c.getVideoStats([BIG_ID]);
    assert.equal(tokenRequests, 2);
    assert.equal(stub.requests.at(-1)!.headers.authorization, 'Bearer token-2');
  });

  const ERROR_CASES: [string, number, string, PlatformErrorKind][] = [
    ['scope_not_authorized', 401, 'scope', 'reauth'],
    ['invalid_params', 400, 'bad', 'bad_input'],
    ['rate_limit_exceeded', 429, 'slow down', 'quota_exhausted'], // no Retry-After: the Research API's daily cap
    ['internal_error', 500, 'oops', 'retryable'],
    ['daily_quota_limit_exceeded', 429, 'done for today', 'quota_exhausted'],
  ];
  for (const [code, status, message, kind] of ERROR_CASES) {
    it(`when TikTok answers ${code}, then the error class is ${kind}`, async () => {
      onQuery = () => ({ status, body: { data: {}, error: { code, message, log_id: 'l' } } });
      await assert.rejects(client().getVideoStats([BIG_ID]), (e: unknown) => e instanceof PlatformError && e.kind === kind);
    });
  }

  it('when the error comes in a 200 body, then it is still an error', async () => {
    onQuery = () => ({ status: 200, body: { data: {}, error: { code: 'invalid_params', message: 'bad date', log_id: 'l' } } });
    await assert.rejects(client().getVideoStats([BIG_ID]), (e: unknown) => e instanceof PlatformError && e.kind === 'bad_input');
  });

  it('when the token stays rejected, then after one fresh token the error is reauth', async () => {
    onQuery = () => ({ status: 401, body: { error: { code: 'access_token_invalid', message: 'expired', log_id: 'l' } } });
    await assert.rejects(client().getVideoStats([BIG_ID]), isKind('reauth'));
    assert.equal(tokenRequests, 2);
    assert.equal(queries(stub).length, 2);
  });

  it('when a 401 or 403 comes without an error body, then it is reauth; a 404 is not found', async () => {
    for (const [status, kind] of [
      [401, 'reauth'],
      [403, 'reauth'],
      [404, 'not_found'],
    ] as const) {
      onQuery = () => ({ status, body: '' });
      await assert.rejects(client().getVideoStats([BIG_ID]), isKind(kind), String(status));
    }
  });

  it('when TikTok says the daily quota is spent, then the error carries the UTC reset and later calls are refused without asking', async () => {
    onQuery = () => ({ status: 429, body: { error: { code: 'daily_quota_limit_exceeded', message: 'done', log_id: 'l' } } });
    const c = client();
    await assert.rejects(c.getVideoStats([BIG_ID]), (e: unknown) => {
      assert.ok(e instanceof PlatformError && e.kind === 'quota_exhausted');
      assert.equal(e.info.resetAt, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString());
      return true;
    });
    await assert.rejects(c.getVideoStats([BIG_ID]), isKind('quota_exhausted'));
    assert.equal(queries(stub).length, 1);
  });

  it('when TikTok rate-limits, then the error is retryable with its Retry-After', async () => {
    onQuery = () => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 'rate_limit_exceeded', message: 'slow', log_id: 'l' } },
    });
    await assert.rejects(
      client().getVideoStats([BIG_ID]),
      (e: unknown) => e instanceof PlatformError && e.kind === 'retryable' && e.info.retryAfterMs === 7000,
    );
  });

  it('when fresh videos are discovered, then the configured regions are queried and older videos are left out', async () => {
    const publishedAfter = new Date(now.getTime() - 3 * DAY);
    onQuery = () => ({
      body: rawQueryBody([
        video('7300000000000000001', { create_time: Math.floor(now.getTime() / 1000) - 3600 }),
        video('7300000000000000002', { create_time: Math.floor(now.getTime() / 1000) - 4 * 86_400 }),
      ]),
    });
    const videos = await client({ regionCodes: ['US', 'GB'] }).discoverFresh({ publishedAfter, limit: 50 });
    assert.deepEqual(
      videos.map((v) => [v.id, v.format, v.source]),
      [['7300000000000000001', 'short', 'tiktok-research-api']],
    );
    const [q] = queries(stub);
    assert.deepEqual(q.query.and[0], { operation: 'IN', field_name: 'region_code', field_values: ['US', 'GB'] });
    assert.equal(q.max_count, 50);
    assert.equal(q.end_date, now.toISOString().slice(0, 10).replace(/-/g, ''));
  });

  describe('searchFresh (following a signal)', () => {
    const HOUR = 3_600_000;
    const at = (hoursAgo: number) => ({ create_time: Math.floor((now.getTime() - hoursAgo * HOUR) / 1000) });

    it('when following a hashtag, a sound or a keyword, then the query adds its condition to the watched regions and returns fresh videos newest first', async () => {
      onQuery = () => ({
        body: rawQueryBody([
          video('7000000000000000001', at(5), now.getTime()),
          video('7000000000000000002', at(1), now.getTime()),
          video('7000000000000000003', at(50), now.getTime()), // before publishedAfter
        ]),
      });
      const c = client({ regionCodes: ['US', 'GB'] });
      assert.deepEqual(c.capabilities.searchBy, ['hashtag', 'sound', 'keyword']);
      const publishedAfter = new Date(now.getTime() - 24 * HOUR);
      const found = await c.searchFresh({ signal: { kind: 'hashtag', name: '#CatDance' }, publishedAfter, limit: 50 });
      assert.deepEqual(
        found.map((v) => v.id),
        ['7000000000000000002', '7000000000000000001'],
      );
      await c.searchFresh({ signal: { kind: 'sound', name: '7111111111111111111' }, publishedAfter, limit: 50 });
      await c.searchFresh({ signal: { kind: 'keyword', name: 'cat dance' }, publishedAfter, limit: 50 });
      const sent = queries(stub);
      assert.deepEqual(
        sent.map((q) => q.query.and),
        [
          [
            { operation: 'IN', field_name: 'region_code', field_values: ['US', 'GB'] },
            { operation: 'EQ', field_name: 'hashtag_name', field_values: ['CatDance'] },
          ],
          [
            { operation: 'IN', field_name: 'region_code', field_values: ['US', 'GB'] },
            { operation: 'EQ', field_name: 'music_id', field_values: ['7111111111111111111'] },
          ],
          [
            { operation: 'IN', field_name: 'region_code', field_values: ['US', 'GB'] },
            { operation: 'EQ', field_name: 'keyword', field_values: ['cat dance'] },
          ],
        ],
      );
      assert.equal(sent[0].max_count, 50);
      assert.ok(sent[0].start_date <= sent[0].end_date && sent[0].end_date === now.toISOString().slice(0, 10).replace(/-/g, ''));
    });

    it('when a signal has more videos than one page, then it pages by cursor only until the limit', async () => {
      let page = 0;
      onQuery = () => {
        page++;
        const ids = Array.from({ length: 60 }, (_, i) => video(`70000000000000${page}${String(i).padStart(4, '0')}`, at(1), now.getTime()));
        return { body: rawQueryBody(ids, true, page * 60) };
      };
      const found = await client().searchFresh({
        signal: { kind: 'hashtag', name: 'catdance' },
        publishedAfter: new Date(now.getTime() - 24 * HOUR),
        limit: 80,
      });
      assert.equal(found.length, 80);
      assert.deepEqual(
        queries(stub).map((q) => [q.cursor, q.max_count]),
        [
          [0, 80],
          [60, 20],
        ],
      );
    });

    it('when nothing carries the signal (empty videos, no has_more), then it returns none after one request', async () => {
      onQuery = () => ({ body: JSON.stringify({ data: { videos: [], has_more: false }, error: OK }) });
      const found = await client().searchFresh({
        signal: { kind: 'keyword', name: 'nobody' },
        publishedAfter: new Date(now.getTime() - HOUR),
        limit: 10,
      });
      assert.deepEqual(found, []);
      assert.equal(queries(stub).length, 1);
    });

    it('when the sound is not a music id, then it is bad_input without a request', async () => {
      await assert.rejects(
        client().searchFresh({
          signal: { kind: 'sound', name: 'not a number' },
          publishedAfter: new Date(now.getTime() - HOUR),
          limit: 10,
        }),
        isKind('bad_input'),
      );
      assert.equal(queries(stub).length, 0);
    });

    it('when the daily cap is spent, then following a signal is quota_exhausted and the next one is refused unasked', async () => {
      onQuery = () => ({ status: 429, body: { data: {}, error: { code: 'daily_quota_limit_exceeded', message: 'done', log_id: 'l' } } });
      const c = client();
      const follow = () =>
        c.searchFresh({ signal: { kind: 'hashtag', name: 'x' }, publishedAfter: new Date(now.getTime() - HOUR), limit: 10 });
      await assert.rejects(follow(), isKind('quota_exhausted'));
      await assert.rejects(follow(), isKind('quota_exhausted'));
      assert.equal(queries(stub).length, 1);
    });
  });

  it('when the token is rejected once, then it is refreshed and the call retried; rejected credentials are reauth', async () => {
    let calls = 0;
    onQuery = () =>
      ++calls === 1
        ? { status: 401, body: { error: { code: 'access_token_invalid', message: 'expired' } } }
        : { body: rawQueryBody([video(BIG_ID)]) };
    assert.equal((await client().getVideoStats([BIG_ID])).size, 1);
    assert.equal(tokenRequests, 2);
    stub.setHandler(() => ({ status: 401, body: { error: 'invalid_client', error_description: 'bad secret' } }));
    await assert.rejects(
      client().getVideoStats([BIG_ID]),
      (e: unknown) => e instanceof PlatformError && e.kind === 'reauth' && /TIKTOK_CLIENT_KEY/.test(e.message),
    );
  });

  it('when the daily request budget would be overrun, then the call is refused before it is made, and allowed again the next day', async () => {
    const c = client({ dailyRequests: 2 });
    await c.getVideoStats([BIG_ID]);
    await c.getVideoStats([BIG_ID]);
    const before = stub.requests.length;
    await assert.rejects(
      c.getVideoStats([BIG_ID]),
      (e: unknown) => e instanceof PlatformError && e.kind === 'quota_exhausted' && Boolean(e.info.resetAt),
    );
    assert.equal(stub.requests.length, before, 'TikTok was not asked');
    now = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 0, 5));
    assert.equal((await c.getVideoStats([BIG_ID])).size, 1);
  });

  it('when a query asks for more records than are left today, then it is refused before it is made', async () => {
    await assert.rejects(
      client({ dailyRecords: 50 }).discoverFresh({ publishedAfter: new Date(now.getTime() - 86_400_000), limit: 100 }),
      (e: unknown) => e instanceof PlatformError && e.kind === 'quota_exhausted',
    );
    assert.equal(stub.requests.filter((r) => r.path.includes('video/query')).length, 0);
  });

  it('when the answer is HTML, the wrong shape, too slow or too large, then a classified error and no crash', async () => {
    const cases: [StubReply, PlatformErrorKind][] = [
      [{ status: 200, body: '<html>gateway</html>', headers: { 'content-type': 'text/html' } }, 'retryable'],
      [{ status: 502, body: '<html>bad gateway</html>' }, 'retryable'],
      [{ body: { data: { videos: [{ id: 1 }] }, error: OK } }, 'bad_input'],
      [{ body: rawQueryBody([video(BIG_ID)]), delayMs: 1500 }, 'retryable'],
      [{ body: rawQueryBody(Array.from({ length: 2000 }, (_, i) => video(`700000000000000${String(i).padStart(4, '0')}`))) }, 'retryable'],
    ];
    for (const [reply, kind] of cases) {
      onQuery = () => reply;
      await assert.rejects(
        client().getVideoStats([BIG_ID]),
        (e: unknown) => e instanceof PlatformError && e.kind === kind,
        JSON.stringify(reply).slice(0, 80),
      );
    }
  });

  it('when a creator is resolved, then follower and video counts come from user info; an unknown account is not found', async () => {
    onQuery = (req) =>
      JSON.parse(req.body).username === 'dancer'
        ? { body: { data: { display_name: 'Dancer', follower_count: 12_000, video_count: 40 }, error: OK } }
        : { status: 400, body: { error: { code: 'invalid_params', message: 'user not found' } } };
    const creator = await client().resolveCreator({ platform: 'tiktok', kind: 'username', value: 'Dancer' });
    assert.deepEqual([creator.id, creator.followers, creator.videoCount, creator.source], ['dancer', 12_000, 40, 'tiktok-research-api']);
    await assert.rejects(
      client().resolveCreator({ platform: 'tiktok', kind: 'username', value: 'ghost' }),
      (e: unknown) => e instanceof PlatformError && e.kind === 'not_found',
    );
  });

  it('when user info is empty, then not found; when our request is malformed, then bad input (not a missing account)', async () => {
    onQuery = () => ({ body: { data: {}, error: OK } });
    await assert.rejects(client().resolveCreator({ platform: 'tiktok', kind: 'username', value: 'ghost' }), isKind('not_found'));
    onQuery = () => ({ status: 400, body: { error: { code: 'invalid_params', message: 'fields is invalid', log_id: 'l' } } });
    await assert.rejects(client().resolveCreator({ platform: 'tiktok', kind: 'username', value: 'dancer' }), isKind('bad_input'));
  });

  it('when a 200 answer is cut off, empty or not JSON, then the error is retryable; well-formed JSON of the wrong shape stays bad_input', async () => {
    const whole = rawQueryBody([video(BIG_ID), video('7000000000000000002')]);
    const cases: [string, StubReply, PlatformErrorKind][] = [
      [
        'short of its content-length',
        {
          body: whole,
          headers: { 'content-type': 'application/json' },
          cutOff: { bytes: Math.floor(whole.length / 2), framing: 'content-length' },
        },
        'retryable',
      ],
      [
        'cut off, close-delimited',
        { body: whole, headers: { 'content-type': 'application/json' }, cutOff: { bytes: Math.floor(whole.length / 2), framing: 'close' } },
        'retryable',
      ],
      ['empty', { body: '' }, 'retryable'],
      [
        'invalid JSON',
        { body: '{"data": {"videos": [}, "error": {"code": "ok"}}', headers: { 'content-type': 'application/json' } },
        'retryable',
      ],
      ['JSON of the wrong shape', { body: { data: { videos: 'none' }, error: OK } }, 'bad_input'],
    ];
    for (const [name, reply, kind] of cases) {
      onQuery = () => reply;
      await assert.rejects(
        client().getVideoStats([BIG_ID]),
        (e: unknown) => {
          assert.ok(e instanceof PlatformError, String(e));
          assert.equal(e.kind, kind, `${name}: ${e.message}`);
          return true;
        },
        name,
      );
    }
  });

  describe('429 rate_limit_exceeded: daily cap or short throttle', () => {
    const nextUtcMidnight = () => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
    const capped = (headers: Record<string, string> = {}): StubReply => ({
      status: 429,
      headers,
      body: { error: { code: 'rate_limit_exceeded', message: 'Rate limit exceeded', log_id: 'l' } },
    });

    it('when the Research API answers 429 rate_limit_exceeded without a short wait, then calls are held until 00:00 UTC, unasked', async () => {
      onQuery = () => capped();
      const c = client();
      await assert.rejects(c.getVideoStats([BIG_ID]), (e: unknown) => {
        assert.ok(e instanceof PlatformError, String(e));
        assert.equal(e.kind, 'quota_exhausted', e.message);
        assert.equal(e.info.resetAt, nextUtcMidnight());
        return true;
      });
      await assert.rejects(c.discoverFresh({ publishedAfter: new Date(now.getTime() - DAY), limit: 10 }), isKind('quota_exhausted'));
      await assert.rejects(client().getVideoStats([BIG_ID]), isKind('quota_exhausted'), 'another process (same ledger) is held too');
      assert.equal(queries(stub).length, 1, 'TikTok was asked once');
      now = new Date(Date.parse(nextUtcMidnight()) + 60_000);
      onQuery = () => ({ body: rawQueryBody([video(BIG_ID)]) });
      assert.equal((await c.getVideoStats([BIG_ID])).size, 1, 'calls resume after 00:00 UTC');
    });

    it('when a 429 names a short Retry-After, then it is retried; a second 429 after that backoff is the daily cap', async () => {
      onQuery = () => capped({ 'retry-after': '30' });
      const c = client();
      await assert.rejects(
        c.getVideoStats([BIG_ID]),
        (e: unknown) => e instanceof PlatformError && e.kind === 'retryable' && e.info.retryAfterMs === 30_000,
      );
      now = new Date(now.getTime() + 30_000);
      await assert.rejects(
        c.getVideoStats([BIG_ID]),
        (e: unknown) => e instanceof PlatformError && e.kind === 'quota_exhausted' && e.info.resetAt === nextUtcMidnight(),
      );
      await assert.rejects(c.getVideoStats([BIG_ID]), isKind('quota_exhausted'));
      assert.equal(queries(stub).length, 2);
    });

    it('when our ledger is near the daily limit, then even a 429 with a short Retry-After is the daily cap', async () => {
      const c = client({ dailyRequests: 10 });
      for (let i = 0; i < 9; i++) await c.getVideoStats([BIG_ID]);
      onQuery = () => capped({ 'retry-after': '5' });
      await assert.rejects(c.getVideoStats([BIG_ID]), isKind('quota_exhausted'));
    });
  });

  describe('expired search_id', () => {
    const first = ['7000000000000000011', '7000000000000000012'];
    const second = ['7000000000000000013'];
    const expired = (id: string): StubReply => ({
      status: 400,
      body: { error: { code: 'invalid_params', message: `Search Id ${id} is invalid or expired`, log_id: 'l' } },
    });

    it('when a later page says the search_id is invalid or expired, then the query restarts from cursor 0 once, without duplicate videos', async () => {
      let searches = 0;
      onQuery = (req) => {
        const body = JSON.parse(req.body);
        if (body.cursor === 0)
          return {
            body: rawQueryBody(
              first.map((id) => video(id, {}, now.getTime())),
              true,
              2,
              `sid-${++searches}`,
            ),
          };
        if (body.search_id === 'sid-1') return expired(body.search_id);
        return {
          body: rawQueryBody(
            second.map((id) => video(id, {}, now.getTime())),
            false,
            3,
            body.search_id,
          ),
        };
      };
      const videos = await client().listCreatorVideos('dancer', { since: new Date(now.getTime() - 5 * DAY), limit: 10 });
      assert.deepEqual(videos.map((v) => v.id).sort(), [...first, ...second].sort());
      assert.deepEqual(
        queries(stub).map((q) => [q.cursor, q.search_id ?? null]),
        [
          [0, null],
          [2, 'sid-1'],
          [0, null],
          [2, 'sid-2'],
        ],
      );
    });

    it('when the search_id expires again after the restart, then the call fails instead of looping', async () => {
      onQuery = (req) => {
        const body = JSON.parse(req.body);
        return body.cursor === 0
          ? {
              body: rawQueryBody(
                first.map((id) => video(id, {}, now.getTime())),
                true,
                2,
                'sid-x',
              ),
            }
          : expired(body.search_id);
      };
      await assert.rejects(
        client().listCreatorVideos('dancer', { since: new Date(now.getTime() - 5 * DAY), limit: 10 }),
        isKind('bad_input'),
      );
      assert.equal(queries(stub).length, 4);
    });
  });
});
