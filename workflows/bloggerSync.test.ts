/**
 * Blogger sync end to end: the real API starts the workflow, a real worker runs it on the dev
 * server against the simulator, with time compressed (TIME_SCALE) so hours pass in moments.
 */
import assert from 'node:assert/strict';
import { Blogger, UsageDaily, User, UserLimit, VideoHistory } from '../db/models';
import { startTestApi, type TestApi } from '../test/api';
import { eventually } from '../test/eventually';
import { recordHistory } from '../test/histories';
import { bloggerCacheVersionKey } from '../lib/domain/cacheKeys';
import { resetDb, terminateRunning, testDb, testRedis, testTemporal } from '../test/harness';
import { createUser } from '../test/users';
import { createTestWorker } from '../test/worker';
import { stopSync, syncState, WORKFLOW_TYPES } from '../temporal/contract';

describe('bloggerSync (API + worker + dev server + simulator)', function () {
  this.timeout(90_000);
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof createTestWorker>>;
  let running: Promise<void>;
  let savedFreeBudget: number;
  // A simulated hour is 0.25 s: syncs every simulated hour, a budget day every 6 s.
  const timing = { TIME_SCALE: '14400', BLOGGER_SYNC_MINUTES: '60', BLOGGER_LOOKBACK_DAYS: '10', BLOGGER_MAX_VIDEOS_PER_SYNC: '100' };

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    savedFreeBudget = (await UserLimit.query(testDb()).findById('free'))!.maxVideosPerDay;
    await UserLimit.query(testDb()).patch({ maxVideosPerDay: 8 }).where('plan', 'free');
    worker = await createTestWorker({ config: timing });
    api = await startTestApi({ ...worker.config, TEMPORAL_TASK_QUEUE: worker.taskQueue }, { clock: worker.deps.clock });
    running = worker.worker.run();
  });
  after(async () => {
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    worker.worker.shutdown();
    await running;
    await api.close();
    await UserLimit.query(testDb()).patch({ maxVideosPerDay: savedFreeBudget }).where('plan', 'free');
  });

  it('when a blogger is added by URL, then videos arrive, their history grows with each sync, and metrics are stored', async () => {
    const user = await createUser(api, { plan: 'pro' });
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: 'Sim', youtube_url: 'https://www.youtube.com/@simcreator' },
    });
    assert.equal(res.status, 201);
    const id = res.body.blogger.id;

    const rows = await eventually(
      () => VideoHistory.query(testDb()).where('bloggerId', id),
      (r) => new Set(r.map((x) => x.fetchedAt.getTime())).size >= 3,
      30_000,
    );
    const fetches = new Set(rows.map((r) => r.fetchedAt.getTime()));
    assert.ok(fetches.size >= 3, `${fetches.size} syncs wrote rows`);
    const perVideo = new Map<string, VideoHistory[]>();
    for (const r of rows) perVideo.set(r.platformVideoId, [...(perVideo.get(r.platformVideoId) ?? []), r]);
    const young = [...perVideo.values()].find((list) => list.length >= 2);
    assert.ok(young, 'a young video was fetched again: a growing history');
    const sorted = young.sort((a, b) => a.fetchedAt.getTime() - b.fetchedAt.getTime());
    assert.ok(Number(sorted.at(-1)!.views) >= Number(sorted[0]!.views), 'views never go down');
    assert.ok(rows.every((r) => r.userId === user.id));
    assert.ok(rows.some((r) => typeof r.engagementRate === 'number'));

    const blogger = await api.request('GET', `/api/bloggers/${id}`, { token: user.accessToken });
    assert.equal(blogger.body.blogger.platforms.youtube.state, 'ok');
    assert.match(blogger.body.blogger.platforms.youtube.resolvedId, /^UC/);
    assert.ok(blogger.body.blogger.sync.lastSyncedAt);

    // Pause the sync so the data holds still while it is compared with the API's answers.
    const { client: temporalClient } = await testTemporal();
    assert.equal((await api.request('POST', `/api/bloggers/${id}/pause`, { token: user.accessToken })).status, 202);
    await eventually(
      () => temporalClient.workflow.getHandle(`blogger-sync:${id}`).query(syncState),
      (st) => st.status === 'paused',
    );
    await new Promise((r) => setTimeout(r, 300));
    const stored = await VideoHistory.query(testDb()).where('bloggerId', id).orderBy('fetchedAt');
    const latest = new Map<string, VideoHistory>();
    for (const r of stored) latest.set(r.platformVideoId, r);
    const expectedViews = [...latest.values()].reduce((sum, r) => sum + Number(r.views ?? 0), 0);

    const stats = await api.request('GET', `/api/bloggers/${id}/stats`, { token: user.accessToken });
    assert.equal(stats.status, 200);
    assert.equal(stats.body.totals.videos, latest.size);
    assert.equal(stats.body.totals.views, expectedViews, 'totals are the latest fetch of each video');
    assert.equal(stats.body.daily.at(-1).views, expectedViews, 'the daily series ends at the totals');
    assert.ok(stats.body.topVideos.length > 0);
    assert.ok(stats.body.growth['24h'].views <= expectedViews);

    const csv = await api.request('GET', `/api/bloggers/${id}/stats?format=csv`, { token: user.accessToken });
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const lines = String(csv.body).trim().split('\n');
    assert.equal(lines[0], 'day,views,likes,comments,shares');
    assert.equal(Number(lines.at(-1)!.split(',')[1]), expectedViews, 'the CSV matches the stored rows');

    const videos = await api.request('GET', `/api/bloggers/${id}/videos?limit=5`, { token: user.accessToken });
    assert.equal(videos.body.pagination.total, latest.size);
    const oneId = young.at(-1)!.platformVideoId;
    const history = await api.request('GET', `/api/bloggers/${id}/videos/${oneId}/history`, { token: user.accessToken });
    assert.equal(history.body.data.length, stored.filter((r) => r.platformVideoId === oneId).length, 'every snapshot of the video');
    const historyCsv = await api.request('GET', `/api/bloggers/${id}/videos/${oneId}/history?format=csv`, { token: user.accessToken });
    assert.equal(String(historyCsv.body).trim().split('\n').length, history.body.data.length + 1);

    // Another tenant learns nothing: every route is a 404.
    const other = await createUser(api, { plan: 'pro' });
    for (const path of [
      `/api/bloggers/${id}/stats`,
      `/api/bloggers/${id}/stats?format=csv`,
      `/api/bloggers/${id}/videos`,
      `/api/bloggers/${id}/videos/${oneId}/history`,
      `/api/bloggers/${id}/videos/${oneId}/history?format=csv`,
    ]) {
      assert.equal((await api.request('GET', path, { token: other.accessToken })).status, 404, path);
    }
    for (const action of ['sync', 'pause', 'resume'])
      assert.equal((await api.request('POST', `/api/bloggers/${id}/${action}`, { token: other.accessToken })).status, 404, action);

    // Cached until new data lands: a resumed sync bumps the blogger's cache version.
    const version = await testRedis().get(bloggerCacheVersionKey(id));
    assert.equal((await api.request('POST', `/api/bloggers/${id}/resume`, { token: user.accessToken })).status, 202);
    await eventually(
      () => testRedis().get(bloggerCacheVersionKey(id)),
      (v) => v !== version,
    );
    const fresh = await eventually(
      () => api.request('GET', `/api/bloggers/${id}/stats`, { token: user.accessToken }),
      (r) => r.body.totals.views !== expectedViews,
    );
    assert.ok(fresh.body.totals.views > expectedViews, 'stats reflect the new data');

    const usage = await api.request('GET', '/api/stats', { token: user.accessToken });
    assert.deepEqual(usage.body.usage.bloggers, { used: 1, limit: 50 });
    assert.equal(usage.body.usage.videosToday.limit, 1000);
    assert.ok(usage.body.usage.requestsThisMinute.used > 0);
    assert.ok(usage.body.totals.historyRows >= stored.length);

    // Deleting the blogger ends its workflow and removes its data; its cached answers go with it.
    assert.equal((await api.request('DELETE', `/api/bloggers/${id}`, { token: user.accessToken })).status, 204);
    for (const path of [`/api/bloggers/${id}/stats`, `/api/bloggers/${id}/videos?limit=5`])
      assert.equal(
        (await api.request('GET', path, { token: user.accessToken })).status,
        404,
        `${path}: no cached answer outlives its blogger`,
      );
    const { client } = await testTemporal();
    const handle = client.workflow.getHandle(`blogger-sync:${id}`);
    const result = await handle.result();
    await recordHistory(WORKFLOW_TYPES.bloggerSync, handle);
    assert.ok(['stopped', 'deleted'].includes(result.status), result.status);
    assert.equal(await VideoHistory.query(testDb()).where('bloggerId', id).resultSize(), 0);
  });

  it('when the daily video budget is used up, then fetching stops at the limit and resumes the next (simulated) day', async () => {
    const user = await createUser(api); // free plan: 8 videos a day in this test
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: 'Budget', tiktok_url: 'https://www.tiktok.com/@budgetcreator' },
    });
    const id = res.body.blogger.id;
    const { client } = await testTemporal();
    const handle = client.workflow.getHandle(`blogger-sync:${id}`);

    const exhausted = await eventually(
      () => handle.query(syncState),
      (s) => s.status === 'budget_exhausted',
      20_000,
    );
    assert.equal(exhausted.status, 'budget_exhausted');
    assert.equal(exhausted.budgetLeft, 0);
    // Simulated days are 6 s long here: several may have passed. The day that ran out holds
    // exactly the budget, and no day ever holds more.
    const usage = await UsageDaily.query(testDb()).where('userId', user.id).orderBy('day');
    const fullDay = usage.find((u) => u.videosFetched === 8);
    assert.ok(fullDay, `a day reached the budget: ${usage.map((u) => u.videosFetched)}`);
    assert.ok(
      usage.every((u) => u.videosFetched <= 8),
      'never more than the budget',
    );

    const later = await eventually(
      () => UsageDaily.query(testDb()).where('userId', user.id).where('day', '>', fullDay.day).where('videosFetched', '>', 0),
      (u) => u.length > 0,
      20_000,
    );
    assert.ok(later.length > 0, 'a new budget day began and fetching resumed');
    await handle.signal(stopSync); // hold the data still before counting
    await handle.result();
    const all = await UsageDaily.query(testDb()).where('userId', user.id);
    assert.ok(all.every((d) => d.videosFetched <= 8));
    assert.equal(
      await VideoHistory.query(testDb()).where('bloggerId', id).resultSize(),
      all.reduce((n, d) => n + d.videosFetched, 0),
      'every fetched video is counted once',
    );
  });

  it('when the owner is deleted, then the sync workflow ends', async () => {
    const user = await createUser(api, { plan: 'pro' });
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: 'Orphan', youtube_url: 'https://www.youtube.com/@orphaned' },
    });
    const id = res.body.blogger.id;
    await eventually(
      () => VideoHistory.query(testDb()).where('bloggerId', id).resultSize(),
      (n) => n > 0,
    );
    await User.query(testDb()).deleteById(user.id);
    const { client } = await testTemporal();
    const result = await client.workflow.getHandle(`blogger-sync:${id}`).result();
    assert.equal(result.status, 'deleted');
  });

  it('when the blogger URL names no such creator, then the link is marked broken with the reason', async () => {
    const user = await createUser(api, { plan: 'pro' });
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: 'Ghost', instagram_url: 'https://instagram.com/notfound_ghost' },
    });
    const id = res.body.blogger.id;
    const blogger = await eventually(
      () => Blogger.query(testDb()).findById(id),
      (b) => b?.platformLinks.instagram?.state === 'broken',
    );
    assert.equal(blogger?.platformLinks.instagram?.state, 'broken');
    assert.match(blogger?.platformLinks.instagram?.reason ?? '', /not ?found|no creator/i);
  });
});
