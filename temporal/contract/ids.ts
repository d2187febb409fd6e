/**
 * Workflow and schedule ids are business ids, never timestamps or random values: starting the
 * same thing twice finds the same workflow. Workflow-safe (no imports).
 */
export const trendMonitorWorkflowId = (platform: string, platformVideoId: string) => `trend-video:${platform}:${platformVideoId}`;

export const bloggerSyncWorkflowId = (bloggerId: number | string) => `blogger-sync:${bloggerId}`;

/** A user's discovery run: requests in the same minute share one run. */
export const manualTrendDiscoveryWorkflowId = (at: Date) => `trend-discovery-manual-${at.toISOString().slice(0, 16)}`;

/** Trend Watch schedules; each run's workflow id is the schedule id plus the run's time. */
export const TREND_SCHEDULES = {
  discovery: 'trend-discovery',
  analysis: 'trend-analysis',
  cleanup: 'trend-cleanup',
} as const;
export type TrendScheduleName = keyof typeof TREND_SCHEDULES;

/** The schedule of the blogger-sync reconciler (restarts missing syncs). */
export const BLOGGER_SYNC_RECONCILE_SCHEDULE = 'blogger-sync-reconcile';

/** One delivery of an alert or webhook event (temporal/contract/notificationDelivery.ts). */
export const notificationDeliveryWorkflowId = (
  delivery: { channel: 'email'; firingId: number } | { channel: 'webhook'; deliveryId: number },
) =>
  delivery.channel === 'email'
    ? `notification-delivery:email:${delivery.firingId}`
    : `notification-delivery:webhook:${delivery.deliveryId}`;
