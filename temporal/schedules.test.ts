import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { trendSettings } from '../lib/domain/trendSettings';
import { eventually } from '../test/eventually';
import { resetDb, testConfig, testTemporal } from '../test/harness';
import { createTestWorker } from '../test/worker';
import { ensureTrendSchedules, trendScheduleDefinitions } from './schedules';
import { TREND_SCHEDULES } from './contract';

async function deleteSchedules(client: Client): Promise<void> {
  for (const id of Object.values(TREND_SCHEDULES))
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
}

describe('Trend Watch schedules', function () {
  this.timeout(60_000);
  let client: Client;

  before(async () => {
    client = (await testTemporal()).client;
    await deleteSchedules(client);
    await resetDb();
  });
  after(() => deleteSchedules(client));

  it('when ensured again, then three schedules exist with skip overlap, the catch-up window and the configured intervals: created, left alone when unchanged, updated when changed', async () => {
    const settings = trendSettings({ ...testConfig, TIME_SCALE: 1 });
    const defs = trendScheduleDefinitions(settings, ['youtube']);
    const opts = { taskQueue: 'schedules-test', catchupWindowMs: settings.catchupWindowMs };
    assert.deepEqual(await ensureTrendSchedules(client, defs, opts), { discovery: 'created', analysis: 'created', cleanup: 'created' });
    assert.deepEqual(await ensureTrendSchedules(client, defs, opts), {
      discovery: 'unchanged',
      analysis: 'unchanged',
      cleanup: 'unchanged',
    });
    const longerAnalysis = trendScheduleDefinitions({ ...settings, analysisIntervalMs: 12 * 3_600_000 }, ['youtube']);
    assert.deepEqual(await ensureTrendSchedules(client, longerAnalysis, opts), {
      discovery: 'unchanged',
      analysis: 'updated',
      cleanup: 'unchanged',
    });
    assert.equal((await client.schedule.getHandle(TREND_SCHEDULES.analysis).describe()).spec.intervals?.[0]?.every, 12 * 3_600_000);
    assert.deepEqual(await ensureTrendSchedules(client, defs, opts), { discovery: 'unchanged', analysis: 'updated', cleanup: 'unchanged' });

    const discovery = await client.schedule.getHandle(TREND_SCHEDULES.discovery).describe();
    assert.equal(discovery.policies.overlap, 'SKIP');
    assert.equal(discovery.policies.catchupWindow, 3_600_000);
    assert.equal(discovery.spec.intervals?.[0]?.every, 4 * 3_600_000);
    assert.equal(discovery.action.type, 'startWorkflow');
    assert.equal((await client.schedule.getHandle(TREND_SCHEDULES.analysis).describe()).spec.intervals?.[0]?.every, 6 * 3_600_000);
    assert.equal((await client.schedule.getHandle(TREND_SCHEDULES.cleanup).describe()).spec.intervals?.[0]?.every, 24 * 3_600_000);
  });

  it('when a schedule is paused, then it stays paused across an update and takes no action; a trigger runs a workflow at once', async () => {
    const { worker, taskQueue, deps } = await createTestWorker();
    const defs = trendScheduleDefinitions({ ...deps.settings, cleanupIntervalMs: 1500 }, ['youtube']).filter((d) => d.name === 'cleanup');
    await ensureTrendSchedules(client, defs, { taskQueue, catchupWindowMs: 60_000 });
    const handle = client.schedule.getHandle(TREND_SCHEDULES.cleanup);
    await handle.pause('test: paused');
    // A pause reaches the schedule as a signal; wait until it shows, as an admin's pause would
    // have long before a worker restarts and updates the schedule.
    await eventually(
      () => handle.describe(),
      (d) => d.state.paused,
    );
    // A changed configuration (a longer catch-up window) makes a real update.
    assert.deepEqual(await ensureTrendSchedules(client, defs, { taskQueue, catchupWindowMs: 120_000 }), { cleanup: 'updated' });
    assert.equal((await handle.describe()).state.paused, true, 'an update keeps the pause');

    await worker.runUntil(async () => {
      const before = (await handle.describe()).info.recentActions.length;
      await new Promise((r) => setTimeout(r, 3500)); // two intervals pass while paused
      assert.equal((await handle.describe()).info.recentActions.length, before, 'no action while paused');

      await handle.trigger();
      const described = await eventually(
        () => handle.describe(),
        (d) => d.info.recentActions.length > before,
      );
      const action = described.info.recentActions.at(-1)!;
      assert.match(action.action.workflow.workflowId, /^trend-cleanup-/, 'the run id derives from the schedule');
      const result = await client.workflow.getHandle(action.action.workflow.workflowId).result();
      assert.equal(typeof result.archived, 'number');
    });
  });
});
