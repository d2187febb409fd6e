/**
 * Snapshot batches on real PostgreSQL and the simulator behind the real stats batcher: monitors
 * waking together share platform calls and statements, and each still gets its own answer.
 */
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { SnapshotBatcher, SnapshotStore, type SnapshotRequest, type WrittenSnapshot } from './snapshotBatch';
import { snapshotFailures, snapshotLateness } from './metrics';
import { TrendSnapshot, TrendVideo } from '../db/models';
import { writeSnapshots } from '../db/queries/trendVideos';
import type { Platforms } from '../platforms';
import type { StatsBatcher } from '../platforms/batcher';
import { PlatformError } from '../platforms/errors';
import type { SimulatorClient } from '../platforms/simulator';
import { newFaults, faultyPlatforms } from '../test/faults';
import { resetDb, testDb } from '../test/harness';
import { createTestWorker } from '../test/worker';

const HOUR = 3_600_000;

describe('snapshot batches (real PostgreSQL, simulator)', function () {
  this.timeout(30_000);
  let platforms: Platforms;
  let now: number;

  before(async () => {
    await resetDb();
    const { deps } = await createTestWorker();
    platforms = deps.platforms;
    now = deps.clock.now();
  });
  after(() => resetDb());

  /** `n` of the simulated world's fresh YouTube videos as live trend videos. */
  async function liveVideos(n: number, skip = 0): Promise<SnapshotRequest[]> {
    const simulator = platforms.client('youtube') as SimulatorClient;
    const fresh = simulator.world.freshVideos(now - 6 * 24 * HOUR, now).slice(skip, skip + n);
    assert.equal(fresh.length, n, 'the simulated world has enough fresh videos');
    const rows = (await TrendVideo.query(testDb()).insert(
      fresh.map((v) => ({
        platform: 'youtube' as const,
        platformVideoId: simulator.videoId(v),
        creatorId: v.creator.username,
        publishedAt: new Date(v.publishedAt),
      })),
    )) as unknown as TrendVideo[];
    return rows.map((r) => ({ trendVideoId: r.id, platform: 'youtube', platformVideoId: r.platformVideoId, slot: 0 }));
  }
  const calls = () => (platforms.stats('youtube') as StatsBatcher).upstreamCalls;
  const batcher = (p: Platforms = platforms) => new SnapshotBatcher({ db: testDb(), platforms: p }, { windowMs: 20 });

  it('when 60 monitors wake together, then they share 2 platform calls (50 ids, then 10) and each gets its own snapshot row', async () => {
    const requests = await liveVideos(60);
    const shared = batcher();
    const before = calls();
    const answers = await Promise.all(requests.map((r) => shared.take(r)));
    assert.equal(calls() - before, 2, 'one call per 50 ids');
    assert.ok(answers.every((a) => a.duplicate === false && a.status === 'monitoring'));
    const rows = await TrendSnapshot.query(testDb()).whereIn(
      'videoId',
      requests.map((r) => r.trendVideoId),
    );
    assert.equal(rows.length, 60);
  });

  it('when a batch fills before its window ends, then it goes at once; the rest wait for the window', async () => {
    const requests = await liveVideos(51, 300);
    const slow = new SnapshotBatcher({ db: testDb(), platforms }, { windowMs: 3000 });
    const started = Date.now();
    const full = Promise.all(requests.slice(0, 50).map((r) => slow.take(r))).then(() => Date.now() - started);
    const partial = slow.take(requests[50]!).then(() => Date.now() - started);
    assert.ok((await full) < 2000, 'the full batch did not wait for the window');
    assert.ok((await partial) >= 2900, 'the partial batch waited for more wake-ups');
  });

  it('when a monitor wakes for its next slot, then velocity is computed against its previous snapshot and carried to the video', async () => {
    const [request] = await liveVideos(1, 200);
    const shared = batcher();
    await shared.take(request!);
    const second = await shared.take({ ...request!, slot: 1 });
    assert.equal(typeof second.velocity, 'number');
    const video = await TrendVideo.query(testDb()).findById(request!.trendVideoId);
    assert.equal(video!.snapshotCount, 2);
    assert.equal(video!.velocity, second.velocity);
  });

  it('when a slot was written already (a retried activity), then it is answered from its row without a platform call', async () => {
    const [request] = await liveVideos(1, 210);
    const shared = batcher();
    const first = await shared.take(request!);
    const before = calls();
    const again = await shared.take(request!);
    assert.equal(calls(), before, 'no platform call');
    assert.equal(again.duplicate, true);
    assert.equal(again.velocity, first.velocity);
    assert.equal((await TrendSnapshot.query(testDb()).where('videoId', request!.trendVideoId)).length, 1);
  });

  it('when telling of written snapshots fails (a crash before the alert), then the callers fail; their retry finds the rows and tells of them again', async () => {
    const requests = await liveVideos(2, 260);
    const told: WrittenSnapshot[][] = [];
    let failNext = true;
    const telling = new SnapshotBatcher(
      { db: testDb(), platforms },
      {
        windowMs: 20,
        onSnapshots: async (snapshots) => {
          told.push(snapshots);
          if (failNext) throw new Error('the process died here');
        },
      },
    );
    const first = await Promise.allSettled(requests.map((r) => telling.take(r)));
    assert.ok(
      first.every((s) => s.status === 'rejected'),
      'the activities fail, so Temporal retries them',
    );
    assert.equal(
      (
        await TrendSnapshot.query(testDb()).whereIn(
          'videoId',
          requests.map((r) => r.trendVideoId),
        )
      ).length,
      2,
      'written',
    );

    failNext = false;
    const before = calls();
    const retried = await Promise.all(requests.map((r) => telling.take(r)));
    assert.equal(calls(), before, 'the retry fetches nothing');
    assert.ok(retried.every((a) => a.duplicate));
    assert.equal(told.length, 2);
    assert.deepEqual(
      told[1]!.map((s) => [s.trendVideoId, s.views, s.takenAt.getTime()]).sort(),
      told[0]!.map((s) => [s.trendVideoId, s.views, s.takenAt.getTime()]).sort(),
      'the retry tells of the same rows',
    );
  });

  it('when a video has ended (archived by cleanup), then nothing is fetched or written and the answer carries its status', async () => {
    const [request] = await liveVideos(1, 220);
    await TrendVideo.query(testDb()).findById(request!.trendVideoId).patch({ status: 'archived' });
    const before = calls();
    const answer = await batcher().take(request!);
    assert.deepEqual(answer, { velocity: null, acceleration: null, status: 'archived', duplicate: false });
    assert.equal(calls(), before);
    assert.equal((await TrendSnapshot.query(testDb()).where('videoId', request!.trendVideoId)).length, 0);
  });

  it('when one video of a batch is unknown to the platform, then only its caller fails (not_found) and the others are written', async () => {
    const requests = await liveVideos(3, 230);
    const [gone] = (await TrendVideo.query(testDb()).insert([
      { platform: 'youtube', platformVideoId: 'noSuchVid01', creatorId: 'nobody', publishedAt: new Date(now - HOUR) },
    ])) as unknown as TrendVideo[];
    const shared = batcher();
    const settled = await Promise.allSettled(
      [...requests, { trendVideoId: gone!.id, platform: 'youtube' as const, platformVideoId: 'noSuchVid01', slot: 0 }].map((r) =>
        shared.take(r),
      ),
    );
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
    );
    const reason = (settled[3] as PromiseRejectedResult).reason as PlatformError;
    assert.ok(reason instanceof PlatformError);
    assert.equal(reason.kind, 'not_found');
  });

  it('when the platform fails for the whole batch, then every caller fails, nothing is written, and the failures are counted', async () => {
    const requests = await liveVideos(3, 240);
    const faults = newFaults();
    faults.platformDown = true;
    const failedBefore = (await snapshotFailures.get()).values.reduce((n, v) => n + v.value, 0);
    const settled = await Promise.allSettled(requests.map((r) => batcher(faultyPlatforms(platforms, faults)).take(r)));
    assert.ok(settled.every((s) => s.status === 'rejected'));
    assert.equal(
      (
        await TrendSnapshot.query(testDb()).whereIn(
          'videoId',
          requests.map((r) => r.trendVideoId),
        )
      ).length,
      0,
    );
    const failedAfter = (await snapshotFailures.get()).values.reduce((n, v) => n + v.value, 0);
    assert.equal(failedAfter - failedBefore, 3);
  });

  it("when a slot's grid instant is given, then its lateness is observed", async () => {
    const [request] = await liveVideos(1, 250);
    const count = async () => (await snapshotLateness.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const before = await count();
    await batcher().take({ ...request!, dueAt: Date.now() - 2000 });
    assert.equal((await count()) - before, 1);
  });
});

describe('snapshot writes (real PostgreSQL)', function () {
  this.timeout(30_000);
  before(() => resetDb());
  after(() => resetDb());

  async function videos(n: number, status = 'monitoring'): Promise<number[]> {
    const rows = (await TrendVideo.query(testDb()).insert(
      Array.from({ length: n }, (_, i) => ({
        platform: 'youtube' as const,
        platformVideoId: `write${status}${i}${Date.now()}`,
        creatorId: `c${i}`,
        publishedAt: new Date(),
        status: status as 'monitoring',
      })),
    )) as unknown as TrendVideo[];
    return rows.map((r) => r.id);
  }
  const snapshot = (videoId: number, slot: number, views: number) => ({
    videoId,
    slot,
    takenAt: new Date(Date.now() + slot * 1000),
    views,
    likes: 1,
    comments: 2,
    shares: 3,
    velocity: slot === 0 ? null : 10,
    acceleration: null,
  });

  it('when two slots of a video come in one statement, then both are written once, the count grows by two and the newest figures are carried', async () => {
    const [id] = await videos(1);
    const written = await writeSnapshots(testDb(), [snapshot(id!, 0, 100), snapshot(id!, 1, 200)]);
    assert.deepEqual(
      written.map((w) => w.written),
      [true, true],
    );
    const again = await writeSnapshots(testDb(), [snapshot(id!, 1, 999)]);
    assert.deepEqual(
      again.map((w) => [w.written, w.status]),
      [[false, 'monitoring']],
    );
    const video = await TrendVideo.query(testDb()).findById(id!);
    assert.equal(video!.snapshotCount, 2);
    assert.equal(Number(video!.currentViews), 200);
  });

  it('when a video has ended, then its snapshot is not written and the answer says its status', async () => {
    const [id] = await videos(1, 'archived');
    const [w] = await writeSnapshots(testDb(), [snapshot(id!, 0, 100)]);
    assert.deepEqual([w!.written, w!.status], [false, 'archived']);
    assert.equal((await TrendVideo.query(testDb()).findById(id!))!.snapshotCount, 0);
  });

  /** `batches` batches of `size` new snapshots written through one store at once: how many were written, in how many inserts. */
  async function writeAtOnce(batches: number, size: number) {
    const ids = await videos(batches * size);
    const db = testDb();
    const statements: string[] = [];
    const listen = (q: { sql: string }) => statements.push(q.sql);
    (db as Knex).on('query', listen);
    try {
      const store = new SnapshotStore(db);
      const answers = await Promise.all(
        Array.from({ length: batches }, (_, b) => store.write(ids.slice(b * size, (b + 1) * size).map((id) => snapshot(id, 0, 5)))),
      );
      return {
        written: answers.flat().filter((w) => w.written).length,
        inserts: statements.filter((s) => s.includes('INSERT INTO trend_snapshots')).length,
        rows: await TrendSnapshot.query(testDb()).whereIn('videoId', ids).resultSize(),
      };
    } finally {
      (db as Knex).off('query', listen);
    }
  }

  it('when batches write at the same moment, then the store merges them into one statement', async () => {
    assert.deepEqual(await writeAtOnce(3, 10), { written: 30, inserts: 1, rows: 30 });
  });

  it('when more batches write at once than one statement takes, then they are split over several statements and every row is written', async () => {
    assert.deepEqual(await writeAtOnce(5, 50), { written: 250, inserts: 2, rows: 250 });
  });
});
