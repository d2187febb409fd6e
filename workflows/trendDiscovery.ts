/**
 * trendDiscovery (schedule, every 4 h): asks each enabled platform for fresh videos, records the
 * new ones with their initial metrics, then makes sure every recorded video has its monitor.
 * One platform failing (quota, outage) does not stop the others.
 */
import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TrendDiscoveryInput, TrendDiscoveryResult } from '../temporal/contract';

const { discoverTrendVideos, startPendingMonitors } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
});

export async function trendDiscovery(input: TrendDiscoveryInput): Promise<TrendDiscoveryResult> {
  const publishedAfter = new Date(Date.now() - input.freshWindowMs).toISOString();
  const perPlatform: TrendDiscoveryResult['perPlatform'] = {};
  for (const platform of input.platforms) {
    try {
      perPlatform[platform] = await discoverTrendVideos({
        platform,
        publishedAfter,
        limit: input.cap,
        ...(input.manual ? { manual: true } : {}),
      });
    } catch (err) {
      const message = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
      log.warn('discovery failed for a platform', { platform, error: message });
      perPlatform[platform] = { error: message };
    }
  }
  // Also picks up videos whose monitor start an earlier, interrupted run did not finish.
  const { started } = await startPendingMonitors({ limit: input.cap * input.platforms.length + 1000 });
  return { perPlatform, monitorsStarted: started };
}
