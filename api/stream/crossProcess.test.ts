/**
 * The end-to-end promise: an event produced by the worker (a real blogger sync of a
 * simulator creator, run by a real worker on the dev server) reaches the SSE client of the right
 * tenant connected to another API process (a real child process, `npm run api` as it runs), and
 * never another tenant's client. Fan-out goes through Redis only: that process shares nothing else
 * with the worker.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/config';
import { freePort } from '../../scripts/ports';
import { WORKFLOW_TYPES } from '../../temporal/contract';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { resetDb, terminateRunning } from '../../test/harness';
import { openSse, type SseClient } from '../../test/sse';
import { createUser } from '../../test/users';
import { createTestWorker, testWorkerProcessEnv, type TestWorker } from '../../test/worker';

describe('live events across processes (worker → Redis → a second API process → SSE)', function () {
  this.timeout(150_000);
  let worker: TestWorker;
  let running: Promise<void>;
  let api: TestApi;
  let child: ChildProcess;
  let childUrl: string;
  const clients: SseClient[] = [];
  // A simulated hour is 0.25 s: a blogger syncs every simulated hour.
  const timing = { TIME_SCALE: '14400', BLOGGER_SYNC_MINUTES: '60', BLOGGER_LOOKBACK_DAYS: '10', BLOGGER_MAX_VIDEOS_PER_SYNC: '50' };

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    worker = await createTestWorker({ config: timing });
    // This process's API only creates users and bloggers; the streams are read from the child.
    api = await startTestApi({ ...worker.config, TEMPORAL_TASK_QUEUE: worker.taskQueue }, { clock: worker.deps.clock });
    running = worker.worker.run();
    const port = await freePort();
    childUrl = `http://127.0.0.1:${port}`;
    const env = testWorkerProcessEnv(worker.taskQueue, { PORT: String(port), HOST: '127.0.0.1', API_PROCESSES: '1', LOG_LEVEL: 'silent' });
    child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], { cwd: PROJECT_ROOT, env, stdio: 'ignore' });
    const up = await eventually(
      () =>
        fetch(`${childUrl}/api/health`).then(
          (r) => r.ok,
          () => false,
        ),
      (ok) => ok,
      60_000,
    );
    assert.ok(up, 'the second API process answers');
  });
  after(async () => {
    for (const client of clients) client.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    worker.worker.shutdown();
    await running;
    await api.close();
  });

  it("when the worker syncs each tenant's blogger, then each tenant's client on the other API process gets its own blogger's events and never the other's", async () => {
    const a = await createUser(api, { plan: 'pro' });
    const b = await createUser(api, { plan: 'pro' });
    // Connected to the child process before anything happens: what arrives comes live.
    for (const user of [a, b]) {
      const client = await openSse(`${childUrl}/api/stream`, { token: user.accessToken });
      clients.push(client);
      assert.equal(client.status, 200);
      await client.waitFor((e) => e.event === 'ready', 10_000, 'ready');
    }
    const [clientA, clientB] = clients as [SseClient, SseClient];
    const bloggerOf = async (user: typeof a, handle: string) => {
      const res = await api.request('POST', '/api/bloggers', {
        token: user.accessToken,
        body: { name: handle, youtube_url: `https://www.youtube.com/@${handle}` },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.blogger.id as number;
    };
    const bloggerA = await bloggerOf(a, 'streamcreatora');
    const bloggerB = await bloggerOf(b, 'streamcreatorb');

    const syncedA = await clientA.waitFor((e) => e.event === 'blogger.synced', 60_000, "A's blogger.synced");
    const syncedB = await clientB.waitFor((e) => e.event === 'blogger.synced', 60_000, "B's blogger.synced");
    assert.equal(syncedA.json().data.bloggerId, bloggerA);
    assert.equal(syncedB.json().data.bloggerId, bloggerB);
    assert.equal(typeof syncedA.json().data.newVideos, 'number', syncedA.data);
    assert.match(
      syncedA.id!,
      new RegExp(`^u${a.id}:\\d+-\\d+,t:\\d+-\\d+$`),
      'the id is a cursor over the tenant’s own stream and Trend Watch’s (a pro plan)',
    );
    // A second sync of each: events keep coming, and every one is about the client's own blogger.
    await clientA.waitFor((e) => e.event === 'blogger.synced' && e !== syncedA, 60_000, "A's second sync");
    await clientB.waitFor((e) => e.event === 'blogger.synced' && e !== syncedB, 60_000, "B's second sync");
    for (const [client, own] of [
      [clientA, bloggerA],
      [clientB, bloggerB],
    ] as const) {
      const foreign = client.events.filter((e) => e.event.startsWith('blogger.') && e.json().data.bloggerId !== own);
      assert.deepEqual(foreign, [], "another tenant's events");
    }
  });
});
