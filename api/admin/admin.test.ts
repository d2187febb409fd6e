import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuditLog, Blogger, RefreshToken, User } from '../../db/models';
import { startTestApi, type TestApi } from '../../test/api';
import { testDb, testRedis } from '../../test/harness';
import { syncOutcomes, withSyncingAccount } from '../../test/syncingAccount';
import { asOnlyActiveAdmin, createUser, type TestUser } from '../../test/users';

/** The user routes of /api/admin with a body that would be valid for an admin (api/routeAccess.test.ts walks them all). */
const ADMIN_ROUTES: [string, string, unknown?][] = [
  ['GET', '/api/admin/users'],
  ['PUT', '/api/admin/users/1', { plan: 'pro' }],
  ['DELETE', '/api/admin/users/1'],
  ['GET', '/api/admin/stats'],
  ['GET', '/api/admin/logs'],
];

describe('admin API', () => {
  let api: TestApi;
  let admin: TestUser;

  before(async () => {
    api = await startTestApi();
    admin = await createUser(api, { role: 'admin', plan: 'enterprise' });
  });
  after(async () => {
    await User.query(testDb()).deleteById(admin.id);
    await api.close();
  });

  it('when a regular user calls any admin method and path, then 403 and nothing changes', async () => {
    const user = await createUser(api);
    const victim = await createUser(api);
    for (const [method, path, body] of ADMIN_ROUTES) {
      const res = await api.request(method, path.replace('/1', `/${victim.id}`), { token: user.accessToken, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.code, 'admin_only');
    }
    const unchanged = await User.query(testDb()).findById(victim.id);
    assert.equal(unchanged?.plan, 'free');
  });

  it('when nobody is logged in, then admin routes are 401', async () => {
    for (const [method, path] of ADMIN_ROUTES) {
      assert.equal((await api.request(method, path)).status, 401, `${method} ${path}`);
    }
  });

  it('when an admin lists users, then pages, filters and email search work and no hashes are returned', async () => {
    const tag = randomUUID().slice(0, 8);
    for (let i = 0; i < 3; i++) await createUser(api, { email: `list-${tag}-${i}@example.com`, plan: i === 0 ? 'pro' : 'free' });
    const page1 = await api.request('GET', `/api/admin/users?search=list-${tag}&limit=2`, { token: admin.accessToken });
    assert.equal(page1.status, 200);
    assert.equal(page1.body.data.length, 2);
    assert.deepEqual(page1.body.pagination, { page: 1, limit: 2, total: 3, pages: 2 });
    const pro = await api.request('GET', `/api/admin/users?search=list-${tag}&plan=pro`, { token: admin.accessToken });
    assert.deepEqual(
      pro.body.data.map((u: { email: string }) => u.email),
      [`list-${tag}-0@example.com`],
    );
    assert.doesNotMatch(JSON.stringify(page1.body), /passwordHash|\$2b\$/);
  });

  it('when the page size is over the cap, then 400 says the maximum', async () => {
    const res = await api.request('GET', '/api/admin/users?limit=1000', { token: admin.accessToken });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details[0].path, 'query.limit');
    assert.match(res.body.error.details[0].message, /100/);
  });

  it('when an admin changes a plan, then it applies and the audit log has actor, target, before, after and IP', async () => {
    const user = await createUser(api);
    const res = await api.request('PUT', `/api/admin/users/${user.id}`, { token: admin.accessToken, body: { plan: 'pro' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.user.plan, 'pro');
    const me = await api.request('GET', '/api/auth/me', { token: user.accessToken });
    assert.equal(me.body.user.limits.trendWatchEnabled, true, 'the new plan takes effect at once');
    const [entry] = await AuditLog.query(testDb()).where({ action: 'admin.user_update', targetId: String(user.id) });
    assert.ok(entry);
    assert.equal(entry.actorId, admin.id);
    assert.equal((entry.before as { plan: string }).plan, 'free');
    assert.equal((entry.after as { plan: string }).plan, 'pro');
    assert.ok(entry.ip);
    const logs = await api.request('GET', `/api/admin/logs?action=admin.user_update&targetId=${user.id}`, { token: admin.accessToken });
    assert.equal(logs.body.data.length, 1);
  });

  it('when an update carries fields other than role, plan and isActive, then 400 and nothing changes', async () => {
    const user = await createUser(api);
    const res = await api.request('PUT', `/api/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { plan: 'pro', email: 'hijack@example.com', passwordHash: 'x' },
    });
    assert.equal(res.status, 400);
    const row = await User.query(testDb()).findById(user.id);
    assert.equal(row?.plan, 'free');
    assert.equal(row?.email, user.email);
  });

  it('when an admin disables a user, then that user is locked out at once', async () => {
    const user = await createUser(api);
    assert.equal(
      (await api.request('PUT', `/api/admin/users/${user.id}`, { token: admin.accessToken, body: { isActive: false } })).status,
      200,
    );
    assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).status, 401);
  });

  it('when the last active admin tries to demote or disable themself, then 409 and they stay admin', async () => {
    const lone = await createUser(api, { role: 'admin' });
    try {
      // `lone` is the only active admin for this test.
      await asOnlyActiveAdmin(lone.id, async () => {
        for (const body of [{ role: 'user' }, { isActive: false }]) {
          const res = await api.request('PUT', `/api/admin/users/${lone.id}`, { token: lone.accessToken, body });
          assert.equal(res.status, 409, JSON.stringify(body));
          assert.match(res.body.error.message, /last active admin/);
        }
        assert.equal((await api.request('DELETE', `/api/admin/users/${lone.id}`, { token: lone.accessToken })).status, 409);
        assert.equal((await User.query(testDb()).findById(lone.id))?.role, 'admin');
      });
    } finally {
      await User.query(testDb()).deleteById(lone.id);
    }
  });

  it('when an admin deletes a user, then their bloggers and tokens go with them, and it is audited', async () => {
    const user = await createUser(api);
    await Blogger.query(testDb()).insert({ userId: user.id, name: 'to be removed' });
    // A live event kept for replay names the user's blogger.
    await testRedis().xadd(`events:user:${user.id}`, '*', 't', 'blogger.synced', 'e', '{"data":{"name":"to be removed"}}');
    const res = await api.request('DELETE', `/api/admin/users/${user.id}`, { token: admin.accessToken });
    assert.equal(res.status, 204);
    assert.equal(await testRedis().exists(`events:user:${user.id}`), 0, 'the live-event stream goes too');
    assert.equal(await User.query(testDb()).where('id', user.id).resultSize(), 0);
    assert.equal(await Blogger.query(testDb()).where('userId', user.id).resultSize(), 0);
    assert.equal(await RefreshToken.query(testDb()).where('userId', user.id).resultSize(), 0);
    assert.equal(
      await AuditLog.query(testDb())
        .where({ action: 'admin.user_delete', targetId: String(user.id) })
        .resultSize(),
      1,
    );
    assert.equal((await api.request('DELETE', `/api/admin/users/${user.id}`, { token: admin.accessToken })).status, 404);
  });

  it('when an admin deletes a user with running blogger syncs, then every sync ends at once instead of at its next cycle', async function () {
    this.timeout(90_000);
    await withSyncingAccount({ bloggers: 2 }, async ({ api: tracked, user, bloggerIds }) => {
      const res = await tracked.request('DELETE', `/api/admin/users/${user.id}`, { token: admin.accessToken });
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.deepEqual(await syncOutcomes(bloggerIds), ['COMPLETED', 'COMPLETED']);
      assert.equal((await tracked.request('GET', '/api/auth/me', { token: user.accessToken })).status, 401);
    });
  });

  it("when an admin deletes a user, then the audit log keeps what happened and who did it, but not the user's email", async () => {
    const user = await createUser(api);
    // An earlier admin change: its before/after snapshots name the user's email.
    assert.equal(
      (await api.request('PUT', `/api/admin/users/${user.id}`, { token: admin.accessToken, body: { plan: 'pro' } })).status,
      200,
    );
    assert.equal((await api.request('DELETE', `/api/admin/users/${user.id}`, { token: admin.accessToken })).status, 204);

    const naming = (await AuditLog.query(testDb())).filter((entry) => JSON.stringify(entry).includes(user.email));
    assert.deepEqual(naming, [], 'the address is gone from the whole audit log');
    const deletion = await AuditLog.query(testDb()).findOne({ action: 'admin.user_delete', targetId: String(user.id) });
    assert.ok(deletion);
    assert.equal(deletion.actorId, admin.id);
    assert.equal(deletion.actorEmail, admin.email);
    assert.equal((deletion.before as { plan: string }).plan, 'pro');
    for (const action of ['auth.register', 'admin.user_update']) {
      assert.equal(
        await AuditLog.query(testDb())
          .where({ action, targetId: String(user.id) })
          .resultSize(),
        1,
        `${action} stays`,
      );
    }
  });

  it('when an admin deletes their own account, then 409 while they are the last active admin; with another, 204 and the entry names no actor', async () => {
    const self = await createUser(api, { role: 'admin' });
    await asOnlyActiveAdmin(self.id, async () => {
      const refused = await api.request('DELETE', `/api/admin/users/${self.id}`, { token: self.accessToken });
      assert.equal(refused.status, 409);
      assert.match(refused.body.error.message, /last active admin/);
      assert.equal(await User.query(testDb()).where('id', self.id).resultSize(), 1);
      const named = await AuditLog.query(testDb()).where({ actorId: self.id, actorEmail: self.email }).resultSize();
      assert.ok(named > 0, 'a refused deletion forgets nothing');
    });
    // `admin` is active again: `self` is not the last one.
    const res = await api.request('DELETE', `/api/admin/users/${self.id}`, { token: self.accessToken });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const deletion = await AuditLog.query(testDb()).findOne({ action: 'admin.user_delete', targetId: String(self.id) });
    assert.ok(deletion);
    assert.equal(deletion.actorId ?? null, null);
    assert.equal(deletion.actorEmail ?? null, null);
    assert.equal(deletion.ip ?? null, null);
  });

  it('when an admin asks for stats, then users by plan, active users, bloggers, videos and monitors are counted', async () => {
    const before = (await api.request('GET', '/api/admin/stats', { token: admin.accessToken })).body;
    const user = await createUser(api, { plan: 'pro' });
    await Blogger.query(testDb()).insert({ userId: user.id, name: 'counted' });
    const res = await api.request('GET', '/api/admin/stats', { token: admin.accessToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.users.byPlan.pro, before.users.byPlan.pro + 1);
    assert.equal(res.body.users.activeLast24h, before.users.activeLast24h + 1, 'the new user logged in');
    assert.equal(res.body.bloggers, before.bloggers + 1, 'bloggers of every tenant are counted');
    assert.equal(typeof res.body.videosTracked, 'number');
    assert.equal(typeof res.body.trendWatch.monitorsRunning, 'number');
  });

  it('when the audit log is filtered by actor and time, then only matching entries come back, newest first', async () => {
    const user = await createUser(api);
    const since = new Date(Date.now() - 60_000).toISOString();
    const res = await api.request('GET', `/api/admin/logs?actorId=${user.id}&from=${encodeURIComponent(since)}`, {
      token: admin.accessToken,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((e: { action: string }) => e.action),
      ['auth.login', 'auth.register'],
    );
  });
});
