import assert from 'node:assert/strict';
import net from 'node:net';
import Redis from 'ioredis';
import { createDb } from '../../db';
import { RecoveringTemporal } from '../../temporal/client';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { testConfig, testDb } from '../../test/harness';
import { createUser } from '../../test/users';
import { User } from '../../db/models';

/**
 * A TCP port in front of the real Temporal frontend that refuses service (accepts, then hangs up)
 * until `forward` is set: Temporal "down" and "back" at one unchanged address.
 */
async function temporalSwitch(): Promise<{ address: string; forward: boolean; close(): Promise<void> }> {
  const [host, port] = testConfig.TEMPORAL_ADDRESS.split(':');
  const sockets = new Set<net.Socket>();
  const state = { forward: false };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!state.forward) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get forward() {
      return state.forward;
    },
    set forward(on: boolean) {
      state.forward = on;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('health and readiness', () => {
  describe('with every dependency up', () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi();
    });
    after(() => api.close());

    it('when /api/health is asked, then the process answers 200 with a request id', async () => {
      const res = await api.request('GET', '/api/health');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'ok');
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    });

    it('when /api/ready is asked, then PostgreSQL, Redis and Temporal are all reported reachable', async () => {
      const res = await api.request('GET', '/api/ready');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const dep of ['postgres', 'redis', 'temporal']) assert.equal(res.body.checks[dep].ok, true, dep);
    });

    it('when a caller sends a sane X-Request-Id, then it is echoed back; an unsafe one is replaced', async () => {
      const kept = await api.request('GET', '/api/health', { headers: { 'x-request-id': 'trace-abc-12345678' } });
      assert.equal(kept.headers.get('x-request-id'), 'trace-abc-12345678');
      const replaced = await api.request('GET', '/api/health', { headers: { 'x-request-id': 'bad id\twith spaces' } });
      assert.notEqual(replaced.headers.get('x-request-id'), 'bad id\twith spaces');
    });

    it('when a route does not exist, then 404 comes in the documented error shape', async () => {
      const res = await api.request('GET', '/api/no-such-thing');
      assert.equal(res.status, 404);
      assert.deepEqual(Object.keys(res.body), ['error']);
      assert.equal(res.body.error.code, 'not_found');
      assert.match(res.body.error.message, /GET \/api\/no-such-thing/);
    });

    it('when a known path is called with the wrong method, then 405 in the error shape', async () => {
      const res = await api.request('DELETE', '/api/health');
      assert.equal(res.status, 405);
      assert.equal(res.body.error.code, 'method_not_allowed');
    });

    it('when a body is larger than BODY_LIMIT, then 413 and nothing else happens', async () => {
      const res = await api.request('POST', '/api/health', { body: { blob: 'x'.repeat(200 * 1024) } });
      assert.equal(res.status, 413);
      assert.equal(res.body.error.code, 'payload_too_large');
    });

    it('when the JSON body is malformed, then 400 in the error shape without a stack trace', async () => {
      const res = await api.request('POST', '/api/health', { body: '{"broken": ' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'bad_request');
      assert.doesNotMatch(JSON.stringify(res.body), /at .*\.(js|ts):\d+/);
    });
  });

  describe('with PostgreSQL down', () => {
    let api: TestApi;
    let blackhole: net.Server;

    before(async () => {
      // A server that accepts connections and never answers: the worst case, a hung database.
      blackhole = net.createServer(() => undefined);
      await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
      const { port } = blackhole.address() as net.AddressInfo;
      api = await startTestApi({}, { db: createDb({ url: `postgres://postgres@127.0.0.1:${port}/nothing` }) });
    });
    after(async () => {
      await api.close();
      blackhole.close();
    });

    it('when /api/ready is asked, then it answers 503 naming postgres instead of hanging', async function () {
      this.timeout(8000); // the probe deadline is 2 s; a hang would run into this
      const res = await api.request('GET', '/api/ready');
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'service_unavailable');
      assert.match(res.body.error.message, /postgres/);
      assert.deepEqual(res.body.error.details.down, ['postgres']);
    });
  });

  describe('with Redis and Temporal unreachable', () => {
    let api: TestApi;
    before(async () => {
      const redis = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      api = await startTestApi(
        {},
        { redis, temporal: new RecoveringTemporal({ address: '127.0.0.1:1', namespace: testConfig.TEMPORAL_NAMESPACE }) },
      );
    });
    after(() => api.close());

    it('when an anonymous caller asks /api/ready, then 503 names both and says nothing more (no addresses, no driver messages)', async function () {
      this.timeout(8000);
      const res = await api.request('GET', '/api/ready');
      assert.equal(res.status, 503);
      assert.equal(res.body.status, 'unavailable');
      assert.deepEqual(res.body.down, ['redis', 'temporal']);
      assert.deepEqual(res.body.error.details, { down: ['redis', 'temporal'] });
      assert.equal(res.headers.get('retry-after'), '5');
      assert.doesNotMatch(JSON.stringify(res.body), /127\.0\.0\.1|ECONNREFUSED|connect|14 UNAVAILABLE|No connection|latency/i);
    });
  });

  describe('when Temporal is down at start-up and comes back later', () => {
    let api: TestApi;
    let temporal: Awaited<ReturnType<typeof temporalSwitch>>;
    const userIds: number[] = [];

    before(async () => {
      temporal = await temporalSwitch();
      api = await startTestApi({ TEMPORAL_ADDRESS: temporal.address });
    });
    after(async () => {
      await api.close();
      await temporal.close();
      if (userIds.length) await User.query(testDb()).whereIn('id', userIds).delete();
    });

    it('then /api/ready is 503 naming temporal, routes that need it answer 503 temporal_unavailable, and both recover without a restart', async function () {
      this.timeout(30_000);
      const down = await api.request('GET', '/api/ready');
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.deepEqual(down.body.down, ['temporal']);

      const admin = await createUser(api, { role: 'admin' });
      const user = await createUser(api, { plan: 'pro' });
      userIds.push(admin.id, user.id);
      // An admin route and a user route that both need Temporal.
      for (const [method, path, token] of [
        ['GET', '/api/admin/schedules', admin.accessToken],
        ['POST', '/api/trends/discover', user.accessToken],
      ] as const) {
        const refused = await api.request(method, path, { token });
        assert.equal(refused.status, 503, `${path}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, 'temporal_unavailable');
        assert.ok(Number(refused.headers.get('retry-after')) > 0);
      }

      temporal.forward = true;
      const ready = await eventually(
        () => api.request('GET', '/api/ready'),
        (r) => r.status === 200,
        15_000,
      );
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      const schedules = await eventually(
        () => api.request('GET', '/api/admin/schedules', { token: admin.accessToken }),
        (r) => r.status === 200,
        15_000,
      );
      assert.equal(schedules.status, 200, JSON.stringify(schedules.body));
    });
  });
});
