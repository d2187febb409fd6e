/**
 * trendCleanup: the daily housekeeping of Trend Watch. For now it archives trend videos older
 * than the monitoring window; dropping low-velocity videos and pruning snapshots come with
 * Trend Watch. The cut-off is computed from workflow time, so a replay computes the same one.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { archiveExpiredTrendVideos } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export interface TrendCleanupInput {
  /** Videos published longer ago than this are archived (7 days by default, scaled in tests). */
  archiveAfterMs: number;
}

export interface TrendCleanupResult {
  archived: number;
  cutoff: string;
}

export async function trendCleanup(input: TrendCleanupInput): Promise<TrendCleanupResult> {
  const cutoff = new Date(Date.now() - input.archiveAfterMs).toISOString();
  const { archived } = await archiveExpiredTrendVideos({ publishedBefore: cutoff });
  return { archived, cutoff };
}
