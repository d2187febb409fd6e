/**
 * bloggerSyncReconciler (schedule, every BLOGGER_RECONCILE_MINUTES; also run once at worker
 * start): starts a bloggerSync for every active blogger of an active user that has none running.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { BloggerSyncReconcilerInput, ReconcileResult } from '../temporal/contract';

const { startMissingBloggerSyncs } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // The next scheduled run tries again; a run need not wait out a long outage.
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function bloggerSyncReconciler(input: BloggerSyncReconcilerInput): Promise<ReconcileResult> {
  return startMissingBloggerSyncs({ settings: input.settings });
}
