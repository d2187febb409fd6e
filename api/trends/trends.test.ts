import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuditLog, DetectedTrend, TrendVideo, User } from '../../db/models';
import { WORKFLOW_TYPES } from '../../temporal/contract';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { testDb, testRedis, testTemporal } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

const ROUTES = ['/api/trends/discover', '/api/trends/videos', '/api/trends/trending', '/api/trends/topics'];

/**
 * Trend tables are global, so this suite does not empty them: every row it writes carries a tag
 * of its own (hashtag, id and name prefix), assertions look at those rows, and `after` removes them.
 */
describe('trends API', function () {
  this.timeout(20_000);
  const tag = `t${randomUUID().slice(0, 8)}`;
  const at = (h: number) => new Date(Date.now() - h * 3_600_000);
  let api: TestApi;
  let pro: TestUser;
  let free: TestUser;
  const startedRuns: string[] = [];

  const get = (path: string, user = pro) => api.request('GET', path, { token: user.accessToken });
  const ids = (res: { body: { data: { videoId: string }[] } }) => res.body.data.map((v) => v.videoId);
  const mine = <T extends { videoId: string }>(rows: T[]) => rows.filter((v) => v.videoId.startsWith(tag));

  before(async () => {
    api = await startTestApi();
    [pro, free] = await Promise.all([createUser(api, { plan: 'pro' }), createUser(api)]);
    const [a, b] = (await TrendVideo.query(testDb()).insertAndFetch([
      {
        platform: 'youtube',
        platformVideoId: `${tag}a`,
        creatorId: 'UC1',
        publishedAt: at(30),
        discoveredAt: at(3),
        hashtags: [tag, 'music'],
        velocity: 500,
        acceleration: 5,
        currentViews: '9000',
        status: 'trending',
        snapshotCount: 2,
      },
      {
        platform: 'tiktok',
        platformVideoId: `${tag}b`,
        creatorId: 'bob',
        publishedAt: at(20),
        discoveredAt: at(2),
        hashtags: [tag],
        velocity: 900,
        acceleration: -2,
        currentViews: '5000',
        status: 'monitoring',
        snapshotCount: 1,
      },
      {
        platform: 'youtube',
        platformVideoId: `${tag}c`,
        creatorId: 'UC3',
        publishedAt: at(10),
        discoveredAt: at(1),
        hashtags: [tag],
        velocity: 10,
        acceleration: 50,
        currentViews: '100',
        status: 'monitoring',
      },
      // Just discovered: no second snapshot yet, so no velocity or acceleration.
      { platform: 'youtube', platformVideoId: `${tag}d`, creatorId: 'UC4', publishedAt: at(5), hashtags: [tag], status: 'monitoring' },
    ] as Partial<TrendVideo>[])) as unknown as TrendVideo[];
    await testDb()('trend_snapshots').insert([
      { videoId: a!.id, slot: 1, takenAt: at(2), views: 9000, velocity: 500 },
      { videoId: a!.id, slot: 0, takenAt: at(4), views: 8000 },
      { videoId: b!.id, slot: 0, takenAt: at(1), views: 5000 },
    ]);
    // Scores far above anything else in the table, so these trends lead every list.
    const [trend] = (await DetectedTrend.query(testDb()).insertAndFetch([
      {
        kind: 'hashtag',
        name: tag,
        platforms: ['youtube', 'tiktok'],
        score: 9e9,
        videoCount: 2,
        creatorCount: 3,
        totalVelocity: 1400,
        totalAcceleration: 3,
        status: 'emerging',
        windowStart: at(24),
        windowEnd: at(0),
      },
      {
        kind: 'topic',
        name: `${tag} music`,
        platforms: ['youtube'],
        score: 8e9,
        videoCount: 5,
        creatorCount: 4,
        totalVelocity: 100,
        totalAcceleration: 1,
        status: 'peaking',
        windowStart: at(24),
        windowEnd: at(0),
      },
      // Stronger scores than the live ones, from the runs before they stopped qualifying.
      {
        kind: 'hashtag',
        name: `${tag}fading`,
        platforms: ['youtube'],
        score: 9.5e9,
        videoCount: 1,
        creatorCount: 1,
        totalVelocity: 10,
        totalAcceleration: 0,
        status: 'fading',
        missedRuns: 1,
        windowStart: at(24),
        windowEnd: at(0),
      },
      {
        kind: 'hashtag',
        name: `${tag}ended`,
        platforms: ['youtube'],
        score: 9.9e9,
        videoCount: 0,
        creatorCount: 0,
        totalVelocity: 0,
        totalAcceleration: 0,
        status: 'ended',
        missedRuns: 2,
        endedAt: at(0),
        windowStart: at(24),
        windowEnd: at(0),
      },
      {
        kind: 'topic',
        name: `${tag} ended topic`,
        platforms: ['youtube'],
        score: 9.9e9,
        videoCount: 0,
        creatorCount: 0,
        totalVelocity: 0,
        totalAcceleration: 0,
        status: 'ended',
        missedRuns: 2,
        endedAt: at(0),
        windowStart: at(24),
        windowEnd: at(0),
      },
    ] as Partial<DetectedTrend>[])) as unknown as DetectedTrend[];
    await testDb()('detected_trend_points').insert([
      {
        trendId: trend!.id,
        at: at(0),
        score: 9e9,
        totalVelocity: 1400,
        totalAcceleration: 3,
        videoCount: 2,
        creatorCount: 3,
        status: 'emerging',
      },
      {
        trendId: trend!.id,
        at: at(6),
        score: 5,
        totalVelocity: 700,
        totalAcceleration: 1,
        videoCount: 1,
        creatorCount: 3,
        status: 'emerging',
      },
    ]);
  });

  after(async () => {
    const { client } = await testTemporal();
    await Promise.all(
      startedRuns.map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined),
      ),
    );
    await testRedis().del(`rl:trends:discover:${pro.id}`, `rl:trends:discover:${free.id}`);
    await TrendVideo.query(testDb()).where('platformVideoId', 'like', `${tag}%`).delete(); // snapshots cascade
    await DetectedTrend.query(testDb()).where('name', 'like', `${tag}%`).delete(); // points cascade
    await AuditLog.query(testDb()).whereIn('actorId', [pro.id, free.id]).delete();
    await User.query(testDb()).whereIn('id', [pro.id, free.id]).delete();
    await api.close();
  });

  it('when a free user calls any trends route, then 403 plan_required names the plans that have Trend Watch', async () => {
    for (const path of ROUTES) {
      const res = await get(path, free);
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'plan_required');
      assert.equal(res.body.error.message, 'Trend Watch is part of the pro and enterprise plans; your plan is free.');
    }
    const trigger = await api.request('POST', '/api/trends/discover', { token: free.accessToken });
    assert.equal(trigger.status, 403);
    assert.equal(await AuditLog.query(testDb()).where({ action: 'trends.discover_triggered', actorId: free.id }).resultSize(), 0);
  });

  it('when a pro user lists videos, then they come fastest first with unknown speeds last, and counts are numbers', async () => {
    const res = await get(`/api/trends/videos?hashtag=${tag}`);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res), [`${tag}b`, `${tag}a`, `${tag}c`, `${tag}d`]);
    assert.equal(res.body.data[1].views, 9000);
    assert.equal(res.body.data[3].velocity, null);
    assert.deepEqual(res.body.pagination, { page: 1, limit: 20, total: 4, pages: 1 });
  });

  it('when videos are sorted by another field or direction, then the order follows it and unknown values stay last', async () => {
    const order = async (sort: string) => ids(await get(`/api/trends/videos?hashtag=${tag}&sort=${sort}`));
    assert.deepEqual(await order('velocity'), [`${tag}c`, `${tag}a`, `${tag}b`, `${tag}d`]);
    assert.deepEqual(await order('-acceleration'), [`${tag}c`, `${tag}a`, `${tag}b`, `${tag}d`]);
    assert.deepEqual(await order('-views'), [`${tag}a`, `${tag}b`, `${tag}c`, `${tag}d`]);
    assert.deepEqual(await order('published'), [`${tag}a`, `${tag}b`, `${tag}c`, `${tag}d`]);
    assert.deepEqual(await order('-published'), [`${tag}d`, `${tag}c`, `${tag}b`, `${tag}a`]);
  });

  it('when videos are filtered and paged, then only matching videos come, a page at a time', async () => {
    const filtered = await get(`/api/trends/videos?hashtag=%23${tag.toUpperCase()}&platform=youtube&status=trending`);
    assert.deepEqual(ids(filtered), [`${tag}a`]);
    const page2 = await get(`/api/trends/videos?hashtag=${tag}&limit=3&page=2`);
    assert.deepEqual(ids(page2), [`${tag}d`]);
    assert.deepEqual(page2.body.pagination, { page: 2, limit: 3, total: 4, pages: 2 });
  });

  it('when snapshots are included, then each video carries its own series in slot order', async () => {
    const res = await get(`/api/trends/videos?hashtag=${tag}&include=snapshots`);
    const series = Object.fromEntries(res.body.data.map((v: { videoId: string; snapshots: unknown[] }) => [v.videoId, v.snapshots]));
    assert.deepEqual(
      series[`${tag}a`].map((s: { slot: number; views: number; velocity: number | null }) => [s.slot, s.views, s.velocity]),
      [
        [0, 8000, null],
        [1, 9000, 500],
      ],
    );
    assert.equal(series[`${tag}b`].length, 1);
    assert.deepEqual(series[`${tag}c`], []);
    const without = await get(`/api/trends/videos?hashtag=${tag}`);
    assert.equal(without.body.data[0].snapshots, undefined);
  });

  it('when a query value is not allowed, then 400 names each field', async () => {
    const res = await get('/api/trends/videos?sort=random&status=viral&platform=myspace');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path).sort(), ['query.platform', 'query.sort', 'query.status']);
    const trending = await get('/api/trends/trending?kind=mood');
    assert.equal(trending.status, 400);
    assert.equal(trending.body.error.details[0].path, 'query.kind');
    assert.equal((await get('/api/trends/videos?limit=101')).status, 400);
  });

  it('when trends are listed, then the strongest come first, each with its score series in time order', async () => {
    const res = await get('/api/trends/trending?kind=hashtag&limit=100');
    assert.equal(res.status, 200);
    assert.ok(res.body.data.every((t: { kind: string }) => t.kind === 'hashtag'));
    assert.equal(res.body.data[0].name, tag);
    assert.deepEqual(
      res.body.data[0].series.map((p: { score: number }) => p.score),
      [5, 9e9],
    );
    const live = res.body.data.filter((t: { status: string }) => t.status !== 'fading').map((t: { score: number }) => t.score);
    assert.deepEqual(
      live,
      [...live].sort((x: number, y: number) => y - x),
    );
    const peaking = await get('/api/trends/trending?status=peaking&limit=1');
    assert.deepEqual(
      peaking.body.data.map((t: { name: string }) => t.name),
      [`${tag} music`],
    );
  });

  it('when trends have faded or ended, then /trending lists live trends first, fading ones after them, and ended ones only when asked for', async () => {
    const names = (res: { body: { data: { name: string }[] } }) => res.body.data.map((t) => t.name).filter((n) => n.startsWith(tag));
    const byDefault = await get('/api/trends/trending?kind=hashtag&limit=100');
    assert.deepEqual(
      names(byDefault),
      [tag, `${tag}fading`],
      'the fading trend follows the live one despite its higher score; the ended one is left out',
    );
    const statuses = byDefault.body.data.map((t: { status: string }) => t.status);
    assert.ok(
      statuses.indexOf('fading') === -1 || statuses.slice(statuses.indexOf('fading')).every((s: string) => s === 'fading'),
      `live before fading: ${statuses}`,
    );
    assert.equal(byDefault.body.data.find((t: { name: string }) => t.name === `${tag}fading`).missedRuns, 1);

    const all = await get('/api/trends/trending?kind=hashtag&status=all&limit=100');
    assert.deepEqual(names(all), [tag, `${tag}fading`, `${tag}ended`]);
    const ended = await get('/api/trends/trending?status=ended&limit=100');
    assert.deepEqual(names(ended).sort(), [`${tag} ended topic`, `${tag}ended`]);
    const endedRow = ended.body.data.find((t: { name: string }) => t.name === `${tag}ended`);
    assert.deepEqual([endedRow.status, endedRow.missedRuns, typeof endedRow.endedAt], ['ended', 2, 'string']);
    const live = await get('/api/trends/trending?status=live&kind=hashtag&limit=100');
    assert.deepEqual(names(live), names(byDefault));

    const topics = await get('/api/trends/topics?limit=100');
    assert.ok(!topics.body.data.some((t: { name: string }) => t.name === `${tag} ended topic`), 'an ended topic is not trending');
    const endedTopics = await get('/api/trends/topics?status=ended&limit=100');
    assert.ok(endedTopics.body.data.some((t: { name: string }) => t.name === `${tag} ended topic`));

    const bad = await get('/api/trends/trending?status=viral');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].path, 'query.status');
  });

  it('when topics are asked for, then only topic trends come, strongest first', async () => {
    const res = await get('/api/trends/topics?limit=5');
    assert.equal(res.status, 200);
    assert.equal(res.body.data[0].name, `${tag} music`);
    assert.ok(!res.body.data.some((t: { name: string }) => t.name === tag), 'the hashtag trend is not a topic');
    assert.ok(res.body.data.length <= 5);
  });

  it('when discovered videos are listed, then the newest discovered come first, filtered by platform', async () => {
    const res = await get('/api/trends/discover?platform=youtube&limit=100');
    assert.equal(res.status, 200);
    assert.ok(res.body.data.every((v: { platform: string }) => v.platform === 'youtube'));
    assert.deepEqual(
      mine(res.body.data).map((v) => v.videoId),
      [`${tag}d`, `${tag}c`, `${tag}a`],
    );
    assert.ok('lastRun' in res.body);
  });

  it('when a pro user triggers discovery, then 202 with the run, an audit entry, and the run shows as the last one; a second trigger within the minute is 429', async () => {
    await testRedis().del(`rl:trends:discover:${pro.id}`);
    const res = await api.request('POST', '/api/trends/discover', { token: pro.accessToken });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    startedRuns.push(res.body.workflowId);
    assert.match(res.body.workflowId, /^trend-discovery-manual-\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    assert.ok(!res.body.platforms.includes('instagram'), 'Instagram cannot discover');
    const { client } = await testTemporal();
    const description = await client.workflow.getHandle(res.body.workflowId).describe();
    assert.equal(description.type, WORKFLOW_TYPES.trendDiscovery);
    assert.equal(description.runId, res.body.runId);
    const started = (await client.workflow.getHandle(res.body.workflowId).fetchHistory()).events?.[0]
      ?.workflowExecutionStartedEventAttributes;
    const input = JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString('utf8'));
    assert.equal(input.manual, true, "a user's run spends only the manual share of each platform quota");
    const [entry] = await AuditLog.query(testDb()).where({ action: 'trends.discover_triggered', actorId: pro.id });
    assert.equal(entry?.targetId, res.body.workflowId);
    assert.equal(entry?.ip, '127.0.0.1');

    const again = await api.request('POST', '/api/trends/discover', { token: pro.accessToken });
    assert.equal(again.status, 429);
    assert.equal(again.body.error.code, 'rate_limited');
    assert.ok(Number(again.headers.get('retry-after')) > 0);

    const listed = await eventually(
      () => get('/api/trends/discover?limit=1'),
      (r) => r.body.lastRun?.workflowId === res.body.workflowId,
    );
    assert.equal(listed.body.lastRun?.workflowId, res.body.workflowId);
    assert.equal(listed.body.lastRun.status, 'RUNNING');
  });
});
