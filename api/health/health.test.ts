import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import Redis from 'ioredis';
import { createDb } from '../../db';
import { startTestApi, type TestApi } from '../../test/api';

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
      assert.deepEqual(res.body.error.details.down, ['postgres'], JSON.stringify(res.body.error.details.checks));
    });
  });

  describe('with Redis and Temporal unreachable', () => {
    let api: TestApi;
    before(async () => {
      const redis = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
      api = await startTestApi({}, { redis, temporal: { connection, client: new Client({ connection }) } });
    });
    after(() => api.close());

    it('when /api/ready is asked, then 503 names both and PostgreSQL is still reported up', async function () {
      this.timeout(8000);
      const res = await api.request('GET', '/api/ready');
      assert.equal(res.status, 503);
      assert.deepEqual(res.body.error.details.down, ['redis', 'temporal']);
      assert.equal(res.body.error.details.checks.postgres.ok, true);
    });
  });
});
