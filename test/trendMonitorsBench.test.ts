/**
 * A tiny run of the monitor benchmark (bench/trendMonitors/run.ts), so it never rots: 20 monitors
 * on the test namespace, a 4 s cycle, 6 s observed. It checks that every monitor stayed open, that
 * wake-ups were measured and served by shared platform calls without failures, never a figure.
 */
import assert from 'node:assert/strict';
import { loadConfig } from '../lib/config';
import { runMonitorBench } from '../bench/trendMonitors/run';
import { testConfig, testDb, testLogger, testRedis, testWorkflowBundle, uniqueTaskQueue } from './harness';

describe('monitor benchmark (tiny run, real dev server, PostgreSQL and Redis)', function () {
  this.timeout(120_000);

  it('when it runs, then every monitor is open at steady state and its wake-ups are measured, batched and written', async () => {
    const config = loadConfig({
      ...process.env,
      ...Object.fromEntries(Object.entries(testConfig).map(([k, v]) => [k, String(v)])),
      PLATFORMS_ENABLED: 'youtube,tiktok',
      TREND_GRID_POINTS: '2',
      TREND_SNAPSHOT_BATCH_MS: '200',
    });
    const lines: string[] = [];
    const result = await runMonitorBench(
      { monitors: 20, intervalMs: 4000, observeMs: 6000, startConcurrency: 8, historySample: 5 },
      {
        config,
        db: testDb(),
        redis: testRedis(),
        logger: testLogger,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: uniqueTaskQueue('bench-monitors'),
        workflowBundle: await testWorkflowBundle(),
        progress: (line) => lines.push(line),
      },
    );
    assert.equal(result.monitors, 20);
    assert.equal(result.open, 20, 'every monitor still open while observed');
    assert.ok(result.wakeUps >= 20, `each monitor woke at least once in 6 s of a 4 s cycle (${result.wakeUps})`);
    assert.ok(result.latenessP99 > 0 && Number.isFinite(result.latenessP99));
    for (const calls of result.calls) assert.ok(calls.calls > 0 && calls.idsPerCall > 1, `${calls.platform}: calls shared by several ids`);
    assert.equal(result.snapshotErrors, 0);
    assert.equal(result.historiesSampled, 5);
    assert.ok(lines.some((l) => l.startsWith('started 20 monitors')));
  });
});
