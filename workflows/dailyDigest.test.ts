import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Blogger, User, VideoHistory } from '../db/models';
import { startMailCapture, type MailCapture } from '../notifications/mailCapture';
import { createMailer } from '../notifications/mailer';
import { WORKFLOW_TYPES } from '../temporal/contract';
import { startTestApi, type TestApi } from '../test/api';
import { testConfig, testDb, testLogger, testTemporal } from '../test/harness';
import { recordHistory } from '../test/histories';
import { createUser } from '../test/users';
import { createTestWorker } from '../test/worker';
import { dailyDigest } from './dailyDigest';

describe('daily digest', function () {
  this.timeout(60_000);
  let capture: MailCapture;
  let api: TestApi;
  before(async () => {
    capture = await startMailCapture();
    api = await startTestApi();
    // Only this suite's users get the digest.
    await User.query(testDb()).patch({ dailyDigest: false }).where({ dailyDigest: true });
  });
  after(async () => {
    await api?.close();
    await capture?.close();
  });

  it('when a user turns the digest on, then me shows it; other fields are refused', async () => {
    const user = await createUser(api);
    const on = await api.request('PATCH', '/api/auth/me', { token: user.accessToken, body: { dailyDigest: true } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.user.dailyDigest, true);
    assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).body.user.dailyDigest, true);
    const extra = await api.request('PATCH', '/api/auth/me', { token: user.accessToken, body: { dailyDigest: true, role: 'admin' } });
    assert.equal(extra.status, 400);
    await api.request('PATCH', '/api/auth/me', { token: user.accessToken, body: { dailyDigest: false } });
  });

  it('when the digest runs twice in a day, then each opted-in verified user gets exactly one mail with their bloggers and standout videos; others get none', async () => {
    const ada = await createUser(api, { emailVerified: true, plan: 'pro' });
    const bob = await createUser(api, { emailVerified: true });
    const optedOut = await createUser(api, { emailVerified: true });
    const unverified = await createUser(api);
    for (const u of [ada, bob, unverified]) {
      assert.equal((await api.request('PATCH', '/api/auth/me', { token: u.accessToken, body: { dailyDigest: true } })).status, 200);
    }
    const blogger = await Blogger.query(testDb()).insertAndFetch({ userId: ada.id, name: `Ada's pick ${randomUUID().slice(0, 6)}` });
    await VideoHistory.query(testDb()).insert({
      userId: ada.id,
      bloggerId: blogger.id,
      platform: 'youtube',
      platformVideoId: 'standout-1',
      title: 'The standout video',
      views: 12_345,
      viralScore: 4.2,
      fetchedAt: new Date(Date.now() - 3_600_000),
    });

    const { worker, taskQueue } = await createTestWorker({
      deps: { mailer: createMailer({ ...testConfig, SMTP_URL: capture.url }, testLogger) },
    });
    const { client } = await testTemporal();
    const run = (n: number) =>
      client.workflow.start(dailyDigest, {
        taskQueue,
        workflowId: `daily-digest-test-${randomUUID()}-${n}`,
        args: [{ windowHours: 24, batchSize: 1 }],
      });
    await worker.runUntil(async () => {
      const first = await run(1);
      const result = await first.result();
      assert.equal(result.recipients, 2, JSON.stringify(result));
      assert.equal(result.sent, 2);
      await recordHistory(WORKFLOW_TYPES.dailyDigest, first);
      const second = await (await run(2)).result();
      assert.deepEqual([second.recipients, second.sent, second.skipped], [2, 0, 2], 'nobody gets a second digest the same day');
    });

    const toAda = capture.messages().filter((m) => m.to.includes(ada.email));
    assert.equal(toAda.length, 1);
    assert.match(toAda[0]!.subject, /digest for \d{4}-\d{2}-\d{2}/);
    assert.match(toAda[0]!.text, new RegExp(`${blogger.name}: 1 video updated`));
    assert.match(toAda[0]!.text, /"The standout video" on youtube, 12,345 views, 4\.2× usual/);
    assert.match(toAda[0]!.text, /Trends now/, 'pro has Trend Watch');
    const toBob = capture.messages().filter((m) => m.to.includes(bob.email));
    assert.equal(toBob.length, 1);
    assert.match(toBob[0]!.text, /You track no bloggers yet/);
    assert.doesNotMatch(toBob[0]!.text, /Trends now/, 'free has no Trend Watch');
    for (const other of [optedOut, unverified]) assert.equal(capture.messages().filter((m) => m.to.includes(other.email)).length, 0);
  });
});
