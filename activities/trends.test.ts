/**
 * Trend analysis across runs, on rows the test writes: a trend that stops qualifying fades, then
 * ends, and comes back as a new wave. Run times are derived from the test's clock; a steady
 * background of creators gives every window a known volume, so the tag has a history to burst from.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createActivities } from '.';
import { DetectedTrend, TrendVideo } from '../db/models';
import { resetDb, testDb } from '../test/harness';
import { creators, postVideos } from '../test/trendFixtures';
import { createTestWorker } from '../test/worker';

const HOUR = 3_600_000;

describe('trend analysis across runs (activity, real PostgreSQL)', function () {
  this.timeout(30_000);
  const tag = `fade${randomUUID().slice(0, 8)}`;
  const t0 = Date.now();
  const run = (n: number) => new Date(t0 + n * 6 * HOUR); // one analysis run every 6 h
  let activities: ReturnType<typeof createActivities>;

  before(async () => {
    await resetDb();
    const { deps } = await createTestWorker({ settings: { analysisWindowMs: 6 * HOUR, minCreators: 3 } });
    activities = createActivities(deps);
    // 20 creators post in every 6 h window from 36 h before run 0 to run 5.
    for (let window = 0; window <= 11; window++)
      await postVideos({ at: run(5).getTime(), windowMs: 6 * HOUR, window, creators: creators('UCbg', 20), hashtags: ['daily'] });
  });
  after(() => resetDb());

  /** The creators' videos with the tag, each published and last seen an hour before `at`. */
  async function videos(at: Date, creators: string[], suffix: string) {
    await TrendVideo.query(testDb()).insert(
      creators.map((c, i) => ({
        platform: 'youtube' as const,
        platformVideoId: `${tag}${suffix}${i}`,
        creatorId: c,
        publishedAt: new Date(at.getTime() - HOUR),
        hashtags: [tag],
        velocity: 1000 + i,
        acceleration: 10,
        snapshotCount: 2,
        lastSnapshotAt: new Date(at.getTime() - HOUR),
      })),
    );
  }
  const trend = () => DetectedTrend.query(testDb()).findOne({ kind: 'hashtag', name: tag });
  const points = async () =>
    (
      await testDb()('detected_trend_points')
        .where('trendId', (await trend())!.id)
        .orderBy('at')
    ).map((p: { at: Date; status: string; creatorCount: number }) => [p.at.getTime(), p.status, p.creatorCount]);

  it('when a trend qualifies in one run and not in the next two, then it goes fading, then ended (with when), and a later wave revives it', async () => {
    await videos(run(0), ['UCa', 'UCb', 'UCc'], 'x');
    const first = await activities.analyzeTrends({ runAt: run(0).toISOString() });
    assert.ok(first.newTrends.some((t) => t.name === tag));
    const detected = (await trend())!;
    assert.deepEqual([detected.status, detected.missedRuns, detected.endedAt], ['emerging', 0, null]);

    // Next run: only one of its creators posted in the window (too few), the others are gone.
    await videos(run(1), ['UCa'], 'y');
    const second = await activities.analyzeTrends({ runAt: run(1).toISOString() });
    assert.equal(second.fading, 1);
    const fading = (await trend())!;
    assert.deepEqual([fading.status, fading.missedRuns, fading.creatorCount, fading.endedAt], ['fading', 1, 1, null]);
    assert.ok(fading.score < detected.score, "the score is the window's real one, not the last qualifying one");
    assert.equal(fading.previousScore, detected.score);
    assert.equal(fading.lastDetectedAt.getTime(), run(0).getTime(), 'last detected stays the run that saw it');

    // The same run retried (Temporal may run an activity twice) counts no second miss.
    await activities.analyzeTrends({ runAt: run(1).toISOString() });
    assert.equal((await trend())!.missedRuns, 1);

    const third = await activities.analyzeTrends({ runAt: run(2).toISOString() });
    assert.equal(third.ended, 1);
    const ended = (await trend())!;
    assert.deepEqual([ended.status, ended.missedRuns, ended.score, ended.endedAt?.getTime()], ['ended', 2, 0, run(2).getTime()]);

    await activities.analyzeTrends({ runAt: run(3).toISOString() });
    assert.deepEqual(
      await points(),
      [
        [run(0).getTime(), 'emerging', 3],
        [run(1).getTime(), 'fading', 1],
        [run(2).getTime(), 'ended', 0],
      ],
      'one point per run up to the end, none after',
    );

    // A new wave with the same tag: emerging again, announced as new. The first wave is in its
    // baseline now, so it takes more creators than the first time to burst.
    await videos(run(4), ['UCd', 'UCe', 'UCf', 'UCg', 'UCh', 'UCi'], 'z');
    const revived = await activities.analyzeTrends({ runAt: run(4).toISOString() });
    assert.ok(revived.newTrends.some((t) => t.name === tag));
    const again = (await trend())!;
    assert.deepEqual([again.status, again.missedRuns, again.endedAt, again.previousScore], ['emerging', 0, null, null]);
    assert.equal(again.firstDetectedAt.getTime(), run(0).getTime());
  });

  it('when a video stays marked trending but has no snapshot in the window, then analysis puts it back to monitoring', async () => {
    const [video] = (await TrendVideo.query(testDb())
      .insert([
        {
          platform: 'youtube',
          platformVideoId: `${tag}stale`,
          creatorId: 'UCstale',
          publishedAt: run(4),
          status: 'trending',
          velocity: 9e6,
          snapshotCount: 3,
          lastSnapshotAt: new Date(run(5).getTime() - 7 * HOUR),
        },
      ])
      .returning('*')) as unknown as TrendVideo[];
    await activities.analyzeTrends({ runAt: run(5).toISOString() });
    assert.equal((await TrendVideo.query(testDb()).findById(video!.id))?.status, 'monitoring');
  });
});
