/** The Trend Watch workflows (monitor, discovery, analysis, cleanup) as their callers see them. Workflow-safe. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TrendVideoStatus } from '../../lib/domain/trendVideoStatus';
import type { PlatformName, SignalKind } from '../../platforms/types';

export interface TrendMonitorInput {
  /** The trend_videos row id (histories recorded before ids were numbers carry it as text; both work). */
  trendVideoId: number;
  platform: PlatformName;
  platformVideoId: string;
  snapshotIntervalMs: number;
  totalSlots: number;
  /** Wake-up instants per cycle (trendSettings.gridPoints); absent in histories recorded before: 120. */
  gridPoints?: number;
}

/** The same words as the database column and the TrendStatus search attribute. */
export type MonitorStatus = TrendVideoStatus;

export interface TrendMonitorState {
  status: MonitorStatus;
  snapshotsTaken: number;
  nextSlot: number;
  totalSlots: number;
  nextWakeAt: string | null;
  lastVelocity: number | null;
  lastAcceleration: number | null;
  skippedSlots: number[];
}

// The names are on the wire (running monitors and recorded histories): never rename them.
export const pauseMonitor = defineSignal('pause');
export const resumeMonitor = defineSignal('resume');
export const stopMonitor = defineSignal<[{ reason?: string }?]>('stop');
export const monitorState = defineQuery<TrendMonitorState>('state');

export interface TrendDiscoveryInput {
  platforms: PlatformName[];
  /**
   * No longer read: the activity counts the fresh window (TREND_FRESH_DAYS) back from data time.
   * Schedules and runs made before data time existed still carry it.
   */
  freshWindowMs?: number;
  /** Most new videos per platform and run. */
  cap: number;
  /** Triggered by a user (POST /api/trends/discover): spends only the manual share of each quota. */
  manual?: boolean;
}

/** One rising signal a discovery run followed with a targeted query, and what it brought. */
export interface SignalFollow {
  kind: SignalKind;
  name: string;
  /** Why the plan chose it (its evidence, and how an earlier follow went). */
  reason: string;
  found: number;
  inserted: number;
  /** The query failed (the others still ran). */
  error?: string;
}

/** What following rising signals did on one platform: the plan and the quota it spent. */
export interface FollowSignalsResult {
  plan: SignalFollow[];
  /** Rising signals over this run's budget, left for a later run. */
  skipped: number;
  budget: { queries: number; basis: string };
  /** Calls spent from the platform's daily search bucket and left in it; with no such bucket, queries made and null. */
  quota: { spent: number; left: number | null };
}

export interface TrendDiscoveryResult {
  perPlatform: Record<string, { found: number; inserted: number } | { error: string }>;
  /** Per platform, the rising signals followed (absent in runs before discovery followed signals). */
  follows?: Record<string, FollowSignalsResult | { error: string }>;
  monitorsStarted: number;
  /** The incremental analysis run after discovery (absent in older runs). */
  analysis?: TrendAnalysisResult | { error: string };
}

export interface TrendAnalysisResult {
  /** Trends that qualified in this run's window. */
  trends: number;
  newTrends: { kind: string; name: string; score: number }[];
  /** Known trends this run did not see: now fading (first miss) or ended (a further miss). Absent in old histories. */
  fading?: number;
  ended?: number;
}

/**
 * Nothing: the monitoring window is the worker's (TREND_MONITOR_DAYS, in data time). Schedules
 * made before data time existed still pass `archiveAfterMs`; it is no longer read.
 */
export interface TrendCleanupInput {
  archiveAfterMs?: number;
}

export interface TrendCleanupResult {
  archived: number;
  dropped: number;
  monitorsStopped: number;
  snapshotsPruned: number;
  cutoff: string;
}
