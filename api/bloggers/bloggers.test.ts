import assert from 'node:assert/strict';
import { Blogger } from '../../db/models';
import { USER_ID, WORKFLOW_TYPES } from '../../temporal/contract';
import { startTestApi, type TestApi } from '../../test/api';
import { resetDb, terminateRunning, testDb, testTemporal } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

describe('bloggers API', () => {
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    api = await startTestApi();
    [alice, bob] = await Promise.all([createUser(api, { plan: 'pro' }), createUser(api, { plan: 'pro' })]);
  });
  after(async () => {
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    await api.close();
  });

  const create = (user: TestUser, body: unknown) => api.request('POST', '/api/bloggers', { token: user.accessToken, body });

  it('when a blogger is added by URLs, then 201 with canonical URLs, pending platform links and a Location', async () => {
    const res = await create(alice, {
      name: 'Ada',
      youtube_url: 'https://m.youtube.com/@AdaCodes/videos',
      tiktokUrl: 'tiktok.com/@ada.codes',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `/api/bloggers/${res.body.blogger.id}`);
    assert.equal(res.body.blogger.youtubeUrl, 'https://www.youtube.com/@adacodes');
    assert.equal(res.body.blogger.tiktokUrl, 'https://www.tiktok.com/@ada.codes');
    assert.deepEqual(res.body.blogger.platforms.youtube, { state: 'pending', reason: null, resolvedId: null });
    assert.equal(res.body.blogger.sync.status, 'pending');
    const { client } = await testTemporal();
    const sync = await client.workflow.getHandle(`blogger-sync:${res.body.blogger.id}`).describe();
    assert.equal(sync.type, WORKFLOW_TYPES.bloggerSync, 'creating a blogger starts its sync workflow');
    assert.equal(sync.typedSearchAttributes.get(USER_ID), alice.id);
    const row = await Blogger.query(testDb()).findById(res.body.blogger.id);
    assert.deepEqual([row?.youtubeHandle, row?.tiktokUsername, row?.userId], ['adacodes', 'ada.codes', alice.id]);
  });

  it('when a URL is unsafe or of the wrong platform, then 400 says what was expected and nothing is stored', async () => {
    const before = await Blogger.query(testDb()).resultSize();
    for (const [field, url] of [
      ['youtube_url', 'https://youtube.com.evil.tld/@x'],
      ['instagram_url', 'http://169.254.169.254/latest'],
      ['tiktok_url', 'https://www.youtube.com/@someone'],
    ]) {
      const res = await create(alice, { name: 'Bad', [field as string]: url });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.details[0].path, `body.${field}`);
      assert.match(res.body.error.message, /Expected/);
    }
    assert.equal((await create(alice, { name: 'No URL' })).status, 400);
    assert.equal(
      (await create(alice, { name: 'Extra', youtube_url: 'https://youtube.com/@extra', userId: bob.id })).status,
      400,
      'no mass assignment',
    );
    assert.equal(await Blogger.query(testDb()).resultSize(), before);
  });

  it('when the same creator is added twice by one user, then 409; another user may track it too', async () => {
    assert.equal((await create(alice, { name: 'Twice', instagram_url: 'https://instagram.com/twice.ig/' })).status, 201);
    const again = await create(alice, { name: 'Twice again', instagram_url: 'https://www.instagram.com/Twice.IG' });
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /already track this Instagram account/);
    assert.equal((await create(bob, { name: 'Twice', instagram_url: 'https://instagram.com/twice.ig' })).status, 201);
  });

  it("when B asks for, changes or deletes A's blogger, then 404 every time and nothing changes", async () => {
    const mine = (await create(alice, { name: 'Private', youtube_url: 'https://youtube.com/@private-one' })).body.blogger;
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { name: 'hijacked' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await api.request(method, `/api/bloggers/${mine.id}`, { token: bob.accessToken, body });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.error.code, 'not_found');
    }
    const list = await api.request('GET', '/api/bloggers?limit=100', { token: bob.accessToken });
    assert.ok(!list.body.data.some((b: { id: number }) => b.id === mine.id));
    assert.equal((await Blogger.query(testDb()).findById(mine.id))?.name, 'Private');
  });

  it('when a blogger is updated, then only whitelisted fields change and a new URL starts its link over', async () => {
    const b = (await create(alice, { name: 'Old', youtube_url: 'https://youtube.com/@old-handle' })).body.blogger;
    const res = await api.request('PUT', `/api/bloggers/${b.id}`, {
      token: alice.accessToken,
      body: { name: 'New', youtube_url: 'https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv', isActive: false },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.blogger.name, 'New');
    assert.equal(res.body.blogger.isActive, false);
    const row = await Blogger.query(testDb()).findById(b.id);
    assert.deepEqual([row?.youtubeChannelId, row?.youtubeHandle], ['UCabcdefghijklmnopqrstuv', null]);
    assert.equal(
      (await api.request('PUT', `/api/bloggers/${b.id}`, { token: alice.accessToken, body: { syncStatus: 'idle' } })).status,
      400,
    );
    assert.equal(
      (await api.request('PUT', `/api/bloggers/${b.id}`, { token: alice.accessToken, body: { youtube_url: null } })).status,
      400,
      'the last URL cannot be removed',
    );
  });

  it('when bloggers are listed, then pages, platform and active filters and sorting work', async () => {
    const carol = await createUser(api, { plan: 'pro' });
    for (const [name, body] of [
      ['b-one', { youtube_url: 'https://youtube.com/@one-list' }],
      ['a-two', { tiktok_url: 'https://tiktok.com/@two_list' }],
      ['c-three', { youtube_url: 'https://youtube.com/@three-list' }],
    ] as const) {
      await create(carol, { name, ...body });
    }
    const byName = await api.request('GET', '/api/bloggers?sort=name&limit=2', { token: carol.accessToken });
    assert.deepEqual(
      byName.body.data.map((b: { name: string }) => b.name),
      ['a-two', 'b-one'],
    );
    assert.deepEqual(byName.body.pagination, { page: 1, limit: 2, total: 3, pages: 2 });
    const youtube = await api.request('GET', '/api/bloggers?platform=youtube', { token: carol.accessToken });
    assert.equal(youtube.body.data.length, 2);
  });

  it('when a free user at 4 of 5 bloggers creates twenty at once, then exactly one succeeds and the rest get 403 plan_limit_reached', async () => {
    const dave = await createUser(api);
    for (let i = 0; i < 4; i++)
      assert.equal((await create(dave, { name: `seed ${i}`, youtube_url: `https://youtube.com/@seed-${i}` })).status, 201);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create(dave, { name: `racer ${i}`, youtube_url: `https://youtube.com/@racer-${i}` })),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    const refused = results.filter((r) => r.status === 403);
    assert.equal(refused.length, 19);
    assert.equal(refused[0]!.body.error.code, 'plan_limit_reached');
    assert.match(refused[0]!.body.error.message, /free plan allows 5 bloggers/);
    assert.equal(await Blogger.query(testDb()).where('userId', dave.id).resultSize(), 5);
  });

  it('when a blogger is deleted, then it is gone for its owner', async () => {
    const b = (await create(alice, { name: 'Bye', tiktok_url: 'https://tiktok.com/@bye.bye' })).body.blogger;
    assert.equal((await api.request('DELETE', `/api/bloggers/${b.id}`, { token: alice.accessToken })).status, 204);
    assert.equal((await api.request('GET', `/api/bloggers/${b.id}`, { token: alice.accessToken })).status, 404);
  });
});
