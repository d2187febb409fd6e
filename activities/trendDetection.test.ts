/**
 * Trend detection against each name's own baseline, on trend_videos rows the test writes in
 * daily windows counted back from a fixed run time (data time): evergreen names, a new wave, a
 * solo viral hit, a fizzle and a low-rate tag that jumps; then a wave's whole life across runs,
 * and what an incremental run may and may not do.
 */
import assert from 'node:assert/strict';
import { DetectedTrend } from '../db/models';
import { realClock } from '../lib/clock';
import { audienceStreamKey } from '../lib/domain/events';
import { trendSettings, type TrendSettings } from '../lib/domain/trendSettings';
import { resetDb, testAppDb, testConfig, testDb, testLogger, testRedis } from '../test/harness';
import { creators, postVideos } from '../test/trendFixtures';
import { analyzeTrends } from './trends';

const DAY = 86_400_000;
/** The first run's data time; every fixture time is derived from it. */
const RUN_AT = Date.parse('2026-03-02T12:00:00.000Z');
const settings: TrendSettings = { ...trendSettings(testConfig), analysisWindowMs: DAY, baselineWindows: 6, minCreators: 3 };
const deps = () => ({ db: testAppDb(), logger: testLogger, redis: testRedis(), settings, clock: realClock() });
const analyze = (at: number, incremental = false) => analyzeTrends(deps(), { runAt: new Date(at).toISOString(), incremental });
const post = (
  at: number,
  window: number,
  who: readonly string[],
  more: { hashtags?: string[]; keywords?: string[]; velocity?: number; evidence?: boolean; discoveredAt?: number } = {},
) => postVideos({ at, windowMs: DAY, window, creators: who, ...more });

/** 40 creators post every day, all with #fyp and the title word "daily", the first 20 also with #music. */
async function evergreenWorld(at: number, days: number) {
  for (let window = 0; window < days; window++) {
    await post(at, window, creators('bg', 20), { hashtags: ['fyp', 'music'], keywords: ['daily'] });
    await post(at, window, creators('bg', 20, 20), { hashtags: ['fyp'], keywords: ['daily'] });
  }
}

const trendNames = async () => (await DetectedTrend.query(testDb()).orderBy(['kind', 'name'])).map((t) => `${t.kind}:${t.name}`);
const trend = (name: string) => DetectedTrend.query(testDb()).findOne({ kind: 'hashtag', name });

describe('trend detection against each name’s baseline (activity, real PostgreSQL)', function () {
  this.timeout(30_000);
  beforeEach(() => resetDb());
  after(() => resetDb());

  it('when a new tag, a solo hit, a fizzle, a jump and evergreen tags share a day, then only the new tag and the jump are trends', async () => {
    await evergreenWorld(RUN_AT, 7);
    await post(RUN_AT, 0, creators('wave', 3), { hashtags: ['newwave'] });
    // One creator, huge views, three videos with its own tag.
    for (let i = 0; i < 3; i++) await post(RUN_AT, 0, ['solo'], { hashtags: ['solohit'], velocity: 5e6 });
    await post(RUN_AT, 0, creators('fizz', 2), { hashtags: ['fizzle'] });
    // One creator a day for six days, then seven.
    for (let window = 1; window <= 6; window++) await post(RUN_AT, window, [`lr${window}`], { hashtags: ['lowrate'] });
    await post(RUN_AT, 0, creators('lrnow', 7), { hashtags: ['lowrate'] });

    const result = await analyze(RUN_AT);

    assert.deepEqual(
      await trendNames(),
      ['hashtag:lowrate', 'hashtag:newwave'],
      'no evergreen tag, keyword or format, no solo hit, no fizzle',
    );
    assert.deepEqual(result.newTrends.map((t) => t.name).sort(), ['lowrate', 'newwave']);
    const wave = (await trend('newwave'))!;
    assert.deepEqual([wave.status, wave.creatorCount, wave.firstSeenAt?.getTime()], ['emerging', 3, RUN_AT - DAY / 2]);
    assert.ok(wave.baseline! < 0.5 && wave.burstScore! >= settings.burstThreshold, `baseline ${wave.baseline}, burst ${wave.burstScore}`);
    const jump = (await trend('lowrate'))!;
    assert.ok(jump.baseline! > 1 && jump.baseline! < 2, `a tag used once a day has a baseline near 1 (${jump.baseline})`);
    const [point] = await testDb()('detected_trend_points').where('trendId', wave.id);
    assert.deepEqual(
      [point.baseline, point.burstScore],
      [wave.baseline, wave.burstScore],
      'the point carries the run’s baseline and burst',
    );
  });

  it('when an evergreen tag is used by 20 creators every day for a week of daily runs, then no run reports it', async () => {
    await evergreenWorld(RUN_AT + 6 * DAY, 13);
    for (let day = 0; day <= 6; day++) await analyze(RUN_AT + day * DAY);
    assert.deepEqual(await trendNames(), []);
  });

  it('when a dense tag’s newest slice arrives from a full follow page, then it is not evidence: the tag and the names it carries stay quiet', async () => {
    await evergreenWorld(RUN_AT, 7);
    // #recipe: 4 creators a day all week; a full page brings 40 of today's at once.
    for (let window = 0; window < 7; window++) await post(RUN_AT, window, creators(`r${window}-`, 4), { hashtags: ['recipe'] });
    await post(RUN_AT, 0, creators('page', 40), { hashtags: ['recipe'], keywords: ['kitchen'], evidence: false });
    await analyze(RUN_AT);
    assert.deepEqual(await trendNames(), []);
    // The same videos as evidence: proof the fixture would otherwise burst.
    await testDb()('trend_videos').update({ evidence: true });
    await analyze(RUN_AT + DAY / 4);
    assert.ok((await trendNames()).length > 0, 'counted, the slice would look like a burst');
  });

  it('when a wave’s creators all carry a word others use every day, then the wave is the trend and the word, its companion, is not', async () => {
    await evergreenWorld(RUN_AT, 7);
    for (let window = 0; window < 7; window++) await post(RUN_AT, window, creators(`w${window}-`, 5), { keywords: ['workout'] });
    // Eight creators take up #liftoff today, every video also titled "workout".
    await post(RUN_AT, 0, creators('lift', 8), { hashtags: ['liftoff'], keywords: ['workout'] });
    await analyze(RUN_AT);
    assert.deepEqual(await trendNames(), ['hashtag:liftoff']);
  });

  it('when the product has just started (no earlier day known), then even a tag of 30 creators is no trend yet', async () => {
    await post(RUN_AT, 0, creators('c', 30), { hashtags: ['brandnew'] });
    await analyze(RUN_AT);
    assert.deepEqual(await trendNames(), []);
  });

  it('when the trailing week was only seen looking back (the product’s first run found it all), then it is no baseline: a new tag is no trend yet; watched, it is', async () => {
    const week = async (discoveredAt?: number) => {
      for (let window = 1; window < 7; window++) await post(RUN_AT, window, creators('bg', 5), { hashtags: ['fyp'], discoveredAt });
      await post(RUN_AT, 0, creators('bg', 5), { hashtags: ['fyp'], discoveredAt });
      await post(RUN_AT, 0, creators('cook', 4), { hashtags: ['cooking'], discoveredAt });
    };
    await week(RUN_AT - 60_000);
    await analyze(RUN_AT);
    assert.deepEqual(await trendNames(), [], 'no window was watched: nothing to compare with');

    await resetDb();
    await week();
    await analyze(RUN_AT);
    assert.deepEqual(await trendNames(), ['hashtag:cooking'], 'the same week watched as it happened');
  });

  it('when a wave rises, plateaus and falls over daily runs, then it is emerging, emerging, peaking, fading, ended; an incremental run in between changes nothing', async () => {
    const run = (n: number) => RUN_AT + n * DAY;
    await evergreenWorld(run(4), 11);
    const adopters = [3, 6, 6, 2, 0];
    for (const [n, count] of adopters.entries()) await post(run(n), 0, creators(`w${n}-`, count), { hashtags: ['wave'] });
    const standing = async () => {
      const t = (await trend('wave'))!;
      return [t.status, t.missedRuns, t.endedAt?.getTime() ?? null];
    };

    await analyze(run(0));
    assert.deepEqual(await standing(), ['emerging', 0, null]);
    await analyze(run(1));
    assert.deepEqual(await standing(), ['emerging', 0, null], 'adoption still rises');
    await analyze(run(2));
    assert.deepEqual(await standing(), ['peaking', 0, null], 'adoption flat, the trend still above its baseline');

    // An incremental run never counts a miss: the wave (2 creators) no longer qualifies, yet nothing moves.
    const incremental = await analyze(run(3) - 3_600_000, true);
    assert.deepEqual([incremental.fading, incremental.ended], [0, 0]);
    assert.deepEqual(await standing(), ['peaking', 0, null]);

    await analyze(run(3));
    assert.deepEqual(await standing(), ['fading', 1, null]);
    await analyze(run(4) - 3_600_000, true);
    assert.deepEqual(await standing(), ['fading', 1, null], 'an incremental run never ends a trend');
    await analyze(run(4));
    assert.deepEqual(await standing(), ['ended', 2, run(4)]);

    const points = await testDb()('detected_trend_points')
      .where('trendId', (await trend('wave'))!.id)
      .orderBy('at');
    assert.deepEqual(
      points.map((p: { at: Date; status: string; creatorCount: number }) => [p.at.getTime(), p.status, p.creatorCount]),
      [
        [run(0), 'emerging', 3],
        [run(1), 'emerging', 6],
        [run(2), 'peaking', 6],
        [run(3), 'fading', 2],
        [run(4), 'ended', 0],
      ],
    );
    // Trend Watch's live events: the wave announced when it was detected, when it peaked and when it faded, once each.
    const events = (await testRedis().xrange(audienceStreamKey({ trendWatch: true }), '-', '+')).map(([, fields]) =>
      JSON.parse(fields[fields.indexOf('e') + 1]!),
    );
    assert.deepEqual(
      events.filter((e) => e.data.name === 'wave').map((e) => [e.type, e.data.previousStatus, e.data.detectedAt]),
      [
        ['trend.detected', null, new Date(run(0)).toISOString()],
        ['trend.peaking', 'emerging', new Date(run(2)).toISOString()],
        ['trend.fading', 'peaking', new Date(run(3)).toISOString()],
      ],
    );
  });

  it('when an incremental run sees a new wave, then it announces it at once; the full run of the same data then only takes over', async () => {
    await evergreenWorld(RUN_AT, 7);
    await post(RUN_AT, 0, creators('wave', 4), { hashtags: ['early'] });
    const incremental = await analyze(RUN_AT - 3_600_000, true);
    assert.deepEqual(
      incremental.newTrends.map((t) => t.name),
      ['early'],
    );
    assert.equal((await trend('early'))!.status, 'emerging');
    const full = await analyze(RUN_AT);
    assert.deepEqual(full.newTrends, [], 'announced once');
    assert.equal((await trend('early'))!.windowEnd.getTime(), RUN_AT);
  });
});
