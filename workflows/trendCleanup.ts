/**
 * trendCleanup (schedule, daily): archives videos past the monitoring window, drops the ones that
 * stayed slow after enough snapshots, stops the monitors of both (so no archived video is watched
 * on), and prunes dropped videos' snapshots. The run's instant is workflow time, so a retry or a replay archives by the same cut-off
 * (the activity turns it into data time: lib/clock.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TrendCleanupInput, TrendCleanupResult } from '../temporal/contract';

const { archiveExpiredTrendVideos, dropSlowTrendVideos, stopTrendMonitors, pruneDroppedSnapshots } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export async function trendCleanup(_input: TrendCleanupInput = {}): Promise<TrendCleanupResult> {
  const archive = await archiveExpiredTrendVideos({ runAt: new Date(Date.now()).toISOString() });
  const { workflowIds } = await dropSlowTrendVideos();
  // One stop call for both, as before archived monitors were stopped too (the same commands on
  // replay). Each monitor then records the status its row holds: archived or dropped.
  const toStop = [...(archive.workflowIds ?? []), ...workflowIds];
  const { stopped } = await stopTrendMonitors({ workflowIds: toStop, reason: 'ended by cleanup: past the monitoring window, or too slow' });
  const { pruned } = await pruneDroppedSnapshots();
  return {
    archived: archive.archived,
    dropped: workflowIds.length,
    monitorsStopped: stopped,
    snapshotsPruned: pruned,
    cutoff: archive.cutoff,
  };
}
