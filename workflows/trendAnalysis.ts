/**
 * trendAnalysis (schedule, every 6 h): groups recent videos into trends, in SQL, and moves the
 * trends it no longer sees to fading and then ended (see the activity and lib/domain/trendLifecycle).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TrendAnalysisResult } from '../temporal/contract';

const { analyzeTrends } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function trendAnalysis(): Promise<TrendAnalysisResult> {
  // The run's time is fixed here, so a retried activity writes the same series point.
  return analyzeTrends({ runAt: new Date(Date.now()).toISOString() });
}
