import assert from 'node:assert/strict';
import { AuditLog, DetectedTrend, TrendVideo } from '../../db/models';
import { startTestApi, type TestApi } from '../../test/api';
import { resetDb, testDb, testRedis, testTemporal } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

const ROUTES = ['/api/trends/discover', '/api/trends/videos', '/api/trends/trending', '/api/trends/topics'];

describe('trends API', () => {
  let api: TestApi;
  let pro: TestUser;
  let free: TestUser;
  const at = (h: number) => new Date(Date.now() - h * 3_600_000);

  before(async () => {
    await resetDb();
    api = await startTestApi();
    [pro, free] = await Promise.all([createUser(api, { plan: 'pro' }), createUser(api)]);
    const [a, b, c] = await TrendVideo.query(testDb()).insertAndFetch([
      { platform: 'youtube', platformVideoId: 'aaaaaaaaaaa', creatorId: 'UC1', publishedAt: at(30), hashtags: ['glow', 'music'], velocity: 500, acceleration: 5, currentViews: '9000', status: 'trending', snapshotCount: 2 },
      { platform: 'tiktok', platformVideoId: '7000000000000000001', creatorId: 'bob', publishedAt: at(20), hashtags: ['glow'], velocity: 900, acceleration: -2, currentViews: '5000', status: 'monitoring', snapshotCount: 1 },
      { platform: 'youtube', platformVideoId: 'ccccccccccc', creatorId: 'UC3', publishedAt: at(10), hashtags: ['cats'], velocity: 10, acceleration: 50, currentViews: '100', status: 'monitoring' },
    ] as Partial<TrendVideo>[]) as unknown as TrendVideo[];
    await testDb()('trend_snapshots').insert([
      { videoId: a!.id, slot: 0, takenAt: at(4), views: 8000 },
      { videoId: a!.id, slot: 1, takenAt: at(2), views: 9000, velocity: 500 },
      { videoId: b!.id, slot: 0, takenAt: at(1), views: 5000 },
    ]);
    void c;
    const [trend] = await DetectedTrend.query(testDb()).insertAndFetch([
      { kind: 'hashtag', name: 'glow', platforms: ['youtube', 'tiktok'], score: 9, videoCount: 2, creatorCount: 3, totalVelocity: 1400, totalAcceleration: 3, status: 'emerging', windowStart: at(24), windowEnd: at(0) },
      { kind: 'topic', name: 'Music', platforms: ['youtube'], score: 4, videoCount: 5, creatorCount: 4, totalVelocity: 100, totalAcceleration: 1, status: 'peaking', windowStart: at(24), windowEnd: at(0) },
    ] as Partial<DetectedTrend>[]) as unknown as DetectedTrend[];
    await testDb()('detected_trend_points').insert([
      { trendId: trend!.id, at: at(6), score: 5, totalVelocity: 700, totalAcceleration: 1, videoCount: 1, creatorCount: 3, status: 'emerging' },
      { trendId: trend!.id, at: at(0), score: 9, totalVelocity: 1400, totalAcceleration: 3, videoCount: 2, creatorCount: 3, status: 'emerging' },
    ]);
  });
  after(() => api.close());

  it('when a free user calls any trends route, then 403 names the plans that have Trend Watch', async () => {
    for (const path of ROUTES) {
      const res = await api.request('GET', path, { token: free.accessToken });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'plan_required');
      assert.match(res.body.error.message, /pro and enterprise plans; your plan is free/);
    }
    assert.equal((await api.request('POST', '/api/trends/discover', { token: free.accessToken })).status, 403);
  });

  it('when a pro user lists videos, then they come fastest first, filter by platform, status and hashtag', async () => {
    const all = await api.request('GET', '/api/trends/videos', { token: pro.accessToken });
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.data.map((v: { velocity: number }) => v.velocity), [900, 500, 10]);
    assert.equal(all.body.data[0].views, 5000, 'counts are numbers');
    const glow = await api.request('GET', '/api/trends/videos?hashtag=%23Glow&platform=youtube&status=trending', { token: pro.accessToken });
    assert.deepEqual(glow.body.data.map((v: { videoId: string }) => v.videoId), ['aaaaaaaaaaa']);
    const byAcceleration = await api.request('GET', '/api/trends/videos?sort=acceleration&limit=1', { token: pro.accessToken });
    assert.equal(byAcceleration.body.data[0].videoId, 'ccccccccccc');
    assert.deepEqual(byAcceleration.body.pagination, { page: 1, limit: 1, total: 3, pages: 3 });
  });

  it('when snapshots are included, then each video carries its own series in slot order', async () => {
    const res = await api.request('GET', '/api/trends/videos?include=snapshots', { token: pro.accessToken });
    const byId = Object.fromEntries(res.body.data.map((v: { videoId: string; snapshots: unknown[] }) => [v.videoId, v.snapshots]));
    assert.deepEqual(byId.aaaaaaaaaaa.map((s: { slot: number; views: number }) => [s.slot, s.views]), [[0, 8000], [1, 9000]]);
    assert.equal(byId['7000000000000000001'].length, 1);
    assert.deepEqual(byId.ccccccccccc, []);
  });

  it('when a query value is not allowed, then 400 names the field', async () => {
    const res = await api.request('GET', '/api/trends/videos?sort=random&status=viral', { token: pro.accessToken });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path).sort(), ['query.sort', 'query.status']);
  });

  it('when trends are listed, then each has its score series; topics lists the topic trends', async () => {
    const res = await api.request('GET', '/api/trends/trending?kind=hashtag', { token: pro.accessToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.length, 1);
    assert.equal(res.body.data[0].name, 'glow');
    assert.deepEqual(res.body.data[0].series.map((p: { score: number }) => p.score), [5, 9]);
    const topics = await api.request('GET', '/api/trends/topics', { token: pro.accessToken });
    assert.deepEqual(topics.body.data.map((t: { name: string }) => t.name), ['Music']);
    const discovered = await api.request('GET', '/api/trends/discover?platform=youtube', { token: pro.accessToken });
    assert.deepEqual(discovered.body.data.map((v: { videoId: string }) => v.videoId).sort(), ['aaaaaaaaaaa', 'ccccccccccc']);
  });

  it('when a pro user triggers discovery, then 202 with the run id and an audit entry; a second trigger within the minute is 429', async () => {
    await testRedis().del(`rl:trends:discover:${pro.id}`);
    const res = await api.request('POST', '/api/trends/discover', { token: pro.accessToken });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.match(res.body.workflowId, /^trend-discovery-manual-/);
    const { client } = await testTemporal();
    const description = await client.workflow.getHandle(res.body.workflowId).describe();
    assert.equal(description.type, 'trendDiscovery');
    assert.equal(await AuditLog.query(testDb()).where({ action: 'trends.discover_triggered', actorId: pro.id }).resultSize(), 1);

    const again = await api.request('POST', '/api/trends/discover', { token: pro.accessToken });
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers.get('retry-after')) > 0);
    await client.workflow.getHandle(res.body.workflowId).terminate('test over').catch(() => undefined);
  });
});
