/**
 * /api/alerts and /api/webhooks through the real API: validation per kind, tenant isolation,
 * plan limits, Trend Watch kinds, the email channel's verified address, webhook URL rules and the
 * secret shown once.
 */
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../../test/api';
import { resetDb, testDb } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

describe('alert rules and webhooks API', function () {
  this.timeout(30_000);
  let api: TestApi;
  let ada: TestUser;
  let bob: TestUser;

  /** Marks the address verified (as the verification link does) and drops the API's cached account. */
  async function verify(user: TestUser) {
    await testDb()('users').where({ id: user.id }).update({ emailVerifiedAt: new Date() });
    api.deps.accounts.drop(user.id);
  }

  before(async () => {
    await resetDb();
    api = await startTestApi();
    ada = await createUser(api, { plan: 'pro' });
    bob = await createUser(api, { plan: 'pro' });
  });
  after(async () => {
    await api?.close();
  });

  const post = (user: TestUser, path: string, body: unknown) => api.request('POST', path, { token: user.accessToken, body });

  it('when a rule is created per kind, then it is stored with its validated params and listed; bad params are a 400 naming the field', async () => {
    const created = await post(ada, '/api/alerts', { name: 'Outliers', kind: 'video_outlier', params: { multiple: 4, withinHours: 12 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.alert.params, { bloggerId: null, multiple: 4, withinHours: 12 });
    assert.equal(created.body.alert.debounceMinutes, 60);
    assert.deepEqual(created.body.alert.channels, { email: false, webhookIds: [] });
    assert.equal(created.headers.get('location'), `/api/alerts/${created.body.alert.id}`);

    const bad = await post(ada, '/api/alerts', { name: 'x', kind: 'video_outlier', params: { multiple: 'lots' } });
    assert.equal(bad.status, 400);
    assert.ok(
      bad.body.error.details.some((d: { path: string }) => d.path === 'body.params.multiple'),
      JSON.stringify(bad.body),
    );
    const unknownKind = await post(ada, '/api/alerts', { name: 'x', kind: 'stock_price', params: {} });
    assert.equal(unknownKind.status, 400);

    const list = await api.request('GET', '/api/alerts', { token: ada.accessToken });
    assert.equal(list.status, 200);
    assert.equal(list.body.pagination.total, 1);
    assert.equal(list.body.data[0].name, 'Outliers');
  });

  it("when B asks for, changes, deletes or lists the firings of A's rule, then 404 each time", async () => {
    const rule = (await post(ada, '/api/alerts', { name: 'Links', kind: 'link_broken', params: {} })).body.alert;
    for (const [method, path, body] of [
      ['GET', `/api/alerts/${rule.id}`, undefined],
      ['PATCH', `/api/alerts/${rule.id}`, { enabled: false }],
      ['DELETE', `/api/alerts/${rule.id}`, undefined],
      ['GET', `/api/alerts/${rule.id}/firings`, undefined],
    ] as const) {
      const res = await api.request(method, path, { token: bob.accessToken, body });
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await api.request('GET', `/api/alerts/${rule.id}`, { token: ada.accessToken })).body.alert.enabled, true, 'unchanged');
    assert.equal((await api.request('GET', '/api/alerts', { token: bob.accessToken })).body.pagination.total, 0);
  });

  it('when a rule is patched, then params are checked against its kind, the mute is set and cleared; a rule can be deleted', async () => {
    const rule = (await post(ada, '/api/alerts', { name: 'Fast', kind: 'velocity_threshold', params: { viewsPerHour: 5000 } })).body.alert;
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const muted = await api.request('PATCH', `/api/alerts/${rule.id}`, {
      token: ada.accessToken,
      body: { mutedUntil: until, debounceMinutes: 0, params: { viewsPerHour: 8000, platforms: ['youtube'] } },
    });
    assert.equal(muted.status, 200, JSON.stringify(muted.body));
    assert.equal(new Date(muted.body.alert.mutedUntil).toISOString(), until);
    assert.deepEqual(muted.body.alert.params, { viewsPerHour: 8000, platforms: ['youtube'] });
    // Params merge: what is not named stays, a null drops back to the default.
    const merged = await api.request('PATCH', `/api/alerts/${rule.id}`, {
      token: ada.accessToken,
      body: { params: { viewsPerHour: 9000 } },
    });
    assert.deepEqual(merged.body.alert.params, { viewsPerHour: 9000, platforms: ['youtube'] }, JSON.stringify(merged.body));
    const dropped = await api.request('PATCH', `/api/alerts/${rule.id}`, { token: ada.accessToken, body: { params: { platforms: null } } });
    assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
    assert.equal(dropped.body.alert.params.viewsPerHour, 9000);
    assert.notDeepEqual(dropped.body.alert.params.platforms, ['youtube']);
    // Channels merge too: naming the webhooks leaves the email channel as it was.
    const hook = await post(ada, '/api/webhooks', { url: 'https://hooks.example.com/a' });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const withHook = await api.request('PATCH', `/api/alerts/${rule.id}`, {
      token: ada.accessToken,
      body: { channels: { webhookIds: [hook.body.webhook.id] } },
    });
    assert.equal(withHook.status, 200, JSON.stringify(withHook.body));
    assert.deepEqual(withHook.body.alert.channels, { email: rule.channels.email, webhookIds: [hook.body.webhook.id] });
    const wrongParams = await api.request('PATCH', `/api/alerts/${rule.id}`, { token: ada.accessToken, body: { params: { multiple: 3 } } });
    assert.equal(wrongParams.status, 400, 'params of another kind');
    const kindChange = await api.request('PATCH', `/api/alerts/${rule.id}`, { token: ada.accessToken, body: { kind: 'link_broken' } });
    assert.equal(kindChange.status, 400, 'the kind cannot change');
    const unmuted = await api.request('PATCH', `/api/alerts/${rule.id}`, { token: ada.accessToken, body: { mutedUntil: null } });
    assert.equal(unmuted.body.alert.mutedUntil, null);
    assert.equal((await api.request('DELETE', `/api/alerts/${rule.id}`, { token: ada.accessToken })).status, 204);
    assert.equal((await api.request('GET', `/api/alerts/${rule.id}`, { token: ada.accessToken })).status, 404);
  });

  it('when a free user asks for a Trend Watch kind, then 403 plan_required; blogger rules name only their own bloggers', async () => {
    const free = await createUser(api, { plan: 'free' });
    const trend = await post(free, '/api/alerts', {
      name: 't',
      kind: 'trend_match',
      params: { names: [{ kind: 'hashtag', name: 'cats' }] },
    });
    assert.equal(trend.status, 403);
    assert.equal(trend.body.error.code, 'plan_required');
    const foreign = await post(free, '/api/alerts', { name: 'b', kind: 'link_broken', params: { bloggerId: 2147480000 } });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error.details[0].path, 'body.params.bloggerId');
  });

  it('when a free user creates more alert rules than the plan allows, even in parallel, then exactly the limit is kept and the rest are 403 plan_limit_reached', async () => {
    const free = await createUser(api, { plan: 'free' });
    const limit = Number((await testDb()('user_limits').where({ plan: 'free' }).first()).maxAlertRules);
    const answers = await Promise.all(
      Array.from({ length: limit + 3 }, (_, i) => post(free, '/api/alerts', { name: `r${i}`, kind: 'link_broken', params: {} })),
    );
    assert.equal(answers.filter((a) => a.status === 201).length, limit);
    const refused = answers.filter((a) => a.status !== 201);
    assert.ok(
      refused.every((a) => a.status === 403 && a.body.error.code === 'plan_limit_reached'),
      JSON.stringify(refused[0]?.body),
    );
    assert.match(refused[0]!.body.error.message, /free plan allows \d+ alert rules/);
    const me = await api.request('GET', '/api/auth/me', { token: free.accessToken });
    assert.equal(me.body.user.limits.maxAlertRules, limit);
  });

  it('when the email channel is asked for by an unverified account, then 403 email_not_verified; verified, it is accepted', async () => {
    const carol = await createUser(api, { plan: 'pro' });
    await testDb()('users').where({ id: carol.id }).update({ emailVerifiedAt: null });
    api.deps.accounts.drop(carol.id);
    const body = { name: 'mail me', kind: 'link_broken', params: {}, channels: { email: true } };
    const refused = await post(carol, '/api/alerts', body);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'email_not_verified');
    await verify(carol);
    const accepted = await post(carol, '/api/alerts', body);
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.deepEqual(accepted.body.alert.channels, { email: true, webhookIds: [] });
  });

  it('when a webhook is created, then its secret is shown once; private targets are a 400; B cannot see or use it', async () => {
    const created = await post(ada, '/api/webhooks', { url: 'https://hooks.example.com/blogger-analytics', description: 'ops' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.webhook.secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    const id = created.body.webhook.id;
    const got = await api.request('GET', `/api/webhooks/${id}`, { token: ada.accessToken });
    assert.equal(got.body.webhook.secret, undefined, 'never shown again');
    assert.equal((await api.request('GET', '/api/webhooks', { token: ada.accessToken })).body.data[0].secret, undefined);

    for (const url of [
      'http://hooks.example.com/x',
      'https://127.0.0.1/x',
      'https://[::ffff:10.0.0.1]/x',
      'https://169.254.169.254/',
      'https://a:b@hooks.example.com/',
    ]) {
      const res = await post(ada, '/api/webhooks', { url });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.details[0].path, 'body.url');
    }

    for (const [method, path] of [
      ['GET', `/api/webhooks/${id}`],
      ['PATCH', `/api/webhooks/${id}`],
      ['DELETE', `/api/webhooks/${id}`],
      ['POST', `/api/webhooks/${id}/test`],
      ['POST', `/api/webhooks/${id}/rotate-secret`],
      ['GET', `/api/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await api.request(method, path, { token: bob.accessToken, body: method === 'PATCH' ? { enabled: false } : undefined });
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    const stolen = await post(bob, '/api/alerts', { name: 'x', kind: 'link_broken', params: {}, channels: { webhookIds: [id] } });
    assert.equal(stolen.status, 400, "B's rule cannot deliver to A's webhook");

    const rule = await post(ada, '/api/alerts', { name: 'hooked', kind: 'link_broken', params: {}, channels: { webhookIds: [id] } });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const rotated = await post(ada, `/api/webhooks/${id}/rotate-secret`, {});
    assert.notEqual(rotated.body.webhook.secret, created.body.webhook.secret);
    assert.equal((await api.request('DELETE', `/api/webhooks/${id}`, { token: ada.accessToken })).status, 204);
    const after = await api.request('GET', `/api/alerts/${rule.body.alert.id}`, { token: ada.accessToken });
    assert.deepEqual(after.body.alert.channels.webhookIds, [], 'a deleted webhook leaves its rules');
  });

  it('when a name, a description, a param or a login email carries a NUL character, then a 400 naming the field, not a 500, and nothing is stored', async () => {
    const rule = (await post(ada, '/api/alerts', { name: 'Clean', kind: 'link_broken', params: {} })).body.alert;
    const hook = (await post(ada, '/api/webhooks', { url: 'https://hooks.example.com/nul' })).body.webhook;
    for (const [method, path, body, field] of [
      ['POST', '/api/alerts', { name: 'a\u0000b', kind: 'link_broken', params: {} }, 'body.name'],
      ['PATCH', `/api/alerts/${rule.id}`, { name: 'a\u0000b' }, 'body.name'],
      [
        'POST',
        '/api/alerts',
        { name: 'x', kind: 'trend_match', params: { names: [{ kind: 'keyword', name: '\u0000' }] } },
        'body.params.names.0.name',
      ],
      ['PATCH', `/api/webhooks/${hook.id}`, { description: '\u0000' }, 'body.description'],
      ['POST', '/api/auth/login', { email: 'a\u0000@example.com', password: 'correct horse battery' }, 'body.email'],
    ] as const) {
      const res = await api.request(method, path, { token: ada.accessToken, body });
      assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'validation_failed');
      assert.equal(res.body.error.details[0].path, field, JSON.stringify(res.body));
    }
    assert.equal((await api.request('GET', `/api/alerts/${rule.id}`, { token: ada.accessToken })).body.alert.name, 'Clean');
    assert.equal((await api.request('GET', `/api/webhooks/${hook.id}`, { token: ada.accessToken })).body.webhook.description, null);
    assert.equal((await api.request('DELETE', `/api/webhooks/${hook.id}`, { token: ada.accessToken })).status, 204);
  });

  it('when a free user creates more webhooks than the plan allows, then 403 plan_limit_reached', async () => {
    const free = await createUser(api, { plan: 'free' });
    const limit = Number((await testDb()('user_limits').where({ plan: 'free' }).first()).maxWebhooks);
    for (let i = 0; i < limit; i++)
      assert.equal((await post(free, '/api/webhooks', { url: `https://hooks.example.com/${i}` })).status, 201);
    const over = await post(free, '/api/webhooks', { url: 'https://hooks.example.com/over' });
    assert.equal(over.status, 403);
    assert.equal(over.body.error.code, 'plan_limit_reached');
  });
});
