import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { AuditLog, TrendVideo } from '../../db/models';
import { ensureTrendSchedules, trendScheduleDefinitions } from '../../temporal/schedules';
import { TREND_SCHEDULES, trendMonitorWorkflowId } from '../../temporal/workflowIds';
import { startTestApi, type TestApi } from '../../test/api';
import { resetDb, testDb, testTemporal } from '../../test/harness';
import { eventually } from '../../test/eventually';
import { createUser, type TestUser } from '../../test/users';
import { createTestWorker } from '../../test/worker';

describe('admin control of Trend Watch', function () {
  this.timeout(60_000);
  let api: TestApi;
  let admin: TestUser;
  let client: Client;

  before(async () => {
    await resetDb();
    api = await startTestApi();
    admin = await createUser(api, { role: 'admin' });
    client = (await testTemporal()).client;
  });
  after(() => api.close());

  describe('schedules', () => {
    let worker: Awaited<ReturnType<typeof createTestWorker>>;
    before(async () => {
      for (const id of Object.values(TREND_SCHEDULES)) await client.schedule.getHandle(id).delete().catch(() => undefined);
      worker = await createTestWorker();
      await ensureTrendSchedules(client, trendScheduleDefinitions(worker.deps.settings, ['youtube']), { taskQueue: worker.taskQueue, catchupWindowMs: 60_000 });
    });
    after(async () => {
      for (const id of Object.values(TREND_SCHEDULES)) await client.schedule.getHandle(id).delete().catch(() => undefined);
    });

    it('when an admin lists schedules, then each shows its state, interval and next runs', async () => {
      const res = await api.request('GET', '/api/admin/schedules', { token: admin.accessToken });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data.map((s: { name: string }) => s.name), ['discovery', 'analysis', 'cleanup']);
      const discovery = res.body.data[0];
      assert.equal(discovery.exists, true);
      assert.equal(discovery.paused, false);
      assert.equal(discovery.overlap, 'SKIP');
      assert.equal(discovery.everyMs, 4 * 3_600_000);
      assert.ok(discovery.nextRunsAt.length > 0);
    });

    it('when an admin pauses and unpauses a schedule, then its state changes and both are audited with before/after', async () => {
      const paused = await api.request('POST', '/api/admin/schedules/analysis/pause', { token: admin.accessToken, body: { note: 'maintenance' } });
      assert.equal(paused.status, 200);
      assert.equal(paused.body.schedule.paused, true);
      assert.equal((await client.schedule.getHandle(TREND_SCHEDULES.analysis).describe()).state.note, 'maintenance');
      const unpaused = await api.request('POST', '/api/admin/schedules/analysis/unpause', { token: admin.accessToken });
      assert.equal(unpaused.body.schedule.paused, false);
      const [entry] = await AuditLog.query(testDb()).where({ action: 'admin.schedule_pause', targetId: TREND_SCHEDULES.analysis });
      assert.deepEqual([entry?.before, entry?.after], [{ paused: false }, { paused: true }]);
    });

    it('when an admin triggers a schedule, then a run starts now and completes on the worker', async () => {
      await worker.worker.runUntil(async () => {
        const res = await api.request('POST', '/api/admin/schedules/cleanup/trigger', { token: admin.accessToken });
        assert.equal(res.status, 202);
        const described = await eventually(() => client.schedule.getHandle(TREND_SCHEDULES.cleanup).describe(), (d) => d.info.recentActions.length > 0);
        const run = described.info.recentActions.at(-1)!.action.workflow.workflowId;
        assert.match(run, /^trend-cleanup-/);
        assert.equal(typeof (await client.workflow.getHandle(run).result()).archived, 'number');
      });
    });

    it('when a backfill range is reversed or the schedule unknown, then 400 and nothing runs', async () => {
      const reversed = await api.request('POST', '/api/admin/schedules/discovery/backfill', { token: admin.accessToken, body: { start: '2026-11-02T00:00:00Z', end: '2026-11-01T00:00:00Z' } });
      assert.equal(reversed.status, 400);
      assert.equal(reversed.body.error.details[0].path, 'body.end');
      const unknown = await api.request('POST', '/api/admin/schedules/everything/pause', { token: admin.accessToken, body: {} });
      assert.equal(unknown.status, 400);
      const ok = await api.request('POST', '/api/admin/schedules/discovery/backfill', { token: admin.accessToken, body: { start: new Date(Date.now() - 3_600_000).toISOString(), end: new Date().toISOString() } });
      assert.equal(ok.status, 202);
    });
  });

  describe('monitors', () => {
    it('when an admin pauses, resumes, resets and stops a monitor, then the running workflow follows each step', async () => {
      const { worker, taskQueue, deps } = await createTestWorker();
      const [video] = await deps.platforms.client('youtube').discoverFresh({ publishedAfter: new Date(Date.now() - 86_400_000), limit: 1 });
      const row = await TrendVideo.query(testDb()).insertAndFetch({ platform: 'youtube', platformVideoId: video!.id, creatorId: video!.creatorId, publishedAt: new Date(video!.publishedAt) });
      const workflowId = trendMonitorWorkflowId('youtube', video!.id);
      const path = `/api/admin/monitors/youtube/${video!.id}`;
      await worker.runUntil(async () => {
        const handle = await client.workflow.start('trendVideoMonitor', {
          taskQueue, workflowId, args: [{ trendVideoId: row.id, platform: 'youtube', platformVideoId: video!.id, snapshotIntervalMs: 3_600_000, totalSlots: 84 }],
        });
        await eventually(() => api.request('GET', path, { token: admin.accessToken }), (r) => r.body.state?.snapshotsTaken === 1);

        assert.equal((await api.request('POST', `${path}/pause`, { token: admin.accessToken })).status, 202);
        const paused = await eventually(() => api.request('GET', path, { token: admin.accessToken }), (r) => r.body.state?.status === 'paused');
        assert.equal(paused.body.state.status, 'paused');
        assert.equal((await api.request('POST', `${path}/resume`, { token: admin.accessToken })).status, 202);
        const resumed = await eventually(() => api.request('GET', path, { token: admin.accessToken }), (r) => r.body.state?.status === 'monitoring');
        assert.equal(resumed.body.searchAttributes.Platform, 'youtube');

        const bad = await api.request('POST', `${path}/reset`, { token: admin.accessToken, body: { eventId: 1 } });
        assert.equal(bad.status, 400, 'event 1 is not a completed workflow task');
        const reset = await api.request('POST', `${path}/reset`, { token: admin.accessToken, body: {} });
        assert.equal(reset.status, 200, JSON.stringify(reset.body));
        assert.notEqual(reset.body.runId, handle.firstExecutionRunId);

        const stop = await api.request('POST', `${path}/stop`, { token: admin.accessToken, body: { reason: 'not interesting' } });
        assert.equal(stop.status, 202);
        const result = await client.workflow.getHandle(workflowId).result();
        assert.equal(result.status, 'stopped');
      });
      assert.equal((await TrendVideo.query(testDb()).findById(row.id))?.status, 'dropped');
      assert.equal(await AuditLog.query(testDb()).whereIn('action', ['admin.monitor_pause', 'admin.monitor_resume', 'admin.monitor_reset', 'admin.monitor_stop']).resultSize(), 4);
    });

    it('when the monitor does not exist, then 404; a malformed id is 400', async () => {
      assert.equal((await api.request('POST', '/api/admin/monitors/youtube/nosuchvideo/pause', { token: admin.accessToken })).status, 404);
      assert.equal((await api.request('GET', '/api/admin/monitors/myspace/abc', { token: admin.accessToken })).status, 400);
    });
  });
});
