import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { UserLimit } from '../../db/models';
import { startTestApi, type TestApi } from '../../test/api';
import { testDb } from '../../test/harness';
import { createUser } from '../../test/users';

/** Lowers the free plan's per-minute limit for the duration of a suite. */
function withFreePlanLimit(limit: number) {
  let saved: number;
  before(async () => {
    saved = (await UserLimit.query(testDb()).findById('free'))!.apiRateLimit;
    await UserLimit.query(testDb()).patch({ apiRateLimit: limit }).where('plan', 'free');
  });
  after(async () => {
    await UserLimit.query(testDb()).patch({ apiRateLimit: saved }).where('plan', 'free');
  });
}

describe('plan rate limit', () => {
  describe('with Redis up', () => {
    let api: TestApi;
    withFreePlanLimit(3);
    before(async () => {
      api = await startTestApi();
    });
    after(() => api.close());

    it('when a free user exceeds the per-minute limit, then 429 with Retry-After and RateLimit headers, and a message naming the plan', async () => {
      const user = await createUser(api);
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await api.request('GET', '/api/auth/me', { token: user.accessToken });
        statuses.push(last.status);
        if (i === 0) {
          assert.equal(last.headers.get('ratelimit-limit'), '3');
          assert.equal(last.headers.get('ratelimit-remaining'), '2');
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.equal(last!.body.error.code, 'rate_limited');
      assert.match(last!.body.error.message, /free plan allows 3 requests per minute/);
      assert.ok(Number(last!.headers.get('retry-after')) >= 1);
      assert.equal(last!.headers.get('ratelimit-remaining'), '0');
      assert.ok(Number(last!.headers.get('ratelimit-reset')) >= 1);
    });

    it('when one user is limited, then another user of the same plan is not', async () => {
      const a = await createUser(api);
      const b = await createUser(api);
      for (let i = 0; i < 4; i++) await api.request('GET', '/api/auth/me', { token: a.accessToken });
      assert.equal((await api.request('GET', '/api/auth/me', { token: b.accessToken })).status, 200);
    });

    it('when the plan is enterprise (unlimited), then no limit applies and no RateLimit headers are sent', async () => {
      const user = await createUser(api, { plan: 'enterprise' });
      for (let i = 0; i < 5; i++) {
        const res = await api.request('GET', '/api/auth/me', { token: user.accessToken });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('ratelimit-limit'), null);
      }
    });
  });

  describe('with Redis down', () => {
    let healthy: TestApi;
    let api: TestApi;
    withFreePlanLimit(3);
    before(async () => {
      healthy = await startTestApi();
      // A Redis that refuses connections, as a stopped server does.
      const deadRedis = new Redis('redis://127.0.0.1:1', {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 2000,
        lazyConnect: false,
      });
      deadRedis.on('error', () => undefined);
      api = await startTestApi({}, { redis: deadRedis });
    });
    after(async () => {
      await api.close();
      await healthy.close();
    });

    it('when requests arrive, then they neither hang nor fail: login, me and the in-memory limit still work', async function () {
      this.timeout(10_000);
      const user = await createUser(healthy);
      const login = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await api.request('GET', '/api/auth/me', { token: login.body.accessToken })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429], 'the per-process insurance limiter enforces the plan');
    });

    it('when a user logs out while Redis is down, then the token is still refused (revocation falls back to PostgreSQL)', async function () {
      this.timeout(10_000);
      const user = await createUser(healthy, { plan: 'enterprise' });
      assert.equal((await api.request('POST', '/api/auth/logout', { token: user.accessToken })).status, 204);
      const me = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(me.status, 401);
      assert.equal(me.body.error.code, 'token_revoked');
    });
  });
});
