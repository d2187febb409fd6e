/** trendAnalysis (schedule, every 6 h): groups recent videos into trends, in SQL (see the activity). */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { analyzeTrends } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function trendAnalysis(): Promise<{ trends: number; newTrends: { kind: string; name: string; score: number }[] }> {
  // The run's time is fixed here, so a retried activity writes the same series point.
  return analyzeTrends({ runAt: new Date(Date.now()).toISOString() });
}
