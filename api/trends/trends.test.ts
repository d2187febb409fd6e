import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuditLog, DetectedTrend, TrendVideo, User } from '../../db/models';
import { manualClock } from '../../lib/clock';
import { WORKFLOW_TYPES } from '../../temporal/contract';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { testDb, testRedis, testTemporal } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

const ROUTES = [
  '/api/trends/discover',
  '/api/trends/videos',
  '/api/trends/trending',
  '/api/trends/trending/1/videos',
  '/api/trends/topics',
];
const HOUR = 3_600_000;

/**
 * Trend tables are global, so this suite does not empty them: every row it writes carries a tag
 * of its own (hashtag, id and name prefix), assertions look at those rows, and `after` removes them.
 */
describe('trends API', function () {
  this.timeout(20_000);
  const tag = `t${randomUUID().slice(0, 8)}`;
  const at = (h: number) => new Date(Date.now() - h * HOUR);
  /**
   * The evidence fixtures live ten days before the real now, on the API's data clock: a window that
   * followed the real clock instead would find none of them.
   */
  const evidenceNow = Date.now() - 240 * HOUR;
  const evAt = (h: number) => new Date(evidenceNow - h * HOUR);
  const keyword = `${tag}kw`;
  const sound = `${tag}snd`;
  const plainKeyword = `${tag}plain`;
  const topic = `${tag} music`;
  const evidence: Record<'keyword' | 'sound' | 'hashtag', number> = { keyword: 0, sound: 0, hashtag: 0 };
  let api: TestApi;
  let pro: TestUser;
  let free: TestUser;
  const startedRuns: string[] = [];

  const get = (path: string, user = pro) => api.request('GET', path, { token: user.accessToken });
  const ids = (res: { body: { data: { videoId: string }[] } }) => res.body.data.map((v) => v.videoId);
  const mine = <T extends { videoId: string }>(rows: T[]) => rows.filter((v) => v.videoId.startsWith(tag));

  /** A video of the evidence fixtures; its id starts apart from the others (`ev-`), so the older tests' lists stay as they were. */
  const evidenceVideo = (id: string, v: Partial<TrendVideo>): Partial<TrendVideo> => ({
    platform: 'youtube',
    platformVideoId: `ev-${tag}-${id}`,
    hashtags: [],
    discoveredAt: evAt(1),
    status: 'monitoring',
    ...v,
  });

  before(async () => {
    api = await startTestApi({}, { clock: manualClock(evidenceNow) });
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
    const [trend, , , , , keywordTrend, soundTrend] = (await DetectedTrend.query(testDb()).insertAndFetch([
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
      ...(['hashtag', 'topic'] as const).map((kind) => ({
        kind,
        name: kind === 'hashtag' ? `${tag}ended` : `${tag} ended topic`,
        platforms: ['youtube'],
        score: 9.9e9,
        videoCount: 0,
        creatorCount: 0,
        totalVelocity: 0,
        totalAcceleration: 0,
        status: 'ended' as const,
        missedRuns: 2,
        endedAt: at(0),
        windowStart: at(24),
        windowEnd: at(0),
      })),
      // Evidence: a keyword three creators took up against a baseline of half a creator per
      // window (growth floored at one creator: 3), and a sound six creators use against 4 (1.5).
      {
        kind: 'keyword',
        name: keyword,
        platforms: ['youtube', 'tiktok'],
        score: 7e9,
        videoCount: 3,
        creatorCount: 3,
        totalVelocity: 350,
        totalAcceleration: 1,
        status: 'emerging',
        baseline: 0.5,
        burstScore: 4.2,
        firstSeenAt: evAt(40),
        firstDetectedAt: evAt(8),
        lastDetectedAt: evAt(0),
        windowStart: evAt(24),
        windowEnd: evAt(0),
      },
      {
        kind: 'sound',
        name: sound,
        platforms: ['tiktok'],
        score: 6e9,
        videoCount: 7,
        creatorCount: 6,
        totalVelocity: 20,
        totalAcceleration: 0,
        status: 'peaking',
        baseline: 4,
        burstScore: 1.1,
        firstSeenAt: evAt(40),
        firstDetectedAt: evAt(4),
        lastDetectedAt: evAt(0),
        windowStart: evAt(24),
        windowEnd: evAt(0),
      },
    ] as Partial<DetectedTrend>[])) as unknown as DetectedTrend[];
    evidence.hashtag = trend!.id;
    evidence.keyword = keywordTrend!.id;
    evidence.sound = soundTrend!.id;
    // The keyword's series: one point per run, every 4 hours, as creators took it up.
    const creatorsPerRun = [0, 1, 1, 2, 3];
    await testDb()('detected_trend_points').insert([
      ...creatorsPerRun.map((creators, i) => ({
        trendId: keywordTrend!.id,
        at: evAt(16 - 4 * i),
        score: i,
        totalVelocity: 10 * i,
        totalAcceleration: 0,
        videoCount: creators,
        creatorCount: creators,
        baseline: 0.5,
        burstScore: i === 4 ? 4.2 : i,
        status: 'emerging',
      })),
      {
        trendId: soundTrend!.id,
        at: evAt(0),
        score: 6e9,
        totalVelocity: 20,
        totalAcceleration: 0,
        videoCount: 7,
        creatorCount: 6,
        baseline: 4,
        burstScore: 1.1,
        status: 'peaking',
      },
    ]);
    // The videos that carry them. The same creator id on two platforms is two creators; the
    // fourth keyword video was published before the last 24 hours.
    await TrendVideo.query(testDb()).insert([
      evidenceVideo('k1', { creatorId: 'UCk1', publishedAt: evAt(2), keywords: [keyword], topics: [topic], velocity: 50 }),
      evidenceVideo('k2', { creatorId: 'UCk2', publishedAt: evAt(6), keywords: [keyword, plainKeyword], topics: [topic], velocity: 300 }),
      evidenceVideo('k3', { platform: 'tiktok', creatorId: 'UCk1', publishedAt: evAt(12), keywords: [keyword], soundId: sound }),
      evidenceVideo('k4', {
        platform: 'tiktok',
        creatorId: 'tk4',
        publishedAt: evAt(40),
        keywords: [keyword],
        soundId: sound,
        velocity: 1000,
      }),
      evidenceVideo('k5', {
        platform: 'tiktok',
        creatorId: 'tk4',
        publishedAt: evAt(3),
        keywords: [plainKeyword],
        soundId: sound,
        velocity: 20,
      }),
    ] as Partial<TrendVideo>[]);
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
    await TrendVideo.query(testDb()).where('platformVideoId', 'like', `ev-${tag}%`).delete();
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

  describe('evidence', () => {
    type Trend = { id: number; name: string; kind: string; [field: string]: unknown };
    const trendOf = async (kind: string, name: string, query = '') => {
      const res = await get(`/api/trends/trending?kind=${kind}&limit=100${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.find((t: Trend) => t.name === name) as Trend & { series: Record<string, unknown>[] };
    };
    const iso = (d: Date) => d.toISOString();

    it('when trends are listed, then each carries its evidence: first seen, first detected, baseline, burst score and growth against its baseline', async () => {
      const kw = await trendOf('keyword', keyword);
      assert.deepEqual(
        [kw.firstSeenAt, kw.firstDetectedAt, kw.baseline, kw.burstScore, kw.creatorCount, kw.videoCount],
        [iso(evAt(40)), iso(evAt(8)), 0.5, 4.2, 3, 3],
      );
      assert.equal(kw.growth, 3, '3 creators against a baseline under one creator per window, counted as one');
      const snd = await trendOf('sound', sound);
      assert.deepEqual([snd.baseline, snd.burstScore, snd.growth], [4, 1.1, 1.5], '6 creators against 4');
      const noBaseline = await trendOf('hashtag', tag);
      assert.deepEqual([noBaseline.baseline, noBaseline.burstScore, noBaseline.growth, noBaseline.firstSeenAt], [null, null, null, null]);
    });

    it('when trends are listed, then each series holds its latest points of creators and videos in time order, as many as asked for', async () => {
      const kw = await trendOf('keyword', keyword);
      assert.deepEqual(
        kw.series.map((p) => [p.at, p.creatorCount, p.videoCount]),
        [16, 12, 8, 4, 0].map((h, i) => [iso(evAt(h)), [0, 1, 1, 2, 3][i], [0, 1, 1, 2, 3][i]]),
      );
      assert.deepEqual(kw.series.at(-1), {
        at: iso(evAt(0)),
        creatorCount: 3,
        videoCount: 3,
        score: 4,
        baseline: 0.5,
        burstScore: 4.2,
        totalVelocity: 40,
        totalAcceleration: 0,
        status: 'emerging',
      });
      const lastTwo = await trendOf('keyword', keyword, '&points=2');
      assert.deepEqual(
        lastTwo.series.map((p) => p.at),
        [iso(evAt(4)), iso(evAt(0))],
      );
      for (const bad of ['0', '501', 'many']) {
        const res = await get(`/api/trends/trending?points=${bad}`);
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.details[0].path, 'query.points');
      }
    });

    it('when a page of trends is listed, then their series come from one query, not one per trend', async () => {
      const seriesQueries: string[] = [];
      const listen = (q: { sql: string }) => {
        if (q.sql.includes('detected_trend_points')) seriesQueries.push(q.sql);
      };
      api.deps.db.on('query', listen);
      try {
        const res = await get('/api/trends/trending?status=all&limit=100');
        assert.ok(res.body.data.filter((t: Trend) => (t.series as unknown[]).length > 0).length >= 3);
      } finally {
        api.deps.db.off('query', listen);
      }
      assert.equal(seriesQueries.length, 1, seriesQueries.join('\n'));
    });

    it('when trends are filtered by kind, then only that kind comes, keyword and sound included', async () => {
      for (const [kind, name] of [
        ['keyword', keyword],
        ['sound', sound],
      ] as const) {
        const res = await get(`/api/trends/trending?kind=${kind}&limit=100`);
        assert.ok(
          res.body.data.every((t: Trend) => t.kind === kind),
          kind,
        );
        assert.ok(
          res.body.data.some((t: Trend) => t.name === name),
          kind,
        );
      }
    });

    it("when a trend's videos are asked for, then the videos carrying its name come newest first, a page at a time", async () => {
      const videoIds = (res: { body: { data: { videoId: string }[] } }) => res.body.data.map((v) => v.videoId.replace(`ev-${tag}-`, ''));
      const res = await get(`/api/trends/trending/${evidence.keyword}/videos`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.trend, { id: evidence.keyword, kind: 'keyword', name: keyword, status: 'emerging' });
      assert.deepEqual(videoIds(res), ['k1', 'k2', 'k3', 'k4'], 'every video with the keyword, older than the window too');
      assert.deepEqual(res.body.pagination, { page: 1, limit: 20, total: 4, pages: 1 });
      assert.deepEqual([res.body.data[0].velocity, res.body.data[0].publishedAt, res.body.data[2].velocity], [50, iso(evAt(2)), null]);

      const fastest = await get(`/api/trends/trending/${evidence.keyword}/videos?sort=-velocity`);
      assert.deepEqual(videoIds(fastest), ['k4', 'k2', 'k1', 'k3'], 'an unknown velocity comes last');
      const page2 = await get(`/api/trends/trending/${evidence.keyword}/videos?limit=3&page=2`);
      assert.deepEqual(videoIds(page2), ['k4']);
      assert.deepEqual(page2.body.pagination, { page: 2, limit: 3, total: 4, pages: 2 });

      const bySound = await get(`/api/trends/trending/${evidence.sound}/videos`);
      assert.deepEqual(videoIds(bySound), ['k5', 'k3', 'k4']);
      const byHashtag = await get(`/api/trends/trending/${evidence.hashtag}/videos?sort=published`);
      assert.deepEqual(ids(byHashtag), [`${tag}a`, `${tag}b`, `${tag}c`, `${tag}d`]);
    });

    it("when a trend's videos are asked for with an unknown id or bad input, then 404 or 400 in the documented error shape", async () => {
      const unknown = await get('/api/trends/trending/2147483000/videos');
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body.error, { code: 'not_found', message: 'Trend not found.' });
      const malformed = await get('/api/trends/trending/abc/videos');
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.details[0].path, 'params.id');
      const bad = await get(`/api/trends/trending/${evidence.keyword}/videos?sort=random&limit=0&page=-1`);
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.error.details.map((d: { path: string }) => d.path).sort(), ['query.limit', 'query.page', 'query.sort']);
    });

    type Name = { name: string; videoCount: number; creatorCount: number; totalVelocity: number; platforms: string[]; trend: Trend | null };
    const names = async (query: string) => {
      const res = await get(`/api/trends/topics?limit=100&${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { kind: string; window: { start: string; end: string }; data: Name[] };
    };
    const figures = (n: Name | undefined) => n && [n.videoCount, n.creatorCount, n.totalVelocity, n.platforms];

    it("when keywords are asked for, then the names the window's videos carry come, most creators first, with their counts, velocity and trend status if any", async () => {
      const res = await names('kind=keyword&windowHours=24');
      assert.equal(res.kind, 'keyword');
      assert.deepEqual(res.window, { start: iso(evAt(24)), end: iso(evAt(0)) }, 'the window ends at the data clock, not the real one');
      const mine = res.data.filter((n) => n.name.startsWith(tag));
      assert.deepEqual(
        mine.map((n) => n.name),
        [keyword, plainKeyword],
      );
      assert.deepEqual(figures(mine[0]), [3, 3, 350, ['tiktok', 'youtube']], 'k4 was published before the window');
      assert.deepEqual([mine[0]!.trend?.id, mine[0]!.trend?.status, mine[0]!.trend?.burstScore], [evidence.keyword, 'emerging', 4.2]);
      assert.deepEqual(figures(mine[1]), [2, 2, 320, ['tiktok', 'youtube']]);
      assert.equal(mine[1]!.trend, null, 'a keyword no trend was detected for');

      const twoDays = await names('kind=keyword&windowHours=48');
      assert.deepEqual(figures(twoDays.data.find((n) => n.name === keyword)), [4, 4, 1350, ['tiktok', 'youtube']]);
    });

    it('when sounds or topics are asked for, then they come likewise; with a status, only names with a trend of that status', async () => {
      const sounds = await names('kind=sound&windowHours=24');
      const mySound = sounds.data.find((n) => n.name === sound);
      assert.deepEqual(figures(mySound), [2, 2, 20, ['tiktok']]);
      assert.equal(mySound!.trend?.status, 'peaking');
      assert.ok(!sounds.data.some((n) => n.name === keyword), 'a keyword is not a sound');

      const topics = await names('windowHours=24');
      assert.equal(topics.kind, 'topic', 'topics by default');
      const myTopic = topics.data.find((n) => n.name === topic);
      assert.deepEqual(figures(myTopic), [2, 2, 350, ['youtube']]);
      assert.equal(myTopic!.trend?.status, 'peaking');

      const live = await names('kind=keyword&windowHours=24&status=live');
      assert.ok(live.data.some((n) => n.name === keyword));
      assert.ok(!live.data.some((n) => n.name === plainKeyword), 'no trend, so no status to match');
      const peaking = await names('kind=keyword&windowHours=24&status=peaking');
      assert.ok(!peaking.data.some((n) => n.name === keyword));
    });

    it('when topics are asked for with a bad kind, status or window, then 400 names each field', async () => {
      const res = await get('/api/trends/topics?kind=mood&status=viral&windowHours=0');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path).sort(), [
        'query.kind',
        'query.status',
        'query.windowHours',
      ]);
      assert.equal((await get('/api/trends/topics?windowHours=721')).status, 400);
    });
  });
});
