/**
 * The snapshot ingest benchmark's run (bench/snapshotIngest.ts is its command line; a tiny run is
 * in `npm test`): the same snapshot rows written into trend_snapshots twice, on the same database,
 *  - by raw COPY (pg-copy-streams): the ceiling, a bulk load that checks nothing;
 *  - by the product's path: `concurrency` snapshot batches of `batchSize` at a time (a grid
 *    point's burst: platform calls finishing together), each reading its state and writing its
 *    rows through the worker's SnapshotStore (activities/snapshotBatch.ts), which merges the reads
 *    and the writes that reach it together into statements of up to 200 rows (snapshotStates, writeSnapshots).
 * The table is emptied between the two, and the product's rows are checked after its run.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SnapshotStore } from '../../activities/snapshotBatch';
import type { NewSnapshot } from '../../db/queries/trendVideos';

export interface IngestOptions {
  videos: number;
  slots: number;
  batchSize: number;
  concurrency: number;
}

export interface IngestResult {
  rows: number;
  copySeconds: number;
  copyRowsPerSecond: number;
  productSeconds: number;
  productRowsPerSecond: number;
  /** product ÷ COPY */
  ratio: number;
}

const HOUR_MS = 3_600_000;

/** Slot `slot` of every video: what one 2 h cycle of monitors writes. */
function cycle(videoIds: number[], slot: number, start: number): NewSnapshot[] {
  return videoIds.map((videoId, i) => ({
    videoId,
    slot,
    takenAt: new Date(start + slot * 2 * HOUR_MS + (i % 1000)),
    views: 1000 + slot * 500 + i,
    likes: 50 + slot,
    comments: 5 + slot,
    shares: slot,
    velocity: slot === 0 ? null : 250,
    acceleration: slot < 2 ? null : 0,
  }));
}

const copyLine = (s: NewSnapshot) =>
  [
    s.videoId,
    s.slot,
    new Date(s.takenAt).toISOString(),
    s.views,
    s.likes,
    s.comments,
    s.shares,
    s.velocity ?? '\\N',
    s.acceleration ?? '\\N',
  ].join('\t') + '\n';

async function copyRows(db: Knex, rows: NewSnapshot[]): Promise<void> {
  const connection = (await db.client.acquireConnection()) as PoolClient;
  try {
    const sink = connection.query(
      copyFrom('COPY trend_snapshots (video_id, slot, taken_at, views, likes, comments, shares, velocity, acceleration) FROM STDIN'),
    );
    await pipeline(Readable.from(rows.map(copyLine)), sink);
  } finally {
    await db.client.releaseConnection(connection);
  }
}

/** The worker's path: per batch, its state read and its write through one SnapshotStore; `concurrency` batches in flight. */
async function productRows(db: Knex, rows: NewSnapshot[], { batchSize, concurrency }: IngestOptions): Promise<void> {
  const store = new SnapshotStore(db);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rows.length) {
        const batch = rows.slice(next, next + batchSize);
        next += batchSize;
        await store.read(batch.map((s) => ({ videoId: s.videoId, slot: s.slot })));
        const written = await store.write(batch);
        if (written.some((w) => !w.written)) throw new Error('a snapshot of the ingest benchmark was not written');
      }
    }),
  );
}

export async function runIngest(db: Knex, opts: IngestOptions, progress: (line: string) => void): Promise<IngestResult> {
  const start = Date.now() - 7 * 24 * HOUR_MS;
  await db.raw('TRUNCATE trend_snapshots, trend_videos RESTART IDENTITY CASCADE');
  const videoIds = (
    await db.raw(
      `INSERT INTO trend_videos (platform, platform_video_id, creator_id, published_at, status)
       SELECT 'youtube', 'ingest-' || g, 'creator-' || (g % 500), ?::timestamptz, 'monitoring' FROM generate_series(1, ?) g RETURNING id`,
      [new Date(start).toISOString(), opts.videos],
    )
  ).rows.map((r: { id: string }) => Number(r.id)) as number[];
  // Slot by slot, as the monitors write them (each row's previous slot is there when it comes).
  const rows = Array.from({ length: opts.slots }, (_, slot) => cycle(videoIds, slot, start)).flat();

  const time = async (label: string, work: () => Promise<void>) => {
    await db.raw('TRUNCATE trend_snapshots');
    await db.raw('VACUUM ANALYZE trend_snapshots');
    progress(`${label}: ${rows.length} rows …`);
    const t = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  const copySeconds = await time('COPY', () => copyRows(db, rows));
  const productSeconds = await time(`product batches of ${opts.batchSize}, ${opts.concurrency} at once`, () => productRows(db, rows, opts));
  const n = Number(((await db('trend_snapshots').count('* as n').first()) as { n: string } | undefined)?.n ?? 0);
  if (n !== rows.length) throw new Error(`the product's path wrote ${n} of ${rows.length} rows`);
  return {
    rows: rows.length,
    copySeconds,
    copyRowsPerSecond: rows.length / copySeconds,
    productSeconds,
    productRowsPerSecond: rows.length / productSeconds,
    ratio: copySeconds / productSeconds,
  };
}
