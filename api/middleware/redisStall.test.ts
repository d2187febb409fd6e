import assert from 'node:assert/strict';
import { UserLimit } from '../../db/models';
import { createRedis } from '../../lib/redis';
import { startTestApi, type TestApi } from '../../test/api';
import { testConfig, testDb, testLogger } from '../../test/harness';
import { startStallingRedis, type StallingRedis } from '../../test/stallingRedis';
import { createUser } from '../../test/users';

const BOUND_MS = 3000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

/**
 * Registers hooks for one API behind a stalling Redis proxy (300 ms command timeout) and one on the
 * real Redis (to create users); read them from the returned object inside tests.
 */
function behindStallingRedis(opts?: Parameters<typeof startStallingRedis>[1]) {
  const ctx = {} as { proxy: StallingRedis; healthy: TestApi; api: TestApi };
  before(async () => {
    ctx.proxy = await startStallingRedis(testConfig.REDIS_URL, opts);
    ctx.healthy = await startTestApi();
    ctx.api = await startTestApi({ REDIS_URL: ctx.proxy.url, REDIS_COMMAND_TIMEOUT_MS: 300 });
  });
  after(async () => {
    await ctx.api.close();
    await ctx.healthy.close();
    await ctx.proxy.close();
  });
  return ctx;
}

describe('Redis that accepts connections but stops answering', function () {
  this.timeout(30_000);
  let saved: number;
  before(async () => {
    saved = (await UserLimit.query(testDb()).findById('free'))!.apiRateLimit;
    await UserLimit.query(testDb()).patch({ apiRateLimit: 3 }).where('plan', 'free');
  });
  after(async () => {
    await UserLimit.query(testDb()).patch({ apiRateLimit: saved }).where('plan', 'free');
  });

  describe('when Redis stalls after the API connected', () => {
    const ctx = behindStallingRedis();

    it('then authenticated requests answer within the bound, revoked tokens stay revoked (PostgreSQL) and the plan limit falls back to memory', async () => {
      const [active, loggedOut, limited] = [
        await createUser(ctx.healthy, { plan: 'enterprise' }),
        await createUser(ctx.healthy, { plan: 'enterprise' }),
        await createUser(ctx.healthy),
      ];
      assert.equal(
        (await ctx.api.request('GET', '/api/auth/me', { token: active.accessToken })).status,
        200,
        'through the proxy while Redis answers',
      );
      assert.equal((await ctx.api.request('POST', '/api/auth/logout', { token: loggedOut.accessToken })).status, 204);

      ctx.proxy.stall();

      const me = await timed(() => ctx.api.request('GET', '/api/auth/me', { token: active.accessToken }));
      assert.equal(me.value.status, 200, JSON.stringify(me.value.body));
      assert.ok(me.ms < BOUND_MS, `answered in ${me.ms} ms`);

      const denied = await timed(() => ctx.api.request('GET', '/api/auth/me', { token: loggedOut.accessToken }));
      assert.equal(denied.value.status, 401);
      assert.equal(denied.value.body.error.code, 'token_revoked');
      assert.ok(denied.ms < BOUND_MS, `answered in ${denied.ms} ms`);

      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await timed(() => ctx.api.request('GET', '/api/auth/me', { token: limited.accessToken }));
        assert.ok(res.ms < BOUND_MS, `answered in ${res.ms} ms`);
        statuses.push(res.value.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429], 'the in-memory insurance limiter enforces the plan');

      const login = await timed(() =>
        ctx.api.request('POST', '/api/auth/login', { body: { email: active.email, password: active.password } }),
      );
      assert.equal(login.value.status, 200, 'the login guard falls back to memory too');
      assert.ok(login.ms < BOUND_MS, `answered in ${login.ms} ms`);
    });
  });

  describe('when Redis is a black hole from the start', () => {
    const ctx = behindStallingRedis({ blackHole: true });

    it('then login, authenticated requests and logout answer within the bound', async () => {
      const user = await createUser(ctx.healthy, { plan: 'enterprise' });
      const login = await timed(() => ctx.api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } }));
      assert.equal(login.value.status, 200);
      assert.ok(login.ms < BOUND_MS, `answered in ${login.ms} ms`);
      const token = login.value.body.accessToken as string;
      assert.equal((await ctx.api.request('GET', '/api/auth/me', { token })).status, 200);
      const logout = await timed(() => ctx.api.request('POST', '/api/auth/logout', { token }));
      assert.equal(logout.value.status, 204);
      assert.ok(logout.ms < BOUND_MS, `answered in ${logout.ms} ms`);
      assert.equal((await ctx.api.request('GET', '/api/auth/me', { token })).status, 401);
    });
  });

  describe('the worker client', () => {
    it('when Redis stalls, then a command fails within the command timeout instead of waiting forever', async () => {
      const proxy = await startStallingRedis(testConfig.REDIS_URL);
      const redis = createRedis({ REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: 300 }, testLogger, 'worker');
      try {
        assert.equal(await redis.ping(), 'PONG');
        proxy.stall();
        const failed = await timed(() =>
          redis.get('anything').then(
            () => 'answered',
            (err: Error) => err.message,
          ),
        );
        assert.match(failed.value, /timed out|closed|writeable|retries/i);
        assert.ok(failed.ms < 2000, `failed after ${failed.ms} ms`);
      } finally {
        redis.disconnect();
        await proxy.close();
      }
    });
  });
});
