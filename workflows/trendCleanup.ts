/**
 * trendCleanup (schedule, daily): archives videos past the monitoring window, drops the ones that
 * stayed slow after enough snapshots and stops their monitors, and prunes dropped videos'
 * snapshots. The cut-off is computed from workflow time, so a replay computes the same one.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { archiveExpiredTrendVideos, dropSlowTrendVideos, stopTrendMonitors, pruneDroppedSnapshots } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export interface TrendCleanupInput {
  /** Videos published longer ago than this are archived (7 days, scaled in tests and demos). */
  archiveAfterMs: number;
}

export interface TrendCleanupResult {
  archived: number;
  dropped: number;
  monitorsStopped: number;
  snapshotsPruned: number;
  cutoff: string;
}

export async function trendCleanup(input: TrendCleanupInput): Promise<TrendCleanupResult> {
  const cutoff = new Date(Date.now() - input.archiveAfterMs).toISOString();
  const { archived } = await archiveExpiredTrendVideos({ publishedBefore: cutoff });
  const { workflowIds } = await dropSlowTrendVideos();
  const { stopped } = await stopTrendMonitors({ workflowIds, reason: 'dropped by cleanup: velocity stayed under the threshold' });
  const { pruned } = await pruneDroppedSnapshots();
  return { archived, dropped: workflowIds.length, monitorsStopped: stopped, snapshotsPruned: pruned, cutoff };
}
