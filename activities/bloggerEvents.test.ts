/**
 * A blogger sync's live events (activities/bloggerEvents.ts) around its steps, on real PostgreSQL
 * and Redis: each change of a link or a wait is told once, however often a step runs again, and a
 * sync tells what it wrote. The steps are stand-ins that write what the real ones would.
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { Blogger, User, VideoHistory } from '../db/models';
import { realClock } from '../lib/clock';
import { audienceStreamKey } from '../lib/domain/events';
import { FAILURE_TYPES, quotaFailureDetails } from '../temporal/contract';
import { resetDb, testAppDb, testDb, testLogger, testRedis } from '../test/harness';
import type { SyncOutcome } from './bloggers';
import { withLinkEvents, withSyncEvents } from './bloggerEvents';

const deps = () => ({ db: testAppDb(), redis: testRedis(), logger: testLogger, clock: realClock() });

describe('blogger sync events (activities/bloggerEvents.ts)', function () {
  this.timeout(30_000);
  let userId: number;
  let bloggerId: number;
  const told = async () =>
    (await testRedis().xrange(audienceStreamKey({ userId }), '-', '+')).map(([, fields]) => {
      const event = JSON.parse(fields[fields.indexOf('e') + 1]!);
      return [event.type, event.data] as [string, Record<string, unknown>];
    });
  const setLinks = (links: Blogger['platformLinks']) => Blogger.query(testDb()).patch({ platformLinks: links }).where('id', bloggerId);
  const outcome = (patch: Partial<SyncOutcome> = {}): SyncOutcome => ({
    deleted: false,
    fetched: 0,
    due: 0,
    budgetLeft: 10,
    budgetResetsAt: null,
    linkErrors: {},
    deferred: {},
    ...patch,
  });

  before(async () => {
    await resetDb();
    const user = await User.query(testDb()).insertAndFetch({ email: `events-${Date.now()}@example.com`, passwordHash: 'x', plan: 'pro' });
    userId = user.id;
    const blogger = await Blogger.query(testDb()).insertAndFetch({
      userId,
      name: 'Ada',
      youtubeUrl: 'https://www.youtube.com/@ada',
      youtubeHandle: 'ada',
      syncStatus: 'idle',
      platformLinks: { youtube: { state: 'pending' } },
    } as Partial<Blogger>);
    bloggerId = blogger.id;
  });
  after(() => resetDb());

  it('when a link breaks and later works again, then link_broken and link_restored are told once each, however often the step runs', async () => {
    const step = (links: Blogger['platformLinks']) =>
      withLinkEvents(deps(), { bloggerId, userId }, async () => void (await setLinks(links)));
    await step({ youtube: { state: 'ok', resolvedId: 'UCada' } });
    assert.deepEqual(await told(), [], 'a link that resolves the first time is no news');
    const broken = { youtube: { state: 'broken' as const, reason: 'youtube: quota exceeded', retryAt: '2026-12-01T08:00:00.000Z' } };
    await step(broken);
    await step(broken);
    await step({ youtube: { state: 'ok', resolvedId: 'UCada' } });
    await step({ youtube: { state: 'ok', resolvedId: 'UCada' } });
    assert.deepEqual(await told(), [
      ['blogger.link_broken', { bloggerId, platform: 'youtube', reason: 'youtube: quota exceeded', retryAt: '2026-12-01T08:00:00.000Z' }],
      ['blogger.link_restored', { bloggerId, platform: 'youtube' }],
    ]);
  });

  it('when a sync stops at a spent quota and a later one runs, then the wait is told started once and ended once, and each sync that ran says what it wrote', async () => {
    await testRedis().del(audienceStreamKey({ userId }));
    const resetAt = new Date(Date.now() + 3_600_000).toISOString();
    const spent = () =>
      withSyncEvents(deps(), { bloggerId, userId, syncAt: new Date().toISOString(), lookbackMs: 0, maxVideos: 10 }, async () => {
        throw ApplicationFailure.create({
          message: 'youtube: quota exceeded',
          type: FAILURE_TYPES.quotaExhausted,
          nonRetryable: true,
          details: quotaFailureDetails(resetAt),
        });
      });
    await assert.rejects(spent(), /quota exceeded/);
    await assert.rejects(spent(), /quota exceeded/, 'a retry tells nothing new');

    // A sync that runs: two rows of one video (an earlier sync's, this one's) and one new video.
    const syncAt = new Date();
    const row = (videoId: string, fetchedAt: Date) => ({
      userId,
      bloggerId,
      platform: 'youtube' as const,
      platformVideoId: videoId,
      title: videoId,
      publishedAt: new Date(syncAt.getTime() - 86_400_000),
      views: 100,
      fetchedAt,
    });
    await VideoHistory.query(testDb()).insert(row('old00000001', new Date(syncAt.getTime() - 3_600_000)));
    // The sync's follower lookup (a follower_change rule asked for it) and the day before's.
    const day = (offset: number) => new Date(syncAt.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    await testDb()('blogger_follower_counts').insert([
      { userId, bloggerId, platform: 'youtube', day: day(-1), followers: 1000, fetchedAt: new Date(syncAt.getTime() - 86_400_000) },
      { userId, bloggerId, platform: 'youtube', day: day(0), followers: 1250, fetchedAt: new Date(syncAt.getTime() + 1000) },
    ]);
    const run = () =>
      withSyncEvents(deps(), { bloggerId, userId, syncAt: syncAt.toISOString(), lookbackMs: 0, maxVideos: 10 }, async () => {
        if (!(await VideoHistory.query(testDb()).findOne({ platformVideoId: 'new00000001' }))) {
          await VideoHistory.query(testDb()).insert([
            row('old00000001', new Date(syncAt.getTime() + 1000)),
            row('new00000001', new Date(syncAt.getTime() + 1000)),
          ]);
        }
        await Blogger.query(testDb()).patch({ lastSyncedAt: syncAt }).where('id', bloggerId);
        return outcome({ fetched: 2, due: 2 });
      });
    await run();
    await run(); // a retry of the same sync

    const events = await told();
    assert.deepEqual(
      events.map(([type]) => type),
      ['blogger.quota_wait_started', 'blogger.quota_wait_ended', 'blogger.synced', 'blogger.video_new'],
    );
    assert.deepEqual(events[0]![1], {
      bloggerId,
      reason: 'platform_quota',
      platform: 'youtube',
      message: 'youtube: quota exceeded',
      resumesAt: resetAt,
    });
    assert.equal(events[1]![1].reason, 'platform_quota');
    assert.deepEqual([events[2]![1].newVideos, events[2]![1].updatedVideos, events[2]![1].name], [1, 1, 'Ada']);
    assert.deepEqual(events[2]![1].followers, { youtube: { count: 1250, change: 250 } });
    assert.deepEqual([events[3]![1].videoId, events[3]![1].platform], ['new00000001', 'youtube']);
  });
});
