/**
 * POST /api/bloggers/:id/sync: cheap when nothing is due, when the owner's budget or quota share
 * is spent (it says why and wakes nothing), and at most one woken sync per blogger per window.
 * No worker runs here: the sync workflows only collect the signals this suite counts.
 */
import assert from 'node:assert/strict';
import { Blogger, UsageDaily } from '../../db/models';
import { budgetDay } from '../../lib/domain/syncCadence';
import { youTubeBuckets } from '../../platforms/youtube';
import { QuotaLedger, withQuotaScope } from '../../platforms/quota';
import { WORKFLOW_TYPES } from '../../temporal/contract';
import { startTestApi, type TestApi } from '../../test/api';
import { resetDb, terminateRunning, testDb, testRedis, testTemporal } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

describe('manual blogger sync (POST /api/bloggers/:id/sync) and the quota it may spend', function () {
  this.timeout(30_000);
  let api: TestApi;
  const clearKeys = async () => {
    const keys = [...(await testRedis().keys('sync:manual:*')), ...(await testRedis().keys('quota:youtube:*'))];
    if (keys.length) await testRedis().del(...keys);
  };

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    await clearKeys();
    // A YouTube key makes YouTube quota-limited (10 units a day); the API itself never calls it.
    // Syncs every 60 ms: a tenant's demand for the rest of the quota day (syncs left before the
    // reset at midnight Pacific) then exceeds its equal split at any time of day the suite runs.
    api = await startTestApi({ YOUTUBE_API_KEY: 'test-key', YOUTUBE_DAILY_QUOTA_UNITS: 10, BLOGGER_SYNC_MINUTES: 0.001 });
  });
  after(async () => {
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    await clearKeys();
    await api.close();
  });

  async function blogger(user: TestUser, handle: string, patch: Partial<Blogger> = {}): Promise<number> {
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: handle, youtube_url: `https://youtube.com/@${handle}` },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await Blogger.query(testDb())
      .findById(res.body.blogger.id)
      .patch({ platformLinks: { youtube: { state: 'ok', resolvedId: `UC${handle}` } }, ...patch });
    return res.body.blogger.id;
  }
  const sync = (user: TestUser, id: number) => api.request('POST', `/api/bloggers/${id}/sync`, { token: user.accessToken });
  async function signalsTo(id: number): Promise<number> {
    const { client } = await testTemporal();
    const { events } = await client.workflow.getHandle(`blogger-sync:${id}`).fetchHistory();
    return (events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  }

  it('when the blogger was synced minutes ago, then 202 queued:false not_due with the next sync time, and no sync is woken', async () => {
    const user = await createUser(api, { plan: 'pro' });
    const lastSyncedAt = new Date(Date.now() - 60_000);
    const nextSyncAt = new Date(Date.now() + 59 * 60_000);
    const id = await blogger(user, 'fresh-one', { lastSyncedAt, nextSyncAt });
    const res = await sync(user, id);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.queued, false);
    assert.equal(res.body.reason, 'not_due');
    assert.equal(res.body.nextSyncAt, nextSyncAt.toISOString());
    assert.equal(
      res.body.retryAt,
      new Date(lastSyncedAt.getTime() + 15 * 60_000).toISOString(),
      'a manual sync is possible 15 minutes after the last one',
    );
    assert.match(res.body.message, /Nothing is due/);
    assert.equal(await signalsTo(id), 0);
  });

  it('when a due blogger is asked to sync ten times at once, then one sync is woken and the rest get 429 with Retry-After', async () => {
    const user = await createUser(api, { plan: 'pro' });
    const id = await blogger(user, 'racer-one');
    const answers = await Promise.all(Array.from({ length: 10 }, () => sync(user, id)));
    const queued = answers.filter((r) => r.status === 202 && r.body.queued === true);
    assert.equal(queued.length, 1, JSON.stringify(answers.map((r) => [r.status, r.body])));
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(refused.length, 9);
    const retryAfter = Number(refused[0]!.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    assert.equal(refused[0]!.body.error.code, 'rate_limited');
    assert.match(refused[0]!.body.error.message, /once per 15 minutes/);
    assert.equal(await signalsTo(id), 1);
  });

  it("when the owner's video budget for the day is spent, then 202 queued:false budget_exhausted with the next budget day, and no sync is woken", async () => {
    const user = await createUser(api); // free: 100 videos a day
    const id = await blogger(user, 'budget-one');
    const { day, nextDayAt } = budgetDay(Date.now());
    await UsageDaily.query(testDb()).insert({ userId: user.id, day, videosFetched: 100 });
    const res = await sync(user, id);
    assert.equal(res.status, 202);
    assert.deepEqual([res.body.queued, res.body.reason, res.body.retryAt], [false, 'budget_exhausted', new Date(nextDayAt).toISOString()]);
    assert.match(res.body.message, /free plan's 100 videos/);
    assert.equal(await signalsTo(id), 0);
  });

  it("when a tenant has used its share of YouTube's units, then its manual sync says so and wakes nothing, another tenant's still runs, and GET /api/stats shows each one's use", async () => {
    await Blogger.query(testDb()).patch({ isActive: false }); // the earlier tests' tenants: two tenants share YouTube here
    const [heavy, light] = await Promise.all([createUser(api, { plan: 'pro' }), createUser(api, { plan: 'pro' })]);
    const [heavyId, lightId] = [await blogger(heavy, 'heavy-one'), await blogger(light, 'light-one')];
    // The heavy tenant's syncs spent 5 of the 10 units: its equal split of two tenants.
    await withQuotaScope({ tenantId: heavy.id }, () => new QuotaLedger(testRedis()).reserve(youTubeBuckets(10, 100).units, 5));

    const refused = await sync(heavy, heavyId);
    assert.equal(refused.status, 202);
    assert.deepEqual([refused.body.queued, refused.body.reason], [false, 'quota_share_spent'], JSON.stringify(refused.body));
    assert.match(refused.body.message, /youtube: you used 5 of 10 units, 2 tenant\(s\) share them/);
    assert.equal(await signalsTo(heavyId), 0);

    const ran = await sync(light, lightId);
    assert.deepEqual([ran.status, ran.body.queued], [202, true]);
    assert.equal(await signalsTo(lightId), 1);

    const stats = await api.request('GET', '/api/stats', { token: heavy.accessToken });
    const youtube = stats.body.usage.platformQuota.find((q: { platform: string }) => q.platform === 'youtube');
    assert.deepEqual(
      [youtube.bucket, youtube.limit, youtube.usedByAll, youtube.usedByYou, youtube.equalSplit, youtube.tenants, youtube.yourAllowance],
      ['units', 10, 5, 5, 5, 2, 0],
    );
  });
});
