/**
 * One seed of the trend quality benchmark: a simulated stretch of days through the product's real
 * activities (createActivities), on a virtual clock that jumps from event to event.
 *
 * What is real: every activity (discovery, snapshots, analysis, cleanup) with its SQL, the
 * simulator platform behind the real stats batcher, PostgreSQL (app role) and Redis.
 * What the driver replaces: Temporal. It calls the activities in the order the workflows do
 * (workflows/trendDiscovery.ts, trendVideoMonitor.ts, trendAnalysis.ts, trendCleanup.ts) at the
 * instants their schedules and timers would: discovery every TREND_DISCOVERY_HOURS followed by
 * an incremental analysis, the full analysis every TREND_ANALYSIS_HOURS, cleanup every
 * TREND_CLEANUP_HOURS, and each monitored video snapshotted right away and then on its own grid
 * point (slotOffsetMs/firstWakeAt) every TREND_SNAPSHOT_HOURS until its window ends. Monitors
 * are not workflows: startPendingMonitors is replaced by recording the workflow id and
 * scheduling the slots here; stopTrendMonitors by unscheduling. Snapshots due at one instant run
 * concurrently (a bounded pool), so they batch like production's monitors waking together.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createActivities, type ActivityDeps } from '../../activities';
import { recordMonitorWorkflow, videosAwaitingMonitor } from '../../db/queries/trendVideos';
import { manualClock } from '../../lib/clock';
import { loadConfig } from '../../lib/config';
import { firstWakeAt, slotOffsetMs, trendSettings, type TrendSettings } from '../../lib/domain/trendSettings';
import { isEndedTrendVideoStatus, monitorEndStatus, type EndedTrendVideoStatus } from '../../lib/domain/trendVideoStatus';
import type { Logger } from '../../lib/logger';
import { createMailer } from '../../notifications/mailer';
import { createPlatforms } from '../../platforms';
import type { StatsBatcher } from '../../platforms/batcher';
import type { PlatformName } from '../../platforms/types';
import { FAILURE_TYPES, trendMonitorWorkflowId } from '../../temporal/contract';
import { groundTruth } from './groundTruth';
import { REPORTED_STATUSES, scoreRun, type GroundTruthEvent, type QualityReport, type ReportedPoint } from './score';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Where the evaluated interval starts by default: a fixed instant, so runs never depend on the calendar. */
export const DEFAULT_START = Date.UTC(2026, 2, 2);

export interface TrendQualityOptions {
  seed: number;
  /** Evaluated simulated days. */
  days: number;
  /** Simulated hours the pipeline runs before the evaluated interval (baselines need history). */
  warmupHours: number;
  creators: number;
  platforms: PlatformName[];
  /** Data time the evaluated interval starts at. */
  start?: number;
  /** Snapshots in flight at once. */
  concurrency?: number;
  /**
   * 0 (default): every monitor wakes exactly on its grid point. Q > 0: monitors wake at the next
   * multiple of Q ms instead, up to Q late (like a busy worker's lateness); their slots stay on the
   * grid. Fewer, fuller wake-ups: a faster run where the machine is slow.
   */
  wakeQuantumMs?: number;
  /** The stats batcher's gathering window (real ms). */
  batchWindowMs?: number;
  onProgress?: (progress: TrendQualityProgress) => void;
}

/** What the run needs from outside: the app-role pool and Redis of a dedicated database, and settings to override. */
export interface TrendQualityServices {
  db: Knex;
  redis: Redis;
  logger: Logger;
  /** Settings over the process environment (e.g. TREND_* tuning). */
  env?: Record<string, string>;
}

export interface TrendQualityCounts {
  discoveryRuns: number;
  discoveryFailures: number;
  analysisRuns: number;
  cleanupRuns: number;
  videosDiscovered: number;
  /** Targeted queries discovery ran for rising signals. */
  signalsFollowed: number;
  snapshots: number;
  /** Distinct instants at which monitors woke (each one a batch, one after the other). */
  wakeInstants: number;
  /** Snapshot activities that failed for another reason than a vanished video (a gap in production). */
  snapshotFailures: number;
  monitorsEnded: number;
  /** Monitors scheduled at once, at most. */
  peakMonitors: number;
  platformCalls: number;
  idsPerCall: number | null;
  /** Distinct names reported emerging or peaking so far. */
  reportedNames: number;
  /** Real ms spent in each step (where a run's time goes). */
  wallMsBy: { snapshots: number; discovery: number; analysis: number; cleanup: number };
}

export interface TrendQualityProgress {
  seed: number;
  /** Simulated days since the run started (warm-up included) and of the whole run. */
  day: number;
  totalDays: number;
  monitors: number;
  counts: TrendQualityCounts;
}

export interface TrendQualityRun {
  seed: number;
  runStart: number;
  runEnd: number;
  truth: GroundTruthEvent[];
  points: ReportedPoint[];
  report: QualityReport;
  counts: TrendQualityCounts;
  wallMs: number;
}

/** A video the driver monitors in place of a trendVideoMonitor workflow. */
interface Monitor {
  trendVideoId: number;
  platform: PlatformName;
  platformVideoId: string;
  slot: number;
  /** Data time of slot 1 (the video's first grid point); slot k is anchor + (k − 1) × interval. */
  anchor: number;
}

/** Monitors by the instant they wake for their next slot. */
class MonitorAgenda {
  private readonly due = new Map<number, Monitor[]>();
  private readonly byVideo = new Map<number, number>();

  constructor(private readonly quantumMs: number) {}

  get size(): number {
    return this.byVideo.size;
  }

  add(dueAt: number, monitor: Monitor): void {
    const at = this.quantumMs > 0 ? Math.ceil(dueAt / this.quantumMs) * this.quantumMs : dueAt;
    const list = this.due.get(at);
    if (list) list.push(monitor);
    else this.due.set(at, [monitor]);
    this.byVideo.set(monitor.trendVideoId, at);
  }

  nextAt(): number {
    let next = Infinity;
    for (const at of this.due.keys()) if (at < next) next = at;
    return next;
  }

  take(at: number): Monitor[] {
    const list = this.due.get(at) ?? [];
    this.due.delete(at);
    for (const m of list) this.byVideo.delete(m.trendVideoId);
    return list;
  }

  /** Unschedules these videos' monitors; returns how many were scheduled. */
  remove(trendVideoIds: Iterable<number>): number {
    let removed = 0;
    for (const id of trendVideoIds) {
      const at = this.byVideo.get(id);
      if (at === undefined) continue;
      const kept = this.due.get(at)!.filter((m) => m.trendVideoId !== id);
      if (kept.length) this.due.set(at, kept);
      else this.due.delete(at);
      this.byVideo.delete(id);
      removed++;
    }
    return removed;
  }
}

/** A Temporal client that must never be reached: the driver stands in for every workflow. */
function noTemporal(): Client {
  return new Proxy({} as Client, {
    get(_target, property) {
      throw new Error(`the trend quality benchmark drives the workflows itself; Temporal was called (${String(property)})`);
    },
  });
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Every point an analysis run wrote as emerging or peaking. */
async function reportedPoints(db: Knex): Promise<ReportedPoint[]> {
  const rows = await db('detected_trend_points as p')
    .join('detected_trends as t', 't.id', 'p.trend_id')
    .whereIn('p.status', REPORTED_STATUSES)
    .select('t.kind', 't.name', 'p.at', 'p.status');
  return rows.map((r: { kind: string; name: string; at: Date; status: string }) => ({
    kind: r.kind,
    name: r.name,
    at: r.at.getTime(),
    status: r.status,
  }));
}

async function reportedNameCount(db: Knex): Promise<number> {
  const row = await db('detected_trend_points').whereIn('status', REPORTED_STATUSES).countDistinct('trend_id as n').first();
  return Number(row?.n ?? 0);
}

export async function runTrendQuality(services: TrendQualityServices, options: TrendQualityOptions): Promise<TrendQualityRun> {
  const wallStart = Date.now();
  const evalFrom = options.start ?? DEFAULT_START;
  const runStart = evalFrom - options.warmupHours * HOUR_MS;
  const runEnd = evalFrom + options.days * DAY_MS;
  const clock = manualClock(runStart);
  // Data time is the clock's: TIME_SCALE 1, every interval at its configured length.
  const config = loadConfig({
    ...process.env,
    ...services.env,
    TIME_SCALE: '1',
    SIMULATOR_SEED: String(options.seed),
    SIMULATOR_CREATORS: String(options.creators),
    PLATFORMS_ENABLED: options.platforms.join(','),
    PLATFORM_BATCH_WINDOW_MS: String(options.batchWindowMs ?? 0),
    // Snapshots due at one instant are taken in the same tick: their batch need not wait in real time.
    TREND_SNAPSHOT_BATCH_MS: String(options.batchWindowMs ?? 0),
  });
  const settings: TrendSettings = trendSettings(config);
  const platforms = createPlatforms(config, { redis: services.redis, clock });
  const deps: ActivityDeps = {
    db: services.db,
    logger: services.logger,
    redis: services.redis,
    platforms,
    temporal: noTemporal(),
    taskQueue: 'trend-quality-bench',
    settings,
    clock,
    // Mail as configured (normally off: no SMTP_URL).
    mailer: createMailer(config, services.logger),
  };
  const activities = createActivities(deps);
  const concurrency = options.concurrency ?? 32;

  const counts: TrendQualityCounts = {
    discoveryRuns: 0,
    discoveryFailures: 0,
    analysisRuns: 0,
    cleanupRuns: 0,
    videosDiscovered: 0,
    signalsFollowed: 0,
    snapshots: 0,
    wakeInstants: 0,
    snapshotFailures: 0,
    monitorsEnded: 0,
    peakMonitors: 0,
    platformCalls: 0,
    idsPerCall: null,
    reportedNames: 0,
    wallMsBy: { snapshots: 0, discovery: 0, analysis: 0, cleanup: 0 },
  };
  const timed = async (step: keyof TrendQualityCounts['wallMsBy'], work: () => Promise<void>) => {
    const started = Date.now();
    await work();
    counts.wallMsBy[step] += Date.now() - started;
  };
  const snapshotsDue = async (now: number) => {
    const due = agenda.take(now);
    if (due.length === 0) return;
    counts.wakeInstants++;
    await timed('snapshots', () => inPool(due, concurrency, snapshot));
  };
  const agenda = new MonitorAgenda(options.wakeQuantumMs ?? 0);
  const iso = (ms: number) => new Date(ms).toISOString();

  const slotTime = (m: Monitor, slot: number) => m.anchor + (slot - 1) * settings.snapshotIntervalMs;

  /** trendVideoMonitor's end: the status the database holds, or how the monitor saw it end. */
  const finish = async (m: Monitor, end: { endedInDb?: EndedTrendVideoStatus; vanished: boolean }) => {
    await activities.finishTrendMonitor({
      trendVideoId: m.trendVideoId,
      status: monitorEndStatus({ ...end, stopped: false }),
      reason: null,
    });
    counts.monitorsEnded++;
  };

  /** One wake-up of one monitor (the loop body of trendVideoMonitor). */
  const snapshot = async (m: Monitor) => {
    try {
      const result = await activities.takeTrendSnapshot({
        trendVideoId: m.trendVideoId,
        platform: m.platform,
        platformVideoId: m.platformVideoId,
        slot: m.slot,
      });
      if (isEndedTrendVideoStatus(result.status)) return finish(m, { endedInDb: result.status, vanished: false });
      if (!result.duplicate) counts.snapshots++;
    } catch (err) {
      // Called directly, an activity's failure is the ApplicationFailure itself (no ActivityFailure around it).
      if (err instanceof ApplicationFailure && err.type === FAILURE_TYPES.notFound) return finish(m, { vanished: true });
      counts.snapshotFailures++; // a gap, as the workflow records it; monitoring goes on
      services.logger.warn({ err: (err as Error).message, trendVideoId: m.trendVideoId }, 'benchmark snapshot failed');
    }
    const slot = m.slot + 1;
    if (slot >= settings.totalSlots) return finish(m, { vanished: false });
    agenda.add(slotTime(m, slot), { ...m, slot });
  };

  /** startPendingMonitors without Temporal: the workflow id is recorded and the slots scheduled here. */
  const adoptNewVideos = async (now: number) => {
    const pending = await videosAwaitingMonitor(services.db, 1_000_000);
    for (const video of pending) {
      await recordMonitorWorkflow(services.db, video.id, trendMonitorWorkflowId(video.platform, video.platformVideoId));
      const offset = slotOffsetMs(video.platform, video.platformVideoId, settings.snapshotIntervalMs, settings.gridPoints);
      agenda.add(now, {
        trendVideoId: video.id,
        platform: video.platform,
        platformVideoId: video.platformVideoId,
        slot: 0,
        anchor: firstWakeAt(now + 1, settings.snapshotIntervalMs, offset),
      });
    }
    counts.peakMonitors = Math.max(counts.peakMonitors, agenda.size);
  };

  /** One step of the discovery workflow: a failure is logged and counted, and the run goes on (as the workflow does). */
  const attempt = async (step: string, platform: PlatformName, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      counts.discoveryFailures++;
      services.logger.warn({ platform, err: (err as Error).message }, `benchmark ${step} failed`);
    }
  };
  const discover = async (now: number) => {
    counts.discoveryRuns++;
    for (const platform of options.platforms) {
      await attempt('discovery', platform, async () => {
        // The fresh window counts back from data time now (the activity's clock).
        const { inserted } = await activities.discoverTrendVideos({ platform, limit: settings.discoveryCap });
        counts.videosDiscovered += inserted;
      });
      await attempt('following rising signals', platform, async () => {
        const { plan } = await activities.followRisingSignals({ platform });
        counts.signalsFollowed += plan.length;
        counts.videosDiscovered += plan.reduce((n, follow) => n + follow.inserted, 0);
      });
    }
    await adoptNewVideos(now);
  };

  const analyze = async (now: number, incremental: boolean) => {
    await activities.analyzeTrends({ runAt: iso(now), incremental });
    counts.analysisRuns++;
    counts.reportedNames = await reportedNameCount(services.db);
  };

  const cleanup = async (now: number) => {
    counts.cleanupRuns++;
    // A workflow passes its real instant, which the activity maps to data time; the manual clock maps every instant to its own now.
    const archive = await activities.archiveExpiredTrendVideos({ runAt: iso(now) });
    const { workflowIds } = await activities.dropSlowTrendVideos();
    // stopTrendMonitors: the driver's monitors of those videos are unscheduled; their rows ended already.
    const stopped = [...(archive.workflowIds ?? []), ...workflowIds];
    const ended: number[] = stopped.length ? await services.db('trend_videos').whereIn('workflow_id', stopped).pluck('id') : [];
    counts.monitorsEnded += agenda.remove(ended.map(Number));
    await activities.pruneDroppedSnapshots();
  };

  const every = (intervalMs: number, first: number) => ({ next: first, intervalMs });
  const discovery = every(settings.discoveryIntervalMs, runStart);
  const analysis = every(settings.analysisIntervalMs, runStart + settings.analysisIntervalMs);
  const cleaning = every(settings.cleanupIntervalMs, runStart + settings.cleanupIntervalMs);

  const report = (now: number) =>
    options.onProgress?.({
      seed: options.seed,
      day: (now - runStart) / DAY_MS,
      totalDays: (runEnd - runStart) / DAY_MS,
      monitors: agenda.size,
      counts: withBatcherCounts(counts, platforms, options.platforms),
    });

  for (;;) {
    const now = Math.min(agenda.nextAt(), discovery.next, analysis.next, cleaning.next);
    if (now > runEnd) break;
    clock.set(now);
    // At one instant: due snapshots, then discovery (its new monitors take slot 0 at once) and its
    // incremental analysis, then the full analysis, then cleanup.
    await snapshotsDue(now);
    if (discovery.next === now) {
      await timed('discovery', () => discover(now));
      await snapshotsDue(now);
      await timed('analysis', () => analyze(now, true));
      discovery.next += discovery.intervalMs;
    }
    if (analysis.next === now) {
      await timed('analysis', () => analyze(now, false));
      analysis.next += analysis.intervalMs;
    }
    if (cleaning.next === now) {
      await timed('cleanup', () => cleanup(now));
      cleaning.next += cleaning.intervalMs;
    }
    report(now);
  }

  const truth = groundTruth({ seed: options.seed, creators: options.creators }, runStart, runEnd);
  const points = await reportedPoints(services.db);
  return {
    seed: options.seed,
    runStart,
    runEnd,
    truth,
    points,
    report: scoreRun(truth, points, { from: evalFrom, to: runEnd }),
    counts: withBatcherCounts(counts, platforms, options.platforms),
    wallMs: Date.now() - wallStart,
  };
}

function withBatcherCounts(
  counts: TrendQualityCounts,
  platforms: ReturnType<typeof createPlatforms>,
  names: PlatformName[],
): TrendQualityCounts {
  const batchers = names.map((p) => platforms.stats(p) as StatsBatcher);
  const calls = batchers.reduce((sum, b) => sum + b.upstreamCalls, 0);
  const ids = batchers.reduce((sum, b) => sum + b.idsRequested, 0);
  return { ...counts, platformCalls: calls, idsPerCall: calls ? ids / calls : null };
}
