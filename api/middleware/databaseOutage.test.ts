/** The API while PostgreSQL cannot be reached: a 503 that says so, never a hang or a bare 500. */
import assert from 'node:assert/strict';
import { createDb } from '../../db';
import { startTestApi, type TestApi } from '../../test/api';
import { testLogger } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

describe('API while PostgreSQL is unreachable', function () {
  this.timeout(30_000);
  let healthy: TestApi;
  let cutOff: TestApi;
  /** PostgreSQL and Redis both unreachable: the token's revocation check falls back to the dead database. */
  let bothDown: TestApi;
  let user: TestUser;
  const deadDb = () =>
    createDb({
      url: 'postgres://blogger_app@127.0.0.1:1/blogger_analytics_test',
      poolMax: 2,
      applicationName: 'outage-test',
      logger: testLogger,
    });

  before(async () => {
    healthy = await startTestApi();
    user = await createUser(healthy);
    // The same API, its pool pointed at a port where nothing listens.
    cutOff = await startTestApi({}, { db: deadDb() });
    bothDown = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1/0' }, { db: deadDb() });
  });
  after(async () => {
    await cutOff.close();
    await bothDown.close();
    await healthy.close();
  });

  it('when a request needs the database, then 503 database_unavailable with Retry-After, naming postgres and no driver text', async () => {
    for (const [method, path, opts] of [
      ['GET', '/api/bloggers', { token: user.accessToken }],
      ['POST', '/api/auth/login', { body: { email: user.email, password: user.password } }],
    ] as const) {
      const res = await cutOff.request(method, path, opts);
      assert.equal(res.status, 503, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'database_unavailable');
      assert.deepEqual(res.body.error.details.down, ['postgres']);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      assert.doesNotMatch(JSON.stringify(res.body), /ECONNREFUSED|127\.0\.0\.1|connect|knex|pg_/i);
    }
  });

  it('when Redis is down too (revocation is then checked in PostgreSQL), then still 503 database_unavailable, never a 401 that blames the token', async () => {
    const res = await bothDown.request('GET', '/api/bloggers', { token: user.accessToken });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'database_unavailable');
  });
});
