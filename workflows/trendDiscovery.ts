/**
 * trendDiscovery (schedule, every 4 h): for each enabled platform, the broad pass (fresh videos
 * with their initial metrics), then the rising signals it can afford to follow with targeted
 * queries; then every recorded video gets its monitor, and an incremental analysis looks at what
 * changed at once instead of waiting for the next full pass. One platform or one step failing
 * (quota, outage) does not stop the others.
 */
import { ActivityFailure, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TrendDiscoveryInput, TrendDiscoveryResult } from '../temporal/contract';

const { discoverTrendVideos, followRisingSignals, startPendingMonitors } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
});
const { analyzeTrends } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

/** Runs recorded before discovery followed signals replay without these steps. */
export const FOLLOW_SIGNALS_PATCH = 'discovery-follows-signals';

/** A step's result, or its failure in words (logged): one failing step never stops the run. */
async function attempt<T>(step: string, fields: Record<string, unknown>, work: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await work();
  } catch (err) {
    const message = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
    log.warn(`${step} failed`, { ...fields, error: message });
    return { error: message };
  }
}

export async function trendDiscovery(input: TrendDiscoveryInput): Promise<TrendDiscoveryResult> {
  const followsSignals = patched(FOLLOW_SIGNALS_PATCH);
  const manual = input.manual ? { manual: true } : {};
  const perPlatform: TrendDiscoveryResult['perPlatform'] = {};
  const follows: NonNullable<TrendDiscoveryResult['follows']> = {};
  for (const platform of input.platforms) {
    perPlatform[platform] = await attempt('discovery for a platform', { platform }, () =>
      // Fresh is counted back from data time by the activity (lib/clock.ts).
      discoverTrendVideos({ platform, limit: input.cap, ...manual }),
    );
    if (followsSignals)
      follows[platform] = await attempt('following rising signals', { platform }, () => followRisingSignals({ platform, ...manual }));
  }
  // Also picks up videos whose monitor start an earlier, interrupted run did not finish.
  const { started } = await startPendingMonitors({ limit: input.cap * input.platforms.length + 1000 });
  if (!followsSignals) return { perPlatform, monitorsStarted: started };

  // The run's time is fixed here, so a retried activity writes the same series point; the
  // activity reads only what changed since the last pass (`incremental`).
  const runAt = new Date(Date.now()).toISOString();
  const analysis = await attempt('incremental analysis', {}, () => analyzeTrends({ runAt, incremental: true }));
  return { perPlatform, follows, monitorsStarted: started, analysis };
}
