import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { AuditLog, TrendVideo, User } from '../../../db/models';
import {
  monitorState,
  TREND_SCHEDULES,
  TREND_STATUS,
  trendMonitorWorkflowId,
  WORKFLOW_TYPES,
  type Workflows,
} from '../../../temporal/contract';
import { ensureTrendSchedules, trendScheduleDefinitions } from '../../../temporal/schedules';
import { recordHistory } from '../../../test/histories';
import { startTestApi, type TestApi } from '../../../test/api';
import { eventually } from '../../../test/eventually';
import { testDb, testTemporal } from '../../../test/harness';
import { createUser, type TestUser } from '../../../test/users';
import { createTestWorker } from '../../../test/worker';

const deleteSchedules = (client: Client) =>
  Promise.all(
    Object.values(TREND_SCHEDULES).map((id) =>
      client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined),
    ),
  );

describe('admin control of Trend Watch', function () {
  this.timeout(60_000);
  let api: TestApi;
  let admin: TestUser;
  let client: Client;
  const post = (path: string, body: unknown = {}) => api.request('POST', path, { token: admin.accessToken, body });
  const get = (path: string) => api.request('GET', path, { token: admin.accessToken });
  const auditOf = (action: string, targetId: string) =>
    AuditLog.query(testDb()).where({ action, targetId, actorId: admin.id }).orderBy('id');

  before(async () => {
    api = await startTestApi();
    admin = await createUser(api, { role: 'admin' });
    client = (await testTemporal()).client;
  });
  after(async () => {
    await AuditLog.query(testDb()).where('actorId', admin.id).delete();
    await User.query(testDb()).deleteById(admin.id);
    await api.close();
  });

  it('when a non-admin calls the schedule or monitor routes, then 403', async () => {
    const user = await createUser(api, { plan: 'enterprise' });
    try {
      for (const [method, path] of [
        ['GET', '/api/admin/schedules'],
        ['POST', '/api/admin/schedules/discovery/pause'],
        ['POST', '/api/admin/monitors/youtube/abc/stop'],
      ]) {
        assert.equal(
          (await api.request(method!, path!, { token: user.accessToken, body: method === 'POST' ? {} : undefined })).status,
          403,
          path,
        );
      }
    } finally {
      await User.query(testDb()).deleteById(user.id);
    }
  });

  describe('schedules', () => {
    let worker: Awaited<ReturnType<typeof createTestWorker>>;
    before(async () => {
      await deleteSchedules(client);
      worker = await createTestWorker();
      // The configured (long) intervals: nothing runs on its own while the tests look.
      await ensureTrendSchedules(client, trendScheduleDefinitions(worker.deps.settings, ['youtube']), {
        taskQueue: worker.taskQueue,
        catchupWindowMs: 60_000,
      });
    });
    after(async () => {
      await deleteSchedules(client);
      // Runs a trigger or backfill started that no worker finished (nobody polls this queue now).
      for await (const run of client.workflow.list({ query: `TaskQueue = "${worker.taskQueue}" AND ExecutionStatus = "Running"` })) {
        await client.workflow
          .getHandle(run.workflowId, run.runId)
          .terminate('test over')
          .catch(() => undefined);
      }
    });

    it('when an admin lists schedules, then each shows its state, interval and next runs', async () => {
      const res = await get('/api/admin/schedules');
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.data.map((s: { name: string; exists: boolean }) => [s.name, s.exists]),
        [
          ['discovery', true],
          ['analysis', true],
          ['cleanup', true],
        ],
      );
      const discovery = res.body.data[0];
      assert.equal(discovery.scheduleId, TREND_SCHEDULES.discovery);
      assert.equal(discovery.paused, false);
      assert.equal(discovery.overlap, 'SKIP');
      assert.equal(discovery.everyMs, worker.deps.settings.discoveryIntervalMs);
      assert.ok(discovery.nextRunsAt.length > 0 && Date.parse(discovery.nextRunsAt[0]) > Date.now());
      assert.deepEqual(discovery.recentRuns, []);
    });

    it('when an admin pauses and unpauses a schedule, then Temporal follows and both are audited with before/after', async () => {
      const paused = await post('/api/admin/schedules/analysis/pause', { note: 'maintenance' });
      assert.equal(paused.status, 200);
      assert.equal(paused.body.schedule.paused, true);
      const described = await client.schedule.getHandle(TREND_SCHEDULES.analysis).describe();
      assert.deepEqual([described.state.paused, described.state.note], [true, 'maintenance']);

      const unpaused = await post('/api/admin/schedules/analysis/unpause');
      assert.equal(unpaused.body.schedule.paused, false);
      assert.equal((await client.schedule.getHandle(TREND_SCHEDULES.analysis).describe()).state.paused, false);

      const [pauseEntry] = await auditOf('admin.schedule_pause', TREND_SCHEDULES.analysis);
      assert.deepEqual(
        [pauseEntry?.before, pauseEntry?.after],
        [
          { paused: false, note: null },
          { paused: true, note: 'maintenance' },
        ],
      );
      assert.equal(pauseEntry?.ip, '127.0.0.1');
      const [unpauseEntry] = await auditOf('admin.schedule_unpause', TREND_SCHEDULES.analysis);
      assert.deepEqual(
        [(unpauseEntry?.before as { paused: boolean }).paused, (unpauseEntry?.after as { paused: boolean }).paused],
        [true, false],
      );
    });

    it('when an admin triggers a schedule, then a run starts now and completes on the worker', async () => {
      await worker.worker.runUntil(async () => {
        const res = await post('/api/admin/schedules/cleanup/trigger', { overlap: 'ALLOW_ALL' });
        assert.equal(res.status, 202);
        assert.equal(res.body.overlap, 'ALLOW_ALL');
        const described = await eventually(
          () => client.schedule.getHandle(TREND_SCHEDULES.cleanup).describe(),
          (d) => d.info.recentActions.length > 0,
        );
        const run = described.info.recentActions.at(-1)!.action.workflow.workflowId;
        assert.match(run, /^trend-cleanup-/);
        assert.equal(typeof (await client.workflow.getHandle(run).result()).archived, 'number');
      });
      const listed = await get('/api/admin/schedules');
      assert.equal(listed.body.data[2].recentRuns.length, 1);
      assert.equal((await auditOf('admin.schedule_trigger', TREND_SCHEDULES.cleanup)).length, 1);
    });

    it('when a backfill range is reversed, the overlap unknown or the schedule unknown, then 400 naming the field', async () => {
      const reversed = await post('/api/admin/schedules/discovery/backfill', {
        start: '2026-11-02T00:00:00Z',
        end: '2026-11-01T00:00:00Z',
      });
      assert.equal(reversed.status, 400);
      assert.equal(reversed.body.error.details[0].path, 'body.end');
      const badOverlap = await post('/api/admin/schedules/discovery/trigger', { overlap: 'SOMETIMES' });
      assert.equal(badOverlap.body.error.details[0].path, 'body.overlap');
      const unknown = await post('/api/admin/schedules/everything/pause');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.details[0].path, 'params.name');
      assert.equal((await auditOf('admin.schedule_backfill', TREND_SCHEDULES.discovery)).length, 0);
    });

    it('when a backfill range is valid, then 202 and it is audited with the range', async () => {
      const start = new Date(Date.now() - 3_600_000).toISOString();
      const end = new Date().toISOString();
      const ok = await post('/api/admin/schedules/analysis/backfill', { start, end, overlap: 'SKIP' });
      assert.equal(ok.status, 202, JSON.stringify(ok.body));
      const [entry] = await auditOf('admin.schedule_backfill', TREND_SCHEDULES.analysis);
      assert.deepEqual(entry?.meta, { start, end, overlap: 'SKIP' });
    });

    it('when a schedule does not exist yet, then it is listed as missing and steering it is 404', async () => {
      await client.schedule.getHandle(TREND_SCHEDULES.discovery).delete();
      const listed = await get('/api/admin/schedules');
      assert.deepEqual(listed.body.data[0], { name: 'discovery', scheduleId: TREND_SCHEDULES.discovery, exists: false });
      assert.equal((await post('/api/admin/schedules/discovery/pause')).status, 404);
    });
  });

  describe('monitors', () => {
    it('when an admin pauses, resumes, resets and stops a monitor, then the running workflow follows each step', async () => {
      const { worker, taskQueue, deps } = await createTestWorker();
      const [video] = await deps.platforms.client('youtube').discoverFresh({ publishedAfter: new Date(Date.now() - 86_400_000), limit: 1 });
      const row = await TrendVideo.query(testDb()).insertAndFetch({
        platform: 'youtube',
        platformVideoId: video!.id,
        creatorId: video!.creatorId,
        publishedAt: new Date(video!.publishedAt),
      });
      const workflowId = trendMonitorWorkflowId('youtube', video!.id);
      const path = `/api/admin/monitors/youtube/${video!.id}`;
      let resetTo = { runId: '', fromEventId: 0 };
      try {
        await worker.runUntil(async () => {
          const handle = await client.workflow.start<Workflows['trendVideoMonitor']>(WORKFLOW_TYPES.trendVideoMonitor, {
            taskQueue,
            workflowId,
            args: [
              { trendVideoId: row.id, platform: 'youtube', platformVideoId: video!.id, snapshotIntervalMs: 3_600_000, totalSlots: 84 },
            ],
          });
          // The query answers from the worker as the snapshot lands; the search attribute follows with the task's completion.
          const started = await eventually(
            () => get(path),
            (r) => r.body.state?.snapshotsTaken === 1 && r.body.searchAttributes.Platform !== undefined,
          );
          assert.deepEqual(
            [started.body.status, started.body.runId, started.body.searchAttributes.Platform],
            ['RUNNING', handle.firstExecutionRunId, 'youtube'],
          );

          assert.equal((await post(`${path}/pause`, { reason: 'checking numbers' })).status, 202);
          const paused = await eventually(
            () => get(path),
            (r) => r.body.state?.status === 'paused',
          );
          assert.equal(paused.body.state.status, 'paused');
          assert.equal((await post(`${path}/resume`)).status, 202);
          const resumed = await eventually(
            () => get(path),
            (r) => r.body.state?.status === 'monitoring',
          );
          assert.equal(resumed.body.state.status, 'monitoring');

          const bad = await post(`${path}/reset`, { eventId: 1 });
          assert.equal(bad.status, 400, 'event 1 (workflow started) is not a completed workflow task');
          const valid: number[] = bad.body.error.details[0].valid;
          assert.ok(valid.length >= 2, JSON.stringify(bad.body));
          const reset = await post(`${path}/reset`, { eventId: valid[0], reason: 'replay from the start' });
          assert.equal(reset.status, 200, JSON.stringify(reset.body));
          assert.equal(reset.body.fromEventId, valid[0]);
          assert.notEqual(reset.body.runId, handle.firstExecutionRunId);
          resetTo = { runId: reset.body.runId, fromEventId: valid[0]! };
          const afterReset = await eventually(
            () => get(path),
            (r) => r.body.runId === reset.body.runId && r.body.state !== null,
          );
          assert.equal(afterReset.body.status, 'RUNNING');

          assert.equal((await post(`${path}/stop`, { reason: 'not interesting' })).status, 202);
          const result = await client.workflow.getHandle(workflowId).result();
          assert.equal(result.status, 'dropped', 'the same word as the database');
        });
        assert.equal((await TrendVideo.query(testDb()).findById(row.id))?.status, 'dropped');
        const ended = await post(`${path}/pause`);
        assert.equal(ended.status, 409, 'an ended monitor takes no signals');

        const actions = (await AuditLog.query(testDb()).where({ targetId: workflowId, actorId: admin.id }).orderBy('id')).map(
          (e) => e.action,
        );
        assert.deepEqual(actions, ['admin.monitor_pause', 'admin.monitor_resume', 'admin.monitor_reset', 'admin.monitor_stop']);
        const [resetEntry] = await auditOf('admin.monitor_reset', workflowId);
        assert.deepEqual(resetEntry?.after, resetTo);
        const [stopEntry] = await auditOf('admin.monitor_stop', workflowId);
        assert.equal((stopEntry?.meta as { reason: string }).reason, 'not interesting');
      } finally {
        await client.workflow
          .getHandle(workflowId)
          .terminate('test over')
          .catch(() => undefined);
        await TrendVideo.query(testDb()).deleteById(row.id);
      }
    });

    it('when an admin pauses, resumes and stops a monitor, then the database, the TrendStatus search attribute, the state query and the API say paused, monitoring and dropped alike', async () => {
      const { worker, taskQueue, deps } = await createTestWorker();
      const user = await createUser(api, { plan: 'pro' });
      const [video] = await deps.platforms.client('youtube').discoverFresh({ publishedAfter: new Date(Date.now() - 86_400_000), limit: 1 });
      const workflowId = trendMonitorWorkflowId('youtube', video!.id);
      const tag = `vocab${video!.id.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
      const row = await TrendVideo.query(testDb()).insertAndFetch({
        platform: 'youtube',
        platformVideoId: video!.id,
        creatorId: video!.creatorId,
        publishedAt: new Date(video!.publishedAt),
        hashtags: [tag],
        workflowId,
      });
      const path = `/api/admin/monitors/youtube/${video!.id}`;
      const handle = client.workflow.getHandle(workflowId);
      /** The video's status as each place tells it. */
      const everywhere = async () => {
        const [dbRow, described, listed, monitor] = await Promise.all([
          TrendVideo.query(testDb()).findById(row.id),
          handle.describe(),
          api.request('GET', `/api/trends/videos?hashtag=${tag}`, { token: user.accessToken }),
          get(path),
        ]);
        return {
          db: dbRow?.status,
          searchAttribute: described.typedSearchAttributes.get(TREND_STATUS),
          api: listed.body.data?.[0]?.status,
          state: monitor.body.state?.status,
        };
      };
      const all = (word: string) => ({ db: word, searchAttribute: word, api: word, state: word });
      try {
        await worker.runUntil(async () => {
          await client.workflow.start<Workflows['trendVideoMonitor']>(WORKFLOW_TYPES.trendVideoMonitor, {
            taskQueue,
            workflowId,
            args: [
              { trendVideoId: row.id, platform: 'youtube', platformVideoId: video!.id, snapshotIntervalMs: 3_600_000, totalSlots: 84 },
            ],
          });
          await eventually(
            () => handle.query(monitorState),
            (s) => s.snapshotsTaken === 1,
          );
          assert.deepEqual(await eventually(everywhere, (s) => s.searchAttribute === 'monitoring'), all('monitoring'));

          assert.equal((await post(`${path}/pause`)).status, 202);
          assert.deepEqual(await eventually(everywhere, (s) => s.db === 'paused' && s.searchAttribute === 'paused'), all('paused'));
          assert.equal((await post(`${path}/resume`)).status, 202);
          assert.deepEqual(
            await eventually(everywhere, (s) => s.db === 'monitoring' && s.searchAttribute === 'monitoring'),
            all('monitoring'),
          );

          assert.equal((await post(`${path}/stop`, { reason: 'vocabulary check' })).status, 202);
          const result = await handle.result();
          await recordHistory('trendVideoMonitor-paused-resumed-stopped', handle);
          const ended = await everywhere();
          assert.deepEqual({ ...ended, state: result.status }, all('dropped'));
        });
      } finally {
        await handle.terminate('test over').catch(() => undefined);
        await TrendVideo.query(testDb()).deleteById(row.id);
        await AuditLog.query(testDb()).where({ targetId: workflowId }).delete();
        await User.query(testDb()).deleteById(user.id);
      }
    });

    it('when the monitor does not exist, then 404; a malformed platform or id is 400', async () => {
      assert.equal((await post('/api/admin/monitors/youtube/nosuchvideo/pause')).status, 404);
      assert.equal((await get('/api/admin/monitors/youtube/nosuchvideo')).status, 404);
      assert.equal((await post('/api/admin/monitors/youtube/nosuchvideo/reset')).status, 404);
      const badPlatform = await get('/api/admin/monitors/myspace/abc');
      assert.equal(badPlatform.status, 400);
      assert.equal(badPlatform.body.error.details[0].path, 'params.platform');
      assert.equal((await get('/api/admin/monitors/youtube/a%20b')).status, 400);
    });
  });
});
