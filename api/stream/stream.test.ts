/**
 * GET /api/stream end to end in one API process, against real Redis and PostgreSQL: who gets which
 * events, resuming with Last-Event-ID (exactly the missed ones; a reset when they are gone),
 * tickets, the per-user cap, heartbeats, and every way a stream ends (logout, a disabled account,
 * token expiry, a slow client, shutdown). Events are published with the producers' own function
 * (events/publish.ts); the worker's events reaching another API process are in crossProcess.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { publishEvent } from '../../events/publish';
import type { ProductEventInput, TrendEventData } from '../../lib/domain/events';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { resetDb, testLogger, testRedis } from '../../test/harness';
import { openSse, type SseClient, type SseEvent } from '../../test/sse';
import { createUser, type TestUser } from '../../test/users';
import { loadSigningKey, signAccessToken } from '../auth/tokens';

const bus = { redis: testRedis(), logger: testLogger };

/** A user event whose data says which one it is (`n`), for counting exactly what arrived. */
function numbered(userId: number, n: number, name = `n${n}`): ProductEventInput {
  return {
    type: 'blogger.synced',
    audience: { userId },
    data: { bloggerId: n, name, syncedAt: new Date(0).toISOString(), newVideos: 0, updatedVideos: 0, budgetLeft: null, deferred: {} },
  };
}
const trendData = (): TrendEventData => ({
  trendId: 1,
  kind: 'hashtag',
  name: 'wave',
  status: 'emerging',
  previousStatus: null,
  score: 1,
  creatorCount: 3,
  videoCount: 4,
  baseline: 0.5,
  burstScore: 3,
  platforms: ['youtube'],
  detectedAt: new Date().toISOString(),
});
const numberOf = (e: SseEvent) => (e.event === 'blogger.synced' ? (e.json().data.bloggerId as number) : null);
const productEvents = (c: SseClient) => c.events.filter((e) => !['ready', 'reset', 'end'].includes(e.event));

describe('live events: GET /api/stream', function () {
  this.timeout(60_000);
  let api: TestApi;
  const open: SseClient[] = [];

  /** Connects and waits for `ready` (replay done, live from here). */
  async function connect(
    who: { accessToken: string } | null,
    opts: { headers?: Record<string, string>; query?: string; on?: TestApi } = {},
  ) {
    const target = opts.on ?? api;
    const client = await openSse(`${target.url}/api/stream${opts.query ?? ''}`, { token: who?.accessToken, headers: opts.headers });
    open.push(client);
    if (client.status === 200) await client.waitFor((e) => e.event === 'ready', 10_000, 'ready');
    return client;
  }

  before(async () => {
    await resetDb();
    api = await startTestApi({ SSE_HEARTBEAT_SECONDS: 1, SSE_RECHECK_SECONDS: 0.5, SSE_MAX_CONNECTIONS_PER_USER: 3 });
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  after(async () => {
    await api.close();
  });

  it('when no token is sent, then 401 with the JSON error and no stream headers', async () => {
    const client = await connect(null);
    assert.equal(client.status, 401);
    assert.match(client.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(client.body.error.code, 'unauthorized');
  });

  it('when a user connects, then the stream opens with proxy-safe headers, a retry hint, `ready` with a cursor id, and heartbeats', async () => {
    const user = await createUser(api);
    const client = await connect(user);
    assert.equal(client.status, 200);
    assert.equal(client.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.match(client.headers.get('cache-control') ?? '', /no-cache/);
    assert.equal(client.headers.get('x-accel-buffering'), 'no');
    assert.equal(client.retryMs, 3000);
    const ready = client.events.find((e) => e.event === 'ready')!;
    assert.equal(ready.id, `u${user.id}:0-0`);
    assert.deepEqual(ready.json().audiences, ['user']);
    assert.equal(ready.json().heartbeatSeconds, 1);
    await client.waitForComment(/^heartbeat$/, 5000);
  });

  it("when events go to a tenant, Trend Watch and the admins, then each client gets only its own: never another tenant's, trends only with a plan that has them, admin events only as an admin", async () => {
    const [a, b, pro, admin] = [
      await createUser(api),
      await createUser(api),
      await createUser(api, { plan: 'pro' }),
      await createUser(api, { role: 'admin', plan: 'enterprise' }),
    ];
    const clients = new Map<TestUser, SseClient>();
    for (const u of [a, b, pro, admin]) clients.set(u, await connect(u));
    await publishEvent(bus, numbered(a.id, 1));
    await publishEvent(bus, { type: 'trend.detected', audience: { trendWatch: true }, data: trendData() });
    await publishEvent(bus, {
      type: 'admin.schedule_changed',
      audience: { admins: true },
      data: {
        schedule: 'discovery',
        scheduleId: 'trend-discovery',
        action: 'pause',
        paused: true,
        note: null,
        by: { id: admin.id, email: admin.email },
      },
    });
    // A last event to everyone: once it is there, everything published before it has been delivered.
    for (const u of [a, b, pro, admin]) await publishEvent(bus, numbered(u.id, 999));
    const seen = async (u: TestUser) => {
      const client = clients.get(u)!;
      await client.waitFor((e) => numberOf(e) === 999, 10_000, 'the closing event');
      return productEvents(client).map((e) => (e.event === 'blogger.synced' ? `synced ${numberOf(e)}` : e.event));
    };
    assert.deepEqual(await seen(a), ['synced 1', 'synced 999']);
    assert.deepEqual(await seen(b), ['synced 999']);
    assert.deepEqual(await seen(pro), ['trend.detected', 'synced 999']);
    assert.deepEqual(await seen(admin), ['trend.detected', 'admin.schedule_changed', 'synced 999']);
    const payload = productEvents(clients.get(a)!)[0]!.json();
    assert.equal(payload.type, 'blogger.synced');
    assert.equal(payload.audience, 'user');
    assert.ok(Date.parse(payload.at) > 0);
  });

  it('when a client reconnects with Last-Event-ID (header or query), then it gets exactly the events it missed, then live ones, without duplicates', async () => {
    const user = await createUser(api);
    const first = await connect(user);
    await publishEvent(bus, numbered(user.id, 1));
    await publishEvent(bus, numbered(user.id, 2));
    await first.waitFor((e) => numberOf(e) === 2);
    const lastId = first.lastEventId!;
    first.close();
    for (const n of [3, 4, 5]) await publishEvent(bus, numbered(user.id, n));

    for (const how of ['header', 'query'] as const) {
      const again = await connect(
        user,
        how === 'header' ? { headers: { 'Last-Event-ID': lastId } } : { query: `?lastEventId=${encodeURIComponent(lastId)}` },
      );
      assert.deepEqual(
        again.events.map((e) => numberOf(e) ?? e.event),
        [3, 4, 5, 'ready'],
        how,
      );
      again.close();
    }
    const live = await connect(user, { headers: { 'Last-Event-ID': lastId } });
    await publishEvent(bus, numbered(user.id, 6));
    await live.waitFor((e) => numberOf(e) === 6);
    assert.deepEqual(productEvents(live).map(numberOf), [3, 4, 5, 6]);
  });

  it('when events keep coming while a client reconnects, then replay and live meet with no gap and no duplicate', async () => {
    const user = await createUser(api);
    const first = await connect(user);
    const publisher = (async () => {
      for (let n = 1; n <= 300; n++) await publishEvent(bus, numbered(user.id, n));
    })();
    await first.waitFor((e) => (numberOf(e) ?? 0) >= 40);
    first.close();
    await first.ended;
    const lastSeen = Math.max(...productEvents(first).map((e) => numberOf(e)!));
    const again = await openSse(`${api.url}/api/stream`, { token: user.accessToken, headers: { 'Last-Event-ID': first.lastEventId! } });
    open.push(again);
    await publisher;
    await again.waitFor((e) => numberOf(e) === 300, 20_000, 'event 300');
    const numbers = productEvents(again).map((e) => numberOf(e)!);
    assert.deepEqual(
      numbers,
      Array.from({ length: 300 - lastSeen }, (_, i) => lastSeen + 1 + i),
    );
  });

  it('when Last-Event-ID names events no longer kept (trimmed) or is not an id of ours, then `reset` comes first and the stream goes on from now', async () => {
    const user = await createUser(api);
    const first = await connect(user);
    await publishEvent(bus, numbered(user.id, 1));
    await first.waitFor((e) => numberOf(e) === 1);
    const lastId = first.lastEventId!;
    first.close();
    // A stream kept to ~10 entries: 400 more trim the one the client saw (MAXLEN ~ trims whole nodes).
    for (let n = 2; n <= 400; n++) await publishEvent({ ...bus, sseReplayEvents: 10 }, numbered(user.id, n));
    assert.ok((await testRedis().xlen(`events:user:${user.id}`)) < 400, 'the stream was trimmed');

    const trimmed = await connect(user, { headers: { 'Last-Event-ID': lastId } });
    assert.deepEqual(
      trimmed.events.map((e) => e.event),
      ['reset', 'ready'],
    );
    assert.equal(trimmed.events[0]!.json().reason, 'trimmed');
    assert.deepEqual(trimmed.events[0]!.json().audiences, ['user']);
    assert.match(trimmed.events[0]!.id!, new RegExp(`^u${user.id}:\\d+-\\d+$`));
    await publishEvent(bus, numbered(user.id, 401));
    await trimmed.waitFor((e) => numberOf(e) === 401);
    assert.deepEqual(productEvents(trimmed).map(numberOf), [401]);

    const malformed = await connect(user, { headers: { 'Last-Event-ID': 'not-an-id' } });
    assert.deepEqual(
      malformed.events.map((e) => e.event),
      ['reset', 'ready'],
    );
    assert.equal(malformed.events[0]!.json().reason, 'malformed_id');
  });

  it('when a ticket is used, then it opens one stream for its session; used again, or after it expired, it is a 401', async () => {
    const user = await createUser(api);
    const res = await api.request('POST', '/api/stream/ticket', { token: user.accessToken });
    assert.equal(res.status, 201);
    assert.equal(res.body.expiresIn, 30);
    assert.match(res.body.ticket, /^bast_/);
    const viaTicket = await connect(null, { query: `?ticket=${res.body.ticket}` });
    assert.equal(viaTicket.status, 200);
    await publishEvent(bus, numbered(user.id, 1));
    await viaTicket.waitFor((e) => numberOf(e) === 1);
    const reused = await connect(null, { query: `?ticket=${res.body.ticket}` });
    assert.equal(reused.status, 401);
    assert.equal(reused.body.error.code, 'invalid_ticket');

    const shortLived = await startTestApi({ SSE_TICKET_TTL_SECONDS: 1 });
    try {
      const issued = await shortLived.request('POST', '/api/stream/ticket', { token: user.accessToken });
      assert.equal(issued.body.expiresIn, 1);
      const key = `stream:ticket:${createHash('sha256').update(issued.body.ticket).digest('hex')}`;
      assert.equal(
        await eventually(
          () => testRedis().exists(key),
          (n) => n === 0,
          5000,
        ),
        0,
        'the ticket expired',
      );
      const late = await connect(null, { query: `?ticket=${issued.body.ticket}`, on: shortLived });
      assert.equal(late.status, 401);
      assert.equal(late.body.error.code, 'invalid_ticket');
    } finally {
      await shortLived.close();
    }
  });

  it('when a user opens more streams than the cap, then 429 says how many are open and the limit; closing one makes room', async () => {
    const user = await createUser(api);
    const streams = [await connect(user), await connect(user), await connect(user)];
    const refused = await connect(user);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'too_many_streams');
    assert.match(refused.body.error.message, /You have 3 event streams open and your limit is 3/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    streams[0]!.close();
    const admitted = await eventually(
      async () => {
        const client = await connect(user);
        if (client.status !== 200) client.close();
        return client;
      },
      (c) => c.status === 200,
      10_000,
    );
    assert.equal(admitted.status, 200);
  });

  it('when the user logs out, then the stream ends within seconds with `end` (session_revoked)', async () => {
    const user = await createUser(api);
    const client = await connect(user);
    const startedAt = Date.now();
    assert.equal((await api.request('POST', '/api/auth/logout', { token: user.accessToken })).status, 204);
    const end = await client.waitFor((e) => e.event === 'end', 5000, 'end');
    assert.equal(end.json().reason, 'session_revoked');
    await client.ended;
    assert.ok(Date.now() - startedAt < 5000);
  });

  it('when an admin disables the account, then its stream ends at once; a plan upgrade adds Trend Watch events to an open stream', async () => {
    const admin = await createUser(api, { role: 'admin', plan: 'enterprise' });
    const upgraded = await createUser(api);
    const client = await connect(upgraded);
    assert.equal(
      (await api.request('PUT', `/api/admin/users/${upgraded.id}`, { token: admin.accessToken, body: { plan: 'pro' } })).status,
      200,
    );
    // Published until one arrives: the stream adds Trend Watch when it sees the new plan.
    await eventually(
      async () => {
        await publishEvent(bus, { type: 'trend.fading', audience: { trendWatch: true }, data: { ...trendData(), status: 'fading' } });
        return client.events.some((e) => e.event === 'trend.fading');
      },
      (yes) => yes,
      10_000,
    );
    assert.ok(
      client.events.some((e) => e.event === 'trend.fading'),
      'a trend event after the upgrade',
    );

    assert.equal(
      (await api.request('PUT', `/api/admin/users/${upgraded.id}`, { token: admin.accessToken, body: { isActive: false } })).status,
      200,
    );
    const end = await client.waitFor((e) => e.event === 'end', 5000, 'end');
    assert.equal(end.json().reason, 'account_disabled');
  });

  it('when the access token expires, then the stream says so with `end` (token_expired) before it closes', async () => {
    const user = await createUser(api);
    const key = loadSigningKey(api.deps.config);
    const { token } = signAccessToken(
      key,
      { ...api.deps.config, ACCESS_TOKEN_TTL_SECONDS: 2 },
      { id: user.id, role: 'user' },
      'short-family',
    );
    const client = await connect({ accessToken: token });
    const end = await client.waitFor((e) => e.event === 'end', 6000, 'end');
    assert.equal(end.json().reason, 'token_expired');
    assert.match(end.json().message, /POST \/api\/auth\/refresh/);
    await client.ended;
  });

  it('when a client stops reading, then its stream is dropped once SSE_MAX_BUFFER_BYTES wait for it (memory stays bounded)', async () => {
    const small = await startTestApi({ SSE_MAX_BUFFER_BYTES: 65_536 });
    const user = await createUser(small);
    const socket = net.connect(Number(new URL(small.url).port), '127.0.0.1');
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${user.accessToken}\r\n\r\n`);
      socket.pause(); // reads nothing from here on
      await eventually(
        async () => small.deps.streams.size,
        (n) => n === 1,
        5000,
      );
      const big = 'x'.repeat(60_000);
      const dropped = await eventually(
        async () => {
          for (let i = 0; i < 10; i++) await publishEvent({ ...bus, sseReplayEvents: 10 }, numbered(user.id, i, big));
          return small.deps.streams.size;
        },
        (n) => n === 0,
        30_000,
      );
      assert.equal(dropped, 0, 'the slow stream was dropped');
    } finally {
      socket.destroy();
      await small.close();
    }
  });

  it('when the server shuts down, then every stream ends with `end` (server_shutdown) and close() does not wait for clients', async () => {
    const closing = await startTestApi();
    const user = await createUser(closing);
    const client = await connect(user, { on: closing });
    const startedAt = Date.now();
    await closing.close();
    assert.ok(Date.now() - startedAt < 5000, `close took ${Date.now() - startedAt} ms`);
    const end = await client.waitFor((e) => e.event === 'end', 2000, 'end');
    assert.equal(end.json().reason, 'server_shutdown');
    await client.ended;
  });
});
