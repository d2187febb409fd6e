/**
 * A tiny run of the trend quality benchmark (bench/trendQuality), so it never rots: one seed, a
 * small world, a day and a half of simulated time through the real activities on the test
 * database. It checks the run's shape and the report's consistency, never quality figures or timings.
 */
import assert from 'node:assert/strict';
import { runTrendQuality, type TrendQualityRun } from '../bench/trendQuality/driver';
import { resetDb, testAppDb, testDb, testLogger, testRedis } from './harness';

const HOUR = 3_600_000;

describe('trend quality benchmark (tiny run, real PostgreSQL and Redis)', function () {
  this.timeout(240_000);
  const start = Date.UTC(2026, 2, 2);
  let run: TrendQualityRun;

  before(async () => {
    await resetDb();
    run = await runTrendQuality(
      // Fewer wake-ups (each instant is a round of queries): snapshots every 6 h, a day's backlog at the first discovery.
      { db: testAppDb(), redis: testRedis(), logger: testLogger, env: { TREND_SNAPSHOT_HOURS: '6', TREND_FRESH_DAYS: '1' } },
      { seed: 7, days: 1, warmupHours: 12, creators: 5, platforms: ['youtube', 'tiktok'], start },
    );
  });
  after(() => resetDb());

  it('when the run is over, then it covered the ground truth, discovered videos, snapshotted them and ran every step on schedule', () => {
    assert.ok(run.truth.length > 0, 'the seed has ground-truth events');
    assert.equal(run.runStart, start - 12 * HOUR);
    assert.equal(run.runEnd, start + 24 * HOUR);
    const { counts } = run;
    assert.ok(counts.videosDiscovered > 0, 'discovery found videos');
    assert.ok(counts.snapshots >= counts.videosDiscovered, 'every new video was snapshotted at once, and more later');
    assert.equal(counts.snapshotFailures, 0);
    assert.equal(counts.discoveryFailures, 0);
    // 36 h: discovery (each with its incremental analysis) every 4 h from the start, full analysis every 6 h, cleanup daily.
    assert.equal(counts.discoveryRuns, 10);
    assert.equal(counts.analysisRuns, 10 + 6);
    assert.equal(counts.cleanupRuns, 1);
    assert.ok(counts.platformCalls > 0 && counts.idsPerCall !== null && counts.idsPerCall >= 1);
  });

  it('when the run is over, then every snapshot and analysis point carries data time inside the run (the virtual clock reached the simulator)', async () => {
    const snapshots = await testDb()('trend_snapshots').min('taken_at as first').max('taken_at as last').first();
    assert.ok(snapshots?.first.getTime() >= run.runStart && snapshots?.last.getTime() <= run.runEnd);
    for (const p of run.points) assert.ok(p.at >= run.runStart && p.at <= run.runEnd);
  });

  it("when the run is scored, then the report's numbers are consistent", () => {
    const { report } = run;
    assert.ok(report.detected <= report.waveCount);
    if (report.recall !== null) assert.ok(report.recall >= 0 && report.recall <= 1);
    else assert.equal(report.waveCount, 0);
    assert.equal(report.truePositives + report.falsePositives.length, report.reportedNames);
    if (report.precision !== null) assert.equal(report.precision, report.truePositives / report.reportedNames);
    for (const decoy of report.decoysReported) assert.ok(report.falsePositives.includes(decoy));
    assert.equal(report.waves.filter((w) => w.leadHours !== null).length, report.detected);
  });
});
