/**
 * notificationDelivery: one workflow per delivery (id notification-delivery:{email|webhook}:{id}),
 * started by the activity that recorded the alert firing once it committed, by the API for a
 * webhook's test event and for a redelivery. Starting it twice is harmless: a running one is
 * attached to, and a finished one's row says there is nothing left to do.
 *
 * Webhook: one activity attempt per try, retried by Temporal with exponential backoff
 * (WEBHOOK_RETRY_INITIAL_SECONDS doubling, at most 100x) up to WEBHOOK_MAX_ATTEMPTS; each attempt
 * is logged by the activity (status code, error, duration). When the last attempt fails, or the
 * target is refused outright, the delivery is dead-lettered: status dead, listed, redeliverable.
 *
 * Email: the alert's mail to the rule's owner, retried for about 20 minutes, then marked failed.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  failureMessage,
  type EmailDeliveryInput,
  type NotificationDeliveryInput,
  type NotificationDeliveryResult,
  type WebhookDeliveryInput,
  WEBHOOK_MAX_BACKOFF_FACTOR,
} from '../temporal/contract';

/** Bookkeeping (dead letter, failed mark): quick database writes, retried through outages. */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Mail: an SMTP hiccup is retried (8 attempts, about 20 minutes) before the firing's email is marked failed. */
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '15 minutes', maximumAttempts: 8 },
});

async function deliverEmail(input: EmailDeliveryInput): Promise<NotificationDeliveryResult> {
  try {
    return await mail.sendAlertEmail({ firingId: input.firingId, userId: input.userId });
  } catch (err) {
    if (isCancellation(err)) throw err;
    await bookkeeping.markAlertEmailFailed({ firingId: input.firingId, userId: input.userId, error: failureMessage(err) });
    return { status: 'failed' };
  }
}

async function deliverWebhook(input: WebhookDeliveryInput): Promise<NotificationDeliveryResult> {
  const attempts = proxyActivities<Activities>({
    // The request's own deadline plus the database writes around it.
    startToCloseTimeout: input.timeoutMs + 30_000,
    retry: {
      initialInterval: input.retryInitialMs,
      backoffCoefficient: 2,
      maximumInterval: input.retryInitialMs * WEBHOOK_MAX_BACKOFF_FACTOR,
      maximumAttempts: input.maxAttempts,
    },
  });
  try {
    return await attempts.attemptWebhookDelivery({ deliveryId: input.deliveryId, userId: input.userId });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const dead = await bookkeeping.deadLetterWebhookDelivery({
      deliveryId: input.deliveryId,
      userId: input.userId,
      reason: cause?.message ?? failureMessage(err),
    });
    return { status: 'dead', attempts: dead.attempts };
  }
}

export async function notificationDelivery(input: NotificationDeliveryInput): Promise<NotificationDeliveryResult> {
  return input.channel === 'email' ? deliverEmail(input) : deliverWebhook(input);
}
