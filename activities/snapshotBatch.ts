/**
 * Trend snapshots in batches: the monitors sharing a grid point wake together, and their
 * takeTrendSnapshot activities join one batch per platform (up to the platform's ids per call,
 * gathered for `windowMs`). A batch reads what it needs in one statement, asks the platform once
 * for all its live videos, and writes every snapshot in one statement: 3 round trips for 50
 * snapshots where a snapshot each took 7.
 *
 * Each caller still gets its own answer or its own error (a deleted video fails only its caller),
 * and a batch that fails as a whole (the platform's quota, the database) fails each of its
 * callers, whose activity retries on its own. Idempotent like the activity it serves: a slot
 * written already is answered from its row, without a platform call.
 */
import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import {
  snapshotStates,
  writeSnapshots,
  type NewSnapshot,
  type SnapshotKey,
  type SnapshotState,
  type SnapshotWrite,
} from '../db/queries/trendVideos';
import { acceleration as accelerationOf, sampleAt, velocity as velocityOf } from '../lib/domain/metrics';
import { isLiveTrendVideoStatus, type TrendVideoStatus } from '../lib/domain/trendVideoStatus';
import type { Platforms } from '../platforms';
import { PlatformError } from '../platforms/errors';
import type { PlatformName, VideoStats } from '../platforms/types';
import { snapshotBatchSize, snapshotFailures, snapshotLateness } from './metrics';

export interface SnapshotRequest {
  trendVideoId: number;
  platform: PlatformName;
  platformVideoId: string;
  slot: number;
  /** The grid instant (real ms) the slot was due; absent from monitors started before it was sent. */
  dueAt?: number;
}

export interface SnapshotAnswer {
  velocity: number | null;
  acceleration: number | null;
  /** The video's status in the database after the write (an ended one: nothing fetched, nothing written). */
  status: TrendVideoStatus;
  /** The slot had been written already (a retried activity): nothing fetched. */
  duplicate: boolean;
}

export interface SnapshotBatchOptions {
  /** How long a batch gathers wake-ups before it runs. */
  windowMs: number;
  /**
   * Told of every snapshot of a live video the batch wrote, or found written by an earlier attempt
   * (velocity alerts). Awaited before the callers are answered, and a failure fails them: a process
   * that dies between the write and the alert leaves activities that retry, find their rows, and
   * tell of them again (the alert's firing is keyed, so a repeat records nothing twice).
   */
  onSnapshots?: (snapshots: WrittenSnapshot[]) => Promise<unknown>;
}

/** A snapshot a batch wrote (or found written), with the velocity before it. */
export interface WrittenSnapshot {
  trendVideoId: number;
  platform: PlatformName;
  platformVideoId: string;
  previousVelocity: number | null;
  velocity: number | null;
  views: number | null;
  takenAt: Date;
}

const key = (k: SnapshotKey) => `${k.videoId}:${k.slot}`;

/**
 * Rows per statement at most when batches' reads and writes are merged: a few batches, not a whole
 * burst, so that a burst's statements run on several connections at once (PostgreSQL runs each
 * statement on one core). bench:ingest, 8 batches of 50 at once: 1,000 rows a statement gave 0.15
 * of a raw COPY here, 200 gave 0.26.
 */
const MAX_ROWS_PER_STATEMENT = 200;

/**
 * The database side of snapshot batches: the reads (and the writes) of the batches that reach it
 * in the same turn of the event loop go in one statement (`mergeWindowMs` waits longer: a wait the
 * database spends idle). A grid point's burst finishes many platform calls together; this turns
 * their 50-row statements into fewer, larger ones.
 */
export class SnapshotStore {
  private readonly states: DataLoader<SnapshotKey, SnapshotState, string>;
  private readonly writes: DataLoader<NewSnapshot, SnapshotWrite, string>;

  constructor(db: Knex, { mergeWindowMs = 0 }: { mergeWindowMs?: number } = {}) {
    const options = {
      cache: false,
      maxBatchSize: MAX_ROWS_PER_STATEMENT,
      batchScheduleFn: (callback: () => void) => setTimeout(callback, mergeWindowMs),
    } as const;
    this.states = new DataLoader<SnapshotKey, SnapshotState, string>(async (keys) => inOrder(keys, await snapshotStates(db, [...keys])), {
      ...options,
      cacheKeyFn: key,
    });
    this.writes = new DataLoader<NewSnapshot, SnapshotWrite, string>(async (rows) => inOrder(rows, await writeSnapshots(db, [...rows])), {
      ...options,
      cacheKeyFn: key,
    });
  }

  read(keys: SnapshotKey[]): Promise<SnapshotState[]> {
    return Promise.all(keys.map((k) => this.states.load(k)));
  }

  write(rows: NewSnapshot[]): Promise<SnapshotWrite[]> {
    return Promise.all(rows.map((r) => this.writes.load(r)));
  }
}

/** The answers of a merged statement in the order of its keys (a key twice gets the same answer). */
function inOrder<T extends SnapshotKey>(keys: readonly SnapshotKey[], answers: T[]): (T | Error)[] {
  const byKey = new Map(answers.map((a) => [key(a), a]));
  return keys.map((k) => byKey.get(key(k)) ?? new Error(`no answer for snapshot ${key(k)}`));
}

/** The batch a platform's wake-ups are joining: how many so far, and how to send it now. */
interface OpenBatch {
  size: number;
  maxSize: number;
  send?: () => void;
}

export class SnapshotBatcher {
  private readonly loaders = new Map<PlatformName, { loader: DataLoader<SnapshotRequest, SnapshotAnswer, string>; open: OpenBatch }>();
  private readonly store: SnapshotStore;

  constructor(
    private readonly deps: { db: Knex; platforms: Platforms },
    private readonly options: SnapshotBatchOptions,
  ) {
    this.store = new SnapshotStore(deps.db);
  }

  take(request: SnapshotRequest): Promise<SnapshotAnswer> {
    const { loader, open } = this.loader(request.platform);
    const answer = loader.load(request);
    // A full batch goes at once; only a partial one waits out the window for more wake-ups.
    if (++open.size >= open.maxSize) open.send?.();
    return answer;
  }

  private loader(platform: PlatformName) {
    let entry = this.loaders.get(platform);
    if (!entry) {
      // One platform call per batch: as many wake-ups as the platform takes ids per call.
      const open: OpenBatch = { size: 0, maxSize: this.deps.platforms.client(platform).capabilities.maxBatchSize };
      const loader = new DataLoader<SnapshotRequest, SnapshotAnswer, string>((requests) => this.run(platform, requests), {
        cache: false,
        cacheKeyFn: (r) => `${r.trendVideoId}:${r.slot}`,
        maxBatchSize: open.maxSize,
        // Called as each batch opens: it is sent when the window ends or when it fills, whichever is first.
        batchScheduleFn: (callback) => {
          const timer = setTimeout(() => send(), this.options.windowMs);
          const send = () => {
            clearTimeout(timer);
            if (open.send === send) Object.assign(open, { size: 0, send: undefined });
            callback();
          };
          Object.assign(open, { size: 0, send });
        },
      });
      entry = { loader, open };
      this.loaders.set(platform, entry);
    }
    return entry;
  }

  private async run(platform: PlatformName, requests: readonly SnapshotRequest[]): Promise<(SnapshotAnswer | Error)[]> {
    snapshotBatchSize.observe({ platform }, requests.length);
    try {
      const answers = await this.answer(platform, requests);
      for (const a of answers)
        if (a instanceof Error) snapshotFailures.inc({ platform, kind: a instanceof PlatformError ? a.kind : 'error' });
      return answers;
    } catch (err) {
      snapshotFailures.inc({ platform, kind: err instanceof PlatformError ? err.kind : 'batch' }, requests.length);
      throw err;
    }
  }

  private async answer(platform: PlatformName, requests: readonly SnapshotRequest[]): Promise<(SnapshotAnswer | Error)[]> {
    const states = new Map(
      (await this.store.read(requests.map((r) => ({ videoId: r.trendVideoId, slot: r.slot })))).map((s) => [key(s), s]),
    );
    const stateOf = (r: SnapshotRequest) => states.get(`${r.trendVideoId}:${r.slot}`)!;
    // Live videos whose slot is not written yet are fetched, in one platform call.
    const toFetch = requests.filter((r) => !stateOf(r).existing && isLiveTrendVideoStatus(stateOf(r).status));
    const fetched = toFetch.length
      ? await this.deps.platforms.stats(platform).getMany([...new Set(toFetch.map((r) => r.platformVideoId))])
      : new Map<string, VideoStats | PlatformError>();

    const snapshots = new Map<string, NewSnapshot>();
    for (const r of toFetch) {
      const stats = fetched.get(r.platformVideoId);
      if (!stats || stats instanceof PlatformError) continue;
      snapshots.set(`${r.trendVideoId}:${r.slot}`, snapshotOf(r, stats, stateOf(r).previous));
    }
    const writes = new Map((await this.store.write([...snapshots.values()])).map((w) => [key(w), w]));
    const doneAt = Date.now();
    if (this.options.onSnapshots) {
      const told = snapshotsToTell(requests, stateOf, snapshots, writes);
      if (told.length) await this.options.onSnapshots(told);
    }

    return requests.map((r) => {
      const state = stateOf(r);
      if (state.existing)
        return {
          velocity: state.existing.velocity ?? null,
          acceleration: state.existing.acceleration ?? null,
          status: state.status,
          duplicate: true,
        };
      if (!isLiveTrendVideoStatus(state.status)) return notLive(state.status);
      const stats = fetched.get(r.platformVideoId);
      if (stats instanceof PlatformError) return stats;
      const snapshot = snapshots.get(`${r.trendVideoId}:${r.slot}`);
      const write = writes.get(`${r.trendVideoId}:${r.slot}`);
      if (!snapshot || !write) return new Error(`snapshot of ${r.platform} video ${r.platformVideoId} slot ${r.slot} had no answer`);
      // Ended between the read and the write (cleanup archived it): nothing written, the status says why.
      if (!isLiveTrendVideoStatus(write.status)) return notLive(write.status);
      if (write.written && r.dueAt !== undefined) snapshotLateness.observe({ platform }, Math.max(0, doneAt - r.dueAt) / 1000);
      return {
        velocity: snapshot.velocity ?? null,
        acceleration: snapshot.acceleration ?? null,
        status: write.status,
        duplicate: !write.written,
      };
    });
  }
}

/**
 * A snapshot's time is when the platform answered (the adapter's clock), however late the write:
 * velocity and acceleration are rates between answer times.
 */
function snapshotOf(r: SnapshotRequest, stats: VideoStats, previous: SnapshotState['previous']): NewSnapshot {
  const takenAt = new Date(stats.fetchedAt);
  const views = stats.metrics.views;
  const velocity = previous ? velocityOf(sampleAt(previous.views, previous.takenAt), sampleAt(views, takenAt)) : null;
  const acceleration =
    previous && velocity !== null && previous.velocity !== null && previous.velocity !== undefined
      ? accelerationOf(sampleAt(previous.velocity, previous.takenAt), sampleAt(velocity, takenAt))
      : null;
  return {
    videoId: r.trendVideoId,
    slot: r.slot,
    takenAt,
    views,
    likes: stats.metrics.likes,
    comments: stats.metrics.comments,
    shares: stats.metrics.shares,
    velocity,
    acceleration,
  };
}

/** The snapshots of live videos a batch wrote, and those an earlier attempt wrote (a retry). */
function snapshotsToTell(
  requests: readonly SnapshotRequest[],
  stateOf: (r: SnapshotRequest) => SnapshotState,
  snapshots: Map<string, NewSnapshot>,
  writes: Map<string, SnapshotWrite>,
): WrittenSnapshot[] {
  const told: WrittenSnapshot[] = [];
  for (const r of requests) {
    const state = stateOf(r);
    const k = key({ videoId: r.trendVideoId, slot: r.slot });
    const row = state.existing ?? (writes.get(k)?.written ? snapshots.get(k) : undefined);
    if (!row || !isLiveTrendVideoStatus(writes.get(k)?.status ?? state.status)) continue;
    told.push({
      trendVideoId: r.trendVideoId,
      platform: r.platform,
      platformVideoId: r.platformVideoId,
      previousVelocity: state.previous?.velocity ?? null,
      velocity: row.velocity ?? null,
      views: row.views ?? null,
      takenAt: row.takenAt,
    });
  }
  return told;
}

/** A snapshot's answer for a video the database says has ended: nothing fetched, nothing written. */
function notLive(status: TrendVideoStatus): SnapshotAnswer {
  return { velocity: null, acceleration: null, status, duplicate: false };
}
