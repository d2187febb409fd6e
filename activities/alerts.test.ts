/**
 * The alert engine end to end on real services: firings recorded by the engine (and by the real
 * link-check activity), delivered by real notificationDelivery workflows on a real worker, by
 * email to an in-process SMTP capture server and by webhook to a local HTTP receiver that verifies
 * every Standard Webhooks signature. Data time is the test's own manual clock.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Blogger } from '../db/models';
import { manualClock } from '../lib/clock';
import { startMailCapture, type MailCapture } from '../notifications/mailCapture';
import { notificationDeliveryWorkflowId, WORKFLOW_TYPES } from '../temporal/contract';
import { startTestApi, type TestApi } from '../test/api';
import { eventually } from '../test/eventually';
import { recordHistory } from '../test/histories';
import { withTenant } from '../db/tenant';
import { resetDb, terminateRunning, testAppDb, testDb, testTemporal } from '../test/harness';
import { createUser, type TestUser } from '../test/users';
import { createTestWorker, type TestWorker } from '../test/worker';
import { createActivities } from '.';
import {
  dispatchFirings,
  fireForUser,
  followerChangeCandidates,
  recordFirings,
  recordTrendMatches,
  VelocityAlerts,
  videoOutlierCandidates,
} from './alerts';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

describe('alert engine: firings, debounce, mute, email and signed webhooks (real worker)', function () {
  this.timeout(90_000);
  const clock = manualClock(Date.UTC(2026, 10, 30, 12));
  const minutes = (m: number) => new Date(clock.now() + m * 60_000);
  let capture: MailCapture;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  /** Paths the receiver answers 500 on. */
  const failing = new Set<string>();
  let worker: TestWorker;
  let running: Promise<void>;
  let api: TestApi;
  let ada: TestUser;

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.notificationDelivery);
    capture = await startMailCapture();
    receiver = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        received.push({ path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(failing.has(path) ? 500 : 200, { 'content-type': 'text/plain' }).end(failing.has(path) ? 'down' : 'ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    worker = await createTestWorker({
      config: {
        SMTP_URL: capture.url,
        WEBHOOKS_ALLOW_LOCAL_TARGETS: 'true',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_RETRY_INITIAL_SECONDS: '0.2',
        WEBHOOK_TIMEOUT_MS: '2000',
      },
      deps: { clock },
    });
    running = worker.worker.run();
    api = await startTestApi({ ...worker.config, TEMPORAL_TASK_QUEUE: worker.taskQueue }, { clock });
    ada = await createUser(api, { plan: 'pro' });
    await testDb()('users').where({ id: ada.id }).update({ emailVerifiedAt: new Date() });
    api.deps.accounts.drop(ada.id);
  });
  after(async () => {
    worker?.worker.shutdown();
    await running;
    await api?.close();
    await capture?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await terminateRunning(WORKFLOW_TYPES.notificationDelivery);
  });

  async function createWebhook(path: string): Promise<{ id: number; secret: string }> {
    const res = await api.request('POST', '/api/webhooks', { token: ada.accessToken, body: { url: `${receiverUrl}${path}` } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.webhook;
  }

  async function createRule(body: Record<string, unknown>): Promise<{ id: number }> {
    const res = await api.request('POST', '/api/alerts', { token: ada.accessToken, body: { kind: 'link_broken', params: {}, ...body } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.alert;
  }

  /** One triggering fact for a rule at a data time, as an activity hands it to the engine. */
  async function fire(ruleId: number, key: string, at: Date) {
    const rule = await testDb()('alert_rules').where({ id: ruleId }).first();
    return fireForUser(
      worker.deps,
      rule.userId,
      [{ rule, fact: { dedupeKey: key, message: `fact ${key}`, subject: { type: 'test', key } } }],
      at,
    );
  }

  const firingsOf = async (ruleId: number) =>
    (await api.request('GET', `/api/alerts/${ruleId}/firings?limit=100`, { token: ada.accessToken })).body as {
      data: { id: number; muted: boolean; email: { status: string } | null; webhooks: { status: string; attempts: number }[] }[];
      pagination: { total: number };
    };

  const verified = (secret: string, r: Received) =>
    new Webhook(secret).verify(r.body, r.headers) as { type: string; data: Record<string, unknown> };

  it('when two facts come inside the debounce window, then one firing; a retried fact finds its firing; after the window, a second; each delivered by email and signed webhook', async () => {
    const hook = await createWebhook('/alerts');
    const rule = await createRule({ name: 'Broken links', debounceMinutes: 60, channels: { email: true, webhookIds: [hook.id] } });

    const first = await fire(rule.id, 'fact-1', minutes(0));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.created, true);
    assert.deepEqual(await fire(rule.id, 'fact-2', minutes(10)), [], 'inside the window: not recorded');
    const retried = await fire(rule.id, 'fact-1', minutes(20));
    assert.equal(retried[0]!.created, false, 'the same fact again (a retried activity) finds its firing');
    assert.equal(retried[0]!.firing.id, first[0]!.firing.id);
    const second = await fire(rule.id, 'fact-3', minutes(61));
    assert.equal(second[0]?.created, true, 'a window later it fires again');

    // Parallel facts (concurrent activities) in a new window: exactly one fires.
    const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => fire(rule.id, `burst-${i}`, minutes(200))));
    assert.equal(parallel.flat().filter((r) => r.created).length, 1);
    assert.equal((await firingsOf(rule.id)).pagination.total, 3);

    // Delivered: three signed webhook requests (one event id each) and three emails.
    const hooks = await eventually(
      async () => received.filter((r) => r.path === '/alerts'),
      (r) => r.length >= 3,
      30_000,
    );
    assert.equal(hooks.length, 3);
    const events = hooks.map((r) => verified(hook.secret, r));
    assert.ok(events.every((e) => e.type === 'alert.fired' && e.data.ruleId === rule.id));
    assert.equal(new Set(hooks.map((r) => r.headers['webhook-id'])).size, 3);
    const alertMails = () => capture.messages().filter((m) => m.to.includes(ada.email) && m.subject === 'Alert: Broken links');
    await eventually(
      async () => alertMails().length,
      (n) => n >= 3,
      30_000,
    );
    assert.equal(alertMails().length, 3);
    // Three deliveries run as three workflows: the mails arrive in any order.
    // Which of the parallel burst facts won is not known: any one of them.
    const mailedFacts = alertMails()
      .map((m) => (/^fact (\S+)/.exec(m.text)?.[1] ?? m.text).replace(/^burst-\d+$/, 'burst-*'))
      .sort();
    assert.deepEqual(mailedFacts, ['burst-*', 'fact-1', 'fact-3']);
    const firings = await eventually(
      () => firingsOf(rule.id),
      (f) => f.data.every((x) => x.email?.status === 'sent' && x.webhooks[0]?.status === 'delivered'),
      30_000,
    );
    assert.ok(
      firings.data.every((x) => x.webhooks.length === 1 && x.webhooks[0]!.attempts === 1),
      JSON.stringify(firings.data),
    );
    const log = await api.request('GET', `/api/webhooks/${hook.id}/deliveries`, { token: ada.accessToken });
    assert.equal(log.body.pagination.total, 3);
    assert.deepEqual(
      log.body.data[0].log.map((a: { statusCode: number }) => a.statusCode),
      [200],
    );

    // A retried activity dispatches again: the finished deliveries send nothing twice.
    const mails = capture.messages().length;
    await dispatchFirings(worker.deps, retried);
    const { client } = await testTemporal();
    const deliveryId = (await testDb()('webhook_deliveries').where({ firingId: first[0]!.firing.id }).first()).id;
    const webhookHandle = client.workflow.getHandle(notificationDeliveryWorkflowId({ channel: 'webhook', deliveryId }));
    assert.equal((await webhookHandle.result()).status, 'delivered');
    await recordHistory('notificationDelivery-webhook', webhookHandle);
    const emailHandle = client.workflow.getHandle(
      notificationDeliveryWorkflowId({ channel: 'email', firingId: Number(first[0]!.firing.id) }),
    );
    assert.equal((await emailHandle.result()).status, 'sent');
    await recordHistory('notificationDelivery-email', emailHandle);
    assert.equal(received.filter((r) => r.path === '/alerts').length, 3);
    assert.equal(capture.messages().length, mails);
  });

  it('when the receiver answers 500, then each attempt is logged, the delivery is dead-lettered after the last, and a redelivery succeeds once it recovers', async () => {
    failing.add('/flaky');
    const hook = await createWebhook('/flaky');
    const rule = await createRule({ name: 'Flaky', debounceMinutes: 0, channels: { webhookIds: [hook.id] } });
    await fire(rule.id, 'flaky-1', minutes(0));
    const dead = await eventually(
      async () => (await api.request('GET', `/api/webhooks/${hook.id}/deliveries?status=dead`, { token: ada.accessToken })).body,
      (b) => b.pagination.total === 1,
      30_000,
    );
    const delivery = dead.data[0];
    assert.equal(delivery.status, 'dead');
    assert.equal(delivery.attempts, 3, 'WEBHOOK_MAX_ATTEMPTS');
    assert.deepEqual(
      delivery.log.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]),
      [
        [1, 500],
        [2, 500],
        [3, 500],
      ],
    );
    const attempts = received.filter((r) => r.path === '/flaky');
    assert.equal(attempts.length, 3);
    assert.equal(new Set(attempts.map((r) => r.headers['webhook-id'])).size, 1, 'one event, retried under the same id');
    for (const r of attempts) verified(hook.secret, r);

    const deadHandle = (await testTemporal()).client.workflow.getHandle(
      notificationDeliveryWorkflowId({ channel: 'webhook', deliveryId: delivery.id }),
    );
    assert.deepEqual(await deadHandle.result(), { status: 'dead', attempts: 3 });
    await recordHistory('notificationDelivery-webhook-dead', deadHandle);

    const early = await api.request('POST', `/api/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, { token: ada.accessToken });
    assert.equal(early.status, 202, JSON.stringify(early.body));
    failing.delete('/flaky');
    // The redelivery may hit the receiver while it still fails: then it dies again and is sent once more.
    const delivered = await eventually(
      async () => {
        const d = (await api.request('GET', `/api/webhooks/${hook.id}/deliveries`, { token: ada.accessToken })).body.data[0];
        if (d.status === 'dead')
          await api.request('POST', `/api/webhooks/${hook.id}/deliveries/${d.id}/redeliver`, { token: ada.accessToken });
        return d;
      },
      (d) => d.status === 'delivered',
      30_000,
    );
    assert.ok(delivered.attempts >= 4, 'attempts go on counting');
    assert.equal(delivered.log.at(-1).statusCode, 200);
    const notDead = await api.request('POST', `/api/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, { token: ada.accessToken });
    assert.equal(notDead.status, 409, 'only a dead delivery is sent again');
  });

  it('when a muted rule fires, then the firing is recorded as muted and nothing is delivered', async () => {
    const hook = await createWebhook('/muted');
    const rule = await createRule({
      name: 'Muted',
      debounceMinutes: 0,
      mutedUntil: minutes(60).toISOString(),
      channels: { email: true, webhookIds: [hook.id] },
    });
    const [muted] = await fire(rule.id, 'muted-1', minutes(0));
    assert.equal(muted!.firing.muted, true);
    assert.equal(muted!.firing.emailStatus, null);
    const list = await firingsOf(rule.id);
    assert.equal(list.data[0]!.muted, true);
    assert.deepEqual(list.data[0]!.webhooks, []);
    assert.equal(list.data[0]!.email, null);
    assert.equal((await testDb()('webhook_deliveries').where({ endpointId: hook.id })).length, 0);
    // After the mute, the next fact is delivered.
    const [live] = await fire(rule.id, 'muted-2', minutes(61));
    assert.equal(live!.firing.muted, false);
    await eventually(
      async () => received.filter((r) => r.path === '/muted').length,
      (n) => n === 1,
      30_000,
    );
  });

  it('when a webhook test event is asked for, then a signed webhook.test arrives through the same path', async () => {
    const hook = await createWebhook('/test-event');
    const res = await api.request('POST', `/api/webhooks/${hook.id}/test`, { token: ada.accessToken });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const [req] = await eventually(
      async () => received.filter((r) => r.path === '/test-event'),
      (r) => r.length === 1,
      30_000,
    );
    const event = verified(hook.secret, req!);
    assert.equal(event.type, 'webhook.test');
    assert.equal(event.data.webhookId, hook.id);
  });

  it("when a blogger's link breaks in the real link check, then its link_broken rule fires once (not again on the next check)", async () => {
    const rule = await createRule({ name: 'Link watch', debounceMinutes: 0 });
    const blogger = await Blogger.query(testDb()).insertAndFetch({
      userId: ada.id,
      name: 'Ghost',
      tiktokUrl: 'https://www.tiktok.com/@notfound_ghost',
      tiktokUsername: 'notfound_ghost',
      platformLinks: { tiktok: { state: 'pending', ref: { platform: 'tiktok', kind: 'username', value: 'notfound_ghost' } } } as never,
      syncStatus: 'pending',
    });
    const activities = createActivities(worker.deps);
    await activities.resolveBloggerLinks({ bloggerId: blogger.id, userId: ada.id });
    await activities.resolveBloggerLinks({ bloggerId: blogger.id, userId: ada.id });
    const firings = await firingsOf(rule.id);
    assert.equal(firings.pagination.total, 1);
    const [firing] = (await testDb()('alert_firings').where({ ruleId: rule.id })) as { subject: Record<string, unknown> }[];
    assert.equal(firing!.subject.platform, 'tiktok');
    assert.equal(firing!.subject.bloggerId, blogger.id);
  });

  it('when a Trend Watch video crosses a velocity threshold, or a watched name becomes a trend, then only Trend Watch users with such rules are told', async () => {
    const velocity = await createRule({ name: 'Fast', kind: 'velocity_threshold', params: { viewsPerHour: 1000 }, debounceMinutes: 0 });
    const trend = await createRule({
      name: 'Cats',
      kind: 'trend_match',
      params: { names: [{ kind: 'hashtag', name: '#CatDance' }] },
      debounceMinutes: 0,
    });
    // A free user's rule (written directly: the API refuses Trend Watch kinds on free plans) is never evaluated.
    const free = await createUser(api, { plan: 'free' });
    const [freeRule] = await testDb()('alert_rules')
      .insert({
        userId: free.id,
        name: 'sneaky',
        kind: 'trend_match',
        params: JSON.stringify({ names: [{ kind: 'hashtag', name: 'catdance' }] }),
      })
      .returning('id');

    const alerts = new VelocityAlerts(worker.deps);
    const snapshot = { trendVideoId: 4242, platform: 'youtube' as const, platformVideoId: 'vid4242', views: 50_000, takenAt: clock.date() };
    assert.equal(await alerts.check([{ ...snapshot, previousVelocity: 200, velocity: 900 }]), 0, 'below the threshold');
    assert.equal(await alerts.check([{ ...snapshot, previousVelocity: 900, velocity: 1500 }]), 1, 'crossed');
    assert.equal(await alerts.check([{ ...snapshot, previousVelocity: 1500, velocity: 2500 }]), 0, 'already above');
    assert.equal((await firingsOf(velocity.id)).pagination.total, 1);

    // As the analysis records them: in its own admin-scope transaction.
    const at = clock.date().toISOString();
    const trendsFire = async (trends: { kind: string; name: string }[]) =>
      (
        await withTenant(worker.deps.db, { admin: true }, (trx) =>
          recordTrendMatches(
            trx,
            trends.map((t) => ({ ...t, score: 1 })),
            { at, now: clock.date() },
          ),
        )
      ).filter((r) => r.created).length;
    assert.equal(
      await trendsFire([
        { kind: 'hashtag', name: 'catdance' },
        { kind: 'hashtag', name: 'dogs' },
      ]),
      1,
    );
    assert.equal(await trendsFire([{ kind: 'hashtag', name: 'catdance' }]), 0, 'the same trend and run again: nothing new');
    assert.equal((await firingsOf(trend.id)).pagination.total, 1);
    assert.equal((await testDb()('alert_firings').where({ ruleId: freeRule.id })).length, 0);
  });

  it('when a firing committed but its deliveries were never started (the process died), then the notification sweep starts them once, and only them', async () => {
    const hook = await createWebhook('/swept');
    const rule = await createRule({ name: 'Swept', debounceMinutes: 0, channels: { email: true, webhookIds: [hook.id] } });
    const mailsOf = () => capture.messages().filter((m) => m.subject === 'Alert: Swept');
    // Recorded as an activity records them, then the process "dies" before dispatching.
    const [lost] = await withTenant(worker.deps.db, { userId: ada.id }, async (trx) =>
      recordFirings(
        trx,
        [
          {
            rule: await trx('alert_rules').where({ id: rule.id }).first(),
            fact: { dedupeKey: 'lost-1', message: 'fact lost-1', subject: {} },
          },
        ],
        clock.date(),
      ),
    );
    const { client } = await testTemporal();
    const sweep = () =>
      client.workflow.execute(WORKFLOW_TYPES.notificationSweep, { taskQueue: worker.taskQueue, workflowId: `sweep-${Date.now()}` });

    assert.deepEqual(await sweep(), { webhooks: 0, emails: 0 }, 'a minute-old firing may still be starting: left alone');
    // A minute later (the rows' own clock: the database's) nobody has started them.
    await testDb()('alert_firings')
      .where({ id: lost!.firing.id })
      .update({ createdAt: testDb().raw("now() - interval '2 minutes'") });
    await testDb()('webhook_deliveries')
      .where({ firingId: lost!.firing.id })
      .update({ createdAt: testDb().raw("now() - interval '2 minutes'") });
    const handle = await client.workflow.start(WORKFLOW_TYPES.notificationSweep, {
      taskQueue: worker.taskQueue,
      workflowId: `sweep-lost-${Date.now()}`,
    });
    assert.deepEqual(await handle.result(), { webhooks: 1, emails: 1 });
    await recordHistory('notificationSweep', handle);

    const delivered = await eventually(
      () => firingsOf(rule.id),
      (f) => f.data[0]?.email?.status === 'sent' && f.data[0]?.webhooks[0]?.status === 'delivered',
      30_000,
    );
    assert.equal(delivered.pagination.total, 1);
    assert.equal(received.filter((r) => r.path === '/swept').length, 1);
    assert.equal(mailsOf().length, 1);
    assert.deepEqual(await sweep(), { webhooks: 0, emails: 0 }, 'delivered: nothing left to sweep');
  });

  it("when B asks for A's firings, then 404", async () => {
    const bob = await createUser(api, { plan: 'pro' });
    const rule = await createRule({ name: 'Private' });
    const res = await api.request('GET', `/api/alerts/${rule.id}/firings`, { token: bob.accessToken });
    assert.equal(res.status, 404);
  });
});

describe('alert engine: blogger facts (video outliers, follower changes) evaluated in the sync transaction', function () {
  this.timeout(30_000);
  const now = new Date(Date.UTC(2026, 10, 30, 12));
  let userId: number;
  let bloggerId: number;
  let otherBloggerId: number;

  before(async () => {
    await resetDb();
    const [user] = await testDb()('users')
      .insert({ email: `facts-${Date.now()}@example.com`, passwordHash: 'x', plan: 'pro' })
      .returning('id');
    userId = user.id;
    const [b1, b2] = await testDb()('bloggers')
      .insert([
        { userId, name: 'Ada', syncStatus: 'idle' },
        { userId, name: 'Bea', syncStatus: 'idle' },
      ])
      .returning('id');
    bloggerId = b1.id;
    otherBloggerId = b2.id;
  });

  const rule = async (kind: string, params: Record<string, unknown>) =>
    (
      await testDb()('alert_rules')
        .insert({
          userId,
          name: kind,
          kind,
          params: JSON.stringify(params),
          bloggerId: (params.bloggerId as number | undefined) ?? null,
          debounceMinutes: 0,
        })
        .returning('*')
    )[0];

  it("when a sync writes a video past N x the blogger's median within H hours, then video_outlier fires once for it, and only for the rule's blogger", async () => {
    const mine = await rule('video_outlier', { bloggerId, multiple: 3, withinHours: 24 });
    const other = await rule('video_outlier', { bloggerId: otherBloggerId, multiple: 3, withinHours: 24 });
    const video = (id: string, viralScore: number | null, hoursOld: number) => ({
      platform: 'youtube' as const,
      platformVideoId: id,
      title: `video ${id}`,
      url: null,
      views: 10_000,
      viralScore,
      publishedAt: new Date(now.getTime() - hoursOld * 3_600_000),
    });
    const videos = [video('hit', 4.5, 6), video('plain', 1.1, 6), video('old-hit', 9, 48), video('unknown', null, 2)];
    const ctx = { userId, bloggerId, bloggerName: 'Ada', observedAt: now };
    const first = await withTenant(testAppDb(), { userId }, async (trx) =>
      recordFirings(trx, await videoOutlierCandidates(trx, ctx, videos), now),
    );
    assert.deepEqual(
      first.map((r) => [r.rule.id, r.firing.dedupeKey, r.created]),
      [[mine.id, 'video:youtube:hit', true]],
    );
    assert.match(first[0]!.firing.message, /4\.5x the blogger's median, 6\.0 h after publish/);
    const again = await withTenant(testAppDb(), { userId }, async (trx) =>
      recordFirings(trx, await videoOutlierCandidates(trx, ctx, videos), now),
    );
    assert.deepEqual(
      again.map((r) => r.created),
      [false],
      'the same video (a retried sync) finds its firing',
    );
    assert.equal((await testDb()('alert_firings').where({ ruleId: other.id })).length, 0);
  });

  it('when follower counts of two data days differ by the threshold, then follower_change fires once for the day; the first lookup of a day stands', async () => {
    const gain = await rule('follower_change', { bloggerId: null, direction: 'gain', percent: 10 });
    const fireOn = (day: string, followers: number) =>
      withTenant(testAppDb(), { userId }, async (trx) =>
        recordFirings(
          trx,
          await followerChangeCandidates(
            trx,
            { userId, bloggerId, bloggerName: 'Ada', day },
            [{ platform: 'tiktok', followers, fetchedAt: now }],
            ['tiktok'],
          ),
          new Date(`${day}T12:00:00Z`),
        ),
      );
    assert.deepEqual(await fireOn('2026-11-29', 1000), [], 'no day before to compare with');
    const fired = await fireOn('2026-11-30', 1200);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.rule.id, gain.id);
    assert.deepEqual(
      { previous: fired[0]!.firing.subject.previous, current: fired[0]!.firing.subject.current, change: fired[0]!.firing.subject.change },
      { previous: 1000, current: 1200, change: 200 },
    );
    const later = await fireOn('2026-11-30', 5000);
    assert.equal(later[0]!.created, false, 'a later lookup of the same day changes nothing and fires nothing new');
    const counts = await testDb()('blogger_follower_counts').where({ bloggerId, platform: 'tiktok' }).orderBy('day');
    assert.deepEqual(
      counts.map((c) => Number(c.followers)),
      [1000, 1200],
    );
  });
});
