/**
 * Blogger syncs that outlive outages and follow the blogger's and the owner's active state:
 * a platform or PostgreSQL outage far longer than any attempt limit leaves the workflow running
 * and syncing again once the fault clears; a pause survives continue-as-new; a deactivated
 * blogger or a disabled owner makes no more platform calls; the reconciler (run by its schedule)
 * starts the sync of every active blogger whose workflow is missing.
 *
 * Faults are injected around the worker's real dependencies (test/faults.ts); retries are fast
 * (BLOGGER_SYNC_RETRY_*) and time is compressed (TIME_SCALE), so a long outage lasts seconds.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Blogger, User, VideoHistory } from '../db/models';
import { clockFromConfig } from '../lib/clock';
import { bloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import { parseCreatorUrl } from '../lib/domain/platformUrls';
import { createPlatforms } from '../platforms';
import { bloggerSyncInput, isBloggerSyncRunning } from '../temporal/starters';
import { bloggerScheduleDefinitions, ensureTrendSchedules } from '../temporal/schedules';
import {
  BLOGGER_SYNC_RECONCILE_SCHEDULE,
  bloggerSyncWorkflowId,
  pauseSync,
  resumeSync,
  stopSync,
  syncState,
  WORKFLOW_TYPES,
} from '../temporal/contract';
import { startTestApi, type TestApi } from '../test/api';
import { eventually } from '../test/eventually';
import { recordHistory } from '../test/histories';
import { callsFor, faultyDb, faultyPlatforms, newFaults, type Faults } from '../test/faults';
import { resetDb, terminateRunning, testAppDb, testConfig, testDb, testRedis, testTemporal } from '../test/harness';
import { createUser, type TestUser } from '../test/users';
import { createTestWorker } from '../test/worker';
import { bloggerSync } from './bloggerSync';

describe('bloggerSync resilience (outages, pause, active state, reconciler)', function () {
  this.timeout(120_000);
  // A simulated hour is 0.25 s (a sync each); a failed step is retried every 50-200 ms.
  const timing = {
    TIME_SCALE: '14400',
    BLOGGER_SYNC_MINUTES: '60',
    BLOGGER_LOOKBACK_DAYS: '10',
    BLOGGER_MAX_VIDEOS_PER_SYNC: '50',
    BLOGGER_SYNC_RETRY_INITIAL_SECONDS: '0.05',
    BLOGGER_SYNC_RETRY_MAX_SECONDS: '0.2',
  };
  let faults: Faults;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof createTestWorker>>;
  let running: Promise<void>;
  let client: Client;

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    client = (await testTemporal()).client;
    faults = newFaults();
    const config = { ...testConfig, TIME_SCALE: Number(timing.TIME_SCALE), SIMULATOR_SEED: randomInt(1, 2 ** 31) };
    // The simulated world and the activities share one data time.
    const clock = clockFromConfig(config);
    const platforms = createPlatforms(config, { redis: testRedis(), clock });
    worker = await createTestWorker({
      config: timing,
      deps: { platforms: faultyPlatforms(platforms, faults), db: faultyDb(testAppDb(), faults), clock },
    });
    api = await startTestApi({ ...worker.config, TEMPORAL_TASK_QUEUE: worker.taskQueue }, { clock: worker.deps.clock });
    running = worker.worker.run();
  });
  afterEach(async () => {
    faults.platformDown = false;
    faults.dbDown = false;
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
  });
  after(async () => {
    await client.schedule
      .getHandle(BLOGGER_SYNC_RECONCILE_SCHEDULE)
      .delete()
      .catch(() => undefined);
    worker.worker.shutdown();
    await running;
    await api.close();
  });

  const syncsOf = async (bloggerId: number) =>
    new Set((await VideoHistory.query(testDb()).where('bloggerId', bloggerId)).map((r) => r.fetchedAt.getTime())).size;
  const statusOf = async (bloggerId: number) => (await client.workflow.getHandle(bloggerSyncWorkflowId(bloggerId)).describe()).status.name;
  const resolvedId = async (bloggerId: number) => (await Blogger.query(testDb()).findById(bloggerId))!.platformLinks.youtube!.resolvedId!;

  async function addBlogger(user: TestUser, handle: string): Promise<number> {
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: handle, youtube_url: `https://www.youtube.com/@${handle}` },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.blogger.id as number;
  }

  /** Waits until the blogger has synced `more` more times than now (a clock that is not a sleep). */
  /** The creator's platform calls grow past `callsAtStop` again: its blogger is syncing again. */
  async function assertCallsResume(creator: string, callsAtStop: number): Promise<void> {
    assert.ok(
      (await eventually(
        () => Promise.resolve(callsFor(faults, creator)),
        (n) => n > callsAtStop,
        20_000,
      )) > callsAtStop,
      'syncing again',
    );
  }

  async function waitForSyncs(bloggerId: number, more: number): Promise<void> {
    const start = await syncsOf(bloggerId);
    assert.ok(
      (await eventually(
        () => syncsOf(bloggerId),
        (n) => n >= start + more,
        30_000,
      )) >=
        start + more,
      `blogger ${bloggerId} synced ${more} more times`,
    );
  }

  // The old policy gave up after 10 attempts; the dev server retries about once a second here.
  it('when the platform and then PostgreSQL fail for more attempts than the old limit of 10, then the sync keeps running and syncs again once each fault clears', async () => {
    const user = await createUser(api, { plan: 'pro' });
    // Down from the start: the new blogger's link cannot even be resolved.
    faults.platformDown = true;
    const id = await addBlogger(user, `outage${randomInt(1e9)}`);
    await eventually(
      () => Promise.resolve(faults.failures.platform),
      (n) => n >= 12,
      40_000,
    );
    assert.ok(faults.failures.platform >= 12, `${faults.failures.platform} platform failures, then the workflow was ${await statusOf(id)}`);
    assert.equal(await statusOf(id), 'RUNNING', 'a platform outage does not end the sync');
    faults.platformDown = false;
    const linked = await eventually(
      () => Blogger.query(testDb()).findById(id),
      (b) => b?.platformLinks.youtube?.state === 'ok',
      30_000,
    );
    assert.equal(linked?.platformLinks.youtube?.state, 'ok', 'the link resolved once the platform was back');
    await waitForSyncs(id, 2);

    faults.dbDown = true;
    await eventually(
      () => Promise.resolve(faults.failures.db),
      (n) => n >= 12,
      40_000,
    );
    assert.ok(faults.failures.db >= 12, `${faults.failures.db} database failures, then the workflow was ${await statusOf(id)}`);
    assert.equal(await statusOf(id), 'RUNNING', 'a database outage does not end the sync');
    faults.dbDown = false;
    await waitForSyncs(id, 2);
    assert.equal(await statusOf(id), 'RUNNING');
  });

  it('when a paused sync continues as new, then the next run is still paused, and resumes on resume', async () => {
    const user = await createUser(api, { plan: 'pro' });
    // A row of its own, and a workflow that continues as new after every sync.
    const { ref, canonicalUrl } = parseCreatorUrl('youtube', `https://www.youtube.com/@pausecan${randomInt(1e9)}`);
    const blogger = await Blogger.query(testDb()).insertAndFetch({
      userId: user.id,
      name: 'Pause',
      youtubeUrl: canonicalUrl,
      youtubeHandle: ref.value,
      platformLinks: { youtube: { state: 'pending', ref } as never },
      syncStatus: 'pending',
    });
    const settings = bloggerSyncSettings(worker.config);
    const handle = await client.workflow.start(bloggerSync, {
      taskQueue: worker.taskQueue,
      workflowId: bloggerSyncWorkflowId(blogger.id),
      args: [{ ...bloggerSyncInput(settings, { bloggerId: blogger.id, userId: user.id }), syncsPerRun: 1 }],
    });
    await eventually(
      () => handle.query(syncState),
      (s) => s.syncs >= 1 && s.status === 'waiting',
    );
    const pausedRun = (await handle.describe()).runId;
    await handle.signal(pauseSync);
    // The pause ends the run (one sync per run here): the next run must start paused.
    const next = await eventually(
      () => handle.describe(),
      (d) => d.runId !== pausedRun && d.status.name === 'RUNNING',
    );
    assert.notEqual(next.runId, pausedRun, 'the workflow continued as new');
    const state = await eventually(
      () => handle.query(syncState),
      (s) => s.status === 'paused',
    );
    assert.equal(state.status, 'paused', 'the pause survived continue-as-new');
    const syncsWhilePaused = state.syncs;
    assert.equal(
      (
        await eventually(
          () => Blogger.query(testDb()).findById(blogger.id),
          (b) => b?.syncStatus === 'paused',
        )
      )?.syncStatus,
      'paused',
    );

    await handle.signal(resumeSync);
    const resumed = await eventually(
      () => handle.query(syncState),
      (s) => s.syncs > syncsWhilePaused,
      20_000,
    );
    assert.ok(resumed.syncs > syncsWhilePaused, 'syncing again after resume');
    await handle.signal(stopSync);
    await handle.result();
    await recordHistory('bloggerSync-started-paused', handle);
  });

  it('when a blogger is deactivated, then its sync makes no more platform calls; re-activated, it syncs again', async () => {
    const user = await createUser(api, { plan: 'pro' });
    const quiet = await addBlogger(user, `deactivated${randomInt(1e9)}`);
    const clock = await addBlogger(user, `clock${randomInt(1e9)}`);
    await waitForSyncs(quiet, 2);
    const creator = await resolvedId(quiet);

    const res = await api.request('PUT', `/api/bloggers/${quiet}`, { token: user.accessToken, body: { isActive: false } });
    assert.equal(res.status, 200);
    assert.equal(res.body.blogger.isActive, false);
    assert.notEqual(
      await eventually(
        () => statusOf(quiet),
        (s) => s !== 'RUNNING',
      ),
      'RUNNING',
      'the sync ended',
    );
    const callsAtStop = callsFor(faults, creator);
    await waitForSyncs(clock, 4); // other syncs go on meanwhile
    assert.equal(callsFor(faults, creator), callsAtStop, 'no platform call for the deactivated blogger');
    assert.equal((await Blogger.query(testDb()).findById(quiet))?.nextSyncAt ?? null, null, 'no next sync is announced');
    assert.equal(
      (await api.request('POST', `/api/bloggers/${quiet}/sync`, { token: user.accessToken })).status,
      409,
      'an inactive blogger cannot be synced',
    );

    assert.equal((await api.request('PUT', `/api/bloggers/${quiet}`, { token: user.accessToken, body: { isActive: true } })).status, 200);
    await assertCallsResume(creator, callsAtStop);
    assert.equal(await statusOf(quiet), 'RUNNING');
  });

  it('when the owner is disabled by an admin, then their bloggers make no more platform calls; re-enabled, the reconciler schedule brings their syncs back', async () => {
    const admin = await createUser(api, { role: 'admin' });
    const owner = await createUser(api, { plan: 'pro' });
    const other = await createUser(api, { plan: 'pro' });
    const bloggerId = await addBlogger(owner, `disabled${randomInt(1e9)}`);
    const clock = await addBlogger(other, `clock${randomInt(1e9)}`);
    await waitForSyncs(bloggerId, 2);
    const creator = await resolvedId(bloggerId);

    assert.equal(
      (await api.request('PUT', `/api/admin/users/${owner.id}`, { token: admin.accessToken, body: { isActive: false } })).status,
      200,
    );
    // The next sync step finds the owner disabled and ends without calling the platform.
    const ended = await eventually(
      () => client.workflow.getHandle(bloggerSyncWorkflowId(bloggerId)).describe(),
      (d) => d.status.name !== 'RUNNING',
    );
    assert.equal(ended.status.name, 'COMPLETED');
    assert.equal((await client.workflow.getHandle(bloggerSyncWorkflowId(bloggerId)).result()).status, 'inactive');
    const callsAtStop = callsFor(faults, creator);
    await waitForSyncs(clock, 4);
    assert.equal(callsFor(faults, creator), callsAtStop, 'no platform call for a disabled owner');

    assert.equal(
      (await api.request('PUT', `/api/admin/users/${owner.id}`, { token: admin.accessToken, body: { isActive: true } })).status,
      200,
    );
    await triggerReconciler();
    assert.equal(
      await eventually(
        () => statusOf(bloggerId),
        (s) => s === 'RUNNING',
      ),
      'RUNNING',
      'the reconciler restarted the sync',
    );
    await assertCallsResume(creator, callsAtStop);
  });

  it('when sync workflows are terminated, then the reconciler starts them again (a paused one paused), leaving inactive bloggers and disabled owners alone', async () => {
    const owner = await createUser(api, { plan: 'pro' });
    const disabled = await createUser(api, { plan: 'pro' });
    const plain = await addBlogger(owner, `lost${randomInt(1e9)}`);
    const paused = await addBlogger(owner, `lostpaused${randomInt(1e9)}`);
    const inactive = await addBlogger(owner, `lostinactive${randomInt(1e9)}`);
    const ofDisabled = await addBlogger(disabled, `lostdisabled${randomInt(1e9)}`);
    await waitForSyncs(plain, 1);
    assert.equal((await api.request('POST', `/api/bloggers/${paused}/pause`, { token: owner.accessToken })).status, 202);
    await eventually(
      () => Blogger.query(testDb()).findById(paused),
      (b) => b?.syncStatus === 'paused',
    );
    await Blogger.query(testDb()).patch({ isActive: false }).where('id', inactive);
    await User.query(testDb()).patch({ isActive: false }).where('id', disabled.id);
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    for (const id of [plain, paused, inactive, ofDisabled]) assert.equal(await isBloggerSyncRunning(client, id), false);

    const result = await triggerReconciler();
    // (Earlier tests' bloggers, whose workflows were terminated too, are restarted as well.)
    assert.ok(result.startedIds.includes(plain) && result.startedIds.includes(paused), `started ${result.startedIds}`);
    assert.ok(
      !result.startedIds.includes(inactive) && !result.startedIds.includes(ofDisabled),
      'inactive bloggers and disabled owners are left alone',
    );
    assert.equal(await statusOf(plain), 'RUNNING');
    await waitForSyncs(plain, 1);
    assert.equal(
      (
        await eventually(
          () => client.workflow.getHandle(bloggerSyncWorkflowId(paused)).query(syncState),
          (s) => s.status === 'paused',
        )
      ).status,
      'paused',
      'a paused blogger comes back paused',
    );
    assert.equal(await isBloggerSyncRunning(client, inactive), false);
    assert.equal(await isBloggerSyncRunning(client, ofDisabled), false);

    // Nothing missing any more: a second run starts nothing.
    assert.equal((await triggerReconciler()).started, 0);
  });

  /** Ensures the reconciler schedule (as the worker does at start), triggers it, and returns that run's result. */
  async function triggerReconciler(): Promise<{ started: number; startedIds: number[] }> {
    const defs = bloggerScheduleDefinitions(bloggerSyncSettings(worker.config), 3_600_000);
    await ensureTrendSchedules(client, defs, { taskQueue: worker.taskQueue, catchupWindowMs: 60_000 });
    const schedule = client.schedule.getHandle(BLOGGER_SYNC_RECONCILE_SCHEDULE);
    const before = new Set((await schedule.describe()).info.recentActions.map((a) => a.action.workflow.firstExecutionRunId));
    await schedule.trigger();
    const isNew = (a: { action: { workflow: { firstExecutionRunId: string } } }) => !before.has(a.action.workflow.firstExecutionRunId);
    const described = await eventually(
      () => schedule.describe(),
      (d) => d.info.recentActions.some(isNew),
    );
    const action = described.info.recentActions.find(isNew);
    assert.ok(action, 'the trigger ran the reconciler');
    const run = client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
    const result = await run.result();
    await recordHistory(WORKFLOW_TYPES.bloggerSyncReconciler, run);
    return result;
  }
});
