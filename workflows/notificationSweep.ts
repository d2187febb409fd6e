/**
 * notificationSweep (schedule `notification-sweep`, every NOTIFICATION_SWEEP_MINUTES): starts
 * again every alert delivery whose workflow start was lost. A firing commits first and its
 * deliveries start after; a process that dies in between, or a Temporal outage at that moment,
 * leaves deliveries pending that nobody runs. One activity finds and starts them
 * (activities/alerts.ts restartLostDeliveries); starting a delivery twice is harmless.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NotificationSweepResult } from '../temporal/contract';

const { restartLostDeliveries } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function notificationSweep(): Promise<NotificationSweepResult> {
  return restartLostDeliveries();
}
