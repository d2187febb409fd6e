/**
 * The monitor benchmark at a tiny size (bench/trendMonitors/run.ts), for the tests that keep it
 * from rotting on each Temporal engine: 20 monitors, a 4 s cycle, 6 s observed. The checks are of
 * what was measured, never a figure.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { runMonitorBench } from '../bench/trendMonitors/run';
import { loadConfig } from '../lib/config';
import { testConfig, testDb, testLogger, testRedis, testWorkflowBundle, uniqueTaskQueue } from './harness';

/** Runs it on the Temporal at `TEMPORAL_ADDRESS` in `overrides` (the test's dev server when absent) and checks the run. */
export async function runTinyMonitorBench(overrides: Record<string, string> = {}): Promise<void> {
  const config = loadConfig({
    ...process.env,
    ...Object.fromEntries(Object.entries(testConfig).map(([k, v]) => [k, String(v)])),
    PLATFORMS_ENABLED: 'youtube,tiktok',
    TREND_GRID_POINTS: '2',
    TREND_SNAPSHOT_BATCH_MS: '200',
    // A world of its own: its video ids are new to the test database, whatever ran before.
    SIMULATOR_SEED: String(randomInt(1, 2 ** 31)),
    ...overrides,
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
  assert.equal(result.workflowTaskTimeouts, 0);
  assert.equal(result.historiesSampled, 5);
  assert.ok(lines.some((l) => l.startsWith('started 20 monitors')));
}
