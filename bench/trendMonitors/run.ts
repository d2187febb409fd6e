/**
 * The monitor benchmark's run (bench/trendMonitors.ts is its command line; a tiny run is in
 * `npm test`): N trendVideoMonitor workflows started on a Temporal engine, served by one worker in
 * this process with the product's real activities, snapshot batches and stats batcher over the
 * simulator, on PostgreSQL and Redis.
 *
 * Phases: start every monitor (each takes slot 0 at once), wait until every slot 0 is written,
 * then observe the steady state for `observeMs`: every monitor open and waking on its own grid
 * point, every `intervalMs`. Measured over the observation: wake-ups per second, lateness (grid
 * instant to snapshot row, the worker's trend_snapshot_lateness_seconds), ids per platform call,
 * the worker's memory against the workflows it caches, and CPU per wake-up.
 */
import { tsToMs } from '@temporalio/common/lib/time';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import type { Redis } from 'ioredis';
import { snapshotBatchSize, snapshotFailures, snapshotLateness } from '../../activities/metrics';
import { TrendVideo } from '../../db/models';
import { clockFromConfig } from '../../lib/clock';
import type { Config } from '../../lib/config';
import { slotOffsetMs, trendSettings } from '../../lib/domain/trendSettings';
import { LIVE_TREND_VIDEO_STATUSES } from '../../lib/domain/trendVideoStatus';
import type { Logger } from '../../lib/logger';
import { createMailer } from '../../notifications/mailer';
import { createPlatforms } from '../../platforms';
import type { StatsBatcher } from '../../platforms/batcher';
import type { SimulatorClient } from '../../platforms/simulator';
import type { PlatformName } from '../../platforms/types';
import { trendMonitorWorkflowId, type TrendMonitorInput } from '../../temporal/contract';
import { startTrendMonitor, trendMonitorInput } from '../../temporal/starters';
import { createWorker, workerTuning } from '../../temporal/worker';

export const BENCH_PLATFORMS: PlatformName[] = ['youtube', 'tiktok'];

export interface MonitorBenchOptions {
  monitors: number;
  /** Real ms between two snapshots of a monitor (7,200,000: the product's 2 h at TIME_SCALE 1). */
  intervalMs: number;
  /** How long the steady state is observed. */
  observeMs: number;
  /** Monitor starts in flight at once. */
  startConcurrency: number;
  /** Histories sampled after the run to count workflow task timeouts. */
  historySample: number;
}

export interface MonitorBenchEnv {
  /** The worker's configuration (grid points, batch window, sticky cache, simulator size). */
  config: Config;
  /** Owner connection: trend tables are global, so the bench reads and writes them directly. */
  db: Knex;
  redis: Redis;
  logger: Logger;
  namespace: string;
  taskQueue: string;
  workflowBundle?: { code: string } | { codePath: string };
  progress: (line: string) => void;
}

export interface PlatformCalls {
  platform: PlatformName;
  calls: number;
  ids: number;
  idsPerCall: number;
  maxBatchSize: number;
}

export interface MonitorBenchResult {
  monitors: number;
  startSeconds: number;
  startsPerSecond: number;
  /** Running monitors at the end of the observation (visibility count). */
  open: number;
  observeSeconds: number;
  wakeUps: number;
  wakeUpsPerSecond: number;
  /** Lateness quantiles (s), exact: each snapshot row's answer time against its grid instant. */
  latenessP50: number;
  latenessP99: number;
  latenessMax: number;
  /** The worker's own trend_snapshot_lateness_seconds p99: its histogram bucket bound. */
  latenessMetricP99: number;
  calls: PlatformCalls[];
  /** Average wake-ups per snapshot batch during the observation. */
  batchFill: number;
  cachedWorkflows: number;
  maxCachedWorkflows: number;
  rssMiB: number;
  baselineRssMiB: number;
  /** (RSS at steady state − RSS before any monitor) ÷ cached workflows: an upper bound (it includes everything else that grew). */
  kibPerCachedWorkflow: number | null;
  cpuMsPerWakeUp: number;
  /** Workflow task timeouts seen in the sampled histories while observed (the steady state), and how many were sampled. */
  workflowTaskTimeouts: number;
  /** ... and before the observation (the start-up of N monitors at once). */
  startupTaskTimeouts: number;
  historiesSampled: number;
  /** Snapshot activities that failed (recorded by the monitors as gaps). */
  snapshotErrors: number;
}

const MiB = 2 ** 20;

/** Quantile of a prom-client histogram: the bound of the first bucket whose cumulative count reaches it. */
async function histogramQuantile(metric: typeof snapshotLateness, q: number): Promise<{ value: number; count: number }> {
  const { values } = await metric.get();
  const buckets = new Map<number, number>();
  let count = 0;
  for (const v of values) {
    if (v.metricName?.endsWith('_bucket')) {
      const bound = (v.labels as Record<string, string | number | undefined>).le;
      const le = bound === '+Inf' ? Infinity : Number(bound);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count')) count += v.value;
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const found = sorted.find(([, cumulative]) => cumulative >= q * count);
  return { value: count === 0 ? 0 : (found?.[0] ?? Infinity), count };
}

async function histogramMean(metric: typeof snapshotBatchSize): Promise<number> {
  const { values } = await metric.get();
  const sum = values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
  const count = values.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0);
  return count === 0 ? 0 : sum / count;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runMonitorBench(opts: MonitorBenchOptions, env: MonitorBenchEnv): Promise<MonitorBenchResult> {
  const { config, db, progress } = env;
  const product = trendSettings(config);
  // The interval as given, and the batch window capped by it as trendSettings caps it for a compressed cycle.
  const settings = {
    ...product,
    snapshotIntervalMs: opts.intervalMs,
    snapshotBatchWindowMs: Math.min(product.snapshotBatchWindowMs, opts.intervalMs / 4),
  };
  // One week of real slots at this interval: no monitor ends while it is observed.
  const totalSlots = Math.max(3, Math.ceil((7 * 86_400_000) / opts.intervalMs));
  const clock = clockFromConfig(config);
  const platforms = createPlatforms(config, { redis: env.redis, clock });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: env.namespace });
  let worker: Worker | undefined;
  try {
    const videos = await seedVideos(db, platforms, opts.monitors, clock.now(), progress);
    worker = await createWorker({
      connection,
      namespace: env.namespace,
      taskQueue: env.taskQueue,
      deps: {
        db,
        logger: env.logger,
        redis: env.redis,
        platforms,
        temporal: client,
        taskQueue: env.taskQueue,
        settings,
        clock,
        mailer: createMailer(config, env.logger), // as configured: normally off (no SMTP_URL)
      },
      ...(env.workflowBundle ? { workflowBundle: env.workflowBundle } : {}),
      tuning: workerTuning(config),
    });
    const running = worker.run();
    let workerError: unknown;
    running.catch((err: unknown) => (workerError = err));
    const check = () => {
      if (workerError) throw new Error(`the worker stopped: ${(workerError as Error).message}`, { cause: workerError });
    };
    try {
      const baselineRss = process.memoryUsage().rss;

      // 1. Start every monitor (slot 0 is taken at once, like a discovery run's).
      const started = Date.now();
      let next = 0;
      let done = 0;
      const handles: WorkflowHandle[] = [];
      const ticker = setInterval(
        () => progress(`started ${done}/${videos.length} monitors (${(done / ((Date.now() - started) / 1000)).toFixed(0)}/s)`),
        5000,
      );
      // A failed start stops the others, and every start in flight is awaited before the error is
      // thrown: closing the connections under a call still retrying would end the process with
      // grpc's "Channel has been shut down" instead of the error itself.
      let startError: unknown;
      try {
        await Promise.all(
          Array.from({ length: opts.startConcurrency }, async () => {
            while (next < videos.length && startError === undefined && !workerError) {
              const video = videos[next++]!;
              const input: TrendMonitorInput = trendMonitorInput({ ...settings, totalSlots }, video);
              const workflowId = `${trendMonitorWorkflowId(video.platform, video.platformVideoId)}-${env.taskQueue}`;
              try {
                const handle = await startTrendMonitor(client, { taskQueue: env.taskQueue, workflowId }, input);
                if (!handle) throw new Error(`monitor ${workflowId} was refused as a duplicate`);
                handles.push(handle);
                done++;
              } catch (err) {
                startError ??= err;
              }
            }
          }),
        );
      } finally {
        clearInterval(ticker);
      }
      check();
      if (startError) throw new Error(`starting monitor ${done + 1} failed: ${(startError as Error).message}`, { cause: startError });
      const startSeconds = (Date.now() - started) / 1000;
      progress(`started ${done} monitors in ${startSeconds.toFixed(1)} s`);

      // 2. Every slot 0 written (or ended: a video deleted meanwhile ends its monitor without
      // one): from here on, every wake-up is a grid point's.
      const ids = videos.map((v) => v.id);
      for (;;) {
        check();
        const settled = await slotZeroSettled(db, ids);
        if (settled >= videos.length) break;
        progress(`slot 0 written for ${settled}/${videos.length} monitors`);
        await sleep(5000);
      }

      // 3. The steady state, observed.
      snapshotLateness.reset();
      snapshotBatchSize.reset();
      const before = BENCH_PLATFORMS.map((p) => {
        const b = platforms.stats(p) as StatsBatcher;
        return { calls: b.upstreamCalls, ids: b.idsRequested };
      });
      const cpuBefore = process.cpuUsage();
      const observeStart = Date.now();
      const failuresBefore = await countFailures();
      let peakRss = 0;
      while (Date.now() - observeStart < opts.observeMs) {
        check();
        await sleep(Math.min(5000, opts.observeMs - (Date.now() - observeStart)));
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        const p99 = await histogramQuantile(snapshotLateness, 0.99);
        progress(
          `observing ${((Date.now() - observeStart) / 1000).toFixed(0)}/${(opts.observeMs / 1000).toFixed(0)} s: ` +
            `${p99.count} wake-ups, lateness p99 ≤ ${p99.value} s, cached ${worker.getStatus().numCachedWorkflows}, ` +
            `rss ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
        );
      }
      const observeSeconds = (Date.now() - observeStart) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const p99 = await histogramQuantile(snapshotLateness, 0.99);
      const lateness = await exactLateness(db, videos, settings, observeStart, Date.now());
      const calls = BENCH_PLATFORMS.map((platform, i) => {
        const b = platforms.stats(platform) as StatsBatcher;
        const c = b.upstreamCalls - before[i]!.calls;
        const n = b.idsRequested - before[i]!.ids;
        return {
          platform,
          calls: c,
          ids: n,
          idsPerCall: c ? n / c : 0,
          maxBatchSize: platforms.client(platform).capabilities.maxBatchSize,
        };
      });
      const status = worker.getStatus();
      const open = await client.workflow.count(`TaskQueue = "${env.taskQueue}" AND ExecutionStatus = "Running"`);
      const sampled = await sampleTimeouts(client, handles, opts.historySample, observeStart);
      const rss = Math.max(peakRss, process.memoryUsage().rss);
      return {
        monitors: videos.length,
        startSeconds,
        startsPerSecond: videos.length / startSeconds,
        open: open.count,
        observeSeconds,
        wakeUps: p99.count,
        wakeUpsPerSecond: p99.count / observeSeconds,
        latenessP50: quantile(lateness, 0.5),
        latenessP99: quantile(lateness, 0.99),
        latenessMax: quantile(lateness, 1),
        latenessMetricP99: p99.value,
        calls,
        batchFill: await histogramMean(snapshotBatchSize),
        cachedWorkflows: status.numCachedWorkflows,
        maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
        rssMiB: rss / MiB,
        baselineRssMiB: baselineRss / MiB,
        kibPerCachedWorkflow: status.numCachedWorkflows > 0 ? (rss - baselineRss) / 1024 / status.numCachedWorkflows : null,
        cpuMsPerWakeUp: p99.count ? (cpu.user + cpu.system) / 1000 / p99.count : 0,
        workflowTaskTimeouts: sampled.timeouts,
        startupTaskTimeouts: sampled.startupTimeouts,
        historiesSampled: sampled.sampled,
        snapshotErrors: (await countFailures()) - failuresBefore,
      };
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await terminateAll(client, env.taskQueue, progress);
    }
  } finally {
    await connection.close();
    await clientConnection.close();
  }
}

/** The world's own fresh videos (discovery shows only a slice), half on each platform, as trend_videos rows. */
async function seedVideos(
  db: Knex,
  platforms: ReturnType<typeof createPlatforms>,
  monitors: number,
  now: number,
  progress: (line: string) => void,
): Promise<{ id: number; platform: PlatformName; platformVideoId: string }[]> {
  const rows: Partial<TrendVideo>[] = [];
  for (const [i, platform] of BENCH_PLATFORMS.entries()) {
    const want = Math.floor(monitors / BENCH_PLATFORMS.length) + (i < monitors % BENCH_PLATFORMS.length ? 1 : 0);
    const simulator = platforms.client(platform) as SimulatorClient;
    // One row per id: a wave's post can show in more than one list of the world.
    const fresh = [...new Map(simulator.world.freshVideos(now - 6 * 86_400_000, now).map((v) => [simulator.videoId(v), v])).values()];
    if (fresh.length < want) {
      throw new Error(
        `the simulated ${platform} world has ${fresh.length} fresh videos, ${want} wanted: raise SIMULATOR_CREATORS (the bench sizes it from --monitors)`,
      );
    }
    for (const v of fresh.slice(0, want))
      rows.push({ platform, platformVideoId: simulator.videoId(v), creatorId: v.creator.username, publishedAt: new Date(v.publishedAt) });
  }
  const inserted: TrendVideo[] = [];
  for (let i = 0; i < rows.length; i += 2000) {
    inserted.push(...((await TrendVideo.query(db).insert(rows.slice(i, i + 2000))) as unknown as TrendVideo[]));
  }
  progress(`seeded ${inserted.length} trend videos`);
  return inserted.map((r) => ({ id: r.id, platform: r.platform as PlatformName, platformVideoId: r.platformVideoId }));
}

/**
 * Lateness of every grid slot (1 and on) that fell due and was answered during the observation, in
 * seconds: the row's answer time against the grid instant it belongs to (the monitor's offset on
 * the grid, as the workflow computes it; a row is never a whole interval late here). Slots due
 * before the observation began are left out: they are the start-up backlog's spill-over (a
 * monitor whose slot 0 drained after its first grid point wakes at once), not the steady state.
 */
async function exactLateness(
  db: Knex,
  videos: { id: number; platform: PlatformName; platformVideoId: string }[],
  settings: { snapshotIntervalMs: number; gridPoints: number },
  from: number,
  to: number,
): Promise<number[]> {
  const byId = new Map(videos.map((v) => [v.id, v]));
  const rows = (await db('trend_snapshots')
    .whereIn('videoId', [...byId.keys()])
    .where('slot', '>=', 1)
    .whereBetween('takenAt', [new Date(from), new Date(to)])
    .select('videoId', 'takenAt')) as { videoId: number; takenAt: Date }[];
  const interval = settings.snapshotIntervalMs;
  return rows
    .map((r) => {
      const v = byId.get(Number(r.videoId))!;
      const offset = slotOffsetMs(v.platform, v.platformVideoId, interval, settings.gridPoints);
      const at = r.takenAt.getTime();
      const dueAt = Math.floor((at - offset) / interval) * interval + offset;
      return dueAt >= from ? (at - dueAt) / 1000 : null;
    })
    .filter((lateness): lateness is number => lateness !== null)
    .sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0;

/** Monitors whose slot 0 is written or whose video has ended. */
async function slotZeroSettled(db: Knex, videoIds: number[]): Promise<number> {
  const row = await db('trend_videos as v')
    .whereIn('v.id', videoIds)
    .where((q) =>
      q
        .whereNotIn('v.status', LIVE_TREND_VIDEO_STATUSES)
        .orWhereExists(db('trend_snapshots as s').whereRaw('s.video_id = v.id').where('s.slot', 0)),
    )
    .count('* as n')
    .first();
  return Number(row?.n ?? 0);
}

/** Snapshots that failed so far (the worker's trend_snapshot_failures_total). */
async function countFailures(): Promise<number> {
  const { values } = await snapshotFailures.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/**
 * Workflow task timeouts in a sample of the monitors' histories (a timeout is an event of its own),
 * split at the observation's start: those before belong to the start-up (N monitors started at
 * once, their first grid point landing in the slot-0 backlog), not to the steady state.
 */
async function sampleTimeouts(
  client: Client,
  handles: WorkflowHandle[],
  sample: number,
  observeStart: number,
): Promise<{ timeouts: number; startupTimeouts: number; sampled: number }> {
  const step = Math.max(1, Math.floor(handles.length / Math.max(1, sample)));
  let timeouts = 0;
  let startupTimeouts = 0;
  let sampled = 0;
  for (let i = 0; i < handles.length && sampled < sample; i += step) {
    const history = await client.workflow.getHandle(handles[i]!.workflowId).fetchHistory();
    for (const e of history.events ?? []) {
      if (!e.workflowTaskTimedOutEventAttributes) continue;
      if (tsToMs(e.eventTime) >= observeStart) timeouts++;
      else startupTimeouts++;
    }
    sampled++;
  }
  return { timeouts, startupTimeouts, sampled };
}

/** Ends the bench's monitors with one server-side batch job instead of a call each. */
async function terminateAll(client: Client, taskQueue: string, progress: (line: string) => void): Promise<void> {
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  await client.workflowService.startBatchOperation({
    namespace: client.options.namespace,
    jobId: `bench-terminate-${taskQueue}`,
    visibilityQuery: query,
    reason: 'benchmark finished',
    terminationOperation: {},
  });
  // A minute at most: tens of thousands take the server minutes, and its batch job goes on alone.
  for (let i = 0; i < 12; i++) {
    const { count } = await client.workflow.count(query);
    if (count === 0) return;
    if (i % 6 === 0) progress(`terminating the bench's monitors: ${count} still running`);
    await sleep(5000);
  }
  progress("the server's batch job goes on terminating the bench's monitors");
}
