/**
 * Trend Watch timing and thresholds, derived once from configuration and handed to workflows as
 * input (workflow code never reads the environment). Two kinds of duration:
 *  - timer intervals (…IntervalMs, catchupWindowMs) are real ms, divided by TIME_SCALE, the one knob
 *    that lets a demo or a test live a 7-day monitor in minutes;
 *  - data windows (freshWindowMs, monitorWindowMs, analysisWindowMs) are data-time ms, compared
 *    with publish and snapshot times, which the clock (lib/clock.ts) already runs at that scale.
 */
import type { Config } from '../config';
import { fnv1a } from './hash';

const HOUR_MS = 3_600_000;

export interface TrendSettings {
  /** Real ms between two snapshots of a monitor (a timer). */
  snapshotIntervalMs: number;
  /** Snapshots per monitor: monitor duration ÷ interval (84 for 7 days every 2 h). */
  totalSlots: number;
  /** Wake-up instants per cycle that monitors share (slotOffsetMs). */
  gridPoints: number;
  /** Real ms a snapshot batch gathers the wake-ups of one grid point (activities/snapshotBatch.ts). */
  snapshotBatchWindowMs: number;
  discoveryIntervalMs: number;
  analysisIntervalMs: number;
  cleanupIntervalMs: number;
  /** Archive videos published longer ago than this (data time). */
  monitorWindowMs: number;
  /** Discovery picks videos published within this window (data time). */
  freshWindowMs: number;
  discoveryCap: number;
  /** Share of each daily platform bucket that manual (user-triggered) discovery runs may spend. */
  manualDiscoveryShare: number;
  /** Targeted queries per discovery run on a platform without a daily search bucket. */
  targetedQueriesPerRun: number;
  /** The recent window an analysis run looks at (data time). */
  analysisWindowMs: number;
  minCreators: number;
  trendingPercentile: number;
  dropVelocity: number;
  dropMinSnapshots: number;
  catchupWindowMs: number;
  /** Trailing windows of analysisWindowMs that make a name's baseline (lib/domain/trendBurst.ts). */
  baselineWindows: number;
  burstThreshold: number;
  burstRatio: number;
  /** Distinct creators a rising signal needs before discovery follows it. */
  signalMinCreators: number;
  /** Largest chance of a trend's count at the name's usual rate (lib/domain/trendBurst.ts). */
  burstChance: number;
}

export type TrendConfig = Pick<
  Config,
  | 'TIME_SCALE'
  | 'TREND_MONITOR_DAYS'
  | 'TREND_SNAPSHOT_HOURS'
  | 'TREND_GRID_POINTS'
  | 'TREND_SNAPSHOT_BATCH_MS'
  | 'TREND_DISCOVERY_HOURS'
  | 'TREND_ANALYSIS_HOURS'
  | 'TREND_CLEANUP_HOURS'
  | 'TREND_FRESH_DAYS'
  | 'TREND_DISCOVERY_CAP'
  | 'TREND_ANALYSIS_WINDOW_HOURS'
  | 'TREND_MIN_CREATORS'
  | 'TREND_TRENDING_PERCENTILE'
  | 'TREND_DROP_VELOCITY'
  | 'TREND_DROP_MIN_SNAPSHOTS'
  | 'SCHEDULE_CATCHUP_HOURS'
  | 'TREND_MANUAL_DISCOVERY_SHARE'
  | 'TREND_BASELINE_WINDOWS'
  | 'TREND_BURST_THRESHOLD'
  | 'TREND_BURST_RATIO'
  | 'TREND_SIGNAL_MIN_CREATORS'
  | 'TREND_BURST_CHANCE'
  | 'TREND_TARGETED_QUERIES_PER_RUN'
>;

export function trendSettings(c: TrendConfig): TrendSettings {
  const scaled = (hours: number) => Math.max(1, Math.round((hours * HOUR_MS) / c.TIME_SCALE));
  return {
    snapshotIntervalMs: scaled(c.TREND_SNAPSHOT_HOURS),
    totalSlots: Math.max(1, Math.round((c.TREND_MONITOR_DAYS * 24) / c.TREND_SNAPSHOT_HOURS)),
    gridPoints: c.TREND_GRID_POINTS,
    // A grid point's wake-ups arrive over seconds as the worker gets to them: a batch that waits
    // for them fills its platform call; a compressed cycle (TIME_SCALE) keeps it under a quarter.
    snapshotBatchWindowMs: Math.min(c.TREND_SNAPSHOT_BATCH_MS, Math.round(scaled(c.TREND_SNAPSHOT_HOURS) / 4)),
    discoveryIntervalMs: scaled(c.TREND_DISCOVERY_HOURS),
    analysisIntervalMs: scaled(c.TREND_ANALYSIS_HOURS),
    cleanupIntervalMs: scaled(c.TREND_CLEANUP_HOURS),
    monitorWindowMs: c.TREND_MONITOR_DAYS * 24 * HOUR_MS,
    freshWindowMs: c.TREND_FRESH_DAYS * 24 * HOUR_MS,
    discoveryCap: c.TREND_DISCOVERY_CAP,
    manualDiscoveryShare: c.TREND_MANUAL_DISCOVERY_SHARE,
    targetedQueriesPerRun: c.TREND_TARGETED_QUERIES_PER_RUN,
    analysisWindowMs: c.TREND_ANALYSIS_WINDOW_HOURS * HOUR_MS,
    minCreators: c.TREND_MIN_CREATORS,
    trendingPercentile: c.TREND_TRENDING_PERCENTILE,
    dropVelocity: c.TREND_DROP_VELOCITY,
    dropMinSnapshots: c.TREND_DROP_MIN_SNAPSHOTS,
    catchupWindowMs: scaled(c.SCHEDULE_CATCHUP_HOURS),
    baselineWindows: c.TREND_BASELINE_WINDOWS,
    burstThreshold: c.TREND_BURST_THRESHOLD,
    burstRatio: c.TREND_BURST_RATIO,
    signalMinCreators: c.TREND_SIGNAL_MIN_CREATORS,
    burstChance: c.TREND_BURST_CHANCE,
  };
}

/** Grid points of monitors started before the count was part of their input (their recorded timers). */
export const LEGACY_GRID_POINTS = 120;

/**
 * Where in the snapshot cycle a video wakes: one of `gridPoints` instants (24 by default: every
 * 5 min at 2 h), chosen from its id. Monitors sharing a grid point wake together so their
 * snapshots share platform calls and writes; the points spread the load across the cycle. Each
 * platform call carries up to 50 ids, so a point's last call is partly empty: the average fill is
 * n / ceil(n / 50) for n monitors of one platform on a point (17,000 monitors on 120 points fill
 * 36 of 50, on 24 points 44; 50,000 on 24 points 49.6). Fewer points fill calls better but make
 * each point's burst longer to drain: at 50,000 monitors on the 2-core development machine a
 * point's 2,083 snapshots took up to about 55 s (docs/benchmarks.md).
 */
export function slotOffsetMs(platform: string, videoId: string, intervalMs: number, gridPoints = LEGACY_GRID_POINTS): number {
  return Math.floor(((fnv1a(`${platform}:${videoId}`) % gridPoints) * intervalMs) / gridPoints);
}

/** The first grid instant at or after `from` for a video with this offset. */
export function firstWakeAt(from: number, intervalMs: number, offsetMs: number): number {
  const cycleStart = Math.floor(from / intervalMs) * intervalMs;
  const candidate = cycleStart + offsetMs;
  return candidate >= from ? candidate : candidate + intervalMs;
}
