/**
 * The account behind a token, kept in each API process (real PostgreSQL and Redis, two API
 * processes in this one): a change made through the API reaches the other process at once, a
 * change made beside it (SQL) within AUTH_USER_CACHE_MS.
 */
import assert from 'node:assert/strict';
import { User, UserLimit } from '../../db/models';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { resetDb, testDb } from '../../test/harness';
import { createUser } from '../../test/users';

const CACHE_MS = 400;

describe('accounts kept in the API process (two API processes, real PostgreSQL and Redis)', function () {
  this.timeout(30_000);
  let first: TestApi;
  let second: TestApi;

  beforeEach(async () => {
    await resetDb();
    first = await startTestApi({ AUTH_USER_CACHE_MS: CACHE_MS });
    second = await startTestApi({ AUTH_USER_CACHE_MS: CACHE_MS });
  });
  afterEach(async () => {
    await Promise.all([first.close(), second.close()]);
    await resetDb();
  });

  it('when an admin disables a user on one process, then the other refuses the user’s token at once, although it kept the account', async () => {
    const admin = await createUser(first, { role: 'admin' });
    const user = await createUser(first);
    assert.equal((await second.request('GET', '/api/bloggers', { token: user.accessToken })).status, 200, 'kept by the second process');

    const disabled = await first.request('PUT', `/api/admin/users/${user.id}`, { token: admin.accessToken, body: { isActive: false } });
    assert.equal(disabled.status, 200);

    // Well within the cache time: only the published change can explain a refusal.
    const refused = await second.request('GET', '/api/bloggers', { token: user.accessToken });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'account_disabled');
  });

  it('when the plan is changed beside the API (SQL), then the process keeps the old limits for at most AUTH_USER_CACHE_MS', async () => {
    const user = await createUser(first);
    const perMinute = async (plan: string) => String((await UserLimit.query(testDb()).findById(plan))!.apiRateLimit);
    const [free, pro] = [await perMinute('free'), await perMinute('pro')];
    assert.notEqual(free, pro);
    const limit = async () => (await first.request('GET', '/api/bloggers', { token: user.accessToken })).headers.get('ratelimit-limit');
    assert.equal(await limit(), free);

    await User.query(testDb()).patch({ plan: 'pro' }).where('id', user.id);
    const changedAt = Date.now();
    assert.equal(await limit(), free, 'still the kept account');
    await eventually(limit, (seen) => seen === pro, 5_000);
    assert.ok(Date.now() - changedAt < CACHE_MS + 1_000, 'seen once the entry expired');
  });
});
